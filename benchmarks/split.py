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
  for in C{epoll}.  No Python work is added, so what they lose is what any
  reactor transport loses here before running a line of its own code.
* **The client without a connect timeout**: C{connectSCTP(...,
  timeout=None)}.  The default (30 s) is a reactor timer that, cancelled on
  connection, stays in Twisted's heap until it would have fired; while any
  timer is pending, each reactor iteration reads the clock twice more.
* **Twisted's own TCP set-up loop** against a plain stdlib TCP loop: what
  Twisted's reactor costs a connection by itself, whatever the protocol.
"""

from __future__ import annotations

import statistics
from typing import Dict, List, Optional, Tuple

from common import TUNED
from driver import Child, fmt, pingpong_pair, setup_pair, spawn_py, table

# A side: (label, contender module, function, keyword arguments).
Side = Tuple[str, str, str, dict]

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
]

STDLIB_SETUP_SERVER: Side = ("stdlib loop", "stdlib", "setup_server", {})
TX_SETUP_CLIENT: Side = ("txsctp transport", "txsctp_transport", "setup_client", {})

SETUP: List[Tuple[str, Side, Side]] = [
    ("SCTP", STDLIB_SETUP_SERVER, ("stdlib loop", "stdlib", "setup_client", {})),
    ("SCTP", STDLIB_SETUP_SERVER, ("stdlib loop, non-blocking connect + epoll", "reference", "setup_client", {})),
    ("SCTP", STDLIB_SETUP_SERVER, TX_SETUP_CLIENT),
    ("SCTP", ("txsctp transport 1:1", "txsctp_transport", "setup_server", {"style": "one-to-one"}),
     TX_SETUP_CLIENT),
    ("TCP", ("stdlib TCP loop", "reference", "tcp_setup_server", {}),
     ("stdlib TCP loop", "reference", "tcp_setup_client", {})),
    ("TCP", ("Twisted TCP", "twisted_tcp", "setup_server", {}), ("Twisted TCP", "twisted_tcp", "setup_client", {})),
]


def _spawn(side: Side, *args) -> Child:
    _, module, func, kwargs = side
    return spawn_py(module, func, TUNED, *args, **kwargs)


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


def _rows(bench, name: str, pairs, measure, metric: str, reps: int) -> List[List[str]]:
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
    rows = []
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
        else:
            ratio = f"{value / base:.2f}x" if value and base else "-"
        rows.append([group, server[0], client[0], fmt(value), fmt(p50), ratio, f"{len(runs)}/{reps}"])
    return rows


def run(bench, args) -> str:
    """
    The section's report (tuned settings; the workloads asked for).
    """
    workloads = args.workloads or ["pingpong", "setup"]
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
    return "\n".join(out)

