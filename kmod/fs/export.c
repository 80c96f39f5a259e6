// SPDX-License-Identifier: GPL-2.0
/*
 * Handles of a dmapi filesystem: what the core's handle calls need from
 * it.  An object is named by its lower inode number and generation and
 * found again through the lower filesystem's export operations, so a
 * handle stays valid across unmount, remount and reboot.  Only objects
 * inside the mounted lower tree are ever returned.
 */
#include <linux/dcache.h>
#include <linux/exportfs.h>
#include <linux/namei.h>
#include <linux/uuid.h>

#include "dmapifs.h"

/* XFS marks file handles with 64-bit inode numbers with this type bit. */
#define DMFS_FILEID_INO64_FLAG	0x80

/**
 * dmfs_fsid - the fsid of a lower filesystem
 * @lower_sb: the lower superblock
 *
 * Its UUID folded to 64 bits: stable across mounts and reboots, and
 * different between filesystems.
 *
 * Return: the fsid, never 0.
 */
u64 dmfs_fsid(const struct super_block *lower_sb)
{
	u64 halves[2];
	u64 fsid;

	memcpy(halves, &lower_sb->s_uuid, sizeof(halves));
	fsid = halves[0] ^ halves[1];
	if (!fsid)	/* no UUID: the device number, marked */
		fsid = (1ULL << 63) | new_encode_dev(lower_sb->s_dev);
	return fsid;
}

struct dmfs_accept_ctx {
	struct dentry	*root;
	bool		whole_fs;
};

/*
 * Only an object of the mounted tree is acceptable.  A mount of the whole
 * lower filesystem takes any, connected or not, with no walk up to its
 * root.  Otherwise a disconnected non-directory, which cannot tell where
 * it is, is not.
 */
static int dmfs_acceptable(void *context, struct dentry *dentry)
{
	struct dmfs_accept_ctx *ctx = context;

	if (ctx->whole_fs)
		return 1;
	if (dentry->d_flags & DCACHE_DISCONNECTED)
		return 0;
	return is_subdir(dentry, ctx->root);
}

/*
 * What a failed decode says of the object.  The lower filesystem's
 * "no such object" (ESTALE, NULL) and a place outside the tree are
 * EBADF, which a DM application takes for an object gone; a failure to
 * read it (an I/O error, a corrupt inode, memory) says nothing of the
 * kind, and is passed on.
 */
static int dmfs_decode_errno(long err)
{
	switch (err) {
	case -ENOMEM:
		return -ENOMEM;
	case -EIO:
	case -EUCLEAN:		/* XFS's and ext4's EFSCORRUPTED */
	case -EBADMSG:		/* and EFSBADCRC */
		return -EIO;
	default:
		return -EBADF;
	}
}

/**
 * dmfs_decode - the lower object of an inode number, if in the tree
 * @sbi: the mount
 * @ino: the inode number
 * @gen: its generation; 0 asks the lower filesystem to ignore it, which
 *	ext4 does and XFS does not
 *
 * Return: the lower dentry, referenced, of a linked object of the
 * mounted tree whose inode number is @ino, or an ERR_PTR: -EBADF (no
 * such object in the tree), -EIO or -ENOMEM (it could not be read).
 */
struct dentry *dmfs_decode(struct dmfs_sb_info *sbi, u64 ino, u32 gen)
{
	struct dmfs_accept_ctx ctx = {
		.root = sbi->lower.dentry,
		.whole_fs = sbi->lower.dentry == sbi->lower.dentry->d_sb->s_root,
	};
	u32 raw[3];
	struct fid *fid = (struct fid *)raw;
	struct dentry *dentry;
	int type, len;

	if (sbi->ino_bits < 64 && ino >> sbi->ino_bits)
		return ERR_PTR(-EBADF);
	if (ino <= U32_MAX) {
		fid->i32.ino = ino;
		fid->i32.gen = gen;
		type = FILEID_INO32_GEN;
		len = 2;
	} else {
		memcpy(raw, &ino, sizeof(ino));
		raw[2] = gen;
		type = FILEID_INO32_GEN | DMFS_FILEID_INO64_FLAG;
		len = 3;
	}
	dentry = dm_exportfs_decode_fh_raw(sbi->lower.mnt, fid, len, type,
					   dmfs_acceptable, &ctx);
	if (IS_ERR_OR_NULL(dentry))
		return ERR_PTR(dmfs_decode_errno(PTR_ERR(dentry)));
	/* A removed object still open somewhere is gone for DMAPI. */
	if (d_inode(dentry)->i_ino != ino || !d_inode(dentry)->i_nlink) {
		dput(dentry);
		return ERR_PTR(-EBADF);
	}
	return dentry;
}

static int dmfs_resolve(struct dm_fs *fs, u64 ino, u32 gen, struct path *path)
{
	struct dmfs_sb_info *sbi = container_of(fs, struct dmfs_sb_info, dm_fs);
	struct dentry *dentry = dmfs_decode(sbi, ino, gen);

	if (IS_ERR(dentry))
		return PTR_ERR(dentry);
	/* A handle is exact: the lower filesystem may ignore the generation. */
	if (d_inode(dentry)->i_generation != gen) {
		dput(dentry);
		return -EBADF;
	}
	path->mnt = mntget(sbi->lower.mnt);
	path->dentry = dentry;
	return 0;
}

static char *dmfs_relpath(struct dm_fs *fs, struct dentry *dentry, char *buf,
			  int len)
{
	struct dmfs_sb_info *sbi = container_of(fs, struct dmfs_sb_info, dm_fs);
	struct dentry *root = sbi->lower.dentry;
	char *end = buf + len, *p = end;
	struct dentry *d;
	int err = 0;

	if (!is_subdir(dentry, root))
		return ERR_PTR(-EBADF);
	*--p = '\0';
	d = dget(dentry);
	while (d != root) {
		struct dentry *parent = dget_parent(d);
		/* The first component has no '/' before it. */
		int sep = parent != root;
		struct name_snapshot name;

		take_dentry_name_snapshot(&name, d);
		if (p - buf < name.name.len + sep) {
			err = -ENAMETOOLONG;
		} else {
			p -= name.name.len;
			memcpy(p, name.name.name, name.name.len);
			if (sep)
				*--p = '/';
		}
		release_dentry_name_snapshot(&name);
		dput(d);
		d = parent;
		if (err || IS_ROOT(d))
			break;
	}
	if (!err && d != root)
		err = -EBADF;	/* moved out of the tree meanwhile */
	dput(d);
	return err ? ERR_PTR(err) : p;
}

static const struct dm_fs_ops dmfs_dm_fs_ops = {
	.resolve	= dmfs_resolve,
	.relpath	= dmfs_relpath,
	.scan		= dmfs_scan,
	.drain_io	= dmfs_drain_io,
	.changed	= dmfs_changed,
	.upper		= dmfs_upper,
};

/**
 * dmfs_register_handles - let the core serve handles of a new mount
 * @sbi: the mount, its lower tree found
 *
 * Return: 0, or -EBUSY when another dmapi mount manages the lower
 * filesystem.
 */
int dmfs_register_handles(struct dmfs_sb_info *sbi)
{
	int err;

	sbi->dm_fs.fsid = dmfs_fsid(sbi->lower.dentry->d_sb);
	sbi->dm_fs.lower = &sbi->lower;
	sbi->dm_fs.ops = &dmfs_dm_fs_ops;
	err = dm_fs_register(&sbi->dm_fs);
	if (err)
		sbi->dm_fs.ops = NULL;
	return err;
}

/**
 * dmfs_stop_handles - stop serving handles of a mount, its fsid kept
 * @sbi: the mount; nothing happens if it serves none
 *
 * Until dmfs_unregister_handles(), no other mount of the filesystem can
 * begin: its MOUNT event would come before this one's UNMOUNT.
 */
void dmfs_stop_handles(struct dmfs_sb_info *sbi)
{
	if (sbi->dm_fs.ops)
		dm_fs_unregister(&sbi->dm_fs);
}

/**
 * dmfs_unregister_handles - stop serving handles of a mount, and forget it
 * @sbi: the mount; nothing happens if it serves none
 */
void dmfs_unregister_handles(struct dmfs_sb_info *sbi)
{
	if (!sbi->dm_fs.ops)
		return;
	dm_fs_unregister(&sbi->dm_fs);
	dm_fs_forget(&sbi->dm_fs);
	sbi->dm_fs.ops = NULL;
}
