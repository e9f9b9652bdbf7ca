#!/usr/bin/env python3
"""
A Diameter peer (RFC 6733) over SCTP: capabilities exchange (CER/CEA),
device watchdog (DWR/DWA) and disconnection (DPR/DPA), on PPID 46.

Diameter is the signalling protocol of 4G/5G cores (S6a, Gx, Rx, ...); its
base protocol opens every peer connection with a capabilities exchange and
keeps it alive with watchdogs.  This example encodes and decodes the real
wire format, with no hex blobs:

  - the 20-byte message header: version 1, 24-bit message length, flags
    (Request, Proxiable, Error, T), 24-bit command code, Application-Id,
    Hop-by-Hop and End-to-End identifiers;
  - AVPs: code, flags (Vendor-specific, Mandatory, Protected), 24-bit
    length, the Vendor-Id when the V bit is set, the data, and padding to
    a multiple of 4 bytes (not counted in the AVP length, counted in the
    message length); Unsigned32, UTF8String/DiameterIdentity, Address and
    Grouped AVPs.

Usage::

    python examples/diameter_peer.py server --port 3868
    python examples/diameter_peer.py client --host 127.0.0.1 --port 3868 --watchdogs 3
    python examples/diameter_peer.py demo        # both, in one process

The client sends CER when the association is up, checks the CEA's
Result-Code, sends a DWR every C{--interval} seconds until C{--watchdogs}
DWAs came back, then DPR; after the DPA it closes the association
gracefully.  The server answers CER, DWR and DPR.  Each message is printed
with its AVPs.  Exit status 0 when the exchange completed.
"""

from __future__ import annotations

import argparse
import enum
import ipaddress
import random
import struct
import sys
import time
from typing import Callable, Iterable, List, Optional, Sequence

import attr

from twisted.internet import defer, error, protocol, task

from txsctp import SCTPProtocol

PPID_DIAMETER = 46
"""IANA's Payload Protocol Identifier for Diameter over SCTP (RFC 6733)."""

DIAMETER_PORT = 3868
VERSION = 1
HEADER_LENGTH = 20

FLAG_REQUEST = 0x80
FLAG_PROXIABLE = 0x40
FLAG_ERROR = 0x20
FLAG_RETRANSMITTED = 0x10

AVP_FLAG_VENDOR = 0x80
AVP_FLAG_MANDATORY = 0x40
AVP_FLAG_PROTECTED = 0x20

VENDOR_3GPP = 10415
APPLICATION_S6A = 16777251
APPLICATION_RELAY = 0xFFFFFFFF


class Command(enum.IntEnum):
    """
    Base protocol command codes (RFC 6733 section 3.1).
    """

    CAPABILITIES_EXCHANGE = 257
    DEVICE_WATCHDOG = 280
    DISCONNECT_PEER = 282


_COMMAND_NAMES = {
    Command.CAPABILITIES_EXCHANGE: ("CER", "CEA"),
    Command.DEVICE_WATCHDOG: ("DWR", "DWA"),
    Command.DISCONNECT_PEER: ("DPR", "DPA"),
}


class AVPCode(enum.IntEnum):
    """
    The base protocol AVPs this peer uses (RFC 6733 section 4.5).
    """

    HOST_IP_ADDRESS = 257
    AUTH_APPLICATION_ID = 258
    VENDOR_SPECIFIC_APPLICATION_ID = 260
    ORIGIN_HOST = 264
    SUPPORTED_VENDOR_ID = 265
    VENDOR_ID = 266
    FIRMWARE_REVISION = 267
    RESULT_CODE = 268
    PRODUCT_NAME = 269
    DISCONNECT_CAUSE = 273
    ORIGIN_STATE_ID = 278
    ERROR_MESSAGE = 281
    ORIGIN_REALM = 296


_AVP_NAMES = {
    AVPCode.HOST_IP_ADDRESS: "Host-IP-Address",
    AVPCode.AUTH_APPLICATION_ID: "Auth-Application-Id",
    AVPCode.VENDOR_SPECIFIC_APPLICATION_ID: "Vendor-Specific-Application-Id",
    AVPCode.ORIGIN_HOST: "Origin-Host",
    AVPCode.SUPPORTED_VENDOR_ID: "Supported-Vendor-Id",
    AVPCode.VENDOR_ID: "Vendor-Id",
    AVPCode.FIRMWARE_REVISION: "Firmware-Revision",
    AVPCode.RESULT_CODE: "Result-Code",
    AVPCode.PRODUCT_NAME: "Product-Name",
    AVPCode.DISCONNECT_CAUSE: "Disconnect-Cause",
    AVPCode.ORIGIN_STATE_ID: "Origin-State-Id",
    AVPCode.ERROR_MESSAGE: "Error-Message",
    AVPCode.ORIGIN_REALM: "Origin-Realm",
}


class ResultCode(enum.IntEnum):
    """
    Result-Code values used here (RFC 6733 section 7.1).
    """

    DIAMETER_SUCCESS = 2001
    DIAMETER_MISSING_AVP = 5005
    DIAMETER_NO_COMMON_APPLICATION = 5010
    DIAMETER_UNABLE_TO_COMPLY = 5012


class DisconnectCause(enum.IntEnum):
    """
    Disconnect-Cause values (RFC 6733 section 5.4.3).
    """

    REBOOTING = 0
    BUSY = 1
    DO_NOT_WANT_TO_TALK_TO_YOU = 2


class DiameterError(ValueError):
    """
    Bytes that are not a well-formed Diameter message.
    """


# -- AVPs -----------------------------------------------------------------------


def _pad(length: int) -> int:
    return (4 - length % 4) % 4


@attr.s(frozen=True, slots=True, auto_attribs=True)
class AVP:
    """
    One Attribute-Value Pair.

    @ivar code: the AVP code.
    @ivar data: the raw value (without padding).
    @ivar mandatory: the M bit.
    @ivar protected: the P bit.
    @ivar vendorId: the Vendor-Id (sets the V bit), or C{None}.
    """

    code: int
    data: bytes
    mandatory: bool = True
    protected: bool = False
    vendorId: Optional[int] = None

    @property
    def flags(self) -> int:
        flags = AVP_FLAG_MANDATORY if self.mandatory else 0
        if self.protected:
            flags |= AVP_FLAG_PROTECTED
        if self.vendorId is not None:
            flags |= AVP_FLAG_VENDOR
        return flags

    @property
    def length(self) -> int:
        """
        The AVP Length field: header and data, without padding.
        """
        return (12 if self.vendorId is not None else 8) + len(self.data)

    def encode(self) -> bytes:
        """
        The AVP on the wire, padded to a multiple of 4 bytes.
        """
        length = self.length
        if length > 0xFFFFFF:
            raise ValueError(f"AVP {self.code} is too long ({length} bytes)")
        header = struct.pack("!IB", self.code, self.flags) + length.to_bytes(3, "big")
        if self.vendorId is not None:
            header += struct.pack("!I", self.vendorId)
        return header + self.data + b"\0" * _pad(length)

    # Constructors for the basic AVP data formats (RFC 6733 section 4.2, 4.3).

    @classmethod
    def unsigned32(cls, code: int, value: int, **kwargs) -> "AVP":
        return cls(code, struct.pack("!I", value), **kwargs)

    @classmethod
    def utf8(cls, code: int, text: str, **kwargs) -> "AVP":
        return cls(code, text.encode("utf-8"), **kwargs)

    @classmethod
    def address(cls, code: int, host: str, **kwargs) -> "AVP":
        """
        An Address AVP: the IANA address family (1 IPv4, 2 IPv6) then the
        address.
        """
        ip = ipaddress.ip_address(host)
        family = 1 if ip.version == 4 else 2
        return cls(code, struct.pack("!H", family) + ip.packed, **kwargs)

    @classmethod
    def grouped(cls, code: int, avps: Iterable["AVP"], **kwargs) -> "AVP":
        return cls(code, b"".join(a.encode() for a in avps), **kwargs)

    def asUnsigned32(self) -> int:
        if len(self.data) != 4:
            raise DiameterError(f"AVP {self.code}: Unsigned32 needs 4 bytes, not {len(self.data)}")
        return struct.unpack("!I", self.data)[0]

    def asText(self) -> str:
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DiameterError(f"AVP {self.code}: not UTF-8: {e}") from None

    def asAddress(self) -> str:
        if len(self.data) < 2:
            raise DiameterError(f"AVP {self.code}: Address too short")
        family = struct.unpack("!H", self.data[:2])[0]
        raw = self.data[2:]
        if family == 1 and len(raw) == 4:
            return str(ipaddress.IPv4Address(raw))
        if family == 2 and len(raw) == 16:
            return str(ipaddress.IPv6Address(raw))
        raise DiameterError(f"AVP {self.code}: address family {family} with {len(raw)} bytes")

    def asGrouped(self) -> List["AVP"]:
        return decodeAVPs(self.data)

    def describe(self) -> str:
        """
        A readable one-line rendering, for the known AVPs.
        """
        name = _AVP_NAMES.get(self.code, f"AVP {self.code}")
        flags = "".join(f for f, bit in (("V", AVP_FLAG_VENDOR), ("M", AVP_FLAG_MANDATORY),
                                         ("P", AVP_FLAG_PROTECTED)) if self.flags & bit)
        vendor = f" vendor {self.vendorId}" if self.vendorId is not None else ""
        value: object
        if self.code in (AVPCode.ORIGIN_HOST, AVPCode.ORIGIN_REALM, AVPCode.PRODUCT_NAME,
                         AVPCode.ERROR_MESSAGE):
            value = repr(self.asText())
        elif self.code == AVPCode.HOST_IP_ADDRESS:
            value = self.asAddress()
        elif self.code == AVPCode.RESULT_CODE:
            code = self.asUnsigned32()
            try:
                value = f"{code} ({ResultCode(code).name})"
            except ValueError:
                value = code
        elif self.code == AVPCode.DISCONNECT_CAUSE:
            cause = self.asUnsigned32()
            try:
                value = f"{cause} ({DisconnectCause(cause).name})"
            except ValueError:
                value = cause
        elif self.code == AVPCode.VENDOR_SPECIFIC_APPLICATION_ID:
            value = "{" + ", ".join(a.describe() for a in self.asGrouped()) + "}"
        elif len(self.data) == 4:
            value = self.asUnsigned32()
        else:
            value = self.data.hex()
        return f"{name}[{flags}{vendor}]={value}"


def decodeAVPs(data: bytes) -> List[AVP]:
    """
    Decode a sequence of padded AVPs (a message body or a Grouped AVP).

    @raise DiameterError: truncated data, an impossible length, or missing
        padding.
    """
    avps = []
    offset = 0
    end = len(data)
    while offset < end:
        if end - offset < 8:
            raise DiameterError(f"truncated AVP header at offset {offset}")
        code, flags = struct.unpack_from("!IB", data, offset)
        length = int.from_bytes(data[offset + 5:offset + 8], "big")
        headerLength = 12 if flags & AVP_FLAG_VENDOR else 8
        if length < headerLength:
            raise DiameterError(f"AVP {code} length {length} is shorter than its header")
        if offset + length > end:
            raise DiameterError(f"AVP {code} length {length} runs past the end")
        vendorId = None
        if flags & AVP_FLAG_VENDOR:
            vendorId = struct.unpack_from("!I", data, offset + 8)[0]
        value = bytes(data[offset + headerLength:offset + length])
        padded = length + _pad(length)
        if offset + padded > end:
            raise DiameterError(f"AVP {code} is not padded to a multiple of 4 bytes")
        avps.append(AVP(code, value, mandatory=bool(flags & AVP_FLAG_MANDATORY),
                        protected=bool(flags & AVP_FLAG_PROTECTED), vendorId=vendorId))
        offset += padded
    return avps


# -- messages -------------------------------------------------------------------


@attr.s(frozen=True, slots=True, auto_attribs=True)
class Message:
    """
    One Diameter message.

    @ivar command: the command code.
    @ivar flags: the command flags (C{FLAG_REQUEST}, ...).
    @ivar applicationId: 0 for the base protocol.
    @ivar hopByHop: the Hop-by-Hop Identifier.
    @ivar endToEnd: the End-to-End Identifier.
    @ivar avps: the AVPs, in order.
    """

    command: int
    flags: int
    applicationId: int
    hopByHop: int
    endToEnd: int
    avps: Sequence[AVP] = attr.ib(default=(), converter=tuple)

    @property
    def isRequest(self) -> bool:
        return bool(self.flags & FLAG_REQUEST)

    @property
    def name(self) -> str:
        names = _COMMAND_NAMES.get(self.command)
        if names is None:
            return f"command {self.command} {'request' if self.isRequest else 'answer'}"
        return names[0] if self.isRequest else names[1]

    def encode(self) -> bytes:
        body = b"".join(a.encode() for a in self.avps)
        length = HEADER_LENGTH + len(body)
        if length > 0xFFFFFF:
            raise ValueError(f"message of {length} bytes is too long for Diameter")
        return (
            struct.pack("!B", VERSION) + length.to_bytes(3, "big")
            + struct.pack("!B", self.flags) + self.command.to_bytes(3, "big")
            + struct.pack("!III", self.applicationId, self.hopByHop, self.endToEnd)
            + body
        )

    @classmethod
    def decode(cls, data: bytes) -> "Message":
        """
        Decode one whole message (one SCTP message carries exactly one).

        @raise DiameterError: wrong version, a length that does not match,
            or bad AVPs.
        """
        if len(data) < HEADER_LENGTH:
            raise DiameterError(f"{len(data)} bytes is shorter than the Diameter header")
        version = data[0]
        if version != VERSION:
            raise DiameterError(f"unsupported Diameter version {version}")
        length = int.from_bytes(data[1:4], "big")
        if length != len(data):
            raise DiameterError(f"message length {length} does not match the {len(data)} bytes received")
        if length % 4:
            raise DiameterError(f"message length {length} is not a multiple of 4")
        flags = data[4]
        command = int.from_bytes(data[5:8], "big")
        applicationId, hopByHop, endToEnd = struct.unpack_from("!III", data, 8)
        return cls(command, flags, applicationId, hopByHop, endToEnd,
                   decodeAVPs(data[HEADER_LENGTH:]))

    def find(self, code: int, vendorId: Optional[int] = None) -> Optional[AVP]:
        """
        The first AVP with this code (and Vendor-Id), or C{None}.
        """
        for a in self.avps:
            if a.code == code and a.vendorId == vendorId:
                return a
        return None

    def findAll(self, code: int, vendorId: Optional[int] = None) -> List[AVP]:
        return [a for a in self.avps if a.code == code and a.vendorId == vendorId]

    def answer(self, avps: Iterable[AVP], error: bool = False) -> "Message":
        """
        The answer to this request: same command, Application-Id and
        identifiers, R bit cleared, P bit kept.
        """
        flags = self.flags & FLAG_PROXIABLE
        if error:
            flags |= FLAG_ERROR
        return Message(self.command, flags, self.applicationId, self.hopByHop,
                       self.endToEnd, avps)

    def describe(self) -> str:
        return (f"{self.name} (command {self.command}, flags 0x{self.flags:02x}, "
                f"app {self.applicationId}, hop-by-hop 0x{self.hopByHop:08x}, "
                f"end-to-end 0x{self.endToEnd:08x}, {len(self.encode())} bytes)")


# -- the peer -------------------------------------------------------------------


@attr.s(frozen=True, auto_attribs=True)
class Identity:
    """
    What a peer says about itself in CER/CEA.
    """

    originHost: str
    originRealm: str
    hostAddresses: Sequence[str] = ("127.0.0.1",)
    vendorId: int = 0
    productName: str = "txsctp diameter_peer example"
    firmwareRevision: int = 1
    originStateId: int = attr.ib(factory=lambda: int(time.time()) & 0xFFFFFFFF)
    authApplications: Sequence[int] = (APPLICATION_S6A,)

    def capabilities(self) -> List[AVP]:
        """
        The AVPs of a CER or CEA after the Result-Code, in the order of
        RFC 6733's CER grammar.
        """
        avps = [
            AVP.utf8(AVPCode.ORIGIN_HOST, self.originHost),
            AVP.utf8(AVPCode.ORIGIN_REALM, self.originRealm),
        ]
        avps += [AVP.address(AVPCode.HOST_IP_ADDRESS, a) for a in self.hostAddresses]
        avps += [
            AVP.unsigned32(AVPCode.VENDOR_ID, self.vendorId),
            AVP.utf8(AVPCode.PRODUCT_NAME, self.productName, mandatory=False),
            AVP.unsigned32(AVPCode.ORIGIN_STATE_ID, self.originStateId),
            AVP.unsigned32(AVPCode.SUPPORTED_VENDOR_ID, VENDOR_3GPP),
            AVP.grouped(AVPCode.VENDOR_SPECIFIC_APPLICATION_ID, [
                AVP.unsigned32(AVPCode.VENDOR_ID, VENDOR_3GPP),
                AVP.unsigned32(AVPCode.AUTH_APPLICATION_ID, APPLICATION_S6A),
            ]),
        ]
        avps += [AVP.unsigned32(AVPCode.AUTH_APPLICATION_ID, a) for a in self.authApplications]
        avps.append(AVP.unsigned32(AVPCode.FIRMWARE_REVISION, self.firmwareRevision,
                                   mandatory=False))
        return avps


class DiameterPeer(SCTPProtocol):
    """
    The Diameter base protocol on one SCTP association.

    Both roles answer CER, DWR and DPR.  An initiator (C{initiator=True})
    also sends the CER when the association comes up, then C{watchdogs}
    DWRs C{interval} seconds apart, then a DPR, and closes after the DPA.

    @ivar state: C{"WAIT-CEA"}, C{"WAIT-CER"}, C{"OPEN"}, C{"CLOSING"} or
        C{"CLOSED"}.
    @ivar peerIdentity: the peer's Origin-Host once capabilities are
        exchanged.
    @ivar done: fires with C{None} once the exchange finished cleanly (the
        association closed after DPR/DPA), fails otherwise.
    """

    stream = 0

    def __init__(self, identity: Identity, *, initiator: bool = False, watchdogs: int = 0,
                 interval: float = 30.0, clock=None,
                 log: Callable[[str], None] = print) -> None:
        self.identity = identity
        self.initiator = initiator
        self.watchdogs = watchdogs
        self.interval = interval
        self.clock = clock
        self.log = log
        self.state = "CLOSED"
        self.peerIdentity: Optional[str] = None
        self.watchdogAnswers = 0
        self.done: defer.Deferred = defer.Deferred()
        self._pending = {}
        self._hopByHop = random.getrandbits(32)
        self._endToEnd = ((int(time.time()) & 0xFFF) << 20) | random.getrandbits(20)
        self._timer = None
        self._disconnected = False

    def _clock(self):
        if self.clock is None:
            from twisted.internet import reactor

            self.clock = reactor
        return self.clock

    # -- sending ----------------------------------------------------------

    def _send(self, message: Message) -> None:
        self.log(f"-> {message.describe()}")
        for a in message.avps:
            self.log(f"     {a.describe()}")
        self.transport.writeMessage(message.encode(), stream=self.stream, ppid=PPID_DIAMETER)

    def _request(self, command: int, avps: List[AVP]) -> Message:
        self._hopByHop = (self._hopByHop + 1) & 0xFFFFFFFF
        self._endToEnd = (self._endToEnd + 1) & 0xFFFFFFFF
        message = Message(command, FLAG_REQUEST, 0, self._hopByHop, self._endToEnd, avps)
        self._pending[message.hopByHop] = message
        self._send(message)
        return message

    def _origin(self) -> List[AVP]:
        return [AVP.utf8(AVPCode.ORIGIN_HOST, self.identity.originHost),
                AVP.utf8(AVPCode.ORIGIN_REALM, self.identity.originRealm)]

    def _answer(self, request: Message, result: int, avps: List[AVP]) -> None:
        self._send(request.answer([AVP.unsigned32(AVPCode.RESULT_CODE, result)] + avps))

    # -- the association --------------------------------------------------

    def associationUp(self, notification) -> None:
        if self.initiator:
            self.state = "WAIT-CEA"
            self._request(Command.CAPABILITIES_EXCHANGE, self.identity.capabilities())
        else:
            self.state = "WAIT-CER"

    def messageReceived(self, data: bytes, info) -> None:
        if info.ppid != PPID_DIAMETER:
            self.log(f"ignoring a message with PPID {info.ppid} (Diameter is {PPID_DIAMETER})")
            return
        try:
            message = Message.decode(data)
        except DiameterError as e:
            self.log(f"malformed Diameter message ({e}): closing")
            self.transport.abortConnection()
            return
        self.log(f"<- {message.describe()}")
        for a in message.avps:
            self.log(f"     {a.describe()}")
        if message.isRequest:
            self._requestReceived(message)
        else:
            self._answerReceived(message)

    def _requestReceived(self, request: Message) -> None:
        if request.command == Command.CAPABILITIES_EXCHANGE:
            self._cerReceived(request)
        elif request.command == Command.DEVICE_WATCHDOG:
            self._answer(request, ResultCode.DIAMETER_SUCCESS,
                         self._origin() + [AVP.unsigned32(AVPCode.ORIGIN_STATE_ID,
                                                          self.identity.originStateId)])
        elif request.command == Command.DISCONNECT_PEER:
            self.state = "CLOSING"
            self._answer(request, ResultCode.DIAMETER_SUCCESS, self._origin())
        else:
            self._answer(request, ResultCode.DIAMETER_UNABLE_TO_COMPLY, self._origin())

    def _cerReceived(self, cer: Message) -> None:
        missing = [c.name for c in (AVPCode.ORIGIN_HOST, AVPCode.ORIGIN_REALM,
                                    AVPCode.HOST_IP_ADDRESS, AVPCode.VENDOR_ID,
                                    AVPCode.PRODUCT_NAME) if cer.find(c) is None]
        if missing:
            self._answer(cer, ResultCode.DIAMETER_MISSING_AVP, self.identity.capabilities())
            return
        theirs = {a.asUnsigned32() for a in cer.findAll(AVPCode.AUTH_APPLICATION_ID)}
        for group in cer.findAll(AVPCode.VENDOR_SPECIFIC_APPLICATION_ID):
            theirs |= {a.asUnsigned32() for a in group.asGrouped()
                       if a.code == AVPCode.AUTH_APPLICATION_ID}
        ours = set(self.identity.authApplications)
        if not (theirs & ours or APPLICATION_RELAY in theirs | ours):
            self._answer(cer, ResultCode.DIAMETER_NO_COMMON_APPLICATION,
                         self.identity.capabilities())
            self.transport.loseConnection()
            return
        self.peerIdentity = cer.find(AVPCode.ORIGIN_HOST).asText()
        self.state = "OPEN"
        self._answer(cer, ResultCode.DIAMETER_SUCCESS, self.identity.capabilities())
        self.log(f"capabilities exchanged with {self.peerIdentity}: state OPEN")

    def _answerReceived(self, answer: Message) -> None:
        request = self._pending.pop(answer.hopByHop, None)
        if request is None or request.command != answer.command \
                or request.endToEnd != answer.endToEnd:
            self.log(f"unexpected answer (hop-by-hop 0x{answer.hopByHop:08x}): ignored")
            return
        result = answer.find(AVPCode.RESULT_CODE)
        code = result.asUnsigned32() if result is not None else None
        if code != ResultCode.DIAMETER_SUCCESS:
            self.log(f"{answer.name} failed with Result-Code {code}: closing")
            self.transport.loseConnection()
            return
        if answer.command == Command.CAPABILITIES_EXCHANGE:
            self.peerIdentity = answer.find(AVPCode.ORIGIN_HOST).asText()
            self.state = "OPEN"
            self.log(f"capabilities exchanged with {self.peerIdentity}: state OPEN")
            self._nextWatchdog()
        elif answer.command == Command.DEVICE_WATCHDOG:
            self.watchdogAnswers += 1
            self._nextWatchdog()
        elif answer.command == Command.DISCONNECT_PEER:
            self.log("disconnect acknowledged: closing the association")
            self.state = "CLOSING"
            self.transport.loseConnection()

    def _nextWatchdog(self) -> None:
        if not self.initiator:
            return
        if self.watchdogAnswers < self.watchdogs:
            self._timer = self._clock().callLater(self.interval, self._sendWatchdog)
        else:
            self._request(Command.DISCONNECT_PEER, self._origin() + [
                AVP.unsigned32(AVPCode.DISCONNECT_CAUSE,
                               DisconnectCause.DO_NOT_WANT_TO_TALK_TO_YOU)])

    def _sendWatchdog(self) -> None:
        self._timer = None
        if self.state == "OPEN" and not self._disconnected:
            self._request(Command.DEVICE_WATCHDOG, self._origin() + [
                AVP.unsigned32(AVPCode.ORIGIN_STATE_ID, self.identity.originStateId)])

    def connectionLost(self, reason) -> None:
        self._disconnected = True
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        clean = reason.check(error.ConnectionDone) and self.state == "CLOSING"
        self.state = "CLOSED"
        if clean:
            self.log("association closed cleanly after DPR/DPA")
            self.done.callback(None)
        else:
            self.log(f"association ended: {reason.getErrorMessage()}")
            self.done.errback(reason)


# -- command line ---------------------------------------------------------------


class _Factory(protocol.Factory):
    def __init__(self, make) -> None:
        self.make = make
        self.protocols: List[DiameterPeer] = []

    def buildProtocol(self, addr):
        p = self.make()
        p.factory = self
        p.done.addErrback(lambda f: None)  # already logged by the peer
        self.protocols.append(p)
        return p


def _tagged(tag: str) -> Callable[[str], None]:
    return lambda text: print(f"[{tag}] {text}", flush=True)


async def _client(reactor, args, host: str, port: int, log) -> None:
    from txsctp.client import connect

    identity = Identity(args.origin_host, args.origin_realm, hostAddresses=[args.local])
    peer = await connect(
        reactor, host, port,
        lambda: DiameterPeer(identity, initiator=True, watchdogs=args.watchdogs,
                             interval=args.interval, clock=reactor, log=log),
        timeout=30, bindAddress=args.local,
    )
    await peer.done
    log(f"done: {peer.watchdogAnswers} watchdog answers from {peer.peerIdentity}")


def _listen(reactor, port: int, interface: str, identity: Identity, log):
    from txsctp import listenSCTP

    factory = _Factory(lambda: DiameterPeer(identity, clock=reactor, log=log))
    return listenSCTP(port, factory, interface=interface, reactor=reactor)


async def main(reactor, args) -> None:
    if args.role == "server":
        identity = Identity(args.origin_host, args.origin_realm, hostAddresses=[args.local])
        listening = _listen(reactor, args.port, args.local, identity, _tagged("server"))
        print(f"[server] Diameter peer {identity.originHost} listening on "
              f"{args.local} port {listening.getHost().port} (SCTP, PPID {PPID_DIAMETER})",
              flush=True)
        await defer.Deferred()
    elif args.role == "client":
        await _client(reactor, args, args.host, args.port, _tagged("client"))
    else:
        serverIdentity = Identity("hss.example.org", "example.org", hostAddresses=["127.0.0.1"])
        listening = _listen(reactor, 0, "127.0.0.1", serverIdentity, _tagged("server"))
        port = listening.getHost().port
        print(f"[server] listening on 127.0.0.1 port {port}", flush=True)
        await _client(reactor, args, "127.0.0.1", port, _tagged("client"))
        await listening.stopListening()
    print("diameter_peer: OK", flush=True)


def parseArguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Diameter base protocol peer over SCTP "
                                                 "(txsctp example)")
    parser.add_argument("role", choices=["server", "client", "demo"])
    parser.add_argument("--host", default="127.0.0.1", help="the server (client role)")
    parser.add_argument("--port", type=int, default=DIAMETER_PORT)
    parser.add_argument("--local", default="127.0.0.1", help="local address")
    parser.add_argument("--origin-host", default="mme.example.org")
    parser.add_argument("--origin-realm", default="example.org")
    parser.add_argument("--watchdogs", type=int, default=3, help="DWR/DWA rounds before DPR")
    parser.add_argument("--interval", type=float, default=0.2,
                        help="seconds between watchdogs (RFC 3539's Tw is 30)")
    args = parser.parse_args(argv)
    if args.role == "server" and args.origin_host == "mme.example.org":
        args.origin_host = "hss.example.org"
    return args


if __name__ == "__main__":
    arguments = parseArguments(sys.argv[1:])
    try:
        task.react(lambda reactor: defer.ensureDeferred(main(reactor, arguments)))
    except SystemExit as e:
        sys.exit(e.code)
