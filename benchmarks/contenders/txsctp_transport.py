"""
Contenders: txsctp's Twisted transport -- listenSCTP/connectSCTP,
SCTPProtocol.messageReceived(data, info), transport.writeMessage, flow
control with an IPushProducer registered on the transport.  The server side
is a one-to-one port or a one-to-many port (``style``); the client side is
always connectSCTP (one association per socket).  Every socket gets the
run's settings as a txsctp Tuning (None on host defaults: nothing set).

The same functions serve txsctp's userspace stack (usrsctp over UDP,
``stack="userspace"``): the server listens on a free UDP port
(``udpPort``) and announces it on its READY line, the client connects with
``remoteUdpPort``.  That contender (``txus``) is declared below, in the
native section; it reports itself unavailable, and so has no rows, until
txsctp's ``listenSCTP`` takes a ``stack`` argument.
"""

import time

from common import HOST, SetupLoop, latency_result, parse_end, probe

from . import Contender


def available():
    try:
        import txsctp

        txsctp.listenSCTP  # noqa: B018 -- the transport exists
        txsctp.SCTPProtocol  # noqa: B018
    except Exception as e:
        return False, f"not available ({e.__class__.__name__}: {e})"
    return True, ""


def warm():
    """
    Import everything txsctp's public names lead to, and the reactor
    module (not installed: each child installs its own).
    """
    import twisted.internet.epollreactor
    import twisted.internet.protocol  # noqa: F401

    import txsctp

    for name in txsctp.__all__:
        getattr(txsctp, name)


def _reactor():
    from twisted.internet import epollreactor

    epollreactor.install()
    from twisted.internet import reactor

    return reactor


def _listen(out, factory, settings, style="one-to-one", stack=None):
    """
    listenSCTP with the run's settings; with C{stack="userspace"} on a free
    UDP port, which the READY line passes on to the client as
    C{remoteUdpPort}.
    """
    import txsctp

    kwargs = {}
    if stack is not None:
        kwargs = dict(stack=stack, udpPort=_freeUdpPort())
    port = txsctp.listenSCTP(0, factory, interface=HOST, backlog=4096, style=style,
                             tuning=settings.tuning(), bundle=settings.bundle, **kwargs)
    if stack is not None:
        out.ready(port.getHost().port, remoteUdpPort=kwargs["udpPort"])
    else:
        out.ready(port.getHost().port)
    return port


def _connect(port, factory, settings, tuning=None, style=None, stack=None, remoteUdpPort=None):
    """
    connectSCTP with the run's settings (C{tuning}: their Tuning, made
    once by a caller that connects many times, as a program would).  The
    client side ignores C{style} (its association is always one-to-one).
    """
    import txsctp

    kwargs = {}
    if stack is not None:
        kwargs = dict(stack=stack, remoteUdpPort=remoteUdpPort)
    return txsctp.connectSCTP(HOST, port, factory, tuning=tuning if tuning is not None else settings.tuning(),
                              bundle=settings.bundle, **kwargs)


def _freeUdpPort():
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _factory(protocolClass, client=False):
    from twisted.internet.protocol import ClientFactory, Factory

    f = (ClientFactory if client else Factory).forProtocol(protocolClass)
    return f


def oneway_recv(out, settings, size, **how):
    from txsctp import SCTPProtocol

    reactor = _reactor()
    state = dict(msgs=0, bytes=0, bad=0, expected=-1, t0=0.0, t1=0.0)

    class Receiver(SCTPProtocol):
        def messageReceived(self, data, info):
            if len(data) == size:
                if not state["msgs"]:
                    state["t0"] = time.perf_counter()
                    probe.start()
                state["msgs"] += 1
                state["bytes"] += size
                return
            end = parse_end(data)
            if end is None:
                state["bad"] += 1
                return
            probe.stop()
            state["expected"] = end
            state["t1"] = time.perf_counter()
            self.transport.writeMessage(b"OK")

        def connectionLost(self, reason):
            if reactor.running:
                reactor.stop()

    _listen(out, _factory(Receiver), settings, **how)
    reactor.run()
    out.result(msgs=state["msgs"], bytes=state["bytes"], elapsed=max(state["t1"] - state["t0"], 0.0),
               expected=state["expected"], bad=state["bad"])


def oneway_send(out, settings, port, size, duration, count, batch=False, **how):
    """
    The one-way sender: C{writeMessage} per message, or with C{batch} a
    C{writeMessages} per 64 (the callgrind table's extra row only).
    """
    from itertools import repeat

    from txsctp import SCTPProtocol

    reactor = _reactor()
    data = bytes(size)
    state = dict(sent=0, t0=0.0)

    class Sender(SCTPProtocol):
        sendPaused = False
        finished = False

        def connectionMade(self):
            self.transport.registerProducer(_Producer(self), True)
            state["t0"] = time.perf_counter()
            self.deadline = state["t0"] + duration
            probe.start()
            self.produce()

        def produce(self):
            write = self.transport.writeMessage
            writeMany = self.transport.writeMessages
            while not self.sendPaused and not self.finished:
                n = 64 if not count else min(64, count - state["sent"])
                if batch:
                    writeMany(repeat(data, n))
                else:
                    for _ in range(n):
                        write(data)
                state["sent"] += n
                if (state["sent"] >= count) if count else (time.perf_counter() >= self.deadline):
                    self.finished = True
                    write(b"END %d" % state["sent"], ppid=1)
                    self.transport.unregisterProducer()


        def messageReceived(self, reply, info):
            # The receiver's OK: everything queued was flushed and delivered
            # (the callgrind probe counts the flushing too).
            probe.stop()
            self.transport.loseConnection()

        def connectionLost(self, reason):
            if reactor.running:
                reactor.stop()

    f = _factory(Sender, client=True)
    f.clientConnectionFailed = lambda c, r: (out.line(f"connect failed: {r.value}"), reactor.stop())
    _connect(port, f, settings, **how)
    reactor.run()
    out.result(sent=state["sent"], elapsed=time.perf_counter() - state["t0"])


def pp_server(out, settings, **how):
    from txsctp import SCTPProtocol

    reactor = _reactor()
    state = dict(n=0)

    class Echo(SCTPProtocol):
        def messageReceived(self, data, info):
            state["n"] += 1
            self.transport.writeMessage(data, info.stream, info.ppid)

        def connectionLost(self, reason):
            if reactor.running:
                reactor.stop()

    _listen(out, _factory(Echo), settings, **how)
    reactor.run()
    out.result(echoed=state["n"])


def pp_client(out, settings, port, size, duration, count, **how):
    """
    The ping-pong client (connectSCTP's default 30 s connect timeout, which
    the connector retires once the association is up).
    """
    from txsctp import SCTPProtocol

    reactor = _reactor()
    data = bytes(size)
    lat = []
    clock = time.perf_counter_ns
    state = dict(t0=0.0)

    class Client(SCTPProtocol):
        warm = True  # the first round trip is a warm-up (see latency_result)

        def connectionMade(self):
            self.transport.writeMessage(data)

        def messageReceived(self, reply, info):
            z = clock()
            if self.warm:
                self.warm = False
                state["t0"] = time.perf_counter()
                self.deadline = clock() + int(duration * 1e9)
                self.a = clock()
                self.transport.writeMessage(data)
                return
            lat.append(z - self.a)
            if (len(lat) >= count) if count else (z >= self.deadline):
                self.transport.loseConnection()
                return
            self.a = clock()
            self.transport.writeMessage(data)

        def connectionLost(self, reason):
            if reactor.running:
                reactor.stop()

    _connect(port, _factory(Client, client=True), settings, **how)
    reactor.run()
    latency_result(out, lat, state["t0"], warmup=1)


def setup_server(out, settings, **how):
    from txsctp import SCTPProtocol

    reactor = _reactor()
    state = dict(n=0)

    class Server(SCTPProtocol):
        stop = False

        def connectionMade(self):
            state["n"] += 1

        def messageReceived(self, data, info):
            if data == b"STOP":
                self.stop = True
                self.transport.writeMessage(b"OK")

        def connectionLost(self, reason):
            if self.stop:
                reactor.stop()

    _listen(out, _factory(Server), settings, **how)
    reactor.run()
    # Every association the client opened, less its final STOP one.  The
    # client only opens the next one after connectionLost of the previous.
    out.result(accepted=state["n"] - 1)


def setup_client(out, settings, port, duration, count=0, **how):
    """
    Set-up+teardown cycles in L{common.SetupLoop}: connectSCTP, and once
    the association is up loseConnection (which returns at once) and the
    next connectSCTP; each association's connectionLost (its SHUTDOWN_COMP
    read) comes in a later reactor wake-up, while the next one is being
    set up.  One factory for every association, as a client making many
    keeps; connectSCTP's default 30 s connect timeout.
    """
    import txsctp
    from txsctp import SCTPProtocol

    txsctp.connectSCTP  # noqa: B018 -- imported before the clock starts, not in the first cycle

    class Client(SCTPProtocol):
        final = False

        def connectionMade(self):
            self.final = loop.final
            if self.final:
                self.transport.writeMessage(b"STOP")
                return
            self.transport.loseConnection()
            loop.up()

        def messageReceived(self, data, info):
            self.transport.loseConnection()

        def connectionLost(self, reason):
            loop.ended(self.final)

    factory = _factory(Client, client=True)
    tuning = settings.tuning()
    loop = SetupLoop(out, _reactor(), duration,
                     lambda: _connect(port, factory, settings, tuning=tuning, **how), count)
    factory.clientConnectionFailed = loop.failed
    loop.run()


def fanin_recv(out, settings, size, assocs, **how):
    from txsctp import SCTPProtocol

    reactor = _reactor()
    state = dict(msgs=0, bytes=0, bad=0, ends=0, expected=0, t0=0.0)

    class Receiver(SCTPProtocol):
        def messageReceived(self, data, info):
            if not state["t0"]:
                state["t0"] = time.perf_counter()
            if len(data) == size:
                state["msgs"] += 1
                state["bytes"] += size
                return
            end = parse_end(data)
            if end is None:
                state["bad"] += 1
                return
            state["ends"] += 1
            state["expected"] += end
            if state["ends"] >= assocs:
                state["t1"] = time.perf_counter()
                reactor.stop()

    _listen(out, _factory(Receiver), settings, **dict(how, style="one-to-many"))
    reactor.run()
    out.result(msgs=state["msgs"], bytes=state["bytes"], elapsed=state["t1"] - state["t0"],
               expected=state["expected"], bad=state["bad"])


def idle_server(out, settings, assocs, **how):
    """
    Hold ``assocs`` idle associations on one one-to-many port; report the
    Python heap (tracemalloc) and RSS they cost, per association.
    """
    import gc
    import tracemalloc

    from txsctp import SCTPProtocol

    reactor = _reactor()
    state = dict(n=0)

    class Idle(SCTPProtocol):
        def connectionMade(self):
            state["n"] += 1
            if state["n"] == assocs:
                reactor.callLater(0.5, measure)

    def rss():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def measure():
        gc.collect()
        heap = tracemalloc.get_traced_memory()[0] - base[0]
        out.result(assocs=state["n"], heap_total=heap, heap_per_assoc=heap / max(state["n"], 1),
                   rss_total=rss() - base[1], rss_per_assoc=(rss() - base[1]) / max(state["n"], 1),
                   setup_seconds=time.perf_counter() - base[2])
        reactor.stop()

    tracemalloc.start()
    _listen(out, _factory(Idle), settings, **dict(how, style="one-to-many"))
    gc.collect()
    base = (tracemalloc.get_traced_memory()[0], rss(), time.perf_counter())
    reactor.run()


def idle_client(out, settings, port, duration, **how):
    """
    One association left idle for C{duration} seconds, bracketed by the
    callgrind probe, then closed: what the userspace stack's timer costs
    with nothing to do (callgrind.py).  Any server side will do.
    """
    from txsctp import SCTPProtocol

    reactor = _reactor()

    class Idle(SCTPProtocol):
        def connectionMade(self):
            # A moment for the set-up's last packets, then the idle window.
            reactor.callLater(0.1, probe.start)
            reactor.callLater(0.1 + duration, self.done)

        def done(self):
            probe.stop()
            self.transport.loseConnection()

        def connectionLost(self, reason):
            if reactor.running:
                reactor.stop()

    _connect(port, _factory(Idle, client=True), settings, **how)
    reactor.run()
    out.result(idle=duration)


def _producer():
    from zope.interface import implementer

    from twisted.internet.interfaces import IPushProducer

    @implementer(IPushProducer)
    class Producer:
        """
        The sender's IPushProducer, separate from the Protocol (whose own
        pauseProducing, if any, means "stop reading").
        """

        def __init__(self, sender):
            self.sender = sender

        def pauseProducing(self):
            self.sender.sendPaused = True

        def resumeProducing(self):
            sender = self.sender
            sender.sendPaused = False
            if not sender.finished:
                _callLater(sender.produce)

        def stopProducing(self):
            self.sender.finished = True

    return Producer


def _callLater(f):
    from twisted.internet import reactor

    reactor.callLater(0, f)


def _Producer(sender):
    return _producer()(sender)


def availableUserspace():
    """
    Whether txsctp has its userspace stack: C{listenSCTP} and
    C{connectSCTP} take C{stack=}.
    """
    import inspect

    ok, why = available()
    if not ok:
        return ok, why
    import txsctp

    for f in (txsctp.listenSCTP, txsctp.connectSCTP):
        if "stack" not in inspect.signature(f).parameters:
            return False, (f"txsctp has no userspace stack here ({f.__name__} takes no stack=); "
                           "its rows appear once it does")
    return True, ""


_TRANSPORT_WORKLOADS = frozenset({"oneway100", "oneway16k", "pingpong", "setup"})

CONTENDERS = [
    Contender(
        key="tx1to1", label="txsctp 1:1", rank=60, workloads=_TRANSPORT_WORKLOADS,
        options={"style": "one-to-one"}, available=available, warm=warm,
        measure=frozenset({"send", "recv", "echo", "setup", "syscalls"}),
    ),
    Contender(
        # Fan-in and idle associations are about the one-to-many port.
        key="tx1toM", label="txsctp 1:M", rank=61, workloads=_TRANSPORT_WORKLOADS | {"fanin", "idle"},
        options={"style": "one-to-many"}, available=available, warm=warm,
        measure=frozenset({"echo", "syscalls"}),
    ),
    # The slot for txsctp's userspace stack (usrsctp over UDP): it needs no
    # kernel SCTP, so it runs in the native section beside usrsctp's own
    # tsctp.  Its peer for per-operation counts is itself (the C program
    # speaks kernel SCTP).
    Contender(
        key="txus", label="txsctp userspace", rank=70, section="native",
        workloads=frozenset({"oneway100", "pingpong"}),
        options={"style": "one-to-one", "stack": "userspace"}, available=availableUserspace, warm=warm,
        peer="txus", measure=frozenset({"send", "recv", "echo", "setup"}),
    ),
]
