"""
Many short associations, in waves, from one process (socket layer only,
non-blocking one-to-one sockets driven by epoll).

    python tests/peers/manyclients.py --connect 127.0.0.1 --port 5000

Reads commands on stdin:

    wave ID N   open N associations at once; on each, once it is up, send
                one message "ID:i:localport:nonce" (stream i % 4) and wait
                for it to come back; check that the echo is exactly the
                message sent on that association (and on its stream), then
                close the socket (graceful shutdown: nothing is left unread).
                Prints "WAVE ID ok=.. bad=.. failed=.. elapsed=..".
    hold ID N   the same, but the associations that got their echo stay open
                (until "release").
    release     close every association kept open by "hold"; prints
                "RELEASED n".
    quit        exit.
"""

from __future__ import annotations

import argparse
import errno
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peerlib import say

from txsctp.info import Message
from txsctp.notifications import AssociationChange, AssociationState, NotificationType
from txsctp.options import InitMsg
from txsctp.sctpsocket import ONE_TO_ONE, SCTPSocket

held = []


def wave(waveId: str, n: int, host: str, port: int, timeout: float, keep: bool = False) -> None:
    start = time.monotonic()
    ep = select.epoll()
    socks = {}
    expected = {}
    ok = bad = failed = 0
    problems = []
    for i in range(n):
        s = SCTPSocket(socket.AF_INET, ONE_TO_ONE, blocking=False, events=[NotificationType.ASSOC_CHANGE],
                       tuning=None, initMsg=InitMsg(numOutStreams=4, maxInStreams=4))
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        except OSError as e:
            failed += 1
            problems.append(f"connect: {e}")
            s.close()
            continue
        socks[s.fileno()] = (i, s)
        ep.register(s.fileno(), select.EPOLLIN)
    deadline = start + timeout
    while socks and time.monotonic() < deadline:
        for fd, _ in ep.poll(1.0):
            entry = socks.get(fd)
            if entry is None:
                continue
            i, s = entry
            finished = False
            while not finished:
                try:
                    item = s.receiveMessage()
                except BlockingIOError:
                    break
                except OSError as e:
                    failed += 1
                    problems.append(f"#{i}: {e}")
                    finished = True
                    break
                if isinstance(item, AssociationChange):
                    if item.state == AssociationState.COMM_UP:
                        local = s.getsockname()[1]
                        msg = f"{waveId}:{i}:{local}:{os.urandom(4).hex()}".encode()
                        expected[fd] = (msg, i % 4)
                        try:
                            s.sendMessage(msg, i % 4, 7)
                        except OSError as e:
                            failed += 1
                            problems.append(f"#{i}: send: {e}")
                            finished = True
                    else:
                        failed += 1
                        problems.append(f"#{i}: association change {item.state!r} error {item.error}")
                        finished = True
                elif isinstance(item, Message):
                    if not item.data and not item.complete:
                        failed += 1
                        problems.append(f"#{i}: end of file before the echo")
                        finished = True
                        break
                    want, stream = expected.get(fd, (None, None))
                    if item.data == want and item.info.stream == stream:
                        ok += 1
                        if keep:
                            ep.unregister(fd)
                            del socks[fd]
                            held.append(s)
                            break
                    else:
                        bad += 1
                        problems.append(f"#{i}: got {item.data!r} on stream {item.info.stream}, "
                                        f"sent {want!r} on {stream}")
                    finished = True
            if finished and fd in socks:
                ep.unregister(fd)
                del socks[fd]
                s.close()
    for _fd, (i, s) in socks.items():
        failed += 1
        problems.append(f"#{i}: timed out")
        s.close()
    ep.close()
    for p in problems[:5]:
        say("PROBLEM", p)
    t = os.times()
    say("WAVE", waveId, f"ok={ok}", f"bad={bad}", f"failed={failed}",
        f"elapsed={time.monotonic() - start:.3f}", f"cpu={t.user:.2f}/{t.system:.2f}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--connect", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--timeout", type=float, default=120)
    args = p.parse_args()
    say("READY")
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] in ("wave", "hold"):
            wave(words[1], int(words[2]), args.connect, args.port, args.timeout, keep=words[0] == "hold")
        if words[0] == "release":
            n = len(held)
            while held:
                held.pop().close()
            say("RELEASED", n)
    say("BYE")


if __name__ == "__main__":
    try:
        main()
    except OSError as e:
        if e.errno != errno.EPIPE:
            raise
