/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the dmapi core: sessions, events and tokens,
 * configuration.  The core knows no filesystem; filesystem providers call
 * it to send events and register the operations used by handle.
 */
#ifndef _DMAPI_CORE_H
#define _DMAPI_CORE_H

#include <linux/align.h>
#include <linux/compat.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <xdsm/dmapi_ioctl.h>

#include "compat.h"


#define DM_NO_SESSION		0
#define DM_INVALID_TOKEN	0
#define DM_NO_TOKEN		(-1)

/*
 * How a filesystem's process waits on a DM application: killably, and
 * freezable, so that a system suspend freezes it instead of failing for
 * it; "unsafe" because it may hold a directory's lock or the mmap lock,
 * which it keeps while frozen, as NFS's waits on a server do.
 */
#define DM_TASK_FS_WAIT		(TASK_KILLABLE | TASK_FREEZABLE_UNSAFE)

/* The largest max_msg_data may be set to. */
#define DMAPI_MAX_MSG_DATA_LIMIT	(16U << 20)
/* The most max_regions may be set to: their xattr stays within 3 KiB. */
#define DMAPI_MAX_REGIONS_LIMIT		128

/* Module parameters (main.c). */
extern unsigned int dm_max_sessions;
extern unsigned int dm_max_queued_msgs;
extern unsigned int dm_max_msg_data;
extern unsigned int dm_event_timeout;
extern unsigned int dm_max_regions;
extern unsigned int dm_max_attr_size;
extern unsigned int dm_max_stats_regions;

/**
 * struct dm_session - a DMAPI session
 * @sid: the session id, > 0
 * @ref: references: the session table holds one, each user of the session
 *	one more
 * @read_lock: serialises delivery: while it is held, only its holder takes
 *	messages off @newq, so the head of the queue stays put
 * @lock: protects everything below; never held across a user copy, an
 *	allocation that may reclaim, or a wait
 * @info: the info string given at creation or takeover, NUL-terminated
 * @newq: messages queued and not yet delivered by dm_get_events()
 * @nr_new: length of @newq
 * @tokens: events delivered or created and not yet answered (outstanding)
 * @nr_tokens: length of @tokens
 * @delivered: messages delivered since the session was created
 * @answered: tokens answered since then
 * @dead: the session was destroyed; waiters return
 * @mount_disp: the session holds the MOUNT disposition (global handle)
 * @newq_wait: dm_get_events() waits here for messages
 * @room_wait: senders wait here while @newq is full
 * @rcu: frees the session, so that a waiter may look at the session of
 *	its event under rcu_read_lock() (dm_event_cancel())
 *
 * A session belongs to no process: it lives until dm_destroy_session() and
 * can be taken over with dm_create_session(oldsid).
 */
struct dm_session {
	int			sid;
	struct kref		ref;
	struct mutex		read_lock;
	struct mutex		lock;
	char			info[DMAPI_SESSION_INFO_LEN];
	struct list_head	newq;
	unsigned int		nr_new;
	struct list_head	tokens;
	unsigned int		nr_tokens;
	u64			delivered;
	u64			answered;
	bool			dead;
	bool			mount_disp;
	wait_queue_head_t	newq_wait;
	wait_queue_head_t	room_wait;
	struct rcu_head		rcu;
};

/* The life of an event. */
enum dm_event_state {
	DM_EVS_QUEUED,		/* on a session's newq */
	DM_EVS_OUTSTANDING,	/* on a session's token list */
	DM_EVS_ANSWERED,	/* responded to, or dropped */
};

/**
 * struct dm_event - one message and, if synchronous, its token
 * @link: on the owning session's newq or token list
 * @token_link: in the table of tokens, by token (event.c)
 * @ref: the owning list holds one reference, a waiting sender another
 * @session: the owning session (changed by dm_move_event(), under both
 *	sessions' locks); NULL once answered or delivered asynchronous
 * @sid: the id of the session it was last queued on or moved to, for
 *	the monitor
 * @token: DM_INVALID_TOKEN for asynchronous messages
 * @sequence: the message's sequence number
 * @type: enum dm_event_type
 * @state: enum dm_event_state, written under the owner's lock
 * @reply: the response's errno for the sender, 0 for CONTINUE
 * @response: the DMAPI_RESP_* answer, 0 until answered
 * @deadline: jiffies after which the waiting sender gives up when
 *	dm_event_timeout is set; moved forward by dm_pending().  Before the
 *	event is queued, the end of its wait for room; a process that
 *	joins it later waits event_timeout of its own at least
 * @wait: the sender waits here for the answer
 * @waiters: processes waiting in dm_event_wait(), or counted from when
 *	they made or joined it (dm_event_wait_joined())
 * @cancel: when the last waiter gives up unanswered, its session gets a
 *	CANCEL message (set by the sender before it waits)
 * @cancelled: its CANCEL message was sent: a new access does not join it
 * @abandoned: ended by dm_event_abandon() without ever being queued
 * @interruptible: any signal ends its sender's waits (a DM application's
 *	own synchronous message); otherwise only a fatal one does
 * @datalen: bytes of @data
 * @rights: the access rights and object references the token holds
 *	(right.c), under its lock
 * @pending: a data event's entry in the table of pending accesses
 *	(access.c), under that table's lock; NULL once out of it
 * @grants: a data event's count of the rights granted on its object
 *	(dm_rights_grants_of()), or NULL
 * @grants_answered: what @grants counted when the event was answered,
 *	its handler's own rights included (read once @state is answered)
 * @pid: the thread group that caused it
 * @created: when it was made, for the monitor's latency
 * @data: the message's ev_data payload
 */
struct dm_event {
	struct list_head	link;
	struct hlist_node	token_link;
	struct kref		ref;
	struct dm_session	*session;
	int			sid;
	int			token;
	u32			sequence;
	int			type;
	int			state;
	int			reply;
	int			response;
	unsigned long		deadline;
	wait_queue_head_t	wait;
	atomic_t		waiters;
	bool			cancel;
	bool			cancelled;
	bool			abandoned;
	bool			interruptible;
	u32			datalen;
	struct list_head	rights;
	void			*pending;
	atomic_t		*grants;
	int			grants_answered;
	pid_t			pid;
	ktime_t			created;
	u8			data[];
};

/* session.c */
int dm_session_init(void);
void dm_session_exit(void);
struct dm_session *dm_session_get(int sid);
void dm_session_put(struct dm_session *s);
void dm_session_lock_two(struct dm_session *a, struct dm_session *b);
void dm_session_unlock_two(struct dm_session *a, struct dm_session *b);
long dm_ioc_create_session(void __user *uarg);
long dm_ioc_destroy_session(void __user *uarg);
long dm_ioc_getall_sessions(void __user *uarg);
long dm_ioc_query_session(void __user *uarg);
struct dm_session *dm_session_next_mounter(int after);
struct dm_session *dm_session_next(unsigned long *sid);
void dm_sessions_wake_senders(void);

/**
 * struct dm_session_counts - a session's state, for the monitor
 * @info: its info string
 * @queued: messages not yet delivered
 * @outstanding: tokens not yet answered
 * @rights: rights records those tokens hold
 * @delivered: messages delivered since it was created
 * @answered: tokens answered since then
 */
struct dm_session_counts {
	char		info[DMAPI_SESSION_INFO_LEN];
	u32		queued;
	u32		outstanding;
	u32		rights;
	u64		delivered;
	u64		answered;
};

void dm_session_counts(struct dm_session *s, struct dm_session_counts *c);

/* event.c */
int dm_event_init(void);
void dm_event_exit(void);
void dm_session_drain(struct dm_session *s);
struct dm_event *dm_event_create(int type, u32 len, bool sync);
void dm_event_put(struct dm_event *ev);
int dm_event_send(struct dm_session *s, struct dm_event *ev);
int dm_event_post(struct dm_session *s, struct dm_event *ev);
int dm_event_wait(struct dm_event *ev);
int dm_event_wait_joined(struct dm_event *ev, struct mutex *join_lock);
bool dm_event_answered(const struct dm_event *ev);
void dm_event_abandon(struct dm_event *ev, int reply);
bool dm_event_abandoned(const struct dm_event *ev);
bool dm_session_has_token(struct dm_session *s, int token);
struct dm_event *dm_session_token_locked(struct dm_session *s, int token);
long dm_ioc_create_userevent(void __user *uarg);
long dm_ioc_send_msg(void __user *uarg);
long dm_ioc_get_events(void __user *uarg);
long dm_ioc_respond_event(void __user *uarg);
long dm_ioc_find_eventmsg(void __user *uarg);
long dm_ioc_getall_tokens(void __user *uarg);
long dm_ioc_move_event(void __user *uarg);
long dm_ioc_pending(void __user *uarg);

/* config.c */
long dm_ioc_get_config(void __user *uarg);
long dm_ioc_get_config_events(void __user *uarg);

struct dm_fs;
struct dm_scan;
struct inode;

/**
 * struct dm_fs_ops - what a filesystem provider does for the core
 * @resolve: find the object @ino/@gen of @fs; on success fill @path (the
 *	object's lower path, referenced).  An object outside the managed
 *	tree, removed, or of another generation is -EBADF.
 * @relpath: write the path of @dentry (a lower directory of @fs)
 *	relative to the root of @fs into @buf of @len bytes; return the
 *	start of the string in @buf or an ERR_PTR.
 * @scan: the objects of @fs in ascending inode number from @s->pos
 *	(struct dm_scan); may have the lower filesystem write @s->scratch.
 * @drain_io: wait, interruptibly and for @timeout jiffies at most, until
 *	no access of the object @lower admitted through @fs is left of
 *	those that change data, and of reads too if @reads, then make the
 *	next store through any mapping of it fault; return 0,
 *	-ERESTARTSYS or -ETIMEDOUT.
 * @changed: a call by handle changed the attributes of the object
 *	@lower (its size, mode, owner or times): what @fs keeps of them
 *	takes them now.
 * @upper: the inode @fs shows for the object @lower, referenced, or NULL
 *	if none is cached: what runs, leases or is delegated through the
 *	mount is marked there.  Valid while @fs is held.
 */
struct dm_fs_ops {
	int (*resolve)(struct dm_fs *fs, u64 ino, u32 gen, struct path *path);
	char *(*relpath)(struct dm_fs *fs, struct dentry *dentry, char *buf,
			 int len);
	int (*scan)(struct dm_fs *fs, struct dm_scan *s);
	int (*drain_io)(struct dm_fs *fs, struct inode *lower, bool reads,
			unsigned long timeout);
	void (*changed)(struct dm_fs *fs, struct inode *lower);
	struct inode *(*upper)(struct dm_fs *fs, struct inode *lower);
};

/*
 * The user memory a step of a scan may have its lower filesystem write:
 * XFS's bulkstat header and 64 of its records take 12 KiB.
 */
#define DM_SCAN_SCRATCH_SIZE	(16 * 1024)

/**
 * struct dm_scan - one step of a scan of a whole filesystem
 * @pos: in: the first inode number to look at; out: the next one
 * @end: out: no inode number at or above @pos is left
 * @paths: out: the lower paths of the objects found, referenced
 * @max: room in @paths
 * @n: out: paths stored
 * @scratch: user memory of the caller's the step may have the lower
 *	filesystem write, private to the scan
 * @scratch_len: its size, DM_SCAN_SCRATCH_SIZE
 */
struct dm_scan {
	u64		pos;
	bool		end;
	struct path	*paths;
	int		max;
	int		n;
	unsigned long	scratch;
	size_t		scratch_len;
};

/*
 * The module's objects alive now, by kind (debugfs.c): dm_live_inc() at
 * each allocation, dm_live_dec() at each free.
 */
enum dm_live_kind {
	DM_LIVE_SESSIONS,
	DM_LIVE_EVENTS,
	DM_LIVE_RIGHTS,
	DM_LIVE_INTERESTS,
	DM_LIVE_STATS_GROUPS,
	DM_LIVE_STATS_REGIONS,
	DM_LIVE_INODES,
	DM_LIVE_FILESYSTEMS,
	DM_LIVE_NR
};

extern atomic_long_t dm_live[DM_LIVE_NR];

static inline void dm_live_inc(enum dm_live_kind kind)
{
	atomic_long_inc(&dm_live[kind]);
}

static inline void dm_live_dec(enum dm_live_kind kind)
{
	atomic_long_dec(&dm_live[kind]);
}

void dm_debugfs_init(void);
void dm_debugfs_exit(void);

/**
 * struct dm_fs_stats - what a filesystem's events did, for the monitor
 * @events: events queued, by type
 * @answers: waits ended (and asynchronous events queued), by
 *	enum dmapi_answer
 * @waits: waits ended
 * @wait_ns: their total time, from each event's creation
 * @wait_hist: their times, in DMAPI_WAIT_BUCKETS buckets of powers of
 *	two microseconds
 */
struct dm_fs_stats {
	atomic64_t	events[DMAPI_EVENT_MAX];
	atomic64_t	answers[DMAPI_ANSWER_MAX];
	atomic64_t	waits;
	atomic64_t	wait_ns;
	atomic64_t	wait_hist[DMAPI_WAIT_BUCKETS];
};

/**
 * struct dm_fs - a DMAPI-managed filesystem, as the core knows it
 * @link: in the core's list of managed filesystems
 * @serial: its place in that list, which only grows: a netlink dump goes
 *	back to it
 * @fsid: the id in its handles; one mount per fsid at a time
 * @sb: its superblock, to recognise its files; NULL until the mount is
 *	set up (the MOUNT event comes before)
 * @ops: the provider's operations
 * @lower: the lower tree's root, owned by the provider
 * @mountpoint: where it is mounted, as the mount said (NUL-terminated)
 * @lower_name: the lower directory's path (NUL-terminated)
 * @rdonly: mounted read-only
 * @forced: a forced unmount was asked for
 * @lock: protects @disp and @events
 * @disp: for each event, the id of the session that receives it, or 0
 * @events: the filesystem's event list (per mount)
 * @ninherit: how many DM attributes new objects inherit (inherit.c)
 * @making: creations by handle between their object's making and the end
 *	of its inheritance (byhandle.c); lookups through the mount that find
 *	an object wait for them (dm_fs_making())
 * @users: 1 while registered, and 1 for each call working on it
 * @dying: unregistered: no call finds it, but its fsid stays taken until
 *	dm_fs_forget(), so that no new mount's MOUNT comes before its UNMOUNT;
 *	written under the list's mutex
 * @stats: its events' counters since it was mounted
 *
 * The provider registers it once the filesystem can serve handles,
 * unregisters it before its teardown and forgets it after; the core
 * calls @ops only between registering and unregistering, which waits for
 * the calls that hold it (dm_fs_get()).
 */
struct dm_fs {
	struct list_head		link;
	u64				serial;
	u64				fsid;
	struct super_block		*sb;
	const struct dm_fs_ops		*ops;
	const struct path		*lower;
	char				*mountpoint;
	char				*lower_name;
	bool				rdonly;
	bool				forced;
	spinlock_t			lock;
	int				disp[DMAPI_EVENT_MAX];
	u64				events;
	unsigned int			ninherit;
	atomic_t			making;
	refcount_t			users;
	bool				dying;
	struct dm_fs_stats		stats;
};

/**
 * dm_deleg_retry - after a change that met an NFS delegation
 * @delegated: the inode whose delegation failed the change -EWOULDBLOCK,
 *	or NULL if none did
 * @err: the change's result; becomes the recall's if there was one
 *
 * Waits for the recall, the caller's locks of the change let go, as the
 * system calls do.  Through the mount, the VFS holds ours meanwhile: the
 * directories involved, and renames across directories of the mount,
 * wait for the client to return the delegation too; its recall needs
 * none of them.
 *
 * Return: whether to make the change again.
 */
static inline bool dm_deleg_retry(struct inode **delegated, int *err)
{
	if (!*delegated)
		return false;
	*err = break_deleg_wait(delegated);
	return !*err;
}

/*
 * Append @len bytes of @src at *@pos of @buf, described by @vd relative to
 * the struct at @base; *@pos moves on, past the padding.
 */
static inline void dm_vardata_put(u8 *buf, u32 base, u32 *pos,
				  struct dmapi_vardata *vd, const void *src,
				  u32 len)
{
	vd->vd_offset = *pos - base;
	vd->vd_length = len;
	memcpy(buf + *pos, src, len);
	memset(buf + *pos + len, 0, ALIGN(len, DMAPI_MSG_ALIGN) - len);
	*pos += ALIGN(len, DMAPI_MSG_ALIGN);
}

/**
 * dm_copy_filled - end a call that fills a buffer
 * @err: the call's result so far
 * @uarg: the caller's argument struct
 * @arg: ours, @size bytes, whose @buf says what to copy
 * @size: its size
 * @buf: the struct dmapi_buffer in @arg
 * @data: the bytes for the caller's buffer, @buf->rlen of them
 *
 * On success the data and the argument go back; on E2BIG the argument
 * alone, with the size needed.
 *
 * Return: @err, or -EFAULT.
 */
static inline int dm_copy_filled(int err, void __user *uarg, const void *arg,
				 size_t size, const struct dmapi_buffer *buf,
				 const void *data)
{
	if (!err && copy_to_user(u64_to_user_ptr(buf->ptr), data, buf->rlen))
		err = -EFAULT;
	if ((!err || err == -E2BIG) && copy_to_user(uarg, arg, size))
		err = -EFAULT;
	return err;
}

/**
 * struct dm_result - where a call stores a result of its caller's
 * @addr: the user address the caller gave (protocol 1.11), or NULL
 * @size: its size in bytes: 4, or 8
 *
 * An application passes the address of its own variable, so that the
 * module, not the library after the call, learns whether it can be
 * written: before an effect that cannot be undone (dm_result_probe()),
 * or together with one (dm_deliver()).
 */
struct dm_result {
	void __user	*addr;
	size_t		size;
};

/* The result at @addr of @size bytes; @addr 0 is none. */
static inline struct dm_result dm_result_at(u64 addr, size_t size)
{
	return (struct dm_result){ u64_to_user_ptr(addr), size };
}

/*
 * The caller's size_t, which is 4 bytes in a 32-bit process: a count of
 * bytes (rlenp).
 */
static inline struct dm_result dm_result_size_t(u64 addr)
{
	return dm_result_at(addr, in_compat_syscall() ? sizeof(u32) :
						       sizeof(size_t));
}

/**
 * dm_result_probe - whether a result can be stored, before it is made
 * @r: where; nothing is asked if none
 *
 * What is there is read and written back: a racing store of the caller's
 * own to its own result may be lost.
 *
 * Return: 0 or -EFAULT.
 */
static inline int dm_result_probe(const struct dm_result *r)
{
	u64 v = 0;

	if (!r->addr)
		return 0;
	if (copy_from_user(&v, r->addr, r->size) ||
	    copy_to_user(r->addr, &v, r->size))
		return -EFAULT;
	return 0;
}

/**
 * dm_result_put - store a result
 * @r: where; nothing is stored if none
 * @val: the value, stored in @r->size bytes
 *
 * Safe with page faults disabled: a page not present fails.
 *
 * Return: 0 or -EFAULT.
 */
static inline int dm_result_put(const struct dm_result *r, u64 val)
{
	u32 narrow = val;

	if (!r->addr)
		return 0;
	if (copy_to_user(r->addr, r->size == sizeof(narrow) ?
				  (void *)&narrow : (void *)&val, r->size))
		return -EFAULT;
	return 0;
}

/* handle.c */
int dm_fs_register(struct dm_fs *fs);
void dm_fs_attach(struct dm_fs *fs, struct super_block *sb);
void dm_fs_unregister(struct dm_fs *fs);
void dm_fs_forget(struct dm_fs *fs);
int dm_handle_check(u64 uptr, u64 len);

/*
 * A handle from user space, as the calls on handles take it: the global
 * handle, a filesystem (fsid only) or an object.
 */
enum dm_handle_kind {
	DM_HANDLE_GLOBAL,
	DM_HANDLE_FS,
	DM_HANDLE_OBJECT,
};

struct dm_user_handle {
	enum dm_handle_kind	kind;
	struct dmapi_handle	h;
};

int dm_handle_get(u64 uptr, u64 len, struct dm_user_handle *uh);
void dm_fs_lock(void);
void dm_fs_unlock(void);
struct dm_fs *dm_fs_find_locked(u64 fsid);
struct dm_fs *dm_fs_get(u64 fsid);
void dm_fs_put(struct dm_fs *fs);
void dm_fs_changed(u64 fsid, struct inode *lower);
struct dm_fs *dm_fs_next_locked(struct dm_fs *fs);
#define dm_fs_for_each_locked(fs) \
	for (fs = dm_fs_next_locked(NULL); fs; fs = dm_fs_next_locked(fs))
int dm_handle_resolve(const struct dmapi_handle *h, struct path *path);
bool dm_fs_contains(const struct dm_fs *fs, const struct path *path);
void dm_inode_handle(const struct dm_fs *fs, const struct inode *inode,
		     struct dmapi_handle *h);
void dm_fs_root_handle(const struct dm_fs *fs, struct dmapi_handle *h);
long dm_ioc_fd_to_handle(void __user *uarg);
long dm_ioc_open_by_handle(void __user *uarg);
long dm_ioc_handle_to_path(void __user *uarg);

/* disp.c */
u64 dm_obj_valid_events(const struct inode *inode);

/**
 * struct dm_handle_call - a call on a handle in a session, checked
 * @s: the session, referenced
 * @uh: the handle
 * @token: the token given, DM_NO_TOKEN or outstanding in @s
 */
struct dm_handle_call {
	struct dm_session	*s;
	struct dm_user_handle	uh;
	int			token;
};

struct dm_right;

/**
 * struct dm_call_right - the right a call on an object works under
 * @implicit: the right a DM_NO_TOKEN call took for its duration, or NULL
 * @tokenless: the call has no token: @implicit is its own right
 * @fsid: the object's filesystem
 * @ino: the object's inode number
 * @gen: the object's generation
 * @need: the right the call needs (dm_call_right_begin())
 * @how: what the call does under it (dm_call_right_begin())
 */
struct dm_call_right {
	struct dm_right		*implicit;
	bool			tokenless;
	u64			fsid;
	u64			ino;
	u32			gen;
	int			need;
	unsigned int		how;
};

/*
 * What a call does under its right (dm_call_right_begin()): it reads or
 * changes the data or the size; it changes regions or event lists.  The
 * right of either waits for the I/O admitted before it.  A call on a
 * regular file's data or regions finds any other object EINVAL, before
 * it waits for a right (dm_handle_object()).
 */
#define DM_CALL_DATA		0x1
#define DM_CALL_DECIDES		0x2
#define DM_CALL_FILE		0x4

int dm_handle_call_begin(struct dm_handle_call *c, s32 sid, s32 token,
			 u64 hanp, u64 hlen);
int dm_handle_call_begin_read(struct dm_handle_call *c, s32 sid, s32 token,
			      const struct dm_user_handle *uh, int read_err);
void dm_handle_call_end(struct dm_handle_call *c);
int dm_fs_session_for(struct dm_fs *fs, int type, u64 obj_events);
bool dm_fs_wants_cancel(struct dm_fs *fs);
int dm_fs_rod_name(struct dm_fs *fs, u8 *name);
void dm_disp_release_session(int sid);
int dm_obj_events(const struct path *path, u64 *events);
int dm_handle_call_path(struct dm_handle_call *c, struct path *path);
int dm_handle_object(s32 sid, s32 token, u64 hanp, u64 hlen, int need,
		     unsigned int how, struct path *path,
		     struct dm_call_right *cr);
ssize_t dm_xattr_load(const struct path *path, const char *name, void *value,
		      size_t size);
ssize_t dm_xattr_list(struct dentry *dentry, char **listp);
int dm_xattr_store(const struct path *path, const char *name,
		   const void *value, size_t len);
int dm_xattr_set(const struct path *path, const char *name, const void *value,
		 size_t len);
int dm_xattr_remove(const struct path *path, const char *name);
long dm_ioc_set_disp(void __user *uarg);
long dm_ioc_getall_disp(void __user *uarg);
long dm_ioc_set_eventlist(void __user *uarg);
long dm_ioc_get_eventlist(void __user *uarg);
long dm_ioc_set_return_on_destroy(void __user *uarg);

/* region.c */
long dm_ioc_set_region(void __user *uarg);
long dm_ioc_get_region(void __user *uarg);
int dm_regions_load(const struct path *path, struct dmapi_region *r);

/* data.c */
long dm_ioc_read_invis(void __user *uarg);
long dm_ioc_write_invis(void __user *uarg);
long dm_ioc_punch_hole(void __user *uarg);
long dm_ioc_probe_hole(void __user *uarg);
long dm_ioc_get_allocinfo(void __user *uarg);
long dm_ioc_sync_by_handle(void __user *uarg);
long dm_ioc_get_dioinfo(void __user *uarg);

/* attr.c */
/* The lower xattrs of DM attributes: this prefix, then the name in hex. */
#define DM_XATTR_ATTR		"trusted.dmapi.attr."
#define DM_XATTR_ATTR_LEN	(sizeof(DM_XATTR_ATTR) - 1)
/* The size of the xattr name of a DM attribute, with its NUL. */
#define DM_XATTR_ATTR_NAME	(sizeof(DM_XATTR_ATTR) + 2 * DMAPI_ATTR_NAME_SIZE)
int dm_attr_xattr(const u8 *name, char *xattr);
bool dm_attr_name_of(const char *xattr, u8 *name);
ssize_t dm_attr_load(const struct path *path, const u8 *name, void *value,
		     size_t size);
long dm_ioc_set_dmattr(void __user *uarg);
long dm_ioc_get_dmattr(void __user *uarg);
long dm_ioc_remove_dmattr(void __user *uarg);
long dm_ioc_getall_dmattr(void __user *uarg);

/* fileattr.c */
int dm_stat_fill(u64 fsid, const struct path *path, u32 mask,
		 struct dmapi_stat *st);
int dm_restore_times(const struct path *path, struct timespec64 mtime,
		     struct timespec64 ctime);
long dm_ioc_get_fileattr(void __user *uarg);
long dm_ioc_set_fileattr(void __user *uarg);

/* scan.c */
long dm_ioc_init_attrloc(void __user *uarg);
long dm_ioc_get_dirattrs(void __user *uarg);
long dm_ioc_get_bulkattr(void __user *uarg);

/**
 * struct dm_interest - which data events accesses to a file want: its
 *	persistent event list and managed regions, as loaded from its
 *	xattrs, kept by the filesystem with the file's inode
 * @rcu: frees it once readers are done
 * @seq: dm_interest_seq when it was loaded; another means it is stale
 * @events: the file's event list
 * @nregions: how many regions follow
 * @regions: the managed regions
 */
struct dm_interest {
	struct rcu_head		rcu;
	u64			seq;
	u64			events;
	int			nregions;
	struct dmapi_region	regions[];
};

/**
 * struct dm_interest_cache - a file's interest, cached with its inode
 * @in: the interest last loaded, or NULL
 * @quiet: dm_interest_seq + 1 when @in was loaded, if it had no event
 *	list and no regions; else 0
 */
struct dm_interest_cache {
	struct dm_interest __rcu *in;
	u64			quiet;
};

/* access.c */
extern atomic64_t dm_interest_seq;

/**
 * dm_interest_quiet - whether an access of @type to a file sends no data
 *	event, for sure and on loads alone
 * @fs: the file's filesystem
 * @cache: the file's cache
 * @type: DMAPI_EVENT_READ, _WRITE or _TRUNCATE
 *
 * The file had no event list and no regions when its cache was loaded,
 * no change was stored anywhere since, and its filesystem's event list
 * leaves @type out.  The common file of a filesystem an HSM manages:
 * not migrated, nothing asked of it.
 *
 * Return: true if it sends none; false if it may.
 */
static inline bool dm_interest_quiet(struct dm_fs *fs,
				     const struct dm_interest_cache *cache,
				     int type)
{
	return READ_ONCE(cache->quiet) == atomic64_read(&dm_interest_seq) + 1 &&
	       !(READ_ONCE(fs->events) & BIT_ULL(type));
}

void dm_interest_changed(void);
void dm_interest_free(struct dm_interest_cache *cache);
void dm_access_forget(struct dm_event *ev);
int dm_data_event_wanted(struct dm_fs *fs, const struct path *lower,
			 struct dm_interest_cache *cache, int type, s64 off,
			 u64 len);
int dm_data_event(struct dm_fs *fs, const struct path *lower, int *grants,
		  struct dm_interest_cache *cache, int type, s64 off, u64 len);
int dm_nospace_event(struct dm_fs *fs, const struct path *lower,
		     struct dm_interest_cache *cache, s64 off, u64 len);
void dm_access_exit(void);

/* monitor.c */
int dm_monitor_init(void);
void dm_monitor_exit(void);
void dm_mon_sent(struct dm_fs *fs, const struct dm_event *ev);
void dm_mon_done(struct dm_fs *fs, const struct dm_event *ev, int err);
int dm_fs_send(struct dm_fs *fs, struct dm_session *s, struct dm_event *ev);

/* stats.c */
struct sk_buff;
extern atomic_t dm_stats_ngroups;

/**
 * dm_stats_active - whether any statistics group exists
 *
 * Return: false when I/O has no statistics region to count in, so that
 * it need not look.
 */
static inline bool dm_stats_active(void)
{
	return atomic_read(&dm_stats_ngroups);
}

void dm_stats_io(u64 fsid, const struct inode *lower, s64 off, u64 len,
		 bool write);
int dm_stats_new_group(const struct dmapi_handle *h, const char *alias,
		       u32 *id);
int dm_stats_del_group(u32 id);
int dm_stats_set_file(u32 id, const struct dmapi_handle *h);
int dm_stats_add_region(u32 id, s64 off, u64 len, u32 *region);
int dm_stats_del_region(u32 id, u32 region);
int dm_stats_fill(struct sk_buff *skb, u32 id);
u32 dm_stats_next(u32 id);
void dm_stats_fs_gone(const struct dm_fs *fs);
void dm_stats_exit(void);

/* right.c */
extern atomic_t dm_nr_rights;

/**
 * dm_rights_held - whether any DM application holds an access right
 *
 * The read is an acquire: an access that finds the last right gone then
 * reads the regions and event lists its holder left, not older ones.
 *
 * Return: false when no object has a right on it, so that I/O need not
 * look up its own.
 */
static inline bool dm_rights_held(void)
{
	return atomic_read_acquire(&dm_nr_rights);
}

extern atomic_t dm_nr_draining;

/**
 * dm_rights_draining - whether a right granted waits for admitted I/O
 *
 * Return: true while some rights request waits for the accesses admitted
 * before its right to end: an access ending must wake it.
 */
static inline bool dm_rights_draining(void)
{
	return atomic_read(&dm_nr_draining);
}

extern unsigned int dm_drain_timeout;

void dm_rights_drop(struct dm_event *ev, struct list_head *gone);
void dm_rights_put(struct list_head *gone);
unsigned int dm_rights_count(struct dm_event *ev);
bool dm_rights_allow(u64 fsid, u64 ino, u32 gen, bool change);
bool dm_rights_decisive(u64 fsid, u64 ino, u32 gen, bool change);
atomic_t *dm_rights_grants_of(u64 fsid, u64 ino);
int dm_rights_grants(const atomic_t *grants);
int dm_rights_io_wait(u64 fsid, u64 ino, u32 gen, bool change);
int dm_call_right_begin(struct dm_handle_call *c, const struct path *lower,
			int need, unsigned int how, struct dm_call_right *cr);
void dm_call_right_end(struct dm_call_right *cr);
int dm_call_right_fault_in(struct dm_call_right *cr, const struct path *lower,
			   void __user *uaddr, size_t len, bool write);
long dm_ioc_request_right(void __user *uarg);
long dm_ioc_release_right(void __user *uarg);
long dm_ioc_query_right(void __user *uarg);
long dm_ioc_upgrade_right(void __user *uarg);
long dm_ioc_downgrade_right(void __user *uarg);
long dm_ioc_obj_ref_hold(void __user *uarg);
long dm_ioc_obj_ref_rele(void __user *uarg);
long dm_ioc_obj_ref_query(void __user *uarg);

/* inherit.c */
void dm_inherit_init(struct dm_fs *fs);
int dm_inherit_unnamed(struct dm_fs *fs, struct dentry *dir, struct dentry *obj);
int dm_inherit_or_remove(struct dm_fs *fs, struct dentry *dir,
			 struct dentry *obj);
long dm_ioc_set_inherit(void __user *uarg);
long dm_ioc_clear_inherit(void __user *uarg);
long dm_ioc_getall_inherit(void __user *uarg);

/* byhandle.c */
long dm_ioc_create_by_handle(void __user *uarg);

/**
 * dm_fs_making - whether an object found may still be getting what it
 *	inherits
 * @fs: the filesystem
 *
 * A creation by handle makes its object, then copies what it inherits,
 * in the lower directory's lock but not the mount's.  A lookup through
 * the mount that has found an object, its lower dentry seen positive,
 * waits for that lock before it shows the object while this says so
 * (dmfs_lookup_lower()).
 *
 * Return: whether a creation by handle is that far on @fs.
 */
static inline bool dm_fs_making(struct dm_fs *fs)
{
	/* After the dentry was seen positive: pairs with dm_byhandle_make(). */
	smp_rmb();
	return atomic_read(&fs->making);
}

/* namesp.c */

/**
 * struct dm_namesp - what a namespace event tells, as dm_namesp_event_t
 * @obj1: the lower dentry of ne_handle1 (the directory changed, or the
 *	object of ATTRIBUTE and CLOSE); its event list decides
 * @obj2: the lower dentry of ne_handle2 (the new object, the object
 *	linked to, the new directory of a rename), or NULL; a negative one
 *	leaves the handle empty.  A rename's new directory's list counts too.
 * @name1: ne_name1, NUL-terminated, or NULL
 * @name2: ne_name2, NUL-terminated, or NULL
 * @mode: ne_mode: the mode of the object created, removed or changed
 * @retcode: ne_retcode of a POST* event: 0 or a positive errno
 */
struct dm_namesp {
	struct dentry	*obj1;
	struct dentry	*obj2;
	const char	*name1;
	const char	*name2;
	umode_t		mode;
	int		retcode;
};

int dm_namesp_event(struct dm_fs *fs, int type, const struct dm_namesp *ns);
void dm_destroy_event(struct dm_fs *fs, struct inode *lower);

/* mount.c */
int dm_send_mount(struct dm_fs *fs);
void dm_send_preunmount(struct dm_fs *fs);
void dm_send_unmount(struct dm_fs *fs, int sid, int retcode);
long dm_ioc_get_mountinfo(void __user *uarg);

#endif /* _DMAPI_CORE_H */
