/*
 * baseline-libevent: the minimal bufferevent echo, as libevent's samples
 * write it, for bench/run to measure evecho against: a listener, a read
 * callback moving input to output, free on EOF or error.  Nothing else.
 *
 * usage: baseline-libevent [PORT]	(127.0.0.1; default 0, ephemeral)
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

static void
read_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	evbuffer_add_buffer(bufferevent_get_output(bev),
	    bufferevent_get_input(bev));
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct bufferevent	*bev;
	int			 on = 1;

	(void)sa;
	(void)salen;
	(void)arg;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	bev = bufferevent_socket_new(evconnlistener_get_base(lev), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		evutil_closesocket(fd);
		return;
	}
	bufferevent_setcb(bev, read_cb, NULL, event_cb, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct evconnlistener	*lev;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;

	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(argc > 1 ? (unsigned short)atoi(argv[1]) : 0);
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "baseline-libevent: event_base_new failed\n");
		return (1);
	}
	lev = evconnlistener_new_bind(base, accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 511,
	    (struct sockaddr *)&sin, sizeof sin);
	if (lev == NULL || getsockname(evconnlistener_get_fd(lev),
	    (struct sockaddr *)&sin, &len) == -1) {
		perror("baseline-libevent: listen");
		return (1);
	}
	fprintf(stderr, "listening on 127.0.0.1:%u\n", ntohs(sin.sin_port));
	event_base_dispatch(base);
	evconnlistener_free(lev);
	event_base_free(base);
	return (0);
}
