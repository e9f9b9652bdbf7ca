"""
The userspace stack's process-wide machinery (L{txsctp._usrsctp}): what
goes on the wire, timers, handles, threads, the missing-binding error and
the translation to Linux's numbers.  Natively, no Twisted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from _support import REPO
from _usrsctp_support import chunks, net, nextPort, withChecksum  # noqa: F401 (fixture)
from txsctp import _usrsctp_values
from txsctp._extension import lib as linux
from txsctp._usrsctp import ONE_TO_MANY, UsrsctpStack, lib
from txsctp.errors import WrongThreadError
from txsctp.notifications import (
    AssociationChange,
    AssociationState,
    Notification,
    PeerAddressChange,
    PeerAddressState,
    UnknownNotification,
)
from txsctp.options import AssocParams, DelayedSack, RTOInfo

UP = AssociationState.COMM_UP
DATA, SACK = 0, 3


def up(net, serverStyle=None, **kw):
    port = nextPort()
    serverUdp, clientUdp = net.udpSocket(), net.udpSocket()
    listener = net.listen(port, serverStyle) if serverStyle is not None else net.listen(port)
    client = net.socket(**kw)
    client.connect(net.peer(clientUdp, serverUdp), port)
    assert net.run(lambda: UP in net.assocChanges(client))
    if serverStyle is None:
        assert net.run(lambda: net.accepted[listener])
        return client, net.accepted[listener][0], listener
    assert net.run(lambda: UP in net.assocChanges(listener))
    return client, listener, listener


def test_linuxValues():
    """
    The flag and state numbers the C helpers translate to are Linux's, as
    txsctp's value types use them.
    """
    for name in ("MSG_NOTIFICATION", "UNORDERED", "ADDR_OVER", "ABORT", "SACK_IMMEDIATELY", "SENDALL", "EOF"):
        assert getattr(lib, "TXU_L_" + name) == getattr(linux, "SCTP_" + name if name != "MSG_NOTIFICATION"
                                                       else name), name
    assert (lib.TXU_L_PR_TTL, lib.TXU_L_PR_RTX, lib.TXU_L_PR_PRIO) == (
        linux.SCTP_PR_SCTP_TTL, linux.SCTP_PR_SCTP_RTX, linux.SCTP_PR_SCTP_PRIO)
    # usrsctp's own values differ: that is why they are translated.
    assert lib.SCTP_UNORDERED != linux.SCTP_UNORDERED
    assert lib.SCTP_COMM_UP != linux.SCTP_COMM_UP


def test_wireFormat(net):
    """
    What usrsctp sends carries a correct CRC32c (checked by an independent
    implementation) and the PPID in network byte order, from the host-order
    value given.
    """
    net.filter = lambda handle, packet: packet
    client, server, _ = up(net)
    client.sendMessage(b"hello", ppid=0x01020304)
    assert net.run(lambda: net.messages(server))
    assert net.messages(server)[0].info.ppid == 0x01020304
    packets = [p for _, p in net.sentPackets]
    assert packets and all(withChecksum(p) == p for p in packets)
    data = [v for p in packets for kind, _, v in chunks(p) if kind == DATA]
    assert data and data[0][8:12] == bytes([1, 2, 3, 4]) and data[0][12:] == b"hello"


def test_badChecksumDropped(net):
    """
    usrsctp checks the CRC32c of AF_CONN input (offload stays off): a DATA
    packet with one byte changed is counted as a checksum error and
    delivers nothing; its repaired original is delivered.
    """
    lost = []
    net.filter = lambda handle, packet: (lost.append((handle, packet)), None)[1] if any(
        k == DATA for k, _, _ in chunks(packet)) else packet
    client, server, _ = up(net)
    client.sendMessage(b"payload!")
    assert net.run(lambda: lost)
    handle, packet = lost[0]
    endpoint = net.stack.peerEndpoint(handle)
    udp = {u.fileno(): u for u in net.udp}[endpoint.fd]
    before = net.stack.stats()
    bad = bytearray(packet)
    bad[-1] ^= 0x01
    udp.sendto(bytes(bad), (endpoint.host, endpoint.port))
    net.run(lambda: net.stack.stats()["usrsctp_badsum"] > before["usrsctp_badsum"], timeout=2)
    after = net.stack.stats()
    assert after["usrsctp_checksumerrors"] == before["usrsctp_checksumerrors"] + 1
    assert net.messages(server) == []
    net.filter = None
    udp.sendto(packet, (endpoint.host, endpoint.port))
    assert net.run(lambda: net.messages(server))
    assert net.messages(server)[0].data == b"payload!"


def test_timerGranularityAndDelayedSack(net):
    """
    usrsctp's clock moves only in handleTimers, in 1 ms ticks: with a 50 ms
    SACK delay the SACK for a lone DATA packet (not the association's
    first, which is acknowledged at once) is sent after 50 ticks, not 49,
    however much real time passes.
    """
    client, server, _ = up(net)
    server.setDelayedSack(DelayedSack(50, 2))
    net.run(lambda: False, timeout=0.3)
    net.filter = lambda handle, packet: packet
    net.tick = lambda: None   # the test drives the clock
    # Unread, so that no window update makes a SACK of its own.
    net.paused.add(server)
    # usrsctp acknowledges an association's first DATA at once.
    client.sendMessage(b"first")
    assert net.run(lambda: any(k == SACK for _, p in net.sentPackets for k, _, _ in chunks(p)))
    net.sentPackets.clear()
    client.sendMessage(b"one")
    assert net.run(lambda: any(k == DATA for _, p in net.sentPackets for k, _, _ in chunks(p)))
    net.run(lambda: False, timeout=0.1)
    net.sentPackets.clear()
    net.stack.handleTimers(49)
    net.step()
    assert not any(k == SACK for _, p in net.sentPackets for k, _, _ in chunks(p))
    net.stack.handleTimers(1)
    net.step()
    assert any(k == SACK for _, p in net.sentPackets for k, _, _ in chunks(p))


def test_retransmissionNeedsTicks(net):
    """
    A lost DATA packet is retransmitted by usrsctp's T3 timer, which runs
    only when ticked: never without ticks, at the RTO with them.
    """
    client, server, _ = up(net)
    net.tick = lambda: None
    dropped = []

    def dropFirstData(handle, packet):
        if not dropped and any(k == DATA for k, _, _ in chunks(packet)):
            dropped.append(packet)
            return None
        return packet

    net.filter = dropFirstData
    client.sendMessage(b"again")
    assert net.run(lambda: False, timeout=0.5) is False
    assert dropped and net.messages(server) == []
    rto = client.getStatus().primary.rto
    net.stack.handleTimers(rto - 1)
    assert net.run(lambda: False, timeout=0.2) is False
    assert net.messages(server) == []
    net.stack.handleTimers(1)
    assert net.run(lambda: net.messages(server), timeout=2)
    assert net.messages(server)[0].data == b"again"


def test_associationTimeoutReportedAfterTimers(net):
    """
    An association whose peer goes silent fails by timer, without a packet
    in: handleTimers says so, and a full collect finds the one-to-many
    socket's COMM_LOST (usrsctp makes no upcall for it).
    """
    client, server, _ = up(net, serverStyle=ONE_TO_MANY, style=ONE_TO_MANY)
    client.setRTOInfo(RTOInfo(initial=100, max=100, min=50), assocId=net.notes(client)[0].assocId)
    client.setAssocParams(AssocParams(maxRetrans=2), assocId=net.notes(client)[0].assocId)
    net.filter = lambda handle, packet: None   # the peer is gone
    client.sendMessage(b"anyone?", assocId=net.notes(client)[0].assocId)
    saw = []
    realTick = net.tick

    def tick():
        before = len(net.items[client])
        realTick()
        saw.append(len(net.items[client]) > before)

    net.tick = tick
    assert net.run(lambda: AssociationState.COMM_LOST in net.assocChanges(client), timeout=10)
    assert any(saw)   # reported from the tick, not from a packet
    assert net.stack.associationCount() <= 1   # the server's side remains


def test_needsTimers(net):
    """
    needsTimers is true while an association exists, and turns false once
    the last one is gone and the cleanup ticks have passed.
    """
    stack = net.stack
    assert net.run(lambda: not stack.needsTimers(), timeout=5)
    client, server, listener = up(net)
    assert stack.needsTimers()
    assert stack.associationCount() == 2
    client.shutdown()
    assert net.run(lambda: AssociationState.SHUTDOWN_COMP in net.assocChanges(server))
    assert stack.associationCount() == 0
    assert net.run(lambda: not stack.needsTimers(), timeout=5)
    # Idle: ticking changes nothing and sends nothing.
    before = stack.stats()["queued_packets"]
    assert stack.handleTimers(10_000) is False
    assert stack.stats()["queued_packets"] == before


def test_handles(net):
    """
    A handle names one UDP endpoint; datagrams from endpoints without one
    are handed back, not fed; a removed handle is refused.
    """
    stack = net.stack
    a, b = net.udpSocket(), net.udpSocket()
    h = net.peer(a, b)
    assert stack.findPeer(a.fileno(), *b.getsockname()) == h
    assert stack.findPeer(b.fileno(), *a.getsockname()) is None
    endpoint = stack.peerEndpoint(h)
    assert (endpoint.fd, endpoint.host, endpoint.port) == (a.fileno(),) + b.getsockname()
    with pytest.raises(ValueError):
        stack.addPeer(a.fileno(), *b.getsockname())
    assert h in stack.peers()
    net.autoAccept = False
    c = net.udpSocket()
    c.sendto(b"stranger", a.getsockname())
    assert net.run(lambda: any(d == b"stranger" for _, _, d in net.unknown), timeout=2)
    assert stack.findPeer(a.fileno(), *c.getsockname()) is None
    stack.removePeer(h)
    net.handles.remove(h)
    with pytest.raises(KeyError):
        stack.input(h, b"x" * 20)
    with pytest.raises(KeyError):
        stack.peerEndpoint(h)


def test_wrongThread(net):
    """
    Every call must come from the thread that started the stack.
    """
    client, server, _ = up(net)
    errors = []

    def other():
        for call in (UsrsctpStack.get, lambda: net.stack.flush(), lambda: client.sendMessage(b"x"),
                     lambda: net.stack.handleTimers(1)):
            try:
                call()
            except WrongThreadError as e:
                errors.append(str(e))

    t = threading.Thread(target=other, name="intruder")
    t.start()
    t.join()
    assert len(errors) == 4
    assert "thread that started it" in errors[0]
    assert UsrsctpStack.get() is net.stack


def test_missingBinding():
    """
    Without the compiled usrsctp binding, importing the userspace stack
    raises one error that names the packages and the rebuild; the kernel
    stack still imports.
    """
    code = (
        "import sys\n"
        "sys.modules['txsctp._usrsctp_cffi'] = None\n"
        "import txsctp.sctpsocket\n"
        "from txsctp.errors import UserspaceStackUnavailableError\n"
        "try:\n"
        "    import txsctp._usrsctp\n"
        "except UserspaceStackUnavailableError as e:\n"
        "    print('ERROR', e)\n"
        "    assert isinstance(e, ImportError)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    message = out.stdout
    assert message.startswith("ERROR ")
    for needed in ("libusrsctp-dev", "usrsctp-devel", "Homebrew: usrsctp", "rebuild txsctp"):
        assert needed in message


def test_notificationParsing():
    """
    usrsctp's notification layouts become txsctp's types with Linux's
    numbers; unknown or short ones become UnknownNotification.
    """
    ffi = _usrsctp_values.ffi
    raw = ffi.new("struct sctp_paddr_change *")
    raw.spc_type = lib.SCTP_PEER_ADDR_CHANGE
    raw.spc_length = ffi.sizeof("struct sctp_paddr_change")
    raw.spc_state = lib.SCTP_ADDR_UNREACHABLE
    raw.spc_assoc_id = 7
    note = _usrsctp_values.parseNotification(bytes(ffi.buffer(raw)), lambda storage: ("10.0.0.1", 99))
    assert isinstance(note, PeerAddressChange)
    assert (note.state, note.assocId, note.address) == (PeerAddressState.UNREACHABLE, 7, ("10.0.0.1", 99))
    change = ffi.new("struct sctp_assoc_change *")
    change.sac_type = lib.SCTP_ASSOC_CHANGE
    change.sac_length = ffi.sizeof("struct sctp_assoc_change")
    change.sac_state = lib.SCTP_CANT_STR_ASSOC
    note = _usrsctp_values.parseNotification(bytes(ffi.buffer(change)))
    assert isinstance(note, AssociationChange) and note.state == AssociationState.CANT_STR_ASSOC
    for junk in (b"", b"\x01\x00", bytes(ffi.buffer(change))[:12],
                 lib.SCTP_NOTIFICATIONS_STOPPED_EVENT.to_bytes(2, sys.byteorder) + b"\0\0\x08\0\0\0"):
        assert isinstance(_usrsctp_values.parseNotification(junk), UnknownNotification)
    for _ in range(1000):
        assert isinstance(_usrsctp_values.parseNotification(os.urandom(os.urandom(1)[0] * 2)), Notification)


def test_noTwisted():
    """
    The userspace stack's lower half imports no Twisted (the Twisted side is
    built on top of it).
    """
    import ast

    names = ["_usrsctp.py", "_usrsctp_socket.py", "_usrsctp_values.py", "_usrsctp_extension.py"]
    names += [n for n in os.listdir(os.path.join(REPO, "txsctp"))
              if n.startswith("_usrsctp_build") and n.endswith(".py")]
    for name in names:
        path = os.path.join(REPO, "txsctp", name)
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {m for m in imported if m.split(".")[0] == "twisted"}, (name, imported)


def test_oneThreadOfUsrsctpsOwn():
    """
    usrsctp_init_nothreads starts no timer or receive thread, but usrsctp
    0.9.5 still starts its iterator thread: one thread more, which runs
    only for address changes and SCTP_SENDALL (neither sends for AF_CONN).
    """
    code = (
        "import os\n"
        "before = len(os.listdir('/proc/self/task'))\n"
        "from txsctp._usrsctp import UsrsctpStack\n"
        "UsrsctpStack.get()\n"
        "UsrsctpStack.get()\n"
        "print(before, len(os.listdir('/proc/self/task')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    before, after = map(int, out.stdout.split())
    assert after == before + 1


def test_sackImmediately(net):
    """
    SCTP_SACK_IMMEDIATELY (the I bit) gets the DATA acknowledged without
    waiting for the receiver's SACK delay.
    """
    client, server, _ = up(net)
    # A SACK every 10 packets at most, or after 200 ms (no ticks come).
    server.setDelayedSack(DelayedSack(200, 10))
    client.setNodelay(True)
    net.paused.add(server)
    net.filter = lambda handle, packet: packet
    net.tick = lambda: None
    client.sendMessage(b"first")
    assert net.run(lambda: any(k == SACK for _, p in net.sentPackets for k, _, _ in chunks(p)))
    net.sentPackets.clear()
    client.sendMessage(b"later")
    assert net.run(lambda: False, timeout=0.2) is False
    assert not any(k == SACK for _, p in net.sentPackets for k, _, _ in chunks(p))
    client.sendMessage(b"now", sackImmediately=True)
    assert net.run(lambda: any(k == SACK for _, p in net.sentPackets for k, _, _ in chunks(p)), timeout=2)


def test_oneToManyEofAndBatch(net):
    """
    On a one-to-many socket: a batch send that fills the buffer says how
    many it took; EOF after the last message shuts that association down
    once everything is delivered.
    """
    client, server, _ = up(net, serverStyle=ONE_TO_MANY)
    assocId = net.notes(server, AssociationChange)[0].assocId
    server.setSendBufferSize(20000)
    net.paused.add(client)
    batch = [(b"%04d" % i + b"b" * 996, 0, 5, 0, assocId, 0) for i in range(100)]
    taken = server.sendBatch(batch)
    assert 0 < taken < 100
    net.paused.discard(client)
    net.read(client)
    while taken < 100:
        try:
            taken += server.sendBatch(batch[taken:])
        except BlockingIOError:
            net.step(0.01)
    server.sendMessage(b"bye", assocId=assocId, eof=True)
    assert net.run(lambda: AssociationState.SHUTDOWN_COMP in net.assocChanges(client))
    assert [m.data[:4] for m in net.messages(client)] == [b"%04d" % i for i in range(100)] + [b"bye"]
    assert net.run(lambda: AssociationState.SHUTDOWN_COMP in net.assocChanges(server))
    assert server.getAssocIds() == []


def test_timersWithoutAssociations(net):
    """
    With no association, the only timer left is each endpoint's cookie
    secret change (hourly): it runs when ticked, changes no socket, and
    needsTimers does not ask for it.
    """
    stack = net.stack
    listener = net.listen(nextPort())
    assert net.run(lambda: not stack.needsTimers(), timeout=5)
    before = stack.stats()
    assert stack.handleTimers(3_600_000 + 1) is False
    after = stack.stats()
    assert after["usrsctp_timosecret"] > before["usrsctp_timosecret"]
    assert after["queued_packets"] == before["queued_packets"]
    assert not stack.needsTimers()
    assert listener.getLocalPort()


def test_localAddresses(net):
    """
    Local addresses are the local UDP socket's host with the SCTP port
    (usrsctp's own list names every registered handle).
    """
    client, server, listener = up(net)
    (handle, port), = client.getPeerHandles()
    local = [u for u in net.udp if u.fileno() == stack_fd(net, handle)][0].getsockname()[0]
    assert client.getLocalAddresses() == [(local, client.getLocalPort())]
    assert server.getLocalAddresses() == [("127.0.0.1", listener.getLocalPort())]


def stack_fd(net, handle):
    return net.stack.peerEndpoint(handle).fd
