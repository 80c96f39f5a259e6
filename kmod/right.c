// SPDX-License-Identifier: GPL-2.0
/*
 * Access rights and object references, bound to tokens.
 *
 * A DM application takes a shared or exclusive right on an object with a
 * token it holds; the rights of different tokens on one object exclude
 * each other as a reader/writer lock does, and every right and reference
 * of a token goes when its event is answered.  Ordinary I/O through a
 * dmapi mount respects them: reads wait while a token holds the object
 * exclusively, changes while any token holds a right on it (the
 * overview's "no other application can access it until it is released").
 * The DM application's own I/O is by handle and never waits.  A right
 * granted also waits for the reads and writes it excludes that were
 * admitted before it and are still in the lower filesystem.  Those wait
 * for no DM application, but may wait for what their caller controls (a
 * splice from an empty pipe, a fault on a user buffer): drain_timeout
 * bounds the wait, after which the request fails EAGAIN; a signal ends it
 * sooner.  Either way the right goes back to what it was.  The rights
 * calls of one token on one object take their turns: a second request
 * must not find the right there before its wait has ended.
 *
 * Where the standard's conformance tests (LTP) and SGI disagree, the
 * tests win: releasing a right not held is EACCES, upgrading or
 * downgrading from the wrong right EPERM, asking to wait for an upgrade
 * EACCES (two upgraders would wait for each other).
 */
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "core.h"

/**
 * struct dm_right - what one token holds on one object
 * @tlink: in the token's list (dm_event.rights)
 * @hlink: in the table of rights, by object
 * @fsid: the object's filesystem
 * @ino: the object's inode number
 * @gen: the object's generation: a right does not pass to the next
 *	object given the inode number of one removed meanwhile
 * @right: DMAPI_RIGHT_*
 * @held: an object reference is held: @path pins the object
 * @counted: granting it counts among the grants (dm_rights_grants_of()):
 *	its holder may change what an access decides on
 * @path: the object's lower path while @held
 * @rcu: frees the record after the I/O that may be looking at it
 */
struct dm_right {
	struct list_head	tlink;
	struct hlist_node	hlink;
	u64			fsid;
	u64			ino;
	u32			gen;
	int			right;
	bool			held;
	bool			counted;
	struct path		path;
	struct rcu_head		rcu;
};

/*
 * Protects the table and every token's list of rights.  I/O only reads
 * the table, under RCU: every read and write of a managed file looks at
 * it while any right is held, and would otherwise share this lock.
 */
static DEFINE_SPINLOCK(dm_rights_lock);
static DEFINE_HASHTABLE(dm_rights, 8);
/* Woken whenever a right is given up or weakened. */
static DECLARE_WAIT_QUEUE_HEAD(dm_rights_wait);
/* Records with a right: I/O skips the table while there are none. */
atomic_t dm_nr_rights = ATOMIC_INIT(0);
/* Requests waiting for admitted I/O: I/O ending wakes them while any. */
atomic_t dm_nr_draining = ATOMIC_INIT(0);
/*
 * Bumped, by hash of the object, whenever a right that may change what an
 * access decides on (a token's, a call's setting regions or an event
 * list) is granted or upgraded.
 */
static atomic_t dm_rights_granted[256];
/*
 * The turns taken, each a rights call's on its token and object: exact,
 * since a turn may be held across a drain, up to drain_timeout, and
 * calls of other tokens or on other objects must not wait for it.
 */
static DEFINE_SPINLOCK(dm_right_turns_lock);
static DEFINE_HASHTABLE(dm_right_turns, 6);
static DECLARE_WAIT_QUEUE_HEAD(dm_right_turns_wait);
#ifdef CONFIG_LOCKDEP
/* Lockdep sees every turn as one lock, taken before the session's. */
static struct lock_class_key dm_right_turn_key;
static struct lockdep_map dm_right_turn_map =
	STATIC_LOCKDEP_MAP_INIT("dm_right_turn", &dm_right_turn_key);
#endif

/* Seconds a right granted waits for the I/O admitted before it. */
unsigned int dm_drain_timeout = 30;

static u32 dm_right_hash(u64 fsid, u64 ino)
{
	return hash_64(fsid ^ ino, HASH_BITS(dm_rights));
}

/*
 * The rights other tokens than @mine hold on an object; under the lock,
 * or under RCU for a look that the next change may make stale.
 */
static void dm_rights_others(u64 fsid, u64 ino, u32 gen,
			     const struct dm_right *mine,
			     int *shared, bool *excl)
{
	struct dm_right *r;
	int right;

	*shared = 0;
	*excl = false;
	hash_for_each_possible_rcu(dm_rights, r, hlink, dm_right_hash(fsid, ino),
				   lockdep_is_held(&dm_rights_lock)) {
		if (r == mine || r->fsid != fsid || r->ino != ino ||
		    r->gen != gen)
			continue;
		right = READ_ONCE(r->right);
		if (right == DMAPI_RIGHT_EXCL)
			*excl = true;
		else if (right == DMAPI_RIGHT_SHARED)
			(*shared)++;
	}
}

static struct dm_right *dm_right_of(struct dm_event *ev, u64 fsid, u64 ino,
				    u32 gen)
{
	struct dm_right *r;

	list_for_each_entry(r, &ev->rights, tlink)
		if (r->fsid == fsid && r->ino == ino && r->gen == gen)
			return r;
	return NULL;
}

/**
 * dm_rights_grants_of - the count of the rights granted on an object
 * @fsid: the object's filesystem
 * @ino: the object's inode number
 *
 * An access reads it before it decides its event, or takes the value it
 * had when the DM application answered the event, and compares once it
 * counted itself admitted: a change means a right came in between, which
 * did not wait for it, so that the decision may be stale.  The count is
 * shared by the objects of one hash; a change for another only costs a
 * second look.
 *
 * Return: the counter.
 */
atomic_t *dm_rights_grants_of(u64 fsid, u64 ino)
{
	return &dm_rights_granted[hash_64(fsid ^ ino,
					  ilog2(ARRAY_SIZE(dm_rights_granted)))];
}

/**
 * dm_rights_grants - read a count of dm_rights_grants_of()
 * @grants: the counter
 *
 * Return: its value, read before the reads that follow.
 */
int dm_rights_grants(const atomic_t *grants)
{
	return atomic_read_acquire(grants);
}

/*
 * Give @r @right, counting a grant.  Waiters are woken when a right is
 * weakened, and when a token (not a call with none: its record is on no
 * token's list) gets its first on an object: a request of the token's own
 * waiting there settles then (dm_right_retry_settles()).
 */
static void dm_right_set(struct dm_right *r, int right)
{
	int old = r->right;

	if (!old && right)
		atomic_inc(&dm_nr_rights);
	else if (old && !right)
		atomic_dec(&dm_nr_rights);
	/*
	 * Stored first: I/O looks at the table without the lock, so a waiter
	 * woken, or one that sees the grant counted, must find it there.
	 */
	WRITE_ONCE(r->right, right);
	if (right < old || (!old && right && !list_empty(&r->tlink)))
		wake_up_all(&dm_rights_wait);
	if (right > old && r->counted) {
		smp_mb__before_atomic();
		atomic_inc(dm_rights_grants_of(r->fsid, r->ino));
	}
}

/* Unlink @r if it holds nothing any more; the caller frees it then. */
static bool dm_right_unlink_if_empty(struct dm_right *r)
{
	if (r->right || r->held)
		return false;
	hash_del_rcu(&r->hlink);
	list_del(&r->tlink);
	return true;
}

/* A rights record, counted among the live objects. */
static struct dm_right *dm_right_new(void)
{
	struct dm_right *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (r)
		dm_live_inc(DM_LIVE_RIGHTS);
	return r;
}

/* Free a record of dm_right_new(), or nothing, once no I/O looks at it. */
static void dm_right_free(struct dm_right *r)
{
	if (r) {
		dm_live_dec(DM_LIVE_RIGHTS);
		kfree_rcu(r, rcu);
	}
}

/**
 * dm_rights_drop - give up every right and reference of a token
 * @ev: the event, being answered or dropped; no process can add rights
 *	to it any more
 * @gone: takes the token's records, for dm_rights_put()
 *
 * The rights end here.  The objects the references pinned are let go by
 * dm_rights_put(), outside the session's lock: the last reference to an
 * unlinked file ends with its eviction, which may wait for the disk.
 */
void dm_rights_drop(struct dm_event *ev, struct list_head *gone)
{
	struct dm_right *r, *next;

	spin_lock(&dm_rights_lock);
	list_for_each_entry_safe(r, next, &ev->rights, tlink) {
		dm_right_set(r, DMAPI_RIGHT_NULL);
		hash_del_rcu(&r->hlink);
		list_move(&r->tlink, gone);
	}
	spin_unlock(&dm_rights_lock);
	/* Requests waiting with this token end (ESRCH). */
	wake_up_all(&dm_rights_wait);
}

/**
 * dm_rights_put - free the records dm_rights_drop() took
 * @gone: the records, with the objects their references pin
 */
void dm_rights_put(struct list_head *gone)
{
	struct dm_right *r, *next;

	list_for_each_entry_safe(r, next, gone, tlink) {
		list_del(&r->tlink);
		if (r->held)
			path_put(&r->path);
		dm_right_free(r);
	}
}

/**
 * dm_rights_count - how many objects a token holds rights or references on
 * @ev: the event of the token
 *
 * Return: the number of its rights records.
 */
unsigned int dm_rights_count(struct dm_event *ev)
{
	struct dm_right *r;
	unsigned int n = 0;

	spin_lock(&dm_rights_lock);
	list_for_each_entry(r, &ev->rights, tlink)
		n++;
	spin_unlock(&dm_rights_lock);
	return n;
}

/* Whether I/O on the object must wait for the DM application. */
static bool dm_rights_block(u64 fsid, u64 ino, u32 gen, bool change)
{
	bool excl;
	int shared;

	rcu_read_lock();
	dm_rights_others(fsid, ino, gen, NULL, &shared, &excl);
	rcu_read_unlock();
	return excl || (change && shared);
}

/**
 * dm_rights_allow - whether the DM applications' rights allow I/O now
 * @fsid: the object's filesystem
 * @ino: the object's inode number
 * @gen: the object's generation
 * @change: the I/O changes the object (a write, a truncation)
 *
 * Return: true if no token holds a right the I/O must wait for.
 */
bool dm_rights_allow(u64 fsid, u64 ino, u32 gen, bool change)
{
	return !dm_rights_held() || !dm_rights_block(fsid, ino, gen, change);
}

/**
 * dm_rights_decisive - whether a right in the way of I/O may have changed
 *	what it decided on
 * @fsid: the object's filesystem
 * @ino: the object's inode number
 * @gen: the object's generation
 * @change: the I/O changes the object (a write, a truncation)
 *
 * Return: true if a right counted among the grants stands in the way of
 * the I/O: its holder may change the object's regions or event list
 * before letting the I/O go on, which must then decide again.
 */
bool dm_rights_decisive(u64 fsid, u64 ino, u32 gen, bool change)
{
	struct dm_right *r;
	bool decisive = false;
	int right;

	rcu_read_lock();
	hash_for_each_possible_rcu(dm_rights, r, hlink, dm_right_hash(fsid, ino)) {
		if (r->fsid != fsid || r->ino != ino || r->gen != gen ||
		    !r->counted)
			continue;
		right = READ_ONCE(r->right);
		if (right == DMAPI_RIGHT_EXCL ||
		    (change && right == DMAPI_RIGHT_SHARED)) {
			decisive = true;
			break;
		}
	}
	rcu_read_unlock();
	return decisive;
}

/**
 * dm_rights_io_wait - wait until the DM applications' rights allow I/O
 * @fsid: the object's filesystem
 * @ino: the object's inode number
 * @gen: the object's generation
 * @change: the I/O changes the object (a write, a truncation)
 *
 * The wait is a filesystem process's wait on a DM application, as for its
 * events: only a fatal signal ends it, since programs do not expect EINTR
 * from a read or a write.
 *
 * Return: 0, or -ERESTARTSYS when a fatal signal ended the wait.
 */
int dm_rights_io_wait(u64 fsid, u64 ino, u32 gen, bool change)
{
	int err;

	if (!dm_rights_held())
		return 0;
	err = wait_event_state(dm_rights_wait,
			       !dm_rights_block(fsid, ino, gen, change),
			       DM_TASK_FS_WAIT);
	/*
	 * The rights found out of the way, what their holders left (the
	 * regions a migration set) is read after: pairs with their release.
	 */
	smp_rmb();
	return err;
}

/**
 * struct dm_right_call - a rights call, checked
 * @s: the session, referenced
 * @ev: the token's event, outstanding in @s while @s->lock is held
 * @fsid: the object's filesystem
 * @ino: the object's inode number
 * @gen: the object's generation
 * @path: the object's lower path, referenced
 */
struct dm_right_call {
	struct dm_session	*s;
	struct dm_event		*ev;
	u64			fsid;
	u64			ino;
	u32			gen;
	struct path		path;
};

/**
 * struct dm_right_args - a rights call's argument, its handle read once
 * @arg: the argument
 * @uh: the handle, read before the call takes its turn:
 *	a second read could find another handle, and fault under the turn
 * @uh_err: what reading it returned
 */
struct dm_right_args {
	struct dmapi_right_arg	arg;
	struct dm_user_handle	uh;
	int			uh_err;
};

/* The fields of a rights call's argument that it neither reads nor writes. */
#define DM_RIGHT_UNUSED_FLAGS	0x1
#define DM_RIGHT_UNUSED_RIGHT	0x2
#define DM_RIGHT_UNUSED_HELD	0x4
/* Those of a call that only names its object and token. */
#define DM_RIGHT_UNUSED_ALL	(DM_RIGHT_UNUSED_FLAGS | \
				 DM_RIGHT_UNUSED_RIGHT | \
				 DM_RIGHT_UNUSED_HELD)

/*
 * Copy a rights call's argument and its handle in: 0, -EFAULT, -EINVAL.
 * The fields in @unused must be zero, as padding and reserved are.
 */
static int dm_right_args_get(struct dm_right_args *a, void __user *uarg,
			     unsigned int unused)
{
	if (copy_from_user(&a->arg, uarg, sizeof(a->arg)))
		return -EFAULT;
	if (a->arg.padding || a->arg.reserved)
		return -EINVAL;
	if (((unused & DM_RIGHT_UNUSED_FLAGS) && a->arg.flags) ||
	    ((unused & DM_RIGHT_UNUSED_RIGHT) && a->arg.right) ||
	    ((unused & DM_RIGHT_UNUSED_HELD) && a->arg.held))
		return -EINVAL;
	a->uh_err = dm_handle_get(a->arg.hanp, a->arg.hlen, &a->uh);
	return 0;
}

/*
 * Check a rights call: a real token and an existing object (a filesystem
 * handle is EINVAL, GPFS).  On success the object's path is referenced
 * and the session's lock held, with the token found outstanding.
 */
static int dm_right_begin(struct dm_right_call *rc,
			  const struct dm_right_args *a)
{
	const struct dmapi_right_arg *arg = &a->arg;
	struct dm_handle_call c;
	int err;

	if (arg->token <= 0)
		return -EINVAL;
	err = dm_handle_call_begin_read(&c, arg->sid, arg->token, &a->uh,
					a->uh_err);
	if (err)
		return err;
	err = dm_handle_call_path(&c, &rc->path);
	if (err) {
		dm_handle_call_end(&c);
		return err;
	}
	rc->s = c.s;
	rc->fsid = c.uh.h.fsid;
	rc->ino = c.uh.h.fid.fid_ino;
	rc->gen = c.uh.h.fid.fid_gen;
	mutex_lock(&rc->s->lock);
	rc->ev = dm_session_token_locked(rc->s, arg->token);
	if (rc->ev)
		return 0;
	mutex_unlock(&rc->s->lock);
	path_put(&rc->path);
	dm_session_put(rc->s);
	return -ESRCH;
}

/* Release the session and the path dm_right_begin() took. */
static void dm_right_call_put(struct dm_right_call *rc)
{
	path_put(&rc->path);
	dm_session_put(rc->s);
}

static void dm_right_end(struct dm_right_call *rc)
{
	mutex_unlock(&rc->s->lock);
	dm_right_call_put(rc);
}

/**
 * struct dm_right_turn - a rights call's turn on its token and object
 * @link: in dm_right_turns while taken
 * @token: the call's token
 * @fsid: the object's filesystem
 * @ino: the object's inode number
 */
struct dm_right_turn {
	struct hlist_node	link;
	s32			token;
	u64			fsid;
	u64			ino;
};

static u32 dm_right_turn_hash(const struct dm_right_turn *t)
{
	/* The token in the high half: tokens and inode numbers both count up. */
	return hash_64(t->fsid ^ t->ino ^ (u64)(u32)t->token << 32,
		       HASH_BITS(dm_right_turns));
}

/* Take @t's turn if nobody holds it. */
static bool dm_right_turn_try(struct dm_right_turn *t)
{
	struct dm_right_turn *other;
	u32 hash = dm_right_turn_hash(t);
	bool free = true;

	spin_lock(&dm_right_turns_lock);
	hash_for_each_possible(dm_right_turns, other, link, hash) {
		if (other->token == t->token && other->fsid == t->fsid &&
		    other->ino == t->ino) {
			free = false;
			break;
		}
	}
	if (free)
		hash_add(dm_right_turns, &t->link, hash);
	spin_unlock(&dm_right_turns_lock);
	return free;
}

/*
 * Wait for, and take, the turn of the rights calls of @token on the
 * object of @fsid and @ino.  Return 0 or -ERESTARTSYS.
 */
static int dm_right_turn_take(struct dm_right_turn *t, s32 token, u64 fsid,
			      u64 ino)
{
	t->token = token;
	t->fsid = fsid;
	t->ino = ino;
	if (wait_event_interruptible(dm_right_turns_wait, dm_right_turn_try(t)))
		return -ERESTARTSYS;
	lock_map_acquire(&dm_right_turn_map);
	return 0;
}

/*
 * The turn of the rights call of @a, found from the handle as given (a
 * malformed one fails later, on the token's turn alone).
 */
static int dm_right_turn_take_args(struct dm_right_turn *t,
				   const struct dm_right_args *a)
{
	if (a->uh_err)
		return dm_right_turn_take(t, a->arg.token, 0, 0);
	return dm_right_turn_take(t, a->arg.token, a->uh.h.fsid,
				  a->uh.h.fid.fid_ino);
}

static void dm_right_turn_give(struct dm_right_turn *t)
{
	lock_map_release(&dm_right_turn_map);
	spin_lock(&dm_right_turns_lock);
	hash_del(&t->link);
	spin_unlock(&dm_right_turns_lock);
	/* Orders the removal before the check for sleepers. */
	if (wq_has_sleeper(&dm_right_turns_wait))
		wake_up_all(&dm_right_turns_wait);
}

/*
 * Wait for the I/O on the object (@lower, of filesystem @fsid) that
 * @right excludes and that was admitted before it: the reads and writes
 * that passed their rights check before the right was there.  Returns 0,
 * -ERESTARTSYS or -ETIMEDOUT.
 */
static int dm_rights_drain(u64 fsid, struct inode *lower, int right)
{
	unsigned long timeout = READ_ONCE(dm_drain_timeout) * HZ;
	struct dm_fs *fs;
	int err = 0;

	atomic_inc(&dm_nr_draining);
	/*
	 * The right is in the table and counted granted: I/O counted from
	 * now on finds it, and I/O counted before is seen here.  Pairs
	 * with the barriers of dmfs_io_begin() and dmfs_io_enter().
	 */
	smp_mb__after_atomic();
	/*
	 * Kept across the wait: the I/O waited for keeps the mount busy
	 * (an open file, or the path of a truncation), so its unmount
	 * cannot be waiting for us.
	 */
	fs = dm_fs_get(fsid);
	if (fs) {
		if (fs->ops->drain_io)
			err = fs->ops->drain_io(fs, lower,
						right == DMAPI_RIGHT_EXCL,
						timeout);
		dm_fs_put(fs);
	}
	atomic_dec(&dm_nr_draining);
	return err;
}

/*
 * Put the token's right on the object of @rc back from @now to @old,
 * unless the token was answered or the right changed meanwhile.
 */
static void dm_right_undo(struct dm_right_call *rc, int old, int now)
{
	struct dm_right *r, *gone = NULL;

	mutex_lock(&rc->s->lock);
	spin_lock(&dm_rights_lock);
	r = dm_right_of(rc->ev, rc->fsid, rc->ino, rc->gen);
	if (r && r->right == now && !dm_event_answered(rc->ev)) {
		dm_right_set(r, old);
		if (dm_right_unlink_if_empty(r))
			gone = r;
	}
	spin_unlock(&dm_rights_lock);
	mutex_unlock(&rc->s->lock);
	dm_right_free(gone);
}

/*
 * End a rights call that took the token's right on its object from @old
 * to @now (maybe the same), its token's lock held: a stronger right
 * waits for the I/O admitted before it, outside the session's lock, so
 * that the session's other calls go on meanwhile.  Interrupted or timed
 * out, it is undone.  The caller holds a reference to the event.
 *
 * Return: 0, -ERESTARTSYS, or -ETIMEDOUT (the I/O did not end in time).
 */
static int dm_right_end_settled(struct dm_right_call *rc, int old, int now)
{
	int err;

	if (now <= old) {
		dm_right_end(rc);
		return 0;
	}
	mutex_unlock(&rc->s->lock);
	err = dm_rights_drain(rc->fsid, d_inode(rc->path.dentry), now);
	if (err)
		dm_right_undo(rc, old, now);
	dm_right_call_put(rc);
	return err;
}

/* Make *@fresh the token's record on the object of @rc; consumes it. */
static struct dm_right *dm_right_add(struct dm_right_call *rc,
				     struct dm_right **fresh)
{
	struct dm_right *r = *fresh;

	lockdep_assert_held(&dm_rights_lock);
	*fresh = NULL;
	r->fsid = rc->fsid;
	r->ino = rc->ino;
	r->gen = rc->gen;
	r->counted = true;
	list_add_tail(&r->tlink, &rc->ev->rights);
	hash_add_rcu(dm_rights, &r->hlink, dm_right_hash(r->fsid, r->ino));
	return r;
}

/*
 * Try to give @want to the token of @rc, with @fresh as its record if it
 * has none (consumed then: *fresh becomes NULL); *@old is set to the
 * right it held.  Return 0, -EAGAIN when other tokens' rights stand in
 * the way, or -EACCES (an upgrade asked to wait).
 */
static int dm_right_try(struct dm_right_call *rc, int want, bool wait,
			struct dm_right **fresh, int *old)
{
	struct dm_right *r;
	bool excl;
	int shared, err = 0;

	spin_lock(&dm_rights_lock);
	r = dm_right_of(rc->ev, rc->fsid, rc->ino, rc->gen);
	*old = r ? r->right : DMAPI_RIGHT_NULL;
	dm_rights_others(rc->fsid, rc->ino, rc->gen, r, &shared, &excl);
	if (r && r->right >= want)
		goto out;
	if (r && r->right == DMAPI_RIGHT_SHARED && wait) {
		err = -EACCES;
		goto out;
	}
	if (excl || (want == DMAPI_RIGHT_EXCL && shared)) {
		err = -EAGAIN;
		goto out;
	}
	if (!r)
		r = dm_right_add(rc, fresh);
	dm_right_set(r, want);
out:
	spin_unlock(&dm_rights_lock);
	return err;
}

static bool dm_right_grantable_locked(u64 fsid, u64 ino, u32 gen, int want)
{
	bool excl;
	int shared;

	lockdep_assert_held(&dm_rights_lock);
	dm_rights_others(fsid, ino, gen, NULL, &shared, &excl);
	return !excl && !(want == DMAPI_RIGHT_EXCL && shared);
}

static bool dm_right_grantable(u64 fsid, u64 ino, u32 gen, int want)
{
	bool grantable;

	spin_lock(&dm_rights_lock);
	grantable = dm_right_grantable_locked(fsid, ino, gen, want);
	spin_unlock(&dm_rights_lock);
	return grantable;
}

/*
 * Whether a request of the token of @ev for @want on an object, turned
 * away by other tokens' rights, would now settle, granted or failed: the
 * others' rights allow it, or another call of the token has meanwhile
 * given it a right of its own (which then either suffices, or makes the
 * request an upgrade: EACCES).
 */
static bool dm_right_retry_settles(struct dm_event *ev, u64 fsid, u64 ino,
				   u32 gen, int want)
{
	struct dm_right *r;
	bool settles;

	spin_lock(&dm_rights_lock);
	r = dm_right_of(ev, fsid, ino, gen);
	settles = (r && r->right != DMAPI_RIGHT_NULL) ||
		  dm_right_grantable_locked(fsid, ino, gen, want);
	spin_unlock(&dm_rights_lock);
	return settles;
}

/**
 * dm_ioc_request_right - DMAPI_IOC_REQUEST_RIGHT
 * @uarg: struct dmapi_right_arg
 *
 * A right at least as strong as one held is already there.  With
 * DMAPI_RR_WAIT the caller waits, interruptibly, until the other tokens'
 * rights allow it, or until the token is answered (-EINTR on a signal,
 * as the standard's tests expect).  Granted, it waits, interruptibly and
 * with or without DMAPI_RR_WAIT, for drain_timeout at most, for the I/O
 * it excludes that was admitted before it (-ERESTARTSYS on a signal, the
 * right undone).
 *
 * Return: 0, or -EAGAIN (other tokens' rights stand in the way, no
 * DMAPI_RR_WAIT; or the admitted I/O did not end in time), -EACCES (an
 * upgrade from shared with DMAPI_RR_WAIT), -EINVAL (no such session,
 * DM_NO_TOKEN, not an object handle, an unknown right or flag), -ESRCH
 * (the token is not outstanding), -EBADF, -EINTR, -ERESTARTSYS, -ENOMEM,
 * -EFAULT.
 */
long dm_ioc_request_right(void __user *uarg)
{
	struct dm_right *fresh;
	struct dm_right_args a;
	struct dmapi_right_arg *arg = &a.arg;
	struct dm_right_call rc;
	bool wait;
	int err;

	err = dm_right_args_get(&a, uarg, DM_RIGHT_UNUSED_HELD);
	if (err)
		return err;
	if (arg->flags & ~DMAPI_RR_WAIT ||
	    (arg->right != DMAPI_RIGHT_SHARED && arg->right != DMAPI_RIGHT_EXCL))
		return -EINVAL;
	wait = arg->flags & DMAPI_RR_WAIT;
	fresh = dm_right_new();
	if (!fresh)
		return -ENOMEM;
	for (;;) {
		struct dm_right_turn turn;
		struct dm_event *ev;
		int old;

		err = dm_right_turn_take_args(&turn, &a);
		if (err)
			break;
		err = dm_right_begin(&rc, &a);
		if (err) {
			dm_right_turn_give(&turn);
			break;
		}
		err = dm_right_try(&rc, arg->right, wait, &fresh, &old);
		ev = rc.ev;
		kref_get(&ev->ref);
		if (err)
			dm_right_end(&rc);
		else
			err = dm_right_end_settled(&rc, old, arg->right);
		dm_right_turn_give(&turn);
		if (err == -EAGAIN && wait &&
		    wait_event_interruptible(dm_rights_wait,
				dm_right_retry_settles(ev, rc.fsid, rc.ino,
						       rc.gen, arg->right) ||
				dm_event_answered(ev)))
			err = -EINTR;
		dm_event_put(ev);
		/* Granted, or failed; else try again (ESRCH once answered). */
		if (err != -EAGAIN || !wait)
			break;
	}
	dm_right_free(fresh);
	/* The admitted I/O did not end: not for DMAPI_RR_WAIT to wait out. */
	return err == -ETIMEDOUT ? -EAGAIN : err;
}

/*
 * Whether the token of call @c holds at least @need on its object.  The
 * check takes its turn among the token's rights calls on the object: a
 * request still waiting for the I/O admitted before its right may yet
 * undo it.  The turn is not kept for the call, which may fault on user
 * memory that waits for another token's rights call.
 */
static int dm_call_right_check(struct dm_handle_call *c, int need)
{
	struct dm_right_turn turn;	/* the token's rights calls' on the object */
	struct dm_event *ev;
	struct dm_right *r;
	int err;

	err = dm_right_turn_take(&turn, c->token, c->uh.h.fsid,
				 c->uh.h.fid.fid_ino);
	if (err)
		return err;
	mutex_lock(&c->s->lock);
	ev = dm_session_token_locked(c->s, c->token);
	if (ev) {
		spin_lock(&dm_rights_lock);
		r = dm_right_of(ev, c->uh.h.fsid, c->uh.h.fid.fid_ino,
				c->uh.h.fid.fid_gen);
		if (!r || r->right < need)
			err = -EACCES;
		spin_unlock(&dm_rights_lock);
	} else {
		err = -ESRCH;
	}
	mutex_unlock(&c->s->lock);
	dm_right_turn_give(&turn);
	return err;
}

/*
 * Put @r, a right of no token, in the table with @need if the tokens'
 * rights allow it; it counts among the grants if @r->counted.
 */
static bool dm_call_right_try(struct dm_right *r, int need)
{
	bool granted;

	spin_lock(&dm_rights_lock);
	granted = dm_right_grantable_locked(r->fsid, r->ino, r->gen, need);
	if (granted) {
		hash_add_rcu(dm_rights, &r->hlink,
			     dm_right_hash(r->fsid, r->ino));
		dm_right_set(r, need);
	}
	spin_unlock(&dm_rights_lock);
	return granted;
}

/*
 * Take the right of a call with no token (dm_call_right_begin()) into
 * @cr->implicit, waiting for the tokens' rights and, for a call on the
 * data or one that decides events, for the I/O admitted before it.
 */
static int dm_call_right_take(struct dm_call_right *cr,
			      const struct path *lower)
{
	struct dm_right *r;
	int err;

	r = dm_right_new();
	if (!r)
		return -ENOMEM;
	r->fsid = cr->fsid;
	r->ino = cr->ino;
	r->gen = cr->gen;
	r->counted = cr->how & DM_CALL_DECIDES;
	INIT_LIST_HEAD(&r->tlink);
	while (!dm_call_right_try(r, cr->need)) {
		err = wait_event_interruptible(dm_rights_wait,
					       dm_right_grantable(r->fsid, r->ino, r->gen,
								  cr->need));
		if (err) {
			dm_right_free(r);
			return -EINTR;
		}
	}
	cr->implicit = r;
	if (!(cr->how & (DM_CALL_DATA | DM_CALL_DECIDES)))
		return 0;
	err = dm_rights_drain(r->fsid, d_inode(lower->dentry), cr->need);
	if (err) {
		dm_call_right_end(cr);
		return err == -ETIMEDOUT ? -EAGAIN : err;
	}
	return 0;
}

/**
 * dm_call_right_begin - the right a call on an object works under
 * @c: the call, begun, on an object handle
 * @lower: the object's lower path
 * @need: DMAPI_RIGHT_SHARED for a call that reads or queries the object,
 *	DMAPI_RIGHT_EXCL for one that changes it
 * @how: DM_CALL_DATA for a call on the file's data or size,
 *	DM_CALL_DECIDES for one that changes what a data event is decided on
 *	(regions, event lists)
 * @cr: filled in; end with dm_call_right_end() on success
 *
 * A token must hold @need, or more, on the object once its rights calls
 * on the object are settled; the call runs on what it found, as a token
 * answered meanwhile loses its rights.  With DM_NO_TOKEN the call takes
 * @need itself for its duration, as the standard asks: it waits,
 * interruptibly, until the tokens' rights allow it, and holds off their
 * requests and the I/O it excludes meanwhile.  A call on the data, or
 * one that decides events, first waits for the I/O it excludes that was
 * admitted before it, as a right granted does.  That right belongs to no
 * token: a DM application that holds a conflicting right on the object
 * with a token of its own waits for itself, and must pass that token.
 *
 * Return: 0, or -EACCES (the token holds less than @need), -ESRCH (it is
 * no longer outstanding), -EINTR (a signal ended the wait for the
 * tokens' rights), -ERESTARTSYS (a signal ended the wait for the token's
 * rights call or for admitted I/O), -EAGAIN (that I/O did not end within
 * drain_timeout), -ENOMEM.
 */
int dm_call_right_begin(struct dm_handle_call *c, const struct path *lower,
			int need, unsigned int how, struct dm_call_right *cr)
{
	cr->implicit = NULL;
	cr->tokenless = c->token == DM_NO_TOKEN;
	cr->fsid = c->uh.h.fsid;
	cr->ino = c->uh.h.fid.fid_ino;
	cr->gen = c->uh.h.fid.fid_gen;
	cr->need = need;
	cr->how = how;
	if (!cr->tokenless)
		return dm_call_right_check(c, need);
	return dm_call_right_take(cr, lower);
}

/**
 * dm_call_right_fault_in - fault in user memory a call could not reach
 *	under its right
 * @cr: the call's right, from dm_call_right_begin()
 * @lower: the object's lower path
 * @uaddr: the memory
 * @len: its length
 * @write: the call stores into it
 *
 * A call that moves data between an object and user memory under its
 * right does so with page faults disabled: a fault may wait for a right,
 * such as a store into a mapping made through a mount waits for the
 * right the call holds.  Where the memory is not there, the call lets go
 * of a right it took itself (DM_NO_TOKEN) while it faults the memory in,
 * so that neither it nor another DM application's request waits for it,
 * and then takes the right again.  A token's right stays held: its
 * holder waits for it as ordinary I/O would.
 *
 * Return: 0 with some of the memory faulted in and the right held again,
 * or -EFAULT (none of it could be) or the errors of taking the right
 * (dm_call_right_begin()), the right then not held.
 */
int dm_call_right_fault_in(struct dm_call_right *cr, const struct path *lower,
			   void __user *uaddr, size_t len, bool write)
{
	size_t left;

	dm_call_right_end(cr);
	if (write)
		left = fault_in_safe_writeable(uaddr, len);
	else
		left = fault_in_readable(uaddr, len);
	if (left == len)
		return -EFAULT;
	return cr->tokenless ? dm_call_right_take(cr, lower) : 0;
}

/**
 * dm_call_right_end - give up the right dm_call_right_begin() took
 * @cr: the call's right
 */
void dm_call_right_end(struct dm_call_right *cr)
{
	struct dm_right *r = cr->implicit;

	if (!r)
		return;
	cr->implicit = NULL;
	spin_lock(&dm_rights_lock);
	dm_right_set(r, DMAPI_RIGHT_NULL);
	hash_del_rcu(&r->hlink);
	spin_unlock(&dm_rights_lock);
	dm_right_free(r);
}

/*
 * Run @op on the record the token of a rights call has on its object
 * (NULL if none), under the rights lock; free the record if it ends up
 * empty, and put the path @op unpins.  A @query's answer is copied back.
 * The fields in @unused must be zero (dm_right_args_get()).
 */
static int dm_right_apply(void __user *uarg, bool query, unsigned int unused,
			  int (*op)(struct dm_right *r, struct dmapi_right_arg *arg,
				    struct path *unpin))
{
	struct dm_right_args a;
	struct dmapi_right_arg *arg = &a.arg;
	struct dm_right_call rc;
	struct dm_right *r, *gone = NULL;
	struct path unpin = {};
	struct dm_event *ev;
	struct dm_right_turn turn;
	int old, now, err;

	err = dm_right_args_get(&a, uarg, unused);
	if (err)
		return err;
	err = dm_right_turn_take_args(&turn, &a);
	if (err)
		return err;
	err = dm_right_begin(&rc, &a);
	if (err)
		goto out_turn;
	spin_lock(&dm_rights_lock);
	r = dm_right_of(rc.ev, rc.fsid, rc.ino, rc.gen);
	old = r ? r->right : DMAPI_RIGHT_NULL;
	err = op(r, arg, &unpin);
	now = r ? r->right : DMAPI_RIGHT_NULL;
	if (r && dm_right_unlink_if_empty(r))
		gone = r;
	spin_unlock(&dm_rights_lock);
	ev = rc.ev;
	kref_get(&ev->ref);
	if (err)
		dm_right_end(&rc);
	else
		err = dm_right_end_settled(&rc, old, now);
	dm_event_put(ev);
	if (err == -ETIMEDOUT)
		err = -EAGAIN;
out_turn:
	dm_right_turn_give(&turn);
	dm_right_free(gone);
	if (unpin.dentry)
		path_put(&unpin);
	/* A change is made: only a query has something to tell. */
	if (!err && query && copy_to_user(uarg, arg, sizeof(*arg)))
		err = -EFAULT;
	return err;
}

static int dm_right_release_op(struct dm_right *r, struct dmapi_right_arg *arg,
			       struct path *unpin)
{
	if (!r || !r->right)
		return -EACCES;
	dm_right_set(r, DMAPI_RIGHT_NULL);
	return 0;
}

static int dm_right_query_op(struct dm_right *r, struct dmapi_right_arg *arg,
			       struct path *unpin)
{
	arg->right = r ? r->right : DMAPI_RIGHT_NULL;
	return 0;
}

static int dm_right_upgrade_op(struct dm_right *r, struct dmapi_right_arg *arg,
			       struct path *unpin)
{
	bool excl;
	int shared;

	if (!r || !r->right)
		return -EPERM;
	if (r->right == DMAPI_RIGHT_EXCL)
		return 0;
	dm_rights_others(r->fsid, r->ino, r->gen, r, &shared, &excl);
	if (shared || excl)
		return -EAGAIN;
	dm_right_set(r, DMAPI_RIGHT_EXCL);
	return 0;
}

static int dm_right_downgrade_op(struct dm_right *r, struct dmapi_right_arg *arg,
			       struct path *unpin)
{
	if (!r || r->right != DMAPI_RIGHT_EXCL)
		return -EPERM;
	dm_right_set(r, DMAPI_RIGHT_SHARED);
	return 0;
}

/**
 * dm_ioc_release_right - DMAPI_IOC_RELEASE_RIGHT
 * @uarg: struct dmapi_right_arg
 *
 * Return: 0, or -EACCES (the token holds no right on the object), the
 * errors of the checks as for dm_ioc_request_right().
 */
long dm_ioc_release_right(void __user *uarg)
{
	return dm_right_apply(uarg, false, DM_RIGHT_UNUSED_ALL,
			      dm_right_release_op);
}

/**
 * dm_ioc_query_right - DMAPI_IOC_QUERY_RIGHT
 * @uarg: struct dmapi_right_arg
 *
 * Return: 0 with the right the token holds on the object in right
 * (DMAPI_RIGHT_NULL if none), or the errors of the checks.
 */
long dm_ioc_query_right(void __user *uarg)
{
	return dm_right_apply(uarg, true,
			      DM_RIGHT_UNUSED_FLAGS | DM_RIGHT_UNUSED_HELD,
			      dm_right_query_op);
}

/**
 * dm_ioc_upgrade_right - DMAPI_IOC_UPGRADE_RIGHT
 * @uarg: struct dmapi_right_arg
 *
 * An upgrade waits, interruptibly, for the reads admitted before it, as
 * dm_ioc_request_right() does.
 *
 * Return: 0 (exclusive now, or already), or -EPERM (no right held),
 * -EAGAIN (other tokens hold the object shared, or the admitted reads
 * did not end in time; still shared), -ERESTARTSYS (a signal ended the
 * wait for them; still shared), the errors of the checks.
 */
long dm_ioc_upgrade_right(void __user *uarg)
{
	return dm_right_apply(uarg, false, DM_RIGHT_UNUSED_ALL,
			      dm_right_upgrade_op);
}

/**
 * dm_ioc_downgrade_right - DMAPI_IOC_DOWNGRADE_RIGHT
 * @uarg: struct dmapi_right_arg
 *
 * Return: 0 (shared now), or -EPERM (the right held is not exclusive),
 * the errors of the checks.
 */
long dm_ioc_downgrade_right(void __user *uarg)
{
	return dm_right_apply(uarg, false, DM_RIGHT_UNUSED_ALL,
			      dm_right_downgrade_op);
}

static int dm_obj_ref_query_op(struct dm_right *r, struct dmapi_right_arg *arg,
			       struct path *unpin)
{
	arg->held = r && r->held;
	return 0;
}

static int dm_obj_ref_rele_op(struct dm_right *r, struct dmapi_right_arg *arg,
			       struct path *unpin)
{
	if (!r || !r->held)
		return -EACCES;
	r->held = false;
	*unpin = r->path;	/* put once the spinlock is dropped */
	return 0;
}

/**
 * dm_ioc_obj_ref_hold - DMAPI_IOC_OBJ_REF_HOLD
 * @uarg: struct dmapi_right_arg
 *
 * The token keeps the object in memory until dm_obj_ref_rele() or its
 * answer.
 *
 * Return: 0, or -EBUSY (the token holds it already), the errors of the
 * checks, -ENOMEM.
 */
long dm_ioc_obj_ref_hold(void __user *uarg)
{
	struct dm_right_args a;
	struct dm_right_call rc;
	struct dm_right *r, *fresh;
	int err;

	err = dm_right_args_get(&a, uarg, DM_RIGHT_UNUSED_ALL);
	if (err)
		return err;
	fresh = dm_right_new();
	if (!fresh)
		return -ENOMEM;
	err = dm_right_begin(&rc, &a);
	if (err)
		goto out;
	spin_lock(&dm_rights_lock);
	r = dm_right_of(rc.ev, rc.fsid, rc.ino, rc.gen);
	if (r && r->held) {
		err = -EBUSY;
	} else {
		if (!r)
			r = dm_right_add(&rc, &fresh);
		r->held = true;
		r->path = rc.path;
		path_get(&r->path);
	}
	spin_unlock(&dm_rights_lock);
	dm_right_end(&rc);
out:
	dm_right_free(fresh);
	return err;
}

/**
 * dm_ioc_obj_ref_rele - DMAPI_IOC_OBJ_REF_RELE
 * @uarg: struct dmapi_right_arg
 *
 * Return: 0, or -EACCES (the token holds no reference), the errors of the
 * checks.
 */
long dm_ioc_obj_ref_rele(void __user *uarg)
{
	return dm_right_apply(uarg, false, DM_RIGHT_UNUSED_ALL,
			      dm_obj_ref_rele_op);
}

/**
 * dm_ioc_obj_ref_query - DMAPI_IOC_OBJ_REF_QUERY
 * @uarg: struct dmapi_right_arg
 *
 * Return: 0 with held 1 if the token holds a reference, else 0; or the
 * errors of the checks.
 */
long dm_ioc_obj_ref_query(void __user *uarg)
{
	return dm_right_apply(uarg, true,
			      DM_RIGHT_UNUSED_FLAGS | DM_RIGHT_UNUSED_RIGHT,
			      dm_obj_ref_query_op);
}
