"""
Typed notifications produced by real associations: COMM_UP with the
negotiated stream counts, graceful shutdown (Shutdown, SHUTDOWN_COMP), abort
(COMM_LOST with its cause), peer address changes, sender dry, send failed
(abort with queued data, PR-SCTP TTL expiry), partial delivery aborted,
adaptation indication; subscribing and unsubscribing.
"""

from __future__ import annotations

import select
import socket
import time

import pytest

from _sockethelpers import (  # noqa: F401 (closer is a fixture)
    V4,
    V4B,
    closer,
    expectCommUp,
    expectNotification,
    listener,
    oneToManyPair,
    oneToOnePair,
    receiveAny,
    receiveData,
    requiresSCTP,
    setTimeouts,
)
from txsctp._sctp_cffi import lib
from txsctp.info import Message
from txsctp.notifications import (
    AdaptationIndication,
    AssociationChange,
    AssociationState,
    NotificationType,
    PartialDeliveryEvent,
    PeerAddressChange,
    PeerAddressState,
    SendFailed,
    SenderDry,
    Shutdown,
)
from txsctp.options import HB_DEMAND, HB_ENABLE, AssocState, InitMsg, PathState, PeerAddrParams, Tuning
from txsctp.sctpsocket import DEFAULT_EVENTS, ONE_TO_MANY

pytestmark = requiresSCTP

USER_ABORT = 12  # RFC 9260 error cause "User-Initiated Abort"


def isState(state):
    return lambda n: n.state == state


def test_commUpStreamCounts(closer):
    """
    COMM_UP carries the negotiated stream counts: each direction gets the
    smaller of what the sender asks for and what the receiver accepts.
    """
    cli, acc, srv = oneToOnePair(
        closer,
        serverKw=dict(initMsg=InitMsg(numOutStreams=9, maxInStreams=3)),
        clientKw=dict(initMsg=InitMsg(numOutStreams=5, maxInStreams=7)),
        drainCommUp=False,
    )
    up = expectNotification(cli, AssociationChange, isState(AssociationState.COMM_UP))
    assert (up.outboundStreams, up.inboundStreams) == (3, 7)
    assert up.error == 0
    assert up.assocId == cli.getStatus().assocId
    assert up.type == NotificationType.ASSOC_CHANGE
    up = expectNotification(acc, AssociationChange, isState(AssociationState.COMM_UP))
    assert (up.outboundStreams, up.inboundStreams) == (7, 3)
    status = acc.getStatus()
    assert (status.outStreams, status.inStreams) == (7, 3)
    # States come as the documented enums (the name shows in reprs).
    assert status.state is AssocState.ESTABLISHED
    assert status.primary.state is PathState.ACTIVE


def test_gracefulShutdownOneToOne(closer):
    """
    shutdown(SHUT_WR): the peer gets Shutdown then SHUTDOWN_COMP, the side
    that shut down gets SHUTDOWN_COMP; both then read end of file.
    """
    cli, acc, srv = oneToOnePair(closer)
    assoc = acc.getStatus().assocId
    cli.shutdown(socket.SHUT_WR)
    s = expectNotification(acc, Shutdown)
    assert s.assocId == assoc
    comp = expectNotification(acc, AssociationChange, isState(AssociationState.SHUTDOWN_COMP))
    assert comp.error == 0 and comp.assocId == assoc
    comp = expectNotification(cli, AssociationChange, isState(AssociationState.SHUTDOWN_COMP))
    assert comp.error == 0 and comp.abortCauses == ()
    assert cli.receiveBatch(4) == [] and acc.receiveBatch(4) == []


def test_closeIsGracefulWithNothingUnread(closer):
    cli, acc, srv = oneToOnePair(closer)
    cli.close()
    expectNotification(acc, Shutdown)
    expectNotification(acc, AssociationChange, isState(AssociationState.SHUTDOWN_COMP))


def test_eofOnOneToMany(closer):
    cli, srv, ca, sa = oneToManyPair(closer)
    cli.sendMessage(b"bye", 1, 2, assocId=ca, eof=True)
    m = receiveData(srv)
    assert (m.data, m.info.assocId) == (b"bye", sa)
    s = expectNotification(srv, Shutdown)
    assert s.assocId == sa
    comp = expectNotification(srv, AssociationChange, isState(AssociationState.SHUTDOWN_COMP))
    assert comp.assocId == sa
    comp = expectNotification(cli, AssociationChange, isState(AssociationState.SHUTDOWN_COMP))
    assert comp.assocId == ca
    assert srv.getAssocIds() == []


def test_abortOneToMany(closer):
    """
    sendMessage(abort=True): the peer gets COMM_LOST with the user abort
    cause (host order) and the reason we gave; we get COMM_LOST too.
    """
    cli, srv, ca, sa = oneToManyPair(closer)
    cli.sendMessage(b"going away", abort=True, assocId=ca)
    lost = expectNotification(srv, AssociationChange, isState(AssociationState.COMM_LOST))
    assert lost.assocId == sa
    assert lost.error == USER_ABORT
    assert lost.abortCauses == ((USER_ABORT, b"going away"),)
    assert (lost.outboundStreams, lost.inboundStreams) == (0, 0)
    mine = expectNotification(cli, AssociationChange, isState(AssociationState.COMM_LOST))
    assert mine.assocId == ca
    assert mine.error == USER_ABORT


def test_closeWithUnreadDataAborts(closer):
    """
    Closing a one-to-one socket with data still unread aborts: the peer
    sees COMM_LOST (and ECONNRESET once).
    """
    cli, acc, srv = oneToOnePair(closer)
    acc.sendMessage(b"never read")
    assert select.select([cli.fileno()], [], [], 5)[0]
    cli.close()
    lost = expectNotification(acc, AssociationChange, isState(AssociationState.COMM_LOST))
    assert lost.error == USER_ABORT
    assert [c for c, _ in lost.abortCauses] == [USER_ABORT]


def test_lingerZeroAborts(closer):
    cli, acc, srv = oneToOnePair(closer)
    cli.setLinger(True, 0)
    cli.close()
    lost = expectNotification(acc, AssociationChange, isState(AssociationState.COMM_LOST))
    assert lost.error == USER_ABORT


def test_peerAddressConfirmed(closer):
    """
    A multi-homed server: the client learns its second address from the
    INIT-ACK as unconfirmed; a heartbeat on demand confirms it and a
    PeerAddressChange(CONFIRMED) says so.
    """
    srv = closer.socket()
    srv.bindx([V4, V4B], 0)
    srv.listen()
    port = srv.getsockname()[1]
    cli = closer.socket()
    cli.connect((V4, port))
    assoc = expectCommUp(cli).assocId
    second = (V4B, port)
    assert sorted(cli.getPeerAddresses()) == [(V4, port), second]
    before = cli.getPeerAddrInfo(second)
    skipped = []
    if before.state == PathState.UNCONFIRMED:
        cli.setPeerAddrParams(PeerAddrParams(address=second, flags=HB_DEMAND | HB_ENABLE), assocId=0)
    n = expectNotification(
        cli, PeerAddressChange, lambda n: n.address == second and n.state == PeerAddressState.CONFIRMED,
        skipped=skipped,
    )
    assert n.assocId == assoc
    # spc_error says why: the heartbeat was answered.
    assert n.error == lib.SCTP_HEARTBEAT_SUCCESS
    assert cli.getPeerAddrInfo(second).state == PathState.ACTIVE


def test_peerAddressMadePrimary(closer):
    srv = closer.socket()
    srv.bindx([V4, V4B], 0)
    srv.listen()
    port = srv.getsockname()[1]
    cli = closer.socket()
    cli.connectx([V4, V4B], port)
    expectCommUp(cli)
    cli.setPrimaryAddress((V4B, port))
    n = expectNotification(cli, PeerAddressChange, lambda n: n.state == PeerAddressState.MADE_PRIM)
    assert n.address == (V4B, port)
    assert cli.getPrimaryAddress() == (V4B, port)


def test_senderDry(closer):
    cli, acc, srv = oneToOnePair(closer)
    assert not cli.isSubscribed(NotificationType.SENDER_DRY_EVENT)
    cli.subscribe([NotificationType.SENDER_DRY_EVENT])
    assert cli.isSubscribed(NotificationType.SENDER_DRY_EVENT)
    assert NotificationType.SENDER_DRY_EVENT in cli.events
    # Nothing queued: dry at once.
    dry = expectNotification(cli, SenderDry)
    assert dry.type == NotificationType.SENDER_DRY_EVENT
    cli.sendMessage(b"x" * 10000)
    assert receiveData(acc).data == b"x" * 10000
    expectNotification(cli, SenderDry)
    cli.subscribe([NotificationType.SENDER_DRY_EVENT], on=False)
    assert not cli.isSubscribed(NotificationType.SENDER_DRY_EVENT)
    assert NotificationType.SENDER_DRY_EVENT not in cli.events


def fillPeerWindow(cli, assocId, payload, **kw):
    """
    Send (non-blocking) until the send buffer is full: the peer's tiny
    receive buffer keeps nearly all of it queued here, unsent.
    """
    cli.setblocking(False)
    sent = 0
    try:
        while sent < 10000:
            cli.sendMessage(payload, 1, 99, assocId=assocId, context=sent, **kw)
            sent += 1
    except BlockingIOError:
        pass
    finally:
        setTimeouts(cli)
    assert sent > 10, "the send buffer never filled"
    return sent


TINY_RCVBUF = Tuning(nodelay=True, sendBufferSize=None, receiveBufferSize=1024)


def test_sendFailedOnAbortWithQueuedData(closer):
    """
    Aborting with messages still queued gives one SendFailed per message:
    the payload, stream, PPID and context come back, with the abort cause.
    """
    cli, srv, ca, sa = oneToManyPair(closer, serverKw=dict(tuning=TINY_RCVBUF))
    payload = b"q" * 1000
    sent = fillPeerWindow(cli, ca, payload)
    assert cli.getStatus(ca).rwnd == 0
    cli.sendMessage(b"", abort=True, assocId=ca)
    failed = []
    expectNotification(cli, AssociationChange, isState(AssociationState.COMM_LOST))
    cli.setblocking(False)
    while True:
        try:
            item = cli.receive()
        except (BlockingIOError, OSError):
            break
        if isinstance(item, SendFailed):
            failed.append(item)
    assert len(failed) >= sent - 5
    unsent = [f for f in failed if not f.sent]
    assert unsent
    for f in failed:
        assert f.assocId == ca
        assert f.data == payload
        assert (f.stream, f.ppid) == (1, 99)
        assert f.error == USER_ABORT
        assert f.type == NotificationType.SEND_FAILED_EVENT
    contexts = sorted(f.context for f in failed)
    assert contexts == sorted(set(contexts))
    assert contexts[-1] == sent - 1


def test_sendFailedOnTtlExpiry(closer):
    """
    PR-SCTP: messages with a 1 ms lifetime still queued when it runs out
    are abandoned and come back as SendFailed (unsent, no error cause); the
    receiver gets only the rest.
    """
    cli, srv, ca, sa = oneToManyPair(closer, serverKw=dict(tuning=TINY_RCVBUF))
    if not cli.getAssocValue("prSupported", ca):
        pytest.skip("kernel lacks PR-SCTP (prSupported is 0)")
    payload = b"t" * 1000
    start = time.monotonic()
    sent = fillPeerWindow(cli, ca, payload, ttl=1)
    # Every TTL has run out once 1 ms has passed since the last send.
    while time.monotonic() - start < 0.002:
        pass
    # Reading opens the window: the sender flushes, abandoning the expired.
    srv.setblocking(False)
    received = 0
    failed = []
    deadline = time.monotonic() + 5
    # Every message is either received or comes back, except at most one
    # that was abandoned after it had been sent (the zero-window probe):
    # Linux reports abandoned sent chunks with FORWARD-TSN only.
    while time.monotonic() < deadline and received + len(failed) < sent - 1:
        for sock in select.select([srv.fileno(), cli.fileno()], [], [], 0.5)[0]:
            if sock == srv.fileno():
                try:
                    item = srv.receive()
                except BlockingIOError:
                    continue
                if isinstance(item, Message):
                    received += 1
            else:
                item = receiveAny(cli)
                if isinstance(item, SendFailed):
                    failed.append(item)
    assert failed, f"no SendFailed (received {received} of {sent})"
    for f in failed:
        assert not f.sent
        assert f.error == 0
        assert (f.data, f.stream, f.ppid, f.assocId) == (payload, 1, 99, ca)
    stats = cli.getAssocStats(ca)
    assert stats is not None


def test_partialDeliveryAborted(closer):
    """
    A message being delivered in pieces (partial delivery) whose sender
    aborts: the receiver gets PartialDeliveryEvent(aborted).
    """
    rcv = Tuning(nodelay=True, sendBufferSize=None, receiveBufferSize=32 * 1024)
    cli, srv, ca, sa = oneToManyPair(closer, serverKw=dict(tuning=rcv))
    srv.setPartialDeliveryPoint(2048)
    srv.setReceiveSlotSize(1024)
    cli.sendMessage(b"p" * 150_000, 4, 7, assocId=ca)
    first = srv.receiveMessage()
    while not isinstance(first, Message):
        first = srv.receiveMessage()
    assert not first.complete
    assert first.info.stream == 4
    cli.sendMessage(b"", abort=True, assocId=ca)
    pd = expectNotification(srv, PartialDeliveryEvent)
    assert pd.aborted
    assert pd.assocId == sa
    # Linux fills pdapi_stream/pdapi_seq only with I-DATA (interleaving);
    # with plain DATA they stay 0.
    expectNotification(srv, AssociationChange, isState(AssociationState.COMM_LOST))


def test_adaptationIndication(closer):
    srv, port = listener(closer, style=ONE_TO_MANY)
    srv.setAdaptationLayer(0xC0FFEE)
    assert srv.getAdaptationLayer() == 0xC0FFEE
    cli = closer.socket(style=ONE_TO_MANY)
    ca = cli.connectx((V4, port))
    ind = expectNotification(cli, AdaptationIndication)
    assert ind.adaptationIndication == 0xC0FFEE
    assert ind.assocId == ca


def test_unsubscribedEventsStaySilent(closer):
    """
    Without ASSOC_CHANGE subscribed, no COMM_UP arrives: the first thing
    read is data.
    """
    events = [e for e in DEFAULT_EVENTS if e not in (NotificationType.ASSOC_CHANGE,
                                                      NotificationType.AUTHENTICATION_EVENT)]
    srv, port = listener(closer, events=events)
    assert not srv.isSubscribed(NotificationType.ASSOC_CHANGE)
    assert srv.isSubscribed(NotificationType.SHUTDOWN_EVENT)
    cli = closer.socket()
    cli.connect((V4, port))
    acc, _ = srv.accept()
    closer.add(acc)
    setTimeouts(acc)
    # The accepted socket has the listener's subscriptions.
    assert not acc.isSubscribed(NotificationType.ASSOC_CHANGE)
    cli.sendMessage(b"data first")
    item = receiveAny(acc)
    assert isinstance(item, Message) and item.data == b"data first"


def test_acceptedSocketInheritsSubscriptions(closer):
    srv, port = listener(closer)
    srv.subscribe([NotificationType.SENDER_DRY_EVENT])
    cli = closer.socket()
    cli.connect((V4, port))
    acc, _ = srv.accept()
    closer.add(acc)
    setTimeouts(acc)
    assert acc.isSubscribed(NotificationType.SENDER_DRY_EVENT)
    acc.sendMessage(b"x")
    assert receiveData(cli).data == b"x"
    expectNotification(acc, SenderDry)


def test_cannotStartAssociation(closer):
    """
    INIT to a port nobody listens on: the one-to-many socket gets
    CANT_STR_ASSOC for the association id connectx returned.
    """
    probe = closer.socket()
    probe.bind((V4, 0))
    port = probe.getsockname()[1]
    probe.close()
    cli = closer.socket(style=ONE_TO_MANY)
    cli.setblocking(False)
    assocId = cli.connectx((V4, port))
    setTimeouts(cli)
    n = expectNotification(cli, AssociationChange)
    assert n.state == AssociationState.CANT_STR_ASSOC
    assert n.assocId == assocId
    assert (n.outboundStreams, n.inboundStreams) == (0, 0)


def test_subscriptionFallsBackOnOlderKernels(closer, monkeypatch):
    """
    On a kernel without C{SCTP_EVENT} whose C{struct sctp_event_subscribe}
    is shorter than this header's (simulated: those two calls are refused
    as such a kernel refuses them, everything else reaches the real one),
    a new socket still gets exactly the events asked for: the one-call
    C{SCTP_EVENTS} refused (EINVAL), then each event's C{SCTP_EVENT}
    refused (ENOPROTOOPT), then the legacy structure, shortened until the
    kernel takes it.
    """
    import errno

    from txsctp._sctp_cffi import ffi
    from txsctp.sctpsocket import ONE_TO_ONE, SCTPSocket

    full = ffi.sizeof("struct sctp_event_subscribe")
    real = SCTPSocket._setopt
    refused = []

    def olderKernel(self, opt, value, size, call):
        if opt == lib.SCTP_EVENT:
            refused.append((call, size))
            raise OSError(errno.ENOPROTOOPT, "SCTP_EVENT: simulated older kernel")
        if opt == lib.SCTP_EVENTS and size == full:
            refused.append((call, size))
            raise OSError(errno.EINVAL, "SCTP_EVENTS: simulated shorter structure")
        return real(self, opt, value, size, call)

    monkeypatch.setattr(SCTPSocket, "_setopt", olderKernel)
    wanted = (NotificationType.ASSOC_CHANGE, NotificationType.SHUTDOWN_EVENT)
    s = closer.add(SCTPSocket(socket.AF_INET, ONE_TO_ONE, events=wanted))
    monkeypatch.undo()
    assert ("SCTP_EVENT", ffi.sizeof("struct sctp_event")) in refused
    assert ("SCTP_EVENTS", full) in refused
    assert [e for e in wanted if not s.isSubscribed(e)] == []
    assert [e for e in (NotificationType.PEER_ADDR_CHANGE, NotificationType.SEND_FAILED_EVENT,
                        NotificationType.SENDER_DRY_EVENT) if s.isSubscribed(e)] == []
    assert set(s.events) == set(wanted)
