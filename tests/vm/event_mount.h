// SPDX-License-Identifier: GPL-2.0
/*
 * The fixture of tests of the events of a mounted filesystem: a session
 * that takes dispositions and sets event lists on the mount, reads its
 * messages one at a time and answers them, and processes whose accesses
 * wait for those answers.
 */
#ifndef DMAPI_TESTS_VM_EVENT_MOUNT_H
#define DMAPI_TESTS_VM_EVENT_MOUNT_H

#include "dmtest.h"

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace dmtest {

/* How long anything that should happen may take before the test gives up. */
constexpr int kPatienceMs = 20000;
/* How long an accessor that should be waiting is watched. */
constexpr int kBlockedMs = 300;

/*
 * A process making an access that may wait for an event: a Child whose
 * end the test can wait for with a bound, so that it never hangs.  The
 * child holds the write end of a pipe until it exits; the read end then
 * reports POLLHUP.
 */
class Accessor {
public:
	/* fn returns 0, or the errno of the access, or kWrongData. */
	template <typename Fn> explicit Accessor(Fn fn)
	{
		int fds[2];
		if (pipe(fds) != 0) {
			ADD_FAILURE() << "pipe: " << strerror(errno);
			return;
		}
		child_ = std::make_unique<Child>(fn);
		close(fds[1]);
		ended_ = fds[0];
	}

	~Accessor()
	{
		child_.reset();	/* killed and reaped if still running */
		if (ended_ >= 0)
			close(ended_);
	}

	Accessor(const Accessor &) = delete;
	Accessor &operator=(const Accessor &) = delete;

	/* Whether it has ended within ms milliseconds. */
	bool ends_within(int ms)
	{
		if (ended_ < 0)
			return false;
		struct pollfd p = {ended_, POLLIN, 0};
		int rc;
		while ((rc = poll(&p, 1, ms)) < 0 && errno == EINTR)
			;
		return rc == 1;
	}

	/* Its exit status (128 + signal if killed), or -1 if it does not end. */
	int result()
	{
		if (!ends_within(kPatienceMs)) {
			ADD_FAILURE() << "the accessor is still waiting after "
				      << kPatienceMs << " ms";
			return -1;
		}
		return child_->wait();
	}

	void kill_now()
	{
		if (child_)
			child_->kill_now();
	}

	pid_t pid() const { return child_ ? child_->pid() : -1; }

private:
	std::unique_ptr<Child> child_;
	int ended_ = -1;
};

/*
 * A dmapi mount and a session of the test's own (info "dmapi-vm-test
 * NAME"), whose every token is answered CONTINUE at the end so that the
 * unmount finds no waiter.
 */
class EventMountTest : public DmapiMountTest {
protected:
	explicit EventMountTest(const char *name) : info_(std::string("dmapi-vm-test ") + name) {}

	void SetUp() override
	{
		DmapiMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info_.data(), &sid_));
		ASSERT_DM_OK(dm_path_to_fshandle(mnt_.data(), &fsh_.hanp, &fsh_.hlen));
	}

	void TearDown() override
	{
		if (sid_ != DM_NO_SESSION) {
			EXPECT_DM_OK(SessionTest::cleanup_session(sid_));
		}
		DmapiMountTest::TearDown();
	}

	/* One message, copied out of the buffer it came in. */
	struct Message {
		std::vector<char> bytes;
		dm_eventmsg_t *msg() { return reinterpret_cast<dm_eventmsg_t *>(bytes.data()); }
		dm_eventtype_t type() { return msg()->ev_type; }
		dm_token_t token() { return msg()->ev_token; }
		template <typename T> T *data() { return DM_GET_VALUE(msg(), ev_data, T *); }
		dm_data_event_t *de() { return data<dm_data_event_t>(); }
	};

	std::string path(const std::string &rel) { return mnt_ + "/" + rel; }
	std::string lower(const std::string &rel) { return lower_ + "/" + rel; }

	void handle_of(const std::string &rel, Handle &h)
	{
		std::string p = path(rel);
		h.reset();
		ASSERT_DM_OK(dm_path_to_handle(p.data(), &h.hanp, &h.hlen));
	}

	/* Hold the dispositions of these events on the filesystem. */
	int take(std::initializer_list<dm_eventtype_t> events)
	{
		dm_eventset_t set = 0;
		for (auto e : events)
			DMEV_SET(e, set);
		return dm_set_disp(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &set,
				   DM_EVENT_MAX);
	}

	/* Set the event list of the filesystem or of a file. */
	int enable(Handle &h, std::initializer_list<dm_eventtype_t> events)
	{
		dm_eventset_t set = 0;
		for (auto e : events)
			DMEV_SET(e, set);
		return dm_set_eventlist(sid_, h.hanp, h.hlen, DM_NO_TOKEN, &set,
					DM_EVENT_MAX);
	}

	/* Replace the managed regions of a file; none clears them. */
	int manage(Handle &h, std::vector<dm_region_t> regions,
		   dm_token_t token = DM_NO_TOKEN)
	{
		dm_boolean_t exact = DM_FALSE;
		return dm_set_region(sid_, h.hanp, h.hlen, token, regions.size(),
				     regions.empty() ? nullptr : regions.data(), &exact);
	}

	/* The next message of the session, waiting up to kPatienceMs. */
	Message next()
	{
		std::vector<char> buf(1 << 16);
		size_t rlen = 0;
		for (int waited = 0; waited < kPatienceMs; waited += 10) {
			if (dm_get_events(sid_, 1, 0, buf.size(), buf.data(), &rlen) == 0) {
				buf.resize(rlen);
				return Message{buf};
			}
			EXPECT_EQ(errno, EAGAIN) << strerror(errno);
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
		ADD_FAILURE() << "no message for the session";
		return Message{std::vector<char>(sizeof(dm_eventmsg_t))};
	}

	bool queue_empty()
	{
		std::vector<char> buf(1 << 16);
		size_t rlen = 0;
		return dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen) != 0 &&
		       errno == EAGAIN;
	}

	unsigned int outstanding_tokens()
	{
		std::vector<dm_token_t> tokens(256);
		unsigned int n = 0;
		EXPECT_DM_OK(dm_getall_tokens(sid_, tokens.size(), tokens.data(), &n));
		return n;
	}

	void respond(dm_token_t token, dm_response_t response, int error = 0)
	{
		EXPECT_DM_OK(dm_respond_event(sid_, token, response, error, 0, nullptr));
	}

	std::string info_;
	dm_sessid_t sid_ = DM_NO_SESSION;
	Handle fsh_;
};

} // namespace dmtest

#endif
