// SPDX-License-Identifier: GPL-2.0
#include "log.h"

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <syslog.h>

namespace hsm {
namespace {

const char *program_name = "dmhsm";
bool to_syslog = false;
bool verbose_log = false;
std::mutex log_lock;

int priority(Level level)
{
	switch (level) {
	case Level::error:
		return LOG_ERR;
	case Level::warning:
		return LOG_WARNING;
	case Level::info:
		return LOG_INFO;
	default:
		return LOG_DEBUG;
	}
}

} // namespace

void log_open(const char *program, bool syslog, bool verbose)
{
	program_name = program;
	to_syslog = syslog;
	verbose_log = verbose;
	if (syslog)
		openlog(program, LOG_PID, LOG_DAEMON);
}

void log(Level level, const char *format, ...)
{
	if (level == Level::debug && !verbose_log)
		return;
	va_list args;
	va_start(args, format);
	if (to_syslog) {
		vsyslog(priority(level), format, args);
	} else {
		/* One line at a time, whole, from any thread. */
		std::lock_guard<std::mutex> guard(log_lock);
		std::fprintf(stderr, "%s: ", program_name);
		std::vfprintf(stderr, format, args);
		std::fputc('\n', stderr);
	}
	va_end(args);
}

} // namespace hsm
