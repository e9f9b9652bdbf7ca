"""
L{SCTPTransport}: one SCTP association as a Protocol's C{transport} sees
it -- a queue of whole messages, flow control, delivery, notifications,
closing.

The transport is the same whatever stack carries the association: it
reaches the stack only through its carrier (L{txsctp._carrier.ICarrier}),
the kernel socket descriptor or the userspace stack's socket, and imports
neither.  Several transports share one carrier on a one-to-many port.

SCTP has no half-close: C{loseConnection} sends everything queued, then a
graceful SHUTDOWN, and the association ends in both directions.

A little over a thousand lines: C{writeMessage}'s fast path, and the
budget that bounds it, sit beside the full checks they stand in for, so
that whoever changes one sees the other.
"""

from __future__ import annotations

import errno
import socket as _stdsocket
import sys
from collections import deque
from itertools import islice, repeat
from typing import Any, Callable, Deque, Dict, Iterable, List, Optional, Sequence, Tuple, Union, cast

from zope.interface import implementer

from twisted.internet import defer, error, interfaces
from twisted.logger import Logger
from twisted.python import failure

from txsctp import _addresses
from txsctp._assembly import MessageAssembler
from txsctp._assocoptions import AssociationOptions
from txsctp._carrier import BATCH_SIZE, ICarrier, reading
from txsctp._consumer import DEFAULT_BUFFER_SIZE, ProducerRegistration, fireClosed
from txsctp._messageformats import unpackMeta
from txsctp._validate import checkBatchSizes, checkMessage, checkPayloads
from txsctp.address import SCTPAddress
from txsctp.errors import (
    AssociationClosedError,
    CommunicationLostError,
    MessageTooLongError,
    PeerAbortedError,
    WriteQueueFullError,
    fromErrno,
)
from txsctp.info import PPID, SACK_IMMEDIATELY, UNORDERED, Message
from txsctp.interfaces import ISCTPTransport, Payload
from txsctp.notifications import (
    DATA_UNSENT,
    AssociationChange,
    AssociationState,
    Notification,
    PartialDeliveryEvent,
    SendFailed,
    SenderDry,
    Shutdown,
    StreamChange,
)
from txsctp.options import PRPolicy, PeerAddrInfo, Status

__all__ = ["SCTPTransport"]

_log = Logger()

_MIN_BUFFER_SIZE = 64 * 1024
_ASSOCIATION_GONE = frozenset((errno.ECONNRESET, errno.ECONNABORTED, errno.ENOTCONN, errno.ETIMEDOUT,
                               errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNREFUSED))
# Seconds to wait for the notification that explains a dead association
# before ending it on the send error alone.
_GONE_GRACE = 2.0
# The types of a PPID that writeMessage's fast path takes as given (None:
# the default PPID); others take the full way, which normalises or refuses.
_FAST_PPID_TYPES = frozenset((type(None), int, PPID))
# A stream or PPID no call passes: the fast path's "last used" when none is.
_NOTHING = object()
# The parameter caches of an association that has not written yet, shared
# by all of them and never written to.
_NO_CACHE: Dict[Any, bytes] = {}


def _lostReason(notification: AssociationChange) -> failure.Failure:
    """
    The C{connectionLost} reason for an association-change notification
    that ends an association.

    A received ABORT shows as error causes in C{sac_info} (see
    L{AssociationChange.abortCauses}); an ABORT without causes as Linux's
    C{ECONNRESET} in C{sac_error} (an errno, which the notification's
    byte-order conversion for cause codes turns around).
    """
    if notification.state == AssociationState.SHUTDOWN_COMP:
        return failure.Failure(error.ConnectionDone("the SCTP association was shut down cleanly"))
    causes = notification.abortCauses
    if causes:
        return failure.Failure(PeerAbortedError(causes[0][0]))
    if notification.info or notification.error in (errno.ECONNRESET, _stdsocket.ntohs(errno.ECONNRESET)):
        return failure.Failure(PeerAbortedError(0))
    return failure.Failure(CommunicationLostError(notification.error))


@implementer(
    ISCTPTransport,
    interfaces.ITransport,
    interfaces.IConsumer,
    interfaces.IPushProducer,
    interfaces.ILoggingContext,
)
class SCTPTransport(ProducerRegistration):
    """
    The transport of one SCTP association.

    @ivar protocol: the Protocol driven by this association.
    @ivar assocId: the association id on its socket.
    @ivar outboundStreams: negotiated outbound streams.
    @ivar inboundStreams: negotiated inbound streams.
    @ivar defaultStream: the stream C{write} uses.
    @ivar defaultPPID: the PPID C{write} uses (host order).
    @ivar maxMessageSize: the largest message accepted on receive.
    @ivar connected: C{True} while the association is up.
    @ivar disconnecting: C{True} once C{loseConnection} was called.
    @ivar disconnected: C{True} once the association has ended.
    """

    # Slots, not a dict: CPython 3.11 specialises neither method lookups on
    # an object whose dict has outgrown its shared keys (30 names) nor reads
    # of class-level defaults, and the transport's hot paths make dozens of
    # both per message; slots also make an idle association smaller.
    __slots__ = (
        "__weakref__", "_handle", "_metaCache", "_fastMeta", "_fastStream", "_fastPPID", "_fastParameters",
        "_fastLimit", "_fastMax", "_fastCeiling", "_interruptions", "reactor", "assocId",
        "protocol", "_outboundStreams", "inboundStreams", "_peer", "_options", "maxMessageSize", "_bufferSize",
        "_maxQueuedBytes",
        "_queue", "_specials", "_queued", "_peerShutdown", "_ending", "_refuseWrites", "_aborting", "_sendBroken",
        "_queuedBytes",
        "_assembler", "connected", "disconnecting", "disconnected", "_shutdownSent", "_readingPaused",
        "_held", "_heldBytes", "_dryWaiters", "_drySubscribed", "_closedWaiters", "_lostReason",
        "logstr", "_messageReceived", "_notificationReceived", "defaultStream", "_defaultPPID",
    )

    def __init__(
        self,
        handle: ICarrier,
        assocId: int,
        protocol: Any,
        outboundStreams: int,
        inboundStreams: int,
        peer: SCTPAddress,
        options: AssociationOptions,
    ) -> None:
        self._handle = handle
        self.defaultStream = 0
        self._defaultPPID = 0
        self.producer = None
        self.streamingProducer = False
        self.producerPaused = False
        # Both caches start as the shared empty one: an association that
        # never writes gets no dict of its own (see _ownCache).
        self._metaCache: Dict[tuple, bytes] = _NO_CACHE
        # writeMessage's fast path: the packed parameters of each plain
        # (stream, ppid as given) checked before, those of the last one used
        # (compared by identity, the cheapest test), and the limits of the
        # budget the last full check worked out (see _budget).
        self._fastMeta: Dict[Tuple[int, Optional[int]], bytes] = _NO_CACHE
        self._fastStream: object = _NOTHING
        self._fastPPID: object = _NOTHING
        self._fastParameters = b""
        self._fastLimit = 0
        self._fastMax = 0
        self._fastCeiling = 0
        self.reactor = handle.reactor
        self.assocId = assocId
        self.protocol = protocol
        self._outboundStreams = outboundStreams
        self.inboundStreams = inboundStreams
        self._peer = peer
        self._options = options
        self.maxMessageSize = options.maxMessageSize
        # The high-water mark follows the kernel's send buffer unless set:
        # a tuned host's 2 MiB keeps bulk senders' batches full, a default
        # host's 208 KiB keeps a stalled association from queueing seconds
        # of small messages here.
        self._bufferSize = options.bufferSize or 0
        self._maxQueuedBytes = options.maxQueuedBytes
        # Queued messages: (payload, packed parameters, payload size), and
        # the destination as a fourth item for a destination override.
        self._queue: Deque[tuple] = deque()
        # Queued entries with a destination override, which go out one by
        # one: while there are none, a batch is a plain slice.
        self._specials = 0
        self._queued = False
        self._peerShutdown = False
        self._ending = False
        # Set, and never cleared, with any of disconnecting, disconnected,
        # _peerShutdown and _ending: writeMessage reads one flag, not four.
        self._refuseWrites = False
        # abortConnection() was called: the end is reported in the next
        # reactor turn, and nothing is delivered before it.
        self._aborting = False
        self._sendBroken: Optional[OSError] = None
        self._queuedBytes = 0
        self._assembler: Optional[MessageAssembler] = None
        self.connected = True
        self.disconnecting = False
        self.disconnected = False
        self._shutdownSent = False
        self._readingPaused = False
        # Counts what may stop a message going straight to messageReceived
        # (reading paused, something held, aborting, ended): a carrier
        # delivering a batch compares it, not the four, per message.
        self._interruptions = 0
        # Messages and notifications held back while the Protocol does not
        # read: an empty tuple until the first one, then a deque (an idle
        # association does not carry an empty deque's ~600 bytes).
        self._held: Union[Deque[Union[Message, Notification]], Tuple[()]] = ()
        self._heldBytes = 0
        self._dryWaiters: List[defer.Deferred] = []
        self._drySubscribed = False
        self._closedWaiters: List[defer.Deferred] = []
        self._lostReason: Optional[failure.Failure] = None
        self.logstr = f"{type(protocol).__name__},{assocId},{peer.host}"
        # Any Twisted Protocol works: one without messageReceived gets each
        # message through dataReceived; one without notificationReceived
        # does not hear about notifications.
        self._messageReceived = getattr(protocol, "messageReceived", None) or (
            lambda data, info: protocol.dataReceived(data))
        self._notificationReceived = getattr(protocol, "notificationReceived", None) or (
            lambda notification: None)

    @classmethod
    def _forAssociation(cls, carrier: ICarrier, notification: AssociationChange, protocol: Any, peer: SCTPAddress,
                       options: AssociationOptions) -> "SCTPTransport":
        """
        The transport of the association that C{notification} (its
        C{COMM_UP}) brought up on C{carrier}, with the stream counts it
        negotiated; L{_start} connects C{protocol} to it.
        """
        return cls(carrier, notification.assocId, protocol, notification.outboundStreams,
                   notification.inboundStreams, peer, options)

    def _start(self, notification: AssociationChange) -> None:
        """
        Connect the Protocol (C{makeConnection}), then give it the
        C{COMM_UP} notification (C{associationUp}).
        """
        self.protocol.makeConnection(self)
        self._callProtocol(self._notificationReceived, notification)

    # -- ILoggingContext ------------------------------------------------

    def logPrefix(self) -> str:
        return self.logstr

    def __repr__(self) -> str:
        state = "disconnected" if self.disconnected else "connected"
        return f"<SCTPTransport assoc {self.assocId} to {self._peer} {state}>"

    # -- addresses and association state ----------------------------------

    @property
    def socket(self) -> Any:
        """
        The socket carrying this association, for socket options: an
        L{SCTPSocket<txsctp.sctpsocket.SCTPSocket>} on the kernel stack.
        """
        return self._handle.socket

    def getHost(self) -> SCTPAddress:
        """
        This end's addresses for the association.
        """
        return self._handle.hostAddress(self.assocId)

    def getPeer(self) -> SCTPAddress:
        """
        The peer's addresses (read when the association came up; see
        L{getPeerAddresses} for the current list).
        """
        return self._peer

    def getLocalAddresses(self) -> List[Tuple[str, int]]:
        """
        This end's addresses in the association, read from the stack now.
        """
        return self._handle.localAddresses(self.assocId)

    def getPeerAddresses(self) -> List[Tuple[str, int]]:
        """
        The peer's addresses (its paths), read from the stack now: they
        change when the peer adds or removes addresses (ASCONF).
        """
        return self._handle.peerAddresses(self.assocId)

    def getPathStates(self) -> Dict[Tuple[str, int], PeerAddrInfo]:
        """
        C{{(host, port): PeerAddrInfo}} for every path.
        """
        handle = self._handle
        assocId = self.assocId
        return {addr: handle.pathState(addr, assocId) for addr in handle.peerAddresses(assocId)}

    def setPrimaryAddress(self, address: Tuple[str, int]) -> None:
        """
        Send to the peer's C{address} by default (C{SCTP_PRIMARY_ADDR}).

        @raise OSError: C{address} is not one of the peer's (the stack refuses it).
        """
        self._handle.setPrimaryAddress(address, self.assocId)

    def getStatus(self) -> Status:
        """
        The association's C{SCTP_STATUS}: state, windows, stream counts and
        primary path (a L{txsctp.options.Status}).
        """
        return self._handle.status(self.assocId)

    @property
    def outboundStreams(self) -> int:
        """
        The association's outbound stream count (negotiated; changed by a
        restart or a stream change).
        """
        return self._outboundStreams

    @outboundStreams.setter
    def outboundStreams(self, count: int) -> None:
        if count != self._outboundStreams:
            # writeMessage checked each cached parameter set's stream
            # against the old count.
            self._metaCache.clear()
            self._forgetFastParameters()
        self._outboundStreams = count

    @property
    def defaultPPID(self) -> int:
        """
        The PPID of C{write}, C{writeSequence}, and C{writeMessage} without
        one (host order).
        """
        return self._defaultPPID

    @defaultPPID.setter
    def defaultPPID(self, ppid: int) -> None:
        # Parameters cached for "no PPID given" carry the old one.
        self._forgetFastParameters()
        self._defaultPPID = ppid

    @property
    def maxQueuedBytes(self) -> Optional[int]:
        """
        Queued bytes beyond which C{writeMessage} raises
        L{WriteQueueFullError} (C{None}: no cap).
        """
        return self._maxQueuedBytes

    @maxQueuedBytes.setter
    def maxQueuedBytes(self, limit: Optional[int]) -> None:
        self._maxQueuedBytes = limit
        self._closeFastPath()

    @property
    def bufferSize(self) -> int:
        """
        Queued bytes above which a registered producer is paused: the
        port's or connector's C{bufferSize}, else half the kernel's send
        buffer within 64 KiB..1 MiB (read when first needed).
        """
        if not self._bufferSize:
            self._bufferSize = max(_MIN_BUFFER_SIZE, min(DEFAULT_BUFFER_SIZE, self._handle.maxSendSize // 2))
        return self._bufferSize

    @bufferSize.setter
    def bufferSize(self, size: int) -> None:
        self._bufferSize = size
        self._closeFastPath()

    # -- writing ----------------------------------------------------------

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
        to: Optional[Tuple[str, int]] = None,
        sackImmediately: bool = False,
    ) -> None:
        """
        Queue one whole message.  See L{ISCTPTransport.writeMessage}.
        """
        # The usual message -- bytes on a stream and PPID already checked,
        # nothing else -- queued with no other check while it stays within
        # the budget the last full check worked out (see _budget).
        queue = self._queue
        if (len(queue) < self._fastLimit and type(data) is bytes and to is None and ttl is None
                and prPolicy is None and not (unordered or context or sackImmediately)):
            meta: Optional[bytes]
            if stream is self._fastStream and ppid is self._fastPPID:
                meta = self._fastParameters
            elif type(stream) is int and type(ppid) in _FAST_PPID_TYPES:
                meta = self._fastMeta.get((stream, ppid))
                if meta is not None:
                    self._fastStream = stream
                    self._fastPPID = ppid
                    self._fastParameters = meta
            else:
                meta = None
            size = len(data)
            queued = self._queuedBytes + size
            if meta is not None and 0 < size <= self._fastMax and queued <= self._fastCeiling:
                queue.append((data, meta, size))
                self._queuedBytes = queued
                if not self._queued:
                    self._handle.scheduleFlush(self)
                return
        self._write(data, stream, ppid, unordered, ttl, prPolicy, prValue, context, to, sackImmediately)

    def _write(self, data: Payload, stream: int, ppid: Optional[int], unordered: bool, ttl: Optional[int],
               prPolicy: Optional[int], prValue: int, context: int, to: Optional[Tuple[str, int]],
               sackImmediately: bool) -> None:
        """
        L{writeMessage} with every check: the types and ranges of its
        arguments, the message size, the queue's cap, the flush to
        schedule, the producer to pause; then the budget for the fast path.
        """
        if self._refuseWrites:
            raise AssociationClosedError("writeMessage", self.assocId)
        plain = (to is None and ttl is None and prPolicy is None and not (unordered or context or sackImmediately)
                 and type(stream) is int and type(ppid) in _FAST_PPID_TYPES)
        given = ppid
        if ppid is None:
            ppid = self._defaultPPID
        if (data.__class__ is not bytes or not data or stream.__class__ is not int
                or ppid.__class__ is not int or context.__class__ is not int):
            # Anything but plain bytes and ints: the shared checks
            # normalise it or raise.
            data, stream, ppid, context = checkMessage(data, stream, ppid, context, self._outboundStreams)
        size = len(data)
        handle = self._handle
        if size > (handle._maxSendSize or handle._readMaxSendSize()):
            raise MessageTooLongError.largerThanSendBuffer(size, handle.maxSendSize, hint=handle.sendBufferHint)
        queued = self._queuedBytes + size
        limit = self._maxQueuedBytes
        if limit is not None and queued > limit:
            raise WriteQueueFullError(
                f"association {self.assocId}: {self._queuedBytes} bytes already queued, "
                f"a {size}-byte message would pass the {limit}-byte cap"
            )
        meta = self._packParameters(data, stream, ppid, context, unordered, sackImmediately, ttl, prPolicy,
                                    prValue)
        if plain:
            fast = self._fastMeta
            if fast is _NO_CACHE:
                fast = self._fastMeta = {}
            elif len(fast) >= 1024:
                fast.clear()
            fast[stream, given] = meta
            self._fastStream = stream
            self._fastPPID = given
            self._fastParameters = meta
        queue = self._queue
        if to is None:
            queue.append((data, meta, size))
        else:
            destination = _addresses.normalizeAddresses([to])[0]
            # Checked here: at flush time the error would reach the port,
            # and the kernel's refusal would end the association.
            _addresses.checkFamilies(handle.addressFamily, [destination])
            peers = handle.peerAddresses(self.assocId)
            if not any(_addresses.sameTransportAddress(destination, p) for p in peers):
                raise fromErrno(errno.EADDRNOTAVAIL, "writeMessage",
                                f"to={destination!r} is not a peer address of association {self.assocId} "
                                f"(its peer addresses: {peers!r})")
            queue.append((data, meta, size, destination))
            self._specials += 1
        self._queuedBytes = queued
        if not self._queued:
            handle.scheduleFlush(self)
        elif not reading.depth and len(queue) % BATCH_SIZE == 1 and len(queue) > 1 and not self.producerPaused:
            # A bulk writer outside any read: a full batch is queued ahead
            # of this message (tried once per batch written, not per
            # message while the kernel is full).
            handle.sendAhead(self)
        # _bufferSize holds the high-water mark once known (the property
        # works out the default on first use).
        if (self._queuedBytes > (self._bufferSize or self.bufferSize)
                and self.producer is not None and not self.producerPaused):
            self.producerPaused = True
            self.producer.pauseProducing()
        self._budget()

    def _budget(self) -> None:
        """
        Work out the limits within which L{writeMessage} may queue a plain
        message with no check but its arguments': the queue's length, up to
        the message that is the next to hand a full batch to the stack
        ahead of the flush; the largest message the send buffer takes; the
        queued bytes allowed by the queue's cap and (with a producer that
        is not paused) the high-water mark.  None once writes are refused.
        Whatever lowers a limit or changes what the high-water mark means
        (a producer registered, paused or resumed) closes the fast path
        with L{_closeFastPath}, and the next message takes the full way,
        which works out a new budget.
        """
        if self._refuseWrites:
            self._fastLimit = 0
            return
        handle = self._handle
        ceiling = self._maxQueuedBytes
        if self.producer is not None and not self.producerPaused:
            mark = self._bufferSize or self.bufferSize
            ceiling = mark if ceiling is None else min(ceiling, mark)
        n = len(self._queue)
        # The message that makes the queue one more than a multiple of
        # BATCH_SIZE long goes the full way: it may send a batch ahead.
        self._fastLimit = n + ((1 - n) % BATCH_SIZE or BATCH_SIZE) - 1
        self._fastMax = handle._maxSendSize or handle._readMaxSendSize()
        self._fastCeiling = sys.maxsize if ceiling is None else ceiling

    def _closeFastPath(self) -> None:
        """
        Send the next plain message the full way (see L{_budget}).
        """
        self._fastLimit = 0

    def _forgetFastParameters(self) -> None:
        """
        Forget the packed parameters the fast path has cached: what they
        were packed from has changed.
        """
        self._fastMeta.clear()
        self._fastStream = self._fastPPID = _NOTHING

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
        Queue several whole messages with the same parameters, in order,
        checked together before any is queued.  See
        L{ISCTPTransport.writeMessages}.
        """
        if self._refuseWrites:
            raise AssociationClosedError("writeMessages", self.assocId)
        datas, sizes = checkPayloads(messages)
        if not datas:
            return
        if ppid is None:
            ppid = self._defaultPPID
        # The parameters, checked and normalised as writeMessage's are.
        _, stream, ppid, context = checkMessage(datas[0], stream, ppid, context, self._outboundStreams)
        handle = self._handle
        queued = self._queuedBytes + checkBatchSizes(sizes, handle._maxSendSize or handle._readMaxSendSize(),
                                                     self._queuedBytes, self._maxQueuedBytes, self.assocId,
                                                     handle.sendBufferHint)
        meta = self._packParameters(datas[0], stream, ppid, context, unordered, sackImmediately,
                                    ttl, prPolicy, prValue)
        queue = self._queue
        queue.extend(zip(datas, repeat(meta), sizes))
        self._queuedBytes = queued
        self._closeFastPath()
        if not self._queued:
            handle.scheduleFlush(self)
        if not reading.depth and not self.producerPaused:
            # Outside any read, as writeMessage does for a bulk writer:
            # every full batch queued ahead of the last message goes to
            # the kernel now (until it is full), the rest with the flush.
            length = len(queue)
            while length > BATCH_SIZE:
                handle.sendAhead(self)
                if len(queue) == length:
                    break
                length = len(queue)
        if (self._queuedBytes > (self._bufferSize or self.bufferSize)
                and self.producer is not None and not self.producerPaused):
            self.producerPaused = True
            self.producer.pauseProducing()

    def _packParameters(self, data: bytes, stream: int, ppid: int, context: int, unordered: object,
                        sackImmediately: object, ttl: Optional[int], prPolicy: Optional[int],
                        prValue: object) -> bytes:
        """
        The packed parameters of a message: checked (ranges, partial
        reliability) and packed once per distinct set, then cached.

        @raise ValueError: a value out of range or of the wrong type.
        """
        flags = (UNORDERED if unordered else 0) | (SACK_IMMEDIATELY if sackImmediately else 0)
        if ttl is not None and prPolicy is None:
            prPolicy, prValue = PRPolicy.TTL, ttl
        if prPolicy is not None and prPolicy != PRPolicy.NONE:
            if prPolicy not in (PRPolicy.TTL, PRPolicy.RTX, PRPolicy.PRIO):
                raise ValueError(f"prPolicy {prPolicy!r} is not a PRPolicy")
            if type(prValue) is not int or not 0 <= prValue <= 0xFFFFFFFF:
                raise ValueError(f"prValue {prValue!r} is not an int in 0..4294967295")
            prPolicy = int(prPolicy)
        else:
            prPolicy = prValue = 0
        cache = self._metaCache
        normalised = (stream, ppid, flags, context, prPolicy, prValue)
        meta = cache.get(normalised)
        if meta is None:
            # The cache is emptied when the stream count changes.
            if not (0 <= stream < self._outboundStreams and 0 <= ppid <= 0xFFFFFFFF
                    and 0 <= context <= 0xFFFFFFFF):
                checkMessage(data, stream, ppid, context, self._outboundStreams)
            meta = self._handle.packParameters(stream, ppid, flags, self.assocId, context, prPolicy, prValue)
            if cache is _NO_CACHE:
                cache = self._metaCache = {}
            elif len(cache) >= 1024:
                cache.clear()
            cache[normalised] = meta
        return meta

    def _refuseFurtherWrites(self) -> None:
        """
        From now on every write raises L{AssociationClosedError}.
        """
        self._refuseWrites = True
        self._closeFastPath()

    def write(self, data: bytes) -> None:
        """
        Queue C{data} as one message on L{defaultStream} with
        L{defaultPPID}; an empty C{data} writes nothing (as with any
        Twisted transport: SCTP has no empty messages).
        """
        if type(data) is bytes and not data:
            return
        self.writeMessage(data, self.defaultStream, self._defaultPPID)

    def writeSequence(self, iovec: Iterable[bytes]) -> None:
        """
        Queue the concatenation of C{iovec} as one message (as
        C{ITransport.writeSequence} is C{write} of the joined bytes).
        """
        self.write(b"".join(iovec))

    def _sent(self, count: int, sizes: Optional[Sequence[int]] = None) -> None:
        """
        C{count} messages from the front of the queue were accepted by the
        kernel.

        @param sizes: the sizes of (at least) those messages, if the caller
            has them at hand from a L{_plainBatch} (saves reading each entry
            again).
        """
        queue = self._queue
        if count == len(queue):
            queue.clear()
            self._queuedBytes = 0
            self._specials = 0
        elif sizes is not None:
            popleft = queue.popleft
            for _ in repeat(None, count):
                popleft()
            self._queuedBytes -= sum(sizes[:count])
        else:
            popleft = queue.popleft
            freed = 0
            for _ in repeat(None, count):
                entry = popleft()
                freed += entry[2]
                if len(entry) == 4:
                    self._specials -= 1
            self._queuedBytes -= freed
        if self.producerPaused and self._queuedBytes <= self.bufferSize >> 1 and self.streamingProducer:
            # Resume at the low-water mark, so the producer refills the
            # queue while the kernel still has data to send.
            self.producerPaused = False
            self._closeFastPath()  # the high-water mark bounds the budget again
            self.producer.resumeProducing()
        if not queue:
            self._queueDrained()

    def _plainBatch(self) -> Optional[Tuple[Sequence[bytes], Sequence[bytes], Sequence[int]]]:
        """
        The payloads, packed parameters and sizes of the first (up to) 64
        queued messages, sliced out in C, when none queued has a
        destination override; else C{None} (the caller walks the queue
        entry by entry).
        """
        if self._specials or not self._queue:
            return None
        return tuple(zip(*islice(self._queue, BATCH_SIZE)))  # type: ignore[return-value]

    def _queueDrained(self) -> None:
        if self.producerPaused:
            self._closeFastPath()  # resumed below: the high-water mark bounds the budget again
        self._queueEmptied()
        if self._queue:
            return
        if self.disconnecting and self.producer is None and not self._shutdownSent:
            self._startShutdown()
        if self._dryWaiters and not self._drySubscribed:
            self._subscribeDry()

    def _destinationRefused(self, err: OSError) -> None:
        """
        The kernel refused the destination override of the message at the
        front of the queue: report it as not sent (a C{SendFailed} with
        C{SCTP_DATA_UNSENT} and the error), keep the association.
        """
        entry = self._queue[0]
        self._sent(1)
        self._reportUnsent(entry, err.errno or 0)

    def _sendFailedOnWrite(self, err: OSError) -> None:
        """
        The kernel refused this association's next message with an error
        other than "try again".  After the peer's SHUTDOWN (EPIPE,
        ESHUTDOWN) nothing more can be sent but the shutdown completes by
        itself: report what is queued as not sent.  Anything else makes the
        association unusable: abort it.
        """
        if err.errno in (errno.EPIPE, errno.ESHUTDOWN):
            self._peerShutdown = True
            self._refuseFurtherWrites()
            self._discardQueue(err.errno)
            return
        if err.errno in _ASSOCIATION_GONE:
            # The association died (the kernel tells the sender first); its
            # COMM_LOST notification is queued for the reader and carries
            # the real reason.  Stop sending; end it here only if that
            # notification somehow never comes.
            if self._sendBroken is None:
                self._sendBroken = err
                self.reactor.callLater(_GONE_GRACE, self._sendBrokenTimeout)
            return
        _log.failure("SCTP send failed on association {assocId}", failure.Failure(err), assocId=self.assocId)
        self._abortWith(failure.Failure(err))

    def _sendBrokenTimeout(self) -> None:
        if not self.disconnected and self._sendBroken is not None:
            self._abortWith(failure.Failure(self._sendBroken))

    def _discardQueue(self, err: int) -> None:
        """
        Report every queued message to the Protocol as not sent (a
        C{SendFailed} with C{SCTP_DATA_UNSENT}) and empty the queue.
        """
        unsent = list(self._queue)
        self._queue.clear()
        self._queuedBytes = 0
        self._specials = 0
        for entry in unsent:
            self._reportUnsent(entry, err)

    def _reportUnsent(self, entry: tuple, err: int) -> None:
        """
        Tell the Protocol that one queued message was not sent.
        """
        ppid, context, _, _, stream, flags, _ = unpackMeta(entry[1])
        note = SendFailed(
            assocId=self.assocId, flags=DATA_UNSENT, error=err, data=entry[0],
            stream=stream, ppid=ppid, context=context, sendFlags=flags,
        )
        self._callProtocol(self._notificationReceived, note)

    # -- producer / consumer ---------------------------------------------

    def _bytesQueued(self) -> int:
        return self._queuedBytes

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        ProducerRegistration.registerProducer(self, producer, streaming)
        # The high-water mark now bounds the budget.
        self._closeFastPath()

    def unregisterProducer(self) -> None:
        self.producer = None
        self.producerPaused = False
        if self.disconnecting and not self._queue and not self._shutdownSent and not self.disconnected:
            self._startShutdown()

    def pauseProducing(self) -> None:
        """
        Stop delivering received messages (C{IPushProducer}).  On a
        one-to-one socket reading stops; on a one-to-many port this
        association's messages are held, and if held messages pass the
        port's cap the port stops reading until they are taken.
        """
        if self.disconnected:
            return
        self._readingPaused = True
        self._interruptions += 1
        self._handle.associationPaused(self)

    def resumeProducing(self) -> None:
        if self.disconnected or not self._readingPaused:
            return
        self._readingPaused = False
        self._handle.associationResumed(self)
        if self._held:
            self.reactor.callLater(0, self._deliverHeld)

    def stopProducing(self) -> None:
        self.loseConnection()

    # -- receiving --------------------------------------------------------

    def _pieceReceived(self, piece: Message) -> None:
        if self.disconnected or self._aborting:
            return
        if piece.complete and self._assembler is None:
            whole: Optional[Message] = piece
            if len(piece.data) > self.maxMessageSize:
                self._messageTooLong(MessageTooLongError(len(piece.data), self.maxMessageSize, "received message"))
                return
        else:
            if self._assembler is None:
                self._assembler = MessageAssembler(self.maxMessageSize)
            try:
                whole = self._assembler.feed(piece)
            except MessageTooLongError as e:
                self._messageTooLong(e)
                return
            if whole is not None and not self._assembler.pendingBytes():
                self._assembler = None
        if whole is None:
            return
        if self._readingPaused or self._held:
            self._hold(whole)
            self._heldBytes += len(whole.data)
            self._handle.heldChanged(len(whole.data))
            return
        self._deliver(whole)

    def _deliver(self, message: Message) -> None:
        try:
            self._messageReceived(message.data, message.info)
        except Exception:
            self._protocolFailed()

    def _protocolFailed(self) -> None:
        """
        C{messageReceived} raised: log it and abort this association (as an
        exception in C{dataReceived} drops a TCP connection).
        """
        f = failure.Failure()
        _log.failure("Unhandled error in messageReceived of {protocol}", f, protocol=self.protocol)
        self._abortWith(f)

    def _deliverHeld(self) -> None:
        while self._held and not self._readingPaused and not self.disconnected and not self._aborting:
            item = self._held.popleft()
            if type(item) is Message:
                self._heldBytes -= len(item.data)
                self._handle.heldChanged(-len(item.data))
                self._deliver(item)
            else:
                self._notifyNow(cast(Notification, item))

    def _messageTooLong(self, err: MessageTooLongError) -> None:
        _log.warn(
            "Aborting SCTP association {assocId}: {error}", assocId=self.assocId, error=str(err)
        )
        self._abortWith(failure.Failure(err))

    def _notify(self, notification: Notification) -> None:
        if self._aborting:
            return  # its end is already on its way (abortConnection)
        if self._readingPaused or self._held:
            # Keep notifications in order with the messages held back while
            # the Protocol does not read: a shutdown must not overtake them.
            self._hold(notification)
            return
        self._notifyNow(notification)

    def _hold(self, item: Union[Message, Notification]) -> None:
        self._interruptions += 1
        if self._held.__class__ is tuple:
            self._held = deque()
        self._held.append(item)  # type: ignore[union-attr]

    def _notifyNow(self, notification: Notification) -> None:
        if isinstance(notification, Shutdown):
            # The peer is shutting down: nothing more can be sent, and what
            # is still queued here never will be.
            self._peerShutdown = True
            self._refuseFurtherWrites()
            if self._queue:
                self._discardQueue(errno.ESHUTDOWN)
        if isinstance(notification, AssociationChange):
            state = notification.state
            if state in (AssociationState.COMM_LOST, AssociationState.SHUTDOWN_COMP,
                         AssociationState.CANT_STR_ASSOC):
                self._callProtocol(self._notificationReceived, notification)
                reason = _lostReason(notification)
                # The stack queues the association's SEND_FAILED
                # notifications after this one: the carrier delivers what
                # its read finds before connectionLost.
                self._handle.associationEnding(self, reason)
                return
            if state == AssociationState.RESTART:
                self.outboundStreams = notification.outboundStreams or self.outboundStreams
                self.inboundStreams = notification.inboundStreams or self.inboundStreams
                if self._assembler is not None:
                    self._assembler.discard(self.assocId)
        elif isinstance(notification, StreamChange):
            if not (notification.denied or notification.failed):
                self.outboundStreams = notification.outboundStreams or self.outboundStreams
                self.inboundStreams = notification.inboundStreams or self.inboundStreams
        elif isinstance(notification, SenderDry):
            self._senderDry()
        elif isinstance(notification, PartialDeliveryEvent):
            if notification.aborted and self._assembler is not None:
                self._assembler.abortPartial(self.assocId, notification.stream)
        self._callProtocol(self._notificationReceived, notification)

    def _callProtocol(self, method: Callable[..., object], *args: Any) -> None:
        try:
            method(*args)
        except Exception:
            f = failure.Failure()
            _log.failure("Unhandled error in {method} of {protocol}", f,
                         method=getattr(method, "__name__", method), protocol=self.protocol)
            if not self.disconnected:
                self._abortWith(f)

    # -- deferreds --------------------------------------------------------

    def whenSenderDry(self) -> defer.Deferred[None]:
        """
        A Deferred firing once every message written so far has been
        handed to the kernel and acknowledged by the peer (C{SENDER_DRY}).
        It fails with the C{connectionLost} reason if the association ends
        first.
        """
        d: defer.Deferred[None] = defer.Deferred()
        if self.disconnected:
            d.errback(self._lostReason or failure.Failure(AssociationClosedError("whenSenderDry", self.assocId)))
            return d
        self._dryWaiters.append(d)
        if not self._queue and not self._drySubscribed:
            self._subscribeDry()
        return d

    def _subscribeDry(self) -> None:
        # Subscribing while the kernel's queue is empty makes it send the
        # event at once; otherwise it comes when the last data is acked.
        self._drySubscribed = True
        try:
            self._handle.subscribeSenderDry(self, True)
        except OSError as e:
            self._drySubscribed = False
            waiters, self._dryWaiters = self._dryWaiters, []
            for d in waiters:
                d.errback(failure.Failure(e))

    def _senderDry(self) -> None:
        if self._queue or not self._dryWaiters:
            return
        waiters, self._dryWaiters = self._dryWaiters, []
        self._drySubscribed = False
        try:
            self._handle.subscribeSenderDry(self, False)
        except OSError:
            pass
        for d in waiters:
            d.callback(None)

    def whenClosed(self) -> defer.Deferred[None]:
        """
        A Deferred that fires once the association has ended: with C{None}
        after a clean close (C{ConnectionDone}), failing with the
        C{connectionLost} reason otherwise.
        """
        d: defer.Deferred[None] = defer.Deferred()
        if self.disconnected:
            self._fireClosed(d)
        else:
            self._closedWaiters.append(d)
        return d

    def _fireClosed(self, d: defer.Deferred) -> None:
        fireClosed(d, self._lostReason)

    # -- closing ----------------------------------------------------------

    def loseConnection(self) -> None:
        """
        Send everything queued, then shut the association down gracefully;
        C{connectionLost} follows with C{ConnectionDone} once the peer has
        acknowledged the SHUTDOWN.
        """
        if self.disconnected or self.disconnecting:
            return
        self.disconnecting = True
        self._refuseFurtherWrites()
        if not self._queue and self.producer is None:
            self._startShutdown()

    def _startShutdown(self) -> None:
        self._shutdownSent = True
        try:
            self._handle.shutdownAssociation(self)
        except OSError as e:
            if e.errno in (errno.ENOTCONN, errno.EPIPE, errno.EINVAL, errno.ESHUTDOWN):
                self._lost(failure.Failure(error.ConnectionDone("the SCTP association was already closed")))
            else:
                self._abortWith(failure.Failure(e))

    def abortConnection(self) -> None:
        """
        Abort the association at once (ABORT chunk).  As with Twisted's own
        transports, nothing is reported from inside this call: in the next
        reactor turn queued messages are reported through C{sendFailed} and
        C{connectionLost} gets C{ConnectionAborted}.  In between no message
        or notification is delivered and writes raise
        L{AssociationClosedError}.
        """
        if self.disconnected or self._aborting:
            return
        self._aborting = True
        self._interruptions += 1
        self.disconnecting = True
        self._refuseFurtherWrites()
        self._sendAbort()
        self.reactor.callLater(0, self._lost, failure.Failure(error.ConnectionAborted()))

    def _abortWith(self, reason: failure.Failure) -> None:
        if self.disconnected or self._aborting:
            return
        self._sendAbort()
        self._lost(reason)

    def _sendAbort(self) -> None:
        """
        Have the kernel send the ABORT (an association it already dropped
        refuses: nothing more to do then).
        """
        try:
            self._handle.abortAssociation(self)
        except OSError:
            pass

    def _lost(self, reason: failure.Failure) -> None:
        """
        The association has ended: report unsent messages, stop the
        producer, tell the Protocol, fire the close Deferreds.
        """
        if self.disconnected:
            return
        self.disconnected = True
        self._interruptions += 1
        self._refuseFurtherWrites()
        self.connected = False
        self.disconnecting = False
        self._lostReason = reason
        self._held = ()
        self._handle.heldChanged(-self._heldBytes)
        self._heldBytes = 0
        self._handle.associationLost(self)
        self._discardQueue(0)
        if self.producer is not None:
            producer, self.producer = self.producer, None
            try:
                producer.stopProducing()
            except Exception:
                _log.failure("Error stopping producer {producer}", producer=producer)
        try:
            self.protocol.connectionLost(reason)
        except Exception:
            _log.failure("Unhandled error in connectionLost of {protocol}", protocol=self.protocol)
        waiters, self._closedWaiters = self._closedWaiters, []
        for d in waiters:
            self._fireClosed(d)
        dry, self._dryWaiters = self._dryWaiters, []
        for d in dry:
            d.errback(reason)
        self._handle.associationEnded(self, reason)

    # -- peeloff ----------------------------------------------------------

    def peelOff(self) -> None:
        """
        Move this association from its one-to-many port to a socket of its
        own.  The Protocol, the queue of unsent messages, partially received
        messages and the order of everything are kept.

        @raise ValueError: the association is not on a one-to-many socket.
        """
        if self.disconnected:
            raise AssociationClosedError("peelOff", self.assocId)
        self._handle.peelOff(self)
