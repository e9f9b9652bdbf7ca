"""
Build area: the state every C helper of C{txsctp._usrsctp_cffi} shares,
and usrsctp's start-up and timers (see C{txsctp._usrsctp_build}).

One lock, the owner thread and this layer's statistics (C{struct
txu_stats}); C{txu_init}, which starts usrsctp without threads
(C{usrsctp_init_nothreads}) with the packet queue's output callback;
C{txu_handle_timers}, which advances usrsctp's clock and tells whether a
timer ran that may have changed a socket without an upcall.  First among
the helper areas: the others use its state.
"""

INCLUDES = ""

TYPES = r"""
struct txu_stats {
    uint64_t queued_packets; uint64_t queued_bytes; uint64_t sent_packets;
    uint64_t send_errors; uint64_t dropped_dead_peer;
    uint64_t dropped_queue_full; uint64_t received_datagrams;
    uint64_t unknown_datagrams; uint64_t unknown_dropped;
    uint64_t foreign_thread_outputs; uint64_t upcalls;
    int last_send_errno; uint32_t queue_len; uint32_t queue_bytes;
    uint32_t peers; uint32_t sockets;
};
"""

CONSTANTS: list = []

FUNCTIONS = r"""
int txu_init(void);
int txu_initialized(void);
int txu_handle_timers(uint32_t elapsed_ms);
"""

CUSTOMIZATIONS = r"""
/* ---------------------------------------------------------------- state */

struct txu_stats {
    uint64_t queued_packets;
    uint64_t queued_bytes;
    uint64_t sent_packets;
    uint64_t send_errors;
    uint64_t dropped_dead_peer;
    uint64_t dropped_queue_full;
    uint64_t received_datagrams;
    uint64_t unknown_datagrams;
    uint64_t unknown_dropped;
    uint64_t foreign_thread_outputs;
    uint64_t upcalls;
    int last_send_errno;
    uint32_t queue_len;
    uint32_t queue_bytes;
    uint32_t peers;
    uint32_t sockets;
};

/* One lock for the queues and tables that conn_output and the upcall
   touch.  Every usrsctp entry point runs on the owner thread, but usrsctp
   0.9.5 starts an iterator thread even with usrsctp_init_nothreads, and
   the lock keeps them sound should that thread ever reach conn_output or
   an upcall.  No usrsctp function is called with it held. */
static pthread_mutex_t txu_lock = PTHREAD_MUTEX_INITIALIZER;
static int txu_ready_state;
static pthread_t txu_owner;
static struct txu_stats txu_st;

/* Defined further on: the output callback with the packet queue, the
   wake-up with the sockets. */
static int txu_conn_output(void *addr, void *buffer, size_t length,
                           uint8_t tos, uint8_t set_df);
static void txu_wake_blocked(void);

static double txu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* --------------------------------------------------------- init, timers */

int txu_init(void)
{
    if (txu_ready_state)
        return 0;
    txu_owner = pthread_self();
    usrsctp_init_nothreads(0, txu_conn_output, NULL);
    /* As Linux does: an INIT for a port nobody listens on is answered with
       an ABORT (the peer sees the association refused at once, not after
       its INIT retransmissions), and the streams of an association share
       it first come, first served (usrsctp's default is round robin).
       Only datagrams from endpoints a UDP port accepted reach usrsctp at
       all, and an ABORT is smaller than what it answers. */
    usrsctp_sysctl_set_sctp_blackhole(0);
    usrsctp_sysctl_set_sctp_default_ss_module(SCTP_SS_FIRST_COME);
    txu_ready_state = 1;
    return 1;
}

int txu_initialized(void)
{
    return txu_ready_state;
}

/* The timers whose expiry can change what a socket has to say (a
   notification queued, an error set) without an upcall. */
static uint64_t txu_event_timer_count(void)
{
    struct sctpstat st;
    usrsctp_get_stat(&st);
    return (uint64_t)st.sctps_timodata + st.sctps_timowindowprobe +
           st.sctps_timoinit + st.sctps_timoshutdown +
           st.sctps_timoheartbeat + st.sctps_timocookie +
           st.sctps_timoshutdownack + st.sctps_timoshutdownguard +
           st.sctps_timostrmrst + st.sctps_timoasconf +
           st.sctps_timodelprim + st.sctps_timoautoclose;
}

/* Advance usrsctp's clock; returns 1 if a timer that may have changed a
   socket ran (the caller should then collect with all=1). */
int txu_handle_timers(uint32_t elapsed_ms)
{
    uint64_t before = txu_event_timer_count();
    usrsctp_handle_timers(elapsed_ms);
    if (elapsed_ms)
        txu_wake_blocked();
    return txu_event_timer_count() != before;
}
"""
