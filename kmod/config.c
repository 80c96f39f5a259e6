// SPDX-License-Identifier: GPL-2.0
/*
 * dm_get_config() and dm_get_config_events(): what this implementation
 * offers, truthfully.  An entry changes here when its feature lands.
 */
#include <linux/uaccess.h>
#include <linux/xattr.h>

#include "core.h"


/* Events this implementation can generate today. */
#define DM_SUPPORTED_EVENTS	(BIT_ULL(DMAPI_EVENT_MOUNT) | \
				 BIT_ULL(DMAPI_EVENT_PREUNMOUNT) | \
				 BIT_ULL(DMAPI_EVENT_UNMOUNT) | \
				 BIT_ULL(DMAPI_EVENT_READ) | \
				 BIT_ULL(DMAPI_EVENT_WRITE) | \
				 BIT_ULL(DMAPI_EVENT_TRUNCATE) | \
				 BIT_ULL(DMAPI_EVENT_NOSPACE) | \
				 BIT_ULL(DMAPI_EVENT_USER) | \
				 BIT_ULL(DMAPI_EVENT_CREATE) | \
				 BIT_ULL(DMAPI_EVENT_POSTCREATE) | \
				 BIT_ULL(DMAPI_EVENT_REMOVE) | \
				 BIT_ULL(DMAPI_EVENT_POSTREMOVE) | \
				 BIT_ULL(DMAPI_EVENT_RENAME) | \
				 BIT_ULL(DMAPI_EVENT_POSTRENAME) | \
				 BIT_ULL(DMAPI_EVENT_LINK) | \
				 BIT_ULL(DMAPI_EVENT_POSTLINK) | \
				 BIT_ULL(DMAPI_EVENT_SYMLINK) | \
				 BIT_ULL(DMAPI_EVENT_POSTSYMLINK) | \
				 BIT_ULL(DMAPI_EVENT_ATTRIBUTE) | \
				 BIT_ULL(DMAPI_EVENT_CLOSE) | \
				 BIT_ULL(DMAPI_EVENT_DESTROY) | \
				 BIT_ULL(DMAPI_EVENT_CANCEL) | \
				 BIT_ULL(DMAPI_EVENT_DEBUT))

static u64 dm_config_value(unsigned int flag)
{
	switch (flag) {
	case DMAPI_CONFIG_LEGACY:
		/* The SGI Linux ABI and its calls (dm_get_dioinfo). */
		return 1;
	case DMAPI_CONFIG_MAX_HANDLE_SIZE:
		return DMAPI_HANDLE_LEN;
	case DMAPI_CONFIG_MAX_MESSAGE_DATA:
		return READ_ONCE(dm_max_msg_data);
	case DMAPI_CONFIG_PENDING:
		/* dm_pending() extends the event_timeout of a waiter. */
		return 1;
	case DMAPI_CONFIG_PERS_EVENTS:
		/* Object event lists are kept with the objects. */
		return 1;
	case DMAPI_CONFIG_PERS_MANAGED_REGIONS:
		return 1;
	case DMAPI_CONFIG_MAX_MANAGED_REGIONS:
		return READ_ONCE(dm_max_regions);
	case DMAPI_CONFIG_PUNCH_HOLE:
		return 1;
	case DMAPI_CONFIG_LOCK_UPGRADE:
		/* dm_upgrade_right() and dm_downgrade_right() are real. */
		return 1;
	case DMAPI_CONFIG_OBJ_REF:
		return 1;
	case DMAPI_CONFIG_PERS_ATTRIBUTES:
		return 1;
	case DMAPI_CONFIG_MAX_ATTRIBUTE_SIZE:
		return READ_ONCE(dm_max_attr_size);
	case DMAPI_CONFIG_BULKALL:
		/* dm_get_bulkall() is provided. */
		return 1;
	case DMAPI_CONFIG_PERS_INHERIT_ATTRIBS:
		/* The list is kept with the filesystem's lower root. */
		return 1;
	case DMAPI_CONFIG_DTIME_OVERLOAD:
		/* The dtime is the ctime, which DM attribute changes move. */
		return 1;
	case DMAPI_CONFIG_MAX_ATTR_ON_DESTROY:
		/*
		 * DESTROY carries the whole return-on-destroy attribute,
		 * which may have been set while max_attr_size was larger.
		 */
		return XATTR_SIZE_MAX;
	case DMAPI_CONFIG_WILL_RETRY:
		/* CONTINUE to NOSPACE tries the write again. */
		return 1;
	default:
		/*
		 * Not provided: creation with a handle chosen by the
		 * caller (handles are lower inode numbers: the by-handle
		 * calls take the filesystem's handle instead); the total
		 * attribute space (the lower filesystem's xattr space
		 * bounds it).
		 */
		return 0;
	}
}

/**
 * dm_ioc_get_config - DMAPI_IOC_GET_CONFIG
 * @uarg: struct dmapi_get_config_arg
 *
 * Return: 0 with the value in retval, or -EINVAL (unknown flag, malformed
 * handle), -EBADF (the handle names no managed object), -EFAULT.
 */
long dm_ioc_get_config(void __user *uarg)
{
	struct dmapi_get_config_arg arg;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;
	err = dm_handle_check(arg.hanp, arg.hlen);
	if (err)
		return err;
	if (arg.flagname <= DMAPI_CONFIG_INVALID || arg.flagname >= DMAPI_CONFIG_NR)
		return -EINVAL;
	arg.retval = dm_config_value(arg.flagname);
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/*
 * The events generated for what a handle names: every one for the global
 * handle; for a filesystem, all but USER, which names no object; for an
 * object, those its own event list can hold (dm_set_eventlist() takes).
 */
static int dm_config_events_of(u64 uptr, u64 len, u64 *events)
{
	struct dm_user_handle uh;
	struct path path;
	int err;

	err = dm_handle_get(uptr, len, &uh);
	if (err)
		return err;
	switch (uh.kind) {
	case DM_HANDLE_GLOBAL:
		*events = DM_SUPPORTED_EVENTS;
		return 0;
	case DM_HANDLE_FS:
		err = dm_handle_check(uptr, len);
		*events = DM_SUPPORTED_EVENTS & ~BIT_ULL(DMAPI_EVENT_USER);
		return err;
	default:
		err = dm_handle_resolve(&uh.h, &path);
		if (err)
			return err;
		*events = DM_SUPPORTED_EVENTS &
			  dm_obj_valid_events(d_inode(path.dentry));
		path_put(&path);
		return 0;
	}
}

/**
 * dm_ioc_get_config_events - DMAPI_IOC_GET_CONFIG_EVENTS
 * @uarg: struct dmapi_get_config_events_arg
 *
 * Return: 0 with the supported events, or -E2BIG with DMAPI_EVENT_MAX in
 * nelem_out when the caller's set holds fewer events, -EINVAL, -EBADF,
 * -EFAULT.
 */
long dm_ioc_get_config_events(void __user *uarg)
{
	struct dmapi_get_config_events_arg arg;
	u64 events;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	err = dm_config_events_of(arg.hanp, arg.hlen, &events);
	if (err)
		return err;
	arg.nelem_out = DMAPI_EVENT_MAX;
	if (arg.nelem < DMAPI_EVENT_MAX) {
		err = -E2BIG;
	} else {
		arg.eventset = events;
		err = 0;
	}
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return err;
}
