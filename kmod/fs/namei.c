// SPDX-License-Identifier: GPL-2.0
/*
 * Names: lookup, the dentries that tie each dmapi name to its lower
 * dentry, and the operations that change the namespace.
 *
 * Every change is made by the VFS on the lower directory, under the lower
 * directory's lock, with a lower dentry looked up afresh under that lock:
 * the lower tree may also be changed by processes that do not go through
 * the mount, and the lower filesystem is the truth.
 */
#include <linux/file.h>
#include <linux/fs_stack.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "dmapifs.h"

/*
 * Whether @lower still has @dentry's name: a rename within one directory
 * below us keeps the lower dentry and changes its name.  Compared as the
 * lower directory compares names (case-folding ones too).  In RCU walk
 * the name is read under the lower dentry's d_seq, and a rename caught
 * in between counts as a mismatch, which ref-walk decides again.
 */
static bool dmfs_lower_name_matches(struct dentry *dentry,
				    struct dentry *lower, bool rcu)
{
	const struct dentry *dir = READ_ONCE(lower->d_parent);
	unsigned int len, seq = 0;
	const char *name;
	bool same;

	if (rcu)
		seq = raw_seqcount_begin(&lower->d_seq);
	else
		spin_lock(&lower->d_lock);
	len = READ_ONCE(lower->d_name.len);
	name = READ_ONCE(lower->d_name.name);
	if (dir->d_flags & DCACHE_OP_COMPARE)
		same = !dir->d_op->d_compare(lower, len, name, &dentry->d_name);
	else
		same = len == dentry->d_name.len &&
		       !memcmp(name, dentry->d_name.name, len);
	if (rcu)
		return same && !read_seqcount_retry(&lower->d_seq, seq);
	spin_unlock(&lower->d_lock);
	return same;
}

/*
 * Whether @dentry still stands for what @lower now is: not changed below
 * us (renamed away or within its directory, or created or removed
 * directly).  Safe in RCU walk: dentries and our inodes are freed after a
 * grace period.
 */
static bool dmfs_lower_matches(struct dentry *dentry, struct dentry *lower,
			       bool rcu)
{
	struct dentry *parent = READ_ONCE(dentry->d_parent);
	struct inode *inode = d_inode_rcu(dentry);

	if (d_unhashed(lower))
		return false;
	if (!IS_ROOT(dentry) &&
	    (READ_ONCE(parent->d_fsdata) != READ_ONCE(lower->d_parent) ||
	     !dmfs_lower_name_matches(dentry, lower, rcu)))
		return false;
	if (!inode != d_is_negative(lower))
		return false;
	return !inode || dmfs_lower_inode(inode) == d_inode_rcu(lower);
}

/**
 * struct dmfs_rename_op - a rename through the mount, in dmfs_sb_info.renames
 *	from before its lower rename until it has moved our dentries
 * @list: in the mount's list
 * @old: the dentry renamed
 * @new: with RENAME_EXCHANGE, the other one; else NULL: the dentry of
 *	the new name may be dropped, and a lookup of it then waits for the
 *	rename to end
 */
struct dmfs_rename_op {
	struct list_head	list;
	struct dentry		*old;
	struct dentry		*new;
};

/**
 * dmfs_namei_init - set up a new mount's list of renames
 * @sbi: the mount
 */
void dmfs_namei_init(struct dmfs_sb_info *sbi)
{
	spin_lock_init(&sbi->renames_lock);
	INIT_LIST_HEAD(&sbi->renames);
}

/* Whether a rename through the mount is moving @dentry. */
static bool dmfs_renaming(struct dentry *dentry)
{
	struct dmfs_sb_info *sbi = DMFS_SB(dentry->d_sb);
	struct dmfs_rename_op *r;
	bool found = false;

	spin_lock(&sbi->renames_lock);
	list_for_each_entry(r, &sbi->renames, list) {
		if (r->old == dentry || r->new == dentry) {
			found = true;
			break;
		}
	}
	spin_unlock(&sbi->renames_lock);
	return found;
}

static void dmfs_rename_begin(struct dmfs_rename_op *r, struct dentry *old,
			      struct dentry *new)
{
	struct dmfs_sb_info *sbi = DMFS_SB(old->d_sb);

	r->old = old;
	r->new = new;
	spin_lock(&sbi->renames_lock);
	list_add(&r->list, &sbi->renames);
	spin_unlock(&sbi->renames_lock);
}

static void dmfs_rename_end(struct dmfs_rename_op *r)
{
	struct dmfs_sb_info *sbi = DMFS_SB(r->old->d_sb);

	spin_lock(&sbi->renames_lock);
	list_del(&r->list);
	spin_unlock(&sbi->renames_lock);
}

/*
 * Path walks through the mount stay in RCU mode whenever the answer is
 * "valid": refusing RCU walk outright cost a third of a stat().  Anything
 * else is decided again in ref-walk.
 */
static int dmfs_d_revalidate_lower(struct dentry *dentry,
				   struct dentry *lower, unsigned int flags)
{
	bool rcu = flags & LOOKUP_RCU;

	if (!lower)
		return rcu ? -ECHILD : 0;
	if (lower->d_flags & DCACHE_OP_REVALIDATE) {
		int ret;

		if (rcu)
			return -ECHILD;
		ret = lower->d_op->d_revalidate(lower, flags);
		if (ret <= 0)
			return ret;
	}
	if (dmfs_lower_matches(dentry, lower, rcu)) {
		struct inode *inode = d_inode_rcu(dentry);
		/* Read once: without a reference, @lower may die meanwhile. */
		struct inode *lower_inode = d_inode_rcu(lower);

		if (inode && lower_inode)
			dmfs_sync_inode_flags(inode, lower_inode);
		return 1;
	}
	if (rcu)
		return -ECHILD;
	/*
	 * Moved below by a rename through the mount that has yet to move
	 * @dentry: found before that rename, as the VFS lets a lookup racing
	 * a rename be.  Dropping it would detach every mount below it.  A
	 * rename not found has moved @dentry before it left the list: look
	 * again.
	 */
	return dmfs_renaming(dentry) ||
	       dmfs_lower_matches(dentry, lower, false);
}

/*
 * The lower dentry of @dentry, referenced, or NULL.  A create or a rename
 * through the mount may replace it and drop the one it replaced; dentries
 * are freed after a grace period, so one found dying was replaced, and
 * the new one is there to read.
 */
static struct dentry *dmfs_lower_get(struct dentry *dentry)
{
	struct dentry *lower;

	rcu_read_lock();
	do {
		lower = READ_ONCE(dentry->d_fsdata);
	} while (lower && !lockref_get_not_dead(&lower->d_lockref));
	rcu_read_unlock();
	return lower;
}

static int dmfs_d_revalidate(struct dentry *dentry, unsigned int flags)
{
	struct dentry *lower;
	int ret;

	/* RCU walk holds what it reads until it leaves RCU mode. */
	if (flags & LOOKUP_RCU)
		return dmfs_d_revalidate_lower(dentry,
					       READ_ONCE(dentry->d_fsdata),
					       flags);
	/*
	 * A reference walk (one that left RCU mode at a filesystem that
	 * refuses it, or at a mount point) gets the common answer, "valid",
	 * the same way under rcu_read_lock(): without a reference to the
	 * lower dentry, whose taking and dropping cost a tenth of a stat().
	 */
	rcu_read_lock();
	ret = dmfs_d_revalidate_lower(dentry, READ_ONCE(dentry->d_fsdata),
				      flags | LOOKUP_RCU);
	rcu_read_unlock();
	if (ret > 0)
		return ret;
	lower = dmfs_lower_get(dentry);
	ret = dmfs_d_revalidate_lower(dentry, lower, flags);
	dput(lower);
	return ret;
}

/*
 * A dentry whose lower dentry was removed is not kept: it would pin the
 * removed lower inode, and with it the lower filesystem's space, until
 * memory pressure evicts it.  Negative dentries of absent names stay.
 */
static int dmfs_d_delete(const struct dentry *dentry)
{
	struct dentry *lower = dentry->d_fsdata;

	return !lower || d_unhashed(lower);
}

static void dmfs_d_release(struct dentry *dentry)
{
	dput(dentry->d_fsdata);
}

const struct dentry_operations dmfs_dentry_ops = {
	.d_revalidate	= dmfs_d_revalidate,
	.d_delete	= dmfs_d_delete,
	.d_release	= dmfs_d_release,
};

/* Tie @dentry to @lower, replacing what it was tied to.  Takes @lower. */
static void dmfs_set_lower(struct dentry *dentry, struct dentry *lower)
{
	struct dentry *old = dentry->d_fsdata;

	/* Read in RCU walk by dmfs_d_revalidate(). */
	WRITE_ONCE(dentry->d_fsdata, lower);
	dput(old);
}

/*
 * The lower dentry of @name in @lower_parent, as a lookup through the
 * mount may show it.  An object that a creation by handle is still giving
 * what it inherits is waited for, by the lower directory's lock, which
 * that creation holds throughout.  One found removed, the creation's copy
 * failed, is looked up afresh; a few times at most, as a lookup racing
 * removals below the mount may find one removed.
 */
static struct dentry *dmfs_lookup_lower(struct super_block *sb,
					struct dentry *lower_parent,
					const struct qstr *name)
{
	struct dentry *lower;
	int tries = 0;

	for (;;) {
		lower = lookup_one_unlocked(dmfs_lower_idmap(sb), name->name,
					    lower_parent, name->len);
		if (IS_ERR(lower) || d_is_negative(lower))
			return lower;
		if (dm_fs_making(dmfs_dm_fs(sb))) {
			inode_lock_shared(d_inode(lower_parent));
			inode_unlock_shared(d_inode(lower_parent));
		} else {
			/* A removal before the count fell is seen. */
			smp_rmb();
		}
		if (!d_unhashed(lower) || ++tries > 3)
			return lower;
		dput(lower);
	}
}

static struct dentry *dmfs_lookup(struct inode *dir, struct dentry *dentry,
				  unsigned int flags)
{
	struct dentry *lower_parent = dmfs_lower_dentry(dentry->d_parent);
	struct inode *inode = NULL;
	struct dentry *lower;

	lower = dmfs_lookup_lower(dir->i_sb, lower_parent, &dentry->d_name);
	if (IS_ERR(lower))
		return ERR_CAST(lower);
	if (d_is_positive(lower)) {
		int err = dmfs_debut(dir->i_sb, lower);

		inode = err ? ERR_PTR(err) : dmfs_iget(dir->i_sb, d_inode(lower));
		if (IS_ERR(inode)) {
			dput(lower);
			return ERR_CAST(inode);
		}
	}
	dmfs_set_lower(dentry, lower);
	return d_splice_alias(inode, dentry);
}

/*
 * Lock the lower directory of @dentry's parent for a change and look the
 * name up in it afresh.  Returns the lower dentry, referenced, with the
 * lower directory locked and write access to the lower mount taken.
 */
static struct dentry *dmfs_lock_lower(struct dentry *dentry)
{
	struct dentry *lower_parent = dmfs_lower_dentry(dentry->d_parent);
	struct vfsmount *mnt = dmfs_lower_mnt(dentry->d_sb);
	struct dentry *lower;
	int err;

	err = mnt_want_write(mnt);
	if (err)
		return ERR_PTR(err);
	inode_lock_nested(d_inode(lower_parent), I_MUTEX_PARENT);
	lower = lookup_one(dmfs_lower_idmap(dentry->d_sb), dentry->d_name.name,
			   lower_parent, dentry->d_name.len);
	if (IS_ERR(lower)) {
		inode_unlock(d_inode(lower_parent));
		mnt_drop_write(mnt);
	}
	return lower;
}

static void dmfs_unlock_lower(struct dentry *dentry, struct dentry *lower)
{
	struct dentry *lower_parent = dmfs_lower_dentry(dentry->d_parent);

	inode_unlock(d_inode(lower_parent));
	mnt_drop_write(dmfs_lower_mnt(dentry->d_sb));
	dput(lower);
}

/* Our view of a directory after a change below it. */
static void dmfs_dir_changed(struct inode *dir)
{
	dmfs_copyattr(dir);
}

/*
 * After a successful create, tie @dentry to the new lower object and
 * instantiate it.  The lower directory's lock, held since the lookup,
 * kept anyone from removing it.  The lower dentry may be unhashed: a
 * case-folding directory (ext4's, XFS's ASCII-ci) hashes no dentry it
 * looked up negative, and creating the object does not hash it either;
 * dmfs_d_revalidate() then has the next lookup find a hashed one.
 */
static int dmfs_instantiate(struct dentry *dentry, struct dentry *lower)
{
	struct inode *inode;

	if (d_is_negative(lower))
		return -ENOENT;	/* not XFS's nor ext4's way */
	inode = dmfs_iget(dentry->d_sb, d_inode(lower));
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	dmfs_mark_seen(dentry->d_sb, d_inode(lower));	/* seen from birth */
	dmfs_set_lower(dentry, dget(lower));
	d_instantiate(dentry, inode);
	return 0;
}

/* Make the lower object of @dentry, as @mode tells, and instantiate it. */
static int dmfs_make_lower(struct inode *dir, struct dentry *dentry,
			   struct dentry *lower, umode_t mode, dev_t rdev,
			   const char *link, bool excl)
{
	dm_idmap_t *idmap = dmfs_lower_idmap(dir->i_sb);
	struct inode *lower_dir = d_inode(lower->d_parent);
	int err;

	switch (mode & S_IFMT) {
	case S_IFREG:
		err = vfs_create(idmap, lower_dir, lower, mode, excl);
		break;
	case S_IFDIR:
		err = vfs_mkdir(idmap, lower_dir, lower, mode);
		break;
	case S_IFLNK:
		err = vfs_symlink(idmap, lower_dir, lower, link);
		break;
	default:
		err = vfs_mknod(idmap, lower_dir, lower, mode, rdev);
		break;
	}
	if (!err)
		err = dmfs_inherit(dir->i_sb, lower);
	if (err)
		return err;
	return dmfs_instantiate(dentry, lower);
}

/*
 * Create, between the CREATE (or SYMLINK) event that may veto it and the
 * POSTCREATE (POSTSYMLINK) event that tells how it went.  A name made
 * meanwhile, below the mount or by the DM application answering, fails
 * EEXIST, but for an open(2) without O_EXCL, which opens what is there:
 * its ESTALE (in POSTCREATE too) makes the VFS walk again and find it.
 */
static int dmfs_create_object(struct inode *dir, struct dentry *dentry,
			      umode_t mode, dev_t rdev, const char *link,
			      bool excl)
{
	bool symlink = S_ISLNK(mode);
	struct dm_namesp ns = {
		.obj1 = dmfs_lower_dentry(dentry->d_parent),
		.name1 = dentry->d_name.name,
		.name2 = link,
		.mode = mode,
	};
	struct dentry *lower;
	int err;

	err = dmfs_namesp(dir->i_sb, symlink ? DMAPI_EVENT_SYMLINK :
					      DMAPI_EVENT_CREATE, &ns);
	if (err)
		return err;
	lower = dmfs_lock_lower(dentry);
	if (IS_ERR(lower)) {
		err = PTR_ERR(lower);
		lower = NULL;
	} else {
		if (S_ISREG(mode) && !excl && d_is_positive(lower))
			err = -ESTALE;
		else
			err = dmfs_make_lower(dir, dentry, lower, mode, rdev,
					      link, excl);
		dmfs_dir_changed(dir);
		dget(lower);
		dmfs_unlock_lower(dentry, lower);
	}
	ns.obj2 = err ? NULL : lower;
	if (!err)	/* as made: the umask or default ACL applied */
		ns.mode = d_inode(lower)->i_mode;
	ns.retcode = -err;
	dmfs_namesp(dir->i_sb, symlink ? DMAPI_EVENT_POSTSYMLINK :
					 DMAPI_EVENT_POSTCREATE, &ns);
	dput(lower);
	return err;
}

static int dmfs_create(dm_idmap_t *idmap, struct inode *dir,
		       struct dentry *dentry, umode_t mode, bool excl)
{
	return dmfs_create_object(dir, dentry, (mode & 07777) | S_IFREG, 0,
				  NULL, excl);
}

static int dmfs_mkdir(dm_idmap_t *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode)
{
	return dmfs_create_object(dir, dentry, (mode & 07777) | S_IFDIR, 0,
				  NULL, false);
}

static int dmfs_mknod(dm_idmap_t *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, dev_t rdev)
{
	return dmfs_create_object(dir, dentry, mode, rdev, NULL, false);
}

static int dmfs_symlink(dm_idmap_t *idmap, struct inode *dir,
			struct dentry *dentry, const char *link)
{
	return dmfs_create_object(dir, dentry, S_IFLNK, 0, link, false);
}

static int dmfs_link(struct dentry *old, struct inode *dir,
		     struct dentry *dentry)
{
	dm_idmap_t *idmap = dmfs_lower_idmap(dir->i_sb);
	struct dentry *lower_old = dmfs_lower_dentry(old);
	struct dm_namesp ns = {
		.obj1 = dmfs_lower_dentry(dentry->d_parent),
		.obj2 = lower_old,
		.name1 = dentry->d_name.name,
		.mode = d_inode(old)->i_mode,
	};
	struct inode *delegated = NULL;
	struct dentry *lower;
	int err;

	err = dmfs_namesp(dir->i_sb, DMAPI_EVENT_LINK, &ns);
	if (err)
		return err;
	do {
		lower = dmfs_lock_lower(dentry);
		err = PTR_ERR_OR_ZERO(lower);
		if (err)
			break;
		err = vfs_link(lower_old, idmap, d_inode(lower->d_parent),
			       lower, &delegated);
		if (!err)
			err = dmfs_instantiate(dentry, lower);
		dmfs_copyattr(d_inode(old));
		dmfs_dir_changed(dir);
		dmfs_unlock_lower(dentry, lower);
	} while (dm_deleg_retry(&delegated, &err));
	ns.retcode = -err;
	dmfs_namesp(dir->i_sb, DMAPI_EVENT_POSTLINK, &ns);
	return err;
}

/*
 * The link count after a removal, set under i_lock as dmfs_copyattr()
 * sets it: set_nlink() and clear_nlink() count unlinked inodes in the
 * superblock, and two racing would count one twice, which no eviction
 * takes back (a read-only remount then fails EBUSY for ever).
 */
static void dmfs_removed_nlink(struct inode *inode, struct inode *lower,
			       bool is_dir)
{
	spin_lock(&inode->i_lock);
	if (is_dir || !lower)
		clear_nlink(inode);
	else
		set_nlink(inode, lower->i_nlink);
	spin_unlock(&inode->i_lock);
}

/*
 * The lower dentry of @dentry looked up afresh under the lower parent's
 * lock must still be its object: otherwise the lower tree changed behind
 * our back and the operation would hit another object.
 */
static int dmfs_check_same(struct dentry *dentry, struct dentry *lower)
{
	if (d_is_negative(lower) ||
	    d_inode(lower) != dmfs_lower_inode(d_inode(dentry)))
		return -ESTALE;
	return 0;
}

static int dmfs_remove_lower(struct inode *dir, struct dentry *dentry,
			     bool is_dir)
{
	dm_idmap_t *idmap = dmfs_lower_idmap(dir->i_sb);
	struct inode *lower_dir, *delegated = NULL;
	struct dentry *lower;
	int err;

	do {
		lower = dmfs_lock_lower(dentry);
		if (IS_ERR(lower))
			return PTR_ERR(lower);
		lower_dir = d_inode(lower->d_parent);
		err = dmfs_check_same(dentry, lower);
		if (!err && is_dir)
			err = vfs_rmdir(idmap, lower_dir, lower);
		else if (!err)
			err = vfs_unlink(idmap, lower_dir, lower, &delegated);
		if (!err)
			dmfs_removed_nlink(d_inode(dentry), d_inode(lower),
					   is_dir);
		dmfs_copyattr(dir);
		dmfs_unlock_lower(dentry, lower);
	} while (dm_deleg_retry(&delegated, &err));
	return err;
}

/*
 * Remove, between the REMOVE event that may veto it and the POSTREMOVE
 * event.  Both carry the object's handle besides its directory's.
 */
static int dmfs_remove(struct inode *dir, struct dentry *dentry, bool is_dir)
{
	struct dm_namesp ns = {
		.obj1 = dmfs_lower_dentry(dentry->d_parent),
		.obj2 = dget(dmfs_lower_dentry(dentry)),
		.name1 = dentry->d_name.name,
		.mode = d_inode(dentry)->i_mode,
	};
	int err;

	err = dmfs_namesp(dir->i_sb, DMAPI_EVENT_REMOVE, &ns);
	if (!err) {
		err = dmfs_remove_lower(dir, dentry, is_dir);
		ns.retcode = -err;
		dmfs_namesp(dir->i_sb, DMAPI_EVENT_POSTREMOVE, &ns);
	}
	dput(ns.obj2);
	return err;
}

static int dmfs_unlink(struct inode *dir, struct dentry *dentry)
{
	return dmfs_remove(dir, dentry, false);
}

static int dmfs_rmdir(struct inode *dir, struct dentry *dentry)
{
	return dmfs_remove(dir, dentry, true);
}

/*
 * Move our dentries as the lower rename moved the lower ones: the VFS
 * leaves that to us (FS_RENAME_DOES_D_MOVE), so that no lookup sees them
 * differ once dmfs_renaming() no longer says why.  d_exchange() is not
 * exported: an exchange moves @old to @new's name, then @new to @spare,
 * an unhashed dentry of @old's name.  In between, @new is unhashed, as
 * if removed, for whoever looks at it rather than up by name: a lookup
 * of @old's name finds no dentry and waits for the directory's lock.
 */
static void dmfs_rename_dentries(struct dentry *old, struct dentry *new,
				 struct dentry *spare)
{
	d_move(old, new);
	if (spare)
		d_move(new, spare);
}

static int dmfs_rename_lower(struct inode *olddir, struct dentry *old,
			     struct inode *newdir, struct dentry *new,
			     unsigned int flags, struct dentry *spare,
			     struct inode **delegated)
{
	struct dentry *lower_olddir = dmfs_lower_dentry(old->d_parent);
	struct dentry *lower_newdir = dmfs_lower_dentry(new->d_parent);
	struct vfsmount *mnt = dmfs_lower_mnt(old->d_sb);
	dm_idmap_t *idmap = dm_mnt_idmap(mnt);
	struct renamedata rd = {};
	struct dentry *lower_old, *lower_new, *trap;
	struct dmfs_rename_op r;
	int err;

	err = mnt_want_write(mnt);
	if (err)
		return err;
	trap = lock_rename(lower_newdir, lower_olddir);
	if (IS_ERR(trap)) {
		err = PTR_ERR(trap);
		goto out_drop_write;
	}
	lower_old = lookup_one(idmap, old->d_name.name, lower_olddir,
			       old->d_name.len);
	err = PTR_ERR(lower_old);
	if (IS_ERR(lower_old))
		goto out_unlock;
	err = dmfs_check_same(old, lower_old);
	if (err)
		goto out_put_old;
	lower_new = lookup_one(idmap, new->d_name.name, lower_newdir,
			       new->d_name.len);
	err = PTR_ERR(lower_new);
	if (IS_ERR(lower_new))
		goto out_put_old;
	err = -ESTALE;
	if (d_inode(new) ? dmfs_check_same(new, lower_new) :
			   d_is_positive(lower_new))
		goto out_put_new;
	err = -EINVAL;
	if (lower_old == trap)
		goto out_put_new;
	err = -ENOTEMPTY;
	if (lower_new == trap)
		goto out_put_new;

	rd.old_dir = d_inode(lower_olddir);
	rd.old_dentry = lower_old;
	rd.new_dir = d_inode(lower_newdir);
	rd.new_dentry = lower_new;
	rd.flags = flags;
	rd.delegated_inode = delegated;
	dm_rename_idmaps(&rd, idmap);
	dmfs_rename_begin(&r, old, flags & RENAME_EXCHANGE ? new : NULL);
	err = vfs_rename(&rd);
	if (!err) {
		dmfs_set_lower(old, dget(lower_old));
		if (flags & RENAME_EXCHANGE)
			dmfs_set_lower(new, dget(lower_new));
		if (d_inode(new) && !(flags & RENAME_EXCHANGE))
			dmfs_copyattr(d_inode(new));
		dmfs_rename_dentries(old, new, spare);
	}
	dmfs_rename_end(&r);
	dmfs_copyattr(olddir);
	if (newdir != olddir)
		dmfs_copyattr(newdir);
out_put_new:
	dput(lower_new);
out_put_old:
	dput(lower_old);
out_unlock:
	unlock_rename(lower_newdir, lower_olddir);
out_drop_write:
	mnt_drop_write(mnt);
	return err;
}

/*
 * Rename, between the RENAME event that may veto it and the POSTRENAME
 * event.  An exchange is one rename; a replaced target has no REMOVE.  A
 * whiteout is refused, as by a filesystem without them: it would create
 * an object with no CREATE event and nothing inherited (an overlayfs
 * then makes it with mknod).  Our dentries have moved by POSTRENAME: a
 * DM application that looks the new name up then finds the object.
 */
static int dmfs_rename(dm_idmap_t *idmap, struct inode *olddir,
		       struct dentry *old, struct inode *newdir,
		       struct dentry *new, unsigned int flags)
{
	struct dm_namesp ns = {
		.obj1 = dmfs_lower_dentry(old->d_parent),
		.obj2 = dmfs_lower_dentry(new->d_parent),
		.mode = d_inode(old)->i_mode,
	};
	struct name_snapshot oldname, newname;
	struct dentry *spare = NULL;
	int err;

	if (flags & RENAME_WHITEOUT)
		return -EINVAL;
	/* Not to fail for memory once the lower objects have moved. */
	if (flags & RENAME_EXCHANGE) {
		spare = d_alloc(old->d_parent, &old->d_name);
		if (!spare)
			return -ENOMEM;
	}
	/* The names the rename had, for POSTRENAME too. */
	take_dentry_name_snapshot(&oldname, old);
	take_dentry_name_snapshot(&newname, new);
	ns.name1 = oldname.name.name;
	ns.name2 = newname.name.name;
	err = dmfs_namesp(olddir->i_sb, DMAPI_EVENT_RENAME, &ns);
	if (!err) {
		struct inode *delegated = NULL;

		do {
			err = dmfs_rename_lower(olddir, old, newdir, new, flags,
						spare, &delegated);
		} while (dm_deleg_retry(&delegated, &err));
		ns.retcode = -err;
		dmfs_namesp(olddir->i_sb, DMAPI_EVENT_POSTRENAME, &ns);
	}
	release_dentry_name_snapshot(&newname);
	release_dentry_name_snapshot(&oldname);
	dput(spare);
	return err;
}

/*
 * O_TMPFILE: an unnamed lower file in the lower directory, which our
 * unnamed dentry then stands for; linkat() may give it a name later.
 */
static int dmfs_tmpfile(dm_idmap_t *idmap, struct inode *dir,
			struct file *file, umode_t mode)
{
	struct dentry *dentry = file->f_path.dentry;
	struct vfsmount *mnt = dmfs_lower_mnt(dir->i_sb);
	struct path lower_parent = {
		.mnt = mnt,
		.dentry = dmfs_lower_dentry(dentry->d_parent),
	};
	struct file *lower;
	struct inode *inode;
	int err;

	err = mnt_want_write(mnt);
	if (err)
		return err;
	/* O_EXCL: no link, even through the lower file, ever names it. */
	lower = dm_tmpfile_open(dm_mnt_idmap(mnt), &lower_parent, mode,
				O_RDWR | O_LARGEFILE | (file->f_flags & O_EXCL),
				current_cred());
	if (IS_ERR(lower)) {
		mnt_drop_write(mnt);
		return PTR_ERR(lower);
	}
	/* Named later (linkat), it has what a file created there has. */
	err = dm_inherit_unnamed(dmfs_dm_fs(dir->i_sb), lower_parent.dentry,
				 lower->f_path.dentry);
	mnt_drop_write(mnt);
	if (err)
		goto out;
	inode = dmfs_iget(dir->i_sb, file_inode(lower));
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto out;
	}
	dmfs_set_lower(dentry, dget(lower->f_path.dentry));
	/* d_tmpfile() drops the one link a new inode is born with. */
	set_nlink(inode, 1);
	d_tmpfile(file, inode);
	/* Our ->open opens the lower object again, with the caller's flags. */
	err = finish_open_simple(file, 0);
out:
	fput(lower);
	return err;
}

const struct inode_operations dmfs_dir_iops = {
	.tmpfile	= dmfs_tmpfile,
	.lookup		= dmfs_lookup,
	.create		= dmfs_create,
	.mkdir		= dmfs_mkdir,
	.mknod		= dmfs_mknod,
	.symlink	= dmfs_symlink,
	.link		= dmfs_link,
	.unlink		= dmfs_unlink,
	.rmdir		= dmfs_rmdir,
	.rename		= dmfs_rename,
	.permission	= dmfs_permission,
	.getattr	= dmfs_getattr,
	.setattr	= dmfs_setattr,
	.listxattr	= dmfs_listxattr,
	.fiemap		= dmfs_fiemap,
	.fileattr_get	= dmfs_fileattr_get,
	.fileattr_set	= dmfs_fileattr_set,
	DMFS_ACL_IOPS
};
