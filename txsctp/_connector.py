"""
The client side, on any stack: L{Connector} (an C{IConnector}, after
C{twisted.internet.tcp.Connector}) and the one-to-one socket it connects
with, L{Client}.
"""

from __future__ import annotations

import errno
from typing import Any, List, Optional, Sequence, Union

from twisted.internet import base, defer, error
from twisted.internet.protocol import ClientFactory
from twisted.python import failure

from txsctp._assocoptions import AssociationOptions
from txsctp._onetoone import _OneToOneSocket
from txsctp._portsupport import (
    bindList,
    connectError,
    hostList,
    isLiteral,
    retireTimer,
    validatePort,
)
from txsctp._transport import SCTPTransport
from txsctp.address import SCTPAddress
from txsctp.errors import CannotStartAssociationError
from txsctp.info import Message
from txsctp.notifications import AssociationChange, AssociationState, Notification

__all__ = ["Client", "Connector"]


class Client(_OneToOneSocket):
    """
    A one-to-one socket connecting out for a L{Connector}.
    """

    def __init__(self, hosts: List[str], port: int, bindAddress: Any, connector: Connector, reactor: Any,
                 options: AssociationOptions, stack: Any) -> None:
        _OneToOneSocket.__init__(self, None, reactor, options, stack)
        self.connector = connector
        self.hosts = hosts
        self._knownPeer = (hosts[0], port)
        self.port = port
        self.bindAddress = bindAddress
        self._failed = False
        try:
            names = [h for h in hosts if not isLiteral(h)]
            if not names:
                self._connect(hosts)
            else:
                d = defer.gatherResults([reactor.resolve(h) if not isLiteral(h) else defer.succeed(h)
                                         for h in hosts], consumeErrors=True)
                d.addCallbacks(self._connect, self._resolveFailed)
        except Exception as e:
            self._failLater(connectError(e))

    def _resolveFailed(self, f: failure.Failure) -> None:
        err = f.value
        if isinstance(err, defer.FirstError):
            err = err.subFailure.value
        self.failIfNotConnected(error.DNSLookupError(str(err)))

    def _failLater(self, err: Exception) -> None:
        self.reactor.callLater(0, self.failIfNotConnected, err)

    def _connect(self, hosts: List[str]) -> None:
        if self._failed:
            return
        try:
            sock, self.assocId = self._stack.connectClient(self.options, list(hosts), self.port,
                                                           bindList(self.bindAddress))
        except Exception as e:
            self._failLater(connectError(e))
            return
        self._setSocket(sock)
        self.startReading()

    def failIfNotConnected(self, err: Union[Exception, failure.Failure]) -> None:
        """
        Give up connecting (called by the connector's timeout too).
        """
        if self.connected or self._failed or self.disconnected:
            return
        self._failed = True
        self.stopReading()
        self.stopWriting()
        self._closeSocket()
        self.disconnected = 1
        if isinstance(err, failure.Failure):
            reason = err
        else:
            reason = failure.Failure(err)
        self.connector.connectionFailed(reason)

    def _buildAssociation(self, notification: AssociationChange) -> None:
        if self._failed:
            return
        addr = self._peerAddress(notification.assocId)
        protocol = self.connector.buildProtocol(addr)
        if protocol is None:
            self.abortAssociation(None)  # type: ignore[arg-type]
            self.failIfNotConnected(error.ConnectError(string="the factory refused the association"))
            return
        transport = SCTPTransport._forAssociation(self, notification, protocol, addr, self.options)
        self._carry(transport)
        transport._start(notification)

    def _orphan(self, item: Union[Message, Notification]) -> None:
        if self.transport is None and isinstance(item, AssociationChange) and item.state in (
                AssociationState.CANT_STR_ASSOC, AssociationState.COMM_LOST):
            self.failIfNotConnected(self._cannotStart(item))
            return
        _OneToOneSocket._orphan(self, item)

    def _cannotStart(self, note: AssociationChange) -> Exception:
        try:
            err = self._stack.socketError(self.sock)
        except OSError:
            err = 0
        if err == errno.ECONNREFUSED or note.info:
            return error.ConnectionRefusedError(string="the peer answered INIT with ABORT")
        if err in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return error.NoRouteError(string=errno.errorcode.get(err, str(err)))
        return CannotStartAssociationError(
            string=f"the association could not be started: INIT retransmissions exhausted "
                   f"(error {note.error}, {errno.errorcode.get(err, err)})")

    def _readError(self, e: OSError) -> Any:
        if self.transport is None:
            if e.errno == errno.ETIMEDOUT:
                # INIT retransmissions exhausted: the kernel reports
                # ETIMEDOUT before the CANT_STR_ASSOC notification.
                self.failIfNotConnected(CannotStartAssociationError(
                    string="the association could not be started: INIT retransmissions exhausted"))
            else:
                self.failIfNotConnected(connectError(e))
            return None
        return _OneToOneSocket._readError(self, e)

    def _readEOF(self) -> Optional[failure.Failure]:
        if self.transport is None:
            self.failIfNotConnected(error.ConnectionRefusedError())
            return None
        lost: Optional[failure.Failure] = _OneToOneSocket._readEOF(self)
        return lost

    def associationEnded(self, transport: SCTPTransport, reason: failure.Failure) -> None:
        self.connector.connectionLost(reason)

    def getDestination(self) -> SCTPAddress:
        return SCTPAddress(self.hosts[0], self.port, tuple(self.hosts))


class Connector(base.BaseConnector):
    """
    An C{IConnector} for SCTP client associations (one-to-one sockets).
    """

    def __init__(self, host: Union[str, Sequence[str]], port: int, factory: ClientFactory, timeout: Optional[float],
                 bindAddress: Any, reactor: Any, options: AssociationOptions, *, stack: Any) -> None:
        self._stack = stack
        self.hosts = hostList(host, "host")
        validatePort(port)
        if port == 0:
            raise ValueError("cannot connect to port 0")
        bindList(bindAddress)  # validate now
        self.port = port
        self.bindAddress = bindAddress
        self.options = options
        # Twisted's annotation says float, but its connect() takes None as
        # no timeout, which is what None means here.
        base.BaseConnector.__init__(self, factory, timeout, reactor)  # type: ignore[arg-type]

    def _makeTransport(self) -> Client:  # type: ignore[override]
        return Client(self.hosts, self.port, self.bindAddress, self, self.reactor, self.options, self._stack)

    def cancelTimeout(self) -> None:
        """
        Retire the connect timeout once the attempt has ended (the
        association is up, or the attempt failed); see L{retireTimer}.
        L{Client.failIfNotConnected} does nothing once the attempt has
        ended.
        """
        call = self.timeoutID
        if call is not None:
            retireTimer(call)
            del self.timeoutID

    def getDestination(self) -> SCTPAddress:
        return SCTPAddress(self.hosts[0], self.port, tuple(self.hosts))
