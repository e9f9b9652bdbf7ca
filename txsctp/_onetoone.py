"""
The kernel stack's one-to-one (C{SOCK_STREAM}) port: L{OneToOnePort}
accepts each association onto a socket of its own (L{_AcceptedSocket}).
After C{twisted.internet.tcp.Port}.
"""

from __future__ import annotations

import errno
from typing import Any, Dict, List, Optional, Sequence, Union

from zope.interface import implementer

from twisted.internet import base, defer, error, interfaces
from twisted.logger import Logger
from twisted.python import failure

from txsctp._assocoptions import AssociationOptions
from txsctp._descriptor import _OneToOneSocket, _SocketDescriptor, bindListening
from txsctp._portsupport import checkOptionalSize, describeInterface, portStopped, validatePort
from txsctp._transport import SCTPTransport
from txsctp.address import SCTPAddress
from txsctp.info import Message
from txsctp.interfaces import ISCTPListeningPort, ISCTPTransport
from txsctp.notifications import AssociationChange, AssociationState, Notification
from txsctp.sctpsocket import ONE_TO_ONE, SCTPSocket

__all__ = ["OneToOnePort"]

_log = Logger()


class _AcceptedSocket(_OneToOneSocket):
    """
    A socket accepted by a L{OneToOnePort}: its Protocol comes from the
    port's factory when C{COMM_UP} is read.
    """

    def __init__(self, sock: SCTPSocket, port: "OneToOnePort") -> None:
        _OneToOneSocket.__init__(self, sock, port.reactor, port.options)
        self.port = port

    def _buildAssociation(self, notification: AssociationChange) -> None:
        addr = self._peerAddress(notification.assocId)
        try:
            protocol = self.port.factory.buildProtocol(addr)
        except Exception:
            _log.failure("Error building a protocol for {addr}", addr=addr)
            protocol = None
        if protocol is None:
            self.abortAssociation(None)  # type: ignore[arg-type]
            self.associationLost(None)  # type: ignore[arg-type]
            self.port._acceptedGone(self)
            return
        transport = SCTPTransport._forAssociation(self, notification, protocol, addr, self.options)
        self._carry(transport)
        transport._start(notification)

    def associationEnded(self, transport: SCTPTransport, reason: failure.Failure) -> None:
        self.port._acceptedGone(self)

    def _orphan(self, item: Union[Message, Notification]) -> None:
        if isinstance(item, AssociationChange) and self.transport is None and item.state in (
            AssociationState.COMM_LOST, AssociationState.SHUTDOWN_COMP):
            # Gone before it was read as up.
            self.associationLost(None)  # type: ignore[arg-type]
            self.port._acceptedGone(self)
            return
        _SocketDescriptor._orphan(self, item)


@implementer(interfaces.IListeningPort, ISCTPListeningPort)
class OneToOnePort(base.BasePort):
    """
    A listening one-to-one (C{SOCK_STREAM}) SCTP socket: each association
    is accepted onto a socket of its own.
    """

    style = ONE_TO_ONE
    _acceptBatch = 64
    # Any reactor with IReactorFDSet and IReactorTime.
    reactor: Any

    @property
    def socket(self) -> Optional[SCTPSocket]:
        """
        The listening L{SCTPSocket} (C{ISCTPListeningPort.socket}).
        """
        return self.sock

    def __init__(self, port: int, factory: interfaces.IProtocolFactory, interface: Union[str, Sequence[str]] = "",
                 backlog: int = 128, reactor: Any = None, options: Optional[AssociationOptions] = None,
                 maxAssociations: Optional[int] = None) -> None:
        base.BasePort.__init__(self, reactor=reactor)
        validatePort(port)
        self.port = port
        self.factory = factory
        self.interface = interface
        self.backlog = backlog
        self.options = options or AssociationOptions()
        checkOptionalSize("maxAssociations", maxAssociations)
        self.maxAssociations = maxAssociations
        self._accepted: Dict[int, _AcceptedSocket] = {}
        self.sock: Optional[SCTPSocket] = None

    def __repr__(self) -> str:
        port = self._realPortNumber if self.sock is not None else self.port
        return f"<{type(self.factory).__name__} on SCTP {port} ({self.style})>"

    def startListening(self) -> None:
        """
        Create, bind (bindx for several addresses) and listen.

        @raise CannotListenError: on any failure.
        """
        try:
            self.sock = bindListening(self.interface, self.port, self.options, ONE_TO_ONE, self.backlog)
        except (OSError, ValueError, TypeError) as e:
            raise error.CannotListenError(describeInterface(self.interface), self.port, e) from None
        self._realPortNumber = self.sock.getsockname()[1]
        self._fd = self.sock.fileno()
        _log.info("{factory} starting on SCTP {port}", factory=type(self.factory).__name__,
                  port=self._realPortNumber)
        self.factory.doStart()
        self.connected = True
        self.startReading()

    def fileno(self) -> int:
        return self.sock.fileno() if self.sock is not None else -1

    def doRead(self) -> None:
        assert self.sock is not None  # (read only while listening)
        for _ in range(self._acceptBatch):
            if self.disconnecting:
                # Stopped from a Protocol just built (as tcp.Port checks).
                return None
            try:
                newSock, addr = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return None
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    _log.error("Out of resources accepting SCTP associations: {e}", e=e)
                    return None
                if e.errno in (errno.ECONNABORTED, errno.EPERM, errno.EPROTO):
                    continue
                raise
            if self.maxAssociations is not None and len(self._accepted) >= self.maxAssociations:
                _log.warn("Refusing SCTP association from {addr}: {n} associations is the limit",
                          addr=addr, n=self.maxAssociations)
                try:
                    newSock.setLinger(True, 0)
                except OSError:
                    pass
                newSock.close()
                continue
            accepted = _AcceptedSocket(newSock, self)
            accepted._knownPeer = addr
            self._accepted[id(accepted)] = accepted
            self._readAccepted(accepted)
        return None

    def _readAccepted(self, accepted: _AcceptedSocket) -> None:
        """
        Read a just-accepted socket at once rather than in a later reactor
        iteration: its C{COMM_UP} is always queued already (the kernel only
        offers established associations to accept), and so is the rest of
        an association that ended before it was accepted.  That saves the
        wake-up, and a finished association's socket is closed now: until
        it is, the kernel keeps the ended association and a new one from
        the same client port cannot be set up (see docs/reliability.md).
        A failure ends that association as the reactor would end it, never
        this port.  The socket joins the reactor only after that read, and
        only if its association is still there (one that has ended never
        does) and its Protocol has not paused reading meanwhile.
        """
        try:
            why = accepted.doRead()
        except Exception:
            _log.failure("Reading an accepted SCTP association")
            why = failure.Failure()
        if accepted.disconnected:
            return
        if why:
            # (Registered only if the read itself resumed reading.)
            self.reactor.removeReader(accepted)
            self.reactor.removeWriter(accepted)
            accepted.connectionLost(why if isinstance(why, failure.Failure) else failure.Failure(why))
            return
        accepted._readIfWanted()

    def _acceptedGone(self, accepted: _AcceptedSocket) -> None:
        self._accepted.pop(id(accepted), None)

    def getAssociations(self) -> List[ISCTPTransport]:
        return [a.transport for a in self._accepted.values()
                if a.transport is not None and not a.transport.disconnected]

    def associate(self, host: Union[str, Sequence[str]], port: int,
                  timeout: Optional[float] = 30) -> defer.Deferred[interfaces.IProtocol]:
        raise NotImplementedError("associate() needs a one-to-many port; use connectSCTP for one-to-one")

    def loseConnection(
        self, connDone: failure.Failure = failure.Failure(error.ConnectionDone("Connection done"))  # noqa: B008
    ) -> Optional[defer.Deferred[None]]:
        """
        Stop listening.  Associations already accepted are not affected.
        A second call while the first is under way returns the same
        Deferred.
        """
        pending: Optional[defer.Deferred[None]] = getattr(self, "deferred", None)
        if pending is not None:
            return pending
        self.disconnecting = True
        self.stopReading()
        if self.connected:
            self.deferred: defer.Deferred[None] = defer.Deferred()
            self.reactor.callLater(0, self.connectionLost, connDone)
            return self.deferred
        return None

    stopListening = loseConnection

    def connectionLost(self, reason: failure.Failure) -> None:
        self.disconnected = True
        base.BasePort.connectionLost(self, reason)
        self.connected = False
        portStopped(self)

    def getHost(self) -> SCTPAddress:
        assert self.sock is not None  # (listening)
        return SCTPAddress.fromPairs(self.sock.getLocalAddresses())

    def logPrefix(self) -> str:
        return f"{type(self.factory).__name__} (SCTP)"
