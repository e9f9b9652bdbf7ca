"""
The userspace SCTP stack's socket layer: usrsctp (the FreeBSD SCTP stack
as a library) carrying SCTP inside UDP (RFC 6951), with no Twisted.

One L{UsrsctpStack} per process drives usrsctp, initialised with
C{usrsctp_init_nothreads}: usrsctp runs no timer or receive thread (only
its iterator thread, which sends nothing for AF_CONN addresses), and every
call into it happens on the thread that created the stack (any other
raises L{WrongThreadError}).  usrsctp sees only C{AF_CONN}
addresses; the caller owns the UDP sockets and moves the packets:

  - B{Handles.}  Each remote UDP endpoint (local UDP socket, remote host,
    remote UDP port) gets one conn-address handle (L{UsrsctpStack.addPeer}),
    an integer registered with usrsctp as an AF_CONN address.  SCTP port
    numbers live inside the SCTP packets, so two peers that use the same
    SCTP port from different hosts or UDP ports are different handles and
    never collide.  A listening socket bound to the AF_CONN wildcard takes
    INITs arriving on any registered handle.
  - B{Packets in.}  L{UsrsctpStack.receiveDatagrams} reads a UDP socket
    with C{recvmmsg} and feeds every datagram from a known endpoint to
    usrsctp in C; datagrams from unknown endpoints come back to the caller,
    which decides whether to give them a handle (L{UsrsctpStack.addPeer},
    then L{UsrsctpStack.input}).  usrsctp checks every packet's CRC32c.
  - B{Packets out.}  usrsctp's output callback only queues packets in C;
    L{UsrsctpStack.flush} sends them all with C{sendmmsg} on each handle's
    UDP socket (or L{UsrsctpStack.takeOutput} hands them over).  Call it
    after every call into the stack that can produce packets: any input,
    any send, connect, shutdown, close and L{UsrsctpStack.handleTimers}.
  - B{Readiness.}  usrsctp's socket upcall only marks the socket in C;
    L{UsrsctpStack.collect} reports the marked sockets with their events
    in one call.  usrsctp calls upcalls only for packets it processes; what
    a timer changes (an association that times out, a path that fails) it
    does not report, so L{UsrsctpStack.handleTimers} tells when to collect
    with C{all=True}.
  - B{Timers.}  usrsctp counts time in 1 ms ticks and advances it only in
    L{UsrsctpStack.handleTimers}; it has no call that tells the next
    deadline, so the caller ticks at a fixed period while
    L{UsrsctpStack.needsTimers} says so, and stops when it does not.

L{UsrsctpSocket} is one usrsctp socket, one-to-one (C{SOCK_STREAM}) or
one-to-many (C{SOCK_SEQPACKET}), always non-blocking.  It speaks txsctp's
values: Linux's flag and state numbers, PPIDs in host order, the records
of L{txsctp._batch} and the types of L{txsctp.info},
L{txsctp.notifications} and L{txsctp.options}, so the layers above share
the kernel stack's logic.  Addresses are C{(host, port)}: the peer's UDP
host with the SCTP port.  Its option getters and setters live in
L{txsctp._usrsctp_options}.

Where kernel SCTP has a feature usrsctp lacks (multi-homing, PR-SCTP
priority, per-message destinations or keys, association statistics), the
call raises L{StackFeatureError} naming it.
"""

from __future__ import annotations

import errno
import socket as _stdsocket
import threading
from array import array
from typing import TYPE_CHECKING, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

from txsctp import _usrsctp_values as _values
from txsctp._batch import RECORD, R_ADDRLEN, R_HAS_RCVINFO, R_INFO, R_LEN, R_MSG_FLAGS, packMeta
from txsctp._extension import ffi as _kffi
from txsctp._messageformats import META
from txsctp._usrsctp_extension import ffi, lib
from txsctp._usrsctp_options import UsrsctpOptions
from txsctp._usrsctp_values import HostPort, checkUint, packAddress, unpackAddress
from txsctp.errors import (
    MessageTooLongError,
    SocketClosedError,
    StackFeatureError,
    StreamOutOfRangeError,
    WrongThreadError,
    fromErrno,
)
from txsctp.info import Message, RcvInfo
from txsctp.notifications import Notification
from txsctp.options import ONE_TO_MANY, ONE_TO_ONE, PRPolicy

if TYPE_CHECKING:
    from txsctp._usrsctp_cffi import CData

__all__ = [
    "UsrsctpStack",
    "UsrsctpSocket",
    "PeerEndpoint",
    "ONE_TO_ONE",
    "ONE_TO_MANY",
    "EVENT_READ",
    "EVENT_WRITE",
    "EVENT_ERROR",
    "EVENT_SEND_RETRY",
    "FUTURE_ASSOC",
    "CURRENT_ASSOC",
    "ALL_ASSOC",
]

# The socket styles, as the kernel socket layer names them.
_STYLE_CODES = {ONE_TO_ONE: lib.SOCK_STREAM, ONE_TO_MANY: lib.SOCK_SEQPACKET}
EVENT_READ = lib.SCTP_EVENT_READ
EVENT_WRITE = lib.SCTP_EVENT_WRITE
EVENT_ERROR = lib.SCTP_EVENT_ERROR
EVENT_SEND_RETRY = lib.TXU_EVENT_SEND_RETRY
FUTURE_ASSOC = lib.SCTP_FUTURE_ASSOC
CURRENT_ASSOC = lib.SCTP_CURRENT_ASSOC
ALL_ASSOC = lib.SCTP_ALL_ASSOC

MAX_BATCH = lib.TXU_MAX_BATCH

# The records and parameter blocks are the kernel stack's (txsctp._batch):
# the same bytes, so the upper layer reads both with one format.
if (RECORD.size != ffi.sizeof("struct txu_rcv")
        or any(ffi.offsetof("struct txu_rcv", f) != _kffi.offsetof("struct txsctp_rcv", f)
               for f in ("len", "msg_flags", "sid", "ppid", "assoc_id", "nxt_assoc_id", "addrlen", "addr"))
        or META.size != ffi.sizeof("struct txu_meta")):
    raise ImportError("txsctp._usrsctp: the usrsctp binding's records no longer match txsctp._batch's; "
                      "rebuild txsctp")

_MSG_EOR = lib.MSG_EOR
_MSG_NOTIFICATION = lib.TXU_L_MSG_NOTIFICATION
_UNORDERED = lib.TXU_L_UNORDERED
_ABORT = lib.TXU_L_ABORT
_EOF = lib.TXU_L_EOF
_SACK_IMMEDIATELY = lib.TXU_L_SACK_IMMEDIATELY
_RECORD_SIZE = RECORD.size
_ADDR_OFFSET = ffi.offsetof("struct txu_rcv", "addr")
_RECEIVE_BUFFER = 256 * 1024
_UNKNOWN_BUFFER = 256 * 1024
_NO_RCVINFO = RcvInfo()
_tupleNew = tuple.__new__

# Ticks of grace after a close or a handle's removal: usrsctp frees a
# closed endpoint or association from a 10-20 ms timer when it cannot at
# once, and handles a removed address 2 ms later.
CLEANUP_MS = 100


class PeerEndpoint(NamedTuple):
    """
    The remote UDP endpoint behind a conn-address handle.

    @ivar fd: the local UDP socket its packets go out on.
    @ivar host: the remote host.
    @ivar port: the remote UDP port.
    @ivar packetsIn: datagrams fed to usrsctp from it.
    @ivar packetsOut: packets sent to it.
    @ivar lastActivity: C{CLOCK_MONOTONIC} time of its last datagram in.
    """

    fd: int
    host: str
    port: int
    packetsIn: int
    packetsOut: int
    lastActivity: float


class UsrsctpStack:
    """
    usrsctp in this process: initialised once, driven from one thread.

    Get it with L{get}; the thread that first does so owns it.

    @ivar clock: milliseconds passed to L{handleTimers} so far (usrsctp's
        own clock).
    """

    _instance: Optional["UsrsctpStack"] = None
    closeHook: Optional[Callable[[], None]] = None
    """
    Called after a socket is closed (its associations may still be shutting
    down, and usrsctp has cleanup to do: a caller that stopped ticking
    timers should start again).
    """

    @classmethod
    def get(cls) -> "UsrsctpStack":
        """
        The process's stack, initialising usrsctp (C{usrsctp_init_nothreads},
        AF_CONN only) on the first call.

        @raise WrongThreadError: called from another thread than the first
            call's.
        """
        stack = cls._instance
        if stack is None:
            stack = cls._instance = cls(_create=True)
        else:
            stack._checkThread("UsrsctpStack.get")
        return stack

    def __init__(self, *, _create: bool = False) -> None:
        if not _create:
            raise TypeError("use UsrsctpStack.get(): usrsctp is initialised once per process")
        self._thread = threading.get_ident()
        self._threadName = threading.current_thread().name
        lib.txu_init()
        self.clock = 0
        self._cleanupUntil = 0
        self._sockets: Dict[int, UsrsctpSocket] = {}
        # Sockets closed by the caller whose associations are still
        # shutting down: id -> C socket.  usrsctp_close comes once none is
        # left (see UsrsctpSocket.close).
        self._closing: Dict[int, CData] = {}
        self._nextId = 1
        self._ids = ffi.new("uint64_t[]", lib.TXU_COLLECT_MAX)
        self._events = ffi.new("int[]", lib.TXU_COLLECT_MAX)
        self._blocked = ffi.new("int *")
        self._unknownBuffer = ffi.new("char[]", _UNKNOWN_BUFFER)
        self._unknownRecords = ffi.new("struct txu_unknown[]", MAX_BATCH)
        self._unknownCount = ffi.new("unsigned *")
        self._peerInfo = (ffi.new("int *"), ffi.new("struct sockaddr_storage *"), ffi.new("socklen_t *"),
                          ffi.new("uint64_t *"), ffi.new("uint64_t *"), ffi.new("double *"))
        self._peerNames: Dict[int, HostPort] = {}
        # Receive buffers, shared by every socket: a receive copies out at
        # once.
        self._rxBuffer = ffi.new("char[]", _RECEIVE_BUFFER)
        self._rxRecords = ffi.new("struct txu_rcv[]", MAX_BATCH)
        self._rxRecordBytes = ffi.buffer(self._rxRecords)
        self._rxTotal = ffi.new("size_t *")
        self._addressCache: Dict[bytes, Optional[HostPort]] = {}

    def _checkThread(self, call: str) -> None:
        if threading.get_ident() != self._thread:
            raise WrongThreadError(
                f"{call}: the userspace SCTP stack runs on the thread that started it "
                f"({self._threadName!r}); call it from there (from another thread: "
                f"reactor.callFromThread)")

    # -- conn-address handles ------------------------------------------

    def addPeer(self, fd: int, host: str, port: int) -> int:
        """
        Register a conn-address handle for a remote UDP endpoint.

        @param fd: the local UDP socket that talks to it.
        @param host: its IP address (a literal).
        @param port: its UDP port.
        @return: the handle.
        @raise ValueError: that endpoint has a handle already.
        """
        self._checkThread("addPeer")
        address, size = packAddress(host, port)
        handle: int = lib.txu_peer_add(fd, address, size)
        if not handle:
            err = ffi.errno
            if err == errno.EEXIST:
                raise ValueError(f"UDP endpoint {host}:{port} on socket {fd} has a handle already")
            raise fromErrno(err, "addPeer", f"{host}:{port}")
        self._peerNames[handle] = (host, port)
        return handle

    def findPeer(self, fd: int, host: str, port: int) -> Optional[int]:
        """
        The handle of a remote UDP endpoint, or C{None}.
        """
        self._checkThread("findPeer")
        address, size = packAddress(host, port)
        return lib.txu_peer_find(fd, address, size) or None

    def removePeer(self, handle: int) -> None:
        """
        Deregister a handle.  Packets usrsctp still makes for it are
        dropped, and datagrams from its endpoint count as unknown again:
        remove a handle only once no association uses it.

        @raise KeyError: no such handle.
        """
        self._checkThread("removePeer")
        if lib.txu_peer_remove(handle) < 0:
            raise KeyError(handle)
        self._peerNames.pop(handle, None)
        self._cleanupUntil = self.clock + CLEANUP_MS

    def peerEndpoint(self, handle: int) -> PeerEndpoint:
        """
        @raise KeyError: no such handle.
        """
        self._checkThread("peerEndpoint")
        fd, storage, length, packetsIn, packetsOut, last = self._peerInfo
        if lib.txu_peer_get(handle, fd, storage, length, packetsIn, packetsOut, last) < 0:
            raise KeyError(handle)
        address = unpackAddress(storage)
        assert address is not None  # the table holds IP endpoints only
        host, port = address
        return PeerEndpoint(fd[0], host, port, packetsIn[0], packetsOut[0], last[0])

    def peers(self) -> List[int]:
        """
        Every registered handle.
        """
        self._checkThread("peers")
        out = ffi.new("uintptr_t[]", max(1, len(self._peerNames)))
        n = lib.txu_peer_list(out, len(out))
        return [out[i] for i in range(n)]

    def handlesInUse(self) -> Dict[int, int]:
        """
        The handles that associations use (on open sockets and on closed
        ones still shutting down), with how many use each.  A handle not
        listed and idle (L{PeerEndpoint.lastActivity}) for longer than the
        cookie lifetime (60 s by default) can be removed: any handshake
        through it has expired.
        """
        self._checkThread("handlesInUse")
        ptrs = [s._ptr for s in self._sockets.values() if s._ptr is not None] + list(self._closing.values())
        counts: Dict[int, int] = {}
        out = ffi.new("struct txu_addr[]", 64)
        for ptr in ptrs:
            if lib.txu_assoc_count(ptr) <= 0:
                continue
            try:
                assocIds = UsrsctpSocket._assocIdsOf(ptr)
            except OSError:
                assocIds = [0]   # one-to-one
            for assocId in assocIds:
                for i in range(max(0, lib.txu_getaddrs(ptr, assocId, 1, out, 64))):
                    if out[i].family == lib.AF_CONN:
                        counts[out[i].conn] = counts.get(out[i].conn, 0) + 1
        return counts

    def mapAddress(self, handle: int, port: int) -> Optional[HostPort]:
        """
        C{(host, port)} for an AF_CONN address: the handle's remote UDP
        host with the SCTP port C{port}.
        """
        name = self._peerNames.get(handle)
        return None if name is None else (name[0], port)

    def _mapStorage(self, storage: CData) -> Optional[HostPort]:
        family = ffi.cast("struct sockaddr *", storage).sa_family
        if family == lib.AF_CONN:
            conn = ffi.cast("struct sockaddr_conn *", storage)
            return self.mapAddress(int(ffi.cast("uintptr_t", conn.sconn_addr)), _stdsocket.ntohs(conn.sconn_port))
        return unpackAddress(storage)

    # -- packets -------------------------------------------------------

    def input(self, handle: int, data: bytes) -> None:
        """
        Feed one UDP datagram's payload (an SCTP packet) that came from the
        handle's endpoint.  usrsctp verifies its CRC32c and discards what
        is not valid SCTP.

        @raise KeyError: no such handle.
        """
        self._checkThread("input")
        if lib.txu_conninput(handle, data, len(data)) != 0:
            raise KeyError(handle)

    def receiveDatagrams(self, fd: int, maxDatagrams: int = 32) -> Tuple[int, List[Tuple[HostPort, bytes]]]:
        """
        Read up to C{maxDatagrams} (at most 32) datagrams waiting on a UDP
        socket and feed those from registered endpoints to usrsctp.

        @return: C{(count read, unknown)}: C{unknown} lists C{((host,
            port), payload)} for datagrams from endpoints without a handle
            (at most 64 KiB of them per call; more are dropped and
            counted).  C{(0, [])} when nothing was waiting.
        @raise OSError: the socket failed.
        """
        self._checkThread("receiveDatagrams")
        count = self._unknownCount
        n = lib.txu_udp_receive(fd, maxDatagrams, self._unknownBuffer, _UNKNOWN_BUFFER,
                                self._unknownRecords, MAX_BATCH, count)
        if n < 0:
            err = ffi.errno
            if err in (errno.EAGAIN, errno.EWOULDBLOCK):
                return 0, []
            raise fromErrno(err, "recvmmsg")
        unknown = []
        offset = 0
        for i in range(count[0]):
            record = self._unknownRecords[i]
            address = unpackAddress(ffi.addressof(record.addr))
            data = ffi.buffer(self._unknownBuffer + offset, record.len)[:]
            offset += record.len
            if address is not None:
                unknown.append((address, data))
        return n, unknown

    def flush(self) -> Optional[int]:
        """
        Send every packet usrsctp has queued, each on its handle's UDP
        socket.  A packet that fails for another reason than a full socket
        buffer is dropped and counted (SCTP retransmits, as after a loss).

        @return: C{None} when all went; else the UDP socket whose buffer is
            full (the rest stays queued: call again once it is writable).
        """
        self._checkThread("flush")
        left = lib.txu_flush(self._blocked)
        return self._blocked[0] if left else None

    def takeOutput(self, maxPackets: int = 1024) -> List[Tuple[int, bytes]]:
        """
        Take queued packets instead of sending them: C{(handle, packet)}
        pairs, for a caller that writes them itself.
        """
        self._checkThread("takeOutput")
        out: List[Tuple[int, bytes]] = []
        buf = self._unknownBuffer
        records = ffi.new("struct txu_outrec[]", MAX_BATCH)
        total = ffi.new("size_t *")
        while len(out) < maxPackets:
            n = lib.txu_take_output(buf, _UNKNOWN_BUFFER, records, min(MAX_BATCH, maxPackets - len(out)), total)
            if n == 0:
                break
            offset = 0
            for i in range(n):
                length = records[i].len
                out.append((records[i].peer, ffi.buffer(buf + offset, length)[:]))
                offset += length
        return out

    # -- readiness -----------------------------------------------------

    def collect(self, all: bool = False) -> List[Tuple["UsrsctpSocket", int]]:
        """
        The sockets that have something to report since the last call:
        those usrsctp's upcall marked (a packet for them was processed) and
        those a call here may have changed (a send, connect, shutdown); with
        C{all=True} also every socket that is readable or in error (after
        L{handleTimers} returned C{True}).

        @return: C{(socket, events)} pairs, C{events} made of
            C{EVENT_READ}, C{EVENT_WRITE}, C{EVENT_ERROR} and
            C{EVENT_SEND_RETRY}.  The last is this layer's: the socket
            refused a send for lack of room (L{BlockingIOError}) and
            packets have come in or timers have run since, so it may take
            it now.  Resume a paused writer on it: usrsctp reports
            C{EVENT_WRITE} only for one-to-one sockets, and only when a
            packet for that socket also made it readable or writable.
        """
        self._checkThread("collect")
        n = lib.txu_collect(self._ids, self._events, lib.TXU_COLLECT_MAX, 1 if all else 0)
        sockets = self._sockets
        out = []
        for i in range(n):
            sock = sockets.get(self._ids[i])
            if sock is not None:
                out.append((sock, self._events[i]))
        if self._closing:
            self._serviceClosing()
        return out

    def _serviceClosing(self) -> None:
        """
        Read and drop what closed sockets still receive, and close for good
        those whose associations have all ended.
        """
        total = self._rxTotal
        for sid, ptr in list(self._closing.items()):
            while lib.txu_recv_batch(ptr, self._rxBuffer, _RECEIVE_BUFFER, self._rxRecords, MAX_BATCH, total) > 0:
                pass
            if lib.txu_assoc_count(ptr) <= 0:
                del self._closing[sid]
                lib.txu_close(ptr)
                self._cleanupUntil = self.clock + CLEANUP_MS

    # -- timers --------------------------------------------------------

    def handleTimers(self, elapsedMs: int) -> bool:
        """
        Advance usrsctp's clock by C{elapsedMs} milliseconds and run the
        timers due (usrsctp ticks are 1 ms).  Flush afterwards.

        @return: C{True} if a timer ran that may have changed a socket
            without an upcall (an association or path timing out): then
            call L{collect} with C{all=True}.
        """
        self._checkThread("handleTimers")
        if isinstance(elapsedMs, bool) or not isinstance(elapsedMs, int) or not 0 <= elapsedMs <= 0xFFFFFFFF:
            raise ValueError(f"elapsedMs must be an int in 0..2**32-1, not {elapsedMs!r}")
        self.clock += elapsedMs
        return bool(lib.txu_handle_timers(elapsedMs))

    def associationCount(self) -> int:
        """
        Associations in any state, from COOKIE-WAIT to SHUTDOWN-ACK-SENT, on
        the open sockets and on those closed while theirs shut down.  (An
        association that a listening one-to-one socket has not handed to
        L{UsrsctpSocket.accept} yet is not counted: accept promptly.)
        """
        self._checkThread("associationCount")
        if self._closing:
            self._serviceClosing()
        count: int = lib.txu_total_assocs()
        return count

    def needsTimers(self) -> bool:
        """
        Whether usrsctp has timer work to do: some association exists, or a
        close or handle removal is less than L{CLEANUP_MS} ms of ticks ago
        (usrsctp frees what it could not free at once from short timers).
        With no association, the only timers left are each endpoint's
        hourly cookie-secret change, which can wait: stop ticking.
        """
        self._checkThread("needsTimers")
        if self._closing:
            self._serviceClosing()
        return self.clock < self._cleanupUntil or lib.txu_total_assocs() > 0

    # -- sockets -------------------------------------------------------

    def socket(self, style: str = ONE_TO_ONE) -> "UsrsctpSocket":
        """
        A new non-blocking AF_CONN socket, C{SCTP_RECVRCVINFO} on.

        @param style: L{ONE_TO_ONE} or L{ONE_TO_MANY}.
        """
        self._checkThread("socket")
        if style not in (ONE_TO_ONE, ONE_TO_MANY):
            raise ValueError(f"style must be {ONE_TO_ONE!r} or {ONE_TO_MANY!r}, not {style!r}")
        sid = self._newId()
        ptr = lib.txu_socket(_STYLE_CODES[style], sid)
        if ptr == ffi.NULL:
            raise fromErrno(ffi.errno, "usrsctp_socket")
        return self._adopt(ptr, sid, style)

    def _newId(self) -> int:
        sid = self._nextId
        self._nextId += 1
        return sid

    def _adopt(self, ptr: CData, sid: int, style: str) -> "UsrsctpSocket":
        sock = UsrsctpSocket(self, ptr, sid, style)
        self._sockets[sid] = sock
        return sock

    def _forget(self, sock: "UsrsctpSocket", ptr: CData, graceful: bool) -> None:
        """
        The caller closed C{sock}: close it in usrsctp now, or (C{graceful})
        once its associations have shut down.
        """
        self._sockets.pop(sock.id, None)
        if graceful:
            self._closing[sock.id] = ptr
            self._serviceClosing()
        else:
            lib.txu_close(ptr)
            self._cleanupUntil = self.clock + CLEANUP_MS
        if self.closeHook is not None:
            self.closeHook()

    def sockets(self) -> List["UsrsctpSocket"]:
        """
        The open sockets.
        """
        return list(self._sockets.values())

    # -- diagnostics ---------------------------------------------------

    def stats(self) -> Dict[str, int]:
        """
        Counters of this layer (packets queued, sent, dropped; datagrams in,
        from unknown endpoints; upcalls...) and a few of usrsctp's own
        (C{usrsctp_get_stat}: checksum errors, packets without a
        listener...).
        """
        st = ffi.new("struct txu_stats *")
        lib.txu_get_stats(st)
        out = {name: getattr(st, name) for name in (
            "queued_packets", "queued_bytes", "sent_packets", "send_errors", "dropped_dead_peer",
            "dropped_queue_full", "received_datagrams", "unknown_datagrams", "unknown_dropped",
            "foreign_thread_outputs", "upcalls", "last_send_errno", "queue_len", "queue_bytes",
            "peers", "sockets")}
        us = ffi.new("struct sctpstat *")
        lib.usrsctp_get_stat(us)
        for name in ("currestab", "activeestab", "passiveestab", "aborted", "shutdown", "outoftheblue",
                     "checksumerrors", "recvpackets", "recvdatagrams", "sendpackets", "sendswcrc",
                     "sendhwcrc", "hdrops", "badsum", "noport", "badvtag", "timoinpkill", "timoassockill",
                     "timosecret", "timoiterator"):
            out["usrsctp_" + name] = getattr(us, "sctps_" + name)
        return out


_UNSUPPORTED_PR: Dict[int, str] = {PRPolicy.PRIO: "the PR-SCTP priority policy (SCTP_PR_SCTP_PRIO)"}


class UsrsctpSocket(UsrsctpOptions):
    """
    One usrsctp socket (see the module docstring).  Close it with
    L{close}: the stack holds every open socket.

    @ivar id: its number, unique in the process.
    @ivar style: L{ONE_TO_ONE} or L{ONE_TO_MANY}.
    @ivar events: the notification types (L{NotificationType}, Linux
        numbers) subscribed with L{subscribe}.
    """

    def __init__(self, stack: UsrsctpStack, ptr: CData, sid: int, style: str) -> None:
        self._stack = stack
        self._ptr: Optional[CData] = ptr
        self._so = lib.txu_so(ptr)
        self.id = sid
        self.style = style
        self.events: Tuple[int, ...] = ()
        self._abortOnClose = False
        self._port = 0
        self.peeledOff = False

    def __repr__(self) -> str:
        kind = self.style
        state = " closed" if self._ptr is None else ""
        return f"<UsrsctpSocket {self.id} {kind}{state}>"

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def getsockname(self) -> HostPort:
        """
        C{("0.0.0.0", port)}: the local SCTP port (0 while unbound); the
        local address is its UDP socket's (see L{UsrsctpOptions.getLocalAddresses}).
        """
        return ("0.0.0.0", self.getLocalPort())

    def fileno(self) -> int:
        """
        -1: a usrsctp socket has no file descriptor (its packets travel
        through the UDP sockets of its handles).
        """
        return -1

    def _check(self, call: str) -> CData:
        self._stack._checkThread(call)
        if self._ptr is None:
            raise SocketClosedError(call)
        return self._ptr

    # -- life cycle ----------------------------------------------------

    def bind(self, port: int = 0, handle: int = 0) -> None:
        """
        Bind to an SCTP port on the AF_CONN wildcard (C{handle=0}: every
        registered handle) or on one handle.
        """
        ptr = self._check("bind")
        checkUint("port", port, 16)
        if lib.txu_bind(ptr, handle, port) < 0:
            raise fromErrno(ffi.errno, "bind", f"port {port}")
        self._port = port

    def bindx(self, *args: object, **kwargs: object) -> None:
        raise StackFeatureError("binding several addresses (bindx, multi-homing)")

    def listen(self, backlog: int = 128) -> None:
        self._check("listen")
        if lib.usrsctp_listen(self._so, backlog) < 0:
            raise fromErrno(ffi.errno, "listen")

    def accept(self) -> Tuple["UsrsctpSocket", int, int]:
        """
        Accept an association from a listening one-to-one socket.

        @return: C{(socket, handle, port)}: the new socket, the peer's
            handle and SCTP port.
        @raise BlockingIOError: none is waiting.
        """
        ptr = self._check("accept")
        handle = ffi.new("uintptr_t *")
        port = ffi.new("uint16_t *")
        sid = self._stack._newId()
        new = lib.txu_accept(ptr, sid, handle, port)
        if new == ffi.NULL:
            raise fromErrno(ffi.errno, "accept")
        return self._stack._adopt(new, sid, ONE_TO_ONE), handle[0], port[0]

    def connect(self, handle: int, port: int) -> int:
        """
        Start an association with SCTP port C{port} behind C{handle}
        (non-blocking: COMM_UP, or EVENT_WRITE on a one-to-one socket, says
        when it is up).  On a one-to-many socket, each call starts another
        association.

        @return: the association id.
        """
        ptr = self._check("connect")
        checkUint("port", port, 16)
        if handle not in self._stack._peerNames:
            raise KeyError(handle)
        assoc = ffi.new("sctp_assoc_t *")
        if lib.txu_connect(ptr, handle, port, assoc) < 0 and ffi.errno != errno.EINPROGRESS:
            raise fromErrno(ffi.errno, "connect", str(self._stack.mapAddress(handle, port)))
        assocId: int = assoc[0]
        return assocId

    def connectx(self, *args: object, **kwargs: object) -> int:
        raise StackFeatureError("connecting to several addresses (connectx, multi-homing)")

    def peeloff(self, assocId: int) -> "UsrsctpSocket":
        """
        Branch an association of a one-to-many socket off into a new
        one-to-one socket.
        """
        ptr = self._check("peeloff")
        sid = self._stack._newId()
        new = lib.txu_peeloff(ptr, assocId, sid)
        if new == ffi.NULL:
            raise fromErrno(ffi.errno, "peeloff", f"association {assocId}")
        sock = self._stack._adopt(new, sid, ONE_TO_ONE)
        sock.peeledOff = True
        if self.events:
            sock.subscribe(self.events)
        return sock

    def shutdown(self, how: int = _stdsocket.SHUT_WR) -> None:
        """
        C{SHUT_WR}: send SHUTDOWN once everything queued is acknowledged
        (one-to-one sockets; on one-to-many send with C{eof=True}).
        """
        ptr = self._check("shutdown")
        if how not in (_stdsocket.SHUT_RD, _stdsocket.SHUT_WR, _stdsocket.SHUT_RDWR):
            raise ValueError(f"how must be SHUT_RD, SHUT_WR or SHUT_RDWR, not {how!r}")
        # usrsctp's values are the BSD ones (SHUT_RD 1...), Linux's 0...
        rc = lib.usrsctp_shutdown(self._so, {_stdsocket.SHUT_RD: lib.SHUT_RD, _stdsocket.SHUT_WR: lib.SHUT_WR,
                                             _stdsocket.SHUT_RDWR: lib.SHUT_RDWR}[how])
        err = ffi.errno
        lib.txu_mark(ptr)
        if rc < 0:
            raise fromErrno(err, "shutdown")

    def abort(self, assocId: int = 0, reason: bytes = b"") -> None:
        """
        Abort an association at once (an ABORT chunk with C{reason} as its
        user-initiated cause).
        """
        self.sendMessage(reason, abort=True, assocId=assocId)

    def setLinger(self, on: bool, seconds: int = 0) -> None:
        """
        C{SO_LINGER}: with C{on} and 0 seconds, L{close} aborts the
        associations instead of shutting them down.
        """
        self._check("setLinger")
        value = ffi.new("struct linger *", {"l_onoff": 1 if on else 0, "l_linger": seconds})
        self._setopt(lib.SOL_SOCKET, lib.SO_LINGER, value, ffi.sizeof("struct linger"), "SO_LINGER")
        self._abortOnClose = bool(on) and seconds == 0

    def close(self) -> None:
        """
        Close the socket.  Its associations shut down gracefully, queued
        data first (one-to-one: C{SHUT_WR}; one-to-many: C{SCTP_EOF} to
        each), or abort at once after C{setLinger(True, 0)}.  The socket is
        closed for the caller at once; usrsctp's socket lives on, counted
        by L{UsrsctpStack.associationCount}, until its associations are
        gone: keep ticking, flushing and collecting while
        L{UsrsctpStack.needsTimers} says so.  Closing twice does nothing.
        """
        self._stack._checkThread("close")
        ptr = self._ptr
        if ptr is None:
            return
        self._ptr = None
        graceful = not self._abortOnClose and lib.txu_assoc_count(ptr) > 0
        if graceful:
            # What usrsctp_close would do, but with the socket kept: usrsctp
            # frees an endpoint's last associations from timers of a socket
            # nobody can count any more.
            if self.style == ONE_TO_ONE:
                lib.usrsctp_shutdown(self._so, lib.SHUT_WR)
            else:
                for assocId in self._assocIds(ptr):
                    meta = packMeta(0, 0, _EOF, assocId, 0)
                    lib.txu_send(ptr, b"", 0, ffi.from_buffer("struct txu_meta *", meta))
            lib.txu_mark(ptr)
        self._stack._forget(self, ptr, graceful)

    # -- sending -------------------------------------------------------

    def sendMessage(self, data: bytes, stream: int = 0, ppid: int = 0, *, unordered: bool = False,
                    eof: bool = False, abort: bool = False, sackImmediately: bool = False,
                    sendAll: bool = False, context: int = 0, assocId: int = 0, ttl: Optional[int] = None,
                    prPolicy: int = PRPolicy.NONE, prValue: int = 0, to: Optional[HostPort] = None,
                    dstAddresses: Optional[Sequence] = None, authKey: Optional[int] = None) -> int:
        """
        Send one whole message (C{usrsctp_sendv} with C{SCTP_SENDV_SPA}).

        @param ppid: host byte order (usrsctp wants network order: done
            here).
        @param eof: start a graceful shutdown after this message.
        @param abort: abort the association; C{data} becomes the ABORT's
            user-initiated cause.
        @param ttl: PR-SCTP: give up after C{ttl} ms (C{prPolicy=TTL}).
        @param prPolicy: C{PRPolicy.TTL} (ms) or C{PRPolicy.RTX}
            (retransmissions); C{PRIO} has no usrsctp equivalent.
        @return: C{len(data)}.
        @raise BlockingIOError: the send buffer has no room for it now.
        @raise MessageTooLongError: it is larger than the send buffer
            (C{getSendBufferSize}), which is the largest message usrsctp
            takes.
        @raise StackFeatureError: C{sendAll}, C{to}, C{dstAddresses},
            C{authKey} or the PRIO policy.
        """
        ptr = self._check("sendMessage")
        if sendAll:
            raise StackFeatureError("sending to every association at once (SCTP_SENDALL)")
        if to is not None or dstAddresses is not None:
            raise StackFeatureError("choosing a message's destination address (SCTP_ADDR_OVER, multi-homing)")
        if authKey is not None:
            raise StackFeatureError("a per-message authentication key (SCTP_AUTHINFO)")
        if ttl is not None:
            prPolicy, prValue = PRPolicy.TTL, ttl
        if prPolicy in _UNSUPPORTED_PR:
            raise StackFeatureError(_UNSUPPORTED_PR[prPolicy])
        if prPolicy not in (PRPolicy.NONE, PRPolicy.TTL, PRPolicy.RTX):
            raise ValueError(f"unknown PR-SCTP policy {prPolicy!r}")
        checkUint("stream", stream, 16)
        checkUint("ppid", ppid, 32)
        checkUint("context", context, 32)
        checkUint("assocId", assocId, 32)
        checkUint("prValue", prValue, 32)
        flags = ((_UNORDERED if unordered else 0) | (_EOF if eof else 0) | (_ABORT if abort else 0)
                 | (_SACK_IMMEDIATELY if sackImmediately else 0))
        meta = packMeta(stream, ppid, flags, assocId, context, prPolicy, prValue)
        view = memoryview(data)
        sent = lib.txu_send(ptr, ffi.from_buffer(view), len(view), ffi.from_buffer("struct txu_meta *", meta))
        if sent < 0:
            raise self._sendError(ffi.errno, stream, assocId, len(view))
        return len(view)

    def sendBatch(self, messages: Sequence[tuple]) -> int:
        """
        Send several whole messages in one call into C.  Each item is
        C{(data, stream, ppid, flags, assocId, context)}, optionally
        followed by C{prPolicy, prValue}, with Linux's flag values
        (C{SCTP_UNORDERED}, C{SCTP_EOF}, ...), as for the kernel socket.

        @return: how many were accepted, from the front; fewer than given
            when the send buffer filled.
        @raise OSError: not even the first was accepted
            (L{BlockingIOError} when the buffer is full).
        """
        self._check("sendBatch")
        metas = []
        for item in messages:
            prPolicy, prValue = item[6:8] if len(item) > 6 else (0, 0)
            if prPolicy in _UNSUPPORTED_PR:
                raise StackFeatureError(_UNSUPPORTED_PR[prPolicy])
            metas.append(packMeta(item[1], item[2], item[3], item[4], item[5], prPolicy, prValue))
        return self.sendPacked([item[0] for item in messages], metas)

    def sendPacked(self, datas: Sequence[bytes], metas: Sequence[bytes]) -> int:
        """
        Send messages with parameters already packed by
        L{txsctp._batch.packMeta} (Linux values; the kernel stack's
        blocks), payloads joined in one copy when small.

        @return: how many were accepted, from the front.
        @raise OSError: not even the first was accepted.
        @raise ValueError: a block has a flag or policy usrsctp cannot do
            (C{SCTP_SENDALL}, C{SCTP_ADDR_OVER}, PRIO).
        """
        ptr = self._check("sendPacked")
        n = len(datas)
        if n == 0:
            return 0
        if len(metas) != n:
            raise ValueError("sendPacked: one parameter block per payload")
        err = ffi.new("int *")
        lens = array("I", map(len, datas))
        metaBlock = ffi.from_buffer("struct txu_meta[]", b"".join(metas))
        if sum(lens) <= 65536:
            sent: int = lib.txu_send_batch(ptr, b"".join(datas), ffi.from_buffer("uint32_t[]", lens), n, metaBlock, err)
        else:
            keep = [ffi.from_buffer(d) for d in datas]
            sent = lib.txu_send_ptrs(ptr, ffi.new("char *[]", keep), ffi.from_buffer("uint32_t[]", lens), n,
                                     metaBlock, err)
        if sent == 0:
            if err[0] == errno.EINVAL and lib.txu_send(ptr, b"", 0, metaBlock) == lib.TXU_ERR_BAD_META:
                raise ValueError("sendPacked: a parameter block asks for what usrsctp cannot do "
                                 "(SCTP_SENDALL, SCTP_ADDR_OVER or the PRIO policy)")
            first = ffi.from_buffer("struct txu_meta *", metas[0])
            raise self._sendError(err[0], first.sid, first.assoc_id, lens[0])
        return sent

    def _sendError(self, err: int, stream: int, assocId: int, size: int) -> Exception:
        if err == errno.EMSGSIZE:
            limit = self.getSendBufferSize()
            return MessageTooLongError(size, limit, hint="usrsctp takes no message larger than the socket's "
                                                         "send buffer (setSendBufferSize)")
        if err == errno.EINVAL:
            try:
                out = self.getStatus(assocId).outStreams
            except OSError:
                out = None
            if out is not None and stream >= out:
                return StreamOutOfRangeError(stream, out)
        return fromErrno(err, "usrsctp_sendv")

    # -- receiving -----------------------------------------------------

    def receiveRecords(self, maxMessages: int = MAX_BATCH) -> Tuple[List[bytes], List[tuple]]:
        """
        Receive up to C{maxMessages} (at most 64) message pieces and
        notifications in one call into C, as the kernel stack's
        C{BatchReceiver.receive} does: one payload and one L{RECORD} tuple
        each (see the C{R_*} indexes of L{txsctp._batch}; Linux flag
        values, PPID in host order).  A notification's payload is in
        usrsctp's layout: parse it with L{parseNotification}.  Use
        L{address} for a record's source.

        @return: C{(datas, records)}; both empty at end of file (a
            one-to-one socket whose association has ended).
        @raise BlockingIOError: nothing is queued.
        """
        ptr = self._check("receiveRecords")
        stack = self._stack
        total = stack._rxTotal
        n = lib.txu_recv_batch(ptr, stack._rxBuffer, _RECEIVE_BUFFER, stack._rxRecords,
                               min(maxMessages, MAX_BATCH), total)
        if n < 0:
            raise fromErrno(ffi.errno, "usrsctp_recvv")
        if n == 0:
            return [], []
        records = list(RECORD.iter_unpack(stack._rxRecordBytes[:n * _RECORD_SIZE]))
        if n == 1:
            return [ffi.unpack(stack._rxBuffer, total[0])], records
        payloads = ffi.buffer(stack._rxBuffer, total[0])[:]
        datas = []
        offset = 0
        for record in records:
            end = offset + record[R_LEN]
            datas.append(payloads[offset:end])
            offset = end
        return datas, records

    def address(self, index: int) -> Optional[HostPort]:
        """
        The source C{(host, port)} of record C{index} of the last
        L{receiveRecords} on any socket (C{None} if unknown).
        """
        stack = self._stack
        start = index * _RECORD_SIZE
        addrlen = stack._rxRecords[index].addrlen
        if not addrlen:
            return None
        raw = stack._rxRecordBytes[start + _ADDR_OFFSET:start + _ADDR_OFFSET + addrlen]
        cache = stack._addressCache
        found = cache.get(raw)
        if found is None:
            found = unpackAddress(ffi.addressof(stack._rxRecords[index].addr))
            if len(cache) >= 256:
                cache.clear()
            cache[raw] = found
        return found

    def parseNotification(self, data: bytes) -> Notification:
        """
        A notification's bytes (usrsctp's layout) as txsctp's type.
        """
        return _values.parseNotification(data, self._stack._mapStorage)

    def receiveBatch(self, maxMessages: int = MAX_BATCH) -> List[Union[Message, Notification]]:
        """
        Receive message pieces (L{Message}, C{complete} telling whether a
        piece ends its message) and whole notifications.

        @return: the items, in order; empty at end of file.
        @raise BlockingIOError: nothing is queued.
        """
        datas, records = self.receiveRecords(maxMessages)
        out: List[Union[Message, Notification]] = []
        pending: Optional[bytes] = None
        for i, record in enumerate(records):
            flags = record[R_MSG_FLAGS]
            if flags & _MSG_NOTIFICATION:
                pending = datas[i] if pending is None else pending + datas[i]
                if flags & _MSG_EOR:
                    out.append(self.parseNotification(pending))
                    pending = None
                continue
            out.append(_tupleNew(Message, (
                datas[i],
                _tupleNew(RcvInfo, record[R_INFO]) if record[R_HAS_RCVINFO] else _NO_RCVINFO,
                flags & _MSG_EOR != 0,
                self.address(i) if record[R_ADDRLEN] else None,
                None,
            )))
        while pending is not None:
            # A notification longer than the room left: the rest is queued.
            more, recs = self.receiveRecords(1)
            if not recs:
                break
            pending += more[0]
            if recs[0][R_MSG_FLAGS] & _MSG_EOR:
                out.append(self.parseNotification(pending))
                pending = None
        return out

    # -- notifications -------------------------------------------------

    def subscribe(self, events: Iterable[int], on: bool = True, assocId: int = FUTURE_ASSOC) -> None:
        """
        Subscribe to (or unsubscribe from) notification types, one
        C{SCTP_EVENT} each.

        @param events: L{NotificationType} values (Linux numbers).
        @raise ValueError: an unknown type.
        """
        ptr = self._check("subscribe")
        events = [int(e) for e in events]
        for e in events:
            if e not in _values.EVENT_TYPES:
                raise ValueError(f"unknown notification type {e}")
        for e in events:
            value = ffi.new("struct sctp_event *")
            value.se_assoc_id = assocId
            value.se_type = _values.EVENT_TYPES[e]
            value.se_on = 1 if on else 0
            self._setopt(lib.IPPROTO_SCTP, lib.SCTP_EVENT, value, ffi.sizeof("struct sctp_event"), "SCTP_EVENT")
        current = set(self.events)
        (current.update if on else current.difference_update)(events)
        self.events = tuple(sorted(current))
        # Subscribing can queue a notification at once (SENDER_DRY while
        # nothing is in flight) without an upcall: have collect() look.
        lib.txu_mark(ptr)

    def isSubscribed(self, event: int, assocId: int = FUTURE_ASSOC) -> bool:
        """
        Whether notifications of type C{event} (a L{NotificationType},
        Linux number) are subscribed to (C{SCTP_EVENT}, read back).
        """
        self._check("isSubscribed")
        if int(event) not in _values.EVENT_TYPES:
            raise ValueError(f"unknown notification type {event}")

        def init(v: CData) -> None:
            v.se_assoc_id = assocId
            v.se_type = _values.EVENT_TYPES[int(event)]

        value = self._getopt(lib.IPPROTO_SCTP, lib.SCTP_EVENT, "struct sctp_event", "SCTP_EVENT", init)
        return bool(value.se_on)

def usrsctpDefaults() -> Dict[str, int]:
    """
    usrsctp's defaults that shape timing (ms unless named otherwise), read
    from the library (C{usrsctp_sysctl_get_*}).
    """
    return {
        "sendspace": lib.usrsctp_sysctl_get_sctp_sendspace(),
        "recvspace": lib.usrsctp_sysctl_get_sctp_recvspace(),
        "rto_min": lib.usrsctp_sysctl_get_sctp_rto_min_default(),
        "rto_max": lib.usrsctp_sysctl_get_sctp_rto_max_default(),
        "rto_initial": lib.usrsctp_sysctl_get_sctp_rto_initial_default(),
        "delayed_sack_time": lib.usrsctp_sysctl_get_sctp_delayed_sack_time_default(),
        "heartbeat_interval": lib.usrsctp_sysctl_get_sctp_heartbeat_interval_default(),
        "secret_lifetime_s": lib.usrsctp_sysctl_get_sctp_secret_lifetime_default(),
        "valid_cookie_life": lib.usrsctp_sysctl_get_sctp_valid_cookie_life_default(),
        "shutdown_guard_time_s": lib.usrsctp_sysctl_get_sctp_shutdown_guard_time_default(),
        "assoc_rtx_max": lib.usrsctp_sysctl_get_sctp_assoc_rtx_max_default(),
        "init_rtx_max": lib.usrsctp_sysctl_get_sctp_init_rtx_max_default(),
    }
