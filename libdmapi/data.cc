// SPDX-License-Identifier: LGPL-2.1-or-later
//
// File data: invisible I/O (no events, no timestamps), sync, holes and
// allocation, direct I/O constraints.  The kernel writes dm_extent_t
// records straight into the caller's array, and dm_dioinfo_t is copied
// whole from the protocol's, so their layouts and the protocol's must be
// one.
#include "internal.h"

using namespace dmapi;

static_assert(sizeof(dm_extent_t) == sizeof(dmapi_extent));
static_assert(offsetof(dm_extent_t, ex_type) == offsetof(dmapi_extent, ex_type));
static_assert(offsetof(dm_extent_t, ex_pad1) == offsetof(dmapi_extent, ex_pad));
static_assert(offsetof(dm_extent_t, ex_offset) == offsetof(dmapi_extent, ex_offset));
static_assert(offsetof(dm_extent_t, ex_length) == offsetof(dmapi_extent, ex_length));
static_assert(sizeof(dm_dioinfo_t) == sizeof(dmapi_dioinfo));
static_assert(offsetof(dm_dioinfo_t, d_mem) == offsetof(dmapi_dioinfo, d_mem));
static_assert(offsetof(dm_dioinfo_t, d_miniosz) == offsetof(dmapi_dioinfo, d_miniosz));
static_assert(offsetof(dm_dioinfo_t, d_maxiosz) == offsetof(dmapi_dioinfo, d_maxiosz));
static_assert(offsetof(dm_dioinfo_t, d_dio_only) == offsetof(dmapi_dioinfo, d_dio_only));

namespace dmapi {

namespace {

// DMAPI_IOC_READ_INVIS and DMAPI_IOC_WRITE_INVIS take the same arguments:
// the bytes transferred, or -1.
template <unsigned long Request>
dm_ssize_t invis(dm_sessid_t sid, void *hanp, std::size_t hlen, dm_token_t token, int flags,
		 dm_off_t off, dm_size_t len, void *bufp) noexcept
{
	dmapi_invis_arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	arg.off = off;
	arg.len = len;
	arg.buf = user_ptr(bufp);
	arg.flags = static_cast<__u32>(flags);
	if (call<Request>(arg) < 0)
		return -1;
	return arg.done;
}

// DMAPI_IOC_PUNCH_HOLE and DMAPI_IOC_PROBE_HOLE take the same arguments.
template <unsigned long Request>
int hole(dm_sessid_t sid, void *hanp, std::size_t hlen, dm_token_t token, dm_off_t off,
	 dm_size_t len, dmapi_hole_arg &arg) noexcept
{
	arg = dmapi_hole_arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	arg.off = off;
	arg.len = len;
	return call<Request>(arg);
}

// DMAPI_IOC_SYNC_BY_HANDLE and DMAPI_IOC_GET_DIOINFO name an object only.
template <unsigned long Request>
int object_call(dm_sessid_t sid, void *hanp, std::size_t hlen, dm_token_t token,
		dmapi_object_arg &arg) noexcept
{
	arg = dmapi_object_arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	return call<Request>(arg);
}

} // namespace

} // namespace dmapi

extern "C" {

dm_ssize_t dm_read_invis(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
			 dm_off_t off, dm_size_t len, void *bufp)
{
	return invis<DMAPI_IOC_READ_INVIS>(sid, hanp, hlen, token, 0, off, len, bufp);
}

dm_ssize_t dm_write_invis(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
			  int flags, dm_off_t off, dm_size_t len, void *bufp)
{
	return invis<DMAPI_IOC_WRITE_INVIS>(sid, hanp, hlen, token, flags, off, len, bufp);
}

int dm_sync_by_handle(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token)
{
	dmapi_object_arg arg;
	return object_call<DMAPI_IOC_SYNC_BY_HANDLE>(sid, hanp, hlen, token, arg);
}

int dm_punch_hole(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token, dm_off_t off,
		  dm_size_t len)
{
	dmapi_hole_arg arg;
	return hole<DMAPI_IOC_PUNCH_HOLE>(sid, hanp, hlen, token, off, len, arg);
}

int dm_probe_hole(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token, dm_off_t off,
		  dm_size_t len, dm_off_t *roffp, dm_size_t *rlenp)
{
	if (!roffp || !rlenp)
		return fail(EFAULT);

	dmapi_hole_arg arg;
	if (hole<DMAPI_IOC_PROBE_HOLE>(sid, hanp, hlen, token, off, len, arg) < 0)
		return -1;
	*roffp = arg.roff;
	*rlenp = arg.rlen;
	return 0;
}

// Returns 1 when extents remain past the ones stored (call again with
// *offp), 0 when the map is complete (*offp is then 0).
int dm_get_allocinfo(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		     dm_off_t *offp, unsigned int nelem, dm_extent_t *extentp,
		     unsigned int *nelemp)
{
	if (!offp || !nelemp)
		return fail(EFAULT);

	dmapi_allocinfo_arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	arg.off = *offp;
	arg.extents = user_ptr(extentp);
	arg.nelem = nelem;
	if (call<DMAPI_IOC_GET_ALLOCINFO>(arg) < 0)
		return -1;
	*offp = arg.off;
	*nelemp = arg.nelem_out;
	return arg.off != 0 ? 1 : 0;
}

int dm_get_dioinfo(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		   dm_dioinfo_t *diop)
{
	if (!diop)
		return fail(EFAULT);

	dmapi_object_arg arg;
	if (object_call<DMAPI_IOC_GET_DIOINFO>(sid, hanp, hlen, token, arg) < 0)
		return -1;
	diop->d_mem = arg.dio.d_mem;
	diop->d_miniosz = arg.dio.d_miniosz;
	diop->d_maxiosz = arg.dio.d_maxiosz;
	diop->d_dio_only = arg.dio.d_dio_only ? DM_TRUE : DM_FALSE;
	return 0;
}

} // extern "C"
