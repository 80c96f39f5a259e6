// SPDX-License-Identifier: GPL-2.0
//
// The full comparison of two trees: names, types, modes, sizes, owners,
// link targets, contents and xattrs of everything below the two roots.
#ifndef DIFFTEST_WALK_H
#define DIFFTEST_WALK_H

#include "observation.h"
#include "tree.h"

#include <string>

namespace difftest
{

// Judges pairs of observations; the engine's implementation counts them,
// may inject a fault and records the first difference.
class Comparer
{
public:
	virtual ~Comparer() = default;
	// False when a and b differ: the walk stops there.
	virtual bool same(const Observation &a, const Observation &b) = 0;
};

// Walks both trees from their roots in the same order; true when every pair
// of observations was the same.
bool compare_trees(const Tree &a, const Tree &b, Comparer &comparer);

} // namespace difftest

#endif // DIFFTEST_WALK_H
