// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Dispositions (which session receives which event of a filesystem), event
// lists, mount information and return-on-destroy.  The kernel writes
// dm_dispinfo_t and dm_mount_event_t records straight into the caller's
// buffer, so their layouts and the protocol's must be one.
#include "internal.h"

#include <cstring>

using namespace dmapi;

static_assert(sizeof(dm_vardata_t) == sizeof(dmapi_vardata));
static_assert(offsetof(dm_vardata_t, vd_offset) == offsetof(dmapi_vardata, vd_offset));
static_assert(offsetof(dm_vardata_t, vd_length) == offsetof(dmapi_vardata, vd_length));
static_assert(sizeof(dm_dispinfo_t) == sizeof(dmapi_dispinfo));
static_assert(offsetof(dm_dispinfo_t, _link) == offsetof(dmapi_dispinfo, di_link));
static_assert(offsetof(dm_dispinfo_t, di_fshandle) == offsetof(dmapi_dispinfo, di_fshandle));
static_assert(offsetof(dm_dispinfo_t, di_eventset) == offsetof(dmapi_dispinfo, di_eventset));
static_assert(sizeof(dm_mount_event_t) == sizeof(dmapi_mount_msg));
static_assert(offsetof(dm_mount_event_t, me_handle1) == offsetof(dmapi_mount_msg, me_handle1));
static_assert(offsetof(dm_mount_event_t, me_roothandle) == offsetof(dmapi_mount_msg, me_roothandle));
static_assert(sizeof(dm_attrname_t) == DMAPI_ATTR_NAME_SIZE);

namespace dmapi {

namespace {

// DMAPI_IOC_SET_DISP and DMAPI_IOC_SET_EVENTLIST take the same arguments.
// The global handle travels as it is, address 1: the kernel knows it by
// that address and never reads it.
template <unsigned long Request>
int set_eventset(dm_sessid_t sid, void *hanp, std::size_t hlen, dm_token_t token,
		 const dm_eventset_t *eventsetp, unsigned int maxevent) noexcept
{
	if (!eventsetp)
		return fail(EFAULT);

	dmapi_eventset_arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	arg.eventset = *eventsetp;
	arg.nelem = maxevent;
	return call<Request>(arg);
}

} // namespace

} // namespace dmapi

extern "C" {

int dm_set_disp(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		dm_eventset_t *eventsetp, unsigned int maxevent)
{
	return set_eventset<DMAPI_IOC_SET_DISP>(sid, hanp, hlen, token, eventsetp, maxevent);
}

int dm_getall_disp(dm_sessid_t sid, size_t buflen, void *bufp, size_t *rlenp)
{
	dmapi_getall_disp_arg arg{};
	arg.sid = sid;
	return call_filling<DMAPI_IOC_GETALL_DISP>(arg, bufp, buflen, rlenp);
}

int dm_set_eventlist(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		     dm_eventset_t *eventsetp, unsigned int maxevent)
{
	return set_eventset<DMAPI_IOC_SET_EVENTLIST>(sid, hanp, hlen, token, eventsetp, maxevent);
}

int dm_get_eventlist(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		     unsigned int nelem, dm_eventset_t *eventsetp, unsigned int *nelemp)
{
	if (!eventsetp || !nelemp)
		return fail(EFAULT);

	dmapi_eventset_arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	arg.nelem = nelem;
	if (call<DMAPI_IOC_GET_EVENTLIST>(arg) < 0) {
		if (errno == E2BIG)
			*nelemp = arg.nelem_out;
		return -1;
	}
	*eventsetp = arg.eventset;
	*nelemp = arg.nelem_out;
	return 0;
}

int dm_get_mountinfo(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		     size_t buflen, void *bufp, size_t *rlenp)
{
	dmapi_mountinfo_arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	return call_filling<DMAPI_IOC_GET_MOUNTINFO>(arg, bufp, buflen, rlenp);
}

// Disabling reads no name: whatever attrnamep points at, the empty name goes.
int dm_set_return_on_destroy(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
			     dm_attrname_t *attrnamep, dm_boolean_t enable)
{
	if (!attrnamep && enable)
		return fail(EFAULT);

	dmapi_return_on_destroy_arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	if (enable)
		std::memcpy(arg.attrname, attrnamep->an_chars, sizeof(arg.attrname));
	arg.enable = enable ? 1 : 0;
	return call<DMAPI_IOC_SET_RETURN_ON_DESTROY>(arg);
}

} // extern "C"
