"""
Small helpers several test modules share: where the repository is, whether
this kernel has SCTP, and making the repository's twisted/plugins dropins
visible to Twisted's plugin scanner.
"""

from __future__ import annotations

import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def exposeRepoPlugins() -> None:
    """
    Make the repository's twisted/plugins directory visible to Twisted's
    plugin scanner when pytest was started without the repository root on
    sys.path (an editable install maps the dropins for import, but Twisted
    lists plugin directories from sys.path).
    """
    import twisted.plugins

    here = os.path.join(REPO, "twisted", "plugins")
    if here not in [os.path.abspath(p) for p in twisted.plugins.__path__]:
        twisted.plugins.__path__.append(here)


def kernelHasSCTP() -> bool:
    """
    Whether this kernel can open SCTP sockets (without loading txsctp's
    compiled module, which may not be built when this runs).
    """
    import socket

    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()
    except OSError:
        return False
    return True


# The kernel tier's marker (see conftest.py): skipped, saying why, where
# the kernel has no SCTP.
needsKernel = pytest.mark.kernel
