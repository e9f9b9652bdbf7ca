"""
Contender: usrsctp's own throughput tool, C{tsctp} (Debian's
libusrsctp-examples, C{/usr/lib/usrsctp/tsctp}): the FreeBSD SCTP stack as
a library, in C, over UDP (RFC 6951), with no kernel SCTP.  It belongs to
the native section, as the limit for a userspace stack on this host.

Each side runs the program and translates: the receiver starts a tsctp
server on a free UDP port, announces it (SCTP port 5001, tsctp's, and
C{remoteUdpPort}), and reports the figures tsctp prints when the
association ends; the sender runs a tsctp client for C{count} messages or,
for a duration, for whole seconds (C{-T}, at least 1).  The receiver's
count must equal what the sender says it sent.

Debian builds usrsctp with its debug output compiled in, and tsctp turns
all of it on: every chunk is printed to stdout, which bounds it at about a
quarter of its speed (about 40,000 100-byte messages a second on this
project's machines, against about 170,000 without).  The sides therefore
run it with C{benchmarks/c/usrsctp_quiet.c} preloaded, which makes tsctp's
request for debug output a no-op, so that the figure is usrsctp's and not
printf's; benchmarks/run builds it.
"""

import os
import re
import subprocess
import time

from common import HOST

from . import BUILD, Contender

TSCTP = os.environ.get("BENCH_TSCTP", "/usr/lib/usrsctp/tsctp")
QUIET = os.path.join(BUILD, "usrsctp_quiet.so")
SCTP_PORT = 5001  # tsctp's default SCTP port
# "first_length, messages, recv_calls, bytes, seconds, bytes/s, notifications"
_RESULT = re.compile(r"^(\d+), (\d+), (\d+), (\d+), ([\d.]+), ([\d.]+), (\d+)$")
_SENT = re.compile(r"^Sending of (\d+) messages of length (\d+) took ([\d.]+) seconds\.$")


def available():
    if not os.access(TSCTP, os.X_OK):
        return False, f"{TSCTP} not found (Debian package libusrsctp-examples; benchmarks/run installs it as root)"
    if not os.path.exists(QUIET):
        return False, f"{QUIET} was not built (benchmarks/run builds it with cc)"
    return True, ""


def _env():
    return dict(os.environ, LD_PRELOAD=QUIET)


def _freeUdpPort():
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


def _udpBound(port, deadline):
    """
    Wait until something listens on UDP C{port} (tsctp binds it when it
    starts usrsctp, just before it listens); C{False} at C{deadline}.
    """
    while time.monotonic() < deadline:
        for table in ("/proc/net/udp", "/proc/net/udp6"):
            try:
                with open(table) as f:
                    next(f)  # the header
                    if any(int(line.split()[1].rsplit(":", 1)[1], 16) == port for line in f):
                        return True
            except (OSError, StopIteration, IndexError, ValueError):
                pass
        time.sleep(0.01)
    return False


def oneway_recv(out, settings, size):
    udp = _freeUdpPort()
    argv = [TSCTP, "-E", str(udp), "-L", HOST]
    if settings.rcvbuf:
        argv += ["-R", str(settings.rcvbuf)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_env())
    try:
        if not _udpBound(udp, time.monotonic() + 20):
            raise RuntimeError(f"tsctp did not bind UDP port {udp}")
        out.ready(SCTP_PORT, remoteUdpPort=udp)
        # The server prints one line when the association ends, and serves on.
        for raw in proc.stdout:
            m = _RESULT.match(raw.decode(errors="replace").strip())
            if m:
                break
        else:
            raise RuntimeError(f"tsctp exited ({proc.wait()}) without a result")
        first, msgs, _, nbytes, seconds = (int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)),
                                           float(m.group(5)))
        bad = 0 if first == size and nbytes == msgs * size else 1
        # tsctp sends no count at the end: the driver checks msgs against
        # the sender's count ("expected" is the receiver's own).  Reported
        # before the server is stopped, which may take a while on a loaded
        # host (and under callgrind, which writes its figures first).
        out.result(msgs=msgs, bytes=nbytes, elapsed=seconds, expected=msgs, bad=bad)
    finally:
        _stop(proc)


def _stop(proc):
    """
    End the tsctp server, which serves on: with SIGTERM, so that a tool it
    runs under (callgrind) writes its figures first; killed if that takes
    more than a few seconds.
    """
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def oneway_send(out, settings, port, size, duration, count, remoteUdpPort):
    argv = [TSCTP, "-E", str(_freeUdpPort()), "-U", str(remoteUdpPort), "-p", str(port), "-l", str(size),
            "-L", HOST]
    if settings.nodelay:
        argv.append("-D")
    if settings.sndbuf:
        argv += ["-S", str(settings.sndbuf)]
    argv += ["-n", str(count)] if count else ["-T", str(max(1, round(duration)))]
    proc = subprocess.run(argv + [HOST], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_env(),
                          timeout=max(60, 10 * duration))
    for line in proc.stdout.decode(errors="replace").splitlines():
        m = _SENT.match(line.strip())
        if m:
            out.result(sent=int(m.group(1)), elapsed=float(m.group(3)))
            return
    raise RuntimeError(f"tsctp client (exit {proc.returncode}) printed no result: {proc.stdout[-300:]!r}")


CONTENDERS = [
    Contender(
        key="tsctp", label="tsctp (usrsctp, C)", rank=80, section="native",
        workloads=frozenset({"oneway100"}), available=available,
        # Sending and receiving, counted in the program; its peer is itself.
        # It has no ping-pong mode, and makes one association per process.
        measure=frozenset({"send", "recv"}), peer="tsctp", wraps=TSCTP,
        note="usrsctp's C throughput tool over UDP, debug output silenced",
    ),
]
