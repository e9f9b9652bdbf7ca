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

L{UserspaceSection} takes the same counts natively for the userspace
stack, against usrsctp's own C program (tsctp), each split into usrsctp's
share and the rest.
"""

from __future__ import annotations

import glob
import os
import subprocess
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Tuple

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


def _valgrind(outfile: str, args: List[str], atstart: bool = True, children: bool = False) -> List[str]:
    """
    valgrind's command line around C{args}; with C{children}, valgrind
    follows the programs it runs too (a side that runs a program), each
    process writing its own dumps (C{outfile.<pid>}).
    """
    opts = ["valgrind", "--tool=callgrind", "--quiet"]
    if children:
        opts += ["--trace-children=yes", f"--callgrind-out-file={outfile}.%p"]
    else:
        opts.append(f"--callgrind-out-file={outfile}")
    if not atstart:
        opts.append("--instr-atstart=no")  # the probe starts it
    return opts + args


@dataclass(frozen=True)
class Instructions:
    """
    Instructions counted in a run, or per operation: all of them; those
    spent inside calls into one library (L{Section.library}) from outside
    it -- the library's own code with what it calls in turn (the C
    library, the caller's callbacks); and how many times one function
    (L{Section.function}) was called.
    """

    total: float
    library: float = 0.0
    calls: float = 0.0

    def __sub__(self, other: "Instructions") -> "Instructions":
        return Instructions(self.total - other.total, self.library - other.library, self.calls - other.calls)

    def __truediv__(self, n: float) -> "Instructions":
        return Instructions(self.total / n, self.library / n, self.calls / n)

    def __bool__(self) -> bool:
        return bool(self.total)


def _totalIr(prefix: str, library: Optional[str] = None, function: Optional[str] = None,
             command: str = "") -> Instructions:
    """
    The instructions in every dump of one run (removing the dumps); with
    C{library} (part of a shared object's path) and C{function}, also the
    instructions inside calls into that library and the calls of that
    function (L{_calls}); with C{command}, only in the dumps of processes
    that ran that program.
    """
    total = inside = calls = 0
    for path in glob.glob(prefix + "*"):
        totals = summary = 0
        wanted = True
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("cmd:") and command and not line[4:].strip().startswith(command):
                    wanted = False  # another process (the side that runs the program)
                    break
                if line.startswith("totals:"):
                    totals += int(line.split()[1])
                elif line.startswith("summary:"):
                    summary += int(line.split()[1])
            if wanted and (library or function):
                f.seek(0)
                more = _calls(f, library, function)
                inside += more[0]
                calls += more[1]
        if wanted:
            total += totals or summary
        os.unlink(path)
    return Instructions(total, inside, calls)


def _calls(lines: Iterable[str], library: Optional[str], function: Optional[str]) -> Tuple[int, int]:
    """
    From one callgrind dump: the inclusive instructions of every call into
    an object whose path contains C{library} from an object whose path does
    not, and the number of calls of C{function}.

    Callgrind writes a call as C{cob=} (the callee's object, when it is not
    the caller's), C{cfn=}, C{calls=<count> ...}, then one line of the
    call's inclusive cost; object and function names are compressed to
    C{(id)} after their first mention.  Calls still running at the dump (a
    thread's loop) are included: callgrind adds their cost so far.
    """
    names: Dict[Tuple[str, str], str] = {}
    positions, irColumn = 1, 0
    caller = callee = calleeFunction = ""
    inCall = False  # the next line is a call's cost
    inside = calls = 0

    def name(kind: str, value: str) -> str:
        value = value.strip()
        if not value.startswith("("):
            return value
        ident, _, text = value.partition(")")
        text = text.strip()
        if text:
            names[(kind, ident)] = text
        return names.get((kind, ident), "")

    for line in lines:
        if inCall:
            if library and library in callee and library not in caller:
                inside += int(line.split()[positions + irColumn])
            callee, inCall = caller, False
        elif line.startswith("ob="):
            caller = callee = name("ob", line[3:])
        elif line.startswith("cob="):
            callee = name("ob", line[4:])
        elif line.startswith(("fn=", "cfn=")):
            calleeFunction = name("fn", line.partition("=")[2])
        elif line.startswith("calls="):
            inCall = True
            if calleeFunction == function:
                calls += int(line[6:].split()[0])
        elif line.startswith("positions:"):
            positions = len(line.split()) - 1
        elif line.startswith("events:"):
            irColumn = line.split()[1:].index("Ir")
    return inside, calls


class Section:
    """
    One run of the section: its figures, by (row key, operation).

    @cvar library: part of the path of a library whose share of every
        figure is counted too (L{Instructions.library}), or C{None}.
    @cvar function: a function whose calls are counted too, or C{None}.
    @ivar parts: every figure as counted, by (row key, operation).
    """

    library: Optional[str] = None
    function: Optional[str] = None

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
        self.parts: Dict[Tuple[str, str], Instructions] = {}
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
             probe: bool, timeout: float = 600,
             follow: str = "") -> Tuple[Instructions, Optional[dict], Optional[dict]]:
        """
        One run with C{measured} under callgrind: (instructions, its
        result, the other side's result).

        @param follow: the path of a program that C{measured} runs (a side
            that wraps one, L{Contender.wraps}): callgrind follows the side
            into it and counts that program alone.
        """
        prefix = self._prefix()
        deadline = time.monotonic() + timeout
        children: List[Child] = []

        def measuredChild(**params) -> Child:
            return spawnArgv(_valgrind(prefix, argv(measured, TUNED, **measuredParams, **params), atstart=not probe,
                                       children=bool(follow)), env=self._env(probe))

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
            return _totalIr(prefix, self.library, self.function, follow), mres, ores
        finally:
            for ch in children:
                if ch.status is None:
                    ch.kill()
                ch.close()
            for path in glob.glob(prefix + "*"):
                os.unlink(path)

    def _record(self, key: str, op: str, fn: Callable[[], Instructions]) -> None:
        t = time.monotonic()
        v: Optional[float] = None
        note = share = ""
        try:
            figure = fn()
            v = figure.total
            self.parts[(key, op)] = figure
            if self.library and figure.library:
                share = f" ({fmt(figure.library)} in {self.library})"
        except Exception as e:  # report, don't abort the whole run
            note = f"{e.__class__.__name__}: {e}"
            self.notes.append(f"{key} {op}: {note}")
        self.figures[(key, op)] = v
        self.say(f"callgrind {key:8s} {op:5s}: {fmt(v)} instructions{share} {note} "
                 f"({time.monotonic() - t:.0f} s)")

    # -- measurements -----------------------------------------------------

    def message(self, c: Contender, op: str, options: Optional[dict] = None) -> Instructions:
        """Instructions per 100-byte message sent (C{op} "send") or received ("recv")."""
        peer = self.byKey[c.peer]
        mine = c.side("oneway100", "client" if op == "send" else "server")
        if options and isinstance(mine, PythonSide):
            mine = PythonSide(mine.module, mine.function, dict(mine.options, **options))
        theirs = peer.side("oneway100", "server" if op == "send" else "client")
        if isinstance(mine, ProgramSide) or c.wraps:
            irs = []
            for n in C_MESSAGE_COUNTS:
                irs.append(self._count(mine, theirs, op, n, probe=False, follow=c.wraps)[0])
            return (irs[1] - irs[0]) / (C_MESSAGE_COUNTS[1] - C_MESSAGE_COUNTS[0])
        ir, mres, ores = self._count(mine, theirs, op, self.count, probe=True)
        n = (mres or {}).get("sent" if op == "send" else "msgs", 0)
        if not n or not ir:
            raise RuntimeError("no result")
        return ir / n

    def _count(self, mine, theirs, op: str, n: int, probe: bool, follow: str = ""):
        if op == "send":
            ir, mres, ores = self._run(mine, theirs, False, dict(size=100, duration=0, count=n), dict(size=100),
                                       probe, follow=follow)
            if (ores or {}).get("msgs") != n:
                raise RuntimeError(f"the receiver got {(ores or {}).get('msgs')} of {n}")
        else:
            ir, mres, ores = self._run(mine, theirs, True, dict(size=100), dict(size=100, duration=0, count=n),
                                       probe, follow=follow)
            if (mres or {}).get("msgs") != n:
                raise RuntimeError(f"received {(mres or {}).get('msgs')} of {n}")
        return ir, mres, ores

    def echo(self, c: Contender) -> Instructions:
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

    def setup(self, c: Contender) -> Instructions:
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

    def reactorIteration(self) -> Instructions:
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

        def iteration() -> Instructions:
            figure = self.reactorIteration()
            self.iteration = figure.total
            return figure

        self._record("reactor", "iter", iteration)

    # -- report -----------------------------------------------------------

    def get(self, key: str, op: str) -> Optional[float]:
        return self.figures.get((key, op))

    def dump(self) -> List[dict]:
        """Every figure as counted, for a JSON file (L{restore} reads it back)."""
        out = []
        for (key, op), v in self.figures.items():
            p = self.parts.get((key, op))
            out.append({"row": key, "op": op, "instructions": v, "library": p.library if p else None,
                        "calls": p.calls if p else None})
        return out

    def restore(self, figures: List[dict], notes: List[str]) -> None:
        """The figures and failures of an earlier run, from L{dump}."""
        for f in figures:
            key = (f["row"], f["op"])
            self.figures[key] = f["instructions"]
            if f["instructions"] is not None:
                self.parts[key] = Instructions(f["instructions"], f.get("library") or 0.0, f.get("calls") or 0.0)
        self.iteration = self.get("reactor", "iter")
        self.notes = list(notes)

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


class UserspaceSection(Section):
    """
    The same counts for the native section's contenders, on the userspace
    stack (the benchmark's native part: usrsctp runs on any host).  There
    usrsctp runs inside the measured process, so every figure includes the
    SCTP stack's own work, which the kernel rows never count: each is split
    into usrsctp's C (L{Instructions.library}) and the rest (Python,
    Twisted, txsctp), the part to compare with the kernel rows.  The
    baseline is usrsctp's own C program (tsctp, L{Contender.wraps}),
    counted by the difference of two runs; the stdlib has no userspace
    SCTP, so there is no plain-loop row.

    The stack's timer ticks every 10 ms while an association exists, so an
    operation's share of ticks grows with the time it takes, and under
    callgrind the measured side runs tens of times slower than natively.
    The ticks per operation are counted (calls of usrsctp_handle_timers),
    and one tick's cost is measured with one idle association.
    """

    library = "libusrsctp"
    function = "usrsctp_handle_timers"
    OPERATIONS = [("send", "send 100 B"), ("recv", "receive 100 B"), ("echo", "echo, per round trip"),
                  ("setup", "set-up+teardown, client")]
    IDLE_SECONDS = 1.0

    def run(self) -> None:
        super().run()
        for c in self.contenders:
            if "echo" in c.measure:
                self._record(c.key, "tick", lambda c=c: self.tick(c))

    def tick(self, c: Contender) -> Instructions:
        """Instructions per timer tick, with one idle association."""
        mine = PythonSide(c.module, "idle_client", c.options)
        ir, mres, _ = self._run(mine, self.byKey[c.peer].side("pingpong", "server"), False,
                                dict(duration=self.IDLE_SECONDS), {}, probe=True)
        if not mres or not ir.calls:
            raise RuntimeError("no timer tick counted")
        return ir / ir.calls

    # -- report -----------------------------------------------------------

    def userspaceReport(self, kernel: Optional[Section] = None) -> str:
        """
        The table, as the kernel one: a row per contender, its share in
        usrsctp's C and the rest below it, ratios against the program that
        wraps usrsctp in C (tsctp); with C{kernel}, the kernel-stack
        transport's row from that table beside them.
        """
        ours = [c for c in self.contenders if not c.wraps]
        baselines = [c for c in self.contenders if c.wraps]
        base = baselines[0] if baselines else None
        ops = [op for op, _ in self.OPERATIONS]
        rows = []

        def cells(key: str, part: Callable[[Instructions], float], compare: bool) -> List[str]:
            row = []
            for op in ops:
                p = self.parts.get((key, op))
                v = part(p) if p is not None else None
                b = self.parts.get((base.key, op)) if base is not None and compare else None
                if (key, op) not in self.figures:
                    row += ["n/a", ""]
                else:
                    row += [fmt(v), ratio(v, part(b)) if b is not None else "-"]
            return row

        for c in ours + baselines:
            rows.append([c.label] + cells(c.key, lambda p: p.total, True))
            rows.append(["  of which in usrsctp's C"] + cells(c.key, lambda p: p.library, True))
            if not c.wraps:
                rows.append(["  of which Python, Twisted, txsctp"] + cells(c.key, lambda p: p.total - p.library,
                                                                          False))
        if kernel is not None and any(k == TARGET_SUBJECT for k, _ in kernel.figures):
            row = [f"{kernel.byKey[TARGET_SUBJECT].label}, kernel stack (table below)"]
            for op in ops:
                row += [fmt(kernel.get(TARGET_SUBJECT, op)) if (TARGET_SUBJECT, op) in kernel.figures else "n/a", ""]
            rows.append(row)
        versus = f"vs {base.label.split(' (')[0]}" if base is not None else "vs -"
        headers = ["contender"]
        for _, label in self.OPERATIONS:
            headers += [label, versus]
        out = ["== user-space instructions per operation, userspace stack (callgrind; usrsctp over UDP on "
               "127.0.0.1, in the measured process; the other side the same contender) =="]
        out.append(table(headers, rows))
        out.append("  the stack's own work is counted here (usrsctp runs in the process), which the kernel table "
                   "never counts: compare its row with the kernel stack's through \"of which Python, Twisted, "
                   "txsctp\"; usrsctp's C: inside calls into libusrsctp, with the C library and txsctp's C "
                   "callbacks they call")
        out.append("  stdlib loop: none -- Python's standard library has no userspace SCTP, so the baseline here "
                   "is usrsctp's own C program")
        if base is not None:
            missing = [op for op in ops if (base.key, op) not in self.figures]
            if missing:
                out.append(f"  {base.label}: n/a for {' and '.join(missing)} (it has no ping-pong mode and makes "
                           f"one association per process); it runs usrsctp's own UDP and timer threads, where "
                           f"txsctp runs usrsctp without threads and does the UDP I/O in its reactor, so compare "
                           f"the totals")
        for c in ours:
            tick = self.parts.get((c.key, "tick"))
            if tick is None:
                continue
            shares = [f"{op} {p.calls:.2g} ({p.calls * tick.total / p.total:.0%})"
                      for op in ops for p in [self.parts.get((c.key, op))] if p and p.calls > 0]
            out.append(f"  {c.label}: one tick of the stack's 10 ms timer with one idle association costs "
                       f"{fmt(tick.total)} ({fmt(tick.library)} in usrsctp's C); ticks per operation and their "
                       f"share of it: {', '.join(shares) or '-'}. Under callgrind the process runs tens of times "
                       f"slower than natively, so it ticks more often per operation than it would natively")
        it = self.get("reactor", "iter")
        if it is not None:
            out.append(f"  one iteration of Twisted's epoll reactor by itself (nothing to do): {fmt(it)} instructions")
        names = ", ".join(c.label for c in baselines) or "a program"
        out.append(f"  send/receive: {self.count} messages ({names}: difference of {C_MESSAGE_COUNTS[0]} and "
                   f"{C_MESSAGE_COUNTS[1]}, the program's every thread counted); echo: difference of "
                   f"{ECHO_COUNTS[0]} and {ECHO_COUNTS[1]} round trips; set-up: difference of {SETUP_COUNTS[0]} "
                   f"and {SETUP_COUNTS[1]} cycles; a tick: {self.IDLE_SECONDS:g} s idle")
        out.extend(f"  failed: {n}" for n in self.notes)
        out.append("")
        return "\n".join(out)


def available() -> Tuple[bool, str]:
    if subprocess.call(["sh", "-c", "command -v valgrind"], stdout=subprocess.DEVNULL) != 0:
        return False, "valgrind is not installed"
    if not os.path.exists(CGCTL):
        return False, f"{CGCTL} missing (no valgrind headers when benchmarks/run built it)"
    return True, ""
