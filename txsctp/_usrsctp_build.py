"""
cffi build script for C{txsctp._usrsctp_cffi}: the binding to the system's
usrsctp (the FreeBSD SCTP stack as a library) that L{txsctp._usrsctp}
drives.

Out-of-line API mode, like C{txsctp._build}: compiled against the real
C{<usrsctp.h>} (Debian/Ubuntu C{libusrsctp-dev}, Fedora C{usrsctp-devel},
Homebrew C{usrsctp}) and linked with C{-lusrsctp}, both found with
C{pkg-config usrsctp}.  setup.py builds this module only when
C{pkg-config --exists usrsctp} succeeds; without it txsctp builds and the
kernel stack works, and importing L{txsctp._usrsctp} says what to install.

Besides usrsctp's declarations the module holds C helpers that keep
per-packet and per-message work out of Python.  Laid out as the kernel
binding's build is: one module per area, each with C{INCLUDES},
C{TYPES}, C{CONSTANTS}, C{FUNCTIONS} and C{CUSTOMIZATIONS} (the helpers'
C source), concatenated here, area by area in this order, into one
C{cdef} and one C{set_source}:

  - C{_usrsctp_build_api}: usrsctp's own API from C{<usrsctp.h>};
  - C{_usrsctp_build_stack}: the state the helpers share, start-up and
    timers;
  - C{_usrsctp_build_peers}: the table of conn-address handles (one per
    remote UDP endpoint);
  - C{_usrsctp_build_packets}: the packet queue behind usrsctp's output
    callback and its draining (C{sendmmsg}), and batched UDP receiving
    that feeds usrsctp (C{recvmmsg});
  - C{_usrsctp_build_sockets}: readiness, the sockets' life cycle, and
    batched send and receive with txsctp's record layout and Linux flag
    values.

The compiled module records the SHA-256 of each build input (this file
and the area modules, L{BUILD_INPUTS}), which C{txsctp._usrsctp_extension}
compares with the files installed next to it at import: a checkout whose
declarations changed without a rebuild fails there instead of running C
older than its Python.

cffi's setuptools integration runs this file by path (not as an import), so
the area modules are read by path too, from this file's directory.
"""

import hashlib
import os
import runpy
import shutil
import subprocess
from typing import Any, Dict, List, Optional, Tuple

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))

AREAS = ("_usrsctp_build_api", "_usrsctp_build_stack", "_usrsctp_build_peers", "_usrsctp_build_packets",
         "_usrsctp_build_sockets")

BUILD_INPUTS = ("_usrsctp_build.py",) + tuple(area + ".py" for area in AREAS)
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
    module records, and what C{txsctp._usrsctp_extension} checks it
    against.
    """
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def inputDigests(directory: str = HERE) -> Dict[str, str]:
    """
    The SHA-256 of each of L{BUILD_INPUTS} in C{directory}, by file name.
    """
    return {name: sourceDigest(os.path.join(directory, name)) for name in BUILD_INPUTS}


_DIGEST_FUNCTIONS = """
const char *txu_build_digest(void);
const char *txu_build_inputs(void);
"""


def _digestSource() -> str:
    """
    C{txu_build_digest()}: this file's digest; C{txu_build_inputs()}: one
    C{"name digest"} line per build input.
    """
    digests = inputDigests()
    manifest = "".join(f"{name} {digest}\\n" for name, digest in digests.items())
    return (f'#define TXU_BUILD_DIGEST "{digests["_usrsctp_build.py"]}"\n'
            "const char *txu_build_digest(void) { return TXU_BUILD_DIGEST; }\n"
            f'const char *txu_build_inputs(void) {{ return "{manifest}"; }}\n')


def _pkgConfig(*args: str) -> List[str]:
    """
    C{pkg-config usrsctp} output split into words (empty where pkg-config
    is missing or says nothing).
    """
    if shutil.which("pkg-config") is None:
        return []
    try:
        out = subprocess.run(["pkg-config", *args, "usrsctp"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return out.split()


def available() -> bool:
    """
    C{True} if C{pkg-config} knows usrsctp (setup.py builds this module
    only then).
    """
    if shutil.which("pkg-config") is None:
        return False
    return subprocess.run(["pkg-config", "--exists", "usrsctp"]).returncode == 0


def _flags() -> Tuple[List[str], List[Tuple[str, Optional[str]]], List[str], List[str]]:
    cflags = _pkgConfig("--cflags")
    libs = _pkgConfig("--libs") or ["-lusrsctp"]
    includeDirs = [f[2:] for f in cflags if f.startswith("-I")]
    macros: List[Tuple[str, Optional[str]]] = []
    for f in cflags:
        if f.startswith("-D"):
            name, _, value = f[2:].partition("=")
            macros.append((name, value or None))
    libraries = [f[2:] for f in libs if f.startswith("-l")]
    libraryDirs = [f[2:] for f in libs if f.startswith("-L")]
    return includeDirs, macros, libraries, libraryDirs


def _constantDeclarations(names: List[str]) -> str:
    return "".join(f"#define {name} ...\n" for name in names)


def makeBuilder() -> FFI:
    """
    The cffi builder of C{txsctp._usrsctp_cffi}, from the areas, with the
    compiler and linker flags C{pkg-config usrsctp} gives.
    """
    areas = loadAreas()
    includeDirs, macros, libraries, libraryDirs = _flags()
    builder = FFI()
    builder.cdef(
        "".join(area["TYPES"] for area in areas)
        + _constantDeclarations([name for area in areas for name in area["CONSTANTS"]])
        + "".join(area["FUNCTIONS"] for area in areas)
        + _DIGEST_FUNCTIONS
    )
    builder.set_source(
        "txsctp._usrsctp_cffi",
        "".join(area["INCLUDES"] for area in areas)
        + "".join(area["CUSTOMIZATIONS"] for area in areas)
        + _digestSource(),
        include_dirs=includeDirs,
        define_macros=macros,
        libraries=libraries or ["usrsctp"],
        library_dirs=libraryDirs,
        extra_compile_args=["-O2", "-Wall", "-Wno-unused-function", "-Wno-unused-label"],
    )
    return builder


ffibuilder = makeBuilder()

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
