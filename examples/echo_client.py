#!/usr/bin/env python3
"""
An SCTP echo client: sends numbered messages round-robin over several
streams, checks every echo (payload, stream, PPID, ordering), and closes
gracefully.

    python examples/echo_client.py --port 2905
    python examples/echo_client.py --port 2905 --associations 3
    python examples/echo_client.py --style one-to-many --port 2905 --port 2906

With C{--style one-to-one} (the default) each association is opened with
C{connectSCTP} (through L{txsctp.client.connect}) on a socket of its own.
With C{--style one-to-many} the client opens one one-to-many socket
(C{listenSCTP(0, ..., style="one-to-many")}) and opens an association
outward from it to every server port given, with C{port.associate(host,
port)}: several associations, one socket, one Protocol each.  (Between two
SCTP endpoints there is at most one association, so a one-to-many socket
opens one per server endpoint.)

Prints a line per association and a summary; exits 0 if every echo
matched, 1 otherwise.  See echo_server.py for the other side.
"""

from __future__ import annotations

import argparse
import sys

from twisted.internet import defer, protocol, task

from txsctp import SCTPProtocol, listenSCTP
from txsctp.client import closeGracefully, connect


class EchoChecker(SCTPProtocol):
    """
    Sends C{count} messages when the association is up and collects the
    echoes; C{done} fires with the list of mismatches once all are back.
    """

    def __init__(self, name: str, count: int, streams: int, ppid: int, size: int) -> None:
        self.name = name
        self.count = count
        self.streams = streams
        self.ppid = ppid
        self.size = size
        self.expected = {}
        self.received = []
        self.done = defer.Deferred()

    def _message(self, i: int):
        stream = i % self.streams
        unordered = i % 5 == 4
        text = f"{self.name} message {i} ".encode()
        data = (text * (self.size // len(text) + 1))[: max(self.size, len(text))]
        return data, stream, self.ppid + stream, unordered

    def associationUp(self, notification):
        t = self.transport
        self.streams = min(self.streams, t.outboundStreams)
        print(f"[{self.name}] association {t.assocId} up to "
              f"{t.getPeer().host}:{t.getPeer().port}, {t.outboundStreams} outbound streams; "
              f"sending {self.count} messages on {self.streams} streams", flush=True)
        for i in range(self.count):
            data, stream, ppid, unordered = self._message(i)
            self.expected[data] = (stream, ppid, unordered)
            t.writeMessage(data, stream=stream, ppid=ppid, unordered=unordered)

    def messageReceived(self, data, info):
        self.received.append((data, info))
        if len(self.received) == self.count and not self.done.called:
            self.done.callback(self._check())

    def _check(self):
        problems = []
        seen = set()
        lastOrdered = {}
        for data, info in self.received:
            want = self.expected.get(data)
            got = (info.stream, info.ppid, info.unordered)
            if want is None:
                problems.append(f"unexpected echo of {len(data)} bytes")
            elif want != got:
                problems.append(f"echo sent as {want} came back as {got}")
            elif data in seen:
                problems.append("duplicate echo")
            seen.add(data)
            if want is not None and not info.unordered:
                # Ordered messages keep their order within a stream.
                i = int(data.split(b" ")[2])
                if lastOrdered.get(info.stream, -1) > i:
                    problems.append(f"stream {info.stream} reordered at message {i}")
                lastOrdered[info.stream] = i
        return problems

    def connectionLost(self, reason):
        if not self.done.called:
            self.done.errback(reason)


class OneToManyFactory(protocol.Factory):
    """
    Builds the checkers of associations opened from a one-to-many socket.
    """

    def __init__(self, args) -> None:
        self.args = args
        self.built = 0

    def buildProtocol(self, addr):
        self.built += 1
        a = self.args
        p = EchoChecker(f"assoc-{self.built}", a.messages, a.streams, a.ppid, a.size)
        p.factory = self
        return p


async def main(reactor, args):
    protocols = []
    ports = args.port or [2905]
    if args.style == "one-to-one":
        for serverPort in ports:
            for _ in range(args.associations):
                name = f"assoc-{len(protocols) + 1}"
                p = await connect(
                    reactor, args.host, serverPort,
                    lambda name=name: EchoChecker(name, args.messages, args.streams,
                                                  args.ppid, args.size),
                    outStreams=args.streams, timeout=args.timeout,
                )
                protocols.append(p)
        port = None
    else:
        factory = OneToManyFactory(args)
        port = listenSCTP(0, factory, interface=args.host if ":" in args.host else "",
                          reactor=reactor, style="one-to-many", outStreams=args.streams)
        print(f"one-to-many socket on port {port.getHost().port}", flush=True)
        outward = [port.associate(args.host, serverPort, timeout=args.timeout)
                   for serverPort in ports]
        protocols.extend(await defer.gatherResults(outward, consumeErrors=True))
    checkers = protocols
    results = await defer.gatherResults([c.done for c in checkers], consumeErrors=True)
    failed = 0
    for checker, problems in zip(checkers, results):
        if problems:
            failed += 1
            print(f"[{checker.name}] {len(problems)} problems: {problems[:5]}", flush=True)
        else:
            print(f"[{checker.name}] all {checker.count} echoes match "
                  "(payload, stream, PPID, ordering)", flush=True)
    for checker in checkers:
        await closeGracefully(checker)
        print(f"[{checker.name}] closed gracefully", flush=True)
    if port is not None:
        await port.stopListening()
    total = sum(c.count for c in checkers)
    if failed:
        print(f"FAILED: {failed} of {len(checkers)} associations had bad echoes", flush=True)
        raise SystemExit(1)
    print(f"OK: {total} messages echoed over {len(checkers)} associations ({args.style})",
          flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="SCTP echo client (txsctp example)")
    parser.add_argument("--host", default="127.0.0.1", help="server address")
    parser.add_argument("--port", type=int, action="append",
                        help="server port (default 2905); repeat for several servers")
    parser.add_argument("--style", choices=["one-to-one", "one-to-many"], default="one-to-one")
    parser.add_argument("--associations", type=int, default=1,
                        help="associations per server port (one-to-one only)")
    parser.add_argument("--messages", type=int, default=20, help="messages per association")
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--ppid", type=int, default=1000, help="PPID of stream 0 (stream n: +n)")
    parser.add_argument("--size", type=int, default=100, help="message size in bytes")
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    if args.style == "one-to-many" and args.associations != 1:
        parser.error("a one-to-many socket has one association per server endpoint: "
                     "give several --port values instead of --associations")

    def run(reactor):
        return defer.ensureDeferred(main(reactor, args))

    try:
        task.react(run)
    except SystemExit as e:
        sys.exit(e.code)
