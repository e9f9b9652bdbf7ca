"""
usrsctp's values as txsctp's: notifications, association and path states,
event types and send flags.

usrsctp speaks the FreeBSD flavour of the RFC 6458 socket API: the same
names as Linux, other numbers (C{SCTP_COMM_UP} is 1, not 0; a path is
C{SCTP_ACTIVE} at 1, not 2; notification types count from 1, not from
C{1 << 15}) and partly other struct layouts.  txsctp's value types
(L{txsctp.notifications}, L{txsctp.options}, L{txsctp.info}) carry the
Linux numbers, so that a Protocol never learns which stack it runs on.
This module translates, and nothing else: no I/O, no state (it also
packs and unpacks the IP socket addresses of the UDP side, and checks
integer arguments).

Addresses in usrsctp's notifications and options are AF_CONN addresses
(a conn-address handle and an SCTP port); the caller passes a function
that maps one to C{(host, port)} (see L{txsctp._usrsctp}).
"""

from __future__ import annotations

import socket
import struct
import sys
from typing import TYPE_CHECKING, Callable, Dict, Optional, Tuple

from txsctp._extension import lib as _linux
from txsctp._usrsctp_extension import ffi, lib
from txsctp.errors import AddressFamilyError
from txsctp.notifications import (
    AdaptationIndication,
    AssociationChange,
    AssociationReset,
    AssociationState,
    AuthIndication,
    AuthenticationEvent,
    Notification,
    NotificationType,
    PartialDeliveryEvent,
    PeerAddressChange,
    PeerAddressState,
    RemoteError,
    SendFailed,
    SenderDry,
    Shutdown,
    StreamChange,
    StreamReset,
    UnknownNotification,
)
from txsctp.options import AssocState, PathState

if TYPE_CHECKING:
    from txsctp._usrsctp_cffi import CData

__all__ = [
    "packAddress",
    "unpackAddress",
    "checkUint",
    "parseNotification",
    "EVENT_TYPES",
    "assocState",
    "pathState",
    "AddressMapper",
]

HostPort = Tuple[str, int]
AddressMapper = Callable[["CData"], Optional[HostPort]]
"""Maps a C{struct sockaddr_storage *} from usrsctp to C{(host, port)}."""

# Linux notification type -> usrsctp's, for SCTP_EVENT.
EVENT_TYPES: Dict[int, int] = {
    NotificationType.ASSOC_CHANGE: lib.SCTP_ASSOC_CHANGE,
    NotificationType.PEER_ADDR_CHANGE: lib.SCTP_PEER_ADDR_CHANGE,
    NotificationType.REMOTE_ERROR: lib.SCTP_REMOTE_ERROR,
    NotificationType.SHUTDOWN_EVENT: lib.SCTP_SHUTDOWN_EVENT,
    NotificationType.ADAPTATION_INDICATION: lib.SCTP_ADAPTATION_INDICATION,
    NotificationType.PARTIAL_DELIVERY_EVENT: lib.SCTP_PARTIAL_DELIVERY_EVENT,
    NotificationType.AUTHENTICATION_EVENT: lib.SCTP_AUTHENTICATION_EVENT,
    NotificationType.SENDER_DRY_EVENT: lib.SCTP_SENDER_DRY_EVENT,
    NotificationType.STREAM_RESET_EVENT: lib.SCTP_STREAM_RESET_EVENT,
    NotificationType.ASSOC_RESET_EVENT: lib.SCTP_ASSOC_RESET_EVENT,
    NotificationType.STREAM_CHANGE_EVENT: lib.SCTP_STREAM_CHANGE_EVENT,
    NotificationType.SEND_FAILED_EVENT: lib.SCTP_SEND_FAILED_EVENT,
    # The old SCTP_SEND_FAILED (struct sctp_send_failed) is not in
    # usrsctp's API; its subscription gets the RFC 6458 event instead.
    NotificationType.SEND_FAILED: lib.SCTP_SEND_FAILED_EVENT,
}

_ASSOC_STATES = {
    lib.SCTP_COMM_UP: AssociationState.COMM_UP,
    lib.SCTP_COMM_LOST: AssociationState.COMM_LOST,
    lib.SCTP_RESTART: AssociationState.RESTART,
    lib.SCTP_SHUTDOWN_COMP: AssociationState.SHUTDOWN_COMP,
    lib.SCTP_CANT_STR_ASSOC: AssociationState.CANT_STR_ASSOC,
}
_PEER_ADDR_STATES = {
    lib.SCTP_ADDR_AVAILABLE: PeerAddressState.AVAILABLE,
    lib.SCTP_ADDR_UNREACHABLE: PeerAddressState.UNREACHABLE,
    lib.SCTP_ADDR_REMOVED: PeerAddressState.REMOVED,
    lib.SCTP_ADDR_ADDED: PeerAddressState.ADDED,
    lib.SCTP_ADDR_MADE_PRIM: PeerAddressState.MADE_PRIM,
    lib.SCTP_ADDR_CONFIRMED: PeerAddressState.CONFIRMED,
    # usrsctp's internal SCTP_ADDR_PF, which it reports without a name in
    # its API.
    0x0007: PeerAddressState.POTENTIALLY_FAILED,
}
_AUTH_INDICATIONS = {
    lib.SCTP_AUTH_NEW_KEY: AuthIndication.NEW_KEY,
    lib.SCTP_AUTH_NO_AUTH: AuthIndication.NO_AUTH,
    lib.SCTP_AUTH_FREE_KEY: AuthIndication.FREE_KEY,
}
_ASSOC_STATE_VALUES = {
    lib.SCTP_CLOSED: AssocState.CLOSED,
    lib.SCTP_BOUND: AssocState.CLOSED,
    lib.SCTP_LISTEN: AssocState.CLOSED,
    lib.SCTP_COOKIE_WAIT: AssocState.COOKIE_WAIT,
    lib.SCTP_COOKIE_ECHOED: AssocState.COOKIE_ECHOED,
    lib.SCTP_ESTABLISHED: AssocState.ESTABLISHED,
    lib.SCTP_SHUTDOWN_SENT: AssocState.SHUTDOWN_SENT,
    lib.SCTP_SHUTDOWN_RECEIVED: AssocState.SHUTDOWN_RECEIVED,
    lib.SCTP_SHUTDOWN_ACK_SENT: AssocState.SHUTDOWN_ACK_SENT,
    lib.SCTP_SHUTDOWN_PENDING: AssocState.SHUTDOWN_PENDING,
}
# usrsctp's path state bits (sctp_constants.h: SCTP_ADDR_REACHABLE 1,
# SCTP_ADDR_UNCONFIRMED 0x200, SCTP_ADDR_PF 0x800).
_PATH_PF = 0x0800


def assocState(value: int) -> int:
    """
    usrsctp's C{sstat_state} as an L{AssocState} (the raw number where
    unknown).
    """
    return _ASSOC_STATE_VALUES.get(value, value)


def pathState(value: int) -> int:
    """
    usrsctp's C{spinfo_state} bits as a L{PathState}.
    """
    if value & lib.SCTP_UNCONFIRMED:
        return PathState.UNCONFIRMED
    if value & _PATH_PF:
        return PathState.POTENTIALLY_FAILED
    if value & lib.SCTP_ACTIVE:
        return PathState.ACTIVE
    if value & lib.SCTP_INACTIVE:
        return PathState.INACTIVE
    return PathState.UNKNOWN


def sendFlags(flags: int) -> int:
    """
    usrsctp's C{snd_flags}/C{sinfo_flags} bits as Linux's (those txsctp
    sends with).
    """
    out = 0
    if flags & lib.SCTP_UNORDERED:
        out |= lib.TXU_L_UNORDERED
    if flags & lib.SCTP_EOF:
        out |= lib.TXU_L_EOF
    if flags & lib.SCTP_ABORT:
        out |= lib.TXU_L_ABORT
    if flags & lib.SCTP_SACK_IMMEDIATELY:
        out |= lib.TXU_L_SACK_IMMEDIATELY
    return out


_HEADER = struct.Struct("=HHI")  # sn_type, sn_flags, sn_length


def _view(data: bytes, ctype: str) -> CData:
    return ffi.cast(ctype + " *", ffi.from_buffer(data))


def _tail(data: bytes, offset: int, declared: int) -> bytes:
    return bytes(data[offset:min(len(data), max(offset, declared))])


def _assocChange(data: bytes, mapAddress: AddressMapper) -> Notification:
    n = _view(data, "struct sctp_assoc_change")
    return AssociationChange(
        assocId=n.sac_assoc_id,
        flags=n.sac_flags,
        state=_ASSOC_STATES.get(n.sac_state, n.sac_state),
        # usrsctp (like FreeBSD) gives the cause code in host order.
        error=n.sac_error,
        outboundStreams=n.sac_outbound_streams,
        inboundStreams=n.sac_inbound_streams,
        info=_tail(data, ffi.sizeof("struct sctp_assoc_change"), n.sac_length),
    )


def _paddrChange(data: bytes, mapAddress: AddressMapper) -> Notification:
    n = _view(data, "struct sctp_paddr_change")
    return PeerAddressChange(
        assocId=n.spc_assoc_id,
        flags=n.spc_flags,
        address=mapAddress(ffi.addressof(n.spc_aaddr)),
        state=_PEER_ADDR_STATES.get(n.spc_state, n.spc_state),
        error=n.spc_error,
    )


def _remoteError(data: bytes, mapAddress: AddressMapper) -> Notification:
    n = _view(data, "struct sctp_remote_error")
    return RemoteError(
        assocId=n.sre_assoc_id,
        flags=n.sre_flags,
        error=n.sre_error,
        data=_tail(data, ffi.sizeof("struct sctp_remote_error"), n.sre_length),
    )


def _shutdown(data: bytes, mapAddress: AddressMapper) -> Notification:
    n = _view(data, "struct sctp_shutdown_event")
    return Shutdown(assocId=n.sse_assoc_id, flags=n.sse_flags)


def _adaptation(data: bytes, mapAddress: AddressMapper) -> Notification:
    n = _view(data, "struct sctp_adaptation_event")
    return AdaptationIndication(assocId=n.sai_assoc_id, flags=n.sai_flags,
                                adaptationIndication=n.sai_adaptation_ind)


def _pdapi(data: bytes, mapAddress: AddressMapper) -> Notification:
    n = _view(data, "struct sctp_pdapi_event")
    indication = n.pdapi_indication
    if indication == lib.SCTP_PARTIAL_DELIVERY_ABORTED:
        indication = _linux.SCTP_PARTIAL_DELIVERY_ABORTED
    return PartialDeliveryEvent(assocId=n.pdapi_assoc_id, flags=n.pdapi_flags,
                                indication=indication, stream=n.pdapi_stream,
                                sequence=n.pdapi_seq)


def _authkey(data: bytes, mapAddress: AddressMapper) -> Notification:
    n = _view(data, "struct sctp_authkey_event")
    return AuthenticationEvent(
        assocId=n.auth_assoc_id,
        flags=n.auth_flags,
        keyNumber=n.auth_keynumber,
        altKeyNumber=0,  # not in usrsctp's structure
        indication=_AUTH_INDICATIONS.get(n.auth_indication, n.auth_indication),
    )


def _senderDry(data: bytes, mapAddress: AddressMapper) -> Notification:
    n = _view(data, "struct sctp_sender_dry_event")
    return SenderDry(assocId=n.sender_dry_assoc_id, flags=n.sender_dry_flags)


def _streamReset(data: bytes, mapAddress: AddressMapper) -> Notification:
    n = _view(data, "struct sctp_stream_reset_event")
    # The flag bits have Linux's values in usrsctp too.
    listBytes = _tail(data, ffi.sizeof("struct sctp_stream_reset_event"), n.strreset_length)
    streams = tuple(int.from_bytes(listBytes[i:i + 2], sys.byteorder)
                    for i in range(0, len(listBytes) - 1, 2))
    return StreamReset(assocId=n.strreset_assoc_id, flags=n.strreset_flags, streams=streams)


def _assocReset(data: bytes, mapAddress: AddressMapper) -> Notification:
    n = _view(data, "struct sctp_assoc_reset_event")
    return AssociationReset(assocId=n.assocreset_assoc_id, flags=n.assocreset_flags,
                            localTsn=n.assocreset_local_tsn, remoteTsn=n.assocreset_remote_tsn)


def _streamChange(data: bytes, mapAddress: AddressMapper) -> Notification:
    n = _view(data, "struct sctp_stream_change_event")
    return StreamChange(assocId=n.strchange_assoc_id, flags=n.strchange_flags,
                        inboundStreams=n.strchange_instrms,
                        outboundStreams=n.strchange_outstrms)


def _sendFailed(data: bytes, mapAddress: AddressMapper) -> Notification:
    n = _view(data, "struct sctp_send_failed_event")
    flags = 0
    if n.ssfe_flags & lib.SCTP_DATA_SENT:
        flags |= _linux.SCTP_DATA_SENT
    if n.ssfe_flags & lib.SCTP_DATA_UNSENT:
        flags |= _linux.SCTP_DATA_UNSENT
    info = n.ssfe_info
    return SendFailed(
        assocId=n.ssfe_assoc_id,
        flags=flags,
        error=n.ssfe_error,
        data=_tail(data, ffi.sizeof("struct sctp_send_failed_event"), n.ssfe_length),
        stream=info.snd_sid,
        ppid=socket.ntohl(info.snd_ppid),
        context=info.snd_context,
        sendFlags=sendFlags(info.snd_flags),
    )


_PARSERS = {
    lib.SCTP_ASSOC_CHANGE: ("struct sctp_assoc_change", _assocChange),
    lib.SCTP_PEER_ADDR_CHANGE: ("struct sctp_paddr_change", _paddrChange),
    lib.SCTP_REMOTE_ERROR: ("struct sctp_remote_error", _remoteError),
    lib.SCTP_SHUTDOWN_EVENT: ("struct sctp_shutdown_event", _shutdown),
    lib.SCTP_ADAPTATION_INDICATION: ("struct sctp_adaptation_event", _adaptation),
    lib.SCTP_PARTIAL_DELIVERY_EVENT: ("struct sctp_pdapi_event", _pdapi),
    lib.SCTP_AUTHENTICATION_EVENT: ("struct sctp_authkey_event", _authkey),
    lib.SCTP_SENDER_DRY_EVENT: ("struct sctp_sender_dry_event", _senderDry),
    lib.SCTP_STREAM_RESET_EVENT: ("struct sctp_stream_reset_event", _streamReset),
    lib.SCTP_ASSOC_RESET_EVENT: ("struct sctp_assoc_reset_event", _assocReset),
    lib.SCTP_STREAM_CHANGE_EVENT: ("struct sctp_stream_change_event", _streamChange),
    lib.SCTP_SEND_FAILED_EVENT: ("struct sctp_send_failed_event", _sendFailed),
}
_SIZES = {t: ffi.sizeof(ctype) for t, (ctype, _) in _PARSERS.items()}


def _noAddress(storage: CData) -> None:
    return None


def parseNotification(data: bytes, mapAddress: AddressMapper = _noAddress) -> Notification:
    """
    Parse one whole notification in usrsctp's layout into txsctp's types,
    with Linux's numbers.

    @param data: the bytes of a message received with C{MSG_NOTIFICATION}.
    @param mapAddress: turns usrsctp's address in a peer address change
        into C{(host, port)}.
    @return: a L{Notification}; L{UnknownNotification} for a type txsctp
        does not know (usrsctp's C{SCTP_NOTIFICATIONS_STOPPED_EVENT}, for
        one) or a truncated notification.  Never raises for any input.
    """
    if data.__class__ is not bytes:
        data = bytes(data)
    if len(data) < _HEADER.size:
        return UnknownNotification(
            assocId=0, flags=0, notificationType=0, raw=data,
            reason=f"notification of {len(data)} bytes is shorter than its header")
    snType, snFlags, declared = _HEADER.unpack_from(data)
    entry = _PARSERS.get(snType)
    if entry is None:
        return UnknownNotification(assocId=0, flags=snFlags, notificationType=snType, raw=data,
                                   reason=f"unknown usrsctp notification type {snType}")
    size = _SIZES[snType]
    if len(data) < size or declared > len(data) or declared < size:
        return UnknownNotification(
            assocId=0, flags=snFlags, notificationType=snType, raw=data,
            reason=(f"usrsctp notification type {snType}: {len(data)} bytes received, "
                    f"{declared} declared, its structure takes {size}"))
    try:
        return entry[1](data, mapAddress)
    except Exception as e:  # pragma: no cover - a parser bug must not kill the reader
        return UnknownNotification(assocId=0, flags=snFlags, notificationType=snType, raw=data,
                                   reason=f"usrsctp notification type {snType} could not be parsed: {e!r}")


# -- addresses and values -------------------------------------------------

def packAddress(host: str, port: int) -> Tuple[CData, int]:
    """
    A C{struct sockaddr_in(6)} for an IP literal (no name resolution).
    """
    if not isinstance(host, str):
        raise TypeError(f"host must be a str IP address literal, not {type(host).__name__}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 0xFFFF:
        raise ValueError(f"port must be an int in 0..65535, not {port!r}")
    try:
        packed = socket.inet_pton(socket.AF_INET, host)
    except OSError:
        pass
    else:
        sin = ffi.new("struct sockaddr_in *")
        sin.sin_family = socket.AF_INET
        sin.sin_port = socket.htons(port)
        ffi.memmove(ffi.addressof(sin.sin_addr), packed, 4)
        return sin, ffi.sizeof("struct sockaddr_in")
    hostPart, _, scope = host.partition("%")
    try:
        packed = socket.inet_pton(socket.AF_INET6, hostPart)
    except OSError:
        raise AddressFamilyError(f"{host!r} is not an IPv4 or IPv6 address literal") from None
    sin6 = ffi.new("struct sockaddr_in6 *")
    sin6.sin6_family = socket.AF_INET6
    sin6.sin6_port = socket.htons(port)
    ffi.memmove(sin6.sin6_addr.s6_addr, packed, 16)
    if scope:
        sin6.sin6_scope_id = int(scope) if scope.isdigit() else socket.if_nametoindex(scope)
    return sin6, ffi.sizeof("struct sockaddr_in6")


def unpackAddress(ptr: CData) -> Optional[HostPort]:
    """
    C{(host, port)} of a C{struct sockaddr_in(6)} (C{None} for another
    family).
    """
    family = ffi.cast("struct sockaddr *", ptr).sa_family
    if family == socket.AF_INET:
        sin = ffi.cast("struct sockaddr_in *", ptr)
        host = socket.inet_ntop(socket.AF_INET, ffi.buffer(ffi.addressof(sin.sin_addr), 4)[:])
        return host, socket.ntohs(sin.sin_port)
    if family == socket.AF_INET6:
        sin6 = ffi.cast("struct sockaddr_in6 *", ptr)
        host = socket.inet_ntop(socket.AF_INET6, ffi.buffer(sin6.sin6_addr.s6_addr, 16)[:])
        if host.startswith("::ffff:") and "." in host:
            host = host[7:]
        return host, socket.ntohs(sin6.sin6_port)
    return None


def checkUint(name: str, value: object, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < (1 << bits):
        raise ValueError(f"{name} must be an int in 0..{(1 << bits) - 1}, not {value!r}")
    return value
