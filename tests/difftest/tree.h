// SPDX-License-Identifier: GPL-2.0
//
// One of the two trees of a run, and how an operation is applied to it.
#ifndef DIFFTEST_TREE_H
#define DIFFTEST_TREE_H

#include "fd.h"
#include "observation.h"
#include "op.h"

#include <sys/stat.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace difftest
{

// The run cannot start or go on for a reason that is not a divergence: a
// missing directory, a failed pipe().  Exit status 2.
class SetupError : public std::runtime_error
{
public:
	using std::runtime_error::runtime_error;
};

class Tree
{
public:
	// directory must exist; it is opened once and every path of the run
	// is resolved from that descriptor, never from the name again.
	explicit Tree(const std::string &directory);

	const std::string &path() const { return path_; }
	int root() const { return root_.get(); }
	// The descriptor in a slot, -1 when empty or out of range.
	int slot(int index) const;

	// Applies op and returns what it observed, in a fixed order.  The
	// process-wide operations (umask, identity) are the engine's: here
	// they do nothing.
	std::vector<Observation> apply(const Op &op);

	// Closes every slot, reporting each close() of an open one.
	std::vector<Observation> close_all();

private:
	std::string absolute(const std::string &relative) const;
	Observation stat_path(const char *what, const std::string &relative) const;

	std::string path_;
	Fd root_;
	std::array<Fd, slot_count> slots_;
};

// What of a stat must agree: type, mode, links, size, owner, and the
// device of device nodes.  Not the inode or device numbers, not the times,
// not st_blocks or st_blksize, which depend on allocation and on where the
// tree lives.
std::string stat_text(const struct stat &st);

// The names in a listxattr() buffer, sorted, without the namespace the
// filesystem reserves for itself (trusted.dmapi.*); *reserved_bytes gets
// the size they took in the buffer.
std::vector<std::string> xattr_names(const char *list, size_t size, size_t *reserved_bytes);

// True for a name of the reserved namespace.
bool reserved_xattr(std::string_view name);

// The bytes an operation writes, from its seed (0: zeros).
void fill_pattern(char *buffer, size_t size, uint64_t seed);

// Entries of a getdents64() buffer as "name:type" strings.
void parse_dirents(const char *buffer, size_t size, std::vector<std::string> &entries,
		   bool skip_dots);

} // namespace difftest

#endif // DIFFTEST_TREE_H
