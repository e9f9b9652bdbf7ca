"""
The build's first step: check that this machine can compile txsctp's C
extension, and say what to install when it cannot.

Without it, a missing C compiler, missing Python headers or missing kernel
headers surface as a compiler command line and its error, or a traceback,
halfway through C{pip install}.  L{checkBuildEnvironment} tries each in
turn before anything is compiled and raises L{BuildEnvironmentError}, whose
message names what is missing and the package that provides it on
Debian/Ubuntu and on Fedora/RHEL.  C{setup.py} runs it for
C{txsctp._sctp_cffi} through the C{build_ext} command L{checkedBuildExt}
makes.

This module is not a build input of the compiled module (it changes
nothing in it), and it imports nothing of txsctp: C{setup.py} loads it by
path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

if TYPE_CHECKING:
    from setuptools import Extension

EXTENSION = "txsctp._sctp_cffi"

# What is missing: (what the message says, Debian/Ubuntu package,
# Fedora/RHEL package).
_WHAT = {
    "compiler": ("no C compiler found", "gcc", "gcc"),
    "python": ("Python's C headers (Python.h) are missing", "python3-dev", "python3-devel"),
    "libc": ("the C library's headers are missing", "libc6-dev", "glibc-devel"),
    "kernel": ("the Linux kernel headers are missing", "linux-libc-dev", "kernel-headers"),
}

# gcc: "fatal error: linux/sctp.h: No such file or directory";
# clang: "fatal error: 'linux/sctp.h' file not found".
_NO_SUCH_HEADER = re.compile(r"([\w./+-]+\.h): No such file or directory|'([\w./+-]+\.h)' file not found")


class BuildEnvironmentError(Exception):
    """
    This machine cannot compile txsctp's C extension: the message says
    what is missing and what to install.

    @ivar missing: C{"compiler"}, C{"python"}, C{"libc"}, C{"kernel"}, or
        C{"headers"} when the headers are there but do not compile
        (too old, or in conflict).
    """

    def __init__(self, missing: str, message: str) -> None:
        super().__init__(message)
        self.missing = missing


def _install(missing: str, detail: str) -> BuildEnvironmentError:
    what, debian, fedora = _WHAT[missing]
    if missing == "python":
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        debian += f" (python{version}-dev for a Python {version} that is not the system's python3)"
        fedora += f" (python{version}-devel likewise)"
    return BuildEnvironmentError(missing, (
        f"txsctp cannot build its C extension: {what} ({detail}).\n"
        "Install the package below, then build again:\n"
        f"    Debian/Ubuntu: sudo apt-get install {debian}\n"
        f"    Fedora/RHEL:   sudo dnf install {fedora}"
    ))


def _compile(compiler: Sequence[str], arguments: Sequence[str]) -> Tuple[int, str]:
    try:
        result = subprocess.run([*compiler, *arguments], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=300)
    except OSError as e:
        return -1, str(e)
    return result.returncode, result.stdout + result.stderr


def checkBuildEnvironment(
    compiler: Sequence[str],
    includeDirs: Sequence[str],
    sourcePath: str,
    arguments: Sequence[str] = (),
) -> None:
    """
    Check, in this order, that the compiler exists, that Python's headers
    are in C{includeDirs}, and that C{sourcePath} (the extension's C source)
    gets past the compiler's syntax check, which finds every header it
    includes and every declaration txsctp uses.

    @param compiler: the compiler command with its flags, as the build runs
        it (C{CC} and C{CFLAGS} included).
    @param includeDirs: the include directories the build passes.
    @param sourcePath: the C file to check.
    @param arguments: more compiler arguments (macros, the extension's
        own flags).
    @raise BuildEnvironmentError: something is missing.
    """
    if not compiler or shutil.which(compiler[0]) is None:
        name = compiler[0] if compiler else "(none configured)"
        raise _install("compiler", f"{name!r} is not installed or not on PATH; set CC to use another")
    if not any(os.path.isfile(os.path.join(d, "Python.h")) for d in includeDirs):
        where = ", ".join(includeDirs) or "no include directory"
        raise _install("python", f"no Python.h in {where}")
    status, output = _compile(compiler, [*(f"-I{d}" for d in includeDirs), *arguments,
                                         "-fsyntax-only", sourcePath])
    if status == 0:
        return
    if status < 0:
        raise _install("compiler", f"{compiler[0]!r} does not run: {output}")
    header = _NO_SUCH_HEADER.search(output)
    if header is not None:
        name = header.group(1) or header.group(2)
        kind = "kernel" if name.startswith(("linux/", "asm/", "asm-generic/")) else "libc"
        raise _install(kind, f"<{name}> not found")
    first = next((line.split("error:", 1)[1].strip() for line in output.splitlines()
                  if "error:" in line), output.strip())
    _, debian, fedora = _WHAT["kernel"]
    raise BuildEnvironmentError("headers", (
        "txsctp cannot build its C extension: the system headers do not declare "
        f"what it needs ({first}).\n"
        "The kernel headers are probably older than txsctp needs; update them, "
        "then build again:\n"
        f"    Debian/Ubuntu: sudo apt-get install {debian}\n"
        f"    Fedora/RHEL:   sudo dnf install {fedora}"
    ))


def _extensionArguments(ext: Extension) -> List[str]:
    arguments = []
    for name, value in ext.define_macros or ():
        arguments.append(f"-D{name}" if value is None else f"-D{name}={value}")
    arguments.extend(f"-U{name}" for name in ext.undef_macros or ())
    arguments.extend(ext.extra_compile_args or ())
    return arguments


def checkedBuildExt(base: Optional[type] = None) -> type:
    """
    A C{build_ext} command that runs L{checkBuildEnvironment} before
    compiling C{txsctp._sctp_cffi} (other extensions are left alone) and
    turns L{BuildEnvironmentError} into setuptools' C{CompileError}, which
    setuptools reports as one C{error:} line instead of a traceback.

    @param base: the command class to extend (default: setuptools').
    """
    from setuptools.command.build_ext import build_ext as setuptoolsBuildExt
    from setuptools.errors import CompileError

    if base is None:
        base = setuptoolsBuildExt

    # A class built on a base chosen at run time, which a type checker
    # cannot follow.
    class build_ext(base):  # type: ignore[misc,valid-type]
        def build_extension(self, ext: Extension) -> None:
            if ext.name == EXTENSION:
                compiler = list(self.compiler.compiler_so)
                includeDirs = list(self.compiler.include_dirs) + list(ext.include_dirs or ())
                try:
                    # types-setuptools declares sources an Iterable; setuptools
                    # keeps the list setup.py gives it.
                    checkBuildEnvironment(compiler, includeDirs, ext.sources[0],  # type: ignore[index]
                                          _extensionArguments(ext))
                except BuildEnvironmentError as e:
                    raise CompileError(str(e)) from None
            super().build_extension(ext)

    return build_ext
