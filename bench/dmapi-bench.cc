// SPDX-License-Identifier: GPL-2.0
//
// dmapi-bench: what DMAPI costs, measured in the test VM against the raw
// lower filesystem and the kernel's own peers, side by side in one run.
//
//   dmapi-bench roundtrip LOWER MNT N   a 1-byte pread of a managed region
//                                       answered CONTINUE, against the same
//                                       read answered FAN_ALLOW by fanotify
//   dmapi-bench invis LOWER MNT MIB     dm_read_invis / dm_write_invis
//                                       against pread / pwrite of the lower file
//   dmapi-bench meta LOWER MNT N        create, stat, rename, unlink of N
//                                       files: raw, dmapi without events,
//                                       dmapi with namespace events answered,
//                                       raw watched by fanotify
//   dmapi-bench scan LOWER MNT N [--keep]
//                                       dm_get_bulkattr over N files against
//                                       a walk that stats every file; with
//                                       --keep, the files stay
//   dmapi-bench scale N                 sessions created and destroyed, and
//                                       the slab memory they take
//   dmapi-bench messages N [SUFFIX]     N asynchronous messages queued and
//                                       received, and the slab memory they
//                                       take; SUFFIX ends the cases' names
//
// Each result is a line "RESULT <benchmark> <case> <value> <unit>", for
// bench/run to tabulate; times are never asserted.  The DM application and
// the fanotify listener run on a CPU other than the measured process's.
#include <xdsm/dmapi.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <ftw.h>
#include <poll.h>
#include <functional>
#include <map>
#include <sched.h>
#include <string>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

void result(const char *bench, const std::string &what, double value, const char *unit)
{
	std::printf("RESULT %s %s %.6g %s\n", bench, what.c_str(), value, unit);
}

[[noreturn]] void die(const std::string &what)
{
	std::fprintf(stderr, "dmapi-bench: %s: %s\n", what.c_str(), std::strerror(errno));
	std::exit(1);
}

void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu % std::max(1U, std::thread::hardware_concurrency()), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

double seconds_since(Clock::time_point t)
{
	return std::chrono::duration<double>(Clock::now() - t).count();
}

void write_file(const std::string &path, std::size_t size)
{
	std::ofstream(path, std::ios::binary) << std::string(size, 'x');
}

/* Median and 99th percentile of @ns, in microseconds. */
void latencies(const char *bench, const std::string &what, std::vector<double> ns)
{
	std::sort(ns.begin(), ns.end());
	result(bench, what + "-median", ns[ns.size() / 2] / 1000, "us");
	result(bench, what + "-p99", ns[ns.size() * 99 / 100] / 1000, "us");
}

std::vector<double> timed_preads(const std::string &path, unsigned int n)
{
	int fd = open(path.c_str(), O_RDONLY);
	if (fd < 0)
		die(path);
	std::vector<double> ns;
	char c;
	for (unsigned int i = 0; i < n; i++) {
		auto t = Clock::now();
		if (pread(fd, &c, 1, 0) != 1)
			die("pread " + path);
		ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t).count());
	}
	close(fd);
	return ns;
}

/* A DM application answering every event CONTINUE, on CPU 1, until stopped. */
class Answerer {
public:
	explicit Answerer(xdsm::Session &s) : session_(s), thread_([this] { run(); }) {}
	~Answerer() { stop(); }
	/* Stops answering; returns how many events it answered. */
	std::uint64_t stop()
	{
		if (thread_.joinable()) {
			stop_ = true;
			session_.send_msg(session_.id(), "stop");
			thread_.join();
		}
		return answered_;
	}

private:
	void run()
	{
		pin(1);
		while (!stop_) {
			for (const auto &m : session_.get_events(64, true)) {
				if (m.synchronous()) {
					session_.respond(m.token(), xdsm::Reply::cont());
					answered_++;
				}
			}
		}
	}

	xdsm::Session &session_;
	std::atomic<bool> stop_{false};
	std::atomic<std::uint64_t> answered_{0};
	std::thread thread_;
};

void roundtrip(const std::string &lower, const std::string &mnt, unsigned int n)
{
	pin(0);
	write_file(lower + "/rt", 4096);
	timed_preads(mnt + "/rt", 100);	/* warm the caches */
	auto base = timed_preads(mnt + "/rt", n);
	latencies("roundtrip", "no-event", base);
	{
		auto s = xdsm::Session::create("dmapi-bench roundtrip");
		auto fs = xdsm::Handle::of_filesystem(mnt);
		auto h = xdsm::Handle::of_path(mnt + "/rt");
		s.set_disp(fs, {DM_EVENT_READ});
		s.set_regions(h, {{0, 0, DM_REGION_READ, 0}});
		{
			Answerer answerer(s);
			latencies("roundtrip", "dmapi", timed_preads(mnt + "/rt", n));
			/* Else some reads timed the path without an event. */
			if (answerer.stop() < n)
				die("roundtrip: a read sent no event");
		}
		s.set_regions(h, {});
		s.set_disp(fs, {});
		s.destroy();
	}
	int fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK,
				O_RDONLY | O_LARGEFILE);
	if (fan < 0)
		die("fanotify_init");
	if (fanotify_mark(fan, FAN_MARK_ADD, FAN_ACCESS_PERM, AT_FDCWD, (lower + "/rt").c_str()))
		die("fanotify_mark");
	std::atomic<bool> stop{false};
	std::atomic<std::uint64_t> allowed{0};
	std::thread listener([&] {
		pin(1);
		char buf[4096];
		while (!stop) {
			struct pollfd p = {fan, POLLIN, 0};
			if (poll(&p, 1, 10) <= 0)
				continue;
			ssize_t len = read(fan, buf, sizeof(buf));
			for (auto *m = reinterpret_cast<fanotify_event_metadata *>(buf);
			     len > 0 && FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
				fanotify_response r = {m->fd, FAN_ALLOW};
				if (write(fan, &r, sizeof(r)) != sizeof(r))
					die("fanotify response");
				close(m->fd);
				allowed++;
			}
		}
	});
	latencies("roundtrip", "fanotify", timed_preads(lower + "/rt", n));
	stop = true;
	listener.join();
	close(fan);
	if (allowed < n)
		die("roundtrip: a read sent fanotify no event");
}

/* MiB/s of @fn called over @mib MiB in 1 MiB chunks, then @finish. */
double throughput(unsigned int mib, const std::function<void(off_t, char *)> &fn,
		  const std::function<void()> &finish = [] {})
{
	std::vector<char> buf(1 << 20, 'y');
	auto t = Clock::now();
	for (unsigned int i = 0; i < mib; i++)
		fn(static_cast<off_t>(i) << 20, buf.data());
	finish();
	return mib / seconds_since(t);
}

void invis(const std::string &lower, const std::string &mnt, unsigned int mib)
{
	std::string path = lower + "/invis";
	write_file(path, static_cast<std::size_t>(mib) << 20);
	auto s = xdsm::Session::create("dmapi-bench invis");
	auto h = xdsm::Handle::of_path(mnt + "/invis");
	int fd = open(path.c_str(), O_RDWR);
	if (fd < 0)
		die(path);
	auto flush = [&] {
		if (fdatasync(fd))
			die("fdatasync");
	};
	/*
	 * Written back before any pass is timed: the writeback of the file
	 * laid out would otherwise run during, and be counted in, the reads
	 * (on one CPU, a quarter of plain reads' time).
	 */
	flush();
	for (int pass = 0; pass < 2; pass++) {	/* the first warms the cache */
		double raw = throughput(mib, [&](off_t off, char *b) {
			if (pread(fd, b, 1 << 20, off) != 1 << 20)
				die("pread");
		});
		double dm = throughput(mib, [&](off_t off, char *b) {
			if (s.read_invis(h, off, b, 1 << 20) != 1 << 20)
				die("read_invis: short");
		});
		if (pass) {
			result("invis", "pread", raw, "MiB/s");
			result("invis", "read_invis", dm, "MiB/s");
		}
	}
	/*
	 * Each write pass starts from clean pages and ends with them on
	 * the disk: a pass that finds the pages already dirty skips the
	 * dirty accounting and writeback that the pass before it paid for.
	 */
	auto written = [&](const std::function<void(off_t, char *)> &fn) {
		flush();
		return throughput(mib, fn, flush);
	};
	double raw = written([&](off_t off, char *b) {
		if (pwrite(fd, b, 1 << 20, off) != 1 << 20)
			die("pwrite");
	});
	double dm = written([&](off_t off, char *b) {
		if (s.write_invis(h, off, b, 1 << 20) != 1 << 20)
			die("write_invis: short");
	});
	result("invis", "pwrite", raw, "MiB/s");
	result("invis", "write_invis", dm, "MiB/s");
	close(fd);
	s.destroy();
	unlink(path.c_str());
}

void drop_caches()
{
	sync();
	std::ofstream("/proc/sys/vm/drop_caches") << "3\n";
}

/* Seconds each phase took, by phase, summed over runs. */
using PhaseTimes = std::map<std::string, double>;

/* Time the phases of the metadata benchmark over @n files in @dir. */
PhaseTimes meta_run(const std::string &dir, unsigned int n)
{
	PhaseTimes times;
	/*
	 * Each configuration starts from the same cold caches: otherwise
	 * the later ones pay for reclaiming what the earlier ones left.
	 */
	drop_caches();
	mkdir(dir.c_str(), 0755);
	auto name = [&](const char *p, unsigned int i) { return dir + "/" + p + std::to_string(i); };
	auto phase = [&](const char *op, const std::function<void(unsigned int)> &fn) {
		auto t = Clock::now();
		for (unsigned int i = 0; i < n; i++)
			fn(i);
		times[op] = seconds_since(t);
	};
	phase("create", [&](unsigned int i) {
		int fd = open(name("f", i).c_str(), O_CREAT | O_WRONLY, 0644);
		if (fd < 0)
			die("create");
		close(fd);
	});
	phase("stat", [&](unsigned int i) {
		struct stat st;
		if (stat(name("f", i).c_str(), &st))
			die("stat");
	});
	phase("rename", [&](unsigned int i) {
		if (rename(name("f", i).c_str(), name("g", i).c_str()))
			die("rename");
	});
	phase("unlink", [&](unsigned int i) {
		if (unlink(name("g", i).c_str()))
			die("unlink");
	});
	rmdir(dir.c_str());
	return times;
}

void meta_report(const std::string &what, unsigned int ops, const PhaseTimes &times)
{
	for (const auto &[op, secs] : times)
		result("meta", what + "-" + op, ops / secs, "ops/s");
}

PhaseTimes &operator+=(PhaseTimes &sum, const PhaseTimes &more)
{
	for (const auto &[op, secs] : more)
		sum[op] += secs;
	return sum;
}

void meta(const std::string &lower, const std::string &mnt, unsigned int n)
{
	pin(0);
	/*
	 * Whatever runs first pays for warming the caches (under an
	 * emulating hypervisor, for translating the code): warm both paths.
	 */
	meta_run(lower + "/meta-warm", std::max(n / 10, 1U));
	meta_run(mnt + "/meta-warm", std::max(n / 10, 1U));
	/*
	 * What a run leaves behind (the lower filesystem's background work,
	 * its log) slows the next: raw and dmapi take turns in the order
	 * raw, dmapi, dmapi, raw, so that drift weighs on both alike.
	 */
	PhaseTimes raw, off;
	raw += meta_run(lower + "/meta-raw", n);
	off += meta_run(mnt + "/meta-off", n);
	off += meta_run(mnt + "/meta-off", n);
	raw += meta_run(lower + "/meta-raw", n);
	meta_report("raw", 2 * n, raw);
	meta_report("dmapi", 2 * n, off);
	{
		auto s = xdsm::Session::create("dmapi-bench meta");
		auto fs = xdsm::Handle::of_filesystem(mnt);
		xdsm::EventSet ns = {DM_EVENT_CREATE, DM_EVENT_POSTCREATE, DM_EVENT_REMOVE,
				     DM_EVENT_POSTREMOVE, DM_EVENT_RENAME, DM_EVENT_POSTRENAME};
		s.set_disp(fs, ns);
		s.set_eventlist(fs, ns);
		{
			Answerer answerer(s);
			meta_report("dmapi-events", n, meta_run(mnt + "/meta-on", n));
			if (answerer.stop() < n)
				die("meta: a create sent no event");
		}
		s.set_eventlist(fs, {});
		s.set_disp(fs, {});
		for (const auto &m : s.get_events(1 << 20, false))
			(void)m;	/* the POST events left */
		s.destroy();
	}
	int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_NONBLOCK, O_RDONLY);
	if (fan < 0)
		die("fanotify_init");
	if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
			  FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_ONDIR,
			  AT_FDCWD, lower.c_str()))
		die("fanotify_mark");
	std::atomic<bool> stop{false};
	std::atomic<std::uint64_t> seen{0};
	std::atomic<bool> overflowed{false};
	std::thread listener([&] {
		pin(1);
		std::vector<char> buf(65536);
		/* Once stopped, what is still queued is read before it ends. */
		for (;;) {
			ssize_t len = read(fan, buf.data(), buf.size());
			if (len <= 0) {
				if (stop)
					break;
				std::this_thread::sleep_for(std::chrono::microseconds(100));
				continue;
			}
			for (auto *m = reinterpret_cast<fanotify_event_metadata *>(buf.data());
			     FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
				if (m->mask & FAN_Q_OVERFLOW)
					overflowed = true;
				seen++;
			}
		}
	});
	meta_report("fanotify", n, meta_run(lower + "/meta-fan", n));
	stop = true;
	listener.join();
	close(fan);
	/* A queue that overflowed dropped events: a slow listener, not a bug. */
	if (seen < n && !overflowed)
		die("meta: fanotify saw fewer events than files created");
}

std::atomic<std::uint64_t> walked{0};

void scan(const std::string &lower, const std::string &mnt, unsigned int n, bool keep)
{
	std::string dir = lower + "/scan";
	mkdir(dir.c_str(), 0755);
	for (unsigned int i = 0; i < n; i++)
		close(open((dir + "/f" + std::to_string(i)).c_str(), O_CREAT | O_WRONLY, 0644));
	sync();
	auto s = xdsm::Session::create("dmapi-bench scan");
	auto fs = xdsm::Handle::of_filesystem(mnt);
	for (int pass = 0; pass < 2; pass++) {	/* the first warms the caches */
		auto t = Clock::now();
		std::uint64_t objects = 0;
		for (const auto &e : s.bulkattr(fs, DM_AT_STAT))
			objects += S_ISREG(e.stat.dt_mode);
		double bulk = objects / seconds_since(t);
		t = Clock::now();
		walked = 0;
		nftw(mnt.c_str(), [](const char *, const struct stat *st, int, struct FTW *) {
			walked += S_ISREG(st->st_mode);
			return 0;
		}, 64, FTW_PHYS | FTW_MOUNT);
		double walk = walked / seconds_since(t);
		if (objects < n || walked < n)
			die("scan: fewer files found than were made");
		if (pass) {
			result("scan", "bulkattr", bulk, "objects/s");
			result("scan", "walk-stat", walk, "objects/s");
		}
	}
	s.destroy();
	if (keep)
		return;	/* for the caller's own scans */
	for (unsigned int i = 0; i < n; i++)
		unlink((dir + "/f" + std::to_string(i)).c_str());
	rmdir(dir.c_str());
}

long slab_kib()
{
	std::ifstream in("/proc/meminfo");
	std::string key;
	long v = 0;
	while (in >> key >> v)
		if (key == "Slab:")
			return v;
		else
			in.ignore(1 << 10, '\n');
	return 0;
}

void scale(unsigned int n)
{
	/* Sessions: created, then destroyed. */
	long before = slab_kib();
	std::vector<xdsm::Session> sessions;
	auto t = Clock::now();
	for (unsigned int i = 0; i < n; i++)
		sessions.push_back(xdsm::Session::create("dmapi-bench " + std::to_string(i)));
	result("scale", "session-create", n / seconds_since(t), "ops/s");
	result("scale", "session-memory", (slab_kib() - before) * 1024.0 / n, "bytes");
	t = Clock::now();
	for (auto &s : sessions)
		s.destroy();
	result("scale", "session-destroy", n / seconds_since(t), "ops/s");
}

/*
 * Asynchronous messages: msgs queued, then received.  suffix names the
 * run in its cases: guest-bench runs it again in a memory cgroup, which
 * each message is charged to.
 */
void messages(unsigned int msgs, const std::string &suffix)
{
	auto s = xdsm::Session::create("dmapi-bench messages");
	long before = slab_kib();
	auto t = Clock::now();
	for (unsigned int i = 0; i < msgs; i++)
		s.send_msg(s.id(), "a queued message");
	result("scale", "message-send" + suffix, msgs / seconds_since(t), "msgs/s");
	result("scale", "message-memory" + suffix,
	       (slab_kib() - before) * 1024.0 / msgs, "bytes");
	t = Clock::now();
	std::uint64_t got = 0;
	while (got < msgs)
		got += s.get_events(1024, false).size();
	result("scale", "message-receive" + suffix, msgs / seconds_since(t), "msgs/s");
	s.destroy();
}

} // namespace

int main(int argc, char **argv)
{
	std::setvbuf(stdout, nullptr, _IOLBF, 0);
	std::string cmd = argc > 1 ? argv[1] : "";
	try {
		if (cmd == "roundtrip" && argc == 5)
			roundtrip(argv[2], argv[3], std::stoul(argv[4]));
		else if (cmd == "invis" && argc == 5)
			invis(argv[2], argv[3], std::stoul(argv[4]));
		else if (cmd == "meta" && argc == 5)
			meta(argv[2], argv[3], std::stoul(argv[4]));
		else if (cmd == "scan" && (argc == 5 || (argc == 6 && std::string(argv[5]) == "--keep")))
			scan(argv[2], argv[3], std::stoul(argv[4]), argc == 6);
		else if (cmd == "scale" && argc == 3)
			scale(std::stoul(argv[2]));
		else if (cmd == "messages" && (argc == 3 || argc == 4))
			messages(std::stoul(argv[2]), argc == 4 ? argv[3] : "");
		else {
			std::fprintf(stderr, "usage: dmapi-bench roundtrip|invis|meta|scan LOWER MNT N\n"
					     "       dmapi-bench scale N\n"
					     "       dmapi-bench messages N [SUFFIX]\n");
			return 2;
		}
	} catch (const std::exception &e) {
		std::fprintf(stderr, "dmapi-bench: %s\n", e.what());
		return 1;
	}
	return 0;
}
