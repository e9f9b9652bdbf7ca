"""
cffi build script for C{txsctp._usrsctp_cffi}: the binding to the system's
usrsctp (the FreeBSD SCTP stack as a library) that L{txsctp._usrsctp}
drives.

Out-of-line API mode, like L{txsctp._build}: compiled against the real
C{<usrsctp.h>} (Debian/Ubuntu C{libusrsctp-dev}, Fedora C{usrsctp-devel},
Homebrew C{usrsctp}) and linked with C{-lusrsctp}, both found with
C{pkg-config usrsctp}.  Structs are declared partially (C{...;}) so the
compiler fixes their layouts.  setup.py builds this module only when
C{pkg-config --exists usrsctp} succeeds; without it txsctp builds and the
kernel stack works, and importing L{txsctp._usrsctp} says what to install.

Besides declarations this file holds C helpers that keep per-packet and
per-message work out of Python:
  - the packet queue behind usrsctp's C{conn_output} callback, drained by
    one call (C{txu_flush} sends with C{sendmmsg} on each peer's UDP
    socket; C{txu_take_output} hands the packets to the caller);
  - the table of conn-address handles (one per remote UDP endpoint) and
    batched UDP receiving that feeds usrsctp (C{txu_udp_receive});
  - readiness: the socket upcall only marks the socket; C{txu_collect}
    reports the marked sockets with their events in one call;
  - batched send (C{txu_send_batch}) and receive (C{txu_recv_batch}) with
    txsctp's record layout (L{txsctp._batch.RECORD}) and Linux flag
    values, so the layers above can share the kernel stack's logic.

usrsctp's own headers use FreeBSD values for flags and states; the
C{TXU_L_*} constants are the Linux (RFC 6458 as Linux implements it)
values txsctp's value types use, and the helpers translate between them.

Longer than a module should be, and on purpose: four fifths of it is the
helpers' C source, kept here (as L{txsctp._build} keeps the kernel
binding's) so that one file is compiled, shipped and hashed
(L{sourceDigest}) and a checkout can never run C older than its Python.
"""

import hashlib
import os
import shutil
import subprocess
from typing import List, Optional, Tuple

from cffi import FFI

INCLUDES = r"""
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <usrsctp.h>
"""

_INT_CONSTANTS = """
    AF_CONN AF_INET AF_INET6 SOCK_STREAM SOCK_SEQPACKET IPPROTO_SCTP
    SOL_SOCKET SO_SNDBUF SO_RCVBUF SO_LINGER SO_ERROR
    SHUT_RD SHUT_WR SHUT_RDWR MSG_NOTIFICATION MSG_EOR
    SCTP_FUTURE_ASSOC SCTP_CURRENT_ASSOC SCTP_ALL_ASSOC
    SCTP_EVENT_READ SCTP_EVENT_WRITE SCTP_EVENT_ERROR
    SCTP_RTOINFO SCTP_ASSOCINFO SCTP_INITMSG SCTP_NODELAY SCTP_AUTOCLOSE
    SCTP_PRIMARY_ADDR SCTP_ADAPTATION_LAYER SCTP_DISABLE_FRAGMENTS
    SCTP_PEER_ADDR_PARAMS SCTP_MAXSEG SCTP_DELAYED_SACK
    SCTP_FRAGMENT_INTERLEAVE SCTP_PARTIAL_DELIVERY_POINT SCTP_MAX_BURST
    SCTP_CONTEXT SCTP_EXPLICIT_EOR SCTP_REUSE_PORT SCTP_EVENT
    SCTP_RECVRCVINFO SCTP_RECVNXTINFO SCTP_DEFAULT_SNDINFO
    SCTP_DEFAULT_PRINFO SCTP_REMOTE_UDP_ENCAPS_PORT SCTP_ECN_SUPPORTED
    SCTP_PR_SUPPORTED SCTP_AUTH_SUPPORTED SCTP_ASCONF_SUPPORTED
    SCTP_RECONFIG_SUPPORTED SCTP_NRSACK_SUPPORTED SCTP_PKTDROP_SUPPORTED
    SCTP_ENABLE_STREAM_RESET SCTP_STATUS SCTP_GET_PEER_ADDR_INFO
    SCTP_GET_ASSOC_NUMBER SCTP_GET_ASSOC_ID_LIST SCTP_RESET_STREAMS
    SCTP_RESET_ASSOC SCTP_ADD_STREAMS SCTP_SET_PEER_PRIMARY_ADDR
    SCTP_I_WANT_MAPPED_V4_ADDR
    SCTP_ASSOC_CHANGE SCTP_PEER_ADDR_CHANGE SCTP_REMOTE_ERROR
    SCTP_SEND_FAILED SCTP_SHUTDOWN_EVENT SCTP_ADAPTATION_INDICATION
    SCTP_PARTIAL_DELIVERY_EVENT SCTP_AUTHENTICATION_EVENT
    SCTP_STREAM_RESET_EVENT SCTP_SENDER_DRY_EVENT
    SCTP_NOTIFICATIONS_STOPPED_EVENT SCTP_ASSOC_RESET_EVENT
    SCTP_STREAM_CHANGE_EVENT SCTP_SEND_FAILED_EVENT
    SCTP_COMM_UP SCTP_COMM_LOST SCTP_RESTART SCTP_SHUTDOWN_COMP
    SCTP_CANT_STR_ASSOC
    SCTP_ADDR_AVAILABLE SCTP_ADDR_UNREACHABLE SCTP_ADDR_REMOVED
    SCTP_ADDR_ADDED SCTP_ADDR_MADE_PRIM SCTP_ADDR_CONFIRMED
    SCTP_DATA_UNSENT SCTP_DATA_SENT SCTP_PARTIAL_DELIVERY_ABORTED
    SCTP_AUTH_NEW_KEY SCTP_AUTH_NO_AUTH SCTP_AUTH_FREE_KEY
    SCTP_STREAM_RESET_INCOMING_SSN SCTP_STREAM_RESET_OUTGOING_SSN
    SCTP_STREAM_RESET_DENIED SCTP_STREAM_RESET_FAILED
    SCTP_ASSOC_RESET_DENIED SCTP_ASSOC_RESET_FAILED
    SCTP_STREAM_CHANGE_DENIED SCTP_STREAM_CHANGE_FAILED
    SCTP_UNORDERED SCTP_EOF SCTP_ABORT SCTP_SACK_IMMEDIATELY SCTP_SENDALL
    SCTP_ADDR_OVER
    SCTP_PR_SCTP_NONE SCTP_PR_SCTP_TTL SCTP_PR_SCTP_BUF SCTP_PR_SCTP_RTX
    SCTP_CLOSED SCTP_BOUND SCTP_LISTEN SCTP_COOKIE_WAIT SCTP_COOKIE_ECHOED
    SCTP_ESTABLISHED SCTP_SHUTDOWN_SENT SCTP_SHUTDOWN_RECEIVED
    SCTP_SHUTDOWN_ACK_SENT SCTP_SHUTDOWN_PENDING
    SCTP_ACTIVE SCTP_INACTIVE SCTP_UNCONFIRMED
    SPP_HB_ENABLE SPP_HB_DISABLE SPP_HB_DEMAND SPP_PMTUD_ENABLE
    SPP_PMTUD_DISABLE SPP_HB_TIME_IS_ZERO
    SCTP_ENABLE_RESET_STREAM_REQ SCTP_ENABLE_RESET_ASSOC_REQ
    SCTP_ENABLE_CHANGE_ASSOC_REQ SCTP_STREAM_RESET_INCOMING
    SCTP_STREAM_RESET_OUTGOING
    TXU_L_MSG_NOTIFICATION TXU_L_UNORDERED TXU_L_ADDR_OVER TXU_L_ABORT
    TXU_L_SACK_IMMEDIATELY TXU_L_SENDALL TXU_L_EOF TXU_L_PR_TTL
    TXU_L_PR_RTX TXU_L_PR_PRIO TXU_L_PR_MASK
    TXU_EVENT_SEND_RETRY TXU_MAX_BATCH TXU_COLLECT_MAX TXU_SLOT_BITS TXU_ERR_UNKNOWN_PEER TXU_ERR_BAD_META
""".split()

TYPES = r"""
typedef uint32_t sctp_assoc_t;
typedef unsigned int... socklen_t;
typedef unsigned short... sa_family_t;

struct socket;

struct sockaddr { sa_family_t sa_family; ...; };
struct sockaddr_storage { sa_family_t ss_family; ...; };
struct in_addr { uint32_t s_addr; };
struct in6_addr { unsigned char s6_addr[16]; ...; };
struct sockaddr_in {
    sa_family_t sin_family; uint16_t sin_port; struct in_addr sin_addr; ...;
};
struct sockaddr_in6 {
    sa_family_t sin6_family; uint16_t sin6_port; uint32_t sin6_flowinfo;
    struct in6_addr sin6_addr; uint32_t sin6_scope_id; ...;
};
struct sockaddr_conn {
    uint16_t sconn_family; uint16_t sconn_port; void *sconn_addr; ...;
};
struct linger { int l_onoff; int l_linger; };

struct sctp_rcvinfo {
    uint16_t rcv_sid; uint16_t rcv_ssn; uint16_t rcv_flags;
    uint32_t rcv_ppid; uint32_t rcv_tsn; uint32_t rcv_cumtsn;
    uint32_t rcv_context; sctp_assoc_t rcv_assoc_id; ...;
};
struct sctp_sndinfo {
    uint16_t snd_sid; uint16_t snd_flags; uint32_t snd_ppid;
    uint32_t snd_context; sctp_assoc_t snd_assoc_id; ...;
};
struct sctp_prinfo { uint16_t pr_policy; uint32_t pr_value; ...; };

struct sctp_assoc_change {
    uint16_t sac_type; uint16_t sac_flags; uint32_t sac_length;
    uint16_t sac_state; uint16_t sac_error; uint16_t sac_outbound_streams;
    uint16_t sac_inbound_streams; sctp_assoc_t sac_assoc_id; ...;
};
struct sctp_paddr_change {
    uint16_t spc_type; uint16_t spc_flags; uint32_t spc_length;
    struct sockaddr_storage spc_aaddr; uint32_t spc_state;
    uint32_t spc_error; sctp_assoc_t spc_assoc_id; ...;
};
struct sctp_remote_error {
    uint16_t sre_type; uint16_t sre_flags; uint32_t sre_length;
    uint16_t sre_error; sctp_assoc_t sre_assoc_id; ...;
};
struct sctp_shutdown_event {
    uint16_t sse_type; uint16_t sse_flags; uint32_t sse_length;
    sctp_assoc_t sse_assoc_id; ...;
};
struct sctp_adaptation_event {
    uint16_t sai_type; uint16_t sai_flags; uint32_t sai_length;
    uint32_t sai_adaptation_ind; sctp_assoc_t sai_assoc_id; ...;
};
struct sctp_pdapi_event {
    uint16_t pdapi_type; uint16_t pdapi_flags; uint32_t pdapi_length;
    uint32_t pdapi_indication; uint32_t pdapi_stream; uint32_t pdapi_seq;
    sctp_assoc_t pdapi_assoc_id; ...;
};
struct sctp_authkey_event {
    uint16_t auth_type; uint16_t auth_flags; uint32_t auth_length;
    uint16_t auth_keynumber; uint32_t auth_indication;
    sctp_assoc_t auth_assoc_id; ...;
};
struct sctp_sender_dry_event {
    uint16_t sender_dry_type; uint16_t sender_dry_flags;
    uint32_t sender_dry_length; sctp_assoc_t sender_dry_assoc_id; ...;
};
struct sctp_stream_reset_event {
    uint16_t strreset_type; uint16_t strreset_flags;
    uint32_t strreset_length; sctp_assoc_t strreset_assoc_id; ...;
};
struct sctp_assoc_reset_event {
    uint16_t assocreset_type; uint16_t assocreset_flags;
    uint32_t assocreset_length; sctp_assoc_t assocreset_assoc_id;
    uint32_t assocreset_local_tsn; uint32_t assocreset_remote_tsn; ...;
};
struct sctp_stream_change_event {
    uint16_t strchange_type; uint16_t strchange_flags;
    uint32_t strchange_length; sctp_assoc_t strchange_assoc_id;
    uint16_t strchange_instrms; uint16_t strchange_outstrms; ...;
};
struct sctp_send_failed_event {
    uint16_t ssfe_type; uint16_t ssfe_flags; uint32_t ssfe_length;
    uint32_t ssfe_error; struct sctp_sndinfo ssfe_info;
    sctp_assoc_t ssfe_assoc_id; ...;
};
struct sctp_event { sctp_assoc_t se_assoc_id; uint16_t se_type; uint8_t se_on; ...; };

struct sctp_initmsg {
    uint16_t sinit_num_ostreams; uint16_t sinit_max_instreams;
    uint16_t sinit_max_attempts; uint16_t sinit_max_init_timeo; ...;
};
struct sctp_rtoinfo {
    sctp_assoc_t srto_assoc_id; uint32_t srto_initial; uint32_t srto_max;
    uint32_t srto_min; ...;
};
struct sctp_assocparams {
    sctp_assoc_t sasoc_assoc_id; uint32_t sasoc_peer_rwnd;
    uint32_t sasoc_local_rwnd; uint32_t sasoc_cookie_life;
    uint16_t sasoc_asocmaxrxt; uint16_t sasoc_number_peer_destinations; ...;
};
struct sctp_setprim {
    struct sockaddr_storage ssp_addr; sctp_assoc_t ssp_assoc_id; ...;
};
struct sctp_paddrparams {
    struct sockaddr_storage spp_address; sctp_assoc_t spp_assoc_id;
    uint32_t spp_hbinterval; uint32_t spp_pathmtu; uint32_t spp_flags;
    uint32_t spp_ipv6_flowlabel; uint16_t spp_pathmaxrxt; uint8_t spp_dscp;
    ...;
};
struct sctp_assoc_value { sctp_assoc_t assoc_id; uint32_t assoc_value; ...; };
struct sctp_sack_info {
    sctp_assoc_t sack_assoc_id; uint32_t sack_delay; uint32_t sack_freq; ...;
};
struct sctp_paddrinfo {
    struct sockaddr_storage spinfo_address; sctp_assoc_t spinfo_assoc_id;
    int32_t spinfo_state; uint32_t spinfo_cwnd; uint32_t spinfo_srtt;
    uint32_t spinfo_rto; uint32_t spinfo_mtu; ...;
};
struct sctp_status {
    sctp_assoc_t sstat_assoc_id; int32_t sstat_state; uint32_t sstat_rwnd;
    uint16_t sstat_unackdata; uint16_t sstat_penddata;
    uint16_t sstat_instrms; uint16_t sstat_outstrms;
    uint32_t sstat_fragmentation_point; struct sctp_paddrinfo sstat_primary;
    ...;
};
struct sctp_udpencaps {
    struct sockaddr_storage sue_address; uint32_t sue_assoc_id;
    uint16_t sue_port; ...;
};
struct sctp_default_prinfo {
    uint16_t pr_policy; uint32_t pr_value; sctp_assoc_t pr_assoc_id; ...;
};
struct sctp_assoc_ids { uint32_t gaids_number_of_ids; ...; };

struct sctp_timeval { uint32_t tv_sec; uint32_t tv_usec; };
struct sctpstat {
    uint32_t sctps_currestab; uint32_t sctps_activeestab;
    uint32_t sctps_passiveestab; uint32_t sctps_aborted;
    uint32_t sctps_shutdown; uint32_t sctps_outoftheblue;
    uint32_t sctps_checksumerrors; uint32_t sctps_recvpackets;
    uint32_t sctps_recvdatagrams; uint32_t sctps_recvswcrc;
    uint32_t sctps_recvhwcrc; uint32_t sctps_sendpackets;
    uint32_t sctps_sendswcrc; uint32_t sctps_sendhwcrc;
    uint32_t sctps_timodata; uint32_t sctps_timoinit;
    uint32_t sctps_timosack; uint32_t sctps_timoshutdown;
    uint32_t sctps_timoheartbeat; uint32_t sctps_timocookie;
    uint32_t sctps_timosecret; uint32_t sctps_timoassockill;
    uint32_t sctps_timoiterator;
    uint32_t sctps_timoinpkill; uint32_t sctps_hdrops;
    uint32_t sctps_badsum; uint32_t sctps_noport; uint32_t sctps_badvtag;
    uint32_t sctps_nomem;
    ...;
};

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
struct txu_outrec { uintptr_t peer; uint32_t len; };
struct txu_unknown {
    uint32_t len; uint32_t addrlen; struct sockaddr_storage addr;
};
struct txu_addr {
    int family; uint16_t port; uintptr_t conn; struct sockaddr_storage ip;
};
struct txu_stats {
    uint64_t queued_packets; uint64_t queued_bytes; uint64_t sent_packets;
    uint64_t send_errors; uint64_t dropped_dead_peer;
    uint64_t dropped_queue_full; uint64_t received_datagrams;
    uint64_t unknown_datagrams; uint64_t unknown_dropped;
    uint64_t foreign_thread_outputs; uint64_t upcalls;
    int last_send_errno; uint32_t queue_len; uint32_t queue_bytes;
    uint32_t peers; uint32_t sockets;
};
struct txu_sock;
"""

FUNCTIONS = r"""
int usrsctp_setsockopt(struct socket *so, int level, int option_name,
                       const void *option_value, socklen_t option_len);
int usrsctp_getsockopt(struct socket *so, int level, int option_name,
                       void *option_value, socklen_t *option_len);
int usrsctp_listen(struct socket *so, int backlog);
int usrsctp_shutdown(struct socket *so, int how);
int usrsctp_get_events(struct socket *so);
void usrsctp_get_stat(struct sctpstat *);
uint32_t usrsctp_crc32c(void *, size_t);
char *usrsctp_dumppacket(const void *, size_t, int);
void usrsctp_freedumpbuffer(char *);
int usrsctp_sysctl_set_sctp_blackhole(uint32_t value);
int usrsctp_sysctl_set_sctp_default_ss_module(uint32_t value);
uint32_t usrsctp_sysctl_get_sctp_blackhole(void);
uint32_t usrsctp_sysctl_get_sctp_sendspace(void);
uint32_t usrsctp_sysctl_get_sctp_recvspace(void);
uint32_t usrsctp_sysctl_get_sctp_rto_min_default(void);
uint32_t usrsctp_sysctl_get_sctp_rto_max_default(void);
uint32_t usrsctp_sysctl_get_sctp_rto_initial_default(void);
uint32_t usrsctp_sysctl_get_sctp_delayed_sack_time_default(void);
uint32_t usrsctp_sysctl_get_sctp_heartbeat_interval_default(void);
uint32_t usrsctp_sysctl_get_sctp_secret_lifetime_default(void);
uint32_t usrsctp_sysctl_get_sctp_valid_cookie_life_default(void);
uint32_t usrsctp_sysctl_get_sctp_shutdown_guard_time_default(void);
uint32_t usrsctp_sysctl_get_sctp_assoc_rtx_max_default(void);
uint32_t usrsctp_sysctl_get_sctp_init_rtx_max_default(void);

int txu_init(void);
int txu_initialized(void);
void txu_get_stats(struct txu_stats *out);

uintptr_t txu_peer_add(int fd, const void *addr, socklen_t addrlen);
uintptr_t txu_peer_find(int fd, const void *addr, socklen_t addrlen);
int txu_peer_remove(uintptr_t id);
int txu_peer_get(uintptr_t id, int *fd, struct sockaddr_storage *addr,
                 socklen_t *addrlen, uint64_t *packets_in,
                 uint64_t *packets_out, double *last_activity);
int txu_peer_list(uintptr_t *out, unsigned max);
int txu_peer_local(uintptr_t id, struct sockaddr_storage *out,
                   socklen_t *outlen);

int txu_conninput(uintptr_t id, const char *data, size_t len);
int txu_udp_receive(int fd, unsigned max, char *unknown_buf,
                    size_t unknown_cap, struct txu_unknown *unknown,
                    unsigned unknown_max, unsigned *nunknown);
int txu_flush(int *blocked_fd);
int txu_take_output(char *dst, size_t cap, struct txu_outrec *recs,
                    unsigned max, size_t *total);
int txu_handle_timers(uint32_t elapsed_ms);

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
int txu_map_addr(uintptr_t conn, uint16_t port, struct sockaddr_storage *out,
                 socklen_t *outlen);
const char *txu_build_digest(void);
"""

CUSTOMIZATIONS = r"""
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
#define TXU_MAX_BATCH 64
/* Sockets one txu_collect reports at most (the rest stay marked). */
#define TXU_COLLECT_MAX 4096
/* A conn-address handle is (generation << TXU_SLOT_BITS) | (slot + 1):
   usrsctp only compares and hands back these values, and the slot table
   turns one into its peer without a hash lookup; a stale handle (its peer
   removed) never matches the slot's current generation. */
#define TXU_SLOT_BITS 24
#define TXU_SLOT_MASK ((1u << TXU_SLOT_BITS) - 1)
#define TXU_ERR_UNKNOWN_PEER (-2)
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
struct txu_outrec { uintptr_t peer; uint32_t len; };
struct txu_unknown {
    uint32_t len;
    uint32_t addrlen;
    struct sockaddr_storage addr;
};
struct txu_addr {
    int family;
    uint16_t port;
    uintptr_t conn;
    struct sockaddr_storage ip;
};
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

/* ---------------------------------------------------------------- state */

/* One lock for the queues and tables that conn_output and the upcall
   touch.  Every usrsctp entry point runs on the owner thread, but usrsctp
   0.9.5 starts an iterator thread even with usrsctp_init_nothreads, and
   the lock keeps them sound should that thread ever reach conn_output or
   an upcall.  No usrsctp function is called with it held. */
static pthread_mutex_t txu_lock = PTHREAD_MUTEX_INITIALIZER;
static int txu_ready_state;
static pthread_t txu_owner;
static struct txu_stats txu_st;

static void txu_wake_blocked(void);

static double txu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---------------------------------------------------------------- peers */

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

/* --------------------------------------------------------- packets out */

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

/* -------------------------------------------------------------- sockets */

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

void txu_get_stats(struct txu_stats *out)
{
    pthread_mutex_lock(&txu_lock);
    txu_st.queue_len = txu_q_len;
    txu_st.queue_bytes = (uint32_t)(txu_qbuf_used);
    *out = txu_st;
    pthread_mutex_unlock(&txu_lock);
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


def sourceDigest(path: str = __file__) -> str:
    """
    The SHA-256 (hex) of the build script at C{path}: what the compiled
    module records, and what L{txsctp._usrsctp} checks it against.
    """
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _digestSource() -> str:
    digest = sourceDigest(os.path.abspath(__file__))
    return (f'#define TXU_BUILD_DIGEST "{digest}"\n'
            "const char *txu_build_digest(void) { return TXU_BUILD_DIGEST; }\n")


def _pkgConfig(*args: str) -> list:
    """
    C{pkg-config usrsctp} output split into words (empty where pkg-config
    is missing or says nothing).
    """
    if shutil.which("pkg-config") is None:
        return []
    try:
        out = subprocess.run(["pkg-config", *args, "usrsctp"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return out.split()


def available() -> bool:
    """
    C{True} if C{pkg-config} knows usrsctp (setup.py builds this module
    only then).
    """
    if shutil.which("pkg-config") is None:
        return False
    return subprocess.run(["pkg-config", "--exists", "usrsctp"]).returncode == 0


def _flags() -> Tuple[List[str], List[Tuple[str, Optional[str]]], List[str], List[str]]:
    cflags = _pkgConfig("--cflags")
    libs = _pkgConfig("--libs") or ["-lusrsctp"]
    includeDirs = [f[2:] for f in cflags if f.startswith("-I")]
    macros: List[Tuple[str, Optional[str]]] = []
    for f in cflags:
        if f.startswith("-D"):
            name, _, value = f[2:].partition("=")
            macros.append((name, value or None))
    libraries = [f[2:] for f in libs if f.startswith("-l")]
    libraryDirs = [f[2:] for f in libs if f.startswith("-L")]
    return includeDirs, macros, libraries, libraryDirs


def _constantDeclarations() -> str:
    return "\n".join(f"#define {name} ..." for name in _INT_CONSTANTS)


_includeDirs, _macros, _libraries, _libraryDirs = _flags()

ffibuilder = FFI()
ffibuilder.cdef(TYPES + _constantDeclarations() + "\n" + FUNCTIONS)
ffibuilder.set_source(
    "txsctp._usrsctp_cffi",
    INCLUDES + CUSTOMIZATIONS + _digestSource(),
    include_dirs=_includeDirs,
    define_macros=_macros,
    libraries=_libraries or ["usrsctp"],
    library_dirs=_libraryDirs,
    extra_compile_args=["-O2", "-Wall", "-Wno-unused-function", "-Wno-unused-label"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
