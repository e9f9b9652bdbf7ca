"""
The userspace SCTP stack's socket: L{UsrsctpSocket}, one usrsctp socket,
with no Twisted.

A socket is one-to-one (C{SOCK_STREAM}) or one-to-many
(C{SOCK_SEQPACKET}), always non-blocking, made by the process's
L{UsrsctpStack<txsctp._usrsctp.UsrsctpStack>} (its C{socket}, or a
socket's L{accept<UsrsctpSocket.accept>} or
L{peeloff<UsrsctpSocket.peeloff>}) and used from the stack's thread only.
The stack holds every open socket, moves the packets and reports which
sockets are ready; a socket shares the stack's receive buffers (a receive
copies out at once).

It speaks txsctp's values: Linux's flag and state numbers, PPIDs in host
order, the records of L{txsctp._batch} and the types of L{txsctp.info},
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
from array import array
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from txsctp import _usrsctp_values as _values
from txsctp._batch import RECORD, R_ADDRLEN, R_HAS_RCVINFO, R_INFO, R_LEN, R_MSG_FLAGS, packMeta
from txsctp._extension import ffi as _kffi
from txsctp._messageformats import META
from txsctp._usrsctp_extension import ffi, lib
from txsctp._usrsctp_options import UsrsctpOptions
from txsctp._usrsctp_values import HostPort, checkUint, unpackAddress
from txsctp.errors import (
    MessageTooLongError,
    SocketClosedError,
    StackFeatureError,
    StreamOutOfRangeError,
    fromErrno,
)
from txsctp.info import Message, RcvInfo
from txsctp.notifications import Notification
from txsctp.options import ONE_TO_ONE, PRPolicy

if TYPE_CHECKING:
    from txsctp._usrsctp import UsrsctpStack
    from txsctp._usrsctp_cffi import CData

__all__ = ["UsrsctpSocket", "FUTURE_ASSOC", "CURRENT_ASSOC", "ALL_ASSOC", "MAX_BATCH"]

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
    raise ImportError("txsctp._usrsctp_socket: the usrsctp binding's records no longer match txsctp._batch's; "
                      "rebuild txsctp")

_MSG_EOR = lib.MSG_EOR
_MSG_NOTIFICATION = lib.TXU_L_MSG_NOTIFICATION
_UNORDERED = lib.TXU_L_UNORDERED
_ABORT = lib.TXU_L_ABORT
_EOF = lib.TXU_L_EOF
_SACK_IMMEDIATELY = lib.TXU_L_SACK_IMMEDIATELY
_RECORD_SIZE = RECORD.size
_ADDR_OFFSET = ffi.offsetof("struct txu_rcv", "addr")
# The stack's receive buffer, which every socket shares.
_RECEIVE_BUFFER = 256 * 1024
_NO_RCVINFO = RcvInfo()
_tupleNew = tuple.__new__


_UNSUPPORTED_PR: Dict[int, str] = {PRPolicy.PRIO: "the PR-SCTP priority policy (SCTP_PR_SCTP_PRIO)"}


class UsrsctpSocket(UsrsctpOptions):
    """
    One usrsctp socket (see the module docstring).  Close it with
    L{close}: the stack holds every open socket.

    @ivar id: its number, unique in the process.
    @ivar style: L{ONE_TO_ONE<txsctp.options.ONE_TO_ONE>} or
        L{ONE_TO_MANY<txsctp.options.ONE_TO_MANY>}.
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
