// SPDX-License-Identifier: GPL-2.0
/*
 * The objects of a mount in ascending inode number, for the scans of a
 * whole filesystem (dm_get_bulkattr(), dm_get_bulkall()).
 *
 * Walking inode numbers, not the tree, is what lets a scan resume from a
 * single number and report every object once, hard links included, while
 * others create, remove and rename: a cursor only moves forward.  The
 * lower filesystem says which numbers are in use:
 *
 *  - XFS with its bulkstat ioctl, which walks its inode btrees and gives
 *    the generation that finding an XFS inode by number needs;
 *  - ext4, whose inodes are numbered from 1 to the count statfs()
 *    reports, by asking for each number its inode bitmap marks in use;
 *    ext4 finds an inode by number alone, and refuses unused ones.
 *
 * Objects outside the mounted tree, and those without links, are skipped
 * as for handles.  A step looks at a bounded number of inode numbers, so
 * a call's time and memory stay bounded whatever the filesystem's size.
 */
#include <linux/blkdev.h>
#include <linux/buffer_head.h>
#include <linux/exportfs.h>
#include <linux/file.h>
#include <linux/log2.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/statfs.h>
#include <linux/uaccess.h>

#include "dmapifs.h"

#define XFS_SUPER_MAGIC		0x58465342
#define EXT4_SUPER_MAGIC	0xEF53

/* The most ext4 inode numbers and groups one step looks at. */
#define DMFS_EXT4_PROBES	4096

/*
 * The fields of ext4's on-disk superblock and group descriptors a scan
 * reads (Documentation/filesystems/ext4/), as byte offsets: ext4's
 * header is private to it.
 */
#define DMFS_EXT4_SB_OFFSET		1024
#define DMFS_EXT4_SB_FIRST_DATA_BLOCK	0x14
#define DMFS_EXT4_SB_INODES_PER_GROUP	0x28
#define DMFS_EXT4_SB_MAGIC		0x38
#define DMFS_EXT4_SB_FEATURE_INCOMPAT	0x60
#define DMFS_EXT4_SB_FEATURE_RO_COMPAT	0x64
#define DMFS_EXT4_SB_DESC_SIZE		0xfe
#define DMFS_EXT4_SB_FIRST_META_BG	0x104
#define DMFS_EXT4_INCOMPAT_META_BG	0x0010
#define DMFS_EXT4_INCOMPAT_64BIT	0x0080
#define DMFS_EXT4_RO_COMPAT_GDT_CSUM	0x0010
#define DMFS_EXT4_RO_COMPAT_METADATA_CSUM 0x0400
#define DMFS_EXT4_DESC_SIZE		32
#define DMFS_EXT4_DESC_SIZE_64BIT	64
#define DMFS_EXT4_BG_INODE_BITMAP_LO	0x04
#define DMFS_EXT4_BG_FLAGS		0x12
#define DMFS_EXT4_BG_INODE_BITMAP_HI	0x24
#define DMFS_EXT4_BG_INODE_UNINIT	0x0001

/*
 * XFS's bulkstat request, version 5, as include/uapi of xfsprogs
 * (xfs_fs.h) defines it: a header, then the records.  Only the inode
 * number and the generation of each record are read.
 */
struct dmfs_xfs_bulk_ireq {
	__u64	ino;		/* in: first inode; out: next */
	__u32	flags;
	__u32	icount;		/* room for records */
	__u32	ocount;		/* out: records */
	__u32	agno;
	__u64	reserved[5];
};

#define DMFS_XFS_BULKSTAT_SIZE		192
#define DMFS_XFS_BULKSTAT_GEN_OFFSET	64
#define DMFS_XFS_IOC_BULKSTAT	_IOR('X', 127, struct dmfs_xfs_bulk_ireq)

static void dmfs_scan_add(struct dm_scan *s, struct dmfs_sb_info *sbi,
			  struct dentry *dentry)
{
	s->paths[s->n].mnt = mntget(sbi->lower.mnt);
	s->paths[s->n].dentry = dentry;
	s->n++;
}

/*
 * The head of XFS's geometry, version 1 (xfs_fs.h of xfsprogs), which
 * every XFS answers; the struct is 112 bytes.
 */
struct dmfs_xfs_geom {
	__u32	blocksize;
	__u32	rtextsize;
	__u32	agblocks;
	__u32	agcount;
	__u32	logblocks;
	__u32	sectsize;
	__u32	inodesize;
	__u8	rest[112 - 7 * 4];
};

#define DMFS_XFS_IOC_FSGEOMETRY_V1	_IOR('X', 100, struct dmfs_xfs_geom)

/*
 * An XFS inode number is an allocation group number above the bits of an
 * inode's place in its group.  XFS takes only 32 bits of the group number
 * (XFS_INO_TO_AGNO), so a larger number whose low bits are those of a
 * cached inode was looked up again forever.  No valid number is larger
 * than 32 bits of group number allow; the group size never changes.
 */
static int dmfs_xfs_ino_bits(struct dmfs_sb_info *sbi)
{
	struct dmfs_xfs_geom geo;
	struct file *root;
	unsigned long addr;
	long err;

	/* XFS writes the geometry to user memory: borrow the mounter's. */
	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return addr;
	root = dentry_open(&sbi->lower, O_RDONLY | O_DIRECTORY, current_cred());
	err = PTR_ERR_OR_ZERO(root);
	if (!err) {
		err = root->f_op->unlocked_ioctl(root, DMFS_XFS_IOC_FSGEOMETRY_V1,
						 addr);
		fput(root);
	}
	if (!err && copy_from_user(&geo, (void __user *)addr, sizeof(geo)))
		err = -EFAULT;
	vm_munmap(addr, PAGE_SIZE);
	if (err)
		return err;
	if (!geo.inodesize || geo.blocksize < geo.inodesize || geo.agblocks < 2)
		return -EINVAL;
	return 32 + ilog2(geo.blocksize / geo.inodesize) + fls(geo.agblocks - 1);
}

/* Little-endian fields at aligned offsets of on-disk structures. */
static u16 dmfs_le16(const u8 *base, size_t offset)
{
	return le16_to_cpup((const __le16 *)(base + offset));
}

static u32 dmfs_le32(const u8 *base, size_t offset)
{
	return le32_to_cpup((const __le32 *)(base + offset));
}

/*
 * Where ext4 keeps its group descriptors, from its superblock.  Anything
 * not understood leaves @sbi->ext4 zeroed: the scans then probe every
 * inode number, slower but as exact.
 */
static void dmfs_ext4_geometry(struct dmfs_sb_info *sbi)
{
	struct super_block *sb = sbi->lower.dentry->d_sb;
	struct dmfs_ext4_geo *geo = &sbi->ext4;
	struct buffer_head *bh;
	u32 incompat, ro_compat, ipg, first_data_block;
	u16 desc_size = DMFS_EXT4_DESC_SIZE;
	const u8 *es;

	bh = sb_bread(sb, DMFS_EXT4_SB_OFFSET / sb->s_blocksize);
	if (!bh)
		return;
	es = bh->b_data + DMFS_EXT4_SB_OFFSET % sb->s_blocksize;
	if (dmfs_le16(es, DMFS_EXT4_SB_MAGIC) != EXT4_SUPER_MAGIC)
		goto out;
	incompat = dmfs_le32(es, DMFS_EXT4_SB_FEATURE_INCOMPAT);
	ro_compat = dmfs_le32(es, DMFS_EXT4_SB_FEATURE_RO_COMPAT);
	ipg = dmfs_le32(es, DMFS_EXT4_SB_INODES_PER_GROUP);
	first_data_block = dmfs_le32(es, DMFS_EXT4_SB_FIRST_DATA_BLOCK);
	if (incompat & DMFS_EXT4_INCOMPAT_64BIT)
		desc_size = dmfs_le16(es, DMFS_EXT4_SB_DESC_SIZE);
	if (!ipg || ipg > sb->s_blocksize * BITS_PER_BYTE ||
	    desc_size < DMFS_EXT4_DESC_SIZE || desc_size > sb->s_blocksize ||
	    !is_power_of_2(desc_size))
		goto out;
	geo->desc_block = first_data_block + 1;
	geo->desc_groups = U32_MAX;
	if (incompat & DMFS_EXT4_INCOMPAT_META_BG)
		geo->desc_groups = dmfs_le32(es, DMFS_EXT4_SB_FIRST_META_BG) *
				   (sb->s_blocksize / desc_size);
	geo->desc_size = desc_size;
	geo->desc64 = incompat & DMFS_EXT4_INCOMPAT_64BIT &&
		      desc_size >= DMFS_EXT4_DESC_SIZE_64BIT;
	geo->uninit = ro_compat & (DMFS_EXT4_RO_COMPAT_GDT_CSUM |
				   DMFS_EXT4_RO_COMPAT_METADATA_CSUM);
	geo->inodes_per_group = ipg;
out:
	brelse(bh);
}

/**
 * dmfs_probe_inodes - learn how large the lower inode numbers can be
 * @sbi: the mount, its lower tree found
 *
 * Sets @sbi->ino_bits: 32 for ext4; for XFS, from its geometry (without a
 * user address space to borrow, 45 bits, below which no XFS inode number
 * can overflow the group number whatever the geometry: a group is at
 * least 2^24 bytes and an inode at most 2^11); 64 otherwise.  For ext4,
 * also reads where its inode bitmaps are.
 *
 * Return: 0, or the errno of asking XFS its geometry.
 */
int dmfs_probe_inodes(struct dmfs_sb_info *sbi)
{
	int bits;

	switch (sbi->lower.dentry->d_sb->s_magic) {
	case XFS_SUPER_MAGIC:
		bits = current->mm ? dmfs_xfs_ino_bits(sbi) : 45;
		if (bits < 0)
			return bits;
		break;
	case EXT4_SUPER_MAGIC:
		bits = 32;
		dmfs_ext4_geometry(sbi);
		break;
	default:
		bits = 64;
		break;
	}
	sbi->ino_bits = min(bits, 64);
	return 0;
}

/* One bulkstat call of @icount records from s->pos, into s->scratch. */
static int dmfs_xfs_bulkstat(struct file *root, struct dm_scan *s, u32 icount)
{
	struct dmfs_xfs_bulk_ireq hdr = { .ino = s->pos, .icount = icount };
	long err;

	if (copy_to_user(s->scratch, &hdr, sizeof(hdr)))
		return -EFAULT;
	err = root->f_op->unlocked_ioctl(root, DMFS_XFS_IOC_BULKSTAT,
					 (unsigned long)s->scratch);
	if (err)
		return err;
	if (copy_from_user(&hdr, s->scratch, sizeof(hdr)))
		return -EFAULT;
	s->end = !hdr.ocount;
	s->pos = hdr.ino;
	return min(hdr.ocount, icount);
}

/*
 * The lower root, opened once for all the scans of the mount: opening it
 * for every step cost a fifth of a scan's time.
 */
static struct file *dmfs_scan_root(struct dmfs_sb_info *sbi)
{
	struct file *root = READ_ONCE(sbi->scan_root);

	if (root)
		return root;
	root = dentry_open(&sbi->lower, O_RDONLY | O_DIRECTORY, current_cred());
	if (IS_ERR(root))
		return root;
	if (cmpxchg(&sbi->scan_root, NULL, root)) {
		fput(root);
		root = READ_ONCE(sbi->scan_root);
	}
	return root;
}

static int dmfs_scan_xfs(struct dmfs_sb_info *sbi, struct dm_scan *s)
{
	size_t room = s->scratch_len - sizeof(struct dmfs_xfs_bulk_ireq);
	u8 __user *rec = (u8 __user *)s->scratch +
			 sizeof(struct dmfs_xfs_bulk_ireq);
	u32 icount = min_t(size_t, s->max, room / DMFS_XFS_BULKSTAT_SIZE);
	struct dentry *dentry;
	struct file *root;
	u64 ino;
	u32 gen;
	int i, n;

	if (!icount)
		return -E2BIG;
	root = dmfs_scan_root(sbi);
	if (IS_ERR(root))
		return PTR_ERR(root);
	n = dmfs_xfs_bulkstat(root, s, icount);
	for (i = 0; i < n; i++, rec += DMFS_XFS_BULKSTAT_SIZE) {
		if (get_user(ino, (u64 __user *)rec) ||
		    get_user(gen, (u32 __user *)(rec + DMFS_XFS_BULKSTAT_GEN_OFFSET))) {
			n = -EFAULT;
			break;
		}
		dentry = dmfs_decode(sbi, ino, gen);
		if (!IS_ERR(dentry))
			dmfs_scan_add(s, sbi, dentry);
	}
	return n < 0 ? n : 0;
}

/*
 * The inode bitmap block of ext4 group @group, in @block.  Return: 0;
 * -ENODATA when the group never had an inode in use; -EIO when its
 * descriptor cannot be read or names no block.
 */
static int dmfs_ext4_bitmap_block(struct dmfs_sb_info *sbi, u32 group,
				  u64 *block)
{
	const struct dmfs_ext4_geo *geo = &sbi->ext4;
	struct super_block *sb = sbi->lower.dentry->d_sb;
	u32 per_block = sb->s_blocksize / geo->desc_size;
	struct buffer_head *bh;
	const u8 *gd;
	int err = 0;

	if (group >= geo->desc_groups)
		return -EIO;
	bh = sb_bread(sb, geo->desc_block + group / per_block);
	if (!bh)
		return -EIO;
	gd = bh->b_data + (group % per_block) * geo->desc_size;
	*block = dmfs_le32(gd, DMFS_EXT4_BG_INODE_BITMAP_LO);
	if (geo->desc64)
		*block |= (u64)dmfs_le32(gd, DMFS_EXT4_BG_INODE_BITMAP_HI) << 32;
	if (geo->uninit && dmfs_le16(gd, DMFS_EXT4_BG_FLAGS) & DMFS_EXT4_BG_INODE_UNINIT)
		err = -ENODATA;
	else if (!*block || *block >= bdev_nr_bytes(sb->s_bdev) >> sb->s_blocksize_bits)
		err = -EIO;
	brelse(bh);
	return err;
}

/*
 * The first inode number from @ino that may be in use: @ino itself, a
 * later one of its group that the group's inode bitmap marks in use, or
 * the first of the next group.  Every inode in use has its bit set, so
 * nothing that existed when the scan began is skipped.  Read through
 * the buffer cache, these are the blocks ext4 itself is using; anything
 * that cannot be read answers @ino, which is then probed.
 */
static u64 dmfs_ext4_next_inode(struct dmfs_sb_info *sbi, u64 ino)
{
	struct super_block *sb = sbi->lower.dentry->d_sb;
	u32 ipg = sbi->ext4.inodes_per_group;
	struct buffer_head *bh;
	u64 group, block;
	u32 index, next;
	int err;

	if (!ipg)
		return ino;
	group = div_u64_rem(ino - 1, ipg, &index);
	err = dmfs_ext4_bitmap_block(sbi, group, &block);
	if (err == -ENODATA)
		return (group + 1) * ipg + 1;
	if (err)
		return ino;
	bh = sb_bread(sb, block);
	if (!bh)
		return ino;
	next = find_next_bit_le(bh->b_data, ipg, index);
	brelse(bh);
	return group * ipg + next + 1;
}

static int dmfs_scan_ext4(struct dmfs_sb_info *sbi, struct dm_scan *s)
{
	struct dentry *dentry;
	struct kstatfs st;
	int probes, err;
	u64 next;

	err = vfs_statfs(&sbi->lower, &st);
	if (err)
		return err;
	s->pos = max_t(u64, s->pos, 1);
	for (probes = 0; s->n < s->max && probes < DMFS_EXT4_PROBES; probes++) {
		if (s->pos > st.f_files) {
			s->end = true;
			break;
		}
		next = dmfs_ext4_next_inode(sbi, s->pos);
		if (next != s->pos) {
			s->pos = next;
			continue;
		}
		/* Generation 0: ext4 finds the inode whatever its generation. */
		dentry = dmfs_decode(sbi, s->pos, 0);
		s->pos++;
		if (!IS_ERR(dentry))
			dmfs_scan_add(s, sbi, dentry);
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/**
 * dmfs_scan - the next objects of a mount in ascending inode number
 * @fs: the mount, as the core knows it
 * @s: the step
 *
 * Return: 0 with the objects found in @s (perhaps none, with @s->end
 * false: call again from @s->pos), or -EOPNOTSUPP (a lower filesystem
 * that is neither XFS nor ext4), -E2BIG (no room in the scratch memory),
 * -EFAULT, -EINTR, or the lower filesystem's error.
 */
int dmfs_scan(struct dm_fs *fs, struct dm_scan *s)
{
	struct dmfs_sb_info *sbi = container_of(fs, struct dmfs_sb_info, dm_fs);

	s->n = 0;
	s->end = false;
	switch (sbi->lower.dentry->d_sb->s_magic) {
	case XFS_SUPER_MAGIC:
		return dmfs_scan_xfs(sbi, s);
	case EXT4_SUPER_MAGIC:
		return dmfs_scan_ext4(sbi, s);
	default:
		return -EOPNOTSUPP;
	}
}

/**
 * dmfs_scan_exit - release what the scans of a mount kept
 * @sbi: the mount, going away
 */
void dmfs_scan_exit(struct dmfs_sb_info *sbi)
{
	if (sbi->scan_root)
		fput(sbi->scan_root);
}
