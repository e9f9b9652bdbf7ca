"""
One-to-one (C{SOCK_STREAM}) carriers and port, on any stack: a socket
that carries exactly one association (L{_OneToOneSocket}: accepted,
peeled off or a client's), and L{OneToOnePort}, which accepts each
association onto a socket of its own (L{_AcceptedSocket}).  After
C{twisted.internet.tcp.Port}.
"""

from __future__ import annotations

import errno
import socket as _stdsocket
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from zope.interface import implementer

from twisted.internet import abstract, base, defer, error, interfaces
from twisted.logger import Logger
from twisted.python import failure

from txsctp._assocoptions import AssociationOptions
from txsctp._basecarrier import _KEEP_READING, BaseCarrier
from txsctp._portsupport import checkOptionalSize, describeInterface, portStopped, validatePort
from txsctp._stack import IStack, StackReadiness
from txsctp._transport import SCTPTransport
from txsctp.address import SCTPAddress
from txsctp.errors import CommunicationLostError, PeerAbortedError
from txsctp.info import Message
from txsctp.interfaces import ISCTPListeningPort, ISCTPTransport
from txsctp.notifications import AssociationChange, AssociationState, Notification
from txsctp.options import ONE_TO_ONE

__all__ = ["OneToOnePort"]

_log = Logger()


class _OneToOneSocket(BaseCarrier):
    """
    A socket carrying exactly one association (accepted, peeled off, or a
    client's).
    """

    def __init__(self, sock: Any, reactor: Any, options: AssociationOptions, stack: IStack) -> None:
        BaseCarrier.__init__(self, sock, reactor, options, stack)
        self.transport: Optional[SCTPTransport] = None
        self._pendingUp: Optional[AssociationChange] = None

    def _lookup(self, assocId: int) -> Optional[SCTPTransport]:
        return self.transport

    def _carry(self, transport: SCTPTransport) -> None:
        """
        Carry C{transport}, built by the port or connector for this
        socket's association.
        """
        self.transport = transport
        self.connected = 1

    _knownPeer: Optional[Tuple[str, int]] = None

    def _peerAddress(self, assocId: int) -> SCTPAddress:
        """
        The peer's addresses; if the association has already ended (its
        COMM_UP read after it went away), the address it was accepted from
        or connected to, so that the Protocol still sees it come and go.
        """
        try:
            return self._stack.peerAddress(self.sock, assocId)
        except (OSError, ValueError):
            pass
        known = self._knownPeer
        if known is None:
            # (Without an association getpeername fails too: ENOTCONN.)
            try:
                known = self._stack.peerName(self.sock)
            except OSError:
                known = ("0.0.0.0", 0)
        host, port = known
        return SCTPAddress(host, port, (host,), assocId)

    _socketError: Optional[OSError] = None

    def _readError(self, e: OSError) -> Any:
        # The kernel reports a dead association's error (ECONNRESET after an
        # ABORT, ETIMEDOUT...) before the notification queued with it: note
        # it and read on, so the notification tells the Protocol first.
        if e.errno in (errno.ECONNRESET, errno.ECONNABORTED, errno.ETIMEDOUT, errno.EPIPE,
                       errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
            if self._socketError is None:
                self._socketError = e
                return _KEEP_READING
        return self._gone()

    def _gone(self) -> Optional[failure.Failure]:
        transport = self.transport
        if transport is not None and (transport._ending or transport._aborting):
            return None  # its end is being reported (see doRead, abortConnection)
        if transport is not None and not transport.disconnected:
            e = self._socketError
            if e is None:
                reason = failure.Failure(error.ConnectionDone())
            elif e.errno in (errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE):
                reason = failure.Failure(PeerAbortedError(0, f": {e.strerror}"))
            else:
                reason = failure.Failure(CommunicationLostError(e.errno or 0))
            transport._lost(reason)
            return None
        if self._socketError is not None:
            return failure.Failure(self._socketError)
        return failure.Failure(error.ConnectionDone())

    def _readEOF(self) -> Optional[failure.Failure]:
        # EOF on a one-to-one socket: the association is gone (if its
        # SHUTDOWN_COMP or COMM_LOST notification was read, the transport
        # has already ended).
        return self._gone()

    def _drained(self) -> Optional[failure.Failure]:
        if self._socketError is not None:
            return self._gone()
        return None

    def associationPaused(self, transport: SCTPTransport) -> None:
        self.stopReading()

    def associationResumed(self, transport: SCTPTransport) -> None:
        self._readIfWanted()

    def _readIfWanted(self) -> None:
        """
        Be read, unless the association has ended or its
        reading is stopped: by its Protocol (C{pauseProducing}) or while
        too many read messages are held.
        """
        transport = self.transport
        if self.disconnected or self._readingStoppedForHeld or (transport is not None and transport._readingPaused):
            return
        self.startReading()

    def associationLost(self, transport: SCTPTransport) -> None:
        self.stopReading()
        self.stopWriting()
        self.disconnected = 1
        self.connected = 0
        self._closeSocket()

    def shutdownAssociation(self, transport: SCTPTransport) -> None:
        self.sock.shutdown(_stdsocket.SHUT_WR)

    def abortAssociation(self, transport: SCTPTransport) -> None:
        # One-to-one sockets refuse SCTP_ABORT in sendmsg: linger 0 makes
        # the close that follows (in associationLost) send the ABORT.
        self.sock.setLinger(True, 0)

    def connectionLost(self, reason: failure.Failure) -> None:
        """
        The reactor dropped us (an error escaped doRead/doWrite).
        """
        if self.transport is not None and not self.transport.disconnected:
            self.transport._lost(reason)
        else:
            abstract.FileDescriptor.connectionLost(self, reason)
            self._closeSocket()


class _AcceptedSocket(_OneToOneSocket):
    """
    A socket accepted by a L{OneToOnePort}: its Protocol comes from the
    port's factory when C{COMM_UP} is read.
    """

    def __init__(self, sock: Any, port: "OneToOnePort") -> None:
        _OneToOneSocket.__init__(self, sock, port.reactor, port.options, port._stack)
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
        BaseCarrier._orphan(self, item)


@implementer(interfaces.IListeningPort, ISCTPListeningPort)
class OneToOnePort(StackReadiness, base.BasePort):
    """
    A listening one-to-one (C{SOCK_STREAM}) SCTP socket: each association
    is accepted onto a socket of its own.
    """

    style = ONE_TO_ONE
    _acceptBatch = 64
    # Any reactor with IReactorFDSet and IReactorTime.
    reactor: Any

    @property
    def socket(self) -> Any:
        """
        The listening socket (C{ISCTPListeningPort.socket}).
        """
        return self.sock

    def __init__(self, port: int, factory: interfaces.IProtocolFactory, interface: Union[str, Sequence[str]] = "",
                 backlog: int = 128, reactor: Any = None, options: Optional[AssociationOptions] = None,
                 maxAssociations: Optional[int] = None, *, stack: IStack) -> None:
        base.BasePort.__init__(self, reactor=reactor)
        self._stack: IStack = stack
        validatePort(port)
        self.port = port
        self.factory = factory
        self.interface = interface
        self.backlog = backlog
        self.options = options or AssociationOptions()
        checkOptionalSize("maxAssociations", maxAssociations)
        self.maxAssociations = maxAssociations
        self._accepted: Dict[int, _AcceptedSocket] = {}
        self.sock: Any = None

    def __repr__(self) -> str:
        port = self._realPortNumber if self.sock is not None else self.port
        return f"<{type(self.factory).__name__} on SCTP {port} ({self.style})>"

    def startListening(self) -> None:
        """
        Create, bind (bindx for several addresses) and listen.

        @raise CannotListenError: on any failure.
        """
        try:
            self.sock = self._stack.listen(self.interface, self.port, self.options, ONE_TO_ONE, self.backlog)
        except (OSError, ValueError, TypeError) as e:
            raise error.CannotListenError(describeInterface(self.interface), self.port, e) from None
        self._realPortNumber = self._stack.localPort(self.sock)
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
                newSock, addr = self._stack.accept(self.sock)
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
            accepted.stopReading()
            accepted.stopWriting()
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
        return self._stack.localAddress(self.sock, 0)

    def logPrefix(self) -> str:
        return f"{type(self.factory).__name__} (SCTP)"


class _PeeledSocket(_OneToOneSocket):
    """
    The socket an association of a one-to-many port was peeled off to.
    """

    def shutdownAssociation(self, transport: SCTPTransport) -> None:
        self._stack.shutdownPeeled(self.sock)

    def _buildAssociation(self, notification: AssociationChange) -> None:
        self._orphan(notification)
