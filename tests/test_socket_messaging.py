"""
The socket layer moving messages over real kernel associations: one-to-one
and one-to-many, IPv4 and IPv6 (and an AF_INET6 socket talking to an IPv4
peer), several streams with PPIDs, unordered delivery, sizes from 1 byte to
1 MiB byte-exact, batches, size limits on both sides, end of file.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time

import pytest

from _sockethelpers import (  # noqa: F401 (closer is a fixture)
    V4,
    V6,
    closer,
    expectCommUp,
    expectNotification,
    listener,
    loopback,
    oneToOnePair,
    receiveData,
    requiresSCTP,
    setTimeouts,
    sysctl,
    waitReadable,
)
from txsctp._sctp_cffi import ffi, lib
from txsctp.errors import AssociationClosedError, MessageTooLongError
from txsctp.info import PPID, Message
from txsctp.notifications import AssociationChange, AssociationState, Notification, Shutdown
from txsctp.options import Tuning
from txsctp.sctpsocket import ONE_TO_MANY, ONE_TO_ONE

pytestmark = requiresSCTP

FAMILIES = [pytest.param(socket.AF_INET, id="ipv4"), pytest.param(socket.AF_INET6, id="ipv6")]

# (stream, ppid, payload): several streams, PPIDs from the IANA registry and
# the extremes of the 32-bit range.
TRAFFIC = [
    (0, PPID.DIAMETER, b"diameter"),
    (1, PPID.M3UA, b"m3ua"),
    (2, PPID.S1AP, b"s1ap"),
    (3, PPID.NGAP, b"ngap"),
    (4, 0, b"zero ppid"),
    (4, 0xFFFFFFFF, b"max ppid"),
    (9, 0x01020304, b"last stream"),
    (1, PPID.M3UA, b"m3ua again"),
]


def checkTraffic(sender, receiver, senderAssoc=0, receiverAssoc=None, senderAddress=None):
    for stream, ppid, payload in TRAFFIC:
        assert sender.sendMessage(payload, stream, ppid, assocId=senderAssoc) == len(payload)
    ssns = {}
    for stream, ppid, payload in TRAFFIC:
        m = receiveData(receiver)
        assert m.data == payload
        assert m.complete
        assert m.info.stream == stream
        assert m.info.ppid == ppid
        assert not m.info.unordered
        # Stream sequence numbers count up per stream.
        if stream in ssns:
            assert m.info.ssn == ssns[stream]
        ssns[stream] = m.info.ssn + 1
        if receiverAssoc is not None:
            assert m.info.assocId == receiverAssoc
        if senderAddress is not None:
            assert m.address == senderAddress


@pytest.mark.parametrize("family", FAMILIES)
def test_oneToOneBothWays(closer, family):
    cli, acc, srv = oneToOnePair(closer, family)
    host = loopback(family)
    # A fresh association's streams start at SSN 0.
    cli.sendMessage(b"first", 4, 1)
    assert receiveData(acc).info.ssn == 0
    assert cli.getpeername() == (host, srv.getsockname()[1])
    assert acc.getpeername() == cli.getsockname()
    assert cli.getsockname()[0] == host
    assert cli.style == acc.style == ONE_TO_ONE
    assert acc.family == family
    checkTraffic(cli, acc, senderAddress=cli.getsockname())
    checkTraffic(acc, cli, senderAddress=acc.getsockname())


@pytest.mark.parametrize("family", FAMILIES)
def test_oneToManyTwoPeers(closer, family):
    """
    One one-to-many server, two one-to-many clients: messages are told apart
    by association id, and replies go to the association named.
    """
    srv, port = listener(closer, family, ONE_TO_MANY)
    host = loopback(family)
    clients = []
    for _ in range(2):
        c = closer.socket(family, ONE_TO_MANY)
        assocId = c.connectx([(host, port)])
        assert expectCommUp(c).assocId == assocId
        clients.append((c, assocId))
    serverAssocs = sorted(expectCommUp(srv).assocId for _ in clients)
    assert sorted(srv.getAssocIds()) == serverAssocs
    assert srv.style == ONE_TO_MANY

    byPort = {}
    for i, (c, assocId) in enumerate(clients):
        c.sendMessage(b"hello from %d" % i, i, 1000 + i, assocId=assocId)
    for _ in clients:
        m = receiveData(srv)
        i = m.info.ppid - 1000
        assert m.data == b"hello from %d" % i
        assert m.info.stream == i
        assert m.address == (host, clients[i][0].getsockname()[1])
        byPort[i] = m.info.assocId
    assert sorted(byPort.values()) == serverAssocs

    for i, (_c, _assocId) in enumerate(clients):
        srv.sendMessage(b"reply %d" % i, 3, 46, assocId=byPort[i])
    for i, (c, assocId) in enumerate(clients):
        m = receiveData(c)
        assert (m.data, m.info.stream, m.info.ppid, m.info.assocId) == (b"reply %d" % i, 3, 46, assocId)

    checkTraffic(clients[0][0], srv, clients[0][1], byPort[0])
    checkTraffic(srv, clients[1][0], byPort[1], clients[1][1])


def test_sendAllAndSackImmediately(closer):
    """
    C{sendAll} sends one message to every association of a one-to-many
    socket (and the cached parameter set of an earlier plain send does not
    leak into it); C{sackImmediately} messages arrive like any other.
    """
    srv, port = listener(closer, socket.AF_INET, ONE_TO_MANY)
    clients = []
    for _ in range(2):
        c = closer.socket(socket.AF_INET, ONE_TO_MANY)
        clients.append((c, c.connectx([(V4, port)])))
        expectCommUp(c)
    serverAssocs = [expectCommUp(srv).assocId for _ in clients]
    srv.sendMessage(b"one", 2, 7, assocId=serverAssocs[0])
    assert receiveData(clients[0][0]).data == b"one"
    assert srv.sendMessage(b"everyone", 2, 7, sendAll=True) == len(b"everyone")
    for c, assocId in clients:
        m = receiveData(c)
        assert (m.data, m.info.stream, m.info.ppid, m.info.assocId) == (b"everyone", 2, 7, assocId)
    for i, (c, assocId) in enumerate(clients):
        c.sendMessage(b"sack now %d" % i, 1, 5, sackImmediately=True, assocId=assocId)
    got = sorted((m.data, m.info.stream, m.info.ppid) for m in (receiveData(srv) for _ in clients))
    assert got == [(b"sack now 0", 1, 5), (b"sack now 1", 1, 5)]


@pytest.mark.parametrize("style", [ONE_TO_ONE, ONE_TO_MANY])
def test_ipv6SocketAcceptsIPv4Peer(closer, style):
    """
    An AF_INET6 socket bound to the wildcard takes an IPv4 peer; addresses
    read back as plain IPv4 strings, not ::ffff:a.b.c.d.
    """
    srv = closer.socket(socket.AF_INET6, style)
    srv.bind(("", 0))
    srv.listen()
    port = srv.getsockname()[1]
    cli = closer.socket(socket.AF_INET, style)
    if style == ONE_TO_ONE:
        cli.connect((V4, port))
        peer, addr = srv.accept()
        closer.add(peer)
        setTimeouts(peer)
        assert addr == cli.getsockname()
        assert peer.getpeername() == cli.getsockname()
        assert peer.getPeerAddresses() == [cli.getsockname()]
        assert peer.family == socket.AF_INET6
        checkTraffic(cli, peer, senderAddress=cli.getsockname())
        checkTraffic(peer, cli)
    else:
        assocId = cli.connectx((V4, port))
        up = expectCommUp(srv)
        me = (V4, cli.getsockname()[1])
        assert srv.getPeerAddresses(up.assocId) == [me]
        checkTraffic(cli, srv, assocId, up.assocId, senderAddress=me)
        checkTraffic(srv, cli, up.assocId, assocId)


@pytest.mark.parametrize("listenFamily, peerFamily", [
    pytest.param(socket.AF_INET, socket.AF_INET, id="ipv4"),
    pytest.param(socket.AF_INET6, socket.AF_INET6, id="ipv6"),
    pytest.param(socket.AF_INET6, socket.AF_INET, id="ipv6-listener-ipv4-peer"),
])
@pytest.mark.parametrize("blocking", [True, False], ids=["blocking", "non-blocking"])
def test_acceptedSocket(closer, listenFamily, peerFamily, blocking):
    """
    accept() gives a socket in the listener's blocking mode, not
    inherited by child processes, with the peer's address as the peer
    reads its own (plain IPv4 from an IPv6 listener), and traffic flows
    both ways.  A non-blocking listener with nothing pending raises
    BlockingIOError.
    """
    srv = closer.socket(listenFamily)
    srv.bind(("" if listenFamily != peerFamily else loopback(listenFamily), 0))
    srv.listen()
    srv.setblocking(blocking)
    if not blocking:
        with pytest.raises(BlockingIOError):
            srv.accept()
    else:
        setTimeouts(srv)
    cli = closer.socket(peerFamily)
    setTimeouts(cli)
    cli.connect((loopback(peerFamily), srv.getsockname()[1]))
    if not blocking:
        assert waitReadable(srv)
    peer, addr = srv.accept()
    closer.add(peer)
    assert peer.getblocking() is blocking
    # The descriptor itself, not only Python's idea of it.
    assert bool(fcntl.fcntl(peer.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK) is not blocking
    assert not os.get_inheritable(peer.fileno())
    assert peer.family == listenFamily
    assert addr == cli.getsockname()
    assert peer.getpeername() == cli.getsockname()
    setTimeouts(peer)
    checkTraffic(cli, peer, senderAddress=cli.getsockname())
    checkTraffic(peer, cli)


def test_ppidIsNetworkOrderOnTheWire(closer):
    """
    PPIDs are given and returned in host order, and travel in network order:
    the kernel's own SCTP_RCVINFO, read with the standard library, holds
    46 big-endian.
    """
    cli, acc, srv = oneToOnePair(closer)
    cli.sendMessage(b"x", 0, 46)
    waitReadable(acc)
    data, ancillary, flags, addr = acc._sock.recvmsg(100, socket.CMSG_SPACE(64))
    assert data == b"x"
    [(level, kind, raw)] = [c for c in ancillary if c[1] == lib.SCTP_RCVINFO]
    assert level == lib.IPPROTO_SCTP
    info = ffi.cast("struct sctp_rcvinfo *", ffi.from_buffer(raw))
    assert bytes(ffi.buffer(ffi.addressof(info, "rcv_ppid"), 4)) == (46).to_bytes(4, "big")


def test_unordered(closer):
    cli, acc, srv = oneToOnePair(closer)
    cli.sendMessage(b"ordered", 1, 7)
    cli.sendMessage(b"unordered", 1, 8, unordered=True)
    got = {}
    for _ in range(2):
        m = receiveData(acc)
        got[m.data] = m.info
    assert not got[b"ordered"].unordered
    assert got[b"unordered"].unordered
    assert got[b"unordered"].flags & lib.SCTP_UNORDERED
    assert got[b"unordered"].stream == 1 and got[b"unordered"].ppid == 8


def test_receivedContextAndTsn(closer):
    cli, acc, srv = oneToOnePair(closer)
    acc.setAssocValue("context", 1234, 0)
    cli.sendMessage(b"a")
    cli.sendMessage(b"b")
    a, b = receiveData(acc), receiveData(acc)
    assert a.info.context == b.info.context == 1234
    assert b.info.tsn == (a.info.tsn + 1) & 0xFFFFFFFF


SIZES = [1, 2, 100, 1400, 65483, 65484, 65485, 65535, 65536, 65537, 200_000, 1 << 20]


@pytest.fixture
def bigCaps():
    """
    Raise the host's socket buffer caps (we are root in the test kernel) so
    that a 1 MiB message fits in one send buffer; restored afterwards.
    """
    with sysctl(net__core__wmem_max=16 << 20, net__core__rmem_max=16 << 20):
        yield


def test_sizesByteExact(closer, bigCaps):
    big = Tuning(nodelay=True, sendBufferSize=4 << 20, receiveBufferSize=4 << 20)
    cli, acc, srv = oneToOnePair(closer, serverKw=dict(tuning=big), clientKw=dict(tuning=big))
    assert cli.getSendBufferSize() >= 4 << 20
    for i, size in enumerate(SIZES):
        payload = os.urandom(size)
        assert cli.sendMessage(payload, i % 10, size & 0xFFFFFFFF) == size
        m = receiveData(acc)
        assert len(m.data) == size
        assert m.data == payload
        assert m.complete
        assert (m.info.stream, m.info.ppid) == (i % 10, size)
    # And back, one-to-one the other way.
    payload = os.urandom(1 << 20)
    acc.sendMessage(payload, 5, 5)
    assert receiveData(cli).data == payload


def test_largeMessageArrivesInPieces(closer, bigCaps):
    """
    receiveMessage hands over pieces of at most one slot, only the last
    one complete; receive() joins them.
    """
    big = Tuning(nodelay=True, sendBufferSize=1 << 20, receiveBufferSize=1 << 20)
    cli, acc, srv = oneToOnePair(closer, serverKw=dict(tuning=big), clientKw=dict(tuning=big))
    acc.setReceiveSlotSize(4096)
    payload = os.urandom(50_000)
    cli.sendMessage(payload, 2, 99)
    pieces = []
    while True:
        item = acc.receiveMessage()
        if isinstance(item, Notification):
            continue
        pieces.append(item)
        assert len(item.data) <= 4096
        assert item.info.stream == 2 and item.info.ppid == 99
        if item.complete:
            break
    assert len(pieces) >= 50_000 // 4096
    assert not any(p.complete for p in pieces[:-1])
    assert b"".join(p.data for p in pieces) == payload
    cli.sendMessage(payload, 3, 98)
    m = receiveData(acc)
    assert m.data == payload and m.info.stream == 3


def test_messageLargerThanSendBuffer(closer):
    """
    At the default caps, a message larger than the send buffer is refused
    whole with MessageTooLongError (EMSGSIZE), saying what to do; the
    association carries on.
    """
    with sysctl(net__core__wmem_max=212992):
        cli, acc, srv = oneToOnePair(closer, clientKw=dict(tuning=Tuning(sendBufferSize=1 << 20)))
        limit = cli.getSendBufferSize()
        assert limit <= 2 * 212992
        with pytest.raises(MessageTooLongError) as e:
            cli.sendMessage(b"x" * (limit + 1), 1, 2)
        err = e.value
        assert isinstance(err, OSError)
        assert err.errno == errno_EMSGSIZE()
        assert err.size == limit + 1 and err.limit == limit
        text = str(err)
        assert f"{limit + 1} bytes" in text and f"limit {limit} bytes" in text
        assert "send buffer" in text and "setSendBufferSize" in text
        # Nothing of it was sent; the association still works.
        cli.sendMessage(b"after", 1, 2)
        assert receiveData(acc).data == b"after"


def errno_EMSGSIZE():
    import errno

    return errno.EMSGSIZE


def test_receiveMaxMessageSize(closer):
    """
    receive(maxMessageSize=...) refuses a longer message with
    MessageTooLongError, drops all of it, and delivers the next message
    intact.
    """
    cli, acc, srv = oneToOnePair(closer)
    acc.setReceiveSlotSize(8192)
    cli.sendMessage(b"a" * 100_000, 1, 1)
    cli.sendMessage(b"b" * 40_000, 1, 2)
    cli.sendMessage(b"c" * 50_000, 2, 3)
    with pytest.raises(MessageTooLongError) as e:
        receiveData(acc, maxMessageSize=50_000)
    assert e.value.limit == 50_000
    assert e.value.size > 50_000
    assert "received message" in str(e.value) and "limit 50000 bytes" in str(e.value)
    m = receiveData(acc, maxMessageSize=50_000)
    assert (m.data, m.info.ppid) == (b"b" * 40_000, 2)
    m = receiveData(acc, maxMessageSize=50_000)
    assert (m.data, m.info.ppid) == (b"c" * 50_000, 3)


def test_sendBatchReceiveBatch(closer):
    cli, acc, srv = oneToOnePair(closer)
    messages = [(b"m%d" % i, i % 5, 100 + i, lib.SCTP_UNORDERED if i % 3 == 0 else 0, 0, 0)
                for i in range(150)]
    assert cli.sendBatch(messages) == 150
    got = []
    deadline = time.monotonic() + 5
    while len(got) < 150 and time.monotonic() < deadline:
        for item in acc.receiveBatch(64):
            if isinstance(item, Message):
                assert item.complete
                got.append(item)
    assert len(got) == 150
    byData = {m.data: m for m in got}
    for data, stream, ppid, flags, _, _ in messages:
        m = byData[data]
        assert (m.info.stream, m.info.ppid, m.info.unordered) == (stream, ppid, bool(flags))
    # Ordered messages of one stream keep their order.
    ordered = [m.data for m in got if m.info.stream == 1 and not m.info.unordered]
    assert ordered == [d for d, s, _, f, _, _ in messages if s == 1 and not f]


@pytest.mark.parametrize("bundle", [False, True], ids=["one-packet-each", "bundled"])
def test_sendBatchBundlesSmallMessages(closer, bundle):
    """
    With C{bundle=True} the kernel fills packets with a batch's small
    messages although C{SCTP_NODELAY} is on (C{MSG_MORE} on all but the
    last): 640 messages of 100 bytes leave in far fewer packets than
    messages (the sender's C{SCTP_GET_ASSOC_STATS}), against about one
    packet each without.  Either way every message arrives, in order --
    the last of each batch releases what the kernel held (the receive
    timeout turns a message held for good into a failure, not a hang).
    """
    cli, acc, srv = oneToOnePair(closer)
    cli.setNodelay(True)
    total = 640
    messages = [(b"%099d" % i, 0, 5, 0, 0, 0) for i in range(total)]
    before = cli.getAssocStats().opackets
    assert cli.sendBatch(messages, bundle=bundle) == total
    got = []
    while len(got) < total:
        got.extend(m.data for m in acc.receiveBatch(64) if isinstance(m, Message))
    assert got == [item[0] for item in messages]
    packets = cli.getAssocStats().opackets - before
    if bundle:
        assert packets <= total // 8, packets
    else:
        assert packets >= total // 2, packets


def test_sendBatchWithPartialReliability(closer):
    """
    Items carrying PR-SCTP fields (prPolicy, prValue) mixed with plain
    ones and with each other's parameter sets: every message arrives with
    its own stream and PPID, in order per stream.
    """
    from txsctp.options import PRPolicy

    cli, acc, srv = oneToOnePair(closer)
    messages = []
    for i in range(90):
        item = (b"p%d" % i, i % 3, 7 + i % 4, 0, 0, 0)
        if i % 2:
            item += (int(PRPolicy.TTL), 60_000) if i % 4 == 1 else (int(PRPolicy.RTX), 5)
        messages.append(item)
    assert cli.sendBatch(messages) == 90
    got = []
    deadline = time.monotonic() + 5
    while len(got) < 90 and time.monotonic() < deadline:
        got.extend(m for m in acc.receiveBatch(64) if isinstance(m, Message))
    assert [(m.data, m.info.stream, m.info.ppid) for m in got if m.info.stream == 2] == \
        [(d, s, p) for d, s, p, *_ in messages if s == 2]
    assert sorted(m.data for m in got) == sorted(item[0] for item in messages)


def test_nonBlockingReceive(closer):
    cli, acc, srv = oneToOnePair(closer)
    acc.setblocking(False)
    assert not acc.getblocking()
    with pytest.raises(BlockingIOError):
        acc.receive()
    with pytest.raises(BlockingIOError):
        acc.receiveBatch(8)
    cli.sendMessage(b"now")
    assert waitReadable(acc)
    assert acc.receive().data == b"now"


def test_endOfFile(closer):
    """
    After the peer shuts down, everything queued is still received, then
    end of file: receiveBatch returns [], receive raises
    AssociationClosedError (never a spin on empty reads).
    """
    cli, acc, srv = oneToOnePair(closer)
    cli.sendMessage(b"last words", 3, 3)
    cli.shutdown()
    assert receiveData(acc).data == b"last words"
    expectNotification(acc, Shutdown)
    expectNotification(acc, AssociationChange, lambda n: n.state == AssociationState.SHUTDOWN_COMP)
    assert acc.receiveBatch(16) == []
    with pytest.raises(AssociationClosedError) as e:
        acc.receive()
    assert isinstance(e.value, OSError) and "closed" in str(e.value)
    with pytest.raises(AssociationClosedError):
        acc.receiveMessage()


def test_implicitAssociationOnSend(closer):
    """
    A one-to-many socket sets an association up by sending to an address.
    """
    srv, port = listener(closer, style=ONE_TO_MANY)
    cli = closer.socket(style=ONE_TO_MANY)
    cli.sendMessage(b"first", 2, 46, to=(V4, port))
    m = receiveData(srv)
    assert (m.data, m.info.stream, m.info.ppid) == (b"first", 2, 46)
    up = expectCommUp(cli)
    assert cli.getAssocIds() == [up.assocId]


def test_sendToAlternatePath(closer):
    """
    C{to=} on a one-to-one socket picks one of the peer's addresses
    (SCTP_ADDR_OVER).
    """
    srv = closer.socket()
    srv.bindx([V4, "127.0.0.2"], 0)
    srv.listen()
    port = srv.getsockname()[1]
    cli = closer.socket()
    cli.connectx([V4, "127.0.0.2"], port)
    acc, _ = srv.accept()
    closer.add(acc)
    setTimeouts(acc)
    cli.sendMessage(b"via .2", 1, 1, to=("127.0.0.2", port))
    assert receiveData(acc).data == b"via .2"


def test_ipv6ClientReachesDualStackServer(closer):
    """
    An AF_INET6 client to a wildcard AF_INET6 server over ::1.
    """
    srv = closer.socket(socket.AF_INET6)
    srv.bind(("::", 0))
    srv.listen()
    cli = closer.socket(socket.AF_INET6)
    cli.connect((V6, srv.getsockname()[1]))
    acc, addr = srv.accept()
    closer.add(acc)
    setTimeouts(acc)
    assert addr == cli.getsockname()
    assert addr[0] == V6
    checkTraffic(cli, acc)


def test_receiveAndAcceptTimeouts(closer):
    """
    setTimeouts bounds blocking receive and accept: they give up with
    BlockingIOError (retryable), and the socket works afterwards.
    """
    cli, acc, srv = oneToOnePair(closer)
    acc.setTimeouts(receive=0.05)
    start = time.monotonic()
    with pytest.raises(BlockingIOError):
        acc.receive()
    assert 0.03 <= time.monotonic() - start < 2
    srv.setTimeouts(receive=0.05)
    with pytest.raises(BlockingIOError):
        srv.accept()
    cli.sendMessage(b"later")
    assert acc.receive().data == b"later"
    acc.setTimeouts(receive=0, send=0)  # back to waiting for ever


@pytest.mark.parametrize("size", [100, 9_000], ids=["packed", "in-slots"])
def test_portReaderTakesPlainBatchWhole(closer, size):
    """
    The reader the ports use hands a batch of whole messages of one
    association over as payloads and RcvInfos, byte-exact, in order, in
    one read: packed to the front of the buffer when small, or left in
    their slots when the batch passes 64 KiB.  A socket with nothing
    queued reads as a count of 0.
    """
    from txsctp._batch import BatchReceiver
    from txsctp.info import RcvInfo

    cli, acc, srv = oneToOnePair(closer)
    acc.setblocking(False)
    rx = BatchReceiver()
    # Whatever the association queued first (notifications), taken away.
    while rx.receiveBatch(acc.fileno())[0]:
        pass
    payloads = [bytes([65 + i]) * (size - i) for i in range(8)]
    assert cli.sendBatch([(p, i % 3, 1000 + i, 0, 0, 0) for i, p in enumerate(payloads)]) == 8
    deadline = time.monotonic() + 5
    while cli.getStatus().unackData and time.monotonic() < deadline:
        time.sleep(0.002)  # polling the peer's acknowledgement, bounded by the deadline
    assert cli.getStatus().unackData == 0, "the peer did not take every message"
    n, datas, records, longest, infos = rx.receiveBatch(acc.fileno())
    assert (n, records, longest) == (8, None, size)
    assert list(datas) == payloads
    assert all(type(info) is RcvInfo for info in infos)
    assert [(info.stream, info.ppid) for info in infos] == [(i % 3, 1000 + i) for i in range(8)]
    assert len({info.assocId for info in infos}) == 1
    assert rx.receiveBatch(acc.fileno())[0] == 0
