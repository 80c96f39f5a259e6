// SPDX-License-Identifier: GPL-2.0
/*
 * Scans: dm_init_attrloc and dm_get_dirattrs report every entry of a
 * directory once, with its name, handle and attributes; dm_get_bulkattr
 * and dm_get_bulkall every object of the filesystem once, in ascending
 * inode number, the second with a DM attribute's value.  A cursor resumes
 * where the caller's buffer ended, even while entries come and go.  Needs
 * the scratch filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "event_mount.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/quota.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xdsm/dmapi_ioctl.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

constexpr int kFiles = 300;

class DirScan : public EventMountTest {
protected:
	DirScan() : EventMountTest("dirscan") {}

	void populate() override
	{
		fs::create_directory(lower("dir"));
		for (int i = 0; i < kFiles; i++)
			spit(lower("dir/f" + std::to_string(i)), std::to_string(i));
		fs::create_directory(lower("dir/sub"));
	}

	void SetUp() override
	{
		EventMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		ASSERT_NO_FATAL_FAILURE(handle_of("dir", dir_));
	}

	dm_attrloc_t start()
	{
		dm_attrloc_t loc = -1;
		EXPECT_DM_OK(dm_init_attrloc(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, &loc));
		return loc;
	}

	/*
	 * One call: its return value, with each record's name counted in seen
	 * and checked against its handle and size.
	 */
	int scan_once(dm_attrloc_t &loc, size_t buflen, std::map<std::string, int> &seen,
		      unsigned int mask = DM_AT_HANDLE | DM_AT_STAT)
	{
		std::vector<char> buf(buflen);
		size_t rlen = 0;
		int rc = dm_get_dirattrs(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, mask, &loc,
					 buf.size(), buf.data(), &rlen);
		if (rc < 0 || rlen == 0)
			return rc;
		EXPECT_LE(rlen, buflen);
		auto *st = reinterpret_cast<dm_stat_t *>(buf.data());
		while (st) {
			std::string name(DM_GET_VALUE(st, dt_compname, char *),
					 DM_GET_LEN(st, dt_compname) - 1);
			seen[name]++;
			if (mask & DM_AT_HANDLE)
				check_handle(st, name);
			st = DM_STEP_TO_NEXT(st, dm_stat_t *);
		}
		return rc;
	}

	void check_handle(dm_stat_t *st, const std::string &name)
	{
		Handle h;
		std::string p = path("dir/" + name);
		if (dm_path_to_handle(p.data(), &h.hanp, &h.hlen) != 0)
			return;	/* removed meanwhile */
		EXPECT_EQ(dm_handle_cmp(DM_GET_VALUE(st, dt_handle, void *),
					DM_GET_LEN(st, dt_handle), h.hanp, h.hlen), 0) << name;
	}

	/* Scan the whole directory with buffers of buflen bytes. */
	std::map<std::string, int> scan_all(size_t buflen, int *calls = nullptr)
	{
		std::map<std::string, int> seen;
		dm_attrloc_t loc = start();
		int rc, n = 0;
		while ((rc = scan_once(loc, buflen, seen)) == 1 && n < 100000)
			n++;
		EXPECT_EQ(rc, 0) << strerror(errno);
		if (calls)
			*calls = n + 1;
		return seen;
	}

	void expect_every_entry_once(const std::map<std::string, int> &seen)
	{
		EXPECT_EQ(seen.size(), kFiles + 1u);
		for (int i = 0; i < kFiles; i++) {
			auto it = seen.find("f" + std::to_string(i));
			EXPECT_TRUE(it != seen.end() && it->second == 1) << "f" << i;
		}
		EXPECT_EQ(seen.count("sub"), 1u);
	}

	Handle dir_;
};

TEST_F(DirScan, OneLargeBufferHoldsEveryEntryOnceAndReturnsZero)
{
	int calls = 0;
	auto seen = scan_all(1 << 20, &calls);
	expect_every_entry_once(seen);
	EXPECT_EQ(calls, 1);
	EXPECT_EQ(seen.count("."), 0u);
	EXPECT_EQ(seen.count(".."), 0u);
}

TEST_F(DirScan, SmallBuffersResumeWhereTheyEndedAndReturnOneUntilTheEnd)
{
	int calls = 0;
	auto seen = scan_all(700, &calls);
	expect_every_entry_once(seen);
	EXPECT_GT(calls, 50) << "a buffer of 700 bytes holds a few records";
}

TEST_F(DirScan, EntriesAddedAndRemovedDuringTheScanDisturbNoOther)
{
	std::map<std::string, int> seen;
	dm_attrloc_t loc = start();
	int rc, i = 0;
	while ((rc = scan_once(loc, 1000, seen)) == 1) {
		spit(path("dir/new" + std::to_string(i)), "n");
		if (i >= 2) {
			ASSERT_EQ(unlink(path("dir/new" + std::to_string(i - 2)).c_str()), 0);
		}
		i++;
	}
	ASSERT_EQ(rc, 0) << strerror(errno);
	for (int f = 0; f < kFiles; f++)
		EXPECT_EQ(seen["f" + std::to_string(f)], 1) << "f" << f;
	for (auto &[name, count] : seen)
		EXPECT_EQ(count, 1) << name << " reported twice";
}

TEST_F(DirScan, RecordsCarryTheAttributesOfTheirEntries)
{
	std::vector<char> buf(1 << 20);
	size_t rlen;
	dm_attrloc_t loc = start();
	ASSERT_EQ(dm_get_dirattrs(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
				  buf.size(), buf.data(), &rlen), 0);
	for (auto *st = reinterpret_cast<dm_stat_t *>(buf.data()); st;
	     st = DM_STEP_TO_NEXT(st, dm_stat_t *)) {
		std::string name(DM_GET_VALUE(st, dt_compname, char *));
		struct stat want;
		ASSERT_EQ(lstat(path("dir/" + name).c_str(), &want), 0);
		EXPECT_EQ(st->dt_ino, want.st_ino) << name;
		EXPECT_EQ(st->dt_mode, static_cast<dm_mode_t>(want.st_mode)) << name;
		EXPECT_EQ(st->dt_size, want.st_size) << name;
		EXPECT_EQ(DM_GET_LEN(st, dt_handle), 0u) << "no DM_AT_HANDLE, no handle";
	}
}

TEST_F(DirScan, TooSmallForOneRecordE2BIGWithItsSize)
{
	std::vector<char> buf(16);
	size_t rlen = 0;
	dm_attrloc_t loc = start();
	EXPECT_DM_ERRNO(dm_get_dirattrs(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					buf.size(), buf.data(), &rlen), E2BIG);
	ASSERT_GT(rlen, sizeof(dm_stat_t));
	buf.resize(rlen);
	EXPECT_GE(dm_get_dirattrs(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
				  buf.size(), buf.data(), &rlen), 0) << strerror(errno);
}

TEST_F(DirScan, EmptyDirectoryReturnsZeroAndNoRecords)
{
	Handle sub;
	ASSERT_NO_FATAL_FAILURE(handle_of("dir/sub", sub));
	dm_attrloc_t loc;
	ASSERT_DM_OK(dm_init_attrloc(sid_, sub.hanp, sub.hlen, DM_NO_TOKEN, &loc));
	std::vector<char> buf(4096);
	size_t rlen = 99;
	EXPECT_EQ(dm_get_dirattrs(sid_, sub.hanp, sub.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
				  buf.size(), buf.data(), &rlen), 0);
	EXPECT_EQ(rlen, 0u);
}

TEST_F(DirScan, FileHandleENOTDIR)
{
	Handle file;
	ASSERT_NO_FATAL_FAILURE(handle_of("dir/f1", file));
	dm_attrloc_t loc;
	EXPECT_DM_ERRNO(dm_init_attrloc(sid_, file.hanp, file.hlen, DM_NO_TOKEN, &loc), ENOTDIR);
	std::vector<char> buf(4096);
	size_t rlen;
	loc = 0;
	EXPECT_DM_ERRNO(dm_get_dirattrs(sid_, file.hanp, file.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					buf.size(), buf.data(), &rlen), ENOTDIR);
}

TEST_F(DirScan, FilesystemHandleEINVAL)
{
	std::vector<char> buf(4096);
	size_t rlen;
	dm_attrloc_t loc = 0;
	EXPECT_DM_ERRNO(dm_get_dirattrs(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					buf.size(), buf.data(), &rlen), EINVAL);
}

TEST_F(DirScan, UnknownMaskBitEINVAL)
{
	std::vector<char> buf(4096);
	size_t rlen;
	dm_attrloc_t loc = start();
	EXPECT_DM_ERRNO(dm_get_dirattrs(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, 0x4000, &loc,
					buf.size(), buf.data(), &rlen), EINVAL);
}

TEST_F(DirScan, NullPointersEFAULT)
{
	std::vector<char> buf(4096);
	size_t rlen;
	dm_attrloc_t loc = start();
	EXPECT_DM_ERRNO(dm_init_attrloc(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, nullptr), EFAULT);
	EXPECT_DM_ERRNO(dm_get_dirattrs(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, DM_AT_STAT,
					nullptr, buf.size(), buf.data(), &rlen), EFAULT);
	EXPECT_DM_ERRNO(dm_get_dirattrs(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					buf.size(), buf.data(), nullptr), EFAULT);
	EXPECT_DM_ERRNO(dm_get_dirattrs(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					buf.size(), nullptr, &rlen), EFAULT);
}

TEST_F(DirScan, NoSuchSessionEINVALAndTokenNotOutstandingESRCH)
{
	dm_attrloc_t loc;
	EXPECT_DM_ERRNO(dm_init_attrloc(kNoSuchSession, dir_.hanp, dir_.hlen, DM_NO_TOKEN, &loc),
			EINVAL);
	EXPECT_DM_ERRNO(dm_init_attrloc(sid_, dir_.hanp, dir_.hlen, kNotOutstanding, &loc), ESRCH);
}

TEST_F(DirScan, RemovedDirectoryEBADF)
{
	Handle sub;
	ASSERT_NO_FATAL_FAILURE(handle_of("dir/sub", sub));
	ASSERT_EQ(rmdir(path("dir/sub").c_str()), 0);
	dm_attrloc_t loc;
	EXPECT_DM_ERRNO(dm_init_attrloc(sid_, sub.hanp, sub.hlen, DM_NO_TOKEN, &loc), EBADF);
}

/* Filesystem scans */

class BulkScan : public DirScan {
protected:
	/* Every object of the tree: inode number to path. */
	std::map<ino_t, std::string> tree()
	{
		std::map<ino_t, std::string> objects;
		objects[inode_of(mnt_)] = mnt_;
		for (auto &e : fs::recursive_directory_iterator(mnt_))
			objects[inode_of(e.path())] = e.path().string();
		return objects;
	}

	static ino_t inode_of(const fs::path &p)
	{
		struct stat st = {};
		EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
		return st.st_ino;
	}

	/* A whole dm_get_bulkall() scan: the objects with the attribute name. */
	void bulkall_values(const dm_attrname_t &name, std::map<dm_ino_t, std::string> &with)
	{
		std::vector<char> buf(1 << 20);
		size_t rlen;
		dm_attrloc_t loc;
		dm_attrname_t n = name;
		ASSERT_DM_OK(dm_init_attrloc(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &loc));
		int rc;
		do {
			rc = dm_get_bulkall(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, DM_AT_STAT, &n,
					    &loc, buf.size(), buf.data(), &rlen);
			ASSERT_GE(rc, 0) << strerror(errno);
			for (auto *dx = reinterpret_cast<dm_xstat_t *>(buf.data()); rlen && dx;
			     dx = DM_STEP_TO_NEXT(&dx->dx_statinfo, dm_xstat_t *))
				if (DM_GET_LEN(dx, dx_attrdata))
					with[dx->dx_statinfo.dt_ino] =
						std::string(DM_GET_VALUE(dx, dx_attrdata, char *),
							    DM_GET_LEN(dx, dx_attrdata));
		} while (rc == 1);
	}

	/* The ioctl's own argument for a scan of the filesystem from its start. */
	dmapi_scan_arg ioctl_arg() const
	{
		dmapi_scan_arg arg = {};
		arg.sid = static_cast<std::int32_t>(sid_);
		arg.token = static_cast<std::int32_t>(DM_NO_TOKEN);
		arg.hanp = reinterpret_cast<std::uintptr_t>(fsh_.hanp);
		arg.hlen = fsh_.hlen;
		arg.mask = DMAPI_AT_STAT;
		return arg;
	}

	/* One dm_get_bulkattr call; the inode numbers of its records. */
	int bulk_once(dm_attrloc_t &loc, size_t buflen, std::vector<dm_ino_t> &inos)
	{
		std::vector<char> buf(buflen);
		size_t rlen = 0;
		int rc = dm_get_bulkattr(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN,
					 DM_AT_HANDLE | DM_AT_STAT, &loc, buf.size(), buf.data(),
					 &rlen);
		if (rc < 0 || rlen == 0)
			return rc;
		for (auto *st = reinterpret_cast<dm_stat_t *>(buf.data()); st;
		     st = DM_STEP_TO_NEXT(st, dm_stat_t *)) {
			inos.push_back(st->dt_ino);
			dm_ino_t hino = 0;
			EXPECT_DM_OK(dm_handle_to_ino(DM_GET_VALUE(st, dt_handle, void *),
						      DM_GET_LEN(st, dt_handle), &hino));
			EXPECT_EQ(hino, st->dt_ino);
		}
		return rc;
	}

	std::vector<dm_ino_t> bulk_all(size_t buflen)
	{
		std::vector<dm_ino_t> inos;
		dm_attrloc_t loc = -1;
		EXPECT_DM_OK(dm_init_attrloc(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &loc));
		int rc, calls = 0;
		while ((rc = bulk_once(loc, buflen, inos)) == 1 && ++calls < 100000)
			;
		EXPECT_EQ(rc, 0) << strerror(errno);
		return inos;
	}

	void expect_the_tree_once(const std::vector<dm_ino_t> &inos)
	{
		EXPECT_TRUE(std::is_sorted(inos.begin(), inos.end()));
		std::set<dm_ino_t> unique(inos.begin(), inos.end());
		EXPECT_EQ(unique.size(), inos.size()) << "an object reported twice";
		auto objects = tree();
		for (auto &[ino, path] : objects)
			EXPECT_EQ(unique.count(ino), 1u) << path << " missing";
		EXPECT_EQ(unique.size(), objects.size()) << "objects outside the tree";
	}
};

/*
 * An ext4 tree whose top directory has a project quota (chattr +P) is
 * scanned whole: statfs of that directory gives the project's inode
 * limit, not the filesystem's count, and the scan must not end there.
 */
TEST_F(BulkScan, AnExt4TreeUnderAProjectQuotaIsScannedWhole)
{
	constexpr int kProjectFiles = 40;
	constexpr unsigned kInodeLimit = 20, kProject = 42;
	std::string image = base_ + "/quota.img", lower2 = base_ + "/quota",
		    mnt2 = base_ + "/quota-dmapi";
	fs::create_directories(lower2);
	fs::create_directories(mnt2);
	std::string make = "modprobe loop 2>/dev/null; modprobe quota_v2 2>/dev/null; truncate -s 32M " +
			   image +
			   " && mkfs.ext4 -q -F -O quota,project " + image +
			   " >/dev/null 2>&1 && mount -o loop,prjquota " + image + " " + lower2;
	if (std::system(make.c_str()) != 0)
		GTEST_SKIP() << "no ext4 with project quotas (mkfs.ext4, a loop device): " << make;
	std::string top = lower2 + "/top";
	fs::create_directory(top);
	int fd = open(top.c_str(), O_RDONLY | O_DIRECTORY);
	ASSERT_GE(fd, 0) << strerror(errno);
	struct fsxattr fsx = {};
	EXPECT_EQ(ioctl(fd, FS_IOC_FSGETXATTR, &fsx), 0) << strerror(errno);
	fsx.fsx_projid = kProject;
	fsx.fsx_xflags |= FS_XFLAG_PROJINHERIT;
	EXPECT_EQ(ioctl(fd, FS_IOC_FSSETXATTR, &fsx), 0) << strerror(errno);
	for (int i = 0; i < kProjectFiles; i++)
		spit(top + "/f" + std::to_string(i), "x");
	struct if_dqblk limit = {};
	limit.dqb_ihardlimit = limit.dqb_isoftlimit = kInodeLimit;
	limit.dqb_valid = QIF_ILIMITS;
	EXPECT_EQ(syscall(SYS_quotactl_fd, fd, QCMD(Q_SETQUOTA, PRJQUOTA), kProject, &limit), 0)
		<< strerror(errno);
	close(fd);
	struct statvfs sv = {};
	EXPECT_EQ(statvfs(top.c_str(), &sv), 0);
	bool limited = sv.f_files == kInodeLimit;
	std::string opts = "mtpt=" + mnt2;
	bool mounted = limited && mount(top.c_str(), mnt2.c_str(), "dmapi", 0, opts.c_str()) == 0;
	EXPECT_TRUE(!limited || mounted) << strerror(errno);
	std::set<dm_ino_t> found;
	Handle fsh;
	if (mounted) {
		EXPECT_DM_OK(dm_path_to_fshandle(mnt2.data(), &fsh.hanp, &fsh.hlen));
	}
	if (fsh.hanp) {
		dm_attrloc_t loc = 0;
		EXPECT_DM_OK(dm_init_attrloc(sid_, fsh.hanp, fsh.hlen, DM_NO_TOKEN, &loc));
		std::vector<char> buf(1 << 16);
		int rc, calls = 0;
		do {
			size_t rlen = 0;
			rc = dm_get_bulkattr(sid_, fsh.hanp, fsh.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					     buf.size(), buf.data(), &rlen);
			for (auto *st = reinterpret_cast<dm_stat_t *>(buf.data()); rc >= 0 && rlen && st;
			     st = DM_STEP_TO_NEXT(st, dm_stat_t *))
				found.insert(st->dt_ino);
		} while (rc == 1 && ++calls < 1000);
		EXPECT_EQ(rc, 0) << strerror(errno);
	}
	if (mounted) {
		EXPECT_EQ(umount(mnt2.c_str()), 0) << strerror(errno);
	}
	EXPECT_EQ(umount(lower2.c_str()), 0) << strerror(errno);
	if (!limited)
		GTEST_SKIP() << "the project quota did not lower statfs's inode count to "
			     << kInodeLimit << " (it says " << sv.f_files << ")";
	EXPECT_EQ(found.size(), static_cast<size_t>(kProjectFiles + 1))
		<< "the scan ended at the project's inode limit";
}

/*
 * An object whose inode cannot be read fails the scan, as it fails XFS's
 * bulkstat: skipped, it was a file that its HSM never saw, and nobody
 * knew.  An ext4 inode whose checksum is wrong, made with debugfs.
 */
TEST_F(BulkScan, AnInodeThatCannotBeReadFailsTheScanEIO)
{
	std::string image = base_ + "/csum.img", lower2 = base_ + "/csum",
		    mnt2 = base_ + "/csum-dmapi";
	fs::create_directories(lower2);
	fs::create_directories(mnt2);
	std::string make = "modprobe loop 2>/dev/null; truncate -s 32M " + image +
			   " && mkfs.ext4 -q -F -O metadata_csum " + image +
			   " >/dev/null 2>&1 && debugfs -w -R 'write /etc/hostname before' " + image +
			   " >/dev/null 2>&1 && debugfs -w -R 'write /etc/hostname victim' " + image +
			   " >/dev/null 2>&1 && debugfs -w -R 'write /etc/hostname after' " + image +
			   " >/dev/null 2>&1 && debugfs -w -R 'set_inode_field victim checksum 0xdead' " +
			   image + " >/dev/null 2>&1 && mount -o loop " + image + " " + lower2;
	if (std::system(make.c_str()) != 0)
		GTEST_SKIP() << "no ext4 image with a bad inode checksum (mkfs.ext4, debugfs, "
				"a loop device): " << make;
	if (mount(lower2.c_str(), mnt2.c_str(), "dmapi", 0, nullptr) != 0) {
		int error = errno;
		umount(lower2.c_str());
		FAIL() << "the dmapi mount failed: " << strerror(error);
	}
	Handle fsh;
	EXPECT_DM_OK(dm_path_to_fshandle(mnt2.data(), &fsh.hanp, &fsh.hlen));
	int rc = -2, calls = 0;
	if (fsh.hanp) {
		dm_attrloc_t loc = 0;
		std::vector<char> buf(1 << 16);
		do {
			size_t rlen = 0;
			rc = dm_get_bulkattr(sid_, fsh.hanp, fsh.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					     buf.size(), buf.data(), &rlen);
		} while (rc == 1 && ++calls < 1000);
	}
	EXPECT_EQ(rc, -1) << "the scan ended without the unreadable inode";
	EXPECT_EQ(errno, EIO) << strerror(errno);
	fsh.reset();
	EXPECT_EQ(umount(mnt2.c_str()), 0) << strerror(errno);
	EXPECT_EQ(umount(lower2.c_str()), 0) << strerror(errno);
}

TEST_F(BulkScan, BulkattrReportsEveryObjectOnceInInodeOrder)
{
	expect_the_tree_once(bulk_all(1 << 20));
}

TEST_F(BulkScan, SmallBuffersResumeWhereTheyEnded)
{
	expect_the_tree_once(bulk_all(600));
}

/*
 * Inodes never used or freed are skipped (ext4 by its inode bitmaps), and
 * no object among them is lost: directories spread over the filesystem
 * (ext4's allocator spreads the children of an FS_TOPDIR_FL directory over
 * its groups), files with freed inodes between them.
 */
TEST_F(BulkScan, ObjectsAmongUnusedInodesAreAllFound)
{
	fs::create_directory(lower("spread"));
	int fd = open(lower("spread").c_str(), O_RDONLY | O_DIRECTORY);
	ASSERT_GE(fd, 0);
	int flags = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		flags |= FS_TOPDIR_FL;
		ioctl(fd, FS_IOC_SETFLAGS, &flags);	/* XFS has no such flag */
	}
	close(fd);
	for (int d = 0; d < 16; d++) {
		std::string dir = "spread/d" + std::to_string(d);
		fs::create_directory(lower(dir));
		for (int f = 0; f < 40; f++)
			spit(lower(dir + "/f" + std::to_string(f)), "x");
		for (int f = 0; f < 40; f += 2)
			ASSERT_EQ(unlink(lower(dir + "/f" + std::to_string(f)).c_str()), 0);
	}
	auto inos = bulk_all(1 << 16);
	expect_the_tree_once(inos);
	ASSERT_FALSE(inos.empty());
	/* The allocator chooses groups at random, and may reuse what was freed. */
	if (inos.back() - inos.front() <= 2 * inos.size())
		GTEST_SKIP() << "the allocator left few unused inodes among them ("
			     << inos.back() - inos.front() + 1 << " numbers for " << inos.size()
			     << " objects): the scan skipped little";
}

TEST_F(BulkScan, AHardLinkedFileIsOneObject)
{
	ASSERT_EQ(link(path("dir/f1").c_str(), path("second").c_str()), 0);
	expect_the_tree_once(bulk_all(1 << 20));
}

TEST_F(BulkScan, ChangesDuringTheScanDisturbNoOtherObject)
{
	auto before = tree();
	std::vector<dm_ino_t> inos;
	dm_attrloc_t loc;
	ASSERT_DM_OK(dm_init_attrloc(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &loc));
	int rc, i = 0;
	while ((rc = bulk_once(loc, 2000, inos)) == 1) {
		spit(path("new" + std::to_string(i)), "n");
		if (i >= 2) {
			ASSERT_EQ(unlink(path("new" + std::to_string(i - 2)).c_str()), 0);
		}
		i++;
	}
	ASSERT_EQ(rc, 0) << strerror(errno);
	ASSERT_GT(i, 2) << "the scan took several calls";
	std::set<dm_ino_t> unique(inos.begin(), inos.end());
	EXPECT_EQ(unique.size(), inos.size()) << "an object reported twice";
	for (auto &[ino, p] : before)
		EXPECT_EQ(unique.count(ino), 1u) << p;
}

TEST_F(BulkScan, BulkallCarriesTheAttributeOfTheObjectsThatHaveIt)
{
	dm_attrname_t name = {};
	std::memcpy(name.an_chars, "where", 5);
	Handle f7;
	ASSERT_NO_FATAL_FAILURE(handle_of("dir/f7", f7));
	ASSERT_DM_OK(dm_set_dmattr(sid_, f7.hanp, f7.hlen, DM_NO_TOKEN, &name, 0, 7,
				   const_cast<char *>("tape:42")));
	std::map<dm_ino_t, std::string> with;
	ASSERT_NO_FATAL_FAILURE(bulkall_values(name, with));
	std::map<dm_ino_t, std::string> want{{inode_of(path("dir/f7")), "tape:42"}};
	EXPECT_EQ(with, want);
}

TEST_F(BulkScan, BulkallCarriesAnAttributeLongerThanMaxAttrSizeWasLoweredTo)
{
	dm_attrname_t name = {};
	std::memcpy(name.an_chars, "where", 5);
	Handle f7;
	ASSERT_NO_FATAL_FAILURE(handle_of("dir/f7", f7));
	std::string value(4000, 'v');
	ASSERT_DM_OK(dm_set_dmattr(sid_, f7.hanp, f7.hlen, DM_NO_TOKEN, &name, 0, value.size(),
				   value.data()));
	ModuleParam lower("max_attr_size", "100");
	std::map<dm_ino_t, std::string> with;
	ASSERT_NO_FATAL_FAILURE(bulkall_values(name, with));
	std::map<dm_ino_t, std::string> want{{inode_of(path("dir/f7")), value}};
	EXPECT_EQ(with, want);
}

/*
 * A location past every inode number the filesystem can have ends the
 * scan, on XFS too, which takes 32 bits of the group number.
 */
TEST_F(BulkScan, ALocationPastEveryInodeNumberEndsTheScan)
{
	for (dm_attrloc_t start : {dm_attrloc_t{1} << 45, dm_attrloc_t{1} << 62}) {
		dm_attrloc_t loc = start;
		std::vector<dm_ino_t> inos;
		EXPECT_EQ(bulk_once(loc, 1 << 20, inos), 0) << "more after " << start;
		EXPECT_TRUE(inos.empty()) << inos.size() << " objects after " << start;
	}
}

TEST_F(BulkScan, TooSmallForOneRecordE2BIGWithItsSize)
{
	std::vector<char> buf(16);
	size_t rlen = 0;
	dm_attrloc_t loc = 0;
	EXPECT_DM_ERRNO(dm_get_bulkattr(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					buf.size(), buf.data(), &rlen), E2BIG);
	EXPECT_GE(rlen, sizeof(dm_stat_t));
}

TEST_F(BulkScan, BulkallTooSmallForOneRecordE2BIGWithItsSize)
{
	std::vector<char> buf(16);
	size_t rlen = 0;
	dm_attrloc_t loc = 0;
	dm_attrname_t name = {};
	std::memcpy(name.an_chars, "state", 5);
	EXPECT_DM_ERRNO(dm_get_bulkall(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, DM_AT_STAT, &name,
				       &loc, buf.size(), buf.data(), &rlen), E2BIG);
	EXPECT_GE(rlen, sizeof(dm_stat_t));
}

/*
 * The ioctl itself, below the library, which always gives the kernel
 * room to spare: it must neither write past the buffer nor ask for less
 * than it had.  No length here holds one record (struct dmapi_stat is
 * 184 bytes).
 */
TEST_F(BulkScan, TheIoctlWritesNothingPastItsBufferAndAsksForMore)
{
	int fd = open(DMAPI_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0) << strerror(errno);
	for (std::uint64_t len : {0, 16, 64, 183}) {
		std::vector<unsigned char> buf(16384, 'G');
		dmapi_scan_arg arg = ioctl_arg();
		arg.buf.ptr = reinterpret_cast<std::uintptr_t>(buf.data());
		arg.buf.len = len;
		EXPECT_EQ(ioctl(fd, DMAPI_IOC_GET_BULKATTR, &arg), -1) << len << " bytes";
		EXPECT_EQ(errno, E2BIG) << len << " bytes";
		EXPECT_GT(arg.buf.rlen, len);
		EXPECT_EQ(std::count(buf.begin() + static_cast<long>(len), buf.end(), 'G'),
			  static_cast<long>(buf.size() - len))
			<< "written past " << len << " bytes";
	}
	close(fd);
}

/*
 * The ioctl with room for a record or a few (XFS's bulkstat once wrote
 * into the caller's buffer): every object once, and nothing written past
 * the buffer.
 */
TEST_F(BulkScan, TheIoctlWithRoomForAFewRecordsFindsEveryObjectOnce)
{
	int fd = open(DMAPI_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0) << strerror(errno);
	for (std::uint64_t len : {400, 600, 1000}) {
		std::vector<dm_ino_t> inos;
		dmapi_scan_arg arg = ioctl_arg();
		for (int calls = 0; calls < 100000; calls++) {
			std::vector<unsigned char> buf(len + 4096, 'G');
			arg.buf.ptr = reinterpret_cast<std::uintptr_t>(buf.data());
			arg.buf.len = len;
			ASSERT_EQ(ioctl(fd, DMAPI_IOC_GET_BULKATTR, &arg), 0)
				<< len << " bytes: " << strerror(errno);
			ASSERT_LE(arg.buf.rlen, len);
			EXPECT_EQ(std::count(buf.begin() + static_cast<long>(len), buf.end(), 'G'),
				  4096)
				<< "written past " << len << " bytes";
			for (std::size_t off = 0; off < arg.buf.rlen;) {
				dmapi_stat st;
				std::memcpy(&st, buf.data() + off, sizeof(st));
				ASSERT_EQ(st.dt_reclen, sizeof(st));
				inos.push_back(st.dt_ino);
				off += st.dt_reclen;
			}
			if (!arg.more)
				break;
		}
		EXPECT_FALSE(arg.more) << len << " bytes: the scan never ended";
		expect_the_tree_once(inos);
	}
	close(fd);
}

/*
 * A scan's buffer whose page fault waits on a userfaultfd that nobody
 * answers yet: the scan must not hold the filesystem while it waits
 * (XFS's bulkstat wrote into that buffer), or an unmount waits too.
 */
TEST_F(BulkScan, AnUnmountGoesOnWhileTheScansBufferFaultWaits)
{
	int uffd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
	if (uffd < 0)
		GTEST_SKIP() << "no userfaultfd: " << strerror(errno);
	const size_t len = 1 << 16;
	void *buf = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(buf, MAP_FAILED) << strerror(errno);
	uffdio_api api = {};
	api.api = UFFD_API;
	ASSERT_EQ(ioctl(uffd, UFFDIO_API, &api), 0) << strerror(errno);
	uffdio_register reg = {};
	reg.range.start = reinterpret_cast<std::uintptr_t>(buf);
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(ioctl(uffd, UFFDIO_REGISTER, &reg), 0) << strerror(errno);

	int fd = open(DMAPI_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0) << strerror(errno);
	dmapi_scan_arg arg = ioctl_arg();
	arg.buf.ptr = reinterpret_cast<std::uintptr_t>(buf);
	arg.buf.len = len;
	int scan_rc = -2, scan_errno = 0;
	std::thread scanner([&] {
		scan_rc = ioctl(fd, DMAPI_IOC_GET_BULKATTR, &arg);
		scan_errno = errno;
	});
	struct pollfd p = {uffd, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, kPatienceMs), 1) << "the scan never touched its buffer";
	uffd_msg msg = {};
	EXPECT_EQ(read(uffd, &msg, sizeof(msg)), static_cast<ssize_t>(sizeof(msg)));
	EXPECT_EQ(msg.event, UFFD_EVENT_PAGEFAULT);

	Accessor unmounter([&] { return umount(mnt_.c_str()) ? errno : 0; });
	EXPECT_TRUE(unmounter.ends_within(kPatienceMs))
		<< "the unmount waits for the scan's page fault";
	/* Not close(): the unmounter's copy of uffd would keep it alive. */
	uffdio_zeropage zero = {};
	zero.range = reg.range;
	EXPECT_EQ(ioctl(uffd, UFFDIO_ZEROPAGE, &zero), 0) << strerror(errno);
	scanner.join();
	int unmounted = unmounter.result();
	EXPECT_EQ(unmounted, 0) << strerror(unmounted);
	if (unmounted == 0)
		mounted_ = false;
	EXPECT_EQ(scan_rc, 0) << strerror(scan_errno);
	EXPECT_GE(arg.buf.rlen, sizeof(dmapi_stat));
	close(fd);
	close(uffd);
	munmap(buf, len);
}

TEST_F(BulkScan, GrowingTheBufferToRlenAfterE2BIGSucceeds)
{
	size_t len = 16;
	for (int tries = 0; tries < 4; tries++) {
		std::vector<char> buf(len);
		size_t rlen = 0;
		dm_attrloc_t loc = 0;
		int rc = dm_get_bulkattr(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					 buf.size(), buf.data(), &rlen);
		if (rc >= 0) {
			EXPECT_GE(rlen, sizeof(dm_stat_t));
			return;
		}
		ASSERT_EQ(errno, E2BIG);
		ASSERT_GT(rlen, len) << "E2BIG asks for no more than it was given";
		len = rlen;
	}
	ADD_FAILURE() << "still E2BIG with " << len << " bytes";
}

TEST_F(BulkScan, ObjectHandleEINVAL)
{
	std::vector<char> buf(4096);
	size_t rlen;
	dm_attrloc_t loc = 0;
	EXPECT_DM_ERRNO(dm_get_bulkattr(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					buf.size(), buf.data(), &rlen), EINVAL);
}

TEST_F(BulkScan, TokenOnTheFilesystemHandleEINVAL)
{
	dm_token_t token;
	ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token));
	std::vector<char> buf(4096);
	size_t rlen;
	dm_attrloc_t loc = 0;
	EXPECT_DM_ERRNO(dm_get_bulkattr(sid_, fsh_.hanp, fsh_.hlen, token, DM_AT_STAT, &loc,
					buf.size(), buf.data(), &rlen), EINVAL);
	respond(token, DM_RESP_CONTINUE);
}

TEST_F(BulkScan, BulkallWithoutANameEFAULTOrAnEmptyNameEINVAL)
{
	std::vector<char> buf(4096);
	size_t rlen;
	dm_attrloc_t loc = 0;
	EXPECT_DM_ERRNO(dm_get_bulkall(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, DM_AT_STAT, nullptr,
				       &loc, buf.size(), buf.data(), &rlen), EFAULT);
	dm_attrname_t empty = {};
	EXPECT_DM_ERRNO(dm_get_bulkall(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, DM_AT_STAT, &empty,
				       &loc, buf.size(), buf.data(), &rlen), EINVAL);
}

TEST_F(BulkScan, NullPointersEFAULT)
{
	std::vector<char> buf(4096);
	size_t rlen;
	dm_attrloc_t loc = 0;
	EXPECT_DM_ERRNO(dm_get_bulkattr(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, DM_AT_STAT,
					nullptr, buf.size(), buf.data(), &rlen), EFAULT);
	EXPECT_DM_ERRNO(dm_get_bulkattr(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, DM_AT_STAT, &loc,
					buf.size(), buf.data(), nullptr), EFAULT);
}

TEST_F(BulkScan, NoSuchSessionEINVAL)
{
	std::vector<char> buf(4096);
	size_t rlen;
	dm_attrloc_t loc = 0;
	EXPECT_DM_ERRNO(dm_get_bulkattr(kNoSuchSession, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN,
					DM_AT_STAT, &loc, buf.size(), buf.data(), &rlen), EINVAL);
}

} // namespace
