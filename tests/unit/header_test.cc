// SPDX-License-Identifier: GPL-2.0
//
// The public header from C++ and against its C view: constants keep SGI's
// values, macros work, C and C++ agree on layouts.
#include <dmapi.h>
#include <xfs/dmapi.h>
#include <xdsm/dmapi.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <vector>

#include "header_test.h"

namespace {

TEST(Header, CAndCxxAgreeOnLayouts)
{
	const std::vector<std::size_t> cxx = {
		sizeof(dm_eventmsg_t),
		sizeof(dm_stat_t),
		offsetof(dm_stat_t, dt_size),
		offsetof(dm_stat_t, fsys_dep),
		sizeof(dm_fileattr_t),
		offsetof(dm_fileattr_t, fa_size),
		sizeof(dm_timestruct_t),
		sizeof(dm_xstat_t),
		sizeof(dm_region_t),
		sizeof(dm_mount_event_t),
		sizeof(dm_namesp_event_t),
		sizeof(dm_config_t),
		sizeof(dm_eventtype_t),
	};
	ASSERT_EQ(cxx.size(), dmapi_c_layout_count);
	for (std::size_t i = 0; i < cxx.size(); i++)
		EXPECT_EQ(cxx[i], dmapi_c_layout[i]) << "entry " << i;
}

TEST(Header, EventValuesAreSgis)
{
	EXPECT_EQ(DM_EVENT_INVALID, -1);
	EXPECT_EQ(DM_EVENT_CANCEL, 0);
	EXPECT_EQ(DM_EVENT_MOUNT, 1);
	EXPECT_EQ(DM_EVENT_PREUNMOUNT, 2);
	EXPECT_EQ(DM_EVENT_UNMOUNT, 3);
	EXPECT_EQ(DM_EVENT_DEBUT, 4);
	EXPECT_EQ(DM_EVENT_CREATE, 5);
	EXPECT_EQ(DM_EVENT_CLOSE, 6);
	EXPECT_EQ(DM_EVENT_POSTCREATE, 7);
	EXPECT_EQ(DM_EVENT_REMOVE, 8);
	EXPECT_EQ(DM_EVENT_POSTREMOVE, 9);
	EXPECT_EQ(DM_EVENT_RENAME, 10);
	EXPECT_EQ(DM_EVENT_POSTRENAME, 11);
	EXPECT_EQ(DM_EVENT_LINK, 12);
	EXPECT_EQ(DM_EVENT_POSTLINK, 13);
	EXPECT_EQ(DM_EVENT_SYMLINK, 14);
	EXPECT_EQ(DM_EVENT_POSTSYMLINK, 15);
	EXPECT_EQ(DM_EVENT_READ, 16);
	EXPECT_EQ(DM_EVENT_WRITE, 17);
	EXPECT_EQ(DM_EVENT_TRUNCATE, 18);
	EXPECT_EQ(DM_EVENT_ATTRIBUTE, 19);
	EXPECT_EQ(DM_EVENT_DESTROY, 20);
	EXPECT_EQ(DM_EVENT_NOSPACE, 21);
	EXPECT_EQ(DM_EVENT_USER, 22);
	EXPECT_EQ(DM_EVENT_MAX, 23);
}

TEST(Header, EnumValuesAreSgis)
{
	EXPECT_EQ(DM_CONFIG_INVALID, 0);
	EXPECT_EQ(DM_CONFIG_BULKALL, 1);
	EXPECT_EQ(DM_CONFIG_CREATE_BY_HANDLE, 2);
	EXPECT_EQ(DM_CONFIG_DTIME_OVERLOAD, 3);
	EXPECT_EQ(DM_CONFIG_LEGACY, 4);
	EXPECT_EQ(DM_CONFIG_LOCK_UPGRADE, 5);
	EXPECT_EQ(DM_CONFIG_MAX_ATTR_ON_DESTROY, 6);
	EXPECT_EQ(DM_CONFIG_MAX_ATTRIBUTE_SIZE, 7);
	EXPECT_EQ(DM_CONFIG_MAX_HANDLE_SIZE, 8);
	EXPECT_EQ(DM_CONFIG_MAX_MANAGED_REGIONS, 9);
	EXPECT_EQ(DM_CONFIG_MAX_MESSAGE_DATA, 10);
	EXPECT_EQ(DM_CONFIG_OBJ_REF, 11);
	EXPECT_EQ(DM_CONFIG_PENDING, 12);
	EXPECT_EQ(DM_CONFIG_PERS_ATTRIBUTES, 13);
	EXPECT_EQ(DM_CONFIG_PERS_EVENTS, 14);
	EXPECT_EQ(DM_CONFIG_PERS_INHERIT_ATTRIBS, 15);
	EXPECT_EQ(DM_CONFIG_PERS_MANAGED_REGIONS, 16);
	EXPECT_EQ(DM_CONFIG_PUNCH_HOLE, 17);
	EXPECT_EQ(DM_CONFIG_TOTAL_ATTRIBUTE_SPACE, 18);
	EXPECT_EQ(DM_CONFIG_WILL_RETRY, 19);

	EXPECT_EQ(DM_EXTENT_INVALID, 0);
	EXPECT_EQ(DM_EXTENT_RES, 1);
	EXPECT_EQ(DM_EXTENT_HOLE, 2);
	EXPECT_EQ(DM_MSGTYPE_INVALID, 0);
	EXPECT_EQ(DM_MSGTYPE_SYNC, 1);
	EXPECT_EQ(DM_MSGTYPE_ASYNC, 2);
	EXPECT_EQ(DM_RESP_INVALID, 0);
	EXPECT_EQ(DM_RESP_CONTINUE, 1);
	EXPECT_EQ(DM_RESP_ABORT, 2);
	EXPECT_EQ(DM_RESP_DONTCARE, 3);
	EXPECT_EQ(DM_RIGHT_NULL, 0);
	EXPECT_EQ(DM_RIGHT_SHARED, 1);
	EXPECT_EQ(DM_RIGHT_EXCL, 2);
}

TEST(Header, ConstantsAreSgis)
{
	EXPECT_EQ(DM_SESSION_INFO_LEN, 256);
	EXPECT_EQ(DM_ATTR_NAME_SIZE, 8);
	EXPECT_EQ(DM_NO_SESSION, 0);
	EXPECT_EQ(DM_INVALID_TOKEN, 0);
	EXPECT_EQ(DM_NO_TOKEN, -1);
	EXPECT_EQ(DM_TRUE, 1);
	EXPECT_EQ(DM_FALSE, 0);
	EXPECT_TRUE(DM_INVALID_HANP == nullptr);
	EXPECT_EQ(DM_INVALID_HLEN, 0);
	EXPECT_EQ(reinterpret_cast<std::uintptr_t>(DM_GLOBAL_HANP), 1u);
	EXPECT_EQ(DM_GLOBAL_HLEN, 1u);
	EXPECT_EQ(DM_EV_WAIT, 1);
	EXPECT_EQ(DM_RR_WAIT, 1);
	EXPECT_EQ(DM_WRITE_SYNC, 1);
	EXPECT_EQ(DM_MOUNT_RDONLY, 1);
	EXPECT_EQ(DM_UNMOUNT_FORCE, 1);
	EXPECT_EQ(DM_REGION_NOEVENT, 0);
	EXPECT_EQ(DM_REGION_READ, 1);
	EXPECT_EQ(DM_REGION_WRITE, 2);
	EXPECT_EQ(DM_REGION_TRUNCATE, 4);
	EXPECT_EQ(DM_AT_MODE, 0x0001);
	EXPECT_EQ(DM_AT_HANDLE, 0x0100);
	EXPECT_EQ(DM_AT_STAT, 0x1000);
	EXPECT_EQ(DM_AT_CFLAG, 0x2000);
	EXPECT_EQ(DM_XFLAG_HASATTR, 0x80000000u);
	/* The literal SGI's header has, compiled into its programs. */
	EXPECT_STREQ(DM_VER_STR_CONTENTS, "SGI DMAPI (XDSM) API, Release 1.0.");
}

TEST(Header, EventSetMacros)
{
	dm_eventset_t set;
	DMEV_ZERO(set);
	EXPECT_EQ(set, 0u);
	DMEV_SET(DM_EVENT_CANCEL, set);
	DMEV_SET(DM_EVENT_USER, set);
	EXPECT_TRUE(DMEV_ISSET(DM_EVENT_CANCEL, set));
	EXPECT_TRUE(DMEV_ISSET(DM_EVENT_USER, set));
	EXPECT_FALSE(DMEV_ISSET(DM_EVENT_READ, set));
	DMEV_CLR(DM_EVENT_CANCEL, set);
	EXPECT_FALSE(DMEV_ISSET(DM_EVENT_CANCEL, set));
	EXPECT_EQ(set, dm_eventset_t{1} << DM_EVENT_USER);

	// Every event up to DM_EVENT_MAX fits the set.
	DMEV_ZERO(set);
	for (int event = 0; event < DM_EVENT_MAX; event++)
		DMEV_SET(event, set);
	EXPECT_EQ(set, (dm_eventset_t{1} << DM_EVENT_MAX) - 1);

	EXPECT_EQ(dmapi_c_eventset(),
		  (dm_eventset_t{1} << DM_EVENT_READ) | (dm_eventset_t{1} << DM_EVENT_USER));
}

TEST(Header, GlobalHandleFromC)
{
	std::size_t hlen = 0;
	EXPECT_EQ(dmapi_c_global_handle(&hlen), DM_GLOBAL_HANP);
	EXPECT_EQ(hlen, DM_GLOBAL_HLEN);
}

} // namespace
