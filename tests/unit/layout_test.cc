// SPDX-License-Identifier: GPL-2.0
//
// The structures of <xdsm/dmapi.h> have the sizes and offsets of SGI's
// Linux DMAPI on x86_64 and on i386 (where 64-bit members are only 4-byte
// aligned and SGI's time_t had 4 bytes).  The numbers were worked out from
// SGI's declarations; a failure here is an ABI break, not a test to adjust.
//
// The protocol structs of <xdsm/dmapi_ioctl.h> must be the same on both,
// since one 64-bit kernel serves both without translation.
#include <xdsm/dmapi.h>
#include <xdsm/dmapi_ioctl.h>

#include <cstddef>
#include <gtest/gtest.h>

namespace {

#define ASSERT_LAYOUT(type, size) static_assert(sizeof(type) == (size), #type)
#define ASSERT_OFFSET(type, field, off) \
	static_assert(offsetof(type, field) == (off), #type "." #field)

#if defined(__x86_64__) || defined(__i386__)

#if defined(__x86_64__)
constexpr std::size_t L = 8;	// SGI's time_t, also the alignment of 64-bit members
#else
constexpr std::size_t L = 4;
#endif

// Scalars.
ASSERT_LAYOUT(dm_attrloc_t, 8);
ASSERT_LAYOUT(dm_boolean_t, 4);
ASSERT_LAYOUT(dm_eventset_t, 8);
ASSERT_LAYOUT(dm_fsid_t, 8);
ASSERT_LAYOUT(dm_ino_t, 8);
ASSERT_LAYOUT(dm_igen_t, 4);
ASSERT_LAYOUT(dm_off_t, 8);
ASSERT_LAYOUT(dm_sequence_t, 4);
ASSERT_LAYOUT(dm_sessid_t, 4);
ASSERT_LAYOUT(dm_size_t, 8);
ASSERT_LAYOUT(dm_ssize_t, 8);
ASSERT_LAYOUT(dm_token_t, 4);
ASSERT_LAYOUT(dm_dev_t, 8);
ASSERT_LAYOUT(dm_mode_t, 4);
ASSERT_LAYOUT(dm_nlink_t, 4);
ASSERT_LAYOUT(dm_time_t, L);
ASSERT_LAYOUT(dm_config_t, 4);
ASSERT_LAYOUT(dm_eventtype_t, 4);
ASSERT_LAYOUT(dm_extenttype_t, 4);
ASSERT_LAYOUT(dm_msgtype_t, 4);
ASSERT_LAYOUT(dm_response_t, 4);
ASSERT_LAYOUT(dm_right_t, 4);

// Same on both architectures.
ASSERT_LAYOUT(dm_vardata_t, 8);
ASSERT_OFFSET(dm_vardata_t, vd_length, 4);
ASSERT_LAYOUT(dm_attrname_t, 8);
ASSERT_LAYOUT(dm_attrlist_t, 20);
ASSERT_OFFSET(dm_attrlist_t, al_name, 4);
ASSERT_OFFSET(dm_attrlist_t, al_data, 12);
ASSERT_LAYOUT(dm_dioinfo_t, 16);
ASSERT_OFFSET(dm_dioinfo_t, d_dio_only, 12);
ASSERT_LAYOUT(dm_dispinfo_t, 24);
ASSERT_OFFSET(dm_dispinfo_t, di_fshandle, 8);
ASSERT_OFFSET(dm_dispinfo_t, di_eventset, 16);
ASSERT_LAYOUT(dm_eventmsg_t, 24);
ASSERT_OFFSET(dm_eventmsg_t, ev_type, 4);
ASSERT_OFFSET(dm_eventmsg_t, ev_token, 8);
ASSERT_OFFSET(dm_eventmsg_t, ev_sequence, 12);
ASSERT_OFFSET(dm_eventmsg_t, ev_data, 16);
ASSERT_LAYOUT(dm_cancel_event_t, 8);
ASSERT_LAYOUT(dm_data_event_t, 24);
ASSERT_OFFSET(dm_data_event_t, de_offset, 8);
ASSERT_OFFSET(dm_data_event_t, de_length, 16);
ASSERT_LAYOUT(dm_destroy_event_t, 24);
ASSERT_OFFSET(dm_destroy_event_t, ds_attrname, 8);
ASSERT_OFFSET(dm_destroy_event_t, ds_attrcopy, 16);
ASSERT_LAYOUT(dm_mount_event_t, 44);
ASSERT_OFFSET(dm_mount_event_t, me_handle1, 4);
ASSERT_OFFSET(dm_mount_event_t, me_handle2, 12);
ASSERT_OFFSET(dm_mount_event_t, me_name1, 20);
ASSERT_OFFSET(dm_mount_event_t, me_name2, 28);
ASSERT_OFFSET(dm_mount_event_t, me_roothandle, 36);
ASSERT_LAYOUT(dm_namesp_event_t, 40);
ASSERT_OFFSET(dm_namesp_event_t, ne_handle1, 4);
ASSERT_OFFSET(dm_namesp_event_t, ne_handle2, 12);
ASSERT_OFFSET(dm_namesp_event_t, ne_name1, 20);
ASSERT_OFFSET(dm_namesp_event_t, ne_name2, 28);
ASSERT_OFFSET(dm_namesp_event_t, ne_retcode, 36);
ASSERT_LAYOUT(dm_extent_t, 24);
ASSERT_OFFSET(dm_extent_t, ex_offset, 8);
ASSERT_OFFSET(dm_extent_t, ex_length, 16);
ASSERT_LAYOUT(dm_inherit_t, 12);
ASSERT_OFFSET(dm_inherit_t, ih_filetype, 8);
ASSERT_LAYOUT(dm_region_t, 24);
ASSERT_OFFSET(dm_region_t, rg_size, 8);
ASSERT_OFFSET(dm_region_t, rg_flags, 16);
ASSERT_OFFSET(dm_region_t, rg_pad1, 20);

#if defined(__x86_64__)
ASSERT_LAYOUT(dm_fileattr_t, 64);
ASSERT_OFFSET(dm_fileattr_t, fa_uid, 4);
ASSERT_OFFSET(dm_fileattr_t, fa_gid, 8);
ASSERT_OFFSET(dm_fileattr_t, fa_atime, 16);
ASSERT_OFFSET(dm_fileattr_t, fa_mtime, 24);
ASSERT_OFFSET(dm_fileattr_t, fa_ctime, 32);
ASSERT_OFFSET(dm_fileattr_t, fa_dtime, 40);
ASSERT_OFFSET(dm_fileattr_t, fa_pad1, 48);
ASSERT_OFFSET(dm_fileattr_t, fa_size, 56);

ASSERT_LAYOUT(dm_stat_t, 184);
ASSERT_OFFSET(dm_stat_t, dt_handle, 4);
ASSERT_OFFSET(dm_stat_t, dt_compname, 12);
ASSERT_OFFSET(dm_stat_t, dt_nevents, 20);
ASSERT_OFFSET(dm_stat_t, dt_emask, 24);
ASSERT_OFFSET(dm_stat_t, dt_pers, 32);
ASSERT_OFFSET(dm_stat_t, dt_pmanreg, 36);
ASSERT_OFFSET(dm_stat_t, dt_dtime, 40);
ASSERT_OFFSET(dm_stat_t, dt_change, 48);
ASSERT_OFFSET(dm_stat_t, dt_pad1, 52);
ASSERT_OFFSET(dm_stat_t, dt_dev, 56);
ASSERT_OFFSET(dm_stat_t, dt_ino, 64);
ASSERT_OFFSET(dm_stat_t, dt_mode, 72);
ASSERT_OFFSET(dm_stat_t, dt_nlink, 76);
ASSERT_OFFSET(dm_stat_t, dt_uid, 80);
ASSERT_OFFSET(dm_stat_t, dt_gid, 84);
ASSERT_OFFSET(dm_stat_t, dt_rdev, 88);
ASSERT_OFFSET(dm_stat_t, dt_pad2, 96);
ASSERT_OFFSET(dm_stat_t, dt_size, 104);
ASSERT_OFFSET(dm_stat_t, dt_atime, 112);
ASSERT_OFFSET(dm_stat_t, dt_mtime, 120);
ASSERT_OFFSET(dm_stat_t, dt_ctime, 128);
ASSERT_OFFSET(dm_stat_t, dt_blksize, 136);
ASSERT_OFFSET(dm_stat_t, dt_blocks, 144);
ASSERT_OFFSET(dm_stat_t, dt_pad3, 152);
ASSERT_OFFSET(dm_stat_t, dt_fstype, 160);
ASSERT_OFFSET(dm_stat_t, fsys_dep, 164);
ASSERT_OFFSET(dm_stat_t, dt_xfs_igen, 164);
ASSERT_OFFSET(dm_stat_t, dt_xfs_dmstate, 182);

ASSERT_LAYOUT(dm_timestruct_t, 16);
ASSERT_OFFSET(dm_timestruct_t, dm_tv_nsec, 8);
ASSERT_LAYOUT(dm_xstat_t, 192);
ASSERT_OFFSET(dm_xstat_t, dx_attrdata, 184);
#else
ASSERT_LAYOUT(dm_fileattr_t, 40);
ASSERT_OFFSET(dm_fileattr_t, fa_uid, 4);
ASSERT_OFFSET(dm_fileattr_t, fa_gid, 8);
ASSERT_OFFSET(dm_fileattr_t, fa_atime, 12);
ASSERT_OFFSET(dm_fileattr_t, fa_mtime, 16);
ASSERT_OFFSET(dm_fileattr_t, fa_ctime, 20);
ASSERT_OFFSET(dm_fileattr_t, fa_dtime, 24);
ASSERT_OFFSET(dm_fileattr_t, fa_pad1, 28);
ASSERT_OFFSET(dm_fileattr_t, fa_size, 32);

ASSERT_LAYOUT(dm_stat_t, 160);
ASSERT_OFFSET(dm_stat_t, dt_handle, 4);
ASSERT_OFFSET(dm_stat_t, dt_compname, 12);
ASSERT_OFFSET(dm_stat_t, dt_nevents, 20);
ASSERT_OFFSET(dm_stat_t, dt_emask, 24);
ASSERT_OFFSET(dm_stat_t, dt_pers, 32);
ASSERT_OFFSET(dm_stat_t, dt_pmanreg, 36);
ASSERT_OFFSET(dm_stat_t, dt_dtime, 40);
ASSERT_OFFSET(dm_stat_t, dt_change, 44);
ASSERT_OFFSET(dm_stat_t, dt_pad1, 48);
ASSERT_OFFSET(dm_stat_t, dt_dev, 52);
ASSERT_OFFSET(dm_stat_t, dt_ino, 60);
ASSERT_OFFSET(dm_stat_t, dt_mode, 68);
ASSERT_OFFSET(dm_stat_t, dt_nlink, 72);
ASSERT_OFFSET(dm_stat_t, dt_uid, 76);
ASSERT_OFFSET(dm_stat_t, dt_gid, 80);
ASSERT_OFFSET(dm_stat_t, dt_rdev, 84);
ASSERT_OFFSET(dm_stat_t, dt_pad2, 92);
ASSERT_OFFSET(dm_stat_t, dt_size, 96);
ASSERT_OFFSET(dm_stat_t, dt_atime, 104);
ASSERT_OFFSET(dm_stat_t, dt_mtime, 108);
ASSERT_OFFSET(dm_stat_t, dt_ctime, 112);
ASSERT_OFFSET(dm_stat_t, dt_blksize, 116);
ASSERT_OFFSET(dm_stat_t, dt_blocks, 120);
ASSERT_OFFSET(dm_stat_t, dt_pad3, 128);
ASSERT_OFFSET(dm_stat_t, dt_fstype, 136);
ASSERT_OFFSET(dm_stat_t, fsys_dep, 140);
ASSERT_OFFSET(dm_stat_t, dt_xfs_igen, 140);
ASSERT_OFFSET(dm_stat_t, dt_xfs_dmstate, 158);

ASSERT_LAYOUT(dm_timestruct_t, 8);
ASSERT_OFFSET(dm_timestruct_t, dm_tv_nsec, 4);
ASSERT_LAYOUT(dm_xstat_t, 168);
ASSERT_OFFSET(dm_xstat_t, dx_attrdata, 160);
#endif

// The protocol: identical for both, so compat_ioctl needs no translation.
ASSERT_LAYOUT(dmapi_fid, 16);
ASSERT_LAYOUT(dmapi_handle, 24);
ASSERT_LAYOUT(dmapi_eventmsg, 24);
ASSERT_LAYOUT(dmapi_buffer, 24);
ASSERT_LAYOUT(dmapi_version_arg, 32);
ASSERT_LAYOUT(dmapi_create_session_arg, 40);
ASSERT_OFFSET(dmapi_create_session_arg, info, 8);
ASSERT_OFFSET(dmapi_create_session_arg, infolen, 16);
ASSERT_OFFSET(dmapi_create_session_arg, newsidp, 24);
ASSERT_LAYOUT(dmapi_session_arg, 16);
ASSERT_LAYOUT(dmapi_getall_arg, 32);
ASSERT_OFFSET(dmapi_getall_arg, buf, 8);
ASSERT_OFFSET(dmapi_getall_arg, nelem_out, 16);
ASSERT_LAYOUT(dmapi_query_session_arg, 40);
ASSERT_OFFSET(dmapi_query_session_arg, buf, 8);
ASSERT_LAYOUT(dmapi_create_userevent_arg, 32);
ASSERT_OFFSET(dmapi_create_userevent_arg, tokenp, 24);
ASSERT_LAYOUT(dmapi_send_msg_arg, 32);
ASSERT_LAYOUT(dmapi_get_events_arg, 48);
ASSERT_OFFSET(dmapi_get_events_arg, buf, 16);
ASSERT_OFFSET(dmapi_get_events_arg, rlenp, 40);
ASSERT_LAYOUT(dmapi_respond_arg, 40);
ASSERT_OFFSET(dmapi_respond_arg, buf, 16);
ASSERT_LAYOUT(dmapi_find_eventmsg_arg, 40);
ASSERT_OFFSET(dmapi_find_eventmsg_arg, buf, 8);
ASSERT_LAYOUT(dmapi_move_event_arg, 24);
ASSERT_OFFSET(dmapi_move_event_arg, rtokenp, 16);
ASSERT_LAYOUT(dmapi_pending_arg, 32);
ASSERT_OFFSET(dmapi_pending_arg, delay_sec, 8);
ASSERT_OFFSET(dmapi_pending_arg, delay_nsec, 16);
ASSERT_LAYOUT(dmapi_get_config_arg, 40);
ASSERT_OFFSET(dmapi_get_config_arg, flagname, 16);
ASSERT_OFFSET(dmapi_get_config_arg, retval, 24);
ASSERT_LAYOUT(dmapi_get_config_events_arg, 40);
ASSERT_OFFSET(dmapi_get_config_events_arg, eventset, 24);
ASSERT_LAYOUT(dmapi_eventset_arg, 48);
ASSERT_OFFSET(dmapi_eventset_arg, hanp, 8);
ASSERT_OFFSET(dmapi_eventset_arg, hlen, 16);
ASSERT_OFFSET(dmapi_eventset_arg, eventset, 24);
ASSERT_OFFSET(dmapi_eventset_arg, nelem, 32);
ASSERT_OFFSET(dmapi_eventset_arg, nelem_out, 36);
ASSERT_LAYOUT(dmapi_getall_disp_arg, 40);
ASSERT_OFFSET(dmapi_getall_disp_arg, buf, 8);
ASSERT_LAYOUT(dmapi_mountinfo_arg, 56);
ASSERT_OFFSET(dmapi_mountinfo_arg, hanp, 8);
ASSERT_OFFSET(dmapi_mountinfo_arg, buf, 24);
ASSERT_LAYOUT(dmapi_return_on_destroy_arg, 48);
ASSERT_OFFSET(dmapi_return_on_destroy_arg, attrname, 24);
ASSERT_OFFSET(dmapi_return_on_destroy_arg, enable, 32);
ASSERT_LAYOUT(dmapi_region, 24);
ASSERT_OFFSET(dmapi_region, rg_size, 8);
ASSERT_OFFSET(dmapi_region, rg_flags, 16);
ASSERT_OFFSET(dmapi_region, rg_pad, 20);
ASSERT_LAYOUT(dmapi_region_arg, 56);
ASSERT_OFFSET(dmapi_region_arg, hanp, 8);
ASSERT_OFFSET(dmapi_region_arg, hlen, 16);
ASSERT_OFFSET(dmapi_region_arg, regions, 24);
ASSERT_OFFSET(dmapi_region_arg, nelem, 32);
ASSERT_OFFSET(dmapi_region_arg, nelem_out, 36);
ASSERT_OFFSET(dmapi_region_arg, exact, 40);
ASSERT_OFFSET(dmapi_region_arg, exactp, 48);
ASSERT_LAYOUT(dmapi_invis_arg, 72);
ASSERT_OFFSET(dmapi_invis_arg, hanp, 8);
ASSERT_OFFSET(dmapi_invis_arg, hlen, 16);
ASSERT_OFFSET(dmapi_invis_arg, off, 24);
ASSERT_OFFSET(dmapi_invis_arg, len, 32);
ASSERT_OFFSET(dmapi_invis_arg, buf, 40);
ASSERT_OFFSET(dmapi_invis_arg, flags, 48);
ASSERT_OFFSET(dmapi_invis_arg, done, 56);
ASSERT_OFFSET(dmapi_invis_arg, reserved, 64);
ASSERT_LAYOUT(dmapi_hole_arg, 64);
ASSERT_OFFSET(dmapi_hole_arg, hanp, 8);
ASSERT_OFFSET(dmapi_hole_arg, hlen, 16);
ASSERT_OFFSET(dmapi_hole_arg, off, 24);
ASSERT_OFFSET(dmapi_hole_arg, len, 32);
ASSERT_OFFSET(dmapi_hole_arg, roff, 40);
ASSERT_OFFSET(dmapi_hole_arg, rlen, 48);
ASSERT_OFFSET(dmapi_hole_arg, reserved, 56);
ASSERT_LAYOUT(dmapi_extent, 24);
ASSERT_OFFSET(dmapi_extent, ex_offset, 8);
ASSERT_OFFSET(dmapi_extent, ex_length, 16);
ASSERT_LAYOUT(dmapi_allocinfo_arg, 56);
ASSERT_OFFSET(dmapi_allocinfo_arg, hanp, 8);
ASSERT_OFFSET(dmapi_allocinfo_arg, hlen, 16);
ASSERT_OFFSET(dmapi_allocinfo_arg, off, 24);
ASSERT_OFFSET(dmapi_allocinfo_arg, extents, 32);
ASSERT_OFFSET(dmapi_allocinfo_arg, nelem, 40);
ASSERT_OFFSET(dmapi_allocinfo_arg, nelem_out, 44);
ASSERT_OFFSET(dmapi_allocinfo_arg, reserved, 48);
ASSERT_LAYOUT(dmapi_dioinfo, 16);
ASSERT_OFFSET(dmapi_dioinfo, d_miniosz, 4);
ASSERT_OFFSET(dmapi_dioinfo, d_maxiosz, 8);
ASSERT_OFFSET(dmapi_dioinfo, d_dio_only, 12);
ASSERT_LAYOUT(dmapi_object_arg, 48);
ASSERT_OFFSET(dmapi_object_arg, hanp, 8);
ASSERT_OFFSET(dmapi_object_arg, hlen, 16);
ASSERT_OFFSET(dmapi_object_arg, dio, 24);
ASSERT_OFFSET(dmapi_object_arg, reserved, 40);
ASSERT_LAYOUT(dmapi_attrlist, 20);
ASSERT_OFFSET(dmapi_attrlist, al_name, 4);
ASSERT_OFFSET(dmapi_attrlist, al_data, 12);
ASSERT_LAYOUT(dmapi_dmattr_arg, 72);
ASSERT_OFFSET(dmapi_dmattr_arg, token, 4);
ASSERT_OFFSET(dmapi_dmattr_arg, hanp, 8);
ASSERT_OFFSET(dmapi_dmattr_arg, hlen, 16);
ASSERT_OFFSET(dmapi_dmattr_arg, attrname, 24);
ASSERT_OFFSET(dmapi_dmattr_arg, setdtime, 32);
ASSERT_OFFSET(dmapi_dmattr_arg, padding, 36);
ASSERT_OFFSET(dmapi_dmattr_arg, buf, 40);
ASSERT_OFFSET(dmapi_dmattr_arg, reserved, 64);

// Records the kernel writes into the caller's buffer: the protocol's
// layout is the API's, member by member, on both architectures.
#define ASSERT_SAME_LAYOUT(api, proto) \
	static_assert(sizeof(api) == sizeof(proto), #api " vs " #proto)
#define ASSERT_SAME_OFFSET(api, afield, proto, pfield) \
	static_assert(offsetof(api, afield) == offsetof(proto, pfield), \
		      #api "." #afield " vs " #proto "." #pfield); \
	static_assert(sizeof(api::afield) == sizeof(proto::pfield), \
		      #api "." #afield " vs " #proto "." #pfield " size")

ASSERT_SAME_LAYOUT(dm_vardata_t, dmapi_vardata);
ASSERT_SAME_OFFSET(dm_vardata_t, vd_offset, dmapi_vardata, vd_offset);
ASSERT_SAME_OFFSET(dm_vardata_t, vd_length, dmapi_vardata, vd_length);

ASSERT_SAME_LAYOUT(dm_mount_event_t, dmapi_mount_msg);
ASSERT_SAME_OFFSET(dm_mount_event_t, me_mode, dmapi_mount_msg, me_mode);
ASSERT_SAME_OFFSET(dm_mount_event_t, me_handle1, dmapi_mount_msg, me_handle1);
ASSERT_SAME_OFFSET(dm_mount_event_t, me_handle2, dmapi_mount_msg, me_handle2);
ASSERT_SAME_OFFSET(dm_mount_event_t, me_name1, dmapi_mount_msg, me_name1);
ASSERT_SAME_OFFSET(dm_mount_event_t, me_name2, dmapi_mount_msg, me_name2);
ASSERT_SAME_OFFSET(dm_mount_event_t, me_roothandle, dmapi_mount_msg, me_roothandle);

ASSERT_SAME_LAYOUT(dm_namesp_event_t, dmapi_namesp_msg);
ASSERT_SAME_OFFSET(dm_namesp_event_t, ne_mode, dmapi_namesp_msg, ne_mode);
ASSERT_SAME_OFFSET(dm_namesp_event_t, ne_handle1, dmapi_namesp_msg, ne_handle1);
ASSERT_SAME_OFFSET(dm_namesp_event_t, ne_handle2, dmapi_namesp_msg, ne_handle2);
ASSERT_SAME_OFFSET(dm_namesp_event_t, ne_name1, dmapi_namesp_msg, ne_name1);
ASSERT_SAME_OFFSET(dm_namesp_event_t, ne_name2, dmapi_namesp_msg, ne_name2);
ASSERT_SAME_OFFSET(dm_namesp_event_t, ne_retcode, dmapi_namesp_msg, ne_retcode);

ASSERT_SAME_LAYOUT(dm_destroy_event_t, dmapi_destroy_msg);
ASSERT_SAME_OFFSET(dm_destroy_event_t, ds_handle, dmapi_destroy_msg, ds_handle);
ASSERT_SAME_OFFSET(dm_destroy_event_t, ds_attrname, dmapi_destroy_msg, ds_attrname);
ASSERT_SAME_OFFSET(dm_destroy_event_t, ds_attrcopy, dmapi_destroy_msg, ds_attrcopy);

ASSERT_SAME_LAYOUT(dm_cancel_event_t, dmapi_cancel_msg);
ASSERT_SAME_OFFSET(dm_cancel_event_t, ce_sequence, dmapi_cancel_msg, ce_sequence);
ASSERT_SAME_OFFSET(dm_cancel_event_t, ce_token, dmapi_cancel_msg, ce_token);

/* The kernel's record of a stat, laid out as dm_stat_t by the library. */
static_assert(sizeof(dmapi_stat) == 184 && sizeof(dmapi_stat) % DMAPI_MSG_ALIGN == 0);

ASSERT_SAME_LAYOUT(dm_dispinfo_t, dmapi_dispinfo);
ASSERT_SAME_OFFSET(dm_dispinfo_t, _link, dmapi_dispinfo, di_link);
ASSERT_SAME_OFFSET(dm_dispinfo_t, di_pad1, dmapi_dispinfo, di_pad);
ASSERT_SAME_OFFSET(dm_dispinfo_t, di_fshandle, dmapi_dispinfo, di_fshandle);
ASSERT_SAME_OFFSET(dm_dispinfo_t, di_eventset, dmapi_dispinfo, di_eventset);

ASSERT_SAME_LAYOUT(dm_region_t, dmapi_region);
ASSERT_SAME_OFFSET(dm_region_t, rg_offset, dmapi_region, rg_offset);
ASSERT_SAME_OFFSET(dm_region_t, rg_size, dmapi_region, rg_size);
ASSERT_SAME_OFFSET(dm_region_t, rg_flags, dmapi_region, rg_flags);
ASSERT_SAME_OFFSET(dm_region_t, rg_pad1, dmapi_region, rg_pad);

ASSERT_SAME_LAYOUT(dm_extent_t, dmapi_extent);
ASSERT_SAME_OFFSET(dm_extent_t, ex_type, dmapi_extent, ex_type);
ASSERT_SAME_OFFSET(dm_extent_t, ex_pad1, dmapi_extent, ex_pad);
ASSERT_SAME_OFFSET(dm_extent_t, ex_offset, dmapi_extent, ex_offset);
ASSERT_SAME_OFFSET(dm_extent_t, ex_length, dmapi_extent, ex_length);

static_assert(sizeof(dm_attrname_t) == sizeof(dmapi_dmattr_arg::attrname));
ASSERT_SAME_LAYOUT(dm_attrlist_t, dmapi_attrlist);
ASSERT_SAME_OFFSET(dm_attrlist_t, _link, dmapi_attrlist, al_link);
ASSERT_SAME_OFFSET(dm_attrlist_t, al_name, dmapi_attrlist, al_name);
ASSERT_SAME_OFFSET(dm_attrlist_t, al_data, dmapi_attrlist, al_data);
static_assert(alignof(dm_attrlist_t) == alignof(dmapi_attrlist));

ASSERT_SAME_LAYOUT(dm_dioinfo_t, dmapi_dioinfo);
ASSERT_SAME_OFFSET(dm_dioinfo_t, d_mem, dmapi_dioinfo, d_mem);
ASSERT_SAME_OFFSET(dm_dioinfo_t, d_miniosz, dmapi_dioinfo, d_miniosz);
ASSERT_SAME_OFFSET(dm_dioinfo_t, d_maxiosz, dmapi_dioinfo, d_maxiosz);
ASSERT_SAME_OFFSET(dm_dioinfo_t, d_dio_only, dmapi_dioinfo, d_dio_only);

// The values the records carry.
static_assert(DM_MOUNT_RDONLY == DMAPI_MOUNT_RDONLY);
static_assert(DM_UNMOUNT_FORCE == DMAPI_UNMOUNT_FORCE);
static_assert(DM_ATTR_NAME_SIZE == DMAPI_ATTR_NAME_SIZE);
static_assert(DM_REGION_READ == DMAPI_REGION_READ);
static_assert(DM_REGION_WRITE == DMAPI_REGION_WRITE);
static_assert(DM_REGION_TRUNCATE == DMAPI_REGION_TRUNCATE);
static_assert(DM_WRITE_SYNC == DMAPI_WRITE_SYNC);
static_assert(DM_EXTENT_RES == DMAPI_EXTENT_RES);
static_assert(DM_EXTENT_HOLE == DMAPI_EXTENT_HOLE);

#else
#error "layouts are recorded for x86_64 and i386 only"
#endif

TEST(Layout, CheckedAtCompileTime)
{
	// The static_asserts above are the test; this records the ABI run.
	RecordProperty("pointer_bits", static_cast<int>(sizeof(void *) * 8));
	SUCCEED();
}

} // namespace
