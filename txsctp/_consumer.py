"""
Behaviour shared by the real transport and the in-memory one of
L{txsctp.testing}: producer registration (C{IConsumer}) and the close
Deferreds.  Pure Python.
"""

from __future__ import annotations

from typing import Any, Optional

from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure

DEFAULT_BUFFER_SIZE = 1 << 20
"""
Queued bytes above which a registered producer is paused (it is resumed at
half of it): as much as the default send buffer holds, so that bulk writers
keep the kernel's buffer full."""

DEFAULT_MAX_QUEUED_BYTES = 64 << 20
"""Cap on an association's queued bytes: writes beyond it are refused."""

DEFAULT_MAX_MESSAGE_SIZE = 16 << 20
"""Largest message a transport accepts on receive unless told otherwise."""


class ProducerRegistration:
    """
    C{registerProducer} with the pause-above-the-high-water-mark rule.

    Users provide C{disconnected}, C{bufferSize} and L{_bytesQueued}, and
    set the three attributes below in their C{__init__}.

    @ivar producer: the registered producer, or C{None}.
    @ivar streamingProducer: whether it is a push producer.
    @ivar producerPaused: whether it was paused for a full queue.
    """

    # The registration's own state, set by the users' __init__.
    __slots__ = ("producer", "streamingProducer", "producerPaused")

    producer: Any
    streamingProducer: bool
    producerPaused: bool
    disconnected: bool
    bufferSize: int

    def _bytesQueued(self) -> int:
        raise NotImplementedError()

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """
        Register a producer (C{IConsumer}): a streaming one is paused when
        more than C{bufferSize} bytes are queued and resumed when the queue
        drains; a pull one is asked for more at once and each time the
        queue drains.

        @raise RuntimeError: a producer is registered already.
        """
        if self.producer is not None:
            raise RuntimeError(
                f"Cannot register producer {producer}, because producer {self.producer} "
                "was never unregistered."
            )
        if self.disconnected:
            producer.stopProducing()
            return
        self.producer = producer
        self.streamingProducer = streaming
        self.producerPaused = False
        if not streaming:
            producer.resumeProducing()
        elif self._bytesQueued() > self.bufferSize:
            self.producerPaused = True
            producer.pauseProducing()

    def _queueEmptied(self) -> None:
        """
        The queue has drained: resume a paused streaming producer, ask a
        pull producer for more.
        """
        if self.producer is None:
            return
        if self.streamingProducer:
            if self.producerPaused:
                self.producerPaused = False
                self.producer.resumeProducing()
        else:
            self.producer.resumeProducing()


def fireClosed(d: Deferred, reason: Optional[Failure]) -> None:
    """
    Fire a C{whenClosed} Deferred: C{None} after a clean close
    (C{ConnectionDone}), the reason as a failure otherwise.
    """
    if reason is None or reason.check(ConnectionDone):
        d.callback(None)
    else:
        d.errback(reason)
