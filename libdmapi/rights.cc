// SPDX-License-Identifier: LGPL-2.1-or-later
//
// DMAPI access rights on objects, bound to tokens, and object references.
// Every call is one DMAPI_IOC_*_RIGHT or OBJ_REF ioctl on the same
// argument struct; the kernel keeps the rights and drops them when the
// token's event is answered.
#include "internal.h"

using namespace dmapi;

namespace dmapi {

namespace {

dmapi_right_arg right_arg(dm_sessid_t sid, void *hanp, std::size_t hlen,
			  dm_token_t token) noexcept
{
	dmapi_right_arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	return arg;
}

template <unsigned long Request>
int right_call(dm_sessid_t sid, void *hanp, std::size_t hlen, dm_token_t token) noexcept
{
	dmapi_right_arg arg = right_arg(sid, hanp, hlen, token);
	return call<Request>(arg);
}

} // namespace

} // namespace dmapi

extern "C" {

int dm_request_right(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		     unsigned int flags, dm_right_t right)
{
	dmapi_right_arg arg = right_arg(sid, hanp, hlen, token);
	arg.flags = flags;
	arg.right = right;
	return call<DMAPI_IOC_REQUEST_RIGHT>(arg);
}

int dm_release_right(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token)
{
	return right_call<DMAPI_IOC_RELEASE_RIGHT>(sid, hanp, hlen, token);
}

int dm_query_right(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		   dm_right_t *rightp)
{
	if (!rightp)
		return fail(EFAULT);
	dmapi_right_arg arg = right_arg(sid, hanp, hlen, token);
	int ret = call<DMAPI_IOC_QUERY_RIGHT>(arg);
	if (ret == 0)
		*rightp = static_cast<dm_right_t>(arg.right);
	return ret;
}

int dm_upgrade_right(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token)
{
	return right_call<DMAPI_IOC_UPGRADE_RIGHT>(sid, hanp, hlen, token);
}

int dm_downgrade_right(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token)
{
	return right_call<DMAPI_IOC_DOWNGRADE_RIGHT>(sid, hanp, hlen, token);
}

int dm_obj_ref_hold(dm_sessid_t sid, dm_token_t token, void *hanp, size_t hlen)
{
	return right_call<DMAPI_IOC_OBJ_REF_HOLD>(sid, hanp, hlen, token);
}

int dm_obj_ref_rele(dm_sessid_t sid, dm_token_t token, void *hanp, size_t hlen)
{
	return right_call<DMAPI_IOC_OBJ_REF_RELE>(sid, hanp, hlen, token);
}

// 1 if the token holds a reference on the object, 0 if not, -1 on error.
int dm_obj_ref_query(dm_sessid_t sid, dm_token_t token, void *hanp, size_t hlen)
{
	dmapi_right_arg arg = right_arg(sid, hanp, hlen, token);
	int ret = call<DMAPI_IOC_OBJ_REF_QUERY>(arg);
	return ret == 0 ? static_cast<int>(arg.held) : ret;
}

} // extern "C"
