"""
The reactor floor: what any reactor transport loses in this kernel before
running a line of its own code, measured as a contender (C{floor}) in the
same run as the others.

A reactor cannot block in C{recvmsg} or C{sendmsg}: it waits in C{epoll}
for the socket, then reads or writes, and Twisted's reactor reads the
clock once per iteration (twice more while a timer is pending; each read
is a system call in the test kernel, which has no vDSO).  The floor's
sides are the stdlib loop's and the C program's, changed only in how they
wait:

* one-way: the C sender made non-blocking (C{sendmmsg} until C{EAGAIN},
  then C{epoll_wait} for C{EPOLLOUT}) into the C receiver;
* ping-pong: the stdlib loop's echo server and client, both waiting in
  C{epoll} before each receive with a clock read per wake-up (a reactor
  at both ends, as in a transport pair);
* set-up: the stdlib loop's client connecting without blocking, waiting
  in C{epoll} with the clock reads of a Twisted client and its connect
  timer, against the stdlib loop's server.

L{reactor_iterations} is the other reference, for the instruction counts:
one iteration of Twisted's reactor by itself.
"""

import errno
import os
import select
import socket
import time

from common import HOST, blockingSetupLoop, latency_result, probe

from . import Contender, PythonSide, cProgram, stdlib
from .c import available as _cAvailable

STOP = b"STOP"
WAITS = ("epoll", "reactor", "reactor+timer")


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


def setup_client(out, settings, port, duration, count=0, wait="epoll"):
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

    blockingSetupLoop(out, duration, count, lambda: _connect_nonblocking(settings, port, ep, wait).close(), final)


# ------------------------------------------------ one reactor iteration --


def reactor_iterations(out, settings, count):
    """
    C{count} iterations of Twisted's epoll reactor with nothing to do but
    wake for one readable descriptor and call its C{doRead}, which does
    nothing: what one reactor iteration costs by itself, bracketed by the
    callgrind probe.  (A pipe with one unread byte is readable at every
    C{epoll_wait}.)
    """
    from twisted.internet import epollreactor

    epollreactor.install()
    from zope.interface import implementer

    from twisted.internet import reactor
    from twisted.internet.interfaces import IReadDescriptor

    r, w = os.pipe()
    os.write(w, b"x")

    @implementer(IReadDescriptor)
    class Readable:
        n = 0

        def fileno(self):
            return r

        def logPrefix(self):
            return "readable"

        def doRead(self):
            self.n += 1
            if self.n == 1:
                probe.start()  # from the second wake-up on
            elif self.n == count + 1:
                probe.stop()
                reactor.removeReader(self)
                reactor.stop()

        def connectionLost(self, reason):
            pass

    readable = Readable()
    reactor.addReader(readable)
    reactor.run()
    out.result(iterations=readable.n - 1)



CONTENDERS = [
    Contender(
        key="floor", label="reactor floor", rank=90,
        workloads=frozenset({"oneway100", "oneway16k", "pingpong", "setup"}),
        sides={
            "oneway": (cProgram("oneway100", "server"), cProgram("oneway100", "client", "--nonblock", "1")),
            "pingpong": (PythonSide("reference", "pp_server", {"wait": "reactor"}),
                         PythonSide("reference", "pp_client", {"wait": "reactor"})),
            "setup": (PythonSide("stdlib", "setup_server"),
                      PythonSide("reference", "setup_client", {"wait": "reactor+timer"})),
        },
        available=_cAvailable,
        note="no Python work: the stdlib loop's and the C program's sides waiting as a reactor waits",
    ),
]
