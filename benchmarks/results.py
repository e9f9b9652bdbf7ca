"""
The benchmark's figures and tables: one run's figures (L{Run}), the medians
of repeated runs (L{Results}), number formatting and Markdown tables.
Imports nothing else of the benchmark.
"""

from __future__ import annotations

import statistics
from typing import Dict, Iterable, List, Optional, Sequence


class Run:
    """
    The figures of one run of one workload for one contender.

    @ivar ok: whether the receiving side verified the counts.
    @ivar metrics: figures by name (C{"msgs/s"}, C{"rt/s"}...).
    @ivar note: why a run failed or did not verify.
    @ivar counters: the kernel's SCTP counters that moved during the run.
    """

    def __init__(self, ok: bool, metrics: Optional[Dict[str, float]] = None, note: str = ""):
        self.ok = ok
        self.metrics = metrics or {}
        self.note = note
        self.counters: Dict[str, int] = {}


class Results:
    """Every run, by (section, workload, contender key); medians on demand."""

    def __init__(self) -> None:
        self.runs: Dict[tuple, List[Run]] = {}

    def add(self, section: str, workload: str, key: str, run: Run) -> None:
        self.runs.setdefault((section, workload, key), []).append(run)

    def get(self, section: str, workload: str, key: str, metric: str) -> Optional[float]:
        """The median of the verified runs' C{metric}, or C{None}."""
        values = [r.metrics[metric] for r in self.runs.get((section, workload, key), [])
                  if r.ok and metric in r.metrics]
        return statistics.median(values) if values else None

    def cell(self, section: str, workload: str, key: str, metric: str) -> str:
        """
        The median of the verified runs; failing that, of the unverified
        ones that still produced figures, marked with a C{*}.
        """
        runs = self.runs.get((section, workload, key), [])
        if not runs:
            return "-"
        v = self.get(section, workload, key, metric)
        if v is not None:
            return fmt(v)
        values = [r.metrics[metric] for r in runs if metric in r.metrics]
        return fmt(statistics.median(values)) + "*" if values else "-"

    def verified(self, section: str, workload: str, key: str) -> str:
        runs = self.runs.get((section, workload, key), [])
        return f"{sum(r.ok for r in runs)}/{len(runs)}" if runs else "-"

    def stalls(self, section: str, workload: str, key: str) -> str:
        """How many of the runs had a T3 retransmission timeout (a 1 s stall)."""
        runs = self.runs.get((section, workload, key), [])
        if not runs:
            return "-"
        return f"{sum(1 for r in runs if r.counters.get('SctpT3RtxExpireds'))}/{len(runs)}"

    def notes(self, section: str, workload: str, key: str) -> List[str]:
        return [r.note for r in self.runs.get((section, workload, key), []) if r.note]


def fmt(v: Optional[float]) -> str:
    """A figure as the tables print it: thousands separated, 3 significant digits below 100."""
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def ratio(value: Optional[float], base: Optional[float]) -> str:
    """C{value / base} as C{"0.52x"}, or C{"-"}."""
    if value is None or not base:
        return "-"
    r = value / base
    return f"{r:.2f}x" if r >= 0.01 else f"{r:.4f}x"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table, the first column left-aligned, the others right."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(str(r[i])) for r in [list(headers)] + rows) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(
            str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(cells)) + " |"

    out = [line(headers),
           "|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"]
    out.extend(line(r) for r in rows)
    return "\n".join(out)
