/* Callgrind client requests for benchmarks/callgrind.py (loaded with
   ctypes by benchmarks/common.py when BENCH_CALLGRIND is set). */
#include <valgrind/callgrind.h>

void cg_start(void)
{
    CALLGRIND_ZERO_STATS;
    CALLGRIND_START_INSTRUMENTATION;
}

void cg_stop(void)
{
    CALLGRIND_STOP_INSTRUMENTATION;
    CALLGRIND_DUMP_STATS;
}
