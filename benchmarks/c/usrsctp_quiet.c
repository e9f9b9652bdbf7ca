/* Preloaded into usrsctp's tsctp by benchmarks/contenders/tsctp.py.
   Debian builds usrsctp with its debug output compiled in and tsctp asks
   for all of it (usrsctp_sysctl_set_sctp_debug_on(SCTP_DEBUG_ALL)), which
   prints every chunk to stdout and bounds tsctp at a fraction of its
   speed.  This makes that request a no-op: tsctp otherwise runs as
   packaged. */
void usrsctp_sysctl_set_sctp_debug_on(unsigned int value)
{
    (void)value;
}
