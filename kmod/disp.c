// SPDX-License-Identifier: GPL-2.0
/*
 * Dispositions and event lists: which events a filesystem generates and
 * which session receives them.
 *
 * An event of a managed filesystem is generated only when it is enabled,
 * in the filesystem's event list or in the object's own, and a session
 * holds its disposition; otherwise the operation goes on as if the event
 * were disabled.  The filesystem's list and the dispositions belong to the
 * mount; an object's list and the return-on-destroy attribute are kept in
 * trusted.dmapi.* extended attributes of the lower inodes, so they outlive
 * the mount.  The MOUNT disposition is held on the global handle, by any
 * number of sessions.
 */
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xattr.h>

#include "core.h"

#define DM_XATTR_EVENTS		"trusted.dmapi.events"
#define DM_XATTR_RETURN_ON_DESTROY	"trusted.dmapi.rod"

#define DM_EV(e)	BIT_ULL(DMAPI_EVENT_##e)

/* Events of the objects in a directory. */
#define DM_DIR_EVENTS	(DM_EV(CREATE) | DM_EV(POSTCREATE) | DM_EV(REMOVE) | \
			 DM_EV(POSTREMOVE) | DM_EV(RENAME) | DM_EV(POSTRENAME) | \
			 DM_EV(LINK) | DM_EV(POSTLINK) | DM_EV(SYMLINK) | \
			 DM_EV(POSTSYMLINK))
/* Events of any object. */
#define DM_OBJ_EVENTS	(DM_EV(ATTRIBUTE) | DM_EV(DESTROY) | DM_EV(DEBUT) | \
			 DM_EV(CLOSE))
/* Events of a regular file's data. */
#define DM_FILE_EVENTS	(DM_EV(READ) | DM_EV(WRITE) | DM_EV(TRUNCATE))
/* Events a filesystem's list and dispositions take: all it generates. */
#define DM_FS_EVENTS	(DM_EV(PREUNMOUNT) | DM_EV(UNMOUNT) | DM_EV(NOSPACE) | \
			 DM_EV(CANCEL) | DM_DIR_EVENTS | DM_OBJ_EVENTS | DM_FILE_EVENTS)

/* Serialises the read-modify-write of object event lists. */
static DEFINE_MUTEX(dm_eventlist_mutex);

/* The events below @maxevent, or -EINVAL. */
static int dm_event_mask(u32 maxevent, u64 *mask)
{
	if (maxevent > DMAPI_EVENT_MAX)
		return -EINVAL;
	*mask = maxevent ? GENMASK_ULL(maxevent - 1, 0) : 0;
	return 0;
}

/**
 * dm_handle_call_begin - the common checks of a call on a handle
 * @c: filled in; release with dm_handle_call_end() on success
 * @sid: the session
 * @token: DM_NO_TOKEN, or a token outstanding in the session
 * @hanp: user address of the handle
 * @hlen: its length
 *
 * A filesystem or the global handle takes DM_NO_TOKEN only (GPFS).
 *
 * Return: 0, or -EINVAL (no such session, malformed handle, a token on a
 * filesystem handle), -ESRCH (the token is not outstanding), -EFAULT.
 */
int dm_handle_call_begin(struct dm_handle_call *c, s32 sid, s32 token,
			 u64 hanp, u64 hlen)
{
	struct dm_user_handle uh;

	return dm_handle_call_begin_read(c, sid, token, &uh,
					 dm_handle_get(hanp, hlen, &uh));
}

/**
 * dm_handle_call_begin_read - dm_handle_call_begin() of a handle read
 *	before, so that the call reads it once
 * @c: filled in; release with dm_handle_call_end() on success
 * @sid: the session
 * @token: DM_NO_TOKEN, or a token outstanding in the session
 * @uh: the handle, as dm_handle_get() read it
 * @read_err: what dm_handle_get() returned
 *
 * Return: as dm_handle_call_begin(); -EINVAL for no such session before
 * @read_err.
 */
int dm_handle_call_begin_read(struct dm_handle_call *c, s32 sid, s32 token,
			      const struct dm_user_handle *uh, int read_err)
{
	int err = read_err;

	c->s = dm_session_get(sid);
	if (!c->s)
		return -EINVAL;
	c->token = token;
	if (err)
		goto fail;
	c->uh = *uh;
	if (token == DM_NO_TOKEN)
		return 0;
	err = -EINVAL;
	if (c->uh.kind != DM_HANDLE_OBJECT || token <= 0)
		goto fail;
	err = -ESRCH;
	if (!dm_session_has_token(c->s, token))
		goto fail;
	return 0;
fail:
	dm_session_put(c->s);
	return err;
}

/**
 * dm_handle_call_end - release what dm_handle_call_begin() took
 * @c: the call
 */
void dm_handle_call_end(struct dm_handle_call *c)
{
	dm_session_put(c->s);
}

/**
 * dm_fs_session_for - the session that receives an event of a filesystem
 * @fs: the filesystem
 * @type: enum dmapi_event_type
 * @obj_events: the event list of the object concerned, or 0
 *
 * Return: the id of the session holding the disposition of @type when
 * the event is enabled, or 0 when it is not to be generated.
 */
int dm_fs_session_for(struct dm_fs *fs, int type, u64 obj_events)
{
	/*
	 * Every read and write of a managed filesystem asks, so no lock,
	 * which all of them would share.  An access racing with a change of
	 * the event list or of a disposition sees it or not, as it would
	 * with the lock; and the session id it gets can go stale the moment
	 * any lock is dropped anyway.
	 */
	if (!((READ_ONCE(fs->events) | obj_events) & BIT_ULL(type)))
		return 0;
	return READ_ONCE(fs->disp[type]);
}

/**
 * dm_fs_wants_cancel - whether waiters on events of a filesystem that give
 *	up send CANCEL
 * @fs: the filesystem
 *
 * Return: true when CANCEL is enabled and a session holds its disposition.
 */
bool dm_fs_wants_cancel(struct dm_fs *fs)
{
	return dm_fs_session_for(fs, DMAPI_EVENT_CANCEL, 0) != 0;
}

/**
 * dm_fs_rod_name - the filesystem's return-on-destroy DM attribute
 * @fs: the filesystem
 * @name: filled in, DMAPI_ATTR_NAME_SIZE bytes
 *
 * Return: 1 when one is set, 0 when none is, or a negative errno.
 */
int dm_fs_rod_name(struct dm_fs *fs, u8 *name)
{
	ssize_t n;

	n = dm_xattr_load(fs->lower, DM_XATTR_RETURN_ON_DESTROY, name,
			  DMAPI_ATTR_NAME_SIZE);
	if (n <= 0)
		return n;
	return n == DMAPI_ATTR_NAME_SIZE ? 1 : -EIO;
}

/**
 * dm_disp_release_session - forget the dispositions of a destroyed session
 * @sid: its id
 */
void dm_disp_release_session(int sid)
{
	struct dm_fs *fs;
	int i;

	dm_fs_lock();
	dm_fs_for_each_locked(fs) {
		spin_lock(&fs->lock);
		for (i = 0; i < DMAPI_EVENT_MAX; i++)
			if (fs->disp[i] == sid)
				WRITE_ONCE(fs->disp[i], 0);
		spin_unlock(&fs->lock);
	}
	dm_fs_unlock();
}

/* The session takes the events of @set within @mask and leaves the rest. */
static int dm_fs_set_disp(struct dm_session *s, u64 fsid, u64 set, u64 mask)
{
	struct dm_fs *fs;
	int i, err = 0;

	dm_fs_lock();
	fs = dm_fs_find_locked(fsid);
	if (!fs) {
		err = -EBADF;
	} else if (READ_ONCE(s->dead)) {
		/* dm_disp_release_session() may have run already. */
		err = -EINVAL;
	} else {
		spin_lock(&fs->lock);
		for (i = 0; i < DMAPI_EVENT_MAX; i++) {
			if (!(mask & BIT_ULL(i)))
				continue;
			if (set & BIT_ULL(i))
				WRITE_ONCE(fs->disp[i], s->sid);
			else if (fs->disp[i] == s->sid)
				WRITE_ONCE(fs->disp[i], 0);
		}
		spin_unlock(&fs->lock);
	}
	dm_fs_unlock();
	return err;
}

/**
 * dm_ioc_set_disp - DMAPI_IOC_SET_DISP
 * @uarg: struct dmapi_eventset_arg
 *
 * On the global handle only MOUNT; on a filesystem handle the events the
 * filesystem generates.
 *
 * Return: 0, or -EINVAL (no such session, an object handle, a token, an
 * event the handle does not take, maxevent above DM_EVENT_MAX), -EBADF
 * (no such managed filesystem), -EFAULT.
 */
long dm_ioc_set_disp(void __user *uarg)
{
	struct dmapi_eventset_arg arg;
	struct dm_handle_call c;
	u64 mask, set;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* nelem_out is GET_EVENTLIST's. */
	if (arg.reserved || arg.nelem_out)
		return -EINVAL;
	err = dm_event_mask(arg.nelem, &mask);
	if (err)
		return err;
	err = dm_handle_call_begin(&c, arg.sid, arg.token, arg.hanp, arg.hlen);
	if (err)
		return err;
	set = arg.eventset & mask;
	switch (c.uh.kind) {
	case DM_HANDLE_GLOBAL:
		if (set & ~DM_EV(MOUNT))
			err = -EINVAL;
		else if (mask & DM_EV(MOUNT))
			WRITE_ONCE(c.s->mount_disp, set != 0);
		break;
	case DM_HANDLE_FS:
		if (set & ~DM_FS_EVENTS)
			err = -EINVAL;
		else
			err = dm_fs_set_disp(c.s, c.uh.h.fsid, set, mask);
		break;
	default:
		err = -EINVAL;
	}
	dm_handle_call_end(&c);
	return err;
}

#define DM_DISPINFO_SIZE	(ALIGN(sizeof(struct dmapi_dispinfo), DMAPI_MSG_ALIGN) + \
				 ALIGN(DMAPI_FSHANDLE_LEN, DMAPI_MSG_ALIGN))

/* The events of @fs whose disposition session @sid holds. */
static u64 dm_fs_disp_of(struct dm_fs *fs, int sid)
{
	u64 set = 0;
	int i;

	spin_lock(&fs->lock);
	for (i = 0; i < DMAPI_EVENT_MAX; i++)
		if (fs->disp[i] == sid)
			set |= BIT_ULL(i);
	spin_unlock(&fs->lock);
	return set;
}

/*
 * Fill @buf, of @room records or NULL to count, with session @sid's
 * dispositions.  Return the number of records there are.
 */
static u32 dm_fill_dispinfo_locked(int sid, u8 *buf, u32 room)
{
	struct dm_fs *fs;
	u32 n = 0;

	dm_fs_for_each_locked(fs) {
		u64 set = dm_fs_disp_of(fs, sid);
		struct dmapi_dispinfo *di;
		u32 pos;

		if (!set)
			continue;
		if (buf && n < room) {
			pos = n * DM_DISPINFO_SIZE;
			di = (struct dmapi_dispinfo *)(buf + pos);
			di->di_link = DM_DISPINFO_SIZE;
			di->di_eventset = set;
			pos += ALIGN(sizeof(*di), DMAPI_MSG_ALIGN);
			dm_vardata_put(buf, n * DM_DISPINFO_SIZE, &pos,
				       &di->di_fshandle, &fs->fsid,
				       DMAPI_FSHANDLE_LEN);
		}
		n++;
	}
	return n;
}

/**
 * dm_ioc_getall_disp - DMAPI_IOC_GETALL_DISP
 * @uarg: struct dmapi_getall_disp_arg
 *
 * Return: 0 with a dmapi_dispinfo record per filesystem on which the
 * session holds a disposition, or -E2BIG with the size needed in
 * buf.rlen, -EINVAL (no such session), -ENOMEM, -EFAULT.
 */
long dm_ioc_getall_disp(void __user *uarg)
{
	struct dmapi_getall_disp_arg arg;
	struct dm_session *s;
	u32 n, room = 0;
	u8 *buf = NULL;
	int err = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;
	s = dm_session_get(arg.sid);
	if (!s)
		return -EINVAL;
	/* Size the buffer with the lock dropped; retry if mounts came since. */
	for (;;) {
		dm_fs_lock();
		n = dm_fill_dispinfo_locked(s->sid, buf, room);
		if (n <= room || (u64)n * DM_DISPINFO_SIZE > arg.buf.len)
			break;
		dm_fs_unlock();
		kvfree(buf);
		room = n + 4;
		buf = kvzalloc(room * DM_DISPINFO_SIZE, GFP_KERNEL);
		if (!buf) {
			err = -ENOMEM;
			goto out;
		}
	}
	dm_fs_unlock();
	arg.buf.rlen = (u64)n * DM_DISPINFO_SIZE;
	if (arg.buf.rlen > arg.buf.len) {
		err = -E2BIG;
	} else if (n) {
		((struct dmapi_dispinfo *)(buf + (n - 1) * DM_DISPINFO_SIZE))->di_link = 0;
		if (copy_to_user(u64_to_user_ptr(arg.buf.ptr), buf, arg.buf.rlen))
			err = -EFAULT;
	}
	if (err != -EFAULT && copy_to_user(uarg, &arg, sizeof(arg)))
		err = -EFAULT;
out:
	kvfree(buf);
	dm_session_put(s);
	return err;
}

/**
 * dm_obj_valid_events - the events an object's own list can hold
 * @inode: the object's lower inode
 *
 * Return: the events generated for an object of @inode's type.
 */
u64 dm_obj_valid_events(const struct inode *inode)
{
	if (S_ISDIR(inode->i_mode))
		return DM_DIR_EVENTS | DM_OBJ_EVENTS;
	if (S_ISREG(inode->i_mode))
		return DM_FILE_EVENTS | DM_OBJ_EVENTS;
	return DM_OBJ_EVENTS;
}

/**
 * dm_handle_call_path - the lower path of the object of a call
 * @c: the call, begun
 * @path: filled in, referenced
 *
 * Return: 0, or -EINVAL (not an object handle), -EBADF.
 */
int dm_handle_call_path(struct dm_handle_call *c, struct path *path)
{
	if (c->uh.kind != DM_HANDLE_OBJECT)
		return -EINVAL;
	return dm_handle_resolve(&c->uh.h, path);
}

/**
 * dm_handle_object - check a call on an object handle and find the object
 * @sid: the session
 * @token: DM_NO_TOKEN, or a token outstanding in the session
 * @hanp: user address of the handle
 * @hlen: its length
 * @need: the right the call needs on the object (dm_call_right_begin())
 * @how: what the call does under it (dm_call_right_begin()); with
 *	DM_CALL_FILE, the object must be a regular file
 * @path: filled in with the object's lower path, referenced
 * @cr: filled in with the right the call holds
 *
 * On success, end the call with path_put() and dm_call_right_end().
 *
 * Return: 0, or -EINVAL (DM_CALL_FILE and not a regular file), or the
 * errors of dm_handle_call_begin(), dm_handle_call_path() and
 * dm_call_right_begin().
 */
int dm_handle_object(s32 sid, s32 token, u64 hanp, u64 hlen, int need,
		     unsigned int how, struct path *path,
		     struct dm_call_right *cr)
{
	struct dm_handle_call c;
	int err;

	err = dm_handle_call_begin(&c, sid, token, hanp, hlen);
	if (err)
		return err;
	err = dm_handle_call_path(&c, path);
	if (err)
		goto out;
	err = -EINVAL;
	if (!(how & DM_CALL_FILE) || d_is_reg(path->dentry))
		err = dm_call_right_begin(&c, path, need, how, cr);
	if (err)
		path_put(path);
out:
	dm_handle_call_end(&c);
	return err;
}

/**
 * dm_xattr_load - read a lower xattr of DMAPI's own
 * @path: the lower object
 * @name: the xattr
 * @value: where to put it
 * @size: room at @value
 *
 * Return: its length, 0 when it does not exist, or a negative errno
 * (-EIO when it is larger than @size: not ours, so not to be guessed).
 */
ssize_t dm_xattr_load(const struct path *path, const char *name, void *value,
		      size_t size)
{
	ssize_t n;

	/*
	 * No permission check: data events read it on behalf of any process,
	 * and the trusted namespace would hide it from the unprivileged.
	 */
	n = __vfs_getxattr(path->dentry, d_inode(path->dentry), name, value,
			   size);
	if (n == -ENODATA)
		return 0;
	return n == -ERANGE ? -EIO : n;
}

/**
 * dm_xattr_list - the names of an object's xattrs, whatever their size
 * @dentry: the lower object
 * @listp: set to the list, kvmalloc()ed, for the caller to kvfree(); NULL
 *	when there is none
 *
 * XFS has no bound on the list, and it may grow between asking for its
 * size and reading it.  Its owner, any user, chooses its size: the memory
 * is charged to the caller's memory cgroup.
 *
 * Return: the bytes of the list, or a negative errno.
 */
ssize_t dm_xattr_list(struct dentry *dentry, char **listp)
{
	ssize_t len;
	char *list;

	*listp = NULL;
	for (;;) {
		len = vfs_listxattr(dentry, NULL, 0);
		if (len <= 0)
			return len;
		/* Past INT_MAX, kvmalloc() fails: quietly, not with a WARN. */
		list = kvmalloc(len, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!list)
			return -ENOMEM;
		len = vfs_listxattr(dentry, list, len);
		if (len != -ERANGE)
			break;
		kvfree(list);	/* it grew meanwhile */
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	if (len <= 0)
		kvfree(list);
	else
		*listp = list;
	return len;
}

/**
 * dm_obj_events - the persistent event list of an object
 * @path: the object's lower path
 * @events: filled in
 *
 * Return: 0, or the errno of reading its extended attribute.
 */
int dm_obj_events(const struct path *path, u64 *events)
{
	__le64 value;
	ssize_t n;

	*events = 0;
	n = dm_xattr_load(path, DM_XATTR_EVENTS, &value, sizeof(value));
	if (n <= 0)
		return n;
	if (n != sizeof(value))
		return -EIO;
	*events = le64_to_cpu(value);
	return 0;
}

/**
 * dm_xattr_set - write a lower xattr of DMAPI's own
 * @path: the lower object
 * @name: the xattr
 * @value: its value
 * @len: its length, 0 included
 *
 * No permission check beyond the caller's CAP_SYS_ADMIN, checked at the
 * ioctl.
 *
 * Return: 0 or a negative errno.
 */
int dm_xattr_set(const struct path *path, const char *name, const void *value,
		 size_t len)
{
	int err = mnt_want_write(path->mnt);

	if (err)
		return err;
	err = vfs_setxattr(dm_mnt_idmap(path->mnt), path->dentry, name, value,
			   len, 0);
	mnt_drop_write(path->mnt);
	return err;
}

/**
 * dm_xattr_remove - remove a lower xattr of DMAPI's own
 * @path: the lower object
 * @name: the xattr
 *
 * Return: 0, -ENODATA when there is none, or another negative errno.
 */
int dm_xattr_remove(const struct path *path, const char *name)
{
	int err = mnt_want_write(path->mnt);

	if (err)
		return err;
	err = vfs_removexattr(dm_mnt_idmap(path->mnt), path->dentry, name);
	mnt_drop_write(path->mnt);
	return err;
}

/**
 * dm_xattr_store - write a lower xattr of DMAPI's own, or remove it
 * @path: the lower object
 * @name: the xattr
 * @value: its value
 * @len: its length; 0 removes it (absent is no error)
 *
 * Return: 0 or a negative errno.
 */
int dm_xattr_store(const struct path *path, const char *name,
		   const void *value, size_t len)
{
	int err;

	if (len)
		return dm_xattr_set(path, name, value, len);
	err = dm_xattr_remove(path, name);
	return err == -ENODATA ? 0 : err;
}

/* Store @path's event list; an empty list removes the attribute. */
static int dm_obj_set_events(const struct path *path, u64 events)
{
	__le64 value = cpu_to_le64(events);
	int err;

	err = dm_xattr_store(path, DM_XATTR_EVENTS, &value,
			     events ? sizeof(value) : 0);
	dm_interest_changed();
	return err;
}

static int dm_obj_update_events(struct dm_handle_call *c, u64 set, u64 mask)
{
	struct dm_call_right cr;
	struct path path;
	u64 events;
	int err;

	err = dm_handle_call_path(c, &path);
	if (err)
		return err;
	err = -EINVAL;
	if (!(set & ~dm_obj_valid_events(d_inode(path.dentry))))
		err = dm_call_right_begin(c, &path, DMAPI_RIGHT_EXCL,
					  DM_CALL_DECIDES, &cr);
	if (err)
		goto out;
	mutex_lock(&dm_eventlist_mutex);
	err = dm_obj_events(&path, &events);
	/*
	 * A list that cannot be read (-EIO: written below the mount) is
	 * replaced by one that sets every event: nothing of it is kept.
	 */
	if (err == -EIO && mask == GENMASK_ULL(DMAPI_EVENT_MAX - 1, 0))
		err = 0;
	if (!err)
		err = dm_obj_set_events(&path, (events & ~mask) | set);
	mutex_unlock(&dm_eventlist_mutex);
	dm_call_right_end(&cr);
out:
	path_put(&path);
	return err;
}

static int dm_fs_update_events(u64 fsid, u64 set, u64 mask)
{
	struct dm_fs *fs;
	int err = 0;

	if (set & ~DM_FS_EVENTS)
		return -EINVAL;
	dm_fs_lock();
	fs = dm_fs_find_locked(fsid);
	if (fs) {
		spin_lock(&fs->lock);
		WRITE_ONCE(fs->events, (fs->events & ~mask) | set);
		spin_unlock(&fs->lock);
	} else {
		err = -EBADF;
	}
	dm_fs_unlock();
	return err;
}

/**
 * dm_ioc_set_eventlist - DMAPI_IOC_SET_EVENTLIST
 * @uarg: struct dmapi_eventset_arg
 *
 * The events below maxevent are set as given; the others keep their
 * state.  A filesystem's list belongs to the mount; an object's is kept
 * with the object.
 *
 * Return: 0, or -EINVAL (no such session, the global handle, an event the
 * object does not take, maxevent above DM_EVENT_MAX), -ESRCH, the errors
 * of dm_call_right_begin(), -EBADF, the errno of storing the list,
 * -EFAULT.
 */
long dm_ioc_set_eventlist(void __user *uarg)
{
	struct dmapi_eventset_arg arg;
	struct dm_handle_call c;
	u64 mask;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* nelem_out is GET_EVENTLIST's. */
	if (arg.reserved || arg.nelem_out)
		return -EINVAL;
	err = dm_event_mask(arg.nelem, &mask);
	if (err)
		return err;
	err = dm_handle_call_begin(&c, arg.sid, arg.token, arg.hanp, arg.hlen);
	if (err)
		return err;
	if (c.uh.kind == DM_HANDLE_FS)
		err = dm_fs_update_events(c.uh.h.fsid, arg.eventset & mask, mask);
	else if (c.uh.kind == DM_HANDLE_OBJECT)
		err = dm_obj_update_events(&c, arg.eventset & mask, mask);
	else
		err = -EINVAL;
	dm_handle_call_end(&c);
	return err;
}

static int dm_fs_events_of(u64 fsid, u64 *events)
{
	struct dm_fs *fs;
	int err = -EBADF;

	dm_fs_lock();
	fs = dm_fs_find_locked(fsid);
	if (fs) {
		spin_lock(&fs->lock);
		*events = fs->events;
		spin_unlock(&fs->lock);
		err = 0;
	}
	dm_fs_unlock();
	return err;
}

static int dm_obj_events_of(struct dm_handle_call *c, u64 *events)
{
	struct dm_call_right cr;
	struct path path;
	int err;

	err = dm_handle_call_path(c, &path);
	if (err)
		return err;
	err = dm_call_right_begin(c, &path, DMAPI_RIGHT_SHARED, 0, &cr);
	if (!err) {
		err = dm_obj_events(&path, events);
		dm_call_right_end(&cr);
	}
	path_put(&path);
	return err;
}

/**
 * dm_ioc_get_eventlist - DMAPI_IOC_GET_EVENTLIST
 * @uarg: struct dmapi_eventset_arg
 *
 * An object's own list, or the filesystem's.  nelem_out is the highest
 * event in the list plus one.
 *
 * Return: 0 with the list, or -E2BIG when nelem is below nelem_out,
 * -EINVAL (no such session, the global handle, a token on a filesystem
 * handle), -ESRCH, the errors of dm_call_right_begin(), -EBADF, -EIO (the
 * object's stored list is not one this module wrote), -EFAULT.
 */
long dm_ioc_get_eventlist(void __user *uarg)
{
	struct dmapi_eventset_arg arg;
	struct dm_handle_call c;
	u64 events = 0;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	err = dm_handle_call_begin(&c, arg.sid, arg.token, arg.hanp, arg.hlen);
	if (err)
		return err;
	if (c.uh.kind == DM_HANDLE_FS)
		err = dm_fs_events_of(c.uh.h.fsid, &events);
	else if (c.uh.kind == DM_HANDLE_OBJECT)
		err = dm_obj_events_of(&c, &events);
	else
		err = -EINVAL;
	dm_handle_call_end(&c);
	if (err)
		return err;
	arg.nelem_out = fls64(events);
	arg.eventset = 0;
	if (arg.nelem < arg.nelem_out)
		err = -E2BIG;
	else
		arg.eventset = events;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	return err;
}

/* The lower root of managed filesystem @fsid, referenced. */
static int dm_fs_lower_root(u64 fsid, struct path *root)
{
	struct dm_fs *fs;
	int err = -EBADF;

	dm_fs_lock();
	fs = dm_fs_find_locked(fsid);
	if (fs) {
		*root = *fs->lower;
		path_get(root);
		err = 0;
	}
	dm_fs_unlock();
	return err;
}

/**
 * dm_ioc_set_return_on_destroy - DMAPI_IOC_SET_RETURN_ON_DESTROY
 * @uarg: struct dmapi_return_on_destroy_arg
 *
 * Names the DM attribute that DESTROY events of the filesystem carry, or
 * with enable 0 none; kept with the filesystem's lower root.
 *
 * Return: 0, or -EINVAL (no such session, not a filesystem handle, a
 * token, an empty name), -EBADF, the errno of storing it, -EFAULT.
 */
long dm_ioc_set_return_on_destroy(void __user *uarg)
{
	struct dmapi_return_on_destroy_arg arg;
	struct dm_handle_call c;
	struct path root;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;
	if (arg.enable && !memchr_inv(arg.attrname, 0, sizeof(arg.attrname)))
		return -EINVAL;
	err = dm_handle_call_begin(&c, arg.sid, arg.token, arg.hanp, arg.hlen);
	if (err)
		return err;
	err = -EINVAL;
	if (c.uh.kind == DM_HANDLE_FS)
		err = dm_fs_lower_root(c.uh.h.fsid, &root);
	dm_handle_call_end(&c);
	if (err)
		return err;
	err = dm_xattr_store(&root, DM_XATTR_RETURN_ON_DESTROY, arg.attrname,
			     arg.enable ? sizeof(arg.attrname) : 0);
	path_put(&root);
	return err;
}
