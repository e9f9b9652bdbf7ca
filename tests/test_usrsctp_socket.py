"""
The userspace stack's socket layer (L{txsctp._usrsctp}) end to end, natively:
usrsctp on both sides, SCTP inside UDP on 127.0.0.1, driven by the plain
loop of L{_usrsctp_support} (no Twisted, no kernel SCTP).
"""

from __future__ import annotations

import os
import random
import socket

import pytest

from _usrsctp_support import ALL_EVENTS, net, nextPort  # noqa: F401 (fixture)
from txsctp._usrsctp import ONE_TO_MANY, ONE_TO_ONE
from txsctp.errors import MessageTooLongError, StackFeatureError
from txsctp.notifications import (
    AssociationChange,
    AssociationState,
    SenderDry,
    Shutdown,
)
from txsctp.options import AssocState, InitMsg, PRPolicy, PathState

UP = AssociationState.COMM_UP


def connected(net, style=ONE_TO_ONE, serverStyle=ONE_TO_ONE, port=None, receiveBuffer=None):
    """
    A server socket listening on its own UDP socket and a client
    association to it, up.  Returns (client, server-side socket, listener,
    assocId).
    """
    port = port or nextPort()
    serverUdp, clientUdp = net.udpSocket(), net.udpSocket()
    listener = net.listen(port, serverStyle)
    if receiveBuffer:
        listener.setReceiveBufferSize(receiveBuffer)
    client = net.socket(style)
    assocId = client.connect(net.peer(clientUdp, serverUdp), port)
    assert net.run(lambda: UP in net.assocChanges(client))
    if serverStyle == ONE_TO_ONE:
        assert net.run(lambda: net.accepted[listener] and UP in net.assocChanges(net.accepted[listener][0]))
        server = net.accepted[listener][0]
    else:
        assert net.run(lambda: UP in net.assocChanges(listener))
        server = listener
    return client, server, listener, assocId


def test_echoOneToOne(net):
    """
    A one-to-one client talks to a one-to-one listener that echoes.
    """
    port = nextPort()
    serverUdp, clientUdp = net.udpSocket(), net.udpSocket()
    listener = net.listen(port)
    net.echo(listener, lambda d: d[::-1])
    client = net.socket()
    client.connect(net.peer(clientUdp, serverUdp), port)
    assert net.run(lambda: UP in net.assocChanges(client))
    for i in range(20):
        client.sendMessage(b"message %d" % i, stream=i % 4, ppid=46)
    assert net.run(lambda: len(net.messages(client)) == 20)
    got = net.messages(client)
    assert sorted(m.data for m in got) == sorted((b"message %d" % i)[::-1] for i in range(20))
    assert {m.info.ppid for m in got} == {46}
    assert all(m.address == ("127.0.0.1", port) for m in got)
    # The server side saw the client's UDP host with the client's SCTP port.
    server = net.accepted[listener][0]
    assert server.getPeerAddresses() == [("127.0.0.1", client.getLocalPort())]
    assert net.messages(server)[0].address == ("127.0.0.1", client.getLocalPort())


def test_echoOneToMany(net):
    """
    A one-to-many server echoes to two clients, one association each; the
    messages name their association.
    """
    port = nextPort()
    serverUdp = net.udpSocket()
    server = net.listen(port, ONE_TO_MANY)
    net.echo(server)
    clients = []
    for _ in range(2):
        udp = net.udpSocket()
        c = net.socket()
        c.connect(net.peer(udp, serverUdp), port)
        clients.append(c)
    assert net.run(lambda: all(UP in net.assocChanges(c) for c in clients))
    for i, c in enumerate(clients):
        c.sendMessage(b"from client %d" % i, stream=1, ppid=7)
    assert net.run(lambda: all(net.messages(c) for c in clients))
    for i, c in enumerate(clients):
        assert [m.data for m in net.messages(c)] == [b"from client %d" % i]
    assocIds = {m.info.assocId for m in net.messages(server)}
    assert len(assocIds) == 2
    assert sorted(server.getAssocIds()) == sorted(assocIds)


def test_outwardAssociationsOneToMany(net):
    """
    One one-to-many socket starts associations to two servers and talks to
    each by association id; a peeled-off association goes on on its own
    socket.
    """
    ports = [nextPort(), nextPort()]
    udp = net.udpSocket()
    servers = []
    for port in ports:
        serverUdp = net.udpSocket()
        s = net.listen(port, ONE_TO_MANY)
        net.echo(s, lambda d, port=port: d + b" via %d" % port)
        servers.append((serverUdp, s))
    client = net.socket(ONE_TO_MANY)
    ids = [client.connect(net.peer(udp, serverUdp), port) for port, (serverUdp, _) in zip(ports, servers)]
    assert len(set(ids)) == 2 and all(ids)
    assert net.run(lambda: net.assocChanges(client).count(UP) == 2)
    for assocId in ids:
        client.sendMessage(b"hi", assocId=assocId)
    assert net.run(lambda: len(net.messages(client)) == 2)
    replies = {m.info.assocId: m.data for m in net.messages(client)}
    assert replies == {ids[0]: b"hi via %d" % ports[0], ids[1]: b"hi via %d" % ports[1]}

    peeled = client.peeloff(ids[1])
    assert sorted(client.getAssocIds()) == [ids[0]]
    peeled.sendMessage(b"peeled")
    assert net.run(lambda: net.messages(peeled))
    assert net.messages(peeled)[0].data == b"peeled via %d" % ports[1]
    assert peeled.events == client.events
    net.sockets.append(peeled)


@pytest.mark.parametrize("style", [ONE_TO_ONE, ONE_TO_MANY])
def test_sizes(net, style):
    """
    Messages of 1 B to 256 KiB arrive byte-exact (large ones in pieces,
    reassembled).
    """
    client, server, listener, assocId = connected(net, serverStyle=style)
    client.setSendBufferSize(1 << 20)
    sizes = [1, 2, 100, 1000, 1200, 1452, 1453, 4096, 65535, 65536, 100000, 200000, 256 * 1024]
    rng = random.Random(1)
    payloads = [bytes(rng.getrandbits(8) for _ in range(16)) * (n // 16) + os.urandom(n % 16) for n in sizes]
    sent = 0
    while sent < len(payloads):
        try:
            client.sendMessage(payloads[sent], stream=sent % 3, ppid=sent)
            sent += 1
        except BlockingIOError:
            net.step(0.01)
    assert net.run(lambda: len(net.messages(server)) == len(payloads), timeout=30)
    # Different streams: no order between them; the PPID says which is which.
    got = sorted(net.messages(server), key=lambda m: m.info.ppid)
    assert [m.info.ppid for m in got] == list(range(len(sizes)))
    assert [len(m.data) for m in got] == sizes
    assert [m.data for m in got] == payloads
    assert [m.info.stream for m in got] == [i % 3 for i in range(len(sizes))]


def test_streamPpidUnorderedAndOrder(net):
    """
    Stream, PPID (host order, full 32 bits) and the unordered flag arrive as
    sent; ordered messages keep their order within each stream.
    """
    client, server, listener, assocId = connected(net)
    client.setInitMsg(InitMsg(16, 16, 0, 0))
    expected = []
    for i in range(400):
        stream = i % 8
        ppid = (0xDEADBEEF + i) & 0xFFFFFFFF
        unordered = i % 5 == 0
        data = b"%d:%d" % (stream, i)
        client.sendMessage(data, stream=stream, ppid=ppid, unordered=unordered)
        expected.append((data, stream, ppid, unordered))
        if i % 50 == 49:
            net.run(lambda: False, timeout=0.01)
    assert net.run(lambda: len(net.messages(server)) == 400)
    got = net.messages(server)
    assert sorted((m.data, m.info.stream, m.info.ppid, m.info.unordered) for m in got) == sorted(expected)
    for stream in range(8):
        ordered = [m.data for m in got if m.info.stream == stream and not m.info.unordered]
        assert ordered == [e[0] for e in expected if e[1] == stream and not e[3]]
        ssns = [m.info.ssn for m in got if m.info.stream == stream and not m.info.unordered]
        assert ssns == sorted(ssns)


def test_notificationsUpShutdown(net):
    """
    Both sides see COMM_UP with the negotiated streams; a graceful shutdown
    shows as SHUTDOWN (peer) and SHUTDOWN_COMP (both), SENDER_DRY once all
    is acknowledged; afterwards the one-to-one socket reads end of file.
    """
    client, server, listener, assocId = connected(net)
    up = net.notes(client, AssociationChange)[0]
    assert up.state == UP and up.outboundStreams > 0 and up.inboundStreams > 0
    assert "RE_CONFIG" in up.supportedFeatures and "PR" in up.supportedFeatures
    client.sendMessage(b"last words")
    assert net.run(lambda: net.notes(client, SenderDry))
    client.shutdown(socket.SHUT_WR)
    assert net.run(lambda: AssociationState.SHUTDOWN_COMP in net.assocChanges(client)
                   and AssociationState.SHUTDOWN_COMP in net.assocChanges(server))
    assert net.notes(server, Shutdown)
    assert net.messages(server)[-1].data == b"last words"
    assert net.run(lambda: "EOF" in net.items[server])
    assert net.stack.associationCount() == 0


def test_notificationsAbort(net):
    """
    An abort with a reason reaches the peer as COMM_LOST carrying the ABORT
    chunk, cause 12 (user-initiated) and the reason; the aborting side sees
    COMM_LOST too.
    """
    client, server, listener, assocId = connected(net, serverStyle=ONE_TO_MANY)
    serverAssoc = net.notes(server, AssociationChange)[0].assocId
    server.abort(serverAssoc, b"go away")
    assert net.run(lambda: AssociationState.COMM_LOST in net.assocChanges(client))
    lost = [n for n in net.notes(client, AssociationChange) if n.state == AssociationState.COMM_LOST][0]
    assert lost.error == 12
    assert lost.abortCauses == ((12, b"go away"),)
    assert net.run(lambda: AssociationState.COMM_LOST in net.assocChanges(server))
    assert server.getAssocIds() == []


def test_closeShutsDownGracefully(net):
    """
    Closing a socket with an association and queued data delivers the data
    and shuts down; the stack counts the association until it is gone.
    """
    client, server, listener, assocId = connected(net)
    client.sendMessage(b"x" * 50000)
    client.close()
    assert client.closed
    assert net.stack.associationCount() >= 1
    assert net.run(lambda: AssociationState.SHUTDOWN_COMP in net.assocChanges(server))
    assert net.messages(server)[0].data == b"x" * 50000
    assert net.run(lambda: net.stack.associationCount() == 0)


def test_manyAssociations(net):
    """
    100 concurrent associations on one listening one-to-one socket, from
    ten UDP endpoints; each gets its own socket and its own replies.
    """
    port = nextPort()
    serverUdp = net.udpSocket()
    listener = net.listen(port)
    net.echo(listener)
    clients = []
    for _i in range(10):
        udp = net.udpSocket()
        handle = net.peer(udp, serverUdp)
        for _j in range(10):
            c = net.socket(events=[ALL_EVENTS[0]])
            c.connect(handle, port)
            clients.append(c)
    assert net.run(lambda: all(UP in net.assocChanges(c) for c in clients), timeout=30)
    assert net.run(lambda: len(net.accepted[listener]) == 100)
    for i, c in enumerate(clients):
        c.sendMessage(b"client %d" % i)
    assert net.run(lambda: all(net.messages(c) for c in clients), timeout=30)
    for i, c in enumerate(clients):
        assert [m.data for m in net.messages(c)] == [b"client %d" % i]
    assert net.stack.associationCount() == 200


def test_samePortFromDifferentUdpEndpoints(net):
    """
    Two peers bound to the same SCTP port, from different UDP ports, reach
    one listener bound to the AF_CONN wildcard as two associations.  (Both
    peers live in this process, so each binds the port on its own handle;
    two processes or hosts would bind the wildcard.)
    """
    port, clientPort = nextPort(), nextPort()
    serverUdp = net.udpSocket()
    listener = net.listen(port)
    net.echo(listener, lambda d: d.upper())
    clients = []
    for _ in range(2):
        udp = net.udpSocket()
        c = net.socket()
        handle = net.peer(udp, serverUdp)
        c.bind(clientPort, handle)
        c.connect(handle, port)
        clients.append((udp, c))
    assert net.run(lambda: len(net.accepted[listener]) == 2)
    for i, (_udp, c) in enumerate(clients):
        c.sendMessage(b"peer %d" % i)
    assert net.run(lambda: all(net.messages(c) for _, c in clients))
    for i, (_udp, c) in enumerate(clients):
        assert [m.data for m in net.messages(c)] == [b"PEER %d" % i]
        assert c.getLocalPort() == clientPort
    accepted = net.accepted[listener]
    peers = sorted(a.getPeerHandles()[0] for a in accepted)
    assert peers[0][1] == peers[1][1] == clientPort
    assert peers[0][0] != peers[1][0]
    endpoints = sorted(net.stack.peerEndpoint(h)[1:3] for h, _ in peers)
    assert endpoints == sorted(udp.getsockname() for udp, _ in clients)


def test_fullSendBuffer(net):
    """
    With the reader paused, sends fill the peer's window and then the send
    buffer, and fail with BlockingIOError for as long as it stays so; once
    the reader reads again the writer is told it may go on (EVENT_WRITE),
    and every message arrives once, in order.
    """
    client, server, listener, assocId = connected(net, receiveBuffer=32 * 1024)
    client.setSendBufferSize(64 * 1024)
    net.paused.add(server)
    payload = b"m" * 1000
    sent = 0

    def fill(limit: int = 10 ** 6) -> None:
        nonlocal sent
        while sent < limit:
            try:
                client.sendMessage(payload + b"%04d" % sent)
            except BlockingIOError:
                return
            sent += 1

    while True:
        fill()
        before = sent
        net.run(lambda: False, timeout=0.3)
        fill()
        if sent == before:
            break
    # Stuck: about the send buffer plus the reader's window is out.
    assert 64 + 16 <= sent <= 64 + 32 + 16, sent
    with pytest.raises(BlockingIOError):
        client.sendMessage(payload)
    total = sent + 300
    net.paused.discard(server)
    net.read(server)
    while sent < total:
        net.writable.discard(client)
        assert net.run(lambda: client in net.writable)
        fill(total)
    assert net.run(lambda: len(net.messages(server)) == total, timeout=30)
    assert [m.data for m in net.messages(server)] == [payload + b"%04d" % i for i in range(total)]


def test_messageLargerThanSendBuffer(net):
    """
    The send buffer is the largest message: one byte more is refused as too
    long, naming the limit.
    """
    client, server, listener, assocId = connected(net)
    client.setSendBufferSize(100000)
    assert client.maxMessageSize == 100000
    with pytest.raises(MessageTooLongError) as e:
        client.sendMessage(b"x" * 100001)
    assert e.value.limit == 100000
    client.sendMessage(b"y" * 100000)
    assert net.run(lambda: net.messages(server))
    assert len(net.messages(server)[0].data) == 100000


def test_prSctp(net):
    """
    PR-SCTP TTL and RTX policies are accepted (the kernel's PRIO policy has
    no usrsctp counterpart and is refused by name).
    """
    client, server, listener, assocId = connected(net)
    client.sendMessage(b"ttl", ttl=5000)
    client.sendMessage(b"rtx", prPolicy=PRPolicy.RTX, prValue=3)
    assert net.run(lambda: len(net.messages(server)) == 2)
    with pytest.raises(StackFeatureError, match="PRIO"):
        client.sendMessage(b"prio", prPolicy=PRPolicy.PRIO, prValue=1)


def test_statusAndOptions(net):
    """
    SCTP_STATUS and the path info come back with Linux's state numbers;
    options round-trip.
    """
    client, server, listener, assocId = connected(net)
    status = client.getStatus()
    assert status.state == AssocState.ESTABLISHED
    assert status.primary.state == PathState.ACTIVE
    assert status.primary.address == server.getPeerAddresses()[0][:1] + (listener.getLocalPort(),)
    (handle, port), = client.getPeerHandles()
    info = client.getPeerAddrInfo(handle, port)
    assert info.state == PathState.ACTIVE and info.mtu > 1000
    assert client.getPrimaryAddress() == ("127.0.0.1", port)
    client.setNodelay(True)
    assert client.getNodelay() is True
    client.setReceiveBufferSize(1 << 20)
    assert client.getReceiveBufferSize() == 1 << 20
    rto = client.getRTOInfo()
    assert rto.min > 0 and rto.max >= rto.min


def test_unsupportedFeaturesNameThemselves(net):
    """
    What kernel SCTP has and usrsctp over AF_CONN lacks raises
    StackFeatureError naming the feature.
    """
    client, server, listener, assocId = connected(net)
    with pytest.raises(StackFeatureError, match="SCTP_SENDALL"):
        client.sendMessage(b"x", sendAll=True)
    with pytest.raises(StackFeatureError, match="multi-homing"):
        client.sendMessage(b"x", to=("127.0.0.1", 1))
    with pytest.raises(StackFeatureError, match="bindx"):
        client.bindx([("127.0.0.1", 1)])
    with pytest.raises(StackFeatureError, match="SCTP_GET_ASSOC_STATS"):
        client.getAssocStats()


def test_sendRetryOneToMany(net):
    """
    A one-to-many socket that refused a send for lack of room is reported
    with EVENT_SEND_RETRY once packets come in, until a send goes through,
    even with no notification subscribed (usrsctp itself reports nothing: the socket
    never counts as writable, and nothing became readable).
    """
    from txsctp._usrsctp import EVENT_SEND_RETRY
    from txsctp.notifications import NotificationType

    port = nextPort()
    serverUdp, clientUdp = net.udpSocket(), net.udpSocket()
    server = net.listen(port, ONE_TO_MANY)
    client = net.socket(ONE_TO_MANY, events=[NotificationType.ASSOC_CHANGE])
    assocId = client.connect(net.peer(clientUdp, serverUdp), port)
    assert net.run(lambda: UP in net.assocChanges(client) and UP in net.assocChanges(server))
    client.setSendBufferSize(20000)
    reported = []
    handle = net._handle

    def record(ready):
        reported.extend(events for sock, events in ready if sock is client)
        handle(ready)

    net._handle = record
    sent = 0
    with pytest.raises(BlockingIOError):
        while True:
            client.sendMessage(b"z" * 1000, assocId=assocId)
            sent += 1
    retries = 0
    while True:
        # Each refusal is followed by a retry hint once packets come in.
        assert net.run(lambda: any(e & EVENT_SEND_RETRY for e in reported))
        reported.clear()
        retries += 1
        try:
            client.sendMessage(b"z" * 1000, assocId=assocId)
        except BlockingIOError:
            continue
        break
    assert retries < 50
    assert net.run(lambda: len(net.messages(server)) == sent + 1)
    # Once a send went through, no more hints.
    net.run(lambda: False, timeout=0.3)
    assert not any(e & EVENT_SEND_RETRY for e in reported)
