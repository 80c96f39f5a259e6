/* SPDX-License-Identifier: GPL-2.0 */
/*
 * offline: a compatibility fixture in the style of Samba's DMAPI support
 * (#include <xfs/dmapi.h>, -ldm), which marks a file offline for its
 * clients when an HSM watches it.  It finds the session named "Samba" or
 * creates it, as Samba does, and prints for each path whether reading it
 * would send a READ event to an HSM: its event list, or a managed region
 * with DM_REGION_READ.
 */
#include <xfs/dmapi.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_NAME "Samba"

static dm_sessid_t samba_session(void)
{
	dm_sessid_t sessions[64], sid = DM_NO_SESSION;
	u_int count = 0, i;
	char *version;

	if (dm_init_service(&version) ||
	    dm_getall_sessions(64, sessions, &count))
		return DM_NO_SESSION;
	for (i = 0; i < count; i++) {
		char info[DM_SESSION_INFO_LEN];
		size_t rlen;

		if (dm_query_session(sessions[i], sizeof(info), info, &rlen) == 0 &&
		    strcmp(info, SESSION_NAME) == 0)
			return sessions[i];
	}
	if (dm_create_session(DM_NO_SESSION, SESSION_NAME, &sid))
		return DM_NO_SESSION;
	return sid;
}

static int is_offline(dm_sessid_t sid, char *path, int *offline)
{
	void *hanp;
	size_t hlen;
	dm_eventset_t events;
	u_int nevents, nregions, i;
	dm_region_t regions[16];

	if (dm_path_to_handle(path, &hanp, &hlen))
		return -1;
	*offline = 0;
	DMEV_ZERO(events);
	if (dm_get_eventlist(sid, hanp, hlen, DM_NO_TOKEN, DM_EVENT_MAX, &events, &nevents))
		goto fail;
	if (DMEV_ISSET(DM_EVENT_READ, events))
		*offline = 1;
	if (dm_get_region(sid, hanp, hlen, DM_NO_TOKEN, 16, regions, &nregions))
		goto fail;
	for (i = 0; i < nregions; i++)
		if (regions[i].rg_flags & DM_REGION_READ)
			*offline = 1;
	dm_handle_free(hanp, hlen);
	return 0;
fail:
	dm_handle_free(hanp, hlen);
	return -1;
}

int main(int argc, char **argv)
{
	dm_sessid_t sid = samba_session();
	int i, status = 0;

	if (sid == DM_NO_SESSION) {
		fprintf(stderr, "offline: no DMAPI session: %s\n", strerror(errno));
		return 1;
	}
	for (i = 1; i < argc; i++) {
		int offline;

		if (is_offline(sid, argv[i], &offline)) {
			fprintf(stderr, "offline: %s: %s\n", argv[i], strerror(errno));
			status = 1;
			continue;
		}
		printf("%s: %s\n", argv[i], offline ? "offline" : "online");
	}
	/* Samba keeps its session for the next client; so do we. */
	return status;
}
