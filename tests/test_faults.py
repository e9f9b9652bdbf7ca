"""
Faults: what txsctp does when a peer dies, restarts, sits behind a lossy
link, cannot be reached, or when the application closes with a full queue.

Every test sequence-checks the messages (tests/peers/peerlib.py): nothing
that was accepted may be lost, duplicated or reordered within its stream.
Peers are separate processes built on the socket layer only
(tests/peers/*.py), some inside network namespaces (tests/_netns.py).
"""

from __future__ import annotations

import errno
import signal
import time
from typing import List

import pytest
import pytest_twisted

from twisted.internet import defer, error, task

from _netns import iptablesAvailable, netemAvailable, requiresNetns, topology  # noqa: F401
from _peers import (  # noqa: F401
    SeqFactory,
    SeqProtocol,
    peers,
    pollUntil,
    sctpAssociations,
    spawnPeer,
    withDeadline,
)
from peers import peerlib
from txsctp.errors import (
    AssociationClosedError,
    CannotStartAssociationError,
    CommunicationLostError,
    PeerAbortedError,
    StreamOutOfRangeError,
    WriteQueueFullError,
)
from txsctp.notifications import AssociationChange, AssociationState, SendFailed, Shutdown
from txsctp.options import AssocState, InitMsg, RTOInfo
from txsctp.sctpsocket import SCTPSocket

STYLES = ["one-to-one", "one-to-many"]

# Per-socket timers that keep retransmission-driven tests short.
FAST = ["--rto-initial", "300", "--rto-min", "100", "--rto-max", "500"]


def _protocolFor(factory: SeqFactory, port: int):
    for p in factory.protocols:
        if p.addr.port == port:
            return p
    return None


def _rxQueue(localPort: int) -> int:
    """
    Bytes queued unread on the association whose local port is
    C{localPort} (from /proc/net/sctp/assocs), 0 if none.
    """
    for row in sctpAssociations():
        if len(row) > 12 and row[11] == str(localPort):
            return int(row[8])
    return 0


def _assocStates(proto, state):
    return [n for _, n in proto.events if isinstance(n, AssociationChange) and n.state == state]


# -- a peer process killed -------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_peer_killed_mid_traffic(reactor, listen, peers, style):
    """
    Two peers stream sequence-numbered messages to one port; one is killed
    (SIGKILL) mid-traffic while messages for it are unread, so its kernel
    ABORTs: that association's Protocol sees associationLost and
    connectionLost with PeerAbortedError, after an in-order prefix of what
    was sent.  The other association is untouched, all its messages arrive,
    and the port still takes new associations.
    """
    factory = SeqFactory()
    port = listen(factory, style=style, outStreams=8, inStreams=8)
    portNumber = port.getHost().port
    common = ["--connect", "127.0.0.1", "--port", portNumber, "--streams", "4", "--size", "200"]
    victim = spawnPeer(reactor, "sender", *common, "--count", "0", "--report", "500", name="victim")
    survivor = spawnPeer(reactor, "sender", *common, "--count", "3000", "--report", "1000", name="survivor")
    victimPort = int((yield victim.waitFor("UP", 20)).split()[1])
    survivorPort = int((yield survivor.waitFor("UP", 20)).split()[1])
    yield victim.waitFor("SENT 1000", 20)
    pv = yield pollUntil(lambda: _protocolFor(factory, victimPort), 10, "the victim's Protocol")
    pv.ackEvery = 50  # (only the victim gets acks: see test_peer_shutdown_with_messages_queued)
    yield pollUntil(lambda: pv.checker.count >= 500, 10, "victim messages to arrive")

    # Make sure some of our acks wait unread at the victim: then its kernel
    # must ABORT when the process dies (with nothing unread it would shut
    # the association down gracefully: see the next test).
    yield pollUntil(lambda: _rxQueue(victimPort) > 0, 10, "unread data at the victim")
    t0 = time.monotonic()
    victim.signal(signal.SIGKILL)
    reason = yield withDeadline(pv.lost, 10, "the victim's association to end")
    print(f"\n[{style}] victim killed after {pv.checker.count} messages received; "
          f"connectionLost {time.monotonic() - t0:.3f} s later: {reason!r}")
    assert isinstance(reason, PeerAbortedError), reason
    lostEvents = _assocStates(pv, AssociationState.COMM_LOST)
    assert lostEvents, pv.events
    print(f"  COMM_LOST notification: error={lostEvents[0].error} info={lostEvents[0].info.hex()}")
    assert pv.checker.errors == []
    assert pv.checker.count >= 500

    # The other association carried on.
    yield survivor.waitFor("DONE 3000", 30)
    ps = _protocolFor(factory, survivorPort)
    survivor.send("close")
    reason = yield withDeadline(ps.lost, 10, "the survivor to close")
    assert isinstance(reason, error.ConnectionDone), reason
    assert ps.checker.errors == []
    assert ps.checker.total() == 3000

    # And the port still serves new associations.
    late = spawnPeer(reactor, "sender", *common, "--count", "100", name="late")
    latePort = int((yield late.waitFor("UP", 20)).split()[1])
    yield late.waitFor("DONE 100", 20)
    late.send("close")
    pl = yield pollUntil(lambda: _protocolFor(factory, latePort), 10, "the late Protocol")
    yield withDeadline(pl.lost, 10, "the late association to close")
    assert pl.checker.errors == [] and pl.checker.total() == 100


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_peer_killed_with_nothing_unread(reactor, listen, peers, style):
    """
    A peer killed (SIGKILL) right after its kernel accepted its last
    message, with nothing unread: the kernel shuts the association down
    gracefully, and every message it had accepted still arrives, in order,
    before connectionLost(ConnectionDone).
    """
    factory = SeqFactory()
    port = listen(factory, style=style, outStreams=8, inStreams=8)
    sender = spawnPeer(reactor, "sender", "--connect", "127.0.0.1", "--port", port.getHost().port,
                       "--streams", "8", "--size", "300", "--count", "4000", "--batch", "32")
    senderPort = int((yield sender.waitFor("UP", 20)).split()[1])
    yield sender.waitFor("DONE", 30)
    sender.signal(signal.SIGKILL)
    p = yield pollUntil(lambda: _protocolFor(factory, senderPort), 10, "the Protocol")
    reason = yield withDeadline(p.lost, 20, "the association to end")
    assert isinstance(reason, error.ConnectionDone), reason
    assert p.checker.errors == []
    assert p.checker.total() == 4000


class _Burst(SeqProtocol):
    """
    Writes C{burst} messages of 500 bytes as soon as the association is up.
    """

    burst = 30

    def connectionMade(self):
        SeqProtocol.connectionMade(self)
        for i in range(self.burst):
            self.transport.writeMessage(peerlib.seqMessage(0, i, 500))


@defer.inlineCallbacks
def _burstHeldForPeer(reactor, listen, style):
    """
    A sender peer with a 4 KiB receive window that sent 10 messages and
    reads nothing, and our L{_Burst} Protocol, whose 30 messages the
    transport has handed to the kernel (most of them still held there for
    the peer): C{(peer, protocol)}.
    """
    factory = SeqFactory(cls=_Burst)
    port = listen(factory, style=style)
    peer = spawnPeer(reactor, "sender", "--connect", "127.0.0.1", "--port", port.getHost().port,
                     "--count", "10", "--rcvbuf", "4096")
    yield peer.waitFor("DONE", 20)
    p = yield factory.protocolAt(0)
    yield withDeadline(p.expect(10), 10, "the peer's messages")
    yield pollUntil(lambda: not p.transport._queue, 10, "the burst to be handed to the kernel")
    return peer, p


@defer.inlineCallbacks
def _cleanEnd(peer, p):
    """
    Wait for both ends of the association to close and check that it ended
    cleanly: the peer saw SHUTDOWN_COMPLETE after all of the burst, our
    side ConnectionDone.  C{(the peer's CLOSED line, our reason)}.
    """
    closed = yield peer.waitFor("CLOSED", 20)
    reason = yield withDeadline(p.lost, 20, "the association to end")
    assert closed.split()[1:3] == ["state", str(int(AssociationState.SHUTDOWN_COMP))], closed
    assert int(closed.split()[-1]) == _Burst.burst
    assert isinstance(reason, error.ConnectionDone), reason
    return closed, reason


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_write_during_peer_shutdown(reactor, listen, peers, style):
    """
    The peer shuts the association down gracefully while the kernel still
    holds messages for it (the peer reads nothing yet: a small receive
    window), and our application writes one more message at that moment
    (a late reply).  SCTP takes no new data after a SHUTDOWN: the late
    message must be refused or reported unsent, but the 30 messages the
    kernel had must all be delivered, the peer must see a clean shutdown
    (SHUTDOWN_COMPLETE, no ABORT) and our connectionLost ConnectionDone.
    """
    peer, p = yield _burstHeldForPeer(reactor, listen, style)
    peer.send("close-hold")
    yield peer.waitFor("SHUTDOWN-SENT", 10)
    yield pollUntil(lambda: p.countAtShutdown is not None, 10, "the peer's SHUTDOWN to reach us")
    writeError = None
    try:
        p.transport.writeMessage(b"late reply")
    except Exception as e:
        writeError = e
    peer.send("read")
    closed, reason = yield _cleanEnd(peer, p)
    failed = p.eventsOf(SendFailed)
    print(f"\n[{style}] peer: {closed!r}; ours: {reason!r}; late write: {writeError!r}; "
          f"{len(failed)} reported unsent")
    # Our side has read the SHUTDOWN (countAtShutdown is set as the
    # Protocol hears of it): the write is refused at once, not queued.
    assert isinstance(writeError, AssociationClosedError), writeError
    assert failed == []


@pytest.mark.parametrize("late", [1, 3], ids=["one-reply", "three-replies"])
@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_write_refused_by_the_kernel_comes_back_unsent(reactor, listen, peers, style, late):
    """
    Late replies again, but written before our side has read the peer's
    SHUTDOWN (our reading is paused): writeMessage takes them, and the
    kernel refuses them (ESHUTDOWN) when the queue is flushed -- alone (the
    one-message send) or as a batch.  Each must come back to the Protocol
    as SendFailed with SCTP_DATA_UNSENT, in order, not vanish; the 30
    messages the kernel had are still delivered and the association still
    ends cleanly.
    """
    peer, p = yield _burstHeldForPeer(reactor, listen, style)
    p.transport.pauseProducing()
    peer.send("close-hold")
    yield peer.waitFor("SHUTDOWN-SENT", 10)
    yield pollUntil(lambda: p.transport.getStatus().state == AssocState.SHUTDOWN_RECEIVED, 10,
                    "our kernel to take the peer's SHUTDOWN")
    assert p.countAtShutdown is None, "the SHUTDOWN was read although reading was paused"
    replies = [b"late reply %d" % i for i in range(late)]
    for reply in replies:
        p.transport.writeMessage(reply)
    yield pollUntil(lambda: p.eventsOf(SendFailed), 10, "the refused replies to be reported")
    p.transport.resumeProducing()
    peer.send("read")
    yield _cleanEnd(peer, p)
    failed = p.eventsOf(SendFailed)
    # Linux refuses with ESHUTDOWN in SHUTDOWN-RECEIVED (EPIPE once closed).
    assert [n.data for n in failed] == replies, failed
    assert all(n.error in (errno.ESHUTDOWN, errno.EPIPE) and not n.sent for n in failed), failed


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_peer_abort_with_reason(reactor, listen, peers, style):
    """
    A peer ABORTs with a reason (a user-initiated-abort cause carrying
    text): connectionLost gets PeerAbortedError whose cause is that cause
    code (12), in host byte order, after every message sent before.
    """
    factory = SeqFactory()
    port = listen(factory, style=style)
    peer = spawnPeer(reactor, "sender", "--connect", "127.0.0.1", "--port", port.getHost().port,
                     "--count", "50", "--one-to-many")
    yield peer.waitFor("DONE", 20)
    p = yield factory.protocolAt(0)
    yield withDeadline(p.expect(50), 10, "the messages")
    peer.send("abort:going away")
    reason = yield withDeadline(p.lost, 10, "the abort")
    lostEvents = _assocStates(p, AssociationState.COMM_LOST)
    print(f"\n[{style}] {reason!r}; COMM_LOST error={lostEvents[0].error} info={lostEvents[0].info!r}")
    assert isinstance(reason, PeerAbortedError), reason
    assert reason.cause == 12
    assert b"going away" in lostEvents[0].info
    assert p.checker.errors == [] and p.checker.total() == 50


# -- a peer restarting on the same address and port ---------------------------------


@requiresNetns
@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_peer_restart_same_address_and_port(reactor, listen, peers, topology, style):
    """
    A peer in its own namespace is killed while an iptables rule there drops
    its outgoing ABORT chunks, so our end of the association survives; it is
    then restarted from the same address and port and associates again.
    The kernel reports this as a RESTART: the same Protocol gets
    associationRestarted (its own event, not a new connection), and the new
    incarnation's messages arrive in order.
    """
    why = iptablesAvailable()
    if why:
        pytest.skip(why)
    topo = topology(1)
    link = topo.links[0]
    factory = SeqFactory()
    port = listen(factory, style=style, interface=link.localAddr, outStreams=8, inStreams=8)
    topo.iptables("-A", "OUTPUT", "-p", "sctp", "--chunk-types", "any", "ABORT", "-j", "DROP")
    localPort = 40000 + topo.number
    args = ["--connect", link.localAddr, "--port", port.getHost().port, "--bind", link.remoteAddr,
            "--local-port", localPort, "--streams", "4", "--size", "100", "--linger0"]

    first = spawnPeer(reactor, "sender", *args, "--gen", "1", "--count", "400", netns=topo.name,
                      name="incarnation-1")
    yield first.waitFor("DONE 400", 20)
    p = yield pollUntil(lambda: _protocolFor(factory, localPort), 10, "the Protocol")
    yield withDeadline(p.expect(400), 10, "the first incarnation's messages")
    first.signal(signal.SIGKILL)
    yield first.waitEnded()
    assert not p.lost.called, "the ABORT was not blocked: " + repr(p.reason)

    assert (p.transport.outboundStreams, p.transport.inboundStreams) == (4, 4)
    # The new incarnation offers fewer streams: the restart renegotiates them.
    args2 = [("2" if a == "4" and args[i - 1] == "--streams" else a) for i, a in enumerate(args)]
    second = spawnPeer(reactor, "sender", *args2, "--gen", "2", "--count", "300", netns=topo.name,
                       name="incarnation-2")
    t0 = time.monotonic()
    yield second.waitFor("DONE 300", 20)
    yield pollUntil(lambda: _assocStates(p, AssociationState.RESTART), 10,
                    "associationRestarted", detail=lambda: repr(p.events))
    yield withDeadline(p.expect(700), 10, "the second incarnation's messages")
    print(f"\n[{style}] restart seen {time.monotonic() - t0:.3f} s after the peer was restarted")
    assert len(factory.protocols) == 1, "a restart must not build a new Protocol"
    assert not p.lost.called
    assert p.checker.errors == []
    assert p.checker.total(gen=1) == 400
    assert p.checker.total(gen=2) == 300
    restarted = _assocStates(p, AssociationState.RESTART)
    assert len(restarted) == 1
    assert (p.transport.outboundStreams, p.transport.inboundStreams) == (2, 2)
    with pytest.raises(StreamOutOfRangeError):
        p.transport.writeMessage(b"x", stream=3)

    second.send("close")
    reason = yield withDeadline(p.lost, 10, "the restarted association to close")
    assert isinstance(reason, error.ConnectionDone), reason


# -- a client back on the port it just used -----------------------------------------


def _associateAndClose(serverPort: int) -> int:
    """
    A blocking client associates with C{serverPort} and closes (a graceful
    SHUTDOWN) at once; returns its local port, free again once the kernel
    has finished that association.
    """
    first = SCTPSocket()
    try:
        first.bind(("127.0.0.1", 0))
        clientPort = first.getsockname()[1]
        first.connect(("127.0.0.1", serverPort))
    finally:
        first.close()
    return clientPort


def _serverSideOf(clientPort: int) -> List[List[str]]:
    """
    The kernel's rows (/proc/net/sctp/assocs) for associations whose peer
    port is C{clientPort}: the server's side of that client's association.
    """
    return [row for row in sctpAssociations() if len(row) > 12 and row[12] == str(clientPort)]


def _waitForClientEnd(clientPort: int) -> None:
    """
    Block (at most 5 s) until the client's side of its association is
    gone, which it is once its SHUTDOWN COMPLETE is sent: the server's side
    has then received it (loopback keeps the order) or will at once.
    """
    deadline = time.monotonic() + 5
    while any(len(row) > 11 and row[11] == str(clientPort) for row in sctpAssociations()):
        assert time.monotonic() < deadline, "the client's association did not end"
        time.sleep(0.001)


def _reconnectFrom(clientPort: int, serverPort: int) -> SCTPSocket:
    """
    A blocking client on C{clientPort} associating with C{serverPort}, with
    timers short enough (RTO 100-200 ms, 2 INIT/COOKIE ECHO attempts) that a
    discarded COOKIE ECHO fails it in about half a second.
    """
    second = SCTPSocket(initMsg=InitMsg(maxAttempts=2, maxInitTimeout=200))
    try:
        second.bind(("127.0.0.1", clientPort))
        second.setRTOInfo(RTOInfo(initial=100, min=100, max=200))
        second.setTimeouts(send=5.0)
        second.connect(("127.0.0.1", serverPort))
    except BaseException:
        second.close()
        raise
    return second


def test_kernel_keeps_an_association_ended_before_accept():
    """
    Why the next test exists (Linux, the test kernel's 6.1): a one-to-one
    listening socket keeps an association that ended before it was accepted
    (state CLOSED) until the application accepts it and closes that socket.
    Meanwhile a new association from the same client port is answered
    through the old one and every COOKIE ECHO is discarded: the client
    stays in COOKIE-ECHOED until its INIT retries run out.  Clients that
    bind a fixed local port (common in telecom) or reconnect quickly meet
    it.  Socket layer only, no reactor.  Should a kernel stop doing this,
    this test fails: then docs/reliability.md needs updating.
    """
    listener = SCTPSocket()
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        serverPort = listener.getsockname()[1]
        clientPort = _associateAndClose(serverPort)
        _waitForClientEnd(clientPort)
        assert [row[4] for row in _serverSideOf(clientPort)] == ["0"], \
            "the ended, unaccepted association should be kept CLOSED (state 0)"
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            _reconnectFrom(clientPort, serverPort).close()
        print(f"\nthe reconnect from port {clientPort} timed out after {time.monotonic() - t0:.2f} s")
    finally:
        listener.close()


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_reconnect_from_the_same_port_after_an_unread_end(reactor, listen, style):
    """
    A client associates and closes while the port is not being read (a busy
    server); the port is then read once -- one reactor wake-up's worth --
    and the same client port associates again at once.  The one-to-one port
    reads each socket it accepts straight away, so an association that has
    already ended is reported and its socket closed within that read: the
    kernel keeps nothing for it (previous test), and the new association
    gets through.  One-to-many sockets never keep ended associations.
    """
    factory = SeqFactory()
    port = listen(factory, style=style)
    serverPort = port.getHost().port
    port.stopReading()
    clientPort = _associateAndClose(serverPort)
    _waitForClientEnd(clientPort)
    port.doRead()
    assert len(factory.protocols) == 1
    first = factory.protocols[0]
    assert first.lost.called, "the association that had ended was not reported within the read"
    # Gone before it was read: its address is the one it came from.
    assert (first.addr.host, first.addr.port) == ("127.0.0.1", clientPort)
    assert isinstance(first.reason.value, error.ConnectionDone), first.reason
    assert _serverSideOf(clientPort) == [], "the kernel still holds the ended association"

    second = _reconnectFrom(clientPort, serverPort)
    try:
        port.startReading()
        p = yield withDeadline(factory.protocolAt(1), 10, "the second association's Protocol")
        yield withDeadline(p.up, 10, "the second association")
        assert p.addr.port == clientPort
    finally:
        second.close()
    reason = yield withDeadline(p.lost, 10, "the second association's end")
    assert isinstance(reason, error.ConnectionDone), reason


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_association_aborted_before_the_port_reads_it(reactor, listen, style):
    """
    An association the peer aborts before the port reads it (one-to-one:
    before it is accepted) comes and goes within one read, ended as
    aborted, with nothing left in the kernel; the port goes on accepting.
    """
    factory = SeqFactory()
    port = listen(factory, style=style)
    serverPort = port.getHost().port
    port.stopReading()
    client = SCTPSocket()
    try:
        client.bind(("127.0.0.1", 0))
        clientPort = client.getsockname()[1]
        client.connect(("127.0.0.1", serverPort))
        client.setLinger(True, 0)
    finally:
        client.close()  # lingering 0 s: an ABORT
    _waitForClientEnd(clientPort)
    port.doRead()
    assert len(factory.protocols) == 1
    first = factory.protocols[0]
    assert first.lost.called, "the aborted association was not reported within the read"
    assert isinstance(first.reason.value, PeerAbortedError), first.reason
    assert _serverSideOf(clientPort) == []

    port.startReading()
    again = SCTPSocket()
    try:
        again.connect(("127.0.0.1", serverPort))
        p = yield withDeadline(factory.protocolAt(1), 10, "the next association's Protocol")
        yield withDeadline(p.up, 10, "the next association")
    finally:
        again.close()
    reason = yield withDeadline(p.lost, 10, "the next association's end")
    assert isinstance(reason, error.ConnectionDone), reason


@pytest_twisted.inlineCallbacks
def test_a_failing_first_read_ends_that_association_not_the_port(reactor, listen, monkeypatch):
    """
    Should reading a just-accepted socket raise, that association is ended
    as the reactor ends a descriptor whose doRead raised (its socket
    closed), and the port itself goes on accepting.
    """
    from txsctp import _onetoone

    factory = SeqFactory()
    port = listen(factory, style="one-to-one")
    serverPort = port.getHost().port
    port.stopReading()
    failed = []

    def brokenRead(accepted):
        failed.append(accepted)
        raise RuntimeError("a broken read")

    first = SCTPSocket()
    again = SCTPSocket()
    try:
        first.connect(("127.0.0.1", serverPort))
        with monkeypatch.context() as patched:
            patched.setattr(_onetoone._AcceptedSocket, "doRead", brokenRead)
            port.doRead()
        assert len(failed) == 1
        assert failed[0].disconnected and failed[0].sock.closed
        assert factory.protocols == []
        port.startReading()
        again.connect(("127.0.0.1", serverPort))
        p = yield withDeadline(factory.protocolAt(0), 10, "the next association's Protocol")
        yield withDeadline(p.up, 10, "the next association")
    finally:
        first.close()
        again.close()


class _PausesAtOnce(SeqProtocol):
    def connectionMade(self) -> None:
        SeqProtocol.connectionMade(self)
        self.transport.pauseProducing()


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_paused_from_connection_made_reads_nothing_until_resumed(reactor, listen, style):
    """
    A Protocol that pauses its transport in connectionMade (which the
    one-to-one port calls within the read that accepts) gets nothing the
    peer sends next until it resumes -- one-to-one, it stays in the kernel,
    unread; one-to-many, where other associations share the socket, it is
    read and held -- then every message, in order.
    """
    factory = SeqFactory(_PausesAtOnce)
    port = listen(factory, style=style)
    serverPort = port.getHost().port
    client = SCTPSocket()
    try:
        client.connect(("127.0.0.1", serverPort))
        p = yield withDeadline(factory.protocolAt(0), 10, "the Protocol")
        for seq in range(20):
            client.sendMessage(peerlib.seqMessage(0, seq, 200))
        yield pollUntil(lambda: client.getStatus().unackData == 0, 10, "our kernel to take the messages")
        for _ in range(3):
            yield task.deferLater(reactor, 0, lambda: None)
        assert p.checker.count == 0, "messages were delivered while paused"
        if style == "one-to-one":
            assert _rxQueue(serverPort) > 0, "messages were read from the kernel while paused"
        p.transport.resumeProducing()
        yield withDeadline(p.expect(20), 10, "the messages after resumeProducing")
        assert p.checker.errors == []
    finally:
        client.close()
    reason = yield withDeadline(p.lost, 10, "the association's end")
    assert isinstance(reason, error.ConnectionDone), reason


class _StopsListening(SeqProtocol):
    def connectionMade(self) -> None:
        SeqProtocol.connectionMade(self)
        self.factory.port.stopListening()


@pytest_twisted.inlineCallbacks
def test_stop_listening_from_the_first_protocol_of_a_read(reactor, listen):
    """
    Associations accepted in one read get their Protocol in that read; one
    that stops the port from connectionMade stops the accepting too (as
    Twisted's TCP port does), so no Protocol is built after it.
    """
    factory = SeqFactory(_StopsListening)
    port = factory.port = listen(factory, style="one-to-one")
    serverPort = port.getHost().port
    port.stopReading()
    clients = []
    try:
        for _ in range(2):
            client = SCTPSocket()
            clients.append(client)
            client.connect(("127.0.0.1", serverPort))
        port.doRead()
        assert len(factory.protocols) == 1
        yield withDeadline(factory.protocols[0].up, 5, "the first association")
        # Stopping it again while that is under way: the same Deferred.
        stopping = port.stopListening()
        assert stopping is port.stopListening()
        yield withDeadline(stopping, 5, "the port to stop")
        assert port.stopListening() is None
    finally:
        for client in clients:
            client.close()


# -- loss and reordering ------------------------------------------------------------------


@requiresNetns
@pytest_twisted.inlineCallbacks
def test_bulk_transfer_with_loss_and_reordering(reactor, connect, peers, topology, sysctl):
    """
    10 % packet loss and reordering (netem, both directions) while 2 MB of
    messages from 100 B to 9 kB (fragmented) on 8 streams go to an echo
    peer and back: everything arrives intact, in order per stream.
    """
    why = netemAvailable()
    if why:
        pytest.skip(why)
    sysctl("net.sctp.rto_initial", 300)
    topo = topology(1)
    link = topo.links[0]
    echo = spawnPeer(reactor, "echo", "--addr", link.remoteAddr, "--port", "5000", "--quiet", *FAST,
                     netns=topo.name)
    yield echo.waitFor("LISTENING", 20)
    client = yield connect(5000, SeqProtocol, host=link.remoteAddr, outStreams=8, inStreams=8)
    client.transport.socket.setRTOInfo(RTOInfo(initial=300, max=500, min=100), 0)
    link.netem("loss 10% delay 2ms reorder 25% 50%")
    sizes = [100, 1000, 3000, 9000]
    count = 640
    total = 0
    for i in range(count):
        stream = i % 8
        size = sizes[(i // 8) % 4]
        total += size
        client.transport.writeMessage(peerlib.seqMessage(stream, i // 8, size), stream=stream, ppid=7)
    t0 = time.monotonic()
    yield withDeadline(client.expect(count), 120, "every echo", detail=lambda: f"{client.checker.count} received")
    elapsed = time.monotonic() - t0
    stats = client.transport.socket.getAssocStats(0)
    print(f"\n{count} messages ({total} bytes) each way through 10 % loss + reordering in "
          f"{elapsed:.2f} s; retransmitted chunks: {stats.rtxchunks}, gaps reported: {stats.gapcnt}")
    assert client.checker.errors == []
    assert client.checker.received() == {s: count // 8 for s in range(8)}
    assert stats.rtxchunks > 0, "netem dropped nothing?"
    link.clearNetem()
    client.transport.loseConnection()
    yield withDeadline(client.lost, 10, "the close")


# -- a peer that becomes unreachable mid-traffic -------------------------------------------------


@requiresNetns
@pytest_twisted.inlineCallbacks
def test_peer_unreachable_mid_traffic(reactor, connect, peers, topology):
    """
    The only link to the peer goes down for good mid-traffic: once the
    association's retransmission limit is reached the Protocol sees
    associationLost and connectionLost with CommunicationLostError (not a
    peer abort); every message received before is an in-order prefix.
    """
    topo = topology(1)
    link = topo.links[0]
    echo = spawnPeer(reactor, "echo", "--addr", link.remoteAddr, "--port", "5000", "--quiet", *FAST,
                     netns=topo.name)
    yield echo.waitFor("LISTENING", 20)
    client = yield connect(5000, SeqProtocol, host=link.remoteAddr)
    sock = client.transport.socket
    from txsctp.options import AssocParams

    sock.setRTOInfo(RTOInfo(initial=300, max=400, min=100), 0)
    sock.setAssocParams(AssocParams(maxRetrans=3), 0)
    seq = [0]

    def more():
        if client.transport.disconnected:
            return
        for _ in range(5):
            client.transport.writeMessage(peerlib.seqMessage(0, seq[0], 64))
            seq[0] += 1

    from twisted.internet import task

    loop = task.LoopingCall(more)
    loop.clock = reactor
    loop.start(0.01)
    yield withDeadline(client.expect(200), 10, "traffic")
    t0 = time.monotonic()
    link.down()
    reason = yield withDeadline(client.lost, 20, "communication lost")
    loop.stop()
    print(f"\ncommunication lost {time.monotonic() - t0:.2f} s after the link went down: {reason!r}")
    assert isinstance(reason, CommunicationLostError), reason
    assert _assocStates(client, AssociationState.COMM_LOST)
    assert client.checker.errors == []


# -- failing to connect -----------------------------------------------------------------------


class _Unused(SeqProtocol):
    pass


@pytest_twisted.inlineCallbacks
def test_connect_to_closed_port_is_refused_fast(reactor, connect, listen):
    """
    Nothing listens on the port: the peer's kernel answers INIT with ABORT
    and the connect fails at once with ConnectionRefusedError, for
    connectSCTP and for an association opened from a one-to-many port.
    """
    from _peers import freePort

    closed = freePort()
    t0 = time.monotonic()
    with pytest.raises(error.ConnectionRefusedError):
        yield withDeadline(connect(closed, _Unused), 10, "the refusal")
    elapsed = time.monotonic() - t0
    assert elapsed < 2.0, elapsed

    port = listen(SeqFactory(), style="one-to-many")
    t0 = time.monotonic()
    with pytest.raises((error.ConnectionRefusedError, CannotStartAssociationError)):
        yield withDeadline(port.associate("127.0.0.1", closed, timeout=10), 15, "the refusal")
    elapsed2 = time.monotonic() - t0
    print(f"\nrefused in {elapsed:.3f} s (connectSCTP), {elapsed2:.3f} s (associate)")
    assert elapsed2 < 2.0, elapsed2


@pytest_twisted.inlineCallbacks
def test_connect_to_unroutable_address(reactor, connect):
    """
    An address with no route at all: the connect fails at once with a
    connect error naming it (no route / network unreachable).
    """
    t0 = time.monotonic()
    with pytest.raises(error.ConnectError) as info:
        yield withDeadline(connect(5000, _Unused, host="203.0.113.9", timeout=5), 10, "the failure")
    elapsed = time.monotonic() - t0
    print(f"\nunroutable: {info.value!r} after {elapsed:.3f} s")
    assert elapsed < 6.0


@requiresNetns
@pytest_twisted.inlineCallbacks
def test_connect_to_blackhole_times_out(reactor, connect, listen, topology):
    """
    An address that is routed but never answers (its host drops every SCTP
    packet): connectSCTP(timeout=1.5) fails with TimeoutError after about
    1.5 s; port.associate(timeout=1.5) likewise.
    """
    why = iptablesAvailable()
    if why:
        pytest.skip(why)
    topo = topology(1)
    link = topo.links[0]
    topo.iptables("-A", "INPUT", "-p", "sctp", "-j", "DROP")
    t0 = time.monotonic()
    with pytest.raises(error.TimeoutError):
        yield withDeadline(connect(5000, _Unused, host=link.remoteAddr, timeout=1.5), 10, "the timeout")
    elapsed = time.monotonic() - t0
    assert 1.4 <= elapsed < 4.0, elapsed

    port = listen(SeqFactory(), style="one-to-many", interface=link.localAddr)
    t0 = time.monotonic()
    with pytest.raises(error.TimeoutError):
        yield withDeadline(port.associate(link.remoteAddr, 5000, timeout=1.5), 10, "the timeout")
    elapsed2 = time.monotonic() - t0
    print(f"\nblackhole: TimeoutError after {elapsed:.2f} s (connectSCTP), {elapsed2:.2f} s (associate)")
    assert 1.4 <= elapsed2 < 4.0, elapsed2


@requiresNetns
@pytest_twisted.inlineCallbacks
def test_init_retries_exhausted(reactor, connect, listen, topology, sysctl):
    """
    The peer listens but every INIT is dropped (iptables on its side):
    with maxAttempts=2, maxInitTimeout=300 ms (and rto_initial 200 ms) and
    no connect timeout, the kernel gives up after its INIT retransmissions
    and the connect fails with CannotStartAssociationError in bounded time.
    """
    why = iptablesAvailable()
    if why:
        pytest.skip(why)
    sysctl("net.sctp.rto_initial", 200)
    topo = topology(1)
    link = topo.links[0]
    topo.iptables("-A", "INPUT", "-p", "sctp", "--chunk-types", "any", "INIT", "-j", "DROP")
    t0 = time.monotonic()
    with pytest.raises(CannotStartAssociationError) as info:
        yield withDeadline(connect(5000, _Unused, host=link.remoteAddr, timeout=None, maxAttempts=2,
                                   maxInitTimeout=300), 20, "INIT retries to run out")
    elapsed = time.monotonic() - t0
    assert elapsed < 5.0, elapsed

    port = listen(SeqFactory(), style="one-to-many", interface=link.localAddr, maxAttempts=2,
                  maxInitTimeout=300)
    t0 = time.monotonic()
    with pytest.raises(CannotStartAssociationError):
        yield withDeadline(port.associate(link.remoteAddr, 5000, timeout=None), 20, "INIT retries to run out")
    elapsed2 = time.monotonic() - t0
    print(f"\nINIT retries exhausted: {info.value!r} after {elapsed:.2f} s (connectSCTP), "
          f"{elapsed2:.2f} s (associate)")
    assert elapsed2 < 5.0, elapsed2


# -- closing with a full queue ------------------------------------------------------------------


@pytest.mark.parametrize("clientStyle", STYLES)
@pytest_twisted.inlineCallbacks
def test_lose_connection_with_full_queue(reactor, listen, connect, clientStyle):
    """
    The client fills its queue up to maxQueuedBytes (the next write raises
    WriteQueueFullError and is not accepted), then calls loseConnection at
    once: every accepted message reaches the server, in order, before the
    server sees the SHUTDOWN, and both ends get ConnectionDone.
    """
    server = SeqFactory()
    port = listen(server, style="one-to-many", outStreams=8, inStreams=8)
    cap = 2 << 20
    if clientStyle == "one-to-one":
        client = yield connect(port.getHost().port, SeqProtocol, outStreams=8, inStreams=8,
                               maxQueuedBytes=cap)
    else:
        cport = listen(SeqFactory(), style="one-to-many", outStreams=8, inStreams=8, maxQueuedBytes=cap)
        client = yield withDeadline(cport.associate("127.0.0.1", port.getHost().port), 10, "associate")
    accepted = 0
    with pytest.raises(WriteQueueFullError):
        while True:
            stream = accepted % 8
            client.transport.writeMessage(peerlib.seqMessage(stream, accepted // 8, 3000), stream=stream)
            accepted += 1
    queued = client.transport._queuedBytes
    client.transport.loseConnection()
    reason = yield withDeadline(client.lost, 30, "the client's close")
    assert isinstance(reason, error.ConnectionDone), reason
    ps = yield server.protocolAt(0)
    reason = yield withDeadline(ps.lost, 10, "the server's close")
    print(f"\n[{clientStyle}] {accepted} messages accepted ({queued} bytes still queued at "
          f"loseConnection); server got {ps.checker.count}, saw SHUTDOWN after {ps.countAtShutdown}")
    assert queued > cap // 2
    assert isinstance(reason, error.ConnectionDone), reason
    assert ps.checker.errors == []
    assert ps.checker.total() == accepted
    assert ps.countAtShutdown == accepted
    assert [n for _, n in ps.events if isinstance(n, Shutdown)]


class _PausesMidBatch(SeqProtocol):
    """
    Pauses reading from inside C{messageReceived}, at its tenth message.
    """

    def messageReceived(self, data, info) -> None:
        SeqProtocol.messageReceived(self, data, info)
        if self.checker.count == 10:
            self.transport.pauseProducing()


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_paused_from_message_received_mid_batch(reactor, listen, style):
    """
    Messages the peer sent back to back arrive in one read; a Protocol that
    pauses from C{messageReceived} part way through gets none of the rest
    while paused, then every one of them, in order and once, after it
    resumes.
    """
    factory = SeqFactory(_PausesMidBatch)
    port = listen(factory, style=style)
    client = SCTPSocket()
    try:
        client.connect(("127.0.0.1", port.getHost().port))
        p = yield withDeadline(factory.protocolAt(0), 10, "the Protocol")
        sent = client.sendBatch([(peerlib.seqMessage(0, seq, 100), 0, 0, 0, 0, 0) for seq in range(50)])
        assert sent == 50
        yield withDeadline(p.expect(10), 10, "the first ten messages")
        yield pollUntil(lambda: client.getStatus().unackData == 0, 10, "our kernel to send them all")
        for _ in range(3):
            yield task.deferLater(reactor, 0, lambda: None)
        assert p.checker.count == 10, "messages were delivered while paused"
        p.transport.resumeProducing()
        yield withDeadline(p.expect(50), 10, "the rest after resumeProducing")
        assert p.checker.count == 50
        assert p.checker.errors == []
    finally:
        client.close()
