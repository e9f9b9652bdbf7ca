"""
The benchmark driver (benchmarks/run starts it; see docs/benchmarks.md).

Runs the contenders (benchmarks/contenders: plug-ins, see its
__init__.py) through the workloads, several repetitions each (medians),
with the same sysctls and socket settings for all, and prints one report:

* the native section: contenders that need no kernel SCTP (usrsctp over
  UDP), run on the host itself (C{--part native}), with the userspace
  stack's user-space instructions per operation (callgrind.py);
* the kernel-SCTP tables, one per configuration, with every contender in
  one kernel boot, the reactor floor among them (C{--part kernel});
* the user-space instructions per operation (callgrind.py) with the
  per-operation cost targets, and the system calls per operation
  (syscalls.py).

On a host without kernel SCTP, benchmarks/run runs the native part here
first, then the kernel part in the test kernel with C{--native-results},
which puts both in one report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import callgrind  # noqa: E402
import harness  # noqa: E402
import syscalls  # noqa: E402
from common import BUNDLED, DEFAULTS, TUNED, TUNED_SYSCTLS, WIDE_RCV, Settings  # noqa: E402
from contenders import BY_WORKLOAD, WORKLOADS, Contender, load  # noqa: E402
from results import Results, Run, fmt, ratio, table  # noqa: E402

CONFIGS: Dict[str, Settings] = {"tuned": TUNED, "defaults": DEFAULTS, "bundled": BUNDLED, "widercv": WIDE_RCV}
"""tuned: the tuned host (the default); defaults: nothing set anywhere;
bundled and widercv: the tuned host with batches of small messages bundled
(MSG_MORE), or with 16 MiB receive buffers -- one-way workloads only (see
docs/tuning.md)."""

SYSCTLS = [
    "net.core.rmem_max", "net.core.wmem_max", "net.sctp.sctp_rmem", "net.sctp.sctp_wmem",
    "net.sctp.sack_timeout", "net.sctp.rto_min", "net.sctp.rto_initial",
]
BASELINES = ("c", "stdlib")


def inConfig(workload: str, config: str) -> bool:
    """
    Fan-in and idle associations run on the tuned host only (on kernel
    defaults each fan-in association stalls on the delayed-SACK timer);
    bundled and widercv are about streams, so one-way only.
    """
    if config in ("bundled", "widercv"):
        return BY_WORKLOAD[workload].kind == "oneway"
    return workload not in ("idle", "fanin") or config == "tuned"



USERSPACE_TARGET = 0.5
"""The userspace stack's one-way 100 B rate, as a share of tsctp's."""

class Bench:
    def __init__(self, args):
        self.args = args
        self.results = Results()
        self.t0 = time.monotonic()
        self.env: Dict[str, Dict[str, str]] = {}
        self.sections: List[str] = []

    def say(self, msg: str) -> None:
        print(f"[{time.monotonic() - self.t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    # -- running ----------------------------------------------------------

    def one(self, c: Contender, w: str, settings: Settings) -> Run:
        a = self.args
        t = a.duration + a.timeout
        kind = BY_WORKLOAD[w].kind
        if kind == "oneway":
            if c.section == "native":
                t += 10 + a.duration  # tsctp runs whole seconds, then waits a second to exit
            return harness.oneway(c, w, settings, a.duration, t)
        if kind == "pingpong":
            return harness.pingpong(c, w, settings, a.duration, t)
        if kind == "setup":
            return harness.setup(c, w, settings, a.duration, t)
        if kind == "fanin":
            return harness.fanin(c, w, settings, a.duration, t, a.fanin)
        return harness.idle(c, w, settings, a.idle, 300)

    def runSection(self, section: str, settings: Settings, workloads: List[str], contenders: List[Contender],
                   reps: int) -> None:
        for rep in range(reps):
            # Interleaved, so that a slow moment of the host hits every contender.
            for w in workloads:
                for c in contenders:
                    if w not in c.workloads or (w == "idle" and rep > 0):
                        continue  # one idle measurement is enough (and slow)
                    before = harness.snmp()
                    try:
                        r = self.one(c, w, settings)
                    except Exception as e:  # report the failure in the table, go on
                        r = Run(False, note=f"{e.__class__.__name__}: {e}")
                    r.counters = harness.snmpDelta(before, harness.snmp())
                    self.results.add(section, w, c.key, r)
                    figs = ", ".join(f"{k} {fmt(v)}" for k, v in r.metrics.items() if k != "count")
                    self.say(f"{section} {rep + 1}/{reps} {w:9s} {c.key:7s} {'ok' if r.ok else 'FAILED'} {figs} "
                             f"{r.note} {harness.snmpText(r.counters)}")

    def environment(self) -> Dict[str, str]:
        try:
            with open("/sys/class/net/lo/mtu") as f:
                mtu = f.read().strip()
        except OSError:
            mtu = "?"
        return {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "kernel": f"{platform.system()} {platform.release()}",
                "runner": os.environ.get("TXSCTP_RUNNER", "native"), "python": platform.python_version(),
                "lo_mtu": mtu}

    def runNative(self, contenders: List[Contender], workloads: List[str]) -> None:
        native = [c for c in contenders if c.section == "native"]
        self.env["native"] = self.environment()
        self.native = native
        runnable = [c for c in native if c.ok]
        if runnable:
            self.say("native: " + ", ".join(c.key for c in runnable))
            self.runSection("native", TUNED, [w for w in workloads if any(w in c.workloads for c in runnable)],
                            runnable, self.args.reps)
        # Per-operation counts on the userspace stack, whatever the workloads.
        measured = [c for c in runnable if c.measure]
        if measured and self.args.callgrind:
            ok, why = callgrind.available()
            if ok:
                self.nativeCallgrind = callgrind.UserspaceSection(measured, self.say, self.args.callgrind_count,
                                                                  self.everyone)
                self.nativeCallgrind.run()
            else:
                self.nativeCallgrindSkipped = why

    def runKernel(self, contenders: List[Contender], workloads: List[str], configs: List[str]) -> None:
        a = self.args
        kernel = [c for c in contenders if c.section == "kernel"]
        runnable = [c for c in kernel if c.ok]
        self.env["kernel"] = self.environment()
        original = {k: harness.readSysctl(k) for k in TUNED_SYSCTLS}
        canSysctl = a.sysctl or os.environ.get("TXSCTP_RUNNER") == "uml"
        self.sysctls: Dict[str, Dict[str, str]] = {}
        self.effective: Dict[str, str] = {}
        try:
            for name in configs:
                settings = CONFIGS[name]
                if name != "defaults":
                    if not (canSysctl and all(harness.writeSysctl(k, v) for k, v in TUNED_SYSCTLS.items())):
                        self.say("tuned sysctls NOT applied (not allowed or not root): the host's caps apply")
                self.sysctls[name] = {k: harness.readSysctl(k) for k in SYSCTLS}
                self.effective[name] = _effectiveBuffers(settings)
                self.say(f"configuration {name}: {settings.describe()}")
                self.runSection(name, settings, [w for w in workloads if inConfig(w, name)], runnable, a.reps)
                if name == "tuned":
                    # Per-operation counts, on the tuned host (they do not
                    # depend on the kernel's speed).
                    measured = [c for c in runnable if c.measure]
                    if a.callgrind:
                        ok, why = callgrind.available()
                        if ok:
                            section = callgrind.Section(measured, self.say, a.callgrind_count, self.everyone)
                            section.run()
                            self.callgrind = section
                        else:
                            self.sections.append(f"== callgrind: skipped ({why}) ==\n")
                    if a.syscalls:
                        ok, why = syscalls.available()
                        self.syscalls = syscalls.run(measured, self.say, self.everyone) if ok else \
                            f"== system calls: skipped ({why}) ==\n"
                for k, v in original.items():
                    harness.writeSysctl(k, v)
        finally:
            for k, v in original.items():
                if harness.readSysctl(k) != v:
                    harness.writeSysctl(k, v)

    def main(self) -> int:
        a = self.args
        contenders = load()
        for c in contenders:
            c.ok, c.why = c.available()
        self.everyone = contenders
        if a.only:
            unknown = set(a.only) - {c.key for c in contenders}
            if unknown:
                raise SystemExit(f"unknown contender keys {sorted(unknown)}: {' '.join(c.key for c in contenders)}")
            contenders = [c for c in contenders if c.key in a.only]
        workloads = [w.id for w in WORKLOADS if not a.workloads or w.id in a.workloads]
        configs = a.configs or ["tuned"]
        self.native: List[Contender] = []
        self.callgrind = None
        self.nativeCallgrind = None
        self.nativeCallgrindSkipped = ""
        self.syscalls = None
        self.nativeFromFile = None
        if a.part in ("native", "all"):
            self.runNative(contenders, workloads)
        elif a.native_results:
            self.loadNative(a.native_results, contenders)
        if a.part in ("kernel", "all"):
            self.kernelContenders = [c for c in contenders if c.section == "kernel"]
            self.runKernel(contenders, workloads, configs)
        report = self.report(configs if a.part != "native" else [])
        print(report)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(self.dump(), f, indent=1)
        self.say("done")
        return 0

    # -- native results from an earlier part -------------------------------

    def dump(self) -> dict:
        d = {"env": self.env, "args": vars(self.args), "runs": [],
             "native": [{"key": c.key, "label": c.label, "ok": c.ok, "why": c.why} for c in self.native]}
        for (section, w, key), runs in self.results.runs.items():
            for r in runs:
                d["runs"].append({"section": section, "workload": w, "contender": key, "ok": r.ok,
                                  "metrics": r.metrics, "note": r.note, "kernel": r.counters})
        if self.callgrind is not None:
            d["callgrind"] = self.callgrind.dump()
        if self.nativeCallgrind is not None:
            d["native_callgrind"] = {"figures": self.nativeCallgrind.dump(), "notes": self.nativeCallgrind.notes,
                                     "measured": [c.key for c in self.nativeCallgrind.contenders]}
        elif self.nativeCallgrindSkipped:
            d["native_callgrind"] = {"skipped": self.nativeCallgrindSkipped}
        return d

    def loadNative(self, path: str, contenders: List[Contender]) -> None:
        """The native part's figures, run on the host by benchmarks/run before this part."""
        try:
            with open(path) as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            self.sections.append(f"== native: no results ({e}) ==\n")
            return
        self.env["native"] = d["env"].get("native", {})
        byKey = {c.key: c for c in contenders}
        self.native = []
        for n in d.get("native", []):
            c = byKey.get(n["key"])
            if c is not None:
                c.ok, c.why = n["ok"], n["why"]
                self.native.append(c)
        for r in d["runs"]:
            run = Run(r["ok"], r["metrics"], r["note"])
            run.counters = r.get("kernel", {})
            self.results.add(r["section"], r["workload"], r["contender"], run)
        cg = d.get("native_callgrind", {})
        if "figures" in cg:
            measured = [byKey[k] for k in cg["measured"] if k in byKey]
            self.nativeCallgrind = callgrind.UserspaceSection(measured, self.say,
                                                              d["args"].get("callgrind_count", 0), contenders)
            self.nativeCallgrind.restore(cg["figures"], cg["notes"])
        self.nativeCallgrindSkipped = cg.get("skipped", "")

    # -- report -----------------------------------------------------------

    def report(self, configs: List[str]) -> str:
        a = self.args
        out = [f"txsctp benchmark -- {a.reps} repetitions, medians; {a.duration:g} s per measurement", ""]
        if self.native or "native" in self.env:
            out.extend(self.nativeReport())
        if configs:
            e = self.env["kernel"]
            where = "the test kernel (User-Mode Linux)" if e["runner"] == "uml" else "this host's kernel"
            out.append(f"Kernel SCTP: {e['date']}, {e['kernel']} ({e['runner']}), Python {e['python']}, "
                       f"lo MTU {e['lo_mtu']}; every contender in {where}, one boot.")
            for c in self.kernelContenders:
                if not c.ok:
                    out.append(f"  {c.label}: not run -- {c.why}")
            out.append("")
            for name in configs:
                out.extend(self.configReport(name, [c for c in self.kernelContenders if c.ok]))
        if self.callgrind is not None:
            idleHeap = self.results.get("tuned", "idle", "tx1toM", "heap B/assoc")
            out.append(self.callgrind.report(idleHeap, a.idle))
        out.extend(self.sections)
        if self.syscalls:
            out.append(self.syscalls)
        return "\n".join(out)

    def nativeReport(self) -> List[str]:
        e = self.env.get("native", {})
        out = [f"== native: contenders that need no kernel SCTP (usrsctp over UDP), on "
               f"{e.get('kernel', '?')} ({e.get('runner', '?')}), {e.get('date', '?')} =="]
        ran = [c for c in self.native if c.ok]
        for c in self.native:
            if not c.ok:
                out.append(f"  {c.label}: not run -- {c.why}")
        if not ran:
            out.append("  (nothing ran)")
            out.append("")
            return out
        rows = []
        base = next((c.key for c in ran if c.key == "tsctp"), None)
        for w in WORKLOADS:
            if not any(self.results.runs.get(("native", w.id, c.key)) for c in ran):
                continue
            for m in w.metrics:
                rows.append([w.label if m == w.metrics[0] else "", m] +
                            [self.results.cell("native", w.id, c.key, m) for c in ran])
            if base:
                rows.append(["", f"vs {self.label(base)}"]
                            + [ratio(self.results.get("native", w.id, c.key, w.metrics[0]),
                                     self.results.get("native", w.id, base, w.metrics[0]))
                               for c in ran])
            rows.append(["", "verified"] + [self.results.verified("native", w.id, c.key) for c in ran])
        if rows:
            out.append(table(["workload", "metric"] + [c.label for c in ran], rows))
        out.extend(self.failures("native", ran))
        ours = self.results.get("native", "oneway100", "txus", "msgs/s")
        theirs = self.results.get("native", "oneway100", "tsctp", "msgs/s")
        if ours is not None and theirs:
            share = ours / theirs
            out.append(f"  target: the userspace stack moves at least half of tsctp's 100-byte messages per second "
                       f"over the same path: {share:.2f}x, {'PASS' if share >= USERSPACE_TARGET else 'MISS'}")
        out.append("")
        if self.nativeCallgrind is not None:
            out.append(self.nativeCallgrind.userspaceReport(self.callgrind))
        elif self.nativeCallgrindSkipped:
            out.append(f"== user-space instructions per operation, userspace stack: skipped "
                       f"({self.nativeCallgrindSkipped}) ==\n")
        return out

    def configReport(self, name: str, contenders: List[Contender]) -> List[str]:
        R = self.results
        settings = CONFIGS[name]
        out = [f"== kernel SCTP, configuration {name} ==",
               f"  socket settings: {settings.describe()}; {self.effective[name]}",
               "  sysctls: " + ", ".join(f"{k.split('.', 1)[1]}={v}" for k, v in self.sysctls[name].items())]
        shown = [w for w in WORKLOADS if any(R.runs.get((name, w.id, c.key)) for c in contenders)]
        rows = []
        for w in shown:
            for m in w.metrics:
                rows.append([self.workloadLabel(w) if m == w.metrics[0] else "", m] +
                            [R.cell(name, w.id, c.key, m) for c in contenders])
            if w.kind == "oneway":
                rows.append(["", "T3 stalls"] + [R.stalls(name, w.id, c.key) for c in contenders])
            rows.append(["", "verified"] + [R.verified(name, w.id, c.key) for c in contenders])
        out.append(table(["workload", "metric"] + [c.label for c in contenders], rows))
        out.append("")
        rrows = []
        for w in shown:
            m = w.metrics[0]
            for base in BASELINES:
                b = R.get(name, w.id, base, m)
                if b is None:
                    continue
                rrows.append([f"{self.workloadLabel(w)} {m}", f"vs {self.label(base)}"]
                             + [ratio(R.get(name, w.id, c.key, m), b) for c in contenders])
        if rrows:
            out.append(f"ratios ({name}): contender / baseline, medians of the verified runs")
            out.append(table(["workload", "baseline"] + [c.label for c in contenders], rrows))
        out.extend(self.failures(name, contenders))
        out.append("")
        return out

    def workloadLabel(self, w) -> str:
        if w.id == "fanin":
            return f"{w.label}, {self.args.fanin} assocs"
        if w.id == "idle":
            return f"{self.args.idle:,} {w.label}"
        return w.label

    def label(self, key: str) -> str:
        return next((c.label for c in self.everyone if c.key == key), key)

    def failures(self, section: str, contenders: List[Contender]) -> List[str]:
        notes = sorted({f"  {w.id} {c.key}: {n}" for w in WORKLOADS for c in contenders
                        for n in self.results.notes(section, w.id, c.key)})
        if not notes:
            return []
        return ["failed or unverified runs (* in the table: median of unverified runs):"] + notes


def _effectiveBuffers(s: Settings) -> str:
    """What the kernel made of the requested buffer sizes (it doubles and caps them)."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)
    try:
        s.apply_std(sock)
        snd = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        rcv = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    finally:
        sock.close()
    return f"effective SO_SNDBUF {snd} B, SO_RCVBUF {rcv} B"


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke mode (< 1 min): 1 repetition, short runs, no idle/callgrind/system calls")
    p.add_argument("--reps", type=int, default=3, help="repetitions per measurement (default 3)")
    p.add_argument("--duration", type=float, default=0.4, help="seconds per measurement (default 0.4)")
    p.add_argument("--timeout", type=float, default=12.0, help="extra seconds before a run is abandoned")
    p.add_argument("--only", nargs="*", help="contender keys (default: all)")
    p.add_argument("--workloads", nargs="*", help="workload ids: " + " ".join(w.id for w in WORKLOADS))
    p.add_argument("--configs", nargs="*", choices=sorted(CONFIGS),
                   help="kernel-SCTP configurations (default: tuned)")
    p.add_argument("--fanin", type=int, default=100, help="associations in the fan-in workload (default 100)")
    p.add_argument("--idle", type=int, default=10000,
                   help="idle associations held on one one-to-many port (default 10000, 1-2 min in the "
                        "test kernel)")
    p.add_argument("--no-callgrind", dest="callgrind", action="store_false",
                   help="skip the instructions per operation (callgrind, ~6 min in the test kernel)")
    p.add_argument("--callgrind-count", type=int, default=2000, help="messages per callgrind message run")
    p.add_argument("--no-syscalls", dest="syscalls", action="store_false",
                   help="skip the system calls per operation (strace, ~3 min in the test kernel)")
    p.add_argument("--part", choices=("all", "native", "kernel"), default="all",
                   help="native: only the contenders that need no kernel SCTP; kernel: only the others "
                        "(benchmarks/run picks)")
    p.add_argument("--native-results", help="a native part's --json file, reported with this kernel part")
    p.add_argument("--sysctl", action="store_true",
                   help="allowed to change (and restore) net.core.rmem_max/wmem_max for the tuned host")
    p.add_argument("--json", help="also write every run's figures to this JSON file")
    a = p.parse_args(argv)
    if a.quick:
        a.reps = 1
        a.duration = 0.2
        a.callgrind = False
        a.syscalls = False
        a.workloads = a.workloads or ["oneway100", "pingpong", "setup", "fanin"]
        a.fanin = min(a.fanin, 10)
        a.timeout = min(a.timeout, 8.0)
    return a


if __name__ == "__main__":
    sys.exit(Bench(parse_args()).main())
