// SPDX-License-Identifier: GPL-2.0
//
// The public header compiled as C99 with every name programs include: the
// guards hold, and C sees the same layout as C++ (header_test.cc compares).
#include <dmapi.h>
#include <xfs/dmapi.h>
#include <xdsm/dmapi.h>

#include <stddef.h>

#include "header_test.h"

const size_t dmapi_c_layout[] = {
	sizeof(dm_eventmsg_t),
	sizeof(dm_stat_t),
	offsetof(dm_stat_t, dt_size),
	offsetof(dm_stat_t, fsys_dep),
	sizeof(dm_fileattr_t),
	offsetof(dm_fileattr_t, fa_size),
	sizeof(dm_timestruct_t),
	sizeof(dm_xstat_t),
	sizeof(dm_region_t),
	sizeof(dm_mount_event_t),
	sizeof(dm_namesp_event_t),
	sizeof(dm_config_t),
	sizeof(dm_eventtype_t),
};
const size_t dmapi_c_layout_count = sizeof(dmapi_c_layout) / sizeof(dmapi_c_layout[0]);

// The walking and event-set macros as a C program uses them.
int dmapi_c_count_records(void *buf)
{
	int count = 0;
	dm_eventmsg_t *msg;

	for (msg = (dm_eventmsg_t *)buf; msg != NULL; msg = DM_STEP_TO_NEXT(msg, dm_eventmsg_t *))
		count++;
	return count;
}

dm_eventset_t dmapi_c_eventset(void)
{
	dm_eventset_t set;

	DMEV_ZERO(set);
	DMEV_SET(DM_EVENT_READ, set);
	DMEV_SET(DM_EVENT_USER, set);
	DMEV_SET(DM_EVENT_MOUNT, set);
	DMEV_CLR(DM_EVENT_MOUNT, set);
	return DMEV_ISSET(DM_EVENT_READ, set) ? set : 0;
}

// The global handle is a pointer-sized constant in C too (-Werror would
// reject a cast from an integer of another size).
void *dmapi_c_global_handle(size_t *hlen)
{
	*hlen = DM_GLOBAL_HLEN;
	return DM_GLOBAL_HANP;
}
