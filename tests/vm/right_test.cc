// SPDX-License-Identifier: GPL-2.0
/*
 * Access rights and object references bound to tokens: dm_request_right,
 * dm_release_right, dm_query_right, dm_upgrade_right, dm_downgrade_right,
 * dm_obj_ref_hold, dm_obj_ref_rele, dm_obj_ref_query; how they exclude
 * each other, that answering the token drops them, that ordinary I/O
 * through the mount waits for them, killably, and that they wait for the
 * I/O admitted before them; and the rights the other calls on an object
 * need of a token, or take with DM_NO_TOKEN.  Tokens come from
 * dm_create_userevent.
 * Needs the scratch filesystem at /mnt/scratch.
 */
#include "dmtest.h"

#include <xdsm/dmapi_ioctl.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <set>
#include <thread>
#include <utility>
#include <vector>

using namespace dmtest;

namespace {

/* Where a process waits for a frozen filesystem to thaw. */
constexpr const char *kFreezeWait = "percpu_rwsem_wait";

/*
 * An access through the mount, admitted and held in the lower
 * filesystem, frozen, until release(): a child started by `start` once
 * the filesystem is frozen.  The filesystem thaws before the child is
 * reaped; calls that may wait for the access are declared before the
 * guard, so that they end before it goes.
 */
class HeldAccess {
public:
	HeldAccess(const std::string &lower, const std::function<std::unique_ptr<Child>()> &start)
		: frozen_(lower)
	{
		if (frozen_.error()) {
			error_ = std::string("FIFREEZE: ") + strerror(frozen_.error());
			return;
		}
		child_ = start();
		if (!waits_in(child_->pid(), kFreezeWait))
			error_ = "the access was not admitted";
	}
	HeldAccess(const HeldAccess &) = delete;
	HeldAccess &operator=(const HeldAccess &) = delete;

	/* Empty once the access is held; else why it is not. */
	const std::string &error() const { return error_; }
	bool still_held() { return child_->still_running_after(0); }
	void release() { frozen_.thaw(); }
	/* The child's exit status, once released. */
	int wait() { return child_->wait(); }

private:
	std::unique_ptr<Child> child_;	/* reaped after the thaw */
	FrozenFilesystem frozen_;
	std::string error_;
};

/* A call running in a thread of ours, for calls that may wait. */
using Pending = std::future<int>;

template <typename Fn> Pending in_thread(Fn fn)
{
	return std::async(std::launch::async, [fn] { return fn() ? errno : 0; });
}

bool still_pending_after(Pending &call, int ms)
{
	return call.wait_for(std::chrono::milliseconds(ms)) == std::future_status::timeout;
}

/* The call's errno (0 for success), or -1 if it has not ended in 60 s. */
int result_of(Pending &call)
{
	return still_pending_after(call, 60000) ? -1 : call.get();
}

/*
 * Answers a token at scope end, giving up its rights: declared after the
 * calls that wait for them, so that those end before they are waited for.
 */
class Answered {
public:
	Answered(dm_sessid_t sid, dm_token_t token) : sid_(sid), token_(token) {}
	~Answered() { dm_respond_event(sid_, token_, DM_RESP_CONTINUE, 0, 0, nullptr); }
	Answered(const Answered &) = delete;
	Answered &operator=(const Answered &) = delete;

private:
	dm_sessid_t sid_;
	dm_token_t token_;
};

class Rights : public DmapiMountTest {
protected:
	void populate() override
	{
		spit(lower_ + "/file", "contents");
		spit(lower_ + "/sink", std::string(4096, 's'));
	}

	void SetUp() override
	{
		DmapiMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		char info[] = "dmapi-vm-test rights";
		ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid_));
		std::string path = mnt_ + "/file";
		ASSERT_DM_OK(dm_path_to_handle(path.data(), &file_.hanp, &file_.hlen));
	}

	void TearDown() override
	{
		if (sid_ != DM_NO_SESSION) {
			EXPECT_DM_OK(SessionTest::cleanup_session(sid_));
		}
		DmapiMountTest::TearDown();
	}

	dm_token_t token()
	{
		char msg[] = "t";
		dm_token_t t = DM_INVALID_TOKEN;
		EXPECT_DM_OK(dm_create_userevent(sid_, sizeof(msg), msg, &t));
		return t;
	}

	int request(dm_token_t t, dm_right_t right, unsigned int flags = 0)
	{
		return dm_request_right(sid_, file_.hanp, file_.hlen, t, flags, right);
	}

	dm_right_t query(dm_token_t t)
	{
		dm_right_t right = static_cast<dm_right_t>(-1);
		EXPECT_DM_OK(dm_query_right(sid_, file_.hanp, file_.hlen, t, &right));
		return right;
	}

	void answer(dm_token_t t)
	{
		EXPECT_DM_OK(dm_respond_event(sid_, t, DM_RESP_CONTINUE, 0, 0, nullptr));
	}

	/*
	 * A request of token a waiting for b's shared right to go settles
	 * when another call of a gives a a shared right meanwhile (an upgrade
	 * asked to wait: EACCES), whether b then lets go or not.
	 */
	void expect_a_waiting_request_to_settle_at_its_tokens_right(bool b_lets_go)
	{
		dm_token_t a = token(), b = token();
		ASSERT_DM_OK(request(b, DM_RIGHT_SHARED));
		Pending waiting;
		Answered ends_the_wait(sid_, a);
		waiting = in_thread([this, a] { return request(a, DM_RIGHT_EXCL, DM_RR_WAIT); });
		ASSERT_TRUE(still_pending_after(waiting, 300));
		ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
		if (b_lets_go) {
			ASSERT_DM_OK(dm_release_right(sid_, file_.hanp, file_.hlen, b));
		}
		bool slept_on = still_pending_after(waiting, 10000);
		EXPECT_FALSE(slept_on) << "the request slept on";
		if (slept_on)
			answer(a);
		EXPECT_EQ(result_of(waiting), slept_on ? ESRCH : EACCES);
	}

	/* In a child: read the file through the mount; 0 if it read it. */
	std::unique_ptr<Child> read_in_child()
	{
		std::string path = mnt_ + "/file";
		return std::make_unique<Child>([path] {
			char buf[16] = {};
			int fd = open(path.c_str(), O_RDONLY);
			return fd >= 0 && pread(fd, buf, sizeof(buf), 0) == 8 &&
					       std::string(buf) == "contents"
				       ? 0
				       : 1;
		});
	}

	/*
	 * In a child: read the file through the mount into a shared mapping
	 * of another file of the lower filesystem.  While that filesystem is
	 * frozen, the read, admitted, waits in it to write into the mapping.
	 */
	std::unique_ptr<Child> read_into_mapping_in_child()
	{
		std::string path = mnt_ + "/file", sink = lower_ + "/sink";
		return std::make_unique<Child>([path, sink] {
			int fd = open(path.c_str(), O_RDONLY);
			int sink_fd = open(sink.c_str(), O_RDWR);
			void *map = mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
					 MAP_SHARED, sink_fd, 0);
			if (fd < 0 || map == MAP_FAILED)
				return 2;
			return pread(fd, map, 8, 0) == 8 && !memcmp(map, "contents", 8)
				       ? 0
				       : 1;
		});
	}

	/*
	 * In a child: a shared writable mapping of the file made through the
	 * mount, `first` stored at 0 at once unless 0 (its page then dirty
	 * and writable), then, once told to go on, `then` stored there, and
	 * synced.  Made before a test freezes the lower filesystem, the
	 * mapping does not wait there itself (for its atime).
	 */
	std::unique_ptr<Child> storing_through_a_mapping_in_child(Handshake &hs, char first,
								  char then)
	{
		std::string path = mnt_ + "/file";
		return std::make_unique<Child>([path, &hs, first, then] {
			int fd = open(path.c_str(), O_RDWR);
			void *map = fd < 0 ? MAP_FAILED
					   : mmap(nullptr, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (map == MAP_FAILED)
				return 2;
			auto *c = static_cast<char *>(map);
			if (first)
				c[0] = first;
			hs.ready();
			if (!hs.wait_go())
				return 3;
			c[0] = then;
			return msync(map, 8, MS_SYNC) ? 1 : 0;
		});
	}

	/*
	 * storer: a child whose store through a mapping made before token a
	 * took a shared right waits for the right.
	 */
	void start_a_store_waiting_for_a_right(Handshake &hs, dm_token_t a,
					       std::unique_ptr<Child> &storer)
	{
		storer = storing_through_a_mapping_in_child(hs, 'M', 'N');
		ASSERT_TRUE(hs.ready_within(10000)) << "not mapped";
		ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
		hs.go();
		ASSERT_TRUE(waits_in(storer->pid(), "dm_rights_io_wait")) << "the store did not wait";
	}

	std::unique_ptr<Child> write_in_child()
	{
		std::string path = mnt_ + "/file";
		return std::make_unique<Child>([path] {
			int fd = open(path.c_str(), O_WRONLY);
			return fd >= 0 && pwrite(fd, "C", 1, 0) == 1 ? 0 : 1;
		});
	}

	/*
	 * An access through the mount (`what`, started by `start`) held
	 * admitted; an exclusive right asked for then is granted only once
	 * the access has ended, and finds the file holding `after` (unless
	 * empty).
	 */
	void expect_an_exclusive_right_to_wait_for(
		const std::function<std::unique_ptr<Child>()> &start, const std::string &what,
		const std::string &after)
	{
		dm_token_t a = token();
		Pending granted;
		HeldAccess access(lower_, start);
		ASSERT_EQ(access.error(), "");
		granted = in_thread([&] { return request(a, DM_RIGHT_EXCL); });
		EXPECT_TRUE(still_pending_after(granted, 300))
			<< "granted while a " << what << " admitted before it was running";
		access.release();
		int err = result_of(granted);
		EXPECT_EQ(err, 0);
		if (!after.empty()) {
			EXPECT_EQ(slurp(lower_ + "/file"), after)
				<< "granted before the " << what << " ended";
		}
		/* An access that came after the right waits for it. */
		if (!err) {
			EXPECT_DM_OK(dm_release_right(sid_, file_.hanp, file_.hlen, a));
		}
		EXPECT_EQ(access.wait(), 0);
	}

	void expect_an_exclusive_right_to_wait_for_a_held_write()
	{
		expect_an_exclusive_right_to_wait_for([this] { return write_in_child(); }, "write",
						      "Contents");
	}

	/* dm_read_invis of the file: 0, or -1 with errno. */
	int read_invis_of_file(dm_token_t t = DM_NO_TOKEN)
	{
		char buf[8];
		return dm_read_invis(sid_, file_.hanp, file_.hlen, t, 0, sizeof(buf), buf) < 0 ? -1
											       : 0;
	}

	/*
	 * Whether `call`, made while a write admitted before it is held,
	 * still waits after ms; it must end, with 0, once the write ends.
	 */
	bool waits_for_a_held_write(const std::function<int()> &call, int ms)
	{
		Pending called;
		HeldAccess write(lower_, [this] { return write_in_child(); });
		EXPECT_EQ(write.error(), "");
		if (!write.error().empty())
			return false;
		called = in_thread(call);
		bool waited = still_pending_after(called, ms);
		write.release();
		EXPECT_EQ(result_of(called), 0);
		EXPECT_EQ(write.wait(), 0);
		return waited;
	}

	void expect_an_access_held_off_by_a_calls_right_to_go_on(const std::function<int()> &access);

	/*
	 * In a child: a shared mapping of `into` made through the mount, and,
	 * once told to go on, `call`, with no token, on a buffer there; it
	 * exits 0 if the call returned 0, 3 if it failed EDEADLK, 1 if it
	 * failed otherwise.
	 */
	std::unique_ptr<Child> call_into_a_mapping_in_child(Handshake &hs, const std::string &into,
							     const std::function<int(void *)> &call)
	{
		std::string path = mnt_ + "/" + into;
		return std::make_unique<Child>([path, call, &hs] {
			int fd = open(path.c_str(), O_RDWR);
			void *map = fd < 0 ? MAP_FAILED
					   : mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
						  MAP_SHARED, fd, 0);
			if (map == MAP_FAILED)
				return 2;
			hs.ready();
			if (!hs.wait_go())
				return 2;
			if (call(map))
				return errno == EDEADLK ? 3 : 1;
			return 0;
		});
	}

	/* call_into_a_mapping_in_child() of `into`, going on at once. */
	std::unique_ptr<Child> call_into_a_mapping_now(Handshake &hs, const std::string &into,
						       const std::function<int(void *)> &call)
	{
		auto child = call_into_a_mapping_in_child(hs, into, call);
		EXPECT_TRUE(hs.ready_within(10000)) << "not mapped";
		hs.go();
		return child;
	}

	/* dm_read_invis of the file, with no token, into buf: 0 if it read it. */
	int read_invis_into(void *buf)
	{
		if (dm_read_invis(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 0, 8, buf) != 8)
			return -1;
		return memcmp(buf, "contents", 8) ? (errno = EIO, -1) : 0;
	}

	/* The token of a READ event that came within ms, or DM_INVALID_TOKEN. */
	dm_token_t read_event_within(int ms)
	{
		std::vector<char> buf(4096);
		size_t rlen;
		for (int waited = 0; waited <= ms; waited += 10) {
			if (dm_get_events(sid_, 1, 0, buf.size(), buf.data(), &rlen) == 0) {
				auto *m = reinterpret_cast<dm_eventmsg_t *>(buf.data());
				return m->ev_type == DM_EVENT_READ ? m->ev_token : DM_INVALID_TOKEN;
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
		return DM_INVALID_TOKEN;
	}

	dm_sessid_t sid_ = DM_NO_SESSION;
	Handle file_;
};

TEST_F(Rights, RequestedRightIsQueried)
{
	dm_token_t t = token();
	EXPECT_EQ(query(t), DM_RIGHT_NULL);
	ASSERT_DM_OK(request(t, DM_RIGHT_SHARED));
	EXPECT_EQ(query(t), DM_RIGHT_SHARED);
	ASSERT_DM_OK(request(t, DM_RIGHT_SHARED)) << "held already";
	EXPECT_EQ(query(t), DM_RIGHT_SHARED);
}

TEST_F(Rights, SharedRightsCoexistExclusiveDoesNotEAGAIN)
{
	dm_token_t a = token(), b = token(), c = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
	ASSERT_DM_OK(request(b, DM_RIGHT_SHARED));
	EXPECT_DM_ERRNO(request(c, DM_RIGHT_EXCL), EAGAIN);
	EXPECT_EQ(query(c), DM_RIGHT_NULL);
}

TEST_F(Rights, ExclusiveRightExcludesEveryOtherTokenEAGAIN)
{
	dm_token_t a = token(), b = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_EXCL));
	EXPECT_DM_ERRNO(request(b, DM_RIGHT_SHARED), EAGAIN);
	EXPECT_DM_ERRNO(request(b, DM_RIGHT_EXCL), EAGAIN);
	ASSERT_DM_OK(request(a, DM_RIGHT_SHARED)) << "a weaker right is held already";
	EXPECT_EQ(query(a), DM_RIGHT_EXCL);
}

TEST_F(Rights, WaitingRequestIsGrantedWhenTheRightIsReleased)
{
	dm_token_t a = token(), b = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_EXCL));
	int rc = -2;
	std::thread waiter([&] { rc = request(b, DM_RIGHT_SHARED, DM_RR_WAIT); });
	std::this_thread::sleep_for(std::chrono::milliseconds(300));
	EXPECT_EQ(rc, -2) << "granted while the exclusive right was held";
	EXPECT_DM_OK(dm_release_right(sid_, file_.hanp, file_.hlen, a));
	waiter.join();
	EXPECT_EQ(rc, 0) << strerror(errno);
	EXPECT_EQ(query(b), DM_RIGHT_SHARED);
}

TEST_F(Rights, AnsweringTheEventDropsItsRights)
{
	dm_token_t a = token(), b = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_EXCL));
	answer(a);
	EXPECT_DM_OK(request(b, DM_RIGHT_EXCL));
}

TEST_F(Rights, WaitEndsESRCHWhenItsOwnTokenIsAnswered)
{
	dm_token_t a = token(), b = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_EXCL));
	int rc = 0, err = 0;
	std::promise<pid_t> requester;
	std::thread waiter([&] {
		requester.set_value(static_cast<pid_t>(syscall(SYS_gettid)));
		rc = request(b, DM_RIGHT_EXCL, DM_RR_WAIT);
		err = errno;
	});
	bool waiting = waits_in(requester.get_future().get(), "dm_ioc_request_right");
	answer(b);	/* the exclusive right of a stays */
	waiter.join();
	ASSERT_TRUE(waiting) << "the request did not wait";
	EXPECT_EQ(rc, -1);
	EXPECT_EQ(err, ESRCH);
	EXPECT_EQ(query(a), DM_RIGHT_EXCL);
}

TEST_F(Rights, WaitingRequesterCanBeKilled)
{
	dm_token_t a = token(), b = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_EXCL));
	dm_sessid_t sid = sid_;
	Handle &file = file_;
	Child child([&] {
		return dm_request_right(sid, file.hanp, file.hlen, b, DM_RR_WAIT,
					DM_RIGHT_SHARED) ? errno : 0;
	});
	EXPECT_TRUE(child.still_running_after(200));
	child.kill_now();
	EXPECT_EQ(child.wait(), 128 + SIGKILL);
	EXPECT_EQ(query(b), DM_RIGHT_NULL);
}

TEST_F(Rights, UpgradingByRequestWithWaitFailsEACCES)
{
	dm_token_t a = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
	EXPECT_DM_ERRNO(request(a, DM_RIGHT_EXCL, DM_RR_WAIT), EACCES);
	EXPECT_DM_OK(request(a, DM_RIGHT_EXCL)) << "the only holder upgrades";
	EXPECT_EQ(query(a), DM_RIGHT_EXCL);
}

TEST_F(Rights, AWaitingRequestSettlesWhenItsTokenGetsARightMeanwhile)
{
	expect_a_waiting_request_to_settle_at_its_tokens_right(true);
}

TEST_F(Rights, AWaitingRequestSettlesWhenItsTokenGetsARightWhileOthersStillHoldTheirs)
{
	expect_a_waiting_request_to_settle_at_its_tokens_right(false);
}

/*
 * A right is on its object, not on an inode number: a file made after the
 * object was removed, given its number, is not under it.
 */
TEST_F(Rights, ARightDoesNotPassToTheNextFileGivenItsRemovedObjectsInodeNumber)
{
	dm_token_t a = token(), b = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_EXCL));
	struct stat st;
	ASSERT_EQ(stat((lower_ + "/file").c_str(), &st), 0);
	/* Namespace changes wait for no right. */
	ASSERT_EQ(unlink((mnt_ + "/file").c_str()), 0) << strerror(errno);
	/* Made below the mount, which would wait for the right on reuse. */
	std::string reused = make_until_inode_reused(lower_, st.st_ino, "contents");
	if (reused.empty())
		GTEST_SKIP() << "no new file got inode " << st.st_ino;
	Handle reuser;
	std::string path = mnt_ + "/" + reused;
	ASSERT_DM_OK(dm_path_to_handle(path.data(), &reuser.hanp, &reuser.hlen));
	dm_right_t right = static_cast<dm_right_t>(-1);
	EXPECT_DM_OK(dm_query_right(sid_, reuser.hanp, reuser.hlen, a, &right));
	EXPECT_EQ(right, DM_RIGHT_NULL);
	EXPECT_DM_ERRNO(dm_punch_hole(sid_, reuser.hanp, reuser.hlen, a, 0, 0), EACCES);
	EXPECT_DM_OK(dm_request_right(sid_, reuser.hanp, reuser.hlen, b, 0, DM_RIGHT_SHARED));
	/* A read of it waits for nobody. */
	auto reader = std::make_unique<Child>([path] {
		char buf[16] = {};
		int fd = open(path.c_str(), O_RDONLY);
		return fd >= 0 && pread(fd, buf, sizeof(buf), 0) == 8 ? 0 : 1;
	});
	bool waited = reader->still_running_after(2000);
	EXPECT_FALSE(waited) << "a read of the new file waited for the old one's right";
	if (waited)
		answer(a);
	EXPECT_EQ(reader->wait(), 0);
}

TEST_F(Rights, AChangeOfARightWhoseArgumentCannotBeWrittenBackSucceeds)
{
	dm_token_t a = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
	void *page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(page, MAP_FAILED);
	auto *arg = static_cast<dmapi_right_arg *>(page);
	arg->sid = sid_;
	arg->token = a;
	arg->hanp = reinterpret_cast<std::uintptr_t>(file_.hanp);
	arg->hlen = file_.hlen;
	ASSERT_EQ(mprotect(page, 4096, PROT_READ), 0);
	int dev = open("/dev/dmapi", O_RDWR | O_CLOEXEC);
	ASSERT_GE(dev, 0) << strerror(errno);
	int rc = ioctl(dev, DMAPI_IOC_RELEASE_RIGHT, arg);
	int err = errno;
	close(dev);
	munmap(page, 4096);
	EXPECT_EQ(rc, 0) << "released, then failed: " << strerror(err);
	EXPECT_EQ(query(a), DM_RIGHT_NULL);
}

TEST_F(Rights, UpgradeAndDowngrade)
{
	dm_token_t a = token(), b = token();
	EXPECT_DM_ERRNO(dm_upgrade_right(sid_, file_.hanp, file_.hlen, a), EPERM);
	EXPECT_DM_ERRNO(dm_downgrade_right(sid_, file_.hanp, file_.hlen, a), EPERM);
	ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
	EXPECT_DM_ERRNO(dm_downgrade_right(sid_, file_.hanp, file_.hlen, a), EPERM);
	ASSERT_DM_OK(request(b, DM_RIGHT_SHARED));
	EXPECT_DM_ERRNO(dm_upgrade_right(sid_, file_.hanp, file_.hlen, a), EAGAIN);
	ASSERT_DM_OK(dm_release_right(sid_, file_.hanp, file_.hlen, b));
	EXPECT_DM_OK(dm_upgrade_right(sid_, file_.hanp, file_.hlen, a));
	EXPECT_EQ(query(a), DM_RIGHT_EXCL);
	EXPECT_DM_OK(dm_upgrade_right(sid_, file_.hanp, file_.hlen, a)) << "already";
	EXPECT_DM_OK(dm_downgrade_right(sid_, file_.hanp, file_.hlen, a));
	EXPECT_EQ(query(a), DM_RIGHT_SHARED);
	EXPECT_DM_OK(request(b, DM_RIGHT_SHARED)) << "shared again";
}

TEST_F(Rights, ReleasingNoRightFailsEACCES)
{
	dm_token_t a = token();
	EXPECT_DM_ERRNO(dm_release_right(sid_, file_.hanp, file_.hlen, a), EACCES);
	ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
	EXPECT_DM_OK(dm_release_right(sid_, file_.hanp, file_.hlen, a));
	EXPECT_DM_ERRNO(dm_release_right(sid_, file_.hanp, file_.hlen, a), EACCES);
}

TEST_F(Rights, BadArguments)
{
	dm_token_t a = token();
	Handle fsh;
	ASSERT_DM_OK(dm_path_to_fshandle(mnt_.data(), &fsh.hanp, &fsh.hlen));
	EXPECT_DM_ERRNO(request(DM_NO_TOKEN, DM_RIGHT_SHARED), EINVAL);
	EXPECT_DM_ERRNO(request(a, DM_RIGHT_NULL), EINVAL);
	EXPECT_DM_ERRNO(request(a, static_cast<dm_right_t>(7)), EINVAL);
	EXPECT_DM_ERRNO(request(a, DM_RIGHT_SHARED, 0x2), EINVAL);
	EXPECT_DM_ERRNO(request(kNotOutstanding, DM_RIGHT_SHARED), ESRCH);
	EXPECT_DM_ERRNO(dm_request_right(kNoSuchSession, file_.hanp, file_.hlen, a, 0,
					 DM_RIGHT_SHARED), EINVAL);
	EXPECT_DM_ERRNO(dm_request_right(sid_, fsh.hanp, fsh.hlen, a, 0,
					 DM_RIGHT_SHARED), EINVAL);
	EXPECT_DM_ERRNO(dm_request_right(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, a, 0,
					 DM_RIGHT_SHARED), EINVAL);
	dm_right_t right;
	EXPECT_DM_ERRNO(dm_query_right(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN,
				       &right), EINVAL);
	EXPECT_DM_ERRNO(dm_query_right(sid_, file_.hanp, file_.hlen, a, nullptr), EFAULT);
	EXPECT_DM_ERRNO(dm_obj_ref_hold(sid_, a, fsh.hanp, fsh.hlen), EINVAL);
}

TEST_F(Rights, RemovedObjectFailsEBADF)
{
	dm_token_t a = token();
	ASSERT_EQ(unlink((mnt_ + "/file").c_str()), 0);
	EXPECT_DM_ERRNO(request(a, DM_RIGHT_SHARED), EBADF);
}

TEST_F(Rights, ReadsThroughTheMountWaitForAnExclusiveRight)
{
	dm_token_t a = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_EXCL));
	auto reader = read_in_child();
	EXPECT_TRUE(reader->still_running_after(300)) << "read while held exclusively";
	ASSERT_DM_OK(dm_release_right(sid_, file_.hanp, file_.hlen, a));
	EXPECT_EQ(reader->wait(), 0);
}

TEST_F(Rights, SharedRightLetsReadsThroughAndHoldsWrites)
{
	dm_token_t a = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
	EXPECT_EQ(read_in_child()->wait(), 0);
	auto writer = write_in_child();
	EXPECT_TRUE(writer->still_running_after(300)) << "wrote while held shared";
	answer(a);
	EXPECT_EQ(writer->wait(), 0);
	EXPECT_EQ(std::ifstream(lower_ + "/file").get(), 'C');
}

TEST_F(Rights, TruncationWaitsForARight)
{
	dm_token_t a = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
	std::string path = mnt_ + "/file";
	Child truncater([path] { return truncate(path.c_str(), 2) ? errno : 0; });
	EXPECT_TRUE(truncater.still_running_after(300));
	ASSERT_DM_OK(dm_release_right(sid_, file_.hanp, file_.hlen, a));
	EXPECT_EQ(truncater.wait(), 0);
}

/*
 * The changes of attributes through the mount, each a child's return
 * value: 0 or the errno.  Every one waits for a right on the file, as a
 * write does (an HSM reads the attributes it migrates with, and a punch
 * puts back the times it found).
 */
std::vector<std::pair<const char *, std::function<int(const std::string &)>>>
attribute_changes()
{
	return {
		{"chmod", [](const std::string &p) { return chmod(p.c_str(), 0600) ? errno : 0; }},
		{"chown", [](const std::string &p) { return chown(p.c_str(), 1, 1) ? errno : 0; }},
		{"utimes", [](const std::string &p) {
			 struct timespec t[2] = {{1000, 0}, {1000, 0}};
			 return utimensat(AT_FDCWD, p.c_str(), t, 0) ? errno : 0;
		 }},
		{"setxattr", [](const std::string &p) {
			 return setxattr(p.c_str(), "user.note", "v", 1, 0) ? errno : 0;
		 }},
		{"removexattr", [](const std::string &p) {
			 return removexattr(p.c_str(), "user.kept") ? errno : 0;
		 }},
		{"chattr", [](const std::string &p) {
			 int fd = open(p.c_str(), O_RDONLY);
			 int flags = 0;
			 int rc = fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) ? errno : 0;
			 flags |= FS_NODUMP_FL;
			 if (!rc && ioctl(fd, FS_IOC_SETFLAGS, &flags))
				 rc = errno;
			 if (fd >= 0)
				 close(fd);
			 return rc;
		 }},
		{"setfacl", [](const std::string &p) {
			 /* user::rw- user:1:r-- group::r-- mask::r-- other::--- */
			 struct {
				 std::uint32_t version;
				 struct {
					 std::uint16_t tag, perm;
					 std::uint32_t id;
				 } e[5];
			 } acl = {2,
				  {{0x01, 6, ~0u}, {0x02, 4, 1}, {0x04, 4, ~0u}, {0x10, 4, ~0u},
				   {0x20, 0, ~0u}}};
			 return setxattr(p.c_str(), "system.posix_acl_access", &acl, sizeof(acl), 0)
					? errno
					: 0;
		 }},
	};
}

TEST_F(Rights, AttributeChangesThroughTheMountWaitForARight)
{
	std::string path = mnt_ + "/file";
	ASSERT_EQ(setxattr((lower_ + "/file").c_str(), "user.kept", "k", 1, 0), 0) << strerror(errno);
	for (auto &[name, change] : attribute_changes()) {
		SCOPED_TRACE(name);
		struct stat before;
		ASSERT_EQ(stat((lower_ + "/file").c_str(), &before), 0);
		dm_token_t a = token();
		ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
		Child changer([&change, path] { return change(path); });
		EXPECT_TRUE(changer.still_running_after(300)) << "changed under the right";
		struct stat during;
		ASSERT_EQ(stat((lower_ + "/file").c_str(), &during), 0);
		EXPECT_EQ(during.st_ctime, before.st_ctime);
		EXPECT_EQ(during.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
		ASSERT_DM_OK(dm_respond_event(sid_, a, DM_RESP_CONTINUE, 0, 0, nullptr));
		int rc = changer.wait();
		EXPECT_EQ(rc, 0) << strerror(rc);
	}
}

/*
 * A right asked for while an attribute change through the mount is
 * admitted, held in the lower filesystem, waits for it to end.
 */
TEST_F(Rights, ARightWaitsForAnAttributeChangeAdmittedBeforeIt)
{
	std::string path = mnt_ + "/file";
	ASSERT_EQ(setxattr((lower_ + "/file").c_str(), "user.kept", "k", 1, 0), 0) << strerror(errno);
	for (auto &[name, change] : attribute_changes()) {
		SCOPED_TRACE(name);
		auto start = [&change = change, path] {
			return std::make_unique<Child>([&change, path] { return change(path); });
		};
		expect_an_exclusive_right_to_wait_for(start, name, "");
	}
}

/*
 * Each kind of change waiting for a right can be killed, and leaves the
 * locks it waited under as they were: the same change goes through once
 * the right is gone.
 */
TEST_F(Rights, AnAttributeChangeWaitingForARightCanBeKilled)
{
	std::string path = mnt_ + "/file";
	ASSERT_EQ(setxattr((lower_ + "/file").c_str(), "user.kept", "k", 1, 0), 0) << strerror(errno);
	for (auto &[name, change] : attribute_changes()) {
		SCOPED_TRACE(name);
		struct stat before, after;
		ASSERT_EQ(stat((lower_ + "/file").c_str(), &before), 0);
		dm_token_t a = token();
		ASSERT_DM_OK(request(a, DM_RIGHT_EXCL));
		Child changer([&change = change, path] { return change(path); });
		ASSERT_TRUE(waits_in(changer.pid(), "dm_rights_io_wait")) << "the change did not wait";
		changer.kill_now();
		EXPECT_EQ(changer.wait(), 128 + SIGKILL);
		ASSERT_EQ(stat((lower_ + "/file").c_str(), &after), 0);
		EXPECT_EQ(after.st_ctim.tv_sec, before.st_ctim.tv_sec) << "changed though killed";
		EXPECT_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec) << "changed though killed";
		ASSERT_DM_OK(dm_respond_event(sid_, a, DM_RESP_CONTINUE, 0, 0, nullptr));
		Child again([&change = change, path] { return change(path); });
		int rc = again.wait();
		EXPECT_EQ(rc, 0) << "the locks were left unbalanced: " << strerror(rc);
	}
}

/*
 * A right makes the pages of a file mapped writably before it clean, so
 * that a store to a page already dirty faults again, and waits.
 */
TEST_F(Rights, AStoreThroughAMappingMadeBeforeARightWaitsForIt)
{
	dm_token_t a = token();
	Handshake hs;
	std::unique_ptr<Child> storer;
	ASSERT_NO_FATAL_FAILURE(start_a_store_waiting_for_a_right(hs, a, storer));
	EXPECT_EQ(slurp(lower_ + "/file"), "Montents") << "stored under the right";
	ASSERT_DM_OK(dm_release_right(sid_, file_.hanp, file_.hlen, a));
	EXPECT_EQ(storer->wait(), 0);
	EXPECT_EQ(slurp(lower_ + "/file"), "Nontents");
}

TEST_F(Rights, AStoreWaitingForARightCanBeKilled)
{
	dm_token_t a = token();
	Handshake hs;
	std::unique_ptr<Child> storer;
	ASSERT_NO_FATAL_FAILURE(start_a_store_waiting_for_a_right(hs, a, storer));
	storer->kill_now();
	EXPECT_EQ(storer->wait(), 128 + SIGKILL);
}

TEST_F(Rights, BlockedReaderCanBeKilled)
{
	dm_token_t a = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_EXCL));
	auto reader = read_in_child();
	ASSERT_TRUE(reader->still_running_after(200));
	reader->kill_now();
	EXPECT_EQ(reader->wait(), 128 + SIGKILL);
}

TEST_F(Rights, ASignalTheBlockedReaderCatchesDoesNotFailItsRead)
{
	dm_token_t a = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_EXCL));
	std::string path = mnt_ + "/file";
	Child reader([path] {
		struct sigaction sa = {};
		sa.sa_handler = [](int) {};	/* no SA_RESTART */
		sigaction(SIGUSR1, &sa, nullptr);
		char buf[16] = {};
		int fd = open(path.c_str(), O_RDONLY);
		ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf), 0);
		return n == 8 ? 0 : n < 0 ? errno : 100;
	});
	ASSERT_TRUE(waits_in(reader.pid(), "dm_rights_io_wait")) << "the read did not wait";
	ASSERT_EQ(kill(reader.pid(), SIGUSR1), 0);
	EXPECT_TRUE(reader.still_running_after(300)) << "the caught signal ended the wait";
	ASSERT_DM_OK(dm_release_right(sid_, file_.hanp, file_.hlen, a));
	EXPECT_EQ(reader.wait(), 0) << "the read failed (EINTR is 4)";
}

TEST_F(Rights, ExclusiveRightWaitsForAWriteAdmittedBeforeIt)
{
	expect_an_exclusive_right_to_wait_for_a_held_write();
}

TEST_F(Rights, ExclusiveRightWaitsForAStoreThroughAMappingAdmittedBeforeIt)
{
	Handshake hs;
	auto storer = storing_through_a_mapping_in_child(hs, 0, 'S');
	ASSERT_TRUE(hs.ready_within(10000)) << "not mapped";
	/*
	 * Once the store's fault ended, the drain's writeback may make the
	 * page read-only again before the store is retried: then it waits
	 * for the right it was admitted before.
	 */
	expect_an_exclusive_right_to_wait_for(
		[&] {
			hs.go();
			return std::move(storer);
		},
		"store", "");
	EXPECT_EQ(slurp(lower_ + "/file"), "Sontents");
}

TEST_F(Rights, ExclusiveRightWaitsForAReadAdmittedBeforeIt)
{
	expect_an_exclusive_right_to_wait_for([this] { return read_into_mapping_in_child(); },
					      "read", "");
}

TEST_F(Rights, SharedRightDoesNotWaitForAReadAdmittedBeforeIt)
{
	dm_token_t a = token();
	Pending granted;
	HeldAccess read(lower_, [this] { return read_into_mapping_in_child(); });
	ASSERT_EQ(read.error(), "");
	granted = in_thread([&] { return request(a, DM_RIGHT_SHARED); });
	EXPECT_FALSE(still_pending_after(granted, 20000)) << "a shared right waited for a read";
	EXPECT_TRUE(read.still_held());
	read.release();
	EXPECT_EQ(result_of(granted), 0);
	EXPECT_EQ(read.wait(), 0);
}

TEST_F(Rights, UpgradeWaitsForAReadAdmittedBeforeIt)
{
	dm_token_t a = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
	Pending upgraded;
	HeldAccess read(lower_, [this] { return read_into_mapping_in_child(); });
	ASSERT_EQ(read.error(), "");
	upgraded = in_thread([&] { return dm_upgrade_right(sid_, file_.hanp, file_.hlen, a); });
	EXPECT_TRUE(still_pending_after(upgraded, 300))
		<< "upgraded while a read admitted before it was running";
	read.release();
	EXPECT_EQ(result_of(upgraded), 0);
	EXPECT_EQ(query(a), DM_RIGHT_EXCL);
	EXPECT_EQ(read.wait(), 0);
}

/* An upgrade interrupted so keeps the shared right it had. */
TEST_F(Rights, ASignalEndsAnUpgradesWaitForAdmittedIOEINTRKeepingTheSharedRight)
{
	dm_token_t a = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
	CaughtSignal usr1(SIGUSR1);
	std::atomic<pid_t> upgrader{0};
	Pending upgraded;
	HeldAccess read(lower_, [this] { return read_into_mapping_in_child(); });
	ASSERT_EQ(read.error(), "");
	upgraded = in_thread([&] {
		upgrader = gettid();
		return dm_upgrade_right(sid_, file_.hanp, file_.hlen, a);
	});
	while (!upgrader)
		std::this_thread::yield();
	ASSERT_TRUE(waits_in(upgrader, "dmfs_drain_io")) << "the upgrade did not wait";
	ASSERT_EQ(syscall(SYS_tgkill, getpid(), upgrader.load(), SIGUSR1), 0);
	EXPECT_EQ(result_of(upgraded), EINTR);
	EXPECT_EQ(query(a), DM_RIGHT_SHARED);
	read.release();
	EXPECT_EQ(read.wait(), 0);
}

TEST_F(Rights, ASignalEndsTheWaitForAdmittedIOEINTRHoldingNothing)
{
	dm_token_t a = token();
	CaughtSignal usr1(SIGUSR1);
	std::atomic<pid_t> requester{0};
	Pending granted;
	HeldAccess write(lower_, [this] { return write_in_child(); });
	ASSERT_EQ(write.error(), "");
	granted = in_thread([&] {
		requester = gettid();
		return request(a, DM_RIGHT_EXCL);
	});
	while (!requester)
		std::this_thread::yield();
	ASSERT_TRUE(waits_in(requester, "dmfs_drain_io")) << "the request did not wait";
	ASSERT_EQ(syscall(SYS_tgkill, getpid(), requester.load(), SIGUSR1), 0);
	EXPECT_EQ(result_of(granted), EINTR);
	EXPECT_EQ(query(a), DM_RIGHT_NULL);
	write.release();
	EXPECT_EQ(write.wait(), 0);
}

/*
 * With a data event's disposition taken, an access decides its event
 * before it counts itself admitted; a right still waits for it.
 */
TEST_F(Rights, ExclusiveRightWaitsForAWriteAdmittedPastItsDisposition)
{
	Handle fsh;
	ASSERT_DM_OK(dm_path_to_fshandle(mnt_.data(), &fsh.hanp, &fsh.hlen));
	dm_eventset_t set = 0;
	DMEV_SET(DM_EVENT_WRITE, set);
	ASSERT_DM_OK(dm_set_disp(sid_, fsh.hanp, fsh.hlen, DM_NO_TOKEN, &set, DM_EVENT_MAX));
	expect_an_exclusive_right_to_wait_for_a_held_write();
}

/*
 * Admitted I/O may wait for what its caller controls (here a frozen
 * filesystem): after drain_timeout the request fails EAGAIN, with or
 * without DM_RR_WAIT, and holds nothing.
 */
TEST_F(Rights, ARightWhoseAdmittedIODoesNotEndFailsEAGAINAfterDrainTimeout)
{
	ModuleParam patience("drain_timeout", "1");
	dm_token_t a = token();
	Pending granted, waited;
	HeldAccess write(lower_, [this] { return write_in_child(); });
	ASSERT_EQ(write.error(), "");
	granted = in_thread([&] { return request(a, DM_RIGHT_EXCL); });
	EXPECT_EQ(result_of(granted), EAGAIN);
	EXPECT_EQ(query(a), DM_RIGHT_NULL);
	waited = in_thread([&] { return request(a, DM_RIGHT_SHARED, DM_RR_WAIT); });
	EXPECT_EQ(result_of(waited), EAGAIN);
	EXPECT_EQ(query(a), DM_RIGHT_NULL);
	write.release();
	EXPECT_EQ(write.wait(), 0);
	EXPECT_DM_OK(request(a, DM_RIGHT_EXCL));
}

/*
 * The same for a call with no token, which takes the right it needs for
 * itself: after drain_timeout it fails EAGAIN, having done nothing.
 */
TEST_F(Rights, ACallWithNoTokenWhoseAdmittedIODoesNotEndFailsEAGAINAfterDrainTimeout)
{
	ModuleParam patience("drain_timeout", "1");
	Pending wrote, read;
	HeldAccess write(lower_, [this] { return write_in_child(); });
	ASSERT_EQ(write.error(), "");
	char x = 'X';
	wrote = in_thread([&] {
		return dm_write_invis(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 0, 4, 1, &x) < 0
			       ? errno : 0;
	});
	EXPECT_EQ(result_of(wrote), EAGAIN);
	read = in_thread([&] { return read_invis_of_file() ? errno : 0; });
	EXPECT_EQ(result_of(read), EAGAIN) << "a shared right excludes the write too";
	write.release();
	EXPECT_EQ(write.wait(), 0);
	EXPECT_EQ(slurp(lower_ + "/file"), "Contents") << "the refused write_invis wrote";
	EXPECT_EQ(read_invis_of_file(), 0);
}

/*
 * A second request of the same token, while the first waits for the
 * I/O admitted before it, waits its turn: the right it finds there is
 * not settled yet.
 */
TEST_F(Rights, ASecondRequestOfTheTokenWaitsForTheFirstOnesAdmittedIO)
{
	dm_token_t a = token();
	Pending first, second;
	HeldAccess write(lower_, [this] { return write_in_child(); });
	ASSERT_EQ(write.error(), "");
	first = in_thread([&] { return request(a, DM_RIGHT_EXCL); });
	ASSERT_TRUE(still_pending_after(first, 200));
	second = in_thread([&] { return request(a, DM_RIGHT_EXCL); });
	EXPECT_TRUE(still_pending_after(second, 300))
		<< "the second request found the right before the write ended";
	write.release();
	EXPECT_EQ(result_of(first), 0);
	EXPECT_EQ(result_of(second), 0);
	EXPECT_EQ(write.wait(), 0);
}

/*
 * A request waiting for the I/O admitted before it holds up the rights
 * calls of its own token on its own object, and no others: another
 * token's requests on 400 other files are all granted meanwhile (turns
 * shared by hash would hold up about one in 64 of them).
 */
TEST_F(Rights, ARequestWaitingForAdmittedIOHoldsUpNoOtherTokensCalls)
{
	ModuleParam drain("drain_timeout", "3600");
	std::vector<Handle> others(400);
	for (std::size_t i = 0; i < others.size(); i++) {
		std::string name = "/other" + std::to_string(i);
		spit(lower_ + name, "o");
		std::string path = mnt_ + name;
		ASSERT_DM_OK(dm_path_to_handle(path.data(), &others[i].hanp, &others[i].hlen));
	}
	dm_token_t a = token(), b = token();
	Pending first, others_granted;
	HeldAccess write(lower_, [this] { return write_in_child(); });
	ASSERT_EQ(write.error(), "");
	first = in_thread([&] { return request(a, DM_RIGHT_EXCL); });
	ASSERT_TRUE(still_pending_after(first, 200));
	others_granted = in_thread([&] {
		for (auto &h : others)
			if (dm_request_right(sid_, h.hanp, h.hlen, b, 0, DM_RIGHT_EXCL) != 0)
				return -1;
		return 0;
	});
	EXPECT_FALSE(still_pending_after(others_granted, 20000))
		<< "another token's request waited for the first one's I/O";
	EXPECT_TRUE(still_pending_after(first, 0));
	write.release();
	EXPECT_EQ(result_of(first), 0);
	EXPECT_EQ(result_of(others_granted), 0);
	EXPECT_EQ(write.wait(), 0);
}

TEST_F(Rights, InvisibleIOOfTheHolderDoesNotWait)
{
	dm_token_t a = token();
	ASSERT_DM_OK(request(a, DM_RIGHT_EXCL));
	char buf[8];
	EXPECT_EQ(dm_read_invis(sid_, file_.hanp, file_.hlen, a, 0, sizeof(buf), buf), 8)
		<< strerror(errno);
}

TEST_F(Rights, ObjectReferences)
{
	dm_token_t a = token();
	EXPECT_EQ(dm_obj_ref_query(sid_, a, file_.hanp, file_.hlen), 0);
	EXPECT_DM_ERRNO(dm_obj_ref_rele(sid_, a, file_.hanp, file_.hlen), EACCES);
	ASSERT_DM_OK(dm_obj_ref_hold(sid_, a, file_.hanp, file_.hlen));
	EXPECT_EQ(dm_obj_ref_query(sid_, a, file_.hanp, file_.hlen), 1);
	EXPECT_DM_ERRNO(dm_obj_ref_hold(sid_, a, file_.hanp, file_.hlen), EBUSY);
	ASSERT_DM_OK(dm_obj_ref_rele(sid_, a, file_.hanp, file_.hlen));
	EXPECT_EQ(dm_obj_ref_query(sid_, a, file_.hanp, file_.hlen), 0);
	EXPECT_DM_ERRNO(dm_obj_ref_hold(sid_, DM_NO_TOKEN, file_.hanp, file_.hlen), EINVAL);
	EXPECT_DM_ERRNO(dm_obj_ref_query(sid_, kNotOutstanding, file_.hanp, file_.hlen), ESRCH);
}

TEST_F(Rights, AnsweringTheEventDropsItsReferences)
{
	dm_token_t a = token();
	ASSERT_DM_OK(dm_obj_ref_hold(sid_, a, file_.hanp, file_.hlen));
	ASSERT_DM_OK(request(a, DM_RIGHT_SHARED));
	answer(a);
	EXPECT_DM_ERRNO(dm_obj_ref_query(sid_, a, file_.hanp, file_.hlen), ESRCH);
	/* The lower filesystem can still be unmounted at the end: no pin left. */
}

/*
 * The rights of the DM calls themselves: a call on an object presenting
 * a token needs that token to hold a right on the object, shared for a
 * call that reads or queries it, exclusive for one that changes it
 * (EACCES otherwise); with DM_NO_TOKEN it takes that right itself for its
 * duration, waiting for the rights of tokens in its way.
 */

/* A call on an object, presenting a token, and the right it needs. */
struct ObjectCall {
	const char *name;
	dm_right_t need;
	bool on_directory;
	/* 0, or -1 with errno set. */
	std::function<int(dm_sessid_t, const Handle &obj, const Handle &fs, dm_token_t)> call;
};

void PrintTo(const ObjectCall &c, std::ostream *os)
{
	*os << c.name;
}

dm_attrname_t attr_name(const char *name)
{
	dm_attrname_t an = {};
	memcpy(an.an_chars, name, strnlen(name, sizeof(an.an_chars)));
	return an;
}

/* A name no earlier call of the run created. */
std::string fresh_name()
{
	static std::atomic<int> next{0};
	return "new" + std::to_string(next++);
}

int ok_if_nonnegative(dm_ssize_t n)
{
	return n < 0 ? -1 : 0;
}

const ObjectCall kObjectCalls[] = {
	{"dm_get_dmattr", DM_RIGHT_SHARED, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_attrname_t an = attr_name("kept");
		 char buf[64];
		 size_t rlen;
		 return dm_get_dmattr(sid, h.hanp, h.hlen, t, &an, sizeof(buf), buf, &rlen);
	 }},
	{"dm_getall_dmattr", DM_RIGHT_SHARED, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 std::vector<char> buf(4096);
		 size_t rlen;
		 return dm_getall_dmattr(sid, h.hanp, h.hlen, t, buf.size(), buf.data(), &rlen);
	 }},
	{"dm_set_dmattr", DM_RIGHT_EXCL, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_attrname_t an = attr_name("set");
		 char value[] = "v";
		 return dm_set_dmattr(sid, h.hanp, h.hlen, t, &an, 0, 1, value);
	 }},
	{"dm_remove_dmattr", DM_RIGHT_EXCL, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_attrname_t an = attr_name("kept");
		 return dm_remove_dmattr(sid, h.hanp, h.hlen, t, 0, &an);
	 }},
	{"dm_get_region", DM_RIGHT_SHARED, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_region_t r[4];
		 unsigned int n;
		 return dm_get_region(sid, h.hanp, h.hlen, t, 4, r, &n);
	 }},
	{"dm_set_region", DM_RIGHT_EXCL, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_region_t r = {0, 10, DM_REGION_NOEVENT, 0};
		 dm_boolean_t exact;
		 return dm_set_region(sid, h.hanp, h.hlen, t, 1, &r, &exact);
	 }},
	{"dm_get_fileattr", DM_RIGHT_SHARED, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_stat_t st;
		 return dm_get_fileattr(sid, h.hanp, h.hlen, t, DM_AT_STAT, &st);
	 }},
	{"dm_set_fileattr", DM_RIGHT_EXCL, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_fileattr_t attr = {};
		 attr.fa_mode = 0640;
		 return dm_set_fileattr(sid, h.hanp, h.hlen, t, DM_AT_MODE, &attr);
	 }},
	{"dm_get_eventlist", DM_RIGHT_SHARED, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_eventset_t set;
		 unsigned int n;
		 return dm_get_eventlist(sid, h.hanp, h.hlen, t, DM_EVENT_MAX, &set, &n);
	 }},
	{"dm_set_eventlist", DM_RIGHT_EXCL, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_eventset_t set = 0;
		 return dm_set_eventlist(sid, h.hanp, h.hlen, t, &set, DM_EVENT_MAX);
	 }},
	{"dm_read_invis", DM_RIGHT_SHARED, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 char buf[16];
		 return ok_if_nonnegative(
			 dm_read_invis(sid, h.hanp, h.hlen, t, 0, sizeof(buf), buf));
	 }},
	{"dm_write_invis", DM_RIGHT_EXCL, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 char buf[] = "w";
		 return ok_if_nonnegative(dm_write_invis(sid, h.hanp, h.hlen, t, 0, 0, 1, buf));
	 }},
	{"dm_probe_hole", DM_RIGHT_SHARED, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_off_t roff;
		 dm_size_t rlen;
		 return dm_probe_hole(sid, h.hanp, h.hlen, t, 0, 0, &roff, &rlen);
	 }},
	{"dm_punch_hole", DM_RIGHT_EXCL, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 return dm_punch_hole(sid, h.hanp, h.hlen, t, 0, 0);
	 }},
	{"dm_get_allocinfo", DM_RIGHT_SHARED, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_off_t off = 0;
		 dm_extent_t ext[4];
		 unsigned int n;
		 return dm_get_allocinfo(sid, h.hanp, h.hlen, t, &off, 4, ext, &n);
	 }},
	{"dm_sync_by_handle", DM_RIGHT_SHARED, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 return dm_sync_by_handle(sid, h.hanp, h.hlen, t);
	 }},
	{"dm_get_dioinfo", DM_RIGHT_SHARED, false,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_dioinfo_t dio;
		 return dm_get_dioinfo(sid, h.hanp, h.hlen, t, &dio);
	 }},
	{"dm_init_attrloc", DM_RIGHT_SHARED, true,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_attrloc_t loc;
		 return dm_init_attrloc(sid, h.hanp, h.hlen, t, &loc);
	 }},
	{"dm_get_dirattrs", DM_RIGHT_SHARED, true,
	 [](dm_sessid_t sid, const Handle &h, const Handle &, dm_token_t t) {
		 dm_attrloc_t loc = 0;
		 std::vector<char> buf(4096);
		 size_t rlen;
		 return dm_get_dirattrs(sid, h.hanp, h.hlen, t, DM_AT_STAT, &loc, buf.size(),
					buf.data(), &rlen);
	 }},
	{"dm_create_by_handle", DM_RIGHT_EXCL, true,
	 [](dm_sessid_t sid, const Handle &h, const Handle &fs, dm_token_t t) {
		 std::string name = fresh_name();
		 return dm_create_by_handle(sid, h.hanp, h.hlen, t, fs.hanp, fs.hlen, name.data());
	 }},
	{"dm_mkdir_by_handle", DM_RIGHT_EXCL, true,
	 [](dm_sessid_t sid, const Handle &h, const Handle &fs, dm_token_t t) {
		 std::string name = fresh_name();
		 return dm_mkdir_by_handle(sid, h.hanp, h.hlen, t, fs.hanp, fs.hlen, name.data());
	 }},
	{"dm_symlink_by_handle", DM_RIGHT_EXCL, true,
	 [](dm_sessid_t sid, const Handle &h, const Handle &fs, dm_token_t t) {
		 std::string name = fresh_name();
		 char target[] = "data";
		 return dm_symlink_by_handle(sid, h.hanp, h.hlen, t, fs.hanp, fs.hlen,
					     name.data(), target);
	 }},
};

class CallRights : public Rights, public ::testing::WithParamInterface<ObjectCall> {
protected:
	void populate() override
	{
		Rights::populate();
		spit(lower_ + "/data", std::string(8192, 'd'));
		ASSERT_EQ(mkdir((lower_ + "/dir").c_str(), 0755), 0) << strerror(errno);
	}

	void SetUp() override
	{
		Rights::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		std::string obj = mnt_ + (GetParam().on_directory ? "/dir" : "/data");
		ASSERT_DM_OK(dm_path_to_handle(obj.data(), &obj_.hanp, &obj_.hlen));
		ASSERT_DM_OK(dm_path_to_fshandle(obj.data(), &fs_.hanp, &fs_.hlen));
		if (!GetParam().on_directory) {
			dm_attrname_t an = attr_name("kept");
			char value[] = "k";
			ASSERT_DM_OK(dm_set_dmattr(sid_, obj_.hanp, obj_.hlen, DM_NO_TOKEN, &an, 0,
						   1, value));
		}
	}

	int call(dm_token_t t) { return GetParam().call(sid_, obj_, fs_, t); }

	int release_on_object(dm_token_t t)
	{
		return dm_release_right(sid_, obj_.hanp, obj_.hlen, t);
	}

	int request_on_object(dm_token_t t, dm_right_t right)
	{
		return dm_request_right(sid_, obj_.hanp, obj_.hlen, t, 0, right);
	}

	/* The call with DM_NO_TOKEN waits while token b holds `right`. */
	void expect_to_wait_for(dm_right_t right)
	{
		dm_token_t b = token();
		ASSERT_DM_OK(request_on_object(b, right));
		Pending called;
		Answered unblock(sid_, b);
		called = in_thread([this] { return call(DM_NO_TOKEN); });
		EXPECT_TRUE(still_pending_after(called, 300))
			<< "it did not wait for the right of another token";
		EXPECT_DM_OK(release_on_object(b));
		EXPECT_EQ(result_of(called), 0) << "once the right was released";
	}

	Handle obj_, fs_;
};

TEST_P(CallRights, ATokenHoldingNoRightFailsEACCES)
{
	dm_token_t t = token();
	EXPECT_DM_ERRNO(call(t), EACCES);
}

TEST_P(CallRights, ATokenHoldingTheRightItNeedsSucceeds)
{
	dm_token_t t = token();
	ASSERT_DM_OK(request_on_object(t, GetParam().need));
	EXPECT_DM_OK(call(t));
}

TEST_P(CallRights, ASharedRightSufficesOnlyForACallThatDoesNotChangeTheObject)
{
	dm_token_t t = token();
	ASSERT_DM_OK(request_on_object(t, DM_RIGHT_SHARED));
	if (GetParam().need == DM_RIGHT_EXCL) {
		EXPECT_DM_ERRNO(call(t), EACCES);
	} else {
		EXPECT_DM_OK(call(t));
	}
}

TEST_P(CallRights, WithNoTokenItWaitsForAnExclusiveRightOfAToken)
{
	expect_to_wait_for(DM_RIGHT_EXCL);
}

TEST_P(CallRights, WithNoTokenOnlyACallThatChangesTheObjectWaitsForASharedRight)
{
	if (GetParam().need == DM_RIGHT_EXCL) {
		expect_to_wait_for(DM_RIGHT_SHARED);
		return;
	}
	dm_token_t b = token();
	ASSERT_DM_OK(request_on_object(b, DM_RIGHT_SHARED));
	Pending called;
	Answered unblock(sid_, b);
	called = in_thread([this] { return call(DM_NO_TOKEN); });
	ASSERT_FALSE(still_pending_after(called, 10000)) << "it waited for a shared right";
	EXPECT_EQ(result_of(called), 0) << "beside another token's shared right";
}

/*
 * A signal ends the wait of a call with no token for another token's
 * right (EINTR), and the call holds nothing after it.
 */
TEST_P(CallRights, WithNoTokenItsWaitForARightEndsEINTROnASignal)
{
	dm_token_t b = token();
	ASSERT_DM_OK(request_on_object(b, DM_RIGHT_EXCL));
	CaughtSignal caught(SIGUSR1);
	std::promise<pid_t> caller;
	Pending called;
	Answered unblock(sid_, b);
	called = in_thread([&] {
		caller.set_value(static_cast<pid_t>(syscall(SYS_gettid)));
		return call(DM_NO_TOKEN);
	});
	pid_t tid = caller.get_future().get();
	ASSERT_TRUE(waits_in(tid, "dm_call_right_take")) << "it did not wait";
	syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
	EXPECT_EQ(result_of(called), EINTR);
	EXPECT_DM_OK(release_on_object(b));
	dm_token_t c = token();
	Answered unblock_c(sid_, c);
	EXPECT_DM_OK(request_on_object(c, DM_RIGHT_EXCL)) << "the interrupted call kept a right";
}

INSTANTIATE_TEST_SUITE_P(, CallRights, ::testing::ValuesIn(kObjectCalls),
			 [](const ::testing::TestParamInfo<ObjectCall> &info) {
				 return std::string(info.param.name);
			 });

/*
 * Every call on a file's data or on what its data events are decided on:
 * with no token, after drain_timeout of waiting for I/O admitted before
 * it, EAGAIN, holding nothing.  dm_set_fileattr() is such a call when it
 * changes the size.
 */
TEST_F(Rights, EachCallOnTheDataWithNoTokenFailsEAGAINAfterDrainTimeout)
{
	const std::set<std::string> draining = {
		"dm_read_invis",    "dm_write_invis",	"dm_probe_hole",
		"dm_punch_hole",    "dm_get_allocinfo", "dm_sync_by_handle",
		"dm_set_region",    "dm_set_eventlist",
	};
	ModuleParam patience("drain_timeout", "1");
	Handle fs;
	std::string mnt = mnt_;
	ASSERT_DM_OK(dm_path_to_fshandle(mnt.data(), &fs.hanp, &fs.hlen));
	auto expect_eagain = [&](const std::function<int()> &call) {
		Pending called;
		HeldAccess write(lower_, [this] { return write_in_child(); });
		ASSERT_EQ(write.error(), "");
		called = in_thread(call);
		EXPECT_EQ(result_of(called), EAGAIN);
		write.release();
		EXPECT_EQ(write.wait(), 0);
		dm_token_t t = token();
		EXPECT_DM_OK(request(t, DM_RIGHT_EXCL)) << "the call that failed kept a right";
		answer(t);
	};
	size_t tried = 0;
	for (const auto &c : kObjectCalls) {
		if (!draining.count(c.name))
			continue;
		SCOPED_TRACE(c.name);
		tried++;
		expect_eagain([&] { return c.call(sid_, file_, fs, DM_NO_TOKEN); });
	}
	EXPECT_EQ(tried, draining.size()) << "a call of the list is not in kObjectCalls";
	SCOPED_TRACE("dm_set_fileattr of DM_AT_SIZE");
	expect_eagain([&] {
		dm_fileattr_t attr = {};
		attr.fa_size = 4;
		return dm_set_fileattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, DM_AT_SIZE, &attr);
	});
	EXPECT_EQ(slurp(lower_ + "/file").size(), 8u) << "a refused call changed the size";
}

/* dm_get_dmattr with DM_NO_TOKEN, on the fixture's file. */
int get_kept_attr(dm_sessid_t sid, const Handle &file)
{
	dm_attrname_t an = attr_name("kept");
	char buf[64];
	size_t rlen;
	return dm_get_dmattr(sid, file.hanp, file.hlen, DM_NO_TOKEN, &an, sizeof(buf), buf,
			     &rlen);
}

TEST_F(Rights, ACallOnTheDataWithNoTokenWaitsForAWriteAdmittedBeforeIt)
{
	EXPECT_TRUE(waits_for_a_held_write([this] { return read_invis_of_file(); }, 300))
		<< "it ran while a write admitted before it was running";
}

TEST_F(Rights, ACallWithATokenWaitsForTheTokensRequestStillWaitingForIO)
{
	ModuleParam drain("drain_timeout", "2");
	dm_token_t t = token();
	std::promise<pid_t> requester;
	Pending requested, called;
	HeldAccess write(lower_, [this] { return write_in_child(); });
	ASSERT_EQ(write.error(), "");
	requested = in_thread([&] {
		requester.set_value(static_cast<pid_t>(syscall(SYS_gettid)));
		return request(t, DM_RIGHT_EXCL);
	});
	ASSERT_TRUE(waits_in(requester.get_future().get(), "dmfs_drain_io"))
		<< "the request did not wait for the write";
	called = in_thread([&] { return read_invis_of_file(t); });
	EXPECT_EQ(result_of(requested), EAGAIN) << "the write ended";
	EXPECT_EQ(result_of(called), EACCES) << "the call ran under the right the request undid";
	write.release();
	EXPECT_EQ(write.wait(), 0);
}

/*
 * A READ of the file's first 8 bytes by `access`, run in a child, is
 * answered while the exclusive right of an invisible write with no token
 * holds the file (waiting for a write admitted before it): the access
 * waits for that right, then goes on without a second READ, as the
 * right changes nothing its event was decided on.
 */
void Rights::expect_an_access_held_off_by_a_calls_right_to_go_on(
	const std::function<int()> &access)
{
	Handle fs;
	std::string mnt = mnt_;
	ASSERT_DM_OK(dm_path_to_fshandle(mnt.data(), &fs.hanp, &fs.hlen));
	dm_eventset_t read = 0;
	DMEV_SET(DM_EVENT_READ, read);
	ASSERT_DM_OK(dm_set_disp(sid_, fs.hanp, fs.hlen, DM_NO_TOKEN, &read, DM_EVENT_MAX));
	ASSERT_DM_OK(dm_set_eventlist(sid_, fs.hanp, fs.hlen, DM_NO_TOKEN, &read, DM_EVENT_MAX));
	dm_region_t region = {0, 0, DM_REGION_READ, 0};
	dm_boolean_t exact;
	ASSERT_DM_OK(dm_set_region(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 1, &region, &exact));
	Child reader(access);
	dm_token_t event = read_event_within(10000);
	ASSERT_NE(event, DM_INVALID_TOKEN) << "no READ";
	Pending called;
	HeldAccess write(lower_, [this] { return write_in_child(); });
	ASSERT_EQ(write.error(), "");
	/* Its exclusive right taken, the invisible write waits for the write. */
	called = in_thread([this] {
		char byte = 'c';
		ssize_t n = dm_write_invis(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 0, 0, 1, &byte);
		return n < 0 ? -1 : 0;
	});
	ASSERT_TRUE(still_pending_after(called, 300));
	answer(event);
	EXPECT_TRUE(reader.still_running_after(300)) << "read under the call's right";
	write.release();
	EXPECT_EQ(result_of(called), 0);
	dm_token_t again = read_event_within(3000);
	EXPECT_EQ(again, DM_INVALID_TOKEN) << "the reader was asked again";
	if (again != DM_INVALID_TOKEN)
		answer(again);
	EXPECT_EQ(reader.wait(), 0);
	EXPECT_EQ(write.wait(), 0);
}

TEST_F(Rights, AnAccessHeldOffByACallsRightGoesOnWithoutAskingAgain)
{
	std::string path = mnt_ + "/file";
	expect_an_access_held_off_by_a_calls_right_to_go_on([path] {
		char buf[8];
		int fd = open(path.c_str(), O_RDONLY);
		return fd >= 0 && pread(fd, buf, sizeof(buf), 0) == 8 ? 0 : 1;
	});
}

TEST_F(Rights, ACopyHeldOffByACallsRightGoesOnWithoutAskingAgain)
{
	std::string from = mnt_ + "/file", to = mnt_ + "/copy";
	spit(lower_ + "/copy", "");
	expect_an_access_held_off_by_a_calls_right_to_go_on([from, to] {
		int in = open(from.c_str(), O_RDONLY);
		int out = open(to.c_str(), O_WRONLY);
		loff_t in_pos = 0, out_pos = 0;
		if (in < 0 || out < 0)
			return 2;
		return copy_file_range(in, &in_pos, out, &out_pos, 8, 0) == 8 ? 0 : 1;
	});
	EXPECT_EQ(slurp(lower_ + "/copy"), "contents");
}

TEST_F(Rights, ACallWithNoTokenLetsGoOfItsRightWhileItsBufferWaitsForAnother)
{
	std::string sink = mnt_ + "/sink";
	Handle b;
	ASSERT_DM_OK(dm_path_to_handle(sink.data(), &b.hanp, &b.hlen));
	dm_token_t x = token();
	Handshake hs;
	auto reader = call_into_a_mapping_in_child(hs, "sink",
						    [this](void *buf) { return read_invis_into(buf); });
	ASSERT_TRUE(hs.ready_within(10000)) << "not mapped";
	/* Granted after the mapping was made, the right write-protects it. */
	ASSERT_DM_OK(dm_request_right(sid_, b.hanp, b.hlen, x, 0, DM_RIGHT_EXCL));
	hs.go();
	ASSERT_TRUE(waits_in(reader->pid(), "dm_rights_io_wait"))
		<< "its store into the mapping did not wait for the right";
	/* The file the call reads is free for another right meanwhile. */
	int granted = request(x, DM_RIGHT_EXCL);
	EXPECT_EQ(granted, 0) << "the call held its right while it waited: " << strerror(errno);
	if (granted == 0) {
		EXPECT_DM_OK(dm_release_right(sid_, file_.hanp, file_.hlen, x));
	}
	EXPECT_DM_OK(dm_release_right(sid_, b.hanp, b.hlen, x));
	EXPECT_EQ(reader->wait(), 0);
	EXPECT_EQ(slurp(lower_ + "/sink").substr(0, 8), "contents");
}

TEST_F(Rights, AnInvisibleReadWithNoTokenIntoAMappingOfItsOwnFileFailsEDEADLK)
{
	Handshake hs;
	auto reader = call_into_a_mapping_now(hs, "file",
					      [this](void *buf) { return read_invis_into(buf); });
	for (int waited = 0; waited < 20000 && reader->still_running_after(100); waited += 100)
		;
	reader->kill_now();
	EXPECT_EQ(reader->wait(), 3) << "not EDEADLK (128 + 9: it waited for its own right)";
}

TEST_F(Rights, AllocationInfoWithNoTokenIntoAMappingOfItsOwnFileFailsEDEADLK)
{
	Handshake hs;
	auto caller = call_into_a_mapping_now(hs, "file", [this](void *buf) {
		dm_off_t off = 0;
		u_int n;
		return dm_get_allocinfo(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &off, 1,
					static_cast<dm_extent_t *>(buf), &n) < 0
			       ? -1
			       : 0;
	});
	for (int waited = 0; waited < 20000 && caller->still_running_after(100); waited += 100)
		;
	caller->kill_now();
	EXPECT_EQ(caller->wait(), 3) << "not EDEADLK (128 + 9: it waited for its own right)";
}

TEST_F(Rights, AQueryWithNoTokenDoesNotWaitForAWriteAdmittedBeforeIt)
{
	dm_attrname_t an = attr_name("kept");
	char value[] = "k";
	ASSERT_DM_OK(dm_set_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &an, 0, 1, value));
	EXPECT_FALSE(waits_for_a_held_write([this] { return get_kept_attr(sid_, file_); }, 10000))
		<< "it waited for the write";
}

TEST_F(Rights, ARightACallWithNoTokenHoldsExcludesTheRightsOfTokens)
{
	/* A request granted would wait for the held write, not fail. */
	ModuleParam drain("drain_timeout", "3600");
	dm_token_t b = token();
	Pending called, requested;
	HeldAccess write(lower_, [this] { return write_in_child(); });
	ASSERT_EQ(write.error(), "");
	/* Holding its shared right, the call waits for the write. */
	called = in_thread([this] { return read_invis_of_file(); });
	ASSERT_TRUE(still_pending_after(called, 300));
	requested = in_thread([&] { return request(b, DM_RIGHT_EXCL); });
	EXPECT_FALSE(still_pending_after(requested, 10000)) << "the request was granted";
	write.release();
	EXPECT_EQ(result_of(called), 0);
	EXPECT_EQ(result_of(requested), EAGAIN);
	EXPECT_DM_OK(request(b, DM_RIGHT_EXCL)) << "once the call ended";
	EXPECT_EQ(write.wait(), 0);
}

} // namespace
