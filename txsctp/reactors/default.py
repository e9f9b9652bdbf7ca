"""
The default reactor with SCTP, as C{twisted.internet.default} chooses for
Linux: epoll where the platform has it, poll otherwise.  C{twistd --reactor
sctp} installs it.
"""

from __future__ import annotations

import select

__all__ = ["install"]


def install() -> None:
    """
    Install L{txsctp.reactors.epollreactor.EPollSCTPReactor} where
    C{select.epoll} exists, else
    L{txsctp.reactors.pollreactor.PollSCTPReactor}.

    @raise twisted.internet.error.ReactorAlreadyInstalledError: a reactor
        is already installed.
    """
    if hasattr(select, "epoll"):
        from txsctp.reactors import epollreactor

        epollreactor.install()
    else:
        from txsctp.reactors import pollreactor

        pollreactor.install()
