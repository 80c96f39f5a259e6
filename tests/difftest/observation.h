// SPDX-License-Identifier: GPL-2.0
//
// One result of one call in one tree.  Applying an operation to a tree
// yields a list of these (the call itself, then the state it left behind:
// stat of the paths it touched, bytes it read); the two lists of a step
// must be equal, element by element.
#ifndef DIFFTEST_OBSERVATION_H
#define DIFFTEST_OBSERVATION_H

#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>

namespace difftest
{

enum class Rule {
	exact,
	// SEEK_DATA/SEEK_HOLE: a filesystem may report zero-filled allocated
	// space as data, so two trees with equal bytes may still answer
	// differently (XFS speculative preallocation, delayed allocation).
	// The engine accepts a difference when the bytes between the two
	// answers are zeros in both trees, unless --strict-seek.
	seek_layout,
};

struct Observation {
	std::string what;   // which result: "openat", "fstat", "read data"
	int64_t ret = 0;    // the call's return value
	int err = 0;        // its errno when it failed, else 0
	std::string data;   // bytes returned, or a rendering of a structure
	bool bytes = false; // data are file bytes: a difference is shown by offset
	int64_t base = 0;   // file offset of data[0], for that message
	Rule rule = Rule::exact;

	bool failed() const { return ret < 0; }
};

// A result that is a plain number.
inline Observation number(const char *what, int64_t value)
{
	Observation o;
	o.what = what;
	o.ret = value;
	return o;
}

// Runs a system call and records its result with the errno it left; errno
// is read before anything else can change it.
template <typename Call> Observation observe(const char *what, Call call)
{
	errno = 0;
	int64_t ret = call();
	int err = ret < 0 ? errno : 0;
	Observation o;
	o.what = what;
	o.ret = ret;
	o.err = err;
	return o;
}

// "-1 ENOENT (No such file or directory)", "100", "100, 100 bytes ...".
std::string render(const Observation &o);

// Why two observations differ, one line; empty when they are equal.
std::string difference(const Observation &a, const Observation &b);

} // namespace difftest

#endif // DIFFTEST_OBSERVATION_H
