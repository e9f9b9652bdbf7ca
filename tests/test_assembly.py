"""
L{txsctp._assembly.MessageAssembler}: pieces of messages in, whole messages
out, per association and stream, with a size cap.  Pure logic.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txsctp._assembly import MessageAssembler
from txsctp.errors import MessageTooLongError
from txsctp.info import Message, NxtInfo, RcvInfo


def piece(data: bytes, complete: bool, assocId: int = 1, stream: int = 0, ppid: int = 0,
          address=None, nxt=None) -> Message:
    return Message(
        data=data, info=RcvInfo(stream=stream, ppid=ppid, assocId=assocId), complete=complete,
        address=address, nxtInfo=nxt,
    )


def test_wholeMessagePassesThrough():
    a = MessageAssembler(100)
    m = piece(b"abc", True)
    assert a.feed(m) is m


def test_piecesJoined():
    a = MessageAssembler(100)
    assert a.feed(piece(b"ab", False, ppid=46, address=("127.0.0.1", 9))) is None
    assert a.pendingBytes() == 2
    assert a.feed(piece(b"cd", False)) is None
    nxt = NxtInfo(stream=1)
    whole = a.feed(piece(b"ef", True, nxt=nxt))
    assert whole.data == b"abcdef"
    assert whole.complete
    # The first piece's info and address, the last piece's next-info.
    assert whole.info.ppid == 46
    assert whole.address == ("127.0.0.1", 9)
    assert whole.nxtInfo == nxt
    assert a.pendingBytes() == 0


def test_interleavedAssociationsAndStreams():
    a = MessageAssembler(100)
    assert a.feed(piece(b"A1", False, assocId=1, stream=0)) is None
    assert a.feed(piece(b"B1", False, assocId=2, stream=0)) is None
    assert a.feed(piece(b"C1", False, assocId=1, stream=5)) is None
    assert a.pendingBytes() == 6
    assert a.pendingBytes(1) == 4
    assert a.feed(piece(b"B2", True, assocId=2, stream=0)).data == b"B1B2"
    assert a.feed(piece(b"C2", True, assocId=1, stream=5)).data == b"C1C2"
    assert a.feed(piece(b"A2", True, assocId=1, stream=0)).data == b"A1A2"


def test_wholeMessageOverLimit():
    a = MessageAssembler(3)
    assert a.feed(piece(b"abc", True)).data == b"abc"
    with pytest.raises(MessageTooLongError) as e:
        a.feed(piece(b"abcd", True))
    assert e.value.size == 4 and e.value.limit == 3
    assert "limit 3 bytes" in str(e.value)
    assert isinstance(e.value, OSError)


def test_overLimitDropsTheRestOfThatMessage():
    """
    Once a message is refused, its later pieces are dropped up to its last
    one; the next message on the same stream comes through whole.
    """
    a = MessageAssembler(5)
    assert a.feed(piece(b"abc", False)) is None
    with pytest.raises(MessageTooLongError):
        a.feed(piece(b"def", False))
    assert a.pendingBytes() == 0
    assert a.feed(piece(b"ghi", False)) is None
    assert a.feed(piece(b"jkl", True)) is None
    # Other streams are untouched meanwhile.
    assert a.feed(piece(b"ok", True, stream=3)).data == b"ok"
    assert a.feed(piece(b"next", True)).data == b"next"


def test_overLimitOnLastPiece():
    a = MessageAssembler(5)
    a.feed(piece(b"abc", False))
    with pytest.raises(MessageTooLongError):
        a.feed(piece(b"def", True))
    # Nothing left to discard: the next message is fine.
    assert a.feed(piece(b"x", True)).data == b"x"


def test_discard():
    a = MessageAssembler(100)
    a.feed(piece(b"aa", False, assocId=1))
    a.feed(piece(b"bb", False, assocId=2))
    a.discard(1)
    assert a.pendingBytes() == 2
    assert a.feed(piece(b"new", True, assocId=1)).data == b"new"
    assert a.feed(piece(b"cc", True, assocId=2)).data == b"bbcc"


def test_discardForgetsARefusedMessage():
    a = MessageAssembler(2)
    a.feed(piece(b"ab", False))
    with pytest.raises(MessageTooLongError):
        a.feed(piece(b"c", False))
    a.discard(1)
    assert a.feed(piece(b"z", True)).data == b"z"


def test_setMaxMessageSizeKeepsPieces():
    a = MessageAssembler(4)
    a.feed(piece(b"abc", False))
    a.setMaxMessageSize(10)
    assert a.feed(piece(b"defg", True)).data == b"abcdefg"


@pytest.mark.parametrize("bad", [0, -1])
def test_badLimit(bad):
    with pytest.raises(ValueError):
        MessageAssembler(bad)
    with pytest.raises(ValueError):
        MessageAssembler(1).setMaxMessageSize(bad)


@pytest.mark.parametrize("bad", ["10", 1.5, None, True])
def test_limitType(bad):
    with pytest.raises(TypeError):
        MessageAssembler(bad)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2), st.lists(st.binary(min_size=1, max_size=20),
                                                                  min_size=1, max_size=5)),
        max_size=20,
    )
)
def test_interleavingProperty(messages):
    """
    Messages split into pieces and interleaved across (association, stream)
    keys, in order within each key, come out whole and in order per key.
    """
    a = MessageAssembler(1 << 20)
    queues = {}
    for assocId, stream, pieces in messages:
        queues.setdefault((assocId, stream), []).append(pieces)
    expected = {k: [b"".join(p) for p in v] for k, v in queues.items()}
    streams = {k: [(p, i == len(ps) - 1) for ps in v for i, p in enumerate(ps)] for k, v in queues.items()}
    got = {k: [] for k in queues}
    # Round-robin across keys: maximal interleaving.
    while any(streams.values()):
        for key, items in streams.items():
            if items:
                data, last = items.pop(0)
                out = a.feed(piece(data, last, assocId=key[0], stream=key[1]))
                if out is not None:
                    got[key].append(out.data)
    assert got == expected
    assert a.pendingBytes() == 0


def test_abortedPartialDeliveryDropsOnlyThatMessage():
    """
    A partial delivery the kernel aborts (C{SCTP_PARTIAL_DELIVERY_ABORTED},
    e.g. after a FORWARD-TSN while the association lives on) leaves pieces
    that will never be completed: L{MessageAssembler.abortPartial} drops
    them, so the next message on that stream is not glued to them.  Linux
    reports stream 0 for plain DATA (only one message can be in partial
    delivery then): with no pieces on the stream named, the association's
    pieces are dropped.  Other associations keep theirs.
    """
    a = MessageAssembler(100)
    assert a.feed(piece(b"lost-", False, assocId=1, stream=3)) is None
    assert a.feed(piece(b"other-", False, assocId=2, stream=3)) is None
    a.abortPartial(1, 0)
    assert a.feed(piece(b"next", True, assocId=1, stream=3)).data == b"next"
    assert a.feed(piece(b"kept", True, assocId=2, stream=3)).data == b"other-kept"

    # With interleaving the kernel names the stream: only that one goes.
    assert a.feed(piece(b"s1-", False, assocId=1, stream=1)) is None
    assert a.feed(piece(b"s2-", False, assocId=1, stream=2)) is None
    a.abortPartial(1, 2)
    assert a.feed(piece(b"end", True, assocId=1, stream=1)).data == b"s1-end"
    assert a.feed(piece(b"new", True, assocId=1, stream=2)).data == b"new"
    assert a.pendingBytes() == 0
