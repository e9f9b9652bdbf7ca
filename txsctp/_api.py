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
from txsctp._kernelstack import KernelStack
from txsctp._onetomany import OneToManyPort
from txsctp._onetoone import OneToOnePort
from txsctp._stack import IStack
from txsctp.interfaces import ISCTPListeningPort
from txsctp.options import DEFAULT_TUNING, Tuning
from txsctp.sctpsocket import DEFAULT_EVENTS, ONE_TO_MANY, ONE_TO_ONE, SCTPSocket

__all__ = ["listenSCTP", "connectSCTP"]


def _reactor(reactor: Any) -> Any:
    if reactor is None:
        from twisted.internet import reactor as globalReactor

        return globalReactor
    return reactor


_PLAIN_KERNEL_STACK = KernelStack()


def _stack(name: str, reactor: Any, udpPort: Optional[int], remoteUdpPort: Optional[int], listening: bool) -> IStack:
    """
    The stack a port or connector asked for by name.  Nothing falls back
    from one stack to the other: their wire formats differ.

    @raise ValueError: an unknown stack, or UDP ports the stack cannot use.
    @raise UserspaceStackUnavailableError: C{"userspace"} where txsctp was
        built without usrsctp.
    """
    if name == "kernel":
        if udpPort is not None:
            raise ValueError(
                "udpPort is for stack='userspace': the kernel receives SCTP over UDP on one "
                "host-wide port, the sysctl net.sctp.udp_port")
        if remoteUdpPort is None:
            # Nothing to configure: one stack serves them all.
            return _PLAIN_KERNEL_STACK
        return KernelStack(remoteUdpPort=remoteUdpPort)
    if name == "userspace":
        # Imported here: without usrsctp this raises the error that names
        # the package to install, and the kernel stack is not affected.
        from txsctp._userspace import DEFAULT_UDP_PORT, UserspaceStack

        if udpPort is None:
            udpPort = DEFAULT_UDP_PORT if listening else 0
        return UserspaceStack(reactor, udpPort, DEFAULT_UDP_PORT if remoteUdpPort is None else remoteUdpPort)
    raise ValueError(f"stack must be 'kernel' or 'userspace', not {name!r}")


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
    stack: str = "kernel",
    udpPort: Optional[int] = None,
    remoteUdpPort: Optional[int] = None,
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
    @param stack: C{"kernel"} (the kernel's SCTP) or C{"userspace"}
        (usrsctp in this process, SCTP carried in UDP, RFC 6951: for hosts
        whose kernel has no SCTP).  Nothing falls back from one to the
        other.
    @param udpPort: C{"userspace"} only: the UDP port to receive on
        (default 9899, the port IANA assigned to SCTP over UDP).
    @param remoteUdpPort: the peer's UDP port for associations this port
        starts with C{associate} (C{"userspace"}, default 9899); with the
        kernel stack, UDP-encapsulate the port's associations to this
        remote UDP port (C{SCTP_REMOTE_UDP_ENCAPS_PORT}; the host must
        receive SCTP over UDP: C{net.sctp.udp_port}).
    @return: an L{ISCTPListeningPort}, already listening.
    @raise CannotListenError: binding or listening failed.
    @raise UserspaceStackUnavailableError: C{stack="userspace"} where
        txsctp was built without usrsctp (the error says what to install).
    """
    if style not in (ONE_TO_ONE, ONE_TO_MANY):
        raise ValueError(f"style must be {ONE_TO_ONE!r} or {ONE_TO_MANY!r}, not {style!r}")
    options = AssociationOptions(
        outStreams=outStreams, inStreams=inStreams, maxAttempts=maxAttempts,
        maxInitTimeout=maxInitTimeout, maxMessageSize=maxMessageSize, bufferSize=bufferSize,
        maxQueuedBytes=maxQueuedBytes, tuning=tuning, events=events,
        prepareSocket=prepareSocket, bundle=bundle,
    )
    reactor = _reactor(reactor)
    portClass = OneToManyPort if style == ONE_TO_MANY else OneToOnePort
    p = portClass(port, factory, interface, backlog, reactor, options, maxAssociations,
                  stack=_stack(stack, reactor, udpPort, remoteUdpPort, listening=True))
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
    stack: str = "kernel",
    udpPort: Optional[int] = None,
    remoteUdpPort: Optional[int] = None,
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
    @param stack: C{"kernel"} or C{"userspace"}, as for L{listenSCTP}.
    @param udpPort: C{"userspace"} only: the local UDP port (default 0, any
        free one).
    @param remoteUdpPort: the peer's UDP port: for C{"userspace"} (default
        9899), and with the kernel stack to UDP-encapsulate the association
        (C{SCTP_REMOTE_UDP_ENCAPS_PORT}; replies arrive on the host's
        C{net.sctp.udp_port}, which must be set).
    @return: an C{IConnector}, connecting.
    @raise AddressFamilyError: a malformed or mixed-up address list.
    @raise UserspaceStackUnavailableError: C{stack="userspace"} where
        txsctp was built without usrsctp.
    """
    # (Positionally: one connectSCTP per association, and keywords would
    # cost a dict per call.)
    options = AssociationOptions(outStreams, inStreams, maxAttempts, maxInitTimeout, maxMessageSize, bufferSize,
                                 maxQueuedBytes, tuning, events, prepareSocket, bundle)
    reactor = _reactor(reactor)
    c = Connector(host, port, factory, timeout, bindAddress, reactor, options,
                  stack=_stack(stack, reactor, udpPort, remoteUdpPort, listening=False))
    c.connect()
    return c
