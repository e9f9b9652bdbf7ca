"""
The select(2) reactor with SCTP: Twisted's L{twisted.internet.selectreactor.SelectReactor}
providing L{txsctp.interfaces.IReactorSCTP}.  C{twistd --reactor sctp-select}
installs it.
"""

from __future__ import annotations

from twisted.internet.main import installReactor
from twisted.internet.selectreactor import SelectReactor

from txsctp.reactors._mixin import SCTPReactorMixin

__all__ = ["SelectSCTPReactor", "install"]


class SelectSCTPReactor(SCTPReactorMixin, SelectReactor):
    """
    Twisted's select(2) reactor with C{listenSCTP} and C{connectSCTP}.
    """


def install() -> None:
    """
    Install the select(2) reactor with SCTP as the global reactor.

    @raise twisted.internet.error.ReactorAlreadyInstalledError: a reactor
        is already installed.
    """
    installReactor(SelectSCTPReactor())
