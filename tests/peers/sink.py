"""
A receiver that checks sequence-numbered messages (peerlib) and reports.

    python tests/peers/sink.py --addr 127.0.0.1 --port 0 [--every 5000]

Prints "LISTENING <port>", then "RECEIVED <n>" every --every messages, and
when the association ends "REPORT total=<n> errors=<k> end=<how>" followed
by up to 5 "ERROR ..." lines; then exits.  Stop it (SIGSTOP) to make it a
peer that stops reading; SIGCONT lets it go on.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peerlib import Receiver, SequenceChecker, say

from txsctp.notifications import AssociationChange, AssociationState, Notification
from txsctp.options import InitMsg, Tuning
from txsctp.sctpsocket import ONE_TO_ONE, SCTPSocket


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--every", type=int, default=0)
    p.add_argument("--rcvbuf", type=int, default=0)
    args = p.parse_args()
    lsock = SCTPSocket(socket.AF_INET, ONE_TO_ONE,
                       tuning=Tuning(nodelay=True, sendBufferSize=None,
                                     receiveBufferSize=args.rcvbuf or None),
                       initMsg=InitMsg(numOutStreams=64, maxInStreams=64))
    lsock.bindx(args.addr.split(","), args.port)
    lsock.listen(1)
    say("LISTENING", lsock.getsockname()[1])
    sock, addr = lsock.accept()
    lsock.close()
    receiver = Receiver(sock)
    checker = SequenceChecker()
    end = "eof"
    while True:
        try:
            item = receiver.next()
        except OSError as e:
            end = f"error-{e.errno}"
            break
        if item is None:
            break
        if isinstance(item, Notification):
            if isinstance(item, AssociationChange) and item.state != AssociationState.COMM_UP:
                end = AssociationState(item.state).name
                break
            continue
        checker.feedMessage(item.data, item.info.stream)
        if args.every and checker.count % args.every == 0:
            say("RECEIVED", checker.count)
    say("REPORT", f"total={checker.count}", f"errors={len(checker.errors)}", f"end={end}")
    for e in checker.errors[:5]:
        say("ERROR", e)


if __name__ == "__main__":
    main()
