"""
Build area: the packets between usrsctp and the UDP sockets, in
C{txsctp._usrsctp_cffi} (see C{txsctp._usrsctp_build}).

Out: usrsctp's C{conn_output} callback only queues packets;
C{txu_flush} sends them all with C{sendmmsg} on each peer's UDP socket, or
C{txu_take_output} hands them to the caller.  In: C{txu_conninput} feeds
one datagram, C{txu_udp_receive} reads a UDP socket with C{recvmmsg} and
feeds what comes from registered endpoints, handing the rest back.  Also
the statistics snapshot (C{txu_get_stats}), which reads the queue's size.
"""

INCLUDES = ""

TYPES = r"""
struct txu_outrec { uintptr_t peer; uint32_t len; };
struct txu_unknown {
    uint32_t len; uint32_t addrlen; struct sockaddr_storage addr;
};
"""

CONSTANTS = """
    TXU_MAX_BATCH TXU_ERR_UNKNOWN_PEER
""".split()

FUNCTIONS = r"""
void txu_get_stats(struct txu_stats *out);

int txu_conninput(uintptr_t id, const char *data, size_t len);
int txu_udp_receive(int fd, unsigned max, char *unknown_buf,
                    size_t unknown_cap, struct txu_unknown *unknown,
                    unsigned unknown_max, unsigned *nunknown);
int txu_flush(int *blocked_fd);
int txu_take_output(char *dst, size_t cap, struct txu_outrec *recs,
                    unsigned max, size_t *total);
"""

CUSTOMIZATIONS = r"""
/* --------------------------------------------------------- packets out */

/* Packets one sendmmsg sends at most. */
#define TXU_MAX_BATCH 64
#define TXU_ERR_UNKNOWN_PEER (-2)

struct txu_outrec { uintptr_t peer; uint32_t len; };
struct txu_unknown {
    uint32_t len;
    uint32_t addrlen;
    struct sockaddr_storage addr;
};

struct txu_out { uintptr_t peer; uint32_t off; uint32_t len; };
static struct txu_out *txu_q;
static unsigned txu_q_head, txu_q_len, txu_q_cap;
static char *txu_qbuf;
static size_t txu_qbuf_used, txu_qbuf_cap;
/* What the queue may hold at most: far more than a window's worth, so
   only a caller that stops draining ever meets it (usrsctp then sees
   ENOBUFS and retransmits later, as after a loss). */
#define TXU_Q_MAX_PACKETS 65536
#define TXU_Q_MAX_BYTES (64u << 20)

static int txu_conn_output(void *addr, void *buffer, size_t length,
                           uint8_t tos, uint8_t set_df)
{
    struct txu_out *o;
    (void)tos;
    (void)set_df;
    pthread_mutex_lock(&txu_lock);
    if (!pthread_equal(pthread_self(), txu_owner))
        txu_st.foreign_thread_outputs++;
    if (txu_q_len >= TXU_Q_MAX_PACKETS ||
        txu_qbuf_used + length > TXU_Q_MAX_BYTES) {
        txu_st.dropped_queue_full++;
        pthread_mutex_unlock(&txu_lock);
        return ENOBUFS;
    }
    if (txu_q_head + txu_q_len >= txu_q_cap) {
        if (txu_q_head > 0) {
            memmove(txu_q, txu_q + txu_q_head, txu_q_len * sizeof(*txu_q));
            txu_q_head = 0;
        }
        if (txu_q_len >= txu_q_cap) {
            unsigned ncap = txu_q_cap ? txu_q_cap * 2 : 256;
            struct txu_out *nq = realloc(txu_q, ncap * sizeof(*nq));
            if (nq == NULL) {
                txu_st.dropped_queue_full++;
                pthread_mutex_unlock(&txu_lock);
                return ENOBUFS;
            }
            txu_q = nq;
            txu_q_cap = ncap;
        }
    }
    if (txu_qbuf_used + length > txu_qbuf_cap) {
        size_t ncap = txu_qbuf_cap ? txu_qbuf_cap : 256 * 1024;
        char *nb;
        while (ncap < txu_qbuf_used + length)
            ncap *= 2;
        nb = realloc(txu_qbuf, ncap);
        if (nb == NULL) {
            txu_st.dropped_queue_full++;
            pthread_mutex_unlock(&txu_lock);
            return ENOBUFS;
        }
        txu_qbuf = nb;
        txu_qbuf_cap = ncap;
    }
    o = &txu_q[txu_q_head + txu_q_len++];
    o->peer = (uintptr_t)addr;
    o->off = (uint32_t)txu_qbuf_used;
    o->len = (uint32_t)length;
    memcpy(txu_qbuf + txu_qbuf_used, buffer, length);
    txu_qbuf_used += length;
    txu_st.queued_packets++;
    txu_st.queued_bytes += length;
    pthread_mutex_unlock(&txu_lock);
    return 0;
}

static void txu_q_consumed(unsigned n)
{
    txu_q_head += n;
    txu_q_len -= n;
    if (txu_q_len == 0) {
        txu_q_head = 0;
        txu_qbuf_used = 0;
    }
}

/* Send every queued packet on its peer's UDP socket (sendmmsg, up to 64
   at a time per socket).  Stops at the first packet whose socket would
   block (EAGAIN), storing that socket in *blocked_fd; a packet failing
   otherwise, or meant for a removed handle, is dropped and counted (as
   UDP would lose it; SCTP retransmits).  Returns how many packets are
   still queued. */
int txu_flush(int *blocked_fd)
{
    struct mmsghdr mm[TXU_MAX_BATCH];
    struct iovec iov[TXU_MAX_BATCH];
    int left;
    *blocked_fd = -1;
    pthread_mutex_lock(&txu_lock);
    while (txu_q_len > 0) {
        unsigned n = 0, i;
        int fd = -1, r;
        while (n < txu_q_len && n < TXU_MAX_BATCH) {
            struct txu_out *o = &txu_q[txu_q_head + n];
            struct txu_peer *p = txu_peer_by_id(o->peer);
            if (p == NULL) {
                if (n == 0) {
                    txu_st.dropped_dead_peer++;
                    txu_q_consumed(1);
                    continue;
                }
                break;
            }
            if (n == 0)
                fd = p->fd;
            else if (p->fd != fd)
                break;
            iov[n].iov_base = txu_qbuf + o->off;
            iov[n].iov_len = o->len;
            memset(&mm[n], 0, sizeof(mm[n]));
            mm[n].msg_hdr.msg_name = &p->addr;
            mm[n].msg_hdr.msg_namelen = p->addrlen;
            mm[n].msg_hdr.msg_iov = &iov[n];
            mm[n].msg_hdr.msg_iovlen = 1;
            n++;
        }
        if (n == 0)
            continue;
        r = sendmmsg(fd, mm, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                *blocked_fd = fd;
                break;
            }
            /* This packet cannot go (unreachable, too big, a closed
               socket...): drop it, keep going. */
            txu_st.send_errors++;
            txu_st.last_send_errno = errno;
            txu_q_consumed(1);
            continue;
        }
        for (i = 0; i < (unsigned)r; i++) {
            struct txu_peer *p = txu_peer_by_id(txu_q[txu_q_head + i].peer);
            if (p != NULL)
                p->packets_out++;
        }
        txu_st.sent_packets += (unsigned)r;
        txu_q_consumed((unsigned)r);
    }
    left = (int)txu_q_len;
    pthread_mutex_unlock(&txu_lock);
    return left;
}

/* Hand queued packets to the caller instead: copied back to back into
   dst (at most cap bytes), one record each.  Returns the number taken. */
int txu_take_output(char *dst, size_t cap, struct txu_outrec *recs,
                    unsigned max, size_t *total)
{
    unsigned n = 0;
    size_t used = 0;
    pthread_mutex_lock(&txu_lock);
    while (n < max && txu_q_len > 0) {
        struct txu_out *o = &txu_q[txu_q_head];
        if (used + o->len > cap)
            break;
        memcpy(dst + used, txu_qbuf + o->off, o->len);
        recs[n].peer = o->peer;
        recs[n].len = o->len;
        used += o->len;
        n++;
        txu_q_consumed(1);
    }
    *total = used;
    pthread_mutex_unlock(&txu_lock);
    return (int)n;
}

/* This layer's statistics, with the queue's size now. */
void txu_get_stats(struct txu_stats *out)
{
    pthread_mutex_lock(&txu_lock);
    txu_st.queue_len = txu_q_len;
    txu_st.queue_bytes = (uint32_t)(txu_qbuf_used);
    *out = txu_st;
    pthread_mutex_unlock(&txu_lock);
}

/* ---------------------------------------------------------- packets in */

/* Feed one datagram's payload (an SCTP packet) received from the handle's
   endpoint.  A handle that is not registered is refused (usrsctp would
   otherwise take the packet under an address it cannot answer). */
int txu_conninput(uintptr_t id, const char *data, size_t len)
{
    struct txu_peer *p;
    pthread_mutex_lock(&txu_lock);
    p = txu_peer_by_id(id);
    if (p != NULL) {
        p->packets_in++;
        p->last_activity = txu_now();
        txu_st.received_datagrams++;
    }
    pthread_mutex_unlock(&txu_lock);
    if (p == NULL)
        return TXU_ERR_UNKNOWN_PEER;
    usrsctp_conninput((void *)id, data, len, 0);
    txu_wake_blocked();
    return 0;
}

#define TXU_RX_SLOT 65536
#define TXU_RX_SLOTS 32
static char *txu_rxbuf;
static struct sockaddr_storage txu_rxaddr[TXU_RX_SLOTS];

/* Receive up to max datagrams from a UDP socket with recvmmsg and feed
   those from registered endpoints to usrsctp.  Datagrams from endpoints
   with no handle are copied into unknown_buf (records in unknown[]) for
   the caller to decide about, up to unknown_max / unknown_cap; beyond
   that they are dropped and counted.  Returns the number of datagrams
   read, or -1 with errno (EAGAIN: none waiting). */
int txu_udp_receive(int fd, unsigned max, char *unknown_buf,
                    size_t unknown_cap, struct txu_unknown *unknown,
                    unsigned unknown_max, unsigned *nunknown)
{
    struct mmsghdr mm[TXU_RX_SLOTS];
    struct iovec iov[TXU_RX_SLOTS];
    unsigned i;
    size_t uused = 0;
    int r;
    double now;
    *nunknown = 0;
    if (txu_rxbuf == NULL) {
        txu_rxbuf = malloc((size_t)TXU_RX_SLOT * TXU_RX_SLOTS);
        if (txu_rxbuf == NULL) {
            errno = ENOMEM;
            return -1;
        }
    }
    if (max > TXU_RX_SLOTS)
        max = TXU_RX_SLOTS;
    if (max == 0) {
        errno = EINVAL;
        return -1;
    }
    for (i = 0; i < max; i++) {
        iov[i].iov_base = txu_rxbuf + (size_t)i * TXU_RX_SLOT;
        iov[i].iov_len = TXU_RX_SLOT;
        memset(&mm[i], 0, sizeof(mm[i]));
        mm[i].msg_hdr.msg_name = &txu_rxaddr[i];
        mm[i].msg_hdr.msg_namelen = sizeof(txu_rxaddr[i]);
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    do {
        r = recvmmsg(fd, mm, max, MSG_DONTWAIT, NULL);
    } while (r < 0 && errno == EINTR);
    if (r <= 0)
        return r;
    now = txu_now();
    for (i = 0; i < (unsigned)r; i++) {
        const struct sockaddr *sa = (const struct sockaddr *)&txu_rxaddr[i];
        const char *data = txu_rxbuf + (size_t)i * TXU_RX_SLOT;
        size_t len = mm[i].msg_len;
        struct txu_peer *p = NULL;
        uintptr_t id = 0;
        if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
            continue;   /* larger than any SCTP packet over UDP */
        pthread_mutex_lock(&txu_lock);
        if (txu_addr_ok(sa, mm[i].msg_hdr.msg_namelen))
            p = txu_lookup(fd, sa);
        if (p != NULL) {
            id = p->id;
            p->packets_in++;
            p->last_activity = now;
            txu_st.received_datagrams++;
        } else {
            txu_st.unknown_datagrams++;
        }
        pthread_mutex_unlock(&txu_lock);
        if (id != 0) {
            usrsctp_conninput((void *)id, data, len, 0);
        } else if (*nunknown < unknown_max && uused + len <= unknown_cap) {
            struct txu_unknown *u = &unknown[*nunknown];
            memcpy(unknown_buf + uused, data, len);
            u->len = (uint32_t)len;
            u->addrlen = mm[i].msg_hdr.msg_namelen;
            memcpy(&u->addr, sa, sizeof(u->addr));
            uused += len;
            (*nunknown)++;
        } else {
            pthread_mutex_lock(&txu_lock);
            txu_st.unknown_dropped++;
            pthread_mutex_unlock(&txu_lock);
        }
    }
    txu_wake_blocked();
    return r;
}
"""
