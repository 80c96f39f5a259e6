// SPDX-License-Identifier: GPL-2.0
//
// Operations rendered for people: the verbose log, the failure message and
// --list-ops all print describe(), so a failure can be read without the
// source at hand.
#include "op.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string_view>
#include <utility>

namespace difftest {

namespace {

using FlagNames = std::initializer_list<std::pair<int, const char *>>;

// Names of the set bits, '|'-joined; unknown bits in hex; "0" for none.
std::string bits(int value, FlagNames names)
{
	std::string out;
	for (auto [bit, name] : names) {
		if (bit != 0 && (value & bit) == bit) {
			if (!out.empty())
				out += '|';
			out += name;
			value &= ~bit;
		}
	}
	if (value != 0) {
		char hex[32];
		std::snprintf(hex, sizeof(hex), "%s0x%x", out.empty() ? "" : "|", value);
		out += hex;
	}
	return out.empty() ? "0" : out;
}

std::string quoted(const std::string &path)
{
	return '"' + path + '"';
}

std::string slot_text(int slot, const std::optional<std::string> &path)
{
	std::string out = "slot " + std::to_string(slot);
	return path ? out + " " + quoted(*path) : out + " (closed)";
}

std::string octal(mode_t mode)
{
	char text[16];
	std::snprintf(text, sizeof(text), "0%o", static_cast<unsigned>(mode));
	return text;
}

std::string at_flags(int flags)
{
	return bits(flags, {{AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"},
			    {AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"},
			    {AT_EACCESS, "AT_EACCESS"},
			    {AT_EMPTY_PATH, "AT_EMPTY_PATH"}});
}

std::string whence_name(int whence)
{
	switch (whence) {
	case SEEK_SET: return "SEEK_SET";
	case SEEK_CUR: return "SEEK_CUR";
	case SEEK_END: return "SEEK_END";
	case SEEK_DATA: return "SEEK_DATA";
	case SEEK_HOLE: return "SEEK_HOLE";
	}
	return std::to_string(whence);
}

std::string lock_command(int command)
{
	switch (command) {
	case F_SETLK: return "F_SETLK";
	case F_GETLK: return "F_GETLK";
	case F_OFD_SETLK: return "F_OFD_SETLK";
	case F_OFD_GETLK: return "F_OFD_GETLK";
	}
	return std::to_string(command);
}

std::string lock_type(int type)
{
	switch (type) {
	case F_RDLCK: return "F_RDLCK";
	case F_WRLCK: return "F_WRLCK";
	case F_UNLCK: return "F_UNLCK";
	}
	return std::to_string(type);
}

std::string time_text(const timespec &t)
{
	if (t.tv_nsec == UTIME_NOW)
		return "UTIME_NOW";
	if (t.tv_nsec == UTIME_OMIT)
		return "UTIME_OMIT";
	return std::to_string(t.tv_sec) + "." + std::to_string(t.tv_nsec);
}

std::string xattr_where(const Op &op)
{
	switch (op.target) {
	case XattrTarget::path: return quoted(op.path);
	case XattrTarget::lpath: return "l " + quoted(op.path);
	case XattrTarget::fd: return slot_text(op.slot, op.slot_path);
	}
	return "?";
}

std::string offset_text(bool explicit_offset, int64_t offset)
{
	return explicit_offset ? std::to_string(offset) : "position";
}

std::string data_text(uint64_t seed)
{
	if (seed == 0)
		return "zeros";
	char text[32];
	std::snprintf(text, sizeof(text), "data %016llx", static_cast<unsigned long long>(seed));
	return text;
}

std::string iov_text(const std::vector<int64_t> &iov)
{
	std::string out = "[";
	for (size_t i = 0; i < iov.size(); i++)
		out += (i ? "," : "") + std::to_string(iov[i]);
	return out + "]";
}

} // namespace

std::string open_flags_name(int flags)
{
	std::string access;
	if ((flags & O_PATH) == 0) {
		switch (flags & O_ACCMODE) {
		case O_RDONLY: access = "O_RDONLY"; break;
		case O_WRONLY: access = "O_WRONLY"; break;
		case O_RDWR: access = "O_RDWR"; break;
		default: access = "O_ACCMODE"; break;
		}
	}
	flags &= ~O_ACCMODE;
	std::string rest = bits(flags, {{O_TMPFILE, "O_TMPFILE"},
					{O_PATH, "O_PATH"},
					{O_CREAT, "O_CREAT"},
					{O_EXCL, "O_EXCL"},
					{O_TRUNC, "O_TRUNC"},
					{O_APPEND, "O_APPEND"},
					{O_DIRECTORY, "O_DIRECTORY"},
					{O_NOFOLLOW, "O_NOFOLLOW"},
					{O_DIRECT, "O_DIRECT"},
					{O_SYNC, "O_SYNC"},
					{O_DSYNC, "O_DSYNC"},
					{O_NOATIME, "O_NOATIME"},
					{O_NONBLOCK, "O_NONBLOCK"},
					{O_CLOEXEC, "O_CLOEXEC"}});
	if (access.empty())
		return rest;
	return rest == "0" ? access : access + "|" + rest;
}

std::string errno_name(int err)
{
	if (err == 0)
		return "0";
	if (const char *name = strerrorname_np(err))
		return name;
	return "errno " + std::to_string(err);
}

std::string Op::describe() const
{
	const std::string fd = slot_text(slot, slot_path);
	const std::string fd2 = slot_text(slot2, slot2_path);
	const std::string at = quoted(path);
	const std::string len = std::to_string(length) + " bytes";
	const std::string off = "offset " + std::to_string(offset);

	switch (kind) {
	case OpKind::open:
		return "openat(" + at + ", " + open_flags_name(flags) + ", " + octal(mode) +
		       ") -> slot " + std::to_string(slot);
	case OpKind::close:
		return "close(" + fd + ")";
	case OpKind::read:
		return "read(" + fd + ", " + len + ")";
	case OpKind::write:
		return "write(" + fd + ", " + len + ", " + data_text(data_seed) + ")";
	case OpKind::pread:
		return "pread(" + fd + ", " + off + ", " + len + ")";
	case OpKind::pwrite:
		return "pwrite(" + fd + ", " + off + ", " + len + ", " + data_text(data_seed) + ")";
	case OpKind::readv:
		return "preadv(" + fd + ", " + offset_text(explicit_offset, offset) + ", " +
		       iov_text(iov) + ")";
	case OpKind::writev:
		return "pwritev2(" + fd + ", " + offset_text(explicit_offset, offset) + ", " +
		       iov_text(iov) + ", " + data_text(data_seed) + ", " +
		       bits(flags, {{RWF_DSYNC, "RWF_DSYNC"}, {RWF_APPEND, "RWF_APPEND"}}) + ")";
	case OpKind::lseek:
		return "lseek(" + fd + ", " + std::to_string(offset) + ", " + whence_name(flags) +
		       ")";
	case OpKind::ftruncate:
		return "ftruncate(" + fd + ", " + std::to_string(length) + ")";
	case OpKind::truncate:
		return "truncate(" + at + ", " + std::to_string(length) + ")";
	case OpKind::fsync:
		return "fsync(" + fd + ")";
	case OpKind::fdatasync:
		return "fdatasync(" + fd + ")";
	case OpKind::fallocate:
		return "fallocate(" + fd + ", " +
		       bits(flags, {{FALLOC_FL_KEEP_SIZE, "FALLOC_FL_KEEP_SIZE"},
				    {FALLOC_FL_PUNCH_HOLE, "FALLOC_FL_PUNCH_HOLE"},
				    {FALLOC_FL_ZERO_RANGE, "FALLOC_FL_ZERO_RANGE"},
				    {FALLOC_FL_COLLAPSE_RANGE, "FALLOC_FL_COLLAPSE_RANGE"},
				    {FALLOC_FL_INSERT_RANGE, "FALLOC_FL_INSERT_RANGE"}}) +
		       ", " + off + ", " + len + ")";
	case OpKind::mkdir:
		return "mkdirat(" + at + ", " + octal(mode) + ")";
	case OpKind::rmdir:
		return "unlinkat(" + at + ", AT_REMOVEDIR)";
	case OpKind::unlink:
		return "unlinkat(" + at + ", 0)";
	case OpKind::rename:
		return "renameat2(" + at + ", " + quoted(path2) + ", " +
		       bits(flags, {{RENAME_NOREPLACE, "RENAME_NOREPLACE"},
				    {RENAME_EXCHANGE, "RENAME_EXCHANGE"}}) + ")";
	case OpKind::link:
		return "linkat(" + at + ", " + quoted(path2) + ", " + at_flags(flags) + ")";
	case OpKind::link_fd:
		return "linkat(" + fd + ", \"\", " + quoted(path2) + ", AT_EMPTY_PATH)";
	case OpKind::symlink:
		return "symlinkat(" + quoted(path2) + ", " + at + ")";
	case OpKind::readlink:
		return "readlinkat(" + at + ", " + std::to_string(subflags) + " byte buffer)";
	case OpKind::mknod:
		return "mknodat(" + at + ", " + octal(mode) + ", " +
		       (S_ISCHR(mode) ? "1:3" : "0") + ")";
	case OpKind::chmod:
		return "fchmodat(" + at + ", " + octal(mode) + ", " + at_flags(flags) + ")";
	case OpKind::fchmod:
		return "fchmod(" + fd + ", " + octal(mode) + ")";
	case OpKind::chown:
		return "fchownat(" + at + ", " + std::to_string(static_cast<int>(uid)) + ", " +
		       std::to_string(static_cast<int>(gid)) + ", " + at_flags(flags) + ")";
	case OpKind::fchown:
		return "fchown(" + fd + ", " + std::to_string(static_cast<int>(uid)) + ", " +
		       std::to_string(static_cast<int>(gid)) + ")";
	case OpKind::utimens:
		return "utimensat(" + at + ", [" + time_text(times[0]) + ", " +
		       time_text(times[1]) + "], " + at_flags(flags) + ")";
	case OpKind::access:
		return "faccessat(" + at + ", " +
		       bits(static_cast<int>(mode),
			    {{R_OK, "R_OK"}, {W_OK, "W_OK"}, {X_OK, "X_OK"}}) +
		       ", " + at_flags(flags) + ")";
	case OpKind::getxattr:
		return "getxattr(" + xattr_where(*this) + ", \"" + name + "\", " +
		       std::to_string(length) + " byte buffer)";
	case OpKind::setxattr:
		return "setxattr(" + xattr_where(*this) + ", \"" + name + "\", " + len + " " +
		       data_text(data_seed) + ", " +
		       bits(subflags,
			    {{XATTR_CREATE, "XATTR_CREATE"}, {XATTR_REPLACE, "XATTR_REPLACE"}}) +
		       ")";
	case OpKind::listxattr:
		return "listxattr(" + xattr_where(*this) + ", " + std::to_string(length) +
		       " byte buffer)";
	case OpKind::removexattr:
		return "removexattr(" + xattr_where(*this) + ", \"" + name + "\")";
	case OpKind::statfs:
		return "statfs(" + at + ")";
	case OpKind::getdents:
		if (slot >= 0)
			return "getdents64(" + fd + ", " + std::to_string(length) + " byte buffer)";
		return "getdents64(" + at + ", " + std::to_string(length) + " byte buffer)";
	case OpKind::stat:
		return "fstatat(" + at + ", " + at_flags(flags) + ")";
	case OpKind::fstat:
		return "fstat(" + fd + ")";
	case OpKind::statx:
		return "statx(" + at + ", " + at_flags(flags) + ")";
	case OpKind::mmap:
		return std::string("mmap(") + fd + ", MAP_SHARED, " +
		       ((flags & PROT_WRITE) ? "PROT_READ|PROT_WRITE" : "PROT_READ") +
		       ", at " + std::to_string(offset) + "/65536 of the size, " + len +
		       ((flags & PROT_WRITE) ? ", " + data_text(data_seed) : "") + ")";
	case OpKind::copy_range:
		return "copy_file_range(" + fd + " at " + offset_text(explicit_offset, offset) +
		       ", " + fd2 + " at " + offset_text(explicit_offset2, offset2) + ", " + len +
		       ")";
	case OpKind::splice:
		return "splice(" + fd + " at " + offset_text(explicit_offset, offset) +
		       " -> pipe -> " + fd2 + " at " + offset_text(explicit_offset2, offset2) +
		       ", " + len + ")";
	case OpKind::direct_io:
		return std::string(flags ? "O_DIRECT pwrite(" : "O_DIRECT pread(") + at + ", " +
		       off + ", " + len + (flags ? ", " + data_text(data_seed) : "") + ")";
	case OpKind::flock:
		return "flock(" + fd + ", " +
		       bits(flags, {{LOCK_SH, "LOCK_SH"}, {LOCK_EX, "LOCK_EX"},
				    {LOCK_UN, "LOCK_UN"}, {LOCK_NB, "LOCK_NB"}}) + ")";
	case OpKind::lock:
		return "fcntl(" + fd + ", " + lock_command(flags) + ", " + lock_type(subflags) +
		       " start " + std::to_string(offset) + " len " + std::to_string(length) + ")";
	case OpKind::getflags:
		return "ioctl(" + fd + ", FS_IOC_GETFLAGS)";
	case OpKind::setflags:
		return "ioctl(" + fd + ", FS_IOC_SETFLAGS, flags ^ " +
		       bits(flags,
			    {{FS_NODUMP_FL, "FS_NODUMP_FL"}, {FS_NOATIME_FL, "FS_NOATIME_FL"}}) +
		       ")";
	case OpKind::fiemap:
		return "ioctl(" + fd + ", FS_IOC_FIEMAP, FIEMAP_FLAG_SYNC)";
	case OpKind::syncfs:
		return "syncfs(root)";
	case OpKind::umask:
		return "umask(" + octal(mode) + ")";
	case OpKind::identity:
		return "setfsuid(" + std::to_string(uid) + "), setfsgid(" + std::to_string(gid) +
		       ")";
	}
	return "?";
}

} // namespace difftest
