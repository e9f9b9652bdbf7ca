"""
The userspace stack's socket layer against usrsctp's own example programs
(Debian's libusrsctp-examples), which nobody here wrote: they run their own
usrsctp with its own UDP thread, natively.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest

from _usrsctp_support import net, nextPort  # noqa: F401 (fixture)
from txsctp.notifications import AssociationState

PROGRAMS = "/usr/lib/usrsctp"
needsPrograms = pytest.mark.skipif(
    not os.path.exists(os.path.join(PROGRAMS, "echo_server")),
    reason=f"usrsctp's example programs are not installed in {PROGRAMS} (Debian: libusrsctp-examples)")


def freeUdpPort() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def udpPortBound(port: int) -> bool:
    """
    Whether some socket has UDP C{port} bound (read from /proc: binding the
    port to find out could take it from the program starting up).
    """
    for name in ("/proc/net/udp", "/proc/net/udp6"):
        with open(name) as f:
            next(f)
            for line in f:
                if int(line.split()[1].rsplit(":", 1)[1], 16) == port:
                    return True
    return False


def waitForUdpPort(port: int, proc: subprocess.Popen, timeout: float = 10) -> None:
    """
    Wait until some process has bound UDP C{port} (the program is ready).
    """
    end = time.monotonic() + timeout
    while not udpPortBound(port):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, f"nothing bound UDP port {port}"
        time.sleep(0.02)


@needsPrograms
def test_clientAgainstEchoServer(net):
    """
    Our client against usrsctp's echo_server (SCTP port 7 over its UDP
    port): streams, PPIDs and the unordered flag come back as sent, and the
    association shuts down cleanly.
    """
    udpPort = freeUdpPort()
    proc = subprocess.Popen([os.path.join(PROGRAMS, "echo_server"), str(udpPort)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        waitForUdpPort(udpPort, proc)
        udp = net.udpSocket()
        handle = net.peer(udp, ("127.0.0.1", udpPort))
        for _attempt in range(20):
            # Its UDP port is bound before its SCTP port listens: an INIT
            # in between is aborted.  Try again.
            client = net.socket()
            client.connect(handle, 7)
            assert net.run(lambda client=client: {AssociationState.COMM_UP, AssociationState.CANT_STR_ASSOC} & set(
                net.assocChanges(client)))
            if AssociationState.COMM_UP in net.assocChanges(client):
                break
            client.close()
            time.sleep(0.05)
        sent = []
        for i in range(10):
            data = b"message %d" % i + b"!" * (i * 300)
            client.sendMessage(data, stream=i % 5, ppid=0x4000 + i, unordered=i % 4 == 0)
            sent.append((data, i % 5, 0x4000 + i, i % 4 == 0))
        assert net.run(lambda: len(net.messages(client)) == 10)
        got = [(m.data, m.info.stream, m.info.ppid, m.info.unordered) for m in net.messages(client)]
        assert sorted(got) == sorted(sent)
        # echo_server replied to the UDP port we sent from: nothing came
        # from an unknown endpoint.
        assert net.unknown == []
        client.shutdown()
        assert net.run(lambda: AssociationState.SHUTDOWN_COMP in net.assocChanges(client))
    finally:
        proc.kill()
        proc.wait()


@needsPrograms
def test_clientProgramAgainstOurServer(net):
    """
    usrsctp's client program against our one-to-one echo server: it sends
    its stdin lines, prints what comes back (upper-cased by us), shuts down
    at the end of its input and exits once the association is closed.
    """
    port = nextPort()
    serverUdp = net.udpSocket()
    listener = net.listen(port)
    net.echo(listener, lambda d: d.upper())
    clientUdpPort = freeUdpPort()
    proc = subprocess.Popen(
        [os.path.join(PROGRAMS, "client"), "127.0.0.1", str(port), "0", str(clientUdpPort),
         str(serverUdp.getsockname()[1])],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        waitForUdpPort(clientUdpPort, proc)
        assert net.run(lambda: net.accepted[listener] and AssociationState.COMM_UP in net.assocChanges(
            net.accepted[listener][0]), timeout=15)
        server = net.accepted[listener][0]
        os.set_blocking(proc.stdout.fileno(), False)
        out = b""

        def printed() -> bytes:
            nonlocal out
            out += proc.stdout.read() or b""
            return out

        proc.stdin.write(b"hello\nsctp over udp\n")
        proc.stdin.flush()
        # Its input ends only once the echo is back: the program shuts down
        # at the end of its input, and data sent after that is refused.
        assert net.run(lambda: b"HELLO\nSCTP OVER UDP\n" in printed(), timeout=15)
        proc.stdin.close()
        assert net.run(lambda: AssociationState.SHUTDOWN_COMP in net.assocChanges(server), timeout=15)
        assert net.run(lambda: proc.poll() is not None, timeout=15)
        os.set_blocking(proc.stdout.fileno(), True)
        out += proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert b"HELLO\nSCTP OVER UDP\n" in out
    received = net.messages(server)
    assert b"".join(m.data for m in received) == b"hello\nsctp over udp\n"
    assert {(m.info.stream, m.info.ppid) for m in received} == {(0, 0)}
    # It came from the UDP port it was told to use, and we answered there.
    assert [net.stack.peerEndpoint(h).port for h in net.handles] == [clientUdpPort]
