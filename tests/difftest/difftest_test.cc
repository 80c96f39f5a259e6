// SPDX-License-Identifier: GPL-2.0
//
// dmapi-difftest on the host, with two plain directories for trees: they
// must compare identical, a seed must name one operation sequence, and
// every kind of difference must be caught (a comparator that cannot fail
// proves nothing).
#include "engine.h"
#include "generator.h"
#include "observation.h"
#include "prng.h"
#include "tree.h"
#include "walk.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace difftest;

namespace {

// Removes a tree whatever the run left in it: directories without search
// or write permission are opened up first.
void remove_below(int parent, const char *name)
{
	struct stat st;
	if (::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		::fchmodat(parent, name, 0700, 0);
		Fd dir(::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
		if (dir.valid()) {
			std::vector<char> buffer(32768);
			std::vector<std::string> entries;
			ssize_t n;
			while ((n = ::getdents64(dir.get(), buffer.data(), buffer.size())) > 0)
				parse_dirents(buffer.data(), n, entries, true);
			for (const std::string &entry : entries)
				remove_below(dir.get(), entry.substr(0, entry.rfind(':')).c_str());
		}
		::unlinkat(parent, name, AT_REMOVEDIR);
	} else {
		::unlinkat(parent, name, 0);
	}
}

class TempDir {
public:
	TempDir()
	{
		const char *base = std::getenv("TMPDIR");
		std::string pattern =
			std::string(base && *base ? base : "/tmp") + "/difftest.XXXXXX";
		std::vector<char> name(pattern.begin(), pattern.end());
		name.push_back('\0');
		if (!::mkdtemp(name.data()))
			throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
		path_ = name.data();
	}
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;
	~TempDir() { remove_below(AT_FDCWD, path_.c_str()); }

	const std::string &path() const { return path_; }
	std::string sub(const std::string &name) const
	{
		std::string full = path_ + "/" + name;
		::mkdir(full.c_str(), 0755);
		return full;
	}

private:
	std::string path_;
};

struct ToolResult {
	int status = -1;
	std::string out;
	std::string err;
};

std::string slurp(const std::string &name)
{
	std::ifstream in(name);
	std::stringstream text;
	text << in.rdbuf();
	return text.str();
}

// Runs the built dmapi-difftest, its output going to files (two pipes read
// one after the other could deadlock).
ToolResult run_tool(const std::vector<std::string> &args)
{
	TempDir scratch;
	const std::string out_name = scratch.path() + "/stdout";
	const std::string err_name = scratch.path() + "/stderr";
	pid_t pid = ::fork();
	if (pid == 0) {
		int out = ::open(out_name.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = ::open(err_name.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		::dup2(out, 1);
		::dup2(err, 2);
		std::vector<char *> argv{const_cast<char *>(DIFFTEST_BINARY)};
		for (const std::string &arg : args)
			argv.push_back(const_cast<char *>(arg.c_str()));
		argv.push_back(nullptr);
		::execv(DIFFTEST_BINARY, argv.data());
		::_exit(127);
	}
	ToolResult result;
	int status = 0;
	if (pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		result.status = WEXITSTATUS(status);
	result.out = slurp(out_name);
	result.err = slurp(err_name);
	return result;
}

Summary run_plain(Options options)
{
	TempDir dir;
	return run(options, dir.sub("a"), dir.sub("b"));
}

std::string divergence_text(const Summary &summary)
{
	return summary.first ? describe_divergence(summary, "A", "B") : "";
}

// The first divergence of a full comparison of two directories that
// differ the way prepare() makes them.
std::string
walk_difference(const std::function<void(const std::string &, const std::string &)> &prepare)
{
	TempDir dir;
	std::string a = dir.sub("a");
	std::string b = dir.sub("b");
	prepare(a, b);
	Tree tree_a(a);
	Tree tree_b(b);
	struct FirstDifference : Comparer {
		std::string found;
		bool same(const Observation &x, const Observation &y) override
		{
			std::string why = difference(x, y);
			if (!why.empty())
				found = x.what + ": " + why;
			return why.empty();
		}
	} comparer;
	bool same = compare_trees(tree_a, tree_b, comparer);
	EXPECT_EQ(same, comparer.found.empty());
	return comparer.found;
}

void write_file(const std::string &name, const std::string &content, mode_t mode = 0644)
{
	Fd fd(::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode));
	ASSERT_TRUE(fd.valid()) << name << ": " << std::strerror(errno);
	ASSERT_EQ(::write(fd.get(), content.data(), content.size()),
		  static_cast<ssize_t>(content.size()));
	::fchmod(fd.get(), mode);
}

std::string list_ops_text(uint64_t seed, uint64_t ops)
{
	Options options;
	options.seed = seed;
	options.ops = ops;
	std::ostringstream out;
	list_ops(options, out);
	return out.str();
}

} // namespace

TEST(Prng, EngineIsTheStandardOne)
{
	// The standard fixes the 10000th output of a default-seeded
	// mt19937_64: a seed means the same sequence everywhere.
	Prng rng(5489);
	uint64_t value = 0;
	for (int i = 0; i < 10000; i++)
		value = rng.next();
	EXPECT_EQ(value, 9981545732273789042ULL);
}

TEST(Prng, DistributionsStayInRangeAndCoverIt)
{
	Prng rng(1);
	std::set<int64_t> seen;
	for (int i = 0; i < 10000; i++) {
		int64_t v = rng.between(-3, 3);
		ASSERT_GE(v, -3);
		ASSERT_LE(v, 3);
		seen.insert(v);
	}
	EXPECT_EQ(seen.size(), 7u);
	const unsigned weights[] = {0, 1, 0, 3};
	unsigned counts[4] = {};
	for (int i = 0; i < 40000; i++)
		counts[rng.weighted(weights)]++;
	EXPECT_EQ(counts[0], 0u);
	EXPECT_EQ(counts[2], 0u);
	EXPECT_NEAR(counts[3] / 40000.0, 0.75, 0.02);
}

TEST(Generator, NamespaceIsSmallNestedAndUnique)
{
	std::vector<std::string> paths = make_namespace(32);
	ASSERT_EQ(paths.size(), 32u);
	std::set<std::string> unique(paths.begin(), paths.end());
	EXPECT_EQ(unique.size(), paths.size());
	size_t deepest = 0;
	for (const std::string &p : paths) {
		size_t depth = std::count(p.begin(), p.end(), '/');
		deepest = std::max(deepest, depth);
		// Every parent is a name of the namespace, so it can be made.
		if (size_t slash = p.rfind('/'); slash != std::string::npos) {
			EXPECT_TRUE(unique.count(p.substr(0, slash))) << p;
		}
	}
	EXPECT_GE(deepest, 2u);
	EXPECT_EQ(make_namespace(4).size(), 4u);
	EXPECT_EQ(make_namespace(300).size(), 300u);
}

TEST(Generator, SameSeedSameSequenceOtherSeedOtherSequence)
{
	std::string first = list_ops_text(42, 3000);
	EXPECT_EQ(first, list_ops_text(42, 3000));
	EXPECT_NE(first, list_ops_text(43, 3000));
	// A shorter run is a prefix: --ops N replays the first N operations.
	EXPECT_EQ(first.substr(0, list_ops_text(42, 100).size()), list_ops_text(42, 100));
}

TEST(Generator, NothingLeadsOutOfTheTree)
{
	// Symbolic links are relative and never climb, and no path climbs
	// or starts at /, or the two trees (and the host) could meet.
	for (uint64_t seed = 1; seed <= 20; seed++) {
		Generator generator(seed, 32);
		for (int i = 0; i < 20000; i++) {
			Op op = generator.next();
			for (const std::string &p : {op.path, op.path2}) {
				ASSERT_FALSE(p.starts_with('/')) << op.describe();
				ASSERT_EQ(p.find(".."), std::string::npos) << op.describe();
			}
		}
	}
}

TEST(Generator, EveryOperationIsDrawn)
{
	Generator generator(7, 32);
	std::set<OpKind> kinds;
	for (int i = 0; i < 20000; i++)
		kinds.insert(generator.next().kind);
	EXPECT_EQ(kinds.size(), static_cast<size_t>(OpKind::identity) + 1);
}

TEST(Observation, EveryFieldCanDiffer)
{
	Observation a = number("read", 4);
	a.data = "abcd";
	a.bytes = true;
	a.base = 100;
	Observation b = a;
	EXPECT_EQ(difference(a, b), "");
	b.data[2] = 'X';
	EXPECT_EQ(difference(a, b), "bytes differ at file offset 102: A 6364, B 5864");
	b = a;
	b.data = "abc";
	EXPECT_NE(difference(a, b), "");
	b = a;
	b.ret = -1;
	b.err = EIO;
	EXPECT_EQ(difference(a, b), "different outcome");
	a.ret = -1;
	a.err = ENOENT;
	EXPECT_EQ(difference(a, b), "different outcome");
	b = a;
	b.what = "write";
	EXPECT_NE(difference(a, b), "");
	EXPECT_NE(render(a).find("ENOENT"), std::string::npos);
}

TEST(Seek, DifferentAnswersAgreeOnlyOverZeros)
{
	// Two files with the same bytes: data, 8 KiB of zeros, data.
	TempDir dir;
	std::string content(4096, 'x');
	content += std::string(8192, '\0');
	content += std::string(4096, 'y');
	write_file(dir.path() + "/a", content);
	write_file(dir.path() + "/b", content);
	Fd a(::open((dir.path() + "/a").c_str(), O_WRONLY));	// write-only on purpose
	Fd b(::open((dir.path() + "/b").c_str(), O_RDWR));
	auto at = [](int64_t offset) { return number("lseek", offset); };
	Observation enxio = number("lseek", -1);
	enxio.err = ENXIO;

	EXPECT_TRUE(seek_answers_agree(SEEK_HOLE, at(4096), at(12288), a.get(), b.get()));
	EXPECT_TRUE(seek_answers_agree(SEEK_DATA, at(12288), at(4096), a.get(), b.get()));
	EXPECT_FALSE(seek_answers_agree(SEEK_HOLE, at(2048), at(12288), a.get(), b.get()));
	EXPECT_FALSE(seek_answers_agree(SEEK_DATA, at(4096), at(16384), a.get(), b.get()));
	EXPECT_FALSE(seek_answers_agree(SEEK_DATA, enxio, at(4096), a.get(), b.get()));
	EXPECT_FALSE(seek_answers_agree(SEEK_HOLE, enxio, at(4096), a.get(), b.get()));
	EXPECT_FALSE(seek_answers_agree(SEEK_SET, at(4096), at(8192), a.get(), b.get()));
	Observation einval = enxio;
	einval.err = EINVAL;
	EXPECT_FALSE(seek_answers_agree(SEEK_DATA, einval, at(4096), a.get(), b.get()));

	// Without the trailing data, "no more data" from 4096 is right.
	ASSERT_EQ(::ftruncate(a.get(), 12288), 0);
	ASSERT_EQ(::ftruncate(b.get(), 12288), 0);
	EXPECT_TRUE(seek_answers_agree(SEEK_DATA, enxio, at(4096), a.get(), b.get()));
	EXPECT_TRUE(seek_answers_agree(SEEK_DATA, at(4096), enxio, a.get(), b.get()));
	// ... unless one file has a byte the other has not.
	ASSERT_EQ(::pwrite(b.get(), "z", 1, 8000), 1);
	EXPECT_FALSE(seek_answers_agree(SEEK_DATA, enxio, at(4096), a.get(), b.get()));
}

TEST(Run, PlainDirectoriesAreIdentical)
{
	// Both trees on the host's filesystem: any divergence is the
	// tester's own nondeterminism.
	for (uint64_t seed : {1, 2, 3, 4, 5}) {
		Options options;
		options.seed = seed;
		options.ops = 2000;
		Summary summary = run_plain(options);
		EXPECT_FALSE(summary.first) << divergence_text(summary);
		EXPECT_EQ(summary.ops, 2000u);
		EXPECT_GT(summary.compared, 2000u);
	}
}

TEST(Run, ManyNamesAndOftenCompared)
{
	Options options;
	options.seed = 99;
	options.ops = 1500;
	options.names = 120;
	options.check_every = 100;
	Summary summary = run_plain(options);
	EXPECT_FALSE(summary.first) << divergence_text(summary);
}

TEST(Run, SameSeedSameResultsTwice)
{
	Options options;
	options.seed = 11;
	options.ops = 1000;
	Summary first = run_plain(options);
	Summary second = run_plain(options);
	EXPECT_EQ(first.compared, second.compared);
}

TEST(Run, InjectedFaultIsCaughtWhereverItLands)
{
	Options options;
	options.seed = 3;
	options.ops = 600;
	options.check_every = 200;
	Summary clean = run_plain(options);
	ASSERT_FALSE(clean.first) << divergence_text(clean);
	// The first result, results of operations, of the full comparisons
	// in the middle, and the very last one of the final comparison.
	for (uint64_t n : {uint64_t{1}, uint64_t{2}, uint64_t{500}, clean.compared / 2,
			   clean.compared - 1, clean.compared}) {
		options.inject_fault = n;
		Summary summary = run_plain(options);
		ASSERT_TRUE(summary.first)
			<< "fault " << n << " of " << clean.compared << " not caught";
		EXPECT_TRUE(summary.first->injected);
		EXPECT_EQ(summary.compared, n);
		EXPECT_NE(divergence_text(summary).find("seed 3: DIVERGENCE"), std::string::npos);
	}
}

TEST(Walk, IdenticalTreesCompareEqual)
{
	EXPECT_EQ(walk_difference([](const std::string &a, const std::string &b) {
			  for (const std::string &root : {a, b}) {
				  ::mkdir((root + "/d").c_str(), 0750);
				  write_file(root + "/d/f", "content");
				  ::symlink("d/f", (root + "/l").c_str());
				  ::mkfifo((root + "/p").c_str(), 0600);
			  }
		  }),
		  "");
}

TEST(Walk, EveryComparedPropertyCanDiffer)
{
	struct Case {
		const char *name;
		std::function<void(const std::string &, const std::string &)> prepare;
		const char *expected;	// in the message
	};
	const Case cases[] = {
		{"content",
		 [](auto &a, auto &b) {
			 write_file(a + "/f", "abcdef");
			 write_file(b + "/f", "abcXef");
		 },
		 "f: content: bytes differ at file offset 3"},
		{"size",
		 [](auto &a, auto &b) {
			 write_file(a + "/f", "abc");
			 write_file(b + "/f", "abcd");
		 },
		 "f: lstat"},
		{"mode",
		 [](auto &a, auto &b) {
			 write_file(a + "/f", "x", 0644);
			 write_file(b + "/f", "x", 0640);
		 },
		 "f: lstat"},
		{"name",
		 [](auto &a, auto &b) {
			 write_file(a + "/f", "x");
			 write_file(b + "/g", "x");
		 },
		 ".: names and d_types"},
		{"type",
		 [](auto &a, auto &b) {
			 write_file(a + "/f", "");
			 ::mkfifo((b + "/f").c_str(), 0644);
		 },
		 ".: names and d_types"},
		{"nlink",
		 [](auto &a, auto &b) {
			 write_file(a + "/f", "x");
			 write_file(b + "/f", "x");
			 write_file(a + "/g", "x");
			 ::link((b + "/f").c_str(), (b + "/g").c_str());
		 },
		 "f: lstat"},
		{"link target",
		 [](auto &a, auto &b) {
			 ::symlink("one", (a + "/l").c_str());
			 ::symlink("three", (b + "/l").c_str());
		 },
		 "l: lstat"}, // the sizes differ first
		{"link target, same length",
		 [](auto &a, auto &b) {
			 ::symlink("one", (a + "/l").c_str());
			 ::symlink("owe", (b + "/l").c_str());
		 },
		 "l: link target"},
		{"xattr value",
		 [](auto &a, auto &b) {
			 write_file(a + "/f", "x");
			 write_file(b + "/f", "x");
			 ::setxattr((a + "/f").c_str(), "user.k", "1", 1, 0);
			 ::setxattr((b + "/f").c_str(), "user.k", "2", 1, 0);
		 },
		 "f: xattr user.k"},
		{"xattr name",
		 [](auto &a, auto &b) {
			 write_file(a + "/f", "x");
			 write_file(b + "/f", "x");
			 ::setxattr((a + "/f").c_str(), "user.k", "1", 1, 0);
		 },
		 "f: xattr names"},
		{"deep",
		 [](auto &a, auto &b) {
			 for (const std::string &r : {a, b}) {
				 ::mkdir((r + "/d").c_str(), 0755);
				 ::mkdir((r + "/d/e").c_str(), 0755);
			 }
			 write_file(a + "/d/e/f", "1");
			 write_file(b + "/d/e/f", "2");
		 },
		 "d/e/f: content"},
		{"root mode",
		 [](auto &a, auto &b) {
			 ::chmod(a.c_str(), 0700);
			 ::chmod(b.c_str(), 0750);
		 },
		 ".: lstat"},
	};
	for (const Case &c : cases) {
		std::string found = walk_difference(c.prepare);
		EXPECT_NE(found.find(c.expected), std::string::npos)
			<< c.name << ": expected \"" << c.expected << "\", got \"" << found << "\"";
	}
	if (::geteuid() == 0) {
		std::string found = walk_difference([](auto &a, auto &b) {
			write_file(a + "/f", "x");
			write_file(b + "/f", "x");
			ASSERT_EQ(::chown((b + "/f").c_str(), 1000, 1000), 0);
		});
		EXPECT_NE(found.find("f: lstat"), std::string::npos) << found;
		found = walk_difference([](auto &a, auto &b) {
			ASSERT_EQ(::mknod((a + "/c").c_str(), S_IFCHR | 0600, makedev(1, 3)), 0);
			ASSERT_EQ(::mknod((b + "/c").c_str(), S_IFCHR | 0600, makedev(1, 5)), 0);
		});
		EXPECT_NE(found.find("c: lstat"), std::string::npos) << found;
	}
}

TEST(Tool, HelpVersionAndUsageErrors)
{
	ToolResult help = run_tool({"--help"});
	EXPECT_EQ(help.status, 0);
	EXPECT_NE(help.out.find("Usage: dmapi-difftest"), std::string::npos);
	ToolResult version = run_tool({"--version"});
	EXPECT_EQ(version.status, 0);
	EXPECT_EQ(version.out, std::string("dmapi-difftest ") + DIFFTEST_VERSION + "\n");
	EXPECT_EQ(run_tool({}).status, 2);
	EXPECT_EQ(run_tool({"--ops", "ten", "a", "b"}).status, 2);
	EXPECT_EQ(run_tool({"--bogus", "a", "b"}).status, 2);
	EXPECT_EQ(run_tool({"--seed"}).status, 2);
	EXPECT_EQ(run_tool({"--files", "2", "a", "b"}).status, 2);
	EXPECT_EQ(run_tool({"onlyone"}).status, 2);
}

TEST(Tool, SetupErrors)
{
	TempDir dir;
	std::string a = dir.sub("a");
	std::string b = dir.sub("b");
	ToolResult missing = run_tool({"--seed", "1", a, dir.path() + "/missing"});
	EXPECT_EQ(missing.status, 2);
	EXPECT_NE(missing.err.find("missing"), std::string::npos);
	ToolResult same = run_tool({"--seed", "1", a, a});
	EXPECT_EQ(same.status, 2);
	EXPECT_NE(same.err.find("same directory"), std::string::npos) << same.err;
	write_file(b + "/leftover", "x");
	ToolResult dirty = run_tool({"--seed", "1", a, b});
	EXPECT_EQ(dirty.status, 2);
	EXPECT_NE(dirty.err.find("not empty"), std::string::npos) << dirty.err;
}

TEST(Tool, IdenticalRunSummaryAndJson)
{
	TempDir dir;
	ToolResult result = run_tool({"--seed", "12", "--ops", "300", dir.sub("a"), dir.sub("b")});
	EXPECT_EQ(result.status, 0) << result.err;
	EXPECT_NE(result.out.find("dmapi-difftest: seed 12: 300 operations, "), std::string::npos)
		<< result.out;
	EXPECT_NE(result.out.find("results compared, trees identical\n"), std::string::npos)
		<< result.out;

	TempDir other;
	ToolResult json = run_tool(
		{"--json", "--seed", "12", "--ops", "300", other.sub("a"), other.sub("b")});
	EXPECT_EQ(json.status, 0) << json.err;
	EXPECT_EQ(json.out.rfind("{\"seed\":12,\"ops\":300,\"compared\":", 0), 0u) << json.out;
	EXPECT_NE(json.out.find("\"divergences\":0"), std::string::npos) << json.out;
	EXPECT_NE(json.out.find("\"first\":null}"), std::string::npos) << json.out;
}

TEST(Tool, InjectedFaultFailsTheRun)
{
	TempDir dir;
	ToolResult result = run_tool({"--seed", "5", "--ops", "300", "--inject-fault", "40",
				      "--json", dir.sub("a"), dir.sub("b")});
	EXPECT_EQ(result.status, 1);
	EXPECT_NE(result.err.find("seed 5: DIVERGENCE at op "), std::string::npos) << result.err;
	EXPECT_NE(result.err.find("replay:  dmapi-difftest --seed 5 --ops "), std::string::npos)
		<< result.err;
	EXPECT_NE(result.out.find("\"divergences\":1"), std::string::npos) << result.out;
	EXPECT_NE(result.out.find("\"compared\":40,"), std::string::npos) << result.out;
	EXPECT_NE(result.out.find("\"injected\":true"), std::string::npos) << result.out;
}

TEST(Tool, VerboseLogIsTheListedSequence)
{
	// What a run does is what --list-ops says, and twice the same.
	auto executed = [](const std::string &err) {
		std::string ops;
		std::istringstream lines(err);
		for (std::string line; std::getline(lines, line);) {
			if (line.rfind("dmapi-difftest: op ", 0) != 0 ||
			    line.find(": tolerated:") != std::string::npos)
				continue;
			line = line.substr(std::strlen("dmapi-difftest: "));
			ops += line.substr(0, line.find(" = ")) + "\n";
		}
		return ops;
	};
	TempDir first;
	TempDir second;
	ToolResult one = run_tool(
		{"--verbose", "--seed", "77", "--ops", "400", first.sub("a"), first.sub("b")});
	ToolResult two = run_tool(
		{"--verbose", "--seed", "77", "--ops", "400", second.sub("a"), second.sub("b")});
	ToolResult listed = run_tool({"--list-ops", "--seed", "77", "--ops", "400"});
	ASSERT_EQ(one.status, 0) << one.err;
	ASSERT_EQ(two.status, 0) << two.err;
	ASSERT_EQ(listed.status, 0);
	EXPECT_EQ(executed(one.err), listed.out);
	EXPECT_EQ(one.err, two.err.substr(0, two.err.rfind("dmapi-difftest: ") ) +
				   one.err.substr(one.err.rfind("dmapi-difftest: ")))
		<< "the logs of two runs of one seed differ";
	EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 400);
}
