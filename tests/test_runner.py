"""
Checks of the environment the suite runs in (see scripts/sctp-run).

The suite needs a kernel with SCTP: scripts/test runs it natively when the
host kernel has SCTP and inside User-Mode Linux otherwise.  These tests fail
early and clearly when that environment is not what the rest of the suite
expects.  They deliberately use only the standard library (not txsctp).
"""

import errno
import os
import resource
import shutil
import socket
import subprocess

import pytest

RUNNER = os.environ.get("TXSCTP_RUNNER", "")
IN_UML = RUNNER == "uml"
HINT = "run the suite with scripts/test (it provides a kernel with SCTP)"
IFF_UP = 0x1


def sctpSocket(kind=socket.SOCK_STREAM, family=socket.AF_INET):
    try:
        return socket.socket(family, kind, socket.IPPROTO_SCTP)
    except OSError as e:
        if e.errno in (errno.EPROTONOSUPPORT, errno.ESOCKTNOSUPPORT):
            pytest.fail(f"this kernel has no SCTP ({e}); {HINT}")
        raise


def test_sctpSockets():
    """
    One-to-one and one-to-many SCTP sockets can be created, and the kernel
    exposes /proc/net/sctp.
    """
    for kind in (socket.SOCK_STREAM, socket.SOCK_SEQPACKET):
        with sctpSocket(kind) as s:
            assert s.proto == socket.IPPROTO_SCTP
    assert os.path.isdir("/proc/net/sctp"), HINT
    assert os.path.exists("/proc/net/sctp/eps")


def test_loopbackUp():
    """
    The loopback interface is up.
    """
    with open("/sys/class/net/lo/flags") as f:
        flags = int(f.read().strip(), 16)
    assert flags & IFF_UP, "interface lo is down"


def test_associationOn127_0_0_2():
    """
    An SCTP association can be set up to a listener on 127.0.0.2 (the whole
    127/8 is local on lo) and carries a message both ways; listen() also
    proves the cookie HMAC (hmac(md5)) is available.
    """
    with sctpSocket() as server, sctpSocket() as client:
        server.settimeout(30)
        client.settimeout(30)
        server.bind(("127.0.0.2", 0))
        server.listen(1)
        client.connect(server.getsockname())
        conn, peer = server.accept()
        with conn:
            conn.settimeout(30)
            assert peer[0] == "127.0.0.1"
            client.sendall(b"ping")
            assert conn.recv(100) == b"ping"
            conn.sendall(b"pong")
            assert client.recv(100) == b"pong"


def test_ipv6Loopback():
    """
    IPv6 is available with ::1 on lo (the sctp module needs ipv6 anyway).
    """
    with sctpSocket(family=socket.AF_INET6) as s:
        s.bind(("::1", 0))
        assert s.getsockname()[0] == "::1"


@pytest.mark.skipif(not IN_UML, reason="the limit is only set inside UML")
def test_openFilesLimit():
    """
    Inside UML the runner raises the open files limit: the suite opens
    thousands of sockets.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft >= 65536


@pytest.mark.skipif(
    not IN_UML and os.geteuid() != 0,
    reason="network namespaces need root (they are always there inside UML)",
)
def test_networkNamespace():
    """
    C{ip netns add} works (a tmpfs on /run inside UML keeps the namespace
    mounts off the host) and a veth pair can be made inside the namespace.
    The namespace, and the veth pair with it, are removed afterwards.
    """
    ip = shutil.which("ip")
    assert ip is not None, "iproute2 (ip) is missing: run scripts/bootstrap"
    name = f"txsctp-runner-test-{os.getpid()}"

    def run(*args):
        return subprocess.run(
            [ip, *args], capture_output=True, text=True, timeout=60
        )

    added = run("netns", "add", name)
    assert added.returncode == 0, added.stderr
    try:
        assert name in run("netns", "list").stdout
        veth = run(
            "-n", name, "link", "add", "rt0", "type", "veth",
            "peer", "name", "rt1",
        )
        assert veth.returncode == 0, veth.stderr
        up = run("-n", name, "link", "set", "lo", "up")
        assert up.returncode == 0, up.stderr
        links = run("-n", name, "-o", "link", "show").stdout
        assert "rt0" in links and "rt1" in links
    finally:
        deleted = run("netns", "delete", name)
    assert deleted.returncode == 0, deleted.stderr
    assert name not in run("netns", "list").stdout
