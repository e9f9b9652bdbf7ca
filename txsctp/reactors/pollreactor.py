"""
The poll(2) reactor with SCTP: Twisted's L{twisted.internet.pollreactor.PollReactor}
providing L{txsctp.interfaces.IReactorSCTP}.  C{twistd --reactor sctp-poll}
installs it.
"""

from __future__ import annotations

from twisted.internet.main import installReactor
from twisted.internet.pollreactor import PollReactor

from txsctp.reactors._mixin import SCTPReactorMixin

__all__ = ["PollSCTPReactor", "install"]


class PollSCTPReactor(SCTPReactorMixin, PollReactor):
    """
    Twisted's poll(2) reactor with C{listenSCTP} and C{connectSCTP}.
    """


def install() -> None:
    """
    Install the poll(2) reactor with SCTP as the global reactor.

    @raise twisted.internet.error.ReactorAlreadyInstalledError: a reactor
        is already installed.
    """
    installReactor(PollSCTPReactor())
