"""
The benchmark suite (benchmarks/run, docs/benchmarks.md): its quick mode
runs and verifies its counts, its contenders are well-formed plug-ins, its
modules import without a cycle, its references (the reactor floor, one
reactor iteration) run against real associations, and its per-operation
targets are computed from the figures given.

No timing is asserted: figures from a shared, single-CPU test kernel say
nothing in a pass/fail suite.  pysctp and usrsctp's example programs are not
installed from here: they are benchmarked only if already installed.
"""

import ast
import json
import os
import shutil
import subprocess
import sys

import pytest

from _support import REPO, kernelHasSCTP

RUN = os.path.join(REPO, "benchmarks", "run")
BENCH = os.path.join(REPO, "benchmarks")

needsSCTP = pytest.mark.skipif(not kernelHasSCTP(), reason="needs a kernel with SCTP (run the suite with scripts/test)")
needsCC = pytest.mark.skipif(shutil.which("cc") is None, reason="the benchmark builds its C contender with cc")
ENV = dict(os.environ, BENCH_NO_INSTALL="1", BENCH_NO_BOOTSTRAP="1", BENCH_PYTHON=sys.executable)


def _benchmarkModule(name):
    """
    Import one of the benchmark's modules (C{benchmarks/} is not a package).
    """
    import importlib

    if BENCH not in sys.path:
        sys.path.insert(0, BENCH)
    return importlib.import_module(name)


def _buildCProgram():
    """
    Have benchmarks/run build its C programs (C{--help} builds what is
    missing or older than its source, then exits).
    """
    build = subprocess.run([RUN, "--help"], cwd=REPO, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=120)
    assert build.returncode == 0, build.stderr.decode(errors="replace")[-2000:]


def _runJSON(code):
    """
    Run C{code} in a fresh interpreter from the repository root (where it
    imports the benchmark's modules) and return the JSON of its last
    output line.
    """
    proc = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, 'benchmarks')\n" + code],
                          cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-4000:]
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


@needsSCTP
@needsCC
def test_quickBenchmark(tmp_path):
    """
    C{benchmarks/run --quick} exits 0 and prints the kernel table with its
    "verified" rows and the native section; every quick workload ran and
    verified for the C program, the one-way runs of the stdlib loop and the
    socket layer delivered exactly what was sent, the reactor floor ran
    its three sides, and so did usrsctp's tsctp where it is installed.
    """
    report = tmp_path / "quick.json"
    proc = subprocess.run([RUN, "--quick", "--json", str(report)], cwd=REPO, env=ENV, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=240)
    out = proc.stdout.decode(errors="replace")
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, f"benchmarks/run --quick failed ({proc.returncode}):\n{out}\n{err[-4000:]}"
    assert "== kernel SCTP, configuration tuned ==" in out, out
    assert "| one-way 100 B" in out and "verified" in out, out
    assert "== native: contenders that need no kernel SCTP" in out, out

    runs = json.loads(report.read_text())["runs"]
    byKey = {}
    for r in runs:
        byKey.setdefault((r["workload"], r["contender"]), []).append(r)
    for key in ("c", "stdlib", "txsock", "tx1to1"):
        (run,) = byKey[("oneway100", key)]
        assert run["ok"], f"{key}: the receiver did not verify the count: {run['note']}"
        assert run["metrics"]["count"] > 0
        assert isinstance(run["kernel"], dict), run
    for workload in ("oneway100", "pingpong", "setup", "fanin"):
        assert all(r["ok"] for r in byKey[(workload, "c")]), workload
    for workload in ("oneway100", "pingpong", "setup"):
        assert all(r["ok"] for r in byKey[(workload, "floor")]), (workload, byKey[(workload, "floor")])
    if os.access("/usr/lib/usrsctp/tsctp", os.X_OK):
        (run,) = byKey[("oneway100", "tsctp")]
        assert run["section"] == "native"
        if not (run["ok"] and run["metrics"].get("count", 0) > 0):
            # usrsctp's own program, with its threads, can be slow to start
            # in the test kernel while the rest of the suite loads the host:
            # once more, alone, before judging it.
            first = f"{run['note']} {run['metrics']}"
            again = tmp_path / "tsctp.json"
            proc = subprocess.run([RUN, "--quick", "--part", "native", "--only", "tsctp", "--json", str(again)],
                                  cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
            assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-4000:]
            (run,) = [r for r in json.loads(again.read_text())["runs"]
                      if (r["workload"], r["contender"]) == ("oneway100", "tsctp")]
            assert run["ok"] and run["metrics"]["count"] > 0, f"tsctp: {first}; again: {run['note']} {run['metrics']}"


def test_contendersArePlugins():
    """
    Every contender module's declarations load: unique keys, a known
    section, and for every workload it declares a side for each role that
    is not the fixed C load, whose function exists and takes the
    workload's parameters (its options included).  The native section has
    usrsctp's tsctp and the slot for txsctp's userspace stack.
    """
    import inspect

    contenders = _benchmarkModule("contenders")
    loaded = contenders.load()
    keys = [c.key for c in loaded]
    assert len(keys) == len(set(keys))
    params = {
        ("oneway", "server"): {"size"}, ("oneway", "client"): {"port", "size", "duration", "count"},
        ("pingpong", "server"): set(), ("pingpong", "client"): {"port", "size", "duration", "count"},
        ("setup", "server"): set(), ("setup", "client"): {"port", "duration", "count"},
        ("fanin", "server"): {"size", "assocs"}, ("idle", "server"): {"assocs"},
    }
    import importlib

    for c in loaded:
        assert c.section in ("kernel", "native"), c
        assert c.measure <= contenders.MEASURES, c
        for w in c.workloads:
            kind = contenders.BY_WORKLOAD[w].kind
            for role in ("server", "client"):
                side = c.side(w, role)
                if (kind, role) not in params:
                    assert side is None, (c.key, w, role)
                    continue
                assert side is not None, (c.key, w, role)
                if isinstance(side, contenders.ProgramSide):
                    assert side.mode in contenders.C_MODES[kind], (c.key, w, side)
                    continue
                function = getattr(importlib.import_module(f"contenders.{side.module}"), side.function)
                signature = inspect.signature(function)
                # Bind what the driver passes; an extra server item (e.g. a
                # UDP port) is the side's own business.
                wanted = {p: 1 for p in params[(kind, role)]}
                signature.bind_partial("out", "settings", **wanted, **side.options)
    native = {c.key for c in loaded if c.section == "native"}
    assert {"tsctp", "txus"} <= native
    txus = next(c for c in loaded if c.key == "txus")
    ok, why = txus.available()
    assert ok or "stack" in why, why


def test_noImportCycle():
    """
    No benchmark module imports the driver, the contenders package imports
    none of the driver's helpers, and the modules' imports of each other
    form no cycle.
    """
    modules = {name[:-3] for name in os.listdir(BENCH) if name.endswith(".py")}
    graph = {}
    for name in modules:
        with open(os.path.join(BENCH, name + ".py")) as f:
            tree = ast.parse(f.read())
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
        graph[name] = found & (modules | {"contenders"})
    assert all("driver" not in deps for name, deps in graph.items() if name != "driver"), graph
    helpers = modules - {"common"}
    for path in os.listdir(os.path.join(BENCH, "contenders")):
        if path.endswith(".py"):
            with open(os.path.join(BENCH, "contenders", path)) as f:
                tree = ast.parse(f.read())
            imported = {n.module.split(".")[0] for n in ast.walk(tree)
                        if isinstance(n, ast.ImportFrom) and n.level == 0 and n.module}
            imported |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            assert not imported & helpers, (path, imported & helpers)

    def visit(name, path):
        assert name not in path, f"import cycle: {' -> '.join(path + [name])}"
        for dep in graph.get(name, ()):
            visit(dep, path + [name])

    for name in graph:
        visit(name, [])


def test_straceSummaryParsing():
    """
    The system-call table reads C{strace -c} summaries: calls per name,
    with or without an errors column, the total line left out.
    """
    syscalls = _benchmarkModule("syscalls")
    import tempfile

    sample = """% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 56.25    0.090000           6     14008           clock_gettime
 12.50    0.020000          10      2000           sendmsg
  6.25    0.010000           4      2002        17 recvmmsg
  0.00    0.000000           0         1         1 rseq
------ ----------- ----------- --------- --------- ----------------
100.00    0.160000           6     18011        18 total
"""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(sample)
    try:
        calls = syscalls.parse_strace(f.name)
    finally:
        os.unlink(f.name)
    assert calls == {"clock_gettime": 14008, "sendmsg": 2000, "recvmmsg": 2002, "rseq": 1}


def test_stallsAndMedians():
    """
    A table cell is the median of the verified runs (of the unverified
    ones, marked, when none verified); the T3 row counts the runs in which
    a retransmission timeout fired.
    """
    results = _benchmarkModule("results")
    R = results.Results()
    for mbs, t3 in [(350, 1), (1000, 0), (340, 0)]:
        run = results.Run(True, {"MB/s": mbs})
        run.counters = {"SctpT3RtxExpireds": t3} if t3 else {}
        R.add("tuned", "oneway16k", "c", run)
    R.add("tuned", "oneway16k", "c", results.Run(False, {"MB/s": 5}, "count mismatch"))
    R.add("tuned", "oneway16k", "stdlib", results.Run(False, {"MB/s": 7}, "count mismatch"))
    assert R.cell("tuned", "oneway16k", "c", "MB/s") == "350"
    assert R.cell("tuned", "oneway16k", "stdlib", "MB/s") == "7.00*"
    assert R.stalls("tuned", "oneway16k", "c") == "1/4"
    assert R.verified("tuned", "oneway16k", "c") == "3/4"
    assert R.cell("tuned", "pingpong", "c", "rt/s") == "-"


def test_targetsAreComputedFromTheRun():
    """
    The per-operation cost targets are judged on the figures given: the
    same transport figures pass or miss as the stdlib loop's figures move,
    the absolute ones against their limits, and the idle association's
    only at 10,000 associations.
    """
    callgrind = _benchmarkModule("callgrind")
    contenders = _benchmarkModule("contenders")
    loaded = contenders.load()
    measured = [c for c in loaded if c.key in ("stdlib", "tx1to1")]

    def verdicts(stdlib, idleCount=10000):
        section = callgrind.Section(measured, lambda msg: None, 2000, loaded)
        section.figures = {("tx1to1", "send"): 3000.0, ("tx1to1", "recv"): 7000.0, ("tx1to1", "echo"): 25000.0,
                           ("tx1to1", "setup"): 240000.0}
        section.figures.update({("stdlib", op): v for op, v in zip(("send", "recv", "echo"), stdlib)})
        text = section.targets(1900.0, idleCount)
        return [line.rsplit("|", 2)[-2].strip() for line in text.splitlines() if line.startswith("| ")][1:]

    assert verdicts((5000.0, 20000.0, 17000.0)) == ["PASS", "PASS", "PASS", "PASS", "PASS"]
    assert verdicts((4000.0, 19000.0, 16000.0)) == ["MISS", "MISS", "MISS", "PASS", "PASS"]
    assert verdicts((5000.0, 20000.0, 17000.0), idleCount=5000)[-1] == "n/a (run at 5,000)"


@needsSCTP
@needsCC
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (scripts/bootstrap installs it)")
def test_syscallCountsPerRoundTrip():
    """
    The strace-based count of the benchmark on a real association: the
    stdlib ping-pong server makes exactly one receive and one send per round
    trip (start-up cancels out between the short and the long run).
    """
    _buildCProgram()
    code = (
        "import json, contenders, syscalls\n"
        "by = {c.key: c for c in contenders.load()}\n"
        "print(json.dumps(syscalls.measure(by['stdlib'], by['c'], 'pingpong', 'server', 'echoed', (100, 600))))\n"
    )
    per = _runJSON(code)
    assert per is not None
    assert abs(per["sendmsg"] - 1.0) < 0.05 and abs(per["recvmsg"] - 1.0) < 0.05, per


@needsSCTP
@needsCC
def test_reactorFloor():
    """
    The reactor floor's sides run against real associations and verify:
    the pair of reactor-shaped ping-pong ends has every round trip echoed,
    the set-up client's associations are each accepted once, and the
    non-blocking C sender waits in epoll when the kernel refuses more (it
    really ran out of send buffer) while the receiver counts exactly what
    it sent.
    """
    _buildCProgram()
    code = (
        "import json, contenders, harness\n"
        "from common import TUNED\n"
        "floor = {c.key: c for c in contenders.load()}['floor']\n"
        "runs = [harness.pingpong(floor, 'pingpong', TUNED, 0.2, 60), harness.setup(floor, 'setup', TUNED, 0.2, 60),\n"
        "        harness.oneway(floor, 'oneway16k', TUNED, 0.2, 60)]\n"
        "side = floor.side('oneway16k', 'client')\n"
        "sent, got, err = harness._pair(lambda: harness.spawn(floor.side('oneway16k', 'server'), TUNED, size=16384),\n"
        "    lambda port: harness.spawn(side, TUNED, port=port, size=16384, duration=0, count=3000), 60)\n"
        "print(json.dumps([[r.ok, r.note, r.metrics] for r in runs] + [sent, got, err]))\n"
    )
    pp, su, ow, sent, got, err = _runJSON(code)
    for ok, note, metrics in (pp, su, ow):
        assert ok, note
        assert metrics["count"] > 0
    assert err == "", err
    assert sent["sent"] == got["msgs"] == got["expected"] == 3000 and got["bad"] == 0
    assert sent["waits"] > 0, sent


def test_reactorIterations():
    """
    The instruction counts' reference, Twisted's reactor with one readable
    descriptor and nothing to do, runs the iterations asked for (and
    stops); no SCTP needed.
    """
    out = subprocess.run(
        [sys.executable, os.path.join(BENCH, "child.py"), "reference", "reactor_iterations",
         json.dumps({"settings": {}, "params": {"count": 50}})],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    assert json.loads(out.stdout.decode().strip().splitlines()[-1]) == {"iterations": 50}


_DUMP = """# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 42
cmd:  {cmd}
part: 1

positions: line
events: Ir
summary: {total}
ob=(1) /usr/bin/python3.11
fl=(1) ???
fn=(1) main
0 100
cob=(2) /usr/lib/x86_64-linux-gnu/libusrsctp.so.2.0.0
cfi=(2) ???
cfn=(2) usrsctp_sendv
calls=3 0
0 600
cob=(2)
cfn=(3) usrsctp_handle_timers
calls=2 0
0 50
cfn=(4) helper
calls=1 0
0 250

ob=(2)
fn=(2)
0 400
cfn=(5) sctp_lower_sosend
calls=3 0
0 200

totals: {total}
"""


def test_callgrindDumpsSplitByLibrary(tmp_path):
    """
    The userspace table's split, read from callgrind dumps: the inclusive
    cost of the calls into libusrsctp from outside it (names compressed
    after their first mention; a call inside the library not counted
    again, a call back in the caller's object not at all), the calls of
    usrsctp_handle_timers, and with a command only the dumps of processes
    that ran that program (the Python side that runs tsctp left out).
    """
    callgrind = _benchmarkModule("callgrind")

    def write():
        (tmp_path / "cg.out.1").write_text(_DUMP.format(cmd="/usr/lib/usrsctp/tsctp -E 9899", total=1000))
        (tmp_path / "cg.out.2").write_text(_DUMP.format(cmd="/usr/bin/python3 child.py tsctp", total=5000))

    prefix = str(tmp_path / "cg.out")
    write()
    every = callgrind._totalIr(prefix, "libusrsctp", "usrsctp_handle_timers")
    assert (every.total, every.library, every.calls) == (6000, 1300, 4)
    assert not list(tmp_path.iterdir())  # the dumps are removed
    write()
    program = callgrind._totalIr(prefix, "libusrsctp", "usrsctp_handle_timers", "/usr/lib/usrsctp/tsctp")
    assert (program.total, program.library, program.calls) == (1000, 650, 2)
    assert (program - program / 2) == program / 2


def test_userspaceReportFromFigures():
    """
    The userspace stack's callgrind table from the figures given: a row per
    contender with its usrsctp share below it, ratios against tsctp where
    tsctp has the operation ("n/a" where it has none), the kernel stack's
    transport row beside them when the kernel figures exist, and the
    stdlib's absence said.
    """
    callgrind = _benchmarkModule("callgrind")
    contenders = _benchmarkModule("contenders")
    loaded = contenders.load()
    byKey = {c.key: c for c in loaded}
    N = callgrind.Instructions
    section = callgrind.UserspaceSection([byKey["txus"], byKey["tsctp"]], lambda msg: None, 2000, loaded)
    for key, op, figure in [("txus", "send", N(20000, 8000, 0.01)), ("txus", "recv", N(18000, 6000, 0.01)),
                            ("txus", "echo", N(150000, 25000, 0.3)), ("txus", "setup", N(1.5e6, 2e5, 1.0)),
                            ("txus", "tick", N(50000, 2000, 1.0)), ("tsctp", "send", N(10000, 9900)),
                            ("tsctp", "recv", N(8000, 7950))]:
        section.figures[(key, op)] = figure.total
        section.parts[(key, op)] = figure
    kernel = callgrind.Section([byKey["tx1to1"]], lambda msg: None, 2000, loaded)
    kernel.figures = {("tx1to1", "send"): 7000.0, ("tx1to1", "recv"): 10000.0}
    text = section.userspaceReport(kernel)
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines() if line.startswith("| ")]
    assert [r[0] for r in rows] == ["contender", "txsctp userspace", "of which in usrsctp's C",
                                    "of which Python, Twisted, txsctp", "tsctp (usrsctp, C)",
                                    "of which in usrsctp's C", "txsctp 1:1, kernel stack (table below)"]
    assert rows[1][1:] == ["20,000", "2.00x", "18,000", "2.25x", "150,000", "-", "1,500,000", "-"]
    assert rows[2][1:5] == ["8,000", "0.81x", "6,000", "0.75x"]
    assert rows[3][1:5] == ["12,000", "-", "12,000", "-"]
    assert rows[4][1:] == ["10,000", "1.00x", "8,000", "1.00x", "n/a", "", "n/a", ""]
    assert rows[6][1:5] == ["7,000", "", "10,000", ""]
    assert "Python's standard library has no userspace SCTP" in text


needsValgrind = pytest.mark.skipif(shutil.which("valgrind") is None,
                                   reason="valgrind is not installed (scripts/bootstrap installs it)")


@needsCC
@needsValgrind
def test_userspaceCallgrindRows():
    """
    The userspace stack's callgrind rows on a tiny count, natively (no
    kernel SCTP needed): sending and receiving 100-byte messages with
    txsctp's userspace stack give positive counts per message, part of
    them inside usrsctp and part outside it, and the table shows them.
    """
    _buildCProgram()
    code = (
        "import dataclasses, json, callgrind, contenders\n"
        "loaded = contenders.load()\n"
        "txus = next(c for c in loaded if c.key == 'txus')\n"
        "ok, why = txus.available()\n"
        "if not ok: print(json.dumps({'skip': why})); raise SystemExit\n"
        "txus = dataclasses.replace(txus, measure=frozenset({'send', 'recv'}))\n"
        "section = callgrind.UserspaceSection([txus], lambda msg: None, 100, loaded)\n"
        "section.run()\n"
        "parts = {op: [p.total, p.library] for (k, op), p in section.parts.items() if k == 'txus'}\n"
        "print(json.dumps({'parts': parts,\n"
        "                  'notes': section.notes, 'report': section.userspaceReport()}))\n"
    )
    got = _runJSON(code)
    if "skip" in got:
        pytest.skip(got["skip"])
    assert not got["notes"], got["notes"]
    for op in ("send", "recv"):
        total, library = got["parts"][op]
        assert 0 < library < total, (op, total, library)
    (row,) = [line for line in got["report"].splitlines() if line.startswith("| txsctp userspace ")]
    assert row.split("|")[2].strip() == f"{got['parts']['send'][0]:,.0f}", row


@needsCC
@needsValgrind
@pytest.mark.skipif(not os.access("/usr/lib/usrsctp/tsctp", os.X_OK),
                    reason="usrsctp's tsctp is not installed (Debian package libusrsctp-examples)")
def test_tsctpCountedAlone():
    """
    The C baseline is counted in tsctp alone: a run of tsctp receiving 200
    messages under callgrind, its Python side followed into the program,
    receives every message and counts instructions mostly inside usrsctp.
    Were the Python side counted too, its interpreter's start-up alone
    would be tens of times more than tsctp's whole run.
    """
    _buildCProgram()
    code = (
        "import json, callgrind, contenders\n"
        "loaded = contenders.load()\n"
        "tsctp = next(c for c in loaded if c.key == 'tsctp')\n"
        "section = callgrind.UserspaceSection([tsctp], lambda msg: None, 200, loaded)\n"
        "side = tsctp.side('oneway100', 'server')\n"
        "ir, mine, theirs = section._count(side, tsctp.side('oneway100', 'client'), 'recv', 200, probe=False,\n"
        "                                  follow=tsctp.wraps)\n"
        "print(json.dumps([ir.total, ir.library, mine['msgs']]))\n"
    )
    total, library, msgs = _runJSON(code)
    assert msgs == 200
    assert 0.5 * total < library <= total, (total, library)
