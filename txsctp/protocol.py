"""
L{SCTPProtocol}: a Twisted Protocol for one SCTP association.

Override L{SCTPProtocol.messageReceived} to get whole messages with their
stream, PPID and flags; leave it alone and any existing Protocol's
C{dataReceived} gets each message's bytes, so byte-stream protocols run over
SCTP unchanged.  Notifications arrive through L{notificationReceived}, which
calls one specific method per notification type.
"""

from __future__ import annotations

from typing import Dict, Type

from zope.interface import implementer

from twisted.internet.protocol import Protocol
from twisted.logger import Logger

from txsctp.info import RcvInfo
from txsctp.interfaces import ISCTPProtocol, ISCTPTransport
from txsctp.notifications import (
    AdaptationIndication,
    AssociationChange,
    AssociationReset,
    AssociationState,
    AuthenticationEvent,
    Notification,
    PartialDeliveryEvent,
    PeerAddressChange,
    RemoteError,
    SendFailed,
    SenderDry,
    Shutdown,
    StreamChange,
    StreamReset,
    UnknownNotification,
)

__all__ = ["SCTPProtocol"]

# Keyed by int: a notification's state is an AssociationState, or the raw
# number of a state txsctp does not know.
_ASSOC_STATE_METHODS: Dict[int, str] = {
    AssociationState.COMM_UP: "associationUp",
    AssociationState.RESTART: "associationRestarted",
    AssociationState.COMM_LOST: "associationLost",
    AssociationState.SHUTDOWN_COMP: "shutdownComplete",
    AssociationState.CANT_STR_ASSOC: "cannotStartAssociation",
}

_NOTIFICATION_METHODS: Dict[Type[Notification], str] = {
    PeerAddressChange: "peerAddressChanged",
    SendFailed: "sendFailed",
    RemoteError: "remoteErrorReceived",
    Shutdown: "shutdownReceived",
    SenderDry: "senderDry",
    AdaptationIndication: "adaptationIndication",
    PartialDeliveryEvent: "partialDeliveryAborted",
    AuthenticationEvent: "authenticationEvent",
    StreamReset: "streamReset",
    AssociationReset: "associationReset",
    StreamChange: "streamChange",
    UnknownNotification: "unknownNotificationReceived",
}


@implementer(ISCTPProtocol)
class SCTPProtocol(Protocol):
    """
    Base class for SCTP Protocols.

    Every notification callback has a default implementation: most do
    nothing; L{sendFailed}, L{remoteErrorReceived} and
    L{unknownNotificationReceived} log, so nothing the kernel reports goes
    unseen.

    @ivar transport: the association's L{ISCTPTransport}, from
        C{makeConnection} on (C{None} before it, as for every Protocol).
    """

    # Declared (not assigned: Protocol's None stays the value before
    # makeConnection) so that type checkers know what a connected SCTP
    # Protocol's transport offers: self.transport.writeMessage(...).
    transport: ISCTPTransport

    _log = Logger()

    def messageReceived(self, data: bytes, info: RcvInfo) -> None:
        """
        One whole message arrived; by default, hand its bytes to
        C{dataReceived}.

        @param data: the message.
        @param info: its L{RcvInfo}: C{stream}, C{ppid} (host order),
            C{unordered}, C{ssn}, C{tsn}, C{context}, C{assocId}.
        """
        self.dataReceived(data)

    def notificationReceived(self, notification: Notification) -> None:
        """
        Dispatch a notification to the method for its type.

        @param notification: a L{txsctp.notifications.Notification}.
        """
        if isinstance(notification, AssociationChange):
            name = _ASSOC_STATE_METHODS.get(notification.state, "unknownNotificationReceived")
        else:
            name = _NOTIFICATION_METHODS.get(type(notification), "unknownNotificationReceived")
        getattr(self, name)(notification)

    def associationUp(self, notification: AssociationChange) -> None:
        """
        The association is up (called right after C{connectionMade}).
        """

    def associationRestarted(self, notification: AssociationChange) -> None:
        """
        The peer restarted the association; messages in flight may be lost
        and the peer's state is new.
        """

    def associationLost(self, notification: AssociationChange) -> None:
        """
        The association was aborted or failed; C{connectionLost} follows.
        """

    def shutdownComplete(self, notification: AssociationChange) -> None:
        """
        The graceful shutdown completed; C{connectionLost} follows.
        """

    def cannotStartAssociation(self, notification: AssociationChange) -> None:
        """
        The association could not be started.
        """

    def peerAddressChanged(self, notification: PeerAddressChange) -> None:
        """
        A path changed state (C{notification.state}, a
        L{txsctp.notifications.PeerAddressState}).
        """

    def sendFailed(self, notification: SendFailed) -> None:
        """
        A message was not delivered; C{notification.data} is its payload.
        Logged by default.
        """
        self._log.warn(
            "SCTP message of {size} bytes on stream {stream} (ppid {ppid}) was "
            "not delivered: error {error}",
            size=len(notification.data), stream=notification.stream,
            ppid=notification.ppid, error=notification.error,
        )

    def remoteErrorReceived(self, notification: RemoteError) -> None:
        """
        The peer reported an error (ERROR chunk).  Logged by default.
        """
        self._log.warn("SCTP peer reported error cause {cause}", cause=notification.error)

    def shutdownReceived(self, notification: Shutdown) -> None:
        """
        The peer started a graceful shutdown.
        """

    def senderDry(self, notification: SenderDry) -> None:
        """
        Everything sent so far has been acknowledged.
        """

    def adaptationIndication(self, notification: AdaptationIndication) -> None:
        """
        The peer's adaptation layer indication.
        """

    def partialDeliveryAborted(self, notification: PartialDeliveryEvent) -> None:
        """
        A partial delivery was aborted; the partial message is dropped.
        """

    def authenticationEvent(self, notification: AuthenticationEvent) -> None:
        """
        An SCTP-AUTH key event.
        """

    def streamReset(self, notification: StreamReset) -> None:
        """
        Streams were reset.
        """

    def associationReset(self, notification: AssociationReset) -> None:
        """
        The association's TSNs were reset.
        """

    def streamChange(self, notification: StreamChange) -> None:
        """
        The stream counts changed.
        """

    def unknownNotificationReceived(self, notification: Notification) -> None:
        """
        A notification txsctp does not know.  Logged by default.
        """
        self._log.info("SCTP notification not handled: {n!r}", n=notification)
