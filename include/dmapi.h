/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* <dmapi.h>: the name some DMAPI programs include; the API is <xdsm/dmapi.h>. */
#include <xdsm/dmapi.h>
