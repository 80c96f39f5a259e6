// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Managed regions: the byte ranges of a file whose access raises events.
// The kernel reads and writes dm_region_t arrays in the caller's memory,
// so their layout and the protocol's must be one.
#include "internal.h"

using namespace dmapi;

static_assert(sizeof(dm_region_t) == sizeof(dmapi_region));
static_assert(offsetof(dm_region_t, rg_offset) == offsetof(dmapi_region, rg_offset));
static_assert(offsetof(dm_region_t, rg_size) == offsetof(dmapi_region, rg_size));
static_assert(offsetof(dm_region_t, rg_flags) == offsetof(dmapi_region, rg_flags));
static_assert(offsetof(dm_region_t, rg_pad1) == offsetof(dmapi_region, rg_pad));

extern "C" {

// regbufp may be NULL when nelem is 0: that clears the file's regions.
int dm_set_region(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		  unsigned int nelem, dm_region_t *regbufp, dm_boolean_t *exactflagp)
{
	Result exact(exactflagp);
	if (!exact.usable())
		return fail(EFAULT);

	static_assert(sizeof(dm_boolean_t) == sizeof(__u32) && DM_TRUE == 1 && DM_FALSE == 0,
		      "the module stores exact as a dm_boolean_t");
	dmapi_region_arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	arg.regions = user_ptr(regbufp);
	arg.nelem = nelem;
	arg.exactp = exact.address();
	if (call<DMAPI_IOC_SET_REGION>(arg) < 0)
		return -1;
	*exactflagp = arg.exact ? DM_TRUE : DM_FALSE;
	return 0;
}

int dm_get_region(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		  unsigned int nelem, dm_region_t *regbufp, unsigned int *nelemp)
{
	if (!nelemp)
		return fail(EFAULT);

	dmapi_region_arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	arg.regions = user_ptr(regbufp);
	arg.nelem = nelem;
	int ret = call<DMAPI_IOC_GET_REGION>(arg);
	if (size_reported(ret))
		*nelemp = arg.nelem_out;
	return ret;
}

} // extern "C"
