"""
C{listenSCTP} and C{connectSCTP}: what C{reactor.listenTCP} and
C{reactor.connectTCP} are for TCP.  Reactors cannot gain methods, so these
are functions taking an optional reactor (the global one, imported only
when called, by default).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Tuple, Union

from twisted.internet.interfaces import IConnector, IProtocolFactory
from twisted.internet.protocol import ClientFactory

from txsctp._assocoptions import AssociationOptions
from txsctp._connector import Connector
from txsctp._consumer import DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_QUEUED_BYTES
from txsctp._onetomany import OneToManyPort
from txsctp._onetoone import OneToOnePort
from txsctp.interfaces import ISCTPListeningPort
from txsctp.options import DEFAULT_TUNING, Tuning
from txsctp.sctpsocket import DEFAULT_EVENTS, ONE_TO_MANY, ONE_TO_ONE, SCTPSocket

__all__ = ["listenSCTP", "connectSCTP"]


def _reactor(reactor: Any) -> Any:
    if reactor is None:
        from twisted.internet import reactor as globalReactor

        return globalReactor
    return reactor


def listenSCTP(
    port: int,
    factory: IProtocolFactory,
    interface: Union[str, Sequence[str]] = "",
    backlog: int = 128,
    reactor: Any = None,
    *,
    style: str = ONE_TO_ONE,
    outStreams: Optional[int] = None,
    inStreams: Optional[int] = None,
    maxAttempts: Optional[int] = None,
    maxInitTimeout: Optional[int] = None,
    maxMessageSize: int = DEFAULT_MAX_MESSAGE_SIZE,
    maxAssociations: Optional[int] = None,
    bufferSize: Optional[int] = None,
    maxQueuedBytes: Optional[int] = DEFAULT_MAX_QUEUED_BYTES,
    tuning: Optional[Tuning] = DEFAULT_TUNING,
    events: Sequence[int] = DEFAULT_EVENTS,
    prepareSocket: Optional[Callable[[SCTPSocket], None]] = None,
    bundle: bool = False,
) -> ISCTPListeningPort:
    """
    Listen for SCTP associations.

    @param port: the port (0: any free one; C{getHost().port} tells).
    @param factory: builds one Protocol per association.
    @param interface: C{""} for every local IPv4 address (C{"::"} for IPv4
        and IPv6), one IP literal, or a list of them bound together with
        bindx (multi-homing).  Any IPv6 literal makes it an AF_INET6 socket,
        which also serves IPv4 peers.
    @param backlog: listen backlog.
    @param reactor: the reactor (default: the global one); it provides
        C{IReactorFDSet} and C{IReactorTime}, as Twisted's reactors do.
    @param style: C{"one-to-one"} (a socket per association, accepted) or
        C{"one-to-many"} (every association on one socket, demultiplexed by
        association id; associations can then be opened outward with
        C{port.associate(...)}).  Prefer one-to-many for peers that
        reconnect from a fixed port: Linux keeps a one-to-one listener's
        association that ended before it was accepted until its socket is
        closed, and a new association from that port stalls meanwhile
        (docs/reliability.md, "Connect failures").
    @param outStreams: outbound streams to negotiate (kernel default: 10).
    @param inStreams: most inbound streams to accept.
    @param maxAttempts: INIT retransmissions for outward associations.
    @param maxInitTimeout: largest INIT retransmission timeout, ms.
    @param maxMessageSize: largest message accepted on receive; a larger
        one aborts its association (reason L{MessageTooLongError}).
    @param maxAssociations: refuse (abort) associations beyond this many.
    @param bufferSize: queued bytes above which a registered producer is
        paused (resumed at half of it); default: half the socket's
        effective send buffer, between 64 KiB and 1 MiB.
    @param maxQueuedBytes: cap on queued bytes per association; writes past
        it raise L{WriteQueueFullError} (C{None}: no cap).
    @param tuning: socket settings (L{txsctp.options.Tuning}).
    @param events: notification types to subscribe to (the transport
        always adds those it needs: L{txsctp._assocoptions.REQUIRED_EVENTS}).
    @param prepareSocket: called with the new L{SCTPSocket} before it is
        bound: set options that must precede associations (SCTP-AUTH
        chunks and keys, RTO, peer address parameters).
    @param bundle: have the kernel fill packets with the small messages of
        each batch written together (C{MSG_MORE} on all but the last, as
        L{SCTPSocket.sendBatch} with C{bundle=True}), when the send buffer
        is at least 256 KiB.  Off by default: fewer, larger packets leave
        the repair of losses at a receiver that falls behind to timers
        (see the tuning notes).
    @return: an L{ISCTPListeningPort}, already listening.
    @raise CannotListenError: binding or listening failed.
    """
    if style not in (ONE_TO_ONE, ONE_TO_MANY):
        raise ValueError(f"style must be {ONE_TO_ONE!r} or {ONE_TO_MANY!r}, not {style!r}")
    options = AssociationOptions(
        outStreams=outStreams, inStreams=inStreams, maxAttempts=maxAttempts,
        maxInitTimeout=maxInitTimeout, maxMessageSize=maxMessageSize, bufferSize=bufferSize,
        maxQueuedBytes=maxQueuedBytes, tuning=tuning, events=events,
        prepareSocket=prepareSocket, bundle=bundle,
    )
    portClass = OneToManyPort if style == ONE_TO_MANY else OneToOnePort
    p = portClass(port, factory, interface, backlog, _reactor(reactor), options, maxAssociations)
    p.startListening()
    return p


def connectSCTP(
    host: Union[str, Sequence[str]],
    port: int,
    factory: ClientFactory,
    timeout: Optional[float] = 30,
    bindAddress: Union[str, Tuple[str, int], Sequence[Union[str, Tuple[str, int]]], None] = None,
    reactor: Any = None,
    *,
    outStreams: Optional[int] = None,
    inStreams: Optional[int] = None,
    maxAttempts: Optional[int] = None,
    maxInitTimeout: Optional[int] = None,
    maxMessageSize: int = DEFAULT_MAX_MESSAGE_SIZE,
    bufferSize: Optional[int] = None,
    maxQueuedBytes: Optional[int] = DEFAULT_MAX_QUEUED_BYTES,
    tuning: Optional[Tuning] = DEFAULT_TUNING,
    events: Sequence[int] = DEFAULT_EVENTS,
    prepareSocket: Optional[Callable[[SCTPSocket], None]] = None,
    bundle: bool = False,
) -> IConnector:
    """
    Connect to an SCTP peer (a one-to-one socket per association).

    @param host: the peer: one address or a list of its addresses (tried
        together by connectx; names are resolved first).
    @param port: the peer's port.
    @param factory: a C{ClientFactory}; its protocol is built once the
        association is up (C{COMM_UP}).
    @param timeout: seconds before giving up (C{TimeoutError} reaches
        C{clientConnectionFailed}); C{None}: wait for the kernel's INIT
        retries.
    @param bindAddress: local address(es): a host, C{(host, port)}, or a
        list of them (one port), bound with bindx.
    @param reactor: the reactor (default: the global one).
    @param prepareSocket: called with the new L{SCTPSocket} before it is
        bound and connected: set options that must precede the association
        (SCTP-AUTH chunks and keys, RTO, peer address parameters).
    @param bundle: bundle small messages into full packets, as for
        L{listenSCTP}.
    @return: an C{IConnector}, connecting.
    @raise AddressFamilyError: a malformed or mixed-up address list.
    """
    options = AssociationOptions(
        outStreams=outStreams, inStreams=inStreams, maxAttempts=maxAttempts,
        maxInitTimeout=maxInitTimeout, maxMessageSize=maxMessageSize, bufferSize=bufferSize,
        maxQueuedBytes=maxQueuedBytes, tuning=tuning, events=events,
        prepareSocket=prepareSocket, bundle=bundle,
    )
    c = Connector(host, port, factory, timeout, bindAddress, _reactor(reactor), options)
    c.connect()
    return c
