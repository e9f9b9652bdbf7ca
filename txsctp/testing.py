"""
In-memory SCTP for unit tests: drive an SCTP Protocol without a kernel.

This is to txsctp what C{twisted.internet.testing.StringTransport} is to TCP
and C{treq.testing} is to treq: a test double that behaves like the real
transport as far as a Protocol can tell, so that an M3UA ASP, a Diameter
peer or any other L{txsctp.protocol.SCTPProtocol} can be tested
synchronously, with no socket, no reactor and no SCTP kernel.

Three pieces:

  - L{FakeSCTPTransport} provides L{ISCTPTransport}, C{ITransport},
    C{IConsumer} and C{IPushProducer} and records every message written
    through it in L{FakeSCTPTransport.messages} (L{SentMessage} records with
    stream, PPID and flags).  It checks what the real transport checks:
    streams against the negotiated count
    (L{txsctp.errors.StreamOutOfRangeError}), bytes only, no empty
    message, no write once closing
    (L{txsctp.errors.AssociationClosedError}), the queue cap
    (L{txsctp.errors.WriteQueueFullError}).
  - L{SCTPTestPeer} plays the remote end for one Protocol: it brings the
    association up (L{SCTPTestPeer.connect}), injects received messages
    (L{SCTPTestPeer.receiveMessage}) and any notification
    (L{SCTPTestPeer.notify}), and simulates what the network and the peer
    do: restart, path failure and recovery, abort, loss of communication,
    graceful shutdown, failed sends, acknowledgement (the sender going
    dry).
  - L{connectedPair} joins two Protocols through two fake transports; the
    L{SCTPPump} it returns moves messages, shutdowns and aborts between
    them when told to (like C{twisted.test.iosim}).

Example::

    from txsctp.testing import SCTPTestPeer

    def test_answersCER(self):
        proto = DiameterPeer()
        peer = SCTPTestPeer(proto, outboundStreams=2)
        peer.connect()
        peer.receiveMessage(cer.encode(), stream=0, ppid=46)
        [answer] = peer.sent
        self.assertEqual((answer.stream, answer.ppid), (0, 46))

What the Protocol sees is what the real transport gives it, in the same
order: C{makeConnection} then C{associationUp}; the closing notification
(C{associationLost}, C{shutdownComplete}) before C{connectionLost}; the
C{connectionLost} reasons C{ConnectionDone} (graceful close, either side),
C{ConnectionAborted} (local C{abortConnection}),
L{txsctp.errors.PeerAbortedError} (the peer aborted) and
L{txsctp.errors.CommunicationLostError} (the association failed); an
exception raised by a Protocol callback is logged and aborts the
association with that exception as the reason.  txsctp's test suite runs
the same scenarios against this fake and against real kernel associations
so that the two cannot drift apart.  What differs is time: the fake does
everything synchronously, when the test calls it.

This module builds on txsctp's interfaces and value types only; it never
opens a socket.
"""

from __future__ import annotations

import errno as _errno
import struct
from typing import Any, Dict, List, Optional, Sequence, Tuple

import attr
from zope.interface import implementer

from twisted.internet import error as _twerror
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import (
    IConsumer,
    ILoggingContext,
    IPushProducer,
    ITransport,
)
from twisted.logger import Logger
from twisted.python.failure import Failure

from txsctp._addresses import sameTransportAddress
from txsctp.address import SCTPAddress
from txsctp.errors import (
    AssociationClosedError,
    CommunicationLostError,
    MessageTooLongError,
    PeerAbortedError,
    WriteQueueFullError,
)
from txsctp.info import UNORDERED, RcvInfo
from txsctp._consumer import (
    DEFAULT_BUFFER_SIZE,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_QUEUED_BYTES,
    ProducerRegistration,
    fireClosed,
)
from txsctp._validate import checkBatchSizes, checkMessage, checkPayloads
from txsctp.interfaces import ISCTPTransport
from txsctp.notifications import (
    AdaptationIndication,
    AssociationChange,
    AssociationReset,
    AssociationState,
    AuthenticationEvent,
    AuthIndication,
    DATA_SENT,
    DATA_UNSENT,
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
from txsctp.options import AssocState, PathState, PeerAddrInfo, PRPolicy, Status

__all__ = [
    "SentMessage",
    "FakeSCTPTransport",
    "SCTPTestPeer",
    "SCTPPump",
    "connectedPair",
    "ABORT_CAUSE_USER_INITIATED",
]

HostPort = Tuple[str, int]

_log = Logger()

ABORT_CAUSE_USER_INITIATED = 12
"""RFC 9260 error cause "User-Initiated Abort": the cause Linux puts in the
ABORT chunk when an application aborts an association."""

_DEFAULT_BUFFER_SIZE = DEFAULT_BUFFER_SIZE
_DEFAULT_MAX_QUEUED = DEFAULT_MAX_QUEUED_BYTES
_DEFAULT_MAX_MESSAGE = DEFAULT_MAX_MESSAGE_SIZE


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SentMessage:
    """
    One message written to a L{FakeSCTPTransport}, as the real transport
    would have handed it to the kernel.

    @ivar data: the payload (bytes).
    @ivar stream: the stream id.
    @ivar ppid: the Payload Protocol Identifier, host byte order (the
        transport's C{defaultPPID} where none was given).
    @ivar unordered: sent unordered.
    @ivar ttl: the C{ttl} argument (PR-SCTP lifetime in ms), or C{None}.
    @ivar prPolicy: the PR-SCTP policy in force (a
        L{txsctp.options.PRPolicy}; C{TTL} when only C{ttl} was given), or
        C{None} for a fully reliable message.
    @ivar prValue: the policy's value (the TTL for C{TTL}).
    @ivar context: the opaque send context.
    @ivar to: the C{(host, port)} destination override, or C{None}.
    @ivar sackImmediately: the SACK-IMMEDIATELY flag.
    """

    data: bytes
    stream: int = 0
    ppid: int = 0
    unordered: bool = False
    ttl: Optional[int] = None
    prPolicy: Optional[int] = None
    prValue: int = 0
    context: int = 0
    to: Optional[HostPort] = None
    sackImmediately: bool = False


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


@implementer(ISCTPTransport, ITransport, IConsumer, IPushProducer, ILoggingContext)
class FakeSCTPTransport(ProducerRegistration):
    """
    An in-memory transport for one SCTP association.

    Writes are checked as the real transport checks them and recorded in
    L{messages}; nothing goes anywhere unless the transport was joined to
    another one by L{connectedPair}.  Bytes written count as queued
    (L{queuedBytes}) until the test acknowledges them
    (L{SCTPTestPeer.acknowledge}, or an L{SCTPPump} flush): a registered
    streaming producer is paused when they pass L{bufferSize} and resumed
    when they are acknowledged, as the real transport does when its queue
    drains.

    @ivar protocol: the Protocol, once connected.
    @ivar messages: every message written, in order, as L{SentMessage}
        records.
    @ivar assocId: the association id.
    @ivar outboundStreams: negotiated outbound streams.
    @ivar inboundStreams: negotiated inbound streams.
    @ivar defaultStream: stream used by C{write} and C{writeSequence}.
    @ivar defaultPPID: PPID used by C{write}, C{writeSequence} and
        C{writeMessage(ppid=None)}.
    @ivar maxMessageSize: the receive limit: L{SCTPTestPeer.receiveMessage}
        of a longer message aborts the association with
        L{txsctp.errors.MessageTooLongError}, as the real transport does.
    @ivar maxSendSize: the largest message C{writeMessage} accepts (the
        real one's limit is the socket's send buffer), or C{None}.
    @ivar bufferSize: queued bytes above which a registered streaming
        producer is paused.
    @ivar maxQueuedBytes: queued bytes beyond which C{writeMessage} raises
        L{txsctp.errors.WriteQueueFullError} (C{None}: no cap).
    @ivar style: C{"one-to-one"} or C{"one-to-many"}.
    @ivar socket: always C{None}: there is no socket.
    @ivar connected: the association is up.
    @ivar disconnecting: C{loseConnection} was called and the association
        has not ended yet.
    @ivar disconnected: the association has ended (C{connectionLost} was
        delivered).
    @ivar shutdownStarted: the graceful close got as far as the SHUTDOWN
        (C{loseConnection} was called and no producer is registered).
    @ivar aborted: C{abortConnection} was called.
    @ivar closeReason: the Failure given to C{connectionLost}.
    @ivar producer: the registered producer, or C{None}.
    @ivar streamingProducer: whether it is a push producer.
    @ivar producerPaused: the transport paused the registered producer and
        has not resumed it yet.
    @ivar producerState: C{"producing"}, C{"paused"} or C{"stopped"}: what
        was asked of this transport's own reading (C{IPushProducer}).
    @ivar queuedBytes: bytes written and not yet acknowledged.
    @ivar primaryAddress: the primary path's C{(host, port)}.
    @ivar peeledOff: L{peelOff} was called.
    """

    def __init__(
        self,
        hostAddress: Optional[SCTPAddress] = None,
        peerAddress: Optional[SCTPAddress] = None,
        *,
        assocId: int = 1,
        outboundStreams: int = 10,
        inboundStreams: int = 10,
        style: str = "one-to-one",
        maxMessageSize: int = _DEFAULT_MAX_MESSAGE,
        maxSendSize: Optional[int] = None,
        bufferSize: int = _DEFAULT_BUFFER_SIZE,
        maxQueuedBytes: Optional[int] = _DEFAULT_MAX_QUEUED,
    ) -> None:
        """
        @param hostAddress: the local address (default C{127.0.0.1:2905}).
        @param peerAddress: the peer's address (default
            C{127.0.0.2:49152}); its C{addresses} are the peer's paths, the
            first one primary.
        @param assocId: the association id.
        @param outboundStreams: negotiated outbound stream count.
        @param inboundStreams: negotiated inbound stream count.
        @param style: C{"one-to-one"} or C{"one-to-many"} (only
            L{peelOff} cares).
        @param maxMessageSize: see L{maxMessageSize}.
        @param maxSendSize: see L{maxSendSize}.
        @param bufferSize: see L{bufferSize}.
        @param maxQueuedBytes: see L{maxQueuedBytes}.
        """
        if style not in ("one-to-one", "one-to-many"):
            raise ValueError(f"style must be 'one-to-one' or 'one-to-many', not {style!r}")
        if hostAddress is None:
            hostAddress = SCTPAddress("127.0.0.1", 2905)
        if peerAddress is None:
            peerAddress = SCTPAddress("127.0.0.2", 49152)
        self._host = attr.evolve(hostAddress, assocId=assocId)
        self._peer = attr.evolve(peerAddress, assocId=assocId)
        self.protocol: Any = None
        self.assocId = assocId
        self.outboundStreams = outboundStreams
        self.inboundStreams = inboundStreams
        self.defaultStream = 0
        self.defaultPPID = 0
        self.maxMessageSize = maxMessageSize
        self.maxSendSize = maxSendSize
        self.bufferSize = bufferSize
        self.maxQueuedBytes = maxQueuedBytes
        self.style = style
        self.socket = None
        self.messages: List[SentMessage] = []
        self.connected = False
        self.disconnecting = False
        self.disconnected = False
        self.shutdownStarted = False
        self.aborted = False
        self.closeReason: Optional[Failure] = None
        self.producer: Any = None
        self.streamingProducer = False
        self.producerPaused = False
        self.producerState = "producing"
        self.queuedBytes = 0
        self.primaryAddress: HostPort = (self._peer.host, self._peer.port)
        self.peeledOff = False
        self._pathStates: Dict[HostPort, int] = {
            (h, self._peer.port): PathState.ACTIVE for h in self._peer.addresses
        }
        self._dryWaiters: List[Deferred] = []
        self._closeWaiters: List[Deferred] = []
        # Set by SCTPTestPeer: called when reading resumes.
        self._resumeHook: Any = None
        # Set by connectedPair: messages written and not yet moved.
        self._outbox: Optional[List[SentMessage]] = None

    def _attach(self, protocol) -> None:
        """
        Drive C{protocol}.  As with the real transport any Twisted Protocol
        works: one without C{messageReceived} gets each message through
        C{dataReceived}; one without C{notificationReceived} does not hear
        about notifications.
        """
        self.protocol = protocol
        self._messageReceived = getattr(protocol, "messageReceived", None) or (
            lambda data, info: protocol.dataReceived(data))
        self._notificationReceived = getattr(protocol, "notificationReceived", None) or (
            lambda notification: None)

    def __repr__(self) -> str:
        state = "disconnected" if self.disconnected else "connected"
        return f"<FakeSCTPTransport assoc {self.assocId} to {self._peer} {state}>"

    def logPrefix(self) -> str:
        """
        C{ILoggingContext}: the Protocol's class name and the association.
        """
        return f"{type(self.protocol).__name__},{self.assocId},{self._peer.host}"

    # -- writing ------------------------------------------------------------

    def writeMessage(
        self,
        data,
        stream: int = 0,
        ppid: Optional[int] = None,
        unordered: bool = False,
        ttl: Optional[int] = None,
        prPolicy: Optional[int] = None,
        prValue: int = 0,
        context: int = 0,
        to: Optional[HostPort] = None,
        sackImmediately: bool = False,
    ) -> None:
        """
        Check and record one message (see L{ISCTPTransport.writeMessage}).

        @raise AssociationClosedError: the association is closing or closed.
        @raise TypeError: C{data} is not bytes-like, or C{stream} or
            C{ppid} is not an int.
        @raise ValueError: C{data} is empty, or a number is out of range.
        @raise StreamOutOfRangeError: C{stream} is not below
            L{outboundStreams}.
        @raise MessageTooLongError: C{data} is longer than L{maxSendSize}.
        @raise WriteQueueFullError: L{maxQueuedBytes} would be passed.
        """
        if self.disconnected or self.disconnecting:
            raise AssociationClosedError("writeMessage", self.assocId)
        data, stream, ppid, context = checkMessage(
            data, stream, self.defaultPPID if ppid is None else ppid, context, self.outboundStreams)
        size = len(data)
        if self.maxSendSize is not None and size > self.maxSendSize:
            raise MessageTooLongError(
                size, self.maxSendSize, "message (larger than the socket's send buffer)"
            )
        limit = self.maxQueuedBytes
        if limit is not None and self.queuedBytes + size > limit:
            raise WriteQueueFullError(
                f"association {self.assocId}: {self.queuedBytes} bytes already queued, "
                f"a {size}-byte message would pass the {limit}-byte cap"
            )
        if ttl is not None and prPolicy is None:
            prPolicy, prValue = PRPolicy.TTL, ttl
        if prPolicy is not None:
            if prPolicy == PRPolicy.NONE:
                prPolicy, prValue = None, 0
            elif prPolicy not in (PRPolicy.TTL, PRPolicy.RTX, PRPolicy.PRIO):
                raise ValueError(f"prPolicy {prPolicy!r} is not a PRPolicy")
            elif type(prValue) is not int or not 0 <= prValue <= 0xFFFFFFFF:
                raise ValueError(f"prValue {prValue!r} is not an int in 0..4294967295")
            else:
                prPolicy = PRPolicy(prPolicy)
        if to is not None:
            host, port = to
            to = (host, port)
            peers = self.getPeerAddresses()
            if not any(sameTransportAddress(to, p) for p in peers):
                # As the real transport: the kernel would refuse it.
                raise OSError(_errno.EADDRNOTAVAIL, f"writeMessage(to={to!r} is not a peer address of association "
                                                    f"{self.assocId} (its peer addresses: {peers!r}))")
        message = SentMessage(
            data=data,
            stream=stream,
            ppid=ppid,
            unordered=bool(unordered),
            ttl=ttl,
            prPolicy=prPolicy,
            prValue=prValue if prPolicy is not None else 0,
            context=context,
            to=to,
            sackImmediately=bool(sackImmediately),
        )
        self.messages.append(message)
        if self._outbox is not None:
            self._outbox.append(message)
        self.queuedBytes += size
        if (
            self.producer is not None
            and self.queuedBytes > self.bufferSize
            and not self.producerPaused
        ):
            self.producerPaused = True
            self.producer.pauseProducing()

    def write(self, data) -> None:
        """
        Write C{data} as one message on L{defaultStream} with
        L{defaultPPID}; an empty C{data} writes nothing (as with any
        Twisted transport).
        """
        if type(data) is bytes and not data:
            return
        self.writeMessage(data, self.defaultStream, self.defaultPPID)

    def writeSequence(self, iovec) -> None:
        """
        Write the concatenation of C{iovec} as one message, like C{write}.
        """
        self.write(b"".join(iovec))

    def writeMessages(
        self,
        messages,
        stream: int = 0,
        ppid: Optional[int] = None,
        unordered: bool = False,
        ttl: Optional[int] = None,
        prPolicy: Optional[int] = None,
        prValue: int = 0,
        context: int = 0,
        sackImmediately: bool = False,
    ) -> None:
        """
        Check several messages together, then record each as
        L{writeMessage} does (see L{ISCTPTransport.writeMessages}): if one
        is refused, none is recorded.

        @raise AssociationClosedError: the association is closing or closed.
        @raise TypeError: C{messages} is one payload, or one of them is not
            bytes-like.
        @raise ValueError: a payload is empty, or a number is out of range.
        @raise StreamOutOfRangeError: C{stream} is not below
            L{outboundStreams}.
        @raise MessageTooLongError: a payload is longer than L{maxSendSize}.
        @raise WriteQueueFullError: L{maxQueuedBytes} would be passed.
        """
        if self.disconnected or self.disconnecting:
            raise AssociationClosedError("writeMessages", self.assocId)
        datas, sizes = checkPayloads(messages)
        if not datas:
            return
        checkBatchSizes(sizes, self.maxSendSize, self.queuedBytes, self.maxQueuedBytes, self.assocId)
        # The first checks the parameters, shared by all: if it raises,
        # nothing was recorded; the rest cannot fail.
        for data in datas:
            self.writeMessage(data, stream, ppid, unordered, ttl, prPolicy, prValue, context, None, sackImmediately)

    def clear(self) -> None:
        """
        Forget the messages recorded so far.
        """
        del self.messages[:]

    # -- addresses and paths -----------------------------------------------

    def getHost(self) -> SCTPAddress:
        """
        The local L{SCTPAddress}.
        """
        return self._host

    def getPeer(self) -> SCTPAddress:
        """
        The peer's L{SCTPAddress}, as it was when the association came up.
        """
        return self._peer

    def getPeerAddresses(self) -> List[HostPort]:
        """
        Every peer address, C{[(host, port), ...]}, primary first.
        """
        rest = [a for a in self._pathStates if a != self.primaryAddress]
        return [self.primaryAddress] + rest

    def getLocalAddresses(self) -> List[HostPort]:
        """
        Every local address, C{[(host, port), ...]}.
        """
        return [(h, self._host.port) for h in self._host.addresses]

    def getPathStates(self) -> Dict[HostPort, PeerAddrInfo]:
        """
        Each path's L{PeerAddrInfo}; the state is what the test's peer last
        made it (L{SCTPTestPeer.failPath}, L{SCTPTestPeer.recoverPath}, ...).
        """
        return {
            a: PeerAddrInfo(address=a, state=s, cwnd=4380, srtt=1, rto=1000, mtu=65535)
            for a, s in self._pathStates.items()
        }

    def setPrimaryAddress(self, address: HostPort) -> None:
        """
        Make C{address} the primary path.

        @raise ValueError: it is not one of the peer's addresses (the real
            transport raises C{OSError(EINVAL)}, a sibling: catch
            C{(OSError, ValueError)} to handle both).
        """
        address = (address[0], address[1])
        if address not in self._pathStates:
            raise ValueError(f"{address} is not an address of the peer")
        self.primaryAddress = address

    def getStatus(self) -> Status:
        """
        A L{Status} built from the fake's state.
        """
        if self.disconnected:
            state = AssocState.CLOSED
        elif self.shutdownStarted:
            state = AssocState.SHUTDOWN_SENT
        elif self.disconnecting:
            state = AssocState.SHUTDOWN_PENDING
        else:
            state = AssocState.ESTABLISHED
        return Status(
            assocId=self.assocId,
            state=state,
            rwnd=65536,
            unackData=0,
            pendData=self.queuedBytes,
            inStreams=self.inboundStreams,
            outStreams=self.outboundStreams,
            fragmentationPoint=65484,
            primary=self.getPathStates().get(self.primaryAddress),
        )

    def peelOff(self) -> None:
        """
        Record a peel-off: the association now has a socket of its own (it
        becomes one-to-one); the Protocol and the messages stay.

        @raise ValueError: on a one-to-one transport.
        @raise AssociationClosedError: the association has ended.
        """
        if self.disconnected:
            raise AssociationClosedError("peelOff", self.assocId)
        if self.style != "one-to-many":
            raise ValueError(
                "peelOff: only an association of a one-to-many port can be peeled off"
            )
        self.peeledOff = True
        self.style = "one-to-one"

    # -- Deferreds ---------------------------------------------------------

    def whenSenderDry(self) -> Deferred:
        """
        A Deferred firing with C{None} when the test's peer acknowledges
        what was written (L{SCTPTestPeer.acknowledge}); like the real one it
        waits for that even when nothing is queued, and fails with the
        C{connectionLost} reason if the association ends first.
        """
        d: Deferred = Deferred()
        if self.disconnected:
            d.errback(self.closeReason or Failure(AssociationClosedError("whenSenderDry", self.assocId)))
        else:
            self._dryWaiters.append(d)
        return d

    def whenClosed(self) -> Deferred:
        """
        A Deferred that fires once the association has ended: with C{None}
        after a clean close (C{ConnectionDone}), failing with the
        C{connectionLost} reason otherwise.
        """
        d: Deferred = Deferred()
        if self.disconnected:
            self._fireClosed(d)
        else:
            self._closeWaiters.append(d)
        return d

    def _fireClosed(self, d: Deferred) -> None:
        fireClosed(d, self.closeReason)

    # -- closing -----------------------------------------------------------

    def loseConnection(self) -> None:
        """
        Start a graceful close: no more writes; the SHUTDOWN goes out once
        no producer is registered (L{shutdownStarted}).  The test finishes
        the close with L{SCTPTestPeer.completeShutdown} (or an
        L{SCTPPump} flush).
        """
        if self.disconnected or self.disconnecting:
            return
        self.disconnecting = True
        if self.producer is None:
            self.shutdownStarted = True

    def abortConnection(self) -> None:
        """
        Abort at once: messages not yet moved by an L{SCTPPump} come back
        through C{sendFailed}, and C{connectionLost} gets
        C{ConnectionAborted}.  Here (no reactor) that happens inside this
        call; the real transport, like Twisted's TCP, reports it in the next
        reactor turn and delivers nothing in between, so a Protocol must
        not rely on either order.
        """
        if self.disconnected:
            return
        self.aborted = True
        self._lost(Failure(_twerror.ConnectionAborted()))

    def _abortWith(self, reason: Failure) -> None:
        if self.disconnected:
            return
        self.aborted = True
        self._lost(reason)

    def _callProtocol(self, method, *args) -> None:
        try:
            method(*args)
        except Exception:
            f = Failure()
            _log.failure(
                "Unhandled error in {method} of {protocol}", f,
                method=getattr(method, "__name__", method), protocol=self.protocol,
            )
            self._abortWith(f)

    def _lost(self, reason: Failure) -> None:
        if self.disconnected:
            return
        self.disconnected = True
        self.connected = False
        self.disconnecting = False
        self.closeReason = reason
        self.queuedBytes = 0
        unsent: List[SentMessage] = []
        if self._outbox:
            unsent = list(self._outbox)
            del self._outbox[:]
        for m in unsent:
            self._callProtocol(
                self._notificationReceived,
                SendFailed(
                    assocId=self.assocId, flags=DATA_UNSENT, error=0, data=m.data,
                    stream=m.stream, ppid=m.ppid, context=m.context,
                    sendFlags=UNORDERED if m.unordered else 0,
                ),
            )
        if self.producer is not None:
            producer, self.producer = self.producer, None
            self.producerPaused = False
            producer.stopProducing()
        if self.protocol is not None:
            try:
                self.protocol.connectionLost(reason)
            except Exception:
                _log.failure("Unhandled error in connectionLost of {protocol}", protocol=self.protocol)
        waiters, self._closeWaiters = self._closeWaiters, []
        for d in waiters:
            self._fireClosed(d)
        dry, self._dryWaiters = self._dryWaiters, []
        for d in dry:
            d.errback(reason)

    # -- IConsumer -----------------------------------------------------------

    def _bytesQueued(self) -> int:
        return self.queuedBytes

    def unregisterProducer(self) -> None:
        """
        Forget the producer; a pending C{loseConnection} proceeds.
        """
        self.producer = None
        self.producerPaused = False
        if self.disconnecting and not self.disconnected:
            self.shutdownStarted = True

    def _acknowledged(self) -> None:
        self.queuedBytes = 0
        self._queueEmptied()

    # -- IPushProducer (this transport's reading) ----------------------------

    def pauseProducing(self) -> None:
        """
        Stop delivering received messages and notifications; what the test
        injects meanwhile waits, in order.
        """
        if self.disconnected:
            return
        if self.producerState == "producing":
            self.producerState = "paused"

    def resumeProducing(self) -> None:
        """
        Deliver what arrived while paused, and go on delivering.
        """
        if self.disconnected or self.producerState != "paused":
            return
        self.producerState = "producing"
        if self._resumeHook is not None:
            self._resumeHook()

    def stopProducing(self) -> None:
        """
        As the real transport: C{loseConnection}.
        """
        self.producerState = "stopped"
        self.loseConnection()


class SCTPTestPeer:
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
        protocol,
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

    def connect(self):
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

    def failPath(self, address: Optional[HostPort] = None, potentiallyFailed: bool = False):
        """
        A path failed: C{PeerAddressChange(UNREACHABLE)} for C{address}
        (default: the primary), preceded by C{POTENTIALLY_FAILED} if asked
        (RFC 7829, when a PF threshold is set).  Writes keep working, as
        they do on a multi-homed association with another path.

        @return: the L{PeerAddressChange} notifications delivered.
        """
        out = []
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
        C{SCTP_AUTH_NO_AUTH} in C{<netinet/sctp.h>}).
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


class SCTPPump:
    """
    Moves messages between two Protocols joined by L{connectedPair} when
    told to (L{flush}), like C{twisted.test.iosim.IOPump}.

    @ivar client: the client side's L{SCTPTestPeer} (its C{protocol} is the
        client Protocol, its C{transport} the client's transport).
    @ivar server: the server side's L{SCTPTestPeer}.
    """

    def __init__(self, client: SCTPTestPeer, server: SCTPTestPeer) -> None:
        self.client = client
        self.server = server

    def _move(self, src: SCTPTestPeer, dst: SCTPTestPeer) -> bool:
        outbox = src.transport._outbox
        if outbox is None or not outbox or dst.transport.disconnected:
            return False
        while outbox and not dst.transport.disconnected:
            m = outbox.pop(0)
            dst.receiveMessage(m.data, stream=m.stream, ppid=m.ppid, unordered=m.unordered)
        return True

    def _acknowledge(self, src: SCTPTestPeer, dst: SCTPTestPeer) -> bool:
        t = src.transport
        if t.disconnected or t._outbox:
            return False
        if t.queuedBytes or t._dryWaiters:
            src.acknowledge()
            return True
        return False

    def _close(self, src: SCTPTestPeer, dst: SCTPTestPeer) -> bool:
        t = src.transport
        if t.disconnected or not t.shutdownStarted or t._outbox:
            return False
        if dst.transport.disconnected or dst._shutDown:
            return False
        # The SHUTDOWN reaches the peer (SHUTDOWN_EVENT, then SHUTDOWN_COMP
        # when the SHUTDOWN-COMPLETE arrives); the closing side gets
        # SHUTDOWN_COMP once it receives the SHUTDOWN-ACK.  The kernels
        # complete this even if the peer's application is not reading: its
        # notifications then wait with its unread messages.
        dst.shutdown()
        src.completeShutdown()
        return True

    def _abort(self, src: SCTPTestPeer, dst: SCTPTestPeer) -> bool:
        if src.transport.aborted and not dst.transport.disconnected and not dst._aborted:
            dst.abort(ABORT_CAUSE_USER_INITIATED)
            return True
        return False

    def flush(self) -> bool:
        """
        Deliver what both sides wrote, acknowledge it, then carry out any
        close or abort, until nothing moves.  As with kernel SCTP, a side
        whose reading is paused still acknowledges and takes part in
        closes; what it is told waits, in order, until it resumes.

        @return: whether anything moved.
        """
        movedAny = False
        sides = ((self.client, self.server), (self.server, self.client))
        while True:
            moved = False
            for src, dst in sides:
                moved = self._move(src, dst) or moved
            for src, dst in sides:
                moved = self._acknowledge(src, dst) or moved
            for src, dst in sides:
                moved = self._abort(src, dst) or self._close(src, dst) or moved
            if not moved:
                return movedAny
            movedAny = True


def connectedPair(
    serverProtocol,
    clientProtocol,
    *,
    serverAddress: Optional[SCTPAddress] = None,
    clientAddress: Optional[SCTPAddress] = None,
    clientOutStreams: int = 10,
    clientInStreams: int = 65535,
    serverOutStreams: int = 10,
    serverInStreams: int = 65535,
    serverAssocId: int = 1,
    clientAssocId: int = 1,
    bufferSize: int = _DEFAULT_BUFFER_SIZE,
    supportAuth: bool = False,
) -> SCTPPump:
    """
    Join two Protocols by an in-memory association and bring it up: each
    gets C{makeConnection} and C{associationUp}, server first.

    Stream counts are negotiated as SCTP does (RFC 9260 section 5.1.1):
    each side's outbound count is the smaller of what it asks for and what
    the other side accepts (Linux's defaults: 10 out, 65535 in).

    @param serverProtocol: the Protocol playing the server.
    @param clientProtocol: the Protocol playing the client.
    @param serverAddress: the server's address (default
        C{127.0.0.1:2905}).
    @param clientAddress: the client's address (default
        C{127.0.0.1:49152}).
    @param clientOutStreams: outbound streams the client asks for.
    @param clientInStreams: inbound streams the client accepts.
    @param serverOutStreams: outbound streams the server asks for.
    @param serverInStreams: inbound streams the server accepts.
    @param serverAssocId: the association id on the server's side.
    @param clientAssocId: the association id on the client's side.
    @param bufferSize: both transports' producer high-water mark.
    @param supportAuth: both sides use SCTP-AUTH (no
        C{SCTP_AUTH_NO_AUTH} event after C{COMM_UP}).
    @return: the L{SCTPPump}; call its C{flush} to move messages.
    """
    serverAddress = serverAddress or SCTPAddress("127.0.0.1", 2905)
    clientAddress = clientAddress or SCTPAddress("127.0.0.1", 49152)
    cOut = min(clientOutStreams, serverInStreams)
    sOut = min(serverOutStreams, clientInStreams)
    client = SCTPTestPeer(
        clientProtocol, hostAddress=clientAddress, peerAddress=serverAddress,
        assocId=clientAssocId, outboundStreams=cOut, inboundStreams=sOut,
        bufferSize=bufferSize, peerSupportsAuth=supportAuth,
    )
    server = SCTPTestPeer(
        serverProtocol, hostAddress=serverAddress, peerAddress=clientAddress,
        assocId=serverAssocId, outboundStreams=sOut, inboundStreams=cOut,
        bufferSize=bufferSize, peerSupportsAuth=supportAuth,
    )
    client.transport._outbox = []
    server.transport._outbox = []
    server.connect()
    client.connect()
    return SCTPPump(client, server)
