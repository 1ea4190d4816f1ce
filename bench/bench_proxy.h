/*
 * bench_proxy.h: the PROXY protocol header evecho-bench sends first on
 * each connection with --proxy, to load a server's ",proxy" listener.
 */
#ifndef EVECHO_BENCH_PROXY_H
#define EVECHO_BENCH_PROXY_H

#include <stddef.h>

#define BENCH_PROXY_MAX		232	/* the longest header it writes:
					   version 2 with two socket paths */

int	bench_proxy_header(int, int, unsigned char *, size_t);

#endif /* EVECHO_BENCH_PROXY_H */
