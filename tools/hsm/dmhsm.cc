// SPDX-License-Identifier: GPL-2.0
//
// dmhsm: the reference HSM's command line.  Migrates files to the store,
// releases and recalls them, and shows their states, through the DMAPI
// alone.  Transparent recall on access is dmhsmd's.
#include "config.h"
#include "hsm.h"
#include "log.h"
#include "output.h"
#include "../dmstat/monitor.h"

#include <xdsm/dmapi.hpp>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <ftw.h>
#include <functional>
#include <map>
#include <getopt.h>
#include <optional>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#ifndef DMHSM_VERSION
#error "DMHSM_VERSION must name the release"
#endif

using namespace hsm;

namespace {

constexpr const char usage_text[] = R"(Usage: dmhsm [OPTION]... COMMAND [ARG]...
The reference HSM's command line: move the data of files on a dmapi
filesystem to a secondary store and back.

Commands:
  migrate [--keep] PATH...  copy each file to the store and keep only its
                            stub on disk; with --keep, keep it all (dual
                            state) until `release`
  release PATH...           keep only the stub of files already copied
  recall PATH...            bring the data of migrated files back
  status PATH...            state (online, dual, offline), size, bytes on
                            disk, stub and where the copy is
  ls [DIR]...               the entries of directories with their states
  gc [--dry-run] [MOUNTPOINT]
                            remove the copies in the store (of MOUNTPOINT's
                            policy, else the default one) that no file's
                            record names: left by a crash, or by a DESTROY
                            that a killed dmhsmd received and never handled
  scan [--older-than AGE] [--larger-than SIZE] [--by-io] MOUNTPOINT
                            online and dual files unused for AGE (90s, 15m, 2h, 7d)
                            and larger than SIZE (4K, 1M, 2G): the
                            candidates for migration, least recently used
                            first, found with one bulk scan; with --by-io,
                            coldest first by the bytes their I/O statistics
                            regions counted (dmstat(8); none counts as 0)

Options:
  -j, --json                print JSON for scripts
  -c, --config FILE         the configuration (default /etc/dmhsm.conf)
      --store URL           the store (dir:/PATH), overriding the configuration
      --stub SIZE           bytes kept on disk when released (default 4K)
  -h, --help                show this help and exit
  -V, --version             show the version and exit

Exit status: 0 every file done, 1 some failed (each said why), 2 usage.
)";

struct Options {
	bool json = false;
	std::string config;
	std::optional<std::string> store;
	std::optional<std::uint64_t> stub;
};

[[noreturn]] void usage_error(const std::string &msg)
{
	std::fprintf(stderr, "dmhsm: %s\nTry 'dmhsm --help'.\n", msg.c_str());
	std::exit(2);
}

/* The session of this command, destroyed when it ends. */
class CommandSession {
public:
	CommandSession()
		: session_(xdsm::Session::create(command_session_info())) {}
	~CommandSession()
	{
		try {
			session_.destroy();
		} catch (const std::system_error &e) {
			std::fprintf(stderr, "dmhsm: %s\n", e.what());
		}
	}
	xdsm::Session &get() { return session_; }

private:
	xdsm::Session session_;
};

/* The mountpoint of the dmapi filesystem that holds @path. */
std::string mountpoint_of(const std::string &path)
{
	char real[PATH_MAX];
	if (!realpath(path.c_str(), real))
		xdsm::throw_errno("realpath");
	std::string r(real), best;
	for (const std::string &where : dmapi_mountpoints()) {
		bool under = r == where || where == "/" ||
			     (r.compare(0, where.size(), where) == 0 && r[where.size()] == '/');
		if (under && where.size() > best.size())
			best = where;
	}
	if (best.empty())
		throw std::system_error(EXDEV, std::generic_category(), "not on a dmapi filesystem");
	return best;
}

/* The handle of @path, or why a file has none. */
xdsm::Handle handle_of(const std::string &path)
{
	try {
		return xdsm::Handle::of_path(path);
	} catch (const std::system_error &e) {
		if (e.code().value() == EINVAL)
			mountpoint_of(path);	/* throws "not on a dmapi filesystem" */
		throw;
	}
}

class Cli {
public:
	Cli(Options opts, Config config)
		: opts_(std::move(opts)), config_(std::move(config)), manager_(session_.get()) {}

	int per_file(const std::vector<std::string> &paths, const char *what,
		     const std::function<Outcome(const std::string &, const xdsm::Handle &,
						 dm_token_t)> &op);
	int migrate(const std::vector<std::string> &paths, bool keep);
	int release(const std::vector<std::string> &paths);
	int recall(const std::vector<std::string> &paths);
	int status(const std::vector<std::string> &paths);
	int ls(const std::vector<std::string> &dirs);
	int scan(const std::string &mountpoint, std::uint64_t older, std::uint64_t larger,
		 bool by_io);
	int gc(const std::string &mountpoint, bool dry_run);

private:
	void print_outcome(const std::string &path, const Outcome &o);
	void print_error(const std::string &path, const std::exception &e);
	void begin_list();
	void end_list();
	State state_of(const xdsm::Handle &h, std::optional<Record> *rec = nullptr);

	Options opts_;
	Config config_;
	CommandSession session_;
	Manager manager_;
	bool first_ = true;
	Progress *progress_ = nullptr;
};

void Cli::begin_list()
{
	if (opts_.json)
		std::fputs("[", stdout);
	first_ = true;
}

void Cli::end_list()
{
	if (opts_.json)
		std::fputs(first_ ? "]\n" : "\n]\n", stdout);
}

/* One JSON object of a list, or nothing when the output is text. */
void json_item(bool &first, const std::string &body)
{
	std::printf("%s\n  {%s}", first ? "" : ",", body.c_str());
	first = false;
}

std::string record_json(const std::optional<Record> &rec)
{
	if (!rec)
		return "\"state\": \"online\"";
	return "\"state\": " + json_string(state_name(rec->state)) +
	       ", \"stub\": " + std::to_string(rec->stub) + ", \"store\": " +
	       json_string(rec->store) + ", \"digest\": " + json_string(rec->object.digest);
}

void Cli::print_outcome(const std::string &path, const Outcome &o)
{
	if (progress_)
		progress_->clear();
	if (opts_.json) {
		json_item(first_, "\"path\": " + json_string(path) + ", \"action\": " +
					  json_string(o.action) + ", \"bytes\": " +
					  std::to_string(o.bytes) + ", " + record_json(o.record));
		return;
	}
	std::string detail;
	if (o.bytes)
		detail = human_size(o.bytes);
	if (o.record && o.record->state == State::offline)
		detail += std::string(detail.empty() ? "" : ", ") + "stub " +
			  std::to_string(o.record->stub) + " bytes";
	std::printf("%s: %s%s%s%s\n", path.c_str(), o.action, detail.empty() ? "" : " (",
		    detail.c_str(), detail.empty() ? "" : ")");
}

void Cli::print_error(const std::string &path, const std::exception &e)
{
	if (progress_)
		progress_->clear();
	std::fprintf(stderr, "dmhsm: %s: %s\n", path.c_str(), e.what());
	if (opts_.json)
		json_item(first_, "\"path\": " + json_string(path) + ", \"error\": " +
					  json_string(e.what()));
}

int Cli::per_file(const std::vector<std::string> &paths, const char *what,
		  const std::function<Outcome(const std::string &, const xdsm::Handle &,
					      dm_token_t)> &op)
{
	int status = 0;
	Progress progress(paths.size(), !opts_.json);
	progress_ = &progress;
	begin_list();
	for (const std::string &path : paths) {
		try {
			auto h = handle_of(path);
			UserToken token(session_.get(), what);
			Outcome o = op(path, h, token.get());
			print_outcome(path, o);
			progress.step(o.bytes);
		} catch (const std::exception &e) {
			print_error(path, e);
			progress.step(0);
			status = 1;
		}
	}
	end_list();
	progress_ = nullptr;
	return status;
}

int Cli::migrate(const std::vector<std::string> &paths, bool keep)
{
	return per_file(paths, "dmhsm migrate",
			[&](const std::string &path, const xdsm::Handle &h, dm_token_t t) {
				Policy p = config_.policy(mountpoint_of(path));
				return manager_.migrate(h, t, p.store, p.stub, !keep);
			});
}

int Cli::release(const std::vector<std::string> &paths)
{
	return per_file(paths, "dmhsm release",
			[&](const std::string &path, const xdsm::Handle &h, dm_token_t t) {
				return manager_.release(h, t, config_.policy(mountpoint_of(path)).stub);
			});
}

int Cli::recall(const std::vector<std::string> &paths)
{
	return per_file(paths, "dmhsm recall",
			[&](const std::string &, const xdsm::Handle &h, dm_token_t t) {
				return manager_.recall(h, t);
			});
}

State Cli::state_of(const xdsm::Handle &h, std::optional<Record> *out)
{
	auto rec = manager_.record(h, DM_NO_TOKEN);
	State s = rec ? rec->state : State::online;
	if (out)
		*out = std::move(rec);
	return s;
}

int Cli::status(const std::vector<std::string> &paths)
{
	int status = 0;
	begin_list();
	for (const std::string &path : paths) {
		try {
			auto h = handle_of(path);
			dm_stat_t st = session_.get().fileattr(h, DM_AT_STAT);
			std::optional<Record> rec;
			State s = S_ISREG(st.dt_mode) ? state_of(h, &rec) : State::online;
			/* Truncated within its stub: the copy goes at the next event. */
			if (s == State::offline && static_cast<std::uint64_t>(st.dt_size) <= rec->stub) {
				s = State::online;
				rec.reset();
			}
			std::uint64_t disk = static_cast<std::uint64_t>(st.dt_blocks) * 512;
			if (opts_.json) {
				json_item(first_, "\"path\": " + json_string(path) + ", \"size\": " +
							  std::to_string(st.dt_size) + ", \"disk\": " +
							  std::to_string(disk) + ", " + record_json(rec));
				continue;
			}
			std::printf("%s: %s, %s, %s on disk", path.c_str(), state_name(s),
				    human_size(static_cast<std::uint64_t>(st.dt_size)).c_str(),
				    human_size(disk).c_str());
			if (rec)
				std::printf(", stub %llu, %s sha256:%s",
					    static_cast<unsigned long long>(rec->stub), rec->store.c_str(),
					    rec->object.digest.c_str());
			std::putchar('\n');
		} catch (const std::exception &e) {
			print_error(path, e);
			status = 1;
		}
	}
	end_list();
	return status;
}

const char *type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "dir";
	if (S_ISLNK(mode))
		return "link";
	if (S_ISREG(mode))
		return nullptr;
	return "other";
}

int Cli::ls(const std::vector<std::string> &dirs)
{
	int status = 0;
	begin_list();
	for (const std::string &dir : dirs) {
		try {
			/* By name, as ls(1) lists. */
			std::map<std::string, std::string> rows;
			for (const xdsm::Entry &e : session_.get().dirattrs(handle_of(dir))) {
				const char *type = type_name(e.stat.dt_mode);
				const char *state = type ? type : state_name(state_of(e.handle));
				if (opts_.json) {
					rows[e.name] = "\"path\": " + json_string(dir + "/" + e.name) +
						       ", \"type\": " + json_string(type ? type : "file") +
						       ", \"state\": " + json_string(state) +
						       ", \"size\": " + std::to_string(e.stat.dt_size);
					continue;
				}
				char line[64];
				std::snprintf(line, sizeof(line), "%-8s %12lld  ", state,
					      static_cast<long long>(e.stat.dt_size));
				rows[e.name] = line + e.name;
			}
			if (!opts_.json && dirs.size() > 1)
				std::printf("%s:\n", dir.c_str());
			for (const auto &[name, row] : rows) {
				if (opts_.json)
					json_item(first_, row);
				else
					std::printf("%s\n", row.c_str());
			}
		} catch (const std::exception &e) {
			print_error(dir, e);
			status = 1;
		}
	}
	end_list();
	return status;
}

/* Paths of inodes @want under @root, by one walk. */
std::unordered_map<dm_ino_t, std::string> paths_of(const std::string &root,
						   std::set<dm_ino_t> want)
{
	static std::set<dm_ino_t> *wanted;
	static std::unordered_map<dm_ino_t, std::string> *found;
	std::unordered_map<dm_ino_t, std::string> out;
	wanted = &want;
	found = &out;
	nftw(root.c_str(),
	     [](const char *path, const struct stat *st, int, struct FTW *) {
		     if (wanted->erase(st->st_ino))
			     (*found)[st->st_ino] = path;
		     return wanted->empty() ? 1 : 0;
	     },
	     32, FTW_PHYS | FTW_MOUNT);
	return out;
}

// The bytes read and written in the statistics regions of each file of
// the filesystem @fsid that has a group, by inode number.
std::map<dm_ino_t, std::uint64_t> counted_io(dm_fsid_t fsid)
{
	std::map<dm_ino_t, std::uint64_t> io;
	dmstat::Monitor mon;
	for (const auto &g : mon.stats_groups()) {
		xdsm::Handle h(g.handle.data(), g.handle.size());
		if (g.fsid != fsid)
			continue;
		std::uint64_t &bytes = io[h.ino()];
		for (const auto &r : g.regions)
			bytes += r.read_bytes + r.write_bytes;
	}
	return io;
}

int Cli::scan(const std::string &mountpoint, std::uint64_t older, std::uint64_t larger,
	      bool by_io)
{
	struct Candidate {
		std::int64_t used;
		dm_ino_t ino;
		std::uint64_t size;
		std::optional<std::uint64_t> io;
	};
	std::vector<Candidate> found;
	std::int64_t now = std::time(nullptr);
	auto fs = xdsm::Handle::of_filesystem(mountpoint);
	std::map<dm_ino_t, std::uint64_t> io;
	if (by_io)
		io = counted_io(fs.fsid());
	for (const xdsm::Entry &e : session_.get().bulkall(fs, kAttribute)) {
		std::int64_t used = std::max<std::int64_t>(e.stat.dt_atime, e.stat.dt_mtime);
		if (!S_ISREG(e.stat.dt_mode) || static_cast<std::uint64_t>(e.stat.dt_size) <= larger ||
		    now - used < static_cast<std::int64_t>(older))
			continue;
		auto rec = Record::decode(std::string_view(
			reinterpret_cast<const char *>(e.attribute.data()), e.attribute.size()));
		if (rec && rec->state == State::offline)
			continue;
		auto counted = io.find(e.stat.dt_ino);
		found.push_back({used, e.stat.dt_ino, static_cast<std::uint64_t>(e.stat.dt_size),
				 counted == io.end() ? std::nullopt :
						       std::optional(counted->second)});
	}
	std::sort(found.begin(), found.end(), [by_io](const Candidate &a, const Candidate &b) {
		if (by_io && a.io.value_or(0) != b.io.value_or(0))
			return a.io.value_or(0) < b.io.value_or(0);
		return a.used < b.used || (a.used == b.used && a.ino < b.ino);
	});
	std::set<dm_ino_t> inos;
	for (const auto &c : found)
		inos.insert(c.ino);
	auto paths = paths_of(mountpoint, inos);
	begin_list();
	for (const auto &c : found) {
		auto it = paths.find(c.ino);
		std::string path = it == paths.end() ? "(inode " + std::to_string(c.ino) + ")" :
						       it->second;
		std::string counted = c.io ? std::to_string(*c.io) : by_io ? "null" : "";
		if (opts_.json)
			json_item(first_, "\"path\": " + json_string(path) + ", \"size\": " +
						  std::to_string(c.size) + ", \"unused\": " +
						  std::to_string(now - c.used) +
						  (by_io ? ", \"io_bytes\": " + counted : ""));
		else
			std::printf("%s\t%s\tunused %llds%s\n", path.c_str(),
				    human_size(c.size).c_str(), static_cast<long long>(now - c.used),
				    !by_io ? "" : c.io ? ("\tio " + human_size(*c.io)).c_str() :
							 "\tio -");
	}
	end_list();
	return 0;
}

/*
 * Whether a file of @h's inode number may be in the tree of @h's
 * filesystem as mounted: by one walk of each filesystem, made when first
 * asked.  A mount of a subtree refuses the handle of a file whose place
 * the dentry cache has forgotten, as it refuses one of a file gone; the
 * walk tells them apart.  A file of the same inode number is the same
 * file if its generation is @h's: an inode number used again since
 * names another.  A walk that could not see the whole tree (no mount of
 * the filesystem seen here, a directory it could not read, an error)
 * answers yes for every file, and so does a file found that cannot be
 * asked its generation: a copy kept is a leak, one removed may be the
 * only data.
 */
class TreeInodes {
public:
	bool may_contain(const xdsm::Handle &h)
	{
		auto [it, fresh] = walked_.try_emplace(h.fsid());
		if (fresh)
			it->second = walk(h.fsid());
		if (!it->second)
			return true;
		auto found = it->second->find(h.ino());
		if (found == it->second->end())
			return false;
		try {
			return xdsm::Handle::of_path(found->second).igen() == h.igen();
		} catch (const std::system_error &) {
			return true;
		}
	}

private:
	/* The path of each inode number (one of its links). */
	using Inodes = std::unordered_map<dm_ino_t, std::string>;

	// Every inode number of the mounts of @fsid, or nothing if a walk
	// missed part of a tree or there was no mount to walk.
	static std::optional<Inodes> walk(dm_fsid_t fsid)
	{
		static Inodes *inodes;
		static bool missed;
		Inodes out;
		bool walked = false;
		for (const std::string &where : dmapi_mountpoints()) {
			try {
				if (xdsm::Handle::of_path(where).fsid() != fsid)
					continue;
			} catch (const std::system_error &) {
				return std::nullopt;	/* perhaps that mount */
			}
			inodes = &out;
			missed = false;
			int err = nftw(where.c_str(),
				       [](const char *path, const struct stat *st, int type,
					  struct FTW *) {
					       if (type == FTW_DNR || type == FTW_NS)
						       missed = true;
					       else
						       inodes->emplace(st->st_ino, path);
					       return 0;
				       },
				       32, FTW_PHYS | FTW_MOUNT);
			if (err || missed) {
				std::fprintf(stderr, "dmhsm: %s: not walked whole: copies of refused "
					     "handles are kept\n", where.c_str());
				return std::nullopt;
			}
			walked = true;
		}
		if (!walked)
			return std::nullopt;
		return out;
	}

	std::map<dm_fsid_t, std::optional<Inodes>> walked_;
};

int Cli::gc(const std::string &mountpoint, bool dry_run)
{
	Policy p = config_.policy(mountpoint);
	Store &store = manager_.store(p.store);
	std::uint64_t refs = 0, orphans = 0, bytes = 0;
	int status = 0;
	TreeInodes tree;
	auto in_tree = [&tree](const xdsm::Handle &h) { return tree.may_contain(h); };
	for (const ObjectRef &ref : store.list()) {
		refs++;
		try {
			UserToken token(session_.get(), "dmhsm gc");
			if (!manager_.collect_orphan(ref, token.get(), store, !dry_run, in_tree))
				continue;
			orphans++;
			bytes += ref.size;
		} catch (const std::exception &e) {
			std::fprintf(stderr, "dmhsm: %s.%s: %s\n", ref.owner.c_str(), ref.digest.c_str(),
				     e.what());
			status = 1;
		}
	}
	/* What migrations that died left, once surely not in progress. */
	std::uint64_t swept = 0;
	if (!dry_run) {
		try {
			swept = store.sweep(std::chrono::hours(24 * 7));
		} catch (const std::exception &e) {
			std::fprintf(stderr, "dmhsm: sweeping %s: %s\n", store.url().c_str(), e.what());
			status = 1;
		}
	}
	if (opts_.json)
		std::printf("{\"store\": %s, \"references\": %llu, \"orphaned\": %llu, "
			    "\"bytes\": %llu, \"removed\": %s, \"swept\": %llu}\n",
			    json_string(store.url()).c_str(), static_cast<unsigned long long>(refs),
			    static_cast<unsigned long long>(orphans),
			    static_cast<unsigned long long>(bytes), dry_run ? "false" : "true",
			    static_cast<unsigned long long>(swept));
	else
		std::printf("%s: %llu copies, %llu orphaned (%s)%s%s\n", store.url().c_str(),
			    static_cast<unsigned long long>(refs),
			    static_cast<unsigned long long>(orphans), human_size(bytes).c_str(),
			    dry_run ? ", kept (--dry-run)" : orphans ? ", removed" : "",
			    swept ? (", " + std::to_string(swept) + " unfinished pieces swept").c_str() : "");
	return status;
}

struct ScanArgs {
	std::string mountpoint;
	std::uint64_t older = 0, larger = 0;
	bool by_io = false;
};

ScanArgs parse_scan(const std::vector<std::string> &args)
{
	ScanArgs a;
	for (std::size_t i = 0; i < args.size(); i++) {
		std::optional<std::uint64_t> v;
		if (args[i] == "--older-than" && i + 1 < args.size()) {
			if (!(v = parse_age(args[++i])))
				usage_error("--older-than " + args[i] + ": not an age");
			a.older = *v;
		} else if (args[i] == "--larger-than" && i + 1 < args.size()) {
			if (!(v = parse_size(args[++i])))
				usage_error("--larger-than " + args[i] + ": not a size");
			a.larger = *v;
		} else if (args[i] == "--by-io") {
			a.by_io = true;
		} else if (a.mountpoint.empty() && args[i][0] != '-') {
			a.mountpoint = args[i];
		} else {
			usage_error("scan: unexpected " + args[i]);
		}
	}
	if (a.mountpoint.empty())
		usage_error("scan: which mountpoint?");
	return a;
}

/* Usage errors are found before the session exists: none is left behind. */
int run(Options opts, const std::string &cmd, std::vector<std::string> args)
{
	bool keep = false;
	if (cmd == "migrate" && !args.empty() && args[0] == "--keep") {
		keep = true;
		args.erase(args.begin());
	}
	ScanArgs scan;
	bool dry_run = false;
	if (cmd == "gc" && !args.empty() && args[0] == "--dry-run") {
		dry_run = true;
		args.erase(args.begin());
	}
	if (cmd == "scan")
		scan = parse_scan(args);
	else if (cmd == "gc" && args.size() > 1)
		usage_error("gc: one mountpoint at most");
	else if (cmd == "ls" && args.empty())
		args.push_back(".");
	else if (cmd != "gc" && args.empty())
		usage_error(cmd + ": which files?");

	Config config = Config::load(opts.config);
	config.store_override = opts.store;
	config.stub_override = opts.stub;
	reap_command_sessions();
	Cli cli(std::move(opts), std::move(config));
	if (cmd == "scan")
		return cli.scan(scan.mountpoint, scan.older, scan.larger, scan.by_io);
	if (cmd == "gc")
		return cli.gc(args.empty() ? std::string() : args[0], dry_run);
	if (cmd == "ls")
		return cli.ls(args);
	if (cmd == "migrate")
		return cli.migrate(args, keep);
	if (cmd == "release")
		return cli.release(args);
	if (cmd == "recall")
		return cli.recall(args);
	return cli.status(args);
}

} // namespace

int main(int argc, char **argv)
{
	/* Results and per-file errors interleave as they happen. */
	std::setvbuf(stdout, nullptr, _IOLBF, 0);
	Options opts;
	static const option longs[] = {
		{"json", no_argument, nullptr, 'j'}, {"config", required_argument, nullptr, 'c'},
		{"store", required_argument, nullptr, 's'}, {"stub", required_argument, nullptr, 'S'},
		{"help", no_argument, nullptr, 'h'}, {"version", no_argument, nullptr, 'V'},
		{nullptr, 0, nullptr, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "+jc:hV", longs, nullptr)) != -1) {
		switch (c) {
		case 'j':
			opts.json = true;
			break;
		case 'c':
			opts.config = optarg;
			break;
		case 's':
			opts.store = optarg;
			break;
		case 'S':
			if (!(opts.stub = parse_size(optarg)))
				usage_error(std::string("--stub ") + optarg + ": not a size");
			break;
		case 'h':
			std::fputs(usage_text, stdout);
			return 0;
		case 'V':
			std::printf("dmhsm %s\n", DMHSM_VERSION);
			return 0;
		default:
			std::fputs("Try 'dmhsm --help'.\n", stderr);
			return 2;
		}
	}
	if (optind >= argc)
		usage_error("which command?");
	std::string cmd = argv[optind];
	static const std::set<std::string> commands = {"migrate", "release", "recall",
						       "status", "ls", "scan", "gc"};
	if (!commands.count(cmd))
		usage_error("unknown command " + cmd);
	log_open("dmhsm", false, false);
	try {
		return run(std::move(opts), cmd, std::vector<std::string>(argv + optind + 1, argv + argc));
	} catch (const std::exception &e) {
		std::fprintf(stderr, "dmhsm: %s\n", e.what());
		return 1;
	}
}
