// SPDX-License-Identifier: GPL-2.0
#include "engine.h"
#include "fd.h"
#include "generator.h"
#include "tree.h"
#include "walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

namespace difftest {

namespace {

// The umask and filesystem ids the operations change are the process's:
// put them back, for the full comparisons (which must see everything) and
// for whoever called run() (the unit tests run it in their own process).
class ProcessState {
public:
	ProcessState()
		: umask_(::umask(022)),
		  fsuid_(::setfsuid(static_cast<uid_t>(-1))),
		  fsgid_(::setfsgid(static_cast<gid_t>(-1)))
	{
		::umask(umask_);
	}
	ProcessState(const ProcessState &) = delete;
	ProcessState &operator=(const ProcessState &) = delete;
	~ProcessState() { restore(); }

	void restore() const
	{
		::umask(umask_);
		::setfsgid(fsgid_);
		::setfsuid(fsuid_);
	}

private:
	mode_t umask_;
	uid_t fsuid_;
	gid_t fsgid_;
};

// Signals that would end the run where a call should fail with an errno
// to compare: SIGPIPE for a write to a FIFO whose reader closed (EPIPE),
// SIGXFSZ for one beyond RLIMIT_FSIZE (EFBIG).  Ignored during the run.
class IgnoredSignals {
public:
	IgnoredSignals()
	{
		struct sigaction ignore = {};
		ignore.sa_handler = SIG_IGN;
		::sigaction(SIGPIPE, &ignore, &pipe_);
		::sigaction(SIGXFSZ, &ignore, &file_size_);
	}
	IgnoredSignals(const IgnoredSignals &) = delete;
	IgnoredSignals &operator=(const IgnoredSignals &) = delete;
	~IgnoredSignals()
	{
		::sigaction(SIGPIPE, &pipe_, nullptr);
		::sigaction(SIGXFSZ, &file_size_, nullptr);
	}

private:
	struct sigaction pipe_;
	struct sigaction file_size_;
};

bool is_empty(const Tree &tree)
{
	Fd dir(::openat(tree.root(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	std::vector<char> buffer(4096);
	std::vector<std::string> entries;
	ssize_t n;
	while (dir.valid() && (n = ::getdents64(dir.get(), buffer.data(), buffer.size())) > 0)
		parse_dirents(buffer.data(), n, entries, true);
	return entries.empty();
}

// Two names for one directory (say the lower directory and the dmapi mount
// over it) would make every O_EXCL fail in B: refuse that up front.
void check_distinct(const Tree &a, const Tree &b)
{
	static const char probe[] = ".dmapi-difftest-probe";
	Fd made(::openat(a.root(), probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
	if (!made.valid())
		throw SetupError(a.path() + ": cannot create a file: " + std::strerror(errno));
	struct stat st;
	bool shared = ::fstatat(b.root(), probe, &st, AT_SYMLINK_NOFOLLOW) == 0;
	::unlinkat(a.root(), probe, 0);
	if (shared)
		throw SetupError(a.path() + " and " + b.path() + " are the same directory");
}

// Reads [from, to) of a file through a new read-only descriptor (the
// caller's may be write-only) and tells whether it is all zeros.
bool zeros(int fd, int64_t from, int64_t to)
{
	std::string name = "/proc/self/fd/" + std::to_string(fd);
	Fd file(::open(name.c_str(), O_RDONLY | O_CLOEXEC));
	if (!file.valid())
		return false;
	std::vector<char> buffer(64 * 1024);
	while (from < to) {
		ssize_t n = ::pread(file.get(), buffer.data(),
				    std::min<int64_t>(buffer.size(), to - from), from);
		if (n <= 0)
			return n == 0;		// EOF: the rest reads as nothing
		if (std::any_of(buffer.begin(), buffer.begin() + n, [](char c) { return c != 0; }))
			return false;
		from += n;
	}
	return true;
}

int64_t file_size(int fd)
{
	struct stat st;
	return ::fstat(fd, &st) == 0 ? st.st_size : -1;
}

} // namespace

bool seek_answers_agree(int whence, const Observation &a, const Observation &b, int fd_a, int fd_b)
{
	int64_t from;
	int64_t to;
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return false;
	if (!a.failed() && !b.failed()) {
		from = std::min(a.ret, b.ret);
		to = std::max(a.ret, b.ret);
	} else if (whence == SEEK_DATA && a.failed() != b.failed() &&
		   (a.failed() ? a.err : b.err) == ENXIO) {
		from = a.failed() ? b.ret : a.ret;
		to = file_size(fd_a);
		if (to < 0 || to != file_size(fd_b))
			return false;
	} else {
		return false;
	}
	return zeros(fd_a, from, to) && zeros(fd_b, from, to);
}

namespace {

class Engine : public Comparer {
public:
	Engine(const Options &options, Tree &a, Tree &b, Summary &summary)
		: options_(options), a_(a), b_(b), summary_(summary)
	{
	}

	// Compares one pair, counting it; on a difference records the
	// first divergence and returns false.
	bool same(const Observation &a, const Observation &b) override;

	bool step(uint64_t number, const Op &op);
	bool full_comparison(uint64_t after, const char *when);
	bool close_all(uint64_t after);

private:
	void log(const std::string &line)
	{
		if (options_.log)
			*options_.log << "dmapi-difftest: " << line << '\n';
	}

	const Options &options_;
	Tree &a_;
	Tree &b_;
	Summary &summary_;
	const Op *op_ = nullptr;	// the operation being compared, if any
	uint64_t number_ = 0;
	std::string context_;
};

bool Engine::same(const Observation &a, const Observation &b_seen)
{
	Observation b = b_seen;
	bool injected = false;
	if (++summary_.compared == options_.inject_fault) {
		// A check that cannot fail proves nothing: make B's result
		// wrong on purpose and expect the run to say so.
		injected = true;
		if (b.bytes && !b.data.empty())
			b.data[b.data.size() / 2] ^= 0x5a;
		else if (!b.data.empty())
			b.data += " (corrupted)";
		else if (b.failed())
			b.err = b.err == EIO ? EINVAL : EIO;
		else
			b.ret += 1;
	}
	std::string why = difference(a, b);
	if (why.empty())
		return true;
	if (!injected && !options_.strict_seek && a.rule == Rule::seek_layout && op_ &&
	    seek_answers_agree(op_->flags, a, b, a_.slot(op_->slot), b_.slot(op_->slot))) {
		summary_.tolerated++;
		log("op " + std::to_string(number_) + ": tolerated: A " + render(a) + ", B " +
		    render(b) + ": the bytes between are zeros in both trees");
		// Both positions must agree again for the calls that use them.
		::lseek(b_.slot(op_->slot), ::lseek(a_.slot(op_->slot), 0, SEEK_CUR), SEEK_SET);
		return true;
	}
	summary_.first = Divergence{number_, context_, a, b, why, injected};
	return false;
}

bool Engine::step(uint64_t number, const Op &op)
{
	op_ = &op;
	number_ = number;
	context_ = op.describe();
	std::vector<Observation> seen_a = a_.apply(op);
	std::vector<Observation> seen_b = b_.apply(op);
	if (options_.log)
		log("op " + std::to_string(number) + ": " + context_ +
		    (seen_a.empty() ? "" : " = " + render(seen_a.front())));
	size_t common = std::min(seen_a.size(), seen_b.size());
	for (size_t i = 0; i < common; i++) {
		if (!same(seen_a[i], seen_b[i]))
			return false;
	}
	if (seen_a.size() != seen_b.size()) {
		// Not reached while the results compared so far agree, as every
		// branch of Tree::apply depends on those; kept as a safeguard.
		return same(difftest::number("number of results", seen_a.size()),
			    difftest::number("number of results", seen_b.size()));
	}
	return true;
}

bool Engine::full_comparison(uint64_t after, const char *when)
{
	op_ = nullptr;
	number_ = after;
	context_ = std::string("full comparison of the trees ") + when;
	log(context_);
	return compare_trees(a_, b_, *this);
}

bool Engine::close_all(uint64_t after)
{
	op_ = nullptr;
	number_ = after;
	context_ = "closing every slot at the end";
	std::vector<Observation> closed_a = a_.close_all();
	std::vector<Observation> closed_b = b_.close_all();
	for (size_t i = 0; i < std::min(closed_a.size(), closed_b.size()); i++) {
		if (!same(closed_a[i], closed_b[i]))
			return false;
	}
	return closed_a.size() == closed_b.size() ||
	       same(difftest::number("open slots", closed_a.size()),
		    difftest::number("open slots", closed_b.size()));
}

std::string json_string(const std::string &text)
{
	std::string out = "\"";
	for (unsigned char c : text) {
		if (c == '"' || c == '\\') {
			out += '\\';
			out += static_cast<char>(c);
		} else if (c < 0x20 || c >= 0x7f) {
			char escaped[8];
			std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
			out += escaped;
		} else {
			out += static_cast<char>(c);
		}
	}
	return out + "\"";
}

std::string json_observation(const Observation &o)
{
	std::string out = "{\"ret\":" + std::to_string(o.ret) +
			  ",\"errno\":" + json_string(o.failed() ? errno_name(o.err) : "") +
			  ",\"text\":" + json_string(render(o)) + "}";
	return out;
}

} // namespace

Summary run(const Options &options, const std::string &dir_a, const std::string &dir_b)
{
	ProcessState process;
	IgnoredSignals signals;
	Summary summary;
	summary.seed = options.seed;
	Tree a(dir_a);
	Tree b(dir_b);
	for (const Tree *tree : {&a, &b}) {
		if (!is_empty(*tree))
			throw SetupError(tree->path() +
					 " is not empty: a run starts from two empty directories");
	}
	check_distinct(a, b);
	check_distinct(b, a);

	auto start = std::chrono::steady_clock::now();
	Engine engine(options, a, b, summary);
	Generator generator(options.seed, options.names);
	bool same = engine.full_comparison(0, "before the first operation");
	for (uint64_t number = 1; same && number <= options.ops; number++) {
		Op op = generator.next();
		if (op.kind == OpKind::umask)
			::umask(op.mode);
		if (op.kind == OpKind::identity) {
			::setfsgid(op.gid);
			::setfsuid(op.uid);
		}
		same = engine.step(number, op);
		summary.ops = number;
		if (same && options.check_every && number % options.check_every == 0 &&
		    number != options.ops) {
			// The operations' identity may not see everything.
			ProcessState operations;
			process.restore();
			same = engine.full_comparison(
				number, ("after op " + std::to_string(number)).c_str());
		}
	}
	process.restore();
	if (same)
		same = engine.close_all(summary.ops);
	if (same)
		engine.full_comparison(summary.ops, "at the end");
	summary.seconds =
		std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	return summary;
}

void list_ops(const Options &options, std::ostream &out)
{
	Generator generator(options.seed, options.names);
	for (uint64_t number = 1; number <= options.ops; number++)
		out << "op " << number << ": " << generator.next().describe() << '\n';
}

std::string describe_divergence(const Summary &summary, const std::string &dir_a,
				const std::string &dir_b)
{
	if (!summary.first)
		return "";
	const Divergence &d = *summary.first;
	std::string seed = std::to_string(summary.seed);
	std::string out = "dmapi-difftest: seed " + seed + ": DIVERGENCE at op " +
			  std::to_string(d.op) + ": " + d.operation + "\n";
	out += "  result:  " + d.a.what + ": " + d.why + "\n";
	out += "  A " + dir_a + ": " + render(d.a) + "\n";
	out += "  B " + dir_b + ": " + render(d.b) + "\n";
	if (d.injected)
		out += "  (a fault was injected into this result of B by --inject-fault)\n";
	out += "  replay:  dmapi-difftest --seed " + seed + " --ops " +
	       std::to_string(std::max<uint64_t>(d.op, 1)) +
	       " --verbose DIR_A DIR_B   (on two new empty directories)\n";
	return out;
}

std::string json_summary(const Summary &summary)
{
	char seconds[32];
	std::snprintf(seconds, sizeof(seconds), "%.3f", summary.seconds);
	std::string out = "{\"seed\":" + std::to_string(summary.seed) +
			  ",\"ops\":" + std::to_string(summary.ops) +
			  ",\"compared\":" + std::to_string(summary.compared) +
			  ",\"divergences\":" + std::string(summary.first ? "1" : "0") +
			  ",\"tolerated\":" + std::to_string(summary.tolerated) +
			  ",\"seconds\":" + seconds + ",\"first\":";
	if (!summary.first)
		return out + "null}";
	const Divergence &d = *summary.first;
	out += "{\"op\":" + std::to_string(d.op) + ",\"operation\":" + json_string(d.operation) +
	       ",\"result\":" + json_string(d.a.what) + ",\"why\":" + json_string(d.why) +
	       ",\"a\":" + json_observation(d.a) + ",\"b\":" + json_observation(d.b) +
	       ",\"injected\":" + (d.injected ? "true" : "false") + "}}";
	return out;
}

} // namespace difftest
