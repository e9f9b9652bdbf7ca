"""
The formats in which messages pass between the association transport and
the stack that carries it, whatever the stack.

Sending: the packed send parameters every queued message carries.  A
message written to an association is queued with its parameters packed
once into this record (the C struct C{txsctp_meta}): the stack that carries
the association reads them at send time without a Python object per
message.  The kernel stack's batch helpers (L{txsctp._batch}) pass the
record to C as it is; the userspace stack translates it for usrsctp.

Values are the kernel API's (RFC 6458 as Linux defines it): C{flags} holds
C{SCTP_UNORDERED} and C{SCTP_SACK_IMMEDIATELY}, C{prPolicy} an
L{txsctp.options.PRPolicy}.  Pure Python: the socket layer below the value
types and the association transport above them both use it.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

__all__ = ["META", "MSG_EOR", "MSG_NOTIFICATION", "SendParameters", "packMeta", "unpackMeta"]

MSG_EOR = 0x80
"""A record's C{msg_flags}: this piece ends its message (or notification)."""
MSG_NOTIFICATION = 0x8000
"""A record's C{msg_flags}: this is a notification, not a message."""

META = struct.Struct("@IIiIHHHH")
"""
C{struct txsctp_meta}: ppid, context, assoc id, PR value, stream, flags,
PR policy, padding (native byte order and alignment: the C side reads it
in place).
"""


class SendParameters(NamedTuple):
    """
    One message's send parameters, unpacked (L{unpackMeta}).
    """

    ppid: int
    context: int
    assocId: int
    prValue: int
    stream: int
    flags: int
    prPolicy: int


def packMeta(stream: int, ppid: int, flags: int, assocId: int, context: int,
             prPolicy: int = 0, prValue: int = 0) -> bytes:
    """
    Pack one message's send parameters.  Values must be validated by the
    caller.
    """
    return META.pack(ppid, context, assocId, prValue, stream, flags, prPolicy, 0)


def unpackMeta(meta: bytes) -> SendParameters:
    """
    The parameters packed by L{packMeta}.
    """
    return SendParameters(*META.unpack(meta)[:7])
