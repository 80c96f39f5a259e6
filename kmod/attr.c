// SPDX-License-Identifier: GPL-2.0
/*
 * DM attributes: small named values a DM application keeps with an
 * object (an HSM's "where is the data" record).  Each is the lower
 * inode's xattr trusted.dmapi.attr.<name in hex>: persistent, invisible
 * through the mount, and limited by max_attr_size and by the space the
 * lower filesystem gives an inode's xattrs.
 */
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xattr.h>

#include "core.h"

/**
 * dm_attr_xattr - the lower xattr that holds a DM attribute
 * @name: the attribute's name, DMAPI_ATTR_NAME_SIZE bytes
 * @xattr: filled in, DM_XATTR_ATTR_NAME bytes
 *
 * Return: 0, or -EINVAL for the all-zero name, which is no name.
 */
int dm_attr_xattr(const u8 *name, char *xattr)
{
	if (!memchr_inv(name, 0, DMAPI_ATTR_NAME_SIZE))
		return -EINVAL;
	memcpy(xattr, DM_XATTR_ATTR, DM_XATTR_ATTR_LEN);
	bin2hex(xattr + DM_XATTR_ATTR_LEN, name, DMAPI_ATTR_NAME_SIZE);
	xattr[DM_XATTR_ATTR_NAME - 1] = '\0';
	return 0;
}

/**
 * dm_attr_name_of - the DM attribute a lower xattr holds, if any
 * @xattr: the name of a lower xattr
 * @name: filled in, DMAPI_ATTR_NAME_SIZE bytes, when it holds one
 *
 * Only the names dm_attr_xattr() makes count: the prefix, then the
 * lowercase hex of a name not all zero.  One written below the mount in
 * another form (uppercase hex) would alias a name that get and remove
 * do not find.
 *
 * Return: true if @xattr holds a DM attribute.
 */
bool dm_attr_name_of(const char *xattr, u8 *name)
{
	char canon[DM_XATTR_ATTR_NAME];

	if (strncmp(xattr, DM_XATTR_ATTR, DM_XATTR_ATTR_LEN) ||
	    strlen(xattr) != DM_XATTR_ATTR_NAME - 1 ||
	    hex2bin(name, xattr + DM_XATTR_ATTR_LEN, DMAPI_ATTR_NAME_SIZE) ||
	    dm_attr_xattr(name, canon))
		return false;
	return !strcmp(xattr, canon);
}

/**
 * dm_attr_load - read a DM attribute of an object
 * @path: the object's lower path
 * @name: the attribute's name, DMAPI_ATTR_NAME_SIZE bytes
 * @value: where to put the value
 * @size: room at @value
 *
 * Return: the value's length, 0 when the object has no such attribute,
 * or a negative errno (-EINVAL for an empty name, -EIO when larger than
 * @size).
 */
ssize_t dm_attr_load(const struct path *path, const u8 *name, void *value,
		     size_t size)
{
	char xattr[DM_XATTR_ATTR_NAME];
	int err;

	err = dm_attr_xattr(name, xattr);
	if (err)
		return err;
	return dm_xattr_load(path, xattr, value, size);
}

/*
 * Set DM attribute @xattr of @path to @len bytes at @value, or remove it
 * (@value NULL).  The ctime stands for the dtime: without @setdtime it is
 * put back as it was, under the object's lock, as SGI's DMAPI left it
 * (ATTR_KERNOTIME).  An HSM marking a migrated file does not then make
 * every incremental backup read it again, and recall it.
 */
static int dm_attr_change(const struct path *path, const char *xattr,
			  const void *value, size_t len, bool setdtime)
{
	dm_idmap_t *idmap = dm_mnt_idmap(path->mnt);
	struct inode *inode = d_inode(path->dentry), *delegated = NULL;
	struct kstat before;
	int err;

	if (setdtime)
		return value ? dm_xattr_set(path, xattr, value, len) :
			       dm_xattr_remove(path, xattr);
	err = mnt_want_write(path->mnt);
	if (err)
		return err;
retry:
	inode_lock(inode);
	err = dm_vfs_getattr(path, &before, STATX_MTIME | STATX_CTIME,
			     AT_STATX_SYNC_AS_STAT);
	if (!err && value)
		err = __vfs_setxattr_locked(idmap, path->dentry, xattr, value,
					    len, 0, &delegated);
	else if (!err)
		err = __vfs_removexattr_locked(idmap, path->dentry, xattr,
					       &delegated);
	if (!err)
		err = dm_restore_times(path, before.mtime, before.ctime);
	inode_unlock(inode);
	/* An NFS delegation of the object is recalled, then waited for. */
	if (delegated) {
		err = break_deleg_wait(&delegated);
		if (!err)
			goto retry;
	}
	mnt_drop_write(path->mnt);
	return err;
}

/* Copy in a call on DM attribute: its arguments and the xattr of the name. */
static int dm_attr_args(void __user *uarg, struct dmapi_dmattr_arg *arg,
			char *xattr)
{
	if (copy_from_user(arg, uarg, sizeof(*arg)))
		return -EFAULT;
	if (arg->padding || arg->reserved)
		return -EINVAL;
	return dm_attr_xattr(arg->attrname, xattr);
}

/* The lower path of the object of @arg, referenced, and the right @need. */
static int dm_attr_object(const struct dmapi_dmattr_arg *arg, int need,
			  struct path *path, struct dm_call_right *cr)
{
	return dm_handle_object(arg->sid, arg->token, arg->hanp, arg->hlen,
				need, 0, path, cr);
}

/**
 * dm_ioc_set_dmattr - DMAPI_IOC_SET_DMATTR
 * @uarg: struct dmapi_dmattr_arg
 *
 * Creates or replaces the attribute.  The ctime stands for the dtime:
 * without setdtime it is left as it was.
 *
 * Return: 0, or -E2BIG (a value larger than max_attr_size), -EINVAL (no
 * such session, an empty name, not an object handle), -ESRCH, the errors
 * of dm_call_right_begin(), -EBADF, -EPERM (an immutable or append-only
 * object), -ENOSPC (the lower filesystem has no room for it), -ENOMEM,
 * -EFAULT, or another errno of the lower filesystem.
 */
long dm_ioc_set_dmattr(void __user *uarg)
{
	char xattr[DM_XATTR_ATTR_NAME];
	struct dmapi_dmattr_arg arg;
	struct dm_call_right cr;
	struct path path;
	void *value;
	int err;

	err = dm_attr_args(uarg, &arg, xattr);
	if (err)
		return err;
	if (arg.buf.rlen)	/* GET_DMATTR's answer */
		return -EINVAL;
	if (arg.buf.len > READ_ONCE(dm_max_attr_size))
		return -E2BIG;
	/* Copied before the right: a slow fault would hold the file's I/O off. */
	value = memdup_user(u64_to_user_ptr(arg.buf.ptr), arg.buf.len);
	if (IS_ERR(value))
		return PTR_ERR(value);
	err = dm_attr_object(&arg, DMAPI_RIGHT_EXCL, &path, &cr);
	if (!err) {
		err = dm_attr_change(&path, xattr, value, arg.buf.len,
				     arg.setdtime);
		dm_call_right_end(&cr);
		path_put(&path);
	}
	kfree(value);
	return err;
}

/**
 * dm_ioc_get_dmattr - DMAPI_IOC_GET_DMATTR
 * @uarg: struct dmapi_dmattr_arg
 *
 * Return: 0 with the value and its length in buf.rlen, or -ENOENT (no such
 * attribute), -E2BIG with the length in buf.rlen, -EINVAL, -ESRCH, the
 * errors of dm_call_right_begin(), -EBADF, -ENOMEM, -EFAULT.
 */
long dm_ioc_get_dmattr(void __user *uarg)
{
	char xattr[DM_XATTR_ATTR_NAME];
	struct dmapi_dmattr_arg arg;
	struct dm_call_right cr;
	struct path path;
	void *value;
	ssize_t n;
	int err;

	err = dm_attr_args(uarg, &arg, xattr);
	if (err)
		return err;
	if (arg.setdtime)	/* a change's */
		return -EINVAL;
	err = dm_attr_object(&arg, DMAPI_RIGHT_SHARED, &path, &cr);
	if (err)
		return err;
	value = kvmalloc(XATTR_SIZE_MAX, GFP_KERNEL);
	n = value ? __vfs_getxattr(path.dentry, d_inode(path.dentry), xattr,
				   value, XATTR_SIZE_MAX) : -ENOMEM;
	dm_call_right_end(&cr);
	path_put(&path);
	err = n == -ENODATA ? -ENOENT : n < 0 ? n : 0;
	if (err)
		goto out;
	arg.buf.rlen = n;
	if (arg.buf.len < n)
		err = -E2BIG;
	else if (copy_to_user(u64_to_user_ptr(arg.buf.ptr), value, n))
		err = -EFAULT;
	if (err != -EFAULT && copy_to_user(uarg, &arg, sizeof(arg)))
		err = -EFAULT;
out:
	kvfree(value);
	return err;
}

/**
 * dm_ioc_remove_dmattr - DMAPI_IOC_REMOVE_DMATTR
 * @uarg: struct dmapi_dmattr_arg
 *
 * Return: 0, or -ENOENT (no such attribute), -EINVAL, -ESRCH, the errors
 * of dm_call_right_begin(), -EBADF, -EPERM (an immutable or append-only
 * object), -EFAULT, or another errno of the lower filesystem.
 */
long dm_ioc_remove_dmattr(void __user *uarg)
{
	char xattr[DM_XATTR_ATTR_NAME];
	struct dmapi_dmattr_arg arg;
	struct dm_call_right cr;
	struct path path;
	int err;

	err = dm_attr_args(uarg, &arg, xattr);
	if (err)
		return err;
	if (arg.buf.ptr || arg.buf.len || arg.buf.rlen)	/* no value */
		return -EINVAL;
	err = dm_attr_object(&arg, DMAPI_RIGHT_EXCL, &path, &cr);
	if (err)
		return err;
	err = dm_attr_change(&path, xattr, NULL, 0, arg.setdtime);
	dm_call_right_end(&cr);
	path_put(&path);
	return err == -ENODATA ? -ENOENT : err;
}

/*
 * Append the record of DM attribute @xattr (a name of our namespace) of
 * @path to @buf at *@pos if it fits in @room bytes; *@pos moves on by
 * its size either way.  @prev is the previous record's offset, or -1.
 */
static int dm_attr_record(const struct path *path, const char *xattr,
			  u8 *buf, u64 room, u64 *pos, s64 *prev, void *value)
{
	u8 name[DMAPI_ATTR_NAME_SIZE];
	struct dmapi_attrlist *al;
	u32 off;
	ssize_t n;

	if (!dm_attr_name_of(xattr, name))
		return 0;	/* not a name of ours */
	n = __vfs_getxattr(path->dentry, d_inode(path->dentry), xattr, value,
			   XATTR_SIZE_MAX);
	if (n == -ENODATA)
		return 0;	/* removed meanwhile */
	if (n < 0)
		return n;
	off = ALIGN(sizeof(*al), DMAPI_MSG_ALIGN);
	if (*pos + off + ALIGN(n, DMAPI_MSG_ALIGN) <= room) {
		al = (struct dmapi_attrlist *)(buf + *pos);
		memset(al, 0, sizeof(*al));
		memcpy(al->al_name, name, sizeof(name));
		dm_vardata_put(buf + *pos, 0, &off, &al->al_data, value, n);
		if (*prev >= 0)
			((struct dmapi_attrlist *)(buf + *prev))->al_link = *pos - *prev;
		*prev = *pos;
	}
	*pos += ALIGN(sizeof(*al), DMAPI_MSG_ALIGN) + ALIGN(n, DMAPI_MSG_ALIGN);
	return 0;
}

/* Records of every DM attribute of @path into @buf of @room bytes. */
static int dm_attr_records(const struct path *path, u8 *buf, u64 room,
			   u64 *need)
{
	char *names, *name;
	void *value;
	s64 prev = -1;
	ssize_t len;
	int err = 0;

	value = kvmalloc(XATTR_SIZE_MAX, GFP_KERNEL);
	if (!value)
		return -ENOMEM;
	len = dm_xattr_list(path->dentry, &names);
	if (len < 0) {
		err = len;
		goto out;
	}
	*need = 0;
	for (name = names; name < names + len; name += strlen(name) + 1) {
		err = dm_attr_record(path, name, buf, room, need, &prev, value);
		if (err)
			break;
	}
out:
	kvfree(value);
	kvfree(names);
	return err;
}

/**
 * dm_ioc_getall_dmattr - DMAPI_IOC_GETALL_DMATTR
 * @uarg: struct dmapi_dmattr_arg
 *
 * Return: 0 with a dmapi_attrlist record per DM attribute, each followed
 * by its value, or -E2BIG with the size needed in buf.rlen, -EINVAL,
 * -ESRCH, the errors of dm_call_right_begin(), -EBADF, -ENOMEM, -EFAULT.
 */
long dm_ioc_getall_dmattr(void __user *uarg)
{
	struct dmapi_dmattr_arg arg;
	struct dm_call_right cr;
	struct path path;
	u64 need = 0, room;
	u8 *buf;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* It reads no name, and changes nothing. */
	if (arg.padding || arg.reserved || arg.setdtime ||
	    memchr_inv(arg.attrname, 0, sizeof(arg.attrname)))
		return -EINVAL;
	err = dm_handle_object(arg.sid, arg.token, arg.hanp, arg.hlen,
			       DMAPI_RIGHT_SHARED, 0, &path, &cr);
	if (err)
		return err;
	room = min_t(u64, arg.buf.len, DMAPI_MAX_BATCH);
	buf = kvzalloc(room ? room : 1, GFP_KERNEL);
	err = buf ? dm_attr_records(&path, buf, room, &need) : -ENOMEM;
	dm_call_right_end(&cr);
	path_put(&path);
	if (err)
		goto out;
	arg.buf.rlen = need;
	if (need > room)
		err = -E2BIG;
	else if (need && copy_to_user(u64_to_user_ptr(arg.buf.ptr), buf, need))
		err = -EFAULT;
	if (err != -EFAULT && copy_to_user(uarg, &arg, sizeof(arg)))
		err = -EFAULT;
out:
	kvfree(buf);
	return err;
}
