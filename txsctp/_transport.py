"""
The Twisted transport for SCTP: association transports, the file
descriptors that carry them, listening ports and the client connector.

Shape, after C{twisted.internet.tcp}:

  - L{_SocketDescriptor} is the L{FileDescriptor<twisted.internet.abstract.FileDescriptor>} registered with the
    reactor for one kernel SCTP socket.  It reads messages and notifications
    in batches (C{recvmmsg}) and dispatches them to associations by id, and
    flushes the associations' queues of whole messages in batches
    (C{sendmmsg}).
  - L{SCTPTransport} is one association: what a Protocol's C{transport} is.
    Several of them share one descriptor on a one-to-many port.
  - L{_OneToOneSocket} carries one association (an accepted or peeled-off
    socket); L{Client} is one that connects, for L{Connector}.
  - L{OneToOnePort} accepts associations on a listening one-to-one socket;
    L{OneToManyPort} is itself the descriptor of every association on its
    one-to-many socket.

SCTP has no half-close: C{loseConnection} sends everything queued, then a
graceful SHUTDOWN, and the association ends in both directions.
"""

from __future__ import annotations

import errno
import socket as _stdsocket
from collections import deque
from itertools import islice, repeat
from typing import Any, Callable, Deque, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from zope.interface import implementer

from twisted.internet import abstract, base, defer, error, interfaces
from twisted.logger import Logger
from twisted.python import failure

from txsctp import _addresses
from txsctp._assembly import MessageAssembler
from txsctp.address import SCTPAddress
from txsctp.errors import (
    AssociationClosedError,
    CannotStartAssociationError,
    CommunicationLostError,
    MessageTooLongError,
    PeerAbortedError,
    WriteQueueFullError,
    fromErrno,
)
from txsctp._consumer import (
    DEFAULT_BUFFER_SIZE,
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_QUEUED_BYTES,
    ProducerRegistration,
    fireClosed,
)
from txsctp._validate import checkBatchSizes, checkMessage, checkPayloads
from txsctp._batch import META, lastSendError, packMeta, sendBlob, sharedReceiver
from txsctp.info import Message, RcvInfo
from txsctp.notifications import parseNotification
from txsctp.interfaces import ISCTPListeningPort, ISCTPTransport
from txsctp.notifications import (
    AssociationChange,
    AssociationState,
    Notification,
    NotificationType,
    PartialDeliveryEvent,
    SendFailed,
    SenderDry,
    Shutdown,
    StreamChange,
    UnknownNotification,
)
from txsctp.options import DEFAULT_TUNING, InitMsg, PRPolicy, Tuning
from txsctp.sctpsocket import DEFAULT_EVENTS, ONE_TO_MANY, ONE_TO_ONE, SCTPSocket
from txsctp._extension import lib

__all__ = [
    "SCTPTransport",
    "OneToOnePort",
    "OneToManyPort",
    "Client",
    "Connector",
    "AssociationOptions",
    "DEFAULT_MAX_MESSAGE_SIZE",
]

_log = Logger()



_RECEIVE_BATCH = 64
_KEEP_READING = object()
_MSG_EOR = lib.MSG_EOR
_MSG_NOTIFICATION = lib.MSG_NOTIFICATION
_tupleNew = tuple.__new__
_EMPTY_INFO = RcvInfo()
_MIN_BUFFER_SIZE = 64 * 1024
_ASSOCIATION_GONE = frozenset((errno.ECONNRESET, errno.ECONNABORTED, errno.ENOTCONN, errno.ETIMEDOUT,
                               errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNREFUSED))
# Seconds to wait for the notification that explains a dead association
# before ending it on the send error alone.
_GONE_GRACE = 2.0
_MAX_BATCHES_PER_READ = 16
_MAX_BATCHES_PER_FLUSH = 16
# With AssociationOptions.bundle, batches of small messages of one
# association go out bundled (sendBlob's bundle: MSG_MORE on all but the
# last) when the send buffer is at least this large: what the kernel may
# hold back after a partial send (less than a packet, at most one 64 KiB
# batch plus the kernel's per-message overhead) can then never fill the
# buffer alone, so a full buffer always has data in flight whose
# acknowledgement makes the socket writable again -- and the next flush ends
# with a message sent without MSG_MORE, which releases what was held.
_BUNDLE_MIN_SEND_BUFFER = 256 * 1024
_FLAG_UNORDERED = lib.SCTP_UNORDERED
_MSG_NOSIGNAL = lib.MSG_NOSIGNAL
# _batch.sendOne without its check of the packed parameters (always
# packMeta's here) or its exception: 1, or -1 with lastSendError().  On the
# one-message flush a Python frame costs as much as the send's own work.
_sendOneRaw = lib.txsctp_sendmeta1
_FLAG_SACK_IMMEDIATELY = lib.SCTP_SACK_IMMEDIATELY


REQUIRED_EVENTS: Tuple[int, ...] = (
    NotificationType.ASSOC_CHANGE,
    NotificationType.SHUTDOWN_EVENT,
    NotificationType.SEND_FAILED_EVENT,
    NotificationType.PARTIAL_DELIVERY_EVENT,
)
"""
Notification types every association transport subscribes to, whatever
C{events} says: association changes make and end its Protocol, the peer's
SHUTDOWN stops its writes, failed sends are reported to the Protocol, and
an aborted partial delivery drops the pieces it left.
"""


class AssociationOptions:
    """
    Settings shared by every association of a port or connector.

    @ivar outStreams: outbound streams to ask for (C{None}: kernel default).
    @ivar inStreams: inbound streams to accept at most.
    @ivar maxAttempts: INIT retransmissions before giving up.
    @ivar maxInitTimeout: largest INIT retransmission timeout, ms.
    @ivar maxMessageSize: largest message accepted on receive; a larger one
        aborts the association with L{MessageTooLongError} as the reason.
    @ivar bufferSize: queued bytes above which a registered producer is
        paused (it is resumed at half of it); C{None}: half the socket's
        effective send buffer, between 64 KiB and 1 MiB.
    @ivar maxQueuedBytes: queued bytes beyond which C{write} refuses a
        message with L{WriteQueueFullError} (C{None}: no cap).
    @ivar tuning: socket settings (L{Tuning}).
    @ivar events: notification types to subscribe to; the transport adds
        those it is built on (L{REQUIRED_EVENTS}) to any list given.
    @ivar prepareSocket: called with each new L{SCTPSocket} before it is
        bound or connected: the place for options that must be set before
        the association starts (SCTP-AUTH chunks and keys, RTO, peer
        address parameters).
    @ivar bundle: have the kernel fill packets with the small messages of
        each batch written together (C{MSG_MORE} on all but the last; see
        L{SCTPSocket.sendBatch}), when the send buffer is at least
        256 KiB.  Off by default: fewer, larger packets leave the repair of
        losses at a receiver that falls behind to timers (see the tuning
        notes).
    """

    def __init__(
        self,
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
    ) -> None:
        if prepareSocket is not None and not callable(prepareSocket):
            raise TypeError(f"prepareSocket must be callable, not {prepareSocket!r}")
        if not isinstance(bundle, bool):
            raise TypeError(f"bundle must be a bool, not {type(bundle).__name__}")
        self.prepareSocket = prepareSocket
        self.bundle = bundle
        for name, value, high in (
            ("outStreams", outStreams, 0xFFFF),
            ("inStreams", inStreams, 0xFFFF),
            ("maxAttempts", maxAttempts, 0xFFFF),
            ("maxInitTimeout", maxInitTimeout, 0xFFFF),
        ):
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"{name} must be an int, not {type(value).__name__}")
                if not 1 <= value <= high:
                    raise ValueError(f"{name} {value} is out of range 1..{high}")
        if isinstance(maxMessageSize, bool) or not isinstance(maxMessageSize, int) or maxMessageSize <= 0:
            raise ValueError(f"maxMessageSize must be a positive int, not {maxMessageSize!r}")
        _checkOptionalSize("bufferSize", bufferSize)
        _checkOptionalSize("maxQueuedBytes", maxQueuedBytes)
        self.outStreams = outStreams
        self.inStreams = inStreams
        self.maxAttempts = maxAttempts
        self.maxInitTimeout = maxInitTimeout
        self.maxMessageSize = maxMessageSize
        self.bufferSize = bufferSize
        self.maxQueuedBytes = maxQueuedBytes
        self.tuning = tuning
        events = tuple(events)
        self.events = events + tuple(e for e in REQUIRED_EVENTS if e not in events)

    def initMsg(self) -> Optional[InitMsg]:
        if not any((self.outStreams, self.inStreams, self.maxAttempts, self.maxInitTimeout)):
            return None
        return InitMsg(
            numOutStreams=self.outStreams or 0,
            maxInStreams=self.inStreams or 0,
            maxAttempts=self.maxAttempts or 0,
            maxInitTimeout=self.maxInitTimeout or 0,
        )

    def makeSocket(self, family: int, style: str) -> SCTPSocket:
        """
        A new non-blocking socket with these options, handed to
        L{prepareSocket} (if given) before anything is bound or connected.
        """
        sock = SCTPSocket(
            family, style, blocking=False, events=self.events, tuning=self.tuning,
            initMsg=self.initMsg(),
        )
        if self.prepareSocket is not None:
            try:
                self.prepareSocket(sock)
            except BaseException:
                sock.close()
                raise
        return sock


def _familyFor(hosts: Sequence[str]) -> int:
    for h in hosts:
        if _addresses.ipFamily(h) == _stdsocket.AF_INET6:
            return _stdsocket.AF_INET6
    return _stdsocket.AF_INET


def _hostList(host: Union[str, Sequence[str]], what: str) -> List[str]:
    if isinstance(host, str):
        hosts = [host]
    else:
        try:
            hosts = list(host)
        except TypeError:
            raise TypeError(f"{what} must be an address string or a list of them, not {host!r}") from None
    if not hosts:
        raise ValueError(f"{what} is an empty list")
    for h in hosts:
        if not isinstance(h, str):
            raise TypeError(f"{what} entries must be strings, not {h!r}")
    return hosts


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
        "__weakref__", "_handle", "_metaCache", "reactor", "assocId", "protocol", "_outboundStreams",
        "inboundStreams", "_peer", "_options", "maxMessageSize", "_bufferSize", "maxQueuedBytes",
        "_queue", "_specials", "_queued", "_peerShutdown", "_ending", "_refuseWrites", "_aborting", "_sendBroken",
        "_queuedBytes",
        "_assembler", "connected", "disconnecting", "disconnected", "_shutdownSent", "_readingPaused",
        "_held", "_heldBytes", "_dryWaiters", "_drySubscribed", "_closedWaiters", "_lostReason",
        "logstr", "_messageReceived", "_notificationReceived", "producer", "streamingProducer",
        "producerPaused", "defaultStream", "defaultPPID",
    )

    def __init__(
        self,
        handle: "_SocketDescriptor",
        assocId: int,
        protocol: Any,
        outboundStreams: int,
        inboundStreams: int,
        peer: SCTPAddress,
        options: AssociationOptions,
    ) -> None:
        self._handle = handle
        self.defaultStream = 0
        self.defaultPPID = 0
        self.producer = None
        self.streamingProducer = False
        self.producerPaused = False
        self._metaCache: Dict[tuple, bytes] = {}
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
        self.maxQueuedBytes = options.maxQueuedBytes
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

    # -- ILoggingContext ------------------------------------------------

    def logPrefix(self) -> str:
        return self.logstr

    def __repr__(self) -> str:
        state = "disconnected" if self.disconnected else "connected"
        return f"<SCTPTransport assoc {self.assocId} to {self._peer} {state}>"

    # -- addresses and association state ----------------------------------

    @property
    def socket(self) -> SCTPSocket:
        """
        The L{SCTPSocket} carrying this association.
        """
        return self._handle.sock

    def getHost(self) -> SCTPAddress:
        """
        This end's addresses for the association.
        """
        return SCTPAddress.fromPairs(self.getLocalAddresses(), self.assocId)

    def getPeer(self) -> SCTPAddress:
        """
        The peer's addresses (read when the association came up; see
        L{getPeerAddresses} for the current list).
        """
        return self._peer

    def getLocalAddresses(self) -> List[Tuple[str, int]]:
        """
        This end's addresses in the association, read from the kernel now.
        """
        return self._handle.sock.getLocalAddresses(self.assocId)

    def getPeerAddresses(self) -> List[Tuple[str, int]]:
        """
        The peer's addresses (its paths), read from the kernel now: they
        change when the peer adds or removes addresses (ASCONF).
        """
        return self._handle.sock.getPeerAddresses(self.assocId)

    def getPathStates(self):
        """
        C{{(host, port): PeerAddrInfo}} for every path.
        """
        sock = self._handle.sock
        return {addr: sock.getPeerAddrInfo(addr, self.assocId) for addr in sock.getPeerAddresses(self.assocId)}

    def setPrimaryAddress(self, address: Tuple[str, int]) -> None:
        """
        Send to the peer's C{address} by default (C{SCTP_PRIMARY_ADDR}).

        @raise OSError: C{address} is not one of the peer's (the kernel refuses it).
        """
        self._handle.sock.setPrimaryAddress(address, self.assocId)

    def getStatus(self):
        """
        The association's C{SCTP_STATUS}: state, windows, stream counts and
        primary path (a L{txsctp.options.Status}).
        """
        return self._handle.sock.getStatus(self.assocId)

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
        self._outboundStreams = count

    @property
    def bufferSize(self) -> int:  # type: ignore[override]
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

    # -- writing ----------------------------------------------------------

    def writeMessage(
        self,
        data: bytes,
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
        if self._refuseWrites:
            raise AssociationClosedError("writeMessage", self.assocId)
        if ppid is None:
            ppid = self.defaultPPID
        if (data.__class__ is not bytes or not data or stream.__class__ is not int
                or ppid.__class__ is not int or context.__class__ is not int):
            # Anything but plain bytes and ints: the shared checks
            # normalise it or raise.
            data, stream, ppid, context = checkMessage(data, stream, ppid, context, self._outboundStreams)
        size = len(data)
        handle = self._handle
        if size > (handle._maxSendSize or handle._readMaxSendSize()):
            raise MessageTooLongError(size, self._handle.maxSendSize,
                                      "message (larger than the socket's send buffer)")
        queued = self._queuedBytes + size
        limit = self.maxQueuedBytes
        if limit is not None and queued > limit:
            raise WriteQueueFullError(
                f"association {self.assocId}: {self._queuedBytes} bytes already queued, "
                f"a {size}-byte message would pass the {limit}-byte cap"
            )
        # Without partial reliability (prValue is ignored then), the packed
        # parameters of this exact argument set if used before: the flags
        # are worked out, and everything checked, on its first use only.
        key: Union[tuple, int, None]
        if ttl is None and prPolicy is None:
            if not (unordered or sackImmediately or context) and 0 <= stream < self._outboundStreams:
                # The usual message (nothing but a stream and a PPID): an
                # int key, one to one with (stream, ppid) for a stream in
                # range, is cheaper to build and compare than a tuple.
                key = ppid << 16 | stream
            else:
                key = (stream, ppid, context, unordered, sackImmediately)
            try:
                meta = self._metaCache[key]
            except KeyError:
                meta = None
            except TypeError:  # unhashable flags: worked out below
                meta = key = None
        else:
            meta = key = None
        if meta is None:
            meta = self._packParameters(key, data, stream, ppid, context, unordered, sackImmediately,
                                        ttl, prPolicy, prValue)
        queue = self._queue
        if to is None:
            queue.append((data, meta, size))
        else:
            destination = _addresses.normalizeAddresses([to])[0]
            # Checked here: at flush time the error would reach the port,
            # and the kernel's refusal would end the association.
            _addresses.checkFamilies(handle.sock.family, [destination])
            peers = handle.sock.getPeerAddresses(self.assocId)
            if not any(_addresses.sameTransportAddress(destination, p) for p in peers):
                raise fromErrno(errno.EADDRNOTAVAIL, "writeMessage",
                                f"to={destination!r} is not a peer address of association {self.assocId} "
                                f"(its peer addresses: {peers!r})")
            queue.append((data, meta, size, destination))
            self._specials += 1
        self._queuedBytes = queued
        if not self._queued:
            handle._scheduleFlush(self)
        elif not _readDepth and len(queue) % _RECEIVE_BATCH == 1 and len(queue) > 1 and not self.producerPaused:
            # A bulk writer outside any read: a full batch is queued ahead
            # of this message (tried once per batch written, not per
            # message while the kernel is full).
            handle._sendAhead(self)
        # _bufferSize holds the high-water mark once known (the property
        # works out the default on first use): no property call per message.
        if (self._queuedBytes > (self._bufferSize or self.bufferSize)
                and self.producer is not None and not self.producerPaused):
            self.producerPaused = True
            self.producer.pauseProducing()

    def writeMessages(
        self,
        messages: Iterable[bytes],
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
            ppid = self.defaultPPID
        # The parameters, checked and normalised as writeMessage's are.
        _, stream, ppid, context = checkMessage(datas[0], stream, ppid, context, self._outboundStreams)
        handle = self._handle
        queued = self._queuedBytes + checkBatchSizes(sizes, handle._maxSendSize or handle._readMaxSendSize(),
                                                     self._queuedBytes, self.maxQueuedBytes, self.assocId)
        meta = self._packParameters(None, datas[0], stream, ppid, context, unordered, sackImmediately,
                                    ttl, prPolicy, prValue)
        queue = self._queue
        queue.extend(zip(datas, repeat(meta), sizes))
        self._queuedBytes = queued
        if not self._queued:
            handle._scheduleFlush(self)
        if not _readDepth and not self.producerPaused:
            # Outside any read, as writeMessage does for a bulk writer:
            # every full batch queued ahead of the last message goes to
            # the kernel now (until it is full), the rest with the flush.
            length = len(queue)
            while length > _RECEIVE_BATCH:
                handle._sendAhead(self)
                if len(queue) == length:
                    break
                length = len(queue)
        if (self._queuedBytes > (self._bufferSize or self.bufferSize)
                and self.producer is not None and not self.producerPaused):
            self.producerPaused = True
            self.producer.pauseProducing()

    def _packParameters(self, key: Optional[tuple], data: bytes, stream: int, ppid: int, context: int,
                        unordered: object, sackImmediately: object, ttl: Optional[int],
                        prPolicy: Optional[int], prValue: object) -> bytes:
        """
        The packed parameters for L{writeMessage} when C{key} (its
        arguments as given) is not cached yet or is C{None} (partial
        reliability, or unhashable flags): check them (ranges, partial
        reliability; every time for partial reliability, whose arguments
        are not cached as given), pack them once per normalised set, and
        cache them under C{key} too.

        @raise ValueError: a value out of range or of the wrong type.
        """
        flags = (_FLAG_UNORDERED if unordered else 0) | (_FLAG_SACK_IMMEDIATELY if sackImmediately else 0)
        if ttl is not None and prPolicy is None:
            prPolicy, prValue = PRPolicy.TTL, ttl
        if prPolicy is not None and prPolicy != PRPolicy.NONE:
            if prPolicy not in (PRPolicy.TTL, PRPolicy.RTX, PRPolicy.PRIO):
                raise ValueError(f"prPolicy {prPolicy!r} is not a PRPolicy")
            if type(prValue) is not int or not 0 <= prValue <= 0xFFFFFFFF:  # type: ignore[operator]
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
            meta = packMeta(stream, ppid, flags, self.assocId, context, prPolicy, prValue)  # type: ignore[arg-type]
        elif key is None:
            # Packed before, nothing new to remember (partial reliability's
            # every write comes here).
            return meta
        if len(cache) >= 1024:
            cache.clear()
        cache[normalised] = meta
        if key is not None:
            cache[key] = meta
        return meta

    def write(self, data: bytes) -> None:
        """
        Queue C{data} as one message on L{defaultStream} with
        L{defaultPPID}; an empty C{data} writes nothing (as with any
        Twisted transport: SCTP has no empty messages).
        """
        if type(data) is bytes and not data:
            return
        self.writeMessage(data, self.defaultStream, self.defaultPPID)

    def writeSequence(self, iovec) -> None:
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
        return tuple(zip(*islice(self._queue, _RECEIVE_BATCH)))  # type: ignore[return-value]

    def _queueDrained(self) -> None:
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
            self._peerShutdown = self._refuseWrites = True
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
        ppid, context, _, _, stream, flags, _, _ = META.unpack(entry[1])
        note = SendFailed(
            assocId=self.assocId, flags=lib.SCTP_DATA_UNSENT, error=err, data=entry[0],
            stream=stream, ppid=ppid, context=context, sendFlags=flags,
        )
        self._callProtocol(self._notificationReceived, note)

    # -- producer / consumer ---------------------------------------------

    def _bytesQueued(self) -> int:
        return self._queuedBytes

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
        self._handle._associationPaused(self)

    def resumeProducing(self) -> None:
        if self.disconnected or not self._readingPaused:
            return
        self._readingPaused = False
        self._handle._associationResumed(self)
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
            self._handle._heldChanged(len(whole.data))
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
                self._handle._heldChanged(-len(item.data))
                self._deliver(item)
            else:
                self._notifyNow(item)

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
        if self._held.__class__ is tuple:
            self._held = deque()
        self._held.append(item)  # type: ignore[union-attr]

    def _notifyNow(self, notification: Notification) -> None:
        if isinstance(notification, Shutdown):
            # The peer is shutting down: nothing more can be sent, and what
            # is still queued here never will be.
            self._peerShutdown = self._refuseWrites = True
            if self._queue:
                self._discardQueue(errno.ESHUTDOWN)
        if isinstance(notification, AssociationChange):
            state = notification.state
            if state in (AssociationState.COMM_LOST, AssociationState.SHUTDOWN_COMP,
                         AssociationState.CANT_STR_ASSOC):
                self._callProtocol(self._notificationReceived, notification)
                reason = _lostReason(notification)
                if self._handle._inRead:
                    # The kernel queues the association's SEND_FAILED
                    # notifications after this one: deliver what this read
                    # finds before connectionLost.
                    self._ending = self._refuseWrites = True
                    self._handle._pendingLost.append((self, reason))
                else:
                    self._lost(reason)
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

    def _callProtocol(self, method: Callable, *args) -> None:
        try:
            method(*args)
        except Exception:
            f = failure.Failure()
            _log.failure("Unhandled error in {method} of {protocol}", f,
                         method=getattr(method, "__name__", method), protocol=self.protocol)
            if not self.disconnected:
                self._abortWith(f)

    # -- deferreds --------------------------------------------------------

    def whenSenderDry(self) -> defer.Deferred:
        """
        A Deferred firing once every message written so far has been
        handed to the kernel and acknowledged by the peer (C{SENDER_DRY}).
        It fails with the C{connectionLost} reason if the association ends
        first.
        """
        d: defer.Deferred = defer.Deferred()
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
            self._handle.sock.subscribe([NotificationType.SENDER_DRY_EVENT], True, self._dryAssocId())
        except OSError as e:
            self._drySubscribed = False
            waiters, self._dryWaiters = self._dryWaiters, []
            for d in waiters:
                d.errback(failure.Failure(e))

    def _dryAssocId(self) -> int:
        return self.assocId if self._handle.style == ONE_TO_MANY else 0

    def _senderDry(self) -> None:
        if self._queue or not self._dryWaiters:
            return
        waiters, self._dryWaiters = self._dryWaiters, []
        self._drySubscribed = False
        try:
            self._handle.sock.subscribe([NotificationType.SENDER_DRY_EVENT], False, self._dryAssocId())
        except OSError:
            pass
        for d in waiters:
            d.callback(None)

    def whenClosed(self) -> defer.Deferred:
        """
        A Deferred that fires once the association has ended: with C{None}
        after a clean close (C{ConnectionDone}), failing with the
        C{connectionLost} reason otherwise.
        """
        d: defer.Deferred = defer.Deferred()
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
        self.disconnecting = self._refuseWrites = True
        if not self._queue and self.producer is None:
            self._startShutdown()

    def _startShutdown(self) -> None:
        self._shutdownSent = True
        try:
            self._handle._shutdownAssociation(self)
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
        self.disconnecting = self._refuseWrites = True
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
            self._handle._abortAssociation(self)
        except OSError:
            pass

    def _lost(self, reason: failure.Failure) -> None:
        """
        The association has ended: report unsent messages, stop the
        producer, tell the Protocol, fire the close Deferreds.
        """
        if self.disconnected:
            return
        self.disconnected = self._refuseWrites = True
        self.connected = False
        self.disconnecting = False
        self._lostReason = reason
        self._held = ()
        self._handle._heldChanged(-self._heldBytes)
        self._heldBytes = 0
        self._handle._associationLost(self)
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
        self._handle._associationEnded(self, reason)

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
        self._handle._peelOff(self)


class _SocketDescriptor(abstract.FileDescriptor):
    """
    The reactor's view of one SCTP socket: reads and dispatches messages
    and notifications, flushes association queues.

    @ivar sock: the L{SCTPSocket}.
    @ivar maxSendSize: the largest message the kernel takes in one send
        (its send buffer size).
    """

    style = ONE_TO_ONE
    heldBytesLimit = 4 << 20

    def __init__(self, sock: Optional[SCTPSocket], reactor, options: AssociationOptions) -> None:
        abstract.FileDescriptor.__init__(self, reactor)
        self.options = options
        self._dirty: Deque[SCTPTransport] = deque()
        self._pendingLost: List[Tuple[SCTPTransport, failure.Failure]] = []
        self._flushScheduled = False
        self._kernelFull = False
        self._heldTotal = 0
        self._readingStoppedForHeld = False
        self._pausedCount = 0
        self._maxSendSize = 0
        if sock is not None:
            self._setSocket(sock)

    _pendingNote: Optional[bytes] = None
    _noteSource: Optional[Tuple[Any, int]] = None

    def _setSocket(self, sock: SCTPSocket) -> None:
        self.sock = sock
        self._fd = sock.fileno()
        # Read when first needed (maxSendSize): an association that never
        # writes costs no system call for it.
        self._maxSendSize = 0
        self._receiver = sharedReceiver()

    @property
    def maxSendSize(self) -> int:
        return self._maxSendSize or self._readMaxSendSize()

    def _readMaxSendSize(self) -> int:
        self._maxSendSize = self.sock.getSendBufferSize()
        return self._maxSendSize

    # Until _setSocket (a client's socket is made when it connects).
    sock: Optional[SCTPSocket] = None

    def fileno(self) -> int:
        sock = self.sock
        return -1 if sock is None else sock.fileno()

    # -- association lookup (overridden) ---------------------------------

    def _lookup(self, assocId: int) -> Optional[SCTPTransport]:
        raise NotImplementedError()

    def _buildAssociation(self, notification: AssociationChange) -> None:
        raise NotImplementedError()

    def _orphan(self, item) -> None:
        """
        A message or notification for no known association.
        """
        if isinstance(item, UnknownNotification):
            # Its association cannot be read from bytes txsctp could not
            # parse: on a one-to-many socket there is nobody to give it to.
            _log.warn(
                "SCTP notification not delivered ({reason}; type {type}, {size} bytes): "
                "its association is not known",
                reason=item.reason, type=item.notificationType, size=len(item.raw),
            )
        elif isinstance(item, Notification):
            _log.debug("SCTP notification for no known association: {n!r}", n=item)
        else:
            _log.warn(
                "Dropping a {size}-byte SCTP message for unknown association {assocId}",
                size=len(item.data), assocId=item.info.assocId,
            )

    # -- reading ----------------------------------------------------------

    _inRead = False

    def doRead(self):
        """
        Read everything queued (up to a bound per wake-up), in batches, and
        dispatch it: whole messages straight to their Protocol, pieces to
        their association's reassembly, notifications to their association.
        Associations that ended during the read get C{connectionLost} at its
        end, after everything the read found for them.
        """
        global _readDepth
        self._inRead = True
        _readDepth += 1
        try:
            return self._readAvailable()
        finally:
            self._inRead = False
            _readDepth -= 1
            while self._pendingLost:
                transport, reason = self._pendingLost.pop(0)
                transport._lost(reason)
            if not _readDepth and _flushAfterRead:
                _flushWritesOfRead()

    def _readAvailable(self):
        receive = self._receiver.receive
        fd = self._fd
        lookup = self._lookup
        for _ in range(_MAX_BATCHES_PER_READ):
            try:
                n, datas, records = receive(fd)
            except BlockingIOError:
                return self._drained()
            except InterruptedError:
                continue
            except OSError as e:
                result = self._readError(e)
                if result is _KEEP_READING:
                    continue
                return result
            for index, (record, data) in enumerate(zip(records, datas)):
                size = record[0]
                msgFlags = record[1]
                if msgFlags & _MSG_NOTIFICATION:
                    pending = self._pendingNote
                    if pending is not None:
                        data = pending + data
                    if msgFlags & _MSG_EOR:
                        self._pendingNote = None
                        # Where it came from: the peer's address, should the
                        # association be gone before it can be asked for.
                        self._noteSource = (receive.__self__, index)
                        self._dispatchNotification(parseNotification(data))
                    else:
                        self._pendingNote = data
                    continue
                if not size:
                    # A zero-length read: SCTP has no empty messages, so this
                    # is end-of-file on a one-to-one socket.
                    return self._readEOF()
                info = _tupleNew(RcvInfo, record[4:12]) if record[2] else _EMPTY_INFO
                transport = lookup(info[7])
                if transport is None:
                    self._orphan(Message(data, info, bool(msgFlags & _MSG_EOR)))
                elif (msgFlags & _MSG_EOR and transport._assembler is None and not transport._readingPaused
                        and not transport._held and not transport.disconnected and not transport._aborting
                        and size <= transport.maxMessageSize):
                    try:
                        transport._messageReceived(data, info)
                    except Exception:
                        transport._protocolFailed()
                else:
                    transport._pieceReceived(Message(data, info, bool(msgFlags & _MSG_EOR)))
            if n < _RECEIVE_BATCH or self.disconnected:
                if self._pendingNote is None:
                    return None
        return None

    def _dispatchNotification(self, n: Notification) -> None:
        if isinstance(n, AssociationChange) and n.state == AssociationState.COMM_UP:
            existing = self._lookup(n.assocId)
            if existing is None:
                self._buildAssociation(n)
                return
            existing._notify(n)
            return
        transport = self._lookup(n.assocId)
        if transport is None:
            self._orphan(n)
        else:
            transport._notify(n)

    def _readError(self, e: OSError):
        return failure.Failure(e)

    def _readEOF(self):
        return failure.Failure(error.ConnectionDone())

    def _drained(self):
        """
        Nothing more to read for now.
        """
        return None

    # -- writing ----------------------------------------------------------

    def _scheduleFlush(self, transport: SCTPTransport) -> None:
        """
        Arrange for the association's queue to be flushed: at the end of
        the read being dispatched if there is one (a reply written from
        C{messageReceived} goes out before the reactor waits again, with no
        timer), else in the reactor's next iteration.  Either way, all
        messages written meanwhile go out together.
        """
        if not transport._queued:
            transport._queued = True
            self._dirty.append(transport)
        if not self._flushScheduled:
            self._flushScheduled = True
            if _readDepth:
                _flushAfterRead.append(self)
            else:
                self.reactor.callLater(0, self._flush)

    def _sendAhead(self, transport: SCTPTransport) -> None:
        """
        More than a full batch is queued on C{transport}, written outside
        any read: hand the first 64 messages to the kernel now rather than
        in the reactor's next iteration, so that a bulk writer's messages
        go out in full batches without a reactor turn (and its clock
        reads) for each.  The flush already scheduled sends the rest and
        handles any error: nothing here calls back into the Protocol or
        its producer, the last message queued always stays for that flush,
        and when other associations of the socket have messages queued too
        the flush keeps its round robin.
        """
        if self._kernelFull or self.disconnected or transport._sendBroken is not None or len(self._dirty) != 1:
            return
        batch = transport._plainBatch()
        if batch is None:
            datas, metas = self._collectBatch([transport])[:2]
            sizes = None
        else:
            datas, metas, sizes = batch
        if not datas:
            # A destination override first: the scheduled flush sends it.
            return
        try:
            sent = sendBlob(self._fd, datas, metas, bundle=self._bundling(), sizes=sizes)
        except OSError:
            # Full, or an error the scheduled flush will meet and report.
            self._kernelFull = True
            return
        if sent < len(datas):
            self._kernelFull = True
        transport._sent(sent, sizes)

    def _bundling(self) -> bool:
        """
        Whether batches go out bundled (L{AssociationOptions.bundle}).
        """
        return self.options.bundle and self.maxSendSize >= _BUNDLE_MIN_SEND_BUFFER

    def doWrite(self):
        self._kernelFull = False
        self._flush()
        if not self._kernelFull:
            # Everything queued went (or waits for a flush already
            # scheduled): stop watching for room.  While the kernel stays
            # full the descriptor stays watched -- no epoll_ctl to stop
            # and another to start again at every wake-up of a bulk sender.
            self.stopWriting()
        return None

    def _flush(self) -> None:
        """
        Hand queued messages to the kernel, up to 64 per system call, round
        robin over the associations with something queued.
        """
        self._flushScheduled = False
        dirty = self._dirty
        batches = 0
        while dirty and not self.disconnected:
            if batches >= _MAX_BATCHES_PER_FLUSH:
                self._flushScheduled = True
                self.reactor.callLater(0, self._flush)
                return
            batches += 1
            single = dirty[0] if len(dirty) == 1 and dirty[0]._sendBroken is None else None
            if single is not None and len(single._queue) == 1 and not single._specials:
                # One association with one plain message queued (a reply
                # written from messageReceived): one sendmsg, no batch.
                queue = single._queue
                data, meta, size = queue[0]
                if _sendOneRaw(self._fd, data, size, meta, _MSG_NOSIGNAL) < 0:
                    err = lastSendError()
                    if isinstance(err, (BlockingIOError, InterruptedError)):
                        self._kernelFull = True
                        self.startWriting()
                        return
                    single._sendFailedOnWrite(err)
                    self._cleanDirty()
                    continue
                self._kernelFull = False
                if single.producer is None and not single.disconnecting and not single._dryWaiters:
                    # Nobody waits for this queue to drain: just empty it.
                    queue.clear()
                    single._queuedBytes = 0
                    single._queued = False
                    dirty.clear()
                else:
                    single._sent(1)
                    self._cleanDirty()
                continue
            special = None
            sizes = None
            batch = single._plainBatch() if single is not None else None
            if batch is not None:
                # One association, nothing but plain messages queued (the
                # usual case): the batch is a slice of its queue.
                datas, metas, sizes = batch
                owners: List[SCTPTransport] = [single] * len(datas)  # type: ignore[list-item]
            else:
                datas, metas, owners = self._collectBatch(dirty)
                special = owners[0]._queue[0] if owners and not datas else None
            if not owners:
                # Only associations that cannot send any more are queued.
                for t in list(dirty):
                    t._queued = False
                dirty.clear()
                return
            try:
                if special is not None:
                    sent = self._sendSpecial(special)
                else:
                    sent = sendBlob(self._fd, datas, metas, bundle=self._bundling(), sizes=sizes)
            except (BlockingIOError, InterruptedError):
                self._kernelFull = True
                self.startWriting()
                return
            except OSError as e:
                if special is not None and e.errno in (errno.EADDRNOTAVAIL, errno.EINVAL):
                    # The destination left the association after the write
                    # was taken: that message is not sent, the rest goes on.
                    owners[0]._destinationRefused(e)
                else:
                    owners[0]._sendFailedOnWrite(e)
                self._cleanDirty()
                continue
            # Credit the messages sent to their owners, in order.
            first = owners[0]
            if batch is not None:
                first._sent(sent, sizes)
            elif sent == len(owners) and owners[-1] is first:
                first._sent(sent)
            else:
                i = 0
                while i < sent:
                    owner = owners[i]
                    n = 1
                    while i + n < sent and owners[i + n] is owner:
                        n += 1
                    owner._sent(n)
                    i += n
            self._cleanDirty()
            if sent < len(owners):
                self._kernelFull = True
                self.startWriting()
                return
            self._kernelFull = False

    @staticmethod
    def _collectBatch(dirty) -> Tuple[List[bytes], List[bytes], List[SCTPTransport]]:
        """
        The next batch, round robin over the associations with messages
        queued, entry by entry: C{(datas, metas, owners)}, with one owner
        per message.  A message with a destination override goes out on
        its own: then C{datas} is empty and C{owners} names its
        association, whose queue starts with it.
        """
        datas: List[bytes] = []
        metas: List[bytes] = []
        owners: List[SCTPTransport] = []
        for transport in dirty:
            if transport._sendBroken is not None:
                continue
            for entry in transport._queue:
                if len(entry) == 4:
                    if not datas:
                        owners.append(transport)
                        return datas, metas, owners
                    break
                datas.append(entry[0])
                metas.append(entry[1])
                owners.append(transport)
                if len(datas) == _RECEIVE_BATCH:
                    return datas, metas, owners
        return datas, metas, owners

    def _sendSpecial(self, entry: tuple) -> int:
        """
        Send one message with a destination address override.
        """
        data, meta, _, to = entry
        ppid, context, assocId, prValue, stream, flags, prPolicy, _ = META.unpack(meta)
        self.sock.sendMessage(
            data, stream, ppid, unordered=bool(flags & _FLAG_UNORDERED),
            sackImmediately=bool(flags & _FLAG_SACK_IMMEDIATELY), context=context,
            assocId=assocId if self.style == ONE_TO_MANY else 0,
            prPolicy=prPolicy, prValue=prValue, to=to,
        )
        return 1

    def _cleanDirty(self) -> None:
        dirty = self._dirty
        for _ in range(len(dirty)):
            t = dirty.popleft()
            if t._queue and not t.disconnected:
                dirty.append(t)
            else:
                t._queued = False

    # -- paused associations ----------------------------------------------

    def _associationPaused(self, transport: SCTPTransport) -> None:
        raise NotImplementedError()

    def _associationResumed(self, transport: SCTPTransport) -> None:
        raise NotImplementedError()

    def _heldChanged(self, delta: int) -> None:
        self._heldTotal += delta
        if self._heldTotal > self.heldBytesLimit and not self._readingStoppedForHeld:
            self._readingStoppedForHeld = True
            self.stopReading()
        elif self._readingStoppedForHeld and self._heldTotal <= self.heldBytesLimit // 2:
            self._readingStoppedForHeld = False
            if not self.disconnected:
                self.startReading()

    # -- association ends -------------------------------------------------

    def _associationLost(self, transport: SCTPTransport) -> None:
        """
        Forget an association that has ended (before its Protocol is told).
        """
        raise NotImplementedError()

    def _associationEnded(self, transport: SCTPTransport, reason: failure.Failure) -> None:
        """
        After the Protocol was told: connectors and ports may react.
        """

    def _shutdownAssociation(self, transport: SCTPTransport) -> None:
        raise NotImplementedError()

    def _abortAssociation(self, transport: SCTPTransport) -> None:
        raise NotImplementedError()

    def _peelOff(self, transport: SCTPTransport) -> None:
        raise ValueError("peelOff: only an association of a one-to-many port can be peeled off")

    def _closeSocket(self) -> None:
        sock = self.sock
        if sock is not None:
            sock.close()


class _OneToOneSocket(_SocketDescriptor):
    """
    A socket carrying exactly one association (accepted, peeled off, or a
    client's).
    """

    def __init__(self, sock: Optional[SCTPSocket], reactor, options: AssociationOptions) -> None:
        _SocketDescriptor.__init__(self, sock, reactor, options)
        self.transport: Optional[SCTPTransport] = None
        self._pendingUp: Optional[AssociationChange] = None

    def _lookup(self, assocId: int) -> Optional[SCTPTransport]:
        return self.transport

    def _makeTransport(self, notification: AssociationChange, protocol, peer: SCTPAddress) -> SCTPTransport:
        transport = SCTPTransport(
            self, notification.assocId, protocol, notification.outboundStreams,
            notification.inboundStreams, peer, self.options,
        )
        self.transport = transport
        self.connected = 1
        protocol.makeConnection(transport)
        transport._callProtocol(transport._notificationReceived, notification)
        return transport

    _knownPeer: Optional[Tuple[str, int]] = None

    def _peerAddress(self, assocId: int) -> SCTPAddress:
        """
        The peer's addresses; if the association has already ended (its
        COMM_UP read after it went away), the address it was accepted from
        or connected to, so that the Protocol still sees it come and go.
        """
        try:
            return SCTPAddress.fromPairs(self.sock.getPeerAddresses(0), assocId)
        except (OSError, ValueError):
            pass
        known = self._knownPeer
        if known is None:
            # (Without an association getpeername fails too: ENOTCONN.)
            try:
                known = self.sock.getpeername()
            except OSError:
                known = ("0.0.0.0", 0)
        host, port = known
        return SCTPAddress(host, port, (host,), assocId)

    _socketError: Optional[OSError] = None

    def _readError(self, e: OSError):
        # The kernel reports a dead association's error (ECONNRESET after an
        # ABORT, ETIMEDOUT...) before the notification queued with it: note
        # it and read on, so the notification tells the Protocol first.
        if e.errno in (errno.ECONNRESET, errno.ECONNABORTED, errno.ETIMEDOUT, errno.EPIPE,
                       errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
            if self._socketError is None:
                self._socketError = e
                return _KEEP_READING
        return self._gone()

    def _gone(self):
        transport = self.transport
        if transport is not None and (transport._ending or transport._aborting):
            return None  # its end is being reported (see doRead, abortConnection)
        if transport is not None and not transport.disconnected:
            e = self._socketError
            if e is None:
                reason = failure.Failure(error.ConnectionDone())
            elif e.errno in (errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE):
                reason = failure.Failure(PeerAbortedError(0, f": {e.strerror}"))
            else:
                reason = failure.Failure(CommunicationLostError(e.errno or 0))
            transport._lost(reason)
            return None
        if self._socketError is not None:
            return failure.Failure(self._socketError)
        return failure.Failure(error.ConnectionDone())

    def _readEOF(self):
        # EOF on a one-to-one socket: the association is gone (if its
        # SHUTDOWN_COMP or COMM_LOST notification was read, the transport
        # has already ended).
        return self._gone()

    def _drained(self):
        if self._socketError is not None:
            return self._gone()
        return None

    def _associationPaused(self, transport: SCTPTransport) -> None:
        self.stopReading()

    def _associationResumed(self, transport: SCTPTransport) -> None:
        self._readIfWanted()

    def _readIfWanted(self) -> None:
        """
        Be read by the reactor, unless the association has ended or its
        reading is stopped: by its Protocol (C{pauseProducing}) or while
        too many read messages are held.
        """
        transport = self.transport
        if self.disconnected or self._readingStoppedForHeld or (transport is not None and transport._readingPaused):
            return
        self.startReading()

    def _associationLost(self, transport: SCTPTransport) -> None:
        self.stopReading()
        self.stopWriting()
        self.disconnected = 1
        self.connected = 0
        self.reactor.removeReader(self)
        self.reactor.removeWriter(self)
        self._closeSocket()

    def _shutdownAssociation(self, transport: SCTPTransport) -> None:
        self.sock.shutdown(_stdsocket.SHUT_WR)

    def _abortAssociation(self, transport: SCTPTransport) -> None:
        # One-to-one sockets refuse SCTP_ABORT in sendmsg: linger 0 makes
        # the close that follows (in _associationLost) send the ABORT.
        self.sock.setLinger(True, 0)

    def connectionLost(self, reason):
        """
        The reactor dropped us (an error escaped doRead/doWrite).
        """
        if self.transport is not None and not self.transport.disconnected:
            self.transport._lost(reason)
        else:
            abstract.FileDescriptor.connectionLost(self, reason)
            self._closeSocket()


class _AcceptedSocket(_OneToOneSocket):
    """
    A socket accepted by a L{OneToOnePort}: its Protocol comes from the
    port's factory when C{COMM_UP} is read.
    """

    def __init__(self, sock: SCTPSocket, port: "OneToOnePort") -> None:
        _OneToOneSocket.__init__(self, sock, port.reactor, port.options)
        self.port = port

    def _buildAssociation(self, notification: AssociationChange) -> None:
        addr = self._peerAddress(notification.assocId)
        try:
            protocol = self.port.factory.buildProtocol(addr)
        except Exception:
            _log.failure("Error building a protocol for {addr}", addr=addr)
            protocol = None
        if protocol is None:
            self._abortAssociation(None)  # type: ignore[arg-type]
            self._associationLost(None)  # type: ignore[arg-type]
            self.port._acceptedGone(self)
            return
        self._makeTransport(notification, protocol, addr)

    def _associationEnded(self, transport: SCTPTransport, reason: failure.Failure) -> None:
        self.port._acceptedGone(self)

    def _orphan(self, item) -> None:
        if isinstance(item, AssociationChange) and self.transport is None and item.state in (
            AssociationState.COMM_LOST, AssociationState.SHUTDOWN_COMP):
            # Gone before it was read as up.
            self._associationLost(None)  # type: ignore[arg-type]
            self.port._acceptedGone(self)
            return
        _SocketDescriptor._orphan(self, item)


class _PeeledSocket(_OneToOneSocket):
    """
    The socket an association was peeled off to (one-to-one in use, but of
    the kernel's UDP_HIGH_BANDWIDTH style: shutdown() does nothing there,
    SCTP_EOF in sendmsg starts the SHUTDOWN).
    """

    def _shutdownAssociation(self, transport: SCTPTransport) -> None:
        self.sock.sendMessage(b"", eof=True)

    def _buildAssociation(self, notification: AssociationChange) -> None:
        self._orphan(notification)


@implementer(interfaces.IListeningPort, ISCTPListeningPort)
class OneToOnePort(base.BasePort):
    """
    A listening one-to-one (C{SOCK_STREAM}) SCTP socket: each association
    is accepted onto a socket of its own.
    """

    style = ONE_TO_ONE
    _acceptBatch = 64

    @property
    def socket(self) -> Optional[SCTPSocket]:
        """
        The listening L{SCTPSocket} (C{ISCTPListeningPort.socket}).
        """
        return self.sock

    def __init__(self, port: int, factory, interface: Union[str, Sequence[str]] = "",
                 backlog: int = 128, reactor=None, options: Optional[AssociationOptions] = None,
                 maxAssociations: Optional[int] = None) -> None:
        base.BasePort.__init__(self, reactor=reactor)
        _validatePort(port)
        self.port = port
        self.factory = factory
        self.interface = interface
        self.backlog = backlog
        self.options = options or AssociationOptions()
        _checkOptionalSize("maxAssociations", maxAssociations)
        self.maxAssociations = maxAssociations
        self._accepted: Dict[int, _AcceptedSocket] = {}
        self.sock: Optional[SCTPSocket] = None

    def __repr__(self) -> str:
        port = self._realPortNumber if self.sock is not None else self.port
        return f"<{type(self.factory).__name__} on SCTP {port} ({self.style})>"

    def startListening(self) -> None:
        """
        Create, bind (bindx for several addresses) and listen.

        @raise CannotListenError: on any failure.
        """
        try:
            self.sock = _bindListening(self.interface, self.port, self.options, ONE_TO_ONE, self.backlog)
        except (OSError, ValueError, TypeError) as e:
            raise error.CannotListenError(_describeInterface(self.interface), self.port, e) from None
        self._realPortNumber = self.sock.getsockname()[1]
        self._fd = self.sock.fileno()
        _log.info("{factory} starting on SCTP {port}", factory=type(self.factory).__name__,
                  port=self._realPortNumber)
        self.factory.doStart()
        self.connected = True
        self.startReading()

    def fileno(self) -> int:
        return self.sock.fileno() if self.sock is not None else -1

    def doRead(self):
        for _ in range(self._acceptBatch):
            if self.disconnecting:
                # Stopped from a Protocol just built (as tcp.Port checks).
                return None
            try:
                newSock, addr = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return None
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    _log.error("Out of resources accepting SCTP associations: {e}", e=e)
                    return None
                if e.errno in (errno.ECONNABORTED, errno.EPERM, errno.EPROTO):
                    continue
                raise
            if self.maxAssociations is not None and len(self._accepted) >= self.maxAssociations:
                _log.warn("Refusing SCTP association from {addr}: {n} associations is the limit",
                          addr=addr, n=self.maxAssociations)
                try:
                    newSock.setLinger(True, 0)
                except OSError:
                    pass
                newSock.close()
                continue
            accepted = _AcceptedSocket(newSock, self)
            accepted._knownPeer = addr
            self._accepted[id(accepted)] = accepted
            self._readAccepted(accepted)
        return None

    def _readAccepted(self, accepted: _AcceptedSocket) -> None:
        """
        Read a just-accepted socket at once rather than in a later reactor
        iteration: its C{COMM_UP} is always queued already (the kernel only
        offers established associations to accept), and so is the rest of
        an association that ended before it was accepted.  That saves the
        wake-up, and a finished association's socket is closed now: until
        it is, the kernel keeps the ended association and a new one from
        the same client port cannot be set up (see docs/reliability.md).
        A failure ends that association as the reactor would end it, never
        this port.  The socket joins the reactor only after that read, and
        only if its association is still there (one that has ended never
        does) and its Protocol has not paused reading meanwhile.
        """
        try:
            why = accepted.doRead()
        except Exception:
            _log.failure("Reading an accepted SCTP association")
            why = failure.Failure()
        if accepted.disconnected:
            return
        if why:
            # (Registered only if the read itself resumed reading.)
            self.reactor.removeReader(accepted)
            self.reactor.removeWriter(accepted)
            accepted.connectionLost(why if isinstance(why, failure.Failure) else failure.Failure(why))
            return
        accepted._readIfWanted()

    def _acceptedGone(self, accepted: _AcceptedSocket) -> None:
        self._accepted.pop(id(accepted), None)

    def getAssociations(self) -> List[SCTPTransport]:
        return [a.transport for a in self._accepted.values() if a.transport is not None and not a.transport.disconnected]

    def associate(self, host, port, timeout=30):
        raise NotImplementedError("associate() needs a one-to-many port; use connectSCTP for one-to-one")

    def loseConnection(self, connDone=failure.Failure(error.ConnectionDone("Connection done"))):
        """
        Stop listening.  Associations already accepted are not affected.
        A second call while the first is under way returns the same
        Deferred.
        """
        pending = getattr(self, "deferred", None)
        if pending is not None:
            return pending
        self.disconnecting = True
        self.stopReading()
        if self.connected:
            self.deferred = defer.Deferred()
            self.reactor.callLater(0, self.connectionLost, connDone)
            return self.deferred
        return None

    stopListening = loseConnection

    def connectionLost(self, reason) -> None:
        self.disconnected = True
        base.BasePort.connectionLost(self, reason)
        self.connected = False
        _portStopped(self)

    def getHost(self) -> SCTPAddress:
        return SCTPAddress.fromPairs(self.sock.getLocalAddresses())

    def logPrefix(self) -> str:
        return f"{type(self.factory).__name__} (SCTP)"


@implementer(interfaces.IListeningPort, ISCTPListeningPort)
class OneToManyPort(_SocketDescriptor):
    """
    A one-to-many (C{SOCK_SEQPACKET}) SCTP socket: every association lives
    on this one socket and gets its own Protocol from the factory and its
    own L{SCTPTransport}; messages are dispatched by association id.
    Associations may also be opened outward with L{associate}.

    @ivar maxAssociations: beyond this many live associations, new ones are
        aborted as soon as they come up (C{None}: no limit).
    """

    style = ONE_TO_MANY

    @property
    def socket(self) -> Optional[SCTPSocket]:
        """
        The listening L{SCTPSocket} (C{ISCTPListeningPort.socket}).
        """
        return self.sock

    def __init__(self, port: int, factory, interface: Union[str, Sequence[str]] = "",
                 backlog: int = 128, reactor=None, options: Optional[AssociationOptions] = None,
                 maxAssociations: Optional[int] = None) -> None:
        options = options or AssociationOptions()
        _SocketDescriptor.__init__(self, None, reactor, options)
        _validatePort(port)
        self.port = port
        self.factory = factory
        self.interface = interface
        self.backlog = backlog
        _checkOptionalSize("maxAssociations", maxAssociations)
        self.maxAssociations = maxAssociations
        self._associations: Dict[int, SCTPTransport] = {}
        self._peeledThisRead: Dict[int, SCTPTransport] = {}
        self._pendingOutward: Dict[int, Tuple[defer.Deferred, Any]] = {}
        self._listening = False

    def __repr__(self) -> str:
        return f"<{type(self.factory).__name__} on SCTP {getattr(self, '_realPortNumber', self.port)} (one-to-many)>"

    def startListening(self) -> None:
        try:
            sock = _bindListening(self.interface, self.port, self.options, ONE_TO_MANY, self.backlog)
        except (OSError, ValueError, TypeError) as e:
            raise error.CannotListenError(_describeInterface(self.interface), self.port, e) from None
        self._setSocket(sock)
        self._realPortNumber = sock.getsockname()[1]
        _log.info("{factory} starting on SCTP {port} (one-to-many)",
                  factory=type(self.factory).__name__, port=self._realPortNumber)
        self.factory.doStart()
        self._listening = True
        self.connected = 1
        self.startReading()

    def _lookup(self, assocId: int) -> Optional[SCTPTransport]:
        t = self._associations.get(assocId)
        if t is None and self._peeledThisRead:
            t = self._peeledThisRead.get(assocId)
        return t

    def doRead(self):
        try:
            return _SocketDescriptor.doRead(self)
        finally:
            if self._peeledThisRead:
                self._peeledThisRead.clear()

    def _readError(self, e: OSError):
        if e.errno in (errno.EBADF, errno.ENOTSOCK):
            return failure.Failure(e)
        _log.warn("Error reading SCTP port {port}: {e}", port=self._realPortNumber, e=e)
        return None

    def _readEOF(self):
        return None

    def _buildAssociation(self, notification: AssociationChange) -> None:
        assocId = notification.assocId
        pending = self._pendingOutward.pop(assocId, None)
        if pending is None and self.maxAssociations is not None and len(self._associations) >= self.maxAssociations:
            _log.warn("Aborting SCTP association {assocId}: {n} associations is the limit",
                      assocId=assocId, n=self.maxAssociations)
            self._abortId(assocId)
            return
        try:
            peer = SCTPAddress.fromPairs(self.sock.getPeerAddresses(assocId), assocId)
        except (OSError, ValueError):
            # Already gone (its end is queued behind this COMM_UP): the
            # Protocol still sees it come and go, with the address the
            # notification came from.
            source = self._noteSource
            address = source[0].address(source[1]) if source is not None else None
            host, port = address or ("0.0.0.0", 0)
            peer = SCTPAddress(host, port, (host,), assocId)
        try:
            protocol = self.factory.buildProtocol(peer)
        except Exception:
            _log.failure("Error building a protocol for {peer}", peer=peer)
            protocol = None
        if protocol is None:
            self._abortId(assocId)
            if pending is not None:
                self._failPending(pending, failure.Failure(CannotStartAssociationError("the factory refused the association")))
            return
        transport = SCTPTransport(self, assocId, protocol, notification.outboundStreams,
                                  notification.inboundStreams, peer, self.options)
        self._associations[assocId] = transport
        protocol.makeConnection(transport)
        transport._callProtocol(transport._notificationReceived, notification)
        if pending is not None:
            d, timer = pending
            _retireTimer(timer)
            d.callback(protocol)

    def _failPending(self, pending, reason: failure.Failure) -> None:
        d, timer = pending
        _retireTimer(timer)
        d.errback(reason)

    def _orphan(self, item) -> None:
        if isinstance(item, AssociationChange):
            pending = self._pendingOutward.pop(item.assocId, None)
            if pending is not None:
                self._failPending(pending, failure.Failure(
                    CannotStartAssociationError(f"association could not be started (error {item.error})")))
                return
            if item.state in (AssociationState.COMM_LOST, AssociationState.SHUTDOWN_COMP):
                return  # one we aborted or refused
        _SocketDescriptor._orphan(self, item)

    def _abortId(self, assocId: int) -> None:
        try:
            self.sock.sendMessage(b"", abort=True, assocId=assocId)
        except OSError:
            pass

    def associate(self, host: Union[str, Sequence[str]], port: int, timeout: Optional[float] = 30) -> defer.Deferred:
        """
        Open an association outward from this port's socket.

        @param host: one IP literal or a list (connectx).
        @param port: the peer's port.
        @param timeout: seconds before giving up (the association is then
            aborted and the Deferred fails with C{TimeoutError}).
        @return: a Deferred firing with the Protocol built by this port's
            factory once the association is up.
        """
        hosts = _hostList(host, "host")
        addrs = _addresses.normalizeAddresses(hosts, port)
        if not self._listening:
            return defer.fail(AssociationClosedError("associate"))
        try:
            assocId = self.sock.connectx(addrs)
        except (OSError, ValueError) as e:
            return defer.fail(_connectError(e))
        d: defer.Deferred = defer.Deferred(lambda d: self._cancelOutward(assocId))
        timer = None
        if timeout is not None:
            timer = self.reactor.callLater(timeout, self._outwardTimeout, assocId)
        self._pendingOutward[assocId] = (d, timer)
        return d

    def _cancelOutward(self, assocId: int) -> None:
        pending = self._pendingOutward.pop(assocId, None)
        if pending is not None:
            _retireTimer(pending[1])
            self._abortId(assocId)

    def _outwardTimeout(self, assocId: int) -> None:
        pending = self._pendingOutward.pop(assocId, None)
        if pending is not None:
            self._abortId(assocId)
            pending[0].errback(failure.Failure(error.TimeoutError(string=f"SCTP association {assocId} setup timed out")))

    def getAssociations(self) -> List[SCTPTransport]:
        return list(self._associations.values())

    # -- per association ----------------------------------------------------

    def _associationPaused(self, transport: SCTPTransport) -> None:
        pass  # its messages are held by the transport (bounded by _heldChanged)

    def _associationResumed(self, transport: SCTPTransport) -> None:
        pass

    def _associationLost(self, transport: SCTPTransport) -> None:
        if self._associations.get(transport.assocId) is transport:
            del self._associations[transport.assocId]

    def _shutdownAssociation(self, transport: SCTPTransport) -> None:
        self.sock.sendMessage(b"", eof=True, assocId=transport.assocId)

    def _abortAssociation(self, transport: SCTPTransport) -> None:
        self.sock.sendMessage(b"", abort=True, assocId=transport.assocId)

    def _peelOff(self, transport: SCTPTransport) -> None:
        newSock = self.sock.peeloff(transport.assocId, blocking=False)
        try:
            if self.options.tuning is not None:
                newSock.applyTuning(self.options.tuning)
        except OSError as e:
            # Closing the new socket ends the association, which this port
            # will hear nothing more about: end its transport here.
            newSock.close()
            transport._lost(failure.Failure(e))
            raise
        handle = _PeeledSocket(newSock, self.reactor, self.options)
        handle.transport = transport
        handle.connected = 1
        del self._associations[transport.assocId]
        # Messages of this association already read in this batch are still
        # dispatched to it, in order, before the new socket is read.
        self._peeledThisRead[transport.assocId] = transport
        if transport._queued:
            try:
                self._dirty.remove(transport)
            except ValueError:
                pass
            transport._queued = False
        transport._handle = handle
        if transport._readingPaused:
            self._heldChanged(-transport._heldBytes)
            handle._heldChanged(transport._heldBytes)
        else:
            handle.startReading()
        if transport._queue:
            handle._scheduleFlush(transport)
        if transport._drySubscribed:
            transport._drySubscribed = False
            if transport._dryWaiters and not transport._queue:
                transport._subscribeDry()

    # -- stopping -------------------------------------------------------------

    def loseConnection(self, connDone=failure.Failure(error.ConnectionDone("Connection done"))):
        """
        Stop listening: every association on the socket is aborted (they
        all live on it) and their Protocols see C{connectionLost}.
        """
        if self.disconnected or getattr(self, "deferred", None) is not None:
            return getattr(self, "deferred", None)
        self._listening = False
        self.stopReading()
        self.deferred = defer.Deferred()
        self.reactor.callLater(0, self.connectionLost, connDone)
        return self.deferred

    stopListening = loseConnection

    def connectionLost(self, reason) -> None:
        if self.disconnected:
            return
        for transport in list(self._associations.values()):
            transport._abortWith(failure.Failure(error.ConnectionAborted("the SCTP port was closed")))
        for assocId in list(self._pendingOutward):
            pending = self._pendingOutward.pop(assocId)
            self._failPending(pending, failure.Failure(error.UserError(string="the SCTP port was closed")))
        abstract.FileDescriptor.connectionLost(self, reason)
        self.disconnected = 1
        self.connected = 0
        _portStopped(self)

    def getHost(self) -> SCTPAddress:
        return SCTPAddress.fromPairs(self.sock.getLocalAddresses())

    def logPrefix(self) -> str:
        return f"{type(self.factory).__name__} (SCTP one-to-many)"


class Client(_OneToOneSocket):
    """
    A one-to-one socket connecting out for a L{Connector}.
    """

    def __init__(self, hosts: List[str], port: int, bindAddress, connector: "Connector", reactor,
                 options: AssociationOptions) -> None:
        _OneToOneSocket.__init__(self, None, reactor, options)
        self.connector = connector
        self.hosts = hosts
        self._knownPeer = (hosts[0], port)
        self.port = port
        self.bindAddress = bindAddress
        self._failed = False
        try:
            literal = all(_isLiteral(h) for h in hosts)
            if literal:
                self._connect(hosts)
            else:
                d = defer.gatherResults([reactor.resolve(h) if not _isLiteral(h) else defer.succeed(h)
                                         for h in hosts], consumeErrors=True)
                d.addCallbacks(self._connect, self._resolveFailed)
        except Exception as e:
            self._failLater(_connectError(e))

    def _resolveFailed(self, f: failure.Failure) -> None:
        err = f.value
        if isinstance(err, defer.FirstError):
            err = err.subFailure.value
        self.failIfNotConnected(error.DNSLookupError(str(err)))

    def _failLater(self, err: Exception) -> None:
        self.reactor.callLater(0, self.failIfNotConnected, err)

    def _connect(self, hosts: List[str]) -> None:
        if self._failed:
            return
        try:
            bindList = _bindList(self.bindAddress)
            family = _familyFor(list(hosts) + [h for h, _ in bindList])
            sock = self.options.makeSocket(family, ONE_TO_ONE)
            try:
                if bindList:
                    sock.bindx(bindList)
                self._setSocket(sock)
                self.assocId = sock.connectx(_addresses.normalizeAddresses(list(hosts), self.port))
            except BaseException:
                sock.close()
                raise
        except Exception as e:
            self._failLater(_connectError(e))
            return
        self.startReading()

    def failIfNotConnected(self, err) -> None:
        """
        Give up connecting (called by the connector's timeout too).
        """
        if self.connected or self._failed or self.disconnected:
            return
        self._failed = True
        self.stopReading()
        self.stopWriting()
        self.reactor.removeReader(self)
        self.reactor.removeWriter(self)
        self._closeSocket()
        self.disconnected = 1
        if isinstance(err, failure.Failure):
            reason = err
        else:
            reason = failure.Failure(err)
        self.connector.connectionFailed(reason)

    def _buildAssociation(self, notification: AssociationChange) -> None:
        if self._failed:
            return
        addr = self._peerAddress(notification.assocId)
        protocol = self.connector.buildProtocol(addr)
        if protocol is None:
            self._abortAssociation(None)  # type: ignore[arg-type]
            self.failIfNotConnected(error.ConnectError(string="the factory refused the association"))
            return
        self._makeTransport(notification, protocol, addr)

    def _orphan(self, item) -> None:
        if self.transport is None and isinstance(item, AssociationChange) and item.state in (
                AssociationState.CANT_STR_ASSOC, AssociationState.COMM_LOST):
            self.failIfNotConnected(self._cannotStart(item))
            return
        _OneToOneSocket._orphan(self, item)

    def _cannotStart(self, note: AssociationChange) -> Exception:
        try:
            err = self.sock._sock.getsockopt(_stdsocket.SOL_SOCKET, _stdsocket.SO_ERROR)
        except OSError:
            err = 0
        if err == errno.ECONNREFUSED or note.info:
            return error.ConnectionRefusedError(string="the peer answered INIT with ABORT")
        if err in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return error.NoRouteError(string=errno.errorcode.get(err, str(err)))
        return CannotStartAssociationError(
            string=f"the association could not be started: INIT retransmissions exhausted "
                   f"(error {note.error}, {errno.errorcode.get(err, err)})")

    def _readError(self, e: OSError):
        if self.transport is None:
            if e.errno == errno.ETIMEDOUT:
                # INIT retransmissions exhausted: the kernel reports
                # ETIMEDOUT before the CANT_STR_ASSOC notification.
                self.failIfNotConnected(CannotStartAssociationError(
                    string="the association could not be started: INIT retransmissions exhausted"))
            else:
                self.failIfNotConnected(_connectError(e))
            return None
        return _OneToOneSocket._readError(self, e)

    def _readEOF(self):
        if self.transport is None:
            self.failIfNotConnected(error.ConnectionRefusedError())
            return None
        return _OneToOneSocket._readEOF(self)

    def _associationEnded(self, transport: SCTPTransport, reason: failure.Failure) -> None:
        self.connector.connectionLost(reason)

    def getDestination(self) -> SCTPAddress:
        return SCTPAddress(self.hosts[0], self.port, tuple(self.hosts))


class Connector(base.BaseConnector):
    """
    An C{IConnector} for SCTP client associations (one-to-one sockets).
    """

    def __init__(self, host: Union[str, Sequence[str]], port: int, factory, timeout: Optional[float],
                 bindAddress, reactor, options: AssociationOptions) -> None:
        self.hosts = _hostList(host, "host")
        _validatePort(port)
        if port == 0:
            raise ValueError("cannot connect to port 0")
        _bindList(bindAddress)  # validate now
        self.port = port
        self.bindAddress = bindAddress
        self.options = options
        base.BaseConnector.__init__(self, factory, timeout, reactor)

    def _makeTransport(self) -> Client:  # type: ignore[override]
        return Client(self.hosts, self.port, self.bindAddress, self, self.reactor, self.options)

    def cancelTimeout(self) -> None:
        """
        Retire the connect timeout once the attempt has ended (the
        association is up, or the attempt failed); see L{_retireTimer}.
        L{Client.failIfNotConnected} does nothing once the attempt has
        ended.
        """
        call = self.timeoutID
        if call is not None:
            _retireTimer(call)
            del self.timeoutID

    def getDestination(self) -> SCTPAddress:
        return SCTPAddress(self.hosts[0], self.port, tuple(self.hosts))


# -- helpers -------------------------------------------------------------------


def _retireTimer(call: Optional[base.DelayedCall]) -> None:
    """
    Take a pending timer out of the reactor's way without a clock read;
    its function must do nothing by the time it runs.

    A cancelled call stays in the reactor's timer heap until its time
    comes (a connect timeout: 30 s by default), and while any call is
    there each reactor iteration reads the clock to compute its wake-up
    time (a system call in kernels without a vDSO clock, the test kernel
    among them).  So the call is moved to time 0 instead (C{delay} with
    minus its scheduled time: C{reset(0)} would read the clock): the next
    iteration runs it, a no-op, and the heap is empty again.
    """
    if call is not None and call.active():
        call.delay(-call.getTime())


def _checkOptionalSize(name: str, value: object, minimum: int = 1) -> None:
    """
    Check a size or count option that may be C{None} (meaning: the
    default, or no limit).

    @raise TypeError: not an int (or C{None}).
    @raise ValueError: below C{minimum}.
    """
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")


def _isLiteral(host: str) -> bool:
    try:
        _addresses.ipFamily(host)
        return True
    except ValueError:
        return False


_readDepth = 0
_flushAfterRead: List["_SocketDescriptor"] = []


def _flushWritesOfRead() -> None:
    """
    Flush the descriptors written to while reads were being dispatched.
    """
    while _flushAfterRead:
        handle = _flushAfterRead.pop(0)
        if handle._flushScheduled:
            handle._flush()


def _portStopped(port) -> None:
    """
    A listening port has stopped: close its socket, stop its factory, fire
    the Deferred C{stopListening} returned.
    """
    if port.sock is not None:
        port.sock.close()
    port.factory.doStop()
    d = getattr(port, "deferred", None)
    if d is not None:
        del port.deferred
        d.callback(None)


def _validatePort(port: object) -> None:
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"port must be an int, not {type(port).__name__}")
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"port {port} is out of range 0..65535")


def _describeInterface(interface) -> str:
    # (Also called with the malformed interfaces that made binding fail.)
    if isinstance(interface, str):
        return interface
    try:
        return ",".join(str(i) for i in interface)
    except TypeError:
        return repr(interface)


def _bindList(bindAddress) -> List[Tuple[str, int]]:
    """
    Normalise a client's C{bindAddress}: None, a host, a C{(host, port)},
    or a list of hosts / C{(host, port)}.
    """
    if bindAddress is None:
        return []
    if isinstance(bindAddress, (str, tuple)):
        items = [bindAddress]
    else:
        items = list(bindAddress)
    pairs = []
    for item in items:
        if isinstance(item, str):
            pairs.append((item, 0))
        elif isinstance(item, tuple) and len(item) == 2:
            pairs.append((item[0], item[1]))
        else:
            raise TypeError(f"bindAddress entries must be hosts or (host, port) tuples, not {item!r}")
    pairs = _addresses.normalizeAddresses(pairs)
    ports = {p for _, p in pairs}
    if len(ports) > 1:
        raise ValueError(f"bindAddress entries must share one port, not {sorted(ports)}")
    return pairs


def _bindListening(interface, port: int, options: AssociationOptions, style: str, backlog: int) -> SCTPSocket:
    if isinstance(interface, str) and interface in ("", "0.0.0.0", "::"):
        family = _stdsocket.AF_INET6 if interface == "::" else _stdsocket.AF_INET
        sock = options.makeSocket(family, style)
        try:
            sock.bind((interface, port))
            sock.listen(backlog)
        except BaseException:
            sock.close()
            raise
        return sock
    hosts = _hostList(interface, "interface")
    family = _familyFor(hosts)
    sock = options.makeSocket(family, style)
    try:
        sock.bindx(hosts, port)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def _connectError(e: Exception) -> Exception:
    """
    Map an exception raised while starting a connection to Twisted's
    C{ConnectError} family.
    """
    if isinstance(e, error.ConnectError):
        return e
    if isinstance(e, OSError) and e.errno:
        mapped = error.getConnectError((e.errno, str(e)))
        return mapped
    return error.ConnectError(string=str(e))

