"""
Shared fixtures for txsctp's tests.

The reactor: pytest-twisted installs "the default" one; here "default"
means the reactor named by C{TXSCTP_TEST_REACTOR} (C{epoll}, the default,
C{poll} or C{select}), so that the transport tests can be run on each of
them (tests/test_reactors.py does that in subprocesses).

Fixtures:
  - C{reactor}: the running reactor.
  - C{sysctl}: set kernel sysctls for one test, restored afterwards.
  - C{bigBuffers}: raise C{net.core.rmem_max}/C{wmem_max} to 16 MiB for one
    test (a "tuned host": a single SCTP message cannot exceed the send
    buffer, which the default caps keep at 416 KiB).
  - C{listen}, C{connect}: start ports/clients that are cleaned up after
    the test.
"""

from __future__ import annotations

import importlib
import os
from typing import Callable, Dict, List

import pytest
import pytest_twisted

_REACTORS = {
    "epoll": ("twisted.internet.epollreactor", "EPollReactor"),
    "poll": ("twisted.internet.pollreactor", "PollReactor"),
    "select": ("twisted.internet.selectreactor", "SelectReactor"),
}
REACTOR_NAME = os.environ.get("TXSCTP_TEST_REACTOR", "epoll")
if REACTOR_NAME not in _REACTORS:
    raise RuntimeError(
        f"TXSCTP_TEST_REACTOR={REACTOR_NAME!r}: choose one of {', '.join(_REACTORS)}"
    )
# The stack the listen and connect fixtures use: tests/test_userspace.py
# runs the transport's own tests on the userspace stack with this set.
STACK = os.environ.get("TXSCTP_TEST_STACK", "kernel")
if STACK not in ("kernel", "userspace"):
    raise RuntimeError(f"TXSCTP_TEST_STACK={STACK!r}: choose kernel or userspace")


def _installChosenReactor() -> None:
    moduleName, typeName = _REACTORS[REACTOR_NAME]
    module = importlib.import_module(moduleName)
    pytest_twisted._install_reactor(
        reactor_installer=module.install, reactor_type=getattr(module, typeName)
    )


pytest_twisted.reactor_installers["default"] = _installChosenReactor


def pytest_report_header(config) -> List[str]:
    from txsctp.sctpsocket import kernelSupportsSCTP

    kernel = os.uname().release
    return [
        f"txsctp: reactor={REACTOR_NAME}, stack={STACK}, kernel {kernel}, "
        f"SCTP {'available' if kernelSupportsSCTP() else 'NOT available'}"
    ]


@pytest.fixture
def reactor():
    from twisted.internet import reactor as r

    return r


def _sysctlPath(name: str) -> str:
    return "/proc/sys/" + name.replace(".", "/")


def readSysctl(name: str) -> str:
    with open(_sysctlPath(name)) as f:
        return f.read().strip()


def writeSysctl(name: str, value) -> None:
    with open(_sysctlPath(name), "w") as f:
        f.write(str(value))


@pytest.fixture
def sysctl():
    """
    C{sysctl(name, value)} sets a sysctl for this test only.  Skips the test
    (saying why) where the sysctl cannot be written (not root).
    """
    saved: Dict[str, str] = {}

    def setter(name: str, value) -> None:
        if name not in saved:
            try:
                saved[name] = readSysctl(name)
            except OSError as e:
                pytest.skip(f"sysctl {name} is not available here: {e}")
        try:
            writeSysctl(name, value)
        except OSError as e:
            pytest.skip(f"cannot set sysctl {name} (needs root): {e}")

    yield setter
    for name, value in saved.items():
        writeSysctl(name, value)


@pytest.fixture
def bigBuffers(request):
    """
    A tuned host: socket buffer caps raised to 16 MiB (the kernel stack's
    send buffer caps a message's size; the userspace stack's has no host
    cap, and the host's settings are left alone).
    """
    if STACK == "userspace":
        return
    sysctl = request.getfixturevalue("sysctl")
    sysctl("net.core.rmem_max", 16 << 20)
    sysctl("net.core.wmem_max", 16 << 20)


def _kernelHasSCTP() -> bool:
    from _support import kernelHasSCTP

    return kernelHasSCTP()


def _freeUdpPort() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# With the userspace stack, the listen fixture's ports share one UDP port,
# which the connect fixture's clients and the ports' own outward
# associations send to (as peers of the kernel stack share an IP address).
SHARED_UDP_PORT = _freeUdpPort() if STACK == "userspace" else None


# The kernel tier: tests that need kernel SCTP.  scripts/test runs the rest
# natively first (the userspace stack, the pure logic, the type and lint
# checks), then these where the kernel has SCTP (the test kernel).  A test
# is in the kernel tier if it is marked so, if it uses a fixture that needs
# the kernel, or if its module is listed here (every test of it does).
_KERNEL_FIXTURES = {"listen", "connect", "sysctl", "bigBuffers"}
_KERNEL_MODULES = {
    "test_auth", "test_badinput", "test_benchmark_smoke", "test_examples", "test_faults", "test_fuzz",
    "test_interop", "test_load", "test_multihoming", "test_reactors", "test_runner", "test_userspace_kernel",
}


def pytest_collection_modifyitems(config, items) -> None:
    kernel = pytest.mark.kernel
    # On the userspace stack (TXSCTP_TEST_STACK), the listen and connect
    # fixtures need no kernel SCTP.
    fixtures = _KERNEL_FIXTURES - {"listen", "connect", "bigBuffers"} if STACK == "userspace" else _KERNEL_FIXTURES
    for item in items:
        if item.get_closest_marker("kernel") is not None:
            continue
        module = getattr(item, "module", None)
        if module is not None and module.__name__ in _KERNEL_MODULES:
            item.add_marker(kernel)
        elif fixtures & set(getattr(item, "fixturenames", ())):
            item.add_marker(kernel)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "kernel: needs kernel SCTP (the kernel tier of scripts/test; skipped, saying why, where the "
        "kernel has none)",
    )
    config.addinivalue_line(
        "markers",
        "kernelStackOnly(reason): a test of a kernel SCTP feature the userspace stack does not have; "
        "skipped, with the reason, when the suite runs on the userspace stack",
    )


def pytest_runtest_setup(item) -> None:
    if item.get_closest_marker("kernel") is not None and not _kernelHasSCTP():
        pytest.skip("needs kernel SCTP: scripts/test runs the kernel tier in the test kernel "
                    "(scripts/sctp-run -- .venv/bin/python -m pytest -m kernel)")
    marker = item.get_closest_marker("kernelStackOnly")
    if marker is not None and STACK == "userspace":
        pytest.skip(f"kernel SCTP only: {marker.args[0]}")


@pytest.fixture
def listen(reactor):
    """
    C{listen(factory, **kwargs)}: L{txsctp.listenSCTP} on port 0 of
    127.0.0.1 (unless C{interface} is given), stopped after the test.
    """
    from txsctp import listenSCTP

    ports = []

    def start(factory, port: int = 0, **kwargs):
        kwargs.setdefault("interface", "127.0.0.1")
        if STACK == "userspace":
            kwargs.setdefault("stack", "userspace")
            kwargs.setdefault("udpPort", SHARED_UDP_PORT)
            kwargs.setdefault("remoteUdpPort", SHARED_UDP_PORT)
        p = listenSCTP(port, factory, reactor=reactor, **kwargs)
        ports.append(p)
        return p

    yield start
    for p in ports:
        d = p.stopListening()
        if d is not None:
            pytest_twisted.blockon(d)


@pytest.fixture
def connect(reactor):
    """
    C{connect(port, protocolFactoryOrClass, host="127.0.0.1", **kwargs)}:
    returns a Deferred firing with the connected Protocol (association up),
    failing with the connector's reason.  Associations still up after the
    test are aborted.
    """
    from twisted.internet import defer, protocol

    from txsctp import connectSCTP

    protocols: List = []

    class _Factory(protocol.ClientFactory):
        def __init__(self, build: Callable, d: defer.Deferred) -> None:
            self.build = build
            self.d = d

        def buildProtocol(self, addr):
            p = self.build()
            p.factory = self
            protocols.append(p)
            # Fire once makeConnection has run (the transport is attached).
            reactor.callLater(0, self.d.callback, p)
            return p

        def clientConnectionFailed(self, connector, reason):
            if not self.d.called:
                self.d.errback(reason)

    def start(port: int, build, host="127.0.0.1", **kwargs):
        d: defer.Deferred = defer.Deferred()
        if STACK == "userspace":
            kwargs.setdefault("stack", "userspace")
            kwargs.setdefault("remoteUdpPort", SHARED_UDP_PORT)
        connectSCTP(host, port, _Factory(build, d), reactor=reactor, **kwargs)
        return d

    yield start
    for p in protocols:
        t = getattr(p, "transport", None)
        if t is not None and not getattr(t, "disconnected", True):
            t.abortConnection()
