"""
Peers in subprocesses for the reliability, load and interop tests: the
scripts in tests/peers/ (socket layer only, no Twisted) and external tools
(sctp_darn, sctp_test, socat), run under the test's reactor, optionally
inside a network namespace (see L{_netns}).

Nothing here sleeps: every wait is a Deferred with a deadline, on an output
line of the process, on its exit, or on a condition polled with the reactor
(e.g. a port appearing in C{/proc/<pid>/net/sctp/eps}).

  - L{spawn} / L{spawnPeer}: start a process; the returned L{PeerProcess}
    collects stdout/stderr lines and offers C{waitFor(pattern)}, C{ended},
    C{send(line)}, C{signal(sig)}.
  - The C{peers} fixture kills whatever a test left running.
  - L{withDeadline}, L{pollUntil}: deadlines for any Deferred or condition.
  - L{openFds}: the process's open file descriptors (leak checks).
  - L{SeqProtocol}: an L{SCTPProtocol} that sequence-checks what it
    receives (see C{peers/peerlib.py} for the message format).
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Union

import pytest

from twisted.internet import defer, error, protocol, task
from twisted.python import failure

from peers import peerlib
from txsctp.errors import AssociationClosedError

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
PYTHON = sys.executable

Pattern = Union[str, "re.Pattern[str]", Callable[[str], bool]]


class PeerFailed(AssertionError):
    pass


def _matcher(pattern: Pattern) -> Callable[[str], bool]:
    if callable(pattern):
        return pattern  # type: ignore[return-value]
    if isinstance(pattern, str):
        return lambda line: line.startswith(pattern)
    return lambda line: pattern.search(line) is not None


class PeerProcess(protocol.ProcessProtocol):
    """
    A subprocess whose output is collected line by line.

    @ivar lines: stdout lines so far (without newlines).
    @ivar errLines: stderr lines so far.
    @ivar ended: fires with the exit code (or -signal) when it has exited.
    """

    def __init__(self, name: str, reactor) -> None:
        self.name = name
        self.reactor = reactor
        self.lines: List[str] = []
        self.errLines: List[str] = []
        self.stdout = bytearray()  # everything written to stdout, raw
        self._partial = {1: b"", 2: b""}
        self._waiters: List[tuple] = []
        self.ended: defer.Deferred = defer.Deferred()
        self.exitCode: Optional[int] = None
        self.running = False
        self.pid: Optional[int] = None

    # -- ProcessProtocol -------------------------------------------------

    def connectionMade(self) -> None:
        self.running = True
        self.pid = self.transport.pid

    def childDataReceived(self, fd: int, data: bytes) -> None:
        if fd not in self._partial:
            return
        if fd == 1:
            self.stdout += data
        buf = self._partial[fd] + data
        *complete, rest = buf.split(b"\n")
        self._partial[fd] = rest
        for raw in complete:
            line = raw.decode("utf-8", "replace").rstrip("\r")
            (self.lines if fd == 1 else self.errLines).append(line)
            if fd == 1:
                self._check(line)

    def _check(self, line: str) -> None:
        for w in list(self._waiters):
            match, d, timer = w
            if match(line):
                self._waiters.remove(w)
                if timer.active():
                    timer.cancel()
                d.callback(line)

    def processEnded(self, reason) -> None:
        self.running = False
        for fd in (1, 2):
            if self._partial[fd]:
                rest, self._partial[fd] = self._partial[fd], b""
                line = rest.decode("utf-8", "replace").rstrip("\r")
                (self.lines if fd == 1 else self.errLines).append(line)
                if fd == 1:
                    self._check(line)
        value = reason.value
        if isinstance(value, error.ProcessTerminated) and value.signal is not None:
            self.exitCode = -value.signal
        else:
            self.exitCode = getattr(value, "exitCode", 0) or 0
        waiters, self._waiters = self._waiters, []
        for _match, d, timer in waiters:
            if timer.active():
                timer.cancel()
            d.errback(PeerFailed(f"{self.name} exited ({self.exitCode}) before printing the line "
                                 f"waited for.\n{self.transcript()}"))
        self.ended.callback(self.exitCode)

    # -- use ----------------------------------------------------------------

    def transcript(self, last: int = 40) -> str:
        out = "\n".join(f"  | {line}" for line in self.lines[-last:])
        err = "\n".join(f"  ! {line}" for line in self.errLines[-last:])
        return f"--- {self.name} stdout (last {last}) ---\n{out}\n--- stderr ---\n{err}"

    def waitFor(self, pattern: Pattern, timeout: float = 10.0, since: int = 0) -> defer.Deferred:
        """
        A Deferred firing with the first stdout line (at index C{since} or
        later) matching C{pattern} (a prefix, a compiled regex or a
        predicate); it fails after C{timeout} seconds or if the process
        exits first.
        """
        match = _matcher(pattern)
        for line in self.lines[since:]:
            if match(line):
                return defer.succeed(line)
        if not self.running and self.exitCode is not None:
            return defer.fail(PeerFailed(f"{self.name} has exited ({self.exitCode}).\n{self.transcript()}"))
        d: defer.Deferred = defer.Deferred()

        def expire():
            entry = next((w for w in self._waiters if w[1] is d), None)
            if entry is not None:
                self._waiters.remove(entry)
                d.errback(PeerFailed(f"{self.name}: no line matching {pattern!r} within "
                                     f"{timeout} s.\n{self.transcript()}"))

        timer = self.reactor.callLater(timeout, expire)
        self._waiters.append((match, d, timer))
        return d

    def send(self, line: str) -> None:
        self.transport.write(line.encode() + b"\n")

    def closeStdin(self) -> None:
        self.transport.closeStdin()

    def signal(self, sig: int) -> None:
        if self.running:
            try:
                self.transport.signalProcess(sig)
            except error.ProcessExitedAlready:
                pass

    def kill(self) -> defer.Deferred:
        """
        SIGKILL it (if still running); the Deferred fires once it is reaped.
        """
        self.signal(signal.SIGKILL)
        return self.ended if not self.ended.called else defer.succeed(self.exitCode)

    def waitEnded(self, timeout: float = 10.0) -> defer.Deferred:
        if self.ended.called:
            return defer.succeed(self.exitCode)
        d: defer.Deferred = defer.Deferred()
        self.ended.addBoth(lambda r: (d.called or d.callback(r), r)[1])
        return withDeadline(d, timeout, f"{self.name} to exit", self.reactor, self.transcript)


_running: List[PeerProcess] = []


def spawn(reactor, argv: Sequence[str], name: Optional[str] = None, netns: Optional[str] = None,
          env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None) -> PeerProcess:
    """
    Start C{argv} (inside network namespace C{netns} if given) with pipes
    for stdin/stdout/stderr.
    """
    argv = list(argv)
    if netns is not None:
        argv = ["ip", "netns", "exec", netns] + argv
    fullEnv = dict(os.environ)
    fullEnv["PYTHONUNBUFFERED"] = "1"
    if env:
        fullEnv.update(env)
    proc = PeerProcess(name or os.path.basename(argv[0 if netns is None else 4]), reactor)
    reactor.spawnProcess(proc, argv[0] if os.path.isabs(argv[0]) else _which(argv[0]), argv,
                         env=fullEnv, path=cwd, childFDs={0: "w", 1: "r", 2: "r"})
    _running.append(proc)
    return proc


def _which(name: str) -> str:
    for d in os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":") + ["/usr/sbin", "/sbin"]:
        path = os.path.join(d, name)
        if os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(name)


def spawnPeer(reactor, script: str, *args, netns: Optional[str] = None, name: Optional[str] = None,
              env: Optional[Dict[str, str]] = None) -> PeerProcess:
    """
    Run C{tests/peers/<script>.py} with this interpreter.
    """
    return spawn(reactor, [PYTHON, os.path.join(PEERS, script + ".py")] + [str(a) for a in args],
                 name=name or script, netns=netns, env=env)


def toolAvailable(name: str) -> bool:
    try:
        _which(name)
        return True
    except FileNotFoundError:
        return False


@pytest.fixture
def peers(reactor):
    """
    Kills (SIGKILL) and reaps every process a test started with L{spawn}.
    """
    before = len(_running)
    yield
    import pytest_twisted

    mine = _running[before:]
    del _running[before:]
    waits = []
    for proc in mine:
        if proc.running:
            waits.append(proc.kill())
    if waits:
        pytest_twisted.blockon(withDeadline(defer.DeferredList(waits), 10, "peers to exit", reactor))


# -- deadlines -------------------------------------------------------------


def withDeadline(d: defer.Deferred, seconds: float, what: str, reactor=None,
                 detail: Optional[Callable[[], str]] = None) -> defer.Deferred:
    """
    C{d}, failing with an AssertionError naming C{what} if it has not fired
    within C{seconds}.
    """
    if reactor is None:
        from twisted.internet import reactor
    result: defer.Deferred = defer.Deferred()

    def expire():
        if not result.called:
            extra = f"\n{detail()}" if detail is not None else ""
            result.errback(AssertionError(f"timed out after {seconds} s waiting for {what}{extra}"))

    timer = reactor.callLater(seconds, expire)

    def done(r):
        if timer.active():
            timer.cancel()
        if not result.called:
            if isinstance(r, failure.Failure):
                result.errback(r)
            else:
                result.callback(r)
        return None

    d.addBoth(done)
    return result


def connectProtocol(reactor, host: str, port: int, build: Callable[[], protocol.Protocol],
                    **kwargs) -> defer.Deferred:
    """
    L{txsctp.connectSCTP} to C{host}:C{port} with a Protocol from
    C{build()}: a Deferred firing with it once it is connected (after
    C{makeConnection}), or failing with the connector's reason.  The
    connector is the Deferred's C{connector} attribute.
    """
    from txsctp import connectSCTP

    d: defer.Deferred = defer.Deferred()

    class _Factory(protocol.ClientFactory):
        def buildProtocol(self, addr):
            p = build()
            p.factory = self
            reactor.callLater(0, d.callback, p)
            return p

        def clientConnectionFailed(self, connector, reason):
            if not d.called:
                d.errback(reason)

    import conftest

    if conftest.STACK == "userspace":
        kwargs.setdefault("stack", "userspace")
        kwargs.setdefault("remoteUdpPort", conftest.SHARED_UDP_PORT)
    d.connector = connectSCTP(host, port, _Factory(), reactor=reactor, **kwargs)  # type: ignore[attr-defined]
    return d


def pollUntil(condition: Callable[[], object], seconds: float, what: str, reactor=None,
              interval: float = 0.02, detail: Optional[Callable[[], str]] = None) -> defer.Deferred:
    """
    A Deferred firing with C{condition()}'s first true value, polled every
    C{interval} seconds by the reactor; fails after C{seconds}.
    """
    if reactor is None:
        from twisted.internet import reactor
    deadline = time.monotonic() + seconds
    result: defer.Deferred = defer.Deferred()

    def check():
        try:
            value = condition()
        except Exception:
            loop.stop()
            result.errback()
            return
        if value:
            loop.stop()
            result.callback(value)
        elif time.monotonic() > deadline:
            loop.stop()
            extra = f"\n{detail()}" if detail is not None else ""
            result.errback(AssertionError(f"timed out after {seconds} s waiting for {what}{extra}"))

    loop = task.LoopingCall(check)
    loop.clock = reactor
    loop.start(interval, now=True)
    return result


def sctpEndpoints(pid: Optional[int] = None) -> List[Dict[str, str]]:
    """
    The SCTP endpoints of a network namespace (that of process C{pid}, or
    ours), from C{/proc/.../net/sctp/eps}.
    """
    path = f"/proc/{pid}/net/sctp/eps" if pid else "/proc/net/sctp/eps"
    try:
        with open(path) as f:
            rows = f.read().splitlines()
    except OSError:
        return []
    result = []
    for row in rows[1:]:
        parts = row.split()
        if len(parts) >= 9:
            result.append({"port": parts[5], "inode": parts[7], "addrs": " ".join(parts[8:])})
    return result


def waitListening(port: int, seconds: float = 15.0, pid: Optional[int] = None, reactor=None) -> defer.Deferred:
    """
    Wait until an SCTP endpoint bound to C{port} appears (in the namespace
    of C{pid}, or ours).
    """
    return pollUntil(lambda: any(e["port"] == str(port) for e in sctpEndpoints(pid)), seconds,
                     f"SCTP port {port} to be listening", reactor)


def sctpAssociations(pid: Optional[int] = None) -> List[List[str]]:
    path = f"/proc/{pid}/net/sctp/assocs" if pid else "/proc/net/sctp/assocs"
    try:
        with open(path) as f:
            return [row.split() for row in f.read().splitlines()[1:]]
    except OSError:
        return []


def freePort() -> int:
    """
    A port no SCTP endpoint of ours uses now (for peers that need a fixed
    port given on their command line).
    """
    import socket

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


# -- resources --------------------------------------------------------------


def openFds() -> List[int]:
    return sorted(int(n) for n in os.listdir("/proc/self/fd"))


def describeFds(fds: Sequence[int]) -> str:
    out = []
    for fd in fds:
        try:
            out.append(f"{fd} -> {os.readlink(f'/proc/self/fd/{fd}')}")
        except OSError:
            out.append(f"{fd} -> ?")
    return ", ".join(out)


# -- a sequence-checking Protocol ---------------------------------------------


def _protocolBase():
    from txsctp import SCTPProtocol

    return SCTPProtocol


class SeqProtocol(_protocolBase()):  # type: ignore[misc]
    """
    Receives sequence-numbered messages (peerlib.seqMessage) and checks
    them; records notifications and how the association ended.

    @ivar checker: the L{peerlib.SequenceChecker}.
    @ivar events: C{(time, notification)} pairs.
    @ivar reason: the C{connectionLost} reason (a Failure), once lost.
    @ivar lost: fires with that reason's exception.
    @ivar echo: send every message back as it came (stream, PPID).
    @ivar ackEvery: write an C{ack} message every that many messages.
    @ivar acksRefused: acks writeMessage refused because the association
        was already closing.
    """

    echo = False
    keepData = False
    ackEvery = 0
    acksRefused = 0

    def __init__(self) -> None:
        self.checker = peerlib.SequenceChecker()
        self.events: List[tuple] = []
        self.reason = None
        self.lost: defer.Deferred = defer.Deferred()
        self.up: defer.Deferred = defer.Deferred()
        self.data: List[tuple] = []
        self.arrivals: List[float] = []
        self._waits: List[tuple] = []
        self.ppidErrors: List[str] = []
        self.expectPpid: Optional[Callable[[int, int, int], int]] = None
        self.countAtShutdown: Optional[int] = None

    def connectionMade(self) -> None:
        if not self.up.called:
            self.up.callback(self)

    def messageReceived(self, data, info) -> None:
        stream, seq, gen = self.checker.feedMessage(data, info.stream)
        self.arrivals.append(time.monotonic())
        if self.expectPpid is not None and seq >= 0:
            want = self.expectPpid(stream, seq, gen)
            if info.ppid != want:
                self.ppidErrors.append(f"stream {stream} seq {seq}: ppid {info.ppid} != {want}")
        if self.keepData:
            self.data.append((data, info))
        if self.echo:
            self.transport.writeMessage(data, stream=info.stream, ppid=info.ppid, unordered=info.unordered)
        if self.ackEvery and self.checker.count % self.ackEvery == 0:
            try:
                self.transport.writeMessage(b"ack %d" % self.checker.count)
            except AssociationClosedError:
                # The peer is gone: its kernel refused an earlier ack (EPIPE
                # after its ABORT) while messages it sent before still
                # arrive.  writeMessage says so, as documented; the
                # association's end, with its reason, follows.
                self.acksRefused += 1
        self._poke()

    def _poke(self) -> None:
        for w in list(self._waits):
            n, d = w
            if self.checker.count >= n:
                self._waits.remove(w)
                d.callback(self.checker.count)

    def expect(self, n: int) -> defer.Deferred:
        """
        Fires once C{n} messages in all have arrived.
        """
        if self.checker.count >= n:
            return defer.succeed(self.checker.count)
        d: defer.Deferred = defer.Deferred()
        self._waits.append((n, d))
        return d

    def notificationReceived(self, notification) -> None:
        from txsctp.notifications import Shutdown

        self.events.append((time.monotonic(), notification))
        if isinstance(notification, Shutdown) and self.countAtShutdown is None:
            self.countAtShutdown = self.checker.count
        super().notificationReceived(notification)

    def connectionLost(self, reason) -> None:
        # (A Deferred cannot be called back with a Failure as its result:
        # it would errback.  Fire with the exception; self.reason keeps the
        # Failure.)
        self.reason = reason
        self.lost.callback(reason.value)

    def eventsOf(self, cls) -> list:
        return [n for _, n in self.events if isinstance(n, cls)]


class SeqFactory(protocol.Factory):
    """
    Builds L{SeqProtocol}s (or C{cls}) and keeps them; C{protocolAt(i)}
    fires with the i-th one built (0-based) once it is connected.
    """

    def __init__(self, cls=SeqProtocol, **attrs) -> None:
        self.cls = cls
        self.attrs = attrs
        self.protocols: List = []
        self._waits: List[tuple] = []

    def buildProtocol(self, addr):
        p = self.cls()
        for k, v in self.attrs.items():
            setattr(p, k, v)
        p.factory = self
        p.addr = addr
        self.protocols.append(p)
        if self._waits:
            from twisted.internet import reactor

            reactor.callLater(0, self._fire)
        return p

    def _fire(self) -> None:
        for w in list(self._waits):
            i, d = w
            if i < len(self.protocols):
                self._waits.remove(w)
                d.callback(self.protocols[i])

    def protocolAt(self, i: int) -> defer.Deferred:
        if i < len(self.protocols):
            return defer.succeed(self.protocols[i])
        d: defer.Deferred = defer.Deferred()
        self._waits.append((i, d))
        return d
