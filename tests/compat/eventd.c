/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eventd: a compatibility fixture in the style of the event daemons that
 * were written against SGI's DMAPI (#include <xfs/dmapi.h>, -ldm).  It
 * consents to every mount, takes the namespace events of each mounted
 * filesystem, prints one line per event, and stops when a user message
 * "quit" arrives.  Built unchanged against this project's library.
 */
#include <xfs/dmapi.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dm_sessid_t sid = DM_NO_SESSION;

static void die(const char *what)
{
	fprintf(stderr, "eventd: %s: %s\n", what, strerror(errno));
	exit(1);
}

static const char *event_name(dm_eventtype_t type)
{
	switch (type) {
	case DM_EVENT_MOUNT:		return "mount";
	case DM_EVENT_CREATE:		return "create";
	case DM_EVENT_POSTCREATE:	return "postcreate";
	case DM_EVENT_REMOVE:		return "remove";
	case DM_EVENT_POSTREMOVE:	return "postremove";
	case DM_EVENT_RENAME:		return "rename";
	case DM_EVENT_POSTRENAME:	return "postrename";
	case DM_EVENT_PREUNMOUNT:	return "preunmount";
	case DM_EVENT_UNMOUNT:		return "unmount";
	case DM_EVENT_USER:		return "user";
	default:			return "other";
	}
}

/* Take the namespace events of a filesystem that is being mounted. */
static void watch(dm_mount_event_t *me)
{
	void *fshanp = DM_GET_VALUE(me, me_handle1, void *);
	size_t fshlen = DM_GET_LEN(me, me_handle1);
	dm_eventset_t events;

	DMEV_ZERO(events);
	DMEV_SET(DM_EVENT_CREATE, events);
	DMEV_SET(DM_EVENT_POSTCREATE, events);
	DMEV_SET(DM_EVENT_REMOVE, events);
	DMEV_SET(DM_EVENT_POSTREMOVE, events);
	DMEV_SET(DM_EVENT_RENAME, events);
	DMEV_SET(DM_EVENT_POSTRENAME, events);
	DMEV_SET(DM_EVENT_PREUNMOUNT, events);
	DMEV_SET(DM_EVENT_UNMOUNT, events);
	if (dm_set_disp(sid, fshanp, fshlen, DM_NO_TOKEN, &events, DM_EVENT_MAX))
		die("dm_set_disp");
	if (dm_set_eventlist(sid, fshanp, fshlen, DM_NO_TOKEN, &events, DM_EVENT_MAX))
		die("dm_set_eventlist");
}

/* Returns nonzero when the message says to stop. */
static int handle(dm_eventmsg_t *msg)
{
	int quit = 0;

	switch (msg->ev_type) {
	case DM_EVENT_MOUNT: {
		dm_mount_event_t *me = DM_GET_VALUE(msg, ev_data, dm_mount_event_t *);

		printf("mount %s\n", DM_GET_VALUE(me, me_name1, char *));
		watch(me);
		break;
	}
	case DM_EVENT_USER: {
		char *text = DM_GET_VALUE(msg, ev_data, char *);
		size_t len = DM_GET_LEN(msg, ev_data);

		printf("user %.*s\n", (int)len, text);
		quit = len >= 4 && strncmp(text, "quit", 4) == 0;
		break;
	}
	case DM_EVENT_PREUNMOUNT:
	case DM_EVENT_UNMOUNT:
		printf("%s\n", event_name(msg->ev_type));
		break;
	default: {
		dm_namesp_event_t *ne = DM_GET_VALUE(msg, ev_data, dm_namesp_event_t *);
		char *name = DM_GET_VALUE(ne, ne_name1, char *);

		printf("%s %.*s", event_name(msg->ev_type), (int)DM_GET_LEN(ne, ne_name1), name);
		if (msg->ev_type == DM_EVENT_RENAME || msg->ev_type == DM_EVENT_POSTRENAME)
			printf(" -> %.*s", (int)DM_GET_LEN(ne, ne_name2),
			       DM_GET_VALUE(ne, ne_name2, char *));
		printf("\n");
	}
	}
	if (msg->ev_token != DM_INVALID_TOKEN &&
	    dm_respond_event(sid, msg->ev_token, DM_RESP_CONTINUE, 0, 0, NULL))
		die("dm_respond_event");
	return quit;
}

int main(void)
{
	char *version;
	char buf[65536];
	dm_eventset_t mount_only;
	int quit = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (dm_init_service(&version))
		die("dm_init_service");
	if (dm_create_session(DM_NO_SESSION, "compat eventd", &sid))
		die("dm_create_session");
	DMEV_ZERO(mount_only);
	DMEV_SET(DM_EVENT_MOUNT, mount_only);
	if (dm_set_disp(sid, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &mount_only,
			DM_EVENT_MAX))
		die("dm_set_disp");
	printf("ready sid=%d\n", (int)sid);
	while (!quit) {
		size_t rlen;
		dm_eventmsg_t *msg;

		if (dm_get_events(sid, 0, DM_EV_WAIT, sizeof(buf), buf, &rlen)) {
			if (errno == EINTR)
				continue;
			die("dm_get_events");
		}
		for (msg = (dm_eventmsg_t *)buf; msg; msg = DM_STEP_TO_NEXT(msg, dm_eventmsg_t *))
			quit |= handle(msg);
	}
	if (dm_destroy_session(sid))
		die("dm_destroy_session");
	printf("stopped\n");
	return 0;
}
