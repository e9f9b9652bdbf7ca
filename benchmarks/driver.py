"""
The benchmark driver (run by benchmarks/run on a kernel with SCTP).

Runs every contender, in this one kernel boot, with the same sysctls and
socket settings, several repetitions (medians), and prints one table of
absolute figures, the ratios against the baselines (C, stdlib loop) and the
issue-5 targets with PASS/MISS.  See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import select
import signal
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import BUNDLED, DEFAULTS, TUNED, TUNED_SYSCTLS, WIDE_RCV, MiB, Settings, runContender  # noqa: E402

BUILD = os.path.join(HERE, "_build")
C_BENCH = os.path.join(BUILD, "sctp_bench")


# ---------------------------------------------------------------- children --


class Child:
    """
    A child process (exec'd C program, or Python function run in a process
    forked from the fork server) whose output is a stream of lines.
    """

    def __init__(self, label: str, pid: int, fd: int, proc: Optional[subprocess.Popen] = None, mpProc=None):
        self.label = label
        self.pid = pid
        self.fd = fd
        self.proc = proc
        self.mpProc = mpProc
        self.buf = b""
        self.lines: List[str] = []
        self.status: Optional[int] = None

    def readline(self, deadline: float) -> Optional[str]:
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                if self.buf:
                    line, self.buf = self.buf, b""
                    return line.decode(errors="replace")
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        text = line.decode(errors="replace")
        self.lines.append(text)
        return text

    def result(self, deadline: float) -> Optional[dict]:
        while True:
            line = self.readline(deadline)
            if line is None:
                return None
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    return None

    def wait(self, deadline: float) -> bool:
        if self.mpProc is not None:
            while time.monotonic() < deadline:
                self.mpProc.join(0.005)
                if self.mpProc.exitcode is not None:
                    self.status = self.mpProc.exitcode
                    return True
            return False
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                if self.proc is not None:
                    self.proc.returncode = os.waitstatus_to_exitcode(status)
                return True
            time.sleep(0.005)
        return False

    def kill(self) -> None:
        if self.status is None and self.mpProc is not None:
            self.mpProc.kill()
            self.mpProc.join()
            self.status = -9
            return
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.status = -9

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass
        if self.proc is not None and self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass


def spawn_c(mode: str, args: List[str], stdin=subprocess.DEVNULL) -> Child:
    proc = subprocess.Popen([C_BENCH, mode] + args, stdout=subprocess.PIPE, stdin=stdin)
    fd = os.dup(proc.stdout.fileno())
    proc.stdout.close()
    return Child(f"C {mode}", proc.pid, fd, proc)


_forkserver = None


def _forkserverContext():
    """
    The multiprocessing "forkserver" context Python contenders start from:
    a fresh interpreter, started once, that has imported the contender
    modules and what they use (txsctp, Twisted) and forks a child per run.
    """
    global _forkserver
    if _forkserver is None:
        import multiprocessing

        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (HERE, os.environ.get("PYTHONPATH")) if p)
        _forkserver = multiprocessing.get_context("forkserver")
        # What the contenders import, imported once in the fork server (a
        # module that is missing is skipped there).
        _forkserver.set_forkserver_preload(
            ["common"] + [f"contenders.{c.module}" for c in CONTENDERS if c.module]
            + ["txsctp", "txsctp.sctpsocket", "twisted.internet.epollreactor", "twisted.internet.protocol",
               "twisted.protocols.basic"])
    return _forkserver


def spawn_py(module: str, func: str, *args, **kwargs) -> Child:
    """
    Run a contender function in a child process.

    The child is forked from a fork server (see L{_forkserverContext}), not
    from this driver: a child forked from the driver shares the driver's
    heap, and in the test kernel the copy-on-write faults of its first
    writes to it cost the 16 KiB receivers up to half their throughput
    (a forked socket-layer pair moved 615-770 MB/s, the same pair from the
    fork server 1,231-1,506, with 7-418 minor faults in the receiver's
    measured window against ~920; with txsctp and Twisted imported in the
    fork server too, the same).  The fork server's own heap holds only the
    imported modules, so its children start cheap (no interpreter start-up
    or imports in each) and clean, as the exec'd C program does.
    """
    context = _forkserverContext()
    reader, writer = context.Pipe(duplex=False)
    proc = context.Process(target=runContender, args=(module, func, writer, args, kwargs))
    proc.start()
    writer.close()
    fd = os.dup(reader.fileno())
    reader.close()
    return Child(f"{module}.{func}", proc.pid, fd, mpProc=proc)


# -------------------------------------------------------------- contenders --


class Contender:
    def __init__(self, key: str, name: str, module: Optional[str] = None, extra: Optional[dict] = None,
                 sctp: bool = True, workloads: Optional[set] = None, note: str = ""):
        self.key = key
        self.name = name
        self.module = module  # None: the C program
        self.extra = extra or {}
        self.sctp = sctp
        self.workloads = workloads  # None: every workload it implements
        self.note = note
        self.available = True
        self.reason = ""

    def check(self) -> None:
        if self.module is None:
            self.available = os.access(C_BENCH, os.X_OK)
            self.reason = "" if self.available else f"{C_BENCH} was not built"
            return
        mod = importlib.import_module(f"contenders.{self.module}")
        self.available, self.reason = mod.available()

    def has(self, workload: str, func: str) -> bool:
        if self.workloads is not None and workload not in self.workloads:
            return False
        if self.module is None:
            return True
        mod = importlib.import_module(f"contenders.{self.module}")
        return hasattr(mod, func)

    def server(self, func: str, cmode: str, settings: Settings, cargs: List[str], *args) -> Child:
        if self.module is None:
            return spawn_c(cmode, settings.c_args() + cargs)
        return spawn_py(self.module, func, settings, *args, **self.extra)

    def client(self, func: str, cmode: str, settings: Settings, cargs: List[str], *args) -> Child:
        return self.server(func, cmode, settings, cargs, *args)


CONTENDERS = [
    Contender("c", "C sendmmsg/recvmmsg x64"),
    Contender("stdlib", "stdlib loop", "stdlib"),
    Contender("pysctp", "pysctp", "pysctp_"),
    Contender("tcp", "Twisted TCP+framing", "twisted_tcp", sctp=False),
    Contender("txsock", "txsctp socket layer", "txsctp_socket"),
    Contender("tx1to1", "txsctp transport 1:1", "txsctp_transport", {"style": "one-to-one"}),
    Contender("tx1toM", "txsctp transport 1:M", "txsctp_transport", {"style": "one-to-many"}),
]
BY_KEY = {c.key: c for c in CONTENDERS}
TXSCTP_KEYS = ("tx1to1", "tx1toM", "txsock")


def preload() -> None:
    """
    Import what the forked children need once, here, so that a child starts
    in milliseconds (importing Twisted takes ~1 s in the test kernel).  No
    reactor is installed: each child installs its own after the fork.
    """
    for name in ("twisted.internet.epollreactor", "twisted.internet.protocol", "twisted.protocols.basic",
                 "twisted.internet.interfaces", "txsctp.sctpsocket", "txsctp.info", "txsctp._api",
                 "txsctp.protocol", "txsctp._transport"):
        try:
            importlib.import_module(name)
        except Exception:
            pass
    for c in CONTENDERS:
        if c.module and c.available:
            importlib.import_module(f"contenders.{c.module}")
    if BY_KEY["pysctp"].available:
        importlib.import_module("contenders.pysctp_")._import()
    assert "twisted.internet.reactor" not in sys.modules, "a reactor was installed in the driver"


# ---------------------------------------------------------------- workloads --


class Run:
    """The figures of one repetition of one workload for one contender."""

    def __init__(self, ok: bool, metrics: Optional[dict] = None, note: str = ""):
        self.ok = ok
        self.metrics = metrics or {}
        self.note = note
        self.counters: Dict[str, int] = {}  # SNMP_COUNTERS that moved during the run


def _pair(server: Callable[[], Child], client: Callable[[int], Child], timeout: float):
    """
    Start the server, wait for READY, start the client; return both results.
    """
    deadline = time.monotonic() + timeout
    srv = server()
    cli = None
    try:
        line = srv.readline(deadline)
        while line is not None and not line.startswith("READY"):
            line = srv.readline(deadline)
        if line is None:
            return None, None, "server never became ready"
        port = int(line.split()[1])
        cli = client(port)
        cres = cli.result(deadline)
        sres = srv.result(deadline)
        if cres is None or sres is None:
            return cres, sres, "timed out" if time.monotonic() >= deadline else "a side failed"
        cli.wait(deadline)
        srv.wait(deadline)
        return cres, sres, ""
    finally:
        for ch in (cli, srv):
            if ch is not None:
                if ch.status is None and not ch.wait(min(deadline, time.monotonic() + 2.0)):
                    ch.kill()
                ch.close()


def run_oneway(c: Contender, s: Settings, size: int, duration: float, timeout: float) -> Run:
    return oneway_pair(
        lambda: c.server("oneway_recv", "recv", s, ["--size", str(size)], size),
        lambda port: c.client("oneway_send", "send", s,
                              ["--port", str(port), "--size", str(size), "--duration", str(duration)],
                              port, size, duration, 0),
        timeout,
    )


def oneway_pair(server: Callable[[], Child], client: Callable[[int], Child], timeout: float) -> Run:
    """
    One one-way stream of any receiver and sender, verified: the receiver
    got exactly what the sender counted.
    """
    cres, sres, err = _pair(server, client, timeout)
    if err:
        return Run(False, note=err)
    ok = sres["msgs"] == sres["expected"] == cres["sent"] and sres["bad"] == 0 and sres["elapsed"] > 0
    el = sres["elapsed"] or 1e-9
    return Run(ok, {"msgs/s": sres["msgs"] / el, "MB/s": sres["bytes"] / el / 1e6, "count": sres["msgs"]},
               "" if ok else f"count mismatch: sent {cres['sent']}, got {sres['msgs']}, END said {sres['expected']}")


def pingpong_pair(server: Callable[[], Child], client: Callable[[int], Child], timeout: float) -> Run:
    """
    One ping-pong run of any server and client (the client's warm-up round
    trip is counted by the server too).
    """
    cres, sres, err = _pair(server, client, timeout)
    if err:
        return Run(False, note=err)
    ok = cres["rtts"] + cres.get("warmup", 0) == sres["echoed"] and cres["rtts"] > 0
    return Run(ok, {"rt/s": cres["rtts"] / cres["elapsed"], "p50 us": cres["p50_us"], "p99 us": cres["p99_us"],
                    "count": cres["rtts"]},
               "" if ok else f"echo count mismatch: {cres['rtts']} + {cres.get('warmup', 0)} vs {sres['echoed']}")


def run_pingpong(c: Contender, s: Settings, size: int, duration: float, timeout: float) -> Run:
    return pingpong_pair(
        lambda: c.server("pp_server", "ppserver", s, ["--size", str(size)]),
        lambda port: c.client("pp_client", "ppclient", s,
                              ["--port", str(port), "--size", str(size), "--duration", str(duration)],
                              port, size, duration, 0),
        timeout,
    )


def setup_pair(server: Callable[[], Child], client: Callable[[int], Child], timeout: float) -> Run:
    """
    One set-up loop of any server and client (the client's warm-up cycle is
    counted by the server too).
    """
    cres, sres, err = _pair(server, client, timeout)
    if err:
        return Run(False, note=err)
    ok = cres["cycles"] + cres.get("warmup", 0) == sres["accepted"] and cres["cycles"] > 0
    p50 = cres.get("p50_us") or 0
    return Run(ok, {"assoc/s p50": 1e6 / p50 if p50 else 0.0, "assoc/s": cres["cycles"] / cres["elapsed"],
                    "p50 us": p50, "p99 ms": cres.get("p99_us", 0) / 1e3, "count": cres["cycles"]},
               "" if ok else f"setup count mismatch: {cres['cycles']} + {cres.get('warmup', 0)} vs "
                             f"{sres['accepted']}")


def run_setup(c: Contender, s: Settings, duration: float, timeout: float) -> Run:
    return setup_pair(
        lambda: c.server("setup_server", "setupserver", s, []),
        lambda port: c.client("setup_client", "setupclient", s,
                              ["--port", str(port), "--duration", str(duration)], port, duration),
        timeout,
    )


def run_fanin(c: Contender, s: Settings, size: int, assocs: int, duration: float, timeout: float) -> Run:
    # The load is always the C program (100 one-to-one associations); the
    # contender is the one-to-many server.
    cres, sres, err = _pair(
        lambda: c.server("fanin_recv", "faninrecv", s, ["--size", str(size), "--assocs", str(assocs)],
                         size, assocs),
        lambda port: spawn_c("faninsend", s.c_args() + [
            "--port", str(port), "--size", str(size), "--assocs", str(assocs), "--duration", str(duration)]),
        timeout,
    )
    if err:
        return Run(False, note=err)
    ok = sres["msgs"] == sres["expected"] == cres["sent"] and sres["bad"] == 0
    el = sres["elapsed"] or 1e-9
    return Run(ok, {"msgs/s": sres["msgs"] / el, "count": sres["msgs"]},
               "" if ok else f"count mismatch: sent {cres['sent']}, got {sres['msgs']}")


def run_idle(c: Contender, s: Settings, assocs: int, timeout: float) -> Run:
    deadline = time.monotonic() + timeout
    srv = spawn_py(c.module, "idle_server", s, assocs, **c.extra)
    cli = None
    try:
        line = srv.readline(deadline)
        if line is None or not line.startswith("READY"):
            return Run(False, note="server never became ready")
        port = int(line.split()[1])
        cli = spawn_c("idleconnect", s.c_args() + ["--port", str(port), "--assocs", str(assocs)],
                      stdin=subprocess.PIPE)
        res = srv.result(deadline)
        if res is None:
            return Run(False, note="timed out")
        ok = res["assocs"] == assocs
        return Run(ok, {"heap B/assoc": res["heap_per_assoc"], "RSS B/assoc": res["rss_per_assoc"],
                        "setup s": res["setup_seconds"], "count": res["assocs"]})
    finally:
        if cli is not None:
            try:
                cli.proc.stdin.write(b"done\n")
                cli.proc.stdin.flush()
            except OSError:
                pass
        for ch in (srv, cli):
            if ch is not None:
                if ch.status is None and not ch.wait(time.monotonic() + 10.0):
                    ch.kill()
                ch.close()


# ------------------------------------------------------------------ system --


SYSCTLS = [
    "net.core.rmem_max", "net.core.wmem_max", "net.core.rmem_default", "net.core.wmem_default",
    "net.sctp.sctp_rmem", "net.sctp.sctp_wmem", "net.sctp.sndbuf_policy", "net.sctp.rcvbuf_policy",
    "net.sctp.sack_timeout", "net.sctp.rto_min", "net.sctp.rto_initial", "net.sctp.max_burst",
]


def read_sysctl(key: str) -> str:
    try:
        with open("/proc/sys/" + key.replace(".", "/")) as f:
            return " ".join(f.read().split())
    except OSError:
        return "?"


def write_sysctl(key: str, value) -> bool:
    try:
        with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
            f.write(str(value))
        return True
    except OSError:
        return False


def effective_buffers(s: Settings) -> str:
    """
    What the kernel made of the requested buffer sizes (it doubles and caps).
    """
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)
    try:
        s.apply_std(sock)
        snd = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
        rcv = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    finally:
        sock.close()
    return f"effective SO_SNDBUF {snd} B, SO_RCVBUF {rcv} B"


SNMP_COUNTERS = ("SctpT1InitExpireds", "SctpT1CookieExpireds", "SctpT2ShutdownExpireds", "SctpT3RtxExpireds",
                 "SctpT4RtoExpireds", "SctpT5ShutdownGuardExpireds", "SctpDelaySackExpireds", "SctpAborteds",
                 "SctpOutOfBlues", "SctpFastRetransmits", "SctpInDataChunkDiscards")
"""Timers, aborts and loss recovery: a DATA chunk the receiver discarded
(no room in its window) comes back by fast retransmit (which halves the
sender's congestion window) or, when that fails, by the T3 timer (a 1 s
RTO at the kernel's C{rto_min})."""

_SNMP_LABELS = {"SctpFastRetransmits": "FastRtx", "SctpInDataChunkDiscards": "Discards"}


def snmp(names=SNMP_COUNTERS) -> Dict[str, int]:
    """
    SCTP's counters (/proc/net/sctp/snmp), those in C{names}: which timers
    fired during a run tells a protocol stall (delayed SACK, retransmission)
    from a slow program, and the loss-recovery counters how much of a run
    went to repairing discarded chunks.
    """
    d = {}
    try:
        with open("/proc/net/sctp/snmp") as f:
            for line in f:
                k, _, v = line.partition(" ")
                if k in names:
                    d[k] = int(v)
    except OSError:
        pass
    return d


def snmp_delta(a: Dict[str, int], b: Dict[str, int]) -> Dict[str, int]:
    """The counters that moved between two L{snmp} readings."""
    return {k: b.get(k, 0) - a.get(k, 0) for k in SNMP_COUNTERS if b.get(k, 0) != a.get(k, 0)}


def snmp_text(delta: Dict[str, int]) -> str:
    parts = [f"{_SNMP_LABELS.get(k, k[4:].replace('Expireds', ''))}={n}" for k, n in delta.items()]
    return ("[" + " ".join(parts) + "]") if parts else ""


def lo_mtu() -> str:
    try:
        with open("/sys/class/net/lo/mtu") as f:
            return f.read().strip()
    except OSError:
        return "?"


# ------------------------------------------------------------------ tables --


def fmt(v: Optional[float]) -> str:
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def median(values: List[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def _hadStall(run: Run) -> bool:
    """Whether a T3 retransmission timeout fired during C{run}."""
    return bool(run.counters.get("SctpT3RtxExpireds", 0))


def _judge(value: float, baseline: float, need: float) -> Tuple[str, str]:
    """
    A target's ratio as printed (a multiple when C{need} is one) and its
    verdict.
    """
    ratio = f"{value / baseline:.2f}" if need < 1.5 else f"{value / baseline:.2f}x"
    return ratio, "PASS" if value / baseline >= need else "MISS"


class Results:
    """Medians per (config, workload, contender, metric)."""

    def __init__(self):
        self.runs: Dict[tuple, List[Run]] = {}

    def add(self, config: str, workload: str, key: str, run: Run) -> None:
        self.runs.setdefault((config, workload, key), []).append(run)

    def get(self, config: str, workload: str, key: str, metric: str,
            withoutStalls: bool = False) -> Optional[float]:
        """
        The median of the verified runs' C{metric}; with C{withoutStalls},
        of those among them that had no T3 retransmission timeout.
        """
        runs = [r for r in self.runs.get((config, workload, key), []) if r.ok and metric in r.metrics
                and not (withoutStalls and _hadStall(r))]
        return median([r.metrics[metric] for r in runs])

    def stalled(self, config: str, workload: str, key: str) -> Tuple[int, int]:
        """
        How many of the verified runs had a T3 retransmission timeout, and
        how many verified runs there are.
        """
        runs = [r for r in self.runs.get((config, workload, key), []) if r.ok]
        return sum(1 for r in runs if _hadStall(r)), len(runs)

    def cell(self, config: str, workload: str, key: str, metric: str) -> str:
        """
        The median of the verified runs; failing that, of the unverified
        ones that still produced figures, marked with a '*'.
        """
        if not self.runs.get((config, workload, key)):
            return "-"
        v = self.get(config, workload, key, metric)
        if v is not None:
            return fmt(v)
        runs = [r for r in self.runs[(config, workload, key)] if metric in r.metrics]
        return fmt(median([r.metrics[metric] for r in runs])) + "*" if runs else "-"

    def verified(self, config: str, workload: str, key: str) -> str:
        runs = self.runs.get((config, workload, key), [])
        if not runs:
            return ""
        good = sum(r.ok for r in runs)
        return f"{good}/{len(runs)}"

    def notes(self, config: str, workload: str, key: str) -> List[str]:
        return [r.note for r in self.runs.get((config, workload, key), []) if r.note]


def table(headers: List[str], rows: List[List[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]
    lines = []

    def line(cells):
        return "| " + " | ".join(
            str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(cells)) + " |"

    lines.append(line(headers))
    lines.append("|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|")
    for r in rows:
        lines.append(line(r))
    return "\n".join(lines)


# ------------------------------------------------------------------- main --


WORKLOADS = [
    # (id, label, metrics shown)
    ("oneway100", "one-way 100 B", ["msgs/s", "MB/s"]),
    ("oneway1k", "one-way 1 KiB", ["msgs/s", "MB/s"]),
    ("oneway16k", "one-way 16 KiB", ["msgs/s", "MB/s"]),
    ("pingpong", "ping-pong 100 B", ["rt/s", "p50 us", "p99 us"]),
    ("setup", "setup+teardown", ["assoc/s p50", "assoc/s", "p99 ms"]),
    ("fanin", "fan-in 100 assocs 100 B", ["msgs/s"]),
    ("idle", "idle assocs (1:M port)", ["heap B/assoc", "RSS B/assoc", "setup s"]),
]
SIZES = {"oneway100": 100, "oneway1k": 1024, "oneway16k": 16384}
FUNCS = {"oneway100": "oneway_recv", "oneway1k": "oneway_recv", "oneway16k": "oneway_recv",
         "pingpong": "pp_client", "setup": "setup_client", "fanin": "fanin_recv", "idle": "idle_server"}


class Bench:
    def __init__(self, args):
        self.args = args
        self.results = Results()
        self.log = sys.stderr
        # workload -> the ratio of its reactor floor, measured by side in
        # the tuned configuration (benchmarks/split.py FLOORS).
        self.floors: Dict[str, float] = {}

    def say(self, msg: str) -> None:
        print(f"[{time.monotonic() - self.t0:6.1f}s] {msg}", file=self.log, flush=True)

    def runnable(self, c: Contender, workload: str) -> bool:
        if not c.available:
            return False
        if workload in ("fanin", "idle") and c.key == "tcp":
            return False
        if workload == "idle":
            return c.key == "tx1toM"
        if workload == "fanin" and c.key == "tx1to1":
            return False  # the same one-to-many server as tx1toM
        return c.has(workload, FUNCS[workload])

    def one(self, config: str, settings: Settings, workload: str, c: Contender) -> Run:
        a = self.args
        t = a.duration + a.timeout
        if workload in SIZES:
            return run_oneway(c, settings, SIZES[workload], a.duration, t)
        if workload == "pingpong":
            return run_pingpong(c, settings, 100, a.duration, t)
        if workload == "setup":
            return run_setup(c, settings, a.duration, t)
        if workload == "fanin":
            return run_fanin(c, settings, 100, a.fanin, a.duration, t)
        if workload == "idle":
            return run_idle(c, settings, a.idle, 240)
        raise ValueError(workload)

    @staticmethod
    def inConfig(workload: str, config: str) -> bool:
        """
        Whether C{workload} runs in C{config}: fan-in and idle associations
        on the tuned host only; the bundled configuration is about batches
        of messages, so one-way streaming only.
        """
        if config in ("bundled", "widercv"):
            return workload.startswith("oneway")
        return workload not in ("idle", "fanin") or config == "tuned"

    def run_config(self, config: str, settings: Settings, workloads: List[str], contenders: List[Contender],
                   reps: int) -> None:
        for rep in range(reps):
            for w in workloads:
                for c in contenders:
                    if not self.runnable(c, w):
                        continue
                    if w == "idle" and rep > 0:
                        continue  # one measurement is enough (and slow)
                    before = snmp()
                    try:
                        r = self.one(config, settings, w, c)
                    except Exception as e:  # keep going: report the failure in the table
                        r = Run(False, note=f"{e.__class__.__name__}: {e}")
                    r.counters = snmp_delta(before, snmp())
                    self.results.add(config, w, c.key, r)
                    figs = ", ".join(f"{k} {fmt(v)}" for k, v in r.metrics.items() if k != "count")
                    self.say(f"{config} rep {rep + 1}/{reps} {w:10s} {c.key:8s} "
                             f"{'ok' if r.ok else 'FAILED'} {figs} {r.note} {snmp_text(r.counters)}")

    def main(self) -> int:
        a = self.args
        self.t0 = time.monotonic()
        for c in CONTENDERS:
            c.check()
        preload()
        contenders = [c for c in CONTENDERS if not a.only or c.key in a.only]
        workloads = [w for w, _, _ in WORKLOADS if not a.workloads or w in a.workloads]
        configs = [("defaults", DEFAULTS), ("tuned", TUNED)]
        if a.configs:
            # "bundled" (the tuned host with batches bundled, one-way
            # workloads only) runs when asked for by name.
            configs = [x for x in configs + [("bundled", BUNDLED), ("widercv", WIDE_RCV)] if x[0] in a.configs]

        original = {k: read_sysctl(k) for k in SYSCTLS}
        can_sysctl = a.sysctl or os.environ.get("TXSCTP_RUNNER") == "uml"
        self.env = {
            "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "kernel": f"{platform.system()} {platform.release()}",
            "runner": os.environ.get("TXSCTP_RUNNER", "native"),
            "python": platform.python_version(),
            "lo_mtu": lo_mtu(),
        }
        sysctls = {}
        effective = {}
        callgrind = None
        syscalls = None
        split = None
        try:
            for name, settings in configs:
                if name in ("tuned", "bundled", "widercv"):
                    applied = all(write_sysctl(k, v) for k, v in TUNED_SYSCTLS.items()) if can_sysctl else False
                    if not applied:
                        self.say("tuned sysctls NOT applied (not allowed or not root): "
                                 "the tuned row uses the host's caps")
                sysctls[name] = {k: read_sysctl(k) for k in SYSCTLS}
                effective[name] = effective_buffers(settings)
                self.say(f"config {name}: {settings.describe()}")
                # Fan-in and idle associations run on the tuned host only: on host
                # defaults each of the 100 fan-in associations stalls on the
                # delayed-SACK timer (~6 msgs/s each, ~40 s to drain one run).
                self.run_config(name, settings,
                                [w for w in workloads if self.inConfig(w, name)],
                                contenders, a.reps if name != "defaults" else a.defaults_reps)
                if name == "tuned" and a.callgrind:
                    import callgrind as cgmod

                    callgrind = cgmod.run(self, a)
                if name == "tuned" and a.syscalls:
                    import syscalls as scmod

                    syscalls = scmod.run(self, a)
                if name == "tuned" and a.split and {"pingpong", "setup", "oneway16k"} & set(workloads):
                    import split as splitmod

                    split = splitmod.run(self, a)
                for k, v in original.items():
                    if sysctls[name][k] != v:
                        write_sysctl(k, v)
            study = None
            if a.study:
                study = self.run_study()
        finally:
            for k, v in original.items():
                if read_sysctl(k) != v:
                    write_sysctl(k, v)
        self.sysctls, self.effective = sysctls, effective
        self.extra = [x for x in (self.study_report(*study) if study else None, callgrind, syscalls, split) if x]
        report = self.report(configs, workloads, contenders, sysctls, effective, None, None) + \
            "\n".join(self.extra)
        print(report)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(self.dump(configs), f, indent=1)
        self.say("done")
        return 0

    # -- the per-socket settings study ----------------------------------

    STUDY = [
        ("none", Settings()),
        ("nodelay", Settings(nodelay=True)),
        ("buffers", Settings(sndbuf=1 * MiB, rcvbuf=4 * MiB)),
        ("sack_freq 1", Settings(sackfreq=1)),
        ("buffers + sack_freq 1", Settings(sndbuf=1 * MiB, rcvbuf=4 * MiB, sackfreq=1)),
        ("nodelay + buffers (txsctp default)", Settings(sndbuf=1 * MiB, rcvbuf=4 * MiB, nodelay=True)),
        ("nodelay + sack_freq 1", Settings(nodelay=True, sackfreq=1)),
        ("all three", TUNED),
    ]

    def run_study(self):
        """
        Host-default sysctls; C and stdlib with each per-socket setting on
        and off (what a library can set without privileges).
        """
        a = self.args
        cells = [("c", "oneway100"), ("stdlib", "oneway100"), ("tx1to1", "oneway100"), ("c", "oneway16k"),
                 ("tx1to1", "oneway16k"), ("c", "pingpong"), ("stdlib", "pingpong")]
        res = Results()
        for rep in range(a.study_reps):
            for label, settings in self.STUDY:
                for key, w in cells:
                    c = BY_KEY[key]
                    if not c.available:
                        continue
                    before = snmp()
                    try:
                        r = self.one("study", settings, w, c)
                    except Exception as e:
                        r = Run(False, note=str(e))
                    r.counters = snmp_delta(before, snmp())
                    res.add(label, w, key, r)
                    figs = ", ".join(f"{k} {fmt(v)}" for k, v in r.metrics.items() if k != "count")
                    self.say(f"study rep {rep + 1} {label:22s} {w:9s} {key:6s} {'ok' if r.ok else 'FAILED'} "
                             f"{figs} {r.note} {snmp_text(r.counters)}")
        return cells, res

    # -- report -----------------------------------------------------------

    def report(self, configs, workloads, contenders, sysctls, effective, study, callgrind) -> str:
        a = self.args
        R = self.results
        out = []
        e = self.env
        out.append(f"txsctp benchmark -- {e['date']} -- {e['kernel']} ({e['runner']}), Python {e['python']}, "
                   f"lo MTU {e['lo_mtu']}")
        out.append(f"{a.reps} repetitions, medians; {a.duration:g} s per measurement; "
                   f"every contender in this one kernel boot.")
        out.append("")
        for c in contenders:
            if not c.available:
                out.append(f"  {c.name}: not run -- {c.reason}")
        out.append("")
        for name, settings in configs:
            out.append(f"== configuration: {name} ==")
            out.append(f"  socket settings: {settings.describe()}; {effective[name]}")
            out.append("  sysctls: " + ", ".join(f"{k.split('.', 1)[1]}={v}" for k, v in sysctls[name].items()))
            headers = ["workload", "metric"] + [c.name for c in contenders]
            rows = []
            for w, label, metrics in WORKLOADS:
                if w not in workloads or not self.inConfig(w, name):
                    continue
                if not any(R.runs.get((name, w, c.key)) for c in contenders):
                    continue
                for m in metrics:
                    rows.append([label if m == metrics[0] else "", m] +
                                [R.cell(name, w, c.key, m) for c in contenders])
                rows.append(["", "verified"] + [R.verified(name, w, c.key) or "-" for c in contenders])
            out.append(table(headers, rows))
            out.append("")
            # ratios
            rrows = []
            for w, label, metrics in WORKLOADS:
                if w not in workloads or w == "idle":
                    continue
                m = metrics[0]
                for base in ("c", "stdlib"):
                    b = R.get(name, w, base, m)
                    if b is None:
                        continue
                    cells = []
                    for c in contenders:
                        v = R.get(name, w, c.key, m)
                        cells.append("-" if v is None or not b else f"{v / b:.2f}x")
                    rrows.append([f"{label} {m}", f"vs {BY_KEY[base].name}"] + cells)
            if rrows:
                out.append(f"ratios ({name}): contender / baseline")
                out.append(table(["workload", "baseline"] + [c.name for c in contenders], rrows))
                out.append("")
            out.append("  (* median of runs whose counts did not verify -- see below; "
                       "ratios and targets use verified runs only)")
            out.append("")
            failures = []
            for w, _, _ in WORKLOADS:
                for c in contenders:
                    for n in R.notes(name, w, c.key):
                        failures.append(f"  {w} {c.key}: {n}")
            if failures:
                out.append("failed or unverified runs:")
                out.extend(sorted(set(failures)))
                out.append("")
            out.extend(self.loss_report(name, workloads, contenders))
        out.append(self.targets(configs))
        if study is not None:
            out.append(self.study_report(*study))
        if callgrind is not None:
            out.append(callgrind)
        return "\n".join(out)

    def loss_report(self, config: str, workloads: List[str], contenders: List[Contender]) -> List[str]:
        """
        Loss recovery in the one-way runs of C{config}: the receiver's
        discarded DATA chunks (median per run) and how many runs had a
        retransmission timeout (the 1 s stall that decides a 0.4 s run).
        The counters are the kernel's, so each run's include both ends.
        """
        rows = []
        for w, label, _ in WORKLOADS:
            if not w.startswith("oneway") or w not in workloads or not self.inConfig(w, config):
                continue
            cells = []
            for c in contenders:
                runs = [r for r in self.results.runs.get((config, w, c.key), []) if r.ok]
                if not runs or c.key == "tcp":
                    cells.append("-")
                    continue
                discards = statistics.median(r.counters.get("SctpInDataChunkDiscards", 0) for r in runs)
                stalled, verified = self.results.stalled(config, w, c.key)
                cells.append(f"{discards:,.0f}; T3 {stalled}/{verified}")
            if any(x != "-" for x in cells):
                rows.append([label] + cells)
        if not rows:
            return []
        return [f"loss recovery ({config}): DATA chunks discarded by the receiver (median per run); "
                "runs with a T3 retransmission timeout",
                table(["workload"] + [c.name for c in contenders], rows), ""]

    def targets(self, configs) -> str:
        R = self.results
        names = [n for n, _ in configs]
        lines = ["== issue 5 targets =="]
        subjects = [k for k in TXSCTP_KEYS if BY_KEY[k].available]
        checks = [
            ("tuned", "oneway100", "msgs/s", "c", 0.60, "one-way 100 B msgs/s (tuned) >= 60% of C"),
            ("tuned", "oneway100", "msgs/s", "stdlib", 2.0, "one-way 100 B msgs/s (tuned) >= 2x stdlib"),
            ("defaults", "oneway100", "msgs/s", "stdlib", 1.0, "one-way 100 B msgs/s (host defaults) >= stdlib"),
            ("tuned", "oneway16k", "MB/s", "c", 0.80, "one-way 16 KiB MB/s (tuned) >= 80% of C"),
            ("defaults", "oneway16k", "MB/s", "c", 0.80, "one-way 16 KiB MB/s (host defaults) >= 80% of C"),
            ("tuned", "pingpong", "rt/s", "stdlib", 0.90, "ping-pong rt/s (tuned) >= 90% of stdlib"),
            ("defaults", "pingpong", "rt/s", "stdlib", 0.90, "ping-pong rt/s (host defaults) >= 90% of stdlib"),
            ("tuned", "setup", "assoc/s p50", "c", 0.50, "setup rate (tuned, 1/p50 cycle) >= 50% of C"),
            ("defaults", "setup", "assoc/s p50", "c", 0.50, "setup rate (host defaults, 1/p50) >= 50% of C"),
        ]
        rows = []
        stallNote = False
        floorsShown = set()
        for config, w, m, base, need, label in checks:
            if config not in names:
                continue
            b = R.get(config, w, base, m)
            for k in subjects:
                v = R.get(config, w, k, m)
                stalls = self._stallCell(config, w, base, k, m, need)
                stallNote = stallNote or stalls != "-"
                floor = "-"
                if config == "tuned" and k in ("tx1to1", "tx1toM") and w in self.floors:
                    floor = f"{self.floors[w]:.2f}x"
                    floorsShown.add(w)
                if v is None and b:
                    rows.append([label, BY_KEY[k].name, R.cell(config, w, k, m), fmt(b), "-", "n/a (unverified)",
                                 stalls, floor])
                    continue
                if v is None or b is None or not b:
                    verdict, ratio = "n/a", "-"
                else:
                    ratio, verdict = _judge(v, b, need)
                rows.append([label, BY_KEY[k].name, fmt(v), fmt(b), ratio, verdict, stalls, floor])
        if "tuned" in names:
            v = R.get("tuned", "idle", "tx1toM", "heap B/assoc")
            verdict = "n/a" if v is None else ("PASS" if v < 4096 else "MISS")
            n = self.args.idle
            rows.append([f"{n:,} idle associations: Python heap < 4 KiB each", BY_KEY["tx1toM"].name,
                         fmt(v), "4,096", "-", verdict, "-", "-"])
        lines.append(table(["target", "contender", "value", "baseline", "ratio", "verdict",
                            "runs without T3 stalls", "reactor floor"], rows))
        if stallNote:
            lines.append("  runs without T3 stalls: where the baseline or the contender waited out a "
                         "retransmission timeout (1 s) in some runs, the T3 runs of each (baseline, "
                         "contender) and the verdict on the medians of the runs without one.")
        for w in [w for w in self.FLOOR_NOTES if w in floorsShown]:
            lines.append(f"  reactor floor, {self.FLOOR_NOTES[w]}")
        if not BY_KEY["tx1to1"].available:
            lines.append(f"  txsctp transport: {BY_KEY['tx1to1'].reason}")
        lines.append("")
        return "\n".join(lines)

    # What each reactor floor in the targets table is (benchmarks/split.py
    # FLOORS; by side, tuned, in the same run).
    FLOOR_NOTES = {
        "oneway16k": "one-way 16 KiB: the C sender made non-blocking (sendmmsg until EAGAIN, then "
                     "epoll_wait for EPOLLOUT, as any reactor sends) into the C receiver, against the C pair "
                     "(runs without a T3 stall);",
        "pingpong": "ping-pong: a stdlib pair whose two ends wait in epoll with a clock read per wake, "
                    "as a reactor iteration does, against the blocking stdlib pair;",
        "setup": "set-up: the stdlib client connecting without blocking and waiting in epoll with the "
                 "clock reads of a Twisted client and its connect timer, against the blocking stdlib pair.",
    }

    def _stallCell(self, config: str, w: str, base: str, key: str, m: str, need: float) -> str:
        """
        For a target whose baseline or contender had T3 stalls in some of
        its runs: C{"T3 b/n c/n: ratio VERDICT"} over the runs without one
        (C{"n/a"} when either side has none left); C{"-"} otherwise.
        """
        R = self.results
        bs, bn = R.stalled(config, w, base)
        cs, cn = R.stalled(config, w, key)
        if not (bs or cs):
            return "-"
        counts = f"T3 {bs}/{bn} {cs}/{cn}"
        b = R.get(config, w, base, m, withoutStalls=True)
        v = R.get(config, w, key, m, withoutStalls=True)
        if b is None or v is None or not b:
            return f"{counts}: n/a"
        ratio, verdict = _judge(v, b, need)
        return f"{counts}: {ratio} {verdict}"

    def study_report(self, cells, res) -> str:
        lines = ["== per-socket settings on host-default sysctls (what a library can set unprivileged) =="]
        short = {"c": "C", "stdlib": "stdlib", "tx1to1": "txsctp"}
        headers = ["settings"] + [f"{short.get(k, k)} {w}" for k, w in cells]
        metric = {"oneway100": "msgs/s", "oneway16k": "MB/s", "pingpong": "rt/s"}
        rows = []
        for label, _ in self.STUDY:
            row = [label]
            for k, w in cells:
                v = res.get(label, w, k, metric[w])
                ver = res.verified(label, w, k)
                row.append(fmt(v) + ("" if ver.startswith(ver.split("/")[-1]) else f" ({ver})"))
            rows.append(row)
        lines.append("units: one-way 100 B msgs/s, one-way 16 KiB MB/s, ping-pong round trips/s; "
                     "txsctp = the transport (1:1) given the same settings as a Tuning")
        lines.append(table(headers, rows))
        lines.append("")
        return "\n".join(lines)

    def dump(self, configs) -> dict:
        d = {"env": self.env, "args": vars(self.args), "configs": [[n, s.to_dict()] for n, s in configs],
             "sysctls": self.sysctls, "effective": self.effective, "extra": self.extra, "floors": self.floors,
             "runs": []}
        for (config, w, key), runs in self.results.runs.items():
            for r in runs:
                d["runs"].append({"config": config, "workload": w, "contender": key, "ok": r.ok,
                                  "metrics": r.metrics, "note": r.note, "kernel": r.counters})
        return d


def from_json(path: str) -> int:
    """
    Print the report of an earlier run from its --json file.
    """
    with open(path) as f:
        d = json.load(f)
    args = parse_args([])
    for k, v in d.get("args", {}).items():
        setattr(args, k, v)
    b = Bench(args)
    b.t0 = time.monotonic()
    b.env = d["env"]
    b.floors = d.get("floors", {})
    for c in CONTENDERS:
        c.check()
    for r in d["runs"]:
        run = Run(r["ok"], r["metrics"], r["note"])
        run.counters = r.get("kernel", {})
        b.results.add(r["config"], r["workload"], r["contender"], run)
    configs = [(n, Settings.from_dict(s)) for n, s in d.get("configs", [["defaults", {}], ["tuned", TUNED.to_dict()]])]
    workloads = [w for w, _, _ in WORKLOADS if not args.workloads or w in args.workloads]
    contenders = [c for c in CONTENDERS if not args.only or c.key in args.only]
    unknown = {n: {k: "?" for k in SYSCTLS} for n, _ in configs}
    print(b.report(configs, workloads, contenders, d.get("sysctls", unknown),
                   d.get("effective", {n: "effective sizes not recorded" for n, _ in configs}), None, None) +
          "\n".join(d.get("extra", [])))
    return 0


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke mode (< 30 s): tuned config, 1 repetition, short runs, no study/callgrind")
    p.add_argument("--reps", type=int, default=3, help="repetitions per measurement (default 3)")
    p.add_argument("--defaults-reps", type=int, default=2,
                   help="repetitions on host defaults (default 2: every SCTP contender is stall-bound there)")
    p.add_argument("--duration", type=float, default=0.4, help="seconds per measurement (default 0.4)")
    p.add_argument("--timeout", type=float, default=12.0, help="extra seconds before a run is abandoned")
    p.add_argument("--only", nargs="*", help="contender keys: " + " ".join(BY_KEY))
    p.add_argument("--workloads", nargs="*", help="workload ids: " + " ".join(w for w, _, _ in WORKLOADS))
    p.add_argument("--configs", nargs="*",
                   help="defaults and/or tuned (the default: both), and/or bundled: the tuned host with "
                        "batches of small messages bundled (MSG_MORE), and/or widercv: the tuned host with "
                        "16 MiB receive buffers; one-way workloads only")
    p.add_argument("--fanin", type=int, default=100, help="associations in the fan-in workload")
    p.add_argument("--idle", type=int, default=5000,
                   help="idle associations held on one one-to-many port (default 5000, ~1 min in the test "
                        "kernel; the issue's figure is 10000: --idle 10000 adds ~1.5 min)")
    p.add_argument("--study", action="store_true",
                   help="also run the per-socket settings study (C and stdlib, each setting on/off, "
                        "host-default sysctls; ~2 min more)")
    p.add_argument("--study-reps", type=int, default=2)
    p.add_argument("--no-callgrind", dest="callgrind", action="store_false",
                   help="skip the callgrind instruction counts")
    p.add_argument("--callgrind-count", type=int, default=2000, help="messages per callgrind run")
    p.add_argument("--no-syscalls", dest="syscalls", action="store_false",
                   help="skip the system-call counts per operation (strace, ~3 min)")
    p.add_argument("--no-split", dest="split", action="store_false",
                   help="skip the by-side ping-pong and set-up pairs and the reference loops "
                        "(benchmarks/split.py, ~1 min)")
    p.add_argument("--sysctl", action="store_true",
                   help="allowed to change (and restore) net.core.rmem_max/wmem_max for the tuned config")
    p.add_argument("--json", help="also write every run's figures to this JSON file")
    p.add_argument("--from-json", help="print the report of an earlier run's --json file (runs nothing)")
    a = p.parse_args(argv)
    if a.quick:
        a.reps = 1
        a.defaults_reps = 1
        a.duration = 0.2
        a.study = False
        a.callgrind = False
        a.syscalls = False
        a.split = False
        a.configs = a.configs or ["tuned"]
        a.workloads = a.workloads or ["oneway100", "pingpong", "setup", "fanin"]
        a.fanin = min(a.fanin, 10)
        a.timeout = min(a.timeout, 8.0)
    return a


if __name__ == "__main__":
    _args = parse_args()
    if _args.from_json:
        sys.exit(from_json(_args.from_json))
    sys.exit(Bench(_args).main())
