// SPDX-License-Identifier: GPL-2.0
/*
 * Data events: READ, WRITE and TRUNCATE sent before an access through the
 * mount touches a managed region that asks for them, or any part of a
 * file whose event list (or whose filesystem's) holds them, to the
 * session holding their disposition.  Every source of an access is
 * covered: read, write, O_APPEND, truncate, ftruncate, O_TRUNC, fallocate,
 * mmap, sendfile, splice (from the file and into it), copy_file_range and
 * io_uring (whose submission does not wait).  The accessor waits for the
 * answer: CONTINUE lets it go on, ABORT fails it with the errno given,
 * SIGKILL ends its wait but a stop or a caught signal does not, a system
 * suspend freezes it where it waits, event_timeout gives up; identical accesses share one event; with the
 * session's queue full the accessor waits for room, and neither its death
 * nor the session's end leaves its event behind; meanwhile the DM
 * application works on the file by handle (the recall of an HSM).
 * Accesses run in child processes, because they wait for the answers the
 * test gives.
 *
 * NOSPACE, which needs a full lower filesystem, is in recovery_test.cc.
 *
 * Needs the scratch filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "event_mount.h"
#include "genl_socket.h"

#include <fcntl.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <set>
#include <thread>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

/* The exit status of an accessor that got other data than it expected. */
constexpr int kWrongData = 255;

/* The size of "file" and "other", and of the hole that "offline" is. */
constexpr size_t kFileSize = 8192;
constexpr size_t kOfflineSize = 4096;

/* The bytes at off of "file" and "other": never zero. */
std::string data(size_t off, size_t len)
{
	std::string s(len, '\0');
	for (size_t i = 0; i < len; i++)
		s[i] = static_cast<char>('A' + (off + i) % 23);
	return s;
}

dm_region_t region(dm_off_t off, dm_size_t size, unsigned int flags)
{
	dm_region_t r = {};
	r.rg_offset = off;
	r.rg_size = size;
	r.rg_flags = flags;
	return r;
}

bool same_handle(void *a, size_t alen, void *b, size_t blen)
{
	return alen == blen && dm_handle_cmp(a, alen, b, blen) == 0;
}

dm_size_t page_size()
{
	return static_cast<dm_size_t>(sysconf(_SC_PAGESIZE));
}

/* Accessors: each returns 0, the errno of what failed, or kWrongData. */

/* pread of want.size() bytes at off, which must be want. */
auto reading(const std::string &path, off_t off, const std::string &want)
{
	return [=] {
		std::string buf(want.size(), '\0');
		int fd = open(path.c_str(), O_RDONLY);
		if (fd < 0)
			return errno;
		ssize_t n = pread(fd, buf.data(), buf.size(), off);
		if (n < 0)
			return errno;
		return n == static_cast<ssize_t>(want.size()) && buf == want ? 0 : kWrongData;
	};
}

/*
 * A shared mapping of the file open for writing, made with prot and then
 * made writable (mprotect) if it is not: byte stored at 0, and synced.
 */
auto storing_through_a_mapping(const std::string &path, int prot, char byte)
{
	return [=] {
		int fd = open(path.c_str(), O_RDWR);
		if (fd < 0)
			return errno;
		void *m = mmap(nullptr, 100, prot, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			return errno;
		if (!(prot & PROT_WRITE) && mprotect(m, 100, PROT_READ | PROT_WRITE) != 0)
			return errno;
		static_cast<char *>(m)[0] = byte;
		return msync(m, 100, MS_SYNC) ? errno : 0;
	};
}

/*
 * A shared mapping of the whole file, made at once and writable; once
 * told to go on, use(the mapping), whose result the child returns.
 */
template <typename Fn>
auto later_through_a_mapping(const std::string &path, Handshake &hs, Fn use)
{
	return [=, &hs] {
		int fd = open(path.c_str(), O_RDWR);
		if (fd < 0)
			return errno;
		void *m = mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			return errno;
		hs.ready();
		if (!hs.wait_go())
			return EPIPE;
		return use(static_cast<char *>(m));
	};
}

/* later_through_a_mapping(): byte stored at off, and synced. */
auto storing_later_through_a_mapping(const std::string &path, Handshake &hs,
				     off_t off, char byte)
{
	return later_through_a_mapping(path, hs, [off, byte](char *m) {
		m[off] = byte;
		return msync(m, kFileSize, MS_SYNC) ? errno : 0;
	});
}

/* fallocate of mode over [off, off + len). */
auto fallocating(const std::string &path, int mode, off_t off, off_t len)
{
	return [=] {
		int fd = open(path.c_str(), O_WRONLY);
		if (fd < 0)
			return errno;
		return fallocate(fd, mode, off, len) ? errno : 0;
	};
}

/* pwrite of bytes at off. */
auto writing(const std::string &path, off_t off, const std::string &bytes)
{
	return [=] {
		int fd = open(path.c_str(), O_WRONLY);
		if (fd < 0)
			return errno;
		ssize_t n = pwrite(fd, bytes.data(), bytes.size(), off);
		if (n < 0)
			return errno;
		return n == static_cast<ssize_t>(bytes.size()) ? 0 : kWrongData;
	};
}

/*
 * splice of bytes, put in a pipe first, into path at off.  A failed splice
 * must leave them in the pipe: its errno, or kWrongData if they are gone.
 */
auto splicing_in(const std::string &path, off_t off, const std::string &bytes)
{
	return [=] {
		int fd = open(path.c_str(), O_WRONLY), pipefd[2];
		if (fd < 0 || pipe2(pipefd, O_NONBLOCK) != 0)
			return errno;
		ssize_t len = static_cast<ssize_t>(bytes.size());
		if (write(pipefd[1], bytes.data(), bytes.size()) != len)
			return kWrongData;
		loff_t pos = off;
		ssize_t n = splice(pipefd[0], nullptr, fd, &pos, bytes.size(), 0);
		if (n < 0) {
			int err = errno;
			std::string left(bytes.size(), '\0');
			return read(pipefd[0], left.data(), left.size()) == len &&
					       left == bytes
				       ? err
				       : kWrongData;
		}
		return n == len ? 0 : kWrongData;
	};
}

/*
 * io_uring's read of want.size() bytes at off of path, opened O_NONBLOCK
 * (6.12's io_uring tries such a file's I/O with IOCB_NOWAIT first; 6.1's
 * any regular file's): a byte is written to submitted once the submission
 * has returned, then the completion must bring want.  Raw system calls,
 * so as to need no liburing.
 */
auto reading_with_io_uring(const std::string &path, off_t off,
			   const std::string &want, int submitted)
{
	return [=] {
		struct io_uring_params p = {};
		int ring = static_cast<int>(syscall(__NR_io_uring_setup, 4, &p));
		int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK);
		if (ring < 0 || fd < 0)
			return errno;
		size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(__u32);
		size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
		auto *sq = static_cast<char *>(mmap(nullptr, sq_len, PROT_READ | PROT_WRITE,
						    MAP_SHARED, ring, IORING_OFF_SQ_RING));
		auto *cq = static_cast<char *>(mmap(nullptr, cq_len, PROT_READ | PROT_WRITE,
						    MAP_SHARED, ring, IORING_OFF_CQ_RING));
		auto *sqes = static_cast<struct io_uring_sqe *>(
			mmap(nullptr, p.sq_entries * sizeof(struct io_uring_sqe),
			     PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQES));
		if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
			return errno;
		std::string buf(want.size(), '\0');
		struct io_uring_sqe *sqe = &sqes[0];
		*sqe = {};
		sqe->opcode = IORING_OP_READ;
		sqe->fd = fd;
		sqe->addr = reinterpret_cast<__u64>(buf.data());
		sqe->len = static_cast<__u32>(buf.size());
		sqe->off = static_cast<__u64>(off);
		auto *tail = reinterpret_cast<__u32 *>(sq + p.sq_off.tail);
		reinterpret_cast<__u32 *>(sq + p.sq_off.array)[*tail & (p.sq_entries - 1)] = 0;
		__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
		if (syscall(__NR_io_uring_enter, ring, 1, 0, 0, nullptr, 0) != 1)
			return errno;
		if (write(submitted, "s", 1) != 1)
			return errno;
		if (syscall(__NR_io_uring_enter, ring, 0, 1, IORING_ENTER_GETEVENTS,
			    nullptr, 0) < 0)
			return errno;
		auto *head = reinterpret_cast<__u32 *>(cq + p.cq_off.head);
		auto *cqes = reinterpret_cast<struct io_uring_cqe *>(cq + p.cq_off.cqes);
		int res = cqes[__atomic_load_n(head, __ATOMIC_ACQUIRE) & (p.cq_entries - 1)].res;
		/* io_uring's workers share the file table and outlive us a while. */
		close(fd);
		close(ring);
		if (res < 0)
			return -res;
		return res == static_cast<int>(want.size()) && buf == want ? 0 : kWrongData;
	};
}

/* After n bytes went into a pipe: 0 if they are want, else kWrongData. */
int pipe_holds(int fd, ssize_t n, const std::string &want)
{
	std::string got(want.size(), '\0');
	if (n != static_cast<ssize_t>(want.size()) || read(fd, got.data(), got.size()) != n)
		return kWrongData;
	return got == want ? 0 : kWrongData;
}

/*
 * A splice of 100 bytes of file from 300 into the pipe pipefd; reading
 * the pipe then, it finds `ahead`, which another wrote meanwhile, and
 * the bytes spliced.
 */
std::function<int()> splicing_to(const std::string &file, const int pipefd[2],
				 const std::string &ahead)
{
	std::string want = ahead + data(300, 100);
	int rfd = pipefd[0], wfd = pipefd[1];
	return [file, want, ahead, rfd, wfd] {
		int fd = open(file.c_str(), O_RDONLY);
		if (fd < 0)
			return errno;
		loff_t off = 300;
		ssize_t n = splice(fd, &off, wfd, nullptr, want.size() - ahead.size(), 0);
		if (n < 0)
			return errno;
		return pipe_holds(rfd, n + ahead.size(), want);
	};
}

class Access : public EventMountTest {
protected:
	Access() : EventMountTest("access") {}

	void populate() override
	{
		spit(lower_ + "/file", data(0, kFileSize));
		spit(lower_ + "/other", data(0, kFileSize));
		spit(lower_ + "/copy", "");
		spit(lower_ + "/offline", "");
		fs::resize_file(lower_ + "/offline", kOfflineSize);	/* a hole */
	}

	void SetUp() override
	{
		EventMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		ASSERT_NO_FATAL_FAILURE(handle_of("file", file_));
		ASSERT_NO_FATAL_FAILURE(handle_of("other", other_));
		ASSERT_NO_FATAL_FAILURE(handle_of("offline", offline_));
	}

	/*
	 * A truncate(2) of the file to 100 bytes, its TRUNCATE taken and
	 * unanswered in *m: the truncater.
	 */
	std::unique_ptr<Accessor> truncating(Message &m)
	{
		EXPECT_DM_OK(take({DM_EVENT_TRUNCATE}));
		EXPECT_DM_OK(manage(file_, {region(0, 0, DM_REGION_TRUNCATE)}));
		auto truncater = std::make_unique<Accessor>(
			[p = path("file")] { return truncate(p.c_str(), 100) ? errno : 0; });
		m = next();
		EXPECT_EQ(m.type(), DM_EVENT_TRUNCATE);
		return truncater;
	}

	/* READ events of the file's first 100 bytes, CANCEL when nobody waits. */
	void manage_reads_with_cancel()
	{
		ASSERT_DM_OK(take({DM_EVENT_READ, DM_EVENT_CANCEL}));
		ASSERT_DM_OK(enable(fsh_, {DM_EVENT_CANCEL}));
		ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	}

	/*
	 * A splice of the file into the pipe pipefd (splicing_to(), finding
	 * `ahead` first) waits for its READ while another writes `bytes` into
	 * the pipe, which must not wait for the answer; then the answer.
	 */
	void splice_while_another_writes(const int pipefd[2], const std::string &bytes,
					 const std::string &ahead,
					 std::unique_ptr<Accessor> &splicer)
	{
		ASSERT_DM_OK(take({DM_EVENT_READ}));
		ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_READ)}));
		splicer = std::make_unique<Accessor>(splicing_to(path("file"), pipefd, ahead));
		Message m = next();
		ASSERT_EQ(m.type(), DM_EVENT_READ);
		int wfd = pipefd[1];
		Accessor writer([wfd, bytes] {
			ssize_t n = write(wfd, bytes.data(), bytes.size());
			return n == static_cast<ssize_t>(bytes.size()) ? 0 : errno;
		});
		EXPECT_TRUE(writer.ends_within(10000)) << "the pipe's writer waited for the answer";
		respond(m.token(), DM_RESP_CONTINUE);
		EXPECT_EQ(writer.result(), 0);
	}

	/* m is a synchronous data event of type about h, at off for len bytes. */
	void expect_data_event(Message &m, dm_eventtype_t type, Handle &h,
			       dm_off_t off, dm_size_t len)
	{
		ASSERT_EQ(m.type(), type);
		EXPECT_GT(m.token(), 0) << "data events are synchronous";
		dm_data_event_t *de = m.de();
		EXPECT_TRUE(same_handle(DM_GET_VALUE(de, de_handle, void *),
					DM_GET_LEN(de, de_handle), h.hanp, h.hlen))
			<< "de_handle is the file's";
		EXPECT_EQ(de->de_offset, off);
		EXPECT_EQ(de->de_length, len);
	}

	/*
	 * Reads of "file" with READ's disposition taken: none sends an
	 * event; with ask(true) done, the next one does; with ask(false),
	 * none again.  ask returns as the library call it makes.
	 */
	template <typename Ask> void expect_reads_follow(Ask ask)
	{
		ASSERT_DM_OK(take({DM_EVENT_READ}));
		Accessor before(reading(path("file"), 0, data(0, 100)));
		EXPECT_EQ(before.result(), 0);
		EXPECT_TRUE(queue_empty()) << "READ of a file that asks for nothing";
		ASSERT_DM_OK(ask(true));
		Accessor reader(reading(path("file"), 0, data(0, 100)));
		Message m = next();
		ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, file_, 0, 100));
		respond(m.token(), DM_RESP_CONTINUE);
		EXPECT_EQ(reader.result(), 0);

		ASSERT_DM_OK(ask(false));
		Accessor after(reading(path("file"), 0, data(0, 100)));
		EXPECT_EQ(after.result(), 0);
		EXPECT_TRUE(queue_empty()) << "READ after it stopped asking";
	}

	/*
	 * storer: a store of 'S' at 5 through a mapping made first, then a
	 * WRITE region over the whole file; m, the store's WRITE, unanswered.
	 */
	void start_a_store_waiting_for_write(Handshake &hs, std::unique_ptr<Accessor> &storer,
					     Message &m)
	{
		ASSERT_DM_OK(take({DM_EVENT_WRITE}));
		storer = std::make_unique<Accessor>(
			storing_later_through_a_mapping(path("file"), hs, 5, 'S'));
		ASSERT_TRUE(hs.ready_within(10000)) << "not mapped";
		ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_WRITE)}));
		hs.go();
		m = next();
		ASSERT_EQ(m.type(), DM_EVENT_WRITE);
	}

	/* The WRITE of a store to the first page of "file", answered. */
	void expect_a_store_to_the_first_page_to_send_write()
	{
		Message m = next();
		ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_WRITE, file_, 0, page_size()));
		respond(m.token(), DM_RESP_CONTINUE);
	}

	/*
	 * Answer the events the accessor's accesses send until it ends, each
	 * CONTINUE after an exclusive right on h with its token, as an HSM
	 * staging data in would: at most `most` of them, for kPatienceMs at
	 * most.  Returns how many were answered; *refused counts the rights
	 * that were not granted.
	 */
	int answer_taking_rights(Accessor &accessor, Handle &h, int most, int *refused)
	{
		int answered = 0;
		auto give_up = std::chrono::steady_clock::now() +
			       std::chrono::milliseconds(kPatienceMs);
		while (!accessor.ends_within(0) && answered < most &&
		       std::chrono::steady_clock::now() < give_up) {
			std::vector<char> buf(4096);
			size_t rlen = 0;
			if (dm_get_events(sid_, 1, 0, buf.size(), buf.data(), &rlen) != 0) {
				std::this_thread::sleep_for(std::chrono::milliseconds(10));
				continue;
			}
			auto *msg = reinterpret_cast<dm_eventmsg_t *>(buf.data());
			if (dm_request_right(sid_, h.hanp, h.hlen, msg->ev_token, 0,
					     DM_RIGHT_EXCL) != 0) {
				ADD_FAILURE() << "the right for event " << answered + 1 << ": "
					      << strerror(errno);
				(*refused)++;
			}
			respond(msg->ev_token, DM_RESP_CONTINUE);
			answered++;
		}
		return answered;
	}

	Handle file_, other_, offline_;
};

/* Reads */

TEST_F(Access, ReadOfAReadRegionSendsReadWithTheFileOffsetAndLength)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	Accessor reader(reading(path("file"), 10, data(10, 50)));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, file_, 10, 50));
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(reader.result(), 0);
}

TEST_F(Access, ReaderWaitsForContinueThenGetsTheData)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	Accessor reader(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	EXPECT_FALSE(reader.ends_within(kBlockedMs)) << "read before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(reader.result(), 0);
}

/*
 * An io_uring read waits for its event in io_uring's worker, not in the
 * submission, which would hold up the ring's other users meanwhile.
 */
TEST_F(Access, AnIoUringReadWaitsForItsEventAfterItsSubmissionReturned)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	int submitted[2];
	ASSERT_EQ(pipe(submitted), 0);
	Accessor reader(reading_with_io_uring(path("file"), 10, data(10, 50), submitted[1]));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, file_, 10, 50));
	struct pollfd pfd = {submitted[0], POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, 5000), 1) << "the submission waited for the event";
	EXPECT_FALSE(reader.ends_within(kBlockedMs)) << "read before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(reader.result(), 0);
	close(submitted[0]);
	close(submitted[1]);
}

TEST_F(Access, AbortFailsTheReadWithTheErrnoGiven)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	Accessor reader(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	respond(m.token(), DM_RESP_ABORT, EIO);
	EXPECT_EQ(reader.result(), EIO);
}

TEST_F(Access, KillingAWaitingReaderEndsItAndTheTokenCanStillBeAnswered)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	Accessor reader(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	reader.kill_now();
	EXPECT_EQ(reader.result(), 128 + SIGKILL);
	EXPECT_EQ(outstanding_tokens(), 1u) << "the event stays the DM application's";
	respond(m.token(), DM_RESP_CONTINUE);
}

TEST_F(Access, TheEventOfAKilledReaderIsFreedOnceAnswered)
{
	long before = live_events();
	if (before < 0)
		GTEST_SKIP() << "no /sys/kernel/debug/dmapi/objects";
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	Accessor reader(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	reader.kill_now();
	EXPECT_EQ(reader.result(), 128 + SIGKILL);
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(live_events(), before) << "kept with nobody waiting for it";
}

/* Signals: only a fatal one ends the wait, as for fanotify's permission events. */

TEST_F(Access, AReaderStoppedAndContinuedStillGetsItsData)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	Accessor reader(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	/* It stops once the read returns: a killable wait ignores SIGSTOP. */
	ASSERT_EQ(kill(reader.pid(), SIGSTOP), 0);
	EXPECT_FALSE(reader.ends_within(kBlockedMs)) << "the stop ended the wait";
	ASSERT_EQ(kill(reader.pid(), SIGCONT), 0);
	EXPECT_FALSE(reader.ends_within(kBlockedMs)) << "the stop ended the wait";
	EXPECT_TRUE(queue_empty()) << "a second event for the same read";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(reader.result(), 0) << "the read failed (EINTR is 4)";
}

TEST_F(Access, ASignalTheReaderCatchesDoesNotEndItsWait)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	auto read = reading(path("file"), 0, data(0, 100));
	Accessor reader([read] {
		struct sigaction sa = {};
		sa.sa_handler = [](int) {};	/* no SA_RESTART */
		sigaction(SIGUSR1, &sa, nullptr);
		return read();
	});
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	ASSERT_EQ(kill(reader.pid(), SIGUSR1), 0);
	EXPECT_FALSE(reader.ends_within(kBlockedMs)) << "the caught signal ended the wait";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(reader.result(), 0) << "the read failed (EINTR is 4)";
}

TEST_F(Access, ASystemSuspendFreezesAReaderWaitingForItsEvent)
{
	if (!can_test_suspend())
		GTEST_SKIP() << "no /sys/power/pm_test (CONFIG_PM_DEBUG)";
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	Accessor reader(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	EXPECT_EQ(freeze_and_thaw(), 0) << "EBUSY (16): a task refused to freeze";
	EXPECT_FALSE(reader.ends_within(kBlockedMs)) << "the suspend ended the wait";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(reader.result(), 0) << "the read failed (EINTR is 4)";
}

/* Waiting for room: the session already queues max_queued_msgs messages. */

/* Whether live_events() comes to n within kPatienceMs. */
bool live_events_reach(long n)
{
	for (int ms = 0; ms < kPatienceMs; ms += 10) {
		if (live_events() == n)
			return true;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return false;
}


/*
 * A reader whose memory cgroup is at its limit, and whose OOM killer may
 * end nobody, still gets its READ event and its data: the filesystem's
 * synchronous events are not charged to the reader (a charge would run
 * the cgroup's reclaim under the table of pending events, and fail).
 */
TEST_F(Access, AReaderAtItsMemoryCgroupsLimitGetsItsEvent)
{
	MemoryCgroup cgroup;
	if (!cgroup.why().empty())
		GTEST_SKIP() << cgroup.why();
	constexpr long long kLimit = 4 << 20;
	ASSERT_TRUE(cgroup.limit(kLimit)) << strerror(errno);
	dm_sessid_t sink = DM_NO_SESSION;
	char info[] = "dmapi-vm-test sink";
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sink));
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	const std::string want = data(0, 100), file = path("file");
	long before = live_events();
	Accessor reader([&] {
		std::string buf(want.size(), '\0'), text(16000, 'm');
		int fd = open(file.c_str(), O_RDONLY);
		int adj = open("/proc/self/oom_score_adj", O_WRONLY);
		if (fd < 0 || adj < 0 || write(adj, "-1000", 5) != 5)
			return 1;
		/* A fault at a limit nobody can enforce would wait for good. */
		if (mlockall(MCL_CURRENT) != 0 || !cgroup.join())
			return 1;
		/* Messages fill the cgroup; past its limit they go uncharged. */
		for (int i = 0; i < 400; i++)
			if (dm_send_msg(sink, DM_MSGTYPE_ASYNC, text.size(), text.data()))
				return 2;
		ssize_t n = pread(fd, buf.data(), buf.size(), 0);
		if (n < 0)
			return errno;
		return buf == want ? 0 : kWrongData;
	});
	/* Its messages, slow at the limit on a debug kernel, then its READ. */
	EXPECT_TRUE(live_events_come_to(before + 401)) << "the reader stopped sending";
	Message m = next();
	EXPECT_GE(cgroup.current(), kLimit - (256 << 10))
		<< "the cgroup is not at its limit: the test proves nothing";
	if (m.type() == DM_EVENT_READ)
		respond(m.token(), DM_RESP_CONTINUE);
	bool stuck = !reader.ends_within(kPatienceMs);
	if (stuck) {
		ASSERT_TRUE(cgroup.limit(-1)) << strerror(errno);
	}
	EXPECT_FALSE(stuck) << "the reader was stuck at its cgroup's limit";
	EXPECT_EQ(reader.result(), 0) << "1: joining the cgroup failed, 2: sending failed";
	EXPECT_DM_OK(SessionTest::cleanup_session(sink));
}

class AccessQueueFull : public Access {
protected:
	void SetUp() override
	{
		Access::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		before_ = live_events();
		if (before_ < 0)
			GTEST_SKIP() << "no /sys/kernel/debug/dmapi/objects";
		ASSERT_DM_OK(take({DM_EVENT_READ}));
		ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	}

	/* One asynchronous message: the queue is full until it is read. */
	void fill_queue()
	{
		char text[] = "room";
		ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, sizeof(text), text));
	}

	/* Read the message that fills the queue; answer the reader's event. */
	void make_room_and_answer(Accessor &reader)
	{
		ASSERT_EQ(next().type(), DM_EVENT_USER);
		Message m = next();
		ASSERT_EQ(m.type(), DM_EVENT_READ);
		respond(m.token(), DM_RESP_CONTINUE);
		EXPECT_EQ(reader.result(), 0);
		EXPECT_EQ(live_events(), before_);
	}

	ModuleParam limit_{"max_queued_msgs", "1"};
	long before_ = -1;
};

TEST_F(AccessQueueFull, AReaderKilledWaitingForRoomLeavesNoEventBehind)
{
	ASSERT_NO_FATAL_FAILURE(fill_queue());
	Accessor reader(reading(path("file"), 0, data(0, 100)));
	ASSERT_TRUE(live_events_reach(before_ + 2)) << "the reader made no event";
	EXPECT_FALSE(reader.ends_within(kBlockedMs)) << "read with no room for its event";
	reader.kill_now();
	EXPECT_EQ(reader.result(), 128 + SIGKILL);
	EXPECT_EQ(live_events(), before_ + 1) << "the killed reader's event was kept";
	/* Nothing of it is left to join: the next reader's event is its own. */
	ASSERT_EQ(next().type(), DM_EVENT_USER);
	Accessor again(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(again.result(), 0);
	EXPECT_EQ(live_events(), before_);
}

/*
 * The event the killed reader made was never queued: the monitor counts
 * no answer to it, for either reader; the second is counted once, for
 * the event it posts itself.
 */
TEST_F(AccessQueueFull, AReaderThatJoinedOneKilledWaitingForRoomPostsTheEventItself)
{
	GenlSocket genl;
	ASSERT_TRUE(genl.ok()) << "no generic netlink family " DMAPI_GENL_NAME;
	auto before = genl.fs_counts(lower_, DMAPI_A_ANSWERS);
	ASSERT_EQ(before.size(), size_t{DMAPI_ANSWER_MAX}) << "no answer counts over " << lower_;
	ASSERT_NO_FATAL_FAILURE(fill_queue());
	Accessor first(reading(path("file"), 0, data(0, 100)));
	ASSERT_TRUE(live_events_reach(before_ + 2)) << "the first reader made no event";
	Accessor second(reading(path("file"), 0, data(0, 100)));
	ASSERT_TRUE(waits_in(second.pid(), "dm_event_wait*"))
		<< "the second reader did not join the first's event";
	first.kill_now();
	EXPECT_EQ(first.result(), 128 + SIGKILL);
	EXPECT_FALSE(second.ends_within(kBlockedMs)) << "ended by the first reader's signal";
	ASSERT_NO_FATAL_FAILURE(make_room_and_answer(second));
	auto after = genl.fs_counts(lower_, DMAPI_A_ANSWERS);
	ASSERT_EQ(after.size(), before.size());
	EXPECT_EQ(after[DMAPI_ANSWER_INTERRUPTED], before[DMAPI_ANSWER_INTERRUPTED])
		<< "a wait for the event never queued was counted";
	EXPECT_EQ(after[DMAPI_ANSWER_CONTINUE], before[DMAPI_ANSWER_CONTINUE] + 1);
}

/*
 * The reader that made an event still waits for it while it waits for
 * room: one that joined it and was killed leaves it whole, neither
 * cancelled nor left to a second event of a later reader.
 */
TEST_F(AccessQueueFull, AJoinerKilledWhileTheEventWaitsForRoomLeavesItWhole)
{
	ASSERT_NO_FATAL_FAILURE(manage_reads_with_cancel());
	ASSERT_NO_FATAL_FAILURE(fill_queue());
	Accessor first(reading(path("file"), 0, data(0, 100)));
	ASSERT_TRUE(live_events_reach(before_ + 2)) << "the first reader made no event";
	Accessor joiner(reading(path("file"), 0, data(0, 100)));
	ASSERT_TRUE(waits_in(joiner.pid(), "dm_event_wait*"))
		<< "the second reader did not join the first's event";
	joiner.kill_now();
	EXPECT_EQ(joiner.result(), 128 + SIGKILL);
	ASSERT_EQ(next().type(), DM_EVENT_USER);
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	Accessor later(reading(path("file"), 0, data(0, 100)));
	ASSERT_TRUE(waits_in(later.pid(), "dm_event_wait*")) << "the later reader did not wait";
	EXPECT_TRUE(queue_empty()) << "a second event, or a CANCEL, while the first reader waits";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(first.result(), 0);
	EXPECT_EQ(later.result(), 0) << "the later reader did not join the event";
}

TEST_F(AccessQueueFull, AReaderWaitingForRoomFailsETIMEDOUTWithEventTimeout)
{
	ModuleParam timeout("event_timeout", "1");
	ASSERT_NO_FATAL_FAILURE(fill_queue());
	Accessor reader(reading(path("file"), 0, data(0, 100)));
	ASSERT_TRUE(reader.ends_within(kPatienceMs)) << "waited for room past event_timeout";
	EXPECT_EQ(reader.result(), ETIMEDOUT);
	EXPECT_EQ(live_events(), before_ + 1) << "the event that found no room was kept";
	ASSERT_EQ(next().type(), DM_EVENT_USER);
	EXPECT_TRUE(queue_empty()) << "the event that found no room was queued";
}

TEST_F(AccessQueueFull, AReaderThatJoinedOneTimedOutWaitingForRoomPostsTheEventItself)
{
	ModuleParam timeout("event_timeout", "2");
	ASSERT_NO_FATAL_FAILURE(fill_queue());
	Accessor first(reading(path("file"), 0, data(0, 100)));
	ASSERT_TRUE(live_events_reach(before_ + 2)) << "the first reader made no event";
	/* Later, so that its own event_timeout ends well after the first's. */
	std::this_thread::sleep_for(std::chrono::seconds(1));
	Accessor second(reading(path("file"), 0, data(0, 100)));
	ASSERT_TRUE(waits_in(second.pid(), "dm_event_wait*"))
		<< "the second reader did not join the first's event";
	ASSERT_TRUE(first.ends_within(kPatienceMs)) << "waited for room past event_timeout";
	EXPECT_EQ(first.result(), ETIMEDOUT);
	EXPECT_FALSE(second.ends_within(kBlockedMs))
		<< "ended by the first reader's timeout: " << second.result();
	ASSERT_NO_FATAL_FAILURE(make_room_and_answer(second));
}

/*
 * Reading the message that fills the queue wakes the reader; the session
 * must be destroyed before the reader queues its event.  That race is run
 * until the destruction wins, at most 50 times.
 */
TEST_F(AccessQueueFull, ASessionDestroyedWhileAReaderWaitsForRoomLetsTheReadGoOn)
{
	bool destroyed = false;
	for (int i = 0; i < 50 && !destroyed; i++) {
		ASSERT_NO_FATAL_FAILURE(fill_queue());
		Accessor reader(reading(path("file"), 0, data(0, 100)));
		ASSERT_TRUE(live_events_reach(before_ + 2)) << "the reader made no event";
		std::vector<char> buf(4096);
		size_t rlen = 0;
		ASSERT_DM_OK(dm_get_events(sid_, 1, 0, buf.size(), buf.data(), &rlen));
		if (dm_destroy_session(sid_) == 0) {
			sid_ = DM_NO_SESSION;
			destroyed = true;
			EXPECT_EQ(reader.result(), 0) << "the event of no session held the read";
		} else {
			ASSERT_EQ(errno, EBUSY) << "queued: the reader won the race";
			Message m = next();
			ASSERT_EQ(m.type(), DM_EVENT_READ);
			respond(m.token(), DM_RESP_CONTINUE);
			EXPECT_EQ(reader.result(), 0);
		}
	}
	if (!destroyed)
		GTEST_SKIP() << "the reader queued its event before each of 50 destructions";
	EXPECT_EQ(live_events(), before_);
}

TEST_F(Access, KillingTheLastMergedReaderSendsCancelWhenEnabled)
{
	ASSERT_NO_FATAL_FAILURE(manage_reads_with_cancel());
	Accessor first(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	Accessor second(reading(path("file"), 0, data(0, 100)));
	EXPECT_FALSE(second.ends_within(kBlockedMs));
	first.kill_now();
	EXPECT_EQ(first.result(), 128 + SIGKILL);
	EXPECT_TRUE(queue_empty()) << "the second reader still waits";
	second.kill_now();
	EXPECT_EQ(second.result(), 128 + SIGKILL);
	Message c = next();
	ASSERT_EQ(c.type(), DM_EVENT_CANCEL);
	EXPECT_EQ(c.data<dm_cancel_event_t>()->ce_token, m.token());
	respond(m.token(), DM_RESP_CONTINUE);
}

TEST_F(Access, KillingOneOfTwoMergedReadersLeavesTheOtherWaitingForTheAnswer)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	Accessor first(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	Accessor second(reading(path("file"), 0, data(0, 100)));
	EXPECT_FALSE(second.ends_within(300));
	EXPECT_TRUE(queue_empty()) << "the second reader joined the first's event";
	first.kill_now();
	EXPECT_EQ(first.result(), 128 + SIGKILL);
	EXPECT_FALSE(second.ends_within(300)) << "still waiting for the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(second.result(), 0);
}

TEST_F(Access, AnIdenticalReadAfterTheCancelSendsAnEventOfItsOwn)
{
	ASSERT_NO_FATAL_FAILURE(manage_reads_with_cancel());
	Accessor first(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	first.kill_now();
	EXPECT_EQ(first.result(), 128 + SIGKILL);
	ASSERT_EQ(next().type(), DM_EVENT_CANCEL);
	Accessor second(reading(path("file"), 0, data(0, 100)));
	Message again = next();
	ASSERT_EQ(again.type(), DM_EVENT_READ) << "joined the cancelled event";
	EXPECT_NE(again.token(), m.token());
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_FALSE(second.ends_within(kBlockedMs)) << "went on at the cancelled event's answer";
	respond(again.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(second.result(), 0);
	EXPECT_TRUE(queue_empty()) << "a second CANCEL";
}

/*
 * An event left outstanding by a killed reader is one file's: a read of
 * the next file given its inode number, once it is removed, sends its own.
 */
TEST_F(Access, AReadOfTheNextFileGivenARemovedFilesInodeNumberSendsItsOwnEvent)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	struct stat st;
	ASSERT_EQ(stat((lower_ + "/file").c_str(), &st), 0);
	Accessor first(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	first.kill_now();
	EXPECT_EQ(first.result(), 128 + SIGKILL);
	ASSERT_EQ(unlink(path("file").c_str()), 0) << strerror(errno);
	std::string reused = make_until_inode_reused(lower_, st.st_ino, data(0, kFileSize));
	if (reused.empty()) {
		respond(m.token(), DM_RESP_CONTINUE);
		GTEST_SKIP() << "no new file got inode " << st.st_ino;
	}
	Handle reuser;
	ASSERT_NO_FATAL_FAILURE(handle_of(reused, reuser));
	ASSERT_DM_OK(manage(reuser, {region(0, 100, DM_REGION_READ)}));
	Accessor second(reading(path(reused), 0, data(0, 100)));
	Message own = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(own, DM_EVENT_READ, reuser, 0, 100));
	EXPECT_NE(own.token(), m.token());
	/* The removed file's answer is not the new one's. */
	respond(m.token(), DM_RESP_ABORT, EIO);
	EXPECT_FALSE(second.ends_within(kBlockedMs)) << "went on at the removed file's answer";
	respond(own.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(second.result(), 0);
}

TEST_F(Access, IdenticalReadsShareOneEventAndOneAnswer)
{
	constexpr int kReaders = 10;
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	int ready[2];
	ASSERT_EQ(pipe(ready), 0) << strerror(errno);
	std::vector<std::unique_ptr<Accessor>> readers;
	for (int i = 0; i < kReaders; i++) {
		auto read_it = reading(path("file"), 0, data(0, 100));
		int w = ready[1];
		readers.push_back(std::make_unique<Accessor>([read_it, w] {
			return write(w, "r", 1) == 1 ? read_it() : errno;
		}));
	}
	close(ready[1]);
	/* Every reader is about to read; give them time to reach the wait. */
	char buf[kReaders];
	size_t got = 0;
	struct pollfd p = {ready[0], POLLIN, 0};
	while (got < sizeof(buf) && poll(&p, 1, kPatienceMs) == 1) {
		ssize_t n = read(ready[0], buf + got, sizeof(buf) - got);
		if (n <= 0)
			break;
		got += n;
	}
	close(ready[0]);
	EXPECT_EQ(got, sizeof(buf)) << "not every reader started";

	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, file_, 0, 100));
	std::this_thread::sleep_for(std::chrono::milliseconds(kBlockedMs));
	EXPECT_TRUE(queue_empty()) << "a second message for an identical read";
	EXPECT_EQ(outstanding_tokens(), 1u);
	for (auto &r : readers)
		EXPECT_FALSE(r->ends_within(0)) << "read before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	for (auto &r : readers)
		EXPECT_EQ(r->result(), 0);
}

TEST_F(Access, ReadsOfDifferentRangesGetEventsOfTheirOwn)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	Accessor first(reading(path("file"), 0, data(0, 10)));
	Accessor second(reading(path("file"), 50, data(50, 10)));
	Message a = next();
	Message b = next();
	ASSERT_EQ(a.type(), DM_EVENT_READ);
	ASSERT_EQ(b.type(), DM_EVENT_READ);
	EXPECT_NE(a.token(), b.token());
	std::set<dm_off_t> offsets = {a.de()->de_offset, b.de()->de_offset};
	EXPECT_EQ(offsets, (std::set<dm_off_t>{0, 50}));
	respond(a.token(), DM_RESP_CONTINUE);
	respond(b.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(first.result(), 0);
	EXPECT_EQ(second.result(), 0);
}

/* When no event is sent */

TEST_F(Access, WithoutTheDispositionRegionsSendNothing)
{
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_READ | DM_REGION_WRITE |
						    DM_REGION_TRUNCATE)}));
	Accessor reader(reading(path("file"), 0, data(0, 100)));
	EXPECT_EQ(reader.result(), 0);
	Accessor writer(writing(path("file"), 0, "new"));
	EXPECT_EQ(writer.result(), 0);
	EXPECT_EQ(truncate(path("file").c_str(), 10), 0) << strerror(errno);
	EXPECT_TRUE(queue_empty());
	EXPECT_EQ(outstanding_tokens(), 0u);
}

TEST_F(Access, ReadOutsideEveryRegionSendsNothing)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	Accessor reader(reading(path("file"), 4096, data(4096, 100)));
	EXPECT_EQ(reader.result(), 0);
	EXPECT_TRUE(queue_empty());
}

TEST_F(Access, WriteRegionLetsReadsThroughAndStopsWrites)
{
	ASSERT_DM_OK(take({DM_EVENT_READ, DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_WRITE)}));
	Accessor reader(reading(path("file"), 0, data(0, 100)));
	EXPECT_EQ(reader.result(), 0);
	EXPECT_TRUE(queue_empty()) << "READ without a READ region";

	Accessor writer(writing(path("file"), 0, "new"));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_WRITE, file_, 0, 3));
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(writer.result(), 0);
}

/* The event lists */

TEST_F(Access, FilesystemEventListCoversEveryFile)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(enable(fsh_, {DM_EVENT_READ}));
	Accessor reader(reading(path("other"), 4096, data(4096, 100)));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, other_, 4096, 100));
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(reader.result(), 0);
}

TEST_F(Access, FileEventListCoversThatWholeFileOnly)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(enable(file_, {DM_EVENT_READ}));
	Accessor unlisted(reading(path("other"), 0, data(0, 100)));
	EXPECT_EQ(unlisted.result(), 0);
	EXPECT_TRUE(queue_empty()) << "READ for a file without it in its list";

	Accessor reader(reading(path("file"), 4096, data(4096, 100)));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, file_, 4096, 100));
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(reader.result(), 0);
}

/*
 * A file's regions and event list are cached with its inode once an
 * access has read them: every change must reach the next access.
 */

TEST_F(Access, RegionsSetAfterAnAccessApplyToTheNextOne)
{
	expect_reads_follow([this](bool on) {
		return on ? manage(file_, {region(0, 0, DM_REGION_READ)}) : manage(file_, {});
	});
}

TEST_F(Access, ChangingAnotherFilesRegionsKeepsThisOnesEvents)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_READ)}));
	for (int i = 0; i < 2; i++) {
		Accessor reader(reading(path("file"), 0, data(0, 10)));
		Message m = next();
		ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, file_, 0, 10));
		respond(m.token(), DM_RESP_CONTINUE);
		EXPECT_EQ(reader.result(), 0);
		ASSERT_DM_OK(manage(other_, {region(0, 10, DM_REGION_WRITE)}));
	}
}

TEST_F(Access, FileEventListChangedAfterAnAccessAppliesToTheNextOne)
{
	expect_reads_follow([this](bool on) {
		return on ? enable(file_, {DM_EVENT_READ}) : enable(file_, {});
	});
}

/*
 * A file that asked for nothing when it was last read is decided on a
 * cached word: the filesystem's event list changed since still counts.
 */
TEST_F(Access, FilesystemEventListChangedAfterAnAccessAppliesToTheNextOne)
{
	expect_reads_follow([this](bool on) {
		return on ? enable(fsh_, {DM_EVENT_READ}) : enable(fsh_, {});
	});
}

/* Writes */

TEST_F(Access, WriteOfAWriteRegionSendsWriteThenWrites)
{
	ASSERT_DM_OK(take({DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_WRITE)}));
	Accessor writer(writing(path("file"), 20, "WXYZ"));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_WRITE, file_, 20, 4));
	EXPECT_FALSE(writer.ends_within(kBlockedMs)) << "wrote before the answer";
	EXPECT_EQ(slurp(lower("file")), data(0, kFileSize)) << "written before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(writer.result(), 0);
	EXPECT_EQ(slurp(lower("file")), data(0, 20) + "WXYZ" + data(24, kFileSize - 24));
}

TEST_F(Access, AbortedWriteFailsWithTheErrnoGivenAndWritesNothing)
{
	ASSERT_DM_OK(take({DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_WRITE)}));
	Accessor writer(writing(path("file"), 20, "WXYZ"));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_WRITE);
	respond(m.token(), DM_RESP_ABORT, EACCES);
	EXPECT_EQ(writer.result(), EACCES);
	EXPECT_EQ(slurp(lower("file")), data(0, kFileSize));
}

TEST_F(Access, AppendingWriteReportsTheEndOfTheFile)
{
	ASSERT_DM_OK(take({DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_WRITE)}));
	std::string p = path("file");
	Accessor writer([p] {
		int fd = open(p.c_str(), O_WRONLY | O_APPEND);
		if (fd < 0)
			return errno;
		ssize_t n = write(fd, "abc", 3);
		return n < 0 ? errno : n == 3 ? 0 : kWrongData;
	});
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_WRITE, file_, kFileSize, 3));
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(writer.result(), 0);
	EXPECT_EQ(slurp(lower("file")), data(0, kFileSize) + "abc");
}

TEST_F(Access, FallocateSendsWrite)
{
	ASSERT_DM_OK(take({DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_WRITE)}));
	Accessor allocator(fallocating(path("file"), 0, 4096, 16384));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_WRITE, file_, 4096, 16384));
	EXPECT_FALSE(allocator.ends_within(kBlockedMs)) << "allocated before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(allocator.result(), 0);
	EXPECT_EQ(fs::file_size(lower("file")), 4096u + 16384u);
}

/* Truncations */

TEST_F(Access, TruncateSendsTruncateWithTheNewSize)
{
	ASSERT_DM_OK(take({DM_EVENT_TRUNCATE}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_TRUNCATE)}));
	std::string p = path("file");
	Accessor truncater([p] { return truncate(p.c_str(), 100) ? errno : 0; });
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_TRUNCATE, file_, 100, 0));
	EXPECT_FALSE(truncater.ends_within(kBlockedMs)) << "truncated before the answer";
	EXPECT_EQ(fs::file_size(lower("file")), kFileSize);
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(truncater.result(), 0);
	EXPECT_EQ(fs::file_size(lower("file")), 100u);
}

TEST_F(Access, AbortedTruncationFailsWithTheErrnoGivenAndKeepsTheSize)
{
	Message m;
	auto truncater = truncating(m);
	ASSERT_EQ(m.type(), DM_EVENT_TRUNCATE);
	respond(m.token(), DM_RESP_ABORT, EPERM);
	EXPECT_EQ(truncater->result(), EPERM);
	EXPECT_EQ(fs::file_size(lower("file")), kFileSize);
}

TEST_F(Access, FtruncateSendsTruncate)
{
	ASSERT_DM_OK(take({DM_EVENT_TRUNCATE}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_TRUNCATE)}));
	std::string p = path("file");
	Accessor truncater([p] {
		int fd = open(p.c_str(), O_WRONLY);
		if (fd < 0)
			return errno;
		return ftruncate(fd, 50) ? errno : 0;
	});
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_TRUNCATE, file_, 50, 0));
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(truncater.result(), 0);
	EXPECT_EQ(fs::file_size(lower("file")), 50u);
}

TEST_F(Access, OpenWithOTruncSendsTruncateToZero)
{
	ASSERT_DM_OK(take({DM_EVENT_TRUNCATE}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_TRUNCATE)}));
	std::string p = path("file");
	Accessor opener([p] { return open(p.c_str(), O_WRONLY | O_TRUNC) < 0 ? errno : 0; });
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_TRUNCATE, file_, 0, 0));
	EXPECT_FALSE(opener.ends_within(kBlockedMs)) << "opened before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(opener.result(), 0);
	EXPECT_EQ(fs::file_size(lower("file")), 0u);
}

/*
 * A truncation waiting for its answer holds no lock an unlink of the
 * file needs: the unlink, which holds its directory's lock meanwhile,
 * would otherwise wait for the DM application too, unkillably.
 */
TEST_F(Access, AnUnlinkOfAFileWhoseTruncationWaitsGoesOn)
{
	Message m;
	auto truncater = truncating(m);
	ASSERT_EQ(m.type(), DM_EVENT_TRUNCATE);
	Accessor remover([p = path("file")] { return unlink(p.c_str()) ? errno : 0; });
	EXPECT_TRUE(remover.ends_within(20000)) << "the unlink waited for the truncation's answer";
	EXPECT_FALSE(truncater->ends_within(0)) << "truncated before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(truncater->result(), 0);
	EXPECT_EQ(remover.result(), 0);
	EXPECT_FALSE(fs::exists(lower("file")));
}

/*
 * A truncation answered while an unlink of the file holds the file's lock
 * (waiting for its REMOVE) is not counted as admitted while it waits for
 * that lock: the DM application answering the REMOVE may take a right on
 * the file, which waits for the accesses admitted, and one that waited
 * for the unlink would hold the right up until drain_timeout (EAGAIN).
 * The right granted after the truncation's decision has it decide again.
 */
TEST_F(Access, ARightTakenToAnswerAnUnlinkDoesNotWaitForATruncationBehindIt)
{
	Message m;
	auto truncater = truncating(m);
	ASSERT_EQ(m.type(), DM_EVENT_TRUNCATE);
	ASSERT_DM_OK(take({DM_EVENT_TRUNCATE, DM_EVENT_REMOVE}));
	ASSERT_DM_OK(enable(fsh_, {DM_EVENT_REMOVE}));
	Accessor remover([p = path("file")] { return unlink(p.c_str()) ? errno : 0; });
	Message removing = next();
	ASSERT_EQ(removing.type(), DM_EVENT_REMOVE);
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_FALSE(truncater->ends_within(kBlockedMs)) << "truncated while the unlink held the file";
	auto start = std::chrono::steady_clock::now();
	EXPECT_DM_OK(dm_request_right(sid_, file_.hanp, file_.hlen, removing.token(), 0,
				      DM_RIGHT_EXCL));
	EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10))
		<< "the right waited for the truncation";
	respond(removing.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(remover.result(), 0);
	Message again = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(again, DM_EVENT_TRUNCATE, file_, 100, 0));
	respond(again.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(truncater->result(), 0);
}

/*
 * A file made append-only or immutable while its truncation waited for
 * its answer is not truncated: the truncation no longer holds the lock
 * that kept a chattr out meanwhile, so it looks again once admitted.
 */
TEST_F(Access, AFileMadeImmutableWhileItsTruncationWaitsIsNotTruncated)
{
	Message m;
	auto truncater = truncating(m);
	ASSERT_EQ(m.type(), DM_EVENT_TRUNCATE);
	{
		InodeFlag immutable(path("file"), FS_IMMUTABLE_FL);
		ASSERT_EQ(immutable.error(), 0) << strerror(immutable.error());
		respond(m.token(), DM_RESP_CONTINUE);
		EXPECT_EQ(truncater->result(), EPERM);
	}
	EXPECT_EQ(fs::file_size(lower("file")), kFileSize);
}

/* Mappings */

TEST_F(Access, SharedReadMappingSendsReadOfTheMappingBeforeMmapReturns)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_READ)}));
	std::string p = path("file"), want = data(0, 100);
	Accessor mapper([p, want] {
		int fd = open(p.c_str(), O_RDONLY);
		if (fd < 0)
			return errno;
		void *m = mmap(nullptr, want.size(), PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			return errno;
		bool same = std::string(static_cast<char *>(m), want.size()) == want;
		return same ? 0 : kWrongData;
	});
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, file_, 0, page_size()));
	EXPECT_FALSE(mapper.ends_within(kBlockedMs)) << "mapped before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(mapper.result(), 0);
}

/*
 * Then the store through it dirties a clean page: WRITE for that page, as
 * a write(2) of the page would send.
 */
TEST_F(Access, SharedWritableMappingSendsWrite)
{
	ASSERT_DM_OK(take({DM_EVENT_READ, DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_WRITE)}));
	Accessor mapper(storing_through_a_mapping(path("file"), PROT_READ | PROT_WRITE, 'M'));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_WRITE, file_, 0, page_size()));
	respond(m.token(), DM_RESP_CONTINUE);
	ASSERT_NO_FATAL_FAILURE(expect_a_store_to_the_first_page_to_send_write());
	EXPECT_EQ(mapper.result(), 0);
	EXPECT_EQ(slurp(lower("file")), "M" + data(1, kFileSize - 1));
	EXPECT_TRUE(queue_empty()) << "no READ for a writable mapping";
}

/*
 * Collapsing a range moves every byte after it: a WRITE region past the
 * range gets its event too.
 */
TEST_F(Access, CollapsingARangeSendsWriteForWhatItMoves)
{
	ASSERT_DM_OK(take({DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(4096, 0, DM_REGION_WRITE)}));
	Accessor collapser(fallocating(path("file"), FALLOC_FL_COLLAPSE_RANGE, 0, 4096));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_WRITE, file_, 0, 0));
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(collapser.result(), 0);
	EXPECT_EQ(slurp(lower("file")), data(4096, kFileSize - 4096));
}

/*
 * A shared mapping of a file open for writing can be made writable later,
 * with mprotect, which calls no filesystem: it sends WRITE when made.
 */
TEST_F(Access, SharedReadOnlyMappingOfAWritableFileSendsWrite)
{
	ASSERT_DM_OK(take({DM_EVENT_READ, DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_WRITE)}));
	Accessor mapper(storing_through_a_mapping(path("file"), PROT_READ, 'P'));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_WRITE, file_, 0, page_size()));
	respond(m.token(), DM_RESP_CONTINUE);
	ASSERT_NO_FATAL_FAILURE(expect_a_store_to_the_first_page_to_send_write());
	EXPECT_EQ(mapper.result(), 0);
	EXPECT_EQ(slurp(lower("file")), "P" + data(1, kFileSize - 1));
}

/*
 * A shared mapping of a file open for writing is read too: READ of the
 * mapping first, then WRITE, then WRITE for the page a store dirties.
 */
TEST_F(Access, SharedMappingOfAWritableFileSendsReadThenWrite)
{
	ASSERT_DM_OK(take({DM_EVENT_READ, DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_READ | DM_REGION_WRITE)}));
	Accessor mapper(storing_through_a_mapping(path("file"), PROT_READ | PROT_WRITE, 'B'));
	Message r = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(r, DM_EVENT_READ, file_, 0, page_size()));
	respond(r.token(), DM_RESP_CONTINUE);
	Message w = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(w, DM_EVENT_WRITE, file_, 0, page_size()));
	EXPECT_FALSE(mapper.ends_within(kBlockedMs)) << "mapped before the answer";
	respond(w.token(), DM_RESP_CONTINUE);
	ASSERT_NO_FATAL_FAILURE(expect_a_store_to_the_first_page_to_send_write());
	EXPECT_EQ(mapper.result(), 0);
	EXPECT_EQ(slurp(lower("file")), "B" + data(1, kFileSize - 1));
}

/*
 * Where nobody wants WRITE, a shared mapping of a file open for writing
 * sends READ of the mapping, as it is read too; its store, then, none.
 */
TEST_F(Access, SharedMappingOfAWritableFileSendsReadWhereNobodyWantsWrite)
{
	ASSERT_DM_OK(take({DM_EVENT_READ, DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_READ)}));
	Accessor mapper(storing_through_a_mapping(path("file"), PROT_READ | PROT_WRITE, 'R'));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, file_, 0, page_size()));
	EXPECT_FALSE(mapper.ends_within(kBlockedMs)) << "mapped before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(mapper.result(), 0);
	EXPECT_EQ(slurp(lower("file")), "R" + data(1, kFileSize - 1));
	EXPECT_TRUE(queue_empty()) << "an event nobody wants";
}

/*
 * A store through a mapping made before the region was set sends WRITE
 * for the page it dirties: else the file could change under a DM
 * application that has copied it, and be punched without the change.
 */
TEST_F(Access, AStoreThroughAMappingMadeBeforeItsRegionSendsWriteForItsPage)
{
	ASSERT_DM_OK(take({DM_EVENT_WRITE}));
	long page = page_size();
	Handshake hs;
	Accessor storer(storing_later_through_a_mapping(path("file"), hs, page + 5, 'S'));
	ASSERT_TRUE(hs.ready_within(10000)) << "not mapped";
	EXPECT_TRUE(queue_empty()) << "an event for a mapping outside any region";
	ASSERT_DM_OK(manage(file_, {region(page, 0, DM_REGION_WRITE)}));
	hs.go();
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_WRITE, file_, page, page));
	EXPECT_FALSE(storer.ends_within(kBlockedMs)) << "stored before the answer";
	EXPECT_EQ(slurp(lower("file")), data(0, kFileSize)) << "stored before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(storer.result(), 0);
	EXPECT_EQ(slurp(lower("file"))[page + 5], 'S');
}

/* What a child that mapped no huge folio returns. */
constexpr int kNoHugeMapping = 254;

/* Whether the mapping at @m maps file pages by PMD (/proc/self/smaps). */
bool maps_by_pmd(const void *m)
{
	char start[32];
	std::snprintf(start, sizeof(start), "%lx-", reinterpret_cast<unsigned long>(m));
	std::ifstream smaps("/proc/self/smaps");
	bool in = false;
	for (std::string line; std::getline(smaps, line);) {
		if (line.find('-') != std::string::npos && line.find(':') > line.find(' '))
			in = line.rfind(start, 0) == 0;
		else if (in && line.rfind("FilePmdMapped:", 0) == 0)
			return std::strtoul(line.c_str() + 14, nullptr, 10) > 0;
	}
	return false;
}

/*
 * A shared writable mapping of @huge bytes of the file at an address
 * aligned to them, so that a PMD may map them; once told to go on, a
 * byte stored at 0, then, if a PMD maps them (else kNoHugeMapping), one
 * at @huge / 2.
 */
auto storing_later_through_a_huge_mapping(const std::string &path, Handshake &hs, size_t huge)
{
	return [=, &hs] {
		int fd = open(path.c_str(), O_RDWR);
		if (fd < 0)
			return errno;
		void *room = mmap(nullptr, 2 * huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (room == MAP_FAILED)
			return errno;
		auto at = (reinterpret_cast<std::uintptr_t>(room) + huge - 1) & ~(huge - 1);
		void *m = mmap(reinterpret_cast<void *>(at), huge, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED, fd, 0);
		if (m == MAP_FAILED)
			return errno;
		hs.ready();
		if (!hs.wait_go())
			return EPIPE;
		static_cast<char *>(m)[0] = 'S';
		if (!maps_by_pmd(m))
			return kNoHugeMapping;
		static_cast<char *>(m)[huge / 2] = 'T';
		return msync(m, huge, MS_SYNC) ? errno : 0;
	};
}

/*
 * A store that maps a huge folio of the lower file by PMD, writable,
 * sends WRITE for all of it: the stores after it anywhere in the folio
 * do not fault.  The mapping is made before the region, whose event
 * would cover it whole.  Skipped where no huge folio is mapped (6.12
 * over XFS keeps a 2 MiB write in one).
 */
TEST_F(Access, AStoreThatMapsAHugeFolioSendsWriteForAllOfIt)
{
	constexpr size_t kHuge = 2 << 20;
	int fd = open(lower("huge").c_str(), O_CREAT | O_WRONLY, 0644);
	ASSERT_GE(fd, 0) << strerror(errno);
	std::string bytes(kHuge, 'h');
	EXPECT_EQ(pwrite(fd, bytes.data(), kHuge, 0), static_cast<ssize_t>(kHuge));
	close(fd);
	Handle huge;
	ASSERT_NO_FATAL_FAILURE(handle_of("huge", huge));
	ASSERT_DM_OK(take({DM_EVENT_WRITE}));
	Handshake hs;
	Accessor storer(storing_later_through_a_huge_mapping(path("huge"), hs, kHuge));
	ASSERT_TRUE(hs.ready_within(10000)) << "not mapped";
	ASSERT_DM_OK(manage(huge, {region(kHuge / 2, page_size(), DM_REGION_WRITE)}));
	hs.go();
	std::vector<char> buf(1 << 16);
	size_t rlen = 0;
	bool sent = false;
	while (!sent && !storer.ends_within(10))
		sent = dm_get_events(sid_, 1, 0, buf.size(), buf.data(), &rlen) == 0;
	if (!sent) {
		int result = storer.result();
		if (result == kNoHugeMapping)
			GTEST_SKIP() << "this kernel and filesystem mapped no huge folio";
		FAIL() << "stores through a huge folio sent no WRITE (child: " << result << ")";
	}
	buf.resize(rlen);
	Message m{buf};
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_WRITE, huge, 0, kHuge));
	respond(m.token(), DM_RESP_CONTINUE);
	int result = storer.result();
	if (result == kNoHugeMapping)
		GTEST_SKIP() << "this kernel and filesystem mapped no huge folio";
	EXPECT_EQ(result, 0) << strerror(result);
	EXPECT_EQ(slurp(lower("huge"))[kHuge / 2], 'T');
}

/*
 * A DM application's delivery into a mapping of a managed file faults,
 * and the store sends a WRITE to its own session: another reader of the
 * session delivers it meanwhile.
 */
TEST_F(Access, ADeliveryThatFaultsLetsAnotherReaderDeliverWhatTheFaultSends)
{
	/* Bounds the wait on a module where the delivery kept its lock. */
	ModuleParam timeout("event_timeout", "30");
	ASSERT_DM_OK(take({DM_EVENT_WRITE}));
	long page = page_size();
	std::string p = path("file");
	dm_sessid_t sid = sid_;
	Handshake hs;
	Accessor reader(later_through_a_mapping(p, hs, [page, sid](char *m) {
		size_t rlen;
		/* Its message delivered by the other reader, it finds none. */
		int rc = dm_get_events(sid, 0, 0, page, m + page, &rlen);
		return rc == 0 || errno == EAGAIN ? 0 : errno;
	}));
	ASSERT_TRUE(hs.ready_within(10000)) << "not mapped";
	ASSERT_DM_OK(manage(file_, {region(page, 0, DM_REGION_WRITE)}));
	char text[] = "queued";
	ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, 6, text));
	hs.go();
	ASSERT_TRUE(waits_in(reader.pid(), "dm_event_wait*")) << "its delivery did not fault";
	auto start = std::chrono::steady_clock::now();
	Message first = next();
	Message write = next();
	auto waited = std::chrono::steady_clock::now() - start;
	EXPECT_EQ(first.type(), DM_EVENT_USER);
	EXPECT_NO_FATAL_FAILURE(expect_data_event(write, DM_EVENT_WRITE, file_, page, page));
	EXPECT_LT(waited, std::chrono::seconds(20)) << "delivered only once the WRITE timed out";
	if (write.type() == DM_EVENT_WRITE)
		respond(write.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(reader.result(), 0);
}

/* As a failed write(2) of a mapped file's page would have it: SIGBUS. */
TEST_F(Access, AbortingTheWriteOfAStoreThroughAMappingRaisesSIGBUS)
{
	Handshake hs;
	std::unique_ptr<Accessor> storer;
	Message m;
	ASSERT_NO_FATAL_FAILURE(start_a_store_waiting_for_write(hs, storer, m));
	respond(m.token(), DM_RESP_ABORT, EIO);
	EXPECT_EQ(storer->result(), 128 + SIGBUS);
	EXPECT_EQ(slurp(lower("file")), data(0, kFileSize));
}

TEST_F(Access, KillingAStoreWaitingForItsWriteEndsIt)
{
	Handshake hs;
	std::unique_ptr<Accessor> storer;
	Message m;
	ASSERT_NO_FATAL_FAILURE(start_a_store_waiting_for_write(hs, storer, m));
	storer->kill_now();
	EXPECT_EQ(storer->result(), 128 + SIGKILL);
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(slurp(lower("file")), data(0, kFileSize));
}

/*
 * Where a DM application takes data events, a mapping cannot grow past
 * the range its event covered: mremap fails as for a mapping that may
 * not expand.
 */
TEST_F(Access, AMappingCannotGrowPastTheRangeItsEventCovered)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	long page = page_size();
	ASSERT_DM_OK(manage(file_, {region(page, 0, DM_REGION_READ)}));
	int fd = open(path("file").c_str(), O_RDONLY);
	ASSERT_GE(fd, 0) << strerror(errno);
	void *m = mmap(nullptr, page, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(m, MAP_FAILED) << strerror(errno);
	close(fd);
	EXPECT_TRUE(queue_empty()) << "the mapping is outside the region";
	void *grown = mremap(m, page, 2 * page, MREMAP_MAYMOVE);
	EXPECT_EQ(grown, MAP_FAILED) << "grown past the region without a READ";
	EXPECT_EQ(errno, EFAULT);
	munmap(grown == MAP_FAILED ? m : grown, grown == MAP_FAILED ? page : 2 * page);
}

/*
 * madvise(MADV_REMOVE) punches the file a mapping maps, which would pass
 * by fallocate's WRITE event and the rights in its way: refused.
 */
TEST_F(Access, RemovingThePagesOfASharedMappingPunchesNoHoleUnseen)
{
	ASSERT_DM_OK(take({DM_EVENT_WRITE}));
	Handshake hs;
	Accessor remover(later_through_a_mapping(path("file"), hs, [](char *m) {
		return madvise(m, kFileSize, MADV_REMOVE) ? errno : 0;
	}));
	ASSERT_TRUE(hs.ready_within(10000)) << "not mapped";
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_WRITE)}));
	hs.go();
	EXPECT_EQ(remover.result(), EBADF);
	EXPECT_TRUE(queue_empty());
	EXPECT_EQ(slurp(lower("file")), data(0, kFileSize)) << "punched with no WRITE";
}

/*
 * execve() maps a program's segments one by one, each mapping with a
 * READ of its own.  An HSM that takes a right to answer each (to stage
 * the range in) must not wait for the mappings made before in the same
 * execve(), which wait for nobody: the program starts, every right
 * granted at once.  drain_timeout is cut so that a wait fails quickly.
 */
TEST_F(Access, AProgramWhoseEachReadTakesARightStartsThroughTheMount)
{
	ModuleParam drain("drain_timeout", "3");
	fs::copy_file("/bin/true", lower("prog"));
	ASSERT_EQ(chmod(lower("prog").c_str(), 0755), 0) << strerror(errno);
	Handle prog;
	ASSERT_NO_FATAL_FAILURE(handle_of("prog", prog));
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(prog, {region(0, 0, DM_REGION_READ)}));
	Accessor runner([p = path("prog")] {
		execl(p.c_str(), "true", static_cast<char *>(nullptr));
		return errno;
	});
	int refused = 0;
	int answered = answer_taking_rights(runner, prog, 100, &refused);
	EXPECT_EQ(runner.result(), 0) << "the program did not run";
	EXPECT_GE(answered, 2) << "fewer READs than the exec's header and mappings";
	EXPECT_EQ(refused, 0);
}

/* Reads by the kernel on the reader's behalf */

TEST_F(Access, SendfileToAPipeSendsRead)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_READ)}));
	std::string p = path("file"), want = data(0, 100);
	Accessor sender([p, want] {
		int fd = open(p.c_str(), O_RDONLY), pipefd[2];
		if (fd < 0 || pipe(pipefd) != 0)
			return errno;
		off_t off = 0;
		ssize_t n = sendfile(pipefd[1], fd, &off, want.size());
		if (n < 0)
			return errno;
		return pipe_holds(pipefd[0], n, want);
	});
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, file_, 0, 100));
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(sender.result(), 0);
}

TEST_F(Access, SpliceToAPipeSendsRead)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_READ)}));
	std::string p = path("file"), want = data(300, 100);
	Accessor splicer([p, want] {
		int fd = open(p.c_str(), O_RDONLY), pipefd[2];
		if (fd < 0 || pipe(pipefd) != 0)
			return errno;
		loff_t off = 300;
		ssize_t n = splice(fd, &off, pipefd[1], nullptr, want.size(), 0);
		if (n < 0)
			return errno;
		return pipe_holds(pipefd[0], n, want);
	});
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, file_, 300, 100));
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(splicer.result(), 0);
}

TEST_F(Access, ASpliceWaitingForItsEventLeavesItsPipeToOthers)
{
	int pipefd[2];
	ASSERT_EQ(pipe(pipefd), 0);
	std::unique_ptr<Accessor> splicer;
	ASSERT_NO_FATAL_FAILURE(splice_while_another_writes(pipefd, "x", "x", splicer));
	EXPECT_EQ(splicer->result(), 0);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(Access, ASpliceWhosePipeFilledWhileItWaitedWaitsForRoom)
{
	int pipefd[2];
	ASSERT_EQ(pipe(pipefd), 0);
	int room = fcntl(pipefd[1], F_GETPIPE_SZ);
	ASSERT_GT(room, 0) << strerror(errno);
	std::string filler(room, 'f');
	std::unique_ptr<Accessor> splicer;
	ASSERT_NO_FATAL_FAILURE(splice_while_another_writes(pipefd, filler, "", splicer));
	EXPECT_FALSE(splicer->ends_within(kBlockedMs)) << "it did not wait for room";
	std::string got(room, '\0');
	size_t have = 0;
	while (have < got.size()) {
		ssize_t n = read(pipefd[0], got.data() + have, got.size() - have);
		ASSERT_GT(n, 0) << strerror(errno);
		have += n;
	}
	EXPECT_EQ(got, filler);
	EXPECT_EQ(splicer->result(), 0);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(Access, SpliceFromAPipeSendsWriteThenWrites)
{
	ASSERT_DM_OK(take({DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_WRITE)}));
	Accessor splicer(splicing_in(path("file"), 20, "WXYZ"));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_WRITE, file_, 20, 4));
	EXPECT_FALSE(splicer.ends_within(kBlockedMs)) << "spliced before the answer";
	EXPECT_EQ(slurp(lower("file")), data(0, kFileSize)) << "written before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(splicer.result(), 0);
	EXPECT_EQ(slurp(lower("file")), data(0, 20) + "WXYZ" + data(24, kFileSize - 24));
}

TEST_F(Access, AbortedSpliceFromAPipeFailsAndLeavesTheBytesInThePipe)
{
	ASSERT_DM_OK(take({DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_WRITE)}));
	Accessor splicer(splicing_in(path("file"), 20, "WXYZ"));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_WRITE);
	respond(m.token(), DM_RESP_ABORT, EACCES);
	EXPECT_EQ(splicer.result(), EACCES);
	EXPECT_EQ(slurp(lower("file")), data(0, kFileSize));
}

TEST_F(Access, SendfileIntoAFileSendsWriteThenWrites)
{
	ASSERT_DM_OK(take({DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_WRITE)}));
	spit(lower("source"), "WXYZ");
	std::string src = path("source"), dst = path("file");
	Accessor sender([src, dst] {
		int in = open(src.c_str(), O_RDONLY), out = open(dst.c_str(), O_WRONLY);
		if (in < 0 || out < 0 || lseek(out, 20, SEEK_SET) != 20)
			return errno;
		ssize_t n = sendfile(out, in, nullptr, 4);
		if (n < 0)
			return errno;
		return n == 4 ? 0 : kWrongData;
	});
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_WRITE, file_, 20, 4));
	EXPECT_FALSE(sender.ends_within(kBlockedMs)) << "sent before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(sender.result(), 0);
	EXPECT_EQ(slurp(lower("file")), data(0, 20) + "WXYZ" + data(24, kFileSize - 24));
}

/*
 * The same pipe feeds a splice through the mount and one straight into
 * the lower file.  Under lockdep this is the regression test of the two
 * taking the pipe's lock and the lower freeze protection in one order.
 */
TEST_F(Access, SplicesFromOnePipeThroughTheMountAndBelowItBothWrite)
{
	int fd = open(path("copy").c_str(), O_WRONLY);
	ASSERT_GE(fd, 0) << strerror(errno);
	int lower_fd = open(lower("other").c_str(), O_WRONLY);
	ASSERT_GE(lower_fd, 0) << strerror(errno);
	int pipefd[2];
	ASSERT_EQ(pipe(pipefd), 0) << strerror(errno);
	std::string bytes = "through the mount" + std::string("below it");
	ASSERT_EQ(write(pipefd[1], bytes.data(), bytes.size()),
		  static_cast<ssize_t>(bytes.size()));
	loff_t pos = 0;
	EXPECT_EQ(splice(pipefd[0], nullptr, fd, &pos, 17, 0), 17) << strerror(errno);
	pos = 0;
	EXPECT_EQ(splice(pipefd[0], nullptr, lower_fd, &pos, 8, 0), 8) << strerror(errno);
	for (int f : {fd, lower_fd, pipefd[0], pipefd[1]})
		close(f);
	EXPECT_EQ(slurp(lower("copy")), "through the mount");
	EXPECT_EQ(slurp(path("other")), "below it" + data(8, kFileSize - 8));
}

TEST_F(Access, CopyFileRangeSendsReadForTheSource)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 0, DM_REGION_READ)}));
	std::string src = path("file"), dst = path("copy");
	Accessor copier([src, dst] {
		int in = open(src.c_str(), O_RDONLY), out = open(dst.c_str(), O_WRONLY);
		if (in < 0 || out < 0)
			return errno;
		loff_t off_in = 200, off_out = 0;
		ssize_t n = copy_file_range(in, &off_in, out, &off_out, 100, 0);
		if (n < 0)
			return errno;
		return n == 100 ? 0 : kWrongData;
	});
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, file_, 200, 100));
	EXPECT_FALSE(copier.ends_within(kBlockedMs)) << "copied before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(copier.result(), 0);
	EXPECT_EQ(slurp(lower("copy")), data(200, 100));
}

/*
 * A DM application that takes a right on the file to handle each event,
 * and keeps its regions, is asked once: the right of its handling does
 * not make the access decide again, and ask again, for ever.
 */
TEST_F(Access, ADMApplicationTakingARightForEachEventIsAskedOnce)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	Accessor reader(reading(path("file"), 0, data(0, 10)));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(expect_data_event(m, DM_EVENT_READ, file_, 0, 10));
	ASSERT_DM_OK(dm_request_right(sid_, file_.hanp, file_.hlen, m.token(), 0, DM_RIGHT_EXCL));
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(reader.result(), 0);
	EXPECT_TRUE(queue_empty()) << "the read was asked for again";
}

/*
 * The same for a copy within one file whose source and destination are
 * both managed: each side's answer may make the other decide again, a
 * few times, not for ever.
 */
TEST_F(Access, ACopyWithinAFileManagedOnBothSidesEndsThoughEachEventTakesARight)
{
	ASSERT_DM_OK(take({DM_EVENT_READ, DM_EVENT_WRITE}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ),
				    region(200, 100, DM_REGION_WRITE)}));
	std::string p = path("file");
	Accessor copier([p] {
		int fd = open(p.c_str(), O_RDWR);
		if (fd < 0)
			return errno;
		loff_t off_in = 0, off_out = 200;
		ssize_t n = copy_file_range(fd, &off_in, fd, &off_out, 100, 0);
		if (n < 0)
			return errno;
		return n == 100 ? 0 : kWrongData;
	});
	int refused = 0;
	int answered = answer_taking_rights(copier, file_, 50, &refused);
	EXPECT_EQ(refused, 0);
	EXPECT_LT(answered, 50) << "the copy was asked for again and again";
	EXPECT_GE(answered, 2) << "the copy's READ and WRITE were not both sent";
	EXPECT_EQ(copier.result(), 0);
	std::string copied(100, '\0');
	int fd = open((lower_ + "/file").c_str(), O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(pread(fd, copied.data(), copied.size(), 200), 100);
	close(fd);
	EXPECT_EQ(copied, data(0, 100));
}

/* The DM application at work while the accessor waits */

TEST_F(Access, RecallByHandleWhileTheReaderWaits)
{
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(offline_, {region(0, 0, DM_REGION_READ)}));
	const std::string real = data(0, kOfflineSize);
	Accessor reader(reading(path("offline"), 0, real));
	Message m = next();
	ASSERT_NO_FATAL_FAILURE(
		expect_data_event(m, DM_EVENT_READ, offline_, 0, kOfflineSize));
	dm_token_t t = m.token();
	ASSERT_DM_OK(dm_request_right(sid_, offline_.hanp, offline_.hlen, t, DM_RR_WAIT,
				      DM_RIGHT_EXCL));

	std::string held(kOfflineSize, 'x');
	EXPECT_EQ(dm_read_invis(sid_, offline_.hanp, offline_.hlen, t, 0, held.size(),
				held.data()),
		  static_cast<dm_ssize_t>(kOfflineSize))
		<< strerror(errno);
	EXPECT_EQ(held, std::string(kOfflineSize, '\0')) << "the hole reads as zeros";
	std::string bytes = real;
	EXPECT_EQ(dm_write_invis(sid_, offline_.hanp, offline_.hlen, t, 0, 0, bytes.size(),
				 bytes.data()),
		  static_cast<dm_ssize_t>(kOfflineSize))
		<< strerror(errno);
	EXPECT_DM_OK(manage(offline_, {}, t));
	EXPECT_FALSE(reader.ends_within(0)) << "read before the answer";
	respond(t, DM_RESP_CONTINUE);
	EXPECT_EQ(reader.result(), 0) << "the reader sees the recalled data";

	Accessor again(reading(path("offline"), 0, real));
	EXPECT_EQ(again.result(), 0);
	EXPECT_TRUE(queue_empty()) << "READ after the regions were cleared";
}

/* event_timeout */

TEST_F(Access, UnansweredReadFailsETIMEDOUTWithEventTimeout)
{
	ModuleParam timeout("event_timeout", "1");
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	auto start = std::chrono::steady_clock::now();
	Accessor reader(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	EXPECT_EQ(reader.result(), ETIMEDOUT);
	EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900))
		<< "gave up before event_timeout";
	/* The token stays outstanding; TearDown answers it. */
}

TEST_F(Access, AReaderJoiningAnEventOthersGaveUpOnWaitsItsOwnEventTimeout)
{
	ModuleParam timeout("event_timeout", "2");
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(manage(file_, {region(0, 100, DM_REGION_READ)}));
	Accessor first(reading(path("file"), 0, data(0, 100)));
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_READ);
	EXPECT_EQ(first.result(), ETIMEDOUT);
	Accessor second(reading(path("file"), 0, data(0, 100)));
	EXPECT_FALSE(second.ends_within(kBlockedMs)) << "gave up at the first reader's deadline";
	EXPECT_TRUE(queue_empty()) << "the second reader did not join the first's event";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(second.result(), 0);
}

} // namespace
