"""
System calls per operation (``strace -f -c``): what each contender asks of
the kernel per ping-pong round trip, per one-way 100-byte message and per
association setup+teardown cycle.  One side runs under strace, the other
side is the C program; each figure is the difference of two runs (a short
and a longer one) divided by the difference of their operation counts, so
interpreter start-up and connection set-up are not counted.

In the test kernel every system call costs tens of microseconds (and
``clock_gettime`` is one: no vDSO there), so these counts explain most of
the UML rates; natively the same counts cost well under a microsecond
each.  They do not depend on the kernel's speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

from common import TUNED
from driver import BY_KEY, C_BENCH, Child, table

HERE = os.path.dirname(os.path.abspath(__file__))

# (workload, role): the measured side's function, the C program's mode for
# the other side, and the two sizes of run (counts, or seconds for the
# Python setup client, which runs for a duration).
ROLES = [
    ("pingpong", "client"),
    ("pingpong", "server"),
    ("oneway100", "sender"),
    ("oneway100", "receiver"),
    ("setup", "client"),
    ("setup", "server"),
]
UNIT = {"pingpong": "round trip", "oneway100": "message", "setup": "association"}
SMALL_LARGE = {"pingpong": (100, 600), "oneway100": (2000, 12000), "setup": (10, 60)}
SETUP_SECONDS = (0.1, 0.6)


def parse_strace(path: str) -> Dict[str, int]:
    """
    Calls per system call name from an ``strace -c`` summary.
    """
    calls: Dict[str, int] = {}
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 5 or parts[-1] == "total" or not parts[3].isdigit():
                continue
            name = parts[-1]
            calls[name] = calls.get(name, 0) + int(parts[3])
    return calls


def _spawn(argv) -> Child:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    fd = os.dup(proc.stdout.fileno())
    proc.stdout.close()
    return Child(argv[0], proc.pid, fd, proc)


# The C program's mode for each side of each workload.
C_MODES = {
    "pingpong": {"client": "ppclient", "server": "ppserver"},
    "oneway100": {"sender": "send", "receiver": "recv"},
    "setup": {"client": "setupclient", "server": "setupserver"},
}
OTHER_ROLE = {"client": "server", "server": "client", "sender": "receiver", "receiver": "sender"}


def _c_argv(workload: str, role: str, size: int, port: Optional[int]) -> List[str]:
    """
    The C program playing C{role}: a server (no port) or a client of
    C{port} running C{size} operations.
    """
    argv = [C_BENCH, C_MODES[workload][role]] + TUNED.c_args()
    if workload != "setup":
        argv += ["--size", "100"]
    if port is not None:
        argv += ["--port", str(port), "--count", str(size)]
    return argv


def _measured_argv(key: str, workload: str, role: str, size: int, port: Optional[int]) -> List[str]:
    """
    The command line of the measured side (C or a Python contender).
    """
    if key == "c":
        return _c_argv(workload, role, size, port)
    c = BY_KEY[key]
    func, args = {
        ("pingpong", "client"): ("pp_client", [port, 100, 0, size]),
        ("pingpong", "server"): ("pp_server", []),
        ("oneway100", "sender"): ("oneway_send", [port, 100, 0, size]),
        ("oneway100", "receiver"): ("oneway_recv", [100]),
        ("setup", "client"): ("setup_client", [port, size]),
        ("setup", "server"): ("setup_server", []),
    }[(workload, role)]
    spec = {"settings": TUNED.to_dict(), "args": args, "kwargs": c.extra}
    return [sys.executable, os.path.join(HERE, "child.py"), c.module, func, json.dumps(spec)]


def _other_argv(workload: str, role: str, size: int, port: Optional[int]) -> List[str]:
    """
    The C program's command line for the side not measured.
    """
    return _c_argv(workload, OTHER_ROLE[role], size, port)


def _ops(result: Optional[dict], workload: str, role: str) -> int:
    if not result:
        return 0
    key = {("pingpong", "client"): "rtts", ("pingpong", "server"): "echoed",
           ("oneway100", "sender"): "sent", ("oneway100", "receiver"): "msgs",
           ("setup", "client"): "cycles", ("setup", "server"): "accepted"}[(workload, role)]
    return int(result.get(key, 0))


def _one(key: str, workload: str, role: str, size, timeout: float) -> Tuple[Dict[str, int], int]:
    """
    One run with the measured side under strace: (calls by name, operations).
    """
    fd, out = tempfile.mkstemp(prefix="txsctp-strace-", suffix=".txt")
    os.close(fd)
    deadline = time.monotonic() + timeout
    measuredIsServer = role in ("server", "receiver")
    children = []
    try:
        if measuredIsServer:
            srv = _spawn(["strace", "-f", "-c", "-o", out] + _measured_argv(key, workload, role, size, None))
            children.append(srv)
            line = srv.readline(deadline)
            if not line or not line.startswith("READY"):
                return {}, 0
            cli = _spawn(_other_argv(workload, role, size, int(line.split()[1])))
            children.append(cli)
            cli.result(deadline)
            res = srv.result(deadline)
        else:
            srv = _spawn(_other_argv(workload, role, size, None))
            children.append(srv)
            line = srv.readline(deadline)
            if not line or not line.startswith("READY"):
                return {}, 0
            cli = _spawn(["strace", "-f", "-c", "-o", out] +
                         _measured_argv(key, workload, role, size, int(line.split()[1])))
            children.append(cli)
            res = cli.result(deadline)
            srv.result(deadline)
        for ch in children:
            if not ch.wait(deadline):
                ch.kill()
        return parse_strace(out), _ops(res, workload, role)
    finally:
        for ch in children:
            if ch.status is None:
                ch.kill()
            ch.close()
        os.unlink(out)


def measure(key: str, workload: str, role: str, timeout: float = 120.0):
    """
    System calls per operation, by name, from two runs' difference.
    """
    sizes = SMALL_LARGE[workload]
    if workload == "setup" and role == "client" and key != "c":
        sizes = SETUP_SECONDS
    for _attempt in range(2):
        # Twice at most: a rare INIT retransmission (a whole rto_initial)
        # can leave the longer setup run with fewer cycles than the short.
        (a, na), (b, nb) = (_one(key, workload, role, s, timeout) for s in sizes)
        if nb > na and b:
            break
    else:
        return None
    names = set(a) | set(b)
    return {n: (b.get(n, 0) - a.get(n, 0)) / (nb - na) for n in names}


def _describe(per: Optional[Dict[str, float]]) -> Tuple[str, str]:
    if per is None:
        return "-", "(no result)"
    total = sum(v for v in per.values() if v > 0)
    top = sorted(((v, n) for n, v in per.items() if v >= min(0.05, total / 10)), reverse=True)[:6]
    return (f"{total:.2f}" if total < 10 else f"{total:.1f}"), \
        ", ".join(f"{n} {v:.3f}" if v < 0.1 else f"{n} {v:.2f}" if v < 10 else f"{n} {v:.0f}" for v, n in top)


def run(bench, args) -> str:
    if subprocess.call(["sh", "-c", "command -v strace"], stdout=subprocess.DEVNULL) != 0:
        return "== system calls: skipped (strace is not installed) ==\n"
    keys = [k for k in ("c", "stdlib", "txsock", "tx1to1", "tx1toM") if BY_KEY[k].available]
    rows = []
    for workload, role in ROLES:
        for key in keys:
            if key == "tx1toM" and role not in ("server", "receiver"):
                continue  # the one-to-many port differs from 1:1 on the server side only
            t = time.monotonic()
            try:
                per = measure(key, workload, role)
            except Exception as e:  # report, don't abort the whole run
                per = None
                bench.say(f"syscalls {workload} {role} {key}: {e.__class__.__name__}: {e}")
            total, top = _describe(per)
            bench.say(f"syscalls {workload:9s} {role:8s} {key:7s} {total:>6s} per {UNIT[workload]} "
                      f"({time.monotonic() - t:.0f} s)")
            rows.append([f"{workload} {role}", BY_KEY[key].name, total, top])
    out = ["== system calls per operation (strace -f -c, tuned settings; the other side is the C program; "
           "difference of a short and a long run) =="]
    out.append(table(["workload, side measured", "contender", "syscalls/op", "most frequent (calls/op)"], rows))
    out.append("")
    return "\n".join(out)
