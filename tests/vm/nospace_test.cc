// SPDX-License-Identifier: GPL-2.0
/*
 * The lower filesystem full: what DMAPI itself writes there (invisible
 * writes, DM attributes, managed regions, the copies a new object
 * inherits) fails with ENOSPC and leaves what was there as it was.  The
 * NOSPACE event of a process's own write is in recovery_test.cc.  Needs
 * the scratch filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "event_mount.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

constexpr size_t kFileSize = 8192;

class FullFilesystem : public EventMountTest {
protected:
	FullFilesystem() : EventMountTest("nospace") {}

	void populate() override
	{
		fs::create_directory(lower("dir"));
		spit(lower("file"), std::string(kFileSize, 'd'));
	}

	void SetUp() override
	{
		EventMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		ASSERT_NO_FATAL_FAILURE(handle_of("file", file_));
		ASSERT_NO_FATAL_FAILURE(handle_of("dir", dir_));
	}

	void TearDown() override
	{
		/* Room again for the tests after this one, before they start. */
		if (fs::exists(lower("filler"))) {
			EXPECT_TRUE(unfill_filesystem(lower("filler")));
		}
		EventMountTest::TearDown();
	}

	void fill() { ASSERT_TRUE(fill_filesystem(lower("filler"))) << strerror(errno); }

	/*
	 * Fill the filesystem, then free room 64 KiB at a time until a file
	 * can be created where nothing is inherited: ext4 needs none, XFS
	 * the worst case of a creation's allocations.
	 */
	void leave_room_for_a_creation()
	{
		ASSERT_NO_FATAL_FAILURE(fill());
		int err, filler = open(lower("filler").c_str(), O_WRONLY);
		ASSERT_GE(filler, 0) << strerror(errno);
		off_t freed = 0;
		while ((err = create("plain")) == ENOSPC && freed < (16 << 20)) {
			ASSERT_EQ(fallocate(filler, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, freed,
					    64 << 10), 0) << strerror(errno);
			freed += 64 << 10;
		}
		close(filler);
		ASSERT_EQ(err, 0) << strerror(err) << " with " << freed << " bytes freed";
	}

	/* Create the file rel through the mount: 0 or the errno. */
	int create(const std::string &rel)
	{
		int fd = open(path(rel).c_str(), O_CREAT | O_WRONLY, 0644);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	}

	int set_attr(Handle &h, const char *name, const std::string &value)
	{
		dm_attrname_t an = attr_name(name);
		return dm_set_dmattr(sid_, h.hanp, h.hlen, DM_NO_TOKEN, &an, 0, value.size(),
				     const_cast<char *>(value.data()));
	}

	/* The value of DM attribute name of rel, or "" without one. */
	std::string attr_of(const std::string &rel, const char *name)
	{
		Handle h;
		std::string p = path(rel);
		EXPECT_DM_OK(dm_path_to_handle(p.data(), &h.hanp, &h.hlen));
		dm_attrname_t an = attr_name(name);
		std::vector<char> buf(1 << 16);
		size_t rlen = 0;
		if (dm_get_dmattr(sid_, h.hanp, h.hlen, DM_NO_TOKEN, &an, buf.size(), buf.data(),
				  &rlen) != 0) {
			EXPECT_EQ(errno, ENOENT) << strerror(errno);
			return "";
		}
		return std::string(buf.data(), rlen);
	}

	/*
	 * Attributes of the directory, inherited by new files, as many as it
	 * holds (ext4 keeps one inode's in one block) up to the most a list
	 * has, each too long for an inode: more than XFS's room for a
	 * creation holds.  An attribute not inherited keeps ext4 from sharing
	 * the directory's xattr block with the copy, which needs no room.
	 */
	void inherit_long_policies()
	{
		struct statfs st = {};
		ASSERT_EQ(statfs(lower_.c_str(), &st), 0);
		if (st.f_type == XFS_SUPER_MAGIC)
			GTEST_SKIP() << "XFS takes trusted attributes from the blocks it holds "
					"back, which removals refill before a creation finds room: "
					"a creation's copies cannot find it full";
		ASSERT_DM_OK(set_attr(dir_, "other", std::string(800, 'o')));
		for (policies_ = 0; policies_ < 64; policies_++) {
			std::string name = "policy" + std::to_string(policies_);
			if (set_attr(dir_, name.c_str(), policy_value()) != 0) {
				ASSERT_EQ(errno, ENOSPC) << strerror(errno);
				break;
			}
			dm_attrname_t an = attr_name(name.c_str());
			ASSERT_DM_OK(dm_set_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &an,
						    S_IFREG));
		}
		ASSERT_GT(policies_, 0);
	}

	static std::string policy_value() { return std::string(3000, 'p'); }

	/* Whether rel has every policy the directory gives. */
	bool has_the_policies(const std::string &rel)
	{
		for (int i = 0; i < policies_; i++)
			if (attr_of(rel, ("policy" + std::to_string(i)).c_str()) != policy_value())
				return false;
		return true;
	}

	int policies_ = 0;

	Handle file_, dir_;
};

TEST_F(FullFilesystem, WriteInvisFailsENOSPCAndKeepsWhatWasWritten)
{
	ASSERT_NO_FATAL_FAILURE(fill());
	std::string data(1 << 20, 'n');
	dm_off_t off = kFileSize;
	dm_ssize_t n;
	/* As write(2), a call may use the little room left; the next one fails. */
	while ((n = dm_write_invis(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 0, off,
				   data.size(), data.data())) > 0 &&
	       off < static_cast<dm_off_t>(kFileSize + 2 * data.size()))
		off += n;
	EXPECT_EQ(n, -1);
	EXPECT_EQ(errno, ENOSPC) << strerror(errno);
	std::string now = slurp(lower("file"));
	EXPECT_EQ(now.size(), static_cast<size_t>(off));
	EXPECT_EQ(now.substr(0, kFileSize), std::string(kFileSize, 'd'));
}

TEST_F(FullFilesystem, SetDmattrFailsENOSPCAndTheOldValueStays)
{
	ASSERT_DM_OK(set_attr(file_, "state", "small"));
	ASSERT_NO_FATAL_FAILURE(fill());
	EXPECT_DM_ERRNO(set_attr(file_, "state", std::string(3000, 'l')), ENOSPC);
	EXPECT_DM_ERRNO(set_attr(file_, "new", std::string(3000, 'l')), ENOSPC);
	EXPECT_EQ(attr_of("file", "state"), "small");
	EXPECT_EQ(attr_of("file", "new"), "");
}

TEST_F(FullFilesystem, SetRegionFailsENOSPCAndTheOldRegionsStay)
{
	ASSERT_DM_OK(manage(file_, {{0, 4096, DM_REGION_READ, 0}}));
	ASSERT_NO_FATAL_FAILURE(fill());
	/* As many as allowed, which no inode holds. */
	std::vector<dm_region_t> many(std::stoul(ModuleParam::read("max_regions")));
	for (size_t i = 0; i < many.size(); i++)
		many[i] = {static_cast<dm_off_t>(i * 8192), 4096, DM_REGION_WRITE, 0};
	EXPECT_DM_ERRNO(manage(file_, many), ENOSPC);
	std::vector<dm_region_t> now(many.size());
	unsigned int n = 0;
	ASSERT_DM_OK(dm_get_region(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, now.size(),
				   now.data(), &n));
	ASSERT_EQ(n, 1u);
	EXPECT_EQ(now[0].rg_offset, 0);
	EXPECT_EQ(now[0].rg_size, 4096u);
	EXPECT_EQ(now[0].rg_flags, static_cast<unsigned>(DM_REGION_READ));
}

TEST_F(FullFilesystem, ACreationWhoseInheritedCopiesHaveNoRoomFailsENOSPCAndLeavesNothing)
{
	ASSERT_NO_FATAL_FAILURE(inherit_long_policies());
	if (IsSkipped())
		return;
	ASSERT_NO_FATAL_FAILURE(leave_room_for_a_creation());
	EXPECT_EQ(create("dir/new"), ENOSPC);
	EXPECT_FALSE(fs::exists(lower("dir/new")));
	EXPECT_FALSE(fs::exists(path("dir/new")));
	ASSERT_TRUE(unfill_filesystem(lower("filler")));
	spit(path("dir/new"), "x");
	EXPECT_TRUE(has_the_policies("dir/new"));
}

TEST_F(FullFilesystem, APostcreateOfACreationThatFoundNoRoomCarriesENOSPC)
{
	ASSERT_NO_FATAL_FAILURE(inherit_long_policies());
	if (IsSkipped())
		return;
	ASSERT_NO_FATAL_FAILURE(leave_room_for_a_creation());
	ASSERT_DM_OK(take({DM_EVENT_POSTCREATE}));
	ASSERT_DM_OK(enable(fsh_, {DM_EVENT_POSTCREATE}));
	EXPECT_EQ(create("dir/new"), ENOSPC);
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_POSTCREATE);
	auto *ne = m.data<dm_namesp_event_t>();
	EXPECT_EQ(ne->ne_retcode, ENOSPC);
	const char *name = DM_GET_VALUE(ne, ne_name1, char *);
	EXPECT_EQ(std::string(name, strnlen(name, DM_GET_LEN(ne, ne_name1))), "new");
}

TEST_F(FullFilesystem, CreateByHandleWhoseInheritedCopiesHaveNoRoomFailsENOSPCAndLeavesNothing)
{
	ASSERT_NO_FATAL_FAILURE(inherit_long_policies());
	if (IsSkipped())
		return;
	ASSERT_NO_FATAL_FAILURE(leave_room_for_a_creation());
	EXPECT_DM_ERRNO(dm_create_by_handle(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, fsh_.hanp,
					    fsh_.hlen, const_cast<char *>("new")),
			ENOSPC);
	EXPECT_FALSE(fs::exists(lower("dir/new")));
}

/*
 * Nor is it seen through the mount meanwhile, however lookups race with
 * the creation and the removal that undoes it.
 */
TEST_F(FullFilesystem, ACreationByHandleThatFindsNoRoomIsNeverSeenThroughTheMount)
{
	ASSERT_NO_FATAL_FAILURE(inherit_long_policies());
	if (IsSkipped())
		return;
	ASSERT_NO_FATAL_FAILURE(leave_room_for_a_creation());
	std::atomic<bool> stop{false};
	std::atomic<int> looked{0}, seen{0};
	std::thread looker([&] {
		std::string through = path("dir/new");
		struct stat st;
		while (!stop) {
			looked++;
			if (lstat(through.c_str(), &st) == 0)
				seen++;
		}
	});
	for (int i = 0; i < 50; i++) {
		EXPECT_DM_ERRNO(dm_create_by_handle(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN,
						    fsh_.hanp, fsh_.hlen, const_cast<char *>("new")),
				ENOSPC);
	}
	stop = true;
	looker.join();
	EXPECT_EQ(seen, 0) << "of " << looked << " lookups";
	EXPECT_FALSE(fs::exists(lower("dir/new")));
}

} // namespace
