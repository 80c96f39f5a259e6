// SPDX-License-Identifier: GPL-2.0
//
// The public headers as C++98 with -pedantic-errors, which SGI's header
// compiled under (header_strict.c has C89).  Built, never run.
#include <dmapi.h>
#include <xfs/dmapi.h>
#include <xdsm/dmapi.h>

int dmapi_header_strict_cxx();

int dmapi_header_strict_cxx()
{
	dm_eventset_t set;

	DMEV_ZERO(set);
	DMEV_SET(DM_EVENT_READ, set);
	return DMEV_ISSET(DM_EVENT_READ, set);
}
