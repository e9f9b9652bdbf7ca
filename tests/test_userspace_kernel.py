"""
The userspace stack against the kernel's own SCTP over UDP (RFC 6951), in
both directions, inside the test kernel: txsctp's kernel stack with
C{remoteUdpPort}, and a plain standard-library SCTP socket, with the
host's C{net.sctp.udp_port} (and C{encap_port}) set.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import pytest
import pytest_twisted

from twisted.internet import defer, error, protocol

from _peers import withDeadline
from test_transport import Echo, Recorder, RecordingFactory
from test_userspace import _ClientFactory, _clients, _freeUdpPort, _idle, _listen

try:
    import txsctp._usrsctp_extension  # noqa: F401
except ImportError as e:
    _missing = str(e)
else:
    _missing = ""

pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(bool(_missing), reason=f"the userspace stack is not built here: {_missing}"),
]


@pytest.fixture(autouse=True)
def quietAfterwards(reactor):
    yield
    while _clients:
        transport = getattr(_clients.pop(), "transport", None)
        if transport is not None and not transport.disconnected:
            transport.abortConnection()
    pytest_twisted.blockon(_idle(reactor, 30))


@pytest.fixture
def kernelUdpPort(sysctl):
    """
    The kernel sends and receives SCTP over UDP on this port
    (C{net.sctp.udp_port}), for this test.
    """
    port = _freeUdpPort()
    sysctl("net.sctp.udp_port", port)
    return port


def _kernelListen(reactor, factory, **kwargs):
    from txsctp import listenSCTP

    return listenSCTP(0, factory, interface="127.0.0.1", reactor=reactor, **kwargs)


@pytest_twisted.inlineCallbacks
def _echoes(client, count=10):
    sent = []
    for i in range(count):
        data = b"over udp %d " % i + b"=" * (i * 100)
        client.transport.writeMessage(data, stream=i % 3, ppid=40 + i)
        sent.append((data, i % 3, 40 + i))
    got = yield withDeadline(client.expect(count), 15, "the echoes")
    assert sorted((d, info.stream, info.ppid) for d, info in got) == sorted(sent)
    client.transport.loseConnection()
    yield withDeadline(client.lost, 15, "the graceful end")
    assert isinstance(client.reason.value, error.ConnectionDone)


@pytest_twisted.inlineCallbacks
def test_userspace_client_to_the_kernel_stack(reactor, kernelUdpPort):
    """
    A userspace client reaches a txsctp port on the kernel stack through
    the kernel's UDP port: the kernel answers the UDP port the client sent
    from.
    """
    from txsctp import connectSCTP

    port = _kernelListen(reactor, protocol.Factory.forProtocol(Echo), outStreams=4, inStreams=4)
    try:
        d = defer.Deferred()
        connectSCTP("127.0.0.1", port.getHost().port, _ClientFactory(Recorder, d), reactor=reactor,
                    stack="userspace", remoteUdpPort=kernelUdpPort, outStreams=4)
        client = yield withDeadline(d, 15, "the association")
        assert client.transport.getPeer().udpPort == kernelUdpPort
        yield _echoes(client)
    finally:
        yield port.stopListening()


@pytest.mark.parametrize("style", ["one-to-one", "one-to-many"])
@pytest_twisted.inlineCallbacks
def test_kernel_stack_client_to_a_userspace_port(reactor, kernelUdpPort, style):
    """
    txsctp's kernel stack, told the peer's UDP port (remoteUdpPort),
    reaches a userspace port: its packets leave from, and the answers come
    back to, the kernel's UDP port.
    """
    from txsctp import connectSCTP

    factory = RecordingFactory(Echo)
    port = _listen(reactor, factory, style=style)
    try:
        d = defer.Deferred()
        connectSCTP("127.0.0.1", port.getHost().port, _ClientFactory(Recorder, d), reactor=reactor,
                    remoteUdpPort=port.getHost().udpPort, outStreams=4)
        client = yield withDeadline(d, 15, "the association")
        assert client.transport.socket.getRemoteUdpEncapsPort() == port.getHost().udpPort
        server = yield withDeadline(factory.connected, 10, "the userspace side")
        assert server.transport.getPeer().udpPort == kernelUdpPort
        yield _echoes(client)
    finally:
        yield port.stopListening()


def _python(code, *args):
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest_twisted.inlineCallbacks
def _finished(reactor, proc, timeout=20):
    from test_userspace import _sleep

    for _ in range(int(timeout / 0.05)):
        if proc.poll() is not None:
            break
        yield _sleep(reactor, 0.05)
    else:
        proc.kill()
    out = proc.stdout.read().decode()
    assert proc.wait() == 0, out
    return out


@pytest_twisted.inlineCallbacks
def test_stdlib_socket_to_a_userspace_port(reactor, kernelUdpPort, sysctl):
    """
    A plain standard-library SCTP socket of the kernel, with the host's
    default remote UDP port (net.sctp.encap_port) naming a userspace port,
    talks to it: stream and PPID come back.
    """
    factory = RecordingFactory(Echo)
    port = _listen(reactor, factory)
    sysctl("net.sctp.encap_port", port.getHost().udpPort)
    try:
        proc = _python("""
            import socket, struct, sys
            from txsctp._extension import lib
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
            s.settimeout(15)
            s.setsockopt(lib.SOL_SCTP, lib.SCTP_RECVRCVINFO, 1)
            s.connect(("127.0.0.1", int(sys.argv[1])))
            sndinfo = struct.pack("HHIIi", 2, 0, socket.htonl(46), 0, 0)
            s.sendmsg([b"from the kernel"], [(lib.SOL_SCTP, lib.SCTP_SNDINFO, sndinfo)])
            data, anc, flags, addr = s.recvmsg(1000, socket.CMSG_SPACE(28))
            sid, ssn, fl, ppid = struct.unpack_from("HHHxxI", anc[0][2])
            print(data.decode(), sid, socket.ntohl(ppid))
            s.close()
        """, port.getHost().port)
        out = yield _finished(reactor, proc)
        assert out.split() == ["from", "the", "kernel", "2", "46"]
        server = factory.protocols[0]
        assert server.transport.getPeer().udpPort == kernelUdpPort
    finally:
        yield port.stopListening()


@pytest_twisted.inlineCallbacks
def test_userspace_client_to_a_stdlib_server(reactor, kernelUdpPort):
    """
    A userspace client reaches a plain standard-library SCTP server of the
    kernel through the kernel's UDP port.
    """
    from txsctp import connectSCTP

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
    listener.bind(("127.0.0.1", 0))
    sctpPort = listener.getsockname()[1]
    listener.close()
    proc = _python("""
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(sys.argv[1])))
        s.listen(1)
        print("listening", flush=True)
        c, _ = s.accept()
        c.settimeout(15)
        data = c.recv(1000)
        c.send(data.upper())
        c.recv(1000)  # until the peer's SHUTDOWN
        c.close()
    """, sctpPort)
    assert proc.stdout.readline().strip() == b"listening"
    d = defer.Deferred()
    connectSCTP("127.0.0.1", sctpPort, _ClientFactory(Recorder, d), reactor=reactor, stack="userspace",
                remoteUdpPort=kernelUdpPort)
    client = yield withDeadline(d, 15, "the association")
    client.transport.writeMessage(b"to the kernel")
    got = yield withDeadline(client.expect(1), 15, "the answer")
    assert got[0][0] == b"TO THE KERNEL"
    client.transport.loseConnection()
    yield withDeadline(client.lost, 15, "the end")
    yield _finished(reactor, proc)
