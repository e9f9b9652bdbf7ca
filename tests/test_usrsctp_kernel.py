"""
The userspace stack's socket layer against the kernel's own SCTP over UDP
(RFC 6951, Linux 5.11 and later), in both directions: a plain stdlib
kernel SCTP socket on one side, usrsctp on the other.  Needs a kernel with
SCTP and root (the sysctls): run under scripts/sctp-run.

What the kernel needs: C{net.sctp.udp_port} (the UDP port it receives SCTP
on, and sends from); for sending, either C{net.sctp.encap_port} (the
default remote UDP port) or, per socket, C{SCTP_REMOTE_UDP_ENCAPS_PORT}.
It answers an association started over UDP to the UDP port the peer sent
from, whatever C{encap_port} says.
"""

from __future__ import annotations

import socket
import struct
import time

import pytest

from _support import needsKernel
from _usrsctp_support import net, nextPort  # noqa: F401 (fixture)
from txsctp.notifications import AssociationState

pytestmark = needsKernel

UP = AssociationState.COMM_UP
KERNEL_UDP_PORT = 9899
SCTP_REMOTE_UDP_ENCAPS_PORT = 132   # <linux/sctp.h>


def _lib():
    from txsctp._extension import lib

    return lib


def sndinfo(stream: int, ppid: int):
    lib = _lib()
    return [(socket.IPPROTO_SCTP, lib.SCTP_SNDINFO, struct.pack("=HHIIi", stream, 0, socket.htonl(ppid), 0, 0))]


def kernelSocket() -> socket.socket:
    k = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
    k.setsockopt(socket.IPPROTO_SCTP, _lib().SCTP_RECVRCVINFO, 1)
    return k


def kernelReceive(net, k, timeout: float = 10):
    """
    One message from a non-blocking kernel socket, with (stream, PPID),
    while the userspace side keeps running.
    """
    lib = _lib()
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        net.step(0.005)
        try:
            data, ancillary, flags, _ = k.recvmsg(65536, 1024)
        except BlockingIOError:
            continue
        for level, kind, value in ancillary:
            if level == socket.IPPROTO_SCTP and kind == lib.SCTP_RCVINFO:
                stream, _, _, ppid = struct.unpack_from("=HHHxxI", value)
                return data, stream, socket.ntohl(ppid)
        return data, None, None
    raise AssertionError("the kernel socket received nothing")


@pytest.mark.parametrize("perSocket", [False, True], ids=["encap_port", "SCTP_REMOTE_UDP_ENCAPS_PORT"])
def test_kernelClient(net, sysctl, perSocket):
    """
    A kernel SCTP client reaches our listener over UDP, with the remote UDP
    port from net.sctp.encap_port or from the socket option; messages go
    both ways with stream and PPID; its close shuts down gracefully.
    """
    serverUdp = net.udpSocket()
    sysctl("net.sctp.udp_port", KERNEL_UDP_PORT)
    sysctl("net.sctp.encap_port", 0 if perSocket else serverUdp.getsockname()[1])
    port = nextPort()
    listener = net.listen(port)
    net.echo(listener, lambda d: d.upper())
    k = kernelSocket()
    if perSocket:
        # struct sctp_udpencaps: assoc id, 8-aligned sockaddr_storage
        # (all zero: the whole socket), port in network order.
        encaps = struct.pack("=i4x128s", 0, b"") + struct.pack("!H", serverUdp.getsockname()[1]) + bytes(6)
        k.setsockopt(socket.IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, encaps)
    k.setblocking(False)
    k.connect_ex(("127.0.0.1", port))
    try:
        assert net.run(lambda: net.accepted[listener] and UP in net.assocChanges(net.accepted[listener][0]))
        # The kernel sends from net.sctp.udp_port.
        assert {address for _, address, _ in net.unknown} == {("127.0.0.1", KERNEL_UDP_PORT)}
        k.sendmsg([b"from the kernel"], sndinfo(2, 46))
        assert kernelReceive(net, k) == (b"FROM THE KERNEL", 2, 46)
        server = net.accepted[listener][0]
        assert [(m.data, m.info.stream, m.info.ppid) for m in net.messages(server)] == [(b"from the kernel", 2, 46)]
    finally:
        k.close()
    assert net.run(lambda: AssociationState.SHUTDOWN_COMP in net.assocChanges(server))


def test_userspaceClient(net, sysctl):
    """
    Our client reaches a kernel SCTP listener at net.sctp.udp_port; the
    kernel answers the UDP port our packets came from even though
    net.sctp.encap_port names another one, and checks (so accepts) our
    checksums.
    """
    elsewhere = net.udpSocket()
    sysctl("net.sctp.udp_port", KERNEL_UDP_PORT)
    sysctl("net.sctp.encap_port", elsewhere.getsockname()[1])
    listener = kernelSocket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    try:
        clientUdp = net.udpSocket()
        client = net.socket()
        client.connect(net.peer(clientUdp, ("127.0.0.1", KERNEL_UDP_PORT)), listener.getsockname()[1])
        assert net.run(lambda: UP in net.assocChanges(client))
        assert net.unknown == []
        conn, _ = listener.accept()
        conn.setblocking(False)
        client.sendMessage(b"to the kernel", stream=3, ppid=47)
        assert kernelReceive(net, conn) == (b"to the kernel", 3, 47)
        conn.sendmsg([b"to usrsctp"], sndinfo(1, 48))
        assert net.run(lambda: net.messages(client))
        assert [(m.data, m.info.stream, m.info.ppid) for m in net.messages(client)] == [(b"to usrsctp", 1, 48)]
        client.shutdown()
        assert net.run(lambda: AssociationState.SHUTDOWN_COMP in net.assocChanges(client))
        conn.close()
    finally:
        listener.close()
