// SPDX-License-Identifier: GPL-2.0
#include "monitor.h"

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <iterator>
#include <poll.h>
#include <linux/netlink.h>
#include <sys/socket.h>

namespace dmstat {

namespace {

// The errno behind a libnl error, for callers that tell EPERM from ENOENT.
int nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_PERM:
		return EPERM;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_INVAL:
		return EINVAL;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	default:
		return EIO;
	}
}

[[noreturn]] void fail(const std::string &what, int nlerr)
{
	throw MonitorError(what + ": " + nl_geterror(nlerr), nl_errno(nlerr));
}

using AttrSink = std::function<void(struct nlattr **)>;

// libnl calls back with a C function pointer; this one hands the parsed
// attributes of each message to the std::function in @arg.
int on_message(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[DMAPI_A_MAX + 1];
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, DMAPI_A_MAX, nullptr) < 0)
		return NL_SKIP;
	(*static_cast<const AttrSink *>(arg))(tb);
	return NL_OK;
}

template <size_t N>
void get_counts(struct nlattr *nest, std::array<std::uint64_t, N> &out)
{
	if (!nest)
		return;
	struct nlattr *pos;
	int rem;
	nla_for_each_nested(pos, nest, rem) {
		int i = nla_type(pos) - 1;
		if (i >= 0 && static_cast<size_t>(i) < N && nla_len(pos) == 8)
			out[i] = nla_get_u64(pos);
	}
}

std::uint64_t get_u64(struct nlattr *a) { return a ? nla_get_u64(a) : 0; }
std::uint32_t get_u32(struct nlattr *a) { return a ? nla_get_u32(a) : 0; }
std::string get_string(struct nlattr *a) { return a ? nla_get_string(a) : ""; }

// The module's errno of a failed request, kept for MonitorError: libnl's
// own codes merge several (EBADF reads "Bad socket", ENOSPC "Unspecific
// failure").
int on_error(struct sockaddr_nl *, struct nlmsgerr *e, void *arg)
{
	*static_cast<int *>(arg) = -e->error;
	return NL_STOP;
}

nl_sock *connect_socket()
{
	nl_sock *sock = nl_socket_alloc();
	if (!sock)
		throw MonitorError("cannot allocate a netlink socket", ENOMEM);
	int err = genl_connect(sock);
	if (err < 0) {
		nl_socket_free(sock);
		fail("generic netlink", err);
	}
	return sock;
}

} // namespace

void Monitor::SockDeleter::operator()(nl_sock *sock) const
{
	nl_socket_free(sock);
}

Monitor::Monitor() : sock_(connect_socket())
{
	family_ = genl_ctrl_resolve(sock_.get(), DMAPI_GENL_NAME);
	if (family_ < 0)
		throw MonitorError("no generic netlink family \"" DMAPI_GENL_NAME
				   "\": is the dmapi module loaded?", ENOENT);
	// Requests ask for an acknowledgement only when no reply comes.
	// A group's regions make replies of up to 32 KiB.
	nl_socket_disable_auto_ack(sock_.get());
	nl_socket_set_msg_buf_size(sock_.get(), 64 << 10);
}

Monitor::~Monitor() = default;

void Monitor::request(int cmd, Answer answer, const Attrs &attrs, const AttrSink &each)
{
	struct nl_msg *msg = nlmsg_alloc();
	if (!msg)
		throw MonitorError("out of memory", ENOMEM);
	int flags = answer == Answer::dump ? NLM_F_DUMP : answer == Answer::ack ? NLM_F_ACK : 0;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, flags, cmd,
			 DMAPI_GENL_VERSION) ||
	    (attrs && attrs(msg) < 0)) {
		nlmsg_free(msg);
		throw MonitorError("cannot build a netlink request", ENOMEM);
	}
	int err = nl_send_auto(sock_.get(), msg);
	nlmsg_free(msg);
	if (err < 0)
		fail("netlink send", err);
	int error = 0;
	nl_socket_modify_cb(sock_.get(), NL_CB_VALID, NL_CB_CUSTOM, on_message,
			    const_cast<AttrSink *>(&each));
	nl_socket_modify_err_cb(sock_.get(), NL_CB_CUSTOM, on_error, &error);
	err = nl_recvmsgs_default(sock_.get());
	nl_socket_modify_cb(sock_.get(), NL_CB_VALID, NL_CB_DEFAULT, nullptr, nullptr);
	nl_socket_modify_err_cb(sock_.get(), NL_CB_DEFAULT, nullptr, nullptr);
	if (error > 0)
		throw MonitorError(std::string("dmapi netlink request: ") + std::strerror(error),
				   error);
	if (err < 0)
		fail("dmapi netlink request", err);
}

std::vector<FsCounters> Monitor::filesystems()
{
	std::vector<FsCounters> all;
	request(DMAPI_CMD_GET_FS, Answer::dump, {}, [&](struct nlattr **tb) {
		FsCounters fs;
		fs.fsid = get_u64(tb[DMAPI_A_FSID]);
		fs.mountpoint = get_string(tb[DMAPI_A_MOUNTPOINT]);
		fs.lower = get_string(tb[DMAPI_A_LOWER]);
		get_counts(tb[DMAPI_A_EVENTS], fs.events);
		get_counts(tb[DMAPI_A_ANSWERS], fs.answers);
		fs.waits = get_u64(tb[DMAPI_A_WAITS]);
		fs.wait_ns = get_u64(tb[DMAPI_A_WAIT_NS]);
		get_counts(tb[DMAPI_A_WAIT_HIST], fs.wait_hist);
		all.push_back(std::move(fs));
	});
	return all;
}

std::vector<SessionCounters> Monitor::sessions()
{
	std::vector<SessionCounters> all;
	request(DMAPI_CMD_GET_SESSION, Answer::dump, {}, [&](struct nlattr **tb) {
		SessionCounters s;
		s.sid = get_u32(tb[DMAPI_A_SID]);
		s.info = get_string(tb[DMAPI_A_SESSION_INFO]);
		s.queued = get_u32(tb[DMAPI_A_QUEUED]);
		s.outstanding = get_u32(tb[DMAPI_A_OUTSTANDING]);
		s.rights = get_u32(tb[DMAPI_A_RIGHTS]);
		s.delivered = get_u64(tb[DMAPI_A_DELIVERED]);
		s.answered = get_u64(tb[DMAPI_A_ANSWERED]);
		all.push_back(std::move(s));
	});
	return all;
}

MonitorCounters Monitor::counters()
{
	MonitorCounters c;
	request(DMAPI_CMD_GET_MONITOR, Answer::reply, {}, [&](struct nlattr **tb) {
		c.seq = get_u64(tb[DMAPI_A_SEQ]);
		c.drops = get_u64(tb[DMAPI_A_DROPS]);
	});
	return c;
}

namespace {

StatsGroup parse_group(struct nlattr **tb)
{
	StatsGroup g;
	g.id = get_u32(tb[DMAPI_A_GROUP]);
	g.fsid = get_u64(tb[DMAPI_A_FSID]);
	if (struct nlattr *h = tb[DMAPI_A_HANDLE]) {
		auto *p = static_cast<const std::uint8_t *>(nla_data(h));
		g.handle.assign(p, p + nla_len(h));
	}
	g.alias = get_string(tb[DMAPI_A_NAME]);
	if (!tb[DMAPI_A_REGIONS])
		return g;
	struct nlattr *pos;
	int rem;
	nla_for_each_nested(pos, tb[DMAPI_A_REGIONS], rem) {
		struct nlattr *rb[DMAPI_A_MAX + 1];
		if (nla_parse_nested(rb, DMAPI_A_MAX, pos, nullptr) < 0)
			continue;
		StatsRegion r;
		r.id = get_u32(rb[DMAPI_A_REGION]);
		r.offset = static_cast<std::int64_t>(get_u64(rb[DMAPI_A_OFFSET]));
		r.length = get_u64(rb[DMAPI_A_LENGTH]);
		r.reads = get_u64(rb[DMAPI_A_READS]);
		r.writes = get_u64(rb[DMAPI_A_WRITES]);
		r.read_bytes = get_u64(rb[DMAPI_A_READ_BYTES]);
		r.write_bytes = get_u64(rb[DMAPI_A_WRITE_BYTES]);
		g.regions.push_back(r);
	}
	return g;
}

int put_handle(struct nl_msg *msg, std::span<const std::uint8_t> handle)
{
	return nla_put(msg, DMAPI_A_HANDLE, static_cast<int>(handle.size()), handle.data());
}

} // namespace

std::uint32_t Monitor::stats_new(std::span<const std::uint8_t> handle, const std::string &alias)
{
	std::uint32_t group = 0;
	request(DMAPI_CMD_STATS_NEW, Answer::reply, [&](struct nl_msg *msg) {
		int err = put_handle(msg, handle);
		if (!err && !alias.empty())
			err = nla_put_string(msg, DMAPI_A_NAME, alias.c_str());
		return err;
	}, [&](struct nlattr **tb) { group = get_u32(tb[DMAPI_A_GROUP]); });
	return group;
}

void Monitor::stats_delete(std::uint32_t group)
{
	request(DMAPI_CMD_STATS_DEL, Answer::ack, [&](struct nl_msg *msg) {
		return nla_put_u32(msg, DMAPI_A_GROUP, group);
	}, [](struct nlattr **) {});
}

void Monitor::stats_set_file(std::uint32_t group, std::span<const std::uint8_t> handle)
{
	request(DMAPI_CMD_STATS_SET, Answer::ack, [&](struct nl_msg *msg) {
		return nla_put_u32(msg, DMAPI_A_GROUP, group) ?: put_handle(msg, handle);
	}, [](struct nlattr **) {});
}

std::uint32_t Monitor::stats_add(std::uint32_t group, std::int64_t offset, std::uint64_t length)
{
	std::uint32_t region = 0;
	request(DMAPI_CMD_STATS_ADD, Answer::reply, [&](struct nl_msg *msg) {
		return nla_put_u32(msg, DMAPI_A_GROUP, group) ?:
		       nla_put_s64(msg, DMAPI_A_OFFSET, offset) ?:
		       nla_put_u64(msg, DMAPI_A_LENGTH, length);
	}, [&](struct nlattr **tb) { region = get_u32(tb[DMAPI_A_REGION]); });
	return region;
}

void Monitor::stats_remove(std::uint32_t group, std::uint32_t region)
{
	request(DMAPI_CMD_STATS_REMOVE, Answer::ack, [&](struct nl_msg *msg) {
		return nla_put_u32(msg, DMAPI_A_GROUP, group) ?:
		       nla_put_u32(msg, DMAPI_A_REGION, region);
	}, [](struct nlattr **) {});
}

std::optional<StatsGroup> Monitor::stats_get(std::uint32_t group)
{
	std::optional<StatsGroup> g;
	try {
		request(DMAPI_CMD_STATS_GET, Answer::reply, [&](struct nl_msg *msg) {
			return nla_put_u32(msg, DMAPI_A_GROUP, group);
		}, [&](struct nlattr **tb) { g = parse_group(tb); });
	} catch (const MonitorError &e) {
		if (e.error() != ENOENT)
			throw;
	}
	return g;
}

std::vector<StatsGroup> Monitor::stats_groups()
{
	std::vector<StatsGroup> all;
	request(DMAPI_CMD_STATS_GET, Answer::dump, {}, [&](struct nlattr **tb) {
		all.push_back(parse_group(tb));
	});
	return all;
}

void Monitor::subscribe(int buffer)
{
	events_.reset(connect_socket());
	nl_sock *sock = events_.get();
	nl_socket_disable_seq_check(sock);
	// Room for bursts; what still overflows is counted, not hidden.
	// Beyond rmem_max only with CAP_NET_ADMIN (SO_RCVBUFFORCE).
	int fd = nl_socket_get_fd(sock);
	if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof(buffer)) != 0)
		::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
	// So that the module learns, and counts, the records we lose.
	int on = 1;
	::setsockopt(fd, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &on, sizeof(on));
	int group = genl_ctrl_resolve_grp(sock, DMAPI_GENL_NAME, DMAPI_GENL_MCGRP_EVENTS);
	if (group < 0)
		fail("the events group of " DMAPI_GENL_NAME, group);
	int err = nl_socket_add_membership(sock, group);
	if (err < 0)
		fail("joining the events group", err);
	nl_socket_set_nonblocking(sock);
}

bool Monitor::poll_events(std::chrono::milliseconds timeout,
			  const std::function<void(const EventRecord &)> &sink)
{
	nl_sock *sock = events_.get();
	struct pollfd pfd = {nl_socket_get_fd(sock), POLLIN, 0};
	int n = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
	if (n < 0) {
		if (errno == EINTR)
			return false;
		throw MonitorError(std::string("poll: ") + std::strerror(errno), errno);
	}
	if (n == 0)
		return false;
	AttrSink each = [&](struct nlattr **tb) {
		EventRecord ev;
		ev.seq = get_u64(tb[DMAPI_A_SEQ]);
		ev.type = static_cast<int>(get_u32(tb[DMAPI_A_TYPE]));
		ev.fsid = get_u64(tb[DMAPI_A_FSID]);
		ev.sid = get_u32(tb[DMAPI_A_SID]);
		ev.token = static_cast<std::int32_t>(get_u32(tb[DMAPI_A_TOKEN]));
		ev.pid = get_u32(tb[DMAPI_A_PID]);
		ev.answer = static_cast<int>(get_u32(tb[DMAPI_A_ANSWER]));
		ev.error = static_cast<int>(get_u32(tb[DMAPI_A_ERRNO]));
		ev.latency_ns = get_u64(tb[DMAPI_A_LATENCY_NS]);
		if (struct nlattr *h = tb[DMAPI_A_HANDLE]) {
			auto *p = static_cast<const std::uint8_t *>(nla_data(h));
			ev.handle.assign(p, p + nla_len(h));
		}
		if (tb[DMAPI_A_NAME])
			ev.name = nla_get_string(tb[DMAPI_A_NAME]);
		if (tb[DMAPI_A_OFFSET])
			ev.offset = static_cast<std::int64_t>(nla_get_u64(tb[DMAPI_A_OFFSET]));
		if (tb[DMAPI_A_LENGTH])
			ev.length = nla_get_u64(tb[DMAPI_A_LENGTH]);
		sink(ev);
	};
	nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, on_message, &each);
	int err = nl_recvmsgs_default(sock);
	nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_DEFAULT, nullptr, nullptr);
	if (err == -NLE_NOMEM) {
		overruns_++;	// ENOBUFS: the kernel dropped records for us
	} else if (err < 0 && err != -NLE_AGAIN) {
		fail("receiving events", err);
	}
	return true;
}

std::optional<std::uint64_t> bucket_limit_ns(std::size_t i)
{
	if (i + 1 >= DMAPI_WAIT_BUCKETS)
		return std::nullopt;
	return (std::uint64_t{1} << i) * 1000;
}

std::optional<std::uint64_t> hist_quantile_ns(const FsCounters &fs, double q)
{
	std::uint64_t total = 0;
	for (auto n : fs.wait_hist)
		total += n;
	if (!total)
		return std::nullopt;
	auto want = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
	std::uint64_t seen = 0;
	for (std::size_t i = 0; i < fs.wait_hist.size(); i++) {
		seen += fs.wait_hist[i];
		if (seen >= want && seen)
			return bucket_limit_ns(i);
	}
	return std::nullopt;
}

std::string answer_name(int answer)
{
	// In the order of enum dmapi_answer.
	static const char *const names[] = {
		"continue", "abort", "dontcare", "interrupted", "timedout",
		"dropped", "async",
	};
	static_assert(std::size(names) == DMAPI_ANSWER_MAX);
	if (answer >= 0 && answer < DMAPI_ANSWER_MAX)
		return names[answer];
	return std::to_string(answer);
}

} // namespace dmstat
