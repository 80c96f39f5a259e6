// SPDX-License-Identifier: GPL-2.0
/*
 * Handles as the kernel receives them from user space.
 *
 * A handle is an fsid (8 bytes), optionally followed by a fid that names
 * one object of that filesystem; the global handle is the one-byte handle
 * at address 1.  A handle is first checked for its form (EINVAL), then
 * resolved to an object (EBADF when nothing matches).
 */
#include <linux/uaccess.h>

#include "core.h"

static bool dm_handle_is_global(u64 uptr, u64 len)
{
	return uptr == 1 && len == DMAPI_GLOBAL_HANDLE_LEN;
}

/**
 * dm_handle_check - check a user handle
 * @uptr: user address of the handle
 * @len: its length
 *
 * Return: 0 for the global handle; -EFAULT for a NULL or unreadable
 * handle; -EINVAL for a handle of the wrong form; -EBADF for a well-formed
 * handle that names no object of a DMAPI-managed filesystem (none is
 * mounted until the dmapi filesystem type exists).
 */
int dm_handle_check(u64 uptr, u64 len)
{
	struct dmapi_handle h;

	if (dm_handle_is_global(uptr, len))
		return 0;
	if (!uptr)
		return -EFAULT;
	if (len != DMAPI_FSHANDLE_LEN && len != DMAPI_HANDLE_LEN)
		return -EINVAL;
	if (copy_from_user(&h, u64_to_user_ptr(uptr), len))
		return -EFAULT;
	if (len == DMAPI_HANDLE_LEN &&
	    (h.fid.fid_len != DMAPI_FID_LEN || h.fid.fid_pad))
		return -EINVAL;
	return -EBADF;
}
