// SPDX-License-Identifier: GPL-2.0
/*
 * The dmapi filesystem type: mounting a lower tree, the superblock, and
 * the inode cache.
 *
 *	mount -t dmapi LOWER MOUNTPOINT
 *
 * LOWER is a directory of a filesystem that can give persistent handles
 * (export operations): XFS and ext4 can.  MOUNTPOINT may be LOWER itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/exportfs.h>
#include <linux/fs_context.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>

#include "dmapifs.h"

static struct kmem_cache *dmfs_inode_cachep;

static struct inode *dmfs_alloc_inode(struct super_block *sb)
{
	struct dmfs_inode *di = alloc_inode_sb(sb, dmfs_inode_cachep, GFP_KERNEL);

	if (!di)
		return NULL;
	di->lower = NULL;
	return &di->vfs_inode;
}

static void dmfs_free_inode(struct inode *inode)
{
	kmem_cache_free(dmfs_inode_cachep, DMFS_I(inode));
}

static void dmfs_evict_inode(struct inode *inode)
{
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	iput(DMFS_I(inode)->lower);
	DMFS_I(inode)->lower = NULL;
}

static int dmfs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct path lower;
	int err;

	dmfs_lower_path(dentry, &lower);
	err = vfs_statfs(&lower, buf);
	if (!err)
		buf->f_type = DMAPI_SUPER_MAGIC;
	return err;
}

static int dmfs_show_options(struct seq_file *m, struct dentry *root)
{
	return 0;
}

static const struct super_operations dmfs_super_ops = {
	.alloc_inode	= dmfs_alloc_inode,
	.free_inode	= dmfs_free_inode,
	.evict_inode	= dmfs_evict_inode,
	.drop_inode	= generic_delete_inode,
	.statfs		= dmfs_statfs,
	.show_options	= dmfs_show_options,
};

/*
 * Whether the lower filesystem can turn a handle back into its object
 * (without ->encode_fh the VFS encodes inode number and generation).
 */
static bool dmfs_lower_has_handles(const struct super_block *lower_sb)
{
	const struct export_operations *eop = lower_sb->s_export_op;

	return eop && eop->fh_to_dentry;
}

static int dmfs_check_lower(struct fs_context *fc, const struct path *lower)
{
	struct super_block *lower_sb = lower->dentry->d_sb;

	if (lower_sb->s_magic == DMAPI_SUPER_MAGIC)
		return invalfc(fc, "%s is already a dmapi filesystem", fc->source);
	if (!dmfs_lower_has_handles(lower_sb))
		return invalfc(fc, "%s (%s) cannot give persistent handles: no export operations",
			       fc->source, lower_sb->s_type->name);
	if (lower_sb->s_stack_depth + 1 > FILESYSTEM_MAX_STACK_DEPTH)
		return invalfc(fc, "%s: filesystems stacked too deep", fc->source);
	return 0;
}

static int dmfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	/* sget_fc() handed the sb_info over from the context to the sb. */
	struct dmfs_sb_info *sbi = DMFS_SB(sb);
	struct super_block *lower_sb;
	struct inode *root_inode;
	struct dentry *root;
	int err;

	if (!fc->source)
		return invalfc(fc, "no lower directory given");
	err = kern_path(fc->source, LOOKUP_FOLLOW | LOOKUP_DIRECTORY,
			&sbi->lower);
	if (err) {
		errorfc(fc, "cannot find lower directory %s", fc->source);
		return err;
	}
	err = dmfs_check_lower(fc, &sbi->lower);
	if (err)
		return err;

	lower_sb = sbi->lower.dentry->d_sb;
	sb->s_magic = DMAPI_SUPER_MAGIC;
	sb->s_op = &dmfs_super_ops;
	sb->s_d_op = &dmfs_dentry_ops;
	sb->s_xattr = dmfs_xattr_handlers;
	sb->s_maxbytes = lower_sb->s_maxbytes;
	sb->s_blocksize = lower_sb->s_blocksize;
	sb->s_blocksize_bits = lower_sb->s_blocksize_bits;
	sb->s_time_gran = lower_sb->s_time_gran;
	sb->s_time_min = lower_sb->s_time_min;
	sb->s_time_max = lower_sb->s_time_max;
	sb->s_stack_depth = lower_sb->s_stack_depth + 1;
	/*
	 * With the lower filesystem's SB_POSIXACL the VFS leaves the umask to
	 * it, which applies it only where no default ACL says otherwise.
	 */
	sb->s_flags |= lower_sb->s_flags & (SB_RDONLY | SB_POSIXACL);

	root_inode = dmfs_iget(sb, d_inode(sbi->lower.dentry));
	if (IS_ERR(root_inode))
		return PTR_ERR(root_inode);
	root = d_make_root(root_inode);
	if (!root)
		return -ENOMEM;
	root->d_fsdata = dget(sbi->lower.dentry);
	sb->s_root = root;
	dmfs_register_handles(sb);
	return 0;
}

static int dmfs_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, dmfs_fill_super);
}

static void dmfs_free_sbi(struct dmfs_sb_info *sbi)
{
	if (!sbi)
		return;
	path_put(&sbi->lower);
	kfree(sbi);
}

static void dmfs_free_fc(struct fs_context *fc)
{
	dmfs_free_sbi(fc->s_fs_info);
}

static const struct fs_context_operations dmfs_context_ops = {
	.get_tree	= dmfs_get_tree,
	.free		= dmfs_free_fc,
};

static int dmfs_init_fs_context(struct fs_context *fc)
{
	fc->s_fs_info = kzalloc(sizeof(struct dmfs_sb_info), GFP_KERNEL);
	if (!fc->s_fs_info)
		return -ENOMEM;
	fc->ops = &dmfs_context_ops;
	return 0;
}

static void dmfs_kill_sb(struct super_block *sb)
{
	struct dmfs_sb_info *sbi = DMFS_SB(sb);

	if (sbi)
		dmfs_unregister_handles(sb);
	kill_anon_super(sb);
	dmfs_free_sbi(sbi);
}

static struct file_system_type dmfs_type = {
	.owner			= THIS_MODULE,
	.name			= "dmapi",
	.init_fs_context	= dmfs_init_fs_context,
	.kill_sb		= dmfs_kill_sb,
};
MODULE_ALIAS_FS("dmapi");

static void dmfs_inode_init_once(void *obj)
{
	struct dmfs_inode *di = obj;

	inode_init_once(&di->vfs_inode);
}

/**
 * dmfs_init - register the dmapi filesystem type
 *
 * Return: 0 or a negative errno.
 */
int dmfs_init(void)
{
	int err;

	dmfs_inode_cachep = kmem_cache_create("dmapi_inode",
					      sizeof(struct dmfs_inode), 0,
					      SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
					      dmfs_inode_init_once);
	if (!dmfs_inode_cachep)
		return -ENOMEM;
	err = register_filesystem(&dmfs_type);
	if (err)
		kmem_cache_destroy(dmfs_inode_cachep);
	return err;
}

/**
 * dmfs_exit - unregister the dmapi filesystem type
 */
void dmfs_exit(void)
{
	unregister_filesystem(&dmfs_type);
	/* Inodes are freed after an RCU grace period. */
	rcu_barrier();
	kmem_cache_destroy(dmfs_inode_cachep);
}
