// SPDX-License-Identifier: GPL-2.0
/*
 * Inheritance of DM attributes: dm_set_inherit, dm_clear_inherit and
 * dm_getall_inherit keep a persistent list per filesystem, and every
 * object of a listed type created in a directory that has the attribute
 * gets a copy, whoever creates it.  Needs the scratch filesystem of
 * dmapi-vm --fs at /mnt/scratch.
 */
#include "event_mount.h"

#include <xdsm/dmapi_ioctl.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

class Inherit : public EventMountTest {
protected:
	Inherit() : EventMountTest("inherit") {}

	void populate() override { fs::create_directory(lower("dir")); }

	void SetUp() override
	{
		EventMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		ASSERT_NO_FATAL_FAILURE(handle_of("dir", dir_));
		name_ = attr_name("policy");
		ASSERT_DM_OK(dm_set_dmattr(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, &name_, 0, 4,
					   const_cast<char *>("gold")));
	}

	int inherit(const char *text, mode_t type)
	{
		dm_attrname_t name = attr_name(text);
		return dm_set_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &name, type);
	}

	/* The value of the inherited attribute of rel, or "" without one. */
	std::string inherited(const std::string &rel)
	{
		Handle h;
		std::string p = path(rel);
		EXPECT_DM_OK(dm_path_to_handle(p.data(), &h.hanp, &h.hlen));
		char buf[256];
		size_t rlen = 0;
		if (dm_get_dmattr(sid_, h.hanp, h.hlen, DM_NO_TOKEN, &name_, sizeof(buf), buf,
				  &rlen) != 0) {
			EXPECT_EQ(errno, ENOENT) << strerror(errno);
			return "";
		}
		return std::string(buf, rlen);
	}

	std::vector<dm_inherit_t> all()
	{
		std::vector<dm_inherit_t> list(16);
		unsigned int n = 0;
		EXPECT_DM_OK(dm_getall_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, list.size(),
					       list.data(), &n));
		list.resize(n);
		return list;
	}

	Handle dir_;
	dm_attrname_t name_;
};

TEST_F(Inherit, NewFilesOfTheTypeCopyTheDirectorysAttribute)
{
	ASSERT_DM_OK(inherit("policy", S_IFREG));
	spit(path("dir/new"), "x");
	EXPECT_EQ(inherited("dir/new"), "gold");
}

/* An O_TMPFILE file made there, then named, has what a created file has. */
TEST_F(Inherit, AnUnnamedFileMadeThereCopiesItToo)
{
	ASSERT_DM_OK(inherit("policy", S_IFREG));
	int fd = open(path("dir").c_str(), O_TMPFILE | O_RDWR, 0600);
	ASSERT_GE(fd, 0) << strerror(errno);
	std::string proc = "/proc/self/fd/" + std::to_string(fd);
	int linked = linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, path("dir/named").c_str(),
			    AT_SYMLINK_FOLLOW);
	int err = errno;
	close(fd);
	ASSERT_EQ(linked, 0) << strerror(err);
	EXPECT_EQ(inherited("dir/named"), "gold");
}

TEST_F(Inherit, OtherTypesDoNotCopyIt)
{
	ASSERT_DM_OK(inherit("policy", S_IFREG));
	ASSERT_EQ(mkdir(path("dir/sub").c_str(), 0755), 0);
	EXPECT_EQ(inherited("dir/sub"), "");
}

TEST_F(Inherit, DirectoriesAndSymlinksInheritWhenListed)
{
	ASSERT_DM_OK(inherit("policy", S_IFDIR));
	ASSERT_DM_OK(inherit("policy", S_IFLNK));
	ASSERT_EQ(mkdir(path("dir/sub").c_str(), 0755), 0);
	ASSERT_EQ(symlink("target", path("dir/sym").c_str()), 0);
	EXPECT_EQ(inherited("dir/sub"), "gold");
	EXPECT_EQ(inherited("dir/sym"), "gold");
}

TEST_F(Inherit, ADirectoryWithoutTheAttributeGivesNothing)
{
	ASSERT_DM_OK(inherit("policy", S_IFREG));
	spit(path("top"), "x");
	EXPECT_EQ(inherited("top"), "");
}

TEST_F(Inherit, AValueLongerThanALoweredLimitIsStillCopied)
{
	std::string value(100, 'v');
	ASSERT_DM_OK(dm_set_dmattr(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, &name_, 0, value.size(),
				   value.data()));
	ASSERT_DM_OK(inherit("policy", S_IFREG));
	ModuleParam small("max_attr_size", "10");
	spit(path("dir/new"), "x");
	EXPECT_EQ(inherited("dir/new"), value);
}

/* An empty value is an attribute, and is inherited as one. */
TEST_F(Inherit, AnEmptyValueIsCopiedToo)
{
	char empty = 0;
	ASSERT_DM_OK(dm_set_dmattr(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, &name_, 0, 0, &empty));
	ASSERT_DM_OK(inherit("policy", S_IFREG));
	spit(path("dir/new"), "x");
	Handle h;
	std::string p = path("dir/new");
	ASSERT_DM_OK(dm_path_to_handle(p.data(), &h.hanp, &h.hlen));
	char buf[8];
	size_t rlen = 99;
	EXPECT_DM_OK(dm_get_dmattr(sid_, h.hanp, h.hlen, DM_NO_TOKEN, &name_, sizeof(buf), buf,
				   &rlen));
	EXPECT_EQ(rlen, 0u);
}

TEST_F(Inherit, UnprivilegedCreatorsGetItToo)
{
	ASSERT_DM_OK(inherit("policy", S_IFREG));
	ASSERT_EQ(chmod(path("dir").c_str(), 0777), 0);
	std::string p = path("dir/theirs");
	EXPECT_EQ(in_child([p] {
			  if (setgid(65534) != 0 || setuid(65534) != 0)
				  return 1;
			  int fd = open(p.c_str(), O_CREAT | O_WRONLY, 0644);
			  return fd < 0 ? 2 : 0;
		  }), 0);
	EXPECT_EQ(inherited("dir/theirs"), "gold");
}

TEST_F(Inherit, GetallListsEachPairAndClearRemovesTheName)
{
	ASSERT_DM_OK(inherit("policy", S_IFREG));
	ASSERT_DM_OK(inherit("policy", S_IFDIR));
	ASSERT_DM_OK(inherit("other", S_IFREG));
	ASSERT_DM_OK(inherit("policy", S_IFREG)) << "setting a pair again changes nothing";
	auto list = all();
	ASSERT_EQ(list.size(), 3u);
	EXPECT_EQ(std::string(list[0].ih_name.an_chars, list[0].ih_name.an_chars + 6), "policy");
	EXPECT_EQ(list[0].ih_filetype, static_cast<mode_t>(S_IFREG));
	EXPECT_EQ(list[1].ih_filetype, static_cast<mode_t>(S_IFDIR));
	dm_attrname_t policy = attr_name("policy");
	ASSERT_DM_OK(dm_clear_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &policy));
	list = all();
	ASSERT_EQ(list.size(), 1u);
	EXPECT_EQ(std::string(list[0].ih_name.an_chars, list[0].ih_name.an_chars + 5), "other");
	spit(path("dir/after"), "x");
	EXPECT_EQ(inherited("dir/after"), "");
}

TEST_F(Inherit, TheListPersistsAcrossRemount)
{
	ASSERT_DM_OK(inherit("policy", S_IFREG));
	ASSERT_DM_OK(SessionTest::cleanup_session(sid_));
	sid_ = DM_NO_SESSION;
	remount();
	char info[] = "dmapi-vm-test inherit 2";
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid_));
	spit(path("dir/new"), "x");
	EXPECT_EQ(inherited("dir/new"), "gold");
}

TEST_F(Inherit, GetallWithTooLittleRoomE2BIGWithTheCount)
{
	ASSERT_DM_OK(inherit("policy", S_IFREG));
	ASSERT_DM_OK(inherit("policy", S_IFDIR));
	dm_inherit_t one[1];
	unsigned int n = 0;
	EXPECT_DM_ERRNO(dm_getall_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, 1, one, &n),
			E2BIG);
	EXPECT_EQ(n, 2u);
}

/*
 * A list of no form the module writes (five bytes, written below the
 * mount, as by a restore of trusted xattrs) fails creations EIO rather
 * than let them go without what they should inherit; a change of the
 * list replaces it, where every inheritance call failed EIO too.
 */
TEST_F(Inherit, AListStoredByAnotherWriterIsReplacedByTheNextChange)
{
	ASSERT_EQ(setxattr(lower_.c_str(), "trusted.dmapi.inherit", "\x01\x02\x03\x04\x05", 5, 0),
		  0) << strerror(errno);
	/* Read as the mount is made. */
	ASSERT_DM_OK(SessionTest::cleanup_session(sid_));
	sid_ = DM_NO_SESSION;
	remount();
	char info[] = "dmapi-vm-test inherit 2";
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid_));
	int fd = open(path("dir/refused").c_str(), O_CREAT | O_WRONLY, 0600);
	EXPECT_EQ(fd, -1);
	EXPECT_EQ(errno, EIO);
	if (fd >= 0)
		close(fd);
	std::vector<dm_inherit_t> list(4);
	unsigned int n = 0;
	EXPECT_DM_ERRNO(dm_getall_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, list.size(),
					  list.data(), &n), EIO);
	dm_attrname_t absent = attr_name("absent");
	EXPECT_DM_ERRNO(dm_clear_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &absent), ENOENT);
	EXPECT_TRUE(all().empty()) << "the clear dropped the list";
	ASSERT_DM_OK(inherit("policy", S_IFREG));
	EXPECT_EQ(all().size(), 1u);
	spit(path("dir/made"), "x");
	EXPECT_EQ(inherited("dir/made"), "gold");
}

TEST_F(Inherit, ClearOfANameNotInheritedENOENT)
{
	dm_attrname_t name = attr_name("absent");
	EXPECT_DM_ERRNO(dm_clear_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &name), ENOENT);
}

TEST_F(Inherit, NotOneFileTypeEINVAL)
{
	EXPECT_DM_ERRNO(inherit("policy", 0), EINVAL);
	EXPECT_DM_ERRNO(inherit("policy", 0170000), EINVAL);
}

TEST_F(Inherit, EmptyNameEINVAL)
{
	dm_attrname_t empty = {};
	EXPECT_DM_ERRNO(dm_set_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &empty, S_IFREG),
			EINVAL);
}

TEST_F(Inherit, ObjectHandleEINVAL)
{
	dm_attrname_t name = attr_name("policy");
	EXPECT_DM_ERRNO(dm_set_inherit(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, &name, S_IFREG),
			EINVAL);
	unsigned int n;
	EXPECT_DM_ERRNO(dm_getall_inherit(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, 0, nullptr, &n),
			EINVAL);
}

TEST_F(Inherit, NullPointersEFAULT)
{
	EXPECT_DM_ERRNO(dm_set_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, nullptr, S_IFREG),
			EFAULT);
	EXPECT_DM_ERRNO(dm_clear_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, nullptr), EFAULT);
	dm_inherit_t one[1];
	EXPECT_DM_ERRNO(dm_getall_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, 1, one, nullptr),
			EFAULT);
}

TEST_F(Inherit, NoSuchSessionEINVAL)
{
	dm_attrname_t name = attr_name("policy");
	EXPECT_DM_ERRNO(dm_set_inherit(kNoSuchSession, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &name,
				       S_IFREG), EINVAL);
}

TEST_F(Inherit, ConfigSaysPersistent)
{
	dm_size_t v = 0;
	ASSERT_DM_OK(dm_get_config(fsh_.hanp, fsh_.hlen, DM_CONFIG_PERS_INHERIT_ATTRIBS, &v));
	EXPECT_EQ(v, 1u);
}

} // namespace

/*
 * Setting and clearing have nothing to tell: an argument in memory the
 * module cannot write back to is no failure once the list has changed.
 */
TEST_F(Inherit, AChangeWhoseArgumentCannotBeWrittenBackSucceeds)
{
	void *page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(page, MAP_FAILED);
	auto *arg = static_cast<dmapi_inherit_arg *>(page);
	arg->sid = sid_;
	arg->token = DM_NO_TOKEN;
	arg->hanp = reinterpret_cast<std::uintptr_t>(fsh_.hanp);
	arg->hlen = fsh_.hlen;
	std::memcpy(arg->attrname, name_.an_chars, sizeof(arg->attrname));
	arg->filetype = S_IFREG;
	/* Clearing takes no file type. */
	auto *clear = arg + 1;
	*clear = *arg;
	clear->filetype = 0;
	ASSERT_EQ(mprotect(page, 4096, PROT_READ), 0);
	int dev = open("/dev/dmapi", O_RDWR | O_CLOEXEC);
	ASSERT_GE(dev, 0) << strerror(errno);
	int set = ioctl(dev, DMAPI_IOC_SET_INHERIT, arg);
	int set_err = errno;
	std::size_t listed = all().size();
	int cleared = ioctl(dev, DMAPI_IOC_CLEAR_INHERIT, clear);
	int clear_err = errno;
	close(dev);
	munmap(page, 4096);
	EXPECT_EQ(set, 0) << "set, then failed: " << strerror(set_err);
	EXPECT_EQ(listed, 1u);
	EXPECT_EQ(cleared, 0) << "cleared, then failed: " << strerror(clear_err);
	EXPECT_TRUE(all().empty());
}
