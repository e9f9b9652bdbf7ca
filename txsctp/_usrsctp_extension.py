"""
txsctp's compiled binding to usrsctp, checked: the userspace stack's
modules import C{ffi} and C{lib} from here, never from
C{txsctp._usrsctp_cffi} directly.

The binding is optional: setup.py builds it only where C{pkg-config}
finds usrsctp.  Without it, importing this module raises
L{UserspaceStackUnavailableError}, which says what to install and that
txsctp must then be rebuilt.  As L{txsctp._extension} does for the kernel
binding, the import also compares the SHA-256 of each build input the
module was compiled from (recorded in it: the build script
C{_usrsctp_build.py} and its area modules) with the file installed next
to it, so that a checkout whose declarations changed without a rebuild
fails here.
"""

from __future__ import annotations

import os
from typing import Dict, Optional

from txsctp._extension import _installedDigest
from txsctp.errors import UserspaceStackUnavailableError

__all__ = ["ffi", "lib", "checkBuild", "checkBuildInputs"]

try:
    from txsctp._usrsctp_cffi import ffi, lib
except ImportError as e:
    raise UserspaceStackUnavailableError(f"txsctp._usrsctp_cffi could not be imported: {e}") from None

_HERE = os.path.dirname(os.path.abspath(__file__))
_BUILD_SCRIPT = os.path.join(_HERE, "_usrsctp_build.py")


def checkBuild(builtDigest: str, installedDigest: Optional[str], name: str = "_usrsctp_build.py") -> None:
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
            "txsctp's usrsctp binding (txsctp._usrsctp_cffi) was built from another "
            f"version of txsctp/{name} than the one installed next to it: "
            "rebuild it (in a checkout: pip install --no-build-isolation -e . , or "
            "scripts/bootstrap)"
        )


def recordedInputs() -> Dict[str, str]:
    """
    The digest the compiled module records for each build input, by file
    name.
    """
    text = ffi.string(lib.txu_build_inputs()).decode("ascii")
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
checkBuild(ffi.string(lib.txu_build_digest()).decode("ascii"), _installedDigest(_BUILD_SCRIPT))
checkBuildInputs(recordedInputs())
