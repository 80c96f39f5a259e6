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
 * inode number and generation (an xarray: a few bytes per object where
 * inode numbers are dense, up to a node of 576 bytes for a lone one), so
 * an object whose inode was evicted from the cache makes no second DEBUT,
 * and a reused inode number makes a new one.  An entry goes when its
 * object's last link does.
 *
 * While a DEBUT is in flight the xarray holds it in place of the
 * generation: the object's other first accesses wait for its answer, and
 * nothing else does.
 */
#include <linux/completion.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "dmapifs.h"

/**
 * struct dmfs_debut_wait - a DEBUT in flight
 * @rcu: frees it once no lookup of the xarray can see it
 * @ref: its sender's and each waiter's
 * @generation: the object's
 * @err: the sender's result, once @answered
 * @answered: completed when the sender has its result
 */
struct dmfs_debut_wait {
	struct rcu_head		rcu;
	refcount_t		ref;
	u32			generation;
	int			err;
	struct completion	answered;
};

static void dmfs_debut_put(struct dmfs_debut_wait *w)
{
	if (refcount_dec_and_test(&w->ref))
		kfree_rcu(w, rcu);
}

/*
 * What the mount knows of @lower: true if it has shown it.  Otherwise
 * *@entry is the entry found, and *@w the DEBUT in flight for it,
 * referenced, if there is one.
 */
static bool dmfs_debut_state(struct dmfs_sb_info *sbi,
			     const struct inode *lower, void **entry,
			     struct dmfs_debut_wait **w)
{
	struct dmfs_debut_wait *found;
	bool seen = false;

	*w = NULL;
	rcu_read_lock();
	*entry = xa_load(&sbi->seen, lower->i_ino);
	if (xa_is_value(*entry)) {
		seen = xa_to_value(*entry) == lower->i_generation;
	} else if (*entry) {
		found = *entry;
		if (found->generation == lower->i_generation &&
		    refcount_inc_not_zero(&found->ref))
			*w = found;
	}
	rcu_read_unlock();
	return seen;
}

/**
 * dmfs_mark_seen - remember that the mount has shown an object
 * @sb: the mount
 * @lower: the object's lower inode
 */
void dmfs_mark_seen(struct super_block *sb, const struct inode *lower)
{
	struct dmfs_sb_info *sbi = DMFS_SB(sb);
	void *entry, *cur;

	/*
	 * A DEBUT in flight (a link made while another name's first lookup
	 * waits) is left to its answer: an ABORT leaves the object unseen.
	 * Without memory the object may be shown again: one more DEBUT.
	 */
	do {
		entry = xa_load(&sbi->seen, lower->i_ino);
		if (entry && !xa_is_value(entry))
			return;
		cur = xa_cmpxchg(&sbi->seen, lower->i_ino, entry,
				 xa_mk_value(lower->i_generation), GFP_KERNEL);
	} while (cur != entry && !xa_is_err(cur));
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

/*
 * Make @w the DEBUT in flight for @inode in place of @entry: 0, -EAGAIN
 * if another access changed the entry first, or -ENOMEM.
 */
static int dmfs_debut_claim(struct dmfs_sb_info *sbi,
			    const struct inode *inode,
			    struct dmfs_debut_wait *w, void *entry)
{
	void *cur = xa_cmpxchg(&sbi->seen, inode->i_ino, entry, w, GFP_KERNEL);

	if (xa_is_err(cur))
		return xa_err(cur);
	return cur == entry ? 0 : -EAGAIN;
}

/* Send the DEBUT @w claimed, and give its waiters the result. */
static int dmfs_debut_send(struct super_block *sb, struct dentry *lower,
			   struct dmfs_debut_wait *w)
{
	struct inode *inode = d_inode(lower);
	struct dm_namesp ns = { .obj1 = lower, .mode = inode->i_mode };
	int err;

	err = dmfs_namesp(sb, DMAPI_EVENT_DEBUT, &ns);
	/* Shown; or not, so that the next access asks again. */
	xa_cmpxchg(&DMFS_SB(sb)->seen, inode->i_ino, w,
		   err ? NULL : xa_mk_value(inode->i_generation), GFP_KERNEL);
	w->err = err;
	complete_all(&w->answered);
	return err;
}

/*
 * Whether an access that waited for another's DEBUT must send its own:
 * the sender got no answer (it was killed, it timed out, it had no
 * memory), which is no answer for the waiter.
 */
static bool dmfs_debut_unanswered(int err)
{
	return err == -EINTR || err == -ETIMEDOUT || err == -ENOMEM;
}

/**
 * dmfs_debut - send DEBUT before the first access to an object
 * @sb: the mount
 * @lower: the object's lower dentry
 *
 * First accesses to one object wait for one answer, killably and
 * freezably, as for any event.
 *
 * Return: 0 to go on, or the errno of an ABORT answer, -EINTR (a signal
 * ended the wait), -ETIMEDOUT, -ENOMEM, or the errno of reading its event
 * list.
 */
int dmfs_debut(struct super_block *sb, struct dentry *lower)
{
	struct dmfs_sb_info *sbi = DMFS_SB(sb);
	struct inode *inode = d_inode(lower);
	struct dmfs_debut_wait *mine = NULL, *w;
	void *entry;
	bool killed;
	int err;

	if (!READ_ONCE(sbi->dm_fs.disp[DMAPI_EVENT_DEBUT]))
		return 0;
	for (;;) {
		if (dmfs_debut_state(sbi, inode, &entry, &w)) {
			err = 0;
			break;
		}
		if (w) {
			killed = wait_for_completion_state(&w->answered,
							   DM_TASK_FS_WAIT);
			err = killed ? -EINTR : w->err;
			dmfs_debut_put(w);
			if (killed || !dmfs_debut_unanswered(err))
				break;
			continue;
		}
		if (!mine) {
			mine = kmalloc(sizeof(*mine), GFP_KERNEL);
			if (!mine)
				return -ENOMEM;
			refcount_set(&mine->ref, 1);
			mine->generation = inode->i_generation;
			init_completion(&mine->answered);
		}
		err = dmfs_debut_claim(sbi, inode, mine, entry);
		if (err == -EAGAIN)
			continue;
		if (!err)
			err = dmfs_debut_send(sb, lower, mine);
		break;
	}
	if (mine)
		dmfs_debut_put(mine);
	return err;
}

/**
 * dmfs_debut_init - set up what a mount needs for DEBUT
 * @sbi: the mount
 */
void dmfs_debut_init(struct dmfs_sb_info *sbi)
{
	/* Charged to whoever makes a lookup grow it, as dentries are. */
	xa_init_flags(&sbi->seen, XA_FLAGS_ACCOUNT);
}

/**
 * dmfs_debut_exit - forget what a mount has shown
 * @sbi: the mount
 */
void dmfs_debut_exit(struct dmfs_sb_info *sbi)
{
	xa_destroy(&sbi->seen);
}
