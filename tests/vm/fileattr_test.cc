// SPDX-License-Identifier: GPL-2.0
/*
 * File attributes of a dmapi mount's objects: dm_get_fileattr reports
 * what stat(2) reports through the mount, the DMAPI state the mask asks
 * for, the dtime (the ctime), a change counter and the lower
 * filesystem's own fields; dm_set_fileattr changes mode, owner, times
 * and size without events.  Needs the scratch filesystem of dmapi-vm
 * --fs at /mnt/scratch.
 */
#include "event_mount.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <thread>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

class FileAttr : public EventMountTest {
protected:
	FileAttr() : EventMountTest("fileattr") {}

	void populate() override
	{
		spit(lower("file"), std::string(10000, 'x'));
		fs::create_directory(lower("dir"));
	}

	void SetUp() override
	{
		EventMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		ASSERT_NO_FATAL_FAILURE(handle_of("file", file_));
		ASSERT_NO_FATAL_FAILURE(handle_of("dir", dir_));
	}

	dm_stat_t get(Handle &h, unsigned int mask)
	{
		dm_stat_t st;
		std::memset(&st, 0xa5, sizeof(st));
		EXPECT_DM_OK(dm_get_fileattr(sid_, h.hanp, h.hlen, DM_NO_TOKEN, mask, &st));
		return st;
	}

	int set(Handle &h, unsigned int mask, dm_fileattr_t fa)
	{
		return dm_set_fileattr(sid_, h.hanp, h.hlen, DM_NO_TOKEN, mask, &fa);
	}

	struct stat stat_of(const std::string &rel)
	{
		struct stat st = {};
		EXPECT_EQ(lstat(path(rel).c_str(), &st), 0) << strerror(errno);
		return st;
	}

	Handle file_, dir_;
};

TEST_F(FileAttr, StatFieldsAreWhatStatReportsThroughTheMount)
{
	struct stat want = stat_of("file");
	dm_stat_t st = get(file_, DM_AT_STAT);
	EXPECT_EQ(st.dt_dev, static_cast<dm_dev_t>(want.st_dev));
	EXPECT_EQ(st.dt_ino, want.st_ino);
	EXPECT_EQ(st.dt_mode, static_cast<dm_mode_t>(want.st_mode));
	EXPECT_EQ(st.dt_nlink, static_cast<dm_nlink_t>(want.st_nlink));
	EXPECT_EQ(st.dt_uid, want.st_uid);
	EXPECT_EQ(st.dt_gid, want.st_gid);
	EXPECT_EQ(st.dt_size, want.st_size);
	EXPECT_EQ(st.dt_atime, want.st_atime);
	EXPECT_EQ(st.dt_mtime, want.st_mtime);
	EXPECT_EQ(st.dt_ctime, want.st_ctime);
	EXPECT_EQ(st.dt_blksize, static_cast<unsigned int>(want.st_blksize));
	EXPECT_EQ(st.dt_blocks, static_cast<dm_size_t>(want.st_blocks));
}

TEST_F(FileAttr, FieldsOutsideTheMaskAreZero)
{
	ASSERT_DM_OK(enable(file_, {DM_EVENT_READ}));
	dm_stat_t st = get(file_, DM_AT_STAT);
	EXPECT_EQ(st.dt_emask, 0u);
	EXPECT_EQ(st.dt_nevents, 0);
	EXPECT_EQ(st.dt_dtime, 0);
	EXPECT_EQ(st.dt_change, 0u);
	st = get(file_, DM_AT_EMASK);
	EXPECT_EQ(st.dt_size, 0);
	EXPECT_EQ(st.dt_ino, 0u);
}

TEST_F(FileAttr, MaskZeroReportsEveryField)
{
	ASSERT_DM_OK(enable(file_, {DM_EVENT_READ}));
	dm_stat_t st = get(file_, 0);
	EXPECT_EQ(st.dt_ino, stat_of("file").st_ino);
	EXPECT_NE(st.dt_emask, 0u);
	EXPECT_EQ(st.dt_dtime, st.dt_ctime);
}

TEST_F(FileAttr, EmaskIsTheObjectsOwnEventList)
{
	ASSERT_DM_OK(enable(file_, {DM_EVENT_READ, DM_EVENT_DESTROY}));
	dm_stat_t st = get(file_, DM_AT_EMASK);
	dm_eventset_t want = 0;
	DMEV_SET(DM_EVENT_READ, want);
	DMEV_SET(DM_EVENT_DESTROY, want);
	EXPECT_EQ(st.dt_emask, want);
	EXPECT_EQ(st.dt_nevents, DM_EVENT_MAX);
}

TEST_F(FileAttr, PmanregTellsWhetherTheFileHasManagedRegions)
{
	EXPECT_EQ(get(file_, DM_AT_PMANR).dt_pmanreg, 0);
	dm_region_t r = {};
	r.rg_size = 100;
	r.rg_flags = DM_REGION_READ;
	dm_boolean_t exact;
	ASSERT_DM_OK(dm_set_region(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 1, &r, &exact));
	EXPECT_EQ(get(file_, DM_AT_PMANR).dt_pmanreg, 1);
}

TEST_F(FileAttr, PattrTellsWhetherTheObjectHasDmAttributes)
{
	EXPECT_EQ(get(dir_, DM_AT_PATTR).dt_pers, 0);
	dm_attrname_t name = {};
	std::memcpy(name.an_chars, "loc", 3);
	ASSERT_DM_OK(dm_set_dmattr(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, &name, 0, 2,
				   const_cast<char *>("v1")));
	EXPECT_EQ(get(dir_, DM_AT_PATTR).dt_pers, 1);
}

TEST_F(FileAttr, DtimeIsTheCtimeAndMovesWithDmAttributes)
{
	dm_fileattr_t fa = {};
	fa.fa_ctime = 1000;
	ASSERT_DM_OK(set(file_, DM_AT_CTIME, fa));
	EXPECT_EQ(get(file_, DM_AT_DTIME).dt_dtime, 1000);
	dm_attrname_t name = {};
	std::memcpy(name.an_chars, "loc", 3);
	ASSERT_DM_OK(dm_set_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &name, 1, 2,
				   const_cast<char *>("v1")));
	EXPECT_GE(get(file_, DM_AT_DTIME).dt_dtime, time(nullptr) - 60);
	dm_size_t overload = 0;
	ASSERT_DM_OK(dm_get_config(file_.hanp, file_.hlen, DM_CONFIG_DTIME_OVERLOAD, &overload));
	EXPECT_EQ(overload, 1u);
}

TEST_F(FileAttr, ChangeCounterChangesWithTheData)
{
	unsigned int before = get(file_, DM_AT_CFLAG).dt_change;
	spit(path("file"), "new data");
	EXPECT_NE(get(file_, DM_AT_CFLAG).dt_change, before);
}

TEST_F(FileAttr, FilesystemFieldsComeFromTheLowerFilesystem)
{
	dm_stat_t st = get(file_, DM_AT_STAT);
	struct statfs lower_fs;
	ASSERT_EQ(statfs(lower_.c_str(), &lower_fs), 0);
	EXPECT_EQ(st.dt_fstype, static_cast<int>(lower_fs.f_type));
	dm_igen_t igen;
	ASSERT_DM_OK(dm_handle_to_igen(file_.hanp, file_.hlen, &igen));
	EXPECT_EQ(st.dt_xfs_igen, igen);
	if (lower_fs.f_type == 0x58465342) {	/* XFS counts extents */
		EXPECT_GE(st.dt_xfs_extents, 1u);
	}
}

TEST_F(FileAttr, SetChangesModeOwnerAndTimes)
{
	dm_fileattr_t fa = {};
	fa.fa_mode = 0604;
	fa.fa_uid = 123;
	fa.fa_gid = 456;
	fa.fa_atime = 111111;
	fa.fa_mtime = 222222;
	ASSERT_DM_OK(set(file_, DM_AT_MODE | DM_AT_UID | DM_AT_GID | DM_AT_ATIME | DM_AT_MTIME,
			 fa));
	struct stat st = stat_of("file");
	EXPECT_EQ(st.st_mode, static_cast<mode_t>(S_IFREG | 0604));
	EXPECT_EQ(st.st_uid, 123u);
	EXPECT_EQ(st.st_gid, 456u);
	EXPECT_EQ(st.st_atime, 111111);
	EXPECT_EQ(st.st_mtime, 222222);
}

TEST_F(FileAttr, SetOnlyWhatTheMaskSelects)
{
	struct stat before = stat_of("file");
	dm_fileattr_t fa = {};
	fa.fa_mode = 0600;
	fa.fa_uid = 77;
	ASSERT_DM_OK(set(file_, DM_AT_MODE, fa));
	struct stat after = stat_of("file");
	EXPECT_EQ(after.st_uid, before.st_uid);
	EXPECT_EQ(after.st_size, before.st_size);
	EXPECT_EQ(after.st_mtime, before.st_mtime);
}

TEST_F(FileAttr, SetSizeTruncatesAndExtendsWithoutEvents)
{
	ASSERT_DM_OK(take({DM_EVENT_TRUNCATE, DM_EVENT_ATTRIBUTE}));
	ASSERT_DM_OK(enable(fsh_, {DM_EVENT_TRUNCATE, DM_EVENT_ATTRIBUTE}));
	dm_fileattr_t fa = {};
	fa.fa_size = 10;
	ASSERT_DM_OK(set(file_, DM_AT_SIZE, fa));
	EXPECT_EQ(slurp(path("file")), std::string(10, 'x'));
	fa.fa_size = 20000;
	ASSERT_DM_OK(set(file_, DM_AT_SIZE, fa));
	EXPECT_EQ(stat_of("file").st_size, 20000);
	EXPECT_TRUE(queue_empty()) << "the DM application's own changes send no events";
}

/*
 * A child holding a read lease on a file, taken by `path` (through the
 * mount or below it).  Told to break it (SIGIO), it writes a byte to
 * gave_up() and gives the lease up after `delay_ms`; with a delay of -1
 * it keeps the lease until killed.  Not told within a minute, it exits 6.
 */
class LeaseHolder {
public:
	LeaseHolder(const std::string &path, int delay_ms)
	{
		int ready[2];
		if (pipe(gave_up_) != 0 || pipe(ready) != 0) {
			ADD_FAILURE() << "pipe: " << strerror(errno);
			return;
		}
		int gave_up = gave_up_[1], ready_out = ready[1];
		child_ = std::make_unique<Child>([=] {
			static volatile sig_atomic_t told;
			struct sigaction sa = {};
			sa.sa_handler = [](int) { told = 1; };
			sigaction(SIGIO, &sa, nullptr);
			int fd = open(path.c_str(), O_RDONLY);
			if (fd < 0 || fcntl(fd, F_SETLEASE, F_RDLCK) != 0)
				return 2;
			if (write(ready_out, "r", 1) != 1)
				return 3;
			for (int waited = 0; !told; waited++) {
				if (waited == 60000)
					return 6;
				usleep(1000);
			}
			if (delay_ms < 0) {
				pause();
				return 7;
			}
			usleep(delay_ms * 1000);
			if (write(gave_up, "g", 1) != 1)
				return 4;
			return fcntl(fd, F_SETLEASE, F_UNLCK) ? 5 : 0;
		});
		/* A child that fails before it is ready closes the pipe. */
		close(ready[1]);
		close(gave_up_[1]);
		gave_up_[1] = -1;
		pollfd p = {ready[0], POLLIN, 0};
		char c;
		held_ = poll(&p, 1, 20000) == 1 && read(ready[0], &c, 1) == 1;
		close(ready[0]);
		if (!held_)
			child_->kill_now();
	}
	~LeaseHolder()
	{
		if (gave_up_[0] >= 0)
			close(gave_up_[0]);
		if (gave_up_[1] >= 0)
			close(gave_up_[1]);
	}
	LeaseHolder(const LeaseHolder &) = delete;
	LeaseHolder &operator=(const LeaseHolder &) = delete;

	bool held() const { return held_; }
	/* Whether it has given the lease up, or is about to. */
	bool gave_up()
	{
		pollfd p = {gave_up_[0], POLLIN, 0};
		return poll(&p, 1, 0) == 1;
	}
	/* Its exit status; killed first unless it gave the lease up. */
	int wait()
	{
		if (!gave_up())
			child_->kill_now();
		return child_->wait();
	}

private:
	int gave_up_[2] = {-1, -1};
	bool held_ = false;
	std::unique_ptr<Child> child_;
};

/*
 * A size change breaks a lease on the file, taken through the mount or
 * below it, as truncate(2) does, and waits for it to be given up.
 */
TEST_F(FileAttr, SetSizeWaitsForALeaseToBeGivenUp)
{
	for (const std::string &by : {path("file"), lower("file")}) {
		SCOPED_TRACE(by);
		LeaseHolder lease(by, 300);
		ASSERT_TRUE(lease.held()) << "no lease was taken";
		dm_fileattr_t fa = {};
		fa.fa_size = 100;
		EXPECT_DM_OK(set(file_, DM_AT_SIZE, fa));
		EXPECT_TRUE(lease.gave_up()) << "it did not wait for the lease";
		EXPECT_EQ(lease.wait(), 0);
		EXPECT_EQ(stat_of("file").st_size, 100);
		fa.fa_size = 10000;
		EXPECT_DM_OK(set(file_, DM_AT_SIZE, fa));
	}
}

/* A signal ends that wait, EINTR, the size unchanged. */
TEST_F(FileAttr, ASizeChangeWaitingForALeaseEndsEINTROnASignal)
{
	LeaseHolder lease(path("file"), -1);
	ASSERT_TRUE(lease.held()) << "no lease was taken";
	CaughtSignal caught(SIGUSR1);
	std::promise<pid_t> caller;
	auto called = std::async(std::launch::async, [&] {
		caller.set_value(static_cast<pid_t>(syscall(SYS_gettid)));
		dm_fileattr_t fa = {};
		fa.fa_size = 100;
		return set(file_, DM_AT_SIZE, fa) ? errno : 0;
	});
	pid_t tid = caller.get_future().get();
	/* Not waiting, it still ends: the kernel's lease-break-time ends the lease. */
	ASSERT_TRUE(waits_in(tid, "msleep_interruptible")) << "it did not wait";
	syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
	EXPECT_EQ(called.get(), EINTR);
	EXPECT_EQ(stat_of("file").st_size, 10000);
}

/* A change by handle dates nothing the mask does not name, as SGI's. */
TEST_F(FileAttr, ASizeOrModeSetDatesNothingElse)
{
	struct stat before = stat_of("file");
	/* More than a tick of the coarse clock: times set again would differ. */
	std::this_thread::sleep_for(std::chrono::milliseconds(20));
	dm_fileattr_t fa = {};
	fa.fa_size = before.st_size + 5000;
	ASSERT_DM_OK(set(file_, DM_AT_SIZE, fa));
	fa.fa_size = 3;
	ASSERT_DM_OK(set(file_, DM_AT_SIZE, fa));
	fa.fa_mode = 0600;
	ASSERT_DM_OK(set(file_, DM_AT_MODE, fa));
	struct stat after = stat_of("file");
	EXPECT_EQ(after.st_size, 3);
	EXPECT_EQ(after.st_mode & 07777, 0600u);
	EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	EXPECT_EQ(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
	EXPECT_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
}

TEST_F(FileAttr, SetCtimeAndDtimeSetTheCtime)
{
	dm_fileattr_t fa = {};
	fa.fa_ctime = 333333;
	ASSERT_DM_OK(set(file_, DM_AT_CTIME, fa));
	EXPECT_EQ(stat_of("file").st_ctime, 333333);
	fa.fa_dtime = 444444;
	ASSERT_DM_OK(set(file_, DM_AT_DTIME, fa));
	EXPECT_EQ(stat_of("file").st_ctime, 444444);
}

/*
 * A mode set by handle holds for the next exec through the mount, though
 * nothing looked at the file in between: a set-user-ID bit taken away
 * stays away.
 */
TEST_F(FileAttr, SetModeHoldsForTheNextExecThroughTheMount)
{
	fs::copy_file("/usr/bin/id", lower("id"));
	ASSERT_EQ(chmod(lower("id").c_str(), 04755), 0) << strerror(errno);
	EXPECT_EQ(stat_of("id").st_mode & 07777, 04755u);
	Handle id;
	ASSERT_NO_FATAL_FAILURE(handle_of("id", id));
	dm_fileattr_t fa = {};
	fa.fa_mode = 0755;
	ASSERT_DM_OK(set(id, DM_AT_MODE, fa));

	int out[2];
	ASSERT_EQ(pipe(out), 0) << strerror(errno);
	std::string exe = path("id");
	int rc = in_child([&] {
		if (dup2(out[1], STDOUT_FILENO) < 0 || setgid(65534) || setuid(65534))
			return 100;
		execl(exe.c_str(), "id", "-u", static_cast<char *>(nullptr));
		return 101;
	});
	close(out[1]);
	char buf[32] = {};
	ssize_t n = read(out[0], buf, sizeof(buf) - 1);
	close(out[0]);
	EXPECT_EQ(rc, 0) << "100: becoming nobody failed, 101: exec failed";
	EXPECT_GT(n, 0);
	EXPECT_STREQ(buf, "65534\n") << "the set-user-ID bit taken away held";
}

/* A ctime set by handle is what the filesystem can store, as for an mtime. */
TEST_F(FileAttr, SetCtimeBeyondWhatTheFilesystemStoresIsClamped)
{
	if (sizeof(time_t) < 8)
		GTEST_SKIP() << "a 32-bit time_t names no time past what the filesystem stores";
	const time_t kFar = static_cast<time_t>(std::int64_t{1} << 40);
	spit(lower("ref"), "");
	struct timespec times[2] = {{kFar, 0}, {kFar, 0}};
	ASSERT_EQ(utimensat(AT_FDCWD, lower("ref").c_str(), times, 0), 0) << strerror(errno);
	time_t most = stat_of("ref").st_mtime;
	ASSERT_LT(most, kFar) << "the kernel clamped no mtime: the test proves nothing";
	dm_fileattr_t fa = {};
	fa.fa_ctime = kFar;
	ASSERT_DM_OK(set(file_, DM_AT_CTIME, fa));
	EXPECT_EQ(stat_of("file").st_ctime, most);
	EXPECT_EQ(get(file_, DM_AT_STAT).dt_ctime, most);
}

TEST_F(FileAttr, SetOfAnImmutableOrAppendOnlyObjectEPERM)
{
	struct stat before = stat_of("file");
	dm_fileattr_t fa = {};
	fa.fa_size = 10;
	fa.fa_mode = 0600;
	fa.fa_ctime = 333333;
	for (int flag : {FS_IMMUTABLE_FL, FS_APPEND_FL}) {
		InodeFlag guard(lower("file"), flag);
		ASSERT_EQ(guard.error(), 0) << strerror(guard.error());
		SCOPED_TRACE("flag " + std::to_string(flag));
		for (unsigned int mask : {DM_AT_SIZE, DM_AT_MODE, DM_AT_CTIME}) {
			SCOPED_TRACE("mask " + std::to_string(mask));
			EXPECT_DM_ERRNO(set(file_, mask, fa), EPERM);
		}
	}
	struct stat after = stat_of("file");
	EXPECT_EQ(after.st_size, before.st_size);
	EXPECT_EQ(after.st_mode, before.st_mode);
}

/*
 * A program running from the file is not truncated under it, whether it
 * was started below the mount or through it (where the exec marks our
 * inode, not the lower one).
 */
class FileAttrOfARunningProgram : public FileAttr {
protected:
	void expect_etxtbsy(const std::string &run)
	{
		fs::copy_file("/bin/sleep", lower("prog"));
		ASSERT_EQ(chmod(lower("prog").c_str(), 0755), 0);
		Handle h;
		ASSERT_NO_FATAL_FAILURE(handle_of("prog", h));
		pid_t pid = fork();
		if (pid == 0) {
			execl(run.c_str(), "sleep", "30", static_cast<char *>(nullptr));
			_exit(127);
		}
		/*
		 * Until the program sleeps, a sure sign that its exec holds
		 * the file: clock_nanosleep (230) or nanosleep (35) of x86_64,
		 * whatever this test's own width, since the program is the
		 * host's /bin/sleep.  A right taken in the middle of the exec
		 * is Access.AProgramWhoseEachReadTakesARightStartsThroughTheMount's
		 * concern.
		 */
		std::string syscall = "/proc/" + std::to_string(pid) + "/syscall";
		for (int i = 0; i < 1000; i++) {
			std::string now = slurp(syscall);
			if (now.rfind("230 ", 0) == 0 || now.rfind("35 ", 0) == 0)
				break;
			usleep(10000);
		}
		off_t size = stat_of("prog").st_size;
		dm_fileattr_t fa = {};
		EXPECT_DM_ERRNO(set(h, DM_AT_SIZE, fa), ETXTBSY);
		kill(pid, SIGKILL);
		waitpid(pid, nullptr, 0);
		EXPECT_EQ(stat_of("prog").st_size, size);
		EXPECT_DM_OK(set(h, DM_AT_SIZE, fa));
	}
};

TEST_F(FileAttrOfARunningProgram, StartedBelowTheMountSetSizeETXTBSY)
{
	expect_etxtbsy(lower("prog"));
}

TEST_F(FileAttrOfARunningProgram, StartedThroughTheMountSetSizeETXTBSY)
{
	expect_etxtbsy(path("prog"));
}

/*
 * A change of size breaks a read lease of the file, as truncate(2) does,
 * whether it was taken below the mount or through it.
 */
class FileAttrOfALeasedFile : public FileAttr {
protected:
	/*
	 * A child takes a read lease of the file at @where; told of its
	 * break, it reads the whole file through the mount if @read_first,
	 * then gives the lease up.  Meanwhile the file is cut to 10 bytes by
	 * handle.  Returns what the child read: -1 if it read nothing.
	 */
	ssize_t cut_under_a_lease(const std::string &where, bool read_first)
	{
		int ready[2], report[2];
		EXPECT_EQ(pipe(ready), 0);
		EXPECT_EQ(pipe(report), 0);
		static std::string mounted;
		mounted = path("file");
		pid_t pid = fork();
		if (pid == 0) {
			static int fd, out;
			static bool read;
			fd = open(where.c_str(), O_RDONLY);
			out = report[1];
			read = read_first;
			signal(SIGIO, [](int) {
				static char buf[20000];
				ssize_t n = -1;
				if (read) {
					int through = open(mounted.c_str(), O_RDONLY);
					n = pread(through, buf, sizeof(buf), 0);
				}
				if (write(out, &n, sizeof(n)) != sizeof(n))
					_exit(4);
				_exit(fcntl(fd, F_SETLEASE, F_UNLCK) ? 2 : 0);
			});
			if (fd < 0 || fcntl(fd, F_SETLEASE, F_RDLCK))
				_exit(3);
			if (write(ready[1], "r", 1) != 1)
				_exit(4);
			sleep(20);
			_exit(1);
		}
		close(ready[1]);
		close(report[1]);
		char c;
		EXPECT_EQ(read(ready[0], &c, 1), 1) << "the child could not take a lease";
		close(ready[0]);
		dm_fileattr_t fa = {};
		fa.fa_size = 10;
		EXPECT_DM_OK(set(file_, DM_AT_SIZE, fa));
		ssize_t n = -1;
		EXPECT_EQ(read(report[0], &n, sizeof(n)), static_cast<ssize_t>(sizeof(n)))
			<< "the lease holder was not told";
		close(report[0]);
		int status = 0;
		EXPECT_EQ(waitpid(pid, &status, 0), pid);
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(WEXITSTATUS(status), 0) << "the lease holder failed";
		EXPECT_EQ(stat_of("file").st_size, 10);
		return n;
	}
};

TEST_F(FileAttrOfALeasedFile, TakenBelowTheMountSetSizeBreaksIt)
{
	cut_under_a_lease(lower("file"), false);
}

TEST_F(FileAttrOfALeasedFile, TakenThroughTheMountSetSizeBreaksIt)
{
	cut_under_a_lease(path("file"), false);
}

/*
 * The holder of a lease taken through the mount may read or write through
 * it before it lets go, and its I/O waits for any DM right on the file:
 * the change waits for the holder with no right held.  Otherwise both wait
 * until the kernel ends the lease (lease-break-time, 5 s here), and the
 * holder reads the file already cut.
 */
TEST_F(FileAttrOfALeasedFile, TheHoldersIoThroughTheMountGoesOnBeforeItLetsGo)
{
	std::string saved = slurp("/proc/sys/fs/lease-break-time");
	spit("/proc/sys/fs/lease-break-time", "5\n");
	ssize_t n = cut_under_a_lease(path("file"), true);
	spit("/proc/sys/fs/lease-break-time", saved);
	EXPECT_EQ(n, 10000) << "the holder read the file after the change, not before it let go";
}

/* The VFS changes no symbolic link's mode, by handle either. */
TEST_F(FileAttr, SetModeOfASymbolicLinkEOPNOTSUPP)
{
	ASSERT_EQ(symlink("file", lower("link").c_str()), 0) << strerror(errno);
	Handle h;
	ASSERT_NO_FATAL_FAILURE(handle_of("link", h));
	dm_fileattr_t fa = {};
	fa.fa_mode = 0600;
	EXPECT_DM_ERRNO(set(h, DM_AT_MODE, fa), EOPNOTSUPP);
	EXPECT_EQ(stat_of("link").st_mode & 07777, 0777u);
}

TEST_F(FileAttr, SetSizeOfADirectoryEINVAL)
{
	dm_fileattr_t fa = {};
	EXPECT_DM_ERRNO(set(dir_, DM_AT_SIZE, fa), EINVAL);
}

TEST_F(FileAttr, SetNegativeSizeEINVAL)
{
	dm_fileattr_t fa = {};
	fa.fa_size = -1;
	EXPECT_DM_ERRNO(set(file_, DM_AT_SIZE, fa), EINVAL);
}

TEST_F(FileAttr, SetOfFieldsThatCannotBeSetEINVAL)
{
	dm_fileattr_t fa = {};
	for (unsigned int mask : {DM_AT_HANDLE, DM_AT_EMASK, DM_AT_PMANR, DM_AT_PATTR, DM_AT_STAT,
				  DM_AT_CFLAG, 0x4000}) {
		SCOPED_TRACE("mask " + std::to_string(mask));
		EXPECT_DM_ERRNO(set(file_, mask, fa), EINVAL);
	}
}

TEST_F(FileAttr, GetWithAnUnknownMaskBitEINVAL)
{
	dm_stat_t st;
	EXPECT_DM_ERRNO(dm_get_fileattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 0x4000, &st),
			EINVAL);
}

TEST_F(FileAttr, NullPointersEFAULT)
{
	EXPECT_DM_ERRNO(dm_get_fileattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, DM_AT_STAT,
					nullptr), EFAULT);
	EXPECT_DM_ERRNO(dm_set_fileattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, DM_AT_MODE,
					nullptr), EFAULT);
}

TEST_F(FileAttr, FilesystemHandleEINVAL)
{
	dm_stat_t st;
	EXPECT_DM_ERRNO(dm_get_fileattr(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, DM_AT_STAT, &st),
			EINVAL);
	dm_fileattr_t fa = {};
	EXPECT_DM_ERRNO(set(fsh_, DM_AT_MODE, fa), EINVAL);
}

TEST_F(FileAttr, NoSuchSessionEINVAL)
{
	dm_stat_t st;
	EXPECT_DM_ERRNO(dm_get_fileattr(kNoSuchSession, file_.hanp, file_.hlen, DM_NO_TOKEN,
					DM_AT_STAT, &st), EINVAL);
}

TEST_F(FileAttr, TokenNotOutstandingESRCH)
{
	dm_stat_t st;
	EXPECT_DM_ERRNO(dm_get_fileattr(sid_, file_.hanp, file_.hlen, kNotOutstanding, DM_AT_STAT,
					&st), ESRCH);
	dm_fileattr_t fa = {};
	EXPECT_DM_ERRNO(dm_set_fileattr(sid_, file_.hanp, file_.hlen, kNotOutstanding, DM_AT_MODE,
					&fa), ESRCH);
}

TEST_F(FileAttr, RemovedFileEBADF)
{
	ASSERT_EQ(unlink(path("file").c_str()), 0);
	dm_stat_t st;
	EXPECT_DM_ERRNO(dm_get_fileattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, DM_AT_STAT, &st),
			EBADF);
}

} // namespace
