"""
Batched receive and send: the fast path under the Twisted transport (and
the socket layer's batch calls).

Receiving: one C{recvmmsg} fills up to 64 slots; the C helper decodes each
message's C{SCTP_RCVINFO}/C{SCTP_NXTINFO} into a compact record and moves
the payloads back to back, so Python copies them out with a single buffer
read and cheap slices, and turns the records into tuples with one
C{struct.iter_unpack} call.  No per-message cdata attribute access.

Sending: queued messages carry their parameters pre-packed (L{packMeta},
24 bytes, cached by the transport per distinct parameter set); a batch is
one joined payload, one array of lengths and one joined parameter block,
handed to C{sendmmsg} by one C call.
"""

from __future__ import annotations

import errno
import struct
import sys
import threading
from array import array
from itertools import repeat
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from txsctp import _messageformats
from txsctp._extension import ffi, lib
from txsctp._messageformats import META, packMeta
from txsctp.errors import fromErrno
from txsctp.info import Message, NxtInfo, RcvInfo

if TYPE_CHECKING:
    from txsctp._addresses import HostPort

__all__ = ["BatchReceiver", "sharedReceiver", "sendBlob", "sendOne", "lastSendError", "packMeta",
           "MAX_BATCH", "RECORD"]

MAX_BATCH: int = lib.TXSCTP_MAX_BATCH

# Batches of up to this many payload bytes are copied as one block and
# sliced; larger ones message by message.
_JOIN_LIMIT = 64 * 1024
_COMPACT_LIMIT = lib.TXSCTP_COMPACT_LIMIT

# struct txsctp_rcv, up to (not including) its sockaddr_storage.
_RECORD_FORMAT = "@IiBBHHHIIIIiHHIIiI"
_ADDR_OFFSET = ffi.offsetof("struct txsctp_rcv", "addr")
RECORD = struct.Struct(_RECORD_FORMAT + f"{ffi.sizeof('struct txsctp_rcv') - _ADDR_OFFSET}x")
if RECORD.size != ffi.sizeof("struct txsctp_rcv") or struct.calcsize(_RECORD_FORMAT) != _ADDR_OFFSET:
    raise ImportError(
        "txsctp._batch: struct txsctp_rcv layout does not match its struct format; "
        "rebuild the extension (pip install .)"
    )


def _fieldOffsets(fmt: str) -> List[int]:
    """
    Where each field of a native-aligned struct format lands (the format's
    codes are one character each, after the "@").
    """
    codes = fmt[1:]
    packer = struct.Struct(fmt)
    offsets = []
    for i, code in enumerate(codes):
        values = [0] * len(codes)
        values[i] = 1
        first = packer.pack(*values).index(1)
        offsets.append(first if sys.byteorder == "little" else first - struct.calcsize(code) + 1)
    return offsets


_FIELDS = ("len", "msg_flags", "has_rcvinfo", "has_nxtinfo", "sid", "ssn", "flags", "ppid", "tsn",
           "cumtsn", "context", "assoc_id", "nxt_sid", "nxt_flags", "nxt_ppid", "nxt_length",
           "nxt_assoc_id", "addrlen")
if _fieldOffsets(_RECORD_FORMAT) != [ffi.offsetof("struct txsctp_rcv", f) for f in _FIELDS]:
    raise ImportError("txsctp._batch: struct txsctp_rcv fields are not where its struct format expects")

_RECORD_SIZE = RECORD.size

# struct txsctp_info: a plain message's RcvInfo, in RcvInfo's order.
_INFO_FORMAT = "@HHHIIIIi"
INFO = struct.Struct(_INFO_FORMAT)
if INFO.size != ffi.sizeof("struct txsctp_info") or _fieldOffsets(_INFO_FORMAT) != [
        ffi.offsetof("struct txsctp_info", f)
        for f in ("sid", "ssn", "flags", "ppid", "tsn", "cumtsn", "context", "assoc_id")]:
    raise ImportError("txsctp._batch: struct txsctp_info layout does not match its struct format")
_INFO_SIZE = INFO.size
_unpackInfo = INFO.unpack_from

# Indexes in an unpacked record.
R_LEN = 0
R_MSG_FLAGS = 1
R_HAS_RCVINFO = 2
R_HAS_NXTINFO = 3
R_INFO = slice(4, 12)  # RcvInfo's fields, in RcvInfo's order
R_NXT = slice(12, 17)  # NxtInfo's fields, in NxtInfo's order
R_ADDRLEN = 17

if (_messageformats.MSG_EOR, _messageformats.MSG_NOTIFICATION) != (lib.MSG_EOR, lib.MSG_NOTIFICATION):
    raise ImportError("txsctp._messageformats: MSG_EOR or MSG_NOTIFICATION differ from the kernel headers'")
if META.size != ffi.sizeof("struct txsctp_meta"):
    raise ImportError("txsctp._batch: struct txsctp_meta layout does not match its struct format")

_MSG_EOR = lib.MSG_EOR
_MSG_NOTIFICATION = lib.MSG_NOTIFICATION
_tupleNew = tuple.__new__
_NO_RCVINFO = RcvInfo()
_NO_INFOS: List[RcvInfo] = []
_NOTHING_READ: Tuple[int, Sequence[bytes], Optional[List[tuple]], int, List[RcvInfo]] = (0, [], [], 0, _NO_INFOS)
_EAGAIN = errno.EAGAIN
_unpack = ffi.unpack
_recvcompact = lib.txsctp_recvcompact
_recvbatch = lib.txsctp_recvbatch
_unpackFrom = struct.unpack_from
_string = ffi.string
_unpackRecord = RECORD.unpack_from
_sendMeta1 = lib.txsctp_sendmeta1
_META_SIZE = META.size


def sendBlob(fd: int, datas: Sequence[bytes], metas: Sequence[bytes], flags: int = lib.MSG_NOSIGNAL,
             bundle: bool = False, sizes: Optional[Sequence[int]] = None) -> int:
    """
    Send up to C{MAX_BATCH} (64) messages with one C{sendmmsg}.

    @param datas: the payloads.
    @param metas: each payload's L{packMeta} block.
    @param bundle: have the kernel fill packets with these messages: a
        batch of 4 or more small messages (64 KiB in all at most) of one
        association, with no destination override, goes out as C{sendmmsg}
        of all but the last with C{MSG_MORE} and a C{sendmsg} of the last
        (see C{txsctp_sendbundled}).  Only for a caller that sends the
        messages not accepted once the socket is writable: when fewer than
        all are accepted, up to a packet's worth of those that were may
        wait for that next send.
    @param sizes: C{len()} of each payload, if the caller has them at
        hand (spares a C{len} call per message).
    @return: how many were accepted, from the front.
    @raise OSError: none was accepted (L{BlockingIOError} when the send
        buffer is full).
    """
    n = len(datas)
    if n == 1:
        # One message (request/response traffic): no arrays to build.
        sendOne(fd, datas[0], metas[0], flags)
        return 1
    lens = array("I", map(len, datas) if sizes is None else sizes)
    metaBlock = ffi.from_buffer("struct txsctp_meta[]", b"".join(metas))
    if sum(lens) <= _JOIN_LIMIT:
        # Small messages: one joined copy is cheaper than a pointer each.
        sent: int = lib.txsctp_sendblob(fd, b"".join(datas), ffi.from_buffer("uint32_t[]", lens), n,
                                        metaBlock, flags, bundle)
    else:
        # Large ones: no joined copy (a fresh megabyte a batch means page
        # faults, which cost dearly in the test kernel).
        pointers = ffi.new("char *[]", [ffi.from_buffer(d) for d in datas])
        sent = lib.txsctp_sendptrs(fd, pointers, ffi.from_buffer("uint32_t[]", lens), n,
                                   metaBlock, flags)
    if sent < 0:
        raise fromErrno(ffi.errno, "sendmmsg")
    return sent


def lastSendError() -> OSError:
    """
    The error of the last failed send in this thread (for a caller that
    called C{lib.txsctp_sendmeta1}, L{sendOne}'s C function, directly).
    """
    return fromErrno(ffi.errno, "sendmsg")


def sendOne(fd: int, data: bytes, meta: bytes, flags: int = lib.MSG_NOSIGNAL) -> None:
    """
    Send one whole message with its L{packMeta} parameters (one C{sendmsg};
    the single-message case of L{sendBlob}, with no arrays to build).

    @raise OSError: it was not accepted (L{BlockingIOError} when the send
        buffer is full).
    @raise ValueError: C{meta} is not one L{packMeta} block.
    """
    if len(meta) != _META_SIZE:
        raise ValueError("sendOne: the parameters must be one packMeta block")
    if _sendMeta1(fd, data, len(data), meta, flags) < 0:
        raise lastSendError()


_mallocAdapted = False


def _adaptMalloc(size: int) -> None:
    """
    Once per process: let glibc's allocator see one freed block of C{size}
    bytes, so that it keeps up to twice that free at the top of its heap
    instead of returning it to the kernel.  A batch of large payloads
    (64 messages of 16 KiB: one mebibyte of C{bytes}) is usually freed
    together; with glibc's starting thresholds (128 KiB) the heap shrinks
    after such a batch and every page of the next one is faulted in again,
    which costs as much as the receive itself (7,300 against 44,000
    16 KiB messages a second measured in the test kernel).  glibc raises
    the thresholds by itself the first time a program frees a block this
    large; this only takes that step before the first batch.
    """
    global _mallocAdapted
    if not _mallocAdapted:
        _mallocAdapted = True
        lib.txsctp_adapt_malloc(size)


class BatchReceiver:
    """
    Reusable buffers for batched receives on one socket.

    @ivar slotSize: bytes per message piece; longer messages arrive in
        several pieces (without C{MSG_EOR} until the last).
    """

    def __init__(self, slotSize: int = 64 * 1024, slots: int = MAX_BATCH) -> None:
        self.slotSize = slotSize
        self.slots = min(slots, MAX_BATCH)
        _adaptMalloc(min(max(slotSize * self.slots, 4 << 20), 16 << 20))
        self._buffer = ffi.new("char[]", slotSize * self.slots)
        self._records = ffi.new("struct txsctp_rcv[]", self.slots)
        self._recordBytes = ffi.buffer(self._records)
        self._view = memoryview(ffi.buffer(self._buffer))
        self._total = ffi.new("size_t *")
        self._infos = ffi.new("struct txsctp_info[]", self.slots)
        self._infoBytes = ffi.buffer(self._infos)
        # A plain batch's payloads, as a struct format (see _batchReader).
        self._layout = ffi.new("char[]", lib.TXSCTP_LAYOUT_SIZE)
        self.receiveBatch = self._batchReader()
        self._addresses: Dict[bytes, Any] = {}

    def receive(self, fd: int, flags: int = 0, maxMessages: int = MAX_BATCH) -> Tuple[int, List[bytes], List[tuple]]:
        """
        Receive what is queued, up to C{maxMessages} (at most L{slots})
        pieces.

        @return: C{(count, datas, records)}: the payload (bytes) of each
            piece, and one unpacked record tuple per piece (see the C{R_*}
            indexes).
        @raise OSError: the receive failed (L{BlockingIOError}: nothing
            queued).
        """
        n = _recvcompact(fd, self._buffer, self.slotSize, maxMessages if maxMessages < self.slots else self.slots,
                         self._records, flags, self._total)
        if n < 0:
            raise fromErrno(ffi.errno, "recvmsg")
        if n == 1:
            # One piece (request/response traffic): no slicing.
            return 1, [_unpack(self._buffer, self._total[0])], [_unpackRecord(self._recordBytes)]
        return (n, *self._piecesAndRecords(n))

    def _batchReader(self) -> Callable[[int], Tuple[int, Sequence[bytes], Optional[List[tuple]], int, List[RcvInfo]]]:
        """
        Build L{receiveBatch}, with this receiver's buffers bound once as
        its closure's: a port reads once per wake-up of the reactor.
        """
        buffer, slotSize, slots, records, total = self._buffer, self.slotSize, self.slots, self._records, self._total
        infos, layout, infoBytes, view, recordBytes = (self._infos, self._layout, self._infoBytes, self._view,
                                                       self._recordBytes)
        piecesAndRecords = self._piecesAndRecords

        def receiveBatch(fd: int) -> Tuple[int, Sequence[bytes], Optional[List[tuple]], int, List[RcvInfo]]:
            """
            L{receive} for a port or connector, which takes the usual batch
            in a cheaper form: whole messages with their L{RcvInfo}, all of
            one association (a plain batch).

            @return: C{(count, datas, records, longest, infos)}; for a
                plain batch, C{records} is C{None}, C{longest} the longest
                message's length and C{infos} each message's L{RcvInfo};
                else as L{receive}, with C{0} and no infos.  A count of 0:
                nothing to read (C{EAGAIN}).
            @raise OSError: as L{receive}, but for C{EAGAIN}.
            """
            # One C call reads and sorts: the count, and 256 times the
            # longest message's length if the batch is plain.
            result = _recvbatch(fd, buffer, slotSize, slots, records, total, infos, layout)
            if result < 0:
                if ffi.errno == _EAGAIN:
                    # Read dry, the end of every read that took full
                    # batches: no exception to build and catch.
                    return _NOTHING_READ
                raise fromErrno(ffi.errno, "recvmsg")
            n = result & 0xFF
            longest = result >> 8
            size = total[0]
            if n == 1:
                # One piece (request/response traffic): no slicing.
                if longest:
                    return 1, [_unpack(buffer, size)], None, longest, [_tupleNew(RcvInfo, _unpackInfo(infoBytes))]
                return 1, [_unpack(buffer, size)], [_unpackRecord(recordBytes)], 0, _NO_INFOS
            if not longest:
                return (n, *piecesAndRecords(n), 0, _NO_INFOS)
            # The C side wrote where the payloads lie as a struct format
            # ("100s57s..."): the struct module cuts them all out of the
            # buffer in one call, with no slicing here.
            return n, _unpackFrom(_string(layout), view), None, longest, list(map(
                _tupleNew, repeat(RcvInfo, n), INFO.iter_unpack(infoBytes[:n * _INFO_SIZE])))

        return receiveBatch

    def _piecesAndRecords(self, n: int) -> Tuple[List[bytes], List[tuple]]:
        """
        The payloads and unpacked records of the C{n} (more than one)
        pieces the last receive read.
        """
        records = list(RECORD.iter_unpack(self._recordBytes[: n * RECORD.size]))
        datas: List[bytes] = []
        append = datas.append
        offset = 0
        total = self._total[0]
        if total <= _COMPACT_LIMIT:
            # Packed to the front by the C side: one copy out, then cheap
            # slices.
            payloads = ffi.buffer(self._buffer, total)[:]
            for record in records:
                end = offset + record[0]
                append(payloads[offset:end])
                offset = end
        else:
            # Large payloads, left in their slots: copy each straight out
            # (no fresh megabyte of intermediate copy to fault in).
            view = self._view
            slot = self.slotSize
            for record in records:
                append(view[offset:offset + record[0]].tobytes())
                offset += slot
        return datas, records

    def receiveOne(self, fd: int, flags: int = 0,
                   withAddresses: bool = True) -> Union[Message, Tuple[bytes, tuple]]:
        """
        Receive one piece.  A piece of data, the common case
        (request/response traffic), comes back as its L{Message}, built
        here in one step; anything else (a notification's piece, end of
        file) as C{(payload, record)} (see L{receive}) for the caller.

        @param withAddresses: decode the source address (else C{None}).
        @raise OSError: the receive failed (L{BlockingIOError}: nothing
            queued).
        """
        if _recvcompact(fd, self._buffer, self.slotSize, 1, self._records, flags, self._total) < 0:
            raise fromErrno(ffi.errno, "recvmsg")
        record = _unpackRecord(self._recordBytes)
        data = _unpack(self._buffer, self._total[0])
        msgFlags = record[R_MSG_FLAGS]
        if msgFlags & _MSG_NOTIFICATION or not record[R_LEN]:
            return data, record
        # What message() and address() do, inline: two frames fewer on the
        # request/response path.
        addrlen = record[R_ADDRLEN]
        address = None
        if withAddresses and addrlen:
            raw = self._recordBytes[_ADDR_OFFSET:_ADDR_OFFSET + addrlen]
            address = self._addresses.get(raw)
            if address is None:
                address = self._decodeAddress(0, raw)
        return _tupleNew(Message, (
            data,
            _tupleNew(RcvInfo, record[R_INFO]) if record[R_HAS_RCVINFO] else _NO_RCVINFO,
            msgFlags & _MSG_EOR != 0,
            address,
            _tupleNew(NxtInfo, record[R_NXT]) if record[R_HAS_NXTINFO] else None,
        ))

    def message(self, index: int, data: bytes, record: tuple, withAddresses: bool = True) -> Message:
        """
        The L{Message} of piece C{index} of the last receive, from its
        payload and unpacked record (its L{RcvInfo} a zero one if the kernel
        sent none).

        @param withAddresses: decode the source address (else C{None}).
        """
        addrlen = record[R_ADDRLEN]
        address = None
        if withAddresses and addrlen:
            # A cached address without the call to address(): one frame
            # fewer per message of a batch.
            start = index * _RECORD_SIZE + _ADDR_OFFSET
            raw = self._recordBytes[start:start + addrlen]
            address = self._addresses.get(raw)
            if address is None:
                address = self._decodeAddress(index, raw)
        return _tupleNew(Message, (
            data,
            _tupleNew(RcvInfo, record[R_INFO]) if record[R_HAS_RCVINFO] else _NO_RCVINFO,
            record[R_MSG_FLAGS] & _MSG_EOR != 0,
            address,
            _tupleNew(NxtInfo, record[R_NXT]) if record[R_HAS_NXTINFO] else None,
        ))

    def address(self, index: int, addrlen: Optional[int] = None) -> Optional[HostPort]:
        """
        The source address of piece C{index} of the last receive (C{None}
        if the kernel gave none).

        @param addrlen: the piece's address length if the caller has its
            record at hand (saves reading it again).
        """
        if addrlen is None:
            addrlen = self._records[index].addrlen
        if not addrlen:
            return None
        # The messages of a batch mostly come from a few addresses: decode
        # each distinct raw sockaddr once.
        start = index * _RECORD_SIZE + _ADDR_OFFSET
        raw = self._recordBytes[start:start + addrlen]
        address = self._addresses.get(raw)
        return self._decodeAddress(index, raw) if address is None else address

    def _decodeAddress(self, index: int, raw: bytes) -> Optional[HostPort]:
        """
        Decode the source address of piece C{index}, whose raw sockaddr
        C{raw} is not cached yet, and cache it (C{None} if the kernel gave
        none it can be read as).
        """
        from txsctp._addresses import unpackOne

        try:
            address = unpackOne(ffi.addressof(self._records[index].addr))
        except ValueError:
            return None
        cache = self._addresses
        if len(cache) >= 256:
            cache.clear()
        cache[raw] = address
        return address


_perThread = threading.local()


def sharedReceiver() -> BatchReceiver:
    """
    This thread's L{BatchReceiver} with the default slot size.  Receives
    copy their results out at once, so every socket served by one thread
    (a reactor's) can share one set of buffers instead of holding 4 MiB of
    its own.
    """
    rx = getattr(_perThread, "receiver", None)
    if rx is None:
        rx = _perThread.receiver = BatchReceiver()
    return rx
