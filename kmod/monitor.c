// SPDX-License-Identifier: GPL-2.0
/*
 * Monitoring over the generic netlink family "dmapi": the counters of each
 * managed filesystem and each session, and a multicast group that mirrors
 * every event of a filesystem as it ends, for tools such as dmstat.  The
 * protocol is described in <xdsm/dmapi_ioctl.h>.
 *
 * Counting costs a few atomic additions per event, which already costs a
 * queue, a wakeup and a wait; an access that sends no event counts
 * nothing.  A record for the multicast group is built only while someone
 * listens.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "core.h"

enum {
	DM_MCGRP_EVENTS,
};

static struct genl_family dm_genl_family;
/* Records given a sequence number, and those that reached not everyone. */
static atomic64_t dm_mon_seq = ATOMIC64_INIT(0);
static atomic64_t dm_mon_drops = ATOMIC64_INIT(0);

/* How the wait for @ev ended for a process that got @err. */
static enum dmapi_answer dm_mon_answer(const struct dm_event *ev, int err)
{
	if (ev->token <= 0)
		return DMAPI_ANSWER_ASYNC;
	/*
	 * An answer that came after the wait ended (a signal, the deadline)
	 * is not what the process got.
	 */
	if (dm_event_answered(ev) && err == READ_ONCE(ev->reply)) {
		switch (READ_ONCE(ev->response)) {
		case DMAPI_RESP_CONTINUE:
			return DMAPI_ANSWER_CONTINUE;
		case DMAPI_RESP_ABORT:
			return DMAPI_ANSWER_ABORT;
		case DMAPI_RESP_DONTCARE:
			return DMAPI_ANSWER_DONTCARE;
		}
	}
	if (err == -EINTR)
		return DMAPI_ANSWER_INTERRUPTED;
	if (err == -ETIMEDOUT)
		return DMAPI_ANSWER_TIMEDOUT;
	return DMAPI_ANSWER_DROPPED;
}

/* Bucket 0: under 1 us; bucket i: [2^(i-1), 2^i) us; the last: longer. */
static unsigned int dm_mon_bucket(u64 ns)
{
	u64 us = div_u64(ns, NSEC_PER_USEC);

	return min_t(unsigned int, fls64(us), DMAPI_WAIT_BUCKETS - 1);
}

/* The bytes a vardata of @ev's message points to, or NULL. */
static const u8 *dm_mon_vardata(const struct dm_event *ev,
				const struct dmapi_vardata *vd, u32 *len)
{
	u64 end = (u64)vd->vd_offset + vd->vd_length;

	if (vd->vd_offset < 0 || !vd->vd_length || end > ev->datalen)
		return NULL;
	*len = vd->vd_length;
	return ev->data + vd->vd_offset;
}

static int dm_mon_put_handle(struct sk_buff *skb, const struct dm_event *ev,
			     const struct dmapi_vardata *vd)
{
	const u8 *p;
	u32 len;

	p = dm_mon_vardata(ev, vd, &len);
	return p ? nla_put(skb, DMAPI_A_HANDLE, len, p) : 0;
}

/* Names in messages carry their NUL; the attribute is a NUL string too. */
static int dm_mon_put_name(struct sk_buff *skb, const struct dm_event *ev,
			   const struct dmapi_vardata *vd)
{
	const u8 *p;
	u32 len;

	p = dm_mon_vardata(ev, vd, &len);
	if (!p)
		return 0;
	return nla_put_string(skb, DMAPI_A_NAME, strnlen(p, len) < len ?
			      (const char *)p : "");
}

/* The object, name and range the message of @ev names, by its type. */
static int dm_mon_put_subject(struct sk_buff *skb, const struct dm_event *ev)
{
	const struct dmapi_namesp_msg *ne = (const void *)ev->data;
	const struct dmapi_destroy_msg *ds = (const void *)ev->data;
	const struct dmapi_mount_msg *me = (const void *)ev->data;
	const struct dmapi_data_msg *de = (const void *)ev->data;

	switch (ev->type) {
	case DMAPI_EVENT_READ:
	case DMAPI_EVENT_WRITE:
	case DMAPI_EVENT_TRUNCATE:
	case DMAPI_EVENT_NOSPACE:
		if (ev->datalen < sizeof(*de))
			return 0;
		return dm_mon_put_handle(skb, ev, &de->de_handle) ?:
		       nla_put_s64(skb, DMAPI_A_OFFSET, de->de_offset,
				   DMAPI_A_PAD) ?:
		       nla_put_u64_64bit(skb, DMAPI_A_LENGTH, de->de_length,
					 DMAPI_A_PAD);
	case DMAPI_EVENT_MOUNT:
		if (ev->datalen < sizeof(*me))
			return 0;
		return dm_mon_put_handle(skb, ev, &me->me_handle1) ?:
		       dm_mon_put_name(skb, ev, &me->me_name1);
	case DMAPI_EVENT_DESTROY:
		if (ev->datalen < sizeof(*ds))
			return 0;
		return dm_mon_put_handle(skb, ev, &ds->ds_handle);
	case DMAPI_EVENT_CANCEL:
	case DMAPI_EVENT_USER:
		return 0;
	default:
		if (ev->datalen < sizeof(*ne))
			return 0;
		return dm_mon_put_handle(skb, ev, &ne->ne_handle1) ?:
		       dm_mon_put_name(skb, ev, &ne->ne_name1);
	}
}

/*
 * Room for the name a record carries beyond a page: a MOUNT's paths, or a
 * namespace event's name, may be up to PATH_MAX.  Not a DESTROY's
 * attribute copy nor a user event's data, which records leave out: up to
 * 64 KiB and 16 MiB, and sent from eviction, under memory pressure.
 */
static u32 dm_mon_subject_room(const struct dm_event *ev)
{
	switch (ev->type) {
	case DMAPI_EVENT_READ:
	case DMAPI_EVENT_WRITE:
	case DMAPI_EVENT_TRUNCATE:
	case DMAPI_EVENT_NOSPACE:
	case DMAPI_EVENT_DESTROY:
	case DMAPI_EVENT_CANCEL:
	case DMAPI_EVENT_USER:
		return 0;
	default:
		return ev->datalen;
	}
}

/* The multicast record of @ev ending for the current process. */
static int dm_mon_fill_event(struct sk_buff *skb, const struct dm_fs *fs,
			     const struct dm_event *ev, enum dmapi_answer answer,
			     int err, u64 latency, u64 seq)
{
	void *hdr;

	hdr = genlmsg_put(skb, 0, 0, &dm_genl_family, 0, DMAPI_CMD_EVENT);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, DMAPI_A_SEQ, seq, DMAPI_A_PAD) ||
	    nla_put_u32(skb, DMAPI_A_TYPE, ev->type) ||
	    nla_put_u64_64bit(skb, DMAPI_A_FSID, fs->fsid, DMAPI_A_PAD) ||
	    nla_put_u32(skb, DMAPI_A_SID, READ_ONCE(ev->sid)) ||
	    nla_put_s32(skb, DMAPI_A_TOKEN, ev->token) ||
	    nla_put_u32(skb, DMAPI_A_PID, ev->pid) ||
	    nla_put_u32(skb, DMAPI_A_ANSWER, answer) ||
	    nla_put_u32(skb, DMAPI_A_ERRNO, err < 0 ? -err : 0) ||
	    nla_put_u64_64bit(skb, DMAPI_A_LATENCY_NS, latency, DMAPI_A_PAD) ||
	    dm_mon_put_subject(skb, ev)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static void dm_mon_mirror(const struct dm_fs *fs, const struct dm_event *ev,
			  enum dmapi_answer answer, int err, u64 latency)
{
	struct sk_buff *skb;
	u64 seq;
	int ret;

	if (!genl_has_listeners(&dm_genl_family, &init_net, DM_MCGRP_EVENTS))
		return;
	seq = atomic64_inc_return(&dm_mon_seq);
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE + dm_mon_subject_room(ev),
			  GFP_KERNEL);
	if (!skb)
		goto drop;
	if (dm_mon_fill_event(skb, fs, ev, answer, err, latency, seq)) {
		nlmsg_free(skb);
		goto drop;
	}
	ret = genlmsg_multicast(&dm_genl_family, skb, 0, DM_MCGRP_EVENTS,
				GFP_KERNEL);
	/* -ESRCH: the last listener left meanwhile; nobody lost anything. */
	if (ret && ret != -ESRCH)
		goto drop;
	return;
drop:
	atomic64_inc(&dm_mon_drops);
}

/**
 * dm_mon_sent - count an event a filesystem queued on a session
 * @fs: the filesystem
 * @ev: the event, queued; counted once however many processes wait for it
 */
void dm_mon_sent(struct dm_fs *fs, const struct dm_event *ev)
{
	if (ev->type >= 0 && ev->type < DMAPI_EVENT_MAX)
		atomic64_inc(&fs->stats.events[ev->type]);
}

/**
 * dm_mon_done - account for the end of a filesystem's event for the
 *	current process
 * @fs: the filesystem
 * @ev: the event: synchronous, whose wait in this process has ended, or
 *	asynchronous, just queued
 * @err: what the process got from the wait: 0 or a negative errno
 *
 * Counts the answer and the wait's time, and mirrors the event to the
 * multicast group.
 */
void dm_mon_done(struct dm_fs *fs, const struct dm_event *ev, int err)
{
	enum dmapi_answer answer = dm_mon_answer(ev, err);
	u64 latency = ktime_to_ns(ktime_sub(ktime_get(), ev->created));
	struct dm_fs_stats *st = &fs->stats;

	atomic64_inc(&st->answers[answer]);
	if (answer != DMAPI_ANSWER_ASYNC) {
		atomic64_inc(&st->waits);
		atomic64_add(latency, &st->wait_ns);
		atomic64_inc(&st->wait_hist[dm_mon_bucket(latency)]);
	}
	dm_mon_mirror(fs, ev, answer, err, latency);
}

/**
 * dm_fs_send - queue a filesystem's event on a session and, if
 *	synchronous, wait for the answer, counting both
 * @fs: the filesystem
 * @s: the session
 * @ev: the event; the caller keeps its reference
 *
 * Return: as dm_event_send().
 */
int dm_fs_send(struct dm_fs *fs, struct dm_session *s, struct dm_event *ev)
{
	int err = dm_event_post(s, ev);

	if (err)
		return err;
	dm_mon_sent(fs, ev);
	if (ev->token > 0)
		err = dm_event_wait(ev);
	dm_mon_done(fs, ev, err);
	return err;
}

/* Room for a group of DMAPI_STATS_MAX_GROUP_REGIONS regions. */
#define DM_NL_STATS_MSG_SIZE	(32 << 10)

/* Commands are for CAP_SYS_ADMIN only, as is /dev/dmapi. */
static int dm_nl_start(struct netlink_callback *cb)
{
	if (!netlink_capable(cb->skb, CAP_SYS_ADMIN))
		return -EPERM;
	/*
	 * Each part of a dump must hold its largest record whole: a group
	 * of the most regions, a filesystem with paths of PATH_MAX.
	 */
	cb->min_dump_alloc = DM_NL_STATS_MSG_SIZE;
	return 0;
}

static int dm_nl_put_counts(struct sk_buff *skb, int attr,
			    const atomic64_t *counts, int n)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, attr);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++)
		if (nla_put_u64_64bit(skb, i + 1, atomic64_read(&counts[i]),
				      DMAPI_A_PAD))
			goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int dm_nl_fill_fs(struct sk_buff *skb, struct netlink_callback *cb,
			 const struct dm_fs *fs)
{
	const struct dm_fs_stats *st = &fs->stats;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &dm_genl_family, NLM_F_MULTI, DMAPI_CMD_GET_FS);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, DMAPI_A_FSID, fs->fsid, DMAPI_A_PAD) ||
	    nla_put_string(skb, DMAPI_A_MOUNTPOINT, fs->mountpoint) ||
	    nla_put_string(skb, DMAPI_A_LOWER, fs->lower_name) ||
	    dm_nl_put_counts(skb, DMAPI_A_EVENTS, st->events,
			     DMAPI_EVENT_MAX) ||
	    dm_nl_put_counts(skb, DMAPI_A_ANSWERS, st->answers,
			     DMAPI_ANSWER_MAX) ||
	    nla_put_u64_64bit(skb, DMAPI_A_WAITS, atomic64_read(&st->waits),
			      DMAPI_A_PAD) ||
	    nla_put_u64_64bit(skb, DMAPI_A_WAIT_NS, atomic64_read(&st->wait_ns),
			      DMAPI_A_PAD) ||
	    dm_nl_put_counts(skb, DMAPI_A_WAIT_HIST, st->wait_hist,
			     DMAPI_WAIT_BUCKETS)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * cb->args[0]: the serial of the last filesystem sent.  Not a count: a
 * filesystem unmounted between two parts would make the next skip one
 * that was never sent.
 */
static int dm_nl_dump_fs(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dm_fs *fs;
	int err = 0;

	dm_fs_lock();
	dm_fs_for_each_locked(fs) {
		if (fs->serial <= cb->args[0])
			continue;
		err = dm_nl_fill_fs(skb, cb, fs);
		if (err)
			break;
		cb->args[0] = fs->serial;
	}
	dm_fs_unlock();
	/* A full buffer ends this part; the next call goes on from there. */
	return err && !skb->len ? err : skb->len;
}

static int dm_nl_fill_session(struct sk_buff *skb, struct netlink_callback *cb,
			      struct dm_session *s)
{
	struct dm_session_counts c;
	void *hdr;

	dm_session_counts(s, &c);
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &dm_genl_family, NLM_F_MULTI, DMAPI_CMD_GET_SESSION);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, DMAPI_A_SID, s->sid) ||
	    nla_put_string(skb, DMAPI_A_SESSION_INFO, c.info) ||
	    nla_put_u32(skb, DMAPI_A_QUEUED, c.queued) ||
	    nla_put_u32(skb, DMAPI_A_OUTSTANDING, c.outstanding) ||
	    nla_put_u32(skb, DMAPI_A_RIGHTS, c.rights) ||
	    nla_put_u64_64bit(skb, DMAPI_A_DELIVERED, c.delivered, DMAPI_A_PAD) ||
	    nla_put_u64_64bit(skb, DMAPI_A_ANSWERED, c.answered, DMAPI_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* cb->args[0]: the session id to go on from. */
static int dm_nl_dump_session(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long sid = cb->args[0];
	struct dm_session *s;
	int err = 0;

	while ((s = dm_session_next(&sid))) {
		err = dm_nl_fill_session(skb, cb, s);
		dm_session_put(s);
		if (err)
			break;
		sid++;
	}
	cb->args[0] = sid;
	return err && !skb->len ? err : skb->len;
}

static int dm_nl_get_monitor(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	if (!netlink_capable(skb, CAP_SYS_ADMIN))
		return -EPERM;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &dm_genl_family, 0,
				DMAPI_CMD_GET_MONITOR);
	if (!hdr ||
	    nla_put_u64_64bit(msg, DMAPI_A_SEQ, atomic64_read(&dm_mon_seq),
			      DMAPI_A_PAD) ||
	    nla_put_u64_64bit(msg, DMAPI_A_DROPS, atomic64_read(&dm_mon_drops),
			      DMAPI_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* Statistics regions (stats.c). */

/* The attributes @attrs of a request, or -EINVAL naming the first missing. */
static int dm_nl_require(struct genl_info *info, const int *attrs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!info->attrs[attrs[i]]) {
			NL_SET_ERR_MSG_ATTR(info->extack, NULL,
					    "a required attribute is missing");
			return -EINVAL;
		}
	}
	return 0;
}

/* A request from CAP_SYS_ADMIN with every attribute listed, or an errno. */
#define DM_NL_REQUIRE(skb, info, ...) ({				\
	static const int __attrs[] = { __VA_ARGS__ };			\
	netlink_capable(skb, CAP_SYS_ADMIN) ?				\
		dm_nl_require(info, __attrs, ARRAY_SIZE(__attrs)) : -EPERM; \
})

static int dm_nl_reply_u32(struct genl_info *info, u8 cmd, int attr, u32 val)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &dm_genl_family, 0, cmd);
	if (!hdr || nla_put_u32(msg, attr, val)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static void dm_nl_handle(struct genl_info *info, struct dmapi_handle *h)
{
	nla_memcpy(h, info->attrs[DMAPI_A_HANDLE], sizeof(*h));
}

static int dm_nl_stats_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *alias = info->attrs[DMAPI_A_NAME];
	struct dmapi_handle h;
	u32 id;
	int err;

	err = DM_NL_REQUIRE(skb, info, DMAPI_A_HANDLE);
	if (err)
		return err;
	dm_nl_handle(info, &h);
	err = dm_stats_new_group(&h, alias ? nla_data(alias) : NULL, &id);
	if (err)
		return err;
	err = dm_nl_reply_u32(info, DMAPI_CMD_STATS_NEW, DMAPI_A_GROUP, id);
	if (err)
		dm_stats_del_group(id);
	return err;
}

static int dm_nl_stats_del(struct sk_buff *skb, struct genl_info *info)
{
	int err = DM_NL_REQUIRE(skb, info, DMAPI_A_GROUP);

	return err ?: dm_stats_del_group(nla_get_u32(info->attrs[DMAPI_A_GROUP]));
}

static int dm_nl_stats_set(struct sk_buff *skb, struct genl_info *info)
{
	struct dmapi_handle h;
	int err;

	err = DM_NL_REQUIRE(skb, info, DMAPI_A_GROUP, DMAPI_A_HANDLE);
	if (err)
		return err;
	dm_nl_handle(info, &h);
	return dm_stats_set_file(nla_get_u32(info->attrs[DMAPI_A_GROUP]), &h);
}

static int dm_nl_stats_add(struct sk_buff *skb, struct genl_info *info)
{
	u32 id, region;
	int err;

	err = DM_NL_REQUIRE(skb, info, DMAPI_A_GROUP, DMAPI_A_OFFSET, DMAPI_A_LENGTH);
	if (err)
		return err;
	id = nla_get_u32(info->attrs[DMAPI_A_GROUP]);
	err = dm_stats_add_region(id, nla_get_s64(info->attrs[DMAPI_A_OFFSET]),
				  nla_get_u64(info->attrs[DMAPI_A_LENGTH]),
				  &region);
	if (err)
		return err;
	err = dm_nl_reply_u32(info, DMAPI_CMD_STATS_ADD, DMAPI_A_REGION, region);
	if (err)
		dm_stats_del_region(id, region);
	return err;
}

static int dm_nl_stats_remove(struct sk_buff *skb, struct genl_info *info)
{
	int err = DM_NL_REQUIRE(skb, info, DMAPI_A_GROUP, DMAPI_A_REGION);

	return err ?: dm_stats_del_region(nla_get_u32(info->attrs[DMAPI_A_GROUP]),
					  nla_get_u32(info->attrs[DMAPI_A_REGION]));
}

static int dm_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = DM_NL_REQUIRE(skb, info, DMAPI_A_GROUP);
	if (err)
		return err;
	msg = genlmsg_new(DM_NL_STATS_MSG_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &dm_genl_family, 0,
				DMAPI_CMD_STATS_GET);
	err = hdr ? dm_stats_fill(msg, nla_get_u32(info->attrs[DMAPI_A_GROUP])) :
		    -EMSGSIZE;
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * cb->args[0]: the group id to go on from, 0 at the start; cb->args[1]:
 * set once every group was sent (a long may not hold past U32_MAX).
 */
static int dm_nl_stats_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	u64 next = cb->args[0] ?: 1;
	void *hdr;
	int err = 0;
	u32 id;

	if (cb->args[1])
		return 0;
	for (; next <= U32_MAX; next = (u64)id + 1) {
		id = dm_stats_next(next);
		if (!id) {
			next = (u64)U32_MAX + 1;
			break;
		}
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &dm_genl_family,
				  NLM_F_MULTI, DMAPI_CMD_STATS_GET);
		err = hdr ? dm_stats_fill(skb, id) : -EMSGSIZE;
		if (err == -ENOENT) {		/* deleted meanwhile */
			genlmsg_cancel(skb, hdr);
			err = 0;
			continue;
		}
		if (err) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			next = id;		/* the next part starts with it */
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = next;
	cb->args[1] = next > U32_MAX;
	return err && !skb->len ? err : skb->len;
}

/* Records name the types they send; requests are checked against these. */
static const struct nla_policy dm_nl_policy[DMAPI_A_MAX + 1] = {
	[DMAPI_A_FSID]		= { .type = NLA_U64 },
	[DMAPI_A_SID]		= { .type = NLA_U32 },
	[DMAPI_A_HANDLE]	= NLA_POLICY_EXACT_LEN(DMAPI_HANDLE_LEN),
	[DMAPI_A_NAME]		= { .type = NLA_NUL_STRING,
				    .len = DMAPI_STATS_ALIAS_LEN - 1 },
	[DMAPI_A_GROUP]		= { .type = NLA_U32 },
	[DMAPI_A_REGION]	= { .type = NLA_U32 },
	[DMAPI_A_OFFSET]	= { .type = NLA_S64 },
	[DMAPI_A_LENGTH]	= { .type = NLA_U64 },
};

static const struct genl_ops dm_nl_ops[] = {
	{
		.cmd	= DMAPI_CMD_GET_FS,
		.start	= dm_nl_start,
		.dumpit	= dm_nl_dump_fs,
	},
	{
		.cmd	= DMAPI_CMD_GET_SESSION,
		.start	= dm_nl_start,
		.dumpit	= dm_nl_dump_session,
	},
	{
		.cmd	= DMAPI_CMD_GET_MONITOR,
		.doit	= dm_nl_get_monitor,
	},
	{
		.cmd	= DMAPI_CMD_STATS_NEW,
		.doit	= dm_nl_stats_new,
	},
	{
		.cmd	= DMAPI_CMD_STATS_DEL,
		.doit	= dm_nl_stats_del,
	},
	{
		.cmd	= DMAPI_CMD_STATS_SET,
		.doit	= dm_nl_stats_set,
	},
	{
		.cmd	= DMAPI_CMD_STATS_ADD,
		.doit	= dm_nl_stats_add,
	},
	{
		.cmd	= DMAPI_CMD_STATS_REMOVE,
		.doit	= dm_nl_stats_remove,
	},
	{
		.cmd	= DMAPI_CMD_STATS_GET,
		.start	= dm_nl_start,
		.doit	= dm_nl_stats_get,
		.dumpit	= dm_nl_stats_dump,
	},
};

static const struct genl_multicast_group dm_nl_mcgrps[] = {
	[DM_MCGRP_EVENTS] = {
		.name	= DMAPI_GENL_MCGRP_EVENTS,
		.flags	= GENL_MCAST_CAP_SYS_ADMIN,
	},
};

/*
 * parallel_ops: every command locks what it reads itself (the mount list,
 * the session table, the statistics mutex), so none waits on the generic
 * netlink mutex, nor holds it up for other families through STATS_SET's
 * RCU grace period or a handle's lookup.  A socket's dumps are still
 * one at a time (netlink's cb_mutex).
 */
static struct genl_family dm_genl_family __ro_after_init = {
	.name		= DMAPI_GENL_NAME,
	.version	= DMAPI_GENL_VERSION,
	.maxattr	= DMAPI_A_MAX,
	.policy		= dm_nl_policy,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= dm_nl_ops,
	.n_ops		= ARRAY_SIZE(dm_nl_ops),
	.mcgrps		= dm_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(dm_nl_mcgrps),
};

/**
 * dm_monitor_init - register the generic netlink family "dmapi"
 *
 * Return: 0 or the registration's errno.
 */
int dm_monitor_init(void)
{
	return genl_register_family(&dm_genl_family);
}

/**
 * dm_monitor_exit - unregister the family
 */
void dm_monitor_exit(void)
{
	genl_unregister_family(&dm_genl_family);
}
