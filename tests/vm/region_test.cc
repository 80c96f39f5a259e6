// SPDX-License-Identifier: GPL-2.0
/*
 * Managed regions of a dmapi mount's regular files: dm_set_region and
 * dm_get_region, their checks, their limit (max_regions) and their
 * persistence in the lower file's trusted.dmapi.regions.  Needs the
 * scratch filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "dmtest.h"

#include <sys/xattr.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <filesystem>
#include <tuple>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

constexpr char kRegionsXattr[] = "trusted.dmapi.regions";
/* The size of one region in that xattr. */
constexpr ssize_t kRegionBytes = 24;

/* Room for more regions than max_regions can ever be set to. */
constexpr unsigned int kRoom = 4096;

dm_region_t region(dm_off_t off, dm_size_t size, unsigned int flags)
{
	dm_region_t r = {};
	r.rg_offset = off;
	r.rg_size = size;
	r.rg_flags = flags;
	return r;
}

/* Regions as comparable, printable values. */
using Key = std::tuple<dm_off_t, dm_size_t, unsigned int>;

std::vector<Key> keys(const std::vector<dm_region_t> &regions)
{
	std::vector<Key> out;
	for (auto &r : regions)
		out.emplace_back(r.rg_offset, r.rg_size, r.rg_flags);
	return out;
}

/* n adjacent regions of 10 bytes each. */
std::vector<dm_region_t> many(unsigned int n)
{
	std::vector<dm_region_t> out;
	for (unsigned int i = 0; i < n; i++)
		out.push_back(region(10 * i, 10, DM_REGION_READ));
	return out;
}

/*
 * A dmapi mount, with a session of the test's own.  The lower tree holds
 * a regular file, a directory and a symbolic link to the file.
 */
class Regions : public DmapiMountTest {
protected:
	void populate() override
	{
		fs::create_directories(lower_ + "/dir");
		spit(lower_ + "/file", "contents of a managed file");
		fs::create_symlink("file", lower_ + "/link");
	}

	void SetUp() override
	{
		DmapiMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		char info[] = "dmapi-vm-test regions";
		ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid_));
		ASSERT_NO_FATAL_FAILURE(handle_of("file", file_));
	}

	void TearDown() override
	{
		if (sid_ != DM_NO_SESSION) {
			EXPECT_DM_OK(SessionTest::cleanup_session(sid_));
		}
		DmapiMountTest::TearDown();
	}

	std::string path(const std::string &rel) { return mnt_ + "/" + rel; }
	std::string lower(const std::string &rel) { return lower_ + "/" + rel; }

	void handle_of(const std::string &rel, Handle &h)
	{
		std::string p = path(rel);
		h.reset();
		ASSERT_DM_OK(dm_path_to_handle(p.data(), &h.hanp, &h.hlen));
	}

	/* dm_set_region; exact_ takes what it reports. */
	int set(Handle &h, std::vector<dm_region_t> regions,
		dm_token_t token = DM_NO_TOKEN, dm_sessid_t sid = DM_NO_SESSION)
	{
		exact_ = DM_FALSE;
		return dm_set_region(sid == DM_NO_SESSION ? sid_ : sid, h.hanp, h.hlen,
				     token, regions.size(),
				     regions.empty() ? nullptr : regions.data(), &exact_);
	}

	/* dm_get_region with room for nelem; *out takes what it returns. */
	int get(Handle &h, unsigned int nelem, std::vector<dm_region_t> *out,
		unsigned int *nelemp, dm_token_t token = DM_NO_TOKEN,
		dm_sessid_t sid = DM_NO_SESSION)
	{
		std::vector<dm_region_t> buf(nelem ? nelem : 1);
		*nelemp = UINT_MAX;
		int rc = dm_get_region(sid == DM_NO_SESSION ? sid_ : sid, h.hanp, h.hlen,
				       token, nelem, buf.data(), nelemp);
		if (out) {
			out->clear();
			if (rc == 0)
				out->assign(buf.begin(), buf.begin() + *nelemp);
		}
		return rc;
	}

	/* The regions of h, read with room for all. */
	std::vector<Key> regions_of(Handle &h)
	{
		std::vector<dm_region_t> got;
		unsigned int n;
		if (get(h, kRoom, &got, &n) != 0)
			ADD_FAILURE() << "dm_get_region: " << strerror(errno);
		return keys(got);
	}

	/* dm_get_config of the file's handle. */
	dm_size_t config(dm_config_t flag)
	{
		dm_size_t value = UINT64_MAX;
		if (dm_get_config(file_.hanp, file_.hlen, flag, &value) != 0)
			ADD_FAILURE() << "dm_get_config(" << flag << "): " << strerror(errno);
		return value;
	}

	/* A token outstanding in our session. */
	dm_token_t user_token()
	{
		dm_token_t token = DM_INVALID_TOKEN;
		EXPECT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token));
		return token;
	}

	/* The size of the lower file's regions xattr, or -1 with errno. */
	ssize_t xattr_size(const std::string &p)
	{
		errno = 0;
		return getxattr(p.c_str(), kRegionsXattr, nullptr, 0);
	}

	dm_sessid_t sid_ = DM_NO_SESSION;
	Handle file_;
	dm_boolean_t exact_ = DM_FALSE;
};

TEST_F(Regions, SetIsExactAndGetReturnsThemSortedByOffset)
{
	std::vector<dm_region_t> given = {
		region(8192, 100, DM_REGION_NOEVENT),
		region(0, 4096, DM_REGION_READ),
		region(4096, 512, DM_REGION_WRITE | DM_REGION_TRUNCATE),
	};
	ASSERT_DM_OK(set(file_, given));
	EXPECT_EQ(exact_, static_cast<dm_boolean_t>(DM_TRUE));

	std::vector<dm_region_t> got;
	unsigned int n = 0;
	ASSERT_DM_OK(get(file_, 8, &got, &n));
	EXPECT_EQ(n, 3u);
	std::vector<Key> want = {
		{0, 4096, DM_REGION_READ},
		{4096, 512, DM_REGION_WRITE | DM_REGION_TRUNCATE},
		{8192, 100, DM_REGION_NOEVENT},
	};
	EXPECT_EQ(keys(got), want);
}

/* A flag that cannot be stored fails EFAULT with the regions as they were. */
TEST_F(Regions, AnExactFlagThatCannotBeStoredEFAULTAndChangesNothing)
{
	ASSERT_DM_OK(set(file_, {region(0, 10, DM_REGION_READ)}));
	auto before = regions_of(file_);
	GuardedPage page;
	ASSERT_TRUE(page.ok());
	dm_region_t r = region(100, 10, DM_REGION_WRITE);
	EXPECT_DM_ERRNO(dm_set_region(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 1, &r,
				      page.read_only<dm_boolean_t>()),
			EFAULT);
	EXPECT_EQ(regions_of(file_), before);
	dm_boolean_t *exactp = page.last<dm_boolean_t>();
	*exactp = DM_FALSE;
	EXPECT_DM_OK(dm_set_region(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 1, &r, exactp));
	EXPECT_EQ(*exactp, DM_TRUE);
}

TEST_F(Regions, FileWithoutRegionsGetsNone)
{
	std::vector<dm_region_t> got;
	unsigned int n = UINT_MAX;
	EXPECT_DM_OK(get(file_, 4, &got, &n));
	EXPECT_EQ(n, 0u);
}

TEST_F(Regions, SizeZeroReachesTheEndOfFile)
{
	ASSERT_DM_OK(set(file_, {region(100, 0, DM_REGION_WRITE)}));
	EXPECT_EQ(exact_, static_cast<dm_boolean_t>(DM_TRUE));
	std::vector<Key> want = {{100, 0, DM_REGION_WRITE}};
	EXPECT_EQ(regions_of(file_), want);
}

TEST_F(Regions, RegionAfterOneToTheEndOfFileEINVAL)
{
	EXPECT_DM_ERRNO(set(file_, {region(100, 0, DM_REGION_READ),
				    region(1 << 20, 10, DM_REGION_READ)}), EINVAL);
	EXPECT_TRUE(regions_of(file_).empty());
}

TEST_F(Regions, OverlappingRegionsEINVAL)
{
	EXPECT_DM_ERRNO(set(file_, {region(0, 100, DM_REGION_READ),
				    region(50, 100, DM_REGION_WRITE)}), EINVAL);
	/* Given the other way round. */
	EXPECT_DM_ERRNO(set(file_, {region(50, 100, DM_REGION_WRITE),
				    region(0, 100, DM_REGION_READ)}), EINVAL);
	EXPECT_TRUE(regions_of(file_).empty());
}

TEST_F(Regions, OverlapOfOneByteEINVAL)
{
	EXPECT_DM_ERRNO(set(file_, {region(0, 100, DM_REGION_READ),
				    region(99, 10, DM_REGION_WRITE)}), EINVAL);
	EXPECT_TRUE(regions_of(file_).empty());
}

TEST_F(Regions, AdjacentRegionsAreAccepted)
{
	ASSERT_DM_OK(set(file_, {region(100, 10, DM_REGION_WRITE),
				 region(0, 100, DM_REGION_READ)}));
	std::vector<Key> want = {{0, 100, DM_REGION_READ}, {100, 10, DM_REGION_WRITE}};
	EXPECT_EQ(regions_of(file_), want);
}

TEST_F(Regions, NegativeOffsetEINVAL)
{
	EXPECT_DM_ERRNO(set(file_, {region(-1, 10, DM_REGION_READ)}), EINVAL);
	EXPECT_TRUE(regions_of(file_).empty());
}

TEST_F(Regions, UnknownFlagEINVAL)
{
	EXPECT_DM_ERRNO(set(file_, {region(0, 10, 0x8)}), EINVAL);
	EXPECT_DM_ERRNO(set(file_, {region(0, 10, DM_REGION_READ | 0x8)}), EINVAL);
	EXPECT_TRUE(regions_of(file_).empty());
}

TEST_F(Regions, OffsetPlusSizeOverflowEINVAL)
{
	EXPECT_DM_ERRNO(set(file_, {region(LLONG_MAX - 10, 100, DM_REGION_READ)}),
			EINVAL);
	EXPECT_TRUE(regions_of(file_).empty());
}

TEST_F(Regions, RejectedSetKeepsTheRegionsBefore)
{
	ASSERT_DM_OK(set(file_, {region(0, 10, DM_REGION_READ)}));
	EXPECT_DM_ERRNO(set(file_, {region(0, 100, DM_REGION_WRITE),
				    region(50, 100, DM_REGION_WRITE)}), EINVAL);
	std::vector<Key> want = {{0, 10, DM_REGION_READ}};
	EXPECT_EQ(regions_of(file_), want);
}

TEST_F(Regions, SetReplacesTheRegionsBefore)
{
	ASSERT_DM_OK(set(file_, {region(0, 10, DM_REGION_READ),
				 region(20, 10, DM_REGION_READ)}));
	ASSERT_DM_OK(set(file_, {region(100, 5, DM_REGION_TRUNCATE)}));
	std::vector<Key> want = {{100, 5, DM_REGION_TRUNCATE}};
	EXPECT_EQ(regions_of(file_), want);
}

TEST_F(Regions, NoRegionsClearsThem)
{
	ASSERT_DM_OK(set(file_, {region(0, 10, DM_REGION_READ)}));
	ASSERT_DM_OK(set(file_, {}));
	EXPECT_EQ(exact_, static_cast<dm_boolean_t>(DM_TRUE));
	std::vector<dm_region_t> got;
	unsigned int n = UINT_MAX;
	EXPECT_DM_OK(get(file_, 4, &got, &n));
	EXPECT_EQ(n, 0u);
}

TEST_F(Regions, StoredInTheLowerXattrTwentyFourBytesEach)
{
	ASSERT_DM_OK(set(file_, {region(0, 10, DM_REGION_READ),
				 region(10, 10, DM_REGION_WRITE),
				 region(30, 0, DM_REGION_TRUNCATE)}));
	EXPECT_EQ(xattr_size(lower("file")), 3 * kRegionBytes) << strerror(errno);
}

TEST_F(Regions, ClearingRemovesTheLowerXattrENODATA)
{
	ASSERT_DM_OK(set(file_, {region(0, 10, DM_REGION_READ)}));
	ASSERT_EQ(xattr_size(lower("file")), kRegionBytes) << strerror(errno);
	ASSERT_DM_OK(set(file_, {}));
	EXPECT_EQ(xattr_size(lower("file")), -1);
	EXPECT_EQ(errno, ENODATA);
}

TEST_F(Regions, XattrIsInvisibleThroughTheMountENODATA)
{
	ASSERT_DM_OK(set(file_, {region(0, 10, DM_REGION_READ)}));
	ASSERT_EQ(xattr_size(lower("file")), kRegionBytes) << strerror(errno);
	char buf[256];
	errno = 0;
	EXPECT_EQ(getxattr(path("file").c_str(), kRegionsXattr, buf, sizeof(buf)), -1);
	EXPECT_EQ(errno, ENODATA);
	/* Nor listed there. */
	char names[4096];
	ssize_t len = listxattr(path("file").c_str(), names, sizeof(names));
	ASSERT_GE(len, 0) << strerror(errno);
	for (ssize_t i = 0; i < len; i += strlen(names + i) + 1)
		EXPECT_STRNE(names + i, kRegionsXattr);
}

TEST_F(Regions, PersistAcrossRemount)
{
	ASSERT_DM_OK(set(file_, {region(0, 10, DM_REGION_READ),
				 region(4096, 0, DM_REGION_WRITE | DM_REGION_TRUNCATE)}));
	ASSERT_NO_FATAL_FAILURE(remount());
	Handle again;
	handle_of("file", again);
	EXPECT_EQ(dm_handle_cmp(file_.hanp, file_.hlen, again.hanp, again.hlen), 0);
	std::vector<Key> want = {{0, 10, DM_REGION_READ},
				 {4096, 0, DM_REGION_WRITE | DM_REGION_TRUNCATE}};
	EXPECT_EQ(regions_of(again), want);
}

TEST_F(Regions, ConfigReportsPersistentRegionsAndPunchHole)
{
	EXPECT_EQ(config(DM_CONFIG_PERS_MANAGED_REGIONS), 1u);
	EXPECT_EQ(config(DM_CONFIG_PUNCH_HOLE), 1u);
}

TEST_F(Regions, MaxManagedRegionsIsTheModuleParameter)
{
	EXPECT_EQ(config(DM_CONFIG_MAX_MANAGED_REGIONS),
		  std::stoull(ModuleParam::read("max_regions")));
}

TEST_F(Regions, ExactlyTheMaximumIsAccepted)
{
	dm_size_t max = config(DM_CONFIG_MAX_MANAGED_REGIONS);
	ASSERT_GT(max, 0u);
	ASSERT_LT(max, kRoom);
	ASSERT_DM_OK(set(file_, many(max)));
	EXPECT_EQ(regions_of(file_).size(), max);
	EXPECT_EQ(xattr_size(lower("file")), static_cast<ssize_t>(max) * kRegionBytes)
		<< strerror(errno);
}

TEST_F(Regions, MoreThanTheMaximumE2BIG)
{
	dm_size_t max = config(DM_CONFIG_MAX_MANAGED_REGIONS);
	ASSERT_GT(max, 0u);
	ASSERT_LT(max, kRoom);
	ASSERT_DM_OK(set(file_, {region(0, 10, DM_REGION_READ)}));
	EXPECT_DM_ERRNO(set(file_, many(max + 1)), E2BIG);
	std::vector<Key> want = {{0, 10, DM_REGION_READ}};
	EXPECT_EQ(regions_of(file_), want);
}

TEST_F(Regions, LoweredModuleParameterLimitsThemE2BIG)
{
	ModuleParam small("max_regions", "2");
	EXPECT_EQ(config(DM_CONFIG_MAX_MANAGED_REGIONS), 2u);
	EXPECT_DM_ERRNO(set(file_, many(3)), E2BIG);
	EXPECT_DM_OK(set(file_, many(2)));
	EXPECT_EQ(regions_of(file_).size(), 2u);
}

TEST_F(Regions, GetWithTooLittleRoomE2BIGWithTheCount)
{
	ASSERT_DM_OK(set(file_, many(3)));
	std::vector<dm_region_t> got;
	unsigned int n = 0;
	EXPECT_DM_ERRNO(get(file_, 2, &got, &n), E2BIG);
	EXPECT_EQ(n, 3u);
	ASSERT_DM_OK(get(file_, n, &got, &n));
	EXPECT_EQ(n, 3u);
	EXPECT_EQ(keys(got), keys(many(3)));
}

TEST_F(Regions, GetWithNoRoomE2BIGWithTheCount)
{
	ASSERT_DM_OK(set(file_, many(1)));
	unsigned int n = 0;
	EXPECT_DM_ERRNO(get(file_, 0, nullptr, &n), E2BIG);
	EXPECT_EQ(n, 1u);
}

TEST_F(Regions, DirectoryHandleEINVAL)
{
	Handle dir;
	handle_of("dir", dir);
	unsigned int n;
	EXPECT_DM_ERRNO(set(dir, {region(0, 10, DM_REGION_READ)}), EINVAL);
	EXPECT_DM_ERRNO(get(dir, 4, nullptr, &n), EINVAL);
	EXPECT_DM_ERRNO(xattr_size(lower("dir")), ENODATA);
}

TEST_F(Regions, SymlinkHandleEINVAL)
{
	Handle link;
	handle_of("link", link);
	/* The link's own handle, not its target's. */
	ASSERT_NE(dm_handle_cmp(link.hanp, link.hlen, file_.hanp, file_.hlen), 0);
	unsigned int n;
	EXPECT_DM_ERRNO(set(link, {region(0, 10, DM_REGION_READ)}), EINVAL);
	EXPECT_DM_ERRNO(get(link, 4, nullptr, &n), EINVAL);
	EXPECT_TRUE(regions_of(file_).empty());
}

TEST_F(Regions, FilesystemHandleEINVAL)
{
	Handle fsh;
	std::string root = mnt_;
	ASSERT_DM_OK(dm_path_to_fshandle(root.data(), &fsh.hanp, &fsh.hlen));
	unsigned int n;
	EXPECT_DM_ERRNO(set(fsh, {region(0, 10, DM_REGION_READ)}), EINVAL);
	EXPECT_DM_ERRNO(get(fsh, 4, nullptr, &n), EINVAL);
}

TEST_F(Regions, GlobalHandleEINVAL)
{
	dm_region_t r = region(0, 10, DM_REGION_READ);
	dm_boolean_t exact;
	unsigned int n;
	EXPECT_DM_ERRNO(dm_set_region(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN,
				      1, &r, &exact), EINVAL);
	EXPECT_DM_ERRNO(dm_get_region(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN,
				      1, &r, &n), EINVAL);
}

TEST_F(Regions, RemovedFileEBADF)
{
	ASSERT_EQ(unlink(path("file").c_str()), 0) << strerror(errno);
	unsigned int n;
	EXPECT_DM_ERRNO(set(file_, {region(0, 10, DM_REGION_READ)}), EBADF);
	EXPECT_DM_ERRNO(get(file_, 4, nullptr, &n), EBADF);
}

TEST_F(Regions, NoSuchSessionEINVAL)
{
	unsigned int n;
	EXPECT_DM_ERRNO(set(file_, {region(0, 10, DM_REGION_READ)}, DM_NO_TOKEN,
			    kNoSuchSession), EINVAL);
	EXPECT_DM_ERRNO(get(file_, 4, nullptr, &n, DM_NO_TOKEN, kNoSuchSession), EINVAL);
	EXPECT_TRUE(regions_of(file_).empty());
}

TEST_F(Regions, TokenNotOutstandingESRCH)
{
	unsigned int n;
	EXPECT_DM_ERRNO(set(file_, {region(0, 10, DM_REGION_READ)}, kNotOutstanding),
			ESRCH);
	EXPECT_DM_ERRNO(get(file_, 4, nullptr, &n, kNotOutstanding), ESRCH);
	EXPECT_TRUE(regions_of(file_).empty());
}

TEST_F(Regions, OutstandingTokenHoldingAnExclusiveRightIsAccepted)
{
	dm_token_t token = user_token();
	ASSERT_DM_OK(dm_request_right(sid_, file_.hanp, file_.hlen, token, 0, DM_RIGHT_EXCL));
	ASSERT_DM_OK(set(file_, {region(0, 10, DM_REGION_READ)}, token));
	std::vector<dm_region_t> got;
	unsigned int n = 0;
	EXPECT_DM_OK(get(file_, 4, &got, &n, token));
	EXPECT_EQ(n, 1u);
	std::vector<Key> want = {{0, 10, DM_REGION_READ}};
	EXPECT_EQ(keys(got), want);
}

} // namespace
