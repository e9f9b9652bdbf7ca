#!/usr/bin/env python3
"""
Multi-homing and failover: a client and a server joined by two links.

Run as root on a kernel with SCTP and network namespaces (for example
inside txsctp's test kernel: C{scripts/sctp-run -- .venv/bin/python
examples/multihomed.py}), it builds its own small network:

    namespace A (client)                    namespace B (server)
    10.201.1.1  ---- veth, link 1 ----  10.201.1.2
    10.201.2.1  ---- veth, link 2 ----  10.201.2.2

starts the server in B, bound to both its addresses with one socket
(bindx), and the client in A, bound to both of its own and connecting to
both of the server's (connectx).  One association, two paths.  The client
sends a numbered message every few milliseconds on stream 0 and checks the
echoes.  Then link 1 (the primary path) is taken down: the client is told
the path is UNREACHABLE, and the traffic carries on over link 2.  Link 1
comes back: the path is AVAILABLE again.  At the end the client checks
that every echo came back, once, in order, and reports the longest gap
between two echoes (the failover time), then closes the association.

The failover is fast because both sides tune the association with
socket options, no sysctl needed: RTO between 100 and 400 ms
(C{SCTP_RTOINFO}), a path declared failed after 2 retransmissions and
heartbeats every 200 ms (C{SCTP_PEER_ADDR_PARAMS}).  Linux's defaults
(RTO min 1 s, initial 3 s, path_max_retrans 5, hb_interval 30 s) make the
same failover take many seconds.

The roles can be run by hand too (C{multihomed.py server ...},
C{multihomed.py client ...}; see C{--help}).  The namespaces and links are
removed at the end.  Exit status 0 when the failover was seen and nothing
was lost.
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import subprocess
import sys
import threading
import time

from twisted.internet import defer, error, protocol, task

from txsctp import SCTPProtocol, listenSCTP
from txsctp.notifications import PeerAddressState
from txsctp.options import HB_ENABLE, PathState, PeerAddrParams, RTOInfo

PORT = 2905
CLIENT_ADDRESSES = ["10.201.1.1", "10.201.2.1"]
SERVER_ADDRESSES = ["10.201.1.2", "10.201.2.2"]
DEADLINE = 90

# Markers the client prints for the orchestrator.
READY = "READY: traffic is flowing"
FAILED_OVER = "FAILED-OVER: traffic continues on the other path"
RECOVERED = "RECOVERED: the first path is back"


def tuneForFailover(transport) -> None:
    """
    Per-association settings for fast failure detection: RTO 200-1000 ms
    (not lower: on a busy host late acknowledgements on the surviving path
    would count as failures too), a path is failed after 2
    retransmissions, heartbeats every 200 ms.
    """
    sock = transport.socket
    sock.setRTOInfo(RTOInfo(initial=300, max=1000, min=200), transport.assocId)
    sock.setPeerAddrParams(PeerAddrParams(hbInterval=200, pathMaxRetrans=2, flags=HB_ENABLE),
                           transport.assocId)


def pathName(state) -> str:
    return state.name if isinstance(state, PeerAddressState) else str(state)


def showPaths(say, transport) -> None:
    primary = transport.getPeerAddresses()[0]
    for (host, port), info in sorted(transport.getPathStates().items()):
        try:
            state = PathState(info.state).name
        except ValueError:
            state = str(info.state)
        mark = ", primary" if (host, port) == primary else ""
        say(f"  path to {host}:{port}: {state}{mark}, srtt {info.srtt} ms, rto {info.rto} ms")


# -- server ---------------------------------------------------------------------


class Echo(SCTPProtocol):
    def _say(self, text):
        print(f"[server] {text}", flush=True)

    def associationUp(self, notification):
        tuneForFailover(self.transport)
        self._say(f"association up with {', '.join(self.transport.getPeer().addresses)}")

    def messageReceived(self, data, info):
        self.transport.writeMessage(data, stream=info.stream, ppid=info.ppid)

    def peerAddressChanged(self, notification):
        host, port = notification.address
        self._say(f"path to {host}:{port} is {pathName(notification.state)}")

    def connectionLost(self, reason):
        how = "cleanly" if reason.check(error.ConnectionDone) else reason.getErrorMessage()
        self._say(f"association closed {how}")


async def runServer(reactor, args):
    factory = protocol.Factory.forProtocol(Echo)
    port = listenSCTP(args.port, factory, interface=args.interface, reactor=reactor)
    print(f"[server] listening on {', '.join(args.interface)} port {port.getHost().port}",
          flush=True)
    await defer.Deferred()


# -- client ---------------------------------------------------------------------


class SequenceClient(SCTPProtocol):
    """
    Sends numbered messages on stream 0 and checks that the echoes come
    back complete and in order.  It sends at least C{minimum} messages, and
    if a path fails, goes on until 50 echoes came back after the path
    recovered.
    """

    def __init__(self, reactor, minimum, interval):
        self.reactor = reactor
        self.minimum = minimum
        self.cap = max(minimum, 30000)
        self.interval = interval
        self.sent = 0
        self.echoes = []
        self.lastEcho = None
        self.gaps = []
        self.failedAt = None
        self.echoesAtFailure = None
        self.recovered = False
        self.echoesAtRecovery = None
        self.finished = defer.Deferred()
        self.sender = task.LoopingCall(self._sendOne)
        self.sender.clock = reactor

    def _say(self, text):
        print(f"[client] {text}", flush=True)

    def associationUp(self, notification):
        tuneForFailover(self.transport)
        self._say(f"association up: local {', '.join(self.transport.getHost().addresses)}, "
                  f"peer {', '.join(self.transport.getPeer().addresses)}")
        showPaths(self._say, self.transport)
        self.sender.start(self.interval)

    def _enough(self) -> bool:
        if self.sent >= self.cap:
            return True
        if self.sent < self.minimum:
            return False
        if self.failedAt is None:
            return True
        return self.recovered and len(self.echoes) >= self.echoesAtRecovery + 50

    def _sendOne(self):
        if self._enough():
            self.sender.stop()
            self._maybeFinished()
            return
        self.transport.writeMessage(b"seq %08d" % self.sent, stream=0, ppid=0)
        self.sent += 1

    def _maybeFinished(self):
        if not self.sender.running and len(self.echoes) == self.sent \
                and not self.finished.called:
            self.finished.callback(None)

    def messageReceived(self, data, info):
        now = time.monotonic()
        if self.lastEcho is not None:
            self.gaps.append(now - self.lastEcho)
        self.lastEcho = now
        self.echoes.append(int(data.split()[1]))
        n = len(self.echoes)
        if n == 50:
            self._say(f"{n} echoes back, in order; {READY}")
        if self.echoesAtFailure is not None and n == self.echoesAtFailure + 50 \
                and not self.recovered:
            self._say(f"{n - self.echoesAtFailure} more echoes since the path failed; "
                      f"{FAILED_OVER}")
            showPaths(self._say, self.transport)
        self._maybeFinished()

    def peerAddressChanged(self, notification):
        host, port = notification.address
        state = notification.state
        self._say(f"peerAddressChanged: path to {host}:{port} is {pathName(state)}")
        if state == PeerAddressState.UNREACHABLE and self.failedAt is None:
            self.failedAt = time.monotonic()
            self.echoesAtFailure = len(self.echoes)
        elif state == PeerAddressState.AVAILABLE and self.failedAt is not None \
                and not self.recovered:
            self.recovered = True
            self.echoesAtRecovery = len(self.echoes)
            showPaths(self._say, self.transport)
            self._say(RECOVERED)

    def connectionLost(self, reason):
        if self.sender.running:
            self.sender.stop()
        if not self.finished.called:
            self.finished.errback(reason)


async def runClient(reactor, args):
    from txsctp.client import closeGracefully, connect

    client = await connect(
        reactor, args.host, args.port,
        lambda: SequenceClient(reactor, args.messages, args.interval),
        bindAddress=args.bind, timeout=30,
    )
    await client.finished
    expected = list(range(client.sent))
    ok = client.echoes == expected
    longest = max(client.gaps) if client.gaps else 0.0
    client._say(f"{len(client.echoes)} of {client.sent} echoes back, "
                f"{'complete and in order' if ok else 'NOT in order or incomplete'}; "
                f"longest gap between echoes {longest * 1000:.0f} ms "
                f"(sending every {args.interval * 1000:.0f} ms)")
    failedOver = client.failedAt is not None
    await closeGracefully(client)
    client._say("association closed gracefully")
    if not (ok and failedOver):
        client._say("FAILED: " + ("messages lost or reordered" if not ok
                                  else "no path failure was reported"))
        raise SystemExit(1)
    client._say("OK: the path failed, the association survived, nothing was lost")


# -- the orchestrator ---------------------------------------------------------------


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Network:
    """
    Two namespaces joined by two veth links.
    """

    def __init__(self) -> None:
        tag = os.getpid() % 100000
        self.a = f"txsctp-mh-a-{tag}"
        self.b = f"txsctp-mh-b-{tag}"
        self.links = [(f"mh{tag}a1", f"mh{tag}b1"), (f"mh{tag}a2", f"mh{tag}b2")]
        self.created = []

    def up(self) -> None:
        for ns in (self.a, self.b):
            sh("ip", "netns", "add", ns)
            self.created.append(ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        for i, (ea, eb) in enumerate(self.links):
            sh("ip", "link", "add", ea, "netns", self.a, "type", "veth", "peer", "name", eb,
               "netns", self.b)
            sh("ip", "-n", self.a, "addr", "add", CLIENT_ADDRESSES[i] + "/24", "dev", ea)
            sh("ip", "-n", self.b, "addr", "add", SERVER_ADDRESSES[i] + "/24", "dev", eb)
            sh("ip", "-n", self.a, "link", "set", ea, "up")
            sh("ip", "-n", self.b, "link", "set", eb, "up")

    def setLink(self, index: int, up: bool) -> None:
        sh("ip", "-n", self.a, "link", "set", self.links[index][0], "up" if up else "down")

    def down(self) -> None:
        for ns in reversed(self.created):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        self.created = []


def _relay(proc, lines: "queue.Queue[str]") -> None:
    for raw in proc.stdout:
        line = raw.rstrip("\n")
        print(line, flush=True)
        lines.put(line)
    lines.put(None)


def _waitFor(lines: "queue.Queue[str]", marker: str, what: str) -> None:
    while True:
        line = lines.get()
        if line is None:
            raise RuntimeError(f"{what} ended before printing {marker!r}")
        if marker in line:
            return


def orchestrate(args) -> int:
    if os.geteuid() != 0:
        print("multihomed.py builds network namespaces and needs root; on a machine "
              "without kernel SCTP run it in txsctp's test kernel:\n"
              "  scripts/sctp-run -- .venv/bin/python examples/multihomed.py", file=sys.stderr)
        return 2
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(
        TimeoutError(f"multihomed.py took more than {DEADLINE} s")))
    signal.alarm(DEADLINE)
    net = Network()
    procs = []
    me = os.path.abspath(__file__)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    try:
        net.up()
        print(f"[network] namespaces {net.a} (client) and {net.b} (server); "
              f"link 1: {CLIENT_ADDRESSES[0]} <-> {SERVER_ADDRESSES[0]}, "
              f"link 2: {CLIENT_ADDRESSES[1]} <-> {SERVER_ADDRESSES[1]}", flush=True)
        server = subprocess.Popen(
            ["ip", "netns", "exec", net.b, sys.executable, me, "server",
             "--port", str(PORT)] + [x for a in SERVER_ADDRESSES for x in ("--interface", a)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        procs.append(server)
        serverLines: "queue.Queue[str]" = queue.Queue()
        threading.Thread(target=_relay, args=(server, serverLines), daemon=True).start()
        _waitFor(serverLines, "listening on", "the server")

        client = subprocess.Popen(
            ["ip", "netns", "exec", net.a, sys.executable, me, "client", "--port", str(PORT),
             "--messages", str(args.messages), "--interval", str(args.interval)]
            + [x for a in SERVER_ADDRESSES for x in ("--host", a)]
            + [x for a in CLIENT_ADDRESSES for x in ("--bind", a)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        procs.append(client)
        clientLines: "queue.Queue[str]" = queue.Queue()
        threading.Thread(target=_relay, args=(client, clientLines), daemon=True).start()

        _waitFor(clientLines, READY, "the client")
        net.setLink(0, False)
        print(f"[network] link 1 DOWN ({CLIENT_ADDRESSES[0]} <-> {SERVER_ADDRESSES[0]}): "
              "the primary path is cut", flush=True)
        _waitFor(clientLines, FAILED_OVER, "the client")
        net.setLink(0, True)
        print("[network] link 1 UP again", flush=True)
        _waitFor(clientLines, RECOVERED, "the client")
        status = client.wait()
        print(f"[network] client exited with status {status}", flush=True)
        return status
    finally:
        signal.alarm(0)
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        net.down()


def main(argv) -> int:
    parser = argparse.ArgumentParser(description="SCTP multi-homing failover (txsctp example)")
    sub = parser.add_subparsers(dest="role")
    s = sub.add_parser("server", help="the echo server (run in its namespace)")
    s.add_argument("--port", type=int, default=PORT)
    s.add_argument("--interface", action="append", required=True)
    c = sub.add_parser("client", help="the client (run in its namespace)")
    for p in (c, parser):
        p.add_argument("--messages", type=int, default=600,
                       help="messages to send at least (more while a path is down)")
        p.add_argument("--interval", type=float, default=0.01, help="seconds between messages")
    c.add_argument("--port", type=int, default=PORT)
    c.add_argument("--host", action="append", required=True)
    c.add_argument("--bind", action="append")
    args = parser.parse_args(argv)
    if args.role is None:
        return orchestrate(args)
    run = runServer if args.role == "server" else runClient
    try:
        task.react(lambda reactor: defer.ensureDeferred(run(reactor, args)))
    except SystemExit as e:
        return e.code or 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
