"""
L{txsctp.notifications.parseNotification} on notification bytes built with
cffi from the kernel's own structures (every notification class), on
truncated and garbage input, and as a property: any bytes give a
L{Notification}, never an exception.

No kernel SCTP needed: these run anywhere the cffi module is built.
"""

from __future__ import annotations

import socket
import struct
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txsctp._sctp_cffi import ffi, lib
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
    parseNotification,
)

ASSOC = 0x01020304


def raw(ctype: str, fields: dict, tail: bytes = b"", lengthField: str = None) -> bytes:
    """
    The bytes of a C{struct ctype} with C{fields} set (nested fields as
    C{"a.b"}), followed by C{tail}; its C{*_length} field says the total.
    """
    p = ffi.new(f"struct {ctype} *")
    for name, value in fields.items():
        target = p
        *path, last = name.split(".")
        for part in path:
            target = getattr(target, part)
        setattr(target, last, value)
    size = ffi.sizeof(f"struct {ctype}")
    if lengthField is not None:
        setattr(p, lengthField, size + len(tail))
    return bytes(ffi.buffer(p)) + tail


def storage4(host: str, port: int):
    """A filled struct sockaddr_storage (as bytes) for the paddr_change."""
    sin = ffi.new("struct sockaddr_in *")
    sin.sin_family = socket.AF_INET
    sin.sin_port = socket.htons(port)
    ffi.memmove(ffi.addressof(sin.sin_addr), socket.inet_aton(host), 4)
    return sin


# -- one crafted notification per class -------------------------------------


def test_assocChangeCommUp():
    data = raw("sctp_assoc_change", {
        "sac_type": lib.SCTP_ASSOC_CHANGE, "sac_flags": 0, "sac_state": lib.SCTP_COMM_UP,
        "sac_error": 0, "sac_outbound_streams": 10, "sac_inbound_streams": 7,
        "sac_assoc_id": ASSOC,
    }, tail=bytes([1, 2, 5]), lengthField="sac_length")
    n = parseNotification(data)
    assert n == AssociationChange(
        assocId=ASSOC, flags=0, state=AssociationState.COMM_UP, error=0,
        outboundStreams=10, inboundStreams=7, info=b"\x01\x02\x05",
    )
    assert n.type == NotificationType.ASSOC_CHANGE
    assert n.supportedFeatures == {"PR", "AUTH", "RE_CONFIG"}
    assert n.abortCauses == ()


def test_assocChangeCommLostErrorIsHostOrder():
    """
    Linux stores C{sac_error} as a network-order cause code; the parser
    gives it in host order, and the ABORT's causes are parsed.
    """
    causes = b"\x00\x0c\x00\x07bye\x00"  # user-initiated abort, "bye", padded
    data = raw("sctp_assoc_change", {
        "sac_type": lib.SCTP_ASSOC_CHANGE, "sac_state": lib.SCTP_COMM_LOST,
        "sac_error": socket.htons(12), "sac_assoc_id": 9,
    }, tail=causes, lengthField="sac_length")
    n = parseNotification(data)
    assert n.state == AssociationState.COMM_LOST
    assert n.error == 12
    assert n.abortCauses == ((12, b"bye"),)
    assert n.supportedFeatures == frozenset()


def test_abortCausesFromWholeChunk():
    """
    A whole ABORT chunk (RFC 6458's description of C{sac_info}) works too,
    and several causes are all read; a cut-off last cause is left out.
    """
    causes = b"\x00\x0c\x00\x05x\x00\x00\x00" + b"\x00\x01\x00\x08\x00\x07\x00\x00"
    chunk = bytes([6, 0]) + (4 + len(causes)).to_bytes(2, "big") + causes
    n = AssociationChange(assocId=1, flags=0, state=AssociationState.CANT_STR_ASSOC, info=chunk)
    assert n.abortCauses == ((12, b"x"), (1, b"\x00\x07\x00\x00"))
    cut = AssociationChange(assocId=1, flags=0, state=AssociationState.COMM_LOST, info=causes[:12])
    assert cut.abortCauses == ((12, b"x"),)


def test_assocChangeUnknownState():
    data = raw("sctp_assoc_change", {
        "sac_type": lib.SCTP_ASSOC_CHANGE, "sac_state": 77, "sac_assoc_id": 3,
    }, lengthField="sac_length")
    n = parseNotification(data)
    assert isinstance(n, AssociationChange)
    assert n.state == 77


def test_peerAddressChange():
    p = ffi.new("struct sctp_paddr_change *")
    p.spc_type = lib.SCTP_PEER_ADDR_CHANGE
    p.spc_length = ffi.sizeof("struct sctp_paddr_change")
    p.spc_state = lib.SCTP_ADDR_CONFIRMED
    p.spc_error = 0
    p.spc_assoc_id = ASSOC
    sin = storage4("127.0.0.2", 2905)
    ffi.memmove(ffi.addressof(p.spc_aaddr), sin, ffi.sizeof("struct sockaddr_in"))
    n = parseNotification(bytes(ffi.buffer(p)))
    assert n == PeerAddressChange(
        assocId=ASSOC, flags=0, address=("127.0.0.2", 2905),
        state=PeerAddressState.CONFIRMED, error=0,
    )


def test_peerAddressChangeIPv6AndUnsetAddress():
    p = ffi.new("struct sctp_paddr_change *")
    p.spc_type = lib.SCTP_PEER_ADDR_CHANGE
    p.spc_length = ffi.sizeof("struct sctp_paddr_change")
    p.spc_state = lib.SCTP_ADDR_UNREACHABLE
    p.spc_error = lib.SCTP_FAILED_THRESHOLD
    sin6 = ffi.cast("struct sockaddr_in6 *", ffi.addressof(p.spc_aaddr))
    sin6.sin6_family = socket.AF_INET6
    sin6.sin6_port = socket.htons(36412)
    ffi.memmove(sin6.sin6_addr.s6_addr, socket.inet_pton(socket.AF_INET6, "2001:db8::1"), 16)
    n = parseNotification(bytes(ffi.buffer(p)))
    assert n.address == ("2001:db8::1", 36412)
    assert n.state == PeerAddressState.UNREACHABLE
    assert n.error == lib.SCTP_FAILED_THRESHOLD

    # Family 0: no address.  An unknown family: no address, no exception.
    p.spc_aaddr.ss_family = 0
    assert parseNotification(bytes(ffi.buffer(p))).address is None
    p.spc_aaddr.ss_family = 99
    assert parseNotification(bytes(ffi.buffer(p))).address is None


def test_remoteError():
    data = raw("sctp_remote_error", {
        "sre_type": lib.SCTP_REMOTE_ERROR, "sre_error": socket.htons(0x0B),
        "sre_assoc_id": 5,
    }, tail=b"\xde\xad", lengthField="sre_length")
    assert parseNotification(data) == RemoteError(assocId=5, flags=0, error=0x0B, data=b"\xde\xad")


def test_sendFailedEvent():
    data = raw("sctp_send_failed_event", {
        "ssf_type": lib.SCTP_SEND_FAILED_EVENT, "ssf_flags": lib.SCTP_DATA_UNSENT,
        "ssf_error": socket.htons(12), "ssf_assoc_id": 4,
        "ssfe_info.snd_sid": 3, "ssfe_info.snd_flags": lib.SCTP_UNORDERED,
        "ssfe_info.snd_ppid": socket.htonl(46), "ssfe_info.snd_context": 99,
    }, tail=b"payload", lengthField="ssf_length")
    n = parseNotification(data)
    assert n == SendFailed(
        assocId=4, flags=lib.SCTP_DATA_UNSENT, error=12, data=b"payload", stream=3,
        ppid=46, context=99, sendFlags=lib.SCTP_UNORDERED,
    )
    assert not n.sent
    assert n.type == NotificationType.SEND_FAILED_EVENT


def test_sendFailedOld():
    data = raw("sctp_send_failed", {
        "ssf_type": lib.SCTP_SEND_FAILED, "ssf_flags": lib.SCTP_DATA_SENT,
        "ssf_error": 0, "ssf_assoc_id": 4,
        "ssf_info.sinfo_stream": 2, "ssf_info.sinfo_ppid": socket.htonl(0x12345678),
        "ssf_info.sinfo_context": 7, "ssf_info.sinfo_flags": 0,
    }, tail=b"xy", lengthField="ssf_length")
    n = parseNotification(data)
    assert isinstance(n, SendFailed)
    assert (n.stream, n.ppid, n.context, n.data, n.sent) == (2, 0x12345678, 7, b"xy", True)


def test_sendFailedLargeErrorKeptAsIs():
    """
    An C{ssf_error} that is not a 16-bit cause code is passed through.
    """
    data = raw("sctp_send_failed_event", {
        "ssf_type": lib.SCTP_SEND_FAILED_EVENT, "ssf_error": 0x10000,
    }, lengthField="ssf_length")
    assert parseNotification(data).error == 0x10000


def test_shutdown():
    data = raw("sctp_shutdown_event", {
        "sse_type": lib.SCTP_SHUTDOWN_EVENT, "sse_assoc_id": 8,
    }, lengthField="sse_length")
    assert parseNotification(data) == Shutdown(assocId=8, flags=0)


def test_adaptation():
    data = raw("sctp_adaptation_event", {
        "sai_type": lib.SCTP_ADAPTATION_INDICATION, "sai_adaptation_ind": 0xCAFE,
        "sai_assoc_id": 2,
    }, lengthField="sai_length")
    assert parseNotification(data) == AdaptationIndication(assocId=2, flags=0, adaptationIndication=0xCAFE)


def test_partialDelivery():
    data = raw("sctp_pdapi_event", {
        "pdapi_type": lib.SCTP_PARTIAL_DELIVERY_EVENT,
        "pdapi_indication": lib.SCTP_PARTIAL_DELIVERY_ABORTED, "pdapi_assoc_id": 2,
        "pdapi_stream": 4, "pdapi_seq": 17,
    }, lengthField="pdapi_length")
    n = parseNotification(data)
    assert n == PartialDeliveryEvent(
        assocId=2, flags=0, indication=lib.SCTP_PARTIAL_DELIVERY_ABORTED, stream=4, sequence=17,
    )
    assert n.aborted


def test_authentication():
    data = raw("sctp_authkey_event", {
        "auth_type": lib.SCTP_AUTHENTICATION_EVENT, "auth_keynumber": 5,
        "auth_altkeynumber": 6, "auth_indication": lib.SCTP_AUTH_FREE_KEY, "auth_assoc_id": 1,
    }, lengthField="auth_length")
    n = parseNotification(data)
    assert n == AuthenticationEvent(
        assocId=1, flags=0, keyNumber=5, altKeyNumber=6, indication=lib.SCTP_AUTH_FREE_KEY,
    )
    assert n.indication is AuthIndication.FREE_KEY


def test_authenticationUnknownIndication():
    """
    An indication value this module does not know stays a plain int.
    """
    data = raw("sctp_authkey_event", {
        "auth_type": lib.SCTP_AUTHENTICATION_EVENT, "auth_indication": 77, "auth_assoc_id": 1,
    }, lengthField="auth_length")
    n = parseNotification(data)
    assert n.indication == 77 and type(n.indication) is int


def test_senderDry():
    data = raw("sctp_sender_dry_event", {
        "sender_dry_type": lib.SCTP_SENDER_DRY_EVENT, "sender_dry_assoc_id": 11,
    }, lengthField="sender_dry_length")
    assert parseNotification(data) == SenderDry(assocId=11, flags=0)


def test_streamReset():
    streams = struct.pack("=3H", 1, 2, 300)
    data = raw("sctp_stream_reset_event", {
        "strreset_type": lib.SCTP_STREAM_RESET_EVENT,
        "strreset_flags": lib.SCTP_STREAM_RESET_OUTGOING_SSN, "strreset_assoc_id": 3,
    }, tail=streams, lengthField="strreset_length")
    n = parseNotification(data)
    assert n == StreamReset(assocId=3, flags=lib.SCTP_STREAM_RESET_OUTGOING_SSN, streams=(1, 2, 300))
    assert n.outgoing and not n.incoming and not n.denied and not n.failed

    denied = raw("sctp_stream_reset_event", {
        "strreset_type": lib.SCTP_STREAM_RESET_EVENT,
        "strreset_flags": lib.SCTP_STREAM_RESET_INCOMING_SSN | lib.SCTP_STREAM_RESET_DENIED,
    }, lengthField="strreset_length")
    n = parseNotification(denied)
    assert n.streams == () and n.incoming and n.denied and not n.failed


def test_assocReset():
    data = raw("sctp_assoc_reset_event", {
        "assocreset_type": lib.SCTP_ASSOC_RESET_EVENT, "assocreset_flags": lib.SCTP_ASSOC_RESET_FAILED,
        "assocreset_assoc_id": 3, "assocreset_local_tsn": 1000, "assocreset_remote_tsn": 0xFFFFFFFF,
    }, lengthField="assocreset_length")
    n = parseNotification(data)
    assert n == AssociationReset(
        assocId=3, flags=lib.SCTP_ASSOC_RESET_FAILED, localTsn=1000, remoteTsn=0xFFFFFFFF,
    )
    assert n.failed and not n.denied


def test_streamChange():
    data = raw("sctp_stream_change_event", {
        "strchange_type": lib.SCTP_STREAM_CHANGE_EVENT, "strchange_flags": lib.SCTP_ASSOC_CHANGE_DENIED,
        "strchange_assoc_id": 3, "strchange_instrms": 12, "strchange_outstrms": 13,
    }, lengthField="strchange_length")
    n = parseNotification(data)
    assert n == StreamChange(
        assocId=3, flags=lib.SCTP_ASSOC_CHANGE_DENIED, inboundStreams=12, outboundStreams=13,
    )
    assert n.denied and not n.failed


def test_everyNotificationTypeHasAClass():
    """
    Every type the kernel defines parses to its own class (not the fallback)
    when given a well-formed structure.
    """
    classes = {
        NotificationType.ASSOC_CHANGE: ("sctp_assoc_change", AssociationChange),
        NotificationType.PEER_ADDR_CHANGE: ("sctp_paddr_change", PeerAddressChange),
        NotificationType.SEND_FAILED: ("sctp_send_failed", SendFailed),
        NotificationType.REMOTE_ERROR: ("sctp_remote_error", RemoteError),
        NotificationType.SHUTDOWN_EVENT: ("sctp_shutdown_event", Shutdown),
        NotificationType.PARTIAL_DELIVERY_EVENT: ("sctp_pdapi_event", PartialDeliveryEvent),
        NotificationType.ADAPTATION_INDICATION: ("sctp_adaptation_event", AdaptationIndication),
        NotificationType.AUTHENTICATION_EVENT: ("sctp_authkey_event", AuthenticationEvent),
        NotificationType.SENDER_DRY_EVENT: ("sctp_sender_dry_event", SenderDry),
        NotificationType.STREAM_RESET_EVENT: ("sctp_stream_reset_event", StreamReset),
        NotificationType.ASSOC_RESET_EVENT: ("sctp_assoc_reset_event", AssociationReset),
        NotificationType.STREAM_CHANGE_EVENT: ("sctp_stream_change_event", StreamChange),
        NotificationType.SEND_FAILED_EVENT: ("sctp_send_failed_event", SendFailed),
    }
    assert set(classes) == set(NotificationType)
    for snType, (ctype, cls) in classes.items():
        size = ffi.sizeof(f"struct {ctype}")
        data = bytearray(size)
        data[0:2] = int(snType).to_bytes(2, sys.byteorder)
        data[4:8] = size.to_bytes(4, sys.byteorder)
        n = parseNotification(bytes(data))
        assert type(n) is cls, (snType, n)
        assert isinstance(n, Notification)


# -- bad input ---------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\x01", b"\x01\x80\x00\x00\x14\x00\x00"])
def test_shorterThanHeader(data):
    n = parseNotification(data)
    assert isinstance(n, UnknownNotification)
    assert n.notificationType == 0
    assert n.raw == data
    assert "shorter than its header" in n.reason


def test_unknownType():
    data = struct.pack("=HHI", 0x80FF, 3, 8)
    n = parseNotification(data)
    assert n == UnknownNotification(
        assocId=0, flags=3, notificationType=0x80FF, raw=data, reason="unknown notification type",
    )


def test_truncatedBelowStructure():
    whole = raw("sctp_assoc_change", {
        "sac_type": lib.SCTP_ASSOC_CHANGE, "sac_state": lib.SCTP_COMM_UP,
    }, lengthField="sac_length")
    for cut in range(8, len(whole)):
        n = parseNotification(whole[:cut])
        assert isinstance(n, UnknownNotification)
        assert n.notificationType == lib.SCTP_ASSOC_CHANGE
        assert "shorter than its" in n.reason


def test_truncatedTail():
    """
    A notification whose declared length is beyond the bytes that arrived
    (its variable part cut short) is not passed off as whole.
    """
    whole = raw("sctp_send_failed_event", {
        "ssf_type": lib.SCTP_SEND_FAILED_EVENT,
    }, tail=b"0123456789", lengthField="ssf_length")
    n = parseNotification(whole[:-3])
    assert isinstance(n, UnknownNotification)
    assert "truncated" in n.reason
    assert n.raw == whole[:-3]


def test_declaredLengthTooSmall():
    data = bytearray(raw("sctp_shutdown_event", {"sse_type": lib.SCTP_SHUTDOWN_EVENT}))
    data[4:8] = (3).to_bytes(4, sys.byteorder)
    n = parseNotification(bytes(data))
    assert isinstance(n, UnknownNotification)
    assert "less than its" in n.reason


def test_memoryviewAndBytearray():
    data = raw("sctp_sender_dry_event", {
        "sender_dry_type": lib.SCTP_SENDER_DRY_EVENT, "sender_dry_assoc_id": 2,
    }, lengthField="sender_dry_length")
    assert parseNotification(bytearray(data)) == parseNotification(memoryview(data)) == SenderDry(2, 0)


_KNOWN = [int(t) for t in NotificationType]


@st.composite
def _notificationLike(draw):
    """
    Bytes that often look like a notification: a known type, a plausible
    length, random contents.
    """
    snType = draw(st.sampled_from(_KNOWN + [0, 0x8000, 0xFFFF]))
    body = draw(st.binary(max_size=300))
    length = draw(st.one_of(st.just(8 + len(body)), st.integers(0, 0xFFFFFFFF)))
    flags = draw(st.integers(0, 0xFFFF))
    return struct.pack("=HHI", snType, flags, length) + body


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.binary(max_size=400), _notificationLike()))
def test_neverRaises(data):
    n = parseNotification(data)
    assert isinstance(n, Notification)
    if isinstance(n, UnknownNotification):
        assert n.raw == data
        # The catch-all in parseNotification is for safety only: a parser
        # that blew up would show here.
        assert "could not be parsed" not in n.reason
    # Derived properties never raise either.
    if isinstance(n, AssociationChange):
        n.supportedFeatures  # noqa: B018 -- evaluated: it must not raise
        n.abortCauses  # noqa: B018
    repr(n)
