// SPDX-License-Identifier: GPL-2.0
/*
 * Directories: an open dmapi directory reads its lower directory.  The
 * entries, their d_ino and d_type and the positions are the lower
 * filesystem's, so telldir/seekdir cookies (ext4's hashes included) mean
 * what they mean below.
 */
#include <linux/file.h>

#include "dmapifs.h"

static int dmfs_dir_open(struct inode *inode, struct file *file)
{
	return dmfs_open_lower(file);
}

static int dmfs_iterate(struct file *file, struct dir_context *ctx)
{
	struct file *lower = dmfs_lower_file(file);
	int err;

	err = dmfs_sync_flags(file);
	if (err)
		return err;
	lower->f_pos = ctx->pos;
	err = iterate_dir(lower, ctx);
	file->f_pos = lower->f_pos;
	dmfs_copyattr(file_inode(file));
	return err;
}

static int dmfs_dir_fsync(struct file *file, loff_t start, loff_t end,
			  int datasync)
{
	return vfs_fsync_range(dmfs_lower_file(file), start, end, datasync);
}

const struct file_operations dmfs_dir_fops = {
	.open		= dmfs_dir_open,
	.release	= dmfs_release,
	.read		= generic_read_dir,
	.iterate_shared	= dmfs_iterate,
	.llseek		= dmfs_llseek,
	.fsync		= dmfs_dir_fsync,
};
