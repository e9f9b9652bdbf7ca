"""
User-space instructions per operation (valgrind --tool=callgrind), which do
not depend on the kernel's speed: what a native host, where a system call
costs well under a microsecond, sees of each contender's own work.

One side runs under callgrind, the other side is the contender's peer (the
C program, unless it cannot talk to it):

* sending and receiving one 100-byte message: a Python side brackets its
  message loop with the callgrind probe (common.probe: zero the counters
  and start at the first message, stop and dump at the last), so start-up
  is not counted; the C program, which has no probe, is measured by the
  difference of two runs;
* one ping-pong round trip on the echo side, and one set-up + teardown
  cycle on the client side: the difference of a short and a long run,
  divided by the difference of their counts;
* one iteration of Twisted's reactor by itself (contenders/reference.py
  reactor_iterations), bracketed by the probe.

Python children run with C{PYTHONHASHSEED=0}, so that a run's count does
not move with the interpreter's hash seed.  The section ends with the
per-operation cost targets, computed from this run's figures.
"""

from __future__ import annotations

import glob
import os
import subprocess
import time
from typing import Callable, Dict, List, Optional, Tuple

from common import TUNED
from contenders import BUILD, Contender, ProgramSide, PythonSide
from harness import Child, argv, spawn, spawnArgv
from results import fmt, ratio, table

CGCTL = os.path.join(BUILD, "cgctl.so")
WORK = os.environ.get("BENCH_CALLGRIND_DIR", "/var/tmp")
ECHO_COUNTS = (200, 1200)
SETUP_COUNTS = (20, 120)
C_MESSAGE_COUNTS = (2000, 6000)
ITERATIONS = 2000

# The transport's sender handing it 64 messages per writeMessages call
# instead of a writeMessage each: (contender key, row label, options).
VARIANTS = [("tx1to1", "writeMessages x64", {"batch": True})]

# The per-operation cost targets: (operation, limit, "x" for a multiple of
# the stdlib loop's figure, or "" for an absolute number).
TARGETS = [
    ("send", 0.6, "x", "send 100 B with writeMessage: at most 0.6x the stdlib loop"),
    ("recv", 0.35, "x", "receive 100 B: at most 0.35x the stdlib loop"),
    ("echo", 1.5, "x", "ping-pong, echo side: at most 1.5x the stdlib loop"),
    ("setup", 250_000, "", "set-up + teardown, client: at most 250,000 per cycle"),
]
TARGET_SUBJECT = "tx1to1"
IDLE_TARGET = 2048  # bytes of Python heap per idle association
IDLE_TARGET_COUNT = 10_000


def _valgrind(outfile: str, args: List[str], atstart: bool = True) -> List[str]:
    opts = ["valgrind", "--tool=callgrind", "--quiet", f"--callgrind-out-file={outfile}"]
    if not atstart:
        opts.append("--instr-atstart=no")  # the probe starts it
    return opts + args


def _totalIr(prefix: str) -> int:
    """The instructions in every dump of one run (removing the dumps)."""
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


class Section:
    """One run of the section: its figures, by (row key, operation)."""

    def __init__(self, contenders: List[Contender], say: Callable[[str], None], count: int,
                 peers: List[Contender]):
        """
        @param contenders: those measured (each takes part in what its
            C{measure} says).
        @param peers: every contender, among them each measured one's peer.
        """
        self.contenders = contenders
        self.byKey = {c.key: c for c in peers}
        self.say = say
        self.count = count
        self.figures: Dict[Tuple[str, str], Optional[float]] = {}
        self.notes: List[str] = []
        self.iteration: Optional[float] = None
        self._n = 0

    # -- plumbing ---------------------------------------------------------

    def _prefix(self) -> str:
        self._n += 1
        prefix = os.path.join(WORK, f"txsctp-cg-{os.getpid()}-{self._n}.out")
        for old in glob.glob(prefix + "*"):
            os.unlink(old)
        return prefix

    @staticmethod
    def _env(probe: bool) -> dict:
        env = dict(os.environ, PYTHONHASHSEED="0")
        if probe:
            env["BENCH_CALLGRIND"] = CGCTL
        else:
            env.pop("BENCH_CALLGRIND", None)
        return env

    def _run(self, measured, other, measuredIsServer: bool, measuredParams: dict, otherParams: dict,
             probe: bool, timeout: float = 600) -> Tuple[int, Optional[dict], Optional[dict]]:
        """
        One run with C{measured} under callgrind: (instructions, its
        result, the other side's result).
        """
        prefix = self._prefix()
        deadline = time.monotonic() + timeout
        children: List[Child] = []

        def measuredChild(**params) -> Child:
            return spawnArgv(_valgrind(prefix, argv(measured, TUNED, **measuredParams, **params), atstart=not probe),
                             env=self._env(probe))

        try:
            if measuredIsServer:
                srv = measuredChild()
                children.append(srv)
                ready = srv.ready(deadline)
                if ready is None:
                    raise RuntimeError("the measured server never became ready")
                cli = spawn(other, TUNED, port=ready[0], **ready[1], **otherParams)
                children.append(cli)
                mres, ores = None, cli.result(deadline)
                mres = srv.result(deadline)
            else:
                srv = spawn(other, TUNED, **otherParams)
                children.append(srv)
                ready = srv.ready(deadline)
                if ready is None:
                    raise RuntimeError("the other side never became ready")
                cli = measuredChild(port=ready[0], **ready[1])
                children.append(cli)
                mres = cli.result(deadline)
                ores = srv.result(deadline)
            for ch in children:
                ch.finish(deadline)
            return _totalIr(prefix), mres, ores
        finally:
            for ch in children:
                if ch.status is None:
                    ch.kill()
                ch.close()
            for path in glob.glob(prefix + "*"):
                os.unlink(path)

    def _record(self, key: str, op: str, fn: Callable[[], float]) -> None:
        t = time.monotonic()
        try:
            v: Optional[float] = fn()
            note = ""
        except Exception as e:  # report, don't abort the whole run
            v, note = None, f"{e.__class__.__name__}: {e}"
            self.notes.append(f"{key} {op}: {note}")
        self.figures[(key, op)] = v
        self.say(f"callgrind {key:8s} {op:5s}: {fmt(v)} instructions {note} ({time.monotonic() - t:.0f} s)")

    # -- measurements -----------------------------------------------------

    def message(self, c: Contender, op: str, options: Optional[dict] = None) -> float:
        """Instructions per 100-byte message sent (C{op} "send") or received ("recv")."""
        peer = self.byKey[c.peer]
        mine = c.side("oneway100", "client" if op == "send" else "server")
        if options and isinstance(mine, PythonSide):
            mine = PythonSide(mine.module, mine.function, dict(mine.options, **options))
        theirs = peer.side("oneway100", "server" if op == "send" else "client")
        if isinstance(mine, ProgramSide):
            irs = []
            for n in C_MESSAGE_COUNTS:
                irs.append(self._count(mine, theirs, op, n, probe=False)[0])
            return (irs[1] - irs[0]) / (C_MESSAGE_COUNTS[1] - C_MESSAGE_COUNTS[0])
        ir, mres, ores = self._count(mine, theirs, op, self.count, probe=True)
        n = (mres or {}).get("sent" if op == "send" else "msgs", 0)
        if not n or not ir:
            raise RuntimeError("no result")
        return ir / n

    def _count(self, mine, theirs, op: str, n: int, probe: bool):
        if op == "send":
            ir, mres, ores = self._run(mine, theirs, False, dict(size=100, duration=0, count=n), dict(size=100),
                                       probe)
            if (ores or {}).get("msgs") != n:
                raise RuntimeError(f"the receiver got {(ores or {}).get('msgs')} of {n}")
        else:
            ir, mres, ores = self._run(mine, theirs, True, dict(size=100), dict(size=100, duration=0, count=n),
                                       probe)
            if (mres or {}).get("msgs") != n:
                raise RuntimeError(f"received {(mres or {}).get('msgs')} of {n}")
        return ir, mres, ores

    def echo(self, c: Contender) -> float:
        """Instructions per ping-pong round trip on the echo (server) side."""
        peer = self.byKey[c.peer]
        irs = []
        for n in ECHO_COUNTS:
            ir, mres, ores = self._run(c.side("pingpong", "server"), peer.side("pingpong", "client"), True, {},
                                       dict(size=100, duration=0, count=n), probe=False)
            echoed = (mres or {}).get("echoed", 0)
            # A Python client's warm-up round trip is echoed too (in both runs).
            if echoed != n + (ores or {}).get("warmup", 0):
                raise RuntimeError(f"echoed {echoed} of {n}")
            irs.append(ir)
        return (irs[1] - irs[0]) / (ECHO_COUNTS[1] - ECHO_COUNTS[0])

    def setup(self, c: Contender) -> float:
        """Instructions per set-up + teardown cycle on the client side."""
        peer = self.byKey[c.peer]
        irs = []
        for n in SETUP_COUNTS:
            ir, mres, ores = self._run(c.side("setup", "client"), peer.side("setup", "server"), False,
                                       dict(duration=0, count=n), {}, probe=False)
            if (mres or {}).get("cycles") != n:
                raise RuntimeError(f"{(mres or {}).get('cycles')} cycles of {n}")
            irs.append(ir)
        return (irs[1] - irs[0]) / (SETUP_COUNTS[1] - SETUP_COUNTS[0])

    def reactorIteration(self) -> float:
        """Instructions per iteration of Twisted's epoll reactor with nothing to do."""
        prefix = self._prefix()
        side = PythonSide("reference", "reactor_iterations")
        child = spawnArgv(_valgrind(prefix, argv(side, TUNED, count=ITERATIONS), atstart=False),
                          env=self._env(True))
        deadline = time.monotonic() + 300
        res = child.result(deadline)
        child.finish(deadline)
        ir = _totalIr(prefix)
        if not res or not res.get("iterations") or not ir:
            raise RuntimeError("no result")
        return ir / res["iterations"]

    def run(self) -> None:
        for c in self.contenders:
            for op in ("send", "recv"):
                if op in c.measure:
                    self._record(c.key, op, lambda c=c, op=op: self.message(c, op))
            for key, _label, options in VARIANTS:
                if key == c.key and "send" in c.measure:
                    self._record(f"{key}+", "send", lambda c=c, options=options: self.message(c, "send", options))
        for c in self.contenders:
            if "echo" in c.measure:
                self._record(c.key, "echo", lambda c=c: self.echo(c))
        for c in self.contenders:
            if "setup" in c.measure:
                self._record(c.key, "setup", lambda c=c: self.setup(c))

        def iteration() -> float:
            self.iteration = self.reactorIteration()
            return self.iteration

        self._record("reactor", "iter", iteration)

    # -- report -----------------------------------------------------------

    def get(self, key: str, op: str) -> Optional[float]:
        return self.figures.get((key, op))

    def report(self, idleHeap: Optional[float], idleCount: int) -> str:
        ops = ("send", "recv", "echo", "setup")
        rows = []
        labels = {c.key: c.label for c in self.contenders}
        for key, label, _ in VARIANTS:
            labels[f"{key}+"] = f"{labels.get(key, key)}, {label}"
        order = []
        for c in self.contenders:
            order.append(c.key)
            order.extend(f"{k}+" for k, _, _ in VARIANTS if k == c.key)
        for key in order:
            if not any((key, op) in self.figures for op in ops):
                continue
            row = [labels[key]]
            for op in ops:
                v = self.get(key, op)
                row += [fmt(v) if (key, op) in self.figures else "", ratio(v, self.get("stdlib", op))
                        if (key, op) in self.figures else ""]
            rows.append(row)
        out = ["== user-space instructions per operation (callgrind; tuned settings; one side measured, "
               "the other the C program, Twisted TCP its own) =="]
        out.append(table(["contender", "send 100 B", "vs stdlib", "receive 100 B", "vs stdlib",
                          "echo, per round trip", "vs stdlib", "set-up+teardown, client", "vs stdlib"], rows))
        out.append(f"  send/receive: {self.count} messages (C: difference of {C_MESSAGE_COUNTS[0]} and "
                   f"{C_MESSAGE_COUNTS[1]}); echo: difference of {ECHO_COUNTS[0]} and {ECHO_COUNTS[1]} round "
                   f"trips; set-up: difference of {SETUP_COUNTS[0]} and {SETUP_COUNTS[1]} cycles")
        out.extend(self._reactorLines())
        out.extend(f"  failed: {n}" for n in self.notes)
        out.append("")
        out.append(self.targets(idleHeap, idleCount))
        return "\n".join(out)

    def _reactorLines(self) -> List[str]:
        e = self.iteration
        if e is None:
            return []
        lines = [f"  one iteration of Twisted's epoll reactor by itself (woken by one readable descriptor, "
                 f"nothing to do): {fmt(e)} instructions"]
        s = self.get("stdlib", "echo")
        for key in ("tx1to1", "tx1toM"):
            t = self.get(key, "echo")
            if t:
                lines.append(f"  {self.byKey[key].label} echo: {fmt(t)} = the reactor's iteration {fmt(e)} "
                             f"({e / t:.0%}) + txsctp and its system calls {fmt(t - e)} ({(t - e) / t:.0%})")
        if s:
            lines.append(f"  the reactor's iteration alone is {e / s:.2f}x the stdlib loop's whole round trip "
                         f"({fmt(s)}); the echo target's 1.5x leaves {fmt(1.5 * s - e)} for everything else")
        return lines

    def targets(self, idleHeap: Optional[float], idleCount: int) -> str:
        """The per-operation cost targets with PASS/MISS, from this run's figures."""
        rows = []
        subject = self.byKey.get(TARGET_SUBJECT)
        for op, limit, kind, label in TARGETS:
            v = self.get(TARGET_SUBJECT, op)
            if kind == "x":
                base = self.get("stdlib", op)
                r = v / base if v and base else None
                verdict = "n/a" if r is None else ("PASS" if r <= limit else "MISS")
                rows.append([label, fmt(v), fmt(base), "-" if r is None else f"{r:.2f}x", f"{limit:.2f}x",
                             verdict])
            else:
                verdict = "n/a" if v is None else ("PASS" if v <= limit else "MISS")
                rows.append([label, fmt(v), "-", "-", fmt(limit), verdict])
        if idleHeap is None:
            verdict = "n/a (not run)"
        elif idleCount < IDLE_TARGET_COUNT:
            verdict = f"n/a (run at {idleCount:,})"
        else:
            verdict = "PASS" if idleHeap <= IDLE_TARGET else "MISS"
        rows.append([f"idle association, {max(idleCount, IDLE_TARGET_COUNT):,} on one 1:M port: at most "
                     f"2 KiB of Python heap", fmt(idleHeap), "-", "-", fmt(IDLE_TARGET), verdict])
        name = subject.label if subject else TARGET_SUBJECT
        out = [f"== per-operation cost targets ({name}; callgrind instructions and the idle workload's "
               "heap, this run) =="]
        out.append(table(["target", "txsctp", "stdlib loop", "ratio", "limit", "verdict"], rows))
        out.append("")
        return "\n".join(out)


def available() -> Tuple[bool, str]:
    if subprocess.call(["sh", "-c", "command -v valgrind"], stdout=subprocess.DEVNULL) != 0:
        return False, "valgrind is not installed"
    if not os.path.exists(CGCTL):
        return False, f"{CGCTL} missing (no valgrind headers when benchmarks/run built it)"
    return True, ""
