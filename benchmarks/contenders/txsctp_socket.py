"""
Contender: txsctp's socket layer used directly (no reactor): blocking
SCTPSocket with sendBatch (sendmmsg, 64 per call) and receiveBatch
(recvmmsg with MSG_WAITFORONE, 64 per call, receive info decoded in C).
"""

import time

from common import HOST, MSG_WAITFORONE, cycle_result, latency_result, parse_end, probe

NAME = "txsctp socket layer"


def available():
    try:
        from txsctp.sctpsocket import SCTPSocket  # noqa: F401
    except Exception as e:  # pragma: no cover - reported in the table
        return False, f"txsctp.sctpsocket does not import: {e}"
    return True, ""


def _socket(settings, style="one-to-one"):
    from txsctp.sctpsocket import SCTPSocket

    return SCTPSocket(style=style, tuning=settings.tuning())


def _listener(out, settings, style="one-to-one"):
    sock = _socket(settings, style)
    sock._sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(4096)
    out.ready(sock.getsockname()[1])
    return sock


def _accept(lsock, settings):
    conn, _ = lsock.accept()
    tuning = settings.tuning()
    if tuning is not None:
        conn.applyTuning(tuning)
    return conn


def _connect(settings, port):
    sock = _socket(settings)
    sock.connect((HOST, port))
    return sock


def _wait_message(sock, Message=None):
    if Message is None:
        from txsctp.info import Message
    while True:
        items = sock.receiveBatch(1)
        if not items:
            raise EOFError("the association ended")
        for m in items:
            if m.__class__ is Message:
                return m


def _drain_until_eof(sock):
    from txsctp.info import Message

    try:
        while True:
            items = sock.receiveBatch(64, MSG_WAITFORONE)
            if not items:
                return  # end of file
            for item in items:
                if isinstance(item, Message) and not item.data:
                    return  # end of file (older socket layer: an empty piece)
    except OSError:
        return


def oneway_recv(out, settings, size):
    from txsctp.info import Message

    lsock = _listener(out, settings)
    sock = _accept(lsock, settings)
    msgs = nbytes = bad = piece = 0
    expected = -1
    t0 = t1 = 0.0
    done = False
    receive = sock.receiveBatch
    while not done:
        items = receive(64, MSG_WAITFORONE)
        if not items:
            break  # end of file
        if not t0:
            t0 = time.perf_counter()
            probe.start()
        for m in items:
            if m.__class__ is not Message:
                continue  # a notification
            data = m.data
            if not data:
                done = True
                break
            piece += len(data)
            if not m.complete:
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
                    done = True
                    break
            piece = 0
    sock.sendMessage(b"OK")
    out.result(msgs=msgs, bytes=nbytes, elapsed=max(t1 - t0, 0.0), expected=expected, bad=bad)
    _drain_until_eof(sock)
    sock.close()
    lsock.close()


def oneway_send(out, settings, port, size, duration, count):
    sock = _connect(settings, port)
    data = bytes(size)
    batch = [(data, 0, 0, 0, 0, 0)] * 64
    sent = 0
    t0 = time.perf_counter()
    deadline = t0 + duration
    sendBatch = sock.sendBatch
    probe.start()
    while (sent < count) if count else (time.perf_counter() < deadline):
        sent += sendBatch(batch if not count else batch[: min(64, count - sent)], bundle=settings.bundle)
    probe.stop()
    sock.sendMessage(b"END %d" % sent, ppid=1)
    _wait_message(sock)
    out.result(sent=sent, elapsed=time.perf_counter() - t0)
    sock.close()


def pp_server(out, settings):
    from txsctp.info import Message

    lsock = _listener(out, settings)
    sock = _accept(lsock, settings)
    n = 0
    running = True
    while running:
        try:
            items = sock.receiveBatch(1)
        except OSError:
            break
        if not items:
            break  # end of file
        for m in items:
            if m.__class__ is not Message:
                continue
            if not m.data:
                running = False
                break
            sock.sendMessage(m.data, m.info.stream, m.info.ppid)
            n += 1
    out.result(echoed=n)
    sock.close()
    lsock.close()


def pp_client(out, settings, port, size, duration, count):
    from txsctp.info import Message

    sock = _connect(settings, port)
    data = bytes(size)
    lat = []
    clock = time.perf_counter_ns
    sock.sendMessage(data)  # warm-up, before the clock starts (see latency_result)
    _wait_message(sock, Message)
    t0 = time.perf_counter()
    deadline = clock() + int(duration * 1e9)
    while (len(lat) < count) if count else (clock() < deadline):
        a = clock()
        sock.sendMessage(data)
        m = _wait_message(sock, Message)
        if len(m.data) != size:
            raise RuntimeError(f"ping-pong: got {len(m.data)} bytes")
        lat.append(clock() - a)
    latency_result(out, lat, t0, warmup=1)
    sock.close()


def setup_server(out, settings):
    from txsctp.info import Message

    lsock = _listener(out, settings)
    n = 0
    while True:
        sock = _accept(lsock, settings)
        stop = False
        try:
            while True:
                items = sock.receiveBatch(8, MSG_WAITFORONE)
                if not items:
                    break  # end of file
                data = [m.data for m in items if m.__class__ is Message]
                if data and data[0].startswith(b"STOP"):
                    stop = True
                    sock.sendMessage(b"OK")
                    _drain_until_eof(sock)
                    break
                if data and not data[0]:
                    break
        except OSError:
            pass
        sock.close()
        if stop:
            break
        n += 1
    out.result(accepted=n)
    lsock.close()


def setup_client(out, settings, port, duration):
    import txsctp.sctpsocket  # noqa: F401 -- imported before the clock starts, not in the first cycle

    sock = _connect(settings, port)  # warm-up, before the clock starts (see cycle_result)
    sock.close()
    n = 0
    t0 = time.perf_counter()
    deadline = t0 + duration
    cycles = []
    while time.perf_counter() < deadline:
        a = time.perf_counter()
        sock = _connect(settings, port)
        sock.close()
        cycles.append(time.perf_counter() - a)
        n += 1
    elapsed = time.perf_counter() - t0
    sock = _connect(settings, port)
    sock.sendMessage(b"STOP")
    _wait_message(sock)
    sock.close()
    cycle_result(out, n, elapsed, cycles, warmup=1)


def fanin_recv(out, settings, size, assocs):
    from txsctp.info import Message

    lsock = _listener(out, settings, "one-to-many")
    msgs = nbytes = bad = ends = expected = 0
    t0 = 0.0
    receive = lsock.receiveBatch
    while ends < assocs:
        items = receive(64, MSG_WAITFORONE)
        if not t0:
            t0 = time.perf_counter()
        for m in items:
            if m.__class__ is not Message:
                continue
            data = m.data
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
