"""
The kernel's SCTP as a stack (L{IStack<txsctp._stack.IStack>}): sockets
are L{SCTPSocket}s, their carriers file descriptors registered with the
reactor, each batch one C{recvmmsg} or C{sendmmsg} (L{txsctp._batch}).

L{makeSocket} and L{bindListening} make the sockets; L{KernelStack} is
what the ports and the connector are given.
"""

from __future__ import annotations

import socket as _stdsocket
from functools import partial
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

from zope.interface import implementer

from txsctp import _addresses
from txsctp._assocoptions import AssociationOptions
from txsctp._batch import lastSendError, sendBlob, sharedReceiver
from txsctp._extension import lib
from txsctp._messageformats import packMeta, unpackMeta
from txsctp._portsupport import familyFor, hostList
from txsctp._stack import IStack
from txsctp.address import SCTPAddress
from txsctp.errors import StackFeatureError
from txsctp.notifications import parseNotification
from txsctp.options import PeerAddrInfo
from txsctp.sctpsocket import ONE_TO_MANY, ONE_TO_ONE, SCTPSocket

__all__ = ["KernelStack", "bindListening", "makeSocket"]

# With AssociationOptions.bundle, batches of small messages of one
# association go out bundled (sendBlob's bundle: MSG_MORE on all but the
# last) when the send buffer is at least this large: what the kernel may
# hold back after a partial send (less than a packet, at most one 64 KiB
# batch plus the kernel's per-message overhead) can then never fill the
# buffer alone, so a full buffer always has data in flight whose
# acknowledgement makes the socket writable again -- and the next flush ends
# with a message sent without MSG_MORE, which releases what was held.
_BUNDLE_MIN_SEND_BUFFER = 256 * 1024
_FLAG_UNORDERED = lib.SCTP_UNORDERED
_FLAG_SACK_IMMEDIATELY = lib.SCTP_SACK_IMMEDIATELY
# _batch.sendOne without its check of the packed parameters (always
# packMeta's here) or its exception: 1, or -1 with lastSendError().  On the
# one-message flush a Python frame costs as much as the send's own work.
_sendOneRaw = lib.txsctp_sendmeta1_nosignal


def makeSocket(options: AssociationOptions, family: int, style: str) -> SCTPSocket:
    """
    A new non-blocking kernel socket with C{options}, handed to their
    C{prepareSocket} (if given) before anything is bound or connected.
    """
    sock = SCTPSocket(
        family, style, blocking=False, events=options.events, tuning=options.tuning,
        initMsg=options.initMsg(),
    )
    if options.prepareSocket is not None:
        try:
            options.prepareSocket(sock)
        except BaseException:
            sock.close()
            raise
    return sock


def bindListening(interface: Union[str, Sequence[str]], port: int, options: AssociationOptions, style: str,
                  backlog: int) -> SCTPSocket:
    """
    A new kernel socket of C{style} bound to C{interface} (the wildcard,
    one address, or several with bindx) and C{port}, listening.
    """
    if isinstance(interface, str) and interface in ("", "0.0.0.0", "::"):
        family: int = _stdsocket.AF_INET6 if interface == "::" else _stdsocket.AF_INET
        sock = makeSocket(options, family, style)
        try:
            sock.bind((interface, port))
            sock.listen(backlog)
        except BaseException:
            sock.close()
            raise
        return sock
    hosts = hostList(interface, "interface")
    family = familyFor(hosts)
    sock = makeSocket(options, family, style)
    try:
        sock.bindx(hosts, port)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def _readUdpPort() -> int:
    try:
        with open("/proc/sys/net/sctp/udp_port") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


@implementer(IStack)
class KernelStack:
    """
    The kernel's SCTP for one port or connector.

    @ivar remoteUdpPort: the peer's UDP port to encapsulate this port's or
        connector's associations to (RFC 6951), or C{None} for SCTP
        directly over IP.
    """

    name = "kernel"
    sendBufferHint: Optional[str] = None

    def __init__(self, remoteUdpPort: Optional[int] = None) -> None:
        if remoteUdpPort is not None:
            if isinstance(remoteUdpPort, bool) or not isinstance(remoteUdpPort, int):
                raise TypeError(f"remoteUdpPort must be an int, not {type(remoteUdpPort).__name__}")
            if not 1 <= remoteUdpPort <= 0xFFFF:
                raise ValueError(f"remoteUdpPort {remoteUdpPort} is out of range 1..65535")
            if not _readUdpPort():
                raise StackFeatureError(
                    "SCTP over UDP (remoteUdpPort)", "this host's kernel SCTP",
                    "the kernel sends and receives SCTP in UDP only once net.sctp.udp_port is set "
                    "(as root: sysctl -w net.sctp.udp_port=9899)")
        self.remoteUdpPort = remoteUdpPort

    def _encapsulate(self, sock: SCTPSocket) -> SCTPSocket:
        if self.remoteUdpPort is not None:
            try:
                sock.setRemoteUdpEncapsPort(self.remoteUdpPort)
            except BaseException:
                sock.close()
                raise
        return sock

    # -- sockets -----------------------------------------------------------

    def listen(self, interface: Union[str, Sequence[str]], port: int, options: AssociationOptions, style: str,
               backlog: int) -> SCTPSocket:
        return self._encapsulate(bindListening(interface, port, options, style, backlog))

    def localPort(self, sock: SCTPSocket) -> int:
        return sock.getsockname()[1]

    def accept(self, sock: SCTPSocket) -> Tuple[SCTPSocket, Tuple[str, int]]:
        return sock.accept()

    def connect(self, sock: SCTPSocket, addresses: List[Tuple[str, int]]) -> int:
        return sock.connectx(addresses)

    def connectClient(self, options: AssociationOptions, hosts: Sequence[str], port: int,
                      bindAddresses: List[Tuple[str, int]]) -> Tuple[SCTPSocket, int]:
        family = familyFor(list(hosts) + [h for h, _ in bindAddresses] if bindAddresses else hosts)
        addresses = _addresses.normalizeAddresses(list(hosts), port)
        sock = self._encapsulate(makeSocket(options, family, ONE_TO_ONE))
        try:
            if bindAddresses:
                sock.bindx(bindAddresses)
            # The family fits every address (familyFor): no second check.
            assocId = sock._connectx(sock.fileno(), addresses)
        except BaseException:
            sock.close()
            raise
        return sock, assocId

    def peelOff(self, sock: SCTPSocket, assocId: int) -> SCTPSocket:
        return sock.peeloff(assocId, blocking=False)

    def shutdownPeeled(self, sock: SCTPSocket) -> None:
        # A peeled-off socket is of the kernel's UDP_HIGH_BANDWIDTH style:
        # shutdown() does nothing there, SCTP_EOF in sendmsg starts the
        # SHUTDOWN.
        sock.sendMessage(b"", eof=True)

    def peerName(self, sock: SCTPSocket) -> Tuple[str, int]:
        return sock.getpeername()

    def socketError(self, sock: SCTPSocket) -> int:
        return sock._sock.getsockopt(_stdsocket.SOL_SOCKET, _stdsocket.SO_ERROR)

    # -- carriers ----------------------------------------------------------

    packParameters = staticmethod(packMeta)

    def attach(self, carrier: Any, sock: SCTPSocket) -> None:
        fd = sock.fileno()
        receiver = carrier._receiveSource = sharedReceiver()
        # Partials, not methods: the read and the one-message send call C
        # with no Python frame of their own.
        carrier._receive = partial(receiver.receiveBatch, fd)
        carrier._sendOne = partial(_sendOneRaw, fd)
        carrier._lastSendError = lastSendError
        carrier._parseNotification = parseNotification
        sendMany: Callable[[Sequence[bytes], Sequence[bytes], Optional[Sequence[int]]], int]
        if carrier.options.bundle:
            def sendMany(datas: Sequence[bytes], metas: Sequence[bytes], sizes: Optional[Sequence[int]]) -> int:
                return sendBlob(fd, datas, metas, bundle=carrier.maxSendSize >= _BUNDLE_MIN_SEND_BUFFER,
                                sizes=sizes)
        else:
            def sendMany(datas: Sequence[bytes], metas: Sequence[bytes], sizes: Optional[Sequence[int]]) -> int:
                return sendBlob(fd, datas, metas, sizes=sizes)
        carrier._sendMany = sendMany

        def sendSpecial(entry: tuple) -> int:
            """
            Send one message with a destination address override.
            """
            data, meta, _, to = entry
            ppid, context, assocId, prValue, stream, flags, prPolicy = unpackMeta(meta)
            sock.sendMessage(
                data, stream, ppid, unordered=bool(flags & _FLAG_UNORDERED),
                sackImmediately=bool(flags & _FLAG_SACK_IMMEDIATELY), context=context,
                assocId=assocId if carrier.style == ONE_TO_MANY else 0,
                prPolicy=prPolicy, prValue=prValue, to=to,
            )
            return 1
        carrier._sendSpecial = sendSpecial

    def startReading(self, descriptor: Any) -> None:
        descriptor.reactor.addReader(descriptor)

    def stopReading(self, descriptor: Any) -> None:
        descriptor.reactor.removeReader(descriptor)

    def startWriting(self, descriptor: Any) -> None:
        descriptor.reactor.addWriter(descriptor)

    def stopWriting(self, descriptor: Any) -> None:
        descriptor.reactor.removeWriter(descriptor)

    # -- queries -------------------------------------------------------------

    def addressFamily(self, sock: SCTPSocket) -> int:
        return sock.family

    def pathState(self, sock: SCTPSocket, address: Tuple[str, int], assocId: int) -> PeerAddrInfo:
        return sock.getPeerAddrInfo(address, assocId)

    def localAddress(self, sock: SCTPSocket, assocId: int) -> SCTPAddress:
        return SCTPAddress.fromPairs(sock.getLocalAddresses(assocId), assocId)

    def peerAddress(self, sock: SCTPSocket, assocId: int) -> SCTPAddress:
        return SCTPAddress.fromPairs(sock.getPeerAddresses(assocId), assocId)

    def setPrimaryAddress(self, sock: SCTPSocket, address: Tuple[str, int], assocId: int) -> None:
        sock.setPrimaryAddress(address, assocId)
