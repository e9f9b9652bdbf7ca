"""
User-space instructions per message (valgrind --tool=callgrind), which do
not depend on the kernel's speed: the 100-byte one-way workload with a small
fixed count, one side under callgrind and the C program as the other side.

Python sides bracket their message loop with common.probe (client requests
from c/cgctl.c: zero the counters and start instrumentation at the first
message, stop and dump at the last), so interpreter start-up is not counted.
The C program is measured by difference of two counts instead.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time

from common import TUNED
from driver import BUILD, BY_KEY, C_BENCH, Child, fmt, spawn_c, table

HERE = os.path.dirname(os.path.abspath(__file__))
CGCTL = os.path.join(BUILD, "cgctl.so")
WORK = os.environ.get("BENCH_CALLGRIND_DIR", "/var/tmp")


def _valgrind(outfile, argv, atstart=True):
    opts = ["valgrind", "--tool=callgrind", "--quiet", f"--callgrind-out-file={outfile}"]
    if not atstart:
        opts.append("--instr-atstart=no")  # the probe starts it at the first message
    return opts + argv


def _total_ir(prefix: str) -> int:
    total = 0
    for path in glob.glob(prefix + "*"):
        totals = summary = 0
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("totals:"):
                    totals += int(line.split()[1])
                elif line.startswith("summary:"):
                    summary += int(line.split()[1])
        total += totals or summary
        os.unlink(path)
    return total


def _spawn(argv, env=None) -> Child:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    fd = os.dup(proc.stdout.fileno())
    proc.stdout.close()
    return Child(argv[0], proc.pid, fd, proc)


def _measure_py(module: str, side: str, count: int, extra: dict, timeout: float):
    prefix = os.path.join(WORK, f"txsctp-cg-{os.getpid()}-{module}-{side}.out")
    for old in glob.glob(prefix + "*"):
        os.unlink(old)
    env = dict(os.environ, BENCH_CALLGRIND=CGCTL)
    py = [sys.executable, os.path.join(HERE, "child.py"), module]
    deadline = time.monotonic() + timeout
    if side == "recv":
        spec = {"settings": TUNED.to_dict(), "args": [100], "kwargs": extra}
        srv = _spawn(_valgrind(prefix, py + ["oneway_recv", json.dumps(spec)], atstart=False), env)
        line = srv.readline(deadline)
        if not line or not line.startswith("READY"):
            srv.kill()
            return None, "receiver never became ready"
        cli = spawn_c("send", TUNED.c_args() + ["--port", line.split()[1], "--size", "100",
                                                 "--count", str(count)])
        res = srv.result(deadline)
        cli.result(deadline)
        n = res["msgs"] if res else 0
    else:
        srv = spawn_c("recv", TUNED.c_args() + ["--size", "100"])
        line = srv.readline(deadline)
        port = int(line.split()[1])
        spec = {"settings": TUNED.to_dict(), "args": [port, 100, 0, count], "kwargs": extra}
        cli = _spawn(_valgrind(prefix, py + ["oneway_send", json.dumps(spec)], atstart=False), env)
        res = cli.result(deadline)
        srv.result(deadline)
        n = res["sent"] if res else 0
    for ch in (srv, cli):
        if not ch.wait(deadline):
            ch.kill()
        ch.close()
    ir = _total_ir(prefix)
    if not n or not ir:
        return None, "no result"
    return ir / n, ""


def _subjectName(key: str) -> str:
    if key == "tx1to1+":
        return BY_KEY["tx1to1"].name + ", writeMessages x64"
    return BY_KEY[key].name


def _measure_c(side: str, counts=(2000, 6000), timeout: float = 120):
    irs = []
    for count in counts:
        prefix = os.path.join(WORK, f"txsctp-cg-{os.getpid()}-c-{side}-{count}.out")
        deadline = time.monotonic() + timeout
        base = TUNED.c_args()
        if side == "recv":
            srv = _spawn(_valgrind(prefix, [C_BENCH, "recv"] + base + ["--size", "100"]))
            port = srv.readline(deadline).split()[1]
            cli = spawn_c("send", base + ["--port", port, "--size", "100", "--count", str(count)])
        else:
            srv = spawn_c("recv", base + ["--size", "100"])
            port = srv.readline(deadline).split()[1]
            cli = _spawn(_valgrind(prefix, [C_BENCH, "send"] + base +
                                   ["--port", port, "--size", "100", "--count", str(count)]))
        srv.result(deadline)
        cli.result(deadline)
        for ch in (srv, cli):
            if not ch.wait(deadline):
                ch.kill()
            ch.close()
        irs.append(_total_ir(prefix))
    return (irs[1] - irs[0]) / (counts[1] - counts[0]), ""


# Ping-pong: the echo side measured, by difference of two runs' counts.
PINGPONG_COUNTS = (200, 1200)


def _measure_echo(key: str, timeout: float = 300):
    """
    Instructions per ping-pong round trip on the echo (server) side: one
    request received, one reply sent, plus whatever loop or reactor turn
    the contender needs between them.  The client is the C program (Twisted
    TCP, which cannot talk to it, gets its own Python client).
    """
    import syscalls

    irs = []
    for count in PINGPONG_COUNTS:
        prefix = os.path.join(WORK, f"txsctp-cg-{os.getpid()}-{key}-echo-{count}.out")
        for old in glob.glob(prefix + "*"):
            os.unlink(old)
        deadline = time.monotonic() + timeout
        srv = _spawn(_valgrind(prefix, syscalls._measured_argv(key, "pingpong", "server", count, None)))
        line = srv.readline(deadline)
        if not line or not line.startswith("READY"):
            srv.kill()
            srv.close()
            return None, "the echo side never became ready"
        port = int(line.split()[1])
        if key == "tcp":
            cli = _spawn(syscalls._measured_argv(key, "pingpong", "client", count, port))
        else:
            cli = _spawn(syscalls._other_argv("pingpong", "server", count, port))
        cres = cli.result(deadline)
        res = srv.result(deadline)
        for ch in (srv, cli):
            if not ch.wait(deadline):
                ch.kill()
            ch.close()
        echoed = (res or {}).get("echoed", 0)
        # A Python client's warm-up round trip is echoed too (the same in
        # both runs, so the difference does not count it).
        if echoed != count + (cres or {}).get("warmup", 0):
            _total_ir(prefix)  # remove the output files
            return None, f"echoed {echoed} of {count}"
        irs.append(_total_ir(prefix))
    return (irs[1] - irs[0]) / (PINGPONG_COUNTS[1] - PINGPONG_COUNTS[0]), ""


def _echo_table(bench) -> str:
    keys = [k for k in ("c", "stdlib", "txsock", "tx1to1", "tx1toM", "tcp") if BY_KEY[k].available]
    per = {}
    rows = []
    for key in keys:
        t = time.monotonic()
        try:
            v, note = _measure_echo(key)
        except Exception as e:  # report, don't abort the whole run
            v, note = None, f"{e.__class__.__name__}: {e}"
        per[key] = v
        bench.say(f"callgrind {key:7s} echo: {fmt(v)} instructions/round trip {note} "
                  f"({time.monotonic() - t:.0f} s)")
    base = per.get("stdlib")
    for key in keys:
        v = per[key]
        ratio = v / base if v and base else None
        rows.append([BY_KEY[key].name, fmt(v),
                     "-" if ratio is None else f"{ratio:.2f}x" if ratio >= 0.01 else f"{ratio:.4f}x"])
    out = ["== user-space instructions per ping-pong round trip, echo side (callgrind, tuned settings, "
           f"difference of {PINGPONG_COUNTS[0]} and {PINGPONG_COUNTS[1]} round trips; the client is the "
           "C program, Twisted TCP's its own) =="]
    out.append(table(["contender", "echo Ir/round trip", "vs stdlib loop"], rows))
    out.append("")
    return "\n".join(out)


def run(bench, args) -> str:
    if subprocess.call(["sh", "-c", "command -v valgrind"], stdout=subprocess.DEVNULL) != 0:
        return "== callgrind: skipped (valgrind is not installed) ==\n"
    if not os.path.exists(CGCTL):
        return "== callgrind: skipped (benchmarks/_build/cgctl.so missing: no valgrind headers) ==\n"
    count = args.callgrind_count
    both = ("send", "recv")
    subjects = [("c", None, {}, both), ("stdlib", "stdlib", {}, both), ("txsock", "txsctp_socket", {}, both)]
    if BY_KEY["tx1to1"].available:
        subjects.append(("tx1to1", "txsctp_transport", {"style": "one-to-one"}, both))
        # The same sender handing the transport 64 messages per
        # writeMessages call (its receiving side is tx1to1's).
        subjects.append(("tx1to1+", "txsctp_transport", {"style": "one-to-one", "batch": True}, ("send",)))
    rows = []
    per = {}
    for key, module, extra, sides in subjects:
        cells = []
        for side in both:
            if side not in sides:
                cells.append("-")
                continue
            t = time.monotonic()
            try:
                if module is None:
                    v, note = _measure_c(side)
                else:
                    v, note = _measure_py(module, side, count, extra, 300)
            except Exception as e:  # report, don't abort the whole run
                v, note = None, f"{e.__class__.__name__}: {e}"
            per[(key, side)] = v
            bench.say(f"callgrind {key:7s} {side}: {fmt(v)} instructions/message {note} "
                      f"({time.monotonic() - t:.0f} s)")
            cells.append(fmt(v))
        rows.append([_subjectName(key)] + cells)
    out = ["== user-space instructions per 100-byte message (callgrind, tuned settings, "
           f"{count} messages, the other side is the C program) =="]
    out.append(table(["contender", "sender Ir/msg", "receiver Ir/msg"], rows))
    s, r = per.get(("stdlib", "send")), per.get(("stdlib", "recv"))
    for key in ("txsock", "tx1to1"):
        a, b = per.get((key, "send")), per.get((key, "recv"))
        if a and b and s and r:
            out.append(f"  {BY_KEY[key].name}: {a / s:.2f}x the stdlib loop's instructions sending, "
                       f"{b / r:.2f}x receiving")
    a = per.get(("tx1to1+", "send"))
    if a and s:
        out.append(f"  {_subjectName('tx1to1+')}: {a / s:.2f}x the stdlib loop's instructions sending")
    out.append("")
    out.append(_echo_table(bench))
    return "\n".join(out)
