// SPDX-License-Identifier: GPL-2.0
/*
 * dm_init_service, dm_get_config and dm_get_config_events against the real
 * module: the answers must be the truth about this implementation.
 */
#include "dmtest.h"

#include <cstdint>

using namespace dmtest;

namespace {

dm_size_t config(dm_config_t flag)
{
	dm_size_t value = UINT64_MAX;
	if (dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, flag, &value) != 0)
		ADD_FAILURE() << "dm_get_config(" << flag << "): " << strerror(errno);
	return value;
}

/* The literal SGI's header has, which its programs compare with. */
TEST(InitService, GivesSGIsVersionString)
{
	char *version = nullptr;
	ASSERT_DM_OK(dm_init_service(&version));
	ASSERT_NE(version, nullptr);
	EXPECT_STREQ(version, "SGI DMAPI (XDSM) API, Release 1.0.");
}

TEST(InitService, NullPointerFailsEFAULT)
{
	EXPECT_DM_ERRNO(dm_init_service(nullptr), EFAULT);
}

TEST(GetConfig, ReportsWhatThisBuildProvides)
{
	/* Provided now. */
	EXPECT_EQ(config(DM_CONFIG_PENDING), 1u);
	EXPECT_EQ(config(DM_CONFIG_LEGACY), 1u);
	EXPECT_EQ(config(DM_CONFIG_MAX_HANDLE_SIZE), 24u);
	EXPECT_EQ(config(DM_CONFIG_PERS_EVENTS), 1u);
	EXPECT_EQ(config(DM_CONFIG_PERS_MANAGED_REGIONS), 1u);
	EXPECT_EQ(config(DM_CONFIG_PUNCH_HOLE), 1u);
	EXPECT_EQ(config(DM_CONFIG_MAX_MANAGED_REGIONS),
		  std::stoull(ModuleParam::read("max_regions")));
	EXPECT_EQ(config(DM_CONFIG_LOCK_UPGRADE), 1u);
	EXPECT_EQ(config(DM_CONFIG_OBJ_REF), 1u);
	EXPECT_EQ(config(DM_CONFIG_WILL_RETRY), 1u);
	EXPECT_EQ(config(DM_CONFIG_PERS_ATTRIBUTES), 1u);
	EXPECT_EQ(config(DM_CONFIG_MAX_ATTRIBUTE_SIZE),
		  std::stoull(ModuleParam::read("max_attr_size")));
	/* Set while max_attr_size was larger, an attribute is carried whole. */
	EXPECT_EQ(config(DM_CONFIG_MAX_ATTR_ON_DESTROY), 65536u);
	EXPECT_EQ(config(DM_CONFIG_DTIME_OVERLOAD), 1u);
	EXPECT_EQ(config(DM_CONFIG_PERS_INHERIT_ATTRIBS), 1u);
	EXPECT_EQ(config(DM_CONFIG_BULKALL), 1u);
	/* Not provided: handles chosen by the caller, a total attribute space. */
	for (auto flag : {DM_CONFIG_CREATE_BY_HANDLE,
			  DM_CONFIG_TOTAL_ATTRIBUTE_SPACE})
		EXPECT_EQ(config(flag), 0u) << "flag " << flag;
}

TEST(GetConfig, MaxMessageDataFollowsTheModuleParameter)
{
	EXPECT_EQ(config(DM_CONFIG_MAX_MESSAGE_DATA),
		  std::stoull(ModuleParam::read("max_msg_data")));
	ModuleParam small("max_msg_data", "100");
	EXPECT_EQ(config(DM_CONFIG_MAX_MESSAGE_DATA), 100u);
}

TEST(GetConfig, UnknownFlagFailsEINVAL)
{
	dm_size_t v;
	EXPECT_DM_ERRNO(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN,
				      DM_CONFIG_INVALID, &v), EINVAL);
	EXPECT_DM_ERRNO(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN,
				      (dm_config_t)(DM_CONFIG_WILL_RETRY + 1), &v),
			EINVAL);
}

TEST(GetConfig, NullResultFailsEFAULT)
{
	EXPECT_DM_ERRNO(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN,
				      DM_CONFIG_PENDING, nullptr), EFAULT);
}

TEST(GetConfig, MalformedHandleFailsEINVAL)
{
	char junk[5] = {1, 2, 3, 4, 5};
	dm_size_t v;
	EXPECT_DM_ERRNO(dm_get_config(junk, sizeof(junk), DM_CONFIG_PENDING, &v),
			EINVAL);
}

TEST(GetConfig, HandleOfNoManagedFilesystemFailsEBADF)
{
	void *hanp = nullptr;
	size_t hlen = 0;
	dm_fsid_t fsid = 0x1234567887654321ULL;
	ASSERT_DM_OK(dm_make_fshandle(&fsid, &hanp, &hlen));
	dm_size_t v;
	EXPECT_DM_ERRNO(dm_get_config(hanp, hlen, DM_CONFIG_PENDING, &v), EBADF);
	dm_handle_free(hanp, hlen);
}

TEST(GetConfigEvents, ReportsTheEventsThisBuildGenerates)
{
	dm_eventset_t set = ~0ULL;
	unsigned int n = 0;
	ASSERT_DM_OK(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN,
					  DM_EVENT_MAX, &set, &n));
	EXPECT_EQ(n, (unsigned int)DM_EVENT_MAX);
	dm_eventset_t expected = 0;
	for (auto ev : {DM_EVENT_CANCEL, DM_EVENT_MOUNT, DM_EVENT_PREUNMOUNT, DM_EVENT_DEBUT,
			DM_EVENT_UNMOUNT, DM_EVENT_CREATE, DM_EVENT_CLOSE,
			DM_EVENT_POSTCREATE, DM_EVENT_REMOVE, DM_EVENT_POSTREMOVE,
			DM_EVENT_RENAME, DM_EVENT_POSTRENAME, DM_EVENT_LINK,
			DM_EVENT_POSTLINK, DM_EVENT_SYMLINK, DM_EVENT_POSTSYMLINK,
			DM_EVENT_READ, DM_EVENT_WRITE, DM_EVENT_TRUNCATE,
			DM_EVENT_ATTRIBUTE, DM_EVENT_DESTROY, DM_EVENT_NOSPACE,
			DM_EVENT_USER})
		DMEV_SET(ev, expected);
	EXPECT_EQ(set, expected);
}

dm_eventset_t set_of(std::initializer_list<dm_eventtype_t> events)
{
	dm_eventset_t set = 0;
	for (auto ev : events)
		DMEV_SET(ev, set);
	return set;
}

/*
 * For a handle, the events generated for what it names: what its own
 * event list takes, for an object; all but USER for a filesystem.
 */
class ConfigEventsOf : public ObjectMountTest {
protected:
	dm_eventset_t events_of(const Handle &h)
	{
		dm_eventset_t set = 0;
		unsigned int n = 0;
		EXPECT_DM_OK(dm_get_config_events(h.hanp, h.hlen, DM_EVENT_MAX, &set, &n));
		return set;
	}
	const dm_eventset_t object_ = set_of({DM_EVENT_ATTRIBUTE, DM_EVENT_DESTROY,
					      DM_EVENT_DEBUT, DM_EVENT_CLOSE});
};

TEST_F(ConfigEventsOf, AFileTheEventsItsListTakes)
{
	dm_eventset_t set = events_of(file_);
	EXPECT_EQ(set, object_ | set_of({DM_EVENT_READ, DM_EVENT_WRITE, DM_EVENT_TRUNCATE}));
	EXPECT_DM_OK(dm_set_eventlist(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &set,
				      DM_EVENT_MAX));
}

TEST_F(ConfigEventsOf, ADirectoryTheNamespaceEvents)
{
	dm_eventset_t set = events_of(dir_);
	EXPECT_EQ(set, object_ | set_of({DM_EVENT_CREATE, DM_EVENT_POSTCREATE, DM_EVENT_REMOVE,
					 DM_EVENT_POSTREMOVE, DM_EVENT_RENAME,
					 DM_EVENT_POSTRENAME, DM_EVENT_LINK, DM_EVENT_POSTLINK,
					 DM_EVENT_SYMLINK, DM_EVENT_POSTSYMLINK}));
	EXPECT_DM_OK(dm_set_eventlist(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, &set,
				      DM_EVENT_MAX));
}

TEST_F(ConfigEventsOf, ASymbolicLinkThoseOfAnyObject)
{
	ASSERT_EQ(symlink("file", (lower_ + "/link").c_str()), 0) << strerror(errno);
	Handle link;
	ASSERT_DM_OK(dm_path_to_handle(const_cast<char *>((mnt_ + "/link").c_str()), &link.hanp,
				       &link.hlen));
	EXPECT_EQ(events_of(link), object_);
}

TEST_F(ConfigEventsOf, AFilesystemAllButUser)
{
	dm_eventset_t all = 0;
	unsigned int n = 0;
	ASSERT_DM_OK(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_EVENT_MAX, &all, &n));
	dm_eventset_t set = events_of(fs_);
	EXPECT_EQ(set, all & ~set_of({DM_EVENT_USER}));
}

TEST(GetConfigEvents, TooSmallFailsE2BIGWithTheCount)
{
	dm_eventset_t set;
	unsigned int n = 0;
	EXPECT_DM_ERRNO(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, 5,
					     &set, &n), E2BIG);
	EXPECT_EQ(n, (unsigned int)DM_EVENT_MAX);
}

TEST(GetConfigEvents, BadPointersFailEFAULT)
{
	unsigned int n;
	dm_eventset_t set;
	EXPECT_DM_ERRNO(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN,
					     DM_EVENT_MAX, nullptr, &n), EFAULT);
	EXPECT_DM_ERRNO(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN,
					     DM_EVENT_MAX, &set, nullptr), EFAULT);
}

} // namespace
