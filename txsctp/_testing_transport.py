"""
The fake transport of L{txsctp.testing}: L{FakeSCTPTransport}, which checks
and records what a Protocol writes (L{SentMessage}) and plays the real
transport's closing, producer and Deferred behaviour in memory.

Private: import these names from L{txsctp.testing}.
"""

from __future__ import annotations

import errno as _errno
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import attr

from zope.interface import implementer

from twisted.internet import error as _twerror
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import (
    IConsumer,
    ILoggingContext,
    IProtocol,
    IPushProducer,
    ITransport,
)
from twisted.logger import Logger
from twisted.python.failure import Failure

from txsctp._addresses import sameTransportAddress
from txsctp._consumer import (
    DEFAULT_BUFFER_SIZE,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_QUEUED_BYTES,
    ProducerRegistration,
    fireClosed,
)
from txsctp._validate import checkBatchSizes, checkMessage, checkPayloads
from txsctp.address import SCTPAddress
from txsctp.errors import (
    AssociationClosedError,
    MessageTooLongError,
    WriteQueueFullError,
)
from txsctp.info import UNORDERED
from txsctp.interfaces import ISCTPTransport, Payload
from txsctp.notifications import DATA_UNSENT, SendFailed
from txsctp.options import AssocState, PRPolicy, PathState, PeerAddrInfo, Status

HostPort = Tuple[str, int]

_log = Logger()

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
        self._dryWaiters: List[Deferred[None]] = []
        self._closeWaiters: List[Deferred[None]] = []
        # Set by SCTPTestPeer: called when reading resumes.
        self._resumeHook: Any = None
        # Set by connectedPair: messages written and not yet moved.
        self._outbox: Optional[List[SentMessage]] = None

    def _attach(self, protocol: IProtocol) -> None:
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
        data: Payload,
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
            raise MessageTooLongError.largerThanSendBuffer(size, self.maxSendSize)
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

    def write(self, data: bytes) -> None:
        """
        Write C{data} as one message on L{defaultStream} with
        L{defaultPPID}; an empty C{data} writes nothing (as with any
        Twisted transport).
        """
        if type(data) is bytes and not data:
            return
        self.writeMessage(data, self.defaultStream, self.defaultPPID)

    def writeSequence(self, iovec: Iterable[bytes]) -> None:
        """
        Write the concatenation of C{iovec} as one message, like C{write}.
        """
        self.write(b"".join(iovec))

    def writeMessages(
        self,
        messages: Iterable[Payload],
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

    def whenSenderDry(self) -> Deferred[None]:
        """
        A Deferred firing with C{None} when the test's peer acknowledges
        what was written (L{SCTPTestPeer.acknowledge}); like the real one it
        waits for that even when nothing is queued, and fails with the
        C{connectionLost} reason if the association ends first.
        """
        d: Deferred[None] = Deferred()
        if self.disconnected:
            d.errback(self.closeReason or Failure(AssociationClosedError("whenSenderDry", self.assocId)))
        else:
            self._dryWaiters.append(d)
        return d

    def whenClosed(self) -> Deferred[None]:
        """
        A Deferred that fires once the association has ended: with C{None}
        after a clean close (C{ConnectionDone}), failing with the
        C{connectionLost} reason otherwise.
        """
        d: Deferred[None] = Deferred()
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

    def _callProtocol(self, method: Callable[..., object], *args: Any) -> None:
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
