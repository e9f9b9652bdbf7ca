"""
Value types for SCTP socket options (RFC 6458 section 8), as read and written
by L{txsctp.sctpsocket.SCTPSocket}.

Times are in milliseconds (as the kernel takes them) unless a field's
docstring says otherwise.
"""

from __future__ import annotations

import enum
from typing import Optional

import attr

from txsctp._addresses import HostPort
from txsctp._extension import lib

__all__ = [
    "ONE_TO_ONE",
    "ONE_TO_MANY",
    "InitMsg",
    "RTOInfo",
    "AssocParams",
    "PeerAddrParams",
    "PeerAddrThresholds",
    "PeerAddrInfo",
    "PathState",
    "AssocState",
    "Status",
    "DelayedSack",
    "DefaultSendInfo",
    "DefaultPRInfo",
    "PRPolicy",
    "AssocStats",
    "Tuning",
    "DEFAULT_TUNING",
    "HB_ENABLE",
    "HB_DISABLE",
    "HB_DEMAND",
    "PMTUD_ENABLE",
    "PMTUD_DISABLE",
    "SACKDELAY_ENABLE",
    "SACKDELAY_DISABLE",
    "HB_TIME_IS_ZERO",
]

ONE_TO_ONE = "one-to-one"
"""The one-to-one socket style (C{SOCK_STREAM}): one association per socket."""
ONE_TO_MANY = "one-to-many"
"""The one-to-many socket style (C{SOCK_SEQPACKET}): many associations on one socket."""

HB_ENABLE: int = lib.SPP_HB_ENABLE
HB_DISABLE: int = lib.SPP_HB_DISABLE
HB_DEMAND: int = lib.SPP_HB_DEMAND
PMTUD_ENABLE: int = lib.SPP_PMTUD_ENABLE
PMTUD_DISABLE: int = lib.SPP_PMTUD_DISABLE
SACKDELAY_ENABLE: int = lib.SPP_SACKDELAY_ENABLE
SACKDELAY_DISABLE: int = lib.SPP_SACKDELAY_DISABLE
HB_TIME_IS_ZERO: int = lib.SPP_HB_TIME_IS_ZERO


class PRPolicy(enum.IntEnum):
    """
    Partial reliability (PR-SCTP, RFC 3758/7496) policies.
    """

    NONE = lib.SCTP_PR_SCTP_NONE
    TTL = lib.SCTP_PR_SCTP_TTL
    RTX = lib.SCTP_PR_SCTP_RTX
    PRIO = lib.SCTP_PR_SCTP_PRIO


class PathState(enum.IntEnum):
    """
    A peer address's (path's) state, C{spinfo_state}.
    """

    INACTIVE = lib.SCTP_INACTIVE
    POTENTIALLY_FAILED = lib.SCTP_PF
    ACTIVE = lib.SCTP_ACTIVE
    UNCONFIRMED = lib.SCTP_UNCONFIRMED
    UNKNOWN = lib.SCTP_UNKNOWN


class AssocState(enum.IntEnum):
    """
    An association's state, C{sstat_state}.
    """

    EMPTY = lib.SCTP_EMPTY
    CLOSED = lib.SCTP_CLOSED
    COOKIE_WAIT = lib.SCTP_COOKIE_WAIT
    COOKIE_ECHOED = lib.SCTP_COOKIE_ECHOED
    ESTABLISHED = lib.SCTP_ESTABLISHED
    SHUTDOWN_PENDING = lib.SCTP_SHUTDOWN_PENDING
    SHUTDOWN_SENT = lib.SCTP_SHUTDOWN_SENT
    SHUTDOWN_RECEIVED = lib.SCTP_SHUTDOWN_RECEIVED
    SHUTDOWN_ACK_SENT = lib.SCTP_SHUTDOWN_ACK_SENT


@attr.s(frozen=True, slots=True, auto_attribs=True)
class InitMsg:
    """
    C{SCTP_INITMSG}: parameters for new associations' INIT.

    @ivar numOutStreams: outbound streams requested.
    @ivar maxInStreams: inbound streams accepted at most.
    @ivar maxAttempts: INIT retransmissions before giving up.
    @ivar maxInitTimeout: largest INIT retransmission timeout (ms).
    """

    numOutStreams: int = 0
    maxInStreams: int = 0
    maxAttempts: int = 0
    maxInitTimeout: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class RTOInfo:
    """
    C{SCTP_RTOINFO}: retransmission timeout bounds, in ms.
    """

    initial: int = 0
    max: int = 0
    min: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class AssocParams:
    """
    C{SCTP_ASSOCINFO}: association parameters.

    @ivar maxRetrans: association-wide retransmission limit
        (C{sasoc_asocmaxrxt}).
    @ivar numberPeerDestinations: peer address count (read only).
    @ivar peerRwnd: peer's receive window (read only).
    @ivar localRwnd: local receive window (read only).
    @ivar cookieLife: cookie lifetime (ms).
    """

    maxRetrans: int = 0
    numberPeerDestinations: int = 0
    peerRwnd: int = 0
    localRwnd: int = 0
    cookieLife: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class PeerAddrParams:
    """
    C{SCTP_PEER_ADDR_PARAMS}: heartbeat, path retransmission limit, path MTU
    and SACK delay, for one peer address or (address C{None}) for all.

    @ivar flags: C{HB_ENABLE}, C{HB_DISABLE}, C{HB_DEMAND}, C{PMTUD_*},
        C{SACKDELAY_*}, C{HB_TIME_IS_ZERO} bits.
    """

    address: Optional[HostPort] = None
    hbInterval: int = 0
    pathMaxRetrans: int = 0
    pathMtu: int = 0
    sackDelay: int = 0
    flags: int = 0
    ipv6FlowLabel: int = 0
    dscp: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class PeerAddrThresholds:
    """
    C{SCTP_PEER_ADDR_THLDS(_V2)}: when a path becomes potentially failed
    (C{pathPfThreshold}) and failed (C{pathMaxRetrans}), RFC 7829.
    """

    address: Optional[HostPort] = None
    pathMaxRetrans: int = 0
    pathPfThreshold: int = 0
    pathCpThreshold: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class PeerAddrInfo:
    """
    C{SCTP_GET_PEER_ADDR_INFO}: one path's state.

    @ivar state: a L{PathState}.
    @ivar cwnd: congestion window (bytes).
    @ivar srtt: smoothed round trip time (ms).
    @ivar rto: current retransmission timeout (ms).
    @ivar mtu: path MTU.
    """

    address: Optional[HostPort] = None
    state: int = 0
    cwnd: int = 0
    srtt: int = 0
    rto: int = 0
    mtu: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Status:
    """
    C{SCTP_STATUS}: an association's state.

    @ivar state: an L{AssocState}.
    @ivar outStreams: negotiated outbound streams.
    @ivar inStreams: negotiated inbound streams.
    @ivar primary: the primary path's L{PeerAddrInfo}.
    """

    assocId: int = 0
    state: int = 0
    rwnd: int = 0
    unackData: int = 0
    pendData: int = 0
    inStreams: int = 0
    outStreams: int = 0
    fragmentationPoint: int = 0
    primary: Optional[PeerAddrInfo] = None


@attr.s(frozen=True, slots=True, auto_attribs=True)
class DelayedSack:
    """
    C{SCTP_DELAYED_SACK}: the receiver's SACK delay (ms) and frequency
    (SACK every C{freq} packets; 1 disables delaying).  With delaying off,
    Linux reads back C{DelayedSack(0, 1)} whatever delay was given.
    """

    delay: int = 0
    freq: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class DefaultSendInfo:
    """
    C{SCTP_DEFAULT_SNDINFO}: defaults for messages sent without their own.
    C{ppid} in host byte order.
    """

    stream: int = 0
    flags: int = 0
    ppid: int = 0
    context: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class DefaultPRInfo:
    """
    C{SCTP_DEFAULT_PRINFO}: default PR-SCTP policy and value.
    """

    policy: int = 0
    value: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class AssocStats:
    """
    C{SCTP_GET_ASSOC_STATS}: per-association counters since the previous
    read (C{maxRto} is reset by reading).
    """

    obsRtoAddress: Optional[HostPort] = None
    maxRto: int = 0
    isacks: int = 0
    osacks: int = 0
    opackets: int = 0
    ipackets: int = 0
    rtxchunks: int = 0
    outofseqtsns: int = 0
    idupchunks: int = 0
    gapcnt: int = 0
    ouodchunks: int = 0
    iuodchunks: int = 0
    oodchunks: int = 0
    iodchunks: int = 0
    octrlchunks: int = 0
    ictrlchunks: int = 0


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Tuning:
    """
    Socket settings txsctp applies to every socket it creates, unless told
    otherwise.  The defaults avoid the stalls Linux SCTP falls into with
    small messages (Nagle holding chunks while the peer delays its SACK; a
    receive buffer that fills long before the advertised window says so):
    see docs/tuning.md for the measurements behind them.

    @ivar nodelay: set C{SCTP_NODELAY} (disable Nagle-style bundling delay).
    @ivar sendBufferSize: C{SO_SNDBUF} to ask for, bytes (the kernel caps it
        at C{net.core.wmem_max}); C{None} keeps the kernel's default.
    @ivar receiveBufferSize: C{SO_RCVBUF} to ask for (capped at
        C{net.core.rmem_max}); C{None} keeps the kernel's default.
    @ivar sackFrequency: C{SCTP_DELAYED_SACK} C{sack_freq} (1: SACK every
        packet); C{None} keeps the kernel's default.
    @ivar sackDelay: C{SCTP_DELAYED_SACK} delay in ms; C{None} keeps the
        kernel's default.
    """

    nodelay: bool = True
    sendBufferSize: Optional[int] = 1 << 20
    receiveBufferSize: Optional[int] = 4 << 20
    sackFrequency: Optional[int] = None
    sackDelay: Optional[int] = None


DEFAULT_TUNING = Tuning()
"""The tuning every txsctp socket gets unless given another."""
