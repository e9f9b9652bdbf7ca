#!/usr/bin/env python3
"""
txsctp demo: an SCTP server and client in one process, over kernel SCTP or
over the userspace stack (usrsctp, SCTP in UDP: no kernel SCTP needed).

On the kernel stack the server listens on two loopback addresses at once
(multi-homing: both bound to one socket with bindx); on the userspace stack
on one, over UDP port 9899 (an association over UDP has one path).  The
client connects, and one association
carries messages on several streams, each with its own Payload Protocol
Identifier (PPID), one of them unordered and one of 64 KiB.  The server
echoes each message on the same stream with the same PPID; the client
checks every echo, shows the peer's addresses and path states, waits until
the peer has acknowledged everything, and closes the association
gracefully.  Every step is printed.

Run it with C{scripts/demo} (which finds a kernel with SCTP for it, or runs
it natively with C{--stack userspace}), or directly::

    python examples/demo.py [--port N] [--stack kernel|userspace]

Exit status 0 when every echo matched and both sides closed cleanly.
"""

from __future__ import annotations

import argparse
import sys
import time

from twisted.internet import defer, error, protocol, task

from txsctp import SCTPProtocol, listenSCTP
from txsctp.client import closeGracefully, connect, whenSenderDry
from txsctp.info import PPID
from txsctp.options import PathState

SERVER_ADDRESSES = ["127.0.0.1", "127.0.0.2"]
DEADLINE = 60.0

# (stream, PPID, unordered, payload): what the client sends.
MESSAGES = [
    (0, PPID.DIAMETER, False, b"Diameter CER: Origin-Host=client.example.org"),
    (1, PPID.M3UA, False, b"M3UA ASP Up"),
    (2, PPID.S1AP, False, b"S1AP S1 Setup Request"),
    (3, PPID.NGAP, False, b"NGAP NG Setup Request"),
    (4, PPID.WEBRTC_STRING, True, b"unordered: may overtake the others"),
    (5, PPID.WEBRTC_BINARY, False, bytes(range(256)) * 256),
    (1, PPID.M3UA, False, b"M3UA ASP Active"),
]

_start = time.monotonic()


def say(who: str, text: str) -> None:
    """
    Print one line of the story, with the time since the start.
    """
    print(f"{time.monotonic() - _start:6.3f}s  [{who}] {text}", flush=True)


def ppidName(ppid: int) -> str:
    try:
        return f"{ppid} ({PPID(ppid).name})"
    except ValueError:
        return str(ppid)


def describe(stream: int, ppid: int, unordered: bool, data: bytes) -> str:
    order = "unordered" if unordered else "ordered"
    return f"stream {stream}, PPID {ppidName(ppid)}, {len(data)} bytes, {order}"


def endpoint(address) -> str:
    return f"{address.host}:{address.port}"


class EchoServer(SCTPProtocol):
    """
    Echoes every message on its stream, with its PPID and ordering.
    """

    def associationUp(self, notification):
        t = self.transport
        say("server", f"association {t.assocId} up from {endpoint(t.getPeer())}: "
                      f"{notification.inboundStreams} inbound / "
                      f"{notification.outboundStreams} outbound streams")

    def messageReceived(self, data, info):
        say("server", f"got  {describe(info.stream, info.ppid, info.unordered, data)}, "
                      f"SSN {info.ssn}, TSN {info.tsn}; echoing it")
        self.transport.writeMessage(data, stream=info.stream, ppid=info.ppid,
                                    unordered=info.unordered)

    def shutdownReceived(self, notification):
        say("server", "the client started a graceful shutdown")

    def shutdownComplete(self, notification):
        say("server", "shutdown complete")

    def associationLost(self, notification):
        say("server", f"association lost (error {notification.error})")

    def connectionLost(self, reason):
        how = "cleanly" if reason.check(error.ConnectionDone) else f"with {reason.value!r}"
        say("server", f"association {self.transport.assocId} closed {how}")
        self.factory.reason = reason
        self.factory.closed.callback(None)


class ServerFactory(protocol.Factory):
    protocol = EchoServer

    def __init__(self):
        self.closed = defer.Deferred()
        self.reason = None


class Client(SCTPProtocol):
    """
    Collects the echoes.
    """

    def __init__(self):
        self.echoes = []
        self.waiting = None
        self.lostReason = None

    def messageReceived(self, data, info):
        say("client", f"echo {describe(info.stream, info.ppid, info.unordered, data)}")
        self.echoes.append((info.stream, info.ppid, info.unordered, data))
        if self.waiting is not None and len(self.echoes) >= self.waiting[0]:
            d, self.waiting = self.waiting[1], None
            d.callback(None)

    def waitForEchoes(self, count):
        d = defer.Deferred()
        if len(self.echoes) >= count:
            d.callback(None)
        else:
            self.waiting = (count, d)
        return d

    def shutdownComplete(self, notification):
        say("client", "shutdown complete")

    def connectionLost(self, reason):
        self.lostReason = reason
        how = "cleanly" if reason.check(error.ConnectionDone) else f"with {reason.value!r}"
        say("client", f"association closed {how}")


def _timeout(d, reactor, what):
    return d.addTimeout(DEADLINE, reactor, onTimeoutCancel=lambda r, t: _timedOut(what))


def _timedOut(what):
    raise RuntimeError(f"timed out after {DEADLINE:.0f} s waiting for {what}")


async def main(reactor, port, stack):
    factory = ServerFactory()
    if stack == "userspace":
        print("txsctp demo: an SCTP server and client in one process, over the userspace "
              "stack (usrsctp, SCTP in UDP)", flush=True)
        addresses = SERVER_ADDRESSES[:1]
        listening = listenSCTP(port or 2905, factory, interface=addresses[0], reactor=reactor,
                               outStreams=16, inStreams=16, stack="userspace", udpPort=0)
        udpPort = listening.getHost().udpPort
        say("server", f"listening on {addresses[0]} port {listening.getHost().port}, "
                      f"over UDP port {udpPort}")
        stackOptions = {"stack": "userspace", "remoteUdpPort": udpPort}
    else:
        print("txsctp demo: an SCTP server and client in one process, over kernel SCTP",
              flush=True)
        addresses = SERVER_ADDRESSES
        listening = listenSCTP(port, factory, interface=addresses, reactor=reactor,
                               outStreams=16, inStreams=16)
        say("server", f"listening on {', '.join(addresses)} port {listening.getHost().port} "
                      "(one socket, both addresses bound with bindx)")
        stackOptions = {}
    port = listening.getHost().port

    client = await _timeout(
        connect(reactor, addresses[0], port, Client, outStreams=8, inStreams=8,
                timeout=DEADLINE, **stackOptions),
        reactor, "the association")
    t = client.transport
    say("client", f"association {t.assocId} up from {endpoint(t.getHost())} to "
                  f"{endpoint(t.getPeer())}: {t.outboundStreams} outbound / "
                  f"{t.inboundStreams} inbound streams negotiated")

    paths = t.getPathStates()
    primary = t.getPeerAddresses()[0]
    for address, info in paths.items():
        state = PathState(info.state).name if info.state in iter(PathState) else info.state
        mark = " (primary)" if address == primary else ""
        say("client", f"peer address {address[0]}:{address[1]}{mark}: {state}, "
                      f"RTO {info.rto} ms, MTU {info.mtu}")

    for stream, ppid, unordered, data in MESSAGES:
        say("client", f"send {describe(stream, ppid, unordered, data)}")
        t.writeMessage(data, stream=stream, ppid=int(ppid), unordered=unordered)

    await _timeout(client.waitForEchoes(len(MESSAGES)), reactor, "the echoes")
    sent = sorted((s, int(p), u, d) for s, p, u, d in MESSAGES)
    got = sorted((s, int(p), u, d) for s, p, u, d in client.echoes)
    ordered = [m[:2] + m[3:] for m in MESSAGES if not m[2]]
    gotOrdered = [e[:2] + e[3:] for e in client.echoes if not e[2]]
    ok = sent == got and ordered == gotOrdered
    streams = sorted({m[0] for m in MESSAGES})
    ppids = sorted({int(m[1]) for m in MESSAGES})
    say("client", f"{len(client.echoes)} echoes, byte-exact with stream, PPID and "
                  f"ordering kept: {'yes' if ok else 'NO'}")

    await _timeout(whenSenderDry(client), reactor, "the sender to be dry")
    say("client", "sender dry: the server has acknowledged every message")
    say("client", "closing the association gracefully (SHUTDOWN)")
    await _timeout(closeGracefully(client), reactor, "the shutdown")
    await _timeout(factory.closed, reactor, "the server side to close")
    serverReason = factory.reason
    await listening.stopListening()
    say("server", "stopped listening")

    clean = client.lostReason is not None and client.lostReason.check(error.ConnectionDone) \
        and serverReason.check(error.ConnectionDone)
    if ok and clean:
        print(f"demo OK: {len(MESSAGES)} messages on {len(streams)} streams "
              f"({', '.join(map(str, streams))}) with {len(ppids)} PPIDs, echoed byte-exact; "
              "graceful shutdown on both sides", flush=True)
        return 0
    print("demo FAILED: " + ("echo mismatch" if not ok else "unclean close"), flush=True)
    return 1


def run(reactor, args):
    async def go():
        status = await main(reactor, args.port, args.stack)
        if status:
            raise SystemExit(status)

    return defer.ensureDeferred(go())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0,
                        help="server port (default: any free one)")
    parser.add_argument("--stack", choices=["kernel", "userspace"], default="kernel",
                        help="the SCTP stack: the kernel's, or usrsctp in this process over UDP "
                             "(needs no kernel SCTP)")
    args = parser.parse_args()
    try:
        task.react(run, [args])
    except SystemExit as e:
        sys.exit(e.code)
