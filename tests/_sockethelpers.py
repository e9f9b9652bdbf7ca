"""
Shared helpers for the socket-layer tests (tests/test_socket_*.py and
friends): real kernel SCTP sockets on loopback, blocking with kernel
timeouts (C{SO_RCVTIMEO}/C{SO_SNDTIMEO}) so that no test ever sleeps for a
fixed time and none can hang.

Nothing here mocks the kernel: every pair of sockets is a real association.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from typing import Callable, Iterator, List, Optional, Tuple, Type, TypeVar, Union

import pytest

from txsctp.info import Message
from txsctp.notifications import (
    AssociationChange,
    AssociationState,
    Notification,
)
from txsctp.options import DelayedSack, RTOInfo, Tuning
from txsctp.sctpsocket import ONE_TO_MANY, ONE_TO_ONE, SCTPSocket

TIMEOUT = 5.0
"""Seconds any single wait may take before a test fails (never slept)."""

FAST_RTO = RTOInfo(initial=200, max=400, min=100)
"""RTO bounds (ms) that keep lost-packet and setup timers short."""

# No SO_SNDBUF/SO_RCVBUF asked for by default: the 1 MiB tests set their own
# after raising the host caps; everything else keeps the kernel defaults.
SMALL_TUNING = Tuning(nodelay=True, sendBufferSize=None, receiveBufferSize=None)

# The kernel tier's marker (see conftest.py): skipped, saying why, where
# the kernel has no SCTP.
requiresSCTP = pytest.mark.kernel

V4 = "127.0.0.1"
V4B = "127.0.0.2"
V6 = "::1"

T = TypeVar("T", bound=Notification)


def loopback(family: int) -> str:
    return V6 if family == socket.AF_INET6 else V4


def setTimeouts(sock: SCTPSocket, seconds: float = TIMEOUT) -> None:
    """
    Make a blocking socket's receive/accept and send/connect calls give up
    with EAGAIN (L{BlockingIOError}) after C{seconds}.
    """
    sock.setblocking(True)
    sock.setTimeouts(receive=seconds, send=seconds)


def makeSocket(
    family: int = socket.AF_INET,
    style: str = ONE_TO_ONE,
    *,
    timeout: float = TIMEOUT,
    tuning: Optional[Tuning] = SMALL_TUNING,
    rto: Optional[RTOInfo] = FAST_RTO,
    **kw,
) -> SCTPSocket:
    """
    A blocking socket with kernel timeouts and short RTO timers.
    """
    sock = SCTPSocket(family, style, tuning=tuning, **kw)
    try:
        setTimeouts(sock, timeout)
        if rto is not None:
            sock.setRTOInfo(rto)
        # SACK every packet: no 200 ms delayed-SACK stalls in the tests.
        sock.setDelayedSack(DelayedSack(delay=0, freq=1))
    except BaseException:
        sock.close()
        raise
    return sock


class Closer:
    """
    Collects sockets and closes them all at the end of a test.
    """

    def __init__(self) -> None:
        self.sockets: List[SCTPSocket] = []

    def add(self, sock: SCTPSocket) -> SCTPSocket:
        self.sockets.append(sock)
        return sock

    def socket(self, *a, **kw) -> SCTPSocket:
        return self.add(makeSocket(*a, **kw))

    def closeAll(self) -> None:
        while self.sockets:
            self.sockets.pop().close()


def listener(
    closer: Closer,
    family: int = socket.AF_INET,
    style: str = ONE_TO_ONE,
    host: Optional[str] = None,
    **kw,
) -> Tuple[SCTPSocket, int]:
    """
    A listening socket on loopback (or C{host}), with its port.
    """
    srv = closer.socket(family, style, **kw)
    srv.bind((loopback(family) if host is None else host, 0))
    srv.listen()
    return srv, srv.getsockname()[1]


def oneToOnePair(
    closer: Closer,
    family: int = socket.AF_INET,
    clientFamily: Optional[int] = None,
    *,
    serverHost: Optional[str] = None,
    connectHost: Optional[str] = None,
    serverKw: Optional[dict] = None,
    clientKw: Optional[dict] = None,
    drainCommUp: bool = True,
) -> Tuple[SCTPSocket, SCTPSocket, SCTPSocket]:
    """
    A one-to-one association on loopback.

    @return: C{(client, accepted, listening)} sockets; the COMM_UP
        notifications are consumed from both ends unless C{drainCommUp} is
        false.
    """
    clientFamily = family if clientFamily is None else clientFamily
    srv, port = listener(closer, family, ONE_TO_ONE, host=serverHost, **(serverKw or {}))
    cli = closer.socket(clientFamily, ONE_TO_ONE, **(clientKw or {}))
    cli.connect((connectHost or loopback(clientFamily), port))
    acc, _ = srv.accept()
    closer.add(acc)
    setTimeouts(acc)
    if drainCommUp:
        expectCommUp(cli)
        expectCommUp(acc)
        drainNotifications(cli)
        drainNotifications(acc)
    return cli, acc, srv


def oneToManyPair(
    closer: Closer,
    family: int = socket.AF_INET,
    *,
    serverKw: Optional[dict] = None,
    clientKw: Optional[dict] = None,
) -> Tuple[SCTPSocket, SCTPSocket, int, int]:
    """
    A one-to-many client and server with one association between them.

    @return: C{(client, server, clientAssocId, serverAssocId)}.
    """
    srv, port = listener(closer, family, ONE_TO_MANY, **(serverKw or {}))
    cli = closer.socket(family, ONE_TO_MANY, **(clientKw or {}))
    cliAssoc = cli.connectx([(loopback(family), port)])
    upC = expectCommUp(cli)
    upS = expectCommUp(srv)
    assert upC.assocId == cliAssoc
    drainNotifications(cli)
    drainNotifications(srv)
    return cli, srv, cliAssoc, upS.assocId


def drainNotifications(sock: SCTPSocket) -> List[Notification]:
    """
    Read the notifications queued right now (the kernel queues an
    AUTHENTICATION_EVENT "no auth" right after COMM_UP when the peer does
    not do SCTP-AUTH), without waiting; data would be a test bug.
    """
    got = []
    blocking = sock.getblocking()
    sock.setblocking(False)
    try:
        while True:
            try:
                item = sock.receive()
            except BlockingIOError:
                return got
            assert isinstance(item, Notification), f"unexpected data while draining: {item!r}"
            got.append(item)
    finally:
        sock.setblocking(blocking)


@pytest.fixture
def closer() -> Iterator[Closer]:
    """
    A L{Closer}: sockets made through it are closed after the test.
    """
    c = Closer()
    try:
        yield c
    finally:
        c.closeAll()


def receiveAny(sock: SCTPSocket, maxMessageSize: int = 16 << 20) -> Union[Message, Notification]:
    """
    One whole message or notification; fails the test after the socket's
    timeout instead of raising L{BlockingIOError}.
    """
    try:
        return sock.receive(maxMessageSize)
    except BlockingIOError:
        pytest.fail(f"timed out waiting for a message on {sock!r}")


def receiveData(
    sock: SCTPSocket,
    skipped: Optional[List[Notification]] = None,
    maxMessageSize: int = 16 << 20,
) -> Message:
    """
    The next whole data message; notifications on the way are appended to
    C{skipped} (or dropped).
    """
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        item = receiveAny(sock, maxMessageSize)
        if isinstance(item, Message):
            return item
        if skipped is not None:
            skipped.append(item)
    pytest.fail(f"no data message on {sock!r} within {TIMEOUT} s")


def expectNotification(
    sock: SCTPSocket,
    cls: Type[T],
    predicate: Callable[[T], bool] = lambda n: True,
    skipped: Optional[List[Union[Message, Notification]]] = None,
    timeout: float = TIMEOUT,
) -> T:
    """
    Receive until a notification of class C{cls} matching C{predicate}
    arrives; anything else received on the way goes to C{skipped}.
    """
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            item = receiveAny(sock)
        except ConnectionResetError as e:
            # A one-to-one socket whose association was aborted reports
            # ECONNRESET once (the socket error), before or after the
            # COMM_LOST notification queued with it.
            seen.append(e)
            if len([x for x in seen if isinstance(x, ConnectionResetError)]) > 1:
                raise
            continue
        if isinstance(item, cls) and predicate(item):
            return item
        seen.append(item)
        if skipped is not None:
            skipped.append(item)
    pytest.fail(f"no {cls.__name__} on {sock!r} within {timeout} s; got {seen!r}")


def expectCommUp(sock: SCTPSocket) -> AssociationChange:
    return expectNotification(
        sock, AssociationChange, lambda n: n.state == AssociationState.COMM_UP
    )


def waitReadable(sock: SCTPSocket, timeout: float = TIMEOUT) -> bool:
    import select

    p = select.poll()
    p.register(sock.fileno(), select.POLLIN)
    return bool(p.poll(int(timeout * 1000)))


def fdCount() -> int:
    return len(os.listdir("/proc/self/fd"))


def readSysctl(name: str) -> str:
    with open("/proc/sys/" + name.replace(".", "/")) as f:
        return f.read().strip()


def writeSysctl(name: str, value) -> None:
    with open("/proc/sys/" + name.replace(".", "/"), "w") as f:
        f.write(str(value))


@contextlib.contextmanager
def sysctl(**settings) -> Iterator[None]:
    """
    Set sysctls (keyword names with C{__} for dots, e.g.
    C{net__sctp__auth_enable=1}) for the duration, then restore them.
    Skips the test if they cannot be written (not root, no such knob).
    """
    saved = {}
    try:
        for key, value in settings.items():
            name = key.replace("__", ".")
            try:
                saved[name] = readSysctl(name)
                writeSysctl(name, value)
            except OSError as e:
                pytest.skip(f"cannot set sysctl {name}={value}: {e}")
        yield
    finally:
        for name, value in saved.items():
            writeSysctl(name, value)

