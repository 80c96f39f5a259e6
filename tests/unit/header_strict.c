/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The public headers under the oldest strict standard an unchanged DMAPI
 * program may be built with: SGI's header compiled as C89 with
 * -pedantic-errors, and so must ours.  Built, never run: the build fails
 * if the headers do not compile.
 */
#include <dmapi.h>
#include <xfs/dmapi.h>
#include <xdsm/dmapi.h>

int dmapi_header_strict_c(void);

int dmapi_header_strict_c(void)
{
	dm_eventset_t set;

	DMEV_ZERO(set);
	DMEV_SET(DM_EVENT_READ, set);
	return DMEV_ISSET(DM_EVENT_READ, set);
}
