"""
Build area: the table of conn-address handles in C{txsctp._usrsctp_cffi}
(see C{txsctp._usrsctp_build}).

usrsctp sees only AF_CONN addresses: one handle per remote UDP endpoint
(local UDP socket, remote host, remote UDP port), registered with
usrsctp.  A handle carries its slot in the table, so the packet helpers
find its peer without a hash lookup; the hash table from endpoint to slot
serves received datagrams.  Also the translation of an AF_CONN address
into the peer's UDP host with the SCTP port (C{txu_map_addr}).
"""

INCLUDES = ""

TYPES = ""

CONSTANTS = """
    TXU_SLOT_BITS
""".split()

FUNCTIONS = r"""
uintptr_t txu_peer_add(int fd, const void *addr, socklen_t addrlen);
uintptr_t txu_peer_find(int fd, const void *addr, socklen_t addrlen);
int txu_peer_remove(uintptr_t id);
int txu_peer_get(uintptr_t id, int *fd, struct sockaddr_storage *addr,
                 socklen_t *addrlen, uint64_t *packets_in,
                 uint64_t *packets_out, double *last_activity);
int txu_peer_list(uintptr_t *out, unsigned max);
int txu_peer_local(uintptr_t id, struct sockaddr_storage *out,
                   socklen_t *outlen);
int txu_map_addr(uintptr_t conn, uint16_t port, struct sockaddr_storage *out,
                 socklen_t *outlen);
"""

CUSTOMIZATIONS = r"""
/* ---------------------------------------------------------------- peers */

/* A conn-address handle is (generation << TXU_SLOT_BITS) | (slot + 1):
   usrsctp only compares and hands back these values, and the slot table
   turns one into its peer without a hash lookup; a stale handle (its peer
   removed) never matches the slot's current generation. */
#define TXU_SLOT_BITS 24
#define TXU_SLOT_MASK ((1u << TXU_SLOT_BITS) - 1)

struct txu_peer {
    uintptr_t id;
    int fd;
    socklen_t addrlen;
    struct sockaddr_storage addr;
    uint64_t packets_in;
    uint64_t packets_out;
    double last_activity;
    uint32_t hash;
};

static struct txu_peer **txu_peers;     /* by slot */
static unsigned txu_peers_cap;
static unsigned *txu_free_slots;
static unsigned txu_nfree;
static unsigned txu_next_slot;
static uintptr_t txu_generation;

/* Open addressing from (fd, remote address) to slot + 1; 0 empty,
   UINT32_MAX deleted. */
static uint32_t *txu_table;
static unsigned txu_table_cap;      /* a power of two */
static unsigned txu_table_used;     /* live + deleted */

static uint32_t txu_key_hash(int fd, const struct sockaddr *sa)
{
    uint32_t h = 2166136261u;
    const unsigned char *p;
    size_t n, i;
    uint16_t port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        p = (const unsigned char *)&sin->sin_addr;
        n = 4;
        port = sin->sin_port;
    } else {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        p = (const unsigned char *)&sin6->sin6_addr;
        n = 16;
        port = sin6->sin6_port;
    }
    for (i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    h = (h ^ (uint32_t)(port & 0xff)) * 16777619u;
    h = (h ^ (uint32_t)(port >> 8)) * 16777619u;
    h = (h ^ (uint32_t)fd) * 16777619u;
    h = (h ^ (uint32_t)sa->sa_family) * 16777619u;
    return h;
}

static int txu_key_equal(const struct txu_peer *p, int fd,
                         const struct sockaddr *sa)
{
    if (p->fd != fd || p->addr.ss_family != sa->sa_family)
        return 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&p->addr;
        const struct sockaddr_in *b = (const struct sockaddr_in *)sa;
        return a->sin_port == b->sin_port &&
               a->sin_addr.s_addr == b->sin_addr.s_addr;
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&p->addr;
        const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)sa;
        return a->sin6_port == b->sin6_port &&
               a->sin6_scope_id == b->sin6_scope_id &&
               memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0;
    }
}

static int txu_addr_ok(const struct sockaddr *sa, socklen_t len)
{
    if (sa == NULL)
        return 0;
    if (sa->sa_family == AF_INET)
        return len >= (socklen_t)sizeof(struct sockaddr_in);
    if (sa->sa_family == AF_INET6)
        return len >= (socklen_t)sizeof(struct sockaddr_in6);
    return 0;
}

static struct txu_peer *txu_peer_by_id(uintptr_t id)
{
    unsigned slot;
    struct txu_peer *p;
    if (id == 0)
        return NULL;
    slot = (unsigned)(id & TXU_SLOT_MASK);
    if (slot == 0 || slot > txu_peers_cap)
        return NULL;
    p = txu_peers[slot - 1];
    return (p != NULL && p->id == id) ? p : NULL;
}

static struct txu_peer *txu_lookup(int fd, const struct sockaddr *sa)
{
    uint32_t h, mask, i, e;
    if (txu_table_cap == 0)
        return NULL;
    h = txu_key_hash(fd, sa);
    mask = txu_table_cap - 1;
    for (i = h & mask;; i = (i + 1) & mask) {
        e = txu_table[i];
        if (e == 0)
            return NULL;
        if (e != UINT32_MAX) {
            struct txu_peer *p = txu_peers[e - 1];
            if (p->hash == h && txu_key_equal(p, fd, sa))
                return p;
        }
    }
}

/* Rebuild the table with room for `live` entries at a load of 1/4. */
static int txu_table_rebuild(unsigned live)
{
    unsigned newcap = 64, j;
    uint32_t *old = txu_table, *t;
    unsigned oldcap = txu_table_cap;
    while ((live + 1) * 4 > newcap)
        newcap *= 2;
    t = calloc(newcap, sizeof(uint32_t));
    if (t == NULL)
        return -1;
    txu_table = t;
    txu_table_cap = newcap;
    txu_table_used = 0;
    for (j = 0; j < oldcap; j++) {
        if (old[j] != 0 && old[j] != UINT32_MAX) {
            uint32_t k, m = newcap - 1;
            for (k = txu_peers[old[j] - 1]->hash & m; t[k] != 0;
                 k = (k + 1) & m)
                ;
            t[k] = old[j];
            txu_table_used++;
        }
    }
    free(old);
    return 0;
}

static int txu_table_insert(uint32_t h, uint32_t slot1)
{
    uint32_t mask, i;
    if ((txu_table_used + 1) * 2 > txu_table_cap) {
        /* Half full counting deleted entries: grow, or just sweep the
           deleted ones out when many peers came and went. */
        if (txu_table_rebuild(txu_st.peers + 1) < 0)
            return -1;
    }
    mask = txu_table_cap - 1;
    for (i = h & mask; txu_table[i] != 0 && txu_table[i] != UINT32_MAX;
         i = (i + 1) & mask)
        ;
    if (txu_table[i] == 0)
        txu_table_used++;
    txu_table[i] = slot1;
    return 0;
}

static void txu_table_delete(struct txu_peer *p, uint32_t slot1)
{
    uint32_t mask = txu_table_cap - 1, i;
    for (i = p->hash & mask; txu_table[i] != 0; i = (i + 1) & mask) {
        if (txu_table[i] == slot1) {
            txu_table[i] = UINT32_MAX;
            return;
        }
    }
}

uintptr_t txu_peer_find(int fd, const void *addr, socklen_t addrlen)
{
    struct txu_peer *p;
    uintptr_t id;
    if (!txu_addr_ok((const struct sockaddr *)addr, addrlen))
        return 0;
    pthread_mutex_lock(&txu_lock);
    p = txu_lookup(fd, (const struct sockaddr *)addr);
    id = p ? p->id : 0;
    pthread_mutex_unlock(&txu_lock);
    return id;
}

/* Register a new conn address for (fd, remote UDP address); returns its
   handle, or 0 with errno set (EEXIST if that endpoint has one). */
uintptr_t txu_peer_add(int fd, const void *addr, socklen_t addrlen)
{
    const struct sockaddr *sa = (const struct sockaddr *)addr;
    struct txu_peer *p;
    unsigned slot;
    uintptr_t id;
    if (!txu_ready_state) {
        errno = ENOTCONN;
        return 0;
    }
    if (!txu_addr_ok(sa, addrlen)) {
        errno = EAFNOSUPPORT;
        return 0;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        errno = ENOMEM;
        return 0;
    }
    pthread_mutex_lock(&txu_lock);
    if (txu_lookup(fd, sa) != NULL) {
        pthread_mutex_unlock(&txu_lock);
        free(p);
        errno = EEXIST;
        return 0;
    }
    if (txu_nfree > 0) {
        slot = txu_free_slots[--txu_nfree];
    } else {
        if (txu_next_slot >= TXU_SLOT_MASK - 1) {
            pthread_mutex_unlock(&txu_lock);
            free(p);
            errno = ENOSPC;
            return 0;
        }
        if (txu_next_slot >= txu_peers_cap) {
            unsigned ncap = txu_peers_cap ? txu_peers_cap * 2 : 64, j;
            struct txu_peer **np = realloc(txu_peers, ncap * sizeof(*np));
            unsigned *nf;
            if (np == NULL) {
                pthread_mutex_unlock(&txu_lock);
                free(p);
                errno = ENOMEM;
                return 0;
            }
            for (j = txu_peers_cap; j < ncap; j++)
                np[j] = NULL;
            txu_peers = np;
            nf = realloc(txu_free_slots, ncap * sizeof(*nf));
            if (nf == NULL) {
                pthread_mutex_unlock(&txu_lock);
                free(p);
                errno = ENOMEM;
                return 0;
            }
            txu_free_slots = nf;
            txu_peers_cap = ncap;
        }
        slot = txu_next_slot++;
    }
    txu_generation++;
    p->id = (txu_generation << TXU_SLOT_BITS) | (uintptr_t)(slot + 1);
    p->fd = fd;
    p->addrlen = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                          : sizeof(struct sockaddr_in6);
    memcpy(&p->addr, sa, p->addrlen);
    p->hash = txu_key_hash(fd, sa);
    p->last_activity = txu_now();
    txu_peers[slot] = p;
    if (txu_table_insert(p->hash, slot + 1) < 0) {
        txu_peers[slot] = NULL;
        txu_free_slots[txu_nfree++] = slot;
        pthread_mutex_unlock(&txu_lock);
        free(p);
        errno = ENOMEM;
        return 0;
    }
    txu_st.peers++;
    id = p->id;
    pthread_mutex_unlock(&txu_lock);
    usrsctp_register_address((void *)id);
    return id;
}

/* Deregister a handle.  Packets usrsctp still produces for it are dropped
   (counted in dropped_dead_peer); datagrams from its endpoint count as
   unknown again. */
int txu_peer_remove(uintptr_t id)
{
    struct txu_peer *p;
    unsigned slot;
    pthread_mutex_lock(&txu_lock);
    p = txu_peer_by_id(id);
    if (p == NULL) {
        pthread_mutex_unlock(&txu_lock);
        errno = ENOENT;
        return -1;
    }
    slot = (unsigned)(id & TXU_SLOT_MASK);
    txu_table_delete(p, slot);
    txu_peers[slot - 1] = NULL;
    txu_free_slots[txu_nfree++] = slot - 1;
    txu_st.peers--;
    pthread_mutex_unlock(&txu_lock);
    usrsctp_deregister_address((void *)id);
    free(p);
    return 0;
}

int txu_peer_get(uintptr_t id, int *fd, struct sockaddr_storage *addr,
                 socklen_t *addrlen, uint64_t *packets_in,
                 uint64_t *packets_out, double *last_activity)
{
    struct txu_peer *p;
    pthread_mutex_lock(&txu_lock);
    p = txu_peer_by_id(id);
    if (p == NULL) {
        pthread_mutex_unlock(&txu_lock);
        errno = ENOENT;
        return -1;
    }
    *fd = p->fd;
    memcpy(addr, &p->addr, p->addrlen);
    *addrlen = p->addrlen;
    *packets_in = p->packets_in;
    *packets_out = p->packets_out;
    *last_activity = p->last_activity;
    pthread_mutex_unlock(&txu_lock);
    return 0;
}

int txu_peer_list(uintptr_t *out, unsigned max)
{
    unsigned i, n = 0;
    pthread_mutex_lock(&txu_lock);
    for (i = 0; i < txu_next_slot && n < max; i++)
        if (txu_peers[i] != NULL)
            out[n++] = txu_peers[i]->id;
    pthread_mutex_unlock(&txu_lock);
    return (int)n;
}

/* The local address of the UDP socket a handle's packets leave from. */
int txu_peer_local(uintptr_t id, struct sockaddr_storage *out,
                   socklen_t *outlen)
{
    struct txu_peer *p;
    int fd;
    pthread_mutex_lock(&txu_lock);
    p = txu_peer_by_id(id);
    fd = p ? p->fd : -1;
    pthread_mutex_unlock(&txu_lock);
    if (fd < 0) {
        errno = ENOENT;
        return -1;
    }
    *outlen = sizeof(*out);
    return getsockname(fd, (struct sockaddr *)out, outlen);
}

/* The address txsctp shows for a conn address: the peer's UDP host with
   the SCTP port (network order) in place of its UDP port. */
int txu_map_addr(uintptr_t conn, uint16_t port, struct sockaddr_storage *out,
                 socklen_t *outlen)
{
    struct txu_peer *p;
    pthread_mutex_lock(&txu_lock);
    p = txu_peer_by_id(conn);
    if (p == NULL) {
        pthread_mutex_unlock(&txu_lock);
        *outlen = 0;
        return -1;
    }
    memcpy(out, &p->addr, p->addrlen);
    *outlen = p->addrlen;
    if (p->addr.ss_family == AF_INET)
        ((struct sockaddr_in *)out)->sin_port = port;
    else
        ((struct sockaddr_in6 *)out)->sin6_port = port;
    pthread_mutex_unlock(&txu_lock);
    return 0;
}
"""
