"""
Build glue for the cffi extensions: C{cffi_modules} still needs setup.py.

Everything else lives in pyproject.toml.  The build_ext command checks the
compiler and headers first (txsctp/_buildenv.py, loaded by path: the
package is not importable while it is being built), so that a missing one
is reported with what to install instead of a compiler error.  The usrsctp
binding (the userspace SCTP stack) is built only where pkg-config finds
usrsctp; without it txsctp builds, and only C{stack="userspace"} is
unavailable.
"""
import importlib.util
import os
import shutil
import subprocess
import sys

from setuptools import setup

_spec = importlib.util.spec_from_file_location(
    "_txsctp_buildenv", os.path.join(os.path.dirname(os.path.abspath(__file__)), "txsctp", "_buildenv.py"))
_buildenv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_buildenv)


def _usrsctpAvailable() -> bool:
    if shutil.which("pkg-config") is None:
        return False
    return subprocess.run(["pkg-config", "--exists", "usrsctp"]).returncode == 0


modules = ["txsctp/_build.py:ffibuilder"]
if _usrsctpAvailable():
    modules.append("txsctp/_usrsctp_build.py:ffibuilder")
else:
    print("txsctp: usrsctp not found by pkg-config: building without the userspace SCTP stack "
          "(install libusrsctp-dev / usrsctp-devel / usrsctp and rebuild to get it)", file=sys.stderr)

setup(cffi_modules=modules, cmdclass={"build_ext": _buildenv.checkedBuildExt()})
