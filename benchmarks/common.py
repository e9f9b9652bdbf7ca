"""
What the contenders' sides share: the socket settings every contender
applies, the line protocol between the driver and its children, the
set-up loops, the callgrind probe.  Imports nothing of the driver.

Every child (a C program or a forked Python process) writes lines to its
output: servers first ``READY <port>``, and every child ends with one JSON
object holding its figures.  One-way streams end with a message that is
shorter than the data messages, ``END <count>``; the receiver checks the
count and answers ``OK``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import struct
import time
from typing import Callable, Optional

HOST = "127.0.0.1"
IPPROTO_SCTP = 132
SOL_SCTP = 132
SCTP_NODELAY = 3
SCTP_DELAYED_SACK = 16
SCTP_RECVRCVINFO = 32
SCTP_SNDINFO = 2
SCTP_RCVINFO = 3
MSG_NOTIFICATION = 0x8000
MSG_EOR = socket.MSG_EOR
MSG_WAITFORONE = 0x10000

MiB = 1 << 20


@dataclasses.dataclass(frozen=True)
class Settings:
    """
    Per-socket settings every contender applies to its listening,
    connecting and accepted sockets.  0 / None: leave the kernel default.
    """

    sndbuf: int = 0
    rcvbuf: int = 0
    nodelay: Optional[bool] = None
    sackfreq: int = 0
    # Batches of small messages sent with MSG_MORE on all but the last (the
    # C program's --bundle 1, sendBatch(bundle=True), the transport's
    # bundle=True); the stdlib, pysctp and TCP contenders have no batches.
    bundle: bool = False

    def describe(self) -> str:
        parts = []
        parts.append(f"SO_SNDBUF {self.sndbuf} B requested" if self.sndbuf else "SO_SNDBUF default")
        parts.append(f"SO_RCVBUF {self.rcvbuf} B requested" if self.rcvbuf else "SO_RCVBUF default")
        parts.append("SCTP_NODELAY default (off)" if self.nodelay is None
                     else f"SCTP_NODELAY {'on' if self.nodelay else 'off'}")
        parts.append(f"SCTP_DELAYED_SACK sack_freq {self.sackfreq}" if self.sackfreq
                     else "delayed SACK default (freq 2, 200 ms)")
        if self.bundle:
            parts.append("batches bundled (MSG_MORE on all but the last)")
        return ", ".join(parts)

    def short(self) -> str:
        bits = []
        if self.nodelay:
            bits.append("nodelay")
        if self.sndbuf or self.rcvbuf:
            bits.append(f"buf {self.sndbuf >> 10}K/{self.rcvbuf >> 10}K")
        if self.sackfreq:
            bits.append(f"sack_freq {self.sackfreq}")
        if self.bundle:
            bits.append("bundled")
        return " + ".join(bits) or "kernel defaults"

    def c_args(self) -> list:
        return [
            "--sndbuf", str(self.sndbuf), "--rcvbuf", str(self.rcvbuf),
            "--nodelay", "-1" if self.nodelay is None else str(int(self.nodelay)),
            "--sackfreq", str(self.sackfreq), "--bundle", str(int(self.bundle)),
        ]

    def apply_std(self, sock: socket.socket) -> None:
        """
        Apply to a stdlib socket (what the stdlib and pysctp contenders do).
        """
        if self.sndbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
        if self.rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        if self.nodelay is not None:
            sock.setsockopt(SOL_SCTP, SCTP_NODELAY, int(self.nodelay))
        if self.sackfreq:
            # struct sctp_sack_info: assoc id, delay (0: keep), frequency
            sock.setsockopt(SOL_SCTP, SCTP_DELAYED_SACK, struct.pack("iII", 0, 0, self.sackfreq))

    def apply_tcp(self, sock: socket.socket) -> None:
        """
        The TCP equivalent for the Twisted TCP contender: buffers and
        TCP_NODELAY (SACK frequency has no TCP counterpart).
        """
        if self.sndbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
        if self.rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        if self.nodelay is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(self.nodelay))

    def tuning(self):
        """
        The same settings as a txsctp Tuning, or None for "touch nothing".
        """
        if self == Settings():
            return None
        from txsctp.options import Tuning

        return Tuning(
            nodelay=bool(self.nodelay),
            sendBufferSize=self.sndbuf or None,
            receiveBufferSize=self.rcvbuf or None,
            sackFrequency=self.sackfreq or None,
        )

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Settings":
        return cls(**d)


DEFAULTS = Settings()
TUNED = Settings(sndbuf=1 * MiB, rcvbuf=4 * MiB, nodelay=True, sackfreq=1)
BUNDLED = dataclasses.replace(TUNED, bundle=True)
WIDE_RCV = dataclasses.replace(TUNED, rcvbuf=16 * MiB)
"""The tuned host with 16 MiB receive buffers (the cap the tuned sysctls
allow): a window four times wider, which large messages on loopback need
to keep the receiver from discarding chunks (docs/tuning.md)."""
TUNED_SYSCTLS = {"net.core.rmem_max": 16 * MiB, "net.core.wmem_max": 16 * MiB}


class Out:
    """
    A child's output line stream (a pipe to the driver).
    """

    def __init__(self, fd: int):
        self.fd = fd

    def line(self, text: str) -> None:
        data = (text + "\n").encode()
        while data:
            n = os.write(self.fd, data)
            data = data[n:]

    def ready(self, port: int, **peer) -> None:
        """
        A server is listening on C{port}; C{peer} items (C{name=value},
        integers) go to the client side as keyword arguments.
        """
        self.line(" ".join([f"READY {port}"] + [f"{k}={v}" for k, v in peer.items()]))

    def result(self, **fields) -> None:
        self.line(json.dumps(fields))


def runSide(module, function, writer, settings, kwargs):
    """
    Run one side function (see contenders/__init__.py) in this process, a
    child of the benchmark's fork server, its output lines to C{writer} (a
    pipe end), then exit.
    """
    import gc
    import importlib
    import sys
    import traceback

    # Keep the garbage collector off the objects inherited from the fork
    # server, whose pages it would otherwise copy on write at its first
    # collections.
    gc.freeze()
    code = 0
    try:
        mod = importlib.import_module(f"contenders.{module}")
        getattr(mod, function)(Out(writer.fileno()), settings, **kwargs)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def percentile(sorted_values, q: float) -> float:
    if not sorted_values:
        return 0.0
    i = min(len(sorted_values) - 1, int(len(sorted_values) * q))
    return sorted_values[i]


def latency_result(out: Out, lat_ns: list, t0: float, warmup: int = 0) -> None:
    """
    The ping-pong client's figures.

    @param warmup: round trips made before the clock started (the server
        counts them too).  The Python clients make one, for the reason
        given in L{cycle_result}: a forked client's first round trip paid
        ~60 ms of copy-on-write faults for the socket layer (2.5 ms in a
        fresh process).
    """
    elapsed = time.perf_counter() - t0
    lat_ns.sort()
    out.result(
        rtts=len(lat_ns), warmup=warmup, elapsed=elapsed,
        p50_us=percentile(lat_ns, 0.5) / 1e3, p99_us=percentile(lat_ns, 0.99) / 1e3,
    )


def cycle_result(out: Out, n: int, elapsed: float, cycles: list, warmup: int = 0) -> None:
    """
    The setup+teardown client's figures: the window's count and the
    distribution of one cycle (a rare INIT/COOKIE retransmission costs a
    whole rto_initial, 3 s, and swamps a short window).

    @param warmup: associations set up and torn down before the clock
        started (the server counts them too).  The Python clients run one:
        a forked client pays, in its first cycle, the copy-on-write faults
        of every inherited page it touches and the imports the first
        connection makes, which are not the contender's per-cycle cost.
    """
    cycles.sort()
    out.result(cycles=n, warmup=warmup, elapsed=elapsed, p50_us=percentile(cycles, 0.5) * 1e6,
               p99_us=percentile(cycles, 0.99) * 1e6, max_ms=(cycles[-1] * 1e3 if cycles else 0.0))


class CycleClock:
    """
    The setup client's bookkeeping for the reactor contenders, whose
    cycles run from callbacks, each starting when the one before ends: one
    warm-up cycle (see L{cycle_result}), then cycles until C{duration} has
    passed, or C{count} cycles if given.  Call L{lap} when a cycle ends (and
    the next starts).
    """

    def __init__(self, duration: float, count: int = 0):
        self.duration = duration
        self.count = count
        self.warm = True
        self.n = 0
        self.cycles: list = []
        self.t0 = self.deadline = self.start = self.elapsed = 0.0

    def lap(self) -> bool:
        """
        A cycle ended and the next starts now: C{True} to run another
        measured one, C{False} when the window is over (the client then
        runs its final one).
        """
        now = time.perf_counter()
        last, self.start = self.start, now
        if self.warm:
            self.warm = False
            self.t0 = now
            self.deadline = now + self.duration
            return True
        self.n += 1
        self.cycles.append(now - last)
        if (self.n < self.count) if self.count else (now < self.deadline):
            return True
        self.elapsed = now - self.t0
        return False

    def result(self, out: Out) -> None:
        cycle_result(out, self.n, self.elapsed, self.cycles, warmup=1)


class SetupLoop:
    """
    The reactor set-up clients' loop (txsctp's transport, Twisted TCP), as
    the C client runs its cycles: connect; once up, close and connect the
    next at once (a blocking client's close() also returns before the
    teardown, which the kernel finishes by itself).  After the window, a
    final connection for the server's STOP; the reactor stops once every
    connection has ended.

    @ivar final: whether the connection being made now is the final one
        (read it in C{connectionMade}).
    """

    def __init__(self, out: Out, reactor, duration: float, connect: Callable[[], None], count: int = 0):
        """
        @param count: cycles to run (0: for C{duration} seconds).
        @param connect: starts one connection (its protocol then calls
            L{up} or, for the final one, sends C{STOP}; its
            C{connectionLost} calls L{ended}; its factory's
            C{clientConnectionFailed} is L{failed}).
        """
        self.out = out
        self.reactor = reactor
        self.clock = CycleClock(duration, count)
        self._connect = connect
        self.final = False
        self.open = 0
        self.finalEnded = False

    def run(self) -> None:
        self.reactor.callWhenRunning(self._next, False)
        self.reactor.run()
        self.clock.result(self.out)

    def _next(self, final: bool) -> None:
        self.open += 1
        self.final = final
        self._connect()

    def up(self) -> None:
        """
        A connection is up and closing: the next one starts.
        """
        self._next(not self.clock.lap())

    def ended(self, final: bool) -> None:
        self.open -= 1
        self.finalEnded = self.finalEnded or final
        if self.finalEnded and not self.open:
            self.reactor.stop()

    def failed(self, connector, reason) -> None:
        """
        A connect failed: reported; it ends its cycle and the loop goes on
        (the final one's failure ends the loop).
        """
        self.out.line(f"connect failed: {reason.value}")
        if self.final:
            self.ended(True)
        else:
            self.open -= 1
            self.up()


def blockingSetupLoop(out: Out, duration: float, count: int, cycle: Callable[[], None],
                      final: Callable[[], None]) -> None:
    """
    The blocking set-up clients' loop: one unmeasured C{cycle} (see
    L{cycle_result}), then cycles for C{duration} seconds (or C{count}
    cycles), each timed; then C{final} (the connection that says C{STOP})
    and the report.
    """
    cycle()
    cycles = []
    clock = time.perf_counter
    t0 = clock()
    deadline = t0 + duration
    while (len(cycles) < count) if count else (clock() < deadline):
        a = clock()
        cycle()
        cycles.append(clock() - a)
    elapsed = clock() - t0
    final()
    cycle_result(out, len(cycles), elapsed, cycles, warmup=1)


def parse_end(data: bytes) -> Optional[int]:
    if data.startswith(b"END "):
        try:
            return int(data[4:])
        except ValueError:
            return None
    return None


class _Probe:
    """
    Brackets the measured loop for callgrind (benchmarks/callgrind.py):
    with BENCH_CALLGRIND set, start() zeroes the counters and starts
    instrumentation, stop() stops it and dumps the counters (client requests
    from benchmarks/c/cgctl.c, loaded with ctypes).  Otherwise both are
    no-ops costing one attribute test.
    """

    def __init__(self):
        self._lib = None
        self.active = False
        path = os.environ.get("BENCH_CALLGRIND")
        if path:
            import ctypes

            self._lib = ctypes.CDLL(path)

    def start(self):
        if self._lib is not None and not self.active:
            self.active = True
            self._lib.cg_start()

    def stop(self):
        if self._lib is not None and self.active:
            self.active = False
            self._lib.cg_stop()


probe = _Probe()
