"""
L{SCTPReactorMixin}: what turns one of Twisted's reactors into an
L{IReactorSCTP} provider.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable

from zope.interface import implementer

from twisted.internet.interfaces import IConnector, IProtocolFactory

import txsctp
from txsctp._consumer import DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_QUEUED_BYTES
from txsctp.interfaces import IReactorSCTP, ISCTPListeningPort
from txsctp.notifications import DEFAULT_EVENTS
from txsctp.options import DEFAULT_TUNING, ONE_TO_ONE, Tuning

if TYPE_CHECKING:
    from twisted.internet.protocol import ClientFactory

__all__ = ["SCTPReactorMixin"]


@implementer(IReactorSCTP)
class SCTPReactorMixin:
    """
    C{listenSCTP} and C{connectSCTP} as reactor methods.  Mix it in before a
    Twisted reactor class (C{class R(SCTPReactorMixin, EPollReactor)}): the
    methods hand everything to L{txsctp.listenSCTP} and
    L{txsctp.connectSCTP} with C{reactor=self}, so ports and connectors
    opened either way are the same objects, run the same code and take the
    same parameters.
    """

    def listenSCTP(
        self,
        port: int,
        factory: IProtocolFactory,
        interface: str | Sequence[str] = "",
        backlog: int = 128,
        *,
        style: str = ONE_TO_ONE,
        outStreams: int | None = None,
        inStreams: int | None = None,
        maxAttempts: int | None = None,
        maxInitTimeout: int | None = None,
        maxMessageSize: int = DEFAULT_MAX_MESSAGE_SIZE,
        maxAssociations: int | None = None,
        bufferSize: int | None = None,
        maxQueuedBytes: int | None = DEFAULT_MAX_QUEUED_BYTES,
        tuning: Tuning | None = DEFAULT_TUNING,
        events: Sequence[int] = DEFAULT_EVENTS,
        prepareSocket: Callable[[Any], None] | None = None,
        bundle: bool = False,
        stack: str = "kernel",
        udpPort: int | None = None,
        remoteUdpPort: int | None = None,
    ) -> ISCTPListeningPort:
        """
        See L{IReactorSCTP.listenSCTP} and L{txsctp.listenSCTP}.
        """
        listening = txsctp.listenSCTP(
            port, factory, interface, backlog, reactor=self, style=style,
            outStreams=outStreams, inStreams=inStreams, maxAttempts=maxAttempts,
            maxInitTimeout=maxInitTimeout, maxMessageSize=maxMessageSize,
            maxAssociations=maxAssociations, bufferSize=bufferSize,
            maxQueuedBytes=maxQueuedBytes, tuning=tuning, events=events,
            prepareSocket=prepareSocket, bundle=bundle, stack=stack, udpPort=udpPort,
            remoteUdpPort=remoteUdpPort,
        )
        return ISCTPListeningPort(listening)

    def connectSCTP(
        self,
        host: str | Sequence[str],
        port: int,
        factory: ClientFactory,
        timeout: float | None = 30,
        bindAddress: str | tuple[str, int] | Sequence[str | tuple[str, int]] | None = None,
        *,
        outStreams: int | None = None,
        inStreams: int | None = None,
        maxAttempts: int | None = None,
        maxInitTimeout: int | None = None,
        maxMessageSize: int = DEFAULT_MAX_MESSAGE_SIZE,
        bufferSize: int | None = None,
        maxQueuedBytes: int | None = DEFAULT_MAX_QUEUED_BYTES,
        tuning: Tuning | None = DEFAULT_TUNING,
        events: Sequence[int] = DEFAULT_EVENTS,
        prepareSocket: Callable[[Any], None] | None = None,
        bundle: bool = False,
        stack: str = "kernel",
        udpPort: int | None = None,
        remoteUdpPort: int | None = None,
    ) -> IConnector:
        """
        See L{IReactorSCTP.connectSCTP} and L{txsctp.connectSCTP}.
        """
        return txsctp.connectSCTP(
            host, port, factory, timeout, bindAddress, reactor=self,
            outStreams=outStreams, inStreams=inStreams, maxAttempts=maxAttempts,
            maxInitTimeout=maxInitTimeout, maxMessageSize=maxMessageSize,
            bufferSize=bufferSize, maxQueuedBytes=maxQueuedBytes, tuning=tuning,
            events=events, prepareSocket=prepareSocket, bundle=bundle, stack=stack,
            udpPort=udpPort, remoteUdpPort=remoteUdpPort,
        )
