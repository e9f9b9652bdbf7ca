"""
Build area: the kernel's SCTP socket API (RFC 6458 as Linux implements
it), declared from C{<linux/sctp.h>} alone.

C{<linux/sctp.h>} comes with the kernel's user-space headers (Debian and
Ubuntu: C{linux-libc-dev}, which every C toolchain there already has
through C{libc6-dev}; Fedora and RHEL: C{kernel-headers}).  libsctp's
C{<netinet/sctp.h>} (C{libsctp-dev}) is not used: besides including
C{<linux/sctp.h>} it only declares libsctp's own functions, which txsctp
does not call, and C{SOL_SCTP}, defined below with the same value.

Every structure is declared partially (C{...;}) so that the compiler, not
this file, decides layouts; C{TXSCTP_OFF_*} are the offsets of the
flexible array members cffi cannot declare.  C{txsctp_connectx} and
C{txsctp_peeloff} wrap the two socket options whose argument structures
are awkward to fill from Python.
"""

INCLUDES = """
/* After the C library's socket headers (_build_socket): <linux/sctp.h>
   uses their struct sockaddr_storage, and it does not include
   <linux/in.h>, whose definitions would clash with <netinet/in.h>. */
#include <linux/sctp.h>

/* Only libsctp's <netinet/sctp.h> defines the option level; the kernel
   takes SCTP's protocol number. */
#ifndef SOL_SCTP
#define SOL_SCTP 132
#endif
"""

TYPES = """
typedef int... sctp_assoc_t;

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
struct sctp_udpencaps {
    sctp_assoc_t sue_assoc_id; struct sockaddr_storage sue_address; uint16_t sue_port; ...;
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
"""

# Integer constants, each declared "#define NAME ..." (the compiler gives
# the value).
CONSTANTS = """
    SOL_SCTP MSG_NOTIFICATION SCTP_FUTURE_ASSOC SCTP_CURRENT_ASSOC
    SCTP_ALL_ASSOC SCTP_RTOINFO SCTP_ASSOCINFO SCTP_INITMSG SCTP_NODELAY
    SCTP_AUTOCLOSE SCTP_SET_PEER_PRIMARY_ADDR SCTP_PRIMARY_ADDR
    SCTP_ADAPTATION_LAYER SCTP_DISABLE_FRAGMENTS SCTP_PEER_ADDR_PARAMS
    SCTP_DEFAULT_SEND_PARAM SCTP_EVENTS SCTP_I_WANT_MAPPED_V4_ADDR
    SCTP_MAXSEG SCTP_STATUS SCTP_GET_PEER_ADDR_INFO SCTP_DELAYED_SACK
    SCTP_CONTEXT SCTP_FRAGMENT_INTERLEAVE SCTP_PARTIAL_DELIVERY_POINT
    SCTP_MAX_BURST SCTP_AUTH_CHUNK SCTP_HMAC_IDENT SCTP_AUTH_KEY
    SCTP_AUTH_ACTIVE_KEY SCTP_AUTH_DELETE_KEY SCTP_PEER_AUTH_CHUNKS
    SCTP_LOCAL_AUTH_CHUNKS SCTP_GET_ASSOC_NUMBER SCTP_GET_ASSOC_ID_LIST
    SCTP_AUTO_ASCONF SCTP_PEER_ADDR_THLDS SCTP_RECVRCVINFO SCTP_RECVNXTINFO
    SCTP_DEFAULT_SNDINFO SCTP_AUTH_DEACTIVATE_KEY SCTP_REUSE_PORT
    SCTP_PEER_ADDR_THLDS_V2 SCTP_SOCKOPT_BINDX_ADD SCTP_SOCKOPT_BINDX_REM
    SCTP_SOCKOPT_PEELOFF SCTP_GET_PEER_ADDRS SCTP_GET_LOCAL_ADDRS
    SCTP_SOCKOPT_CONNECTX SCTP_SOCKOPT_CONNECTX3 SCTP_GET_ASSOC_STATS
    SCTP_PR_SUPPORTED SCTP_DEFAULT_PRINFO SCTP_PR_ASSOC_STATUS
    SCTP_PR_STREAM_STATUS SCTP_RECONFIG_SUPPORTED SCTP_ENABLE_STREAM_RESET
    SCTP_RESET_STREAMS SCTP_RESET_ASSOC SCTP_ADD_STREAMS
    SCTP_SOCKOPT_PEELOFF_FLAGS SCTP_STREAM_SCHEDULER
    SCTP_STREAM_SCHEDULER_VALUE SCTP_INTERLEAVING_SUPPORTED
    SCTP_SENDMSG_CONNECT SCTP_EVENT SCTP_ASCONF_SUPPORTED
    SCTP_AUTH_SUPPORTED SCTP_ECN_SUPPORTED
    SCTP_EXPOSE_POTENTIALLY_FAILED_STATE SCTP_REMOTE_UDP_ENCAPS_PORT SCTP_PR_SCTP_NONE SCTP_PR_SCTP_TTL
    SCTP_PR_SCTP_RTX SCTP_PR_SCTP_PRIO SCTP_ENABLE_RESET_STREAM_REQ
    SCTP_ENABLE_RESET_ASSOC_REQ SCTP_ENABLE_CHANGE_ASSOC_REQ
    SCTP_STREAM_RESET_INCOMING SCTP_STREAM_RESET_OUTGOING SCTP_UNORDERED
    SCTP_ADDR_OVER SCTP_ABORT SCTP_SACK_IMMEDIATELY SCTP_SENDALL SCTP_EOF
    SCTP_NOTIFICATION SCTP_INIT SCTP_SNDRCV SCTP_SNDINFO SCTP_RCVINFO
    SCTP_NXTINFO SCTP_PRINFO SCTP_AUTHINFO SCTP_DSTADDRV4 SCTP_DSTADDRV6
    SCTP_COMM_UP SCTP_COMM_LOST SCTP_RESTART SCTP_SHUTDOWN_COMP
    SCTP_CANT_STR_ASSOC SCTP_ADDR_AVAILABLE SCTP_ADDR_UNREACHABLE
    SCTP_ADDR_REMOVED SCTP_ADDR_ADDED SCTP_ADDR_MADE_PRIM
    SCTP_ADDR_CONFIRMED SCTP_ADDR_POTENTIALLY_FAILED SCTP_DATA_UNSENT
    SCTP_DATA_SENT SCTP_PARTIAL_DELIVERY_ABORTED SCTP_AUTH_NEW_KEY
    SCTP_AUTH_FREE_KEY SCTP_AUTH_NO_AUTH SCTP_STREAM_RESET_INCOMING_SSN
    SCTP_STREAM_RESET_OUTGOING_SSN SCTP_STREAM_RESET_DENIED
    SCTP_STREAM_RESET_FAILED SCTP_ASSOC_RESET_DENIED
    SCTP_ASSOC_RESET_FAILED SCTP_ASSOC_CHANGE_DENIED
    SCTP_ASSOC_CHANGE_FAILED SCTP_SN_TYPE_BASE SCTP_DATA_IO_EVENT
    SCTP_ASSOC_CHANGE SCTP_PEER_ADDR_CHANGE SCTP_SEND_FAILED
    SCTP_REMOTE_ERROR SCTP_SHUTDOWN_EVENT SCTP_PARTIAL_DELIVERY_EVENT
    SCTP_ADAPTATION_INDICATION SCTP_AUTHENTICATION_EVENT
    SCTP_SENDER_DRY_EVENT SCTP_STREAM_RESET_EVENT SCTP_ASSOC_RESET_EVENT
    SCTP_STREAM_CHANGE_EVENT SCTP_SEND_FAILED_EVENT SCTP_SN_TYPE_MAX
    SCTP_FAILED_THRESHOLD SCTP_RECEIVED_SACK SCTP_HEARTBEAT_SUCCESS
    SCTP_RESPONSE_TO_USER_REQ SCTP_INTERNAL_ERROR
    SCTP_SHUTDOWN_GUARD_EXPIRES SCTP_PEER_FAULTY SPP_HB_ENABLE
    SPP_HB_DISABLE SPP_HB_DEMAND SPP_PMTUD_ENABLE SPP_PMTUD_DISABLE
    SPP_SACKDELAY_ENABLE SPP_SACKDELAY_DISABLE SPP_HB_TIME_IS_ZERO
    SPP_IPV6_FLOWLABEL SPP_DSCP SCTP_AUTH_HMAC_ID_SHA1
    SCTP_AUTH_HMAC_ID_SHA256 SCTP_INACTIVE SCTP_PF SCTP_ACTIVE
    SCTP_UNCONFIRMED SCTP_UNKNOWN SCTP_EMPTY SCTP_CLOSED SCTP_COOKIE_WAIT
    SCTP_COOKIE_ECHOED SCTP_ESTABLISHED SCTP_SHUTDOWN_PENDING
    SCTP_SHUTDOWN_SENT SCTP_SHUTDOWN_RECEIVED SCTP_SHUTDOWN_ACK_SENT
    SCTP_BINDX_ADD_ADDR SCTP_BINDX_REM_ADDR SCTP_SS_FCFS SCTP_SS_PRIO
    SCTP_SS_RR TXSCTP_OFF_SAC_INFO TXSCTP_OFF_SRE_DATA TXSCTP_OFF_SSF_DATA
    TXSCTP_OFF_SSFE_DATA TXSCTP_OFF_STRRESET_LIST TXSCTP_OFF_GETADDRS_ADDRS
    TXSCTP_OFF_AUTHCHUNKS_CHUNKS TXSCTP_OFF_AUTHKEY_KEY
    TXSCTP_OFF_RESET_STREAMS_LIST TXSCTP_OFF_HMACALGO_IDENTS
    TXSCTP_OFF_ASSOC_IDS_IDS
""".split()

FUNCTIONS = """
int txsctp_connectx(int fd, const void *addrs, int addrs_size,
                    sctp_assoc_t *assoc_id);
int txsctp_peeloff(int fd, sctp_assoc_t assoc_id, unsigned flags);
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
"""
