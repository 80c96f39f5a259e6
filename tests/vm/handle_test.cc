// SPDX-License-Identifier: GPL-2.0
/*
 * Handles of the objects of a dmapi mount: dm_path_to_handle,
 * dm_path_to_fshandle, dm_fd_to_handle, dm_handle_to_path,
 * dm_open_by_handle, and dm_get_config by handle.  Needs the scratch
 * filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "dmtest.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>
#include <thread>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

class Handles : public DmapiMountTest {
protected:
	void populate() override
	{
		std::filesystem::create_directories(lower_ + "/dir");
		spit(lower_ + "/dir/file", "contents");
	}

	std::string path(const std::string &rel) { return mnt_ + "/" + rel; }

	void handle_of(const std::string &rel, Handle &h)
	{
		std::string p = path(rel);
		ASSERT_DM_OK(dm_path_to_handle(p.data(), &h.hanp, &h.hlen));
	}

	/*
	 * Make directory `name` in the one open at fd and open it (O_PATH):
	 * paths too long for one call are made a level at a time.
	 */
	static int mkdir_and_open(int fd, const std::string &name)
	{
		if (mkdirat(fd, name.c_str(), 0755) != 0)
			return -1;
		return openat(fd, name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	}

	/* The handles of the directory open at fd and of a new file in it. */
	static void handles_of_a_new_file(int fd, const std::string &name, Handle &dir,
					  Handle &target)
	{
		int file = openat(fd, name.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		ASSERT_GE(file, 0) << strerror(errno);
		EXPECT_DM_OK(dm_fd_to_handle(fd, &dir.hanp, &dir.hlen));
		EXPECT_DM_OK(dm_fd_to_handle(file, &target.hanp, &target.hlen));
		close(file);
	}

};

TEST_F(Handles, ObjectHandleNamesInodeAndGeneration)
{
	Handle h, fsh;
	handle_of("dir/file", h);
	EXPECT_EQ(h.hlen, 24u);
	EXPECT_EQ(dm_handle_is_valid(h.hanp, h.hlen), DM_TRUE);
	struct stat st;
	ASSERT_EQ(stat(path("dir/file").c_str(), &st), 0);
	dm_ino_t ino;
	ASSERT_DM_OK(dm_handle_to_ino(h.hanp, h.hlen, &ino));
	EXPECT_EQ(ino, st.st_ino);

	std::string root = mnt_;
	ASSERT_DM_OK(dm_path_to_fshandle(root.data(), &fsh.hanp, &fsh.hlen));
	EXPECT_EQ(fsh.hlen, 8u);
	dm_fsid_t a, b;
	ASSERT_DM_OK(dm_handle_to_fsid(h.hanp, h.hlen, &a));
	ASSERT_DM_OK(dm_handle_to_fsid(fsh.hanp, fsh.hlen, &b));
	EXPECT_EQ(a, b);
	EXPECT_NE(a, 0u);
}

TEST_F(Handles, FdAndPathGiveTheSameHandle)
{
	Handle byPath, byFd;
	handle_of("dir/file", byPath);
	int fd = open(path("dir/file").c_str(), O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_DM_OK(dm_fd_to_handle(fd, &byFd.hanp, &byFd.hlen));
	close(fd);
	EXPECT_EQ(dm_handle_cmp(byPath.hanp, byPath.hlen, byFd.hanp, byFd.hlen), 0);
}

TEST_F(Handles, HandlesPersistAcrossRemount)
{
	Handle before, after;
	handle_of("dir/file", before);
	remount();
	handle_of("dir/file", after);
	EXPECT_EQ(dm_handle_cmp(before.hanp, before.hlen, after.hanp, after.hlen), 0);
	/* And still open the object after the remount. */
	int fd = dm_open_by_handle(before.hanp, before.hlen, O_RDONLY);
	ASSERT_GE(fd, 0) << strerror(errno);
	char buf[16] = {};
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 8);
	EXPECT_STREQ(buf, "contents");
	close(fd);
}

TEST_F(Handles, SymlinkHasItsOwnHandle)
{
	ASSERT_EQ(symlink("dir/file", path("link").c_str()), 0);
	Handle link;
	handle_of("link", link);
	struct stat st;
	ASSERT_EQ(lstat(path("link").c_str(), &st), 0);
	dm_ino_t ino;
	ASSERT_DM_OK(dm_handle_to_ino(link.hanp, link.hlen, &ino));
	EXPECT_EQ(ino, st.st_ino);
}

TEST_F(Handles, ObjectsOutsideADmapiMountHaveNoHandleEINVAL)
{
	Handle h;
	std::string lower = lower_ + "/dir/file";
	EXPECT_DM_ERRNO(dm_path_to_handle(lower.data(), &h.hanp, &h.hlen), EINVAL);
	char proc[] = "/proc/self";
	EXPECT_DM_ERRNO(dm_path_to_fshandle(proc, &h.hanp, &h.hlen), EINVAL);
	int fd = open("/proc/self/status", O_RDONLY);
	EXPECT_DM_ERRNO(dm_fd_to_handle(fd, &h.hanp, &h.hlen), EINVAL);
	close(fd);
}

/* What open(2) refuses, by the kind of the object. */
TEST_F(Handles, OpenByHandleRefusesWhatOpenRefuses)
{
	ASSERT_EQ(symlink("dir/file", path("link").c_str()), 0) << strerror(errno);
	Handle link, dir, file;
	handle_of("link", link);
	handle_of("dir", dir);
	handle_of("dir/file", file);
	EXPECT_DM_ERRNO(dm_open_by_handle(link.hanp, link.hlen, O_RDONLY), ELOOP);
	EXPECT_DM_ERRNO(dm_open_by_handle(dir.hanp, dir.hlen, O_RDWR), EISDIR);
	EXPECT_DM_ERRNO(dm_open_by_handle(dir.hanp, dir.hlen, O_WRONLY), EISDIR);
	EXPECT_DM_ERRNO(dm_open_by_handle(file.hanp, file.hlen, O_RDONLY | O_DIRECTORY),
			ENOTDIR);
	int fd = dm_open_by_handle(dir.hanp, dir.hlen, O_RDONLY | O_DIRECTORY);
	EXPECT_GE(fd, 0) << strerror(errno);
	close(fd);
}

/*
 * With O_PATH, as with open(2): the place of any kind of object, without
 * its own open.  A FIFO with no writer would block a reading open; a
 * symbolic link has a place too.
 */
TEST_F(Handles, OpenByHandleWithOPathOpensTheObjectsPlaceOnly)
{
	ASSERT_EQ(mkfifo(path("fifo").c_str(), 0600), 0) << strerror(errno);
	ASSERT_EQ(symlink("dir/file", path("link").c_str()), 0) << strerror(errno);
	Handle fifo, link, file;
	handle_of("fifo", fifo);
	handle_of("link", link);
	handle_of("dir/file", file);
	int rc = in_child([&] {
		alarm(20);	/* a blocking open fails the test, not the suite */
		int fd = dm_open_by_handle(fifo.hanp, fifo.hlen, O_RDONLY | O_PATH);
		if (fd < 0)
			return errno;
		bool place = (fcntl(fd, F_GETFL) & O_PATH) != 0;
		char buf[1];
		bool unreadable = read(fd, buf, 1) < 0 && errno == EBADF;
		close(fd);
		return place && unreadable ? 0 : 100;
	});
	EXPECT_EQ(rc, 0) << "100: not an O_PATH descriptor; 142: the FIFO's open blocked";
	/* O_NOFOLLOW, as open(2) is given it for a link's place: ignored. */
	int fd = dm_open_by_handle(link.hanp, link.hlen, O_PATH | O_NOFOLLOW);
	EXPECT_GE(fd, 0) << strerror(errno);
	struct stat st = {};
	EXPECT_EQ(fstat(fd, &st), 0);
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	close(fd);
	EXPECT_DM_ERRNO(dm_open_by_handle(file.hanp, file.hlen, O_PATH | O_DIRECTORY), ENOTDIR);
}

/* A DM application is held to the permission of the object, as by open(2). */
TEST_F(Handles, OpenByHandleWithoutPermissionEACCES)
{
	ASSERT_EQ(chmod(path("dir/file").c_str(), 0), 0) << strerror(errno);
	Handle file;
	handle_of("dir/file", file);
	int rc = in_child([&] {
		if (drop_capability(CAP_DAC_OVERRIDE) || drop_capability(CAP_DAC_READ_SEARCH))
			return 100;
		int fd = dm_open_by_handle(file.hanp, file.hlen, O_RDONLY);
		if (fd >= 0)
			return 101;
		return errno;
	});
	EXPECT_EQ(rc, EACCES) << "100: dropping the capabilities failed, 101: it opened";
}

/* Nobody writes an immutable file, by handle either. */
TEST_F(Handles, OpenByHandleForWritingOfAnImmutableFileEPERM)
{
	Handle h;
	handle_of("dir/file", h);
	InodeFlag immutable(lower_ + "/dir/file", FS_IMMUTABLE_FL);
	ASSERT_EQ(immutable.error(), 0) << strerror(immutable.error());
	EXPECT_DM_ERRNO(dm_open_by_handle(h.hanp, h.hlen, O_RDWR), EPERM);
	EXPECT_DM_ERRNO(dm_open_by_handle(h.hanp, h.hlen, O_WRONLY | O_APPEND), EPERM);
	int fd = dm_open_by_handle(h.hanp, h.hlen, O_RDONLY);
	EXPECT_GE(fd, 0) << strerror(errno);
	close(fd);
}

/* An append-only file opens for writing only to append. */
TEST_F(Handles, OpenByHandleOfAnAppendOnlyFileOnlyAppends)
{
	Handle h;
	handle_of("dir/file", h);
	InodeFlag append_only(lower_ + "/dir/file", FS_APPEND_FL);
	ASSERT_EQ(append_only.error(), 0) << strerror(append_only.error());
	EXPECT_DM_ERRNO(dm_open_by_handle(h.hanp, h.hlen, O_RDWR), EPERM);
	EXPECT_DM_ERRNO(dm_open_by_handle(h.hanp, h.hlen, O_WRONLY), EPERM);
	int fd = dm_open_by_handle(h.hanp, h.hlen, O_WRONLY | O_APPEND);
	ASSERT_GE(fd, 0) << strerror(errno);
	EXPECT_EQ(pwrite(fd, "+", 1, 0), 1) << strerror(errno);
	close(fd);
	std::ifstream in(lower_ + "/dir/file");
	std::string s;
	in >> s;
	EXPECT_EQ(s, "contents+");
}

/* The two calls that take a path fail alike for what is wrong with it. */
struct PathCall {
	const char *name;
	int (*call)(char *path, void **hanpp, size_t *hlenp);
};

const PathCall kPathCalls[] = {
	{"dm_path_to_handle", dm_path_to_handle},
	{"dm_path_to_fshandle", dm_path_to_fshandle},
};

TEST_F(Handles, PathErrors)
{
	std::string missing = path("missing"), p = path("dir/file");
	for (const auto &c : kPathCalls) {
		SCOPED_TRACE(c.name);
		Handle h;
		EXPECT_DM_ERRNO(c.call(missing.data(), &h.hanp, &h.hlen), ENOENT);
		EXPECT_DM_ERRNO(c.call(nullptr, &h.hanp, &h.hlen), EFAULT);
		EXPECT_DM_ERRNO(c.call(p.data(), nullptr, &h.hlen), EFAULT);
		EXPECT_DM_ERRNO(c.call(p.data(), &h.hanp, nullptr), EFAULT);
		EXPECT_EQ(h.hanp, nullptr);
	}
}

TEST_F(Handles, FdToHandleErrors)
{
	Handle h;
	EXPECT_DM_ERRNO(dm_fd_to_handle(-1, &h.hanp, &h.hlen), EBADF);
	EXPECT_DM_ERRNO(dm_fd_to_handle(12345, &h.hanp, &h.hlen), EBADF);
	int fd = open(path("dir/file").c_str(), O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0) << strerror(errno);
	EXPECT_DM_ERRNO(dm_fd_to_handle(fd, nullptr, &h.hlen), EFAULT);
	EXPECT_DM_ERRNO(dm_fd_to_handle(fd, &h.hanp, nullptr), EFAULT);
	close(fd);
	EXPECT_EQ(h.hanp, nullptr);
}

/* dm_path_to_handle() opens its path: it fails as open(2) of it does. */
TEST_F(Handles, PathToHandleFailsAsOpenOfThePath)
{
	std::string through_file = path("dir/file/x");
	ASSERT_EQ(symlink("loop", path("loop").c_str()), 0) << strerror(errno);
	std::string through_loop = path("loop/x"), loop = path("loop");
	std::string too_long = path(std::string(NAME_MAX + 1, 'n'));
	for (const auto &c : kPathCalls) {
		SCOPED_TRACE(c.name);
		Handle h;
		EXPECT_DM_ERRNO(c.call(through_file.data(), &h.hanp, &h.hlen), ENOTDIR);
		EXPECT_DM_ERRNO(c.call(through_loop.data(), &h.hanp, &h.hlen), ELOOP);
		EXPECT_DM_ERRNO(c.call(too_long.data(), &h.hanp, &h.hlen), ENAMETOOLONG);
		EXPECT_EQ(h.hanp, nullptr);
	}
	/* A final link is an object; a filesystem's handle follows it. */
	Handle h;
	EXPECT_DM_ERRNO(dm_path_to_fshandle(loop.data(), &h.hanp, &h.hlen), ELOOP);
}

TEST_F(Handles, PathToHandleThroughADirectoryWithoutSearchPermissionEACCES)
{
	ASSERT_EQ(chmod(path("dir").c_str(), 0), 0) << strerror(errno);
	std::string file = path("dir/file");
	for (const auto &c : kPathCalls) {
		SCOPED_TRACE(c.name);
		int rc = in_child([&] {
			if (drop_capability(CAP_DAC_OVERRIDE) ||
			    drop_capability(CAP_DAC_READ_SEARCH))
				return 100;
			Handle h;
			if (c.call(file.data(), &h.hanp, &h.hlen) == 0)
				return 101;
			return errno;
		});
		EXPECT_EQ(rc, EACCES) << "100: dropping the capabilities failed, 101: it worked";
	}
}

TEST_F(Handles, OpenByHandleBeyondTheLimitOfOpenFilesEMFILE)
{
	Handle h;
	handle_of("dir/file", h);
	int rc = in_child([&] {
		/* The device is open already: the limit binds the object's file. */
		int fd = dm_open_by_handle(h.hanp, h.hlen, O_RDONLY);
		if (fd < 0)
			return 101;
		struct rlimit limit = {static_cast<rlim_t>(fd), static_cast<rlim_t>(fd)};
		close(fd);
		if (setrlimit(RLIMIT_NOFILE, &limit))
			return 102;
		if (dm_open_by_handle(h.hanp, h.hlen, O_RDONLY) >= 0)
			return 103;
		return errno;
	});
	EXPECT_EQ(rc, EMFILE) << "101: the first open failed, 103: it opened beyond the limit";
}

/* As open(2): O_NOATIME only for the owner or a holder of CAP_FOWNER. */
TEST_F(Handles, OpenByHandleWithNoatimeOfAnotherUsersFileWithoutCapFownerEPERM)
{
	ASSERT_EQ(chown(path("dir/file").c_str(), 4242, 4242), 0) << strerror(errno);
	Handle h;
	handle_of("dir/file", h);
	int rc = in_child([&] {
		if (drop_capability(CAP_FOWNER))
			return 100;
		int fd = dm_open_by_handle(h.hanp, h.hlen, O_RDONLY);
		if (fd < 0)
			return 101;
		close(fd);
		fd = dm_open_by_handle(h.hanp, h.hlen, O_RDONLY | O_NOATIME);
		if (fd >= 0)
			return 102;
		return errno;
	});
	EXPECT_EQ(rc, EPERM) << "101: it did not open without O_NOATIME, 102: it opened with it";
	int fd = dm_open_by_handle(h.hanp, h.hlen, O_RDONLY | O_NOATIME);
	EXPECT_GE(fd, 0) << "with CAP_FOWNER: " << strerror(errno);
	if (fd >= 0)
		close(fd);
}

TEST_F(Handles, OpenByHandleReadsAndWritesTheObjectInvisibly)
{
	Handle h;
	handle_of("dir/file", h);
	int fd = dm_open_by_handle(h.hanp, h.hlen, O_RDWR);
	ASSERT_GE(fd, 0) << strerror(errno);
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	EXPECT_EQ(pwrite(fd, "CON", 3, 0), 3);
	close(fd);
	std::ifstream in(path("dir/file"));
	std::string s;
	in >> s;
	EXPECT_EQ(s, "CONtents");
	/* The descriptor flags asked for are honoured. */
	fd = dm_open_by_handle(h.hanp, h.hlen, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0) << strerror(errno);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
}

TEST_F(Handles, RemovedObjectFailsEBADF)
{
	Handle h;
	handle_of("dir/file", h);
	/* Removed while still open: gone for DMAPI all the same. */
	int held = open(path("dir/file").c_str(), O_RDONLY);
	ASSERT_EQ(unlink(path("dir/file").c_str()), 0);
	EXPECT_DM_ERRNO(dm_open_by_handle(h.hanp, h.hlen, O_RDONLY), EBADF);
	close(held);
	EXPECT_DM_ERRNO(dm_open_by_handle(h.hanp, h.hlen, O_RDONLY), EBADF);
	dm_size_t v;
	EXPECT_DM_ERRNO(dm_get_config(h.hanp, h.hlen, DM_CONFIG_PENDING, &v), EBADF);
}

TEST_F(Handles, WrongGenerationOrForgedFsidFailsEBADF)
{
	Handle h;
	handle_of("dir/file", h);
	dm_fsid_t fsid;
	dm_ino_t ino;
	dm_igen_t igen;
	ASSERT_DM_OK(dm_handle_to_fsid(h.hanp, h.hlen, &fsid));
	ASSERT_DM_OK(dm_handle_to_ino(h.hanp, h.hlen, &ino));
	ASSERT_DM_OK(dm_handle_to_igen(h.hanp, h.hlen, &igen));

	Handle wrong_gen, forged_fsid, no_such_ino;
	dm_igen_t other_gen = igen + 1;
	ASSERT_DM_OK(dm_make_handle(&fsid, &ino, &other_gen, &wrong_gen.hanp, &wrong_gen.hlen));
	EXPECT_DM_ERRNO(dm_open_by_handle(wrong_gen.hanp, wrong_gen.hlen, O_RDONLY), EBADF);
	dm_fsid_t other_fsid = fsid ^ 0x5a5a5a5a5a5a5a5aULL;
	ASSERT_DM_OK(dm_make_handle(&other_fsid, &ino, &igen, &forged_fsid.hanp, &forged_fsid.hlen));
	EXPECT_DM_ERRNO(dm_open_by_handle(forged_fsid.hanp, forged_fsid.hlen, O_RDONLY), EBADF);
	dm_ino_t huge = 0x7fffffffULL;
	ASSERT_DM_OK(dm_make_handle(&fsid, &huge, &igen, &no_such_ino.hanp, &no_such_ino.hlen));
	EXPECT_DM_ERRNO(dm_open_by_handle(no_such_ino.hanp, no_such_ino.hlen, O_RDONLY), EBADF);
}

/*
 * An inode number with high bits set names nothing, even when its low bits
 * are those of an object in the lower filesystem's inode cache.  XFS takes
 * only 32 bits of an inode number's allocation group part: given such a
 * number for a cached inode, its lookup retried forever (found by the
 * fuzzer, on 6.1).
 */
TEST_F(Handles, InodeNumbersWithHighBitsFailEBADF)
{
	Handle h;
	handle_of("dir", h);
	dm_fsid_t fsid;
	dm_ino_t ino;
	dm_igen_t igen;
	ASSERT_DM_OK(dm_handle_to_fsid(h.hanp, h.hlen, &fsid));
	ASSERT_DM_OK(dm_handle_to_ino(h.hanp, h.hlen, &ino));
	ASSERT_DM_OK(dm_handle_to_igen(h.hanp, h.hlen, &igen));
	for (int bit = 32; bit < 64; bit++) {
		dm_ino_t forged = ino | 1ULL << bit;
		if (forged == ino)
			continue;
		Handle f;
		ASSERT_DM_OK(dm_make_handle(&fsid, &forged, &igen, &f.hanp, &f.hlen));
		SCOPED_TRACE("inode number bit " + std::to_string(bit));
		EXPECT_DM_ERRNO(dm_open_by_handle(f.hanp, f.hlen, O_RDONLY), EBADF);
	}
}

TEST_F(Handles, ObjectOutsideTheMountedTreeIsNeverReached)
{
	/* A sibling of the lower tree, on the same filesystem. */
	spit(base_ + "/outside", "secret");
	struct stat st;
	ASSERT_EQ(stat((base_ + "/outside").c_str(), &st), 0);
	Handle inside, outside;
	handle_of("dir/file", inside);
	dm_fsid_t fsid;
	ASSERT_DM_OK(dm_handle_to_fsid(inside.hanp, inside.hlen, &fsid));
	dm_ino_t ino = st.st_ino;
	dm_igen_t igen = 0;
	/* Try every plausible generation: none may open the outsider. */
	for (igen = 0; igen < 64; igen++) {
		Handle h;
		ASSERT_DM_OK(dm_make_handle(&fsid, &ino, &igen, &h.hanp, &h.hlen));
		int fd = dm_open_by_handle(h.hanp, h.hlen, O_RDONLY);
		EXPECT_EQ(fd, -1) << "opened an object outside the mount, gen " << igen;
		if (fd >= 0)
			close(fd);
	}
}

TEST_F(Handles, MalformedHandlesFailEINVAL)
{
	char junk[5] = {};
	EXPECT_DM_ERRNO(dm_open_by_handle(junk, sizeof(junk), O_RDONLY), EINVAL);
	Handle fsh;
	std::string root = mnt_;
	ASSERT_DM_OK(dm_path_to_fshandle(root.data(), &fsh.hanp, &fsh.hlen));
	EXPECT_DM_ERRNO(dm_open_by_handle(fsh.hanp, fsh.hlen, O_RDONLY), EINVAL);
	EXPECT_DM_ERRNO(dm_open_by_handle(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, O_RDONLY), EINVAL);
	Handle h;
	handle_of("dir/file", h);
	EXPECT_DM_ERRNO(dm_open_by_handle(h.hanp, h.hlen, O_RDONLY | O_CREAT), EINVAL);
}

TEST_F(Handles, HandleToPathGivesThePathInTheMount)
{
	Handle dir, file;
	handle_of("dir", dir);
	handle_of("dir/file", file);
	char buf[4096];
	size_t rlen = 0;
	ASSERT_DM_OK(dm_handle_to_path(dir.hanp, dir.hlen, file.hanp, file.hlen,
				       sizeof(buf), buf, &rlen));
	EXPECT_EQ(std::string(buf), mnt_ + "/dir/file");
	EXPECT_EQ(rlen, mnt_.size() + strlen("/dir/file") + 1);

	Handle root;
	std::string r = mnt_;
	ASSERT_DM_OK(dm_path_to_handle(r.data(), &root.hanp, &root.hlen));
	ASSERT_DM_OK(dm_handle_to_path(root.hanp, root.hlen, dir.hanp, dir.hlen,
				       sizeof(buf), buf, &rlen));
	EXPECT_EQ(std::string(buf), mnt_ + "/dir");
}

/* The directory itself and its parent are its "." and "..", as on SGI's. */
TEST_F(Handles, HandleToPathOfTheDirectoryItselfOrItsParentGivesTheirPaths)
{
	Handle dir, root;
	handle_of("dir", dir);
	std::string r = mnt_;
	ASSERT_DM_OK(dm_path_to_handle(r.data(), &root.hanp, &root.hlen));
	char buf[4096];
	size_t rlen = 0;
	ASSERT_DM_OK(dm_handle_to_path(dir.hanp, dir.hlen, dir.hanp, dir.hlen, sizeof(buf), buf,
				       &rlen));
	EXPECT_EQ(std::string(buf), mnt_ + "/dir");
	EXPECT_EQ(rlen, mnt_.size() + strlen("/dir") + 1);
	ASSERT_DM_OK(dm_handle_to_path(dir.hanp, dir.hlen, root.hanp, root.hlen, sizeof(buf), buf,
				       &rlen));
	EXPECT_EQ(std::string(buf), mnt_);
	ASSERT_DM_OK(dm_handle_to_path(root.hanp, root.hlen, root.hanp, root.hlen, sizeof(buf),
				       buf, &rlen));
	EXPECT_EQ(std::string(buf), mnt_);
	EXPECT_EQ(rlen, mnt_.size() + 1);
}

/* A filesystem's handle follows a final symbolic link, as SGI's did. */
TEST_F(Handles, PathToFshandleFollowsAFinalSymlink)
{
	std::string link = base_ + "/link-to-mount";
	ASSERT_EQ(symlink(mnt_.c_str(), link.c_str()), 0) << strerror(errno);
	Handle by_link, by_mount;
	std::string m = mnt_;
	ASSERT_DM_OK(dm_path_to_fshandle(m.data(), &by_mount.hanp, &by_mount.hlen));
	EXPECT_DM_OK(dm_path_to_fshandle(link.data(), &by_link.hanp, &by_link.hlen));
	EXPECT_EQ(dm_handle_cmp(by_link.hanp, by_link.hlen, by_mount.hanp, by_mount.hlen), 0);
	/* An object's handle does not: the link is outside the mount. */
	Handle object;
	EXPECT_DM_ERRNO(dm_path_to_handle(link.data(), &object.hanp, &object.hlen), EINVAL);
}

TEST_F(Handles, HandleToPathErrors)
{
	Handle dir, file, root;
	handle_of("dir", dir);
	handle_of("dir/file", file);
	std::string r = mnt_;
	ASSERT_DM_OK(dm_path_to_handle(r.data(), &root.hanp, &root.hlen));
	char small[4];
	size_t rlen = 0;
	EXPECT_DM_ERRNO(dm_handle_to_path(dir.hanp, dir.hlen, file.hanp, file.hlen,
					  sizeof(small), small, &rlen), E2BIG);
	EXPECT_EQ(rlen, mnt_.size() + strlen("/dir/file") + 1);
	char buf[4096];
	/* The target is not an entry of that directory. */
	EXPECT_DM_ERRNO(dm_handle_to_path(root.hanp, root.hlen, file.hanp, file.hlen,
					  sizeof(buf), buf, &rlen), EBADF);
	/* The "directory" is a file. */
	EXPECT_DM_ERRNO(dm_handle_to_path(file.hanp, file.hlen, file.hanp, file.hlen,
					  sizeof(buf), buf, &rlen), EINVAL);
	EXPECT_DM_ERRNO(dm_handle_to_path(dir.hanp, dir.hlen, file.hanp, file.hlen,
					  sizeof(buf), buf, nullptr), EFAULT);
}

/* A buffer that cannot be written fails EFAULT, as a kernel's store would. */
TEST_F(Handles, HandleToPathIntoAReadOnlyBufferEFAULT)
{
	Handle dir, file;
	handle_of("dir", dir);
	handle_of("dir/file", file);
	void *page = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(page, MAP_FAILED);
	size_t rlen = 0;
	EXPECT_DM_ERRNO(dm_handle_to_path(dir.hanp, dir.hlen, file.hanp, file.hlen, 4096,
					  static_cast<char *>(page), &rlen), EFAULT);
	EXPECT_EQ(rlen, mnt_.size() + strlen("/dir/file") + 1);
	munmap(page, 4096);
}

/*
 * The longest paths the module gives: a directory's path of nearly a
 * page, then the name.  Made and opened a level at a time, since their
 * paths in the mount are longer than PATH_MAX.
 */
TEST_F(Handles, HandleToPathOfAPathLongerThanAPage)
{
	const std::string level(250, 'd'), name(100, 'f');
	int fd = open(mnt_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(fd, 0) << strerror(errno);
	std::string rel;
	for (int i = 0; i < 16; i++) {
		int next = mkdir_and_open(fd, level);
		close(fd);
		ASSERT_GE(next, 0) << strerror(errno);
		fd = next;
		rel += "/" + level;
	}
	Handle dir, target;
	handles_of_a_new_file(fd, name, dir, target);
	close(fd);
	ASSERT_GT(rel.size() + 1 + name.size() + 1, 4096u) << "not longer than a page";

	std::string want = mnt_ + rel + "/" + name;
	std::vector<char> buf(want.size() + 1);
	size_t rlen = 0;
	ASSERT_DM_OK(dm_handle_to_path(dir.hanp, dir.hlen, target.hanp, target.hlen,
				       buf.size(), buf.data(), &rlen));
	EXPECT_EQ(std::string(buf.data()), want);
	EXPECT_EQ(rlen, want.size() + 1);
	rlen = 0;
	EXPECT_DM_ERRNO(dm_handle_to_path(dir.hanp, dir.hlen, target.hanp, target.hlen,
					  buf.size() - 1, buf.data(), &rlen), E2BIG);
	EXPECT_EQ(rlen, want.size() + 1);
}

/*
 * The path of a directory below its filesystem's root must fit in a
 * page, its null byte with it; the name of the target is then added to
 * it.  Two directories at the edge: one whose path fills the page, one
 * whose path is a byte longer.
 */
TEST_F(Handles, HandleToPathInADirectoryWhosePathPassesAPageENAMETOOLONG)
{
	const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
	const std::string level(250, 'd');
	int fd = open(mnt_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(fd, 0) << strerror(errno);
	std::string rel;
	while (rel.size() + 1 + level.size() + 1 < page) {
		int next = mkdir_and_open(fd, level);
		close(fd);
		ASSERT_GE(next, 0) << strerror(errno);
		fd = next;
		rel += (rel.empty() ? "" : "/") + level;
	}
	/* The last component, its '/' and the null byte fill the page. */
	const size_t fits = page - rel.size() - 2;
	for (size_t len : {fits, fits + 1}) {
		SCOPED_TRACE("a directory path of " + std::to_string(rel.size() + 1 + len + 1) +
			     " bytes, its null byte with them");
		std::string last(len, len == fits ? 'x' : 'y');
		int dirfd = mkdir_and_open(fd, last);
		ASSERT_GE(dirfd, 0) << strerror(errno);
		Handle dir, target;
		handles_of_a_new_file(dirfd, "f", dir, target);
		close(dirfd);
		std::vector<char> buf(2 * page + mnt_.size());
		size_t rlen = 0;
		auto to_path = [&] {
			return dm_handle_to_path(dir.hanp, dir.hlen, target.hanp, target.hlen,
						 buf.size(), buf.data(), &rlen);
		};
		if (len == fits) {
			EXPECT_DM_OK(to_path());
			EXPECT_EQ(std::string(buf.data()), mnt_ + "/" + rel + "/" + last + "/f");
		} else {
			EXPECT_DM_ERRNO(to_path(), ENAMETOOLONG);
		}
	}
	close(fd);
}

TEST_F(Handles, HandleToPathOfAStaleHandleWhoseInodeNumberANewFileTookFailsEBADF)
{
	Handle dir, gone;
	handle_of("dir", dir);
	std::string old = mnt_ + "/dir/gone";
	spit(old, "x");
	handle_of("dir/gone", gone);
	struct stat st;
	ASSERT_EQ(stat(old.c_str(), &st), 0);
	ASSERT_EQ(unlink(old.c_str()), 0);
	/* Filesystems give a freed inode number out again, sooner or later. */
	bool taken = false;
	for (int i = 0; i < 100 && !taken; i++) {
		std::string p = mnt_ + "/dir/new" + std::to_string(i);
		spit(p, "y");
		struct stat ns;
		ASSERT_EQ(stat(p.c_str(), &ns), 0);
		taken = ns.st_ino == st.st_ino;
		if (!taken) {
			sync();
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
	}
	if (!taken)
		GTEST_SKIP() << "no new file took inode number " << st.st_ino;
	char buf[4096];
	size_t rlen = 0;
	EXPECT_DM_ERRNO(dm_handle_to_path(dir.hanp, dir.hlen, gone.hanp, gone.hlen,
					  sizeof(buf), buf, &rlen), EBADF);
}

TEST_F(Handles, GetConfigAcceptsHandlesOfTheMount)
{
	Handle fsh, file;
	std::string root = mnt_;
	ASSERT_DM_OK(dm_path_to_fshandle(root.data(), &fsh.hanp, &fsh.hlen));
	handle_of("dir/file", file);
	dm_size_t v = 0;
	EXPECT_DM_OK(dm_get_config(fsh.hanp, fsh.hlen, DM_CONFIG_MAX_HANDLE_SIZE, &v));
	EXPECT_EQ(v, 24u);
	EXPECT_DM_OK(dm_get_config(file.hanp, file.hlen, DM_CONFIG_PENDING, &v));
	EXPECT_EQ(v, 1u);
}

TEST_F(Handles, FilesystemHandleIsUnknownOnceUnmounted)
{
	Handle fsh;
	std::string root = mnt_;
	ASSERT_DM_OK(dm_path_to_fshandle(root.data(), &fsh.hanp, &fsh.hlen));
	ASSERT_EQ(umount(mnt_.c_str()), 0);
	mounted_ = false;
	dm_size_t v;
	EXPECT_DM_ERRNO(dm_get_config(fsh.hanp, fsh.hlen, DM_CONFIG_PENDING, &v), EBADF);
}

} // namespace
