"""
txsctp: SCTP (RFC 9260) for Twisted.

Importing this package is cheap: it loads neither the compiled cffi module
nor a reactor; the names below are imported on first use.

  - L{listenSCTP}, L{connectSCTP}: ports and connectors.
  - L{SCTPProtocol}: Protocols with C{messageReceived(data, info)} and
    notification callbacks.
  - L{SCTPAddress}: the address type of SCTP transports.
  - L{SCTPSocket}: the socket layer, usable without a reactor.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any, List

__version__ = "0.1.0"

if TYPE_CHECKING:  # for type checkers and pydoctor; at run time: __getattr__
    from txsctp._api import connectSCTP, listenSCTP
    from txsctp._transport import SCTPTransport
    from txsctp.address import SCTPAddress
    from txsctp.endpoints import SCTPClientEndpoint, SCTPServerEndpoint
    from txsctp.info import PPID, RcvInfo
    from txsctp.options import Tuning
    from txsctp.protocol import SCTPProtocol
    from txsctp.sctpsocket import ONE_TO_MANY, ONE_TO_ONE, SCTPSocket

_LAZY = {
    "listenSCTP": "txsctp._api",
    "connectSCTP": "txsctp._api",
    "SCTPProtocol": "txsctp.protocol",
    "SCTPAddress": "txsctp.address",
    "SCTPSocket": "txsctp.sctpsocket",
    "SCTPTransport": "txsctp._transport",
    "RcvInfo": "txsctp.info",
    "PPID": "txsctp.info",
    "Tuning": "txsctp.options",
    "ONE_TO_ONE": "txsctp.sctpsocket",
    "ONE_TO_MANY": "txsctp.sctpsocket",
    "SCTPServerEndpoint": "txsctp.endpoints",
    "SCTPClientEndpoint": "txsctp.endpoints",
}

__all__ = [
    "ONE_TO_MANY",
    "ONE_TO_ONE",
    "PPID",
    "RcvInfo",
    "SCTPAddress",
    "SCTPClientEndpoint",
    "SCTPProtocol",
    "SCTPServerEndpoint",
    "SCTPSocket",
    "SCTPTransport",
    "Tuning",
    "connectSCTP",
    "listenSCTP",
    "__version__",
]
assert set(__all__) == set(_LAZY) | {"__version__"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'txsctp' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return __all__
