// SPDX-License-Identifier: LGPL-2.1-or-later
//
// File attributes, bulk iteration and attribute inheritance.
#include "internal.h"

using namespace dmapi;

extern "C" {

int dm_get_fileattr(dm_sessid_t, void *, size_t, dm_token_t, unsigned int, dm_stat_t *)
{
	return not_yet_implemented();
}

int dm_set_fileattr(dm_sessid_t, void *, size_t, dm_token_t, unsigned int, dm_fileattr_t *)
{
	return not_yet_implemented();
}

int dm_init_attrloc(dm_sessid_t, void *, size_t, dm_token_t, dm_attrloc_t *)
{
	return not_yet_implemented();
}

int dm_get_dirattrs(dm_sessid_t, void *, size_t, dm_token_t, unsigned int, dm_attrloc_t *,
		    size_t, void *, size_t *)
{
	return not_yet_implemented();
}

int dm_get_bulkattr(dm_sessid_t, void *, size_t, dm_token_t, unsigned int, dm_attrloc_t *,
		    size_t, void *, size_t *)
{
	return not_yet_implemented();
}

int dm_get_bulkall(dm_sessid_t, void *, size_t, dm_token_t, unsigned int, dm_attrname_t *,
		   dm_attrloc_t *, size_t, void *, size_t *)
{
	return not_yet_implemented();
}

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
