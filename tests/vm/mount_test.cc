// SPDX-License-Identifier: GPL-2.0
/*
 * MOUNT, PREUNMOUNT and UNMOUNT events: who is asked, in which order,
 * what the messages carry, what the answers do, and that a process
 * waiting for an answer can always be killed.  Mounts and unmounts run
 * in child processes, because they wait for the answers the test gives.
 * Needs the scratch filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "dmtest.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

constexpr long kDmapiMagic = 0x444d4150;

/* One message, copied out of the buffer it came in. */
struct Message {
	std::vector<char> bytes;
	dm_eventmsg_t *msg() { return reinterpret_cast<dm_eventmsg_t *>(bytes.data()); }
	dm_eventtype_t type() { return msg()->ev_type; }
	dm_token_t token() { return msg()->ev_token; }
	template <typename T> T *data() { return DM_GET_VALUE(msg(), ev_data, T *); }
};

bool same_handle(void *a, size_t alen, void *b, size_t blen)
{
	return alen == blen && dm_handle_cmp(a, alen, b, blen) == 0;
}

std::string name_of(void *p, size_t len)
{
	if (len == 0)
		return "<empty>";
	std::string s(static_cast<char *>(p), len);
	EXPECT_EQ(s.back(), '\0') << "names include their NUL";
	s.pop_back();
	return s;
}

class MountEvents : public ::testing::Test {
protected:
	void SetUp() override
	{
		struct statfs sfs;
		if (statfs("/mnt/scratch", &sfs) != 0)
			GTEST_SKIP() << "no scratch filesystem at /mnt/scratch";
		auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
		base_ = std::string("/mnt/scratch/") + info->name();
		lower_ = base_ + "/lower";
		mnt_ = base_ + "/mnt";
		fs::remove_all(base_);
		fs::create_directories(lower_);
		fs::create_directories(mnt_);
		sid_ = new_session("mount-test");
	}

	void TearDown() override
	{
		/*
		 * Sessions first: a mount a failed test left would otherwise
		 * send its PREUNMOUNT to a session no one reads any more.
		 */
		for (auto sid : sessions_)
			SessionTest::cleanup_session(sid);
		if (is_mounted()) {
			EXPECT_EQ(umount2(mnt_.c_str(), MNT_DETACH), 0);
		}
		if (!base_.empty())
			fs::remove_all(base_);
	}

	dm_sessid_t new_session(const char *name)
	{
		std::string info = name;
		dm_sessid_t sid = DM_NO_SESSION;
		EXPECT_DM_OK(dm_create_session(DM_NO_SESSION, info.data(), &sid));
		sessions_.push_back(sid);
		return sid;
	}

	void hold_mount(dm_sessid_t sid, bool hold = true)
	{
		dm_eventset_t set = 0;
		if (hold)
			DMEV_SET(DM_EVENT_MOUNT, set);
		EXPECT_DM_OK(dm_set_disp(sid, DM_GLOBAL_HANP, DM_GLOBAL_HLEN,
					 DM_NO_TOKEN, &set, DM_EVENT_MAX));
	}

	/* Mount in a child; its exit status is the errno of mount(2). */
	std::unique_ptr<Child> mount_in_child(unsigned long flags = 0,
					      const std::string &data = "")
	{
		return mount_in_child(lower_, mnt_, flags, data);
	}

	std::unique_ptr<Child> mount_in_child(const std::string &src,
					      const std::string &dst,
					      unsigned long flags = 0,
					      const std::string &data = "")
	{
		return std::make_unique<Child>([=] {
			return mount(src.c_str(), dst.c_str(), "dmapi", flags,
				     data.empty() ? nullptr : data.c_str()) ? errno : 0;
		});
	}

	std::unique_ptr<Child> umount_in_child(int flags = 0)
	{
		std::string dst = mnt_;
		return std::make_unique<Child>(
			[=] { return umount2(dst.c_str(), flags) ? errno : 0; });
	}

	/* The next message of sid, waiting up to 20 s. */
	Message next(dm_sessid_t sid)
	{
		std::vector<char> buf(1 << 16);
		size_t rlen = 0;
		for (int i = 0; i < 2000; i++) {
			if (dm_get_events(sid, 1, 0, buf.size(), buf.data(), &rlen) == 0) {
				buf.resize(rlen);
				return Message{buf};
			}
			EXPECT_EQ(errno, EAGAIN) << strerror(errno);
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
		ADD_FAILURE() << "no message for session " << sid;
		return Message{std::vector<char>(sizeof(dm_eventmsg_t))};
	}

	bool queue_empty(dm_sessid_t sid)
	{
		std::vector<char> buf(1 << 16);
		size_t rlen = 0;
		return dm_get_events(sid, 0, 0, buf.size(), buf.data(), &rlen) != 0 &&
		       errno == EAGAIN;
	}

	void respond(dm_sessid_t sid, dm_token_t token, dm_response_t response,
		     int error = 0)
	{
		EXPECT_DM_OK(dm_respond_event(sid, token, response, error, 0, nullptr));
	}

	bool is_mounted()
	{
		struct statfs sfs;
		return !mnt_.empty() && statfs(mnt_.c_str(), &sfs) == 0 &&
		       sfs.f_type == kDmapiMagic;
	}

	/* Mount with our session answering, taking events on the new fs. */
	void mount_taking(dm_eventset_t disp, dm_eventset_t list)
	{
		mount_taking(disp, list, lower_, mnt_);
	}

	/* The same for lower src at dst; fs_handle gets its handle. */
	void mount_taking(dm_eventset_t disp, dm_eventset_t list,
			  const std::string &src, const std::string &dst,
			  std::string *fs_handle = nullptr)
	{
		hold_mount(sid_);
		auto child = mount_in_child(src, dst);
		Message m = next(sid_);
		ASSERT_EQ(m.type(), DM_EVENT_MOUNT);
		auto *me = m.data<dm_mount_event_t>();
		void *fsh = DM_GET_VALUE(me, me_handle1, void *);
		size_t fshlen = DM_GET_LEN(me, me_handle1);
		if (fs_handle)
			fs_handle->assign(static_cast<char *>(fsh), fshlen);
		EXPECT_DM_OK(dm_set_disp(sid_, fsh, fshlen, DM_NO_TOKEN, &disp,
					 DM_EVENT_MAX));
		EXPECT_DM_OK(dm_set_eventlist(sid_, fsh, fshlen, DM_NO_TOKEN, &list,
					      DM_EVENT_MAX));
		respond(sid_, m.token(), DM_RESP_CONTINUE);
		ASSERT_EQ(child->wait(), 0);
		hold_mount(sid_, false);
	}

	std::string base_, lower_, mnt_;
	dm_sessid_t sid_ = DM_NO_SESSION;
	std::vector<dm_sessid_t> sessions_;
};

dm_eventset_t events(std::initializer_list<dm_eventtype_t> list)
{
	dm_eventset_t set = 0;
	for (auto ev : list)
		DMEV_SET(ev, set);
	return set;
}

const dm_eventset_t kUnmountEvents = events({DM_EVENT_PREUNMOUNT, DM_EVENT_UNMOUNT});

TEST_F(MountEvents, NoSessionHoldingTheMountDispositionFailsENOTCONN)
{
	errno = 0;
	EXPECT_EQ(mount(lower_.c_str(), mnt_.c_str(), "dmapi", 0, nullptr), -1);
	EXPECT_EQ(errno, ENOTCONN);
	EXPECT_FALSE(is_mounted());
}

TEST_F(MountEvents, MountEventCarriesFilesystemMountPointLowerAndRoot)
{
	hold_mount(sid_);
	auto child = mount_in_child(0, "mtpt=" + mnt_);
	Message m = next(sid_);
	ASSERT_EQ(m.type(), DM_EVENT_MOUNT);
	EXPECT_GT(m.token(), 0) << "MOUNT is synchronous";
	auto *me = m.data<dm_mount_event_t>();
	EXPECT_EQ(me->me_mode, 0u);
	EXPECT_EQ(DM_GET_LEN(me, me_handle2), 0u) << "the covered directory has no handle";
	EXPECT_EQ(name_of(DM_GET_VALUE(me, me_name1, void *), DM_GET_LEN(me, me_name1)), mnt_);
	EXPECT_EQ(name_of(DM_GET_VALUE(me, me_name2, void *), DM_GET_LEN(me, me_name2)),
		  fs::canonical(lower_).string());
	std::vector<char> fsh(DM_GET_VALUE(me, me_handle1, char *),
			      DM_GET_VALUE(me, me_handle1, char *) + DM_GET_LEN(me, me_handle1));
	std::vector<char> root(DM_GET_VALUE(me, me_roothandle, char *),
			       DM_GET_VALUE(me, me_roothandle, char *) +
				       DM_GET_LEN(me, me_roothandle));
	respond(sid_, m.token(), DM_RESP_CONTINUE);
	ASSERT_EQ(child->wait(), 0);
	ASSERT_TRUE(is_mounted());

	Handle mfs, mroot;
	ASSERT_DM_OK(dm_path_to_fshandle(mnt_.data(), &mfs.hanp, &mfs.hlen));
	ASSERT_DM_OK(dm_path_to_handle(mnt_.data(), &mroot.hanp, &mroot.hlen));
	EXPECT_TRUE(same_handle(fsh.data(), fsh.size(), mfs.hanp, mfs.hlen));
	EXPECT_TRUE(same_handle(root.data(), root.size(), mroot.hanp, mroot.hlen));
}

TEST_F(MountEvents, WithoutMtptTheMountPointReportedIsTheLowerDirectory)
{
	hold_mount(sid_);
	auto child = mount_in_child();
	Message m = next(sid_);
	ASSERT_EQ(m.type(), DM_EVENT_MOUNT);
	auto *me = m.data<dm_mount_event_t>();
	EXPECT_EQ(name_of(DM_GET_VALUE(me, me_name1, void *), DM_GET_LEN(me, me_name1)),
		  fs::canonical(lower_).string());
	respond(sid_, m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(child->wait(), 0);
}

TEST_F(MountEvents, ReadOnlyMountSaysSo)
{
	hold_mount(sid_);
	auto child = mount_in_child(MS_RDONLY);
	Message m = next(sid_);
	ASSERT_EQ(m.type(), DM_EVENT_MOUNT);
	EXPECT_EQ(m.data<dm_mount_event_t>()->me_mode & DM_MOUNT_RDONLY,
		  (unsigned)DM_MOUNT_RDONLY);
	respond(sid_, m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(child->wait(), 0);
}

TEST_F(MountEvents, DuringTheMountEventTheFilesystemWorksByHandle)
{
	spit(lower_ + "/f", "already here");
	hold_mount(sid_);
	auto child = mount_in_child();
	Message m = next(sid_);
	ASSERT_EQ(m.type(), DM_EVENT_MOUNT);
	auto *me = m.data<dm_mount_event_t>();
	void *fsh = DM_GET_VALUE(me, me_handle1, void *);
	size_t fshlen = DM_GET_LEN(me, me_handle1);

	std::vector<char> info(4096);
	size_t rlen = 0;
	EXPECT_DM_OK(dm_get_mountinfo(sid_, fsh, fshlen, DM_NO_TOKEN, info.size(),
				      info.data(), &rlen));
	dm_eventset_t set = kUnmountEvents;
	EXPECT_DM_OK(dm_set_disp(sid_, fsh, fshlen, DM_NO_TOKEN, &set, DM_EVENT_MAX));
	int fd = dm_open_by_handle(DM_GET_VALUE(me, me_roothandle, void *),
				   DM_GET_LEN(me, me_roothandle), O_RDONLY | O_DIRECTORY);
	EXPECT_GE(fd, 0) << strerror(errno);
	if (fd >= 0) {
		EXPECT_EQ(faccessat(fd, "f", R_OK, 0), 0);
		close(fd);
	}
	respond(sid_, m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(child->wait(), 0);
}

TEST_F(MountEvents, AbortFailsTheMountWithTheErrnoGiven)
{
	hold_mount(sid_);
	auto child = mount_in_child();
	Message m = next(sid_);
	ASSERT_EQ(m.type(), DM_EVENT_MOUNT);
	auto *me = m.data<dm_mount_event_t>();
	std::vector<char> fsh(DM_GET_VALUE(me, me_handle1, char *),
			      DM_GET_VALUE(me, me_handle1, char *) + DM_GET_LEN(me, me_handle1));
	respond(sid_, m.token(), DM_RESP_ABORT, EACCES);
	EXPECT_EQ(child->wait(), EACCES);
	EXPECT_FALSE(is_mounted());
	std::vector<char> info(4096);
	size_t rlen = 0;
	EXPECT_DM_ERRNO(dm_get_mountinfo(sid_, fsh.data(), fsh.size(), DM_NO_TOKEN,
					 info.size(), info.data(), &rlen), EBADF);
}

TEST_F(MountEvents, DontcarePassesTheEventOnInSessionIdOrder)
{
	dm_sessid_t later = new_session("mount-test later");
	ASSERT_GT(later, sid_);
	hold_mount(later);	/* taken first, offered second */
	hold_mount(sid_);
	auto child = mount_in_child();
	Message first = next(sid_);
	ASSERT_EQ(first.type(), DM_EVENT_MOUNT);
	EXPECT_TRUE(queue_empty(later)) << "offered to one session at a time";
	respond(sid_, first.token(), DM_RESP_DONTCARE);
	Message second = next(later);
	ASSERT_EQ(second.type(), DM_EVENT_MOUNT);
	EXPECT_NE(second.token(), first.token());
	respond(later, second.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(child->wait(), 0);
	EXPECT_TRUE(queue_empty(sid_));
}

TEST_F(MountEvents, DontcareFromEverySessionLetsTheMountProceed)
{
	hold_mount(sid_);
	auto child = mount_in_child();
	Message m = next(sid_);
	ASSERT_EQ(m.type(), DM_EVENT_MOUNT);
	respond(sid_, m.token(), DM_RESP_DONTCARE);
	EXPECT_EQ(child->wait(), 0);
	EXPECT_TRUE(is_mounted());
}

TEST_F(MountEvents, DontcareWithAnErrorFailsEINVAL)
{
	hold_mount(sid_);
	auto child = mount_in_child();
	Message m = next(sid_);
	ASSERT_EQ(m.type(), DM_EVENT_MOUNT);
	EXPECT_DM_ERRNO(dm_respond_event(sid_, m.token(), DM_RESP_DONTCARE, EIO, 0,
					 nullptr), EINVAL);
	respond(sid_, m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(child->wait(), 0);
}

TEST_F(MountEvents, ReleasedOrDestroyedDispositionsAreNotAsked)
{
	hold_mount(sid_);
	hold_mount(sid_, false);
	dm_sessid_t gone = new_session("mount-test gone");
	hold_mount(gone);
	ASSERT_DM_OK(dm_destroy_session(gone));
	errno = 0;
	EXPECT_EQ(mount(lower_.c_str(), mnt_.c_str(), "dmapi", 0, nullptr), -1);
	EXPECT_EQ(errno, ENOTCONN);
	EXPECT_TRUE(queue_empty(sid_));
}

TEST_F(MountEvents, KillingTheMounterEndsItsWait)
{
	hold_mount(sid_);
	auto child = mount_in_child();
	Message m = next(sid_);
	ASSERT_EQ(m.type(), DM_EVENT_MOUNT);
	child->kill_now();
	EXPECT_EQ(child->wait(), 128 + SIGKILL);
	EXPECT_FALSE(is_mounted());
	/* The token stays the DM application's to answer. */
	respond(sid_, m.token(), DM_RESP_CONTINUE);
	EXPECT_FALSE(is_mounted());
}

TEST_F(MountEvents, UnansweredMountTimesOutWithEventTimeout)
{
	ModuleParam timeout("event_timeout", "1");
	hold_mount(sid_);
	auto child = mount_in_child();
	Message m = next(sid_);
	ASSERT_EQ(m.type(), DM_EVENT_MOUNT);
	EXPECT_EQ(child->wait(), ETIMEDOUT);
	EXPECT_FALSE(is_mounted());
}

TEST_F(MountEvents, PreunmountWhileHandlesWorkThenUnmountWithTheResult)
{
	mount_taking(kUnmountEvents, kUnmountEvents);
	Handle fsh, root;
	ASSERT_DM_OK(dm_path_to_fshandle(mnt_.data(), &fsh.hanp, &fsh.hlen));
	ASSERT_DM_OK(dm_path_to_handle(mnt_.data(), &root.hanp, &root.hlen));

	auto child = umount_in_child();
	Message pre = next(sid_);
	ASSERT_EQ(pre.type(), DM_EVENT_PREUNMOUNT);
	EXPECT_GT(pre.token(), 0) << "PREUNMOUNT is synchronous";
	auto *ne = pre.data<dm_namesp_event_t>();
	EXPECT_EQ(ne->ne_mode, 0u);
	EXPECT_TRUE(same_handle(DM_GET_VALUE(ne, ne_handle1, void *),
				DM_GET_LEN(ne, ne_handle1), fsh.hanp, fsh.hlen));
	EXPECT_TRUE(same_handle(DM_GET_VALUE(ne, ne_handle2, void *),
				DM_GET_LEN(ne, ne_handle2), root.hanp, root.hlen));
	int fd = dm_open_by_handle(root.hanp, root.hlen, O_RDONLY | O_DIRECTORY);
	EXPECT_GE(fd, 0) << "handles work during PREUNMOUNT: " << strerror(errno);
	if (fd >= 0)
		close(fd);
	respond(sid_, pre.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(child->wait(), 0);

	Message un = next(sid_);
	ASSERT_EQ(un.type(), DM_EVENT_UNMOUNT);
	EXPECT_EQ(un.token(), DM_INVALID_TOKEN) << "UNMOUNT is asynchronous";
	ne = un.data<dm_namesp_event_t>();
	EXPECT_EQ(ne->ne_retcode, 0);
	EXPECT_EQ(ne->ne_mode, 0u);
	EXPECT_TRUE(same_handle(DM_GET_VALUE(ne, ne_handle1, void *),
				DM_GET_LEN(ne, ne_handle1), fsh.hanp, fsh.hlen));
	EXPECT_DM_ERRNO(dm_open_by_handle(root.hanp, root.hlen, O_RDONLY), EBADF);
}

/*
 * A lower filesystem whose handles are not inode number and generation
 * (tmpfs wants three words) is refused before any event: no handle of
 * the mount would ever find its object.
 */
TEST_F(MountEvents, ALowerFilesystemThatCannotFindObjectsByOurHandlesEINVAL)
{
	ASSERT_EQ(mount("tmpfs", lower_.c_str(), "tmpfs", 0, "size=1m"), 0) << strerror(errno);
	EXPECT_EQ(mount_in_child()->wait(), EINVAL);
	EXPECT_FALSE(is_mounted());
	EXPECT_EQ(umount(lower_.c_str()), 0) << strerror(errno);
}

/* The mount point the events report cannot change on a remount. */
TEST_F(MountEvents, ARemountCannotChangeTheMountPoint)
{
	mount_taking(0, 0);
	std::string same = "mtpt=" + lower_;
	EXPECT_EQ(mount(nullptr, mnt_.c_str(), nullptr, MS_REMOUNT, "mtpt=/elsewhere"), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(mount(nullptr, mnt_.c_str(), nullptr, MS_REMOUNT, same.c_str()), 0)
		<< strerror(errno);
	Handle fsh;
	ASSERT_DM_OK(dm_path_to_fshandle(mnt_.data(), &fsh.hanp, &fsh.hlen));
	std::vector<char> buf(1 << 16);
	size_t rlen = 0;
	ASSERT_DM_OK(dm_get_mountinfo(sid_, fsh.hanp, fsh.hlen, DM_NO_TOKEN, buf.size(),
				      buf.data(), &rlen));
	auto *me = reinterpret_cast<dm_mount_event_t *>(buf.data());
	EXPECT_EQ(name_of(DM_GET_VALUE(me, me_name1, void *), DM_GET_LEN(me, me_name1)),
		  fs::canonical(lower_).string());
}

TEST_F(MountEvents, NoUnmountEventsWithoutTheEventList)
{
	mount_taking(kUnmountEvents, 0);
	ASSERT_EQ(umount(mnt_.c_str()), 0);
	EXPECT_TRUE(queue_empty(sid_));
}

TEST_F(MountEvents, NoUnmountEventsWithoutTheDisposition)
{
	mount_taking(0, kUnmountEvents);
	ASSERT_EQ(umount(mnt_.c_str()), 0);
	EXPECT_TRUE(queue_empty(sid_));
}

TEST_F(MountEvents, DestroyedSessionGetsNoUnmountEvents)
{
	dm_sessid_t other = new_session("mount-test other");
	/* Taken from sid_, which must not get them back. */
	mount_taking(kUnmountEvents, kUnmountEvents);
	Handle fsh;
	ASSERT_DM_OK(dm_path_to_fshandle(mnt_.data(), &fsh.hanp, &fsh.hlen));
	dm_eventset_t set = kUnmountEvents;
	ASSERT_DM_OK(dm_set_disp(other, fsh.hanp, fsh.hlen, DM_NO_TOKEN, &set,
				 DM_EVENT_MAX));
	ASSERT_DM_OK(dm_destroy_session(other));
	ASSERT_EQ(umount(mnt_.c_str()), 0);
	EXPECT_TRUE(queue_empty(sid_));
}

TEST_F(MountEvents, ForcedUnmountSaysSo)
{
	mount_taking(kUnmountEvents, kUnmountEvents);
	auto child = umount_in_child(MNT_FORCE);
	Message pre = next(sid_);
	ASSERT_EQ(pre.type(), DM_EVENT_PREUNMOUNT);
	EXPECT_EQ(pre.data<dm_namesp_event_t>()->ne_mode & DM_UNMOUNT_FORCE,
		  (unsigned)DM_UNMOUNT_FORCE);
	respond(sid_, pre.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(child->wait(), 0);
	Message un = next(sid_);
	ASSERT_EQ(un.type(), DM_EVENT_UNMOUNT);
	EXPECT_EQ(un.data<dm_namesp_event_t>()->ne_mode & DM_UNMOUNT_FORCE,
		  (unsigned)DM_UNMOUNT_FORCE);
}

/* umount -f that fails (busy) does not make the next unmount a forced one. */
TEST_F(MountEvents, AForcedUnmountThatFailedLeavesTheNextOneUnforced)
{
	mount_taking(kUnmountEvents, kUnmountEvents);
	int fd = open((mnt_ + "/busy").c_str(), O_CREAT | O_RDWR, 0600);
	ASSERT_GE(fd, 0) << strerror(errno);
	EXPECT_EQ(umount_in_child(MNT_FORCE)->wait(), EBUSY);
	close(fd);
	EXPECT_TRUE(queue_empty(sid_)) << "no PREUNMOUNT for an unmount that never began";

	auto child = umount_in_child();
	Message pre = next(sid_);
	ASSERT_EQ(pre.type(), DM_EVENT_PREUNMOUNT);
	EXPECT_EQ(pre.data<dm_namesp_event_t>()->ne_mode & DM_UNMOUNT_FORCE, 0u);
	respond(sid_, pre.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(child->wait(), 0);
	Message un = next(sid_);
	ASSERT_EQ(un.type(), DM_EVENT_UNMOUNT);
	EXPECT_EQ(un.data<dm_namesp_event_t>()->ne_mode & DM_UNMOUNT_FORCE, 0u);
}

/*
 * Nor one made later by the same process: umount -f marks only the
 * unmount of its own call.
 */
TEST_F(MountEvents, AForcedUnmountThatFailedLeavesTheSameProcessesNextUnforced)
{
	mount_taking(kUnmountEvents, kUnmountEvents);
	std::string dst = mnt_;
	Child child([=] {
		int fd = open((dst + "/busy").c_str(), O_CREAT | O_RDWR, 0600);
		if (fd < 0)
			return 10;
		if (umount2(dst.c_str(), MNT_FORCE) == 0 || errno != EBUSY)
			return 11;
		close(fd);
		return umount2(dst.c_str(), 0) ? errno : 0;
	});
	Message pre = next(sid_);
	ASSERT_EQ(pre.type(), DM_EVENT_PREUNMOUNT);
	EXPECT_EQ(pre.data<dm_namesp_event_t>()->ne_mode & DM_UNMOUNT_FORCE, 0u);
	respond(sid_, pre.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(child.wait(), 0);
	Message un = next(sid_);
	ASSERT_EQ(un.type(), DM_EVENT_UNMOUNT);
	EXPECT_EQ(un.data<dm_namesp_event_t>()->ne_mode & DM_UNMOUNT_FORCE, 0u);
}

/*
 * Nor the filesystems that umount -f -l detaches below the one it names:
 * they go in the same call, but were not asked to be forced.
 */
TEST_F(MountEvents, AForcedLazyUnmountForcesOnlyTheFilesystemItNames)
{
	std::string lower2 = base_ + "/lower2", below = mnt_ + "/below";
	LoopFilesystem second(base_ + "/image", lower2);
	if (!second.why().empty())
		GTEST_SKIP() << second.why();
	std::string named, detached;
	ASSERT_NO_FATAL_FAILURE(mount_taking(kUnmountEvents, kUnmountEvents,
					     lower_, mnt_, &named));
	ASSERT_EQ(mkdir(below.c_str(), 0755), 0) << strerror(errno);
	ASSERT_NO_FATAL_FAILURE(mount_taking(kUnmountEvents, kUnmountEvents,
					     lower2, below, &detached));
	ASSERT_FALSE(same_handle(named.data(), named.size(), detached.data(),
				 detached.size()));

	/*
	 * Both filesystems' events come from the one call, in an order the
	 * VFS chooses; each PREUNMOUNT waits for its answer.  A test that
	 * stops early kills the unmounter rather than wait on it.
	 */
	auto child = umount_in_child(MNT_FORCE | MNT_DETACH);
	std::map<std::pair<bool, dm_eventtype_t>, unsigned> modes;
	for (int i = 0; i < 4; i++) {
		Message m = next(sid_);
		if (m.type() != DM_EVENT_PREUNMOUNT && m.type() != DM_EVENT_UNMOUNT) {
			ADD_FAILURE() << "event " << m.type() << " where an unmount's was due";
			child->kill_now();
			break;
		}
		if (m.type() == DM_EVENT_PREUNMOUNT)
			respond(sid_, m.token(), DM_RESP_CONTINUE);
		auto *ne = m.data<dm_namesp_event_t>();
		void *fs = DM_GET_VALUE(ne, ne_handle1, void *);
		size_t fslen = DM_GET_LEN(ne, ne_handle1);
		bool of_named = same_handle(fs, fslen, named.data(), named.size());
		EXPECT_TRUE(of_named || same_handle(fs, fslen, detached.data(), detached.size()))
			<< "an event of another filesystem";
		EXPECT_TRUE(modes.emplace(std::make_pair(of_named, m.type()), ne->ne_mode).second)
			<< "event " << m.type() << " came twice for one filesystem";
	}
	EXPECT_EQ(child->wait(), 0);
	for (auto type : {DM_EVENT_PREUNMOUNT, DM_EVENT_UNMOUNT}) {
		SCOPED_TRACE(type == DM_EVENT_PREUNMOUNT ? "PREUNMOUNT" : "UNMOUNT");
		auto of_named = modes.find(std::make_pair(true, type));
		auto of_detached = modes.find(std::make_pair(false, type));
		ASSERT_NE(of_named, modes.end());
		ASSERT_NE(of_detached, modes.end());
		EXPECT_EQ(of_named->second & DM_UNMOUNT_FORCE, (unsigned)DM_UNMOUNT_FORCE);
		EXPECT_EQ(of_detached->second & DM_UNMOUNT_FORCE, 0u);
	}
	EXPECT_TRUE(queue_empty(sid_));
}

/*
 * A filesystem's fsid stays taken until its UNMOUNT has gone: a mount of
 * it made meanwhile fails EBUSY, where its MOUNT event came before the
 * old mount's UNMOUNT.  A creation by handle waiting for the frozen
 * lower filesystem holds the old mount's teardown at that point.
 */
TEST_F(MountEvents, NoNewMountOfTheFilesystemBeforeTheOldOnesUnmountEvent)
{
	mount_taking(kUnmountEvents, kUnmountEvents);
	Handle root, fsh;
	ASSERT_DM_OK(dm_path_to_handle(mnt_.data(), &root.hanp, &root.hlen));
	ASSERT_DM_OK(dm_path_to_fshandle(mnt_.data(), &fsh.hanp, &fsh.hlen));
	std::string again = base_ + "/again";
	fs::create_directories(again);
	/* Waiting for the thaw, they cannot be killed: reaped after it. */
	std::unique_ptr<Child> creator, unmounter;
	FrozenFilesystem frozen("/mnt/scratch");
	ASSERT_EQ(frozen.error(), 0) << strerror(frozen.error());
	/* The child runs on its copy of this process: references hold. */
	creator = std::make_unique<Child>([&] {
		return dm_create_by_handle(sid_, root.hanp, root.hlen, DM_NO_TOKEN, fsh.hanp,
					   fsh.hlen, const_cast<char *>("made")) ? errno : 0;
	});
	ASSERT_TRUE(waits_in(creator->pid(), "mnt_want_write"))
		<< "the creation did not wait for the frozen filesystem";
	unmounter = umount_in_child();
	Message pre = next(sid_);
	ASSERT_EQ(pre.type(), DM_EVENT_PREUNMOUNT);
	respond(sid_, pre.token(), DM_RESP_CONTINUE);
	ASSERT_TRUE(waits_in(unmounter->pid(), "dm_fs_unregister"))
		<< "the unmount did not wait for the creation";

	std::string src = lower_;
	auto mounter = std::make_unique<Child>([=] {
		return mount(src.c_str(), again.c_str(), "dmapi", 0, nullptr) ? errno : 0;
	});
	EXPECT_EQ(mounter->wait(), EBUSY);
	frozen.thaw();
	EXPECT_EQ(creator->wait(), 0);
	EXPECT_EQ(unmounter->wait(), 0);
	EXPECT_EQ(next(sid_).type(), DM_EVENT_UNMOUNT);
	struct statfs sfs;
	if (statfs(again.c_str(), &sfs) == 0 && sfs.f_type == kDmapiMagic)
		umount2(again.c_str(), MNT_DETACH);
}

TEST_F(MountEvents, AbortCannotStopAnUnmount)
{
	/* Linux lets no filesystem refuse an unmount once it is detached. */
	mount_taking(kUnmountEvents, kUnmountEvents);
	auto child = umount_in_child();
	Message pre = next(sid_);
	ASSERT_EQ(pre.type(), DM_EVENT_PREUNMOUNT);
	respond(sid_, pre.token(), DM_RESP_ABORT, EBUSY);
	EXPECT_EQ(child->wait(), 0);
	EXPECT_FALSE(is_mounted());
	EXPECT_EQ(next(sid_).type(), DM_EVENT_UNMOUNT);
}

TEST_F(MountEvents, KillingTheUnmounterEndsItsWaitAndTheUnmountCompletes)
{
	mount_taking(kUnmountEvents, kUnmountEvents);
	auto child = umount_in_child();
	Message pre = next(sid_);
	ASSERT_EQ(pre.type(), DM_EVENT_PREUNMOUNT);
	child->kill_now();
	EXPECT_EQ(child->wait(), 128 + SIGKILL);
	EXPECT_FALSE(is_mounted());
	EXPECT_EQ(next(sid_).type(), DM_EVENT_UNMOUNT);
	respond(sid_, pre.token(), DM_RESP_CONTINUE);
}

} // namespace
