"""
Build area: usrsctp's own API, as the cffi build of C{txsctp._usrsctp_cffi}
declares it from C{<usrsctp.h>} (see C{txsctp._usrsctp_build}).

The headers every area's C source needs, the address structures (with
usrsctp's C{struct sockaddr_conn}, the AF_CONN address), the RFC 6458
structures of usrsctp's socket options and notifications, its statistics
(C{struct sctpstat}), their constants and the usrsctp functions that
L{txsctp._usrsctp} and L{txsctp._usrsctp_options} call directly.  Structs
are declared partially (C{...;}) so the compiler fixes their layouts.
The values are usrsctp's (FreeBSD's), not Linux's: the sockets area
(C{_usrsctp_build_sockets}) and L{txsctp._usrsctp_values} translate.
No C of txsctp's own.
"""

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
"""

# Integer constants, each declared "#define NAME ..." (the compiler gives
# the value).
CONSTANTS = """
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
""".split()

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
"""

CUSTOMIZATIONS = ""
