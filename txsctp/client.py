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

from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Tuple, TypeVar, Union, cast, overload

from twisted.internet import defer
from twisted.internet.interfaces import IProtocol, IProtocolFactory
from twisted.internet.protocol import Factory

from txsctp.endpoints import SCTPClientEndpoint
from txsctp.interfaces import ISCTPTransport

if TYPE_CHECKING:
    from typing_extensions import TypedDict, Unpack

    from txsctp.options import Tuning

    class _ConnectOptions(TypedDict, total=False):
        """
        The keyword arguments of L{connect} beyond C{timeout} and
        C{bindAddress}: those of L{SCTPClientEndpoint}.
        """

        outStreams: Optional[int]
        inStreams: Optional[int]
        maxAttempts: Optional[int]
        maxMessageSize: Optional[int]
        bundle: Optional[bool]
        tuning: Optional[Tuning]
        stack: Optional[str]
        udpPort: Optional[int]
        remoteUdpPort: Optional[int]

_ProtocolT = TypeVar("_ProtocolT", bound=IProtocol)

BindAddress = Union[str, Tuple[str, int], Sequence[Union[str, Tuple[str, int]]], None]
"""
Local address(es) to bind before connecting: C{None}, a host, a C{(host,
port)}, or a list of hosts or C{(host, port)} (one port).
"""

__all__ = ["connect", "whenSenderDry", "whenClosed", "closeGracefully"]


def _asFactory(protocol: object) -> IProtocolFactory:
    if IProtocolFactory.providedBy(protocol):
        return protocol
    if callable(protocol):
        return Factory.forProtocol(protocol)
    raise TypeError(
        "protocol must be a protocol factory, a Protocol class or a callable "
        f"returning a Protocol, not {protocol!r}"
    )


@overload
def connect(
    reactor: Any,
    host: Union[str, Sequence[str]],
    port: int,
    protocol: Callable[[], _ProtocolT],
    *,
    timeout: float = 30,
    bindAddress: BindAddress = None,
    **options: Unpack[_ConnectOptions],
) -> defer.Deferred[_ProtocolT]: ...


@overload
def connect(
    reactor: Any,
    host: Union[str, Sequence[str]],
    port: int,
    protocol: IProtocolFactory,
    *,
    timeout: float = 30,
    bindAddress: BindAddress = None,
    **options: Unpack[_ConnectOptions],
) -> defer.Deferred[IProtocol]: ...


def connect(
    reactor: Any,
    host: Union[str, Sequence[str]],
    port: int,
    protocol: Union[IProtocolFactory, Callable[[], IProtocol]],
    *,
    timeout: float = 30,
    bindAddress: BindAddress = None,
    **options: Unpack[_ConnectOptions],
) -> defer.Deferred[Any]:
    """
    Open an SCTP association and wait for it to be up.

    @param reactor: the reactor (it provides C{IReactorFDSet} and
        C{IReactorTime}, as Twisted's reactors do).
    @param host: the peer: one IP literal or a list of its addresses.
    @param port: the peer's SCTP port.
    @param protocol: an C{IProtocolFactory}, or a Protocol class (or any
        callable returning a Protocol) to build one with
        C{Factory.forProtocol}.
    @param timeout: seconds to wait for the association.
    @param bindAddress: local address(es) to bind, as for
        L{txsctp.endpoints.SCTPClientEndpoint}.
    @param options: C{outStreams}, C{inStreams}, C{maxAttempts},
        C{maxMessageSize}, C{bundle}, C{tuning}, and C{stack},
        C{udpPort}, C{remoteUdpPort} (see L{txsctp.connectSCTP}).
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


ProtocolOrTransport = Union[IProtocol, ISCTPTransport]
"""
A connected Protocol (whose C{transport} is an L{ISCTPTransport}) or the
transport itself.
"""


def _transport(protocolOrTransport: ProtocolOrTransport) -> ISCTPTransport:
    transport = getattr(protocolOrTransport, "transport", None)
    # Without a transport of its own, it is the transport.
    return cast(ISCTPTransport, transport if transport is not None else protocolOrTransport)


def whenSenderDry(protocolOrTransport: ProtocolOrTransport) -> defer.Deferred[None]:
    """
    A Deferred that fires (with C{None}) once every message written so far
    on this association has been sent and acknowledged.

    @param protocolOrTransport: a connected Protocol or its transport.
    """
    return _transport(protocolOrTransport).whenSenderDry()


def whenClosed(protocolOrTransport: ProtocolOrTransport) -> defer.Deferred[None]:
    """
    A Deferred that fires once the association has ended: with C{None}
    after a clean close, failing with the C{connectionLost} reason
    (C{PeerAbortedError}, C{CommunicationLostError}, C{ConnectionAborted},
    ...) otherwise.

    @param protocolOrTransport: a connected Protocol or its transport.
    """
    return _transport(protocolOrTransport).whenClosed()


def closeGracefully(protocolOrTransport: ProtocolOrTransport) -> defer.Deferred[None]:
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
