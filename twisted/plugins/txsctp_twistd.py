"""
Twisted plugin dropin: txsctp's twistd plugins.

- C{twistd sctp-echo --listen sctp:2905}: the reference SCTP echo server
  (L{txsctp.tap}).
- C{twistd sctp-probe --connect sctp:host=192.0.2.1:port=2905}: an SCTP
  link prober reporting RTT, path states and throughput (L{txsctp.probe}).

A C{ServiceMaker} only names its module; nothing is imported until twistd
runs the plugin.
"""

from twisted.application.service import ServiceMaker

sctpEcho = ServiceMaker(
    "txsctp echo server",
    "txsctp.tap",
    "SCTP echo server: sends every message back on its association, stream, "
    "PPID and ordering (the reference peer for interop checks).",
    "sctp-echo",
)

sctpProbe = ServiceMaker(
    "txsctp link prober",
    "txsctp.probe",
    "SCTP link prober: connects to a peer, pings on several streams and "
    "reports RTT, path states and throughput periodically.",
    "sctp-probe",
)
