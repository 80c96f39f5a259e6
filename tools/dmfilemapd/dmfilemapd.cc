// SPDX-License-Identifier: GPL-2.0
//
// dmfilemapd: keep an I/O statistics group of the DMAPI module equal to the
// extents of a file, as dmfilemapd(8) of device-mapper's dmstats does for
// a file on a device: regions are added and removed as the file's
// allocation changes.  The extents come from dm_get_allocinfo(); the group
// is changed through the module's generic netlink family.
//
// Follow-inode mode follows the file by its handle and exits once it is
// unlinked and nobody else has it open; follow-path mode opens the path at
// every check, moves the group to a file that replaced it, and exits once
// the path has named nothing for a grace period.  Both exit when the group
// is deleted.  Neither keeps the file open: an unmount must not fail EBUSY
// for it (the unmount deletes the group).
#include "../dmstat/monitor.h"

#include <xdsm/dmapi.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <functional>
#include <map>
#include <optional>
#include <poll.h>
#include <set>
#include <string>
#include <system_error>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

#ifndef DMFILEMAPD_VERSION
#error "DMFILEMAPD_VERSION must name the release (the build passes the VERSION file)"
#endif

using dmstat::Monitor;

namespace {

constexpr const char usage_text[] =
	R"(Usage: dmfilemapd FILE_DESCRIPTOR GROUP_ID ABS_PATH inode|path [FOREGROUND [VERBOSE]]
       dmfilemapd --help | --version

Keep the DMAPI I/O statistics group GROUP_ID equal to the extents of the
file open as FILE_DESCRIPTOR (a regular file of a managed filesystem, open
for reading), whose absolute path was ABS_PATH when it was opened.

  inode         follow the file: it may be renamed; exit once it is unlinked
                and no other process has it open
  path          follow ABS_PATH: open it at every check, move the group to a
                file that replaced it, and exit once nothing has been there
                for the grace period
  FOREGROUND    1: do not detach (default 0: detach into the background)
  VERBOSE       0 to 3: how much to log to standard output and error; 0
                closes them (default 0)

Both modes exit when the group is deleted.  DMFILEMAPD_INTERVAL_MS sets the
time between checks (default 1000), DMFILEMAPD_GRACE_MS the grace period of
follow-path mode (default 5000).
)";

volatile std::sig_atomic_t stop_requested;

void on_stop_signal(int)
{
	stop_requested = 1;
}

// Without SA_RESTART: a check waiting in the module (for another
// token's right) ends with EINTR.  A hangup (a closed terminal, an
// administrator's "reload") stops the daemon as SIGTERM does, so that
// its session goes with it; a log reader gone is no reason to stop.
void catch_stop_signals()
{
	struct sigaction sa = {};
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGHUP, &sa, nullptr);
	signal(SIGPIPE, SIG_IGN);
}

// Wait @interval, or until a stop signal.  The signals are blocked from
// the test of stop_requested until ppoll() unblocks them as it sleeps:
// one that comes in between ends the sleep at once.
void wait_or_stop(std::chrono::milliseconds interval)
{
	sigset_t stops, before;
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	sigprocmask(SIG_BLOCK, &stops, &before);
	auto end = std::chrono::steady_clock::now() + interval;
	while (!stop_requested) {
		auto left = end - std::chrono::steady_clock::now();
		if (left <= std::chrono::steady_clock::duration::zero())
			break;
		auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
		struct timespec ts = {static_cast<time_t>(ns / 1000000000),
				      static_cast<long>(ns % 1000000000)};
		::ppoll(nullptr, 0, &ts, &before);
	}
	sigprocmask(SIG_SETMASK, &before, nullptr);
}

int verbosity;

[[gnu::format(printf, 2, 3)]] void log(int level, const char *fmt, ...)
{
	if (level > verbosity)
		return;
	std::va_list ap;
	va_start(ap, fmt);
	std::fputs("dmfilemapd: ", stdout);
	std::vprintf(fmt, ap);
	std::fputc('\n', stdout);
	std::fflush(stdout);
	va_end(ap);
}

class UsageError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

template <typename T>
T number(const char *what, std::string_view text)
{
	T value{};
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (ec != std::errc() || end != text.data() + text.size())
		throw UsageError(std::string(what) + ": not a number: '" + std::string(text) + "'");
	return value;
}

std::chrono::milliseconds env_ms(const char *name, long fallback)
{
	const char *text = std::getenv(name);
	long ms = text ? std::strtol(text, nullptr, 10) : fallback;
	return std::chrono::milliseconds(ms > 0 ? ms : fallback);
}

using Range = std::pair<std::int64_t, std::uint64_t>;

// The resident extents of the file, at most DMAPI_STATS_MAX_GROUP_REGIONS:
// past that, the last region reaches the end of the file.
std::vector<Range> resident_extents(xdsm::Session &session, const xdsm::Handle &handle)
{
	std::vector<Range> extents;
	for (const dm_extent_t &e : session.allocinfo(handle)) {
		if (e.ex_type != DM_EXTENT_RES || !e.ex_length)
			continue;
		if (extents.size() == DMAPI_STATS_MAX_GROUP_REGIONS) {
			extents.back().second = 0;
			break;
		}
		extents.emplace_back(e.ex_offset, e.ex_length);
	}
	return extents;
}

// Make the group's regions the extents: remove what is no extent, add
// what is missing.  Counts of unchanged regions are kept.
void update_regions(Monitor &mon, std::uint32_t group, const dmstat::StatsGroup &current,
		    const std::vector<Range> &extents)
{
	std::set<Range> want(extents.begin(), extents.end());
	std::set<Range> have;
	for (const auto &r : current.regions) {
		Range range{r.offset, r.length};
		if (!want.contains(range) || have.contains(range)) {
			mon.stats_remove(group, r.id);
			log(2, "removed region %u (%lld+%llu)", r.id, static_cast<long long>(r.offset),
			    static_cast<unsigned long long>(r.length));
		} else {
			have.insert(range);
		}
	}
	for (const auto &range : extents) {
		if (have.contains(range))
			continue;
		std::uint32_t id = mon.stats_add(group, range.first, range.second);
		have.insert(range);
		log(2, "added region %u (%lld+%llu)", id, static_cast<long long>(range.first),
		    static_cast<unsigned long long>(range.second));
	}
}

// Whether a process other than this one has the file of @st open.
bool open_elsewhere(const struct stat &st)
{
	DIR *proc = ::opendir("/proc");
	if (!proc)
		return true;	// cannot tell: keep going
	bool found = false;
	std::string self = std::to_string(::getpid());
	while (struct dirent *d = ::readdir(proc)) {
		if (!std::isdigit(static_cast<unsigned char>(d->d_name[0])) || self == d->d_name)
			continue;
		std::string fddir = std::string("/proc/") + d->d_name + "/fd";
		DIR *fds = ::opendir(fddir.c_str());
		if (!fds)
			continue;
		while (struct dirent *f = ::readdir(fds)) {
			struct stat other;
			std::string link = fddir + "/" + f->d_name;
			if (f->d_name[0] != '.' && ::stat(link.c_str(), &other) == 0 &&
			    other.st_dev == st.st_dev && other.st_ino == st.st_ino) {
				found = true;
				break;
			}
		}
		::closedir(fds);
		if (found)
			break;
	}
	::closedir(proc);
	return found;
}

struct Args {
	int fd = -1;
	std::uint32_t group = 0;
	std::string path;
	bool follow_path = false;
	bool foreground = false;
};

Args parse(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		std::string_view w = argv[i];
		if (w == "-h" || w == "--help") {
			std::fputs(usage_text, stdout);
			std::exit(0);
		}
		if (w == "-V" || w == "--version") {
			std::printf("dmfilemapd %s\n", DMFILEMAPD_VERSION);
			std::exit(0);
		}
	}
	if (argc < 5 || argc > 7)
		throw UsageError("expected FILE_DESCRIPTOR GROUP_ID ABS_PATH inode|path "
				 "[FOREGROUND [VERBOSE]]");
	Args a;
	a.fd = number<int>("FILE_DESCRIPTOR", argv[1]);
	a.group = number<std::uint32_t>("GROUP_ID", argv[2]);
	a.path = argv[3];
	if (a.path.empty() || a.path[0] != '/')
		throw UsageError("ABS_PATH must be absolute: '" + a.path + "'");
	std::string_view mode = argv[4];
	if (mode != "inode" && mode != "path")
		throw UsageError("mode must be inode or path, not '" + std::string(mode) + "'");
	a.follow_path = mode == "path";
	a.foreground = argc > 5 && number<int>("FOREGROUND", argv[5]) != 0;
	verbosity = argc > 6 ? number<int>("VERBOSE", argv[6]) : 0;
	if (verbosity < 0 || verbosity > 3)
		throw UsageError("VERBOSE must be 0 to 3");
	return a;
}

// The write end of the pipe by which a detached daemon tells the process
// that started it how its start went; -1 once told, or in the foreground.
int ready_fd = -1;

// Tell the starter: "ok", or why the daemon could not start.
void tell_starter(const std::string &what)
{
	if (ready_fd < 0)
		return;
	(void)!::write(ready_fd, what.data(), what.size());
	::close(ready_fd);
	ready_fd = -1;
}

// The starter's side: 0 once the daemon says it runs, 1 with its reason
// (or none: it died) otherwise.
[[noreturn]] void wait_for_daemon(int fd)
{
	std::string said;
	char buf[512];
	ssize_t n;
	while ((n = ::read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		said.append(buf, static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
	if (said == "ok")
		::_exit(0);
	std::fprintf(stderr, "dmfilemapd: %s\n",
		     said.empty() ? "the daemon ended before it ran" : said.c_str());
	::_exit(1);
}

// Detach.  The parent returns to whoever started us once the child runs
// (tell_starter()): 0, or 1 with the child's reason on standard error.
void daemonize()
{
	int pipefd[2];
	if (::pipe2(pipefd, O_CLOEXEC) != 0)
		throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
	// Above standard input, output and error, which the child replaces
	// when its starter had them closed.
	for (int &fd : pipefd) {
		if (fd > 2)
			continue;
		int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (moved < 0)
			throw std::runtime_error(std::string("fcntl: ") + std::strerror(errno));
		::close(fd);
		fd = moved;
	}
	pid_t pid = ::fork();
	if (pid < 0)
		throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
	if (pid > 0) {
		::close(pipefd[1]);
		wait_for_daemon(pipefd[0]);
	}
	::close(pipefd[0]);
	ready_fd = pipefd[1];
	::setsid();
	if (::chdir("/") != 0)
		throw std::runtime_error(std::string("chdir /: ") + std::strerror(errno));
	if (verbosity == 0) {
		int null = ::open("/dev/null", O_RDWR);
		for (int fd = 0; fd < 3 && null >= 0; fd++)
			::dup2(null, fd);
		if (null > 2)
			::close(null);
	}
}

class Daemon {
public:
	// Takes the file's handle, and closes its descriptor.
	Daemon(Args args, const struct stat &st, Monitor &mon, xdsm::Session &session)
		: args_(std::move(args)), mon_(mon), session_(session),
		  handle_(xdsm::Handle::of_fd(args_.fd)), ino_(st.st_ino), dev_(st.st_dev)
	{
		::close(args_.fd);
	}

	// Returns the exit status.  @started: called once the first check is done.
	int run(std::function<void()> started)
	{
		auto interval = env_ms("DMFILEMAPD_INTERVAL_MS", 1000);
		auto grace = env_ms("DMFILEMAPD_GRACE_MS", 5000);
		// While follow-path mode finds nothing at the path: since when.
		std::chrono::steady_clock::time_point missing_since;
		bool missing = false;
		while (!stop_requested) {
			auto group = mon_.stats_get(args_.group);
			if (!group) {
				log(1, "group %u was deleted: exiting", args_.group);
				return 0;
			}
			std::optional<xdsm::Handle> handle;
			try {
				handle = args_.follow_path ? follow_path() : follow_inode();
				if (handle)
					update(*group, *handle);
			} catch (const dmstat::MonitorError &e) {
				// The group deleted since stats_get() (an unmount,
				// dmstat delete), or one of its regions removed
				// by another client: the next check sees which.
				if (e.error() != ENOENT)
					throw;
				log(2, "the group changed meanwhile: %s", e.what());
				wait_or_stop(interval);
				continue;
			} catch (const std::system_error &e) {
				// A call waiting for another token's right, ended
				// by a stop, or by another signal (SIGSTOP and
				// SIGCONT, a suspend), or by drain_timeout
				// (EAGAIN): the next check tries again.
				// The first check must succeed: its starter waits
				// to hear that it did.
				int error = e.code().value();
				if (error == EINTR && stop_requested)
					break;
				if ((error != EINTR && error != EAGAIN) || started)
					throw;
				log(2, "check interrupted: %s", e.what());
				wait_or_stop(interval);
				continue;
			}
			if (handle) {
				missing = false;
			} else if (args_.follow_path) {
				auto now = std::chrono::steady_clock::now();
				if (!missing) {
					missing = true;
					missing_since = now;
				}
				if (now - missing_since >= grace) {
					log(1, "%s is gone: exiting", args_.path.c_str());
					return 0;
				}
			} else if (!fs_registered(group->fsid) || !mon_.stats_get(args_.group)) {
				// An unmount under way fails the handle as an
				// unlink does, then deletes the group; or it
				// ended (and a mount came again) since the
				// handle failed.  The next check sees the group
				// deleted.
				log(2, "the filesystem is being unmounted, or was");
			} else {
				log(1, "%s was unlinked and is open nowhere else: exiting",
				    args_.path.c_str());
				return 0;
			}
			if (started) {
				started();
				started = nullptr;
			}
			log(3, "waiting for the next check");
			wait_or_stop(interval);
		}
		log(1, "stopped by a signal");
		return 0;
	}

private:
	void update(const dmstat::StatsGroup &group, const xdsm::Handle &handle)
	{
		std::vector<Range> extents;
		try {
			extents = resident_extents(session_, handle);
		} catch (const std::system_error &e) {
			// Unlinked but still open elsewhere, or replaced
			// meanwhile: the next check sees what became of it.
			if (e.code().value() != EBADF)
				throw;
			log(2, "cannot map the file now: %s", e.what());
			return;
		}
		update_regions(mon_, args_.group, group, extents);
	}

	// Whether the module still lists the filesystem: it stops listing one
	// as its unmount begins.
	bool fs_registered(std::uint64_t fsid)
	{
		auto filesystems = mon_.filesystems();
		return std::any_of(filesystems.begin(), filesystems.end(),
				   [fsid](const dmstat::FsCounters &fs) { return fs.fsid == fsid; });
	}

	// The file's handle, or nothing once it is unlinked and open nowhere.
	// The module finds no object by the handle of a file unlinked (EBADF,
	// ESTALE, ENOENT), even one still open: then the descriptors of the
	// processes tell.
	std::optional<xdsm::Handle> follow_inode()
	{
		struct stat file = {};
		file.st_dev = dev_;
		file.st_ino = ino_;
		try {
			if (session_.fileattr(handle_, DM_AT_STAT).dt_nlink > 0)
				return handle_;
		} catch (const std::system_error &e) {
			int error = e.code().value();
			if (error != ESTALE && error != ENOENT && error != EBADF)
				throw;
		}
		if (!open_elsewhere(file))
			return std::nullopt;
		return handle_;
	}

	// The handle of what the path names now, or nothing while nothing is
	// there.  A new file there takes the group over.
	std::optional<xdsm::Handle> follow_path()
	{
		int fd = ::open(args_.path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			log(2, "%s: %s", args_.path.c_str(), std::strerror(errno));
			return std::nullopt;
		}
		struct stat st;
		if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			::close(fd);
			return std::nullopt;
		}
		auto handle = xdsm::Handle::of_fd(fd);
		::close(fd);
		/* From the first check on: the group is the file open when we started. */
		if (st.st_ino != ino_ || st.st_dev != dev_) {
			auto bytes = handle_bytes(handle);
			try {
				mon_.stats_set_file(args_.group, bytes);
			} catch (const dmstat::MonitorError &e) {
				// Unlinked since it was opened: its handle is
				// stale (EBADF), and nothing is at the path now.
				if (e.error() != EBADF)
					throw;
				log(2, "%s: gone before it could be followed", args_.path.c_str());
				return std::nullopt;
			}
			log(1, "%s was replaced: following the new file", args_.path.c_str());
			ino_ = st.st_ino;
			dev_ = st.st_dev;
		}
		return handle;
	}

	static std::vector<std::uint8_t> handle_bytes(const xdsm::Handle &h)
	{
		auto *p = static_cast<const std::uint8_t *>(h.hanp());
		return {p, p + h.hlen()};
	}

	Args args_;
	Monitor &mon_;
	xdsm::Session &session_;
	xdsm::Handle handle_;	// of the file we were given
	ino_t ino_;		// of the file the group is of now
	dev_t dev_;
};

int run(int argc, char **argv)
{
	Args args = parse(argc, argv);
	struct stat st;
	if (::fstat(args.fd, &st) != 0)
		throw std::runtime_error("FILE_DESCRIPTOR " + std::to_string(args.fd) + ": " +
					 std::strerror(errno));
	if (!S_ISREG(st.st_mode))
		throw std::runtime_error("FILE_DESCRIPTOR " + std::to_string(args.fd) +
					 " is not a regular file");
	Monitor mon;
	if (!mon.stats_get(args.group))
		throw std::runtime_error("no statistics group " + std::to_string(args.group));
	log(1, "starting with fd=%d, group_id=%u mode=%s, path=%s", args.fd, args.group,
	    args.follow_path ? "path" : "inode", args.path.c_str());
	if (!args.foreground)
		daemonize();
	catch_stop_signals();
	char *version = nullptr;
	xdsm::check(dm_init_service(&version), "dm_init_service");
	auto session = xdsm::Session::create("dmfilemapd group " + std::to_string(args.group));
	// The session holds nothing but must not outlive us, however we end.
	struct Destroyer {
		xdsm::Session &s;
		~Destroyer() { dm_destroy_session(s.id()); }
	} destroyer{session};
	Daemon daemon(args, st, mon, session);
	int status = daemon.run([] { tell_starter("ok"); });
	tell_starter("ok");	/* it ended, normally, at its first check */
	return status;
}

} // namespace

int main(int argc, char **argv)
{
	try {
		return run(argc, argv);
	} catch (const UsageError &e) {
		std::fprintf(stderr, "dmfilemapd: %s\nTry 'dmfilemapd --help' for more information.\n",
			     e.what());
		return 2;
	} catch (const std::exception &e) {
		tell_starter(e.what());
		std::fprintf(stderr, "dmfilemapd: %s\n", e.what());
		return 1;
	}
}
