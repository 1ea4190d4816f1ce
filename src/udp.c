/*
 * udp.c: the udp: listeners' sockets, and the echo of datagrams on the
 * workers' event loops.  Design and limits: see udp.h.
 *
 * Each datagram is judged in turn: a guarded source (udpguard.c) is never
 * answered; a datagram larger than the buffer arrives cut (MSG_TRUNC)
 * and is dropped, since an echo must be whole; a host over --udp-rate
 * (ratelimit.c) is dropped; the rest are echoed, upper-cased with -U,
 * an empty datagram by an empty one.  Refusals are counted by reason and
 * logged once per flood (struct log_flood).  recvmmsg() and sendmmsg()
 * are Linux's (and the BSDs'); libevent has no batch call of its own.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#ifdef __linux__
#include <netinet/udp.h>	/* UDP_SEGMENT */
#include <linux/filter.h>	/* SO_ATTACH_REUSEPORT_CBPF */
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "addr.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "net.h"
#include "ratelimit.h"
#include "stats.h"
#include "transform.h"
#include "udp.h"
#include "udpguard.h"
#include "worker.h"

/* One bound socket, served by one worker. */
struct udp_sock {
	int			 fd;		/* -1 once closed */
	struct event		 ev;
	int			 ev_added;
	struct udp_worker	*uw;		/* who serves it */
	int			 family;
	unsigned		 port;		/* bound to */
	int			 steered;	/* its group goes by host */
	int			 gso;		/* the kernel has UDP_SEGMENT */
	char			 name[ADDR_STRLEN + 4];	/* "udp:..." */
};

/* A worker's UDP state, touched by its thread only. */
struct udp_worker {
	struct udp_set		*set;
	struct stats		*stats;		/* the worker's */
	int			 uppercase;	/* -U */
	unsigned long		 rate;		/* --udp-rate; 0: none */
	struct ratelimit	*rl;		/* NULL without a rate */
	struct log_flood	 refusals;
	struct log_flood	 errors;
	unsigned char		*bufs;		/* UDP_BATCH of UDP_BUF */
	struct mmsghdr		 in[UDP_BATCH];
	struct iovec		 in_iov[UDP_BATCH];
	struct sockaddr_storage	 from[UDP_BATCH];
	unsigned char		 keep[UDP_BATCH];
	struct udp_plan		 plan;		/* the batch's echoes */
};

/* What udp_open() needs to add each socket. */
struct udp_take_ctx {
	struct udp_set	*set;
};

static int	udp_take(int, void *, char *, size_t);
static int	udp_steer(int, int, unsigned);
static int	udp_has_gso(int);
static void	udp_log_group(const struct udp_sock *, const struct udp_plan *,
		    unsigned);
static void	udp_read_cb(evutil_socket_t, short, void *);
static void	udp_echo_batch(struct udp_sock *, unsigned);
static void	udp_send(struct udp_sock *);
static void	udp_refused(struct udp_sock *, enum stats_udp_refusal,
		    const struct sockaddr *, const char *);
static void	udp_close(struct udp_sock *);

/* Sockets per udp: address for n workers: one each if they can share. */
unsigned
udp_sockets_per_address(unsigned nworkers)
{
#ifdef SO_REUSEPORT
	return (nworkers > 0 ? nworkers : 1);
#else
	(void)nworkers;
	return (1);
#endif
}

/*
 * Bind per_addr sockets to every address of a udp: spec (net_udp_spec).
 * Nothing is read until udp_attach().  EX_OK, or the exit status, err set.
 */
int
udp_open(struct udp_set *set, const struct addr_spec *spec,
    unsigned per_addr, char *err, size_t errlen)
{
	struct udp_take_ctx	 ctx = { set };
	size_t			 i, first = set->nsocks;
	int			 status;

	set->per_addr = per_addr;
	if ((status = net_udp_spec(spec, per_addr, udp_take, &ctx, err,
	    errlen)) != EX_OK || per_addr < 2)
		return (status);
	for (i = first; i < set->nsocks; i += per_addr) {
		if ((set->socks[i].steered = udp_steer(set->socks[i].fd,
		    set->socks[i].family, per_addr)) == -1) {
			snprintf(err, errlen, "cannot steer %s by host: %s",
			    set->socks[i].name, strerror(errno));
			return (EX_OSERR);
		}
	}
	return (EX_OK);
}

/*
 * With a socket per worker, the kernel's own choice (a hash of address
 * and port) would let one host, sending from n ports, use n workers'
 * rate tables.  A classic BPF program, attached to the first socket of
 * the group, picks the socket by the source host instead: the IPv4
 * address, or the IPv6 /64, modulo n.  1 if attached, 0 where the
 * system has no such program (then the kernel's hash), -1 on failure.
 */
static int
udp_steer(int fd, int family, unsigned n)
{
#if defined(__linux__) && defined(SO_ATTACH_REUSEPORT_CBPF)
	struct sock_filter v4[] = {
		/* A = the source address, in the IPv4 header */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 12),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter v6[] = {
		/* A = the two words of the source's /64, xored */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 8),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 12),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog	 prog;

	memset(&prog, 0, sizeof prog);	/* its padding goes to the kernel */
	if (family == AF_INET6) {
		prog.len = sizeof v6 / sizeof v6[0];
		prog.filter = v6;
	} else {
		prog.len = sizeof v4 / sizeof v4[0];
		prog.filter = v4;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
	    sizeof prog) == -1)
		return (errno == ENOPROTOOPT || errno == EINVAL ? 0 : -1);
	return (1);
#else
	(void)fd;
	(void)family;
	(void)n;
	return (0);
#endif
}

/* net_udp_spec() hands over each bound socket: keep it, named. */
static int
udp_take(int fd, void *arg, char *err, size_t errlen)
{
	struct udp_take_ctx	*ctx = arg;
	struct udp_set		*set = ctx->set;
	struct udp_sock		*grown, *us;
	struct sockaddr_storage	 ss;
	char			 name[ADDR_STRLEN];

	if (net_local_addr(fd, &ss) == -1) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		close(fd);
		return (-1);
	}
	grown = reallocarray(set->socks, set->nsocks + 1, sizeof *grown);
	if (grown == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return (-1);
	}
	set->socks = grown;
	us = &set->socks[set->nsocks++];
	memset(us, 0, sizeof *us);
	us->fd = fd;
	us->gso = udp_has_gso(fd);
	us->family = ss.ss_family;
	us->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(us->name, sizeof us->name, "udp:%s",
	    addr_format((struct sockaddr *)&ss, name, sizeof name));
	return (0);
}

/*
 * Give the sockets to the workers, the k-th of each address to worker k,
 * and start reading them on the workers' loops (before any worker thread
 * runs).  0, or -1 with err set.
 */
int
udp_attach(struct udp_set *set, struct worker *workers, unsigned nworkers,
    const struct config *cfg, char *err, size_t errlen)
{
	struct udp_worker	*uw;
	struct udp_sock		*us;
	struct worker		*w;
	size_t			 i;
	unsigned		 k;

	if (set->nsocks == 0)
		return (0);
	if ((set->workers = calloc(nworkers, sizeof *set->workers)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	set->nworkers = nworkers;
	for (i = 0; i < set->nsocks; i++) {
		us = &set->socks[i];
		k = (unsigned)(i % set->per_addr) % nworkers;
		w = &workers[k];
		uw = &set->workers[k];
		if (uw->set == NULL) {
			uw->set = set;
			uw->stats = &w->stats;
			uw->uppercase = cfg->uppercase;
			uw->rate = cfg->udp_rate;
			if ((uw->bufs = malloc((size_t)UDP_BATCH *
			    UDP_BUF)) == NULL || (cfg->udp_rate > 0 &&
			    (uw->rl = ratelimit_new(cfg->udp_rate)) == NULL)) {
				snprintf(err, errlen, "cannot set up UDP for "
				    "worker %u: out of memory", k);
				return (-1);
			}
			w->udp = uw;
		}
		us->uw = uw;
		if (event_assign(&us->ev, w->base, us->fd, EV_READ | EV_PERSIST,
		    udp_read_cb, us) == -1 || event_add(&us->ev, NULL) == -1) {
			snprintf(err, errlen, "cannot watch %s", us->name);
			return (-1);
		}
		us->ev_added = 1;
	}
	return (0);
}

/* "listening on udp:127.0.0.1:7", once per address, for the log. */
void
udp_log_listening(const struct udp_set *set)
{
	size_t	 i;

	for (i = 0; i < set->nsocks; i += set->per_addr) {
		if (set->per_addr > 1)
			log_msg(LOGLV_INFO, "listening on %s (%u sockets, "
			    "SO_REUSEPORT, one per worker, %s)",
			    set->socks[i].name, set->per_addr,
			    set->socks[i].steered ? "a host to one" :
			    "spread by source port: --udp-rate counts per "
			    "worker");
		else
			log_msg(LOGLV_INFO, "listening on %s",
			    set->socks[i].name);
	}
}

/*
 * Shutdown, on uw's thread: close its sockets at once.  A datagram
 * service has no conversation to finish, so there is nothing to drain.
 */
void
udp_worker_stop(struct udp_worker *uw)
{
	struct udp_set	*set = uw->set;
	size_t		 i;

	for (i = 0; set != NULL && i < set->nsocks; i++) {
		if (set->socks[i].uw == uw)
			udp_close(&set->socks[i]);
	}
}

/* Free everything; every worker thread must have been joined. */
void
udp_free(struct udp_set *set)
{
	size_t		 i;
	unsigned	 k;

	for (i = 0; i < set->nsocks; i++)
		udp_close(&set->socks[i]);
	free(set->socks);
	for (k = 0; set->workers != NULL && k < set->nworkers; k++) {
		free(set->workers[k].bufs);
		ratelimit_free(set->workers[k].rl);
	}
	free(set->workers);
	memset(set, 0, sizeof *set);
}

/* Stop watching a socket and close it; again is harmless. */
static void
udp_close(struct udp_sock *us)
{
	if (us->ev_added)
		event_del(&us->ev);
	us->ev_added = 0;
	if (us->fd != -1)
		close(us->fd);
	us->fd = -1;
}

/*
 * Whether to echo a datagram of sa (salen bytes) to a listener on port
 * own, received with msg_flags, at now_ms: STATS_UDP_REFUSAL_N to echo
 * it, or why not (and, for a guarded source, which guard in *guard).  A
 * guarded or cut datagram costs its host no token.
 */
int
udp_judge(struct ratelimit *rl, const struct sockaddr *sa, socklen_t salen,
    unsigned own, int msg_flags, uint64_t now_ms, enum udpguard_reason *guard)
{
	if ((*guard = udpguard_check(sa, salen, own)) != UDPGUARD_OK)
		return (STATS_UDP_GUARDED);
	if (msg_flags & MSG_TRUNC)
		return (STATS_UDP_TRUNCATED);
	if (rl != NULL && !ratelimit_take(rl, sa, now_ms))
		return (STATS_UDP_RATE);
	return (STATS_UDP_REFUSAL_N);
}

/*
 * A socket is readable: read batches until it is empty or this wake-up
 * has had UDP_WAKE_MAX datagrams.  The cap is for fairness: TCP clients
 * on the same loop wait while we read, and the socket, still readable,
 * wakes us again on the next turn of the loop.
 */
static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp_sock		*us = arg;
	struct udp_worker	*uw = us->uw;
	unsigned		 total = 0, i;
	unsigned long		 held;
	char			 note[80];
	int			 n;

	(void)what;
	while (total < UDP_WAKE_MAX) {
		for (i = 0; i < UDP_BATCH; i++) {
			struct msghdr *m = &uw->in[i].msg_hdr;

			uw->in_iov[i].iov_base = uw->bufs + (size_t)i * UDP_BUF;
			uw->in_iov[i].iov_len = UDP_BUF;
			memset(m, 0, sizeof *m);
			m->msg_name = &uw->from[i];
			m->msg_namelen = sizeof uw->from[i];
			m->msg_iov = &uw->in_iov[i];
			m->msg_iovlen = 1;
			uw->in[i].msg_len = 0;
		}
		n = recvmmsg(fd, uw->in, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    log_flood_pass(&uw->errors, &held))
				log_error("%s: recvmmsg: %s%s", us->name,
				    strerror(errno), log_flood_note(held, note,
				    sizeof note));
			break;
		}
		if (n == 0)
			break;
		total += (unsigned)n;
		udp_echo_batch(us, (unsigned)n);
		if (n < UDP_BATCH || us->fd == -1)
			break;
	}
}

/* Judge the n datagrams just read, and echo those that pass. */
static void
udp_echo_batch(struct udp_sock *us, unsigned n)
{
	struct udp_worker	*uw = us->uw;
	struct stats		*st = uw->stats;
	enum udpguard_reason	 guard;
	const struct sockaddr	*sa;
	uint64_t		 now = clock_coarse_ms(), bytes = 0;
	unsigned		 i;
	char			 why[64];
	int			 verdict;

	for (i = 0; i < n; i++) {
		struct msghdr *m = &uw->in[i].msg_hdr;

		sa = (const struct sockaddr *)m->msg_name;
		bytes += uw->in[i].msg_len;
		verdict = udp_judge(uw->rl, sa, m->msg_namelen, us->port,
		    m->msg_flags, now, &guard);
		uw->keep[i] = verdict == STATS_UDP_REFUSAL_N;
		if (log_enabled(LOGLV_DEBUG)) {
			char	 peer[ADDR_STRLEN];

			log_msg(LOGLV_DEBUG, "%s: datagram of %u B from %s%s",
			    us->name, uw->in[i].msg_len, addr_format(sa, peer,
			    sizeof peer), uw->keep[i] ? "" : ", not echoed");
		}
		if (uw->keep[i]) {
			if (uw->uppercase)
				transform_upper(m->msg_iov[0].iov_base,
				    uw->in[i].msg_len);
			continue;
		}
		if (verdict == STATS_UDP_GUARDED)
			snprintf(why, sizeof why, "%s",
			    udpguard_reason_name(guard));
		else if (verdict == STATS_UDP_TRUNCATED)
			snprintf(why, sizeof why, "larger than %d bytes, cut",
			    UDP_BUF);
		else
			snprintf(why, sizeof why, "its host is over --udp-rate "
			    "%lu", uw->rate);
		udp_refused(us, (enum stats_udp_refusal)verdict, sa, why);
	}
	stats_add(&st->udp_in, n);
	stats_add(&st->udp_bytes_in, bytes);
	if (udp_plan(&uw->plan, uw->in, n, uw->keep, us->gso) > 0)
		udp_send(us);
}

/*
 * Send the echoes planned in uw->plan.  sendmmsg() stops at the first
 * message that fails: a group the kernel will not cut is sent again a
 * datagram a message; a full send buffer (EAGAIN, ENOBUFS) drops the
 * rest of the batch, as a router would; another error drops that
 * message's echoes.
 */
static void
udp_send(struct udp_sock *us)
{
	struct udp_worker	*uw = us->uw;
	struct udp_plan		*p = &uw->plan;
	struct stats		*st = uw->stats;
	unsigned		 sent = 0, drop, lost, j;
	uint64_t		 bytes = 0, echoes = 0;
	char			 why[96];
	int			 r, saved;

	while (sent < p->nmsg) {
		r = sendmmsg(us->fd, p->msg + sent, p->nmsg - sent,
		    MSG_DONTWAIT);
		if (r > 0) {
			for (j = sent; j < sent + (unsigned)r; j++) {
				echoes += p->segs[j];
				bytes += p->bytes[j];
				if (p->segs[j] > 1 && log_enabled(LOGLV_DEBUG))
					udp_log_group(us, p, j);
			}
			sent += (unsigned)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		saved = r == -1 ? errno : EAGAIN;
		if (p->segs[sent] > 1 && (saved == EINVAL || saved == EIO ||
		    saved == EMSGSIZE)) {
			udp_plan_ungroup(p, sent);
			continue;
		}
		drop = saved == EAGAIN || saved == EWOULDBLOCK ||
		    saved == ENOBUFS ? p->nmsg - sent : 1;
		for (j = sent, lost = 0; j < sent + drop; j++)
			lost += p->segs[j];
		snprintf(why, sizeof why, "sendmmsg: %s", strerror(saved));
		if (lost > 1)
			snprintf(why + strlen(why), sizeof why - strlen(why),
			    " (and %u more of its batch)", lost - 1);
		stats_add(&st->udp_refused[STATS_UDP_SEND_FAILED], lost - 1);
		udp_refused(us, STATS_UDP_SEND_FAILED,
		    p->msg[sent].msg_hdr.msg_name, why);
		sent += drop;
	}
	stats_add(&st->udp_out, echoes);
	stats_add(&st->udp_bytes_out, bytes);
}

/* At -vv: the echoes message j of p took to one source at once. */
static void
udp_log_group(const struct udp_sock *us, const struct udp_plan *p,
    unsigned j)
{
	const struct msghdr	*m = &p->msg[j].msg_hdr;
	char			 peer[ADDR_STRLEN];

	log_msg(LOGLV_DEBUG, "%s: %u echoes to %s in one message, %zu B, "
	    "cut by the kernel", us->name, p->segs[j],
	    addr_format(m->msg_name, peer, sizeof peer), p->bytes[j]);
}

/*
 * Whether the kernel cuts a message into datagrams (UDP_SEGMENT, Linux
 * 4.18): asked once, at bind, since a kernel that does not know the
 * control message would send a group as one long datagram.
 */
static int
udp_has_gso(int fd)
{
#ifdef UDP_SEGMENT
	int	 off = 0;

	return (setsockopt(fd, SOL_UDP, UDP_SEGMENT, &off, sizeof off) == 0);
#else
	(void)fd;
	return (0);
#endif
}

/* Count a datagram not echoed, and say so, once per flood of them. */
static void
udp_refused(struct udp_sock *us, enum stats_udp_refusal reason,
    const struct sockaddr *sa, const char *why)
{
	struct udp_worker	*uw = us->uw;
	unsigned long		 held;
	char			 peer[ADDR_STRLEN], note[80];

	stats_add(&uw->stats->udp_refused[reason], 1);
	if (log_flood_pass(&uw->refusals, &held))
		log_msg(LOGLV_INFO, "%s: no echo to %s: %s%s", us->name,
		    addr_format(sa, peer, sizeof peer), why,
		    log_flood_note(held, note, sizeof note));
}
