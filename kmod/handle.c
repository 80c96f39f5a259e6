// SPDX-License-Identifier: GPL-2.0
/*
 * Handles: the persistent names of the objects of DMAPI-managed
 * filesystems.
 *
 * A handle is an fsid (8 bytes, from the lower filesystem's UUID),
 * optionally followed by a fid with the object's inode number and
 * generation.  The global handle is passed as address 1 with length 1 and
 * never read.  A handle is checked for its form first (EINVAL), then
 * resolved among the managed filesystems (EBADF when nothing matches: a
 * removed object, another generation, a forged fsid, an object outside
 * the managed tree).  Resolution never takes s_umount: the DM application
 * works by handle while a MOUNT event holds it.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "core.h"

/*
 * The managed filesystems.  The mutex guards the list and is held only
 * to read or change it, never across a call into a lower filesystem: a
 * call that works on a filesystem holds a reference on it instead.
 */
static LIST_HEAD(dm_fs_list);
static DEFINE_MUTEX(dm_fs_mutex);
/* The serial of the last filesystem registered: the list's are ascending. */
static u64 dm_fs_serial;

static bool dm_fsid_managed_locked(u64 fsid);
static bool dm_fs_taken_locked(u64 fsid);

/**
 * dm_fs_register - make a managed filesystem known to the core
 * @fs: the filesystem, filled in by its provider
 *
 * From now on its handles resolve, before its superblock exists: the DM
 * application works by handle while it answers the MOUNT event.
 *
 * Return: 0, or -EBUSY when another mount manages the same filesystem
 * (its handles would be ambiguous).
 */
int dm_fs_register(struct dm_fs *fs)
{
	int err = 0;

	spin_lock_init(&fs->lock);
	refcount_set(&fs->users, 1);
	atomic_set(&fs->making, 0);
	fs->dying = false;
	dm_inherit_init(fs);
	mutex_lock(&dm_fs_mutex);
	if (dm_fs_taken_locked(fs->fsid)) {
		err = -EBUSY;
	} else {
		fs->serial = ++dm_fs_serial;
		list_add_tail(&fs->link, &dm_fs_list);
		dm_live_inc(DM_LIVE_FILESYSTEMS);
	}
	mutex_unlock(&dm_fs_mutex);
	return err;
}

/**
 * dm_fs_attach - tell the core the superblock of a registered filesystem
 * @fs: the filesystem
 * @sb: its superblock, now set up
 */
void dm_fs_attach(struct dm_fs *fs, struct super_block *sb)
{
	mutex_lock(&dm_fs_mutex);
	fs->sb = sb;
	mutex_unlock(&dm_fs_mutex);
}

/**
 * dm_fs_unregister - stop serving a managed filesystem
 * @fs: the filesystem
 *
 * On return no handle call uses @fs any more: waits for those that do.
 * Its fsid stays taken until dm_fs_forget().  A second call does nothing.
 */
void dm_fs_unregister(struct dm_fs *fs)
{
	bool dying;

	mutex_lock(&dm_fs_mutex);
	dying = fs->dying;
	/* Read unlocked by the teardown's evictions (no DESTROY then). */
	WRITE_ONCE(fs->dying, true);
	mutex_unlock(&dm_fs_mutex);
	if (dying)
		return;
	dm_fs_put(fs);
	wait_var_event(&fs->users, !refcount_read(&fs->users));
	dm_stats_fs_gone(fs);
}

/**
 * dm_fs_forget - give an unregistered filesystem's fsid back
 * @fs: the filesystem, unregistered, its UNMOUNT event sent
 */
void dm_fs_forget(struct dm_fs *fs)
{
	mutex_lock(&dm_fs_mutex);
	list_del_init(&fs->link);
	mutex_unlock(&dm_fs_mutex);
	dm_live_dec(DM_LIVE_FILESYSTEMS);
}

/**
 * dm_fs_get - the managed filesystem with an fsid, kept
 * @fsid: the fsid of a handle
 *
 * The filesystem stays registered, and its lower tree in place, until
 * dm_fs_put().  Hold it only for work that ends without waiting for user
 * space: its unmount waits.
 *
 * Return: the filesystem, or NULL.
 */
struct dm_fs *dm_fs_get(u64 fsid)
{
	struct dm_fs *fs;

	mutex_lock(&dm_fs_mutex);
	fs = dm_fs_find_locked(fsid);
	if (fs)
		refcount_inc(&fs->users);
	mutex_unlock(&dm_fs_mutex);
	return fs;
}

/**
 * dm_fs_put - undo dm_fs_get()
 * @fs: the filesystem
 */
void dm_fs_put(struct dm_fs *fs)
{
	if (refcount_dec_and_test(&fs->users))
		wake_up_var(&fs->users);
}

/**
 * dm_fs_changed - a call by handle changed an object's attributes
 * @fsid: the object's filesystem
 * @lower: the object's lower inode
 *
 * The filesystem's cache of them follows (&struct dm_fs_ops changed).
 */
void dm_fs_changed(u64 fsid, struct inode *lower)
{
	struct dm_fs *fs = dm_fs_get(fsid);

	if (!fs)
		return;
	if (fs->ops->changed)
		fs->ops->changed(fs, lower);
	dm_fs_put(fs);
}

/**
 * dm_fs_lock - keep the managed filesystems in place
 *
 * While it is held no filesystem is registered or unregistered, so a
 * &struct dm_fs found with dm_fs_find_locked() stays valid.  Held only
 * for short work on the list, never across a call into a lower
 * filesystem or a wait for user space.
 */
void dm_fs_lock(void)
{
	mutex_lock(&dm_fs_mutex);
}

/**
 * dm_fs_unlock - undo dm_fs_lock()
 */
void dm_fs_unlock(void)
{
	mutex_unlock(&dm_fs_mutex);
}

/* Whether a mount, served or tearing down, holds @fsid. */
static bool dm_fs_taken_locked(u64 fsid)
{
	struct dm_fs *fs;

	list_for_each_entry(fs, &dm_fs_list, link)
		if (fs->fsid == fsid)
			return true;
	return false;
}

/**
 * dm_fs_find_locked - the managed filesystem with an fsid
 * @fsid: the fsid of a handle
 *
 * Return: the filesystem, or NULL (none, or one unregistered).
 * dm_fs_lock() is held.
 */
struct dm_fs *dm_fs_find_locked(u64 fsid)
{
	struct dm_fs *fs;

	lockdep_assert_held(&dm_fs_mutex);
	list_for_each_entry(fs, &dm_fs_list, link)
		if (fs->fsid == fsid && !fs->dying)
			return fs;
	return NULL;
}

/**
 * dm_fs_next_locked - walk the managed filesystems
 * @fs: the previous one, or NULL to start
 *
 * Return: the next filesystem not unregistered, or NULL after the last.
 * dm_fs_lock() is held across the walk.
 */
struct dm_fs *dm_fs_next_locked(struct dm_fs *fs)
{
	lockdep_assert_held(&dm_fs_mutex);
	fs = list_prepare_entry(fs, &dm_fs_list, link);
	list_for_each_entry_continue(fs, &dm_fs_list, link)
		if (!fs->dying)
			return fs;
	return NULL;
}

/**
 * dm_inode_handle - the handle of an object of a managed filesystem
 * @fs: the filesystem
 * @inode: the object's lower inode
 * @h: filled in
 */
void dm_inode_handle(const struct dm_fs *fs, const struct inode *inode,
		     struct dmapi_handle *h)
{
	memset(h, 0, sizeof(*h));
	h->fsid = fs->fsid;
	h->fid.fid_len = DMAPI_FID_LEN;
	h->fid.fid_gen = inode->i_generation;
	h->fid.fid_ino = inode->i_ino;
}

/**
 * dm_fs_root_handle - the handle of a managed filesystem's root
 * @fs: the filesystem
 * @h: filled in
 */
void dm_fs_root_handle(const struct dm_fs *fs, struct dmapi_handle *h)
{
	dm_inode_handle(fs, d_inode(fs->lower->dentry), h);
}

static bool dm_handle_is_global(u64 uptr, u64 len)
{
	return uptr == 1 && len == DMAPI_GLOBAL_HANDLE_LEN;
}

/*
 * Copy in and check the form of a filesystem or object handle.  Returns
 * its length, or -EFAULT, -EINVAL.
 */
static int dm_handle_copy(u64 uptr, u64 len, struct dmapi_handle *h)
{
	if (!uptr)
		return -EFAULT;
	if (len != DMAPI_FSHANDLE_LEN && len != DMAPI_HANDLE_LEN)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	if (copy_from_user(h, u64_to_user_ptr(uptr), len))
		return -EFAULT;
	if (!h->fsid)
		return -EINVAL;
	if (len == DMAPI_HANDLE_LEN &&
	    (h->fid.fid_len != DMAPI_FID_LEN || h->fid.fid_pad))
		return -EINVAL;
	return len;
}

static bool dm_fsid_managed_locked(u64 fsid)
{
	return dm_fs_find_locked(fsid) != NULL;
}

/**
 * dm_handle_check - check that a user handle names something managed
 * @uptr: user address of the handle
 * @len: its length
 *
 * Return: 0 for the global handle or a handle that resolves; -EFAULT for
 * a NULL or unreadable handle; -EINVAL for a handle of the wrong form;
 * -EBADF for a well-formed handle that names no managed object.
 */
int dm_handle_check(u64 uptr, u64 len)
{
	struct dmapi_handle h;
	struct path path;
	int err;

	if (dm_handle_is_global(uptr, len))
		return 0;
	err = dm_handle_copy(uptr, len, &h);
	if (err < 0)
		return err;
	if (err == DMAPI_FSHANDLE_LEN) {
		mutex_lock(&dm_fs_mutex);
		err = dm_fsid_managed_locked(h.fsid) ? 0 : -EBADF;
		mutex_unlock(&dm_fs_mutex);
		return err;
	}
	err = dm_handle_resolve(&h, &path);
	if (!err)
		path_put(&path);
	return err;
}

/**
 * dm_handle_get - copy in and classify a user handle
 * @uptr: user address of the handle
 * @len: its length
 * @uh: filled in: the global handle, a filesystem or an object
 *
 * Only the form is checked; nothing is resolved.
 *
 * Return: 0, or -EFAULT (NULL or unreadable), -EINVAL (wrong form).
 */
int dm_handle_get(u64 uptr, u64 len, struct dm_user_handle *uh)
{
	int err;

	memset(uh, 0, sizeof(*uh));
	if (dm_handle_is_global(uptr, len)) {
		uh->kind = DM_HANDLE_GLOBAL;
		return 0;
	}
	err = dm_handle_copy(uptr, len, &uh->h);
	if (err < 0)
		return err;
	uh->kind = err == DMAPI_FSHANDLE_LEN ? DM_HANDLE_FS : DM_HANDLE_OBJECT;
	return 0;
}

/**
 * dm_handle_resolve - the lower path of an object handle
 * @h: an object handle, checked for its form
 * @path: filled in, referenced
 *
 * Return: 0, or -EBADF (no such managed object).
 */
int dm_handle_resolve(const struct dmapi_handle *h, struct path *path)
{
	struct dm_fs *fs = dm_fs_get(h->fsid);
	int err;

	if (!fs)
		return -EBADF;
	err = fs->ops->resolve(fs, h->fid.fid_ino, h->fid.fid_gen, path);
	dm_fs_put(fs);
	return err;
}

/**
 * dm_fs_contains - whether a lower path is in a managed filesystem's tree
 * @fs: the filesystem, kept
 * @path: a lower path, resolved from a handle of @fs's fsid
 *
 * A handle resolved before a wait names the mount of that time; a mount
 * of the same filesystem made since may have another lower tree, or its
 * own lower mount (idmapped).
 *
 * Return: true if @path is in @fs's lower tree, on @fs's lower mount.
 */
bool dm_fs_contains(const struct dm_fs *fs, const struct path *path)
{
	return path->mnt == fs->lower->mnt &&
	       is_subdir(path->dentry, fs->lower->dentry);
}

/* The managed filesystem of a file of a dmapi mount, or NULL. */
static struct dm_fs *dm_fs_of_sb_locked(struct super_block *sb)
{
	struct dm_fs *fs;

	list_for_each_entry(fs, &dm_fs_list, link)
		if (fs->sb == sb && !fs->dying)
			return fs;
	return NULL;
}

/**
 * dm_ioc_fd_to_handle - DMAPI_IOC_FD_TO_HANDLE
 * @uarg: struct dmapi_fd_to_handle_arg
 *
 * Return: 0 with the handle of the open object (or of its filesystem),
 * or -EBADF (not an open descriptor), -EINVAL (not an object of a dmapi
 * mount, unknown flags), -EFAULT.
 */
long dm_ioc_fd_to_handle(void __user *uarg)
{
	struct dmapi_fd_to_handle_arg arg;
	struct inode *inode;
	struct dm_fs *fs;
	struct file *file;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;
	if (arg.flags & ~DMAPI_HANDLE_FS)
		return -EINVAL;
	file = fget_raw(arg.fd);
	if (!file)
		return -EBADF;
	inode = file_inode(file);
	mutex_lock(&dm_fs_mutex);
	fs = dm_fs_of_sb_locked(inode->i_sb);
	if (fs) {
		memset(&arg.handle, 0, sizeof(arg.handle));
		arg.handle.fsid = fs->fsid;
		arg.hlen = DMAPI_FSHANDLE_LEN;
		if (!(arg.flags & DMAPI_HANDLE_FS)) {
			arg.handle.fid.fid_len = DMAPI_FID_LEN;
			arg.handle.fid.fid_gen = inode->i_generation;
			arg.handle.fid.fid_ino = inode->i_ino;
			arg.hlen = DMAPI_HANDLE_LEN;
		}
	}
	mutex_unlock(&dm_fs_mutex);
	fput(file);
	if (!fs)
		return -EINVAL;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

/* Resolve a user object handle to its lower path. */
static int dm_resolve_user(u64 uptr, u64 len, struct path *path)
{
	struct dmapi_handle h;
	int err;

	err = dm_handle_copy(uptr, len, &h);
	if (err < 0)
		return err;
	if (err != DMAPI_HANDLE_LEN)
		return -EINVAL;	/* a filesystem handle names no object */
	return dm_handle_resolve(&h, path);
}

#define DM_OPEN_FLAGS	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT | \
			 O_CLOEXEC | O_LARGEFILE | O_NOATIME | O_DIRECTORY | \
			 O_PATH)
/*
 * What open(2) keeps of the flags with O_PATH; it ignores the others
 * (O_NOFOLLOW too: a handle names the link itself).
 */
#define DM_OPEN_PATH_FLAGS	(O_PATH | O_CLOEXEC | O_DIRECTORY)

/*
 * What open(2) checks and dentry_open() does not (may_open()): the kind
 * of object, the caller's permission, and the immutable and append-only
 * flags, which XFS's write path relies on open(2) to have checked.  The
 * DM application is held to them as by open(2).
 */
static int dm_may_open(const struct path *path, u32 flags)
{
	dm_idmap_t *idmap = dm_mnt_idmap(path->mnt);
	struct inode *inode = d_inode(path->dentry);
	int mask = MAY_OPEN | ACC_MODE(flags);
	int err;

	/* A place, not an open object: no device or FIFO is opened. */
	if (flags & O_PATH)
		return (flags & O_DIRECTORY) && !d_is_dir(path->dentry) ?
			-ENOTDIR : 0;
	switch (inode->i_mode & S_IFMT) {
	case S_IFLNK:
		return -ELOOP;
	case S_IFDIR:
		if (mask & MAY_WRITE)
			return -EISDIR;
		break;
	case S_IFBLK:
	case S_IFCHR:
		/* may_open_dev(), which is not exported */
		if ((path->mnt->mnt_flags & MNT_NODEV) ||
		    (path->mnt->mnt_sb->s_iflags & SB_I_NODEV))
			return -EACCES;
		fallthrough;
	default:
		if (flags & O_DIRECTORY)
			return -ENOTDIR;
	}
	err = inode_permission(idmap, inode, mask);
	if (err)
		return err;
	if (IS_APPEND(inode) && (mask & MAY_WRITE) && !(flags & O_APPEND))
		return -EPERM;
	if ((flags & O_NOATIME) && !inode_owner_or_capable(idmap, inode))
		return -EPERM;
	return 0;
}

/**
 * dm_ioc_open_by_handle - DMAPI_IOC_OPEN_BY_HANDLE
 * @uarg: struct dmapi_open_by_handle_arg
 *
 * Opens the object's lower file for the DM application: I/O on it is
 * invisible to the events of the managed filesystem.  With O_PATH, as
 * open(2): a descriptor of the place, any kind of object, whose own open
 * (a device's, a FIFO's) does not run.
 *
 * Return: 0 with the descriptor, or -EINVAL (malformed handle, other
 * flags), -EBADF (no such managed object), -EPERM (writing an immutable
 * file, or an append-only one without O_APPEND), the errno open(2)
 * would give (-EACCES, -EISDIR, -ENOTDIR, -ELOOP, -EROFS, ...), -EFAULT.
 */
long dm_ioc_open_by_handle(void __user *uarg)
{
	struct dmapi_open_by_handle_arg arg;
	struct file *file;
	struct path path;
	int fd, err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	if (arg.flags & O_PATH)
		arg.flags &= DM_OPEN_PATH_FLAGS;
	if (arg.flags & ~DM_OPEN_FLAGS || (arg.flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	err = dm_resolve_user(arg.hanp, arg.hlen, &path);
	if (err)
		return err;
	err = dm_may_open(&path, arg.flags);
	if (err)
		goto out;
	fd = get_unused_fd_flags(arg.flags & O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	file = dentry_open(&path, (arg.flags & ~O_CLOEXEC) | O_LARGEFILE,
			   current_cred());
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		err = PTR_ERR(file);
		goto out;
	}
	arg.fd = fd;
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		fput(file);
		put_unused_fd(fd);
		err = -EFAULT;
		goto out;
	}
	fd_install(fd, file);
out:
	path_put(&path);
	return err;
}

struct dm_name_search {
	struct dir_context	ctx;
	u64			ino;
	char			*name;	/* PATH_MAX bytes */
	bool			found;
};

static bool dm_name_actor(struct dir_context *ctx, const char *name,
			  int namlen, loff_t offset, u64 ino,
			  unsigned int d_type)
{
	struct dm_name_search *search =
		container_of(ctx, struct dm_name_search, ctx);

	if (ino != search->ino || namlen >= NAME_MAX + 1 ||
	    (namlen == 1 && name[0] == '.') ||
	    (namlen == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	memcpy(search->name, name, namlen);
	search->name[namlen] = '\0';
	search->found = true;
	return false;
}

/* Find the name of inode @ino in the lower directory @dir. */
static int dm_find_name(const struct path *dir, u64 ino, char *name)
{
	struct dm_name_search search = {
		.ctx.actor = dm_name_actor,
		.ino = ino,
		.name = name,
	};
	struct file *file;
	int err;

	file = dentry_open(dir, O_RDONLY | O_DIRECTORY, current_cred());
	if (IS_ERR(file))
		return PTR_ERR(file);
	do {
		loff_t pos = file->f_pos;

		err = iterate_dir(file, &search.ctx);
		if (err || file->f_pos == pos)
			break;
	} while (!search.found);
	fput(file);
	if (err)
		return err;
	return search.found ? 0 : -EBADF;
}

/* The path of lower directory @dentry in the managed filesystem @fsid. */
static char *dm_relpath(u64 fsid, struct dentry *dentry, char *page)
{
	struct dm_fs *fs = dm_fs_get(fsid);
	char *rel;

	if (!fs)
		return ERR_PTR(-EBADF);
	rel = fs->ops->relpath(fs, dentry, page, PAGE_SIZE);
	dm_fs_put(fs);
	return rel;
}

/**
 * dm_ioc_handle_to_path - DMAPI_IOC_HANDLE_TO_PATH
 * @uarg: struct dmapi_handle_to_path_arg
 *
 * The target handle is resolved, not only its inode number looked for:
 * a stale handle whose number a new object took names no object.
 *
 * The directory itself, and its parent, are its entries "." and "..":
 * their own paths, as SGI gave.
 *
 * Return: 0 with the path of the target, an entry of the directory,
 * relative to its filesystem's root (the root's is ""); or -EINVAL
 * (malformed handles, the directory is no directory), -EBADF (no such
 * objects, or the target is not in the directory), -ENAMETOOLONG (the
 * directory's path, its NUL included, does not fit in a page), -E2BIG
 * with the size needed in buf.rlen, -EFAULT.
 */
long dm_ioc_handle_to_path(void __user *uarg)
{
	struct dmapi_handle_to_path_arg arg;
	struct dmapi_handle targ;
	struct path dir, target;
	struct dentry *named;	/* the directory whose path is asked */
	char *page, *rel, *name;
	size_t dlen, nlen;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	err = dm_handle_copy(arg.targhanp, arg.targhlen, &targ);
	if (err < 0)
		return err;
	if (err != DMAPI_HANDLE_LEN)
		return -EINVAL;
	page = (char *)__get_free_page(GFP_KERNEL);
	name = kmalloc(NAME_MAX + 1, GFP_KERNEL);
	err = -ENOMEM;
	if (!page || !name)
		goto out_free;

	err = dm_resolve_user(arg.dirhanp, arg.dirhlen, &dir);
	if (err)
		goto out_free;
	err = -EINVAL;
	if (!d_is_dir(dir.dentry))
		goto out_put;
	err = dm_handle_resolve(&targ, &target);
	if (err)
		goto out_put;
	named = dget(dir.dentry);
	name[0] = '\0';
	err = -EBADF;
	if (target.mnt->mnt_sb != dir.mnt->mnt_sb) {
		/* no entry of the directory */
	} else if (target.dentry == dir.dentry ||
		   target.dentry == READ_ONCE(dir.dentry->d_parent)) {
		dput(named);
		named = dget(target.dentry);
		err = 0;
	} else {
		err = dm_find_name(&dir, targ.fid.fid_ino, name);
	}
	path_put(&target);
	if (!err) {
		rel = dm_relpath(targ.fsid, named, page);
		err = PTR_ERR_OR_ZERO(rel);
	}
	dput(named);
	if (err)
		goto out_put;

	/* The root's path is "": the target's name alone. */
	dlen = strlen(rel);
	nlen = strlen(name);
	arg.buf.rlen = (dlen && nlen ? dlen + 1 : dlen) + nlen + 1;
	err = 0;
	if (arg.buf.len < arg.buf.rlen) {
		err = -E2BIG;
	} else {
		char __user *out = u64_to_user_ptr(arg.buf.ptr);

		size_t slash = dlen && nlen;

		if (copy_to_user(out, rel, dlen) ||
		    copy_to_user(out + dlen, "/", slash) ||
		    copy_to_user(out + dlen + slash, name, nlen + 1))
			err = -EFAULT;
	}
	if (err != -EFAULT && copy_to_user(uarg, &arg, sizeof(arg)))
		err = -EFAULT;
out_put:
	path_put(&dir);
out_free:
	kfree(name);
	free_page((unsigned long)page);
	return err;
}
