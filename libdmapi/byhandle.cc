// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Creating objects in a directory named by handle, as a restore does.
#include "internal.h"

using namespace dmapi;

extern "C" {

int dm_create_by_handle(dm_sessid_t, void *, size_t, dm_token_t, void *, size_t, char *)
{
	return not_yet_implemented();
}

int dm_mkdir_by_handle(dm_sessid_t, void *, size_t, dm_token_t, void *, size_t, char *)
{
	return not_yet_implemented();
}

int dm_symlink_by_handle(dm_sessid_t, void *, size_t, dm_token_t, void *, size_t, char *,
			 char *)
{
	return not_yet_implemented();
}

} // extern "C"
