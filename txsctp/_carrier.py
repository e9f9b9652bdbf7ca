"""
The seam between an association transport and the SCTP stack that carries
it.

L{txsctp._transport.SCTPTransport} is an SCTP association as Twisted sees
it: a write queue of whole messages, flow control, delivery to the
Protocol, closing.  It reaches the stack that carries the association only
through its C{_handle}, an object providing L{ICarrier}: one per socket,
shared by every association on a one-to-many socket: a
L{BaseCarrier<txsctp._basecarrier.BaseCarrier>} of the socket's style,
whose own stack (L{txsctp._stack}) is the kernel's or the userspace one.
Nothing above the transport -- Protocols, endpoints, string parsers,
twistd plugins, L{txsctp.testing} -- learns which stack carries an
association.

The contract runs both ways.  L{ICarrier} is what the transport calls.  In
the other direction a carrier drives the transport through these members
of L{SCTPTransport<txsctp._transport.SCTPTransport>} (private, because no
user calls them; they are this seam's, and change only with it):

  - Building (by the port or connector above the carrier, which knows
    the factory; a carrier never imports the transport):
    C{SCTPTransport._forAssociation(carrier, commUp, protocol, peer,
    options)}, registered with the carrier, then C{_start(commUp)}
    connects the Protocol and gives it C{associationUp}.
  - Sending: C{_queue} (a deque of C{(payload, meta, size)} entries, with
    the destination as a fourth item for a C{to=} override; C{meta} is a
    L{txsctp._messageformats} record), C{_queued} (whether it is on the
    carrier's list of queues to flush), C{_specials} (queued entries with
    a destination), C{_plainBatch()} (the first 64 entries sliced out when
    none has a destination), C{_sent(count, sizes)} (the first C{count}
    were taken by the stack), C{_sendFailedOnWrite(error)},
    C{_destinationRefused(error)}, C{_sendBroken}.
  - Receiving: C{_pieceReceived(message)} for anything but the fast path;
    the fast path calls C{_messageReceived(data, info)} directly for a
    whole message when C{_assembler} is C{None}, C{_readingPaused},
    C{_held}, C{disconnected} and C{_aborting} are all false and the size
    is within C{maxMessageSize}, and C{_protocolFailed()} if it raises.
  - Notifications: C{_notify(notification)}; the carrier updates nothing
    itself (the transport follows stream counts, restarts and shutdowns).
  - Ending: C{_lost(reason)} ends the association (L{ICarrier.associationEnding}
    says when); C{_abortWith(reason)}.
  - Peeling off: a carrier that hands an association to another carrier
    sets its C{_handle} and moves C{_queued}, C{_heldBytes} and the
    sender-dry subscription (C{_drySubscribed}, C{_dryWaiters},
    C{_subscribeDry()}) along.

Writes made while any carrier dispatches what it read are flushed when the
outermost read ends (L{reading}): a reply written from C{messageReceived}
goes out before the reactor waits again, with no timer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional

from zope.interface import Attribute, Interface

if TYPE_CHECKING:
    from twisted.python.failure import Failure

    from txsctp._transport import SCTPTransport
    from txsctp.address import SCTPAddress
    from txsctp.options import PeerAddrInfo, Status

    HostPort = tuple[str, int]

__all__ = ["BATCH_SIZE", "ICarrier", "ReadDispatch", "reading"]

BATCH_SIZE = 64
"""
Messages a carrier hands to its stack per call at most (and reads per call):
the unit in which the transport's bulk writes go ahead of the flush.
"""


class ICarrier(Interface):
    """
    What an association transport needs from the stack carrying it.
    """

    reactor: Any = Attribute("The reactor the carrier is registered with.")
    style: str = Attribute("C{'one-to-one'} or C{'one-to-many'}: the socket's style.")
    socket: Any = Attribute(
        "The socket object users may set options on (C{ISCTPTransport.socket}); "
        "its type depends on the stack."
    )
    addressFamily: int = Attribute("The socket's address family (C{AF_INET} or C{AF_INET6}).")
    maxSendSize: int = Attribute(
        "The largest message the stack takes in one send, in bytes (read from "
        "the stack when first needed)."
    )
    sendBufferHint: Optional[str] = Attribute(
        "How to raise L{maxSendSize}, for the text of a L{MessageTooLongError"
        "<txsctp.errors.MessageTooLongError>} (C{None}: the kernel's advice, "
        "naming C{net.core.wmem_max})."
    )
    _maxSendSize: int = Attribute(
        "L{maxSendSize} once known, else 0: the write path reads this first and "
        "falls back to C{_readMaxSendSize()}, which reads and caches it."
    )

    def _readMaxSendSize() -> int:
        """
        Read L{maxSendSize} from the stack, remember it and return it.
        """

    # -- handing over queued messages -----------------------------------

    def packParameters(stream: int, ppid: int, flags: int, assocId: int, context: int, prPolicy: int,
                       prValue: int) -> bytes:
        """
        One message's send parameters, checked (values are in range
        already) and packed (L{txsctp._messageformats}), for a message's
        queue entry.

        @raise StackFeatureError: the stack cannot send with them (a
            partial-reliability policy it lacks).
        """

    def scheduleFlush(transport: SCTPTransport) -> None:
        """
        C{transport} has messages queued: take them (up to a batch per call
        into the stack, round robin over associations) at the end of the
        read being dispatched if there is one, else in the reactor's next
        iteration.  The carrier credits what the stack took with
        C{transport._sent}, waits for room when it is full, and reports
        errors through C{transport._sendFailedOnWrite}.
        """

    def sendAhead(transport: SCTPTransport) -> None:
        """
        More than a full batch is queued on C{transport} outside any read:
        hand the first batch to the stack now if it takes it at once.  May
        do nothing; the flush already scheduled sends the rest.  Never
        calls back into the Protocol.
        """

    def flushPending() -> None:
        """
        Flush now if a flush is scheduled (when the outermost read ends, for
        carriers on L{reading}'s list: L{ReadDispatch.flushWrites} does
        this itself, through C{_flushScheduled} and C{_flush}).
        """

    _flushScheduled = Attribute("Whether a flush is scheduled (L{flushPending}, inlined).")

    def _flush() -> None:
        """
        Flush now (L{flushPending}, inlined).
        """

    # -- ending, aborting, peeling off -----------------------------------

    def shutdownAssociation(transport: SCTPTransport) -> None:
        """
        Start the graceful SHUTDOWN of C{transport}'s association (everything
        queued has been handed over).

        @raise OSError: the stack refused (the association is gone).
        """

    def abortAssociation(transport: SCTPTransport) -> None:
        """
        Have the stack send an ABORT for C{transport}'s association.

        @raise OSError: the stack refused (the association is gone).
        """

    def peelOff(transport: SCTPTransport) -> None:
        """
        Move C{transport}'s association to a socket of its own, keeping its
        queue, held messages and order.

        @raise ValueError: the socket is not one-to-many.
        """

    def associationEnding(transport: SCTPTransport, reason: Failure) -> None:
        """
        C{transport}'s association has ended with C{reason}: end the
        transport now (C{transport._lost(reason)}), or, while a read is
        being dispatched, once everything that read found for it has been
        delivered.
        """

    def associationLost(transport: SCTPTransport) -> None:
        """
        Forget an association that has ended, before its Protocol is told.
        """

    def associationEnded(transport: SCTPTransport, reason: Failure) -> None:
        """
        After the Protocol was told: the port or connector may react.
        """

    # -- reading ---------------------------------------------------------

    def associationPaused(transport: SCTPTransport) -> None:
        """
        The Protocol paused reading (C{pauseProducing}).
        """

    def associationResumed(transport: SCTPTransport) -> None:
        """
        The Protocol resumed reading.
        """

    def heldChanged(delta: int) -> None:
        """
        Bytes of received messages held for paused Protocols changed by
        C{delta}: above the carrier's cap it stops reading until they drain.
        """

    # -- addresses, status, options --------------------------------------

    def hostAddress(assocId: int) -> SCTPAddress:
        """
        This end of the association as an L{SCTPAddress
        <txsctp.address.SCTPAddress>}.
        """

    def localAddresses(assocId: int) -> List[HostPort]:
        """
        This end's addresses in the association, C{[(host, port), ...]}.
        """

    def peerAddresses(assocId: int) -> List[HostPort]:
        """
        The peer's addresses (its paths), C{[(host, port), ...]}.
        """

    def pathState(address: HostPort, assocId: int) -> PeerAddrInfo:
        """
        The L{txsctp.options.PeerAddrInfo} of one peer address.
        """

    def setPrimaryAddress(address: HostPort, assocId: int) -> None:
        """
        Send to the peer's C{address} by default.

        @raise OSError: C{address} is not one of the peer's.
        """

    def status(assocId: int) -> Status:
        """
        The association's L{txsctp.options.Status}.
        """

    def subscribeSenderDry(transport: SCTPTransport, on: bool) -> None:
        """
        Subscribe (or not) to C{SENDER_DRY} notifications for C{transport}'s
        association: subscribing while nothing is in flight makes the stack
        send one at once.

        @raise OSError: the stack refused.
        """


class ReadDispatch:
    """
    Whether some carrier is dispatching what it read, and the carriers to
    flush when the outermost read ends.

    @ivar depth: how many reads are being dispatched (nested when a
        Protocol's callback makes another carrier read).
    @ivar flushAfter: carriers with a flush scheduled during the read.
    """

    __slots__ = ("depth", "flushAfter")

    def __init__(self) -> None:
        self.depth = 0
        self.flushAfter: List[ICarrier] = []

    def flushWrites(self) -> None:
        """
        Flush the carriers written to while reads were being dispatched.
        """
        flushAfter = self.flushAfter
        while flushAfter:
            # (ICarrier.flushPending, inlined: this runs after every read
            # that wrote.)
            carrier = flushAfter.pop(0)
            if carrier._flushScheduled:
                carrier._flush()


reading = ReadDispatch()
"""
The process's one L{ReadDispatch}: carriers of every stack share it, so a
reply written while one carrier's read is dispatched leaves with that
read whatever stack carries it.
"""
