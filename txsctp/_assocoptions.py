"""
L{AssociationOptions}: the settings a port or connector gives every
association it makes, whatever stack carries them.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from txsctp._consumer import DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_QUEUED_BYTES
from txsctp._portsupport import checkOptionalSize
from txsctp.notifications import DEFAULT_EVENTS, NotificationType
from txsctp.options import DEFAULT_TUNING, InitMsg, Tuning

__all__ = ["AssociationOptions", "REQUIRED_EVENTS"]


REQUIRED_EVENTS: Tuple[int, ...] = (
    NotificationType.ASSOC_CHANGE,
    NotificationType.SHUTDOWN_EVENT,
    NotificationType.SEND_FAILED_EVENT,
    NotificationType.PARTIAL_DELIVERY_EVENT,
)
"""
Notification types every association transport subscribes to, whatever
C{events} says: association changes make and end its Protocol, the peer's
SHUTDOWN stops its writes, failed sends are reported to the Protocol, and
an aborted partial delivery drops the pieces it left.
"""


# _withRequired's results for the event lists a program keeps using.
# Bounded: a program going through ever-new lists only loses the shortcut.
_eventLists: Dict[Tuple[int, ...], Tuple[int, ...]] = {}
_MAX_EVENT_LISTS = 64


def _withRequired(events: Sequence[int]) -> Tuple[int, ...]:
    """
    C{events} as a tuple, followed by the L{REQUIRED_EVENTS} it lacks.
    """
    given = events if isinstance(events, tuple) else tuple(events)
    try:
        result = _eventLists.get(given)
    except TypeError:  # something unhashable: nothing to remember it by
        return given + tuple(e for e in REQUIRED_EVENTS if e not in given)
    if result is None:
        result = given + tuple(e for e in REQUIRED_EVENTS if e not in given)
        if len(_eventLists) >= _MAX_EVENT_LISTS:
            _eventLists.clear()
        _eventLists[given] = result
    return result


class AssociationOptions:
    """
    Settings shared by every association of a port or connector.

    @ivar outStreams: outbound streams to ask for (C{None}: kernel default).
    @ivar inStreams: inbound streams to accept at most.
    @ivar maxAttempts: INIT retransmissions before giving up.
    @ivar maxInitTimeout: largest INIT retransmission timeout, ms.
    @ivar maxMessageSize: largest message accepted on receive; a larger one
        aborts the association with L{MessageTooLongError} as the reason.
    @ivar bufferSize: queued bytes above which a registered producer is
        paused (it is resumed at half of it); C{None}: half the socket's
        effective send buffer, between 64 KiB and 1 MiB.
    @ivar maxQueuedBytes: queued bytes beyond which C{write} refuses a
        message with L{WriteQueueFullError} (C{None}: no cap).
    @ivar tuning: socket settings (L{Tuning}).
    @ivar events: notification types to subscribe to; the transport adds
        those it is built on (L{REQUIRED_EVENTS}) to any list given.
    @ivar prepareSocket: called with each new socket (the stack's: an
        L{SCTPSocket<txsctp.sctpsocket.SCTPSocket>} for the kernel's) before
        it is bound or connected: the place for options that must be set
        before the association starts (SCTP-AUTH chunks and keys, RTO, peer
        address parameters).
    @ivar bundle: have the kernel fill packets with the small messages of
        each batch written together (C{MSG_MORE} on all but the last; see
        L{SCTPSocket.sendBatch}), when the send buffer is at least
        256 KiB.  Off by default: fewer, larger packets leave the repair of
        losses at a receiver that falls behind to timers (see the tuning
        notes).
    """

    def __init__(
        self,
        outStreams: Optional[int] = None,
        inStreams: Optional[int] = None,
        maxAttempts: Optional[int] = None,
        maxInitTimeout: Optional[int] = None,
        maxMessageSize: int = DEFAULT_MAX_MESSAGE_SIZE,
        bufferSize: Optional[int] = None,
        maxQueuedBytes: Optional[int] = DEFAULT_MAX_QUEUED_BYTES,
        tuning: Optional[Tuning] = DEFAULT_TUNING,
        events: Sequence[int] = DEFAULT_EVENTS,
        prepareSocket: Optional[Callable[[Any], None]] = None,
        bundle: bool = False,
    ) -> None:
        if prepareSocket is not None and not callable(prepareSocket):
            raise TypeError(f"prepareSocket must be callable, not {prepareSocket!r}")
        if not isinstance(bundle, bool):
            raise TypeError(f"bundle must be a bool, not {type(bundle).__name__}")
        self.prepareSocket = prepareSocket
        self.bundle = bundle
        # (Made at every connectSCTP: the checks skip what is left at its
        # default.)
        if outStreams is not None or inStreams is not None or maxAttempts is not None or maxInitTimeout is not None:
            for name, value, high in (
                ("outStreams", outStreams, 0xFFFF),
                ("inStreams", inStreams, 0xFFFF),
                ("maxAttempts", maxAttempts, 0xFFFF),
                ("maxInitTimeout", maxInitTimeout, 0xFFFF),
            ):
                if value is not None:
                    if isinstance(value, bool) or not isinstance(value, int):
                        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
                    if not 1 <= value <= high:
                        raise ValueError(f"{name} {value} is out of range 1..{high}")
        if (maxMessageSize.__class__ is not int
                and (isinstance(maxMessageSize, bool) or not isinstance(maxMessageSize, int))) or maxMessageSize <= 0:
            raise ValueError(f"maxMessageSize must be a positive int, not {maxMessageSize!r}")
        if bufferSize is not None:
            checkOptionalSize("bufferSize", bufferSize)
        if maxQueuedBytes is not None:
            checkOptionalSize("maxQueuedBytes", maxQueuedBytes)
        self.outStreams = outStreams
        self.inStreams = inStreams
        self.maxAttempts = maxAttempts
        self.maxInitTimeout = maxInitTimeout
        self.maxMessageSize = maxMessageSize
        self.bufferSize = bufferSize
        self.maxQueuedBytes = maxQueuedBytes
        self.tuning = tuning
        self.events = _withRequired(events)

    def initMsg(self) -> Optional[InitMsg]:
        # (Each is None or at least 1.)
        if self.outStreams is None and self.inStreams is None and self.maxAttempts is None \
                and self.maxInitTimeout is None:
            return None
        return InitMsg(
            numOutStreams=self.outStreams or 0,
            maxInStreams=self.inStreams or 0,
            maxAttempts=self.maxAttempts or 0,
            maxInitTimeout=self.maxInitTimeout or 0,
        )
