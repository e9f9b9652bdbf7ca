"""
The test peer of L{txsctp.testing}: L{SCTPTestPeer}, the remote end (peer,
network and kernel) of one in-memory association, and the notifications it
builds as Linux builds them.

Private: import these names from L{txsctp.testing}.
"""

from __future__ import annotations

import struct
from typing import Any, Dict, Generic, List, Optional, Sequence, Tuple, TypeVar

from twisted.internet import error as _twerror
from twisted.internet.interfaces import IProtocol
from twisted.python.failure import Failure

from txsctp._testing_transport import (
    _DEFAULT_BUFFER_SIZE,
    _DEFAULT_MAX_MESSAGE,
    _DEFAULT_MAX_QUEUED,
    FakeSCTPTransport,
    HostPort,
    SentMessage,
)
from txsctp.address import SCTPAddress
from txsctp.errors import (
    CommunicationLostError,
    MessageTooLongError,
    PeerAbortedError,
)
from txsctp.info import UNORDERED, RcvInfo
from txsctp.notifications import (
    DATA_SENT,
    DATA_UNSENT,
    AdaptationIndication,
    AssociationChange,
    AssociationReset,
    AssociationState,
    AuthIndication,
    AuthenticationEvent,
    Notification,
    PartialDeliveryEvent,
    PeerAddressChange,
    PeerAddressState,
    RemoteError,
    SendFailed,
    SenderDry,
    Shutdown,
    StreamChange,
    StreamReset,
    UnknownNotification,
)
from txsctp.options import PathState

ABORT_CAUSE_USER_INITIATED = 12
"""RFC 9260 error cause "User-Initiated Abort": the cause Linux puts in the
ABORT chunk when an application aborts an association."""

def _abortCauses(cause: int) -> bytes:
    """
    What Linux hands over in C{sac_info} of the C{COMM_LOST} an ABORT
    causes: the chunk's error causes (here one, code and length, without a
    payload), without the chunk header.
    """
    return struct.pack("!HH", cause, 4)


def _asBytes(data: Any) -> bytes:
    if type(data) is bytes:
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"data must be bytes, not {type(data).__name__}")

_ProtocolT = TypeVar("_ProtocolT", bound=IProtocol)


class SCTPTestPeer(Generic[_ProtocolT]):
    """
    The remote end of one association, for a Protocol under test.

    It owns a L{FakeSCTPTransport} (L{transport}) and plays everything the
    peer, the network and the kernel would do.  Every method that delivers
    something builds the real L{txsctp.notifications} object and hands it
    to the Protocol's C{notificationReceived}, as the real transport does,
    so that the Protocol's own dispatch (or
    L{txsctp.protocol.SCTPProtocol}'s) is exercised.  While the Protocol
    has paused the transport's reading (C{transport.pauseProducing()})
    everything is held, in order, until it resumes.

    @ivar protocol: the Protocol under test.
    @ivar transport: its L{FakeSCTPTransport}.
    @ivar features: the supported-features bytes of C{COMM_UP}/C{RESTART}.
    @ivar peerSupportsAuth: whether C{connect} leaves out the
        C{SCTP_AUTH_NO_AUTH} event.
    """

    def __init__(
        self,
        protocol: _ProtocolT,
        *,
        hostAddress: Optional[SCTPAddress] = None,
        peerAddress: Optional[SCTPAddress] = None,
        assocId: int = 1,
        outboundStreams: int = 10,
        inboundStreams: int = 10,
        style: str = "one-to-one",
        features: bytes = b"",
        peerSupportsAuth: bool = False,
        maxMessageSize: int = _DEFAULT_MAX_MESSAGE,
        maxSendSize: Optional[int] = None,
        bufferSize: int = _DEFAULT_BUFFER_SIZE,
        maxQueuedBytes: Optional[int] = _DEFAULT_MAX_QUEUED,
    ) -> None:
        """
        @param protocol: the Protocol to drive (C{makeConnection} is called
            by L{connect}).
        @param hostAddress: the Protocol's local address.
        @param peerAddress: the peer's address; several C{addresses} make a
            multi-homed peer (paths).
        @param assocId: the association id.
        @param outboundStreams: the Protocol's negotiated outbound streams.
        @param inboundStreams: the Protocol's negotiated inbound streams.
        @param style: the port's style, C{"one-to-one"} or
            C{"one-to-many"}.
        @param features: the raw supported-features list of C{COMM_UP}
            (C{sac_info}; Linux 6.1 sends none).
        @param peerSupportsAuth: whether the peer uses SCTP-AUTH; if not
            (Linux's default, C{net.sctp.auth_enable=0}), an
            L{AuthenticationEvent} C{SCTP_AUTH_NO_AUTH} follows C{COMM_UP},
            as the kernel sends one.
        @param maxMessageSize: see L{FakeSCTPTransport.maxMessageSize}.
        @param maxSendSize: see L{FakeSCTPTransport.maxSendSize}.
        @param bufferSize: see L{FakeSCTPTransport.bufferSize}.
        @param maxQueuedBytes: see L{FakeSCTPTransport.maxQueuedBytes}.
        """
        self.protocol = protocol
        self.transport = FakeSCTPTransport(
            hostAddress,
            peerAddress,
            assocId=assocId,
            outboundStreams=outboundStreams,
            inboundStreams=inboundStreams,
            style=style,
            maxMessageSize=maxMessageSize,
            maxSendSize=maxSendSize,
            bufferSize=bufferSize,
            maxQueuedBytes=maxQueuedBytes,
        )
        self.transport._attach(protocol)
        self.transport._resumeHook = self._deliverHeld
        self.features = bytes(features)
        self.peerSupportsAuth = peerSupportsAuth
        self._tsn = 1
        self._ssn: Dict[int, int] = {}
        self._held: List[Tuple[str, Any]] = []
        self._aborted = False
        self._shutDown = False

    def __repr__(self) -> str:
        return f"<SCTPTestPeer of {self.protocol!r}>"

    # -- inspection --------------------------------------------------------

    @property
    def sent(self) -> List[SentMessage]:
        """
        The messages the Protocol wrote (L{FakeSCTPTransport.messages}).
        """
        return self.transport.messages

    def takeSent(self) -> List[SentMessage]:
        """
        Return the messages written so far and forget them.
        """
        sent = list(self.transport.messages)
        self.transport.clear()
        return sent

    # -- delivery ----------------------------------------------------------

    def _checkOpen(self, what: str) -> None:
        if self.transport.disconnected:
            raise RuntimeError(f"cannot {what}: the association has ended")
        if not self.transport.connected:
            raise RuntimeError(f"cannot {what}: call connect() first")

    def _deliver(self, kind: str, value: Any) -> None:
        if self.transport.producerState != "producing" or self._held:
            self._held.append((kind, value))
            return
        self._dispatch(kind, value)

    def _dispatch(self, kind: str, value: Any) -> None:
        t = self.transport
        if t.disconnected:
            return
        if kind == "message":
            data, info = value
            t._callProtocol(t._messageReceived, data, info)
        elif kind == "notification":
            t._callProtocol(t._notificationReceived, value)
        elif kind == "notification+lost":
            notification, reason = value
            t._callProtocol(t._notificationReceived, notification)
            t._lost(reason)
        elif kind == "abort":
            t._abortWith(value)
        else:  # "lost"
            t._lost(value)

    def _deliverHeld(self) -> None:
        while self._held and self.transport.producerState == "producing":
            kind, value = self._held.pop(0)
            self._dispatch(kind, value)

    # -- the association ---------------------------------------------------

    def connect(self) -> _ProtocolT:
        """
        Bring the association up: C{makeConnection(transport)}, then an
        L{AssociationChange} C{COMM_UP} with the negotiated stream counts
        (C{associationUp}) and, unless the peer supports AUTH, the
        L{AuthenticationEvent} C{SCTP_AUTH_NO_AUTH} Linux sends next
        (C{authenticationEvent}).

        @return: the Protocol.
        @raise RuntimeError: called twice.
        """
        t = self.transport
        if t.connected or t.disconnected:
            raise RuntimeError("connect() may be called once")
        t.connected = True
        self.protocol.makeConnection(t)
        t._callProtocol(t._notificationReceived, self._assocChange(
            AssociationState.COMM_UP, info=self.features))
        if not self.peerSupportsAuth and not t.disconnected:
            self.notify(AuthenticationEvent(
                assocId=t.assocId, flags=0, keyNumber=0, altKeyNumber=0,
                indication=AuthIndication.NO_AUTH))
        return self.protocol

    def receiveMessage(
        self,
        data: bytes,
        stream: int = 0,
        ppid: int = 0,
        unordered: bool = False,
        *,
        context: int = 0,
    ) -> RcvInfo:
        """
        The peer sent a message: the Protocol's C{messageReceived(data,
        info)} is called (later, if the transport's reading is paused).  A
        message longer than the transport's C{maxMessageSize} aborts the
        association with L{txsctp.errors.MessageTooLongError}, as the real
        transport does.

        @param data: the payload.
        @param stream: its stream, below the inbound stream count.
        @param ppid: its PPID, host byte order.
        @param unordered: sent unordered.
        @param context: the receiving socket's C{SCTP_CONTEXT} value.
        @return: the L{RcvInfo} handed to the Protocol (SSN counted per
            stream and TSN per message, as the kernel counts them).
        @raise ValueError: C{stream} is not below the inbound stream count,
            or C{data} is empty.
        """
        self._checkOpen("receive a message")
        data = _asBytes(data)
        if not data:
            raise ValueError("SCTP cannot carry an empty message")
        if not 0 <= stream < self.transport.inboundStreams:
            raise ValueError(
                f"stream {stream} is beyond the {self.transport.inboundStreams} "
                "inbound streams negotiated"
            )
        if unordered:
            ssn = 0
        else:
            ssn = self._ssn.get(stream, 0)
            self._ssn[stream] = (ssn + 1) & 0xFFFF
        tsn = self._tsn
        self._tsn = (self._tsn + 1) & 0xFFFFFFFF
        info = RcvInfo(
            stream=stream,
            ssn=ssn,
            flags=UNORDERED if unordered else 0,
            ppid=ppid,
            tsn=tsn,
            cumtsn=tsn,
            context=context,
            assocId=self.transport.assocId,
        )
        if len(data) > self.transport.maxMessageSize:
            err = MessageTooLongError(len(data), self.transport.maxMessageSize, "received message")
            self._deliver("abort", Failure(err))
            return info
        self._deliver("message", (data, info))
        return info

    def notify(self, notification: Notification) -> None:
        """
        Deliver any notification (build it from L{txsctp.notifications})
        through the Protocol's C{notificationReceived}.  The transport
        reacts as the real one does: C{COMM_LOST} and C{SHUTDOWN_COMP} end
        the association (C{connectionLost} follows), C{RESTART} and
        L{StreamChange} update the stream counts.
        """
        self._checkOpen("deliver a notification")
        t = self.transport
        if isinstance(notification, AssociationChange):
            if notification.state == AssociationState.SHUTDOWN_COMP:
                self._deliver("notification+lost", (notification, Failure(
                    _twerror.ConnectionDone("the SCTP association was shut down cleanly"))))
                return
            if notification.state in (AssociationState.COMM_LOST, AssociationState.CANT_STR_ASSOC):
                self._deliver("notification+lost", (notification, _lostReason(notification)))
                return
            if notification.state == AssociationState.RESTART:
                t.outboundStreams = notification.outboundStreams or t.outboundStreams
                t.inboundStreams = notification.inboundStreams or t.inboundStreams
        elif isinstance(notification, StreamChange):
            if not (notification.denied or notification.failed):
                t.outboundStreams = notification.outboundStreams or t.outboundStreams
                t.inboundStreams = notification.inboundStreams or t.inboundStreams
        self._deliver("notification", notification)

    def _assocChange(self, state: int, error: int = 0, info: bytes = b"") -> AssociationChange:
        t = self.transport
        # Linux reports the stream counts on COMM_UP and RESTART only.
        up = state in (AssociationState.COMM_UP, AssociationState.RESTART)
        return AssociationChange(
            assocId=t.assocId,
            flags=0,
            state=state,
            error=error,
            outboundStreams=t.outboundStreams if up else 0,
            inboundStreams=t.inboundStreams if up else 0,
            info=info,
        )

    def restart(
        self,
        outboundStreams: Optional[int] = None,
        inboundStreams: Optional[int] = None,
    ) -> AssociationChange:
        """
        The peer restarted (RFC 9260 section 5.2.4): an L{AssociationChange}
        C{RESTART} (C{associationRestarted}); stream sequence numbers start
        again.

        @param outboundStreams: the Protocol's new outbound count, if it
            changed.
        @param inboundStreams: the new inbound count, if it changed.
        @return: the notification delivered.
        """
        self._checkOpen("restart")
        t = self.transport
        n = AssociationChange(
            assocId=t.assocId, flags=0, state=AssociationState.RESTART, error=0,
            outboundStreams=t.outboundStreams if outboundStreams is None else outboundStreams,
            inboundStreams=t.inboundStreams if inboundStreams is None else inboundStreams,
            info=self.features,
        )
        self._ssn.clear()
        self.notify(n)
        return n

    def _path(self, address: Optional[HostPort]) -> HostPort:
        if address is None:
            return self.transport.primaryAddress
        address = (address[0], address[1])
        if address not in self.transport._pathStates:
            raise ValueError(f"{address} is not an address of the peer")
        return address

    def changePath(
        self, state: int, address: Optional[HostPort] = None, error: int = 0
    ) -> PeerAddressChange:
        """
        Deliver a L{PeerAddressChange} (C{peerAddressChanged}) and update
        the transport's paths accordingly.

        @param state: a L{PeerAddressState}.
        @param address: the peer address concerned (default: the primary;
            required for C{ADDED}).
        @param error: the notification's error value.
        @return: the notification delivered.
        """
        self._checkOpen("change a path")
        paths = self.transport._pathStates
        if state == PeerAddressState.ADDED:
            if address is None:
                raise ValueError("an ADDED path needs its address")
            address = (address[0], address[1])
            paths[address] = PathState.ACTIVE
        else:
            address = self._path(address)
        if state in (PeerAddressState.AVAILABLE, PeerAddressState.CONFIRMED):
            paths[address] = PathState.ACTIVE
        elif state == PeerAddressState.UNREACHABLE:
            paths[address] = PathState.INACTIVE
        elif state == PeerAddressState.POTENTIALLY_FAILED:
            paths[address] = PathState.POTENTIALLY_FAILED
        elif state == PeerAddressState.MADE_PRIM:
            self.transport.primaryAddress = address
        elif state == PeerAddressState.REMOVED:
            if len(paths) == 1:
                raise ValueError("cannot remove the peer's last address")
            del paths[address]
            if self.transport.primaryAddress == address:
                self.transport.primaryAddress = next(iter(paths))
        n = PeerAddressChange(
            assocId=self.transport.assocId, flags=0, address=address, state=state, error=error
        )
        self.notify(n)
        return n

    def failPath(self, address: Optional[HostPort] = None,
                 potentiallyFailed: bool = False) -> List[PeerAddressChange]:
        """
        A path failed: C{PeerAddressChange(UNREACHABLE)} for C{address}
        (default: the primary), preceded by C{POTENTIALLY_FAILED} if asked
        (RFC 7829, when a PF threshold is set).  Writes keep working, as
        they do on a multi-homed association with another path.

        @return: the L{PeerAddressChange} notifications delivered.
        """
        out: List[PeerAddressChange] = []
        if potentiallyFailed:
            out.append(self.changePath(PeerAddressState.POTENTIALLY_FAILED, address))
        out.append(self.changePath(PeerAddressState.UNREACHABLE, address))
        return out

    def recoverPath(self, address: Optional[HostPort] = None) -> PeerAddressChange:
        """
        A failed path answers heartbeats again:
        C{PeerAddressChange(AVAILABLE)}.
        """
        return self.changePath(PeerAddressState.AVAILABLE, address)

    def abort(self, cause: int = ABORT_CAUSE_USER_INITIATED) -> Failure:
        """
        The peer aborted: an L{AssociationChange} C{COMM_LOST}
        (C{associationLost}) as Linux builds it (C{info} holds the ABORT's
        error causes, C{error} the first cause code), then
        C{connectionLost} with L{txsctp.errors.PeerAbortedError}.

        @param cause: the ABORT's error cause code.
        @return: the reason given to C{connectionLost}.
        """
        self._aborted = True
        n = self._assocChange(AssociationState.COMM_LOST, error=cause, info=_abortCauses(cause))
        self.notify(n)
        return self.transport.closeReason or _lostReason(n)

    def loseCommunication(self, error: int = 0) -> Failure:
        """
        The association failed without an ABORT (every path passed its
        retransmission limit): C{COMM_LOST} (C{associationLost}), then
        C{connectionLost} with L{txsctp.errors.CommunicationLostError}.

        @return: the reason given to C{connectionLost}.
        """
        self._checkOpen("lose communication")
        for address in self.transport._pathStates:
            self.transport._pathStates[address] = PathState.INACTIVE
        n = self._assocChange(AssociationState.COMM_LOST, error=error)
        self.notify(n)
        return self.transport.closeReason or _lostReason(n)

    def shutdown(self) -> Failure:
        """
        The peer closed gracefully: a L{Shutdown} notification
        (C{shutdownReceived}), then C{SHUTDOWN_COMP} (C{shutdownComplete})
        and C{connectionLost} with C{ConnectionDone}, as Linux reports a
        SHUTDOWN from the peer.

        @return: the reason given to C{connectionLost}.
        """
        self._checkOpen("shut down")
        self._shutDown = True
        self.notify(Shutdown(assocId=self.transport.assocId, flags=0))
        return self._shutdownComplete()

    def _shutdownComplete(self) -> Failure:
        self.notify(self._assocChange(AssociationState.SHUTDOWN_COMP))
        return self.transport.closeReason or Failure(_twerror.ConnectionDone())

    def completeShutdown(self) -> Failure:
        """
        Finish the graceful close the Protocol started with
        C{loseConnection}: C{SHUTDOWN_COMP} (C{shutdownComplete}), then
        C{connectionLost} with C{ConnectionDone}.

        @return: the reason given to C{connectionLost}.
        @raise RuntimeError: the SHUTDOWN was not sent (no
            C{loseConnection}, or a producer is still registered).
        """
        self._checkOpen("complete a shutdown")
        if not self.transport.shutdownStarted:
            raise RuntimeError(
                "the Protocol did not call loseConnection() (or a producer is still registered)"
            )
        self.transport._acknowledged()
        return self._shutdownComplete()

    def failSend(
        self,
        message: Optional[SentMessage] = None,
        error: int = 0,
        sent: bool = False,
    ) -> SendFailed:
        """
        The kernel gave up on a message: a L{SendFailed} notification
        (C{sendFailed}) with its payload, stream, PPID and context.

        @param message: the message (default: the last one written).
        @param error: the notification's error value.
        @param sent: whether it had been put on the wire.
        @return: the notification delivered.
        """
        self._checkOpen("fail a send")
        if message is None:
            if not self.transport.messages:
                raise ValueError("no message was written")
            message = self.transport.messages[-1]
        n = SendFailed(
            assocId=self.transport.assocId,
            flags=DATA_SENT if sent else DATA_UNSENT,
            error=error,
            data=message.data,
            stream=message.stream,
            ppid=message.ppid,
            context=message.context,
            sendFlags=UNORDERED if message.unordered else 0,
        )
        self.notify(n)
        return n

    def acknowledge(self) -> None:
        """
        The peer acknowledged everything written: queued bytes drop to
        zero and a paused streaming producer resumes (a pull producer is
        asked for more).  If C{whenSenderDry()} is waiting, the Protocol
        gets a L{SenderDry} notification (C{senderDry}) and the Deferreds
        fire, as with the real transport, which asks the kernel for that
        event only while someone waits.
        """
        self._checkOpen("acknowledge")
        t = self.transport
        t._acknowledged()
        if t._dryWaiters:
            waiters, t._dryWaiters = t._dryWaiters, []
            self.notify(SenderDry(assocId=t.assocId, flags=0))
            for d in waiters:
                d.callback(None)

    # -- the other notifications, one helper each ----------------------------

    def remoteError(self, cause: int, data: bytes = b"") -> RemoteError:
        """
        The peer sent an ERROR chunk (C{remoteErrorReceived}).

        @param cause: the error cause code, host order.
        @param data: the cause's payload.
        """
        n = RemoteError(assocId=self.transport.assocId, flags=0, error=cause, data=data)
        self.notify(n)
        return n

    def adaptationIndication(self, indication: int) -> AdaptationIndication:
        """
        The peer's adaptation layer indication, RFC 5061
        (C{adaptationIndication}).
        """
        n = AdaptationIndication(
            assocId=self.transport.assocId, flags=0, adaptationIndication=indication
        )
        self.notify(n)
        return n

    def partialDeliveryAborted(self, stream: int = 0, sequence: int = 0) -> PartialDeliveryEvent:
        """
        A partially delivered message was aborted
        (C{partialDeliveryAborted}).
        """
        n = PartialDeliveryEvent(
            assocId=self.transport.assocId, flags=0, indication=0,
            stream=stream, sequence=sequence,
        )
        self.notify(n)
        return n

    def authenticationEvent(
        self, keyNumber: int = 0, indication: int = 0, altKeyNumber: int = 0
    ) -> AuthenticationEvent:
        """
        An SCTP-AUTH key event (C{authenticationEvent}); C{indication} an
        L{AuthIndication} (C{SCTP_AUTH_NEW_KEY}, C{SCTP_AUTH_FREE_KEY} or
        C{SCTP_AUTH_NO_AUTH} in C{<linux/sctp.h>}).
        """
        n = AuthenticationEvent(
            assocId=self.transport.assocId, flags=0, keyNumber=keyNumber,
            altKeyNumber=altKeyNumber, indication=indication,
        )
        self.notify(n)
        return n

    def streamReset(self, streams: Sequence[int] = (), flags: int = 0) -> StreamReset:
        """
        Streams were reset, RFC 6525 (C{streamReset}); C{flags} as the
        kernel sets them (incoming, outgoing, denied, failed); the reset
        incoming streams' sequence numbers start again.
        """
        n = StreamReset(assocId=self.transport.assocId, flags=flags, streams=tuple(streams))
        if n.incoming and not (n.denied or n.failed):
            for s in streams or list(self._ssn):
                self._ssn.pop(s, None)
        self.notify(n)
        return n

    def associationReset(self, localTsn: int = 0, remoteTsn: int = 0, flags: int = 0) -> AssociationReset:
        """
        The association's TSNs were reset, RFC 6525 (C{associationReset}).
        """
        n = AssociationReset(
            assocId=self.transport.assocId, flags=flags, localTsn=localTsn, remoteTsn=remoteTsn
        )
        if remoteTsn and not (n.denied or n.failed):
            self._tsn = remoteTsn
        self.notify(n)
        return n

    def streamChange(
        self, inboundStreams: Optional[int] = None, outboundStreams: Optional[int] = None,
        flags: int = 0,
    ) -> StreamChange:
        """
        The stream counts changed, RFC 6525 add streams (C{streamChange});
        the transport's counts follow unless C{flags} say denied or failed.
        """
        t = self.transport
        n = StreamChange(
            assocId=t.assocId, flags=flags,
            inboundStreams=t.inboundStreams if inboundStreams is None else inboundStreams,
            outboundStreams=t.outboundStreams if outboundStreams is None else outboundStreams,
        )
        self.notify(n)
        return n

    def unknownNotification(self, notificationType: int, raw: bytes = b"") -> UnknownNotification:
        """
        A notification of a type txsctp does not know
        (C{unknownNotificationReceived}).
        """
        n = UnknownNotification(
            assocId=self.transport.assocId, flags=0, notificationType=notificationType,
            raw=raw or struct.pack("=HHI", notificationType, 0, 8),
        )
        self.notify(n)
        return n


def _lostReason(notification: AssociationChange) -> Failure:
    """
    The C{connectionLost} reason the real transport gives for a
    C{COMM_LOST} or C{CANT_STR_ASSOC} (the same computation as
    C{txsctp._transport}'s): the peer aborted when the notification carries
    ABORT data, otherwise communication was lost.
    """
    info = notification.info
    if info:
        cause = 0
        if len(info) >= 4 and info[0] == 6:  # an ABORT chunk header
            info = info[4:]
        if len(info) >= 2:
            cause = int.from_bytes(info[0:2], "big")
        return Failure(PeerAbortedError(cause or notification.error))
    return Failure(CommunicationLostError(notification.error))

