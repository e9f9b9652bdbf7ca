"""
Addresses on real sockets: multi-homing with bindx (add and remove),
connectx to an address list, local/peer address lists, and the address
family checks made before any system call.
"""

from __future__ import annotations

import errno
import socket

import pytest

from _sockethelpers import (  # noqa: F401 (closer is a fixture)
    V4,
    V4B,
    V6,
    closer,
    expectCommUp,
    listener,
    oneToManyPair,
    receiveData,
    requiresSCTP,
    setTimeouts,
    waitReadable,
)
from txsctp.errors import AddressFamilyError, SCTPError
from txsctp.info import Message
from txsctp.sctpsocket import ONE_TO_MANY

pytestmark = requiresSCTP


def test_twoAddressBindxSeenByPeer(closer):
    srv = closer.socket()
    srv.bindx([V4, V4B], 0)
    port = srv.getsockname()[1]
    assert port != 0
    assert sorted(srv.getLocalAddresses()) == [(V4, port), (V4B, port)]
    srv.listen()
    cli = closer.socket()
    cli.connect((V4, port))
    acc, _ = srv.accept()
    closer.add(acc)
    assert sorted(cli.getPeerAddresses()) == [(V4, port), (V4B, port)]
    assert sorted(acc.getLocalAddresses()) == [(V4, port), (V4B, port)]
    assert acc.getPeerAddresses() == [cli.getsockname()]
    assert cli.getpeername() == (V4, port)


def test_bindxTuplesAndRemove(closer):
    srv = closer.socket(style=ONE_TO_MANY)
    srv.bindx([(V4, 0)])
    port = srv.getsockname()[1]
    srv.bindx([(V4B, port)])
    assert sorted(srv.getLocalAddresses()) == [(V4, port), (V4B, port)]
    srv.bindx(V4B, port, remove=True)
    assert srv.getLocalAddresses() == [(V4, port)]
    srv.listen()
    cli = closer.socket(style=ONE_TO_MANY)
    assocId = cli.connectx((V4, port))
    expectCommUp(cli)
    assert cli.getPeerAddresses(assocId) == [(V4, port)]
    # The last address cannot be removed.
    with pytest.raises(OSError) as e:
        srv.bindx(V4, port, remove=True)
    assert "bindx" in str(e.value)


def test_connectxToAListReturnsTheAssocId(closer):
    srv = closer.socket(style=ONE_TO_MANY)
    srv.bindx([V4, V4B], 0)
    srv.listen()
    port = srv.getsockname()[1]
    cli = closer.socket(style=ONE_TO_MANY)
    assocId = cli.connectx([V4, V4B], port)
    assert assocId > 0
    up = expectCommUp(cli)
    assert up.assocId == assocId
    assert cli.getAssocIds() == [assocId]
    assert sorted(cli.getPeerAddresses(assocId)) == [(V4, port), (V4B, port)]
    assert cli.getStatus(assocId).assocId == assocId
    cli.sendMessage(b"hi", 1, 2, assocId=assocId)
    assert receiveData(srv).data == b"hi"


def test_connectxOneToOne(closer):
    srv, port = listener(closer)
    cli = closer.socket()
    assocId = cli.connectx([(V4, port)])
    assert assocId > 0
    assert expectCommUp(cli).assocId == assocId
    assert cli.getpeername() == (V4, port)


def test_connectxNonBlocking(closer):
    """
    A non-blocking connectx returns the association id at once (EINPROGRESS
    is not an error); COMM_UP tells when it is up.
    """
    srv, port = listener(closer, style=ONE_TO_MANY)
    cli = closer.socket(style=ONE_TO_MANY)
    cli.setblocking(False)
    assocId = cli.connectx((V4, port))
    assert assocId > 0
    assert waitReadable(cli)
    setTimeouts(cli)
    assert expectCommUp(cli).assocId == assocId


def test_ipv6SocketMixedBindx(closer):
    """
    One AF_INET6 socket bound to an IPv4 and an IPv6 address: the peer sees
    both.
    """
    srv = closer.socket(socket.AF_INET6)
    srv.bindx([V4, V6], 0)
    port = srv.getsockname()[1]
    assert sorted(srv.getLocalAddresses()) == [(V4, port), (V6, port)]
    srv.listen()
    cli = closer.socket(socket.AF_INET6)
    cli.connect((V6, port))
    assert sorted(cli.getPeerAddresses()) == [(V4, port), (V6, port)]


def test_connectRefused(closer):
    """
    INIT to a port nobody listens on is answered with ABORT.
    """
    probe = closer.socket()
    probe.bind((V4, 0))
    port = probe.getsockname()[1]
    probe.close()
    cli = closer.socket()
    with pytest.raises(ConnectionRefusedError) as e:
        cli.connect((V4, port))
    assert "connect" in str(e.value)


@pytest.mark.parametrize("call", ["bindx", "connectx", "bind", "connect", "sendTo"])
def test_mixedFamilyOnIPv4Socket(closer, call):
    """
    An IPv6 address for an AF_INET socket is refused before any system
    call, naming the address.
    """
    s = closer.socket()
    with pytest.raises(AddressFamilyError) as e:
        if call == "bindx":
            s.bindx([V4, "::1"], 0)
        elif call == "connectx":
            s.connectx([(V4, 9), ("2001:db8::7", 9)])
        elif call == "bind":
            s.bind(("::1", 0))
        elif call == "connect":
            s.connect(("::1", 9))
        else:
            s.sendMessage(b"x", to=("::1", 9))
    err = e.value
    assert isinstance(err, ValueError) and isinstance(err, SCTPError)
    assert ("'::1'" in str(err)) or ("'2001:db8::7'" in str(err))
    assert "AF_INET6" in str(err)
    # Nothing was bound.
    assert s.getsockname()[1] == 0


@pytest.mark.parametrize("host", ["localhost", "sctp.example", "127.1", ""])
def test_nonLiteralHost(closer, host):
    s = closer.socket()
    for call in (lambda: s.bindx([host], 0), lambda: s.connectx([host], 9),
                 lambda: s.connect((host, 9))):
        with pytest.raises(AddressFamilyError) as e:
            call()
        assert repr(host) in str(e.value)
        assert "literal" in str(e.value)


def test_wildcardBind(closer):
    s = closer.socket(socket.AF_INET6)
    s.bind(("", 0))
    assert s.getsockname()[0] == "::"
    t = closer.socket()
    t.bind(("", 0))
    assert t.getsockname()[0] == "0.0.0.0"


def test_localAndPeerAddressesPerAssociation(closer):
    cli, srv, ca, sa = oneToManyPair(closer)
    port = srv.getsockname()[1]
    assert cli.getPeerAddresses(ca) == [(V4, port)]
    assert srv.getPeerAddresses(sa) == [(V4, cli.getsockname()[1])]
    assert srv.getLocalAddresses(sa) == [(V4, port)]
    with pytest.raises(OSError) as e:
        srv.getPeerAddresses(sa + 100)
    assert e.value.errno == errno.EINVAL
    assert "getPeerAddresses" in str(e.value)


def _receiveDataBatches(sock, count: int, maxMessages: int):
    """
    Receive until C{count} data messages have come, C{maxMessages} at most
    per call: (the messages, the largest number of items one call returned).
    """
    messages = []
    largest = 0
    while len(messages) < count:
        assert waitReadable(sock), f"only {len(messages)} of {count} messages arrived"
        items = sock.receiveBatch(maxMessages)
        largest = max(largest, len(items))
        messages.extend(m for m in items if isinstance(m, Message))
    return messages, largest


def test_receiveInfoWholeAcrossBatchSizes(closer):
    """
    The receive headers are kept between calls (per thread) and only what
    the kernel wrote into them is reset.  Batches mixing notifications (no
    receive info) and IPv4 messages, then one-message receives, then a
    batch from an IPv6 peer: every message of that batch must still carry
    its own receive info (stream, PPID, association) and its whole IPv6
    source address -- a slot left with the control or address length a
    previous message left in it would lose them.
    """
    srv = closer.socket(socket.AF_INET6, ONE_TO_MANY)
    srv.bindx([V4, V6], 0)
    port = srv.getsockname()[1]
    srv.listen()
    checked = 0
    for _attempt in range(10):
        # New peers each round: their COMM_UP (and AUTH) notifications
        # share the first batch with data.
        v4 = closer.socket(socket.AF_INET, ONE_TO_MANY)
        v4.bind((V4, 0))
        v6 = closer.socket(socket.AF_INET6, ONE_TO_MANY)
        v6.bind((V6, 0))
        v4Port, v6Port = v4.getsockname()[1], v6.getsockname()[1]
        for i in range(4):
            v4.sendMessage(b"from v4 %d" % i, to=(V4, port))
        got, largest = _receiveDataBatches(srv, 4, 64)
        assert {m.address for m in got} == {(V4, v4Port)}
        v6.sendMessage(b"from v6 alone", 1, 7, to=(V6, port))
        alone, _ = _receiveDataBatches(srv, 1, 1)
        assert (alone[0].address, alone[0].info.stream, alone[0].info.ppid) == ((V6, v6Port), 1, 7)
        assocId = alone[0].info.assocId
        for i in range(4):
            v6.sendMessage(b"from v6 %d" % i, i % 2, 1000 + i, to=(V6, port))
        got6, largest6 = _receiveDataBatches(srv, 4, 64)
        assert [(m.data, m.address, m.info.stream, m.info.ppid, m.info.assocId) for m in got6] == [
            (b"from v6 %d" % i, (V6, v6Port), i % 2, 1000 + i, assocId) for i in range(4)]
        if largest >= 2 and largest6 >= 2:
            # Both batches used several slots: the case that matters.
            checked += 1
            if checked == 3:
                break
    assert checked, "the kernel never queued two messages before a receive"
