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

L{UsrsctpSocket} (L{txsctp._usrsctp_socket}, importable from here too)
is one usrsctp socket, one-to-one or one-to-many, always non-blocking,
speaking txsctp's values; the stack holds every open socket.
"""

from __future__ import annotations

import errno
import socket as _stdsocket
import threading
from typing import TYPE_CHECKING, Callable, Dict, List, NamedTuple, Optional, Tuple

from txsctp._usrsctp_extension import ffi, lib
from txsctp._usrsctp_socket import ALL_ASSOC, CURRENT_ASSOC, FUTURE_ASSOC, MAX_BATCH, _RECEIVE_BUFFER, UsrsctpSocket
from txsctp._usrsctp_values import HostPort, packAddress, unpackAddress
from txsctp.errors import WrongThreadError, fromErrno
from txsctp.options import ONE_TO_MANY, ONE_TO_ONE

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

_UNKNOWN_BUFFER = 256 * 1024

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
