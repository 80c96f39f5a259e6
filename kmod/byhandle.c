// SPDX-License-Identifier: GPL-2.0
/*
 * Creation by handle: dm_create_by_handle(), dm_mkdir_by_handle() and
 * dm_symlink_by_handle(), what a restore tool uses to rebuild a namespace
 * it knows by handles.
 *
 * The object is made in the lower directory as the DM application's own
 * change: no namespace event, and the DM attributes it inherits, or
 * nothing when they cannot be copied.  Its
 * handle is the one the lower filesystem gives it: handles carry the
 * lower inode number, which neither XFS nor ext4 lets anyone choose, so
 * the handle asked for must be the filesystem's handle, meaning "any";
 * an object handle is refused (EINVAL), and DM_CONFIG_CREATE_BY_HANDLE
 * says 0.  A new file is 0600, a directory 0700, owned by the caller;
 * dm_set_fileattr() gives them the attributes to restore.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/limits.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "core.h"

/* The name of the new entry: one component. */
static char *dm_byhandle_name(u64 uptr)
{
	char *name = strndup_user(u64_to_user_ptr(uptr), NAME_MAX + 1);

	/* strndup_user() says EINVAL when the string is longer. */
	if (name == ERR_PTR(-EINVAL))
		return ERR_PTR(-ENAMETOOLONG);
	if (IS_ERR(name))
		return name;
	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, "..")) {
		kfree(name);
		return ERR_PTR(-EINVAL);
	}
	return name;
}

/*
 * Make @dentry of @type in the lower directory @dir, locked, with the
 * LSMs' path hooks of open(O_CREAT) and mkdir(2) first.  symlink(2)'s is
 * not exported: a symbolic link gets the inode hook alone, in
 * vfs_symlink().
 */
static int dm_byhandle_vfs_make(dm_idmap_t *idmap, const struct path *dir,
				struct dentry *dentry, u32 type,
				const char *target)
{
	struct inode *dinode = d_inode(dir->dentry);
	int err;

	switch (type) {
	case S_IFREG:
		err = security_path_mknod(dir, dentry, S_IFREG | 0600, 0);
		return err ?: vfs_create(idmap, dinode, dentry, S_IFREG | 0600,
					 true);
	case S_IFDIR:
		err = security_path_mkdir(dir, dentry, 0700);
		return err ?: vfs_mkdir(idmap, dinode, dentry, 0700);
	default:
		return vfs_symlink(idmap, dinode, dentry, target);
	}
}

/* Make @name of @type in the lower directory @dir of @fs. */
static int dm_byhandle_make(struct dm_fs *fs, const struct path *dir,
			    const char *name, u32 type, const char *target)
{
	dm_idmap_t *idmap = dm_mnt_idmap(dir->mnt);
	struct inode *dinode = d_inode(dir->dentry);
	struct dentry *dentry;
	int err;

	err = mnt_want_write(dir->mnt);
	if (err)
		return err;
	inode_lock_nested(dinode, I_MUTEX_PARENT);
	/*
	 * Under the directory's lock, which rmdir(2) marks it dead under: a
	 * directory removed while the call waited for its right is gone, as
	 * a handle of it is (the lower filesystem would say ENOENT).  So is
	 * one moved out of the tree, which a rename of the directory itself
	 * cannot do meanwhile on 6.12; a rename of one of its ancestors
	 * still can.
	 */
	err = IS_DEADDIR(dinode) || !dm_fs_contains(fs, dir) ? -EBADF : 0;
	if (err)
		goto out_unlock;
	dentry = lookup_one(idmap, name, dir->dentry, strlen(name));
	err = PTR_ERR_OR_ZERO(dentry);
	if (err)
		goto out_unlock;
	if (d_is_positive(dentry)) {
		err = -EEXIST;
		goto out_put;
	}
	atomic_inc(&fs->making);
	/*
	 * Counted before the object is there: a lookup through the mount,
	 * which takes no lock of the lower directory when it finds it, then
	 * knows to wait for ours (dm_fs_making()).
	 */
	smp_mb__after_atomic();
	err = dm_byhandle_vfs_make(idmap, dir, dentry, type, target);
	if (!err && d_is_positive(dentry))
		err = dm_inherit_or_remove(fs, dir->dentry, dentry);
	/* The copies, or the removal, before the count falls. */
	smp_mb__before_atomic();
	atomic_dec(&fs->making);
out_put:
	dput(dentry);
out_unlock:
	inode_unlock(dinode);
	mnt_drop_write(dir->mnt);
	return err;
}

/* The handle asked for: the directory's filesystem's, or EINVAL. */
static int dm_byhandle_check(const struct dmapi_create_by_handle_arg *arg,
			     u64 fsid)
{
	struct dm_user_handle uh;
	int err;

	err = dm_handle_get(arg->hanp, arg->hlen, &uh);
	if (err)
		return err;
	return uh.kind == DM_HANDLE_FS && uh.h.fsid == fsid ? 0 : -EINVAL;
}

/* Create what @arg asks, @name and @target copied in. */
static int dm_byhandle(const struct dmapi_create_by_handle_arg *arg,
		       const char *name, const char *target)
{
	struct dm_handle_call c;
	struct dm_call_right cr;
	struct dm_fs *fs;
	struct path dir;
	int err;

	err = dm_handle_call_begin(&c, arg->sid, arg->token, arg->dirhanp,
				   arg->dirhlen);
	if (err)
		return err;
	err = dm_handle_call_path(&c, &dir);
	if (err)
		goto out;
	err = d_is_dir(dir.dentry) ? dm_byhandle_check(arg, c.uh.h.fsid) :
				     -ENOTDIR;
	if (!err)
		err = dm_call_right_begin(&c, &dir, DMAPI_RIGHT_EXCL, 0, &cr);
	if (!err) {
		/*
		 * Keeps the mount, whose inheritance list the object reads:
		 * the one the directory was found in, not a new one made
		 * while the right was waited for.
		 */
		fs = dm_fs_get(c.uh.h.fsid);
		err = fs ? dm_byhandle_make(fs, &dir, name, arg->type, target) :
			   -EBADF;
		if (fs)
			dm_fs_put(fs);
		dm_call_right_end(&cr);
	}
	path_put(&dir);
out:
	dm_handle_call_end(&c);
	return err;
}

/**
 * dm_ioc_create_by_handle - DMAPI_IOC_CREATE_BY_HANDLE
 * @uarg: struct dmapi_create_by_handle_arg
 *
 * Return: 0, or -EINVAL (no such session, a bad type, a name that is not
 * one component, a handle asked for that is not the directory's
 * filesystem's), -ENOENT (a symbolic link to an empty path), -ENOTDIR,
 * -EEXIST, -ENAMETOOLONG, -ESRCH, the errors of dm_call_right_begin(),
 * -EBADF, -ENOMEM, -EFAULT, or the errno of the lower filesystem's
 * creation.
 */
long dm_ioc_create_by_handle(void __user *uarg)
{
	struct dmapi_create_by_handle_arg arg;
	char *name, *target = NULL;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;
	if (arg.type != S_IFREG && arg.type != S_IFDIR && arg.type != S_IFLNK)
		return -EINVAL;
	name = dm_byhandle_name(arg.name);
	if (IS_ERR(name))
		return PTR_ERR(name);
	if (arg.type == S_IFLNK) {
		target = strndup_user(u64_to_user_ptr(arg.target), PATH_MAX);
		err = PTR_ERR_OR_ZERO(target);
		if (err == -EINVAL)
			err = -ENAMETOOLONG;
		if (err) {
			target = NULL;
			goto out;
		}
		/* As symlink(2): ext4 would store a link fsck calls invalid. */
		err = *target ? 0 : -ENOENT;
		if (err)
			goto out;
	}
	err = dm_byhandle(&arg, name, target);
out:
	kfree(target);
	kfree(name);
	return err;
}
