// SPDX-License-Identifier: LGPL-2.1-or-later
//
// File data: invisible I/O (no events, no timestamps), sync, holes and
// allocation, direct I/O constraints.
#include "internal.h"

using namespace dmapi;

extern "C" {

dm_ssize_t dm_read_invis(dm_sessid_t, void *, size_t, dm_token_t, dm_off_t, dm_size_t, void *)
{
	return not_yet_implemented<dm_ssize_t>();
}

dm_ssize_t dm_write_invis(dm_sessid_t, void *, size_t, dm_token_t, int, dm_off_t, dm_size_t,
			  void *)
{
	return not_yet_implemented<dm_ssize_t>();
}

int dm_sync_by_handle(dm_sessid_t, void *, size_t, dm_token_t)
{
	return not_yet_implemented();
}

int dm_punch_hole(dm_sessid_t, void *, size_t, dm_token_t, dm_off_t, dm_size_t)
{
	return not_yet_implemented();
}

int dm_probe_hole(dm_sessid_t, void *, size_t, dm_token_t, dm_off_t, dm_size_t, dm_off_t *,
		  dm_size_t *)
{
	return not_yet_implemented();
}

int dm_get_allocinfo(dm_sessid_t, void *, size_t, dm_token_t, dm_off_t *, unsigned int,
		     dm_extent_t *, unsigned int *)
{
	return not_yet_implemented();
}

int dm_get_dioinfo(dm_sessid_t, void *, size_t, dm_token_t, dm_dioinfo_t *)
{
	return not_yet_implemented();
}

} // extern "C"
