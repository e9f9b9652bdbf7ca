"""
Build area: the C library's socket API, as the cffi build of
C{txsctp._sctp_cffi} declares it (see C{txsctp._build}).

The address structures, the few libc calls Python's socket module does not
offer with the signature txsctp needs (C{setsockopt}/C{getsockopt} on raw
buffers, C{accept4}), the message and socket flags, and
C{txsctp_setopts}, which writes a recorded list of socket options in one
call into C.
"""

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
"""

TYPES = """
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
"""

# Integer constants, each declared "#define NAME ..." (the compiler gives
# the value).
CONSTANTS = """
    IPPROTO_SCTP MSG_EOR MSG_TRUNC MSG_CTRUNC MSG_DONTWAIT MSG_NOSIGNAL
    MSG_PEEK MSG_WAITALL AF_INET AF_INET6 SOCK_STREAM SOCK_SEQPACKET
    SOCK_NONBLOCK SOCK_CLOEXEC
""".split()

FUNCTIONS = """
int setsockopt(int, int, int, const void *, socklen_t);
int getsockopt(int, int, int, void *, socklen_t *);
int accept4(int, struct sockaddr *, socklen_t *, int);
int close(int);
int inet_pton(int, const char *, void *);

int txsctp_setopts(int fd, const char *recipe, unsigned n);
"""

CUSTOMIZATIONS = r"""
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
"""
