"""
Contender: the C program (benchmarks/c/sctp_bench.c, built by
benchmarks/run) -- the plain kernel API, no libsctp: sendmsg/recvmsg with
SCTP_SNDINFO/SCTP_RCVINFO control messages, batched 64 per
sendmmsg/recvmmsg.  The limit to approach, and the other end of every
per-operation count.
"""

import os

from . import C_PROGRAM, Contender, cProgram


def available():
    if os.access(C_PROGRAM, os.X_OK):
        return True, ""
    return False, f"{C_PROGRAM} was not built (benchmarks/run builds it with cc)"


CONTENDERS = [
    Contender(
        key="c", label="C", rank=10,
        workloads=frozenset({"oneway100", "oneway16k", "pingpong", "setup", "fanin"}),
        sides={
            "oneway": (cProgram("oneway100", "server"), cProgram("oneway100", "client")),
            "pingpong": (cProgram("pingpong", "server"), cProgram("pingpong", "client")),
            "setup": (cProgram("setup", "server"), cProgram("setup", "client")),
            "fanin": (cProgram("fanin", "server"), None),
        },
        available=available, measure=frozenset({"send", "recv", "echo", "setup", "syscalls"}),
    ),
]
