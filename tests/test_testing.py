"""
txsctp.testing: the in-memory transport users test their Protocols with.

The first half is a contract suite: every scenario runs against the fake
(L{txsctp.testing.connectedPair}) AND against real kernel associations
(listenSCTP/connectSCTP on loopback, one-to-one and one-to-many servers),
and asserts the same callbacks, in the same order, with the same infos,
errors and C{connectionLost} reasons.  If the real transport changes
behaviour, these tests fail until the fake follows.

The second half tests what only the fake can do deterministically
(restart, path failure, send failure, every notification helper, paused
delivery) and that it stays a pure test double (no socket-layer import).
"""

from __future__ import annotations

import ast
import inspect
import os
import struct
import subprocess
import sys

import pytest
import pytest_twisted

from zope.interface.verify import verifyObject

from twisted.internet import defer, error, protocol
from twisted.internet.interfaces import IConsumer, IPushProducer, ITransport
from twisted.python.failure import Failure

from _support import kernelHasSCTP
from txsctp import testing
from txsctp.address import SCTPAddress
from txsctp.errors import (
    AssociationClosedError,
    CommunicationLostError,
    MessageTooLongError,
    PeerAbortedError,
    StreamOutOfRangeError,
    WriteQueueFullError,
)
from txsctp.interfaces import ISCTPTransport
from txsctp.notifications import (
    AssociationState,
    AuthIndication,
    PeerAddressChange,
    PeerAddressState,
)
from txsctp.options import AssocState, PathState
from txsctp.protocol import SCTPProtocol
from txsctp.testing import SCTPTestPeer, connectedPair

TIMEOUT = 20.0

CALLBACKS = [
    "associationUp", "associationRestarted", "associationLost", "shutdownComplete",
    "cannotStartAssociation", "peerAddressChanged", "sendFailed", "remoteErrorReceived",
    "shutdownReceived", "senderDry", "adaptationIndication", "partialDeliveryAborted",
    "authenticationEvent", "streamReset", "associationReset", "streamChange",
    "unknownNotificationReceived",
]


class Recorder(SCTPProtocol):
    """
    Records every callback as C{(name, argument)}, through
    L{SCTPProtocol}'s own dispatch; C{waitFor(name, count)} fires once
    C{count} such events were recorded.
    """

    def __init__(self) -> None:
        self.events = []
        self._waiters = []
        self.raiseOnMessage = False

    def _record(self, name, value=None) -> None:
        self.events.append((name, value))
        for entry in list(self._waiters):
            wanted, count, d = entry
            if self.count(wanted) >= count:
                self._waiters.remove(entry)
                d.callback(None)

    def count(self, name) -> int:
        return sum(1 for n, _ in self.events if n == name)

    def names(self, skip=("senderDry",)):
        return [n for n, _ in self.events if n not in skip]

    def values(self, name):
        return [v for n, v in self.events if n == name]

    def waitFor(self, name, count=1) -> defer.Deferred:
        d = defer.Deferred()
        if self.count(name) >= count:
            d.callback(None)
        else:
            self._waiters.append((name, count, d))
        return d

    def connectionMade(self):
        self._record("connectionMade")

    def messageReceived(self, data, info):
        self._record("messageReceived", (data, info))
        if self.raiseOnMessage:
            raise ZeroDivisionError("raised by messageReceived")

    def connectionLost(self, reason):
        self._record("connectionLost", reason)


def _recordingMethod(name):
    def method(self, notification):
        self._record(name, notification)

    method.__name__ = name
    return method


for _name in CALLBACKS:
    setattr(Recorder, _name, _recordingMethod(_name))


class FakeHarness:
    """
    A server and a client Recorder joined by the fake.
    """

    kind = "fake"

    def __init__(self, clientStreams, serverStreams, serverStyle, maxMessageSize):
        self.server = Recorder()
        self.client = Recorder()
        kwargs = {}
        if clientStreams:
            kwargs.update(clientOutStreams=clientStreams[0], clientInStreams=clientStreams[1])
        if serverStreams:
            kwargs.update(serverOutStreams=serverStreams[0], serverInStreams=serverStreams[1])
        self.pump = connectedPair(self.server, self.client, **kwargs)
        self.server.transport.style = serverStyle
        self.server.transport.maxMessageSize = maxMessageSize

    async def waitFor(self, proto, name, count=1):
        self.pump.flush()
        d = proto.waitFor(name, count)
        assert d.called, f"the fake did not deliver {count} {name} at once: {proto.events}"
        await d

    async def settle(self, proto=None):
        self.pump.flush()

    async def whenDry(self, proto):
        d = proto.transport.whenSenderDry()
        self.pump.flush()
        assert d.called
        await d

    def cleanup(self):
        pass


class RealHarness:
    """
    A server and a client Recorder on a real kernel association.
    """

    def __init__(self, reactor, serverStyle):
        self.reactor = reactor
        self.kind = "real " + serverStyle
        self.serverStyle = serverStyle
        self.port = None
        self.client = None
        self.server = None

    async def start(self, clientStreams, serverStreams, maxMessageSize):
        from txsctp import connectSCTP, listenSCTP

        harness = self
        serverUp = defer.Deferred()
        clientUp = defer.Deferred()

        class ServerFactory(protocol.Factory):
            def buildProtocol(self, addr):
                harness.server = Recorder()
                harness.server.waitFor("authenticationEvent").chainDeferred(serverUp)
                return harness.server

        class ClientFactory(protocol.ClientFactory):
            def buildProtocol(self, addr):
                harness.client = Recorder()
                harness.client.waitFor("authenticationEvent").chainDeferred(clientUp)
                return harness.client

            def clientConnectionFailed(self, connector, reason):
                clientUp.errback(reason)

        kwargs = {}
        if serverStreams:
            kwargs.update(outStreams=serverStreams[0], inStreams=serverStreams[1])
        self.port = listenSCTP(
            0, ServerFactory(), interface="127.0.0.1", reactor=self.reactor,
            style=self.serverStyle, maxMessageSize=maxMessageSize, **kwargs,
        )
        ckwargs = {}
        if clientStreams:
            ckwargs.update(outStreams=clientStreams[0], inStreams=clientStreams[1])
        connectSCTP(
            "127.0.0.1", self.port.getHost().port, ClientFactory(), reactor=self.reactor,
            timeout=TIMEOUT, **ckwargs,
        )
        both = defer.gatherResults([serverUp, clientUp], consumeErrors=True)
        both.addTimeout(TIMEOUT, self.reactor)
        await both

    async def waitFor(self, proto, name, count=1):
        d = proto.waitFor(name, count)
        d.addTimeout(TIMEOUT, self.reactor)
        try:
            await d
        except defer.TimeoutError:
            raise AssertionError(f"{self.kind}: no {count} {name} in {proto.events}") from None
        # The Recorder fired from inside the callback: let the transport
        # finish what it was doing (e.g. firing whenClosed after
        # connectionLost) before the test goes on.
        await self.settle()

    async def settle(self, proto=None):
        # One reactor turn for anything already read to be delivered.
        d = defer.Deferred()
        self.reactor.callLater(0, d.callback, None)
        await d

    async def whenDry(self, proto):
        d = proto.transport.whenSenderDry()
        d.addTimeout(TIMEOUT, self.reactor)
        await d
        await self.settle()

    def _abortAll(self):
        for p in (self.client, self.server):
            if p is not None and not p.transport.disconnected:
                p.transport.abortConnection()

    def cleanup(self):
        self._abortAll()
        if self.port is not None:
            port, self.port = self.port, None
            d = port.stopListening()
            if d is not None:
                pytest_twisted.blockon(d)

    async def stop(self):
        self._abortAll()
        if self.port is not None:
            port, self.port = self.port, None
            await defer.maybeDeferred(port.stopListening)


KINDS = ["fake", pytest.param("real one-to-one", marks=pytest.mark.kernel),
         pytest.param("real one-to-many", marks=pytest.mark.kernel)]


@pytest.fixture(params=KINDS)
def makePair(request, reactor):
    """
    C{await makePair(...)}: a connected server/client harness of this
    test's kind.
    """
    kind = request.param
    if kind != "fake" and not kernelHasSCTP():
        pytest.skip(
            "this kernel has no SCTP: the real-transport half of the contract "
            "runs through scripts/test (scripts/sctp-run)"
        )
    made = []

    async def make(clientStreams=None, serverStreams=None, maxMessageSize=16 << 20):
        if kind == "fake":
            h = FakeHarness(
                clientStreams, serverStreams, "one-to-one" if kind == "fake" else kind,
                maxMessageSize,
            )
        else:
            h = RealHarness(reactor, kind.split(" ", 1)[1])
            made.append(h)
            await h.start(clientStreams, serverStreams, maxMessageSize)
        made.append(h)
        return h

    make.kind = kind
    yield make
    for h in made:
        h.cleanup()


UP = ["connectionMade", "associationUp", "authenticationEvent"]


# -- the contract: same scenario, fake and real -------------------------------


@pytest_twisted.ensureDeferred
async def test_associationUp(makePair):
    """
    Both sides see connectionMade, associationUp (with the negotiated
    stream counts, also on the transport) and Linux's AUTH event, and
    SCTPAddress host/peer addresses that match each other.
    """
    h = await makePair(clientStreams=(12, 3), serverStreams=(5, 7))
    for proto, (out, in_) in ((h.client, (7, 3)), (h.server, (3, 7))):
        assert proto.names() == UP
        [up] = proto.values("associationUp")
        assert up.state == AssociationState.COMM_UP
        assert (up.outboundStreams, up.inboundStreams) == (out, in_)
        assert (proto.transport.outboundStreams, proto.transport.inboundStreams) == (out, in_)
        assert up.assocId == proto.transport.assocId
        [auth] = proto.values("authenticationEvent")
        assert auth.indication == AuthIndication.NO_AUTH
        host, peer = proto.transport.getHost(), proto.transport.getPeer()
        assert isinstance(host, SCTPAddress) and isinstance(peer, SCTPAddress)
        assert host.type == peer.type == "SCTP"
        assert peer.assocId == proto.transport.assocId
        assert proto.transport.getPeerAddresses()[0] == (peer.host, peer.port)
        assert proto.transport.connected and not proto.transport.disconnecting
        assert (proto.transport.defaultStream, proto.transport.defaultPPID) == (0, 0)
    assert h.client.transport.getPeer().port == h.server.transport.getHost().port
    assert h.server.transport.getPeer().port == h.client.transport.getHost().port


@pytest_twisted.ensureDeferred
async def test_messagesKeepStreamPPIDAndFlags(makePair):
    """
    Messages on several streams with several PPIDs and the unordered flag
    arrive whole with the same info; the echo comes back the same way;
    ordered messages count SSNs per stream.
    """
    h = await makePair()
    sent = [
        (b"a" * 1, 0, 0, False),
        (b"b" * 100, 1, 46, False),
        (b"c" * 1000, 2, 3, True),
        (b"d" * 10, 1, 46, False),
        (b"e" * 20000, 9, 0xFFFFFFFF, False),
    ]
    for data, stream, ppid, unordered in sent:
        h.client.transport.writeMessage(data, stream=stream, ppid=ppid, unordered=unordered)
    await h.waitFor(h.server, "messageReceived", len(sent))
    got = h.server.values("messageReceived")
    # Unordered delivery may overtake ordered messages: compare as sets of
    # tuples, and the ordered ones in order.
    asTuples = [(d, i.stream, i.ppid, i.unordered) for d, i in got]
    assert sorted(asTuples) == sorted(sent)
    ordered = [t for t in asTuples if not t[3]]
    assert ordered == [t for t in sent if not t[3]]
    ssns = {(d[:1], i.stream): i.ssn for d, i in got if not i.unordered}
    assert ssns[(b"b", 1)] + 1 == ssns[(b"d", 1)]
    for _, info in got:
        assert info.assocId == h.server.transport.assocId
    for data, info in got:
        h.server.transport.writeMessage(data, stream=info.stream, ppid=info.ppid, unordered=info.unordered)
    await h.waitFor(h.client, "messageReceived", len(sent))
    back = [(d, i.stream, i.ppid, i.unordered) for d, i in h.client.values("messageReceived")]
    assert sorted(back) == sorted(sent)


@pytest_twisted.ensureDeferred
async def test_writeUsesTheDefaults(makePair):
    """
    write() and writeSequence() send one message each on defaultStream with
    defaultPPID; dataReceived gets the bytes when messageReceived is not
    overridden.
    """
    h = await makePair()
    t = h.client.transport
    t.write(b"one")
    t.writeSequence([b"t", b"w", b"o"])
    t.defaultStream = 2
    t.defaultPPID = 46
    t.write(b"three")
    await h.waitFor(h.server, "messageReceived", 3)
    got = [(d, i.stream, i.ppid) for d, i in h.server.values("messageReceived")]
    assert got == [(b"one", 0, 0), (b"two", 0, 0), (b"three", 2, 46)]


@pytest_twisted.ensureDeferred
async def test_writeErrors(makePair):
    """
    Bad writes raise the same exceptions at once and send nothing.
    """
    h = await makePair(clientStreams=(4, 4), serverStreams=(4, 4))
    t = h.client.transport
    with pytest.raises(StreamOutOfRangeError) as e:
        t.writeMessage(b"x", stream=4)
    assert (e.value.stream, e.value.outboundStreams) == (4, 4)
    assert isinstance(e.value, ValueError)
    with pytest.raises(StreamOutOfRangeError):
        t.writeMessage(b"x", stream=70000)
    with pytest.raises(TypeError):
        t.writeMessage("text", stream=0)
    with pytest.raises(TypeError):
        t.write("text")
    with pytest.raises(ValueError):
        t.writeMessage(b"", stream=0)
    with pytest.raises(TypeError):
        t.writeMessage(b"x", stream="1")
    with pytest.raises(ValueError):
        t.writeMessage(b"x", stream=-1)
    with pytest.raises(ValueError):
        t.writeMessage(b"x", ppid=1 << 32)
    with pytest.raises(TypeError):
        t.writeMessage(b"x", ppid="46")
    with pytest.raises(ValueError):
        t.writeMessage(b"x", context=-1)
    t.writeMessage(bytearray(b"last"), stream=3, ppid=7)
    await h.waitFor(h.server, "messageReceived", 1)
    await h.settle()
    assert [(d, i.stream, i.ppid) for d, i in h.server.values("messageReceived")] == [(b"last", 3, 7)]


@pytest_twisted.ensureDeferred
async def test_gracefulCloseByClient(makePair):
    """
    loseConnection: everything queued arrives before the peer hears of the
    SHUTDOWN; both sides end with shutdownComplete and ConnectionDone;
    whenClosed fires with that reason; writes are refused from the start.
    """
    h = await makePair()
    t = h.client.transport
    closed = t.whenClosed()
    for i in range(3):
        t.writeMessage(b"m%d" % i, stream=i)
    t.loseConnection()
    assert t.disconnecting
    with pytest.raises(AssociationClosedError):
        t.writeMessage(b"late")
    await h.waitFor(h.server, "connectionLost")
    await h.waitFor(h.client, "connectionLost")
    assert h.server.names() == UP + ["messageReceived"] * 3 + [
        "shutdownReceived", "shutdownComplete", "connectionLost"]
    assert h.client.names() == UP + ["shutdownComplete", "connectionLost"]
    for proto in (h.client, h.server):
        [reason] = proto.values("connectionLost")
        assert reason.check(error.ConnectionDone)
        assert proto.transport.disconnected and not proto.transport.connected
    # A clean close: whenClosed fires with None.
    assert (await closed) is None
    with pytest.raises(AssociationClosedError):
        t.writeMessage(b"later")


@pytest_twisted.ensureDeferred
async def test_gracefulCloseByServer(makePair):
    """
    The same, started by the server side.
    """
    h = await makePair()
    h.server.transport.writeMessage(b"bye", stream=1, ppid=46)
    h.server.transport.loseConnection()
    await h.waitFor(h.client, "connectionLost")
    await h.waitFor(h.server, "connectionLost")
    assert h.client.names() == UP + [
        "messageReceived", "shutdownReceived", "shutdownComplete", "connectionLost"]
    assert h.server.names() == UP + ["shutdownComplete", "connectionLost"]
    assert h.client.values("connectionLost")[0].check(error.ConnectionDone)


@pytest_twisted.ensureDeferred
async def test_abort(makePair):
    """
    abortConnection: ConnectionAborted locally; the peer sees
    associationLost (COMM_LOST carrying the ABORT's cause) then
    PeerAbortedError, computed from the notification exactly as the fake
    computes it.
    """
    h = await makePair()
    closed = h.server.transport.whenClosed()
    h.client.transport.abortConnection()
    await h.waitFor(h.client, "connectionLost")
    await h.waitFor(h.server, "connectionLost")
    assert h.client.names() == UP + ["connectionLost"]
    assert h.client.values("connectionLost")[0].check(error.ConnectionAborted)
    assert h.server.names() == UP + ["associationLost", "connectionLost"]
    [lost] = h.server.values("associationLost")
    assert lost.state == AssociationState.COMM_LOST
    assert lost.info[:2] == struct.pack("!H", testing.ABORT_CAUSE_USER_INITIATED)
    [reason] = h.server.values("connectionLost")
    assert reason.check(PeerAbortedError)
    expected = testing._lostReason(lost)
    assert type(reason.value) is type(expected.value)
    assert reason.value.cause == expected.value.cause
    with pytest.raises(PeerAbortedError):
        await closed
    # A second abort or close is harmless.
    h.client.transport.abortConnection()
    h.client.transport.loseConnection()


@pytest_twisted.ensureDeferred
async def test_senderDry(makePair):
    """
    whenSenderDry fires once the peer has everything; the Protocol hears
    senderDry too.
    """
    h = await makePair()
    h.client.transport.writeMessage(b"x" * 5000, stream=1)
    await h.whenDry(h.client)
    assert h.client.count("senderDry") == 1
    await h.waitFor(h.server, "messageReceived")


@pytest_twisted.ensureDeferred
async def test_pausedReadingHoldsMessages(makePair):
    """
    pauseProducing on the transport: nothing is delivered until
    resumeProducing, then everything, in order.
    """
    h = await makePair()
    h.server.transport.pauseProducing()
    for i in range(3):
        h.client.transport.writeMessage(b"p%d" % i, stream=0)
    # The peer's kernel has acknowledged them all: they are on the server's
    # side, held.
    await h.whenDry(h.client)
    await h.settle()
    assert h.server.count("messageReceived") == 0
    h.server.transport.resumeProducing()
    await h.waitFor(h.server, "messageReceived", 3)
    assert [d for d, _ in h.server.values("messageReceived")] == [b"p0", b"p1", b"p2"]


@pytest_twisted.ensureDeferred
async def test_closeWhileThePeerIsNotReading(makePair):
    """
    A graceful close completes while the peer's application is not
    reading; the peer then gets the messages, then the shutdown, in order.
    """
    h = await makePair()
    h.server.transport.pauseProducing()
    h.client.transport.writeMessage(b"m1", stream=1)
    h.client.transport.writeMessage(b"m2", stream=2)
    h.client.transport.loseConnection()
    await h.waitFor(h.client, "connectionLost")
    await h.settle()
    assert h.client.names() == UP + ["shutdownComplete", "connectionLost"]
    whilePaused = h.server.names()
    h.server.transport.resumeProducing()
    await h.waitFor(h.server, "connectionLost")
    after = h.server.names()
    expected = UP + [
        "messageReceived", "messageReceived", "shutdownReceived", "shutdownComplete",
        "connectionLost"]
    assert whilePaused == UP
    assert after == expected


class Producer:
    def __init__(self):
        self.calls = []

    def pauseProducing(self):
        self.calls.append("pause")

    def resumeProducing(self):
        self.calls.append("resume")

    def stopProducing(self):
        self.calls.append("stop")


@pytest_twisted.ensureDeferred
async def test_producers(makePair):
    """
    IConsumer: one producer at a time; a streaming producer is paused past
    bufferSize queued bytes and resumed once the queue drains; a pull
    producer is asked at once; producers are stopped when the association
    ends.
    """
    h = await makePair()
    t = h.client.transport
    streaming = Producer()
    t.registerProducer(streaming, True)
    with pytest.raises(RuntimeError):
        t.registerProducer(Producer(), True)
    chunk = b"z" * 60000
    count = t.bufferSize // len(chunk) + 1
    for _ in range(count):
        t.writeMessage(chunk, stream=0)
    assert streaming.calls == ["pause"]
    assert t.producerPaused
    await h.waitFor(h.server, "messageReceived", count)
    await h.whenDry(h.client)
    assert streaming.calls == ["pause", "resume"]
    t.unregisterProducer()
    pull = Producer()
    t.registerProducer(pull, False)
    assert pull.calls == ["resume"]
    t.abortConnection()
    await h.waitFor(h.client, "connectionLost")
    assert pull.calls[-1] == "stop"
    late = Producer()
    t.registerProducer(late, True)
    assert late.calls == ["stop"]


@pytest_twisted.ensureDeferred
async def test_loseConnectionWaitsForTheProducer(makePair):
    """
    With a producer registered, loseConnection waits for
    unregisterProducer before shutting down (as in Twisted).
    """
    h = await makePair()
    t = h.client.transport
    t.registerProducer(Producer(), True)
    t.loseConnection()
    await h.whenDry(h.client)
    await h.settle()
    assert h.server.count("shutdownReceived") == 0
    assert not t.disconnected
    t.unregisterProducer()
    await h.waitFor(h.server, "connectionLost")
    await h.waitFor(h.client, "connectionLost")
    assert h.server.names()[-3:] == ["shutdownReceived", "shutdownComplete", "connectionLost"]


@pytest_twisted.ensureDeferred
async def test_errorInCallbackAborts(makePair):
    """
    An exception from messageReceived is logged and aborts the association
    with that exception as the reason; the peer sees an abort.
    """
    h = await makePair()
    h.server.raiseOnMessage = True
    h.client.transport.writeMessage(b"boom")
    await h.waitFor(h.server, "connectionLost")
    await h.waitFor(h.client, "connectionLost")
    [reason] = h.server.values("connectionLost")
    assert reason.check(ZeroDivisionError)
    assert h.client.values("connectionLost")[0].check(PeerAbortedError)
    assert h.client.names() == UP + ["associationLost", "connectionLost"]


@pytest_twisted.ensureDeferred
async def test_receivedMessageTooLong(makePair):
    """
    A message over maxMessageSize aborts the association with
    MessageTooLongError; the sender sees an abort.
    """
    h = await makePair(maxMessageSize=100)
    h.client.transport.writeMessage(b"y" * 101)
    await h.waitFor(h.server, "connectionLost")
    await h.waitFor(h.client, "connectionLost")
    assert h.server.count("messageReceived") == 0
    assert h.server.values("connectionLost")[0].check(MessageTooLongError)
    assert h.client.values("connectionLost")[0].check(PeerAbortedError)


@pytest_twisted.ensureDeferred
async def test_statusPathsAndPeelOff(makePair):
    """
    getStatus, getPathStates, setPrimaryAddress; peelOff refused on a
    one-to-one transport, and allowed on a one-to-many one.
    """
    h = await makePair(clientStreams=(6, 6), serverStreams=(6, 6))
    for proto in (h.client, h.server):
        t = proto.transport
        status = t.getStatus()
        assert status.state == AssocState.ESTABLISHED
        assert (status.outStreams, status.inStreams) == (t.outboundStreams, t.inboundStreams)
        paths = t.getPathStates()
        assert sorted(paths) == sorted(t.getPeerAddresses())
        primary = t.getPeerAddresses()[0]
        assert paths[primary].state == PathState.ACTIVE
        t.setPrimaryAddress(primary)
        assert t.getPeerAddresses()[0] == primary
    with pytest.raises(ValueError):
        h.client.transport.peelOff()
    server = h.server.transport
    if makePair.kind == "real one-to-many":
        assert server.peelOff() is None
        server.writeMessage(b"after peeloff", stream=5)
        await h.waitFor(h.client, "messageReceived")
    else:
        with pytest.raises(ValueError):
            server.peelOff()


# -- the fake's own promises ---------------------------------------------------


def test_interfaces():
    """
    The fake provides what the real transport provides.
    """
    peer = SCTPTestPeer(Recorder())
    peer.connect()
    for iface in (ISCTPTransport, ITransport, IConsumer, IPushProducer):
        assert verifyObject(iface, peer.transport)


def test_signaturesMatchTheRealTransport():
    """
    Every public method of the real SCTPTransport exists on the fake with
    the same parameters (names, order, defaults), so code written against
    one runs against the other.
    """
    from txsctp._transport import SCTPTransport

    fake = testing.FakeSCTPTransport
    for name, member in inspect.getmembers(SCTPTransport):
        if name.startswith("_") or not callable(member):
            continue
        assert hasattr(fake, name), f"FakeSCTPTransport lacks {name}"
        real = inspect.signature(member)
        ours = inspect.signature(getattr(fake, name))
        strip = lambda sig: [(p.name, p.kind, p.default) for p in sig.parameters.values()]  # noqa: E731
        assert strip(ours) == strip(real), f"{name}: {ours} != {real}"


def test_noSocketLayer():
    """
    Importing txsctp.testing never imports the socket layer or the
    transport: it is usable where there is no SCTP at all.
    """
    code = (
        "import sys, txsctp.testing, txsctp.protocol\n"
        "bad = [m for m in ('txsctp.sctpsocket', 'txsctp._transport', 'txsctp._api', "
        "'twisted.internet.reactor') if m in sys.modules]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_privateModulesStayAboveTheSocketLayer():
    """
    The private modules behind the C{txsctp.testing} facade import, even
    lazily inside a function, nothing of the socket layer, the kernel
    stack or the cffi module and its build.
    """
    below = ("txsctp.sctpsocket", "txsctp._sockopts", "txsctp._batch", "txsctp._transport",
             "txsctp._api", "txsctp._extension", "txsctp._sctp_cffi", "txsctp._build")
    package = os.path.dirname(testing.__file__)
    modules = ["testing.py"] + sorted(n for n in os.listdir(package)
                                      if n.startswith("_testing_") and n.endswith(".py"))
    assert len(modules) >= 4, modules
    for name in modules:
        path = os.path.join(package, name)
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        bad = sorted(m for m in imported if m.startswith(below))
        assert not bad, f"{name} imports {bad}"


def _connected(**kwargs):
    proto = Recorder()
    peer = SCTPTestPeer(proto, **kwargs)
    peer.connect()
    return proto, peer


def test_recordsEveryMessage():
    proto, peer = _connected(outboundStreams=4)
    t = proto.transport
    t.writeMessage(b"a", stream=3, ppid=46, unordered=True, ttl=500, context=9,
                   to=("127.0.0.2", 49152), sackImmediately=True)
    t.write(b"b")
    assert peer.sent == [
        testing.SentMessage(b"a", 3, 46, True, 500, testing.PRPolicy.TTL, 500, 9,
                            ("127.0.0.2", 49152), True),
        testing.SentMessage(b"b"),
    ]
    assert [m.data for m in peer.takeSent()] == [b"a", b"b"]
    assert peer.sent == []


def test_writeMessagesRecordsEachOrNone():
    """
    writeMessages records one message per payload, with the shared
    parameters, in order; a refused call (a bad payload, a bad parameter,
    the cap) records none of its messages.
    """
    proto, peer = _connected(outboundStreams=4)
    t = proto.transport
    t.maxQueuedBytes = 100
    t.writeMessages([b"a", bytearray(b"b")], stream=3, ppid=46, unordered=True)
    for call, exc in [
        (lambda: t.writeMessages([b"c", b""]), ValueError),
        (lambda: t.writeMessages([b"c", 5]), TypeError),
        (lambda: t.writeMessages(b"cd"), TypeError),
        (lambda: t.writeMessages([b"c", b"d"], stream=4), StreamOutOfRangeError),
        (lambda: t.writeMessages([b"c" * 60, b"d" * 60]), WriteQueueFullError),
    ]:
        with pytest.raises(exc):
            call()
    for notMessages in (5, None, b"cd", "cd"):
        with pytest.raises(TypeError, match="messages must be an iterable of payloads"):
            t.writeMessages(notMessages)
    with pytest.raises(ValueError, match="message 1: SCTP cannot carry an empty message"):
        t.writeMessages(iter([b"c", b"", b"d"]))
    assert peer.sent == [
        testing.SentMessage(b"a", 3, 46, True),
        testing.SentMessage(b"b", 3, 46, True),
    ]


def test_receiveMessageBuildsInfos():
    proto, peer = _connected(inboundStreams=3, assocId=7)
    i1 = peer.receiveMessage(b"x", stream=2, ppid=3)
    i2 = peer.receiveMessage(b"y", stream=2, ppid=3)
    i3 = peer.receiveMessage(b"z", stream=1, ppid=3, unordered=True)
    assert (i1.ssn, i2.ssn, i2.tsn - i1.tsn) == (0, 1, 1)
    assert i3.unordered and not i1.unordered
    assert all(i.assocId == 7 for i in (i1, i2, i3))
    assert proto.values("messageReceived") == [(b"x", i1), (b"y", i2), (b"z", i3)]
    with pytest.raises(ValueError):
        peer.receiveMessage(b"x", stream=3)


def test_restart():
    proto, peer = _connected(outboundStreams=10)
    peer.receiveMessage(b"x")
    n = peer.restart(outboundStreams=4)
    assert proto.values("associationRestarted") == [n]
    assert n.state == AssociationState.RESTART
    assert proto.transport.outboundStreams == 4
    with pytest.raises(StreamOutOfRangeError):
        proto.transport.writeMessage(b"x", stream=4)
    assert peer.receiveMessage(b"y").ssn == 0


def test_pathFailureAndRecovery():
    peerAddress = SCTPAddress("10.0.0.2", 3868, ("10.0.0.2", "10.0.1.2"))
    proto, peer = _connected(peerAddress=peerAddress)
    t = proto.transport
    assert t.getPeerAddresses() == [("10.0.0.2", 3868), ("10.0.1.2", 3868)]
    pf, down = peer.failPath(potentiallyFailed=True)
    assert (pf.state, down.state) == (PeerAddressState.POTENTIALLY_FAILED, PeerAddressState.UNREACHABLE)
    assert down.address == ("10.0.0.2", 3868)
    assert t.getPathStates()[("10.0.0.2", 3868)].state == PathState.INACTIVE
    t.setPrimaryAddress(("10.0.1.2", 3868))
    t.writeMessage(b"still flowing")
    up = peer.recoverPath(("10.0.0.2", 3868))
    assert up.state == PeerAddressState.AVAILABLE
    assert proto.values("peerAddressChanged") == [pf, down, up]
    assert t.getPathStates()[("10.0.0.2", 3868)].state == PathState.ACTIVE
    assert t.getStatus().primary.address == ("10.0.1.2", 3868)
    with pytest.raises(ValueError):
        t.setPrimaryAddress(("10.9.9.9", 3868))
    added = peer.changePath(PeerAddressState.ADDED, ("10.0.2.2", 3868))
    assert ("10.0.2.2", 3868) in t.getPeerAddresses()
    assert isinstance(added, PeerAddressChange)


def test_peerAbortAndCommunicationLost():
    proto, peer = _connected()
    reason = peer.abort(cause=testing.ABORT_CAUSE_USER_INITIATED)
    assert proto.names() == UP + ["associationLost", "connectionLost"]
    assert proto.values("connectionLost") == [proto.transport.closeReason]
    assert reason.check(PeerAbortedError)
    with pytest.raises(RuntimeError):
        peer.receiveMessage(b"too late")

    proto, peer = _connected()
    d = proto.transport.whenSenderDry()
    proto.transport.write(b"x")
    closed = proto.transport.whenClosed()
    reason = peer.loseCommunication(error=110)
    assert reason.check(CommunicationLostError) and reason.value.error == 110
    assert proto.names() == UP + ["associationLost", "connectionLost"]
    failures = []
    d.addErrback(failures.append)
    closed.addErrback(failures.append)
    assert [f.value for f in failures] == [reason.value, reason.value]


def test_peerShutdownAndCompleteShutdown():
    proto, peer = _connected()
    peer.shutdown()
    assert proto.names() == UP + ["shutdownReceived", "shutdownComplete", "connectionLost"]

    proto, peer = _connected()
    with pytest.raises(RuntimeError):
        peer.completeShutdown()
    proto.transport.loseConnection()
    assert proto.transport.getStatus().state == AssocState.SHUTDOWN_SENT
    peer.completeShutdown()
    assert proto.names() == UP + ["shutdownComplete", "connectionLost"]
    assert proto.transport.getStatus().state == AssocState.CLOSED


def test_sendFailed():
    proto, peer = _connected()
    proto.transport.writeMessage(b"lost", stream=2, ppid=46, unordered=True, context=5)
    n = peer.failSend(sent=True)
    assert proto.values("sendFailed") == [n]
    assert (n.data, n.stream, n.ppid, n.context, n.sent) == (b"lost", 2, 46, 5, True)


def test_unsentMessagesComeBackOnAbort():
    """
    In a pair, messages not yet moved when the sender aborts come back
    through sendFailed, as the real transport reports its queue.
    """
    server, client = Recorder(), Recorder()
    pump = connectedPair(server, client)
    client.transport.writeMessage(b"q", stream=1, ppid=9)
    client.transport.abortConnection()
    [n] = client.values("sendFailed")
    assert (n.data, n.stream, n.ppid, n.sent) == (b"q", 1, 9, False)
    pump.flush()
    assert server.names() == UP + ["associationLost", "connectionLost"]


def test_everyNotificationReachesItsCallback():
    proto, peer = _connected()
    expected = [
        ("remoteErrorReceived", peer.remoteError(0x0B, b"cause")),
        ("adaptationIndication", peer.adaptationIndication(0x12345678)),
        ("partialDeliveryAborted", peer.partialDeliveryAborted(stream=1, sequence=2)),
        ("authenticationEvent", peer.authenticationEvent(keyNumber=1)),
        ("streamReset", peer.streamReset([1, 2])),
        ("associationReset", peer.associationReset(10, 20)),
        ("streamChange", peer.streamChange(inboundStreams=20, outboundStreams=30)),
        ("unknownNotificationReceived", peer.unknownNotification(0x9999)),
    ]
    got = proto.events[len(UP):]
    assert got == expected
    assert proto.transport.outboundStreams == 30
    proto.transport.writeMessage(b"x", stream=29)


def test_notificationsWaitWhileReadingIsPaused():
    proto, peer = _connected()
    proto.transport.pauseProducing()
    peer.receiveMessage(b"1")
    peer.failPath()
    peer.receiveMessage(b"2")
    assert proto.names() == UP
    proto.transport.resumeProducing()
    assert proto.names() == UP + ["messageReceived", "peerAddressChanged", "messageReceived"]


def test_pullProducerAskedAgainAfterAcknowledge():
    proto, peer = _connected()
    p = Producer()
    proto.transport.registerProducer(p, False)
    proto.transport.write(b"x")
    peer.acknowledge()
    assert p.calls == ["resume", "resume"]
    assert proto.count("senderDry") == 0


def test_whenSenderDryAndWhenClosed():
    proto, peer = _connected()
    d = proto.transport.whenSenderDry()
    proto.transport.write(b"x")
    assert not d.called
    peer.acknowledge()
    assert d.called and proto.count("senderDry") == 1
    closed = proto.transport.whenClosed()
    peer.shutdown()
    results = []
    closed.addBoth(results.append)
    proto.transport.whenClosed().addBoth(results.append)
    assert results == [None, None]
    failures = []
    proto.transport.whenSenderDry().addErrback(failures.append)
    assert failures and failures[0] is proto.transport.closeReason


def test_pairNegotiatesStreams():
    server, client = Recorder(), Recorder()
    connectedPair(server, client, clientOutStreams=12, clientInStreams=3,
                  serverOutStreams=5, serverInStreams=7)
    assert (client.transport.outboundStreams, client.transport.inboundStreams) == (7, 3)
    assert (server.transport.outboundStreams, server.transport.inboundStreams) == (3, 7)


def test_pairPausedSideReceivesLater():
    server, client = Recorder(), Recorder()
    pump = connectedPair(server, client)
    server.transport.pauseProducing()
    client.transport.write(b"held")
    client.transport.loseConnection()
    pump.flush()
    assert server.names() == UP
    assert client.names() == UP + ["shutdownComplete", "connectionLost"]
    server.transport.resumeProducing()
    assert server.names() == UP + ["messageReceived", "shutdownReceived", "shutdownComplete", "connectionLost"]


def test_peelOffOneToMany():
    proto, peer = _connected(style="one-to-many")
    proto.transport.peelOff()
    assert proto.transport.peeledOff and proto.transport.style == "one-to-one"
    with pytest.raises(ValueError):
        proto.transport.peelOff()


def test_connectTwice():
    proto, peer = _connected()
    with pytest.raises(RuntimeError):
        peer.connect()


def test_errorInNotificationCallbackAborts():
    class Bad(Recorder):
        def peerAddressChanged(self, n):
            raise KeyError("oops")

    proto = Bad()
    peer = SCTPTestPeer(proto)
    peer.connect()
    peer.failPath()
    assert proto.transport.closeReason.check(KeyError)
    assert proto.transport.aborted


def test_maxSendSizeAndQueueCap():
    from txsctp.errors import WriteQueueFullError

    proto, peer = _connected(maxSendSize=10, maxQueuedBytes=15)
    with pytest.raises(MessageTooLongError):
        proto.transport.write(b"x" * 11)
    proto.transport.write(b"x" * 10)
    with pytest.raises(WriteQueueFullError):
        proto.transport.write(b"x" * 6)
    peer.acknowledge()
    proto.transport.write(b"x" * 6)


def test_sctpProtocolDefaultsHandleEverything():
    """
    A plain SCTPProtocol (the class users subclass) takes every kind of
    notification the fake can produce without error.
    """
    received = []

    class Plain(SCTPProtocol):
        def dataReceived(self, data):
            received.append(data)

    proto = Plain()
    peer = SCTPTestPeer(proto, peerAddress=SCTPAddress("10.0.0.2", 1, ("10.0.0.2", "10.0.1.2")))
    peer.connect()
    peer.receiveMessage(b"via dataReceived", stream=1, ppid=46)
    peer.restart()
    peer.failPath()
    peer.recoverPath()
    proto.transport.write(b"x")
    peer.failSend()
    peer.remoteError(1)
    peer.adaptationIndication(1)
    peer.partialDeliveryAborted()
    peer.authenticationEvent()
    peer.streamReset()
    peer.associationReset()
    peer.streamChange()
    peer.unknownNotification(0x7777)
    peer.acknowledge()
    assert not proto.transport.disconnected
    peer.abort()
    assert received == [b"via dataReceived"]
    assert proto.transport.closeReason.check(PeerAbortedError)


def test_plainTwistedProtocol():
    """
    Like the real transport, the fake drives any Twisted Protocol: messages
    reach dataReceived, notifications are dropped.
    """
    from twisted.internet.protocol import Protocol

    class Plain(Protocol):
        def __init__(self):
            self.data = []

        def dataReceived(self, data):
            self.data.append(data)

    proto = Plain()
    peer = SCTPTestPeer(proto)
    peer.connect()
    peer.receiveMessage(b"hello", stream=1)
    peer.failPath()
    proto.transport.write(b"answer")
    assert proto.data == [b"hello"]
    assert peer.sent[0].data == b"answer"


# -- side by side: one scenario, fake and real, the same normalised log ------


def _normalise(name, value):
    """
    An event as the Protocol saw it, without what legitimately differs
    (association ids, ports, TSNs).
    """
    import attr

    from txsctp.notifications import Notification

    if isinstance(value, Notification):
        fields = attr.asdict(value, recurse=False)
        fields.pop("assocId")
        if fields.get("address") is not None:
            fields["address"] = fields["address"][0]
        return (name, type(value).__name__, tuple(sorted(fields.items())))
    if name == "messageReceived":
        data, info = value
        return (name, data, info.stream, info.ppid, info.unordered, info.ssn, info.context)
    if isinstance(value, Failure):
        err = value.value
        return (name, type(err).__name__, getattr(err, "cause", None), getattr(err, "error", None))
    return (name,)


async def _messagesThenClientClose(h):
    for i, (stream, ppid) in enumerate([(0, 46), (1, 3), (1, 3), (2, 0)]):
        h.client.transport.writeMessage(b"message %d" % i, stream=stream, ppid=ppid)
    await h.waitFor(h.server, "messageReceived", 4)
    h.server.transport.writeMessage(b"unordered", stream=3, ppid=51, unordered=True)
    await h.waitFor(h.client, "messageReceived", 1)
    h.client.transport.loseConnection()
    await h.waitFor(h.server, "connectionLost")
    await h.waitFor(h.client, "connectionLost")


async def _senderDryThenServerClose(h):
    h.server.transport.writeMessage(b"x" * 3000, stream=1, ppid=7)
    await h.whenDry(h.server)
    h.server.transport.loseConnection()
    await h.waitFor(h.server, "connectionLost")
    await h.waitFor(h.client, "connectionLost")


async def _clientAborts(h):
    h.client.transport.writeMessage(b"before the abort", stream=2)
    await h.waitFor(h.server, "messageReceived")
    h.client.transport.abortConnection()
    await h.waitFor(h.server, "connectionLost")
    await h.waitFor(h.client, "connectionLost")


async def _serverCallbackRaises(h):
    h.server.raiseOnMessage = True
    h.client.transport.writeMessage(b"boom", stream=1, ppid=99)
    await h.waitFor(h.server, "connectionLost")
    await h.waitFor(h.client, "connectionLost")


async def _messageTooLong(h):
    h.client.transport.writeMessage(b"fits", stream=0)
    h.client.transport.writeMessage(b"y" * 101, stream=0)
    await h.waitFor(h.server, "connectionLost")
    await h.waitFor(h.client, "connectionLost")


SCENARIOS = {
    "messages, then the client closes": _messagesThenClientClose,
    "sender dry, then the server closes": _senderDryThenServerClose,
    "the client aborts": _clientAborts,
    "a server callback raises": _serverCallbackRaises,
    "a message over maxMessageSize": _messageTooLong,
}


@pytest.mark.kernel
@pytest.mark.parametrize("serverStyle", ["one-to-one", "one-to-many"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest_twisted.ensureDeferred
async def test_sideBySide(reactor, scenario, serverStyle):
    """
    The same scenario on the fake and on a real association: the server
    and client Protocols see exactly the same events (callbacks,
    notification fields, message infos, connectionLost reasons), in the
    same order.
    """
    if not kernelHasSCTP():
        pytest.skip("this kernel has no SCTP: run through scripts/test")
    streams = dict(clientStreams=(5, 5), serverStreams=(5, 5), maxMessageSize=100)
    fake = FakeHarness(streams["clientStreams"], streams["serverStreams"], "one-to-one", 100)
    await SCENARIOS[scenario](fake)
    real = RealHarness(reactor, serverStyle)
    try:
        await real.start(**streams)
        await SCENARIOS[scenario](real)
    finally:
        await real.stop()
    for side in ("client", "server"):
        ours = _withoutAbortRace([_normalise(n, v) for n, v in getattr(fake, side).events])
        theirs = _withoutAbortRace([_normalise(n, v) for n, v in getattr(real, side).events])
        assert ours == theirs, (
            f"{side} side differs:\nfake: " + "\n      ".join(map(repr, ours))
            + "\nreal: " + "\n      ".join(map(repr, theirs)))


def _withoutAbortRace(events):
    """
    Drop the sendFailed events around an associationLost: when the peer
    aborts, the kernel reports the messages it had not yet acknowledged
    (queued just before or just after the COMM_LOST, and delivered before
    connectionLost), and whether a message was acknowledged before the
    ABORT depends on the peer's delayed-SACK timer.  (The fake can deliver
    them with SCTPTestPeer.failSend.)
    """
    out = []
    for i, event in enumerate(events):
        if event[0] == "sendFailed":
            rest = [e[0] for e in events[i + 1:] if e[0] != "sendFailed"]
            if rest[:1] in (["associationLost"], ["connectionLost"]):
                continue
        out.append(event)
    return out


@pytest.mark.kernel
@pytest.mark.parametrize("serverStyle", ["one-to-one", "one-to-many"])
@pytest_twisted.ensureDeferred
async def test_nothingAfterConnectionLost(reactor, serverStyle):
    """
    No callback reaches a Protocol after its connectionLost, not even the
    SEND_FAILED notifications the kernel queues behind COMM_LOST: the
    transport delivers them first.
    """
    if not kernelHasSCTP():
        pytest.skip("this kernel has no SCTP: run through scripts/test")
    real = RealHarness(reactor, serverStyle)
    try:
        await real.start(None, None, 100)
        await _messageTooLong(real)
        await real.settle()
    finally:
        await real.stop()
    names = real.client.names(skip=())
    after = names[names.index("connectionLost") + 1:]
    assert after == []


def test_writeToAnAddressThatIsNotThePeersRaisesAsTheRealTransport():
    """
    C{to=} an address the fake peer does not have raises C{OSError}
    (C{EADDRNOTAVAIL}) at once, as the real transport does, and records
    nothing; the peer's own addresses are taken.
    """
    import errno

    proto, peer = _connected()
    t = proto.transport
    host, port = t.getPeerAddresses()[0]
    with pytest.raises(OSError) as info:
        t.writeMessage(b"a", to=("192.0.2.77", port))
    assert info.value.errno == errno.EADDRNOTAVAIL
    with pytest.raises(OSError):
        t.writeMessage(b"a", to=(host, port + 1))
    assert peer.sent == []
    t.writeMessage(b"b", to=(host, port))
    assert [m.to for m in peer.takeSent()] == [(host, port)]
