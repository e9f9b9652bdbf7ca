"""
Running the contenders' sides: child processes (the C program executed,
Python sides forked from a fork server, or started afresh under valgrind
or strace), one run of each workload between a server and a client, and
the kernel's SCTP counters around it.  Imports nothing of the driver.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

from common import Settings, runSide
from contenders import BY_WORKLOAD, C_PROGRAM, Contender, ProgramSide, Side, cProgram
from results import Run

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- children --


class Child:
    """
    A child process whose output is a stream of lines (see
    contenders/__init__.py): an executed program, or a Python side forked
    from the fork server.
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

    def ready(self, deadline: float) -> Optional[Tuple[int, Dict[str, object]]]:
        """
        Wait for the server's C{READY <port> [name=value...]}: the port and
        the items for the client, or C{None}.
        """
        line = self.readline(deadline)
        while line is not None and not line.startswith("READY"):
            line = self.readline(deadline)
        if line is None:
            return None
        words = line.split()
        peer: Dict[str, object] = {}
        for item in words[2:]:
            k, _, v = item.partition("=")
            peer[k] = int(v) if v.isdigit() else v
        return int(words[1]), peer

    def result(self, deadline: float) -> Optional[dict]:
        """The child's JSON line of figures, or C{None}."""
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
        if self.status is not None:
            return
        if self.mpProc is not None:
            self.mpProc.kill()
            self.mpProc.join()
        else:
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

    def finish(self, deadline: float) -> None:
        """Wait for the child until C{deadline}, kill it if still running, close."""
        if self.status is None and not self.wait(deadline):
            self.kill()
        self.close()


_C_FLAGS = {"size": "--size", "port": "--port", "duration": "--duration", "count": "--count",
            "assocs": "--assocs"}


def argv(side: Side, settings: Settings, **params) -> List[str]:
    """
    The command line that runs C{side} in a fresh process (the C program,
    or benchmarks/child.py for a Python side), for valgrind or strace to
    wrap.
    """
    if isinstance(side, ProgramSide):
        args = [C_PROGRAM, side.mode] + settings.c_args()
        for k, v in params.items():
            if k not in _C_FLAGS:
                raise ValueError(f"the C program takes no {k!r}")
            args += [_C_FLAGS[k], str(v)]
        return args + list(side.args)
    spec = {"settings": settings.to_dict(), "params": dict(side.options, **params)}
    return [sys.executable, os.path.join(HERE, "child.py"), side.module, side.function, json.dumps(spec)]


def spawnArgv(args: List[str], env: Optional[dict] = None, stdin=subprocess.DEVNULL) -> Child:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stdin=stdin, env=env)
    fd = os.dup(proc.stdout.fileno())
    proc.stdout.close()
    return Child(os.path.basename(args[0]), proc.pid, fd, proc)


def spawn(side: Side, settings: Settings, stdin=subprocess.DEVNULL, **params) -> Child:
    """
    Start C{side}: the C program executed, a Python side forked from the
    fork server (see L{_forkServer}).
    """
    if isinstance(side, ProgramSide):
        return spawnArgv(argv(side, settings, **params), stdin=stdin)
    context = _forkServer()
    reader, writer = context.Pipe(duplex=False)
    proc = context.Process(target=runSide,
                           args=(side.module, side.function, writer, settings, dict(side.options, **params)))
    proc.start()
    writer.close()
    fd = os.dup(reader.fileno())
    reader.close()
    return Child(f"{side.module}.{side.function}", proc.pid, fd, mpProc=proc)


_forkserver = None


def _forkServer():
    """
    The multiprocessing "forkserver" context the Python sides start from: a
    fresh interpreter, started once, that has imported what the contenders
    use (benchmarks/forkwarm.py) and forks one child per side.

    Not forked from the driver: a child forked from the driver shares the
    driver's heap, and in the test kernel the copy-on-write faults of its
    first writes to it cost the 16 KiB receivers up to half their
    throughput.  The fork server's heap holds only the imported modules, so
    its children start cheap (no interpreter start-up or imports) and
    clean, as the executed C program does.
    """
    global _forkserver
    if _forkserver is None:
        import multiprocessing

        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (HERE, os.environ.get("PYTHONPATH")) if p)
        _forkserver = multiprocessing.get_context("forkserver")
        _forkserver.set_forkserver_preload(["common", "forkwarm"])
    return _forkserver


# --------------------------------------------------------------- workloads --


def _pair(server: Callable[[], Child], client: Callable[..., Child], timeout: float):
    """
    Start the server, wait for its READY, start the client with the port
    and the server's items; return both results and an error, if any.
    """
    deadline = time.monotonic() + timeout
    srv = server()
    cli = None
    try:
        ready = srv.ready(deadline)
        if ready is None:
            return None, None, "server never became ready"
        port, peer = ready
        cli = client(port, **peer)
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
                ch.finish(min(deadline, time.monotonic() + 2.0))


def oneway(c: Contender, w: str, s: Settings, duration: float, timeout: float) -> Run:
    """
    One one-way stream, verified: the receiver got exactly what the sender
    counted, every message of the workload's size.
    """
    size = BY_WORKLOAD[w].size
    cres, sres, err = _pair(
        lambda: spawn(c.side(w, "server"), s, size=size),
        lambda port, **peer: spawn(c.side(w, "client"), s, port=port, size=size, duration=duration, count=0,
                                   **peer),
        timeout)
    if err:
        return Run(False, note=err)
    ok = sres["msgs"] == sres["expected"] == cres["sent"] and sres["bad"] == 0 and sres["elapsed"] > 0
    el = sres["elapsed"] or 1e-9
    return Run(ok, {"msgs/s": sres["msgs"] / el, "MB/s": sres["bytes"] / el / 1e6, "count": sres["msgs"]},
               "" if ok else f"count mismatch: sent {cres['sent']}, got {sres['msgs']} "
                             f"(expected {sres['expected']}, bad {sres['bad']})")


def pingpong(c: Contender, w: str, s: Settings, duration: float, timeout: float) -> Run:
    """
    One ping-pong run (the client's warm-up round trip is echoed too).
    """
    size = BY_WORKLOAD[w].size
    cres, sres, err = _pair(
        lambda: spawn(c.side(w, "server"), s),
        lambda port, **peer: spawn(c.side(w, "client"), s, port=port, size=size, duration=duration, count=0,
                                   **peer),
        timeout)
    if err:
        return Run(False, note=err)
    ok = cres["rtts"] + cres.get("warmup", 0) == sres["echoed"] and cres["rtts"] > 0
    return Run(ok, {"rt/s": cres["rtts"] / cres["elapsed"], "p50 us": cres["p50_us"], "p99 us": cres["p99_us"],
                    "count": cres["rtts"]},
               "" if ok else f"echo count mismatch: {cres['rtts']} + {cres.get('warmup', 0)} vs {sres['echoed']}")


def setup(c: Contender, w: str, s: Settings, duration: float, timeout: float) -> Run:
    """
    One set-up loop (the client's warm-up cycle is counted by the server
    too): the rate from the median cycle, and the window's plain rate.
    """
    cres, sres, err = _pair(
        lambda: spawn(c.side(w, "server"), s),
        lambda port, **peer: spawn(c.side(w, "client"), s, port=port, duration=duration, count=0, **peer),
        timeout)
    if err:
        return Run(False, note=err)
    ok = cres["cycles"] + cres.get("warmup", 0) == sres["accepted"] and cres["cycles"] > 0
    p50 = cres.get("p50_us") or 0
    return Run(ok, {"assoc/s p50": 1e6 / p50 if p50 else 0.0, "assoc/s": cres["cycles"] / cres["elapsed"],
                    "p50 us": p50, "p99 ms": cres.get("p99_us", 0) / 1e3, "count": cres["cycles"]},
               "" if ok else f"set-up count mismatch: {cres['cycles']} + {cres.get('warmup', 0)} vs "
                             f"{sres['accepted']}")


def fanin(c: Contender, w: str, s: Settings, duration: float, timeout: float, assocs: int) -> Run:
    """
    C{assocs} associations from the C load generator into the contender's
    one-to-many server.
    """
    size = BY_WORKLOAD[w].size
    cres, sres, err = _pair(
        lambda: spawn(c.side(w, "server"), s, size=size, assocs=assocs),
        lambda port, **peer: spawn(cProgram(w, "client"), s, port=port, size=size, assocs=assocs,
                                   duration=duration),
        timeout)
    if err:
        return Run(False, note=err)
    ok = sres["msgs"] == sres["expected"] == cres["sent"] and sres["bad"] == 0
    el = sres["elapsed"] or 1e-9
    return Run(ok, {"msgs/s": sres["msgs"] / el, "count": sres["msgs"]},
               "" if ok else f"count mismatch: sent {cres['sent']}, got {sres['msgs']}")


def idle(c: Contender, w: str, s: Settings, assocs: int, timeout: float) -> Run:
    """
    C{assocs} idle associations (the C program's, one-to-one sockets) held
    by the contender's one-to-many server, which reports what they cost.
    """
    deadline = time.monotonic() + timeout
    srv = spawn(c.side(w, "server"), s, assocs=assocs)
    cli = None
    try:
        ready = srv.ready(deadline)
        if ready is None:
            return Run(False, note="server never became ready")
        cli = spawn(cProgram(w, "client"), s, stdin=subprocess.PIPE, port=ready[0], assocs=assocs)
        res = srv.result(deadline)
        if res is None:
            return Run(False, note="timed out")
        return Run(res["assocs"] == assocs,
                   {"heap B/assoc": res["heap_per_assoc"], "RSS B/assoc": res["rss_per_assoc"],
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
                ch.finish(time.monotonic() + 10.0)


# ------------------------------------------------------------------ kernel --


SNMP_COUNTERS = ("SctpT1InitExpireds", "SctpT1CookieExpireds", "SctpT3RtxExpireds", "SctpDelaySackExpireds",
                 "SctpAborteds", "SctpFastRetransmits", "SctpInDataChunkDiscards")
"""Timers, aborts and loss recovery (/proc/net/sctp/snmp): which fired
during a run tells a protocol stall (delayed SACK, a retransmission
timeout) from a slow program."""


def snmp() -> Dict[str, int]:
    d: Dict[str, int] = {}
    try:
        with open("/proc/net/sctp/snmp") as f:
            for line in f:
                k, _, v = line.partition(" ")
                if k in SNMP_COUNTERS:
                    d[k] = int(v)
    except OSError:
        pass
    return d


def snmpDelta(a: Dict[str, int], b: Dict[str, int]) -> Dict[str, int]:
    """The counters that moved between two L{snmp} readings."""
    return {k: b.get(k, 0) - a.get(k, 0) for k in SNMP_COUNTERS if b.get(k, 0) != a.get(k, 0)}


def snmpText(delta: Dict[str, int]) -> str:
    short = {"SctpFastRetransmits": "FastRtx", "SctpInDataChunkDiscards": "Discards"}
    parts = [f"{short.get(k, k[4:].replace('Expireds', ''))}={n}" for k, n in delta.items()]
    return ("[" + " ".join(parts) + "]") if parts else ""


def readSysctl(key: str) -> str:
    try:
        with open("/proc/sys/" + key.replace(".", "/")) as f:
            return " ".join(f.read().split())
    except OSError:
        return "?"


def writeSysctl(key: str, value) -> bool:
    try:
        with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
            f.write(str(value))
        return True
    except OSError:
        return False


def kernelHasSCTP() -> bool:
    import socket

    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()
        return True
    except OSError:
        return False
