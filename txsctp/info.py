"""
Per-message information: what the kernel says about a received message
(L{RcvInfo}, L{NxtInfo}) and a received message with it (L{Message}).

PPIDs are always in host byte order: C{info.ppid == 46} for Diameter, not
C{0x2e000000}.  IANA's registered PPIDs for the common signalling protocols
are provided as constants (see L{PPID}).
"""

from __future__ import annotations

import enum
from typing import NamedTuple, Optional

from txsctp._addresses import HostPort
from txsctp._extension import lib

__all__ = ["RcvInfo", "NxtInfo", "Message", "PPID", "UNORDERED", "SACK_IMMEDIATELY"]

UNORDERED: int = lib.SCTP_UNORDERED
"""The unordered flag of a message (C{RcvInfo.flags}, send flags)."""
SACK_IMMEDIATELY: int = lib.SCTP_SACK_IMMEDIATELY
"""The send flag asking the peer to acknowledge a message at once."""


class PPID(enum.IntEnum):
    """
    Payload Protocol Identifiers from IANA's registry, host byte order.
    """

    UNSPECIFIED = 0
    IUA = 1
    M2UA = 2
    M3UA = 3
    SUA = 4
    M2PA = 5
    V5UA = 6
    H248 = 7
    BICC = 8
    TALI = 9
    DUA = 10
    ASAP = 11
    ENRP = 12
    H323 = 13
    QIPC = 14
    SIMCO = 15
    DDP_SEGMENT = 16
    DDP_STREAM = 17
    S1AP = 18
    RUA = 19
    HNBAP = 20
    FORCES_HP = 21
    FORCES_MP = 22
    FORCES_LP = 23
    SBC_AP = 24
    NBAP = 25
    X2AP = 27
    IRCP = 28
    LCS_AP = 29
    MPICH2 = 30
    SABP = 31
    FGP = 32
    PPP = 33
    CALCAPP = 34
    SSP = 35
    NPMP_CONTROL = 36
    NPMP_DATA = 37
    ECHO = 38
    DISCARD = 39
    DAYTIME = 40
    CHARGEN = 41
    RNA = 42
    M2AP = 43
    M3AP = 44
    SSH = 45
    DIAMETER = 46
    DIAMETER_DTLS = 47
    R14P = 48
    WEBRTC_DCEP = 50
    WEBRTC_STRING = 51
    WEBRTC_BINARY = 53
    PGP = 54
    SMB = 55
    WEBRTC_STRING_EMPTY = 56
    WEBRTC_BINARY_EMPTY = 57
    XWAP = 58
    XWCP = 59
    NGAP = 60
    XNAP = 61
    F1AP = 62
    HTTP_SCTP = 63
    E1AP = 64
    ELE2 = 65
    NGAP_DTLS = 66
    XNAP_DTLS = 67
    F1AP_DTLS = 68
    E1AP_DTLS = 69


class RcvInfo(NamedTuple):
    """
    The kernel's C{struct sctp_rcvinfo} for one received message.

    A named tuple (immutable, cheap to build: one is made per message).

    @ivar stream: the stream the message arrived on.
    @ivar ssn: its stream sequence number (meaningless when unordered).
    @ivar flags: C{rcv_flags}; see L{unordered}.
    @ivar ppid: Payload Protocol Identifier, host byte order.
    @ivar tsn: the TSN of the message's first DATA chunk.
    @ivar cumtsn: the cumulative TSN when the message was received.
    @ivar context: the context set with C{SCTP_CONTEXT}.
    @ivar assocId: the association it arrived on.
    """

    stream: int = 0
    ssn: int = 0
    flags: int = 0
    ppid: int = 0
    tsn: int = 0
    cumtsn: int = 0
    context: int = 0
    assocId: int = 0

    @property
    def unordered(self) -> bool:
        """
        C{True} if the message was sent unordered.
        """
        return bool(self.flags & UNORDERED)


class NxtInfo(NamedTuple):
    """
    The kernel's C{struct sctp_nxtinfo}: what the next queued message is
    (enabled with C{SCTP_RECVNXTINFO}).
    """

    stream: int = 0
    flags: int = 0
    ppid: int = 0
    length: int = 0
    assocId: int = 0


class Message(NamedTuple):
    """
    One received user message, or one piece of it.

    @ivar data: the payload.
    @ivar info: its L{RcvInfo} (a zero one if the kernel sent none).
    @ivar complete: C{True} if C{data} ends the message (C{MSG_EOR}); a
        piece of a larger message has C{complete=False} and more follows.
    @ivar address: the peer address it came from, where the kernel said.
    @ivar nxtInfo: the next message's L{NxtInfo}, if C{SCTP_RECVNXTINFO} is
        on and one is queued.
    """

    data: bytes
    info: RcvInfo
    complete: bool = True
    address: Optional[HostPort] = None
    nxtInfo: Optional[NxtInfo] = None
