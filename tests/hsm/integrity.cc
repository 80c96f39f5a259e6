// SPDX-License-Identifier: GPL-2.0
//
// dmhsm-integrity: the reference HSM's integrity run, in the test VM with
// dmapi.ko loaded and a scratch filesystem at /mnt/scratch.
//
// Files of random sizes and content go through cycles of migrate,
// release, recall, read, append, overwrite, truncate and remove through a
// dmapi mount, while dmhsmd is killed (SIGKILL) at random moments and
// restarted, and some dmhsm commands are killed half way.  The model is
// every file's expected content, kept in memory and changed in step.
// The run fails if a file differs from its model or is lost, if an
// operation stays blocked, if a token or a killed command's session is
// left behind, or if the kernel logs a warning.
//
// The file operations run in this process, not as commands: in the
// guest, whose / is shared over 9p, every exec costs tens of
// milliseconds.
#include <xdsm/dmapi.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <getopt.h>
#include <map>
#include <mutex>
#include <random>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/mount.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char **environ;

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
	unsigned int files = 1000;
	unsigned int cycles = 3;
	unsigned long seed = 0;
	bool keep = false;
	bool verbose = false;
	std::string tools;
	std::string base = "/mnt/scratch/hsm-integrity";
	std::string store;	/* dir:BASE/store unless --store */
	/* The watchdog: an operation still running after this is blocked. */
	std::chrono::seconds patience{120};
};

Options opt;
std::mutex rng_lock;
std::mt19937_64 rng;
unsigned int failures = 0;
unsigned long operations = 0;

std::atomic<Clock::rep> op_started{0};
/* The command the operation waits for, if it runs one. */
std::atomic<pid_t> op_pid{-1};
std::string op_name;
std::mutex op_lock;

std::uint64_t random_below(std::uint64_t n)
{
	std::lock_guard<std::mutex> g(rng_lock);
	return n ? rng() % n : 0;
}

std::string random_bytes(std::size_t n)
{
	std::string s(n, '\0');
	std::lock_guard<std::mutex> g(rng_lock);
	for (std::size_t i = 0; i < n; i += 8) {
		std::uint64_t v = rng();
		std::memcpy(&s[i], &v, std::min<std::size_t>(8, n - i));
	}
	return s;
}

void fail(const std::string &what)
{
	std::fprintf(stderr, "integrity: FAIL: %s\n", what.c_str());
	failures++;
}

[[noreturn]] void die(const std::string &what)
{
	std::fprintf(stderr, "integrity: %s\n", what.c_str());
	std::exit(1);
}

void phase(const std::string &what)
{
	if (opt.verbose)
		std::fprintf(stderr, "integrity: %s\n", what.c_str());
}

/* Runs @name under the watchdog. */
class Operation {
public:
	explicit Operation(const std::string &name)
	{
		std::lock_guard<std::mutex> g(op_lock);
		op_name = name;
		op_started = Clock::now().time_since_epoch().count();
		operations++;
	}
	~Operation()
	{
		op_started = 0;
		op_pid = -1;
	}
};

void stop_all_and_unmount();
void report_blocked();

void watchdog()
{
	for (;;) {
		std::this_thread::sleep_for(1s);
		auto started = op_started.load();
		if (!started)
			continue;
		if (Clock::now().time_since_epoch() - Clock::duration(started) > opt.patience) {
			std::lock_guard<std::mutex> g(op_lock);
			std::fprintf(stderr, "integrity: FAIL: blocked for %lld s: %s\n",
				     static_cast<long long>(opt.patience.count()), op_name.c_str());
			report_blocked();
			stop_all_and_unmount();
			std::_Exit(1);
		}
	}
}

/* Start @argv with stdout and stderr appended to @log; its pid. */
pid_t spawn(const std::vector<std::string> &argv, const std::string &log)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addchdir_np(&fa, "/");
	std::vector<char *> args;
	for (const auto &a : argv)
		args.push_back(const_cast<char *>(a.c_str()));
	args.push_back(nullptr);
	pid_t pid;
	int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		die(argv[0] + ": " + std::strerror(rc));
	return pid;
}

int wait_for(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* Run a command to its end under the watchdog; its exit status. */
int run(const std::vector<std::string> &argv, const std::string &log)
{
	Operation op(argv[0] + " " + (argv.size() > 1 ? argv[1] : ""));
	pid_t pid = spawn(argv, log);
	op_pid = pid;
	int status = wait_for(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_file(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

unsigned int count_lines(const std::string &path, const std::string &text)
{
	std::ifstream in(path);
	std::string line;
	unsigned int n = 0;
	while (std::getline(in, line))
		n += line.find(text) != std::string::npos;
	return n;
}

/* dmhsmd, started again whenever the chaos kills it. */
class Daemon {
public:
	void start()
	{
		std::lock_guard<std::mutex> g(lock_);
		start_locked();
	}

	void kill_and_restart()
	{
		std::lock_guard<std::mutex> g(lock_);
		kill(pid_, SIGKILL);
		wait_for(pid_);
		kills_++;
		start_locked();
	}

	void stop()
	{
		std::lock_guard<std::mutex> g(lock_);
		/* Repeated: one that comes before the wait is seen at the next. */
		for (int i = 0; i < 100 && waitpid(pid_, nullptr, WNOHANG) == 0; i++) {
			kill(pid_, SIGTERM);
			std::this_thread::sleep_for(100ms);
		}
	}

	/* From the watchdog, which must not wait for the lock. */
	void kill_now()
	{
		if (pid_t pid = pid_.load(); pid > 0)
			kill(pid, SIGKILL);
	}

	pid_t pid() const { return pid_.load(); }
	unsigned int kills() const { return kills_; }
	dm_sessid_t sid() const { return sid_; }
	std::string log() const { return opt.base + "/dmhsmd.log"; }

private:
	void start_locked()
	{
		pid_ = spawn({opt.tools + "/dmhsmd", "--foreground", "--workers", "4"}, log());
		for (int tenths = 0; count_lines(log(), "ready: session") <= starts_; tenths++) {
			if (tenths > 300 || waitpid(pid_, nullptr, WNOHANG) != 0)
				die("dmhsmd did not start; its log:\n" + read_file(log()));
			std::this_thread::sleep_for(100ms);
		}
		starts_++;
		std::string l = read_file(log());
		sid_ = static_cast<dm_sessid_t>(
			std::atoi(l.c_str() + l.find("ready: session") + std::strlen("ready: session")));
	}

	std::mutex lock_;
	std::atomic<pid_t> pid_{-1};
	unsigned int starts_ = 0, kills_ = 0;
	std::atomic<dm_sessid_t> sid_{DM_NO_SESSION};
};

Daemon daemon_process;
unsigned int drain(dm_sessid_t sid);

/* The kernel stack of every thread of @pid, each under its name and state. */
void print_stacks(const char *who, pid_t pid)
{
	std::error_code ec;
	std::string dir = "/proc/" + std::to_string(pid) + "/task";
	for (const auto &task : fs::directory_iterator(dir, ec)) {
		std::string status = read_file(task.path() / "status");
		std::string state = status.substr(status.find("State:"));
		std::fprintf(stderr, "integrity: %s thread %s, %s%s", who,
			     task.path().filename().c_str(),
			     state.substr(0, state.find('\n') + 1).c_str(),
			     read_file(task.path() / "stack").c_str());
	}
}

/*
 * What a blocked run leaves to go on, before it is torn down: where the
 * run's threads, the command and the daemon wait in the kernel, what the
 * daemon's session holds, and the end of the daemon's log.
 */
void report_blocked()
{
	print_stacks("the run's", getpid());
	if (pid_t pid = op_pid.load(); pid > 0)
		print_stacks("the command's", pid);
	if (pid_t pid = daemon_process.pid(); pid > 0)
		print_stacks("the daemon's", pid);
	std::vector<dm_token_t> tokens(4096);
	unsigned int n = 0;
	if (dm_getall_tokens(daemon_process.sid(), tokens.size(), tokens.data(), &n) == 0) {
		std::fprintf(stderr, "integrity: the daemon's session %d holds %u tokens:",
			     static_cast<int>(daemon_process.sid()), n);
		for (unsigned int i = 0; i < n; i++)
			std::fprintf(stderr, " %d", static_cast<int>(tokens[i]));
		std::fprintf(stderr, "\n");
	}
	std::string log = read_file(daemon_process.log());
	size_t from = log.size();	/* the start of its last 40 lines */
	for (int lines = 0; lines <= 40 && from > 0; lines++) {
		size_t newline = log.rfind('\n', from - 1);
		from = newline == std::string::npos ? 0 : newline;
	}
	std::fprintf(stderr, "integrity: the end of the daemon's log:\n%s",
		     log.substr(from ? from + 1 : 0).c_str());
}

/*
 * Before the watchdog ends the run, leave the guest as the suites after
 * this one need it: kill the daemon and the blocked command, answer what
 * the daemon's session holds, detach the mount and destroy the session,
 * whose MOUNT disposition would stop every later mount.
 */
void stop_all_and_unmount()
{
	daemon_process.kill_now();
	if (pid_t pid = op_pid.load(); pid > 0)
		kill(pid, SIGKILL);
	std::this_thread::sleep_for(1s);	/* for the daemon to be gone */
	dm_sessid_t sid = daemon_process.sid();
	std::vector<dm_token_t> tokens(4096);
	unsigned int n = 0;
	if (dm_getall_tokens(sid, tokens.size(), tokens.data(), &n) == 0)
		for (unsigned int i = 0; i < n; i++)
			dm_respond_event(sid, tokens[i], DM_RESP_CONTINUE, 0, 0, nullptr);
	umount2((opt.base + "/mnt").c_str(), MNT_DETACH);
	drain(sid);
	dm_destroy_session(sid);
}
std::atomic<bool> chaos_stop{false};

void chaos()
{
	while (!chaos_stop) {
		auto pause = std::chrono::milliseconds(500 + random_below(2500));
		for (auto t = 0ms; t < pause && !chaos_stop; t += 50ms)
			std::this_thread::sleep_for(50ms);
		if (!chaos_stop)
			daemon_process.kill_and_restart();
	}
}

class Files {
public:
	std::string path(const std::string &name) const { return opt.base + "/mnt/" + name; }

	void create()
	{
		std::string name = "f" + std::to_string(++next_);
		/* Mostly small, a quarter up to 256 KiB, some empty. */
		std::size_t size = random_below(4) == 0 ? random_below(256 << 10) : random_below(16384);
		std::string data = random_bytes(size);
		Operation op("create " + name);
		std::ofstream(path(name), std::ios::binary) << data;
		note(name, "created " + std::to_string(data.size()));
		model_[name] = std::move(data);
	}

	/* A share of @percent of the files, at random. */
	std::vector<std::string> pick(unsigned int percent) const
	{
		std::vector<std::string> out;
		for (const auto &[name, data] : model_)
			if (random_below(100) < percent)
				out.push_back(name);
		return out;
	}

	std::vector<std::string> paths(const std::vector<std::string> &names) const
	{
		std::vector<std::string> out;
		for (const auto &n : names)
			out.push_back(path(n));
		return out;
	}

	void check(const std::string &name)
	{
		std::string data;
		{
			Operation op("read " + name);
			if (!fs::exists(path(name))) {
				fail(name + " lost");
				return;
			}
			data = read_file(path(name));
		}
		note(name, "read " + std::to_string(data.size()));
		if (data != model_[name])
			differs(name, data);
	}

	/* What happened to @name this run, for a failure's report. */
	void note(const std::string &name, const std::string &what)
	{
		auto &h = history_[name];
		h += (h.empty() ? "" : "; ") + what;
	}

	void change(const std::string &name)
	{
		std::string chunk = random_bytes(random_below(8192));
		std::string &m = model_[name];
		Operation op("change " + name);
		switch (random_below(3)) {
		case 0: {
			int fd = open(path(name).c_str(), O_WRONLY | O_APPEND);
			if (fd < 0 || write(fd, chunk.data(), chunk.size()) != ssize_t(chunk.size())) {
				fail("append to " + name + ": " + std::strerror(errno));
			} else {
				note(name, "append " + std::to_string(chunk.size()) + " at " +
						   std::to_string(m.size()));
				m += chunk;
			}
			close(fd);
			break;
		}
		case 1: {
			std::size_t off = random_below(m.size() + 4096);
			int fd = open(path(name).c_str(), O_WRONLY);
			if (fd < 0 || pwrite(fd, chunk.data(), chunk.size(), off) != ssize_t(chunk.size())) {
				fail("overwrite of " + name + ": " + std::strerror(errno));
			} else {
				note(name, "write " + std::to_string(chunk.size()) + " at " +
						   std::to_string(off) + " of " + std::to_string(m.size()));
				/* A write of nothing leaves the size alone, past it too. */
				if (!chunk.empty()) {
					m.resize(std::max(m.size(), off + chunk.size()), '\0');
					m.replace(off, chunk.size(), chunk);
				}
			}
			close(fd);
			break;
		}
		default: {
			std::size_t size = random_below(m.size() + 4096);
			if (truncate(path(name).c_str(), size) != 0) {
				fail("truncate of " + name + ": " + std::strerror(errno));
			} else {
				note(name, "truncate " + std::to_string(m.size()) + " to " +
						   std::to_string(size));
				m.resize(size, '\0');
			}
		}
		}
	}

	void remove(const std::string &name)
	{
		Operation op("remove " + name);
		if (unlink(path(name).c_str()) != 0)
			fail("unlink " + name + ": " + std::strerror(errno));
		model_.erase(name);
	}

	std::vector<std::string> names() const
	{
		std::vector<std::string> out;
		for (const auto &[name, data] : model_)
			out.push_back(name);
		return out;
	}

	std::size_t size() const { return model_.size(); }

private:
	/* Where @data first differs from the model, and the file's past. */
	void differs(const std::string &name, const std::string &data)
	{
		const std::string &m = model_[name];
		std::size_t at = 0;
		while (at < data.size() && at < m.size() && data[at] == m[at])
			at++;
		fail(name + " differs from its model (" + std::to_string(data.size()) +
		     " bytes, expected " + std::to_string(m.size()) + "; first difference at " +
		     std::to_string(at) + "): " + history_[name]);
	}

	std::map<std::string, std::string> model_;
	std::map<std::string, std::string> history_;
	unsigned int next_ = 0;
};

std::vector<std::string> dmhsm(const std::string &cmd, const std::vector<std::string> &args)
{
	std::vector<std::string> argv = {opt.tools + "/dmhsm", cmd};
	argv.insert(argv.end(), args.begin(), args.end());
	return argv;
}

/* @set goes through dmhsm @cmd; each file's history says so. */
std::vector<std::string> command(Files &files, const std::string &cmd,
				 const std::vector<std::string> &set, unsigned int c)
{
	for (const auto &name : set)
		files.note(name, "cycle " + std::to_string(c) + " " + cmd);
	return dmhsm(cmd, files.paths(set));
}

void cycle(Files &files, unsigned int c)
{
	std::string log = opt.base + "/dmhsm.log";
	phase("cycle " + std::to_string(c) + ": migrate");
	if (auto set = files.pick(60); !set.empty())
		run(command(files, "migrate", set, c), log);

	/* A migration killed half way: its session is reaped, its files whole. */
	if (auto set = files.pick(20); !set.empty()) {
		auto argv = command(files, "migrate", set, c);
		argv.insert(argv.begin() + 2, "--keep");
		pid_t pid = spawn(argv, log);
		std::this_thread::sleep_for(std::chrono::milliseconds(random_below(400)));
		kill(pid, SIGKILL);
		wait_for(pid);
		for (const auto &name : set)
			files.note(name, "killed");
	}
	phase("cycle " + std::to_string(c) + ": release, recall");
	if (auto set = files.pick(20); !set.empty())
		run(command(files, "release", set, c), log);
	if (auto set = files.pick(10); !set.empty())
		run(command(files, "recall", set, c), log);

	phase("cycle " + std::to_string(c) + ": read, change, remove");
	for (const auto &name : files.pick(30))
		files.check(name);
	for (const auto &name : files.pick(10))
		files.change(name);
	for (const auto &name : files.pick(5)) {
		files.remove(name);
		files.create();
	}
}

/* The kernel's log lines from @from on that a test must never cause. */
unsigned int kernel_complaints(std::size_t from)
{
	std::string out = opt.base + "/dmesg";
	std::remove(out.c_str());
	wait_for(spawn({"/bin/dmesg"}, out));
	std::ifstream in(out);
	std::string line;
	unsigned int n = 0;
	for (std::size_t i = 0; std::getline(in, line); i++) {
		if (i < from)
			continue;
		for (const char *bad : {"WARNING", "BUG", "hung task", "Oops", "lockdep"})
			if (line.find(bad) != std::string::npos) {
				fail("kernel: " + line);
				n++;
				break;
			}
	}
	return n;
}

std::size_t kernel_log_lines()
{
	std::string out = opt.base + "/dmesg";
	std::remove(out.c_str());
	wait_for(spawn({"/bin/dmesg"}, out));
	return count_lines(out, "");
}

std::map<std::string, unsigned int> final_states(const Files &files)
{
	std::string out = opt.base + "/status.json";
	auto argv = dmhsm("status", files.paths(files.names()));
	argv.insert(argv.begin() + 1, "--json");
	if (run(argv, out) != 0)
		fail("dmhsm status failed: see " + out);
	std::map<std::string, unsigned int> states;
	std::string text = read_file(out);
	for (std::size_t pos = 0; (pos = text.find("\"state\": \"", pos)) != std::string::npos;) {
		pos += std::strlen("\"state\": \"");
		states[text.substr(pos, text.find('"', pos) - pos)]++;
	}
	return states;
}

void check_nothing_left(dm_sessid_t sid)
{
	dm_token_t tokens[16];
	unsigned int n = 0;
	if (dm_getall_tokens(sid, 16, tokens, &n) != 0 && errno != E2BIG)
		fail(std::string("dm_getall_tokens: ") + std::strerror(errno));
	if (n)
		fail(std::to_string(n) + " tokens outstanding");
	dm_sessid_t sids[256];
	if (dm_getall_sessions(256, sids, &n) != 0)
		fail(std::string("dm_getall_sessions: ") + std::strerror(errno));
	for (unsigned int i = 0; i < n; i++) {
		char info[DM_SESSION_INFO_LEN + 1] = {};
		std::size_t rlen;
		if (dm_query_session(sids[i], DM_SESSION_INFO_LEN, info, &rlen) == 0 &&
		    std::strncmp(info, "dmhsm pid ", 10) == 0)
			fail(std::string("session left: ") + info);
	}
}

/* Receive what is queued in @sid without waiting; how many messages. */
unsigned int drain(dm_sessid_t sid)
{
	std::vector<char> buf(1 << 16);
	unsigned int n = 0;
	for (;;) {
		std::size_t rlen = 0;
		if (dm_get_events(sid, 0, 0, buf.size(), buf.data(), &rlen) != 0)
			return n;	/* EAGAIN: nothing left */
		for (auto *m = reinterpret_cast<dm_eventmsg_t *>(buf.data()); m;
		     m = DM_STEP_TO_NEXT(m, dm_eventmsg_t *)) {
			if (m->ev_token != DM_INVALID_TOKEN)
				dm_respond_event(sid, m->ev_token, DM_RESP_CONTINUE, 0, 0, nullptr);
			n++;
		}
	}
}

/* The number after "@key": in @json; 0 without it. */
unsigned long json_number(const std::string &json, const std::string &key)
{
	std::string field = "\"" + key + "\": ";
	std::size_t at = json.find(field);
	return at == std::string::npos ? 0 :
					 std::strtoul(json.c_str() + at + field.size(), nullptr, 10);
}

void parse(int argc, char **argv)
{
	static const option longs[] = {
		{"files", required_argument, nullptr, 'n'}, {"cycles", required_argument, nullptr, 'c'},
		{"seed", required_argument, nullptr, 's'}, {"tools", required_argument, nullptr, 't'},
		{"keep", no_argument, nullptr, 'k'}, {"verbose", no_argument, nullptr, 'v'},
		{"store", required_argument, nullptr, 'S'}, {"patience", required_argument, nullptr, 'p'},
		{"help", no_argument, nullptr, 'h'}, {nullptr, 0, nullptr, 0},
	};
	opt.seed = static_cast<unsigned long>(getpid());
	opt.tools = fs::canonical("/proc/self/exe").parent_path().parent_path().parent_path() /
		    "tools";
	int c;
	while ((c = getopt_long(argc, argv, "vh", longs, nullptr)) != -1) {
		switch (c) {
		case 'n':
			opt.files = static_cast<unsigned int>(std::atoi(optarg));
			break;
		case 'c':
			opt.cycles = static_cast<unsigned int>(std::atoi(optarg));
			break;
		case 's':
			opt.seed = std::strtoul(optarg, nullptr, 0);
			break;
		case 't':
			opt.tools = optarg;
			break;
		case 'k':
			opt.keep = true;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'S':
			opt.store = optarg;
			break;
		case 'p':
			opt.patience = std::chrono::seconds(std::atoi(optarg));
			break;
		case 'h':
			std::puts("Usage: dmhsm-integrity [--files N] [--cycles N] [--seed N] [--keep]\n"
				  "                       [--verbose] [--tools DIR] [--store URL]\n"
				  "                       [--patience SECONDS]  (default 120: blocked)\n"
				  "The reference HSM's integrity run (see the source's head).");
			std::exit(0);
		default:
			std::exit(2);
		}
	}
}

} // namespace

int main(int argc, char **argv)
{
	parse(argc, argv);
	rng.seed(opt.seed);
	std::error_code ec;
	fs::remove_all(opt.base, ec);
	fs::create_directories(opt.base + "/lower");
	fs::create_directories(opt.base + "/mnt");
	if (opt.store.empty())
		opt.store = "dir:" + opt.base + "/store";
	std::ofstream(opt.base + "/dmhsm.conf") << "store = " << opt.store << "\nstub = 4K\n";
	setenv("DMHSM_CONFIG", (opt.base + "/dmhsm.conf").c_str(), 1);
	std::size_t log_from = kernel_log_lines();
	std::thread(watchdog).detach();

	daemon_process.start();
	std::string mnt = opt.base + "/mnt";
	if (run({"/bin/mount", "-t", "dmapi", "-o", "mtpt=" + mnt, opt.base + "/lower", mnt},
		opt.base + "/mount.log") != 0)
		die("mount failed: " + read_file(opt.base + "/mount.log"));
	while (count_lines(daemon_process.log(), "managing " + mnt) == 0)
		std::this_thread::sleep_for(50ms);

	Files files;
	phase("create");
	for (unsigned int i = 0; i < opt.files; i++)
		files.create();
	sync();
	std::thread chaos_thread(chaos);
	for (unsigned int c = 1; c <= opt.cycles; c++)
		cycle(files, c);
	chaos_stop = true;
	chaos_thread.join();

	phase("verify");
	for (const auto &name : files.names())
		files.check(name);
	std::size_t listed = 0;
	for ([[maybe_unused]] const auto &e : fs::directory_iterator(mnt))
		listed++;
	if (listed != files.size())
		fail(std::to_string(listed) + " files, expected " + std::to_string(files.size()));
	/* Copies that kills left without a record, or whose DESTROY was lost. */
	std::string gc_out = opt.base + "/gc.json";
	auto gc_argv = dmhsm("gc", {mnt});
	gc_argv.insert(gc_argv.begin() + 1, "--json");
	if (run(gc_argv, gc_out) != 0)
		fail("dmhsm gc failed: " + read_file(gc_out));
	/* Counted by the store itself, whatever its backend. */
	std::string gc_json = read_file(gc_out);
	unsigned long collected = json_number(gc_json, "orphaned");
	std::size_t refs = json_number(gc_json, "references") - collected;
	auto states = final_states(files);	/* reaps killed commands' sessions */
	check_nothing_left(daemon_process.sid());
	kernel_complaints(log_from);

	daemon_process.stop();
	if (run({"/bin/umount", mnt}, opt.base + "/mount.log") != 0)
		fail("umount failed: " + read_file(opt.base + "/mount.log"));
	/*
	 * What came after the daemon's last look (the unmount's evictions
	 * send DESTROY) waits for its next start: drained here, and counted.
	 */
	unsigned int left = drain(daemon_process.sid());
	if (dm_destroy_session(daemon_process.sid()) != 0)
		fail(std::string("destroying dmhsmd's session: ") + std::strerror(errno));

	std::string summary;
	unsigned int managed = states["dual"] + states["offline"];
	for (const auto &[state, n] : states)
		summary += (summary.empty() ? "" : ", ") + std::to_string(n) + " " + state;
	std::size_t leaked = refs - std::min<std::size_t>(refs, managed);
	if (leaked)
		fail(std::to_string(leaked) + " copies no record names are left after dmhsm gc");
	/* Files that match their model prove nothing if none ever moved. */
	if (!managed || !refs)
		fail("no file ended migrated or released, or no copy is in the store: "
		     "dmhsm did nothing (" + summary + ")");
	std::printf("integrity: %zu files, %u cycles, %lu operations, %u daemon kills; "
		    "final states: %s; %zu store references, %lu orphaned copies collected by "
		    "dmhsm gc, %zu leaked; %u messages left for a next start; %u failures "
		    "(seed %lu)\n",
		    files.size(), opt.cycles, operations, daemon_process.kills(), summary.c_str(),
		    refs, collected, leaked, left, failures, opt.seed);
	if (!opt.keep && !failures)
		fs::remove_all(opt.base, ec);
	return failures ? 1 : 0;
}
