"""
Contender (a reference, not SCTP): Twisted over TCP on
loopback with length-prefixed framing (Int32StringReceiver) -- what a
Twisted user does today when SCTP is missing.  Flow control with an
IPushProducer registered on the transport.  The SCTP settings map to
SO_SNDBUF/SO_RCVBUF and TCP_NODELAY (no SACK-frequency counterpart).
"""

import time

from common import HOST, SetupLoop, latency_result, parse_end

from . import Contender


def _warm():
    import twisted.internet.epollreactor
    import twisted.internet.protocol
    import twisted.protocols.basic  # noqa: F401


def _reactor():
    from twisted.internet import epollreactor

    epollreactor.install()
    from twisted.internet import reactor

    return reactor


def _tune(transport, settings):
    sock = transport.getHandle()
    settings.apply_tcp(sock)


def _listen(out, reactor, factory, settings):
    import socket

    # Buffers must be set before listen() to apply to accepted sockets' window
    # scaling; Twisted creates the socket itself, so set them on the listening
    # socket right after and again on each accepted one.
    port = reactor.listenTCP(0, factory, interface=HOST)
    settings.apply_tcp(port.socket)
    port.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    out.ready(port.getHost().port)
    return port


def _run(reactor):
    failure = []

    def stop(reason=None):
        if reason is not None and hasattr(reason, "getTraceback"):
            failure.append(reason)
        if reactor.running:
            reactor.stop()

    return stop, failure


def oneway_recv(out, settings, size):
    from twisted.internet.protocol import Factory
    from twisted.protocols.basic import Int32StringReceiver

    reactor = _reactor()
    state = dict(msgs=0, bytes=0, bad=0, expected=-1, t0=0.0, t1=0.0)

    class Receiver(Int32StringReceiver):
        MAX_LENGTH = 1 << 24

        def connectionMade(self):
            _tune(self.transport, settings)

        def stringReceived(self, data):
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
            state["expected"] = end
            state["t1"] = time.perf_counter()
            self.sendString(b"OK")

        def connectionLost(self, reason):
            if reactor.running:
                reactor.stop()

    _listen(out, reactor, Factory.forProtocol(Receiver), settings)
    reactor.run()
    out.result(msgs=state["msgs"], bytes=state["bytes"], elapsed=max(state["t1"] - state["t0"], 0.0),
               expected=state["expected"], bad=state["bad"])


def oneway_send(out, settings, port, size, duration, count):
    from twisted.internet.protocol import ClientFactory
    from twisted.protocols.basic import Int32StringReceiver
    reactor = _reactor()
    data = bytes(size)
    state = dict(sent=0, t0=0.0)

    class Sender(Int32StringReceiver):
        sendPaused = False
        finished = False

        def connectionMade(self):
            _tune(self.transport, settings)
            self.transport.registerProducer(_Producer(self), True)
            state["t0"] = time.perf_counter()
            self.deadline = state["t0"] + duration
            self.produce()

        def produce(self):
            send = self.sendString
            while not self.sendPaused and not self.finished:
                for _ in range(64):
                    send(data)
                state["sent"] += 64
                if (state["sent"] >= count) if count else (time.perf_counter() >= self.deadline):
                    self.finished = True
                    self.sendString(b"END %d" % state["sent"])
                    self.transport.unregisterProducer()


        def stringReceived(self, reply):
            self.transport.loseConnection()

        def connectionLost(self, reason):
            if reactor.running:
                reactor.stop()

    f = ClientFactory.forProtocol(Sender)
    f.clientConnectionFailed = lambda c, r: reactor.stop()
    reactor.connectTCP(HOST, port, f)
    reactor.run()
    out.result(sent=state["sent"], elapsed=time.perf_counter() - state["t0"])


def pp_server(out, settings):
    from twisted.internet.protocol import Factory
    from twisted.protocols.basic import Int32StringReceiver

    reactor = _reactor()
    state = dict(n=0)

    class Echo(Int32StringReceiver):
        def connectionMade(self):
            _tune(self.transport, settings)

        def stringReceived(self, data):
            state["n"] += 1
            self.sendString(data)

        def connectionLost(self, reason):
            if reactor.running:
                reactor.stop()

    _listen(out, reactor, Factory.forProtocol(Echo), settings)
    reactor.run()
    out.result(echoed=state["n"])


def pp_client(out, settings, port, size, duration, count):
    from twisted.internet.protocol import ClientFactory
    from twisted.protocols.basic import Int32StringReceiver

    reactor = _reactor()
    data = bytes(size)
    lat = []
    clock = time.perf_counter_ns
    state = dict(t0=0.0)

    class Client(Int32StringReceiver):
        warm = True  # the first round trip is a warm-up (see latency_result)

        def connectionMade(self):
            _tune(self.transport, settings)
            self.sendString(data)

        def stringReceived(self, reply):
            z = clock()
            if self.warm:
                self.warm = False
                state["t0"] = time.perf_counter()
                self.deadline = clock() + int(duration * 1e9)
                self.a = clock()
                self.sendString(data)
                return
            lat.append(z - self.a)
            if (len(lat) >= count) if count else (z >= self.deadline):
                self.transport.loseConnection()
                return
            self.a = clock()
            self.sendString(data)

        def connectionLost(self, reason):
            if reactor.running:
                reactor.stop()

    reactor.connectTCP(HOST, port, ClientFactory.forProtocol(Client))
    reactor.run()
    latency_result(out, lat, state["t0"], warmup=1)


def setup_server(out, settings):
    from twisted.internet.protocol import Factory
    from twisted.protocols.basic import Int32StringReceiver

    reactor = _reactor()
    state = dict(n=0)

    class Server(Int32StringReceiver):
        stop = False

        def connectionMade(self):
            _tune(self.transport, settings)
            state["n"] += 1

        def stringReceived(self, data):
            if data == b"STOP":
                self.stop = True
                self.sendString(b"OK")

        def connectionLost(self, reason):
            if self.stop:
                reactor.stop()

    _listen(out, reactor, Factory.forProtocol(Server), settings)
    reactor.run()
    out.result(accepted=state["n"] - 1)  # less the final STOP connection


def setup_client(out, settings, port, duration, count=0):
    """
    The loop of txsctp_transport.setup_client (L{common.SetupLoop}, with
    connectTCP's default connect timeout): the next connectTCP right after
    loseConnection, one factory for every connection.
    """
    from twisted.internet.protocol import ClientFactory
    from twisted.protocols.basic import Int32StringReceiver

    class Client(Int32StringReceiver):
        final = False

        def connectionMade(self):
            _tune(self.transport, settings)
            self.final = loop.final
            if self.final:
                self.sendString(b"STOP")
                return
            self.transport.loseConnection()
            loop.up()

        def stringReceived(self, data):
            self.transport.loseConnection()

        def connectionLost(self, reason):
            loop.ended(self.final)

    reactor = _reactor()
    factory = ClientFactory.forProtocol(Client)
    loop = SetupLoop(out, reactor, duration, lambda: reactor.connectTCP(HOST, port, factory), count)
    factory.clientConnectionFailed = loop.failed
    loop.run()


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


CONTENDERS = [
    Contender(
        key="tcp", label="Twisted TCP", rank=40,
        workloads=frozenset({"oneway100", "oneway16k", "pingpong", "setup"}),
        warm=_warm, peer="tcp", measure=frozenset({"echo", "setup"}),
        note="TCP, not SCTP: what a Twisted user has without SCTP",
    ),
]
