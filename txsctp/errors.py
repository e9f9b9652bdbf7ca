"""
Exceptions raised by txsctp.

Every txsctp exception derives from L{SCTPError}; those that stand for a
failed system call also derive from L{OSError} (so C{errno} is set and
C{except ConnectionRefusedError} style handling keeps working), and those
that reject bad input also derive from L{ValueError} or L{TypeError}.
"""

from __future__ import annotations

import errno as _errno
import os

from twisted.internet import error as _twerror

__all__ = [
    "SCTPError",
    "SCTPNotSupportedError",
    "StreamOutOfRangeError",
    "MessageTooLongError",
    "AddressFamilyError",
    "SocketClosedError",
    "AssociationClosedError",
    "TooManyAssociationsError",
    "WriteQueueFullError",
    "PeerAbortedError",
    "CommunicationLostError",
    "CannotStartAssociationError",
    "UserspaceStackUnavailableError",
    "WrongThreadError",
    "StackFeatureError",
    "fromErrno",
]


class SCTPError(Exception):
    """
    Base class of every txsctp error.
    """


class SCTPNotSupportedError(SCTPError, OSError):
    """
    The running kernel has no SCTP support (C{EPROTONOSUPPORT} from
    C{socket(..., IPPROTO_SCTP)}).
    """

    HINT = (
        "this kernel has no SCTP support: load it with 'modprobe sctp' "
        "(Debian/Ubuntu: package linux-modules-extra for your kernel), or run "
        "your program inside txsctp's test kernel with "
        "'scripts/sctp-run -- <command>' (see docs/running-without-sctp.md)"
    )

    def __init__(self, call: str = "socket") -> None:
        super().__init__(
            _errno.EPROTONOSUPPORT,
            f"{call}: {os.strerror(_errno.EPROTONOSUPPORT)}: {self.HINT}",
        )


class StreamOutOfRangeError(SCTPError, ValueError):
    """
    A message was addressed to a stream at or beyond the association's
    negotiated number of outbound streams.

    @ivar stream: the stream asked for.
    @ivar outboundStreams: the number of outbound streams negotiated, or
        C{None} where it was not known.
    """

    def __init__(self, stream: int, outboundStreams: int | None) -> None:
        self.stream = stream
        self.outboundStreams = outboundStreams
        if outboundStreams is None:
            detail = "the association's negotiated outbound stream count"
        else:
            detail = (
                f"the {outboundStreams} outbound streams negotiated "
                f"(valid: 0..{outboundStreams - 1})"
            )
        super().__init__(f"stream {stream} is beyond {detail}")


class MessageTooLongError(SCTPError, OSError):
    """
    A message is longer than what may be sent or received: the kernel's
    limit (C{EMSGSIZE}) on send, or the configured maximum message size on
    receive.

    @ivar size: the message's size in bytes (or at least the size seen when
        the limit was crossed).
    @ivar limit: the limit in bytes, where known.
    """

    def __init__(self, size: int, limit: int | None, what: str = "message", hint: str = "") -> None:
        self.size = size
        self.limit = limit
        lim = f" (limit {limit} bytes)" if limit is not None else ""
        more = f": {hint}" if hint else ""
        super().__init__(
            _errno.EMSGSIZE, f"{what} of {size} bytes is too long{lim}{more}"
        )

    @classmethod
    def largerThanSendBuffer(
        cls, size: int, limit: int | None, what: str = "message", hint: str | None = None
    ) -> MessageTooLongError:
        """
        The error for a message larger than the socket's send buffer, which
        is the kernel's limit on one message: Linux takes a message only
        whole into the send buffer and refuses a larger one (C{EMSGSIZE}).
        Its text says how to raise the limit, with this host's
        C{net.core.wmem_max}.

        @param size: the message's size in bytes.
        @param limit: the socket's effective send buffer in bytes, where
            known.
        @param what: what was too long (C{"message 3"} in a batch).
        @param hint: how to raise the limit, where the stack is not the
            kernel's (C{None}: the kernel's advice).
        @return: the error, ready to raise.
        """
        if hint is None:
            hint = _sendBufferHint(_readSysctl("net.core.wmem_max"))
        return cls(size, limit, what, hint)


def _readSysctl(name: str) -> int | None:
    """
    An integer sysctl of this host, or C{None} where it cannot be read.
    """
    try:
        with open("/proc/sys/" + name.replace(".", "/")) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _sendBufferHint(wmemMax: int | None) -> str:
    """
    What to do about a message larger than the send buffer.

    @param wmemMax: this host's C{net.core.wmem_max}, where known.
    """
    if wmemMax is None:
        cap = "the kernel grants twice the size asked for, up to twice net.core.wmem_max"
    else:
        cap = (f"the kernel grants twice the size asked for, up to twice net.core.wmem_max "
               f"({wmemMax} here, so at most {2 * wmemMax} bytes; raise it as root with "
               f"'sysctl -w net.core.wmem_max=BYTES')")
    return (
        "it is larger than the socket's send buffer, and Linux sends a message only whole "
        "from there; ask for a larger "
        "buffer before the association starts (tuning=Tuning(sendBufferSize=BYTES), "
        f"sendBufferSize=BYTES in an endpoint string, or SCTPSocket.setSendBufferSize): {cap}; "
        "or send smaller messages. 'python -m txsctp check' shows this host's limits"
    )


class AddressFamilyError(SCTPError, ValueError):
    """
    An address does not fit the socket's address family (for example an IPv6
    address given to an AF_INET socket), or is not an IP address literal.
    """


class SocketClosedError(SCTPError, OSError):
    """
    An operation was attempted on a socket that has been closed.
    """

    def __init__(self, call: str) -> None:
        super().__init__(_errno.EBADF, f"{call}: the SCTP socket is closed")


class AssociationClosedError(SCTPError, OSError):
    """
    An operation was attempted on an association that has ended.
    """

    def __init__(self, call: str, assocId: int | None = None) -> None:
        which = f" {assocId}" if assocId is not None else ""
        super().__init__(
            _errno.ENOTCONN, f"{call}: the SCTP association{which} is closed"
        )


class TooManyAssociationsError(SCTPError):
    """
    A port refused a new association because its configured limit on
    concurrent associations was reached.
    """


class WriteQueueFullError(SCTPError, BufferError):
    """
    A write would take an association's queue of unsent messages beyond its
    cap (C{maxQueuedBytes}); the message was not accepted.  Register a
    producer (C{IPushProducer}) to be paused before this happens.
    """


class PeerAbortedError(_twerror.ConnectionLost, SCTPError):
    """
    C{connectionLost} reason: the peer aborted the association (an ABORT
    chunk arrived).

    @ivar cause: the ABORT's error cause code (0 if none was given).
    """

    def __init__(self, cause: int = 0, detail: str = "") -> None:
        self.cause = cause
        super().__init__(f"the peer aborted the association (cause {cause}){detail}")


class CommunicationLostError(_twerror.ConnectionLost, SCTPError):
    """
    C{connectionLost} reason: the association failed without an ABORT from
    the peer (retransmission limit reached on every path, or a local
    error).

    @ivar error: the kernel's C{sac_error} value.
    """

    def __init__(self, error: int = 0) -> None:
        self.error = error
        super().__init__(f"communication with the peer was lost (error {error})")


class CannotStartAssociationError(_twerror.ConnectError, SCTPError):
    """
    The association could not be set up: INIT retransmissions exhausted,
    or the peer answered with ABORT.
    """


class UserspaceStackUnavailableError(SCTPError, ImportError):
    """
    The userspace SCTP stack (usrsctp over UDP) is not available: txsctp
    was built without usrsctp, so its binding (C{txsctp._usrsctp_cffi})
    is missing.
    """

    HINT = (
        "txsctp's userspace SCTP stack needs the usrsctp library and its "
        "headers when txsctp is built: install them (Debian/Ubuntu: "
        "libusrsctp-dev, Fedora: usrsctp-devel, Homebrew: usrsctp), then "
        "rebuild txsctp so that it compiles its usrsctp binding "
        "(from its source directory: pip install --force-reinstall .)"
    )

    def __init__(self, detail: str = "") -> None:
        more = f" ({detail})" if detail else ""
        super().__init__(f"{self.HINT}{more}")


class WrongThreadError(SCTPError, RuntimeError):
    """
    The userspace SCTP stack was called from a thread other than the one
    that started it (the reactor's): usrsctp runs without threads of its
    own, and every call must come from that one thread.
    """


class StackFeatureError(SCTPError, NotImplementedError):
    """
    A feature of kernel SCTP that the SCTP stack in use has no equivalent
    for (for example multi-homing on the userspace stack).

    @ivar feature: what was asked for.
    """

    def __init__(self, feature: str, stack: str = "the userspace SCTP stack (usrsctp)",
                 detail: str = "") -> None:
        self.feature = feature
        more = f": {detail}" if detail else ""
        super().__init__(f"{feature} is not supported by {stack}{more}")


def fromErrno(err: int, call: str, detail: str = "") -> OSError:
    """
    Build the right exception for a failed system call.

    C{OSError(errno, ...)} already picks the matching builtin subclass
    (C{ConnectionRefusedError}, C{BlockingIOError}, ...); C{EPROTONOSUPPORT}
    becomes L{SCTPNotSupportedError} and C{EMSGSIZE} L{MessageTooLongError}.

    @param err: the C{errno} value, read right after the failing call.
    @param call: the name of the call that failed, for the message.
    @param detail: optional extra context (an address, an option name).
    @return: the exception, ready to raise.
    """
    if err == _errno.EPROTONOSUPPORT and call.startswith("socket"):
        return SCTPNotSupportedError(call)
    where = f"{call}({detail})" if detail else call
    if err == _errno.EMSGSIZE:
        exc = MessageTooLongError.__new__(MessageTooLongError)
        OSError.__init__(exc, err, f"{where}: {os.strerror(err)}")
        exc.size = -1
        exc.limit = None
        return exc
    return OSError(err, f"{where}: {os.strerror(err)}")
