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

This module holds the socket's I/O: creating, binding, connecting,
accepting, peeling off, addresses, sending and receiving.  The socket
options (getters and setters, event subscription, tuning) are
L{SCTPSocket}'s too, inherited from the option catalogue in
C{txsctp._sockopts}.
"""

from __future__ import annotations

import errno
import socket as _stdsocket
import struct
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, TypeVar, Union

from txsctp import _addresses
from txsctp._addresses import AddressLike, HostPort
from txsctp._assembly import MessageAssembler
from txsctp._batch import (
    MAX_BATCH,
    R_LEN,
    R_MSG_FLAGS,
    BatchReceiver,
    packMeta,
    sendBlob,
    sharedReceiver,
)
from txsctp._extension import ffi, lib
from txsctp._sockopts import (
    FUTURE_ASSOC,
    _Recipe,
    _RecordedOption,
    _SocketOptions,
    _asBytes,
    _checkAssocId,
    _checkRange,
    _checkU16,
    _checkU32,
    _optionError,
    _packRecipe,
)
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
    PartialDeliveryEvent,
    parseNotification,
)

# NotificationType: long importable from here (tests and users do).
from txsctp.notifications import NotificationType as NotificationType
from txsctp.options import DEFAULT_TUNING, ONE_TO_MANY, ONE_TO_ONE, InitMsg, PRPolicy, Tuning

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

_T = TypeVar("_T")

# FUTURE_ASSOC (the option setters' default) comes from txsctp._sockopts.
CURRENT_ASSOC: int = lib.SCTP_CURRENT_ASSOC
ALL_ASSOC: int = lib.SCTP_ALL_ASSOC

_FAMILIES: Dict[int, _stdsocket.AddressFamily] = {
    _stdsocket.AF_INET: _stdsocket.AF_INET, _stdsocket.AF_INET6: _stdsocket.AF_INET6,
}

_STYLES = {
    ONE_TO_ONE: _stdsocket.SOCK_STREAM,
    ONE_TO_MANY: _stdsocket.SOCK_SEQPACKET,
}


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
_sendOne: Callable[..., int] = lib.txsctp_send1
_GETADDRS_BUFFER = 64 * 1024
# For buffers the kernel fills before anything reads them: cffi's default
# allocator zeroes every byte (64 KiB for each address lookup).
_newUncleared = ffi.new_allocator(should_clear_after_alloc=False)


class _GetaddrsScratch:
    """
    The buffers of one thread's address-list reads (C{_getaddrs}; one at
    every association's set-up), made once instead of at every read: the
    kernel fills them, and the addresses are copied out before the read
    returns.
    """

    def __init__(self) -> None:
        self.buf = _newUncleared("char[]", _GETADDRS_BUFFER)
        self.ga = ffi.cast("struct sctp_getaddrs *", self.buf)
        self.addrs = self.buf + lib.TXSCTP_OFF_GETADDRS_ADDRS
        self.size = ffi.new("socklen_t *")


_perThread = threading.local()


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


class SCTPSocket(_SocketOptions):
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
        # The socket object's own fileno (-1 once closed, as below) in
        # place of the method: no Python frame for each of the reactor's
        # calls while an association is set up and torn down.
        self.fileno = self._sock.fileno  # type: ignore[method-assign]
        self._receiveSlot = _DEFAULT_RECEIVE_SLOT
        self._receiver: Optional[BatchReceiver] = None
        self._sendMetas: Dict[tuple, bytes] = {}
        self._assembler: Optional[MessageAssembler] = None
        self.peeledOff = False

    def _setup(self, events: Iterable[int], tuning: Optional[Tuning], initMsg: Optional[InitMsg]) -> None:
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
        key: Optional[tuple]
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

    def __exit__(self, *exc: object) -> None:
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

    def _std(self, call: str, func: Callable[..., _T], *args: Any) -> _T:
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

    def _one(self, address: Any, allowWildcard: bool = False) -> HostPort:
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
        return self._connectx(fd, addrs)

    def _connectx(self, fd: int, addrs: List[HostPort]) -> int:
        """
        L{connectx} with addresses already normalised and fit for this
        socket's family (the kernel stack's client checks them itself).
        """
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
    def _clean(addr: Tuple[Any, ...]) -> HostPort:
        host = addr[0]
        if host.startswith("::ffff:") and "." in host:
            host = host[7:]
        return host, addr[1]

    def _getaddrs(self, opt: int, assocId: int, call: str) -> List[HostPort]:
        fd = self._checkOpen(call)
        _checkAssocId(assocId)
        scratch = getattr(_perThread, "getaddrs", None)
        if scratch is None:
            scratch = _perThread.getaddrs = _GetaddrsScratch()
        buf, ga, size = scratch.buf, scratch.ga, scratch.size
        ga.assoc_id = assocId
        ga.addr_num = 0
        size[0] = _GETADDRS_BUFFER
        if lib.getsockopt(fd, lib.SOL_SCTP, opt, buf, size) < 0:
            raise fromErrno(ffi.errno, call, f"assocId={assocId}")
        # The kernel's optlen on return is not consistent between the two
        # options (local: address bytes only); addr_num is what counts.
        return _addresses.unpackList(scratch.addrs, ga.addr_num, _GETADDRS_BUFFER - lib.TXSCTP_OFF_GETADDRS_ADDRS)

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

    def _sendError(self, err: int, stream: int, assocId: int, size: int, flags: int = 0) -> Exception:
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
            return MessageTooLongError.largerThanSendBuffer(size, limit)
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
                raise self._sendError(e.errno or 0, first[1], first[4], len(first[0]), first[3]) from None
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
                # Any: the class test below narrows it, which type checkers
                # do not follow (an isinstance() call would cost time here).
                item: Any = rx.receiveOne(fd, flags, withAddresses)
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
        pendingNote: Optional[bytes] = None
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
