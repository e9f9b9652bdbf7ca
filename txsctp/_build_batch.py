"""
Build area: txsctp's own C helpers for sending and receiving many whole
messages per system call (C{sendmmsg}/C{recvmmsg} with SCTP control
messages), used by L{txsctp._batch} and L{txsctp.sctpsocket}.

The per-message records (C{struct txsctp_rcv}, C{txsctp_meta},
C{txsctp_snd}) are declared in full, in the C declarations and again in the
C source, because Python packs and unpacks them with the struct module
(their layout is part of the interface): cffi checks that the two agree.
"""

INCLUDES = ""

TYPES = """
/* txsctp's compact per-message records, filled/read by the C helpers. */
/* Field order matters: txsctp._batch unpacks records with the struct
   module, and the run from sid to assoc_id is RcvInfo's field order. */
struct txsctp_rcv {
    uint32_t len;          /* bytes of this piece in its slot */
    int32_t msg_flags;     /* MSG_EOR | MSG_NOTIFICATION | MSG_TRUNC ... */
    uint8_t has_rcvinfo;
    uint8_t has_nxtinfo;
    uint16_t sid;
    uint16_t ssn;
    uint16_t flags;        /* rcv_flags (SCTP_UNORDERED) */
    uint32_t ppid;         /* host byte order */
    uint32_t tsn;
    uint32_t cumtsn;
    uint32_t context;
    sctp_assoc_t assoc_id;
    uint16_t nxt_sid;
    uint16_t nxt_flags;
    uint32_t nxt_ppid;     /* host byte order */
    uint32_t nxt_length;
    sctp_assoc_t nxt_assoc_id;
    uint32_t addrlen;
    struct sockaddr_storage addr;
};

/* One plain message's RcvInfo, in RcvInfo's field order (txsctp._batch
   unpacks these with the struct module). */
struct txsctp_info {
    uint16_t sid;
    uint16_t ssn;
    uint16_t flags;
    uint32_t ppid;         /* host byte order */
    uint32_t tsn;
    uint32_t cumtsn;
    uint32_t context;
    sctp_assoc_t assoc_id;
};

/* Per-message send parameters packed by Python with the struct module
   (txsctp._batch): keep in step with its format. */
struct txsctp_meta {
    uint32_t ppid;         /* host byte order */
    uint32_t context;
    sctp_assoc_t assoc_id;
    uint32_t pr_value;
    uint16_t sid;
    uint16_t flags;
    uint16_t pr_policy;
    uint16_t reserved;
};

struct txsctp_snd {
    const char *data;
    size_t len;
    uint16_t sid;
    uint16_t flags;        /* snd_flags: SCTP_UNORDERED, SCTP_EOF, ... */
    uint32_t ppid;         /* host byte order */
    uint32_t context;
    sctp_assoc_t assoc_id;
    uint16_t pr_policy;    /* SCTP_PR_SCTP_NONE/TTL/RTX/PRIO */
    uint32_t pr_value;
    const struct sockaddr *to;   /* NULL or a destination override */
    uint32_t tolen;
};
"""

# Integer constants, each declared "#define NAME ..." (the compiler gives
# the value).
CONSTANTS = """
    TXSCTP_CMSG_SPACE_MAX
""".split()

FUNCTIONS = """
/* Number of messages txsctp_recvmany/txsctp_sendmany handle per call. */
#define TXSCTP_MAX_BATCH ...
#define TXSCTP_COMPACT_LIMIT ...

int txsctp_recvmany(int fd, char *buf, size_t slot_size, unsigned nslots,
                    struct txsctp_rcv *out, int flags);
int txsctp_recvcompact(int fd, char *buf, size_t slot_size, unsigned nslots,
                       struct txsctp_rcv *out, int flags, size_t *total);
#define TXSCTP_LAYOUT_SIZE ...
long long txsctp_recvbatch(int fd, char *buf, size_t slot_size,
                           unsigned nslots, struct txsctp_rcv *out,
                           size_t *total, struct txsctp_info *infos,
                           char *layout);
int txsctp_sendblob(int fd, const char *blob, const uint32_t *lens, unsigned n,
                    const struct txsctp_meta *metas, int flags, int bundle);
int txsctp_sendptrs(int fd, char *const *datas, const uint32_t *lens, unsigned n,
                    const struct txsctp_meta *metas, int flags);
int txsctp_sendmany(int fd, const struct txsctp_snd *msgs, unsigned n,
                    int flags, int bundle);
long txsctp_sendone(int fd, const struct txsctp_snd *msg,
                    const char *dstaddrs, size_t dstaddrs_len,
                    int auth_key, int flags);
long txsctp_send1(int fd, const char *data, size_t len, uint16_t sid,
                  uint32_t ppid, uint16_t snd_flags, uint32_t context,
                  sctp_assoc_t assoc_id, int flags);
int txsctp_sendmeta1(int fd, const char *data, uint32_t len, const char *meta,
                     int flags);
int txsctp_sendmeta1_nosignal(int fd, const char *data, uint32_t len,
                              const char *meta);
void txsctp_adapt_malloc(size_t size);
"""

CUSTOMIZATIONS = r"""
#define TXSCTP_MAX_BATCH 64
/* Batches up to this many bytes are packed to the front of the receive
   buffer (one copy out, then slices); larger ones stay in their slots. */
#define TXSCTP_COMPACT_LIMIT (64 * 1024)
/* Room for every control message txsctp ever attaches to one message. */
#define TXSCTP_CMSG_SPACE_MAX \
    (CMSG_SPACE(sizeof(struct sctp_sndinfo)) + \
     CMSG_SPACE(sizeof(struct sctp_prinfo)) + \
     CMSG_SPACE(sizeof(struct sctp_authinfo)))
#define TXSCTP_RCV_CMSG_SPACE \
    (CMSG_SPACE(sizeof(struct sctp_rcvinfo)) + \
     CMSG_SPACE(sizeof(struct sctp_nxtinfo)) + 64)

struct txsctp_rcv {
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
    sctp_assoc_t assoc_id;
    uint16_t nxt_sid;
    uint16_t nxt_flags;
    uint32_t nxt_ppid;
    uint32_t nxt_length;
    sctp_assoc_t nxt_assoc_id;
    uint32_t addrlen;
    struct sockaddr_storage addr;
};

struct txsctp_info {
    uint16_t sid;
    uint16_t ssn;
    uint16_t flags;
    uint32_t ppid;
    uint32_t tsn;
    uint32_t cumtsn;
    uint32_t context;
    sctp_assoc_t assoc_id;
};

struct txsctp_meta {
    uint32_t ppid;
    uint32_t context;
    sctp_assoc_t assoc_id;
    uint32_t pr_value;
    uint16_t sid;
    uint16_t flags;
    uint16_t pr_policy;
    uint16_t reserved;
};

struct txsctp_snd {
    const char *data;
    size_t len;
    uint16_t sid;
    uint16_t flags;
    uint32_t ppid;
    uint32_t context;
    sctp_assoc_t assoc_id;
    uint16_t pr_policy;
    uint32_t pr_value;
    const struct sockaddr *to;
    uint32_t tolen;
};

static void txsctp_decode_cmsgs(struct msghdr *mh, struct txsctp_rcv *r)
{
    struct cmsghdr *c;
    r->has_rcvinfo = 0;
    r->has_nxtinfo = 0;
    for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != IPPROTO_SCTP)
            continue;
        if (c->cmsg_type == SCTP_RCVINFO &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct sctp_rcvinfo))) {
            struct sctp_rcvinfo ri;
            memcpy(&ri, CMSG_DATA(c), sizeof(ri));
            r->sid = ri.rcv_sid;
            r->ssn = ri.rcv_ssn;
            r->flags = ri.rcv_flags;
            r->ppid = ntohl(ri.rcv_ppid);
            r->tsn = ri.rcv_tsn;
            r->cumtsn = ri.rcv_cumtsn;
            r->context = ri.rcv_context;
            r->assoc_id = ri.rcv_assoc_id;
            r->has_rcvinfo = 1;
        } else if (c->cmsg_type == SCTP_NXTINFO &&
                   c->cmsg_len >= CMSG_LEN(sizeof(struct sctp_nxtinfo))) {
            struct sctp_nxtinfo ni;
            memcpy(&ni, CMSG_DATA(c), sizeof(ni));
            r->nxt_sid = ni.nxt_sid;
            r->nxt_flags = ni.nxt_flags;
            r->nxt_ppid = ntohl(ni.nxt_ppid);
            r->nxt_length = ni.nxt_length;
            r->nxt_assoc_id = ni.nxt_assoc_id;
            r->has_nxtinfo = 1;
        }
    }
}

/* The message headers of the last txsctp_recvmany, per thread: the next
   call with the same buffers only resets what the kernel wrote into the
   slots that call used (a reactor thread receives into one shared set of
   buffers, and request/response traffic uses one slot a call), instead of
   setting up all 64 headers every time. */
struct txsctp_rxheaders {
    struct mmsghdr mm[TXSCTP_MAX_BATCH];
    struct iovec iov[TXSCTP_MAX_BATCH];
    union {
        char buf[TXSCTP_RCV_CMSG_SPACE];
        struct cmsghdr align;
    } cbuf[TXSCTP_MAX_BATCH];
    char *buf;
    size_t slot_size;
    struct txsctp_rcv *out;
    unsigned prepared;  /* slots [0, prepared) are set up */
    unsigned used;      /* the kernel may have written into [0, used) */
};
static __thread struct txsctp_rxheaders txsctp_rx;

/* Receive up to nslots messages (or pieces of messages) with one
   recvmmsg(2).  Slot i of buf (slot_size bytes) receives message i; its
   receive info is decoded into out[i].  Returns the number received, or -1
   with errno set (EAGAIN when nothing is queued). */
static int txsctp_recvmany(int fd, char *buf, size_t slot_size,
                           unsigned nslots, struct txsctp_rcv *out,
                           int flags)
{
    struct txsctp_rxheaders *st = &txsctp_rx;
    struct mmsghdr *mm = st->mm;
    unsigned i;
    int n;

    if (nslots > TXSCTP_MAX_BATCH)
        nslots = TXSCTP_MAX_BATCH;
    if (nslots == 0) {
        errno = EINVAL;
        return -1;
    }
    if (st->buf != buf || st->slot_size != slot_size || st->out != out) {
        st->buf = buf;
        st->slot_size = slot_size;
        st->out = out;
        st->prepared = 0;
        st->used = 0;
    }
    /* Slots the kernel wrote into last time get their lengths back (all
       of them, not just those this call asks for: a later call may ask
       for more). */
    for (i = 0; i < st->used; i++) {
        mm[i].msg_len = 0;
        mm[i].msg_hdr.msg_flags = 0;
        mm[i].msg_hdr.msg_namelen = sizeof(out[i].addr);
        mm[i].msg_hdr.msg_controllen = sizeof(st->cbuf[i].buf);
    }
    for (i = st->prepared; i < nslots; i++) {
        memset(&mm[i], 0, sizeof(mm[i]));
        st->iov[i].iov_base = buf + (size_t)i * slot_size;
        st->iov[i].iov_len = slot_size;
        mm[i].msg_hdr.msg_name = &out[i].addr;
        mm[i].msg_hdr.msg_namelen = sizeof(out[i].addr);
        mm[i].msg_hdr.msg_iov = &st->iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
        mm[i].msg_hdr.msg_control = st->cbuf[i].buf;
        mm[i].msg_hdr.msg_controllen = sizeof(st->cbuf[i].buf);
    }
    if (nslots > st->prepared)
        st->prepared = nslots;
    /* Whatever happens below, the kernel may write into these; after a
       successful call, into the first n only. */
    st->used = nslots;
    if (nslots == 1) {
        /* recvmsg(2) is the same work for one message, minus a timer
           check in the kernel. */
        ssize_t got = recvmsg(fd, &mm[0].msg_hdr, flags);
        if (got < 0)
            return -1;
        mm[0].msg_len = (unsigned)got;
        n = 1;
    } else {
        /* MSG_WAITFORONE: on a blocking socket, wait for the first message
           only, then take what is queued. */
        n = recvmmsg(fd, mm, nslots, flags | MSG_WAITFORONE, NULL);
        if (n < 0)
            return -1;
    }
    st->used = (unsigned)n;
    for (i = 0; i < (unsigned)n; i++) {
        struct txsctp_rcv *r = &out[i];
        r->len = mm[i].msg_len;
        r->msg_flags = mm[i].msg_hdr.msg_flags;
        r->addrlen = mm[i].msg_hdr.msg_namelen;
        r->assoc_id = 0;
        txsctp_decode_cmsgs(&mm[i].msg_hdr, r);
    }
    return n;
}

/* Allocate and free one block of `size` bytes (never touched, so no page
   is faulted in).  glibc serves it with mmap, and freeing an mmapped block
   raises its adaptive thresholds: blocks up to `size` then come from the
   heap, and the heap is only trimmed when more than 2 * `size` is free at
   its top -- glibc's own reaction to a program that frees large blocks,
   here taken before the first batch instead of after an unlucky one.
   Without it, a batch of large payloads freed together is handed back to
   the kernel and faulted in again by the next batch.  Other allocators
   just allocate and free. */
static void txsctp_adapt_malloc(size_t size)
{
    void *volatile block = malloc(size);
    free(block);
}

/* txsctp_recvmany, then, when all pieces together are at most
   TXSCTP_COMPACT_LIMIT bytes, the pieces moved to the front of buf back to
   back (slot i's data never lies before the running offset, so memmove
   forward is safe), so that Python copies them out with one buffer read and
   cheap slices; larger batches stay in their slots (no extra copy).  *total
   gets the bytes in all pieces. */
static int txsctp_recvcompact(int fd, char *buf, size_t slot_size,
                              unsigned nslots, struct txsctp_rcv *out,
                              int flags, size_t *total)
{
    int n, i;
    size_t off = 0;
    n = txsctp_recvmany(fd, buf, slot_size, nslots, out, flags);
    if (n < 0)
        return n;
    for (i = 0; i < n; i++)
        off += out[i].len;
    *total = off;
    if (off > TXSCTP_COMPACT_LIMIT)
        return n;  /* large pieces: each is copied out of its own slot */
    off = 0;
    for (i = 0; i < n; i++) {
        char *src = buf + (size_t)i * slot_size;
        if (src != buf + off)
            memmove(buf + off, src, out[i].len);
        off += out[i].len;
    }
    return n;
}

/* Room for a plain batch's layout: per message "<len>s<gap>x", each
   number at most 10 digits, and the terminating NUL. */
#define TXSCTP_LAYOUT_SIZE (TXSCTP_MAX_BATCH * 24 + 8)

static char *txsctp_put_count(char *p, size_t v, char code)
{
    char digits[24];
    int k = 0;
    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k)
        *p++ = digits[--k];
    *p++ = code;
    return p;
}

/* Whether a batch txsctp_recvcompact read is plain: every piece a whole
   message (MSG_EOR, not a notification, not empty) with its RcvInfo, all
   of one association.  If so, fills each message's RcvInfo, writes where
   the payloads lie in buf (compacted or in their slots, as
   txsctp_recvcompact left them) as a struct-module format ("100s57s...",
   with "<gap>x" between slots) that cuts them all out in one call, and
   returns the longest message's length; else returns 0.  This is the
   usual batch, which Python then hands over with no record to read. */
static uint32_t txsctp_plainbatch(const struct txsctp_rcv *recs, unsigned n,
                                  size_t slot_size, size_t total,
                                  struct txsctp_info *infos, char *layout)
{
    unsigned i;
    uint32_t longest = 0;
    int slotted = total > TXSCTP_COMPACT_LIMIT;
    char *p = layout;
    for (i = 0; i < n; i++) {
        const struct txsctp_rcv *r = &recs[i];
        if ((r->msg_flags & (MSG_EOR | MSG_NOTIFICATION)) != MSG_EOR ||
            r->len == 0 || !r->has_rcvinfo ||
            r->assoc_id != recs[0].assoc_id)
            return 0;
        if (r->len > longest)
            longest = r->len;
    }
    for (i = 0; i < n; i++) {
        const struct txsctp_rcv *r = &recs[i];
        struct txsctp_info *o = &infos[i];
        o->sid = r->sid;
        o->ssn = r->ssn;
        o->flags = r->flags;
        o->ppid = r->ppid;
        o->tsn = r->tsn;
        o->cumtsn = r->cumtsn;
        o->context = r->context;
        o->assoc_id = r->assoc_id;
        p = txsctp_put_count(p, r->len, 's');
        if (slotted && i + 1 < n && slot_size > r->len)
            p = txsctp_put_count(p, slot_size - r->len, 'x');
    }
    *p = '\0';
    return longest;
}

/* A port's read: txsctp_recvcompact, then txsctp_plainbatch, in one call
   from Python (a call costs more than either does for one message).
   Returns -1 on error (errno set), else the count of pieces plus 256 times
   the longest message's length for a plain batch (0 times otherwise). */
static long long txsctp_recvbatch(int fd, char *buf, size_t slot_size,
                                  unsigned nslots, struct txsctp_rcv *out,
                                  size_t *total, struct txsctp_info *infos,
                                  char *layout)
{
    int n = txsctp_recvcompact(fd, buf, slot_size, nslots, out, 0, total);
    if (n < 0)
        return -1;
    if (n > TXSCTP_MAX_BATCH)
        return n;
    return (long long)n + 256LL * txsctp_plainbatch(out, (unsigned)n, slot_size,
                                                    *total, infos, layout);
}

static size_t txsctp_fill_cmsgs(const struct txsctp_snd *m, char *cbuf,
                                int auth_key)
{
    struct msghdr fake;
    struct cmsghdr *c;
    struct sctp_sndinfo si;
    size_t used;

    memset(&fake, 0, sizeof(fake));
    fake.msg_control = cbuf;
    fake.msg_controllen = TXSCTP_CMSG_SPACE_MAX;
    memset(cbuf, 0, TXSCTP_CMSG_SPACE_MAX);

    c = CMSG_FIRSTHDR(&fake);
    c->cmsg_level = IPPROTO_SCTP;
    c->cmsg_type = SCTP_SNDINFO;
    c->cmsg_len = CMSG_LEN(sizeof(si));
    memset(&si, 0, sizeof(si));
    si.snd_sid = m->sid;
    si.snd_flags = m->flags;
    si.snd_ppid = htonl(m->ppid);
    si.snd_context = m->context;
    si.snd_assoc_id = m->assoc_id;
    memcpy(CMSG_DATA(c), &si, sizeof(si));
    used = CMSG_SPACE(sizeof(si));

    if (m->pr_policy != SCTP_PR_SCTP_NONE) {
        struct sctp_prinfo pi;
        c = (struct cmsghdr *)(cbuf + used);
        c->cmsg_level = IPPROTO_SCTP;
        c->cmsg_type = SCTP_PRINFO;
        c->cmsg_len = CMSG_LEN(sizeof(pi));
        memset(&pi, 0, sizeof(pi));
        pi.pr_policy = m->pr_policy;
        pi.pr_value = m->pr_value;
        memcpy(CMSG_DATA(c), &pi, sizeof(pi));
        used += CMSG_SPACE(sizeof(pi));
    }
    if (auth_key >= 0) {
        struct sctp_authinfo ai;
        c = (struct cmsghdr *)(cbuf + used);
        c->cmsg_level = IPPROTO_SCTP;
        c->cmsg_type = SCTP_AUTHINFO;
        c->cmsg_len = CMSG_LEN(sizeof(ai));
        memset(&ai, 0, sizeof(ai));
        ai.auth_keynumber = (uint16_t)auth_key;
        memcpy(CMSG_DATA(c), &ai, sizeof(ai));
        used += CMSG_SPACE(sizeof(ai));
    }
    return used;
}

/* Batches of at least this many messages are worth a second system call
   to have their packets filled (txsctp_sendbundled). */
#define TXSCTP_BUNDLE_MIN 4

/* Send n small messages of one association so that the kernel bundles them
   into full packets even with SCTP_NODELAY: all but the last with MSG_MORE
   (Linux 4.13 and later hold back less than a packet's worth of DATA while
   the association's last send said "more"), then the last one without,
   which lets everything held go.  Two system calls, so only for batches of
   TXSCTP_BUNDLE_MIN or more; the messages must all be the same
   association's (MSG_MORE is remembered per association).  Returns how
   many were accepted as sendmmsg(2) does.  If fewer than n were accepted
   the tail of the accepted ones may still be held: the caller must send
   again (its next send ends with a message without MSG_MORE), as a
   writer that keeps a queue does when the socket is writable again. */
static int txsctp_sendbundled(int fd, struct mmsghdr *mm, unsigned n, int flags)
{
    int first = sendmmsg(fd, mm, n - 1, flags | MSG_MORE);
    if (first < (int)(n - 1))
        return first;
    if (sendmsg(fd, &mm[n - 1].msg_hdr, flags) < 0)
        return first;
    return (int)n;
}

/* Send n whole messages with one sendmmsg(2), each with its own SCTP_SNDINFO
   (and SCTP_PRINFO when a PR-SCTP policy is set); with bundle set, and
   enough messages all of one association and with no address, through
   txsctp_sendbundled.  Returns how many were accepted (possibly fewer than
   n), or -1 with errno set when none was. */
static int txsctp_sendmany(int fd, const struct txsctp_snd *msgs, unsigned n,
                           int flags, int bundle)
{
    struct mmsghdr mm[TXSCTP_MAX_BATCH];
    struct iovec iov[TXSCTP_MAX_BATCH];
    union {
        char buf[TXSCTP_CMSG_SPACE_MAX];
        struct cmsghdr align;
    } cbuf[TXSCTP_MAX_BATCH];
    unsigned i;

    if (n > TXSCTP_MAX_BATCH)
        n = TXSCTP_MAX_BATCH;
    if (n == 0)
        return 0;
    for (i = 0; i < n; i++) {
        iov[i].iov_base = (void *)msgs[i].data;
        iov[i].iov_len = msgs[i].len;
        memset(&mm[i], 0, sizeof(mm[i]));
        mm[i].msg_hdr.msg_name = (void *)msgs[i].to;
        mm[i].msg_hdr.msg_namelen = msgs[i].to ? msgs[i].tolen : 0;
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
        mm[i].msg_hdr.msg_control = cbuf[i].buf;
        mm[i].msg_hdr.msg_controllen =
            txsctp_fill_cmsgs(&msgs[i], cbuf[i].buf, -1);
        if (msgs[i].to || msgs[i].assoc_id != msgs[0].assoc_id)
            bundle = 0;
    }
    if (n == 1) {
        ssize_t sent = sendmsg(fd, &mm[0].msg_hdr, flags);
        return sent < 0 ? -1 : 1;
    }
    if (bundle && n >= TXSCTP_BUNDLE_MIN)
        return txsctp_sendbundled(fd, mm, n, flags);
    return sendmmsg(fd, mm, n, flags);
}

/* Send n whole messages with one sendmmsg(2): message i is the next lens[i]
   bytes of blob, with metas[i]'s stream, PPID (host order), flags,
   context, association and PR-SCTP policy.  Returns how many were accepted
   (possibly fewer than n), or -1 with errno set when none was. */
static int txsctp_sendmeta(int fd, const char *blob, char *const *datas,
                           const uint32_t *lens, unsigned n,
                           const struct txsctp_meta *metas, int flags,
                           int bundle)
{
    struct txsctp_snd msgs[TXSCTP_MAX_BATCH];
    unsigned i;
    size_t off = 0;
    if (n > TXSCTP_MAX_BATCH)
        n = TXSCTP_MAX_BATCH;
    for (i = 0; i < n; i++) {
        msgs[i].data = datas ? datas[i] : blob + off;
        msgs[i].len = lens[i];
        off += lens[i];
        msgs[i].sid = metas[i].sid;
        msgs[i].flags = metas[i].flags;
        msgs[i].ppid = metas[i].ppid;
        msgs[i].context = metas[i].context;
        msgs[i].assoc_id = metas[i].assoc_id;
        msgs[i].pr_policy = metas[i].pr_policy;
        msgs[i].pr_value = metas[i].pr_value;
        msgs[i].to = NULL;
        msgs[i].tolen = 0;
    }
    return txsctp_sendmany(fd, msgs, n, flags, bundle);
}

static int txsctp_sendblob(int fd, const char *blob, const uint32_t *lens,
                           unsigned n, const struct txsctp_meta *metas,
                           int flags, int bundle)
{
    return txsctp_sendmeta(fd, blob, NULL, lens, n, metas, flags, bundle);
}

/* The same with each payload where it is (no joined copy): for large
   messages, whose joining would cost more than the pointers. */
static int txsctp_sendptrs(int fd, char *const *datas, const uint32_t *lens,
                           unsigned n, const struct txsctp_meta *metas,
                           int flags)
{
    return txsctp_sendmeta(fd, NULL, datas, lens, n, metas, flags, 0);
}

/* Send one whole message with the usual parameters (no PR-SCTP, no
   address, no AUTH key), passed as scalars: cffi checks each argument's
   type and range on the way in.  Returns bytes sent or -1 with errno. */
static long txsctp_send1(int fd, const char *data, size_t len, uint16_t sid,
                         uint32_t ppid, uint16_t snd_flags, uint32_t context,
                         sctp_assoc_t assoc_id, int flags)
{
    struct txsctp_snd m;
    memset(&m, 0, sizeof(m));
    m.data = data;
    m.len = len;
    m.sid = sid;
    m.flags = snd_flags;
    m.ppid = ppid;
    m.context = context;
    m.assoc_id = assoc_id;
    if (txsctp_sendmany(fd, &m, 1, flags, 0) < 0)
        return -1;
    return (long)len;
}

/* Send one whole message whose parameters are packed in meta (one
   struct txsctp_meta, as txsctp_sendblob takes them, unaligned): the
   single-message case of txsctp_sendblob without its arrays.  Returns 1
   or -1 with errno set. */
static int txsctp_sendmeta1(int fd, const char *data, uint32_t len,
                            const char *meta, int flags)
{
    struct txsctp_meta mt;
    memcpy(&mt, meta, sizeof(mt));
    return txsctp_sendmeta(fd, data, NULL, &len, 1, &mt, flags, 0);
}

/* txsctp_sendmeta1 with MSG_NOSIGNAL: what the transport's one-message
   flush calls, through a partial with the fd bound (no Python frame). */
static int txsctp_sendmeta1_nosignal(int fd, const char *data, uint32_t len,
                                     const char *meta)
{
    return txsctp_sendmeta1(fd, data, len, meta, MSG_NOSIGNAL);
}

/* Send one message.  dstaddrs (packed sockaddr_in/sockaddr_in6, may be NULL)
   become SCTP_DSTADDRV4/V6 control messages: extra peer addresses for an
   association set up implicitly by this send.  auth_key >= 0 attaches
   SCTP_AUTHINFO.  Returns bytes sent or -1 with errno set. */
static long txsctp_sendone(int fd, const struct txsctp_snd *m,
                           const char *dstaddrs, size_t dstaddrs_len,
                           int auth_key, int flags)
{
    struct msghdr mh;
    struct iovec iov;
    union {
        char b[TXSCTP_CMSG_SPACE_MAX + 64 * CMSG_SPACE(16)];
        struct cmsghdr align;
    } stackbuf;
    char *cbuf = stackbuf.b;
    size_t used, off = 0;
    ssize_t sent;

    used = txsctp_fill_cmsgs(m, cbuf, auth_key);
    while (dstaddrs != NULL && off < dstaddrs_len) {
        const struct sockaddr *sa = (const struct sockaddr *)(dstaddrs + off);
        struct cmsghdr *c = (struct cmsghdr *)(cbuf + used);
        if (used + CMSG_SPACE(16) > sizeof(stackbuf.b)) {
            errno = E2BIG;
            return -1;
        }
        if (sa->sa_family == AF_INET &&
            off + sizeof(struct sockaddr_in) <= dstaddrs_len) {
            const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
            c->cmsg_level = IPPROTO_SCTP;
            c->cmsg_type = SCTP_DSTADDRV4;
            c->cmsg_len = CMSG_LEN(sizeof(struct in_addr));
            memcpy(CMSG_DATA(c), &sin->sin_addr, sizeof(struct in_addr));
            used += CMSG_SPACE(sizeof(struct in_addr));
            off += sizeof(struct sockaddr_in);
        } else if (sa->sa_family == AF_INET6 &&
                   off + sizeof(struct sockaddr_in6) <= dstaddrs_len) {
            const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
            c->cmsg_level = IPPROTO_SCTP;
            c->cmsg_type = SCTP_DSTADDRV6;
            c->cmsg_len = CMSG_LEN(sizeof(struct in6_addr));
            memcpy(CMSG_DATA(c), &sin6->sin6_addr, sizeof(struct in6_addr));
            used += CMSG_SPACE(sizeof(struct in6_addr));
            off += sizeof(struct sockaddr_in6);
        } else {
            errno = EAFNOSUPPORT;
            return -1;
        }
    }
    iov.iov_base = (void *)m->data;
    iov.iov_len = m->len;
    memset(&mh, 0, sizeof(mh));
    mh.msg_name = (void *)m->to;
    mh.msg_namelen = m->to ? m->tolen : 0;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = used;
    sent = sendmsg(fd, &mh, flags);
    return (long)sent;
}
"""
