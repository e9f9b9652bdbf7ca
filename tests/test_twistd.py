"""
The twistd plugins against the real kernel: C{sctp-echo} in-process
(makeService with the running reactor) and as a real C{twistd} process,
C{twistd web --listen sctp:...} serving HTTP over SCTP, and C{sctp-probe}
in-process and as a process against an echo server.

Subprocesses are driven by the reactor (spawnProcess), their readiness
read from their log ("... starting on SCTP <port>"), never slept for.
"""

from __future__ import annotations

import os
import re
import sys

import pytest
import pytest_twisted

from twisted.application import service
from twisted.internet import defer, error, protocol
from twisted.internet.endpoints import clientFromString
from twisted.logger import globalLogPublisher
from twisted.plugin import getPlugins
from twisted.python import usage

from _support import REPO, exposeRepoPlugins, kernelHasSCTP, needsKernel  # noqa: F401
from txsctp import SCTPProtocol
from txsctp import probe as probeTap
from txsctp import tap as echoTap

exposeRepoPlugins()
PROCESS_TIMEOUT = 60




class Recorder(SCTPProtocol):
    def __init__(self):
        self.messages = []
        self.data = b""
        self.lost = defer.Deferred()
        self._waits = []

    def messageReceived(self, data, info):
        self.messages.append((data, info))
        self.data += data
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

    def connectionLost(self, reason):
        self.reason = reason
        self.lost.callback(None)


@pytest.fixture
def logEvents():
    events = []
    globalLogPublisher.addObserver(events.append)
    yield events
    globalLogPublisher.removeObserver(events.append)


@pytest.fixture
def services():
    """
    A list of started services, stopped after the test.
    """
    started = []
    yield started
    for svc in reversed(started):
        if svc.running:
            pytest_twisted.blockon(defer.maybeDeferred(svc.stopService))


def _texts(events):
    from twisted.logger import formatEvent

    return [formatEvent(e) for e in events]


# -- plugin registration ------------------------------------------------------


def test_serviceMakersFound():
    makers = {m.tapname: m for m in getPlugins(service.IServiceMaker)}
    assert makers["sctp-echo"].module == "txsctp.tap"
    assert makers["sctp-probe"].module == "txsctp.probe"
    assert makers["sctp-echo"].options is echoTap.Options


def test_echoOptions():
    config = echoTap.Options()
    config.parseOptions([])
    assert config["listen"] == ["sctp:2905"]
    config = echoTap.Options()
    config.parseOptions(["--listen", "sctp:1", "-l", "tcp:2"])
    assert config["listen"] == ["sctp:1", "tcp:2"]
    with pytest.raises(usage.UsageError, match="outStreams"):
        echoTap.Options().parseOptions(["--listen", "sctp:1:outStreams=none"])


def test_probeOptions():
    with pytest.raises(usage.UsageError, match="--connect is required"):
        probeTap.Options().parseOptions([])
    with pytest.raises(usage.UsageError, match="needs a port"):
        probeTap.Options().parseOptions(["--connect", "sctp:host=127.0.0.1"])
    with pytest.raises(usage.UsageError):
        probeTap.Options().parseOptions(["--connect", "sctp:127.0.0.1:1", "--size", "3"])
    config = probeTap.Options()
    config.parseOptions(["--connect", "sctp:127.0.0.1:1", "--streams", "8", "--interval", "0.5"])
    assert (config["streams"], config["interval"], config["passive"]) == (8, 0.5, False)


def test_pingCodec():
    data = probeTap.encodePing(probeTap.PING_MAGIC, 7, 3, 123456789, 100)
    assert len(data) == 100
    assert probeTap.decodePing(data) == (probeTap.PING_MAGIC, 7, 3, 123456789)
    assert probeTap.decodePing(b"short") is None
    assert probeTap.decodePing(b"XXXX" + data[4:]) is None


# -- sctp-echo in-process ----------------------------------------------------------


@pytest_twisted.inlineCallbacks
def _startEcho(services, *listen):
    config = echoTap.Options()
    args = []
    for description in listen:
        args += ["--listen", description]
    config.parseOptions(args + ["--verbose"])
    svc = echoTap.makeService(config)
    svc.startService()
    services.append(svc)
    ports = []
    for child in svc:
        ports.append((yield child._waitingForPort))
    return svc, ports


@needsKernel
@pytest.mark.parametrize("style", ["one-to-one", "one-to-many"])
@pytest_twisted.inlineCallbacks
def test_echoService(reactor, services, logEvents, style):
    """
    Same stream, PPID and unordered flag back; a message that cannot be
    echoed (a stream beyond the server's outbound streams) is logged and
    dropped while the association goes on.
    """
    svc, (port,) = yield _startEcho(
        services, f"sctp:0:interface=127.0.0.1:style={style}:outStreams=4:inStreams=8"
    )
    number = port.getHost().port
    client = yield clientFromString(
        reactor, f"sctp:host=127.0.0.1:port={number}:outStreams=8:inStreams=8"
    ).connect(protocol.Factory.forProtocol(Recorder))
    assert client.transport.outboundStreams == 8
    sent = [(b"m%d" % i, i % 4, 100 + i, i % 3 == 0) for i in range(12)]
    for data, stream, ppid, unordered in sent:
        client.transport.writeMessage(data, stream=stream, ppid=ppid, unordered=unordered)
    got = yield client.expect(12)
    assert sorted((d, i.stream, i.ppid, i.unordered) for d, i in got) == sorted(sent)

    client.transport.writeMessage(b"too far", stream=6, ppid=1)
    client.transport.writeMessage(b"after", stream=2, ppid=2)
    got = yield client.expect(13)
    assert (got[12][0], got[12][1].stream) == (b"after", 2)
    assert any("not echoed" in t and "stream 6" in t for t in _texts(logEvents))
    assert client.transport.connected
    assert svc.factory.active[0].dropped == 1
    assert any("up with" in t for t in _texts(logEvents))
    client.transport.abortConnection()
    yield client.lost


@needsKernel
@pytest_twisted.inlineCallbacks
def test_echoSurvivesBadAssociations(reactor, services, logEvents):
    """
    An oversized message aborts its own association only; a peer that
    aborts does not disturb the next one.
    """
    svc, (port,) = yield _startEcho(services, "sctp:0:interface=127.0.0.1:maxMessageSize=1K")
    number = port.getHost().port
    endpoint = clientFromString(reactor, f"sctp:host=127.0.0.1:port={number}")

    first = yield endpoint.connect(protocol.Factory.forProtocol(Recorder))
    first.transport.writeMessage(b"x" * 4096)
    yield first.lost
    assert not first.reason.check(error.ConnectionDone)

    second = yield endpoint.connect(protocol.Factory.forProtocol(Recorder))
    second.transport.abortConnection()
    yield second.lost

    third = yield endpoint.connect(protocol.Factory.forProtocol(Recorder))
    third.transport.writeMessage(b"still here", ppid=18)
    (data, info), = yield third.expect(1)
    assert (data, info.ppid) == (b"still here", 18)
    third.transport.loseConnection()
    yield third.lost
    assert third.reason.check(error.ConnectionDone)
    assert svc.factory.total == 3
    assert any("closed after" in t for t in _texts(logEvents))


@needsKernel
@pytest_twisted.inlineCallbacks
def test_echoMultipleListen(reactor, services):
    """
    --listen repeated: an SCTP and a TCP listener in one service.
    """
    svc, (sctpPort, tcpPort) = yield _startEcho(services, "sctp:0:interface=127.0.0.1", "tcp:0:interface=127.0.0.1")
    received = defer.Deferred()

    class Once(protocol.Protocol):
        def connectionMade(self):
            self.transport.write(b"over tcp")

        def dataReceived(self, data):
            received.callback(data)
            self.transport.loseConnection()

    yield clientFromString(reactor, f"tcp:127.0.0.1:{tcpPort.getHost().port}").connect(
        protocol.Factory.forProtocol(Once)
    )
    assert (yield received) == b"over tcp"


# -- sctp-probe in-process ---------------------------------------------------------


@needsKernel
@pytest_twisted.inlineCallbacks
def test_probeService(reactor, services):
    svc, (port,) = yield _startEcho(services, "sctp:0:interface=127.0.0.1,127.0.0.2:outStreams=8:inStreams=8")
    number = port.getHost().port
    config = probeTap.Options()
    config.parseOptions([
        "--connect", f"sctp:host=127.0.0.1,127.0.0.2:port={number}:outStreams=8",
        "--streams", "3", "--interval", "0.3", "--ping-interval", "0.05",
        "--load", "400", "--size", "100",
    ])
    reports = []
    wanted = defer.Deferred()

    def onReport(fields):
        reports.append(fields)
        if fields["pongs"] and fields["paths"] and not wanted.called:
            wanted.callback(fields)

    endpoint = clientFromString(reactor, config["connect"])
    prober = probeTap.ProbeService(config, endpoint, clock=reactor, onReport=onReport)
    prober.startService()
    services.append(prober)
    fields = yield wanted.addTimeout(30, reactor)
    assert fields["connected"]
    assert set(fields["streams"]) <= {0, 1, 2} and fields["streams"]
    assert 0 < fields["rtt"]["min"] <= fields["rtt"]["avg"] <= fields["rtt"]["max"]
    assert fields["txRate"] > 0 and fields["rxBitRate"] > 0
    assert sorted(p["address"] for p in fields["paths"]) == [
        f"127.0.0.1:{number}", f"127.0.0.2:{number}"
    ]
    assert {p["state"] for p in fields["paths"]} <= {"ACTIVE", "UNCONFIRMED"}
    assert sum(p["primary"] for p in fields["paths"]) == 1
    yield prober.stopService()


@needsKernel
@pytest_twisted.inlineCallbacks
def test_probeReconnects(reactor, services):
    """
    The probe keeps reporting while the peer is gone and associates again
    when it is back.
    """
    svc, (port,) = yield _startEcho(services, "sctp:0:interface=127.0.0.1")
    number = port.getHost().port
    config = probeTap.Options()
    config.parseOptions([
        "--connect", f"sctp:host=127.0.0.1:port={number}",
        "--interval", "0.2", "--ping-interval", "0.05",
    ])
    states = []
    waiting = {}

    def onReport(fields):
        states.append(fields["connected"])
        want = waiting.pop(fields["connected"], None)
        if want is not None:
            want.callback(None)

    def until(connected):
        d = waiting[connected] = defer.Deferred()
        return d.addTimeout(30, reactor)

    prober = probeTap.ProbeService(config, clientFromString(reactor, config["connect"]),
                                   clock=reactor, onReport=onReport)
    prober.startService()
    services.append(prober)
    yield until(True)
    for p in list(svc.factory.active):
        p.transport.abortConnection()
    yield until(False)
    yield until(True)
    assert prober.stats.associations >= 2
    yield prober.stopService()


# -- real twistd processes ---------------------------------------------------------


class _Twistd(protocol.ProcessProtocol):
    """
    A twistd child: collects its output; C{ready} fires with the first SCTP
    port it logs as listening on; C{ended} with its exit status.
    """

    _listening = re.compile(r"starting on SCTP (\d+)")

    def __init__(self):
        self.output = ""
        self.ready = defer.Deferred()
        self.ended = defer.Deferred()

    def outReceived(self, data):
        self.output += data.decode("utf-8", "replace")
        if not self.ready.called:
            match = self._listening.search(self.output)
            if match:
                self.ready.callback(int(match.group(1)))

    errReceived = outReceived

    def processEnded(self, reason):
        if not self.ready.called:
            self.ready.errback(RuntimeError("twistd ended before listening:\n" + self.output))
            self.ready.addErrback(lambda f: None)  # when nobody waited for it
        self.ended.callback((reason.value.exitCode, reason.value.signal))


def _spawnTwistd(reactor, tmp_path, *args):
    child = _Twistd()
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    argv = [
        sys.executable, "-c", "from twisted.scripts.twistd import run; run()",
        "--nodaemon", "--pidfile=", "--logfile=-",
    ] + list(args)
    # No path= argument: in the current directory Twisted uses posix_spawn
    # rather than fork, which a large test process may not afford inside
    # the test kernel (ENOMEM).  --pidfile= and --logfile=- leave no files.
    transport = reactor.spawnProcess(child, sys.executable, argv, env=env)
    child.transport = transport
    return child


@defer.inlineCallbacks
def _stop(reactor, child):
    if not child.ended.called:
        try:
            child.transport.signalProcess("TERM")
        except error.ProcessExitedAlready:
            pass
    status = yield child.ended.addTimeout(PROCESS_TIMEOUT, reactor)
    return status


@pytest.fixture
def twistd(reactor, tmp_path):
    children = []

    def spawn(*args):
        child = _spawnTwistd(reactor, tmp_path, *args)
        children.append(child)
        return child

    yield spawn
    for child in children:
        if not child.ended.called:
            pytest_twisted.blockon(_stop(reactor, child))


@needsKernel
@pytest.mark.parametrize("style", ["one-to-one", "one-to-many"])
@pytest_twisted.inlineCallbacks
def test_twistdEcho(reactor, twistd, style):
    child = twistd("sctp-echo", "--listen", f"sctp:0:interface=127.0.0.1:style={style}")
    number = yield child.ready.addTimeout(PROCESS_TIMEOUT, reactor)
    client = yield clientFromString(reactor, f"sctp:host=127.0.0.1:port={number}").connect(
        protocol.Factory.forProtocol(Recorder)
    )
    client.transport.writeMessage(b"diameter?", stream=1, ppid=46, unordered=True)
    (data, info), = yield client.expect(1)
    assert (data, info.stream, info.ppid, info.unordered) == (b"diameter?", 1, 46, True)
    client.transport.loseConnection()
    yield client.lost
    # Stopping the server while an association is up ends it too.
    second = yield clientFromString(reactor, f"sctp:host=127.0.0.1:port={number}").connect(
        protocol.Factory.forProtocol(Recorder)
    )
    second.transport.writeMessage(b"m3ua?", ppid=3)
    yield second.expect(1)
    exitCode, signal = yield _stop(reactor, child)
    # twistd stops cleanly on SIGTERM, then exits by that signal.
    assert exitCode == 0 or signal == 15, child.output
    assert "Server Shut Down." in child.output
    yield second.lost.addTimeout(PROCESS_TIMEOUT, reactor)
    assert "up with" in child.output and "closed after 1 messages" in child.output


@needsKernel
@pytest_twisted.inlineCallbacks
def test_twistdWebOverSCTP(reactor, twistd, tmp_path):
    """
    An existing twistd plugin that takes an endpoint string serves HTTP
    over SCTP, to a raw client and to twisted.web's Agent.
    """
    root = tmp_path / "www"
    root.mkdir()
    (root / "hello.txt").write_bytes(b"Hello over SCTP\n")
    child = twistd("web", "--listen", "sctp:0:interface=127.0.0.1", "--path", str(root))
    number = yield child.ready.addTimeout(PROCESS_TIMEOUT, reactor)

    class HTTPClient(protocol.Protocol):
        def connectionMade(self):
            self.received = b""
            self.done = defer.Deferred()
            self.transport.write(
                b"GET /hello.txt HTTP/1.1\r\nHost: sctp-test\r\nConnection: close\r\n\r\n"
            )

        def dataReceived(self, data):
            self.received += data

        def connectionLost(self, reason):
            self.done.callback(self.received)

    client = yield clientFromString(reactor, f"sctp:127.0.0.1:{number}").connect(
        protocol.Factory.forProtocol(HTTPClient)
    )
    response = yield client.done.addTimeout(PROCESS_TIMEOUT, reactor)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), response
    assert body == b"Hello over SCTP\n"

    from twisted.web.client import Agent

    class SCTPEndpoints:
        def endpointForURI(self, uri):
            return clientFromString(reactor, f"sctp:127.0.0.1:{number}")

    agent = Agent.usingEndpointFactory(reactor, SCTPEndpoints())
    answer = yield agent.request(b"GET", b"http://sctp-test/hello.txt")
    assert answer.code == 200

    class Body(protocol.Protocol):
        def __init__(self):
            self.body = b""
            self.done = defer.Deferred()

        def dataReceived(self, data):
            self.body += data

        def connectionLost(self, reason):
            self.done.callback(self.body)

    body = Body()
    answer.deliverBody(body)
    assert (yield body.done) == b"Hello over SCTP\n"
    yield _stop(reactor, child)


@needsKernel
@pytest_twisted.inlineCallbacks
def test_twistdProbe(reactor, services, twistd):
    """
    twistd sctp-probe --count N reports N times against an echo server and
    exits by itself.
    """
    svc, (port,) = yield _startEcho(services, "sctp:0:interface=127.0.0.1")
    number = port.getHost().port
    child = twistd(
        "sctp-probe", "--connect", f"sctp:host=127.0.0.1:port={number}",
        "--interval", "0.3", "--ping-interval", "0.05", "--count", "3",
    )
    exitCode, signal = yield child.ended.addTimeout(PROCESS_TIMEOUT, reactor)
    assert (exitCode, signal) == (0, None), child.output
    assert "probe report 3" in child.output, child.output
    assert "127.0.0.1:%d ACTIVE (primary)" % number in child.output, child.output
    assert re.search(r"rtt min/avg/max [0-9.]+/[0-9.]+/[0-9.]+ ms", child.output), child.output


@needsKernel
@pytest_twisted.inlineCallbacks
def test_probePassive(reactor, services):
    """
    --passive sends nothing and still reports the kernel's view of the
    paths (for peers that do not echo).
    """
    from txsctp.endpoints import SCTPServerEndpoint

    class Silent(SCTPProtocol):
        received = 0

        def messageReceived(self, data, info):
            Silent.received += 1

    port = yield SCTPServerEndpoint(reactor, 0, "127.0.0.1").listen(
        protocol.Factory.forProtocol(Silent)
    )
    try:
        config = probeTap.Options()
        config.parseOptions([
            "--connect", f"sctp:127.0.0.1:{port.getHost().port}", "--passive",
            "--interval", "0.1",
        ])
        wanted = defer.Deferred()

        def onReport(fields):
            if fields["paths"] and not wanted.called:
                wanted.callback(fields)

        prober = probeTap.ProbeService(config, clientFromString(reactor, config["connect"]),
                                       clock=reactor, onReport=onReport)
        prober.startService()
        services.append(prober)
        fields = yield wanted.addTimeout(30, reactor)
        assert fields["pings"] == 0 and fields["txRate"] == 0 and fields["rtt"] is None
        assert [p["primary"] for p in fields["paths"]] == [True]
        assert Silent.received == 0
        yield prober.stopService()
    finally:
        yield port.stopListening()
