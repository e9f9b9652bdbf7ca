"""
Bad input at the userspace stack's UDP sockets while an association is
live: random datagrams, packets with bad checksums, mutated and truncated
packets with good checksums, floods from many unknown endpoints.  Nothing
crashes, nothing reaches a socket, no message of the live association is
lost or duplicated.

C{TXSCTP_FUZZ_SCALE} (default 1) multiplies the number of datagrams (a
run under valgrind uses less than 1).
"""

from __future__ import annotations

import os
import random
import struct

import pytest

from _usrsctp_support import chunks, net, nextPort, withChecksum  # noqa: F401 (fixture)
from txsctp._usrsctp import ONE_TO_MANY, ONE_TO_ONE
from txsctp.info import Message
from txsctp.notifications import (
    AssociationChange,
    AssociationState,
    PeerAddressChange,
    PeerAddressState,
    SenderDry,
)
from txsctp.options import AssocState

UP = AssociationState.COMM_UP
SCALE = float(os.environ.get("TXSCTP_FUZZ_SCALE", "1"))
INIT, INIT_ACK, COOKIE_ECHO = 1, 2, 10


def scaled(n: int) -> int:
    return max(1, int(n * SCALE))


class Live:
    """
    A live association: the client keeps sending numbered messages on three
    streams, the server echoes them; both sides' notifications recorded.
    """

    def __init__(self, net, serverStyle=ONE_TO_ONE):
        self.net = net
        self.port = nextPort()
        self.serverUdp, self.clientUdp = net.udpSocket(), net.udpSocket()
        self.listener = net.listen(self.port, serverStyle)
        net.echo(self.listener)
        self.client = net.socket()
        self.client.connect(net.peer(self.clientUdp, self.serverUdp), self.port)
        assert net.run(lambda: UP in net.assocChanges(self.client))
        if serverStyle == ONE_TO_ONE:
            assert net.run(lambda: net.accepted[self.listener])
            self.server = net.accepted[self.listener][0]
        else:
            self.server = self.listener
        self.sent = 0

    def send(self, n: int = 5) -> None:
        for _ in range(n):
            try:
                self.client.sendMessage(b"live %06d" % self.sent, stream=self.sent % 3, ppid=99)
            except BlockingIOError:
                return
            self.sent += 1

    def check(self) -> None:
        """
        Every message sent came back once, in order per stream, and neither
        side saw anything else than its own association coming up (and its
        sender running dry, and its peer's address confirmed).
        """
        net = self.net
        assert net.run(lambda: len(net.messages(self.client)) == self.sent, timeout=30), (
            len(net.messages(self.client)), self.sent)
        got = net.messages(self.client)
        for stream in range(3):
            assert [m.data for m in got if m.info.stream == stream] == [
                b"live %06d" % i for i in range(self.sent) if i % 3 == stream]
        assert sorted(m.data for m in net.messages(self.server)) == [b"live %06d" % i for i in range(self.sent)]
        for sock in (self.client, self.server):
            # The first heartbeat confirms the peer's address: normal.
            others = [i for i in net.items[sock] if not isinstance(i, (Message, SenderDry)) and not (
                isinstance(i, PeerAddressChange) and i.state == PeerAddressState.CONFIRMED)]
            assert [type(i) for i in others] == [AssociationChange], others
            assert others[0].state == UP
        if self.listener is not self.server:
            assert len(net.accepted[self.listener]) == 1
        serverAssoc = net.notes(self.server, AssociationChange)[0].assocId
        assert self.client.getStatus().state == AssocState.ESTABLISHED
        assert self.server.getStatus(serverAssoc).state == AssocState.ESTABLISHED


def test_randomDatagrams(net):
    """
    Random bytes from the live peer's own endpoint and from hundreds of
    unknown ones: dropped (bad checksums), the association untouched.
    """
    live = Live(net)
    rng = random.Random(2)
    strangers = [net.udpSocket() for _ in range(scaled(50))]
    before = net.stack.stats()
    for i in range(scaled(3000)):
        size = rng.choice([0, 1, 11, 12, 13, 16, 20, 100, 1000, 1500, rng.randrange(2000)])
        data = bytes(rng.getrandbits(8) for _ in range(size))
        if i % 3 == 0:
            live.clientUdp.sendto(data, live.serverUdp.getsockname())
        elif i % 3 == 1:
            live.serverUdp.sendto(data, live.clientUdp.getsockname())
        else:
            rng.choice(strangers).sendto(data, live.serverUdp.getsockname())
        if i % 50 == 0:
            live.send()
            net.step()
    live.check()
    after = net.stack.stats()
    assert after["usrsctp_checksumerrors"] > before["usrsctp_checksumerrors"]
    assert after["unknown_datagrams"] > before["unknown_datagrams"]


def test_badChecksumsOnValidPackets(net):
    """
    The live association's own packets replayed with one bit flipped and the
    checksum left as it was: all dropped as checksum errors.
    """
    captured = []
    net.filter = lambda handle, packet: (captured.append((handle, packet)), packet)[1]
    live = Live(net)
    live.send(20)
    net.run(lambda: len(net.messages(live.client)) == live.sent)
    net.filter = None
    rng = random.Random(3)
    before = net.stack.stats()["usrsctp_checksumerrors"]
    flipped = 0
    for _ in range(scaled(500)):
        handle, packet = rng.choice(captured)
        endpoint = net.stack.peerEndpoint(handle)
        bad = bytearray(packet)
        bit = rng.randrange(len(bad) * 8)
        bad[bit // 8] ^= 1 << (bit % 8)
        if 64 <= bit < 96:
            continue   # the checksum itself
        udp = {u.fileno(): u for u in net.udp}[endpoint.fd]
        udp.sendto(bytes(bad), (endpoint.host, endpoint.port))
        flipped += 1
        if flipped % 25 == 0:
            live.send()
            net.step()
    live.check()
    assert net.run(lambda: net.stack.stats()["usrsctp_checksumerrors"] - before >= flipped, timeout=5)


def _offPath(packet: bytes, rng: random.Random) -> bytes:
    """
    C{packet} as an attacker who cannot see the association would make it:
    another verification tag, then a good checksum.
    """
    return withChecksum(packet[:4] + struct.pack("!I", rng.getrandbits(32)) + packet[8:])


def test_mutatedPacketsWithGoodChecksums(net):
    """
    Captured packets mutated (bit flips, truncation at every length, chunk
    lengths and types rewritten), given another verification tag and a
    correct checksum: usrsctp parses them and drops them; the live
    association sees nothing of it.
    """
    captured = []
    net.filter = lambda handle, packet: (captured.append((handle, packet)), packet)[1]
    live = Live(net, serverStyle=ONE_TO_MANY)
    live.send(20)
    net.run(lambda: len(net.messages(live.client)) == live.sent)
    net.filter = None
    rng = random.Random(4)
    udpOf = {u.fileno(): u for u in net.udp}
    count = 0
    before = net.stack.stats()

    def inject(handle, packet):
        nonlocal count
        endpoint = net.stack.peerEndpoint(handle)
        udpOf[endpoint.fd].sendto(packet, (endpoint.host, endpoint.port))
        count += 1
        if count % 40 == 0:
            live.send()
            net.step()

    for handle, packet in captured:
        for cut in range(0, len(packet), max(1, len(packet) // scaled(40))):
            inject(handle, _offPath(packet[:cut], rng))
    for _ in range(scaled(2000)):
        handle, packet = rng.choice(captured)
        mutated = bytearray(packet)
        kind = rng.randrange(4)
        if kind == 0:
            for _ in range(rng.randrange(1, 8)):
                bit = rng.randrange(96, len(mutated) * 8)
                mutated[bit // 8] ^= 1 << (bit % 8)
        elif kind == 1 and len(mutated) >= 16:
            mutated[14:16] = struct.pack("!H", rng.choice([0, 1, 3, 4, 5, 0xFFFF, rng.randrange(0x10000)]))
        elif kind == 2 and len(mutated) >= 13:
            mutated[12] = rng.randrange(256)
        else:
            mutated += bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 64)))
        inject(handle, _offPath(bytes(mutated), rng))
    live.check()
    after = net.stack.stats()
    # They passed the checksum and were looked at (most as not matching
    # the association's tag), not dropped unread.
    assert after["usrsctp_checksumerrors"] == before["usrsctp_checksumerrors"]
    assert after["usrsctp_recvdatagrams"] - before["usrsctp_recvdatagrams"] >= count * 0.9
    assert after["usrsctp_badvtag"] + after["usrsctp_outoftheblue"] + after["usrsctp_hdrops"] > (
        before["usrsctp_badvtag"] + before["usrsctp_outoftheblue"] + before["usrsctp_hdrops"])


def test_mutatedInitsFromStrangers(net):
    """
    INITs (verification tag 0, which an attacker can send) mutated and
    truncated, from many unknown endpoints: parsed and answered or dropped,
    but no association starts and the live one goes on.
    """
    live = Live(net)
    # A real INIT to start from, as a second client would send it (captured
    # and lost).
    probeUdp = net.udpSocket()
    sentInit = []
    probeHandle = net.peer(probeUdp, live.serverUdp)
    net.filter = lambda handle, packet: (sentInit.append(packet), None)[1] if handle == probeHandle else packet
    probe = net.socket()
    probe.connect(probeHandle, live.port)
    assert net.run(lambda: sentInit, timeout=2)
    probe.setLinger(True, 0)
    probe.close()
    net.run(lambda: False, timeout=0.05)
    net.filter = None
    init = sentInit[0]
    rng = random.Random(5)
    strangers = [net.udpSocket() for _ in range(scaled(100))]
    answers = []
    net.filter = lambda handle, packet: (answers.append(packet) if any(
        k == INIT_ACK for k, _, _ in chunks(packet)) else None, packet)[1]
    for i in range(scaled(1500)):
        mutated = bytearray(init[:2] + live.port.to_bytes(2, "big") + init[4:])
        if i % 3 == 0:
            mutated = mutated[:rng.randrange(12, len(mutated))]
        else:
            for _ in range(rng.randrange(1, 6)):
                bit = rng.randrange(96, len(mutated) * 8)
                mutated[bit // 8] ^= 1 << (bit % 8)
        rng.choice(strangers).sendto(withChecksum(bytes(mutated)), live.serverUdp.getsockname())
        if i % 40 == 0:
            live.send()
            net.step()
    live.check()
    # Some INITs were good enough to be answered (a stateless INIT-ACK),
    # but none became an association without a COOKIE-ECHO.
    assert answers
    assert len(net.accepted[live.listener]) == 1
    assert net.stack.associationCount() == 2


def test_floodFromUnknownEndpoints(net):
    """
    A flood of junk from a thousand endpoints without handles, handed back
    to the caller (no handle is made for them here): nothing is fed to
    usrsctp, nothing answers, the live association goes on.
    """
    live = Live(net)
    net.autoAccept = False
    handlesBefore = len(net.stack.peers())
    strangers = [net.udpSocket() for _ in range(scaled(200))]
    rng = random.Random(6)
    before = net.stack.stats()
    n = scaled(5000)
    for i in range(n):
        rng.choice(strangers).sendto(os.urandom(rng.randrange(1, 200)), live.serverUdp.getsockname())
        if i % 100 == 0:
            live.send()
            net.step()
    live.check()
    after = net.stack.stats()
    assert after["usrsctp_recvdatagrams"] - before["usrsctp_recvdatagrams"] < n / 2
    assert after["unknown_datagrams"] - before["unknown_datagrams"] + after["unknown_dropped"] - before[
        "unknown_dropped"] >= n * 0.9
    for s in strangers:
        with pytest.raises(BlockingIOError):
            s.recv(2000)   # nothing answered
    assert len(net.stack.peers()) == handlesBefore
    assert set(net.stack.handlesInUse()) == {h for s in (live.client, live.server) for h, _ in s.getPeerHandles()}
