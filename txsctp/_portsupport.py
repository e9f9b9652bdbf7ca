"""
What the ports and connectors of every stack share: checking and
normalising ports, host lists and bind addresses, mapping connect errors to
Twisted's, retiring timers, and stopping a listening port.
"""

from __future__ import annotations

import socket as _stdsocket
from typing import Any, List, Optional, Sequence, Tuple, Union

from twisted.internet import base, error

from txsctp import _addresses

__all__ = [
    "bindList",
    "checkOptionalSize",
    "connectError",
    "describeInterface",
    "familyFor",
    "hostList",
    "isLiteral",
    "portStopped",
    "retireTimer",
    "validatePort",
]


def familyFor(hosts: Sequence[str]) -> int:
    """
    The address family a socket needs for C{hosts}: C{AF_INET6} if any is
    an IPv6 literal (it serves IPv4 peers too), else C{AF_INET}.
    """
    for h in hosts:
        if _addresses.ipFamily(h) == _stdsocket.AF_INET6:
            return _stdsocket.AF_INET6
    return _stdsocket.AF_INET


def hostList(host: Union[str, Sequence[str]], what: str) -> List[str]:
    """
    C{host} as a list of host strings: one string, or a non-empty sequence
    of them.

    @param what: the parameter's name, for errors.
    @raise TypeError: not a string or a sequence of strings.
    @raise ValueError: an empty sequence.
    """
    if isinstance(host, str):
        hosts = [host]
    else:
        try:
            hosts = list(host)
        except TypeError:
            raise TypeError(f"{what} must be an address string or a list of them, not {host!r}") from None
    if not hosts:
        raise ValueError(f"{what} is an empty list")
    for h in hosts:
        if not isinstance(h, str):
            raise TypeError(f"{what} entries must be strings, not {h!r}")
    return hosts


def retireTimer(call: Optional[base.DelayedCall]) -> None:
    """
    Take a pending timer out of the reactor's way without a clock read;
    its function must do nothing by the time it runs.

    A cancelled call stays in the reactor's timer heap until its time
    comes (a connect timeout: 30 s by default), and while any call is
    there each reactor iteration reads the clock to compute its wake-up
    time (a system call in kernels without a vDSO clock, the test kernel
    among them).  So the call is moved to time 0 instead (C{delay} with
    minus its scheduled time: C{reset(0)} would read the clock): the next
    iteration runs it, a no-op, and the heap is empty again.
    """
    if call is not None and call.active():
        call.delay(-call.getTime())


def checkOptionalSize(name: str, value: object, minimum: int = 1) -> None:
    """
    Check a size or count option that may be C{None} (meaning: the
    default, or no limit).

    @raise TypeError: not an int (or C{None}).
    @raise ValueError: below C{minimum}.
    """
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")


def isLiteral(host: str) -> bool:
    """
    Whether C{host} is an IP literal (rather than a name to resolve).
    """
    try:
        _addresses.ipFamily(host)
        return True
    except ValueError:
        return False


def portStopped(port: Any) -> None:
    """
    A listening port has stopped: close its socket, stop its factory, fire
    the Deferred C{stopListening} returned.
    """
    if port.sock is not None:
        port.sock.close()
    port.factory.doStop()
    d = getattr(port, "deferred", None)
    if d is not None:
        del port.deferred
        d.callback(None)


def validatePort(port: object) -> None:
    """
    @raise TypeError: C{port} is not an int.
    @raise ValueError: C{port} is out of 0..65535.
    """
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"port must be an int, not {type(port).__name__}")
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"port {port} is out of range 0..65535")


def describeInterface(interface: Any) -> str:
    """
    C{interface} as C{CannotListenError} shows it.
    """
    # (Also called with the malformed interfaces that made binding fail.)
    if isinstance(interface, str):
        return interface
    try:
        return ",".join(str(i) for i in interface)
    except TypeError:
        return repr(interface)


def bindList(bindAddress: Any) -> List[Tuple[str, int]]:
    """
    Normalise a client's C{bindAddress}: None, a host, a C{(host, port)},
    or a list of hosts / C{(host, port)}.
    """
    if bindAddress is None:
        return []
    if isinstance(bindAddress, (str, tuple)):
        items = [bindAddress]
    else:
        items = list(bindAddress)
    pairs = []
    for item in items:
        if isinstance(item, str):
            pairs.append((item, 0))
        elif isinstance(item, tuple) and len(item) == 2:
            pairs.append((item[0], item[1]))
        else:
            raise TypeError(f"bindAddress entries must be hosts or (host, port) tuples, not {item!r}")
    pairs = _addresses.normalizeAddresses(pairs)
    ports = {p for _, p in pairs}
    if len(ports) > 1:
        raise ValueError(f"bindAddress entries must share one port, not {sorted(ports)}")
    return pairs


def connectError(e: Exception) -> Exception:
    """
    Map an exception raised while starting a connection to Twisted's
    C{ConnectError} family.
    """
    if isinstance(e, error.ConnectError):
        return e
    if isinstance(e, OSError) and e.errno:
        mapped: Exception = error.getConnectError((e.errno, str(e)))
        return mapped
    return error.ConnectError(string=str(e))
