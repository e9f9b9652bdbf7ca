"""
A small driver for the userspace stack's socket layer in tests: UDP
sockets on 127.0.0.1, a loop that moves packets, ticks usrsctp's timers
with the real clock and records what each socket reports.  No Twisted.
"""

from __future__ import annotations

import os
import select
import socket
import time
from collections import defaultdict
from typing import Callable, Dict, List, Optional

import pytest

from txsctp._usrsctp import EVENT_READ, EVENT_WRITE, ONE_TO_ONE, UsrsctpStack
from txsctp.info import Message
from txsctp.notifications import AssociationChange, NotificationType

ALL_EVENTS = [
    NotificationType.ASSOC_CHANGE,
    NotificationType.PEER_ADDR_CHANGE,
    NotificationType.REMOTE_ERROR,
    NotificationType.SHUTDOWN_EVENT,
    NotificationType.SENDER_DRY_EVENT,
    NotificationType.SEND_FAILED_EVENT,
    NotificationType.PARTIAL_DELIVERY_EVENT,
]


def udpSocket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    s.setblocking(False)
    return s


class Net:
    """
    UDP sockets, usrsctp sockets and the loop between them.

    @ivar items: per socket, what it received (messages reassembled whole,
        notifications) in order.
    @ivar accepted: per listening one-to-one socket, accepted sockets.
    @ivar writable: sockets that reported EVENT_WRITE (cleared by tests).
    @ivar autoAccept: register a handle for datagrams from unknown
        endpoints (what a server does).
    """

    def __init__(self) -> None:
        self.stack = UsrsctpStack.get()
        self.udp: List[socket.socket] = []
        self.sockets = []
        self.handles: List[int] = []
        self.items: Dict[object, list] = defaultdict(list)
        self.accepted: Dict[object, list] = defaultdict(list)
        self.writable = set()
        self.pieces: Dict[tuple, List[bytes]] = {}
        self.autoAccept = True
        self.reading = set()   # sockets whose data is read (all by default)
        self.paused = set()    # sockets not read while paused
        self.unknown: List[tuple] = []
        self.listeners: list = []
        self.filter: Optional[Callable[[int, bytes], Optional[bytes]]] = None
        self.sentPackets: List[tuple] = []
        self.echoing: Dict[object, Callable[[bytes], bytes]] = {}
        self.echoQueue: List[tuple] = []
        self._last = time.monotonic()
        self._carry = 0.0

    # set-up
    def udpSocket(self, host: str = "127.0.0.1") -> socket.socket:
        s = udpSocket(host)
        self.udp.append(s)
        return s

    def peer(self, local: socket.socket, remote) -> int:
        if isinstance(remote, socket.socket):
            remote = remote.getsockname()[:2]
        h = self.stack.findPeer(local.fileno(), remote[0], remote[1])
        if h is None:
            h = self.stack.addPeer(local.fileno(), remote[0], remote[1])
            self.handles.append(h)
        return h

    def socket(self, style=ONE_TO_ONE, events=ALL_EVENTS):
        s = self.stack.socket(style)
        self.sockets.append(s)
        if events:
            s.subscribe(events)
        return s

    def close(self) -> None:
        for s in self.sockets + [a for group in self.accepted.values() for a in group]:
            if not s.closed:
                s.setLinger(True, 0)
                s.close()
        self.filter = None
        self.run(lambda: False, timeout=0.05)
        for h in self.handles:
            try:
                self.stack.removePeer(h)
            except KeyError:
                pass
        self.stack.flush()
        for u in self.udp:
            u.close()

    # the loop
    def tick(self) -> None:
        now = time.monotonic()
        self._carry += (now - self._last) * 1000
        self._last = now
        ms = int(self._carry)
        if ms:
            self._carry -= ms
            if self.stack.handleTimers(ms):
                self._handle(self.stack.collect(all=True))

    def step(self, wait: float = 0.0) -> bool:
        """
        One round: read every UDP socket, report, flush.  Returns whether
        anything happened.
        """
        busy = False
        if wait:
            select.select(self.udp, [], [], wait)
        for u in self.udp:
            while True:
                n, unknown = self.stack.receiveDatagrams(u.fileno())
                if not n:
                    break
                busy = True
                for (host, port), data in unknown:
                    self.unknown.append((u, (host, port), data))
                    if self.autoAccept:
                        h = self.stack.findPeer(u.fileno(), host, port)
                        if h is None:
                            h = self.peer(u, (host, port))
                        self.stack.input(h, data)
        self.tick()
        self.sendEchoes()
        ready = self.stack.collect()
        if ready:
            busy = True
            self._handle(ready)
        self.flush()
        return busy

    def flush(self) -> None:
        """
        Send what usrsctp queued; through L{filter} when one is set (it
        returns the packet to send, or C{None} to lose it).
        """
        if self.filter is None:
            self.stack.flush()
            return
        byFd = {u.fileno(): u for u in self.udp}
        for handle, packet in self.stack.takeOutput():
            self.sentPackets.append((handle, packet))
            packet = self.filter(handle, packet)
            if packet is None:
                continue
            endpoint = self.stack.peerEndpoint(handle)
            byFd[endpoint.fd].sendto(packet, (endpoint.host, endpoint.port))

    def _handle(self, ready) -> None:
        for sock, events in ready:
            if events & EVENT_WRITE:
                self.writable.add(sock)
            if events & EVENT_READ:
                self.read(sock)

    def read(self, sock) -> None:
        if sock in self.paused:
            return
        while True:
            if sock in self.listeners:
                try:
                    new, handle, port = sock.accept()
                except BlockingIOError:
                    return
                self.accepted[sock].append(new)
                if sock in self.echoing:
                    self.echoing[new] = self.echoing[sock]
                self.read(new)
                continue
            try:
                got = sock.receiveBatch()
            except BlockingIOError:
                return
            except OSError as e:
                # A one-to-one socket whose association failed: usrsctp
                # reports its error once everything queued has been read.
                self.items[sock].append(e)
                self.paused.add(sock)
                return
            if not got:
                self.items[sock].append("EOF")
                return
            for item in got:
                if isinstance(item, Message):
                    key = (sock, item.info.assocId, item.info.stream)
                    self.pieces.setdefault(key, []).append(item.data)
                    if item.complete:
                        data = b"".join(self.pieces.pop(key))
                        message = item._replace(data=data)
                        self.items[sock].append(message)
                        if sock in self.echoing:
                            self.echoQueue.append((sock, message))
                else:
                    self.items[sock].append(item)

    def run(self, until: Callable[[], bool], timeout: float = 10.0) -> bool:
        end = time.monotonic() + timeout
        while True:
            if until():
                return True
            if time.monotonic() > end:
                return False
            if not self.step():
                self.step(wait=0.005)

    def echo(self, sock, transform: Callable[[bytes], bytes] = lambda d: d) -> None:
        """
        Send every whole message C{sock} (or, for a listener, any socket
        it accepts) receives back on its stream, with its PPID and
        unordered flag.
        """
        self.echoing[sock] = transform

    def sendEchoes(self) -> None:
        while self.echoQueue:
            sock, m = self.echoQueue[0]
            try:
                sock.sendMessage(self.echoing[sock](m.data), m.info.stream, m.info.ppid,
                                 unordered=m.info.unordered, assocId=m.info.assocId)
            except BlockingIOError:
                return
            self.echoQueue.pop(0)

    # helpers
    def listen(self, port: int, style=ONE_TO_ONE, backlog: int = 128):
        s = self.socket(style)
        s.bind(port)
        s.listen(backlog)
        if style == ONE_TO_ONE:
            self.listeners.append(s)
        return s

    def messages(self, sock) -> List[Message]:
        return [i for i in self.items[sock] if isinstance(i, Message)]

    def notes(self, sock, kind=None):
        return [i for i in self.items[sock] if not isinstance(i, (Message, str, OSError)) and
                (kind is None or isinstance(i, kind))]

    def assocChanges(self, sock) -> list:
        return [n.state for n in self.notes(sock, AssociationChange)]


_ports = iter(range(20000 + os.getpid() % 1000 * 20, 65000))


def nextPort() -> int:
    """
    An SCTP port no other test of this process has used: usrsctp's port
    space is the process's, shared by every test.
    """
    return next(_ports)


@pytest.fixture
def net():
    """
    A L{Net}, closed after the test; the test fails if it left sockets open
    in the stack, or if usrsctp called its output from another thread.
    """
    n = Net()
    try:
        yield n
    finally:
        n.close()
    stack = n.stack
    assert not stack.sockets(), stack.sockets()
    n.run(lambda: not stack._closing, timeout=5)
    assert not stack._closing
    # usrsctp's own (iterator) thread never sent a packet.
    assert stack.stats()["foreign_thread_outputs"] == 0


def _crcTable():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crcTable()


def crc32c(data: bytes) -> int:
    """
    CRC32c (Castagnoli), written out here to check usrsctp's independently.
    """
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def withChecksum(packet: bytes) -> bytes:
    """
    C{packet} with a correct SCTP checksum (RFC 9260 appendix A: the CRC's
    bytes in little-endian order at offset 8).
    """
    zeroed = packet[:8] + b"\0\0\0\0" + packet[12:]
    return packet[:8] + crc32c(zeroed).to_bytes(4, "little") + packet[12:]


def chunks(packet: bytes):
    """
    The chunks of an SCTP packet: C{(type, flags, value)} each.
    """
    offset = 12
    while offset + 4 <= len(packet):
        kind, flags, length = packet[offset], packet[offset + 1], int.from_bytes(packet[offset + 2:offset + 4], "big")
        if length < 4:
            break
        yield kind, flags, packet[offset + 4:offset + length]
        offset += (length + 3) & ~3
