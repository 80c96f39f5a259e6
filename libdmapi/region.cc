// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Managed regions: the byte ranges of a file whose access raises events.
#include "internal.h"

using namespace dmapi;

extern "C" {

int dm_set_region(dm_sessid_t, void *, size_t, dm_token_t, unsigned int, dm_region_t *,
		  dm_boolean_t *)
{
	return not_yet_implemented();
}

int dm_get_region(dm_sessid_t, void *, size_t, dm_token_t, unsigned int, dm_region_t *,
		  unsigned int *)
{
	return not_yet_implemented();
}

} // extern "C"
