"""
Bad input: every public entry point given wrong types, out-of-range
values, malformed or mixed-family address lists, or called after close
raises a clear, documented error (TypeError / ValueError and their txsctp
subclasses, AddressFamilyError, StreamOutOfRangeError, MessageTooLongError,
AssociationClosedError, SocketClosedError, CannotListenError), at once;
the reactor keeps running and a live association next to it is not
affected (checked by an echo round trip after each batch of bad calls).

Also here: the limit on associations per port (maxAssociations: beyond it,
new associations are aborted as soon as they come up), a flood of
completed handshakes against it, and a flood of raw INIT chunks (never
completed: the kernel answers them statelessly with cookies, the process
never hears of them).
"""

from __future__ import annotations

import os
import random
import socket
import struct
import time

import pytest
import pytest_twisted

from twisted.internet import defer, error, protocol

from _peers import (  # noqa: F401
    SeqFactory,
    SeqProtocol,
    connectProtocol,
    openFds,
    peers,
    pollUntil,
    sctpAssociations,
    spawnPeer,
    withDeadline,
)
from txsctp import connectSCTP, listenSCTP
from txsctp.errors import (
    AddressFamilyError,
    AssociationClosedError,
    MessageTooLongError,
    SocketClosedError,
    StreamOutOfRangeError,
)
from txsctp.notifications import NotificationType
from txsctp.options import PRPolicy, RTOInfo
from txsctp.sctpsocket import ONE_TO_MANY, ONE_TO_ONE, SCTPSocket


class Echo(SeqProtocol):
    echo = True


@defer.inlineCallbacks
def _roundTrip(client, tag=b"still alive"):
    """
    One message there and back on a live association.
    """
    n = client.checker.count
    from peers import peerlib

    client.transport.writeMessage(peerlib.seqMessage(1, client.checker.next.get((0, 1), 0), 64), stream=1)
    yield withDeadline(client.expect(n + 1), 10, "an echo round trip")
    assert client.checker.errors == []


@pytest.fixture
def echoPair(reactor, listen, connect):
    """
    A live association: (port, client Protocol) with an echoing server.
    """
    port = listen(protocol.Factory.forProtocol(Echo), style="one-to-many", outStreams=4, inStreams=4)
    client = pytest_twisted.blockon(connect(port.getHost().port, SeqProtocol, outStreams=4, inStreams=4))
    return port, client


# -- listenSCTP -------------------------------------------------------------------------

LISTEN_CASES = [
    ({"port": "80"}, TypeError),
    ({"port": 1.5}, TypeError),
    ({"port": True}, TypeError),
    ({"port": -1}, ValueError),
    ({"port": 70000}, ValueError),
    ({"style": "many"}, ValueError),
    ({"style": None}, ValueError),
    ({"outStreams": 0}, ValueError),
    ({"outStreams": 70000}, ValueError),
    ({"outStreams": "8"}, TypeError),
    ({"inStreams": -3}, ValueError),
    ({"maxAttempts": 1.0}, TypeError),
    ({"maxInitTimeout": 1 << 20}, ValueError),
    ({"maxMessageSize": 0}, ValueError),
    ({"maxMessageSize": "16M"}, (TypeError, ValueError)),
    ({"maxAssociations": -1}, ValueError),
    ({"maxAssociations": "10"}, TypeError),
    ({"bufferSize": -1}, ValueError),
    ({"bufferSize": "big"}, TypeError),
    ({"maxQueuedBytes": -1}, ValueError),
    ({"maxQueuedBytes": 1.5}, TypeError),
    ({"bundle": "yes"}, TypeError),
    ({"bundle": 1}, TypeError),
]

# Address problems surface as CannotListenError (binding failed), whose
# socketError is the documented address error.
LISTEN_ADDRESS_CASES = [
    ("not-an-ip", AddressFamilyError),
    ("127.0.0.300", AddressFamilyError),
    (["127.0.0.1", "localhost"], AddressFamilyError),
    ([], ValueError),
    (["127.0.0.1", 5], TypeError),
    (123, TypeError),
    ("192.0.2.1", OSError),  # not a local address: EADDRNOTAVAIL
]

def _listenCase(kwargs, exc):
    return pytest.param(kwargs, exc, id=",".join(f"{k}={v!r}" for k, v in kwargs.items()))


@pytest.mark.parametrize("kwargs, exc", [_listenCase(k, e) for k, e in LISTEN_CASES])
def test_listen_rejects_bad_arguments(reactor, kwargs, exc):
    """
    listenSCTP with a wrong type or an out-of-range value raises at once;
    nothing is left listening.
    """
    fds = openFds()
    args = {"port": 0, "interface": "127.0.0.1", "reactor": reactor}
    args.update(kwargs)
    port = args.pop("port")
    with pytest.raises(exc):
        p = listenSCTP(port, protocol.Factory.forProtocol(Echo), **args)
        p.stopListening()
    assert openFds() == fds


@pytest.mark.parametrize("interface, cause", LISTEN_ADDRESS_CASES,
                         ids=[repr(i) for i, _ in LISTEN_ADDRESS_CASES])
def test_listen_rejects_bad_interfaces(reactor, interface, cause):
    """
    A malformed interface (or list of them) makes listenSCTP raise
    CannotListenError carrying the address error; no fd leaks.
    """
    fds = openFds()
    with pytest.raises(error.CannotListenError) as info:
        listenSCTP(0, protocol.Factory.forProtocol(Echo), interface=interface, reactor=reactor)
    assert isinstance(info.value.socketError, cause), info.value
    assert openFds() == fds


@pytest_twisted.inlineCallbacks
def test_mixed_family_interface_list_is_one_ipv6_socket(reactor, listen, connect):
    """
    A mixed IPv4/IPv6 interface list is legal: one AF_INET6 socket bound to
    both, which IPv4 peers reach too.
    """
    port = listen(protocol.Factory.forProtocol(Echo), interface=["127.0.0.1", "::1"], style="one-to-many",
                  outStreams=4, inStreams=4)
    hosts = set(port.getHost().addresses)
    assert {"127.0.0.1", "::1"} <= hosts, hosts
    for host in ("127.0.0.1", "::1"):
        client = yield connect(port.getHost().port, SeqProtocol, host=host, outStreams=4, inStreams=4)
        yield _roundTrip(client)
        client.transport.loseConnection()
        yield withDeadline(client.lost, 10, "close")


# -- connectSCTP -------------------------------------------------------------------------

CONNECT_CASES = [
    ({"host": 123}, TypeError),
    ({"host": None}, TypeError),
    ({"host": []}, ValueError),
    ({"host": ["127.0.0.1", 5]}, TypeError),
    ({"host": b"127.0.0.1"}, TypeError),
    ({"port": 0}, ValueError),
    ({"port": -1}, ValueError),
    ({"port": 65536}, ValueError),
    ({"port": "5000"}, TypeError),
    ({"bindAddress": "not-an-ip"}, AddressFamilyError),
    ({"bindAddress": [("127.0.0.1", 4000), ("127.0.0.2", 4001)]}, ValueError),
    ({"bindAddress": 5}, TypeError),
    ({"bindAddress": [("127.0.0.1",)]}, TypeError),
    ({"bindAddress": ("127.0.0.1", 70000)}, ValueError),
    ({"outStreams": 0}, ValueError),
    ({"maxAttempts": -1}, ValueError),
    ({"maxMessageSize": -1}, ValueError),
    ({"bundle": "on"}, TypeError),
]


@pytest.mark.parametrize("kwargs, exc", [
    pytest.param(k, e, id=",".join(f"{a}={v!r}" for a, v in k.items())) for k, e in CONNECT_CASES])
def test_connect_rejects_bad_arguments(reactor, kwargs, exc):
    """
    connectSCTP with a wrong type, an out-of-range value or a malformed
    address list raises at once (documented: TypeError, ValueError,
    AddressFamilyError); no fd leaks.
    """
    fds = openFds()
    args = {"host": "127.0.0.1", "port": 5000, "reactor": reactor}
    args.update(kwargs)
    host, port = args.pop("host"), args.pop("port")

    class F(protocol.ClientFactory):
        failed = None

        def clientConnectionFailed(self, connector, reason):
            self.failed = reason

    with pytest.raises(exc):
        c = connectSCTP(host, port, F(), **args)
        c.stopConnecting()
    assert openFds() == fds


@pytest_twisted.inlineCallbacks
def test_connect_to_unresolvable_name_fails_cleanly(reactor, connect):
    """
    A name that does not resolve (names are resolved by the reactor's
    resolver): clientConnectionFailed with a DNS lookup error, or with the
    connect timeout where the resolver itself cannot reach a name server
    (the test kernel has no network); no fd leaks.
    """
    fds = openFds()
    t0 = time.monotonic()
    with pytest.raises((error.DNSLookupError, error.TimeoutError)) as info:
        yield withDeadline(connect(5000, SeqProtocol, host="no-such-host.invalid", timeout=2), 30, "the failure")
    print(f"\nunresolvable name: {info.value!r} after {time.monotonic() - t0:.1f} s")
    assert openFds() == fds


@pytest_twisted.inlineCallbacks
def test_failed_name_resolution_is_reported_as_such(reactor, connect, monkeypatch):
    """
    When the reactor's resolver answers that a name does not exist, the
    connect fails at once with C{DNSLookupError} naming the resolver's
    reason -- not later, with the connect timeout.
    """
    monkeypatch.setattr(reactor, "resolve",
                        lambda name, *a, **k: defer.fail(error.DNSLookupError(f"{name}: no such host (test)")))
    fds = openFds()
    with pytest.raises(error.DNSLookupError) as info:
        yield withDeadline(connect(5000, SeqProtocol, host="no-such-host.invalid", timeout=20), 30, "the failure")
    assert "no such host (test)" in str(info.value)
    assert openFds() == fds


# -- writes on a live association ---------------------------------------------------------


def _raiseProblem(name, call, exc):
    """
    Call C{call}: C{None} if it raised C{exc}, else what went wrong.
    """
    try:
        call()
    except exc:
        return None
    except Exception as e:
        return f"{name}: raised {e!r}, expected {exc}"
    return f"{name}: did not raise (expected {exc})"


def _badWrites(t):
    big = b"x" * (t._handle.maxSendSize + 1)
    return [
        ("data str", lambda: t.writeMessage("text"), TypeError),
        ("data None", lambda: t.writeMessage(None), TypeError),
        ("data int", lambda: t.writeMessage(5), TypeError),
        ("data list", lambda: t.writeMessage([b"a"]), TypeError),
        ("data empty", lambda: t.writeMessage(b""), ValueError),
        ("stream -1", lambda: t.writeMessage(b"a", stream=-1), ValueError),
        ("stream == outboundStreams", lambda: t.writeMessage(b"a", stream=t.outboundStreams),
         StreamOutOfRangeError),
        ("stream 65536", lambda: t.writeMessage(b"a", stream=65536), ValueError),
        ("stream str", lambda: t.writeMessage(b"a", stream="1"), TypeError),
        ("stream float", lambda: t.writeMessage(b"a", stream=1.0), TypeError),
        ("ppid -1", lambda: t.writeMessage(b"a", ppid=-1), ValueError),
        ("ppid 2**32", lambda: t.writeMessage(b"a", ppid=1 << 32), ValueError),
        ("ppid str", lambda: t.writeMessage(b"a", ppid="46"), TypeError),
        ("context -1", lambda: t.writeMessage(b"a", context=-1), ValueError),
        ("context 2**32", lambda: t.writeMessage(b"a", context=1 << 32), ValueError),
        ("prPolicy 99", lambda: t.writeMessage(b"a", prPolicy=99, prValue=1), ValueError),
        ("prValue -1", lambda: t.writeMessage(b"a", prPolicy=PRPolicy.TTL, prValue=-1), ValueError),
        ("ttl -5", lambda: t.writeMessage(b"a", ttl=-5), ValueError),
        ("to malformed", lambda: t.writeMessage(b"a", to=("not-an-ip", 1)), AddressFamilyError),
        ("to not a tuple", lambda: t.writeMessage(b"a", to="127.0.0.1"), (TypeError, ValueError)),
        ("to bad port", lambda: t.writeMessage(b"a", to=("127.0.0.1", 70000)), ValueError),
        # Not one of the peer's addresses: the kernel would refuse it at
        # flush time (EADDRNOTAVAIL) and the association would be lost.
        ("to not a peer address", lambda: t.writeMessage(b"a", to=("127.0.0.9", t.getPeer().port)), OSError),
        ("to a peer address, other port", lambda: t.writeMessage(b"a", to=(t.getPeer().host, 9)), OSError),
    ] + ([
        # Queued, this would only fail when flushed, in the port's doWrite.
        ("to IPv6 on an AF_INET socket", lambda: t.writeMessage(b"a", to=("::1", 1)), AddressFamilyError),
    ] if t.socket.family == socket.AF_INET else []) + [
        ("too long", lambda: t.writeMessage(big), MessageTooLongError),
        # writeMessages takes all or none.
        ("writeMessages one payload", lambda: t.writeMessages(b"abc"), TypeError),
        ("writeMessages not iterable", lambda: t.writeMessages(5), TypeError),
        ("writeMessages a str among them", lambda: t.writeMessages([b"a", "b"]), TypeError),
        ("writeMessages an empty one", lambda: t.writeMessages([b"a", b""]), ValueError),
        ("writeMessages one too long", lambda: t.writeMessages([b"a", big]), MessageTooLongError),
        ("writeMessages stream == outboundStreams",
         lambda: t.writeMessages([b"a", b"b"], stream=t.outboundStreams), StreamOutOfRangeError),
        ("writeMessages ppid str", lambda: t.writeMessages([b"a"], ppid="46"), TypeError),
        ("writeMessages prPolicy 99", lambda: t.writeMessages([b"a"], prPolicy=99, prValue=1), ValueError),
        ("write str", lambda: t.write("text"), TypeError),
        ("writeSequence mixed", lambda: t.writeSequence([b"a", "b"]), TypeError),
        ("setPrimaryAddress malformed", lambda: t.setPrimaryAddress(("bogus", 1)), AddressFamilyError),
        ("setPrimaryAddress unknown", lambda: t.setPrimaryAddress(("192.0.2.9", 1)), OSError),
        ("peelOff one-to-one", lambda: t.peelOff(), ValueError),
    ]


@pytest_twisted.inlineCallbacks
def test_bad_writes_raise_and_leave_the_association_alone(reactor, echoPair):
    """
    Each bad writeMessage/write/writeSequence/setPrimaryAddress raises its
    documented error at once and queues nothing; the association still
    carries messages after them all.
    """
    port, client = echoPair
    t = client.transport
    yield _roundTrip(client)
    failures = []
    for name, call, exc in _badWrites(t):
        queued = t._queuedBytes
        problem = _raiseProblem(name, call, exc)
        if problem:
            failures.append(problem)
        if t._queuedBytes != queued:
            failures.append(f"{name}: queued something")
            break
        assert not t.disconnected, f"{name} broke the association"
    assert failures == []
    yield _roundTrip(client)
    # A huge to= destination and the like left no trace: close cleanly.
    t.loseConnection()
    reason = yield withDeadline(client.lost, 10, "the close")
    assert isinstance(reason, error.ConnectionDone), reason


@pytest_twisted.inlineCallbacks
def test_accepted_parameters_do_not_admit_lookalikes(reactor, echoPair):
    """
    writeMessage checks a parameter set on its first use and remembers it
    packed: a value equal to an accepted one but of a refused type (1.0 for
    1, a float TTL, a bool context) is still refused after the accepted one
    was used, and a flag of any truth value (even an unhashable one) still
    works.  Everything accepted arrives.
    """
    port, client = echoPair
    t = client.transport
    yield _roundTrip(client)
    accepted = [
        (dict(stream=1, ppid=5, context=0), [("stream 1.0", dict(stream=1.0, ppid=5), TypeError),
                                             ("ppid 5.0", dict(stream=1, ppid=5.0), TypeError)]),
        (dict(ttl=100), [("ttl 100.0", dict(ttl=100.0), ValueError),
                         ("ttl True", dict(ttl=True), ValueError)]),
        (dict(prPolicy=PRPolicy.RTX, prValue=2), [("prValue 2.0", dict(prPolicy=PRPolicy.RTX, prValue=2.0),
                                                   ValueError)]),
        (dict(context=1), [("context True", dict(context=True), ValueError)]),
    ]
    failures = []
    for good, lookalikes in accepted:
        t.writeMessage(b"good", **good)
        for name, kwargs, exc in lookalikes:
            queued = t._queuedBytes
            problem = _raiseProblem(name, lambda kwargs=kwargs: t.writeMessage(b"bad", **kwargs), exc)
            if problem:
                failures.append(problem)
            if t._queuedBytes != queued:
                failures.append(f"{name}: queued something")
    assert failures == []
    t.writeMessage(b"unordered, truth value 1", unordered=1)
    t.writeMessage(b"ordered, unhashable falsy flag", unordered=[])
    t.writeMessage(b"unordered, unhashable true flag", unordered=[1])
    # The echoes come back: none is a sequence message, so the client's
    # checker counts each as one it could not parse.
    n = client.checker.count
    yield withDeadline(client.expect(n + len(accepted) + 3), 10, "the echoes of the accepted writes")
    assert len(client.checker.errors) == len(accepted) + 3
    del client.checker.errors[:]
    yield _roundTrip(client)


@pytest_twisted.inlineCallbacks
def test_bad_writes_on_one_to_many_association(reactor, listen, echoPair):
    """
    The same bad writes on an association of a one-to-many port (opened
    with associate()) raise the same errors (peelOff is legal there), and
    a second association of that port is not disturbed.
    """
    port, other = echoPair
    local = listen(SeqFactory(), style="one-to-many", outStreams=4, inStreams=4)
    client = yield withDeadline(local.associate("127.0.0.1", port.getHost().port), 10, "associate")
    t = client.transport
    failures = []
    for name, call, exc in _badWrites(t):
        if name == "peelOff one-to-one":
            continue
        problem = _raiseProblem(name, call, exc)
        if problem:
            failures.append(problem)
    assert failures == []
    yield _roundTrip(client)
    yield _roundTrip(other)


# -- after close ---------------------------------------------------------------------------------


@pytest_twisted.inlineCallbacks
def test_calls_after_close(reactor, echoPair, listen):
    """
    After the association has closed: writes raise AssociationClosedError,
    closing again is a no-op, peelOff raises AssociationClosedError,
    whenSenderDry fails, whenClosed fires, a registered producer is told
    to stop; after stopListening, associate() fails and stopping again is
    harmless.  The other association of the port is unaffected.
    """
    port, client = echoPair
    other = yield withDeadline(_connectAnother(reactor, port), 10, "a second association")
    t = client.transport
    t.loseConnection()
    yield withDeadline(client.lost, 10, "the close")
    for _name, call in [("writeMessage", lambda: t.writeMessage(b"a")), ("write", lambda: t.write(b"a")),
                        ("writeSequence", lambda: t.writeSequence([b"a"])),
                        ("writeMessages", lambda: t.writeMessages([b"a", b"b"])), ("peelOff", t.peelOff)]:
        with pytest.raises(AssociationClosedError):
            call()
    t.loseConnection()
    t.abortConnection()
    # With the reason the association ended for: it was shut down cleanly.
    with pytest.raises(error.ConnectionDone):
        yield t.whenSenderDry()
    yield withDeadline(t.whenClosed(), 5, "whenClosed")

    class P:
        stopped = False

        def pauseProducing(self):
            pass

        def resumeProducing(self):
            pass

        def stopProducing(self):
            self.stopped = True

    prod = P()
    t.registerProducer(prod, True)
    assert prod.stopped
    yield _roundTrip(other)

    p2 = listen(SeqFactory(), style="one-to-many")
    yield p2.stopListening()
    yield p2.stopListening()
    with pytest.raises(Exception) as info:
        yield p2.associate("127.0.0.1", port.getHost().port)
    print(f"\nassociate() after stopListening: {info.value!r}")
    assert isinstance(info.value, (AssociationClosedError, error.ConnectError, OSError))
    yield _roundTrip(other)


def _connectAnother(reactor, port):
    return connectProtocol(reactor, "127.0.0.1", port.getHost().port, SeqProtocol, outStreams=4, inStreams=4)


# -- the socket layer ---------------------------------------------------------------------------------


def _socketCases(s4, s6):
    return [
        ("bindx v6 on AF_INET", lambda: s4.bindx(["::1"], 0), AddressFamilyError),
        ("bindx empty", lambda: s4.bindx([], 0), ValueError),
        ("bindx no port", lambda: s4.bindx(["127.0.0.1"]), ValueError),
        ("bindx port 70000", lambda: s4.bindx([("127.0.0.1", 70000)]), ValueError),
        ("bindx name", lambda: s4.bindx(["localhost"], 0), AddressFamilyError),
        ("bindx int", lambda: s4.bindx(5, 0), TypeError),
        ("connectx v6 on AF_INET", lambda: s4.connectx([("::1", 5)]), AddressFamilyError),
        ("connectx bad literal", lambda: s4.connectx([("256.1.1.1", 5)]), AddressFamilyError),
        ("connect not a tuple", lambda: s4.connect("127.0.0.1"), TypeError),
        ("bind 3-tuple", lambda: s4.bind(("127.0.0.1", 0, 0)), TypeError),
        ("sendMessage str", lambda: s4.sendMessage("x"), TypeError),
        ("sendMessage stream 65536", lambda: s4.sendMessage(b"x", 65536), ValueError),
        ("sendMessage ppid -1", lambda: s4.sendMessage(b"x", 0, -1), ValueError),
        ("sendMessage ppid 2**32", lambda: s4.sendMessage(b"x", 0, 1 << 32), ValueError),
        ("sendMessage assocId 2**31", lambda: s4.sendMessage(b"x", assocId=1 << 31), ValueError),
        ("sendMessage prPolicy", lambda: s4.sendMessage(b"x", prPolicy=7), ValueError),
        ("receiveBatch 0", lambda: s4.receiveBatch(0), ValueError),
        ("receiveBatch 1000", lambda: s4.receiveBatch(1000), ValueError),
        ("setReceiveSlotSize 1", lambda: s4.setReceiveSlotSize(1), ValueError),
        ("setAutoclose -1", lambda: s4.setAutoclose(-1), ValueError),
        ("setAuthKey number", lambda: s4.setAuthKey(70000, b"k"), ValueError),
        ("setAuthKey str key", lambda: s4.setAuthKey(1, "key"), TypeError),
        ("setActiveKey -1", lambda: s4.setActiveKey(-1), ValueError),
        ("addAuthChunk 256", lambda: s4.addAuthChunk(256), ValueError),
        ("addAuthChunk str", lambda: s4.addAuthChunk("DATA"), TypeError),
        ("setHmacIdents", lambda: s4.setHmacIdents([70000]), ValueError),
        ("setIntOption unknown", lambda: s4.setIntOption("noSuchOption", 1), (ValueError, KeyError)),
        ("setFragmentInterleave 3", lambda: s4.setFragmentInterleave(3), ValueError),
        ("peeloff one-to-one", lambda: s4.peeloff(1), OSError),
        ("peeloff assocId str", lambda: s6.peeloff("1"), TypeError),
        ("resetStreams nothing", lambda: s6.resetStreams([1], incoming=False, outgoing=False), ValueError),
        ("resetStreams 70000", lambda: s6.resetStreams([70000]), ValueError),
        ("getPeerAddrInfo malformed", lambda: s6.getPeerAddrInfo(("bogus", 1)), AddressFamilyError),
    ]


def test_socket_layer_rejects_bad_arguments():
    """
    The socket layer's entry points reject wrong types and values with
    TypeError / ValueError / AddressFamilyError (no system call made with
    garbage), and the socket stays usable.
    """
    with pytest.raises(AddressFamilyError):
        SCTPSocket(family=99)
    with pytest.raises(ValueError):
        SCTPSocket(style="many")
    s4 = SCTPSocket(socket.AF_INET, ONE_TO_ONE, blocking=False)
    s6 = SCTPSocket(socket.AF_INET6, ONE_TO_MANY, blocking=False)
    try:
        failures = []
        for name, call, exc in _socketCases(s4, s6):
            problem = _raiseProblem(name, call, exc)
            if problem:
                failures.append(problem)
        assert failures == []
        s4.bindx(["127.0.0.1"], 0)
        s4.listen()
        assert s4.getsockname()[0] == "127.0.0.1"
    finally:
        s4.close()
        s6.close()


def test_socket_bindx_with_different_ports():
    """
    bindx with (host, port) pairs on different ports is refused with
    ValueError before anything is bound: the socket can still be bound.
    """
    s = SCTPSocket(socket.AF_INET, ONE_TO_ONE, blocking=False)
    try:
        with pytest.raises(ValueError):
            s.bindx([("127.0.0.1", 0), ("127.0.0.2", 4321)])
        s.bindx(["127.0.0.1"], 0)
    finally:
        s.close()


def test_socket_layer_after_close():
    """
    Every socket-layer call on a closed socket raises SocketClosedError (an
    OSError with EBADF); closing twice is harmless.
    """
    s = SCTPSocket(socket.AF_INET, ONE_TO_MANY, blocking=False)
    s.close()
    s.close()
    assert s.closed and s.fileno() == -1
    calls = {
        "bind": lambda: s.bind(("127.0.0.1", 0)),
        "bindx": lambda: s.bindx(["127.0.0.1"], 0),
        "listen": lambda: s.listen(),
        "connectx": lambda: s.connectx([("127.0.0.1", 5)]),
        "sendMessage": lambda: s.sendMessage(b"x"),
        "sendBatch": lambda: s.sendBatch([(b"x", 0, 0, 0, 0, 0)]),
        "receiveBatch": lambda: s.receiveBatch(4),
        "receive": lambda: s.receive(),
        "peeloff": lambda: s.peeloff(1),
        "getStatus": lambda: s.getStatus(1),
        "getLocalAddresses": lambda: s.getLocalAddresses(),
        "setAuthKey": lambda: s.setAuthKey(1, b"k"),
        "setRTOInfo": lambda: s.setRTOInfo(RTOInfo(min=100)),
        "setblocking": lambda: s.setblocking(True),
        "getsockname": lambda: s.getsockname(),
        "subscribe": lambda: s.subscribe([NotificationType.ASSOC_CHANGE]),
    }
    wrong = {}
    for name, call in calls.items():
        try:
            call()
        except SocketClosedError:
            pass
        except Exception as e:
            wrong[name] = repr(e)
        else:
            wrong[name] = "no error"
    assert wrong == {}


# -- limits: maxAssociations and floods ---------------------------------------------------------


class _LimitStats(protocol.Factory):
    def __init__(self):
        self.live = 0
        self.most = 0
        self.built = 0

    def buildProtocol(self, addr):
        factory = self

        class P(Echo):
            def connectionMade(self):
                factory.live += 1
                factory.built += 1
                factory.most = max(factory.most, factory.live)

            def connectionLost(self, reason):
                factory.live -= 1
                Echo.connectionLost(self, reason)

        p = P()
        p.factory = self
        return p


@pytest.mark.parametrize("style", ["one-to-many", "one-to-one"])
@pytest_twisted.inlineCallbacks
def test_max_associations_limit(reactor, listen, peers, style):
    """
    maxAssociations=5: of 8 associations opened at once and kept open, 5
    are served (their message echoed) and 3 are aborted right after they
    come up; once the 5 close, new associations are served again.
    """
    factory = _LimitStats()
    port = listen(factory, style=style, maxAssociations=5, outStreams=4, inStreams=4)
    clients = spawnPeer(reactor, "manyclients", "--connect", "127.0.0.1", "--port", port.getHost().port,
                        "--timeout", "30")
    yield clients.waitFor("READY", 20)
    clients.send("hold a 8")
    line = yield clients.waitFor("WAVE a ", 60)
    fields = dict(f.split("=") for f in line.split()[2:])
    print(f"\n[{style}] 8 opened with maxAssociations=5: {line}")
    assert (fields["ok"], fields["bad"], fields["failed"]) == ("5", "0", "3"), clients.transcript()
    assert factory.live == 5 and factory.most == 5
    clients.send("release")
    yield clients.waitFor("RELEASED 5", 20)
    yield pollUntil(lambda: factory.live == 0, 20, "the 5 to close")
    clients.send("wave b 5")
    line = yield clients.waitFor("WAVE b ", 60)
    assert "ok=5 " in line, line


@pytest.mark.parametrize("style", ["one-to-many", "one-to-one"])
@pytest_twisted.inlineCallbacks
def test_handshake_flood_against_the_limit(reactor, listen, peers, style):
    """
    600 associations completing their handshakes at once against
    maxAssociations=50: never more than 50 Protocols live, the rest are
    aborted; the process's fds come back to where they were (one-to-one:
    the refused sockets are closed at once) and a legitimate association
    is served afterwards.
    """
    factory = _LimitStats()
    port = listen(factory, style=style, maxAssociations=50, outStreams=4, inStreams=4)
    clients = spawnPeer(reactor, "manyclients", "--connect", "127.0.0.1", "--port", port.getHost().port,
                        "--timeout", "60")
    yield clients.waitFor("READY", 20)
    fds = openFds()
    t0 = time.monotonic()
    clients.send("hold flood 600")
    line = yield clients.waitFor("WAVE flood ", 120)
    fields = dict(f.split("=") for f in line.split()[2:])
    print(f"\n[{style}] flood of 600 against maxAssociations=50 in {time.monotonic() - t0:.1f} s: {line}; "
          f"most live {factory.most}")
    assert fields["ok"] == "50" and fields["bad"] == "0", line
    assert factory.most == 50
    clients.send("release")
    yield clients.waitFor("RELEASED", 20)
    yield pollUntil(lambda: factory.live == 0, 30, "the held associations to close")
    yield pollUntil(lambda: openFds() == fds, 10, "the fds to come back",
                    detail=lambda: f"{len(openFds())} vs {len(fds)}")
    clients.send("wave after 3")
    line = yield clients.waitFor("WAVE after ", 60)
    assert "ok=3 " in line, line


def _snmp():
    with open("/proc/net/sctp/snmp") as f:
        return {k: int(v) for k, v in (line.split() for line in f if line.strip())}


def _crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _makeTable():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _makeTable()


def _initPacket(srcPort: int, dstPort: int) -> bytes:
    """
    An SCTP packet with one INIT chunk (RFC 9260 3.3.2), CRC32c set.
    """
    tag = random.randrange(1, 1 << 32)
    tsn = random.randrange(0, 1 << 32)
    chunk = struct.pack(">BBHIIHHI", 1, 0, 20, tag, 65535, 10, 10, tsn)
    header = struct.pack(">HHII", srcPort, dstPort, 0, 0)
    packet = header + chunk
    crc = _crc32c(packet)
    return packet[:8] + struct.pack("<I", crc) + packet[12:]


@pytest.mark.parametrize("style", ["one-to-many", "one-to-one"])
@pytest_twisted.inlineCallbacks
def test_raw_init_flood_never_reaches_the_process(reactor, listen, connect, style):
    """
    3,000 raw INIT chunks from random ports (never completed): the kernel
    answers each statelessly (INIT-ACK with a cookie), keeps no state, and
    the process sees nothing: no Protocol, no fd, no association; a real
    association is served right after.
    """
    if os.geteuid() != 0:
        pytest.skip("raw sockets need root")
    factory = _LimitStats()
    port = listen(factory, style=style, maxAssociations=10, outStreams=4, inStreams=4)
    target = port.getHost().port
    fds = openFds()
    before = _snmp()
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
    t0 = time.monotonic()
    try:
        for _ in range(3000):
            raw.sendto(_initPacket(random.randrange(20000, 60000), target), ("127.0.0.1", 0))
    finally:
        raw.close()
    sent = time.monotonic() - t0
    client = yield connect(target, SeqProtocol, outStreams=4, inStreams=4)
    yield _roundTrip(client)
    after = _snmp()
    assocs = port.getAssociations()
    kernel = sctpAssociations()
    print(f"\n[{style}] 3000 raw INITs sent in {sent:.2f} s; Protocols built: {factory.built} "
          f"(the real client's); associations in the kernel now: {len(kernel)}; kernel counters: "
          f"{ {k: after[k] - before[k] for k in ('SctpInCtrlChunks', 'SctpOutCtrlChunks', 'SctpChecksumErrors')} }")
    # The kernel did see (and answer) the INITs: they were well formed.
    assert after["SctpInCtrlChunks"] - before["SctpInCtrlChunks"] >= 3000
    assert after["SctpChecksumErrors"] == before["SctpChecksumErrors"]
    assert factory.built == 1
    assert len(assocs) == 1
    # The client's socket, and for one-to-one the accepted one: nothing else.
    assert len(openFds()) == len(fds) + (2 if style == "one-to-one" else 1)
    assert len(kernel) == 2  # the real association, seen from both ends
