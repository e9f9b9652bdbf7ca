"""
The socket layer's option catalogue and codecs: every SCTP socket option
txsctp reads or writes, by name or by structure, with the checks, the
kernel structures' packing and the hints added to option errors.

L{_SocketOptions} is a mixin: L{txsctp.sctpsocket.SCTPSocket} inherits
these methods, and they are documented and used as the socket's own.  The
socket's I/O (creating, binding, connecting, sending, receiving, peeling
off) stays in L{txsctp.sctpsocket}; everything here is a
C{getsockopt}/C{setsockopt} away from the kernel: the SCTP options and
the few C{SOL_SOCKET} ones (timeouts, the buffer sizes a L{Tuning}
sets).

A new option goes here: a name in L{_INT_OPTIONS} or
L{_ASSOC_VALUE_OPTIONS} when it is a plain integer or
C{struct sctp_assoc_value}, otherwise a getter/setter pair that fills the
structure (declared in the cffi build, C{txsctp._build_sctp}) and returns
or takes a value type of L{txsctp.options}.
"""

from __future__ import annotations

import errno
import socket as _stdsocket
import struct
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, TypeVar

from txsctp import _addresses
from txsctp._addresses import HostPort
from txsctp._extension import ffi, lib
from txsctp.errors import fromErrno
from txsctp.notifications import NotificationType, _enumOr
from txsctp.options import (
    AssocParams,
    AssocState,
    AssocStats,
    DefaultPRInfo,
    DefaultSendInfo,
    DelayedSack,
    InitMsg,
    PRPolicy,
    PathState,
    PeerAddrInfo,
    PeerAddrParams,
    PeerAddrThresholds,
    RTOInfo,
    Status,
    Tuning,
)

if TYPE_CHECKING:
    from txsctp._sctp_cffi import CData

_T = TypeVar("_T")

FUTURE_ASSOC: int = lib.SCTP_FUTURE_ASSOC

# struct sctp_event_subscribe field per event, for kernels without SCTP_EVENT.
# Keyed by int: looked up with any event number a caller gives.
_LEGACY_EVENT_FIELDS: Dict[int, str] = {
    NotificationType.ASSOC_CHANGE: "sctp_association_event",
    NotificationType.PEER_ADDR_CHANGE: "sctp_address_event",
    NotificationType.SEND_FAILED: "sctp_send_failure_event",
    NotificationType.SEND_FAILED_EVENT: "sctp_send_failure_event",
    NotificationType.REMOTE_ERROR: "sctp_peer_error_event",
    NotificationType.SHUTDOWN_EVENT: "sctp_shutdown_event",
    NotificationType.PARTIAL_DELIVERY_EVENT: "sctp_partial_delivery_event",
    NotificationType.ADAPTATION_INDICATION: "sctp_adaptation_layer_event",
    NotificationType.AUTHENTICATION_EVENT: "sctp_authentication_event",
    NotificationType.SENDER_DRY_EVENT: "sctp_sender_dry_event",
}

# struct sctp_event_subscribe field per event, for subscribing to a whole
# set with one SCTP_EVENTS call (this kernel header's struct).
_EVENTS_STRUCT_FIELDS = dict(_LEGACY_EVENT_FIELDS)
_EVENTS_STRUCT_FIELDS.update({
    NotificationType.SEND_FAILED_EVENT: "sctp_send_failure_event_event",
    NotificationType.STREAM_RESET_EVENT: "sctp_stream_reset_event",
    NotificationType.ASSOC_RESET_EVENT: "sctp_assoc_reset_event",
    NotificationType.STREAM_CHANGE_EVENT: "sctp_stream_change_event",
})

_INT = struct.Struct("=i")
_RECIPE_HEAD = struct.Struct("=3I")

# A recorded option: level, option, value, the setter's name for errors.
_RecordedOption = Tuple[int, int, bytes, str]
# What txsctp_setopts reads (see its comment in _build), with the entries.
_Recipe = Tuple[bytes, Tuple[_RecordedOption, ...]]


def _packRecipe(record: List[_RecordedOption]) -> _Recipe:
    """
    Pack recorded options for C{txsctp_setopts}: per option its level,
    number and value length (native C{uint32_t}s), then the value padded
    to 4 bytes.
    """
    parts = []
    for level, opt, value, _call in record:
        parts.append(_RECIPE_HEAD.pack(level, opt, len(value)))
        parts.append(value + bytes(-len(value) % 4))
    return b"".join(parts), tuple(record)


_ASSOC_VALUE_OPTIONS: Dict[str, int] = {
    "maxseg": lib.SCTP_MAXSEG,
    "maxBurst": lib.SCTP_MAX_BURST,
    "context": lib.SCTP_CONTEXT,
    "prSupported": lib.SCTP_PR_SUPPORTED,
    "reconfigSupported": lib.SCTP_RECONFIG_SUPPORTED,
    "enableStreamReset": lib.SCTP_ENABLE_STREAM_RESET,
    "interleavingSupported": lib.SCTP_INTERLEAVING_SUPPORTED,
    "asconfSupported": lib.SCTP_ASCONF_SUPPORTED,
    "authSupported": lib.SCTP_AUTH_SUPPORTED,
    "ecnSupported": lib.SCTP_ECN_SUPPORTED,
    "streamScheduler": lib.SCTP_STREAM_SCHEDULER,
    "exposePotentiallyFailedState": lib.SCTP_EXPOSE_POTENTIALLY_FAILED_STATE,
}

_INT_OPTIONS: Dict[str, int] = {
    "nodelay": lib.SCTP_NODELAY,
    "autoclose": lib.SCTP_AUTOCLOSE,
    "disableFragments": lib.SCTP_DISABLE_FRAGMENTS,
    "mappedV4": lib.SCTP_I_WANT_MAPPED_V4_ADDR,
    "fragmentInterleave": lib.SCTP_FRAGMENT_INTERLEAVE,
    "partialDeliveryPoint": lib.SCTP_PARTIAL_DELIVERY_POINT,
    "autoAsconf": lib.SCTP_AUTO_ASCONF,
    "recvRcvInfo": lib.SCTP_RECVRCVINFO,
    "recvNxtInfo": lib.SCTP_RECVNXTINFO,
    "reusePort": lib.SCTP_REUSE_PORT,
    "sendmsgConnect": lib.SCTP_SENDMSG_CONNECT,
}


_AUTH_HINT = (
    "SCTP-AUTH (RFC 4895) is off for this socket: call "
    "setAssocValue('authSupported', 1) before the association starts, or set "
    "sysctl net.sctp.auth_enable=1"
)
_RECONF_HINT = (
    "stream reconfiguration (RFC 6525) is not available here: both ends need "
    "setAssocValue('reconfigSupported', 1) (or sysctl net.sctp.reconf_enable=1) "
    "before the association starts, and enableStreamReset() with this request "
    "kind (the sender to send it, the peer to grant it)"
)
_ONE_TO_MANY_HINT = "only one-to-many sockets support this option"

# Extra words for option calls that fail with an errno whose strerror says
# little: (option, errno) -> what to do about it.
_OPTION_HINTS = {
    (lib.SCTP_SET_PEER_PRIMARY_ADDR, errno.EPERM): (
        "the association does not support ASCONF (RFC 5061): both ends need "
        "setAssocValue('asconfSupported', 1) and setAssocValue('authSupported', 1) "
        "before it starts (or sysctls net.sctp.addip_enable=1 and "
        "net.sctp.auth_enable=1)"
    ),
    (lib.SCTP_AUTO_ASCONF, errno.EINVAL): "autoAsconf needs a socket bound to the wildcard address",
    (lib.SCTP_INTERLEAVING_SUPPORTED, errno.EPERM): (
        "message interleaving (RFC 8260) needs sysctl net.sctp.intl_enable=1 and "
        "setFragmentInterleave(1 or 2) first"
    ),
    (lib.SCTP_SENDMSG_CONNECT, errno.ENOPROTOOPT): "this kernel does not implement SCTP_SENDMSG_CONNECT",
    (lib.SCTP_GET_ASSOC_NUMBER, errno.EOPNOTSUPP): _ONE_TO_MANY_HINT,
    (lib.SCTP_GET_ASSOC_ID_LIST, errno.EOPNOTSUPP): _ONE_TO_MANY_HINT,
    (lib.SCTP_AUTOCLOSE, errno.EOPNOTSUPP): _ONE_TO_MANY_HINT,
}
for _opt in (lib.SCTP_AUTH_CHUNK, lib.SCTP_HMAC_IDENT, lib.SCTP_AUTH_KEY, lib.SCTP_AUTH_ACTIVE_KEY,
             lib.SCTP_AUTH_DEACTIVATE_KEY, lib.SCTP_AUTH_DELETE_KEY, lib.SCTP_PEER_AUTH_CHUNKS,
             lib.SCTP_LOCAL_AUTH_CHUNKS):
    _OPTION_HINTS[(_opt, errno.EACCES)] = _AUTH_HINT
for _opt in (lib.SCTP_RESET_STREAMS, lib.SCTP_RESET_ASSOC, lib.SCTP_ADD_STREAMS):
    _OPTION_HINTS[(_opt, errno.ENOPROTOOPT)] = _RECONF_HINT
del _opt


def _optionError(err: int, call: str, opt: int, name: str) -> OSError:
    """
    The exception for a failed get/setsockopt, with a hint on what to do
    where the errno alone says little.
    """
    exc = fromErrno(err, call, name)
    hint = _OPTION_HINTS.get((opt, err))
    if hint is not None:
        exc.strerror = f"{exc.strerror}: {hint}"
    return exc


def _checkRange(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} {value} is out of range {low}..{high}")
    return value


def _checkU16(name: str, value: object) -> int:
    return _checkRange(name, value, 0, 0xFFFF)


def _checkU32(name: str, value: object) -> int:
    return _checkRange(name, value, 0, 0xFFFFFFFF)


def _checkAssocId(value: object) -> int:
    return _checkRange("assocId", value, -(1 << 31), (1 << 31) - 1)


def _asBytes(data: object, what: str = "data") -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what} must be bytes-like, not {type(data).__name__}")


class _SocketOptions:
    """
    The option getters and setters of L{txsctp.sctpsocket.SCTPSocket}.

    The class using this mixin provides C{_sock} (the standard library
    socket object), C{events} (the notification types subscribed to) and
    the methods declared below for type checkers: C{_checkOpen} (the
    descriptor, or L{txsctp.errors.SocketClosedError}), C{_std} (a standard
    library socket call with txsctp's errors) and C{_one} (one C{(host,
    port)} checked against the socket's family).
    """

    _sock: _stdsocket.socket
    events: Tuple[int, ...]

    if TYPE_CHECKING:
        def _checkOpen(self, call: str) -> int: ...

        def _std(self, call: str, func: Callable[..., _T], *args: Any) -> _T: ...

        def _one(self, address: Any, allowWildcard: bool = False) -> HostPort: ...

    def _getopt(self, opt: int, ctype: str, call: str, init: Optional[Callable[[CData], None]] = None) -> CData:
        fd = self._checkOpen("getsockopt")
        value = ffi.new(ctype + " *")
        if init is not None:
            init(value)
        size = ffi.new("socklen_t *", ffi.sizeof(ctype))
        if lib.getsockopt(fd, lib.SOL_SCTP, opt, value, size) < 0:
            raise _optionError(ffi.errno, "getsockopt", opt, call)
        return value

    # While SCTPSocket._setup records the options it writes: the list to add to.
    _recording: Optional[List[_RecordedOption]] = None

    def _setopt(self, opt: int, value: CData, size: int, call: str) -> None:
        fd = self._checkOpen("setsockopt")
        if lib.setsockopt(fd, lib.SOL_SCTP, opt, value, size) < 0:
            raise _optionError(ffi.errno, "setsockopt", opt, call)
        if self._recording is not None:
            self._recording.append((lib.SOL_SCTP, opt, ffi.buffer(value, size)[:], call))

    def _setSocketInt(self, opt: int, value: int, call: str) -> None:
        """
        A C{SOL_SOCKET} integer option (buffer sizes).
        """
        self._std("setsockopt", self._sock.setsockopt, _stdsocket.SOL_SOCKET, opt, value)
        if self._recording is not None:
            self._recording.append((_stdsocket.SOL_SOCKET, opt, _INT.pack(value), call))

    def _setStruct(self, opt: int, ctype: str, call: str, fields: Dict[str, Any]) -> None:
        value = ffi.new(ctype + " *")
        for name, v in fields.items():
            try:
                setattr(value, name, v)
            except OverflowError:
                raise ValueError(f"{call}: value {v} is out of range for {name}") from None
            except TypeError:
                raise TypeError(f"{call}: {name} must be an int, not {type(v).__name__}") from None
        self._setopt(opt, value, ffi.sizeof(ctype), call)

    def getIntOption(self, name: str) -> int:
        """
        Read an integer SCTP option by name: C{nodelay}, C{autoclose}
        (seconds), C{disableFragments}, C{mappedV4}, C{fragmentInterleave},
        C{partialDeliveryPoint}, C{autoAsconf}, C{recvRcvInfo},
        C{recvNxtInfo}, C{reusePort}, C{sendmsgConnect}, or C{assocNumber}
        (read only).
        """
        if name == "assocNumber":
            return int(self._getopt(lib.SCTP_GET_ASSOC_NUMBER, "uint32_t", "SCTP_GET_ASSOC_NUMBER")[0])
        opt = self._intOption(name)
        return int(self._getopt(opt, "int", f"SCTP option {name}")[0])

    def setIntOption(self, name: str, value: int) -> None:
        """
        Write an integer SCTP option by name (see L{getIntOption}).
        """
        opt = self._intOption(name)
        _checkRange(name, value, -(1 << 31), (1 << 31) - 1)
        self._setopt(opt, ffi.new("int *", value), ffi.sizeof("int"), f"SCTP option {name}")

    @staticmethod
    def _intOption(name: str) -> int:
        try:
            return _INT_OPTIONS[name]
        except KeyError:
            raise ValueError(
                f"unknown integer option {name!r}; known: {', '.join(sorted(_INT_OPTIONS))}"
            ) from None

    def getAssocValue(self, name: str, assocId: int = FUTURE_ASSOC) -> int:
        """
        Read a per-association value option by name: C{maxseg},
        C{maxBurst}, C{context}, C{prSupported}, C{reconfigSupported},
        C{enableStreamReset}, C{interleavingSupported}, C{asconfSupported},
        C{authSupported}, C{ecnSupported}, C{streamScheduler},
        C{exposePotentiallyFailedState}.
        """
        opt = self._assocValueOption(name)
        _checkAssocId(assocId)

        def init(v: CData) -> None:
            v.assoc_id = assocId

        return int(self._getopt(opt, "struct sctp_assoc_value", name, init).assoc_value)

    def setAssocValue(self, name: str, value: int, assocId: int = FUTURE_ASSOC) -> None:
        """
        Write a per-association value option by name (see
        L{getAssocValue}).
        """
        opt = self._assocValueOption(name)
        _checkAssocId(assocId)
        _checkU32(name, value)
        self._setStruct(opt, "struct sctp_assoc_value", name,
                        {"assoc_id": assocId, "assoc_value": value})

    @staticmethod
    def _assocValueOption(name: str) -> int:
        try:
            return _ASSOC_VALUE_OPTIONS[name]
        except KeyError:
            raise ValueError(
                f"unknown association value option {name!r}; known: "
                f"{', '.join(sorted(_ASSOC_VALUE_OPTIONS))}"
            ) from None

    # events

    def subscribe(self, events: Iterable[int], on: bool = True, assocId: int = FUTURE_ASSOC) -> None:
        """
        Subscribe to (or with C{on=False} unsubscribe from) notification
        types, one C{SCTP_EVENT} call each; on a kernel without
        C{SCTP_EVENT} the older C{SCTP_EVENTS} structure is used instead.

        @param events: L{NotificationType} values.
        @raise ValueError: an unknown notification type.
        """
        events = [int(e) for e in events]
        for e in events:
            if e not in NotificationType._value2member_map_:
                raise ValueError(f"unknown notification type {e}")
        _checkAssocId(assocId)
        for e in events:
            value = ffi.new("struct sctp_event *")
            value.se_assoc_id = assocId
            value.se_type = e
            value.se_on = 1 if on else 0
            try:
                self._setopt(lib.SCTP_EVENT, value, ffi.sizeof("struct sctp_event"), "SCTP_EVENT")
            except OSError as err:
                if err.errno not in (errno.ENOPROTOOPT, errno.EINVAL) or e not in _LEGACY_EVENT_FIELDS:
                    raise
                self._subscribeLegacy(e, on)
        current = set(self.events)
        if on:
            current.update(events)
        else:
            current.difference_update(events)
        self.events = tuple(sorted(current))

    def _subscribeAtOnce(self, events: Iterable[int]) -> bool:
        """
        On a new socket: subscribe to exactly C{events} with one
        C{SCTP_EVENTS} call (instead of one C{SCTP_EVENT} each).  A kernel
        whose structure is shorter than this header's refuses it: then
        C{False}, and the caller subscribes event by event.
        """
        events = tuple(sorted({int(e) for e in events}))
        if any(e not in _EVENTS_STRUCT_FIELDS for e in events):
            return False
        value = ffi.new("struct sctp_event_subscribe *")
        for e in events:
            setattr(value, _EVENTS_STRUCT_FIELDS[e], 1)
        try:
            self._setopt(lib.SCTP_EVENTS, value, ffi.sizeof("struct sctp_event_subscribe"), "SCTP_EVENTS")
        except OSError as err:
            if err.errno != errno.EINVAL:
                raise
            return False
        self.events = events
        return True

    def _subscribeAll(self, events: Iterable[int]) -> None:
        self.events = ()
        self.subscribe(events)

    def _subscribeLegacy(self, event: int, on: bool) -> None:
        value = self._getopt(lib.SCTP_EVENTS, "struct sctp_event_subscribe", "SCTP_EVENTS")
        setattr(value, _LEGACY_EVENT_FIELDS[event], 1 if on else 0)
        # Older kernels refuse a structure longer than theirs: try shorter.
        size = ffi.sizeof("struct sctp_event_subscribe")
        while True:
            try:
                self._setopt(lib.SCTP_EVENTS, value, size, "SCTP_EVENTS")
                return
            except OSError as err:
                if err.errno != errno.EINVAL or size <= 10:
                    raise
                size -= 1

    def isSubscribed(self, event: int, assocId: int = FUTURE_ASSOC) -> bool:
        """
        Ask the kernel whether a notification type is subscribed.
        """
        _checkAssocId(assocId)
        event = _checkU16("event", int(event))

        def init(v: CData) -> None:
            v.se_assoc_id = assocId
            v.se_type = event

        return bool(self._getopt(lib.SCTP_EVENT, "struct sctp_event", "SCTP_EVENT", init).se_on)

    # tuning

    def applyTuning(self, tuning: Tuning) -> None:
        """
        Apply a L{Tuning}: nodelay, buffer sizes, delayed SACK.  Buffer sizes
        beyond the host's caps are silently capped by the kernel.
        """
        self.setIntOption("nodelay", 1 if tuning.nodelay else 0)
        if tuning.sendBufferSize is not None:
            self.setSendBufferSize(tuning.sendBufferSize)
        if tuning.receiveBufferSize is not None:
            self.setReceiveBufferSize(tuning.receiveBufferSize)
        if tuning.sackFrequency is not None or tuning.sackDelay is not None:
            # A zero delay or frequency leaves that one as it is: no need
            # to read the current values first.
            self.setDelayedSack(DelayedSack(delay=tuning.sackDelay or 0, freq=tuning.sackFrequency or 0))

    def getNodelay(self) -> bool:
        return bool(self.getIntOption("nodelay"))

    def setNodelay(self, on: bool) -> None:
        """
        C{SCTP_NODELAY}: send at once instead of waiting to bundle.
        """
        self.setIntOption("nodelay", 1 if on else 0)

    # socket-level options (SOL_SOCKET): timeouts, buffer sizes

    def setTimeouts(self, receive: Optional[float] = None, send: Optional[float] = None) -> None:
        """
        Bound how long blocking calls wait, in seconds (C{SO_RCVTIMEO} for
        receiving and accepting, C{SO_SNDTIMEO} for sending and connecting);
        0 waits for ever, C{None} leaves a timeout as it is.  A call that
        runs out of time raises
        L{BlockingIOError} (C{EAGAIN}; C{EINPROGRESS} for connect) and can be
        retried.  The socket layer's calls go straight to the kernel, so
        this, not C{socket.settimeout}, is how to time them out; on a
        non-blocking socket it has no effect.
        """
        for name, value, opt in (("receive", receive, _stdsocket.SO_RCVTIMEO),
                                 ("send", send, _stdsocket.SO_SNDTIMEO)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} timeout must be a number of seconds, not {type(value).__name__}")
            if not 0 <= value < 1 << 31:
                raise ValueError(f"{name} timeout {value} is out of range (0 or more seconds)")
            seconds = int(value)
            micro = int(round((value - seconds) * 1_000_000))
            if value and not seconds and not micro:
                micro = 1  # a tiny timeout, not "for ever"
            if micro >= 1_000_000:
                seconds, micro = seconds + 1, 0
            self._std("setsockopt", self._sock.setsockopt, _stdsocket.SOL_SOCKET, opt,
                      struct.pack("@ll", seconds, micro))

    def getSendBufferSize(self) -> int:
        return self._std("getsockopt", self._sock.getsockopt, _stdsocket.SOL_SOCKET, _stdsocket.SO_SNDBUF)

    def setSendBufferSize(self, size: int) -> None:
        """
        C{SO_SNDBUF} (the kernel doubles it and caps it at
        C{net.core.wmem_max}).
        """
        _checkRange("sendBufferSize", size, 0, (1 << 31) - 1)
        self._setSocketInt(_stdsocket.SO_SNDBUF, size, "SO_SNDBUF")

    def getReceiveBufferSize(self) -> int:
        return self._std("getsockopt", self._sock.getsockopt, _stdsocket.SOL_SOCKET, _stdsocket.SO_RCVBUF)

    def setReceiveBufferSize(self, size: int) -> None:
        """
        C{SO_RCVBUF} (doubled and capped at C{net.core.rmem_max}).
        """
        _checkRange("receiveBufferSize", size, 0, (1 << 31) - 1)
        self._setSocketInt(_stdsocket.SO_RCVBUF, size, "SO_RCVBUF")

    # structured options

    def getInitMsg(self) -> InitMsg:
        v = self._getopt(lib.SCTP_INITMSG, "struct sctp_initmsg", "SCTP_INITMSG")
        return InitMsg(v.sinit_num_ostreams, v.sinit_max_instreams, v.sinit_max_attempts, v.sinit_max_init_timeo)

    def setInitMsg(self, initMsg: InitMsg) -> None:
        """
        C{SCTP_INITMSG}: streams and INIT retransmission for new
        associations (zero fields keep the current value).
        """
        self._setStruct(lib.SCTP_INITMSG, "struct sctp_initmsg", "SCTP_INITMSG", {
            "sinit_num_ostreams": initMsg.numOutStreams,
            "sinit_max_instreams": initMsg.maxInStreams,
            "sinit_max_attempts": initMsg.maxAttempts,
            "sinit_max_init_timeo": initMsg.maxInitTimeout,
        })

    def getRTOInfo(self, assocId: int = FUTURE_ASSOC) -> RTOInfo:
        v = self._getopt(lib.SCTP_RTOINFO, "struct sctp_rtoinfo", "SCTP_RTOINFO",
                         lambda v: setattr(v, "srto_assoc_id", _checkAssocId(assocId)))
        return RTOInfo(v.srto_initial, v.srto_max, v.srto_min)

    def setRTOInfo(self, rto: RTOInfo, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_RTOINFO}: RTO initial/max/min in ms (0 keeps a value).
        """
        self._setStruct(lib.SCTP_RTOINFO, "struct sctp_rtoinfo", "SCTP_RTOINFO", {
            "srto_assoc_id": _checkAssocId(assocId),
            "srto_initial": rto.initial, "srto_max": rto.max, "srto_min": rto.min,
        })

    def getAssocParams(self, assocId: int = FUTURE_ASSOC) -> AssocParams:
        v = self._getopt(lib.SCTP_ASSOCINFO, "struct sctp_assocparams", "SCTP_ASSOCINFO",
                         lambda v: setattr(v, "sasoc_assoc_id", _checkAssocId(assocId)))
        return AssocParams(v.sasoc_asocmaxrxt, v.sasoc_number_peer_destinations,
                           v.sasoc_peer_rwnd, v.sasoc_local_rwnd, v.sasoc_cookie_life)

    def setAssocParams(self, params: AssocParams, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_ASSOCINFO}: association retransmission limit and cookie life
        (0 keeps a value; the read-only fields are ignored).
        """
        self._setStruct(lib.SCTP_ASSOCINFO, "struct sctp_assocparams", "SCTP_ASSOCINFO", {
            "sasoc_assoc_id": _checkAssocId(assocId),
            "sasoc_asocmaxrxt": params.maxRetrans,
            "sasoc_cookie_life": params.cookieLife,
        })

    def _storageInit(self, field: str, assocField: str, assocId: int,
                     address: Optional[HostPort]) -> Callable[[CData], None]:
        def init(v: CData) -> None:
            setattr(v, assocField, _checkAssocId(assocId))
            if address is not None:
                host, port = self._one(address)
                _addresses.fillStorage(getattr(v, field), host, port)
        return init

    def getPeerAddrParams(self, address: Optional[HostPort] = None, assocId: int = FUTURE_ASSOC) -> PeerAddrParams:
        v = self._getopt(lib.SCTP_PEER_ADDR_PARAMS, "struct sctp_paddrparams", "SCTP_PEER_ADDR_PARAMS",
                         self._storageInit("spp_address", "spp_assoc_id", assocId, address))
        return PeerAddrParams(_addresses.readStorage(v.spp_address), v.spp_hbinterval, v.spp_pathmaxrxt,
                              v.spp_pathmtu, v.spp_sackdelay, v.spp_flags, v.spp_ipv6_flowlabel, v.spp_dscp)

    def setPeerAddrParams(self, params: PeerAddrParams, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_PEER_ADDR_PARAMS}: heartbeat interval (ms), path max
        retransmissions, path MTU, SACK delay and flags, for
        C{params.address} or every path (address C{None}).
        """
        value = ffi.new("struct sctp_paddrparams *")
        self._storageInit("spp_address", "spp_assoc_id", assocId, params.address)(value)
        fields = {
            "spp_hbinterval": params.hbInterval, "spp_pathmaxrxt": params.pathMaxRetrans,
            "spp_pathmtu": params.pathMtu, "spp_sackdelay": params.sackDelay,
            "spp_flags": params.flags, "spp_ipv6_flowlabel": params.ipv6FlowLabel,
            "spp_dscp": params.dscp,
        }
        for name, val in fields.items():
            try:
                setattr(value, name, val)
            except OverflowError:
                raise ValueError(f"SCTP_PEER_ADDR_PARAMS: {val} is out of range for {name}") from None
        self._setopt(lib.SCTP_PEER_ADDR_PARAMS, value, ffi.sizeof("struct sctp_paddrparams"),
                     "SCTP_PEER_ADDR_PARAMS")

    def getPeerAddrThresholds(self, address: Optional[HostPort] = None,
                              assocId: int = FUTURE_ASSOC) -> PeerAddrThresholds:
        init = self._storageInit("spt_address", "spt_assoc_id", assocId, address)
        try:
            v = self._getopt(lib.SCTP_PEER_ADDR_THLDS_V2, "struct sctp_paddrthlds_v2",
                             "SCTP_PEER_ADDR_THLDS_V2", init)
            cp = v.spt_pathcpthld
        except OSError as e:
            if e.errno != errno.ENOPROTOOPT:
                raise
            v = self._getopt(lib.SCTP_PEER_ADDR_THLDS, "struct sctp_paddrthlds", "SCTP_PEER_ADDR_THLDS", init)
            cp = 0
        return PeerAddrThresholds(_addresses.readStorage(v.spt_address), v.spt_pathmaxrxt, v.spt_pathpfthld, cp)

    def setPeerAddrThresholds(self, thresholds: PeerAddrThresholds, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_PEER_ADDR_THLDS}: path failure and potentially-failed
        thresholds (RFC 7829), for one path or all.
        """
        value = ffi.new("struct sctp_paddrthlds_v2 *")
        self._storageInit("spt_address", "spt_assoc_id", assocId, thresholds.address)(value)
        try:
            value.spt_pathmaxrxt = thresholds.pathMaxRetrans
            value.spt_pathpfthld = thresholds.pathPfThreshold
            value.spt_pathcpthld = thresholds.pathCpThreshold or 0xFFFF
        except OverflowError:
            raise ValueError(f"SCTP_PEER_ADDR_THLDS: a value of {thresholds!r} is out of range") from None
        try:
            self._setopt(lib.SCTP_PEER_ADDR_THLDS_V2, value, ffi.sizeof("struct sctp_paddrthlds_v2"),
                         "SCTP_PEER_ADDR_THLDS_V2")
        except OSError as e:
            if e.errno != errno.ENOPROTOOPT:
                raise
            self._setopt(lib.SCTP_PEER_ADDR_THLDS, value, ffi.sizeof("struct sctp_paddrthlds"),
                         "SCTP_PEER_ADDR_THLDS")

    def getPrimaryAddress(self, assocId: int = 0) -> Optional[HostPort]:
        v = self._getopt(lib.SCTP_PRIMARY_ADDR, "struct sctp_prim", "SCTP_PRIMARY_ADDR",
                         lambda v: setattr(v, "ssp_assoc_id", _checkAssocId(assocId)))
        return _addresses.readStorage(v.ssp_addr)

    def setPrimaryAddress(self, address: HostPort, assocId: int = 0) -> None:
        """
        C{SCTP_PRIMARY_ADDR}: send to this peer address by default.
        """
        value = ffi.new("struct sctp_prim *")
        self._storageInit("ssp_addr", "ssp_assoc_id", assocId, address)(value)
        self._setopt(lib.SCTP_PRIMARY_ADDR, value, ffi.sizeof("struct sctp_prim"), "SCTP_PRIMARY_ADDR")

    def getRemoteUdpEncapsPort(self, address: Optional[HostPort] = None, assocId: int = 0) -> int:
        """
        C{SCTP_REMOTE_UDP_ENCAPS_PORT}: the peer's UDP port this socket's
        (or association's, or path's) SCTP packets are encapsulated to
        (RFC 6951; 0: not encapsulated).
        """
        v = self._getopt(lib.SCTP_REMOTE_UDP_ENCAPS_PORT, "struct sctp_udpencaps", "SCTP_REMOTE_UDP_ENCAPS_PORT",
                         self._storageInit("sue_address", "sue_assoc_id", assocId, address))
        return _stdsocket.ntohs(v.sue_port)

    def setRemoteUdpEncapsPort(self, port: int, address: Optional[HostPort] = None, assocId: int = 0) -> None:
        """
        C{SCTP_REMOTE_UDP_ENCAPS_PORT}: carry the SCTP packets of this socket
        (C{assocId} 0 on a listening or not yet connected socket: its future
        associations), association or path (C{address}) inside UDP to the
        peer's UDP port C{port} (RFC 6951; 0 stops it).  The kernel sends
        from, and receives on, the host's C{net.sctp.udp_port}.
        """
        value = ffi.new("struct sctp_udpencaps *")
        self._storageInit("sue_address", "sue_assoc_id", assocId, address)(value)
        value.sue_port = _stdsocket.htons(_checkU16("port", port))
        self._setopt(lib.SCTP_REMOTE_UDP_ENCAPS_PORT, value, ffi.sizeof("struct sctp_udpencaps"),
                     "SCTP_REMOTE_UDP_ENCAPS_PORT")

    def requestPeerPrimary(self, localAddress: HostPort, assocId: int = 0) -> None:
        """
        C{SCTP_SET_PEER_PRIMARY_ADDR}: ask the peer (via ASCONF) to use this
        local address as its primary destination.
        """
        value = ffi.new("struct sctp_setpeerprim *")
        self._storageInit("sspp_addr", "sspp_assoc_id", assocId, localAddress)(value)
        self._setopt(lib.SCTP_SET_PEER_PRIMARY_ADDR, value, ffi.sizeof("struct sctp_setpeerprim"),
                     "SCTP_SET_PEER_PRIMARY_ADDR")

    @staticmethod
    def _paddrinfo(v: CData) -> PeerAddrInfo:
        return PeerAddrInfo(_addresses.readStorage(v.spinfo_address), _enumOr(PathState, v.spinfo_state),
                            v.spinfo_cwnd, v.spinfo_srtt, v.spinfo_rto, v.spinfo_mtu)

    def getStatus(self, assocId: int = 0) -> Status:
        """
        C{SCTP_STATUS}: the association's state, windows, stream counts and
        primary path.
        """
        v = self._getopt(lib.SCTP_STATUS, "struct sctp_status", "SCTP_STATUS",
                         lambda v: setattr(v, "sstat_assoc_id", _checkAssocId(assocId)))
        return Status(v.sstat_assoc_id, _enumOr(AssocState, v.sstat_state), v.sstat_rwnd, v.sstat_unackdata,
                      v.sstat_penddata, v.sstat_instrms, v.sstat_outstrms, v.sstat_fragmentation_point,
                      self._paddrinfo(v.sstat_primary))

    def getPeerAddrInfo(self, address: HostPort, assocId: int = 0) -> PeerAddrInfo:
        """
        C{SCTP_GET_PEER_ADDR_INFO}: one path's state, cwnd, SRTT, RTO, MTU.
        """
        v = self._getopt(lib.SCTP_GET_PEER_ADDR_INFO, "struct sctp_paddrinfo", "SCTP_GET_PEER_ADDR_INFO",
                         self._storageInit("spinfo_address", "spinfo_assoc_id", assocId, address))
        return self._paddrinfo(v)

    def getAdaptationLayer(self) -> int:
        """
        C{SCTP_ADAPTATION_LAYER}: the adaptation layer indication this socket
        sends in INIT/INIT-ACK.
        """
        v = self._getopt(lib.SCTP_ADAPTATION_LAYER, "struct sctp_setadaptation", "SCTP_ADAPTATION_LAYER")
        return int(v.ssb_adaptation_ind)

    def setAdaptationLayer(self, indication: int) -> None:
        """
        C{SCTP_ADAPTATION_LAYER}: send this 32-bit adaptation layer
        indication (RFC 5061) when associations start; the peer gets an
        L{txsctp.notifications.AdaptationIndication} with it.
        """
        self._setStruct(lib.SCTP_ADAPTATION_LAYER, "struct sctp_setadaptation", "SCTP_ADAPTATION_LAYER",
                        {"ssb_adaptation_ind": _checkU32("adaptation indication", indication)})

    def getAutoclose(self) -> int:
        return self.getIntOption("autoclose")

    def setAutoclose(self, seconds: int) -> None:
        """
        C{SCTP_AUTOCLOSE}: close idle associations of a one-to-many socket
        after this many seconds (0: never).
        """
        self.setIntOption("autoclose", _checkRange("autoclose", seconds, 0, (1 << 31) - 1))

    def getMaxseg(self, assocId: int = FUTURE_ASSOC) -> int:
        return self.getAssocValue("maxseg", assocId)

    def setMaxseg(self, size: int, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_MAXSEG}: largest DATA chunk payload (0: path MTU decides).
        """
        self.setAssocValue("maxseg", size, assocId)

    def getDefaultSendInfo(self, assocId: int = FUTURE_ASSOC) -> DefaultSendInfo:
        v = self._getopt(lib.SCTP_DEFAULT_SNDINFO, "struct sctp_sndinfo", "SCTP_DEFAULT_SNDINFO",
                         lambda v: setattr(v, "snd_assoc_id", _checkAssocId(assocId)))
        return DefaultSendInfo(v.snd_sid, v.snd_flags, _stdsocket.ntohl(v.snd_ppid), v.snd_context)

    def setDefaultSendInfo(self, info: DefaultSendInfo, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_DEFAULT_SNDINFO}: stream, flags, PPID (host order), context
        for messages sent without their own.

        L{SCTPSocket.sendMessage <txsctp.sctpsocket.SCTPSocket.sendMessage>}
        and L{SCTPSocket.sendBatch <txsctp.sctpsocket.SCTPSocket.sendBatch>}
        always give their own (their C{stream}, C{ppid}... arguments), so
        these defaults apply to messages sent on the descriptor without
        per-message information (a plain C{send()}, or another library
        sharing it).
        """
        _checkU32("ppid", info.ppid)
        self._setStruct(lib.SCTP_DEFAULT_SNDINFO, "struct sctp_sndinfo", "SCTP_DEFAULT_SNDINFO", {
            "snd_assoc_id": _checkAssocId(assocId), "snd_sid": info.stream, "snd_flags": info.flags,
            "snd_ppid": _stdsocket.htonl(info.ppid), "snd_context": info.context,
        })

    def getDefaultPRInfo(self, assocId: int = FUTURE_ASSOC) -> DefaultPRInfo:
        v = self._getopt(lib.SCTP_DEFAULT_PRINFO, "struct sctp_default_prinfo", "SCTP_DEFAULT_PRINFO",
                         lambda v: setattr(v, "pr_assoc_id", _checkAssocId(assocId)))
        return DefaultPRInfo(v.pr_policy, v.pr_value)

    def setDefaultPRInfo(self, info: DefaultPRInfo, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_DEFAULT_PRINFO}: default PR-SCTP policy and value.  Like
        L{setDefaultSendInfo}, the policy applies to messages sent without
        per-message information.
        """
        if info.policy not in (PRPolicy.NONE, PRPolicy.TTL, PRPolicy.RTX, PRPolicy.PRIO):
            raise ValueError(f"SCTP_DEFAULT_PRINFO: policy {info.policy!r} is not a PRPolicy")
        self._setStruct(lib.SCTP_DEFAULT_PRINFO, "struct sctp_default_prinfo", "SCTP_DEFAULT_PRINFO", {
            "pr_assoc_id": _checkAssocId(assocId), "pr_policy": info.policy, "pr_value": info.value,
        })

    def getFragmentInterleave(self) -> int:
        return self.getIntOption("fragmentInterleave")

    def setFragmentInterleave(self, level: int) -> None:
        """
        C{SCTP_FRAGMENT_INTERLEAVE}: 0, 1 or 2 (RFC 6458 8.1.20).  Linux
        keeps only on/off: 2 reads back as 1.
        """
        self.setIntOption("fragmentInterleave", _checkRange("fragmentInterleave", level, 0, 2))

    def getPartialDeliveryPoint(self) -> int:
        return self.getIntOption("partialDeliveryPoint")

    def setPartialDeliveryPoint(self, size: int) -> None:
        """
        C{SCTP_PARTIAL_DELIVERY_POINT}: bytes of a message queued before the
        kernel starts delivering it in pieces.
        """
        self.setIntOption("partialDeliveryPoint", _checkRange("partialDeliveryPoint", size, 0, (1 << 31) - 1))

    def getDelayedSack(self, assocId: int = FUTURE_ASSOC) -> DelayedSack:
        v = self._getopt(lib.SCTP_DELAYED_SACK, "struct sctp_sack_info", "SCTP_DELAYED_SACK",
                         lambda v: setattr(v, "sack_assoc_id", _checkAssocId(assocId)))
        return DelayedSack(v.sack_delay, v.sack_freq)

    def setDelayedSack(self, sack: DelayedSack, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_DELAYED_SACK}: SACK delay (ms, 0 keeps; at most 500) and
        frequency (1: SACK every packet; 0 keeps).
        """
        _checkRange("SCTP_DELAYED_SACK delay", sack.delay, 0, 500)
        _checkU32("SCTP_DELAYED_SACK freq", sack.freq)
        self._setStruct(lib.SCTP_DELAYED_SACK, "struct sctp_sack_info", "SCTP_DELAYED_SACK", {
            "sack_assoc_id": _checkAssocId(assocId), "sack_delay": sack.delay, "sack_freq": sack.freq,
        })

    def getAssocStats(self, assocId: int = 0) -> AssocStats:
        """
        C{SCTP_GET_ASSOC_STATS}: the association's counters.
        """
        v = self._getopt(lib.SCTP_GET_ASSOC_STATS, "struct sctp_assoc_stats", "SCTP_GET_ASSOC_STATS",
                         lambda v: setattr(v, "sas_assoc_id", _checkAssocId(assocId)))
        try:
            obs = _addresses.readStorage(v.sas_obs_rto_ipaddr)
        except ValueError:
            obs = None
        return AssocStats(obs, v.sas_maxrto, v.sas_isacks, v.sas_osacks, v.sas_opackets, v.sas_ipackets,
                          v.sas_rtxchunks, v.sas_outofseqtsns, v.sas_idupchunks, v.sas_gapcnt,
                          v.sas_ouodchunks, v.sas_iuodchunks, v.sas_oodchunks, v.sas_iodchunks,
                          v.sas_octrlchunks, v.sas_ictrlchunks)

    # SCTP-AUTH (RFC 4895)

    def addAuthChunk(self, chunkType: int) -> None:
        """
        C{SCTP_AUTH_CHUNK}: require chunks of this type (e.g. 0 for DATA) to
        be authenticated.  Set before the association starts.
        """
        self._setStruct(lib.SCTP_AUTH_CHUNK, "struct sctp_authchunk", "SCTP_AUTH_CHUNK",
                        {"sauth_chunk": _checkRange("chunkType", chunkType, 0, 255)})

    def setHmacIdents(self, idents: Sequence[int]) -> None:
        """
        C{SCTP_HMAC_IDENT}: HMAC algorithms in order of preference
        (C{SCTP_AUTH_HMAC_ID_SHA1} = 1, C{SCTP_AUTH_HMAC_ID_SHA256} = 3).
        """
        idents = [_checkU16("HMAC ident", i) for i in idents]
        size = lib.TXSCTP_OFF_HMACALGO_IDENTS + 2 * len(idents)
        buf = ffi.new("char[]", size)
        ffi.cast("struct sctp_hmacalgo *", buf).shmac_num_idents = len(idents)
        arr = ffi.cast("uint16_t *", buf + lib.TXSCTP_OFF_HMACALGO_IDENTS)
        for i, ident in enumerate(idents):
            arr[i] = ident
        self._setopt(lib.SCTP_HMAC_IDENT, buf, size, "SCTP_HMAC_IDENT")

    def setAuthKey(self, keyNumber: int, key: bytes, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_AUTH_KEY}: install (or replace) shared key C{keyNumber}.
        """
        key = _asBytes(key, "key")
        _checkU16("keyNumber", keyNumber)
        if len(key) > 0xFFFF:
            raise ValueError("an AUTH key is at most 65535 bytes")
        size = lib.TXSCTP_OFF_AUTHKEY_KEY + len(key)
        buf = ffi.new("char[]", size)
        ak = ffi.cast("struct sctp_authkey *", buf)
        ak.sca_assoc_id = _checkAssocId(assocId)
        ak.sca_keynumber = keyNumber
        ak.sca_keylength = len(key)
        ffi.memmove(buf + lib.TXSCTP_OFF_AUTHKEY_KEY, key, len(key))
        self._setopt(lib.SCTP_AUTH_KEY, buf, size, "SCTP_AUTH_KEY")

    def _authKeyId(self, opt: int, call: str, keyNumber: int, assocId: int) -> None:
        self._setStruct(opt, "struct sctp_authkeyid", call, {
            "scact_assoc_id": _checkAssocId(assocId), "scact_keynumber": _checkU16("keyNumber", keyNumber),
        })

    def setActiveKey(self, keyNumber: int, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_AUTH_ACTIVE_KEY}: send with this key from now on.
        """
        self._authKeyId(lib.SCTP_AUTH_ACTIVE_KEY, "SCTP_AUTH_ACTIVE_KEY", keyNumber, assocId)

    def getActiveKey(self, assocId: int = FUTURE_ASSOC) -> int:
        v = self._getopt(lib.SCTP_AUTH_ACTIVE_KEY, "struct sctp_authkeyid", "SCTP_AUTH_ACTIVE_KEY",
                         lambda v: setattr(v, "scact_assoc_id", _checkAssocId(assocId)))
        return int(v.scact_keynumber)

    def deactivateKey(self, keyNumber: int, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_AUTH_DEACTIVATE_KEY}: stop using a key (it may then be
        deleted once the kernel reports it free).
        """
        self._authKeyId(lib.SCTP_AUTH_DEACTIVATE_KEY, "SCTP_AUTH_DEACTIVATE_KEY", keyNumber, assocId)

    def deleteKey(self, keyNumber: int, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_AUTH_DELETE_KEY}: remove a (deactivated, unused) key.
        """
        self._authKeyId(lib.SCTP_AUTH_DELETE_KEY, "SCTP_AUTH_DELETE_KEY", keyNumber, assocId)

    def _authChunks(self, opt: int, call: str, assocId: int) -> List[int]:
        fd = self._checkOpen("getsockopt")
        size = lib.TXSCTP_OFF_AUTHCHUNKS_CHUNKS + 256
        buf = ffi.new("char[]", size)
        ac = ffi.cast("struct sctp_authchunks *", buf)
        ac.gauth_assoc_id = _checkAssocId(assocId)
        length = ffi.new("socklen_t *", size)
        if lib.getsockopt(fd, lib.SOL_SCTP, opt, buf, length) < 0:
            raise _optionError(ffi.errno, "getsockopt", opt, call)
        chunks = ffi.cast("uint8_t *", buf + lib.TXSCTP_OFF_AUTHCHUNKS_CHUNKS)
        return [int(chunks[i]) for i in range(min(ac.gauth_number_of_chunks, 256))]

    def getLocalAuthChunks(self, assocId: int = FUTURE_ASSOC) -> List[int]:
        """
        Chunk types this end requires authenticated.
        """
        return self._authChunks(lib.SCTP_LOCAL_AUTH_CHUNKS, "SCTP_LOCAL_AUTH_CHUNKS", assocId)

    def getPeerAuthChunks(self, assocId: int = 0) -> List[int]:
        """
        Chunk types the peer requires authenticated.
        """
        return self._authChunks(lib.SCTP_PEER_AUTH_CHUNKS, "SCTP_PEER_AUTH_CHUNKS", assocId)

    # stream reconfiguration (RFC 6525)

    def enableStreamReset(self, flags: int, assocId: int = FUTURE_ASSOC) -> None:
        """
        C{SCTP_ENABLE_STREAM_RESET}: allow reset requests of these kinds
        (C{SCTP_ENABLE_RESET_STREAM_REQ}, C{SCTP_ENABLE_RESET_ASSOC_REQ},
        C{SCTP_ENABLE_CHANGE_ASSOC_REQ}): Linux needs the kind enabled on the
        end that sends the request and on the end that grants it.
        Requires C{reconfigSupported} on both ends.
        """
        self.setAssocValue("enableStreamReset", flags, assocId)

    def resetStreams(self, streams: Sequence[int] = (), *, incoming: bool = False,
                     outgoing: bool = True, assocId: int = 0) -> None:
        """
        C{SCTP_RESET_STREAMS}: reset the sequence numbers of these streams
        (all if empty).
        """
        streams = [_checkU16("stream", s) for s in streams]
        flags = (lib.SCTP_STREAM_RESET_INCOMING if incoming else 0) | (
            lib.SCTP_STREAM_RESET_OUTGOING if outgoing else 0)
        if not flags:
            raise ValueError("resetStreams needs incoming and/or outgoing")
        size = lib.TXSCTP_OFF_RESET_STREAMS_LIST + 2 * len(streams)
        buf = ffi.new("char[]", max(size, ffi.sizeof("struct sctp_reset_streams")))
        rs = ffi.cast("struct sctp_reset_streams *", buf)
        rs.srs_assoc_id = _checkAssocId(assocId)
        rs.srs_flags = flags
        rs.srs_number_streams = len(streams)
        arr = ffi.cast("uint16_t *", buf + lib.TXSCTP_OFF_RESET_STREAMS_LIST)
        for i, s in enumerate(streams):
            arr[i] = s
        self._setopt(lib.SCTP_RESET_STREAMS, buf, size, "SCTP_RESET_STREAMS")

    def resetAssociation(self, assocId: int = 0) -> None:
        """
        C{SCTP_RESET_ASSOC}: reset the association's TSNs.
        """
        self._setopt(lib.SCTP_RESET_ASSOC, ffi.new("sctp_assoc_t *", _checkAssocId(assocId)),
                     ffi.sizeof("sctp_assoc_t"), "SCTP_RESET_ASSOC")

    def addStreams(self, inStreams: int = 0, outStreams: int = 0, assocId: int = 0) -> None:
        """
        C{SCTP_ADD_STREAMS}: ask for this many more streams.
        """
        self._setStruct(lib.SCTP_ADD_STREAMS, "struct sctp_add_streams", "SCTP_ADD_STREAMS", {
            "sas_assoc_id": _checkAssocId(assocId), "sas_instrms": inStreams, "sas_outstrms": outStreams,
        })
