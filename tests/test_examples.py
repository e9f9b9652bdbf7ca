"""
The examples: each one run as a program (in a subprocess, on the kernel
with SCTP, with a deadline) with its output checked, and the Diameter
example's encoder, decoder and Protocol unit-tested (the Protocol with
txsctp.testing, no kernel needed).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from twisted.internet import task
from twisted.python.failure import Failure

from txsctp.testing import SCTPTestPeer, connectedPair

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DEADLINE = 120


def _loadExample(name):
    spec = importlib.util.spec_from_file_location(f"txsctp_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


diameter = _loadExample("diameter_peer")


def _needKernelSCTP():
    from txsctp.sctpsocket import kernelSupportsSCTP

    if not kernelSupportsSCTP():
        pytest.skip("this kernel has no SCTP: the examples run through scripts/test "
                    "(scripts/sctp-run)")


def _run(*args, timeout=DEADLINE):
    """
    Run an example to completion; return (status, output).
    """
    proc = subprocess.run(
        [sys.executable, *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=timeout,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    return proc.returncode, proc.stdout


class Server:
    """
    An example server in a subprocess; C{port} is read from its
    "listening on ... port N" line (readiness, no sleeping).
    """

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            [sys.executable, *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        self.lines = []
        # A deadline for the readiness line: SIGALRM interrupts readline.
        old = signal.signal(signal.SIGALRM, self._tooSlow)
        signal.alarm(60)
        try:
            for line in self.proc.stdout:
                self.lines.append(line)
                m = re.search(r"listening on .* port (\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    break
            else:
                raise AssertionError("server ended before listening:\n" + "".join(self.lines))
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)

    def _tooSlow(self, *args):
        self.proc.kill()
        raise AssertionError("server did not start listening within 60 s")

    def stop(self):
        """
        Stop it (SIGTERM: the reactor stops cleanly); return its output.
        """
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return "".join(self.lines) + out


# -- running the examples ----------------------------------------------------


def test_demo():
    _needKernelSCTP()
    status, out = _run(EXAMPLES / "demo.py")
    assert status == 0, out
    assert "demo OK: 7 messages on 6 streams" in out
    assert re.search(r"\[client\] association \d+ up .* 8 outbound / 8 inbound streams negotiated", out)
    assert re.search(r"\[server\] association \d+ up from", out)
    # Both server addresses are seen by the client (multi-homed server).
    assert re.search(r"peer address 127\.0\.0\.1:\d+ \(primary\)", out)
    assert re.search(r"peer address 127\.0\.0\.2:\d+", out)
    for line in ("stream 0, PPID 46 (DIAMETER), 44 bytes, ordered",
                 "stream 4, PPID 51 (WEBRTC_STRING), 34 bytes, unordered",
                 "stream 5, PPID 53 (WEBRTC_BINARY), 65536 bytes, ordered"):
        assert "[client] send " + line in out
        assert "[client] echo " + line in out
        assert "[server] got  " + line in out
    assert "[server] the client started a graceful shutdown" in out
    assert "[client] association closed cleanly" in out
    assert re.search(r"\[server\] association \d+ closed cleanly", out)


@pytest.mark.parametrize("serverStyle", ["one-to-one", "one-to-many"])
def test_echoOneToOneClient(serverStyle):
    _needKernelSCTP()
    server = Server(EXAMPLES / "echo_server.py", "--port", 0, "--style", serverStyle)
    try:
        status, out = _run(EXAMPLES / "echo_client.py", "--port", server.port,
                           "--associations", 3, "--messages", 25, "--streams", 4, "--size", 300)
    finally:
        serverOut = server.stop()
    assert status == 0, out + serverOut
    assert "OK: 75 messages echoed over 3 associations (one-to-one)" in out
    assert out.count("all 25 echoes match") == 3
    assert serverOut.count("up: ") == 3
    assert serverOut.count("closed cleanly") == 3
    assert f"({serverStyle}," in serverOut


def test_echoOneToManyClient():
    """
    One one-to-many client socket, associations to a one-to-one and a
    one-to-many server at once.
    """
    _needKernelSCTP()
    servers = [Server(EXAMPLES / "echo_server.py", "--port", 0, "--style", style, "--quiet")
               for style in ("one-to-one", "one-to-many")]
    try:
        status, out = _run(EXAMPLES / "echo_client.py", "--style", "one-to-many",
                           "--port", servers[0].port, "--port", servers[1].port,
                           "--messages", 30)
    finally:
        outputs = [s.stop() for s in servers]
    assert status == 0, out + "".join(outputs)
    assert "OK: 60 messages echoed over 2 associations (one-to-many)" in out
    assert "one-to-many socket on port" in out
    for serverOut in outputs:
        assert "closed cleanly" in serverOut


def test_echoClientRefusesManyAssociationsOnOneToMany():
    status, out = _run(EXAMPLES / "echo_client.py", "--style", "one-to-many",
                       "--associations", 2)
    assert status == 2
    assert "one association per server endpoint" in out


def test_diameterDemo():
    _needKernelSCTP()
    status, out = _run(EXAMPLES / "diameter_peer.py", "demo", "--watchdogs", 3,
                       "--interval", 0.05)
    assert status == 0, out
    assert "[client] -> CER (command 257, flags 0x80" in out
    assert "[server] -> CEA (command 257, flags 0x00" in out
    assert "Result-Code[M]=2001 (DIAMETER_SUCCESS)" in out
    assert out.count("[client] <- DWA") == 3
    assert "[client] <- DPA" in out
    assert "Disconnect-Cause[M]=2 (DO_NOT_WANT_TO_TALK_TO_YOU)" in out
    assert "Product-Name[]='txsctp diameter_peer example'" in out
    assert "[client] association closed cleanly after DPR/DPA" in out
    assert "[server] association closed cleanly after DPR/DPA" in out
    assert out.rstrip().endswith("diameter_peer: OK")


def test_diameterServerAndClientProcesses():
    _needKernelSCTP()
    server = Server(EXAMPLES / "diameter_peer.py", "server", "--port", 0)
    try:
        status, out = _run(EXAMPLES / "diameter_peer.py", "client", "--port", server.port,
                           "--watchdogs", 2, "--interval", 0.05)
    finally:
        serverOut = server.stop()
    assert status == 0, out + serverOut
    assert "done: 2 watchdog answers from hss.example.org" in out
    assert "capabilities exchanged with mme.example.org: state OPEN" in serverOut


def test_multihomedFailover():
    _needKernelSCTP()
    if os.geteuid() != 0:
        pytest.skip("multihomed.py creates network namespaces: needs root")
    if shutil.which("ip") is None:
        pytest.skip("multihomed.py needs iproute2's ip")
    probe = subprocess.run(["ip", "netns", "add", "txsctp-probe-%d" % os.getpid()],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"network namespaces are not available here: {probe.stderr.strip()}")
    subprocess.run(["ip", "netns", "del", "txsctp-probe-%d" % os.getpid()])
    status, out = _run(EXAMPLES / "multihomed.py", timeout=150)
    assert status == 0, out
    assert "peerAddressChanged: path to 10.201.1.2:2905 is UNREACHABLE" in out
    assert "FAILED-OVER: traffic continues on the other path" in out
    assert "peerAddressChanged: path to 10.201.1.2:2905 is AVAILABLE" in out
    assert re.search(r"(\d+) of \1 echoes back, complete and in order", out)
    assert "OK: the path failed, the association survived, nothing was lost" in out
    # The namespaces are gone.
    assert "txsctp-mh-" not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                              text=True).stdout


def test_multihomedNeedsRoot(monkeypatch, capsys):
    """
    Run by anyone but root, the multi-homing example says it needs root
    (network namespaces) and exits 2 (checked in-process with the user id
    faked, since these tests usually run as root).
    """
    import importlib.util

    spec = importlib.util.spec_from_file_location("multihomed_example", EXAMPLES / "multihomed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module.os, "geteuid", lambda: 1000)
    assert module.main([]) == 2
    assert "needs root" in capsys.readouterr().err


# -- the Diameter codec ------------------------------------------------------


AVP, Message = diameter.AVP, diameter.Message


def test_avpHeaderAndPadding():
    """
    An AVP: code, flags, 24-bit length (header + data, no padding), data,
    padding to 4 bytes.
    """
    avp = AVP.utf8(diameter.AVPCode.ORIGIN_HOST, "abc")
    wire = avp.encode()
    assert wire == struct.pack("!IB", 264, 0x40) + (11).to_bytes(3, "big") + b"abc" + b"\0"
    assert avp.length == 11 and len(wire) == 12
    assert AVP.utf8(296, "abcd").encode()[5:8] == (12).to_bytes(3, "big")
    assert len(AVP.utf8(296, "abcd").encode()) == 12  # no padding needed


def test_vendorSpecificAVP():
    """
    The V bit adds the 4-byte Vendor-Id to the header and to the length.
    """
    avp = AVP.unsigned32(629, 1, vendorId=diameter.VENDOR_3GPP, mandatory=False)
    wire = avp.encode()
    assert wire[4] == 0x80
    assert int.from_bytes(wire[5:8], "big") == 16
    assert struct.unpack("!I", wire[8:12])[0] == 10415
    assert struct.unpack("!I", wire[12:16])[0] == 1
    [back] = diameter.decodeAVPs(wire)
    assert back == avp
    assert AVP(1, b"x", mandatory=True, protected=True, vendorId=5).flags == 0xE0


def test_addressAVP():
    v4 = AVP.address(257, "192.0.2.1")
    assert v4.data == b"\x00\x01" + socket.inet_aton("192.0.2.1")
    assert v4.asAddress() == "192.0.2.1"
    v6 = AVP.address(257, "2001:db8::1")
    assert v6.data[:2] == b"\x00\x02" and len(v6.data) == 18
    assert v6.asAddress() == "2001:db8::1"
    with pytest.raises(diameter.DiameterError):
        AVP(257, b"\x00\x01\x01").asAddress()


def test_groupedAVP():
    inner = [AVP.unsigned32(266, 10415), AVP.unsigned32(258, 16777251)]
    group = AVP.grouped(260, inner)
    assert group.data == inner[0].encode() + inner[1].encode()
    assert group.asGrouped() == inner


def test_messageHeader():
    """
    The 20-byte header: version, length, flags, command code, application
    id, hop-by-hop, end-to-end; the length counts the padded AVPs.
    """
    m = Message(280, diameter.FLAG_REQUEST, 0, 0x11223344, 0x55667788,
                [AVP.utf8(264, "abc"), AVP.unsigned32(278, 7)])
    wire = m.encode()
    assert len(wire) == 20 + 12 + 12
    assert wire[0] == 1
    assert int.from_bytes(wire[1:4], "big") == 44
    assert wire[4] == 0x80
    assert int.from_bytes(wire[5:8], "big") == 280
    assert struct.unpack("!III", wire[8:20]) == (0, 0x11223344, 0x55667788)
    assert Message.decode(wire) == m
    assert m.name == "DWR" and m.isRequest


def test_cerRoundTripAndAnswer():
    identity = diameter.Identity("mme.example.org", "example.org", ("127.0.0.1", "::1"),
                                 originStateId=5)
    cer = Message(257, diameter.FLAG_REQUEST, 0, 1, 2, identity.capabilities())
    back = Message.decode(cer.encode())
    assert back == cer
    assert back.find(264).asText() == "mme.example.org"
    assert [a.asAddress() for a in back.findAll(257)] == ["127.0.0.1", "::1"]
    assert back.find(269).mandatory is False
    assert back.find(278).asUnsigned32() == 5
    cea = cer.answer([AVP.unsigned32(268, 2001)])
    assert (cea.command, cea.hopByHop, cea.endToEnd, cea.isRequest) == (257, 1, 2, False)
    assert cea.name == "CEA"
    proxiable = Message(257, diameter.FLAG_REQUEST | diameter.FLAG_PROXIABLE, 0, 1, 2)
    assert proxiable.answer([], error=True).flags == diameter.FLAG_PROXIABLE | diameter.FLAG_ERROR


@pytest.mark.parametrize("mangle, complaint", [
    (lambda w: w[:19], "shorter than the Diameter header"),
    (lambda w: b"\x02" + w[1:], "unsupported Diameter version 2"),
    (lambda w: w + b"\0\0\0\0", "does not match"),
    (lambda w: w[:1] + (len(w) - 4).to_bytes(3, "big") + w[4:-4], "runs past the end"),
    (lambda w: w[:1] + (24).to_bytes(3, "big") + w[4:24], "truncated AVP header"),
    (lambda w: w[:1] + (26).to_bytes(3, "big") + w[4:26], "not a multiple of 4"),
])
def test_malformedMessages(mangle, complaint):
    wire = Message(280, 0x80, 0, 1, 2, [AVP.utf8(264, "abc"), AVP.unsigned32(278, 7)]).encode()
    with pytest.raises(diameter.DiameterError, match=complaint):
        Message.decode(mangle(wire))


def test_malformedAVPs():
    with pytest.raises(diameter.DiameterError, match="shorter than its header"):
        diameter.decodeAVPs(struct.pack("!IB", 264, 0x40) + (4).to_bytes(3, "big"))
    with pytest.raises(diameter.DiameterError, match="not padded"):
        diameter.decodeAVPs(struct.pack("!IB", 264, 0x40) + (9).to_bytes(3, "big") + b"x")
    with pytest.raises(diameter.DiameterError, match="Unsigned32"):
        AVP(268, b"\0\0").asUnsigned32()


def test_wiresharkDecodesOurMessages(tmp_path):
    """
    An independent decoder agrees: tshark dissects our CER, CEA and DWR
    (carried in SCTP DATA chunks with PPID 46) without a malformed field.
    """
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark is not installed (apt-get install tshark)")
    identity = diameter.Identity("mme.example.org", "example.org", ("192.0.2.1",),
                                 originStateId=42)
    cer = Message(257, diameter.FLAG_REQUEST, 0, 0x1234, 0x5678, identity.capabilities())
    cea = cer.answer([AVP.unsigned32(268, 2001)] + identity.capabilities())
    dwr = Message(280, diameter.FLAG_REQUEST, 0, 0x1235, 0x5679,
                  [AVP.utf8(264, "mme.example.org"), AVP.utf8(296, "example.org")])
    pcap = tmp_path / "diameter.pcap"
    pcap.write_bytes(_pcap([(m.encode(), not m.isRequest) for m in (cer, cea, dwr)]))
    out = subprocess.run([tshark, "-r", str(pcap), "-V", "-o", "sctp.checksum:none"],
                         capture_output=True, text=True, timeout=DEADLINE)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Malformed" not in text and "Expert Info (Error" not in text, text
    assert text.count("Diameter Protocol") == 3
    assert text.count("Command Code: Capabilities-Exchange (257)") == 2
    assert "Command Code: Device-Watchdog (280)" in text
    assert "Hop-by-Hop Identifier: 0x00001234" in text
    assert "Origin-Host: mme.example.org" in text
    assert "Result-Code: DIAMETER_SUCCESS (2001)" in text
    assert "Host-IP-Address Address: 192.0.2.1" in text
    assert "AVP: Vendor-Specific-Application-Id(260) l=32 f=-M-" in text
    assert "AVP: Product-Name(269) l=36 f=---" in text


def _pcap(packets):
    """
    A pcap of IPv4 packets, each one SCTP DATA chunk with PPID 46, from a
    client (192.0.2.1:40000) to a server (192.0.2.2:3868) or back.

    @param packets: C{(payload, fromServer)} pairs.
    """
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)]  # LINKTYPE_RAW
    ssn = {False: 0, True: 0}
    for i, (payload, fromServer) in enumerate(packets):
        pad = b"\0" * ((4 - len(payload) % 4) % 4)
        chunk = struct.pack("!BBHIHHI", 0, 0x03, 16 + len(payload), 1000 + i, 0,
                            ssn[fromServer], 46)
        ssn[fromServer] += 1
        ports = (3868, 40000) if fromServer else (40000, 3868)
        hosts = ("192.0.2.2", "192.0.2.1") if fromServer else ("192.0.2.1", "192.0.2.2")
        sctp = struct.pack("!HHII", *ports, 0xC0FFEE, 0) + chunk + payload + pad
        total = 20 + len(sctp)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, i, 0, 64, 132, 0,
                         socket.inet_aton(hosts[0]), socket.inet_aton(hosts[1]))
        checksum = _ipChecksum(ip)
        ip = ip[:10] + struct.pack("!H", checksum) + ip[12:]
        packet = ip + sctp
        out.append(struct.pack("<IIII", i, 0, len(packet), len(packet)) + packet)
    return b"".join(out)


def _ipChecksum(header):
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# -- the Diameter Protocol, driven by txsctp.testing ----------------------------


def _peer(initiator=False, watchdogs=0, clock=None, applications=(diameter.APPLICATION_S6A,)):
    lines = []
    identity = diameter.Identity("hss.example.org" if not initiator else "mme.example.org",
                                 "example.org", originStateId=9,
                                 authApplications=applications)
    proto = diameter.DiameterPeer(identity, initiator=initiator, watchdogs=watchdogs,
                                  interval=1.0, clock=clock or task.Clock(), log=lines.append)
    return proto, lines


def _cer(applications=(diameter.APPLICATION_S6A,), hopByHop=7):
    identity = diameter.Identity("mme.example.org", "example.org", originStateId=1,
                                 authApplications=applications)
    return Message(257, diameter.FLAG_REQUEST, 0, hopByHop, 8, identity.capabilities())


def test_serverAnswersCER():
    proto, _ = _peer()
    peer = SCTPTestPeer(proto, outboundStreams=2)
    peer.connect()
    assert proto.state == "WAIT-CER"
    peer.receiveMessage(_cer().encode(), stream=0, ppid=46)
    [sent] = peer.takeSent()
    assert (sent.stream, sent.ppid) == (0, 46)
    cea = Message.decode(sent.data)
    assert cea.name == "CEA" and (cea.hopByHop, cea.endToEnd) == (7, 8)
    assert cea.avps[0] == AVP.unsigned32(268, 2001)
    assert cea.find(264).asText() == "hss.example.org"
    assert proto.state == "OPEN" and proto.peerIdentity == "mme.example.org"


def test_serverRefusesWithoutCommonApplication():
    proto, _ = _peer(applications=(4,))
    peer = SCTPTestPeer(proto)
    peer.connect()
    peer.receiveMessage(_cer(applications=(16777238,)).encode(), ppid=46)
    cea = Message.decode(peer.sent[0].data)
    assert cea.find(268).asUnsigned32() == diameter.ResultCode.DIAMETER_NO_COMMON_APPLICATION
    assert proto.transport.disconnecting


def test_serverAnswersWatchdogAndDisconnect():
    proto, _ = _peer()
    peer = SCTPTestPeer(proto)
    peer.connect()
    peer.receiveMessage(_cer().encode(), ppid=46)
    peer.takeSent()
    dwr = Message(280, 0x80, 0, 20, 21, [AVP.utf8(264, "mme.example.org")])
    peer.receiveMessage(dwr.encode(), ppid=46)
    dwa = Message.decode(peer.takeSent()[0].data)
    assert (dwa.name, dwa.hopByHop, dwa.find(268).asUnsigned32()) == ("DWA", 20, 2001)
    dpr = Message(282, 0x80, 0, 22, 23, [AVP.unsigned32(273, 2)])
    peer.receiveMessage(dpr.encode(), ppid=46)
    assert Message.decode(peer.takeSent()[0].data).name == "DPA"
    closed = []
    proto.done.addCallback(closed.append)
    peer.shutdown()
    assert closed == [None] and proto.state == "CLOSED"


def test_clientRunsTheWholeExchange():
    """
    CER on association up; after the CEA, a DWR per interval (a fake
    clock); after the last DWA a DPR; after the DPA a graceful close.
    """
    clock = task.Clock()
    proto, lines = _peer(initiator=True, watchdogs=2, clock=clock)
    peer = SCTPTestPeer(proto)
    peer.connect()
    [cer] = [Message.decode(m.data) for m in peer.takeSent()]
    assert cer.name == "CER" and cer.find(264).asText() == "mme.example.org"
    server, _ = _peer()
    serverPeer = SCTPTestPeer(server)
    serverPeer.connect()

    def answer(request):
        serverPeer.receiveMessage(request.encode(), ppid=46)
        [m] = serverPeer.takeSent()
        peer.receiveMessage(m.data, stream=m.stream, ppid=m.ppid)

    answer(cer)
    assert proto.state == "OPEN"
    assert peer.sent == []
    for _round in range(2):
        clock.advance(1.0)
        [dwr] = [Message.decode(m.data) for m in peer.takeSent()]
        assert dwr.name == "DWR"
        answer(dwr)
    assert proto.watchdogAnswers == 2
    [dpr] = [Message.decode(m.data) for m in peer.takeSent()]
    assert dpr.name == "DPR" and dpr.find(273).asUnsigned32() == 2
    answer(dpr)
    assert proto.transport.disconnecting
    results = []
    proto.done.addBoth(results.append)
    peer.completeShutdown()
    assert results == [None]
    assert any("closed cleanly after DPR/DPA" in line for line in lines)


def test_pairOverTheFake():
    """
    Client and server Protocols joined by txsctp.testing's pump complete
    the exchange, as over the kernel.
    """
    clock = task.Clock()
    client, _ = _peer(initiator=True, watchdogs=3, clock=clock)
    server, _ = _peer(clock=clock)
    pump = connectedPair(server, client)
    pump.flush()
    for _ in range(3):
        clock.advance(1.0)
        pump.flush()
    results = []
    client.done.addBoth(results.append)
    server.done.addBoth(results.append)
    assert results == [None, None]
    assert client.watchdogAnswers == 3


def test_malformedOrForeignMessages():
    proto, lines = _peer()
    peer = SCTPTestPeer(proto)
    peer.connect()
    peer.receiveMessage(b"not diameter", ppid=0)
    assert not proto.transport.disconnected and peer.sent == []
    proto.done.addErrback(lambda f: None)
    peer.receiveMessage(b"\x01\x00\x00\x08garbage!", ppid=46)
    assert proto.transport.aborted
    assert any("malformed" in line for line in lines)


def test_failedCEAClosesTheAssociation():
    proto, _ = _peer(initiator=True)
    peer = SCTPTestPeer(proto)
    peer.connect()
    [cer] = [Message.decode(m.data) for m in peer.takeSent()]
    cea = cer.answer([AVP.unsigned32(268, 5010)])
    peer.receiveMessage(cea.encode(), ppid=46)
    assert proto.transport.disconnecting
    failures = []
    proto.done.addErrback(failures.append)
    peer.abort()
    assert failures and isinstance(failures[0], Failure)
