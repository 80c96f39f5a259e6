// SPDX-License-Identifier: GPL-2.0
#include "output.h"

#include <cstdio>
#include <unistd.h>

namespace hsm {

std::string human_size(std::uint64_t bytes)
{
	static constexpr const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = static_cast<double>(bytes);
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	char buf[32];
	if (u == 0)
		std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(bytes));
	else
		std::snprintf(buf, sizeof(buf), "%.1f %s", v, units[u]);
	return buf;
}

Progress::Progress(std::size_t total, bool show)
	: total_(total), shown_(show && total > 1 && isatty(STDERR_FILENO))
{
	draw();
}

Progress::~Progress()
{
	clear();
}

void Progress::step(std::uint64_t bytes)
{
	done_++;
	bytes_ += bytes;
	draw();
}

void Progress::draw()
{
	if (!shown_)
		return;
	constexpr std::size_t width = 30;
	std::size_t filled = total_ ? done_ * width / total_ : width;
	std::string bar(filled, '#');
	bar.resize(width, '.');
	std::fprintf(stderr, "\r[%s] %zu/%zu files, %s ", bar.c_str(), done_, total_,
		     human_size(bytes_).c_str());
	std::fflush(stderr);
}

void Progress::clear()
{
	if (shown_)
		std::fputs("\r\033[K", stderr);
}

} // namespace hsm
