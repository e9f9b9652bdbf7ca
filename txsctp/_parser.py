"""
Endpoint description strings for SCTP: the C{sctp:} prefix of
L{twisted.internet.endpoints.serverFromString} and
L{twisted.internet.endpoints.clientFromString}.

This module is imported by the Twisted plugin dropin
(C{twisted/plugins/txsctp_endpoints.py}) whenever any program looks for
endpoint plugins, so it must stay cheap: it imports neither the reactor nor
txsctp's cffi extension at module scope.  The endpoint classes (and with them
the socket layer) are imported only when a description is actually parsed.

Server descriptions::

    sctp:PORT[:interface=ADDR[,ADDR...]][:backlog=N][:style=one-to-one|one-to-many]
        [:outStreams=N][:inStreams=N][:maxAttempts=N][:maxMessageSize=SIZE]
        [:maxAssociations=N][:bundle=BOOL][:nodelay=BOOL][:sendBufferSize=SIZE]
        [:receiveBufferSize=SIZE][:sackFrequency=N][:sackDelay=MS]
        [:stack=kernel|userspace][:udpPort=PORT][:remoteUdpPort=PORT]

C{port=PORT} may be given as a keyword instead.

Client descriptions::

    sctp:host=ADDR[,ADDR...]:port=PORT[:timeout=SECONDS]
        [:bindAddress=ADDR[,ADDR...]][:bindPort=PORT]
        [:outStreams=N][:inStreams=N][:maxAttempts=N][:maxMessageSize=SIZE]
        [:bundle=BOOL][:nodelay=BOOL][:sendBufferSize=SIZE][:receiveBufferSize=SIZE]
        [:sackFrequency=N][:sackDelay=MS]
        [:stack=kernel|userspace][:udpPort=PORT][:remoteUdpPort=PORT]

C{host} and C{port} may also be given positionally (C{sctp:HOST:PORT}).
C{bindPort} fixes the client's local port (on the C{bindAddress} addresses,
or on the wildcard address without them), as M3UA and Diameter peers often
expect.  The tuning keywords override fields of
L{txsctp.options.DEFAULT_TUNING}; C{bundle} is the C{bundle} argument of
L{txsctp.listenSCTP} / L{txsctp.connectSCTP} (batches of small messages
bundled into full packets).  C{stack}, C{udpPort} and C{remoteUdpPort} are
theirs too: C{stack=userspace} runs SCTP in this process over UDP
(C{udpPort}: the local UDP port, default 9899 for a server and any free
one for a client; C{remoteUdpPort}: the peer's, default 9899); with the
kernel stack C{remoteUdpPort} UDP-encapsulates the associations.

Local addresses (C{interface}, C{bindAddress}) are IP literals; a client's
C{host} may also be a DNS name, resolved when connecting.  A list is
separated by commas and is bound or connected on one socket
(multi-homing).  IPv6 addresses have their colons escaped with
backslashes, the Twisted way (C{interface=\\:\\:1},
C{host=fe80\\:\\:1%eth0}).  C{SIZE} is a number of
bytes with an optional binary suffix C{K}, C{M} or C{G}; C{BOOL} is one of
C{1 0 yes no true false on off}.  Keyword names are case-sensitive
camelCase, and every malformed description raises L{ValueError} naming the
problem.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from zope.interface import implementer

from twisted.internet.interfaces import (
    IStreamClientEndpointStringParserWithReactor,
    IStreamServerEndpointStringParser,
)
from twisted.plugin import IPlugin

if TYPE_CHECKING:  # imported when used: this module stays cheap
    from txsctp.endpoints import SCTPClientEndpoint, SCTPServerEndpoint

__all__ = [
    "SCTPServerParser",
    "SCTPClientParser",
    "parseServerArguments",
    "parseClientArguments",
    "splitDescription",
    "parseServerDescription",
    "parseClientDescription",
    "STYLES",
]

STYLES = ("one-to-one", "one-to-many")
"""The socket styles a server description may ask for."""

STACKS = ("kernel", "userspace")
"""The SCTP stacks a description may ask for."""

_TUNING_KEYWORDS = (
    "nodelay",
    "sendBufferSize",
    "receiveBufferSize",
    "sackFrequency",
    "sackDelay",
)
_COMMON_KEYWORDS = (
    "outStreams",
    "inStreams",
    "maxAttempts",
    "maxMessageSize",
    "bundle",
    "stack",
    "udpPort",
    "remoteUdpPort",
) + _TUNING_KEYWORDS
_SERVER_KEYWORDS = (
    "port",
    "interface",
    "backlog",
    "style",
    "maxAssociations",
) + _COMMON_KEYWORDS
_CLIENT_KEYWORDS = (
    "host",
    "port",
    "timeout",
    "bindAddress",
    "bindPort",
) + _COMMON_KEYWORDS

_DIGITS = re.compile(r"[0-9]+")
_SIZE = re.compile(r"([0-9]+)([kKmMgG]?)")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
_BOOLEANS = {
    "1": True,
    "yes": True,
    "true": True,
    "on": True,
    "0": False,
    "no": False,
    "false": False,
    "off": False,
}
_ESCAPE_HINT = (
    "IPv6 addresses need every colon escaped with a backslash, "
    "e.g. interface=\\:\\:1 or host=fe80\\:\\:1%eth0"
)


def _integer(name: str, value: str, low: int, high: int) -> int:
    """
    Parse a decimal integer keyword within C{low..high}.

    @raise ValueError: naming C{name} when C{value} is not one.
    """
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise ValueError(
            f"{name} must be a whole number from {low} to {high}, not {value!r}"
        )
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"{name} must be from {low} to {high}, not {number}")
    return number


def _port(name: str, value: str) -> int:
    return _integer(name, value, 0, 65535)


def _size(name: str, value: str) -> int:
    """
    Parse a byte count with an optional binary suffix (K, M, G).

    @raise ValueError: naming C{name} for anything else or for zero.
    """
    match = _SIZE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f"{name} must be a number of bytes, optionally with a K, M or G "
            f"suffix (e.g. 65536 or 64K), not {value!r}"
        )
    number = int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]
    if not 1 <= number <= (1 << 31) - 1:
        raise ValueError(f"{name} must be from 1 byte to 2G-1, not {number}")
    return number


def _boolean(name: str, value: str) -> bool:
    try:
        return _BOOLEANS[value.lower()]
    except (KeyError, AttributeError):
        raise ValueError(
            f"{name} must be one of {', '.join(_BOOLEANS)}, not {value!r}"
        ) from None


def _seconds(name: str, value: str) -> float:
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise ValueError(f"{name} must be a number of seconds (e.g. 5 or 0.5), not {value!r}")
    seconds = float(value)
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"{name} must be more than 0 seconds, not {value!r}")
    return seconds


_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}\.?$){_LABEL}(?:\.{_LABEL})*\.?", re.ASCII)


def _isHostname(text: str) -> bool:
    """
    Whether C{text} is a syntactically valid DNS name (and not a malformed
    dotted-decimal address: the last label may not be all digits).
    """
    if not _HOSTNAME.fullmatch(text):
        return False
    return not text.rstrip(".").rsplit(".", 1)[-1].isdigit()


def _ipLiteral(name: str, text: str, allowNames: bool = False) -> str:
    """
    Check one IP address literal (an IPv6 one may carry a C{%scope}), or
    with C{allowNames} a host name.

    @return: C{text} unchanged.
    @raise ValueError: naming C{name} when C{text} is neither.
    """
    try:
        ipaddress.ip_address(text)
    except ValueError:
        if allowNames and _isHostname(text):
            return text
        hint = ""
        if text.startswith("[") or text.endswith("]"):
            hint = " (write IPv6 addresses without brackets, colons escaped)"
        elif not allowNames and _isHostname(text):
            hint = " (only IP address literals are taken here: names are not resolved)"
        what = "an IP address literal or a host name" if allowNames else (
            "an IPv4 or IPv6 address literal")
        raise ValueError(f"{name}: {text!r} is not {what}{hint}") from None
    return text


def _addressList(name: str, value: str, allowNames: bool = False) -> List[str]:
    """
    Parse a comma-separated list of IP literals (or, with C{allowNames},
    host names too), each at most once.

    @raise ValueError: naming C{name} for an empty entry, a non-literal or a
        repeated address.
    """
    hosts: List[str] = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            raise ValueError(
                f"{name} has an empty address in {value!r} (addresses are "
                "separated by single commas)"
            )
        _ipLiteral(name, item, allowNames)
        if item in hosts:
            raise ValueError(f"{name} lists {item!r} twice")
        hosts.append(item)
    return hosts


def _checkKeywords(kind: str, kwargs: Dict[str, str], known: Sequence[str]) -> None:
    for key in kwargs:
        if key in known:
            continue
        suggestion = ""
        lowered = {k.lower(): k for k in known}
        if key.lower() in lowered:
            suggestion = f" (did you mean {lowered[key.lower()]}? keywords are camelCase)"
        else:
            close = difflib.get_close_matches(key, known, n=1)
            if close:
                suggestion = f" (did you mean {close[0]}?)"
        raise ValueError(
            f"unknown keyword {key!r} in an sctp {kind} endpoint description"
            f"{suggestion}; known keywords: {', '.join(known)}"
        )
    for key, value in kwargs.items():
        if not isinstance(value, str):
            raise ValueError(f"{key} must be given as a string, not {type(value).__name__}")


def _stray(kind: str, extra: Sequence[str]) -> ValueError:
    return ValueError(
        f"unexpected extra positional argument(s) {list(extra)!r} in an sctp "
        f"{kind} endpoint description; {_ESCAPE_HINT}"
    )


def _common(kwargs: Dict[str, str], into: Dict[str, Any]) -> None:
    """
    Parse the keywords servers and clients share into C{into}.
    """
    if "outStreams" in kwargs:
        into["outStreams"] = _integer("outStreams", kwargs["outStreams"], 1, 65535)
    if "inStreams" in kwargs:
        into["inStreams"] = _integer("inStreams", kwargs["inStreams"], 1, 65535)
    if "maxAttempts" in kwargs:
        into["maxAttempts"] = _integer("maxAttempts", kwargs["maxAttempts"], 1, 65535)
    if "maxMessageSize" in kwargs:
        into["maxMessageSize"] = _size("maxMessageSize", kwargs["maxMessageSize"])
    if "bundle" in kwargs:
        into["bundle"] = _boolean("bundle", kwargs["bundle"])
    if "stack" in kwargs:
        stack = kwargs["stack"].strip().lower()
        if stack not in STACKS:
            raise ValueError(f"stack must be kernel or userspace, not {kwargs['stack']!r}")
        into["stack"] = stack
    if "udpPort" in kwargs:
        if into.get("stack", "kernel") != "userspace":
            raise ValueError("udpPort needs stack=userspace (the kernel receives SCTP over UDP on its "
                             "host-wide port, the sysctl net.sctp.udp_port)")
        into["udpPort"] = _port("udpPort", kwargs["udpPort"])
    if "remoteUdpPort" in kwargs:
        into["remoteUdpPort"] = _integer("remoteUdpPort", kwargs["remoteUdpPort"], 1, 65535)
    tuning: Dict[str, Any] = {}
    if "nodelay" in kwargs:
        tuning["nodelay"] = _boolean("nodelay", kwargs["nodelay"])
    if "sendBufferSize" in kwargs:
        tuning["sendBufferSize"] = _size("sendBufferSize", kwargs["sendBufferSize"])
    if "receiveBufferSize" in kwargs:
        tuning["receiveBufferSize"] = _size("receiveBufferSize", kwargs["receiveBufferSize"])
    if "sackFrequency" in kwargs:
        tuning["sackFrequency"] = _integer("sackFrequency", kwargs["sackFrequency"], 1, 65535)
    if "sackDelay" in kwargs:
        tuning["sackDelay"] = _integer("sackDelay", kwargs["sackDelay"], 1, 500)
    if tuning:
        into["tuning"] = tuning


def parseServerArguments(*args: str, **kwargs: str) -> Dict[str, Any]:
    """
    Turn the arguments of an C{sctp:} server description (as split by
    Twisted) into typed keyword arguments for
    L{txsctp.endpoints.SCTPServerEndpoint}.

    @param args: positional arguments: at most the port.
    @param kwargs: keyword arguments, all strings.
    @return: a dict with C{port} and whichever of C{interface}, C{backlog},
        C{style}, C{outStreams}, C{inStreams}, C{maxAttempts},
        C{maxMessageSize}, C{maxAssociations}, C{bundle} and C{tuning} (itself a dict of
        L{txsctp.options.Tuning} field overrides) were given.
    @raise ValueError: for a malformed description, naming the problem.
    """
    _checkKeywords("server", kwargs, _SERVER_KEYWORDS)
    rest = list(args)
    if "port" in kwargs:
        if rest:
            raise ValueError(
                f"the port is given twice (positional {rest[0]!r} and "
                f"port={kwargs['port']!r})"
                + (f"; {_ESCAPE_HINT}" if "interface" in kwargs else "")
            )
        portText = kwargs["port"]
    elif rest:
        portText = rest.pop(0)
        if rest:
            raise _stray("server", rest)
    else:
        raise ValueError("an sctp server endpoint description needs a port, e.g. sctp:2905")
    result: Dict[str, Any] = {"port": _port("port", portText)}
    if "interface" in kwargs:
        interface = kwargs["interface"]
        if interface.strip() == "":
            result["interface"] = ""
        else:
            hosts = _addressList("interface", interface)
            result["interface"] = hosts[0] if len(hosts) == 1 else hosts
    if "backlog" in kwargs:
        result["backlog"] = _integer("backlog", kwargs["backlog"], 0, 65535)
    if "style" in kwargs:
        style = kwargs["style"].strip().lower()
        if style not in STYLES:
            raise ValueError(
                f"style must be one-to-one or one-to-many, not {kwargs['style']!r}"
            )
        result["style"] = style
    if "maxAssociations" in kwargs:
        result["maxAssociations"] = _integer(
            "maxAssociations", kwargs["maxAssociations"], 1, (1 << 31) - 1
        )
    _common(kwargs, result)
    return result


def parseClientArguments(*args: str, **kwargs: str) -> Dict[str, Any]:
    """
    Turn the arguments of an C{sctp:} client description (as split by
    Twisted) into typed keyword arguments for
    L{txsctp.endpoints.SCTPClientEndpoint}.

    @param args: positional arguments: the host and/or the port, in that
        order, for whichever is not given as a keyword.
    @param kwargs: keyword arguments, all strings.
    @return: a dict with C{host} (a str, or a list of str for several
        addresses), C{port} and whichever of C{timeout}, C{bindAddress},
        C{outStreams}, C{inStreams}, C{maxAttempts}, C{maxMessageSize},
        C{bundle} and C{tuning} were given.  C{bindAddress} is a host, a C{(host, port)},
        or a list of either, as C{connectSCTP} takes it.
    @raise ValueError: for a malformed description, naming the problem.
    """
    _checkKeywords("client", kwargs, _CLIENT_KEYWORDS)
    rest = list(args)
    hostText = kwargs.get("host")
    portText = kwargs.get("port")
    if hostText is None and rest:
        hostText = rest.pop(0)
    if portText is None and rest:
        portText = rest.pop(0)
    if rest:
        raise _stray("client", rest)
    if hostText is None or hostText.strip() == "":
        raise ValueError(
            "an sctp client endpoint description needs a host, "
            "e.g. sctp:host=192.0.2.1:port=2905"
        )
    if portText is None:
        raise ValueError(
            "an sctp client endpoint description needs a port, "
            "e.g. sctp:host=192.0.2.1:port=2905"
        )
    hosts = _addressList("host", hostText, allowNames=True)
    port = _port("port", portText)
    if port == 0:
        raise ValueError("port must be from 1 to 65535 for a client, not 0")
    result: Dict[str, Any] = {
        "host": hosts[0] if len(hosts) == 1 else hosts,
        "port": port,
    }
    if "timeout" in kwargs:
        result["timeout"] = _seconds("timeout", kwargs["timeout"])
    bindHosts: Optional[List[str]] = None
    if "bindAddress" in kwargs and kwargs["bindAddress"].strip() != "":
        bindHosts = _addressList("bindAddress", kwargs["bindAddress"])
    if "bindPort" in kwargs:
        bindPort = _port("bindPort", kwargs["bindPort"])
        if bindHosts is None:
            wildcard = "::" if any(":" in h for h in hosts) else "0.0.0.0"
            result["bindAddress"] = (wildcard, bindPort)
        elif len(bindHosts) == 1:
            result["bindAddress"] = (bindHosts[0], bindPort)
        else:
            result["bindAddress"] = [(h, bindPort) for h in bindHosts]
    elif bindHosts is not None:
        result["bindAddress"] = bindHosts[0] if len(bindHosts) == 1 else bindHosts
    _common(kwargs, result)
    return result


def splitDescription(description: str) -> Tuple[List[str], Dict[str, str]]:
    """
    Split an endpoint description into positional and keyword arguments the
    way L{twisted.internet.endpoints} does: parts separated by C{:}, the
    first C{=} of a part separating a keyword from its value, a backslash
    escaping the character after it.

    Unlike Twisted's own splitter, a description ending in a lone backslash
    raises L{ValueError} instead of C{RuntimeError}.

    @return: C{(args, kwargs)}; C{args[0]} is the prefix (C{"sctp"}).
    @raise ValueError: for a dangling backslash or a repeated keyword.
    """
    if not isinstance(description, str):
        raise ValueError(f"an endpoint description must be a str, not {type(description).__name__}")
    args: List[str] = []
    kwargs: Dict[str, str] = {}
    parts: List[str] = []
    current: List[str] = []
    sawEquals = False
    chars = iter(description)

    def endPart() -> None:
        parts.append("".join(current))
        if len(parts) == 1:
            args.append(parts[0])
        else:
            key, value = parts
            if key in kwargs:
                raise ValueError(f"keyword {key!r} is given twice in {description!r}")
            kwargs[key] = value

    for char in chars:
        if char == ":":
            endPart()
            parts, current, sawEquals = [], [], False
        elif char == "=" and not sawEquals:
            parts.append("".join(current))
            current, sawEquals = [], True
        elif char == "\\":
            try:
                current.append(next(chars))
            except StopIteration:
                raise ValueError(
                    f"endpoint description {description!r} ends in a lone backslash"
                ) from None
        else:
            current.append(char)
    endPart()
    return args, kwargs


def _checkPrefix(args: List[str], description: str) -> List[str]:
    if not args or args[0].lower() != "sctp":
        raise ValueError(f"not an sctp endpoint description: {description!r}")
    return args[1:]


def parseServerDescription(description: str) -> Dict[str, Any]:
    """
    Parse a whole C{sctp:...} server description into the typed keyword
    arguments of L{parseServerArguments}, without building an endpoint.

    @raise ValueError: for a malformed description.
    """
    args, kwargs = splitDescription(description)
    return parseServerArguments(*_checkPrefix(args, description), **kwargs)


def parseClientDescription(description: str) -> Dict[str, Any]:
    """
    Parse a whole C{sctp:...} client description into the typed keyword
    arguments of L{parseClientArguments}, without building an endpoint.

    @raise ValueError: for a malformed description.
    """
    args, kwargs = splitDescription(description)
    return parseClientArguments(*_checkPrefix(args, description), **kwargs)


def _withTuning(options: Dict[str, Any]) -> Dict[str, Any]:
    """
    Replace the C{tuning} overrides dict by a L{txsctp.options.Tuning}
    (importing the socket layer, which is why it is done here and not at
    module scope).
    """
    overrides = options.pop("tuning", None)
    if overrides:
        import attr

        from txsctp.options import DEFAULT_TUNING

        options["tuning"] = attr.evolve(DEFAULT_TUNING, **overrides)
    return options


@implementer(IPlugin, IStreamServerEndpointStringParser)
class SCTPServerParser:
    """
    The C{sctp:} server endpoint description parser (see the module
    docstring for the syntax).

    @ivar prefix: C{"sctp"}.
    """

    prefix = "sctp"

    def _parseServer(self, reactor: Any, *args: str, **kwargs: str) -> SCTPServerEndpoint:
        options = _withTuning(parseServerArguments(*args, **kwargs))
        from txsctp.endpoints import SCTPServerEndpoint

        return SCTPServerEndpoint(reactor, **options)

    # Any: Twisted declares object, and passes the description's strings.
    def parseStreamServer(self, reactor: Any, *args: Any, **kwargs: Any) -> SCTPServerEndpoint:
        """
        Build an L{txsctp.endpoints.SCTPServerEndpoint} from the split
        description.

        @raise ValueError: for a malformed description.
        """
        return self._parseServer(reactor, *args, **kwargs)


@implementer(IPlugin, IStreamClientEndpointStringParserWithReactor)
class SCTPClientParser:
    """
    The C{sctp:} client endpoint description parser (see the module
    docstring for the syntax).

    @ivar prefix: C{"sctp"}.
    """

    prefix = "sctp"

    def _parseClient(self, reactor: Any, *args: str, **kwargs: str) -> SCTPClientEndpoint:
        options = _withTuning(parseClientArguments(*args, **kwargs))
        from txsctp.endpoints import SCTPClientEndpoint

        return SCTPClientEndpoint(reactor, **options)

    # Any: Twisted declares object, and passes the description's strings.
    def parseStreamClient(self, reactor: Any, *args: Any, **kwargs: Any) -> SCTPClientEndpoint:
        """
        Build an L{txsctp.endpoints.SCTPClientEndpoint} from the split
        description.

        @raise ValueError: for a malformed description.
        """
        return self._parseClient(reactor, *args, **kwargs)
