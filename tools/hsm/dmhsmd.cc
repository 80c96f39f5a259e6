// SPDX-License-Identifier: GPL-2.0
//
// dmhsmd: the reference HSM's daemon.  It holds the MOUNT disposition
// and, on every dmapi filesystem, those of the events a migrated file
// sends: READ, WRITE and TRUNCATE recall its data, DESTROY removes its
// copy, NOSPACE migrates the least recently used files until a write
// fits.  Its session outlives it: killed and restarted, it takes the
// session over and answers what was left outstanding.
#include "config.h"
#include "hsm.h"
#include "log.h"
#include "nudge.h"

#include <xdsm/dmapi.hpp>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <fstream>
#include <getopt.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef DMHSM_VERSION
#error "DMHSM_VERSION must name the release"
#endif

using namespace hsm;

namespace {

constexpr const char usage_text[] = R"(Usage: dmhsmd [OPTION]...
The reference HSM's daemon: recalls migrated files of every dmapi
filesystem when they are accessed, removes their copies when they are
destroyed, and migrates the least recently used files when a filesystem
is full.

  -f, --foreground      stay in the foreground and log to stderr (else:
                        detach and log to syslog)
  -v, --verbose         log every event
  -c, --config FILE     the configuration (default /etc/dmhsm.conf)
      --store URL       the store for files migrated to make space,
                        overriding the configuration
      --stub SIZE       bytes kept on disk of such files (default 4K)
      --workers N       events handled at once (default 4)
      --session INFO    the session's info string (default dmhsmd)
  -h, --help            show this help and exit
  -V, --version         show the version and exit

Stopped (SIGTERM, SIGINT) it keeps its session and dispositions, so that
accesses to migrated files wait for its restart rather than fail.  SIGUSR1
logs what it has done so far.  Exit status: 0 stopped, 1 failed, 2 usage.
)";

struct Options {
	bool foreground = false;
	bool verbose = false;
	std::string config;
	std::string info = "dmhsmd";
	unsigned int workers = 4;
	std::optional<std::string> store;
	std::optional<std::uint64_t> stub;
};

volatile std::sig_atomic_t stop_requested = 0;
volatile std::sig_atomic_t stats_requested = 0;
volatile std::sig_atomic_t reap_requested = 0;

/* How often sessions of killed dmhsm commands are looked for. */
constexpr unsigned int kReapSeconds = 5;

/* The messages read and not yet answered, for the workers. */
class Queue {
public:
	void push(xdsm::Message m)
	{
		{
			std::lock_guard<std::mutex> g(lock_);
			q_.push_back(std::move(m));
		}
		cv_.notify_one();
	}

	std::optional<xdsm::Message> pop()
	{
		std::unique_lock<std::mutex> g(lock_);
		cv_.wait(g, [&] { return closed_ || !q_.empty(); });
		if (q_.empty())
			return std::nullopt;
		xdsm::Message m = std::move(q_.front());
		q_.pop_front();
		return m;
	}

	void close()
	{
		{
			std::lock_guard<std::mutex> g(lock_);
			closed_ = true;
		}
		cv_.notify_all();
	}

private:
	std::mutex lock_;
	std::condition_variable cv_;
	std::deque<xdsm::Message> q_;
	bool closed_ = false;
};

class Daemon {
public:
	Daemon(Options opts, Config config)
		: opts_(std::move(opts)), config_(std::move(config)),
		  session_(xdsm::Session::find_or_create(opts_.info)), manager_(session_)
	{
		manager_.on_full([this](const xdsm::Handle &fs, std::uint64_t need,
					const xdsm::Handle &exclude, dm_token_t token) {
			return make_space(fs, need, exclude, token);
		});
	}

	void start();
	void run();
	void log_summary();

private:
	void manage(const xdsm::Handle &fs, const std::string &mountpoint);
	void manage_mounted();
	void recover();
	void work();
	void stop_workers();
	void handle(const xdsm::Message &m);
	void abort_eio(dm_token_t token);
	xdsm::Reply answer(const xdsm::Message &m);
	std::optional<std::string> mountpoint(const xdsm::Handle &fs);
	bool sync_before_drop(const xdsm::Handle &object);
	bool make_space(const xdsm::Handle &fs, std::uint64_t need, const xdsm::Handle &exclude,
			dm_token_t token);

	Options opts_;
	Config config_;
	xdsm::Session session_;
	Manager manager_;
	Queue queue_;
	std::vector<std::thread> workers_;
	std::mutex mounts_lock_;
	std::map<std::string, std::string> mounts_;	/* fs handle hex -> mountpoint */
	std::array<std::atomic<std::uint64_t>, DM_EVENT_MAX> events_{};
	std::atomic<std::uint64_t> aborted_{0};
	std::atomic<std::uint64_t> space_released_{0};
};

/* Take the events a migrated file sends on filesystem @fs. */
void Daemon::manage(const xdsm::Handle &fs, const std::string &mountpoint)
{
	session_.set_disp(fs, {DM_EVENT_READ, DM_EVENT_WRITE, DM_EVENT_TRUNCATE, DM_EVENT_DESTROY,
			       DM_EVENT_NOSPACE});
	xdsm::EventSet list = session_.eventlist(fs);
	list.add(DM_EVENT_DESTROY);
	list.add(DM_EVENT_NOSPACE);
	session_.set_eventlist(fs, list);
	session_.set_return_on_destroy(fs, kAttribute);
	{
		std::lock_guard<std::mutex> g(mounts_lock_);
		mounts_[handle_hex(fs)] = mountpoint;
	}
	Policy p = config_.policy(mountpoint);
	log(Level::info, "managing %s (store %s, stub %llu)", mountpoint.c_str(), p.store.c_str(),
	    static_cast<unsigned long long>(p.stub));
}

/* The dmapi filesystems mounted before we started send no MOUNT. */
void Daemon::manage_mounted()
{
	for (const std::string &where : dmapi_mountpoints()) {
		try {
			manage(xdsm::Handle::of_filesystem(where), where);
		} catch (const std::system_error &e) {
			log(Level::error, "%s: %s", where.c_str(), e.what());
		}
	}
}

/* A restarted daemon answers what its predecessor left outstanding. */
void Daemon::recover()
{
	for (dm_token_t token : session_.tokens()) {
		try {
			queue_.push(session_.find_message(token));
			log(Level::info, "taking over outstanding token %llu",
			    static_cast<unsigned long long>(token));
		} catch (const std::system_error &e) {
			/* Answered meanwhile, by a waiter that went. */
			log(Level::warning, "token %llu: %s", static_cast<unsigned long long>(token),
			    e.what());
		}
	}
}

void Daemon::start()
{
	session_.set_disp(xdsm::Handle::global(), {DM_EVENT_MOUNT});
	manage_mounted();
	if (!opts_.foreground && daemon(0, 0) != 0)
		xdsm::throw_errno("daemon");
	/* Never the reason a filesystem cannot be unmounted. */
	if (chdir("/") != 0)
		xdsm::throw_errno("chdir /");
	recover();
	/* Signals are for the thread that waits for events. */
	sigset_t set, old;
	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (unsigned int i = 0; i < opts_.workers; i++)
		workers_.emplace_back([this] { work(); });
	pthread_sigmask(SIG_SETMASK, &old, nullptr);
	reap_command_sessions();
	alarm(kReapSeconds);
	log(Level::info, "ready: session %d, %u workers", session_.id(), opts_.workers);
}

void Daemon::run()
{
	while (!stop_requested) {
		if (stats_requested) {
			stats_requested = 0;
			log_summary();
		}
		if (reap_requested) {
			reap_requested = 0;
			reap_command_sessions();
			/* It replaces the nudges of a stop signal that came meanwhile. */
			alarm(kReapSeconds);
			continue;
		}
		try {
			for (xdsm::Message &m : session_.get_events(64, true))
				queue_.push(std::move(m));
		} catch (const std::system_error &e) {
			if (e.code().value() == EINTR)
				continue;
			/* The workers finish what they have before we fail. */
			stop_workers();
			throw;
		}
	}
	dmtool::stop_nudging();
	stop_workers();
}

void Daemon::stop_workers()
{
	queue_.close();
	for (auto &w : workers_)
		w.join();
	workers_.clear();
}

void Daemon::work()
{
	while (auto m = queue_.pop())
		handle(*m);
}

void Daemon::handle(const xdsm::Message &m)
{
	if (m.type() < DM_EVENT_MAX)
		events_[m.type()]++;
	xdsm::Reply reply = answer(m);
	if (reply.response == DM_RESP_ABORT)
		aborted_++;
	if (!m.synchronous())
		return;
	try {
		session_.respond(m.token(), reply);
	} catch (const std::system_error &e) {
		/* Answered meanwhile: the sender was killed, or a takeover. */
		if (e.code().value() == ESRCH)
			return;
		log(Level::error, "answering token %llu: %s",
		    static_cast<unsigned long long>(m.token()), e.what());
		/* Its sender must not wait until the daemon's next start. */
		if (reply.response != DM_RESP_ABORT || reply.error != EIO)
			abort_eio(m.token());
	}
}

void Daemon::abort_eio(dm_token_t token)
{
	try {
		session_.respond(token, xdsm::Reply::abort(EIO));
		aborted_++;
	} catch (const std::system_error &e) {
		if (e.code().value() != ESRCH)
			log(Level::error, "answering token %llu ABORT: %s",
			    static_cast<unsigned long long>(token), e.what());
	}
}

const char *event_name(dm_eventtype_t type)
{
	static const std::map<dm_eventtype_t, const char *> names = {
		{DM_EVENT_MOUNT, "MOUNT"}, {DM_EVENT_PREUNMOUNT, "PREUNMOUNT"},
		{DM_EVENT_UNMOUNT, "UNMOUNT"}, {DM_EVENT_NOSPACE, "NOSPACE"},
		{DM_EVENT_READ, "READ"}, {DM_EVENT_WRITE, "WRITE"},
		{DM_EVENT_TRUNCATE, "TRUNCATE"}, {DM_EVENT_DESTROY, "DESTROY"},
		{DM_EVENT_USER, "USER"}, {DM_EVENT_CANCEL, "CANCEL"},
	};
	auto it = names.find(type);
	return it == names.end() ? "OTHER" : it->second;
}

xdsm::Reply Daemon::answer(const xdsm::Message &m)
{
	log(Level::debug, "%s token %llu", event_name(m.type()),
	    static_cast<unsigned long long>(m.token()));
	try {
		switch (m.type()) {
		case DM_EVENT_MOUNT: {
			xdsm::MountEvent me = m.mount();
			manage(me.filesystem, std::string(me.mountpoint));
			return xdsm::Reply::cont();
		}
		case DM_EVENT_READ:
		case DM_EVENT_WRITE:
		case DM_EVENT_TRUNCATE:
			return manager_.on_data_event(m);
		case DM_EVENT_NOSPACE: {
			xdsm::DataEvent de = m.data_event();
			std::uint64_t need = std::max<std::uint64_t>(de.length, 1 << 20);
			return make_space(de.object.filesystem(), need, de.object, m.token()) ?
				       xdsm::Reply::cont() : xdsm::Reply::abort(ENOSPC);
		}
		case DM_EVENT_DESTROY: {
			xdsm::DestroyEvent ev = m.destroy();
			bool copied = ev.attrname == kAttribute && !ev.attrcopy.empty();
			if (copied && sync_before_drop(ev.object))
				manager_.on_destroy(m);
			return xdsm::Reply::cont();
		}
		default:
			return xdsm::Reply::cont();
		}
	} catch (const std::exception &e) {
		log(Level::error, "%s token %llu: %s; answering ABORT EIO", event_name(m.type()),
		    static_cast<unsigned long long>(m.token()), e.what());
		return xdsm::Reply::abort(EIO);
	}
}

/*
 * The unlink that destroyed @object on disk before its copy goes: a
 * crash must not bring back an offline file whose copy is gone.  On
 * failure the copy stays, for gc to find once the file is surely gone.
 */
bool Daemon::sync_before_drop(const xdsm::Handle &object)
{
	auto where = mountpoint(object.filesystem());
	if (!where) {
		log(Level::warning, "DESTROY on a filesystem not managed: its copy stays for gc");
		return false;
	}
	int fd = open(where->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool synced = fd >= 0 && syncfs(fd) == 0;
	if (!synced)
		log(Level::warning, "DESTROY: %s not synced (%s): its copy stays for gc",
		    where->c_str(), std::strerror(errno));
	if (fd >= 0)
		close(fd);
	return synced;
}

std::optional<std::string> Daemon::mountpoint(const xdsm::Handle &fs)
{
	std::lock_guard<std::mutex> g(mounts_lock_);
	auto it = mounts_.find(handle_hex(fs));
	if (it == mounts_.end())
		return std::nullopt;
	return it->second;
}

std::uint64_t available(const std::string &mountpoint)
{
	struct statvfs sv;
	if (statvfs(mountpoint.c_str(), &sv) != 0)
		return 0;
	return static_cast<std::uint64_t>(sv.f_bavail) * sv.f_frsize;
}

/*
 * Migrate and release the least recently used online files of @fs until
 * @need bytes are free.  Files another token holds are passed over, not
 * waited for: their holder may be waiting for space too.
 */
bool Daemon::make_space(const xdsm::Handle &fs, std::uint64_t need, const xdsm::Handle &exclude,
			dm_token_t token)
{
	auto mp = mountpoint(fs);
	if (!mp)
		return false;
	if (available(*mp) >= need)
		return true;
	Policy policy = config_.policy(*mp);
	struct Candidate {
		std::int64_t used;
		xdsm::Handle handle;
	};
	std::vector<Candidate> candidates;
	for (const xdsm::Entry &e : session_.bulkall(fs, kAttribute)) {
		if (!S_ISREG(e.stat.dt_mode) || e.handle == exclude ||
		    static_cast<std::uint64_t>(e.stat.dt_blocks) * 512 <= policy.stub)
			continue;
		auto rec = Record::decode(std::string_view(
			reinterpret_cast<const char *>(e.attribute.data()), e.attribute.size()));
		if (rec && rec->state == State::offline)
			continue;
		candidates.push_back({std::max<std::int64_t>(e.stat.dt_atime, e.stat.dt_mtime),
				      e.handle});
	}
	std::sort(candidates.begin(), candidates.end(),
		  [](const Candidate &a, const Candidate &b) { return a.used < b.used; });
	std::uint64_t released = 0;
	for (const Candidate &c : candidates) {
		try {
			Outcome out = manager_.migrate(c.handle, token, policy.store, policy.stub, true,
						       false);
			if (out.record && out.record->state == State::offline)
				released++;
		} catch (const std::system_error &e) {
			log(Level::debug, "space: passing over %s: %s", handle_hex(c.handle).c_str(),
			    e.what());
		}
		if (available(*mp) >= need)
			break;
	}
	space_released_ += released;
	log(Level::info, "%s full: released %llu files, %llu bytes free", mp->c_str(),
	    static_cast<unsigned long long>(released),
	    static_cast<unsigned long long>(available(*mp)));
	return released > 0 || available(*mp) >= need;
}

void Daemon::log_summary()
{
	std::string events;
	for (int t = 0; t < DM_EVENT_MAX; t++)
		if (events_[t])
			events += std::string(events.empty() ? "" : ", ") +
				  event_name(static_cast<dm_eventtype_t>(t)) + " " +
				  std::to_string(events_[t].load());
	const Counters &c = manager_.counters;
	log(Level::info, "events: %s", events.empty() ? "none" : events.c_str());
	log(Level::info,
	    "recalled %llu files (%llu bytes), %llu failed; migrated %llu files (%llu bytes), "
	    "%llu for space; %llu copies removed; %llu answers ABORT",
	    static_cast<unsigned long long>(c.recalled.load()),
	    static_cast<unsigned long long>(c.recalled_bytes.load()),
	    static_cast<unsigned long long>(c.failed_recalls.load()),
	    static_cast<unsigned long long>(c.migrated.load()),
	    static_cast<unsigned long long>(c.migrated_bytes.load()),
	    static_cast<unsigned long long>(space_released_.load()),
	    static_cast<unsigned long long>(c.copies_removed.load()),
	    static_cast<unsigned long long>(aborted_.load()));
}

void on_signal(int sig)
{
	if (sig == SIGUSR1)
		stats_requested = 1;
	else if (sig == SIGALRM)
		reap_requested = 1;
	else {
		if (!stop_requested)
			dmtool::start_nudging();
		stop_requested = 1;
	}
}

/*
 * Each signal ends the main thread's wait for events (EINTR, whatever
 * SA_RESTART says).  SIGALRM comes for the reaping and, after a stop, as
 * the nudges that end a wait begun just after the stop signal: with
 * SA_RESTART, the calls it interrupts that can be restarted are.
 */
void install_signals()
{
	struct sigaction sa = {};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, nullptr);
	sa.sa_flags = 0;
	for (int sig : {SIGTERM, SIGINT, SIGUSR1})
		sigaction(sig, &sa, nullptr);
	signal(SIGPIPE, SIG_IGN);
}

int parse(int argc, char **argv, Options &o)
{
	static const option longs[] = {
		{"foreground", no_argument, nullptr, 'f'}, {"verbose", no_argument, nullptr, 'v'},
		{"config", required_argument, nullptr, 'c'}, {"store", required_argument, nullptr, 's'},
		{"stub", required_argument, nullptr, 'S'}, {"workers", required_argument, nullptr, 'w'},
		{"session", required_argument, nullptr, 'i'}, {"help", no_argument, nullptr, 'h'},
		{"version", no_argument, nullptr, 'V'}, {nullptr, 0, nullptr, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "fvc:hV", longs, nullptr)) != -1) {
		switch (c) {
		case 'f':
			o.foreground = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'c':
			o.config = optarg;
			break;
		case 's':
			o.store = optarg;
			break;
		case 'S':
			o.stub = parse_size(optarg);
			if (!o.stub) {
				std::fprintf(stderr, "dmhsmd: --stub %s: not a size\n", optarg);
				return 2;
			}
			break;
		case 'w': {
			auto n = parse_size(optarg);
			if (!n || *n == 0 || *n > 64) {
				std::fprintf(stderr, "dmhsmd: --workers: 1 to 64\n");
				return 2;
			}
			o.workers = static_cast<unsigned int>(*n);
			break;
		}
		case 'i':
			o.info = optarg;
			break;
		case 'h':
			std::fputs(usage_text, stdout);
			return 0;
		case 'V':
			std::printf("dmhsmd %s\n", DMHSM_VERSION);
			return 0;
		default:
			std::fputs("Try 'dmhsmd --help'.\n", stderr);
			return 2;
		}
	}
	if (optind != argc) {
		std::fprintf(stderr, "dmhsmd: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	return -1;
}

} // namespace

int main(int argc, char **argv)
{
	Options opts;
	int rc = parse(argc, argv, opts);
	if (rc >= 0)
		return rc;
	log_open("dmhsmd", !opts.foreground, opts.verbose);
	try {
		Config config = Config::load(opts.config);
		config.store_override = opts.store;
		config.stub_override = opts.stub;
		install_signals();
		Daemon d(std::move(opts), std::move(config));
		d.start();
		d.run();
		d.log_summary();
		log(Level::info, "stopped; the session stays for the next start");
	} catch (const std::exception &e) {
		log(Level::error, "%s", e.what());
		if (!opts.foreground)
			std::fprintf(stderr, "dmhsmd: %s\n", e.what());
		return 1;
	}
	return 0;
}
