// SPDX-License-Identifier: GPL-2.0
/*
 * Which inode numbers of an ext4 lower filesystem are worth asking for,
 * from its inode bitmaps: a scan that asked for every number up to the
 * inode count spent most of its time on numbers never used.
 *
 * The superblock, group descriptors and bitmaps are read through the
 * buffer cache, where they are the very buffers ext4 works on, at the
 * offsets of ext4's documented on-disk format (ext4's header is private
 * to it).  They are a hint, never the authority: an inode in use always
 * has its bit set, so skipping clear bits skips no object that existed
 * when the scan began, and every candidate is still looked up through
 * ext4's export operations.  Whatever cannot be read or is not
 * understood makes the scan ask for every number of the group, as it
 * did without the hint.
 *
 * A filesystem mounted from a backup superblock (sb=), whose primary
 * descriptors may be stale, gets no hint at all.  The hint is more than
 * speed: ext4 reads a number never used from a table it may never have
 * zeroed (lazy_itable_init), where an old filesystem's inode fails its
 * checksum and ext4 reports an error of the filesystem.  Bitmaps are not checked
 * against their checksums: on a filesystem whose bitmap is corrupt (which
 * ext4 reports and fsck repairs), clear bits can hide inodes from a scan.
 */
#include <linux/blkdev.h>
#include <linux/buffer_head.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "dmapifs.h"

#define DMFS_EXT4_SB_OFFSET		1024
#define DMFS_EXT4_SB_INODES_COUNT	0x00
#define DMFS_EXT4_SB_FIRST_DATA_BLOCK	0x14
#define DMFS_EXT4_SB_BLOCKS_PER_GROUP	0x20
#define DMFS_EXT4_SB_INODES_PER_GROUP	0x28
#define DMFS_EXT4_SB_MAGIC		0x38
#define DMFS_EXT4_SB_FEATURE_COMPAT	0x5c
#define DMFS_EXT4_SB_FEATURE_INCOMPAT	0x60
#define DMFS_EXT4_SB_FEATURE_RO_COMPAT	0x64
#define DMFS_EXT4_SB_DESC_SIZE		0xfe
#define DMFS_EXT4_SB_FIRST_META_BG	0x104
#define DMFS_EXT4_SB_BACKUP_BGS		0x24c
#define DMFS_EXT4_MAGIC			0xef53
#define DMFS_EXT4_COMPAT_SPARSE_SUPER2	0x0200
#define DMFS_EXT4_INCOMPAT_META_BG	0x0010
#define DMFS_EXT4_INCOMPAT_64BIT	0x0080
#define DMFS_EXT4_RO_COMPAT_SPARSE_SUPER 0x0001
#define DMFS_EXT4_RO_COMPAT_GDT_CSUM	0x0010
#define DMFS_EXT4_RO_COMPAT_METADATA_CSUM 0x0400
#define DMFS_EXT4_DESC_SIZE		32
#define DMFS_EXT4_DESC_SIZE_64BIT	64
#define DMFS_EXT4_BG_INODE_BITMAP_LO	0x04
#define DMFS_EXT4_BG_FLAGS		0x12
#define DMFS_EXT4_BG_INODE_BITMAP_HI	0x24
#define DMFS_EXT4_BG_INODE_UNINIT	0x0001

/* Little-endian fields at aligned offsets of on-disk structures. */
static u16 dmfs_le16(const u8 *base, size_t offset)
{
	return le16_to_cpup((const __le16 *)(base + offset));
}

static u32 dmfs_le32(const u8 *base, size_t offset)
{
	return le32_to_cpup((const __le32 *)(base + offset));
}

/**
 * dmfs_ext4_bitmaps_usable - may the inode bitmaps guide the scans?
 * @sbi: the mount, its lower tree an ext4 filesystem
 *
 * Not when ext4 was mounted from a backup superblock (the sb= option,
 * which its options show): it then keeps its group descriptors after
 * that backup, and the primary ones this file reads may be stale.
 *
 * Return: true if they may.
 */
bool dmfs_ext4_bitmaps_usable(struct dmfs_sb_info *sbi)
{
	struct super_block *sb = sbi->lower.dentry->d_sb;
	struct seq_file m = { .size = PAGE_SIZE };
	bool usable;

	if (!sb->s_op->show_options)
		return true;
	m.buf = kmalloc(m.size, GFP_KERNEL);
	if (!m.buf)
		return false;
	sb->s_op->show_options(&m, sb->s_root);
	usable = !seq_has_overflowed(&m) && !strnstr(m.buf, ",sb=", m.count);
	kfree(m.buf);
	return usable;
}

/* Read where the group descriptors are; on any doubt, leave @w unguided. */
static void dmfs_ext4_geometry(struct dmfs_ext4_walk *w)
{
	struct super_block *sb = w->sb;
	u32 incompat, ro_compat, ipg, bpg, sb_block;
	u16 desc_size = DMFS_EXT4_DESC_SIZE;
	struct buffer_head *bh;
	const u8 *es;

	sb_block = DMFS_EXT4_SB_OFFSET / sb->s_blocksize;
	bh = sb_bread(sb, sb_block);
	if (!bh)
		return;
	es = bh->b_data + DMFS_EXT4_SB_OFFSET % sb->s_blocksize;
	if (dmfs_le16(es, DMFS_EXT4_SB_MAGIC) != DMFS_EXT4_MAGIC)
		goto out;
	incompat = dmfs_le32(es, DMFS_EXT4_SB_FEATURE_INCOMPAT);
	ro_compat = dmfs_le32(es, DMFS_EXT4_SB_FEATURE_RO_COMPAT);
	ipg = dmfs_le32(es, DMFS_EXT4_SB_INODES_PER_GROUP);
	bpg = dmfs_le32(es, DMFS_EXT4_SB_BLOCKS_PER_GROUP);
	if (incompat & DMFS_EXT4_INCOMPAT_64BIT)
		desc_size = dmfs_le16(es, DMFS_EXT4_SB_DESC_SIZE);
	if (!ipg || ipg > sb->s_blocksize * BITS_PER_BYTE || !bpg ||
	    desc_size < DMFS_EXT4_DESC_SIZE || desc_size > sb->s_blocksize ||
	    !is_power_of_2(desc_size))
		goto out;
	/* The table follows the block of the superblock, as ext4 finds it. */
	w->desc_block = sb_block + 1;
	w->desc_groups = U32_MAX;
	if (incompat & DMFS_EXT4_INCOMPAT_META_BG) {
		w->desc_groups = dmfs_le32(es, DMFS_EXT4_SB_FIRST_META_BG) *
				 (sb->s_blocksize / desc_size);
		w->first_data_block = dmfs_le32(es, DMFS_EXT4_SB_FIRST_DATA_BLOCK);
		w->blocks_per_group = bpg;
		w->sparse_super = ro_compat & DMFS_EXT4_RO_COMPAT_SPARSE_SUPER;
		w->sparse_super2 = dmfs_le32(es, DMFS_EXT4_SB_FEATURE_COMPAT) &
				   DMFS_EXT4_COMPAT_SPARSE_SUPER2;
		w->backup_bgs[0] = dmfs_le32(es, DMFS_EXT4_SB_BACKUP_BGS);
		w->backup_bgs[1] = dmfs_le32(es, DMFS_EXT4_SB_BACKUP_BGS + 4);
	}
	w->desc_size = desc_size;
	w->desc64 = (incompat & DMFS_EXT4_INCOMPAT_64BIT) &&
		    desc_size >= DMFS_EXT4_DESC_SIZE_64BIT;
	w->uninit = ro_compat & (DMFS_EXT4_RO_COMPAT_GDT_CSUM |
				 DMFS_EXT4_RO_COMPAT_METADATA_CSUM);
	w->inodes_per_group = ipg;
out:
	brelse(bh);
}

/**
 * dmfs_ext4_sb_inodes - the inode count in an ext4 superblock
 * @sb: the ext4 filesystem
 *
 * Return: the count its primary superblock holds, or 0 if it cannot be
 * read or is not ext4's.
 */
u64 dmfs_ext4_sb_inodes(struct super_block *sb)
{
	unsigned int sb_block = DMFS_EXT4_SB_OFFSET / sb->s_blocksize;
	struct buffer_head *bh;
	const u8 *es;
	u64 count = 0;

	bh = sb_bread(sb, sb_block);
	if (!bh)
		return 0;
	es = bh->b_data + DMFS_EXT4_SB_OFFSET % sb->s_blocksize;
	if (dmfs_le16(es, DMFS_EXT4_SB_MAGIC) == DMFS_EXT4_MAGIC)
		count = dmfs_le32(es, DMFS_EXT4_SB_INODES_COUNT);
	brelse(bh);
	return count;
}

/**
 * dmfs_ext4_walk_start - prepare a scan step over an ext4 filesystem
 * @sbi: the mount
 * @w: the walk, to end with dmfs_ext4_walk_end()
 *
 * The superblock is read again at every step (it stays in the buffer
 * cache): a resize of the mounted filesystem may turn meta_bg on.
 */
void dmfs_ext4_walk_start(struct dmfs_sb_info *sbi, struct dmfs_ext4_walk *w)
{
	*w = (struct dmfs_ext4_walk) {
		.sb = sbi->lower.dentry->d_sb,
		.group = U64_MAX,
	};
	if (sbi->ext4_bitmaps)
		dmfs_ext4_geometry(w);
}

/**
 * dmfs_ext4_walk_end - release what a walk holds
 * @w: the walk
 */
void dmfs_ext4_walk_end(struct dmfs_ext4_walk *w)
{
	brelse(w->bitmap);
	w->bitmap = NULL;
}

/* Whether @a is a power of @b: ext4's test_root(). */
static bool dmfs_ext4_power_of(u32 a, u32 b)
{
	while (a > b && !(a % b))
		a /= b;
	return a == b;
}

/* Whether @group keeps a copy of the superblock: ext4_bg_has_super(). */
static bool dmfs_ext4_has_super(const struct dmfs_ext4_walk *w, u32 group)
{
	if (!group)
		return true;
	if (w->sparse_super2)
		return group == w->backup_bgs[0] || group == w->backup_bgs[1];
	if (group <= 1 || !w->sparse_super)
		return true;
	return (group & 1) && (dmfs_ext4_power_of(group, 3) ||
			       dmfs_ext4_power_of(group, 5) ||
			       dmfs_ext4_power_of(group, 7));
}

/*
 * The block of @group's descriptor, where ext4's descriptor_loc() finds
 * it: in the table after the superblock, or with meta_bg in the first
 * group of its meta group, after that group's superblock backup.
 */
static u64 dmfs_ext4_desc_block(const struct dmfs_ext4_walk *w, u64 group)
{
	u32 per_block = w->sb->s_blocksize / w->desc_size;
	u64 nr = div_u64(group, per_block), first;

	if (group < w->desc_groups)
		return w->desc_block + nr;
	first = nr * per_block;
	if (first > U32_MAX)
		return 0;
	return w->first_data_block + first * w->blocks_per_group +
	       dmfs_ext4_has_super(w, first) +
	       (w->sb->s_blocksize == 1024 && !nr && !w->first_data_block);
}

/* The inode bitmap block of @group from its descriptor, 0 for none. */
static u64 dmfs_ext4_bitmap_block(struct dmfs_ext4_walk *w, u64 group)
{
	u32 per_block = w->sb->s_blocksize / w->desc_size;
	u64 nblocks = bdev_nr_bytes(w->sb->s_bdev) >> w->sb->s_blocksize_bits;
	u64 desc = dmfs_ext4_desc_block(w, group);
	struct buffer_head *bh;
	u64 block = 0;
	const u8 *gd;
	u16 flags;

	if (!desc || desc >= nblocks)
		return 0;
	bh = sb_bread(w->sb, desc);
	if (!bh)
		return 0;
	gd = bh->b_data + do_div(group, per_block) * w->desc_size;
	/* ext4 changes them under its group lock, which is its own. */
	flags = data_race(dmfs_le16(gd, DMFS_EXT4_BG_FLAGS));
	if (w->uninit && (flags & DMFS_EXT4_BG_INODE_UNINIT)) {
		w->group_unused = true;
	} else {
		block = dmfs_le32(gd, DMFS_EXT4_BG_INODE_BITMAP_LO);
		if (w->desc64)
			block |= (u64)dmfs_le32(gd, DMFS_EXT4_BG_INODE_BITMAP_HI) << 32;
	}
	brelse(bh);
	if (block >= nblocks)
		block = 0;
	return block;
}

/* Make @group the walk's group: its bitmap, or why there is none. */
static void dmfs_ext4_load_group(struct dmfs_ext4_walk *w, u64 group)
{
	u64 block;

	dmfs_ext4_walk_end(w);
	w->group = group;
	w->group_unused = false;
	block = dmfs_ext4_bitmap_block(w, group);
	if (block)
		w->bitmap = sb_bread(w->sb, block);
}

/**
 * dmfs_ext4_walk_next - the next inode number worth asking ext4 for
 * @w: the walk
 * @ino: the first number not yet looked at, from 1
 *
 * Return: @ino itself when it may be in use (or nothing says otherwise);
 * else a later number of its group that the group's bitmap marks in use,
 * or the first number of the next group.  A return other than @ino
 * counts as a step of the scan, so a step's time stays bounded.
 */
u64 dmfs_ext4_walk_next(struct dmfs_ext4_walk *w, u64 ino)
{
	u32 ipg = w->inodes_per_group;
	u32 index, next;
	u64 group;

	if (!ipg)
		return ino;
	group = div_u64_rem(ino - 1, ipg, &index);
	if (group != w->group)
		dmfs_ext4_load_group(w, group);
	if (w->group_unused)
		return (group + 1) * ipg + 1;
	if (!w->bitmap)
		return ino;
	next = data_race(find_next_bit_le(w->bitmap->b_data, ipg, index));
	return group * ipg + next + 1;
}
