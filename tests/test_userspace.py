"""
The userspace stack (usrsctp over UDP) behind the same Protocols, natively:
no kernel SCTP is needed, and none is used.

The transport's own suite (tests/test_transport.py) runs on this stack in a
subprocess; the tests here cover what is the userspace stack's own: UDP
ports of its own per port and connector, many associations, the timer that
runs only while associations exist, errors that name what the stack lacks,
bad datagrams thrown at a live port, usrsctp's own example programs as
peers, endpoint strings and twistd.
"""

from __future__ import annotations

import os
import random
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytest_twisted

from twisted.internet import defer, error, protocol

from _peers import withDeadline
from test_transport import Echo, EchoRecorder, Recorder, RecordingFactory

HERE = Path(__file__).parent
PROGRAMS = "/usr/lib/usrsctp"

try:
    import txsctp._usrsctp_extension  # noqa: F401
except ImportError as e:
    _missing = str(e)
else:
    _missing = ""

pytestmark = pytest.mark.skipif(bool(_missing), reason=f"the userspace stack is not built here: {_missing}")
needsPrograms = pytest.mark.skipif(
    not os.path.exists(os.path.join(PROGRAMS, "echo_server")),
    reason=f"usrsctp's example programs are not installed in {PROGRAMS} (Debian: libusrsctp-examples)")


def _driver():
    from txsctp import _userspace

    return _userspace._driver


def _listen(reactor, factory, **kwargs):
    from txsctp import listenSCTP

    kwargs.setdefault("interface", "127.0.0.1")
    kwargs.setdefault("udpPort", 0)
    return listenSCTP(0, factory, reactor=reactor, stack="userspace", **kwargs)


class _ClientFactory(protocol.ClientFactory):
    def __init__(self, build, d):
        self.build = build
        self.d = d

    def buildProtocol(self, addr):
        p = self.build()
        p.factory = self
        _clients.append(p)
        from twisted.internet import reactor

        reactor.callLater(0, self.d.callback, p)
        return p

    def clientConnectionFailed(self, connector, reason):
        if not self.d.called:
            self.d.errback(reason)


def _connect(reactor, port, build=Recorder, **kwargs):
    """
    connectSCTP on the userspace stack to a port made by L{_listen}: a
    Deferred firing with the connected Protocol.
    """
    from txsctp import connectSCTP

    d = defer.Deferred()
    host = port.getHost()
    connectSCTP("127.0.0.1", host.port, _ClientFactory(build, d), reactor=reactor, stack="userspace",
                remoteUdpPort=host.udpPort, **kwargs)
    return d


_clients: list = []


@pytest.fixture(autouse=True)
def quietAfterwards(reactor):
    """
    After each test, abort the associations its clients left up and wait
    until usrsctp has no association, closing socket or cleanup left: the
    socket layer's tests share the process's usrsctp and count what it
    holds.
    """
    yield
    while _clients:
        transport = getattr(_clients.pop(), "transport", None)
        if transport is not None and not transport.disconnected:
            transport.abortConnection()
    pytest_twisted.blockon(_idle(reactor, 30))
    driver = _driver()
    if driver is not None:
        driver._sweep()
        leftover = driver.usrsctp.sockets()
        assert leftover == [], leftover


@pytest.fixture
def ports(reactor):
    """
    Ports made by a test, stopped after it.
    """
    made = []
    yield made
    for p in made:
        d = p.stopListening()
        if d is not None:
            pytest_twisted.blockon(d)


@pytest_twisted.inlineCallbacks
def _idle(reactor, timeout=10.0):
    """
    Wait until usrsctp has no association and no cleanup left.
    """
    end = time.monotonic() + timeout
    while _driver() is not None and _driver().usrsctp.needsTimers():
        us = _driver().usrsctp
        assert time.monotonic() < end, (
            f"usrsctp still has {us.associationCount()} associations: open sockets "
            f"{[(s, s.associationCount()) for s in us.sockets()]}, closing {list(us._closing)}")
        yield _sleep(reactor, 0.02)


def _sleep(reactor, seconds):
    d = defer.Deferred()
    reactor.callLater(seconds, d.callback, None)
    return d


# -- the shared transport suite ----------------------------------------------


def test_transport_suite_on_userspace_stack():
    """
    tests/test_transport.py, every test of it, on the userspace stack: the
    same Protocol code works unchanged.  Only the tests of kernel features
    the userspace stack has no equivalent for are skipped, each saying
    which.
    """
    env = dict(os.environ, TXSCTP_TEST_STACK="userspace")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", str(HERE / "test_transport.py")],
        env=env, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900,
    )
    print(result.stdout[-4000:])
    assert "stack=userspace" in result.stdout
    assert result.returncode == 0, result.stdout[-4000:]
    skips = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skips and all("kernel SCTP only: " in line for line in skips), skips


# -- ports and associations ----------------------------------------------------


@pytest.mark.parametrize("style", ["one-to-one", "one-to-many"])
@pytest_twisted.inlineCallbacks
def test_echo_over_a_udp_port_of_its_own(reactor, ports, style):
    """
    A port with its own UDP port (udpPort=0: any free one) echoes a client
    whose UDP port is its own too; each end's address names the UDP port
    it is reached on.
    """
    factory = RecordingFactory(Echo)
    port = _listen(reactor, factory, style=style)
    ports.append(port)
    host = port.getHost()
    assert host.host == "127.0.0.1" and host.port and host.udpPort
    client = yield withDeadline(_connect(reactor, port, outStreams=5), 10, "the association")
    server = yield withDeadline(factory.connected, 10, "the server side")
    sent = []
    for i in range(20):
        data = b"message %d " % i + b"x" * i
        client.transport.writeMessage(data, stream=i % 5, ppid=1000 + i, unordered=i % 3 == 0)
        sent.append((data, i % 5, 1000 + i, i % 3 == 0))
    got = yield withDeadline(client.expect(20), 10, "the echoes")
    assert sorted((d, info.stream, info.ppid, info.unordered) for d, info in got) == sorted(sent)
    for stream in range(5):
        ordered = [d for d, info in got if info.stream == stream and not info.unordered]
        assert ordered == [d for d, s, _, u in sent if s == stream and not u]
    peer = client.transport.getPeer()
    assert (peer.host, peer.port, peer.udpPort) == ("127.0.0.1", host.port, host.udpPort)
    seen = server.transport.getPeer()
    assert seen.port == client.transport.getHost().port
    assert seen.udpPort == client.transport.getHost().udpPort != host.udpPort
    assert set(client.transport.getPathStates()) == {("127.0.0.1", host.port)}
    # Nothing is in flight: sender-dry comes at once, not with the next
    # packet (a heartbeat, 30 s later).
    yield withDeadline(client.transport.whenSenderDry(), 5, "sender dry")
    client.transport.loseConnection()
    yield withDeadline(client.lost, 10, "the client's end")
    assert isinstance(client.reason.value, error.ConnectionDone)


@pytest_twisted.inlineCallbacks
def test_hundred_associations_one_to_one(reactor, ports):
    """
    100 concurrent associations on one one-to-one port, each client with
    its own UDP port: each gets its own Protocol and transport, and every
    message reaches the right one.
    """
    factory = RecordingFactory(Echo)
    port = _listen(reactor, factory, backlog=200)
    ports.append(port)
    clients = yield withDeadline(defer.gatherResults([_connect(reactor, port) for _ in range(100)]), 60,
                                 "100 associations")
    for n, client in enumerate(clients):
        client.transport.writeMessage(b"client %d" % n, stream=n % 10)
    echoes = yield withDeadline(defer.gatherResults([c.expect(1) for c in clients]), 30, "100 echoes")
    assert [got[0][0] for got in echoes] == [b"client %d" % n for n in range(100)]
    assert len(factory.protocols) == 100
    assert len({id(p.transport) for p in factory.protocols}) == 100
    assert len({c.transport.getHost().udpPort for c in clients}) == 100
    for c in clients:
        c.transport.loseConnection()
    yield withDeadline(defer.gatherResults([c.lost for c in clients]), 30, "the ends")


@pytest_twisted.inlineCallbacks
def test_everything_queued_is_read(reactor, ports):
    """
    A read takes a bounded number of batches per wake-up, and usrsctp tells
    of new packets, not of data left unread: what a paused reader finds
    queued when it resumes -- more than one read takes, with nothing more
    arriving -- is still all delivered.
    """
    factory = RecordingFactory(Recorder)
    port = _listen(reactor, factory)
    ports.append(port)
    client = yield withDeadline(_connect(reactor, port), 10, "the association")
    server = yield withDeadline(factory.connected, 10, "the server side")
    server.transport.pauseProducing()
    total = 5000
    client.transport.writeMessages(struct.pack("!I", i) for i in range(total))
    yield withDeadline(client.transport.whenSenderDry(), 20, "everything acknowledged")
    server.transport.resumeProducing()
    got = yield withDeadline(server.expect(total), 20, "every message")
    assert [struct.unpack("!I", d)[0] for d, _ in got] == list(range(total))


@pytest_twisted.inlineCallbacks
def test_timer_runs_only_while_associations_exist(reactor, ports):
    """
    usrsctp's timers are driven from the reactor only while some
    association exists (or a closed one is cleaned up): a listening port
    alone schedules nothing.
    """
    yield _idle(reactor)
    port = _listen(reactor, protocol.Factory.forProtocol(Echo))
    ports.append(port)
    yield _sleep(reactor, 0.05)
    driver = _driver()
    assert driver._ticker is None
    client = yield withDeadline(_connect(reactor, port), 10, "the association")
    assert driver._ticker is not None and driver._ticker.active()
    client.transport.loseConnection()
    yield withDeadline(client.lost, 10, "the end")
    yield _idle(reactor)
    yield _sleep(reactor, 0.05)
    assert driver._ticker is None
    assert not [c for c in reactor.getDelayedCalls() if getattr(c.func, "__self__", None) is driver]


# -- what the userspace stack does not have -------------------------------------


@pytest_twisted.inlineCallbacks
def test_missing_features_are_named(reactor, ports):
    """
    What kernel SCTP has and usrsctp has not is refused with an error that
    names it, when it is asked for.
    """
    from txsctp import connectSCTP, listenSCTP
    from txsctp.errors import StackFeatureError
    from txsctp.options import PRPolicy

    with pytest.raises(StackFeatureError, match="multi-homing"):
        listenSCTP(0, protocol.Factory.forProtocol(Echo), interface=["127.0.0.1", "127.0.0.2"],
                   stack="userspace", udpPort=0)
    with pytest.raises(StackFeatureError, match="MSG_MORE"):
        listenSCTP(0, protocol.Factory.forProtocol(Echo), interface="127.0.0.1", stack="userspace",
                   udpPort=0, bundle=True)
    port = _listen(reactor, protocol.Factory.forProtocol(Echo))
    ports.append(port)
    d = defer.Deferred()
    connectSCTP(["127.0.0.1", "127.0.0.2"], port.getHost().port, _ClientFactory(Recorder, d),
                reactor=reactor, stack="userspace", remoteUdpPort=port.getHost().udpPort)
    with pytest.raises(error.ConnectError, match="multi-homing"):
        yield withDeadline(d, 10, "the refusal")
    client = yield withDeadline(_connect(reactor, port), 10, "the association")
    with pytest.raises(StackFeatureError, match="SCTP_PR_SCTP_PRIO"):
        client.transport.writeMessage(b"x", prPolicy=PRPolicy.PRIO, prValue=1)
    with pytest.raises(StackFeatureError, match="addAuthChunk"):
        client.transport.socket.addAuthChunk(0)
    with pytest.raises(AttributeError):
        client.transport.socket.noSuchOption()
    client.transport.writeMessage(b"with a lifetime", ttl=5000)
    got = yield withDeadline(client.expect(1), 10, "the echo")
    assert got[0][0] == b"with a lifetime"


def test_stack_names_and_udp_ports_are_checked(reactor):
    """
    An unknown stack, or a UDP port the chosen stack cannot use, is refused
    at once; nothing falls back from one stack to the other.
    """
    from txsctp import connectSCTP, listenSCTP

    factory = protocol.Factory.forProtocol(Echo)
    with pytest.raises(ValueError, match="stack must be"):
        listenSCTP(0, factory, stack="usrsctp")
    with pytest.raises(ValueError, match="net.sctp.udp_port"):
        listenSCTP(0, factory, udpPort=9899)
    with pytest.raises(ValueError, match="65535"):
        connectSCTP("127.0.0.1", 2905, protocol.ClientFactory(), stack="userspace", remoteUdpPort=70000)


def test_kernel_encapsulation_needs_the_hosts_udp_port(monkeypatch):
    """
    With the kernel stack, remoteUdpPort needs the host to receive SCTP
    over UDP (net.sctp.udp_port): where it is unset the error says so.
    """
    from txsctp import _kernelstack
    from txsctp.errors import StackFeatureError

    monkeypatch.setattr(_kernelstack, "_readUdpPort", lambda: 0)
    with pytest.raises(StackFeatureError, match=r"net\.sctp\.udp_port"):
        _kernelstack.KernelStack(remoteUdpPort=9899)
    monkeypatch.setattr(_kernelstack, "_readUdpPort", lambda: 9899)
    assert _kernelstack.KernelStack(remoteUdpPort=9900).remoteUdpPort == 9900


def test_without_usrsctp_one_error_names_the_package():
    """
    Where txsctp was built without usrsctp, asking for the userspace stack
    raises one error naming the package to install; the kernel stack is
    not affected.
    """
    code = (
        "import sys\n"
        "sys.modules['txsctp._usrsctp_cffi'] = None\n"
        "from twisted.internet.protocol import Factory\n"
        "from txsctp import listenSCTP\n"
        "from txsctp.errors import UserspaceStackUnavailableError\n"
        "import txsctp._kernelstack\n"
        "try:\n"
        "    listenSCTP(0, Factory(), stack='userspace')\n"
        "except UserspaceStackUnavailableError as e:\n"
        "    print('REFUSED', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("REFUSED")
    assert "libusrsctp-dev" in out.stdout and "usrsctp-devel" in out.stdout


# -- bad datagrams at a live port -----------------------------------------------


def _sctpPacket(srcPort, dstPort, tag, chunks):
    from _usrsctp_support import withChecksum

    return withChecksum(struct.pack("!HHII", srcPort, dstPort, tag, 0) + chunks)


def _junk(rng, sctpPort, tag):
    """
    One bad datagram: random bytes, a packet with a wrong checksum, a
    truncated or mangled chunk with a right checksum, or a malformed INIT.
    """
    kind = rng.randrange(6)
    if kind == 0:
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 1500)))
    if kind == 1:
        good = _sctpPacket(rng.randrange(1, 65536), sctpPort, tag, b"\x00\x03\x00\x14" + bytes(16))
        return good[:8] + bytes(4) + good[12:]
    if kind == 2:
        chunk = bytes([rng.randrange(256), rng.randrange(256)]) + struct.pack("!H", rng.choice(
            [0, 1, 3, 4, 5, 0xFFFF, rng.randrange(65536)])) + bytes(rng.getrandbits(8) for _ in range(
                rng.randrange(0, 64)))
        return _sctpPacket(rng.randrange(1, 65536), sctpPort, rng.choice([tag, rng.getrandbits(32)]), chunk)
    if kind == 3:
        init = struct.pack("!BBHIIHHI", 1, 0, 20, rng.getrandbits(32), 65536, 10, 10, 1)
        return _sctpPacket(rng.randrange(1, 65536), sctpPort, 0, init[:rng.randrange(4, 20)])
    if kind == 4:
        return _sctpPacket(rng.randrange(1, 65536), sctpPort, 0, b"\x01\x00\xff\xff" + bytes(12))
    return bytes(rng.randrange(1, 12))


@pytest_twisted.inlineCallbacks
def test_bad_datagrams_reach_no_protocol_while_an_association_lives(reactor, ports):
    """
    Random and mutated datagrams thrown at a live port -- from strangers and
    from the live peer's own UDP endpoint -- crash nothing, reach no
    Protocol and cost the live association no message: every message is
    echoed once, in order, and neither end hears of anything but its own
    association coming up.
    """
    from txsctp.notifications import AssociationChange, AssociationState

    rng = random.Random(20261207)
    factory = RecordingFactory(EchoRecorder)
    port = _listen(reactor, factory)
    ports.append(port)
    target = ("127.0.0.1", port.getHost().udpPort)
    client = yield withDeadline(_connect(reactor, port), 10, "the association")
    clientEndpoint = _driver()._shared.get(("", client.transport.getHost().udpPort)) or next(
        ep for ep in _driver()._endpoints.values() if ep.getHost().port == client.transport.getHost().udpPort)
    strangers = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(20)]
    total = 300
    try:
        for i in range(total):
            client.transport.writeMessage(struct.pack("!I", i), stream=i % 4)
            for _ in range(10):
                bad = _junk(rng, port.getHost().port, rng.getrandbits(32))
                if rng.random() < 0.3:
                    clientEndpoint.socket.sendto(bad, target)
                else:
                    rng.choice(strangers).sendto(bad, target)
            if i % 20 == 0:
                yield _sleep(reactor, 0)
        got = yield withDeadline(client.expect(total), 30, "every echo")
    finally:
        for s in strangers:
            s.close()
    assert sorted(struct.unpack("!I", d)[0] for d, _ in got) == list(range(total))
    for stream in range(4):
        assert [struct.unpack("!I", d)[0] for d, info in got if info.stream == stream] == list(
            range(stream, total, 4))
    assert len(client.messages) == total
    assert len(factory.protocols) == 1
    for notes in (client.notifications, factory.protocols[0].notifications):
        changes = [n for n in notes if isinstance(n, AssociationChange)]
        assert [n.state for n in changes] == [AssociationState.COMM_UP]
    stats = _driver().usrsctp.stats()
    assert stats["usrsctp_checksumerrors"] > 0


@pytest_twisted.inlineCallbacks
def test_a_flood_of_new_sources_is_capped(reactor, ports, monkeypatch):
    """
    Datagrams from more new UDP endpoints than a port takes (none of them
    an association) are dropped, not given handles; the live association
    goes on.
    """
    from txsctp import _userspace

    monkeypatch.setattr(_userspace, "MAX_NEW_HANDLES", 16)
    port = _listen(reactor, protocol.Factory.forProtocol(Echo))
    ports.append(port)
    client = yield withDeadline(_connect(reactor, port), 10, "the association")
    ep = next(e for e in _driver()._endpoints.values() if e.getHost().port == port.getHost().udpPort)
    strangers = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(60)]
    try:
        for s in strangers:
            s.sendto(b"\x00" * 12, ("127.0.0.1", port.getHost().udpPort))
        yield _sleep(reactor, 0.2)
    finally:
        for s in strangers:
            s.close()
    assert ep.dropped >= 40
    assert len(ep.handles) <= 16 + 1
    client.transport.writeMessage(b"still here")
    got = yield withDeadline(client.expect(1), 10, "the echo")
    assert got[0][0] == b"still here"


# -- usrsctp's own programs as peers -------------------------------------------


def _freeUdpPort():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest_twisted.inlineCallbacks
def _waitForUdpPort(reactor, udpPort, proc, timeout=10):
    from test_usrsctp_interop import udpPortBound

    end = time.monotonic() + timeout
    while not udpPortBound(udpPort):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, f"nothing bound UDP port {udpPort}"
        yield _sleep(reactor, 0.02)


@needsPrograms
@pytest_twisted.inlineCallbacks
def test_client_against_usrsctps_echo_server(reactor):
    """
    A txsctp client against usrsctp's echo_server (SCTP port 7 over its UDP
    port): streams and PPIDs come back as sent.
    """
    from txsctp import connectSCTP

    udpPort = _freeUdpPort()
    proc = subprocess.Popen([os.path.join(PROGRAMS, "echo_server"), str(udpPort)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield _waitForUdpPort(reactor, udpPort, proc)
        client = None
        for _ in range(40):
            # Its UDP port is bound before its SCTP port listens: an INIT in
            # between is refused.  Try again.
            d = defer.Deferred()
            connectSCTP("127.0.0.1", 7, _ClientFactory(Recorder, d), reactor=reactor, stack="userspace",
                        remoteUdpPort=udpPort, outStreams=5)
            try:
                client = yield withDeadline(d, 10, "the association")
                break
            except error.ConnectError:
                yield _sleep(reactor, 0.05)
        assert client is not None
        sent = []
        for i in range(10):
            data = b"message %d" % i + b"!" * (i * 300)
            client.transport.writeMessage(data, stream=i % 5, ppid=0x4000 + i)
            sent.append((data, i % 5, 0x4000 + i))
        got = yield withDeadline(client.expect(10), 10, "the echoes")
        assert sorted((d, info.stream, info.ppid) for d, info in got) == sorted(sent)
        client.transport.loseConnection()
        yield withDeadline(client.lost, 10, "the end")
        assert isinstance(client.reason.value, error.ConnectionDone)
    finally:
        proc.kill()
        proc.wait()


class _Upper(Recorder):
    def messageReceived(self, data, info):
        Recorder.messageReceived(self, data, info)
        self.transport.writeMessage(data.upper(), stream=info.stream, ppid=info.ppid)


@needsPrograms
@pytest_twisted.inlineCallbacks
def test_usrsctps_client_against_our_server(reactor, ports):
    """
    usrsctp's client program against a txsctp server: it sends its input
    lines, prints what comes back and shuts down at the end of its input.
    """
    factory = RecordingFactory(_Upper)
    port = _listen(reactor, factory)
    ports.append(port)
    clientUdpPort = _freeUdpPort()
    proc = subprocess.Popen(
        [os.path.join(PROGRAMS, "client"), "127.0.0.1", str(port.getHost().port), "0", str(clientUdpPort),
         str(port.getHost().udpPort)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        server = yield withDeadline(factory.connected, 15, "the association from the client program")
        proc.stdin.write(b"hello\nsctp over udp\n")
        proc.stdin.flush()
        yield withDeadline(server.expect(1), 10, "the client program's lines")
        os.set_blocking(proc.stdout.fileno(), False)
        out = b""
        end = time.monotonic() + 15
        while b"HELLO\nSCTP OVER UDP\n" not in out:
            assert time.monotonic() < end, out
            out += proc.stdout.read() or b""
            yield _sleep(reactor, 0.02)
        proc.stdin.close()
        yield withDeadline(server.lost, 15, "the client program's shutdown")
        assert isinstance(server.reason.value, error.ConnectionDone)
    finally:
        proc.kill()
        proc.wait()


# -- endpoint strings and twistd --------------------------------------------------


@pytest_twisted.inlineCallbacks
def test_endpoint_strings_take_the_stack(reactor):
    """
    sctp: endpoint strings take stack, udpPort and remoteUdpPort.
    """
    from twisted.internet.endpoints import clientFromString, serverFromString

    factory = RecordingFactory(Echo)
    server = serverFromString(reactor, "sctp:0:interface=127.0.0.1:stack=userspace:udpPort=0")
    port = yield server.listen(factory)
    try:
        host = port.getHost()
        client = clientFromString(
            reactor, f"sctp:host=127.0.0.1:port={host.port}:stack=userspace:remoteUdpPort={host.udpPort}")
        proto = yield withDeadline(client.connect(protocol.Factory.forProtocol(Recorder)), 10, "the association")
        proto.transport.writeMessage(b"through endpoint strings", ppid=3)
        got = yield withDeadline(proto.expect(1), 10, "the echo")
        assert (got[0][0], got[0][1].ppid) == (b"through endpoint strings", 3)
        proto.transport.loseConnection()
        yield withDeadline(proto.lost, 10, "the end")
    finally:
        yield port.stopListening()


@pytest_twisted.inlineCallbacks
def test_twistd_echo_plugin_on_the_userspace_stack(reactor):
    """
    twistd's sctp-echo plugin runs on the userspace stack from its endpoint
    string alone, with no kernel SCTP.
    """
    udpPort = _freeUdpPort()
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    proc = subprocess.Popen(
        [sys.executable, "-m", "twisted", "--log-format", "text", "sctp-echo", "--listen",
         f"sctp:2905:interface=127.0.0.1:stack=userspace:udpPort={udpPort}"],
        cwd=HERE.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield _waitForUdpPort(reactor, udpPort, proc, timeout=30)
        from txsctp import connectSCTP

        d = defer.Deferred()
        connectSCTP("127.0.0.1", 2905, _ClientFactory(Recorder, d), reactor=reactor, stack="userspace",
                    remoteUdpPort=udpPort)
        client = yield withDeadline(d, 15, "the association with twistd")
        client.transport.writeMessage(b"hello twistd", stream=1, ppid=46)
        got = yield withDeadline(client.expect(1), 10, "the echo")
        assert (got[0][0], got[0][1].stream, got[0][1].ppid) == (b"hello twistd", 1, 46)
        client.transport.loseConnection()
        yield withDeadline(client.lost, 10, "the end")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_demo_runs_natively_on_the_userspace_stack():
    """
    scripts/demo --stack userspace runs the demo on this host, with no
    kernel SCTP and no test kernel.
    """
    env = dict(os.environ, TXSCTP_BOOTSTRAP_SKIP_APT="1", TXSCTP_RUNNER_MODE="fail-if-used")
    out = subprocess.run([str(HERE.parent / "scripts" / "demo"), "--stack", "userspace"], cwd=HERE.parent,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "over the userspace stack" in out.stdout
    assert "demo OK: 7 messages on 6 streams" in out.stdout
