"""
Contender: a plain CPython loop over the stdlib socket module, one
sendmsg/recvmsg per message with SCTP_SNDINFO/SCTP_RCVINFO control messages
built and parsed with struct -- what users write today.
"""

import socket
import struct
import time

from common import (
    HOST,
    IPPROTO_SCTP,
    MSG_EOR,
    MSG_NOTIFICATION,
    SCTP_RCVINFO,
    SCTP_RECVRCVINFO,
    SCTP_SNDINFO,
    SOL_SCTP,
    blockingSetupLoop,
    latency_result,
    parse_end,
    probe,
)

from . import Contender

SNDINFO = struct.Struct("HHIIi")  # sid, flags, ppid (network order), context, assoc id
RCVINFO = struct.Struct("HHHxxIIIIi")  # sid, ssn, flags, ppid, tsn, cumtsn, context, assoc
CMSG_SPACE = socket.CMSG_SPACE(RCVINFO.size)


def _socket(settings, kind=socket.SOCK_STREAM):
    sock = socket.socket(socket.AF_INET, kind, IPPROTO_SCTP)
    settings.apply_std(sock)
    sock.setsockopt(SOL_SCTP, SCTP_RECVRCVINFO, 1)
    return sock


def _listener(out, settings, kind=socket.SOCK_STREAM):
    sock = _socket(settings, kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(4096)
    out.ready(sock.getsockname()[1])
    return sock


def _accept(lsock, settings):
    conn, _ = lsock.accept()
    settings.apply_std(conn)
    return conn


def _connect(settings, port):
    sock = _socket(settings)
    sock.connect((HOST, port))
    return sock


def send(sock, data, stream=0, ppid=0):
    return sock.sendmsg(
        [data], [(IPPROTO_SCTP, SCTP_SNDINFO, SNDINFO.pack(stream, 0, socket.htonl(ppid), 0, 0))]
    )


def recv(sock):
    """
    One message piece: (data, flags, (stream, ppid, assocId) or None).
    """
    data, anc, flags, _ = sock.recvmsg(65536, CMSG_SPACE)
    info = None
    for level, kind, cdata in anc:
        if level == IPPROTO_SCTP and kind == SCTP_RCVINFO:
            sid, ssn, rflags, ppid, tsn, cumtsn, context, assoc = RCVINFO.unpack(cdata)
            info = (sid, socket.ntohl(ppid), assoc)
    return data, flags, info


def _drain_until_eof(sock):
    try:
        while True:
            data, flags, _ = recv(sock)
            if not data and not flags & MSG_NOTIFICATION:
                return
    except OSError:
        return


def oneway_recv(out, settings, size):
    lsock = _listener(out, settings)
    sock = _accept(lsock, settings)
    msgs = nbytes = bad = piece = 0
    expected = -1
    t0 = t1 = 0.0
    while True:
        data, flags, info = recv(sock)
        if not data and not flags & MSG_NOTIFICATION:
            break
        if not t0:
            t0 = time.perf_counter()
            probe.start()
        if flags & MSG_NOTIFICATION:
            continue
        piece += len(data)
        if not flags & MSG_EOR:
            continue
        if piece == size:
            msgs += 1
            nbytes += piece
        else:
            end = parse_end(data)
            if end is None:
                bad += 1
            else:
                expected = end
                t1 = time.perf_counter()
                probe.stop()
                break
        piece = 0
    send(sock, b"OK")
    out.result(msgs=msgs, bytes=nbytes, elapsed=max(t1 - t0, 0.0), expected=expected, bad=bad)
    _drain_until_eof(sock)
    sock.close()
    lsock.close()


def oneway_send(out, settings, port, size, duration, count):
    sock = _connect(settings, port)
    data = bytes(size)
    sent = 0
    t0 = time.perf_counter()
    deadline = t0 + duration
    probe.start()
    while (sent < count) if count else (time.perf_counter() < deadline):
        for _ in range(64 if not count else min(64, count - sent)):
            sock.sendmsg(
                [data], [(IPPROTO_SCTP, SCTP_SNDINFO, SNDINFO.pack(0, 0, socket.htonl(0), 0, 0))]
            )
            sent += 1
    probe.stop()
    send(sock, b"END %d" % sent, ppid=1)
    recv(sock)
    out.result(sent=sent, elapsed=time.perf_counter() - t0)
    sock.close()


def echo_loop(sock, receive=recv):
    """
    Echo every message on its stream with its PPID until the association
    ends; return how many were echoed.  C{receive} reads one piece as
    L{recv} does (the reference loops pass one that waits as a reactor).
    """
    n = 0
    while True:
        try:
            data, flags, info = receive(sock)
        except OSError:
            break
        if not data:
            if flags & MSG_NOTIFICATION:
                continue
            break
        send(sock, data, info[0] if info else 0, info[1] if info else 0)
        n += 1
    return n


def pp_server(out, settings):
    lsock = _listener(out, settings)
    sock = _accept(lsock, settings)
    out.result(echoed=echo_loop(sock))
    sock.close()
    lsock.close()


def pp_client(out, settings, port, size, duration, count):
    sock = _connect(settings, port)
    data = bytes(size)
    lat = []
    clock = time.perf_counter_ns
    send(sock, data)  # warm-up, before the clock starts (see latency_result)
    recv(sock)
    t0 = time.perf_counter()
    deadline = clock() + int(duration * 1e9)
    while (len(lat) < count) if count else (clock() < deadline):
        a = clock()
        send(sock, data)
        reply, flags, info = recv(sock)
        if len(reply) != size:
            raise RuntimeError(f"ping-pong: got {len(reply)} bytes")
        lat.append(clock() - a)
    latency_result(out, lat, t0, warmup=1)
    sock.close()


def setup_server(out, settings):
    lsock = _listener(out, settings)
    n = 0
    while True:
        sock = _accept(lsock, settings)
        data, flags, info = recv(sock)
        if data.startswith(b"STOP"):
            send(sock, b"OK")
            _drain_until_eof(sock)
            sock.close()
            break
        if data:
            _drain_until_eof(sock)
        sock.close()
        n += 1
    out.result(accepted=n)
    lsock.close()


def setup_client(out, settings, port, duration, count=0):
    def final():
        sock = _connect(settings, port)
        send(sock, b"STOP")
        recv(sock)
        sock.close()

    blockingSetupLoop(out, duration, count, lambda: _connect(settings, port).close(), final)


def fanin_recv(out, settings, size, assocs):
    lsock = _listener(out, settings, socket.SOCK_SEQPACKET)
    msgs = nbytes = bad = ends = expected = 0
    t0 = 0.0
    while ends < assocs:
        data, flags, info = recv(lsock)
        if not t0:
            t0 = time.perf_counter()
        if flags & MSG_NOTIFICATION:
            continue
        if len(data) == size:
            msgs += 1
            nbytes += size
        else:
            end = parse_end(data)
            if end is None:
                bad += 1
            else:
                ends += 1
                expected += end
    out.result(msgs=msgs, bytes=nbytes, elapsed=time.perf_counter() - t0, expected=expected, bad=bad)
    lsock.close()


CONTENDERS = [
    Contender(
        key="stdlib", label="stdlib loop", rank=20,
        workloads=frozenset({"oneway100", "oneway16k", "pingpong", "setup", "fanin"}),
        measure=frozenset({"send", "recv", "echo", "setup", "syscalls"}),
    ),
]
