"""
Packing and unpacking of socket addresses for the SCTP calls that take
address lists (bindx, connectx, getpaddrs/getladdrs, primary address, peer
address parameters) and for per-message destinations.

Addresses are C{(host, port)} tuples of an IP literal and a port number.
IPv4-mapped IPv6 addresses (C{::ffff:a.b.c.d}), which the kernel reports for
IPv4 peers of an AF_INET6 socket, are returned as plain IPv4 strings.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from txsctp._extension import ffi
from txsctp.errors import AddressFamilyError

if TYPE_CHECKING:
    from txsctp._sctp_cffi import CData

HostPort = Tuple[str, int]
AddressLike = Union[str, HostPort]

_SIN_SIZE = ffi.sizeof("struct sockaddr_in")
_SIN6_SIZE = ffi.sizeof("struct sockaddr_in6")
_MAPPED_PREFIX = "::ffff:"
# For unpackList: the layouts as the compiled headers give them.
_SA_SIZE = ffi.sizeof("struct sockaddr")
_SA_FAMILY = ffi.offsetof("struct sockaddr", "sa_family")
_SIN_PORT = ffi.offsetof("struct sockaddr_in", "sin_port")
_SIN_ADDR = ffi.offsetof("struct sockaddr_in", "sin_addr")
_SIN6_PORT = ffi.offsetof("struct sockaddr_in6", "sin6_port")
_SIN6_ADDR = ffi.offsetof("struct sockaddr_in6", "sin6_addr")
_SIN6_SCOPE = ffi.offsetof("struct sockaddr_in6", "sin6_scope_id")
if _SA_FAMILY != 0 or ffi.sizeof(ffi.typeof("struct sockaddr").fields[0][1].type) != 2:
    raise ImportError("txsctp._addresses: struct sockaddr does not start with a 16-bit sa_family")
_U16 = struct.Struct("=H")
_U32 = struct.Struct("=I")
_NET_U16 = struct.Struct("!H")
_AF_INET = socket.AF_INET
_AF_INET6 = socket.AF_INET6
_inet_ntop = socket.inet_ntop

# Results of ipFamily, packList and unpackList for the literals a program keeps using
# (its peers and its own addresses), so that connecting again to the same
# peer does not parse its addresses again.  Bounded: a program going
# through ever-new addresses only loses the shortcut.
_familyOf: Dict[str, int] = {}
_packed: Dict[Tuple[HostPort, ...], bytes] = {}
_unpacked: Dict[bytes, HostPort] = {}
_MAX_REMEMBERED = 1024


def ipFamily(host: str) -> int:
    """
    The address family of an IP literal.

    @param host: an IPv4 or IPv6 address literal (IPv6 may carry a
        C{%scope} suffix).
    @return: C{AF_INET} or C{AF_INET6}.
    @raise AddressFamilyError: C{host} is not an IP literal.
    @raise TypeError: C{host} is not a string.
    """
    if host.__class__ is str:
        family = _familyOf.get(host)
        if family is not None:
            return family
    elif not isinstance(host, str):
        raise TypeError(f"host must be a str IP address literal, not {type(host).__name__}")
    family = _parseFamily(host)
    if len(_familyOf) >= _MAX_REMEMBERED:
        _familyOf.clear()
    _familyOf[str(host)] = family
    return family


def _parseFamily(host: str) -> int:
    try:
        socket.inet_pton(socket.AF_INET, host)
        return socket.AF_INET
    except OSError:
        pass
    try:
        socket.inet_pton(socket.AF_INET6, host.split("%", 1)[0])
        return socket.AF_INET6
    except OSError:
        raise AddressFamilyError(
            f"{host!r} is not an IPv4 or IPv6 address literal "
            "(txsctp does not resolve names at the socket layer)"
        ) from None


def _checkPort(port: object) -> int:
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"port must be an int, not {type(port).__name__}")
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"port {port} is out of range 0..65535")
    return port


def normalizeAddresses(
    addresses: Union[AddressLike, Iterable[AddressLike]], port: int | None = None
) -> List[HostPort]:
    """
    Turn the forms users give addresses in into a list of C{(host, port)}.

    Accepted: one C{"host"} or C{(host, port)}, or an iterable of those.  A
    bare host takes C{port}, which must then be given.

    @raise TypeError: for a wrong type.
    @raise ValueError: for an empty list, a missing or out-of-range port.
    @raise AddressFamilyError: for something that is not an IP literal.
    """
    if isinstance(addresses, (str, tuple)):
        items: List[AddressLike] = [addresses]
    else:
        try:
            items = list(addresses)
        except TypeError:
            raise TypeError(
                "addresses must be a host string, a (host, port) tuple or a "
                f"list of those, not {type(addresses).__name__}"
            ) from None
    if not items:
        raise ValueError("the address list is empty")
    result: List[HostPort] = []
    for item in items:
        if isinstance(item, str):
            if port is None:
                raise ValueError(f"address {item!r} needs a port")
            host, p = item, port
        elif isinstance(item, tuple) and len(item) >= 2:
            host, p = item[0], item[1]
        else:
            raise TypeError(
                f"address {item!r} must be a host string or a (host, port) tuple"
            )
        ipFamily(host)
        result.append((host, _checkPort(p)))
    return result


def checkFamilies(socketFamily: int, addresses: Sequence[HostPort]) -> None:
    """
    Check that every address may be used on a socket of C{socketFamily}: an
    AF_INET socket takes IPv4 only, an AF_INET6 socket takes both.

    @raise AddressFamilyError: naming the first address that does not fit.
    """
    if socketFamily == socket.AF_INET6:
        return
    for host, _ in addresses:
        if ipFamily(host) != socket.AF_INET:
            raise AddressFamilyError(
                f"address {host!r} is IPv6 but the socket is AF_INET; "
                "use an AF_INET6 socket for IPv6 or mixed address lists"
            )


def sameTransportAddress(a: HostPort, b: HostPort) -> bool:
    """
    Whether two C{(host, port)} pairs name the same SCTP transport address:
    the same port and the same IP address, however written (an IPv4-mapped
    IPv6 address equals its IPv4 address).
    """
    if a[1] != b[1]:
        return False
    x, y = ipaddress.ip_address(a[0].split("%", 1)[0]), ipaddress.ip_address(b[0].split("%", 1)[0])
    x = getattr(x, "ipv4_mapped", None) or x
    y = getattr(y, "ipv4_mapped", None) or y
    return x == y


def packOne(host: str, port: int, into: Optional[CData] = None) -> Tuple[CData, int]:
    """
    Pack one address into a C{struct sockaddr_in} or C{sockaddr_in6}.

    @param into: optional C{struct sockaddr_storage *} to fill instead of
        allocating.
    @return: C{(cdata pointer, size)}.
    """
    family = ipFamily(host)
    if family == socket.AF_INET:
        sin = ffi.cast("struct sockaddr_in *", into) if into is not None else ffi.new("struct sockaddr_in *")
        sin.sin_family = socket.AF_INET
        sin.sin_port = socket.htons(port)
        ffi.memmove(ffi.addressof(sin.sin_addr), socket.inet_pton(socket.AF_INET, host), 4)
        return sin, _SIN_SIZE
    hostPart, _, scope = host.partition("%")
    sin6 = ffi.cast("struct sockaddr_in6 *", into) if into is not None else ffi.new("struct sockaddr_in6 *")
    sin6.sin6_family = socket.AF_INET6
    sin6.sin6_port = socket.htons(port)
    sin6.sin6_flowinfo = 0
    ffi.memmove(sin6.sin6_addr.s6_addr, socket.inet_pton(socket.AF_INET6, hostPart), 16)
    if scope:
        sin6.sin6_scope_id = int(scope) if scope.isdigit() else socket.if_nametoindex(scope)
    else:
        sin6.sin6_scope_id = 0
    return sin6, _SIN6_SIZE


def packList(addresses: Sequence[HostPort]) -> bytes:
    """
    Pack addresses back to back, each C{sockaddr_in} or C{sockaddr_in6} at
    its own size, as C{bindx}/C{connectx} and C{SCTP_DSTADDRV4/6} want.
    """
    key = tuple(addresses)
    try:
        packed = _packed.get(key)
    except TypeError:  # not (host, port) tuples: nothing to remember it by
        return _packAll(key)
    if packed is None:
        packed = _packAll(key)
        # Not remembered with a zone, which may name an interface.
        if not any("%" in host for host, _ in key):
            if len(_packed) >= _MAX_REMEMBERED:
                _packed.clear()
            _packed[key] = packed
    return packed


def _packAll(addresses: Sequence[HostPort]) -> bytes:
    out = []
    for host, port in addresses:
        ptr, size = packOne(host, port)
        out.append(bytes(ffi.buffer(ptr, size)))
    return b"".join(out)


def _scoped(host: str) -> bool:
    """
    Whether an IPv6 address is meaningful only with a scope (zone): unicast
    link-local C{fe80::/10}, or multicast of interface/link-local scope.
    """
    try:
        first = socket.inet_pton(socket.AF_INET6, host)[:2]
    except OSError:
        return False
    if first[0] == 0xFE and first[1] & 0xC0 == 0x80:
        return True
    return first[0] == 0xFF and first[1] & 0x0F in (1, 2)


def unpackOne(ptr: CData) -> HostPort | None:
    """
    Read a C{struct sockaddr *} (or storage) into C{(host, port)}.

    @return: the address, or C{None} for an unset (family 0) address.
    @raise AddressFamilyError: for a family other than IPv4/IPv6.
    """
    sa = ffi.cast("struct sockaddr *", ptr)
    family = sa.sa_family
    if family == socket.AF_INET:
        sin = ffi.cast("struct sockaddr_in *", ptr)
        host = socket.inet_ntop(socket.AF_INET, ffi.buffer(ffi.addressof(sin.sin_addr), 4))
        return host, socket.ntohs(sin.sin_port)
    if family == socket.AF_INET6:
        sin6 = ffi.cast("struct sockaddr_in6 *", ptr)
        host = socket.inet_ntop(socket.AF_INET6, ffi.buffer(sin6.sin6_addr.s6_addr, 16))
        if host.startswith(_MAPPED_PREFIX) and "." in host:
            host = host[len(_MAPPED_PREFIX):]
        elif sin6.sin6_scope_id and _scoped(host):
            # The kernel also fills in an interface index for addresses
            # that have no scope (it reports ::1 with scope 1, lo's
            # index): only link-local addresses carry it, so that ::1
            # reads back as "::1".
            host = f"{host}%{sin6.sin6_scope_id}"
        return host, socket.ntohs(sin6.sin6_port)
    if family == 0:
        return None
    raise AddressFamilyError(f"unexpected address family {family}")


def unpackList(buf: CData, count: int, size: int) -> List[HostPort]:
    """
    Read C{count} packed addresses from C{buf} (C{size} bytes long), as the
    kernel returns them from C{SCTP_GET_PEER_ADDRS}/C{SCTP_GET_LOCAL_ADDRS}.
    """
    result: List[HostPort] = []
    if count <= 0:
        return result
    # One copy of the bytes the addresses can occupy (each at most a
    # sockaddr_in6), read with struct: no cdata per address; and the
    # addresses seen before (a program's peers) by their bytes.
    data = ffi.buffer(buf, max(0, min(size, count * _SIN6_SIZE)))[:]
    offset = 0
    for _ in range(count):
        if offset + _SA_SIZE > size:
            break
        family = _U16.unpack_from(data, offset)[0]
        step = _SIN_SIZE if family == _AF_INET else _SIN6_SIZE
        if offset + step > size:
            break
        raw = data[offset:offset + step]
        address = _unpacked.get(raw)
        if address is None:
            address = _unpackRaw(raw, family)
            if address is not None:
                if len(_unpacked) >= _MAX_REMEMBERED:
                    _unpacked.clear()
                _unpacked[raw] = address
        if address is not None:
            result.append(address)
        offset += step
    return result


def _unpackRaw(raw: bytes, family: int) -> HostPort | None:
    """
    L{unpackOne} for the bytes of one C{sockaddr_in} or C{sockaddr_in6}.
    """
    if family == _AF_INET:
        return _inet_ntop(_AF_INET, raw[_SIN_ADDR:_SIN_ADDR + 4]), _NET_U16.unpack_from(raw, _SIN_PORT)[0]
    if family == _AF_INET6:
        host = _inet_ntop(_AF_INET6, raw[_SIN6_ADDR:_SIN6_ADDR + 16])
        if host.startswith(_MAPPED_PREFIX) and "." in host:
            host = host[len(_MAPPED_PREFIX):]
        else:
            scope = _U32.unpack_from(raw, _SIN6_SCOPE)[0]
            if scope and _scoped(host):
                # As unpackOne: only link-local addresses carry it.
                host = f"{host}%{scope}"
        return host, _NET_U16.unpack_from(raw, _SIN6_PORT)[0]
    if family == 0:
        return None
    raise AddressFamilyError(f"unexpected address family {family}")


def fillStorage(storage: CData, host: str, port: int) -> None:
    """
    Write one address into an existing C{struct sockaddr_storage} field.
    """
    packOne(host, port, into=ffi.addressof(storage))


def readStorage(storage: CData) -> HostPort | None:
    """
    Read a C{struct sockaddr_storage} field, C{None} if unset.
    """
    return unpackOne(ffi.addressof(storage))


