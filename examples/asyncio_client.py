#!/usr/bin/env python3
"""
asyncio code driving txsctp: coroutines written with C{async}/C{await},
C{asyncio.gather} and C{asyncio.wait_for}, running on Twisted's asyncio
reactor, where every txsctp Deferred becomes an asyncio future with
C{Deferred.asFuture(loop)}.

    python examples/asyncio_client.py                    # its own echo server too
    python examples/asyncio_client.py --connect 127.0.0.1:2905 --associations 2

The program installs txsctp's asyncio reactor (Twisted's
C{AsyncioSelectorReactor} with C{listenSCTP} and C{connectSCTP}; Twisted's
own C{asyncioreactor.install()} works the same with the module-level
functions), starts an echo server on a free port unless given
C{--connect}, and then, from one asyncio coroutine per association:

  1. awaits the association coming up (L{txsctp.client.connect});
  2. sends messages on several streams with their PPIDs and awaits each
     echo (a C{DeferredQueue}'s C{get()});
  3. awaits the peer's acknowledgement of everything sent
     (C{whenSenderDry()});
  4. closes gracefully and awaits the end of the SHUTDOWN.

Exits 0 when every echo matched, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from txsctp.reactors import asyncioreactor

# The reactor first: it must be installed before anything imports
# twisted.internet.reactor.  It runs this asyncio event loop.
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
asyncioreactor.install(loop)

# Imported once the reactor is installed (E402): see above.
from twisted.internet import defer, protocol, task  # noqa: E402

from txsctp import SCTPProtocol  # noqa: E402
from txsctp.client import closeGracefully, connect  # noqa: E402

TIMEOUT = 30


class Echo(SCTPProtocol):
    """
    The server side: every message back on its stream with its PPID.
    """

    def messageReceived(self, data, info):
        self.transport.writeMessage(data, stream=info.stream, ppid=info.ppid,
                                    unordered=info.unordered)


class Client(SCTPProtocol):
    """
    The client side: received messages go into a queue that asyncio code
    awaits (C{await client.received.get().asFuture(loop)}).
    """

    def __init__(self):
        self.received = defer.DeferredQueue()

    def messageReceived(self, data, info):
        self.received.put((data, info))


async def talk(reactor, host, port, name, count):
    """
    One association, from connect to graceful close, in asyncio terms.

    @return: the number of echoes that did not match.
    """
    # 1. The association is up: connect's Deferred fires on COMM_UP.
    client = await asyncio.wait_for(
        connect(reactor, host, port, Client, outStreams=4).asFuture(loop), TIMEOUT)
    transport = client.transport
    print(f"[{name}] association {transport.assocId} up: {transport.outboundStreams} outbound"
          f" / {transport.inboundStreams} inbound streams")

    # 2. Messages and their echoes.
    mismatches = 0
    for i in range(count):
        stream = i % transport.outboundStreams
        ppid = 46 + stream
        data = f"{name} message {i}".encode()
        transport.writeMessage(data, stream=stream, ppid=ppid)
        echoed, info = await asyncio.wait_for(client.received.get().asFuture(loop), TIMEOUT)
        same = (echoed, info.stream, info.ppid) == (data, stream, ppid)
        mismatches += not same
        print(f"[{name}] echo {i + 1}/{count} on stream {info.stream}, PPID {info.ppid}: "
              f"{echoed.decode()}{'' if same else '  MISMATCH'}")

    # 3. Everything sent has been acknowledged by the peer.
    await asyncio.wait_for(transport.whenSenderDry().asFuture(loop), TIMEOUT)
    print(f"[{name}] sender dry: the peer has acknowledged all {count} messages")

    # 4. SHUTDOWN, awaited to its end.
    await asyncio.wait_for(closeGracefully(client).asFuture(loop), TIMEOUT)
    print(f"[{name}] association closed gracefully")
    return mismatches


async def main(reactor, options):
    port = None
    if options.connect:
        host, _, number = options.connect.rpartition(":")
        number = int(number)
    else:
        # reactor.listenSCTP: this reactor provides IReactorSCTP
        # (txsctp.listenSCTP(..., reactor=reactor) does the same).
        port = reactor.listenSCTP(0, protocol.Factory.forProtocol(Echo), "127.0.0.1",
                                  outStreams=4, inStreams=4)
        host, number = "127.0.0.1", port.getHost().port
        print(f"echo server listening on 127.0.0.1 port {number}")
    try:
        names = [f"client {n + 1}" for n in range(options.associations)]
        results = await asyncio.gather(
            *(talk(reactor, host, number, name, options.count) for name in names))
    finally:
        if port is not None:
            await port.stopListening().asFuture(loop)
    total = options.count * options.associations
    if any(results):
        print(f"asyncio example FAILED: {sum(results)} of {total} echoes did not match")
        return 1
    print(f"asyncio example OK: {options.associations} associations, {total} messages "
          "echoed, sender dry and graceful close awaited from asyncio")
    return 0


def parseArguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--connect", metavar="HOST:PORT",
                        help="an echo server to use instead of starting one")
    parser.add_argument("--associations", type=int, default=2,
                        help="associations to run side by side (default 2)")
    parser.add_argument("--count", type=int, default=3,
                        help="messages per association (default 3)")
    return parser.parse_args(argv)


def run(reactor, argv):
    options = parseArguments(argv)
    # The coroutine runs as an asyncio task; Twisted waits for it as a
    # Deferred (react stops the reactor when it fires).
    d = defer.Deferred.fromFuture(loop.create_task(main(reactor, options)))

    def exitWith(status):
        if status:
            raise SystemExit(status)

    return d.addCallback(exitWith)


if __name__ == "__main__":
    task.react(run, (sys.argv[1:],))
