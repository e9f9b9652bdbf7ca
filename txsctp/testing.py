"""
In-memory SCTP for unit tests: drive an SCTP Protocol without a kernel.

This is to txsctp what C{twisted.internet.testing.StringTransport} is to TCP
and C{treq.testing} is to treq: a test double that behaves like the real
transport as far as a Protocol can tell, so that an M3UA ASP, a Diameter
peer or any other L{txsctp.protocol.SCTPProtocol} can be tested
synchronously, with no socket, no reactor and no SCTP kernel.

Three pieces:

  - L{FakeSCTPTransport} provides L{ISCTPTransport}, C{ITransport},
    C{IConsumer} and C{IPushProducer} and records every message written
    through it in L{FakeSCTPTransport.messages} (L{SentMessage} records with
    stream, PPID and flags).  It checks what the real transport checks:
    streams against the negotiated count
    (L{txsctp.errors.StreamOutOfRangeError}), bytes only, no empty
    message, no write once closing
    (L{txsctp.errors.AssociationClosedError}), the queue cap
    (L{txsctp.errors.WriteQueueFullError}).
  - L{SCTPTestPeer} plays the remote end for one Protocol: it brings the
    association up (L{SCTPTestPeer.connect}), injects received messages
    (L{SCTPTestPeer.receiveMessage}) and any notification
    (L{SCTPTestPeer.notify}), and simulates what the network and the peer
    do: restart, path failure and recovery, abort, loss of communication,
    graceful shutdown, failed sends, acknowledgement (the sender going
    dry).
  - L{connectedPair} joins two Protocols through two fake transports; the
    L{SCTPPump} it returns moves messages, shutdowns and aborts between
    them when told to (like C{twisted.test.iosim}).

Example::

    from txsctp.testing import SCTPTestPeer

    def test_answersCER(self):
        proto = DiameterPeer()
        peer = SCTPTestPeer(proto, outboundStreams=2)
        peer.connect()
        peer.receiveMessage(cer.encode(), stream=0, ppid=46)
        [answer] = peer.sent
        self.assertEqual((answer.stream, answer.ppid), (0, 46))

What the Protocol sees is what the real transport gives it, in the same
order: C{makeConnection} then C{associationUp}; the closing notification
(C{associationLost}, C{shutdownComplete}) before C{connectionLost}; the
C{connectionLost} reasons C{ConnectionDone} (graceful close, either side),
C{ConnectionAborted} (local C{abortConnection}),
L{txsctp.errors.PeerAbortedError} (the peer aborted) and
L{txsctp.errors.CommunicationLostError} (the association failed); an
exception raised by a Protocol callback is logged and aborts the
association with that exception as the reason.  txsctp's test suite runs
the same scenarios against this fake and against real kernel associations
so that the two cannot drift apart.  What differs is time: the fake does
everything synchronously, when the test calls it.

This module builds on txsctp's interfaces and value types only; it never
opens a socket.  It is the public face of three private modules, one per
piece: C{txsctp._testing_transport} (the fake transport),
C{txsctp._testing_peer} (the test peer) and C{txsctp._testing_pump} (the
pair and its pump); import the names from here.
"""

from __future__ import annotations

# _lostReason and PRPolicy are not part of the API, but reachable here as
# before the split: tests compare closing reasons with testing._lostReason
# and build expected records with testing.PRPolicy.
from txsctp._testing_peer import ABORT_CAUSE_USER_INITIATED, SCTPTestPeer
from txsctp._testing_peer import _lostReason as _lostReason
from txsctp._testing_pump import SCTPPump, connectedPair
from txsctp._testing_transport import FakeSCTPTransport, SentMessage
from txsctp.options import PRPolicy as PRPolicy

__all__ = [
    "SentMessage",
    "FakeSCTPTransport",
    "SCTPTestPeer",
    "SCTPPump",
    "connectedPair",
    "ABORT_CAUSE_USER_INITIATED",
]
