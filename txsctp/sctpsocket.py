"""
The SCTP socket layer: a Pythonic wrapper of one kernel SCTP socket, usable
on its own, blocking or non-blocking, with no reactor.

    >>> from txsctp.sctpsocket import SCTPSocket
    >>> server = SCTPSocket(style="one-to-many")
    >>> server.bindx(["127.0.0.1", "127.0.0.2"], 2905)
    >>> server.listen()

A socket is either I{one-to-one} (C{SOCK_STREAM}, one association, TCP-like
listen/accept) or I{one-to-many} (C{SOCK_SEQPACKET}, many associations told
apart by association id).  Messages are sent whole with their stream, PPID
(host byte order) and flags, and received with their L{RcvInfo}.
Notifications come back from the receive calls as typed
L{txsctp.notifications.Notification} objects, never as data.

Every failing system call raises an L{OSError} whose subclass matches the
errno and whose message names the call; see L{txsctp.errors}.
"""

from __future__ import annotations

import errno
import socket as _stdsocket
import struct
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from txsctp import _addresses
from txsctp._addresses import AddressLike, HostPort
from txsctp._assembly import MessageAssembler
from txsctp._batch import (
    MAX_BATCH, R_LEN, R_MSG_FLAGS, BatchReceiver, packMeta, sendBlob, sharedReceiver,
)
from txsctp._extension import ffi, lib
from txsctp.errors import (
    AddressFamilyError,
    AssociationClosedError,
    MessageTooLongError,
    SCTPNotSupportedError,
    SocketClosedError,
    StreamOutOfRangeError,
    fromErrno,
)
from txsctp.info import Message
from txsctp.notifications import (
    DEFAULT_EVENTS,
    Notification,
    NotificationType,
    PartialDeliveryEvent,
    _enumOr,
    parseNotification,
)
from txsctp.options import (
    DEFAULT_TUNING,
    AssocParams,
    AssocState,
    AssocStats,
    DefaultPRInfo,
    DefaultSendInfo,
    DelayedSack,
    InitMsg,
    PeerAddrInfo,
    PeerAddrParams,
    PeerAddrThresholds,
    PathState,
    PRPolicy,
    RTOInfo,
    Status,
    Tuning,
)

__all__ = [
    "SCTPSocket",
    "ONE_TO_ONE",
    "ONE_TO_MANY",
    "DEFAULT_EVENTS",
    "FUTURE_ASSOC",
    "CURRENT_ASSOC",
    "ALL_ASSOC",
    "kernelSupportsSCTP",
]

ONE_TO_ONE = "one-to-one"
ONE_TO_MANY = "one-to-many"
FUTURE_ASSOC = lib.SCTP_FUTURE_ASSOC
CURRENT_ASSOC = lib.SCTP_CURRENT_ASSOC
ALL_ASSOC = lib.SCTP_ALL_ASSOC

_FAMILIES = {_stdsocket.AF_INET: _stdsocket.AF_INET, _stdsocket.AF_INET6: _stdsocket.AF_INET6}

_STYLES = {
    ONE_TO_ONE: _stdsocket.SOCK_STREAM,
    ONE_TO_MANY: _stdsocket.SOCK_SEQPACKET,
}


# struct sctp_event_subscribe field per event, for kernels without SCTP_EVENT.
_LEGACY_EVENT_FIELDS = {
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


# What _setup wrote on the first socket of each (style, events, tuning,
# initMsg): (its option writes packed for txsctp_setopts, resulting events),
# replayed on later sockets with the same settings.  Bounded: a program
# making sockets with ever-new settings only loses the shortcut.
_SETUP_RECIPES: Dict[tuple, Tuple[_Recipe, Tuple[int, ...]]] = {}
_MAX_SETUP_RECIPES = 64

_DEFAULT_RECEIVE_SLOT = 64 * 1024
_MSG_EOR = lib.MSG_EOR
_MSG_NOTIFICATION = lib.MSG_NOTIFICATION
_MSG_NOSIGNAL = lib.MSG_NOSIGNAL
_UNORDERED = lib.SCTP_UNORDERED
_SACK_IMMEDIATELY = lib.SCTP_SACK_IMMEDIATELY
_SENDALL = lib.SCTP_SENDALL
_sendOne = lib.txsctp_send1
_GETADDRS_BUFFER = 64 * 1024
# For buffers the kernel fills before anything reads them: cffi's default
# allocator zeroes every byte (64 KiB for each address lookup).
_newUncleared = ffi.new_allocator(should_clear_after_alloc=False)

_ASSOC_VALUE_OPTIONS = {
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

_INT_OPTIONS = {
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


def kernelSupportsSCTP() -> bool:
    """
    Whether this kernel can create SCTP sockets.
    """
    try:
        s = _stdsocket.socket(_stdsocket.AF_INET, _stdsocket.SOCK_STREAM, lib.IPPROTO_SCTP)
    except OSError:
        return False
    s.close()
    return True


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


class SCTPSocket:
    """
    One kernel SCTP socket.

    @ivar family: C{AF_INET} or C{AF_INET6}.  An AF_INET6 socket also talks
        to IPv4 peers (V6ONLY is switched off).
    @ivar style: L{ONE_TO_ONE} or L{ONE_TO_MANY}.
    @ivar events: the notification types subscribed to.
    """

    def __init__(
        self,
        family: int = _stdsocket.AF_INET,
        style: str = ONE_TO_ONE,
        *,
        blocking: bool = True,
        events: Iterable[int] = DEFAULT_EVENTS,
        tuning: Optional[Tuning] = DEFAULT_TUNING,
        initMsg: Optional[InitMsg] = None,
        _sock: Optional[_stdsocket.socket] = None,
    ) -> None:
        """
        Create a socket.

        @param family: C{socket.AF_INET} or C{socket.AF_INET6}.
        @param style: L{ONE_TO_ONE} or L{ONE_TO_MANY}.
        @param blocking: C{False} for a non-blocking socket.
        @param events: notification types to subscribe to.
        @param tuning: socket settings to apply (L{DEFAULT_TUNING}); C{None}
            leaves every kernel default alone.
        @param initMsg: INIT parameters (stream counts, attempts).
        @raise SCTPNotSupportedError: the kernel has no SCTP.
        @raise ValueError: unknown family or style.
        """
        if _sock is None:
            if family not in (_stdsocket.AF_INET, _stdsocket.AF_INET6):
                raise AddressFamilyError(
                    f"family must be AF_INET or AF_INET6, not {family!r}"
                )
            if style not in _STYLES:
                raise ValueError(
                    f"style must be {ONE_TO_ONE!r} or {ONE_TO_MANY!r}, not {style!r}"
                )
            sockType = _STYLES[style] if blocking else _STYLES[style] | _stdsocket.SOCK_NONBLOCK
            try:
                _sock = _stdsocket.socket(family, sockType, lib.IPPROTO_SCTP)
            except OSError as e:
                if e.errno in (errno.EPROTONOSUPPORT, errno.ESOCKTNOSUPPORT):
                    raise SCTPNotSupportedError("socket") from None
                raise fromErrno(e.errno or 0, "socket") from None
            if family == _stdsocket.AF_INET6:
                _sock.setsockopt(_stdsocket.IPPROTO_IPV6, _stdsocket.IPV6_V6ONLY, 0)
            self._sock = _sock
            # Known already: no enum conversions through the socket object.
            self.family = _FAMILIES[family]
            self.style = style
            self._setup(events, tuning, initMsg)
        else:
            self._sock = _sock
            self.events = tuple(events)
            self.family = _sock.family
            self.style = ONE_TO_MANY if _sock.type == _stdsocket.SOCK_SEQPACKET else ONE_TO_ONE
            if _sock.getblocking() != blocking:
                _sock.setblocking(blocking)
        self._fd = self._sock.fileno()
        self._receiveSlot = _DEFAULT_RECEIVE_SLOT
        self._receiver: Optional[BatchReceiver] = None
        self._sendMetas: Dict[tuple, bytes] = {}
        self._assembler: Optional[MessageAssembler] = None
        self.peeledOff = False

    def _setup(self, events, tuning: Optional[Tuning], initMsg: Optional[InitMsg]) -> None:
        """
        The options every new socket gets: receive info, the event
        subscription, the tuning, the INIT parameters.

        The first socket with a given set of these goes through the
        checked setters one by one, which record what they wrote; later
        sockets with the same set replay that record, one C{setsockopt}
        each and no Python-level checks (the values were checked the first
        time).  Bad values therefore raise every time, as before.
        """
        if events.__class__ is not tuple:
            events = tuple(events)
        key = (self.style, events, tuning, initMsg)
        try:
            recipe = _SETUP_RECIPES.get(key)
        except TypeError:
            # Something unhashable among the settings: no record.
            recipe = key = None
        if recipe is not None:
            self._replay(recipe[0])
            self.events = recipe[1]
            return
        record: List[_RecordedOption] = []
        self._recording = record
        try:
            self.setIntOption("recvRcvInfo", 1)
            self.events = ()
            if not self._subscribeAtOnce(events):
                self.subscribe(events)
            if tuning is not None:
                self.applyTuning(tuning)
            if initMsg is not None:
                self.setInitMsg(initMsg)
        finally:
            del self._recording
        if key is not None:
            if len(_SETUP_RECIPES) >= _MAX_SETUP_RECIPES:
                _SETUP_RECIPES.clear()
            _SETUP_RECIPES[key] = (_packRecipe(record), self.events)

    def _replay(self, recipe: _Recipe) -> None:
        """
        Write recorded options (see L{_setup}) with one call into C (one
        C{setsockopt} each), raising what the setter that recorded the
        failing one would raise.
        """
        packed, entries = recipe
        done = lib.txsctp_setopts(self._sock.fileno(), packed, len(entries))
        if done < len(entries):
            err = ffi.errno
            level, opt, _value, call = entries[done]
            if level == lib.SOL_SCTP:
                raise _optionError(err, "setsockopt", opt, call)
            raise fromErrno(err, "setsockopt", call)

    @classmethod
    def fromSocket(cls, sock: _stdsocket.socket, *, blocking: Optional[bool] = None) -> "SCTPSocket":
        """
        Wrap an existing SCTP socket object (for example one handed over by a
        parent process).  Its options are left as they are.
        """
        self = cls(_sock=sock, blocking=sock.getblocking() if blocking is None else blocking)
        return self

    # -- basics -------------------------------------------------------

    def fileno(self) -> int:
        """
        The file descriptor, or -1 once closed.
        """
        return self._sock.fileno()

    @property
    def closed(self) -> bool:
        """
        Whether L{close} has been called.
        """
        return self._sock.fileno() < 0

    def _checkOpen(self, call: str) -> int:
        fd = self._sock.fileno()
        if fd < 0:
            raise SocketClosedError(call)
        return fd

    def close(self) -> None:
        """
        Close the socket.  Closing twice is harmless.  Associations still up
        on a one-to-one socket are shut down gracefully by the kernel (or
        aborted if unread data remains).
        """
        self._sock.close()

    def __enter__(self) -> "SCTPSocket":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        fam = "AF_INET6" if self.family == _stdsocket.AF_INET6 else "AF_INET"
        state = "closed" if self.closed else f"fd={self.fileno()}"
        return f"<SCTPSocket {self.style} {fam} {state}>"

    def setblocking(self, flag: bool) -> None:
        """
        Switch between blocking and non-blocking mode.
        """
        self._checkOpen("setblocking")
        self._sock.setblocking(flag)

    def getblocking(self) -> bool:
        """
        Whether the socket is in blocking mode.
        """
        self._checkOpen("getblocking")
        return self._sock.getblocking()

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

    def _std(self, call: str, func, *args):
        self._checkOpen(call)
        try:
            return func(*args)
        except OSError as e:
            if e.errno is None:
                raise
            detail = ", ".join(repr(a) for a in args)
            raise fromErrno(e.errno, call, detail) from None

    # -- binding, connecting -------------------------------------------

    def bind(self, address: HostPort) -> None:
        """
        Bind to one C{(host, port)}; port 0 picks one.  C{host} may be
        C{""} (or C{"0.0.0.0"}/C{"::"}) for every local address.

        @raise AddressFamilyError: the address does not fit the socket.
        """
        host, port = self._one(address, allowWildcard=True)
        self._std("bind", self._sock.bind, (host, port))

    def _one(self, address, allowWildcard: bool = False) -> HostPort:
        if not (isinstance(address, tuple) and len(address) == 2):
            raise TypeError(f"address must be a (host, port) tuple, not {address!r}")
        host, port = address
        if allowWildcard and host == "":
            host = "::" if self.family == _stdsocket.AF_INET6 else "0.0.0.0"
        [(host, port)] = _addresses.normalizeAddresses([(host, port)])
        _addresses.checkFamilies(self.family, [(host, port)])
        return host, port

    def bindx(
        self,
        addresses: Union[AddressLike, Iterable[AddressLike]],
        port: Optional[int] = None,
        *,
        remove: bool = False,
    ) -> None:
        """
        Add (or with C{remove=True} remove) local addresses, all on one
        port, with C{sctp_bindx} semantics: one socket, several addresses
        (multi-homing).

        @param addresses: host strings (taking C{port}) or C{(host, port)}
            tuples.
        @param port: the port for bare host strings.
        @raise AddressFamilyError: an address does not fit the socket (an
            IPv6 address on an AF_INET socket) or is not an IP literal.
        """
        fd = self._checkOpen("bindx")
        addrs = _addresses.normalizeAddresses(addresses, port)
        _addresses.checkFamilies(self.family, addrs)
        ports = sorted({p for _, p in addrs})
        if len(ports) > 1:
            raise ValueError(f"bindx: every address must be on one port, not {ports}")
        packed = _addresses.packList(addrs)
        opt = lib.SCTP_SOCKOPT_BINDX_REM if remove else lib.SCTP_SOCKOPT_BINDX_ADD
        if lib.setsockopt(fd, lib.SOL_SCTP, opt, packed, len(packed)) < 0:
            raise fromErrno(ffi.errno, "bindx", repr(addrs))

    def listen(self, backlog: int = 128) -> None:
        """
        Listen for associations (one-to-one: accept them with L{accept};
        one-to-many: they appear on this socket).  A one-to-many socket that
        is not listening refuses incoming associations.
        """
        self._std("listen", self._sock.listen, backlog)

    def accept(self) -> Tuple["SCTPSocket", HostPort]:
        """
        Accept one association on a listening one-to-one socket.

        @return: the new socket (same blocking mode as this one, not
            inherited by child processes; same options, which the kernel
            copies) and the peer's primary address.
        @raise BlockingIOError: non-blocking and none is pending.
        """
        if self._sock.getblocking():
            # Blocking or with a timeout: the stdlib waits (and retries
            # after signals) as it should.
            sock, addr = self._std("accept", self._sock.accept)
            new = SCTPSocket(_sock=sock, blocking=True, events=self.events)
            return new, self._clean(addr)
        # Non-blocking (a reactor's port): accept4 makes the new socket
        # non-blocking itself, one system call fewer per association than
        # accept and FIONBIO.
        fd = self._checkOpen("accept")
        peer = ffi.new("struct sockaddr_storage *")
        size = ffi.new("socklen_t *", ffi.sizeof("struct sockaddr_storage"))
        newFd = lib.accept4(fd, ffi.cast("struct sockaddr *", peer), size,
                            lib.SOCK_NONBLOCK | lib.SOCK_CLOEXEC)
        if newFd < 0:
            raise fromErrno(ffi.errno, "accept")
        try:
            address = _addresses.unpackOne(peer) or ("", 0)
            sock = _stdsocket.socket(self._sock.family, _stdsocket.SOCK_STREAM | _stdsocket.SOCK_NONBLOCK,
                                     lib.IPPROTO_SCTP, fileno=newFd)
        except BaseException:
            lib.close(newFd)
            raise
        return SCTPSocket(_sock=sock, blocking=False, events=self.events), self._clean(address)

    def connect(self, address: HostPort) -> None:
        """
        Start an association to one address (blocking: wait for it).
        Non-blocking: raises L{BlockingIOError} (EINPROGRESS) while it is
        being set up; the association is up when C{COMM_UP} arrives.
        """
        host, port = self._one(address)
        self._std("connect", self._sock.connect, (host, port))

    def connectx(
        self,
        addresses: Union[AddressLike, Iterable[AddressLike]],
        port: Optional[int] = None,
    ) -> int:
        """
        Start an association to a peer known by several addresses
        (C{sctp_connectx}).

        @return: the new association's id.  On a non-blocking socket the
            association may still be in setup (the kernel said EINPROGRESS):
            the id is returned all the same and C{COMM_UP} or
            C{CANT_STR_ASSOC} tells the outcome.
        @raise AddressFamilyError: a bad or mixed address list.
        """
        fd = self._checkOpen("connectx")
        addrs = _addresses.normalizeAddresses(addresses, port)
        _addresses.checkFamilies(self.family, addrs)
        packed = _addresses.packList(addrs)
        assocId = ffi.new("sctp_assoc_t *")
        if lib.txsctp_connectx(fd, packed, len(packed), assocId) < 0:
            err = ffi.errno
            if err != errno.EINPROGRESS:
                raise fromErrno(err, "connectx", repr(addrs))
        return int(assocId[0])

    def peeloff(self, assocId: int, *, blocking: Optional[bool] = None, cloexec: bool = True) -> "SCTPSocket":
        """
        Move one association of a one-to-many socket to a new one-to-one
        socket (C{SCTP_SOCKOPT_PEELOFF_FLAGS}).  The new socket keeps the
        association's messages (those already queued go with it) and gets
        this socket's event subscriptions and RCVINFO setting again.

        @param blocking: the new socket's mode; default: this socket's.
        @param cloexec: set C{O_CLOEXEC} on the new descriptor.
        @raise OSError: C{EINVAL} for an unknown association id.
        """
        fd = self._checkOpen("peeloff")
        _checkAssocId(assocId)
        if blocking is None:
            blocking = self._sock.getblocking()
        flags = 0
        if not blocking:
            flags |= _stdsocket.SOCK_NONBLOCK
        if cloexec:
            flags |= _stdsocket.SOCK_CLOEXEC
        newFd = lib.txsctp_peeloff(fd, assocId, flags)
        if newFd < 0:
            raise fromErrno(ffi.errno, "peeloff", f"assocId={assocId}")
        try:
            sock = _stdsocket.socket(fileno=newFd)
        except BaseException:
            lib.close(newFd)
            raise
        new = SCTPSocket(_sock=sock, blocking=blocking, events=self.events)
        # A peeled-off socket is SOCK_SEQPACKET but carries one association,
        # one-to-one style (the kernel's UDP_HIGH_BANDWIDTH: SCTP_EOF and
        # SCTP_ABORT work in sendmsg, shutdown() does nothing).
        new.style = ONE_TO_ONE
        new.peeledOff = True
        try:
            new.setIntOption("recvRcvInfo", 1)
            new._subscribeAll(self.events)
        except BaseException:
            new.close()
            raise
        return new

    def shutdown(self, how: int = _stdsocket.SHUT_RDWR) -> None:
        """
        Start a graceful SHUTDOWN of a one-to-one socket's association (SCTP
        has no half-close: either direction ends both).

        With C{SHUT_RDWR} (the default) reads end at once: receive calls see
        end of file, so the C{SHUTDOWN_COMP} notification is never seen.  Pass
        C{socket.SHUT_WR} to keep reading until the shutdown completes.
        """
        self._std("shutdown", self._sock.shutdown, how)

    def setLinger(self, on: bool, seconds: int = 0) -> None:
        """
        C{SO_LINGER}: with C{on} and 0 seconds, L{close} aborts the
        association (sends ABORT) instead of shutting it down gracefully;
        the way to abort on a one-to-one socket, where C{SCTP_ABORT} in
        L{sendMessage} is refused.
        """
        _checkRange("seconds", seconds, 0, (1 << 31) - 1)
        self._std("setsockopt", self._sock.setsockopt, _stdsocket.SOL_SOCKET, _stdsocket.SO_LINGER,
                  struct.pack("ii", 1 if on else 0, seconds))

    def getsockname(self) -> HostPort:
        """
        The primary local address.
        """
        addr = self._std("getsockname", self._sock.getsockname)
        return self._clean(addr)

    def getpeername(self) -> HostPort:
        """
        The peer's primary address (one-to-one).
        """
        addr = self._std("getpeername", self._sock.getpeername)
        return self._clean(addr)

    @staticmethod
    def _clean(addr) -> HostPort:
        host = addr[0]
        if host.startswith("::ffff:") and "." in host:
            host = host[7:]
        return host, addr[1]

    def _getaddrs(self, opt: int, assocId: int, call: str) -> List[HostPort]:
        fd = self._checkOpen(call)
        _checkAssocId(assocId)
        buf = _newUncleared("char[]", _GETADDRS_BUFFER)
        ga = ffi.cast("struct sctp_getaddrs *", buf)
        ga.assoc_id = assocId
        ga.addr_num = 0
        size = ffi.new("socklen_t *", _GETADDRS_BUFFER)
        if lib.getsockopt(fd, lib.SOL_SCTP, opt, buf, size) < 0:
            raise fromErrno(ffi.errno, call, f"assocId={assocId}")
        # The kernel's optlen on return is not consistent between the two
        # options (local: address bytes only); addr_num is what counts.
        off = lib.TXSCTP_OFF_GETADDRS_ADDRS
        return _addresses.unpackList(buf + off, ga.addr_num, _GETADDRS_BUFFER - off)

    def getLocalAddresses(self, assocId: int = 0) -> List[HostPort]:
        """
        Every local address of the socket (C{assocId} 0) or of one
        association (C{sctp_getladdrs}).
        """
        return self._getaddrs(lib.SCTP_GET_LOCAL_ADDRS, assocId, "getLocalAddresses")

    def getPeerAddresses(self, assocId: int = 0) -> List[HostPort]:
        """
        Every address of the peer of one association (C{sctp_getpaddrs});
        on a one-to-one socket C{assocId} may stay 0.
        """
        return self._getaddrs(lib.SCTP_GET_PEER_ADDRS, assocId, "getPeerAddresses")

    def getAssocIds(self) -> List[int]:
        """
        The ids of every association on this socket.
        """
        fd = self._checkOpen("getAssocIds")
        count = self.getIntOption("assocNumber")
        n = max(count, 1) + 16
        size = lib.TXSCTP_OFF_ASSOC_IDS_IDS + n * ffi.sizeof("sctp_assoc_t")
        buf = ffi.new("char[]", size)
        length = ffi.new("socklen_t *", size)
        if lib.getsockopt(fd, lib.SOL_SCTP, lib.SCTP_GET_ASSOC_ID_LIST, buf, length) < 0:
            raise _optionError(ffi.errno, "getsockopt", lib.SCTP_GET_ASSOC_ID_LIST, "SCTP_GET_ASSOC_ID_LIST")
        ids = ffi.cast("struct sctp_assoc_ids *", buf)
        arr = ffi.cast("sctp_assoc_t *", buf + lib.TXSCTP_OFF_ASSOC_IDS_IDS)
        return [int(arr[i]) for i in range(ids.gaids_number_of_ids)]

    # -- sending -------------------------------------------------------

    def sendMessage(
        self,
        data: bytes,
        stream: int = 0,
        ppid: int = 0,
        *,
        unordered: bool = False,
        eof: bool = False,
        abort: bool = False,
        sackImmediately: bool = False,
        sendAll: bool = False,
        context: int = 0,
        assocId: int = 0,
        ttl: Optional[int] = None,
        prPolicy: int = PRPolicy.NONE,
        prValue: int = 0,
        to: Optional[HostPort] = None,
        dstAddresses: Optional[Sequence[AddressLike]] = None,
        authKey: Optional[int] = None,
    ) -> int:
        """
        Send one whole message.

        @param data: the payload (may be empty only with C{eof}/C{abort}).
        @param stream: the stream id.
        @param ppid: Payload Protocol Identifier, host byte order.
        @param unordered: deliver without regard to stream order.
        @param eof: start a graceful shutdown after this message
            (C{SCTP_EOF}); on a one-to-many socket it closes C{assocId}.
            Linux takes C{SCTP_EOF} only without data, so a non-empty
            message with C{eof} is sent first and the C{SCTP_EOF} follows on
            its own (two system calls).
        @param abort: abort the association (C{SCTP_ABORT}); C{data} is
            sent to the peer as the abort's user-initiated cause.  Refused by
            the kernel on a one-to-one socket (use L{setLinger} and
            L{close}); fine on one-to-many and peeled-off sockets.
        @param sackImmediately: ask the peer to SACK at once
            (C{SCTP_SACK_IMMEDIATELY}).
        @param sendAll: send to every association of a one-to-many socket.
        @param context: an opaque value returned in send-failed
            notifications.
        @param assocId: the association (one-to-many).
        @param ttl: shortcut for C{prPolicy=PRPolicy.TTL, prValue=ttl}:
            give up on the message after C{ttl} ms (PR-SCTP).
        @param prPolicy: a L{PRPolicy}: TTL (ms), RTX (retransmissions) or
            PRIO (priority).
        @param prValue: the policy's value.
        @param to: send to this peer address instead of the primary path
            (one-to-one), or to the association with this peer (one-to-many,
            which also sets one up implicitly).
        @param dstAddresses: more peer addresses for an association set up
            implicitly by this send (C{SCTP_DSTADDRV4/6}).
        @param authKey: send authenticated with this shared key number
            (C{SCTP_AUTHINFO}).
        @return: the number of bytes accepted (all of C{data}).
        @raise StreamOutOfRangeError: C{stream} is beyond the association's
            negotiated outbound streams.
        @raise MessageTooLongError: the kernel refused the size (EMSGSIZE).
        @raise BlockingIOError: non-blocking and the send buffer is full;
            nothing was sent.
        """
        if (to is None and dstAddresses is None and authKey is None and ttl is None
                and not (eof or abort or prPolicy or prValue) and data.__class__ is bytes and data):
            # The common case (plain bytes, no addresses, no PR-SCTP, no
            # AUTH key) in one C call, which checks the numbers' types and
            # ranges as it converts them; anything it refuses, and
            # everything else, takes the full path below, with its checks
            # and errors.
            fd = self._sock.fileno()
            if (fd >= 0 and stream.__class__ is not bool and ppid.__class__ is not bool
                    and context.__class__ is not bool and assocId.__class__ is not bool):
                flags = ((_UNORDERED if unordered else 0) | (_SACK_IMMEDIATELY if sackImmediately else 0)
                         | (_SENDALL if sendAll else 0))
                try:
                    sent = _sendOne(fd, data, len(data), stream, ppid, flags, context, assocId, _MSG_NOSIGNAL)
                except (TypeError, OverflowError):
                    pass
                else:
                    if sent < 0:
                        raise self._sendError(ffi.errno, stream, assocId, len(data), flags)
                    return sent
        fd = self._checkOpen("sendMessage")
        data = _asBytes(data)
        if not data and not (eof or abort):
            raise ValueError("an empty message cannot be sent (SCTP has no empty DATA); "
                             "data may be empty only with eof=True or abort=True")
        if (eof or abort) and self._sock.type == _stdsocket.SOCK_STREAM:
            raise self._eofAbortRefused()
        if eof and data and not abort:
            sent = self.sendMessage(
                data, stream, ppid, unordered=unordered, sackImmediately=sackImmediately,
                sendAll=sendAll, context=context, assocId=assocId, ttl=ttl, prPolicy=prPolicy,
                prValue=prValue, to=to, dstAddresses=dstAddresses, authKey=authKey,
            )
            self.sendMessage(b"", stream, eof=True, sendAll=sendAll, assocId=assocId,
                             to=to if self.style == ONE_TO_MANY else None)
            return sent
        _checkU16("stream", stream)
        _checkU32("ppid", ppid)
        _checkU32("context", context)
        _checkAssocId(assocId)
        if ttl is not None:
            prPolicy, prValue = PRPolicy.TTL, ttl
        _checkU32("prValue", prValue)
        if prPolicy not in (PRPolicy.NONE, PRPolicy.TTL, PRPolicy.RTX, PRPolicy.PRIO):
            raise ValueError(f"prPolicy {prPolicy!r} is not a PRPolicy")
        flags = 0
        if unordered:
            flags |= lib.SCTP_UNORDERED
        if eof:
            flags |= lib.SCTP_EOF
        if abort:
            flags |= lib.SCTP_ABORT
        if sackImmediately:
            flags |= lib.SCTP_SACK_IMMEDIATELY
        if sendAll:
            flags |= lib.SCTP_SENDALL
        rec = ffi.new("struct txsctp_snd *")
        keep = ffi.from_buffer(data)
        rec.data = keep
        rec.len = len(data)
        rec.sid = stream
        rec.ppid = ppid
        rec.context = context
        rec.assoc_id = assocId
        rec.pr_policy = int(prPolicy)
        rec.pr_value = prValue
        toBuf = None
        if to is not None:
            host, port = self._one(to)
            toBuf, toLen = _addresses.packOne(host, port)
            rec.to = ffi.cast("struct sockaddr *", toBuf)
            rec.tolen = toLen
            if self.style == ONE_TO_ONE:
                flags |= lib.SCTP_ADDR_OVER
        rec.flags = flags
        dst = b""
        if dstAddresses is not None:
            dstList = _addresses.normalizeAddresses(
                dstAddresses, to[1] if to is not None else None
            )
            _addresses.checkFamilies(self.family, dstList)
            dst = _addresses.packList(dstList)
        key = -1 if authKey is None else _checkU16("authKey", authKey)
        sent = lib.txsctp_sendone(fd, rec, dst if dst else ffi.NULL, len(dst), key, lib.MSG_NOSIGNAL)
        if sent < 0:
            err = ffi.errno
            raise self._sendError(err, stream, assocId, len(data), flags)
        return int(sent)

    @staticmethod
    def _eofAbortRefused() -> OSError:
        return OSError(
            errno.EINVAL,
            "sendmsg: the kernel refuses SCTP_ABORT/SCTP_EOF (abort=/eof=) on a "
            "one-to-one socket: use shutdown() to end the association gracefully, "
            "or setLinger(True, 0) then close() to abort it",
        )

    def _sendError(self, err: int, stream: int, assocId: int, size: int, flags: int = 0) -> OSError:
        """
        Turn a failed send's errno into the most useful exception:
        C{EINVAL} for a stream beyond the negotiated count becomes
        L{StreamOutOfRangeError}, C{EMSGSIZE} L{MessageTooLongError}.
        """
        if (err == errno.EINVAL and flags & (lib.SCTP_ABORT | lib.SCTP_EOF)
                and self._sock.type == _stdsocket.SOCK_STREAM):
            return self._eofAbortRefused()
        if err == errno.EINVAL and stream > 0:
            try:
                outStreams = self.getStatus(assocId).outStreams
            except OSError:
                outStreams = None
            if outStreams is not None and stream >= outStreams:
                return StreamOutOfRangeError(stream, outStreams)
        if err == errno.EMSGSIZE:
            try:
                limit: Optional[int] = self.getSendBufferSize()
            except OSError:
                limit = None
            return MessageTooLongError(
                size, limit, "message (larger than the socket's send buffer)",
                "Linux sends a message only whole from the send buffer; raise it with "
                "setSendBufferSize() before connecting (the kernel caps it at twice "
                "net.core.wmem_max) or send smaller messages",
            )
        return fromErrno(err, "sendmsg", f"{size} bytes, stream {stream}, assocId {assocId}")

    def sendBatch(self, messages: Sequence[tuple], *, bundle: bool = False) -> int:
        """
        Send several whole messages with as few system calls as possible
        (C{sendmmsg}).  Each item is C{(data, stream, ppid, flags, assocId,
        context)}, optionally followed by C{prPolicy, prValue}, with
        C{flags} made of C{SCTP_UNORDERED}, C{SCTP_EOF}... and the values
        already validated by the caller.

        @param bundle: let the kernel fill packets with the messages, as
            it does without C{SCTP_NODELAY} but with no wait: each run of
            4 or more small messages (64 KiB in all at most) of one
            association goes out as all but its last sent with C{MSG_MORE}
            then the last without (Linux 4.13 and later; one more system
            call per 64 messages, far fewer packets and acknowledgements).
            On a blocking socket every message is sent, so nothing waits.
            If fewer than all are accepted (a non-blocking socket, a send
            timeout), up to a packet's worth of those accepted may wait in
            the kernel until this association's next send or its
            shutdown: send the rest once the socket is writable again.
            Fewer, larger packets also mean that losses at a receiver
            that falls behind are repaired by timers rather than fast
            retransmit (see the tuning notes): for peers that keep up.
        @return: how many messages were accepted, from the front; fewer than
            given when the send buffer filled (the rest were not sent).
        @raise OSError: when not even the first message was accepted
            (L{BlockingIOError} if the buffer is full).
        """
        fd = self._checkOpen("sendBatch")
        metaCache = self._sendMetas
        total = 0
        count = len(messages)
        while total < count:
            chunk = messages[total:total + MAX_BATCH]
            metas = []
            for item in chunk:
                # Each distinct parameter set is packed once (L{packMeta}).
                key = item[1:]
                meta = metaCache.get(key)
                if meta is None:
                    stream, ppid, flags, assocId, context = item[1:6]
                    prPolicy, prValue = item[6:8] if len(item) > 6 else (0, 0)
                    if len(metaCache) >= 1024:
                        metaCache.clear()
                    meta = metaCache[key] = packMeta(stream, ppid, flags, assocId, context, prPolicy, prValue)
                metas.append(meta)
            try:
                sent = sendBlob(fd, [item[0] for item in chunk], metas, bundle=bundle)
            except OSError as e:
                if total:
                    return total
                first = messages[0]
                raise self._sendError(e.errno, first[1], first[4], len(first[0]), first[3]) from None
            total += sent
            if sent < len(chunk):
                break
        return total

    # -- receiving -----------------------------------------------------

    def setReceiveSlotSize(self, size: int) -> None:
        """
        Bytes read per message piece per receive call (default 64 KiB).
        Larger messages arrive in several pieces, which L{receive}
        reassembles.
        """
        _checkRange("slot size", size, 64, 1 << 30)
        self._receiveSlot = size
        self._receiver = None

    def _batchReceiver(self) -> BatchReceiver:
        if self._receiver is None:
            if self._receiveSlot == _DEFAULT_RECEIVE_SLOT:
                self._receiver = sharedReceiver()
            else:
                self._receiver = BatchReceiver(self._receiveSlot)
        return self._receiver

    def receiveBatch(self, maxMessages: int = 1, flags: int = 0, *,
                     withAddresses: bool = True) -> List[Union[Message, Notification]]:
        """
        Receive up to C{maxMessages} message pieces with one system call
        (C{recvmmsg}).  Data comes as L{Message} pieces (C{complete} tells
        whether a piece ends its message); a notification comes whole, as a
        L{Notification}.

        @param withAddresses: decode each message's source address (skip it
            to save time when the association id is all you need).
        @return: the items received, in order; an empty list at end of file
            (a one-to-one socket whose association has ended, after every
            message and notification queued before the end).
        @raise BlockingIOError: non-blocking and nothing is queued.
        """
        fd = self._sock.fileno()
        if fd < 0:
            raise SocketClosedError("receive")
        if maxMessages.__class__ is not int or not 1 <= maxMessages <= MAX_BATCH:
            _checkRange("maxMessages", maxMessages, 1, MAX_BATCH)
        rx = self._receiver or self._batchReceiver()
        try:
            if maxMessages == 1:
                item = rx.receiveOne(fd, flags, withAddresses)
                if item.__class__ is Message:
                    # One piece of data (request/response traffic).
                    return [item]
                data, record = item
                datas, records = [data], [record]
            else:
                n, datas, records = rx.receive(fd, flags, maxMessages)
        except OSError as e:
            if e.errno == errno.ENOTCONN and self._sock.type == _stdsocket.SOCK_STREAM:
                # A one-to-one socket whose association is gone and that
                # cannot read end of file (it shut down its sending side,
                # or was never connected): nothing more will come.
                return []
            raise
        result: List[Union[Message, Notification]] = []
        pendingNote = None
        for i, record in enumerate(records):
            msgFlags = record[R_MSG_FLAGS]
            if not record[R_LEN] and not msgFlags & (_MSG_NOTIFICATION | _MSG_EOR):
                # End of file: SCTP never delivers an empty message, so a
                # zero-length read means the association is gone (recvmmsg
                # fills every remaining slot with the same).
                break
            data = datas[i]
            if msgFlags & _MSG_NOTIFICATION:
                pendingNote = data if pendingNote is None else pendingNote + data
                if msgFlags & _MSG_EOR:
                    result.append(parseNotification(pendingNote))
                    pendingNote = None
                continue
            result.append(rx.message(i, data, record, withAddresses))
        while pendingNote is not None:
            # A notification longer than a slot: the rest is queued already.
            try:
                _, mores, recs = rx.receive(fd, 0, 1)
            except InterruptedError:
                continue
            more = mores[0]
            pendingNote += more
            if recs[0][R_MSG_FLAGS] & _MSG_EOR or not more:
                result.append(parseNotification(pendingNote))
                pendingNote = None
        return result

    def receiveMessage(self) -> Union[Message, Notification]:
        """
        Receive one message piece or notification (see L{receiveBatch}).

        @raise AssociationClosedError: end of file: the one-to-one socket's
            association has ended and everything queued before has been
            received.
        """
        items = self.receiveBatch(1)
        if not items:
            raise AssociationClosedError("receive")
        return items[0]

    def receive(self, maxMessageSize: int = 16 << 20) -> Union[Message, Notification]:
        """
        Receive one I{whole} message (pieces reassembled, per association and
        stream) or one notification.

        @param maxMessageSize: refuse messages larger than this.
        @raise MessageTooLongError: a message grew beyond C{maxMessageSize}
            (its pieces are dropped; the association should be aborted).
        @raise BlockingIOError: non-blocking and no whole message is queued
            yet (pieces read so far are kept for the next call).
        @raise AssociationClosedError: end of file on a one-to-one socket
            (see L{receiveMessage}).
        """
        if self._assembler is None:
            self._assembler = MessageAssembler(maxMessageSize)
        else:
            # Keep the pieces already read; only the limit changes.
            self._assembler.setMaxMessageSize(maxMessageSize)
        while True:
            item = self.receiveMessage()
            if isinstance(item, Notification):
                if isinstance(item, PartialDeliveryEvent) and item.aborted:
                    self._assembler.abortPartial(item.assocId, item.stream)
                return item
            whole = self._assembler.feed(item)
            if whole is not None:
                return whole

    # -- options -------------------------------------------------------

    def _getopt(self, opt: int, ctype: str, call: str, init=None):
        fd = self._checkOpen("getsockopt")
        value = ffi.new(ctype + " *")
        if init is not None:
            init(value)
        size = ffi.new("socklen_t *", ffi.sizeof(ctype))
        if lib.getsockopt(fd, lib.SOL_SCTP, opt, value, size) < 0:
            raise _optionError(ffi.errno, "getsockopt", opt, call)
        return value

    # While L{_setup} records the options it writes: the list to add to.
    _recording: Optional[List[_RecordedOption]] = None

    def _setopt(self, opt: int, value, size: int, call: str) -> None:
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

    def _setStruct(self, opt: int, ctype: str, call: str, fields: dict) -> None:
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

        def init(v):
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

        def init(v):
            v.se_assoc_id = assocId
            v.se_type = event

        return bool(self._getopt(lib.SCTP_EVENT, "struct sctp_event", "SCTP_EVENT", init).se_on)

    # tuning and buffers

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

    def _storageInit(self, field: str, assocField: str, assocId: int, address):
        def init(v):
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
    def _paddrinfo(v) -> PeerAddrInfo:
        return PeerAddrInfo(_addresses.readStorage(v.spinfo_address), _enumOr(PathState, v.spinfo_state),
                            v.spinfo_cwnd, v.spinfo_srtt, v.spinfo_rto, v.spinfo_mtu)

    def getStatus(self, assocId: int = 0) -> Status:
        """
        C{SCTP_STATUS}: the association's state, windows, stream counts and
        primary path.
        """
        v = self._getopt(lib.SCTP_STATUS, "struct sctp_status", "SCTP_STATUS",
                         lambda v: setattr(v, "sstat_assoc_id", _checkAssocId(assocId)))
        return Status(v.sstat_assoc_id, _enumOr(AssocState, v.sstat_state), v.sstat_rwnd, v.sstat_unackdata, v.sstat_penddata,
                      v.sstat_instrms, v.sstat_outstrms, v.sstat_fragmentation_point,
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

        L{sendMessage} and L{sendBatch} always give their own (their
        C{stream}, C{ppid}... arguments), so these defaults apply to messages
        sent on the descriptor without per-message information (a plain
        C{send()}, or another library sharing it).
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
