// SPDX-License-Identifier: GPL-2.0
//
// The DMAPI module's generic netlink family "dmapi", as dmstat reads it:
// the counters of each managed filesystem and session, and the stream of
// event records of the "events" multicast group.  The protocol is in
// <xdsm/dmapi_ioctl.h>; this is a thin RAII layer over libnl-genl-3.
#ifndef DMSTAT_MONITOR_H
#define DMSTAT_MONITOR_H

#include <xdsm/dmapi_ioctl.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

struct nl_sock;
struct nlattr;
struct nl_msg;

namespace dmstat {

// A netlink or protocol failure; what() says what and why.
class MonitorError : public std::runtime_error {
public:
	MonitorError(const std::string &what, int error)
		: std::runtime_error(what), error_(error) {}
	// The errno it stands for, where there is one (EPERM, ENOENT...).
	int error() const { return error_; }

private:
	int error_;
};

struct FsCounters {
	std::uint64_t fsid = 0;
	std::string mountpoint;
	std::string lower;
	std::array<std::uint64_t, DMAPI_EVENT_MAX> events{};
	std::array<std::uint64_t, DMAPI_ANSWER_MAX> answers{};
	std::uint64_t waits = 0;
	std::uint64_t wait_ns = 0;
	std::array<std::uint64_t, DMAPI_WAIT_BUCKETS> wait_hist{};
};

struct SessionCounters {
	std::uint32_t sid = 0;
	std::string info;
	std::uint32_t queued = 0;
	std::uint32_t outstanding = 0;
	std::uint32_t rights = 0;
	std::uint64_t delivered = 0;
	std::uint64_t answered = 0;
};

struct MonitorCounters {
	std::uint64_t seq = 0;		// records numbered so far
	std::uint64_t drops = 0;	// records not sent to every listener
};

struct EventRecord {
	std::uint64_t seq = 0;
	int type = 0;
	std::uint64_t fsid = 0;
	std::uint32_t sid = 0;
	std::int32_t token = 0;
	std::uint32_t pid = 0;
	int answer = 0;			// enum dmapi_answer
	int error = 0;			// what the process got, 0 or an errno
	std::uint64_t latency_ns = 0;
	std::vector<std::uint8_t> handle;	// empty if the event names none
	std::optional<std::string> name;
	std::optional<std::int64_t> offset;
	std::optional<std::uint64_t> length;
};

struct StatsRegion {
	std::uint32_t id = 0;
	std::int64_t offset = 0;
	std::uint64_t length = 0;	// 0: to the end of the file
	std::uint64_t reads = 0;
	std::uint64_t writes = 0;
	std::uint64_t read_bytes = 0;
	std::uint64_t write_bytes = 0;
};

// An I/O statistics group: the regions of one file.
struct StatsGroup {
	std::uint32_t id = 0;
	std::uint64_t fsid = 0;
	std::vector<std::uint8_t> handle;
	std::string alias;
	std::vector<StatsRegion> regions;
};

// Upper bound of histogram bucket i in nanoseconds (the last: none).
std::optional<std::uint64_t> bucket_limit_ns(std::size_t i);

// The wait time under which a fraction q (0..1) of the histogram's waits
// fall, as the upper bound of the bucket that reaches it; nothing when
// there are no waits or the bucket is the open last one.
std::optional<std::uint64_t> hist_quantile_ns(const FsCounters &fs, double q);

// "continue", "abort", "dontcare", "interrupted", "timedout", "dropped",
// "async"; the number for an answer this release does not know.
std::string answer_name(int answer);

class Monitor {
public:
	// Connects to the generic netlink family; fails with ENOENT when the
	// module is not loaded.
	Monitor();
	~Monitor();
	Monitor(const Monitor &) = delete;
	Monitor &operator=(const Monitor &) = delete;

	std::vector<FsCounters> filesystems();
	std::vector<SessionCounters> sessions();
	MonitorCounters counters();

	// I/O statistics groups and regions; failures throw MonitorError
	// with the module's errno (ENOENT: no such group or region).
	std::uint32_t stats_new(std::span<const std::uint8_t> handle, const std::string &alias);
	void stats_delete(std::uint32_t group);
	void stats_set_file(std::uint32_t group, std::span<const std::uint8_t> handle);
	std::uint32_t stats_add(std::uint32_t group, std::int64_t offset, std::uint64_t length);
	void stats_remove(std::uint32_t group, std::uint32_t region);
	std::optional<StatsGroup> stats_get(std::uint32_t group);
	std::vector<StatsGroup> stats_groups();

	// Join the events group with a receive buffer of @buffer bytes; then
	// poll_events() returns records.
	void subscribe(int buffer = 8 << 20);
	// Waits up to @timeout for records and hands each to @sink.  Returns
	// false on timeout.  A socket overrun (records lost because this
	// process read too slowly) is counted in overruns().
	bool poll_events(std::chrono::milliseconds timeout,
			 const std::function<void(const EventRecord &)> &sink);
	std::uint64_t overruns() const { return overruns_; }

private:
	// What answers a request: messages up to NLMSG_DONE, one reply, or
	// only an acknowledgement (commands that return nothing).
	enum class Answer { dump, reply, ack };
	using Attrs = std::function<int(::nl_msg *)>;
	void request(int cmd, Answer answer, const Attrs &attrs,
		     const std::function<void(::nlattr **)> &each);

	struct SockDeleter {
		void operator()(nl_sock *sock) const;
	};
	std::unique_ptr<nl_sock, SockDeleter> sock_;
	std::unique_ptr<nl_sock, SockDeleter> events_;
	int family_ = 0;
	std::uint64_t overruns_ = 0;
};

} // namespace dmstat

#endif // DMSTAT_MONITOR_H
