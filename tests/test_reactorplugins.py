"""
txsctp's reactors (L{txsctp.reactors}) and their twistd plugins: each one
is listed by C{twistd --help-reactors}, installs a reactor providing
L{txsctp.interfaces.IReactorSCTP} built on the Twisted reactor it names,
and carries associations through C{reactor.listenSCTP} and
C{reactor.connectSCTP}; a twistd plugin runs under one of them.

A reactor installs once per process, so each one is tried in a
subprocess of its own (the pytest process has its own reactor).
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
import pytest_twisted

from twisted.internet import defer, error, protocol
from twisted.internet.endpoints import clientFromString

from _support import REPO, needsKernel
from txsctp import SCTPProtocol

SUBPROCESS_TIMEOUT = 120

# shortName: (module, class, the Twisted reactor class it builds on)
REACTORS = {
    "sctp-epoll": ("txsctp.reactors.epollreactor", "EPollSCTPReactor",
                   "twisted.internet.epollreactor.EPollReactor"),
    "sctp-poll": ("txsctp.reactors.pollreactor", "PollSCTPReactor",
                  "twisted.internet.pollreactor.PollReactor"),
    "sctp-select": ("txsctp.reactors.selectreactor", "SelectSCTPReactor",
                    "twisted.internet.selectreactor.SelectReactor"),
    "sctp-asyncio": ("txsctp.reactors.asyncioreactor", "AsyncioSCTPReactor",
                     "twisted.internet.asyncioreactor.AsyncioSelectorReactor"),
    # The default picks epoll on Linux, as twisted.internet.default does.
    "sctp": ("txsctp.reactors.epollreactor", "EPollSCTPReactor",
             "twisted.internet.epollreactor.EPollReactor"),
}


def _env():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _python(code):
    """
    Run C{code} in a fresh interpreter (the checkout's dropins visible);
    return its last output line as JSON.
    """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], check=False, cwd=REPO, env=_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert proc.returncode == 0, proc.stdout
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- discovery and installation (no kernel SCTP needed) ------------------------


def test_helpReactorsListsThem():
    proc = subprocess.run(
        [sys.executable, "-c", "from twisted.scripts.twistd import run; run()",
         "--help-reactors"],
        check=False, cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=SUBPROCESS_TIMEOUT,
    )
    assert proc.returncode == 0, proc.stdout
    listed = dict(re.findall(r"^\s+(\S+)\t(.*)$", proc.stdout, re.MULTILINE))
    for name in REACTORS:
        assert name in listed, proc.stdout
        assert "SCTP" in listed[name]
    # Twisted's own reactors are still there.
    assert "epoll" in listed and "asyncio" in listed


def test_dropinIsCheap():
    """
    Importing the dropin (as every plugin scan does) loads no reactor, no
    cffi extension and none of the reactor modules it names.
    """
    result = _python("""
        import json, sys
        import twisted.plugins.txsctp_reactors as dropin
        from twisted.application.reactors import IReactorInstaller
        names = sorted(getattr(dropin, n).shortName for n in dir(dropin)
                       if IReactorInstaller.providedBy(getattr(dropin, n)))
        loaded = [m for m in sys.modules if m == 'twisted.internet.reactor'
                  or m.startswith(('txsctp._sctp_cffi', 'txsctp.reactors', 'txsctp.sctpsocket'))]
        print(json.dumps({'names': names, 'loaded': loaded, 'file': dropin.__file__}))
    """)
    assert result["names"] == sorted(REACTORS)
    assert result["loaded"] == []
    assert result["file"].startswith(REPO)


@pytest.mark.parametrize("name", sorted(REACTORS))
def test_installProvidesIReactorSCTP(name):
    """
    Installing by name (what C{twistd --reactor NAME} does) makes the
    global reactor an instance of txsctp's class, built on Twisted's
    reactor of that kind, providing IReactorSCTP.
    """
    module, className, base = REACTORS[name]
    result = _python(f"""
        import json
        from twisted.application.reactors import installReactor
        from twisted.python.reflect import namedAny, qual
        from zope.interface.verify import verifyObject
        from txsctp.interfaces import IReactorSCTP
        installed = installReactor({name!r})
        from twisted.internet import reactor
        print(json.dumps({{
            'same': installed is reactor,
            'class': qual(type(reactor)),
            'base': isinstance(reactor, namedAny({base!r})),
            'provides': IReactorSCTP.providedBy(reactor),
            'verified': verifyObject(IReactorSCTP, reactor),
        }}))
    """)
    assert result == {"same": True, "class": f"{module}.{className}", "base": True,
                      "provides": True, "verified": True}


def test_asyncioInstallTakesALoop():
    """
    Like Twisted's asyncioreactor.install, the SCTP one runs on the event
    loop it is given.
    """
    result = _python("""
        import asyncio, json
        loop = asyncio.new_event_loop()
        from txsctp.reactors import asyncioreactor
        asyncioreactor.install(loop)
        from twisted.internet import reactor
        print(json.dumps({'loop': reactor._asyncioEventloop is loop}))
    """)
    assert result == {"loop": True}


def _parameters(function, drop):
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()
            if p.name not in drop]


def _interfaceParameters(methodName):
    """
    The parameter names and kinds declared by IReactorSCTP (zope keeps no
    keyword-only arguments in its method descriptions: read the source).
    """
    with open(os.path.join(REPO, "txsctp", "interfaces.py")) as f:
        tree = ast.parse(f.read())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "IReactorSCTP")
    method = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == methodName)
    args = method.args
    return ([(a.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in args.args]
            + [(a.arg, inspect.Parameter.KEYWORD_ONLY) for a in args.kwonlyargs])


@pytest.mark.parametrize("methodName", ["listenSCTP", "connectSCTP"])
def test_sameParametersAsTheFunctions(methodName):
    """
    The reactor methods take exactly the module-level function's parameters
    (names, kinds, defaults) but C{reactor}, and the interface declares the
    same names and kinds.
    """
    import txsctp
    from txsctp.reactors import SCTPReactorMixin

    function = getattr(txsctp, methodName)
    method = getattr(SCTPReactorMixin, methodName)
    expected = _parameters(function, {"reactor"})
    assert _parameters(method, {"self"}) == expected
    assert _interfaceParameters(methodName) == [(n, k) for n, k, _ in expected]


def test_methodsPassEverything(monkeypatch):
    """
    Every parameter given to the reactor method reaches the module-level
    function, with C{reactor} set to the reactor itself.
    """
    from zope.interface import directlyProvides

    import txsctp
    from txsctp.interfaces import ISCTPListeningPort
    from txsctp.reactors import SCTPReactorMixin

    calls = []

    class Port:
        pass

    def fake(*args, **kwargs):
        calls.append((args, kwargs))
        port = Port()
        directlyProvides(port, ISCTPListeningPort)
        return port

    reactor = SCTPReactorMixin()
    for methodName in ("listenSCTP", "connectSCTP"):
        function = getattr(txsctp, methodName)
        params = [p for p in inspect.signature(function).parameters.values() if p.name != "reactor"]
        values = {p.name: object() for p in params}
        positional = [values[p.name] for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
        keywords = {p.name: values[p.name] for p in params if p.kind == p.KEYWORD_ONLY}
        monkeypatch.setattr(txsctp, methodName, fake)
        result = getattr(reactor, methodName)(*positional, **keywords)
        args, kwargs = calls.pop()
        bound = inspect.signature(function).bind(*args, **kwargs)
        assert bound.arguments.pop("reactor") is reactor
        assert bound.arguments == values
        assert ISCTPListeningPort.providedBy(result)


# -- associations through the reactor's methods (kernel SCTP) -----------------

_ECHO = """
import json, sys
from twisted.python.reflect import namedAny
namedAny(sys.argv[1]).install()
from twisted.internet import defer, protocol, reactor
from txsctp import SCTPProtocol
from txsctp.interfaces import IReactorSCTP


class Echo(SCTPProtocol):
    def messageReceived(self, data, info):
        self.transport.writeMessage(data, stream=info.stream, ppid=info.ppid)


class Client(SCTPProtocol):
    def __init__(self, done, count):
        self.done, self.count, self.got = done, count, []

    def associationUp(self, notification):
        for i in range(self.count):
            self.transport.writeMessage(b"m%d" % i, stream=i % 3, ppid=40 + i)

    def messageReceived(self, data, info):
        self.got.append([data.decode(), info.stream, info.ppid])
        if len(self.got) == self.count:
            self.transport.loseConnection()

    def connectionLost(self, reason):
        self.done.callback(self.got)


class ClientFactory(protocol.ClientFactory):
    def __init__(self, done):
        self.done = done

    def buildProtocol(self, addr):
        p = Client(self.done, 6)
        p.factory = self
        return p

    def clientConnectionFailed(self, connector, reason):
        self.done.errback(reason)


@defer.inlineCallbacks
def main():
    result = {"reactor": type(reactor).__name__, "provides": IReactorSCTP.providedBy(reactor)}
    for style in ("one-to-one", "one-to-many"):
        port = reactor.listenSCTP(0, protocol.Factory.forProtocol(Echo), "127.0.0.1",
                                  style=style, outStreams=3)
        done = defer.Deferred()
        connector = reactor.connectSCTP("127.0.0.1", port.getHost().port, ClientFactory(done),
                                        timeout=30, outStreams=3)
        result[style] = {"echoed": (yield done), "connector": type(connector).__name__,
                         "port": port.style}
        yield port.stopListening()
    print(json.dumps(result))


def run():
    d = main()
    d.addErrback(lambda f: (print(f.getTraceback(), file=sys.stderr), sys.exit(1)))
    d.addBoth(lambda _: reactor.stop())


reactor.callWhenRunning(run)
reactor.run()
"""


@needsKernel
@pytest.mark.parametrize("name", ["sctp-epoll", "sctp-asyncio", "sctp-poll", "sctp-select"])
def test_echoThroughReactorMethods(name, tmp_path):
    """
    An echo over C{reactor.listenSCTP} and C{reactor.connectSCTP}, one-to-one
    and one-to-many, with streams and PPIDs kept, under each reactor.
    """
    module, className, _ = REACTORS[name]
    script = tmp_path / "echo.py"
    script.write_text(_ECHO)
    proc = subprocess.run(
        [sys.executable, str(script), module], check=False, cwd=REPO, env=_env(),
        capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["reactor"] == className and result["provides"] is True
    expected = sorted([f"m{i}", i % 3, 40 + i] for i in range(6))
    for style in ("one-to-one", "one-to-many"):
        assert sorted(result[style]["echoed"]) == expected, result
        assert result[style]["port"] == style


# -- a twistd plugin under one of them ----------------------------------------


class _Twistd(protocol.ProcessProtocol):
    """
    A twistd child: C{ready} fires with the SCTP port it logs as listening
    on, C{ended} with its exit status.
    """

    def __init__(self):
        self.output = ""
        self.ready = defer.Deferred()
        self.ended = defer.Deferred()

    def outReceived(self, data):
        self.output += data.decode("utf-8", "replace")
        match = re.search(r"starting on SCTP (\d+)", self.output)
        if match and not self.ready.called:
            self.ready.callback(int(match.group(1)))

    errReceived = outReceived

    def processEnded(self, reason):
        if not self.ready.called:
            self.ready.errback(RuntimeError("twistd ended before listening:\n" + self.output))
        self.ended.callback((reason.value.exitCode, reason.value.signal))


class _Recorder(SCTPProtocol):
    def __init__(self):
        self.received = defer.DeferredQueue()
        self.lost = defer.Deferred()

    def messageReceived(self, data, info):
        self.received.put((data, info))

    def connectionLost(self, reason):
        self.reason = reason
        self.lost.callback(None)


@needsKernel
@pytest.mark.parametrize("name", ["sctp-asyncio", "sctp-epoll"])
@pytest_twisted.inlineCallbacks
def test_twistdEchoUnderSCTPReactor(reactor, name):
    """
    C{twistd --reactor NAME -n sctp-echo} runs under txsctp's reactor (twistd
    logs its class) and echoes.
    """
    child = _Twistd()
    argv = [sys.executable, "-c", "from twisted.scripts.twistd import run; run()",
            "--reactor", name, "--nodaemon", "--pidfile=", "--logfile=-",
            "sctp-echo", "--listen", "sctp:0:interface=127.0.0.1"]
    transport = reactor.spawnProcess(child, sys.executable, argv, env=_env())
    try:
        number = yield child.ready.addTimeout(SUBPROCESS_TIMEOUT, reactor)
        module, className, _ = REACTORS[name]
        assert f"reactor class: {module}.{className}" in child.output, child.output
        client = yield clientFromString(reactor, f"sctp:host=127.0.0.1:port={number}").connect(
            protocol.Factory.forProtocol(_Recorder)
        )
        client.transport.writeMessage(b"over " + name.encode(), stream=1, ppid=46)
        data, info = yield client.received.get().addTimeout(SUBPROCESS_TIMEOUT, reactor)
        assert (data, info.stream, info.ppid) == (b"over " + name.encode(), 1, 46)
        client.transport.loseConnection()
        yield client.lost
        assert client.reason.check(error.ConnectionDone)
    finally:
        if not child.ended.called:
            try:
                transport.signalProcess("TERM")
            except error.ProcessExitedAlready:
                pass
        exitCode, signal = yield child.ended.addTimeout(SUBPROCESS_TIMEOUT, reactor)
    assert exitCode == 0 or signal == 15, child.output
    assert "Server Shut Down." in child.output
