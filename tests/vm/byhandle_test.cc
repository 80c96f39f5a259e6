// SPDX-License-Identifier: GPL-2.0
/*
 * Creation by handle: dm_create_by_handle, dm_mkdir_by_handle and
 * dm_symlink_by_handle make a named object in a directory known by
 * handle, as the DM application's own change (no namespace events), with
 * the DM attributes it inherits.  The handle asked for must be the
 * filesystem's: the lower filesystem chooses inode numbers.  Needs the
 * scratch filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "event_mount.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

/* The three calls that make an object by handle, which fail alike. */
struct Maker {
	const char *call;
	int (*make)(dm_sessid_t sid, void *dirhanp, size_t dirhlen, dm_token_t token,
		    void *hanp, size_t hlen, char *cname);
};

const Maker kMakers[] = {
	{"dm_create_by_handle", dm_create_by_handle},
	{"dm_mkdir_by_handle", dm_mkdir_by_handle},
	{"dm_symlink_by_handle",
	 [](dm_sessid_t sid, void *dirhanp, size_t dirhlen, dm_token_t token, void *hanp,
	    size_t hlen, char *cname) {
		 return dm_symlink_by_handle(sid, dirhanp, dirhlen, token, hanp, hlen, cname,
					     const_cast<char *>("target"));
	 }},
};

class ByHandle : public EventMountTest {
protected:
	ByHandle() : EventMountTest("byhandle") {}

	void populate() override
	{
		fs::create_directory(lower("dir"));
		spit(lower("file"), "x");
	}

	void SetUp() override
	{
		EventMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		ASSERT_NO_FATAL_FAILURE(handle_of("dir", dir_));
		ASSERT_NO_FATAL_FAILURE(handle_of("file", file_));
	}

	int create(const char *name) { return make(kMakers[0], name); }

	/* Make name with m in dir (the fixture's "dir" unless given). */
	int make(const Maker &m, const char *name, const Handle *dir = nullptr,
		 dm_token_t token = DM_NO_TOKEN)
	{
		if (!dir)
			dir = &dir_;
		return m.make(sid_, dir->hanp, dir->hlen, token, fsh_.hanp, fsh_.hlen,
			      const_cast<char *>(name));
	}

	struct stat stat_of(const std::string &rel)
	{
		struct stat st = {};
		EXPECT_EQ(lstat(path(rel).c_str(), &st), 0) << rel << ": " << strerror(errno);
		return st;
	}

	Handle dir_, file_;
};

TEST_F(ByHandle, CreateMakesAnEmptyPrivateFile)
{
	ASSERT_DM_OK(create("new"));
	struct stat st = stat_of("dir/new");
	EXPECT_EQ(st.st_mode, static_cast<mode_t>(S_IFREG | 0600));
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(st.st_uid, getuid());
}

TEST_F(ByHandle, MkdirMakesAPrivateDirectory)
{
	ASSERT_DM_OK(dm_mkdir_by_handle(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, fsh_.hanp,
					fsh_.hlen, const_cast<char *>("sub")));
	EXPECT_EQ(stat_of("dir/sub").st_mode, static_cast<mode_t>(S_IFDIR | 0700));
}

TEST_F(ByHandle, SymlinkMakesALinkToThePath)
{
	ASSERT_DM_OK(dm_symlink_by_handle(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, fsh_.hanp,
					  fsh_.hlen, const_cast<char *>("sym"),
					  const_cast<char *>("../file")));
	EXPECT_EQ(fs::read_symlink(path("dir/sym")), "../file");
	EXPECT_EQ(slurp(path("dir/sym")), "x");
}

TEST_F(ByHandle, NoNamespaceEvents)
{
	ASSERT_DM_OK(take({DM_EVENT_CREATE, DM_EVENT_POSTCREATE, DM_EVENT_SYMLINK}));
	ASSERT_DM_OK(enable(fsh_, {DM_EVENT_CREATE, DM_EVENT_POSTCREATE, DM_EVENT_SYMLINK}));
	ASSERT_DM_OK(create("quiet"));
	EXPECT_TRUE(queue_empty()) << "the DM application's own change";
	EXPECT_TRUE(fs::exists(lower("dir/quiet")));
}

TEST_F(ByHandle, NewObjectsInheritTheirDirectorysAttributes)
{
	dm_attrname_t name = {};
	std::memcpy(name.an_chars, "policy", 6);
	ASSERT_DM_OK(dm_set_dmattr(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, &name, 0, 4,
				   const_cast<char *>("gold")));
	ASSERT_DM_OK(dm_set_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &name, S_IFREG));
	ASSERT_DM_OK(create("new"));
	Handle h;
	ASSERT_NO_FATAL_FAILURE(handle_of("dir/new", h));
	char buf[16];
	size_t rlen = 0;
	ASSERT_DM_OK(dm_get_dmattr(sid_, h.hanp, h.hlen, DM_NO_TOKEN, &name, sizeof(buf), buf,
				   &rlen));
	EXPECT_EQ(std::string(buf, rlen), "gold");
}

/*
 * The object is made, then given what it inherits, all in the lower
 * directory's lock: a lookup through the mount finds it only once every
 * copy is there (or finds nothing, when a copy failed and it was taken
 * away).  Inherited attributes of some size make the copying take a
 * while (they stay within one ext4 block); a thread looks the name up
 * through the mount meanwhile, again and again.  Returns how many of
 * them the object had when the thread first found it, or -1.
 */
class ByHandleInheriting : public ByHandle {
protected:
	static constexpr int kInherited = 12;

	void SetUp() override
	{
		ByHandle::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		std::string value(200, 'v');
		for (int i = 0; i < kInherited; i++) {
			std::string text = "inh" + std::to_string(i);
			dm_attrname_t name = {};
			std::memcpy(name.an_chars, text.data(), text.size());
			ASSERT_DM_OK(dm_set_dmattr(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, &name,
						   0, value.size(), value.data()));
			ASSERT_DM_OK(dm_set_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN,
						    &name, S_IFREG));
		}
	}

	int inherited_when_first_seen(const std::string &name)
	{
		std::atomic<bool> stop{false};
		std::atomic<int> seen_with{-1};
		std::thread looker([&] {
			std::string through = path("dir/" + name), below = lower("dir/" + name);
			struct stat st;
			while (!stop) {
				if (lstat(through.c_str(), &st) != 0)
					continue;
				std::vector<char> names(1 << 16);
				ssize_t n = llistxattr(below.c_str(), names.data(), names.size());
				int count = 0;
				for (ssize_t at = 0; at < n; at += std::strlen(&names[at]) + 1)
					count += !std::strncmp(&names[at], "trusted.dmapi.attr.", 19);
				seen_with = count;
				return;
			}
		});
		int rc = create(name.c_str());
		int err = errno;
		for (int i = 0; i < 100 && seen_with == -1; i++)
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		stop = true;
		looker.join();
		EXPECT_EQ(rc, 0) << strerror(err);
		return seen_with;
	}
};

TEST_F(ByHandleInheriting, AnObjectIsSeenThroughTheMountOnlyWithAllItInherits)
{
	for (int i = 0; i < 10; i++) {
		std::string name = "new" + std::to_string(i);
		SCOPED_TRACE(name);
		int seen_with = inherited_when_first_seen(name);
		ASSERT_NE(seen_with, -1) << "the lookups through the mount never found it";
		EXPECT_EQ(seen_with, kInherited) << "found before its copies were all made";
	}
}

TEST_F(ByHandle, AnExistingNameEEXIST)
{
	ASSERT_DM_OK(create("new"));
	for (const auto &m : kMakers) {
		SCOPED_TRACE(m.call);
		EXPECT_DM_ERRNO(make(m, "new"), EEXIST);
	}
}

TEST_F(ByHandle, AnObjectHandleAskedForEINVAL)
{
	for (const auto &m : kMakers) {
		SCOPED_TRACE(m.call);
		EXPECT_DM_ERRNO(m.make(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, file_.hanp,
				       file_.hlen, const_cast<char *>("new")),
				EINVAL);
		EXPECT_FALSE(fs::exists(lower("dir/new")));
	}
}

TEST_F(ByHandle, NamesThatAreNotOneComponentEINVAL)
{
	for (const auto &m : kMakers) {
		for (const char *bad : {"", ".", "..", "a/b"}) {
			SCOPED_TRACE(std::string(m.call) + " of \"" + bad + "\"");
			EXPECT_DM_ERRNO(make(m, bad), EINVAL);
		}
	}
}

TEST_F(ByHandle, TooLongANameENAMETOOLONG)
{
	std::string name(300, 'n');
	for (const auto &m : kMakers) {
		SCOPED_TRACE(m.call);
		EXPECT_DM_ERRNO(make(m, name.c_str()), ENAMETOOLONG);
	}
}

TEST_F(ByHandle, AFileAsTheDirectoryENOTDIR)
{
	for (const auto &m : kMakers) {
		SCOPED_TRACE(m.call);
		EXPECT_DM_ERRNO(make(m, "new", &file_), ENOTDIR);
	}
}

/* As symlink(2): a target that, with its NUL, is longer than PATH_MAX. */
TEST_F(ByHandle, SymlinkToATooLongPathENAMETOOLONG)
{
	std::string target(PATH_MAX, 't');
	EXPECT_DM_ERRNO(dm_symlink_by_handle(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, fsh_.hanp,
					     fsh_.hlen, const_cast<char *>("sym"), target.data()),
			ENAMETOOLONG);
	EXPECT_FALSE(fs::is_symlink(lower("dir/sym")));
	target.resize(512);	/* within what XFS and ext4 store */
	EXPECT_DM_OK(dm_symlink_by_handle(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, fsh_.hanp,
					  fsh_.hlen, const_cast<char *>("sym"), target.data()));
	EXPECT_EQ(fs::read_symlink(lower("dir/sym")).string(), target);
}

/* As symlink(2); ext4 stored one, which e2fsck then called invalid. */
TEST_F(ByHandle, SymlinkToAnEmptyPathENOENT)
{
	EXPECT_DM_ERRNO(dm_symlink_by_handle(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, fsh_.hanp,
					     fsh_.hlen, const_cast<char *>("sym"),
					     const_cast<char *>("")),
			ENOENT);
	EXPECT_FALSE(fs::is_symlink(lower("dir/sym")));
}

TEST_F(ByHandle, NullNameEFAULT)
{
	for (const auto &m : kMakers) {
		SCOPED_TRACE(m.call);
		EXPECT_DM_ERRNO(make(m, nullptr), EFAULT);
	}
	EXPECT_DM_ERRNO(dm_symlink_by_handle(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, fsh_.hanp,
					     fsh_.hlen, const_cast<char *>("sym"), nullptr),
			EFAULT);
}

TEST_F(ByHandle, NullDirectoryHandleEFAULT)
{
	for (const auto &m : kMakers) {
		SCOPED_TRACE(m.call);
		EXPECT_DM_ERRNO(m.make(sid_, nullptr, dir_.hlen, DM_NO_TOKEN, fsh_.hanp, fsh_.hlen,
				       const_cast<char *>("new")),
				EFAULT);
	}
}

TEST_F(ByHandle, TokenNotOutstandingESRCH)
{
	for (const auto &m : kMakers) {
		SCOPED_TRACE(m.call);
		EXPECT_DM_ERRNO(make(m, "new", nullptr, kNotOutstanding), ESRCH);
	}
}

TEST_F(ByHandle, RemovedDirectoryEBADF)
{
	Handle sub;
	ASSERT_EQ(mkdir(path("dir/sub").c_str(), 0755), 0);
	ASSERT_NO_FATAL_FAILURE(handle_of("dir/sub", sub));
	ASSERT_EQ(rmdir(path("dir/sub").c_str()), 0);
	for (const auto &m : kMakers) {
		SCOPED_TRACE(m.call);
		EXPECT_DM_ERRNO(make(m, "new", &sub), EBADF);
	}
}

/*
 * The directory was found under the mount of the time; a mount of the
 * same filesystem made while the call waited for its right has another
 * tree, which the directory is not in.
 */
TEST_F(ByHandle, ADirectoryOutsideTheTreeMountedWhileTheCallWaitedEBADF)
{
	dm_token_t t = DM_INVALID_TOKEN;
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &t));
	ASSERT_DM_OK(dm_request_right(sid_, dir_.hanp, dir_.hlen, t, 0, DM_RIGHT_EXCL));
	fs::create_directory(lower("other"));
	int rc = 0, err = 0;
	std::promise<pid_t> creator;
	std::thread waiter([&] {
		creator.set_value(static_cast<pid_t>(syscall(SYS_gettid)));
		rc = create("new");
		err = errno;
	});
	bool waiting = waits_in(creator.get_future().get(), "dm_ioc_create_by_handle");
	bool remounted = umount(mnt_.c_str()) == 0 &&
			 mount(lower("other").c_str(), mnt_.c_str(), "dmapi", 0, nullptr) == 0;
	int remount_err = errno;
	EXPECT_DM_OK(dm_respond_event(sid_, t, DM_RESP_CONTINUE, 0, 0, nullptr));
	waiter.join();
	ASSERT_TRUE(waiting) << "the call did not wait for the right";
	ASSERT_TRUE(remounted) << strerror(remount_err);
	EXPECT_EQ(rc, -1);
	EXPECT_EQ(err, EBADF);
	EXPECT_FALSE(fs::exists(lower("dir/new"))) << "made outside the mounted tree";
}

/* The directory removed while the call waited for its right: gone too. */
TEST_F(ByHandle, ADirectoryRemovedWhileTheCallWaitedEBADF)
{
	Handle sub;
	ASSERT_EQ(mkdir(path("dir/sub").c_str(), 0755), 0);
	ASSERT_NO_FATAL_FAILURE(handle_of("dir/sub", sub));
	dm_token_t t = DM_INVALID_TOKEN;
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &t));
	ASSERT_DM_OK(dm_request_right(sid_, sub.hanp, sub.hlen, t, 0, DM_RIGHT_EXCL));
	int rc = 0, err = 0;
	std::promise<pid_t> creator;
	std::thread waiter([&] {
		creator.set_value(static_cast<pid_t>(syscall(SYS_gettid)));
		rc = make(kMakers[0], "new", &sub);
		err = errno;
	});
	bool waiting = waits_in(creator.get_future().get(), "dm_ioc_create_by_handle");
	int removed = rmdir(lower("dir/sub").c_str()) ? errno : 0;
	EXPECT_DM_OK(dm_respond_event(sid_, t, DM_RESP_CONTINUE, 0, 0, nullptr));
	waiter.join();
	ASSERT_TRUE(waiting) << "the call did not wait for the right";
	ASSERT_EQ(removed, 0) << strerror(removed);
	EXPECT_EQ(rc, -1);
	EXPECT_EQ(err, EBADF) << strerror(err);
}

TEST_F(ByHandle, ConfigSaysTheCallerCannotChooseTheHandle)
{
	dm_size_t v = 1;
	ASSERT_DM_OK(dm_get_config(fsh_.hanp, fsh_.hlen, DM_CONFIG_CREATE_BY_HANDLE, &v));
	EXPECT_EQ(v, 0u);
}

} // namespace
