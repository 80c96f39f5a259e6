// SPDX-License-Identifier: GPL-2.0
/*
 * Events, messages and tokens.
 *
 * A message is queued on a session's new queue.  dm_get_events() delivers
 * it: an asynchronous message is then gone, a synchronous one moves to the
 * session's token list and stays outstanding until dm_respond_event().  A
 * process that sent a synchronous message sleeps, interruptibly and
 * holding no lock, until the answer comes.  dm_create_userevent() makes an
 * outstanding token with a message that is never queued.
 *
 * Locking: a session's mutex protects its lists and the state of the
 * events on them.  It is held while copying messages to user space, which
 * only the session's own DM application waits on; it is never held while
 * waiting for user space.
 */
#include <linux/atomic.h>
#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "core.h"

/*
 * Tokens are unique over all sessions, so that a moved event keeps its
 * own, and are not reused until the 31-bit counter wraps.  The table of
 * live ones is only there to keep a wrapped counter off a token still in
 * use: a hash of lists, which, unlike an ID allocator, allocates nothing
 * for each event.
 */
static DEFINE_SPINLOCK(dm_tokens_lock);
static DEFINE_HASHTABLE(dm_tokens, 10);
static int dm_next_token = 1;
static atomic_t dm_next_sequence = ATOMIC_INIT(0);

static bool dm_token_in_use(int token)
{
	struct dm_event *ev;

	hash_for_each_possible(dm_tokens, ev, token_link, token)
		if (ev->token == token)
			return true;
	return false;
}

/* Give @ev the next token not in use. */
static void dm_token_alloc(struct dm_event *ev)
{
	spin_lock(&dm_tokens_lock);
	do {
		ev->token = dm_next_token;
		dm_next_token = dm_next_token == INT_MAX ? 1 : dm_next_token + 1;
	} while (dm_token_in_use(ev->token));
	hash_add(dm_tokens, &ev->token_link, ev->token);
	spin_unlock(&dm_tokens_lock);
}

static void dm_event_release(struct kref *ref)
{
	struct dm_event *ev = container_of(ref, struct dm_event, ref);

	if (ev->token > 0) {
		spin_lock(&dm_tokens_lock);
		hash_del(&ev->token_link);
		spin_unlock(&dm_tokens_lock);
	}
	dm_live_dec(DM_LIVE_EVENTS);
	kvfree(ev);
}

/**
 * dm_event_put - drop a reference to an event
 * @ev: the event
 */
void dm_event_put(struct dm_event *ev)
{
	kref_put(&ev->ref, dm_event_release);
}

static unsigned long dm_event_deadline(unsigned long from)
{
	unsigned int timeout = READ_ONCE(dm_event_timeout);

	return timeout ? from + (unsigned long)timeout * HZ : 0;
}

/*
 * Whether an event is charged to the memory cgroup of the task creating
 * it.  Asynchronous messages queue without bound while their DM
 * application does not read them: whoever causes them, unprivileged users
 * included, pays for them, and its cgroup's limit bounds them.  So does a
 * DM application for its own messages (dm_create_userevent()'s wait for
 * nobody).  An event sent from reclaim (DESTROY, when reclaim evicts an
 * inode) is not the reclaiming task's doing.  A synchronous event of the
 * filesystem is bounded by the task that waits for it, and is created
 * with locks held (data events, under the table of pending ones) that a
 * cgroup's reclaim and OOM killer must not hold up.
 */
static bool dm_event_charged(int type, bool sync)
{
	return (!sync || type == DMAPI_EVENT_USER) &&
	       !(current->flags & PF_MEMALLOC);
}

/*
 * The charged memory of a synchronous message, whose sender is told
 * -ENOMEM past its cgroup's limit rather than have the OOM killer asked
 * (__GFP_RETRY_MAYFAIL; __GFP_NOWARN, as a refused charge is an answer).
 * kvzalloc() with that flag would retry a large contiguous allocation
 * hard before it falls back to vmalloc; this tries it once.  Freed by
 * kvfree().
 */
static void *dm_event_alloc_may_fail(size_t size)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN;
	void *p;

	if (size <= PAGE_SIZE)
		return kmalloc(size, gfp | __GFP_RETRY_MAYFAIL);
	p = kmalloc(size, gfp | __GFP_NORETRY);
	return p ?: __vmalloc(size, gfp | __GFP_RETRY_MAYFAIL);
}

/**
 * dm_event_create - allocate an event
 * @type: enum dmapi_event_type
 * @len: bytes of message data, zeroed, for the caller to fill
 * @sync: whether it is synchronous and so gets a token
 *
 * Asynchronous events and a DM application's own messages are charged to
 * the memory cgroup of the calling task, unless it is reclaiming memory.
 * An asynchronous event has nobody to tell of a failure: one that the
 * cgroup refuses (its OOM killer has ended the sender, or could find
 * nothing to end) is allocated uncharged rather than lost.  The sender
 * of a synchronous message waits for it, and so can be told: past its
 * cgroup's limit it gets -ENOMEM, and the OOM killer is not asked.
 *
 * Return: the event with one reference and a sequence number, or
 * ERR_PTR(-ENOMEM).
 */
struct dm_event *dm_event_create(int type, u32 len, bool sync)
{
	size_t size = struct_size_t(struct dm_event, data, len);
	bool charged = dm_event_charged(type, sync);
	struct dm_event *ev;

	if (charged && sync)
		ev = dm_event_alloc_may_fail(size);
	else
		ev = kvzalloc(size, charged ? GFP_KERNEL_ACCOUNT : GFP_KERNEL);
	if (!ev && charged && !sync)
		ev = kvzalloc(size, GFP_KERNEL);
	if (!ev)
		return ERR_PTR(-ENOMEM);
	dm_live_inc(DM_LIVE_EVENTS);
	kref_init(&ev->ref);
	atomic_set(&ev->waiters, 0);
	INIT_LIST_HEAD(&ev->link);
	INIT_LIST_HEAD(&ev->rights);
	init_waitqueue_head(&ev->wait);
	ev->type = type;
	ev->datalen = len;
	ev->sequence = (u32)atomic_inc_return(&dm_next_sequence);
	ev->token = DM_INVALID_TOKEN;
	ev->deadline = dm_event_deadline(jiffies);
	ev->pid = task_tgid_nr(current);
	ev->created = ktime_get();
	if (sync)
		dm_token_alloc(ev);
	return ev;
}

/* The size of an event's message record as dm_get_events() delivers it. */
static size_t dm_event_msg_size(const struct dm_event *ev)
{
	return ALIGN(sizeof(struct dmapi_eventmsg) + ev->datalen,
		     DMAPI_MSG_ALIGN);
}

/*
 * Write an event's message record to @buf, which has room for it.  @last
 * tells whether it ends the chain (link 0).  Padding is zeroed so that no
 * kernel memory leaks.
 */
static void dm_event_fill_msg(const struct dm_event *ev, u8 *buf, bool last)
{
	size_t size = dm_event_msg_size(ev);
	struct dmapi_eventmsg msg = {
		.link = last ? 0 : size,
		.type = ev->type,
		.token = ev->token,
		.sequence = ev->sequence,
		.data_offset = sizeof(struct dmapi_eventmsg),
		.data_length = ev->datalen,
	};

	memcpy(buf, &msg, sizeof(msg));
	memcpy(buf + sizeof(msg), ev->data, ev->datalen);
	memset(buf + sizeof(msg) + ev->datalen, 0,
	       size - sizeof(msg) - ev->datalen);
}

/**
 * dm_session_token_locked - the outstanding event of a token
 * @s: the session, its lock held
 * @token: the token
 *
 * Return: the event, valid while @s->lock is held, or NULL.
 */
struct dm_event *dm_session_token_locked(struct dm_session *s, int token)
{
	struct dm_event *ev;

	lockdep_assert_held(&s->lock);
	list_for_each_entry(ev, &s->tokens, link)
		if (ev->token == token)
			return ev;
	return NULL;
}

/*
 * Retire an outstanding event: it leaves its session with @reply for its
 * sender.  Drops the list's reference.  @s->lock is held.  The records of
 * its rights go to @gone, for dm_rights_put() once the lock is released.
 */
static void dm_event_answer(struct dm_session *s, struct dm_event *ev,
			    int response, int reply, struct list_head *gone)
{
	lockdep_assert_held(&s->lock);
	list_del_init(&ev->link);
	s->nr_tokens--;
	s->answered++;
	ev->response = response;
	ev->reply = reply;
	WRITE_ONCE(ev->session, NULL);
	/*
	 * The rights its handler took are counted, and held still: no other
	 * token's exclusive right on the object can have come meanwhile.
	 */
	if (ev->grants)
		ev->grants_answered = dm_rights_grants(ev->grants);
	/*
	 * Answered before its rights go: a rights request waiting with this
	 * token wakes from their release and must find its token answered.
	 * Pairs with the sender's smp_load_acquire().
	 */
	smp_store_release(&ev->state, DM_EVS_ANSWERED);
	dm_rights_drop(ev, gone);
	dm_access_forget(ev);
	wake_up_all(&ev->wait);
	dm_event_put(ev);
}

/* wait_event_killable_timeout(), in DM_TASK_FS_WAIT. */
#define dm_wait_event_fs_timeout(wq, cond, timeout)				\
({										\
	long __ret = (timeout);							\
										\
	might_sleep();								\
	if (!___wait_cond_timeout(cond))					\
		__ret = ___wait_event(wq, ___wait_cond_timeout(cond),		\
				      DM_TASK_FS_WAIT, 0, timeout,		\
				      __ret = schedule_timeout(__ret));		\
	__ret;									\
})

/* Whether a synchronous sender waiting for room in @s may go on. */
static bool dm_session_has_room(struct dm_session *s)
{
	return READ_ONCE(s->dead) ||
	       READ_ONCE(s->nr_new) < READ_ONCE(dm_max_queued_msgs);
}

/*
 * Wait until @s may have room for @ev, as for an answer (killably, or
 * interruptibly for a DM application's own message), and no longer than
 * event_timeout from the event's creation: a process whose event cannot
 * even be queued waits on the DM application as much as one whose event
 * is not answered.
 */
static int dm_event_wait_room(struct dm_session *s, struct dm_event *ev)
{
	unsigned long deadline = ev->deadline, now = jiffies;
	long timeout = MAX_SCHEDULE_TIMEOUT;
	long left;

	/* One look at the clock: a second could pass the deadline. */
	if (deadline) {
		if (time_after_eq(now, deadline))
			return -ETIMEDOUT;
		timeout = deadline - now;
	}
	if (ev->interruptible)
		left = wait_event_interruptible_timeout(s->room_wait,
				dm_session_has_room(s), timeout);
	else
		left = dm_wait_event_fs_timeout(s->room_wait,
				dm_session_has_room(s), timeout);
	if (left < 0)
		return -EINTR;
	return left ? 0 : -ETIMEDOUT;
}

/*
 * Queue @ev on @s.  Synchronous messages wait for room while the new queue
 * holds max_queued_msgs; asynchronous ones are limited only by memory.
 * The list takes over the caller's reference.  A CANCEL names the event
 * it is @about (else NULL), and fails -EAGAIN if that one has moved from
 * @s to another session.
 */
static int dm_event_enqueue(struct dm_session *s, struct dm_event *ev,
			    const struct dm_event *about)
{
	bool sync = ev->token > 0;
	int err;

	for (;;) {
		mutex_lock(&s->lock);
		if (s->dead) {
			err = -EINVAL;
			goto out_unlock;
		}
		/* Moved meanwhile (dm_ioc_move_event(), under this lock). */
		if (about && READ_ONCE(about->session) != s) {
			err = -EAGAIN;
			goto out_unlock;
		}
		if (!sync || dm_session_has_room(s))
			break;
		mutex_unlock(&s->lock);
		err = dm_event_wait_room(s, ev);
		if (err)
			return err;
	}
	WRITE_ONCE(ev->session, s);
	WRITE_ONCE(ev->sid, s->sid);
	ev->state = DM_EVS_QUEUED;
	ev->deadline = dm_event_deadline(jiffies);
	list_add_tail(&ev->link, &s->newq);
	s->nr_new++;
	mutex_unlock(&s->lock);
	wake_up(&s->newq_wait);
	return 0;

out_unlock:
	mutex_unlock(&s->lock);
	return err;
}

/* The session @ev is queued or outstanding on, referenced, or NULL. */
static struct dm_session *dm_event_session(struct dm_event *ev)
{
	struct dm_session *s;

	rcu_read_lock();
	s = READ_ONCE(ev->session);
	if (s && !kref_get_unless_zero(&s->ref))
		s = NULL;
	rcu_read_unlock();
	return s;
}

/*
 * Tell the session of @ev that nobody waits for its answer any more: an
 * asynchronous CANCEL message with the event's sequence number and token.
 * The token stays outstanding; the DM application still answers it to
 * release what it holds.
 */
static void dm_event_cancel(struct dm_event *ev)
{
	struct dmapi_cancel_msg *ce;
	struct dm_session *s;
	struct dm_event *cev;
	int err;

	cev = dm_event_create(DMAPI_EVENT_CANCEL, sizeof(*ce), false);
	if (IS_ERR(cev))
		return;
	ce = (struct dmapi_cancel_msg *)cev->data;
	ce->ce_sequence = ev->sequence;
	ce->ce_token = ev->token;
	/* To the session that holds the token, which a move may change. */
	do {
		s = dm_event_session(ev);
		if (!s)
			break;		/* answered meanwhile */
		kref_get(&cev->ref);	/* the session's list's */
		err = dm_event_enqueue(s, cev, ev);
		if (err)
			dm_event_put(cev);
		dm_session_put(s);
	} while (err == -EAGAIN);
	dm_event_put(cev);
}

/* Whether @ev was answered, or its deadline moved on from @deadline. */
static bool dm_event_woken(struct dm_event *ev, unsigned long deadline)
{
	return smp_load_acquire(&ev->state) == DM_EVS_ANSWERED ||
	       READ_ONCE(ev->deadline) != deadline;
}

/*
 * Wait for the answer to @ev: with event_timeout set, until the event's
 * deadline or event_timeout from now, whichever is later, so that a
 * process joining an event others gave up on still waits its own time.
 */
static int dm_event_wait_answer(struct dm_event *ev)
{
	unsigned long own = dm_event_deadline(jiffies);
	unsigned long deadline, until, now;
	long timeout, left;

	for (;;) {
		deadline = READ_ONCE(ev->deadline);
		timeout = MAX_SCHEDULE_TIMEOUT;
		if (deadline) {
			until = own && time_after(own, deadline) ? own : deadline;
			now = jiffies;
			if (time_after_eq(now, until))
				return -ETIMEDOUT;
			timeout = until - now;
		}
		if (ev->interruptible)
			left = wait_event_interruptible_timeout(ev->wait,
					dm_event_woken(ev, deadline), timeout);
		else
			left = dm_wait_event_fs_timeout(ev->wait,
					dm_event_woken(ev, deadline), timeout);
		if (left < 0)
			return -EINTR;
		if (smp_load_acquire(&ev->state) == DM_EVS_ANSWERED)
			break;
	}
	return READ_ONCE(ev->reply);
}

/*
 * Whether the last waiter of @ev, giving up with @err, tells its session
 * that nobody waits any more: once, for an unanswered event that asks.
 */
static bool dm_event_given_up(struct dm_event *ev, int err)
{
	return (err == -EINTR || err == -ETIMEDOUT) && READ_ONCE(ev->cancel) &&
	       !dm_event_answered(ev) && !xchg(&ev->cancelled, true);
}

/**
 * dm_event_wait - wait for the answer to a synchronous event
 * @ev: the event, queued; the caller holds a reference
 *
 * Killable: the process behind a filesystem's event waits through stop,
 * continue and caught signals, as for fanotify's permission events, since
 * programs do not expect EINTR from a read or an open; a system suspend
 * freezes it where it waits.  A DM
 * application's own synchronous message (@ev->interruptible) is
 * interruptible.  With event_timeout set, gives up once the deadline,
 * which dm_pending() may move, has passed, and event_timeout since this
 * process began to wait.  The event stays with its
 * session either way: the DM application may still answer it.  Any
 * number of processes may wait for one event; when the last of them
 * gives up unanswered and @ev->cancel is set, the session is told with
 * a CANCEL message, once: a new access then posts an event of its own.
 *
 * Return: 0 (CONTINUE or DONTCARE), the errno of an ABORT, -EINTR,
 * -ETIMEDOUT.
 */
int dm_event_wait(struct dm_event *ev)
{
	int err;

	atomic_inc(&ev->waiters);
	err = dm_event_wait_answer(ev);
	if (atomic_dec_and_test(&ev->waiters) && dm_event_given_up(ev, err))
		dm_event_cancel(ev);
	return err;
}

/**
 * dm_event_wait_joined - dm_event_wait() for a waiter that others may join
 * @ev: the event; the caller holds a reference, and counted itself among
 *	its waiters when it made or found it, under @join_lock
 * @join_lock: the lock under which processes find @ev and join it
 *
 * The last waiter to give up decides, under @join_lock, that nobody
 * waits: a process joining meanwhile keeps the event alive, or finds it
 * cancelled and makes an event of its own.  A process that
 * made the event counts from then on, while it waits for room, so that
 * the waiters who joined it cannot cancel it before it is even queued.
 *
 * Return: as for dm_event_wait().
 */
int dm_event_wait_joined(struct dm_event *ev, struct mutex *join_lock)
{
	bool cancel = false;
	int err;

	err = dm_event_wait_answer(ev);
	if (atomic_dec_and_mutex_lock(&ev->waiters, join_lock)) {
		cancel = dm_event_given_up(ev, err);
		mutex_unlock(join_lock);
	}
	if (cancel)
		dm_event_cancel(ev);
	return err;
}

/**
 * dm_event_send - queue an event on a session and, if synchronous, wait
 * @s: the session
 * @ev: the event; the caller keeps its reference, and so can read the
 *	response once this returns
 *
 * The wait is dm_event_wait()'s, and holds no lock of its own.
 *
 * Return: 0 (asynchronous, or answered CONTINUE or DONTCARE), the errno
 * of an ABORT answer, or -EINVAL (the session is gone), -EINTR,
 * -ETIMEDOUT.
 */
int dm_event_send(struct dm_session *s, struct dm_event *ev)
{
	int err = dm_event_post(s, ev);

	if (err)
		return err;
	return ev->token > 0 ? dm_event_wait(ev) : 0;
}

/**
 * dm_event_post - queue an event on a session
 * @s: the session
 * @ev: the event; the caller keeps its reference
 *
 * Return: 0, or -EINVAL (the session is gone), -EINTR (a signal came
 * while waiting for room: a fatal one unless @ev->interruptible).
 */
int dm_event_post(struct dm_session *s, struct dm_event *ev)
{
	int err;

	kref_get(&ev->ref);	/* the session's list's */
	err = dm_event_enqueue(s, ev, NULL);
	if (err)
		dm_event_put(ev);
	return err;
}

/**
 * dm_event_abandon - end an event that could not be queued
 * @ev: the event, on no session
 * @reply: what its waiters get: 0 to go on, or a negative errno
 */
void dm_event_abandon(struct dm_event *ev, int reply)
{
	ev->reply = reply;
	ev->abandoned = true;
	smp_store_release(&ev->state, DM_EVS_ANSWERED);
	wake_up_all(&ev->wait);
}

/**
 * dm_event_abandoned - whether an event was ended without being queued
 * @ev: the event
 *
 * Return: true if dm_event_abandon() ended it; false while it is not
 * ended, or was answered.
 */
bool dm_event_abandoned(const struct dm_event *ev)
{
	return READ_ONCE(ev->abandoned);
}

/**
 * dm_event_answered - whether an event was answered or dropped
 * @ev: the event
 *
 * Return: true once it was.
 */
bool dm_event_answered(const struct dm_event *ev)
{
	return smp_load_acquire(&ev->state) == DM_EVS_ANSWERED;
}

/**
 * dm_session_has_token - whether a token is outstanding in a session
 * @s: the session
 * @token: the token
 *
 * Return: true if it is.
 */
bool dm_session_has_token(struct dm_session *s, int token)
{
	bool found;

	mutex_lock(&s->lock);
	found = dm_session_token_locked(s, token) != NULL;
	mutex_unlock(&s->lock);
	return found;
}

/* Copy in a user message of @len bytes, checking the size limit. */
static struct dm_event *dm_user_event(u64 umsg, u64 len, bool sync)
{
	struct dm_event *ev;

	if (len > READ_ONCE(dm_max_msg_data))
		return ERR_PTR(-E2BIG);
	ev = dm_event_create(DMAPI_EVENT_USER, len, sync);
	if (IS_ERR(ev))
		return ev;
	/* Its sender is a DM application, which handles EINTR. */
	ev->interruptible = true;
	if (copy_from_user(ev->data, u64_to_user_ptr(umsg), len)) {
		dm_event_put(ev);
		return ERR_PTR(-EFAULT);
	}
	return ev;
}

/**
 * dm_ioc_create_userevent - DMAPI_IOC_CREATE_USEREVENT
 * @uarg: struct dmapi_create_userevent_arg
 *
 * Makes an outstanding token carrying a user message that is never queued;
 * dm_find_eventmsg() returns the message and dm_respond_event() ends it.
 *
 * Return: 0, or -EINVAL (no such session), -E2BIG (message larger than
 * max_msg_data), -ENOMEM, -EFAULT (tokenp cannot be written: no token
 * made, unless it was unmapped since it was probed).
 */
long dm_ioc_create_userevent(void __user *uarg)
{
	struct dmapi_create_userevent_arg arg;
	struct dm_result token;
	struct dm_session *s;
	struct dm_event *ev;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	token = dm_result_at(arg.tokenp, sizeof(arg.token));
	if (dm_result_probe(&token))
		return -EFAULT;
	s = dm_session_get(arg.sid);
	if (!s)
		return -EINVAL;
	ev = dm_user_event(arg.msg, arg.msglen, true);
	if (IS_ERR(ev)) {
		err = PTR_ERR(ev);
		goto out;
	}
	arg.token = ev->token;
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		dm_event_put(ev);
		err = -EFAULT;
		goto out;
	}
	mutex_lock(&s->lock);
	if (s->dead) {
		mutex_unlock(&s->lock);
		dm_event_put(ev);
		err = -EINVAL;
		goto out;
	}
	WRITE_ONCE(ev->session, s);
	ev->state = DM_EVS_OUTSTANDING;
	list_add_tail(&ev->link, &s->tokens);
	s->nr_tokens++;
	mutex_unlock(&s->lock);
	/*
	 * Probed above: only a caller that unmapped it meanwhile gets a
	 * token it cannot learn, listed by dm_getall_tokens() to be answered.
	 */
	err = dm_result_put(&token, arg.token);
out:
	dm_session_put(s);
	return err;
}

/**
 * dm_ioc_send_msg - DMAPI_IOC_SEND_MSG
 * @uarg: struct dmapi_send_msg_arg
 *
 * Queues a user message on a session.  A synchronous message blocks the
 * sender until the DM application responds and returns the response's
 * errno (0 for CONTINUE); an asynchronous one returns at once.
 *
 * Return: 0, the errno of an ABORT response, or -EINVAL (no such session,
 * bad message type), -E2BIG, -EINTR (a signal ended the wait), -ETIMEDOUT
 * (event_timeout passed), -ENOMEM, -EFAULT.
 */
long dm_ioc_send_msg(void __user *uarg)
{
	struct dmapi_send_msg_arg arg;
	struct dm_session *s;
	struct dm_event *ev;
	bool sync;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	if (arg.msgtype != DMAPI_MSGTYPE_SYNC &&
	    arg.msgtype != DMAPI_MSGTYPE_ASYNC)
		return -EINVAL;
	sync = arg.msgtype == DMAPI_MSGTYPE_SYNC;
	s = dm_session_get(arg.sid);
	if (!s)
		return -EINVAL;
	ev = dm_user_event(arg.msg, arg.msglen, sync);
	if (IS_ERR(ev)) {
		err = PTR_ERR(ev);
		goto out;
	}
	err = dm_event_send(s, ev);
	dm_event_put(ev);
out:
	dm_session_put(s);
	return err;
}

/*
 * How many messages at the head of @s's new queue fit in @buflen bytes and
 * @maxmsgs messages (0: no limit), and their size.  One delivery copies at
 * most DMAPI_MAX_BATCH bytes through its bounce buffer; the caller gets
 * the rest with the next call.  @s->lock is held.
 */
static u32 dm_batch_size(struct dm_session *s, u64 buflen, u32 maxmsgs,
			 u64 *bytes)
{
	struct dm_event *ev;
	u32 n = 0;

	*bytes = 0;
	buflen = min_t(u64, buflen, DMAPI_MAX_BATCH);
	list_for_each_entry(ev, &s->newq, link) {
		size_t size = dm_event_msg_size(ev);

		if (*bytes + size > buflen || (maxmsgs && n == maxmsgs))
			break;
		*bytes += size;
		n++;
	}
	return n;
}

/*
 * Take the first @n messages off @s's new queue: synchronous ones become
 * outstanding, asynchronous ones are done.  @s->lock is held.
 */
static void dm_dequeue_batch(struct dm_session *s, u32 n)
{
	struct dm_event *ev, *next;

	list_for_each_entry_safe(ev, next, &s->newq, link) {
		if (!n--)
			break;
		list_del_init(&ev->link);
		s->nr_new--;
		s->delivered++;
		if (ev->token > 0) {
			ev->state = DM_EVS_OUTSTANDING;
			list_add_tail(&ev->link, &s->tokens);
			s->nr_tokens++;
		} else {
			WRITE_ONCE(ev->session, NULL);
			ev->state = DM_EVS_ANSWERED;
			dm_event_put(ev);
		}
	}
}

/*
 * Deliver what fits of @s's new queue to @ubuf.  The messages are copied
 * into a bounce buffer, then to user space with only @s->read_lock held,
 * and only then taken off the queue: a fault loses nothing.  Only delivery
 * removes messages from the new queue and @s->read_lock serialises it, so
 * the head of the queue cannot change meanwhile; senders only append.
 * The bytes used go to @urlen, and to the caller's @out, before the
 * messages leave the queue, with them.  The copies are made with page
 * faults disabled: a fault may send an event to this very session (a
 * store into a mapping of a managed file), which only another reader
 * could deliver.  Returns 1, with the batch's size in *@rlen, when the
 * caller's memory must be faulted in without @s->read_lock
 * (dm_events_fault_in()).
 */
static int dm_deliver(struct dm_session *s, u8 __user *ubuf, u64 buflen,
		      u32 maxmsgs, u64 __user *urlen,
		      const struct dm_result *out, u64 *rlen)
{
	struct dm_event *ev;
	u64 bytes, used = 0;
	u32 n, i = 0;
	u8 *bounce;
	int err = 0;

	lockdep_assert_held(&s->read_lock);
	mutex_lock(&s->lock);
	n = dm_batch_size(s, buflen, maxmsgs, &bytes);
	if (!n)
		*rlen = dm_event_msg_size(list_first_entry(&s->newq,
						struct dm_event, link));
	mutex_unlock(&s->lock);
	if (!n)
		return -E2BIG;

	bounce = kvmalloc(bytes, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	mutex_lock(&s->lock);
	list_for_each_entry(ev, &s->newq, link) {
		if (i++ == n)
			break;
		dm_event_fill_msg(ev, bounce + used, i == n);
		used += dm_event_msg_size(ev);
	}
	mutex_unlock(&s->lock);

	pagefault_disable();
	if (copy_to_user(ubuf, bounce, bytes) || put_user(bytes, urlen) ||
	    dm_result_put(out, bytes))
		err = 1;
	pagefault_enable();
	*rlen = bytes;
	if (err)
		goto out;
	mutex_lock(&s->lock);
	dm_dequeue_batch(s, n);
	mutex_unlock(&s->lock);
	wake_up_all(&s->room_wait);
out:
	kvfree(bounce);
	return err;
}

/*
 * Times a delivery faults its memory in and tries again: the memory may
 * be gone again by then (a right's drain write-protects a mapping).
 */
#define DM_DELIVER_ROUNDS	8

/*
 * Fault in the memory a delivery of @bytes to @ubuf, and of its size to
 * @urlen and @out, could not reach (dm_deliver()), without writing to it.
 */
static int dm_events_fault_in(u8 __user *ubuf, u64 bytes, u64 __user *urlen,
			      const struct dm_result *out)
{
	if (fault_in_safe_writeable((char __user *)ubuf, bytes) ||
	    fault_in_safe_writeable((char __user *)urlen, sizeof(*urlen)) ||
	    (out->addr && fault_in_safe_writeable(out->addr, out->size)))
		return -EFAULT;
	return 0;
}

/**
 * dm_ioc_get_events - DMAPI_IOC_GET_EVENTS
 * @uarg: struct dmapi_get_events_arg
 *
 * Return: 0 with whole messages in the buffer, or -EAGAIN (nothing queued
 * and no DMAPI_EV_WAIT), -E2BIG with the first message's size in buf.rlen,
 * -EINVAL (no such session), -EINTR, -ENOMEM, -EFAULT.
 */
long dm_ioc_get_events(void __user *uarg)
{
	struct dmapi_get_events_arg __user *u = uarg;
	struct dmapi_get_events_arg arg;
	struct dm_session *s;
	struct dm_result out;
	int err, rounds = 0;
	u64 rlen = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding)
		return -EINVAL;
	out = dm_result_size_t(arg.rlenp);
	/* Other flag bits are ignored, as SGI's implementation did. */
	s = dm_session_get(arg.sid);
	if (!s)
		return -EINVAL;

	if (mutex_lock_interruptible(&s->read_lock)) {
		err = -EINTR;
		goto out;
	}
	for (;;) {
		if (READ_ONCE(s->dead)) {
			err = -EINVAL;
			break;
		}
		if (READ_ONCE(s->nr_new)) {
			err = dm_deliver(s, u64_to_user_ptr(arg.buf.ptr),
					 arg.buf.len, arg.maxmsgs, &u->buf.rlen,
					 &out, &rlen);
			if (err != 1)
				break;
			mutex_unlock(&s->read_lock);
			err = -EFAULT;
			if (++rounds > DM_DELIVER_ROUNDS ||
			    dm_events_fault_in(u64_to_user_ptr(arg.buf.ptr),
					       rlen, &u->buf.rlen, &out))
				goto out;
			if (mutex_lock_interruptible(&s->read_lock)) {
				err = -EINTR;
				goto out;
			}
			continue;
		}
		if (!(arg.flags & DMAPI_EV_WAIT)) {
			err = -EAGAIN;
			break;
		}
		/* Let other readers of the session wait too. */
		mutex_unlock(&s->read_lock);
		if (wait_event_interruptible(s->newq_wait,
				READ_ONCE(s->nr_new) || READ_ONCE(s->dead))) {
			err = -EINTR;
			goto out;
		}
		if (mutex_lock_interruptible(&s->read_lock)) {
			err = -EINTR;
			goto out;
		}
	}
	mutex_unlock(&s->read_lock);
	/* Delivered, the size went with the messages (dm_deliver()). */
	if (err == -E2BIG &&
	    (put_user(rlen, &u->buf.rlen) || dm_result_put(&out, rlen)))
		err = -EFAULT;
out:
	dm_session_put(s);
	return err;
}

/**
 * dm_ioc_respond_event - DMAPI_IOC_RESPOND_EVENT
 * @uarg: struct dmapi_respond_arg
 *
 * CONTINUE lets the sender proceed (reterror must be 0); ABORT fails it
 * with reterror, a positive errno; DONTCARE (reterror 0) is for MOUNT
 * events only: the event goes on to the next session.
 *
 * Return: 0, or -ESRCH (the token is not outstanding in the session),
 * -EINVAL (no such session, invalid token, bad response or reterror),
 * -E2BIG (response data larger than max_msg_data), -EFAULT.
 */
long dm_ioc_respond_event(void __user *uarg)
{
	struct dmapi_respond_arg arg;
	struct dm_session *s;
	struct dm_event *ev;
	int reply, err = 0;
	LIST_HEAD(gone);

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	switch (arg.response) {
	case DMAPI_RESP_CONTINUE:
		if (arg.reterror)
			return -EINVAL;
		reply = 0;
		break;
	case DMAPI_RESP_ABORT:
		/* From ERESTARTSYS on, errnos are the kernel's own. */
		if (arg.reterror <= 0 || arg.reterror >= ERESTARTSYS)
			return -EINVAL;
		reply = -arg.reterror;
		break;
	case DMAPI_RESP_DONTCARE:
		if (arg.reterror)
			return -EINVAL;
		reply = 0;
		break;
	default:
		return -EINVAL;
	}
	if (arg.buflen > READ_ONCE(dm_max_msg_data))
		return -E2BIG;
	if (arg.token <= 0)
		return -EINVAL;
	s = dm_session_get(arg.sid);
	if (!s)
		return -EINVAL;
	mutex_lock(&s->lock);
	ev = dm_session_token_locked(s, arg.token);
	if (!ev)
		err = -ESRCH;
	else if (arg.response == DMAPI_RESP_DONTCARE &&
		 ev->type != DMAPI_EVENT_MOUNT)
		err = -EINVAL;
	else
		dm_event_answer(s, ev, arg.response, reply, &gone);
	mutex_unlock(&s->lock);
	dm_rights_put(&gone);
	dm_session_put(s);
	return err;
}

/**
 * dm_ioc_find_eventmsg - DMAPI_IOC_FIND_EVENTMSG
 * @uarg: struct dmapi_find_eventmsg_arg
 *
 * Return: 0 with the token's message in the buffer, or -ESRCH (token not
 * outstanding), -EINVAL (no such session), -E2BIG with the size in
 * buf.rlen, -EFAULT.
 */
long dm_ioc_find_eventmsg(void __user *uarg)
{
	struct dmapi_find_eventmsg_arg arg;
	struct dm_session *s;
	struct dm_event *ev;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	if (arg.token <= 0)
		return -EINVAL;
	s = dm_session_get(arg.sid);
	if (!s)
		return -EINVAL;
	mutex_lock(&s->lock);
	ev = dm_session_token_locked(s, arg.token);
	if (ev)
		kref_get(&ev->ref);
	mutex_unlock(&s->lock);
	dm_session_put(s);
	if (!ev)
		return -ESRCH;

	/* The message is immutable: copy it out with no lock held. */
	arg.buf.rlen = dm_event_msg_size(ev);
	if (arg.buf.len < arg.buf.rlen) {
		err = -E2BIG;
	} else {
		u8 *bounce = kvmalloc(arg.buf.rlen, GFP_KERNEL);

		err = -ENOMEM;
		if (bounce) {
			dm_event_fill_msg(ev, bounce, true);
			err = copy_to_user(u64_to_user_ptr(arg.buf.ptr), bounce,
					   arg.buf.rlen) ? -EFAULT : 0;
			kvfree(bounce);
		}
	}
	dm_event_put(ev);
	if ((err == 0 || err == -E2BIG) && copy_to_user(uarg, &arg, sizeof(arg)))
		err = -EFAULT;
	return err;
}

/**
 * dm_ioc_getall_tokens - DMAPI_IOC_GETALL_TOKENS
 * @uarg: struct dmapi_getall_arg
 *
 * Return: 0 with the session's outstanding tokens, oldest first, or
 * -E2BIG with their number in nelem_out, -EINVAL (no such session),
 * -EFAULT.
 */
long dm_ioc_getall_tokens(void __user *uarg)
{
	struct dmapi_getall_arg arg;
	struct dm_session *s;
	struct dm_event *ev;
	u32 n, room = 0;
	s32 *tokens = NULL;
	int err = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;
	s = dm_session_get(arg.sid);
	if (!s)
		return -EINVAL;

	/* Size the array with the lock dropped; retry if tokens came since. */
	for (;;) {
		mutex_lock(&s->lock);
		n = s->nr_tokens;
		if (arg.nelem < n) {
			err = -E2BIG;
			break;
		}
		if (n <= room) {
			n = 0;
			list_for_each_entry(ev, &s->tokens, link)
				tokens[n++] = ev->token;
			break;
		}
		mutex_unlock(&s->lock);
		kvfree(tokens);
		room = n + 16;
		tokens = kvmalloc_array(room, sizeof(*tokens), GFP_KERNEL);
		if (!tokens) {
			err = -ENOMEM;
			goto out;
		}
	}
	mutex_unlock(&s->lock);

	arg.nelem_out = n;
	if (!err && n && copy_to_user(u64_to_user_ptr(arg.buf), tokens,
				      n * sizeof(*tokens)))
		err = -EFAULT;
	if (err != -EFAULT && copy_to_user(uarg, &arg, sizeof(arg)))
		err = -EFAULT;
out:
	kvfree(tokens);
	dm_session_put(s);
	return err;
}

/**
 * dm_ioc_move_event - DMAPI_IOC_MOVE_EVENT
 * @uarg: struct dmapi_move_event_arg
 *
 * Moves an outstanding event, with its waiting sender, to another session;
 * it keeps its token.
 *
 * Return: 0, or -ESRCH (token not outstanding in the source), -EINVAL (no
 * such session), -EFAULT (rtokenp cannot be written: nothing moved,
 * unless it was unmapped since it was probed).
 */
long dm_ioc_move_event(void __user *uarg)
{
	struct dmapi_move_event_arg arg;
	struct dm_session *src, *dst;
	struct dm_result rtoken;
	struct dm_event *ev;
	int err = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.token <= 0)
		return -EINVAL;
	rtoken = dm_result_at(arg.rtokenp, sizeof(arg.rtoken));
	if (dm_result_probe(&rtoken))
		return -EFAULT;
	src = dm_session_get(arg.srcsid);
	if (!src)
		return -EINVAL;
	dst = dm_session_get(arg.targetsid);
	if (!dst) {
		dm_session_put(src);
		return -EINVAL;
	}
	dm_session_lock_two(src, dst);
	ev = dm_session_token_locked(src, arg.token);
	if (!ev) {
		err = -ESRCH;
	} else if (dst->dead) {
		err = -EINVAL;
	} else if (src != dst) {
		list_move_tail(&ev->link, &dst->tokens);
		src->nr_tokens--;
		dst->nr_tokens++;
		WRITE_ONCE(ev->session, dst);
		WRITE_ONCE(ev->sid, dst->sid);
	}
	dm_session_unlock_two(src, dst);
	dm_session_put(dst);
	dm_session_put(src);
	if (err)
		return err;
	arg.rtoken = arg.token;
	if (copy_to_user(uarg, &arg, sizeof(arg)) ||
	    dm_result_put(&rtoken, arg.rtoken))
		return -EFAULT;
	return 0;
}

/**
 * dm_ioc_pending - DMAPI_IOC_PENDING
 * @uarg: struct dmapi_pending_arg
 *
 * The DM application says it is still working on an event and how long it
 * expects to need: with event_timeout set, the sender's deadline moves to
 * at least now + delay (and never less than a fresh event_timeout).
 *
 * Return: 0, or -ESRCH (token not outstanding), -EINVAL (no such session,
 * negative or malformed delay), -EFAULT.
 */
long dm_ioc_pending(void __user *uarg)
{
	struct dmapi_pending_arg arg;
	struct dm_session *s;
	struct dm_event *ev;
	unsigned long deadline;
	int err = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;
	if (arg.token <= 0)
		return -EINVAL;
	if (arg.delay_sec < 0 || arg.delay_nsec < 0 ||
	    arg.delay_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	s = dm_session_get(arg.sid);
	if (!s)
		return -EINVAL;
	mutex_lock(&s->lock);
	ev = dm_session_token_locked(s, arg.token);
	if (!ev) {
		err = -ESRCH;
	} else if (ev->deadline) {
		u64 delay = min_t(u64, arg.delay_sec, MAX_JIFFY_OFFSET / HZ / 2);

		deadline = jiffies + delay * HZ +
			   nsecs_to_jiffies(arg.delay_nsec);
		deadline = max(deadline, dm_event_deadline(jiffies));
		WRITE_ONCE(ev->deadline, deadline);
		wake_up_all(&ev->wait);
	}
	mutex_unlock(&s->lock);
	dm_session_put(s);
	return err;
}

/**
 * dm_session_drain - drop every message and token of a session
 * @s: the session, with no process inside the module
 *
 * Used only at module unload, when no sender can be waiting.
 */
void dm_session_drain(struct dm_session *s)
{
	struct dm_event *ev, *next;

	list_for_each_entry_safe(ev, next, &s->newq, link) {
		list_del_init(&ev->link);
		dm_event_put(ev);
	}
	list_for_each_entry_safe(ev, next, &s->tokens, link) {
		LIST_HEAD(gone);

		list_del_init(&ev->link);
		dm_rights_drop(ev, &gone);
		dm_rights_put(&gone);
		dm_event_put(ev);
	}
	s->nr_new = 0;
	s->nr_tokens = 0;
}

/**
 * dm_event_init - set up the token table
 *
 * Return: 0.
 */
int dm_event_init(void)
{
	return 0;
}

/**
 * dm_event_exit - at module unload, when no event is left
 */
void dm_event_exit(void)
{
	WARN_ON_ONCE(!hash_empty(dm_tokens));
}
