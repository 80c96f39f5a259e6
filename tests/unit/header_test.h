/* SPDX-License-Identifier: GPL-2.0 */
/* What header_test.c, compiled as C, gives header_test.cc to compare. */
#ifndef DMAPI_TEST_HEADER_TEST_H
#define DMAPI_TEST_HEADER_TEST_H

#include <stddef.h>
#include <xdsm/dmapi.h>

#ifdef __cplusplus
extern "C" {
#endif

extern const size_t dmapi_c_layout[];
extern const size_t dmapi_c_layout_count;
int dmapi_c_count_records(void *buf);
dm_eventset_t dmapi_c_eventset(void);
void *dmapi_c_global_handle(size_t *hlen);

#ifdef __cplusplus
}
#endif

#endif
