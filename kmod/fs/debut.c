// SPDX-License-Identifier: GPL-2.0
/*
 * DEBUT: the first access to an object through a mount, before it
 * happens.
 *
 * A lookup that finds an object the mount has not shown before sends
 * DEBUT, synchronously, when the object's or the filesystem's event list
 * enables it and a session holds its disposition; CONTINUE lets the
 * lookup go on, ABORT fails it with the errno given and leaves the object
 * unseen, so the next access asks again.  Objects created through the
 * mount are seen from birth.  The mount remembers what it has shown by
 * inode number and generation (an xarray, a few bytes per object), so an
 * object whose inode was evicted from the cache makes no second DEBUT,
 * and a reused inode number makes a new one.  First accesses to one
 * object wait for one answer: a hashed lock serialises them.
 */
#include <linux/hash.h>
#include <linux/xarray.h>

#include "dmapifs.h"

static bool dmfs_seen(struct dmfs_sb_info *sbi, const struct inode *lower)
{
	void *entry = xa_load(&sbi->seen, lower->i_ino);

	return entry && xa_to_value(entry) == lower->i_generation;
}

/**
 * dmfs_mark_seen - remember that the mount has shown an object
 * @sb: the mount
 * @lower: the object's lower inode
 */
void dmfs_mark_seen(struct super_block *sb, const struct inode *lower)
{
	struct dmfs_sb_info *sbi = DMFS_SB(sb);

	/* Without memory the object may be shown again: one more DEBUT. */
	xa_store(&sbi->seen, lower->i_ino, xa_mk_value(lower->i_generation),
		 GFP_KERNEL);
}

/**
 * dmfs_forget_seen - forget an object that is gone
 * @sb: the mount
 * @lower: the object's lower inode, without links
 */
void dmfs_forget_seen(struct super_block *sb, const struct inode *lower)
{
	xa_erase(&DMFS_SB(sb)->seen, lower->i_ino);
}

/**
 * dmfs_debut - send DEBUT before the first access to an object
 * @sb: the mount
 * @lower: the object's lower dentry
 *
 * Return: 0 to go on, or the errno of an ABORT answer, -EINTR (a signal
 * ended the wait), -ETIMEDOUT, or the errno of reading its event list.
 */
int dmfs_debut(struct super_block *sb, struct dentry *lower)
{
	struct dmfs_sb_info *sbi = DMFS_SB(sb);
	struct inode *inode = d_inode(lower);
	struct dm_namesp ns = { .obj1 = lower, .mode = inode->i_mode };
	struct mutex *lock;
	int err;

	if (!READ_ONCE(sbi->dm_fs.disp[DMAPI_EVENT_DEBUT]) ||
	    dmfs_seen(sbi, inode))
		return 0;
	lock = &sbi->debut_locks[hash_64(inode->i_ino, DMFS_DEBUT_LOCK_BITS)];
	if (mutex_lock_killable(lock))
		return -EINTR;
	err = 0;
	if (!dmfs_seen(sbi, inode))
		err = dmfs_namesp(sb, DMAPI_EVENT_DEBUT, &ns);
	if (!err)
		dmfs_mark_seen(sb, inode);
	mutex_unlock(lock);
	return err;
}

/**
 * dmfs_debut_init - set up what a mount needs for DEBUT
 * @sbi: the mount
 */
void dmfs_debut_init(struct dmfs_sb_info *sbi)
{
	int i;

	xa_init(&sbi->seen);
	for (i = 0; i < ARRAY_SIZE(sbi->debut_locks); i++)
		mutex_init(&sbi->debut_locks[i]);
}

/**
 * dmfs_debut_exit - forget what a mount has shown
 * @sbi: the mount
 */
void dmfs_debut_exit(struct dmfs_sb_info *sbi)
{
	xa_destroy(&sbi->seen);
}
