// SPDX-License-Identifier: GPL-2.0
//
// The distributions below are tuned for collisions, not for realism: most
// calls hit a name that exists, a descriptor that is open, an offset near
// what was written, so that the interesting answers (EEXIST, ENOTEMPTY,
// ENOTDIR, ELOOP, short reads, holes) come up often.
#include "generator.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <span>
#include <utility>

namespace difftest {

namespace {

struct Weighted {
	OpKind kind;
	unsigned weight;
};

// How often each operation is drawn, in parts of the total.
constexpr Weighted op_weights[] = {
	{OpKind::open, 80},	{OpKind::close, 12},	  {OpKind::read, 30},
	{OpKind::write, 45},	{OpKind::pread, 30},	  {OpKind::pwrite, 45},
	{OpKind::readv, 12},	{OpKind::writev, 12},	  {OpKind::lseek, 25},
	{OpKind::ftruncate, 15}, {OpKind::truncate, 12},  {OpKind::fsync, 3},
	{OpKind::fdatasync, 3}, {OpKind::fallocate, 25},  {OpKind::mkdir, 20},
	{OpKind::rmdir, 15},	{OpKind::unlink, 25},	  {OpKind::rename, 30},
	{OpKind::link, 12},	{OpKind::link_fd, 4},	  {OpKind::symlink, 12},
	{OpKind::readlink, 8},	{OpKind::mknod, 8},	  {OpKind::chmod, 12},
	{OpKind::fchmod, 6},	{OpKind::chown, 10},	  {OpKind::fchown, 5},
	{OpKind::utimens, 10},	{OpKind::access, 12},	  {OpKind::getxattr, 12},
	{OpKind::setxattr, 20}, {OpKind::listxattr, 8},	  {OpKind::removexattr, 8},
	{OpKind::statfs, 3},	{OpKind::getdents, 12},	  {OpKind::stat, 15},
	{OpKind::fstat, 10},	{OpKind::statx, 6},	  {OpKind::mmap, 15},
	{OpKind::copy_range, 12}, {OpKind::splice, 10},	  {OpKind::direct_io, 8},
	{OpKind::flock, 8},	{OpKind::lock, 12},	  {OpKind::getflags, 4},
	{OpKind::setflags, 3},	{OpKind::fiemap, 5},	  {OpKind::syncfs, 1},
	{OpKind::umask, 3},	{OpKind::identity, 6},
};

constexpr auto weights_only()
{
	std::array<unsigned, std::size(op_weights)> weights{};
	for (size_t i = 0; i < std::size(op_weights); i++)
		weights[i] = op_weights[i].weight;
	return weights;
}
constexpr auto op_weight_table = weights_only();

constexpr int64_t KiB = 1024;
constexpr int64_t MiB = 1024 * KiB;
constexpr int64_t page = 4096;

// Files stay below a few MiB: the full-tree comparison reads every byte,
// sparse or not, so a write far out would make it crawl.  Far offsets are
// only read from, never set as a file position.
constexpr int64_t max_write_offset = 4 * MiB;

// Invalid names, each of which a filesystem must refuse the same way.
const std::string long_name(300, 'n');		// > NAME_MAX: ENAMETOOLONG

// Never "trusted.dmapi.*": that namespace belongs to the filesystem.
const std::string xattr_names[] = {
	"user.a",  "user.b", "user.c", "user." + std::string(200, 'l'),
	"trusted.t0", "trusted.t1",
};
const std::string bad_xattr_names[] = {
	"bogus.x",				// no such namespace: EOPNOTSUPP
	"user.",				// empty name: EINVAL
	"user." + std::string(300, 'l'),	// > XATTR_NAME_MAX: ERANGE
};

template <typename T, size_t N>
const T &pick(Prng &rng, const T (&items)[N])
{
	return rng.pick(std::span<const T>(items, N));
}

} // namespace

std::vector<std::string> make_namespace(unsigned names)
{
	static constexpr char pattern[] = "dffsdfxs";
	unsigned leaf_count = std::min(std::max(8u, (names + 3) / 4), names);
	std::vector<std::string> leaves;
	std::vector<std::string> dirs;
	unsigned counters[UCHAR_MAX + 1] = {};
	for (unsigned i = 0; i < leaf_count; i++) {
		unsigned char kind = pattern[i % (sizeof(pattern) - 1)];
		std::string leaf = static_cast<char>(kind) + std::to_string(counters[kind]++);
		leaves.push_back(leaf);
		if (kind == 'd')
			dirs.push_back(leaf);
	}

	// Parent directories breadth first: "", "d0/", "d1/", "d0/d0/", ...
	std::vector<std::string> parents{""};
	for (size_t i = 0; parents.size() * leaf_count < names; i++) {
		for (const std::string &dir : dirs)
			parents.push_back(parents[i] + dir + "/");
	}

	std::vector<std::string> paths;
	for (const std::string &parent : parents) {
		for (const std::string &leaf : leaves) {
			if (paths.size() == names)
				return paths;
			paths.push_back(parent + leaf);
		}
	}
	return paths;
}

Generator::Generator(uint64_t seed, unsigned names)
	: rng_(seed), paths_(make_namespace(names))
{
}

static std::string leaf_of(const std::string &path)
{
	size_t slash = path.rfind('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Generator::any_path()
{
	return rng_.pick(std::span<const std::string>(paths_));
}

// Usually a name of the wanted kind; sometimes any name (a file where a
// directory is expected is how ENOTDIR and EISDIR are reached); rarely a
// name the filesystem must refuse or resolve specially.
std::string Generator::path(char kind)
{
	unsigned r = rng_.below(100);
	if (r < 1)
		return ".";
	if (r < 2)
		return rng_.percent(50) ? "" : long_name;
	if (r < 5)
		return any_path() + "/";	// trailing slash: only directories
	if (r < 30)
		return any_path();
	std::vector<const std::string *> wanted;
	for (const std::string &p : paths_) {
		if (leaf_of(p)[0] == kind)
			wanted.push_back(&p);
	}
	if (wanted.empty())
		return any_path();
	return *wanted[rng_.below(wanted.size())];
}

// Relative and never with "..": resolution stays below the directory
// holding the link, so no link ever leads out of its tree, whatever renames
// do to it later (the two trees live side by side).  Built from leaves of
// the namespace only, never from path()'s special names: a leaf of "" or
// of "d0/" is empty, and "" + "/f0" would be an absolute target.
std::string Generator::symlink_target(const std::string &link)
{
	unsigned r = rng_.below(100);
	if (r < 50)
		return leaf_of(any_path());
	if (r < 70) {
		std::string dir;
		do
			dir = leaf_of(any_path());
		while (rng_.percent(70) && dir[0] != 'd');
		return dir + "/" + leaf_of(any_path());
	}
	if (r < 80)
		return leaf_of(link);			// loops: ELOOP
	if (r < 90)
		return "missing";			// dangling
	if (r < 95)
		return "";				// ENOENT
	return std::string(5000, 'p');			// > PATH_MAX: ENAMETOOLONG
}

int Generator::busy_slot()
{
	std::vector<int> busy;
	for (int i = 0; i < slot_count; i++) {
		if (slot_busy_[i])
			busy.push_back(i);
	}
	if (busy.empty() || rng_.percent(10))
		return static_cast<int>(rng_.below(slot_count));
	return busy[rng_.below(busy.size())];
}

int Generator::free_slot()
{
	std::vector<int> free;
	for (int i = 0; i < slot_count; i++) {
		if (!slot_busy_[i])
			free.push_back(i);
	}
	if (free.empty() || rng_.percent(50))
		return static_cast<int>(rng_.below(slot_count));
	return free[rng_.below(free.size())];
}

int64_t Generator::io_size()
{
	unsigned r = rng_.below(100);
	if (r < 5)
		return 0;
	if (r < 30)
		return rng_.between(1, 16);
	if (r < 65)
		return rng_.between(1, page);
	if (r < 85)
		return rng_.between(1, 64 * KiB);
	if (r < 95)
		return page * rng_.between(1, 16);
	return rng_.between(64 * KiB, 256 * KiB);
}

int64_t Generator::read_offset()
{
	unsigned r = rng_.below(100);
	if (r < 3)
		return rng_.percent(50) ? -1 : -page;		// EINVAL
	if (r < 8)
		return (int64_t{1} << 40) + rng_.between(0, page);	// far past EOF
	if (r < 10)
		return 0;
	return write_offset();
}

int64_t Generator::write_offset()
{
	unsigned r = rng_.below(100);
	if (r < 3)
		return -1;
	if (r < 10)
		return 0;
	if (r < 40)
		return rng_.between(0, 8 * KiB);
	if (r < 65)
		return rng_.between(0, 256 * KiB);
	if (r < 85)
		return page * rng_.between(0, 64);
	return rng_.between(0, max_write_offset);
}

mode_t Generator::create_mode()
{
	static constexpr mode_t modes[] = {
		0644, 0600, 0755, 0700, 0444, 0000, 0666, 0777,
		04755, 02755, 06755, 01777, 02775, 0640,
	};
	if (rng_.percent(10))
		return static_cast<mode_t>(rng_.below(07777 + 1));
	return pick(rng_, modes);
}

// Directories mostly stay open to everybody: a directory nobody but root
// may enter makes every later call below it an EACCES for the other
// identities, and chmod already makes such directories now and then.
mode_t Generator::directory_mode()
{
	static constexpr mode_t modes[] = {
		0755, 0755, 0777, 0777, 01777, 02775, 02777, 0775, 0700, 0750, 0555, 0000,
	};
	return pick(rng_, modes);
}

uint64_t Generator::data_seed()
{
	return rng_.percent(10) ? 0 : (rng_.next() | 1);
}

Op Generator::next()
{
	Op op;
	op.kind = op_weights[rng_.weighted(op_weight_table)].kind;
	fill(op);
	auto last_opened = [this](int slot) {
		return slot_busy_[slot] ? std::optional(slot_paths_[slot]) : std::nullopt;
	};
	if (op.slot >= 0 && op.kind != OpKind::open)
		op.slot_path = last_opened(op.slot);
	if (op.slot2 >= 0)
		op.slot2_path = last_opened(op.slot2);

	if (op.kind == OpKind::open) {
		slot_busy_[op.slot] = true;
		slot_paths_[op.slot] = op.path;
	} else if (op.kind == OpKind::close) {
		slot_busy_[op.slot] = false;
	}
	return op;
}

void Generator::fill(Op &op)
{
	switch (op.kind) {
	case OpKind::open: {
		static constexpr char kinds[] = "fffffffffffffdddsssx";
		op.slot = free_slot();
		op.mode = create_mode();
		unsigned special = rng_.below(100);
		if (special < 3) {
			op.path = path(pick(rng_, kinds));
			op.flags = O_PATH | (rng_.percent(30) ? O_NOFOLLOW : 0) |
				   (rng_.percent(20) ? O_DIRECTORY : 0);
			break;
		}
		if (special < 7) {
			static constexpr int access[] = {O_RDWR, O_RDWR, O_WRONLY, O_RDONLY};
			op.path = path('d');
			op.flags = O_TMPFILE | pick(rng_, access) | (rng_.percent(25) ? O_EXCL : 0);
			break;
		}
		static constexpr int access[] = {O_RDONLY, O_RDONLY, O_WRONLY, O_RDWR, O_RDWR,
						 O_RDWR,   O_RDWR,   O_RDWR,   O_RDWR, O_RDWR};
		op.path = path(pick(rng_, kinds));
		int flags = pick(rng_, access);
		if (rng_.percent(75)) {
			flags |= O_CREAT;
			if (rng_.percent(25))
				flags |= O_EXCL;
		}
		if (rng_.percent(15))
			flags |= O_TRUNC;
		if (rng_.percent(10))
			flags |= O_APPEND;
		if (rng_.percent(5))
			flags |= O_DIRECTORY;
		if (rng_.percent(10))
			flags |= O_NOFOLLOW;
		if (rng_.percent(6))
			flags |= O_DIRECT;
		if (rng_.percent(2))
			flags |= O_DSYNC;
		if (rng_.percent(1))
			flags |= O_SYNC;
		if (rng_.percent(3))
			flags |= O_NOATIME;
		if (rng_.percent(20))
			flags |= O_CLOEXEC;
		// Always: opening a FIFO must not wait for a peer, and writing to
		// a full one must not wait for a reader.  On regular files and
		// directories O_NONBLOCK changes nothing.
		op.flags = flags | O_NONBLOCK;
		break;
	}
	case OpKind::close:
	case OpKind::fsync:
	case OpKind::fdatasync:
	case OpKind::fstat:
	case OpKind::getflags:
	case OpKind::fiemap:
		op.slot = busy_slot();
		break;
	case OpKind::read:
		op.slot = busy_slot();
		op.length = io_size();
		break;
	case OpKind::write:
		op.slot = busy_slot();
		op.length = io_size();
		op.data_seed = data_seed();
		break;
	case OpKind::pread:
		op.slot = busy_slot();
		op.offset = read_offset();
		op.length = io_size();
		break;
	case OpKind::pwrite:
		op.slot = busy_slot();
		op.offset = write_offset();
		op.length = io_size();
		op.data_seed = data_seed();
		break;
	case OpKind::readv:
	case OpKind::writev: {
		op.slot = busy_slot();
		op.explicit_offset = rng_.percent(70);
		op.offset = op.kind == OpKind::readv ? read_offset() : write_offset();
		// -1 means "at the file position" to preadv2() and pwritev2():
		// an invalid offset must be another negative number.
		if (!op.explicit_offset)
			op.offset = -1;
		else if (op.offset < 0)
			op.offset = -2;
		size_t segments = rng_.between(1, 4);
		for (size_t i = 0; i < segments; i++)
			op.iov.push_back(io_size() / 4);
		if (op.kind == OpKind::writev) {
			op.data_seed = data_seed();
			unsigned r = rng_.below(10);
			op.flags = r == 0 ? RWF_DSYNC : r == 1 ? RWF_APPEND : 0;
		}
		break;
	}
	case OpKind::lseek: {
		static constexpr int whences[] = {SEEK_SET, SEEK_SET, SEEK_CUR, SEEK_END,
						  SEEK_DATA, SEEK_DATA, SEEK_HOLE, SEEK_HOLE};
		op.slot = busy_slot();
		op.flags = pick(rng_, whences);
		// SEEK_SET far out would let the next write() make a huge file.
		op.offset = (op.flags == SEEK_CUR || op.flags == SEEK_END)
				    ? rng_.between(-8 * KiB, 8 * KiB)
			    : op.flags == SEEK_SET ? write_offset()
						   : read_offset();
		break;
	}
	case OpKind::ftruncate:
	case OpKind::truncate: {
		if (op.kind == OpKind::ftruncate)
			op.slot = busy_slot();
		else
			op.path = path('f');
		unsigned r = rng_.below(100);
		op.length = r < 5	? -1
			    : r < 15	? 0
			    : r < 30	? page * rng_.between(1, 64)
			    : r < 75	? rng_.between(0, 64 * KiB)
					: rng_.between(0, max_write_offset);
		break;
	}
	case OpKind::fallocate: {
		// PUNCH_HOLE without KEEP_SIZE is invalid: EOPNOTSUPP.
		static constexpr int modes[] = {
			0, 0, 0, 0, 0, 0,
			FALLOC_FL_KEEP_SIZE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_KEEP_SIZE,
			FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			FALLOC_FL_ZERO_RANGE, FALLOC_FL_ZERO_RANGE, FALLOC_FL_ZERO_RANGE,
			FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
			FALLOC_FL_COLLAPSE_RANGE,
			FALLOC_FL_INSERT_RANGE,
			FALLOC_FL_PUNCH_HOLE,
		};
		op.slot = busy_slot();
		op.flags = pick(rng_, modes);
		op.offset = rng_.percent(50) ? page * rng_.between(0, 256) : write_offset();
		unsigned r = rng_.below(100);
		op.length = r < 3 ? -1 : r < 6 ? 0 : r < 55 ? page * rng_.between(1, 256)
							 : rng_.between(1, MiB);
		break;
	}
	case OpKind::mkdir:
		op.path = path('d');
		op.mode = directory_mode();
		break;
	case OpKind::rmdir:
		op.path = path('d');
		break;
	case OpKind::unlink: {
		static constexpr char kinds[] = "ffffssxd";
		op.path = path(pick(rng_, kinds));
		break;
	}
	case OpKind::rename: {
		static constexpr char kinds[] = "ffffddsx";
		static constexpr int flags[] = {0, 0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE};
		op.path = path(pick(rng_, kinds));
		op.path2 = path(pick(rng_, kinds));
		op.flags = pick(rng_, flags);
		break;
	}
	case OpKind::link:
		op.path = path(rng_.percent(80) ? 'f' : 's');
		op.path2 = path('f');
		op.flags = rng_.percent(20) ? AT_SYMLINK_FOLLOW : 0;
		break;
	case OpKind::link_fd:
		op.slot = busy_slot();
		op.path2 = path('f');
		break;
	case OpKind::symlink:
		op.path = path('s');
		op.path2 = symlink_target(op.path);
		break;
	case OpKind::readlink: {
		static constexpr int sizes[] = {1, 4, 64, 4096, 8192};
		op.path = path('s');
		op.subflags = pick(rng_, sizes);
		break;
	}
	case OpKind::mknod: {
		static constexpr mode_t types[] = {S_IFIFO | 0644, S_IFIFO | 0600, S_IFIFO | 0666,
						   S_IFCHR | 0666, S_IFCHR | 0600, S_IFCHR | 0644,
						   S_IFSOCK | 0755, S_IFREG | 0600, S_IFIFO | 04755,
						   S_IFCHR | 02666};
		op.path = path('x');
		op.mode = pick(rng_, types);
		break;
	}
	case OpKind::chmod:
		op.path = any_path();
		op.mode = create_mode();
		op.flags = rng_.percent(15) ? AT_SYMLINK_NOFOLLOW : 0;
		break;
	case OpKind::fchmod:
		op.slot = busy_slot();
		op.mode = create_mode();
		break;
	case OpKind::chown:
	case OpKind::fchown: {
		static constexpr uid_t ids[] = {static_cast<uid_t>(-1), 0, 1000, 65534};
		if (op.kind == OpKind::chown) {
			op.path = any_path();
			op.flags = rng_.percent(30) ? AT_SYMLINK_NOFOLLOW : 0;
		} else {
			op.slot = busy_slot();
		}
		op.uid = pick(rng_, ids);
		op.gid = pick(rng_, ids);
		break;
	}
	case OpKind::utimens:
		op.path = any_path();
		for (timespec &t : op.times) {
			unsigned r = rng_.below(10);
			if (r < 2)
				t = {0, UTIME_NOW};
			else if (r < 4)
				t = {0, UTIME_OMIT};
			else
				t = {static_cast<time_t>(rng_.between(0, 2000000000)),
				     static_cast<long>(rng_.below(1000000000))};
		}
		op.flags = rng_.percent(20) ? AT_SYMLINK_NOFOLLOW : 0;
		break;
	case OpKind::access: {
		static constexpr mode_t modes[] = {F_OK, R_OK, W_OK, X_OK, R_OK | W_OK,
						   R_OK | W_OK | X_OK};
		op.path = any_path();
		op.mode = pick(rng_, modes);
		op.flags = (rng_.percent(20) ? AT_EACCESS : 0) |
			   (rng_.percent(10) ? AT_SYMLINK_NOFOLLOW : 0);
		break;
	}
	case OpKind::getxattr:
	case OpKind::setxattr:
	case OpKind::listxattr:
	case OpKind::removexattr: {
		unsigned r = rng_.below(4);
		op.target = r < 2   ? XattrTarget::path
			    : r < 3 ? XattrTarget::lpath
				    : XattrTarget::fd;
		if (op.target == XattrTarget::fd)
			op.slot = busy_slot();
		else
			op.path = any_path();
		op.name = rng_.percent(4) ? pick(rng_, bad_xattr_names) : pick(rng_, xattr_names);
		if (op.kind == OpKind::getxattr) {
			static constexpr int64_t sizes[] = {0, 1, 16, 1024, 65536, 65536};
			op.length = pick(rng_, sizes);
		} else if (op.kind == OpKind::listxattr) {
			static constexpr int64_t sizes[] = {0, 8, 64, 65536, 65536};
			op.length = pick(rng_, sizes);
		} else if (op.kind == OpKind::setxattr) {
			unsigned v = rng_.below(100);
			op.length = v < 10   ? 0
				    : v < 70 ? rng_.between(1, 64)
				    : v < 80 ? 255
				    : v < 90 ? 1000
				    : v < 97 ? 3000
					     : 70000; // > XATTR_SIZE_MAX: E2BIG
			op.data_seed = rng_.next() | 1;
			unsigned f = rng_.below(5);
			op.subflags = f == 0 ? XATTR_CREATE : f == 1 ? XATTR_REPLACE : 0;
		}
		break;
	}
	case OpKind::statfs:
		op.path = any_path();
		break;
	case OpKind::getdents: {
		static constexpr int64_t sizes[] = {16, 64, 256, 32768, 32768, 32768};
		if (rng_.percent(30))
			op.slot = busy_slot();
		else
			op.path = path('d');
		op.length = pick(rng_, sizes);
		break;
	}
	case OpKind::stat:
	case OpKind::statx:
		op.path = any_path();
		op.flags = rng_.percent(50) ? AT_SYMLINK_NOFOLLOW : 0;
		break;
	case OpKind::mmap:
		op.slot = busy_slot();
		op.flags = rng_.percent(50) ? PROT_WRITE : 0;
		op.offset = rng_.below(65536);		// where in the file, in 1/65536
		op.length = rng_.between(1, 64 * KiB);
		op.data_seed = data_seed();
		break;
	case OpKind::copy_range:
	case OpKind::splice:
		op.slot = busy_slot();
		op.slot2 = busy_slot();
		op.explicit_offset = rng_.percent(80);
		op.explicit_offset2 = rng_.percent(80);
		op.offset = op.explicit_offset ? read_offset() : 0;
		op.offset2 = op.explicit_offset2 ? write_offset() : 0;
		op.length = op.kind == OpKind::splice ? rng_.between(0, 64 * KiB)
						      : rng_.between(0, 256 * KiB);
		break;
	case OpKind::direct_io:
		op.path = path('f');
		op.flags = rng_.percent(50);		// 1: write
		op.offset = page * rng_.between(0, 256);
		op.length = page * rng_.between(1, 16);
		if (rng_.percent(10))
			op.offset += rng_.percent(50) ? 1 : 511;	// misaligned: EINVAL
		op.data_seed = data_seed();
		break;
	case OpKind::flock: {
		static constexpr int operations[] = {LOCK_SH, LOCK_EX, LOCK_EX, LOCK_UN};
		op.slot = busy_slot();
		op.flags = pick(rng_, operations) | LOCK_NB;	// never wait
		break;
	}
	case OpKind::lock: {
		static constexpr int commands[] = {F_SETLK, F_SETLK, F_GETLK,
						   F_OFD_SETLK, F_OFD_SETLK, F_OFD_GETLK};
		static constexpr int types[] = {F_RDLCK, F_WRLCK, F_UNLCK};
		op.slot = busy_slot();
		op.flags = pick(rng_, commands);
		op.subflags = pick(rng_, types);
		op.offset = rng_.between(0, 8 * KiB);
		op.length = rng_.percent(20) ? 0 : rng_.between(1, 4 * KiB);
		break;
	}
	case OpKind::setflags:
		op.slot = busy_slot();
		op.flags = rng_.percent(50) ? FS_NODUMP_FL : FS_NOATIME_FL;
		break;
	case OpKind::syncfs:
		break;
	case OpKind::umask: {
		static constexpr mode_t masks[] = {0, 022, 022, 077, 027, 002};
		op.mode = pick(rng_, masks);
		break;
	}
	case OpKind::identity: {
		// Mostly root: the others are refused most things in a tree
		// root made, so a run spends only a quarter of its time as them.
		static constexpr std::pair<uid_t, gid_t> ids[] = {
			{0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0},
			{1000, 1000}, {65534, 65534}, {1000, 0},
		};
		auto [uid, gid] = pick(rng_, ids);
		op.uid = uid;
		op.gid = gid;
		break;
	}
	}
}

} // namespace difftest
