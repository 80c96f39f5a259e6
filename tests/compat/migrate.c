/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migrate: a compatibility fixture in the style of the HSM samples that
 * were written against SGI's DMAPI (#include <xfs/dmapi.h>, -ldm).
 *
 *   migrate out FILE COPY   copy FILE's data to COPY with invisible reads,
 *                           record COPY in the DM attribute "migcopy", set
 *                           a managed region and punch the data out
 *   migrate in MOUNTPOINT   recall migrated files when they are read, until
 *                           a user message "quit" arrives
 *
 * Built unchanged against this project's library.
 */
#include <xfs/dmapi.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ATTRNAME	"migcopy"
#define CHUNK		65536

static dm_sessid_t sid = DM_NO_SESSION;

static void die(const char *what)
{
	fprintf(stderr, "migrate: %s: %s\n", what, strerror(errno));
	if (sid != DM_NO_SESSION)
		dm_destroy_session(sid);
	exit(1);
}

static void set_attrname(dm_attrname_t *an)
{
	memset(an, 0, sizeof(*an));
	strncpy((char *)an->an_chars, ATTRNAME, DM_ATTR_NAME_SIZE);
}

static int migrate_out(char *file, char *copy)
{
	void *hanp;
	size_t hlen;
	dm_stat_t st;
	dm_attrname_t an;
	dm_region_t region;
	dm_boolean_t exact;
	dm_off_t off, roff;
	dm_size_t rlen;
	char buf[CHUNK];
	int fd;

	if (dm_create_session(DM_NO_SESSION, "compat migrate out", &sid))
		die("dm_create_session");
	if (dm_path_to_handle(file, &hanp, &hlen))
		die("dm_path_to_handle");
	if (dm_get_fileattr(sid, hanp, hlen, DM_NO_TOKEN, DM_AT_STAT, &st))
		die("dm_get_fileattr");
	fd = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(copy);
	for (off = 0; off < st.dt_size;) {
		dm_ssize_t n = dm_read_invis(sid, hanp, hlen, DM_NO_TOKEN, off, sizeof(buf), buf);

		if (n <= 0)
			die("dm_read_invis");
		if (write(fd, buf, n) != n)
			die(copy);
		off += n;
	}
	if (fsync(fd) || close(fd))
		die(copy);
	set_attrname(&an);
	if (dm_set_dmattr(sid, hanp, hlen, DM_NO_TOKEN, &an, 0, strlen(copy) + 1, copy))
		die("dm_set_dmattr");
	region.rg_offset = 0;
	region.rg_size = 0;
	region.rg_flags = DM_REGION_READ | DM_REGION_WRITE | DM_REGION_TRUNCATE;
	if (dm_set_region(sid, hanp, hlen, DM_NO_TOKEN, 1, &region, &exact))
		die("dm_set_region");
	if (dm_probe_hole(sid, hanp, hlen, DM_NO_TOKEN, 0, 0, &roff, &rlen))
		die("dm_probe_hole");
	if (dm_punch_hole(sid, hanp, hlen, DM_NO_TOKEN, roff, rlen))
		die("dm_punch_hole");
	printf("migrated %lld bytes, exact regions: %s\n", (long long)st.dt_size,
	       exact == DM_TRUE ? "yes" : "no");
	dm_handle_free(hanp, hlen);
	if (dm_destroy_session(sid))
		die("dm_destroy_session");
	return 0;
}

/* Recall the file of a READ, WRITE or TRUNCATE event. */
static void recall(dm_eventmsg_t *msg)
{
	dm_data_event_t *de = DM_GET_VALUE(msg, ev_data, dm_data_event_t *);
	void *hanp = DM_GET_VALUE(de, de_handle, void *);
	size_t hlen = DM_GET_LEN(de, de_handle);
	dm_attrname_t an;
	char copy[1024], buf[CHUNK];
	size_t rlen;
	dm_off_t off = 0;
	ssize_t n;
	int fd, error = 0;

	if (dm_request_right(sid, hanp, hlen, msg->ev_token, DM_RR_WAIT, DM_RIGHT_EXCL))
		die("dm_request_right");
	set_attrname(&an);
	if (dm_get_dmattr(sid, hanp, hlen, msg->ev_token, &an, sizeof(copy), copy, &rlen)) {
		if (errno != ENOENT)
			die("dm_get_dmattr");
		goto answer;	/* recalled already */
	}
	fd = open(copy, O_RDONLY);
	if (fd < 0) {
		error = EIO;
		goto answer;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (dm_write_invis(sid, hanp, hlen, msg->ev_token, 0, off, n, buf) != n)
			die("dm_write_invis");
		off += n;
	}
	close(fd);
	if (dm_set_region(sid, hanp, hlen, msg->ev_token, 0, NULL, &(dm_boolean_t){0}))
		die("dm_set_region");
	if (dm_remove_dmattr(sid, hanp, hlen, msg->ev_token, 0, &an))
		die("dm_remove_dmattr");
	printf("recalled %lld bytes\n", (long long)off);
answer:
	if (dm_respond_event(sid, msg->ev_token, error ? DM_RESP_ABORT : DM_RESP_CONTINUE, error,
			     0, NULL))
		die("dm_respond_event");
}

static int migrate_in(char *mountpoint)
{
	void *fshanp;
	size_t fshlen;
	dm_eventset_t events;
	char buf[65536];
	int quit = 0;

	if (dm_create_session(DM_NO_SESSION, "compat migrate in", &sid))
		die("dm_create_session");
	if (dm_path_to_fshandle(mountpoint, &fshanp, &fshlen))
		die("dm_path_to_fshandle");
	DMEV_ZERO(events);
	DMEV_SET(DM_EVENT_READ, events);
	DMEV_SET(DM_EVENT_WRITE, events);
	DMEV_SET(DM_EVENT_TRUNCATE, events);
	if (dm_set_disp(sid, fshanp, fshlen, DM_NO_TOKEN, &events, DM_EVENT_MAX))
		die("dm_set_disp");
	printf("ready sid=%d\n", (int)sid);
	while (!quit) {
		dm_eventmsg_t *msg;
		size_t rlen;

		if (dm_get_events(sid, 0, DM_EV_WAIT, sizeof(buf), buf, &rlen)) {
			if (errno == EINTR)
				continue;
			die("dm_get_events");
		}
		for (msg = (dm_eventmsg_t *)buf; msg; msg = DM_STEP_TO_NEXT(msg, dm_eventmsg_t *)) {
			if (msg->ev_type == DM_EVENT_USER)
				quit = 1;
			else
				recall(msg);
		}
	}
	DMEV_ZERO(events);
	if (dm_set_disp(sid, fshanp, fshlen, DM_NO_TOKEN, &events, DM_EVENT_MAX))
		die("dm_set_disp");
	dm_handle_free(fshanp, fshlen);
	if (dm_destroy_session(sid))
		die("dm_destroy_session");
	printf("stopped\n");
	return 0;
}

int main(int argc, char **argv)
{
	char *version;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (dm_init_service(&version))
		die("dm_init_service");
	if (argc == 4 && strcmp(argv[1], "out") == 0)
		return migrate_out(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "in") == 0)
		return migrate_in(argv[2]);
	fprintf(stderr, "usage: migrate out FILE COPY | in MOUNTPOINT\n");
	return 2;
}
