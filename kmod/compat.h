/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels dmapi builds for (6.1 and 6.12).  Every
 * version test of the module is here, nowhere else.
 */
#ifndef _DMAPI_COMPAT_H
#define _DMAPI_COMPAT_H

#include <linux/fs.h>
#include <linux/splice.h>
#include <linux/version.h>

/* 6.3 moved file locks and leases (break_deleg_wait()) out of fs.h. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#include <linux/filelock.h>
#endif

/* 6.12 removed no_llseek: a NULL ->llseek now means "not seekable". */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define dm_no_llseek	NULL
#else
#define dm_no_llseek	no_llseek
#endif

/*
 * 6.3 replaced the user namespace of a mount by its idmapping in every VFS
 * call that creates, changes or checks an inode.  The stacking filesystem
 * passes the lower mount's through, whichever it is.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
typedef struct mnt_idmap dm_idmap_t;
#define dm_mnt_idmap(mnt)	mnt_idmap(mnt)
#define dm_idmap_is_nop(idmap)	((idmap) == &nop_mnt_idmap)
#define dm_rename_idmaps(rd, idmap) \
	do { (rd)->old_mnt_idmap = (idmap); (rd)->new_mnt_idmap = (idmap); } while (0)
#else
typedef struct user_namespace dm_idmap_t;
#define dm_mnt_idmap(mnt)	mnt_user_ns(mnt)
#define dm_idmap_is_nop(idmap)	((idmap) == &init_user_ns)
#define dm_rename_idmaps(rd, idmap) \
	do { (rd)->old_mnt_userns = (idmap); (rd)->new_mnt_userns = (idmap); } while (0)
#endif

/*
 * Since 6.7 vfs_iocb_iter_write() takes the lower filesystem's freeze
 * protection itself; before, its caller had to.
 */
static inline ssize_t dm_vfs_iocb_iter_write(struct file *file,
					     struct kiocb *iocb,
					     struct iov_iter *iter)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	return vfs_iocb_iter_write(file, iocb, iter);
#else
	ssize_t ret;

	file_start_write(file);
	ret = vfs_iocb_iter_write(file, iocb, iter);
	file_end_write(file);
	return ret;
#endif
}

/*
 * Since 6.7 a getattr reached through vfs_getattr_nosec() carries
 * AT_GETATTR_NOSEC, and a stacking filesystem must not pass it on to
 * vfs_getattr(), which refuses it.
 */
static inline int dm_vfs_getattr(const struct path *path, struct kstat *stat,
				 u32 request_mask, unsigned int flags)
{
#ifdef AT_GETATTR_NOSEC
	if (flags & AT_GETATTR_NOSEC)
		return vfs_getattr_nosec(path, stat, request_mask, flags);
#endif
	return vfs_getattr(path, stat, request_mask, flags);
}

/*
 * Since 6.2 POSIX ACLs never reach xattr handlers: the VFS asks the
 * inode's ->get_acl and ->set_acl, so a stacking filesystem must provide
 * them to pass ACLs through.  Before, our catch-all xattr handler did.
 */
/* 6.2 also renamed get_acl(), the inode's ACL for permission checks. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define DM_HAVE_ACL_IOPS	1
#define dm_get_inode_acl	get_inode_acl
#else
#define dm_get_inode_acl	get_acl
#endif

/* 6.6 gave exportfs_decode_fh_raw() a flags argument (before: none). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define dm_exportfs_decode_fh_raw(mnt, fid, len, type, accept, ctx) \
	exportfs_decode_fh_raw(mnt, fid, len, type, 0, accept, ctx)
#else
#define dm_exportfs_decode_fh_raw(mnt, fid, len, type, accept, ctx) \
	exportfs_decode_fh_raw(mnt, fid, len, type, accept, ctx)
#endif

/* 6.4 renamed vfs_tmpfile_open() to kernel_tmpfile_open(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define dm_tmpfile_open	kernel_tmpfile_open
#else
#define dm_tmpfile_open	vfs_tmpfile_open
#endif

/* 6.7 made the superblock's array of xattr handlers const. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
typedef const struct xattr_handler * const dm_xattr_handler_t;
#else
typedef const struct xattr_handler *dm_xattr_handler_t;
#endif

/*
 * 6.9 added RWF_NOAPPEND, a write's way to turn O_APPEND off; before, no
 * write could, so passing none on is the same.
 */
#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND	((__force __kernel_rwf_t)0)
#endif

/*
 * A splice from the lower file, with the checks of a read(2) of it.
 * Since 6.5 the VFS, not the filesystem, hands O_DIRECT and DAX files to
 * copy_splice_read(), in vfs_splice_read(): XFS's and ext4's own
 * ->splice_read() then assume page-cache I/O, which a DAX file has no
 * ->read_folio for.  Before, their ->splice_read() read through
 * ->read_iter, which handles both.
 */
static inline ssize_t dm_splice_read_lower(struct file *lower, loff_t *ppos,
					   struct pipe_inode_info *pipe,
					   size_t len, unsigned int flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return vfs_splice_read(lower, ppos, pipe, len, flags);
#else
	int ret = rw_verify_area(READ, lower, ppos, len);

	if (ret)
		return ret;
	return lower->f_op->splice_read(lower, ppos, pipe, len, flags);
#endif
}

/* 6.3 made a VMA's flags settable only through vm_flags_set(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define dm_vm_flags_set(vma, flags)	vm_flags_set(vma, flags)
#else
#define dm_vm_flags_set(vma, flags)	((vma)->vm_flags |= (flags))
#endif

/*
 * Before 6.12, vma_merge() could merge a mapping with a ->close into a
 * neighbour without one and free it, never calling its ->close; it never
 * merges a mapping that may not expand.  6.12 refuses to remove a
 * mapping with a ->close (can_merge_remove_vma()).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define DM_VM_NOMERGE	VM_DONTEXPAND
#else
#define DM_VM_NOMERGE	0
#endif

#endif /* _DMAPI_COMPAT_H */
