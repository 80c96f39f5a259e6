// SPDX-License-Identifier: GPL-2.0
//
// The tools' nudges after a stop signal (tools/dmctl/nudge.h): SIGALRM
// comes again and again from start_nudging() to stop_nudging(), and with
// the handler of catch_nudges() it restarts the calls it interrupts.
#include "nudge.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <pthread.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>

namespace {

// SIGALRM blocked in this thread for the guard's life, and caught with
// sigtimedwait() instead.
class AlarmBlocked {
public:
	AlarmBlocked()
	{
		sigemptyset(&set_);
		sigaddset(&set_, SIGALRM);
		pthread_sigmask(SIG_BLOCK, &set_, &saved_);
	}
	~AlarmBlocked()
	{
		dmtool::stop_nudging();
		while (next_signal(0) == SIGALRM)
			;
		pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
	}
	AlarmBlocked(const AlarmBlocked &) = delete;
	AlarmBlocked &operator=(const AlarmBlocked &) = delete;

	// The signal that came within ms milliseconds, or -1.
	int next_signal(long ms) const
	{
		timespec timeout{ms / 1000, (ms % 1000) * 1000000};
		return sigtimedwait(&set_, nullptr, &timeout);
	}

private:
	sigset_t set_;
	sigset_t saved_;
};

TEST(Nudges, ComeAgainAndAgainUntilStopped)
{
	AlarmBlocked alarms;
	dmtool::start_nudging();
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(alarms.next_signal(5000), SIGALRM) << "nudge " << i;
	dmtool::stop_nudging();
	while (alarms.next_signal(0) == SIGALRM)
		;
	EXPECT_EQ(alarms.next_signal(500), -1) << "a nudge came after they were stopped";
}

TEST(Nudges, RestartTheCallsTheyInterrupt)
{
	dmtool::catch_nudges();
	int fds[2];
	ASSERT_EQ(pipe(fds), 0);
	std::thread writer([&] {
		sigset_t all;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, nullptr);
		std::this_thread::sleep_for(std::chrono::milliseconds(500));
		(void)!write(fds[1], "x", 1);
	});
	dmtool::start_nudging();
	char c = 0;
	ssize_t n = read(fds[0], &c, 1);
	int err = errno;
	itimerval during{};
	getitimer(ITIMER_REAL, &during);
	dmtool::stop_nudging();
	writer.join();
	close(fds[0]);
	close(fds[1]);
	EXPECT_NE(during.it_interval.tv_usec, 0) << "no nudges came during the read";
	EXPECT_EQ(n, 1) << "the read failed: " << strerror(err);
	EXPECT_EQ(c, 'x');
}

} // namespace
