/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels dmapi builds for (6.1 and 6.12).  Every
 * version test of the module is here, nowhere else.
 */
#ifndef _DMAPI_COMPAT_H
#define _DMAPI_COMPAT_H

#include <linux/fs.h>
#include <linux/version.h>

/* 6.12 removed no_llseek: a NULL ->llseek now means "not seekable". */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define dm_no_llseek	NULL
#else
#define dm_no_llseek	no_llseek
#endif

#endif /* _DMAPI_COMPAT_H */
