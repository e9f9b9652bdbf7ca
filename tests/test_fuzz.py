"""
Property-based fuzzing (hypothesis) of what txsctp decodes and accepts:

  - Notifications: real notification bytes captured from the kernel
    (association up/lost with ABORT causes, shutdown, sender dry, send
    failed with its payload, cannot start...), mutated (bytes flipped,
    truncated, extended, length fields rewritten), through
    C{parseNotification} and on into C{SCTPProtocol.notificationReceived}:
    never an exception, always a Notification, always a callback.
    (tests/test_notifications.py fuzzes the parser with synthetic bytes.)
  - The receive path's ancillary data (SCTP_RCVINFO / SCTP_NXTINFO decoded
    in C by the batched receive): random messages (sizes across receive
    slot boundaries, streams, PPIDs over the whole 32-bit range, ordered
    and unordered) through a real association, read with random slot and
    batch sizes: every message comes back whole, with its own stream, PPID,
    flags and association id, in order per stream.
  - writeMessage on a live association with arguments of random types and
    values: it either queues the message or raises a documented error
    (TypeError, ValueError and their txsctp subclasses); the association
    carries every accepted message afterwards.
  - Endpoint descriptions ("sctp:..." for serverFromString /
    clientFromString, txsctp/_parser.py), generated from the grammar with
    random values: ValueError or an endpoint, never anything else; valid
    ones parse to what they say.  (tests/test_parser.py fuzzes free text.)
"""

from __future__ import annotations

import os
import socket
import struct
import time

import pytest
import pytest_twisted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twisted.internet import defer, protocol

from _peers import withDeadline
from txsctp import SCTPProtocol
from txsctp._assembly import MessageAssembler
from txsctp.errors import MessageTooLongError
from txsctp.info import Message
from txsctp.notifications import Notification, NotificationType, UnknownNotification, parseNotification
from txsctp.options import InitMsg, Tuning
from txsctp.sctpsocket import ONE_TO_MANY, ONE_TO_ONE, SCTPSocket

MSG_NOTIFICATION = 0x8000
_ALL_EVENTS = list(NotificationType)


# -- notifications captured from the kernel ----------------------------------------------------


def _blocking(style, events=_ALL_EVENTS, family=socket.AF_INET):
    s = SCTPSocket(family, style, events=[e for e in events if e != NotificationType.SEND_FAILED],
                   tuning=Tuning(nodelay=True, sendBufferSize=None, receiveBufferSize=None),
                   initMsg=InitMsg(numOutStreams=10, maxInStreams=10))
    s.setTimeouts(receive=5, send=5)
    return s


def _rawNotifications(sock, count=64):
    """
    Raw bytes of the notifications queued on C{sock} (data is skipped).
    """
    out = []
    sock._sock.setblocking(False)
    try:
        for _ in range(count):
            try:
                data, _, flags, _ = sock._sock.recvmsg(1 << 16)
            except BlockingIOError:
                break
            if flags & MSG_NOTIFICATION:
                out.append(data)
    finally:
        sock._sock.setblocking(True)
    return out


def _settle(sock, seconds=0.5):
    """
    Wait (with a deadline, no sleeping) until something is readable.
    """
    import select

    select.select([sock.fileno()], [], [], seconds)


def _drainBoth(a, b, rounds):
    """
    The raw notifications of both ends, gathered over C{rounds} rounds of
    waiting for each to have something.
    """
    samples = []
    for _ in range(rounds):
        _settle(a)
        samples += _rawNotifications(a)
        _settle(b)
        samples += _rawNotifications(b)
    return samples


@pytest.fixture(scope="module")
def captured():
    """
    Real notification bytes from a few associations' lives.
    """
    samples = []
    server = _blocking(ONE_TO_MANY)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    # 1. up, sender dry, data, peer shutdown, shutdown complete.
    c = _blocking(ONE_TO_ONE)
    c.connect(("127.0.0.1", port))
    c.sendMessage(b"hello", 1, 46)
    _settle(server)
    c.shutdown(socket.SHUT_WR)
    samples += _drainBoth(server, c, rounds=4)
    c.close()
    # 2. the primary path set (PEER_ADDR_CHANGE: made primary); then
    # messages the peer cannot take (it reads nothing) and an ABORT with a
    # reason: COMM_LOST with the causes, SEND_FAILED_EVENT with payloads.
    m = _blocking(ONE_TO_MANY)
    m.bind(("127.0.0.1", 0))
    assoc = m.connectx([("127.0.0.1", port)])
    _settle(server)
    samples += _rawNotifications(server)
    m.setPrimaryAddress(("127.0.0.1", port), assoc)
    m._sock.setblocking(False)
    try:
        for _ in range(200):
            m.sendMessage(b"x" * 60000, 2, 7, assocId=assoc)
    except BlockingIOError:
        pass
    m._sock.setblocking(True)
    m.sendMessage(b"bye-bye", abort=True, assocId=assoc)
    samples += _drainBoth(server, m, rounds=3)
    m.close()
    # 3. cannot start: nothing listens there.
    free = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)
    free.bind(("127.0.0.1", 0))
    closedPort = free.getsockname()[1]
    free.close()
    n = _blocking(ONE_TO_MANY)
    n._sock.setblocking(False)
    try:
        n.connectx([("127.0.0.1", closedPort)])
    except OSError:
        pass
    n._sock.setblocking(True)
    _settle(n, 2)
    samples += _rawNotifications(n)
    n.close()
    server.close()
    types = sorted({struct.unpack_from("=H", s)[0] for s in samples if len(s) >= 2})
    print(f"\ncaptured {len(samples)} notifications of types {[hex(t) for t in types]}")
    assert {int(NotificationType.ASSOC_CHANGE), int(NotificationType.PEER_ADDR_CHANGE),
            int(NotificationType.SHUTDOWN_EVENT), int(NotificationType.SENDER_DRY_EVENT),
            int(NotificationType.SEND_FAILED_EVENT)} <= set(types), [hex(t) for t in types]
    return samples


class _Recorder(SCTPProtocol):
    def __init__(self):
        self.called = []

    def __getattribute__(self, name):
        value = object.__getattribute__(self, name)
        if name in _CALLBACKS:
            called = object.__getattribute__(self, "called")

            def wrapper(n, _value=value, _name=name):
                called.append(_name)
                return _value(n)
            return wrapper
        return value


_CALLBACKS = {
    "associationUp", "associationRestarted", "associationLost", "shutdownComplete",
    "cannotStartAssociation", "peerAddressChanged", "sendFailed", "remoteErrorReceived",
    "shutdownReceived", "senderDry", "adaptationIndication", "partialDeliveryAborted",
    "authenticationEvent", "streamReset", "associationReset", "streamChange",
    "unknownNotificationReceived",
}


@st.composite
def _mutations(draw, samples):
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "extend", "length", "type"]))
        if kind == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            data = data[:draw(st.integers(0, len(data)))]
        elif kind == "extend":
            data += draw(st.binary(max_size=64))
        elif kind == "length" and len(data) >= 8:
            struct.pack_into("=I", data, 4, draw(st.one_of(st.integers(0, 64), st.integers(0, 0xFFFFFFFF))))
        elif kind == "type" and len(data) >= 2:
            struct.pack_into("=H", data, 0, draw(st.sampled_from([int(t) for t in _ALL_EVENTS] + [0x8000])))
    return bytes(data)


def test_mutated_real_notifications(captured):
    """
    Mutations of real notifications: parseNotification returns a
    Notification (never raises), and the Protocol's dispatcher calls
    exactly one callback for it, without raising.
    """
    samples = captured
    for raw in samples:
        n = parseNotification(raw)
        assert not isinstance(n, UnknownNotification), (raw, n)

    @settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_mutations(samples))
    def check(data):
        n = parseNotification(data)
        assert isinstance(n, Notification)
        repr(n)
        p = _Recorder()
        p.notificationReceived(n)
        assert len(p.called) == 1, p.called

    check()


# -- the receive path's ancillary data ---------------------------------------------------------

_message = st.tuples(
    st.one_of(st.integers(1, 200), st.integers(1, 5000), st.sampled_from([63, 64, 65, 1452, 1453, 4096])),
    st.integers(0, 9),
    st.one_of(st.integers(0, 0xFFFFFFFF), st.sampled_from([0, 1, 46, 0x01020304, 0xFFFFFFFF])),
    st.booleans(),
)


@pytest.fixture(scope="module")
def association():
    """
    A one-to-one client and the one-to-many server it is associated with
    (RCVINFO and NXTINFO on), blocking with deadlines.
    """
    server = _blocking(ONE_TO_MANY, events=[NotificationType.ASSOC_CHANGE])
    server.setIntOption("recvNxtInfo", 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = _blocking(ONE_TO_ONE, events=[NotificationType.ASSOC_CHANGE])
    client.connect(server.getsockname())
    up = server.receiveMessage()
    assocId = up.assocId
    _rawNotifications(client)
    yield client, server, assocId
    client.close()
    server.close()


def test_ancillary_data_through_real_traffic(association):
    """
    Random messages through a real association, received with random slot
    and batch sizes: each comes back whole with its stream, PPID, unordered
    flag and association id; ordered ones in order per stream; NXTINFO,
    when present, describes the next message.
    """
    client, server, assocId = association

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                     HealthCheck.function_scoped_fixture])
    @given(st.lists(_message, min_size=1, max_size=40),
           st.sampled_from([64, 100, 1000, 1500, 4096, 65536]),
           st.integers(1, 64))
    def check(messages, slot, batch):
        sent = []
        for i, (size, stream, ppid, unordered) in enumerate(messages):
            data = (b"%d:" % i + bytes(range(256)) * (size // 256 + 1))[:size]
            client.sendMessage(data, stream, ppid, unordered=unordered)
            sent.append((data, stream, ppid, unordered))
        server.setReceiveSlotSize(slot)
        assembler = MessageAssembler(1 << 20)
        got = []
        deadline = time.monotonic() + 10
        while len(got) < len(sent):
            assert time.monotonic() < deadline, f"{len(got)} of {len(sent)} received"
            for item in server.receiveBatch(batch):
                assert isinstance(item, Message), item
                assert item.info.assocId == assocId
                whole = assembler.feed(item)
                if whole is not None:
                    got.append(whole)
        assert assembler.pendingBytes() == 0
        received = [(m.data, m.info.stream, m.info.ppid, m.info.unordered) for m in got]
        assert sorted(received) == sorted(sent)
        for s in range(10):
            ordered = [d for d, st_, _, u in received if st_ == s and not u]
            assert ordered == [d for d, st_, _, u in sent if st_ == s and not u]

    check()


# -- writeMessage with random arguments -------------------------------------------------------------

_anything = st.one_of(
    st.none(), st.booleans(), st.integers(-(1 << 40), 1 << 40), st.floats(allow_nan=True),
    st.text(max_size=5), st.binary(max_size=5), st.lists(st.integers(), max_size=2),
    st.tuples(st.text(max_size=9), st.integers(-5, 70000)),
)


def _mostly(valid):
    """
    C{valid} three times in four, anything else otherwise.
    """
    return st.integers(0, 3).flatmap(lambda k: valid if k else _anything)


class _Counter(SCTPProtocol):
    """
    Counts messages, and messages reported undelivered (sendFailed).
    """

    def __init__(self):
        self.count = 0
        self.failed = 0
        self.waits = []

    def messageReceived(self, data, info):
        self.count += 1
        self._poke()

    def sendFailed(self, notification):
        self.failed += 1
        self._poke()

    def _poke(self):
        for w in list(self.waits):
            if self.count + self.failed >= w[0]:
                self.waits.remove(w)
                w[1].callback(None)

    def expect(self, n):
        d = defer.Deferred()
        if self.count + self.failed >= n:
            d.callback(None)
        else:
            self.waits.append((n, d))
        return d


class _Echo(SCTPProtocol):
    def messageReceived(self, data, info):
        self.transport.writeMessage(data, stream=info.stream, ppid=info.ppid, unordered=info.unordered)


@pytest_twisted.inlineCallbacks
def test_write_message_with_random_arguments(reactor, listen, connect):
    """
    writeMessage(data, stream=, ppid=, unordered=, ttl=, context=) with
    values of random types: it queues the message or raises TypeError /
    ValueError (or a txsctp subclass: StreamOutOfRangeError,
    MessageTooLongError, AddressFamilyError); every message it accepted is
    then delivered (and echoed back), except that one with a PR-SCTP
    lifetime (ttl) may instead be abandoned and reported by sendFailed.
    """
    port = listen(protocol.Factory.forProtocol(_Echo), style="one-to-many", outStreams=8, inStreams=8)
    client = yield connect(port.getHost().port, _Counter, outStreams=8, inStreams=8)
    t = client.transport
    accepted = [0]
    reliable = [0]
    unexpected = []
    rejected = {}

    @settings(max_examples=500, deadline=None)
    @given(_mostly(st.binary(min_size=1, max_size=64)),
           _mostly(st.integers(-1, 8)),
           _mostly(st.integers(0, 0xFFFFFFFF)),
           _mostly(st.booleans()),
           _mostly(st.one_of(st.none(), st.integers(0, 10000))),
           _mostly(st.integers(0, 5)))
    def check(data, stream, ppid, unordered, ttl, context):
        try:
            t.writeMessage(data, stream=stream, ppid=ppid, unordered=unordered, ttl=ttl, context=context)
        except (TypeError, ValueError, MessageTooLongError) as e:
            rejected[type(e).__name__] = rejected.get(type(e).__name__, 0) + 1
            return
        except Exception as e:  # pragma: no cover - what the test looks for
            unexpected.append(f"writeMessage({data!r}, {stream!r}, {ppid!r}, {unordered!r}, {ttl!r}, "
                              f"{context!r}) raised {e!r}")
            return
        accepted[0] += 1
        if ttl is None:
            reliable[0] += 1

    check()
    assert unexpected == []
    yield withDeadline(client.expect(accepted[0]), 30, "every accepted message to come back",
                       detail=lambda: f"{client.count} of {accepted[0]} back, {client.failed} reported unsent")
    print(f"\n{accepted[0]} of the random writes were accepted ({reliable[0]} without a ttl); "
          f"rejected: {rejected}; {client.count} came back, {client.failed} (with a ttl) were abandoned "
          "and reported through sendFailed")
    assert client.count >= reliable[0]
    assert not t.disconnected


@pytest_twisted.inlineCallbacks
def test_write_messages_with_random_arguments(reactor, listen, connect):
    """
    writeMessages(messages, stream=, ppid=, unordered=) with lists of
    random payloads (now and then one that is not bytes, or empty), now
    and then something that is not a list of payloads, and parameters of
    random types: it queues all of them or raises TypeError / ValueError
    (or a txsctp subclass) having queued none; every message it accepted
    is then delivered (and echoed back).
    """
    port = listen(protocol.Factory.forProtocol(_Echo), style="one-to-many", outStreams=8, inStreams=8)
    client = yield connect(port.getHost().port, _Counter, outStreams=8, inStreams=8)
    t = client.transport
    accepted = [0]
    unexpected = []
    rejected = {}
    payload = st.binary(min_size=1, max_size=64)
    # Half the lists are all payloads, a quarter may hold anything.
    messages = st.one_of(st.lists(payload, max_size=12), st.lists(payload, max_size=12),
                         st.lists(st.one_of(payload, payload, payload, st.just(b""), _anything), max_size=12),
                         _anything)

    @settings(max_examples=300, deadline=None)
    @given(messages, st.one_of(st.integers(0, 7), st.integers(0, 7), _anything),
           st.one_of(st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF), _anything), _mostly(st.booleans()))
    def check(messages, stream, ppid, unordered):
        queued = t._queuedBytes
        try:
            t.writeMessages(messages, stream=stream, ppid=ppid, unordered=unordered)
        except (TypeError, ValueError, MessageTooLongError) as e:
            rejected[type(e).__name__] = rejected.get(type(e).__name__, 0) + 1
            if t._queuedBytes != queued:  # pragma: no cover - what the test looks for
                unexpected.append(f"writeMessages({messages!r}, {stream!r}, {ppid!r}, {unordered!r}) raised "
                                  f"{e!r} after queueing {t._queuedBytes - queued} bytes")
            return
        except Exception as e:  # pragma: no cover - what the test looks for
            unexpected.append(f"writeMessages({messages!r}, {stream!r}, {ppid!r}, {unordered!r}) raised {e!r}")
            return
        accepted[0] += len(messages)

    check()
    assert unexpected == []
    yield withDeadline(client.expect(accepted[0]), 30, "every accepted message to come back",
                       detail=lambda: f"{client.count} of {accepted[0]} back")
    print(f"\n{accepted[0]} messages accepted by the random writeMessages calls; rejected: {rejected}; "
          f"{client.count} came back")
    assert client.count == accepted[0]
    assert not t.disconnected


# -- endpoint descriptions --------------------------------------------------------------------------


def _parserOrSkip():
    try:
        import txsctp._parser  # noqa: F401
    except ImportError as e:
        print(f"\ntxsctp/_parser.py is not there yet ({e}): endpoint-string fuzzing skipped")
        pytest.skip(f"txsctp._parser does not exist yet: {e}")
    import twisted.plugins

    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "twisted", "plugins")
    if os.path.isdir(here) and here not in [os.path.abspath(p) for p in twisted.plugins.__path__]:
        twisted.plugins.__path__.append(here)


def _escape(addr: str) -> str:
    return addr.replace(":", "\\:")


_v4 = st.tuples(*[st.integers(0, 300)] * 4).map(lambda t: ".".join(map(str, t)))
_v6 = st.sampled_from(["::1", "fe80::1", "2001:db8::5", "::", "::ffff:127.0.0.1", "1:2:3:4:5:6:7:8", ":::"])
_addr = st.one_of(_v4, _v6, st.text(alphabet="0123456789abcdef.:%lo", max_size=12))
_addrList = st.lists(_addr, min_size=0, max_size=3).map(lambda a: ",".join(_escape(x) for x in a))
_int = st.one_of(st.integers(-2, 70000), st.sampled_from(["", "x", "1.5", "0x10", "10K", "007", "+3"]))
_size = st.one_of(st.integers(-1, 1 << 34), st.sampled_from(["64K", "1M", "2G", "1T", "k", "-1K", "1.5M"]))
_bool = st.sampled_from(["1", "0", "yes", "no", "true", "false", "on", "off", "maybe", ""])

_serverOptions = st.dictionaries(st.sampled_from([
    "interface", "backlog", "style", "outStreams", "inStreams", "maxAttempts", "maxMessageSize",
    "maxAssociations", "nodelay", "sendBufferSize", "receiveBufferSize", "sackFrequency", "sackDelay",
    "port", "bogus"]), st.just(None), max_size=6)
_clientOptions = st.dictionaries(st.sampled_from([
    "host", "port", "timeout", "bindAddress", "bindPort", "outStreams", "inStreams", "maxAttempts",
    "maxMessageSize", "nodelay", "sendBufferSize", "receiveBufferSize", "sackFrequency", "sackDelay",
    "interface"]), st.just(None), max_size=6)


@st.composite
def _description(draw, kind):
    keys = draw(_serverOptions if kind == "server" else _clientOptions)
    parts = ["sctp"]
    if kind == "server" and draw(st.booleans()):
        parts.append(str(draw(st.one_of(st.integers(0, 65535), _int))))
    if kind == "client" and draw(st.integers(0, 3)):
        # Mostly with the two things a client needs.
        parts.append("host=" + draw(st.one_of(st.just("127.0.0.1"), st.just("\\:\\:1"), _addrList)))
        parts.append("port=" + str(draw(st.one_of(st.integers(1, 65535), _int))))
        keys.pop("host", None)
        keys.pop("port", None)
    for key in keys:
        if key in ("interface", "host", "bindAddress"):
            value = draw(_addrList)
        elif key == "style":
            value = draw(st.sampled_from(["one-to-one", "one-to-many", "ONE-TO-MANY", "", "udp"]))
        elif key in ("nodelay",):
            value = draw(_bool)
        elif key in ("maxMessageSize", "sendBufferSize", "receiveBufferSize"):
            value = str(draw(_size))
        elif key == "timeout":
            value = draw(st.sampled_from(["1", "0.5", "-1", "inf", "nan", "1e9", "x", ""]))
        else:
            value = str(draw(_int))
        parts.append(f"{key}={value}")
    return ":".join(parts)


def test_endpoint_descriptions_from_the_grammar():
    """
    Server and client descriptions built from the grammar with random
    values: serverFromString / clientFromString return an endpoint or raise
    ValueError, quickly; a server description whose port is a plain valid
    number gives an endpoint on that port.
    """
    _parserOrSkip()
    from twisted.internet.endpoints import clientFromString, serverFromString
    from twisted.internet.testing import MemoryReactor

    from txsctp._parser import parseClientDescription, parseServerDescription

    counts = {"server": [0, 0], "client": [0, 0]}

    @settings(max_examples=400, deadline=1000)
    @given(st.one_of(_description("server").map(lambda d: ("server", d)),
                     _description("client").map(lambda d: ("client", d))))
    def check(item):
        kind, description = item
        parse, fromString = ((parseServerDescription, serverFromString) if kind == "server"
                             else (parseClientDescription, clientFromString))
        try:
            options = parse(description)
        except ValueError:
            counts[kind][1] += 1
            with pytest.raises(ValueError):
                fromString(MemoryReactor(), description)
            return
        counts[kind][0] += 1
        endpoint = fromString(MemoryReactor(), description)
        assert endpoint is not None
        assert parse(description) == options  # deterministic
        first = description.split(":")[1] if kind == "server" else ""
        if kind == "server" and first.isdigit() and int(first) <= 65535:
            assert options["port"] == int(first)

    check()
    print(f"\nendpoint descriptions: server {counts['server'][0]} valid / {counts['server'][1]} "
          f"rejected, client {counts['client'][0]} valid / {counts['client'][1]} rejected")
    assert counts["server"][0] and counts["client"][0], "the generator never made a valid description"
