"""
Multi-homing: failover and failback on an association with two paths.

Two hosts: this test process (the client, in the test kernel's root network
namespace) and an echo peer in a namespace of its own
(tests/peers/echo.py), joined by two veth links; each side binds one
address per link (bindx) and the client connects to both peer addresses
(connectx), the first being the primary path.  Sequence-numbered messages
ping-pong on 4 streams (16 in flight) while the primary link is taken down
and brought back up.  Checked: the Protocol is told (peerAddressChanged:
POTENTIALLY_FAILED / UNREACHABLE, then AVAILABLE), traffic continues on the
second path and comes back to the first (failback, seen in the links'
packet counters), and no message is lost, duplicated or reordered.

The stall (longest gap between two echoes around the failure) is measured
with the kernel's default timers and with short ones (RTO min 100 ms,
path_max_retrans 2, heartbeat 500 ms, PF threshold 0) and printed; the
assertions are generous bounds and the comparison of the two runs.
"""

from __future__ import annotations

import time

import pytest_twisted

from twisted.internet import defer

from _netns import requiresNetns, topology  # noqa: F401
from _peers import SeqProtocol, peers, pollUntil, spawnPeer, withDeadline  # noqa: F401
from peers import peerlib
from txsctp.notifications import PeerAddressChange, PeerAddressState
from txsctp.options import HB_ENABLE, PathState, PeerAddrParams, PeerAddrThresholds, RTOInfo

pytestmark = requiresNetns

PORT = 5000
STREAMS = 4
WINDOW = 16

TUNED = {"rtoMin": 100, "rtoMax": 400, "rtoInitial": 300, "hbInterval": 500, "pathMaxRetrans": 2,
         "pfThreshold": 0}
TUNED_ARGS = ["--rto-initial", "300", "--rto-min", "100", "--rto-max", "400", "--hb-interval", "500",
              "--path-max-retrans", "2", "--pf-threshold", "0"]


class Pinger(SeqProtocol):
    """
    Keeps WINDOW sequence-numbered messages in flight over STREAMS streams:
    each echo that comes back sends the next message on its stream.
    """

    def __init__(self):
        SeqProtocol.__init__(self)
        self.nextSeq = [0] * STREAMS
        self.running = False
        self.sent = 0

    def start(self):
        self.running = True
        for i in range(WINDOW):
            self._send(i % STREAMS)

    def stop(self):
        self.running = False

    def _send(self, stream):
        seq = self.nextSeq[stream]
        self.nextSeq[stream] += 1
        self.sent += 1
        self.transport.writeMessage(peerlib.seqMessage(stream, seq, 200), stream=stream, ppid=42)

    def messageReceived(self, data, info):
        SeqProtocol.messageReceived(self, data, info)
        if self.running and not self.transport.disconnected:
            self._send(info.stream)

    def pathEvents(self, host):
        return [(t, n.state) for t, n in self.events
                if isinstance(n, PeerAddressChange) and n.address and n.address[0] == host]


def _tune(transport):
    """
    Short failure-detection timers for this association (socket options).
    """
    sock = transport.socket
    sock.setRTOInfo(RTOInfo(initial=TUNED["rtoInitial"], max=TUNED["rtoMax"], min=TUNED["rtoMin"]), 0)
    sock.setPeerAddrParams(PeerAddrParams(hbInterval=TUNED["hbInterval"],
                                          pathMaxRetrans=TUNED["pathMaxRetrans"], flags=HB_ENABLE), 0)
    sock.setPeerAddrThresholds(PeerAddrThresholds(pathMaxRetrans=TUNED["pathMaxRetrans"],
                                                  pathPfThreshold=TUNED["pfThreshold"]), 0)


def _exposePF(transport):
    # Linux reports the potentially-failed state only when asked to
    # (SCTP_EXPOSE_POTENTIALLY_FAILED_STATE = SCTP_PF_EXPOSE_ENABLE, 2).
    transport.socket.setAssocValue("exposePotentiallyFailedState", 2, 0)


def _maxGap(times, since):
    """
    The longest gap between consecutive arrivals, counting from C{since}.
    """
    previous = since
    worst = 0.0
    for t in times:
        if t < since:
            continue
        worst = max(worst, t - previous)
        previous = t
    return worst


@defer.inlineCallbacks
def _setUp(reactor, connect, topo, tuned):
    echoArgs = ["--addr", ",".join(topo.remoteAddrs), "--port", PORT, "--streams", STREAMS]
    if tuned:
        echoArgs += TUNED_ARGS
    echo = spawnPeer(reactor, "echo", *echoArgs, netns=topo.name, name="echo-tuned" if tuned else "echo")
    yield echo.waitFor("LISTENING", 20)
    client = yield connect(PORT, Pinger, host=topo.remoteAddrs, bindAddress=topo.localAddrs,
                           outStreams=STREAMS, inStreams=STREAMS)
    peerHosts = sorted(client.transport.getPeer().addresses)
    assert peerHosts == sorted(topo.remoteAddrs), peerHosts
    _exposePF(client.transport)
    if tuned:
        _tune(client.transport)
    return echo, client


@defer.inlineCallbacks
def _outage(reactor, topo, client, label, waitUnreachable):
    """
    Take link 0 (the primary path) down during traffic; return the stall
    and the time the path took to be reported.
    """
    primary = topo.links[0].remoteAddr
    client.start()
    yield withDeadline(client.expect(300), 20, f"{label}: traffic before the outage")
    before = topo.links[0].counters()
    assert before["tx_packets"] > 0
    down = time.monotonic()
    topo.links[0].down()
    n = client.checker.count
    yield withDeadline(client.expect(n + 300), 60, f"{label}: traffic to resume on the second path",
                       detail=lambda: f"{client.checker.count} echoes so far; events {client.events!r}")
    resumed = next(t for t in client.arrivals[n:] if t > down)
    reported = None
    if waitUnreachable:
        yield pollUntil(lambda: any(s == PeerAddressState.UNREACHABLE for _, s in client.pathEvents(primary)),
                        30, f"{label}: {primary} reported unreachable",
                        detail=lambda: repr(client.pathEvents(primary)))
        reported = next(t for t, s in client.pathEvents(primary) if s == PeerAddressState.UNREACHABLE) - down
    stall = _maxGap(client.arrivals, down)
    return {"stall": stall, "resumed": resumed - down, "reported": reported, "down": down}


@pytest_twisted.inlineCallbacks
def test_failover_and_failback(reactor, connect, peers, topology):
    """
    Short timers: the primary link goes down mid-traffic, the Protocol is
    told the path is potentially failed then unreachable, traffic carries
    on over the second link with a short stall; the link comes back: the
    path is reported available and traffic returns to it.  Nothing lost.
    """
    topo = topology(2)
    primary = topo.links[0].remoteAddr
    echo, client = yield _setUp(reactor, connect, topo, tuned=True)
    result = yield _outage(reactor, topo, client, "tuned", waitUnreachable=True)
    events = client.pathEvents(primary)
    states = [PeerAddressState(s).name for _, s in events]
    print(f"\nfailover (tuned timers): stall {result['stall'] * 1000:.0f} ms, traffic resumed "
          f"{result['resumed'] * 1000:.0f} ms after the link went down, path reported unreachable after "
          f"{result['reported'] * 1000:.0f} ms; events for {primary}: {states}")
    assert PeerAddressState.POTENTIALLY_FAILED in [s for _, s in events]
    assert result["stall"] < 3.0

    # Failback.
    upAt = time.monotonic()
    topo.links[0].up()
    yield pollUntil(lambda: any(s == PeerAddressState.AVAILABLE and t > upAt
                                for t, s in client.pathEvents(primary)),
                    20, f"{primary} to be reported available again",
                    detail=lambda: repr(client.pathEvents(primary)))
    available = next(t for t, s in client.pathEvents(primary) if s == PeerAddressState.AVAILABLE and t > upAt)
    link0 = topo.links[0].counters()["tx_packets"]
    link1 = topo.links[1].counters()["tx_packets"]
    n = client.checker.count
    yield withDeadline(client.expect(n + 300), 20, "traffic after failback")
    sent0 = topo.links[0].counters()["tx_packets"] - link0
    sent1 = topo.links[1].counters()["tx_packets"] - link1
    print(f"failback: {primary} available {1000 * (available - upAt):.0f} ms after the link came up; "
          f"packets sent since on link 0: {sent0}, on link 1: {sent1}")
    assert sent0 > sent1, "traffic did not come back to the primary path"
    states = client.transport.getPathStates()
    print(f"path states now: { {a[0]: PathState(s.state).name for a, s in states.items()} }")
    assert all(s.state == PathState.ACTIVE for s in states.values()), states

    client.stop()
    yield withDeadline(pollUntil(lambda: client.checker.count == client.sent, 20, "the last echoes"),
                       25, "the last echoes")
    assert client.checker.errors == []
    assert sum(client.checker.received().values()) == client.sent
    client.transport.loseConnection()
    yield withDeadline(client.lost, 10, "the close")


@pytest_twisted.inlineCallbacks
def test_failover_stall_default_vs_tuned_timers(reactor, connect, peers, topology):
    """
    The same outage with the kernel's default timers (RTO min 1 s) and
    with short ones: the stall is printed for both; the short timers give
    a shorter stall; both stay under generous bounds; nothing is lost.
    """
    topo = topology(2)
    results = {}
    for tuned in (False, True):
        label = "tuned" if tuned else "default"
        echo, client = yield _setUp(reactor, connect, topo, tuned=tuned)
        results[label] = yield _outage(reactor, topo, client, label, waitUnreachable=False)
        client.stop()
        yield withDeadline(pollUntil(lambda client=client: client.checker.count == client.sent, 30,
                                     "the last echoes"),
                           35, "the last echoes")
        assert client.checker.errors == []
        topo.links[0].up()
        client.transport.abortConnection()
        yield withDeadline(client.lost, 10, "the abort")
        yield echo.kill()
        states = [PeerAddressState(s).name for _, s in client.pathEvents(topo.links[0].remoteAddr)]
        results[label]["events"] = states
    d, t = results["default"], results["tuned"]
    print(f"\nstall with default timers: {d['stall'] * 1000:.0f} ms (resumed after {d['resumed'] * 1000:.0f} ms); "
          f"with RTO min {TUNED['rtoMin']} ms, path_max_retrans {TUNED['pathMaxRetrans']}, "
          f"hb_interval {TUNED['hbInterval']} ms, PF threshold {TUNED['pfThreshold']}: "
          f"{t['stall'] * 1000:.0f} ms (resumed after {t['resumed'] * 1000:.0f} ms); path events: "
          f"default {d['events']}, tuned {t['events']}")
    assert d["stall"] < 15.0
    assert t["stall"] < 3.0
    assert t["stall"] < d["stall"]
