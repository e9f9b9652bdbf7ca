"""
Smoke run of the benchmark suite (benchmarks/run --quick, docs/benchmarks.md).

It only checks that the quick mode completes on this kernel and prints its
table with message counts verified by the receivers: no timing is asserted
(figures from a shared, single-CPU test kernel say nothing in a pass/fail
suite).  pysctp is not installed from here (no network needed): it is
benchmarked only if an earlier benchmarks/run installed it.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from _support import REPO, kernelHasSCTP

RUN = os.path.join(REPO, "benchmarks", "run")


pytestmark = [
    pytest.mark.skipif(not kernelHasSCTP(), reason="needs a kernel with SCTP (run the suite with scripts/test)"),
    pytest.mark.skipif(shutil.which("cc") is None, reason="the benchmark builds its C contender with cc"),
]


def _benchmarkModule(name):
    """
    Import one of the benchmark's modules (C{benchmarks/} is not a package).
    """
    import importlib

    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


def _buildCProgram():
    """
    Have benchmarks/run build its C contender (C{--help} builds it if
    missing or older than its source, then exits).
    """
    build = subprocess.run([RUN, "--help"], cwd=REPO, env=dict(os.environ, BENCH_NO_PYSCTP_INSTALL="1",
                           BENCH_NO_BOOTSTRAP="1", BENCH_PYTHON=sys.executable),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    assert build.returncode == 0, build.stderr.decode(errors="replace")[-2000:]


def _runJSON(code):
    """
    Run C{code} in a fresh interpreter from the repository root (where it
    imports the benchmark's modules) and return the JSON of its last
    output line.
    """
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=180)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-4000:]
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def test_quickBenchmark(tmp_path):
    """
    C{benchmarks/run --quick} exits 0, prints the results table with a
    "verified" row and the targets, and its one-way runs delivered exactly
    the messages sent (checked by the receivers) for C, the stdlib loop and
    txsctp.
    """
    report = tmp_path / "quick.json"
    env = dict(os.environ, BENCH_NO_PYSCTP_INSTALL="1", BENCH_NO_BOOTSTRAP="1", BENCH_PYTHON=sys.executable)
    proc = subprocess.run(
        [RUN, "--quick", "--json", str(report)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180,
    )
    out = proc.stdout.decode(errors="replace")
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, f"benchmarks/run --quick failed ({proc.returncode}):\n{out}\n{err[-4000:]}"
    assert "== configuration: tuned ==" in out, out
    assert "| one-way 100 B" in out and "verified" in out, out
    assert "== issue 5 targets ==" in out, out

    runs = json.loads(report.read_text())["runs"]
    oneway = {r["contender"]: r for r in runs if r["workload"] == "oneway100"}
    for key in ("c", "stdlib", "txsock"):
        assert key in oneway, f"no one-way run for {key}: {sorted(oneway)}"
        run = oneway[key]
        assert run["ok"], f"{key}: receiver did not verify the count: {run['note']}"
        assert run["metrics"]["count"] > 0
        # The kernel's loss-recovery counters are kept per run.
        assert isinstance(run["kernel"], dict), run
    assert "loss recovery (tuned)" in out, out
    # Every workload of the quick mode ran at least for the C contender.
    for workload in ("oneway100", "pingpong", "setup", "fanin"):
        assert any(r["workload"] == workload and r["contender"] == "c" and r["ok"] for r in runs), workload


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


def test_lossRecoveryReport():
    """
    The loss-recovery table gives, per one-way workload and contender, the
    median of the receiver's discarded DATA chunks over the verified runs
    and how many of them had a T3 retransmission timeout; failed runs and
    contenders without runs are left out.
    """
    driver = _benchmarkModule("driver")

    bench = driver.Bench(driver.parse_args([]))
    for discards, t3 in [(900, 0), (1200, 1), (1000, 0)]:
        run = driver.Run(True, {"MB/s": 1.0})
        run.counters = {"SctpInDataChunkDiscards": discards, "SctpFastRetransmits": discards}
        if t3:
            run.counters["SctpT3RtxExpireds"] = t3
        bench.results.add("tuned", "oneway16k", "c", run)
    failed = driver.Run(False, note="count mismatch")
    failed.counters = {"SctpInDataChunkDiscards": 5000, "SctpT3RtxExpireds": 2}
    bench.results.add("tuned", "oneway16k", "c", failed)
    contenders = [driver.BY_KEY["c"], driver.BY_KEY["txsock"]]
    lines = bench.loss_report("tuned", ["oneway16k", "pingpong"], contenders)
    text = "\n".join(lines)
    row = next(line for line in text.splitlines() if line.startswith("| one-way 16 KiB"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells == ["one-way 16 KiB", "1,000; T3 1/3", "-"], row
    assert "ping-pong" not in text
    assert bench.loss_report("tuned", ["pingpong"], contenders) == []
    assert driver.snmp_text({"SctpT3RtxExpireds": 1, "SctpInDataChunkDiscards": 7}) == "[T3Rtx=1 Discards=7]"


def test_targetsWithoutStalls():
    """
    A 16 KiB target whose baseline waited out retransmission timeouts in
    some runs gets a second verdict on the runs without one: C's stalled
    runs make the plain median PASS, the stall-free ones MISS.
    """
    driver = _benchmarkModule("driver")

    bench = driver.Bench(driver.parse_args([]))
    for mbs, t3 in [(350, 1), (1000, 0), (340, 1)]:
        run = driver.Run(True, {"MB/s": mbs})
        run.counters = {"SctpT3RtxExpireds": t3} if t3 else {}
        bench.results.add("tuned", "oneway16k", "c", run)
    for mbs in (600, 650, 700):
        bench.results.add("tuned", "oneway16k", "txsock", driver.Run(True, {"MB/s": mbs}))
    text = bench.targets([("tuned", driver.TUNED)])
    row = next(line for line in text.splitlines()
               if line.startswith("| one-way 16 KiB MB/s (tuned)") and driver.BY_KEY["txsock"].name in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:] == ["650", "350", "1.86", "PASS", "T3 2/3 0/3: 0.65 MISS", "-"], cells
    assert "runs without T3 stalls" in text


def test_targetsShowTheReactorFloor():
    """
    The tuned targets of the reactor transports carry the ratio their
    reactor floor (measured by side) reached in the same run, with a note
    saying what that floor is; the socket layer's rows, the host-default
    rows and targets without a floor show none.
    """
    driver = _benchmarkModule("driver")

    bench = driver.Bench(driver.parse_args([]))
    bench.floors = {"pingpong": 0.7412}
    for config in ("tuned", "defaults"):
        for key, rts in (("stdlib", 3000), ("tx1to1", 2200), ("txsock", 3100)):
            bench.results.add(config, "pingpong", key, driver.Run(True, {"rt/s": rts}))
        for key, mps in (("c", 90000), ("tx1to1", 85000)):
            bench.results.add(config, "oneway100", key, driver.Run(True, {"msgs/s": mps}))
    text = bench.targets([("defaults", driver.DEFAULTS), ("tuned", driver.TUNED)])

    def lastCell(label, key):
        row = next(line for line in text.splitlines()
                   if line.startswith(f"| {label}") and driver.BY_KEY[key].name in line)
        return [c.strip() for c in row.strip("|").split("|")][-1]

    assert lastCell("ping-pong rt/s (tuned)", "tx1to1") == "0.74x"
    assert lastCell("ping-pong rt/s (tuned)", "txsock") == "-"
    assert lastCell("ping-pong rt/s (host defaults)", "tx1to1") == "-"
    assert lastCell("one-way 100 B msgs/s (tuned) >= 60% of C", "tx1to1") == "-"
    assert "reactor floor, ping-pong: a stdlib pair whose two ends wait in epoll" in text
    assert "reactor floor, set-up" not in text


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (scripts/bootstrap installs it)")
def test_syscallCountsPerRoundTrip():
    """
    The strace-based count of the benchmark on a real association: the
    stdlib ping-pong server makes exactly one receive and one send per round
    trip (start-up cancels out between the short and the long run).
    """
    _buildCProgram()
    code = (
        "import sys, json; sys.path.insert(0, 'benchmarks'); import driver, syscalls\n"
        "[c.check() for c in driver.BY_KEY.values()]\n"
        "print(json.dumps(syscalls.measure('stdlib', 'pingpong', 'server')))\n"
    )
    per = _runJSON(code)
    assert per is not None
    assert abs(per["sendmsg"] - 1.0) < 0.05 and abs(per["recvmsg"] - 1.0) < 0.05, per


def test_reactorFloorReferences():
    """
    The reference loops of the benchmark's by-side section
    (benchmarks/split.py) run against real associations and verify: the
    stdlib ping-pong client waiting as a reactor does (with a timer pending)
    gets every round trip echoed, and so does the pair of reactor-shaped
    ends (the reference echo server waiting in epoll), the non-blocking
    set-up client's associations are each accepted once, and so are the TCP
    reference loop's connections.
    """
    code = (
        "import sys, json; sys.path.insert(0, 'benchmarks'); import split\n"
        "pp = [r for r in split.PINGPONG if r[2][3].get('wait') == 'reactor+timer'][0]\n"
        "su = [r for r in split.SETUP if r[2][1] == 'reference'][0]\n"
        "tcp = [r for r in split.SETUP if r[0] == 'TCP'][0]\n"
        "pair = [r for r in split.PINGPONG if r[1][1] == 'reference'][0]\n"
        "timer = [r for r in split.SETUP if r[2][3].get('wait') == 'reactor+timer'][0]\n"
        "print(json.dumps([split.pingpong(pp[1], pp[2], 100, 0, 200, 60),\n"
        "                  split.setup(su[1], su[2], 0.2, 60), split.setup(tcp[1], tcp[2], 0.2, 60),\n"
        "                  split.pingpong(pair[1], pair[2], 100, 0, 200, 60),\n"
        "                  split.setup(timer[1], timer[2], 0.2, 60)]))\n"
    )
    (pp, ppWhy), (su, suWhy), (tcp, tcpWhy), (pair, pairWhy), (timer, timerWhy) = _runJSON(code)
    assert pp is not None, ppWhy
    assert pp["rt/s"] > 0 and pp["p50 us"] > 0
    assert pair is not None, pairWhy
    assert pair["rt/s"] > 0 and pair["p50 us"] > 0
    assert su is not None, suWhy
    assert su["assoc/s p50"] > 0
    assert tcp is not None, tcpWhy
    assert tcp["assoc/s p50"] > 0
    assert timer is not None, timerWhy
    assert timer["assoc/s p50"] > 0


def test_nonBlockingSenderFloor():
    """
    The reactor floor of the one-way by-side table (benchmarks/split.py): the
    C sender made non-blocking waits in epoll when the kernel refuses more
    (it really ran out of send buffer), and the C receiver counts exactly
    what it sent; the table's own measurement of that row verifies too and
    counts the packets both ends sent, on the tuned settings and on the
    host-default ones (the second by-side table).
    """
    _buildCProgram()
    code = (
        "import sys, json; sys.path.insert(0, 'benchmarks'); import driver, split\n"
        "from common import TUNED\n"
        "row = [r for r in split.ONEWAY if r[2][3].get('cargs') == ['--nonblock', '1']][0]\n"
        "args = TUNED.c_args() + ['--size', '16384']\n"
        "sent, got, err = driver._pair(lambda: driver.spawn_c('recv', args),\n"
        "    lambda port: driver.spawn_c('send', args + ['--port', str(port), '--count', '3000',\n"
        "                                                '--nonblock', '1']), 60)\n"
        "print(json.dumps([sent, got, err, split.oneway(row[1], row[2], 16384, 0.2, 60),\n"
        "                  split.oneway(row[1], row[2], 16384, 0.2, 60, split.DEFAULTS)]))\n"
    )
    sent, got, err, (figures, why), (defaultFigures, defaultWhy) = _runJSON(code)
    assert err == "", err
    assert sent["sent"] == got["msgs"] == got["expected"] == 3000 and got["bad"] == 0
    assert sent["waits"] > 0, sent
    assert figures is not None, why
    assert figures["MB/s"] > 0 and figures["packets/msg"] > 0
    assert defaultFigures is not None, defaultWhy
    assert defaultFigures["MB/s"] > 0 and defaultFigures["packets/msg"] > 0


def test_onewayBySideRows():
    """
    The one-way by-side table judges each row on its runs without a T3
    stall, against the first row's (the C pair, whose runs are pooled from
    two per repetition), and counts the stalled runs apart.
    """
    split = _benchmarkModule("split")
    run = lambda mbs, t3: {"MB/s": mbs, "T3": float(t3), "packets/msg": 1.0}  # noqa: E731
    figures = {0: [run(1000, 0), run(300, 1), run(1200, 0)], 1: [run(550, 0), run(200, 1)]}
    rows = split._onewayRows(figures, split.ONEWAY[:2], [6, 3])
    (_, _, _, allBase, calmBase, ratioBase, t3Base, _, verifiedBase), \
        (_, _, _, allRow, calmRow, ratioRow, t3Row, _, verifiedRow) = rows
    assert (allBase, calmBase, ratioBase, t3Base, verifiedBase) == ("1,000", "1,100", "baseline", "1/3", "3/6")
    assert (calmRow, ratioRow, t3Row, verifiedRow) == ("550", "0.50x", "1/2", "2/3")
    # The second row is the one-way reactor floor: its ratio is recorded
    # when a floors mapping is given.
    floors = {}
    split._onewayRows(figures, split.ONEWAY[:2], [6, 3], floors)
    assert floors == {"oneway16k": 0.5}


def test_bySideRowsRecordTheFloors():
    """
    The ping-pong and set-up by-side tables record the ratio of their
    reactor floor's pair (split.FLOORS) to the group's baseline, and record
    nothing when that pair had no verified run.
    """
    split = _benchmarkModule("split")

    class Bench:
        def __init__(self):
            self.floors = {}

        def say(self, msg):
            pass

    bench = Bench()
    floorPair = next(i for i, (_, s, c) in enumerate(split.SETUP) if (s[0], c[0]) == split.FLOORS["setup"])
    rates = {0: 1500.0, floorPair: 900.0}

    def measure(server, client):
        i = next(i for i, (_, s, c) in enumerate(split.SETUP) if (s, c) == (server, client))
        rate = rates.get(i, 700.0)
        return {"assoc/s p50": rate, "p50 us": 1e6 / rate}, ""

    rows = split._rows(bench, "setup", split.SETUP, measure, "assoc/s p50", 1)
    assert rows[floorPair][5] == "0.60x"
    assert bench.floors == {"setup": 0.6}
    bench.floors = {}
    split._rows(bench, "setup", split.SETUP, lambda s, c: (None, "refused"), "assoc/s p50", 1)
    assert bench.floors == {}
