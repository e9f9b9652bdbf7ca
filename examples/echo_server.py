#!/usr/bin/env python3
"""
An SCTP echo server: every message goes back on its association, on the
same stream, with the same PPID and ordering.

    python examples/echo_server.py --port 2905
    python examples/echo_server.py --port 2905 --style one-to-many
    python examples/echo_server.py --interface 127.0.0.1 --interface 127.0.0.2

With C{--style one-to-one} (the default) the kernel gives every association
a socket of its own; with C{--style one-to-many} every association lives on
the one listening socket and txsctp demultiplexes them, still with one
Protocol per association.  The Protocol is the same either way.

It prints one line when it listens (C{listening on ... port N}) and one per
association event and message; C{--quiet} leaves out the per-message lines.
Stop it with Ctrl-C (or SIGTERM).  See echo_client.py for the other side.
"""

from __future__ import annotations

import argparse

from twisted.internet import error, protocol, task
from twisted.internet.defer import Deferred

from txsctp import SCTPProtocol, listenSCTP
from txsctp.notifications import PeerAddressState


class Echo(SCTPProtocol):
    """
    Sends every message back where it came from.
    """

    def _say(self, text: str) -> None:
        peer = self.transport.getPeer()
        print(f"[assoc {self.transport.assocId} {peer.host}:{peer.port}] {text}", flush=True)

    def associationUp(self, notification):
        self._say(f"up: {notification.outboundStreams} outbound / "
                  f"{notification.inboundStreams} inbound streams, "
                  f"peer addresses {', '.join(self.transport.getPeer().addresses)}")

    def messageReceived(self, data, info):
        if not self.factory.quiet:
            order = "unordered" if info.unordered else "ordered"
            self._say(f"echo {len(data)} bytes, stream {info.stream}, PPID {info.ppid}, {order}")
        self.transport.writeMessage(data, stream=info.stream, ppid=info.ppid,
                                    unordered=info.unordered)

    def associationRestarted(self, notification):
        self._say("the peer restarted the association")

    def peerAddressChanged(self, notification):
        state = notification.state
        name = state.name if isinstance(state, PeerAddressState) else state
        host, port = notification.address or ("?", 0)
        self._say(f"path {host}:{port} is now {name}")

    def shutdownReceived(self, notification):
        self._say("the peer is shutting down")

    def connectionLost(self, reason):
        if reason.check(error.ConnectionDone):
            how = "closed cleanly"
        else:
            how = f"ended: {reason.getErrorMessage()}"
        self._say(how)


class EchoFactory(protocol.Factory):
    protocol = Echo

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet


def main(reactor, args):
    interfaces = args.interface or ["127.0.0.1"]
    port = listenSCTP(
        args.port, EchoFactory(args.quiet),
        interface=interfaces if len(interfaces) > 1 else interfaces[0],
        reactor=reactor, style=args.style, outStreams=args.streams, inStreams=args.streams,
    )
    print(f"listening on {', '.join(interfaces)} port {port.getHost().port} ({args.style}, "
          f"up to {args.streams} streams each way)", flush=True)
    return Deferred()  # serve until stopped


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="SCTP echo server (txsctp example)")
    parser.add_argument("--port", type=int, default=2905, help="port (0: any free one)")
    parser.add_argument("--interface", action="append",
                        help="local address to bind; repeat for multi-homing "
                             "(default 127.0.0.1)")
    parser.add_argument("--style", choices=["one-to-one", "one-to-many"], default="one-to-one")
    parser.add_argument("--streams", type=int, default=16,
                        help="streams to offer and accept (default 16)")
    parser.add_argument("--quiet", action="store_true", help="no line per message")
    task.react(main, [parser.parse_args()])
