"""
The epoll(7) reactor with SCTP: Twisted's L{twisted.internet.epollreactor.EPollReactor}
providing L{txsctp.interfaces.IReactorSCTP}.  C{twistd --reactor sctp-epoll}
installs it.
"""

from __future__ import annotations

from twisted.internet.epollreactor import EPollReactor
from twisted.internet.main import installReactor

from txsctp.reactors._mixin import SCTPReactorMixin

__all__ = ["EPollSCTPReactor", "install"]


class EPollSCTPReactor(SCTPReactorMixin, EPollReactor):
    """
    Twisted's epoll(7) reactor with C{listenSCTP} and C{connectSCTP}.
    """


def install() -> None:
    """
    Install the epoll(7) reactor with SCTP as the global reactor.

    @raise twisted.internet.error.ReactorAlreadyInstalledError: a reactor
        is already installed.
    """
    installReactor(EPollSCTPReactor())
