"""
The one-to-many (C{SOCK_SEQPACKET}) port, on any stack: L{OneToManyPort}
is itself the carrier of every association on its socket, gives each
its own Protocol and transport, opens associations outward
(C{associate}) and peels them off to sockets of their own.
"""

from __future__ import annotations

import errno
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from zope.interface import implementer

from twisted.internet import abstract, defer, error, interfaces
from twisted.logger import Logger
from twisted.python import failure

from txsctp import _addresses
from txsctp._assocoptions import AssociationOptions
from txsctp._basecarrier import BaseCarrier
from txsctp._onetoone import _PeeledSocket
from txsctp._portsupport import (
    checkOptionalSize,
    connectError,
    describeInterface,
    hostList,
    portStopped,
    retireTimer,
    validatePort,
)
from txsctp._transport import SCTPTransport
from txsctp.address import SCTPAddress
from txsctp.errors import AssociationClosedError, CannotStartAssociationError
from txsctp.info import Message
from txsctp.interfaces import ISCTPListeningPort, ISCTPTransport
from txsctp.notifications import AssociationChange, AssociationState, Notification
from txsctp.options import ONE_TO_MANY

__all__ = ["OneToManyPort"]

_log = Logger()


@implementer(interfaces.IListeningPort, ISCTPListeningPort)
class OneToManyPort(BaseCarrier):
    """
    A one-to-many (C{SOCK_SEQPACKET}) SCTP socket: every association lives
    on this one socket and gets its own Protocol from the factory and its
    own L{SCTPTransport}; messages are dispatched by association id.
    Associations may also be opened outward with L{associate}.

    @ivar maxAssociations: beyond this many live associations, new ones are
        aborted as soon as they come up (C{None}: no limit).
    """

    style = ONE_TO_MANY

    def __init__(self, port: int, factory: interfaces.IProtocolFactory, interface: Union[str, Sequence[str]] = "",
                 backlog: int = 128, reactor: Any = None, options: Optional[AssociationOptions] = None,
                 maxAssociations: Optional[int] = None, *, stack: Any) -> None:
        options = options or AssociationOptions()
        BaseCarrier.__init__(self, None, reactor, options, stack)
        validatePort(port)
        self.port = port
        self.factory = factory
        self.interface = interface
        self.backlog = backlog
        checkOptionalSize("maxAssociations", maxAssociations)
        self.maxAssociations = maxAssociations
        self._associations: Dict[int, SCTPTransport] = {}
        self._peeledThisRead: Dict[int, SCTPTransport] = {}
        self._pendingOutward: Dict[int, Tuple[defer.Deferred, Any]] = {}
        self._listening = False

    def __repr__(self) -> str:
        return f"<{type(self.factory).__name__} on SCTP {getattr(self, '_realPortNumber', self.port)} (one-to-many)>"

    def startListening(self) -> None:
        try:
            sock = self._stack.listen(self.interface, self.port, self.options, ONE_TO_MANY, self.backlog)
        except (OSError, ValueError, TypeError) as e:
            raise error.CannotListenError(describeInterface(self.interface), self.port, e) from None
        self._setSocket(sock)
        self._realPortNumber = self._stack.localPort(sock)
        _log.info("{factory} starting on SCTP {port} (one-to-many)",
                  factory=type(self.factory).__name__, port=self._realPortNumber)
        self.factory.doStart()
        self._listening = True
        self.connected = 1
        self.startReading()

    def _lookup(self, assocId: int) -> Optional[SCTPTransport]:
        t = self._associations.get(assocId)
        if t is None and self._peeledThisRead:
            t = self._peeledThisRead.get(assocId)
        return t

    def doRead(self) -> Optional[failure.Failure]:
        try:
            return BaseCarrier.doRead(self)
        finally:
            if self._peeledThisRead:
                self._peeledThisRead.clear()

    def _readError(self, e: OSError) -> Any:
        if e.errno in (errno.EBADF, errno.ENOTSOCK):
            return failure.Failure(e)
        _log.warn("Error reading SCTP port {port}: {e}", port=self._realPortNumber, e=e)
        return None

    def _readEOF(self) -> Optional[failure.Failure]:
        return None

    def _buildAssociation(self, notification: AssociationChange) -> None:
        assocId = notification.assocId
        pending = self._pendingOutward.pop(assocId, None)
        if pending is None and self.maxAssociations is not None and len(self._associations) >= self.maxAssociations:
            _log.warn("Aborting SCTP association {assocId}: {n} associations is the limit",
                      assocId=assocId, n=self.maxAssociations)
            self._abortId(assocId)
            return
        try:
            peer = self._stack.peerAddress(self.sock, assocId)
        except (OSError, ValueError):
            # Already gone (its end is queued behind this COMM_UP): the
            # Protocol still sees it come and go, with the address the
            # notification came from.
            source = self._noteSource
            address = source[0].address(source[1]) if source is not None else None
            host, port = address or ("0.0.0.0", 0)
            peer = SCTPAddress(host, port, (host,), assocId)
        try:
            protocol = self.factory.buildProtocol(peer)
        except Exception:
            _log.failure("Error building a protocol for {peer}", peer=peer)
            protocol = None
        if protocol is None:
            self._abortId(assocId)
            if pending is not None:
                self._failPending(pending, failure.Failure(
                    CannotStartAssociationError("the factory refused the association")))
            return
        transport = SCTPTransport._forAssociation(self, notification, protocol, peer, self.options)
        self._associations[assocId] = transport
        transport._start(notification)
        if pending is not None:
            d, timer = pending
            retireTimer(timer)
            d.callback(protocol)

    def _failPending(self, pending: Tuple[defer.Deferred[Any], Any], reason: failure.Failure) -> None:
        d, timer = pending
        retireTimer(timer)
        d.errback(reason)

    def _orphan(self, item: Union[Message, Notification]) -> None:
        if isinstance(item, AssociationChange):
            pending = self._pendingOutward.pop(item.assocId, None)
            if pending is not None:
                self._failPending(pending, failure.Failure(
                    CannotStartAssociationError(f"association could not be started (error {item.error})")))
                return
            if item.state in (AssociationState.COMM_LOST, AssociationState.SHUTDOWN_COMP):
                return  # one we aborted or refused
        BaseCarrier._orphan(self, item)

    def _abortId(self, assocId: int) -> None:
        try:
            self.sock.sendMessage(b"", abort=True, assocId=assocId)
        except OSError:
            pass

    def associate(self, host: Union[str, Sequence[str]], port: int, timeout: Optional[float] = 30) -> defer.Deferred:
        """
        Open an association outward from this port's socket.

        @param host: one IP literal or a list (connectx).
        @param port: the peer's port.
        @param timeout: seconds before giving up (the association is then
            aborted and the Deferred fails with C{TimeoutError}).
        @return: a Deferred firing with the Protocol built by this port's
            factory once the association is up.
        """
        hosts = hostList(host, "host")
        addrs = _addresses.normalizeAddresses(hosts, port)
        if not self._listening:
            return defer.fail(AssociationClosedError("associate"))
        try:
            assocId = self._stack.connect(self.sock, addrs)
        except (OSError, ValueError) as e:
            return defer.fail(connectError(e))
        d: defer.Deferred = defer.Deferred(lambda d: self._cancelOutward(assocId))
        timer = None
        if timeout is not None:
            timer = self.reactor.callLater(timeout, self._outwardTimeout, assocId)
        self._pendingOutward[assocId] = (d, timer)
        return d

    def _cancelOutward(self, assocId: int) -> None:
        pending = self._pendingOutward.pop(assocId, None)
        if pending is not None:
            retireTimer(pending[1])
            self._abortId(assocId)

    def _outwardTimeout(self, assocId: int) -> None:
        pending = self._pendingOutward.pop(assocId, None)
        if pending is not None:
            self._abortId(assocId)
            pending[0].errback(failure.Failure(
                error.TimeoutError(string=f"SCTP association {assocId} setup timed out")))

    def getAssociations(self) -> List[ISCTPTransport]:
        return list(self._associations.values())

    # -- per association ----------------------------------------------------

    def associationPaused(self, transport: SCTPTransport) -> None:
        pass  # its messages are held by the transport (bounded by heldChanged)

    def associationResumed(self, transport: SCTPTransport) -> None:
        pass

    def associationLost(self, transport: SCTPTransport) -> None:
        if self._associations.get(transport.assocId) is transport:
            del self._associations[transport.assocId]

    def shutdownAssociation(self, transport: SCTPTransport) -> None:
        self.sock.sendMessage(b"", eof=True, assocId=transport.assocId)

    def abortAssociation(self, transport: SCTPTransport) -> None:
        self.sock.sendMessage(b"", abort=True, assocId=transport.assocId)

    def peelOff(self, transport: SCTPTransport) -> None:
        newSock = self._stack.peelOff(self.sock, transport.assocId)
        try:
            if self.options.tuning is not None:
                newSock.applyTuning(self.options.tuning)
        except OSError as e:
            # Closing the new socket ends the association, which this port
            # will hear nothing more about: end its transport here.
            newSock.close()
            transport._lost(failure.Failure(e))
            raise
        handle = _PeeledSocket(newSock, self.reactor, self.options, self._stack)
        handle.transport = transport
        handle.connected = 1
        del self._associations[transport.assocId]
        # Messages of this association already read in this batch are still
        # dispatched to it, in order, before the new socket is read.
        self._peeledThisRead[transport.assocId] = transport
        if transport._queued:
            try:
                self._dirty.remove(transport)
            except ValueError:
                pass
            transport._queued = False
        transport._handle = handle
        transport._closeFastPath()  # its budget was worked out on this socket's send buffer
        if transport._readingPaused:
            self.heldChanged(-transport._heldBytes)
            handle.heldChanged(transport._heldBytes)
        else:
            handle.startReading()
        if transport._queue:
            handle.scheduleFlush(transport)
        if transport._drySubscribed:
            transport._drySubscribed = False
            if transport._dryWaiters and not transport._queue:
                transport._subscribeDry()

    # -- stopping -------------------------------------------------------------

    def loseConnection(
        self, connDone: failure.Failure = failure.Failure(error.ConnectionDone("Connection done"))  # noqa: B008
    ) -> Optional[defer.Deferred[None]]:
        """
        Stop listening: every association on the socket is aborted (they
        all live on it) and their Protocols see C{connectionLost}.
        """
        if self.disconnected or getattr(self, "deferred", None) is not None:
            pending: Optional[defer.Deferred[None]] = getattr(self, "deferred", None)
            return pending
        self._listening = False
        self.stopReading()
        self.deferred: defer.Deferred[None] = defer.Deferred()
        self.reactor.callLater(0, self.connectionLost, connDone)
        return self.deferred

    stopListening = loseConnection

    def connectionLost(self, reason: failure.Failure) -> None:
        if self.disconnected:
            return
        for transport in list(self._associations.values()):
            transport._abortWith(failure.Failure(error.ConnectionAborted("the SCTP port was closed")))
        for assocId in list(self._pendingOutward):
            pending = self._pendingOutward.pop(assocId)
            self._failPending(pending, failure.Failure(error.UserError(string="the SCTP port was closed")))
        abstract.FileDescriptor.connectionLost(self, reason)
        self.disconnected = 1
        self.connected = 0
        portStopped(self)

    def getHost(self) -> SCTPAddress:
        return self._stack.localAddress(self.sock, 0)

    def logPrefix(self) -> str:
        return f"{type(self.factory).__name__} (SCTP one-to-many)"
