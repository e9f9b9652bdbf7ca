"""
txsctp's annotations reach its users: mypy, with the project's
configuration (the zope plugin, so that calls through an interface are
checked against its annotations), passes a small program written against
the public API, and flags each misuse in a second one, at the line that
makes it.

No kernel SCTP is needed: mypy only reads the programs.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

from _support import REPO

MYPY_TIMEOUT = 600

CORRECT = '''
from __future__ import annotations

from typing import Any, Dict, List, Tuple

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IConnector
from twisted.internet.protocol import ClientFactory, Factory

from txsctp import SCTPProtocol, connectSCTP, listenSCTP
from txsctp.client import closeGracefully, connect, whenClosed, whenSenderDry
from txsctp.endpoints import SCTPClientEndpoint, SCTPServerEndpoint
from txsctp.errors import StreamOutOfRangeError
from txsctp.info import PPID, RcvInfo
from txsctp.interfaces import ISCTPListeningPort, ISCTPTransport
from txsctp.notifications import AssociationChange, PeerAddressChange, SendFailed
from txsctp.options import PeerAddrInfo, Status, Tuning
from txsctp.testing import SCTPTestPeer, SentMessage, connectedPair


class Echo(SCTPProtocol):
    def messageReceived(self, data: bytes, info: RcvInfo) -> None:
        self.transport.writeMessage(data, stream=info.stream, ppid=info.ppid, unordered=info.unordered)

    def associationUp(self, notification: AssociationChange) -> None:
        last: int = self.transport.outboundStreams - 1
        self.transport.writeMessages([b"a", bytearray(b"b"), memoryview(b"c")], stream=last, ppid=PPID.M3UA)
        self.transport.write(b"on the default stream")

    def peerAddressChanged(self, notification: PeerAddressChange) -> None:
        paths: Dict[Tuple[str, int], PeerAddrInfo] = self.transport.getPathStates()
        status: Status = self.transport.getStatus()
        print(paths, status.outStreams)

    def sendFailed(self, notification: SendFailed) -> None:
        lost: bytes = notification.data
        print(len(lost))


def serve(reactor: Any) -> ISCTPListeningPort:
    return listenSCTP(2905, Factory.forProtocol(Echo), interface=["127.0.0.1", "127.0.0.2"],
                      reactor=reactor, style="one-to-many", tuning=Tuning(nodelay=True))


class EchoClientFactory(ClientFactory):
    protocol = Echo


def dial(reactor: Any) -> IConnector:
    return connectSCTP("127.0.0.1", 2905, EchoClientFactory(), timeout=None,
                       bindAddress=("127.0.0.1", 0), reactor=reactor, outStreams=4)


async def talk(reactor: Any) -> None:
    proto = await connect(reactor, "127.0.0.1", 2905, Echo, outStreams=4)
    transport: ISCTPTransport = proto.transport
    try:
        transport.writeMessage(b"hello", stream=1, ppid=46, to=("127.0.0.1", 2905))
    except StreamOutOfRangeError as e:
        print(e)
    await whenSenderDry(proto)
    closed: Deferred[None] = whenClosed(transport)
    await closeGracefully(proto)
    await closed


def endpoints(reactor: Any) -> None:
    SCTPServerEndpoint(reactor, 2905, "127.0.0.1", style="one-to-many").listen(Factory.forProtocol(Echo))
    SCTPClientEndpoint(reactor, ["127.0.0.1", "::1"], 2905, maxAttempts=3).connect(Factory.forProtocol(Echo))


def unitTest() -> None:
    peer = SCTPTestPeer(Echo(), outboundStreams=2)
    echo: Echo = peer.connect()
    peer.receiveMessage(b"ping", stream=1, ppid=46)
    sent: List[SentMessage] = peer.sent
    assert [(m.data, m.stream) for m in sent] == [(b"ping", 1)], echo
    pump = connectedPair(Echo(), Echo())
    server: Echo = pump.server.protocol
    pump.flush()
    print(server)
'''

# Each mistake, and the start of what mypy says about it.
MISTAKES = [
    ('self.transport.writeMessage("text")',
     'error: Argument 1 to "writeMessage" of "ISCTPTransport" has incompatible type "str"'),
    ('self.transport.writeMessage(b"x", stream="1")',
     'error: Argument "stream" to "writeMessage" of "ISCTPTransport" has incompatible type "str"; '
     'expected "int"'),
    ('self.transport.writeMessages(b"one payload")',
     'error: Argument 1 to "writeMessages" of "ISCTPTransport" has incompatible type "bytes"'),
    ('self.transport.writeMessage(b"x", ppid=None, to="127.0.0.1")',
     'error: Argument "to" to "writeMessage" of "ISCTPTransport" has incompatible type "str"'),
    ('port = listenSCTP("2905", Factory.forProtocol(Echo))',
     'error: Argument 1 to "listenSCTP" has incompatible type "str"; expected "int"'),
    ('d = connect(None, "127.0.0.1", 2905, Echo, outStream=4)',
     'error: Unexpected keyword argument "outStream" for overloaded function "connect"'),
    ('streams: str = self.transport.outboundStreams',
     'error: Incompatible types in assignment (expression has type "int", variable has type "str")'),
]

WRONG_CALLBACKS = '''

class WrongPayload(SCTPProtocol):
    def messageReceived(self, data: str, info: RcvInfo) -> None:
        pass


class WrongArity(SCTPProtocol):
    def messageReceived(self, data: bytes) -> None:
        pass


class WrongNotification(SCTPProtocol):
    def associationUp(self, notification: SendFailed) -> None:
        pass
'''

CALLBACK_ERRORS = [
    ("def messageReceived(self, data: str, info: RcvInfo)",
     'error: Argument 1 of "messageReceived" is incompatible with supertype'),
    ("def messageReceived(self, data: bytes)",
     'error: Signature of "messageReceived" incompatible with supertype'),
    ("def associationUp(self, notification: SendFailed)",
     'error: Argument 1 of "associationUp" is incompatible with supertype'),
]


def _mypy(*paths):
    """
    Run mypy with the project's configuration, from the repository root
    (as a user's checkout would: txsctp is found through its py.typed).

    @return: mypy's output and exit status.
    """
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml", *map(str, paths)],
        capture_output=True, text=True, timeout=MYPY_TIMEOUT, check=False, cwd=REPO,
    )
    return result.stdout + result.stderr, result.returncode


def _errorLines(output, name):
    """
    C{{line: [messages]}} of the errors mypy reported in file C{name}.
    """
    found = {}
    for match in re.finditer(rf"^.*{re.escape(name)}:(\d+):(?:\d+:)? (error: .*)$", output, re.MULTILINE):
        found.setdefault(int(match.group(1)), []).append(match.group(2))
    return found


def _lineOf(text, snippet):
    (number,) = [i for i, line in enumerate(text.splitlines(), 1) if snippet in line]
    return number


def test_correctProgramPasses(tmp_path):
    """
    A program using listenSCTP, connectSCTP, the client helpers, the
    endpoints, a Protocol's callbacks and transport, and txsctp.testing
    type-checks without an error.
    """
    program = tmp_path / "user_ok.py"
    program.write_text(CORRECT)
    output, status = _mypy(program)
    assert "missing library stubs or py.typed marker" not in output, output
    assert _errorLines(output, "user_ok.py") == {}, output
    assert status == 0, output


def test_misuseIsFlagged(tmp_path):
    """
    Each mistake -- a str payload, a str stream, one payload where an
    iterable of them is wanted, a str destination, a str port, a misspelt
    option, an int taken for a str -- is an error at its own line, and
    the rest of the program still passes.
    """
    body = CORRECT + "\n\ndef mistakes(self: Echo) -> None:\n" + textwrap.indent(
        "\n".join(line for line, _ in MISTAKES), "    ") + "\n"
    program = tmp_path / "user_wrong.py"
    program.write_text(body)
    output, status = _mypy(program)
    errors = _errorLines(output, "user_wrong.py")
    expected = {_lineOf(body, line): message for line, message in MISTAKES}
    for line, message in expected.items():
        assert any(m.startswith(message) for m in errors.get(line, [])), (line, message, output)
    assert set(errors) == set(expected), output
    assert status == 1, output


def test_wrongCallbackSignatureIsFlagged(tmp_path):
    """
    A Protocol callback overridden with the wrong payload type, the wrong
    number of arguments or the wrong notification type is an error: the
    callbacks are annotated, and an override must accept what the
    transport passes.
    """
    body = CORRECT + WRONG_CALLBACKS
    program = tmp_path / "user_callbacks.py"
    program.write_text(body)
    output, status = _mypy(program)
    errors = _errorLines(output, "user_callbacks.py")
    expected = {_lineOf(body, line): message for line, message in CALLBACK_ERRORS}
    for line, message in expected.items():
        assert any(m.startswith(message) for m in errors.get(line, [])), (line, message, output)
    assert set(errors) == set(expected), output
    assert status == 1, output
