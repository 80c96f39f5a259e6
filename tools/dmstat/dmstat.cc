// SPDX-License-Identifier: GPL-2.0
//
// dmstat: what the DMAPI module is doing, from its generic netlink family:
// the counters of each managed filesystem and session, a live stream of
// events, and the busiest files and regions.  For administrators, and for
// scripts with --json.
#include "loss.h"
#include "monitor.h"
#include "paths.h"

#include "../dmctl/names.h"
#include "../dmctl/printer.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <fcntl.h>
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>
#include <xdsm/dmapi.h>

#ifndef DMSTAT_VERSION
#error "DMSTAT_VERSION must name the release (the build passes the VERSION file)"
#endif

using namespace dmstat;
using dmctl::Field;
using dmctl::Printer;
using dmctl::Record;

namespace {

constexpr const char usage_text[] = R"(Usage: dmstat [--json] COMMAND [OPTION]...
       dmstat --help | --version

Show what the DMAPI module (dmapi.ko) is doing, through its generic netlink
family "dmapi".  Every command needs CAP_SYS_ADMIN.

Commands:
  list                  every managed filesystem and its counters since it
                        was mounted: events sent by type, how the waits for
                        them ended, and the wait times (mean and the
                        histogram's 50th and 99th percentile bounds)
  sessions              every session: messages queued, tokens outstanding,
                        rights held, messages delivered and tokens answered
  watch                 print each event as it ends, one line per event:
                        for a synchronous event, one line per process that
                        waited for it
  top                   the files and byte ranges with the most events over
                        an interval, busiest first
  create FILE           make an I/O statistics group for FILE (a regular
                        file of a managed filesystem) and print its id:
                        one region over the whole file, the --region
                        ranges, or with --filemap one per extent, kept so
                        by dmfilemapd(8)
  delete GROUP          delete a statistics group and its regions
  report [GROUP]        the statistics groups, or one: each group's file,
                        then each region's reads, writes and bytes

Options of watch and top:
  --fs FS               only the filesystem mounted at FS (a path) or of
                        filesystem id FS (a number)
  --event EVENT         only events of this type (READ, WRITE, CREATE...);
                        may be given more than once
  --path PATH           only events on PATH or, for a directory, below it
  --seconds N           stop after N seconds
  --buffer BYTES        the socket's receive buffer (default 8 MiB): the
                        burst of events that can wait to be read
Options of watch:
  --count N             stop after N events
Options of top:
  --interval N          seconds per report (default 2)
  --iterations N        reports to print (default: until interrupted)
  --limit N             lines per report (default 10)
Options of create:
  --alias NAME          a name for the group (under 64 bytes)
  --region OFFSET:LENGTH
                        a region; LENGTH 0 reaches the end of the file;
                        may be given more than once
  --filemap             one region per extent of the file, and start
                        dmfilemapd to keep them so as the file changes
  --follow inode|path   what dmfilemapd follows (default inode)

Other options:
  --json                one JSON object per line instead of key=value
                        fields
  -h, --help            show this help and exit
  -V, --version         show the version and exit

Multicast is lossy: when events come faster than dmstat reads them, some
are lost.  watch and top end with a summary line that counts the events
seen and lost (gaps in the records' sequence numbers).

Exit status: 0 on success, 1 when the module cannot be asked (not loaded,
no permission), 2 on a usage error.
)";

class UsageError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

volatile std::sig_atomic_t stop_requested;

void on_stop_signal(int)
{
	stop_requested = 1;
}

// SIGINT and SIGTERM end watch and top after their summary; no SA_RESTART,
// so that a wait for events returns.
void catch_stop_signals()
{
	struct sigaction sa = {};
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	// A reader gone fails the next write, which ends the command with
	// its summary and status 1, rather than killing it.
	signal(SIGPIPE, SIG_IGN);
}

template <typename T>
T parse_number(std::string_view option, std::string_view text)
{
	T value{};
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (ec != std::errc() || end != text.data() + text.size())
		throw UsageError(std::string(option) + ": not a number: '" + std::string(text) + "'");
	return value;
}

// A duration in seconds: a finite number from 0 (excluded when
// @positive) to about 31 years, so that a deadline from it never
// overflows the clock's nanoseconds.
double parse_seconds(std::string_view option, std::string_view text, bool positive)
{
	constexpr double most = 1e9;
	double value = parse_number<double>(option, text);
	if (!std::isfinite(value) || value < 0 || (positive && value == 0) || value > most)
		throw UsageError(std::string(option) + " must be a number of seconds " +
				 (positive ? "above 0" : "from 0") + " up to 1000000000");
	return value;
}

struct Options {
	bool json = false;
	std::string command;
	std::optional<std::string> fs;
	std::set<int> events;
	std::optional<std::string> path;
	std::optional<double> seconds;
	int buffer = 8 << 20;
	std::optional<std::uint64_t> count;
	double interval = 2;
	std::optional<std::uint64_t> iterations;
	std::size_t limit = 10;
	std::vector<std::string> args;
	std::string alias;
	std::vector<std::pair<std::int64_t, std::uint64_t>> regions;
	bool filemap = false;
	std::string follow = "inode";
};

std::pair<std::int64_t, std::uint64_t> parse_region(std::string_view text)
{
	auto colon = text.find(':');
	if (colon == std::string_view::npos)
		throw UsageError("--region: not OFFSET:LENGTH: '" + std::string(text) + "'");
	return {parse_number<std::int64_t>("--region", text.substr(0, colon)),
		parse_number<std::uint64_t>("--region", text.substr(colon + 1))};
}

Options parse_options(int argc, char **argv)
{
	Options o;
	std::vector<std::string_view> words(argv + 1, argv + argc);
	auto value = [&](size_t &i) -> std::string_view {
		if (i + 1 >= words.size())
			throw UsageError(std::string(words[i]) + " needs a value");
		return words[++i];
	};
	for (size_t i = 0; i < words.size(); i++) {
		std::string_view w = words[i];
		bool watch_or_top = o.command == "watch" || o.command == "top";
		if (w == "--json") {
			o.json = true;
		} else if (w == "-h" || w == "--help") {
			std::fputs(usage_text, stdout);
			std::exit(0);
		} else if (w == "-V" || w == "--version") {
			std::printf("dmstat %s\n", DMSTAT_VERSION);
			std::exit(0);
		} else if (watch_or_top && w == "--fs") {
			o.fs = std::string(value(i));
		} else if (watch_or_top && w == "--event") {
			std::string_view name = value(i);
			auto type = dmctl::parse_event(name);
			if (!type)
				throw UsageError("--event: no such event '" + std::string(name) + "'");
			o.events.insert(*type);
		} else if (watch_or_top && w == "--path") {
			o.path = std::string(value(i));
		} else if (watch_or_top && w == "--seconds") {
			o.seconds = parse_seconds(w, value(i), false);
		} else if (watch_or_top && w == "--buffer") {
			o.buffer = parse_number<int>(w, value(i));
			if (o.buffer <= 0)
				throw UsageError("--buffer must be positive");
		} else if (o.command == "watch" && w == "--count") {
			o.count = parse_number<std::uint64_t>(w, value(i));
		} else if (o.command == "top" && w == "--interval") {
			o.interval = parse_seconds(w, value(i), true);
		} else if (o.command == "top" && w == "--iterations") {
			o.iterations = parse_number<std::uint64_t>(w, value(i));
		} else if (o.command == "top" && w == "--limit") {
			o.limit = parse_number<std::size_t>(w, value(i));
		} else if (o.command == "create" && w == "--alias") {
			o.alias = value(i);
		} else if (o.command == "create" && w == "--region") {
			o.regions.push_back(parse_region(value(i)));
		} else if (o.command == "create" && w == "--filemap") {
			o.filemap = true;
		} else if (o.command == "create" && w == "--follow") {
			o.follow = value(i);
			if (o.follow != "inode" && o.follow != "path")
				throw UsageError("--follow: inode or path, not '" + o.follow + "'");
		} else if (w.starts_with("-")) {
			throw UsageError("unknown option '" + std::string(w) + "'" +
					 (o.command.empty() ? "" : " for " + o.command));
		} else if (o.command.empty()) {
			o.command = w;
		} else {
			o.args.emplace_back(w);
		}
	}
	if (o.command.empty())
		throw UsageError("no command given");
	static const std::map<std::string, std::pair<size_t, size_t>> arity = {
		{"list", {0, 0}}, {"sessions", {0, 0}}, {"watch", {0, 0}}, {"top", {0, 0}},
		{"create", {1, 1}}, {"delete", {1, 1}}, {"report", {0, 1}},
	};
	auto it = arity.find(o.command);
	if (it == arity.end())
		throw UsageError("unknown command '" + o.command + "'");
	if (o.args.size() < it->second.first)
		throw UsageError("too few arguments for " + o.command);
	if (o.args.size() > it->second.second)
		throw UsageError("unexpected argument '" + o.args.back() + "'");
	if (o.filemap && !o.regions.empty())
		throw UsageError("--filemap makes the regions: no --region with it");
	return o;
}

std::uint64_t total(std::span<const std::uint64_t> counts)
{
	std::uint64_t n = 0;
	for (auto c : counts)
		n += c;
	return n;
}

std::int64_t us(std::uint64_t ns)
{
	return static_cast<std::int64_t>(ns / 1000);
}

void cmd_list(Monitor &mon, Printer &out)
{
	for (const auto &fs : mon.filesystems()) {
		std::vector<std::string> by_type, answers;
		for (size_t t = 0; t < fs.events.size(); t++)
			if (fs.events[t])
				by_type.push_back(dmctl::event_name(static_cast<int>(t)) + ":" +
						  std::to_string(fs.events[t]));
		for (size_t a = 0; a < fs.answers.size(); a++)
			if (fs.answers[a])
				answers.push_back(answer_name(static_cast<int>(a)) + ":" +
						  std::to_string(fs.answers[a]));
		auto bound = [&](double q) -> std::int64_t {
			auto ns = hist_quantile_ns(fs, q);
			return ns ? us(*ns) : -1;
		};
		out.tagged("fs", {
			{"fsid", fs.fsid},
			{"events", total(fs.events)},
			{"by_type", by_type},
			{"answers", answers},
			{"waits", fs.waits},
			{"wait_mean_us", us(fs.waits ? fs.wait_ns / fs.waits : 0)},
			{"wait_p50_us", bound(0.5)},
			{"wait_p99_us", bound(0.99)},
			{"lower", fs.lower},
			{"mountpoint", fs.mountpoint},
		});
	}
	auto c = mon.counters();
	out.tagged("monitor", {{"records", c.seq}, {"drops", c.drops}});
}

void cmd_sessions(Monitor &mon, Printer &out)
{
	for (const auto &s : mon.sessions())
		out.tagged("session", {
			{"sid", std::uint64_t{s.sid}},
			{"queued", std::uint64_t{s.queued}},
			{"outstanding", std::uint64_t{s.outstanding}},
			{"rights", std::uint64_t{s.rights}},
			{"delivered", s.delivered},
			{"answered", s.answered},
			{"info", s.info},
		});
}

// Which records watch and top look at, and the paths they name.
class Filter {
public:
	Filter(const Options &o, Monitor &mon) : events_(o.events)
	{
		if (o.fs)
			fsid_ = resolve_fs(*o.fs, mon);
		if (o.path) {
			paths_.insert(absolute(*o.path));
			paths_.insert(canonical(*o.path));
		}
	}

	bool matches(const EventRecord &ev, const std::optional<std::string> &path) const
	{
		if (fsid_ && ev.fsid != *fsid_)
			return false;
		if (!events_.empty() && !events_.contains(ev.type))
			return false;
		if (!paths_.empty()) {
			if (!path)
				return false;
			return std::any_of(paths_.begin(), paths_.end(), [&](const std::string &p) {
				return *path == p || path->starts_with(p == "/" ? "/" : p + "/");
			});
		}
		return true;
	}

private:
	// The records name paths below the mount point as it was given
	// (mtpt=), which may hold symbolic links, or as the kernel found it:
	// a path is matched both as written, made absolute, and resolved.
	static std::string trimmed(std::string path)
	{
		while (path.size() > 1 && path.ends_with("/"))
			path.pop_back();
		return path;
	}

	static std::string absolute(const std::string &path)
	{
		std::error_code ec;
		auto p = std::filesystem::absolute(path, ec).lexically_normal();
		return trimmed(ec ? path : p.string());
	}

	static std::string canonical(const std::string &path)
	{
		std::error_code ec;
		auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
		return trimmed(ec ? path : p.string());
	}

	static std::uint64_t resolve_fs(const std::string &fs, Monitor &mon)
	{
		auto all = mon.filesystems();
		for (const auto &f : all)
			if (f.mountpoint == fs || f.mountpoint == absolute(fs) ||
			    f.mountpoint == canonical(fs))
				return f.fsid;
		std::uint64_t fsid{};
		auto [end, ec] = std::from_chars(fs.data(), fs.data() + fs.size(), fsid);
		if (ec == std::errc() && end == fs.data() + fs.size())
			return fsid;
		throw UsageError("--fs: no managed filesystem mounted at '" + fs + "'");
	}

	std::optional<std::uint64_t> fsid_;
	std::set<int> events_;
	std::set<std::string> paths_;
};

// Counts the records seen and those lost, from gaps in their numbering.
// The summary of a watch: records seen, shown and lost.
void summarize(Printer &out, const Monitor &mon, const LossCounter &loss, std::uint64_t shown)
{
	out.tagged("summary", {
		{"records", loss.seen()},
		{"shown", shown},
		{"lost", loss.lost()},
		{"overruns", mon.overruns()},
	});
	if (loss.lost())
		std::fprintf(stderr, "dmstat: %llu event records lost: events came "
			     "faster than they were read\n",
			     static_cast<unsigned long long>(loss.lost()));
	else if (mon.overruns())
		std::fprintf(stderr, "dmstat: the socket overran %llu times: event records "
			     "were lost\n", static_cast<unsigned long long>(mon.overruns()));
}

using Clock = std::chrono::steady_clock;

std::optional<Clock::time_point> deadline_of(const Options &o)
{
	if (!o.seconds)
		return std::nullopt;
	return Clock::now() + std::chrono::duration_cast<Clock::duration>(
		std::chrono::duration<double>(*o.seconds));
}

// Wait for records until @until or a stop signal; hands each to @sink.
void receive_until(Monitor &mon, std::optional<Clock::time_point> until,
		   const std::function<void(const EventRecord &)> &sink,
		   const std::function<bool()> &done)
{
	while (!stop_requested && !done()) {
		auto wait = std::chrono::milliseconds(200);
		if (until) {
			auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
				*until - Clock::now());
			if (left.count() <= 0)
				break;
			wait = std::min(wait, left);
		}
		mon.poll_events(wait, sink);
	}
}

Record event_fields(const EventRecord &ev, const std::optional<std::string> &path)
{
	Record r = {
		{"seq", ev.seq},
		{"type", dmctl::event_name(ev.type)},
		{"fsid", ev.fsid},
		{"sid", std::uint64_t{ev.sid}},
		{"token", std::int64_t{ev.token}},
		{"pid", std::uint64_t{ev.pid}},
		{"answer", answer_name(ev.answer)},
		{"errno", ev.error ? dmctl::errno_name(ev.error) : std::string("0")},
		{"latency_us", us(ev.latency_ns)},
	};
	if (ev.offset)
		r.push_back({"offset", std::int64_t{*ev.offset}});
	if (ev.length)
		r.push_back({"length", *ev.length});
	if (!ev.handle.empty())
		r.push_back({"handle", handle_hex(ev.handle)});
	if (path)
		r.push_back({"path", *path});
	else if (ev.name)
		r.push_back({"name", *ev.name});
	return r;
}

// What watch and top share: the feed joined, its filter, the paths of
// its records, and the count of what was seen and lost.
struct Listener {
	Listener(const Options &o, Monitor &mon) : paths(mon), filter(o, mon)
	{
		mon.subscribe(o.buffer);
		catch_stop_signals();
		// Scripts wait for this line before they cause the events.
		std::fprintf(stderr, "dmstat: watching events\n");
	}

	PathCache paths;
	Filter filter;
	LossCounter loss;
	std::uint64_t shown = 0;
};

void cmd_watch(const Options &o, Monitor &mon, Printer &out)
{
	Listener l(o, mon);
	auto &[paths, filter, loss, shown] = l;
	bool unwritable = false;
	receive_until(mon, deadline_of(o), [&](const EventRecord &ev) {
		loss.saw(ev.seq);
		if (o.count && shown >= *o.count)
			return;
		auto path = paths.path_of(ev);
		if (!filter.matches(ev, path))
			return;
		out.tagged("event", event_fields(ev, path));
		// Output that cannot be written (a reader gone, a full disk)
		// ends the watch; main() reports the error.
		if (!out.flush())
			unwritable = true;
		shown++;
	}, [&] { return unwritable || (o.count && shown >= *o.count); });
	summarize(out, mon, loss, shown);
}

struct Activity {
	std::uint64_t events = 0;
	std::uint64_t reads = 0;
	std::uint64_t writes = 0;
	std::uint64_t bytes = 0;
	std::uint64_t latency_ns = 0;
};

Record activity_fields(const Activity &a)
{
	return {
		{"events", a.events},
		{"reads", a.reads},
		{"writes", a.writes},
		{"bytes", a.bytes},
		{"latency_mean_us", us(a.events ? a.latency_ns / a.events : 0)},
	};
}

void count(Activity &a, const EventRecord &ev)
{
	a.events++;
	a.reads += ev.type == DMAPI_EVENT_READ;
	a.writes += ev.type == DMAPI_EVENT_WRITE;
	a.bytes += ev.length.value_or(0);
	a.latency_ns += ev.latency_ns;
}

// Busiest first; ties by name, so that a report is reproducible.
template <typename Key>
std::vector<std::pair<Key, Activity>> ranked(const std::map<Key, Activity> &m, size_t limit)
{
	std::vector<std::pair<Key, Activity>> v(m.begin(), m.end());
	std::stable_sort(v.begin(), v.end(), [](const auto &a, const auto &b) {
		return a.second.events > b.second.events;
	});
	if (v.size() > limit)
		v.resize(limit);
	return v;
}

void cmd_top(const Options &o, Monitor &mon, Printer &out)
{
	Listener l(o, mon);
	auto &[paths, filter, loss, shown] = l;
	auto until = deadline_of(o);
	for (std::uint64_t n = 0; !stop_requested && (!o.iterations || n < *o.iterations); n++) {
		auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
			std::chrono::duration<double>(o.interval));
		if (until && *until < end)
			end = *until;
		// By object (its path, or its handle when it has none), and by
		// the byte range of data events.
		std::map<std::string, Activity> files;
		std::map<std::tuple<std::string, std::int64_t, std::uint64_t>, Activity> ranges;
		receive_until(mon, end, [&](const EventRecord &ev) {
			loss.saw(ev.seq);
			auto path = paths.path_of(ev);
			if (!filter.matches(ev, path))
				return;
			shown++;
			std::string key = path ? *path : ev.handle.empty() ? "-" : handle_hex(ev.handle);
			count(files[key], ev);
			if (ev.offset && ev.length)
				count(ranges[{key, *ev.offset, *ev.length}], ev);
		}, [] { return false; });
		for (const auto &[key, a] : ranked(files, o.limit)) {
			Record r = {{"report", n + 1}};
			for (auto &f : activity_fields(a))
				r.push_back(std::move(f));
			r.push_back({"path", key});
			out.tagged("file", r);
		}
		for (const auto &[key, a] : ranked(ranges, o.limit)) {
			const auto &[path, offset, length] = key;
			Record r = {{"report", n + 1}, {"offset", offset}, {"length", length}};
			for (auto &f : activity_fields(a))
				r.push_back(std::move(f));
			r.push_back({"path", path});
			out.tagged("region", r);
		}
		if (!out.flush())
			break;	// main() reports the write error
		if (until && Clock::now() >= *until)
			break;
	}
	summarize(out, mon, loss, shown);
}

std::uint32_t parse_group(const std::string &text)
{
	auto group = parse_number<std::uint32_t>("GROUP", text);
	if (!group)
		throw UsageError("GROUP: group ids start at 1");
	return group;
}

// The handle of a file, through libdmapi; the errno of the call on failure.
std::vector<std::uint8_t> file_handle(int fd, const std::string &path)
{
	void *hanp = nullptr;
	size_t hlen = 0;
	if (dm_fd_to_handle(fd, &hanp, &hlen) != 0)
		throw std::runtime_error(path + ": dm_fd_to_handle: " + std::strerror(errno));
	auto *p = static_cast<const std::uint8_t *>(hanp);
	std::vector<std::uint8_t> handle(p, p + hlen);
	dm_handle_free(hanp, hlen);
	return handle;
}

// Start dmfilemapd for @group on the file open as @fd; it detaches itself.
void start_filemapd(int fd, std::uint32_t group, const std::string &path,
		    const std::string &follow)
{
	char self[PATH_MAX];
	ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
	std::string daemon = "dmfilemapd";
	if (n > 0) {
		std::string dir(self, static_cast<size_t>(n));
		dir.resize(dir.rfind('/') + 1);
		if (::access((dir + daemon).c_str(), X_OK) == 0)
			daemon = dir + daemon;
	}
	pid_t pid = ::fork();
	if (pid < 0)
		throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
	if (pid == 0) {
		std::string fdtext = std::to_string(fd), grouptext = std::to_string(group);
		::execlp(daemon.c_str(), daemon.c_str(), fdtext.c_str(), grouptext.c_str(),
			 path.c_str(), follow.c_str(), "0", "0", static_cast<char *>(nullptr));
		std::fprintf(stderr, "dmstat: %s: %s\n", daemon.c_str(), std::strerror(errno));
		::_exit(127);
	}
	int status = 0;
	if (::waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		throw std::runtime_error("dmfilemapd did not start");
}

void cmd_create(const Options &o, Monitor &mon, Printer &out)
{
	char real[PATH_MAX];
	if (!::realpath(o.args[0].c_str(), real))
		throw std::runtime_error(o.args[0] + ": " + std::strerror(errno));
	std::string path = real;
	int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		throw std::runtime_error(path + ": " + std::strerror(errno));
	struct FdCloser { int fd; ~FdCloser() { ::close(fd); } } closer{fd};
	auto handle = file_handle(fd, path);
	std::uint32_t group = mon.stats_new(handle, o.alias);
	try {
		if (o.filemap) {
			start_filemapd(fd, group, path, o.follow);
		} else if (o.regions.empty()) {
			mon.stats_add(group, 0, 0);
		} else {
			for (auto [offset, length] : o.regions)
				mon.stats_add(group, offset, length);
		}
	} catch (...) {
		mon.stats_delete(group);
		throw;
	}
	out.value({"group", std::uint64_t{group}});
}

void cmd_report(const Options &o, Monitor &mon, Printer &out)
{
	std::vector<StatsGroup> groups;
	if (o.args.empty()) {
		groups = mon.stats_groups();
	} else {
		auto g = mon.stats_get(parse_group(o.args[0]));
		if (!g)
			throw std::runtime_error("no statistics group " + o.args[0]);
		groups.push_back(std::move(*g));
	}
	PathCache paths(mon);
	for (const auto &g : groups) {
		auto path = paths.object(g.fsid, g.handle);
		out.tagged("group", {
			{"group", std::uint64_t{g.id}},
			{"fsid", g.fsid},
			{"regions", std::uint64_t{g.regions.size()}},
			{"handle", handle_hex(g.handle)},
			{"alias", g.alias},
			{"path", path.value_or("-")},
		});
		for (const auto &r : g.regions)
			out.tagged("region", {
				{"group", std::uint64_t{g.id}},
				{"region", std::uint64_t{r.id}},
				{"offset", std::int64_t{r.offset}},
				{"length", r.length},
				{"reads", r.reads},
				{"writes", r.writes},
				{"read_bytes", r.read_bytes},
				{"write_bytes", r.write_bytes},
			});
	}
}

int run(int argc, char **argv)
{
	Options o = parse_options(argc, argv);
	Monitor mon;
	Printer out(o.json ? Printer::Format::json : Printer::Format::plain);
	if (o.command == "list")
		cmd_list(mon, out);
	else if (o.command == "sessions")
		cmd_sessions(mon, out);
	else if (o.command == "watch")
		cmd_watch(o, mon, out);
	else if (o.command == "top")
		cmd_top(o, mon, out);
	else if (o.command == "create")
		cmd_create(o, mon, out);
	else if (o.command == "delete")
		mon.stats_delete(parse_group(o.args[0]));
	else
		cmd_report(o, mon, out);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	int status;
	try {
		status = run(argc, argv);
	} catch (const UsageError &e) {
		std::fprintf(stderr, "dmstat: %s\nTry 'dmstat --help' for more information.\n", e.what());
		status = 2;
	} catch (const std::exception &e) {
		std::fflush(stdout);
		std::fprintf(stderr, "dmstat: %s\n", e.what());
		status = 1;
	}
	if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
		std::fprintf(stderr, "dmstat: write error: %s\n", std::strerror(errno));
		return 1;
	}
	return status;
}
