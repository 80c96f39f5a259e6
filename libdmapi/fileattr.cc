// SPDX-License-Identifier: LGPL-2.1-or-later
//
// File attributes: dm_get_fileattr() and dm_set_fileattr().  The kernel
// reports an object's attributes as a struct dmapi_stat of fixed-width
// fields; dm_stat_t, whose times are longs, is laid out here, for 32-bit
// programs as for 64-bit ones.
#include "internal.h"

#include <cstring>

using namespace dmapi;

static_assert(DM_AT_MODE == DMAPI_AT_MODE && DM_AT_CFLAG == DMAPI_AT_CFLAG);

namespace dmapi {

void fill_dm_stat(const dmapi_stat &st, unsigned int mask, dm_stat_t &out) noexcept
{
	if (mask & DM_AT_EMASK) {
		out.dt_emask = st.dt_emask;
		out.dt_nevents = static_cast<int>(st.dt_nevents);
	}
	if (mask & DM_AT_PMANR)
		out.dt_pmanreg = static_cast<int>(st.dt_pmanreg);
	if (mask & DM_AT_PATTR)
		out.dt_pers = static_cast<int>(st.dt_pers);
	if (mask & DM_AT_DTIME)
		out.dt_dtime = static_cast<dm_time_t>(st.dt_dtime);
	if (mask & DM_AT_CFLAG)
		out.dt_change = st.dt_change;
	if (!(mask & DM_AT_STAT))
		return;
	out.dt_dev = static_cast<dm_dev_t>(st.dt_dev);
	out.dt_ino = st.dt_ino;
	out.dt_mode = static_cast<dm_mode_t>(st.dt_mode);
	out.dt_nlink = static_cast<dm_nlink_t>(st.dt_nlink);
	out.dt_uid = st.dt_uid;
	out.dt_gid = st.dt_gid;
	out.dt_rdev = static_cast<dm_dev_t>(st.dt_rdev);
	out.dt_size = st.dt_size;
	out.dt_atime = static_cast<dm_time_t>(st.dt_atime);
	out.dt_mtime = static_cast<dm_time_t>(st.dt_mtime);
	out.dt_ctime = static_cast<dm_time_t>(st.dt_ctime);
	out.dt_blksize = st.dt_blksize;
	out.dt_blocks = st.dt_blocks;
	out.dt_fstype = static_cast<int>(st.dt_fstype);
	out.dt_xfs_igen = st.dt_igen;
	out.dt_xfs_xflags = st.dt_xflags;
	out.dt_xfs_extsize = st.dt_extsize;
	out.dt_xfs_extents = st.dt_extents;
}

} // namespace dmapi

extern "C" {

int dm_get_fileattr(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		    unsigned int mask, dm_stat_t *statp)
{
	if (!statp)
		return fail(EFAULT);
	auto arg = handle_call_arg<dmapi_get_fileattr_arg>(sid, hanp, hlen, token);
	arg.mask = mask ? mask : kAllAttributes;
	if (call<DMAPI_IOC_GET_FILEATTR>(arg))
		return -1;
	std::memset(statp, 0, sizeof(*statp));
	fill_dm_stat(arg.st, arg.mask, *statp);
	return 0;
}

int dm_set_fileattr(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		    unsigned int mask, dm_fileattr_t *attrp)
{
	if (!attrp)
		return fail(EFAULT);
	auto arg = handle_call_arg<dmapi_set_fileattr_arg>(sid, hanp, hlen, token);
	arg.mask = mask;
	arg.attr.fa_mode = attrp->fa_mode;
	arg.attr.fa_uid = attrp->fa_uid;
	arg.attr.fa_gid = attrp->fa_gid;
	arg.attr.fa_atime = attrp->fa_atime;
	arg.attr.fa_mtime = attrp->fa_mtime;
	arg.attr.fa_ctime = attrp->fa_ctime;
	arg.attr.fa_dtime = attrp->fa_dtime;
	arg.attr.fa_size = attrp->fa_size;
	return call<DMAPI_IOC_SET_FILEATTR>(arg);
}

} // extern "C"
