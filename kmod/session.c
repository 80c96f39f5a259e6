// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: the channel between the kernel and a DM application.
 *
 * A session is a named queue of messages.  It belongs to no process: when
 * the DM application dies its session, its queued messages and its
 * outstanding tokens stay until another process takes the session over
 * (dm_create_session() with the old id) or destroys it.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "core.h"

/* Session ids, allocated cyclically so that a stale id is not soon reused. */
static DEFINE_XARRAY_ALLOC1(dm_sessions);
static u32 dm_next_sid;

/* Serialises creation, takeover and destruction, and dm_nr_sessions. */
static DEFINE_MUTEX(dm_sessions_mutex);
static unsigned int dm_nr_sessions;

static void dm_session_release(struct kref *ref)
{
	dm_live_dec(DM_LIVE_SESSIONS);
	kfree_rcu(container_of(ref, struct dm_session, ref), rcu);
}

/**
 * dm_session_get - look up a session and take a reference on it
 * @sid: the session id
 *
 * Return: the session, or NULL if @sid names no live session.
 */
struct dm_session *dm_session_get(int sid)
{
	struct dm_session *s;

	if (sid <= 0)
		return NULL;
	xa_lock(&dm_sessions);
	s = xa_load(&dm_sessions, sid);
	if (s)
		kref_get(&s->ref);
	xa_unlock(&dm_sessions);
	return s;
}

/**
 * dm_session_put - drop a reference taken by dm_session_get()
 * @s: the session
 */
void dm_session_put(struct dm_session *s)
{
	kref_put(&s->ref, dm_session_release);
}

/**
 * dm_session_lock_two - lock two sessions in a stable order
 * @a: a session
 * @b: another session, or @a itself
 *
 * Sessions are always locked in ascending id order, so that two moves in
 * opposite directions cannot deadlock.
 */
void dm_session_lock_two(struct dm_session *a, struct dm_session *b)
{
	if (a == b) {
		mutex_lock(&a->lock);
		return;
	}
	if (a->sid > b->sid)
		swap(a, b);
	mutex_lock(&a->lock);
	mutex_lock_nested(&b->lock, SINGLE_DEPTH_NESTING);
}

/**
 * dm_session_unlock_two - undo dm_session_lock_two()
 * @a: a session
 * @b: another session, or @a itself
 */
void dm_session_unlock_two(struct dm_session *a, struct dm_session *b)
{
	if (a != b)
		mutex_unlock(&b->lock);
	mutex_unlock(&a->lock);
}

/* Copy the info string in; the caller guarantees infolen < the buffer. */
static int dm_copy_info(char *info, u64 uinfo, u32 infolen)
{
	memset(info, 0, DMAPI_SESSION_INFO_LEN);
	if (copy_from_user(info, u64_to_user_ptr(uinfo), infolen))
		return -EFAULT;
	/* The length passed is authoritative: stop at an embedded NUL. */
	return 0;
}

static struct dm_session *dm_session_alloc(void)
{
	struct dm_session *s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);

	if (!s)
		return NULL;
	dm_live_inc(DM_LIVE_SESSIONS);
	kref_init(&s->ref);
	mutex_init(&s->read_lock);
	mutex_init(&s->lock);
	INIT_LIST_HEAD(&s->newq);
	INIT_LIST_HEAD(&s->tokens);
	init_waitqueue_head(&s->newq_wait);
	init_waitqueue_head(&s->room_wait);
	return s;
}

static int dm_session_takeover(int oldsid, const char *info)
{
	struct dm_session *s = dm_session_get(oldsid);

	if (!s)
		return -EINVAL;
	mutex_lock(&s->lock);
	memcpy(s->info, info, DMAPI_SESSION_INFO_LEN);
	mutex_unlock(&s->lock);
	dm_session_put(s);
	return oldsid;
}

static int dm_session_create(const char *info)
{
	struct dm_session *s;
	u32 sid;
	int err;

	if (dm_nr_sessions >= READ_ONCE(dm_max_sessions))
		return -ENOMEM;
	s = dm_session_alloc();
	if (!s)
		return -ENOMEM;
	memcpy(s->info, info, DMAPI_SESSION_INFO_LEN);
	err = xa_alloc_cyclic(&dm_sessions, &sid, NULL, xa_limit_31b,
			      &dm_next_sid, GFP_KERNEL);
	if (err < 0) {
		dm_session_put(s);
		return err == -EBUSY ? -ENOMEM : err;
	}
	s->sid = sid;
	/* Publish only once fully set up. */
	xa_store(&dm_sessions, sid, s, GFP_KERNEL);
	dm_nr_sessions++;
	return sid;
}

/**
 * dm_ioc_create_session - DMAPI_IOC_CREATE_SESSION
 * @uarg: struct dmapi_create_session_arg
 *
 * Creates a session, or takes over the session @oldsid: it keeps its id,
 * its queues and its tokens and gets the new info string.
 *
 * Return: 0, or -E2BIG (info too long), -EINVAL (no session @oldsid),
 * -ENOMEM (max_sessions reached or no memory), -EFAULT (newsidp cannot be
 * written: no session made or taken over).
 */
long dm_ioc_create_session(void __user *uarg)
{
	struct dmapi_create_session_arg arg;
	struct dm_result newsid;
	char *info;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;
	if (arg.infolen >= DMAPI_SESSION_INFO_LEN)
		return -E2BIG;
	newsid = dm_result_at(arg.newsidp, sizeof(arg.newsid));
	if (dm_result_probe(&newsid))
		return -EFAULT;
	info = kmalloc(DMAPI_SESSION_INFO_LEN, GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	ret = dm_copy_info(info, arg.info, arg.infolen);
	if (ret)
		goto out;

	mutex_lock(&dm_sessions_mutex);
	if (arg.oldsid != DM_NO_SESSION)
		ret = dm_session_takeover(arg.oldsid, info);
	else
		ret = dm_session_create(info);
	mutex_unlock(&dm_sessions_mutex);
	if (ret < 0)
		goto out;

	arg.newsid = ret;
	ret = 0;
	if (copy_to_user(uarg, &arg, sizeof(arg)) ||
	    dm_result_put(&newsid, arg.newsid))
		ret = -EFAULT;
	/*
	 * A session made for a caller who cannot learn its id (its memory
	 * unmapped since the probe) stays: it is listed by
	 * dm_getall_sessions() and can be destroyed.
	 */
out:
	kfree(info);
	return ret;
}

/**
 * dm_ioc_destroy_session - DMAPI_IOC_DESTROY_SESSION
 * @uarg: struct dmapi_session_arg
 *
 * Return: 0, or -EINVAL (no such session), -EBUSY (the session has
 * undelivered messages or outstanding tokens), -EFAULT.
 */
long dm_ioc_destroy_session(void __user *uarg)
{
	struct dmapi_session_arg arg;
	struct dm_session *s;
	int ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;

	mutex_lock(&dm_sessions_mutex);
	s = dm_session_get(arg.sid);
	if (!s) {
		ret = -EINVAL;
		goto out_unlock;
	}
	mutex_lock(&s->lock);
	if (s->nr_new || s->nr_tokens) {
		ret = -EBUSY;
	} else {
		s->dead = true;
		xa_erase(&dm_sessions, s->sid);
		dm_nr_sessions--;
	}
	mutex_unlock(&s->lock);
	if (!ret) {
		dm_disp_release_session(s->sid);
		/* Waiters in dm_get_events() return; the table's ref goes. */
		wake_up_all(&s->newq_wait);
		wake_up_all(&s->room_wait);
		dm_session_put(s);
	}
	dm_session_put(s);
out_unlock:
	mutex_unlock(&dm_sessions_mutex);
	return ret;
}

/**
 * dm_ioc_getall_sessions - DMAPI_IOC_GETALL_SESSIONS
 * @uarg: struct dmapi_getall_arg
 *
 * Return: 0, or -E2BIG with the number of sessions in nelem_out, -EFAULT.
 */
long dm_ioc_getall_sessions(void __user *uarg)
{
	struct dmapi_getall_arg arg;
	struct dm_session *s;
	unsigned long index;
	s32 *sids = NULL;
	u32 n = 0;
	int ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* The sid is GETALL_TOKENS's. */
	if (arg.padding || arg.reserved || arg.sid)
		return -EINVAL;

	mutex_lock(&dm_sessions_mutex);
	if (arg.nelem < dm_nr_sessions) {
		arg.nelem_out = dm_nr_sessions;
		ret = -E2BIG;
	} else if (dm_nr_sessions) {
		sids = kvmalloc_array(dm_nr_sessions, sizeof(*sids),
				      GFP_KERNEL);
		if (!sids)
			ret = -ENOMEM;
		else
			xa_for_each(&dm_sessions, index, s)
				sids[n++] = s->sid;
		arg.nelem_out = n;
	} else {
		arg.nelem_out = 0;
	}
	mutex_unlock(&dm_sessions_mutex);

	if ((ret == 0 || ret == -E2BIG) && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
	if (ret == 0 && n &&
	    copy_to_user(u64_to_user_ptr(arg.buf), sids, n * sizeof(*sids)))
		ret = -EFAULT;
	kvfree(sids);
	return ret;
}

/**
 * dm_ioc_query_session - DMAPI_IOC_QUERY_SESSION
 * @uarg: struct dmapi_query_session_arg
 *
 * Return: 0 with the info string and its NUL in the buffer, or -EINVAL (no
 * such session), -E2BIG with the needed size in buf.rlen, -EFAULT.
 */
long dm_ioc_query_session(void __user *uarg)
{
	struct dmapi_query_session_arg arg;
	char info[DMAPI_SESSION_INFO_LEN];
	struct dm_session *s;
	size_t len;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;
	s = dm_session_get(arg.sid);
	if (!s)
		return -EINVAL;
	mutex_lock(&s->lock);
	memcpy(info, s->info, sizeof(info));
	mutex_unlock(&s->lock);
	dm_session_put(s);

	len = strnlen(info, sizeof(info) - 1) + 1;
	arg.buf.rlen = len;
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		return -EFAULT;
	if (arg.buf.len < len)
		return -E2BIG;
	if (copy_to_user(u64_to_user_ptr(arg.buf.ptr), info, len))
		return -EFAULT;
	return 0;
}

/**
 * dm_session_next_mounter - the next session holding the MOUNT disposition
 * @after: a session id; 0 to start
 *
 * Sessions are visited in ascending id order, the order in which a MOUNT
 * event is offered to them.
 *
 * Return: the first such session with an id above @after, referenced, or
 * NULL.
 */
struct dm_session *dm_session_next_mounter(int after)
{
	unsigned long index;
	struct dm_session *s;

	xa_lock(&dm_sessions);
	xa_for_each_start(&dm_sessions, index, s, (unsigned long)after + 1) {
		if (READ_ONCE(s->mount_disp)) {
			kref_get(&s->ref);
			break;
		}
	}
	xa_unlock(&dm_sessions);
	return s;
}

/**
 * dm_session_next - the next session in id order
 * @sid: in: the least id to look at; out: the id of the session found
 *
 * Return: the session, referenced, or NULL when there is none left.
 */
struct dm_session *dm_session_next(unsigned long *sid)
{
	struct dm_session *s;

	xa_lock(&dm_sessions);
	s = xa_find(&dm_sessions, sid, ULONG_MAX, XA_PRESENT);
	if (s)
		kref_get(&s->ref);
	xa_unlock(&dm_sessions);
	return s;
}

/**
 * dm_sessions_wake_senders - let every sender waiting for queue room look again
 *
 * Called when max_queued_msgs changes: a sender waits for a session's
 * delivery or destruction otherwise.
 */
void dm_sessions_wake_senders(void)
{
	unsigned long sid = 0;
	struct dm_session *s;

	while ((s = dm_session_next(&sid))) {
		wake_up_all(&s->room_wait);
		dm_session_put(s);
		sid++;
	}
}

/**
 * dm_session_counts - what a session holds and has done
 * @s: the session, referenced
 * @c: filled in, as of one moment
 */
void dm_session_counts(struct dm_session *s, struct dm_session_counts *c)
{
	struct dm_event *ev;

	mutex_lock(&s->lock);
	strscpy(c->info, s->info, sizeof(c->info));
	c->queued = s->nr_new;
	c->outstanding = s->nr_tokens;
	c->delivered = s->delivered;
	c->answered = s->answered;
	c->rights = 0;
	list_for_each_entry(ev, &s->tokens, link)
		c->rights += dm_rights_count(ev);
	mutex_unlock(&s->lock);
}

/**
 * dm_session_init - set up the session table
 *
 * Return: 0.
 */
int dm_session_init(void)
{
	return 0;
}

/**
 * dm_session_exit - free every session at module unload
 *
 * No process can be inside the module then, so every session is idle: its
 * messages and tokens are dropped with it.
 */
void dm_session_exit(void)
{
	struct dm_session *s;
	unsigned long index;

	xa_for_each(&dm_sessions, index, s) {
		xa_erase(&dm_sessions, index);
		dm_session_drain(s);
		dm_session_put(s);
	}
	xa_destroy(&dm_sessions);
}
