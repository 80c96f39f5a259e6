// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Initialisation and the configuration queries.
#include "internal.h"

using namespace dmapi;

static_assert(sizeof(dm_eventset_t) == sizeof(__u64));
static_assert(DM_GLOBAL_HLEN == DMAPI_GLOBAL_HANDLE_LEN);

extern "C" {

// The standard makes this the first call of a DM application; here every
// call opens the device when needed, so this one asks the module for its
// protocol version: that answers whether the module is there and whether
// the caller may use it (EPERM without CAP_SYS_ADMIN, even with the device
// already open).  The string is set even on failure, as SGI's was, for
// programs that print it before checking.
int dm_init_service(char **versionstrpp)
{
	if (!versionstrpp)
		return fail(EFAULT);

	static char version[] = DM_VER_STR_CONTENTS;
	*versionstrpp = version;

	dmapi_version_arg arg{};
	return call<DMAPI_IOC_VERSION>(arg);
}

int dm_get_config(void *hanp, size_t hlen, dm_config_t flagname, dm_size_t *retvalp)
{
	if (!retvalp)
		return fail(EFAULT);

	// The global handle travels as it is, address 1: the kernel knows it
	// by that address and never reads it.
	dmapi_get_config_arg arg{};
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	arg.flagname = static_cast<__u32>(flagname);
	if (call<DMAPI_IOC_GET_CONFIG>(arg) < 0)
		return -1;
	*retvalp = arg.retval;
	return 0;
}

int dm_get_config_events(void *hanp, size_t hlen, unsigned int nelem,
			 dm_eventset_t *eventsetp, unsigned int *nelemp)
{
	if (!eventsetp || !nelemp)
		return fail(EFAULT);

	dmapi_get_config_events_arg arg{};
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	arg.nelem = nelem;
	if (call<DMAPI_IOC_GET_CONFIG_EVENTS>(arg) < 0) {
		if (errno == E2BIG)
			*nelemp = arg.nelem_out;
		return -1;
	}
	*eventsetp = arg.eventset;
	*nelemp = arg.nelem_out;
	return 0;
}

} // extern "C"
