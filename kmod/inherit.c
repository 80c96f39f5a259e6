// SPDX-License-Identifier: GPL-2.0
/*
 * Inheritance of DM attributes: dm_set_inherit(), dm_clear_inherit() and
 * dm_getall_inherit(), and the copy made when an object is created.
 *
 * A filesystem keeps a list of (DM attribute name, file type) pairs in
 * its lower root's trusted.dmapi.inherit, so it persists.  An object of
 * that type created in a directory that has the attribute gets a copy of
 * it, however it is created: through the mount or by handle.  The copy
 * is made with the new object's directory locked below the mount, on
 * behalf of whatever process created it; a lookup by name through the
 * mount finds the object only once the copy is made (for a creation by
 * handle, which holds no lock of the mount, dm_fs_making()).
 */
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xattr.h>

#include "core.h"

#define DM_XATTR_INHERIT	"trusted.dmapi.inherit"
/* The most entries a filesystem keeps: one xattr of 1 KiB. */
#define DM_INHERIT_MAX		64

/*
 * The entries of @fs into @ih (room for DM_INHERIT_MAX); their count, or
 * -EBADMSG for a list of no such form (written below the mount: too long,
 * or not whole entries), or the errno of reading it.
 */
static int dm_inherit_read(struct dm_fs *fs, struct dmapi_inherit *ih)
{
	struct dentry *root = fs->lower->dentry;
	ssize_t n;

	n = __vfs_getxattr(root, d_inode(root), DM_XATTR_INHERIT, ih,
			   DM_INHERIT_MAX * sizeof(*ih));
	if (n == -ENODATA)
		return 0;
	if (n == -ERANGE || (n >= 0 && n % sizeof(*ih)))
		return -EBADMSG;
	return n < 0 ? n : n / sizeof(*ih);
}

/* As dm_inherit_read(), a list of no such form -EIO. */
static int dm_inherit_load(struct dm_fs *fs, struct dmapi_inherit *ih)
{
	int n = dm_inherit_read(fs, ih);

	return n == -EBADMSG ? -EIO : n;
}

/**
 * dm_inherit_init - learn whether a filesystem being registered inherits
 * @fs: the filesystem, its lower root set
 *
 * Creations read the list only when there is one.
 */
void dm_inherit_init(struct dm_fs *fs)
{
	struct dmapi_inherit *ih;
	int n;

	ih = kcalloc(DM_INHERIT_MAX, sizeof(*ih), GFP_KERNEL);
	n = ih ? dm_inherit_load(fs, ih) : -ENOMEM;
	/* Unreadable: look again at each creation, where errors show. */
	WRITE_ONCE(fs->ninherit, n < 0 ? DM_INHERIT_MAX : n);
	kfree(ih);
}

static bool dm_filetype_valid(u32 type)
{
	switch (type) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return true;
	default:
		return false;
	}
}

/*
 * Copy DM attribute @name of @dir to the new object @obj, locked.  The
 * value is read at its own length, not max_attr_size's, so that lowering
 * the parameter does not stop the copies of longer values already set;
 * the directory's lock, held, keeps the length from changing in between.
 */
static int dm_inherit_one(const struct path *dir, struct dentry *obj,
			  const u8 *name)
{
	char xattr[DM_XATTR_ATTR_NAME];
	void *value;
	ssize_t n;
	int err;

	err = dm_attr_xattr(name, xattr);
	if (err)
		return err;
	/* Its length: an empty value is an attribute too, ENODATA none. */
	n = __vfs_getxattr(dir->dentry, d_inode(dir->dentry), xattr, NULL, 0);
	if (n == -ENODATA)
		return 0;
	if (n < 0)
		return n;
	/* Never NULL, even for 0 bytes: a NULL value removes the xattr. */
	value = kvmalloc(max_t(ssize_t, n, 1), GFP_KERNEL);
	if (!value)
		return -ENOMEM;
	if (n)
		n = dm_xattr_load(dir, xattr, value, n);
	/* No permission check: the creator gets what the DM application set. */
	if (n >= 0)
		err = __vfs_setxattr(dm_mnt_idmap(dir->mnt), obj, d_inode(obj),
				     xattr, value, n, 0);
	kvfree(value);
	return n < 0 ? n : err;
}

/* Copy what @obj, new in @dir, inherits. */
static int dm_inherit_apply(struct dm_fs *fs, struct dentry *dir,
			    struct dentry *obj)
{
	struct path dirpath = { .mnt = fs->lower->mnt, .dentry = dir };
	u32 type = d_inode(obj)->i_mode & S_IFMT;
	struct dmapi_inherit *ih;
	int i, n, err = 0;

	ih = kcalloc(DM_INHERIT_MAX, sizeof(*ih), GFP_KERNEL);
	n = ih ? dm_inherit_load(fs, ih) : -ENOMEM;
	if (n > 0)
		inode_lock_nested(d_inode(obj), I_MUTEX_CHILD);
	for (i = 0; i < n && !err; i++)
		if (le32_to_cpu(ih[i].ih_filetype) == type)
			err = dm_inherit_one(&dirpath, obj, ih[i].ih_name);
	if (n > 0)
		inode_unlock(d_inode(obj));
	kfree(ih);
	return n < 0 ? n : err;
}

/**
 * dm_inherit_or_remove - give a new object what it inherits, or remove it
 * @fs: the filesystem
 * @dir: the lower directory it was created in, locked by the caller
 * @obj: the new lower object
 *
 * A creation is all or nothing, as the kernel's filesystems make it for the
 * default ACL and the security label they give a new inode: when a copy
 * fails (the lower filesystem is full, for one), the object is removed and
 * the creation fails with the copy's error.
 *
 * Return: 0, or the errno of reading the list or of a copy.
 */
int dm_inherit_or_remove(struct dm_fs *fs, struct dentry *dir,
			 struct dentry *obj)
{
	dm_idmap_t *idmap = dm_mnt_idmap(fs->lower->mnt);
	int err, undo;

	if (!READ_ONCE(fs->ninherit))
		return 0;
	err = dm_inherit_apply(fs, dir, obj);
	if (!err)
		return 0;
	if (d_is_dir(obj))
		undo = vfs_rmdir(idmap, d_inode(dir), obj);
	else
		undo = vfs_unlink(idmap, d_inode(dir), obj, NULL);
	if (undo)
		pr_warn_ratelimited("dmapi: %s: %pd left without what it inherits: error %d, then %d removing it\n",
				    fs->mountpoint, obj, err, undo);
	return err;
}

/**
 * dm_inherit_unnamed - give an unnamed new file what it inherits
 * @fs: the filesystem
 * @dir: the lower directory it was made in (O_TMPFILE), not locked
 * @obj: the new lower file, with no link
 *
 * As dm_inherit_or_remove(), but a failed copy leaves nothing to remove:
 * the caller drops the file, which goes with its last reference.
 *
 * Return: 0, or the errno of reading the list or of a copy.
 */
int dm_inherit_unnamed(struct dm_fs *fs, struct dentry *dir, struct dentry *obj)
{
	int err;

	if (!READ_ONCE(fs->ninherit))
		return 0;
	/* What dm_inherit_one() reads of @dir must hold still meanwhile. */
	inode_lock_nested(d_inode(dir), I_MUTEX_PARENT);
	err = dm_inherit_apply(fs, dir, obj);
	inode_unlock(d_inode(dir));
	return err;
}

/* Store @n entries and publish the count. */
static int dm_inherit_store(struct dm_fs *fs, struct dmapi_inherit *ih, int n)
{
	int err;

	err = dm_xattr_store(fs->lower, DM_XATTR_INHERIT, ih, n * sizeof(*ih));
	if (!err)
		WRITE_ONCE(fs->ninherit, n);
	return err;
}

/* Serialises the read-modify-write of the lists. */
static DEFINE_MUTEX(dm_inherit_mutex);

/*
 * Begin a call on a filesystem's list: the checks of a call on a
 * filesystem handle, the filesystem, and its entries, the mutex held.
 * With @change, a list of no such form, which made every creation fail
 * EIO, is removed first, so that the change starts from none.
 */
static int dm_inherit_begin(struct dmapi_inherit_arg *arg, struct dm_fs **fsp,
			    struct dmapi_inherit *ih, bool change)
{
	struct dm_handle_call c;
	struct dm_fs *fs;
	int err;

	err = dm_handle_call_begin(&c, arg->sid, arg->token, arg->hanp,
				   arg->hlen);
	if (err)
		return err;
	err = -EINVAL;
	if (c.uh.kind != DM_HANDLE_FS)
		goto out;
	/* The mount stays while the list is changed: unmounting waits. */
	fs = dm_fs_get(c.uh.h.fsid);
	err = -EBADF;
	if (!fs)
		goto out;
	err = mutex_lock_killable(&dm_inherit_mutex);
	if (err)
		goto out_put;
	err = dm_inherit_read(fs, ih);
	if (err == -EBADMSG)
		err = change ? dm_inherit_store(fs, ih, 0) : -EIO;
	if (err < 0)
		goto out_unlock;
	*fsp = fs;
	goto out;
out_unlock:
	mutex_unlock(&dm_inherit_mutex);
out_put:
	dm_fs_put(fs);
out:
	dm_handle_call_end(&c);
	return err;
}

static void dm_inherit_end(struct dm_fs *fs)
{
	mutex_unlock(&dm_inherit_mutex);
	dm_fs_put(fs);
}

static int dm_inherit_find(const struct dmapi_inherit *ih, int n,
			   const u8 *name, u32 type)
{
	int i;

	for (i = 0; i < n; i++)
		if (!memcmp(ih[i].ih_name, name, DMAPI_ATTR_NAME_SIZE) &&
		    (!type || le32_to_cpu(ih[i].ih_filetype) == type))
			return i;
	return -1;
}

/* What an inheritance call reads of its argument besides the handle. */
#define DM_INHERIT_NAME		0x1	/* attrname */
#define DM_INHERIT_TYPE		0x2	/* filetype */
#define DM_INHERIT_LIST		0x4	/* nelem and buf: the call lists */

/* Whether @arg sets a field that a call reading @reads does not read. */
static bool dm_inherit_unread_set(const struct dmapi_inherit_arg *arg,
				  unsigned int reads)
{
	if (!(reads & DM_INHERIT_NAME) &&
	    memchr_inv(arg->attrname, 0, sizeof(arg->attrname)))
		return true;
	if (!(reads & DM_INHERIT_TYPE) && arg->filetype)
		return true;
	/* nelem_out is a listing's answer. */
	return !(reads & DM_INHERIT_LIST) &&
	       (arg->nelem || arg->buf || arg->nelem_out);
}

/*
 * Run @op on the list of the filesystem @uarg names, under the list's
 * lock; for a call that lists (@reads has DM_INHERIT_LIST), the list as
 * @op left it goes to arg.buf once the lock is dropped, as a slow user
 * buffer must not hold up every other call, nor an unmount.
 */
static long dm_inherit_call(void __user *uarg,
			    int (*op)(struct dm_fs *fs,
				      struct dmapi_inherit_arg *arg,
				      struct dmapi_inherit *ih, int n),
			    unsigned int reads)
{
	bool copy_out = reads & DM_INHERIT_LIST;
	struct dmapi_inherit_arg arg;
	struct dmapi_inherit *ih;
	struct dm_fs *fs;
	int n, err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved || dm_inherit_unread_set(&arg, reads))
		return -EINVAL;
	ih = kcalloc(DM_INHERIT_MAX + 1, sizeof(*ih), GFP_KERNEL);
	if (!ih)
		return -ENOMEM;
	n = dm_inherit_begin(&arg, &fs, ih, !copy_out);
	err = n < 0 ? n : op(fs, &arg, ih, n);
	if (n >= 0)
		dm_inherit_end(fs);
	if (!err && copy_out &&
	    copy_to_user(u64_to_user_ptr(arg.buf), ih, n * sizeof(*ih)))
		err = -EFAULT;
	/* Only a listing has something to tell: a change is made already. */
	if (copy_out && (!err || err == -E2BIG) &&
	    copy_to_user(uarg, &arg, sizeof(arg)))
		err = -EFAULT;
	kfree(ih);
	return err;
}

static int dm_inherit_set(struct dm_fs *fs, struct dmapi_inherit_arg *arg,
			  struct dmapi_inherit *ih, int n)
{
	u32 type = arg->filetype & S_IFMT;

	if (!memchr_inv(arg->attrname, 0, DMAPI_ATTR_NAME_SIZE) ||
	    !dm_filetype_valid(type))
		return -EINVAL;
	if (dm_inherit_find(ih, n, arg->attrname, type) >= 0)
		return 0;
	if (n == DM_INHERIT_MAX)
		return -ENOSPC;
	memcpy(ih[n].ih_name, arg->attrname, DMAPI_ATTR_NAME_SIZE);
	ih[n].ih_filetype = cpu_to_le32(type);
	ih[n].ih_pad = 0;
	return dm_inherit_store(fs, ih, n + 1);
}

static int dm_inherit_clear(struct dm_fs *fs, struct dmapi_inherit_arg *arg,
			    struct dmapi_inherit *ih, int n)
{
	int i, kept = 0;

	for (i = 0; i < n; i++)
		if (memcmp(ih[i].ih_name, arg->attrname, DMAPI_ATTR_NAME_SIZE))
			ih[kept++] = ih[i];
	if (kept == n)
		return -ENOENT;
	return dm_inherit_store(fs, ih, kept);
}

static int dm_inherit_getall(struct dm_fs *fs, struct dmapi_inherit_arg *arg,
			     struct dmapi_inherit *ih, int n)
{
	int i;

	arg->nelem_out = n;
	if (arg->nelem < n)
		return -E2BIG;
	for (i = 0; i < n; i++)
		ih[i].ih_filetype = le32_to_cpu(ih[i].ih_filetype);
	return 0;
}

/**
 * dm_ioc_set_inherit - DMAPI_IOC_SET_INHERIT
 * @uarg: struct dmapi_inherit_arg
 *
 * Return: 0 (also when the pair is there already), or -EINVAL (no such
 * session, not a filesystem handle, a token, an empty name, not one file
 * type), -ENOSPC (the filesystem has DM_INHERIT_MAX pairs), -EBADF,
 * -EINTR (a fatal signal, so never seen by the caller), -ENOMEM, -EFAULT,
 * or the errno of storing the list.
 */
long dm_ioc_set_inherit(void __user *uarg)
{
	return dm_inherit_call(uarg, dm_inherit_set,
			       DM_INHERIT_NAME | DM_INHERIT_TYPE);
}

/**
 * dm_ioc_clear_inherit - DMAPI_IOC_CLEAR_INHERIT
 * @uarg: struct dmapi_inherit_arg
 *
 * Removes the name for every file type.
 *
 * Return: 0, or -ENOENT (the name is not inherited), -EINVAL, -EBADF,
 * -EINTR (a fatal signal), -ENOMEM, -EFAULT, or the errno of storing the
 * list.
 */
long dm_ioc_clear_inherit(void __user *uarg)
{
	return dm_inherit_call(uarg, dm_inherit_clear, DM_INHERIT_NAME);
}

/**
 * dm_ioc_getall_inherit - DMAPI_IOC_GETALL_INHERIT
 * @uarg: struct dmapi_inherit_arg
 *
 * Return: 0 with the entries, or -E2BIG with their number in nelem_out,
 * -EINVAL, -EBADF, -EINTR (a fatal signal), -ENOMEM, -EFAULT.
 */
long dm_ioc_getall_inherit(void __user *uarg)
{
	return dm_inherit_call(uarg, dm_inherit_getall, DM_INHERIT_LIST);
}
