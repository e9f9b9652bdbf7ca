"""
Shared by the peer scripts in this folder and by the tests that drive them
(tests import it as C{peers.peerlib}; the scripts, run as C{python
tests/peers/X.py}, import it as C{peerlib}).

  - Sequence-numbered messages: C{seqMessage(stream, seq, size, gen)} builds
    one, C{parseSeq(data)} checks and decodes it (ValueError if corrupted).
    A message carries its stream, its sequence number within the stream and
    a generation (incremented by a restarted peer), then a filler derived
    from them, so any corruption, truncation or mix-up is detected.
  - L{SequenceChecker}: per-stream order checking: every gap (loss),
    duplicate or reordering is recorded.
  - Socket option helpers for the peers' command lines (RTO, heartbeat,
    path thresholds), and C{say()}: one line to stdout, flushed (the tests
    wait on these lines).
"""

from __future__ import annotations

import struct
import sys
from typing import Dict, List, Optional, Tuple

MAGIC = b"TXSQ"
_HEADER = struct.Struct(">4sHIIH")  # magic, stream, seq, gen, crc16-ish of the rest
HEADER_SIZE = _HEADER.size  # 16

# A long, fixed, non-periodic-looking byte pattern to cut fillers from.
_PATTERN = bytes((i * 131 + (i >> 8) * 7 + 17) & 0xFF for i in range(1 << 17))
_MAX_FILLER = len(_PATTERN) - 65536


def _offset(stream: int, seq: int, gen: int) -> int:
    return (seq * 2654435761 + stream * 40503 + gen * 97) % 65521


def _filler(stream: int, seq: int, gen: int, n: int) -> bytes:
    if n <= _MAX_FILLER:
        off = _offset(stream, seq, gen)
        return _PATTERN[off:off + n]
    reps = n // _MAX_FILLER + 1
    return (_filler(stream, seq, gen, _MAX_FILLER) * reps)[:n]


def seqMessage(stream: int, seq: int, size: int = HEADER_SIZE, gen: int = 0) -> bytes:
    """
    A self-checking message of C{size} bytes (at least L{HEADER_SIZE}).
    """
    size = max(size, HEADER_SIZE)
    tag = (stream * 7 + seq * 13 + gen * 3 + size) & 0xFFFF
    return _HEADER.pack(MAGIC, stream, seq & 0xFFFFFFFF, gen, tag) + _filler(
        stream, seq, gen, size - HEADER_SIZE)


def parseSeq(data: bytes) -> Tuple[int, int, int]:
    """
    Check a message built by L{seqMessage}.

    @return: C{(stream, seq, gen)}.
    @raise ValueError: the message is not intact.
    """
    if len(data) < HEADER_SIZE:
        raise ValueError(f"message of {len(data)} bytes is shorter than a header")
    magic, stream, seq, gen, tag = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError(f"bad magic {magic!r}")
    if tag != (stream * 7 + seq * 13 + gen * 3 + len(data)) & 0xFFFF:
        raise ValueError(f"bad tag in message stream={stream} seq={seq} len={len(data)}")
    if data[HEADER_SIZE:] != _filler(stream, seq, gen, len(data) - HEADER_SIZE):
        raise ValueError(f"corrupted payload in message stream={stream} seq={seq}")
    return stream, seq, gen


class SequenceChecker:
    """
    Checks that, per (generation, stream), sequence numbers arrive as
    0, 1, 2, ... with nothing lost, duplicated or reordered.

    @ivar errors: human-readable descriptions of every violation.
    @ivar count: messages seen.
    """

    def __init__(self) -> None:
        self.next: Dict[Tuple[int, int], int] = {}
        self.errors: List[str] = []
        self.count = 0

    def feed(self, stream: int, seq: int, gen: int = 0, infoStream: Optional[int] = None) -> None:
        self.count += 1
        if infoStream is not None and infoStream != stream:
            self.errors.append(f"message for stream {stream} arrived on stream {infoStream}")
        key = (gen, stream)
        expected = self.next.get(key, 0)
        if seq != expected:
            if seq > expected:
                self.errors.append(f"gen {gen} stream {stream}: got {seq}, expected {expected} (lost)")
            else:
                self.errors.append(f"gen {gen} stream {stream}: got {seq} after {expected - 1} "
                                   "(duplicate or reordered)")
        self.next[key] = max(expected, seq + 1)

    def feedMessage(self, data: bytes, infoStream: Optional[int] = None) -> Tuple[int, int, int]:
        try:
            stream, seq, gen = parseSeq(data)
        except ValueError as e:
            self.count += 1
            self.errors.append(str(e))
            return -1, -1, -1
        self.feed(stream, seq, gen, infoStream)
        return stream, seq, gen

    def received(self, gen: int = 0) -> Dict[int, int]:
        """
        C{{stream: messages received in order}} for one generation.
        """
        return {s: n for (g, s), n in self.next.items() if g == gen}

    def total(self, gen: Optional[int] = None) -> int:
        return sum(n for (g, _), n in self.next.items() if gen is None or g == gen)


def say(*parts) -> None:
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def addTimerArguments(parser) -> None:
    """
    Command-line options for the association timers of a peer's socket.
    """
    parser.add_argument("--rto-initial", type=int, default=0)
    parser.add_argument("--rto-min", type=int, default=0)
    parser.add_argument("--rto-max", type=int, default=0)
    parser.add_argument("--hb-interval", type=int, default=0)
    parser.add_argument("--path-max-retrans", type=int, default=0)
    parser.add_argument("--pf-threshold", type=int, default=-1)
    parser.add_argument("--assoc-max-retrans", type=int, default=0)
    parser.add_argument("--max-attempts", type=int, default=0)


def applyTimers(sock, args, assocId: Optional[int] = None) -> None:
    """
    Apply the timer options to a socket (for future associations by
    default).
    """
    from txsctp.options import HB_ENABLE, AssocParams, PeerAddrParams, PeerAddrThresholds, RTOInfo
    from txsctp.sctpsocket import FUTURE_ASSOC

    a = FUTURE_ASSOC if assocId is None else assocId
    if args.rto_initial or args.rto_min or args.rto_max:
        sock.setRTOInfo(RTOInfo(initial=args.rto_initial, max=args.rto_max, min=args.rto_min), a)
    if args.hb_interval or args.path_max_retrans:
        sock.setPeerAddrParams(PeerAddrParams(hbInterval=args.hb_interval,
                                              pathMaxRetrans=args.path_max_retrans,
                                              flags=HB_ENABLE if args.hb_interval else 0), a)
    if args.pf_threshold >= 0:
        sock.setPeerAddrThresholds(PeerAddrThresholds(
            pathMaxRetrans=args.path_max_retrans or 5, pathPfThreshold=args.pf_threshold), a)
    if args.assoc_max_retrans:
        sock.setAssocParams(AssocParams(maxRetrans=args.assoc_max_retrans), a)


def addressList(text: str, port: int):
    return [(h, port) for h in text.split(",") if h]


class Receiver:
    """
    Whole messages and notifications from a blocking L{SCTPSocket}, with
    end of file (a one-to-one socket whose association is gone) reported as
    C{None}: the socket layer's C{receive()} hands back an empty, incomplete
    piece at end of file, which it would otherwise wait on for ever.
    """

    def __init__(self, sock, maxMessageSize: int = 16 << 20) -> None:
        from txsctp._assembly import MessageAssembler

        self.sock = sock
        self.assembler = MessageAssembler(maxMessageSize)

    def next(self):
        from txsctp.notifications import Notification

        while True:
            item = self.sock.receiveMessage()
            if isinstance(item, Notification):
                return item
            if not item.data and not item.complete:
                return None
            whole = self.assembler.feed(item)
            if whole is not None:
                return whole
