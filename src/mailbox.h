/*
 * mailbox.h: how one thread asks another to act.  Posters set command bits
 * from any thread; the owner's event loop is woken through a pipe and runs
 * its handler with every bit posted since the last run.  Posting never
 * blocks, never allocates, and wakes the owner once however many post.
 */
#ifndef EVECHO_MAILBOX_H
#define EVECHO_MAILBOX_H

#include <stdatomic.h>

#include <event2/event_struct.h>
#include <event2/util.h>

struct event_base;

struct mailbox {
	evutil_socket_t	 fd[2];		/* pipe: [0] owner reads, [1] posters */
	struct event	 ev;		/* [0] readable, on the owner's base */
	atomic_uint	 bits;		/* posted, not yet handled */
	void		(*handler)(unsigned, void *);
	void		*arg;
	int		 ready;		/* ev was added */
};

int	mailbox_init(struct mailbox *, struct event_base *,
	    void (*)(unsigned, void *), void *);
void	mailbox_post(struct mailbox *, unsigned);
void	mailbox_free(struct mailbox *);

#endif /* EVECHO_MAILBOX_H */
