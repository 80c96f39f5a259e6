// SPDX-License-Identifier: GPL-2.0
/*
 * The fields of the ioctls' arguments that must be zero: every "padding"
 * and "reserved" field of <xdsm/dmapi_ioctl.h> (each element of an array
 * apart), the fa_pad of DMAPI_IOC_SET_FILEATTR's attributes, and the
 * exactp of DMAPI_IOC_GET_REGION.  Since protocol 1.10 the module refuses
 * a call with any of them set: EINVAL.  Since 1.12, likewise the fields
 * of a shared struct that the call does not read, listed last.
 * DMAPI_IOC_VERSION reads nothing and is not listed.
 *
 * The in-guest test of the rule (reserved_test.cc) and the ioctl fuzzer
 * share the list; tests/unit/check-reserved.sh keeps it complete.
 */
#ifndef DMAPI_TESTS_VM_RESERVED_FIELDS_H
#define DMAPI_TESTS_VM_RESERVED_FIELDS_H

#include <xdsm/dmapi_ioctl.h>

#include <cstddef>

namespace dmtest {

struct ReservedField {
	unsigned long cmd;
	const char *name;	/* "CMD.field" */
	std::size_t offset;
	std::size_t size;
};

#define DM_RESERVED(cmd, type, field)                                         \
	ReservedField                                                         \
	{                                                                     \
		DMAPI_IOC_##cmd, #cmd "." #field, offsetof(type, field),       \
			sizeof(static_cast<type *>(nullptr)->field)           \
	}

/* Each byte of the DM attribute name of a call that reads none. */
static_assert(DMAPI_ATTR_NAME_SIZE == 8, "DM_RESERVED_NAME lists 8 bytes");
#define DM_RESERVED_NAME(cmd, type)                                           \
	DM_RESERVED(cmd, type, attrname[0]),                                  \
		DM_RESERVED(cmd, type, attrname[1]),                          \
		DM_RESERVED(cmd, type, attrname[2]),                          \
		DM_RESERVED(cmd, type, attrname[3]),                          \
		DM_RESERVED(cmd, type, attrname[4]),                          \
		DM_RESERVED(cmd, type, attrname[5]),                          \
		DM_RESERVED(cmd, type, attrname[6]),                          \
		DM_RESERVED(cmd, type, attrname[7])

inline constexpr ReservedField kReservedFields[] = {
	DM_RESERVED(CREATE_SESSION, dmapi_create_session_arg, padding),
	DM_RESERVED(CREATE_SESSION, dmapi_create_session_arg, reserved),
	DM_RESERVED(DESTROY_SESSION, dmapi_session_arg, padding),
	DM_RESERVED(DESTROY_SESSION, dmapi_session_arg, reserved),
	DM_RESERVED(GETALL_SESSIONS, dmapi_getall_arg, padding),
	DM_RESERVED(GETALL_SESSIONS, dmapi_getall_arg, reserved),
	DM_RESERVED(QUERY_SESSION, dmapi_query_session_arg, padding),
	DM_RESERVED(QUERY_SESSION, dmapi_query_session_arg, reserved),
	DM_RESERVED(SEND_MSG, dmapi_send_msg_arg, reserved),
	DM_RESERVED(GET_EVENTS, dmapi_get_events_arg, padding),
	DM_RESERVED(RESPOND_EVENT, dmapi_respond_arg, reserved),
	DM_RESERVED(FIND_EVENTMSG, dmapi_find_eventmsg_arg, reserved),
	DM_RESERVED(GETALL_TOKENS, dmapi_getall_arg, padding),
	DM_RESERVED(GETALL_TOKENS, dmapi_getall_arg, reserved),
	DM_RESERVED(PENDING, dmapi_pending_arg, padding),
	DM_RESERVED(PENDING, dmapi_pending_arg, reserved),
	DM_RESERVED(GET_CONFIG, dmapi_get_config_arg, padding),
	DM_RESERVED(GET_CONFIG, dmapi_get_config_arg, reserved),
	DM_RESERVED(GET_CONFIG_EVENTS, dmapi_get_config_events_arg, reserved),
	DM_RESERVED(FD_TO_HANDLE, dmapi_fd_to_handle_arg, padding),
	DM_RESERVED(FD_TO_HANDLE, dmapi_fd_to_handle_arg, reserved),
	DM_RESERVED(OPEN_BY_HANDLE, dmapi_open_by_handle_arg, reserved),
	DM_RESERVED(HANDLE_TO_PATH, dmapi_handle_to_path_arg, reserved),
	DM_RESERVED(SET_DISP, dmapi_eventset_arg, reserved),
	DM_RESERVED(GETALL_DISP, dmapi_getall_disp_arg, padding),
	DM_RESERVED(GETALL_DISP, dmapi_getall_disp_arg, reserved),
	DM_RESERVED(SET_EVENTLIST, dmapi_eventset_arg, reserved),
	DM_RESERVED(GET_EVENTLIST, dmapi_eventset_arg, reserved),
	DM_RESERVED(GET_MOUNTINFO, dmapi_mountinfo_arg, reserved),
	DM_RESERVED(SET_RETURN_ON_DESTROY, dmapi_return_on_destroy_arg, padding),
	DM_RESERVED(SET_RETURN_ON_DESTROY, dmapi_return_on_destroy_arg, reserved),
	DM_RESERVED(SET_REGION, dmapi_region_arg, padding),
	DM_RESERVED(GET_REGION, dmapi_region_arg, padding),
	/* SET_REGION's exactp: GET_REGION stores no flag. */
	DM_RESERVED(GET_REGION, dmapi_region_arg, exactp),
	DM_RESERVED(READ_INVIS, dmapi_invis_arg, padding),
	DM_RESERVED(READ_INVIS, dmapi_invis_arg, reserved),
	DM_RESERVED(WRITE_INVIS, dmapi_invis_arg, padding),
	DM_RESERVED(WRITE_INVIS, dmapi_invis_arg, reserved),
	DM_RESERVED(PUNCH_HOLE, dmapi_hole_arg, reserved),
	DM_RESERVED(PROBE_HOLE, dmapi_hole_arg, reserved),
	DM_RESERVED(GET_ALLOCINFO, dmapi_allocinfo_arg, reserved),
	DM_RESERVED(SYNC_BY_HANDLE, dmapi_object_arg, reserved),
	DM_RESERVED(GET_DIOINFO, dmapi_object_arg, reserved),
	DM_RESERVED(REQUEST_RIGHT, dmapi_right_arg, padding),
	DM_RESERVED(REQUEST_RIGHT, dmapi_right_arg, reserved),
	DM_RESERVED(RELEASE_RIGHT, dmapi_right_arg, padding),
	DM_RESERVED(RELEASE_RIGHT, dmapi_right_arg, reserved),
	DM_RESERVED(QUERY_RIGHT, dmapi_right_arg, padding),
	DM_RESERVED(QUERY_RIGHT, dmapi_right_arg, reserved),
	DM_RESERVED(UPGRADE_RIGHT, dmapi_right_arg, padding),
	DM_RESERVED(UPGRADE_RIGHT, dmapi_right_arg, reserved),
	DM_RESERVED(DOWNGRADE_RIGHT, dmapi_right_arg, padding),
	DM_RESERVED(DOWNGRADE_RIGHT, dmapi_right_arg, reserved),
	DM_RESERVED(OBJ_REF_HOLD, dmapi_right_arg, padding),
	DM_RESERVED(OBJ_REF_HOLD, dmapi_right_arg, reserved),
	DM_RESERVED(OBJ_REF_RELE, dmapi_right_arg, padding),
	DM_RESERVED(OBJ_REF_RELE, dmapi_right_arg, reserved),
	DM_RESERVED(OBJ_REF_QUERY, dmapi_right_arg, padding),
	DM_RESERVED(OBJ_REF_QUERY, dmapi_right_arg, reserved),
	DM_RESERVED(SET_DMATTR, dmapi_dmattr_arg, padding),
	DM_RESERVED(SET_DMATTR, dmapi_dmattr_arg, reserved),
	DM_RESERVED(GET_DMATTR, dmapi_dmattr_arg, padding),
	DM_RESERVED(GET_DMATTR, dmapi_dmattr_arg, reserved),
	DM_RESERVED(REMOVE_DMATTR, dmapi_dmattr_arg, padding),
	DM_RESERVED(REMOVE_DMATTR, dmapi_dmattr_arg, reserved),
	DM_RESERVED(GETALL_DMATTR, dmapi_dmattr_arg, padding),
	DM_RESERVED(GETALL_DMATTR, dmapi_dmattr_arg, reserved),
	DM_RESERVED(GET_FILEATTR, dmapi_get_fileattr_arg, padding),
	DM_RESERVED(GET_FILEATTR, dmapi_get_fileattr_arg, reserved),
	DM_RESERVED(SET_FILEATTR, dmapi_set_fileattr_arg, padding),
	DM_RESERVED(SET_FILEATTR, dmapi_set_fileattr_arg, reserved),
	DM_RESERVED(SET_FILEATTR, dmapi_set_fileattr_arg, attr.fa_pad),
	DM_RESERVED(INIT_ATTRLOC, dmapi_scan_arg, padding),
	DM_RESERVED(INIT_ATTRLOC, dmapi_scan_arg, reserved),
	DM_RESERVED(GET_DIRATTRS, dmapi_scan_arg, padding),
	DM_RESERVED(GET_DIRATTRS, dmapi_scan_arg, reserved),
	DM_RESERVED(SET_INHERIT, dmapi_inherit_arg, padding),
	DM_RESERVED(SET_INHERIT, dmapi_inherit_arg, reserved),
	DM_RESERVED(CLEAR_INHERIT, dmapi_inherit_arg, padding),
	DM_RESERVED(CLEAR_INHERIT, dmapi_inherit_arg, reserved),
	DM_RESERVED(GETALL_INHERIT, dmapi_inherit_arg, padding),
	DM_RESERVED(GETALL_INHERIT, dmapi_inherit_arg, reserved),
	DM_RESERVED(CREATE_BY_HANDLE, dmapi_create_by_handle_arg, padding),
	DM_RESERVED(CREATE_BY_HANDLE, dmapi_create_by_handle_arg, reserved),
	DM_RESERVED(GET_BULKATTR, dmapi_scan_arg, padding),
	DM_RESERVED(GET_BULKATTR, dmapi_scan_arg, reserved),

	/*
	 * Fields of a shared struct that the call does not read (protocol
	 * 1.12).  GET_BULKATTR reads its attrname with DMAPI_SCAN_DMATTR.
	 */
	DM_RESERVED(GETALL_SESSIONS, dmapi_getall_arg, sid),
	DM_RESERVED(SET_DISP, dmapi_eventset_arg, nelem_out),
	DM_RESERVED(SET_EVENTLIST, dmapi_eventset_arg, nelem_out),
	DM_RESERVED(SET_REGION, dmapi_region_arg, nelem_out),
	DM_RESERVED(GET_REGION, dmapi_region_arg, exact),
	DM_RESERVED(PUNCH_HOLE, dmapi_hole_arg, roff),
	DM_RESERVED(PUNCH_HOLE, dmapi_hole_arg, rlen),
	DM_RESERVED(SYNC_BY_HANDLE, dmapi_object_arg, dio.d_mem),
	DM_RESERVED(SYNC_BY_HANDLE, dmapi_object_arg, dio.d_miniosz),
	DM_RESERVED(SYNC_BY_HANDLE, dmapi_object_arg, dio.d_maxiosz),
	DM_RESERVED(SYNC_BY_HANDLE, dmapi_object_arg, dio.d_dio_only),
	DM_RESERVED(REQUEST_RIGHT, dmapi_right_arg, held),
	DM_RESERVED(RELEASE_RIGHT, dmapi_right_arg, flags),
	DM_RESERVED(RELEASE_RIGHT, dmapi_right_arg, right),
	DM_RESERVED(RELEASE_RIGHT, dmapi_right_arg, held),
	DM_RESERVED(QUERY_RIGHT, dmapi_right_arg, flags),
	DM_RESERVED(QUERY_RIGHT, dmapi_right_arg, held),
	DM_RESERVED(UPGRADE_RIGHT, dmapi_right_arg, flags),
	DM_RESERVED(UPGRADE_RIGHT, dmapi_right_arg, right),
	DM_RESERVED(UPGRADE_RIGHT, dmapi_right_arg, held),
	DM_RESERVED(DOWNGRADE_RIGHT, dmapi_right_arg, flags),
	DM_RESERVED(DOWNGRADE_RIGHT, dmapi_right_arg, right),
	DM_RESERVED(DOWNGRADE_RIGHT, dmapi_right_arg, held),
	DM_RESERVED(OBJ_REF_HOLD, dmapi_right_arg, flags),
	DM_RESERVED(OBJ_REF_HOLD, dmapi_right_arg, right),
	DM_RESERVED(OBJ_REF_HOLD, dmapi_right_arg, held),
	DM_RESERVED(OBJ_REF_RELE, dmapi_right_arg, flags),
	DM_RESERVED(OBJ_REF_RELE, dmapi_right_arg, right),
	DM_RESERVED(OBJ_REF_RELE, dmapi_right_arg, held),
	DM_RESERVED(OBJ_REF_QUERY, dmapi_right_arg, flags),
	DM_RESERVED(OBJ_REF_QUERY, dmapi_right_arg, right),
	DM_RESERVED(SET_DMATTR, dmapi_dmattr_arg, buf.rlen),
	DM_RESERVED(GET_DMATTR, dmapi_dmattr_arg, setdtime),
	DM_RESERVED(REMOVE_DMATTR, dmapi_dmattr_arg, buf.ptr),
	DM_RESERVED(REMOVE_DMATTR, dmapi_dmattr_arg, buf.len),
	DM_RESERVED(REMOVE_DMATTR, dmapi_dmattr_arg, buf.rlen),
	DM_RESERVED_NAME(GETALL_DMATTR, dmapi_dmattr_arg),
	DM_RESERVED(GETALL_DMATTR, dmapi_dmattr_arg, setdtime),
	DM_RESERVED(INIT_ATTRLOC, dmapi_scan_arg, mask),
	DM_RESERVED(INIT_ATTRLOC, dmapi_scan_arg, more),
	DM_RESERVED(INIT_ATTRLOC, dmapi_scan_arg, buf.ptr),
	DM_RESERVED(INIT_ATTRLOC, dmapi_scan_arg, buf.len),
	DM_RESERVED(INIT_ATTRLOC, dmapi_scan_arg, buf.rlen),
	DM_RESERVED_NAME(INIT_ATTRLOC, dmapi_scan_arg),
	DM_RESERVED(INIT_ATTRLOC, dmapi_scan_arg, flags),
	DM_RESERVED_NAME(GET_DIRATTRS, dmapi_scan_arg),
	DM_RESERVED(GET_DIRATTRS, dmapi_scan_arg, flags),
	DM_RESERVED_NAME(GET_BULKATTR, dmapi_scan_arg),
	DM_RESERVED(SET_INHERIT, dmapi_inherit_arg, nelem),
	DM_RESERVED(SET_INHERIT, dmapi_inherit_arg, buf),
	DM_RESERVED(SET_INHERIT, dmapi_inherit_arg, nelem_out),
	DM_RESERVED(CLEAR_INHERIT, dmapi_inherit_arg, filetype),
	DM_RESERVED(CLEAR_INHERIT, dmapi_inherit_arg, nelem),
	DM_RESERVED(CLEAR_INHERIT, dmapi_inherit_arg, buf),
	DM_RESERVED(CLEAR_INHERIT, dmapi_inherit_arg, nelem_out),
	DM_RESERVED_NAME(GETALL_INHERIT, dmapi_inherit_arg),
	DM_RESERVED(GETALL_INHERIT, dmapi_inherit_arg, filetype),
};

#undef DM_RESERVED_NAME
#undef DM_RESERVED

} // namespace dmtest

#endif
