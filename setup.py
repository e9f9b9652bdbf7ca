"""
Build glue for the cffi extensions: C{cffi_modules} still needs setup.py.

Everything else lives in pyproject.toml.  The usrsctp binding (the
userspace SCTP stack) is built only where pkg-config finds usrsctp;
without it txsctp builds, and only C{stack="userspace"} is unavailable.
"""
import shutil
import subprocess
import sys

from setuptools import setup


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

setup(cffi_modules=modules)
