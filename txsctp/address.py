"""
The address type of SCTP transports.

Twisted's C{IPv4Address} refuses the type C{"SCTP"} and has room for one host
only; an SCTP association has a port and a I{list} of addresses (the primary
one first).
"""

from __future__ import annotations

from typing import Iterable, Optional, Tuple

import attr

from zope.interface import implementer

from twisted.internet.interfaces import IAddress

__all__ = ["SCTPAddress"]


def _hostTuple(hosts: Iterable[str]) -> Tuple[str, ...]:
    """
    The converter of L{SCTPAddress.addresses}: any iterable of hosts, kept
    as a tuple (a named function, so that type checkers know what
    C{SCTPAddress(addresses=...)} accepts).
    """
    return tuple(hosts)


@implementer(IAddress)
@attr.s(frozen=True, slots=True, auto_attribs=True)
class SCTPAddress:
    """
    An SCTP endpoint: one port, one or more IP addresses.

    @ivar type: always C{"SCTP"}.
    @ivar host: the primary address (C{addresses[0]}).
    @ivar port: the SCTP port.
    @ivar addresses: every address of the endpoint, primary first.
    @ivar assocId: the association id this address was read for (0 for a
        socket's own endpoint).
    @ivar udpPort: the UDP port the SCTP packets travel in (SCTP over UDP,
        RFC 6951: the userspace stack), or C{None} for SCTP directly over
        IP.
    """

    host: str
    port: int
    addresses: Tuple[str, ...] = attr.ib(default=(), converter=_hostTuple)
    assocId: int = 0
    udpPort: Optional[int] = None
    type: str = attr.ib(default="SCTP", init=False)

    def __attrs_post_init__(self) -> None:
        if not self.addresses:
            object.__setattr__(self, "addresses", (self.host,))

    @classmethod
    def fromPairs(cls, pairs: Iterable[Tuple[str, int]], assocId: int = 0,
                  udpPort: Optional[int] = None) -> SCTPAddress:
        """
        Build from a list of C{(host, port)} pairs as the socket layer
        returns them (primary first).

        @raise ValueError: for an empty list.
        """
        pairs = list(pairs)
        if not pairs:
            raise ValueError("an SCTP address needs at least one (host, port)")
        host, port = pairs[0]
        if len(pairs) == 1:
            return cls(host, port, (host,), assocId, udpPort)
        hosts = []
        for h, _ in pairs:
            if h not in hosts:
                hosts.append(h)
        return cls(host, port, tuple(hosts), assocId, udpPort)

    def __str__(self) -> str:
        hosts = ",".join(f"[{h}]" if ":" in h else h for h in self.addresses)
        over = "" if self.udpPort is None else f" over udp:{self.udpPort}"
        return f"sctp:{hosts}:{self.port}{over}"
