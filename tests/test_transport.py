"""
The Twisted transport against the real kernel: echo over one-to-one and
one-to-many, whole messages up to 1 MiB, many associations on one port,
peeloff during traffic, flow control, closing, aborting, errors.

Run on epoll by default; tests/test_reactors.py runs this module on the poll
and select reactors too.
"""

from __future__ import annotations

import struct

import pytest
import pytest_twisted

from zope.interface import implementer

from twisted.internet import defer, error, protocol
from twisted.internet.interfaces import IPullProducer

from _peers import connectProtocol, withDeadline
from txsctp import SCTPAddress, SCTPProtocol
from txsctp.errors import (
    AssociationClosedError,
    MessageTooLongError,
    PeerAbortedError,
    StreamOutOfRangeError,
    WriteQueueFullError,
)
from txsctp.notifications import AssociationState

STYLES = ["one-to-one", "one-to-many"]


class Echo(SCTPProtocol):
    """
    Echoes each message on its stream with its PPID and unordered flag.
    """

    def messageReceived(self, data, info):
        self.transport.writeMessage(data, stream=info.stream, ppid=info.ppid, unordered=info.unordered)


class Recorder(SCTPProtocol):
    """
    Records what it is told; C{expect(n)} fires after n messages.
    """

    def __init__(self):
        self.messages = []
        self.notifications = []
        self.lost = defer.Deferred()
        self.made = False
        self._waits = []

    def connectionMade(self):
        self.made = True

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

    def notificationReceived(self, notification):
        self.notifications.append(notification)
        SCTPProtocol.notificationReceived(self, notification)

    def connectionLost(self, reason):
        self.reason = reason
        self.lost.callback(None)


class RecordingFactory(protocol.Factory):
    def __init__(self, cls=Recorder):
        self.cls = cls
        self.protocols = []
        self.connected = defer.Deferred()
        self._countWaits = []

    def whenCount(self, n):
        """
        A Deferred firing once n protocols have been built and connected.
        """
        d = defer.Deferred()
        self._countWaits.append((n, d))
        self._checkCount()
        return d

    def _checkCount(self):
        made = sum(1 for p in self.protocols if p.transport is not None)
        for n, d in list(self._countWaits):
            if made >= n:
                self._countWaits.remove((n, d))
                d.callback(None)

    def buildProtocol(self, addr):
        p = self.cls()
        p.factory = self
        p.addr = addr
        self.protocols.append(p)
        if len(self.protocols) == 1:
            from twisted.internet import reactor

            reactor.callLater(0, self.connected.callback, p)
        if self._countWaits:
            from twisted.internet import reactor

            reactor.callLater(0, self._checkCount)
        return p


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_echo_streams_ppids_unordered(listen, connect, style):
    """
    The same Echo Protocol class serves one-to-one and one-to-many; stream,
    PPID and the unordered flag come back as sent.
    """
    port = listen(protocol.Factory.forProtocol(Echo), style=style, outStreams=8, inStreams=8)
    assert isinstance(port.getHost(), SCTPAddress)
    client = yield connect(port.getHost().port, Recorder, outStreams=8, inStreams=8)
    assert client.transport.outboundStreams == 8
    assert client.transport.inboundStreams == 8
    sent = []
    for i in range(24):
        data = b"m%d" % i
        stream, ppid, unordered = i % 8, 1000 + i, i % 5 == 0
        sent.append((data, stream, ppid, unordered))
        client.transport.writeMessage(data, stream=stream, ppid=ppid, unordered=unordered)
    got = yield client.expect(24)
    received = sorted((d, info.stream, info.ppid, info.unordered) for d, info in got)
    assert received == sorted(sent)
    # Ordered messages of one stream arrive in order.
    for s in range(8):
        ordered = [d for d, info in got if info.stream == s and not info.unordered]
        assert ordered == [d for d, st, _, u in sent if st == s and not u]


@pytest_twisted.inlineCallbacks
def test_each_parameter_set_keeps_its_own_stream_and_ppid(listen, connect):
    """
    writeMessage remembers each parameter set packed after its first use:
    sets that differ only in how stream and PPID split between them (PPID
    1 on stream 0 against PPID 0 on stream 1, PPIDs past 16 bits), or in a
    flag, each come back as written, the first time and from the cache.
    """
    port = listen(protocol.Factory.forProtocol(Echo), outStreams=8, inStreams=8)
    client = yield connect(port.getHost().port, Recorder, outStreams=8, inStreams=8)
    sent = []
    for repeat in range(2):
        for stream in (0, 1, 7):
            for ppid in (0, 1, 7, 1 << 16, (1 << 16) + 1, 0xFFFFFFFF):
                for unordered in (False, True):
                    data = b"%d/%d/%d/%d" % (repeat, stream, ppid, unordered)
                    sent.append((data, stream, ppid, unordered))
                    client.transport.writeMessage(data, stream=stream, ppid=ppid, unordered=unordered)
    got = yield client.expect(len(sent))
    received = sorted((d, info.stream, info.ppid, info.unordered) for d, info in got)
    assert received == sorted(sent)
@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_message_sizes_byte_exact(listen, connect, bigBuffers, style):
    """
    Messages from 1 byte to 1 MiB come back whole and byte-exact (the
    kernel delivers large ones in pieces; the transport reassembles).
    """
    port = listen(protocol.Factory.forProtocol(Echo), style=style)
    client = yield connect(port.getHost().port, Recorder)
    sizes = [1, 2, 100, 1000, 1452, 1453, 4096, 65535, 65536, 65537, 300000, 1 << 20]
    payloads = []
    for n, size in enumerate(sizes):
        data = bytes((n * 7 + i) % 251 for i in range(min(size, 251))) * (size // 251 + 1)
        data = data[:size]
        payloads.append(data)
        client.transport.writeMessage(data, stream=n % 10, ppid=n)
    got = yield client.expect(len(sizes))
    bySize = {len(d): (d, info) for d, info in got}
    assert sorted(bySize) == sorted(sizes)
    for n, data in enumerate(payloads):
        echoed, info = bySize[len(data)]
        assert echoed == data
        assert info.ppid == n


class EchoRecorder(Recorder):
    def messageReceived(self, data, info):
        Recorder.messageReceived(self, data, info)
        self.transport.writeMessage(data, stream=info.stream, ppid=info.ppid, unordered=info.unordered)


@pytest_twisted.inlineCallbacks
def test_thousand_associations_one_to_many(listen, connect):
    """
    1,000 concurrent associations on one one-to-many port: each gets its own
    Protocol and transport, and every message reaches the right one.
    """
    serverFactory = RecordingFactory(EchoRecorder)
    port = listen(serverFactory, style="one-to-many", backlog=1024)
    count = 1000
    clients = yield defer.gatherResults(
        [connect(port.getHost().port, Recorder) for _ in range(count)]
    )
    yield serverFactory.whenCount(count)
    assert len(serverFactory.protocols) == count
    assert len(set(id(p.transport) for p in serverFactory.protocols)) == count
    assert len(set(p.transport.assocId for p in serverFactory.protocols)) == count
    assert len(port.getAssociations()) == count
    for i, c in enumerate(clients):
        c.transport.writeMessage(struct.pack("!I", i) * 4, stream=i % 10, ppid=i)
    results = yield defer.gatherResults([c.expect(1) for c in clients])
    for i, msgs in enumerate(results):
        data, info = msgs[0]
        assert data == struct.pack("!I", i) * 4
        assert info.ppid == i
    for c in clients:
        c.transport.loseConnection()
    yield defer.gatherResults([c.lost for c in clients])
    assert all(c.reason.check(error.ConnectionDone) for c in clients)
    yield defer.gatherResults([p.lost for p in serverFactory.protocols])
    assert all(p.reason.check(error.ConnectionDone) for p in serverFactory.protocols)
    assert port.getAssociations() == []


class SequenceSink(Recorder):
    """
    Server side of the peeloff test: peels itself off after C{peelAt}
    messages.
    """

    peelAt = 50

    def messageReceived(self, data, info):
        Recorder.messageReceived(self, data, info)
        if len(self.messages) == self.peelAt:
            self.socketBefore = self.transport.socket
            self.transport.peelOff()
            self.socketAfter = self.transport.socket


@pytest_twisted.inlineCallbacks
def test_peeloff_during_traffic(listen, connect, reactor):
    """
    Peeling an association off its one-to-many port in the middle of
    traffic loses and reorders nothing; the same Protocol carries on, and
    writes go out on the new socket.
    """
    serverFactory = RecordingFactory(SequenceSink)
    port = listen(serverFactory, style="one-to-many")
    client = yield connect(port.getHost().port, Recorder)
    total = 400
    for i in range(total):
        client.transport.writeMessage(struct.pack("!I", i), stream=i % 4)
    server = yield serverFactory.connected
    got = yield server.expect(total)
    assert server.socketAfter is not server.socketBefore
    assert server.socketAfter.style == "one-to-one"
    assert port.getAssociations() == []
    for s in range(4):
        seq = [struct.unpack("!I", d)[0] for d, info in got if info.stream == s]
        assert seq == list(range(s, total, 4))
    server.transport.writeMessage(b"after peeloff", stream=1, ppid=9)
    reply = yield client.expect(1)
    assert reply[0][0] == b"after peeloff"
    assert reply[0][1].ppid == 9


class Producer:
    """
    A push producer writing numbered messages until paused.
    """

    def __init__(self, transport, total, size=1000):
        self.transport = transport
        self.total = total
        self.size = size
        self.sent = 0
        self.paused = False
        self.pauses = 0
        self.maxQueued = 0
        self.queuedAtPause = None
        self.done = defer.Deferred()

    def pauseProducing(self):
        self.paused = True
        self.pauses += 1
        self.queuedAtPause = self.transport._queuedBytes

    def resumeProducing(self):
        self.paused = False
        from twisted.internet import reactor

        reactor.callLater(0, self.produce)

    def stopProducing(self):
        self.paused = True

    def produce(self):
        while not self.paused and self.sent < self.total:
            self.transport.writeMessage(struct.pack("!I", self.sent) + b"p" * (self.size - 4))
            self.sent += 1
            self.maxQueued = max(self.maxQueued, self.transport._queuedBytes)
        if self.sent == self.total and not self.done.called:
            self.done.callback(None)


@defer.inlineCallbacks
def _producingIntoStoppedReader(listen, connect, reactor, total, **connectOptions):
    """
    Connect, have the server stop reading, register a L{Producer} of
    C{total} messages on the client and run it until it is first paused
    (the kernel buffers are full and the queue passed its high-water mark)
    or has written everything.

    @return: a Deferred firing with C{(client, server, producer)}.
    """
    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory, style="one-to-one")
    client = yield connect(port.getHost().port, Recorder, **connectOptions)
    server = yield serverFactory.connected
    server.transport.pauseProducing()
    producer = Producer(client.transport, total)
    client.transport.registerProducer(producer, True)
    producer.produce()
    while producer.pauses == 0 and producer.sent < total:
        yield _tick(reactor)
    return client, server, producer


@pytest_twisted.inlineCallbacks
def test_default_high_water_mark(listen, connect, reactor):
    """
    With no bufferSize given, the producer is paused by the message that
    takes the queue past the default high-water mark (half the kernel's
    send buffer within 64 KiB..1 MiB), not before.
    """
    total = 40000
    client, server, producer = yield _producingIntoStoppedReader(listen, connect, reactor, total)
    high = client.transport.bufferSize
    assert 64 * 1024 <= high <= 1 << 20
    assert producer.pauses > 0, "the kernel took everything: no pause to check"
    assert high < producer.queuedAtPause <= high + producer.size
    server.transport.resumeProducing()
    yield producer.done
    yield server.expect(total)


@pytest_twisted.inlineCallbacks
def test_slow_reader_pauses_producer(listen, connect, reactor):
    """
    A reader that stops reading makes the writer's producer pause; the
    writer's queue stays bounded; everything arrives, in order, once the
    reader resumes.
    """
    total = 4000
    client, server, producer = yield _producingIntoStoppedReader(listen, connect, reactor, total,
                                                                 bufferSize=64 * 1024)
    assert producer.paused
    assert producer.sent < total
    assert producer.maxQueued <= client.transport.bufferSize + producer.size
    server.transport.resumeProducing()
    yield producer.done
    got = yield server.expect(total)
    assert [struct.unpack("!I", d[:4])[0] for d, _ in got] == list(range(total))


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("writer", ["writeMessage", "writeMessages"])
@pytest_twisted.inlineCallbacks
def test_bulk_writes_keep_order_when_the_kernel_fills(listen, connect, reactor, style, writer):
    """
    Thousands of messages written outside any read (where the transport
    hands full batches to the kernel at once instead of waiting for the
    reactor), through a send buffer small enough to fill again and again:
    each association's messages all arrive, intact and in order per
    stream, on a one-to-one and on a one-to-many server whose writes to
    two associations interleave -- written one by one, or a stream's
    share at a time with writeMessages.
    """
    from txsctp.options import Tuning

    small = Tuning(sendBufferSize=64 * 1024, receiveBufferSize=256 * 1024)
    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory, style=style, tuning=small)
    clients = []
    for _ in range(2 if style == "one-to-many" else 1):
        clients.append((yield connect(port.getHost().port, Recorder, tuning=small)))
    yield serverFactory.whenCount(len(clients))
    servers = serverFactory.protocols
    sizes = [100, 3000, 20000, 7]
    total = 1500

    def payload(i):
        return struct.pack("!I", i) + bytes([i % 251]) * (sizes[i % len(sizes)] - 4)

    def writeAll():
        # Outside any read: a timed call.  The server's two associations
        # (one-to-many) are written alternately, the clients in one go.
        if writer == "writeMessages":
            for s in range(4):
                for server in servers:
                    server.transport.writeMessages([payload(i) for i in range(s, total, 4)], stream=s, ppid=7)
            for client in clients:
                for s in range(4):
                    client.transport.writeMessages((payload(i) for i in range(s, total, 4)), stream=s, ppid=9)
            return
        for i in range(total):
            for server in servers:
                server.transport.writeMessage(payload(i), stream=i % 4, ppid=7)
        for client in clients:
            for i in range(total):
                client.transport.writeMessage(payload(i), stream=i % 4, ppid=9)

    reactor.callLater(0, writeAll)
    for receiver in clients + servers:
        got = yield receiver.expect(total)
        for s in range(4):
            seq = [d for d, info in got if info.stream == s]
            assert seq == [payload(i) for i in range(s, total, 4)]
        assert {info.ppid for _, info in got} == ({7} if receiver in clients else {9})


@pytest_twisted.inlineCallbacks
def test_full_kernel_stays_watched_until_the_queue_drains(listen, connect, reactor):
    """
    A bulk sender through a send buffer that keeps filling: its socket is
    watched for room (EPOLLOUT) from the first refusal until everything
    queued has gone -- never unwatched while messages wait (which would
    cost two epoll_ctl calls at every wake-up), and not left watched once
    the queue is empty (the reactor would spin on a writable socket).
    """
    from txsctp.options import Tuning

    small = Tuning(sendBufferSize=64 * 1024, receiveBufferSize=256 * 1024)
    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory, tuning=small)
    client = yield connect(port.getHost().port, Recorder, tuning=small)
    yield serverFactory.whenCount(1)
    server = serverFactory.protocols[0]
    handle = client.transport._handle
    wakeUps = []
    queuedAtUnwatch = []
    doWrite, stopWriting = handle.doWrite, handle.stopWriting

    def countingDoWrite():
        wakeUps.append(len(client.transport._queue))
        return doWrite()

    def recordingStopWriting():
        queuedAtUnwatch.append(len(client.transport._queue))
        stopWriting()

    handle.doWrite, handle.stopWriting = countingDoWrite, recordingStopWriting
    total = 600
    payload = bytes(16384)
    reactor.callLater(0, lambda: [client.transport.writeMessage(payload) for _ in range(total)])
    got = yield server.expect(total)
    assert len(got) == total
    # The kernel did fill: the sender was woken for room, with messages
    # still queued, several times.
    assert len([n for n in wakeUps if n]) >= 3, wakeUps
    assert queuedAtUnwatch and set(queuedAtUnwatch) == {0}, queuedAtUnwatch
    # Once the queue is empty the next wake-up for room (if one is still
    # due) stops the watching.
    yield client.transport.whenSenderDry()
    for _ in range(100):
        if handle not in reactor.getWriters():
            break
        yield _tick(reactor)
    assert handle not in reactor.getWriters()


@pytest.mark.kernelStackOnly("bundle=True fills packets with MSG_MORE, and the test counts packets with the "
                             "association statistics (SCTP_GET_ASSOC_STATS)")
@pytest.mark.parametrize("bundle", [False, True], ids=["one-packet-each", "bundled"])
@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_small_messages_written_together(listen, connect, reactor, style, bundle):
    """
    With C{bundle=True} small messages written in one go leave bundled
    into full packets although C{SCTP_NODELAY} is on (the kernel holds all
    but the last of each batch, sent with C{MSG_MORE}): 640 messages of
    100 bytes take far fewer packets than messages (the sender's
    C{SCTP_GET_ASSOC_STATS}); by default about one packet each.  The last
    message of each batch releases what was held, so a burst of five
    arrives with nothing written after it; and a burst into a peer that
    stops reading (its window and the sender's buffer fill, sends are cut
    short and resumed when writable) arrives complete and in order per
    stream once it reads again.  The server writes, so a one-to-many
    socket is covered too.
    """
    from txsctp.options import Tuning

    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory, style=style, tuning=Tuning(sendBufferSize=256 * 1024), bundle=bundle)
    client = yield connect(port.getHost().port, Recorder, tuning=Tuning(receiveBufferSize=256 * 1024))
    yield serverFactory.whenCount(1)
    server = serverFactory.protocols[0]
    sock, assocId = server.transport.socket, server.transport.assocId
    assert sock.getNodelay() and sock.getSendBufferSize() >= 256 * 1024
    sent = []

    def burst(count, size):
        for _ in range(count):
            i = len(sent)
            sent.append(b"%0*d" % (size, i))
            server.transport.writeMessage(sent[-1], stream=i % 3)

    # Five: bundled (4 or more), with nothing after them.
    reactor.callLater(0, burst, 5, 100)
    got = yield client.expect(5).addTimeout(30, reactor)
    assert [d for d, _ in got] == sent

    before = sock.getAssocStats(assocId).opackets
    reactor.callLater(0, burst, 640, 100)
    yield client.expect(5 + 640).addTimeout(30, reactor)
    packets = sock.getAssocStats(assocId).opackets - before
    if bundle:
        assert packets <= 640 // 8, packets
    else:
        assert packets >= 640 // 2, packets

    client.transport.pauseProducing()
    reactor.callLater(0, burst, 3000, 1000)
    while not server.transport._queuedBytes:
        yield _tick(reactor)
    client.transport.resumeProducing()
    got = yield client.expect(5 + 640 + 3000).addTimeout(60, reactor)
    for stream in range(3):
        assert [d for d, info in got if info.stream == stream] == sent[stream::3]


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_writes_with_a_destination_keep_their_place(listen, connect, reactor, style):
    """
    Messages sent to an explicit peer address (C{to=}, each its own system
    call) among plain ones, inside and outside full batches, from both
    ends: every message arrives once, in the order written.
    """
    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory, style=style)
    client = yield connect(port.getHost().port, Recorder)
    yield serverFactory.whenCount(1)
    server = serverFactory.protocols[0]
    special = {0, 1, 5, 64, 65, 130, 199}
    total = 200

    def writeAll():
        for sender, _receiver in ((client, server), (server, client)):
            peer = sender.transport.getPeer()
            to = (peer.host, peer.port)
            for i in range(total):
                sender.transport.writeMessage(b"%d" % i, stream=1, to=to if i in special else None)

    reactor.callLater(0, writeAll)
    for receiver in (server, client):
        got = yield receiver.expect(total)
        assert [d for d, _ in got] == [b"%d" % i for i in range(total)]
    assert client.transport._queuedBytes == server.transport._queuedBytes == 0


def _tick(reactor, delay=0.01):
    d = defer.Deferred()
    reactor.callLater(delay, d.callback, None)
    return d


@pytest.mark.parametrize("total", [1, 2000], ids=["one-message", "many-messages"])
@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_graceful_close_delivers_everything(listen, connect, style, total):
    """
    loseConnection() right after queueing one message (a last reply) or
    many: the peer gets all of them before it sees the shutdown; both ends
    see ConnectionDone.
    """
    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory, style=style)
    client = yield connect(port.getHost().port, Recorder)
    for i in range(total):
        client.transport.writeMessage(struct.pack("!I", i) * 50, stream=i % 3)
    client.transport.loseConnection()
    with pytest.raises(AssociationClosedError):
        client.transport.writeMessage(b"too late")
    server = yield serverFactory.connected
    yield withDeadline(server.lost, 30, "the shutdown to reach the peer",
                       detail=lambda: f"{len(server.messages)} of {total} messages arrived")
    reason = server.reason
    assert reason.check(error.ConnectionDone)
    assert len(server.messages) == total
    for s in range(3):
        seq = [struct.unpack("!I", d[:4])[0] for d, info in server.messages if info.stream == s]
        assert seq == list(range(s, total, 3))
    states = [n.state for n in server.notifications if hasattr(n, "state")]
    assert AssociationState.SHUTDOWN_COMP in states
    yield client.lost
    assert client.reason.check(error.ConnectionDone)
    # whenClosed fires with None after a clean close.
    closed = yield client.transport.whenClosed()
    assert closed is None


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_abort_is_seen_as_abort(listen, connect, style):
    """
    abortConnection() sends ABORT: the local Protocol gets
    ConnectionAborted, the peer PeerAbortedError.
    """
    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory, style=style)
    client = yield connect(port.getHost().port, Recorder)
    server = yield serverFactory.connected
    client.transport.abortConnection()
    yield client.lost
    clientReason = client.reason
    assert clientReason.check(error.ConnectionAborted)
    yield server.lost
    serverReason = server.reason
    assert serverReason.check(PeerAbortedError)
    assert serverReason.check(error.ConnectionLost)
    states = [n.state for n in server.notifications if hasattr(n, "state")]
    assert AssociationState.COMM_LOST in states


@pytest_twisted.inlineCallbacks
def test_stream_beyond_negotiated_count_raises(listen, connect):
    port = listen(protocol.Factory.forProtocol(Echo), inStreams=4)
    client = yield connect(port.getHost().port, Recorder, outStreams=16)
    assert client.transport.outboundStreams == 4
    with pytest.raises(StreamOutOfRangeError, match="4 outbound streams"):
        client.transport.writeMessage(b"x", stream=4)
    with pytest.raises(TypeError):
        client.transport.writeMessage("text")
    with pytest.raises(ValueError):
        client.transport.writeMessage(b"")
    with pytest.raises(ValueError):
        client.transport.writeMessage(b"x", ppid=1 << 32)
    client.transport.writeMessage(b"ok", stream=3)
    got = yield client.expect(1)
    assert got[0][1].stream == 3
    # A stream count that drops (as after a peer's restart with fewer
    # streams) applies to parameter sets already used, too.
    client.transport.outboundStreams = 3
    with pytest.raises(StreamOutOfRangeError, match="3 outbound streams"):
        client.transport.writeMessage(b"late", stream=3)
    client.transport.writeMessage(b"fine", stream=2)
    got = yield client.expect(2)
    assert [(data, info.stream) for data, info in got[1:]] == [(b"fine", 2)]


@pytest_twisted.inlineCallbacks
def test_message_over_limit_aborts(listen, connect):
    """
    A received message over maxMessageSize aborts the association with
    MessageTooLongError as the reason; the peer sees an abort.
    """
    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory, maxMessageSize=1000)
    client = yield connect(port.getHost().port, Recorder)
    client.transport.writeMessage(b"a" * 1000)
    client.transport.writeMessage(b"b" * 1001)
    server = yield serverFactory.connected
    yield server.lost
    reason = server.reason
    assert reason.check(MessageTooLongError)
    assert "1001" in str(reason.value)
    assert [len(d) for d, _ in server.messages] == [1000]
    yield client.lost
    clientReason = client.reason
    assert clientReason.check(PeerAbortedError)


@pytest_twisted.inlineCallbacks
def test_write_queue_cap(listen, connect):
    port = listen(protocol.Factory.forProtocol(Recorder))
    client = yield connect(port.getHost().port, Recorder, maxQueuedBytes=10000)
    for _ in range(10):
        client.transport.writeMessage(b"x" * 1000)
    with pytest.raises(WriteQueueFullError):
        client.transport.writeMessage(b"y")


@pytest_twisted.inlineCallbacks
def test_write_messages_takes_all_or_none(listen, connect):
    """
    writeMessages checks every message, and the total against the queue
    cap, before it queues any: a refused call leaves the queue as it was,
    and what was accepted arrives, in order, with its parameters.
    """
    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory, outStreams=4, inStreams=4)
    client = yield connect(port.getHost().port, Recorder, maxQueuedBytes=10000, outStreams=4, inStreams=4)
    server = yield serverFactory.connected
    server.transport.pauseProducing()
    t = client.transport
    t.writeMessages([b"%04d" % i + b"x" * 996 for i in range(9)], stream=2, ppid=46)
    queued = t._queuedBytes
    refused = [
        (lambda: t.writeMessages([b"y" * 600, b"z" * 600]), WriteQueueFullError),
        (lambda: t.writeMessages([b"ok", b""]), ValueError),
        (lambda: t.writeMessages([b"ok", "text"]), TypeError),
        (lambda: t.writeMessages(b"one payload"), TypeError),
        (lambda: t.writeMessages([b"ok"], stream=4), StreamOutOfRangeError),
        (lambda: t.writeMessages([b"ok"] * 3, ppid=-1), ValueError),
    ]
    for call, exc in refused:
        with pytest.raises(exc):
            call()
        assert t._queuedBytes == queued
    t.writeMessages([])
    t.writeMessages([bytearray(b"last"), memoryview(b"one")], stream=1, unordered=True)
    server.transport.resumeProducing()
    got = yield server.expect(11)
    assert [d for d, _ in got[:9]] == [b"%04d" % i + b"x" * 996 for i in range(9)]
    assert {(info.stream, info.ppid, info.unordered) for _, info in got[:9]} == {(2, 46, False)}
    assert sorted(d for d, _ in got[9:]) == [b"last", b"one"]
    assert {(info.stream, info.unordered) for _, info in got[9:]} == {(1, True)}


@pytest_twisted.inlineCallbacks
def test_write_messages_pauses_the_producer(listen, connect, reactor):
    """
    A burst written with writeMessages past the high-water mark pauses the
    registered producer, which is resumed as the queue drains; all of it
    arrives in order once the reader reads again.
    """
    from txsctp.options import Tuning

    small = Tuning(sendBufferSize=64 * 1024, receiveBufferSize=256 * 1024)
    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory, tuning=small)
    client = yield connect(port.getHost().port, Recorder, tuning=small, bufferSize=64 * 1024)
    server = yield serverFactory.connected
    server.transport.pauseProducing()
    producer = Producer(client.transport, 0)
    client.transport.registerProducer(producer, True)
    total = 2000
    client.transport.writeMessages(struct.pack("!I", i) + b"b" * 996 for i in range(total))
    assert producer.paused and producer.pauses == 1
    server.transport.resumeProducing()
    got = yield server.expect(total)
    assert [struct.unpack("!I", d[:4])[0] for d, _ in got] == list(range(total))
    while producer.paused:
        yield _tick(reactor)


@pytest_twisted.inlineCallbacks
def test_connection_refused(connect):
    with pytest.raises(error.ConnectionRefusedError):
        yield connect(1, Recorder)


@pytest.mark.kernelStackOnly("multi-homing (an association over UDP has one path)")
@pytest_twisted.inlineCallbacks
def test_multihomed_addresses_and_paths(listen, connect):
    """
    A server bound to two addresses (bindx) shows both to the client; the
    client can read every path's state and move its primary path.
    """
    port = listen(protocol.Factory.forProtocol(Echo), interface=["127.0.0.1", "127.0.0.2"])
    host = port.getHost()
    assert set(host.addresses) == {"127.0.0.1", "127.0.0.2"}
    client = yield connect(host.port, Recorder, host=["127.0.0.1", "127.0.0.2"])
    peers = client.transport.getPeerAddresses()
    assert {h for h, _ in peers} == {"127.0.0.1", "127.0.0.2"}
    assert set(client.transport.getPeer().addresses) == {"127.0.0.1", "127.0.0.2"}
    states = client.transport.getPathStates()
    assert set(states) == set(peers)
    client.transport.setPrimaryAddress(("127.0.0.2", host.port))
    assert client.transport.socket.getPrimaryAddress() == ("127.0.0.2", host.port)
    client.transport.writeMessage(b"via second path")
    got = yield client.expect(1)
    assert got[0][0] == b"via second path"


@pytest_twisted.inlineCallbacks
def test_one_to_many_port_opens_associations_outward(reactor, listen):
    """
    port.associate() opens an association from a one-to-many port; its
    Protocol comes from that port's factory.  Once the attempt has ended,
    up or refused, its timeout runs as a no-op in the next reactor
    iteration instead of staying in the timer heap as a cancelled call
    (see test_connect_timeout_leaves_the_reactor_once_up).
    """
    def timerOf(attempts):
        (only,) = attempts.values()
        return only[1]

    server = listen(protocol.Factory.forProtocol(Echo), style="one-to-many")
    outwardFactory = RecordingFactory(Recorder)
    outward = listen(outwardFactory, style="one-to-many")
    attempt = outward.associate("127.0.0.1", server.getHost().port)
    timer = timerOf(outward._pendingOutward)
    proto = yield attempt
    assert proto is outwardFactory.protocols[0]
    assert proto.made
    yield _tick(reactor, 0)
    assert timer.called and not timer.cancelled
    proto.transport.writeMessage(b"outward", stream=2, ppid=46)
    got = yield proto.expect(1)
    assert got[0][0] == b"outward"
    assert got[0][1].ppid == 46
    refused = outward.associate("127.0.0.1", 1, timeout=10)
    timer = timerOf(outward._pendingOutward)
    with pytest.raises(error.ConnectError):
        yield refused
    yield _tick(reactor, 0)
    assert timer.called and not timer.cancelled


@pytest.mark.parametrize("count", [1, 50], ids=["one-message", "fifty-messages"])
@pytest_twisted.inlineCallbacks
def test_sender_dry_and_closed_deferreds(listen, connect, count):
    """
    whenSenderDry() asked for right after writing (one message or fifty)
    fires once the kernel has sent and had acknowledged all of it;
    whenClosed() fires with None after a clean close.
    """
    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory)
    client = yield connect(port.getHost().port, Recorder)
    for _i in range(count):
        client.transport.writeMessage(b"d" * 500)
    yield withDeadline(client.transport.whenSenderDry(), 10, "the sender to be dry")
    server = yield serverFactory.connected
    yield withDeadline(server.expect(count), 10, f"the {count} messages")
    status = client.transport.getStatus()
    assert status.unackData == 0
    closed = client.transport.whenClosed()
    client.transport.loseConnection()
    result = yield closed
    assert result is None


@implementer(IPullProducer)
class _CountingPullProducer:
    """
    Writes the next numbered message each time it is asked, C{total} in all.
    """

    def __init__(self, transport, total):
        self.transport = transport
        self.total = total
        self.sent = 0
        self.stopped = False

    def resumeProducing(self):
        if self.sent < self.total:
            self.transport.writeMessage(struct.pack("!I", self.sent) * 25)
            self.sent += 1
            if self.sent == self.total:
                self.transport.unregisterProducer()

    def stopProducing(self):
        self.stopped = True


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_pull_producer_is_asked_each_time_the_queue_drains(listen, connect, style):
    """
    A pull producer (IPullProducer, registered with streaming=False) is
    asked for more at once and again each time the transport has handed
    everything queued to the kernel: one message at a time, it delivers
    all of them, in order.
    """
    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory, style=style)
    client = yield connect(port.getHost().port, Recorder)
    producer = _CountingPullProducer(client.transport, 40)
    client.transport.registerProducer(producer, False)
    server = yield serverFactory.connected
    got = yield withDeadline(server.expect(40), 10, "the producer's 40 messages",
                             detail=lambda: f"the producer was asked {producer.sent} times")
    assert [struct.unpack("!I", d[:4])[0] for d, _ in got] == list(range(40))
    assert producer.sent == 40 and not producer.stopped
    assert client.transport.producer is None


@pytest_twisted.inlineCallbacks
def test_data_received_compatibility(listen, connect):
    """
    A plain Twisted Protocol (dataReceived only) runs over SCTP unchanged:
    each message becomes one dataReceived call.
    """

    class Plain(protocol.Protocol):
        def dataReceived(self, data):
            self.transport.write(data.upper())

    port = listen(protocol.Factory.forProtocol(Plain))
    client = yield connect(port.getHost().port, Recorder)
    client.transport.write(b"hello")
    client.transport.writeSequence([b"wor", b"ld"])
    got = yield client.expect(2)
    assert [d for d, _ in got] == [b"HELLO", b"WORLD"]


@pytest_twisted.inlineCallbacks
def test_prepare_socket_runs_before_the_association(listen, connect):
    """
    prepareSocket gets each new socket before it is bound or connected:
    options set there (here RTO bounds) hold for the association.
    """
    from txsctp.options import RTOInfo

    prepared = []

    def prepare(sock):
        assert sock.getsockname()[1] == 0  # not bound yet
        sock.setRTOInfo(RTOInfo(initial=200, max=400, min=100))
        prepared.append(sock)

    port = listen(protocol.Factory.forProtocol(Echo), prepareSocket=prepare)
    client = yield connect(port.getHost().port, Recorder, prepareSocket=prepare)
    assert len(prepared) == 2
    assert port.socket is prepared[0]
    assert client.transport.socket is prepared[1]
    assert client.transport.socket.getRTOInfo(client.transport.assocId) == RTOInfo(200, 400, 100)
    with pytest.raises(TypeError):
        connect(port.getHost().port, Recorder, prepareSocket="not callable")


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_events_the_transport_needs_are_always_subscribed(listen, connect, style):
    """
    With C{events=()} on both ends the associations still come up (the
    transport adds the association-change events it is built on, and those
    it reports sends and shutdowns with), carry messages, and end with
    C{ConnectionDone} on both sides.
    """
    from txsctp.sctpsocket import NotificationType

    factory = RecordingFactory(Echo)
    port = listen(factory, style=style, events=())
    client = yield withDeadline(connect(port.getHost().port, Recorder, events=()), 30, "the association")
    server = yield withDeadline(factory.connected, 10, "the server side")
    needed = (NotificationType.ASSOC_CHANGE, NotificationType.SHUTDOWN_EVENT,
              NotificationType.SEND_FAILED_EVENT, NotificationType.PARTIAL_DELIVERY_EVENT)
    for t in (client.transport, server.transport):
        assert [e for e in needed if not t.socket.isSubscribed(e, t.assocId)] == []
        assert not t.socket.isSubscribed(NotificationType.PEER_ADDR_CHANGE, t.assocId)
    client.transport.writeMessage(b"still works", stream=0)
    got = yield withDeadline(client.expect(1), 10, "the echo")
    assert got[0][0] == b"still works"
    client.transport.loseConnection()
    yield withDeadline(client.lost, 10, "the close")
    assert isinstance(client.reason.value, error.ConnectionDone), client.reason


@pytest_twisted.inlineCallbacks
def test_failed_peeloff_ends_the_association_visibly(listen, connect, monkeypatch):
    """
    If the peeled-off socket cannot be given the port's tuning it is closed,
    and closing it ends the association: C{peelOff} raises the error, the
    Protocol gets C{connectionLost} with it, the port forgets the
    association and the peer sees the end too -- no transport is left
    waiting for a socket that is gone.
    """
    import errno

    factory = RecordingFactory(Recorder)
    port = listen(factory, style="one-to-many")
    client = yield withDeadline(connect(port.getHost().port, Recorder), 30, "the association")
    server = yield withDeadline(factory.connected, 10, "the server side")
    SocketClass = type(port.socket)  # the stack's socket class
    original = SocketClass.applyTuning

    def failing(self, tuning):
        if self.peeledOff:
            raise OSError(errno.ENOBUFS, "no buffer space (injected by the test)")
        return original(self, tuning)

    monkeypatch.setattr(SocketClass, "applyTuning", failing)
    with pytest.raises(OSError) as raised:
        server.transport.peelOff()
    assert raised.value.errno == errno.ENOBUFS
    yield withDeadline(server.lost, 10, "connectionLost on the server side")
    assert server.reason.value is raised.value
    assert port.getAssociations() == []
    yield withDeadline(client.lost, 30, "the end on the client side")


@pytest_twisted.inlineCallbacks
def test_aborted_partial_delivery_drops_the_pieces_it_left(listen, connect):
    """
    The transport's side of an aborted partial delivery: pieces of a
    message the kernel will never complete (fed here as the kernel would
    deliver them, then the kernel's C{SCTP_PARTIAL_DELIVERY_ABORTED}
    notification, whose stream Linux reports as 0) are dropped, the
    Protocol hears C{partialDeliveryAborted}, and the next message on that
    stream -- a real one, from the peer -- arrives alone.
    """
    from txsctp._sctp_cffi import lib
    from txsctp.info import Message, RcvInfo
    from txsctp.notifications import PartialDeliveryEvent

    class PDRecorder(Recorder):
        def partialDeliveryAborted(self, notification):
            self.aborted = notification

    factory = RecordingFactory(PDRecorder)
    port = listen(factory)
    client = yield withDeadline(connect(port.getHost().port, Recorder), 30, "the association")
    server = yield withDeadline(factory.connected, 10, "the server side")
    t = server.transport
    t._pieceReceived(Message(data=b"never-completed-", info=RcvInfo(stream=2, assocId=t.assocId),
                             complete=False, address=None, nxtInfo=None))
    t._notify(PartialDeliveryEvent(assocId=t.assocId, flags=0, indication=lib.SCTP_PARTIAL_DELIVERY_ABORTED,
                                   stream=0, sequence=0))
    assert server.aborted.aborted
    client.transport.writeMessage(b"next", stream=2)
    got = yield withDeadline(server.expect(1), 10, "the next message")
    assert got[0][0] == b"next"


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_abort_from_messageReceived_is_not_reentrant(listen, connect, style):
    """
    As with Twisted's TCP transport, abortConnection() called from inside
    messageReceived does not call back into the Protocol before it returns:
    connectionLost (ConnectionAborted) comes in a later reactor turn, no
    message already read in the same batch is delivered after the abort,
    and writes in between raise AssociationClosedError.
    """
    from txsctp.errors import AssociationClosedError

    class Aborter(Recorder):
        events = None

        def connectionMade(self):
            Recorder.connectionMade(self)
            self.events = []

        def messageReceived(self, data, info):
            self.events.append(("message", data))
            if data == b"abort":
                self.events.append("abort called")
                self.transport.abortConnection()
                try:
                    self.transport.writeMessage(b"too late")
                except AssociationClosedError:
                    self.events.append("write refused")
                self.events.append("abort returned")

        def connectionLost(self, reason):
            self.events.append("connectionLost")
            Recorder.connectionLost(self, reason)

    factory = RecordingFactory(Aborter)
    port = listen(factory, style=style)
    client = yield withDeadline(connect(port.getHost().port, Recorder), 30, "the association")
    # Several messages in one go: the server reads them in one batch.
    for data in (b"one", b"abort", b"after-1", b"after-2"):
        client.transport.writeMessage(data)
    server = yield withDeadline(factory.connected, 10, "the server side")
    yield withDeadline(server.lost, 10, "connectionLost on the aborting side")
    assert server.reason.check(error.ConnectionAborted)
    assert server.events[:5] == [("message", b"one"), ("message", b"abort"), "abort called", "write refused",
                                 "abort returned"], server.events
    assert server.events[-1] == "connectionLost"
    assert [e for e in server.events if e[0] == "message" and e[1].startswith(b"after")] == []
    yield withDeadline(client.lost, 10, "the peer's end")
    assert client.reason.check(PeerAbortedError)


@pytest.mark.kernelStackOnly("per-message destinations among several peer addresses (multi-homing)")
@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_destination_gone_by_flush_time_fails_only_that_message(listen, connect, reactor, style, monkeypatch):
    """
    A C{to=} destination that was a peer address when written but is no
    longer one when the queue is flushed (the peer removed it; simulated by
    letting the write-time check see an extra address, which the kernel
    then refuses): that message comes back through C{sendFailed} as not
    sent, with the kernel's error; the association lives on and the
    messages around it arrive in order.
    """
    import errno

    from txsctp.notifications import SendFailed

    serverFactory = RecordingFactory(Recorder)
    port = listen(serverFactory, style=style)
    client = yield withDeadline(connect(port.getHost().port, Recorder), 30, "the association")
    yield serverFactory.whenCount(1)
    server = serverFactory.protocols[0]
    t = client.transport
    peer = t.getPeer()
    gone = ("127.0.0.9", peer.port)
    sock = t.socket
    real = sock.getPeerAddresses
    monkeypatch.setattr(sock, "getPeerAddresses", lambda assocId=0: real(assocId) + [gone])

    def writeAll():
        t.writeMessage(b"before")
        t.writeMessage(b"to the gone address", to=gone)
        t.writeMessage(b"after")

    reactor.callLater(0, writeAll)
    got = yield withDeadline(server.expect(2), 10, "the two other messages")
    assert [d for d, _ in got] == [b"before", b"after"]
    failed = [n for n in client.notifications if isinstance(n, SendFailed)]
    assert [(n.data, n.error) for n in failed] == [(b"to the gone address", errno.EADDRNOTAVAIL)]
    assert not t.disconnected
    t.writeMessage(b"still up")
    got = yield withDeadline(server.expect(3), 10, "a later message")
    assert got[2][0] == b"still up"


@pytest_twisted.inlineCallbacks
def test_unparsable_notification_on_one_to_many_port_is_logged_as_a_warning(listen, connect):
    """
    A notification txsctp cannot parse carries no association id it can
    read: on a one-to-many port it cannot be delivered, and that is said
    at warning level (with the reason and type), not dropped silently.
    """
    from twisted.logger import LogLevel, globalLogPublisher

    from txsctp.notifications import parseNotification

    factory = RecordingFactory(Recorder)
    port = listen(factory, style="one-to-many")
    yield withDeadline(connect(port.getHost().port, Recorder), 30, "the association")
    yield withDeadline(factory.connected, 10, "the server side")
    before = list(factory.protocols[0].notifications)
    events = []
    globalLogPublisher.addObserver(events.append)
    try:
        # Type 0x9999 with a plausible header: unknown to txsctp.
        port._dispatchNotification(parseNotification(struct.pack("=HHI", 0x9999, 0, 8)))
    finally:
        globalLogPublisher.removeObserver(events.append)
    warned = [e for e in events if e.get("log_level") == LogLevel.warn and e.get("type") == 0x9999]
    assert len(warned) == 1, events
    assert factory.protocols[0].notifications == before


@pytest_twisted.inlineCallbacks
def test_connect_timeout_leaves_the_reactor_once_up(reactor, listen):
    """
    Once the association is up, the connector's timeout does not stay in
    the reactor's timer heap until its 30 s are over (as a cancelled call
    would): it runs, as a no-op, in the next reactor iteration.  The
    association is unaffected and the connector stays connected.
    """
    port = listen(protocol.Factory.forProtocol(Echo))
    made = connectProtocol(reactor, "127.0.0.1", port.getHost().port, Recorder, timeout=30)
    connector = made.connector
    timeoutCall = connector.timeoutID
    assert timeoutCall is not None and timeoutCall.active()
    client = yield withDeadline(made, 10, "the association", reactor)
    try:
        yield _tick(reactor, 0)
        assert timeoutCall.called and not timeoutCall.cancelled
        assert not timeoutCall.active()
        assert timeoutCall not in reactor.getDelayedCalls()
        assert connector.timeoutID is None
        client.transport.writeMessage(b"still up")
        got = yield withDeadline(client.expect(1), 10, "the echo", reactor)
        assert got[0][0] == b"still up"
        assert connector.state == "connected" and client.transport.connected
    finally:
        client.transport.abortConnection()
