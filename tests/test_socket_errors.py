"""
Bad input and misuse of the socket layer raise clear errors: unknown option
names, out-of-range values, streams beyond the negotiated count, wrong
types, use after close (every public method), and the "no kernel SCTP"
error.
"""

from __future__ import annotations

import errno
import inspect
import socket

import pytest

from _sockethelpers import (  # noqa: F401 (closer is a fixture)
    V4,
    closer,
    expectCommUp,
    listener,
    makeSocket,
    oneToManyPair,
    oneToOnePair,
    receiveData,
    requiresSCTP,
)
from txsctp import sctpsocket
from txsctp.errors import (
    AddressFamilyError,
    MessageTooLongError,
    SCTPError,
    SCTPNotSupportedError,
    SocketClosedError,
    StreamOutOfRangeError,
    fromErrno,
)
from txsctp.notifications import NotificationType
from txsctp.options import (
    AssocParams,
    DefaultPRInfo,
    DefaultSendInfo,
    DelayedSack,
    InitMsg,
    PeerAddrParams,
    PeerAddrThresholds,
    RTOInfo,
    Tuning,
)
from txsctp.sctpsocket import ONE_TO_MANY, SCTPSocket

# -- the "no kernel SCTP" error (no SCTP needed) -------------------------------


def test_notSupportedErrorNamesTheFix():
    e = SCTPNotSupportedError("socket")
    assert isinstance(e, OSError) and isinstance(e, SCTPError)
    assert e.errno == errno.EPROTONOSUPPORT
    text = str(e)
    assert text.startswith(f"[Errno {errno.EPROTONOSUPPORT}] socket: ")
    assert "modprobe sctp" in text
    assert "linux-modules-extra" in text
    assert "scripts/sctp-run -- <command>" in text
    assert "docs/running-without-sctp.md" in text


def test_fromErrnoProtocolNotSupported():
    e = fromErrno(errno.EPROTONOSUPPORT, "socket")
    assert type(e) is SCTPNotSupportedError
    # Elsewhere EPROTONOSUPPORT is an ordinary error.
    other = fromErrno(errno.EPROTONOSUPPORT, "setsockopt", "X")
    assert type(other) is not SCTPNotSupportedError and other.errno == errno.EPROTONOSUPPORT


def test_fromErrnoPicksSubclasses():
    assert isinstance(fromErrno(errno.ECONNREFUSED, "connect"), ConnectionRefusedError)
    assert isinstance(fromErrno(errno.EAGAIN, "recvmsg"), BlockingIOError)
    e = fromErrno(errno.EMSGSIZE, "sendmsg", "5 bytes")
    assert isinstance(e, MessageTooLongError) and e.errno == errno.EMSGSIZE
    assert str(e) == f"[Errno {errno.EMSGSIZE}] sendmsg(5 bytes): {__import__('os').strerror(errno.EMSGSIZE)}"


@pytest.mark.parametrize("err", [errno.EPROTONOSUPPORT, errno.ESOCKTNOSUPPORT])
def test_socketCreationWithoutKernelSCTP(monkeypatch, err):
    """
    The path a host without SCTP takes (it cannot happen inside the test
    kernel, so socket() is made to fail the way such a kernel fails).
    """
    def noSCTP(*args, **kwargs):
        raise OSError(err, "Protocol not supported")

    monkeypatch.setattr(sctpsocket._stdsocket, "socket", noSCTP)
    with pytest.raises(SCTPNotSupportedError) as e:
        SCTPSocket()
    assert "modprobe sctp" in str(e.value)
    assert e.value.__cause__ is None and e.value.__suppress_context__
    assert not sctpsocket.kernelSupportsSCTP()


def test_socketCreationOtherError(monkeypatch):
    def noFiles(*args, **kwargs):
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(sctpsocket._stdsocket, "socket", noFiles)
    with pytest.raises(OSError) as e:
        SCTPSocket()
    assert e.value.errno == errno.EMFILE
    assert not isinstance(e.value, SCTPNotSupportedError)


def test_streamOutOfRangeErrorText():
    e = StreamOutOfRangeError(10, 10)
    assert str(e) == "stream 10 is beyond the 10 outbound streams negotiated (valid: 0..9)"
    assert isinstance(e, ValueError)
    assert "negotiated outbound stream count" in str(StreamOutOfRangeError(3, None))


def test_badFamilyAndStyle():
    with pytest.raises(AddressFamilyError, match="AF_INET or AF_INET6"):
        SCTPSocket(socket.AF_UNIX)
    with pytest.raises(ValueError, match="'one-to-one' or 'one-to-many'"):
        SCTPSocket(style="many-to-one")


# -- on real sockets ------------------------------------------------------------


@requiresSCTP
@pytest.mark.parametrize("call", [
    lambda s: s.getIntOption("bogus"),
    lambda s: s.setIntOption("bogus", 1),
    lambda s: s.setIntOption("assocNumber", 1),
    lambda s: s.getAssocValue("bogus"),
    lambda s: s.setAssocValue("noSuchOption", 1),
])
def test_unknownOptionName(closer, call):
    s = closer.socket()
    with pytest.raises(ValueError) as e:
        call(s)
    text = str(e.value)
    assert "unknown" in text and "known:" in text
    assert "nodelay" in text or "maxseg" in text


@requiresSCTP
@pytest.mark.parametrize("call", [
    lambda s: s.setIntOption("nodelay", 1 << 40),
    lambda s: s.setAssocValue("maxseg", -1),
    lambda s: s.setAssocValue("context", 1 << 32),
    lambda s: s.getAssocValue("maxseg", 1 << 31),
    lambda s: s.setInitMsg(InitMsg(numOutStreams=70000)),
    lambda s: s.setRTOInfo(RTOInfo(initial=-1)),
    lambda s: s.setAssocParams(AssocParams(maxRetrans=1 << 16)),
    lambda s: s.setDelayedSack(DelayedSack(delay=600, freq=2)),
    lambda s: s.setDelayedSack(DelayedSack(delay=10, freq=-1)),
    lambda s: s.setFragmentInterleave(3),
    lambda s: s.setPartialDeliveryPoint(-5),
    lambda s: s.setPeerAddrParams(PeerAddrParams(hbInterval=-1)),
    lambda s: s.setPeerAddrThresholds(PeerAddrThresholds(pathPfThreshold=1 << 16)),
    lambda s: s.setDefaultPRInfo(DefaultPRInfo(policy=99, value=1)),
    lambda s: s.setDefaultSendInfo(DefaultSendInfo(stream=1 << 16)),
    lambda s: s.setMaxseg(-1),
    lambda s: s.setSendBufferSize(1 << 31),
    lambda s: s.setAdaptationLayer(-1),
    lambda s: s.addAuthChunk(300),
    lambda s: s.setHmacIdents([1 << 16]),
    lambda s: s.setAuthKey(1 << 16, b"k"),
    lambda s: s.setActiveKey(-1),
    lambda s: s.resetStreams([1 << 16]),
    lambda s: s.addStreams(inStreams=1 << 16),
    lambda s: s.subscribe([0x7FFF]),
    lambda s: s.receiveBatch(0),
    lambda s: s.receiveBatch(1000),
    lambda s: s.receive(maxMessageSize=0),
    lambda s: s.setReceiveSlotSize(10),
    lambda s: s.peeloff(1 << 40),
    lambda s: s.bind((V4, 70000)),
    lambda s: s.bindx([V4], -1),
    lambda s: s.bindx([], 0),
    lambda s: s.sendMessage(b"x", 1 << 16),
    lambda s: s.sendMessage(b"x", 0, -1),
    lambda s: s.sendMessage(b"x", 0, 1 << 32),
    lambda s: s.sendMessage(b"x", context=-1),
    lambda s: s.sendMessage(b"x", ttl=-1),
    lambda s: s.sendMessage(b"x", prPolicy=0x70),
    lambda s: s.sendMessage(b"x", assocId=1 << 31),
    lambda s: s.sendMessage(b"x", authKey=1 << 16),
    lambda s: s.sendMessage(b""),
    lambda s: s.setTimeouts(-1),
    lambda s: s.isSubscribed(1 << 20),
    lambda s: s.isSubscribed(NotificationType.ASSOC_CHANGE, 1 << 40),
])
def test_outOfRangeValues(closer, call):
    s = closer.socket(style=ONE_TO_MANY)
    with pytest.raises(ValueError) as e:
        call(s)
    assert str(e.value)


@requiresSCTP
def test_outOfRangeAutoclose(closer):
    s = closer.socket(style=ONE_TO_MANY)
    with pytest.raises(ValueError, match="autoclose -1 is out of range"):
        s.setAutoclose(-1)


@requiresSCTP
@pytest.mark.parametrize("call", [
    lambda s: s.sendMessage("text"),
    lambda s: s.sendMessage(None),
    lambda s: s.sendMessage(b"x", "1"),
    lambda s: s.sendMessage(b"x", 0, 1.5),
    lambda s: s.sendMessage(b"x", assocId="1"),
    lambda s: s.sendMessage(b"x", to="127.0.0.1"),
    lambda s: s.bind("127.0.0.1"),
    lambda s: s.bind((V4, "80")),
    lambda s: s.bind((b"127.0.0.1", 0)),
    lambda s: s.connect([V4, 80]),
    lambda s: s.bindx(42),
    lambda s: s.bindx([42], 5),
    lambda s: s.connectx([1]),
    lambda s: s.connectx(None),
    lambda s: s.setIntOption("nodelay", "1"),
    lambda s: s.setIntOption("nodelay", 1.0),
    lambda s: s.setAssocValue("maxseg", 1.5),
    lambda s: s.getAssocValue("maxseg", "0"),
    lambda s: s.setRTOInfo(RTOInfo(initial="100")),
    lambda s: s.setInitMsg(InitMsg(numOutStreams=None)),
    lambda s: s.setDelayedSack(DelayedSack(delay="1")),
    lambda s: s.subscribe(None),
    lambda s: s.setAuthKey(1, "secret"),
    lambda s: s.peeloff("1"),
    lambda s: s.getPeerAddrInfo("127.0.0.1"),
    lambda s: s.setPrimaryAddress((V4,)),
    lambda s: s.receive(maxMessageSize="big"),
    lambda s: s.setReceiveSlotSize("1"),
    lambda s: s.resetStreams(["a"]),
    lambda s: s.setMaxseg("x"),
    lambda s: s.setAutoclose(1.5),
    lambda s: s.setTimeouts("1"),
    lambda s: s.setTimeouts(send=True),
    lambda s: s.isSubscribed(None),
])
def test_wrongTypes(closer, call):
    s = closer.socket(style=ONE_TO_MANY)
    with pytest.raises(TypeError) as e:
        call(s)
    assert str(e.value)


@requiresSCTP
def test_streamBeyondNegotiatedCount(closer):
    cli, acc, srv = oneToOnePair(closer, clientKw=dict(initMsg=InitMsg(numOutStreams=3)))
    assert cli.getStatus().outStreams == 3
    cli.sendMessage(b"last valid", 2)
    assert receiveData(acc).data == b"last valid"
    for stream in (3, 100, 0xFFFF):
        with pytest.raises(StreamOutOfRangeError) as e:
            cli.sendMessage(b"x", stream)
        err = e.value
        assert (err.stream, err.outboundStreams) == (stream, 3)
        assert f"stream {stream} is beyond the 3 outbound streams negotiated (valid: 0..2)" in str(err)
        assert isinstance(err, ValueError) and isinstance(err, SCTPError)
    with pytest.raises(StreamOutOfRangeError):
        cli.sendBatch([(b"x", 5, 0, 0, 0, 0)])


@requiresSCTP
def test_streamBeyondNegotiatedCountOneToMany(closer):
    cli, srv, ca, sa = oneToManyPair(closer, serverKw=dict(initMsg=InitMsg(maxInStreams=4)))
    with pytest.raises(StreamOutOfRangeError, match="beyond the 4 outbound streams"):
        cli.sendMessage(b"x", 4, assocId=ca)
    cli.sendMessage(b"ok", 3, assocId=ca)
    assert receiveData(srv).info.stream == 3


@requiresSCTP
def test_messageTooLongInBatch(closer):
    from _sockethelpers import sysctl

    with sysctl(net__core__wmem_max=212992):
        cli, acc, srv = oneToOnePair(closer)
        big = b"x" * (cli.getSendBufferSize() + 1)
        with pytest.raises(MessageTooLongError) as e:
            cli.sendBatch([(big, 0, 0, 0, 0, 0), (b"small", 0, 0, 0, 0, 0)])
        assert e.value.errno == errno.EMSGSIZE


@requiresSCTP
def test_eofAndAbortRefusedOnOneToOne(closer):
    cli, acc, srv = oneToOnePair(closer)
    for kw in (dict(abort=True), dict(eof=True)):
        with pytest.raises(OSError) as e:
            cli.sendMessage(b"x", **kw)
        assert e.value.errno == errno.EINVAL
        assert "setLinger(True, 0)" in str(e.value) and "shutdown()" in str(e.value)
    # Nothing was sent or broken.
    cli.sendMessage(b"fine")
    assert receiveData(acc).data == b"fine"


@requiresSCTP
def test_nonBlockingConnectInProgress(closer):
    srv, port = listener(closer)
    cli = closer.socket()
    cli.setblocking(False)
    with pytest.raises(BlockingIOError) as e:
        cli.connect((V4, port))
    assert e.value.errno == errno.EINPROGRESS
    cli.setblocking(True)
    expectCommUp(cli)


# Every public method, with arguments that would be valid on an open
# socket: on a closed one each raises SocketClosedError.
CLOSED_CALLS = {
    "accept": lambda s: s.accept(),
    "addAuthChunk": lambda s: s.addAuthChunk(0),
    "addStreams": lambda s: s.addStreams(1, 1),
    "applyTuning": lambda s: s.applyTuning(Tuning()),
    "bind": lambda s: s.bind((V4, 0)),
    "bindx": lambda s: s.bindx([V4], 0),
    "connect": lambda s: s.connect((V4, 9)),
    "connectx": lambda s: s.connectx([V4], 9),
    "deactivateKey": lambda s: s.deactivateKey(1),
    "deleteKey": lambda s: s.deleteKey(1),
    "enableStreamReset": lambda s: s.enableStreamReset(1),
    "getActiveKey": lambda s: s.getActiveKey(),
    "getAdaptationLayer": lambda s: s.getAdaptationLayer(),
    "getAssocIds": lambda s: s.getAssocIds(),
    "getAssocParams": lambda s: s.getAssocParams(),
    "getAssocStats": lambda s: s.getAssocStats(),
    "getAssocValue": lambda s: s.getAssocValue("maxseg"),
    "getAutoclose": lambda s: s.getAutoclose(),
    "getDefaultPRInfo": lambda s: s.getDefaultPRInfo(),
    "getDefaultSendInfo": lambda s: s.getDefaultSendInfo(),
    "getDelayedSack": lambda s: s.getDelayedSack(),
    "getFragmentInterleave": lambda s: s.getFragmentInterleave(),
    "getInitMsg": lambda s: s.getInitMsg(),
    "getIntOption": lambda s: s.getIntOption("nodelay"),
    "getLocalAddresses": lambda s: s.getLocalAddresses(),
    "getLocalAuthChunks": lambda s: s.getLocalAuthChunks(),
    "getMaxseg": lambda s: s.getMaxseg(),
    "getNodelay": lambda s: s.getNodelay(),
    "getPartialDeliveryPoint": lambda s: s.getPartialDeliveryPoint(),
    "getPeerAddrInfo": lambda s: s.getPeerAddrInfo((V4, 9)),
    "getPeerAddrParams": lambda s: s.getPeerAddrParams(),
    "getPeerAddrThresholds": lambda s: s.getPeerAddrThresholds(),
    "getPeerAddresses": lambda s: s.getPeerAddresses(),
    "getPeerAuthChunks": lambda s: s.getPeerAuthChunks(),
    "getPrimaryAddress": lambda s: s.getPrimaryAddress(),
    "getRemoteUdpEncapsPort": lambda s: s.getRemoteUdpEncapsPort(),
    "getRTOInfo": lambda s: s.getRTOInfo(),
    "getReceiveBufferSize": lambda s: s.getReceiveBufferSize(),
    "getSendBufferSize": lambda s: s.getSendBufferSize(),
    "getStatus": lambda s: s.getStatus(),
    "getblocking": lambda s: s.getblocking(),
    "getpeername": lambda s: s.getpeername(),
    "getsockname": lambda s: s.getsockname(),
    "isSubscribed": lambda s: s.isSubscribed(NotificationType.ASSOC_CHANGE),
    "listen": lambda s: s.listen(),
    "peeloff": lambda s: s.peeloff(1),
    "receive": lambda s: s.receive(),
    "receiveBatch": lambda s: s.receiveBatch(4),
    "receiveMessage": lambda s: s.receiveMessage(),
    "requestPeerPrimary": lambda s: s.requestPeerPrimary((V4, 9)),
    "resetAssociation": lambda s: s.resetAssociation(),
    "resetStreams": lambda s: s.resetStreams([1]),
    "sendBatch": lambda s: s.sendBatch([(b"x", 0, 0, 0, 0, 0)]),
    "sendMessage": lambda s: s.sendMessage(b"x"),
    "setActiveKey": lambda s: s.setActiveKey(1),
    "setAdaptationLayer": lambda s: s.setAdaptationLayer(1),
    "setAssocParams": lambda s: s.setAssocParams(AssocParams(maxRetrans=3)),
    "setAssocValue": lambda s: s.setAssocValue("maxseg", 1000),
    "setAuthKey": lambda s: s.setAuthKey(1, b"k"),
    "setAutoclose": lambda s: s.setAutoclose(1),
    "setDefaultPRInfo": lambda s: s.setDefaultPRInfo(DefaultPRInfo()),
    "setDefaultSendInfo": lambda s: s.setDefaultSendInfo(DefaultSendInfo()),
    "setDelayedSack": lambda s: s.setDelayedSack(DelayedSack(100, 2)),
    "setFragmentInterleave": lambda s: s.setFragmentInterleave(1),
    "setHmacIdents": lambda s: s.setHmacIdents([1]),
    "setInitMsg": lambda s: s.setInitMsg(InitMsg(1)),
    "setIntOption": lambda s: s.setIntOption("nodelay", 1),
    "setLinger": lambda s: s.setLinger(True, 0),
    "setMaxseg": lambda s: s.setMaxseg(1000),
    "setNodelay": lambda s: s.setNodelay(True),
    "setPartialDeliveryPoint": lambda s: s.setPartialDeliveryPoint(100),
    "setPeerAddrParams": lambda s: s.setPeerAddrParams(PeerAddrParams(hbInterval=100)),
    "setPeerAddrThresholds": lambda s: s.setPeerAddrThresholds(PeerAddrThresholds(pathMaxRetrans=3)),
    "setPrimaryAddress": lambda s: s.setPrimaryAddress((V4, 9)),
    "setRemoteUdpEncapsPort": lambda s: s.setRemoteUdpEncapsPort(9899),
    "setRTOInfo": lambda s: s.setRTOInfo(RTOInfo(100, 200, 50)),
    "setReceiveBufferSize": lambda s: s.setReceiveBufferSize(1000),
    "setSendBufferSize": lambda s: s.setSendBufferSize(1000),
    "setblocking": lambda s: s.setblocking(False),
    "setTimeouts": lambda s: s.setTimeouts(1, 1),
    "shutdown": lambda s: s.shutdown(),
    "subscribe": lambda s: s.subscribe([NotificationType.ASSOC_CHANGE]),
}
# Neither touches the descriptor: closing twice is harmless, fileno() says
# -1, and the receive slot size is a local setting.
NOT_CLOSED_CHECKED = {"close", "fileno", "fromSocket", "setReceiveSlotSize"}


def test_closedCallsCoverEveryPublicMethod():
    public = {n for n, v in inspect.getmembers(SCTPSocket) if not n.startswith("_") and callable(v)}
    assert public - NOT_CLOSED_CHECKED == set(CLOSED_CALLS)


@requiresSCTP
@pytest.mark.parametrize("name", sorted(CLOSED_CALLS))
def test_useAfterClose(name):
    s = makeSocket(style=ONE_TO_MANY)
    s.close()
    with pytest.raises(SocketClosedError) as e:
        CLOSED_CALLS[name](s)
    err = e.value
    assert isinstance(err, OSError) and isinstance(err, SCTPError)
    assert err.errno == errno.EBADF
    assert "the SCTP socket is closed" in str(err)


@requiresSCTP
def test_closeTwiceAndState():
    s = makeSocket()
    fd = s.fileno()
    assert fd >= 0 and not s.closed
    assert f"fd={fd}" in repr(s)
    s.close()
    s.close()
    assert s.closed and s.fileno() == -1
    assert "closed" in repr(s)
    with makeSocket() as t:
        assert not t.closed
    assert t.closed
