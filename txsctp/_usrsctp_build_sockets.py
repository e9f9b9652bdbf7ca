"""
Build area: usrsctp's sockets as C{txsctp._usrsctp_cffi} drives them (see
C{txsctp._usrsctp_build}).

  - readiness: the socket upcall only marks the socket; C{txu_collect}
    reports the marked sockets with their events in one call, and a
    socket that refused a send for lack of room is reported again
    (C{TXU_EVENT_SEND_RETRY}) once packets came in or timers ran;
  - life cycle: create, accept, peel off, bind, connect, close;
  - batched send (C{txu_send_batch}, C{txu_send_ptrs}) and receive
    (C{txu_recv_batch}) with txsctp's record layout
    (L{txsctp._batch.RECORD}) and Linux flag values, so the layers above
    can share the kernel stack's logic;
  - address lists and association counts.

usrsctp's own headers use FreeBSD values for flags and states; the
C{TXU_L_*} constants are the Linux (RFC 6458 as Linux implements it)
values txsctp's value types use, and these helpers translate between
them.
"""

INCLUDES = ""

TYPES = r"""
/* txsctp's records and parameter blocks, shared in layout with the
   kernel stack's (txsctp._batch): keep in step with its formats. */
struct txu_rcv {
    uint32_t len; int32_t msg_flags; uint8_t has_rcvinfo;
    uint8_t has_nxtinfo; uint16_t sid; uint16_t ssn; uint16_t flags;
    uint32_t ppid; uint32_t tsn; uint32_t cumtsn; uint32_t context;
    int32_t assoc_id; uint16_t nxt_sid; uint16_t nxt_flags;
    uint32_t nxt_ppid; uint32_t nxt_length; int32_t nxt_assoc_id;
    uint32_t addrlen; struct sockaddr_storage addr;
};
struct txu_meta {
    uint32_t ppid; uint32_t context; int32_t assoc_id; uint32_t pr_value;
    uint16_t sid; uint16_t flags; uint16_t pr_policy; uint16_t pad;
};
struct txu_addr {
    int family; uint16_t port; uintptr_t conn; struct sockaddr_storage ip;
};
struct txu_sock;
"""

CONSTANTS = """
    TXU_L_MSG_NOTIFICATION TXU_L_UNORDERED TXU_L_ADDR_OVER TXU_L_ABORT
    TXU_L_SACK_IMMEDIATELY TXU_L_SENDALL TXU_L_EOF TXU_L_PR_TTL TXU_L_PR_RTX
    TXU_L_PR_PRIO TXU_L_PR_MASK TXU_EVENT_SEND_RETRY TXU_COLLECT_MAX
    TXU_ERR_BAD_META
""".split()

FUNCTIONS = r"""
struct txu_sock *txu_socket(int type, uint64_t id);
struct socket *txu_so(struct txu_sock *s);
int txu_close(struct txu_sock *s);
struct txu_sock *txu_accept(struct txu_sock *s, uint64_t id,
                            uintptr_t *peer, uint16_t *port);
struct txu_sock *txu_peeloff(struct txu_sock *s, sctp_assoc_t assoc,
                             uint64_t id);
int txu_bind(struct txu_sock *s, uintptr_t conn, uint16_t port);
int txu_connect(struct txu_sock *s, uintptr_t conn, uint16_t port,
                sctp_assoc_t *assoc);
long txu_send(struct txu_sock *s, const char *data, size_t len,
              const struct txu_meta *m);
int txu_send_batch(struct txu_sock *s, const char *blob,
                   const uint32_t *lens, unsigned n,
                   const struct txu_meta *metas, int *err);
int txu_send_ptrs(struct txu_sock *s, char *const *datas,
                  const uint32_t *lens, unsigned n,
                  const struct txu_meta *metas, int *err);
int txu_recv_batch(struct txu_sock *s, char *buf, size_t cap,
                   struct txu_rcv *out, unsigned max, size_t *total);
int txu_collect(uint64_t *ids, int *events, unsigned max, int all);
void txu_mark(struct txu_sock *s);
int txu_getaddrs(struct txu_sock *s, sctp_assoc_t assoc, int peer,
                 struct txu_addr *out, unsigned max);
int txu_assoc_count(struct txu_sock *s);
long txu_total_assocs(void);
"""

CUSTOMIZATIONS = r"""
/* -------------------------------------------------------------- sockets */

/* Linux's values for what txsctp's value types carry (see the module
   docstring); the tests compare them with <linux/sctp.h>'s. */
#define TXU_L_MSG_NOTIFICATION 0x8000
#define TXU_L_UNORDERED 0x0001
#define TXU_L_ADDR_OVER 0x0002
#define TXU_L_ABORT 0x0004
#define TXU_L_SACK_IMMEDIATELY 0x0008
#define TXU_L_SENDALL 0x0040
#define TXU_L_EOF 0x0200
#define TXU_L_PR_TTL 0x0010
#define TXU_L_PR_RTX 0x0020
#define TXU_L_PR_PRIO 0x0030
#define TXU_L_PR_MASK 0x0030

/* Reported by txu_collect for a socket that refused a send for lack of
   room (EWOULDBLOCK) and may take it now: packets came in (a SACK frees
   room without an upcall when nothing becomes readable, and a one-to-many
   socket never reports SCTP_EVENT_WRITE), or timers ran. */
#define TXU_EVENT_SEND_RETRY 0x100
/* Sockets one txu_collect reports at most (the rest stay marked). */
#define TXU_COLLECT_MAX 4096
#define TXU_ERR_BAD_META (-3)

struct txu_rcv {
    uint32_t len;
    int32_t msg_flags;
    uint8_t has_rcvinfo;
    uint8_t has_nxtinfo;
    uint16_t sid;
    uint16_t ssn;
    uint16_t flags;
    uint32_t ppid;
    uint32_t tsn;
    uint32_t cumtsn;
    uint32_t context;
    int32_t assoc_id;
    uint16_t nxt_sid;
    uint16_t nxt_flags;
    uint32_t nxt_ppid;
    uint32_t nxt_length;
    int32_t nxt_assoc_id;
    uint32_t addrlen;
    struct sockaddr_storage addr;
};
struct txu_meta {
    uint32_t ppid;
    uint32_t context;
    int32_t assoc_id;
    uint32_t pr_value;
    uint16_t sid;
    uint16_t flags;
    uint16_t pr_policy;
    uint16_t pad;
};
struct txu_addr {
    int family;
    uint16_t port;
    uintptr_t conn;
    struct sockaddr_storage ip;
};

struct txu_sock {
    struct socket *so;
    uint64_t id;
    int index;         /* in txu_socks */
    int flagged;       /* on the ready list */
    int type;
    unsigned epoch;    /* the txu_collect that last reported it */
    int send_blocked;  /* a send failed with EWOULDBLOCK since last reported */
    int retry;         /* report TXU_EVENT_SEND_RETRY with its events */
};
static struct txu_sock **txu_socks;     /* changed on the owner thread only */
static unsigned txu_nsocks, txu_socks_cap;
static struct txu_sock **txu_ready;
static unsigned txu_nready, txu_ready_cap;
static unsigned txu_epoch;
static unsigned txu_nblocked;          /* sockets with send_blocked set */

static void txu_flag_locked(struct txu_sock *s);

/* Packets came in or timers ran: every socket that refused a send for
   lack of room is reported, so that its owner tries again. */
static void txu_wake_blocked(void)
{
    unsigned i;
    if (txu_nblocked == 0)
        return;
    pthread_mutex_lock(&txu_lock);
    for (i = 0; i < txu_nsocks; i++) {
        struct txu_sock *s = txu_socks[i];
        if (s->send_blocked) {
            s->send_blocked = 0;
            s->retry = 1;
            txu_flag_locked(s);
        }
    }
    txu_nblocked = 0;
    pthread_mutex_unlock(&txu_lock);
}

static void txu_note_send_error(struct txu_sock *s, int err)
{
    if ((err == EWOULDBLOCK || err == EAGAIN) && !s->send_blocked) {
        s->send_blocked = 1;
        txu_nblocked++;
    }
}

static void txu_flag_locked(struct txu_sock *s)
{
    if (s->flagged)
        return;
    if (txu_nready >= txu_ready_cap) {
        unsigned ncap = txu_ready_cap ? txu_ready_cap * 2 : 64;
        struct txu_sock **nr = realloc(txu_ready, ncap * sizeof(*nr));
        if (nr == NULL)
            return;   /* a full collect still finds it readable */
        txu_ready = nr;
        txu_ready_cap = ncap;
    }
    s->flagged = 1;
    txu_ready[txu_nready++] = s;
}

static void txu_upcall(struct socket *so, void *arg, int flags)
{
    (void)so;
    (void)flags;
    if (arg == NULL)
        return;
    pthread_mutex_lock(&txu_lock);
    txu_st.upcalls++;
    txu_flag_locked((struct txu_sock *)arg);
    pthread_mutex_unlock(&txu_lock);
}

void txu_mark(struct txu_sock *s)
{
    pthread_mutex_lock(&txu_lock);
    txu_flag_locked(s);
    pthread_mutex_unlock(&txu_lock);
}

static struct txu_sock *txu_adopt(struct socket *so, uint64_t id, int type)
{
    struct txu_sock *s = calloc(1, sizeof(*s));
    int on = 1;
    if (s == NULL) {
        usrsctp_close(so);
        errno = ENOMEM;
        return NULL;
    }
    if (txu_nsocks >= txu_socks_cap) {
        unsigned ncap = txu_socks_cap ? txu_socks_cap * 2 : 64;
        struct txu_sock **ns = realloc(txu_socks, ncap * sizeof(*ns));
        if (ns == NULL) {
            free(s);
            usrsctp_close(so);
            errno = ENOMEM;
            return NULL;
        }
        txu_socks = ns;
        txu_socks_cap = ncap;
    }
    s->so = so;
    s->id = id;
    s->type = type;
    s->index = (int)txu_nsocks;
    txu_socks[txu_nsocks++] = s;
    pthread_mutex_lock(&txu_lock);
    txu_st.sockets = txu_nsocks;
    pthread_mutex_unlock(&txu_lock);
    usrsctp_set_non_blocking(so, 1);
    usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on));
    usrsctp_set_upcall(so, txu_upcall, s);
    return s;
}

struct txu_sock *txu_socket(int type, uint64_t id)
{
    struct socket *so;
    if (!txu_ready_state) {
        errno = ENOTCONN;
        return NULL;
    }
    so = usrsctp_socket(AF_CONN, type, IPPROTO_SCTP, NULL, NULL, 0, NULL);
    if (so == NULL)
        return NULL;
    return txu_adopt(so, id, type);
}

struct socket *txu_so(struct txu_sock *s)
{
    return s->so;
}

static void txu_noop_upcall(struct socket *so, void *arg, int flags)
{
    (void)so;
    (void)arg;
    (void)flags;
}

int txu_close(struct txu_sock *s)
{
    unsigned i;
    struct socket *so = s->so;
    pthread_mutex_lock(&txu_lock);
    if (s->flagged) {
        for (i = 0; i < txu_nready; i++)
            if (txu_ready[i] == s)
                txu_ready[i] = NULL;
    }
    pthread_mutex_unlock(&txu_lock);
    if (s->send_blocked && txu_nblocked > 0)
        txu_nblocked--;
    txu_nsocks--;
    if ((unsigned)s->index != txu_nsocks) {
        txu_socks[s->index] = txu_socks[txu_nsocks];
        txu_socks[s->index]->index = s->index;
    }
    pthread_mutex_lock(&txu_lock);
    txu_st.sockets = txu_nsocks;
    pthread_mutex_unlock(&txu_lock);
    /* The socket may outlive this call inside usrsctp (a graceful
       shutdown in progress): it keeps an upcall that needs nothing. */
    usrsctp_set_upcall(so, txu_noop_upcall, NULL);
    usrsctp_close(so);
    free(s);
    return 0;
}

struct txu_sock *txu_accept(struct txu_sock *s, uint64_t id,
                            uintptr_t *peer, uint16_t *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct socket *so;
    memset(&ss, 0, sizeof(ss));
    so = usrsctp_accept(s->so, (struct sockaddr *)&ss, &len);
    if (so == NULL)
        return NULL;
    *peer = 0;
    *port = 0;
    if (ss.ss_family == AF_CONN) {
        struct sockaddr_conn *sc = (struct sockaddr_conn *)&ss;
        *peer = (uintptr_t)sc->sconn_addr;
        *port = ntohs(sc->sconn_port);
    }
    return txu_adopt(so, id, SOCK_STREAM);
}

struct txu_sock *txu_peeloff(struct txu_sock *s, sctp_assoc_t assoc,
                             uint64_t id)
{
    struct socket *so = usrsctp_peeloff(s->so, assoc);
    if (so == NULL)
        return NULL;
    return txu_adopt(so, id, SOCK_STREAM);
}

int txu_bind(struct txu_sock *s, uintptr_t conn, uint16_t port)
{
    struct sockaddr_conn sc;
    memset(&sc, 0, sizeof(sc));
    sc.sconn_family = AF_CONN;
    sc.sconn_port = htons(port);
    sc.sconn_addr = (void *)conn;
    return usrsctp_bind(s->so, (struct sockaddr *)&sc, sizeof(sc));
}

int txu_connect(struct txu_sock *s, uintptr_t conn, uint16_t port,
                sctp_assoc_t *assoc)
{
    struct sockaddr_conn sc;
    int r, saved;
    memset(&sc, 0, sizeof(sc));
    sc.sconn_family = AF_CONN;
    sc.sconn_port = htons(port);
    sc.sconn_addr = (void *)conn;
    *assoc = 0;
    /* usrsctp_connectx takes no AF_CONN addresses (0.9.5): connect, then
       look the association up by its peer address. */
    r = usrsctp_connect(s->so, (struct sockaddr *)&sc, sizeof(sc));
    saved = errno;
    if (r == 0 || saved == EINPROGRESS)
        *assoc = usrsctp_getassocid(s->so, (struct sockaddr *)&sc);
    txu_mark(s);
    errno = saved;
    return r;
}

/* Linux send flags and PR-SCTP policy (txsctp's values) to usrsctp's.
   Returns -1 for what usrsctp cannot do. */
static int txu_fill_spa(const struct txu_meta *m, struct sctp_sendv_spa *spa)
{
    uint16_t f = 0;
    uint16_t lf = m->flags;
    if (lf & ~(TXU_L_UNORDERED | TXU_L_ABORT | TXU_L_SACK_IMMEDIATELY |
               TXU_L_EOF))
        return -1;
    if (m->pr_policy & ~TXU_L_PR_MASK)
        return -1;
    if (lf & TXU_L_UNORDERED)
        f |= SCTP_UNORDERED;
    if (lf & TXU_L_ABORT)
        f |= SCTP_ABORT;
    if (lf & TXU_L_SACK_IMMEDIATELY)
        f |= SCTP_SACK_IMMEDIATELY;
    if (lf & TXU_L_EOF)
        f |= SCTP_EOF;
    memset(spa, 0, sizeof(*spa));
    spa->sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa->sendv_sndinfo.snd_sid = m->sid;
    spa->sendv_sndinfo.snd_flags = f;
    /* usrsctp puts snd_ppid on the wire as given: network order. */
    spa->sendv_sndinfo.snd_ppid = htonl(m->ppid);
    spa->sendv_sndinfo.snd_context = m->context;
    spa->sendv_sndinfo.snd_assoc_id = (sctp_assoc_t)m->assoc_id;
    switch (m->pr_policy) {
    case 0:
        break;
    case TXU_L_PR_TTL:
        spa->sendv_flags |= SCTP_SEND_PRINFO_VALID;
        spa->sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
        spa->sendv_prinfo.pr_value = m->pr_value;
        break;
    case TXU_L_PR_RTX:
        spa->sendv_flags |= SCTP_SEND_PRINFO_VALID;
        spa->sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
        spa->sendv_prinfo.pr_value = m->pr_value;
        break;
    default:
        return -1;
    }
    return 0;
}

long txu_send(struct txu_sock *s, const char *data, size_t len,
              const struct txu_meta *m)
{
    struct sctp_sendv_spa spa;
    ssize_t r;
    int saved;
    if (txu_fill_spa(m, &spa) < 0) {
        errno = EINVAL;
        return TXU_ERR_BAD_META;
    }
    r = usrsctp_sendv(s->so, data, len, NULL, 0, &spa, sizeof(spa),
                      SCTP_SENDV_SPA, 0);
    saved = errno;
    if (r < 0)
        txu_note_send_error(s, saved);
    txu_mark(s);
    errno = saved;
    return (long)r;
}

static int txu_send_many(struct txu_sock *s, const char *blob,
                         char *const *ptrs, const uint32_t *lens, unsigned n,
                         const struct txu_meta *metas, int *err)
{
    unsigned i;
    size_t off = 0;
    *err = 0;
    for (i = 0; i < n; i++) {
        struct sctp_sendv_spa spa;
        const char *data = ptrs ? ptrs[i] : blob + off;
        ssize_t r;
        if (txu_fill_spa(&metas[i], &spa) < 0) {
            *err = EINVAL;
            break;
        }
        r = usrsctp_sendv(s->so, data, lens[i], NULL, 0, &spa, sizeof(spa),
                          SCTP_SENDV_SPA, 0);
        if (r < 0) {
            *err = errno;
            txu_note_send_error(s, *err);
            break;
        }
        off += lens[i];
    }
    txu_mark(s);
    return (int)i;
}

/* Send n whole messages, payloads back to back in blob; stops at the
   first refused (*err: its errno, EWOULDBLOCK when the buffer is full).
   Returns how many were accepted. */
int txu_send_batch(struct txu_sock *s, const char *blob,
                   const uint32_t *lens, unsigned n,
                   const struct txu_meta *metas, int *err)
{
    return txu_send_many(s, blob, NULL, lens, n, metas, err);
}

int txu_send_ptrs(struct txu_sock *s, char *const *datas,
                  const uint32_t *lens, unsigned n,
                  const struct txu_meta *metas, int *err)
{
    return txu_send_many(s, NULL, datas, lens, n, metas, err);
}

static void txu_fill_addr(const struct sockaddr_storage *from,
                          struct txu_rcv *r)
{
    r->addrlen = 0;
    if (from->ss_family == AF_CONN) {
        const struct sockaddr_conn *sc = (const struct sockaddr_conn *)from;
        socklen_t len;
        if (txu_map_addr((uintptr_t)sc->sconn_addr, sc->sconn_port,
                         &r->addr, &len) == 0)
            r->addrlen = len;
    } else if (from->ss_family == AF_INET) {
        memcpy(&r->addr, from, sizeof(struct sockaddr_in));
        r->addrlen = sizeof(struct sockaddr_in);
    } else if (from->ss_family == AF_INET6) {
        memcpy(&r->addr, from, sizeof(struct sockaddr_in6));
        r->addrlen = sizeof(struct sockaddr_in6);
    }
}

/* Receive up to max messages (or pieces) into buf, back to back, one
   record each (txsctp._batch's layout, Linux flag values, PPIDs in host
   order, the source as the peer's UDP host with the SCTP port).  A
   message larger than the room left arrives in pieces (no MSG_EOR until
   its last).  Returns the number received, 0 at end of file (a one-to-one
   association gone), or -1 with errno (EWOULDBLOCK: nothing queued). */
int txu_recv_batch(struct txu_sock *s, char *buf, size_t cap,
                   struct txu_rcv *out, unsigned max, size_t *total)
{
    unsigned n = 0;
    size_t used = 0;
    *total = 0;
    while (n < max) {
        struct sctp_rcvinfo ri;
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof(from), infolen = sizeof(ri);
        unsigned int infotype = 0;
        int flags = 0;
        ssize_t r;
        struct txu_rcv *rec = &out[n];
        size_t room = cap - used;
        if (n > 0 && room < 4096)
            break;
        memset(&from, 0, sizeof(from));
        r = usrsctp_recvv(s->so, buf + used, room, (struct sockaddr *)&from,
                          &fromlen, &ri, &infolen, &infotype, &flags);
        if (r < 0) {
            if (n > 0)
                break;
            return -1;
        }
        if (r == 0 && !(flags & (MSG_EOR | MSG_NOTIFICATION))) {
            if (n > 0)
                break;
            return 0;
        }
        memset(rec, 0, offsetof(struct txu_rcv, addr));
        rec->len = (uint32_t)r;
        rec->msg_flags = (flags & MSG_EOR) |
                         ((flags & MSG_NOTIFICATION) ? TXU_L_MSG_NOTIFICATION
                                                     : 0);
        if (infotype == SCTP_RECVV_RCVINFO && !(flags & MSG_NOTIFICATION)) {
            rec->has_rcvinfo = 1;
            rec->sid = ri.rcv_sid;
            rec->ssn = ri.rcv_ssn;
            rec->flags = (ri.rcv_flags & SCTP_UNORDERED) ? TXU_L_UNORDERED : 0;
            rec->ppid = ntohl(ri.rcv_ppid);
            rec->tsn = ri.rcv_tsn;
            rec->cumtsn = ri.rcv_cumtsn;
            rec->context = ri.rcv_context;
            rec->assoc_id = (int32_t)ri.rcv_assoc_id;
        }
        txu_fill_addr(&from, rec);
        used += (size_t)r;
        n++;
    }
    *total = used;
    return (int)n;
}

/* Report sockets with something to do: those marked by their upcall or by
   a call that may have changed them, and with all=1 also every socket that
   is readable or in error (after timers, which change sockets without an
   upcall).  Writes ids[] and events[] (SCTP_EVENT_* bits); returns the
   count.  Marked sockets beyond max stay marked for the next call. */
int txu_collect(uint64_t *ids, int *events, unsigned max, int all)
{
    struct txu_sock *taken[TXU_COLLECT_MAX];
    unsigned n = 0, i, keep = 0;
    if (max > TXU_COLLECT_MAX)
        max = TXU_COLLECT_MAX;
    txu_epoch++;
    pthread_mutex_lock(&txu_lock);
    for (i = 0; i < txu_nready; i++) {
        struct txu_sock *s = txu_ready[i];
        if (s == NULL)
            continue;
        if (n < max) {
            s->flagged = 0;
            taken[n++] = s;
        } else {
            txu_ready[keep++] = s;
        }
    }
    txu_nready = keep;
    pthread_mutex_unlock(&txu_lock);
    /* usrsctp takes its own locks: asked outside ours. */
    for (i = 0; i < n; i++) {
        taken[i]->epoch = txu_epoch;
        ids[i] = taken[i]->id;
        events[i] = usrsctp_get_events(taken[i]->so);
        if (taken[i]->retry) {
            taken[i]->retry = 0;
            events[i] |= TXU_EVENT_SEND_RETRY;
        }
    }
    if (all) {
        for (i = 0; i < txu_nsocks && n < max; i++) {
            struct txu_sock *s = txu_socks[i];
            int ev;
            if (s->epoch == txu_epoch)
                continue;   /* reported above */
            ev = usrsctp_get_events(s->so);
            if (!(ev & (SCTP_EVENT_READ | SCTP_EVENT_ERROR)))
                continue;
            ids[n] = s->id;
            events[n] = ev;
            n++;
        }
    }
    return (int)n;
}

int txu_getaddrs(struct txu_sock *s, sctp_assoc_t assoc, int peer,
                 struct txu_addr *out, unsigned max)
{
    struct sockaddr *addrs = NULL;
    char *p;
    int n, i, k = 0;
    n = peer ? usrsctp_getpaddrs(s->so, assoc, &addrs)
             : usrsctp_getladdrs(s->so, assoc, &addrs);
    if (n < 0)
        return -1;
    p = (char *)addrs;
    for (i = 0; i < n && (unsigned)k < max; i++) {
        struct sockaddr *sa = (struct sockaddr *)p;
        struct txu_addr *o = &out[k];
        size_t step;
        memset(o, 0, sizeof(*o));
        if (sa->sa_family == AF_CONN) {
            struct sockaddr_conn *sc = (struct sockaddr_conn *)sa;
            step = sizeof(struct sockaddr_conn);
            o->family = AF_CONN;
            o->port = ntohs(sc->sconn_port);
            o->conn = (uintptr_t)sc->sconn_addr;
        } else if (sa->sa_family == AF_INET) {
            step = sizeof(struct sockaddr_in);
            o->family = AF_INET;
            o->port = ntohs(((struct sockaddr_in *)sa)->sin_port);
            memcpy(&o->ip, sa, step);
        } else if (sa->sa_family == AF_INET6) {
            step = sizeof(struct sockaddr_in6);
            o->family = AF_INET6;
            o->port = ntohs(((struct sockaddr_in6 *)sa)->sin6_port);
            memcpy(&o->ip, sa, step);
        } else {
            break;   /* cannot step over an unknown family */
        }
        k++;
        p += step;
    }
    if (n > 0) {
        if (peer)
            usrsctp_freepaddrs(addrs);
        else
            usrsctp_freeladdrs(addrs);
    }
    return k;
}

/* Associations on a socket, in any state.  SCTP_GET_ASSOC_NUMBER is
   refused on one-to-one sockets (accepted and peeled-off ones included):
   there, SCTP_STATUS finds the association or nothing. */
int txu_assoc_count(struct txu_sock *s)
{
    uint32_t v = 0;
    socklen_t len = sizeof(v);
    if (usrsctp_getsockopt(s->so, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER, &v,
                           &len) == 0)
        return (int)v;
    if (errno == EINVAL) {
        struct sctp_status st;
        memset(&st, 0, sizeof(st));
        len = sizeof(st);
        return usrsctp_getsockopt(s->so, IPPROTO_SCTP, SCTP_STATUS, &st,
                                  &len) == 0 ? 1 : 0;
    }
    return -1;
}

long txu_total_assocs(void)
{
    long total = 0;
    unsigned i;
    for (i = 0; i < txu_nsocks; i++) {
        int c = txu_assoc_count(txu_socks[i]);
        if (c > 0)
            total += c;
    }
    return total;
}
"""
