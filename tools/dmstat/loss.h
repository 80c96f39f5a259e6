// SPDX-License-Identifier: GPL-2.0
//
// Counting the event records a listener lost, from their sequence
// numbers.  The module numbers a record before it builds and multicasts
// it, so two sent at once from two CPUs can arrive in the other order: a
// gap is a loss only if no record fills it by the end.
#ifndef DMSTAT_LOSS_H
#define DMSTAT_LOSS_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>

namespace dmstat {

class LossCounter {
public:
	// How far behind the newest record a late one may still come: a
	// number older than that is lost.
	static constexpr std::uint64_t reorder_window = 4096;

	void saw(std::uint64_t seq);
	// Records seen, and records numbered between them that never came.
	std::uint64_t seen() const { return seen_; }
	std::uint64_t lost() const { return lost_ + awaited_.size(); }

private:
	std::optional<std::uint64_t> last_;
	std::set<std::uint64_t> awaited_;
	std::uint64_t seen_ = 0;
	std::uint64_t lost_ = 0;
};

} // namespace dmstat

#endif // DMSTAT_LOSS_H
