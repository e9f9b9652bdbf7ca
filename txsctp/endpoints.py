"""
SCTP endpoints: L{SCTPServerEndpoint} and L{SCTPClientEndpoint}, the SCTP
counterparts of L{twisted.internet.endpoints.TCP4ServerEndpoint} and
L{twisted.internet.endpoints.TCP4ClientEndpoint}.

They are what C{serverFromString(reactor, "sctp:...")} and
C{clientFromString(reactor, "sctp:...")} build (see L{txsctp._parser} for
the string syntax), so every Twisted program and twistd plugin that takes an
endpoint description can run over SCTP.

A client endpoint's C{connect} returns a L{Deferred<twisted.internet.defer.Deferred>} that fires with the
Protocol once the association is up (C{COMM_UP}), fails with a
L{twisted.internet.error.ConnectError} subclass when it cannot come up
(L{txsctp.errors.CannotStartAssociationError}, C{TimeoutError},
C{ConnectionRefusedError}, ...), and can be cancelled
(L{twisted.internet.error.ConnectingCancelledError}).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Tuple, Union

from zope.interface import directlyProvides, implementer, providedBy

from twisted.internet import defer, error
from twisted.internet.interfaces import (
    IConnector,
    IListeningPort,
    IProtocol,
    IProtocolFactory,
    IStreamClientEndpoint,
    IStreamServerEndpoint,
)
from twisted.internet.protocol import ClientFactory, Protocol, connectionDone
from twisted.python.failure import Failure

if TYPE_CHECKING:  # names for annotations only: importing them loads cffi
    from txsctp.info import RcvInfo
    from txsctp.notifications import Notification
    from txsctp.options import Tuning

__all__ = ["SCTPServerEndpoint", "SCTPClientEndpoint"]

_OPTION_NAMES = (
    "outStreams",
    "inStreams",
    "maxAttempts",
    "maxMessageSize",
    "tuning",
)


def _options(**options: Any) -> dict:
    """
    Keep only the options that were given, so the transport's own defaults
    apply to the others.
    """
    return {k: v for k, v in options.items() if v is not None}


@implementer(IStreamServerEndpoint)
class SCTPServerEndpoint:
    """
    An SCTP server endpoint: listens with L{txsctp.listenSCTP}.

    @ivar _listenSCTP: the function used to listen (a test hook); C{None}
        for L{txsctp.listenSCTP}.
    """

    _listenSCTP: Optional[Callable[..., Any]] = None

    def __init__(
        self,
        reactor: Any,
        port: int,
        interface: Union[str, Sequence[str]] = "",
        backlog: Optional[int] = None,
        *,
        style: Optional[str] = None,
        outStreams: Optional[int] = None,
        inStreams: Optional[int] = None,
        maxAttempts: Optional[int] = None,
        maxMessageSize: Optional[int] = None,
        maxAssociations: Optional[int] = None,
        bundle: Optional[bool] = None,
        tuning: Optional[Tuning] = None,
        stack: Optional[str] = None,
        udpPort: Optional[int] = None,
        remoteUdpPort: Optional[int] = None,
    ) -> None:
        """
        @param reactor: the reactor to listen with (it provides
            C{IReactorFDSet} and C{IReactorTime}, as Twisted's reactors do).
        @param port: the SCTP port (0: the kernel picks one).
        @param interface: C{""} for every local address, one IP literal, or
            a list of them (bound together on one socket: multi-homing).
        @param backlog: the listen queue length (C{None}: the transport's
            default).
        @param style: C{"one-to-one"} (a socket per association, the default)
            or C{"one-to-many"} (one socket for every association).
        @param outStreams: outbound streams to request.
        @param inStreams: inbound streams to accept at most.
        @param maxAttempts: INIT retransmissions before giving up.
        @param maxMessageSize: largest message accepted on receive.
        @param maxAssociations: refuse associations past this many (both
            styles).
        @param bundle: bundle batches of small messages into full packets
            (C{None}: the transport's default, off; see L{txsctp.listenSCTP}).
        @param tuning: a L{txsctp.options.Tuning} for the socket.
        @param stack: C{"kernel"} or C{"userspace"} (C{None}: the kernel);
            see L{txsctp.listenSCTP}, as for C{udpPort} and
            C{remoteUdpPort}.
        """
        self._reactor = reactor
        self._port = port
        self._interface = interface
        self._backlog = backlog
        self._extra = _options(
            style=style,
            outStreams=outStreams,
            inStreams=inStreams,
            maxAttempts=maxAttempts,
            maxMessageSize=maxMessageSize,
            maxAssociations=maxAssociations,
            bundle=bundle,
            tuning=tuning,
            stack=stack,
            udpPort=udpPort,
            remoteUdpPort=remoteUdpPort,
        )

    def __repr__(self) -> str:
        return (
            f"<SCTPServerEndpoint port={self._port} interface={self._interface!r}"
            + "".join(f" {k}={v!r}" for k, v in self._extra.items())
            + ">"
        )

    def listen(self, protocolFactory: IProtocolFactory) -> defer.Deferred[IListeningPort]:
        """
        Listen for associations.

        @return: a Deferred firing with the
            L{txsctp.interfaces.ISCTPListeningPort}, or failing with
            C{CannotListenError} (or the socket layer's error).
        """
        listenSCTP: Any = self._listenSCTP
        if listenSCTP is None:
            from txsctp import listenSCTP
        kwargs = dict(self._extra)
        if self._backlog is not None:
            kwargs["backlog"] = self._backlog
        return defer.execute(
            listenSCTP,
            self._port,
            protocolFactory,
            interface=self._interface,
            reactor=self._reactor,
            **kwargs,
        )


class _SCTPWrappingProtocol(Protocol):
    """
    Stands in for the user's Protocol until the association is up, then
    forwards everything to it.

    Unlike Twisted's own wrapper, it forwards SCTP's per-message
    C{messageReceived} (falling back to C{dataReceived} for plain Protocols,
    as L{txsctp.protocol.SCTPProtocol} does) and every notification callback
    (any attribute it lacks is looked up on the wrapped Protocol).
    """

    def __init__(self, connectedDeferred: defer.Deferred[IProtocol], wrappedProtocol: IProtocol) -> None:
        self._connectedDeferred = connectedDeferred
        self._wrappedProtocol = wrappedProtocol
        provided = list(providedBy(wrappedProtocol))
        if provided:
            directlyProvides(self, *provided)

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes this object lacks: notification
        # callbacks and anything else the transport may look for.
        if name.startswith("__") or name == "_wrappedProtocol":
            raise AttributeError(name)
        return getattr(self._wrappedProtocol, name)

    def logPrefix(self) -> str:
        wrapped = self._wrappedProtocol
        if hasattr(wrapped, "logPrefix"):
            prefix: str = wrapped.logPrefix()
            return prefix
        return wrapped.__class__.__name__

    def connectionMade(self) -> None:
        assert self.transport is not None  # (made by makeConnection)
        self._wrappedProtocol.makeConnection(self.transport)
        if not self._connectedDeferred.called:
            self._connectedDeferred.callback(self._wrappedProtocol)

    def messageReceived(self, data: bytes, info: RcvInfo) -> None:
        receive = getattr(self._wrappedProtocol, "messageReceived", None)
        if receive is None:
            self._wrappedProtocol.dataReceived(data)
        else:
            receive(data, info)

    def dataReceived(self, data: bytes) -> None:
        self._wrappedProtocol.dataReceived(data)

    def notificationReceived(self, notification: Notification) -> None:
        receive = getattr(self._wrappedProtocol, "notificationReceived", None)
        if receive is not None:
            receive(notification)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._wrappedProtocol.connectionLost(reason)


class _SCTPWrappingFactory(ClientFactory):
    """
    Wraps the user's factory so that L{SCTPClientEndpoint.connect} can hand
    back a Deferred for the connected Protocol.

    @ivar _onConnection: the Deferred C{connect} returns.
    @ivar _connector: the connector of the attempt (set by
        C{startedConnecting}).
    """

    protocol = _SCTPWrappingProtocol
    _connector: Optional[IConnector] = None

    def __init__(self, wrappedFactory: IProtocolFactory) -> None:
        self._wrappedFactory = wrappedFactory
        self._onConnection: defer.Deferred[IProtocol] = defer.Deferred(canceller=self._canceller)

    def startedConnecting(self, connector: IConnector) -> None:
        self._connector = connector

    def _canceller(self, deferred: defer.Deferred[IProtocol]) -> None:
        destination = None
        if self._connector is not None:
            destination = self._connector.getDestination()
        deferred.errback(error.ConnectingCancelledError(destination))
        if self._connector is not None:
            self._connector.stopConnecting()

    def doStart(self) -> None:
        self._wrappedFactory.doStart()

    def doStop(self) -> None:
        self._wrappedFactory.doStop()

    def buildProtocol(self, addr: Any) -> Optional[Protocol]:
        try:
            proto = self._wrappedFactory.buildProtocol(addr)
            if proto is None:
                raise error.NoProtocol()
        except BaseException:
            if not self._onConnection.called:
                self._onConnection.errback()
            return None
        return self.protocol(self._onConnection, proto)

    def clientConnectionFailed(self, connector: IConnector, reason: Failure) -> None:
        if self._onConnection.called:
            return
        if not reason.check(error.ConnectError, error.ConnectingCancelledError):
            # Whatever went wrong before the association came up, the caller
            # gets a ConnectError that says so and keeps the original.
            reason = Failure(
                error.ConnectError(
                    reason.value, "the SCTP association could not be set up"
                )
            )
        self._onConnection.errback(reason)

    def clientConnectionLost(self, connector: IConnector, reason: Failure) -> None:
        # Lost before connectionMade (e.g. right after COMM_UP a race with an
        # ABORT): the caller is still waiting, so tell it.
        if not self._onConnection.called:
            self.clientConnectionFailed(connector, reason)


@implementer(IStreamClientEndpoint)
class SCTPClientEndpoint:
    """
    An SCTP client endpoint: connects with L{txsctp.connectSCTP}.

    @ivar _connectSCTP: the function used to connect (a test hook); C{None}
        for L{txsctp.connectSCTP}.
    """

    _connectSCTP: Optional[Callable[..., Any]] = None

    def __init__(
        self,
        reactor: Any,
        host: Union[str, Sequence[str]],
        port: int,
        timeout: float = 30,
        bindAddress: Union[str, Tuple[str, int], Sequence[Union[str, Tuple[str, int]]], None] = None,
        *,
        outStreams: Optional[int] = None,
        inStreams: Optional[int] = None,
        maxAttempts: Optional[int] = None,
        maxMessageSize: Optional[int] = None,
        bundle: Optional[bool] = None,
        tuning: Optional[Tuning] = None,
        stack: Optional[str] = None,
        udpPort: Optional[int] = None,
        remoteUdpPort: Optional[int] = None,
    ) -> None:
        """
        @param reactor: the reactor to connect with (it provides
            C{IReactorFDSet} and C{IReactorTime}, as Twisted's reactors do).
        @param host: the peer: one IP literal, or a list of its addresses
            (connectx: the association may start over any of them).
        @param port: the peer's SCTP port.
        @param timeout: seconds to wait for the association to come up.
        @param bindAddress: C{None}, a local host, a C{(host, port)}, or a
            list of hosts or C{(host, port)} (multi-homed client).
        @param outStreams: outbound streams to request.
        @param inStreams: inbound streams to accept at most.
        @param maxAttempts: INIT retransmissions before giving up.
        @param maxMessageSize: largest message accepted on receive.
        @param bundle: bundle batches of small messages into full packets
            (C{None}: the transport's default, off; see L{txsctp.connectSCTP}).
        @param tuning: a L{txsctp.options.Tuning} for the socket.
        @param stack: C{"kernel"} or C{"userspace"} (C{None}: the kernel);
            see L{txsctp.listenSCTP}, as for C{udpPort} and
            C{remoteUdpPort}.
        """
        self._reactor = reactor
        self._host = host
        self._port = port
        self._timeout = timeout
        self._bindAddress = bindAddress
        self._extra = _options(
            outStreams=outStreams,
            inStreams=inStreams,
            maxAttempts=maxAttempts,
            maxMessageSize=maxMessageSize,
            bundle=bundle,
            tuning=tuning,
            stack=stack,
            udpPort=udpPort,
            remoteUdpPort=remoteUdpPort,
        )

    def __repr__(self) -> str:
        return (
            f"<SCTPClientEndpoint host={self._host!r} port={self._port}"
            f" timeout={self._timeout!r} bindAddress={self._bindAddress!r}"
            + "".join(f" {k}={v!r}" for k, v in self._extra.items())
            + ">"
        )

    def connect(self, protocolFactory: IProtocolFactory) -> defer.Deferred[IProtocol]:
        """
        Start an association.

        @return: a Deferred firing with the Protocol built by
            C{protocolFactory} once the association is up, or failing with a
            L{twisted.internet.error.ConnectError} subclass; cancelling it
            stops the attempt (C{ConnectingCancelledError}).
        """
        connectSCTP: Any = self._connectSCTP
        if connectSCTP is None:
            from txsctp import connectSCTP
        try:
            wrapper = _SCTPWrappingFactory(protocolFactory)
            connectSCTP(
                self._host,
                self._port,
                wrapper,
                timeout=self._timeout,
                bindAddress=self._bindAddress,
                reactor=self._reactor,
                **self._extra,
            )
            return wrapper._onConnection
        except BaseException:
            return defer.fail()
