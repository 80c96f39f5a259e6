// SPDX-License-Identifier: GPL-2.0
//
// dmapi-stress: many processes doing mixed I/O and namespace operations on
// managed files of a dmapi mount while several DM applications answer,
// move and abort their events and take rights, for a while; then every
// process must end, no token may be left outstanding, and every session
// must be destroyable.
//
//   dmapi-stress [--seconds S] [--workers N] [--apps N] [--files N]
//                [--kill-every MS] [--seed N] MOUNTPOINT
//
// The first application holds the dispositions of the data and namespace
// events.  For each event it receives it answers CONTINUE, or ABORT with
// EIO, or moves the event to another application, or first takes a right
// on the event's object with the event's token.  Every application also
// makes tokens of its own with dm_create_userevent() and holds rights on
// random managed files with them, which the workers' I/O must wait for.
// One managed file is a program (a copy of /bin/true) that the workers
// run now and then: execve() reads and maps it, each with its event.  A
// right that waits out drain_timeout (EAGAIN) fails the run: nothing the
// workers do keeps an access admitted that long.
//
// One more application runs in a process of its own, the mortal: it holds
// the disposition of TRUNCATE, the owner moves some events to it too, and
// it answers them as the others do.  It is killed with SIGKILL at random
// points, on average every --kill-every milliseconds (0: never), whatever
// it is doing: waiting for a right, holding one, between an event and its
// answer.  A successor takes its session over at once and answers every
// token it left.  The workers waiting on those events must all go on.
//
// The figures printed at the end say how much of each happened.
#include <xdsm/dmapi.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csetjmp>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <new>
#include <random>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kFileSize = 64 * 1024;

/* What the workers did, in memory shared across fork(). */
struct WorkerCounts {
	std::atomic<std::uint64_t> reads, writes, stores, truncates, creates,
		renames, unlinks, mkdirs, stats, execs, chmods, failures;
	/* Reads, writes, stores and truncations of the managed files. */
	std::atomic<std::uint64_t> data_done, data_failed;
};

/* What the applications did. */
struct AppCounts {
	std::atomic<std::uint64_t> events, continued, aborted, moved,
		event_rights, user_tokens, user_rights, calls, refused, drained_out;
};

/* What befell the mortal application, and what its successors inherited. */
struct MortalCounts {
	std::atomic<std::uint64_t> kills, takeovers, inherited;
};

/* The counts of the processes, in memory shared across fork(). */
struct Shared {
	WorkerCounts workers;
	AppCounts mortal;
	MortalCounts fate;
};

struct Options {
	double seconds = 30;
	int workers = 8;
	int apps = 3;
	int files = 32;
	int kill_every_ms = 200;
	std::uint64_t seed = 0;
	std::string mnt;
};

[[noreturn]] void die(const char *what)
{
	std::fprintf(stderr, "dmapi-stress: %s: %s\n", what, std::strerror(errno));
	std::exit(2);
}

using xdsm::Handle;

std::string file_name(const Options &o, int i)
{
	return o.mnt + "/stress/f" + std::to_string(i);
}

std::string program_name(const Options &o)
{
	return o.mnt + "/stress/prog";
}

/* Copy /bin/true to @to, executable. */
void copy_program(const std::string &to)
{
	std::ifstream in("/bin/true", std::ios::binary);
	std::ofstream out(to, std::ios::binary | std::ios::trunc);
	out << in.rdbuf();
	out.close();
	if (!in || !out || chmod(to.c_str(), 0755))
		die(to.c_str());
}

/* A whole-file region for READ, WRITE and TRUNCATE on @path. */
Handle manage(const std::string &path, dm_sessid_t sid)
{
	Handle h = Handle::of_path(path);
	dm_region_t region = {};
	region.rg_flags = DM_REGION_READ | DM_REGION_WRITE | DM_REGION_TRUNCATE;
	dm_boolean_t exact;
	if (dm_set_region(sid, h.hanp(), h.hlen(), DM_NO_TOKEN, 1, &region, &exact))
		die("dm_set_region");
	return h;
}

/*
 * The managed files, every access to which is an event; the program is
 * the last.
 */
std::vector<Handle> make_files(const Options &o, dm_sessid_t sid)
{
	std::vector<Handle> handles;
	std::vector<char> data(kFileSize, 'x');

	mkdir((o.mnt + "/stress").c_str(), 0755);
	mkdir((o.mnt + "/stress/scratch").c_str(), 0755);
	for (int i = 0; i < o.files; i++) {
		std::string p = file_name(o, i);
		int fd = open(p.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
		if (fd < 0 || write(fd, data.data(), data.size()) != kFileSize)
			die(p.c_str());
		close(fd);
		handles.push_back(manage(p, sid));
	}
	copy_program(program_name(o));
	handles.push_back(manage(program_name(o), sid));
	return handles;
}

/*
 * The owner takes the data and namespace events of the filesystem; the
 * mortal, when there is one, takes TRUNCATE.
 */
void take_dispositions(const Options &o, dm_sessid_t sid, dm_sessid_t mortal)
{
	Handle fs = Handle::of_filesystem(o.mnt);
	dm_eventset_t set;
	DMEV_ZERO(set);
	for (dm_eventtype_t e : {DM_EVENT_READ, DM_EVENT_WRITE, DM_EVENT_TRUNCATE,
				  DM_EVENT_CREATE, DM_EVENT_REMOVE, DM_EVENT_RENAME,
				  DM_EVENT_POSTCREATE, DM_EVENT_POSTREMOVE})
		DMEV_SET(e, set);
	if (mortal != DM_NO_SESSION) {
		DMEV_CLR(DM_EVENT_TRUNCATE, set);
		dm_eventset_t truncate;
		DMEV_ZERO(truncate);
		DMEV_SET(DM_EVENT_TRUNCATE, truncate);
		if (dm_set_disp(mortal, fs.hanp(), fs.hlen(), DM_NO_TOKEN, &truncate,
				DM_EVENT_MAX))
			die("dm_set_disp");
	}
	if (dm_set_disp(sid, fs.hanp(), fs.hlen(), DM_NO_TOKEN, &set, DM_EVENT_MAX))
		die("dm_set_disp");
	dm_eventset_t ns;
	DMEV_ZERO(ns);
	for (dm_eventtype_t e : {DM_EVENT_CREATE, DM_EVENT_REMOVE, DM_EVENT_RENAME,
				  DM_EVENT_POSTCREATE, DM_EVENT_POSTREMOVE})
		DMEV_SET(e, ns);
	if (dm_set_eventlist(sid, fs.hanp(), fs.hlen(), DM_NO_TOKEN, &ns, DM_EVENT_MAX))
		die("dm_set_eventlist");
}

/* Where a store through a mapping goes on when it raises SIGBUS. */
sigjmp_buf store_failed;

/*
 * A byte stored at off through a shared mapping of the file: it waits for
 * rights and WRITE as a write does, and an ABORT, or a truncation below
 * it by another worker, raises SIGBUS.
 */
bool store_through_a_mapping(const std::string &path, off_t off)
{
	int fd = open(path.c_str(), O_RDWR);
	if (fd < 0)
		return false;
	void *m = mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return false;
	volatile bool ok = true;
	if (sigsetjmp(store_failed, 1) == 0)
		static_cast<volatile char *>(m)[off] = 's';
	else
		ok = false;
	munmap(m, kFileSize);
	return ok;
}

/* The program run from the mount: whether it ran and exited 0. */
bool run_from_the_mount(const Options &o)
{
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		execl(program_name(o).c_str(), "true", static_cast<char *>(nullptr));
		_exit(127);	/* an ABORT of one of its events: EIO */
	}
	int status;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status);
}

/* One worker process: random operations on the mount until @end. */
void worker(const Options &o, int index, Clock::time_point end, WorkerCounts &c)
{
	std::mt19937_64 rng(o.seed * 7919 + index);
	std::vector<char> buf(kFileSize);
	std::string mine = o.mnt + "/stress/scratch/w" + std::to_string(index);
	struct sigaction bus = {};

	bus.sa_handler = [](int) { siglongjmp(store_failed, 1); };
	sigaction(SIGBUS, &bus, nullptr);

	while (Clock::now() < end) {
		std::string managed = file_name(o, static_cast<int>(rng() % o.files));
		std::string scratch = mine + "-" + std::to_string(rng() % 4);
		bool ok = true;
		unsigned int op = rng() % 11;
		switch (op) {
		case 0: {
			int fd = open(managed.c_str(), O_RDONLY);
			ok = fd >= 0 && pread(fd, buf.data(), 4096, rng() % kFileSize) >= 0;
			if (fd >= 0)
				close(fd);
			c.reads++;
			break;
		}
		case 1: {
			int fd = open(managed.c_str(), O_WRONLY);
			ok = fd >= 0 && pwrite(fd, buf.data(), 512, rng() % kFileSize) == 512;
			if (fd >= 0)
				close(fd);
			c.writes++;
			break;
		}
		case 8:
			ok = store_through_a_mapping(managed, rng() % (kFileSize - 4096));
			c.stores++;
			break;
		case 10:
			/* It waits for the rights on the file, as a write does. */
			ok = chmod(managed.c_str(), rng() % 2 ? 0644 : 0664) == 0;
			c.chmods++;
			break;
		case 2:
			ok = truncate(managed.c_str(), kFileSize - rng() % 4096) == 0;
			c.truncates++;
			break;
		case 3: {
			int fd = open(scratch.c_str(), O_CREAT | O_WRONLY, 0644);
			ok = fd >= 0;
			if (fd >= 0)
				close(fd);
			c.creates++;
			break;
		}
		case 4:
			ok = rename(scratch.c_str(), (mine + "-" + std::to_string(rng() % 4)).c_str()) == 0;
			c.renames++;
			break;
		case 5:
			ok = unlink(scratch.c_str()) == 0;
			c.unlinks++;
			break;
		case 6:
			ok = mkdir((scratch + ".d").c_str(), 0755) == 0 ||
			     rmdir((scratch + ".d").c_str()) == 0;
			c.mkdirs++;
			break;
		case 9:
			/* Rarely: a program start takes tens of milliseconds. */
			if (rng() % 8 == 0) {
				ok = run_from_the_mount(o);
				c.execs++;
				break;
			}
			[[fallthrough]];
		default: {
			struct stat st;
			ok = stat(managed.c_str(), &st) == 0;
			c.stats++;
			break;
		}
		}
		if (!ok)
			c.failures++;	/* ABORTs, and races between workers */
		if (op <= 2 || op == 8)
			(ok ? c.data_done : c.data_failed)++;
	}
}

/* Events moved to an application, with the tokens they have there. */
struct Inbox {
	std::mutex lock;
	std::deque<dm_token_t> tokens;
};

struct App {
	dm_sessid_t sid = DM_NO_SESSION;
	Inbox inbox;
};

/* Take a right on the object of a data event with its token, then answer. */
void answer(App &app, dm_token_t token, dm_eventmsg_t *msg, std::mt19937_64 &rng,
	    AppCounts &c)
{
	bool data = msg && (msg->ev_type == DM_EVENT_READ || msg->ev_type == DM_EVENT_WRITE ||
			    msg->ev_type == DM_EVENT_TRUNCATE);
	if (data && rng() % 4 == 0) {
		auto *de = DM_GET_VALUE(msg, ev_data, dm_data_event_t *);
		void *hanp = DM_GET_VALUE(de, de_handle, void *);
		size_t hlen = DM_GET_LEN(de, de_handle);
		dm_right_t right = rng() % 2 ? DM_RIGHT_EXCL : DM_RIGHT_SHARED;
		if (dm_request_right(app.sid, hanp, hlen, token, DM_RR_WAIT, right) == 0) {
			c.event_rights++;
			std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
			dm_release_right(app.sid, hanp, hlen, token);
		} else if (errno == EAGAIN) {
			c.drained_out++;
		}
	}
	if (rng() % 10 == 0) {
		dm_respond_event(app.sid, token, DM_RESP_ABORT, EIO, 0, nullptr);
		c.aborted++;
	} else {
		dm_respond_event(app.sid, token, DM_RESP_CONTINUE, 0, 0, nullptr);
		c.continued++;
	}
}

/*
 * A DM call on @h that needs @right: with a token holding it, or with
 * DM_NO_TOKEN, the call then taking it itself.  A refusal (EACCES) is a
 * right lost.
 */
void call_needing(App &app, const Handle &h, dm_token_t token, dm_right_t right,
		  AppCounts &c)
{
	int rc;
	if (right == DM_RIGHT_EXCL) {
		dm_attrname_t an = {{'s', 't', 'r', 'e', 's', 's'}};
		char value[] = "v";
		rc = dm_set_dmattr(app.sid, h.hanp(), h.hlen(), token, &an, 0, 1, value);
	} else {
		dm_region_t r[8];
		unsigned int n;
		rc = dm_get_region(app.sid, h.hanp(), h.hlen(), token, 8, r, &n);
	}
	c.calls++;
	if (rc && errno == EACCES)
		c.refused++;
}

/* Hold a right on a random managed file with a token of our own. */
void user_right(App &app, const std::vector<Handle> &files, std::mt19937_64 &rng,
		AppCounts &c)
{
	dm_token_t token;
	char note[] = "stress";
	if (dm_create_userevent(app.sid, sizeof(note), note, &token))
		return;
	c.user_tokens++;
	const Handle &h = files[rng() % files.size()];
	dm_right_t right = rng() % 2 ? DM_RIGHT_EXCL : DM_RIGHT_SHARED;
	if (dm_request_right(app.sid, h.hanp(), h.hlen(), token, DM_RR_WAIT, right) == 0) {
		c.user_rights++;
		call_needing(app, h, token, right, c);
		std::this_thread::sleep_for(std::chrono::microseconds(rng() % 5000));
		dm_release_right(app.sid, h.hanp(), h.hlen(), token);
	} else if (errno == EAGAIN) {
		c.drained_out++;
	}
	dm_respond_event(app.sid, token, DM_RESP_CONTINUE, 0, 0, nullptr);
}

/*
 * An application's loop.  The owner (index 0) receives the events and
 * moves some to the others, which answer what they are given.
 */
void app_loop(std::vector<App> &apps, dm_sessid_t mortal, int index,
	      const std::vector<Handle> &files, std::uint64_t seed, std::atomic<bool> &stop,
	      AppCounts &c)
{
	App &app = apps[index];
	std::mt19937_64 rng(seed * 104729 + index);
	std::vector<char> buf(1 << 16);
	size_t rlen;

	while (!stop) {
		bool idle = true;
		if (index == 0 &&
		    dm_get_events(app.sid, 0, 0, buf.size(), buf.data(), &rlen) == 0) {
			idle = false;
			for (auto *m = reinterpret_cast<dm_eventmsg_t *>(buf.data()); m;
			     m = DM_STEP_TO_NEXT(m, dm_eventmsg_t *)) {
				c.events++;
				if (m->ev_token == DM_INVALID_TOKEN)
					continue;
				dm_token_t moved;
				if (mortal != DM_NO_SESSION && rng() % 8 == 0 &&
				    dm_move_event(app.sid, m->ev_token, mortal, &moved) == 0) {
					c.moved++;
					continue;
				}
				if (apps.size() > 1 && rng() % 4 == 0) {
					App &to = apps[1 + rng() % (apps.size() - 1)];
					if (dm_move_event(app.sid, m->ev_token, to.sid, &moved) == 0) {
						std::lock_guard<std::mutex> g(to.inbox.lock);
						to.inbox.tokens.push_back(moved);
						c.moved++;
						continue;
					}
				}
				answer(app, m->ev_token, m, rng, c);
			}
		}
		for (;;) {
			dm_token_t token;
			{
				std::lock_guard<std::mutex> g(app.inbox.lock);
				if (app.inbox.tokens.empty())
					break;
				token = app.inbox.tokens.front();
				app.inbox.tokens.pop_front();
			}
			idle = false;
			std::vector<char> msg(4096);
			size_t len;
			dm_eventmsg_t *m = nullptr;
			if (dm_find_eventmsg(app.sid, token, msg.size(), msg.data(), &len) == 0)
				m = reinterpret_cast<dm_eventmsg_t *>(msg.data());
			answer(app, token, m, rng, c);
		}
		if (rng() % 50 == 0)
			user_right(app, files, rng, c);
		if (rng() % 50 == 0)
			call_needing(app, files[rng() % files.size()], DM_NO_TOKEN,
				     rng() % 2 ? DM_RIGHT_EXCL : DM_RIGHT_SHARED, c);
		if (idle)
			std::this_thread::sleep_for(std::chrono::microseconds(200));
	}
}

/* Answer every outstanding token of @sid CONTINUE; how many there were. */
unsigned int answer_outstanding(dm_sessid_t sid)
{
	std::vector<dm_token_t> tokens(4096);
	unsigned int n = 0;

	if (dm_getall_tokens(sid, tokens.size(), tokens.data(), &n))
		die("dm_getall_tokens");
	for (unsigned int i = 0; i < n; i++)
		dm_respond_event(sid, tokens[i], DM_RESP_CONTINUE, 0, 0, nullptr);
	return n;
}

/*
 * The mortal application's life: take its session over, answer every
 * token its predecessor left, then serve until killed.  The inherited
 * tokens come first, without waiting for any right: a right the
 * predecessor held with one of them could block the successor's own
 * request.  Moved events are not delivered again, so it looks for its
 * tokens as well.
 */
[[noreturn]] void mortal_life(dm_sessid_t sid, const std::vector<Handle> &files,
			      std::uint64_t seed, Shared &sh)
{
	char info[] = "dmapi-stress mortal";
	dm_sessid_t taken;
	if (dm_create_session(sid, info, &taken) || taken != sid)
		die("dm_create_session (taking the mortal's session over)");
	sh.fate.takeovers++;
	sh.fate.inherited += answer_outstanding(sid);
	App app;
	app.sid = sid;
	std::mt19937_64 rng(seed);
	std::vector<char> buf(1 << 16), msg(4096);
	std::vector<dm_token_t> tokens(4096);
	for (;;) {
		size_t rlen;
		if (dm_get_events(sid, 0, 0, buf.size(), buf.data(), &rlen) == 0)
			for (auto *m = reinterpret_cast<dm_eventmsg_t *>(buf.data()); m;
			     m = DM_STEP_TO_NEXT(m, dm_eventmsg_t *)) {
				sh.mortal.events++;
				if (m->ev_token != DM_INVALID_TOKEN)
					answer(app, m->ev_token, m, rng, sh.mortal);
			}
		unsigned int n = 0;
		if (dm_getall_tokens(sid, tokens.size(), tokens.data(), &n) == 0)
			for (unsigned int i = 0; i < n; i++) {
				dm_eventmsg_t *m = nullptr;
				if (dm_find_eventmsg(sid, tokens[i], msg.size(), msg.data(),
						     &rlen) == 0)
					m = reinterpret_cast<dm_eventmsg_t *>(msg.data());
				answer(app, tokens[i], m, rng, sh.mortal);
			}
		if (rng() % 50 == 0)
			user_right(app, files, rng, sh.mortal);
		std::this_thread::sleep_for(std::chrono::microseconds(200));
	}
}

pid_t spawn_mortal(dm_sessid_t sid, const std::vector<Handle> &files, std::uint64_t seed,
		   Shared &sh)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		mortal_life(sid, files, seed, sh);
	return pid;
}

/*
 * Kill the mortal application at random points until @stop, each time
 * with a successor started at once.  The last one is killed too, and its
 * tokens answered at once: a right it held with one may be what another
 * application waits for before it can see @stop.
 */
void kill_at_random(const Options &o, dm_sessid_t sid, const std::vector<Handle> &files,
		    Shared &sh, std::atomic<bool> &stop)
{
	std::mt19937_64 rng(o.seed * 15485863 + 1);
	for (;;) {
		pid_t pid = spawn_mortal(sid, files, rng(), sh);
		auto at = Clock::now() + std::chrono::milliseconds(rng() % (2 * o.kill_every_ms + 1));
		while (!stop && Clock::now() < at)
			std::this_thread::sleep_for(std::chrono::milliseconds(1));
		kill(pid, SIGKILL);
		waitpid(pid, nullptr, 0);
		sh.fate.kills++;
		/* Only now: a successor started after the stop would outlive us. */
		if (stop)
			break;
	}
	answer_outstanding(sid);
}

/* A process still alive after its deadline: where it is in the kernel. */
void report_stuck(pid_t pid)
{
	std::ifstream stack("/proc/" + std::to_string(pid) + "/stack");
	std::string line;
	std::fprintf(stderr, "dmapi-stress: worker %d did not end; its kernel stack:\n", pid);
	while (std::getline(stack, line))
		std::fprintf(stderr, "  %s\n", line.c_str());
}

/* Answer whatever is left, and check that no token stays outstanding. */
int drain_and_destroy(const std::vector<dm_sessid_t> &sids)
{
	int bad = 0;
	std::vector<char> buf(1 << 16);
	std::vector<dm_token_t> tokens(4096);

	for (dm_sessid_t sid : sids) {
		size_t rlen;
		while (dm_get_events(sid, 0, 0, buf.size(), buf.data(), &rlen) == 0)
			for (auto *m = reinterpret_cast<dm_eventmsg_t *>(buf.data()); m;
			     m = DM_STEP_TO_NEXT(m, dm_eventmsg_t *))
				if (m->ev_token != DM_INVALID_TOKEN)
					dm_respond_event(sid, m->ev_token,
							 DM_RESP_CONTINUE, 0, 0, nullptr);
		answer_outstanding(sid);
		unsigned int n = 0;
		if (dm_getall_tokens(sid, tokens.size(), tokens.data(), &n))
			die("dm_getall_tokens");
		if (n) {
			std::printf("dmapi-stress: FAILED: session %d keeps %u tokens that cannot be answered\n",
				    sid, n);
			bad++;
		}
		if (dm_destroy_session(sid)) {
			std::printf("dmapi-stress: FAILED: session %d cannot be destroyed: %s\n",
				    sid, std::strerror(errno));
			bad++;
		}
	}
	return bad;
}

void usage(FILE *to)
{
	std::fprintf(to, "Usage: dmapi-stress [--seconds S] [--workers N] [--apps N] "
			 "[--files N] [--kill-every MS] [--seed N] MOUNTPOINT\n"
			 "Stress a dmapi mount with workers and DM applications; exit 0 when\n"
			 "every process ended and nothing was left outstanding, 1 if not, 2 on\n"
			 "a usage or setup error.\n");
}

Options parse(int argc, char **argv)
{
	Options o;
	o.seed = std::random_device{}();
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		auto value = [&]() -> const char * {
			if (i + 1 >= argc) {
				usage(stderr);
				std::exit(2);
			}
			return argv[++i];
		};
		if (a == "--seconds")
			o.seconds = std::atof(value());
		else if (a == "--workers")
			o.workers = std::atoi(value());
		else if (a == "--apps")
			o.apps = std::atoi(value());
		else if (a == "--files")
			o.files = std::atoi(value());
		else if (a == "--kill-every")
			o.kill_every_ms = std::atoi(value());
		else if (a == "--seed")
			o.seed = std::strtoull(value(), nullptr, 0);
		else if (a == "--help") {
			usage(stdout);
			std::exit(0);
		} else if (a[0] == '-' || !o.mnt.empty()) {
			usage(stderr);
			std::exit(2);
		} else
			o.mnt = a;
	}
	if (o.mnt.empty() || o.workers < 1 || o.apps < 1 || o.files < 1 || o.seconds <= 0 ||
	    o.kill_every_ms < 0) {
		usage(stderr);
		std::exit(2);
	}
	return o;
}

} // namespace

int main(int argc, char **argv)
{
	Options o = parse(argc, argv);
	char *version;
	if (dm_init_service(&version))
		die("dm_init_service");

	std::vector<App> apps(o.apps);
	for (int i = 0; i < o.apps; i++) {
		char info[] = "dmapi-stress";
		if (dm_create_session(DM_NO_SESSION, info, &apps[i].sid))
			die("dm_create_session");
	}
	dm_sessid_t mortal = DM_NO_SESSION;
	if (o.kill_every_ms) {
		char info[] = "dmapi-stress mortal";
		if (dm_create_session(DM_NO_SESSION, info, &mortal))
			die("dm_create_session");
	}
	std::vector<Handle> files = make_files(o, apps[0].sid);
	take_dispositions(o, apps[0].sid, mortal);

	auto *sh = static_cast<Shared *>(mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
					      MAP_SHARED | MAP_ANONYMOUS, -1, 0));
	if (sh == MAP_FAILED)
		die("mmap");
	new (sh) Shared{};
	WorkerCounts *wc = &sh->workers;
	AppCounts ac{};
	std::atomic<bool> stop{false};
	std::vector<std::thread> threads;
	for (int i = 0; i < o.apps; i++)
		threads.emplace_back(app_loop, std::ref(apps), mortal, i, std::cref(files),
				     o.seed, std::ref(stop), std::ref(ac));
	if (mortal != DM_NO_SESSION)
		threads.emplace_back(kill_at_random, std::cref(o), mortal, std::cref(files),
				     std::ref(*sh), std::ref(stop));

	auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
					  std::chrono::duration<double>(o.seconds));
	std::vector<pid_t> pids;
	for (int i = 0; i < o.workers; i++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			worker(o, i, end, *wc);
			_exit(0);
		}
		pids.push_back(pid);
	}

	/* Workers end by themselves; 30 s later, one still there is stuck. */
	auto deadline = end + std::chrono::seconds(30);
	int stuck = 0;
	for (pid_t pid : pids) {
		int status;
		while (waitpid(pid, &status, WNOHANG) == 0) {
			if (Clock::now() > deadline) {
				report_stuck(pid);
				kill(pid, SIGKILL);
				stuck++;
				waitpid(pid, &status, 0);
				break;
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
		}
	}
	stop = true;
	for (auto &t : threads)
		t.join();
	std::vector<dm_sessid_t> sids;
	for (const App &app : apps)
		sids.push_back(app.sid);
	if (mortal != DM_NO_SESSION)
		sids.push_back(mortal);
	int left = drain_and_destroy(sids);

	std::printf("dmapi-stress: seed %llu, %.0f s, %d workers, %d applications, %d managed files\n",
		    static_cast<unsigned long long>(o.seed), o.seconds, o.workers, o.apps, o.files);
	std::printf("dmapi-stress: operations: %llu reads, %llu writes, %llu stores through "
		    "mappings, %llu truncates, %llu creates, %llu renames, %llu unlinks, "
		    "%llu mkdir/rmdir, %llu stats, %llu program starts, %llu chmods; %llu failed, "
		    "of which %llu of the %llu data accesses\n",
		    (unsigned long long)wc->reads, (unsigned long long)wc->writes,
		    (unsigned long long)wc->stores, (unsigned long long)wc->truncates, (unsigned long long)wc->creates,
		    (unsigned long long)wc->renames, (unsigned long long)wc->unlinks,
		    (unsigned long long)wc->mkdirs, (unsigned long long)wc->stats,
		    (unsigned long long)wc->execs, (unsigned long long)wc->chmods,
		    (unsigned long long)wc->failures, (unsigned long long)wc->data_failed,
		    (unsigned long long)(wc->data_failed + wc->data_done));
	std::printf("dmapi-stress: events: %llu received, %llu continued, %llu aborted, "
		    "%llu moved; rights: %llu with event tokens, %llu with %llu user tokens; "
		    "%llu calls needing a right, %llu refused\n",
		    (unsigned long long)ac.events, (unsigned long long)ac.continued,
		    (unsigned long long)ac.aborted, (unsigned long long)ac.moved,
		    (unsigned long long)ac.event_rights, (unsigned long long)ac.user_rights,
		    (unsigned long long)ac.user_tokens, (unsigned long long)ac.calls,
		    (unsigned long long)ac.refused);
	const AppCounts &mc = sh->mortal;
	if (mortal != DM_NO_SESSION)
		std::printf("dmapi-stress: the mortal application: %llu kills, %llu takeovers, "
			    "%llu tokens inherited; events: %llu received, %llu continued, "
			    "%llu aborted; rights: %llu with event tokens, %llu with user tokens\n",
			    (unsigned long long)sh->fate.kills,
			    (unsigned long long)sh->fate.takeovers,
			    (unsigned long long)sh->fate.inherited, (unsigned long long)mc.events,
			    (unsigned long long)mc.continued, (unsigned long long)mc.aborted,
			    (unsigned long long)mc.event_rights, (unsigned long long)mc.user_rights);
	if (stuck)
		std::printf("dmapi-stress: FAILED: %d workers did not end\n", stuck);
	if (!ac.events || !wc->reads)
		std::printf("dmapi-stress: FAILED: no event flowed\n");
	/*
	 * A tenth of the answers are ABORTs, and an access may take a few
	 * events: most of the data accesses must still go through.
	 */
	bool data_stalled = wc->data_failed > wc->data_done;
	if (data_stalled)
		std::printf("dmapi-stress: FAILED: %llu data accesses failed, %llu succeeded\n",
			    (unsigned long long)wc->data_failed, (unsigned long long)wc->data_done);
	std::uint64_t refused = ac.refused + mc.refused;
	if (refused)
		std::printf("dmapi-stress: FAILED: %llu calls refused a right their token held\n",
			    (unsigned long long)refused);
	std::uint64_t drained_out = ac.drained_out + mc.drained_out;
	if (drained_out)
		std::printf("dmapi-stress: FAILED: %llu rights waited out drain_timeout for an "
			    "access that did not end\n", (unsigned long long)drained_out);
	bool failed = stuck || left || refused || drained_out || !ac.events || !wc->reads ||
		      data_stalled;
	return failed ? 1 : 0;
}
