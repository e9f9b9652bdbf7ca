"""
The transport tests on the poll and select reactors (the main run uses
epoll): each runs tests/test_transport.py in a pytest subprocess with
C{TXSCTP_TEST_REACTOR} set, inside the same kernel.

On select, the 1,000-association test is left out: select() cannot watch
descriptors numbered 1024 or above (FD_SETSIZE), which 1,000 client and
server sockets in one process exceed; that is select's limit, not
txsctp's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.mark.parametrize("reactorName", ["poll", "select"])
def test_transport_suite_on_reactor(reactorName):
    env = dict(os.environ, TXSCTP_TEST_REACTOR=reactorName)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         "-k", "not thousand" if reactorName == "select" else "",
         str(HERE / "test_transport.py")],
        env=env, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=600,
    )
    print(result.stdout[-3000:])
    assert f"reactor={reactorName}" in result.stdout
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
