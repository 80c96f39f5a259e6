// SPDX-License-Identifier: GPL-2.0
/*
 * The dmapi filesystem type: what mounting accepts and refuses, what the
 * mount shows of the lower tree, and the reserved xattr namespace.  The
 * operation-by-operation equivalence with the lower filesystem is proven
 * by tests/difftest; these are the cases a random walk does not reach.
 * Needs the scratch filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "dmtest.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <poll.h>
#include <sched.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x00000020	/* Linux 6.9 */
#endif

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

constexpr long kDmapiMagic = 0x444d4150;

using DmapiMount = DmapiMountTest;

TEST_F(DmapiMount, ReportsItsOwnTypeAndTheLowerSpace)
{
	struct statfs ours, lower;
	ASSERT_EQ(statfs(mnt_.c_str(), &ours), 0);
	ASSERT_EQ(statfs(lower_.c_str(), &lower), 0);
	EXPECT_EQ(ours.f_type, kDmapiMagic);
	EXPECT_EQ(ours.f_bsize, lower.f_bsize);
	EXPECT_EQ(ours.f_blocks, lower.f_blocks);
	EXPECT_EQ(ours.f_namelen, lower.f_namelen);
}

TEST_F(DmapiMount, InodeNumbersAndDeviceAreTheLowerOnes)
{
	spit(lower_ + "/f", "x");
	struct stat ours, lower;
	ASSERT_EQ(stat((mnt_ + "/f").c_str(), &ours), 0);
	ASSERT_EQ(stat((lower_ + "/f").c_str(), &lower), 0);
	EXPECT_EQ(ours.st_ino, lower.st_ino);
	EXPECT_EQ(ours.st_dev, lower.st_dev);
	/* And stay so across a remount. */
	remount();
	struct stat again;
	ASSERT_EQ(stat((mnt_ + "/f").c_str(), &again), 0);
	EXPECT_EQ(again.st_ino, ours.st_ino);
	EXPECT_EQ(again.st_dev, ours.st_dev);
}

TEST_F(DmapiMount, DataGoesStraightToTheLowerFile)
{
	spit(mnt_ + "/f", "through the mount");
	EXPECT_EQ(slurp(lower_ + "/f"), "through the mount");
	/* No page cache of our own: a lower write is seen at once. */
	spit(lower_ + "/f", "behind the mount");
	EXPECT_EQ(slurp(mnt_ + "/f"), "behind the mount");
}

/*
 * A mapping holds the file it was made through, and so the mount, as a
 * mapping of a lower file holds the lower filesystem.
 */
TEST_F(DmapiMount, AMappingKeepsTheMountBusyAfterItsFileIsClosed)
{
	spit(lower_ + "/f", "mapped");
	int fd = open((mnt_ + "/f").c_str(), O_RDONLY);
	ASSERT_GE(fd, 0) << strerror(errno);
	void *m = mmap(nullptr, 6, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(m, MAP_FAILED) << strerror(errno);
	EXPECT_EQ(umount(mnt_.c_str()), -1) << "unmounted under a mapping";
	EXPECT_EQ(errno, EBUSY);
	EXPECT_EQ(std::string(static_cast<char *>(m), 6), "mapped");
	EXPECT_EQ(munmap(m, 6), 0);
}

/*
 * Two pages of 'f' in "f", mapped through the mount shared and writable
 * at *m; the fd is closed.
 */
void map_two_writable_pages(const std::string &mnt, const std::string &lower, char **m)
{
	long page = sysconf(_SC_PAGESIZE);
	spit(lower + "/f", std::string(2 * page, 'f'));
	int fd = open((mnt + "/f").c_str(), O_RDWR);
	ASSERT_GE(fd, 0) << strerror(errno);
	void *map = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(map, MAP_FAILED) << strerror(errno);
	*m = static_cast<char *>(map);
}

/*
 * A shared mapping made read-only is still one of a file open for
 * writing: remap_file_pages() of it would map the lower file itself at
 * any offset, past the READ events and the rights of the range it
 * reaches (the data of an offline file there read as its holes).
 * Refused, and the mapping is left as it was.
 */
TEST_F(DmapiMount, RemapFilePagesOfASharedMappingMadeReadOnlyIsRefused)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = nullptr;
	ASSERT_NO_FATAL_FAILURE(map_two_writable_pages(mnt_, lower_, &m));
	ASSERT_EQ(mprotect(m + page, page, PROT_READ), 0) << strerror(errno);
	EXPECT_EQ(remap_file_pages(m + page, page, 0, 0, 0), -1);
	EXPECT_EQ(errno, EACCES);
	EXPECT_EQ(m[page], 'f');
	ASSERT_EQ(munmap(m, 2 * page), 0) << strerror(errno);
	ASSERT_NO_FATAL_FAILURE(remount()) << "a mapping gone still holds the mount";
}

/* A shared mapping of a file open for reading has no VM_SHARED: EINVAL. */
TEST_F(DmapiMount, RemapFilePagesOfAReadOnlyFilesMappingIsRefused)
{
	long page = sysconf(_SC_PAGESIZE);
	spit(lower_ + "/f", std::string(2 * page, 'f'));
	int fd = open((mnt_ + "/f").c_str(), O_RDONLY);
	ASSERT_GE(fd, 0) << strerror(errno);
	void *map = mmap(nullptr, page, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(map, MAP_FAILED) << strerror(errno);
	EXPECT_EQ(remap_file_pages(map, page, 0, 1, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	ASSERT_EQ(munmap(map, page), 0) << strerror(errno);
}

/*
 * Of a shared mapping that may be written, remap_file_pages() would make
 * a writable mapping of the lower file itself, whose stores wait for no
 * right and send no WRITE: refused.
 */
TEST_F(DmapiMount, RemapFilePagesOfAWritableSharedMappingIsRefused)
{
	long page = sysconf(_SC_PAGESIZE);
	char *m = nullptr;
	ASSERT_NO_FATAL_FAILURE(map_two_writable_pages(mnt_, lower_, &m));
	EXPECT_EQ(remap_file_pages(m + page, page, 0, 1, 0), -1);
	EXPECT_EQ(errno, EACCES);
	m[0] = 'M';
	EXPECT_EQ(msync(m, 2 * page, MS_SYNC), 0) << strerror(errno);
	EXPECT_EQ(slurp(lower_ + "/f"), "M" + std::string(2 * page - 1, 'f'));
	ASSERT_EQ(munmap(m, 2 * page), 0) << strerror(errno);
}

TEST_F(DmapiMount, TurningOAppendOffWithFcntlWritesWhereAsked)
{
	spit(lower_ + "/f", "0123456789");
	int fd = open((mnt_ + "/f").c_str(), O_WRONLY | O_APPEND);
	ASSERT_GE(fd, 0) << strerror(errno);
	EXPECT_EQ(write(fd, "A", 1), 1);
	ASSERT_EQ(fcntl(fd, F_SETFL, 0), 0);
	EXPECT_EQ(pwrite(fd, "X", 1, 0), 1);
	close(fd);
	EXPECT_EQ(slurp(lower_ + "/f"), "X123456789A");
}

/* pwritev2() of "X" at 0 with RWF_NOAPPEND, errno left as it set it. */
ssize_t write_x_at_0_noappend(int fd)
{
	char x = 'X';
	struct iovec iov = {&x, 1};
	return pwritev2(fd, &iov, 1, 0, RWF_NOAPPEND);
}

TEST_F(DmapiMount, AWriteWithRwfNoappendWritesWhereAsked)
{
	spit(lower_ + "/f", "0123456789");
	int fd = open((mnt_ + "/f").c_str(), O_WRONLY | O_APPEND);
	ASSERT_GE(fd, 0) << strerror(errno);
	ssize_t n = write_x_at_0_noappend(fd);
	int err = errno;
	close(fd);
	if (n < 0 && err == EOPNOTSUPP)
		GTEST_SKIP() << "this kernel has no RWF_NOAPPEND (Linux 6.9)";
	EXPECT_EQ(n, 1) << strerror(err);
	EXPECT_EQ(slurp(lower_ + "/f"), "X123456789");
}

/* The lower file at path made append-only (chattr +a) for a scope. */
class AppendOnly {
public:
	explicit AppendOnly(std::string path) : path_(std::move(path)) { set(true); }
	~AppendOnly() { set(false); }
	AppendOnly(const AppendOnly &) = delete;
	AppendOnly &operator=(const AppendOnly &) = delete;

private:
	void set(bool on)
	{
		int fd = open(path_.c_str(), O_RDONLY);
		int flags = 0;
		if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0)
			ADD_FAILURE() << path_ << ": " << strerror(errno);
		flags = on ? flags | FS_APPEND_FL : flags & ~FS_APPEND_FL;
		if (fd >= 0 && ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0)
			ADD_FAILURE() << "FS_IOC_SETFLAGS: " << strerror(errno);
		if (fd >= 0)
			close(fd);
	}

	std::string path_;
};

/*
 * What write(fd) returned, and its errno, for "0123456789" at lower
 * opened through the mount at mnt with O_APPEND and then made
 * append-only below.
 */
template <typename Fn>
std::pair<ssize_t, int> write_when_made_append_only(const std::string &lower,
						    const std::string &mnt, Fn write)
{
	spit(lower, "0123456789");
	int fd = open(mnt.c_str(), O_WRONLY | O_APPEND);
	if (fd < 0) {
		ADD_FAILURE() << mnt << ": " << strerror(errno);
		return {-1, errno};
	}
	AppendOnly below(lower);
	ssize_t n = write(fd);
	int err = errno;
	close(fd);
	return {n, err};
}

/*
 * fcntl() turns O_APPEND off only where the file is not append-only.
 * Made so below the mount after it was opened, our inode may not know
 * it yet when fcntl() asks: then the write must not land in place.
 */
TEST_F(DmapiMount, AFileMadeAppendOnlyBelowTakesOnlyAppendsThroughTheMount)
{
	auto [n, err] = write_when_made_append_only(lower_ + "/f", mnt_ + "/f", [](int fd) {
		int set = fcntl(fd, F_SETFL, 0);
		EXPECT_TRUE(set == 0 || errno == EPERM) << strerror(errno);
		return pwrite(fd, "X", 1, 0);
	});
	std::string now = slurp(lower_ + "/f");
	EXPECT_EQ(now.substr(0, 10), "0123456789") << "a write landed in place";
	if (n == 1)
		EXPECT_EQ(now, "0123456789X");
	else
		EXPECT_EQ(err, EPERM) << strerror(err);
}

/* Nor does RWF_NOAPPEND (Linux 6.9) turn it off for one write. */
TEST_F(DmapiMount, RwfNoappendOnAFileMadeAppendOnlyBelowFailsEPERM)
{
	auto [n, err] = write_when_made_append_only(lower_ + "/f", mnt_ + "/f",
						    write_x_at_0_noappend);
	if (n < 0 && err == EOPNOTSUPP)
		GTEST_SKIP() << "this kernel has no RWF_NOAPPEND (Linux 6.9)";
	EXPECT_EQ(n, -1);
	EXPECT_EQ(err, EPERM) << strerror(err);
	EXPECT_EQ(slurp(lower_ + "/f"), "0123456789");
}

/*
 * Made append-only below the mount after our inode was cached, the file
 * may not be truncated or opened to write in place through the mount.
 */
TEST_F(DmapiMount, AFileMadeAppendOnlyBelowCannotBeTruncatedThroughTheMount)
{
	spit(lower_ + "/f", "0123456789");
	std::string f = mnt_ + "/f";
	struct stat st;
	ASSERT_EQ(stat(f.c_str(), &st), 0) << strerror(errno);
	int appending = open(f.c_str(), O_WRONLY | O_APPEND);
	ASSERT_GE(appending, 0) << strerror(errno);
	AppendOnly below(lower_ + "/f");
	EXPECT_EQ(truncate(f.c_str(), 0), -1);
	EXPECT_EQ(errno, EPERM) << strerror(errno);
	EXPECT_EQ(ftruncate(appending, 0), -1);
	EXPECT_EQ(errno, EPERM) << strerror(errno);
	close(appending);
	EXPECT_EQ(open(f.c_str(), O_WRONLY), -1);
	EXPECT_EQ(errno, EPERM) << strerror(errno);
	EXPECT_EQ(open(f.c_str(), O_WRONLY | O_APPEND | O_TRUNC), -1);
	EXPECT_EQ(errno, EPERM) << strerror(errno);
	EXPECT_EQ(slurp(lower_ + "/f"), "0123456789");
}

/*
 * Made append-only below the mount after it was opened to read and
 * write through it, the file may not be mapped shared (EACCES, as on
 * the lower filesystem): its stores would overwrite in place.
 */
TEST_F(DmapiMount, AFileMadeAppendOnlyBelowAfterItsOpenCannotBeMappedShared)
{
	spit(lower_ + "/f", std::string(4096, 'a'));
	std::string f = mnt_ + "/f";
	int fd = open(f.c_str(), O_RDWR);
	ASSERT_GE(fd, 0) << strerror(errno);
	AppendOnly below(lower_ + "/f");
	void *m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int err = errno;
	if (m != MAP_FAILED)
		munmap(m, 4096);
	close(fd);
	EXPECT_EQ(m, MAP_FAILED) << "a writable shared mapping of an append-only file";
	EXPECT_EQ(err, EACCES) << strerror(err);
}

/*
 * A whiteout is refused, as by a filesystem without them: it would make
 * an object with no CREATE event and nothing inherited.
 */
TEST_F(DmapiMount, ARenameLeavingAWhiteoutFailsEINVAL)
{
	spit(lower_ + "/from", "x");
	std::string from = mnt_ + "/from", to = mnt_ + "/to";
	EXPECT_EQ(syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(),
			  RENAME_WHITEOUT),
		  -1);
	EXPECT_EQ(errno, EINVAL) << strerror(errno);
	EXPECT_EQ(slurp(lower_ + "/from"), "x");
	EXPECT_FALSE(std::filesystem::exists(lower_ + "/to"));
}

/*
 * A path walk in RCU mode checks a directory's permission holding no
 * reference to its inode, which an rmdir meanwhile may evict: the check
 * must not follow the lower inode the eviction let go.  A race, run for
 * a fixed number of rounds, which CPUs running truly in parallel meet far
 * more often than TCG's, which runs a guest's CPUs in turn; the walker
 * only ever finds no such file.
 */
TEST_F(DmapiMount, PathWalksRaceWithTheRemovalOfTheirDirectory)
{
	std::string d = mnt_ + "/d", x = d + "/x";
	std::atomic<bool> stop{false};
	std::atomic<long> walks{0}, unexpected{0};
	std::thread walker([&] {
		struct stat st;
		while (!stop) {
			if (stat(x.c_str(), &st) == 0 || errno != ENOENT)
				unexpected++;
			walks++;
		}
	});
	for (int i = 0; i < 10000; i++) {
		ASSERT_EQ(mkdir(d.c_str(), 0755), 0) << strerror(errno);
		ASSERT_EQ(rmdir(d.c_str()), 0) << strerror(errno);
	}
	stop = true;
	walker.join();
	EXPECT_GT(walks, 0);
	EXPECT_EQ(unexpected, 0);
}

/* Free blocks of the lower filesystem once it has caught up. */
unsigned long long free_bytes(const std::string &path)
{
	int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY);
	syncfs(fd);
	close(fd);
	struct statfs st;
	statfs(path.c_str(), &st);
	return static_cast<unsigned long long>(st.f_bfree) * st.f_bsize;
}

/*
 * No dentry of ours may keep a removed lower inode, and with it its
 * blocks, until memory pressure comes: an HSM that frees space by
 * removing files would see none freed.
 */
TEST_F(DmapiMount, RemovingAFileFreesItsSpaceAtOnce)
{
	constexpr unsigned long long size = 16 << 20;
	for (const std::string &made_in : {mnt_, lower_}) {
		spit(made_in + "/big", std::string(size, 'x'));
		struct stat st;
		ASSERT_EQ(stat((mnt_ + "/big").c_str(), &st), 0);
		unsigned long long before = free_bytes(lower_);
		ASSERT_EQ(unlink((mnt_ + "/big").c_str()), 0);
		unsigned long long after = free_bytes(lower_);
		/* XFS frees unlinked inodes in the background. */
		for (int i = 0; i < 100 && after < before + size / 2; i++) {
			usleep(50000);
			after = free_bytes(lower_);
		}
		EXPECT_GE(after, before + size - (1 << 20)) << "made in " << made_in;
	}
}

TEST_F(DmapiMount, MappingsShareTheLowerPages)
{
	spit(lower_ + "/f", std::string(4096, 'a'));
	int fd = open((mnt_ + "/f").c_str(), O_RDWR);
	ASSERT_GE(fd, 0);
	auto *p = static_cast<char *>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
					   MAP_SHARED, fd, 0));
	ASSERT_NE(p, MAP_FAILED);
	p[0] = 'M';
	int lfd = open((lower_ + "/f").c_str(), O_RDWR);
	ASSERT_GE(lfd, 0);
	char c = 0;
	EXPECT_EQ(pread(lfd, &c, 1, 0), 1);
	EXPECT_EQ(c, 'M');	/* before any msync: the same page */
	EXPECT_EQ(pwrite(lfd, "L", 1, 1), 1);
	EXPECT_EQ(p[1], 'L');
	munmap(p, 4096);
	close(lfd);
	close(fd);
}

/* The lower file's pages of [0, len) that are in the page cache. */
static long resident_pages(const std::string &path, size_t len)
{
	int fd = open(path.c_str(), O_RDONLY);
	if (fd < 0)
		return -1;
	void *p = mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	std::vector<unsigned char> vec(len / 4096);
	long n = mincore(p, len, vec.data()) ? -1 : 0;
	for (unsigned char v : vec)
		n += n >= 0 && (v & 1);
	munmap(p, len);
	return n;
}

TEST_F(DmapiMount, AdviceReachesTheLowerPageCache)
{
	constexpr size_t len = 64 * 4096;
	spit(lower_ + "/f", std::string(len, 'a'));
	int fd = open((mnt_ + "/f").c_str(), O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fdatasync(fd), 0);
	EXPECT_EQ(resident_pages(lower_ + "/f", len), 64);
	EXPECT_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	EXPECT_EQ(resident_pages(lower_ + "/f", len), 0);
	EXPECT_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED), 0);
	for (int i = 0; i < 100 && resident_pages(lower_ + "/f", len) < 64; i++)
		usleep(10000);	/* readahead is asynchronous */
	EXPECT_EQ(resident_pages(lower_ + "/f", len), 64);
	EXPECT_EQ(posix_fadvise(fd, 0, 0, 12345), EINVAL);
	close(fd);
}

TEST_F(DmapiMount, ChangesBehindTheMountAreSeen)
{
	fs::create_directories(mnt_ + "/d");
	spit(mnt_ + "/d/f", "1");
	ASSERT_EQ(rename((lower_ + "/d/f").c_str(), (lower_ + "/g").c_str()), 0);
	struct stat st;
	EXPECT_EQ(stat((mnt_ + "/d/f").c_str(), &st), -1);
	EXPECT_EQ(errno, ENOENT);
	EXPECT_EQ(slurp(mnt_ + "/g"), "1");
	ASSERT_EQ(unlink((lower_ + "/g").c_str()), 0);
	EXPECT_EQ(stat((mnt_ + "/g").c_str(), &st), -1);
	spit(lower_ + "/g", "2");
	EXPECT_EQ(slurp(mnt_ + "/g"), "2");
}

/*
 * fanotify's FAN_ACCESS_PERM listener of a lower file: answer() waits for
 * its one question and gives the response.
 */
class LowerPermListener {
public:
	explicit LowerPermListener(const std::string &lower_file)
		: fan_(fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE))
	{
		if (fan_ < 0)
			ADD_FAILURE() << "fanotify_init: " << strerror(errno);
		else if (fanotify_mark(fan_, FAN_MARK_ADD, FAN_ACCESS_PERM, AT_FDCWD,
				       lower_file.c_str()) != 0)
			ADD_FAILURE() << "fanotify_mark: " << strerror(errno);
	}
	~LowerPermListener()
	{
		if (fan_ >= 0)
			close(fan_);
	}
	LowerPermListener(const LowerPermListener &) = delete;
	LowerPermListener &operator=(const LowerPermListener &) = delete;

	void answer(__u32 response)
	{
		struct pollfd pfd = {fan_, POLLIN, 0};
		ASSERT_EQ(poll(&pfd, 1, 5000), 1) << "the lower file's listener was not asked";
		struct fanotify_event_metadata ev;
		ASSERT_EQ(read(fan_, &ev, sizeof(ev)), static_cast<ssize_t>(sizeof(ev)));
		EXPECT_TRUE(ev.mask & FAN_ACCESS_PERM);
		struct fanotify_response r = {ev.fd, response};
		EXPECT_EQ(write(fan_, &r, sizeof(r)), static_cast<ssize_t>(sizeof(r)));
		close(ev.fd);
	}

private:
	int fan_;
};

/*
 * A splice through the mount passes the lower file's permission hooks, as
 * read(2) through it does: a fanotify listener of the lower file is
 * asked first.
 */
TEST_F(DmapiMount, SpliceReadAsksTheLowerFilesPermissionListeners)
{
	spit(mnt_ + "/watched", "splice me");
	LowerPermListener listener(lower_ + "/watched");
	std::string file = mnt_ + "/watched";
	Child splicer([file] {
		int fd = open(file.c_str(), O_RDONLY), p[2];
		if (fd < 0 || pipe(p) != 0)
			return 1;
		return splice(fd, nullptr, p[1], nullptr, 9, 0) == 9 ? 0 : 2;
	});
	ASSERT_NO_FATAL_FAILURE(listener.answer(FAN_ALLOW));
	EXPECT_EQ(splicer.wait(), 0);
}

/*
 * A read(2) through the mount is the lower file's read too: its fanotify
 * permission listener is asked, and a denial fails the read with EPERM.
 */
TEST_F(DmapiMount, ReadAsksTheLowerFilesPermissionListeners)
{
	spit(mnt_ + "/watched", "read me");
	LowerPermListener listener(lower_ + "/watched");
	std::string file = mnt_ + "/watched";
	Child reader([file] {
		char buf[7];
		int fd = open(file.c_str(), O_RDONLY);
		if (fd < 0)
			return 1;
		return read(fd, buf, sizeof(buf)) < 0 && errno == EPERM ? 0 : 2;
	});
	ASSERT_NO_FATAL_FAILURE(listener.answer(FAN_DENY));
	EXPECT_EQ(reader.wait(), 0) << "the denied read did not fail EPERM";
}

/*
 * A shared writable mapping maps a lower file opened again for reading
 * only (MADV_REMOVE is refused), under the mmap lock: that open asks no
 * fanotify permission listener, which, reading the process's memory,
 * would wait for that lock.  The user's open is asked once.
 */
TEST_F(DmapiMount, AWritableMappingAsksTheLowerFilesOpenListenersNothing)
{
	spit(mnt_ + "/watched", "map me");
	int fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE);
	ASSERT_GE(fan, 0) << strerror(errno);
	ASSERT_EQ(fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD,
				(lower_ + "/watched").c_str()), 0) << strerror(errno);
	std::string file = mnt_ + "/watched";
	Child mapper([file] {
		int fd = open(file.c_str(), O_RDWR);
		if (fd < 0)
			return 1;
		void *m = mmap(nullptr, 6, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			return 2;
		static_cast<char *>(m)[0] = 'M';
		return msync(m, 6, MS_SYNC) ? 3 : 0;
	});
	int asked = 0;
	do {
		struct pollfd pfd = {fan, POLLIN, 0};
		while (poll(&pfd, 1, 0) == 1) {
			struct fanotify_event_metadata ev;
			ASSERT_EQ(read(fan, &ev, sizeof(ev)), static_cast<ssize_t>(sizeof(ev)));
			struct fanotify_response r = {ev.fd, FAN_ALLOW};
			EXPECT_EQ(write(fan, &r, sizeof(r)), static_cast<ssize_t>(sizeof(r)));
			close(ev.fd);
			asked++;
		}
	} while (mapper.still_running_after(50));
	close(fan);
	EXPECT_EQ(mapper.wait(), 0);
	EXPECT_EQ(asked, 1) << "the mapping asked too";
	EXPECT_EQ(slurp(lower_ + "/watched"), "Map me");
}

/* Reads and writes through the mount are seen by the lower file's watchers. */
/* The events fanotify group @fan has queued, read and closed. */
uint64_t events_seen(int fan)
{
	uint64_t seen = 0;
	struct fanotify_event_metadata ev;
	while (read(fan, &ev, sizeof(ev)) == static_cast<ssize_t>(sizeof(ev))) {
		seen |= ev.mask;
		if (ev.fd >= 0)
			close(ev.fd);
	}
	close(fan);
	return seen;
}

TEST_F(DmapiMount, ReadsAndWritesNotifyTheLowerFilesWatchers)
{
	spit(mnt_ + "/watched", "old");
	int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK,
				O_RDONLY | O_LARGEFILE);
	ASSERT_GE(fan, 0) << strerror(errno);
	ASSERT_EQ(fanotify_mark(fan, FAN_MARK_ADD, FAN_ACCESS | FAN_MODIFY, AT_FDCWD,
				(lower_ + "/watched").c_str()), 0) << strerror(errno);
	int fd = open((mnt_ + "/watched").c_str(), O_RDWR);
	ASSERT_GE(fd, 0) << strerror(errno);
	char buf[3];
	ASSERT_EQ(pwrite(fd, "new", 3, 0), 3);
	ASSERT_EQ(pread(fd, buf, sizeof(buf), 0), 3);
	close(fd);
	uint64_t seen = events_seen(fan);
	EXPECT_TRUE(seen & FAN_MODIFY) << "the write was not seen below";
	EXPECT_TRUE(seen & FAN_ACCESS) << "the read was not seen below";
}

/* A sendfile from a file of the mount is a read of the lower file too. */
TEST_F(DmapiMount, ASendfileNotifiesTheLowerFilesWatchers)
{
	spit(mnt_ + "/watched", "old");
	int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK,
				O_RDONLY | O_LARGEFILE);
	ASSERT_GE(fan, 0) << strerror(errno);
	ASSERT_EQ(fanotify_mark(fan, FAN_MARK_ADD, FAN_ACCESS, AT_FDCWD,
				(lower_ + "/watched").c_str()), 0) << strerror(errno);
	int in = open((mnt_ + "/watched").c_str(), O_RDONLY);
	int out = open("/dev/null", O_WRONLY);
	ASSERT_GE(in, 0) << strerror(errno);
	EXPECT_EQ(sendfile(out, in, nullptr, 3), 3) << strerror(errno);
	close(in);
	close(out);
	uint64_t seen = events_seen(fan);
	EXPECT_TRUE(seen & FAN_ACCESS) << "the sendfile was not seen below";
}

/*
 * O_DIRECT turned on with fcntl() reaches the lower file's I/O: a read
 * into a buffer the lower filesystem cannot do direct I/O to fails
 * EINVAL, as it would below, and an aligned one reads the bytes.
 */
TEST_F(DmapiMount, ODirectTurnedOnWithFcntlReachesTheLowerFile)
{
	spit(mnt_ + "/f", std::string(8192, 'd'));
	int fd = open((mnt_ + "/f").c_str(), O_RDONLY);
	ASSERT_GE(fd, 0) << strerror(errno);
	ASSERT_EQ(fcntl(fd, F_SETFL, O_DIRECT), 0) << strerror(errno);
	alignas(4096) static char buf[4096 + 1];
	EXPECT_EQ(pread(fd, buf + 1, 4096, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(pread(fd, buf, 4096, 0), 4096) << strerror(errno);
	EXPECT_EQ(buf[0], 'd');
	close(fd);
}

/*
 * O_APPEND turned off with fcntl() reaches a copy into the file too: the
 * lower filesystem refuses a copy into a file open to append (EBADF).
 */
TEST_F(DmapiMount, ACopyIntoAFileWhoseAppendWasTurnedOffCopies)
{
	spit(lower_ + "/from", std::string(4096, 'c'));
	spit(lower_ + "/to", "");
	int in = open((mnt_ + "/from").c_str(), O_RDONLY);
	int out = open((mnt_ + "/to").c_str(), O_WRONLY | O_APPEND);
	ASSERT_GE(in, 0) << strerror(errno);
	ASSERT_GE(out, 0) << strerror(errno);
	ASSERT_EQ(fcntl(out, F_SETFL, 0), 0) << strerror(errno);
	loff_t off = 0;
	EXPECT_EQ(copy_file_range(in, nullptr, out, &off, 4096, 0), 4096) << strerror(errno);
	close(in);
	close(out);
	EXPECT_EQ(slurp(lower_ + "/to"), std::string(4096, 'c'));
}

/* RWF_NOWAIT works as below: cached data is read without waiting. */
TEST_F(DmapiMount, APreadWithRwfNowaitReadsCachedData)
{
	spit(lower_ + "/f", std::string(4096, 'n'));
	slurp(lower_ + "/f");	/* cached */
	int fd = open((mnt_ + "/f").c_str(), O_RDONLY);
	ASSERT_GE(fd, 0) << strerror(errno);
	char buf[4096];
	iovec iov = {buf, sizeof(buf)};
	EXPECT_EQ(preadv2(fd, &iov, 1, 0, RWF_NOWAIT), 4096) << strerror(errno);
	close(fd);
}

/* A read through a read-only mount dates nothing below either. */
TEST_F(DmapiMount, AReadThroughAReadOnlyMountKeepsTheLowerAccessTime)
{
	spit(lower_ + "/f", "data");
	timespec old[2] = {{946684800, 0}, {946684800, 0}};	/* 2000-01-01 */
	ASSERT_EQ(utimensat(AT_FDCWD, (lower_ + "/f").c_str(), old, 0), 0) << strerror(errno);
	ASSERT_EQ(mount(nullptr, mnt_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0)
		<< strerror(errno);
	std::string got = slurp(mnt_ + "/f");
	struct stat st;
	EXPECT_EQ(stat((lower_ + "/f").c_str(), &st), 0);
	EXPECT_EQ(mount(nullptr, mnt_.c_str(), nullptr, MS_REMOUNT, nullptr), 0) << strerror(errno);
	EXPECT_EQ(got, "data");
	EXPECT_EQ(st.st_atim.tv_sec, 946684800) << "the read dated the lower file";
}

/* Whether any extent of the file at path is still delayed allocation. */
bool has_delalloc_extents(const std::string &path)
{
	int fd = open(path.c_str(), O_RDONLY);
	if (fd < 0)
		return false;
	std::vector<char> buf(sizeof(struct fiemap) + 32 * sizeof(struct fiemap_extent));
	auto *fm = reinterpret_cast<struct fiemap *>(buf.data());
	fm->fm_length = FIEMAP_MAX_OFFSET;
	fm->fm_extent_count = 32;
	bool delalloc = false;
	if (ioctl(fd, FS_IOC_FIEMAP, fm) == 0)
		for (unsigned int i = 0; i < fm->fm_mapped_extents; i++)
			delalloc |= fm->fm_extents[i].fe_flags & FIEMAP_EXTENT_DELALLOC;
	close(fd);
	return delalloc;
}

/* syncfs(2) of a descriptor of the mount writes the lower filesystem out. */
TEST_F(DmapiMount, SyncfsWritesTheLowerFilesystem)
{
	const std::string mf = mnt_ + "/synced";
	int fd = open(mf.c_str(), O_CREAT | O_WRONLY, 0644);
	ASSERT_GE(fd, 0) << strerror(errno);
	std::string data(1 << 20, 's');
	ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
	ASSERT_TRUE(has_delalloc_extents(lower_ + "/synced"))
		<< "written out already: the test proves nothing";
	EXPECT_EQ(syncfs(fd), 0) << strerror(errno);
	EXPECT_FALSE(has_delalloc_extents(lower_ + "/synced")) << "syncfs wrote nothing out";
	close(fd);
}

/* An access ACL in the xattr format of <linux/posix_acl_xattr.h>. */
std::string access_acl(unsigned int named_user)
{
	struct Entry {
		std::uint16_t tag, perm;
		std::uint32_t id;
	};
	const Entry entries[] = {
		{0x01, 6, ~0u},		/* user:: rw- */
		{0x02, 4, named_user},	/* user:ID: r-- */
		{0x04, 4, ~0u},		/* group:: r-- */
		{0x10, 4, ~0u},		/* mask:: r-- */
		{0x20, 0, ~0u},		/* other:: --- */
	};
	std::uint32_t version = 2;
	std::string acl(reinterpret_cast<const char *>(&version), sizeof(version));
	acl.append(reinterpret_cast<const char *>(entries), sizeof(entries));
	return acl;
}

std::string access_acl_of(const std::string &path)
{
	char buf[256];
	ssize_t n = getxattr(path.c_str(), "system.posix_acl_access", buf, sizeof(buf));
	return n < 0 ? "errno " + std::to_string(errno) : std::string(buf, n);
}

/*
 * A user namespace whose ids map `inside` to `outside`, uids and gids
 * alike, held by its file descriptor; -1 if it cannot be made.
 */
int user_namespace_mapping(unsigned int inside, unsigned int outside)
{
	int ready[2];
	if (pipe(ready) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
		(void)!write(ready[1], &c, 1);
		pause();
		_exit(0);
	}
	char c = 'n';
	(void)!read(ready[0], &c, 1);
	close(ready[0]);
	close(ready[1]);
	std::string proc = "/proc/" + std::to_string(pid) + "/";
	std::string map = std::to_string(inside) + " " + std::to_string(outside) + " 1\n";
	int fd = -1;
	if (c == 'y' && (std::ofstream(proc + "uid_map") << map).good() &&
	    (std::ofstream(proc + "gid_map") << map).good())
		fd = open((proc + "ns/user").c_str(), O_RDONLY | O_CLOEXEC);
	kill(pid, SIGKILL);
	waitpid(pid, nullptr, 0);
	return fd;
}

/*
 * The last unlink of a file while other threads stat it: our link count
 * set twice at once counted the file twice among the unlinked, for good,
 * and a read-only remount then failed EBUSY for the mount's life.
 */
TEST_F(DmapiMount, UnlinksRacingFstatLeaveTheMountRemountableReadOnly)
{
	std::atomic<int> current{-1};
	std::atomic<bool> done{false};
	std::vector<std::thread> stats;
	for (int i = 0; i < 3; i++)
		stats.emplace_back([&] {
			struct stat st;
			while (!done)
				fstat(current.load(), &st);
		});
	std::string file = mnt_ + "/raced";
	/*
	 * Before the fix, a count went wrong within 40 000 rounds in one run
	 * in six under TCG (six runs on 6.12 over XFS, the remount tried
	 * every 1000 rounds): the window is a few instructions.  Each of the
	 * four API guests of make check runs a quarter of that, a minute
	 * less each than the whole: a run of make check now meets that bug
	 * about one time in six, where it met it about one in two.
	 */
	for (int i = 0, rounds = race_rounds(10000); i < rounds; i++) {
		int fd = open(file.c_str(), O_CREAT | O_RDWR, 0600);
		if (fd < 0)
			break;
		current = fd;
		unlink(file.c_str());
		current = -1;
		close(fd);
	}
	done = true;
	for (auto &t : stats)
		t.join();
	sync();
	EXPECT_EQ(mount(nullptr, mnt_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0)
		<< strerror(errno);
	EXPECT_EQ(mount(nullptr, mnt_.c_str(), nullptr, MS_REMOUNT, nullptr), 0) << strerror(errno);
}

/* A program running from the lower file is not truncated under it. */
TEST_F(DmapiMount, TruncatingARunningProgramThroughTheMountETXTBSY)
{
	std::string lower = lower_ + "/prog";
	std::filesystem::copy_file("/bin/sleep", lower);
	ASSERT_EQ(chmod(lower.c_str(), 0755), 0);
	pid_t pid = fork();
	if (pid == 0) {
		execl(lower.c_str(), "sleep", "30", static_cast<char *>(nullptr));
		_exit(127);
	}
	/* Until the exec has begun: the program's file is mapped. */
	std::string maps = "/proc/" + std::to_string(pid) + "/maps";
	for (int i = 0; i < 500; i++) {
		std::ifstream in(maps);
		std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		if (text.find(lower) != std::string::npos)
			break;
		usleep(10000);
	}
	struct stat before;
	ASSERT_EQ(stat(lower.c_str(), &before), 0);
	EXPECT_EQ(truncate((mnt_ + "/prog").c_str(), 0), -1);
	EXPECT_EQ(errno, ETXTBSY);
	kill(pid, SIGKILL);
	waitpid(pid, nullptr, 0);
	struct stat after;
	ASSERT_EQ(stat(lower.c_str(), &after), 0);
	EXPECT_EQ(after.st_size, before.st_size);
	EXPECT_EQ(truncate((mnt_ + "/prog").c_str(), 0), 0) << strerror(errno);
}

/*
 * A truncation by a caller without CAP_FSETID clears the set-ID bits that
 * a chmod below the mount gave the file after the mount last looked: the
 * VFS chose what to clear from our copy of the mode, which had none.
 */
TEST_F(DmapiMount, ATruncationClearsSetIdBitsGivenBelowTheMount)
{
	std::string file = mnt_ + "/suid", lower = lower_ + "/suid";
	int fd = open(file.c_str(), O_CREAT | O_WRONLY, 0755);
	ASSERT_GE(fd, 0) << strerror(errno);
	ASSERT_EQ(write(fd, "data", 4), 4);
	close(fd);
	struct stat st;
	ASSERT_EQ(stat(file.c_str(), &st), 0);
	ASSERT_EQ(chmod(lower.c_str(), 06755), 0) << strerror(errno);
	int rc = in_child([&] {
		if (drop_capability(CAP_FSETID))
			return 100;
		return truncate(file.c_str(), 1) == 0 ? 0 : errno;
	});
	ASSERT_EQ(rc, 0) << (rc == 100 ? "dropping CAP_FSETID failed" : strerror(rc));
	ASSERT_EQ(stat(lower.c_str(), &st), 0);
	EXPECT_EQ(st.st_size, 1);
	EXPECT_EQ(st.st_mode & 07777, 0755u) << "set-ID bits kept";
}

/*
 * File capabilities set from a user namespace whose root is uid 1000
 * outside: the VFS converts the value once, to a v3 one naming that root
 * (as on the lower filesystem itself); converted again below in the
 * caller's namespace, where 1000 means nothing, it failed EINVAL.
 */
TEST_F(DmapiMount, FileCapabilitiesSetFromAUserNamespaceNameItsRoot)
{
	std::string file = mnt_ + "/capfile", lower = lower_ + "/capfile";
	close(open(file.c_str(), O_CREAT | O_WRONLY, 0755));
	ASSERT_EQ(chown(file.c_str(), 1000, 1000), 0) << strerror(errno);
	int userns = user_namespace_mapping(0, 1000);
	ASSERT_GE(userns, 0) << "no user namespace";
	/* v2: effective, CAP_NET_RAW permitted. */
	const unsigned char v2[20] = {0x01, 0, 0, 0x02, 0, 0x20, 0, 0};
	pid_t pid = fork();
	if (pid == 0) {
		if (setns(userns, CLONE_NEWUSER) != 0)
			_exit(100);
		_exit(setxattr(file.c_str(), "security.capability", v2, sizeof(v2), 0) ? errno : 0);
	}
	close(userns);
	int status = 0;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0) << strerror(WEXITSTATUS(status));
	unsigned char v3[32] = {};
	ASSERT_EQ(getxattr(lower.c_str(), "security.capability", v3, sizeof(v3)), 24)
		<< strerror(errno);
	EXPECT_EQ(v3[3], 0x03) << "a v3 value";
	std::uint32_t rootid;
	std::memcpy(&rootid, v3 + 20, sizeof(rootid));
	EXPECT_EQ(rootid, 1000u);
	unsigned char seen[32] = {};
	EXPECT_EQ(getxattr(file.c_str(), "security.capability", seen, sizeof(seen)), 24);
	EXPECT_EQ(std::memcmp(seen, v3, 24), 0) << "read back through the mount as stored";
}

/*
 * The lower tree seen through an idmapped mount of it at `at`, with ids
 * `from` shown as `to`; detached when the guard goes (a dmapi mount over
 * it keeps it until its own unmount).  error() is 0 or the errno.
 */
class IdmappedMount {
public:
	IdmappedMount(const std::string &tree, const std::string &at, unsigned int from,
		      unsigned int to)
		: at_(at)
	{
		std::filesystem::create_directories(at);
		int userns = user_namespace_mapping(from, to);
		int clone = open_tree(AT_FDCWD, tree.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		struct mount_attr attr = {};
		attr.attr_set = MOUNT_ATTR_IDMAP;
		attr.userns_fd = userns;
		if (userns < 0 || clone < 0 ||
		    mount_setattr(clone, "", AT_EMPTY_PATH, &attr, sizeof(attr)) != 0 ||
		    move_mount(clone, "", AT_FDCWD, at.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
			error_ = errno ? errno : EINVAL;
		else
			mounted_ = true;
		if (clone >= 0)
			close(clone);
		if (userns >= 0)
			close(userns);
	}
	~IdmappedMount()
	{
		if (mounted_)
			umount2(at_.c_str(), MNT_DETACH);
	}
	IdmappedMount(const IdmappedMount &) = delete;
	IdmappedMount &operator=(const IdmappedMount &) = delete;

	int error() const { return error_; }

private:
	std::string at_;
	int error_ = 0;
	bool mounted_ = false;
};

/*
 * overlayfs with @lower as its lower layer, its upper and work
 * directories in @base: its mount point, or "" with errno set.
 */
std::string overlay_over(const std::string &lower, const std::string &base)
{
	std::string upper = base + "/upper", work = base + "/work", merged = base + "/merged";
	for (const auto &d : {upper, work, merged})
		fs::create_directories(d);
	std::string opts = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
	return mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) == 0 ? merged : "";
}

/* The mount made again over an idmapped mount of its lower tree. */
class IdmappedLower : public DmapiMount {
protected:
	/* 1000 shown as 2000; the idmapped mount lives as long as the test. */
	void mount_over_idmapped()
	{
		ASSERT_EQ(umount(mnt_.c_str()), 0) << strerror(errno);
		mounted_ = false;
		idmapped_ = std::make_unique<IdmappedMount>(lower_, base_ + "/idmapped", 1000, 2000);
		ASSERT_EQ(idmapped_->error(), 0) << strerror(idmapped_->error());
		ASSERT_EQ(mount((base_ + "/idmapped").c_str(), mnt_.c_str(), "dmapi", 0, nullptr), 0)
			<< strerror(errno);
		mounted_ = true;
	}

	/* Detached before the mount over it goes, as a guard in the test's scope was. */
	void TearDown() override
	{
		idmapped_.reset();
		DmapiMount::TearDown();
	}

	std::unique_ptr<IdmappedMount> idmapped_;
};

/*
 * Over an idmapped lower mount, a lookup checks the caller's right to
 * search a directory as that mount shows its owner, as the permission
 * check of the walk does: a directory of 1000's, 0700, shown as 2000's,
 * is searched by 2000.
 */
TEST_F(IdmappedLower, LookupsThroughAnIdmappedLowerMountUseItsIdmapping)
{
	std::string dir = lower_ + "/private";
	ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
	spit(dir + "/file", "x");
	ASSERT_EQ(chown(dir.c_str(), 1000, 1000), 0);
	ASSERT_NO_FATAL_FAILURE(mount_over_idmapped());
	std::string file = mnt_ + "/private/file";
	Child owner([file] {
		struct stat st;
		if (setgid(2000) != 0 || setuid(2000) != 0)
			return 100;
		return stat(file.c_str(), &st) == 0 ? 0 : errno;
	});
	EXPECT_EQ(owner.wait(), 0) << "the lookup failed with this errno (EACCES is 13)";
}

/*
 * A chattr below the mount counts for the checks the VFS makes on our
 * inode without asking its permission (chmod, unlink): an immutable flag
 * seen once and then cleared below does not keep failing them.
 */
TEST_F(DmapiMount, AnImmutableFlagClearedBelowNoLongerRefusesAChmod)
{
	spit(lower_ + "/flagged", "x");
	{
		InodeFlag immutable(lower_ + "/flagged", FS_IMMUTABLE_FL);
		ASSERT_EQ(immutable.error(), 0) << strerror(immutable.error());
		int fd = open((mnt_ + "/flagged").c_str(), O_RDONLY);
		ASSERT_GE(fd, 0) << strerror(errno);
		close(fd);
		EXPECT_NE(chmod((mnt_ + "/flagged").c_str(), 0600), 0) << "chmod of an immutable file";
	}
	EXPECT_EQ(chmod((mnt_ + "/flagged").c_str(), 0600), 0) << strerror(errno);
}

/*
 * Over an idmapped lower mount, a file is its owner's as that mount shows
 * it for every check the VFS makes on our inode, not only for stat: a
 * file of 1000's, shown as 2000's, may be opened O_NOATIME by 2000, which
 * only its owner may.
 */
TEST_F(IdmappedLower, AFileOverAnIdmappedLowerMountIsTheMappedOwnersForTheVfs)
{
	std::string file = lower_ + "/owned";
	spit(file, "x");
	ASSERT_EQ(chown(file.c_str(), 1000, 1000), 0);
	ASSERT_NO_FATAL_FAILURE(mount_over_idmapped());
	std::string through = mnt_ + "/owned";
	Child owner([through] {
		if (setgid(2000) != 0 || setuid(2000) != 0)
			return 100;
		int fd = open(through.c_str(), O_RDONLY | O_NOATIME);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	});
	EXPECT_EQ(owner.wait(), 0) << "O_NOATIME failed with this errno (EPERM is 1)";
}

/*
 * ACLs are the lower object's: the mount shows each change, made through
 * it or by a chmod, and never one it read before.
 */
TEST_F(DmapiMount, AclsReadThroughTheMountFollowEveryChange)
{
	const std::string mf = mnt_ + "/acl", lf = lower_ + "/acl";
	spit(mf, "x");
	std::string first = access_acl(1001), second = access_acl(1002);
	ASSERT_EQ(setxattr(mf.c_str(), "system.posix_acl_access", first.data(), first.size(), 0),
		  0) << strerror(errno);
	EXPECT_EQ(access_acl_of(mf), first);
	ASSERT_EQ(setxattr(mf.c_str(), "system.posix_acl_access", second.data(),
			   second.size(), 0), 0) << strerror(errno);
	EXPECT_EQ(access_acl_of(lf), second);
	EXPECT_EQ(access_acl_of(mf), second) << "the first ACL, read before, came back";
	/* A chmod sets the ACL's mask, below. */
	ASSERT_EQ(chmod(mf.c_str(), 0660), 0) << strerror(errno);
	EXPECT_NE(access_acl_of(lf), second);
	EXPECT_EQ(access_acl_of(mf), access_acl_of(lf));
	ASSERT_EQ(removexattr(mf.c_str(), "system.posix_acl_access"), 0) << strerror(errno);
	EXPECT_EQ(access_acl_of(mf), "errno " + std::to_string(ENODATA));
}

/*
 * Over an idmapped lower mount, an ACL read through the mount names its
 * users as that mount shows them: a named user 1000 on disk is named
 * 2000 where the kernel maps ACLs through idmapped mounts (6.12).
 */
TEST_F(IdmappedLower, AnAclOverAnIdmappedLowerMountNamesTheMappedUsers)
{
	std::string file = lower_ + "/acl";
	spit(file, "x");
	std::string on_disk = access_acl(1000);
	ASSERT_EQ(setxattr(file.c_str(), "system.posix_acl_access", on_disk.data(), on_disk.size(), 0),
		  0) << strerror(errno);
	ASSERT_NO_FATAL_FAILURE(mount_over_idmapped());
	std::string shown = access_acl_of(base_ + "/idmapped/acl");
	EXPECT_TRUE(shown == access_acl(2000) || shown == access_acl(1000)) << "the premise";
	EXPECT_EQ(access_acl_of(mnt_ + "/acl"), shown);
}

/*
 * A scan of the filesystem through an idmapped lower mount: ext4's walks
 * its inode bitmaps, XFS refuses its bulk stat through such a mount,
 * which the scan says with EOPNOTSUPP, not as a bad argument (EINVAL).
 */
TEST_F(IdmappedLower, AScanOverAnIdmappedLowerMountWorksOnExt4AndIsUnsupportedOnXfs)
{
	spit(lower_ + "/f", "x");
	ASSERT_NO_FATAL_FAILURE(mount_over_idmapped());
	struct statfs sfs = {};
	ASSERT_EQ(statfs(lower_.c_str(), &sfs), 0) << strerror(errno);
	char info[] = "dmapi-vm-test idmapped scan";
	dm_sessid_t sid = DM_NO_SESSION;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid));
	void *fsh = nullptr;
	size_t fshlen = 0;
	EXPECT_DM_OK(dm_path_to_fshandle(const_cast<char *>(mnt_.c_str()), &fsh, &fshlen));
	dm_attrloc_t loc = 0;
	EXPECT_DM_OK(dm_init_attrloc(sid, fsh, fshlen, DM_NO_TOKEN, &loc));
	std::vector<char> buf(1 << 16);
	size_t rlen = 0;
	errno = 0;
	int rc = dm_get_bulkattr(sid, fsh, fshlen, DM_NO_TOKEN, DM_AT_STAT, &loc, buf.size(),
				 buf.data(), &rlen);
	int err = errno;
	if (sfs.f_type == 0x58465342) {	/* XFS_SUPER_MAGIC */
		EXPECT_EQ(rc, -1);
		EXPECT_EQ(err, EOPNOTSUPP) << strerror(err);
	} else {
		EXPECT_GE(rc, 0) << strerror(err);
		EXPECT_GT(rlen, 0u);
	}
	dm_handle_free(fsh, fshlen);
	EXPECT_DM_OK(dm_destroy_session(sid));
}

/*
 * overlayfs may stack on the mount, as on any filesystem: a file opened
 * through it is ours underneath (6.1 hands our open its own path).
 */
TEST_F(DmapiMount, AFileReadThroughOverlayfsStackedOnTheMountHasItsData)
{
	spit(mnt_ + "/below", "stacked");
	std::string merged = overlay_over(mnt_, base_);
	if (merged.empty())
		GTEST_SKIP() << "no overlayfs over the mount: " << strerror(errno);
	EXPECT_EQ(slurp(merged + "/below"), "stacked");
	int fd = open((merged + "/below").c_str(), O_RDONLY);
	EXPECT_GE(fd, 0) << strerror(errno);
	if (fd >= 0) {
		void *map = mmap(nullptr, 7, PROT_READ, MAP_SHARED, fd, 0);
		EXPECT_NE(map, MAP_FAILED) << strerror(errno);
		if (map != MAP_FAILED) {
			EXPECT_EQ(std::string(static_cast<char *>(map), 7), "stacked");
			munmap(map, 7);
		}
		close(fd);
	}
	/* A change copies the file up from ours. */
	std::ofstream(merged + "/below", std::ios::app) << "!";
	EXPECT_EQ(slurp(base_ + "/upper/below"), "stacked!");
	EXPECT_EQ(slurp(mnt_ + "/below"), "stacked");
	EXPECT_EQ(umount(merged.c_str()), 0) << strerror(errno);
}

/*
 * A filesystem stacked on ours (overlayfs) asks our inode for its ACL to
 * check a permission itself: that leaves no "no ACL" cached in our inode
 * for later reads of it through the mount.
 */
TEST_F(DmapiMount, AnAclCheckedByAFilesystemStackedOnTheMountIsStillRead)
{
	std::string file = mnt_ + "/acl", acl = access_acl(1001);
	spit(file, "x");
	ASSERT_EQ(setxattr(file.c_str(), "system.posix_acl_access", acl.data(), acl.size(), 0), 0)
		<< strerror(errno);
	std::string merged = overlay_over(mnt_, base_);
	if (merged.empty())
		GTEST_SKIP() << "no overlayfs over the mount: " << strerror(errno);
	/* Not the owner: the group class of the mode sends it to the ACL. */
	Child reader([m = merged + "/acl"] {
		if (setgid(1001) != 0 || setuid(1001) != 0)
			return 100;
		int fd = open(m.c_str(), O_RDONLY);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	});
	EXPECT_EQ(reader.wait(), 0) << "the named user's read through overlayfs";
	EXPECT_EQ(umount(merged.c_str()), 0) << strerror(errno);
	EXPECT_EQ(access_acl_of(file), acl);
}

/* A rename within one directory below the mount is seen through it. */
TEST_F(DmapiMount, ARenameWithinADirectoryBehindTheMountIsSeen)
{
	spit(mnt_ + "/a", "1");
	struct stat st;
	ASSERT_EQ(stat((mnt_ + "/a").c_str(), &st), 0);
	ASSERT_EQ(rename((lower_ + "/a").c_str(), (lower_ + "/c").c_str()), 0) << strerror(errno);
	EXPECT_EQ(stat((mnt_ + "/a").c_str(), &st), -1) << "the old name still stands";
	EXPECT_EQ(errno, ENOENT);
	EXPECT_EQ(slurp(mnt_ + "/c"), "1");
	spit(lower_ + "/a", "2");
	EXPECT_EQ(slurp(mnt_ + "/a"), "2") << "the old name opens the renamed file";
	EXPECT_EQ(unlink((mnt_ + "/a").c_str()), 0) << strerror(errno);
	EXPECT_EQ(slurp(mnt_ + "/c"), "1");
}

TEST_F(DmapiMount, ReservedXattrsAreInvisibleAndUntouchable)
{
	spit(lower_ + "/f", "x");
	std::string lf = lower_ + "/f", mf = mnt_ + "/f";
	ASSERT_EQ(setxattr(lf.c_str(), "trusted.dmapi.events", "e", 1, 0), 0);
	ASSERT_EQ(setxattr(lf.c_str(), "user.visible", "v", 1, 0), 0);
	char buf[256];
	errno = 0;
	EXPECT_EQ(getxattr(mf.c_str(), "trusted.dmapi.events", buf, sizeof(buf)), -1);
	EXPECT_EQ(errno, ENODATA);
	errno = 0;
	EXPECT_EQ(setxattr(mf.c_str(), "trusted.dmapi.events", "f", 1, 0), -1);
	EXPECT_EQ(errno, EPERM);
	errno = 0;
	EXPECT_EQ(setxattr(mf.c_str(), "trusted.dmapi.new", "f", 1, 0), -1);
	EXPECT_EQ(errno, EPERM);
	errno = 0;
	EXPECT_EQ(removexattr(mf.c_str(), "trusted.dmapi.events"), -1);
	EXPECT_EQ(errno, EPERM);
	/* Still there below, unchanged. */
	ASSERT_EQ(getxattr(lf.c_str(), "trusted.dmapi.events", buf, sizeof(buf)), 1);
	EXPECT_EQ(buf[0], 'e');

	ssize_t n = listxattr(mf.c_str(), buf, sizeof(buf));
	ASSERT_GT(n, 0);
	std::string names(buf, n);
	EXPECT_NE(names.find("user.visible"), std::string::npos);
	EXPECT_EQ(names.find("trusted.dmapi."), std::string::npos);
	/* The size asked with a NULL buffer is that of the filtered list. */
	EXPECT_EQ(listxattr(mf.c_str(), nullptr, 0), n);
	/* Too small a buffer: ERANGE, as below. */
	errno = 0;
	EXPECT_EQ(listxattr(mf.c_str(), buf, 3), -1);
	EXPECT_EQ(errno, ERANGE);
	/* Other trusted names pass through. */
	EXPECT_EQ(setxattr(mf.c_str(), "trusted.other", "o", 1, 0), 0);
	EXPECT_EQ(getxattr(lf.c_str(), "trusted.other", buf, sizeof(buf)), 1);
}

TEST_F(DmapiMount, RenameFlagsPassThrough)
{
	spit(mnt_ + "/a", "a");
	spit(mnt_ + "/b", "b");
	EXPECT_EQ(syscall(SYS_renameat2, AT_FDCWD, (mnt_ + "/a").c_str(), AT_FDCWD,
			  (mnt_ + "/b").c_str(), RENAME_NOREPLACE), -1);
	EXPECT_EQ(errno, EEXIST);
	EXPECT_EQ(syscall(SYS_renameat2, AT_FDCWD, (mnt_ + "/a").c_str(), AT_FDCWD,
			  (mnt_ + "/b").c_str(), RENAME_EXCHANGE), 0);
	EXPECT_EQ(slurp(mnt_ + "/a"), "b");
	EXPECT_EQ(slurp(lower_ + "/b"), "a");
	EXPECT_EQ(syscall(SYS_renameat2, AT_FDCWD, (mnt_ + "/a").c_str(), AT_FDCWD,
			  (mnt_ + "/b").c_str(), 0x80), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST_F(DmapiMount, ModuleStaysWhileMounted)
{
	errno = 0;
	EXPECT_EQ(syscall(SYS_delete_module, "dmapi", O_NONBLOCK), -1);
	EXPECT_EQ(errno, EWOULDBLOCK);
}

TEST_F(DmapiMount, OverMountingTheLowerTreeItself)
{
	/* One dmapi mount per lower filesystem: give up the fixture's. */
	ASSERT_EQ(umount(mnt_.c_str()), 0);
	mounted_ = false;
	spit(lower_ + "/f", "hidden below");
	ASSERT_EQ(mount(lower_.c_str(), lower_.c_str(), "dmapi", 0, nullptr), 0)
		<< strerror(errno);
	struct statfs sfs;
	ASSERT_EQ(statfs(lower_.c_str(), &sfs), 0);
	EXPECT_EQ(sfs.f_type, kDmapiMagic);
	EXPECT_EQ(slurp(lower_ + "/f"), "hidden below");
	spit(lower_ + "/g", "written through");
	EXPECT_EQ(umount(lower_.c_str()), 0);
	EXPECT_EQ(slurp(lower_ + "/g"), "written through");
}

TEST_F(DmapiMount, SecondMountOfTheSameFilesystemFailsEBUSY)
{
	/* Its handles would name objects of two mounts. */
	std::string other = base_ + "/other";
	fs::create_directories(lower_ + "/sub");
	fs::create_directories(other);
	errno = 0;
	EXPECT_EQ(mount((lower_ + "/sub").c_str(), other.c_str(), "dmapi", 0,
			nullptr), -1);
	EXPECT_EQ(errno, EBUSY);
	EXPECT_EQ(responder_->seen().size(), 1u) << "only the fixture's MOUNT";
}

TEST_F(DmapiMount, MtptOptionMustBeAbsoluteEINVAL)
{
	ASSERT_EQ(umount(mnt_.c_str()), 0);
	mounted_ = false;
	errno = 0;
	EXPECT_EQ(mount(lower_.c_str(), mnt_.c_str(), "dmapi", 0, "mtpt=rel"), -1);
	EXPECT_EQ(errno, EINVAL);
	errno = 0;
	EXPECT_EQ(mount(lower_.c_str(), mnt_.c_str(), "dmapi", 0, "bogus=1"), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST_F(DmapiMount, MtptOptionShowsInMountinfo)
{
	ASSERT_EQ(umount(mnt_.c_str()), 0);
	mounted_ = false;
	ASSERT_EQ(mount(lower_.c_str(), mnt_.c_str(), "dmapi", 0,
			("mtpt=" + mnt_).c_str()), 0) << strerror(errno);
	mounted_ = true;
	EXPECT_NE(slurp("/proc/self/mountinfo").find("mtpt=" + mnt_),
		  std::string::npos);
}

class Mounting : public ::testing::Test {};

TEST_F(Mounting, LowerWithoutHandlesIsRefusedEINVAL)
{
	fs::create_directories("/tmp/dmapi-mnt");
	errno = 0;
	EXPECT_EQ(mount("/proc", "/tmp/dmapi-mnt", "dmapi", 0, nullptr), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST_F(Mounting, DmapiOverDmapiIsRefusedEINVAL)
{
	struct statfs sfs;
	if (statfs("/mnt/scratch", &sfs) != 0)
		GTEST_SKIP() << "no scratch filesystem at /mnt/scratch";
	fs::create_directories("/mnt/scratch/stack/lower");
	fs::create_directories("/mnt/scratch/stack/one");
	fs::create_directories("/mnt/scratch/stack/two");
	MountResponder responder;
	ASSERT_EQ(mount("/mnt/scratch/stack/lower", "/mnt/scratch/stack/one",
			"dmapi", 0, nullptr), 0);
	errno = 0;
	EXPECT_EQ(mount("/mnt/scratch/stack/one", "/mnt/scratch/stack/two",
			"dmapi", 0, nullptr), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(umount("/mnt/scratch/stack/one"), 0);
	fs::remove_all("/mnt/scratch/stack");
}

TEST_F(Mounting, MissingLowerFailsENOENT)
{
	fs::create_directories("/tmp/dmapi-mnt");
	errno = 0;
	EXPECT_EQ(mount("/nonexistent/lower", "/tmp/dmapi-mnt", "dmapi", 0,
			nullptr), -1);
	EXPECT_EQ(errno, ENOENT);
}

TEST_F(Mounting, LowerMustBeADirectory)
{
	struct statfs sfs;
	if (statfs("/mnt/scratch", &sfs) != 0)
		GTEST_SKIP() << "no scratch filesystem at /mnt/scratch";
	spit("/mnt/scratch/not-a-dir", "x");
	fs::create_directories("/tmp/dmapi-mnt");
	errno = 0;
	EXPECT_EQ(mount("/mnt/scratch/not-a-dir", "/tmp/dmapi-mnt", "dmapi", 0,
			nullptr), -1);
	EXPECT_EQ(errno, ENOTDIR);
	unlink("/mnt/scratch/not-a-dir");
}

} // namespace
