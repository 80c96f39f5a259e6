// SPDX-License-Identifier: GPL-2.0
/*
 * Mount, preunmount and unmount events, and dm_get_mountinfo().
 *
 * A managed filesystem is mounted only with the consent of a DM
 * application: the MOUNT event is offered, synchronously, to the sessions
 * holding the MOUNT disposition in ascending session id order, until one
 * answers other than DONTCARE.  With no such session the mount fails (the
 * AIX rule: a managed filesystem is never used unmanaged).  The event is
 * sent before the superblock exists and with no VFS lock held, once the
 * filesystem serves handles: the DM application sets dispositions and
 * event lists by handle while it answers.
 *
 * PREUNMOUNT is synchronous and comes while handles still work; Linux
 * lets no filesystem refuse an unmount at that point, so an ABORT answer
 * is only logged.  UNMOUNT is asynchronous and comes after the teardown.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/printk.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "core.h"

#define DM_VAR(len)	ALIGN((u32)(len), DMAPI_MSG_ALIGN)

/* The size of a filesystem's dmapi_mount_msg with its data. */
static u32 dm_mountinfo_size(const struct dm_fs *fs)
{
	return DM_VAR(sizeof(struct dmapi_mount_msg)) +
	       DM_VAR(DMAPI_FSHANDLE_LEN) +
	       DM_VAR(strlen(fs->mountpoint) + 1) +
	       DM_VAR(strlen(fs->lower_name) + 1) +
	       DM_VAR(DMAPI_HANDLE_LEN);
}

/*
 * Write a filesystem's dmapi_mount_msg to @buf, zeroed, of
 * dm_mountinfo_size() bytes.  The covered directory belongs to another
 * filesystem, which has no handles: me_handle2 stays empty.
 */
static void dm_mountinfo_fill(const struct dm_fs *fs, u8 *buf)
{
	struct dmapi_mount_msg *me = (struct dmapi_mount_msg *)buf;
	struct super_block *sb = READ_ONCE(fs->sb);
	u32 pos = DM_VAR(sizeof(*me));
	struct dmapi_handle root;

	/* Once mounted, as the filesystem is now: a remount changes it. */
	if (sb ? sb_rdonly(sb) || __mnt_is_readonly(fs->lower->mnt) :
		 fs->rdonly)
		me->me_mode = DMAPI_MOUNT_RDONLY;
	dm_vardata_put(buf, 0, &pos, &me->me_handle1, &fs->fsid,
		       DMAPI_FSHANDLE_LEN);
	dm_vardata_put(buf, 0, &pos, &me->me_name1, fs->mountpoint,
		       strlen(fs->mountpoint) + 1);
	dm_vardata_put(buf, 0, &pos, &me->me_name2, fs->lower_name,
		       strlen(fs->lower_name) + 1);
	dm_fs_root_handle(fs, &root);
	dm_vardata_put(buf, 0, &pos, &me->me_roothandle, &root,
		       DMAPI_HANDLE_LEN);
}

/*
 * Offer the MOUNT event to @s.  Return 0 (CONTINUE), 1 (DONTCARE, or the
 * session went away: ask the next), or the errno of the failure.
 */
static int dm_mount_offer(struct dm_fs *fs, struct dm_session *s)
{
	struct dm_event *ev;
	int err;

	ev = dm_event_create(DMAPI_EVENT_MOUNT, dm_mountinfo_size(fs), true);
	if (IS_ERR(ev))
		return PTR_ERR(ev);
	dm_mountinfo_fill(fs, ev->data);
	err = dm_fs_send(fs, s, ev);
	/*
	 * An answer that came after the wait ended (killed, timed out) is
	 * not heard: the mount fails with the wait, however it was answered.
	 */
	if (!err && ev->response == DMAPI_RESP_DONTCARE)
		err = 1;
	else if (err == -EINVAL && !ev->response)
		err = 1;	/* destroyed before it could queue the event */
	dm_event_put(ev);
	return err;
}

/**
 * dm_send_mount - ask the DM applications whether a filesystem may mount
 * @fs: the filesystem, registered and serving handles
 *
 * Return: 0 when a session answered CONTINUE or all of them DONTCARE; the
 * errno of an ABORT; -ENOTCONN when no session holds the MOUNT
 * disposition; -EINTR or -ETIMEDOUT when the wait ended unanswered.
 */
int dm_send_mount(struct dm_fs *fs)
{
	struct dm_session *s;
	bool offered = false;
	int sid = 0, err;

	while ((s = dm_session_next_mounter(sid))) {
		sid = s->sid;
		err = dm_mount_offer(fs, s);
		dm_session_put(s);
		if (err <= 0)
			return err;
		offered = true;
	}
	return offered ? 0 : -ENOTCONN;
}

/* The size of a dmapi_namesp_msg with two handles. */
#define DM_UNMOUNT_MSG_SIZE	(DM_VAR(sizeof(struct dmapi_namesp_msg)) + \
				 DM_VAR(DMAPI_FSHANDLE_LEN) + \
				 DM_VAR(DMAPI_HANDLE_LEN))

/*
 * Send PREUNMOUNT or UNMOUNT of @fs to session @sid: the filesystem's
 * handle, the force flag and, for PREUNMOUNT, the root's handle (after
 * the teardown it names nothing), for UNMOUNT the result.  Return the
 * answer's errno, or 0.
 */
static int dm_send_unmount_event(struct dm_fs *fs, int type, int sid,
				 int retcode)
{
	struct dmapi_namesp_msg *ne;
	struct dmapi_handle root;
	struct dm_session *s;
	struct dm_event *ev;
	u32 pos = DM_VAR(sizeof(*ne));
	int err;

	s = dm_session_get(sid);
	if (!s)
		return 0;
	ev = dm_event_create(type, DM_UNMOUNT_MSG_SIZE,
			     type == DMAPI_EVENT_PREUNMOUNT);
	err = PTR_ERR_OR_ZERO(ev);
	if (err)
		goto out;
	ne = (struct dmapi_namesp_msg *)ev->data;
	ne->ne_mode = READ_ONCE(fs->forced) ? DMAPI_UNMOUNT_FORCE : 0;
	ne->ne_retcode = retcode;
	dm_vardata_put(ev->data, 0, &pos, &ne->ne_handle1, &fs->fsid,
		       DMAPI_FSHANDLE_LEN);
	if (type == DMAPI_EVENT_PREUNMOUNT) {
		dm_fs_root_handle(fs, &root);
		dm_vardata_put(ev->data, 0, &pos, &ne->ne_handle2, &root,
			       DMAPI_HANDLE_LEN);
	}
	err = dm_fs_send(fs, s, ev);
	dm_event_put(ev);
out:
	dm_session_put(s);
	return err;
}

/**
 * dm_send_preunmount - tell the DM application a filesystem goes away
 * @fs: the filesystem, still serving handles
 *
 * Waits for the answer when the event is enabled and a session holds its
 * disposition; the unmount goes on whatever the answer.
 */
void dm_send_preunmount(struct dm_fs *fs)
{
	int sid = dm_fs_session_for(fs, DMAPI_EVENT_PREUNMOUNT, 0);
	int err;

	if (!sid)
		return;
	err = dm_send_unmount_event(fs, DMAPI_EVENT_PREUNMOUNT, sid, 0);
	if (err)
		pr_info("%s: PREUNMOUNT ended with error %d; unmounting anyway\n",
			fs->mountpoint, err);
}

/**
 * dm_send_unmount - tell the DM application a filesystem is gone
 * @fs: the filesystem, unregistered and torn down; its fields are intact
 * @sid: the session that held the UNMOUNT disposition with the event
 *	enabled before the teardown (dm_fs_session_for()), or 0
 * @retcode: the result of the unmount
 */
void dm_send_unmount(struct dm_fs *fs, int sid, int retcode)
{
	if (sid)
		dm_send_unmount_event(fs, DMAPI_EVENT_UNMOUNT, sid, retcode);
}

/**
 * dm_ioc_get_mountinfo - DMAPI_IOC_GET_MOUNTINFO
 * @uarg: struct dmapi_mountinfo_arg
 *
 * Return: 0 with the filesystem's dmapi_mount_msg, as in its MOUNT event,
 * or -E2BIG with the size needed in buf.rlen, -EINVAL (no such session,
 * not a filesystem handle, a token), -EBADF (no such managed filesystem),
 * -ENOMEM, -EFAULT.
 */
long dm_ioc_get_mountinfo(void __user *uarg)
{
	struct dmapi_mountinfo_arg arg;
	struct dm_handle_call c;
	struct dm_fs *fs;
	u8 *buf = NULL;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	err = dm_handle_call_begin(&c, arg.sid, arg.token, arg.hanp, arg.hlen);
	if (err)
		return err;
	err = -EINVAL;
	if (c.uh.kind != DM_HANDLE_FS)
		goto out;
	dm_fs_lock();
	fs = dm_fs_find_locked(c.uh.h.fsid);
	if (!fs) {
		err = -EBADF;
	} else {
		arg.buf.rlen = dm_mountinfo_size(fs);
		err = -E2BIG;
		if (arg.buf.len >= arg.buf.rlen) {
			/*
			 * No reclaim into the filesystems under the list's
			 * mutex, which every handle call takes.
			 */
			unsigned int nofs = memalloc_nofs_save();

			buf = kvzalloc(arg.buf.rlen, GFP_KERNEL);
			memalloc_nofs_restore(nofs);
			err = buf ? 0 : -ENOMEM;
			if (buf)
				dm_mountinfo_fill(fs, buf);
		}
	}
	dm_fs_unlock();
	err = dm_copy_filled(err, uarg, &arg, sizeof(arg), &arg.buf, buf);
	kvfree(buf);
out:
	dm_handle_call_end(&c);
	return err;
}
