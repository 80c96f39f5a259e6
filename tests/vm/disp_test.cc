// SPDX-License-Identifier: GPL-2.0
/*
 * Dispositions, event lists and the other per-filesystem state of a dmapi
 * mount: dm_set_disp, dm_getall_disp, dm_set_eventlist, dm_get_eventlist,
 * dm_get_mountinfo and dm_set_return_on_destroy.  Needs the scratch
 * filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "dmtest.h"

#include <endian.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <initializer_list>
#include <thread>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

constexpr char kEventsXattr[] = "trusted.dmapi.events";
constexpr char kRodXattr[] = "trusted.dmapi.rod";

/* A second session, cleaned up and destroyed at scope end. */
struct Session {
	Session()
	{
		char info[] = "dmapi-vm-test disp other";
		if (dm_create_session(DM_NO_SESSION, info, &sid) != 0)
			ADD_FAILURE() << "dm_create_session: " << strerror(errno);
	}
	~Session()
	{
		if (sid != DM_NO_SESSION) {
			EXPECT_DM_OK(SessionTest::cleanup_session(sid));
		}
	}
	Session(const Session &) = delete;
	Session &operator=(const Session &) = delete;
	dm_sessid_t sid = DM_NO_SESSION;
};

/* An 8-byte aligned buffer, for the calls that fill in records. */
class Buffer {
public:
	explicit Buffer(size_t n) : words_((n + 7) / 8) {}
	void *data() { return words_.data(); }
	size_t size() const { return words_.size() * sizeof(uint64_t); }

private:
	std::vector<uint64_t> words_;
};

dm_eventset_t events(std::initializer_list<dm_eventtype_t> list)
{
	dm_eventset_t set = 0;
	for (auto e : list)
		DMEV_SET(e, set);
	return set;
}

/* The events a filesystem generates: its dispositions and list take these. */
const std::initializer_list<dm_eventtype_t> kFsEvents = {
	DM_EVENT_PREUNMOUNT, DM_EVENT_UNMOUNT, DM_EVENT_DEBUT,
	DM_EVENT_CREATE, DM_EVENT_CLOSE, DM_EVENT_POSTCREATE,
	DM_EVENT_REMOVE, DM_EVENT_POSTREMOVE, DM_EVENT_RENAME,
	DM_EVENT_POSTRENAME, DM_EVENT_LINK, DM_EVENT_POSTLINK,
	DM_EVENT_SYMLINK, DM_EVENT_POSTSYMLINK, DM_EVENT_READ,
	DM_EVENT_WRITE, DM_EVENT_TRUNCATE, DM_EVENT_ATTRIBUTE,
	DM_EVENT_DESTROY, DM_EVENT_NOSPACE, DM_EVENT_CANCEL,
};

/* The records of a dm_getall_disp() buffer, walked with DM_STEP_TO_NEXT. */
std::vector<dm_dispinfo_t *> dispinfos(Buffer &buf, size_t rlen)
{
	std::vector<dm_dispinfo_t *> out;
	if (rlen == 0)
		return out;
	char *base = static_cast<char *>(buf.data());
	auto *di = reinterpret_cast<dm_dispinfo_t *>(base);
	while (di) {
		if (reinterpret_cast<char *>(di) + sizeof(*di) > base + rlen) {
			ADD_FAILURE() << "a record runs past rlen " << rlen;
			break;
		}
		out.push_back(di);
		di = DM_STEP_TO_NEXT(di, dm_dispinfo_t *);
	}
	return out;
}

std::string vardata_string(dm_mount_event_t *me, dm_vardata_t dm_mount_event_t::*field)
{
	const dm_vardata_t &vd = me->*field;
	return std::string(reinterpret_cast<char *>(me) + vd.vd_offset, vd.vd_length);
}

/*
 * A dmapi mount, with a session of the test's own (besides the mount
 * responder's) and the mount's filesystem handle.  The lower tree holds a
 * directory, a regular file and a symbolic link to it.
 */
class DispTest : public DmapiMountTest {
protected:
	void populate() override
	{
		fs::create_directories(lower_ + "/dir");
		spit(lower_ + "/file", "contents");
		fs::create_symlink("file", lower_ + "/link");
	}

	void SetUp() override
	{
		DmapiMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		char info[] = "dmapi-vm-test disp";
		ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid_));
		ASSERT_NO_FATAL_FAILURE(fs_handle(fsh_));
	}

	/* The session goes first: it must hold no disposition at the unmount. */
	void TearDown() override
	{
		if (sid_ != DM_NO_SESSION) {
			EXPECT_DM_OK(SessionTest::cleanup_session(sid_));
		}
		DmapiMountTest::TearDown();
	}

	std::string path(const std::string &rel) { return mnt_ + "/" + rel; }

	void handle_of(const std::string &rel, Handle &h)
	{
		std::string p = path(rel);
		h.reset();
		ASSERT_DM_OK(dm_path_to_handle(p.data(), &h.hanp, &h.hlen));
	}

	void fs_handle(Handle &h)
	{
		std::string p = mnt_;
		h.reset();
		ASSERT_DM_OK(dm_path_to_fshandle(p.data(), &h.hanp, &h.hlen));
	}

	/* A well-formed filesystem handle that names no mount. */
	void forged_fs_handle(Handle &h) { forge_fs_handle(fsh_, h); }

	/* Unmount, mount again with these flags and data, retake fsh_. */
	void remount_with(unsigned long flags, const char *data)
	{
		ASSERT_EQ(umount(mnt_.c_str()), 0) << strerror(errno);
		mounted_ = false;
		ASSERT_EQ(mount(lower_.c_str(), mnt_.c_str(), "dmapi", flags, data), 0)
			<< strerror(errno);
		mounted_ = true;
		fs_handle(fsh_);
	}

	/* remount(), and retake fsh_. */
	void remount_plain()
	{
		remount();
		if (!HasFatalFailure())
			fs_handle(fsh_);
	}

	/* A token outstanding in our session. */
	dm_token_t user_token()
	{
		dm_token_t token = DM_INVALID_TOKEN;
		EXPECT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token));
		return token;
	}

	int set_disp(dm_sessid_t sid, Handle &h, dm_eventset_t set,
		     unsigned int maxevent = DM_EVENT_MAX, dm_token_t token = DM_NO_TOKEN)
	{
		return dm_set_disp(sid, h.hanp, h.hlen, token, &set, maxevent);
	}

	int set_list(Handle &h, dm_eventset_t set, unsigned int maxevent = DM_EVENT_MAX,
		     dm_token_t token = DM_NO_TOKEN)
	{
		return dm_set_eventlist(sid_, h.hanp, h.hlen, token, &set, maxevent);
	}

	int get_list(Handle &h, dm_token_t token = DM_NO_TOKEN)
	{
		dm_eventset_t set;
		unsigned int n;
		return dm_get_eventlist(sid_, h.hanp, h.hlen, token, DM_EVENT_MAX, &set, &n);
	}

	/* The event list of h, read with room for every event. */
	dm_eventset_t list_of(Handle &h)
	{
		dm_eventset_t set = 0;
		unsigned int n = 0;
		if (dm_get_eventlist(sid_, h.hanp, h.hlen, DM_NO_TOKEN, DM_EVENT_MAX,
				     &set, &n) != 0)
			ADD_FAILURE() << "dm_get_eventlist: " << strerror(errno);
		return set;
	}

	/* The dispositions session sid holds on our filesystem, by dm_getall_disp. */
	dm_eventset_t disp_of(dm_sessid_t sid)
	{
		Buffer buf(4096);
		size_t rlen = 0;
		if (dm_getall_disp(sid, buf.size(), buf.data(), &rlen) != 0) {
			ADD_FAILURE() << "dm_getall_disp: " << strerror(errno);
			return 0;
		}
		dm_eventset_t set = 0;
		for (auto *di : dispinfos(buf, rlen))
			if (dm_handle_cmp(DM_GET_VALUE(di, di_fshandle, void *),
					  DM_GET_LEN(di, di_fshandle), fsh_.hanp,
					  fsh_.hlen) == 0)
				set |= di->di_eventset;
		return set;
	}

	int get_mountinfo(Handle &h, Buffer &buf, size_t *rlenp,
			  dm_sessid_t sid = DM_NO_SESSION, dm_token_t token = DM_NO_TOKEN)
	{
		return dm_get_mountinfo(sid == DM_NO_SESSION ? sid_ : sid, h.hanp, h.hlen,
					token, buf.size(), buf.data(), rlenp);
	}

	int set_rod(Handle &h, const char *name, dm_boolean_t enable,
		    dm_token_t token = DM_NO_TOKEN)
	{
		dm_attrname_t an = {};
		memcpy(an.an_chars, name, strnlen(name, sizeof(an.an_chars)));
		return dm_set_return_on_destroy(sid_, h.hanp, h.hlen, token, &an, enable);
	}

	dm_sessid_t sid_ = DM_NO_SESSION;
	Handle fsh_;
};

/* dm_set_disp. */
using Dispositions = DispTest;

TEST_F(Dispositions, GlobalHandleRefusesAllButMountEINVAL)
{
	for (int e = 0; e < DM_EVENT_MAX; e++) {
		if (e == DM_EVENT_MOUNT)
			continue;
		SCOPED_TRACE("event " + std::to_string(e));
		dm_eventset_t set = 0;
		DMEV_SET(e, set);
		EXPECT_DM_ERRNO(dm_set_disp(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN,
					    DM_NO_TOKEN, &set, DM_EVENT_MAX), EINVAL);
	}
	/* Nor with MOUNT alongside. */
	dm_eventset_t set = events({DM_EVENT_MOUNT, DM_EVENT_READ});
	EXPECT_DM_ERRNO(dm_set_disp(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN,
				    DM_NO_TOKEN, &set, DM_EVENT_MAX), EINVAL);
}

TEST_F(Dispositions, GlobalHandleTakesAndReleasesMount)
{
	/* MOUNT goes to the lowest session id holding it: ours alone. */
	responder_.reset();
	/* Sent elsewhere after all, it must not hang the test. */
	ModuleParam patience("event_timeout", "10");
	dm_eventset_t set = events({DM_EVENT_MOUNT});
	ASSERT_DM_OK(dm_set_disp(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN,
				 &set, DM_EVENT_MAX));
	ASSERT_EQ(umount(mnt_.c_str()), 0) << strerror(errno);
	mounted_ = false;
	auto mounted = std::async(std::launch::async, [this] {
		return mount(lower_.c_str(), mnt_.c_str(), "dmapi", 0, nullptr) ? errno : 0;
	});
	std::vector<char> buf(1 << 16);
	size_t rlen = 0;
	bool got = false;
	for (int waited = 0; !got && waited < 10000; waited += 10) {
		got = dm_get_events(sid_, 1, 0, buf.size(), buf.data(), &rlen) == 0;
		if (!got)
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	EXPECT_TRUE(got) << "no MOUNT for the session that took it";
	auto *msg = reinterpret_cast<dm_eventmsg_t *>(buf.data());
	if (got) {
		EXPECT_EQ(msg->ev_type, DM_EVENT_MOUNT);
		EXPECT_DM_OK(dm_respond_event(sid_, msg->ev_token, DM_RESP_CONTINUE, 0, 0,
					      nullptr));
	} else {
		/* Whatever came late is answered: the mount must end. */
		EXPECT_DM_OK(SessionTest::cleanup_session(sid_));
		sid_ = DM_NO_SESSION;
	}
	int err = mounted.get();
	mounted_ = err == 0;
	ASSERT_TRUE(got);
	ASSERT_EQ(err, 0) << strerror(err);
	ASSERT_EQ(umount(mnt_.c_str()), 0) << strerror(errno);
	mounted_ = false;

	set = 0;
	ASSERT_DM_OK(dm_set_disp(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN,
				 &set, DM_EVENT_MAX));
	errno = 0;
	int rc = mount(lower_.c_str(), mnt_.c_str(), "dmapi", 0, nullptr);
	err = errno;
	mounted_ = rc == 0;
	EXPECT_EQ(rc, -1) << "mounted with no session holding MOUNT";
	EXPECT_EQ(err, ENOTCONN) << strerror(err);
}

TEST_F(Dispositions, FilesystemHandleTakesTheEventsItGenerates)
{
	dm_eventset_t all = 0;
	for (auto e : kFsEvents) {
		SCOPED_TRACE("event " + std::to_string(e));
		dm_eventset_t one = events({e});
		EXPECT_DM_OK(set_disp(sid_, fsh_, one));
		EXPECT_EQ(disp_of(sid_), one);
		all |= one;
	}
	EXPECT_DM_OK(set_disp(sid_, fsh_, all));
	EXPECT_EQ(disp_of(sid_), all);
	EXPECT_DM_OK(set_disp(sid_, fsh_, 0));
	EXPECT_EQ(disp_of(sid_), 0u);
}

TEST_F(Dispositions, FilesystemHandleRefusesMountAndUserEINVAL)
{
	for (auto e : {DM_EVENT_MOUNT, DM_EVENT_USER}) {
		SCOPED_TRACE("event " + std::to_string(e));
		EXPECT_DM_ERRNO(set_disp(sid_, fsh_, events({e})), EINVAL);
		/* Refused whole: the valid event beside it is not taken. */
		EXPECT_DM_ERRNO(set_disp(sid_, fsh_, events({e, DM_EVENT_READ})), EINVAL);
	}
	EXPECT_EQ(disp_of(sid_), 0u);
}

TEST_F(Dispositions, TokenOnFilesystemHandleEINVAL)
{
	dm_token_t token = user_token();
	EXPECT_DM_ERRNO(set_disp(sid_, fsh_, events({DM_EVENT_READ}), DM_EVENT_MAX, token),
			EINVAL);
	EXPECT_EQ(disp_of(sid_), 0u);
	EXPECT_DM_OK(set_disp(sid_, fsh_, events({DM_EVENT_READ}), DM_EVENT_MAX, DM_NO_TOKEN));
	EXPECT_EQ(disp_of(sid_), events({DM_EVENT_READ}));
}

TEST_F(Dispositions, ObjectHandleEINVAL)
{
	Handle file;
	handle_of("file", file);
	EXPECT_DM_ERRNO(set_disp(sid_, file, events({DM_EVENT_READ})), EINVAL);
	EXPECT_EQ(disp_of(sid_), 0u);
}

TEST_F(Dispositions, MaxeventAboveEventMaxEINVAL)
{
	EXPECT_DM_ERRNO(set_disp(sid_, fsh_, events({DM_EVENT_READ}), DM_EVENT_MAX + 1),
			EINVAL);
	EXPECT_EQ(disp_of(sid_), 0u);
}

TEST_F(Dispositions, NoSuchSessionEINVAL)
{
	EXPECT_DM_ERRNO(set_disp(kNoSuchSession, fsh_, events({DM_EVENT_READ})), EINVAL);
}

TEST_F(Dispositions, FilesystemOfNoMountEBADF)
{
	Handle forged;
	forged_fs_handle(forged);
	ASSERT_EQ(forged.hlen, fsh_.hlen);
	EXPECT_DM_ERRNO(set_disp(sid_, forged, events({DM_EVENT_READ})), EBADF);
}

TEST_F(Dispositions, MalformedHandleEINVAL)
{
	char junk[5] = {};
	dm_eventset_t set = events({DM_EVENT_READ});
	EXPECT_DM_ERRNO(dm_set_disp(sid_, junk, sizeof(junk), DM_NO_TOKEN, &set,
				    DM_EVENT_MAX), EINVAL);
}

TEST_F(Dispositions, EventsAtOrAboveMaxeventAreUntouched)
{
	ASSERT_DM_OK(set_disp(sid_, fsh_, events({DM_EVENT_PREUNMOUNT, DM_EVENT_READ,
						  DM_EVENT_NOSPACE})));
	/* Clears what is below READ only. */
	ASSERT_DM_OK(set_disp(sid_, fsh_, 0, DM_EVENT_READ));
	EXPECT_EQ(disp_of(sid_), events({DM_EVENT_READ, DM_EVENT_NOSPACE}));
	/* Takes what is below READ only: DESTROY is ignored. */
	ASSERT_DM_OK(set_disp(sid_, fsh_, events({DM_EVENT_CREATE, DM_EVENT_DESTROY}),
			      DM_EVENT_READ));
	EXPECT_EQ(disp_of(sid_), events({DM_EVENT_CREATE, DM_EVENT_READ, DM_EVENT_NOSPACE}));
}

TEST_F(Dispositions, SecondSessionTakesTheEventFromTheFirst)
{
	Session second;
	dm_sessid_t other = second.sid;
	ASSERT_NE(other, DM_NO_SESSION);
	ASSERT_DM_OK(set_disp(sid_, fsh_, events({DM_EVENT_PREUNMOUNT, DM_EVENT_DESTROY})));
	EXPECT_DM_OK(set_disp(other, fsh_, events({DM_EVENT_DESTROY})));
	EXPECT_EQ(disp_of(sid_), events({DM_EVENT_PREUNMOUNT}));
	EXPECT_EQ(disp_of(other), events({DM_EVENT_DESTROY}));
}

TEST_F(Dispositions, DestroySessionReleasesItsDispositions)
{
	Session second;
	dm_sessid_t other = second.sid;
	ASSERT_NE(other, DM_NO_SESSION);
	ASSERT_DM_OK(set_disp(sid_, fsh_, events({DM_EVENT_PREUNMOUNT, DM_EVENT_DESTROY})));
	ASSERT_DM_OK(set_disp(other, fsh_, events({DM_EVENT_READ})));

	dm_sessid_t gone = sid_;
	sid_ = DM_NO_SESSION;
	ASSERT_DM_OK(SessionTest::cleanup_session(gone));
	EXPECT_EQ(disp_of(other), events({DM_EVENT_READ}));
	Buffer buf(4096);
	size_t rlen = 0;
	EXPECT_DM_ERRNO(dm_getall_disp(gone, buf.size(), buf.data(), &rlen), EINVAL);
	/* What it held is free: another session takes it. */
	EXPECT_DM_OK(set_disp(other, fsh_, events({DM_EVENT_PREUNMOUNT, DM_EVENT_READ})));
	EXPECT_EQ(disp_of(other), events({DM_EVENT_PREUNMOUNT, DM_EVENT_READ}));
}

/* dm_getall_disp. */
using GetAllDisp = DispTest;

TEST_F(GetAllDisp, NoDispositionsGivesAnEmptyBuffer)
{
	Buffer buf(4096);
	size_t rlen = 12345;
	EXPECT_DM_OK(dm_getall_disp(sid_, buf.size(), buf.data(), &rlen));
	EXPECT_EQ(rlen, 0u);
}

TEST_F(GetAllDisp, OneRecordWithTheFilesystemHandleAndItsEvents)
{
	dm_eventset_t set = events({DM_EVENT_PREUNMOUNT, DM_EVENT_DESTROY});
	ASSERT_DM_OK(set_disp(sid_, fsh_, set));
	Buffer buf(4096);
	size_t rlen = 0;
	ASSERT_DM_OK(dm_getall_disp(sid_, buf.size(), buf.data(), &rlen));
	auto records = dispinfos(buf, rlen);
	ASSERT_EQ(records.size(), 1u);
	dm_dispinfo_t *di = records[0];
	EXPECT_EQ(di->_link, 0);
	EXPECT_EQ(DM_GET_LEN(di, di_fshandle), fsh_.hlen);
	EXPECT_EQ(dm_handle_cmp(DM_GET_VALUE(di, di_fshandle, void *),
				DM_GET_LEN(di, di_fshandle), fsh_.hanp, fsh_.hlen), 0);
	EXPECT_EQ(di->di_eventset, set);
}

TEST_F(GetAllDisp, SmallBufferE2BIGWithTheSizeNeeded)
{
	ASSERT_DM_OK(set_disp(sid_, fsh_, events({DM_EVENT_PREUNMOUNT, DM_EVENT_DESTROY})));
	Buffer small(8);
	size_t need = 0;
	EXPECT_DM_ERRNO(dm_getall_disp(sid_, small.size(), small.data(), &need), E2BIG);
	ASSERT_GE(need, sizeof(dm_dispinfo_t) + fsh_.hlen);
	Buffer buf(need);
	size_t rlen = 0;
	EXPECT_DM_OK(dm_getall_disp(sid_, need, buf.data(), &rlen));
	EXPECT_EQ(rlen, need);
	EXPECT_EQ(dispinfos(buf, rlen).size(), 1u);
}

TEST_F(GetAllDisp, NoSuchSessionEINVAL)
{
	Buffer buf(4096);
	size_t rlen = 0;
	EXPECT_DM_ERRNO(dm_getall_disp(kNoSuchSession, buf.size(), buf.data(), &rlen),
			EINVAL);
}

/* dm_set_eventlist and dm_get_eventlist. */
using EventLists = DispTest;

TEST_F(EventLists, FilesystemListRoundTrips)
{
	dm_eventset_t set = events({DM_EVENT_CREATE, DM_EVENT_READ, DM_EVENT_DESTROY,
				    DM_EVENT_NOSPACE});
	ASSERT_DM_OK(set_list(fsh_, set));
	dm_eventset_t got = 0;
	unsigned int n = 0;
	ASSERT_DM_OK(dm_get_eventlist(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN,
				      DM_EVENT_MAX, &got, &n));
	EXPECT_EQ(got, set);
	EXPECT_EQ(n, DM_EVENT_NOSPACE + 1u) << "the highest event plus one";
}

TEST_F(EventLists, NelemBelowTheHighestEventE2BIG)
{
	ASSERT_DM_OK(set_list(fsh_, events({DM_EVENT_READ})));
	for (unsigned int nelem : {0u, static_cast<unsigned int>(DM_EVENT_READ)}) {
		SCOPED_TRACE("nelem " + std::to_string(nelem));
		dm_eventset_t got = 0xdeadbeef;
		unsigned int n = 0;
		EXPECT_DM_ERRNO(dm_get_eventlist(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN,
						 nelem, &got, &n), E2BIG);
		EXPECT_EQ(n, DM_EVENT_READ + 1u);
		EXPECT_EQ(got, 0xdeadbeefu);
	}
	dm_eventset_t got = 0;
	unsigned int n = 0;
	EXPECT_DM_OK(dm_get_eventlist(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN,
				      DM_EVENT_READ + 1, &got, &n));
	EXPECT_EQ(got, events({DM_EVENT_READ}));
}

TEST_F(EventLists, EmptyListHasNoEvents)
{
	dm_eventset_t got = ~0ULL;
	unsigned int n = 99;
	EXPECT_DM_OK(dm_get_eventlist(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, 0,
				      &got, &n));
	EXPECT_EQ(got, 0u);
	EXPECT_EQ(n, 0u);
}

TEST_F(EventLists, FilesystemListBelongsToTheMount)
{
	ASSERT_DM_OK(set_list(fsh_, events({DM_EVENT_CREATE, DM_EVENT_READ})));
	ASSERT_NO_FATAL_FAILURE(remount_plain());
	EXPECT_EQ(list_of(fsh_), 0u);
}

TEST_F(EventLists, TokenOnFilesystemHandleEINVAL)
{
	dm_token_t token = user_token();
	EXPECT_DM_ERRNO(set_list(fsh_, events({DM_EVENT_READ}), DM_EVENT_MAX, token), EINVAL);
	EXPECT_DM_ERRNO(get_list(fsh_, token), EINVAL);
	EXPECT_EQ(list_of(fsh_), 0u);
}

TEST_F(EventLists, MountInFilesystemListEINVAL)
{
	EXPECT_DM_ERRNO(set_list(fsh_, events({DM_EVENT_MOUNT, DM_EVENT_READ})), EINVAL);
	EXPECT_EQ(list_of(fsh_), 0u);
}

TEST_F(EventLists, EventsAtOrAboveMaxeventAreUntouched)
{
	ASSERT_DM_OK(set_list(fsh_, events({DM_EVENT_READ})));
	ASSERT_DM_OK(set_list(fsh_, 0, DM_EVENT_READ));
	EXPECT_EQ(list_of(fsh_), events({DM_EVENT_READ}));
	/* Below maxevent set as given, at or above ignored. */
	ASSERT_DM_OK(set_list(fsh_, events({DM_EVENT_CREATE, DM_EVENT_DESTROY}),
			      DM_EVENT_READ));
	EXPECT_EQ(list_of(fsh_), events({DM_EVENT_CREATE, DM_EVENT_READ}));
}

TEST_F(EventLists, RegularFileTakesDataAndObjectEvents)
{
	Handle file;
	handle_of("file", file);
	dm_eventset_t set = events({DM_EVENT_READ, DM_EVENT_WRITE, DM_EVENT_TRUNCATE,
				    DM_EVENT_ATTRIBUTE, DM_EVENT_DESTROY});
	ASSERT_DM_OK(set_list(file, set));
	dm_eventset_t got = 0;
	unsigned int n = 0;
	ASSERT_DM_OK(dm_get_eventlist(sid_, file.hanp, file.hlen, DM_NO_TOKEN,
				      DM_EVENT_MAX, &got, &n));
	EXPECT_EQ(got, set);
	EXPECT_EQ(n, DM_EVENT_DESTROY + 1u);
}

TEST_F(EventLists, RegularFileRefusesCreateEINVAL)
{
	Handle file;
	handle_of("file", file);
	EXPECT_DM_ERRNO(set_list(file, events({DM_EVENT_CREATE})), EINVAL);
	EXPECT_EQ(list_of(file), 0u);
}

TEST_F(EventLists, DirectoryTakesNamespaceEvents)
{
	Handle dir;
	handle_of("dir", dir);
	dm_eventset_t set = events({DM_EVENT_CREATE, DM_EVENT_REMOVE, DM_EVENT_RENAME,
				    DM_EVENT_POSTCREATE});
	ASSERT_DM_OK(set_list(dir, set));
	EXPECT_EQ(list_of(dir), set);
}

TEST_F(EventLists, DirectoryRefusesReadEINVAL)
{
	Handle dir;
	handle_of("dir", dir);
	EXPECT_DM_ERRNO(set_list(dir, events({DM_EVENT_READ})), EINVAL);
	EXPECT_EQ(list_of(dir), 0u);
}

TEST_F(EventLists, SymlinkTakesAttributeRefusesReadEINVAL)
{
	Handle link, file;
	handle_of("link", link);
	handle_of("file", file);
	/* The link's own handle, not its target's. */
	ASSERT_NE(dm_handle_cmp(link.hanp, link.hlen, file.hanp, file.hlen), 0);
	EXPECT_DM_ERRNO(set_list(link, events({DM_EVENT_READ})), EINVAL);
	EXPECT_DM_OK(set_list(link, events({DM_EVENT_ATTRIBUTE})));
	EXPECT_EQ(list_of(link), events({DM_EVENT_ATTRIBUTE}));
	EXPECT_EQ(list_of(file), 0u);
}

TEST_F(EventLists, ObjectListPersistsAcrossRemount)
{
	Handle file;
	handle_of("file", file);
	dm_eventset_t set = events({DM_EVENT_WRITE, DM_EVENT_DESTROY});
	ASSERT_DM_OK(set_list(file, set));
	ASSERT_NO_FATAL_FAILURE(remount_plain());
	EXPECT_EQ(list_of(file), set);
}

TEST_F(EventLists, ObjectListIsStoredInTheLowerXattrOnly)
{
	Handle file;
	handle_of("file", file);
	dm_eventset_t set = events({DM_EVENT_READ, DM_EVENT_ATTRIBUTE});
	ASSERT_DM_OK(set_list(file, set));
	uint64_t le = 0;
	std::string lower = lower_ + "/file";
	ASSERT_EQ(getxattr(lower.c_str(), kEventsXattr, &le, sizeof(le)),
		  static_cast<ssize_t>(sizeof(le))) << strerror(errno);
	EXPECT_EQ(le64toh(le), set);
	/* Not through the mount. */
	char buf[64];
	errno = 0;
	EXPECT_EQ(getxattr(path("file").c_str(), kEventsXattr, buf, sizeof(buf)), -1);
	EXPECT_EQ(errno, ENODATA);
}

TEST_F(EventLists, EmptyObjectListRemovesTheXattr)
{
	Handle file;
	handle_of("file", file);
	std::string lower = lower_ + "/file";
	uint64_t le;
	ASSERT_DM_OK(set_list(file, events({DM_EVENT_READ})));
	ASSERT_EQ(getxattr(lower.c_str(), kEventsXattr, &le, sizeof(le)),
		  static_cast<ssize_t>(sizeof(le))) << strerror(errno);
	ASSERT_DM_OK(set_list(file, 0));
	errno = 0;
	EXPECT_EQ(getxattr(lower.c_str(), kEventsXattr, &le, sizeof(le)), -1);
	EXPECT_EQ(errno, ENODATA);
	EXPECT_EQ(list_of(file), 0u);
}

TEST_F(EventLists, RemovedObjectEBADF)
{
	Handle file;
	handle_of("file", file);
	ASSERT_EQ(unlink(path("file").c_str()), 0) << strerror(errno);
	EXPECT_DM_ERRNO(set_list(file, events({DM_EVENT_READ})), EBADF);
	EXPECT_DM_ERRNO(get_list(file), EBADF);
}

TEST_F(EventLists, OutstandingTokenHoldingAnExclusiveRightOnAnObjectIsAccepted)
{
	Handle file;
	handle_of("file", file);
	dm_token_t token = user_token();
	ASSERT_DM_OK(dm_request_right(sid_, file.hanp, file.hlen, token, 0, DM_RIGHT_EXCL));
	dm_eventset_t set = events({DM_EVENT_TRUNCATE});
	EXPECT_DM_OK(set_list(file, set, DM_EVENT_MAX, token));
	dm_eventset_t got = 0;
	unsigned int n = 0;
	EXPECT_DM_OK(dm_get_eventlist(sid_, file.hanp, file.hlen, token, DM_EVENT_MAX,
				      &got, &n));
	EXPECT_EQ(got, set);
}

TEST_F(EventLists, TokenNotOutstandingESRCH)
{
	Handle file;
	handle_of("file", file);
	EXPECT_DM_ERRNO(set_list(file, events({DM_EVENT_READ}), DM_EVENT_MAX,
				 kNotOutstanding), ESRCH);
	EXPECT_DM_ERRNO(get_list(file, kNotOutstanding), ESRCH);
	EXPECT_EQ(list_of(file), 0u);
}

TEST_F(EventLists, InvalidTokenEINVAL)
{
	Handle file;
	handle_of("file", file);
	EXPECT_DM_ERRNO(set_list(file, events({DM_EVENT_READ}), DM_EVENT_MAX,
				 DM_INVALID_TOKEN), EINVAL);
	EXPECT_DM_ERRNO(get_list(file, DM_INVALID_TOKEN), EINVAL);
	EXPECT_EQ(list_of(file), 0u);
}

TEST_F(EventLists, GlobalHandleEINVAL)
{
	dm_eventset_t set = events({DM_EVENT_READ});
	unsigned int n;
	EXPECT_DM_ERRNO(dm_set_eventlist(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN,
					 &set, DM_EVENT_MAX), EINVAL);
	EXPECT_DM_ERRNO(dm_get_eventlist(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN,
					 DM_EVENT_MAX, &set, &n), EINVAL);
}

/* dm_get_mountinfo. */
using MountInfo = DispTest;

TEST_F(MountInfo, DescribesTheMount)
{
	Buffer buf(1 << 16);
	size_t rlen = 0;
	ASSERT_DM_OK(get_mountinfo(fsh_, buf, &rlen));
	ASSERT_GE(rlen, sizeof(dm_mount_event_t));
	auto *me = static_cast<dm_mount_event_t *>(buf.data());
	EXPECT_EQ(me->me_mode, 0u);

	EXPECT_EQ(DM_GET_LEN(me, me_handle1), fsh_.hlen);
	EXPECT_EQ(dm_handle_cmp(DM_GET_VALUE(me, me_handle1, void *),
				DM_GET_LEN(me, me_handle1), fsh_.hanp, fsh_.hlen), 0);
	EXPECT_EQ(DM_GET_LEN(me, me_handle2), 0u);

	/* Without mtpt= the mount point reported is the lower directory. */
	std::string lower = fs::canonical(lower_).string();
	std::string nul(1, '\0');
	EXPECT_EQ(vardata_string(me, &dm_mount_event_t::me_name1), lower + nul);
	EXPECT_EQ(vardata_string(me, &dm_mount_event_t::me_name2), lower + nul);

	Handle root;
	std::string m = mnt_;
	ASSERT_DM_OK(dm_path_to_handle(m.data(), &root.hanp, &root.hlen));
	EXPECT_EQ(DM_GET_LEN(me, me_roothandle), root.hlen);
	EXPECT_EQ(dm_handle_cmp(DM_GET_VALUE(me, me_roothandle, void *),
				DM_GET_LEN(me, me_roothandle), root.hanp, root.hlen), 0);
}

TEST_F(MountInfo, SmallBufferE2BIGWithTheSizeNeeded)
{
	Buffer small(8);
	size_t need = 0;
	EXPECT_DM_ERRNO(get_mountinfo(fsh_, small, &need), E2BIG);
	ASSERT_GT(need, sizeof(dm_mount_event_t));
	Buffer buf(need);
	size_t rlen = 0;
	EXPECT_DM_OK(dm_get_mountinfo(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, need,
				      buf.data(), &rlen));
	EXPECT_EQ(rlen, need);
}

TEST_F(MountInfo, ObjectHandleEINVAL)
{
	Handle file;
	handle_of("file", file);
	Buffer buf(1 << 16);
	size_t rlen;
	EXPECT_DM_ERRNO(get_mountinfo(file, buf, &rlen), EINVAL);
}

TEST_F(MountInfo, GlobalHandleEINVAL)
{
	Buffer buf(1 << 16);
	size_t rlen;
	EXPECT_DM_ERRNO(dm_get_mountinfo(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN,
					 buf.size(), buf.data(), &rlen), EINVAL);
}

TEST_F(MountInfo, TokenEINVAL)
{
	dm_token_t token = user_token();
	Buffer buf(1 << 16);
	size_t rlen;
	EXPECT_DM_ERRNO(get_mountinfo(fsh_, buf, &rlen, sid_, token), EINVAL);
}

TEST_F(MountInfo, FilesystemOfNoMountEBADF)
{
	Handle forged;
	forged_fs_handle(forged);
	Buffer buf(1 << 16);
	size_t rlen;
	EXPECT_DM_ERRNO(get_mountinfo(forged, buf, &rlen), EBADF);
}

TEST_F(MountInfo, NoSuchSessionEINVAL)
{
	Buffer buf(1 << 16);
	size_t rlen;
	EXPECT_DM_ERRNO(get_mountinfo(fsh_, buf, &rlen, kNoSuchSession), EINVAL);
}

TEST_F(MountInfo, ReadOnlyMountHasRdonlyMode)
{
	ASSERT_NO_FATAL_FAILURE(remount_with(MS_RDONLY, nullptr));
	Buffer buf(1 << 16);
	size_t rlen = 0;
	ASSERT_DM_OK(get_mountinfo(fsh_, buf, &rlen));
	auto *me = static_cast<dm_mount_event_t *>(buf.data());
	EXPECT_TRUE(me->me_mode & DM_MOUNT_RDONLY) << "me_mode " << me->me_mode;
}

TEST_F(MountInfo, AMountMadeReadOnlyThenWritableAgainHasNoRdonlyMode)
{
	ASSERT_NO_FATAL_FAILURE(remount_with(MS_RDONLY, nullptr));
	ASSERT_EQ(mount(nullptr, mnt_.c_str(), nullptr, MS_REMOUNT, nullptr), 0) << strerror(errno);
	Buffer buf(1 << 16);
	size_t rlen = 0;
	ASSERT_DM_OK(get_mountinfo(fsh_, buf, &rlen));
	auto *me = static_cast<dm_mount_event_t *>(buf.data());
	EXPECT_FALSE(me->me_mode & DM_MOUNT_RDONLY) << "me_mode " << me->me_mode;
}

TEST_F(MountInfo, MtptOptionNamesTheMountPoint)
{
	ASSERT_NO_FATAL_FAILURE(remount_with(0, "mtpt=/some/where"));
	Buffer buf(1 << 16);
	size_t rlen = 0;
	ASSERT_DM_OK(get_mountinfo(fsh_, buf, &rlen));
	auto *me = static_cast<dm_mount_event_t *>(buf.data());
	std::string nul(1, '\0');
	EXPECT_EQ(vardata_string(me, &dm_mount_event_t::me_name1), "/some/where" + nul);
	EXPECT_EQ(vardata_string(me, &dm_mount_event_t::me_name2),
		  fs::canonical(lower_).string() + nul);
}

/* dm_set_return_on_destroy. */
using ReturnOnDestroy = DispTest;

TEST_F(ReturnOnDestroy, EnableStoresTheNameOnTheLowerRoot)
{
	ASSERT_DM_OK(set_rod(fsh_, "hsmid", 1));
	char value[64] = {};
	ASSERT_EQ(getxattr(lower_.c_str(), kRodXattr, value, sizeof(value)), 8)
		<< strerror(errno);
	EXPECT_EQ(memcmp(value, "hsmid\0\0\0", 8), 0);
}

TEST_F(ReturnOnDestroy, DisableRemovesTheName)
{
	ASSERT_DM_OK(set_rod(fsh_, "hsmid", 1));
	ASSERT_DM_OK(set_rod(fsh_, "hsmid", 0));
	char value[64];
	errno = 0;
	EXPECT_EQ(getxattr(lower_.c_str(), kRodXattr, value, sizeof(value)), -1);
	EXPECT_EQ(errno, ENODATA);
}

TEST_F(ReturnOnDestroy, DisablingReadsNoName)
{
	ASSERT_DM_OK(set_rod(fsh_, "hsmid", 1));
	/* An address that faults: disabling must not look at it. */
	auto *nowhere = reinterpret_cast<dm_attrname_t *>(16);
	ASSERT_DM_OK(dm_set_return_on_destroy(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN,
					      nowhere, DM_FALSE));
	char value[64];
	errno = 0;
	EXPECT_EQ(getxattr(lower_.c_str(), kRodXattr, value, sizeof(value)), -1);
	EXPECT_EQ(errno, ENODATA);
}

TEST_F(ReturnOnDestroy, EmptyNameEINVAL)
{
	EXPECT_DM_ERRNO(set_rod(fsh_, "", 1), EINVAL);
	char value[64];
	errno = 0;
	EXPECT_EQ(getxattr(lower_.c_str(), kRodXattr, value, sizeof(value)), -1);
	EXPECT_EQ(errno, ENODATA);
}

TEST_F(ReturnOnDestroy, ObjectHandleEINVAL)
{
	Handle dir;
	handle_of("dir", dir);
	EXPECT_DM_ERRNO(set_rod(dir, "hsmid", 1), EINVAL);
}

TEST_F(ReturnOnDestroy, GlobalHandleEINVAL)
{
	dm_attrname_t an = {};
	memcpy(an.an_chars, "hsmid", 5);
	EXPECT_DM_ERRNO(dm_set_return_on_destroy(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN,
						 DM_NO_TOKEN, &an, 1), EINVAL);
}

TEST_F(ReturnOnDestroy, TokenEINVAL)
{
	dm_token_t token = user_token();
	EXPECT_DM_ERRNO(set_rod(fsh_, "hsmid", 1, token), EINVAL);
	char value[64];
	errno = 0;
	EXPECT_EQ(getxattr(lower_.c_str(), kRodXattr, value, sizeof(value)), -1);
	EXPECT_EQ(errno, ENODATA);
}

} // namespace
