"""
Checks of a message written to an association, shared by the real transport
and the in-memory one of L{txsctp.testing} so that both refuse the same
things with the same exceptions.  Pure Python: no kernel, no cffi.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Tuple

from txsctp.errors import MessageTooLongError, StreamOutOfRangeError, WriteQueueFullError

__all__ = ["checkMessage", "checkPayloads", "checkBatchSizes", "intArgument"]

_U32 = 0xFFFFFFFF


def intArgument(name: str, value: object) -> int:
    """
    C{value} as a plain int; int subclasses such as L{txsctp.info.PPID}
    members are accepted, C{bool} is not.

    @raise TypeError: C{value} is not an int.
    """
    if type(value) is int:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"{name} must be an int, not {type(value).__name__}")


def checkMessage(data: object, stream: object, ppid: object, context: object,
                 outboundStreams: int) -> Tuple[bytes, int, int, int]:
    """
    Validate one message's payload and parameters.

    @return: C{(data, stream, ppid, context)} normalised (bytes, ints).
    @raise TypeError: a value of the wrong type.
    @raise ValueError: an empty payload or a value out of range.
    @raise StreamOutOfRangeError: C{stream} is not below
        C{outboundStreams}.
    """
    if type(data) is not bytes:
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = bytes(data)
        else:
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
    if not data:
        raise ValueError("SCTP cannot carry an empty message")
    stream = intArgument("stream", stream)
    if stream < 0:
        raise ValueError(f"stream {stream} is negative")
    if stream >= outboundStreams:
        raise StreamOutOfRangeError(stream, outboundStreams)
    ppid = intArgument("ppid", ppid)
    if not 0 <= ppid <= _U32:
        raise ValueError(f"ppid {ppid} is out of range 0..4294967295")
    if type(context) is not int or not 0 <= context <= _U32:
        if isinstance(context, int) and not isinstance(context, bool) and 0 <= context <= _U32:
            context = int(context)
        else:
            raise ValueError(f"context {context!r} is not an int in 0..4294967295")
    return data, stream, ppid, context


def checkPayloads(messages: Iterable[object]) -> Tuple[List[bytes], List[int]]:
    """
    Validate the payloads of several messages written together, all before
    any is taken.

    @param messages: an iterable of bytes-like payloads (not one payload).
    @return: C{(payloads, sizes)}: the payloads as a list of bytes, and
        their lengths.
    @raise TypeError: C{messages} is a single payload (bytes, str...), or
        one of its items is not bytes-like (the message names its index).
    @raise ValueError: one of the payloads is empty (named by index).
    """
    if isinstance(messages, (bytes, bytearray, memoryview, str)):
        raise TypeError(f"messages must be an iterable of payloads, not one {type(messages).__name__}")
    if messages.__class__ is list:
        datas = messages
    else:
        try:
            iterator = iter(messages)
        except TypeError:
            raise TypeError(f"messages must be an iterable of payloads, not {type(messages).__name__}") from None
        datas = list(iterator)
    if set(map(type, datas)) - _BYTES:
        checked = []
        for index, data in enumerate(datas):
            if type(data) is not bytes:
                if not isinstance(data, (bytes, bytearray, memoryview)):
                    raise TypeError(f"message {index}: data must be bytes, not {type(data).__name__}")
                data = bytes(data)
            checked.append(data)
        datas = checked
    sizes = list(map(len, datas))
    if not all(sizes):
        raise ValueError(f"message {sizes.index(0)}: SCTP cannot carry an empty message")
    return datas, sizes


def checkBatchSizes(sizes: List[int], maxSendSize: Optional[int], queuedBytes: int,
                    maxQueuedBytes: Optional[int], assocId: int, hint: Optional[str] = None) -> int:
    """
    Check the sizes of several messages written together (non-empty
    C{sizes}) against the send buffer and the association's queue cap.

    @param hint: how to raise the send buffer (see
        L{MessageTooLongError.largerThanSendBuffer}).
    @return: their total.
    @raise MessageTooLongError: one is larger than C{maxSendSize} (named
        by index).
    @raise WriteQueueFullError: together they would take the queue past
        C{maxQueuedBytes}.
    """
    largest = max(sizes)
    if maxSendSize is not None and largest > maxSendSize:
        raise MessageTooLongError.largerThanSendBuffer(largest, maxSendSize,
                                                       f"message {sizes.index(largest)}", hint)
    total = sum(sizes)
    if maxQueuedBytes is not None and queuedBytes + total > maxQueuedBytes:
        raise WriteQueueFullError(
            f"association {assocId}: {queuedBytes} bytes already queued, "
            f"{len(sizes)} messages of {total} bytes would pass the {maxQueuedBytes}-byte cap"
        )
    return total


_BYTES = frozenset([bytes])
