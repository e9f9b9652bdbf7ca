"""
The asyncio reactor with SCTP: Twisted's
L{twisted.internet.asyncioreactor.AsyncioSelectorReactor} providing
L{txsctp.interfaces.IReactorSCTP}, so that asyncio code and Twisted code
share one event loop (see the asyncio page of the documentation).
C{twistd --reactor sctp-asyncio} installs it.
"""

from __future__ import annotations

from asyncio import AbstractEventLoop

from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.internet.main import installReactor

from txsctp.reactors._mixin import SCTPReactorMixin

__all__ = ["AsyncioSCTPReactor", "install"]


class AsyncioSCTPReactor(SCTPReactorMixin, AsyncioSelectorReactor):
    """
    Twisted's asyncio reactor with C{listenSCTP} and C{connectSCTP}.
    """


def install(eventloop: AbstractEventLoop | None = None) -> None:
    """
    Install the asyncio reactor with SCTP as the global reactor.

    @param eventloop: the asyncio event loop to run on (a selector loop);
        C{None}: the running loop, or a new one made the current loop.
    @raise twisted.internet.error.ReactorAlreadyInstalledError: a reactor
        is already installed.
    """
    installReactor(AsyncioSCTPReactor(eventloop))
