"""
Throughput of the userspace stack's socket layer alone (no Twisted), next to
usrsctp's own C tool C{tsctp}, in one run, natively: 100-byte messages one
way through real UDP sockets on 127.0.0.1, sender and receiver in two
processes (as tsctp runs), Nagle off.

Usage: .venv/bin/python benchmarks/usrsctp_probe.py [--count N] [--size B]
                                                    [--repeat R] [--no-tsctp]
                                                    [--pingpong]

Prints messages per second for each run and each contender, and the
median.  The receiver's clock runs from its first message to its last.

Debian's tsctp (libusrsctp-examples) runs with all of usrsctp's debug
output on (its library is built with SCTP_DEBUG, and tsctp switches every
category on): several flushed lines per packet, which bound it.  A tsctp
without that, for a C reference of the library's own speed, builds from
usrsctp's sources against the installed library in one command::

    gcc -O2 -DINET -DINET6 -o tsctp-nodebug programs/tsctp.c \
        programs/programs_helper.c -lusrsctp -lpthread

and runs here with C{--tsctp-nodebug PATH}.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

TSCTP = "/usr/lib/usrsctp/tsctp"
SCTP_PORT = 5001


class Loop:
    """
    The smallest loop that drives the stack: UDP in, readiness, UDP out,
    timers from the monotonic clock.
    """

    def __init__(self, udp: socket.socket) -> None:
        from txsctp._usrsctp import UsrsctpStack

        self.stack = UsrsctpStack.get()
        self.udp = udp
        self.fd = udp.fileno()
        self.last = time.monotonic()
        self.carry = 0.0

    def turn(self, wait: float) -> list:
        stack = self.stack
        ready = []
        if wait:
            select.select([self.udp], [], [], wait)
        while True:
            n, unknown = stack.receiveDatagrams(self.fd)
            for (host, port), data in unknown:
                stack.input(stack.addPeer(self.fd, host, port), data)
            if not n:
                break
            ready += stack.collect()
        now = time.monotonic()
        self.carry += (now - self.last) * 1000
        self.last = now
        if self.carry >= 5:
            ms = int(self.carry)
            self.carry -= ms
            if stack.handleTimers(ms):
                ready += stack.collect(all=True)
        ready += stack.collect()
        stack.flush()
        return ready


def receiver(udpPort: int, count: int) -> None:
    from txsctp._batch import R_LEN, R_MSG_FLAGS
    from txsctp._usrsctp import ONE_TO_ONE

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    udp.bind(("127.0.0.1", udpPort))
    udp.setblocking(False)
    loop = Loop(udp)
    listener = loop.stack.socket(ONE_TO_ONE)
    listener.setReceiveBufferSize(1 << 20)
    listener.bind(SCTP_PORT)
    listener.listen()
    print("ready", flush=True)
    conn = None
    got = 0
    first = last = 0.0
    while got < count:
        for sock, _events in loop.turn(0.01):
            if sock is listener:
                conn, _, _ = listener.accept()
                continue
        if conn is None:
            continue
        while True:
            try:
                datas, records = conn.receiveRecords()
            except BlockingIOError:
                break
            if not records:
                break
            for r in records:
                if not r[R_MSG_FLAGS] & 0x8000 and r[R_LEN]:
                    got += 1
            if not first:
                first = time.perf_counter()
        loop.stack.flush()
    last = time.perf_counter()
    print(f"received {got} {last - first:.6f}", flush=True)
    conn.setLinger(True, 0)
    conn.close()
    listener.close()
    loop.turn(0)


def sender(udpPort: int, count: int, size: int) -> None:
    from txsctp._batch import packMeta
    from txsctp._usrsctp import ONE_TO_ONE
    from txsctp.notifications import NotificationType

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    udp.bind(("127.0.0.1", 0))
    udp.setblocking(False)
    loop = Loop(udp)
    stack = loop.stack
    client = stack.socket(ONE_TO_ONE)
    client.setNodelay(True)
    client.setSendBufferSize(1 << 20)
    client.subscribe([NotificationType.ASSOC_CHANGE])
    client.connect(stack.addPeer(udp.fileno(), "127.0.0.1", udpPort), SCTP_PORT)
    while not any(events & 2 for sock, events in loop.turn(0.01) if sock is client):
        pass
    payload = b"x" * size
    batch = 64
    metas = [packMeta(0, 0, 0, 0, 0)] * batch
    datas = [payload] * batch
    sent = 0
    while sent < count:
        n = min(batch, count - sent)
        try:
            sent += client.sendPacked(datas[:n], metas[:n])
        except BlockingIOError:
            loop.turn(0.001)
            continue
        stack.flush()
        loop.turn(0)
    # Wait until everything is acknowledged (or the receiver, done, has
    # aborted), then go.
    while True:
        try:
            status = client.getStatus()
        except OSError:
            break
        if not (status.unackData or status.pendData):
            break
        loop.turn(0.005)


def echoer(udpPort: int) -> None:
    """
    Ping-pong server: every message back at once, until the peer closes.
    """
    from txsctp._batch import R_INFO, R_LEN, R_MSG_FLAGS
    from txsctp._usrsctp import ONE_TO_ONE

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", udpPort))
    udp.setblocking(False)
    loop = Loop(udp)
    listener = loop.stack.socket(ONE_TO_ONE)
    listener.bind(SCTP_PORT)
    listener.listen()
    print("ready", flush=True)
    conn = None
    while True:
        for sock, _events in loop.turn(0.01):
            if sock is listener:
                conn, _, _ = listener.accept()
                conn.setNodelay(True)
        if conn is None:
            continue
        while True:
            try:
                datas, records = conn.receiveRecords()
            except BlockingIOError:
                break
            except OSError:
                return
            if not records:
                return
            for data, r in zip(datas, records):
                if not r[R_MSG_FLAGS] & 0x8000 and r[R_LEN]:
                    conn.sendMessage(data, r[R_INFO][0], r[R_INFO][3])
        loop.stack.flush()


def pinger(udpPort: int, count: int, size: int) -> None:
    from txsctp._usrsctp import ONE_TO_ONE

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.setblocking(False)
    loop = Loop(udp)
    stack = loop.stack
    client = stack.socket(ONE_TO_ONE)
    client.setNodelay(True)
    client.connect(stack.addPeer(udp.fileno(), "127.0.0.1", udpPort), SCTP_PORT)
    while not any(events & 2 for sock, events in loop.turn(0.01) if sock is client):
        pass
    payload = b"p" * size
    start = time.perf_counter()
    for _ in range(count):
        client.sendMessage(payload)
        stack.flush()
        got = False
        while not got:
            loop.turn(0.001)
            try:
                datas, records = client.receiveRecords()
            except BlockingIOError:
                continue
            got = bool(records)
    elapsed = time.perf_counter() - start
    print(f"roundtrips {count} {elapsed:.6f}", flush=True)
    client.setLinger(True, 0)
    client.close()
    loop.turn(0)


def runPingPong(count: int, size: int) -> float:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    udp.close()
    server = subprocess.Popen([sys.executable, __file__, "--role", "echoer", "--udp", str(port)],
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline().strip() == "ready"
    out = subprocess.run([sys.executable, __file__, "--role", "pinger", "--udp", str(port), "--count",
                          str(count), "--size", str(size)], stdout=subprocess.PIPE, text=True, timeout=300).stdout
    server.wait(60)
    n, seconds = out.split()[1:]
    return int(n) / float(seconds)


def runUsrsctp(count: int, size: int) -> float:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    udp.close()
    rx = subprocess.Popen([sys.executable, __file__, "--role", "receiver", "--udp", str(port),
                           "--count", str(count)], stdout=subprocess.PIPE, text=True)
    assert rx.stdout.readline().strip() == "ready"
    tx = subprocess.Popen([sys.executable, __file__, "--role", "sender", "--udp", str(port),
                           "--count", str(count), "--size", str(size)])
    out = rx.stdout.readline()
    rx.wait(60)
    tx.wait(60)
    got, seconds = out.split()[1:]
    assert int(got) == count, out
    return count / float(seconds)


def udpPortBound(port: int) -> bool:
    """
    Whether some socket has UDP C{port} bound (read from /proc: binding
    the port to find out would steal it from the program starting up).
    """
    for name in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    if int(line.split()[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            pass
    return False


def waitForUdpPort(port: int, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while not udpPortBound(port):
        if time.monotonic() > end:
            raise RuntimeError(f"nothing bound UDP port {port}")
        time.sleep(0.01)


def runTsctp(count: int, size: int, tsctp: str = TSCTP) -> float:
    ports = []
    for _ in range(2):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        ports.append(s)
    a, b = (s.getsockname()[1] for s in ports)
    for s in ports:
        s.close()
    # Debian's usrsctp is built with SCTP_DEBUG and tsctp turns all of it
    # on: several lines per packet on stdout, each flushed (a write(2)
    # each).  Into a file it goes, out of the way of the pipe.
    log = tempfile.TemporaryFile("w+")
    server = subprocess.Popen([tsctp, "-E", str(a), "-U", str(b), "-L", "127.0.0.1", "-n", str(count)],
                              stdout=log, stderr=subprocess.DEVNULL, text=True)
    # Its UDP port is bound before its SCTP port listens (an INIT in
    # between is aborted and tsctp's client does not retry): wait for the
    # first, then a little.
    waitForUdpPort(a)
    time.sleep(0.5)
    subprocess.run([tsctp, "-E", str(b), "-U", str(a), "-l", str(size), "-n", str(count), "-D", "127.0.0.1"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    # The server prints its summary (length, messages, ..., bytes, seconds,
    # bytes/s) and waits for the next client: read it, then stop it.
    summary = re.compile(r"\s*(\d+), (\d+), (\d+), (\d+), ([\d.]+), ([\d.]+)")
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            log.seek(0)
            for line in log:
                m = summary.match(line)
                if m:
                    return int(m.group(2)) / float(m.group(5))
            time.sleep(0.1)
        raise RuntimeError("no summary from tsctp's server")
    finally:
        server.kill()
        server.wait()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["receiver", "sender", "echoer", "pinger"])
    parser.add_argument("--udp", type=int)
    parser.add_argument("--count", type=int, default=200000)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-tsctp", action="store_true")
    parser.add_argument("--pingpong", action="store_true",
                        help="round trips of one message instead (the socket layer only: tsctp has no such mode)")
    parser.add_argument("--tsctp-nodebug", metavar="PATH",
                        help="also run a tsctp built without SCTP_DEBUG (see the module docstring)")
    args = parser.parse_args()
    if args.role == "receiver":
        return receiver(args.udp, args.count)
    if args.role == "sender":
        return sender(args.udp, args.count, args.size)
    if args.role == "echoer":
        return echoer(args.udp)
    if args.role == "pinger":
        return pinger(args.udp, args.count, args.size)
    if args.pingpong:
        rates = [runPingPong(args.count, args.size) for _ in range(args.repeat)]
        print(f"{args.count} round trips of {args.size} B, 127.0.0.1, one process per side")
        print(f"  {'txsctp socket layer (usrsctp)':32s} median {statistics.median(rates):>9,.0f} round trips/s   "
              "runs: " + ", ".join(f"{v:,.0f}" for v in rates))
        return None
    results = {"txsctp socket layer (usrsctp)": [], "tsctp as packaged": [], "tsctp without debug log": []}
    for _ in range(args.repeat):
        results["txsctp socket layer (usrsctp)"].append(runUsrsctp(args.count, args.size))
        if not args.no_tsctp and os.path.exists(TSCTP):
            results["tsctp as packaged"].append(runTsctp(args.count, args.size))
        if args.tsctp_nodebug:
            results["tsctp without debug log"].append(runTsctp(args.count, args.size, args.tsctp_nodebug))
    print(f"{args.count} messages of {args.size} B, one way, 127.0.0.1, one process per side")
    for name, values in results.items():
        if values:
            print(f"  {name:32s} median {statistics.median(values):>9,.0f} msg/s   runs: "
                  + ", ".join(f"{v:,.0f}" for v in values))


if __name__ == "__main__":
    main()
