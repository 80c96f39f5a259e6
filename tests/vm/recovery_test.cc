// SPDX-License-Identifier: GPL-2.0
/*
 * What the data path must survive: the DM application dying while
 * readers wait (a new process takes its session over and answers), and
 * many processes reading and writing managed files while a DM
 * application answers their events and takes rights.  Needs the scratch
 * filesystem at /mnt/scratch.
 */
#include "dmtest.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

using namespace dmtest;

namespace {

class Recovery : public DmapiMountTest {
protected:
	void populate() override
	{
		for (int i = 0; i < kFiles; i++)
			spit(lower_ + "/f" + std::to_string(i), std::string(4096, 'a' + i));
	}

	void SetUp() override
	{
		DmapiMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		char info[] = "dmapi-vm-test recovery";
		ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid_));
		Handle fsh;
		ASSERT_DM_OK(dm_path_to_fshandle(mnt_.data(), &fsh.hanp, &fsh.hlen));
		dm_eventset_t set = 0;
		DMEV_SET(DM_EVENT_READ, set);
		DMEV_SET(DM_EVENT_WRITE, set);
		ASSERT_DM_OK(dm_set_disp(sid_, fsh.hanp, fsh.hlen, DM_NO_TOKEN, &set,
					 DM_EVENT_MAX));
	}

	void TearDown() override
	{
		if (sid_ != DM_NO_SESSION) {
			EXPECT_DM_OK(SessionTest::cleanup_session(sid_));
		}
		DmapiMountTest::TearDown();
	}

	/* A READ|WRITE region over the whole of file i. */
	void manage(int i)
	{
		Handle h;
		std::string path = mnt_ + "/f" + std::to_string(i);
		ASSERT_DM_OK(dm_path_to_handle(path.data(), &h.hanp, &h.hlen));
		dm_region_t region = {0, 0, DM_REGION_READ | DM_REGION_WRITE, 0};
		dm_boolean_t exact;
		ASSERT_DM_OK(dm_set_region(sid_, h.hanp, h.hlen, DM_NO_TOKEN, 1, &region,
					   &exact));
	}

	/* The outstanding tokens of the session. */
	std::vector<dm_token_t> tokens()
	{
		std::vector<dm_token_t> out(256);
		unsigned int n = 0;
		EXPECT_DM_OK(dm_getall_tokens(sid_, out.size(), out.data(), &n));
		out.resize(n);
		return out;
	}

	static constexpr int kFiles = 4;
	dm_sessid_t sid_ = DM_NO_SESSION;
};

TEST_F(Recovery, ReadersWaitingOnADeadApplicationAreAnsweredByItsSuccessor)
{
	manage(0);
	std::string path = mnt_ + "/f0";
	/* The DM application: receives the event, then dies unanswered. */
	dm_sessid_t sid = sid_;
	Child application([sid] {
		std::vector<char> buf(4096);
		size_t rlen;
		return dm_get_events(sid, 1, DM_EV_WAIT, buf.size(), buf.data(), &rlen)
			       ? 1
			       : 0;
	});
	Child reader([path] {
		char c = 0;
		int fd = open(path.c_str(), O_RDONLY);
		return fd >= 0 && pread(fd, &c, 1, 0) == 1 && c == 'a' ? 0 : 1;
	});
	ASSERT_EQ(application.wait(), 0) << "the application got the event";
	EXPECT_TRUE(reader.still_running_after(200)) << "nobody answered yet";

	/* Its successor takes the session over and finds the token. */
	char info[] = "dmapi-vm-test recovery, successor";
	dm_sessid_t taken = DM_NO_SESSION;
	ASSERT_DM_OK(dm_create_session(sid_, info, &taken));
	EXPECT_EQ(taken, sid_);
	auto outstanding = tokens();
	ASSERT_EQ(outstanding.size(), 1u);
	EXPECT_DM_OK(dm_respond_event(sid_, outstanding[0], DM_RESP_CONTINUE, 0, 0,
				      nullptr));
	EXPECT_EQ(reader.wait(), 0);
}

TEST_F(Recovery, ManyReadersAndWritersWhileTheApplicationAnswersAndTakesRights)
{
	for (int i = 0; i < kFiles; i++)
		manage(i);
	std::atomic<bool> stop{false};
	std::atomic<int> answered{0};
	std::thread application([&] {
		std::vector<char> buf(1 << 16);
		size_t rlen;
		while (!stop) {
			if (dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen)) {
				std::this_thread::sleep_for(std::chrono::milliseconds(1));
				continue;
			}
			for (auto *msg : messages(buf, rlen)) {
				auto *de = DM_GET_VALUE(msg, ev_data, dm_data_event_t *);
				void *h = DM_GET_VALUE(de, de_handle, void *);
				size_t hl = DM_GET_LEN(de, de_handle);
				/* The recall pattern: exclusive right, then answer. */
				if (dm_request_right(sid_, h, hl, msg->ev_token, DM_RR_WAIT,
						     DM_RIGHT_EXCL) ||
				    dm_respond_event(sid_, msg->ev_token, DM_RESP_CONTINUE,
						     0, 0, nullptr))
					ADD_FAILURE() << strerror(errno);
				answered++;
			}
		}
	});
	std::vector<std::unique_ptr<Child>> workers;
	for (int w = 0; w < 8; w++) {
		std::string path = mnt_ + "/f" + std::to_string(w % kFiles);
		char expect = 'a' + w % kFiles;
		workers.push_back(std::make_unique<Child>([path, expect, w] {
			char buf[4096];
			int fd = open(path.c_str(), O_RDWR);
			if (fd < 0)
				return 1;
			for (int i = 0; i < 50; i++) {
				if (pread(fd, buf, sizeof(buf), 0) != sizeof(buf) ||
				    buf[100] != expect)
					return 2;
				if (w % 2 && pwrite(fd, &expect, 1, 4095) != 1)
					return 3;
			}
			return 0;
		}));
	}
	for (auto &worker : workers)
		EXPECT_EQ(worker->wait(), 0);
	stop = true;
	application.join();
	EXPECT_GT(answered.load(), 0);
}

/*
 * NOSPACE: a write that finds the filesystem full waits while the DM
 * application makes room, then is tried again.  The scratch filesystem is
 * filled with an fallocate'd file (instant), which the DM application
 * removes on the event.
 */
class Nospace : public Recovery {
protected:
	/*
	 * Puts up to len bytes of data at off of fd, as put() does; returns
	 * how many it put, or -1 with errno set.
	 */
	using Put = std::function<ssize_t(int fd, const char *data, size_t len, off_t off)>;

	/*
	 * With manage_meanwhile, the DM application makes the file managed
	 * (a WRITE region) while the writer waits on NOSPACE, as an HSM
	 * moving it to make room would: the retried write must then send
	 * WRITE before it writes.
	 */
	void expect_room_made_for(const Put &put, bool manage_meanwhile = false)
	{
		Handle fsh;
		ASSERT_DM_OK(dm_path_to_fshandle(mnt_.data(), &fsh.hanp, &fsh.hlen));
		dm_eventset_t set = 0;
		DMEV_SET(DM_EVENT_NOSPACE, set);
		ASSERT_DM_OK(dm_set_eventlist(sid_, fsh.hanp, fsh.hlen, DM_NO_TOKEN,
					      &set, DM_EVENT_MAX));
		DMEV_SET(DM_EVENT_WRITE, set);
		ASSERT_DM_OK(dm_set_disp(sid_, fsh.hanp, fsh.hlen, DM_NO_TOKEN, &set,
					 DM_EVENT_MAX));

		/* The file first: a full filesystem may have no room for an inode. */
		std::string path = mnt_ + "/grow";
		spit(path, "");

		/* Fill the lower filesystem, leaving less than the write needs. */
		std::string filler = lower_ + "/filler";
		ASSERT_TRUE(fill_filesystem(filler)) << strerror(errno);

		Child writer([path, put] {
			static char data[1 << 20];
			int fd = open(path.c_str(), O_WRONLY);
			if (fd < 0)
				return 1;
			/* As programs do: a short write is followed by the rest. */
			for (size_t done = 0; done < sizeof(data);) {
				ssize_t n = put(fd, data + done, sizeof(data) - done, done);
				if (n < 0)
					return errno;
				done += n;
			}
			return fsync(fd) ? errno : 0;
		});
		std::vector<char> buf(4096);
		size_t rlen = 0;
		int tries = 0;
		while (dm_get_events(sid_, 1, 0, buf.size(), buf.data(), &rlen) != 0 &&
		       ++tries < 2000)
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		ASSERT_LT(tries, 2000) << "no NOSPACE event; the writer ended with "
				       << (writer.still_running_after(0) ? -1 : writer.wait());
		auto *msg = reinterpret_cast<dm_eventmsg_t *>(buf.data());
		EXPECT_EQ(msg->ev_type, DM_EVENT_NOSPACE);
		EXPECT_TRUE(writer.still_running_after(100)) << "the writer waits for room";

		/* Make room; space may come back a little later than the unlink. */
		ASSERT_TRUE(unfill_filesystem(filler));
		if (manage_meanwhile) {
			Handle grow;
			ASSERT_DM_OK(dm_path_to_handle(path.data(), &grow.hanp, &grow.hlen));
			dm_region_t region = {};
			region.rg_flags = DM_REGION_WRITE;
			dm_boolean_t exact;
			ASSERT_DM_OK(dm_set_region(sid_, grow.hanp, grow.hlen, DM_NO_TOKEN, 1,
						   &region, &exact));
		}
		EXPECT_DM_OK(dm_respond_event(sid_, msg->ev_token, DM_RESP_CONTINUE, 0,
					      0, nullptr));
		if (manage_meanwhile) {
			tries = 0;
			while (dm_get_events(sid_, 1, 0, buf.size(), buf.data(), &rlen) != 0 &&
			       ++tries < 500)
				std::this_thread::sleep_for(std::chrono::milliseconds(10));
			ASSERT_LT(tries, 500) << "the retried write sent no WRITE event";
			EXPECT_EQ(msg->ev_type, DM_EVENT_WRITE);
			EXPECT_TRUE(writer.still_running_after(100))
				<< "the retried write waits for its WRITE event";
		}
		for (int i = 0; i < 50 && writer.still_running_after(100); i++)
			for (auto t : tokens())
				dm_respond_event(sid_, t, DM_RESP_CONTINUE, 0, 0, nullptr);
		EXPECT_EQ(writer.wait(), 0);
	}
};

TEST_F(Nospace, AFullFilesystemSendsNospaceAndTheWriteGoesOnAfterRoomIsMade)
{
	expect_room_made_for([](int fd, const char *data, size_t len, off_t off) {
		return pwrite(fd, data, len, off);
	});
}

/* A pipe's worth at a time through a pipe, with splice(2). */
ssize_t splice_through_a_pipe(int fd, const char *data, size_t len, off_t off)
{
	int pipefd[2];
	if (pipe(pipefd) != 0)
		return -1;
	ssize_t n = write(pipefd[1], data, std::min<size_t>(len, 1 << 16));
	loff_t pos = off;
	if (n > 0)
		n = splice(pipefd[0], nullptr, fd, &pos, n, 0);
	int err = errno;
	close(pipefd[0]);
	close(pipefd[1]);
	errno = err;
	return n;
}

TEST_F(Nospace, AFullFilesystemSendsNospaceAndASpliceGoesOnAfterRoomIsMade)
{
	expect_room_made_for(splice_through_a_pipe);
}

TEST_F(Nospace, AFullFilesystemSendsNospaceAndAnFallocateGoesOnAfterRoomIsMade)
{
	expect_room_made_for([](int fd, const char *, size_t len, off_t off) {
		return fallocate(fd, 0, off, len) ? -1 : static_cast<ssize_t>(len);
	});
}

/* Whether the lower filesystem clones ranges: XFS with reflink does. */
bool clones_ranges(const std::string &dir)
{
	std::string from = dir + "/clone-from", to = dir + "/clone-to";
	spit(from, std::string(4096, 'c'));
	spit(to, "");
	int in = open(from.c_str(), O_RDONLY), out = open(to.c_str(), O_WRONLY);
	bool clones = in >= 0 && out >= 0 && ioctl(out, FICLONE, in) == 0;
	close(in);
	close(out);
	unlink(from.c_str());
	unlink(to.c_str());
	return clones;
}

TEST_F(Nospace, AFullFilesystemSendsNospaceAndACopyFileRangeGoesOnAfterRoomIsMade)
{
	if (clones_ranges(lower_))
		GTEST_SKIP() << "the lower filesystem clones the range copied: "
				"the copy takes no room for data";
	std::string source = mnt_ + "/source";
	spit(source, std::string(1 << 20, 's'));
	expect_room_made_for([source](int fd, const char *, size_t len, off_t off) {
		int in = open(source.c_str(), O_RDONLY);
		loff_t pos_in = off, pos_out = off;
		ssize_t n = in < 0 ? -1 : copy_file_range(in, &pos_in, fd, &pos_out, len, 0);
		int err = errno;
		close(in);
		errno = err;
		return n;
	});
}

/*
 * The DM application may make room by moving the very file written to:
 * the retried write is decided again on the file's events and rights.
 */
TEST_F(Nospace, AWriteRetriedAfterNospaceSendsTheWriteEventOfARegionSetMeanwhile)
{
	expect_room_made_for([](int fd, const char *data, size_t len, off_t off) {
		return pwrite(fd, data, len, off);
	}, true);
}

} // namespace
