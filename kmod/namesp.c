// SPDX-License-Identifier: GPL-2.0
/*
 * Namespace events and the events of an object's life.
 *
 * CREATE, REMOVE, RENAME, LINK and SYMLINK come before a change of a
 * directory and are synchronous: the process making the change waits,
 * interruptibly, and an ABORT answer vetoes the change with the errno
 * given.  Their POST* events come after every change that was attempted,
 * whether it succeeded or failed, with the result in ne_retcode (0 or a
 * positive errno); a change vetoed by its pre-event was not attempted and
 * has none.  The directory's event list decides (for a rename, either
 * directory's).
 *
 * ATTRIBUTE (after a change of an object's attributes), CLOSE (after the
 * last close of a file opened through the mount) and DESTROY (when the
 * last link and the last reference of an object are gone) are
 * asynchronous, and the object's own event list decides, as it does for
 * DEBUT (kmod/fs/debut.c), which is synchronous.  DESTROY carries
 * the filesystem's return-on-destroy DM attribute, read just before the
 * object goes.
 *
 * Each event needs, as every other, a session holding its disposition on
 * the filesystem; without one nothing is read.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/printk.h>
#include <linux/slab.h>

#include "core.h"

#define DM_VAR(len)	ALIGN((u32)(len), DMAPI_MSG_ALIGN)

static bool dm_event_is_sync(int type)
{
	switch (type) {
	case DMAPI_EVENT_CREATE:
	case DMAPI_EVENT_REMOVE:
	case DMAPI_EVENT_RENAME:
	case DMAPI_EVENT_LINK:
	case DMAPI_EVENT_SYMLINK:
	case DMAPI_EVENT_DEBUT:
		return true;
	default:
		return false;
	}
}

/* The event list of the lower object at @dentry of @fs. */
static int dm_dentry_events(struct dm_fs *fs, struct dentry *dentry,
			    u64 *events)
{
	struct path path = { .mnt = fs->lower->mnt, .dentry = dentry };

	*events = 0;
	if (!dentry || d_is_negative(dentry))
		return 0;
	return dm_obj_events(&path, events);
}

/* The session that receives @type for @ns, 0 for none, or an errno. */
static int dm_namesp_session(struct dm_fs *fs, int type,
			     const struct dm_namesp *ns)
{
	u64 events, events2 = 0;
	int err;

	if (!READ_ONCE(fs->disp[type]))
		return 0;
	err = dm_dentry_events(fs, ns->obj1, &events);
	if (!err && (type == DMAPI_EVENT_RENAME ||
		     type == DMAPI_EVENT_POSTRENAME))
		err = dm_dentry_events(fs, ns->obj2, &events2);
	if (err)
		return err;
	return dm_fs_session_for(fs, type, events | events2);
}

static u32 dm_name_size(const char *name)
{
	return name ? DM_VAR(strlen(name) + 1) : 0;
}

/* Append the handle of the lower object at @dentry, if positive. */
static void dm_put_handle(struct dm_fs *fs, u8 *buf, u32 *pos,
			  struct dmapi_vardata *vd, struct dentry *dentry)
{
	struct dmapi_handle h;

	if (!dentry || d_is_negative(dentry))
		return;
	dm_inode_handle(fs, d_inode(dentry), &h);
	dm_vardata_put(buf, 0, pos, vd, &h, DMAPI_HANDLE_LEN);
}

static void dm_put_name(u8 *buf, u32 *pos, struct dmapi_vardata *vd,
			const char *name)
{
	if (name)
		dm_vardata_put(buf, 0, pos, vd, name, strlen(name) + 1);
}

/* The message of @type for @ns. */
static struct dm_event *dm_namesp_msg(struct dm_fs *fs, int type,
				      const struct dm_namesp *ns)
{
	struct dmapi_namesp_msg *ne;
	u32 pos = DM_VAR(sizeof(*ne));
	struct dm_event *ev;

	ev = dm_event_create(type, pos + 2 * DM_VAR(DMAPI_HANDLE_LEN) +
			     dm_name_size(ns->name1) + dm_name_size(ns->name2),
			     dm_event_is_sync(type));
	if (IS_ERR(ev))
		return ev;
	ne = (struct dmapi_namesp_msg *)ev->data;
	ne->ne_mode = ns->mode;
	ne->ne_retcode = ns->retcode;
	dm_put_handle(fs, ev->data, &pos, &ne->ne_handle1, ns->obj1);
	dm_put_handle(fs, ev->data, &pos, &ne->ne_handle2, ns->obj2);
	dm_put_name(ev->data, &pos, &ne->ne_name1, ns->name1);
	dm_put_name(ev->data, &pos, &ne->ne_name2, ns->name2);
	ev->datalen = pos;
	return ev;
}

/*
 * Queue @ev on session @sid and, if synchronous, wait for the answer.  A
 * session destroyed meanwhile is as if the event were off.
 */
static int dm_fs_event_send(struct dm_fs *fs, int sid, struct dm_event *ev)
{
	struct dm_session *s = dm_session_get(sid);
	int err = 0;

	if (s) {
		if (ev->token > 0)
			ev->cancel = dm_fs_wants_cancel(fs);
		err = dm_fs_send(fs, s, ev);
		dm_session_put(s);
		if (err == -EINVAL && !ev->response)
			err = 0;
	}
	dm_event_put(ev);
	return err;
}

/**
 * dm_namesp_event - send a namespace event if the DM application wants it
 * @fs: the filesystem
 * @type: the event
 * @ns: its objects, names, mode and result
 *
 * Return: for the synchronous events, 0 to go on (not wanted, or answered
 * CONTINUE), the errno of an ABORT, -EINTR, -ETIMEDOUT, or the errno of
 * reading the event lists or allocating the message; for the
 * asynchronous ones, 0 (a message that cannot be made is logged).
 */
int dm_namesp_event(struct dm_fs *fs, int type, const struct dm_namesp *ns)
{
	struct dm_event *ev;
	int sid, err;

	sid = dm_namesp_session(fs, type, ns);
	if (sid <= 0) {
		err = sid;
		goto out;
	}
	ev = dm_namesp_msg(fs, type, ns);
	err = PTR_ERR_OR_ZERO(ev);
	if (!err)
		err = dm_fs_event_send(fs, sid, ev);
out:
	if (err && !dm_event_is_sync(type)) {
		pr_warn_ratelimited("%s: event %d lost: error %d\n",
				    fs->mountpoint, type, err);
		err = 0;
	}
	return err;
}

/* The DESTROY message of the object @dentry, with its attribute copy. */
static struct dm_event *dm_destroy_msg(struct dm_fs *fs, struct dentry *dentry)
{
	struct path path = { .mnt = fs->lower->mnt, .dentry = dentry };
	struct dmapi_destroy_msg *ds;
	u8 name[DMAPI_ATTR_NAME_SIZE];
	struct dmapi_handle h;
	struct dm_event *ev;
	u32 pos = DM_VAR(sizeof(*ds));
	ssize_t n;
	void *value;
	int rod;

	rod = dm_fs_rod_name(fs, name);
	if (rod < 0)
		return ERR_PTR(rod);
	/*
	 * The value as long as it is: max_attr_size may have been lowered
	 * since it was set, and nothing changes a removed object's.
	 */
	n = rod ? dm_attr_load(&path, name, NULL, 0) : 0;
	if (n < 0)
		return ERR_PTR(n);
	value = n ? kvmalloc(n, GFP_KERNEL) : NULL;
	if (n && !value)
		return ERR_PTR(-ENOMEM);
	if (n)
		n = dm_attr_load(&path, name, value, n);
	ev = n < 0 ? ERR_PTR(n) :
	     dm_event_create(DMAPI_EVENT_DESTROY, pos + DM_VAR(DMAPI_HANDLE_LEN) +
			     DM_VAR(n), false);
	if (IS_ERR(ev))
		goto out;
	ds = (struct dmapi_destroy_msg *)ev->data;
	dm_inode_handle(fs, d_inode(dentry), &h);
	dm_vardata_put(ev->data, 0, &pos, &ds->ds_handle, &h, DMAPI_HANDLE_LEN);
	if (rod)
		memcpy(ds->ds_attrname, name, sizeof(name));
	if (n)
		dm_vardata_put(ev->data, 0, &pos, &ds->ds_attrcopy, value, n);
	ev->datalen = pos;
out:
	kvfree(value);
	return ev;
}

/**
 * dm_destroy_event - tell the DM application an object is gone
 * @fs: the filesystem
 * @lower: the object's lower inode, without links, as the last reference
 *	through the mount goes
 *
 * Sent when the object's own event list or the filesystem's enables
 * DESTROY; a message that cannot be made is logged.
 */
void dm_destroy_event(struct dm_fs *fs, struct inode *lower)
{
	struct dentry *dentry;
	struct dm_event *ev;
	u64 events;
	int sid, err;

	if (!READ_ONCE(fs->disp[DMAPI_EVENT_DESTROY]))
		return;
	/* The lower dentries went with ours: an anonymous one reads xattrs. */
	dentry = d_obtain_alias(igrab(lower));
	err = PTR_ERR_OR_ZERO(dentry);
	if (err)
		goto out;
	err = dm_dentry_events(fs, dentry, &events);
	sid = err ? 0 : dm_fs_session_for(fs, DMAPI_EVENT_DESTROY, events);
	if (sid) {
		ev = dm_destroy_msg(fs, dentry);
		err = PTR_ERR_OR_ZERO(ev);
		if (!err)
			err = dm_fs_event_send(fs, sid, ev);
	}
	dput(dentry);
out:
	if (err)
		pr_warn_ratelimited("%s: DESTROY of inode %lu lost: error %d\n",
				    fs->mountpoint, lower->i_ino, err);
}
