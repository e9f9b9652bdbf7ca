"""
Interfaces of txsctp's Twisted layer.

L{ISCTPTransport} is what a Protocol's C{transport} provides on top of
C{ITransport}: per-message writes with stream, PPID and flags, and access to
the association (addresses, paths, status).  L{ISCTPProtocol} lists the
callbacks a Protocol may implement to hear about the association;
L{txsctp.protocol.SCTPProtocol} implements all of them with sensible
defaults.  L{ISCTPListeningPort} adds what an SCTP port can do beyond
C{IListeningPort}.  L{IReactorSCTP} is what C{IReactorTCP} is for TCP: a
reactor that opens SCTP ports and connectors itself (the reactors of
L{txsctp.reactors} provide it; L{txsctp.listenSCTP} and
L{txsctp.connectSCTP} work with any reactor).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Union

from zope.interface import Attribute, Interface

from twisted.internet.interfaces import (
    IConnector,
    IConsumer,
    IListeningPort,
    IProtocol,
    IProtocolFactory,
    IPushProducer,
    ITransport,
)

if TYPE_CHECKING:  # names for annotations only: importing them loads cffi
    from twisted.internet.defer import Deferred
    from twisted.internet.protocol import ClientFactory

    from txsctp.info import RcvInfo
    from txsctp.notifications import (
        AdaptationIndication,
        AssociationChange,
        AssociationReset,
        AuthenticationEvent,
        Notification,
        PartialDeliveryEvent,
        PeerAddressChange,
        RemoteError,
        SendFailed,
        SenderDry,
        Shutdown,
        StreamChange,
        StreamReset,
    )
    from txsctp.options import PeerAddrInfo, Status, Tuning
    from txsctp.sctpsocket import SCTPSocket

Payload = Union[bytes, bytearray, memoryview]
"""
What a message's payload may be: bytes, or a bytearray or memoryview (copied
when written).
"""

HostPort = tuple[str, int]
"""
One transport address: an IP literal and a port.
"""

__all__ = ["HostPort", "IReactorSCTP", "ISCTPListeningPort", "ISCTPProtocol", "ISCTPTransport", "Payload"]


class ISCTPTransport(ITransport, IConsumer, IPushProducer):
    """
    The transport of one SCTP association.

    It is an C{ITransport} (C{write} and C{writeSequence} send each call as
    one message on L{defaultStream} with L{defaultPPID}), an C{IConsumer}
    and an C{IPushProducer}.  SCTP has no half-close, so
    C{loseConnection} ends both directions after sending everything
    queued.
    """

    assocId: int = Attribute("The association's id on its socket (int).")
    outboundStreams: int = Attribute(
        "Outbound streams negotiated (int); writes to a stream at or above it "
        "raise StreamOutOfRangeError at once."
    )
    inboundStreams: int = Attribute("Inbound streams negotiated (int).")
    defaultStream: int = Attribute("Stream used by write() and writeSequence() (int, 0).")
    defaultPPID: int = Attribute("PPID used by write() and writeSequence() (int, host order, 0).")
    maxMessageSize: int = Attribute(
        "Largest message accepted on receive (bytes); a larger one aborts the "
        "association with MessageTooLongError as the reason."
    )
    socket: Any = Attribute(
        "The socket carrying the association (shared with other associations "
        "on a one-to-many port), for socket options: a "
        "L{txsctp.sctpsocket.SCTPSocket} on the kernel stack."
    )

    def writeMessage(
        data: Payload,
        stream: int = 0,
        ppid: int | None = None,
        unordered: bool = False,
        ttl: int | None = None,
        prPolicy: int | None = None,
        prValue: int = 0,
        context: int = 0,
        to: HostPort | None = None,
        sackImmediately: bool = False,
    ) -> None:
        """
        Queue one whole message; it is sent as one SCTP message, never merged
        with or split from another.

        @param data: the payload (bytes-like, non-empty).
        @param stream: stream id, below L{outboundStreams}.
        @param ppid: Payload Protocol Identifier in host byte order
            (C{None}: L{defaultPPID}).
        @param unordered: deliver without regard to stream order.
        @param ttl: PR-SCTP lifetime in ms (C{None}: fully reliable).
        @param prPolicy: a L{txsctp.options.PRPolicy} (overrides C{ttl}).
        @param prValue: the policy's value.
        @param context: opaque value returned in a send-failed notification.
        @param to: C{(host, port)} of one peer address to send to instead of
            the primary path (checked against the peer's current addresses;
            should the peer drop it before the message leaves, the message
            comes back through C{sendFailed} and the association goes on).
        @param sackImmediately: ask the peer to SACK this at once.
        @raise StreamOutOfRangeError: C{stream} is not below
            L{outboundStreams}.
        @raise TypeError: C{data} is not bytes-like.
        @raise ValueError: a value is out of range.
        @raise AddressFamilyError: C{to} is not an IP literal, or is IPv6 on
            an IPv4 socket.
        @raise OSError: C{EADDRNOTAVAIL}: C{to} is not one of the peer's
            addresses.
        @raise AssociationClosedError: the association has closed or is
            closing.
        """

    def writeMessages(
        messages: Iterable[Payload],
        stream: int = 0,
        ppid: int | None = None,
        unordered: bool = False,
        ttl: int | None = None,
        prPolicy: int | None = None,
        prValue: int = 0,
        context: int = 0,
        sackImmediately: bool = False,
    ) -> None:
        """
        Queue several whole messages with the same parameters, in order: the
        same as L{writeMessage} with these parameters for each, but checked
        together first -- if one is refused, none is queued -- and at a
        fraction of the per-message cost (for a sender with many messages
        at hand: a relay's burst, a bulk transfer).  There is no
        destination override: use L{writeMessage} with C{to} for that.

        @param messages: an iterable of bytes-like payloads (each
            non-empty); an empty one queues nothing.
        @param stream: as L{writeMessage}'s, for every message; so are
            C{ppid}, C{unordered}, C{ttl}, C{prPolicy}, C{prValue},
            C{context} and C{sackImmediately}.
        @raise TypeError: C{messages} is one payload rather than an
            iterable of them, or one of them is not bytes-like (the error
            names its index).
        @raise ValueError: a payload is empty (named by index), or a value
            is out of range.
        @raise StreamOutOfRangeError: C{stream} is not below
            L{outboundStreams}.
        @raise MessageTooLongError: a payload is larger than the socket's
            send buffer.
        @raise WriteQueueFullError: the messages together would pass the
            association's C{maxQueuedBytes}.
        @raise AssociationClosedError: the association has closed or is
            closing.
        """

    def getPeerAddresses() -> list[HostPort]:
        """
        Every address of the peer, C{[(host, port), ...]}, primary first.
        """

    def getLocalAddresses() -> list[HostPort]:
        """
        Every local address of the association, C{[(host, port), ...]}.
        """

    def getPathStates() -> dict[HostPort, PeerAddrInfo]:
        """
        The state of each path: C{{(host, port): PeerAddrInfo}}.
        """

    def setPrimaryAddress(address: HostPort) -> None:
        """
        Send to this peer address by default (C{(host, port)}).
        """

    def getStatus() -> Status:
        """
        The association's L{txsctp.options.Status}.
        """

    def peelOff() -> None:
        """
        Move this association of a one-to-many port to a socket of its own,
        keeping the Protocol, the write queue and the order of messages.  A
        no-op error (L{ValueError}) on a one-to-one transport.
        """

    def whenSenderDry() -> Deferred[None]:
        """
        A Deferred that fires (with None) once every message written so far
        has been sent and acknowledged by the peer.
        """

    def whenClosed() -> Deferred[None]:
        """
        A Deferred that fires once the association has ended: with C{None}
        after a clean close, failing with the C{connectionLost} reason
        (C{PeerAbortedError}, C{CommunicationLostError}, ...) otherwise.
        """


class ISCTPProtocol(Interface):
    """
    Callbacks an SCTP Protocol may implement.  All notification callbacks
    receive the typed notification from L{txsctp.notifications}.
    """

    def messageReceived(data: bytes, info: RcvInfo) -> None:
        """
        One whole message arrived.

        @param data: the payload (bytes).
        @param info: its L{txsctp.info.RcvInfo} (C{stream}, C{ppid} in host
            order, C{unordered}, C{ssn}, C{tsn}, C{context}, C{assocId}).
        """

    def notificationReceived(notification: Notification) -> None:
        """
        Any notification for this association; the default implementation
        calls the specific callback below for it.
        """

    def associationUp(notification: AssociationChange) -> None:
        """
        C{COMM_UP}: called right after C{connectionMade}.
        """

    def associationRestarted(notification: AssociationChange) -> None:
        """
        C{RESTART}: the peer restarted; its state is gone (sequence numbers,
        anything in flight), the association continues.
        """

    def associationLost(notification: AssociationChange) -> None:
        """
        C{COMM_LOST}: the association was aborted or failed;
        C{connectionLost} follows.
        """

    def shutdownComplete(notification: AssociationChange) -> None:
        """
        C{SHUTDOWN_COMP}: the graceful shutdown finished; C{connectionLost}
        follows.
        """

    def cannotStartAssociation(notification: AssociationChange) -> None:
        """
        C{CANT_STR_ASSOC}: the association never came up.
        """

    def peerAddressChanged(notification: PeerAddressChange) -> None:
        """
        A peer address (path) changed state: available, unreachable,
        potentially failed, added, removed, made primary, confirmed.
        """

    def sendFailed(notification: SendFailed) -> None:
        """
        A message could not be delivered; C{notification.data} holds it.
        """

    def remoteErrorReceived(notification: RemoteError) -> None:
        """
        The peer sent an ERROR chunk.
        """

    def shutdownReceived(notification: Shutdown) -> None:
        """
        The peer started a graceful shutdown.
        """

    def senderDry(notification: SenderDry) -> None:
        """
        Everything sent has been acknowledged.
        """

    def adaptationIndication(notification: AdaptationIndication) -> None:
        """
        The peer's adaptation layer indication arrived.
        """

    def partialDeliveryAborted(notification: PartialDeliveryEvent) -> None:
        """
        A partially delivered message was aborted by the kernel.
        """

    def authenticationEvent(notification: AuthenticationEvent) -> None:
        """
        SCTP-AUTH key events (new key, key free, no AUTH).
        """

    def streamReset(notification: StreamReset) -> None:
        """
        Streams were reset (RFC 6525).
        """

    def associationReset(notification: AssociationReset) -> None:
        """
        The association's TSNs were reset (RFC 6525).
        """

    def streamChange(notification: StreamChange) -> None:
        """
        The number of streams changed (RFC 6525).
        """

    def unknownNotificationReceived(notification: Notification) -> None:
        """
        A notification of a type txsctp does not know (raw bytes inside).
        """


class ISCTPListeningPort(IListeningPort):
    """
    An SCTP listening port.
    """

    style: str = Attribute("'one-to-one' or 'one-to-many'.")
    socket: Any = Attribute("The listening socket: a L{txsctp.sctpsocket.SCTPSocket} on the kernel stack.")

    def associate(host: str | Sequence[str], port: int, timeout: float | None = 30) -> Deferred[IProtocol]:
        """
        One-to-many ports only: open an association outward from this port's
        socket; its Protocol comes from the port's factory.

        @param host: one address or a list of them (connectx).
        @param port: the peer's port.
        @param timeout: seconds before giving up (C{None}: the kernel's INIT
            retries decide).
        @return: a Deferred firing with the connected Protocol, or failing
            with C{ConnectError} subclasses.
        """

    def getAssociations() -> list[ISCTPTransport]:
        """
        The transports of the associations currently up on this port.
        """


class IReactorSCTP(Interface):
    """
    A reactor that opens SCTP ports and connectors, as C{IReactorTCP} does
    for TCP.

    The parameters are those of the module-level L{txsctp.listenSCTP} and
    L{txsctp.connectSCTP} without their C{reactor}: a reactor providing
    this interface passes itself.  Defaults shown as C{...} are the
    module-level functions' own (L{txsctp._consumer.DEFAULT_MAX_MESSAGE_SIZE},
    L{txsctp._consumer.DEFAULT_MAX_QUEUED_BYTES},
    L{txsctp.options.DEFAULT_TUNING}, L{txsctp.sctpsocket.DEFAULT_EVENTS}).
    """

    def listenSCTP(
        port: int,
        factory: IProtocolFactory,
        interface: str | Sequence[str] = "",
        backlog: int = 128,
        *,
        style: str = "one-to-one",
        outStreams: int | None = None,
        inStreams: int | None = None,
        maxAttempts: int | None = None,
        maxInitTimeout: int | None = None,
        maxMessageSize: int = ...,
        maxAssociations: int | None = None,
        bufferSize: int | None = None,
        maxQueuedBytes: int | None = ...,
        tuning: Tuning | None = ...,
        events: Sequence[int] = ...,
        prepareSocket: Callable[[SCTPSocket], None] | None = None,
        bundle: bool = False,
        stack: str = "kernel",
        udpPort: int | None = None,
        remoteUdpPort: int | None = None,
    ) -> ISCTPListeningPort:
        """
        Listen for SCTP associations: see L{txsctp.listenSCTP}, whose
        parameters these are.

        @param port: the port (0: any free one).
        @param factory: builds one Protocol per association.
        @param interface: C{""} for every local IPv4 address, one IP
            literal, or a list of them bound together (multi-homing).
        @param backlog: listen backlog.
        @param style: C{"one-to-one"} or C{"one-to-many"}.
        @param outStreams: outbound streams to negotiate.
        @param inStreams: most inbound streams to accept.
        @param maxAttempts: INIT retransmissions for outward associations.
        @param maxInitTimeout: largest INIT retransmission timeout, ms.
        @param maxMessageSize: largest message accepted on receive.
        @param maxAssociations: refuse associations beyond this many.
        @param bufferSize: queued bytes above which a producer is paused.
        @param maxQueuedBytes: cap on queued bytes per association.
        @param tuning: socket settings (L{txsctp.options.Tuning}).
        @param events: notification types to subscribe to.
        @param prepareSocket: called with the new socket before it is
            bound.
        @param bundle: fill packets with the small messages of a batch.
        @param stack: C{"kernel"} or C{"userspace"} (usrsctp over UDP).
        @param udpPort: the UDP port to receive on (userspace stack).
        @param remoteUdpPort: the peer's UDP port for outward associations
            (userspace), or to UDP-encapsulate to (kernel).
        @return: the port, already listening.
        @raise twisted.internet.error.CannotListenError: binding or
            listening failed.
        """

    def connectSCTP(
        host: str | Sequence[str],
        port: int,
        factory: ClientFactory,
        timeout: float | None = 30,
        bindAddress: str | tuple[str, int] | Sequence[str | tuple[str, int]] | None = None,
        *,
        outStreams: int | None = None,
        inStreams: int | None = None,
        maxAttempts: int | None = None,
        maxInitTimeout: int | None = None,
        maxMessageSize: int = ...,
        bufferSize: int | None = None,
        maxQueuedBytes: int | None = ...,
        tuning: Tuning | None = ...,
        events: Sequence[int] = ...,
        prepareSocket: Callable[[SCTPSocket], None] | None = None,
        bundle: bool = False,
        stack: str = "kernel",
        udpPort: int | None = None,
        remoteUdpPort: int | None = None,
    ) -> IConnector:
        """
        Connect to an SCTP peer: see L{txsctp.connectSCTP}, whose
        parameters these are.

        @param host: the peer: one address or a list of its addresses.
        @param port: the peer's port.
        @param factory: a C{ClientFactory}; its protocol is built once the
            association is up.
        @param timeout: seconds before giving up (C{None}: the kernel's INIT
            retries decide).
        @param bindAddress: local address(es): a host, C{(host, port)}, or
            a list of them.
        @param outStreams: outbound streams to negotiate.
        @param inStreams: most inbound streams to accept.
        @param maxAttempts: INIT retransmissions.
        @param maxInitTimeout: largest INIT retransmission timeout, ms.
        @param maxMessageSize: largest message accepted on receive.
        @param bufferSize: queued bytes above which a producer is paused.
        @param maxQueuedBytes: cap on queued bytes per association.
        @param tuning: socket settings (L{txsctp.options.Tuning}).
        @param events: notification types to subscribe to.
        @param prepareSocket: called with the new socket before it is
            bound and connected.
        @param bundle: fill packets with the small messages of a batch.
        @param stack: C{"kernel"} or C{"userspace"} (usrsctp over UDP).
        @param udpPort: the local UDP port (userspace stack).
        @param remoteUdpPort: the peer's UDP port (userspace), or to
            UDP-encapsulate to (kernel).
        @return: the connector, connecting.
        @raise txsctp.errors.AddressFamilyError: a malformed or mixed-up
            address list.
        """
