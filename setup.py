"""
Build glue for the cffi extension: C{cffi_modules} still needs setup.py.

Everything else lives in pyproject.toml.
"""
from setuptools import setup

setup(cffi_modules=["txsctp/_build.py:ffibuilder"])
