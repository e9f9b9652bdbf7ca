"""
Peeling an association off a one-to-many socket onto its own socket:
queued messages move with it, receive info and notifications keep coming,
options carry over, nothing leaks.
"""

from __future__ import annotations

import errno
import socket

import pytest

from _sockethelpers import (  # noqa: F401 (closer is a fixture)
    V4,
    closer,
    expectCommUp,
    expectNotification,
    fdCount,
    listener,
    oneToManyPair,
    oneToOnePair,
    receiveData,
    requiresSCTP,
    setTimeouts,
    waitReadable,
)
from txsctp.notifications import AssociationChange, AssociationState, NotificationType, SenderDry, Shutdown
from txsctp.options import DelayedSack, RTOInfo
from txsctp.sctpsocket import ONE_TO_MANY

pytestmark = requiresSCTP


def test_peeloffLiveAssociation(closer):
    srv, port = listener(closer, style=ONE_TO_MANY)
    srv.setRTOInfo(RTOInfo(initial=150, max=300, min=60))
    srv.setDelayedSack(DelayedSack(delay=0, freq=1))
    srv.subscribe([NotificationType.SENDER_DRY_EVENT])
    a = closer.socket()
    a.connect((V4, port))
    b = closer.socket()
    b.connect((V4, port))
    ups = {expectCommUp(srv).assocId for _ in range(2)}
    # Find a's association on the server: the one whose peer is a.
    aAssoc = next(i for i in ups if srv.getPeerAddresses(i) == [a.getsockname()])
    bAssoc = (ups - {aAssoc}).pop()

    # Messages queued on the server before the peeloff...
    a.sendMessage(b"queued 1", 1, 11)
    a.sendMessage(b"queued 2", 2, 22)
    b.sendMessage(b"for the server", 3, 33)
    assert waitReadable(srv)
    expectedFd = fdCount()

    peeled = srv.peeloff(aAssoc)
    try:
        assert fdCount() == expectedFd + 1
        setTimeouts(peeled)
        assert peeled.getblocking()
        assert peeled.peeledOff
        assert peeled.family == socket.AF_INET
        # ...arrive on the new socket, with their receive info.
        m1 = receiveData(peeled)
        m2 = receiveData(peeled)
        assert (m1.data, m1.info.stream, m1.info.ppid, m1.info.assocId) == (b"queued 1", 1, 11, aAssoc)
        assert (m2.data, m2.info.stream, m2.info.ppid) == (b"queued 2", 2, 22)
        # The server keeps the other association and its messages.
        m = receiveData(srv)
        assert (m.data, m.info.assocId) == (b"for the server", bAssoc)
        assert srv.getAssocIds() == [bAssoc]

        # Options and subscriptions carried over.
        assert peeled.getRTOInfo(0) == srv.getRTOInfo(bAssoc)
        assert peeled.getRTOInfo().min == 60
        assert peeled.getDelayedSack().freq == 1
        assert peeled.getNodelay() == srv.getNodelay()
        assert peeled.isSubscribed(NotificationType.SENDER_DRY_EVENT)
        assert peeled.getIntOption("recvRcvInfo") == 1
        assert peeled.getPeerAddresses() == [a.getsockname()]
        status = peeled.getStatus()
        assert status.assocId == aAssoc and status.outStreams == 10

        # Traffic both ways on the peeled socket; new messages, new
        # notifications.
        peeled.sendMessage(b"from peeled", 4, 44)
        m = receiveData(a)
        assert (m.data, m.info.stream, m.info.ppid) == (b"from peeled", 4, 44)
        expectNotification(peeled, SenderDry)
        a.sendMessage(b"after", 5, 55)
        m = receiveData(peeled)
        assert (m.data, m.info.stream, m.info.ppid, m.info.assocId) == (b"after", 5, 55, aAssoc)
        a.shutdown(socket.SHUT_WR)
        expectNotification(peeled, Shutdown)
        comp = expectNotification(peeled, AssociationChange,
                                  lambda n: n.state == AssociationState.SHUTDOWN_COMP)
        assert comp.assocId == aAssoc
    finally:
        peeled.close()
    assert fdCount() == expectedFd
    assert peeled.closed


def test_peeloffNoFdLeak(closer):
    """
    Many peel-offs, each closed: the process's descriptor count comes back
    to where it was.
    """
    srv, port = listener(closer, style=ONE_TO_MANY)
    cli = closer.socket(style=ONE_TO_MANY)
    before = fdCount()
    for _i in range(15):
        assocId = cli.connectx((V4, port))
        up = expectCommUp(srv)
        p = srv.peeloff(up.assocId, blocking=False)
        assert not p.getblocking()
        p.close()
        expectNotification(cli, AssociationChange,
                           lambda n, assocId=assocId: n.assocId == assocId and n.state != AssociationState.COMM_UP)
    assert fdCount() == before
    assert srv.getAssocIds() == []


def test_peeloffNonBlockingAndCloexec(closer):
    import fcntl

    cli, srv, ca, sa = oneToManyPair(closer)
    p = closer.add(srv.peeloff(sa, blocking=False))
    assert not p.getblocking()
    assert fcntl.fcntl(p.fileno(), fcntl.F_GETFD) & fcntl.FD_CLOEXEC
    with pytest.raises(BlockingIOError):
        p.receive()
    cli.sendMessage(b"x", assocId=ca)
    assert waitReadable(p)
    assert p.receive().data == b"x"

    cli2, srv2, ca2, sa2 = oneToManyPair(closer)
    p2 = closer.add(srv2.peeloff(sa2, cloexec=False))
    assert not fcntl.fcntl(p2.fileno(), fcntl.F_GETFD) & fcntl.FD_CLOEXEC


def test_peeledSocketAbortsAndShutsDown(closer):
    """
    A peeled-off socket takes SCTP_EOF and SCTP_ABORT in sendMessage (it is
    not a TCP-style socket), unlike a one-to-one socket.
    """
    cli, srv, ca, sa = oneToManyPair(closer)
    p = closer.add(srv.peeloff(sa))
    setTimeouts(p)
    p.sendMessage(b"closing", 1, 1, eof=True)
    assert receiveData(cli).data == b"closing"
    expectNotification(cli, AssociationChange, lambda n: n.state == AssociationState.SHUTDOWN_COMP)

    cli, srv, ca, sa = oneToManyPair(closer)
    p = closer.add(srv.peeloff(sa))
    p.sendMessage(b"bye", abort=True)
    lost = expectNotification(cli, AssociationChange, lambda n: n.state == AssociationState.COMM_LOST)
    assert lost.abortCauses == ((12, b"bye"),)


def test_peeloffErrors(closer):
    cli, srv, ca, sa = oneToManyPair(closer)
    one, acc, lst = oneToOnePair(closer)
    before = fdCount()
    with pytest.raises(OSError) as e:
        srv.peeloff(sa + 1000)
    assert e.value.errno == errno.EINVAL
    assert f"assocId={sa + 1000}" in str(e.value)
    with pytest.raises(TypeError):
        srv.peeloff("1")
    with pytest.raises(ValueError):
        srv.peeloff(1 << 40)
    with pytest.raises(OSError) as e:
        one.peeloff(0)
    assert "peeloff" in str(e.value)
    assert fdCount() == before
