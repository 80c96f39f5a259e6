// SPDX-License-Identifier: GPL-2.0
/*
 * The DM application's access to file data by handle: dm_read_invis,
 * dm_write_invis, dm_probe_hole, dm_punch_hole, dm_get_allocinfo,
 * dm_sync_by_handle and dm_get_dioinfo.  Needs the scratch filesystem of
 * dmapi-vm --fs at /mnt/scratch; sizes are in blocks of that filesystem,
 * whatever they are.
 */
#include "dmtest.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <tuple>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

constexpr char kText[] = "the contents of a small file";
constexpr dm_off_t kTextSize = sizeof(kText) - 1;

/* A timestamp long past: 2001-09-09. */
constexpr time_t kOldTime = 1000000000;

/* The byte at offset off of every data file written here: never zero. */
char pattern(dm_off_t off)
{
	return static_cast<char>('A' + off % 23);
}

std::string pattern(dm_off_t off, size_t len)
{
	std::string s(len, '\0');
	for (size_t i = 0; i < len; i++)
		s[i] = pattern(off + i);
	return s;
}

/* Extents as comparable, printable values. */
using Extent = std::tuple<int, dm_off_t, dm_size_t>;

Extent res(dm_off_t off, dm_size_t len) { return {DM_EXTENT_RES, off, len}; }
Extent hole(dm_off_t off, dm_size_t len) { return {DM_EXTENT_HOLE, off, len}; }

bool same_time(const struct timespec &a, const struct timespec &b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

std::string show(const struct timespec &t)
{
	return std::to_string(t.tv_sec) + "." + std::to_string(t.tv_nsec);
}

void pause_a_little()
{
	/* More than a tick of the coarse clock timestamps come from. */
	std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

/*
 * A dmapi mount, with a session of the test's own.  The lower tree holds,
 * with B the filesystem's block size: "data", 4*B bytes written; "sparse",
 * 8*B bytes with only the block at 4*B written; "empty"; "text", a few
 * bytes; and a directory "dir".  All data is on disk before the mount.
 */
class DataTest : public DmapiMountTest {
protected:
	void populate() override
	{
		struct statvfs sv;
		ASSERT_EQ(statvfs(lower_.c_str(), &sv), 0) << strerror(errno);
		b_ = sv.f_bsize;
		ASSERT_GT(b_, 1);
		fs::create_directories(lower_ + "/dir");
		ASSERT_NO_FATAL_FAILURE(write_lower("data", 4 * b_, 0, 4 * b_));
		ASSERT_NO_FATAL_FAILURE(write_lower("sparse", 8 * b_, 4 * b_, b_));
		ASSERT_NO_FATAL_FAILURE(write_lower("empty", 0, 0, 0));
		spit(lower_ + "/text", kText);
	}

	void SetUp() override
	{
		DmapiMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		char info[] = "dmapi-vm-test data";
		ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid_));
	}

	void TearDown() override
	{
		if (sid_ != DM_NO_SESSION) {
			EXPECT_DM_OK(SessionTest::cleanup_session(sid_));
		}
		DmapiMountTest::TearDown();
	}

	/* A lower file of size bytes with [off, off + len) of pattern, synced. */
	void write_lower(const std::string &rel, dm_off_t size, dm_off_t off, dm_off_t len)
	{
		int fd = open(lower(rel).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		ASSERT_GE(fd, 0) << strerror(errno);
		EXPECT_EQ(ftruncate(fd, size), 0) << strerror(errno);
		std::string bytes = pattern(off, len);
		EXPECT_EQ(pwrite(fd, bytes.data(), bytes.size(), off),
			  static_cast<ssize_t>(bytes.size())) << strerror(errno);
		EXPECT_EQ(fsync(fd), 0) << strerror(errno);
		close(fd);
	}

	std::string path(const std::string &rel) { return mnt_ + "/" + rel; }
	std::string lower(const std::string &rel) { return lower_ + "/" + rel; }

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

	/* The whole file, read through the mount. */
	std::string contents(const std::string &rel)
	{
		int fd = open(path(rel).c_str(), O_RDONLY);
		if (fd < 0) {
			ADD_FAILURE() << "open " << rel << ": " << strerror(errno);
			return {};
		}
		std::string out;
		char buf[8192];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			out.append(buf, n);
		if (n < 0)
			ADD_FAILURE() << "read " << rel << ": " << strerror(errno);
		close(fd);
		return out;
	}

	struct stat stat_of(const std::string &p)
	{
		struct stat st = {};
		if (stat(p.c_str(), &st) != 0)
			ADD_FAILURE() << "stat " << p << ": " << strerror(errno);
		return st;
	}

	/* Set one time of a lower file, atime or mtime, to t seconds. */
	void set_time(const std::string &rel, bool atime, time_t t)
	{
		struct timespec ts[2];
		ts[0].tv_sec = ts[1].tv_sec = 0;
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
		struct timespec &which = atime ? ts[0] : ts[1];
		which.tv_sec = t;
		which.tv_nsec = 0;
		ASSERT_EQ(utimensat(AT_FDCWD, lower(rel).c_str(), ts, 0), 0)
			<< strerror(errno);
	}

	dm_ssize_t read_invis(Handle &h, dm_off_t off, dm_size_t len, void *buf)
	{
		return dm_read_invis(sid_, h.hanp, h.hlen, DM_NO_TOKEN, off, len, buf);
	}

	dm_ssize_t write_invis(Handle &h, int flags, dm_off_t off, const std::string &data)
	{
		std::string copy = data;
		return dm_write_invis(sid_, h.hanp, h.hlen, DM_NO_TOKEN, flags, off,
				      copy.size(), copy.data());
	}

	int probe(Handle &h, dm_off_t off, dm_size_t len, dm_off_t *roff, dm_size_t *rlen)
	{
		return dm_probe_hole(sid_, h.hanp, h.hlen, DM_NO_TOKEN, off, len, roff, rlen);
	}

	int punch(Handle &h, dm_off_t off, dm_size_t len)
	{
		return dm_punch_hole(sid_, h.hanp, h.hlen, DM_NO_TOKEN, off, len);
	}

	/* dm_get_allocinfo from *off with room for nelem; *out takes the extents. */
	int allocinfo(Handle &h, dm_off_t *off, unsigned int nelem,
		      std::vector<Extent> *out = nullptr)
	{
		std::vector<dm_extent_t> buf(nelem ? nelem : 1);
		unsigned int n = UINT_MAX;
		int rc = dm_get_allocinfo(sid_, h.hanp, h.hlen, DM_NO_TOKEN, off, nelem,
					  buf.data(), &n);
		if (out) {
			out->clear();
			if (rc >= 0 && n <= nelem)
				for (unsigned int i = 0; i < n; i++)
					out->emplace_back(buf[i].ex_type, buf[i].ex_offset,
							  buf[i].ex_length);
			else if (rc >= 0)
				ADD_FAILURE() << "dm_get_allocinfo gave " << n
					      << " extents for room for " << nelem;
		}
		return rc;
	}

	/* The whole allocation map of h, taken in one call. */
	std::vector<Extent> extents_of(Handle &h)
	{
		std::vector<Extent> out;
		dm_off_t off = 0;
		int rc = allocinfo(h, &off, 1024, &out);
		if (rc != 0)
			ADD_FAILURE() << "dm_get_allocinfo: rc " << rc << ": " << strerror(errno);
		EXPECT_EQ(off, 0);
		return out;
	}

	dm_sessid_t sid_ = DM_NO_SESSION;
	/* The block size of the filesystem. */
	dm_off_t b_ = 0;
};

/* dm_read_invis. */
using ReadInvis = DataTest;

TEST_F(ReadInvis, ReturnsTheFileBytes)
{
	Handle h;
	handle_of("text", h);
	char buf[256] = {};
	ASSERT_EQ(read_invis(h, 0, sizeof(buf), buf), kTextSize) << strerror(errno);
	EXPECT_EQ(std::string(buf, kTextSize), kText);
	/* From an offset, and of data in several blocks. */
	ASSERT_EQ(read_invis(h, 4, 8, buf), 8) << strerror(errno);
	EXPECT_EQ(std::string(buf, 8), std::string(kText + 4, 8));
	Handle data;
	handle_of("data", data);
	std::string big(2 * b_, '\0');
	ASSERT_EQ(read_invis(data, b_ / 2, big.size(), big.data()),
		  static_cast<dm_ssize_t>(big.size())) << strerror(errno);
	EXPECT_EQ(big, pattern(b_ / 2, big.size()));
}

TEST_F(ReadInvis, AtEndOfFileReturnsZero)
{
	Handle h;
	handle_of("text", h);
	char buf[16];
	EXPECT_EQ(read_invis(h, kTextSize, sizeof(buf), buf), 0) << strerror(errno);
	Handle empty;
	handle_of("empty", empty);
	EXPECT_EQ(read_invis(empty, 0, sizeof(buf), buf), 0) << strerror(errno);
}

TEST_F(ReadInvis, AcrossEndOfFileIsShort)
{
	Handle h;
	handle_of("text", h);
	char buf[16] = {};
	EXPECT_EQ(read_invis(h, kTextSize - 3, 10, buf), 3) << strerror(errno);
	EXPECT_EQ(std::string(buf, 3), std::string(kText + kTextSize - 3));
}

TEST_F(ReadInvis, OffsetPastEndOfFileEINVAL)
{
	Handle h;
	handle_of("text", h);
	char buf[16];
	EXPECT_DM_ERRNO(read_invis(h, kTextSize + 1, sizeof(buf), buf), EINVAL);
}

TEST_F(ReadInvis, NegativeOffsetEINVAL)
{
	Handle h;
	handle_of("text", h);
	char buf[16];
	EXPECT_DM_ERRNO(read_invis(h, -1, sizeof(buf), buf), EINVAL);
}

TEST_F(ReadInvis, LeavesTheAccessTimeAlone)
{
	/* Old enough that relatime updates it on any other read. */
	ASSERT_NO_FATAL_FAILURE(set_time("text", true, kOldTime));
	Handle h;
	handle_of("text", h);
	char buf[64];
	ASSERT_EQ(read_invis(h, 0, sizeof(buf), buf), kTextSize) << strerror(errno);
	struct stat st = stat_of(lower("text"));
	EXPECT_EQ(st.st_atim.tv_sec, kOldTime);
	EXPECT_EQ(st.st_atim.tv_nsec, 0);

	/* The control: a plain read through the mount does update it. */
	EXPECT_EQ(contents("text"), kText);
	st = stat_of(lower("text"));
	EXPECT_GT(st.st_atim.tv_sec, kOldTime)
		<< "a read through the mount left the atime too: the test proves nothing";
}

TEST_F(ReadInvis, DirectoryHandleEINVAL)
{
	Handle dir;
	handle_of("dir", dir);
	char buf[16];
	EXPECT_DM_ERRNO(read_invis(dir, 0, sizeof(buf), buf), EINVAL);
}

TEST_F(ReadInvis, FilesystemHandleEINVAL)
{
	Handle fsh;
	fs_handle(fsh);
	char buf[16];
	EXPECT_DM_ERRNO(read_invis(fsh, 0, sizeof(buf), buf), EINVAL);
}

TEST_F(ReadInvis, IntoMemoryThatCannotBeWrittenEFAULT)
{
	Handle h;
	handle_of("text", h);
	GuardedPage page;
	ASSERT_TRUE(page.ok());
	char *read_only = page.read_only<char>();
	EXPECT_DM_ERRNO(read_invis(h, 0, 16, read_only), EFAULT);
	char *unmapped = page.last<char>() + 1;
	EXPECT_DM_ERRNO(read_invis(h, 0, 16, unmapped), EFAULT);
}

/* dm_write_invis. */
using WriteInvis = DataTest;

TEST_F(WriteInvis, FromMemoryThatCannotBeReadEFAULTAndWritesNothing)
{
	Handle h;
	handle_of("text", h);
	GuardedPage page;
	ASSERT_TRUE(page.ok());
	char *unmapped = page.last<char>() + 1;
	EXPECT_DM_ERRNO(dm_write_invis(sid_, h.hanp, h.hlen, DM_NO_TOKEN, 0, 0, 16, unmapped),
			EFAULT);
	EXPECT_DM_ERRNO(dm_write_invis(sid_, h.hanp, h.hlen, DM_NO_TOKEN, 0, kTextSize, 16,
				       unmapped),
			EFAULT);
	EXPECT_EQ(contents("text"), kText);
}

TEST_F(WriteInvis, WritesTheBytes)
{
	Handle h;
	handle_of("text", h);
	ASSERT_EQ(write_invis(h, 0, 4, "XYZ"), 3) << strerror(errno);
	std::string want = kText;
	want.replace(4, 3, "XYZ");
	EXPECT_EQ(contents("text"), want);
	EXPECT_EQ(stat_of(path("text")).st_size, kTextSize);
}

TEST_F(WriteInvis, LeavesModificationAndChangeTimesAlone)
{
	ASSERT_NO_FATAL_FAILURE(set_time("text", false, kOldTime));
	/* utimensat changed the ctime: compare with what it is now. */
	struct stat before = stat_of(lower("text"));
	ASSERT_EQ(before.st_mtim.tv_sec, kOldTime);
	pause_a_little();
	Handle h;
	handle_of("text", h);
	ASSERT_EQ(write_invis(h, 0, 0, "abc"), 3) << strerror(errno);
	struct stat after = stat_of(lower("text"));
	EXPECT_TRUE(same_time(after.st_mtim, before.st_mtim))
		<< "mtime " << show(before.st_mtim) << " -> " << show(after.st_mtim);
	EXPECT_TRUE(same_time(after.st_ctim, before.st_ctim))
		<< "ctime " << show(before.st_ctim) << " -> " << show(after.st_ctim);

	/* The control: a plain write through the mount does change them. */
	pause_a_little();
	int fd = open(path("text").c_str(), O_WRONLY);
	ASSERT_GE(fd, 0) << strerror(errno);
	EXPECT_EQ(pwrite(fd, "def", 3, 0), 3) << strerror(errno);
	close(fd);
	struct stat control = stat_of(lower("text"));
	EXPECT_GT(control.st_mtim.tv_sec, kOldTime)
		<< "a write through the mount left the mtime too: the test proves nothing";
	EXPECT_FALSE(same_time(control.st_ctim, before.st_ctim))
		<< "a write through the mount left the ctime too: the test proves nothing";
}

TEST_F(WriteInvis, AtEndOfFileExtendsIt)
{
	Handle h;
	handle_of("text", h);
	ASSERT_EQ(write_invis(h, 0, kTextSize, "more"), 4) << strerror(errno);
	EXPECT_EQ(stat_of(path("text")).st_size, kTextSize + 4);
	EXPECT_EQ(contents("text"), std::string(kText) + "more");
	/* Also into an empty file. */
	Handle empty;
	handle_of("empty", empty);
	ASSERT_EQ(write_invis(empty, 0, 0, "first"), 5) << strerror(errno);
	EXPECT_EQ(contents("empty"), "first");
}

/*
 * A file open through the mount sees at once the size an invisible write
 * gave it: the VFS cuts a copy at the size it knows before calling us.
 */
TEST_F(WriteInvis, AnExtensionIsSeenByACopyFromAFileOpenBefore)
{
	int in = open(path("data").c_str(), O_RDONLY);
	ASSERT_GE(in, 0) << strerror(errno);
	int out = open(path("text").c_str(), O_WRONLY | O_TRUNC);
	ASSERT_GE(out, 0) << strerror(errno);
	Handle h;
	handle_of("data", h);
	EXPECT_EQ(write_invis(h, 0, 4 * b_, "more"), 4);
	loff_t from = 4 * b_;
	EXPECT_EQ(copy_file_range(in, &from, out, nullptr, 4, 0), 4) << strerror(errno);
	close(in);
	close(out);
	EXPECT_EQ(slurp(lower("text")), "more");
}

TEST_F(WriteInvis, OffsetPastEndOfFileEINVAL)
{
	Handle h;
	handle_of("text", h);
	EXPECT_DM_ERRNO(write_invis(h, 0, kTextSize + 1, "x"), EINVAL);
	EXPECT_EQ(stat_of(path("text")).st_size, kTextSize);
}

TEST_F(WriteInvis, NegativeOffsetEINVAL)
{
	Handle h;
	handle_of("text", h);
	EXPECT_DM_ERRNO(write_invis(h, 0, -1, "x"), EINVAL);
	EXPECT_EQ(contents("text"), kText);
}

TEST_F(WriteInvis, UnknownFlagEINVAL)
{
	Handle h;
	handle_of("text", h);
	EXPECT_DM_ERRNO(write_invis(h, 0x2, 0, "xyz"), EINVAL);
	EXPECT_EQ(contents("text"), kText);
}

TEST_F(WriteInvis, SyncFlagIsAccepted)
{
	Handle h;
	handle_of("text", h);
	ASSERT_EQ(write_invis(h, DM_WRITE_SYNC, 0, "abc"), 3) << strerror(errno);
	std::string want = kText;
	want.replace(0, 3, "abc");
	EXPECT_EQ(contents("text"), want);
}

TEST_F(WriteInvis, OfAnImmutableFileEPERM)
{
	Handle h;
	handle_of("text", h);
	InodeFlag immutable(lower("text"), FS_IMMUTABLE_FL);
	ASSERT_EQ(immutable.error(), 0) << strerror(immutable.error());
	EXPECT_DM_ERRNO(write_invis(h, 0, 0, "XYZ"), EPERM);
	EXPECT_DM_ERRNO(write_invis(h, 0, kTextSize, "more"), EPERM);
	EXPECT_EQ(contents("text"), kText);
}

TEST_F(WriteInvis, OfAnAppendOnlyFileOnlyAtItsEnd)
{
	Handle h;
	handle_of("text", h);
	InodeFlag append_only(lower("text"), FS_APPEND_FL);
	ASSERT_EQ(append_only.error(), 0) << strerror(append_only.error());
	EXPECT_DM_ERRNO(write_invis(h, 0, 0, "XYZ"), EPERM);
	EXPECT_DM_ERRNO(write_invis(h, 0, kTextSize - 1, "XYZ"), EPERM);
	EXPECT_EQ(contents("text"), kText);
	ASSERT_EQ(write_invis(h, 0, kTextSize, "more"), 4) << strerror(errno);
	EXPECT_EQ(contents("text"), std::string(kText) + "more");
}

/*
 * A read-only mount stops its users' writes, not the DM application's,
 * which go to the lower filesystem: a file migrated before the mount went
 * read-only must still be recalled for its readers to read it.
 */
TEST_F(WriteInvis, ThroughAReadOnlyMountStillWrites)
{
	ASSERT_EQ(umount(mnt_.c_str()), 0) << strerror(errno);
	mounted_ = false;
	ASSERT_EQ(mount(lower_.c_str(), mnt_.c_str(), "dmapi", MS_RDONLY, nullptr), 0)
		<< strerror(errno);
	mounted_ = true;
	EXPECT_EQ(open(path("text").c_str(), O_WRONLY), -1);
	EXPECT_EQ(errno, EROFS) << "the mount is not read-only: the test proves nothing";
	Handle h;
	handle_of("text", h);
	ASSERT_EQ(write_invis(h, 0, 0, "XYZ"), 3) << strerror(errno);
	std::string want = kText;
	want.replace(0, 3, "XYZ");
	EXPECT_EQ(contents("text"), want);
}

TEST_F(WriteInvis, DirectoryHandleEINVAL)
{
	Handle dir;
	handle_of("dir", dir);
	EXPECT_DM_ERRNO(write_invis(dir, 0, 0, "x"), EINVAL);
}

TEST_F(WriteInvis, FilesystemHandleEINVAL)
{
	Handle fsh;
	fs_handle(fsh);
	EXPECT_DM_ERRNO(write_invis(fsh, 0, 0, "x"), EINVAL);
}

/* dm_probe_hole and dm_punch_hole. */
/*
 * A DM application's change of a file's data keeps its privileges, as a
 * process's write would not: its capabilities and its set-ID bits, whose
 * loss would leave a recalled or migrated program unable to run as made.
 */
class KeptPrivileges : public DataTest {
protected:
	/* File capabilities as setcap cap_net_raw+ep makes them. */
	static std::string net_raw_caps()
	{
		vfs_cap_data caps = {};
		caps.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
		caps.data[0].permitted = 1u << CAP_NET_RAW;
		return std::string(reinterpret_cast<const char *>(&caps), XATTR_CAPS_SZ_2);
	}

	std::string caps_of(const std::string &rel)
	{
		char buf[64];
		ssize_t n = getxattr(lower(rel).c_str(), "security.capability", buf, sizeof(buf));
		return n < 0 ? std::string() : std::string(buf, n);
	}

	/* @change, by handle, keeps "data"'s capabilities and ctime. */
	template <typename Change> void expect_capabilities_kept(Change change)
	{
		std::string caps = net_raw_caps();
		ASSERT_EQ(setxattr(lower("data").c_str(), "security.capability", caps.data(),
				   caps.size(), 0), 0) << strerror(errno);
		struct stat before = stat_of(lower("data"));
		Handle h;
		handle_of("data", h);
		pause_a_little();	/* a ctime set again would differ */
		ASSERT_DM_OK(change(h));
		EXPECT_EQ(caps_of("data"), caps) << "the file's capabilities were dropped";
		struct stat after = stat_of(lower("data"));
		EXPECT_EQ(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
		EXPECT_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
	}

	/* @change, by handle from a caller without CAP_FSETID, keeps 06755. */
	template <typename Change> void expect_set_id_bits_kept(Change change)
	{
		ASSERT_EQ(chmod(lower("data").c_str(), 06755), 0) << strerror(errno);
		Handle h;
		handle_of("data", h);
		int rc = in_child([&] {
			if (drop_capability(CAP_FSETID))
				return 100;
			return change(h) == 0 ? 0 : errno;
		});
		EXPECT_EQ(rc, 0) << (rc == 100 ? "dropping CAP_FSETID failed" : strerror(rc));
		EXPECT_EQ(stat_of(lower("data")).st_mode & 07777, 06755u);
	}
};

TEST_F(KeptPrivileges, AnInvisibleWriteKeepsTheFilesCapabilities)
{
	expect_capabilities_kept([this](Handle &h) { return write_invis(h, 0, 0, "x") == 1 ? 0 : -1; });
}

TEST_F(KeptPrivileges, APunchKeepsTheFilesCapabilities)
{
	expect_capabilities_kept([this](Handle &h) { return punch(h, b_, b_); });
}

TEST_F(KeptPrivileges, AnInvisibleWriteWithoutCapFsetidKeepsTheSetIdBits)
{
	expect_set_id_bits_kept([this](Handle &h) { return write_invis(h, 0, 0, "x") == 1 ? 0 : -1; });
}

TEST_F(KeptPrivileges, APunchWithoutCapFsetidKeepsTheSetIdBits)
{
	expect_set_id_bits_kept([this](Handle &h) { return punch(h, b_, b_); });
}

/*
 * Putting back the times a punch dated needs no ownership of the file:
 * a DM application without CAP_FOWNER punches another user's file.
 */
TEST_F(KeptPrivileges, APunchOfAnotherUsersFileWithoutCapFownerSucceeds)
{
	ASSERT_EQ(chown(lower("data").c_str(), 1000, 1000), 0) << strerror(errno);
	Handle h;
	handle_of("data", h);
	int rc = in_child([&] {
		if (drop_capability(CAP_FOWNER))
			return 100;
		return punch(h, b_, b_) == 0 ? 0 : errno;
	});
	EXPECT_EQ(rc, 0) << (rc == 100 ? "dropping CAP_FOWNER failed" : strerror(rc));
}

using Holes = DataTest;

TEST_F(Holes, ProbeOfTheWholeFileReachesEndOfFile)
{
	Handle h;
	handle_of("data", h);
	dm_off_t roff = -1;
	dm_size_t rlen = 1;
	ASSERT_DM_OK(probe(h, 0, 0, &roff, &rlen));
	EXPECT_EQ(roff, 0);
	EXPECT_EQ(rlen, 0u);
}

TEST_F(Holes, ProbeRoundsInwardsToWholeBlocks)
{
	Handle h;
	handle_of("data", h);
	dm_off_t roff = -1;
	dm_size_t rlen = 0;
	/* [1, 2B + 1) holds one whole block: [B, 2B). */
	ASSERT_DM_OK(probe(h, 1, 2 * b_, &roff, &rlen));
	EXPECT_EQ(roff, b_);
	EXPECT_EQ(rlen, static_cast<dm_size_t>(b_));
	/* Probing frees nothing. */
	EXPECT_EQ(extents_of(h), std::vector<Extent>{res(0, 4 * b_)});
}

TEST_F(Holes, ProbePastEndOfFileE2BIG)
{
	Handle h;
	handle_of("data", h);
	dm_off_t roff;
	dm_size_t rlen;
	EXPECT_DM_ERRNO(probe(h, 0, 4 * b_ + 1, &roff, &rlen), E2BIG);
}

TEST_F(Holes, ProbeWithoutAWholeBlockEINVAL)
{
	Handle h;
	handle_of("data", h);
	dm_off_t roff;
	dm_size_t rlen;
	EXPECT_DM_ERRNO(probe(h, 1, 10, &roff, &rlen), EINVAL);
}

TEST_F(Holes, ProbeFromEndOfFileEINVAL)
{
	Handle h;
	handle_of("data", h);
	dm_off_t roff;
	dm_size_t rlen;
	EXPECT_DM_ERRNO(probe(h, 4 * b_, 0, &roff, &rlen), EINVAL);
}

TEST_F(Holes, PunchFreesTheBlockAndReadsBackZeroes)
{
	Handle h;
	handle_of("data", h);
	ASSERT_DM_OK(punch(h, b_, b_));
	std::vector<Extent> want = {res(0, b_), hole(b_, b_), res(2 * b_, 2 * b_)};
	EXPECT_EQ(extents_of(h), want);
	EXPECT_EQ(stat_of(path("data")).st_size, 4 * b_);
	std::string got = contents("data");
	ASSERT_EQ(got.size(), static_cast<size_t>(4 * b_));
	EXPECT_EQ(got.substr(0, b_), pattern(0, b_));
	EXPECT_EQ(got.substr(b_, b_), std::string(b_, '\0'));
	EXPECT_EQ(got.substr(2 * b_), pattern(2 * b_, 2 * b_));
}

TEST_F(Holes, PunchOfAnImmutableOrAppendOnlyFileEPERM)
{
	Handle h;
	handle_of("data", h);
	for (int flag : {FS_IMMUTABLE_FL, FS_APPEND_FL}) {
		InodeFlag guard(lower("data"), flag);
		ASSERT_EQ(guard.error(), 0) << strerror(guard.error());
		SCOPED_TRACE("flag " + std::to_string(flag));
		EXPECT_DM_ERRNO(punch(h, b_, b_), EPERM);
	}
	EXPECT_EQ(extents_of(h), std::vector<Extent>{res(0, 4 * b_)});
	EXPECT_EQ(contents("data"), pattern(0, 4 * b_));
}

TEST_F(Holes, PunchOfAHoleProbeWouldNotGiveEAGAIN)
{
	Handle h;
	handle_of("data", h);
	/* Probe gives [B, 2B) for this: not where it starts. */
	EXPECT_DM_ERRNO(punch(h, 1, 2 * b_), EAGAIN);
	/* Probe gives [0, B) for this: not as long. */
	EXPECT_DM_ERRNO(punch(h, 0, b_ + 1), EAGAIN);
	EXPECT_EQ(extents_of(h), std::vector<Extent>{res(0, 4 * b_)});
	EXPECT_EQ(contents("data"), pattern(0, 4 * b_));
}

TEST_F(Holes, PunchPastEndOfFileE2BIG)
{
	Handle h;
	handle_of("data", h);
	EXPECT_DM_ERRNO(punch(h, 0, 4 * b_ + 1), E2BIG);
	EXPECT_EQ(extents_of(h), std::vector<Extent>{res(0, 4 * b_)});
}

TEST_F(Holes, PunchToEndOfFileKeepsTheSize)
{
	Handle h;
	handle_of("data", h);
	ASSERT_DM_OK(punch(h, 2 * b_, 0));
	std::vector<Extent> want = {res(0, 2 * b_), hole(2 * b_, 2 * b_)};
	EXPECT_EQ(extents_of(h), want);
	EXPECT_EQ(stat_of(path("data")).st_size, 4 * b_);
	EXPECT_EQ(contents("data"), pattern(0, 2 * b_) + std::string(2 * b_, '\0'));
}

TEST_F(Holes, PunchLeavesTheMtimeAndCtimeAlone)
{
	Handle h;
	handle_of("data", h);
	struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
	ASSERT_EQ(utimensat(AT_FDCWD, path("data").c_str(), times, 0), 0);
	struct stat before = stat_of(path("data"));
	pause_a_little();	/* a ctime set again would differ */
	ASSERT_DM_OK(punch(h, b_, b_));
	struct stat after = stat_of(path("data"));
	EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	EXPECT_EQ(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
	EXPECT_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
}

TEST_F(Holes, PunchOfAMappedFileEBUSYUntilUnmapped)
{
	Handle h;
	handle_of("data", h);
	int fd = open(path("data").c_str(), O_RDONLY);
	ASSERT_GE(fd, 0) << strerror(errno);
	void *map = mmap(nullptr, 4 * b_, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(map, MAP_FAILED) << strerror(errno);
	EXPECT_EQ(static_cast<char *>(map)[b_], pattern(b_));
	EXPECT_DM_ERRNO(punch(h, b_, b_), EBUSY);
	ASSERT_EQ(munmap(map, 4 * b_), 0) << strerror(errno);
	EXPECT_DM_OK(punch(h, b_, b_));
	std::vector<Extent> want = {res(0, b_), hole(b_, b_), res(2 * b_, 2 * b_)};
	EXPECT_EQ(extents_of(h), want);
}

/*
 * A mapping being made when the punch's right is granted is in place by
 * the time the right's drain ends, so that the punch sees it (EBUSY): no
 * mapping may come to a file whose data the punch took away, for reads
 * through it send no event.  The right is held over two punches; the
 * second is EBUSY only if a mapping came after the first, while no new
 * one may be made.
 */
TEST_F(Holes, AMappingMadeAsThePunchsRightIsGrantedIsSeenByIt)
{
	Handle h;
	handle_of("data", h);
	int fd = open(path("data").c_str(), O_RDONLY);
	ASSERT_GE(fd, 0) << strerror(errno);
	std::atomic<bool> stop{false};
	std::atomic<int> mapping{0};
	std::thread mapper([&] {
		while (!stop) {
			mapping = 1;
			void *map = mmap(nullptr, b_, PROT_READ, MAP_SHARED, fd, 0);
			mapping = 0;
			if (map == MAP_FAILED)
				continue;
			std::this_thread::sleep_for(std::chrono::milliseconds(2));
			munmap(map, b_);
		}
	});
	int late = 0, rounds = 0, punched = 0;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
	int granted = 0;
	while (std::chrono::steady_clock::now() < deadline && !late) {
		dm_token_t token;
		if (dm_create_userevent(sid_, 0, nullptr, &token)) {
			ADD_FAILURE() << "dm_create_userevent: " << strerror(errno);
			break;
		}
		/* Asked as the mapping is being made, to meet it in flight. */
		while (!mapping && std::chrono::steady_clock::now() < deadline)
			;
		if (!dm_request_right(sid_, h.hanp, h.hlen, token, DM_RR_WAIT, DM_RIGHT_EXCL)) {
			granted++;
			if (!dm_punch_hole(sid_, h.hanp, h.hlen, token, 0, 0)) {
				punched++;
				std::this_thread::sleep_for(std::chrono::microseconds(500));
				late += dm_punch_hole(sid_, h.hanp, h.hlen, token, 0, 0) && errno == EBUSY;
			}
		}
		dm_respond_event(sid_, token, DM_RESP_CONTINUE, 0, 0, nullptr);
		rounds++;
	}
	stop = true;
	mapper.join();
	close(fd);
	EXPECT_EQ(late, 0) << "a mapping came after a punch, under its right, in round " << rounds;
	EXPECT_GT(granted, 0) << "the right was never granted: nothing was tried";
	RecordProperty("rounds", rounds);
	RecordProperty("punched", punched);
}

TEST_F(Holes, DirectoryHandleEINVAL)
{
	Handle dir;
	handle_of("dir", dir);
	dm_off_t roff;
	dm_size_t rlen;
	EXPECT_DM_ERRNO(probe(dir, 0, 0, &roff, &rlen), EINVAL);
	EXPECT_DM_ERRNO(punch(dir, 0, 0), EINVAL);
}

/* dm_get_allocinfo. */
using AllocInfo = DataTest;

TEST_F(AllocInfo, EmptyFileHasNoExtents)
{
	Handle h;
	handle_of("empty", h);
	std::vector<Extent> got;
	dm_off_t off = 0;
	EXPECT_EQ(allocinfo(h, &off, 4, &got), 0) << strerror(errno);
	EXPECT_TRUE(got.empty());
	EXPECT_EQ(off, 0);
}

TEST_F(AllocInfo, WrittenFileIsOneResidentExtent)
{
	Handle h;
	handle_of("data", h);
	EXPECT_EQ(extents_of(h), std::vector<Extent>{res(0, 4 * b_)});
}

TEST_F(AllocInfo, SparseFileHasHolesAroundItsData)
{
	Handle h;
	handle_of("sparse", h);
	std::vector<Extent> got = extents_of(h);
	std::vector<Extent> want = {hole(0, 4 * b_), res(4 * b_, b_),
				    hole(5 * b_, 3 * b_)};
	EXPECT_EQ(got, want);
	dm_size_t sum = 0;
	for (auto &e : got)
		sum += std::get<2>(e);
	EXPECT_EQ(sum, static_cast<dm_size_t>(8 * b_));
}

TEST_F(AllocInfo, ContinuesWhereTheLastCallStopped)
{
	Handle h;
	handle_of("sparse", h);
	std::vector<Extent> got;
	dm_off_t off = 0;
	EXPECT_EQ(allocinfo(h, &off, 1, &got), 1) << strerror(errno);
	EXPECT_EQ(got, std::vector<Extent>{hole(0, 4 * b_)});
	EXPECT_EQ(off, 4 * b_);
	EXPECT_EQ(allocinfo(h, &off, 1, &got), 1) << strerror(errno);
	EXPECT_EQ(got, std::vector<Extent>{res(4 * b_, b_)});
	EXPECT_EQ(off, 5 * b_);
	EXPECT_EQ(allocinfo(h, &off, 1, &got), 0) << strerror(errno);
	EXPECT_EQ(got, std::vector<Extent>{hole(5 * b_, 3 * b_)});
	EXPECT_EQ(off, 0);
}

TEST_F(AllocInfo, FromAnOffsetInsideTheFile)
{
	Handle h;
	handle_of("sparse", h);
	std::vector<Extent> got;
	dm_off_t off = 2 * b_;
	EXPECT_EQ(allocinfo(h, &off, 8, &got), 0) << strerror(errno);
	std::vector<Extent> want = {hole(2 * b_, 2 * b_), res(4 * b_, b_),
				    hole(5 * b_, 3 * b_)};
	EXPECT_EQ(got, want);
	EXPECT_EQ(off, 0);
}

TEST_F(AllocInfo, NoRoomEINVAL)
{
	Handle h;
	handle_of("data", h);
	dm_off_t off = 0;
	EXPECT_DM_ERRNO(allocinfo(h, &off, 0), EINVAL);
}

TEST_F(AllocInfo, OffsetNotBlockAlignedEINVAL)
{
	Handle h;
	handle_of("data", h);
	dm_off_t off = 1;
	EXPECT_DM_ERRNO(allocinfo(h, &off, 4), EINVAL);
	off = b_ + b_ / 2;
	EXPECT_DM_ERRNO(allocinfo(h, &off, 4), EINVAL);
}

TEST_F(AllocInfo, OffsetPastEndOfFileEINVAL)
{
	Handle h;
	handle_of("data", h);
	dm_off_t off = 8 * b_;
	EXPECT_DM_ERRNO(allocinfo(h, &off, 4), EINVAL);
}

TEST_F(AllocInfo, NegativeOffsetEINVAL)
{
	Handle h;
	handle_of("data", h);
	dm_off_t off = -b_;
	EXPECT_DM_ERRNO(allocinfo(h, &off, 4), EINVAL);
}

TEST_F(AllocInfo, DirectoryHandleEINVAL)
{
	Handle dir;
	handle_of("dir", dir);
	dm_off_t off = 0;
	EXPECT_DM_ERRNO(allocinfo(dir, &off, 4), EINVAL);
}

/* dm_sync_by_handle. */
using SyncByHandle = DataTest;

TEST_F(SyncByHandle, RegularFileSucceeds)
{
	Handle h;
	handle_of("text", h);
	ASSERT_EQ(write_invis(h, 0, 0, "abc"), 3) << strerror(errno);
	EXPECT_DM_OK(dm_sync_by_handle(sid_, h.hanp, h.hlen, DM_NO_TOKEN));
}

TEST_F(SyncByHandle, DirectoryHandleEINVAL)
{
	Handle dir;
	handle_of("dir", dir);
	EXPECT_DM_ERRNO(dm_sync_by_handle(sid_, dir.hanp, dir.hlen, DM_NO_TOKEN), EINVAL);
}

/* dm_get_dioinfo. */
using DioInfo = DataTest;

TEST_F(DioInfo, DescribesUsableDirectIo)
{
	Handle h;
	handle_of("data", h);
	dm_dioinfo_t dio = {};
	ASSERT_DM_OK(dm_get_dioinfo(sid_, h.hanp, h.hlen, DM_NO_TOKEN, &dio));
	ASSERT_GT(dio.d_miniosz, 0u);
	EXPECT_EQ(dio.d_miniosz & (dio.d_miniosz - 1), 0u)
		<< "d_miniosz " << dio.d_miniosz << " is not a power of two";
	EXPECT_EQ(dio.d_mem, dio.d_miniosz);
	EXPECT_GE(dio.d_maxiosz, dio.d_miniosz);
	EXPECT_EQ(dio.d_maxiosz % dio.d_miniosz, 0u);
	EXPECT_EQ(dio.d_dio_only, static_cast<dm_boolean_t>(DM_FALSE));
	ASSERT_LE(static_cast<dm_off_t>(2 * dio.d_miniosz), 4 * b_);

	/* The numbers work: a direct read that follows them succeeds. */
	int fd = open(path("data").c_str(), O_RDONLY | O_DIRECT);
	ASSERT_GE(fd, 0) << strerror(errno);
	std::unique_ptr<char, decltype(&free)> buf(
		static_cast<char *>(aligned_alloc(dio.d_mem, dio.d_miniosz)), &free);
	ASSERT_NE(buf.get(), nullptr);
	EXPECT_EQ(pread(fd, buf.get(), dio.d_miniosz, dio.d_miniosz),
		  static_cast<ssize_t>(dio.d_miniosz)) << strerror(errno);
	close(fd);
	EXPECT_EQ(std::string(buf.get(), dio.d_miniosz),
		  pattern(dio.d_miniosz, dio.d_miniosz));
}

TEST_F(DioInfo, DirectoryHandleEINVAL)
{
	Handle dir;
	handle_of("dir", dir);
	dm_dioinfo_t dio;
	EXPECT_DM_ERRNO(dm_get_dioinfo(sid_, dir.hanp, dir.hlen, DM_NO_TOKEN, &dio), EINVAL);
}

} // namespace
