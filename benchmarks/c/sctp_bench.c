/*
 * sctp_bench: the C contender of txsctp's benchmark (benchmarks/run).
 *
 * Plain kernel SCTP API, no libsctp: socket/bind/listen/connect and
 * sendmsg/recvmsg with SCTP_SNDINFO/SCTP_RCVINFO control messages, batched
 * with sendmmsg/recvmmsg (--batch, default 64).  This is the limit a Python
 * library can approach on the same kernel.
 *
 * Modes (first argument):
 *   recv          one-to-one receiver of the one-way stream
 *   send          one-to-one sender of the one-way stream (--duration s);
 *                 with --nonblock 1 it sends as a reactor does: a
 *                 non-blocking socket, sendmmsg until EAGAIN, then
 *                 epoll_wait for EPOLLOUT (the reactor floor's one-way
 *                 sender, benchmarks/contenders/reference.py)
 *   ppserver      ping-pong echo server
 *   ppclient      ping-pong client (round trips for --duration s)
 *   setupserver   accepts associations and waits for their shutdown
 *   setupclient   socket+connect+close loop for --duration s
 *   faninrecv     one-to-many receiver of --assocs associations
 *   faninsend     --assocs one-to-one senders streaming round robin
 *   idleconnect   opens --assocs associations and keeps them idle
 *
 * Protocol shared with the Python contenders (benchmarks/contenders/):
 * data messages are exactly --size bytes; the sender ends with a shorter
 * message "END <count>"; the receiver checks the count, answers "OK" and
 * prints one JSON line.  Servers print "READY <port>" once listening.
 *
 * Socket settings (applied to listening, connecting and accepted sockets):
 * --sndbuf N --rcvbuf N (0: kernel default), --nodelay 0|1 (-1: default),
 * --sackfreq N (0: default; 1: SACK every packet).
 *
 * --bundle 0|1 (default 0): with 1 the one-way sender sends each batch of
 * 4 or more messages of 64 KiB in all at most as sendmmsg of all but the
 * last with MSG_MORE, then the last alone, so that the kernel fills
 * packets although SCTP_NODELAY is on -- what txsctp's
 * SCTPSocket.sendBatch(..., bundle=True) does.  Off in the report's
 * tables, as in txsctp's transport (docs/tuning.md says why).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <linux/sctp.h>

#ifndef SOL_SCTP
#define SOL_SCTP 132
#endif
#ifndef MSG_WAITFORONE
#define MSG_WAITFORONE 0x10000
#endif
#define MAXBATCH 1024

static const char *mode;
static const char *host = "127.0.0.1";
static int port = 0;
static int size = 100;
static double duration = 1.0;
static long count_limit = 0; /* fixed message count instead of duration */
static int batch = 64;
static int sndbuf = 0, rcvbuf = 0, nodelay = -1, sackfreq = 0, bundle = 0;
static int assocs = 100;
static int nonblock = 0;

static void die(const char *what)
{
    fprintf(stderr, "sctp_bench %s: %s: %s\n", mode, what, strerror(errno));
    exit(2);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void apply_opts(int fd)
{
    if (sndbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
        die("SO_SNDBUF");
    if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
        die("SO_RCVBUF");
    if (nodelay >= 0 && setsockopt(fd, SOL_SCTP, SCTP_NODELAY, &nodelay, sizeof(nodelay)) < 0)
        die("SCTP_NODELAY");
    if (sackfreq > 0) {
        struct sctp_sack_info si;
        memset(&si, 0, sizeof(si));
        si.sack_assoc_id = 0; /* SCTP_FUTURE_ASSOC, or the association of a 1:1 socket */
        si.sack_delay = 0;    /* keep the delay */
        si.sack_freq = sackfreq;
        if (setsockopt(fd, SOL_SCTP, SCTP_DELAYED_SACK, &si, sizeof(si)) < 0)
            die("SCTP_DELAYED_SACK");
    }
}

static void recvrcvinfo(int fd)
{
    int on = 1;
    if (setsockopt(fd, SOL_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on)) < 0)
        die("SCTP_RECVRCVINFO");
}

static struct sockaddr_in addr_of(int p)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(p);
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
        fprintf(stderr, "bad host %s\n", host);
        exit(2);
    }
    return sin;
}

static int listener(int type)
{
    int fd = socket(AF_INET, type, IPPROTO_SCTP);
    struct sockaddr_in sin = addr_of(port);
    socklen_t len = sizeof(sin);
    int one = 1;
    if (fd < 0)
        die("socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    apply_opts(fd);
    recvrcvinfo(fd);
    if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
        die("bind");
    if (listen(fd, 4096) < 0)
        die("listen");
    if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
        die("getsockname");
    printf("READY %d\n", ntohs(sin.sin_port));
    fflush(stdout);
    return fd;
}

static int accept_one(int lfd)
{
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        die("accept");
    apply_opts(fd);
    recvrcvinfo(fd);
    return fd;
}

static int connector(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
    struct sockaddr_in sin = addr_of(port);
    if (fd < 0)
        die("socket");
    apply_opts(fd);
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
        die("connect");
    recvrcvinfo(fd);
    return fd;
}

/* One sendmsg with SCTP_SNDINFO. */
static ssize_t send_one(int fd, const void *data, size_t len, uint32_t ppid, sctp_assoc_t assoc)
{
    struct msghdr mh;
    struct iovec iov;
    union {
        char buf[CMSG_SPACE(sizeof(struct sctp_sndinfo))];
        struct cmsghdr align;
    } cb;
    struct cmsghdr *c;
    struct sctp_sndinfo si;

    memset(&mh, 0, sizeof(mh));
    memset(&cb, 0, sizeof(cb));
    iov.iov_base = (void *)data;
    iov.iov_len = len;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cb.buf;
    mh.msg_controllen = sizeof(cb.buf);
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_SCTP;
    c->cmsg_type = SCTP_SNDINFO;
    c->cmsg_len = CMSG_LEN(sizeof(si));
    memset(&si, 0, sizeof(si));
    si.snd_ppid = htonl(ppid);
    si.snd_assoc_id = assoc;
    memcpy(CMSG_DATA(c), &si, sizeof(si));
    return sendmsg(fd, &mh, MSG_NOSIGNAL);
}

/* Batched receive state. */
struct rbatch {
    int n;
    char *buf;
    size_t slot;
    struct mmsghdr *mm;
    struct iovec *iov;
    char *cbuf;
    size_t cspace;
};

static void rbatch_init(struct rbatch *b, int n, size_t slot)
{
    b->n = n;
    b->slot = slot;
    b->buf = malloc(n * slot);
    b->mm = calloc(n, sizeof(*b->mm));
    b->iov = calloc(n, sizeof(*b->iov));
    b->cspace = CMSG_SPACE(sizeof(struct sctp_rcvinfo)) + 64;
    b->cbuf = calloc(n, b->cspace);
    if (!b->buf || !b->mm || !b->iov || !b->cbuf) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
}

/* Returns the number of messages received (>= 1), 0 on EOF. */
static int rbatch_recv(struct rbatch *b, int fd, int max)
{
    int i, got;
    if (max > b->n)
        max = b->n;
    for (i = 0; i < max; i++) {
        b->iov[i].iov_base = b->buf + i * b->slot;
        b->iov[i].iov_len = b->slot;
        memset(&b->mm[i].msg_hdr, 0, sizeof(b->mm[i].msg_hdr));
        b->mm[i].msg_hdr.msg_iov = &b->iov[i];
        b->mm[i].msg_hdr.msg_iovlen = 1;
        b->mm[i].msg_hdr.msg_control = b->cbuf + i * b->cspace;
        b->mm[i].msg_hdr.msg_controllen = b->cspace;
    }
    for (;;) {
        if (max == 1) {
            ssize_t r = recvmsg(fd, &b->mm[0].msg_hdr, 0);
            got = r < 0 ? -1 : 1;
            if (r >= 0)
                b->mm[0].msg_len = r;
        } else {
            got = recvmmsg(fd, b->mm, max, MSG_WAITFORONE, NULL);
        }
        /* A zero-length read that is no notification is the end (EOF). */
        if (got == 1 && b->mm[0].msg_len == 0 &&
            !(b->mm[0].msg_hdr.msg_flags & MSG_NOTIFICATION))
            got = 0;
        if (got >= 0)
            return got;
        if (errno == EINTR)
            continue;
        if (errno == ECONNRESET || errno == ENOTCONN)
            return 0;
        die("recvmmsg");
    }
}

static struct sctp_rcvinfo *rcvinfo_of(struct msghdr *mh)
{
    struct cmsghdr *c;
    for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
        if (c->cmsg_level == IPPROTO_SCTP && c->cmsg_type == SCTP_RCVINFO)
            return (struct sctp_rcvinfo *)CMSG_DATA(c);
    return NULL;
}

/* ----------------------------------------------------------- one-way -- */

static int mode_recv(void)
{
    int lfd = listener(SOCK_STREAM), fd;
    struct rbatch b;
    long msgs = 0, bytes = 0, piece = 0, bad = 0, expected = -1;
    double t0 = 0, t1 = 0;
    int done = 0;

    fd = accept_one(lfd);
    rbatch_init(&b, batch, size > 65536 ? size : 65536);
    while (!done) {
        int n = rbatch_recv(&b, fd, batch), i;
        if (n == 0)
            break;
        if (t0 == 0)
            t0 = now();
        for (i = 0; i < n; i++) {
            struct msghdr *mh = &b.mm[i].msg_hdr;
            if (mh->msg_flags & MSG_NOTIFICATION)
                continue;
            piece += b.mm[i].msg_len;
            if (!(mh->msg_flags & MSG_EOR))
                continue;
            if (piece == size) {
                msgs++;
                bytes += piece;
            } else {
                char tmp[64];
                size_t l = b.mm[i].msg_len < 63 ? b.mm[i].msg_len : 63;
                memcpy(tmp, b.buf + i * b.slot, l);
                tmp[l] = 0;
                if (sscanf(tmp, "END %ld", &expected) == 1) {
                    done = 1;
                    t1 = now();
                } else
                    bad++;
            }
            piece = 0;
        }
    }
    if (done)
        send_one(fd, "OK", 2, 0, 0);
    printf("{\"msgs\": %ld, \"bytes\": %ld, \"elapsed\": %.6f, \"expected\": %ld, \"bad\": %ld}\n",
           msgs, bytes, t1 > t0 ? t1 - t0 : 0.0, expected, bad);
    fflush(stdout);
    /* Wait for the sender to close first, so no unread data aborts. */
    {
        char tmp[256];
        while (recv(fd, tmp, sizeof(tmp), 0) > 0)
            ;
    }
    close(fd);
    close(lfd);
    return done ? 0 : 1;
}

static int mode_send(void)
{
    int fd = connector(), i, ep = -1;
    long waits = 0;
    char *data = calloc(1, size);
    struct mmsghdr *mm = calloc(batch, sizeof(*mm));
    struct iovec *iov = calloc(batch, sizeof(*iov));
    size_t cs = CMSG_SPACE(sizeof(struct sctp_sndinfo));
    char *cbuf = calloc(batch, cs);
    long sent = 0;
    double t0 = now(), deadline = t0 + duration;
    char end[64];
    int endlen;

    if (nonblock) {
        struct epoll_event ev = {.events = EPOLLOUT};
        ev.data.fd = fd;
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 || (ep = epoll_create1(0)) < 0 ||
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
            die("non-blocking set-up");
    }
    for (i = 0; i < batch; i++) {
        struct cmsghdr *c;
        struct sctp_sndinfo si;
        iov[i].iov_base = data;
        iov[i].iov_len = size;
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
        mm[i].msg_hdr.msg_control = cbuf + i * cs;
        mm[i].msg_hdr.msg_controllen = cs;
        c = CMSG_FIRSTHDR(&mm[i].msg_hdr);
        c->cmsg_level = IPPROTO_SCTP;
        c->cmsg_type = SCTP_SNDINFO;
        c->cmsg_len = CMSG_LEN(sizeof(si));
        memset(&si, 0, sizeof(si));
        memcpy(CMSG_DATA(c), &si, sizeof(si));
    }
    for (;;) {
        int want = batch, n;
        if (count_limit) {
            if (sent >= count_limit)
                break;
            if (count_limit - sent < want)
                want = count_limit - sent;
        } else if (now() >= deadline)
            break;
        if (want == 1)
            n = send_one(fd, data, size, 0, 0) < 0 ? -1 : 1;
        else if (bundle && want >= 4 && (long)want * size <= 65536) {
            /* All but the last held for bundling, the last releases them. */
            n = sendmmsg(fd, mm, want - 1, MSG_NOSIGNAL | MSG_MORE);
            if (n == want - 1 && sendmsg(fd, &mm[want - 1].msg_hdr, MSG_NOSIGNAL) >= 0)
                n = want;
        } else
            n = sendmmsg(fd, mm, want, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (nonblock && errno == EAGAIN) {
                struct epoll_event ev;
                if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR)
                    die("epoll_wait");
                waits++;
                continue;
            }
            die("sendmmsg");
        }
        sent += n;
    }
    if (nonblock) {
        /* The end marker and the reply below wait as the blocking sender's do. */
        close(ep);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    }
    endlen = snprintf(end, sizeof(end), "END %ld", sent);
    if (send_one(fd, end, endlen, 1, 0) < 0)
        die("send END");
    {
        char tmp[64];
        ssize_t r = recv(fd, tmp, sizeof(tmp), 0);
        if (r != 2)
            fprintf(stderr, "sctp_bench send: no OK from the receiver\n");
    }
    printf("{\"sent\": %ld, \"elapsed\": %.6f, \"waits\": %ld}\n", sent, now() - t0, waits);
    fflush(stdout);
    close(fd);
    return 0;
}

/* --------------------------------------------------------- ping-pong -- */

static int mode_ppserver(void)
{
    int lfd = listener(SOCK_STREAM), fd;
    char *buf = malloc(65536);
    long n = 0;
    fd = accept_one(lfd);
    for (;;) {
        ssize_t r = recv(fd, buf, 65536, 0);
        if (r <= 0)
            break;
        if (send_one(fd, buf, r, 0, 0) < 0)
            break;
        n++;
    }
    printf("{\"echoed\": %ld}\n", n);
    fflush(stdout);
    close(fd);
    close(lfd);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int mode_ppclient(void)
{
    int fd = connector();
    char *data = calloc(1, size), *buf = malloc(65536);
    size_t cap = 1 << 16, n = 0;
    double *lat = malloc(cap * sizeof(double));
    double t0 = now(), deadline = t0 + duration, t1;
    struct msghdr mh;
    struct iovec iov;
    union {
        char b[CMSG_SPACE(sizeof(struct sctp_rcvinfo)) + 64];
        struct cmsghdr align;
    } cb;

    for (;;) {
        double a = now(), z;
        if (count_limit ? (long)n >= count_limit : a >= deadline)
            break;
        if (send_one(fd, data, size, 0, 0) < 0)
            die("send");
        memset(&mh, 0, sizeof(mh));
        iov.iov_base = buf;
        iov.iov_len = 65536;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cb.b;
        mh.msg_controllen = sizeof(cb.b);
        if (recvmsg(fd, &mh, 0) != size)
            die("recv");
        (void)rcvinfo_of(&mh);
        z = now();
        if (n == cap) {
            cap *= 2;
            lat = realloc(lat, cap * sizeof(double));
        }
        lat[n++] = z - a;
    }
    t1 = now();
    qsort(lat, n, sizeof(double), cmp_double);
    printf("{\"rtts\": %zu, \"elapsed\": %.6f, \"p50_us\": %.1f, \"p99_us\": %.1f}\n", n, t1 - t0,
           n ? lat[n / 2] * 1e6 : 0.0, n ? lat[(size_t)(n * 0.99)] * 1e6 : 0.0);
    fflush(stdout);
    close(fd);
    return 0;
}

/* ----------------------------------------------------- setup/teardown -- */

static int mode_setupserver(void)
{
    int lfd = listener(SOCK_STREAM);
    long n = 0;
    char buf[256];
    for (;;) {
        int fd = accept_one(lfd);
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        if (r > 0 && r >= 4 && memcmp(buf, "STOP", 4) == 0) {
            send_one(fd, "OK", 2, 0, 0);
            while (recv(fd, buf, sizeof(buf), 0) > 0)
                ;
            close(fd);
            break;
        }
        while (r > 0)
            r = recv(fd, buf, sizeof(buf), 0);
        close(fd);
        n++;
    }
    printf("{\"accepted\": %ld}\n", n);
    fflush(stdout);
    close(lfd);
    return 0;
}

static int mode_setupclient(void)
{
    long n = 0;
    double t0 = now(), deadline = t0 + duration, t1;
    int fd;
    char buf[16];
    size_t cap = 1024;
    double *cyc = malloc(cap * sizeof(double));
    while (count_limit ? n < count_limit : now() < deadline) {
        double a = now();
        fd = connector();
        close(fd);
        if ((size_t)n == cap) {
            cap *= 2;
            cyc = realloc(cyc, cap * sizeof(double));
        }
        cyc[n++] = now() - a;
    }
    t1 = now();
    qsort(cyc, n, sizeof(double), cmp_double);
    fd = connector();
    send_one(fd, "STOP", 4, 0, 0);
    recv(fd, buf, sizeof(buf), 0);
    close(fd);
    printf("{\"cycles\": %ld, \"elapsed\": %.6f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"max_ms\": %.1f}\n",
           n, t1 - t0, n ? cyc[n / 2] * 1e6 : 0.0, n ? cyc[(size_t)(n * 0.99)] * 1e6 : 0.0,
           n ? cyc[n - 1] * 1e3 : 0.0);
    fflush(stdout);
    return 0;
}

/* ------------------------------------------------------------ fan-in -- */

static int mode_faninrecv(void)
{
    int lfd = listener(SOCK_SEQPACKET);
    struct rbatch b;
    long msgs = 0, bytes = 0, expected = 0, bad = 0;
    int ends = 0, i;
    double t0 = 0, t1 = 0;

    rbatch_init(&b, batch, 65536);
    while (ends < assocs) {
        int n = rbatch_recv(&b, lfd, batch);
        if (n == 0)
            continue;
        if (t0 == 0)
            t0 = now();
        for (i = 0; i < n; i++) {
            struct msghdr *mh = &b.mm[i].msg_hdr;
            long e;
            if (mh->msg_flags & MSG_NOTIFICATION)
                continue;
            if ((int)b.mm[i].msg_len == size) {
                msgs++;
                bytes += size;
            } else {
                char tmp[64];
                size_t l = b.mm[i].msg_len < 63 ? b.mm[i].msg_len : 63;
                memcpy(tmp, b.buf + i * b.slot, l);
                tmp[l] = 0;
                if (sscanf(tmp, "END %ld", &e) == 1) {
                    expected += e;
                    ends++;
                } else
                    bad++;
            }
        }
    }
    t1 = now();
    printf("{\"msgs\": %ld, \"bytes\": %ld, \"elapsed\": %.6f, \"expected\": %ld, \"bad\": %ld}\n",
           msgs, bytes, t1 - t0, expected, bad);
    fflush(stdout);
    close(lfd);
    return 0;
}

static int mode_faninsend(void)
{
    int *fds = calloc(assocs, sizeof(int)), i, k;
    long *sent = calloc(assocs, sizeof(long)), total = 0;
    char *data = calloc(1, size);
    int per = 16; /* messages per association per round */
    struct mmsghdr mm[16];
    struct iovec iov[16];
    union {
        char b[CMSG_SPACE(sizeof(struct sctp_sndinfo))];
        struct cmsghdr align;
    } cb[16];
    double t0, deadline;
    struct pollfd *pfd;

    for (i = 0; i < assocs; i++)
        fds[i] = connector();
    memset(mm, 0, sizeof(mm));
    memset(cb, 0, sizeof(cb));
    for (k = 0; k < per; k++) {
        struct cmsghdr *c;
        struct sctp_sndinfo si;
        iov[k].iov_base = data;
        iov[k].iov_len = size;
        mm[k].msg_hdr.msg_iov = &iov[k];
        mm[k].msg_hdr.msg_iovlen = 1;
        mm[k].msg_hdr.msg_control = cb[k].b;
        mm[k].msg_hdr.msg_controllen = sizeof(cb[k].b);
        c = CMSG_FIRSTHDR(&mm[k].msg_hdr);
        c->cmsg_level = IPPROTO_SCTP;
        c->cmsg_type = SCTP_SNDINFO;
        c->cmsg_len = CMSG_LEN(sizeof(si));
        memset(&si, 0, sizeof(si));
        memcpy(CMSG_DATA(c), &si, sizeof(si));
    }
    printf("CONNECTED %d\n", assocs);
    fflush(stdout);
    /* Non-blocking, driven by poll(): an association stalled on its window
       or on a delayed SACK does not hold the others up. */
    pfd = calloc(assocs, sizeof(*pfd));
    for (i = 0; i < assocs; i++) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        pfd[i].fd = fds[i];
        pfd[i].events = POLLOUT;
    }
    t0 = now();
    deadline = t0 + duration;
    while (count_limit ? total < count_limit : now() < deadline) {
        if (poll(pfd, assocs, 50) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        for (i = 0; i < assocs; i++) {
            int n;
            if (!(pfd[i].revents & POLLOUT))
                continue;
            n = sendmmsg(fds[i], mm, per, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                die("sendmmsg");
            }
            sent[i] += n;
            total += n;
        }
    }
    for (i = 0; i < assocs; i++) {
        char end[64];
        int l = snprintf(end, sizeof(end), "END %ld", sent[i]);
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) & ~O_NONBLOCK);
        if (send_one(fds[i], end, l, 1, 0) < 0)
            die("send END");
    }
    for (i = 0; i < assocs; i++)
        close(fds[i]);
    printf("{\"sent\": %ld, \"elapsed\": %.6f}\n", total, now() - t0);
    fflush(stdout);
    return 0;
}

/* -------------------------------------------------- idle associations -- */

static int mode_idleconnect(void)
{
    int *fds = calloc(assocs, sizeof(int)), i, next = 0, done = 0, inflight = 0;
    const int window = 128; /* handshakes in flight at once */
    struct pollfd *pfd = calloc(window, sizeof(*pfd));
    int *slot = calloc(window, sizeof(int));
    double t0 = now();
    char line[64];
    struct sockaddr_in sin = addr_of(port);

    for (i = 0; i < window; i++)
        pfd[i].fd = -1;
    while (done < assocs) {
        /* Start handshakes until the window is full. */
        for (i = 0; i < window && next < assocs; i++) {
            int fd;
            if (pfd[i].fd >= 0)
                continue;
            fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
            if (fd < 0)
                die("socket");
            apply_opts(fd);
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS)
                die("connect");
            fds[next] = fd;
            slot[i] = next++;
            pfd[i].fd = fd;
            pfd[i].events = POLLOUT;
            inflight++;
        }
        if (poll(pfd, window, 1000) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        for (i = 0; i < window; i++) {
            int err = 0;
            socklen_t l = sizeof(err);
            if (pfd[i].fd < 0 || !pfd[i].revents)
                continue;
            getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &l);
            if (err) {
                errno = err;
                die("connect (async)");
            }
            fcntl(pfd[i].fd, F_SETFL, fcntl(pfd[i].fd, F_GETFL) & ~O_NONBLOCK);
            pfd[i].fd = -1;
            inflight--;
            done++;
        }
    }
    printf("CONNECTED %d %.3f\n", assocs, now() - t0);
    fflush(stdout);
    /* Keep them idle until told (a line or EOF on stdin). */
    if (!fgets(line, sizeof(line), stdin))
        line[0] = 0;
    for (i = 0; i < assocs; i++)
        close(fds[i]);
    printf("{\"closed\": %d}\n", assocs);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    int i;
    if (argc < 2) {
        fprintf(stderr, "usage: sctp_bench MODE [--host H] [--port P] [--size N] [--duration S]\n"
                        "  [--count N] [--batch N] [--sndbuf N] [--rcvbuf N] [--nodelay 0|1]\n"
                        "  [--sackfreq N] [--assocs N] [--bundle 0|1] [--nonblock 0|1]\n");
        return 2;
    }
    mode = argv[1];
    for (i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--host")) host = v;
        else if (!strcmp(k, "--port")) port = atoi(v);
        else if (!strcmp(k, "--size")) size = atoi(v);
        else if (!strcmp(k, "--duration")) duration = atof(v);
        else if (!strcmp(k, "--count")) count_limit = atol(v);
        else if (!strcmp(k, "--batch")) batch = atoi(v);
        else if (!strcmp(k, "--sndbuf")) sndbuf = atoi(v);
        else if (!strcmp(k, "--rcvbuf")) rcvbuf = atoi(v);
        else if (!strcmp(k, "--nodelay")) nodelay = atoi(v);
        else if (!strcmp(k, "--sackfreq")) sackfreq = atoi(v);
        else if (!strcmp(k, "--bundle")) bundle = atoi(v);
        else if (!strcmp(k, "--assocs")) assocs = atoi(v);
        else if (!strcmp(k, "--nonblock")) nonblock = atoi(v);
        else {
            fprintf(stderr, "unknown option %s\n", k);
            return 2;
        }
    }
    if (batch < 1 || batch > MAXBATCH || size < 1) {
        fprintf(stderr, "bad --batch or --size\n");
        return 2;
    }
    if (!strcmp(mode, "recv")) return mode_recv();
    if (!strcmp(mode, "send")) return mode_send();
    if (!strcmp(mode, "ppserver")) return mode_ppserver();
    if (!strcmp(mode, "ppclient")) return mode_ppclient();
    if (!strcmp(mode, "setupserver")) return mode_setupserver();
    if (!strcmp(mode, "setupclient")) return mode_setupclient();
    if (!strcmp(mode, "faninrecv")) return mode_faninrecv();
    if (!strcmp(mode, "faninsend")) return mode_faninsend();
    if (!strcmp(mode, "idleconnect")) return mode_idleconnect();
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
