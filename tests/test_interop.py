"""
Interoperability with SCTP programs nobody here wrote: lksctp-tools'
C{sctp_darn} and C{sctp_test}, and C{socat}, in both directions, with
txsctp's one-to-one and one-to-many styles on our side and the tools'
one-to-many (SOCK_SEQPACKET, their default) and one-to-one (SOCK_STREAM:
C{sctp_darn -t}, C{sctp_test -T}) styles on theirs.

What each tool can show is checked:

  - sctp_darn sends each stdin line as one message on stream 0, PPID 0;
    listening, it prints each message's length and (one-to-many only, the
    only style it subscribes the data events for) its stream, flags and
    PPID.  With C{-e} it echoes each message back (stream 0, PPID 0).
  - sctp_test sends messages of known sizes on random streams, ordered or
    not, with random PPIDs, and prints each one's parameters before sending
    it; listening, it prints each message's length, stream, flags and PPID
    (except for the first message read after a notification: sctp_test
    does not reset its control buffer after a notification, so that one
    shows no SNDRCV line; we send a first message that is not checked).
  - socat moves bytes: it cannot set or show streams or PPIDs, and it
    does not keep message boundaries; the bytes are checked, in order.
    socat only speaks one-to-one SCTP (SCTP-LISTEN / SCTP-CONNECT); its
    generic SOCK_SEQPACKET sockets cannot send on a one-to-many association
    (EPIPE), and this socat build rejects the sctp-nodelay / sctp-maxseg
    options its manual lists ("unknown option").

PPIDs: both tools print the raw C{sinfo_ppid} field, which holds the PPID
in network byte order (the kernel copies it to the wire unchanged) and
they print it as a host-order integer: C{htonl(ppid)} on this
little-endian machine.  sctp_test likewise puts a raw C{rand()} value into
the field: txsctp, which gives PPIDs in host order, reports
C{ntohl(value)}.  txsctp gets this right in both directions.
"""

from __future__ import annotations

import re
import socket

import pytest
import pytest_twisted

from twisted.internet import defer, error, protocol

from _peers import (  # noqa: F401
    connectProtocol,
    freePort,
    peers,
    pollUntil,
    spawn,
    toolAvailable,
    waitListening,
    withDeadline,
)
from txsctp import SCTPProtocol

STYLES = ["one-to-one", "one-to-many"]


def _require(tool):
    if not toolAvailable(tool):
        pytest.skip(f"{tool} is not installed (Debian: lksctp-tools / socat)")


class Recorder(SCTPProtocol):
    def __init__(self):
        self.messages = []
        self.lost = defer.Deferred()
        self.waits = []

    def messageReceived(self, data, info):
        self.messages.append((data, info.stream, info.ppid, info.unordered))
        for w in list(self.waits):
            if len(self.messages) >= w[0]:
                self.waits.remove(w)
                w[1].callback(None)

    def expect(self, n):
        d = defer.Deferred()
        if len(self.messages) >= n:
            d.callback(None)
        else:
            self.waits.append((n, d))
        return d

    def connectionLost(self, reason):
        self.lost.callback(reason.value)

    def data(self):
        return b"".join(m[0] for m in self.messages)


class RecorderFactory(protocol.Factory):
    def __init__(self):
        self.protocols = []

    def buildProtocol(self, addr):
        p = Recorder()
        p.factory = self
        self.protocols.append(p)
        return p


@defer.inlineCallbacks
def _client(reactor, listen, style, port, **kw):
    """
    A Recorder associated with 127.0.0.1:port, from a one-to-one
    connectSCTP or from a one-to-many port's associate().
    """
    kw.setdefault("outStreams", 10)
    kw.setdefault("inStreams", 10)
    if style == "one-to-many":
        local = listen(RecorderFactory(), style="one-to-many", **kw)
        p = yield withDeadline(local.associate("127.0.0.1", port), 15, "associate")
        return p
    p = yield withDeadline(connectProtocol(reactor, "127.0.0.1", port, Recorder, **kw), 15, "connect")
    return p


# The messages txsctp sends to the tools: distinct lengths (the tools print
# lengths, and only the first few bytes), streams, PPIDs, ordered or not.
OUTGOING = [
    (b"a" * (10 + 7 * i) + b"#%d" % i, i % 6, ppid, i % 3 == 2)
    for i, ppid in enumerate([0, 1, 46, 0x01020304, 0xFFFFFFFF, 18, 60, 3, 1000000, 7, 0x80000000, 12])
]


def _checkSeen(seen, withInfo=True):
    """
    Compare what a tool printed ([(length, stream, flags, rawPpid)]) with
    OUTGOING: every message, by its unique length; ordered ones in order
    per stream.
    """
    byLength = {len(d): (d, s, p, u) for d, s, p, u in OUTGOING}
    assert sorted(n for n, *_ in seen) == sorted(byLength), seen
    if withInfo:
        for n, stream, flags, raw in seen:
            _, s, p, u = byLength[n]
            assert stream == s, (n, stream, s)
            assert raw == socket.htonl(p), (n, raw, p)
            assert bool(flags & 1) == u, (n, flags, u)
    for s in range(6):
        order = [n for n, *_ in seen if not byLength[n][3] and byLength[n][1] == s]
        assert order == [len(d) for d, st, _, u in OUTGOING if st == s and not u]


def _send(client, messages=OUTGOING):
    for data, stream, ppid, unordered in messages:
        client.transport.writeMessage(data, stream=stream, ppid=ppid, unordered=unordered)


# -- sctp_darn ---------------------------------------------------------------------------


@pytest.mark.parametrize("darnStyle", ["seqpacket", "stream"])
@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_sctp_darn_sends_to_txsctp(reactor, listen, peers, style, darnStyle):
    """
    sctp_darn (send mode) sends 20 stdin lines: the txsctp port gets 20
    messages, each exactly the line (with its newline and the NUL darn
    appends), on stream 0 with PPID 0, in order; darn's close is a clean
    shutdown.
    """
    _require("sctp_darn")
    factory = RecorderFactory()
    port = listen(factory, style=style)
    args = ["stdbuf", "-oL", "sctp_darn", "-H", "127.0.0.1", "-P", "0", "-h", "127.0.0.1",
            "-p", str(port.getHost().port), "-s"] + (["-t"] if darnStyle == "stream" else [])
    darn = spawn(reactor, args, name="sctp_darn")
    yield darn.waitFor(lambda line: "ready to send" in line, 15)
    lines = [f"line {i}: " + "x" * (i * 7) for i in range(20)]
    for line in lines:
        darn.send(line)
    darn.closeStdin()
    yield darn.waitEnded(15)
    p = yield pollUntil(lambda: factory.protocols and factory.protocols[0], 10, "the association")
    yield withDeadline(p.expect(20), 10, "20 messages", detail=lambda: repr(p.messages))
    reason = yield withDeadline(p.lost, 10, "darn's close")
    print(f"\n[{style} <- sctp_darn {darnStyle}] {len(p.messages)} messages; close: {reason!r}")
    assert [m[0] for m in p.messages] == [line.encode() + b"\n\0" for line in lines]
    assert {(m[1], m[2]) for m in p.messages} == {(0, 0)}
    assert isinstance(reason, error.ConnectionDone), reason


_DARN_BLOCK = re.compile(r"SNDRCV\s+sinfo_stream (\d+)\s+sinfo_ssn \d+\s+sinfo_flags 0x([0-9a-f]+)\s+"
                         r"sinfo_ppid (\d+).*?DATA\((\d+)\)", re.S)


@pytest.mark.parametrize("darnStyle", ["seqpacket", "stream"])
@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_txsctp_sends_to_sctp_darn(reactor, listen, peers, style, darnStyle):
    """
    txsctp sends 12 messages (6 streams, assorted PPIDs, some unordered) to
    a listening sctp_darn: darn prints every one with its length and (one-
    to-many) stream, flags and PPID, all as sent.  One-to-many darn also
    echoes them (-e): they come back whole, on stream 0 with PPID 0.
    """
    _require("sctp_darn")
    portNumber = freePort()
    echo = darnStyle == "seqpacket"
    args = ["stdbuf", "-oL", "sctp_darn", "-H", "127.0.0.1", "-P", str(portNumber), "-l"]
    args += ["-e"] if echo else ["-t"]
    darn = spawn(reactor, args, name="sctp_darn")
    yield waitListening(portNumber)
    client = yield _client(reactor, listen, style, portNumber)
    _send(client)
    if echo:
        yield withDeadline(client.expect(len(OUTGOING)), 10, "the echoes")
    count = len(OUTGOING)
    yield pollUntil(lambda: len(re.findall(r"DATA\(\d+\)", "\n".join(darn.lines))) >= count, 10,
                    "darn to print every message", detail=darn.transcript)
    text = "\n".join(darn.lines)
    if darnStyle == "seqpacket":
        seen = [(int(n), int(s), int(f, 16), int(p)) for s, f, p, n in _DARN_BLOCK.findall(text)]
        _checkSeen(seen)
        assert sorted(m[0] for m in client.messages) == sorted(d for d, *_ in OUTGOING)
        assert {(m[1], m[2]) for m in client.messages} == {(0, 0)}
    else:
        seen = [(int(n), None, None, None) for n in re.findall(r"DATA\((\d+)\)", text)]
        _checkSeen(seen, withInfo=False)
    print(f"\n[{style} -> sctp_darn {darnStyle}] darn printed {len(seen)} messages"
          + (f", echoed {len(client.messages)}" if echo else ""))
    client.transport.loseConnection()
    yield withDeadline(client.lost, 10, "the close")


# -- sctp_test ---------------------------------------------------------------------------------

_SENT = re.compile(r"sendmsg\(sk=\d+, assoc=\d+\)\s+(\d+) bytes\.\s*\n\s*SNDRCV\(stream=(\d+) flags=0x([0-9a-f]+) "
                   r"ppid=(\d+)")


def _sctpTestPayload(size):
    """
    What sctp_test's build_msg() sends: "0123456789..." cut to size - 1
    bytes, then a NUL.
    """
    digits = b"0123456789" * (size // 10 + 2)
    return digits[:size - 1] + b"\0"


@pytest.mark.parametrize("toolStyle", ["seqpacket", "stream"])
@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_sctp_test_sends_to_txsctp(reactor, listen, peers, style, toolStyle):
    """
    sctp_test as a client: 20 messages of 1 B to 32 kB on random streams
    (0-4), randomly ordered/unordered, with random PPIDs: txsctp gets each
    one whole (byte-exact), on its stream, with its flag and PPID, ordered
    ones in order per stream.
    """
    _require("sctp_test")
    factory = RecorderFactory()
    port = listen(factory, style=style)
    args = ["sctp_test", "-H", "127.0.0.1", "-P", str(freePort()), "-h", "127.0.0.1",
            "-p", str(port.getHost().port), "-s", "-c", "4", "-x", "2", "-M", "5", "-t", "1", "-o", "3",
            "-d", "2", "-r", "12345"] + (["-T"] if toolStyle == "stream" else [])
    tool = spawn(reactor, args, name="sctp_test")
    yield tool.waitEnded(30)
    sent = [(int(n), int(s), int(f, 16), int(p)) for n, s, f, p in _SENT.findall("\n".join(tool.lines))]
    assert len(sent) == 20, tool.transcript()
    p = yield pollUntil(lambda: factory.protocols and factory.protocols[0], 10, "the association")
    yield withDeadline(p.expect(len(sent)), 20, "every message", detail=lambda: f"{len(p.messages)}")
    got = [(len(d), s, u, ppid) for d, s, ppid, u in p.messages]
    expected = [(n, s, bool(f & 1), socket.ntohl(raw)) for n, s, f, raw in sent]
    print(f"\n[{style} <- sctp_test {toolStyle}] {len(got)} messages; e.g. sctp_test sent ppid "
          f"{sent[0][3]} (raw), txsctp reports {p.messages[0][2]}")
    assert sorted(got) == sorted(expected)
    for data, *_ in p.messages:
        assert data == _sctpTestPayload(len(data))
    for s in range(5):
        assert [x[0] for x in got if x[1] == s and not x[2]] == [x[0] for x in expected if x[1] == s and not x[2]]


_RECEIVED = re.compile(r"Data (\d+) bytes\.[^\n]*\n(?:\s*SNDRCV\(stream=(\d+) ssn=\d+ tsn=\d+ flags=0x([0-9a-f]+) "
                       r"ppid=(\d+))?")


@pytest.mark.parametrize("toolStyle", ["seqpacket", "stream"])
@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_txsctp_sends_to_sctp_test(reactor, listen, peers, style, toolStyle):
    """
    txsctp sends 12 messages to a listening sctp_test: it prints each one's
    length, stream, flags and PPID, all as sent (after a first message that
    sctp_test cannot show the details of, see the module docstring).
    """
    _require("sctp_test")
    portNumber = freePort()
    args = ["sctp_test", "-H", "127.0.0.1", "-P", str(portNumber), "-l", "-d", "2"]
    args += ["-T"] if toolStyle == "stream" else []
    tool = spawn(reactor, args, name="sctp_test")
    yield waitListening(portNumber)
    client = yield _client(reactor, listen, style, portNumber)
    client.transport.writeMessage(b"hi", stream=0)  # first after COMM_UP: shown without SNDRCV
    _send(client)
    count = len(OUTGOING) + 1
    yield pollUntil(lambda: len(_RECEIVED.findall("\n".join(tool.lines))) >= count, 10,
                    "sctp_test to print every message", detail=tool.transcript)
    found = _RECEIVED.findall("\n".join(tool.lines))
    assert found[0][0] == "2"
    seen = [(int(n), int(s), int(f, 16), int(p)) for n, s, f, p in found[1:]]
    print(f"\n[{style} -> sctp_test {toolStyle}] sctp_test printed {len(seen)} messages")
    _checkSeen(seen)
    client.transport.loseConnection()
    yield withDeadline(client.lost, 10, "the close")


# -- socat --------------------------------------------------------------------------------------

PAYLOAD = b"".join(b"%06d:" % i + bytes(range(32, 127)) for i in range(2000))  # ~200 kB


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_socat_sends_to_txsctp(reactor, listen, peers, style):
    """
    socat (SCTP4-CONNECT) copies 200 kB from its stdin: the txsctp port
    gets exactly those bytes, in order (on stream 0, PPID 0; socat's reads
    decide the message boundaries), then a clean shutdown.
    """
    _require("socat")
    factory = RecorderFactory()
    port = listen(factory, style=style)
    tool = spawn(reactor, ["socat", "-u", "STDIN", f"SCTP4-CONNECT:127.0.0.1:{port.getHost().port}"],
                 name="socat")
    tool.transport.write(PAYLOAD)
    tool.closeStdin()
    yield tool.waitEnded(30)
    assert tool.exitCode == 0, tool.transcript()
    p = yield pollUntil(lambda: factory.protocols and factory.protocols[0], 10, "the association")
    yield pollUntil(lambda: len(p.data()) >= len(PAYLOAD), 20, "all the bytes")
    reason = yield withDeadline(p.lost, 10, "socat's close")
    print(f"\n[{style} <- socat] {len(PAYLOAD)} bytes in {len(p.messages)} messages; close: {reason!r}")
    assert p.data() == PAYLOAD
    assert {(m[1], m[2]) for m in p.messages} == {(0, 0)}
    assert isinstance(reason, error.ConnectionDone), reason


@pytest.mark.parametrize("style", STYLES)
@pytest_twisted.inlineCallbacks
def test_txsctp_sends_to_socat(reactor, listen, peers, style):
    """
    txsctp sends 200 kB as ~2000 ordered messages of 101 bytes (stream 0,
    PPID 46, which socat cannot show) to socat (SCTP4-LISTEN, writing to
    stdout), then closes gracefully: socat writes exactly those bytes, in
    order, and exits cleanly.
    """
    _require("socat")
    portNumber = freePort()
    tool = spawn(reactor, ["socat", "-u", f"SCTP4-LISTEN:{portNumber},reuseaddr", "STDOUT"], name="socat")
    yield waitListening(portNumber)
    client = yield _client(reactor, listen, style, portNumber)
    pieces = [PAYLOAD[i:i + 101] for i in range(0, len(PAYLOAD), 101)]
    for piece in pieces:
        client.transport.writeMessage(piece, stream=0, ppid=46)
    client.transport.loseConnection()
    reason = yield withDeadline(client.lost, 20, "the close")
    yield tool.waitEnded(20)
    print(f"\n[{style} -> socat] {len(pieces)} messages; socat wrote {len(tool.stdout)} bytes, exit "
          f"{tool.exitCode}; our close: {reason!r}")
    assert bytes(tool.stdout) == PAYLOAD
    assert tool.exitCode == 0
    assert isinstance(reason, error.ConnectionDone), reason
