"""
cffi build script for L{txsctp._sctp_cffi}: the one place where the C types,
constants and functions txsctp uses from the kernel SCTP API are declared.

Out-of-line API mode: the extension is compiled against the system's real
C{<netinet/sctp.h>} (Debian: C{libsctp-dev}) and C{<linux/sctp.h>}.  Every
struct is declared partially (C{...;}) so the compiler, not this file, decides
layouts.  Nothing here links against C{libsctp.so}: all SCTP calls go through
plain C{setsockopt}/C{getsockopt}/C{sendmsg}/C{recvmsg} (and their batched
C{sendmmsg}/C{recvmmsg} forms), so the built module has no run-time
dependency beyond libc.

Layout of this file, after pyca/cryptography's old C{_cffi_src}:
  - C{INCLUDES}: the C headers.
  - C{TYPES}: structs, typedefs and integer constants.
  - C{FUNCTIONS}: libc functions and txsctp's own C helpers.
  - C{CUSTOMIZATIONS}: the C helpers' source.

The module also records the SHA-256 of this file (L{sourceDigest}), which
L{txsctp._extension} compares with the file installed next to it at import:
a checkout whose declarations changed without a rebuild fails there, with
the rebuild command, instead of deep inside with a missing symbol.
"""

import hashlib
import os

from cffi import FFI

INCLUDES = """
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netinet/sctp.h>
"""

_INT_CONSTANTS = """
    SOL_SCTP IPPROTO_SCTP MSG_NOTIFICATION MSG_EOR MSG_TRUNC MSG_CTRUNC
    MSG_DONTWAIT MSG_NOSIGNAL MSG_PEEK MSG_WAITALL
    AF_INET AF_INET6 SOCK_STREAM SOCK_SEQPACKET SOCK_NONBLOCK SOCK_CLOEXEC
    SCTP_FUTURE_ASSOC SCTP_CURRENT_ASSOC SCTP_ALL_ASSOC
    SCTP_RTOINFO SCTP_ASSOCINFO SCTP_INITMSG SCTP_NODELAY SCTP_AUTOCLOSE
    SCTP_SET_PEER_PRIMARY_ADDR SCTP_PRIMARY_ADDR SCTP_ADAPTATION_LAYER
    SCTP_DISABLE_FRAGMENTS SCTP_PEER_ADDR_PARAMS SCTP_DEFAULT_SEND_PARAM
    SCTP_EVENTS SCTP_I_WANT_MAPPED_V4_ADDR SCTP_MAXSEG SCTP_STATUS
    SCTP_GET_PEER_ADDR_INFO SCTP_DELAYED_SACK SCTP_CONTEXT
    SCTP_FRAGMENT_INTERLEAVE SCTP_PARTIAL_DELIVERY_POINT SCTP_MAX_BURST
    SCTP_AUTH_CHUNK SCTP_HMAC_IDENT SCTP_AUTH_KEY SCTP_AUTH_ACTIVE_KEY
    SCTP_AUTH_DELETE_KEY SCTP_PEER_AUTH_CHUNKS SCTP_LOCAL_AUTH_CHUNKS
    SCTP_GET_ASSOC_NUMBER SCTP_GET_ASSOC_ID_LIST SCTP_AUTO_ASCONF
    SCTP_PEER_ADDR_THLDS SCTP_RECVRCVINFO SCTP_RECVNXTINFO
    SCTP_DEFAULT_SNDINFO SCTP_AUTH_DEACTIVATE_KEY SCTP_REUSE_PORT
    SCTP_PEER_ADDR_THLDS_V2
    SCTP_SOCKOPT_BINDX_ADD SCTP_SOCKOPT_BINDX_REM SCTP_SOCKOPT_PEELOFF
    SCTP_GET_PEER_ADDRS SCTP_GET_LOCAL_ADDRS SCTP_SOCKOPT_CONNECTX
    SCTP_SOCKOPT_CONNECTX3 SCTP_GET_ASSOC_STATS SCTP_PR_SUPPORTED
    SCTP_DEFAULT_PRINFO SCTP_PR_ASSOC_STATUS SCTP_PR_STREAM_STATUS
    SCTP_RECONFIG_SUPPORTED SCTP_ENABLE_STREAM_RESET SCTP_RESET_STREAMS
    SCTP_RESET_ASSOC SCTP_ADD_STREAMS SCTP_SOCKOPT_PEELOFF_FLAGS
    SCTP_STREAM_SCHEDULER SCTP_STREAM_SCHEDULER_VALUE
    SCTP_INTERLEAVING_SUPPORTED SCTP_SENDMSG_CONNECT SCTP_EVENT
    SCTP_ASCONF_SUPPORTED SCTP_AUTH_SUPPORTED SCTP_ECN_SUPPORTED
    SCTP_EXPOSE_POTENTIALLY_FAILED_STATE
    SCTP_PR_SCTP_NONE SCTP_PR_SCTP_TTL SCTP_PR_SCTP_RTX SCTP_PR_SCTP_PRIO
    SCTP_ENABLE_RESET_STREAM_REQ SCTP_ENABLE_RESET_ASSOC_REQ
    SCTP_ENABLE_CHANGE_ASSOC_REQ SCTP_STREAM_RESET_INCOMING
    SCTP_STREAM_RESET_OUTGOING
    SCTP_UNORDERED SCTP_ADDR_OVER SCTP_ABORT SCTP_SACK_IMMEDIATELY
    SCTP_SENDALL SCTP_EOF SCTP_NOTIFICATION
    SCTP_INIT SCTP_SNDRCV SCTP_SNDINFO SCTP_RCVINFO SCTP_NXTINFO SCTP_PRINFO
    SCTP_AUTHINFO SCTP_DSTADDRV4 SCTP_DSTADDRV6
    SCTP_COMM_UP SCTP_COMM_LOST SCTP_RESTART SCTP_SHUTDOWN_COMP
    SCTP_CANT_STR_ASSOC
    SCTP_ADDR_AVAILABLE SCTP_ADDR_UNREACHABLE SCTP_ADDR_REMOVED
    SCTP_ADDR_ADDED SCTP_ADDR_MADE_PRIM SCTP_ADDR_CONFIRMED
    SCTP_ADDR_POTENTIALLY_FAILED
    SCTP_DATA_UNSENT SCTP_DATA_SENT SCTP_PARTIAL_DELIVERY_ABORTED
    SCTP_AUTH_NEW_KEY SCTP_AUTH_FREE_KEY SCTP_AUTH_NO_AUTH
    SCTP_STREAM_RESET_INCOMING_SSN SCTP_STREAM_RESET_OUTGOING_SSN
    SCTP_STREAM_RESET_DENIED SCTP_STREAM_RESET_FAILED
    SCTP_ASSOC_RESET_DENIED SCTP_ASSOC_RESET_FAILED
    SCTP_ASSOC_CHANGE_DENIED SCTP_ASSOC_CHANGE_FAILED
    SCTP_SN_TYPE_BASE SCTP_DATA_IO_EVENT SCTP_ASSOC_CHANGE
    SCTP_PEER_ADDR_CHANGE SCTP_SEND_FAILED SCTP_REMOTE_ERROR
    SCTP_SHUTDOWN_EVENT SCTP_PARTIAL_DELIVERY_EVENT
    SCTP_ADAPTATION_INDICATION SCTP_AUTHENTICATION_EVENT
    SCTP_SENDER_DRY_EVENT SCTP_STREAM_RESET_EVENT SCTP_ASSOC_RESET_EVENT
    SCTP_STREAM_CHANGE_EVENT SCTP_SEND_FAILED_EVENT SCTP_SN_TYPE_MAX
    SCTP_FAILED_THRESHOLD SCTP_RECEIVED_SACK SCTP_HEARTBEAT_SUCCESS
    SCTP_RESPONSE_TO_USER_REQ SCTP_INTERNAL_ERROR
    SCTP_SHUTDOWN_GUARD_EXPIRES SCTP_PEER_FAULTY
    SPP_HB_ENABLE SPP_HB_DISABLE SPP_HB_DEMAND SPP_PMTUD_ENABLE
    SPP_PMTUD_DISABLE SPP_SACKDELAY_ENABLE SPP_SACKDELAY_DISABLE
    SPP_HB_TIME_IS_ZERO SPP_IPV6_FLOWLABEL SPP_DSCP
    SCTP_AUTH_HMAC_ID_SHA1 SCTP_AUTH_HMAC_ID_SHA256
    SCTP_INACTIVE SCTP_PF SCTP_ACTIVE SCTP_UNCONFIRMED SCTP_UNKNOWN
    SCTP_EMPTY SCTP_CLOSED SCTP_COOKIE_WAIT SCTP_COOKIE_ECHOED
    SCTP_ESTABLISHED SCTP_SHUTDOWN_PENDING SCTP_SHUTDOWN_SENT
    SCTP_SHUTDOWN_RECEIVED SCTP_SHUTDOWN_ACK_SENT
    SCTP_BINDX_ADD_ADDR SCTP_BINDX_REM_ADDR
    SCTP_SS_FCFS SCTP_SS_PRIO SCTP_SS_RR
    TXSCTP_OFF_SAC_INFO TXSCTP_OFF_SRE_DATA TXSCTP_OFF_SSF_DATA
    TXSCTP_OFF_SSFE_DATA TXSCTP_OFF_STRRESET_LIST TXSCTP_OFF_GETADDRS_ADDRS
    TXSCTP_OFF_AUTHCHUNKS_CHUNKS TXSCTP_OFF_AUTHKEY_KEY
    TXSCTP_OFF_RESET_STREAMS_LIST TXSCTP_OFF_HMACALGO_IDENTS
    TXSCTP_OFF_ASSOC_IDS_IDS TXSCTP_CMSG_SPACE_MAX
""".split()

TYPES = """
typedef int... sctp_assoc_t;
typedef unsigned int... socklen_t;
typedef unsigned short... sa_family_t;

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

struct sctp_initmsg {
    uint16_t sinit_num_ostreams; uint16_t sinit_max_instreams;
    uint16_t sinit_max_attempts; uint16_t sinit_max_init_timeo; ...;
};
struct sctp_sndrcvinfo {
    uint16_t sinfo_stream; uint16_t sinfo_ssn; uint16_t sinfo_flags;
    uint32_t sinfo_ppid; uint32_t sinfo_context; uint32_t sinfo_timetolive;
    uint32_t sinfo_tsn; uint32_t sinfo_cumtsn; sctp_assoc_t sinfo_assoc_id;
    ...;
};
struct sctp_sndinfo {
    uint16_t snd_sid; uint16_t snd_flags; uint32_t snd_ppid;
    uint32_t snd_context; sctp_assoc_t snd_assoc_id; ...;
};
struct sctp_rcvinfo {
    uint16_t rcv_sid; uint16_t rcv_ssn; uint16_t rcv_flags;
    uint32_t rcv_ppid; uint32_t rcv_tsn; uint32_t rcv_cumtsn;
    uint32_t rcv_context; sctp_assoc_t rcv_assoc_id; ...;
};
struct sctp_nxtinfo {
    uint16_t nxt_sid; uint16_t nxt_flags; uint32_t nxt_ppid;
    uint32_t nxt_length; sctp_assoc_t nxt_assoc_id; ...;
};
struct sctp_prinfo { uint16_t pr_policy; uint32_t pr_value; ...; };
struct sctp_authinfo { uint16_t auth_keynumber; ...; };

struct sctp_assoc_change {
    uint16_t sac_type; uint16_t sac_flags; uint32_t sac_length;
    uint16_t sac_state; uint16_t sac_error; uint16_t sac_outbound_streams;
    uint16_t sac_inbound_streams; sctp_assoc_t sac_assoc_id; ...;
};
struct sctp_paddr_change {
    uint16_t spc_type; uint16_t spc_flags; uint32_t spc_length;
    struct sockaddr_storage spc_aaddr; int spc_state; int spc_error;
    sctp_assoc_t spc_assoc_id; ...;
};
struct sctp_remote_error {
    uint16_t sre_type; uint16_t sre_flags; uint32_t sre_length;
    uint16_t sre_error; sctp_assoc_t sre_assoc_id; ...;
};
struct sctp_send_failed {
    uint16_t ssf_type; uint16_t ssf_flags; uint32_t ssf_length;
    uint32_t ssf_error; struct sctp_sndrcvinfo ssf_info;
    sctp_assoc_t ssf_assoc_id; ...;
};
struct sctp_send_failed_event {
    uint16_t ssf_type; uint16_t ssf_flags; uint32_t ssf_length;
    uint32_t ssf_error; struct sctp_sndinfo ssfe_info;
    sctp_assoc_t ssf_assoc_id; ...;
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
    uint32_t pdapi_indication; sctp_assoc_t pdapi_assoc_id;
    uint32_t pdapi_stream; uint32_t pdapi_seq; ...;
};
struct sctp_authkey_event {
    uint16_t auth_type; uint16_t auth_flags; uint32_t auth_length;
    uint16_t auth_keynumber; uint16_t auth_altkeynumber;
    uint32_t auth_indication; sctp_assoc_t auth_assoc_id; ...;
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
struct sctp_event_subscribe {
    uint8_t sctp_data_io_event; uint8_t sctp_association_event;
    uint8_t sctp_address_event; uint8_t sctp_send_failure_event;
    uint8_t sctp_peer_error_event; uint8_t sctp_shutdown_event;
    uint8_t sctp_partial_delivery_event; uint8_t sctp_adaptation_layer_event;
    uint8_t sctp_authentication_event; uint8_t sctp_sender_dry_event;
    uint8_t sctp_stream_reset_event; uint8_t sctp_assoc_reset_event;
    uint8_t sctp_stream_change_event; uint8_t sctp_send_failure_event_event;
    ...;
};

struct sctp_rtoinfo {
    sctp_assoc_t srto_assoc_id; uint32_t srto_initial; uint32_t srto_max;
    uint32_t srto_min; ...;
};
struct sctp_assocparams {
    sctp_assoc_t sasoc_assoc_id; uint16_t sasoc_asocmaxrxt;
    uint16_t sasoc_number_peer_destinations; uint32_t sasoc_peer_rwnd;
    uint32_t sasoc_local_rwnd; uint32_t sasoc_cookie_life; ...;
};
struct sctp_setpeerprim {
    sctp_assoc_t sspp_assoc_id; struct sockaddr_storage sspp_addr; ...;
};
struct sctp_prim {
    sctp_assoc_t ssp_assoc_id; struct sockaddr_storage ssp_addr; ...;
};
struct sctp_setadaptation { uint32_t ssb_adaptation_ind; ...; };
struct sctp_paddrparams {
    sctp_assoc_t spp_assoc_id; struct sockaddr_storage spp_address;
    uint32_t spp_hbinterval; uint16_t spp_pathmaxrxt; uint32_t spp_pathmtu;
    uint32_t spp_sackdelay; uint32_t spp_flags; uint32_t spp_ipv6_flowlabel;
    uint8_t spp_dscp; ...;
};
struct sctp_authchunk { uint8_t sauth_chunk; ...; };
struct sctp_hmacalgo { uint32_t shmac_num_idents; ...; };
struct sctp_authkey {
    sctp_assoc_t sca_assoc_id; uint16_t sca_keynumber;
    uint16_t sca_keylength; ...;
};
struct sctp_authkeyid {
    sctp_assoc_t scact_assoc_id; uint16_t scact_keynumber; ...;
};
struct sctp_sack_info {
    sctp_assoc_t sack_assoc_id; uint32_t sack_delay; uint32_t sack_freq;
    ...;
};
struct sctp_assoc_value {
    sctp_assoc_t assoc_id; uint32_t assoc_value; ...;
};
struct sctp_stream_value {
    sctp_assoc_t assoc_id; uint16_t stream_id; uint16_t stream_value; ...;
};
struct sctp_paddrinfo {
    sctp_assoc_t spinfo_assoc_id; struct sockaddr_storage spinfo_address;
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
struct sctp_authchunks {
    sctp_assoc_t gauth_assoc_id; uint32_t gauth_number_of_chunks; ...;
};
struct sctp_assoc_ids { uint32_t gaids_number_of_ids; ...; };
struct sctp_getaddrs_old {
    sctp_assoc_t assoc_id; int addr_num; struct sockaddr *addrs; ...;
};
struct sctp_getaddrs { sctp_assoc_t assoc_id; uint32_t addr_num; ...; };
struct sctp_assoc_stats {
    sctp_assoc_t sas_assoc_id; struct sockaddr_storage sas_obs_rto_ipaddr;
    uint64_t sas_maxrto; uint64_t sas_isacks; uint64_t sas_osacks;
    uint64_t sas_opackets; uint64_t sas_ipackets; uint64_t sas_rtxchunks;
    uint64_t sas_outofseqtsns; uint64_t sas_idupchunks; uint64_t sas_gapcnt;
    uint64_t sas_ouodchunks; uint64_t sas_iuodchunks; uint64_t sas_oodchunks;
    uint64_t sas_iodchunks; uint64_t sas_octrlchunks;
    uint64_t sas_ictrlchunks; ...;
};
typedef struct { sctp_assoc_t associd; int sd; ...; } sctp_peeloff_arg_t;
typedef struct {
    sctp_peeloff_arg_t p_arg; unsigned flags; ...;
} sctp_peeloff_flags_arg_t;
struct sctp_paddrthlds_v2 {
    sctp_assoc_t spt_assoc_id; struct sockaddr_storage spt_address;
    uint16_t spt_pathmaxrxt; uint16_t spt_pathpfthld;
    uint16_t spt_pathcpthld; ...;
};
struct sctp_paddrthlds {
    sctp_assoc_t spt_assoc_id; struct sockaddr_storage spt_address;
    uint16_t spt_pathmaxrxt; uint16_t spt_pathpfthld; ...;
};
struct sctp_prstatus {
    sctp_assoc_t sprstat_assoc_id; uint16_t sprstat_sid;
    uint16_t sprstat_policy; uint64_t sprstat_abandoned_unsent;
    uint64_t sprstat_abandoned_sent; ...;
};
struct sctp_default_prinfo {
    sctp_assoc_t pr_assoc_id; uint32_t pr_value; uint16_t pr_policy; ...;
};
struct sctp_reset_streams {
    sctp_assoc_t srs_assoc_id; uint16_t srs_flags;
    uint16_t srs_number_streams; ...;
};
struct sctp_add_streams {
    sctp_assoc_t sas_assoc_id; uint16_t sas_instrms; uint16_t sas_outstrms;
    ...;
};
struct sctp_event {
    sctp_assoc_t se_assoc_id; uint16_t se_type; uint8_t se_on; ...;
};

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

FUNCTIONS = """
int setsockopt(int, int, int, const void *, socklen_t);
int getsockopt(int, int, int, void *, socklen_t *);
int accept4(int, struct sockaddr *, socklen_t *, int);
int close(int);
int inet_pton(int, const char *, void *);

/* Number of messages txsctp_recvmany/txsctp_sendmany handle per call. */
#define TXSCTP_MAX_BATCH ...
#define TXSCTP_COMPACT_LIMIT ...

int txsctp_connectx(int fd, const void *addrs, int addrs_size,
                    sctp_assoc_t *assoc_id);
int txsctp_peeloff(int fd, sctp_assoc_t assoc_id, unsigned flags);
int txsctp_recvmany(int fd, char *buf, size_t slot_size, unsigned nslots,
                    struct txsctp_rcv *out, int flags);
int txsctp_recvcompact(int fd, char *buf, size_t slot_size, unsigned nslots,
                       struct txsctp_rcv *out, int flags, size_t *total);
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
void txsctp_adapt_malloc(size_t size);
int txsctp_setopts(int fd, const char *recipe, unsigned n);
const char *txsctp_build_digest(void);
"""

CUSTOMIZATIONS = r"""
#define TXSCTP_OFF_SAC_INFO offsetof(struct sctp_assoc_change, sac_info)
#define TXSCTP_OFF_SRE_DATA offsetof(struct sctp_remote_error, sre_data)
#define TXSCTP_OFF_SSF_DATA offsetof(struct sctp_send_failed, ssf_data)
#define TXSCTP_OFF_SSFE_DATA offsetof(struct sctp_send_failed_event, ssf_data)
#define TXSCTP_OFF_STRRESET_LIST \
    offsetof(struct sctp_stream_reset_event, strreset_stream_list)
#define TXSCTP_OFF_GETADDRS_ADDRS offsetof(struct sctp_getaddrs, addrs)
#define TXSCTP_OFF_AUTHCHUNKS_CHUNKS \
    offsetof(struct sctp_authchunks, gauth_chunks)
#define TXSCTP_OFF_AUTHKEY_KEY offsetof(struct sctp_authkey, sca_key)
#define TXSCTP_OFF_RESET_STREAMS_LIST \
    offsetof(struct sctp_reset_streams, srs_stream_list)
#define TXSCTP_OFF_HMACALGO_IDENTS offsetof(struct sctp_hmacalgo, shmac_idents)
#define TXSCTP_OFF_ASSOC_IDS_IDS offsetof(struct sctp_assoc_ids, gaids_assoc_id)

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

/* connectx that also returns the association id for a non-blocking socket
   (EINPROGRESS), which plain SCTP_SOCKOPT_CONNECTX cannot do. */
static int txsctp_connectx(int fd, const void *addrs, int addrs_size,
                           sctp_assoc_t *assoc_id)
{
    struct sctp_getaddrs_old param;
    socklen_t optlen = sizeof(param);
    int rc, saved;
    memset(&param, 0, sizeof(param));
    param.assoc_id = 0;
    param.addr_num = addrs_size;
    param.addrs = (struct sockaddr *)addrs;
    rc = getsockopt(fd, SOL_SCTP, SCTP_SOCKOPT_CONNECTX3, &param, &optlen);
    saved = errno;
    if (rc == 0 || saved == EINPROGRESS)
        *assoc_id = param.assoc_id;
    errno = saved;
    return rc;
}

static int txsctp_peeloff(int fd, sctp_assoc_t assoc_id, unsigned flags)
{
    sctp_peeloff_flags_arg_t arg;
    socklen_t optlen = sizeof(arg);
    memset(&arg, 0, sizeof(arg));
    arg.p_arg.associd = assoc_id;
    arg.flags = flags;
    if (getsockopt(fd, SOL_SCTP, SCTP_SOCKOPT_PEELOFF_FLAGS, &arg,
                   &optlen) < 0)
        return -1;
    return arg.p_arg.sd;
}

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

/* Write n socket options from a packed recipe, one setsockopt each: every
   entry is three native uint32_t (level, option, value length) and the
   value, padded to a multiple of 4 bytes.  Returns n, or the index of the
   option that failed (errno set). */
static int txsctp_setopts(int fd, const char *recipe, unsigned n)
{
    unsigned i;
    uint32_t head[3];
    for (i = 0; i < n; i++) {
        memcpy(head, recipe, sizeof(head));
        recipe += sizeof(head);
        if (setsockopt(fd, (int)head[0], (int)head[1], recipe,
                       (socklen_t)head[2]) < 0)
            return (int)i;
        recipe += (head[2] + 3u) & ~3u;
    }
    return (int)n;
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


def sourceDigest(path: str = __file__) -> str:
    """
    The SHA-256 (hex) of the build script at C{path}: what the compiled
    module records, and what L{txsctp._extension} checks it against.
    """
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _digestSource() -> str:
    digest = sourceDigest(os.path.abspath(__file__))
    return (f'#define TXSCTP_BUILD_DIGEST "{digest}"\n'
            "const char *txsctp_build_digest(void) { return TXSCTP_BUILD_DIGEST; }\n")


def _constantDeclarations() -> str:
    return "\n".join(f"#define {name} ..." for name in _INT_CONSTANTS)


ffibuilder = FFI()
ffibuilder.cdef(TYPES + _constantDeclarations() + "\n" + FUNCTIONS)
ffibuilder.set_source(
    "txsctp._sctp_cffi",
    INCLUDES + CUSTOMIZATIONS + _digestSource(),
    extra_compile_args=["-O2", "-Wall", "-Wno-unused-function"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
