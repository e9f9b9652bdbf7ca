"""
System calls per operation (``strace -f -c``): what each contender asks of
the kernel per one-way 100-byte message (sender, receiver), per ping-pong
round trip (each side) and per association set-up + teardown cycle (each
side).  One side runs under strace, the other is the contender's peer (the
C program); each figure is the difference of a short and a long run
divided by the difference of their operation counts, so start-up and
connection set-up are not counted.

In the test kernel every system call costs tens of microseconds (and
``clock_gettime`` is one: no vDSO there), so these counts explain most of
its rates; natively the same calls cost well under a microsecond each.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from typing import Callable, Dict, List, Optional, Tuple

from common import TUNED
from contenders import BY_WORKLOAD, Contender
from harness import Child, argv, spawn, spawnArgv
from results import table

# (workload, side measured, operation, the measured side's result field
# counting operations, (short, long) counts)
ROLES = [
    ("oneway100", "client", "message", "sent", (2000, 12000)),
    ("oneway100", "server", "message", "msgs", (2000, 12000)),
    ("pingpong", "client", "round trip", "rtts", (100, 600)),
    ("pingpong", "server", "round trip", "echoed", (100, 600)),
    ("setup", "client", "association", "cycles", (10, 60)),
    ("setup", "server", "association", "accepted", (10, 60)),
]
ROLE_NAMES = {("oneway100", "client"): "sender", ("oneway100", "server"): "receiver",
              ("pingpong", "server"): "echo side"}


def parse_strace(path: str) -> Dict[str, int]:
    """Calls per system call name from an ``strace -c`` summary."""
    calls: Dict[str, int] = {}
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 5 or parts[-1] == "total" or not parts[3].isdigit():
                continue
            calls[parts[-1]] = calls.get(parts[-1], 0) + int(parts[3])
    return calls


def _params(workload: str, role: str, n: int) -> Tuple[dict, dict]:
    """(server parameters, client parameters) for a run of C{n} operations."""
    if workload == "oneway100":
        return dict(size=100), dict(size=100, duration=0, count=n)
    if workload == "pingpong":
        return {}, dict(size=100, duration=0, count=n)
    return {}, dict(duration=0, count=n)


def _one(c: Contender, peer: Contender, workload: str, role: str, field: str, n: int,
         timeout: float) -> Tuple[Dict[str, int], int]:
    """One run with C{role} of C{c} under strace: (calls by name, operations)."""
    fd, out = tempfile.mkstemp(prefix="txsctp-strace-", suffix=".txt")
    os.close(fd)
    deadline = time.monotonic() + timeout
    serverParams, clientParams = _params(workload, role, n)
    children: List[Child] = []
    traced = ["strace", "-f", "-c", "-o", out]
    try:
        if role == "server":
            srv = spawnArgv(traced + argv(c.side(workload, "server"), TUNED, **serverParams))
            children.append(srv)
            ready = srv.ready(deadline)
            if ready is None:
                return {}, 0
            cli = spawn(peer.side(workload, "client"), TUNED, port=ready[0], **ready[1], **clientParams)
            children.append(cli)
            cli.result(deadline)
            res = srv.result(deadline)
        else:
            srv = spawn(peer.side(workload, "server"), TUNED, **serverParams)
            children.append(srv)
            ready = srv.ready(deadline)
            if ready is None:
                return {}, 0
            cli = spawnArgv(traced + argv(c.side(workload, "client"), TUNED, port=ready[0], **ready[1],
                                          **clientParams))
            children.append(cli)
            res = cli.result(deadline)
            srv.result(deadline)
        for ch in children:
            ch.finish(deadline)
        return parse_strace(out), int((res or {}).get(field, 0))
    finally:
        for ch in children:
            if ch.status is None:
                ch.kill()
            ch.close()
        os.unlink(out)


def measure(c: Contender, peer: Contender, workload: str, role: str, field: str, counts,
            timeout: float = 120.0) -> Optional[Dict[str, float]]:
    """System calls per operation, by name, from two runs' difference."""
    for _attempt in range(2):
        # Twice at most: a rare INIT retransmission (a whole rto_initial)
        # can leave the longer set-up run with fewer cycles than the short.
        (a, na), (b, nb) = (_one(c, peer, workload, role, field, n, timeout) for n in counts)
        if nb > na and b:
            break
    else:
        return None
    return {name: (b.get(name, 0) - a.get(name, 0)) / (nb - na) for name in set(a) | set(b)}


def _describe(per: Optional[Dict[str, float]]) -> Tuple[str, str]:
    if per is None:
        return "-", "(no result)"
    total = sum(v for v in per.values() if v > 0)
    top = sorted(((v, n) for n, v in per.items() if v >= min(0.05, total / 10)), reverse=True)[:6]
    return (f"{total:.2f}" if total < 10 else f"{total:.1f}"), \
        ", ".join(f"{n} {v:.3f}" if v < 0.1 else f"{n} {v:.2f}" if v < 10 else f"{n} {v:.0f}" for v, n in top)


def available() -> Tuple[bool, str]:
    if subprocess.call(["sh", "-c", "command -v strace"], stdout=subprocess.DEVNULL) != 0:
        return False, "strace is not installed"
    return True, ""


def run(contenders: List[Contender], say: Callable[[str], None], peers: List[Contender]) -> str:
    """
    The section's table for C{contenders} (each where its C{measure} says);
    C{peers}: every contender, among them each one's peer.
    """
    byKey = {c.key: c for c in peers}
    rows = []
    for workload, role, unit, field, counts in ROLES:
        for c in contenders:
            if "syscalls" not in c.measure or c.side(workload, role) is None:
                continue
            if c.key == "tx1toM" and role == "client":
                continue  # the same client as tx1to1's: 1:M differs on the server side only
            t = time.monotonic()
            try:
                per = measure(c, byKey[c.peer], workload, role, field, counts)
            except Exception as e:  # report, don't abort the whole run
                per = None
                say(f"syscalls {workload} {role} {c.key}: {e.__class__.__name__}: {e}")
            total, top = _describe(per)
            say(f"syscalls {workload:9s} {role:6s} {c.key:7s} {total:>6s} per {unit} ({time.monotonic() - t:.0f} s)")
            rows.append([f"{BY_WORKLOAD[workload].label}, {ROLE_NAMES.get((workload, role), role)}", c.label, total,
                         top])
    out = ["== system calls per operation (strace -f -c; tuned settings; the other side is the C program; "
           "difference of a short and a long run) =="]
    out.append(table(["workload, side measured", "contender", "per operation", "most frequent (calls per op)"],
                     rows))
    out.append("")
    return "\n".join(out)
