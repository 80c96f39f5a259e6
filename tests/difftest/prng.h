// SPDX-License-Identifier: GPL-2.0
//
// The tester's source of randomness.  A seed must name the same operation
// sequence on every machine, so only std::mt19937_64 comes from the
// standard library (its output sequence is fixed by the standard); the
// distributions over it are ours, because std::uniform_int_distribution and
// friends may differ between standard library versions.
#ifndef DIFFTEST_PRNG_H
#define DIFFTEST_PRNG_H

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>

namespace difftest
{

class Prng
{
public:
	explicit Prng(uint64_t seed) : engine_(seed) {}

	uint64_t next() { return engine_(); }

	// Uniform in [0, bound), bound > 0.  Rejection of the values that
	// would make the low residues more likely keeps it unbiased.
	uint64_t below(uint64_t bound)
	{
		uint64_t threshold = (0 - bound) % bound; // 2^64 mod bound
		for (;;) {
			uint64_t r = next();
			if (r >= threshold)
				return r % bound;
		}
	}

	// Uniform in [low, high], both included.
	int64_t between(int64_t low, int64_t high)
	{
		uint64_t span = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
		if (span == UINT64_MAX)
			return static_cast<int64_t>(next());
		return static_cast<int64_t>(static_cast<uint64_t>(low) + below(span + 1));
	}

	// True with probability percent/100.
	bool percent(unsigned percent) { return below(100) < percent; }

	template <typename T> const T &pick(std::span<const T> items)
	{
		return items[below(items.size())];
	}

	// An index drawn with probability weights[i] / sum(weights).
	size_t weighted(std::span<const unsigned> weights)
	{
		uint64_t total = 0;
		for (unsigned w : weights)
			total += w;
		uint64_t r = below(total);
		for (size_t i = 0; i < weights.size(); i++) {
			if (r < weights[i])
				return i;
			r -= weights[i];
		}
		return weights.size() - 1; // not reached
	}

private:
	std::mt19937_64 engine_;
};

// SplitMix64: a cheap stream of bytes from one 64-bit seed, used to fill
// write buffers identically for both trees without carrying the bytes in
// the operation.
class SplitMix
{
public:
	explicit SplitMix(uint64_t seed) : state_(seed) {}

	uint64_t next()
	{
		uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return z ^ (z >> 31);
	}

private:
	uint64_t state_;
};

} // namespace difftest

#endif // DIFFTEST_PRNG_H
