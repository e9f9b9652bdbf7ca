"""
Build glue for the cffi extension: C{cffi_modules} still needs setup.py.

Everything else lives in pyproject.toml.  The build_ext command checks the
compiler and headers first (txsctp/_buildenv.py, loaded by path: the
package is not importable while it is being built), so that a missing one
is reported with what to install instead of a compiler error.
"""
import importlib.util
import os

from setuptools import setup

_spec = importlib.util.spec_from_file_location(
    "_txsctp_buildenv", os.path.join(os.path.dirname(os.path.abspath(__file__)), "txsctp", "_buildenv.py"))
_buildenv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_buildenv)

setup(cffi_modules=["txsctp/_build.py:ffibuilder"],
      cmdclass={"build_ext": _buildenv.checkedBuildExt()})
