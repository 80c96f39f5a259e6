// SPDX-License-Identifier: GPL-2.0
//
// What dmhsm prints: JSON strings, human sizes, and the progress bar of
// a long run (on a terminal only, on stderr).
#ifndef DMHSM_OUTPUT_H
#define DMHSM_OUTPUT_H

#include <cstdint>
#include <string>
#include <string_view>

#include "printer.h"

namespace hsm {

/* A path or a name as a JSON string, as dmctl prints them (any bytes). */
using dmctl::json_string;

/** 1536 -> "1.5 KiB". */
std::string human_size(std::uint64_t bytes);

class Progress {
public:
	/** A bar for @total files, shown if stderr is a terminal and @show. */
	Progress(std::size_t total, bool show);
	~Progress();
	Progress(const Progress &) = delete;
	Progress &operator=(const Progress &) = delete;

	/** One more file done, @bytes moved. */
	void step(std::uint64_t bytes);
	/** Clear the bar, so that a message prints on a clean line. */
	void clear();

private:
	void draw();

	std::size_t total_, done_ = 0;
	std::uint64_t bytes_ = 0;
	bool shown_;
};

} // namespace hsm

#endif
