// SPDX-License-Identifier: GPL-2.0
/*
 * Messages and tokens: dm_create_userevent, dm_send_msg, dm_get_events,
 * dm_respond_event, dm_find_eventmsg, dm_getall_tokens, dm_move_event,
 * dm_pending against the real module.
 */
#include "dmtest.h"

#include <xdsm/dmapi_ioctl.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <thread>

using namespace dmtest;
using namespace std::chrono_literals;

namespace {

class Events : public SessionTest {
protected:
	/* Send a synchronous message from another thread. */
	std::future<std::pair<int, int>> send_sync(const std::string &text)
	{
		return std::async(std::launch::async, [this, text] {
			std::string copy = text;
			int rc = dm_send_msg(sid_, DM_MSGTYPE_SYNC, copy.size(),
					     copy.data());
			return std::make_pair(rc, rc ? errno : 0);
		});
	}

	/* Wait for one message and return a copy of it. */
	std::vector<char> wait_one()
	{
		std::vector<char> buf(4096);
		size_t rlen = 0;
		if (dm_get_events(sid_, 1, DM_EV_WAIT, buf.size(), buf.data(),
				  &rlen) != 0)
			return {};
		buf.resize(rlen);
		return buf;
	}

	static dm_eventmsg_t *msg(std::vector<char> &buf)
	{
		return reinterpret_cast<dm_eventmsg_t *>(buf.data());
	}

	/*
	 * Send count asynchronous messages of text: 0, or 3 when one fails
	 * ENOMEM, 2 when one fails otherwise (a child's exit status).
	 */
	int send_async(int count, std::string &text)
	{
		for (int i = 0; i < count; i++)
			if (dm_send_msg(sid_, DM_MSGTYPE_ASYNC, text.size(), text.data()))
				return errno == ENOMEM ? 3 : 2;
		return 0;
	}

	/* Take every message queued, and count them. */
	int deliver_all()
	{
		std::vector<char> buf(1 << 20);
		int delivered = 0;
		size_t rlen = 0;
		while (dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen) == 0)
			delivered += messages(buf, rlen).size();
		EXPECT_EQ(errno, EAGAIN);
		return delivered;
	}

	/* The payloads of the messages queued, taken off the queue now. */
	std::vector<std::string> queued()
	{
		std::vector<char> buf(1 << 16);
		size_t rlen = 0;
		std::vector<std::string> payloads;
		if (dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen) != 0) {
			EXPECT_EQ(errno, EAGAIN) << strerror(errno);
			return payloads;
		}
		for (dm_eventmsg_t *m : messages(buf, rlen))
			payloads.push_back(payload(m));
		return payloads;
	}

	std::vector<dm_token_t> tokens()
	{
		std::vector<dm_token_t> t(1024);
		unsigned int n = 0;
		if (dm_getall_tokens(sid_, t.size(), t.data(), &n) != 0)
			return {};
		t.resize(n);
		return t;
	}
};

TEST_F(Events, GetEventsOnEmptyQueueFailsEAGAIN)
{
	char buf[64];
	size_t rlen;
	EXPECT_DM_ERRNO(dm_get_events(sid_, 0, 0, sizeof(buf), buf, &rlen),
			EAGAIN);
}

TEST_F(Events, GetEventsUnknownSessionFailsEINVAL)
{
	char buf[64];
	size_t rlen;
	EXPECT_DM_ERRNO(dm_get_events(0x7ffffff0, 0, 0, sizeof(buf), buf, &rlen),
			EINVAL);
}

TEST_F(Events, AsyncMessageIsDeliveredOnceWithoutToken)
{
	char text[] = "hello";
	ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, 5, text));
	std::vector<char> buf(256);
	size_t rlen = 0;
	ASSERT_DM_OK(dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen));
	auto msgs = messages(buf, rlen);
	ASSERT_EQ(msgs.size(), 1u);
	EXPECT_EQ(msgs[0]->ev_type, DM_EVENT_USER);
	EXPECT_EQ(msgs[0]->ev_token, DM_INVALID_TOKEN);
	EXPECT_EQ(payload(msgs[0]), "hello");
	EXPECT_EQ(msgs[0]->_link, 0);
	EXPECT_EQ(rlen % 8, 0u);
	EXPECT_TRUE(tokens().empty());
	EXPECT_DM_ERRNO(dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen),
			EAGAIN);
}

TEST_F(Events, ADeliveryWhoseSizeCannotBeWrittenBackLosesNothing)
{
	char text[] = "kept";
	ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, 4, text));
	std::vector<char> buf(256);
	void *page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(page, MAP_FAILED);
	auto *arg = static_cast<dmapi_get_events_arg *>(page);
	arg->sid = sid_;
	arg->buf.ptr = reinterpret_cast<std::uintptr_t>(buf.data());
	arg->buf.len = buf.size();
	ASSERT_EQ(mprotect(page, 4096, PROT_READ), 0);
	int dev = open("/dev/dmapi", O_RDWR | O_CLOEXEC);
	ASSERT_GE(dev, 0) << strerror(errno);
	int rc = ioctl(dev, DMAPI_IOC_GET_EVENTS, arg);
	int err = errno;
	close(dev);
	munmap(page, 4096);
	EXPECT_EQ(rc, -1);
	EXPECT_EQ(err, EFAULT);
	EXPECT_EQ(queued(), std::vector<std::string>{"kept"}) << "the message is lost";
}

/* The caller's own size that cannot be stored: EFAULT, the message kept. */
TEST_F(Events, ASizeThatCannotBeStoredEFAULTAndLosesNothing)
{
	char text[] = "kept";
	ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, 4, text));
	std::vector<char> buf(256);
	GuardedPage page;
	ASSERT_TRUE(page.ok());
	EXPECT_DM_ERRNO(dm_get_events(sid_, 0, 0, buf.size(), buf.data(),
				      page.read_only<size_t>()),
			EFAULT);
	EXPECT_EQ(queued(), std::vector<std::string>{"kept"}) << "the message is lost";
}

/*
 * The size is stored in the caller's size_t, whose width is the program's
 * (4 bytes in a 32-bit one): up to the end of a page, on success and on
 * E2BIG.
 */
TEST_F(Events, ASizeAtTheEndOfAPageIsStored)
{
	char text[] = "at the end";
	ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, sizeof(text), text));
	GuardedPage page;
	ASSERT_TRUE(page.ok());
	size_t *rlenp = page.last<size_t>();
	*rlenp = 0;
	std::vector<char> buf(256);
	EXPECT_DM_ERRNO(dm_get_events(sid_, 0, 0, 8, buf.data(), rlenp), E2BIG);
	size_t needed = *rlenp;
	EXPECT_GT(needed, 8u);
	*rlenp = 0;
	ASSERT_DM_OK(dm_get_events(sid_, 0, 0, buf.size(), buf.data(), rlenp));
	EXPECT_EQ(*rlenp, needed);
	auto msgs = messages(buf, *rlenp);
	ASSERT_EQ(msgs.size(), 1u);
	EXPECT_EQ(payload(msgs[0]), std::string(text, sizeof(text)));
}

TEST_F(Events, MessagesComeInOrderWithRisingSequenceNumbers)
{
	for (int i = 0; i < 5; i++) {
		std::string text = "m" + std::to_string(i) + std::string(i * 3, '.');
		ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, text.size(),
					 text.data()));
	}
	std::vector<char> buf(4096);
	size_t rlen = 0;
	ASSERT_DM_OK(dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen));
	auto msgs = messages(buf, rlen);
	ASSERT_EQ(msgs.size(), 5u);
	size_t walked = 0;
	for (int i = 0; i < 5; i++) {
		EXPECT_EQ(payload(msgs[i]),
			  "m" + std::to_string(i) + std::string(i * 3, '.'));
		EXPECT_EQ(reinterpret_cast<uintptr_t>(msgs[i]) % 8, 0u);
		if (i) {
			EXPECT_GT(msgs[i]->ev_sequence, msgs[i - 1]->ev_sequence);
		}
		walked += msgs[i]->_link;
	}
	EXPECT_LT(walked, rlen);
}

TEST_F(Events, MaxmsgsLimitsTheBatch)
{
	char text[] = "x";
	for (int i = 0; i < 3; i++)
		ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, 1, text));
	std::vector<char> buf(4096);
	size_t rlen = 0;
	ASSERT_DM_OK(dm_get_events(sid_, 2, 0, buf.size(), buf.data(), &rlen));
	EXPECT_EQ(messages(buf, rlen).size(), 2u);
	ASSERT_DM_OK(dm_get_events(sid_, 2, 0, buf.size(), buf.data(), &rlen));
	EXPECT_EQ(messages(buf, rlen).size(), 1u);
}

TEST_F(Events, OnlyWholeMessagesAreDelivered)
{
	std::string text(40, 'a');
	for (int i = 0; i < 3; i++)
		ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, text.size(),
					 text.data()));
	size_t one = 0;
	char tiny[8];
	EXPECT_DM_ERRNO(dm_get_events(sid_, 0, 0, sizeof(tiny), tiny, &one), E2BIG);
	ASSERT_EQ(one, 64u);	/* 24-byte header + 40 bytes, 8-aligned */
	std::vector<char> buf(one * 2 + one / 2);
	size_t rlen = 0;
	ASSERT_DM_OK(dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen));
	EXPECT_EQ(rlen, 2 * one);
	EXPECT_EQ(messages(buf, rlen).size(), 2u);
	ASSERT_DM_OK(dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen));
	EXPECT_EQ(messages(buf, rlen).size(), 1u);
}

TEST_F(Events, E2BIGLosesNothing)
{
	char text[] = "keep me";
	ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, sizeof(text), text));
	size_t rlen = 0;
	EXPECT_DM_ERRNO(dm_get_events(sid_, 0, 0, 0, nullptr, &rlen), E2BIG);
	auto buf = get_all_events(sid_);
	ASSERT_EQ(messages(buf, buf.size()).size(), 1u);
}

TEST_F(Events, BadBufferFailsEFAULTAndLosesNothing)
{
	char text[] = "keep me";
	ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, sizeof(text), text));
	size_t rlen = 0;
	EXPECT_DM_ERRNO(dm_get_events(sid_, 0, 0, 4096,
				      reinterpret_cast<void *>(4096), &rlen),
			EFAULT);
	auto buf = get_all_events(sid_);
	ASSERT_EQ(messages(buf, buf.size()).size(), 1u);
	EXPECT_EQ(payload(msg(buf)), std::string(text, sizeof(text)));
}

TEST_F(Events, WaitBlocksUntilAMessageArrives)
{
	auto reader = std::async(std::launch::async, [this] { return wait_one(); });
	EXPECT_EQ(reader.wait_for(200ms), std::future_status::timeout);
	char text[] = "wake";
	ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, 4, text));
	auto buf = reader.get();
	ASSERT_FALSE(buf.empty());
	EXPECT_EQ(payload(msg(buf)), "wake");
}

/*
 * In a child, a wait for messages that SIGALRM, caught with a handler of
 * `sa_flags`, comes to after a second: 0 if it ended EINTR.
 */
int wait_ended_by_alarm(dm_sessid_t sid, int sa_flags)
{
	return in_child([sid, sa_flags] {
		struct sigaction sa = {};
		sa.sa_handler = [](int) {};
		sa.sa_flags = sa_flags;
		sigaction(SIGALRM, &sa, nullptr);
		alarm(1);
		char buf[64];
		size_t rlen;
		int r = dm_get_events(sid, 0, DM_EV_WAIT, sizeof(buf), buf, &rlen);
		return r == -1 && errno == EINTR ? 0 : 1;
	});
}

TEST_F(Events, WaitIsEndedBySignalWithEINTR)
{
	EXPECT_EQ(wait_ended_by_alarm(sid_, 0), 0);
}

/*
 * Even a handler that asks for its calls to be restarted ends the wait:
 * the tools' nudges after a stop signal (tools/dmctl/nudge.h) rely on it.
 */
TEST_F(Events, WaitIsEndedWithEINTREvenUnderSaRestart)
{
	EXPECT_EQ(wait_ended_by_alarm(sid_, SA_RESTART), 0);
}

TEST_F(Events, SyncMessageBlocksSenderUntilContinue)
{
	auto sender = send_sync("recall /a");
	auto buf = wait_one();
	ASSERT_FALSE(buf.empty());
	auto *m = msg(buf);
	EXPECT_EQ(m->ev_type, DM_EVENT_USER);
	EXPECT_GT(m->ev_token, 0);
	EXPECT_EQ(payload(m), "recall /a");
	EXPECT_EQ(sender.wait_for(200ms), std::future_status::timeout);
	EXPECT_EQ(tokens(), std::vector<dm_token_t>{m->ev_token});
	ASSERT_DM_OK(dm_respond_event(sid_, m->ev_token, DM_RESP_CONTINUE, 0, 0,
				      nullptr));
	auto [rc, err] = sender.get();
	EXPECT_EQ(rc, 0);
	EXPECT_EQ(err, 0);
	EXPECT_TRUE(tokens().empty());
}

TEST_F(Events, AbortReturnsTheErrnoToTheSender)
{
	auto sender = send_sync("recall /b");
	auto buf = wait_one();
	ASSERT_FALSE(buf.empty());
	ASSERT_DM_OK(dm_respond_event(sid_, msg(buf)->ev_token, DM_RESP_ABORT,
				      EIO, 0, nullptr));
	auto [rc, err] = sender.get();
	EXPECT_EQ(rc, -1);
	EXPECT_EQ(err, EIO);
}

TEST_F(Events, RespondTwiceFailsESRCH)
{
	dm_token_t token;
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token));
	ASSERT_DM_OK(dm_respond_event(sid_, token, DM_RESP_CONTINUE, 0, 0, nullptr));
	EXPECT_DM_ERRNO(dm_respond_event(sid_, token, DM_RESP_CONTINUE, 0, 0,
					 nullptr), ESRCH);
}

TEST_F(Events, RespondToUnknownOrInvalidTokenFails)
{
	EXPECT_DM_ERRNO(dm_respond_event(sid_, 0x7ffffff0, DM_RESP_CONTINUE, 0, 0,
					 nullptr), ESRCH);
	EXPECT_DM_ERRNO(dm_respond_event(sid_, DM_INVALID_TOKEN, DM_RESP_CONTINUE,
					 0, 0, nullptr), EINVAL);
	EXPECT_DM_ERRNO(dm_respond_event(sid_, DM_NO_TOKEN, DM_RESP_CONTINUE, 0,
					 0, nullptr), EINVAL);
}

TEST_F(Events, RespondInAnotherSessionFailsESRCH)
{
	char info[] = "other";
	dm_sessid_t other;
	dm_token_t token;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &other));
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token));
	EXPECT_DM_ERRNO(dm_respond_event(other, token, DM_RESP_CONTINUE, 0, 0,
					 nullptr), ESRCH);
	EXPECT_DM_OK(dm_destroy_session(other));
}

TEST_F(Events, RespondWithBadResponseFailsEINVAL)
{
	dm_token_t token;
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token));
	EXPECT_DM_ERRNO(dm_respond_event(sid_, token, DM_RESP_INVALID, 0, 0,
					 nullptr), EINVAL);
	EXPECT_DM_ERRNO(dm_respond_event(sid_, token, (dm_response_t)99, 0, 0,
					 nullptr), EINVAL);
	EXPECT_DM_ERRNO(dm_respond_event(sid_, token, DM_RESP_ABORT, 0, 0,
					 nullptr), EINVAL);
	EXPECT_DM_ERRNO(dm_respond_event(sid_, token, DM_RESP_ABORT, -5, 0,
					 nullptr), EINVAL);
	/* ERESTARTSYS and above are the kernel's, never a process's. */
	EXPECT_DM_ERRNO(dm_respond_event(sid_, token, DM_RESP_ABORT, 512, 0,
					 nullptr), EINVAL);
	EXPECT_DM_ERRNO(dm_respond_event(sid_, token, DM_RESP_ABORT, 4095, 0,
					 nullptr), EINVAL);
	EXPECT_DM_ERRNO(dm_respond_event(sid_, token, DM_RESP_CONTINUE, EIO, 0,
					 nullptr), EINVAL);
	/* DONTCARE is for MOUNT events only. */
	EXPECT_DM_ERRNO(dm_respond_event(sid_, token, DM_RESP_DONTCARE, 0, 0,
					 nullptr), EINVAL);
	/* None of that consumed the token. */
	EXPECT_DM_OK(dm_respond_event(sid_, token, DM_RESP_CONTINUE, 0, 0, nullptr));
}

TEST_F(Events, RespondUnknownSessionFailsEINVAL)
{
	EXPECT_DM_ERRNO(dm_respond_event(0x7ffffff0, 1, DM_RESP_CONTINUE, 0, 0,
					 nullptr), EINVAL);
}

TEST_F(Events, SendToUnknownSessionFailsEINVAL)
{
	char text[] = "x";
	EXPECT_DM_ERRNO(dm_send_msg(0x7ffffff0, DM_MSGTYPE_ASYNC, 1, text), EINVAL);
	EXPECT_DM_ERRNO(dm_send_msg(0x7ffffff0, DM_MSGTYPE_SYNC, 1, text), EINVAL);
}

TEST_F(Events, SendWithBadTypeFailsEINVAL)
{
	char text[] = "x";
	EXPECT_DM_ERRNO(dm_send_msg(sid_, DM_MSGTYPE_INVALID, 1, text), EINVAL);
	EXPECT_DM_ERRNO(dm_send_msg(sid_, (dm_msgtype_t)7, 1, text), EINVAL);
}

/*
 * Asynchronous messages queue without bound while nobody reads them: their
 * memory is the sender's, charged to its memory cgroup, and stays charged
 * after the sender has gone until they are delivered.
 */
TEST_F(Events, AsyncMessagesAreChargedToTheSendersMemoryCgroup)
{
	MemoryCgroup cgroup;
	if (!cgroup.why().empty())
		GTEST_SKIP() << cgroup.why();
	constexpr int kMessages = 2000;
	constexpr long long kSize = 1000;
	const long long sent = kMessages * kSize;
	int rc = in_child([&] {
		if (!cgroup.join())
			return 1;
		std::string text(kSize, 'm');
		return send_async(kMessages, text);
	});
	ASSERT_EQ(rc, 0) << "1: joining the cgroup failed, 2: sending failed, "
			 << "3: sending failed ENOMEM";
	long long queued = cgroup.current();
	EXPECT_GE(queued, sent) << "bytes charged with " << kMessages
				<< " messages of " << kSize << " bytes queued";

	int delivered = deliver_all();
	EXPECT_EQ(delivered, kMessages);
	long long left = cgroup.current();
	for (int i = 0; i < 50 && left >= sent / 4; i++) {
		std::this_thread::sleep_for(100ms);
		left = cgroup.current();
	}
	EXPECT_LT(left, sent / 4) << "bytes still charged after delivery, of "
				  << queued << " while queued";
}

/*
 * A sender that would queue more than its memory cgroup may hold is
 * stopped there, by ENOMEM or the cgroup's OOM killer, and nothing outside
 * the cgroup is: the messages queued before are all delivered.
 */
TEST_F(Events, AsyncMessagesStopAtTheSendersMemoryLimit)
{
	MemoryCgroup cgroup;
	if (!cgroup.why().empty())
		GTEST_SKIP() << cgroup.why();
	constexpr long long kLimit = 16 << 20;
	constexpr int kMessages = 100000;	/* 100 MB: far beyond the limit */
	ASSERT_TRUE(cgroup.limit(kLimit)) << strerror(errno);
	int rc = in_child([&] {
		if (!cgroup.join())
			return 1;
		std::string text(1000, 'm');
		return send_async(kMessages, text);
	});
	EXPECT_TRUE(rc == 3 || rc == 128 + SIGKILL)
		<< "the sender ended with " << rc << " (0: all sent, 1: joining "
		<< "the cgroup failed, 2: another error than ENOMEM)";

	int delivered = deliver_all();
	EXPECT_GT(delivered, 0);
	EXPECT_LT(delivered, kLimit / 1000);
}

/*
 * A synchronous message is the sender's to wait for, and is not queued
 * past its memory cgroup's limit: the sender gets ENOMEM, and the
 * cgroup's OOM killer does not end it; no message reaches the session.
 */
TEST_F(Events, ASyncMessagePastTheSendersMemoryLimitIsNotQueued)
{
	MemoryCgroup cgroup;
	if (!cgroup.why().empty())
		GTEST_SKIP() << cgroup.why();
	if (slurp("/proc/cmdline").find("cgroup.memory=nokmem") != std::string::npos)
		GTEST_SKIP() << "kernel memory is not charged (cgroup.memory=nokmem)";
	constexpr long long kLimit = 2 << 20;
	constexpr size_t kMessage = 8 << 20;
	ModuleParam largest("max_msg_data", std::to_string(kMessage));
	ASSERT_TRUE(cgroup.limit(kLimit)) << strerror(errno);
	/* Made before the child joins the cgroup: only the message counts there. */
	std::string text(kMessage, 'm');
	Child sender([&] {
		if (!cgroup.join())
			return 1;
		if (dm_send_msg(sid_, DM_MSGTYPE_SYNC, text.size(), text.data()) == 0)
			return 0;
		return errno == ENOMEM ? 3 : 2;
	});
	/* Until the sender ends, answering what reaches the session. */
	std::vector<char> buf(kMessage + 4096);
	bool queued = false;
	for (int waited = 0; sender.still_running_after(100) && waited < 600; waited++) {
		size_t rlen = 0;
		if (dm_get_events(sid_, 1, 0, buf.size(), buf.data(), &rlen) != 0) {
			if (errno == EAGAIN)
				continue;
			ADD_FAILURE() << "dm_get_events: " << strerror(errno);
			break;
		}
		queued = true;
		auto *msg = reinterpret_cast<dm_eventmsg_t *>(buf.data());
		EXPECT_DM_OK(dm_respond_event(sid_, msg->ev_token, DM_RESP_CONTINUE, 0, 0, nullptr));
	}
	EXPECT_FALSE(queued) << "the message was queued";
	sender.kill_now();
	int rc = sender.wait();
	EXPECT_EQ(rc, 3) << "0: sent, 1: joining the cgroup failed, 2: another error "
			 << "than ENOMEM, " << 128 + SIGKILL << ": killed";
}

/*
 * A sender whose cgroup can neither hold its messages nor end it (the OOM
 * killer spares it) loses none: past the limit they are queued uncharged.
 */
TEST_F(Events, AsyncMessagesBeyondALimitNoOneCanEnforceAreNotLost)
{
	MemoryCgroup cgroup;
	if (!cgroup.why().empty())
		GTEST_SKIP() << cgroup.why();
	/*
	 * Few and large messages: each refused charge costs the cgroup's
	 * whole reclaim and OOM pass.
	 */
	constexpr long long kLimit = 4 << 20;
	constexpr int kMessages = 400;		/* 6.4 MB */
	ASSERT_TRUE(cgroup.limit(kLimit)) << strerror(errno);
	long before = live_events();
	Child sender([&] {
		std::string text(16000, 'm');
		int fd = open("/proc/self/oom_score_adj", O_WRONLY);
		if (fd < 0 || write(fd, "-1000", 5) != 5)
			return 1;
		/*
		 * Every page it will touch made its own before it joins: at
		 * the limit, a fault would wait for memory for good.
		 */
		if (mlockall(MCL_CURRENT) != 0 || !cgroup.join())
			return 1;
		close(fd);
		return send_async(kMessages, text);
	});
	/*
	 * Stuck: no message queued for 10 s (a debug kernel is slow, not
	 * stuck).  Should it fault all the same, lifting the limit frees it.
	 */
	bool stuck = !live_events_come_to(before + kMessages);
	for (int ms = 0; !stuck && sender.still_running_after(50); ms += 50)
		stuck = ms >= 20000;
	EXPECT_LE(cgroup.current(), kLimit);
	if (stuck) {
		ASSERT_TRUE(cgroup.limit(-1)) << strerror(errno);
	}
	int rc = sender.wait();
	EXPECT_FALSE(stuck) << "the sender was stuck at its cgroup's limit";
	EXPECT_EQ(rc, 0) << "1: joining the cgroup failed, 2: sending failed, "
			 << "3: sending failed ENOMEM";

	int delivered = deliver_all();
	EXPECT_EQ(delivered, kMessages);
}

TEST_F(Events, MessageAboveMaxMessageDataFailsE2BIG)
{
	dm_size_t max = 0;
	ASSERT_DM_OK(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN,
				   DM_CONFIG_MAX_MESSAGE_DATA, &max));
	std::vector<char> big(max + 1, 'b');
	dm_token_t token;
	EXPECT_DM_ERRNO(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, big.size(), big.data()),
			E2BIG);
	EXPECT_DM_ERRNO(dm_create_userevent(sid_, big.size(), big.data(), &token),
			E2BIG);
	/* Exactly the maximum is fine. */
	EXPECT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, max, big.data()));
	std::vector<char> buf(max + 64);
	size_t rlen;
	ASSERT_DM_OK(dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen));
	EXPECT_EQ(DM_GET_LEN(msg(buf), ev_data), max);
}

TEST_F(Events, SendBadBufferFailsEFAULT)
{
	EXPECT_DM_ERRNO(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, 16,
				    reinterpret_cast<void *>(8)), EFAULT);
}

TEST_F(Events, SyncSenderIsInterruptedWithEINTRAndTheEventStays)
{
	int rc = in_child([this] {
		struct sigaction sa = {};
		sa.sa_handler = [](int) {};
		sigaction(SIGALRM, &sa, nullptr);
		alarm(1);
		char text[] = "interrupted";
		int r = dm_send_msg(sid_, DM_MSGTYPE_SYNC, sizeof(text), text);
		return r == -1 && errno == EINTR ? 0 : 1;
	});
	EXPECT_EQ(rc, 0);
	/* The DM application still sees the message and can answer it. */
	auto buf = wait_one();
	ASSERT_FALSE(buf.empty());
	EXPECT_DM_OK(dm_respond_event(sid_, msg(buf)->ev_token, DM_RESP_CONTINUE,
				      0, 0, nullptr));
}

TEST_F(Events, SyncSenderCanAlwaysBeKilled)
{
	pid_t pid = fork();
	if (pid == 0) {
		char text[] = "killed";
		dm_send_msg(sid_, DM_MSGTYPE_SYNC, sizeof(text), text);
		_exit(0);
	}
	ASSERT_GT(pid, 0);
	auto buf = wait_one();
	ASSERT_FALSE(buf.empty());
	ASSERT_EQ(kill(pid, SIGKILL), 0);
	int status = 0;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(WTERMSIG(status), SIGKILL);
	EXPECT_DM_OK(dm_respond_event(sid_, msg(buf)->ev_token, DM_RESP_CONTINUE,
				      0, 0, nullptr));
}

TEST_F(Events, UsereventIsOutstandingButNeverQueued)
{
	char text[] = "user data";
	dm_token_t token = DM_INVALID_TOKEN;
	ASSERT_DM_OK(dm_create_userevent(sid_, sizeof(text), text, &token));
	EXPECT_GT(token, 0);
	EXPECT_EQ(tokens(), std::vector<dm_token_t>{token});
	char buf[128];
	size_t rlen;
	EXPECT_DM_ERRNO(dm_get_events(sid_, 0, 0, sizeof(buf), buf, &rlen), EAGAIN);
	ASSERT_DM_OK(dm_find_eventmsg(sid_, token, sizeof(buf), buf, &rlen));
	auto *m = reinterpret_cast<dm_eventmsg_t *>(buf);
	EXPECT_EQ(m->ev_type, DM_EVENT_USER);
	EXPECT_EQ(m->ev_token, token);
	EXPECT_EQ(payload(m), std::string(text, sizeof(text)));
	EXPECT_DM_OK(dm_respond_event(sid_, token, DM_RESP_CONTINUE, 0, 0, nullptr));
}

/* A token that cannot be stored is not made: EFAULT, nothing outstanding. */
TEST_F(Events, UsereventWhoseTokenCannotBeStoredEFAULTAndMakesNone)
{
	GuardedPage page;
	ASSERT_TRUE(page.ok());
	char text[] = "never outstanding";
	EXPECT_DM_ERRNO(dm_create_userevent(sid_, sizeof(text), text, page.read_only<dm_token_t>()),
			EFAULT);
	EXPECT_TRUE(tokens().empty());
	dm_token_t *tokenp = page.last<dm_token_t>();
	ASSERT_DM_OK(dm_create_userevent(sid_, sizeof(text), text, tokenp));
	EXPECT_EQ(tokens(), std::vector<dm_token_t>{*tokenp});
	EXPECT_DM_OK(dm_respond_event(sid_, *tokenp, DM_RESP_CONTINUE, 0, 0, nullptr));
}

TEST_F(Events, UsereventUnknownSessionFailsEINVAL)
{
	dm_token_t token;
	EXPECT_DM_ERRNO(dm_create_userevent(0x7ffffff0, 0, nullptr, &token), EINVAL);
}

TEST_F(Events, UsereventBadPointersFailEFAULT)
{
	dm_token_t token;
	EXPECT_DM_ERRNO(dm_create_userevent(sid_, 8, reinterpret_cast<void *>(8),
					    &token), EFAULT);
	char text[] = "x";
	EXPECT_DM_ERRNO(dm_create_userevent(sid_, 1, text, nullptr), EFAULT);
	EXPECT_TRUE(tokens().empty());
}

TEST_F(Events, FindEventmsgOfADeliveredSyncMessage)
{
	auto sender = send_sync("find me");
	auto got = wait_one();
	ASSERT_FALSE(got.empty());
	dm_token_t token = msg(got)->ev_token;
	std::vector<char> buf(256);
	size_t rlen = 0;
	ASSERT_DM_OK(dm_find_eventmsg(sid_, token, buf.size(), buf.data(), &rlen));
	EXPECT_EQ(rlen, got.size());
	EXPECT_EQ(payload(msg(buf)), "find me");
	EXPECT_EQ(msg(buf)->ev_sequence, msg(got)->ev_sequence);
	EXPECT_DM_OK(dm_respond_event(sid_, token, DM_RESP_CONTINUE, 0, 0, nullptr));
	EXPECT_EQ(sender.get().first, 0);
}

TEST_F(Events, FindEventmsgTooSmallFailsE2BIGWithTheSize)
{
	char text[] = "0123456789";
	dm_token_t token;
	ASSERT_DM_OK(dm_create_userevent(sid_, 10, text, &token));
	char small[8];
	size_t rlen = 0;
	EXPECT_DM_ERRNO(dm_find_eventmsg(sid_, token, sizeof(small), small, &rlen),
			E2BIG);
	EXPECT_EQ(rlen, 40u);	/* 24 + 10, 8-aligned */
}

TEST_F(Events, FindEventmsgOfUnknownTokenFailsESRCH)
{
	char buf[64];
	size_t rlen;
	EXPECT_DM_ERRNO(dm_find_eventmsg(sid_, 0x7ffffff0, sizeof(buf), buf, &rlen),
			ESRCH);
	EXPECT_DM_ERRNO(dm_find_eventmsg(sid_, DM_NO_TOKEN, sizeof(buf), buf,
					 &rlen), EINVAL);
	EXPECT_DM_ERRNO(dm_find_eventmsg(0x7ffffff0, 1, sizeof(buf), buf, &rlen),
			EINVAL);
}

TEST_F(Events, QueuedButUndeliveredSyncMessageHasNoOutstandingToken)
{
	auto sender = send_sync("not yet read");
	/* Give the sender time to queue. */
	bool queued = false;
	for (int i = 0; i < 500 && !queued && tokens().empty(); i++) {
		char b[8];
		size_t r;
		queued = dm_get_events(sid_, 0, 0, 0, b, &r) == -1 && errno == E2BIG;
		if (!queued)
			std::this_thread::sleep_for(10ms);
	}
	ASSERT_TRUE(queued) << "the message was not seen queued";
	EXPECT_TRUE(tokens().empty());
	auto got = wait_one();
	ASSERT_FALSE(got.empty());
	EXPECT_EQ(tokens().size(), 1u);
	EXPECT_DM_OK(dm_respond_event(sid_, msg(got)->ev_token, DM_RESP_CONTINUE,
				      0, 0, nullptr));
	sender.get();
}

TEST_F(Events, GetallTokensTooSmallFailsE2BIGWithTheCount)
{
	dm_token_t a, b, c;
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &a));
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &b));
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &c));
	dm_token_t two[2];
	unsigned int n = 0;
	EXPECT_DM_ERRNO(dm_getall_tokens(sid_, 2, two, &n), E2BIG);
	EXPECT_EQ(n, 3u);
	EXPECT_EQ(tokens(), (std::vector<dm_token_t>{a, b, c}));
}

TEST_F(Events, GetallTokensUnknownSessionFailsEINVAL)
{
	dm_token_t t[4];
	unsigned int n;
	EXPECT_DM_ERRNO(dm_getall_tokens(0x7ffffff0, 4, t, &n), EINVAL);
}

TEST_F(Events, MoveEventHandsTheSenderToAnotherSession)
{
	char info[] = "target";
	dm_sessid_t target;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &target));
	auto sender = send_sync("move me");
	auto got = wait_one();
	ASSERT_FALSE(got.empty());
	dm_token_t token = msg(got)->ev_token, rtoken = DM_INVALID_TOKEN;
	ASSERT_DM_OK(dm_move_event(sid_, token, target, &rtoken));
	EXPECT_GT(rtoken, 0);
	EXPECT_TRUE(tokens().empty());
	EXPECT_DM_ERRNO(dm_respond_event(sid_, token, DM_RESP_CONTINUE, 0, 0,
					 nullptr), ESRCH);
	std::vector<char> buf(256);
	size_t rlen;
	ASSERT_DM_OK(dm_find_eventmsg(target, rtoken, buf.size(), buf.data(), &rlen));
	EXPECT_EQ(payload(msg(buf)), "move me");
	ASSERT_DM_OK(dm_respond_event(target, rtoken, DM_RESP_ABORT, ENOSPC, 0,
				      nullptr));
	auto [rc, err] = sender.get();
	EXPECT_EQ(rc, -1);
	EXPECT_EQ(err, ENOSPC);
	EXPECT_DM_OK(dm_destroy_session(target));
}

TEST_F(Events, MoveEventErrors)
{
	char info[] = "target";
	dm_sessid_t target;
	dm_token_t token, rtoken;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &target));
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token));
	EXPECT_DM_ERRNO(dm_move_event(sid_, 0x7ffffff0, target, &rtoken), ESRCH);
	EXPECT_DM_ERRNO(dm_move_event(target, token, sid_, &rtoken), ESRCH);
	EXPECT_DM_ERRNO(dm_move_event(sid_, token, 0x7ffffff0, &rtoken), EINVAL);
	EXPECT_DM_ERRNO(dm_move_event(0x7ffffff0, token, target, &rtoken), EINVAL);
	EXPECT_DM_ERRNO(dm_move_event(sid_, DM_NO_TOKEN, target, &rtoken), EINVAL);
	EXPECT_DM_ERRNO(dm_move_event(sid_, token, target, nullptr), EFAULT);
	/* Nothing moved. */
	EXPECT_EQ(tokens(), std::vector<dm_token_t>{token});
	EXPECT_DM_OK(dm_destroy_session(target));
}

/* A token whose new home cannot be stored stays where it was: EFAULT. */
TEST_F(Events, MoveWhoseTokenCannotBeStoredEFAULTAndMovesNothing)
{
	char info[] = "target";
	dm_sessid_t target;
	dm_token_t token;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &target));
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token));
	GuardedPage page;
	ASSERT_TRUE(page.ok());
	EXPECT_DM_ERRNO(dm_move_event(sid_, token, target, page.read_only<dm_token_t>()), EFAULT);
	EXPECT_EQ(tokens(), std::vector<dm_token_t>{token});
	dm_token_t *rtokenp = page.last<dm_token_t>();
	ASSERT_DM_OK(dm_move_event(sid_, token, target, rtokenp));
	EXPECT_EQ(*rtokenp, token);
	EXPECT_TRUE(tokens().empty());
	EXPECT_DM_OK(dm_respond_event(target, token, DM_RESP_CONTINUE, 0, 0, nullptr));
	EXPECT_DM_OK(dm_destroy_session(target));
}

TEST_F(Events, PendingOnOutstandingTokenSucceeds)
{
	dm_token_t token;
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token));
	dm_timestruct_t delay = {5, 0};
	EXPECT_DM_OK(dm_pending(sid_, token, &delay));
	/* SGI never read the delay and programs pass NULL: no delay. */
	EXPECT_DM_OK(dm_pending(sid_, token, nullptr));
}

TEST_F(Events, PendingErrors)
{
	dm_token_t token;
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token));
	dm_timestruct_t delay = {1, 0};
	EXPECT_DM_ERRNO(dm_pending(sid_, 0x7ffffff0, &delay), ESRCH);
	EXPECT_DM_ERRNO(dm_pending(sid_, DM_NO_TOKEN, &delay), EINVAL);
	EXPECT_DM_ERRNO(dm_pending(0x7ffffff0, token, &delay), EINVAL);
	dm_timestruct_t negative = {-1, 0};
	EXPECT_DM_ERRNO(dm_pending(sid_, token, &negative), EINVAL);
}

TEST_F(Events, EventTimeoutFailsTheWaiterWithETIMEDOUT)
{
	ModuleParam timeout("event_timeout", "1");
	auto sender = send_sync("nobody answers");
	auto got = wait_one();
	ASSERT_FALSE(got.empty());
	auto [rc, err] = sender.get();
	EXPECT_EQ(rc, -1);
	EXPECT_EQ(err, ETIMEDOUT);
	/* The event is still outstanding and can be answered. */
	EXPECT_DM_OK(dm_respond_event(sid_, msg(got)->ev_token, DM_RESP_CONTINUE,
				      0, 0, nullptr));
}

TEST_F(Events, PendingExtendsTheTimeout)
{
	ModuleParam timeout("event_timeout", "1");
	auto sender = send_sync("slow recall");
	auto got = wait_one();
	ASSERT_FALSE(got.empty());
	dm_token_t token = msg(got)->ev_token;
	dm_timestruct_t delay = {4, 0};
	ASSERT_DM_OK(dm_pending(sid_, token, &delay));
	/* Well past the 1 s timeout, the sender still waits... */
	EXPECT_EQ(sender.wait_for(2500ms), std::future_status::timeout);
	ASSERT_DM_OK(dm_respond_event(sid_, token, DM_RESP_CONTINUE, 0, 0, nullptr));
	/* ...and gets the answer. */
	EXPECT_EQ(sender.get().first, 0);
}

TEST_F(Events, FullQueueMakesSyncSendersWaitForRoom)
{
	ModuleParam limit("max_queued_msgs", "2");
	auto a = send_sync("a");
	auto b = send_sync("b");
	auto c = send_sync("c");
	std::this_thread::sleep_for(300ms);
	/* Only two are queued, whichever came first; one waits for room. */
	std::vector<char> buf(4096);
	size_t rlen = 0;
	ASSERT_DM_OK(dm_get_events(sid_, 0, DM_EV_WAIT, buf.size(), buf.data(),
				   &rlen));
	auto first = messages(buf, rlen);
	std::vector<std::string> seen;
	std::vector<dm_token_t> answered;
	for (auto *m : first) {
		seen.push_back(payload(m));
		answered.push_back(m->ev_token);
	}
	EXPECT_LE(first.size(), 2u);
	/* Delivery made room: the rest arrive now. */
	while (seen.size() < 3) {
		auto more = wait_one();
		ASSERT_FALSE(more.empty());
		seen.push_back(payload(msg(more)));
		answered.push_back(msg(more)->ev_token);
	}
	std::sort(seen.begin(), seen.end());
	EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
	for (auto t : answered)
		EXPECT_DM_OK(dm_respond_event(sid_, t, DM_RESP_CONTINUE, 0, 0,
					      nullptr));
	EXPECT_EQ(a.get().first, 0);
	EXPECT_EQ(b.get().first, 0);
	EXPECT_EQ(c.get().first, 0);
}

TEST_F(Events, ARaisedQueueLimitLetsTheSenderWaitingForRoomIn)
{
	ModuleParam limit("max_queued_msgs", "1");
	auto a = send_sync("a");
	std::this_thread::sleep_for(300ms);
	auto b = send_sync("b");
	std::this_thread::sleep_for(300ms);
	/* b waits for room; raising the limit makes some, without a read. */
	ModuleParam::write("max_queued_msgs", "2");
	/* Long enough for a woken sender on a loaded host: a read would wake it. */
	std::this_thread::sleep_for(1000ms);
	auto buf = get_all_events(sid_);
	auto got = messages(buf, buf.size());
	EXPECT_EQ(got.size(), 2u) << "the sender waiting for room was not let in";
	std::vector<dm_token_t> answered;
	for (auto *m : got)
		answered.push_back(m->ev_token);
	while (answered.size() < 2) {
		auto more = wait_one();
		ASSERT_FALSE(more.empty());
		answered.push_back(msg(more)->ev_token);
	}
	for (auto t : answered)
		EXPECT_DM_OK(dm_respond_event(sid_, t, DM_RESP_CONTINUE, 0, 0,
					      nullptr));
	EXPECT_EQ(a.get().first, 0);
	EXPECT_EQ(b.get().first, 0);
}

TEST_F(Events, AsyncMessagesAreNotLimitedByTheQueueLimit)
{
	ModuleParam limit("max_queued_msgs", "2");
	char text[] = "x";
	for (int i = 0; i < 10; i++)
		ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, 1, text));
	auto buf = get_all_events(sid_);
	EXPECT_EQ(messages(buf, buf.size()).size(), 10u);
}

TEST_F(Events, FiftySendersOneAnswerEach)
{
	std::vector<std::future<std::pair<int, int>>> senders;
	for (int i = 0; i < 50; i++)
		senders.push_back(send_sync("s" + std::to_string(i)));
	int answered = 0;
	while (answered < 50) {
		std::vector<char> buf(1 << 14);
		size_t rlen = 0;
		ASSERT_DM_OK(dm_get_events(sid_, 0, DM_EV_WAIT, buf.size(),
					   buf.data(), &rlen));
		for (auto *m : messages(buf, rlen)) {
			ASSERT_DM_OK(dm_respond_event(sid_, m->ev_token,
						      DM_RESP_ABORT, 100 + answered % 20,
						      0, nullptr));
			answered++;
		}
	}
	for (auto &s : senders) {
		auto [rc, err] = s.get();
		EXPECT_EQ(rc, -1);
		EXPECT_GE(err, 100);
		EXPECT_LT(err, 120);
	}
}

} // namespace
