// SPDX-License-Identifier: GPL-2.0
//
// One operation of a run, as the generator draws it: everything needed to
// apply it to a tree, so that both trees get exactly the same call.  An
// operation never depends on the result of an earlier one; the sequence is
// a function of the seed alone and can be listed without any tree.
#ifndef DIFFTEST_OP_H
#define DIFFTEST_OP_H

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace difftest
{

enum class OpKind {
	open, // openat() into a descriptor slot
	close,
	read,
	write,
	pread,
	pwrite,
	readv,
	writev, // pwritev2() when flags are given
	lseek,
	ftruncate,
	truncate,
	fsync,
	fdatasync,
	fallocate,
	mkdir,
	rmdir,
	unlink,
	rename, // renameat2()
	link,
	link_fd, // linkat(fd, "", ..., AT_EMPTY_PATH): gives an O_TMPFILE a name
	symlink,
	readlink,
	mknod,
	chmod, // fchmodat()
	fchmod,
	chown, // fchownat()
	fchown,
	utimens,
	access, // faccessat()
	getxattr,
	setxattr,
	listxattr,
	removexattr,
	statfs,
	getdents, // of a path, or of a slot's directory from its position
	stat,     // fstatat()
	fstat,
	statx,
	mmap,
	copy_range, // copy_file_range()
	splice,     // file -> pipe -> file
	direct_io,  // an aligned O_DIRECT pread or pwrite on a fresh descriptor
	flock,
	lock,     // fcntl() record locks, process-owned and OFD
	getflags, // FS_IOC_GETFLAGS
	setflags, // FS_IOC_SETFLAGS, toggling harmless flags only
	fiemap,
	syncfs,
	umask,    // process-wide, applies to both trees at once
	identity, // setfsuid()/setfsgid(), process-wide too
};

// Where an xattr call points: path (follows symlinks), lpath, or a slot.
enum class XattrTarget { path, lpath, fd };

inline constexpr int slot_count = 16;

struct Op {
	OpKind kind = OpKind::close;
	std::string path;       // relative to the tree's root
	std::string path2;      // new name of rename and link, symlink contents
	int slot = -1;          // descriptor slot
	int slot2 = -1;         // second slot (copy_range, splice)
	// What the generator last opened in the slots, none after a close: for
	// the reader of a failure message.
	std::optional<std::string> slot_path;
	std::optional<std::string> slot2_path;
	int flags = 0;          // open, AT_*, RENAME_*, FALLOC_FL_*, whence,
				// RWF_*, F_* command, flock op, PROT_WRITE
	int subflags = 0;       // XATTR_*, lock type, readlink/list buffer
	mode_t mode = 0;        // creation mode, access mode, umask, mknod
	int64_t offset = 0;
	int64_t offset2 = 0;
	int64_t length = 0;
	bool explicit_offset = true;  // copy_range and splice: pass offsets,
	bool explicit_offset2 = true; // or use (and move) the file position
	uint64_t data_seed = 0;       // bytes written; 0 writes zeros
	std::vector<int64_t> iov;     // readv/writev segment lengths
	std::string name;             // xattr name
	XattrTarget target = XattrTarget::path;
	uid_t uid = 0;
	gid_t gid = 0;
	timespec times[2] = {};

	// The call as a human reads it, e.g.
	// pwrite(slot 3 "d0/f1", offset 4096, 100 bytes).
	std::string describe() const;
};

// Symbolic names of flag words, for messages: "O_RDWR|O_CREAT".
std::string open_flags_name(int flags);
std::string errno_name(int err);

} // namespace difftest

#endif // DIFFTEST_OP_H
