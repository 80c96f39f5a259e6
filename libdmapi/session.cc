// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Sessions: the channel between a DM application and the kernel.  They
// live in the module and outlive the process that created them.
#include "internal.h"

#include <cstring>

using namespace dmapi;

static_assert(DM_SESSION_INFO_LEN == DMAPI_SESSION_INFO_LEN);
static_assert(sizeof(dm_sessid_t) == sizeof(__s32));
static_assert(sizeof(dm_token_t) == sizeof(__s32));

extern "C" {

int dm_create_session(dm_sessid_t oldsid, char *sessinfop, dm_sessid_t *newsidp)
{
	Result newsid(newsidp);
	if (!sessinfop || !newsid.usable())
		return fail(EFAULT);

	// Reads no further than the kernel accepts: a string that long is
	// refused there with E2BIG whatever its real length.
	dmapi_create_session_arg arg{};
	arg.oldsid = oldsid;
	arg.info = user_ptr(sessinfop);
	arg.infolen = static_cast<__u32>(::strnlen(sessinfop, DM_SESSION_INFO_LEN));
	arg.newsidp = newsid.address();
	if (call<DMAPI_IOC_CREATE_SESSION>(arg) < 0)
		return -1;
	*newsidp = arg.newsid;
	return 0;
}

int dm_destroy_session(dm_sessid_t sid)
{
	dmapi_session_arg arg{};
	arg.sid = sid;
	return call<DMAPI_IOC_DESTROY_SESSION>(arg);
}

int dm_getall_sessions(unsigned int nelem, dm_sessid_t *sidbufp, unsigned int *nelemp)
{
	if (!nelemp)
		return fail(EFAULT);

	dmapi_getall_arg arg{};
	arg.nelem = nelem;
	arg.buf = user_ptr(sidbufp);
	int ret = call<DMAPI_IOC_GETALL_SESSIONS>(arg);
	if (size_reported(ret))
		*nelemp = arg.nelem_out;
	return ret;
}

int dm_query_session(dm_sessid_t sid, size_t buflen, void *bufp, size_t *rlenp)
{
	dmapi_query_session_arg arg{};
	arg.sid = sid;
	return call_filling<DMAPI_IOC_QUERY_SESSION>(arg, bufp, buflen, rlenp);
}

} // extern "C"
