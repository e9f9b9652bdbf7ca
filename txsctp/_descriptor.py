"""
The kernel stack's carrier: the file descriptor of one kernel SCTP socket,
registered with the reactor (after C{twisted.internet.abstract.FileDescriptor}).

  - L{_SocketDescriptor} reads messages and notifications in batches
    (C{recvmmsg}, decoded in C by L{txsctp._batch}) and dispatches them to
    associations by id; it flushes the associations' queues of whole
    messages in batches (C{sendmmsg}).  It provides
    L{ICarrier<txsctp._carrier.ICarrier>} for the transports it carries.
  - L{_OneToOneSocket} carries exactly one association: the base of
    accepted, peeled-off (L{_PeeledSocket}) and client sockets.

The descriptor never builds a transport: the port or connector above it
does, when the descriptor reports an association up (C{_buildAssociation}).

L{makeSocket} and L{bindListening} make the kernel sockets the ports and
the connector use.
"""

from __future__ import annotations

import errno
import socket as _stdsocket
from collections import deque
from typing import TYPE_CHECKING, Any, Deque, List, Optional, Tuple

from zope.interface import implementer

from twisted.internet import abstract, error
from twisted.logger import Logger
from twisted.python import failure

from txsctp._assocoptions import AssociationOptions
from txsctp._batch import lastSendError, sendBlob, sharedReceiver
from txsctp._carrier import ICarrier, reading
from txsctp._extension import lib
from txsctp._portsupport import familyFor, hostList
from txsctp._sendparams import unpackMeta
from txsctp.address import SCTPAddress
from txsctp.errors import CommunicationLostError, PeerAbortedError
from txsctp.info import Message, RcvInfo
from txsctp.notifications import (
    AssociationChange,
    AssociationState,
    Notification,
    NotificationType,
    UnknownNotification,
    parseNotification,
)
from txsctp.options import PeerAddrInfo, Status
from txsctp.sctpsocket import ONE_TO_MANY, ONE_TO_ONE, SCTPSocket

if TYPE_CHECKING:
    from txsctp._transport import SCTPTransport

__all__ = ["bindListening", "makeSocket"]

_log = Logger()

_RECEIVE_BATCH = 64
_KEEP_READING = object()
_MSG_EOR = lib.MSG_EOR
_MSG_NOTIFICATION = lib.MSG_NOTIFICATION
_tupleNew = tuple.__new__
_EMPTY_INFO = RcvInfo()
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


def makeSocket(options: AssociationOptions, family: int, style: str) -> SCTPSocket:
    """
    A new non-blocking kernel socket with C{options}, handed to their
    C{prepareSocket} (if given) before anything is bound or connected.
    """
    sock = SCTPSocket(
        family, style, blocking=False, events=options.events, tuning=options.tuning,
        initMsg=options.initMsg(),
    )
    if options.prepareSocket is not None:
        try:
            options.prepareSocket(sock)
        except BaseException:
            sock.close()
            raise
    return sock


def bindListening(interface, port: int, options: AssociationOptions, style: str, backlog: int) -> SCTPSocket:
    """
    A new kernel socket of C{style} bound to C{interface} (the wildcard,
    one address, or several with bindx) and C{port}, listening.
    """
    if isinstance(interface, str) and interface in ("", "0.0.0.0", "::"):
        family = _stdsocket.AF_INET6 if interface == "::" else _stdsocket.AF_INET
        sock = makeSocket(options, family, style)
        try:
            sock.bind((interface, port))
            sock.listen(backlog)
        except BaseException:
            sock.close()
            raise
        return sock
    hosts = hostList(interface, "interface")
    family = familyFor(hosts)
    sock = makeSocket(options, family, style)
    try:
        sock.bindx(hosts, port)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


@implementer(ICarrier)
class _SocketDescriptor(abstract.FileDescriptor):
    """
    The reactor's view of one kernel SCTP socket, and the carrier of its
    associations: reads and dispatches messages and notifications, flushes
    association queues.

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

    @property
    def socket(self) -> Optional[SCTPSocket]:
        """
        The L{SCTPSocket} (C{ISCTPTransport.socket}, and
        C{ISCTPListeningPort.socket} for a one-to-many port).
        """
        return self.sock

    @property
    def addressFamily(self) -> int:
        return self.sock.family

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
        ppid, context, assocId, prValue, stream, flags, prPolicy = unpackMeta(meta)
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
            # The kernel queues the association's SEND_FAILED notifications
            # after the one that ended it: deliver what this read finds
            # before connectionLost.
            transport._ending = transport._refuseWrites = True
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

    def _assocIdOf(self, transport: SCTPTransport) -> int:
        # One-to-one sockets take 0 for "the socket's association".
        return transport.assocId if self.style == ONE_TO_MANY else 0

    def localAddresses(self, assocId: int) -> List[Tuple[str, int]]:
        return self.sock.getLocalAddresses(assocId)

    def peerAddresses(self, assocId: int) -> List[Tuple[str, int]]:
        return self.sock.getPeerAddresses(assocId)

    def pathState(self, address: Tuple[str, int], assocId: int) -> PeerAddrInfo:
        return self.sock.getPeerAddrInfo(address, assocId)

    def setPrimaryAddress(self, address: Tuple[str, int], assocId: int) -> None:
        self.sock.setPrimaryAddress(address, assocId)

    def status(self, assocId: int) -> Status:
        return self.sock.getStatus(assocId)

    def subscribeSenderDry(self, transport: SCTPTransport, on: bool) -> None:
        self.sock.subscribe([NotificationType.SENDER_DRY_EVENT], on, self._assocIdOf(transport))


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

    def _carry(self, transport: SCTPTransport) -> None:
        """
        Carry C{transport}, built by the port or connector for this
        socket's association.
        """
        self.transport = transport
        self.connected = 1

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

    def associationPaused(self, transport: SCTPTransport) -> None:
        self.stopReading()

    def associationResumed(self, transport: SCTPTransport) -> None:
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

    def associationLost(self, transport: SCTPTransport) -> None:
        self.stopReading()
        self.stopWriting()
        self.disconnected = 1
        self.connected = 0
        self.reactor.removeReader(self)
        self.reactor.removeWriter(self)
        self._closeSocket()

    def shutdownAssociation(self, transport: SCTPTransport) -> None:
        self.sock.shutdown(_stdsocket.SHUT_WR)

    def abortAssociation(self, transport: SCTPTransport) -> None:
        # One-to-one sockets refuse SCTP_ABORT in sendmsg: linger 0 makes
        # the close that follows (in associationLost) send the ABORT.
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


class _PeeledSocket(_OneToOneSocket):
    """
    The socket an association was peeled off to (one-to-one in use, but of
    the kernel's UDP_HIGH_BANDWIDTH style: shutdown() does nothing there,
    SCTP_EOF in sendmsg starts the SHUTDOWN).
    """

    def shutdownAssociation(self, transport: SCTPTransport) -> None:
        self.sock.sendMessage(b"", eof=True)

    def _buildAssociation(self, notification: AssociationChange) -> None:
        self._orphan(notification)
