// SPDX-License-Identifier: LGPL-2.1-or-later
//
// DMAPI access rights on objects, bound to tokens, and object references.
#include "internal.h"

using namespace dmapi;

extern "C" {

int dm_request_right(dm_sessid_t, void *, size_t, dm_token_t, unsigned int, dm_right_t)
{
	return not_yet_implemented();
}

int dm_release_right(dm_sessid_t, void *, size_t, dm_token_t)
{
	return not_yet_implemented();
}

int dm_query_right(dm_sessid_t, void *, size_t, dm_token_t, dm_right_t *)
{
	return not_yet_implemented();
}

int dm_upgrade_right(dm_sessid_t, void *, size_t, dm_token_t)
{
	return not_yet_implemented();
}

int dm_downgrade_right(dm_sessid_t, void *, size_t, dm_token_t)
{
	return not_yet_implemented();
}

int dm_obj_ref_hold(dm_sessid_t, dm_token_t, void *, size_t)
{
	return not_yet_implemented();
}

int dm_obj_ref_rele(dm_sessid_t, dm_token_t, void *, size_t)
{
	return not_yet_implemented();
}

int dm_obj_ref_query(dm_sessid_t, dm_token_t, void *, size_t)
{
	return not_yet_implemented();
}

} // extern "C"
