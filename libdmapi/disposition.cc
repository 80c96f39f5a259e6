// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Dispositions (which session receives which event of a filesystem), event
// lists, mount information and return-on-destroy.
#include "internal.h"

using namespace dmapi;

extern "C" {

int dm_set_disp(dm_sessid_t, void *, size_t, dm_token_t, dm_eventset_t *, unsigned int)
{
	return not_yet_implemented();
}

int dm_getall_disp(dm_sessid_t, size_t, void *, size_t *)
{
	return not_yet_implemented();
}

int dm_set_eventlist(dm_sessid_t, void *, size_t, dm_token_t, dm_eventset_t *, unsigned int)
{
	return not_yet_implemented();
}

int dm_get_eventlist(dm_sessid_t, void *, size_t, dm_token_t, unsigned int,
		     dm_eventset_t *, unsigned int *)
{
	return not_yet_implemented();
}

int dm_get_mountinfo(dm_sessid_t, void *, size_t, dm_token_t, size_t, void *, size_t *)
{
	return not_yet_implemented();
}

int dm_set_return_on_destroy(dm_sessid_t, void *, size_t, dm_token_t, dm_attrname_t *,
			     dm_boolean_t)
{
	return not_yet_implemented();
}

} // extern "C"
