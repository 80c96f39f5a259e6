/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <xfs/dmapi.h>: the name SGI's Linux DMAPI used; the API is <xdsm/dmapi.h>. */
#include <xdsm/dmapi.h>
