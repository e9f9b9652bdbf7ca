"""
The asyncio example (examples/asyncio_client.py): asyncio coroutines
awaiting an association's coming up, its echoes, its sender going dry and
its graceful close through C{Deferred.asFuture}, under txsctp's asyncio
reactor.  Run as a program, as a user would, with its output checked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from _support import REPO, kernelHasSCTP, needsKernel

EXAMPLE = os.path.join(REPO, "examples", "asyncio_client.py")
DEADLINE = 120


def _run(*args):
    proc = subprocess.run(
        [sys.executable, EXAMPLE, *args], cwd=REPO, capture_output=True, text=True,
        timeout=DEADLINE, env=dict(os.environ, PYTHONUNBUFFERED="1"), check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def _eventsOf(output, name):
    """
    What one client reported, in order: "up", "echo", "dry", "closed".
    """
    kinds = []
    for line in output.splitlines():
        if not line.startswith(f"[{name}] "):
            continue
        if re.search(r"association \d+ up: 4 outbound / 4 inbound streams", line):
            kinds.append("up")
        elif " echo " in line:
            kinds.append("echo")
            assert "MISMATCH" not in line, line
        elif "sender dry" in line:
            kinds.append("dry")
        elif "closed gracefully" in line:
            kinds.append("closed")
    return kinds


@needsKernel
@pytest.mark.parametrize("associations, count", [(2, 3), (3, 5)])
def test_asyncioExample(associations, count):
    status, out = _run("--associations", str(associations), "--count", str(count))
    assert status == 0, out
    for n in range(1, associations + 1):
        assert _eventsOf(out, f"client {n}") == ["up"] + ["echo"] * count + ["dry", "closed"], out
        for i in range(count):
            stream = i % 4
            assert (f"[client {n}] echo {i + 1}/{count} on stream {stream}, PPID {46 + stream}: "
                    f"client {n} message {i}") in out, out
    assert (f"asyncio example OK: {associations} associations, {associations * count} "
            "messages echoed") in out


@pytest.mark.skipif(kernelHasSCTP(), reason="checks the behaviour without kernel SCTP")
def test_asyncioExampleWithoutSCTP():
    """
    Where the kernel has no SCTP the example stops at once with the error
    that says so (no hang, no traceback from asyncio about a lost task).
    """
    status, out = _run()
    assert status == 1, out
    assert "CannotListenError" in out and "no SCTP support" in out
    assert "Task was destroyed" not in out and "never retrieved" not in out
