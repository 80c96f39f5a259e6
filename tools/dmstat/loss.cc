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
	for (std::uint64_t missing = *last_ + 1; missing < seq; missing++) {
		if (awaited_.size() == max_awaited) {
			lost_ += seq - missing;
			break;
		}
		awaited_.insert(missing);
	}
	last_ = seq;
}

} // namespace dmstat
