// SPDX-License-Identifier: GPL-2.0
/*
 * dmapi: the X/Open XDSM Data Management API for Linux.
 *
 * The control device /dev/dmapi: module parameters, open and the ioctl
 * dispatch.  Every call is one ioctl whose argument struct is declared in
 * <xdsm/dmapi_ioctl.h>.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/xattr.h>
#include <linux/uaccess.h>

#include "core.h"
#include "fs/dmapifs.h"

/*
 * Limits are checked when set, so that no later allocation can be asked
 * for an absurd size.
 */
static int dm_param_set_bounded(const char *val, const struct kernel_param *kp,
				unsigned int min, unsigned int max)
{
	unsigned int n;
	int err;

	err = kstrtouint(val, 0, &n);
	if (err)
		return err;
	if (n < min || n > max)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, n);
	return 0;
}

#define DM_BOUNDED_PARAM(name, var, min, max, desc)			\
	static int dm_param_set_##name(const char *val,			\
				       const struct kernel_param *kp)	\
	{								\
		return dm_param_set_bounded(val, kp, min, max);		\
	}								\
	static const struct kernel_param_ops dm_param_ops_##name = {	\
		.set = dm_param_set_##name,				\
		.get = param_get_uint,					\
	};								\
	module_param_cb(name, &dm_param_ops_##name, &var, 0644);	\
	MODULE_PARM_DESC(name, desc)

unsigned int dm_max_sessions = 4000;
DM_BOUNDED_PARAM(max_sessions, dm_max_sessions, 1, 1000000,
		 "Maximum number of DMAPI sessions, 1..1000000 (default 4000)");

/* A raised limit makes room now, not at the DM application's next read. */
static int dm_param_set_max_queued_msgs(const char *val,
					const struct kernel_param *kp)
{
	int err = dm_param_set_bounded(val, kp, 1, 1000000);

	if (!err)
		dm_sessions_wake_senders();
	return err;
}

static const struct kernel_param_ops dm_param_ops_max_queued_msgs = {
	.set = dm_param_set_max_queued_msgs,
	.get = param_get_uint,
};

unsigned int dm_max_queued_msgs = 2048;
module_param_cb(max_queued_msgs, &dm_param_ops_max_queued_msgs,
		&dm_max_queued_msgs, 0644);
MODULE_PARM_DESC(max_queued_msgs,
		 "Undelivered messages a session queues before senders of synchronous ones wait for room, 1..1000000 (default 2048)");

unsigned int dm_max_msg_data = 65536;
DM_BOUNDED_PARAM(max_msg_data, dm_max_msg_data, 0, DMAPI_MAX_MSG_DATA_LIMIT,
		 "Maximum bytes of data in a user message or response, 0..16 MiB (default 65536)");

unsigned int dm_max_regions = 64;
DM_BOUNDED_PARAM(max_regions, dm_max_regions, 1, DMAPI_MAX_REGIONS_LIMIT,
		 "Managed regions a file may have (DM_CONFIG_MAX_MANAGED_REGIONS), 1..128 (default 64)");

unsigned int dm_max_attr_size = 4000;
DM_BOUNDED_PARAM(max_attr_size, dm_max_attr_size, 1, XATTR_SIZE_MAX,
		 "Largest DM attribute value in bytes (DM_CONFIG_MAX_ATTRIBUTE_SIZE), 1..65536 (default 4000)");

unsigned int dm_max_stats_regions = 65536;
DM_BOUNDED_PARAM(max_stats_regions, dm_max_stats_regions, 1, 1000000,
		 "I/O statistics regions, and groups of them, that may exist at once, 1..1000000 (default 65536)");

DM_BOUNDED_PARAM(drain_timeout, dm_drain_timeout, 1, 86400,
		 "Seconds a DMAPI access right granted waits for the reads and writes admitted before it, before the request fails EAGAIN, 1..86400 (default 30)");

unsigned int dm_event_timeout;
DM_BOUNDED_PARAM(event_timeout, dm_event_timeout, 0, 86400 * 365,
		 "Seconds a process waits for the answer to a synchronous event before it fails with ETIMEDOUT; dm_pending() extends it; 0 waits forever, 0..31536000 (default 0)");

static long dm_ioc_version(void __user *uarg)
{
	struct dmapi_version_arg arg = {
		.major = DMAPI_KERNEL_VERSION,
		.minor = DMAPI_KERNEL_MINOR_VERSION,
	};

	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/*
 * Every call but DMAPI_IOC_VERSION fails -EINVAL when a padding, reserved
 * or unread field of its argument is set (protocols 1.10 and 1.12): the
 * handlers' Return: lines leave that out.
 */
static long dm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	switch (cmd) {
	case DMAPI_IOC_VERSION:
		return dm_ioc_version(uarg);
	case DMAPI_IOC_CREATE_SESSION:
		return dm_ioc_create_session(uarg);
	case DMAPI_IOC_DESTROY_SESSION:
		return dm_ioc_destroy_session(uarg);
	case DMAPI_IOC_GETALL_SESSIONS:
		return dm_ioc_getall_sessions(uarg);
	case DMAPI_IOC_QUERY_SESSION:
		return dm_ioc_query_session(uarg);
	case DMAPI_IOC_CREATE_USEREVENT:
		return dm_ioc_create_userevent(uarg);
	case DMAPI_IOC_SEND_MSG:
		return dm_ioc_send_msg(uarg);
	case DMAPI_IOC_GET_EVENTS:
		return dm_ioc_get_events(uarg);
	case DMAPI_IOC_RESPOND_EVENT:
		return dm_ioc_respond_event(uarg);
	case DMAPI_IOC_FIND_EVENTMSG:
		return dm_ioc_find_eventmsg(uarg);
	case DMAPI_IOC_GETALL_TOKENS:
		return dm_ioc_getall_tokens(uarg);
	case DMAPI_IOC_MOVE_EVENT:
		return dm_ioc_move_event(uarg);
	case DMAPI_IOC_PENDING:
		return dm_ioc_pending(uarg);
	case DMAPI_IOC_GET_CONFIG:
		return dm_ioc_get_config(uarg);
	case DMAPI_IOC_GET_CONFIG_EVENTS:
		return dm_ioc_get_config_events(uarg);
	case DMAPI_IOC_FD_TO_HANDLE:
		return dm_ioc_fd_to_handle(uarg);
	case DMAPI_IOC_OPEN_BY_HANDLE:
		return dm_ioc_open_by_handle(uarg);
	case DMAPI_IOC_HANDLE_TO_PATH:
		return dm_ioc_handle_to_path(uarg);
	case DMAPI_IOC_SET_DISP:
		return dm_ioc_set_disp(uarg);
	case DMAPI_IOC_GETALL_DISP:
		return dm_ioc_getall_disp(uarg);
	case DMAPI_IOC_SET_EVENTLIST:
		return dm_ioc_set_eventlist(uarg);
	case DMAPI_IOC_GET_EVENTLIST:
		return dm_ioc_get_eventlist(uarg);
	case DMAPI_IOC_GET_MOUNTINFO:
		return dm_ioc_get_mountinfo(uarg);
	case DMAPI_IOC_SET_RETURN_ON_DESTROY:
		return dm_ioc_set_return_on_destroy(uarg);
	case DMAPI_IOC_SET_REGION:
		return dm_ioc_set_region(uarg);
	case DMAPI_IOC_GET_REGION:
		return dm_ioc_get_region(uarg);
	case DMAPI_IOC_READ_INVIS:
		return dm_ioc_read_invis(uarg);
	case DMAPI_IOC_WRITE_INVIS:
		return dm_ioc_write_invis(uarg);
	case DMAPI_IOC_PUNCH_HOLE:
		return dm_ioc_punch_hole(uarg);
	case DMAPI_IOC_PROBE_HOLE:
		return dm_ioc_probe_hole(uarg);
	case DMAPI_IOC_GET_ALLOCINFO:
		return dm_ioc_get_allocinfo(uarg);
	case DMAPI_IOC_SYNC_BY_HANDLE:
		return dm_ioc_sync_by_handle(uarg);
	case DMAPI_IOC_GET_DIOINFO:
		return dm_ioc_get_dioinfo(uarg);
	case DMAPI_IOC_REQUEST_RIGHT:
		return dm_ioc_request_right(uarg);
	case DMAPI_IOC_RELEASE_RIGHT:
		return dm_ioc_release_right(uarg);
	case DMAPI_IOC_QUERY_RIGHT:
		return dm_ioc_query_right(uarg);
	case DMAPI_IOC_UPGRADE_RIGHT:
		return dm_ioc_upgrade_right(uarg);
	case DMAPI_IOC_DOWNGRADE_RIGHT:
		return dm_ioc_downgrade_right(uarg);
	case DMAPI_IOC_OBJ_REF_HOLD:
		return dm_ioc_obj_ref_hold(uarg);
	case DMAPI_IOC_OBJ_REF_RELE:
		return dm_ioc_obj_ref_rele(uarg);
	case DMAPI_IOC_OBJ_REF_QUERY:
		return dm_ioc_obj_ref_query(uarg);
	case DMAPI_IOC_SET_DMATTR:
		return dm_ioc_set_dmattr(uarg);
	case DMAPI_IOC_GET_DMATTR:
		return dm_ioc_get_dmattr(uarg);
	case DMAPI_IOC_REMOVE_DMATTR:
		return dm_ioc_remove_dmattr(uarg);
	case DMAPI_IOC_GETALL_DMATTR:
		return dm_ioc_getall_dmattr(uarg);
	case DMAPI_IOC_GET_FILEATTR:
		return dm_ioc_get_fileattr(uarg);
	case DMAPI_IOC_SET_FILEATTR:
		return dm_ioc_set_fileattr(uarg);
	case DMAPI_IOC_INIT_ATTRLOC:
		return dm_ioc_init_attrloc(uarg);
	case DMAPI_IOC_GET_DIRATTRS:
		return dm_ioc_get_dirattrs(uarg);
	case DMAPI_IOC_SET_INHERIT:
		return dm_ioc_set_inherit(uarg);
	case DMAPI_IOC_CLEAR_INHERIT:
		return dm_ioc_clear_inherit(uarg);
	case DMAPI_IOC_GETALL_INHERIT:
		return dm_ioc_getall_inherit(uarg);
	case DMAPI_IOC_CREATE_BY_HANDLE:
		return dm_ioc_create_by_handle(uarg);
	case DMAPI_IOC_GET_BULKATTR:
		return dm_ioc_get_bulkattr(uarg);
	}
	return -ENOTTY;
}

static int dm_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return nonseekable_open(inode, file);
}

static const struct file_operations dm_fops = {
	.owner		= THIS_MODULE,
	.open		= dm_open,
	.unlocked_ioctl	= dm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= dm_no_llseek,
};

static struct miscdevice dm_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= DMAPI_DEVICE_NAME,
	.fops	= &dm_fops,
	.mode	= 0600,
};

static int __init dm_init(void)
{
	int err;

	err = dm_session_init();
	if (err)
		return err;
	err = dm_event_init();
	if (err)
		goto out_session;
	/*
	 * The ways in from outside last: a module whose init fails is freed
	 * even if a call got in meanwhile.  The netlink family's calls hold
	 * its lock, which unregistering it takes, but a dump it started,
	 * and a mount, outlive a failure of the registrations after them:
	 * a window that needs memory to run out, or a name to clash, while
	 * the module loads.
	 */
	err = dm_monitor_init();
	if (err)
		goto out_event;
	dm_debugfs_init();
	err = dmfs_init();
	if (err)
		goto out_monitor;
	err = misc_register(&dm_miscdev);
	if (err)
		goto out_fs;
	pr_info("X/Open XDSM DMAPI, protocol %u.%u\n",
		DMAPI_KERNEL_VERSION, DMAPI_KERNEL_MINOR_VERSION);
	return 0;

out_fs:
	dmfs_exit();
out_monitor:
	dm_debugfs_exit();
	dm_monitor_exit();
out_event:
	dm_event_exit();
out_session:
	dm_session_exit();
	return err;
}

static void __exit dm_exit(void)
{
	dm_debugfs_exit();
	dm_monitor_exit();
	dmfs_exit();
	dm_stats_exit();
	misc_deregister(&dm_miscdev);
	dm_access_exit();
	dm_session_exit();
	dm_event_exit();
}

module_init(dm_init);
module_exit(dm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("X/Open XDSM Data Management API (DMAPI)");
MODULE_VERSION(DMAPI_MODULE_VERSION);
