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
	// Requests get their reply or an error; no separate acknowledgement.
	nl_socket_disable_auto_ack(sock_.get());
}

Monitor::~Monitor() = default;

void Monitor::dump(int cmd, const AttrSink &each)
{
	struct nl_msg *msg = nlmsg_alloc();
	if (!msg)
		throw MonitorError("out of memory", ENOMEM);
	int flags = cmd == DMAPI_CMD_GET_MONITOR ? 0 : NLM_F_DUMP;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, flags, cmd,
			 DMAPI_GENL_VERSION)) {
		nlmsg_free(msg);
		throw MonitorError("cannot build a netlink request", ENOMEM);
	}
	int err = nl_send_auto(sock_.get(), msg);
	nlmsg_free(msg);
	if (err < 0)
		fail("netlink send", err);
	nl_socket_modify_cb(sock_.get(), NL_CB_VALID, NL_CB_CUSTOM, on_message,
			    const_cast<AttrSink *>(&each));
	err = nl_recvmsgs_default(sock_.get());
	nl_socket_modify_cb(sock_.get(), NL_CB_VALID, NL_CB_DEFAULT, nullptr, nullptr);
	if (err < 0)
		fail("dmapi netlink request", err);
}

std::vector<FsCounters> Monitor::filesystems()
{
	std::vector<FsCounters> all;
	dump(DMAPI_CMD_GET_FS, [&](struct nlattr **tb) {
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
	dump(DMAPI_CMD_GET_SESSION, [&](struct nlattr **tb) {
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
	dump(DMAPI_CMD_GET_MONITOR, [&](struct nlattr **tb) {
		c.seq = get_u64(tb[DMAPI_A_SEQ]);
		c.drops = get_u64(tb[DMAPI_A_DROPS]);
	});
	return c;
}

void Monitor::subscribe()
{
	events_.reset(connect_socket());
	nl_sock *sock = events_.get();
	nl_socket_disable_seq_check(sock);
	// Room for bursts; what still overflows is counted, not hidden.
	nl_socket_set_buffer_size(sock, 8 << 20, 0);
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
