// SPDX-License-Identifier: GPL-2.0
/*
 * Directory scans: dm_init_attrloc and dm_get_dirattrs report every entry
 * of a directory once, with its name, handle and attributes, through a
 * cursor that resumes where the caller's buffer ended, even while entries
 * come and go.  Needs the scratch filesystem of dmapi-vm --fs at
 * /mnt/scratch.
 */
#include "event_mount.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

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

} // namespace
