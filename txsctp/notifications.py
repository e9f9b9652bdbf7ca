"""
Typed SCTP notifications (RFC 6458 section 6.1) and their parser.

The kernel delivers notifications in-band, as messages flagged
C{MSG_NOTIFICATION}.  L{parseNotification} turns such a message into one of
the classes below; a type this module does not know, or a message too short
for its type, becomes an L{UnknownNotification} carrying the raw bytes, never
an exception.

All values are in host byte order (PPIDs, error cause codes).
"""

from __future__ import annotations

import enum
import socket
import struct
import sys
from typing import TYPE_CHECKING, ClassVar, Dict, FrozenSet, Optional, Tuple, Type

import attr

from txsctp._addresses import HostPort, readStorage
from txsctp._extension import ffi, lib

if TYPE_CHECKING:
    from txsctp._sctp_cffi import CData

__all__ = [
    "Notification",
    "AssociationChange",
    "AssociationState",
    "PeerAddressChange",
    "PeerAddressState",
    "RemoteError",
    "SendFailed",
    "Shutdown",
    "AdaptationIndication",
    "PartialDeliveryEvent",
    "AuthenticationEvent",
    "SenderDry",
    "StreamReset",
    "AssociationReset",
    "StreamChange",
    "UnknownNotification",
    "NotificationType",
    "DEFAULT_EVENTS",
    "AuthIndication",
    "DATA_SENT",
    "DATA_UNSENT",
    "parseNotification",
    "SUPPORTS_PR",
    "SUPPORTS_AUTH",
    "SUPPORTS_ASCONF",
    "SUPPORTS_MULTIBUF",
    "SUPPORTS_RE_CONFIG",
    "SUPPORTS_INTERLEAVING",
]


class NotificationType(enum.IntEnum):
    """
    The kernel's notification type numbers (C{enum sctp_sn_type}).
    """

    ASSOC_CHANGE = lib.SCTP_ASSOC_CHANGE
    PEER_ADDR_CHANGE = lib.SCTP_PEER_ADDR_CHANGE
    SEND_FAILED = lib.SCTP_SEND_FAILED
    REMOTE_ERROR = lib.SCTP_REMOTE_ERROR
    SHUTDOWN_EVENT = lib.SCTP_SHUTDOWN_EVENT
    PARTIAL_DELIVERY_EVENT = lib.SCTP_PARTIAL_DELIVERY_EVENT
    ADAPTATION_INDICATION = lib.SCTP_ADAPTATION_INDICATION
    AUTHENTICATION_EVENT = lib.SCTP_AUTHENTICATION_EVENT
    SENDER_DRY_EVENT = lib.SCTP_SENDER_DRY_EVENT
    STREAM_RESET_EVENT = lib.SCTP_STREAM_RESET_EVENT
    ASSOC_RESET_EVENT = lib.SCTP_ASSOC_RESET_EVENT
    STREAM_CHANGE_EVENT = lib.SCTP_STREAM_CHANGE_EVENT
    SEND_FAILED_EVENT = lib.SCTP_SEND_FAILED_EVENT


DEFAULT_EVENTS: Tuple[int, ...] = (
    NotificationType.ASSOC_CHANGE,
    NotificationType.PEER_ADDR_CHANGE,
    NotificationType.REMOTE_ERROR,
    NotificationType.SHUTDOWN_EVENT,
    NotificationType.PARTIAL_DELIVERY_EVENT,
    NotificationType.ADAPTATION_INDICATION,
    NotificationType.AUTHENTICATION_EVENT,
    NotificationType.STREAM_RESET_EVENT,
    NotificationType.ASSOC_RESET_EVENT,
    NotificationType.STREAM_CHANGE_EVENT,
    NotificationType.SEND_FAILED_EVENT,
)
"""
Events every txsctp socket subscribes to by default: all but sender-dry,
which fires whenever the send queue empties and is subscribed to on demand.
"""


class AssociationState(enum.IntEnum):
    """
    C{sac_state} of an L{AssociationChange}.
    """

    COMM_UP = lib.SCTP_COMM_UP
    COMM_LOST = lib.SCTP_COMM_LOST
    RESTART = lib.SCTP_RESTART
    SHUTDOWN_COMP = lib.SCTP_SHUTDOWN_COMP
    CANT_STR_ASSOC = lib.SCTP_CANT_STR_ASSOC


class PeerAddressState(enum.IntEnum):
    """
    C{spc_state} of a L{PeerAddressChange}.
    """

    AVAILABLE = lib.SCTP_ADDR_AVAILABLE
    UNREACHABLE = lib.SCTP_ADDR_UNREACHABLE
    REMOVED = lib.SCTP_ADDR_REMOVED
    ADDED = lib.SCTP_ADDR_ADDED
    MADE_PRIM = lib.SCTP_ADDR_MADE_PRIM
    CONFIRMED = lib.SCTP_ADDR_CONFIRMED
    POTENTIALLY_FAILED = lib.SCTP_ADDR_POTENTIALLY_FAILED


class AuthIndication(enum.IntEnum):
    """
    L{AuthenticationEvent.indication} (RFC 6458 section 6.1.8).
    """

    NEW_KEY = lib.SCTP_AUTH_NEW_KEY
    FREE_KEY = lib.SCTP_AUTH_FREE_KEY
    NO_AUTH = lib.SCTP_AUTH_NO_AUTH


DATA_UNSENT: int = lib.SCTP_DATA_UNSENT
"""L{SendFailed.flags}: the message never went on the wire."""
DATA_SENT: int = lib.SCTP_DATA_SENT
"""L{SendFailed.flags}: the message had been sent (see L{SendFailed.sent})."""


# RFC 6458 section 6.1.1: features listed in sac_info on COMM_UP / RESTART.
SUPPORTS_PR = 0x01
SUPPORTS_AUTH = 0x02
SUPPORTS_ASCONF = 0x03
SUPPORTS_MULTIBUF = 0x04
SUPPORTS_RE_CONFIG = 0x05
SUPPORTS_INTERLEAVING = 0x06

_FEATURE_NAMES = {
    SUPPORTS_PR: "PR",
    SUPPORTS_AUTH: "AUTH",
    SUPPORTS_ASCONF: "ASCONF",
    SUPPORTS_MULTIBUF: "MULTIBUF",
    SUPPORTS_RE_CONFIG: "RE_CONFIG",
    SUPPORTS_INTERLEAVING: "INTERLEAVING",
}


def _enumOr(enumType: Type[enum.IntEnum], value: int) -> int:
    """
    C{value} as a member of C{enumType}, or as it is if it is none of them.
    """
    try:
        return enumType(value)
    except ValueError:
        return value


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Notification:
    """
    Base class of every notification.

    @ivar assocId: the association it concerns (0 where the kernel gives
        none).
    @ivar flags: the notification's C{*_flags} field.
    """

    type: ClassVar[int] = 0
    assocId: int
    flags: int


@attr.s(frozen=True, slots=True, auto_attribs=True)
class AssociationChange(Notification):
    """
    C{SCTP_ASSOC_CHANGE}: an association came up, was lost, restarted, shut
    down, or could not be started.

    @ivar state: an L{AssociationState} (or the raw number for an unknown
        state).
    @ivar error: the error cause code, host byte order (0 for none; for
        COMM_LOST and CANT_STR_ASSOC the cause of the ABORT received or
        sent, e.g. 12 for a user-initiated abort).  Linux stores
        C{sac_error} in network byte order; the parser converts it.
    @ivar outboundStreams: negotiated outbound stream count.
    @ivar inboundStreams: negotiated inbound stream count.
    @ivar info: the raw C{sac_info} bytes: the supported-features list on
        COMM_UP/RESTART (where the kernel gives one; Linux 6.1 does not),
        the ABORT chunk's error causes on COMM_LOST/CANT_STR_ASSOC (Linux
        hands over the causes without the 4-byte chunk header; see
        L{abortCauses}).
    """

    type: ClassVar[int] = lib.SCTP_ASSOC_CHANGE
    state: int = 0
    error: int = 0
    outboundStreams: int = 0
    inboundStreams: int = 0
    info: bytes = b""

    @property
    def supportedFeatures(self) -> FrozenSet[str]:
        """
        Names of the features the association supports (C{"PR"},
        C{"AUTH"}, C{"ASCONF"}, C{"MULTIBUF"}, C{"RE_CONFIG"},
        C{"INTERLEAVING"}), from C{sac_info} on COMM_UP and RESTART; empty
        for other states.
        """
        if self.state not in (AssociationState.COMM_UP, AssociationState.RESTART):
            return frozenset()
        return frozenset(_FEATURE_NAMES.get(b, f"0x{b:02x}") for b in self.info)

    @property
    def abortCauses(self) -> Tuple[Tuple[int, bytes], ...]:
        """
        The error causes of the ABORT chunk that ended (or prevented) the
        association, as C{(cause code, cause information)} pairs, codes in
        host byte order: e.g. C{((12, b"bye"),)} for a user-initiated abort
        with reason C{b"bye"}.  Empty for other states or when no ABORT
        chunk was received.  Both the causes alone (what Linux gives) and a
        whole ABORT chunk (what RFC 6458 describes) are understood; a
        truncated cause list yields the causes that are whole.
        """
        if self.state not in (AssociationState.COMM_LOST, AssociationState.CANT_STR_ASSOC):
            return ()
        data = self.info
        if len(data) >= 4 and data[0] == _ABORT_CHUNK_TYPE:
            data = data[4:int.from_bytes(data[2:4], "big")]
        causes = []
        offset = 0
        while offset + 4 <= len(data):
            code = int.from_bytes(data[offset:offset + 2], "big")
            length = int.from_bytes(data[offset + 2:offset + 4], "big")
            if length < 4 or offset + length > len(data):
                break
            causes.append((code, bytes(data[offset + 4:offset + length])))
            offset += (length + 3) & ~3
        return tuple(causes)


@attr.s(frozen=True, slots=True, auto_attribs=True)
class PeerAddressChange(Notification):
    """
    C{SCTP_PEER_ADDR_CHANGE}: one of the peer's addresses changed state.

    @ivar address: the C{(host, port)} concerned (C{None} if unset).
    @ivar state: a L{PeerAddressState} (or the raw number).
    @ivar error: the error code (C{SCTP_FAILED_THRESHOLD} and so on).
    """

    type: ClassVar[int] = lib.SCTP_PEER_ADDR_CHANGE
    address: Optional[HostPort] = None
    state: int = 0
    error: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class RemoteError(Notification):
    """
    C{SCTP_REMOTE_ERROR}: the peer sent an ERROR chunk.

    @ivar error: the cause code, host byte order.
    @ivar data: the cause's payload.
    """

    type: ClassVar[int] = lib.SCTP_REMOTE_ERROR
    error: int = 0
    data: bytes = b""


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SendFailed(Notification):
    """
    C{SCTP_SEND_FAILED_EVENT} (or the older C{SCTP_SEND_FAILED}): a message
    could not be delivered; its payload comes back.

    @ivar error: the error cause code, host byte order (Linux: the
        association's failure cause, e.g. 12 when it was aborted with the
        message still queued; 0 when the message was abandoned under its
        PR-SCTP policy).
    @ivar data: the payload that was not delivered.
    @ivar stream: the message's stream.
    @ivar ppid: the message's PPID, host byte order.
    @ivar context: the context given at send time.
    @ivar sendFlags: the message's send flags.
    @ivar sent: C{True} if the data had been put on the wire
        (C{SCTP_DATA_SENT}), C{False} if it never left (C{SCTP_DATA_UNSENT}).
    """

    type: ClassVar[int] = lib.SCTP_SEND_FAILED_EVENT
    error: int = 0
    data: bytes = b""
    stream: int = 0
    ppid: int = 0
    context: int = 0
    sendFlags: int = 0

    @property
    def sent(self) -> bool:
        return bool(self.flags & DATA_SENT)


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Shutdown(Notification):
    """
    C{SCTP_SHUTDOWN_EVENT}: the peer started a graceful shutdown; no more
    data may be sent.
    """

    type: ClassVar[int] = lib.SCTP_SHUTDOWN_EVENT


@attr.s(frozen=True, slots=True, auto_attribs=True)
class AdaptationIndication(Notification):
    """
    C{SCTP_ADAPTATION_INDICATION}: the peer's adaptation layer indication.
    """

    type: ClassVar[int] = lib.SCTP_ADAPTATION_INDICATION
    adaptationIndication: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class PartialDeliveryEvent(Notification):
    """
    C{SCTP_PARTIAL_DELIVERY_EVENT}: a partially delivered message was aborted
    (C{indication == SCTP_PARTIAL_DELIVERY_ABORTED}).
    """

    type: ClassVar[int] = lib.SCTP_PARTIAL_DELIVERY_EVENT
    indication: int = 0
    stream: int = 0
    sequence: int = 0

    @property
    def aborted(self) -> bool:
        return bool(self.indication == lib.SCTP_PARTIAL_DELIVERY_ABORTED)


@attr.s(frozen=True, slots=True, auto_attribs=True)
class AuthenticationEvent(Notification):
    """
    C{SCTP_AUTHENTICATION_EVENT}: a new key was used by the peer
    (C{SCTP_AUTH_NEW_KEY}), a key is no longer used (C{SCTP_AUTH_FREE_KEY}),
    or the peer does not support AUTH (C{SCTP_AUTH_NO_AUTH}).

    @ivar indication: which, an L{AuthIndication} (a plain C{int} if the
        kernel sends a value this module does not know).
    """

    type: ClassVar[int] = lib.SCTP_AUTHENTICATION_EVENT
    keyNumber: int = 0
    altKeyNumber: int = 0
    indication: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class SenderDry(Notification):
    """
    C{SCTP_SENDER_DRY_EVENT}: everything sent has been acknowledged and
    nothing is queued.
    """

    type: ClassVar[int] = lib.SCTP_SENDER_DRY_EVENT


@attr.s(frozen=True, slots=True, auto_attribs=True)
class StreamReset(Notification):
    """
    C{SCTP_STREAM_RESET_EVENT}: streams were reset (RFC 6525).

    @ivar streams: the stream ids reset (empty: all of them).
    """

    type: ClassVar[int] = lib.SCTP_STREAM_RESET_EVENT
    streams: Tuple[int, ...] = ()

    @property
    def incoming(self) -> bool:
        return bool(self.flags & lib.SCTP_STREAM_RESET_INCOMING_SSN)

    @property
    def outgoing(self) -> bool:
        return bool(self.flags & lib.SCTP_STREAM_RESET_OUTGOING_SSN)

    @property
    def denied(self) -> bool:
        return bool(self.flags & lib.SCTP_STREAM_RESET_DENIED)

    @property
    def failed(self) -> bool:
        return bool(self.flags & lib.SCTP_STREAM_RESET_FAILED)


@attr.s(frozen=True, slots=True, auto_attribs=True)
class AssociationReset(Notification):
    """
    C{SCTP_ASSOC_RESET_EVENT}: the association's TSNs were reset (RFC 6525).
    """

    type: ClassVar[int] = lib.SCTP_ASSOC_RESET_EVENT
    localTsn: int = 0
    remoteTsn: int = 0

    @property
    def denied(self) -> bool:
        return bool(self.flags & lib.SCTP_ASSOC_RESET_DENIED)

    @property
    def failed(self) -> bool:
        return bool(self.flags & lib.SCTP_ASSOC_RESET_FAILED)


@attr.s(frozen=True, slots=True, auto_attribs=True)
class StreamChange(Notification):
    """
    C{SCTP_STREAM_CHANGE_EVENT}: the number of streams changed (RFC 6525
    add streams).
    """

    type: ClassVar[int] = lib.SCTP_STREAM_CHANGE_EVENT
    inboundStreams: int = 0
    outboundStreams: int = 0

    # SCTP_STREAM_CHANGE_DENIED/FAILED are defined by <linux/sctp.h> as the
    # SCTP_ASSOC_CHANGE_* values.
    @property
    def denied(self) -> bool:
        return bool(self.flags & lib.SCTP_ASSOC_CHANGE_DENIED)

    @property
    def failed(self) -> bool:
        return bool(self.flags & lib.SCTP_ASSOC_CHANGE_FAILED)


@attr.s(frozen=True, slots=True, auto_attribs=True)
class UnknownNotification(Notification):
    """
    A notification of a type txsctp does not know, or one too short for its
    type: the raw bytes, for the application to inspect.

    @ivar notificationType: the C{sn_type} value (0 if even the header was
        cut short).
    @ivar raw: the whole notification as received.
    @ivar reason: why it was not parsed.
    """

    notificationType: int = 0
    raw: bytes = b""
    reason: str = "unknown notification type"


_HEADER = struct.Struct("=HHI")  # sn_type, sn_flags, sn_length
_HEADER_SIZE = _HEADER.size
_ABORT_CHUNK_TYPE = 6


def _view(data: bytes, ctype: str) -> CData:
    return ffi.cast(ctype + " *", ffi.from_buffer(data))


def _tail(data: bytes, offset: int, declaredLength: int) -> bytes:
    end = min(len(data), max(offset, declaredLength))
    return bytes(data[offset:end])


_ntohl = socket.ntohl
_ntohs = socket.ntohs


def _causeCode(value: int) -> int:
    # Linux fills ssf_error (32 bits) with a 16-bit cause code in network
    # byte order.
    return _ntohs(value) if value <= 0xFFFF else value


_INT_CODES = {1: "b", 2: "h", 4: "i", 8: "q"}


def _layout(ctype: str, *names: str) -> struct.Struct:
    """
    A C{struct.Struct} reading the integer fields C{names} of C{ctype}
    (given in the order of their offsets) at their offsets, as the
    compiled headers lay them out: one C call per notification instead of
    a cdata view and an attribute read per field.
    """
    fields = dict(ffi.typeof(ctype).fields)
    fmt = "="
    position = 0
    for name in names:
        field = fields[name]
        if field.type.kind != "primitive" or field.offset < position:
            raise ImportError(f"txsctp.notifications: {ctype}.{name} cannot be read with a struct format")
        size = ffi.sizeof(field.type)
        code = _INT_CODES[size]
        if int(ffi.cast(field.type, -1)) > 0:
            code = code.upper()  # unsigned
        fmt += "x" * (field.offset - position) + code
        position = field.offset + size
    return struct.Struct(fmt)


def _members(enumType: Type[enum.IntEnum]) -> Dict[int, enum.IntEnum]:
    """
    C{enumType}'s members by value, for L{_enumOr}'s result with a dict
    lookup: C{_members(E).get(value, value)}.
    """
    return {int(member): member for member in enumType}


_ASSOC_CHANGE = _layout("struct sctp_assoc_change", "sac_flags", "sac_length", "sac_state", "sac_error",
                        "sac_outbound_streams", "sac_inbound_streams", "sac_assoc_id")
_ASSOCIATION_STATES = _members(AssociationState)
_SAC_INFO = lib.TXSCTP_OFF_SAC_INFO


def _assocChange(data: bytes) -> Notification:
    # Every association's set-up and teardown passes here: the fields by
    # position (keywords would cost a dict per call), and sac_info as a
    # plain slice (parseNotification checked that sac_length is within
    # the bytes read).
    flags, length, state, err, outbound, inbound, assocId = _ASSOC_CHANGE.unpack_from(data)
    return AssociationChange(assocId, flags, _ASSOCIATION_STATES.get(state, state), _ntohs(err), outbound, inbound,
                             data[_SAC_INFO:length])


def _paddrChange(data: bytes) -> Notification:
    n = _view(data, "struct sctp_paddr_change")
    try:
        address = readStorage(n.spc_aaddr)
    except ValueError:
        address = None
    return PeerAddressChange(
        assocId=n.spc_assoc_id,
        flags=n.spc_flags,
        address=address,
        state=_enumOr(PeerAddressState, n.spc_state),
        error=n.spc_error,
    )


def _remoteError(data: bytes) -> Notification:
    n = _view(data, "struct sctp_remote_error")
    return RemoteError(
        assocId=n.sre_assoc_id,
        flags=n.sre_flags,
        error=_ntohs(n.sre_error),
        data=_tail(data, lib.TXSCTP_OFF_SRE_DATA, n.sre_length),
    )


def _sendFailedEvent(data: bytes) -> Notification:
    n = _view(data, "struct sctp_send_failed_event")
    return SendFailed(
        assocId=n.ssf_assoc_id,
        flags=n.ssf_flags,
        error=_causeCode(n.ssf_error),
        data=_tail(data, lib.TXSCTP_OFF_SSFE_DATA, n.ssf_length),
        stream=n.ssfe_info.snd_sid,
        ppid=_ntohl(n.ssfe_info.snd_ppid),
        context=n.ssfe_info.snd_context,
        sendFlags=n.ssfe_info.snd_flags,
    )


def _sendFailedOld(data: bytes) -> Notification:
    n = _view(data, "struct sctp_send_failed")
    return SendFailed(
        assocId=n.ssf_assoc_id,
        flags=n.ssf_flags,
        error=_causeCode(n.ssf_error),
        data=_tail(data, lib.TXSCTP_OFF_SSF_DATA, n.ssf_length),
        stream=n.ssf_info.sinfo_stream,
        ppid=_ntohl(n.ssf_info.sinfo_ppid),
        context=n.ssf_info.sinfo_context,
        sendFlags=n.ssf_info.sinfo_flags,
    )


_SHUTDOWN = _layout("struct sctp_shutdown_event", "sse_flags", "sse_assoc_id")


def _shutdown(data: bytes) -> Notification:
    flags, assocId = _SHUTDOWN.unpack_from(data)
    return Shutdown(assocId, flags)


def _adaptation(data: bytes) -> Notification:
    n = _view(data, "struct sctp_adaptation_event")
    return AdaptationIndication(
        assocId=n.sai_assoc_id,
        flags=n.sai_flags,
        adaptationIndication=n.sai_adaptation_ind,
    )


def _pdapi(data: bytes) -> Notification:
    n = _view(data, "struct sctp_pdapi_event")
    return PartialDeliveryEvent(
        assocId=n.pdapi_assoc_id,
        flags=n.pdapi_flags,
        indication=n.pdapi_indication,
        stream=n.pdapi_stream,
        sequence=n.pdapi_seq,
    )


_AUTHKEY = _layout("struct sctp_authkey_event", "auth_flags", "auth_keynumber", "auth_altkeynumber",
                   "auth_indication", "auth_assoc_id")
_AUTH_INDICATIONS = _members(AuthIndication)


def _authkey(data: bytes) -> Notification:
    # (Sent at every association's set-up when the peer has no SCTP-AUTH.)
    flags, keyNumber, altKeyNumber, indication, assocId = _AUTHKEY.unpack_from(data)
    return AuthenticationEvent(assocId, flags, keyNumber, altKeyNumber, _AUTH_INDICATIONS.get(indication, indication))


_SENDER_DRY = _layout("struct sctp_sender_dry_event", "sender_dry_flags", "sender_dry_assoc_id")


def _senderDry(data: bytes) -> Notification:
    flags, assocId = _SENDER_DRY.unpack_from(data)
    return SenderDry(assocId, flags)


def _streamReset(data: bytes) -> Notification:
    n = _view(data, "struct sctp_stream_reset_event")
    listBytes = _tail(data, lib.TXSCTP_OFF_STRRESET_LIST, n.strreset_length)
    count = len(listBytes) // 2
    streams = tuple(
        int.from_bytes(listBytes[2 * i : 2 * i + 2], sys.byteorder) for i in range(count)
    )
    return StreamReset(
        assocId=n.strreset_assoc_id, flags=n.strreset_flags, streams=streams
    )


def _assocReset(data: bytes) -> Notification:
    n = _view(data, "struct sctp_assoc_reset_event")
    return AssociationReset(
        assocId=n.assocreset_assoc_id,
        flags=n.assocreset_flags,
        localTsn=n.assocreset_local_tsn,
        remoteTsn=n.assocreset_remote_tsn,
    )


def _streamChange(data: bytes) -> Notification:
    n = _view(data, "struct sctp_stream_change_event")
    return StreamChange(
        assocId=n.strchange_assoc_id,
        flags=n.strchange_flags,
        inboundStreams=n.strchange_instrms,
        outboundStreams=n.strchange_outstrms,
    )


_PARSERS = {
    lib.SCTP_ASSOC_CHANGE: ("struct sctp_assoc_change", _assocChange),
    lib.SCTP_PEER_ADDR_CHANGE: ("struct sctp_paddr_change", _paddrChange),
    lib.SCTP_REMOTE_ERROR: ("struct sctp_remote_error", _remoteError),
    lib.SCTP_SEND_FAILED: ("struct sctp_send_failed", _sendFailedOld),
    lib.SCTP_SEND_FAILED_EVENT: ("struct sctp_send_failed_event", _sendFailedEvent),
    lib.SCTP_SHUTDOWN_EVENT: ("struct sctp_shutdown_event", _shutdown),
    lib.SCTP_ADAPTATION_INDICATION: ("struct sctp_adaptation_event", _adaptation),
    lib.SCTP_PARTIAL_DELIVERY_EVENT: ("struct sctp_pdapi_event", _pdapi),
    lib.SCTP_AUTHENTICATION_EVENT: ("struct sctp_authkey_event", _authkey),
    lib.SCTP_SENDER_DRY_EVENT: ("struct sctp_sender_dry_event", _senderDry),
    lib.SCTP_STREAM_RESET_EVENT: ("struct sctp_stream_reset_event", _streamReset),
    lib.SCTP_ASSOC_RESET_EVENT: ("struct sctp_assoc_reset_event", _assocReset),
    lib.SCTP_STREAM_CHANGE_EVENT: ("struct sctp_stream_change_event", _streamChange),
}
_SIZES = {t: ffi.sizeof(ctype) for t, (ctype, _) in _PARSERS.items()}


def parseNotification(data: bytes) -> Notification:
    """
    Parse one whole notification message.

    @param data: the bytes of a message received with C{MSG_NOTIFICATION}.
    @return: a L{Notification} subclass instance; L{UnknownNotification} for
        an unknown type or a truncated message.  Never raises for any input
        bytes.
    """
    if data.__class__ is not bytes:
        data = bytes(data)
    if len(data) < _HEADER_SIZE:
        return UnknownNotification(
            assocId=0, flags=0, notificationType=0, raw=data,
            reason=f"notification of {len(data)} bytes is shorter than its header",
        )
    snType, snFlags, declared = _HEADER.unpack_from(data)
    entry = _PARSERS.get(snType)
    if entry is not None and _SIZES[snType] <= declared <= len(data):
        # Whole and known (every notification the kernel sends): the
        # checks below, all at once.
        try:
            return entry[1](data)
        except Exception as e:  # pragma: no cover - a parser bug must not kill the reader
            return UnknownNotification(
                assocId=0, flags=snFlags, notificationType=snType, raw=data,
                reason=f"notification type {snType} could not be parsed: {e!r}",
            )
    if entry is None:
        return UnknownNotification(
            assocId=0, flags=snFlags, notificationType=snType, raw=data
        )
    if len(data) < _SIZES[snType]:
        return UnknownNotification(
            assocId=0, flags=snFlags, notificationType=snType, raw=data,
            reason=(
                f"notification type {snType} of {len(data)} bytes is shorter "
                f"than its {_SIZES[snType]}-byte structure"
            ),
        )
    if declared > len(data):
        return UnknownNotification(
            assocId=0, flags=snFlags, notificationType=snType, raw=data,
            reason=(
                f"notification type {snType} declares {declared} bytes but "
                f"only {len(data)} arrived (truncated)"
            ),
        )
    if declared < _SIZES[snType]:
        return UnknownNotification(
            assocId=0, flags=snFlags, notificationType=snType, raw=data,
            reason=(
                f"notification type {snType} declares {declared} bytes, less "
                f"than its {_SIZES[snType]}-byte structure"
            ),
        )
    try:
        return entry[1](data)
    except Exception as e:  # pragma: no cover - a parser bug must not kill the reader
        return UnknownNotification(
            assocId=0, flags=snFlags, notificationType=snType, raw=data,
            reason=f"notification type {snType} could not be parsed: {e!r}",
        )
