// SPDX-License-Identifier: GPL-2.0
//
// Draws the operation sequence of a run from its seed.
#ifndef DIFFTEST_GENERATOR_H
#define DIFFTEST_GENERATOR_H

#include "op.h"
#include "prng.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace difftest
{

// The names a run plays with: few, so that operations keep meeting the
// objects earlier ones made, and nested, so that directory operations
// (rmdir of a non-empty directory, rename into a subdirectory) happen.
// Leaf names say what they are usually made as: d* directories, f* files,
// s* symbolic links, x* special files, but any may become anything.
std::vector<std::string> make_namespace(unsigned names);

class Generator
{
public:
	Generator(uint64_t seed, unsigned names);

	Op next();

	const std::vector<std::string> &paths() const { return paths_; }

private:
	std::string path(char kind);
	std::string any_path();
	std::string symlink_target(const std::string &link);
	int busy_slot();
	int free_slot();
	int64_t io_size();
	int64_t read_offset();
	int64_t write_offset();
	mode_t create_mode();
	mode_t directory_mode();
	uint64_t data_seed();
	void fill(Op &op);

	Prng rng_;
	std::vector<std::string> paths_;
	// The generator's idea of the slots: what it last opened in each.  An
	// open may fail in both trees, leaving a slot empty; the calls on it
	// then fail with EBADF in both, which is a valid comparison too.
	std::array<std::string, slot_count> slot_paths_;
	std::array<bool, slot_count> slot_busy_{};
};

} // namespace difftest

#endif // DIFFTEST_GENERATOR_H
