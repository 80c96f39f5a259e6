// SPDX-License-Identifier: LGPL-2.1-or-later
//
// DM attributes: named values a DM application keeps with an object.  The
// kernel writes dm_attrlist_t records straight into the caller's buffer,
// so their layout and the protocol's must be one.
#include "internal.h"

#include <cstring>

using namespace dmapi;

static_assert(sizeof(dm_attrlist_t) == sizeof(dmapi_attrlist));
static_assert(offsetof(dm_attrlist_t, _link) == offsetof(dmapi_attrlist, al_link));
static_assert(offsetof(dm_attrlist_t, al_name) == offsetof(dmapi_attrlist, al_name));
static_assert(offsetof(dm_attrlist_t, al_data) == offsetof(dmapi_attrlist, al_data));

namespace dmapi {

namespace {

// The arguments every DM attribute call has; a NULL name is EFAULT.
int dmattr_arg(dm_sessid_t sid, void *hanp, std::size_t hlen, dm_token_t token,
	       const dm_attrname_t *attrnamep, dmapi_dmattr_arg &arg) noexcept
{
	if (!attrnamep)
		return fail(EFAULT);
	arg = dmapi_dmattr_arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	std::memcpy(arg.attrname, attrnamep->an_chars, sizeof(arg.attrname));
	return 0;
}

} // namespace

} // namespace dmapi

extern "C" {

int dm_get_dmattr(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		  dm_attrname_t *attrnamep, size_t buflen, void *bufp, size_t *rlenp)
{
	dmapi_dmattr_arg arg;
	if (dmattr_arg(sid, hanp, hlen, token, attrnamep, arg))
		return -1;
	return call_filling<DMAPI_IOC_GET_DMATTR>(arg, bufp, buflen, rlenp);
}

int dm_set_dmattr(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		  dm_attrname_t *attrnamep, int setdtime, size_t buflen, void *bufp)
{
	dmapi_dmattr_arg arg;
	if (dmattr_arg(sid, hanp, hlen, token, attrnamep, arg))
		return -1;
	arg.setdtime = setdtime != 0;
	arg.buf.ptr = user_ptr(bufp);
	arg.buf.len = buflen;
	return call<DMAPI_IOC_SET_DMATTR>(arg);
}

int dm_remove_dmattr(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		     int setdtime, dm_attrname_t *attrnamep)
{
	dmapi_dmattr_arg arg;
	if (dmattr_arg(sid, hanp, hlen, token, attrnamep, arg))
		return -1;
	arg.setdtime = setdtime != 0;
	return call<DMAPI_IOC_REMOVE_DMATTR>(arg);
}

int dm_getall_dmattr(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		     size_t buflen, void *bufp, size_t *rlenp)
{
	dmapi_dmattr_arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	return call_filling<DMAPI_IOC_GETALL_DMATTR>(arg, bufp, buflen, rlenp);
}

} // extern "C"
