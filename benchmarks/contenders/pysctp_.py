"""
Contender: pysctp (the existing Python binding over libsctp), installed by
benchmarks/run into benchmarks/_build/pysctp with ``pip install --target``
(it needs libsctp-dev).  sctp_send/sctp_recv per message, with the data_io
event on so every message comes with its sndrcvinfo (stream, ppid) like the
other contenders.
"""

import os
import socket
import sys
import time

from common import HOST, blockingSetupLoop, latency_result, parse_end

from . import BUILD, Contender

TARGET = os.path.join(BUILD, "pysctp")
FLAG_NOTIFICATION = 0x8000
FLAG_EOR = socket.MSG_EOR


def _import():
    if TARGET not in sys.path:
        sys.path.insert(0, TARGET)
    import sctp

    return sctp


def _warm():
    try:
        _import()
    except ImportError:
        pass


def available():
    try:
        _import()
    except Exception as e:
        reason = f"pysctp not importable ({e.__class__.__name__}: {e})"
        why = os.path.join(TARGET, "INSTALL-FAILED")
        if os.path.exists(why):
            with open(why) as f:
                reason = "pip install pysctp failed: " + f.read().strip().splitlines()[-1][:120]
        return False, reason
    return True, ""


def _socket(settings, udp=False):
    sctp = _import()
    sk = sctp.sctpsocket_udp(socket.AF_INET) if udp else sctp.sctpsocket_tcp(socket.AF_INET)
    settings.apply_std(sk.sock())
    sk.events.data_io = True
    sk.events.flush()
    return sk


def _listener(out, settings, udp=False):
    sk = _socket(settings, udp)
    sk.sock().setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sk.bind((HOST, 0))
    sk.listen(4096)
    out.ready(sk.getsockname()[1])
    return sk


def _accept(lsk, settings):
    conn, _ = lsk.accept()
    settings.apply_std(conn.sock())
    return conn


def _connect(settings, port):
    sk = _socket(settings)
    sk.connect((HOST, port))
    return sk


def _drain_until_eof(sk):
    try:
        while True:
            _, flags, msg, _ = sk.sctp_recv(65536)
            if not msg and not flags & FLAG_NOTIFICATION:
                return
    except OSError:
        return


def oneway_recv(out, settings, size):
    lsk = _listener(out, settings)
    sk = _accept(lsk, settings)
    msgs = nbytes = bad = piece = 0
    expected = -1
    t0 = t1 = 0.0
    while True:
        _, flags, data, info = sk.sctp_recv(65536)
        if not data and not flags & FLAG_NOTIFICATION:
            break
        if not t0:
            t0 = time.perf_counter()
        if flags & FLAG_NOTIFICATION:
            continue
        info.stream  # noqa: B018 -- read, as a user would: every contender pays for its stream id
        piece += len(data)
        if not flags & FLAG_EOR:
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
                break
        piece = 0
    sk.sctp_send(b"OK")
    out.result(msgs=msgs, bytes=nbytes, elapsed=max(t1 - t0, 0.0), expected=expected, bad=bad)
    _drain_until_eof(sk)
    sk.close()
    lsk.close()


def oneway_send(out, settings, port, size, duration, count):
    sk = _connect(settings, port)
    data = bytes(size)
    sent = 0
    t0 = time.perf_counter()
    deadline = t0 + duration
    send = sk.sctp_send
    while (sent < count) if count else (time.perf_counter() < deadline):
        for _ in range(64 if not count else min(64, count - sent)):
            send(data, ppid=0, stream=0)
            sent += 1
    send(b"END %d" % sent, ppid=1)
    while True:
        _, flags, msg, _ = sk.sctp_recv(64)
        if msg or not flags & FLAG_NOTIFICATION:
            break
    out.result(sent=sent, elapsed=time.perf_counter() - t0)
    sk.close()


def pp_server(out, settings):
    lsk = _listener(out, settings)
    sk = _accept(lsk, settings)
    n = 0
    while True:
        try:
            _, flags, data, info = sk.sctp_recv(65536)
        except OSError:
            break
        if not data:
            if flags & FLAG_NOTIFICATION:
                continue
            break
        sk.sctp_send(data, ppid=getattr(info, "ppid", 0), stream=info.stream)
        n += 1
    out.result(echoed=n)
    sk.close()
    lsk.close()


def pp_client(out, settings, port, size, duration, count):
    sk = _connect(settings, port)
    data = bytes(size)
    lat = []
    clock = time.perf_counter_ns

    def roundTrip():
        sk.sctp_send(data, ppid=0, stream=0)
        while True:
            _, flags, reply, info = sk.sctp_recv(65536)
            if not flags & FLAG_NOTIFICATION:
                return reply

    roundTrip()  # warm-up, before the clock starts (see latency_result)
    t0 = time.perf_counter()
    deadline = clock() + int(duration * 1e9)
    while (len(lat) < count) if count else (clock() < deadline):
        a = clock()
        reply = roundTrip()
        if len(reply) != size:
            raise RuntimeError(f"ping-pong: got {len(reply)} bytes")
        lat.append(clock() - a)
    latency_result(out, lat, t0, warmup=1)
    sk.close()


def setup_server(out, settings):
    lsk = _listener(out, settings)
    n = 0
    while True:
        sk = _accept(lsk, settings)
        stop = False
        try:
            while True:
                _, flags, data, _ = sk.sctp_recv(256)
                if flags & FLAG_NOTIFICATION:
                    continue
                if data.startswith(b"STOP"):
                    stop = True
                    sk.sctp_send(b"OK")
                    _drain_until_eof(sk)
                break
        except OSError:
            pass
        sk.close()
        if stop:
            break
        n += 1
    out.result(accepted=n)
    lsk.close()


def setup_client(out, settings, port, duration, count=0):
    def final():
        sk = _connect(settings, port)
        sk.sctp_send(b"STOP")
        while True:
            _, flags, msg, _ = sk.sctp_recv(64)
            if msg or not flags & FLAG_NOTIFICATION:
                break
        sk.close()

    blockingSetupLoop(out, duration, count, lambda: _connect(settings, port).close(), final)


def fanin_recv(out, settings, size, assocs):
    lsk = _listener(out, settings, udp=True)
    msgs = nbytes = bad = ends = expected = 0
    t0 = 0.0
    while ends < assocs:
        _, flags, data, info = lsk.sctp_recv(65536)
        if not t0:
            t0 = time.perf_counter()
        if flags & FLAG_NOTIFICATION:
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
    lsk.close()


CONTENDERS = [
    Contender(
        key="pysctp", label="pysctp", rank=30,
        workloads=frozenset({"oneway100", "oneway16k", "pingpong", "setup", "fanin"}),
        available=available, warm=_warm,
    ),
]
