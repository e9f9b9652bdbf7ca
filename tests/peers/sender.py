"""
A sender of sequence-numbered messages (see peerlib.seqMessage), built on
the socket layer only, blocking.

    python tests/peers/sender.py --connect 127.0.0.1 --port 5000 \\
        --count 1000 --streams 8 --size 100 [--local-port 4000] [--gen 1]

Prints "UP <local port>" once the association is up, "SENT <n>" every
--report messages, and "DONE <n>" when --count messages (0: for ever) were
accepted by the kernel; then waits for a line on stdin ("close": graceful
close, reading what still arrives until it completes; "close-hold": the
same, but reading starts only after one more line; "abort": ABORT; "exit":
just exit) before exiting.

--batch N sends N messages per system call (sendmmsg); --linger0 makes the
kernel abort the association (instead of shutting it down) when the process
exits or is killed.  --drop-ppid tags every message with PPID = seq.
"""

from __future__ import annotations

import argparse
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peerlib import addTimerArguments, addressList, applyTimers, say, seqMessage

from txsctp.notifications import AssociationChange, AssociationState, NotificationType
from txsctp.options import InitMsg, Tuning
from txsctp.sctpsocket import ONE_TO_MANY, ONE_TO_ONE, SCTPSocket


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--connect", required=True, help="peer address(es), comma separated")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind", default="", help="local address(es), comma separated")
    p.add_argument("--local-port", type=int, default=0)
    p.add_argument("--count", type=int, default=0, help="0: send for ever")
    p.add_argument("--streams", type=int, default=1)
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--gen", type=int, default=0)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--report", type=int, default=0)
    p.add_argument("--linger0", action="store_true")
    p.add_argument("--nodelay", type=int, default=1)
    p.add_argument("--sndbuf", type=int, default=1 << 20)
    p.add_argument("--rcvbuf", type=int, default=1 << 20)
    p.add_argument("--reuse", action="store_true", help="SO_REUSEADDR before binding")
    p.add_argument("--ppid-seq", action="store_true", help="PPID of each message = its seq")
    p.add_argument("--one-to-many", action="store_true", help="use a one-to-many socket")
    addTimerArguments(p)
    args = p.parse_args()

    peers = addressList(args.connect, args.port)
    family = socket.AF_INET6 if any(":" in h for h, _ in peers) else socket.AF_INET
    style = ONE_TO_MANY if args.one_to_many else ONE_TO_ONE
    sock = SCTPSocket(family, style, events=[NotificationType.ASSOC_CHANGE],
                      tuning=Tuning(nodelay=bool(args.nodelay), sendBufferSize=args.sndbuf,
                                    receiveBufferSize=args.rcvbuf),
                      initMsg=InitMsg(numOutStreams=max(args.streams, 1), maxInStreams=max(args.streams, 1),
                                      maxAttempts=args.max_attempts))
    applyTimers(sock, args)
    if args.reuse:
        sock._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.linger0:
        sock._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if args.bind or args.local_port:
        local = args.bind.split(",") if args.bind else ["0.0.0.0" if family == socket.AF_INET else "::"]
        sock.bindx(local, args.local_port)
    assoc = sock.connectx(peers)
    if style == ONE_TO_ONE:
        assoc = 0
    # Blocking connectx returns once the association is up; the COMM_UP
    # notification is queued.
    item = sock.receiveMessage()
    if not (isinstance(item, AssociationChange) and item.state == AssociationState.COMM_UP):
        say("FAILED", item)
        sys.exit(1)
    if style == ONE_TO_MANY:
        assoc = item.assocId
    say("UP", sock.getsockname()[1], item.outboundStreams)
    streams = min(args.streams, item.outboundStreams)
    sent = 0
    nextReport = args.report
    start = time.monotonic()
    batch = []
    n = 0
    count = args.count
    while count == 0 or n < count:
        stream = n % streams
        seq = n // streams
        ppid = seq & 0xFFFFFFFF if args.ppid_seq else 1000 + stream
        if args.batch > 1:
            batch.append((seqMessage(stream, seq, args.size, args.gen), stream, ppid, 0, assoc, 0))
            n += 1
            if len(batch) >= args.batch or n == count:
                done = 0
                while done < len(batch):
                    done += sock.sendBatch(batch[done:])
                sent += len(batch)
                batch = []
        else:
            sock.sendMessage(seqMessage(stream, seq, args.size, args.gen), stream, ppid, assocId=assoc)
            n += 1
            sent += 1
        if args.report and sent >= nextReport:
            say("SENT", sent)
            nextReport = sent - sent % args.report + args.report
    elapsed = time.monotonic() - start
    say("DONE", sent, f"{elapsed:.3f}")
    line = sys.stdin.readline().strip()
    if line == "abort" or line.startswith("abort:"):
        # "abort:REASON" sends an ABORT carrying REASON as its user-initiated
        # cause (needs --one-to-many: one-to-one sockets refuse SCTP_ABORT in
        # sendmsg); a plain "abort" uses linger 0 and close().
        reason = line[6:].encode()
        if style == ONE_TO_MANY:
            sock.sendMessage(reason, abort=True, assocId=assoc)
        else:
            sock._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    elif line in ("close", "close-hold"):
        if style == ONE_TO_MANY:
            sock.sendMessage(b"", eof=True, assocId=assoc)
        else:
            sock.shutdown(socket.SHUT_WR)
        if line == "close-hold":
            # Shut down, but read nothing until told to.
            say("SHUTDOWN-SENT")
            sys.stdin.readline()
        # Read (and count) what is still coming until the association ends.
        got = 0
        while True:
            try:
                item = sock.receiveMessage()
            except OSError as e:
                say("CLOSED", "error", e.errno)
                break
            if isinstance(item, AssociationChange):
                say("CLOSED", "state", int(item.state), "received", got)
                break
            if not getattr(item, "data", b"x") and not getattr(item, "complete", True):
                say("CLOSED", "eof", "received", got)
                break
            if getattr(item, "complete", False):
                got += 1
    say("BYE")
    sock.close()


if __name__ == "__main__":
    main()
