"""
Which side of a ping-pong or a set-up loop costs what, and the floor a
reactor sets in this kernel: measured side by side in the tuned
configuration, each group's first row its baseline.

* **Mixed pairs**: txsctp's transport on one side and the stdlib loop on the
  other, so that the transport's server and client sides are measured apart
  (the main table has them together).  Set-up is measured from the client
  only: a client that does not wait for the server's side of the cycle (the
  stdlib loop's closes at once) runs ahead of a reactor server and then
  measures itself alone on the one CPU, so that pair is left out.
* **Reactor floors** (benchmarks/contenders/reference.py): the stdlib
  loop's own clients changed only in how they wait, as any reactor waits --
  in C{epoll} before each receive, with the clock reads Twisted's reactor
  makes per iteration, with a timer pending; a non-blocking connect waited
  for in C{epoll}, then with the clock read per wake, then with the
  connect timer a Twisted connector arms (three clock reads a
  connection); and a pair of such ends (server and client waiting in
  C{epoll} with a clock read per wake), the floor of the main table's
  transport pair.  No Python work is added, so what they lose is what any
  reactor transport loses here before running a line of its own code.
  One pair per workload (L{FLOORS}) is that workload's floor: the issue-5
  targets table prints its ratio beside the transport's.
* **The client without a connect timeout**: C{connectSCTP(...,
  timeout=None)}, as the C, stdlib and socket-layer clients connect (the
  kernel's INIT retransmissions are their only limit).  The default (30 s)
  is a reactor timer: setting it reads the clock, and while it is pending
  each reactor iteration reads the clock twice more (Twisted's wake-up
  time, and CPython's C{epoll.poll} deadline); once the association is up
  txsctp moves it to time 0 without a clock read, so that it leaves the
  heap in the next iteration.  In the test kernel every clock read is a
  system call (no vDSO); natively it is not.
* **Twisted's own TCP set-up loop** against a plain stdlib TCP loop: what
  Twisted's reactor costs a connection by itself, whatever the protocol.
* **One-way 16 KiB by side**: each sender into the C receiver, each
  receiver fed by the C sender.  Its reactor floor is the C sender made
  non-blocking (C{sctp_bench send --nonblock 1}: C{sendmmsg} until
  C{EAGAIN}, then C{epoll_wait} for C{EPOLLOUT}, as any reactor sends).
  The C pair is every row's baseline, run twice per repetition.  Runs with
  a T3 retransmission timeout (a 1 s stall, see the loss-recovery table)
  are counted apart: the ratios compare runs without one.  Packets
  per message counts every SCTP packet both ends sent (DATA and SACK), so
  fewer means more messages bundled per packet.
* **One-way 16 KiB by side on host-default socket settings**: the same
  pairs with no per-socket settings (the kernel's 212,992-byte buffers,
  Nagle, delayed SACK), as in the main table's host-defaults rows.  The
  kernel accepts a message whenever any send-buffer space is free, even
  if the message overruns it; but a blocking sender that found the buffer
  full waits until the whole message fits.  A non-blocking sender is woken
  by C{EPOLLOUT} as soon as any space is free.  With 16 KiB messages and
  these buffers the blocking wait is where streams stall (waits of up to
  ~210 ms were measured, the delayed-SACK timer's period), so this table
  shows which pattern each contender's sender follows.
"""

from __future__ import annotations

import statistics
from typing import Dict, List, Optional, Tuple

from common import DEFAULTS, TUNED, Settings
from driver import Child, fmt, oneway_pair, pingpong_pair, setup_pair, snmp, spawn_c, spawn_py, table

# A side: (label, contender module, function, keyword arguments); for the C
# program the module is None, the function its mode, and the keyword
# arguments hold its extra command-line arguments under "cargs".
Side = Tuple[str, Optional[str], str, dict]

STDLIB_PP_SERVER: Side = ("stdlib loop", "stdlib", "pp_server", {})
STDLIB_PP_CLIENT: Side = ("stdlib loop", "stdlib", "pp_client", {})
TX_PP_CLIENT: Side = ("txsctp transport", "txsctp_transport", "pp_client", {})

# (group, server, client); the first row of each group is its baseline.
PINGPONG: List[Tuple[str, Side, Side]] = [
    ("SCTP", STDLIB_PP_SERVER, STDLIB_PP_CLIENT),
    ("SCTP", STDLIB_PP_SERVER, ("stdlib loop waiting in epoll", "reference", "pp_client", {"wait": "epoll"})),
    ("SCTP", STDLIB_PP_SERVER, ("... + a clock read per wake", "reference", "pp_client", {"wait": "reactor"})),
    ("SCTP", STDLIB_PP_SERVER, ("... + a timer pending", "reference", "pp_client", {"wait": "reactor+timer"})),
    ("SCTP", STDLIB_PP_SERVER, ("txsctp transport, timeout=None", "txsctp_transport", "pp_client",
                                {"connectTimeout": None})),
    ("SCTP", STDLIB_PP_SERVER, TX_PP_CLIENT),
    ("SCTP", ("txsctp transport 1:1", "txsctp_transport", "pp_server", {"style": "one-to-one"}), STDLIB_PP_CLIENT),
    ("SCTP", ("txsctp transport 1:M", "txsctp_transport", "pp_server", {"style": "one-to-many"}), STDLIB_PP_CLIENT),
    ("SCTP", ("txsctp transport 1:1", "txsctp_transport", "pp_server", {"style": "one-to-one"}), TX_PP_CLIENT),
    ("SCTP", ("stdlib loop waiting in epoll + a clock read per wake", "reference", "pp_server", {"wait": "reactor"}),
     ("... + a clock read per wake", "reference", "pp_client", {"wait": "reactor"})),
]

STDLIB_SETUP_SERVER: Side = ("stdlib loop", "stdlib", "setup_server", {})
TX_SETUP_CLIENT: Side = ("txsctp transport", "txsctp_transport", "setup_client", {})

SETUP: List[Tuple[str, Side, Side]] = [
    ("SCTP", STDLIB_SETUP_SERVER, ("stdlib loop", "stdlib", "setup_client", {})),
    ("SCTP", STDLIB_SETUP_SERVER, ("stdlib loop, non-blocking connect + epoll", "reference", "setup_client", {})),
    ("SCTP", STDLIB_SETUP_SERVER, ("... + a clock read per wake", "reference", "setup_client", {"wait": "reactor"})),
    ("SCTP", STDLIB_SETUP_SERVER, ("... + Twisted's connect timer", "reference", "setup_client",
                                   {"wait": "reactor+timer"})),
    ("SCTP", STDLIB_SETUP_SERVER, ("txsctp transport, timeout=None", "txsctp_transport", "setup_client",
                                   {"connectTimeout": None})),
    ("SCTP", STDLIB_SETUP_SERVER, TX_SETUP_CLIENT),
    ("SCTP", ("txsctp transport 1:1", "txsctp_transport", "setup_server", {"style": "one-to-one"}),
     TX_SETUP_CLIENT),
    ("TCP", ("stdlib TCP loop", "reference", "tcp_setup_server", {}),
     ("stdlib TCP loop", "reference", "tcp_setup_client", {})),
    ("TCP", ("Twisted TCP", "twisted_tcp", "setup_server", {}), ("Twisted TCP", "twisted_tcp", "setup_client", {})),
]


# The reactor floor under each of the main table's transport targets
# (tuned): the by-side pair whose ratio to its table's baseline is what
# any reactor transport loses here before running a line of its own code,
# as (server label, client label) for ping-pong and set-up, (receiver,
# sender) for one-way; L{run} records each ratio in C{bench.floors}.
FLOORS: Dict[str, Tuple[str, str]] = {
    "pingpong": ("stdlib loop waiting in epoll + a clock read per wake", "... + a clock read per wake"),
    "setup": ("stdlib loop", "... + Twisted's connect timer"),
    "oneway16k": ("C recvmmsg x64", "C sendmmsg x64, non-blocking, waiting in epoll"),
}

ONEWAY_SIZE = 16384
C_RECEIVER: Side = ("C recvmmsg x64", None, "recv", {})
C_SENDER: Side = ("C sendmmsg x64", None, "send", {})

# (what is measured, receiver, sender); the first row, the C pair, is the
# baseline of every other.  It runs twice in each repetition (first and
# last), so that a T3 stall in some of its runs still leaves runs without.
ONEWAY: List[Tuple[str, Side, Side]] = [
    ("C pair", C_RECEIVER, C_SENDER),
    ("sender", C_RECEIVER, ("C sendmmsg x64, non-blocking, waiting in epoll", None, "send",
                            {"cargs": ["--nonblock", "1"]})),
    ("sender", C_RECEIVER, ("txsctp socket layer", "txsctp_socket", "oneway_send", {})),
    ("sender", C_RECEIVER, ("txsctp transport 1:1", "txsctp_transport", "oneway_send", {"style": "one-to-one"})),
    ("receiver", ("txsctp socket layer", "txsctp_socket", "oneway_recv", {}), C_SENDER),
    ("receiver", ("txsctp transport 1:1", "txsctp_transport", "oneway_recv", {"style": "one-to-one"}), C_SENDER),
]


def _spawn(side: Side, *args) -> Child:
    _, module, func, kwargs = side
    return spawn_py(module, func, TUNED, *args, **kwargs)


def oneway(receiver: Side, sender: Side, size: int, duration: float,
           timeout: float, settings: Settings = TUNED) -> Tuple[Optional[Dict[str, float]], str]:
    """
    One one-way stream of C{size}-byte messages from C{sender} to
    C{receiver}, both with C{settings}: (its figures -- MB/s, whether a T3
    retransmission timeout fired ("T3"), SCTP packets per message --, "")
    when the receiver got exactly what the sender counted, else (None, why).
    """
    def server() -> Child:
        _, module, func, kwargs = receiver
        if module is None:
            return spawn_c(func, settings.c_args() + ["--size", str(size)] + kwargs.get("cargs", []))
        return spawn_py(module, func, settings, size, **kwargs)

    def client(port: int) -> Child:
        _, module, func, kwargs = sender
        if module is None:
            return spawn_c(func, settings.c_args() + ["--port", str(port), "--size", str(size),
                                                      "--duration", str(duration)] + kwargs.get("cargs", []))
        return spawn_py(module, func, settings, port, size, duration, 0, **kwargs)

    names = ("SctpT3RtxExpireds", "SctpOutSCTPPacks")
    before = snmp(names)
    r = oneway_pair(server, client, timeout)
    if not r.ok:
        return None, r.note
    after = snmp(names)
    return {"MB/s": r.metrics["MB/s"], "T3": float(after.get(names[0], 0) - before.get(names[0], 0)),
            "packets/msg": (after.get(names[1], 0) - before.get(names[1], 0)) / r.metrics["count"]}, ""


def pingpong(server: Side, client: Side, size: int, duration: float, count: int,
             timeout: float) -> Tuple[Optional[Dict[str, float]], str]:
    """
    One ping-pong run of a pair: (its figures, "") when the server echoed
    exactly what the client counted, else (None, why).
    """
    r = pingpong_pair(lambda: _spawn(server), lambda port: _spawn(client, port, size, duration, count), timeout)
    return (r.metrics, "") if r.ok else (None, r.note)


def setup(server: Side, client: Side, duration: float,
          timeout: float) -> Tuple[Optional[Dict[str, float]], str]:
    """
    One set-up loop of a pair: (its figures, among them connections/s from
    the p50 cycle and the p50 in microseconds, "") when the server accepted
    exactly what the client made, else (None, why).
    """
    r = setup_pair(lambda: _spawn(server), lambda port: _spawn(client, port, duration), timeout)
    return (r.metrics, "") if r.ok else (None, r.note)


def _measure(bench, name: str, pairs, measure, reps: int) -> Dict[int, List[Dict[str, float]]]:
    """
    Every pair's verified figures, C{reps} runs each, interleaved.
    """
    figures: Dict[int, List[Dict[str, float]]] = {i: [] for i in range(len(pairs))}
    for rep in range(reps):
        # Interleaved, so that a slow moment of the host hits every pair.
        for i, (group, server, client) in enumerate(pairs):
            try:
                fig, why = measure(server, client)
            except Exception as e:  # report, don't abort the whole run
                fig, why = None, f"{e.__class__.__name__}: {e}"
            bench.say(f"split {name} rep {rep + 1}/{reps} {group} {server[0]} <- {client[0]}: "
                      + (", ".join(f"{k} {fmt(v)}" for k, v in fig.items()) if fig else f"FAILED {why}"))
            if fig:
                figures[i].append(fig)
    return figures


def _floor(floors: Dict[str, float], workload: str, pairs, ratios: List[Optional[float]]) -> None:
    """
    Record in C{floors} the ratio of C{workload}'s L{FLOORS} pair (absent
    if that pair has no verified run); C{pairs} are (group, server or
    receiver, client or sender), C{ratios} one per pair.
    """
    first, second = FLOORS[workload]
    for (_, a, b), ratio in zip(pairs, ratios):
        if (a[0], b[0]) == (first, second) and ratio is not None:
            floors[workload] = ratio


def _rows(bench, name: str, pairs, measure, metric: str, reps: int) -> List[List[str]]:
    figures = _measure(bench, name, pairs, measure, reps)
    rows = []
    ratios: List[Optional[float]] = []
    base: Optional[float] = None
    for i, (group, server, client) in enumerate(pairs):
        if i == 0 or pairs[i - 1][0] != group:
            base = None
        runs = figures[i]
        value = statistics.median(f[metric] for f in runs) if runs else None
        p50 = statistics.median(f["p50 us"] for f in runs) if runs else None
        if base is None:
            base = value
            ratio = "baseline" if value else "-"
            ratios.append(None)
        else:
            ratio = f"{value / base:.2f}x" if value and base else "-"
            ratios.append(value / base if value and base else None)
        rows.append([group, server[0], client[0], fmt(value), fmt(p50), ratio, f"{len(runs)}/{reps}"])
    _floor(bench.floors, name, pairs, ratios)
    return rows


def _onewayRows(figures: Dict[int, List[Dict[str, float]]], pairs, runsPerPair: List[int],
                floors: Optional[Dict[str, float]] = None) -> List[List[str]]:
    """
    The one-way table's rows: medians of all verified runs and of those
    without a T3 stall; the ratio compares the latter with the first row's
    (and goes in C{floors["oneway16k"]} for the L{FLOORS} pair, when given).
    """
    rows = []
    ratios: List[Optional[float]] = []
    base: Optional[float] = None
    for i, (what, receiver, sender) in enumerate(pairs):
        runs = figures[i]
        value = statistics.median(f["MB/s"] for f in runs) if runs else None
        calm = [f["MB/s"] for f in runs if not f["T3"]]
        steady = statistics.median(calm) if calm else None
        packets = statistics.median(f["packets/msg"] for f in runs) if runs else None
        if i == 0:
            base = steady
            ratio = "baseline" if steady else "-"
            ratios.append(None)
        else:
            ratio = f"{steady / base:.2f}x" if steady and base else "-"
            ratios.append(steady / base if steady and base else None)
        rows.append([what, receiver[0], sender[0], fmt(value), fmt(steady), ratio,
                     f"{len(runs) - len(calm)}/{len(runs)}", fmt(packets), f"{len(runs)}/{runsPerPair[i]}"])
    if floors is not None:
        _floor(floors, "oneway16k", pairs, ratios)
    return rows


def measureOneway(bench, duration: float, timeout: float, reps: int,
                  settings: Settings = TUNED) -> Dict[int, List[Dict[str, float]]]:
    """
    Every L{ONEWAY} pair's verified figures with C{settings}; the baseline
    (first) pair runs again at the end of each repetition, its runs pooled.
    """
    order = ONEWAY + [ONEWAY[0]]
    name = "oneway16k" if settings is TUNED else "oneway16k-defaults"
    figures = _measure(bench, name, order,
                       lambda r, s: oneway(r, s, ONEWAY_SIZE, duration, timeout, settings), reps)
    figures[0].extend(figures.pop(len(ONEWAY)))
    return figures


def run(bench, args) -> str:
    """
    The section's report (tuned settings; the workloads asked for).
    """
    workloads = args.workloads or ["pingpong", "setup", "oneway16k"]
    out = []
    if "pingpong" in workloads:
        rows = _rows(bench, "pingpong", PINGPONG,
                     lambda s, c: pingpong(s, c, 100, args.duration, 0, args.duration + args.timeout),
                     "rt/s", args.reps)
        out.append("== ping-pong 100 B by side (tuned settings, side by side; ratio to the group's first row) ==")
        out.append(table(["group", "server", "client", "rt/s", "p50 us", "ratio", "verified"], rows))
        out.append("")
    if "setup" in workloads:
        rows = _rows(bench, "setup", SETUP, lambda s, c: setup(s, c, args.duration, args.duration + args.timeout),
                     "assoc/s p50", args.reps)
        out.append("== set-up+teardown by side (tuned settings, side by side; 1/p50 cycle; "
                   "ratio to the group's first row) ==")
        out.append(table(["group", "server", "client", "conn/s p50", "p50 us", "ratio", "verified"], rows))
        out.append("")
    if "oneway16k" in workloads:
        for settings, title in (
                (TUNED, "one-way 16 KiB by side (tuned settings, side by side; ratio of the runs without a T3 "
                        "stall to the C pair's)"),
                (DEFAULTS, "one-way 16 KiB by side on host-default socket settings (no per-socket settings, as "
                           "in the host-defaults rows; ratio of the runs without a T3 stall to the C pair's)")):
            figures = measureOneway(bench, args.duration, args.duration + args.timeout, args.reps, settings)
            out.append(f"== {title} ==")
            out.append(table(["measured", "receiver", "sender", "MB/s", "MB/s without T3", "ratio", "T3 runs",
                              "packets/msg", "verified"],
                             _onewayRows(figures, ONEWAY, [2 * args.reps] + [args.reps] * (len(ONEWAY) - 1),
                                         bench.floors if settings is TUNED else None)))
            out.append("")
    return "\n".join(out)

