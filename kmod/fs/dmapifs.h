/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dmapi filesystem: a stack of one layer over a lower XFS or ext4
 * tree.  Every object of the mount has one lower object; data and
 * metadata live there, and the dmapi layer keeps no page cache of its
 * own.  Split as overlayfs splits itself: super.c (mount), namei.c
 * (lookup, dentries, namespace operations), inode.c (attributes,
 * permission), dir.c (readdir), file.c (I/O), xattr.c.
 */
#ifndef _DMAPI_FS_H
#define _DMAPI_FS_H

#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/path.h>
#include <linux/wait_bit.h>
#include <linux/xarray.h>

#include "../compat.h"
#include "../core.h"

#define DMAPI_SUPER_MAGIC	0x444d4150	/* "DMAP" */

/* The reserved xattr namespace of the persistent DMAPI state. */
#define DMAPI_XATTR_PREFIX	"trusted.dmapi."

/**
 * struct dmfs_sb_info - a dmapi mount
 * @lower: the lower tree's root, pinned for the life of the mount
 * @dm_fs: the mount as the DMAPI core knows it (handles, events)
 * @mtpt_given: the mount point came with the mtpt= option
 * @mounter_cred: the credentials of the mount's maker, referenced: what
 *	converts security.capability below (xattr.c)
 * @seen: the objects the mount has shown, by inode number, with their
 *	generation, and the DEBUT events in flight (debut.c)
 * @scan_root: the lower root, opened by the first filesystem scan that
 *	needs it and kept for the next ones (inodes.c)
 * @ino_bits: the bits an inode number of the lower filesystem can have;
 *	a handle with a larger one names nothing (inodes.c)
 * @ext4_bitmaps: the lower filesystem is ext4 and its inode bitmaps may
 *	guide the scans (ext4scan.c)
 * @vm_ops_lock: protects @vm_ops
 * @vm_ops: the operations of the mappings made through the mount, one
 *	for each set of the lower filesystem's (mmap.c)
 * @renames_lock: protects @renames
 * @renames: the renames through the mount whose lower object has moved,
 *	or may have, and whose dentries have not yet (namei.c)
 */
struct dmfs_sb_info {
	struct path	lower;
	struct file	*scan_root;
	unsigned int	ino_bits;
	bool		ext4_bitmaps;
	struct dm_fs	dm_fs;
	bool		mtpt_given;
	const struct cred *mounter_cred;
	struct xarray	seen;
	struct mutex	vm_ops_lock;	/* protects vm_ops */
	struct list_head vm_ops;
	spinlock_t	renames_lock;	/* protects renames */
	struct list_head renames;
};

/* The accesses a right can exclude: reads, and what changes data. */
enum dmfs_io_kind {
	DMFS_IO_READ,
	DMFS_IO_CHANGE,
	DMFS_IO_NR
};

/**
 * struct dmfs_inode - the dmapi inode of one lower inode
 * @lower: the lower inode, referenced
 * @opens: files open on it through the mount; the last close of a
 *	regular file sends CLOSE
 * @interest: which data events its accesses want, cached (access.c)
 * @admitted: the accesses of each &enum dmfs_io_kind past their rights
 *	and events and not ended yet (dmfs_io_begin()); a right granted
 *	waits for those it excludes
 * @vfs_inode: the VFS inode
 */
struct dmfs_inode {
	struct inode	*lower;
	atomic_t	opens;
	struct dm_interest_cache interest;
	atomic_t	admitted[DMFS_IO_NR];
	struct inode	vfs_inode;
};

static inline struct dmfs_sb_info *DMFS_SB(const struct super_block *sb)
{
	return sb->s_fs_info;
}

static inline struct dmfs_inode *DMFS_I(const struct inode *inode)
{
	return container_of(inode, struct dmfs_inode, vfs_inode);
}

static inline struct inode *dmfs_lower_inode(const struct inode *inode)
{
	return DMFS_I(inode)->lower;
}

/* A dmapi dentry's d_fsdata is its lower dentry, referenced. */
static inline struct dentry *dmfs_lower_dentry(const struct dentry *dentry)
{
	return dentry->d_fsdata;
}

static inline struct vfsmount *dmfs_lower_mnt(const struct super_block *sb)
{
	return DMFS_SB(sb)->lower.mnt;
}

static inline dm_idmap_t *dmfs_lower_idmap(const struct super_block *sb)
{
	return dm_mnt_idmap(dmfs_lower_mnt(sb));
}

static inline void dmfs_lower_path(const struct dentry *dentry,
				   struct path *path)
{
	path->mnt = dmfs_lower_mnt(dentry->d_sb);
	path->dentry = dmfs_lower_dentry(dentry);
}

static inline struct dm_fs *dmfs_dm_fs(const struct super_block *sb)
{
	return &DMFS_SB(sb)->dm_fs;
}

/* Send a namespace event of the mount @sb, if wanted (namesp.c). */
static inline int dmfs_namesp(const struct super_block *sb, int type,
			      const struct dm_namesp *ns)
{
	return dm_namesp_event(dmfs_dm_fs(sb), type, ns);
}

/*
 * Give the new lower object @lower the DM attributes it inherits from its
 * directory, locked; if one cannot be copied, @lower is removed again.
 */
static inline int dmfs_inherit(const struct super_block *sb,
			       struct dentry *lower)
{
	return dm_inherit_or_remove(dmfs_dm_fs(sb), lower->d_parent, lower);
}

/*
 * Send the data event @type of an access to the lower file @lower, if the
 * DM application wants it, and wait for the answer (access.c).
 */
static inline int dmfs_data_event(struct inode *inode, const struct path *lower,
				  int *grants, int type, loff_t off, u64 len)
{
	return dm_data_event(dmfs_dm_fs(inode->i_sb), lower, grants,
			     &DMFS_I(inode)->interest, type, off, len);
}

static inline enum dmfs_io_kind dmfs_io_kind(int type)
{
	return type == DMAPI_EVENT_READ ? DMFS_IO_READ : DMFS_IO_CHANGE;
}

/* file.c */
int dmfs_io_begin_slow(struct inode *inode, const struct path *lower,
		       int type, loff_t off, u64 len, bool nowait);
int dmfs_io_begin_locked(struct inode *inode, const struct path *lower,
			 int type, loff_t off, u64 len);

/* dmfs_io_begin(), or with @nowait, dmfs_io_begin_kiocb()'s. */
static inline int __dmfs_io_begin(struct inode *inode,
				  const struct path *lower, int type,
				  loff_t off, u64 len, bool nowait)
{
	struct dm_fs *fs = dmfs_dm_fs(inode->i_sb);

	atomic_inc(&DMFS_I(inode)->admitted[dmfs_io_kind(type)]);
	/* Counted before looking for rights: pairs with dm_rights_drain(). */
	smp_mb__after_atomic();
	/*
	 * Every read and write passes here: with nobody in its way, two
	 * loads; with an HSM on the filesystem and a file it left alone, a
	 * few more.
	 */
	if (!dm_rights_held() &&
	    (!READ_ONCE(fs->disp[type]) ||
	     dm_interest_quiet(fs, &DMFS_I(inode)->interest, type)))
		return 0;
	return dmfs_io_begin_slow(inode, lower, type, off, len, nowait);
}

/**
 * dmfs_io_begin - admit an access to the lower file
 * @inode: the dmapi inode
 * @lower: the lower file's path
 * @type: DMAPI_EVENT_READ, _WRITE or _TRUNCATE
 * @off: where the access starts
 * @len: its length; 0 to the end of the file
 *
 * What an access must pass before it reaches the lower file: the DM
 * applications' access rights, its data event, then the rights again.
 * Admitted, it counts among the inode's admitted accesses until
 * dmfs_io_end(), and a right granted meanwhile waits for it: without
 * that, a write that passed its event just before a migration took its
 * right could land after the migration had copied the file and punched
 * it, and be lost.
 *
 * Return: 0, admitted; or a negative errno, not admitted.
 */
static inline int dmfs_io_begin(struct inode *inode, const struct path *lower,
				int type, loff_t off, u64 len)
{
	return __dmfs_io_begin(inode, lower, type, off, len, false);
}

/**
 * dmfs_io_begin_kiocb - dmfs_io_begin() for the I/O of a kiocb
 * @iocb: the read or write of the dmapi file
 * @lower: the lower file's path
 * @type: DMAPI_EVENT_READ or _WRITE
 * @off: where the access starts
 * @len: its length
 *
 * An IOCB_NOWAIT access (io_uring's first try) that would wait for a DM
 * application or a right fails EAGAIN instead: io_uring then issues it
 * again from a worker, which may wait, rather than holding up the
 * submitter and the ring's other users.
 *
 * Return: as for dmfs_io_begin(), or -EAGAIN.
 */
static inline int dmfs_io_begin_kiocb(struct kiocb *iocb,
				      const struct path *lower, int type,
				      loff_t off, u64 len)
{
	return __dmfs_io_begin(file_inode(iocb->ki_filp), lower, type, off,
			       len, iocb->ki_flags & IOCB_NOWAIT);
}

/**
 * dmfs_io_end - end an access dmfs_io_begin() admitted
 * @inode: the dmapi inode
 * @type: as given to dmfs_io_begin()
 */
static inline void dmfs_io_end(struct inode *inode, int type)
{
	struct dmfs_inode *di = DMFS_I(inode);

	/*
	 * The decrement is a full barrier before the load, as the count of
	 * drainers and its barrier are before their look at our count, in
	 * dm_rights_drain(): one of the two sees the other.  The key is the
	 * lower inode, which outlives ours; a wakeup of no waiter is lost
	 * harmlessly.
	 */
	if (atomic_dec_and_test(&di->admitted[dmfs_io_kind(type)]) &&
	    dm_rights_draining())
		wake_up_var(di->lower);
}

/* The lower file behind an open dmapi file. */
static inline struct file *dmfs_lower_file(const struct file *file)
{
	return file->private_data;
}

/* super.c */
int dmfs_init(void);
void dmfs_exit(void);

/* inode.c */
struct inode *dmfs_iget(struct super_block *sb, struct inode *lower);
void dmfs_copyattr(struct inode *inode);
int dmfs_drain_io(struct dm_fs *fs, struct inode *lower, bool reads,
		  unsigned long timeout);
void dmfs_changed(struct dm_fs *fs, struct inode *lower);
struct inode *dmfs_upper(struct dm_fs *fs, struct inode *lower);
extern const struct inode_operations dmfs_file_iops;
extern const struct inode_operations dmfs_symlink_iops;
extern const struct inode_operations dmfs_special_iops;
int dmfs_attr_begin(struct inode *inode);
int dmfs_attr_begin_locked(struct inode *inode);
void dmfs_attr_end(struct inode *inode);
int dmfs_setattr(dm_idmap_t *idmap, struct dentry *dentry, struct iattr *attr);
int dmfs_getattr(dm_idmap_t *idmap, const struct path *path,
		 struct kstat *stat, u32 request_mask, unsigned int flags);
void dmfs_sync_inode_flags(struct inode *inode, struct inode *lower);
int dmfs_permission(dm_idmap_t *idmap, struct inode *inode, int mask);
int dmfs_fiemap(struct inode *inode, struct fiemap_extent_info *fieinfo,
		u64 start, u64 len);
int dmfs_fileattr_get(struct dentry *dentry, struct fileattr *fa);
int dmfs_fileattr_set(dm_idmap_t *idmap, struct dentry *dentry,
		      struct fileattr *fa);
void dmfs_attr_changed(struct dentry *dentry);

/* namei.c */
void dmfs_namei_init(struct dmfs_sb_info *sbi);
extern const struct inode_operations dmfs_dir_iops;
extern const struct dentry_operations dmfs_dentry_ops;

/* dir.c */
extern const struct file_operations dmfs_dir_fops;

/* file.c */
extern const struct file_operations dmfs_file_fops;
extern const struct address_space_operations dmfs_aops;
int dmfs_open_lower(struct file *file);
int dmfs_sync_flags(struct file *file);
int dmfs_io_begin2(struct file *in, loff_t pos_in, struct file *out,
		   loff_t pos_out, u64 len);
void dmfs_io_end2(struct file *in, struct file *out);
int dmfs_release(struct inode *inode, struct file *file);
loff_t dmfs_llseek(struct file *file, loff_t offset, int whence);

/* mmap.c */
int dmfs_mmap(struct file *file, struct vm_area_struct *vma);
void dmfs_mmap_end_earlier(void);
void dmfs_mmap_init(struct dmfs_sb_info *sbi);
void dmfs_mmap_exit(struct dmfs_sb_info *sbi);

/* acl.c: the ACL inode operations, where the VFS wants them */
struct posix_acl *dmfs_get_inode_acl(struct inode *inode, int type, bool rcu);
#ifdef DM_HAVE_ACL_IOPS
struct posix_acl *dmfs_get_acl(dm_idmap_t *idmap, struct dentry *dentry,
			       int type);
int dmfs_set_acl(dm_idmap_t *idmap, struct dentry *dentry,
		 struct posix_acl *acl, int type);
#define DMFS_ACL_IOPS	.get_inode_acl = dmfs_get_inode_acl,	\
			.get_acl = dmfs_get_acl, .set_acl = dmfs_set_acl,
#else
#define DMFS_ACL_IOPS	.get_acl = dmfs_get_inode_acl,
#endif

/* export.c */
u64 dmfs_fsid(const struct super_block *lower_sb);
struct dentry *dmfs_decode(struct dmfs_sb_info *sbi, u64 ino, u32 gen);

/* debut.c */
void dmfs_mark_seen(struct super_block *sb, const struct inode *lower);
void dmfs_forget_seen(struct super_block *sb, const struct inode *lower);
int dmfs_debut(struct super_block *sb, struct dentry *lower);
void dmfs_debut_init(struct dmfs_sb_info *sbi);
void dmfs_debut_exit(struct dmfs_sb_info *sbi);

/**
 * struct dmfs_ext4_walk - one scan step's view of ext4's inode bitmaps
 * @sb: the lower superblock
 * @desc_block: the first block of the group descriptor table
 * @desc_groups: the groups whose descriptors are in that table (with
 *	meta_bg, the later ones lead their meta groups)
 * @first_data_block: with meta_bg, the block of group 0
 * @blocks_per_group: with meta_bg, the blocks of a group
 * @backup_bgs: with meta_bg and sparse_super2, the two groups with a copy
 *	of the superblock besides group 0
 * @sparse_super: with meta_bg, only some groups have such a copy
 * @sparse_super2: with meta_bg, only group 0 and @backup_bgs have one
 * @inodes_per_group: inodes in a group; 0 when the bitmaps are not
 *	read, and every inode number is probed
 * @desc_size: bytes of a group descriptor
 * @uninit: descriptors mark the groups whose inodes were never used
 * @desc64: descriptors carry the high 32 bits of block numbers
 * @group: the group of @bitmap, or U64_MAX for none
 * @bitmap: the inode bitmap of @group, referenced; NULL when every
 *	inode of @group is to be probed
 * @group_unused: @group never had an inode in use
 */
struct dmfs_ext4_walk {
	struct super_block	*sb;
	u64			desc_block;
	u32			desc_groups;
	u32			first_data_block;
	u32			blocks_per_group;
	u32			backup_bgs[2];
	bool			sparse_super;
	bool			sparse_super2;
	u32			inodes_per_group;
	u16			desc_size;
	bool			uninit;
	bool			desc64;
	u64			group;
	struct buffer_head	*bitmap;
	bool			group_unused;
};

/* ext4scan.c */
bool dmfs_ext4_bitmaps_usable(struct dmfs_sb_info *sbi);
u64 dmfs_ext4_sb_inodes(struct super_block *sb);
void dmfs_ext4_walk_start(struct dmfs_sb_info *sbi, struct dmfs_ext4_walk *w);
u64 dmfs_ext4_walk_next(struct dmfs_ext4_walk *w, u64 ino);
void dmfs_ext4_walk_end(struct dmfs_ext4_walk *w);

/* inodes.c */
int dmfs_probe_inodes(struct dmfs_sb_info *sbi);
int dmfs_scan(struct dm_fs *fs, struct dm_scan *s);
void dmfs_scan_exit(struct dmfs_sb_info *sbi);
int dmfs_register_handles(struct dmfs_sb_info *sbi);
void dmfs_stop_handles(struct dmfs_sb_info *sbi);
void dmfs_unregister_handles(struct dmfs_sb_info *sbi);

/* xattr.c */
extern dm_xattr_handler_t dmfs_xattr_handlers[];
ssize_t dmfs_listxattr(struct dentry *dentry, char *list, size_t size);

#endif /* _DMAPI_FS_H */
