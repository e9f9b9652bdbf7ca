"""
The contenders.  Each Python contender is a module with the same functions,
each run in a forked child process and reporting through an L{Out}:

    oneway_recv(out, settings, size)
    oneway_send(out, settings, port, size, duration, count)
    pp_server(out, settings)
    pp_client(out, settings, port, size, duration, count)
    setup_server(out, settings)
    setup_client(out, settings, port, duration)
    fanin_recv(out, settings, size, assocs)          (SCTP contenders)

and ``available()`` returning C{(True, "")} or C{(False, reason)}.  A
workload a contender does not implement is left out of its row.
"""
