// SPDX-License-Identifier: GPL-2.0
//
// The nudges of nudge.h: a periodic ITIMER_REAL.
#include "nudge.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/time.h>

namespace dmtool {

namespace {

constexpr suseconds_t nudge_period_us = 100000;

void set_timer(suseconds_t usec) noexcept
{
	itimerval timer{};
	timer.it_interval.tv_usec = usec;
	timer.it_value.tv_usec = usec;
	// No failure to report from a signal handler; none is possible here.
	(void)setitimer(ITIMER_REAL, &timer, nullptr);
}

void on_nudge(int)
{
}

} // namespace

void start_nudging() noexcept
{
	set_timer(nudge_period_us);
}

void stop_nudging() noexcept
{
	set_timer(0);
}

void catch_nudges()
{
	struct sigaction action {};
	action.sa_handler = on_nudge;
	action.sa_flags = SA_RESTART;
	sigemptyset(&action.sa_mask);
	if (sigaction(SIGALRM, &action, nullptr) != 0)
		throw std::runtime_error(std::string("sigaction: ") + std::strerror(errno));
}

} // namespace dmtool
