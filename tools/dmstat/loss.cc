// SPDX-License-Identifier: GPL-2.0
#include "loss.h"

namespace dmstat {

void LossCounter::saw(std::uint64_t seq)
{
	seen_++;
	if (!last_) {
		last_ = seq;
		return;
	}
	if (seq <= *last_) {
		awaited_.erase(seq);	// late, or the first ones' elders
		return;
	}
	// Of a gap, what is too old to come any more is lost at once.
	std::uint64_t oldest = seq > reorder_window ? seq - reorder_window : 0;
	std::uint64_t missing = *last_ + 1;
	if (missing < oldest) {
		lost_ += oldest - missing;
		missing = oldest;
	}
	for (; missing < seq; missing++)
		awaited_.insert(missing);
	last_ = seq;
	while (!awaited_.empty() && *awaited_.begin() < oldest) {
		awaited_.erase(awaited_.begin());
		lost_++;
	}
}

} // namespace dmstat
