"""
Every socket option the socket layer offers, set and read back on real
sockets (socket-wide defaults and per association), with its effect where
one can be seen quickly: INIT parameters, events, RTO, association and path
parameters, thresholds, primary paths, status, buffer sizes, SACK, PR-SCTP,
SCTP-AUTH, stream reconfiguration, supported-extension flags, statistics.
"""

from __future__ import annotations

import errno

import pytest

from _sockethelpers import (  # noqa: F401 (closer is a fixture)
    V4,
    V4B,
    closer,
    drainNotifications,
    expectCommUp,
    expectNotification,
    listener,
    makeSocket,
    oneToManyPair,
    oneToOnePair,
    readSysctl,
    receiveData,
    requiresSCTP,
    setTimeouts,
    sysctl,
    waitReadable,
)
from txsctp._sctp_cffi import lib
from txsctp.notifications import (
    AssociationReset,
    AuthenticationEvent,
    NotificationType,
    PeerAddressChange,
    PeerAddressState,
    StreamChange,
    StreamReset,
)
from txsctp.options import (
    HB_DISABLE,
    HB_ENABLE,
    AssocParams,
    AssocState,
    DefaultPRInfo,
    DefaultSendInfo,
    DelayedSack,
    InitMsg,
    PRPolicy,
    PathState,
    PeerAddrParams,
    PeerAddrThresholds,
    RTOInfo,
    Tuning,
)
from txsctp.sctpsocket import ALL_ASSOC, CURRENT_ASSOC, DEFAULT_EVENTS, FUTURE_ASSOC, ONE_TO_MANY

pytestmark = requiresSCTP


def test_initMsg(closer):
    s = closer.socket()
    s.setInitMsg(InitMsg(numOutStreams=5, maxInStreams=6, maxAttempts=3, maxInitTimeout=1000))
    assert s.getInitMsg() == InitMsg(5, 6, 3, 1000)
    # Zero fields keep the current values.
    s.setInitMsg(InitMsg(numOutStreams=7))
    assert s.getInitMsg() == InitMsg(7, 6, 3, 1000)
    t = closer.add(makeSocket(initMsg=InitMsg(numOutStreams=2, maxInStreams=2)))
    assert t.getInitMsg().numOutStreams == 2


def test_eventsSubscribeAndIsSubscribed(closer):
    s = closer.socket()
    for event in NotificationType:
        assert s.isSubscribed(event) == (event in DEFAULT_EVENTS), event
    assert set(s.events) == set(DEFAULT_EVENTS)
    everything = list(NotificationType)
    s.subscribe(everything, on=False)
    assert not any(s.isSubscribed(e) for e in everything)
    assert s.events == ()
    s.subscribe([NotificationType.SENDER_DRY_EVENT, NotificationType.SHUTDOWN_EVENT])
    assert [e for e in everything if s.isSubscribed(e)] == [
        NotificationType.SHUTDOWN_EVENT, NotificationType.SENDER_DRY_EVENT]
    assert set(s.events) == {NotificationType.SENDER_DRY_EVENT, NotificationType.SHUTDOWN_EVENT}
    with pytest.raises(ValueError, match="unknown notification type 1"):
        s.subscribe([1])


def test_eventsPerAssociation(closer):
    srv, port = listener(closer, style=ONE_TO_MANY)
    a = closer.socket()
    a.connect((V4, port))
    b = closer.socket()
    b.connect((V4, port))
    ids = sorted(expectCommUp(srv).assocId for _ in range(2))
    assert sorted(srv.getAssocIds()) == ids
    assert srv.getIntOption("assocNumber") == 2
    srv.subscribe([NotificationType.SENDER_DRY_EVENT], assocId=ids[0])
    assert srv.isSubscribed(NotificationType.SENDER_DRY_EVENT, ids[0])
    assert not srv.isSubscribed(NotificationType.SENDER_DRY_EVENT, ids[1])
    assert not srv.isSubscribed(NotificationType.SENDER_DRY_EVENT)


def test_nodelay(closer):
    s = closer.socket()
    assert s.getNodelay()
    s.setNodelay(False)
    assert not s.getNodelay() and s.getIntOption("nodelay") == 0
    s.setNodelay(True)
    assert s.getNodelay()
    raw = SCTPSocketNoTuning()
    closer.add(raw)
    assert not raw.getNodelay()


def SCTPSocketNoTuning():
    from txsctp.sctpsocket import SCTPSocket

    return SCTPSocket(tuning=None)


def test_rtoInfo(closer):
    s = closer.socket()
    s.setRTOInfo(RTOInfo(initial=300, max=900, min=100))
    assert s.getRTOInfo() == RTOInfo(300, 900, 100)
    s.setRTOInfo(RTOInfo(max=1000))
    assert s.getRTOInfo() == RTOInfo(300, 1000, 100)
    cli, acc, srv = oneToOnePair(closer)
    cli.setRTOInfo(RTOInfo(initial=250, max=800, min=120), assocId=0)
    assert cli.getRTOInfo(0) == RTOInfo(250, 800, 120)
    with pytest.raises(OSError) as e:
        s.setRTOInfo(RTOInfo(initial=100, max=50, min=200))
    assert e.value.errno == errno.EINVAL and "SCTP_RTOINFO" in str(e.value)


def test_assocParams(closer):
    cli, acc, srv = oneToOnePair(closer)
    cli.setAssocParams(AssocParams(maxRetrans=6, cookieLife=5000))
    future = cli.getAssocParams()
    assert (future.maxRetrans, future.cookieLife) == (6, 5000)
    cli.setAssocParams(AssocParams(maxRetrans=4), assocId=0)
    current = cli.getAssocParams(0)
    assert current.maxRetrans == 4
    assert current.numberPeerDestinations == 1
    assert current.peerRwnd > 0 and current.localRwnd > 0


def test_peerAddrParams(closer):
    s = closer.socket()
    s.setPeerAddrParams(PeerAddrParams(hbInterval=1500, pathMaxRetrans=3, flags=HB_ENABLE))
    p = s.getPeerAddrParams()
    assert (p.address, p.hbInterval, p.pathMaxRetrans) == (None, 1500, 3)
    assert p.flags & HB_ENABLE
    cli, acc, srv = oneToOnePair(closer)
    peer = cli.getpeername()
    cli.setPeerAddrParams(PeerAddrParams(address=peer, hbInterval=700, pathMaxRetrans=2, flags=HB_ENABLE),
                          assocId=0)
    p = cli.getPeerAddrParams(peer, assocId=0)
    assert (p.address, p.hbInterval, p.pathMaxRetrans) == (peer, 700, 2)
    assert p.pathMtu > 0
    cli.setPeerAddrParams(PeerAddrParams(address=peer, flags=HB_DISABLE), assocId=0)
    assert cli.getPeerAddrParams(peer, 0).flags & HB_DISABLE
    with pytest.raises(ValueError, match="spp_pathmaxrxt"):
        s.setPeerAddrParams(PeerAddrParams(pathMaxRetrans=70000))


def test_peerAddrThresholds(closer):
    s = closer.socket()
    s.setPeerAddrThresholds(PeerAddrThresholds(pathMaxRetrans=4, pathPfThreshold=2))
    t = s.getPeerAddrThresholds()
    assert (t.pathMaxRetrans, t.pathPfThreshold) == (4, 2)
    cli, acc, srv = oneToOnePair(closer)
    peer = cli.getpeername()
    cli.setPeerAddrThresholds(PeerAddrThresholds(address=peer, pathMaxRetrans=5, pathPfThreshold=1),
                              assocId=0)
    t = cli.getPeerAddrThresholds(peer, 0)
    assert (t.address, t.pathMaxRetrans, t.pathPfThreshold) == (peer, 5, 1)
    with pytest.raises(ValueError, match="out of range"):
        cli.setPeerAddrThresholds(PeerAddrThresholds(pathMaxRetrans=70000))


def test_primaryAddress(closer):
    srv = closer.socket()
    srv.bindx([V4, V4B], 0)
    srv.listen()
    port = srv.getsockname()[1]
    cli = closer.socket()
    cli.connectx([V4, V4B], port)
    assert cli.getPrimaryAddress() == (V4, port)
    cli.setPrimaryAddress((V4B, port))
    assert cli.getPrimaryAddress() == (V4B, port)
    assert cli.getStatus().primary.address == (V4B, port)
    with pytest.raises(OSError) as e:
        cli.setPrimaryAddress(("127.0.0.3", port))
    assert e.value.errno == errno.EINVAL


def test_requestPeerPrimaryWithoutAsconf(closer):
    cli, acc, srv = oneToOnePair(closer)
    if cli.getAssocValue("asconfSupported", 0):
        pytest.skip("ASCONF is on for every association here (net.sctp.addip_enable)")
    with pytest.raises(PermissionError) as e:
        cli.requestPeerPrimary(cli.getsockname())
    text = str(e.value)
    assert "SCTP_SET_PEER_PRIMARY_ADDR" in text
    assert "ASCONF" in text and "asconfSupported" in text


def test_requestPeerPrimaryWithAsconf(closer):
    """
    With ASCONF (and AUTH, which it needs) on both ends, asking the peer to
    make our second address its primary works: the peer sees MADE_PRIM.
    """
    def asconf(s):
        s.setAssocValue("authSupported", 1)
        s.setAssocValue("asconfSupported", 1)

    srv = closer.socket()
    asconf(srv)
    srv.bindx([V4, V4B], 0)
    srv.listen()
    cli = closer.socket()
    asconf(cli)
    cli.bindx([V4, V4B], 0)
    myPort = cli.getsockname()[1]
    cli.connect((V4, srv.getsockname()[1]))
    acc, _ = srv.accept()
    closer.add(acc)
    setTimeouts(acc)
    assert cli.getAssocValue("asconfSupported", 0) == 1
    cli.requestPeerPrimary((V4B, myPort))
    n = expectNotification(acc, PeerAddressChange, lambda n: n.state == PeerAddressState.MADE_PRIM)
    assert n.address == (V4B, myPort)
    assert acc.getPrimaryAddress() == (V4B, myPort)


def test_statusAndPeerAddrInfo(closer):
    cli, acc, srv = oneToOnePair(closer, clientKw=dict(initMsg=InitMsg(numOutStreams=4, maxInStreams=6)))
    st = cli.getStatus()
    assert st.state == AssocState.ESTABLISHED
    assert (st.outStreams, st.inStreams) == (4, 6)
    assert st.rwnd > 0 and st.fragmentationPoint > 0
    assert st.unackData == 0 and st.pendData == 0
    peer = cli.getpeername()
    assert st.primary.address == peer
    info = cli.getPeerAddrInfo(peer)
    assert info.address == peer
    assert info.state == PathState.ACTIVE
    assert info.cwnd > 0 and info.mtu > 0
    assert 100 <= info.rto <= 400  # within the test sockets' RTO bounds
    with pytest.raises(OSError):
        cli.getPeerAddrInfo(("127.0.0.9", 1))


def test_autoclose(closer):
    s = closer.socket(style=ONE_TO_MANY)
    assert s.getAutoclose() == 0
    s.setAutoclose(7)
    assert s.getAutoclose() == 7
    one = closer.socket()
    with pytest.raises(OSError) as e:
        one.setAutoclose(5)
    assert e.value.errno == errno.EOPNOTSUPP
    assert "only one-to-many sockets" in str(e.value)
    with pytest.raises(ValueError):
        s.setAutoclose(-1)


def test_maxseg(closer):
    s = closer.socket()
    s.setMaxseg(1200)
    assert s.getMaxseg() == 1200
    cli, acc, srv = oneToOnePair(closer, clientKw=dict(tuning=Tuning(sendBufferSize=None,
                                                                      receiveBufferSize=None)))
    cli.setMaxseg(1000, assocId=0)
    assert cli.getMaxseg(0) <= 1000
    assert cli.getStatus().fragmentationPoint <= 1000
    payload = bytes(range(256)) * 40
    cli.sendMessage(payload)
    assert receiveData(acc).data == payload


def test_defaultSendInfoHostOrderPpid(closer):
    """
    SCTP_DEFAULT_SNDINFO takes and returns the PPID in host order, and a
    message sent without per-message information (a plain send() on the
    descriptor) goes out with those defaults: PPID 46 arrives as 46.
    """
    cli, acc, srv = oneToOnePair(closer)
    cli.setDefaultSendInfo(DefaultSendInfo(stream=2, flags=0, ppid=46, context=9), assocId=0)
    assert cli.getDefaultSendInfo(0) == DefaultSendInfo(2, 0, 46, 9)
    cli._sock.send(b"default")
    m = receiveData(acc)
    assert (m.data, m.info.stream, m.info.ppid) == (b"default", 2, 46)
    s = closer.socket()
    s.setDefaultSendInfo(DefaultSendInfo(stream=1, ppid=0xFFFFFFFE, flags=lib.SCTP_UNORDERED))
    assert s.getDefaultSendInfo() == DefaultSendInfo(1, lib.SCTP_UNORDERED, 0xFFFFFFFE, 0)
    with pytest.raises(ValueError):
        s.setDefaultSendInfo(DefaultSendInfo(ppid=1 << 32))


def test_defaultPRInfo(closer):
    s = closer.socket()
    assert s.getDefaultPRInfo() == DefaultPRInfo(PRPolicy.NONE, 0)
    s.setDefaultPRInfo(DefaultPRInfo(PRPolicy.TTL, 500))
    assert s.getDefaultPRInfo() == DefaultPRInfo(PRPolicy.TTL, 500)
    cli, srv, ca, sa = oneToManyPair(closer)
    cli.setDefaultPRInfo(DefaultPRInfo(PRPolicy.RTX, 3), assocId=ca)
    assert cli.getDefaultPRInfo(ca) == DefaultPRInfo(PRPolicy.RTX, 3)
    with pytest.raises(ValueError, match="PRPolicy"):
        s.setDefaultPRInfo(DefaultPRInfo(7, 1))


def test_prPoliciesPerMessage(closer):
    """
    Messages sent with each PR-SCTP policy are delivered normally when
    nothing is lost.
    """
    cli, acc, srv = oneToOnePair(closer)
    assert cli.getAssocValue("prSupported", 0) == 1
    cli.sendMessage(b"ttl", ttl=10_000)
    cli.sendMessage(b"rtx", prPolicy=PRPolicy.RTX, prValue=2)
    cli.sendMessage(b"prio", prPolicy=PRPolicy.PRIO, prValue=5)
    assert [receiveData(acc).data for _ in range(3)] == [b"ttl", b"rtx", b"prio"]
    with pytest.raises(ValueError, match="PRPolicy"):
        cli.sendMessage(b"x", prPolicy=0x70)


def test_fragmentInterleave(closer):
    s = closer.socket()
    for level, readBack in [(1, 1), (0, 0), (2, 1)]:
        # Linux keeps only on/off: level 2 reads back as 1.
        s.setFragmentInterleave(level)
        assert s.getFragmentInterleave() == readBack
    with pytest.raises(ValueError):
        s.setFragmentInterleave(3)


def test_partialDeliveryPoint(closer):
    s = closer.socket()
    s.setPartialDeliveryPoint(4096)
    assert s.getPartialDeliveryPoint() == 4096


def test_delayedSack(closer):
    s = closer.socket()
    s.setDelayedSack(DelayedSack(delay=100, freq=2))
    assert s.getDelayedSack() == DelayedSack(100, 2)
    cli, acc, srv = oneToOnePair(closer)
    cli.setDelayedSack(DelayedSack(delay=40, freq=3), assocId=0)
    assert cli.getDelayedSack(0) == DelayedSack(40, 3)
    # freq 1 turns delaying off; Linux then reports delay 0.
    cli.setDelayedSack(DelayedSack(delay=40, freq=1), assocId=0)
    assert cli.getDelayedSack(0) == DelayedSack(0, 1)
    with pytest.raises(ValueError):
        s.setDelayedSack(DelayedSack(delay=600, freq=2))


def test_bufferSizes(closer):
    s = closer.add(SCTPSocketNoTuning())
    s.setSendBufferSize(50_000)
    s.setReceiveBufferSize(60_000)
    # The kernel doubles what it is given (its bookkeeping overhead).
    assert s.getSendBufferSize() == 100_000
    assert s.getReceiveBufferSize() == 120_000
    with pytest.raises(ValueError):
        s.setSendBufferSize(-1)


def test_applyTuning(closer):
    s = closer.add(SCTPSocketNoTuning())
    s.applyTuning(Tuning(nodelay=True, sendBufferSize=40_000, receiveBufferSize=30_000,
                         sackFrequency=2, sackDelay=50))
    assert s.getNodelay()
    assert s.getSendBufferSize() == 80_000 and s.getReceiveBufferSize() == 60_000
    assert s.getDelayedSack() == DelayedSack(50, 2)
    s.applyTuning(Tuning(nodelay=False, sendBufferSize=None, receiveBufferSize=None, sackFrequency=1))
    assert not s.getNodelay()
    assert s.getDelayedSack() == DelayedSack(0, 1)
    # Only the delay given: the delay is back on and the frequency set
    # earlier (2) is kept.
    s.applyTuning(Tuning(nodelay=False, sendBufferSize=None, receiveBufferSize=None, sackDelay=100))
    assert s.getDelayedSack() == DelayedSack(100, 2)


def _optionsOf(sock):
    """
    What a new socket's setup decides, read back from the kernel.
    """
    return (
        sock.getNodelay(), sock.getSendBufferSize(), sock.getReceiveBufferSize(),
        sock.getDelayedSack(), sock.getInitMsg(), sock.getIntOption("recvRcvInfo"),
        tuple(e for e in NotificationType if sock.isSubscribed(e)), sock.events,
    )


def test_newSocketsWithTheSameSettingsGetTheSameOptions(closer):
    """
    A socket made with settings seen before has its options written from
    the record of the first one: read back from the kernel, they are the
    same as the first socket's, for each of several settings in turn.
    """
    from txsctp.sctpsocket import SCTPSocket

    settings = [
        dict(tuning=Tuning(nodelay=True, sendBufferSize=40_000, receiveBufferSize=30_000,
                           sackFrequency=1, sackDelay=50),
             initMsg=InitMsg(numOutStreams=7, maxInStreams=9)),
        dict(tuning=Tuning(nodelay=False, sendBufferSize=None, receiveBufferSize=50_000),
             events=[NotificationType.SHUTDOWN_EVENT, NotificationType.SENDER_DRY_EVENT]),
        dict(tuning=None, events=()),
    ]
    for kw in settings:
        first = closer.add(SCTPSocket(**kw))
        again = closer.add(SCTPSocket(**kw))
        expected = _optionsOf(first)
        assert _optionsOf(again) == expected, kw
    tuned = _optionsOf(closer.add(SCTPSocket(**settings[0])))
    assert tuned[:4] == (True, 80_000, 60_000, DelayedSack(0, 1))
    assert (tuned[4].numOutStreams, tuned[4].maxInStreams) == (7, 9)
    assert tuned[6] == tuple(e for e in NotificationType if e in DEFAULT_EVENTS)
    other = _optionsOf(closer.add(SCTPSocket(**settings[1])))
    assert other[0] is False and other[2] == 100_000
    assert other[6] == (NotificationType.SHUTDOWN_EVENT, NotificationType.SENDER_DRY_EVENT)
    assert _optionsOf(closer.add(SCTPSocket(tuning=None, events=())))[6] == ()


def test_badSettingsRaiseForEverySocket(closer):
    """
    Settings that fail their checks raise on every socket made with them,
    not only the first (nothing is recorded from a failed setup).
    """
    from txsctp.sctpsocket import SCTPSocket

    bad = Tuning(sendBufferSize=-1)
    for _ in range(2):
        with pytest.raises(ValueError, match="sendBufferSize -1 is out of range"):
            SCTPSocket(tuning=bad)
    with pytest.raises(ValueError, match="unknown notification type 1"):
        SCTPSocket(events=[1])
    with pytest.raises(ValueError, match="unknown notification type 1"):
        SCTPSocket(events=[1])


def test_recordedOptionErrorsNameTheOption(closer):
    """
    A recorded option the kernel refuses on replay raises the mapped
    OSError naming that option: the first one on a closed socket, the
    second when only that one is refused.
    """
    from txsctp.sctpsocket import _packRecipe

    nodelay = (lib.SOL_SCTP, lib.SCTP_NODELAY, b"\x01\x00\x00\x00", "SCTP option nodelay")
    # Too short for struct sctp_sack_info: EINVAL.
    sack = (lib.SOL_SCTP, lib.SCTP_DELAYED_SACK, b"\x01\x00", "SCTP_DELAYED_SACK")
    s = closer.socket()
    s._replay(_packRecipe([nodelay]))
    assert s.getIntOption("nodelay") == 1
    with pytest.raises(OSError) as info:
        s._replay(_packRecipe([nodelay, sack]))
    assert info.value.errno == errno.EINVAL
    assert "SCTP_DELAYED_SACK" in str(info.value)
    s.close()
    with pytest.raises(OSError) as info:
        s._replay(_packRecipe([nodelay, sack]))
    assert info.value.errno == errno.EBADF
    assert "SCTP option nodelay" in str(info.value)


def test_intOptions(closer):
    s = closer.socket()
    for name, value, readBack in [
        ("disableFragments", 1, 1), ("disableFragments", 0, 0),
        ("mappedV4", 0, 0), ("mappedV4", 1, 1),
        ("recvNxtInfo", 1, 1), ("reusePort", 1, 1), ("recvRcvInfo", 1, 1),
    ]:
        s.setIntOption(name, value)
        assert s.getIntOption(name) == readBack, name


def test_sendmsgConnect(closer):
    s = closer.socket()
    try:
        s.setIntOption("sendmsgConnect", 1)
    except OSError as e:
        assert e.errno == errno.ENOPROTOOPT
        assert "does not implement SCTP_SENDMSG_CONNECT" in str(e)
        pytest.skip("kernel lacks SCTP_SENDMSG_CONNECT (ENOPROTOOPT): Linux defines it but does not implement it")
    assert s.getIntOption("sendmsgConnect") == 1


def test_autoAsconf(closer):
    s = closer.socket()
    s.bind(("", 0))
    s.setIntOption("autoAsconf", 1)
    assert s.getIntOption("autoAsconf") == 1
    t = closer.socket()
    t.bind((V4, 0))
    with pytest.raises(OSError) as e:
        t.setIntOption("autoAsconf", 1)
    assert "wildcard" in str(e.value)


def test_disableFragments(closer):
    cli, acc, srv = oneToOnePair(closer)
    cli.setIntOption("disableFragments", 1)
    limit = cli.getStatus().fragmentationPoint
    cli.sendMessage(b"a" * limit)
    assert len(receiveData(acc).data) == limit
    with pytest.raises(OSError) as e:
        cli.sendMessage(b"a" * (limit + 1))
    assert e.value.errno == errno.EMSGSIZE


def test_recvNxtInfo(closer):
    cli, acc, srv = oneToOnePair(closer)
    acc.setIntOption("recvNxtInfo", 1)
    cli.sendMessage(b"one", 1, 1)
    cli.sendMessage(b"second", 2, 46, unordered=True)
    waitReadable(acc)
    # Wait until both are queued: the first then tells about the second.
    cli.subscribe([NotificationType.SENDER_DRY_EVENT])
    first = receiveData(acc)
    if first.nxtInfo is None:
        pytest.fail("no NxtInfo with a second message queued")
    assert first.nxtInfo.stream == 2 and first.nxtInfo.ppid == 46
    assert first.nxtInfo.length == len(b"second")
    assert first.nxtInfo.flags & lib.SCTP_UNORDERED
    assert receiveData(acc).data == b"second"


@pytest.mark.parametrize("name", ["prSupported", "asconfSupported", "authSupported", "ecnSupported",
                                  "reconfigSupported"])
def test_supportedFlags(closer, name):
    s = closer.socket()
    if name == "asconfSupported":
        s.setAssocValue("authSupported", 1)
    for value in (1, 0, 1):
        s.setAssocValue(name, value)
        assert s.getAssocValue(name) == value, name
        assert s.getAssocValue(name, FUTURE_ASSOC) == value


def test_supportedFlagsNegotiated(closer):
    """
    Per association, a flag reads 1 only when both ends support it.
    """
    srv, port = listener(closer)
    srv.setAssocValue("ecnSupported", 0)
    srv.setAssocValue("prSupported", 1)
    cli = closer.socket()
    cli.setAssocValue("prSupported", 1)
    cli.setAssocValue("ecnSupported", 1)
    cli.connect((V4, port))
    assert cli.getAssocValue("prSupported", 0) == 1
    assert cli.getAssocValue("ecnSupported", 0) == 0


def test_otherAssocValues(closer):
    s = closer.socket()
    for name, value in [("maxBurst", 8), ("context", 77), ("streamScheduler", lib.SCTP_SS_PRIO),
                        ("streamScheduler", lib.SCTP_SS_RR), ("exposePotentiallyFailedState", 1),
                        ("enableStreamReset", 3)]:
        s.setAssocValue(name, value)
        assert s.getAssocValue(name) == value, name


def test_interleaving(closer):
    s = closer.socket()
    with pytest.raises(PermissionError) as e:
        if readSysctl("net.sctp.intl_enable") == "1":
            pytest.skip("net.sctp.intl_enable is on here")
        s.setAssocValue("interleavingSupported", 1)
    assert "intl_enable" in str(e.value)
    with sysctl(net__sctp__intl_enable=1):
        t = closer.socket()
        t.setFragmentInterleave(2)
        t.setAssocValue("interleavingSupported", 1)
        assert t.getAssocValue("interleavingSupported") == 1


def test_adaptationLayer(closer):
    s = closer.socket()
    s.setAdaptationLayer(0xFFFFFFFF)
    assert s.getAdaptationLayer() == 0xFFFFFFFF
    with pytest.raises(ValueError):
        s.setAdaptationLayer(1 << 32)


def test_assocStatsCountTraffic(closer):
    cli, acc, srv = oneToOnePair(closer)
    cli.getAssocStats()  # reset maxRto
    before = cli.getAssocStats()
    for i in range(20):
        cli.sendMessage(b"s%d" % i, i % 3, 1, unordered=bool(i % 2))
    for _ in range(20):
        receiveData(acc)
    acc.sendMessage(b"back")
    receiveData(cli)
    after = cli.getAssocStats()
    assert after.opackets >= before.opackets + 1
    assert after.oodchunks >= before.oodchunks + 10
    assert after.ouodchunks >= before.ouodchunks + 10
    assert after.iodchunks >= before.iodchunks + 1
    assert after.ipackets > before.ipackets
    assert after.isacks > before.isacks
    assert after.obsRtoAddress == cli.getpeername()


# -- SCTP-AUTH ----------------------------------------------------------------


def test_authWithoutAuthSupported(closer):
    s = closer.socket()
    if s.getAssocValue("authSupported"):
        pytest.skip("SCTP-AUTH is on by default here (net.sctp.auth_enable)")
    for call in (s.getLocalAuthChunks, lambda: s.addAuthChunk(0), lambda: s.setAuthKey(1, b"k"),
                 s.getActiveKey):
        with pytest.raises(PermissionError) as e:
            call()
        assert "authSupported" in str(e.value) and "net.sctp.auth_enable" in str(e.value)


def authSocket(closer, **kw):
    s = closer.socket(**kw)
    s.setAssocValue("authSupported", 1)
    return s


def test_auth(closer):
    """
    Both ends do SCTP-AUTH, DATA must be authenticated: keys are installed,
    activated, used per message, deactivated (the kernel reports the freed
    key) and deleted.
    """
    srv = authSocket(closer)
    srv.bind((V4, 0))
    srv.addAuthChunk(0)  # DATA
    srv.setHmacIdents([lib.SCTP_AUTH_HMAC_ID_SHA256, lib.SCTP_AUTH_HMAC_ID_SHA1])
    assert 0 in srv.getLocalAuthChunks()
    srv.setAuthKey(1, b"shared secret")
    srv.listen()
    cli = authSocket(closer)
    cli.addAuthChunk(0)
    cli.setAuthKey(1, b"shared secret")
    cli.connect((V4, srv.getsockname()[1]))
    acc, _ = srv.accept()
    closer.add(acc)
    setTimeouts(acc)
    expectCommUp(cli)
    expectCommUp(acc)
    assert cli.getAssocValue("authSupported", 0) == 1
    assert 0 in cli.getPeerAuthChunks(0)
    assert 0 in cli.getLocalAuthChunks(0)
    assert cli.getActiveKey(0) == 0

    cli.sendMessage(b"with the null key")
    assert receiveData(acc).data == b"with the null key"
    cli.setActiveKey(1, assocId=0)
    assert cli.getActiveKey(0) == 1
    cli.sendMessage(b"with key 1")
    skipped = []
    assert receiveData(acc, skipped).data == b"with key 1"
    cli.sendMessage(b"with key 1 again", authKey=1)
    assert receiveData(acc, skipped).data == b"with key 1 again"
    # The receiver is told the sender uses key 1 (Linux says so for every
    # chunk authenticated with a key other than the receiver's active one).
    newKey = [n for n in skipped + drainNotifications(acc) if isinstance(n, AuthenticationEvent)]
    assert newKey
    assert {(n.keyNumber, n.indication) for n in newKey} == {(1, lib.SCTP_AUTH_NEW_KEY)}

    # Key 0 is no longer used: deactivate, get told it is free, delete.
    cli.deactivateKey(0, assocId=0)
    freed = expectNotification(cli, AuthenticationEvent)
    assert (freed.keyNumber, freed.indication) == (0, lib.SCTP_AUTH_FREE_KEY)
    cli.deleteKey(0, assocId=0)
    # The active key cannot be deleted.
    with pytest.raises(OSError) as e:
        cli.deleteKey(1, assocId=0)
    assert e.value.errno == errno.EINVAL
    cli.sendMessage(b"still fine")
    assert receiveData(acc).data == b"still fine"


def test_authKeyFutureAndTypes(closer):
    s = authSocket(closer)
    s.setAuthKey(3, b"k" * 64)
    s.setActiveKey(3)
    assert s.getActiveKey() == 3
    with pytest.raises(TypeError):
        s.setAuthKey(4, "not bytes")
    with pytest.raises(ValueError):
        s.setAuthKey(70000, b"k")
    with pytest.raises(ValueError):
        s.addAuthChunk(256)


def test_authEnabledBySysctl(closer):
    with sysctl(net__sctp__auth_enable=1):
        s = closer.socket()
        assert s.getAssocValue("authSupported") == 1
        s.addAuthChunk(0)
        assert s.getLocalAuthChunks() == [0]


# -- stream reconfiguration (RFC 6525) -----------------------------------------

ALL_RESETS = (lib.SCTP_ENABLE_RESET_STREAM_REQ | lib.SCTP_ENABLE_RESET_ASSOC_REQ
              | lib.SCTP_ENABLE_CHANGE_ASSOC_REQ)


def reconfPair(closer):
    srv, port = listener(closer)
    srv.setAssocValue("reconfigSupported", 1)
    srv.enableStreamReset(ALL_RESETS)
    cli = closer.socket()
    cli.setAssocValue("reconfigSupported", 1)
    cli.enableStreamReset(ALL_RESETS)
    cli.connect((V4, port))
    acc, _ = srv.accept()
    closer.add(acc)
    setTimeouts(acc)
    expectCommUp(cli)
    expectCommUp(acc)
    return cli, acc


def test_streamReconfiguration(closer):
    cli, acc = reconfPair(closer)
    assert cli.getAssocValue("reconfigSupported", 0) == 1
    assert acc.getAssocValue("enableStreamReset", 0) == ALL_RESETS

    cli.sendMessage(b"before", 1, 1)
    assert receiveData(acc).info.ssn == 0
    cli.sendMessage(b"before 2", 1, 1)
    assert receiveData(acc).info.ssn == 1
    cli.resetStreams([1, 2])
    mine = expectNotification(cli, StreamReset)
    assert mine.streams == (1, 2) and mine.outgoing and not mine.denied and not mine.failed
    theirs = expectNotification(acc, StreamReset)
    assert theirs.streams == (1, 2) and theirs.incoming
    cli.sendMessage(b"after", 1, 1)
    assert receiveData(acc).info.ssn == 0  # the stream's sequence restarted

    cli.resetAssociation()
    mine = expectNotification(cli, AssociationReset)
    theirs = expectNotification(acc, AssociationReset)
    assert not mine.denied and not mine.failed
    assert (mine.localTsn, mine.remoteTsn) == (theirs.remoteTsn, theirs.localTsn)

    before = cli.getStatus()
    cli.addStreams(inStreams=2, outStreams=3)
    changes = [expectNotification(cli, StreamChange) for _ in range(2)]
    assert {(c.inboundStreams, c.outboundStreams) for c in changes} == {(0, 3), (2, 0)}
    assert not any(c.denied or c.failed for c in changes)
    after = cli.getStatus()
    assert (after.outStreams, after.inStreams) == (before.outStreams + 3, before.inStreams + 2)
    for _ in range(2):
        expectNotification(acc, StreamChange)
    cli.sendMessage(b"on a new stream", after.outStreams - 1, 5)
    assert receiveData(acc).info.stream == after.outStreams - 1


def test_streamResetDeniedWithoutPeerPermission(closer):
    srv, port = listener(closer)
    srv.setAssocValue("reconfigSupported", 1)
    cli = closer.socket()
    cli.setAssocValue("reconfigSupported", 1)
    cli.enableStreamReset(ALL_RESETS)
    cli.connect((V4, port))
    acc, _ = srv.accept()
    closer.add(acc)
    cli.resetStreams([0])
    n = expectNotification(cli, StreamReset)
    assert n.denied


def test_streamResetUnavailable(closer):
    cli, acc, srv = oneToOnePair(closer)
    if cli.getAssocValue("reconfigSupported", 0):
        pytest.skip("stream reconfiguration is on by default here (net.sctp.reconf_enable)")
    for call in (lambda: cli.resetStreams([1]), cli.resetAssociation, lambda: cli.addStreams(1, 1)):
        with pytest.raises(OSError) as e:
            call()
        assert e.value.errno == errno.ENOPROTOOPT
        assert "reconfigSupported" in str(e.value) and "enableStreamReset" in str(e.value)
    with pytest.raises(ValueError):
        cli.resetStreams([1], incoming=False, outgoing=False)


def test_reconfEnabledBySysctl(closer):
    with sysctl(net__sctp__reconf_enable=1):
        s = closer.socket()
        assert s.getAssocValue("reconfigSupported") == 1


def test_assocIdsOnOneToMany(closer):
    srv, port = listener(closer, style=ONE_TO_MANY)
    assert srv.getAssocIds() == []
    assert srv.getIntOption("assocNumber") == 0
    clients = [closer.socket(style=ONE_TO_MANY) for _ in range(3)]
    for c in clients:
        c.connectx((V4, port))
    ids = sorted(expectCommUp(srv).assocId for _ in clients)
    assert sorted(srv.getAssocIds()) == ids
    assert srv.getIntOption("assocNumber") == 3
    one = closer.socket()
    with pytest.raises(OSError) as e:
        one.getAssocIds()
    assert e.value.errno == errno.EOPNOTSUPP and "only one-to-many" in str(e.value)


def test_specialAssocIds(closer):
    """
    SCTP_CURRENT_ASSOC / SCTP_ALL_ASSOC apply a setting to existing
    associations (and, for ALL, future ones too).  (Per-association times
    are kept in jiffies: multiples of 10 ms read back exactly at HZ=100.)
    """
    cli, srv, ca, sa = oneToManyPair(closer)
    srv.setDelayedSack(DelayedSack(delay=70, freq=2), assocId=CURRENT_ASSOC)
    assert srv.getDelayedSack(sa) == DelayedSack(70, 2)
    srv.setDelayedSack(DelayedSack(delay=90, freq=2), assocId=ALL_ASSOC)
    assert srv.getDelayedSack(sa) == DelayedSack(90, 2)
    assert srv.getDelayedSack() == DelayedSack(90, 2)


def test_acceptedAndPeeledSocketsInheritOptions(closer):
    """
    What the kernel copies to an accepted or peeled-off socket: buffer
    sizes, timeouts, maxseg, INIT parameters, adaptation layer, partial
    delivery point, fragment interleave, nodelay, RTO, delayed SACK, event
    subscriptions and RCVINFO.  (The transport relies on this instead of
    applying its settings again.)
    """
    def configure(s):
        s.setSendBufferSize(30_000)
        s.setReceiveBufferSize(40_000)
        s.setMaxseg(1000)
        s.setInitMsg(InitMsg(3, 3))
        s.setAdaptationLayer(7)
        s.setPartialDeliveryPoint(5000)
        s.setFragmentInterleave(1)
        s.setRTOInfo(RTOInfo(initial=300, max=600, min=150))
        s.setDelayedSack(DelayedSack(delay=60, freq=2))
        s.setNodelay(False)
        s.subscribe([NotificationType.SENDER_DRY_EVENT])

    def snapshot(s, assocId):
        return (s.getSendBufferSize(), s.getReceiveBufferSize(), s.getMaxseg(assocId), s.getInitMsg(),
                s.getAdaptationLayer(), s.getPartialDeliveryPoint(), s.getFragmentInterleave(),
                s.getRTOInfo(assocId), s.getDelayedSack(assocId), s.getNodelay(),
                s.isSubscribed(NotificationType.SENDER_DRY_EVENT),
                s.isSubscribed(NotificationType.ASSOC_CHANGE), s.getIntOption("recvRcvInfo"))

    expected = (60_000, 80_000, 1000, InitMsg(3, 3, 8, 60000), 7, 5000, 1, RTOInfo(300, 600, 150),
                DelayedSack(60, 2), False, True, True, 1)
    srv = closer.socket()
    configure(srv)
    srv.bind((V4, 0))
    srv.listen()
    cli = closer.socket()
    cli.connect((V4, srv.getsockname()[1]))
    acc, _ = srv.accept()
    closer.add(acc)
    assert snapshot(acc, 0) == expected

    many = closer.socket(style=ONE_TO_MANY)
    configure(many)
    many.bind((V4, 0))
    many.listen()
    other = closer.socket(style=ONE_TO_MANY)
    other.connectx((V4, many.getsockname()[1]))
    up = expectCommUp(many)
    peeled = closer.add(many.peeloff(up.assocId))
    assert snapshot(peeled, 0) == expected
