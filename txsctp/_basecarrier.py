"""
L{BaseCarrier}: the half of an L{ICarrier<txsctp._carrier.ICarrier>} that
does not depend on the stack -- dispatching what a socket reads to its
associations, and handing their queues of whole messages to the socket in
batches, round robin, waiting for room when it is full.

A carrier is a C{twisted.internet.abstract.FileDescriptor}, whatever the
stack: the kernel's registers it with the reactor, the userspace stack
calls its C{doRead} and C{doWrite} from its own dispatch (see
L{StackReadiness<txsctp._stack.StackReadiness>}).  Its stack
(L{IStack<txsctp._stack.IStack>}) binds these members to the socket
(L{IStack.attach<txsctp._stack.IStack.attach>}):

  - C{_receive()}: the next batch read, C{(count, payloads, records,
    longest, infos)} with records in L{txsctp._batch}'s layout, or, for a
    plain batch (whole messages with their RcvInfo, all of one
    association), no records but the longest message's length and each
    message's RcvInfo (C{longest} is 0 otherwise); a count of 0, or
    C{BlockingIOError}, when nothing is queued.  C{_receiveSource}: an object whose
    C{address(index)} gives the source of record C{index} of the last
    batch.  C{_parseNotification(data)}: a notification's bytes as
    txsctp's type.
  - C{_sendOne(payload, size, meta)}: 1 when the stack took the message,
    negative with C{_lastSendError()} telling why not.
    C{_sendMany(payloads, metas, sizes)}: how many of a batch the stack
    took from the front (raises C{OSError} when none).
    C{_sendSpecial(entry)}: one queued entry with a destination override.

Subclasses add what depends on the socket's style: C{_lookup},
C{_buildAssociation} and the association-level calls of
L{ICarrier<txsctp._carrier.ICarrier>} (ending, aborting, peeling off).
"""

from __future__ import annotations

import errno
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Deque, Iterable, List, Optional, Sequence, Tuple, Union

from zope.interface import implementer

from twisted.internet import abstract, error
from twisted.logger import Logger
from twisted.python import failure

from txsctp._carrier import BATCH_SIZE, ICarrier, reading
from txsctp._messageformats import MSG_EOR, MSG_NOTIFICATION
from txsctp._stack import IStack, StackReadiness
from txsctp.info import Message, RcvInfo
from txsctp.notifications import (
    AssociationChange,
    AssociationState,
    Notification,
    NotificationType,
    UnknownNotification,
)
from txsctp.options import ONE_TO_MANY, ONE_TO_ONE, PeerAddrInfo, Status

if TYPE_CHECKING:
    from txsctp._transport import SCTPTransport
    from txsctp.address import SCTPAddress
    from txsctp.options import PeerAddrInfo, Status

    HostPort = Tuple[str, int]

__all__ = ["BaseCarrier"]

_log = Logger()

_KEEP_READING = object()
"""Returned by C{_readError} to go on reading after an error."""
_MSG_EOR = MSG_EOR
_MSG_NOTIFICATION = MSG_NOTIFICATION
_tupleNew = tuple.__new__
_EMPTY_INFO = RcvInfo()
_MAX_BATCHES_PER_READ = 16
_MAX_BATCHES_PER_FLUSH = 16


@implementer(ICarrier)
class BaseCarrier(StackReadiness, abstract.FileDescriptor):
    """
    A carrier (see the module docstring).

    @ivar options: the port's or connector's L{AssociationOptions
        <txsctp._assocoptions.AssociationOptions>}.
    @ivar sock: the stack's socket (C{None} until a client's is made).
    @ivar heldBytesLimit: received bytes held for paused Protocols above
        which the socket is not read (until half of it is left).
    """

    style = ONE_TO_ONE
    heldBytesLimit = 4 << 20
    _pendingNote: Optional[bytes] = None
    _noteSource: Optional[Tuple[Any, int]] = None
    _receiveSource: Any = None
    sock: Any = None

    if TYPE_CHECKING:
        # Twisted's FileDescriptor declares its reactor an IReactorFDSet;
        # txsctp's also provide IReactorTime.
        reactor: Any
        _stack: IStack
        # What the stack binds to the socket (IStack.attach; see the
        # module docstring).
        _receive: Callable[[], Tuple[int, Sequence[bytes], Optional[List[tuple]], int, List[RcvInfo]]]
        _parseNotification: Callable[[bytes], Notification]
        _sendOne: Callable[[bytes, int, bytes], int]
        _lastSendError: Callable[[], OSError]
        _sendMany: Callable[[Sequence[bytes], Sequence[bytes], Optional[Sequence[int]]], int]
        _sendSpecial: Callable[[tuple], int]

    def __init__(self, sock: Any, reactor: Any, options: Any, stack: IStack) -> None:
        abstract.FileDescriptor.__init__(self, reactor)
        self._stack = stack
        self.options = options
        self._dirty: Deque[SCTPTransport] = deque()
        self._pendingLost: List[Tuple[SCTPTransport, failure.Failure]] = []
        self._flushScheduled = False
        self._stackFull = False
        self._heldTotal = 0
        self._readingStoppedForHeld = False
        self._maxSendSize = 0
        if sock is not None:
            self._setSocket(sock)

    def _setSocket(self, sock: Any) -> None:
        self.sock = sock
        # The socket's fileno in place of the method below (the reactor
        # calls it several times per association): the same answer, -1
        # once the socket is closed, without a Python frame of ours.
        self.fileno = sock.fileno  # type: ignore[method-assign]
        self._maxSendSize = 0
        self._stack.attach(self, sock)

    def fileno(self) -> int:
        sock = self.sock
        return -1 if sock is None else sock.fileno()

    @property
    def maxSendSize(self) -> int:
        return self._maxSendSize or self._readMaxSendSize()

    def _readMaxSendSize(self) -> int:
        # Read when first needed: an association that never writes costs
        # no call into the stack for it.
        self._maxSendSize = self.sock.getSendBufferSize()
        return self._maxSendSize

    @property
    def sendBufferHint(self) -> Optional[str]:
        hint: Optional[str] = self._stack.sendBufferHint
        return hint

    @property
    def socket(self) -> Any:
        """
        The stack's socket (C{ISCTPTransport.socket}, and
        C{ISCTPListeningPort.socket} for a one-to-many port).
        """
        return self.sock

    @property
    def addressFamily(self) -> int:
        return self._stack.addressFamily(self.sock)

    def doWrite(self) -> None:
        self._stackFull = False
        self._flush()
        if not self._stackFull:
            # Everything queued went (or waits for a flush already
            # scheduled): stop watching for room.  While the stack stays
            # full the descriptor stays watched -- no epoll_ctl to stop
            # and another to start again at every wake-up of a bulk sender.
            self.stopWriting()
        return None

    def _waitForRoom(self) -> None:
        self.startWriting()

    # -- association lookup (overridden) ---------------------------------

    def _lookup(self, assocId: int) -> Optional[SCTPTransport]:
        raise NotImplementedError()

    def _buildAssociation(self, notification: AssociationChange) -> None:
        raise NotImplementedError()

    def _orphan(self, item: Union[Message, Notification]) -> None:
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

    def doRead(self) -> Optional[failure.Failure]:
        """
        Read everything queued (up to a bound per wake-up), in batches, and
        dispatch it: whole messages straight to their Protocol, pieces to
        their association's reassembly, notifications to their association.
        Associations that ended during the read get C{connectionLost} at its
        end, after everything the read found for them.

        @return: C{None}, or why the socket is lost.
        """
        self._inRead = True
        reading.depth += 1
        try:
            return self._readAvailable()
        finally:
            self._inRead = False
            reading.depth -= 1
            while self._pendingLost:
                transport, reason = self._pendingLost.pop(0)
                transport._lost(reason)
            if not reading.depth and reading.flushAfter:
                reading.flushWrites()

    def _readAvailable(self) -> Optional[failure.Failure]:
        receive = self._receive
        parse = self._parseNotification
        lookup = self._lookup
        for _ in range(_MAX_BATCHES_PER_READ):
            try:
                n, datas, records, longest, infos = receive()
                if not n:
                    return self._drained()
            except BlockingIOError:
                return self._drained()
            except InterruptedError:
                continue
            except OSError as e:
                result: Optional[failure.Failure] = self._readError(e)
                if result is _KEEP_READING:
                    continue
                return result
            if records is None:
                self._deliverPlain(datas, infos, longest)
                if n < BATCH_SIZE or self.disconnected:
                    return None
                continue
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
                        self._noteSource = (self._receiveSource, index)
                        self._dispatchNotification(parse(data))
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
            if n < BATCH_SIZE or self.disconnected:
                if self._pendingNote is None:
                    return None
        return None

    def _deliverPlain(self, datas: Sequence[bytes], infos: List[RcvInfo], longest: int) -> None:
        """
        Dispatch a plain batch: whole messages, all of one association, the
        longest C{longest} bytes long.  While its Protocol takes messages
        as they come (no reassembly under way, reading not paused, nothing
        held, not ending), each goes straight to C{messageReceived}; else
        the way every piece goes.
        """
        transport = self._lookup(infos[0][7])
        if transport is None:
            for data, info in zip(datas, infos):
                self._orphan(Message(data, info, True))
            return
        if transport._assembler is not None or longest > transport.maxMessageSize:
            for data, info in zip(datas, infos):
                transport._pieceReceived(Message(data, info, True))
            return
        if transport._readingPaused or transport._held or transport.disconnected or transport._aborting:
            for data, info in zip(datas, infos):
                transport._pieceReceived(Message(data, info, True))
            return
        deliver = transport._messageReceived
        # What messageReceived does can stop the rest going straight to it
        # (a pause, an abort); anything that does counts an interruption.
        mark = transport._interruptions
        for data, info in zip(datas, infos):
            if transport._interruptions is not mark and (
                    transport._readingPaused or transport._held or transport.disconnected or transport._aborting):
                transport._pieceReceived(Message(data, info, True))
                continue
            try:
                deliver(data, info)
            except Exception:
                transport._protocolFailed()

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

    def _readError(self, e: OSError) -> Any:
        # A Failure (the socket is lost), None, or _KEEP_READING.
        return failure.Failure(e)

    def _readEOF(self) -> Optional[failure.Failure]:
        return failure.Failure(error.ConnectionDone())

    def _drained(self) -> Optional[failure.Failure]:
        """
        Nothing more to read for now.
        """
        return None

    # -- writing ----------------------------------------------------------

    def scheduleFlush(self, transport: SCTPTransport) -> None:
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
            if reading.depth:
                reading.flushAfter.append(self)
            else:
                self.reactor.callLater(0, self._flush)

    def flushPending(self) -> None:
        if self._flushScheduled:
            self._flush()

    def sendAhead(self, transport: SCTPTransport) -> None:
        """
        More than a full batch is queued on C{transport}, written outside
        any read: hand the first 64 messages to the stack now rather than
        in the reactor's next iteration, so that a bulk writer's messages
        go out in full batches without a reactor turn (and its clock
        reads) for each.  The flush already scheduled sends the rest and
        handles any error: nothing here calls back into the Protocol or
        its producer, the last message queued always stays for that flush,
        and when other associations of the socket have messages queued too
        the flush keeps its round robin.
        """
        if self._stackFull or self.disconnected or transport._sendBroken is not None or len(self._dirty) != 1:
            return
        datas: Sequence[bytes]
        metas: Sequence[bytes]
        sizes: Optional[Sequence[int]]
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
            sent = self._sendMany(datas, metas, sizes)
        except OSError:
            # Full, or an error the scheduled flush will meet and report.
            self._stackFull = True
            return
        if sent < len(datas):
            self._stackFull = True
        transport._sent(sent, sizes)

    def _flush(self) -> None:
        """
        Hand queued messages to the stack, up to 64 per call, round robin
        over the associations with something queued; when the stack is
        full, wait for room (C{_waitForRoom}).
        """
        self._flushScheduled = False
        dirty = self._dirty
        if len(dirty) == 1:
            # One association with one plain message queued and nobody
            # waiting for its queue to drain (a reply written from
            # messageReceived): one send, nothing else to do.
            only = dirty[0]
            queue = only._queue
            if (len(queue) == 1 and not only._specials and only._sendBroken is None and only.producer is None
                    and not only.disconnecting and not only._dryWaiters and not self.disconnected):
                data, meta, size = queue[0]
                if self._sendOne(data, size, meta) >= 0:
                    self._stackFull = False
                    queue.clear()
                    only._queuedBytes = 0
                    only._queued = False
                    dirty.clear()
                    return
                err = self._lastSendError()
                if isinstance(err, (BlockingIOError, InterruptedError)):
                    self._stackFull = True
                    self._waitForRoom()
                    return
                only._sendFailedOnWrite(err)
                self._cleanDirty()
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
                if self._sendOne(data, size, meta) < 0:
                    err = self._lastSendError()
                    if isinstance(err, (BlockingIOError, InterruptedError)):
                        self._stackFull = True
                        self._waitForRoom()
                        return
                    single._sendFailedOnWrite(err)
                    self._cleanDirty()
                    continue
                self._stackFull = False
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
                    sent = self._sendMany(datas, metas, sizes)
            except (BlockingIOError, InterruptedError):
                self._stackFull = True
                self._waitForRoom()
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
                self._stackFull = True
                self._waitForRoom()
                return
            self._stackFull = False

    @staticmethod
    def _collectBatch(dirty: Iterable[SCTPTransport]) -> Tuple[List[bytes], List[bytes], List[SCTPTransport]]:
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
                if len(datas) == BATCH_SIZE:
                    return datas, metas, owners
        return datas, metas, owners

    def _cleanDirty(self) -> None:
        dirty = self._dirty
        for _ in range(len(dirty)):
            t = dirty.popleft()
            if t._queue and not t.disconnected:
                dirty.append(t)
            else:
                t._queued = False

    # -- paused associations ----------------------------------------------

    def associationPaused(self, transport: SCTPTransport) -> None:
        raise NotImplementedError()

    def associationResumed(self, transport: SCTPTransport) -> None:
        raise NotImplementedError()

    def heldChanged(self, delta: int) -> None:
        self._heldTotal += delta
        if self._heldTotal > self.heldBytesLimit and not self._readingStoppedForHeld:
            self._readingStoppedForHeld = True
            self.stopReading()
        elif self._readingStoppedForHeld and self._heldTotal <= self.heldBytesLimit // 2:
            self._readingStoppedForHeld = False
            if not self.disconnected:
                self.startReading()

    # -- association ends -------------------------------------------------

    def associationEnding(self, transport: SCTPTransport, reason: failure.Failure) -> None:
        if self._inRead:
            # The stack queues the association's SEND_FAILED notifications
            # after the one that ended it: deliver what this read finds
            # before connectionLost.
            transport._ending = True
            transport._refuseFurtherWrites()
            self._pendingLost.append((transport, reason))
        else:
            transport._lost(reason)

    def associationLost(self, transport: SCTPTransport) -> None:
        """
        Forget an association that has ended (before its Protocol is told).
        """
        raise NotImplementedError()

    def associationEnded(self, transport: SCTPTransport, reason: failure.Failure) -> None:
        """
        After the Protocol was told: connectors and ports may react.
        """

    def shutdownAssociation(self, transport: SCTPTransport) -> None:
        raise NotImplementedError()

    def abortAssociation(self, transport: SCTPTransport) -> None:
        raise NotImplementedError()

    def peelOff(self, transport: SCTPTransport) -> None:
        raise ValueError("peelOff: only an association of a one-to-many port can be peeled off")

    def _closeSocket(self) -> None:
        sock = self.sock
        if sock is not None:
            sock.close()

    # -- addresses, status, options ----------------------------------------

    def packParameters(self, stream: int, ppid: int, flags: int, assocId: int, context: int,
                       prPolicy: int, prValue: int) -> bytes:
        return self._stack.packParameters(stream, ppid, flags, assocId, context, prPolicy, prValue)

    def hostAddress(self, assocId: int) -> SCTPAddress:
        return self._stack.localAddress(self.sock, assocId)

    def localAddresses(self, assocId: int) -> List[Tuple[str, int]]:
        addresses: List[Tuple[str, int]] = self.sock.getLocalAddresses(assocId)
        return addresses

    def peerAddresses(self, assocId: int) -> List[Tuple[str, int]]:
        addresses: List[Tuple[str, int]] = self.sock.getPeerAddresses(assocId)
        return addresses

    def pathState(self, address: Tuple[str, int], assocId: int) -> PeerAddrInfo:
        return self._stack.pathState(self.sock, address, assocId)

    def setPrimaryAddress(self, address: Tuple[str, int], assocId: int) -> None:
        self._stack.setPrimaryAddress(self.sock, address, assocId)

    def status(self, assocId: int) -> Status:
        status: Status = self.sock.getStatus(assocId)
        return status

    def subscribeSenderDry(self, transport: SCTPTransport, on: bool) -> None:
        # One-to-one sockets take 0 for "the socket's association".
        assocId = transport.assocId if self.style == ONE_TO_MANY else 0
        self.sock.subscribe([NotificationType.SENDER_DRY_EVENT], on, assocId)
