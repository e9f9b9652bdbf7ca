"""
The contenders, as plug-ins: the driver runs whatever this package declares.

A contender is one way of doing SCTP (or, for reference, TCP) that the
benchmark measures.  Every module in this package may declare some in a
module-level list ``CONTENDERS`` of L{Contender}; L{load} finds them, so a
new contender is a new module here and nothing else.  A contender says:

* its C{key} (for ``--only``), C{label} (its column) and C{rank} (column
  order);
* the workloads it runs (C{workloads}, ids from L{WORKLOADS});
* C{section}: C{"kernel"} if it belongs to the kernel-SCTP tables (it runs
  where the kernel has SCTP, in the test kernel on a host without), or
  C{"native"} if it needs no kernel SCTP (usrsctp over UDP): those run on
  the host itself, in the report's native section;
* how each side of each workload starts.  By default a side is the
  declaring module's function named in L{SIDE_FUNCTIONS}, run in a child
  process with the run's settings, the workload's parameters and the
  contender's C{options} as keyword arguments; C{sides} overrides this per
  workload with a L{PythonSide} (any module's function) or a
  L{ProgramSide} (the C program in one of its modes);
* C{available}: a function returning C{(True, "")} or C{(False, why)}; an
  unavailable contender is listed as "not run" with the reason;
* C{warm}: optionally, a function importing what its sides use; the fork
  server the Python sides are forked from calls it once, so that no child
  pays for those imports (Twisted's take ~1 s in the test kernel);
* C{peer}: the contender whose sides are the other end when one side runs
  alone under callgrind or strace (the C program unless it cannot talk to
  it), and C{measure}: which of those per-operation counts it takes part
  in (L{MEASURES});
* C{wraps}: the path of the program its Python sides only run and report
  on (tsctp), or "".  Such a side has no callgrind probe around a message
  loop: callgrind follows the side into the program and counts the
  program's instructions alone, and a count is the difference of two runs,
  as for the C program.

The side functions (all run in their own process, reporting through a
L{common.Out}: servers write C{READY <port>} first, optionally followed by
C{name=value} items that the driver passes on to the client side as
keyword arguments, e.g. a UDP port; every side ends with one JSON line):

    oneway_recv(out, settings, size)                    -> msgs, bytes, elapsed, expected, bad
    oneway_send(out, settings, port, size, duration, count)        -> sent, elapsed
    pp_server(out, settings)                            -> echoed
    pp_client(out, settings, port, size, duration, count)          -> rtts, warmup, elapsed, p50_us, p99_us
    setup_server(out, settings)                         -> accepted
    setup_client(out, settings, port, duration, count)  -> cycles, warmup, elapsed, p50_us, p99_us
    fanin_recv(out, settings, size, assocs)             -> msgs, bytes, elapsed, expected, bad
    idle_server(out, settings, assocs)                  -> assocs, heap_per_assoc, rss_per_assoc, setup_seconds

A C{count} of 0 means "run for C{duration} seconds".  One-way streams end
with C{END <count>}; the receiver checks it and answers C{OK}.  Fan-in and
idle associations have a fixed load, the C program, on the client side.

This package imports nothing of the driver (nor the driver's helpers): it
is the contract between them.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, List, Mapping, Optional, Tuple, Union

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(os.path.dirname(HERE), "_build")
C_PROGRAM = os.path.join(BUILD, "sctp_bench")
"""The C program (benchmarks/c/sctp_bench.c), built by benchmarks/run."""


@dataclass(frozen=True)
class Workload:
    """
    One workload: its id, the kind of exchange (which side functions run
    it), its table label, the metrics the table shows (the first is the
    one ratios use) and its fixed parameters.
    """

    id: str
    kind: str
    label: str
    metrics: Tuple[str, ...]
    size: int = 0


WORKLOADS: Tuple[Workload, ...] = (
    Workload("oneway100", "oneway", "one-way 100 B", ("msgs/s", "MB/s"), 100),
    Workload("oneway16k", "oneway", "one-way 16 KiB", ("MB/s", "msgs/s"), 16384),
    Workload("pingpong", "pingpong", "ping-pong 100 B", ("rt/s", "p50 us", "p99 us"), 100),
    Workload("setup", "setup", "set-up+teardown", ("assoc/s p50", "assoc/s", "p99 ms")),
    Workload("fanin", "fanin", "fan-in, 100 B", ("msgs/s",), 100),
    Workload("idle", "idle", "idle assocs, one 1:M port", ("heap B/assoc", "RSS B/assoc", "setup s")),
)
BY_WORKLOAD = {w.id: w for w in WORKLOADS}

SIDE_FUNCTIONS: Dict[str, Tuple[Optional[str], Optional[str]]] = {
    # kind: (server side, client side); None: the fixed C load.
    "oneway": ("oneway_recv", "oneway_send"),
    "pingpong": ("pp_server", "pp_client"),
    "setup": ("setup_server", "setup_client"),
    "fanin": ("fanin_recv", None),
    "idle": ("idle_server", None),
}

C_MODES: Dict[str, Tuple[Optional[str], str]] = {
    # kind: the C program's (server, client) modes.
    "oneway": ("recv", "send"),
    "pingpong": ("ppserver", "ppclient"),
    "setup": ("setupserver", "setupclient"),
    "fanin": ("faninrecv", "faninsend"),
    "idle": (None, "idleconnect"),
}

MEASURES = frozenset({"send", "recv", "echo", "setup", "syscalls"})
"""Per-operation counts: user-space instructions sending and receiving a
100-byte message, per ping-pong round trip on the echo side, per set-up +
teardown cycle on the client side (callgrind), and system calls per
operation (strace)."""


@dataclass(frozen=True)
class PythonSide:
    """A side that is a Python function: C{module.function(out, settings, ...)}."""

    module: str
    function: str
    options: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ProgramSide:
    """A side that is the C program in one of its modes, with extra arguments."""

    mode: str
    args: Tuple[str, ...] = ()


Side = Union[PythonSide, ProgramSide]


def _always() -> Tuple[bool, str]:
    return True, ""


@dataclass
class Contender:
    """
    One contender (see the module docstring).  C{module} is filled in by
    L{load}: the module that declared it.
    """

    key: str
    label: str
    workloads: FrozenSet[str]
    rank: int = 100
    section: str = "kernel"
    options: Mapping[str, object] = field(default_factory=dict)
    sides: Mapping[str, Tuple[Optional[Side], Optional[Side]]] = field(default_factory=dict)
    available: Callable[[], Tuple[bool, str]] = _always
    warm: Optional[Callable[[], None]] = None
    peer: str = "c"
    measure: FrozenSet[str] = frozenset()
    wraps: str = ""
    note: str = ""
    module: str = ""

    def side(self, workload: str, role: str) -> Optional[Side]:
        """
        How C{role} (C{"server"} or C{"client"}) of C{workload} starts.
        """
        kind = BY_WORKLOAD[workload].kind
        index = 0 if role == "server" else 1
        pair = self.sides.get(workload, self.sides.get(kind))
        if pair is not None:
            return pair[index]
        name = SIDE_FUNCTIONS[kind][index]
        if name is None:
            return None
        return PythonSide(self.module, name, self.options)


def cProgram(workload: str, role: str, *args: str) -> Optional[ProgramSide]:
    """The C program's side C{role} of C{workload}, with extra arguments."""
    mode = C_MODES[BY_WORKLOAD[workload].kind][0 if role == "server" else 1]
    return None if mode is None else ProgramSide(mode, tuple(args))


def load() -> List[Contender]:
    """
    Every contender declared in this package, in column order.
    """
    found: List[Contender] = []
    for info in pkgutil.iter_modules([HERE]):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for c in getattr(module, "CONTENDERS", ()):
            c.module = info.name
            found.append(c)
    keys = [c.key for c in found]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise ValueError(f"contender keys declared twice: {sorted(duplicates)}")
    return sorted(found, key=lambda c: (c.rank, c.key))
