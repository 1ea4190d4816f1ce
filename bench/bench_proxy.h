/*
 * bench_proxy.h: the PROXY protocol header evecho-bench sends first on
 * each connection with --proxy, to load a server's ",proxy" listener.
 */
#ifndef EVECHO_BENCH_PROXY_H
#define EVECHO_BENCH_PROXY_H

#include <stddef.h>

#define BENCH_PROXY_MAX		108	/* the longest header it writes */

int	bench_proxy_header(int, int, unsigned char *, size_t);

#endif /* EVECHO_BENCH_PROXY_H */
