"""
Reference points, not contenders (benchmarks/split.py runs them).

* The stdlib loop's ping-pong and set-up clients, changed only in how they
  wait, the way any reactor waits: the ping-pong client waits in
  C{epoll} before each receive; the set-up client connects without
  blocking and waits in C{epoll} for the association to come up; either
  optionally with the clock reads Twisted's reactor makes per iteration,
  and with those a timer pending (for the set-up client, the connect
  timer Twisted's connectors set, armed per connection).  No other
  Python work is added, so what they lose against the blocking loop is
  the floor under any reactor transport in this kernel, txsctp's included.
  They speak the stdlib loop's protocol and run against its servers.
* The stdlib loop's ping-pong server changed the same way
  (C{pp_server}), so that a pair of reactor-shaped ends -- what a
  reactor transport on both sides is -- has its floor measured too.
* The association set-up loop over TCP as a plain stdlib loop
  (C{tcp_setup_server}, C{tcp_setup_client}), the baseline for the Twisted
  TCP contender's own set-up loop (twisted_tcp.setup_server/setup_client,
  which speak the same: connect and close, then one connection that sends
  C{STOP} in an Int32StringReceiver frame and waits for C{OK}).
"""

import errno
import select
import socket
import struct
import time

from common import HOST, cycle_result, latency_result

from . import stdlib

NAME = "reference loops"
STOP = b"STOP"
WAITS = ("epoll", "reactor", "reactor+timer")


def available():
    return True, ""


def _reactorWait(sock, wait):
    """
    Put C{sock} in non-blocking mode and return C{(wait, close)}: C{wait()}
    waits for it to be readable as a reactor iteration would (see
    L{pp_client}'s C{wait}), C{close()} releases the C{epoll} object.
    """
    if wait not in WAITS:
        raise ValueError(f"wait {wait!r} is not one of {WAITS}")
    sock.setblocking(False)
    ep = select.epoll()
    ep.register(sock.fileno(), select.EPOLLIN)
    poll, now = ep.poll, time.time
    if wait == "reactor+timer":
        def waitReadable():
            now()
            poll(30.0)
            now()
    elif wait == "reactor":
        def waitReadable():
            poll(-1)
            now()
    else:
        def waitReadable():
            poll(-1)
    return waitReadable, ep.close


def pp_client(out, settings, port, size, duration, count, wait="epoll"):
    """
    The stdlib loop's ping-pong client on a non-blocking socket that waits
    in C{epoll} before each receive.

    @param wait: C{"epoll"}: only the wait; C{"reactor"}: and one
        C{time.time()} after it, as Twisted's C{runUntilCurrent} reads the
        clock every iteration; C{"reactor+timer"}: as a reactor with a timer
        pending -- a clock read to compute the timeout, a finite
        C{epoll.poll} timeout (CPython reads the clock for its deadline), the
        C{runUntilCurrent} read.
    """
    sock = stdlib._connect(settings, port)
    data = bytes(size)
    lat = []
    clock = time.perf_counter_ns
    send, recv = stdlib.send, stdlib.recv
    send(sock, data)  # warm-up, before the clock starts (see latency_result)
    recv(sock)
    waitReadable, closeWait = _reactorWait(sock, wait)
    t0 = time.perf_counter()
    deadline = clock() + int(duration * 1e9)
    while (len(lat) < count) if count else (clock() < deadline):
        a = clock()
        send(sock, data)
        waitReadable()
        reply, flags, info = recv(sock)
        if len(reply) != size:
            raise RuntimeError(f"ping-pong: got {len(reply)} bytes")
        lat.append(clock() - a)
    latency_result(out, lat, t0, warmup=1)
    closeWait()
    sock.close()


def pp_server(out, settings, wait="reactor"):
    """
    The stdlib loop's ping-pong echo server on a non-blocking socket that
    waits in C{epoll} before each receive (C{wait} as for L{pp_client}).
    The reply is one small message into an open window, so its send does
    not wait (nor does the stdlib server's).
    """
    lsock = stdlib._listener(out, settings)
    sock = stdlib._accept(lsock, settings)
    waitReadable, closeWait = _reactorWait(sock, wait)

    def receive(sock):
        while True:
            waitReadable()
            try:
                return stdlib.recv(sock)
            except BlockingIOError:
                continue

    out.result(echoed=stdlib.echo_loop(sock, receive))
    closeWait()
    sock.close()
    lsock.close()


def _connect_nonblocking(settings, port, ep, wait="epoll"):
    """
    socket, options, non-blocking connect, wait in C{ep} until writable,
    C{SO_ERROR}: how a reactor sets up an association.

    @param wait: C{"epoll"}: only the wait; C{"reactor"}: and the clock
        read after it (Twisted's C{runUntilCurrent}); C{"reactor+timer"}:
        with a connect timer as Twisted's connectors arm one -- a clock
        read to set it (C{callLater}), one to compute the reactor's
        timeout, a finite C{epoll.poll} timeout (CPython reads the clock
        for its deadline), the C{runUntilCurrent} read.  (One of L{WAITS}:
        L{setup_client} checks it once, not every cycle.)
    """
    now = time.time
    sock = stdlib._socket(settings)
    sock.setblocking(False)
    err = sock.connect_ex((HOST, port))
    if err not in (0, errno.EINPROGRESS):
        sock.close()
        raise OSError(err, f"connect: {errno.errorcode.get(err, err)}")
    if wait == "reactor+timer":
        now()
    ep.register(sock.fileno(), select.EPOLLOUT)
    if wait == "reactor+timer":
        now()
        ep.poll(30.0)
        now()
    else:
        ep.poll(-1)
        if wait == "reactor":
            now()
    ep.unregister(sock.fileno())
    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        sock.close()
        raise OSError(err, f"connect: {errno.errorcode.get(err, err)}")
    return sock


def _setupLoop(out, duration, cycle, final):
    """
    One unmeasured C{cycle} (see cycle_result), then cycles for C{duration}
    seconds, each timed; then C{final} (the C{STOP} connection) and the
    report.
    """
    cycle()
    cycles = []
    t0 = time.perf_counter()
    deadline = t0 + duration
    while time.perf_counter() < deadline:
        a = time.perf_counter()
        cycle()
        cycles.append(time.perf_counter() - a)
    elapsed = time.perf_counter() - t0
    final()
    cycle_result(out, len(cycles), elapsed, cycles, warmup=1)


def setup_client(out, settings, port, duration, wait="epoll"):
    """
    The stdlib loop's set-up client, connecting as a reactor does
    (L{_connect_nonblocking}, C{wait} as there), closing at once as the
    loop does.
    """
    if wait not in WAITS:
        raise ValueError(f"wait {wait!r} is not one of {WAITS}")
    ep = select.epoll()

    def final():
        ep.close()
        sock = stdlib._connect(settings, port)
        stdlib.send(sock, STOP)
        stdlib.recv(sock)
        sock.close()

    _setupLoop(out, duration, lambda: _connect_nonblocking(settings, port, ep, wait).close(), final)


# ---------------------------------------------------- TCP set-up, stdlib --

_FRAME = struct.Struct("!I")


def tcp_setup_server(out, settings):
    """
    Accept, read to end of file, close -- until a connection says C{STOP}.
    """
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    settings.apply_tcp(lsock)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((HOST, 0))
    lsock.listen(4096)
    out.ready(lsock.getsockname()[1])
    n = 0
    while True:
        sock, _ = lsock.accept()
        settings.apply_tcp(sock)
        data = sock.recv(64)
        if data[_FRAME.size:] == STOP:
            sock.sendall(_FRAME.pack(2) + b"OK")
            while sock.recv(64):
                pass
            sock.close()
            break
        while data:
            data = sock.recv(64)
        sock.close()
        n += 1
    lsock.close()
    out.result(accepted=n)


def tcp_setup_client(out, settings, port, duration):
    """
    socket, options, connect, close for C{duration} seconds (one warm-up
    cycle first), then the C{STOP} connection.
    """

    def connect():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        settings.apply_tcp(sock)
        sock.connect((HOST, port))
        return sock

    def final():
        sock = connect()
        sock.sendall(_FRAME.pack(len(STOP)) + STOP)
        sock.recv(64)
        sock.close()

    _setupLoop(out, duration, lambda: connect().close(), final)
