// SPDX-License-Identifier: GPL-2.0
//
// Logging for the HSM: to stderr, prefixed with the program's name, or
// to syslog.  Debug messages only when verbose.
#ifndef DMHSM_LOG_H
#define DMHSM_LOG_H

namespace hsm {

enum class Level { error, warning, info, debug };

/** Log as @program, to syslog if @syslog, else to stderr. */
void log_open(const char *program, bool syslog, bool verbose);

__attribute__((format(printf, 2, 3)))
void log(Level level, const char *format, ...);

} // namespace hsm

#endif
