"""
txsctp's compiled cffi module, checked: every module that needs the C
layer imports C{ffi} and C{lib} from here, never from
C{txsctp._sctp_cffi} directly.

The check compares the SHA-256 of each build input the module was compiled
from (recorded in it: the build script C{_build.py} and its area modules)
with the file installed next to it.  They differ only in a checkout whose
C declarations changed without a rebuild; then the import fails at once
with the command that fixes it, rather than later with a missing C
function or a wrong struct layout.
"""

from __future__ import annotations

import hashlib
import os
from typing import Dict, Optional

from txsctp._sctp_cffi import ffi, lib

__all__ = ["ffi", "lib", "checkBuild", "checkBuildInputs"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_BUILD_SCRIPT = os.path.join(_HERE, "_build.py")


def _installedDigest(path: str = _BUILD_SCRIPT) -> Optional[str]:
    """
    The SHA-256 (hex) of the build input at C{path}, or C{None} if it is
    not there (a stripped installation: nothing to compare with).
    """
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def checkBuild(builtDigest: str, installedDigest: Optional[str], name: str = "_build.py") -> None:
    """
    @param builtDigest: the digest the compiled module records for the
        build input C{name}.
    @param installedDigest: the digest of that file beside it (C{None}:
        unknown, accepted).
    @param name: the build input's file name in the package.
    @raise ImportError: they differ: the compiled module is out of date.
    """
    if installedDigest is not None and builtDigest != installedDigest:
        raise ImportError(
            "txsctp's compiled extension (txsctp._sctp_cffi) was built from another "
            f"version of txsctp/{name} than the one installed next to it: rebuild it "
            "(in a checkout: pip install --no-build-isolation -e . , or scripts/bootstrap)"
        )


def recordedInputs() -> Dict[str, str]:
    """
    The digest the compiled module records for each build input, by file
    name.
    """
    text = ffi.string(lib.txsctp_build_inputs()).decode("ascii")
    return dict(line.split(" ", 1) for line in text.splitlines())


def checkBuildInputs(recorded: Dict[str, str], directory: str = _HERE) -> None:
    """
    L{checkBuild} for every build input the compiled module records.

    @param recorded: file name -> digest, as L{recordedInputs} returns.
    @param directory: where the installed build inputs are.
    @raise ImportError: one of them differs.
    """
    for name, digest in sorted(recorded.items()):
        checkBuild(digest, _installedDigest(os.path.join(directory, name)), name)


# The build script first: a module it no longer matches may predate the
# per-input record altogether.
checkBuild(ffi.string(lib.txsctp_build_digest()).decode("ascii"), _installedDigest())
checkBuildInputs(recordedInputs())
