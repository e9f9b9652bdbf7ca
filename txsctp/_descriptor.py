"""
The kernel stack's carrier: the file descriptor of one kernel SCTP socket,
registered with the reactor (after C{twisted.internet.abstract.FileDescriptor}).

  - L{_SocketDescriptor} is the L{BaseCarrier} of a kernel socket: it
    reads messages and notifications in batches (C{recvmmsg}, decoded in C
    by L{txsctp._batch}) and hands the associations' queues of whole
    messages to the kernel in batches (C{sendmmsg}).
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
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, Tuple, Union

from twisted.internet import abstract, error
from twisted.logger import Logger
from twisted.python import failure

from txsctp._assocoptions import AssociationOptions
from txsctp._basecarrier import _KEEP_READING, BaseCarrier
from txsctp._batch import lastSendError, sendBlob, sharedReceiver
from txsctp._extension import lib
from txsctp._messageformats import unpackMeta
from txsctp._portsupport import familyFor, hostList
from txsctp.address import SCTPAddress
from txsctp.errors import CommunicationLostError, PeerAbortedError
from txsctp.notifications import (
    AssociationChange,
    NotificationType,
    parseNotification,
)
from txsctp.options import PeerAddrInfo, Status
from txsctp.sctpsocket import ONE_TO_MANY, SCTPSocket

if TYPE_CHECKING:
    from txsctp._transport import SCTPTransport

__all__ = ["bindListening", "makeSocket"]

_log = Logger()

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
# _batch.sendOne without its check of the packed parameters (always
# packMeta's here) or its exception: 1, or -1 with lastSendError().  On the
# one-message flush a Python frame costs as much as the send's own work.
_sendOneRaw: Callable[[int, bytes, int, bytes], int] = lib.txsctp_sendmeta1_nosignal
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


def bindListening(interface: Union[str, Sequence[str]], port: int, options: AssociationOptions, style: str,
                  backlog: int) -> SCTPSocket:
    """
    A new kernel socket of C{style} bound to C{interface} (the wildcard,
    one address, or several with bindx) and C{port}, listening.
    """
    if isinstance(interface, str) and interface in ("", "0.0.0.0", "::"):
        family: int = _stdsocket.AF_INET6 if interface == "::" else _stdsocket.AF_INET
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


class _SocketDescriptor(BaseCarrier, abstract.FileDescriptor):
    """
    The reactor's view of one kernel SCTP socket, and the carrier of its
    associations: reads and dispatches messages and notifications, flushes
    association queues (L{BaseCarrier}), with one C{recvmmsg} or
    C{sendmmsg} per batch.

    @ivar sock: the L{SCTPSocket}.
    @ivar maxSendSize: the largest message the kernel takes in one send
        (its send buffer size).
    """

    _parseNotification = staticmethod(parseNotification)
    # From _setSocket on (a client's socket is made when it connects).
    sock: SCTPSocket

    def __init__(self, sock: Optional[SCTPSocket], reactor: Any, options: AssociationOptions) -> None:
        abstract.FileDescriptor.__init__(self, reactor)
        self._initCarrier(options)
        if sock is not None:
            self._setSocket(sock)

    def _setSocket(self, sock: SCTPSocket) -> None:
        self.sock = sock
        fd = self._fd = sock.fileno()
        self._maxSendSize = 0
        receiver = self._receiveSource = sharedReceiver()
        # Partials, not methods: the read and the one-message send call C
        # with no Python frame of their own.
        self._receive = partial(receiver.receive, fd)
        self._sendOne = partial(_sendOneRaw, fd)

    @property
    def addressFamily(self) -> int:
        return self.sock.family

    def fileno(self) -> int:
        sock = self.sock
        return -1 if sock is None else sock.fileno()

    def doRead(self) -> Optional[failure.Failure]:
        return self.readAvailable()

    def doWrite(self) -> None:
        self._stackFull = False
        self._flush()
        if not self._stackFull:
            # Everything queued went (or waits for a flush already
            # scheduled): stop watching for room.  While the kernel stays
            # full the descriptor stays watched -- no epoll_ctl to stop
            # and another to start again at every wake-up of a bulk sender.
            self.stopWriting()
        return None

    # -- the kernel's side of reading and writing ----------------------------

    @staticmethod
    def _lastSendError() -> OSError:
        return lastSendError()

    def _sendMany(self, datas: Sequence[bytes], metas: Sequence[bytes], sizes: Optional[Sequence[int]]) -> int:
        return sendBlob(self._fd, datas, metas, bundle=self._bundling(), sizes=sizes)

    def _bundling(self) -> bool:
        """
        Whether batches go out bundled (L{AssociationOptions.bundle}).
        """
        return self.options.bundle and self.maxSendSize >= _BUNDLE_MIN_SEND_BUFFER

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

    def _waitForRoom(self) -> None:
        self.startWriting()

    # -- association ends -------------------------------------------------

    def associationLost(self, transport: SCTPTransport) -> None:
        raise NotImplementedError()

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

    def __init__(self, sock: Optional[SCTPSocket], reactor: Any, options: AssociationOptions) -> None:
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

    def _readError(self, e: OSError) -> Any:
        # The kernel reports a dead association's error (ECONNRESET after an
        # ABORT, ETIMEDOUT...) before the notification queued with it: note
        # it and read on, so the notification tells the Protocol first.
        if e.errno in (errno.ECONNRESET, errno.ECONNABORTED, errno.ETIMEDOUT, errno.EPIPE,
                       errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
            if self._socketError is None:
                self._socketError = e
                return _KEEP_READING
        return self._gone()

    def _gone(self) -> Optional[failure.Failure]:
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

    def _readEOF(self) -> Optional[failure.Failure]:
        # EOF on a one-to-one socket: the association is gone (if its
        # SHUTDOWN_COMP or COMM_LOST notification was read, the transport
        # has already ended).
        return self._gone()

    def _drained(self) -> Optional[failure.Failure]:
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

    def connectionLost(self, reason: failure.Failure) -> None:
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
