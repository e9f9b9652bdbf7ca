"""
C{twistd sctp-probe}: an SCTP link prober for people who run signalling
links.

It keeps an association up to a peer (reconnecting with back-off when it
drops), sends timestamped pings on several streams, and every C{--interval}
seconds logs one report line with:

  - the application round-trip time (min/avg/max in ms) of the pings echoed
    back in that interval, per stream and overall, and how many pings went
    unanswered for longer than C{--timeout} (counted as lost);
  - throughput in each direction (messages/s and bit/s), including the
    optional C{--load} traffic;
  - every path of the association as the kernel sees it
    (C{SCTP_GET_PEER_ADDR_INFO}): state (ACTIVE, INACTIVE,
    POTENTIALLY_FAILED, UNCONFIRMED), smoothed RTT, RTO, congestion window
    and path MTU; the primary path is marked;
  - association events as they happen (up, restart, path state changes,
    shutdown, abort).

The pings need a peer that echoes messages back on the same stream: the
C{sctp-echo} plugin (L{txsctp.tap}), C{sctp_darn}/C{sctp_test} in echo mode,
or any SCTP echo service.  Against a peer that does not echo (an STP, an
MME, a Diameter agent...), run with C{--passive}: no application traffic is
sent and the report carries the kernel's per-path heartbeat RTT and state
only, which is what one watches during a failover test.

Wire format of a ping (all big-endian), padded with zero bytes to
C{--size}::

    magic "TXSP" (4) | sequence (u32) | stream (u16) | 0 (u16) | sent (u64, ns)

Load messages (C{--load N} messages/s) have magic C{"TXSL"} and count only
towards throughput.  Pings and load messages use PPID C{--ppid} (default 0).

Examples::

    twistd -n sctp-echo --listen sctp:2905 &
    twistd -n sctp-probe --connect sctp:host=127.0.0.1:port=2905 --streams 4
    twistd -n sctp-probe --connect "sctp:host=10.0.0.2,10.0.1.2:port=2905:bindAddress=10.0.0.1,10.0.1.1" \\
        --interval 0.5 --load 2000 --size 200
    twistd -n sctp-probe --connect sctp:host=192.0.2.7:port=3868 --passive --count 10

C{--count N} stops the reactor (and twistd) after N reports.  Each report is
a L{twisted.logger} event whose fields (C{rtt}, C{streams}, C{paths},
C{txRate}, ...) are machine-readable, e.g. with twistd's
C{--logger=twisted.logger.jsonFileLogObserver}-style observers.
"""

from __future__ import annotations

import struct
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from twisted.application import service
from twisted.application.internet import ClientService, backoffPolicy
from twisted.internet.interfaces import IAddress, IReactorTime, IStreamClientEndpoint
from twisted.internet.protocol import Factory, connectionDone
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from twisted.python import usage
from twisted.python.failure import Failure

from txsctp.info import RcvInfo
from txsctp.notifications import AssociationChange, PeerAddressChange, Shutdown
from txsctp.protocol import SCTPProtocol

__all__ = [
    "Options",
    "makeService",
    "ProbeService",
    "ProbeProtocol",
    "ProbeStats",
    "PING_MAGIC",
    "LOAD_MAGIC",
    "encodePing",
    "decodePing",
]

PING_MAGIC = b"TXSP"
LOAD_MAGIC = b"TXSL"
_HEADER = struct.Struct(">4sIHHQ")
HEADER_SIZE = _HEADER.size
"""Bytes of a ping's header; C{--size} may not be smaller."""

_log = Logger(namespace="txsctp.probe")


def encodePing(magic: bytes, sequence: int, stream: int, sentNs: int, size: int) -> bytes:
    """
    Build a ping or load message.

    @param size: total length (at least C{HEADER_SIZE}).
    """
    header = _HEADER.pack(magic, sequence & 0xFFFFFFFF, stream, 0, sentNs)
    return header + b"\0" * max(0, size - len(header))


def decodePing(data: bytes) -> Optional[Tuple[bytes, int, int, int]]:
    """
    Read a ping or load message's header.

    @return: C{(magic, sequence, stream, sentNs)}, or C{None} when C{data}
        is not one of ours.
    """
    if len(data) < HEADER_SIZE:
        return None
    magic, sequence, stream, _, sentNs = _HEADER.unpack_from(data)
    if magic not in (PING_MAGIC, LOAD_MAGIC):
        return None
    return magic, sequence, stream, sentNs


def _positive(kind: Callable[[str], Any], name: str, minimum: float) -> Callable[[str], Any]:
    def coerce(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise ValueError(f"--{name} must be a number, not {value!r}") from None
        if number < minimum:
            raise ValueError(f"--{name} must be at least {minimum}, not {value!r}")
        return number

    # Twisted's usage.Options reads coerceDoc from the function itself, an
    # attribute the type of a function does not declare.
    coerce.coerceDoc = f"(at least {minimum})"  # type: ignore[attr-defined]
    return coerce


class Options(usage.Options):
    """
    Command line options of C{twistd sctp-probe}.
    """

    synopsis = "--connect DESCRIPTION [options]"
    longdesc = (
        "Keep an SCTP association up to a peer, ping it on several streams "
        "and log RTT, path states and throughput every --interval seconds. "
        "--connect takes a client endpoint description such as "
        "sctp:host=127.0.0.1,127.0.0.2:port=2905:bindAddress=127.0.0.3."
    )
    optParameters = [
        ["connect", "c", None, "Client endpoint description of the peer (required)."],
        ["streams", "s", 4, "Ping on this many streams (0..N-1, capped by the "
         "negotiated outbound streams).", _positive(int, "streams", 1)],
        ["interval", "i", 1.0, "Seconds between reports.", _positive(float, "interval", 0.01)],
        ["ping-interval", "p", 0.2, "Seconds between ping rounds (one ping "
         "per stream each round).", _positive(float, "ping-interval", 0.001)],
        ["timeout", "t", 5.0, "Seconds after which an unanswered ping counts "
         "as lost.", _positive(float, "timeout", 0.01)],
        ["size", None, 64, "Bytes per ping and load message.", _positive(int, "size", HEADER_SIZE)],
        ["ppid", None, 0, "PPID of pings and load messages (host order).", _positive(int, "ppid", 0)],
        ["load", "L", 0, "Extra load messages per second (throughput test).", _positive(int, "load", 0)],
        ["count", "n", 0, "Stop after this many reports (0: run until stopped).",
         _positive(int, "count", 0)],
    ]
    optFlags = [
        ["passive", None, "Send nothing: report the kernel's path state and "
         "heartbeat RTT only (for peers that do not echo)."],
    ]

    def postOptions(self) -> None:
        if not self["connect"]:
            raise usage.UsageError(
                "--connect is required, e.g. --connect sctp:host=127.0.0.1:port=2905"
            )
        if self["ppid"] > 0xFFFFFFFF:
            raise usage.UsageError("--ppid must fit in 32 bits")
        description = self["connect"]
        if description.split(":", 1)[0].lower() == "sctp":
            from txsctp._parser import parseClientDescription

            try:
                parseClientDescription(description)
            except ValueError as e:
                raise usage.UsageError(f"--connect {description!r}: {e}") from None


class ProbeStats:
    """
    What the probe measured since the previous report (and in total).

    @ivar pings: pings sent in this interval.
    @ivar pongs: ping echoes received in this interval.
    @ivar rtts: per stream, the RTTs (ms) of the echoes in this interval.
    @ivar txMessages: messages sent in this interval (pings and load).
    @ivar txOctets: bytes sent in this interval.
    @ivar rxMessages: messages received in this interval.
    @ivar rxOctets: bytes received in this interval.
    @ivar lost: pings declared lost in this interval.
    @ivar foreign: messages received that were not our pings or load.
    @ivar outstanding: C{{sequence: (stream, sentNs)}} of unanswered pings.
    """

    def __init__(self) -> None:
        self.outstanding: Dict[int, Tuple[int, int]] = {}
        self.totalPings = 0
        self.totalPongs = 0
        self.totalLost = 0
        self.associations = 0
        self.reset()

    def reset(self) -> None:
        self.pings = 0
        self.pongs = 0
        self.lost = 0
        self.foreign = 0
        self.rtts: Dict[int, List[float]] = {}
        self.txMessages = 0
        self.txOctets = 0
        self.rxMessages = 0
        self.rxOctets = 0


def _rttSummary(samples: List[float]) -> Optional[Dict[str, float]]:
    if not samples:
        return None
    return {
        "min": min(samples),
        "avg": sum(samples) / len(samples),
        "max": max(samples),
        "n": len(samples),
    }


class ProbeProtocol(SCTPProtocol):
    """
    One association of the probe: sends pings (and load) and matches echoes.
    """

    _log = _log

    def __init__(self, probe: "ProbeService") -> None:
        self.probe = probe
        self._loops: List[LoopingCall] = []
        self._sequence = 0
        self._loadCredit = 0.0

    @property
    def stats(self) -> ProbeStats:
        return self.probe.stats

    def connectionMade(self) -> None:
        transport = self.transport
        self.stats.associations += 1
        self.probe._connected(self)
        self._log.info(
            "probe: association {assocId} up with {peer} ({outbound} outbound / "
            "{inbound} inbound streams)",
            assocId=getattr(transport, "assocId", None),
            peer=str(transport.getPeer()),
            outbound=getattr(transport, "outboundStreams", "?"),
            inbound=getattr(transport, "inboundStreams", "?"),
        )
        config = self.probe.config
        if config["passive"]:
            return
        clock = self.probe.clock
        ping = LoopingCall(self._pingRound)
        ping.clock = clock
        self._loops.append(ping)
        ping.start(config["ping-interval"], now=True).addErrback(
            lambda f: self._log.failure("probe: ping loop failed", f)
        )
        if config["load"]:
            self._loadTick = 0.05
            load = LoopingCall(self._loadRound)
            load.clock = clock
            self._loops.append(load)
            load.start(self._loadTick, now=False).addErrback(
                lambda f: self._log.failure("probe: load loop failed", f)
            )

    def _streams(self) -> int:
        negotiated: int = getattr(self.transport, "outboundStreams", None) or 1
        wanted: int = self.probe.config["streams"]
        return max(1, min(wanted, negotiated))

    def _send(self, magic: bytes, stream: int) -> None:
        config = self.probe.config
        now = time.monotonic_ns()
        self._sequence = (self._sequence + 1) & 0xFFFFFFFF
        data = encodePing(magic, self._sequence, stream, now, config["size"])
        self.transport.writeMessage(data, stream=stream, ppid=config["ppid"])
        stats = self.stats
        stats.txMessages += 1
        stats.txOctets += len(data)
        if magic == PING_MAGIC:
            stats.pings += 1
            stats.totalPings += 1
            stats.outstanding[self._sequence] = (stream, now)

    def _pingRound(self) -> None:
        try:
            for stream in range(self._streams()):
                self._send(PING_MAGIC, stream)
        except Exception as e:
            self._log.warn("probe: ping not sent: {error}", error=e)

    def _loadRound(self) -> None:
        self._loadCredit += self.probe.config["load"] * self._loadTick
        streams = self._streams()
        try:
            while self._loadCredit >= 1:
                self._loadCredit -= 1
                self._send(LOAD_MAGIC, self._sequence % streams)
        except Exception as e:
            # A full write queue: keep the credit bounded and try next tick.
            self._loadCredit = min(self._loadCredit, self.probe.config["load"])
            self._log.debug("probe: load message not sent: {error}", error=e)

    def messageReceived(self, data: bytes, info: RcvInfo) -> None:
        stats = self.stats
        stats.rxMessages += 1
        stats.rxOctets += len(data)
        decoded = decodePing(data)
        if decoded is None:
            stats.foreign += 1
            return
        magic, sequence, stream, sentNs = decoded
        if magic != PING_MAGIC:
            return
        pending = stats.outstanding.pop(sequence, None)
        if pending is None or pending[1] != sentNs:
            return
        rtt = (time.monotonic_ns() - sentNs) / 1e6
        stats.pongs += 1
        stats.totalPongs += 1
        stats.rtts.setdefault(stream, []).append(rtt)

    def associationRestarted(self, notification: AssociationChange) -> None:
        self._log.warn(
            "probe: peer restarted association {assocId}", assocId=notification.assocId
        )

    def peerAddressChanged(self, notification: PeerAddressChange) -> None:
        state = notification.state
        self._log.info(
            "probe: path {address} is now {state} (error {error})",
            address=notification.address,
            state=getattr(state, "name", state),
            error=notification.error,
        )

    def shutdownReceived(self, notification: Shutdown) -> None:
        self._log.info("probe: peer is shutting down the association")

    def _stopLoops(self) -> None:
        loops, self._loops = self._loops, []
        for loop in loops:
            if loop.running:
                loop.stop()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._stopLoops()
        self.probe._disconnected(self)
        self._log.warn(
            "probe: association lost: {reason}", reason=reason.getErrorMessage()
        )


class _ProbeFactory(Factory):
    def __init__(self, probe: "ProbeService") -> None:
        self.probe = probe

    def buildProtocol(self, addr: Optional[IAddress]) -> ProbeProtocol:
        protocol = ProbeProtocol(self.probe)
        protocol.factory = self
        return protocol


class ProbeService(service.MultiService):
    """
    The C{sctp-probe} service: a reconnecting client plus a report timer.

    @ivar config: the parsed L{Options} (or a dict with the same keys).
    @ivar stats: the L{ProbeStats}.
    @ivar reports: how many reports were made.
    @ivar onReport: called with each report dict (for programs and tests).
    @ivar onDone: called (once) after C{config["count"]} reports.
    """

    def __init__(self, config: Mapping[str, Any], endpoint: IStreamClientEndpoint,
                 clock: Optional[IReactorTime] = None,
                 onReport: Optional[Callable[[dict], None]] = None,
                 onDone: Optional[Callable[[], None]] = None) -> None:
        service.MultiService.__init__(self)
        if clock is None:
            from twisted.internet import reactor as globalReactor

            clock = globalReactor
        self.config = config
        self.clock: IReactorTime = clock
        self.stats = ProbeStats()
        self.reports = 0
        self.onReport = onReport
        self.onDone = onDone
        self._protocol: Optional[ProbeProtocol] = None
        self._lastReport = 0.0
        self.client = ClientService(
            endpoint,
            _ProbeFactory(self),
            retryPolicy=backoffPolicy(initialDelay=0.5, maxDelay=10.0),
            clock=clock,
        )
        self.client.setServiceParent(self)
        self._reportLoop = LoopingCall(self.report)
        self._reportLoop.clock = clock

    def _connected(self, protocol: ProbeProtocol) -> None:
        self._protocol = protocol

    def _disconnected(self, protocol: ProbeProtocol) -> None:
        if self._protocol is protocol:
            self._protocol = None

    def startService(self) -> None:
        service.MultiService.startService(self)
        self._lastReport = self.clock.seconds()
        self._reportLoop.start(self.config["interval"], now=False).addErrback(
            lambda f: _log.failure("probe: report loop failed", f)
        )

    def stopService(self) -> Any:
        if self._reportLoop.running:
            self._reportLoop.stop()
        protocol, self._protocol = self._protocol, None
        if protocol is not None:
            protocol._stopLoops()
        return service.MultiService.stopService(self)

    def _pathReport(self) -> List[dict]:
        protocol = self._protocol
        transport = getattr(protocol, "transport", None)
        if transport is None:
            return []
        try:
            states = transport.getPathStates()
        except Exception as e:
            _log.debug("probe: path states not available: {error}", error=e)
            return []
        try:
            primary = transport.getStatus().primary
            primaryAddress = primary.address if primary is not None else None
        except Exception:
            primaryAddress = None
        paths = []
        for address, info in states.items():
            state = info.state
            try:
                from txsctp.options import PathState

                stateName = PathState(state).name
            except Exception:
                stateName = str(state)
            paths.append({
                "address": "%s:%s" % (address[0], address[1]) if ":" not in address[0]
                else "[%s]:%s" % (address[0], address[1]),
                "state": stateName,
                "srtt": info.srtt,
                "rto": info.rto,
                "cwnd": info.cwnd,
                "mtu": info.mtu,
                "primary": tuple(address) == tuple(primaryAddress or ()),
            })
        return paths

    def report(self) -> dict:
        """
        Log one report and start a new interval.

        @return: the report's fields.
        """
        now = self.clock.seconds()
        elapsed = max(now - self._lastReport, 1e-9)
        self._lastReport = now
        stats = self.stats
        limit = time.monotonic_ns() - int(self.config["timeout"] * 1e9)
        for sequence, (_, sentNs) in list(stats.outstanding.items()):
            if sentNs < limit:
                del stats.outstanding[sequence]
                stats.lost += 1
                stats.totalLost += 1
        allRtts = [rtt for samples in stats.rtts.values() for rtt in samples]
        fields: Dict[str, Any] = {
            "connected": self._protocol is not None,
            "pings": stats.pings,
            "pongs": stats.pongs,
            "lost": stats.lost,
            "rtt": _rttSummary(allRtts),
            "streams": {stream: _rttSummary(samples) for stream, samples in sorted(stats.rtts.items())},
            "txRate": stats.txMessages / elapsed,
            "rxRate": stats.rxMessages / elapsed,
            "txBitRate": stats.txOctets * 8 / elapsed,
            "rxBitRate": stats.rxOctets * 8 / elapsed,
            "foreign": stats.foreign,
            "paths": self._pathReport(),
        }
        stats.reset()
        self.reports += 1
        rtt = fields["rtt"]
        rttText = (
            "rtt min/avg/max %.3f/%.3f/%.3f ms" % (rtt["min"], rtt["avg"], rtt["max"])
            if rtt else "rtt -"
        )
        pathText = "; ".join(
            "%s %s%s srtt %s ms rto %s ms cwnd %s mtu %s" % (
                p["address"], p["state"], " (primary)" if p["primary"] else "",
                p["srtt"], p["rto"], p["cwnd"], p["mtu"])
            for p in fields["paths"]
        ) or "no association"
        _log.info(
            "probe report {number}: {rttText} ({pongs}/{pings} pings answered, "
            "{lost} lost); tx {txRate:.1f} msg/s {txBitRate:.0f} bit/s, "
            "rx {rxRate:.1f} msg/s {rxBitRate:.0f} bit/s; paths: {pathText}",
            number=self.reports, rttText=rttText, pathText=pathText, **fields,
        )
        if self.onReport is not None:
            try:
                self.onReport(fields)
            except Exception:
                _log.failure("probe: report callback failed")
        count = self.config["count"]
        if count and self.reports >= count:
            self._reportLoop.stop()
            if self.onDone is not None:
                self.clock.callLater(0, self.onDone)
        return fields


def makeService(config: Options) -> ProbeService:
    """
    Build the C{sctp-probe} service from its options.
    """
    from twisted.internet import reactor
    from twisted.internet.endpoints import clientFromString

    endpoint = clientFromString(reactor, config["connect"])
    return ProbeService(config, endpoint, clock=reactor, onDone=reactor.stop)
