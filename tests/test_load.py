"""
Load: many associations on one port, a million messages, a peer that
stops reading.

  - 10,000 associations on one one-to-many port, in 10 waves of 1,000
    (opened at once, one message each way, closed): every message goes to
    the right association, and after the waves no file descriptor, no
    Protocol and no memory is left behind (/proc/self/fd, weak references,
    tracemalloc).
  - 1,000,000 messages over 64 streams from a peer process (socket layer,
    sendmmsg batches) to a one-to-many port: integrity and per-stream
    order of every message checked.  TXSCTP_LOAD_MESSAGES=N runs another
    count (the default is the full million: about 20-30 s in the test
    kernel).
  - A peer that stops reading (SIGSTOP): the sender's push producer is
    paused, what is queued stays under the high-water mark (bufferSize),
    memory stays bounded, and once the peer reads again (SIGCONT) every
    message arrives, in order.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import time
import tracemalloc
import weakref

import pytest_twisted

from zope.interface import implementer

from twisted.internet import defer, error, protocol
from twisted.internet.interfaces import IPushProducer

from _peers import SeqProtocol, describeFds, openFds, peers, pollUntil, spawnPeer, withDeadline  # noqa: F401
from peers import peerlib
from txsctp import SCTPProtocol

WAVES = int(os.environ.get("TXSCTP_LOAD_WAVES", "10"))
WAVE_SIZE = int(os.environ.get("TXSCTP_LOAD_WAVE_SIZE", "1000"))
MESSAGES = int(os.environ.get("TXSCTP_LOAD_MESSAGES", "1000000"))


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# -- 10,000 associations ------------------------------------------------------------


class _WaveStats:
    def __init__(self):
        self.built = 0
        self.lost = 0
        self.misrouted = []
        self.unclean = []
        self.live = weakref.WeakSet()


class WaveEcho(SCTPProtocol):
    """
    Echoes the one message of a manyclients.py association, after checking
    it names this association's peer port.
    """

    def connectionMade(self):
        stats = self.factory.stats
        stats.built += 1
        stats.live.add(self)

    def messageReceived(self, data, info):
        try:
            port = int(data.split(b":")[2])
        except (IndexError, ValueError):
            port = None
        if port != self.transport.getPeer().port:
            self.factory.stats.misrouted.append((data, self.transport.getPeer()))
        self.transport.writeMessage(data, stream=info.stream, ppid=info.ppid)

    def connectionLost(self, reason):
        stats = self.factory.stats
        stats.lost += 1
        if not reason.check(error.ConnectionDone):
            stats.unclean.append(repr(reason.value))


class WaveFactory(protocol.Factory):
    protocol = WaveEcho

    def __init__(self):
        self.stats = _WaveStats()


@defer.inlineCallbacks
def _runWave(clients, factory, port, waveId, n):
    stats = factory.stats
    t0 = time.monotonic()
    clients.send(f"wave {waveId} {n}")
    line = yield clients.waitFor(f"WAVE {waveId} ", 180)
    fields = dict(f.split("=") for f in line.split()[2:])
    yield pollUntil(lambda: stats.lost == stats.built and not port.getAssociations(), 60,
                    f"wave {waveId}: every association to end on the server side",
                    detail=lambda: f"built {stats.built}, lost {stats.lost}, "
                                   f"live {len(port.getAssociations())}")
    return fields, time.monotonic() - t0


@pytest_twisted.inlineCallbacks
def test_ten_thousand_associations_in_waves(reactor, listen, peers):
    """
    10 waves of 1,000 associations on one one-to-many port: each gets its
    own Protocol, its message and echo go to it alone, it ends cleanly;
    afterwards no fd, Protocol or memory is left over.
    """
    factory = WaveFactory()
    port = listen(factory, style="one-to-many", outStreams=4, inStreams=4)
    clients = spawnPeer(reactor, "manyclients", "--connect", "127.0.0.1", "--port", port.getHost().port)
    yield clients.waitFor("READY", 20)
    # A warm-up wave: one-time allocations (imports, caches) are not leaks.
    fields, _ = yield _runWave(clients, factory, port, "warmup", 200)
    assert fields["ok"] == "200", fields
    gc.collect()
    fdsBefore = openFds()
    blocksBefore = sys.getallocatedblocks()
    rssBefore = _rss()
    builtBefore = factory.stats.built
    times = []
    for w in range(1, WAVES + 1):
        fields, elapsed = yield _runWave(clients, factory, port, str(w), WAVE_SIZE)
        times.append(elapsed)
        # (Each association's end leaves reference cycles for the cyclic
        # collector, ~2 KiB each; collected here, so that RSS shows what is
        # still alive rather than when the collector last ran.)
        gc.collect()
        if w == 1:
            rssBefore = _rss()  # (steady state: after the first full wave)
        assert fields["ok"] == str(WAVE_SIZE) and fields["bad"] == "0" and fields["failed"] == "0", (
            f"wave {w}: {fields}\n{clients.transcript(10)}")
    gc.collect()
    blocksAfter = sys.getallocatedblocks()
    rssAfter = _rss()
    fdsAfter = openFds()
    # tracemalloc over one more wave (only one: allocation tracing makes
    # Python many times slower in the test kernel).
    tracemalloc.start()
    snapBefore = tracemalloc.take_snapshot()
    fields, traced = yield _runWave(clients, factory, port, "traced", 200)
    gc.collect()
    snapAfter = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert fields["ok"] == "200", fields
    growth = sum(s.size_diff for s in snapAfter.compare_to(snapBefore, "filename"))
    top = snapAfter.compare_to(snapBefore, "lineno")[:3]
    stats = factory.stats
    total = stats.built - builtBefore - 200
    print(f"\n{total} associations in {WAVES} waves of {WAVE_SIZE}: "
          f"{', '.join(f'{t:.1f}' for t in times)} s per wave ({sum(times):.1f} s); "
          f"fds {len(fdsBefore)} -> {len(fdsAfter)}; Python memory blocks {blocksBefore} -> {blocksAfter}; "
          f"RSS {rssBefore >> 10} -> {rssAfter >> 10} KiB; traced growth over 200 more associations "
          f"({traced:.1f} s): {growth} bytes")
    for s in top:
        print(f"  {s}")
    assert total == WAVES * WAVE_SIZE
    assert stats.misrouted == []
    assert stats.unclean == []
    assert fdsAfter == fdsBefore, describeFds(sorted(set(fdsAfter) ^ set(fdsBefore)))
    assert len(stats.live) == 0, f"{len(stats.live)} Protocols still alive"
    # No per-association residue: 10,000 associations leaving even 100
    # bytes each behind would show as 1 MB.
    assert blocksAfter - blocksBefore < 5000, (blocksBefore, blocksAfter)
    assert rssAfter - rssBefore < 4 << 20, (rssBefore, rssAfter)
    assert growth < 256 << 10, f"memory grew by {growth} bytes over 200 associations"
    clients.send("quit")
    yield clients.waitEnded()


# -- 1,000,000 messages --------------------------------------------------------------


class Counter(SCTPProtocol):
    """
    Checks every message (integrity, stream, per-stream order, PPID = seq)
    without keeping any of them.
    """

    def connectionMade(self):
        self.checker = peerlib.SequenceChecker()
        self.ppidErrors = 0
        self.first = self.last = None
        self.done = defer.Deferred()
        self.expected = self.factory.expected

    def messageReceived(self, data, info):
        if self.first is None:
            self.first = time.monotonic()
        stream, seq, _ = self.checker.feedMessage(data, info.stream)
        if info.ppid != seq:
            self.ppidErrors += 1
        if self.checker.count == self.expected:
            self.last = time.monotonic()
            self.done.callback(None)

    def connectionLost(self, reason):
        if not self.done.called:
            self.done.errback(reason)


@pytest_twisted.inlineCallbacks
def test_million_messages_over_64_streams(reactor, listen, peers, bigBuffers):
    """
    MESSAGES (default 1,000,000) messages of 32 bytes over 64 streams, sent
    in sendmmsg batches by a peer process, received by a one-to-many port:
    every one intact, on its stream, in order, with its PPID.
    """
    factory = protocol.Factory.forProtocol(Counter)
    factory.expected = MESSAGES
    port = listen(factory, style="one-to-many", outStreams=64, inStreams=64)
    if MESSAGES != 1_000_000:
        print(f"\nTXSCTP_LOAD_MESSAGES={MESSAGES}: not the full million")
    sender = spawnPeer(reactor, "sender", "--connect", "127.0.0.1", "--port", port.getHost().port,
                       "--count", MESSAGES, "--streams", 64, "--size", 32, "--batch", 64, "--ppid-seq")
    yield sender.waitFor("UP", 20)
    done = yield sender.waitFor("DONE", 600)
    sent = float(done.split()[2])
    proto = yield pollUntil(lambda: _onlyProtocol(port), 10, "the Protocol")
    yield withDeadline(proto.done, 120, "every message to arrive",
                       detail=lambda: f"{proto.checker.count} of {MESSAGES}")
    elapsed = proto.last - proto.first
    print(f"\n{MESSAGES} messages over 64 streams: sender {sent:.1f} s, received in {elapsed:.1f} s "
          f"({MESSAGES / elapsed:.0f} msg/s)")
    assert proto.checker.errors == []
    assert proto.ppidErrors == 0
    assert proto.checker.received() == {s: MESSAGES // 64 + (1 if s < MESSAGES % 64 else 0) for s in range(64)}
    sender.send("close")
    yield withDeadline(sender.waitEnded(), 20, "the sender to finish")


def _onlyProtocol(port):
    assocs = port.getAssociations()
    return assocs[0].protocol if assocs else None


# -- a peer that stops reading ----------------------------------------------------------


@implementer(IPushProducer)
class _Producer:
    """
    Writes sequence-numbered 1 kB messages on 8 streams while not paused,
    64 per reactor turn, recording the most bytes ever queued.
    """

    def __init__(self, transport, total, reactor):
        self.transport = transport
        self.total = total
        self.reactor = reactor
        self.n = 0
        self.paused = False
        self.pauses = 0
        self.maxQueued = 0
        self.stopped = False
        self.finished = defer.Deferred()
        self._scheduled = None

    def start(self):
        self.transport.registerProducer(self, True)
        self._schedule()

    def _schedule(self):
        if self._scheduled is None and not self.paused and not self.stopped and self.n < self.total:
            self._scheduled = self.reactor.callLater(0, self._produce)

    def _produce(self):
        self._scheduled = None
        for _ in range(64):
            if self.paused or self.stopped or self.n >= self.total:
                break
            stream = self.n % 8
            self.transport.writeMessage(peerlib.seqMessage(stream, self.n // 8, 1024), stream=stream)
            self.n += 1
            self.maxQueued = max(self.maxQueued, self.transport._queuedBytes)
        if self.n >= self.total:
            self.transport.unregisterProducer()
            self.finished.callback(self.n)
            return
        self._schedule()

    def pauseProducing(self):
        self.paused = True
        self.pauses += 1

    def resumeProducing(self):
        self.paused = False
        self._schedule()

    def stopProducing(self):
        self.stopped = True


@pytest_twisted.inlineCallbacks
def test_peer_that_stops_reading(reactor, connect, peers):
    """
    The peer process is stopped (SIGSTOP) mid-stream: kernel buffers fill,
    the transport's queue reaches bufferSize and the producer is paused;
    it stays paused with the queue (and our memory) bounded while the peer
    is stopped.  SIGCONT: the producer resumes and all 40,000 messages
    (40 MB) arrive intact and in order.
    """
    total = 40000
    sink = spawnPeer(reactor, "sink", "--every", "5000")
    portNumber = int((yield sink.waitFor("LISTENING", 20)).split()[1])
    client = yield connect(portNumber, SeqProtocol, outStreams=8, inStreams=8)
    transport = client.transport
    producer = _Producer(transport, total, reactor)
    gc.collect()
    rssBase = _rss()
    producer.start()
    yield sink.waitFor("RECEIVED 5000", 60)
    sink.signal(signal.SIGSTOP)
    stoppedAt = producer.n
    yield pollUntil(lambda: producer.paused and transport.producerPaused, 30,
                    "the producer to be paused", detail=lambda: f"{producer.n} written, "
                    f"{transport._queuedBytes} queued")
    n = producer.n
    queued = transport._queuedBytes
    rssStopped = _rss()
    print(f"\npeer stopped after {stoppedAt} messages written; producer paused at {n} "
          f"with {queued} bytes queued (bufferSize {transport.bufferSize}); "
          f"RSS {rssBase >> 10} -> {rssStopped >> 10} KiB")
    assert queued <= transport.bufferSize + 64 * 1024
    sink.signal(signal.SIGCONT)
    yield withDeadline(producer.finished, 120, "the producer to finish",
                       detail=lambda: f"{producer.n} written")
    rssEnd = _rss()
    transport.loseConnection()
    report = yield sink.waitFor("REPORT", 120)
    print(f"producer paused {producer.pauses} times; most bytes ever queued {producer.maxQueued}; "
          f"RSS at the end {rssEnd >> 10} KiB, {total * 1024 >> 20} MiB sent; sink: {report}")
    assert report.split()[1:3] == [f"total={total}", "errors=0"], sink.transcript()
    assert producer.maxQueued <= transport.bufferSize + 64 * 1024
    assert rssEnd - rssBase < 16 << 20
    reason = yield withDeadline(client.lost, 10, "the close")
    assert isinstance(reason, error.ConnectionDone)
