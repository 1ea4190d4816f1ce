/*
 * mailbox.c: cross-thread commands as bits in an atomic word, with a pipe
 * to wake the owner.  Only the poster that turns the word from empty to
 * non-empty writes to the pipe; the owner drains the pipe before taking
 * the bits, so no command is ever missed and the pipe never fills.
 */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "mailbox.h"

static void	mailbox_read_cb(evutil_socket_t, short, void *);

/* Open the pipe and watch it on base; handler runs there with the bits. */
int
mailbox_init(struct mailbox *mb, struct event_base *base,
    void (*handler)(unsigned, void *), void *arg)
{
	memset(mb, 0, sizeof *mb);
	mb->fd[0] = mb->fd[1] = -1;
	atomic_init(&mb->bits, 0);
	mb->handler = handler;
	mb->arg = arg;
	if (pipe(mb->fd) == -1)
		return (-1);
	if (evutil_make_socket_nonblocking(mb->fd[0]) == -1 ||
	    evutil_make_socket_nonblocking(mb->fd[1]) == -1 ||
	    evutil_make_socket_closeonexec(mb->fd[0]) == -1 ||
	    evutil_make_socket_closeonexec(mb->fd[1]) == -1 ||
	    event_assign(&mb->ev, base, mb->fd[0], EV_READ | EV_PERSIST,
	    mailbox_read_cb, mb) == -1 ||
	    event_add(&mb->ev, NULL) == -1) {
		mailbox_free(mb);
		return (-1);
	}
	mb->ready = 1;
	return (0);
}

/* Ask the owner to act on bits; safe from any thread, never blocks. */
void
mailbox_post(struct mailbox *mb, unsigned bits)
{
	static const char	 wake = 1;

	if (atomic_fetch_or(&mb->bits, bits) != 0)
		return;		/* a wake-up is already on its way */
	while (write(mb->fd[1], &wake, 1) == -1 && errno == EINTR)
		;
	/* EAGAIN cannot happen: at most one byte is ever unread. */
}

void
mailbox_free(struct mailbox *mb)
{
	if (mb->ready)
		event_del(&mb->ev);
	mb->ready = 0;
	if (mb->fd[0] != -1)
		close(mb->fd[0]);
	if (mb->fd[1] != -1)
		close(mb->fd[1]);
	mb->fd[0] = mb->fd[1] = -1;
}

static void
mailbox_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mailbox	*mb = arg;
	char		 buf[64];
	unsigned	 bits;

	(void)what;
	while (read(fd, buf, sizeof buf) > 0)
		;
	bits = atomic_exchange(&mb->bits, 0);
	if (bits != 0)
		mb->handler(bits, mb->arg);
}
