"""
Deferred-based helpers for SCTP clients: what users wait on, as Deferreds.

  - L{connect}: a Deferred firing with the connected Protocol once the
    association is up (C{COMM_UP}), or failing with a
    L{twisted.internet.error.ConnectError} subclass;
  - L{whenSenderDry}: fires once everything written so far has been sent
    and acknowledged by the peer;
  - L{closeGracefully}: starts a graceful SHUTDOWN and fires once it has
    completed (fails if the association ended any other way);
  - L{whenClosed}: fires once the association has ended (C{None} after a
    clean close, failing with the reason otherwise).

Example::

    from twisted.internet.task import react
    from txsctp import SCTPProtocol
    from txsctp.client import connect, closeGracefully, whenSenderDry

    async def main(reactor):
        proto = await connect(reactor, "127.0.0.1", 2905, SCTPProtocol,
                              outStreams=4)
        proto.transport.writeMessage(b"hello", stream=1, ppid=46)
        await whenSenderDry(proto)
        await closeGracefully(proto)

    react(lambda reactor: defer.ensureDeferred(main(reactor)))
"""

from __future__ import annotations

from typing import Any, Sequence, Union

from twisted.internet import defer
from twisted.internet.interfaces import IProtocolFactory
from twisted.internet.protocol import Factory

from txsctp.endpoints import SCTPClientEndpoint

__all__ = ["connect", "whenSenderDry", "whenClosed", "closeGracefully"]


def _asFactory(protocol: Any) -> IProtocolFactory:
    if IProtocolFactory.providedBy(protocol):
        return protocol
    if callable(protocol):
        return Factory.forProtocol(protocol)
    raise TypeError(
        "protocol must be a protocol factory, a Protocol class or a callable "
        f"returning a Protocol, not {protocol!r}"
    )


def connect(
    reactor: Any,
    host: Union[str, Sequence[str]],
    port: int,
    protocol: Any,
    *,
    timeout: float = 30,
    bindAddress: Any = None,
    **options: Any,
) -> defer.Deferred:
    """
    Open an SCTP association and wait for it to be up.

    @param reactor: the reactor.
    @param host: the peer: one IP literal or a list of its addresses.
    @param port: the peer's SCTP port.
    @param protocol: an C{IProtocolFactory}, or a Protocol class (or any
        callable returning a Protocol) to build one with
        C{Factory.forProtocol}.
    @param timeout: seconds to wait for the association.
    @param bindAddress: local address(es) to bind, as for
        L{txsctp.endpoints.SCTPClientEndpoint}.
    @param options: C{outStreams}, C{inStreams}, C{maxAttempts},
        C{maxMessageSize}, C{tuning}.
    @return: a Deferred firing with the connected Protocol; failing with a
        C{ConnectError} subclass; cancellable.
    """
    try:
        factory = _asFactory(protocol)
        endpoint = SCTPClientEndpoint(
            reactor, host, port, timeout=timeout, bindAddress=bindAddress, **options
        )
    except BaseException:
        return defer.fail()
    return endpoint.connect(factory)


def _transport(protocolOrTransport: Any) -> Any:
    transport = getattr(protocolOrTransport, "transport", None)
    return transport if transport is not None else protocolOrTransport


def whenSenderDry(protocolOrTransport: Any) -> defer.Deferred:
    """
    A Deferred that fires (with C{None}) once every message written so far
    on this association has been sent and acknowledged.

    @param protocolOrTransport: a connected Protocol or its transport.
    """
    return _transport(protocolOrTransport).whenSenderDry()


def whenClosed(protocolOrTransport: Any) -> defer.Deferred:
    """
    A Deferred that fires once the association has ended: with C{None}
    after a clean close, failing with the C{connectionLost} reason
    (C{PeerAbortedError}, C{CommunicationLostError}, C{ConnectionAborted},
    ...) otherwise.

    @param protocolOrTransport: a connected Protocol or its transport.
    """
    return _transport(protocolOrTransport).whenClosed()


def closeGracefully(protocolOrTransport: Any) -> defer.Deferred:
    """
    Send everything queued, then shut the association down gracefully.

    @param protocolOrTransport: a connected Protocol or its transport.
    @return: a Deferred firing with C{None} once the SHUTDOWN has completed,
        or failing with the reason if the association ended otherwise (for
        example aborted by the peer).
    """
    transport = _transport(protocolOrTransport)
    closed = transport.whenClosed()
    transport.loseConnection()
    return closed
