"""
Security: SCTP-AUTH (RFC 4895) and file descriptor hygiene.

SCTP-AUTH needs C{net.sctp.auth_enable=1} when the sockets are created
(set for each test with the C{sysctl} fixture).  Keys and the chunk types
that must be authenticated are endpoint settings: set on a port's socket
(C{port.sock}, an L{SCTPSocket}) before its associations start, and per
association afterwards (key rotation).  The client side is a one-to-many
port opening its association with C{associate()}: C{connectSCTP} creates
its socket and connects in one go, leaving no moment to install keys (see
docs/reliability.md).

  - DATA chunks required authenticated, matching keys: messages flow,
    both ways, each side sees the other require AUTH for DATA.
  - Key rotation during traffic (install key 2 on both ends, activate it,
    deactivate key 1, wait for the kernel to report key 1 free, delete
    it): no message lost, duplicated or reordered.
  - Mismatched keys: the association comes up (the handshake is not
    covered), but no DATA chunk is accepted: nothing arrives.  With only
    DATA authenticated the association stays up (HEARTBEATs still pass and
    keep it alive) while the sender retransmits for ever; with HEARTBEATs
    authenticated too, it fails (CommunicationLostError).
  - No fd leaks across peeloffs, failed connects (refused, unroutable),
    aborted and closed associations and stopped ports (/proc/self/fd).
"""

from __future__ import annotations

import time

import pytest
import pytest_twisted

from twisted.internet import defer, error

from _peers import SeqFactory, SeqProtocol, connectProtocol, describeFds, openFds, pollUntil, withDeadline
from peers import peerlib
from txsctp.errors import CommunicationLostError, PeerAbortedError
from txsctp.notifications import AuthenticationEvent
from txsctp.options import AssocParams, RTOInfo

DATA, HEARTBEAT, HEARTBEAT_ACK = 0, 4, 5
WRONG = b"not the same secret at all....."
KEY1 = b"the first shared secret, 32 B.."
KEY2 = b"and the second one, rotated in"
NEW_KEY, FREE_KEY, NO_AUTH = 0, 1, 2
STYLES = ["one-to-one", "one-to-many"]


@pytest.fixture
def auth(sysctl):
    sysctl("net.sctp.auth_enable", 1)


def _requireAuth(sock, key, number=1, chunks=(DATA,)):
    """
    Endpoint settings, before any association: C{chunks} (DATA) must be
    authenticated, shared key C{number} is C{key} and is the one used to
    send.
    """
    for chunk in chunks:
        sock.addAuthChunk(chunk)
    sock.setAuthKey(number, key)
    sock.setActiveKey(number)


def _authEvents(proto, indication=None):
    return [n for _, n in proto.events
            if isinstance(n, AuthenticationEvent) and (indication is None or n.indication == indication)]


class Pinger(SeqProtocol):
    """
    Keeps 16 sequence-numbered messages in flight on 4 streams (each echo
    sends the next one on its stream) until stopped.
    """

    def start(self):
        self.nextSeq = [0] * 4
        self.sent = 0
        self.running = True
        for i in range(16):
            self._send(i % 4)

    def _send(self, stream):
        self.transport.writeMessage(peerlib.seqMessage(stream, self.nextSeq[stream], 120), stream=stream, ppid=9)
        self.nextSeq[stream] += 1
        self.sent += 1

    def messageReceived(self, data, info):
        SeqProtocol.messageReceived(self, data, info)
        if getattr(self, "running", False) and not self.transport.disconnected:
            self._send(info.stream)


@defer.inlineCallbacks
def _authPair(listen, serverStyle, serverKey, clientKey, clientTimers=False, chunks=(DATA,)):
    """
    An echoing server port and a client association (opened from a
    one-to-many port), each end requiring authenticated DATA with its key 1.
    """
    server = SeqFactory(echo=True)
    port = listen(server, style=serverStyle, outStreams=4, inStreams=4)
    _requireAuth(port.sock, serverKey, chunks=chunks)
    cport = listen(SeqFactory(cls=Pinger), style="one-to-many", outStreams=4, inStreams=4)
    _requireAuth(cport.sock, clientKey, chunks=chunks)
    if clientTimers:
        cport.sock.setRTOInfo(RTOInfo(initial=200, max=400, min=100))
        cport.sock.setAssocParams(AssocParams(maxRetrans=3))
    client = yield withDeadline(cport.associate("127.0.0.1", port.getHost().port), 10, "associate")
    return server, port, cport, client


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_matching_keys_carry_authenticated_data(reactor, listen, auth, style):
    """
    Both ends require DATA authenticated and share key 1: the association
    negotiates AUTH (each end sees the other require it for DATA), and
    messages flow both ways, intact and in order.
    """
    server, port, cport, client = yield _authPair(listen, style, KEY1, KEY1)
    t = client.transport
    peerChunks = t.socket.getPeerAuthChunks(t.assocId)
    localChunks = t.socket.getLocalAuthChunks(t.assocId)
    sp = yield server.protocolAt(0)
    serverPeerChunks = sp.transport.socket.getPeerAuthChunks(sp.transport.assocId)
    print(f"\n[{style}] client: local auth chunks {localChunks}, peer's {peerChunks}; "
          f"server sees the peer require {serverPeerChunks}")
    assert DATA in peerChunks and DATA in localChunks and DATA in serverPeerChunks
    assert not _authEvents(client, NO_AUTH), client.events
    assert t.socket.getActiveKey(t.assocId) == 1
    client.start()
    yield withDeadline(client.expect(2000), 30, "2000 authenticated round trips")
    client.running = False
    yield pollUntil(lambda: client.checker.count == client.sent, 10, "the last echoes")
    assert client.checker.errors == [] and sp.checker.errors == []
    assert sp.checker.count == client.sent


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_key_rotation_during_traffic(reactor, listen, auth, style):
    """
    During traffic: key 2 installed on both ends, made active on both,
    key 1 deactivated on both; the kernel reports key 1 free
    (SCTP_AUTH_FREE_KEY), then it is deleted.  Deleting the active key is
    refused.  No message is lost, duplicated or reordered, and the peer's
    DATA is authenticated with key 2 afterwards.
    """
    server, port, cport, client = yield _authPair(listen, style, KEY1, KEY1)
    sp = yield server.protocolAt(0)
    ends = [(client.transport.socket, client.transport.assocId, client),
            (sp.transport.socket, sp.transport.assocId, sp)]
    client.start()
    yield withDeadline(client.expect(500), 20, "traffic with key 1")
    for sock, assoc, _ in ends:
        sock.setAuthKey(2, KEY2, assoc)
    for sock, assoc, _ in ends:
        sock.setActiveKey(2, assoc)
    for sock, assoc, _ in ends:
        with pytest.raises(OSError):
            sock.deleteKey(2, assoc)  # the active key
        sock.deactivateKey(1, assoc)
    n = client.checker.count
    yield withDeadline(client.expect(n + 500), 20, "traffic with key 2")
    for sock, assoc, proto in ends:
        yield pollUntil(lambda proto=proto: any(e.keyNumber == 1 for e in _authEvents(proto, FREE_KEY)), 10,
                        "key 1 to be reported free", detail=lambda proto=proto: repr(_authEvents(proto)))
        sock.deleteKey(1, assoc)
        assert sock.getActiveKey(assoc) == 2
    n = client.checker.count
    yield withDeadline(client.expect(n + 500), 20, "traffic after key 1 was deleted")
    newKeyEvents = [(e.keyNumber, e.indication) for e in _authEvents(client) + _authEvents(sp)]
    client.running = False
    yield pollUntil(lambda: client.checker.count == client.sent, 10, "the last echoes")
    print(f"\n[{style}] {client.sent} round trips across the rotation; AUTH events: {newKeyEvents}")
    assert client.checker.errors == [] and sp.checker.errors == []
    assert sp.checker.count == client.sent
    # Deleting key 1 again: it is gone.
    with pytest.raises(OSError):
        ends[0][0].deleteKey(1, ends[0][1])


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_mismatched_keys_cannot_carry_data(reactor, listen, auth, style):
    """
    The ends hold different key 1 secrets (DATA required authenticated):
    the association comes up (the handshake is not covered by the shared
    key), but the server discards every DATA chunk (bad HMAC): not one
    message is delivered, however often the client retransmits.  The
    association does not fail: HEARTBEATs are not authenticated, so each
    one answered resets the error counters (Linux probes a path with a
    HEARTBEAT as soon as a retransmission timeout makes it potentially
    failed) and the client retransmits for ever.  (Requiring HEARTBEATs
    authenticated too makes it fail: next test.)
    """
    server, port, cport, client = yield _authPair(listen, style, KEY1, WRONG, clientTimers=True)
    sp = yield server.protocolAt(0)
    t = client.transport
    for i in range(20):
        t.writeMessage(peerlib.seqMessage(i % 4, i // 4, 100), stream=i % 4)
    t0 = time.monotonic()
    # Many retransmission rounds (RTO 100-400 ms here), with a deadline.
    yield pollUntil(lambda: t.socket.getAssocStats(t.assocId).rtxchunks >= 20 * 8, 30,
                    "eight rounds of retransmissions",
                    detail=lambda: repr(t.socket.getAssocStats(t.assocId)))
    elapsed = time.monotonic() - t0
    status = t.getStatus()
    stats = t.socket.getAssocStats(t.assocId)
    print(f"\n[{style}] mismatched keys, DATA authenticated: after {elapsed:.1f} s and {stats.rtxchunks} "
          f"retransmitted chunks, {status.unackData} chunks unacknowledged, server received "
          f"{sp.checker.count}; both ends still up: {not t.disconnected and not sp.transport.disconnected}")
    assert sp.checker.count == 0
    assert status.unackData == 20
    assert not client.lost.called and not sp.lost.called
    t.abortConnection()
    reason = yield withDeadline(sp.lost, 10, "the server to see the abort")
    assert isinstance(reason, PeerAbortedError), reason
    assert sp.checker.count == 0


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_mismatched_keys_with_authenticated_heartbeats_fail(reactor, listen, auth, style):
    """
    Mismatched keys, with DATA, HEARTBEAT and HEARTBEAT-ACK required
    authenticated: the peer no longer looks alive either, the client's
    retransmission limit is reached and it loses the association
    (CommunicationLostError); the server sees the ABORT; nothing was
    delivered.
    """
    server, port, cport, client = yield _authPair(listen, style, KEY1, WRONG, clientTimers=True,
                                                  chunks=(DATA, HEARTBEAT, HEARTBEAT_ACK))
    sp = yield server.protocolAt(0)
    t0 = time.monotonic()
    for i in range(20):
        client.transport.writeMessage(peerlib.seqMessage(i % 4, i // 4, 100), stream=i % 4)
    reason = yield withDeadline(client.lost, 30, "the client to give up")
    elapsed = time.monotonic() - t0
    serverReason = yield withDeadline(sp.lost, 10, "the server to see the end")
    print(f"\n[{style}] mismatched keys, DATA and HEARTBEATs authenticated: client {reason!r} after "
          f"{elapsed:.1f} s; server {serverReason!r}; server received {sp.checker.count}")
    assert sp.checker.count == 0 and client.checker.count == 0
    assert isinstance(reason, CommunicationLostError), reason
    assert isinstance(serverReason, PeerAbortedError), serverReason


# -- fd hygiene ----------------------------------------------------------------------------------


class _Echo(SeqProtocol):
    echo = True


def _connect(reactor, port, host="127.0.0.1", **kw):
    return withDeadline(connectProtocol(reactor, host, port, SeqProtocol, **kw), 10, "connect")


@defer.inlineCallbacks
def _cycle(reactor, listen):
    """
    One round of everything that opens and closes descriptors.
    """
    from _peers import freePort

    # A peeloff in the middle of an exchange, then a graceful close.
    server = SeqFactory(cls=_Echo)
    port = listen(server, style="one-to-many", outStreams=4, inStreams=4)
    client = yield _connect(reactor, port.getHost().port, outStreams=4, inStreams=4)
    client.transport.writeMessage(peerlib.seqMessage(0, 0, 50))
    sp = yield server.protocolAt(0)
    sp.transport.peelOff()
    assert sp.transport.socket.fileno() != port.fileno()  # (peeled off: a socket of its own)
    client.transport.writeMessage(peerlib.seqMessage(0, 1, 50))
    yield withDeadline(client.expect(2), 10, "echoes across the peeloff")
    client.transport.loseConnection()
    yield withDeadline(defer.DeferredList([client.lost, sp.lost]), 10, "the peeled association to close")
    # An abort.
    other = yield _connect(reactor, port.getHost().port)
    other.transport.abortConnection()
    yield withDeadline(other.lost, 10, "the abort")
    yield port.stopListening()
    # Failed connects: refused, unroutable; and a refused associate().
    for host, p in (("127.0.0.1", freePort()), ("203.0.113.7", 5000)):
        with pytest.raises(error.ConnectError):
            yield _connect(reactor, p, host=host, timeout=5)
    many = listen(SeqFactory(), style="one-to-many")
    with pytest.raises(error.ConnectError):
        yield withDeadline(many.associate("127.0.0.1", freePort()), 10, "the refusal")
    yield many.stopListening()
    # A one-to-one port with an accepted association closed by the peer.
    oneport = listen(SeqFactory(cls=_Echo), style="one-to-one")
    c = yield _connect(reactor, oneport.getHost().port)
    c.transport.loseConnection()
    yield withDeadline(c.lost, 10, "close")
    yield pollUntil(lambda: not oneport.getAssociations(), 10, "the accepted socket to go")
    yield oneport.stopListening()


@pytest_twisted.inlineCallbacks
def test_no_fd_leaks(reactor, listen):
    """
    20 rounds of peeloff mid-exchange, close, abort, refused and unroutable
    connects, a refused associate(), accepted associations closed by the
    peer and stopped ports: /proc/self/fd is the same afterwards.
    """
    yield _cycle(reactor, listen)  # warm-up: lazily created descriptors
    before = openFds()
    t0 = time.monotonic()
    for _ in range(20):
        yield _cycle(reactor, listen)
    yield pollUntil(lambda: openFds() == before, 10, "every descriptor to be closed",
                    detail=lambda: describeFds(sorted(set(openFds()) ^ set(before))))
    print(f"\n20 rounds in {time.monotonic() - t0:.1f} s: {len(before)} fds before and after")
