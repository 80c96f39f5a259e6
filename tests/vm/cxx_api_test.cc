// SPDX-License-Identifier: GPL-2.0
/*
 * <xdsm/dmapi.hpp> against the real module: sessions found and taken over
 * by their info string, an event loop that answers an access from its
 * handlers (a throwing handler aborts it with its errno), rights guards
 * released on scope exit, DM attributes and regions as containers,
 * invisible I/O into spans, and scans as ranges.  Needs the scratch
 * filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "event_mount.h"

#include <xdsm/dmapi.hpp>

#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <set>
#include <thread>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

/* The errno of what fn threw, or 0. */
template <typename Fn> int thrown(Fn fn)
{
	try {
		fn();
	} catch (const std::system_error &e) {
		return e.code().value();
	}
	return 0;
}

class CxxApi : public EventMountTest {
protected:
	CxxApi() : EventMountTest("cxx") {}

	void populate() override
	{
		fs::create_directory(lower("dir"));
		for (int i = 0; i < 20; i++)
			spit(lower("dir/f" + std::to_string(i)), std::string(100, 'a' + i));
		spit(lower("file"), std::string(8192, 'x'));
	}

	void SetUp() override
	{
		EventMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		session_.emplace(sid_);
		file_ = xdsm::Handle::of_path(path("file"));
		fsh_cxx_ = xdsm::Handle::of_filesystem(mnt_);
	}

	/*
	 * A reader of the first bytes of "file", which a managed region
	 * makes wait for the READ event: 0, or the errno of its pread.
	 */
	std::function<int()> managed_read()
	{
		session_->set_disp(fsh_cxx_, {DM_EVENT_READ});
		session_->set_regions(file_, {dm_region_t{0, 100, DM_REGION_READ, 0}});
		std::string p = path("file");
		return [p] {
			char buf[10];
			int fd = open(p.c_str(), O_RDONLY);
			return fd >= 0 && pread(fd, buf, sizeof(buf), 0) == 10 ? 0 : errno;
		};
	}

	std::optional<xdsm::Session> session_;
	xdsm::Handle file_, fsh_cxx_;
};

TEST_F(CxxApi, SessionsAreFoundByInfoTakenOverAndDestroyed)
{
	auto s = xdsm::Session::create("cxx-find-me");
	EXPECT_EQ(xdsm::Session::find("cxx-find-me"), s.id());
	auto again = xdsm::Session::find_or_create("cxx-find-me");
	EXPECT_EQ(again.id(), s.id()) << "taken over, same id";
	again.destroy();
	EXPECT_FALSE(xdsm::Session::find("cxx-find-me").has_value());
}

TEST_F(CxxApi, SessionsAreListedWithTheirInfo)
{
	auto s = xdsm::Session::create("cxx-listed");
	auto all = xdsm::Session::all();
	EXPECT_NE(std::find(all.begin(), all.end(), std::make_pair(s.id(), std::string("cxx-listed"))),
		  all.end());
	s.destroy();
}

TEST_F(CxxApi, AnOutstandingMessageIsFoundByItsToken)
{
	Accessor reader(managed_read());
	auto msgs = session_->get_events();
	ASSERT_EQ(msgs.size(), 1u);
	xdsm::Message again = session_->find_message(msgs[0].token());
	EXPECT_EQ(again.type(), DM_EVENT_READ);
	EXPECT_EQ(again.sequence(), msgs[0].sequence());
	EXPECT_EQ(again.data_event().object, file_);
	session_->respond(msgs[0].token(), xdsm::Reply::cont());
	EXPECT_EQ(reader.result(), 0);
	EXPECT_EQ(thrown([&] { session_->find_message(msgs[0].token()); }), ESRCH);
}

TEST_F(CxxApi, HolesAreProbedBeforeTheyArePunched)
{
	dm_stat_t st = session_->fileattr(file_, DM_AT_STAT);
	auto [off, len] = session_->probe_hole(file_, 1);
	EXPECT_EQ(off, st.dt_blksize) << "rounded up to a block";
	EXPECT_EQ(len, 0u) << "to the end of the file";
	session_->punch_hole(file_, off, len);
	session_->sync(file_);
	EXPECT_EQ(slurp(path("file")), std::string(st.dt_blksize, 'x') +
					      std::string(8192 - st.dt_blksize, '\0'));
	EXPECT_EQ(thrown([&] { session_->probe_hole(file_, 0, 9000); }), E2BIG);
}

TEST_F(CxxApi, ReturnOnDestroyIsSetByName)
{
	char value[64] = {};
	EXPECT_NO_THROW(session_->set_return_on_destroy(fsh_cxx_, "where"));
	EXPECT_EQ(getxattr(lower_.c_str(), "trusted.dmapi.rod", value, sizeof(value)), 8)
		<< strerror(errno);
	EXPECT_EQ(std::memcmp(value, "where\0\0\0", 8), 0);
	EXPECT_NO_THROW(session_->set_return_on_destroy(fsh_cxx_, "where", false));
	errno = 0;
	EXPECT_EQ(getxattr(lower_.c_str(), "trusted.dmapi.rod", value, sizeof(value)), -1);
	EXPECT_EQ(errno, ENODATA) << "disabled, the name is gone";
	EXPECT_EQ(thrown([&] { session_->set_return_on_destroy(file_, "where"); }), EINVAL);
}

TEST_F(CxxApi, HandlesAreTheCApisAndCompareAsValues)
{
	Handle c;
	std::string p = path("file");
	ASSERT_DM_OK(dm_path_to_handle(p.data(), &c.hanp, &c.hlen));
	EXPECT_EQ(file_, xdsm::Handle(c.hanp, c.hlen));
	EXPECT_EQ(file_.filesystem(), fsh_cxx_);
	EXPECT_NE(file_, xdsm::Handle::of_path(path("dir")));
	int fd = open(p.c_str(), O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(xdsm::Handle::of_fd(fd), file_);
	close(fd);
}

TEST_F(CxxApi, EventLoopAnswersAnAccessFromItsHandler)
{
	Accessor reader(managed_read());
	xdsm::Handle seen;
	xdsm::EventLoop loop(*session_);
	loop.on(DM_EVENT_READ, [&](const xdsm::Message &m) {
		seen = m.data_event().object;
		return xdsm::Reply::cont();
	});
	loop.run_once();
	EXPECT_EQ(reader.result(), 0);
	EXPECT_EQ(seen, file_);
}

TEST_F(CxxApi, AThrowingHandlerAbortsTheAccessWithItsErrno)
{
	Accessor reader(managed_read());
	xdsm::EventLoop loop(*session_);
	loop.on(DM_EVENT_READ, [](const xdsm::Message &) -> xdsm::Reply {
		throw std::system_error(EHOSTDOWN, std::generic_category(), "recall");
	});
	loop.run_once();
	EXPECT_EQ(reader.result(), EHOSTDOWN);
}

TEST_F(CxxApi, AHandlerThatAnswersItsTokenItselfDoesNotStopTheLoop)
{
	Accessor reader(managed_read());
	xdsm::EventLoop loop(*session_);
	loop.on(DM_EVENT_READ, [&](const xdsm::Message &m) {
		session_->respond(m.token(), xdsm::Reply::cont());
		return xdsm::Reply::cont();
	});
	EXPECT_NO_THROW(loop.run_once());
	EXPECT_EQ(reader.result(), 0);
}

TEST_F(CxxApi, RightsAreReleasedWhenTheGuardGoes)
{
	dm_token_t token;
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token));
	{
		xdsm::Right right(*session_, file_, token, DM_RIGHT_SHARED);
		right.upgrade();
		dm_right_t held;
		ASSERT_DM_OK(dm_query_right(sid_, file_.hanp(), file_.hlen(), token, &held));
		EXPECT_EQ(held, DM_RIGHT_EXCL);
	}
	dm_right_t held;
	ASSERT_DM_OK(dm_query_right(sid_, file_.hanp(), file_.hlen(), token, &held));
	EXPECT_EQ(held, DM_RIGHT_NULL);
	session_->respond(token, xdsm::Reply::cont());
	EXPECT_TRUE(session_->tokens().empty());
}

/* A right is not counted: a guard within another gives back only what it added. */
TEST_F(CxxApi, AGuardWithinAnotherGivesBackOnlyWhatItAdded)
{
	dm_token_t token = session_->create_userevent("nest");
	auto held = [&] {
		dm_right_t right = DM_RIGHT_NULL;
		EXPECT_DM_OK(dm_query_right(sid_, file_.hanp(), file_.hlen(), token, &right));
		return right;
	};
	{
		xdsm::Right outer(*session_, file_, token, DM_RIGHT_EXCL);
		{
			xdsm::Right inner(*session_, file_, token, DM_RIGHT_SHARED);
			EXPECT_EQ(inner.held(), DM_RIGHT_EXCL);
		}
		EXPECT_EQ(held(), DM_RIGHT_EXCL) << "the inner guard took the outer's right";
	}
	EXPECT_EQ(held(), DM_RIGHT_NULL);
	{
		xdsm::Right outer(*session_, file_, token, DM_RIGHT_SHARED);
		{
			/* An upgrade cannot wait (EACCES). */
			xdsm::Right inner(*session_, file_, token, DM_RIGHT_EXCL, false);
			EXPECT_EQ(held(), DM_RIGHT_EXCL);
		}
		EXPECT_EQ(held(), DM_RIGHT_SHARED) << "the inner guard took the outer's right";
	}
	EXPECT_EQ(held(), DM_RIGHT_NULL);
	session_->respond(token, xdsm::Reply::cont());
}

/*
 * stop() from another thread ends a loop waiting for messages, which no
 * message would otherwise wake; the loop keeps its wake-up to itself.
 */
TEST_F(CxxApi, StopFromAnotherThreadEndsALoopWaitingForMessages)
{
	xdsm::EventLoop loop(*session_);
	int user = 0;
	loop.on(DM_EVENT_USER, [&](const xdsm::Message &) {
		user++;
		return xdsm::Reply::cont();
	});
	std::promise<void> ended;
	std::future<void> end = ended.get_future();
	std::thread runner([&] {
		loop.run();
		ended.set_value();
	});
	std::this_thread::sleep_for(std::chrono::milliseconds(kBlockedMs));
	loop.stop();
	bool stopped = end.wait_for(std::chrono::milliseconds(kPatienceMs)) ==
		       std::future_status::ready;
	EXPECT_TRUE(stopped) << "the loop still waits for a message";
	if (!stopped)
		session_->send_msg(sid_, "end the test");
	runner.join();
	EXPECT_EQ(user, stopped ? 0 : 1) << "the wake-up reached a handler";
	EXPECT_TRUE(session_->get_events(64, false).empty()) << "a message was left queued";
}

TEST_F(CxxApi, ObjectReferencesAreDroppedWhenTheGuardGoes)
{
	dm_token_t token = session_->create_userevent("hold");
	{
		xdsm::ObjRef ref(*session_, file_, token);
		EXPECT_EQ(dm_obj_ref_query(sid_, token, file_.hanp(), file_.hlen()), DM_TRUE);
	}
	EXPECT_EQ(dm_obj_ref_query(sid_, token, file_.hanp(), file_.hlen()), DM_FALSE);
	session_->respond(token, xdsm::Reply::cont());
}

TEST_F(CxxApi, UserMessagesArriveAsUserEvents)
{
	session_->send_msg(sid_, "hello");
	auto messages = session_->get_events(8, false);
	ASSERT_EQ(messages.size(), 1u);
	EXPECT_EQ(messages[0].type(), DM_EVENT_USER);
	EXPECT_EQ(messages[0].user().data, "hello");
	EXPECT_FALSE(messages[0].synchronous());
	EXPECT_TRUE(session_->get_events(8, false).empty()) << "nothing more, no wait";
}

TEST_F(CxxApi, DmAttributesAreAMap)
{
	session_->set_dmattr(file_, "where", "tape:1");
	session_->set_dmattr(file_, "sum", "abc");
	auto all = session_->dmattrs(file_);
	ASSERT_EQ(all.size(), 2u);
	EXPECT_EQ(all["where"].size(), 6u);
	EXPECT_FALSE(session_->dmattr(file_, "absent").has_value());
	session_->remove_dmattr(file_, "sum");
	EXPECT_EQ(session_->dmattrs(file_).size(), 1u);
}

TEST_F(CxxApi, RegionsAreAVector)
{
	std::vector<dm_region_t> want = {{0, 10, DM_REGION_READ, 0}, {100, 0, DM_REGION_WRITE, 0}};
	EXPECT_TRUE(session_->set_regions(file_, want));
	auto got = session_->regions(file_);
	ASSERT_EQ(got.size(), 2u);
	EXPECT_EQ(got[1].rg_offset, 100);
	EXPECT_EQ(got[1].rg_flags, static_cast<unsigned int>(DM_REGION_WRITE));
}

TEST_F(CxxApi, InvisibleIoGoesThroughSpans)
{
	std::vector<std::byte> buf(16);
	EXPECT_EQ(session_->read_invis(file_, 0, std::span<std::byte>(buf)), 16u);
	EXPECT_EQ(buf[0], std::byte{'x'});
	std::string data = "recalled";
	EXPECT_EQ(session_->write_invis(file_, 0, std::as_bytes(std::span(data))), data.size());
	EXPECT_EQ(slurp(path("file")).substr(0, data.size()), data);
}

TEST_F(CxxApi, DirectoryScanIsARangeOfNamedEntries)
{
	std::set<std::string> names;
	for (const xdsm::Entry &e : session_->dirattrs(xdsm::Handle::of_path(path("dir")))) {
		names.insert(e.name);
		EXPECT_EQ(e.handle, xdsm::Handle::of_path(path("dir/" + e.name)));
	}
	EXPECT_EQ(names.size(), 20u);
	EXPECT_EQ(names.count("f7"), 1u);
}

TEST_F(CxxApi, FilesystemScanIsARangeOfEveryObjectOnce)
{
	std::set<dm_ino_t> inos;
	size_t n = 0;
	for (const xdsm::Entry &e : session_->bulkattr(fsh_cxx_)) {
		inos.insert(e.stat.dt_ino);
		n++;
	}
	EXPECT_EQ(n, inos.size());
	EXPECT_EQ(n, 23u) << "the root, dir, its 20 files and file";
}

TEST_F(CxxApi, BulkallCarriesTheAttribute)
{
	session_->set_dmattr(file_, "where", "disk:9");
	int with = 0;
	for (const xdsm::Entry &e : session_->bulkall(fsh_cxx_, "where")) {
		if (e.attribute.empty())
			continue;
		with++;
		EXPECT_EQ(e.handle, file_);
	}
	EXPECT_EQ(with, 1);
}

TEST_F(CxxApi, AllocinfoIsARangeThatCoversTheFile)
{
	dm_off_t end = 0;
	for (const dm_extent_t &e : session_->allocinfo(file_)) {
		EXPECT_EQ(e.ex_offset, end) << "extents follow one another";
		end = e.ex_offset + e.ex_length;
	}
	EXPECT_GE(end, 8192);
}

TEST_F(CxxApi, AllocinfoFollowsItsOffsetAcrossBatches)
{
	/* 200 holes and 200 data blocks: more than one batch of 64. */
	std::string p = path("sparse");
	int fd = open(p.c_str(), O_CREAT | O_WRONLY, 0644);
	ASSERT_GE(fd, 0);
	long block = sysconf(_SC_PAGESIZE);
	for (int i = 0; i < 200; i++)
		ASSERT_EQ(pwrite(fd, "x", 1, (2 * i + 1) * block), 1);
	close(fd);
	size_t n = 0;
	for (const dm_extent_t &e : session_->allocinfo(xdsm::Handle::of_path(p))) {
		(void)e;
		n++;
	}
	EXPECT_GE(n, 400u);
}

TEST_F(CxxApi, FailuresAreSystemErrorsWithTheErrno)
{
	EXPECT_EQ(thrown([&] { session_->dmattrs(fsh_cxx_); }), EINVAL);
	EXPECT_EQ(thrown([&] { (void)xdsm::Handle::of_path(path("absent")); }), ENOENT);
	EXPECT_EQ(thrown([&] { xdsm::Session(kNoSuchSession).destroy(); }), EINVAL);
}

} // namespace
