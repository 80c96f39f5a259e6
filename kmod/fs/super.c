// SPDX-License-Identifier: GPL-2.0
/*
 * The dmapi filesystem type: mounting a lower tree, the superblock, and
 * the inode cache.
 *
 *	mount -t dmapi [-o mtpt=MOUNTPOINT] LOWER MOUNTPOINT
 *
 * LOWER is a directory of a filesystem that can give persistent handles
 * (export operations): XFS and ext4 can.  MOUNTPOINT may be LOWER itself.
 * The VFS does not tell a filesystem where it is mounted: mtpt= says it
 * for the MOUNT event and dm_get_mountinfo(), as SGI's XFS had it say;
 * without it they report LOWER, right for the usual over-mount.
 *
 * A DM application must consent to the mount (the MOUNT event) before the
 * superblock is made, and hears of the unmount (PREUNMOUNT, UNMOUNT).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/exportfs.h>
#include <linux/file.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
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
	atomic_set(&di->opens, 0);
	atomic_set(&di->admitted[DMFS_IO_READ], 0);
	atomic_set(&di->admitted[DMFS_IO_CHANGE], 0);
	RCU_INIT_POINTER(di->interest.in, NULL);
	di->interest.quiet = 0;
	dm_live_inc(DM_LIVE_INODES);
	return &di->vfs_inode;
}

static void dmfs_free_inode(struct inode *inode)
{
	dm_interest_free(&DMFS_I(inode)->interest);
	kmem_cache_free(dmfs_inode_cachep, DMFS_I(inode));
	dm_live_dec(DM_LIVE_INODES);
}

/*
 * Whether the object goes with our last reference: no link left, and the
 * mount still serving handles.  A lower file the DM application opened by
 * handle may outlive it a little; that is its own reference.
 */
static bool dmfs_lower_destroyed(struct super_block *sb, struct inode *lower)
{
	struct dm_fs *fs = &DMFS_SB(sb)->dm_fs;

	return lower && !lower->i_nlink && READ_ONCE(fs->ops) &&
	       !READ_ONCE(fs->dying);
}

static void dmfs_evict_inode(struct inode *inode)
{
	struct inode *lower = DMFS_I(inode)->lower;

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (dmfs_lower_destroyed(inode->i_sb, lower)) {
		dmfs_forget_seen(inode->i_sb, lower);
		dm_destroy_event(dmfs_dm_fs(inode->i_sb), lower);
	}
	iput(lower);
	/* An RCU-walk may still read it (dmfs_permission()). */
	WRITE_ONCE(DMFS_I(inode)->lower, NULL);
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
	struct dmfs_sb_info *sbi = DMFS_SB(root->d_sb);

	if (sbi->mtpt_given)
		seq_show_option(m, "mtpt", sbi->dm_fs.mountpoint);
	return 0;
}

/*
 * syncfs(2) through the mount syncs the lower filesystem: ours has no
 * data of its own to write.  sync(2) reaches the lower one by itself
 * (SB_I_SKIP_SYNC), and the call with @wait set is enough.
 */
static int dmfs_sync_fs(struct super_block *sb, int wait)
{
	struct super_block *lower_sb = dmfs_lower_mnt(sb)->mnt_sb;
	int err;

	if (!wait)
		return 0;
	down_read(&lower_sb->s_umount);
	err = sync_filesystem(lower_sb);
	up_read(&lower_sb->s_umount);
	return err;
}

/*
 * umount -f: the PREUNMOUNT and UNMOUNT events say so.  The VFS asks
 * (umount_begin) before it knows whether the unmount can go: a busy
 * mount then fails EBUSY, and nobody is told.  When it goes, its teardown
 * runs in the unmounting task, as a task work, before the call returns
 * to user space.  So the superblock is marked as forced by that task
 * until its call returns: by a file of ours that the call lets go, whose
 * release (a task work too) ends the mark.  6.1 and 6.12 run a task's
 * works last queued first (task_work_run()), so the release follows the
 * teardown, which was queued after it.  A file, not a task work of our
 * own: the VFS keeps the module for the release and lets it go after,
 * where our own work would still run our code after its last reference.
 */
struct dmfs_forcing {
	struct list_head	link;
	struct pid		*pid;
	struct super_block	*sb;	/* compared, never used */
};

static LIST_HEAD(dmfs_forcing_list);
static DEFINE_SPINLOCK(dmfs_forcing_lock);

static void dmfs_forcing_end(struct dmfs_forcing *forcing)
{
	spin_lock(&dmfs_forcing_lock);
	list_del(&forcing->link);
	spin_unlock(&dmfs_forcing_lock);
	put_pid(forcing->pid);
	kfree(forcing);
}

static int dmfs_forcing_release(struct inode *inode, struct file *file)
{
	dmfs_forcing_end(file->private_data);
	return 0;
}

static const struct file_operations dmfs_forcing_fops = {
	.owner		= THIS_MODULE,
	.release	= dmfs_forcing_release,
};

static void dmfs_umount_begin(struct super_block *sb)
{
	struct dmfs_forcing *forcing;
	struct file *file;
	long err = -ENOMEM;

	forcing = kmalloc(sizeof(*forcing), GFP_KERNEL);
	if (!forcing)
		goto fail;
	forcing->pid = get_pid(task_pid(current));
	forcing->sb = sb;
	spin_lock(&dmfs_forcing_lock);
	list_add(&forcing->link, &dmfs_forcing_list);
	spin_unlock(&dmfs_forcing_lock);
	file = anon_inode_getfile("[dmapi-umount-force]", &dmfs_forcing_fops,
				  forcing, O_RDONLY);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		dmfs_forcing_end(forcing);
		goto fail;
	}
	fput(file);
	return;
fail:
	pr_warn_ratelimited("umount -f: cannot mark it (%ld): told as a normal unmount\n",
			    err);
}

/* Whether @sb is torn down by the umount -f call of the current task. */
static bool dmfs_umount_forced(struct super_block *sb)
{
	struct dmfs_forcing *forcing;
	bool found = false;

	spin_lock(&dmfs_forcing_lock);
	list_for_each_entry(forcing, &dmfs_forcing_list, link) {
		if (forcing->sb == sb && forcing->pid == task_pid(current)) {
			found = true;
			break;
		}
	}
	spin_unlock(&dmfs_forcing_lock);
	return found;
}

static const struct super_operations dmfs_super_ops = {
	.alloc_inode	= dmfs_alloc_inode,
	.free_inode	= dmfs_free_inode,
	.evict_inode	= dmfs_evict_inode,
	.drop_inode	= generic_delete_inode,
	.sync_fs	= dmfs_sync_fs,
	.statfs		= dmfs_statfs,
	.show_options	= dmfs_show_options,
	.umount_begin	= dmfs_umount_begin,
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

/*
 * Handles name an object by inode number and generation, found again by
 * the lower filesystem's export operations: tmpfs and btrfs, say, have
 * handles of their own, which ours are not.  The lower root must be
 * found by its handle, or no handle of the mount would be.
 */
static int dmfs_check_handles(struct fs_context *fc, struct dmfs_sb_info *sbi)
{
	struct inode *root = d_inode(sbi->lower.dentry);
	struct dentry *found;

	found = dmfs_decode(sbi, root->i_ino, root->i_generation);
	if (PTR_ERR_OR_ZERO(found) == -EBADF)
		return invalfc(fc, "%s (%s) cannot find its objects by inode number and generation",
			       fc->source, root->i_sb->s_type->name);
	if (IS_ERR(found))
		return PTR_ERR(found);
	dput(found);
	return 0;
}

static int dmfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	/* sget_fc() handed the sb_info over from the context to the sb. */
	struct dmfs_sb_info *sbi = DMFS_SB(sb);
	struct super_block *lower_sb;
	struct inode *root_inode;
	struct dentry *root;

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
	sb->s_iflags |= SB_I_SKIP_SYNC;

	root_inode = dmfs_iget(sb, d_inode(sbi->lower.dentry));
	if (IS_ERR(root_inode))
		return PTR_ERR(root_inode);
	root = d_make_root(root_inode);
	if (!root)
		return -ENOMEM;
	root->d_fsdata = dget(sbi->lower.dentry);
	sb->s_root = root;
	dm_fs_attach(&sbi->dm_fs, sb);
	return 0;
}

/* Record where the mount is and whether it is read-only, for DMAPI. */
static int dmfs_describe_mount(struct fs_context *fc, struct dmfs_sb_info *sbi)
{
	struct dm_fs *dm_fs = &sbi->dm_fs;
	char *buf, *name;
	int err = 0;

	buf = __getname();
	if (!buf)
		return -ENOMEM;
	name = d_path(&sbi->lower, buf, PATH_MAX);
	if (IS_ERR(name))
		err = PTR_ERR(name);
	else
		dm_fs->lower_name = kstrdup(name, GFP_KERNEL);
	__putname(buf);
	if (err)
		return err;
	if (!dm_fs->mountpoint)
		dm_fs->mountpoint = kstrdup(dm_fs->lower_name, GFP_KERNEL);
	if (!dm_fs->lower_name || !dm_fs->mountpoint)
		return -ENOMEM;
	dm_fs->rdonly = (fc->sb_flags & SB_RDONLY) ||
			sb_rdonly(sbi->lower.dentry->d_sb) ||
			__mnt_is_readonly(sbi->lower.mnt);
	return 0;
}

static int dmfs_find_lower(struct fs_context *fc, struct dmfs_sb_info *sbi)
{
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
	err = dmfs_probe_inodes(sbi);
	if (err) {
		errorfc(fc, "%s: cannot read the lower filesystem's geometry",
			fc->source);
		return err;
	}
	err = dmfs_check_handles(fc, sbi);
	if (err)
		return err;
	return dmfs_describe_mount(fc, sbi);
}

/* Say why the DM applications did not let the mount happen. */
static void dmfs_mount_refused(struct fs_context *fc, int err)
{
	if (err == -ENOTCONN)
		errorfc(fc, "%s: no DMAPI session holds the mount disposition",
			fc->source);
	else if (err == -EINTR || err == -ETIMEDOUT)
		errorfc(fc, "%s: the MOUNT event was not answered", fc->source);
	else
		errorfc(fc, "%s: the DM application refused the mount (errno %d)",
			fc->source, -err);
}

/*
 * The filesystem serves handles from the MOUNT event on, before its
 * superblock exists, so that no VFS lock is held while user space
 * answers.
 */
static int dmfs_get_tree(struct fs_context *fc)
{
	struct dmfs_sb_info *sbi = fc->s_fs_info;
	int err;

	sbi->mounter_cred = get_cred(fc->cred);
	err = dmfs_find_lower(fc, sbi);
	if (err)
		return err;
	err = dmfs_register_handles(sbi);
	if (err == -EBUSY)
		errorfc(fc, "%s: its filesystem is managed by another dmapi mount already",
			fc->source);
	if (err)
		return err;
	err = dm_send_mount(&sbi->dm_fs);
	if (!err)
		err = get_tree_nodev(fc, dmfs_fill_super);
	else
		dmfs_mount_refused(fc, err);
	/* Unless a superblock took the sb_info over, the mount is off. */
	if (err && fc->s_fs_info)
		dmfs_unregister_handles(sbi);
	return err;
}

static void dmfs_free_sbi(struct dmfs_sb_info *sbi)
{
	if (!sbi)
		return;
	dmfs_unregister_handles(sbi);
	dmfs_debut_exit(sbi);
	dmfs_scan_exit(sbi);
	dmfs_mmap_exit(sbi);
	if (sbi->mounter_cred)
		put_cred(sbi->mounter_cred);
	path_put(&sbi->lower);
	kfree(sbi->dm_fs.mountpoint);
	kfree(sbi->dm_fs.lower_name);
	kfree(sbi);
}

enum { Opt_mtpt };

static const struct fs_parameter_spec dmfs_param_specs[] = {
	fsparam_string("mtpt", Opt_mtpt),
	{}
};

static int dmfs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct dmfs_sb_info *sbi = fc->s_fs_info;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fc, dmfs_param_specs, param, &result);
	if (opt < 0)
		return opt;
	if (opt == Opt_mtpt) {
		if (param->string[0] != '/')
			return invalfc(fc, "mtpt=%s: not an absolute path",
				       param->string);
		kfree(sbi->dm_fs.mountpoint);
		sbi->dm_fs.mountpoint = param->string;
		sbi->mtpt_given = true;
		param->string = NULL;
	}
	return 0;
}

static void dmfs_free_fc(struct fs_context *fc)
{
	dmfs_free_sbi(fc->s_fs_info);
}

/*
 * A remount changes what the VFS keeps (read-only, atime); the mount's
 * own option is fixed, and over a read-only lower filesystem ours stays
 * read-only, as it was mounted (overlayfs refuses the same).
 */
static int dmfs_reconfigure(struct fs_context *fc)
{
	struct super_block *sb = fc->root->d_sb;
	struct dmfs_sb_info *sbi = DMFS_SB(sb);
	struct dmfs_sb_info *asked = fc->s_fs_info;

	if (asked->mtpt_given &&
	    strcmp(asked->dm_fs.mountpoint, sbi->dm_fs.mountpoint))
		return invalfc(fc, "mtpt=%s: the mount point cannot change on remount",
			       asked->dm_fs.mountpoint);
	if ((fc->sb_flags_mask & SB_RDONLY) && !(fc->sb_flags & SB_RDONLY) &&
	    sb_rdonly(dmfs_lower_mnt(sb)->mnt_sb)) {
		errorfc(fc, "%s: the lower filesystem is read-only",
			sbi->dm_fs.lower_name);
		return -EROFS;
	}
	return 0;
}

static const struct fs_context_operations dmfs_context_ops = {
	.parse_param	= dmfs_parse_param,
	.get_tree	= dmfs_get_tree,
	.reconfigure	= dmfs_reconfigure,
	.free		= dmfs_free_fc,
};

static int dmfs_init_fs_context(struct fs_context *fc)
{
	fc->s_fs_info = kzalloc(sizeof(struct dmfs_sb_info), GFP_KERNEL);
	if (!fc->s_fs_info)
		return -ENOMEM;
	dmfs_debut_init(fc->s_fs_info);
	dmfs_mmap_init(fc->s_fs_info);
	dmfs_namei_init(fc->s_fs_info);
	fc->ops = &dmfs_context_ops;
	return 0;
}

/*
 * PREUNMOUNT while handles still work, then the teardown, then UNMOUNT.
 * A superblock whose setup failed was never mounted: no events.
 */
static void dmfs_kill_sb(struct super_block *sb)
{
	struct dmfs_sb_info *sbi = DMFS_SB(sb);
	int unmount_sid = 0;

	if (sbi && sbi->dm_fs.sb) {
		WRITE_ONCE(sbi->dm_fs.forced, dmfs_umount_forced(sb));
		dm_send_preunmount(&sbi->dm_fs);
		unmount_sid = dm_fs_session_for(&sbi->dm_fs,
						DMAPI_EVENT_UNMOUNT, 0);
	}
	if (sbi)
		dmfs_stop_handles(sbi);
	kill_anon_super(sb);
	if (sbi)
		dm_send_unmount(&sbi->dm_fs, unmount_sid, 0);
	/* The fsid goes back here: a new mount's MOUNT follows UNMOUNT. */
	dmfs_free_sbi(sbi);
}

static struct file_system_type dmfs_type = {
	.owner			= THIS_MODULE,
	.name			= "dmapi",
	.init_fs_context	= dmfs_init_fs_context,
	.kill_sb		= dmfs_kill_sb,
	/* Ours move as the lower ones moved, before lookups see a gap. */
	.fs_flags		= FS_RENAME_DOES_D_MOVE,
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
