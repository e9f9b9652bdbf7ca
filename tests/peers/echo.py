"""
An SCTP echo server built on the socket layer only (no Twisted): every
message goes back whole on the association, stream and PPID it came on, with
its unordered flag.  Notifications are printed as EVENT lines.

    python tests/peers/echo.py --addr 10.1.1.2,10.1.2.2 --port 5000 [--style one-to-many]

Prints "LISTENING <port>" once listening, then runs until killed.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peerlib import Receiver, addTimerArguments, applyTimers, say

from txsctp.notifications import AssociationChange, Notification, PeerAddressChange
from txsctp.options import InitMsg, Tuning
from txsctp.sctpsocket import ONE_TO_MANY, ONE_TO_ONE, SCTPSocket


def describe(n: Notification) -> str:
    if isinstance(n, AssociationChange):
        return f"EVENT assoc {n.assocId} state={int(n.state)} error={n.error}"
    if isinstance(n, PeerAddressChange):
        return f"EVENT path {n.address[0] if n.address else None} state={int(n.state)}"
    return f"EVENT {type(n).__name__}"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--style", default=ONE_TO_MANY, choices=[ONE_TO_MANY, ONE_TO_ONE])
    p.add_argument("--streams", type=int, default=64)
    p.add_argument("--quiet", action="store_true", help="no EVENT lines")
    addTimerArguments(p)
    args = p.parse_args()

    hosts = args.addr.split(",")
    family = 10 if any(":" in h for h in hosts) else 2
    lsock = SCTPSocket(family, args.style, tuning=Tuning(nodelay=True, sendBufferSize=1 << 20,
                                                           receiveBufferSize=1 << 20),
                       initMsg=InitMsg(numOutStreams=args.streams, maxInStreams=args.streams))
    applyTimers(lsock, args)
    lsock.bindx(hosts, args.port)
    lsock.listen(16)
    say("LISTENING", lsock.getsockname()[1])
    while True:
        if args.style == ONE_TO_ONE:
            sock, addr = lsock.accept()
            say("ACCEPTED", addr[0], addr[1])
        else:
            sock = lsock
        receiver = Receiver(sock)
        while True:
            try:
                item = receiver.next()
            except ConnectionError as e:
                say("CLOSED", repr(e))
                break
            if item is None:
                say("CLOSED eof")
                break
            if isinstance(item, Notification):
                if not args.quiet:
                    say(describe(item))
                continue
            info = item.info
            try:
                sock.sendMessage(item.data, info.stream, info.ppid, unordered=info.unordered,
                                 assocId=info.assocId if args.style == ONE_TO_MANY else 0)
            except OSError as e:
                say("SENDFAILED", e)
        if args.style == ONE_TO_ONE:
            sock.close()


if __name__ == "__main__":
    main()
