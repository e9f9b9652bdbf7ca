"""
The userspace SCTP stack (L{IStack<txsctp._stack.IStack>}): usrsctp in
this process, carrying SCTP inside UDP (RFC 6951) through Twisted UDP
ports, with no kernel SCTP at all.

usrsctp runs single-threaded (L{txsctp._usrsctp}: C{usrsctp_init_nothreads},
AF_CONN addresses), and every call into it happens on the reactor thread,
from one of three places:

  - a UDP port is readable: its datagrams are fed to usrsctp in C
    (C{recvmmsg}), then the stack is serviced;
  - the transport hands over messages (a carrier's send primitives): they
    go to usrsctp, and the packets it makes leave at once (C{sendmmsg});
  - the timer: every 10 ms, while any association exists (or a closed one
    is being cleaned up), usrsctp's clock is advanced by the real time
    passed; with no association there is no timer at all.

Servicing the stack (L{_Driver.service}) sends what usrsctp queued, then
asks it which sockets changed and calls their carriers' C{doRead} and
C{doWrite} as a reactor would call a file descriptor's, until nothing is
left.  Carriers, ports and the connector are the same classes as on the
kernel stack; what differs is in L{UserspaceStack}.

A remote UDP endpoint (host, UDP port) seen by one of our UDP ports is one
usrsctp "handle" (an AF_CONN address).  A listening port gives a handle to
datagrams from new endpoints (at most L{MAX_NEW_HANDLES} not yet used by an
association, so that a flood of spoofed sources cannot exhaust memory);
a client's UDP port knows only its peer.  Handles no association uses are
removed once idle for longer than a cookie lives (60 s).
"""

from __future__ import annotations

import errno
import random
import socket as _stdsocket
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from zope.interface import implementer

from twisted.internet import protocol, udp
from twisted.logger import Logger
from twisted.python import failure

from txsctp import _addresses
from txsctp import _usrsctp as _us
from txsctp._batch import RECORD
from txsctp._messageformats import packMeta
from txsctp._stack import IStack
from txsctp.address import SCTPAddress
from txsctp.errors import StackFeatureError
from txsctp.info import RcvInfo
from txsctp.options import ONE_TO_ONE, PRPolicy, PeerAddrInfo

__all__ = ["UserspaceStack", "DEFAULT_UDP_PORT", "MAX_NEW_HANDLES"]

_log = Logger()

DEFAULT_UDP_PORT = 9899
"""The UDP port IANA assigned to SCTP over UDP (RFC 6951)."""

MAX_NEW_HANDLES = 4096
"""
Remote UDP endpoints a listening UDP port accepts datagrams from that no
association uses yet; datagrams from more new endpoints are dropped until
idle ones expire.
"""

_TICK = 0.010
_UDP_BUFFER = 4 << 20
_HANDLE_IDLE = 60.0
_SWEEP_EVERY = 10.0
_READ_ROUNDS = 16
_SERVICE_ROUNDS = 64
_READABLE = _us.EVENT_READ | _us.EVENT_ERROR
_WRITABLE = _us.EVENT_WRITE | _us.EVENT_SEND_RETRY
# End of file, as the kernel's recvmmsg reads it: one empty record.
_EOF_RECORD = RECORD.unpack(bytes(RECORD.size))
_SEND_BUFFER_HINT = (
    "usrsctp takes no message larger than the socket's send buffer; ask for a "
    "larger one with tuning=Tuning(sendBufferSize=...) (the userspace stack has "
    "no host-wide cap)"
)

_driver: Optional["_Driver"] = None


def _bindAnyPort(sock: Any) -> None:
    """
    Bind C{sock} to a free SCTP port.  usrsctp's ports belong to this
    process alone, and a socket it binds to port 0 cannot tell which port
    it got until it has an association: so pick one from the dynamic range
    here.

    @raise OSError: every port tried is taken (C{EADDRINUSE}).
    """
    for _ in range(64):
        try:
            sock.bind(random.randint(49152, 65535))
            return
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
    raise OSError(errno.EADDRINUSE, "no free SCTP port found in 49152..65535")


def driverFor(reactor: Any) -> "_Driver":
    """
    The process's L{_Driver}, made on first use for C{reactor}.

    @raise RuntimeError: another reactor asks (usrsctp runs once per
        process, on one thread).
    """
    global _driver
    if _driver is None:
        _driver = _Driver(reactor)
    elif _driver.reactor is not reactor:
        raise RuntimeError("the userspace SCTP stack runs on one reactor per process; it already runs on "
                           f"{_driver.reactor!r}")
    return _driver


class _NoDatagrams(protocol.DatagramProtocol):
    """
    The protocol of a L{_UDPEndpoint}: its datagrams never reach a
    protocol (usrsctp takes them in C).
    """


class _UDPEndpoint(udp.Port):
    """
    A Twisted UDP port carrying SCTP packets for usrsctp.

    @ivar acceptNew: whether datagrams from unknown endpoints get a handle
        (a listening port's) or are dropped (a client's).
    @ivar owners: the usrsctp sockets that use it; with them all closed and
        no association on its handles, it is closed.
    @ivar handles: the handles of its remote endpoints.
    @ivar unused: how many of them no association used at the last sweep,
        plus those made since.
    @ivar dropped: datagrams dropped from unknown endpoints.
    """

    def __init__(self, driver: "_Driver", host: str, port: int, acceptNew: bool) -> None:
        udp.Port.__init__(self, port, _NoDatagrams(), host, 65535, driver.reactor)
        self._driver = driver
        self.acceptNew = acceptNew
        self.owners: List[Any] = []
        self.handles: Dict[int, float] = {}
        self.unused = 0
        self.dropped = 0

    def createInternetSocket(self) -> _stdsocket.socket:
        sock = udp.Port.createInternetSocket(self)
        # Every association of the port shares these buffers: ask for
        # room for bursts (the kernel caps them at net.core.rmem_max and
        # wmem_max).
        for option in (_stdsocket.SO_RCVBUF, _stdsocket.SO_SNDBUF):
            try:
                sock.setsockopt(_stdsocket.SOL_SOCKET, option, _UDP_BUFFER)
            except OSError:
                pass
        return sock

    def doRead(self) -> None:
        self._driver.datagramsReady(self)

    def doWrite(self) -> None:
        self.stopWriting()
        self._driver.output()

    def logPrefix(self) -> str:
        return "txsctp userspace SCTP over UDP"


class _Driver:
    """
    usrsctp on one reactor: the UDP endpoints, readiness, timers.
    """

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self.usrsctp = _us.UsrsctpStack.get()
        self.usrsctp.closeHook = self.activity
        self._descriptors: Dict[int, Any] = {}
        self._endpoints: Dict[int, _UDPEndpoint] = {}
        self._shared: Dict[Tuple[str, int], _UDPEndpoint] = {}
        self._readSoon: List[Any] = []
        self._collectAll = False
        self._inService = False
        self._serviceCall: Any = None
        self._ticker: Any = None
        self._lastTick = 0.0
        self._fraction = 0.0
        self._nextSweep = 0.0

    # -- UDP endpoints -------------------------------------------------------

    def endpoint(self, host: str, port: int, acceptNew: bool) -> _UDPEndpoint:
        """
        A UDP endpoint bound to C{host} and C{port}: the one already open
        there for a fixed port, else a new one.

        @raise twisted.internet.error.CannotListenError: the UDP port cannot
            be bound.
        """
        if port:
            shared = self._shared.get((host, port))
            if shared is not None and shared.connected:
                shared.acceptNew = shared.acceptNew or acceptNew
                return shared
        ep = _UDPEndpoint(self, host, port, acceptNew)
        ep.startListening()
        self._endpoints[ep.fileno()] = ep
        if port:
            self._shared[(host, port)] = ep
        return ep

    def peerHandle(self, ep: _UDPEndpoint, host: str, port: int) -> int:
        """
        The handle of remote UDP endpoint C{host}, C{port} on C{ep}, made if
        need be.
        """
        fd = ep.fileno()
        handle = self.usrsctp.findPeer(fd, host, port)
        if handle is None:
            handle = self.usrsctp.addPeer(fd, host, port)
            ep.handles[handle] = time.monotonic()
            ep.unused += 1
        return handle

    def release(self, ep: _UDPEndpoint) -> None:
        """
        Close C{ep} if nothing uses it any more.
        """
        if any(not sock.closed for sock in ep.owners):
            return
        inUse = self.usrsctp.handlesInUse() if ep.handles else {}
        if any(handle in inUse for handle in ep.handles):
            return
        for handle in list(ep.handles):
            try:
                self.usrsctp.removePeer(handle)
            except KeyError:
                pass
        ep.handles.clear()
        fd = ep.fileno()
        self._endpoints.pop(fd, None)
        if self._shared.get((ep.interface, ep.port)) is ep:
            del self._shared[(ep.interface, ep.port)]
        # Closed now, not in the next reactor iteration (stopListening): a
        # new port may want its UDP port at once.
        ep.stopReading()
        ep.stopWriting()
        ep.connectionLost()

    # -- packets -------------------------------------------------------------

    def datagramsReady(self, ep: _UDPEndpoint) -> None:
        """
        C{ep} is readable: feed its datagrams to usrsctp, then service it.
        """
        fd = ep.fileno()
        usrsctp = self.usrsctp
        for _ in range(_READ_ROUNDS):
            try:
                count, unknown = usrsctp.receiveDatagrams(fd)
            except OSError as e:
                _log.warn("Reading UDP port {port} for SCTP failed: {e}", port=ep.port, e=e)
                break
            if unknown:
                self._fromUnknown(ep, unknown)
            if count < 32:
                break
        self.activity()
        self.service()

    def _fromUnknown(self, ep: _UDPEndpoint, unknown: List[Tuple[Tuple[str, int], bytes]]) -> None:
        if not ep.acceptNew:
            ep.dropped += len(unknown)
            return
        usrsctp = self.usrsctp
        fd = ep.fileno()
        for (host, port), data in unknown:
            handle = usrsctp.findPeer(fd, host, port)
            if handle is None:
                if ep.unused >= MAX_NEW_HANDLES:
                    ep.dropped += 1
                    continue
                handle = usrsctp.addPeer(fd, host, port)
                ep.handles[handle] = time.monotonic()
                ep.unused += 1
            usrsctp.input(handle, data)

    def output(self) -> None:
        """
        Send the packets usrsctp has queued; watch a full UDP port for room.
        """
        blocked = self.usrsctp.flush()
        if blocked is not None:
            ep = self._endpoints.get(blocked)
            if ep is not None:
                ep.startWriting()

    def sent(self) -> None:
        """
        Something was handed to usrsctp: send its packets now, and service
        the stack soon (a send can change a socket without telling).
        """
        self.output()
        if not self._inService:
            self.serviceSoon()

    # -- readiness -----------------------------------------------------------

    def register(self, descriptor: Any, sock: Any) -> None:
        self._descriptors[sock.id] = descriptor

    def startReading(self, descriptor: Any) -> None:
        sock = descriptor.sock
        if sock is None:
            return
        self._descriptors[sock.id] = descriptor
        if not getattr(descriptor, "_usReading", False):
            descriptor._usReading = True
            # Whatever arrived while it was not read raised no event.
            self._readSoon.append(descriptor)
            self.serviceSoon()

    def stopReading(self, descriptor: Any) -> None:
        descriptor._usReading = False

    def startWriting(self, descriptor: Any) -> None:
        sock = descriptor.sock
        if sock is not None:
            self._descriptors[sock.id] = descriptor
        descriptor._usWriting = True

    def stopWriting(self, descriptor: Any) -> None:
        descriptor._usWriting = False

    def serviceSoon(self) -> None:
        if not self._inService and self._serviceCall is None:
            self._serviceCall = self.reactor.callLater(0, self._serviceLater)

    def _serviceLater(self) -> None:
        self._serviceCall = None
        self.service()

    def service(self) -> None:
        """
        Send what usrsctp queued and call the carriers of the sockets that
        changed, as a reactor calls file descriptors, until nothing is left
        (or again in the next reactor iteration, after many rounds).
        """
        if self._inService:
            return
        self._inService = True
        usrsctp = self.usrsctp
        descriptors = self._descriptors
        try:
            for _ in range(_SERVICE_ROUNDS):
                self.output()
                collectAll, self._collectAll = self._collectAll, False
                ready = usrsctp.collect(collectAll)
                soon = self._readSoon
                if not ready and not soon:
                    return
                if soon:
                    self._readSoon = []
                for sock, events in ready:
                    d = descriptors.get(sock.id)
                    if d is None:
                        continue
                    if events & _READABLE and getattr(d, "_usReading", False) and not d.disconnected:
                        self._read(d)
                    if events & _WRITABLE and getattr(d, "_usWriting", False) and not d.disconnected:
                        self._call(d, d.doWrite)
                for d in soon:
                    if getattr(d, "_usReading", False) and not d.disconnected:
                        self._read(d)
        finally:
            self._inService = False
        self.serviceSoon()

    def _read(self, descriptor: Any) -> None:
        """
        Call C{descriptor}'s C{doRead}; if it stopped with more to read (a
        read takes a bounded number of batches), read it again in the next
        round: usrsctp tells of new packets, not of data left unread.
        """
        self._call(descriptor, descriptor.doRead)
        sock = descriptor.sock
        if (getattr(descriptor, "_usReading", False) and not descriptor.disconnected and sock is not None
                and not sock.closed and sock.isReadable()):
            self._readSoon.append(descriptor)

    def _call(self, descriptor: Any, method: Any) -> None:
        """
        Call C{descriptor}'s C{doRead} or C{doWrite} as a reactor would: an
        exception or a returned reason ends the descriptor.
        """
        try:
            why = method()
        except Exception:
            why = failure.Failure()
            _log.failure("Unhandled error in {descriptor}", why, descriptor=descriptor)
        if why:
            descriptor.stopReading()
            descriptor.stopWriting()
            descriptor.connectionLost(why if isinstance(why, failure.Failure) else failure.Failure(why))

    # -- timers --------------------------------------------------------------

    def activity(self) -> None:
        """
        An association may have started or ended: tick usrsctp's timers
        until it has none to run.
        """
        if self._ticker is None:
            self._lastTick = self.reactor.seconds()
            self._ticker = self.reactor.callLater(_TICK, self._tick)

    def _tick(self) -> None:
        self._ticker = None
        now = self.reactor.seconds()
        elapsed = (now - self._lastTick) * 1000.0 + self._fraction
        self._lastTick = now
        ms = int(elapsed)
        self._fraction = elapsed - ms
        if ms > 0 and self.usrsctp.handleTimers(min(ms, 0xFFFFFFFF)):
            self._collectAll = True
        self.service()
        if now >= self._nextSweep or not self.usrsctp.needsTimers():
            # (Last, when usrsctp has nothing left: what is closed now may
            # give it cleanup to do again, checked below.)
            self._sweep()
            self._nextSweep = now + _SWEEP_EVERY
        if self.usrsctp.needsTimers() and self._ticker is None:
            self._ticker = self.reactor.callLater(_TICK, self._tick)

    def _sweep(self) -> None:
        """
        Forget closed sockets, remove idle handles no association uses,
        close UDP endpoints nothing uses.
        """
        for sid, d in list(self._descriptors.items()):
            sock = d.sock
            if sock is None or sock.closed or sock.id != sid:
                del self._descriptors[sid]
        usrsctp = self.usrsctp
        inUse = usrsctp.handlesInUse()
        now = time.monotonic()
        for ep in list(self._endpoints.values()):
            unused = 0
            for handle in list(ep.handles):
                if handle in inUse:
                    continue
                try:
                    idle = now - usrsctp.peerEndpoint(handle).lastActivity
                except KeyError:
                    del ep.handles[handle]
                    continue
                if idle > _HANDLE_IDLE:
                    usrsctp.removePeer(handle)
                    del ep.handles[handle]
                else:
                    unused += 1
            ep.unused = unused
            if all(sock.closed for sock in ep.owners):
                self.release(ep)


@implementer(IStack)
class UserspaceStack:
    """
    The userspace stack for one port or connector.

    @ivar udpPort: the local UDP port (0: any free one).
    @ivar remoteUdpPort: the peer's UDP port, for associations this end
        starts.
    """

    name = "userspace"
    sendBufferHint = _SEND_BUFFER_HINT

    def __init__(self, reactor: Any, udpPort: int = DEFAULT_UDP_PORT,
                 remoteUdpPort: int = DEFAULT_UDP_PORT) -> None:
        for what, value in (("udpPort", udpPort), ("remoteUdpPort", remoteUdpPort)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{what} must be an int, not {type(value).__name__}")
            if not 0 <= value <= 0xFFFF:
                raise ValueError(f"{what} {value} is out of range 0..65535")
        if remoteUdpPort == 0:
            raise ValueError("remoteUdpPort must name the peer's UDP port, not 0")
        self._driver = driverFor(reactor)
        self.udpPort = udpPort
        self.remoteUdpPort = remoteUdpPort
        self._endpoint: Optional[_UDPEndpoint] = None

    def __repr__(self) -> str:
        return f"<UserspaceStack udpPort={self.udpPort} remoteUdpPort={self.remoteUdpPort}>"

    # -- sockets -------------------------------------------------------------

    def _newSocket(self, options: Any, style: str) -> Any:
        if options.bundle:
            raise StackFeatureError("bundle=True (filling packets with MSG_MORE)",
                                    detail="usrsctp fills packets itself while tuning.nodelay is off")
        sock = self._driver.usrsctp.socket(style)
        try:
            sock.subscribe(options.events)
            if options.tuning is not None:
                sock.applyTuning(options.tuning)
            initMsg = options.initMsg()
            if initMsg is not None:
                sock.setInitMsg(initMsg)
            if options.prepareSocket is not None:
                options.prepareSocket(sock)
        except BaseException:
            sock.close()
            raise
        return sock

    @staticmethod
    def _oneHost(hosts: Any, what: str) -> str:
        if isinstance(hosts, str):
            return hosts
        listed: List[str] = list(hosts)
        if len(listed) != 1:
            raise StackFeatureError(f"several local or peer addresses ({what}: multi-homing)")
        return listed[0]

    def listen(self, interface: Any, port: int, options: Any, style: str, backlog: int) -> Any:
        host = self._oneHost(interface, "interface")
        if host:
            _addresses.ipFamily(host)  # an IP literal, or ValueError
        driver = self._driver
        ep = driver.endpoint(host, self.udpPort, acceptNew=True)
        try:
            sock = self._newSocket(options, style)
            try:
                _bindAnyPort(sock) if port == 0 else sock.bind(port)
                sock.listen(backlog)
            except BaseException:
                sock.close()
                raise
        except BaseException:
            driver.release(ep)
            raise
        ep.owners.append(sock)
        self._endpoint = ep
        return sock

    def localPort(self, sock: Any) -> int:
        port: int = sock.getLocalPort()
        return port

    def accept(self, sock: Any) -> Tuple[Any, Tuple[str, int]]:
        newSock, handle, port = sock.accept()
        self._driver.activity()
        host = self._driver.usrsctp.mapAddress(handle, port)
        return newSock, host or ("0.0.0.0", port)

    def connect(self, sock: Any, addresses: List[Tuple[str, int]]) -> int:
        if len(addresses) != 1:
            raise StackFeatureError("associating with several peer addresses (multi-homing)")
        host, port = addresses[0]
        driver = self._driver
        assert self._endpoint is not None
        handle = driver.peerHandle(self._endpoint, host, self.remoteUdpPort)
        assocId: int = sock.connect(handle, port)
        driver.activity()
        driver.sent()
        return assocId

    def connectClient(self, options: Any, hosts: Sequence[str], port: int,
                      bindAddresses: List[Tuple[str, int]]) -> Tuple[Any, int]:
        host = self._oneHost(hosts, "host")
        localHost, localPort = "", 0
        if bindAddresses:
            if len(bindAddresses) != 1:
                raise StackFeatureError("several local or peer addresses (bindAddress: multi-homing)")
            localHost, localPort = bindAddresses[0]
        if not localHost and _addresses.ipFamily(host) == _stdsocket.AF_INET6:
            localHost = "::"
        driver = self._driver
        ep = driver.endpoint(localHost, self.udpPort, acceptNew=False)
        try:
            handle = driver.peerHandle(ep, host, self.remoteUdpPort)
            sock = self._newSocket(options, ONE_TO_ONE)
            try:
                sock.bind(localPort)
                assocId = sock.connect(handle, port)
            except BaseException:
                sock.close()
                raise
        except BaseException:
            driver.release(ep)
            raise
        ep.owners.append(sock)
        driver.activity()
        driver.sent()
        return sock, assocId

    def peelOff(self, sock: Any, assocId: int) -> Any:
        newSock = sock.peeloff(assocId)
        self._driver.serviceSoon()
        return newSock

    def shutdownPeeled(self, sock: Any) -> None:
        sock.shutdown(_stdsocket.SHUT_WR)
        self._driver.sent()

    def peerName(self, sock: Any) -> Tuple[str, int]:
        pairs: List[Tuple[str, int]] = sock.getPeerAddresses(0)
        if not pairs:
            raise OSError(errno.ENOTCONN, "the socket has no association")
        return pairs[0]

    def socketError(self, sock: Any) -> int:
        err: int = sock.getSocketError()
        return err

    # -- carriers ------------------------------------------------------------

    @staticmethod
    def packParameters(stream: int, ppid: int, flags: int, assocId: int, context: int,
                       prPolicy: int, prValue: int) -> bytes:
        if prPolicy == PRPolicy.PRIO:
            raise StackFeatureError("the PR-SCTP priority policy (SCTP_PR_SCTP_PRIO)")
        return packMeta(stream, ppid, flags, assocId, context, prPolicy, prValue)

    def attach(self, carrier: Any, sock: Any) -> None:
        driver = self._driver
        driver.register(carrier, sock)
        carrier._receiveSource = sock
        carrier._parseNotification = sock.parseNotification
        receiveRecords = sock.receiveRecords
        sendPacked: Callable[[Sequence[bytes], Sequence[bytes]], int] = sock.sendPacked
        sent = driver.sent
        errors: List[OSError] = []

        def receive() -> Tuple[int, Sequence[bytes], Optional[List[tuple]], int, List[RcvInfo]]:
            datas, records = receiveRecords()
            if not records:
                return 1, [b""], [_EOF_RECORD], 0, []
            return len(records), datas, records, 0, []

        def sendOne(data: bytes, size: int, meta: bytes) -> int:
            try:
                sendPacked((data,), (meta,))
            except OSError as e:
                errors.append(e)
                return -1
            finally:
                sent()
            return 1

        def lastSendError() -> OSError:
            return errors.pop() if errors else OSError(errno.EIO, "usrsctp refused the message")

        def sendMany(datas: Sequence[bytes], metas: Sequence[bytes], sizes: Optional[Sequence[int]]) -> int:
            try:
                return sendPacked(datas, metas)
            finally:
                sent()

        def sendSpecial(entry: tuple) -> int:
            # An association over UDP has one path: the destination the
            # transport checked is that path.
            try:
                return sendPacked((entry[0],), (entry[1],))
            finally:
                sent()

        carrier._receive = receive
        carrier._sendOne = sendOne
        carrier._lastSendError = lastSendError
        carrier._sendMany = sendMany
        carrier._sendSpecial = sendSpecial

    def startReading(self, descriptor: Any) -> None:
        self._driver.startReading(descriptor)

    def stopReading(self, descriptor: Any) -> None:
        self._driver.stopReading(descriptor)

    def startWriting(self, descriptor: Any) -> None:
        self._driver.startWriting(descriptor)

    def stopWriting(self, descriptor: Any) -> None:
        self._driver.stopWriting(descriptor)

    # -- queries -------------------------------------------------------------

    def _endpointOf(self, handle: int) -> Any:
        return self._driver.usrsctp.peerEndpoint(handle)

    def addressFamily(self, sock: Any) -> int:
        for host, _ in sock.getPeerAddresses(0) if sock.style == ONE_TO_ONE else ():
            return _addresses.ipFamily(host)
        ep = self._endpoint
        if ep is not None and ep.interface and _addresses.ipFamily(ep.interface) == _stdsocket.AF_INET6:
            return _stdsocket.AF_INET6
        return _stdsocket.AF_INET

    def _handleFor(self, sock: Any, address: Tuple[str, int], assocId: int) -> Tuple[int, int]:
        address = _addresses.normalizeAddresses([address])[0]
        for handle, port in sock.getPeerHandles(assocId):
            host = self._driver.usrsctp.mapAddress(handle, port)
            if host is not None and _addresses.sameTransportAddress(host, address):
                return handle, port
        raise OSError(errno.EADDRNOTAVAIL, f"{address!r} is not the peer's address")

    def pathState(self, sock: Any, address: Tuple[str, int], assocId: int) -> PeerAddrInfo:
        handle, port = self._handleFor(sock, address, assocId)
        info: PeerAddrInfo = sock.getPeerAddrInfo(handle, port, assocId)
        return info

    def setPrimaryAddress(self, sock: Any, address: Tuple[str, int], assocId: int) -> None:
        handle, port = self._handleFor(sock, address, assocId)
        sock.setPrimaryAddress(handle, port, assocId)

    def localAddress(self, sock: Any, assocId: int) -> SCTPAddress:
        try:
            handles = sock.getPeerHandles(assocId)
        except OSError:
            handles = []  # a listening socket
        port = sock.getLocalPort()
        if handles:
            fd = self._endpointOf(handles[0][0]).fd
            ep = self._driver._endpoints.get(fd)
            pairs = sock.getLocalAddresses(assocId)
            if pairs:
                return SCTPAddress.fromPairs(pairs, assocId, udpPort=ep.getHost().port if ep else None)
        ep = self._endpoint
        if ep is None:
            return SCTPAddress("0.0.0.0", port, ("0.0.0.0",), assocId)
        udpHost = ep.getHost()
        return SCTPAddress(udpHost.host, port, (udpHost.host,), assocId, udpPort=udpHost.port)

    def peerAddress(self, sock: Any, assocId: int) -> SCTPAddress:
        handles = sock.getPeerHandles(assocId)
        if not handles:
            raise OSError(errno.ENOTCONN, f"association {assocId} has no peer address")
        handle, port = handles[0]
        peer = self._endpointOf(handle)
        return SCTPAddress(peer.host, port, (peer.host,), assocId, udpPort=peer.port)
