"""
The type check and the linter, as part of the test suite: C{mypy} on
C{txsctp/} and C{ruff check} on the whole project are clean, each with the
configuration in pyproject.toml.  Both tools are in the C{test} extra, so
the suite runs them wherever it runs; they read the source only (no kernel
SCTP needed).
"""

from __future__ import annotations

import subprocess
import sys

from _support import REPO

TIMEOUT = 600


def _run(*argv):
    result = subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True,
                            timeout=TIMEOUT, check=False, cwd=REPO)
    return result.returncode, result.stdout + result.stderr


def test_mypyIsClean():
    """
    C{mypy txsctp} with the project's configuration (Twisted's settings,
    the zope plugin, every function annotated) reports nothing.
    """
    status, output = _run("mypy", "--config-file", "pyproject.toml", "txsctp")
    assert "No module named mypy" not in output, "mypy is in the test extra: pip install -e '.[test]'"
    assert status == 0, output
    assert "Success: no issues found" in output, output


def test_ruffIsClean():
    """
    C{ruff check} on everything pyproject.toml lists (the package, tests,
    examples, benchmarks, the dropins, the docs extension) reports
    nothing.
    """
    status, output = _run("ruff", "check", "--no-cache", ".")
    assert "No module named ruff" not in output, "ruff is in the test extra: pip install -e '.[test]'"
    assert status == 0, output
    assert "All checks passed!" in output, output
