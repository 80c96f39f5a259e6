// SPDX-License-Identifier: GPL-2.0
//
// A run: the generator's operations applied to both trees in lockstep,
// every result compared, the whole trees compared now and then and at the
// end; the first difference ends the run.
#ifndef DIFFTEST_ENGINE_H
#define DIFFTEST_ENGINE_H

#include "observation.h"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace difftest
{

struct Options {
	uint64_t seed = 0;
	uint64_t ops = 1000;
	unsigned names = 32;         // size of the namespace
	uint64_t check_every = 500;  // full comparison every N operations; 0: at the end only
	uint64_t inject_fault = 0;   // corrupt B's Nth compared result; 0: never
	bool strict_seek = false;    // SEEK_DATA/SEEK_HOLE must answer identically
	std::ostream *log = nullptr; // every operation and its result, or nothing
};

struct Divergence {
	uint64_t op = 0;       // 1-based; 0: before the first operation
	std::string operation; // the call, or the full comparison
	Observation a;
	Observation b;
	std::string why;
	bool injected = false; // --inject-fault made it
};

struct Summary {
	uint64_t seed = 0;
	uint64_t ops = 0;       // operations applied
	uint64_t compared = 0;  // pairs of results compared
	uint64_t tolerated = 0; // SEEK_DATA/SEEK_HOLE differences over zeros
	double seconds = 0;
	std::optional<Divergence> first;
};

// Runs the operations on two empty directories.  Throws SetupError when
// they are not two distinct empty directories, or the run cannot go on.
// The process's umask and filesystem ids are restored before it returns.
Summary run(const Options &options, const std::string &dir_a, const std::string &dir_b);

// The operation sequence of options.seed, one "op N: CALL" line each,
// without touching any tree.
void list_ops(const Options &options, std::ostream &out);

// Whether two different answers of lseek(SEEK_DATA or SEEK_HOLE) on files
// with the same bytes are both right.  A filesystem may report zero-filled
// allocated space as data (XFS speculative preallocation does) and need not
// find every hole, so they are when the bytes between the two answers are
// zeros in both files; "no more data" (ENXIO) against an offset for
// SEEK_DATA likewise needs zeros from that offset to the end.
bool seek_answers_agree(int whence, const Observation &a, const Observation &b, int fd_a, int fd_b);

// The failure message: what differed, both results, and how to replay.
std::string describe_divergence(const Summary &summary, const std::string &dir_a,
				const std::string &dir_b);

// One JSON object: seed, ops, compared, divergences, tolerated, seconds,
// and the first divergence.
std::string json_summary(const Summary &summary);

} // namespace difftest

#endif // DIFFTEST_ENGINE_H
