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
 * as for handles.  One that cannot be read (out of memory, a corrupt
 * inode) fails the step, as it fails XFS's bulkstat: skipping it would
 * leave a file its HSM never sees, and nobody told.  A step looks at a
 * bounded number of inode numbers, so a call's time and memory stay
 * bounded whatever the filesystem's size.
 */
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
/* The most records of one bulkstat call, which writes 12 KiB. */
#define DMFS_XFS_BULKSTAT_MAX		64
#define DMFS_XFS_IOC_BULKSTAT	_IOR('X', 127, struct dmfs_xfs_bulk_ireq)

/*
 * Add the object numbered @ino to the step, if it is one of the tree's.
 * Return: 0 (added or skipped), or why it could not be read.
 */
static int dmfs_scan_add(struct dm_scan *s, struct dmfs_sb_info *sbi,
			 u64 ino, u32 gen)
{
	struct dentry *dentry = dmfs_decode(sbi, ino, gen);

	if (IS_ERR(dentry))
		return PTR_ERR(dentry) == -EBADF ? 0 : PTR_ERR(dentry);
	s->paths[s->n].mnt = mntget(sbi->lower.mnt);
	s->paths[s->n].dentry = dentry;
	s->n++;
	return 0;
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

/**
 * dmfs_probe_inodes - learn how large the lower inode numbers can be
 * @sbi: the mount, its lower tree found
 *
 * Sets @sbi->ino_bits: 32 for ext4; for XFS, from its geometry (without a
 * user address space to borrow, 45 bits, below which no XFS inode number
 * can overflow the group number whatever the geometry: a group is at
 * least 2^24 bytes and an inode at most 2^11); 64 otherwise.  For ext4,
 * also whether its inode bitmaps may guide the scans.
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
		sbi->ext4_bitmaps = dmfs_ext4_bitmaps_usable(sbi);
		break;
	default:
		bits = 64;
		break;
	}
	sbi->ino_bits = min(bits, 64);
	return 0;
}

/* One bulkstat call of @icount records from s->pos, into @buf. */
static int dmfs_xfs_bulkstat(struct file *root, struct dm_scan *s,
			     void __user *buf, u32 icount)
{
	struct dmfs_xfs_bulk_ireq hdr = { .ino = s->pos, .icount = icount };
	long err;

	if (copy_to_user(buf, &hdr, sizeof(hdr)))
		return -EFAULT;
	err = root->f_op->unlocked_ioctl(root, DMFS_XFS_IOC_BULKSTAT,
					 (unsigned long)buf);
	/* A corrupt inode, as a decode reports it. */
	if (err == -EUCLEAN || err == -EBADMSG)
		return -EIO;
	if (err)
		return err;
	if (copy_from_user(&hdr, buf, sizeof(hdr)))
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
	u32 icount = min(s->max, DMFS_XFS_BULKSTAT_MAX);
	u8 __user *buf, __user *rec;
	struct file *root;
	u64 ino;
	u32 gen;
	int i, n, err;

	if (sizeof(struct dmfs_xfs_bulk_ireq) + icount * DMFS_XFS_BULKSTAT_SIZE >
	    s->scratch_len)
		return -EINVAL;
	/* XFS refuses bulkstat through an idmapped mount (EINVAL). */
	if (is_idmapped_mnt(sbi->lower.mnt))
		return -EOPNOTSUPP;
	buf = (u8 __user *)s->scratch;
	root = dmfs_scan_root(sbi);
	if (IS_ERR(root))
		return PTR_ERR(root);
	n = dmfs_xfs_bulkstat(root, s, buf, icount);
	rec = buf + sizeof(struct dmfs_xfs_bulk_ireq);
	for (i = 0; i < n; i++, rec += DMFS_XFS_BULKSTAT_SIZE) {
		if (get_user(ino, (u64 __user *)rec) ||
		    get_user(gen, (u32 __user *)(rec + DMFS_XFS_BULKSTAT_GEN_OFFSET))) {
			return -EFAULT;
		}
		err = dmfs_scan_add(s, sbi, ino, gen);
		if (err)
			return err;
	}
	return n < 0 ? n : 0;
}

/*
 * The highest inode number of an ext4 filesystem, its inode count: from
 * a statfs of its root, not of our tree, whose top directory's project
 * quota (chattr +P) would lower it to the project's inode limit; or from
 * its superblock, should the root have one too.
 */
static int dmfs_ext4_inodes(struct dmfs_sb_info *sbi, u64 *count)
{
	struct super_block *sb = sbi->lower.dentry->d_sb;
	struct path root = { .mnt = sbi->lower.mnt, .dentry = sb->s_root };
	struct kstatfs st;
	int err;

	err = vfs_statfs(&root, &st);
	if (err)
		return err;
	*count = max_t(u64, st.f_files, dmfs_ext4_sb_inodes(sb));
	return 0;
}

static int dmfs_scan_ext4(struct dmfs_sb_info *sbi, struct dm_scan *s)
{
	struct dmfs_ext4_walk walk;
	int probes, err;
	u64 next, inodes;

	err = dmfs_ext4_inodes(sbi, &inodes);
	if (err)
		return err;
	dmfs_ext4_walk_start(sbi, &walk);
	s->pos = max_t(u64, s->pos, 1);
	for (probes = 0; s->n < s->max && probes < DMFS_EXT4_PROBES; probes++) {
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		if (s->pos > inodes) {
			s->end = true;
			break;
		}
		next = dmfs_ext4_walk_next(&walk, s->pos);
		if (next != s->pos) {
			s->pos = next;
			continue;
		}
		/* Generation 0: ext4 finds the inode whatever its generation. */
		err = dmfs_scan_add(s, sbi, s->pos, 0);
		if (err)
			break;
		s->pos++;
	}
	dmfs_ext4_walk_end(&walk);
	return err;
}

/**
 * dmfs_scan - the next objects of a mount in ascending inode number
 * @fs: the mount, as the core knows it
 * @s: the step
 *
 * Return: 0 with the objects found in @s (perhaps none, with @s->end
 * false: call again from @s->pos), or -EOPNOTSUPP (a lower filesystem
 * neither XFS nor ext4, or XFS through an idmapped mount), -ENOMEM,
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
