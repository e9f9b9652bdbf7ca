"""
The userspace stack's socket options: the option getters and setters of
L{txsctp._usrsctp.UsrsctpSocket}, with txsctp's value types
(L{txsctp.options}) and Linux's state numbers, and its address queries.

A mixin, in a module of its own so that the socket's I/O reads in one
sitting; it works on the C{_so}, C{_ptr}, C{_stack} and C{_check} of the
socket it is mixed into.  Options kernel SCTP has and usrsctp lacks raise
L{StackFeatureError} naming them.
"""

from __future__ import annotations

import socket as _stdsocket
from typing import TYPE_CHECKING, Callable, List, Optional, Tuple

from txsctp import _usrsctp_values as _values
from txsctp._usrsctp_extension import ffi, lib
from txsctp._usrsctp_values import HostPort, checkUint, unpackAddress
from txsctp.errors import StackFeatureError, fromErrno
from txsctp.options import AssocParams, AssocStats, DelayedSack, InitMsg, PeerAddrInfo, RTOInfo, Status, Tuning

if TYPE_CHECKING:
    from txsctp._usrsctp import UsrsctpStack
    from txsctp._usrsctp_cffi import CData

__all__ = ["UsrsctpOptions"]

FUTURE_ASSOC = lib.SCTP_FUTURE_ASSOC


class UsrsctpOptions:
    """
    Socket options and address queries of a usrsctp socket.
    """

    _so: CData
    _ptr: Optional[CData]
    _port: int
    _stack: UsrsctpStack

    if TYPE_CHECKING:
        # The socket's own (UsrsctpSocket._check): its usrsctp socket, open.
        def _check(self, call: str) -> CData: ...
    else:
        def __getattr__(self, name: str):
            # Only for names this socket lacks: a call of the kernel
            # socket's (SCTPSocket) that usrsctp has no equivalent for is
            # refused naming it, rather than with an AttributeError.
            # (Hidden from type checkers, which should see the real API.)
            if not name.startswith("_"):
                from txsctp.sctpsocket import SCTPSocket

                if hasattr(SCTPSocket, name):
                    raise StackFeatureError(f"SCTPSocket.{name} (a kernel SCTP socket's option or call)")
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _setopt(self, level: int, name: int, value: CData, size: int, what: str) -> None:
        if lib.usrsctp_setsockopt(self._so, level, name, value, size) < 0:
            raise fromErrno(ffi.errno, "usrsctp_setsockopt", what)

    def _getopt(self, level: int, name: int, ctype: str, what: str,
                init: Optional[Callable[[CData], None]] = None) -> CData:
        value = ffi.new(ctype + " *")
        if init is not None:
            init(value)
        size = ffi.new("socklen_t *", ffi.sizeof(ctype))
        if lib.usrsctp_getsockopt(self._so, level, name, value, size) < 0:
            raise fromErrno(ffi.errno, "usrsctp_getsockopt", what)
        return value

    def _getInt(self, level: int, name: int, what: str) -> int:
        self._check(what)
        value: int = self._getopt(level, name, "int", what)[0]
        return value

    def _setInt(self, level: int, name: int, value: int, what: str) -> None:
        self._check(what)
        self._setopt(level, name, ffi.new("int *", value), ffi.sizeof("int"), what)

    def applyTuning(self, tuning: Tuning) -> None:
        """
        Apply a L{Tuning}: nodelay, buffer sizes, delayed SACK (as
        C{SCTPSocket.applyTuning}; usrsctp takes buffer sizes as given).
        """
        self.setNodelay(tuning.nodelay)
        if tuning.sendBufferSize is not None:
            self.setSendBufferSize(tuning.sendBufferSize)
        if tuning.receiveBufferSize is not None:
            self.setReceiveBufferSize(tuning.receiveBufferSize)
        if tuning.sackFrequency is not None or tuning.sackDelay is not None:
            current = self.getDelayedSack()
            self.setDelayedSack(DelayedSack(delay=tuning.sackDelay or current.delay,
                                            freq=tuning.sackFrequency or current.freq))

    def isReadable(self) -> bool:
        """
        Whether something is queued to be read (usrsctp's upcalls say so
        only when packets arrive: a reader that stopped before the end
        asks here).
        """
        self._check("isReadable")
        return bool(lib.usrsctp_get_events(self._so) & lib.SCTP_EVENT_READ)

    def getSocketError(self) -> int:
        """
        The socket's pending error (C{SO_ERROR}), an errno or 0.
        """
        return self._getInt(lib.SOL_SOCKET, lib.SO_ERROR, "SO_ERROR")

    def getNodelay(self) -> bool:
        return bool(self._getInt(lib.IPPROTO_SCTP, lib.SCTP_NODELAY, "SCTP_NODELAY"))

    def setNodelay(self, on: bool) -> None:
        self._setInt(lib.IPPROTO_SCTP, lib.SCTP_NODELAY, 1 if on else 0, "SCTP_NODELAY")

    def getSendBufferSize(self) -> int:
        """
        C{SO_SNDBUF}: also the largest message usrsctp accepts.
        """
        return self._getInt(lib.SOL_SOCKET, lib.SO_SNDBUF, "SO_SNDBUF")

    def setSendBufferSize(self, size: int) -> None:
        """
        usrsctp takes the size as given (no cap, no doubling).
        """
        self._setInt(lib.SOL_SOCKET, lib.SO_SNDBUF, checkUint("size", size, 31), "SO_SNDBUF")

    def getReceiveBufferSize(self) -> int:
        return self._getInt(lib.SOL_SOCKET, lib.SO_RCVBUF, "SO_RCVBUF")

    def setReceiveBufferSize(self, size: int) -> None:
        """
        Set it before the association starts: it sets the window
        advertised in INIT.
        """
        self._setInt(lib.SOL_SOCKET, lib.SO_RCVBUF, checkUint("size", size, 31), "SO_RCVBUF")

    @property
    def maxMessageSize(self) -> int:
        """
        The largest message C{sendMessage} accepts: the send buffer size.
        """
        return self.getSendBufferSize()

    def getInitMsg(self) -> InitMsg:
        self._check("getInitMsg")
        v = self._getopt(lib.IPPROTO_SCTP, lib.SCTP_INITMSG, "struct sctp_initmsg", "SCTP_INITMSG")
        return InitMsg(v.sinit_num_ostreams, v.sinit_max_instreams, v.sinit_max_attempts, v.sinit_max_init_timeo)

    def setInitMsg(self, initMsg: InitMsg) -> None:
        self._check("setInitMsg")
        v = ffi.new("struct sctp_initmsg *")
        v.sinit_num_ostreams = checkUint("numOutStreams", initMsg.numOutStreams, 16)
        v.sinit_max_instreams = checkUint("maxInStreams", initMsg.maxInStreams, 16)
        v.sinit_max_attempts = checkUint("maxAttempts", initMsg.maxAttempts, 16)
        v.sinit_max_init_timeo = checkUint("maxInitTimeout", initMsg.maxInitTimeout, 16)
        self._setopt(lib.IPPROTO_SCTP, lib.SCTP_INITMSG, v, ffi.sizeof("struct sctp_initmsg"), "SCTP_INITMSG")

    def getRTOInfo(self, assocId: int = FUTURE_ASSOC) -> RTOInfo:
        self._check("getRTOInfo")
        v = self._getopt(lib.IPPROTO_SCTP, lib.SCTP_RTOINFO, "struct sctp_rtoinfo", "SCTP_RTOINFO",
                         lambda v: setattr(v, "srto_assoc_id", assocId))
        return RTOInfo(v.srto_initial, v.srto_max, v.srto_min)

    def setRTOInfo(self, rto: RTOInfo, assocId: int = FUTURE_ASSOC) -> None:
        self._check("setRTOInfo")
        v = ffi.new("struct sctp_rtoinfo *")
        v.srto_assoc_id = assocId
        v.srto_initial = checkUint("initial", rto.initial, 32)
        v.srto_max = checkUint("max", rto.max, 32)
        v.srto_min = checkUint("min", rto.min, 32)
        self._setopt(lib.IPPROTO_SCTP, lib.SCTP_RTOINFO, v, ffi.sizeof("struct sctp_rtoinfo"), "SCTP_RTOINFO")

    def getAssocParams(self, assocId: int = FUTURE_ASSOC) -> AssocParams:
        self._check("getAssocParams")
        v = self._getopt(lib.IPPROTO_SCTP, lib.SCTP_ASSOCINFO, "struct sctp_assocparams", "SCTP_ASSOCINFO",
                         lambda v: setattr(v, "sasoc_assoc_id", assocId))
        return AssocParams(v.sasoc_asocmaxrxt, v.sasoc_number_peer_destinations, v.sasoc_peer_rwnd,
                           v.sasoc_local_rwnd, v.sasoc_cookie_life)

    def setAssocParams(self, params: AssocParams, assocId: int = FUTURE_ASSOC) -> None:
        """
        Sets the retransmission limit and cookie life (0 leaves either).
        """
        self._check("setAssocParams")
        v = ffi.new("struct sctp_assocparams *")
        v.sasoc_assoc_id = assocId
        v.sasoc_asocmaxrxt = checkUint("maxRetrans", params.maxRetrans, 16)
        v.sasoc_cookie_life = checkUint("cookieLife", params.cookieLife, 32)
        self._setopt(lib.IPPROTO_SCTP, lib.SCTP_ASSOCINFO, v, ffi.sizeof("struct sctp_assocparams"),
                     "SCTP_ASSOCINFO")

    def getDelayedSack(self, assocId: int = FUTURE_ASSOC) -> DelayedSack:
        self._check("getDelayedSack")
        v = self._getopt(lib.IPPROTO_SCTP, lib.SCTP_DELAYED_SACK, "struct sctp_sack_info", "SCTP_DELAYED_SACK",
                         lambda v: setattr(v, "sack_assoc_id", assocId))
        return DelayedSack(v.sack_delay, v.sack_freq)

    def setDelayedSack(self, sack: DelayedSack, assocId: int = FUTURE_ASSOC) -> None:
        self._check("setDelayedSack")
        v = ffi.new("struct sctp_sack_info *")
        v.sack_assoc_id = assocId
        v.sack_delay = checkUint("delay", sack.delay, 32)
        v.sack_freq = checkUint("freq", sack.freq, 32)
        self._setopt(lib.IPPROTO_SCTP, lib.SCTP_DELAYED_SACK, v, ffi.sizeof("struct sctp_sack_info"),
                     "SCTP_DELAYED_SACK")

    def _paddrInfo(self, raw: CData) -> PeerAddrInfo:
        return PeerAddrInfo(self._stack._mapStorage(ffi.addressof(raw.spinfo_address)),
                            _values.pathState(raw.spinfo_state), raw.spinfo_cwnd, raw.spinfo_srtt,
                            raw.spinfo_rto, raw.spinfo_mtu)

    def getStatus(self, assocId: int = 0) -> Status:
        """
        C{SCTP_STATUS}, states translated to L{txsctp.options.AssocState}
        and L{txsctp.options.PathState}.
        """
        self._check("getStatus")
        v = self._getopt(lib.IPPROTO_SCTP, lib.SCTP_STATUS, "struct sctp_status", "SCTP_STATUS",
                         lambda v: setattr(v, "sstat_assoc_id", assocId))
        return Status(v.sstat_assoc_id, _values.assocState(v.sstat_state), v.sstat_rwnd, v.sstat_unackdata,
                      v.sstat_penddata, v.sstat_instrms, v.sstat_outstrms, v.sstat_fragmentation_point,
                      self._paddrInfo(v.sstat_primary))

    def _connStorage(self, target: CData, handle: int, port: int) -> None:
        conn = ffi.cast("struct sockaddr_conn *", target)
        conn.sconn_family = lib.AF_CONN
        conn.sconn_port = _stdsocket.htons(port)
        conn.sconn_addr = ffi.cast("void *", handle)

    def getPeerAddrInfo(self, handle: int, port: int, assocId: int = 0) -> PeerAddrInfo:
        """
        C{SCTP_GET_PEER_ADDR_INFO} for the peer address C{(handle, port)}.
        """
        self._check("getPeerAddrInfo")

        def init(v: CData) -> None:
            self._connStorage(ffi.addressof(v.spinfo_address), handle, port)
            v.spinfo_assoc_id = assocId

        v = self._getopt(lib.IPPROTO_SCTP, lib.SCTP_GET_PEER_ADDR_INFO, "struct sctp_paddrinfo",
                         "SCTP_GET_PEER_ADDR_INFO", init)
        return self._paddrInfo(v)

    def getPrimaryAddress(self, assocId: int = 0) -> Optional[HostPort]:
        self._check("getPrimaryAddress")
        v = self._getopt(lib.IPPROTO_SCTP, lib.SCTP_PRIMARY_ADDR, "struct sctp_setprim", "SCTP_PRIMARY_ADDR",
                         lambda v: setattr(v, "ssp_assoc_id", assocId))
        return self._stack._mapStorage(ffi.addressof(v.ssp_addr))

    def setPrimaryAddress(self, handle: int, port: int, assocId: int = 0) -> None:
        """
        An AF_CONN association has one peer address: this only confirms it.
        """
        self._check("setPrimaryAddress")
        v = ffi.new("struct sctp_setprim *")
        v.ssp_assoc_id = assocId
        self._connStorage(ffi.addressof(v.ssp_addr), handle, port)
        self._setopt(lib.IPPROTO_SCTP, lib.SCTP_PRIMARY_ADDR, v, ffi.sizeof("struct sctp_setprim"),
                     "SCTP_PRIMARY_ADDR")

    def getAssocStats(self, assocId: int = 0) -> AssocStats:
        raise StackFeatureError("association statistics (SCTP_GET_ASSOC_STATS)")

    def getAssocIds(self) -> List[int]:
        """
        The socket's associations (C{SCTP_GET_ASSOC_ID_LIST}; one-to-many).
        """
        return self._assocIds(self._check("getAssocIds"))

    def _assocIds(self, ptr: CData) -> List[int]:
        return self._assocIdsOf(ptr)

    @staticmethod
    def _assocIdsOf(ptr: CData) -> List[int]:
        so = lib.txu_so(ptr)
        count = max(1, lib.txu_assoc_count(ptr))
        size = ffi.sizeof("struct sctp_assoc_ids") + 4 * count
        buf = ffi.new("char[]", size)
        length = ffi.new("socklen_t *", size)
        if lib.usrsctp_getsockopt(so, lib.IPPROTO_SCTP, lib.SCTP_GET_ASSOC_ID_LIST, buf, length) < 0:
            raise fromErrno(ffi.errno, "usrsctp_getsockopt", "SCTP_GET_ASSOC_ID_LIST")
        ids = ffi.cast("uint32_t *", buf)
        return [ids[1 + i] for i in range(min(ids[0], count))]

    def associationCount(self) -> int:
        """
        C{SCTP_GET_ASSOC_NUMBER}: associations on this socket, in any state.
        """
        count: int = lib.txu_assoc_count(self._check("associationCount"))
        return count

    # -- addresses -----------------------------------------------------

    def _addresses(self, assocId: int, peer: bool, call: str) -> List[Tuple[int, int, Optional[HostPort]]]:
        ptr = self._check(call)
        out = ffi.new("struct txu_addr[]", 64)
        n = lib.txu_getaddrs(ptr, assocId, 1 if peer else 0, out, 64)
        if n < 0:
            raise fromErrno(ffi.errno, "usrsctp_getpaddrs" if peer else "usrsctp_getladdrs")
        found = []
        for i in range(n):
            a = out[i]
            if a.family == lib.AF_CONN:
                found.append((a.conn, a.port, self._stack.mapAddress(a.conn, a.port)))
            else:
                found.append((0, a.port, unpackAddress(ffi.addressof(a.ip))))
        return found

    def getPeerHandles(self, assocId: int = 0) -> List[Tuple[int, int]]:
        """
        The association's peer addresses as usrsctp has them: C{(handle,
        SCTP port)} pairs (one: AF_CONN associations are single-homed).
        """
        return [(conn, port) for conn, port, _ in self._addresses(assocId, True, "getPeerHandles") if conn]

    def getPeerAddresses(self, assocId: int = 0) -> List[HostPort]:
        """
        The peer's addresses as C{(UDP host, SCTP port)}.
        """
        return [a for _, _, a in self._addresses(assocId, True, "getPeerAddresses") if a is not None]

    def getLocalAddresses(self, assocId: int = 0) -> List[HostPort]:
        """
        The association's local addresses as C{(UDP host, SCTP port)}: the
        local address of the UDP socket each of its peer handles uses.
        (usrsctp's own list, C{usrsctp_getladdrs}, names every registered
        handle for a socket bound to the wildcard, so it says nothing.)
        """
        port = self.getLocalPort()
        storage = ffi.new("struct sockaddr_storage *")
        length = ffi.new("socklen_t *")
        found = []
        for handle, _ in self.getPeerHandles(assocId):
            if lib.txu_peer_local(handle, storage, length) == 0:
                address = unpackAddress(storage)
                if address is not None and (address[0], port) not in found:
                    found.append((address[0], port))
        return found

    def getLocalPort(self) -> int:
        """
        The local SCTP port (0 while unbound).
        """
        if self._port:
            self._check("getLocalPort")
            return self._port
        # Chosen by usrsctp (connect without bind): its address list has it
        # once some handle is registered.
        try:
            found = self._addresses(0, False, "getLocalPort")
        except OSError:
            return 0  # neither bound nor connected
        return found[0][1] if found else 0
