/*
 * backend.c: event bases on a named libevent backend (-B), or on
 * libevent's own choice, with a clear message when a backend is missing.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <event2/event.h>

#include "backend.h"

static struct event_base *
		backend_new_base_only(const char *);
static void	backend_available(char *, size_t);

/*
 * An event base on the requested backend, or libevent's best.  With -B
 * every other method is avoided and libevent's EVENT_NO* switches are
 * ignored, so the choice is exactly what the user asked for.  On failure,
 * *status is the exit status and err says why.
 */
struct event_base *
backend_new_base(const char *backend, int *status, char *err, size_t errlen)
{
	struct event_base	*base;
	char			 avail[128];

	*status = EX_OSERR;
	if ((base = backend_new_base_only(backend)) != NULL &&
	    (backend == NULL || backend_is(base, backend)))
		return (base);
	if (base != NULL)
		event_base_free(base);
	if (backend == NULL) {
		snprintf(err, errlen, "cannot create the event loop");
		return (NULL);
	}
	backend_available(avail, sizeof avail);
	*status = EX_UNAVAILABLE;
	snprintf(err, errlen, "backend '%s' is not available on this system "
	    "(available: %s)", backend, avail[0] != '\0' ? avail : "none");
	return (NULL);
}

/* Whether base runs on the named backend. */
int
backend_is(struct event_base *base, const char *backend)
{
	return (strcmp(event_base_get_method(base), backend) == 0);
}

/*
 * An event base on backend, every other method avoided and libevent's
 * EVENT_NO* switches ignored; or libevent's own choice for NULL.  The
 * methods are named here rather than asked of event_get_supported_methods,
 * whose answer libevent keeps allocated until exit.
 */
static struct event_base *
backend_new_base_only(const char *backend)
{
	static const char *const methods[] = { "epoll", "poll", "select",
	    "kqueue", "devpoll", "evport", "win32", NULL };
	struct event_config	*ecfg;
	struct event_base	*base = NULL;
	int			 i;

	if ((ecfg = event_config_new()) == NULL)
		return (NULL);
	if (backend != NULL) {
		for (i = 0; methods[i] != NULL; i++) {
			if (strcmp(methods[i], backend) != 0 &&
			    event_config_avoid_method(ecfg, methods[i]) == -1)
				goto done;
		}
		event_config_set_flag(ecfg, EVENT_BASE_FLAG_IGNORE_ENV);
	}
	base = event_base_new_with_config(ecfg);
done:
	event_config_free(ecfg);
	return (base);
}

/* The backends -B could use here, for the message when one cannot. */
static void
backend_available(char *buf, size_t len)
{
	static const char *const backends[] = { "epoll", "poll", "select",
	    NULL };
	struct event_base	*base;
	int			 i;

	buf[0] = '\0';
	for (i = 0; backends[i] != NULL; i++) {
		if ((base = backend_new_base_only(backends[i])) == NULL)
			continue;
		if (backend_is(base, backends[i]))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			    buf[0] != '\0' ? ", " : "", backends[i]);
		event_base_free(base);
	}
}
