"""
cffi build script for C{txsctp._sctp_cffi}: the one place where the C types,
constants and functions txsctp uses from the C library and the kernel SCTP
API are declared, and where txsctp's own C helpers are compiled.

Out-of-line API mode: the extension is compiled against the system's real
headers -- the C library's and the kernel's C{<linux/sctp.h>}, never
libsctp's C{<netinet/sctp.h>} -- so building needs a C compiler, Python's
headers and the kernel headers (Debian/Ubuntu: C{gcc}, C{python3-dev},
C{linux-libc-dev}; Fedora/RHEL: C{gcc}, C{python3-devel},
C{kernel-headers}); C{setup.py}'s C{build_ext} checks for them first
(C{txsctp._buildenv}) and names what is missing.  Nothing here links
against C{libsctp.so}: all SCTP calls go through plain
C{setsockopt}/C{getsockopt}/C{sendmsg}/C{recvmsg} (and their batched
C{sendmmsg}/C{recvmmsg} forms), so the built module has no run-time
dependency beyond libc.

Layout, after pyca/cryptography's old C{_cffi_src}: one module per area,
each with C{INCLUDES} (the C headers), C{TYPES} (structs and typedefs),
C{CONSTANTS} (integer constant names), C{FUNCTIONS} (the declarations) and
C{CUSTOMIZATIONS} (the C source of txsctp's helpers), concatenated here,
area by area in this order, into one C{cdef} and one C{set_source}:

  - C{_build_socket}: the C library's socket API;
  - C{_build_sctp}: the kernel SCTP API of C{<linux/sctp.h>};
  - C{_build_batch}: txsctp's batched send and receive helpers.

The compiled module records the SHA-256 of each build input (this file and
the area modules, L{BUILD_INPUTS}), which C{txsctp._extension} compares
with the files installed next to it at import: a checkout whose
declarations changed without a rebuild fails there, with the rebuild
command, instead of deep inside with a missing symbol.

cffi's setuptools integration runs this file by path (not as an import), so
the area modules are read by path too, from this file's directory.
"""

import hashlib
import os
import runpy
from typing import Any, Dict, List

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))

AREAS = ("_build_socket", "_build_sctp", "_build_batch")

BUILD_INPUTS = ("_build.py",) + tuple(area + ".py" for area in AREAS)
"""Every file the compiled module is made from, relative to this one."""


def loadAreas(directory: str = HERE) -> List[Dict[str, Any]]:
    """
    The area modules' globals, in build order.
    """
    return [runpy.run_path(os.path.join(directory, area + ".py"), run_name=f"txsctp.{area}")
            for area in AREAS]


def sourceDigest(path: str = __file__) -> str:
    """
    The SHA-256 (hex) of the build input at C{path}: what the compiled
    module records, and what C{txsctp._extension} checks it against.
    """
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def inputDigests(directory: str = HERE) -> Dict[str, str]:
    """
    The SHA-256 of each of L{BUILD_INPUTS} in C{directory}, by file name.
    """
    return {name: sourceDigest(os.path.join(directory, name)) for name in BUILD_INPUTS}


_DIGEST_FUNCTIONS = """
const char *txsctp_build_digest(void);
const char *txsctp_build_inputs(void);
"""


def _digestSource() -> str:
    """
    C{txsctp_build_digest()}: this file's digest; C{txsctp_build_inputs()}:
    one C{"name digest"} line per build input.
    """
    digests = inputDigests()
    manifest = "".join(f"{name} {digest}\\n" for name, digest in digests.items())
    return (f'#define TXSCTP_BUILD_DIGEST "{digests["_build.py"]}"\n'
            "const char *txsctp_build_digest(void) { return TXSCTP_BUILD_DIGEST; }\n"
            f'const char *txsctp_build_inputs(void) {{ return "{manifest}"; }}\n')


def _constantDeclarations(names: List[str]) -> str:
    return "".join(f"#define {name} ...\n" for name in names)


def makeBuilder() -> FFI:
    """
    The cffi builder of C{txsctp._sctp_cffi}, from the areas.
    """
    areas = loadAreas()
    builder = FFI()
    builder.cdef(
        "".join(area["TYPES"] for area in areas)
        + _constantDeclarations([name for area in areas for name in area["CONSTANTS"]])
        + "".join(area["FUNCTIONS"] for area in areas)
        + _DIGEST_FUNCTIONS
    )
    builder.set_source(
        "txsctp._sctp_cffi",
        "".join(area["INCLUDES"] for area in areas)
        + "".join(area["CUSTOMIZATIONS"] for area in areas)
        + _digestSource(),
        extra_compile_args=["-O2", "-Wall", "-Wno-unused-function"],
    )
    return builder


ffibuilder = makeBuilder()

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
