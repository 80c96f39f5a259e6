// SPDX-License-Identifier: GPL-2.0
/*
 * dmapi inodes: one for each lower inode, found by the lower inode's
 * address; attributes, permission and the operations of non-directories.
 */
#include <linux/fiemap.h>
#include <linux/fileattr.h>
#include <linux/fs_stack.h>
#include <linux/namei.h>
#include <linux/pagemap.h>

#include "dmapifs.h"

/**
 * dmfs_copyattr - refresh a dmapi inode from its lower inode
 * @inode: the dmapi inode
 *
 * The lower inode is the truth; ours mirrors it for the VFS checks that
 * read the inode directly (type, size for llseek, times for the page).
 * Ours keeps no times of its own: the lower filesystem dates its inode.
 */
void dmfs_copyattr(struct inode *inode)
{
	struct inode *lower = dmfs_lower_inode(inode);
	dm_idmap_t *idmap = dmfs_lower_idmap(inode->i_sb);

	/*
	 * Read and copied under our i_lock, as overlayfs copies: of two
	 * refreshes racing, say after two writes that each extended the
	 * file, the later then reads the later size, where it could store
	 * the older one last (the VFS trusts our size in copy_file_range()).
	 */
	spin_lock(&inode->i_lock);
	fsstack_copy_attr_all(inode, lower);
	/*
	 * The owners as the lower mount shows them, idmapped or not, as
	 * stat does: the VFS reads ours for set-ID execution, the sticky
	 * bit and every owner check.  Not idmapped, they are the lower
	 * inode's, copied above (a path walk's stat comes here).
	 */
	if (!dm_idmap_is_nop(idmap)) {
		inode->i_uid = vfsuid_into_kuid(i_uid_into_vfsuid(idmap, lower));
		inode->i_gid = vfsgid_into_kgid(i_gid_into_vfsgid(idmap, lower));
	}
	inode->i_flags |= S_NOATIME | S_NOCMTIME;
	i_size_write(inode, i_size_read(lower));
	inode->i_blocks = READ_ONCE(lower->i_blocks);
	spin_unlock(&inode->i_lock);
}

/* Also called under RCU alone (dmfs_io_drained()), racing with eviction. */
static int dmfs_inode_test(struct inode *inode, void *lower)
{
	return READ_ONCE(DMFS_I(inode)->lower) == lower;
}

static int dmfs_inode_set(struct inode *inode, void *lower)
{
	DMFS_I(inode)->lower = igrab(lower);
	return DMFS_I(inode)->lower ? 0 : -ESTALE;
}

static void dmfs_init_inode(struct inode *inode, struct inode *lower)
{
	umode_t mode = lower->i_mode;

	inode->i_ino = lower->i_ino;
	inode->i_mode = mode;
	inode->i_generation = lower->i_generation;
#ifdef CONFIG_FS_POSIX_ACL
	/* The lower inode has the ACLs: a copy here would go stale. */
	inode->i_acl = ACL_DONT_CACHE;
	inode->i_default_acl = ACL_DONT_CACHE;
#endif
	switch (mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &dmfs_file_iops;
		inode->i_fop = &dmfs_file_fops;
		inode->i_mapping->a_ops = &dmfs_aops;
		break;
	case S_IFDIR:
		inode->i_op = &dmfs_dir_iops;
		inode->i_fop = &dmfs_dir_fops;
		break;
	case S_IFLNK:
		inode->i_op = &dmfs_symlink_iops;
		break;
	default:
		inode->i_op = &dmfs_special_iops;
		init_special_inode(inode, mode, lower->i_rdev);
		break;
	}
	dmfs_copyattr(inode);
}

/**
 * dmfs_iget - the dmapi inode of a lower inode
 * @sb: the dmapi superblock
 * @lower: the lower inode
 *
 * Return: the inode, referenced, or an ERR_PTR.
 */
struct inode *dmfs_iget(struct super_block *sb, struct inode *lower)
{
	struct inode *inode;

	inode = iget5_locked(sb, (unsigned long)lower, dmfs_inode_test,
			     dmfs_inode_set, lower);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (!(inode->i_state & I_NEW))
		return inode;
	dmfs_init_inode(inode, lower);
	unlock_new_inode(inode);
	return inode;
}

/*
 * Whether the changes admitted through @sb to @lower, and the reads too
 * if @reads, have all ended.
 */
static bool dmfs_io_drained(struct super_block *sb, struct inode *lower,
			    bool reads)
{
	struct dmfs_inode *di;
	struct inode *inode;
	bool drained = true;

	/* No reference: a lookup must not wait for an inode being set up. */
	rcu_read_lock();
	inode = find_inode_rcu(sb, (unsigned long)lower, dmfs_inode_test, lower);
	if (inode) {
		di = DMFS_I(inode);
		drained = !atomic_read(&di->admitted[DMFS_IO_CHANGE]) &&
			  (!reads || !atomic_read(&di->admitted[DMFS_IO_READ]));
	}
	rcu_read_unlock();
	return drained;
}

/* wait_var_event_interruptible() for @timeout jiffies at most. */
#define dmfs_wait_var_event_interruptible_timeout(var, condition, timeout) \
({									\
	long __ret = timeout;						\
	might_sleep();							\
	if (!___wait_cond_timeout(condition))				\
		__ret = ___wait_var_event(var, ___wait_cond_timeout(condition), \
					  TASK_INTERRUPTIBLE, 0, timeout,	\
					  __ret = schedule_timeout(__ret)); \
	__ret;								\
})

/*
 * A write through a mapping waits for rights only when it faults, and it
 * faults only on a clean page (mmap.c): clean the dirty pages of a file
 * mapped writably, which write-protects them wherever they are mapped.
 * Starting their writeback does it; its errors are left for the
 * application's fsync() to find, and a page whose writeback could not
 * start (a filesystem shut down) stays writable.
 */
static void dmfs_write_protect_mappings(struct inode *lower)
{
	if (mapping_writably_mapped(lower->i_mapping))
		filemap_fdatawrite(lower->i_mapping);
}

/**
 * dmfs_drain_io - wait for the accesses admitted to an object to end
 * @fs: the mount
 * @lower: the object's lower inode, pinned by the caller
 * @reads: wait for reads as well as for changes
 * @timeout: jiffies to wait at most
 *
 * An object with no inode in the mount has no access in flight through
 * it, and one that comes now finds the caller's right (dmfs_io_begin()).
 * dmfs_io_end() wakes the waiter with @lower as the key: our inode may
 * come and go meanwhile, @lower stays.  Then the writes through mappings
 * made earlier are made to fault again, and so to wait.
 *
 * Return: 0, -ERESTARTSYS when a signal ended the wait, or -ETIMEDOUT.
 */
int dmfs_drain_io(struct dm_fs *fs, struct inode *lower, bool reads,
		  unsigned long timeout)
{
	struct super_block *sb = READ_ONCE(fs->sb);
	long left;

	if (!sb)
		return 0;
	left = dmfs_wait_var_event_interruptible_timeout(lower,
							 dmfs_io_drained(sb, lower, reads),
							 timeout);
	if (left < 0)
		return left;
	if (!left)
		return -ETIMEDOUT;
	dmfs_write_protect_mappings(lower);
	return 0;
}

/**
 * dmfs_changed - a call by handle changed a lower object's attributes
 * @fs: the managed filesystem
 * @lower: the object's lower inode
 *
 * Our inode, if cached, takes them at once: the VFS reads its size
 * itself (copy_file_range(), FIONREAD, dedupe) before calling us.
 */
void dmfs_changed(struct dm_fs *fs, struct inode *lower)
{
	struct inode *inode = dmfs_upper(fs, lower);

	if (inode) {
		dmfs_copyattr(inode);
		iput(inode);
	}
}

/**
 * dmfs_upper - our inode of a lower object, if cached
 * @fs: the managed filesystem, held by the caller
 * @lower: the object's lower inode
 *
 * Return: the inode, referenced, or NULL.
 */
struct inode *dmfs_upper(struct dm_fs *fs, struct inode *lower)
{
	struct super_block *sb = READ_ONCE(fs->sb);

	if (!sb)
		return NULL;
	return ilookup5(sb, (unsigned long)lower, dmfs_inode_test, lower);
}

/**
 * dmfs_sync_inode_flags - take the lower inode's append-only and immutable
 * @inode: the dmapi inode
 * @lower: its lower inode
 *
 * The VFS checks both on our inode (open, truncate, unlink, rename, link,
 * chmod): a chattr below the mount counts from the next permission check
 * or path walk that meets the file.  Safe under RCU alone.
 */
void dmfs_sync_inode_flags(struct inode *inode, struct inode *lower)
{
	const unsigned int mask = S_APPEND | S_IMMUTABLE;
	unsigned int flags = READ_ONCE(lower->i_flags) & mask;

	if (unlikely((READ_ONCE(inode->i_flags) & mask) != flags))
		inode_set_flags(inode, flags, mask);
}

/**
 * dmfs_permission - check access against the lower inode
 * @idmap: the idmapping of our mount (unused: the lower mount's counts)
 * @inode: the dmapi inode
 * @mask: the access asked for
 *
 * Return: 0 or a negative errno.
 */
int dmfs_permission(dm_idmap_t *idmap, struct inode *inode, int mask)
{
	struct inode *lower = READ_ONCE(DMFS_I(inode)->lower);

	/*
	 * An RCU-walk holds no reference: it may meet an inode that its
	 * eviction left without a lower one.  Walk again by reference.
	 */
	if (unlikely(!lower))
		return -ECHILD;
	dmfs_sync_inode_flags(inode, lower);
	return inode_permission(dmfs_lower_idmap(inode->i_sb), lower, mask);
}

/**
 * dmfs_getattr - the lower object's attributes, unchanged
 * @idmap: the idmapping of our mount
 * @path: the dmapi object
 * @stat: filled in
 * @request_mask: what the caller asks for
 * @flags: AT_* flags of the stat call
 *
 * st_ino and st_dev are the lower object's, so that they are stable
 * across remounts and equal to what the lower filesystem reports.
 *
 * Return: 0 or a negative errno.
 */
int dmfs_getattr(dm_idmap_t *idmap, const struct path *path,
		 struct kstat *stat, u32 request_mask, unsigned int flags)
{
	struct path lower;
	int err;

	dmfs_lower_path(path->dentry, &lower);
	err = dm_vfs_getattr(&lower, stat, request_mask, flags);
	if (!err)
		dmfs_copyattr(d_inode(path->dentry));
	return err;
}

/*
 * Admit a change of @inode's attributes, waiting for the rights in its
 * way; with @unlock, the caller's exclusive hold of the inode's lock is
 * let go meanwhile.
 */
static int dmfs_attr_admit(struct inode *inode, bool unlock)
{
	u64 fsid = dmfs_dm_fs(inode->i_sb)->fsid;
	u64 ino = dmfs_lower_inode(inode)->i_ino;
	u32 gen = dmfs_lower_inode(inode)->i_generation;
	int err;

	for (;;) {
		atomic_inc(&DMFS_I(inode)->admitted[DMFS_IO_CHANGE]);
		/* Counted before looking: pairs with dm_rights_drain(). */
		smp_mb__after_atomic();
		if (dm_rights_allow(fsid, ino, gen, true))
			return 0;
		dmfs_attr_end(inode);
		dmfs_mmap_end_earlier();
		if (unlock)
			inode_unlock(inode);
		err = dm_rights_io_wait(fsid, ino, gen, true);
		if (unlock)
			inode_lock(inode);
		if (err)
			return err;
	}
}

/**
 * dmfs_attr_begin - admit a change of an object's attributes through the
 *	mount
 * @inode: the dmapi inode
 *
 * Setting an xattr, an ACL or the inode flags (chattr), and chmod(2),
 * chown(2) and utimes(2) (dmfs_attr_begin_locked()), change what a DM
 * application holding a right on the object relies on: an HSM reads the
 * attributes it migrates with, and a punch puts back the times it found.
 * As a write does, the change waits until no token holds a right on the
 * object, and counts among its admitted changes, so that a right granted
 * meanwhile waits for it.  It sends no event (ATTRIBUTE comes after it).
 * Only a fatal signal ends the wait.  Whatever the caller holds stays
 * held: not every caller of an xattr handler or of ->set_acl holds the
 * inode's lock (ksmbd's ACLs, IMA's xattr), and vfs_fileattr_set() has
 * merged the flags it keeps under it.
 *
 * Return: 0, admitted until dmfs_attr_end(); or -ERESTARTSYS, not
 * admitted.
 */
int dmfs_attr_begin(struct inode *inode)
{
	return dmfs_attr_admit(inode, false);
}

/**
 * dmfs_attr_begin_locked - dmfs_attr_begin() for notify_change()
 * @inode: the dmapi inode, locked exclusively by the caller
 *
 * The wait lets go of the lock, as a truncation's does
 * (dmfs_io_begin_locked()): a migration may hold its right for minutes,
 * and an unlink or a rename of the object, which holds its directory's
 * lock, would wait for ours meanwhile.  What the VFS checked before
 * calling us, the lower notify_change() checks again; nfsd's check of an
 * NFSv3 guard time and the attributes it reports from before the change
 * can be older, as for a truncation.
 *
 * Return: as for dmfs_attr_begin(), the lock held either way.
 */
int dmfs_attr_begin_locked(struct inode *inode)
{
	lockdep_assert_held_write(&inode->i_rwsem);
	return dmfs_attr_admit(inode, true);
}

/**
 * dmfs_attr_end - end a change dmfs_attr_begin() admitted
 * @inode: the dmapi inode
 */
void dmfs_attr_end(struct inode *inode)
{
	/* Counted among the changes, as a write is. */
	dmfs_io_end(inode, DMAPI_EVENT_WRITE);
}

/*
 * Admit a truncation of @inode to @size, the VFS holding our inode's lock
 * (dmfs_io_begin_locked()).  Fails EPERM if the file was made
 * append-only or immutable while the lock was let go.  Returns 0 or a
 * negative errno, the lock held either way.
 */
static int dmfs_truncate_begin(struct inode *inode, const struct path *lower,
			       loff_t size)
{
	int err;

	err = dmfs_io_begin_locked(inode, lower, DMAPI_EVENT_TRUNCATE, size, 0);
	if (err)
		return err;
	/* A chattr through the mount may not have waited for the truncation. */
	if (IS_APPEND(d_inode(lower->dentry)) ||
	    IS_IMMUTABLE(d_inode(lower->dentry))) {
		dmfs_io_end(inode, DMAPI_EVENT_TRUNCATE);
		return -EPERM;
	}
	return 0;
}

/*
 * The set-ID bits a truncation of @lower by the caller kills, as
 * do_truncate() asks for them, with ATTR_FORCE: the caller need not own
 * the file to lose them.
 */
static unsigned int dmfs_truncate_kills(dm_idmap_t *idmap,
					struct inode *lower)
{
	int kill = setattr_should_drop_suidgid(idmap, lower);

	return kill ? kill | ATTR_FORCE : 0;
}

/*
 * notify_change() below, as chmod(2) and the others call it: a truncation
 * takes write access to the lower inode (ETXTBSY while it runs as a
 * program: truncate(2) checked ours only), and an NFS delegation of the
 * lower object is recalled and waited for, where a call without the wait
 * would fail EWOULDBLOCK.
 */
static int dmfs_setattr_lower(struct vfsmount *mnt, struct dentry *lower,
			      const struct iattr *attr)
{
	struct inode *inode = d_inode(lower);
	struct inode *delegated = NULL;
	struct iattr change;
	int err;

	if (attr->ia_valid & ATTR_SIZE) {
		err = get_write_access(inode);
		if (err)
			return err;
	}
	do {
		/* notify_change() edits what it is given: afresh each time. */
		change = *attr;
		inode_lock(inode);
		/*
		 * The VFS chose the set-ID bits a truncation kills from our
		 * mode, which a chmod below the mount (or a DM application,
		 * while the TRUNCATE event waited) may have left behind:
		 * choose again from the lower one, under its lock.
		 */
		if ((change.ia_valid & (ATTR_SIZE | ATTR_MODE)) == ATTR_SIZE)
			change.ia_valid |= dmfs_truncate_kills(dm_mnt_idmap(mnt),
							       inode);
		err = notify_change(dm_mnt_idmap(mnt), lower, &change, &delegated);
		inode_unlock(inode);
	} while (dm_deleg_retry(&delegated, &err));
	if (attr->ia_valid & ATTR_SIZE)
		put_write_access(inode);
	return err;
}

/**
 * dmfs_setattr - change the lower object's attributes
 * @idmap: the idmapping of our mount
 * @dentry: the dmapi object
 * @attr: what to change
 *
 * The lower filesystem makes every check and the change; the caller's
 * open file (ATTR_FILE) is ours, so it is not passed down.
 *
 * Return: 0 or a negative errno.
 */
int dmfs_setattr(dm_idmap_t *idmap, struct dentry *dentry, struct iattr *attr)
{
	struct dentry *lower = dmfs_lower_dentry(dentry);
	struct vfsmount *mnt = dmfs_lower_mnt(dentry->d_sb);
	struct iattr lower_attr = *attr;
	int err;

	/* The lower filesystem kills the privileges itself on a mode change. */
	if (lower_attr.ia_valid & (ATTR_KILL_SUID | ATTR_KILL_SGID))
		lower_attr.ia_valid &= ~ATTR_MODE;
	lower_attr.ia_valid &= ~ATTR_FILE;
	lower_attr.ia_file = NULL;

	/*
	 * ftruncate(2) checks append-only on our inode, which a chattr below
	 * the mount may not have reached: the lower filesystems do not.
	 */
	if ((attr->ia_valid & ATTR_SIZE) && IS_APPEND(d_inode(lower)))
		return -EPERM;
	if (attr->ia_valid & ATTR_SIZE) {
		struct path lower_path;

		dmfs_lower_path(dentry, &lower_path);
		err = dmfs_truncate_begin(d_inode(dentry), &lower_path,
					  attr->ia_size);
	} else {
		err = dmfs_attr_begin_locked(d_inode(dentry));
	}
	if (err)
		return err;
	err = mnt_want_write(mnt);
	if (!err) {
		err = dmfs_setattr_lower(mnt, lower, &lower_attr);
		mnt_drop_write(mnt);
	}
	if (attr->ia_valid & ATTR_SIZE)
		dmfs_io_end(d_inode(dentry), DMAPI_EVENT_TRUNCATE);
	else
		dmfs_attr_end(d_inode(dentry));
	dmfs_copyattr(d_inode(dentry));
	if (!err)
		dmfs_attr_changed(dentry);
	return err;
}

/**
 * dmfs_attr_changed - after a change of an object's attributes
 * @dentry: the dmapi object
 *
 * Sends ATTRIBUTE if the DM application wants it.
 */
void dmfs_attr_changed(struct dentry *dentry)
{
	struct dm_namesp ns = {
		.obj1 = dmfs_lower_dentry(dentry),
		.mode = d_inode(dentry)->i_mode,
	};

	dmfs_namesp(dentry->d_sb, DMAPI_EVENT_ATTRIBUTE, &ns);
}

int dmfs_fiemap(struct inode *inode, struct fiemap_extent_info *fieinfo,
		u64 start, u64 len)
{
	struct inode *lower = dmfs_lower_inode(inode);

	if (!lower->i_op->fiemap)
		return -EOPNOTSUPP;
	return lower->i_op->fiemap(lower, fieinfo, start, len);
}

int dmfs_fileattr_get(struct dentry *dentry, struct fileattr *fa)
{
	return vfs_fileattr_get(dmfs_lower_dentry(dentry), fa);
}

int dmfs_fileattr_set(dm_idmap_t *idmap, struct dentry *dentry,
		      struct fileattr *fa)
{
	struct vfsmount *mnt = dmfs_lower_mnt(dentry->d_sb);
	int err;

	err = dmfs_attr_begin(d_inode(dentry));
	if (err)
		return err;
	err = mnt_want_write(mnt);
	if (!err) {
		err = vfs_fileattr_set(dm_mnt_idmap(mnt),
				       dmfs_lower_dentry(dentry), fa);
		mnt_drop_write(mnt);
	}
	dmfs_attr_end(d_inode(dentry));
	dmfs_copyattr(d_inode(dentry));
	if (!err)
		dmfs_attr_changed(dentry);
	return err;
}

static const char *dmfs_get_link(struct dentry *dentry, struct inode *inode,
				 struct delayed_call *done)
{
	if (!dentry)
		return ERR_PTR(-ECHILD);
	return vfs_get_link(dmfs_lower_dentry(dentry), done);
}

const struct inode_operations dmfs_file_iops = {
	.permission	= dmfs_permission,
	.getattr	= dmfs_getattr,
	.setattr	= dmfs_setattr,
	.listxattr	= dmfs_listxattr,
	DMFS_ACL_IOPS
	.fiemap		= dmfs_fiemap,
	.fileattr_get	= dmfs_fileattr_get,
	.fileattr_set	= dmfs_fileattr_set,
};

const struct inode_operations dmfs_symlink_iops = {
	.get_link	= dmfs_get_link,
	.getattr	= dmfs_getattr,
	.setattr	= dmfs_setattr,
	.listxattr	= dmfs_listxattr,
	.fiemap		= dmfs_fiemap,
	DMFS_ACL_IOPS
};

const struct inode_operations dmfs_special_iops = {
	.permission	= dmfs_permission,
	.getattr	= dmfs_getattr,
	.setattr	= dmfs_setattr,
	.listxattr	= dmfs_listxattr,
	.fiemap		= dmfs_fiemap,
	.fileattr_get	= dmfs_fileattr_get,
	.fileattr_set	= dmfs_fileattr_set,
	DMFS_ACL_IOPS
};
