// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Attribute inheritance: the DM attributes new objects of a directory get.
#include "internal.h"

using namespace dmapi;

extern "C" {

int dm_set_inherit(dm_sessid_t, void *, size_t, dm_token_t, dm_attrname_t *, mode_t)
{
	return not_yet_implemented();
}

int dm_clear_inherit(dm_sessid_t, void *, size_t, dm_token_t, dm_attrname_t *)
{
	return not_yet_implemented();
}

int dm_getall_inherit(dm_sessid_t, void *, size_t, dm_token_t, unsigned int, dm_inherit_t *,
		      unsigned int *)
{
	return not_yet_implemented();
}

} // extern "C"
