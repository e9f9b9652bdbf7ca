"""
Producer registration (C{IConsumer}) for message transports, shared by the
real transport and the in-memory one of L{txsctp.testing}.  Pure Python.
"""

from __future__ import annotations

from typing import Any


class ProducerRegistration:
    """
    C{registerProducer} with the pause-above-the-high-water-mark rule.

    Users provide C{disconnected}, C{bufferSize} and L{_bytesQueued}.

    @ivar producer: the registered producer, or C{None}.
    @ivar streamingProducer: whether it is a push producer.
    @ivar producerPaused: whether it was paused for a full queue.
    """

    producer: Any = None
    streamingProducer = False
    producerPaused = False
    disconnected: bool
    bufferSize: int

    def _bytesQueued(self) -> int:
        raise NotImplementedError()

    def registerProducer(self, producer, streaming: bool) -> None:
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
