"""
L{txsctp._addresses}: address validation, packing for bindx/connectx and
unpacking of what the kernel returns.  Pure logic (no SCTP socket).
"""

from __future__ import annotations

import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txsctp import _addresses
from txsctp._sctp_cffi import ffi
from txsctp.errors import AddressFamilyError, SCTPError

SIN = ffi.sizeof("struct sockaddr_in")
SIN6 = ffi.sizeof("struct sockaddr_in6")


def test_ipFamily():
    assert _addresses.ipFamily("127.0.0.1") == socket.AF_INET
    assert _addresses.ipFamily("::1") == socket.AF_INET6
    assert _addresses.ipFamily("fe80::1%1") == socket.AF_INET6
    assert _addresses.ipFamily("::ffff:10.0.0.1") == socket.AF_INET6


@pytest.mark.parametrize("host", ["localhost", "example.com", "", "1.2.3", "::g", "127.0.0.1 "])
def test_nonLiteralHost(host):
    with pytest.raises(AddressFamilyError) as e:
        _addresses.ipFamily(host)
    assert repr(host) in str(e.value)
    assert "literal" in str(e.value)
    assert isinstance(e.value, ValueError) and isinstance(e.value, SCTPError)


@pytest.mark.parametrize("host", [None, 1, b"127.0.0.1"])
def test_hostType(host):
    with pytest.raises(TypeError):
        _addresses.ipFamily(host)


def test_normalizeForms():
    n = _addresses.normalizeAddresses
    assert n("10.0.0.1", 5) == [("10.0.0.1", 5)]
    assert n(("10.0.0.1", 6)) == [("10.0.0.1", 6)]
    assert n(["10.0.0.1", ("::1", 7)], 5) == [("10.0.0.1", 5), ("::1", 7)]
    assert n(iter(["10.0.0.1"]), 0) == [("10.0.0.1", 0)]


def test_normalizeErrors():
    n = _addresses.normalizeAddresses
    with pytest.raises(ValueError, match="empty"):
        n([], 5)
    with pytest.raises(ValueError, match="needs a port"):
        n("10.0.0.1")
    with pytest.raises(ValueError, match="out of range"):
        n("10.0.0.1", 70000)
    with pytest.raises(TypeError, match="port must be an int"):
        n("10.0.0.1", "80")
    with pytest.raises(TypeError, match="port must be an int"):
        n("10.0.0.1", True)
    with pytest.raises(TypeError):
        n(42, 5)
    with pytest.raises(TypeError):
        n([42], 5)
    with pytest.raises(AddressFamilyError, match="'host.example'"):
        n(["10.0.0.1", "host.example"], 5)


def test_checkFamilies():
    _addresses.checkFamilies(socket.AF_INET, [("10.0.0.1", 1)])
    _addresses.checkFamilies(socket.AF_INET6, [("10.0.0.1", 1), ("::1", 1)])
    with pytest.raises(AddressFamilyError) as e:
        _addresses.checkFamilies(socket.AF_INET, [("10.0.0.1", 1), ("2001:db8::5", 1)])
    assert "'2001:db8::5'" in str(e.value)
    assert "AF_INET6" in str(e.value)


def test_packListSizes():
    packed = _addresses.packList([("10.0.0.1", 1), ("::1", 2), ("10.0.0.2", 3)])
    assert len(packed) == SIN + SIN6 + SIN
    buf = ffi.new("char[]", packed)
    assert _addresses.unpackList(buf, 3, len(packed)) == [("10.0.0.1", 1), ("::1", 2), ("10.0.0.2", 3)]
    # A count larger than the buffer holds stops at the end, no overrun.
    assert _addresses.unpackList(buf, 10, len(packed)) == [("10.0.0.1", 1), ("::1", 2), ("10.0.0.2", 3)]
    assert _addresses.unpackList(buf, 3, SIN + 4) == [("10.0.0.1", 1)]


def test_packOneNetworkOrder():
    ptr, size = _addresses.packOne("10.1.2.3", 0x1234)
    raw = bytes(ffi.buffer(ptr, size))
    assert size == SIN
    assert raw[2:4] == b"\x12\x34"
    assert raw[4:8] == bytes([10, 1, 2, 3])


def test_mappedAddressReadsAsIPv4():
    ptr, _ = _addresses.packOne("::ffff:192.0.2.7", 99)
    assert _addresses.unpackOne(ptr) == ("192.0.2.7", 99)


def test_scopeOnlyForLinkLocal():
    """
    A scope id is shown for link-local addresses only: the kernel also
    reports one (lo's index) for C{::1}, which must read back as C{"::1"}.
    """
    for host, shown in [("::1", "::1"), ("2001:db8::1", "2001:db8::1"), ("fe80::1", "fe80::1%1"),
                        ("ff02::1", "ff02::1%1")]:
        ptr, _ = _addresses.packOne(host, 5)
        ffi.cast("struct sockaddr_in6 *", ptr).sin6_scope_id = 1
        assert _addresses.unpackOne(ptr) == (shown, 5)
    ptr, _ = _addresses.packOne("fe80::1%3", 5)
    assert ffi.cast("struct sockaddr_in6 *", ptr).sin6_scope_id == 3
    assert _addresses.unpackOne(ptr) == ("fe80::1%3", 5)


def test_unpackUnsetAndUnknownFamily():
    storage = ffi.new("struct sockaddr_storage *")
    assert _addresses.readStorage(storage[0]) is None
    storage.ss_family = 77
    with pytest.raises(AddressFamilyError, match="77"):
        _addresses.readStorage(storage[0])


def test_fillStorage():
    storage = ffi.new("struct sockaddr_storage *")
    _addresses.fillStorage(storage[0], "::1", 8)
    assert _addresses.readStorage(storage[0]) == ("::1", 8)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)), st.integers(0, 65535)),
        min_size=1, max_size=8,
    )
)
def test_roundTrip(addrs):
    hosts = []
    for ip, port in addrs:
        host = str(ip)
        expected = host
        if ip.version == 6 and ip.ipv4_mapped is not None:
            expected = str(ip.ipv4_mapped)
        hosts.append(((host, port), (expected, port)))
    packed = _addresses.packList([h for h, _ in hosts])
    buf = ffi.new("char[]", packed)
    back = _addresses.unpackList(buf, len(hosts), len(packed))
    assert back == [e for _, e in hosts]


def test_rememberedResultsAreTheComputedOnes(monkeypatch):
    """
    ipFamily and packList remember what they computed for literals in use:
    a second call gives the same result without parsing again, a bad
    literal still raises every time (nothing is remembered for it), a full
    memo starts over, and address lists that cannot be remembered (lists
    instead of tuples, zones that may name an interface) are packed each
    time.
    """
    monkeypatch.setattr(_addresses, "_familyOf", {})
    monkeypatch.setattr(_addresses, "_packed", {})
    parsed = []
    real = _addresses._parseFamily
    monkeypatch.setattr(_addresses, "_parseFamily", lambda host: parsed.append(host) or real(host))
    assert _addresses.ipFamily("10.1.2.3") == socket.AF_INET
    assert _addresses.ipFamily("10.1.2.3") == socket.AF_INET
    assert parsed == ["10.1.2.3"]
    for _ in range(2):
        with pytest.raises(AddressFamilyError):
            _addresses.ipFamily("not-an-address")
    assert parsed == ["10.1.2.3", "not-an-address", "not-an-address"]

    pair = [("10.1.2.3", 5060), ("::1", 5060)]
    first = _addresses.packList(pair)
    assert _addresses.packList(pair) is first
    assert len(first) == SIN + SIN6
    assert _addresses.packList([["10.1.2.3", 5060]]) == _addresses.packList([("10.1.2.3", 5060)])
    zoned = [("fe80::1%1", 5060)]
    assert _addresses.packList(zoned) == _addresses.packList(zoned)
    assert tuple(zoned) not in _addresses._packed

    monkeypatch.setattr(_addresses, "_MAX_REMEMBERED", 2)
    for host in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert _addresses.ipFamily(host) == socket.AF_INET
    assert len(_addresses._familyOf) <= 2
