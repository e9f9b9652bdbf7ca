"""
The in-memory link of L{txsctp.testing}: L{connectedPair} joins two
Protocols through two fake transports, and the L{SCTPPump} it returns moves
messages, shutdowns and aborts between them when told to.

Private: import these names from L{txsctp.testing}.
"""

from __future__ import annotations

from typing import Any, Generic, Optional, TypeVar

from twisted.internet.interfaces import IProtocol

from txsctp._testing_peer import ABORT_CAUSE_USER_INITIATED, SCTPTestPeer
from txsctp._testing_transport import _DEFAULT_BUFFER_SIZE
from txsctp.address import SCTPAddress

_ClientT = TypeVar("_ClientT", bound=IProtocol)
_ServerT = TypeVar("_ServerT", bound=IProtocol)


class SCTPPump(Generic[_ClientT, _ServerT]):
    """
    Moves messages between two Protocols joined by L{connectedPair} when
    told to (L{flush}), like C{twisted.test.iosim.IOPump}.

    @ivar client: the client side's L{SCTPTestPeer} (its C{protocol} is the
        client Protocol, its C{transport} the client's transport).
    @ivar server: the server side's L{SCTPTestPeer}.
    """

    def __init__(self, client: SCTPTestPeer[_ClientT], server: SCTPTestPeer[_ServerT]) -> None:
        self.client = client
        self.server = server

    def _move(self, src: SCTPTestPeer[Any], dst: SCTPTestPeer[Any]) -> bool:
        outbox = src.transport._outbox
        if outbox is None or not outbox or dst.transport.disconnected:
            return False
        while outbox and not dst.transport.disconnected:
            m = outbox.pop(0)
            dst.receiveMessage(m.data, stream=m.stream, ppid=m.ppid, unordered=m.unordered)
        return True

    def _acknowledge(self, src: SCTPTestPeer[Any], dst: SCTPTestPeer[Any]) -> bool:
        t = src.transport
        if t.disconnected or t._outbox:
            return False
        if t.queuedBytes or t._dryWaiters:
            src.acknowledge()
            return True
        return False

    def _close(self, src: SCTPTestPeer[Any], dst: SCTPTestPeer[Any]) -> bool:
        t = src.transport
        if t.disconnected or not t.shutdownStarted or t._outbox:
            return False
        if dst.transport.disconnected or dst._shutDown:
            return False
        # The SHUTDOWN reaches the peer (SHUTDOWN_EVENT, then SHUTDOWN_COMP
        # when the SHUTDOWN-COMPLETE arrives); the closing side gets
        # SHUTDOWN_COMP once it receives the SHUTDOWN-ACK.  The kernels
        # complete this even if the peer's application is not reading: its
        # notifications then wait with its unread messages.
        dst.shutdown()
        src.completeShutdown()
        return True

    def _abort(self, src: SCTPTestPeer[Any], dst: SCTPTestPeer[Any]) -> bool:
        if src.transport.aborted and not dst.transport.disconnected and not dst._aborted:
            dst.abort(ABORT_CAUSE_USER_INITIATED)
            return True
        return False

    def flush(self) -> bool:
        """
        Deliver what both sides wrote, acknowledge it, then carry out any
        close or abort, until nothing moves.  As with kernel SCTP, a side
        whose reading is paused still acknowledges and takes part in
        closes; what it is told waits, in order, until it resumes.

        @return: whether anything moved.
        """
        movedAny = False
        sides = ((self.client, self.server), (self.server, self.client))
        while True:
            moved = False
            for src, dst in sides:
                moved = self._move(src, dst) or moved
            for src, dst in sides:
                moved = self._acknowledge(src, dst) or moved
            for src, dst in sides:
                moved = self._abort(src, dst) or self._close(src, dst) or moved
            if not moved:
                return movedAny
            movedAny = True


def connectedPair(
    serverProtocol: _ServerT,
    clientProtocol: _ClientT,
    *,
    serverAddress: Optional[SCTPAddress] = None,
    clientAddress: Optional[SCTPAddress] = None,
    clientOutStreams: int = 10,
    clientInStreams: int = 65535,
    serverOutStreams: int = 10,
    serverInStreams: int = 65535,
    serverAssocId: int = 1,
    clientAssocId: int = 1,
    bufferSize: int = _DEFAULT_BUFFER_SIZE,
    supportAuth: bool = False,
) -> SCTPPump[_ClientT, _ServerT]:
    """
    Join two Protocols by an in-memory association and bring it up: each
    gets C{makeConnection} and C{associationUp}, server first.

    Stream counts are negotiated as SCTP does (RFC 9260 section 5.1.1):
    each side's outbound count is the smaller of what it asks for and what
    the other side accepts (Linux's defaults: 10 out, 65535 in).

    @param serverProtocol: the Protocol playing the server.
    @param clientProtocol: the Protocol playing the client.
    @param serverAddress: the server's address (default
        C{127.0.0.1:2905}).
    @param clientAddress: the client's address (default
        C{127.0.0.1:49152}).
    @param clientOutStreams: outbound streams the client asks for.
    @param clientInStreams: inbound streams the client accepts.
    @param serverOutStreams: outbound streams the server asks for.
    @param serverInStreams: inbound streams the server accepts.
    @param serverAssocId: the association id on the server's side.
    @param clientAssocId: the association id on the client's side.
    @param bufferSize: both transports' producer high-water mark.
    @param supportAuth: both sides use SCTP-AUTH (no
        C{SCTP_AUTH_NO_AUTH} event after C{COMM_UP}).
    @return: the L{SCTPPump}; call its C{flush} to move messages.
    """
    serverAddress = serverAddress or SCTPAddress("127.0.0.1", 2905)
    clientAddress = clientAddress or SCTPAddress("127.0.0.1", 49152)
    cOut = min(clientOutStreams, serverInStreams)
    sOut = min(serverOutStreams, clientInStreams)
    client = SCTPTestPeer(
        clientProtocol, hostAddress=clientAddress, peerAddress=serverAddress,
        assocId=clientAssocId, outboundStreams=cOut, inboundStreams=sOut,
        bufferSize=bufferSize, peerSupportsAuth=supportAuth,
    )
    server = SCTPTestPeer(
        serverProtocol, hostAddress=serverAddress, peerAddress=clientAddress,
        assocId=serverAssocId, outboundStreams=sOut, inboundStreams=cOut,
        bufferSize=bufferSize, peerSupportsAuth=supportAuth,
    )
    client.transport._outbox = []
    server.transport._outbox = []
    server.connect()
    client.connect()
    return SCTPPump(client, server)
