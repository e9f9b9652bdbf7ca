"""
Reassembly of messages the kernel hands over in pieces (partial delivery,
or a message longer than one receive slot).

Pieces are keyed by association and stream, so that interleaved partial
deliveries (C{SCTP_FRAGMENT_INTERLEAVE} level 2) reassemble correctly; with
the kernel's default level pieces of one message are never interleaved with
others anyway.  Pure logic, no system calls.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

from txsctp.errors import MessageTooLongError
from txsctp.info import Message


class MessageAssembler:
    """
    Collects message pieces until C{MSG_EOR}.

    @ivar maxMessageSize: the largest whole message accepted, in bytes.
    """

    def __init__(self, maxMessageSize: int) -> None:
        self.maxMessageSize = self._checkLimit(maxMessageSize)
        self._partial: Dict[Tuple[int, int], Tuple[List[bytes], int, Message]] = {}
        # Messages refused as too long whose remaining pieces are still to
        # come: they are dropped up to and including the last one.
        self._discarding: Set[Tuple[int, int]] = set()

    @staticmethod
    def _checkLimit(maxMessageSize: object) -> int:
        if isinstance(maxMessageSize, bool) or not isinstance(maxMessageSize, int):
            raise TypeError(f"maxMessageSize must be an int, not {type(maxMessageSize).__name__}")
        if maxMessageSize <= 0:
            raise ValueError(f"maxMessageSize must be positive, not {maxMessageSize}")
        return maxMessageSize

    def setMaxMessageSize(self, maxMessageSize: int) -> None:
        """
        Change the limit, keeping the pieces collected so far.
        """
        self.maxMessageSize = self._checkLimit(maxMessageSize)

    def feed(self, piece: Message) -> Optional[Message]:
        """
        Add one piece.

        @return: the whole message once its last piece is in, else C{None}.
        @raise MessageTooLongError: the message being assembled exceeds
            L{maxMessageSize}; its pieces are dropped, and so are the pieces
            of it still to come (the next message on that association and
            stream is assembled normally).
        """
        key = (piece.info.assocId, piece.info.stream)
        if key in self._discarding:
            if piece.complete:
                self._discarding.discard(key)
            return None
        pending = self._partial.get(key)
        if pending is None:
            if piece.complete:
                if len(piece.data) > self.maxMessageSize:
                    raise MessageTooLongError(len(piece.data), self.maxMessageSize, "received message")
                return piece
            pending = ([], 0, piece)
        chunks, size, first = pending
        size += len(piece.data)
        if size > self.maxMessageSize:
            self._partial.pop(key, None)
            if not piece.complete:
                self._discarding.add(key)
            raise MessageTooLongError(size, self.maxMessageSize, "received message")
        chunks.append(piece.data)
        if not piece.complete:
            self._partial[key] = (chunks, size, first)
            return None
        self._partial.pop(key, None)
        return Message(
            data=b"".join(chunks),
            info=first.info,
            complete=True,
            address=first.address,
            nxtInfo=piece.nxtInfo,
        )

    def pendingBytes(self, assocId: Optional[int] = None) -> int:
        """
        Bytes held in incomplete messages (of one association, or all).
        """
        return sum(
            size for (aid, _), (_, size, _) in self._partial.items()
            if assocId is None or aid == assocId
        )

    def abortPartial(self, assocId: int, stream: int) -> None:
        """
        The kernel aborted a partial delivery (C{SCTP_PARTIAL_DELIVERY_ABORTED},
        e.g. after a FORWARD-TSN on a live association): drop the pieces that
        will never be completed, so that the next message is not joined to
        them.  With message interleaving the kernel names the stream; for
        plain DATA Linux reports stream 0, and only one message of the
        association can be in partial delivery: when the stream named holds
        no pieces, every piece of the association goes.
        """
        key = (assocId, stream)
        if key in self._partial or key in self._discarding:
            self._partial.pop(key, None)
            self._discarding.discard(key)
        else:
            self.discard(assocId)

    def discard(self, assocId: int) -> None:
        """
        Drop the incomplete messages of an association that has ended.
        """
        for key in [k for k in self._partial if k[0] == assocId]:
            del self._partial[key]
        for key in [k for k in self._discarding if k[0] == assocId]:
            self._discarding.discard(key)
