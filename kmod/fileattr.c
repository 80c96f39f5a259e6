// SPDX-License-Identifier: GPL-2.0
/*
 * File attributes: dm_get_fileattr() and dm_set_fileattr(), and the
 * attributes of one object as the scans report them.
 *
 * The lower object is the truth: its stat, its FS_XFLAG_* flags and
 * extent count, and the DMAPI state in its xattrs.  The dtime is the
 * ctime (DTIME_OVERLOAD, as SGI's XFS did): any change of an object's DM
 * attributes changes it.  Changes made with dm_set_fileattr() are the DM
 * application's own and generate no events.
 */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/fileattr.h>
#include <linux/hash.h>
#include <linux/iversion.h>
#include <linux/mount.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xattr.h>

#include "core.h"

/* Whether the object has any DM attribute: one of its xattrs says so. */
static int dm_stat_pers(const struct path *path)
{
	u8 attr[DMAPI_ATTR_NAME_SIZE];
	char *list, *name;
	ssize_t len = dm_xattr_list(path->dentry, &list);
	int pers = 0;

	for (name = list; len > 0 && name < list + len; name += strlen(name) + 1)
		if (dm_attr_name_of(name, attr))
			pers = 1;
	kvfree(list);
	if (len < 0)
		return len == -EOPNOTSUPP ? 0 : len;
	return pers;
}

/* Whether the file has managed regions. */
static int dm_stat_pmanreg(const struct path *path)
{
	struct dmapi_region *r;
	int n;

	r = kcalloc(DMAPI_MAX_REGIONS_LIMIT, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	n = dm_regions_load(path, r);
	kfree(r);
	return n < 0 ? n : n > 0;
}

/* The DMAPI state that @mask asks for, read from the lower xattrs. */
static int dm_stat_dmapi(const struct path *path, u32 mask,
			 struct dmapi_stat *st)
{
	int err = 0;

	st->dt_nevents = DMAPI_EVENT_MAX;
	if (mask & DMAPI_AT_EMASK)
		err = dm_obj_events(path, &st->dt_emask);
	if (!err && (mask & DMAPI_AT_PATTR)) {
		err = dm_stat_pers(path);
		st->dt_pers = err > 0;
	}
	if (err >= 0 && (mask & DMAPI_AT_PMANR)) {
		err = dm_stat_pmanreg(path);
		st->dt_pmanreg = err > 0;
	}
	return err < 0 ? err : 0;
}

/* What the lower filesystem says beyond stat: XFS's flags and extents. */
static void dm_stat_fsys(const struct path *path, struct dmapi_stat *st)
{
	struct inode *inode = d_inode(path->dentry);
	struct fileattr fa = {};

	st->dt_igen = inode->i_generation;
	st->dt_fstype = inode->i_sb->s_magic;
	if (vfs_fileattr_get(path->dentry, &fa))
		return;		/* no flags to tell (special files) */
	st->dt_xflags = fa.fsx_xflags;
	st->dt_extsize = fa.fsx_extsize;
	st->dt_extents = fa.fsx_nextents;
}

/**
 * dm_stat_fill - the attributes of an object, as dm_stat_t reports them
 * @fsid: the object's filesystem
 * @path: its lower path
 * @mask: DMAPI_AT_*: the DMAPI state to read (EMASK, PATTR, PMANR)
 * @st: filled in; the caller zeroed it
 *
 * Return: 0 or the errno of reading the object.
 */
int dm_stat_fill(u64 fsid, const struct path *path, u32 mask,
		 struct dmapi_stat *st)
{
	struct inode *inode = d_inode(path->dentry);
	struct kstat ks;
	int err;

	err = dm_vfs_getattr(path, &ks, STATX_BASIC_STATS,
			     AT_STATX_SYNC_AS_STAT);
	if (err)
		return err;
	st->dt_handle.fsid = fsid;
	st->dt_handle.fid.fid_len = DMAPI_FID_LEN;
	st->dt_handle.fid.fid_gen = inode->i_generation;
	st->dt_handle.fid.fid_ino = inode->i_ino;
	st->dt_dev = new_encode_dev(ks.dev);
	st->dt_ino = ks.ino;
	st->dt_rdev = new_encode_dev(ks.rdev);
	st->dt_mode = ks.mode;
	st->dt_nlink = ks.nlink;
	st->dt_uid = from_kuid_munged(current_user_ns(), ks.uid);
	st->dt_gid = from_kgid_munged(current_user_ns(), ks.gid);
	st->dt_size = ks.size;
	st->dt_atime = ks.atime.tv_sec;
	st->dt_mtime = ks.mtime.tv_sec;
	st->dt_ctime = ks.ctime.tv_sec;
	st->dt_dtime = ks.ctime.tv_sec;
	st->dt_blocks = ks.blocks;
	st->dt_blksize = ks.blksize;
	/* i_version where the lower filesystem keeps it, and the ctime. */
	st->dt_change = (u32)hash_64(inode_peek_iversion(inode) ^
				     timespec64_to_ns(&ks.ctime), 32);
	dm_stat_fsys(path, st);
	return dm_stat_dmapi(path, mask, st);
}

/**
 * dm_ioc_get_fileattr - DMAPI_IOC_GET_FILEATTR
 * @uarg: struct dmapi_get_fileattr_arg
 *
 * Return: 0 with the attributes, or -EINVAL (no such session, not an
 * object handle, an unknown mask bit), -ESRCH, the errors of
 * dm_call_right_begin(), -EBADF, -EFAULT, or the errno of reading the
 * object.
 */
long dm_ioc_get_fileattr(void __user *uarg)
{
	struct dmapi_get_fileattr_arg arg;
	struct dm_handle_call c;
	struct dm_call_right cr;
	struct path path;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;
	if (arg.mask & ~(2 * DMAPI_AT_CFLAG - 1))
		return -EINVAL;
	err = dm_handle_call_begin(&c, arg.sid, arg.token, arg.hanp, arg.hlen);
	if (err)
		return err;
	err = dm_handle_call_path(&c, &path);
	if (err)
		goto out;
	err = dm_call_right_begin(&c, &path, DMAPI_RIGHT_SHARED, 0, &cr);
	if (err) {
		path_put(&path);
		goto out;
	}
	memset(&arg.st, 0, sizeof(arg.st));
	err = dm_stat_fill(c.uh.h.fsid, &path, arg.mask, &arg.st);
	dm_call_right_end(&cr);
	path_put(&path);
	if (!err && copy_to_user(uarg, &arg, sizeof(arg)))
		err = -EFAULT;
out:
	dm_handle_call_end(&c);
	return err;
}

#define DM_SETTABLE	(DMAPI_AT_MODE | DMAPI_AT_UID | DMAPI_AT_GID | \
			 DMAPI_AT_ATIME | DMAPI_AT_MTIME | DMAPI_AT_CTIME | \
			 DMAPI_AT_SIZE | DMAPI_AT_DTIME)

/* The change of @fa that notify_change() can make: all but the ctime. */
static int dm_fileattr_iattr(struct inode *inode, u32 mask,
			     const struct dmapi_fileattr *fa, struct iattr *ia)
{
	memset(ia, 0, sizeof(*ia));
	if (mask & DMAPI_AT_MODE) {
		ia->ia_valid |= ATTR_MODE;
		ia->ia_mode = (inode->i_mode & S_IFMT) | (fa->fa_mode & 07777);
	}
	if (mask & DMAPI_AT_UID) {
		kuid_t uid = make_kuid(current_user_ns(), fa->fa_uid);

		if (!uid_valid(uid))
			return -EINVAL;
		ia->ia_valid |= ATTR_UID;
		ia->ia_vfsuid = VFSUIDT_INIT(uid);
	}
	if (mask & DMAPI_AT_GID) {
		kgid_t gid = make_kgid(current_user_ns(), fa->fa_gid);

		if (!gid_valid(gid))
			return -EINVAL;
		ia->ia_valid |= ATTR_GID;
		ia->ia_vfsgid = VFSGIDT_INIT(gid);
	}
	if (mask & DMAPI_AT_ATIME) {
		ia->ia_valid |= ATTR_ATIME | ATTR_ATIME_SET;
		ia->ia_atime = (struct timespec64){ .tv_sec = fa->fa_atime };
	}
	if (mask & DMAPI_AT_MTIME) {
		ia->ia_valid |= ATTR_MTIME | ATTR_MTIME_SET;
		ia->ia_mtime = (struct timespec64){ .tv_sec = fa->fa_mtime };
	}
	if (mask & DMAPI_AT_SIZE) {
		if (!S_ISREG(inode->i_mode))
			return -EINVAL;
		if (fa->fa_size < 0)
			return -EINVAL;
		ia->ia_valid |= ATTR_SIZE;
		ia->ia_size = fa->fa_size;
	}
	return 0;
}

/*
 * Set times that notify_change() would not leave alone (it always sets
 * the ctime to now): the lower filesystem's ->setattr does what @ia asks,
 * as for a restore.  The inode lock is held.
 */
static int dm_setattr_raw(const struct path *path, struct iattr *ia)
{
	struct inode *inode = d_inode(path->dentry);

	if (!inode->i_op->setattr)
		return -EOPNOTSUPP;
	return inode->i_op->setattr(dm_mnt_idmap(path->mnt), path->dentry, ia);
}

static int dm_fileattr_ctime(const struct path *path, s64 ctime)
{
	struct timespec64 ts = { .tv_sec = ctime };
	struct iattr ia = {
		.ia_valid = ATTR_CTIME,
		/* What the filesystem can store, as notify_change() does. */
		.ia_ctime = timestamp_truncate(ts, d_inode(path->dentry)),
	};

	return dm_setattr_raw(path, &ia);
}

/**
 * dm_restore_times - put back an object's mtime and ctime
 * @path: the lower object, locked
 * @mtime: the mtime to have
 * @ctime: the ctime to have
 *
 * For the DM application's own changes, which filesystems date even when
 * asked not to (ext4 dates a punched hole whatever the file's flags say).
 *
 * Return: 0 or the lower filesystem's errno.
 */
int dm_restore_times(const struct path *path, struct timespec64 mtime,
		     struct timespec64 ctime)
{
	/*
	 * Forced: the DM application's change is made, and needs neither
	 * the file's ownership nor CAP_FOWNER to leave no trace.
	 */
	struct iattr ia = {
		.ia_valid = ATTR_MTIME | ATTR_MTIME_SET | ATTR_CTIME | ATTR_FORCE,
		.ia_mtime = mtime,
		.ia_ctime = ctime,
	};

	return dm_setattr_raw(path, &ia);
}

/*
 * After a change by handle, put back the times that the lower filesystem
 * dated but the mask did not name, as SGI's DMAPI dated none: the ctime,
 * and the mtime a change of size sets.  The lock is held.
 */
static int dm_fileattr_keep_times(const struct path *path, u32 mask,
				  const struct kstat *before)
{
	struct iattr ia = {
		.ia_valid = ATTR_CTIME | ATTR_FORCE,
		.ia_ctime = before->ctime,
	};

	if ((mask & DMAPI_AT_SIZE) && !(mask & DMAPI_AT_MTIME)) {
		ia.ia_valid |= ATTR_MTIME | ATTR_MTIME_SET;
		ia.ia_mtime = before->mtime;
	}
	return dm_setattr_raw(path, &ia);
}

/*
 * Make the change on the lower object, whose lock the caller holds.  An
 * NFS delegation of it fails -EWOULDBLOCK with *@delegated set, for the
 * caller to wait for its recall without the lock.
 */
static int dm_fileattr_locked(const struct path *path, u32 mask,
			      const struct dmapi_fileattr *fa,
			      struct inode **delegated)
{
	struct inode *inode = d_inode(path->dentry);
	struct kstat before;
	struct iattr ia;
	int err;

	/*
	 * As chmod, chown, utimes and truncate refuse it: nobody changes an
	 * immutable or append-only object's attributes.  notify_change()
	 * alone would let a size or a ctime through.
	 */
	if (IS_IMMUTABLE(inode) || IS_APPEND(inode))
		return -EPERM;
	/* The raw ctime change below passes no notify_change() to recall. */
	err = try_break_deleg(inode, delegated);
	if (!err)
		err = dm_fileattr_iattr(inode, mask, fa, &ia);
	if (!err && ia.ia_valid)
		err = dm_vfs_getattr(path, &before, STATX_MTIME | STATX_CTIME,
				     AT_STATX_SYNC_AS_STAT);
	if (!err && ia.ia_valid)
		err = notify_change(dm_mnt_idmap(path->mnt), path->dentry, &ia,
				    delegated);
	if (!err && ia.ia_valid)
		err = dm_fileattr_keep_times(path, mask, &before);
	/* With DTIME_OVERLOAD the dtime is the ctime; the ctime wins. */
	if (!err && (mask & DMAPI_AT_CTIME))
		err = dm_fileattr_ctime(path, fa->fa_ctime);
	else if (!err && (mask & DMAPI_AT_DTIME))
		err = dm_fileattr_ctime(path, fa->fa_dtime);
	return err;
}

/*
 * Between tries of a change that a lease or an NFS delegation of the
 * object held up, the call waits with nothing held: not the right, which
 * the holder's own I/O through the mount may wait for before it lets go,
 * nor the filesystem, which an unmount waits for.  The breaks themselves
 * never wait (O_NONBLOCK); the lease code ends a lease whose holder does
 * not give it up within lease-break-time.
 */
#define DM_BREAK_WAIT_MIN_MS	1
#define DM_BREAK_WAIT_MAX_MS	100

/*
 * Break the leases of @inode, for a change of size, or else its NFS
 * delegation.  A break begun sets *@pending: -EWOULDBLOCK.
 */
static int dm_fileattr_break(struct inode *inode, bool size, bool *pending)
{
	int err = size ? break_lease(inode, O_WRONLY | O_NONBLOCK) :
			 break_deleg(inode, O_WRONLY | O_NONBLOCK);

	if (err == -EWOULDBLOCK)
		*pending = true;
	return err;
}

/*
 * Take write access to an inode of the object being resized and break its
 * leases, as truncate(2) does: -ETXTBSY while it runs as a program.
 */
static int dm_fileattr_resize_begin(struct inode *inode, bool *pending)
{
	int err = get_write_access(inode);

	if (err)
		return err;
	err = dm_fileattr_break(inode, true, pending);
	if (err)
		put_write_access(inode);
	return err;
}

/*
 * Make the change on the lower object, as truncate(2) makes a change of
 * size and as chmod(2) and the others do with an NFS delegation of it.
 * A program started, a lease taken or a delegation given through the
 * mount is marked on our inode of the object, @upper (NULL if none is
 * cached), not on the lower one: both count.  A lease or delegation not
 * yet given up sets *@pending: -EWOULDBLOCK, to be tried again.
 */
static int dm_fileattr_set(const struct path *path, struct inode *upper,
			   u32 mask, const struct dmapi_fileattr *fa,
			   bool *pending)
{
	struct inode *inode = d_inode(path->dentry), *delegated = NULL;
	bool size = mask & DMAPI_AT_SIZE;
	int err;

	err = mnt_want_write(path->mnt);
	if (err)
		return err;
	if (size) {
		err = dm_fileattr_resize_begin(inode, pending);
		if (err)
			goto out_drop;
		err = upper ? dm_fileattr_resize_begin(upper, pending) : 0;
	} else if (upper) {
		err = dm_fileattr_break(upper, false, pending);
	}
	if (err)
		goto out_put;
	inode_lock(inode);
	err = dm_fileattr_locked(path, mask, fa, &delegated);
	inode_unlock(inode);
	/* Its recall begun, as try_break_deleg() begins it. */
	if (delegated) {
		iput(delegated);
		*pending = true;
	}
	if (size && upper)
		put_write_access(upper);
out_put:
	if (size)
		put_write_access(inode);
out_drop:
	mnt_drop_write(path->mnt);
	return err;
}

/* One try of DMAPI_IOC_SET_FILEATTR (dm_ioc_set_fileattr()). */
static int dm_fileattr_try(const struct dmapi_set_fileattr_arg *arg,
			   bool *pending)
{
	struct dm_call_right cr;
	struct inode *upper;
	struct dm_fs *fs;
	struct path path;
	int err;

	err = dm_handle_object(arg->sid, arg->token, arg->hanp, arg->hlen,
			       DMAPI_RIGHT_EXCL,
			       arg->mask & DMAPI_AT_SIZE ? DM_CALL_DATA : 0,
			       &path, &cr);
	if (err)
		return err;
	/* Held while its inode is: unmounting waits for it. */
	fs = dm_fs_get(cr.fsid);
	upper = fs && fs->ops->upper ? fs->ops->upper(fs, d_inode(path.dentry))
				     : NULL;
	err = dm_fileattr_set(&path, upper, arg->mask, &arg->attr, pending);
	dm_call_right_end(&cr);
	iput(upper);
	if (fs)
		dm_fs_put(fs);
	dm_fs_changed(cr.fsid, d_inode(path.dentry));
	path_put(&path);
	return err;
}

/**
 * dm_ioc_set_fileattr - DMAPI_IOC_SET_FILEATTR
 * @uarg: struct dmapi_set_fileattr_arg
 *
 * Changes what the mask selects, the size included (truncating or
 * extending the file, as SGI allowed), without events.
 *
 * Return: 0, or -EINVAL (no such session, not an object handle, a mask bit
 * that cannot be set, an id with no mapping, a size of a non-regular file
 * or below 0), -EPERM (an immutable or append-only object), -ESRCH, the
 * errors of dm_call_right_begin(), -EBADF, -EFAULT, -ETXTBSY (a size
 * change of a running program), -ERESTARTSYS (a signal while a lease or
 * delegation was being given up), or the errno of the lower filesystem's
 * change (-EROFS, -EFBIG...).
 */
long dm_ioc_set_fileattr(void __user *uarg)
{
	unsigned int wait = DM_BREAK_WAIT_MIN_MS;
	struct dmapi_set_fileattr_arg arg;
	bool pending;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved || arg.attr.fa_pad)
		return -EINVAL;
	if (arg.mask & ~DM_SETTABLE)
		return -EINVAL;
	for (;;) {
		pending = false;
		err = dm_fileattr_try(&arg, &pending);
		if (!pending)
			return err;
		if (msleep_interruptible(wait))
			return -ERESTARTSYS;
		wait = min_t(unsigned int, 2 * wait, DM_BREAK_WAIT_MAX_MS);
	}
}
