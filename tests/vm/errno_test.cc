// SPDX-License-Identifier: GPL-2.0
/*
 * The failures every call on a file with a token documents, for each
 * such call: a token no longer outstanding (ESRCH), the handle of an
 * object that was removed (EBADF), no such session and a filesystem's
 * handle (EINVAL); those of the calls on a filesystem's handle (one not
 * mounted, EBADF; a file's, EINVAL, or ESRCH with a token not
 * outstanding); those of a handle itself, for both (none or unreadable,
 * EFAULT; malformed, EINVAL); and documented failures that no area's own
 * tests reached.
 * Needs the scratch filesystem at /mnt/scratch.
 */
#include "dmtest.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace dmtest;

namespace {

using ObjectCallFn = std::function<int(dm_sessid_t, Handle &, dm_token_t)>;

struct TokenCall {
	const char *name;
	ObjectCallFn call;
	int on_file = EINVAL;	/* of the calls on a filesystem: given a file's handle */
	bool takes_token = true;
};

/* A handle of the test's memory, which the guard does not free. */
struct BorrowedHandle : Handle {
	BorrowedHandle(void *p, size_t len)
	{
		hanp = p;
		hlen = len;
	}
	~BorrowedHandle()
	{
		hanp = nullptr;
		hlen = 0;
	}
};

char junk_handle[5] = {1, 2, 3, 4, 5};

/*
 * The failures of a handle itself, common to every call that takes one:
 * none (EFAULT), one that ends in memory the caller cannot read (EFAULT),
 * one of no form a handle has (EINVAL).
 */
template <typename Call> void expect_handle_errors(Call call, const Handle &of)
{
	{
		SCOPED_TRACE("a NULL handle");
		BorrowedHandle none(nullptr, of.hlen);
		EXPECT_DM_ERRNO(call(none), EFAULT);
	}
	{
		SCOPED_TRACE("a handle ending in an unreadable page");
		GuardedPage page;
		ASSERT_TRUE(page.ok());
		char *start = page.last<char>() + 1 - (of.hlen - 1);
		std::memcpy(start, of.hanp, of.hlen - 1);
		BorrowedHandle unreadable(start, of.hlen);
		EXPECT_DM_ERRNO(call(unreadable), EFAULT);
	}
	SCOPED_TRACE("a malformed handle");
	BorrowedHandle malformed(junk_handle, sizeof(junk_handle));
	EXPECT_DM_ERRNO(call(malformed), EINVAL);
}

char scratch_buf[64];

const std::vector<TokenCall> kTokenCalls = {
	{"read_invis", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 return static_cast<int>(dm_read_invis(s, h.hanp, h.hlen, t, 0, 16, scratch_buf));
	 }},
	{"write_invis", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 return static_cast<int>(dm_write_invis(s, h.hanp, h.hlen, t, 0, 0, 16, scratch_buf));
	 }},
	{"punch_hole", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 return dm_punch_hole(s, h.hanp, h.hlen, t, 0, 0);
	 }},
	{"probe_hole", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_off_t roff;
		 dm_size_t rlen;
		 return dm_probe_hole(s, h.hanp, h.hlen, t, 0, 0, &roff, &rlen);
	 }},
	{"get_allocinfo", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_off_t off = 0;
		 dm_extent_t extents[4];
		 u_int n;
		 return dm_get_allocinfo(s, h.hanp, h.hlen, t, &off, 4, extents, &n);
	 }},
	{"sync_by_handle", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 return dm_sync_by_handle(s, h.hanp, h.hlen, t);
	 }},
	{"get_dioinfo", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_dioinfo_t dio;
		 return dm_get_dioinfo(s, h.hanp, h.hlen, t, &dio);
	 }},
	{"set_fileattr", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_fileattr_t fa = {};
		 fa.fa_mode = 0640;
		 return dm_set_fileattr(s, h.hanp, h.hlen, t, DM_AT_MODE, &fa);
	 }},
	{"release_right", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 return dm_release_right(s, h.hanp, h.hlen, t);
	 }},
	{"upgrade_right", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 return dm_upgrade_right(s, h.hanp, h.hlen, t);
	 }},
	{"downgrade_right", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 return dm_downgrade_right(s, h.hanp, h.hlen, t);
	 }},
	{"query_right", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_right_t right;
		 return dm_query_right(s, h.hanp, h.hlen, t, &right);
	 }},
	{"obj_ref_hold", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 return dm_obj_ref_hold(s, t, h.hanp, h.hlen);
	 }},
	{"obj_ref_rele", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 return dm_obj_ref_rele(s, t, h.hanp, h.hlen);
	 }},
	{"obj_ref_query", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 return dm_obj_ref_query(s, t, h.hanp, h.hlen);
	 }},
	{"request_right", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 return dm_request_right(s, h.hanp, h.hlen, t, 0, DM_RIGHT_SHARED);
	 }},
	{"get_dmattr", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_attrname_t name = {{'k', 'e', 'p', 't'}};
		 size_t rlen;
		 return dm_get_dmattr(s, h.hanp, h.hlen, t, &name, sizeof(scratch_buf),
				      scratch_buf, &rlen);
	 }},
	{"set_dmattr", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_attrname_t name = {{'k', 'e', 'p', 't'}};
		 return dm_set_dmattr(s, h.hanp, h.hlen, t, &name, 0, 1, scratch_buf);
	 }},
	{"remove_dmattr", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_attrname_t name = {{'k', 'e', 'p', 't'}};
		 return dm_remove_dmattr(s, h.hanp, h.hlen, t, 0, &name);
	 }},
	{"getall_dmattr", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 size_t rlen;
		 return dm_getall_dmattr(s, h.hanp, h.hlen, t, sizeof(scratch_buf), scratch_buf,
					 &rlen);
	 }},
	{"get_region", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_region_t r[2];
		 u_int n;
		 return dm_get_region(s, h.hanp, h.hlen, t, 2, r, &n);
	 }},
	{"set_region", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_region_t r = {0, 0, DM_REGION_NOEVENT, 0};
		 dm_boolean_t exact;
		 return dm_set_region(s, h.hanp, h.hlen, t, 1, &r, &exact);
	 }},
	{"get_fileattr", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_stat_t st;
		 return dm_get_fileattr(s, h.hanp, h.hlen, t, DM_AT_STAT, &st);
	 }},
};

using ErrnoTest = ObjectMountTest;

class TokenCallErrors : public ErrnoTest, public ::testing::WithParamInterface<TokenCall> {
protected:
	int call(Handle &h, dm_token_t t, dm_sessid_t sid = DM_NO_SESSION)
	{
		return GetParam().call(sid == DM_NO_SESSION ? sid_ : sid, h, t);
	}
};

TEST_P(TokenCallErrors, ATokenWhoseEventWasAnsweredESRCH)
{
	dm_token_t t = token();
	ASSERT_DM_OK(dm_respond_event(sid_, t, DM_RESP_CONTINUE, 0, 0, nullptr));
	EXPECT_DM_ERRNO(call(file_, t), ESRCH);
	EXPECT_DM_ERRNO(call(file_, kNotOutstanding), ESRCH);
}

TEST_P(TokenCallErrors, TheHandleOfARemovedFileEBADF)
{
	dm_token_t t = token();
	/* Removed while still open: gone for DMAPI all the same. */
	int held = open((mnt_ + "/file").c_str(), O_RDONLY);
	ASSERT_GE(held, 0) << strerror(errno);
	ASSERT_EQ(unlink((mnt_ + "/file").c_str()), 0) << strerror(errno);
	EXPECT_DM_ERRNO(call(file_, t), EBADF);
	close(held);
	EXPECT_DM_ERRNO(call(file_, t), EBADF);
}

TEST_P(TokenCallErrors, NoSuchSessionEINVAL)
{
	dm_token_t t = token();
	EXPECT_DM_ERRNO(call(file_, t, kNoSuchSession), EINVAL);
}

TEST_P(TokenCallErrors, AFilesystemHandleEINVAL)
{
	dm_token_t t = token();
	EXPECT_DM_ERRNO(call(fs_, t), EINVAL);
}

TEST_P(TokenCallErrors, ANullUnreadableOrMalformedHandleEFAULTOrEINVAL)
{
	dm_token_t t = token();
	expect_handle_errors([&](Handle &h) { return call(h, t); }, file_);
}

INSTANTIATE_TEST_SUITE_P(, TokenCallErrors, ::testing::ValuesIn(kTokenCalls),
			 [](const ::testing::TestParamInfo<TokenCall> &info) {
				 return std::string(info.param.name);
			 });

dm_attrname_t attr_name(const std::string &name)
{
	dm_attrname_t a = {};
	std::memcpy(a.an_chars, name.data(), std::min(name.size(), sizeof(a.an_chars)));
	return a;
}

/* The calls on a filesystem's handle, with DM_NO_TOKEN. */
const std::vector<TokenCall> kFsCalls = {
	{"init_attrloc", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_attrloc_t loc;
		 return dm_init_attrloc(s, h.hanp, h.hlen, t, &loc);
	 }, ENOTDIR},	/* a directory's will do */
	{"get_bulkattr", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_attrloc_t loc = 0;
		 std::vector<char> buf(65536);
		 size_t rlen;
		 return dm_get_bulkattr(s, h.hanp, h.hlen, t, DM_AT_STAT, &loc, buf.size(),
					buf.data(), &rlen);
	 }},
	{"get_bulkall", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_attrloc_t loc = 0;
		 dm_attrname_t name = attr_name("state");
		 std::vector<char> buf(65536);
		 size_t rlen;
		 return dm_get_bulkall(s, h.hanp, h.hlen, t, DM_AT_STAT, &name, &loc, buf.size(),
				       buf.data(), &rlen);
	 }},
	{"set_inherit", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_attrname_t name = attr_name("state");
		 return dm_set_inherit(s, h.hanp, h.hlen, t, &name, S_IFREG);
	 }},
	{"clear_inherit", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_attrname_t name = attr_name("state");
		 return dm_clear_inherit(s, h.hanp, h.hlen, t, &name);
	 }},
	{"getall_inherit", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_inherit_t list[4];
		 u_int n;
		 return dm_getall_inherit(s, h.hanp, h.hlen, t, 4, list, &n);
	 }},
	{"set_return_on_destroy", [](dm_sessid_t s, Handle &h, dm_token_t t) {
		 dm_attrname_t name = attr_name("hsmid");
		 return dm_set_return_on_destroy(s, h.hanp, h.hlen, t, &name, DM_TRUE);
	 }},
	{"get_config_events", [](dm_sessid_t, Handle &h, dm_token_t) {
		 dm_eventset_t set;
		 u_int n;
		 return dm_get_config_events(h.hanp, h.hlen, DM_EVENT_MAX, &set, &n);
	 }, 0, false},	/* any object's will do */
};

class FsCallErrors : public ErrnoTest, public ::testing::WithParamInterface<TokenCall> {};

TEST_P(FsCallErrors, AFilesystemNotMountedEBADF)
{
	Handle forged;
	ASSERT_NO_FATAL_FAILURE(forge_fs_handle(fs_, forged));
	EXPECT_DM_ERRNO(GetParam().call(sid_, forged, DM_NO_TOKEN), EBADF);
}

TEST_P(FsCallErrors, AFilesHandleGetsItsDocumentedAnswer)
{
	if (GetParam().on_file) {
		EXPECT_DM_ERRNO(GetParam().call(sid_, file_, DM_NO_TOKEN), GetParam().on_file);
	} else {
		EXPECT_DM_OK(GetParam().call(sid_, file_, DM_NO_TOKEN));
	}
}

TEST_P(FsCallErrors, ANullUnreadableOrMalformedHandleEFAULTOrEINVAL)
{
	expect_handle_errors([&](Handle &h) { return GetParam().call(sid_, h, DM_NO_TOKEN); },
			     fs_);
}

INSTANTIATE_TEST_SUITE_P(, FsCallErrors, ::testing::ValuesIn(kFsCalls),
			 [](const ::testing::TestParamInfo<TokenCall> &info) {
				 return std::string(info.param.name);
			 });

using CallErrors = ErrnoTest;

/*
 * The handle's own failures, for the calls on a handle outside the two
 * tables above: those whose handle may be of a file or of a filesystem
 * (event lists, dispositions), of a directory, or of no session's.
 */
TEST_F(CallErrors, TheOtherCallsOnAHandleFailForItsOwnFaults)
{
	struct Other {
		const char *name;
		const Handle &of;
		std::function<int(Handle &)> call;
	};
	dm_eventset_t set = 0;
	u_int n;
	size_t rlen;
	dm_attrloc_t loc = 0;
	dm_size_t value;
	const Other others[] = {
		{"get_eventlist", file_, [&](Handle &h) {
			 return dm_get_eventlist(sid_, h.hanp, h.hlen, DM_NO_TOKEN, DM_EVENT_MAX,
						 &set, &n);
		 }},
		{"set_eventlist", fs_, [&](Handle &h) {
			 return dm_set_eventlist(sid_, h.hanp, h.hlen, DM_NO_TOKEN, &set,
						 DM_EVENT_MAX);
		 }},
		{"set_disp", fs_, [&](Handle &h) {
			 return dm_set_disp(sid_, h.hanp, h.hlen, DM_NO_TOKEN, &set, DM_EVENT_MAX);
		 }},
		{"get_mountinfo", fs_, [&](Handle &h) {
			 return dm_get_mountinfo(sid_, h.hanp, h.hlen, DM_NO_TOKEN,
						 sizeof(scratch_buf), scratch_buf, &rlen);
		 }},
		{"get_dirattrs", dir_, [&](Handle &h) {
			 return dm_get_dirattrs(sid_, h.hanp, h.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
						sizeof(scratch_buf), scratch_buf, &rlen);
		 }},
		{"get_config", file_, [&](Handle &h) {
			 return dm_get_config(h.hanp, h.hlen, DM_CONFIG_PENDING, &value);
		 }},
		{"handle_to_path of the directory", dir_, [&](Handle &h) {
			 return dm_handle_to_path(h.hanp, h.hlen, file_.hanp, file_.hlen,
						  sizeof(scratch_buf), scratch_buf, &rlen);
		 }},
		{"handle_to_path of the target", file_, [&](Handle &h) {
			 return dm_handle_to_path(root_.hanp, root_.hlen, h.hanp, h.hlen,
						  sizeof(scratch_buf), scratch_buf, &rlen);
		 }},
		{"open_by_handle", file_, [&](Handle &h) {
			 int fd = dm_open_by_handle(h.hanp, h.hlen, O_RDONLY);
			 if (fd >= 0)
				 close(fd);
			 return fd < 0 ? -1 : 0;
		 }},
	};
	for (const auto &o : others) {
		SCOPED_TRACE(o.name);
		expect_handle_errors(o.call, o.of);
	}
}

/*
 * The calls on a filesystem's handle that take a token check it before
 * the handle's kind: a file's handle with a token not outstanding ESRCH.
 */
TEST_F(CallErrors, AFilesHandleWithATokenNotOutstandingESRCH)
{
	for (const auto &c : kFsCalls) {
		if (!c.takes_token)
			continue;
		SCOPED_TRACE(c.name);
		EXPECT_DM_ERRNO(c.call(sid_, file_, kNotOutstanding), ESRCH);
	}
}

/* The answer is refused whole: the event stays for a smaller one. */
TEST_F(CallErrors, RespondWithMoreThanMaxMsgDataE2BIGKeepsTheToken)
{
	unsigned long max = std::stoul(slurp("/sys/module/dmapi/parameters/max_msg_data"));
	std::vector<char> reply(max + 1, 'r');
	dm_token_t t = token();
	EXPECT_DM_ERRNO(dm_respond_event(sid_, t, DM_RESP_CONTINUE, 0, reply.size(),
					 reply.data()), E2BIG);
	dm_token_t tokens[4];
	u_int n = 0;
	ASSERT_DM_OK(dm_getall_tokens(sid_, 4, tokens, &n));
	EXPECT_EQ(n, 1u);
	EXPECT_EQ(n ? tokens[0] : DM_INVALID_TOKEN, t);
	EXPECT_DM_OK(dm_respond_event(sid_, t, DM_RESP_CONTINUE, 0, 0, nullptr));
}

TEST_F(CallErrors, RegionsStoredByAnotherWriterEIO)
{
	ASSERT_EQ(setxattr((lower_ + "/file").c_str(), "trusted.dmapi.regions", "abc", 3, 0), 0)
		<< strerror(errno);
	dm_region_t regions[4];
	u_int n;
	EXPECT_DM_ERRNO(dm_get_region(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 4, regions, &n),
			EIO);
}

TEST_F(CallErrors, AnEventListStoredByAnotherWriterEIO)
{
	ASSERT_EQ(setxattr((lower_ + "/file").c_str(), "trusted.dmapi.events", "abc", 3, 0), 0)
		<< strerror(errno);
	dm_eventset_t set;
	u_int n;
	EXPECT_DM_ERRNO(dm_get_eventlist(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, DM_EVENT_MAX,
					 &set, &n), EIO);
}

/* One that sets every event keeps nothing of it: it replaces the list. */
TEST_F(CallErrors, AnEventListStoredByAnotherWriterIsReplacedByOneOfEveryEvent)
{
	ASSERT_EQ(setxattr((lower_ + "/file").c_str(), "trusted.dmapi.events", "abc", 3, 0), 0)
		<< strerror(errno);
	dm_eventset_t set = 0;
	DMEV_SET(DM_EVENT_READ, set);
	/* One that keeps the events past DM_EVENT_READ needs the list. */
	EXPECT_DM_ERRNO(dm_set_eventlist(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &set,
					 DM_EVENT_READ + 1), EIO);
	ASSERT_DM_OK(dm_set_eventlist(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &set,
				      DM_EVENT_MAX));
	dm_eventset_t got = 0;
	u_int n;
	ASSERT_DM_OK(dm_get_eventlist(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, DM_EVENT_MAX,
				      &got, &n));
	EXPECT_EQ(got, set);
}

/* 64 pairs at most; setting one of them again is no new one. */
TEST_F(CallErrors, AFullInheritListENOSPC)
{
	for (int i = 0; i < 64; i++) {
		dm_attrname_t name = attr_name("a" + std::to_string(i));
		ASSERT_DM_OK(dm_set_inherit(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN, &name, S_IFREG));
	}
	dm_attrname_t more = attr_name("a64"), again = attr_name("a7");
	EXPECT_DM_ERRNO(dm_set_inherit(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN, &more, S_IFREG),
			ENOSPC);
	EXPECT_DM_OK(dm_set_inherit(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN, &again, S_IFREG));
}

TEST_F(CallErrors, GetEventsWaitingWhenItsSessionIsDestroyedEINVAL)
{
	char info[] = "dmapi-vm-test errno other";
	dm_sessid_t other;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &other));
	std::promise<pid_t> waiter_tid;
	int rc = 0, err = 0;
	std::thread waiter([&] {
		waiter_tid.set_value(static_cast<pid_t>(syscall(SYS_gettid)));
		char buf[256];
		size_t rlen;
		rc = dm_get_events(other, 1, DM_EV_WAIT, sizeof(buf), buf, &rlen);
		err = errno;
	});
	bool waiting = waits_in(waiter_tid.get_future().get(), "dm_ioc_get_events");
	EXPECT_DM_OK(dm_destroy_session(other));
	waiter.join();
	ASSERT_TRUE(waiting) << "dm_get_events did not wait";
	EXPECT_EQ(rc, -1);
	EXPECT_EQ(err, EINVAL) << strerror(err);
}

TEST_F(CallErrors, ARightRequestWaitingEndsEINTROnASignal)
{
	dm_token_t a = token(), b = token();
	ASSERT_DM_OK(dm_request_right(sid_, file_.hanp, file_.hlen, a, 0, DM_RIGHT_EXCL));
	struct sigaction caught = {}, saved;
	caught.sa_handler = [](int) {};
	ASSERT_EQ(sigaction(SIGUSR1, &caught, &saved), 0);
	std::promise<pid_t> requester_tid;
	int rc = 0, err = 0;
	std::thread requester([&] {
		requester_tid.set_value(static_cast<pid_t>(syscall(SYS_gettid)));
		rc = dm_request_right(sid_, file_.hanp, file_.hlen, b, DM_RR_WAIT, DM_RIGHT_SHARED);
		err = errno;
	});
	pid_t tid = requester_tid.get_future().get();
	bool waiting = waits_in(tid, "dm_ioc_request_right");
	syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
	if (!waiting)	/* the signal may have come first: let it end */
		dm_respond_event(sid_, a, DM_RESP_CONTINUE, 0, 0, nullptr);
	requester.join();
	sigaction(SIGUSR1, &saved, nullptr);
	ASSERT_TRUE(waiting) << "the request did not wait";
	EXPECT_EQ(rc, -1);
	EXPECT_EQ(err, EINTR) << strerror(err);
	dm_right_t right = DM_RIGHT_EXCL;
	EXPECT_DM_OK(dm_query_right(sid_, file_.hanp, file_.hlen, b, &right));
	EXPECT_EQ(right, DM_RIGHT_NULL) << "the interrupted request left a right";
}

TEST_F(CallErrors, DirattrsOfARemovedDirectoryEBADFAndWithATokenNotOutstandingESRCH)
{
	Handle dir;
	std::string path = mnt_ + "/dir";
	ASSERT_DM_OK(dm_path_to_handle(path.data(), &dir.hanp, &dir.hlen));
	dm_attrloc_t loc;
	ASSERT_DM_OK(dm_init_attrloc(sid_, dir.hanp, dir.hlen, DM_NO_TOKEN, &loc));
	std::vector<char> buf(65536);
	size_t rlen;
	EXPECT_DM_ERRNO(dm_get_dirattrs(sid_, dir.hanp, dir.hlen, kNotOutstanding, DM_AT_STAT, &loc,
					buf.size(), buf.data(), &rlen), ESRCH);
	ASSERT_EQ(rmdir(path.c_str()), 0) << strerror(errno);
	EXPECT_DM_ERRNO(dm_get_dirattrs(sid_, dir.hanp, dir.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					buf.size(), buf.data(), &rlen), EBADF);
}

/*
 * A synchronous message to a full queue waits for room, and gives up
 * after event_timeout as it would for its answer.
 */
TEST_F(CallErrors, ASyncMessageToAQueueThatStaysFullETIMEDOUT)
{
	ModuleParam room("max_queued_msgs", "1");
	ModuleParam patience("event_timeout", "1");
	char first[] = "first", second[] = "second";
	ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, sizeof(first), first));
	EXPECT_DM_ERRNO(dm_send_msg(sid_, DM_MSGTYPE_SYNC, sizeof(second), second), ETIMEDOUT);
	std::vector<char> buf(4096);
	size_t rlen = 0;
	ASSERT_DM_OK(dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen));
	auto *msg = reinterpret_cast<dm_eventmsg_t *>(buf.data());
	EXPECT_EQ(DM_STEP_TO_NEXT(msg, dm_eventmsg_t *), nullptr) << "the refused message was queued";
}

/*
 * Past the lower filesystem's largest file (ext4 with 4 KiB blocks holds
 * 16 TiB; XFS 8 EiB, which no offset or size passes): a write at the end
 * of a file that large, and a larger size.
 */
TEST_F(CallErrors, AWriteOrSizeBeyondTheLargestFileEFBIG)
{
	struct statfs sfs;
	ASSERT_EQ(statfs(lower_.c_str(), &sfs), 0) << strerror(errno);
	if (sfs.f_type == XFS_SUPER_MAGIC)
		GTEST_SKIP() << "XFS files may be as large as an offset can say";
	std::string lower = lower_ + "/file";
	/* 64-bit offsets in a 32-bit program too. */
	std::int64_t largest = 8192, too_large = std::int64_t(1) << 62;
	while (too_large - largest > 1) {
		std::int64_t size = largest + (too_large - largest) / 2;
		if (truncate64(lower.c_str(), size) == 0) {
			largest = size;
		} else {
			ASSERT_EQ(errno, EFBIG) << strerror(errno);
			too_large = size;
		}
	}
	ASSERT_EQ(truncate64(lower.c_str(), largest), 0) << strerror(errno);
	char buf[16] = {};
	EXPECT_DM_ERRNO(static_cast<int>(dm_write_invis(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN,
							 0, largest, sizeof(buf), buf)), EFBIG);
	dm_fileattr_t fa = {};
	fa.fa_size = too_large;
	EXPECT_DM_ERRNO(dm_set_fileattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, DM_AT_SIZE, &fa),
			EFBIG);
	struct stat64 st;
	ASSERT_EQ(stat64(lower.c_str(), &st), 0);
	EXPECT_EQ(st.st_size, largest) << "the refused calls changed the size";
	EXPECT_EQ(truncate64(lower.c_str(), 8192), 0);
}

/* Unmounts a path at scope end, even one still busy. */
struct MountedAt {
	std::string path;
	~MountedAt()
	{
		if (!path.empty())
			umount2(path.c_str(), MNT_DETACH);
	}
};

/*
 * A dmapi mount of f2fs, whose handles are the inode number and
 * generation as ours are: handles work, scans do not (their walks are
 * XFS's and ext4's).  f2fs on a loop device, where the guest has them.
 */
TEST_F(CallErrors, AScanOfALowerFilesystemNeitherXfsNorExt4EOPNOTSUPP)
{
	std::string image = base_ + "/f2fs.img", top = base_ + "/f2fs";
	ASSERT_EQ(mkdir(top.c_str(), 0755), 0) << strerror(errno);
	int fd = open(image.c_str(), O_CREAT | O_WRONLY, 0600);
	ASSERT_GE(fd, 0) << strerror(errno);
	ASSERT_EQ(ftruncate(fd, 64 << 20), 0) << strerror(errno);
	close(fd);
	if (std::system(("mkfs.f2fs -q -f " + image + " >/dev/null 2>&1").c_str()) != 0)
		GTEST_SKIP() << "no mkfs.f2fs (f2fs-tools)";
	if (std::system("modprobe -a loop f2fs 2>/dev/null") != 0 ||
	    std::system(("mount -t f2fs -o loop " + image + " " + top + " 2>/dev/null").c_str()) != 0)
		GTEST_SKIP() << "this kernel cannot mount f2fs from a loop device";
	MountedAt f2fs{top};
	std::string mnt = base_ + "/f2fs-mnt";
	ASSERT_EQ(mkdir(mnt.c_str(), 0755), 0) << strerror(errno);
	/* The whole filesystem: a file found by handle is in the tree. */
	ASSERT_EQ(mount(top.c_str(), mnt.c_str(), "dmapi", 0, nullptr), 0) << strerror(errno);
	MountedAt dmapi{mnt};
	Handle fs, file;
	ASSERT_DM_OK(dm_path_to_fshandle(mnt.data(), &fs.hanp, &fs.hlen));
	std::string path = mnt + "/file";
	close(open(path.c_str(), O_CREAT | O_WRONLY, 0600));
	ASSERT_DM_OK(dm_path_to_handle(path.data(), &file.hanp, &file.hlen));
	ASSERT_EQ(system("echo 2 >/proc/sys/vm/drop_caches"), 0);
	dm_stat_t st = {};
	EXPECT_DM_OK(dm_get_fileattr(sid_, file.hanp, file.hlen, DM_NO_TOKEN, DM_AT_STAT, &st));
	file.reset();
	std::vector<char> buf(65536);
	size_t rlen;
	dm_attrloc_t loc = 0;
	EXPECT_DM_ERRNO(dm_get_bulkattr(sid_, fs.hanp, fs.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					buf.size(), buf.data(), &rlen), EOPNOTSUPP);
	dm_attrname_t name = attr_name("state");
	loc = 0;
	EXPECT_DM_ERRNO(dm_get_bulkall(sid_, fs.hanp, fs.hlen, DM_NO_TOKEN, DM_AT_STAT, &name, &loc,
				       buf.size(), buf.data(), &rlen), EOPNOTSUPP);
	fs.reset();
	EXPECT_EQ(umount(mnt.c_str()), 0) << strerror(errno);
}

/* The scratch filesystem, the lower one, read-only for the guard's life. */
class ReadOnlyLower {
public:
	ReadOnlyLower()
		: error_(mount(nullptr, "/mnt/scratch", nullptr, MS_REMOUNT | MS_RDONLY, nullptr)
				 ? errno : 0)
	{
	}
	~ReadOnlyLower()
	{
		if (!error_ && mount(nullptr, "/mnt/scratch", nullptr, MS_REMOUNT, nullptr))
			ADD_FAILURE() << "the scratch filesystem stays read-only: " << strerror(errno);
	}
	ReadOnlyLower(const ReadOnlyLower &) = delete;
	ReadOnlyLower &operator=(const ReadOnlyLower &) = delete;
	int error() const { return error_; }

private:
	int error_;
};

/*
 * Over a read-only lower filesystem the mount stays read-only: a remount
 * that asks for writes fails EROFS, as overlayfs's does.
 */
TEST_F(CallErrors, AWritableRemountOverAReadOnlyLowerFilesystemEROFS)
{
	{
		ReadOnlyLower ro;
		ASSERT_EQ(ro.error(), 0) << strerror(ro.error());
		ASSERT_EQ(mount(nullptr, mnt_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0)
			<< strerror(errno);
		EXPECT_EQ(mount(nullptr, mnt_.c_str(), nullptr, MS_REMOUNT, nullptr), -1);
		EXPECT_EQ(errno, EROFS);
		struct statfs sfs;
		ASSERT_EQ(statfs(mnt_.c_str(), &sfs), 0);
		EXPECT_TRUE(sfs.f_flags & ST_RDONLY);
	}
	EXPECT_EQ(mount(nullptr, mnt_.c_str(), nullptr, MS_REMOUNT, nullptr), 0) << strerror(errno);
}

TEST_F(CallErrors, ChangesByHandleOnAReadOnlyLowerFilesystemEROFS)
{
	ReadOnlyLower ro;
	ASSERT_EQ(ro.error(), 0) << strerror(ro.error());
	char buf[16] = {};
	EXPECT_DM_ERRNO(static_cast<int>(dm_write_invis(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN,
							 0, 0, sizeof(buf), buf)), EROFS);
	dm_fileattr_t fa = {};
	fa.fa_mode = 0600;
	EXPECT_DM_ERRNO(dm_set_fileattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, DM_AT_MODE, &fa),
			EROFS);
	int fd = dm_open_by_handle(file_.hanp, file_.hlen, O_RDWR);
	int err = errno;
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(fd, -1);
	EXPECT_EQ(err, EROFS) << strerror(err);
	EXPECT_EQ(dm_read_invis(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 0, sizeof(buf), buf),
		  static_cast<dm_ssize_t>(sizeof(buf))) << "reads go on: " << strerror(errno);
}

/*
 * ext4 keeps an object's extended attributes in its inode and one block:
 * DM attributes that do not fit fail as the lower filesystem says, and
 * those set before stay.  XFS finds room for all of them.
 */
TEST_F(CallErrors, DmAttrsBeyondTheLowerFilesystemsRoomENOSPC)
{
	std::string value(3000, 'v');
	int set = 0, err = 0;
	for (; set < 100; set++) {
		dm_attrname_t name = attr_name("v" + std::to_string(set));
		if (dm_set_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &name, 0, value.size(),
				  value.data())) {
			err = errno;
			break;
		}
	}
	if (!err)
		GTEST_SKIP() << "the lower filesystem found room for 100 values of 3000 bytes";
	EXPECT_TRUE(err == ENOSPC || err == E2BIG) << strerror(err);
	ASSERT_GT(set, 0) << "not even one value fitted";
	dm_attrname_t first = attr_name("v0");
	std::vector<char> buf(4000);
	size_t rlen = 0;
	EXPECT_DM_OK(dm_get_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &first, buf.size(),
				   buf.data(), &rlen));
	EXPECT_EQ(rlen, value.size());
}

} // namespace
