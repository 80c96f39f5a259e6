// SPDX-License-Identifier: GPL-2.0
/*
 * The module's objects alive now, in debugfs (dmapi/objects), for the
 * stress tests' leak check: once every session is destroyed and every
 * mount gone, each count is back to what it was before.  kmemleak finds
 * what leaks for good; these counts also catch an object kept alive by a
 * stray reference.  Inodes and their interests are freed a grace period
 * after their last reference (RCU), so a check waits a moment for them.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "core.h"

atomic_long_t dm_live[DM_LIVE_NR];

static const char *const dm_live_names[DM_LIVE_NR] = {
	[DM_LIVE_SESSIONS]	= "sessions",
	[DM_LIVE_EVENTS]	= "events",
	[DM_LIVE_RIGHTS]	= "rights",
	[DM_LIVE_INTERESTS]	= "interests",
	[DM_LIVE_STATS_GROUPS]	= "stats_groups",
	[DM_LIVE_STATS_REGIONS]	= "stats_regions",
	[DM_LIVE_INODES]	= "inodes",
	[DM_LIVE_FILESYSTEMS]	= "filesystems",
};

static struct dentry *dm_debugfs_dir;

static int dm_objects_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < DM_LIVE_NR; i++)
		seq_printf(m, "%s %ld\n", dm_live_names[i],
			   atomic_long_read(&dm_live[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dm_objects);

/**
 * dm_debugfs_init - create dmapi/objects in debugfs
 *
 * Debugfs may be missing or fail: the module works without it.
 */
void dm_debugfs_init(void)
{
	dm_debugfs_dir = debugfs_create_dir("dmapi", NULL);
	debugfs_create_file("objects", 0400, dm_debugfs_dir, NULL,
			    &dm_objects_fops);
}

/**
 * dm_debugfs_exit - remove what dm_debugfs_init() created
 */
void dm_debugfs_exit(void)
{
	debugfs_remove_recursive(dm_debugfs_dir);
}
