// SPDX-License-Identifier: GPL-2.0
//
// Every operation as system calls on one tree.  The two trees run the very
// same code with the same arguments; only the root descriptor differs.
// After a call that changes metadata the paths it touched are stat()ed, so
// that a wrong link count or mode is caught at the call that made it and
// not at the next full comparison.
#include "tree.h"
#include "prng.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace difftest {

namespace {

constexpr size_t xattr_buffer_size = 65536;

int64_t page_size()
{
	static const int64_t size = ::sysconf(_SC_PAGESIZE);
	return size;
}

std::string parent_of(std::string path)
{
	while (path.size() > 1 && path.back() == '/')
		path.pop_back();
	size_t slash = path.rfind('/');
	if (slash == std::string::npos || slash == 0)
		return ".";
	return path.substr(0, slash);
}

char type_letter(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return 'f';
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFIFO: return 'p';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFSOCK: return 's';
	}
	return '?';
}

char dtype_letter(unsigned char type)
{
	switch (type) {
	case DT_REG: return 'f';
	case DT_DIR: return 'd';
	case DT_LNK: return 'l';
	case DT_FIFO: return 'p';
	case DT_CHR: return 'c';
	case DT_BLK: return 'b';
	case DT_SOCK: return 's';
	}
	return '?';
}

Observation fstat_fd(const char *what, int fd)
{
	struct stat st;
	Observation o = observe(what, [&] { return ::fstat(fd, &st); });
	if (!o.failed())
		o.data = stat_text(st);
	return o;
}

std::string join(const std::vector<std::string> &items)
{
	std::string out;
	for (const std::string &item : items) {
		if (!out.empty())
			out += ' ';
		out += item;
	}
	return out;
}

std::string time_text(const timespec &t)
{
	char text[48];
	std::snprintf(text, sizeof(text), "%lld.%09ld", static_cast<long long>(t.tv_sec),
		      t.tv_nsec);
	return text;
}

// The observation of a call that returned bytes.
void attach_bytes(Observation &o, const char *buffer, int64_t base = 0)
{
	if (o.ret > 0)
		o.data.assign(buffer, static_cast<size_t>(o.ret));
	o.bytes = true;
	o.base = base;
}

// Direct I/O that is misaligned, but not at its first byte, may be carried
// out in part: recent kernels (6.18 here) check the alignment per extent,
// so a call whose length is not a multiple of the logical block size
// reads or writes the extents before its misaligned end, then fails with
// EINVAL.  Which extents a file has depends on allocation, so such a call
// may change one tree and not the other (seen on ext4: a failed write's
// data in one tree only).  Calls aligned to 4096 in position and every
// length, and calls misaligned at their first byte, behave the same on
// every kernel, and are the only ones made.
// position: where the call reads or writes, none for the file position;
// an appending write goes to the end whatever it says.
bool direct_io_depends_on_layout(int fd, bool write, std::optional<int64_t> position,
				 const std::vector<int64_t> &lengths, bool append = false)
{
	int flags = ::fcntl(fd, F_GETFL);
	if (flags < 0 || !(flags & O_DIRECT))
		return false;
	if (write && (append || (flags & O_APPEND))) {
		struct stat st;
		if (::fstat(fd, &st) != 0)
			return false;
		position = st.st_size;
	} else if (!position) {
		position = ::lseek(fd, 0, SEEK_CUR);
	}
	if (*position < 0 || *position % 512 != 0)
		return false;		// fails before any I/O
	if (*position % 4096 != 0)
		return true;
	return std::any_of(lengths.begin(), lengths.end(), [](int64_t n) { return n % 4096 != 0; });
}

Observation not_made()
{
	return number("not made: O_DIRECT I/O whose outcome depends on the extents", 0);
}

} // namespace

std::string stat_text(const struct stat &st)
{
	char text[160];
	int n = std::snprintf(
		text, sizeof(text), "type=%c mode=%04o nlink=%llu size=%lld uid=%u gid=%u",
		type_letter(st.st_mode), static_cast<unsigned>(st.st_mode & 07777),
		static_cast<unsigned long long>(st.st_nlink), static_cast<long long>(st.st_size),
		static_cast<unsigned>(st.st_uid), static_cast<unsigned>(st.st_gid));
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		std::snprintf(text + n, sizeof(text) - n, " rdev=%u:%u", major(st.st_rdev),
			      minor(st.st_rdev));
	return text;
}

bool reserved_xattr(std::string_view name)
{
	return name.starts_with("trusted.dmapi.");
}

std::vector<std::string> xattr_names(const char *list, size_t size, size_t *reserved_bytes)
{
	std::vector<std::string> names;
	size_t reserved = 0;
	for (size_t at = 0; at < size;) {
		size_t length = strnlen(list + at, size - at);
		std::string name(list + at, length);
		if (reserved_xattr(name))
			reserved += length + 1;
		else
			names.push_back(std::move(name));
		at += length + 1;
	}
	std::sort(names.begin(), names.end());
	if (reserved_bytes)
		*reserved_bytes = reserved;
	return names;
}

void fill_pattern(char *buffer, size_t size, uint64_t seed)
{
	if (seed == 0) {
		std::memset(buffer, 0, size);
		return;
	}
	SplitMix mix(seed);
	for (size_t at = 0; at < size; at += 8) {
		uint64_t word = mix.next();
		std::memcpy(buffer + at, &word, std::min<size_t>(8, size - at));
	}
}

void parse_dirents(const char *buffer, size_t size, std::vector<std::string> &entries,
		   bool skip_dots)
{
	for (size_t at = 0; at < size;) {
		const char *entry = buffer + at;
		unsigned short reclen;
		unsigned char type;
		std::memcpy(&reclen, entry + offsetof(struct dirent64, d_reclen), sizeof(reclen));
		std::memcpy(&type, entry + offsetof(struct dirent64, d_type), sizeof(type));
		std::string name(entry + offsetof(struct dirent64, d_name));
		if (reclen == 0)
			break;
		at += reclen;
		if (skip_dots && (name == "." || name == ".."))
			continue;
		entries.push_back(name + ":" + dtype_letter(type));
	}
}

Tree::Tree(const std::string &directory)
{
	root_.reset(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!root_.valid())
		throw SetupError(directory + ": " + std::strerror(errno));
	std::unique_ptr<char, FreeDeleter> real(::realpath(directory.c_str(), nullptr));
	if (!real)
		throw SetupError(directory + ": " + std::strerror(errno));
	path_ = real.get();
}

int Tree::slot(int index) const
{
	if (index < 0 || index >= slot_count)
		return -1;
	return slots_[index].get();
}

// The path-only calls (truncate, xattrs, statfs) get the tree's absolute
// name; links never lead out of a tree, so the result is the same.
std::string Tree::absolute(const std::string &relative) const
{
	return path_ + "/" + relative;
}

Observation Tree::stat_path(const char *what, const std::string &relative) const
{
	struct stat st;
	Observation o = observe(what, [&] {
		return ::fstatat(root(), relative.c_str(), &st, AT_SYMLINK_NOFOLLOW);
	});
	if (!o.failed())
		o.data = stat_text(st);
	return o;
}

std::vector<Observation> Tree::close_all()
{
	std::vector<Observation> seen;
	for (Fd &fd : slots_) {
		if (fd.valid())
			seen.push_back(observe("close", [&] { return fd.reset(); }));
	}
	return seen;
}

std::vector<Observation> Tree::apply(const Op &op)
{
	std::vector<Observation> seen;
	const int fd = slot(op.slot);
	const int fd2 = slot(op.slot2);
	const char *at = op.path.c_str();
	const char *at2 = op.path2.c_str();
	auto add = [&seen](Observation o) -> Observation & {
		seen.push_back(std::move(o));
		return seen.back();
	};

	switch (op.kind) {
	case OpKind::open: {
		// A slot changes only when the open succeeds: failed opens are
		// common, and an emptied slot would make the calls on it fail
		// with EBADF until the next successful open.
		int opened = -1;
		add(observe("openat", [&] {
			opened = ::openat(root(), at, op.flags, op.mode);
			return opened < 0 ? -1 : 0;	// descriptor numbers may differ
		}));
		if (opened < 0)
			break;
		if (slots_[op.slot].valid())
			add(observe("close of the slot's previous descriptor",
				    [&] { return slots_[op.slot].reset(); }));
		slots_[op.slot].reset(opened);
		add(fstat_fd("fstat of the new descriptor", opened));
		if (op.flags & (O_CREAT | O_TMPFILE))
			add(stat_path("stat of the parent", parent_of(op.path)));
		break;
	}
	case OpKind::close:
		if (slots_[op.slot].valid())
			add(observe("close", [&] { return slots_[op.slot].reset(); }));
		else
			add(observe("close", [&] { return ::close(-1); }));
		break;
	case OpKind::read:
	case OpKind::pread: {
		if (direct_io_depends_on_layout(fd, false,
						op.kind == OpKind::pread ? std::optional(op.offset)
									 : std::nullopt,
						{op.length})) {
			add(not_made());
			break;
		}
		AlignedBuffer buffer = aligned_buffer(op.length);
		int64_t base = op.kind == OpKind::pread ? op.offset : ::lseek(fd, 0, SEEK_CUR);
		Observation &o = add(observe(op.kind == OpKind::read ? "read" : "pread", [&] {
			return op.kind == OpKind::read
				       ? ::read(fd, buffer.get(), op.length)
				       : ::pread(fd, buffer.get(), op.length, op.offset);
		}));
		attach_bytes(o, buffer.get(), base);
		break;
	}
	case OpKind::write:
	case OpKind::pwrite: {
		if (direct_io_depends_on_layout(fd, true,
						op.kind == OpKind::pwrite ? std::optional(op.offset)
									  : std::nullopt,
						{op.length})) {
			add(not_made());
			break;
		}
		AlignedBuffer buffer = aligned_buffer(op.length);
		fill_pattern(buffer.get(), op.length, op.data_seed);
		add(observe(op.kind == OpKind::write ? "write" : "pwrite", [&] {
			return op.kind == OpKind::write
				       ? ::write(fd, buffer.get(), op.length)
				       : ::pwrite(fd, buffer.get(), op.length, op.offset);
		}));
		add(fstat_fd("fstat after the write", fd));
		break;
	}
	case OpKind::readv:
	case OpKind::writev: {
		std::optional<int64_t> position;
		if (op.explicit_offset)
			position = op.offset;
		const bool write = op.kind == OpKind::writev;
		if (direct_io_depends_on_layout(fd, write, position, op.iov,
						write && (op.flags & RWF_APPEND))) {
			add(not_made());
			break;
		}
		// One aligned buffer per segment, so that O_DIRECT can accept
		// the vector when the lengths are aligned too.
		std::vector<AlignedBuffer> buffers;
		std::vector<iovec> iov;
		int64_t total = 0;
		for (int64_t length : op.iov) {
			buffers.push_back(aligned_buffer(length));
			iov.push_back({buffers.back().get(), static_cast<size_t>(length)});
			total += length;
		}
		if (op.kind == OpKind::writev) {
			std::vector<char> data(total);
			fill_pattern(data.data(), data.size(), op.data_seed);
			for (size_t i = 0, at = 0; i < iov.size(); at += iov[i].iov_len, i++)
				std::memcpy(iov[i].iov_base, data.data() + at, iov[i].iov_len);
			add(observe("pwritev2", [&] {
				return ::pwritev2(fd, iov.data(), iov.size(), op.offset, op.flags);
			}));
			add(fstat_fd("fstat after the write", fd));
			break;
		}
		int64_t base = op.explicit_offset ? op.offset : ::lseek(fd, 0, SEEK_CUR);
		Observation &o = add(observe("preadv2", [&] {
			return ::preadv2(fd, iov.data(), iov.size(), op.offset, 0);
		}));
		for (size_t i = 0, left = o.ret > 0 ? o.ret : 0; i < iov.size() && left > 0; i++) {
			size_t n = std::min(left, iov[i].iov_len);
			o.data.append(static_cast<const char *>(iov[i].iov_base), n);
			left -= n;
		}
		o.bytes = true;
		o.base = base;
		break;
	}
	case OpKind::lseek: {
		Observation &o =
			add(observe("lseek", [&] { return ::lseek(fd, op.offset, op.flags); }));
		if (op.flags == SEEK_DATA || op.flags == SEEK_HOLE)
			o.rule = Rule::seek_layout;
		break;
	}
	case OpKind::ftruncate:
		add(observe("ftruncate", [&] { return ::ftruncate(fd, op.length); }));
		add(fstat_fd("fstat after ftruncate", fd));
		break;
	case OpKind::truncate:
		add(observe("truncate",
			    [&] { return ::truncate(absolute(op.path).c_str(), op.length); }));
		add(stat_path("stat after truncate", op.path));
		break;
	case OpKind::fsync:
		add(observe("fsync", [&] { return ::fsync(fd); }));
		break;
	case OpKind::fdatasync:
		add(observe("fdatasync", [&] { return ::fdatasync(fd); }));
		break;
	case OpKind::fallocate:
		add(observe("fallocate",
			    [&] { return ::fallocate(fd, op.flags, op.offset, op.length); }));
		add(fstat_fd("fstat after fallocate", fd));
		break;
	case OpKind::mkdir:
		add(observe("mkdirat", [&] { return ::mkdirat(root(), at, op.mode); }));
		add(stat_path("stat of the directory", op.path));
		add(stat_path("stat of the parent", parent_of(op.path)));
		break;
	case OpKind::rmdir:
	case OpKind::unlink:
		add(observe("unlinkat", [&] {
			return ::unlinkat(root(), at, op.kind == OpKind::rmdir ? AT_REMOVEDIR : 0);
		}));
		add(stat_path("stat of the name", op.path));
		add(stat_path("stat of the parent", parent_of(op.path)));
		break;
	case OpKind::rename:
		add(observe("renameat2",
			    [&] { return ::renameat2(root(), at, root(), at2, op.flags); }));
		add(stat_path("stat of the old name", op.path));
		add(stat_path("stat of the new name", op.path2));
		add(stat_path("stat of the old parent", parent_of(op.path)));
		add(stat_path("stat of the new parent", parent_of(op.path2)));
		break;
	case OpKind::link:
		add(observe("linkat", [&] { return ::linkat(root(), at, root(), at2, op.flags); }));
		add(stat_path("stat of the old name", op.path));
		add(stat_path("stat of the new name", op.path2));
		break;
	case OpKind::link_fd:
		add(observe("linkat",
			    [&] { return ::linkat(fd, "", root(), at2, AT_EMPTY_PATH); }));
		add(stat_path("stat of the new name", op.path2));
		add(fstat_fd("fstat of the descriptor", fd));
		break;
	case OpKind::symlink:
		// The trees sit side by side: a link that could lead out of one
		// would let both share objects (or reach the host's).
		if (op.path2.starts_with('/') || op.path2.find("..") != std::string::npos)
			throw SetupError("refusing the symbolic link target \"" + op.path2 + "\"");
		add(observe("symlinkat", [&] { return ::symlinkat(at2, root(), at); }));
		add(stat_path("stat of the link", op.path));
		break;
	case OpKind::readlink: {
		std::vector<char> buffer(op.subflags);
		Observation &o = add(observe("readlinkat", [&] {
			return ::readlinkat(root(), at, buffer.data(), buffer.size());
		}));
		attach_bytes(o, buffer.data());
		break;
	}
	case OpKind::mknod:
		add(observe("mknodat", [&] {
			return ::mknodat(root(), at, op.mode, S_ISCHR(op.mode) ? makedev(1, 3) : 0);
		}));
		add(stat_path("stat of the node", op.path));
		break;
	case OpKind::chmod:
		add(observe("fchmodat", [&] { return ::fchmodat(root(), at, op.mode, op.flags); }));
		add(stat_path("stat after chmod", op.path));
		break;
	case OpKind::fchmod:
		add(observe("fchmod", [&] { return ::fchmod(fd, op.mode); }));
		add(fstat_fd("fstat after fchmod", fd));
		break;
	case OpKind::chown:
		add(observe("fchownat",
			    [&] { return ::fchownat(root(), at, op.uid, op.gid, op.flags); }));
		add(stat_path("stat after chown", op.path));
		break;
	case OpKind::fchown:
		add(observe("fchown", [&] { return ::fchown(fd, op.uid, op.gid); }));
		add(fstat_fd("fstat after fchown", fd));
		break;
	case OpKind::utimens: {
		Observation &o = add(observe("utimensat", [&] {
			return ::utimensat(root(), at, op.times, op.flags);
		}));
		// Times given explicitly must read back exactly; UTIME_NOW
		// depends on the clock, and the other times on when they ran.
		bool explicit_atime =
			op.times[0].tv_nsec != UTIME_NOW && op.times[0].tv_nsec != UTIME_OMIT;
		bool explicit_mtime =
			op.times[1].tv_nsec != UTIME_NOW && op.times[1].tv_nsec != UTIME_OMIT;
		if (o.failed() || (!explicit_atime && !explicit_mtime))
			break;
		struct stat st;
		Observation &t = add(observe("times after utimensat", [&] {
			return ::fstatat(root(), at, &st, op.flags & AT_SYMLINK_NOFOLLOW);
		}));
		if (t.failed())
			break;
		if (explicit_atime)
			t.data += "atime=" + time_text(st.st_atim) + " ";
		if (explicit_mtime)
			t.data += "mtime=" + time_text(st.st_mtim);
		break;
	}
	case OpKind::access:
		add(observe("faccessat",
			    [&] { return ::faccessat(root(), at, op.mode, op.flags); }));
		break;
	case OpKind::getxattr: {
		std::vector<char> buffer(std::max<int64_t>(op.length, 1));
		const std::string where = absolute(op.path);
		const char *name = op.name.c_str();
		size_t size = op.length;
		void *value = size ? buffer.data() : nullptr;
		Observation &o = add(observe("getxattr", [&] {
			switch (op.target) {
			case XattrTarget::path: return ::getxattr(where.c_str(), name, value, size);
			case XattrTarget::lpath:
				return ::lgetxattr(where.c_str(), name, value, size);
			case XattrTarget::fd: break;
			}
			return ::fgetxattr(fd, name, value, size);
		}));
		if (size)
			attach_bytes(o, buffer.data());
		break;
	}
	case OpKind::setxattr: {
		std::vector<char> value(op.length);
		fill_pattern(value.data(), value.size(), op.data_seed);
		const std::string where = absolute(op.path);
		const char *name = op.name.c_str();
		add(observe("setxattr", [&] {
			switch (op.target) {
			case XattrTarget::path:
				return ::setxattr(where.c_str(), name, value.data(), value.size(),
						  op.subflags);
			case XattrTarget::lpath:
				return ::lsetxattr(where.c_str(), name, value.data(), value.size(),
						   op.subflags);
			case XattrTarget::fd: break;
			}
			return ::fsetxattr(fd, name, value.data(), value.size(), op.subflags);
		}));
		break;
	}
	case OpKind::listxattr: {
		// Names of the filesystem's own namespace are left out of the
		// list and of its size: a dmapi mount may keep state there that
		// the plain tree does not have.
		const std::string where = absolute(op.path);
		auto list = [&](char *buffer, size_t size) -> ssize_t {
			switch (op.target) {
			case XattrTarget::path: return ::listxattr(where.c_str(), buffer, size);
			case XattrTarget::lpath: return ::llistxattr(where.c_str(), buffer, size);
			case XattrTarget::fd: break;
			}
			return ::flistxattr(fd, buffer, size);
		};
		std::vector<char> buffer(std::max<int64_t>(op.length, 1));
		Observation &o = add(observe("listxattr", [&] {
			return list(op.length ? buffer.data() : nullptr, op.length);
		}));
		if (o.failed())
			break;
		size_t reserved = 0;
		if (op.length) {
			o.data = join(xattr_names(buffer.data(), o.ret, &reserved));
		} else {
			std::vector<char> full(xattr_buffer_size);
			ssize_t n = list(full.data(), full.size());
			if (n > 0)
				xattr_names(full.data(), n, &reserved);
		}
		o.ret -= static_cast<int64_t>(reserved);
		break;
	}
	case OpKind::removexattr: {
		const std::string where = absolute(op.path);
		const char *name = op.name.c_str();
		add(observe("removexattr", [&] {
			switch (op.target) {
			case XattrTarget::path: return ::removexattr(where.c_str(), name);
			case XattrTarget::lpath: return ::lremovexattr(where.c_str(), name);
			case XattrTarget::fd: break;
			}
			return ::fremovexattr(fd, name);
		}));
		break;
	}
	case OpKind::statfs: {
		// Only what the lower filesystem decides and the stack must
		// pass on: f_type is the stack's own magic, and the counts of
		// free blocks and inodes move with the other tree.
		struct statfs sfs;
		Observation &o = add(observe("statfs", [&] {
			return ::statfs(absolute(op.path).c_str(), &sfs);
		}));
		if (!o.failed())
			o.data = "bsize=" + std::to_string(sfs.f_bsize) +
				 " namelen=" + std::to_string(sfs.f_namelen);
		break;
	}
	case OpKind::getdents: {
		std::vector<char> buffer(op.length);
		std::vector<std::string> entries;
		if (op.slot >= 0) {
			// From the descriptor's position: the stack must hand the
			// lower directory's order and positions through.
			Observation &o = add(observe("getdents64", [&] {
				return ::getdents64(fd, buffer.data(), buffer.size());
			}));
			if (o.ret > 0)
				parse_dirents(buffer.data(), o.ret, entries, false);
			std::sort(entries.begin(), entries.end());
			o.data = join(entries);
			break;
		}
		Fd dir;
		add(observe("open of the directory", [&] {
			dir.reset(::openat(root(), at,
					   O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC));
			return dir.valid() ? 0 : -1;
		}));
		if (!dir.valid())
			break;
		Observation &o = add(observe("getdents64 to the end", [&] {
			for (;;) {
				ssize_t n = ::getdents64(dir.get(), buffer.data(), buffer.size());
				if (n <= 0)
					return n;
				parse_dirents(buffer.data(), n, entries, false);
			}
		}));
		std::sort(entries.begin(), entries.end());
		o.data = join(entries);
		break;
	}
	case OpKind::stat:
		if (op.flags & AT_SYMLINK_NOFOLLOW) {
			add(stat_path("fstatat", op.path));
		} else {
			struct stat st;
			Observation &o = add(observe("fstatat", [&] {
				return ::fstatat(root(), at, &st, 0);
			}));
			if (!o.failed())
				o.data = stat_text(st);
		}
		break;
	case OpKind::fstat:
		add(fstat_fd("fstat", fd));
		break;
	case OpKind::statx: {
		constexpr unsigned wanted = STATX_BASIC_STATS | STATX_BTIME;
		struct statx stx;
		Observation &o = add(observe("statx", [&] {
			return ::statx(root(), at, op.flags, wanted, &stx);
		}));
		if (o.failed())
			break;
		char text[200];
		std::snprintf(
			text, sizeof(text),
			"mask=%#x attributes=%#llx/%#llx mode=%#o nlink=%u uid=%u gid=%u size=%llu",
			stx.stx_mask & wanted,
			static_cast<unsigned long long>(stx.stx_attributes &
							stx.stx_attributes_mask),
			static_cast<unsigned long long>(stx.stx_attributes_mask), stx.stx_mode,
			stx.stx_nlink, stx.stx_uid, stx.stx_gid,
			static_cast<unsigned long long>(stx.stx_size));
		o.data = text;
		break;
	}
	case OpKind::mmap: {
		struct stat st;
		Observation &s =
			add(observe("fstat before mmap", [&] { return ::fstat(fd, &st); }));
		if (s.failed())
			break;
		s.data = stat_text(st);
		const int64_t size = S_ISREG(st.st_mode) ? st.st_size : 0;
		const int64_t start = size * op.offset / 65536 / page_size() * page_size();
		const size_t length = op.length;
		const int prot = PROT_READ | (op.flags & PROT_WRITE);
		void *address = MAP_FAILED;
		add(observe("mmap", [&] {
			address = ::mmap(nullptr, length, prot, MAP_SHARED, fd, start);
			return address == MAP_FAILED ? -1 : 0;
		}));
		Mapping mapping(address, length);
		if (!mapping.valid())
			break;
		// Only bytes inside the file: touching beyond EOF is SIGBUS.
		const size_t inside = std::min<int64_t>(length, std::max<int64_t>(0, size - start));
		Observation &bytes = add(number("bytes of the mapping", 0));
		bytes.bytes = true;
		bytes.base = start;
		bytes.data.assign(mapping.data(), inside);
		if ((prot & PROT_WRITE) && inside > 0) {
			fill_pattern(mapping.data() + inside / 4, inside / 2, op.data_seed);
			add(observe("msync",
				    [&] { return ::msync(mapping.data(), length, MS_SYNC); }));
		}
		add(observe("munmap", [&] { return mapping.unmap(); }));
		break;
	}
	case OpKind::copy_range: {
		if (direct_io_depends_on_layout(
			    fd, false, op.explicit_offset ? std::optional(op.offset) : std::nullopt,
			    {op.length}) ||
		    direct_io_depends_on_layout(fd2, true,
						op.explicit_offset2 ? std::optional(op.offset2)
								    : std::nullopt,
						{op.length})) {
			add(not_made());
			break;
		}
		loff_t in = op.offset;
		loff_t out = op.offset2;
		add(observe("copy_file_range", [&] {
			return ::copy_file_range(fd, op.explicit_offset ? &in : nullptr, fd2,
						 op.explicit_offset2 ? &out : nullptr, op.length,
						 0);
		}));
		add(fstat_fd("fstat of the destination", fd2));
		break;
	}
	case OpKind::splice: {
		if (direct_io_depends_on_layout(
			    fd, false, op.explicit_offset ? std::optional(op.offset) : std::nullopt,
			    {op.length})) {
			add(not_made());
			break;
		}
		int ends[2];
		if (::pipe2(ends, O_NONBLOCK | O_CLOEXEC) < 0)
			throw SetupError(std::string("pipe2: ") + std::strerror(errno));
		Fd pipe_out(ends[0]);
		Fd pipe_in(ends[1]);
		loff_t in = op.offset;
		loff_t out = op.offset2;
		Observation &first = add(observe("splice from the file into the pipe", [&] {
			return ::splice(fd, op.explicit_offset ? &in : nullptr, pipe_in.get(),
					nullptr, op.length, SPLICE_F_NONBLOCK);
		}));
		if (first.ret <= 0)
			break;
		if (direct_io_depends_on_layout(fd2, true,
						op.explicit_offset2 ? std::optional(op.offset2)
								    : std::nullopt,
						{first.ret})) {
			add(not_made());
			break;
		}
		add(observe("splice from the pipe into the file", [&] {
			return ::splice(pipe_out.get(), nullptr, fd2,
					op.explicit_offset2 ? &out : nullptr, first.ret,
					SPLICE_F_NONBLOCK);
		}));
		add(fstat_fd("fstat of the destination", fd2));
		break;
	}
	case OpKind::direct_io: {
		const bool write = op.flags != 0;
		Fd file;
		add(observe("openat O_DIRECT", [&] {
			file.reset(::openat(root(), at,
					    (write ? O_WRONLY : O_RDONLY) | O_DIRECT | O_NONBLOCK |
						    O_CLOEXEC));
			return file.valid() ? 0 : -1;
		}));
		if (!file.valid())
			break;
		if (direct_io_depends_on_layout(file.get(), write, op.offset, {op.length})) {
			add(not_made());
			break;
		}
		AlignedBuffer buffer = aligned_buffer(op.length);
		if (write) {
			fill_pattern(buffer.get(), op.length, op.data_seed);
			add(observe("pwrite O_DIRECT", [&] {
				return ::pwrite(file.get(), buffer.get(), op.length, op.offset);
			}));
			add(fstat_fd("fstat after the write", file.get()));
		} else {
			Observation &o = add(observe("pread O_DIRECT", [&] {
				return ::pread(file.get(), buffer.get(), op.length, op.offset);
			}));
			attach_bytes(o, buffer.get(), op.offset);
		}
		add(observe("close", [&] { return file.reset(); }));
		break;
	}
	case OpKind::flock:
		add(observe("flock", [&] { return ::flock(fd, op.flags); }));
		break;
	case OpKind::lock: {
		struct flock lock = {};
		lock.l_type = static_cast<short>(op.subflags);
		lock.l_whence = SEEK_SET;
		lock.l_start = op.offset;
		lock.l_len = op.length;
		Observation &o =
			add(observe("fcntl", [&] { return ::fcntl(fd, op.flags, &lock); }));
		if (!o.failed() && (op.flags == F_GETLK || op.flags == F_OFD_GETLK))
			o.data = "type=" + std::to_string(lock.l_type) +
				 " start=" + std::to_string(lock.l_start) +
				 " len=" + std::to_string(lock.l_len) +
				 " pid=" + std::to_string(lock.l_pid);
		break;
	}
	case OpKind::getflags:
	case OpKind::setflags: {
		int flags = 0;
		Observation &get = add(observe("FS_IOC_GETFLAGS", [&] {
			return ::ioctl(fd, FS_IOC_GETFLAGS, &flags);
		}));
		if (get.failed())
			break;
		get.data = "flags=" + std::to_string(flags);
		if (op.kind == OpKind::getflags)
			break;
		int changed = flags ^ op.flags;
		add(observe("FS_IOC_SETFLAGS",
			    [&] { return ::ioctl(fd, FS_IOC_SETFLAGS, &changed); }));
		Observation &again = add(observe("FS_IOC_GETFLAGS after FS_IOC_SETFLAGS", [&] {
			return ::ioctl(fd, FS_IOC_GETFLAGS, &flags);
		}));
		if (!again.failed())
			again.data = "flags=" + std::to_string(flags);
		break;
	}
	case OpKind::fiemap: {
		// Only files and directories: XFS answers FIEMAP on a FIFO or a
		// device node with EUCLEAN and logs "Corruption detected" with a
		// stack trace (seen on 6.18), which would fill the test VM's log.
		struct stat st;
		Observation &s =
			add(observe("fstat before FIEMAP", [&] { return ::fstat(fd, &st); }));
		if (s.failed())
			break;
		s.data = stat_text(st);
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			break;
		// Where the extents are is the allocator's business; whether
		// there are any is not.
		constexpr unsigned extents = 32;
		std::vector<uint64_t> storage(
			(sizeof(fiemap) + extents * sizeof(fiemap_extent)) / 8 + 1);
		auto *map = reinterpret_cast<fiemap *>(storage.data());
		map->fm_start = 0;
		map->fm_length = FIEMAP_MAX_OFFSET;
		map->fm_flags = FIEMAP_FLAG_SYNC;
		map->fm_extent_count = extents;
		Observation &o = add(
			observe("FS_IOC_FIEMAP", [&] { return ::ioctl(fd, FS_IOC_FIEMAP, map); }));
		if (!o.failed())
			o.data = map->fm_mapped_extents ? "some extents" : "no extents";
		break;
	}
	case OpKind::syncfs:
		add(observe("syncfs", [&] { return ::syncfs(root()); }));
		break;
	case OpKind::umask:
	case OpKind::identity:
		break;
	}
	return seen;
}

} // namespace difftest
