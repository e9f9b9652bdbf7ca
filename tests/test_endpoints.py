"""
SCTPServerEndpoint / SCTPClientEndpoint and txsctp.client: the wrapping
factory's logic with fakes, then endpoints built from description strings
against the real kernel (single- and multi-homed, IPv6, one-to-many,
stream negotiation, refused/cancelled connections, graceful close).
"""

from __future__ import annotations

import pytest
import pytest_twisted

from zope.interface.verify import verifyObject

from twisted.internet import defer, error, protocol
from twisted.internet.endpoints import clientFromString, serverFromString
from twisted.internet.interfaces import IStreamClientEndpoint, IStreamServerEndpoint
from twisted.internet.testing import MemoryReactor, StringTransport
from twisted.python.failure import Failure

from _support import exposeRepoPlugins, needsKernel
from txsctp import SCTPProtocol
from txsctp.endpoints import SCTPClientEndpoint, SCTPServerEndpoint, _SCTPWrappingFactory
from txsctp.interfaces import ISCTPProtocol

exposeRepoPlugins()


# -- fakes ---------------------------------------------------------------------


class FakeConnector:
    def __init__(self):
        self.stopped = False

    def getDestination(self):
        return "sctp:192.0.2.1:2905"

    def stopConnecting(self):
        self.stopped = True


class Recording:
    """
    Stands for listenSCTP/connectSCTP: records calls, returns a fake.
    """

    def __init__(self, raises=None):
        self.calls = []
        self.raises = raises

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        if self.raises is not None:
            raise self.raises
        return FakeConnector()


class Plain(protocol.Protocol):
    def __init__(self):
        self.data = []
        self.lost = None

    def dataReceived(self, data):
        self.data.append(data)

    def connectionLost(self, reason):
        self.lost = reason


class Recorder(SCTPProtocol):
    def __init__(self):
        self.messages = []
        self.notes = []
        self.lost = defer.Deferred()
        self._waits = []

    def messageReceived(self, data, info):
        self.messages.append((data, info))
        for n, d in list(self._waits):
            if len(self.messages) >= n:
                self._waits.remove((n, d))
                d.callback(self.messages[:n])

    def expect(self, n):
        d = defer.Deferred()
        if len(self.messages) >= n:
            d.callback(self.messages[:n])
        else:
            self._waits.append((n, d))
        return d

    def peerAddressChanged(self, notification):
        self.notes.append(notification)

    def connectionLost(self, reason):
        self.reason = reason
        self.lost.callback(None)


class Echo(SCTPProtocol):
    def messageReceived(self, data, info):
        self.transport.writeMessage(data, stream=info.stream, ppid=info.ppid, unordered=info.unordered)


class Info:
    stream = 3
    ppid = 46
    unordered = False


# -- pure ----------------------------------------------------------------------


def test_interfaces():
    verifyObject(IStreamServerEndpoint, SCTPServerEndpoint(MemoryReactor(), 0))
    verifyObject(IStreamClientEndpoint, SCTPClientEndpoint(MemoryReactor(), "127.0.0.1", 1))


def test_serverListenArguments():
    reactor = MemoryReactor()
    endpoint = SCTPServerEndpoint(
        reactor, 2905, ["127.0.0.1", "127.0.0.2"], 50, style="one-to-many", outStreams=16, bundle=True
    )
    endpoint._listenSCTP = fake = Recording()
    factory = protocol.Factory()
    d = endpoint.listen(factory)
    assert isinstance(d.result, FakeConnector)
    assert fake.calls == [(
        (2905, factory),
        {"interface": ["127.0.0.1", "127.0.0.2"], "reactor": reactor, "backlog": 50,
         "style": "one-to-many", "outStreams": 16, "bundle": True},
    )]


def test_serverListenFailure():
    endpoint = SCTPServerEndpoint(MemoryReactor(), 2905)
    endpoint._listenSCTP = Recording(raises=error.CannotListenError("", 2905, OSError(98, "in use")))
    failures = []
    endpoint.listen(protocol.Factory()).addErrback(failures.append)
    assert failures[0].check(error.CannotListenError)


def test_clientConnectArguments():
    reactor = MemoryReactor()
    endpoint = SCTPClientEndpoint(
        reactor, ["127.0.0.1", "127.0.0.2"], 2905, timeout=5, bindAddress="127.0.0.3", inStreams=4,
        bundle=False,
    )
    endpoint._connectSCTP = fake = Recording()
    endpoint.connect(protocol.Factory.forProtocol(Plain))
    (args, kwargs), = fake.calls
    assert args[:2] == (["127.0.0.1", "127.0.0.2"], 2905)
    assert isinstance(args[2], _SCTPWrappingFactory)
    assert kwargs == {"timeout": 5, "bindAddress": "127.0.0.3", "reactor": reactor, "inStreams": 4,
                      "bundle": False}


def test_clientConnectRaisesSynchronously():
    endpoint = SCTPClientEndpoint(MemoryReactor(), "nonsense", 1)
    endpoint._connectSCTP = Recording(raises=ValueError("bad host"))
    failures = []
    endpoint.connect(protocol.Factory.forProtocol(Plain)).addErrback(failures.append)
    assert failures[0].check(ValueError)


def _connected(wrapped):
    """
    Drive a wrapping factory through a successful association.
    """
    factory = _SCTPWrappingFactory(protocol.Factory.forProtocol(wrapped))
    factory.startedConnecting(FakeConnector())
    proto = factory.buildProtocol(None)
    proto.makeConnection(StringTransport())
    return factory, proto


def test_wrapperFiresWithProtocolAndForwards():
    factory, wrapper = _connected(Recorder)
    results = []
    factory._onConnection.addCallback(results.append)
    inner = results[0]
    assert isinstance(inner, Recorder)
    assert inner.transport is wrapper.transport
    assert ISCTPProtocol.providedBy(wrapper)
    wrapper.messageReceived(b"hello", Info)
    assert inner.messages == [(b"hello", Info)]
    note = object()
    wrapper.peerAddressChanged(note)
    assert inner.notes == [note]
    reason = Failure(error.ConnectionDone())
    wrapper.connectionLost(reason)
    assert inner.reason is reason


def test_wrapperPlainProtocolGetsBytes():
    factory, wrapper = _connected(Plain)
    inner = factory._onConnection.result
    wrapper.messageReceived(b"GET / HTTP/1.0\r\n\r\n", Info)
    wrapper.notificationReceived(object())  # a plain Protocol ignores these
    assert inner.data == [b"GET / HTTP/1.0\r\n\r\n"]


def test_wrapperConnectErrorPassesThrough():
    factory = _SCTPWrappingFactory(protocol.Factory.forProtocol(Plain))
    factory.startedConnecting(FakeConnector())
    factory.clientConnectionFailed(None, Failure(error.ConnectionRefusedError()))
    failures = []
    factory._onConnection.addErrback(failures.append)
    assert failures[0].check(error.ConnectionRefusedError)


def test_wrapperOtherErrorsBecomeConnectError():
    factory = _SCTPWrappingFactory(protocol.Factory.forProtocol(Plain))
    factory.startedConnecting(FakeConnector())
    factory.clientConnectionFailed(None, Failure(OSError(22, "EINVAL")))
    failures = []
    factory._onConnection.addErrback(failures.append)
    assert type(failures[0].value) is error.ConnectError
    assert "could not be set up" in str(failures[0].value)


def test_wrapperLostBeforeUpFails():
    factory = _SCTPWrappingFactory(protocol.Factory.forProtocol(Plain))
    factory.startedConnecting(FakeConnector())
    factory.clientConnectionLost(None, Failure(error.ConnectionLost()))
    failures = []
    factory._onConnection.addErrback(failures.append)
    assert failures[0].check(error.ConnectError)


def test_wrapperCancel():
    factory = _SCTPWrappingFactory(protocol.Factory.forProtocol(Plain))
    connector = FakeConnector()
    factory.startedConnecting(connector)
    failures = []
    factory._onConnection.addErrback(failures.append)
    factory._onConnection.cancel()
    assert failures[0].check(error.ConnectingCancelledError)
    assert connector.stopped


def test_wrapperFactoryRefuses():
    class Refusing(protocol.Factory):
        def buildProtocol(self, addr):
            return None

    factory = _SCTPWrappingFactory(Refusing())
    assert factory.buildProtocol(None) is None
    failures = []
    factory._onConnection.addErrback(failures.append)
    assert failures[0].check(error.NoProtocol)


def test_wrapperFactoryRaises():
    class Broken(protocol.Factory):
        def buildProtocol(self, addr):
            raise ZeroDivisionError()

    factory = _SCTPWrappingFactory(Broken())
    assert factory.buildProtocol(None) is None
    failures = []
    factory._onConnection.addErrback(failures.append)
    assert failures[0].check(ZeroDivisionError)


# -- against the kernel ------------------------------------------------------


@pytest.fixture
def serve(reactor):
    """
    C{serve(description, factory)}: listen on a server description; the
    port is stopped after the test.
    """
    ports = []

    @defer.inlineCallbacks
    def start(description, factory):
        port = yield serverFromString(reactor, description).listen(factory)
        ports.append(port)
        return port

    yield start
    for port in ports:
        pytest_twisted.blockon(defer.maybeDeferred(port.stopListening))


@pytest.fixture
def clients():
    """
    A list to put connected protocols in; those still up are aborted after
    the test.
    """
    protocols = []
    yield protocols
    for p in protocols:
        t = getattr(p, "transport", None)
        if t is not None and not getattr(t, "disconnected", True):
            t.abortConnection()


@needsKernel
@pytest.mark.parametrize("style", ["one-to-one", "one-to-many"])
@pytest_twisted.inlineCallbacks
def test_echoThroughStrings(reactor, serve, clients, style):
    port = yield serve(
        f"sctp:0:interface=127.0.0.1:style={style}:outStreams=16:inStreams=16",
        protocol.Factory.forProtocol(Echo),
    )
    assert port.style == style
    number = port.getHost().port
    client = yield clientFromString(
        reactor, f"sctp:host=127.0.0.1:port={number}:timeout=5:outStreams=16:inStreams=16"
    ).connect(protocol.Factory.forProtocol(Recorder))
    clients.append(client)
    assert isinstance(client, Recorder)
    assert client.transport.outboundStreams == 16
    for i in range(6):
        client.transport.writeMessage(b"x%d" % i, stream=i * 3, ppid=3, unordered=i == 5)
    got = yield client.expect(6)
    assert sorted((d, info.stream, info.ppid, info.unordered) for d, info in got) == [
        (b"x%d" % i, i * 3, 3, i == 5) for i in range(6)
    ]


@needsKernel
@pytest.mark.parametrize("bundle", ["yes", "no"])
@pytest_twisted.inlineCallbacks
def test_bundleThroughStrings(reactor, serve, clients, bundle):
    """
    C{bundle=yes} in both descriptions reaches the port and the client's
    association: 640 small messages written in one go leave the client in
    far fewer packets than messages (its C{SCTP_GET_ASSOC_STATS}), and all
    come back in order; with C{bundle=no} about one packet each.
    """
    port = yield serve(
        f"sctp:0:interface=127.0.0.1:bundle={bundle}:sendBufferSize=256K",
        protocol.Factory.forProtocol(Echo),
    )
    assert port.options.bundle is (bundle == "yes")
    client = yield clientFromString(
        reactor,
        f"sctp:host=127.0.0.1:port={port.getHost().port}:timeout=5:bundle={bundle}"
        ":sendBufferSize=256K:receiveBufferSize=1M",
    ).connect(protocol.Factory.forProtocol(Recorder))
    clients.append(client)
    sock, assocId = client.transport.socket, client.transport.assocId
    assert sock.getSendBufferSize() >= 256 * 1024
    sent = [b"%0100d" % i for i in range(640)]
    before = sock.getAssocStats(assocId).opackets

    def burst():
        for data in sent:
            client.transport.writeMessage(data)

    reactor.callLater(0, burst)
    got = yield client.expect(len(sent)).addTimeout(30, reactor)
    assert [d for d, _ in got] == sent
    packets = sock.getAssocStats(assocId).opackets - before
    if bundle == "yes":
        assert packets <= len(sent) // 8, packets
    else:
        assert packets >= len(sent) // 2, packets


@needsKernel
@pytest_twisted.inlineCallbacks
def test_multihomedWithBindAddress(reactor, serve, clients):
    port = yield serve(
        "sctp:0:interface=127.0.0.1,127.0.0.2:outStreams=4:inStreams=4",
        protocol.Factory.forProtocol(Echo),
    )
    assert sorted(port.getHost().addresses) == ["127.0.0.1", "127.0.0.2"]
    number = port.getHost().port
    client = yield clientFromString(
        reactor, f"sctp:host=127.0.0.1,127.0.0.2:port={number}:bindAddress=127.0.0.3:timeout=5"
    ).connect(protocol.Factory.forProtocol(Recorder))
    clients.append(client)
    assert sorted(client.transport.getPeer().addresses) == ["127.0.0.1", "127.0.0.2"]
    assert [h for h, _ in client.transport.getLocalAddresses()] == ["127.0.0.3"]
    assert sorted(h for h, _ in client.transport.getPathStates()) == ["127.0.0.1", "127.0.0.2"]
    assert client.transport.outboundStreams == 4  # capped by the server's inStreams
    client.transport.writeMessage(b"multi", stream=3)
    (data, info), = yield client.expect(1)
    assert (data, info.stream) == (b"multi", 3)


@needsKernel
@pytest_twisted.inlineCallbacks
def test_clientBindPort(reactor, serve, clients):
    server = protocol.Factory.forProtocol(Recorder)
    server.protocols = []
    port = yield serve("sctp:0:interface=127.0.0.1", protocol.Factory.forProtocol(Echo))
    number = port.getHost().port
    # A fixed local port, as M3UA and Diameter peers often require.
    probe = yield serve("sctp:0:interface=127.0.0.5", protocol.Factory())
    localPort = probe.getHost().port
    yield probe.stopListening()
    client = yield clientFromString(
        reactor, f"sctp:host=127.0.0.1:port={number}:bindAddress=127.0.0.5:bindPort={localPort}"
    ).connect(protocol.Factory.forProtocol(Recorder))
    clients.append(client)
    assert client.transport.getHost().port == localPort
    assert client.transport.getHost().host == "127.0.0.5"


@needsKernel
@pytest_twisted.inlineCallbacks
def test_ipv6(reactor, serve, clients):
    try:
        port = yield serve(r"sctp:0:interface=\:\:1", protocol.Factory.forProtocol(Echo))
    except error.CannotListenError as e:
        pytest.skip(f"no IPv6 loopback here: {e}")
    number = port.getHost().port
    client = yield clientFromString(reactor, rf"sctp:host=\:\:1:port={number}").connect(
        protocol.Factory.forProtocol(Recorder)
    )
    clients.append(client)
    assert client.transport.getPeer().host == "::1"
    client.transport.writeMessage(b"six", ppid=60)
    (data, info), = yield client.expect(1)
    assert (data, info.ppid) == (b"six", 60)


@needsKernel
@pytest_twisted.inlineCallbacks
def test_refused(reactor, serve):
    port = yield serve("sctp:0:interface=127.0.0.1", protocol.Factory())
    number = port.getHost().port
    yield port.stopListening()
    with pytest.raises(error.ConnectError) as caught:
        yield clientFromString(reactor, f"sctp:host=127.0.0.1:port={number}:timeout=5").connect(
            protocol.Factory.forProtocol(Recorder)
        )
    assert isinstance(caught.value, error.ConnectionRefusedError), caught.value


@needsKernel
@pytest_twisted.inlineCallbacks
def test_cancel(reactor, serve):
    port = yield serve("sctp:0:interface=127.0.0.1", protocol.Factory.forProtocol(Echo))
    d = clientFromString(reactor, f"sctp:host=127.0.0.1:port={port.getHost().port}").connect(
        protocol.Factory.forProtocol(Recorder)
    )
    d.cancel()
    with pytest.raises(error.ConnectingCancelledError):
        yield d


@needsKernel
@pytest_twisted.inlineCallbacks
def test_plainProtocolClient(reactor, serve, clients):
    """
    A plain byte-stream Protocol works as an SCTP client through the
    endpoint: each message arrives as dataReceived.
    """
    port = yield serve("sctp:0:interface=127.0.0.1", protocol.Factory.forProtocol(Echo))
    received = defer.Deferred()

    class Once(protocol.Protocol):
        def connectionMade(self):
            self.transport.write(b"ping")

        def dataReceived(self, data):
            received.callback(data)

    client = yield clientFromString(
        reactor, f"sctp:127.0.0.1:{port.getHost().port}"
    ).connect(protocol.Factory.forProtocol(Once))
    clients.append(client)
    assert (yield received) == b"ping"


@needsKernel
@pytest_twisted.inlineCallbacks
def test_clientHelpers(reactor, serve):
    """
    txsctp.client: connect with a Protocol class, wait for sender dry, close
    gracefully; the server sees a clean close.
    """
    from txsctp.client import closeGracefully, connect, whenClosed, whenSenderDry

    serverUp = defer.Deferred()

    class ServerRecorder(Recorder):
        def connectionMade(self):
            serverUp.callback(self)

    port = yield serve("sctp:0:interface=127.0.0.1", protocol.Factory.forProtocol(ServerRecorder))
    client = yield connect(reactor, "127.0.0.1", port.getHost().port, Recorder, outStreams=4)
    for i in range(20):
        client.transport.writeMessage(b"%d" % i, stream=i % 4)
    yield whenSenderDry(client)
    server = yield serverUp
    got = yield server.expect(20)
    assert len(got) == 20
    closed = whenClosed(server)
    result = yield closeGracefully(client)
    assert result is None
    assert client.reason.check(error.ConnectionDone)
    assert (yield closed) is None
    assert server.reason.check(error.ConnectionDone)


@needsKernel
@pytest_twisted.inlineCallbacks
def test_closeGracefullyReportsAbort(reactor, serve):
    from txsctp.client import closeGracefully, connect

    serverUp = defer.Deferred()

    class Aborter(SCTPProtocol):
        def connectionMade(self):
            serverUp.callback(self)

    port = yield serve("sctp:0:interface=127.0.0.1", protocol.Factory.forProtocol(Aborter))
    client = yield connect(reactor, "127.0.0.1", port.getHost().port, Recorder)
    server = yield serverUp
    server.transport.abortConnection()
    yield client.lost
    # Already ended by an ABORT: closing reports that reason.
    with pytest.raises(Exception) as caught:
        yield closeGracefully(client)
    assert not isinstance(caught.value, error.ConnectionDone)


@needsKernel
@pytest_twisted.inlineCallbacks
def test_connectHelperFailure(reactor, serve):
    from txsctp.client import connect

    port = yield serve("sctp:0:interface=127.0.0.1", protocol.Factory())
    number = port.getHost().port
    yield port.stopListening()
    with pytest.raises(error.ConnectError):
        yield connect(reactor, "127.0.0.1", number, Recorder, timeout=5)
