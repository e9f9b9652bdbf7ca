"""
txsctp's compiled cffi module, checked: every module that needs the C
layer imports C{ffi} and C{lib} from here, never from
C{txsctp._sctp_cffi} directly.

The check compares the SHA-256 of the build script the module was compiled
from (recorded in it) with the script installed next to it.  They differ
only in a checkout whose C declarations changed without a rebuild; then
the import fails at once with the command that fixes it, rather than later
with a missing C function or a wrong struct layout.
"""

from __future__ import annotations

import hashlib
import os
from typing import Optional

from txsctp._sctp_cffi import ffi, lib

__all__ = ["ffi", "lib", "checkBuild"]

_BUILD_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_build.py")


def _installedDigest(path: str = _BUILD_SCRIPT) -> Optional[str]:
    """
    The SHA-256 (hex) of the build script at C{path}, or C{None} if it is
    not there (a stripped installation: nothing to compare with).
    """
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def checkBuild(builtDigest: str, installedDigest: Optional[str]) -> None:
    """
    @param builtDigest: the digest the compiled module records.
    @param installedDigest: the digest of the build script beside it
        (C{None}: unknown, accepted).
    @raise ImportError: they differ: the compiled module is out of date.
    """
    if installedDigest is not None and builtDigest != installedDigest:
        raise ImportError(
            "txsctp's compiled extension (txsctp._sctp_cffi) was built from another "
            "version of txsctp/_build.py than the one installed next to it: rebuild it "
            "(in a checkout: pip install --no-build-isolation -e . , or scripts/bootstrap)"
        )


checkBuild(ffi.string(lib.txsctp_build_digest()).decode("ascii"), _installedDigest())
