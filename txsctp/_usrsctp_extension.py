"""
txsctp's compiled binding to usrsctp, checked: the userspace stack's
modules import C{ffi} and C{lib} from here, never from
C{txsctp._usrsctp_cffi} directly.

The binding is optional: setup.py builds it only where C{pkg-config}
finds usrsctp.  Without it, importing this module raises
L{UserspaceStackUnavailableError}, which says what to install and that
txsctp must then be rebuilt.  As L{txsctp._extension} does for the kernel
binding, the import also compares the SHA-256 of the build script the
module was compiled from with the one installed next to it, so that a
checkout whose declarations changed without a rebuild fails here.
"""

from __future__ import annotations

import os

from txsctp._extension import _installedDigest
from txsctp.errors import UserspaceStackUnavailableError

__all__ = ["ffi", "lib"]

try:
    from txsctp._usrsctp_cffi import ffi, lib
except ImportError as e:
    raise UserspaceStackUnavailableError(f"txsctp._usrsctp_cffi could not be imported: {e}") from None

_BUILD_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_usrsctp_build.py")


def checkBuild(builtDigest: str, installedDigest: "str | None") -> None:
    """
    @param builtDigest: the digest the compiled module records.
    @param installedDigest: the digest of the build script beside it
        (C{None}: unknown, accepted).
    @raise ImportError: they differ: the compiled module is out of date.
    """
    if installedDigest is not None and builtDigest != installedDigest:
        raise ImportError(
            "txsctp's usrsctp binding (txsctp._usrsctp_cffi) was built from another "
            "version of txsctp/_usrsctp_build.py than the one installed next to it: "
            "rebuild it (in a checkout: pip install --no-build-isolation -e . , or "
            "scripts/bootstrap)"
        )


checkBuild(ffi.string(lib.txu_build_digest()).decode("ascii"), _installedDigest(_BUILD_SCRIPT))
