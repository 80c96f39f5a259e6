// SPDX-License-Identifier: GPL-2.0
//
// Every function of the API that needs the kernel, each called once with
// scratch arguments: for the tests of what all of them answer alike (no
// module, a module of another major version).
#ifndef DMAPI_TESTS_UNIT_KERNEL_CALLS_H
#define DMAPI_TESTS_UNIT_KERNEL_CALLS_H

#include <xdsm/dmapi.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <functional>
#include <utility>
#include <vector>

namespace {

using Call = std::pair<const char *, std::function<long()>>;

// Scratch arguments: valid addresses, so that only the device decides.
struct Args {
	dm_sessid_t sid = 1;
	dm_token_t token = 1;
	dm_size_t size = 0;
	dm_eventset_t events = 0;
	unsigned int nelem = 0;
	size_t rlen = 0;
	dm_timestruct_t delay{};
	char buf[512] = {};
	char info[16] = "test session";
	unsigned char handle[24] = {};
};

// Every function of the API that needs the kernel, whether it uses it
// already or not yet.
std::vector<Call> kernel_calls(Args &a)
{
	void *h = a.handle;
	const size_t hl = sizeof(a.handle);
	static dm_attrname_t name;
	static dm_attrloc_t loc;
	static dm_stat_t st;
	static dm_fileattr_t fa;
	static dm_region_t region;
	static dm_boolean_t exact;
	static dm_right_t right;
	static dm_extent_t extent;
	static dm_off_t off;
	static dm_size_t len;
	static dm_dioinfo_t dio;
	static dm_inherit_t inherit;
	static void *hanp;
	static size_t hlen;
	return {
		{"dm_get_config", [&] { return dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_CONFIG_LEGACY, &a.size); }},
		{"dm_get_config_events", [&] { return dm_get_config_events(h, hl, DM_EVENT_MAX, &a.events, &a.nelem); }},
		{"dm_create_session", [&] { return dm_create_session(DM_NO_SESSION, a.info, &a.sid); }},
		{"dm_destroy_session", [&] { return dm_destroy_session(a.sid); }},
		{"dm_getall_sessions", [&] { return dm_getall_sessions(4, &a.sid, &a.nelem); }},
		{"dm_query_session", [&] { return dm_query_session(a.sid, sizeof(a.buf), a.buf, &a.rlen); }},
		{"dm_get_events", [&] { return dm_get_events(a.sid, 1, 0, sizeof(a.buf), a.buf, &a.rlen); }},
		{"dm_respond_event", [&] { return dm_respond_event(a.sid, a.token, DM_RESP_CONTINUE, 0, 0, nullptr); }},
		{"dm_move_event", [&] { return dm_move_event(a.sid, a.token, a.sid, &a.token); }},
		{"dm_pending", [&] { return dm_pending(a.sid, a.token, &a.delay); }},
		{"dm_find_eventmsg", [&] { return dm_find_eventmsg(a.sid, a.token, sizeof(a.buf), a.buf, &a.rlen); }},
		{"dm_getall_tokens", [&] { return dm_getall_tokens(a.sid, 4, &a.token, &a.nelem); }},
		{"dm_create_userevent", [&] { return dm_create_userevent(a.sid, 4, a.buf, &a.token); }},
		{"dm_send_msg", [&] { return dm_send_msg(a.sid, DM_MSGTYPE_ASYNC, 4, a.buf); }},
		{"dm_set_disp", [&] { return dm_set_disp(a.sid, h, hl, DM_NO_TOKEN, &a.events, DM_EVENT_MAX); }},
		{"dm_getall_disp", [&] { return dm_getall_disp(a.sid, sizeof(a.buf), a.buf, &a.rlen); }},
		{"dm_set_eventlist", [&] { return dm_set_eventlist(a.sid, h, hl, DM_NO_TOKEN, &a.events, DM_EVENT_MAX); }},
		{"dm_get_eventlist", [&] { return dm_get_eventlist(a.sid, h, hl, DM_NO_TOKEN, DM_EVENT_MAX, &a.events, &a.nelem); }},
		{"dm_get_mountinfo", [&] { return dm_get_mountinfo(a.sid, h, hl, DM_NO_TOKEN, sizeof(a.buf), a.buf, &a.rlen); }},
		{"dm_set_return_on_destroy", [&] { return dm_set_return_on_destroy(a.sid, h, hl, DM_NO_TOKEN, &name, DM_TRUE); }},
		{"dm_path_to_handle", [&] { return dm_path_to_handle(a.info, &hanp, &hlen); }},
		{"dm_path_to_fshandle", [&] { return dm_path_to_fshandle(a.info, &hanp, &hlen); }},
		{"dm_fd_to_handle", [&] { return dm_fd_to_handle(0, &hanp, &hlen); }},
		{"dm_handle_to_path", [&] { return dm_handle_to_path(h, hl, h, hl, sizeof(a.buf), a.buf, &a.rlen); }},
		{"dm_open_by_handle", [&] { return dm_open_by_handle(h, hl, O_RDONLY); }},
		{"dm_request_right", [&] { return dm_request_right(a.sid, h, hl, a.token, 0, DM_RIGHT_SHARED); }},
		{"dm_release_right", [&] { return dm_release_right(a.sid, h, hl, a.token); }},
		{"dm_query_right", [&] { return dm_query_right(a.sid, h, hl, a.token, &right); }},
		{"dm_upgrade_right", [&] { return dm_upgrade_right(a.sid, h, hl, a.token); }},
		{"dm_downgrade_right", [&] { return dm_downgrade_right(a.sid, h, hl, a.token); }},
		{"dm_obj_ref_hold", [&] { return dm_obj_ref_hold(a.sid, a.token, h, hl); }},
		{"dm_obj_ref_rele", [&] { return dm_obj_ref_rele(a.sid, a.token, h, hl); }},
		{"dm_obj_ref_query", [&] { return dm_obj_ref_query(a.sid, a.token, h, hl); }},
		{"dm_set_region", [&] { return dm_set_region(a.sid, h, hl, a.token, 1, &region, &exact); }},
		{"dm_get_region", [&] { return dm_get_region(a.sid, h, hl, a.token, 1, &region, &a.nelem); }},
		{"dm_get_fileattr", [&] { return dm_get_fileattr(a.sid, h, hl, a.token, DM_AT_STAT, &st); }},
		{"dm_set_fileattr", [&] { return dm_set_fileattr(a.sid, h, hl, a.token, DM_AT_MODE, &fa); }},
		{"dm_init_attrloc", [&] { return dm_init_attrloc(a.sid, h, hl, a.token, &loc); }},
		{"dm_get_dirattrs", [&] { return dm_get_dirattrs(a.sid, h, hl, a.token, DM_AT_STAT, &loc, sizeof(a.buf), a.buf, &a.rlen); }},
		{"dm_get_bulkattr", [&] { return dm_get_bulkattr(a.sid, h, hl, DM_NO_TOKEN, DM_AT_STAT, &loc, sizeof(a.buf), a.buf, &a.rlen); }},
		{"dm_get_bulkall", [&] { return dm_get_bulkall(a.sid, h, hl, DM_NO_TOKEN, DM_AT_STAT, &name, &loc, sizeof(a.buf), a.buf, &a.rlen); }},
		{"dm_get_dmattr", [&] { return dm_get_dmattr(a.sid, h, hl, a.token, &name, sizeof(a.buf), a.buf, &a.rlen); }},
		{"dm_set_dmattr", [&] { return dm_set_dmattr(a.sid, h, hl, a.token, &name, 0, 4, a.buf); }},
		{"dm_remove_dmattr", [&] { return dm_remove_dmattr(a.sid, h, hl, a.token, 0, &name); }},
		{"dm_getall_dmattr", [&] { return dm_getall_dmattr(a.sid, h, hl, a.token, sizeof(a.buf), a.buf, &a.rlen); }},
		{"dm_set_inherit", [&] { return dm_set_inherit(a.sid, h, hl, a.token, &name, S_IFREG); }},
		{"dm_clear_inherit", [&] { return dm_clear_inherit(a.sid, h, hl, a.token, &name); }},
		{"dm_getall_inherit", [&] { return dm_getall_inherit(a.sid, h, hl, a.token, 1, &inherit, &a.nelem); }},
		{"dm_read_invis", [&] { return static_cast<long>(dm_read_invis(a.sid, h, hl, a.token, 0, 4, a.buf)); }},
		{"dm_write_invis", [&] { return static_cast<long>(dm_write_invis(a.sid, h, hl, a.token, 0, 0, 4, a.buf)); }},
		{"dm_sync_by_handle", [&] { return dm_sync_by_handle(a.sid, h, hl, a.token); }},
		{"dm_punch_hole", [&] { return dm_punch_hole(a.sid, h, hl, a.token, 0, 0); }},
		{"dm_probe_hole", [&] { return dm_probe_hole(a.sid, h, hl, a.token, 0, 0, &off, &len); }},
		{"dm_get_allocinfo", [&] { return dm_get_allocinfo(a.sid, h, hl, a.token, &off, 1, &extent, &a.nelem); }},
		{"dm_get_dioinfo", [&] { return dm_get_dioinfo(a.sid, h, hl, a.token, &dio); }},
		{"dm_create_by_handle", [&] { return dm_create_by_handle(a.sid, h, hl, a.token, h, hl, a.info); }},
		{"dm_mkdir_by_handle", [&] { return dm_mkdir_by_handle(a.sid, h, hl, a.token, h, hl, a.info); }},
		{"dm_symlink_by_handle", [&] { return dm_symlink_by_handle(a.sid, h, hl, a.token, h, hl, a.info, a.info); }},
	};
}

} // namespace

#endif
