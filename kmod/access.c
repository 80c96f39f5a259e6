// SPDX-License-Identifier: GPL-2.0
/*
 * Data events: READ, WRITE and TRUNCATE before an access touches a
 * managed region that asks for them, and NOSPACE when a write finds the
 * lower filesystem full.
 *
 * A data event is generated when a session holds its disposition on the
 * filesystem and either a managed region of the file with the event's
 * flag overlaps the access, or the event is in the filesystem's or the
 * file's event list (then it covers the whole file).  The accessing
 * process waits, interruptibly and holding no lock of ours, for the
 * answer: CONTINUE lets the access go on, ABORT fails it with the errno
 * given.  Identical events outstanding at once (same file, type, offset
 * and length) are merged: a hundred readers of one offline file make one
 * event, and all of them get its answer.
 *
 * Without a session holding the disposition nothing is read: the cost of
 * an unmanaged access is one load.  With one, a file's event list and
 * regions are read from its xattrs once and cached with its inode until
 * DMAPI stores a change of any file's (struct dm_interest).
 */
#include <linux/hashtable.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "core.h"

/**
 * struct dm_pending - an outstanding data event others may join
 * @link: in dm_pending_table
 * @fsid: the file's filesystem
 * @ino: the file's inode number
 * @gen: the file's generation: an event is not joined by the next file
 *	given the inode number of one removed meanwhile
 * @type: the event type
 * @off: the access's offset
 * @len: the access's length
 * @ev: the event, referenced
 */
struct dm_pending {
	struct hlist_node	link;
	u64			fsid;
	u64			ino;
	u32			gen;
	int			type;
	s64			off;
	u64			len;
	struct dm_event		*ev;
};

static DEFINE_MUTEX(dm_pending_lock);
static DEFINE_HASHTABLE(dm_pending_table, 8);

static u32 dm_pending_hash(u64 fsid, u64 ino, s64 off)
{
	return hash_64(fsid ^ ino ^ off, HASH_BITS(dm_pending_table));
}

/*
 * The event identical to this access, referenced, or NULL.  One whose
 * CANCEL the DM application got is not joined: it was told nobody waits.
 */
static struct dm_event *dm_pending_find(u64 fsid, u64 ino, u32 gen, int type,
					s64 off, u64 len)
{
	struct dm_pending *p;

	lockdep_assert_held(&dm_pending_lock);
	hash_for_each_possible(dm_pending_table, p, link,
			       dm_pending_hash(fsid, ino, off)) {
		if (p->fsid == fsid && p->ino == ino && p->gen == gen &&
		    p->type == type &&
		    p->off == off && p->len == len &&
		    !dm_event_answered(p->ev) && !READ_ONCE(p->ev->cancelled)) {
			kref_get(&p->ev->ref);
			return p->ev;
		}
	}
	return NULL;
}

/* Forget every pending entry whose event was answered. */
static void dm_pending_prune(u64 fsid, u64 ino, s64 off)
{
	struct hlist_node *next;
	struct dm_pending *p;

	lockdep_assert_held(&dm_pending_lock);
	hash_for_each_possible_safe(dm_pending_table, p, next, link,
				    dm_pending_hash(fsid, ino, off)) {
		if (!dm_event_answered(p->ev))
			continue;
		hash_del(&p->link);
		p->ev->pending = NULL;
		dm_event_put(p->ev);
		kfree(p);
	}
}

/**
 * dm_access_forget - take an answered data event out of the pending table
 * @ev: the event, answered or abandoned; its caller holds a reference
 *
 * Its waiters may all have given up, and then nobody else would.  Called
 * with the answering session's lock held, which nests outside the
 * table's, and by a waiter once the wait is over (a no-op when the
 * answer took the event out already).
 */
void dm_access_forget(struct dm_event *ev)
{
	struct dm_pending *p;

	if (!READ_ONCE(ev->pending))
		return;
	mutex_lock(&dm_pending_lock);
	p = ev->pending;
	if (p) {
		ev->pending = NULL;
		hash_del(&p->link);
	}
	mutex_unlock(&dm_pending_lock);
	if (p) {
		dm_event_put(ev);	/* the table's */
		kfree(p);
	}
}

/* Whether a region of @r[0..@n) asks for @type over [off, off + len). */
static bool dm_regions_ask(const struct dmapi_region *r, int n, int type,
			   s64 off, u64 len)
{
	u32 flag = type == DMAPI_EVENT_READ ? DMAPI_REGION_READ :
		   type == DMAPI_EVENT_WRITE ? DMAPI_REGION_WRITE :
					       DMAPI_REGION_TRUNCATE;
	u64 end = len ? off + len : U64_MAX;
	int i;

	for (i = 0; i < n; i++) {
		u64 rend = r[i].rg_size ? r[i].rg_offset + r[i].rg_size : U64_MAX;

		if ((r[i].rg_flags & flag) && r[i].rg_offset < end &&
		    (u64)off < rend)
			return true;
	}
	return false;
}

/*
 * Bumped after every change of an object's event list or regions: what
 * any file's cache holds is then stale.  Such changes are rare next to
 * accesses, so one counter for all does.
 */
atomic64_t dm_interest_seq = ATOMIC64_INIT(0);

/**
 * dm_interest_changed - an object's event list or regions were just stored
 */
void dm_interest_changed(void)
{
	/* Fully ordered, after the store that the caller just made. */
	atomic64_inc_return(&dm_interest_seq);
}

/**
 * dm_interest_free - release a file's cache of its interest
 * @cache: the cache, no longer reachable by readers
 */
void dm_interest_free(struct dm_interest_cache *cache)
{
	struct dm_interest *in = rcu_dereference_protected(cache->in, true);

	if (in) {
		dm_live_dec(DM_LIVE_INTERESTS);
		kfree(in);
	}
}

/* The interest of the file at @lower, read from its xattrs. */
static struct dm_interest *dm_interest_load(const struct path *lower)
{
	/* Read first: a change stored meanwhile leaves it stale. */
	u64 seq = atomic64_read_acquire(&dm_interest_seq);
	struct dmapi_region *r;
	struct dm_interest *in;
	u64 events;
	int n, err;

	err = dm_obj_events(lower, &events);
	if (err)
		return ERR_PTR(err);
	r = kcalloc(DMAPI_MAX_REGIONS_LIMIT, sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	n = dm_regions_load(lower, r);
	in = n < 0 ? ERR_PTR(n) :
		     kmalloc(struct_size(in, regions, n), GFP_KERNEL);
	if (!in) {
		in = ERR_PTR(-ENOMEM);
	} else if (!IS_ERR(in)) {
		dm_live_inc(DM_LIVE_INTERESTS);
		in->seq = seq;
		in->events = events;
		in->nregions = n;
		memcpy(in->regions, r, n * sizeof(*r));
	}
	kfree(r);
	return in;
}

/* Whether @in asks for @type over [off, off + len) on @fs. */
static bool dm_interest_wants(struct dm_fs *fs, const struct dm_interest *in,
			      int type, s64 off, u64 len)
{
	if (dm_fs_session_for(fs, type, in->events))
		return true;	/* the whole file, by the event lists */
	if (type == DMAPI_EVENT_NOSPACE)
		return false;
	return dm_regions_ask(in->regions, in->nregions, type, off, len);
}

/*
 * Whether the file at @lower wants @type events for this access.  Its
 * interest comes from @cache while no change was stored since it was
 * loaded; otherwise it is loaded again and cached.  A NULL @cache reads
 * the xattrs every time.
 */
static int dm_access_wanted(struct dm_fs *fs, const struct path *lower,
			    struct dm_interest_cache *cache, int type,
			    s64 off, u64 len)
{
	struct dm_interest *in, *old;
	bool wanted;
	u64 quiet;

	if (cache) {
		rcu_read_lock();
		in = rcu_dereference(cache->in);
		if (in && in->seq == atomic64_read(&dm_interest_seq)) {
			wanted = dm_interest_wants(fs, in, type, off, len);
			rcu_read_unlock();
			return wanted;
		}
		rcu_read_unlock();
	}
	in = dm_interest_load(lower);
	if (IS_ERR(in))
		return PTR_ERR(in);
	wanted = dm_interest_wants(fs, in, type, off, len);
	if (!cache) {
		dm_live_dec(DM_LIVE_INTERESTS);
		kfree(in);
		return wanted;
	}
	/*
	 * Stale as soon as any change is stored: a racing load of another
	 * sequence leaves a value that no current sequence matches.  Taken
	 * before @in is published, after which another load may free it.
	 */
	quiet = !in->events && !in->nregions ? in->seq + 1 : 0;
	old = unrcu_pointer(xchg(&cache->in, RCU_INITIALIZER(in)));
	WRITE_ONCE(cache->quiet, quiet);
	if (old) {
		dm_live_dec(DM_LIVE_INTERESTS);
		kfree_rcu(old, rcu);
	}
	return wanted;
}

/* A new data event of the file at @lower. */
static struct dm_event *dm_data_event_new(struct dm_fs *fs,
					  const struct path *lower, int type,
					  s64 off, u64 len)
{
	struct dmapi_data_msg *de;
	struct dmapi_handle h;
	u32 pos = ALIGN(sizeof(*de), DMAPI_MSG_ALIGN);
	struct dm_event *ev;

	ev = dm_event_create(type, pos + ALIGN(DMAPI_HANDLE_LEN, DMAPI_MSG_ALIGN),
			     true);
	if (IS_ERR(ev))
		return ev;
	ev->cancel = dm_fs_wants_cancel(fs);
	ev->grants = dm_rights_grants_of(fs->fsid, d_inode(lower->dentry)->i_ino);
	de = (struct dmapi_data_msg *)ev->data;
	dm_inode_handle(fs, d_inode(lower->dentry), &h);
	dm_vardata_put(ev->data, 0, &pos, &de->de_handle, &h, DMAPI_HANDLE_LEN);
	de->de_offset = off;
	de->de_length = len;
	return ev;
}

/*
 * The identical outstanding event, or a new one entered in the table, so
 * that processes coming meanwhile join it; referenced, and the caller
 * counted among its waiters (dm_event_wait_joined()).  *@fresh tells
 * which.
 */
static struct dm_event *dm_access_event(struct dm_fs *fs,
					const struct path *lower, int type,
					s64 off, u64 len, bool *fresh)
{
	u64 ino = d_inode(lower->dentry)->i_ino;
	u32 gen = d_inode(lower->dentry)->i_generation;
	struct dm_pending *p;
	struct dm_event *ev;
	unsigned int nofs;

	mutex_lock(&dm_pending_lock);
	dm_pending_prune(fs->fsid, ino, off);
	ev = dm_pending_find(fs->fsid, ino, gen, type, off, len);
	*fresh = !ev;
	if (ev)
		goto out;
	/*
	 * Reclaim must not evict our inodes here: an eviction may post
	 * DESTROY, under a session's lock, which nests outside the table's.
	 */
	nofs = memalloc_nofs_save();
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	ev = p ? dm_data_event_new(fs, lower, type, off, len) : ERR_PTR(-ENOMEM);
	memalloc_nofs_restore(nofs);
	if (IS_ERR(ev)) {
		kfree(p);
		goto out;
	}
	*p = (struct dm_pending){ .fsid = fs->fsid, .ino = ino, .gen = gen,
				  .type = type, .off = off, .len = len,
				  .ev = ev };
	kref_get(&ev->ref);	/* the table's */
	ev->pending = p;
	hash_add(dm_pending_table, &p->link, dm_pending_hash(fs->fsid, ino, off));
out:
	if (!IS_ERR(ev))
		atomic_inc(&ev->waiters);
	mutex_unlock(&dm_pending_lock);
	return ev;
}

/*
 * Send the event of this access to session @sid, or join the identical
 * one outstanding, and wait for the answer: 1 for CONTINUE, with what the
 * count of rights granted on the file was then in *@grants; 0 when the
 * event could not be sent (its session went); or a negative errno.
 */
static int dm_access_wait(struct dm_fs *fs, const struct path *lower, int sid,
			  int type, s64 off, u64 len, int *grants)
{
	struct dm_session *s;
	struct dm_event *ev;
	bool fresh, abandoned;
	int err;

again:
	ev = dm_access_event(fs, lower, type, off, len, &fresh);
	if (IS_ERR(ev))
		return PTR_ERR(ev);
	if (fresh) {
		s = dm_session_get(sid);
		err = s ? dm_event_post(s, ev) : -EINVAL;
		if (s)
			dm_session_put(s);
		if (err) {
			/*
			 * A session destroyed meanwhile, before or while the
			 * event waited for room: as if the event were off.
			 */
			if (err == -EINVAL)
				err = 0;
			atomic_dec(&ev->waiters);
			dm_event_abandon(ev, err);
			dm_access_forget(ev);
			goto out;
		}
		dm_mon_sent(fs, ev);
	}
	err = dm_event_wait_joined(ev, &dm_pending_lock);
	/*
	 * An event its poster abandoned was never queued: nobody has a
	 * record of it, the poster included.  A joiner that goes again
	 * below has the record of the event it posts then.  Read once, for
	 * both: an abandonment later than this does not count.
	 */
	abandoned = dm_event_abandoned(ev);
	if (!abandoned)
		dm_mon_done(fs, ev, err);
	/*
	 * An answered event left the table with its answer; one abandoned
	 * because it could not be queued leaves now.
	 */
	if (dm_event_answered(ev)) {
		dm_access_forget(ev);
		if (!err) {
			*grants = ev->grants_answered;
			err = 1;
		}
	}
	/*
	 * Joined an event whose poster was killed, or timed out, while it
	 * waited for room: that end was not ours, so post the event again.
	 */
	if (!fresh && (err == -EINTR || err == -ETIMEDOUT) && abandoned &&
	    !fatal_signal_pending(current)) {
		dm_event_put(ev);
		goto again;
	}
out:
	dm_event_put(ev);
	return err;
}

/**
 * dm_data_event_wanted - whether an access must send its data event
 * @fs: the file's filesystem
 * @lower: the file's lower path
 * @cache: as for dm_data_event()
 * @type: DMAPI_EVENT_READ, _WRITE or _TRUNCATE
 * @off: where the access starts
 * @len: its length
 *
 * Waits for no DM application.
 *
 * Return: 1 if it must, 0 if not, or the errno of reading the file's
 * DMAPI state.
 */
int dm_data_event_wanted(struct dm_fs *fs, const struct path *lower,
			 struct dm_interest_cache *cache, int type, s64 off,
			 u64 len)
{
	if (!READ_ONCE(fs->disp[type]))
		return 0;
	return dm_access_wanted(fs, lower, cache, type, off, len);
}

/**
 * dm_data_event - let the DM application see an access before it happens
 * @fs: the file's filesystem
 * @lower: the file's lower path
 * @grants: set, when the DM application answered, to what the count of
 *	rights granted on the file (dm_rights_grants_of()) was then
 * @cache: where the file's interest is cached, or NULL
 * @type: DMAPI_EVENT_READ, _WRITE or _TRUNCATE
 * @off: where the access starts (TRUNCATE: the new size)
 * @len: its length; 0 reaches the end of any file
 *
 * Return: 0 to go on, no event sent; 1 to go on, the DM application
 * having answered CONTINUE; the errno of an ABORT answer, -EINTR (a
 * signal ended the wait), -ETIMEDOUT (event_timeout), or the errno of
 * reading the file's DMAPI state.
 */
int dm_data_event(struct dm_fs *fs, const struct path *lower, int *grants,
		  struct dm_interest_cache *cache, int type, s64 off, u64 len)
{
	int sid = READ_ONCE(fs->disp[type]);
	int wanted;

	if (!sid)
		return 0;
	wanted = dm_access_wanted(fs, lower, cache, type, off, len);
	if (wanted <= 0)
		return wanted;
	return dm_access_wait(fs, lower, sid, type, off, len, grants);
}

/**
 * dm_nospace_event - ask the DM application for room
 * @fs: the file's filesystem
 * @lower: the lower path of the file whose write failed with ENOSPC
 * @cache: as for dm_data_event()
 * @off: the write's offset
 * @len: its length
 *
 * NOSPACE covers whole files: it is wanted through the event lists.
 *
 * Return: 0 when the DM application answered CONTINUE (the write is
 * tried again); -ENOSPC when nobody asked for the event; otherwise as
 * dm_data_event().
 */
int dm_nospace_event(struct dm_fs *fs, const struct path *lower,
		     struct dm_interest_cache *cache, s64 off, u64 len)
{
	int sid = READ_ONCE(fs->disp[DMAPI_EVENT_NOSPACE]);
	int wanted, grants, err;

	if (!sid)
		return -ENOSPC;
	wanted = dm_access_wanted(fs, lower, cache, DMAPI_EVENT_NOSPACE, off,
				  len);
	if (wanted <= 0)
		return wanted ? wanted : -ENOSPC;
	err = dm_access_wait(fs, lower, sid, DMAPI_EVENT_NOSPACE, off, len,
			     &grants);
	return err < 0 ? err : 0;
}

/**
 * dm_access_exit - forget the pending data events at module unload
 */
void dm_access_exit(void)
{
	struct hlist_node *next;
	struct dm_pending *p;
	int bkt;

	hash_for_each_safe(dm_pending_table, bkt, next, p, link) {
		hash_del(&p->link);
		p->ev->pending = NULL;
		dm_event_put(p->ev);
		kfree(p);
	}
}
