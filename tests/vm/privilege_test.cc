// SPDX-License-Identifier: GPL-2.0
/*
 * Without CAP_SYS_ADMIN every call fails EPERM: as an unprivileged user
 * (who cannot even open /dev/dmapi) and as a process that holds the device
 * open but has dropped the capability.
 */
#include "dmtest.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace dmtest;

namespace {

/* Room for a handle of either size; its contents do not matter here. */
struct HandleBytes {
	char data[24];
};

/*
 * Every call of this release that needs the kernel, the session calls with
 * arguments that would succeed for root: 0 if each failed with EPERM,
 * else the 1-based index of the first that did not.
 */
int every_call_fails_eperm(dm_sessid_t sid, dm_token_t token)
{
	char info[] = "x", data[8] = {}, buf[256];
	char *version;
	dm_sessid_t sids[4];
	dm_token_t tokens[4];
	unsigned int n;
	size_t rlen;
	dm_size_t value;
	dm_eventset_t set;
	dm_timestruct_t delay = {1, 0};
	dm_sessid_t newsid;
	dm_token_t rtoken;

	int i = 0;

#define CHECK(call)                                                           \
	do {                                                                  \
		i++;                                                          \
		errno = 0;                                                    \
		if ((call) != -1 || errno != EPERM)                           \
			return i;                                             \
	} while (0)
	CHECK(dm_init_service(&version));
	CHECK(dm_create_session(DM_NO_SESSION, info, &newsid));
	CHECK(dm_create_session(sid, info, &newsid));
	CHECK(dm_destroy_session(sid));
	CHECK(dm_getall_sessions(4, sids, &n));
	CHECK(dm_query_session(sid, sizeof(buf), buf, &rlen));
	CHECK(dm_create_userevent(sid, 0, data, &rtoken));
	CHECK(dm_send_msg(sid, DM_MSGTYPE_ASYNC, 1, data));
	CHECK(dm_send_msg(sid, DM_MSGTYPE_SYNC, 1, data));
	CHECK(dm_get_events(sid, 0, 0, sizeof(buf), buf, &rlen));
	CHECK(dm_respond_event(sid, token, DM_RESP_CONTINUE, 0, 0, nullptr));
	CHECK(dm_find_eventmsg(sid, token, sizeof(buf), buf, &rlen));
	CHECK(dm_getall_tokens(sid, 4, tokens, &n));
	CHECK(dm_move_event(sid, token, sid, &rtoken));
	CHECK(dm_pending(sid, token, &delay));
	CHECK(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_CONFIG_PENDING,
			    &value));
	CHECK(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_EVENT_MAX,
				   &set, &n));

	/* The calls on handles: the capability is checked before the handle. */
	HandleBytes fsh = {}, file = {};
	dm_attrname_t name = {{'n'}};
	dm_region_t region = {};
	dm_extent_t extent;
	dm_dioinfo_t dio;
	dm_boolean_t exact;
	dm_off_t off = 0, roff;
	dm_size_t rsize;
	set = 0;
	DMEV_SET(DM_EVENT_MOUNT, set);
	CHECK(dm_set_disp(sid, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &set,
			  DM_EVENT_MAX));
	CHECK(dm_getall_disp(sid, sizeof(buf), buf, &rlen));
	CHECK(dm_set_eventlist(sid, fsh.data, 8, DM_NO_TOKEN, &set, DM_EVENT_MAX));
	CHECK(dm_get_eventlist(sid, fsh.data, 8, DM_NO_TOKEN, DM_EVENT_MAX, &set, &n));
	CHECK(dm_get_mountinfo(sid, fsh.data, 8, DM_NO_TOKEN, sizeof(buf), buf, &rlen));
	CHECK(dm_set_return_on_destroy(sid, fsh.data, 8, DM_NO_TOKEN, &name, DM_TRUE));
	CHECK(dm_set_region(sid, file.data, 24, DM_NO_TOKEN, 1, &region, &exact));
	CHECK(dm_get_region(sid, file.data, 24, DM_NO_TOKEN, 1, &region, &n));
	CHECK(dm_read_invis(sid, file.data, 24, DM_NO_TOKEN, 0, 1, buf));
	CHECK(dm_write_invis(sid, file.data, 24, DM_NO_TOKEN, 0, 0, 1, buf));
	CHECK(dm_punch_hole(sid, file.data, 24, DM_NO_TOKEN, 0, 0));
	CHECK(dm_probe_hole(sid, file.data, 24, DM_NO_TOKEN, 0, 0, &roff, &rsize));
	CHECK(dm_get_allocinfo(sid, file.data, 24, DM_NO_TOKEN, &off, 1, &extent, &n));
	CHECK(dm_sync_by_handle(sid, file.data, 24, DM_NO_TOKEN));
	CHECK(dm_get_dioinfo(sid, file.data, 24, DM_NO_TOKEN, &dio));
	dm_right_t right;
	CHECK(dm_request_right(sid, file.data, 24, token, 0, DM_RIGHT_SHARED));
	CHECK(dm_release_right(sid, file.data, 24, token));
	CHECK(dm_query_right(sid, file.data, 24, token, &right));
	CHECK(dm_upgrade_right(sid, file.data, 24, token));
	CHECK(dm_downgrade_right(sid, file.data, 24, token));
	CHECK(dm_obj_ref_hold(sid, token, file.data, 24));
	CHECK(dm_obj_ref_rele(sid, token, file.data, 24));
	CHECK(dm_obj_ref_query(sid, token, file.data, 24));
	CHECK(dm_set_dmattr(sid, file.data, 24, DM_NO_TOKEN, &name, 0, 1, buf));
	CHECK(dm_get_dmattr(sid, file.data, 24, DM_NO_TOKEN, &name, sizeof(buf), buf,
			    &rlen));
	CHECK(dm_remove_dmattr(sid, file.data, 24, DM_NO_TOKEN, 0, &name));
	CHECK(dm_getall_dmattr(sid, file.data, 24, DM_NO_TOKEN, sizeof(buf), buf,
			       &rlen));
	dm_stat_t st;
	dm_fileattr_t fa = {};
	dm_attrloc_t loc = 0;
	dm_inherit_t inherit;
	CHECK(dm_get_fileattr(sid, file.data, 24, DM_NO_TOKEN, DM_AT_STAT, &st));
	CHECK(dm_set_fileattr(sid, file.data, 24, DM_NO_TOKEN, DM_AT_MODE, &fa));
	CHECK(dm_init_attrloc(sid, fsh.data, 8, DM_NO_TOKEN, &loc));
	CHECK(dm_get_dirattrs(sid, file.data, 24, DM_NO_TOKEN, DM_AT_STAT, &loc, sizeof(buf),
			      buf, &rlen));
	CHECK(dm_get_bulkattr(sid, fsh.data, 8, DM_NO_TOKEN, DM_AT_STAT, &loc, sizeof(buf), buf,
			      &rlen));
	CHECK(dm_get_bulkall(sid, fsh.data, 8, DM_NO_TOKEN, DM_AT_STAT, &name, &loc, sizeof(buf),
			     buf, &rlen));
	CHECK(dm_create_by_handle(sid, file.data, 24, DM_NO_TOKEN, file.data, 24, info));
	CHECK(dm_mkdir_by_handle(sid, file.data, 24, DM_NO_TOKEN, file.data, 24, info));
	CHECK(dm_symlink_by_handle(sid, file.data, 24, DM_NO_TOKEN, file.data, 24, info, info));
	CHECK(dm_set_inherit(sid, fsh.data, 8, DM_NO_TOKEN, &name, S_IFREG));
	CHECK(dm_clear_inherit(sid, fsh.data, 8, DM_NO_TOKEN, &name));
	CHECK(dm_getall_inherit(sid, fsh.data, 8, DM_NO_TOKEN, 1, &inherit, &n));

	/* The calls that make and use handles. */
	void *hanp;
	size_t hlen;
	char root[] = "/";
	CHECK(dm_open_by_handle(file.data, 24, O_RDONLY));
	CHECK(dm_handle_to_path(file.data, 24, file.data, 24, sizeof(buf), buf, &rlen));
	CHECK(dm_path_to_handle(root, &hanp, &hlen));
	CHECK(dm_path_to_fshandle(root, &hanp, &hlen));
	int fd = open("/", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int failed = 0;
	i++;
	errno = 0;
	if (dm_fd_to_handle(fd, &hanp, &hlen) != -1 || errno != EPERM)
		failed = i;
	close(fd);
	if (failed)
		return failed;
#undef CHECK
	return 0;
}

class Privilege : public SessionTest {
protected:
	void SetUp() override
	{
		SessionTest::SetUp();
		ASSERT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token_));
	}
	dm_token_t token_ = DM_INVALID_TOKEN;
};

TEST_F(Privilege, DeviceIsRootOnly)
{
	struct stat st;
	ASSERT_EQ(stat("/dev/dmapi", &st), 0);
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0600u);
	EXPECT_EQ(st.st_uid, 0u);
}

TEST_F(Privilege, UnprivilegedUserGetsEPERMFromEveryCall)
{
	int rc = in_child([this] {
		if (setgid(65534) || setuid(65534))
			return 100;
		return every_call_fails_eperm(sid_, token_);
	});
	EXPECT_EQ(rc, 0) << "call #" << rc << " did not fail with EPERM";
}

TEST_F(Privilege, RootWithoutCapSysAdminGetsEPERMEvenWithTheDeviceOpen)
{
	int rc = in_child([this] {
		/* The library holds the device open from the parent's calls. */
		if (drop_capability(CAP_SYS_ADMIN))
			return 100;
		return every_call_fails_eperm(sid_, token_);
	});
	EXPECT_EQ(rc, 0) << "call #" << rc << " did not fail with EPERM";
	/* Nothing changed for the privileged. */
	std::vector<dm_token_t> t(4);
	unsigned int n = 0;
	EXPECT_DM_OK(dm_getall_tokens(sid_, t.size(), t.data(), &n));
	EXPECT_EQ(n, 1u);
}

} // namespace
