// SPDX-License-Identifier: GPL-2.0
/*
 * The DM application's own access to file data, by handle: invisible I/O
 * (no events, no timestamps), holes, the allocation map, sync and the
 * direct I/O limits.  Each call opens the lower file for itself, so
 * nothing of it passes through the dmapi mount.
 *
 * Where SGI's XFS and the standard's conformance tests disagree, the
 * tests win: a hole that dm_probe_hole() would not give is EAGAIN, an
 * allocation map stops at the end of file, a wrong object type is EINVAL.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/stat.h>
#include <linux/uio.h>
#include <linux/uaccess.h>
#include <linux/xattr.h>

#include "core.h"

/*
 * Open the lower file of the regular file named by a call's handle, with
 * the right @need on it, taken as @how says (dm_call_right_begin()):
 * -EINVAL for any other kind of object.  Close it with dm_close_data().
 */
static struct file *dm_open_data(s32 sid, s32 token, u64 hanp, u64 hlen,
				 int flags, int need, unsigned int how,
				 struct dm_call_right *cr)
{
	struct file *file;
	struct path path;
	int err;

	err = dm_handle_object(sid, token, hanp, hlen, need,
			       how | DM_CALL_FILE, &path, cr);
	if (err)
		return ERR_PTR(err);
	file = dentry_open(&path, flags | O_LARGEFILE, current_cred());
	if (IS_ERR(file))
		dm_call_right_end(cr);
	path_put(&path);
	return file;
}

/* Close a file of dm_open_data() and give up its call's right. */
static void dm_close_data(struct file *file, struct dm_call_right *cr)
{
	fput(file);
	dm_call_right_end(cr);
}

/**
 * struct dm_privs - what a DM application's change of a file's data keeps
 * @old_cred: the caller's credentials, overridden meanwhile
 * @times: the file's mtime and ctime, when it has capabilities
 * @caps_len: the size of its capabilities, or a negative errno (none)
 * @caps: its capabilities (security.capability) as stored
 *
 * The lower filesystem's write and fallocate drop a file's privileges as
 * file_modified() does for a process: the set-ID bits for a caller
 * without CAP_FSETID, the capabilities for anybody.  A recall or a
 * migration is no such change, and SGI's XFS kept them for DMAPI.
 */
struct dm_privs {
	const struct cred	*old_cred;
	struct kstat		times;
	ssize_t			caps_len;
	u8			caps[XATTR_CAPS_SZ];
};

/* Before a change of @file's data: see struct dm_privs. */
static int dm_privs_keep(struct file *file, struct dm_privs *p)
{
	struct dentry *dentry = file->f_path.dentry;
	struct cred *cred;
	int err;

	p->caps_len = __vfs_getxattr(dentry, d_inode(dentry), XATTR_NAME_CAPS,
				     p->caps, sizeof(p->caps));
	if (p->caps_len > 0) {
		err = dm_vfs_getattr(&file->f_path, &p->times,
				     STATX_MTIME | STATX_CTIME,
				     AT_STATX_SYNC_AS_STAT);
		if (err)
			return err;
	}
	cred = prepare_creds();
	if (!cred)
		return -ENOMEM;
	cap_raise(cred->cap_effective, CAP_FSETID);
	p->old_cred = override_creds(cred);
	put_cred(cred);
	return 0;
}

/* After it: the capabilities it removed come back, and the times. */
static int dm_privs_put_back(struct file *file, struct dm_privs *p)
{
	struct dentry *dentry = file->f_path.dentry;
	struct inode *inode = d_inode(dentry);
	int err;

	revert_creds(p->old_cred);
	if (p->caps_len <= 0)
		return 0;
	err = mnt_want_write_file(file);
	if (err)
		return err;
	inode_lock(inode);
	if (__vfs_getxattr(dentry, inode, XATTR_NAME_CAPS, NULL, 0) == -ENODATA) {
		err = __vfs_setxattr(dm_mnt_idmap(file->f_path.mnt), dentry,
				     inode, XATTR_NAME_CAPS, p->caps,
				     p->caps_len, XATTR_CREATE);
		if (!err)
			err = dm_restore_times(&file->f_path, p->times.mtime,
					       p->times.ctime);
	}
	inode_unlock(inode);
	mnt_drop_write_file(file);
	return err;
}

/*
 * Punch a hole as the DM application's own change: the file's mtime and
 * ctime stay as they were, and its privileges (struct dm_privs).
 * FMODE_NOCMTIME spares the times on XFS; ext4 dates a punched hole
 * regardless, so they are put back.
 */
static int dm_punch_quietly(struct file *file, loff_t off, loff_t len)
{
	struct inode *inode = file_inode(file);
	struct dm_privs privs;
	struct kstat before;
	int err;

	err = dm_vfs_getattr(&file->f_path, &before, STATX_MTIME | STATX_CTIME,
			     AT_STATX_SYNC_AS_STAT);
	if (err)
		return err;
	file->f_mode |= FMODE_NOCMTIME;
	err = dm_privs_keep(file, &privs);
	if (err)
		return err;
	err = vfs_fallocate(file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			    off, len);
	err = dm_privs_put_back(file, &privs) ?: err;
	if (err)
		return err;
	err = mnt_want_write_file(file);
	if (err)
		return err;
	inode_lock(inode);
	err = dm_restore_times(&file->f_path, before.mtime, before.ctime);
	inode_unlock(inode);
	mnt_drop_write_file(file);
	return err;
}

/* Block size of @file's filesystem: the unit of holes. */
static unsigned int dm_hole_unit(const struct file *file)
{
	return i_blocksize(file_inode(file));
}

/*
 * The rules open(2) applies to every other writer, which opening by
 * handle skips: nobody writes an immutable file, and an append-only one
 * only at its end.  -EPERM, or 0 with the write's flags set in @iocb: an
 * append goes as one, so that a racing append moves it rather than
 * having it overwrite.
 */
static int dm_invis_may_write(struct kiocb *iocb)
{
	struct inode *inode = file_inode(iocb->ki_filp);

	if (IS_IMMUTABLE(inode))
		return -EPERM;
	if (IS_APPEND(inode)) {
		if (iocb->ki_pos != i_size_read(inode))
			return -EPERM;
		iocb->ki_flags |= IOCB_APPEND;
	}
	return 0;
}

/* Read or write @len bytes at *@pos of @file from or to user memory. */
static ssize_t dm_invis_io(struct file *file, void __user *buf, size_t len,
			   loff_t *pos, bool write)
{
	struct iov_iter iter;
	struct kiocb iocb;
	ssize_t ret;

	if (!access_ok(buf, len))
		return -EFAULT;
	iov_iter_ubuf(&iter, write ? ITER_SOURCE : ITER_DEST, buf, len);
	init_sync_kiocb(&iocb, file);
	iocb.ki_pos = *pos;
	if (!write) {
		ret = vfs_iocb_iter_read(file, &iocb, &iter);
	} else {
		ret = dm_invis_may_write(&iocb);
		if (!ret)
			ret = dm_vfs_iocb_iter_write(file, &iocb, &iter);
	}
	*pos = iocb.ki_pos;
	return ret;
}

/*
 * Rounds of a move between a file and user memory under a call's right
 * that may find the memory just faulted in gone again: a store into a
 * mapping that the right itself write-protects never gets through.
 */
#define DM_FAULT_ROUNDS		3

/*
 * A move under the call's right @cr, with page faults disabled, stopped
 * at @uaddr with @len bytes left, having @moved some or not: fault the
 * rest in for another round (dm_call_right_fault_in()).  Returns 0, or
 * -EDEADLK when the memory faulted in was gone again DM_FAULT_ROUNDS
 * times with nothing moved, or the errno of faulting it in.
 */
static int dm_fault_in_round(struct dm_call_right *cr, struct file *file,
			     void __user *uaddr, size_t len, bool write,
			     bool moved, int *rounds)
{
	*rounds = moved ? 0 : *rounds + 1;
	if (*rounds > DM_FAULT_ROUNDS)
		return -EDEADLK;
	return dm_call_right_fault_in(cr, &file->f_path, uaddr, len, write);
}

/* dm_invis_io() under the call's right @cr (dm_fault_in_round()). */
static ssize_t dm_invis_move(struct file *file, struct dm_call_right *cr,
			     char __user *buf, size_t len, loff_t *pos,
			     bool write)
{
	size_t done = 0;
	int rounds = 0;
	ssize_t n;

	for (;;) {
		pagefault_disable();
		n = dm_invis_io(file, buf + done, len - done, pos, write);
		pagefault_enable();
		if (n > 0)
			done += n;
		else if (n != -EFAULT)
			break;		/* the end of file, or an error */
		if (done == len ||
		    (!write && *pos >= i_size_read(file_inode(file))))
			break;
		n = dm_fault_in_round(cr, file, buf + done, len - done, !write,
				      n > 0, &rounds);
		if (n)
			break;
	}
	return done ?: n;
}

/* copy_to_user() under the call's right @cr (dm_fault_in_round()). */
static int dm_copy_out(struct file *file, struct dm_call_right *cr,
		       void __user *to, const void *from, size_t n)
{
	int rounds = 0, err;
	size_t left, moved;

	for (;;) {
		pagefault_disable();
		left = copy_to_user(to, from, n);
		pagefault_enable();
		if (!left)
			return 0;
		moved = n - left;
		to += moved;
		from += moved;
		n = left;
		err = dm_fault_in_round(cr, file, to, n, true, moved, &rounds);
		if (err)
			return err;
	}
}

static long dm_invis(void __user *uarg, bool write)
{
	struct dmapi_invis_arg arg;
	struct dm_call_right cr;
	struct inode *changed = NULL;	/* written: its size may have grown */
	struct dm_privs privs;
	struct file *file;
	loff_t pos;
	ssize_t n;
	int err = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;
	if (arg.off < 0 || arg.flags & ~(write ? DMAPI_WRITE_SYNC : 0))
		return -EINVAL;
	file = dm_open_data(arg.sid, arg.token, arg.hanp, arg.hlen,
			    write ? O_WRONLY : O_RDONLY | O_NOATIME,
			    write ? DMAPI_RIGHT_EXCL : DMAPI_RIGHT_SHARED,
			    DM_CALL_DATA, &cr);
	if (IS_ERR(file))
		return PTR_ERR(file);
	/* A DM application's I/O leaves no trace in the timestamps. */
	file->f_mode |= FMODE_NOCMTIME;
	pos = arg.off;
	if (pos > i_size_read(file_inode(file))) {
		err = -EINVAL;
		goto out;
	}
	if (write) {
		err = dm_privs_keep(file, &privs);
		if (err)
			goto out;
	}
	n = dm_invis_move(file, &cr, u64_to_user_ptr(arg.buf),
			  min_t(u64, arg.len, MAX_RW_COUNT), &pos, write);
	if (write) {
		err = dm_privs_put_back(file, &privs);
		if (err && n >= 0)
			n = err;
		err = 0;
	}
	if (n < 0) {
		err = n;
		goto out;
	}
	if (n > 0 && (arg.flags & DMAPI_WRITE_SYNC))
		err = vfs_fsync_range(file, arg.off, pos - 1, 1);
	if (n > 0 && write)
		changed = igrab(file_inode(file));
	arg.done = n;
out:
	dm_close_data(file, &cr);
	/* Not under the right: the inode's eviction may wait for others. */
	if (changed) {
		dm_fs_changed(cr.fsid, changed);
		iput(changed);
	}
	/* Not under the right: the argument may be in a mapping it holds. */
	if (!err && copy_to_user(uarg, &arg, sizeof(arg)))
		err = -EFAULT;
	return err;
}

/**
 * dm_ioc_read_invis - DMAPI_IOC_READ_INVIS
 * @uarg: struct dmapi_invis_arg
 *
 * Reads the lower file without changing its access time and without
 * events; a read across the end of file is short.
 *
 * Return: 0 with the bytes read in done, or -EINVAL (no such session, not
 * a regular file's handle, a negative offset or one past the end of file),
 * -ESRCH, the errors of dm_call_right_begin(), -EBADF, the read's errno,
 * -EDEADLK (the buffer's memory kept going away: dm_fault_in_round()),
 * -EFAULT.
 */
long dm_ioc_read_invis(void __user *uarg)
{
	return dm_invis(uarg, false);
}

/**
 * dm_ioc_write_invis - DMAPI_IOC_WRITE_INVIS
 * @uarg: struct dmapi_invis_arg
 *
 * Writes the lower file without changing its times and without events;
 * it may extend the file from its end.  DMAPI_WRITE_SYNC writes the data
 * through before returning.
 *
 * Return: 0 with the bytes written in done, or -EINVAL (as for reads, or
 * unknown flags), -EPERM (an immutable file, or an append-only one
 * anywhere but at its end), -ESRCH, the errors of dm_call_right_begin(),
 * -EBADF, the write's errno (-EFBIG, -ENOSPC), -EFAULT.
 */
long dm_ioc_write_invis(void __user *uarg)
{
	return dm_invis(uarg, true);
}

/*
 * Round [off, off + len) inwards to whole blocks of a file of @size
 * bytes, len 0 meaning to the end of file, as dm_probe_hole() reports it:
 * *rlen 0 again means to the end of file.
 */
static int dm_round_hole(loff_t size, unsigned int unit, s64 off, u64 len,
			 s64 *roff, u64 *rlen)
{
	u64 end;

	if (off < 0)
		return -EINVAL;
	if (len > (u64)LLONG_MAX - off || off + len > size)
		return -E2BIG;
	*roff = round_up(off, unit);
	if (*roff >= size)
		return -EINVAL;		/* no whole block to free */
	if (!len || off + len == size) {
		*rlen = 0;
		return 0;
	}
	end = round_down(off + len, unit);
	if (end <= *roff)
		return -EINVAL;
	*rlen = end - *roff;
	return 0;
}

static long dm_hole(void __user *uarg, bool punch)
{
	struct dmapi_hole_arg arg;
	struct dm_call_right cr;
	struct file *file;
	loff_t size;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* roff and rlen are PROBE_HOLE's answer. */
	if (arg.reserved || (punch && (arg.roff || arg.rlen)))
		return -EINVAL;
	file = dm_open_data(arg.sid, arg.token, arg.hanp, arg.hlen,
			    punch ? O_WRONLY : O_RDONLY,
			    punch ? DMAPI_RIGHT_EXCL : DMAPI_RIGHT_SHARED,
			    DM_CALL_DATA, &cr);
	if (IS_ERR(file))
		return PTR_ERR(file);
	size = i_size_read(file_inode(file));
	err = dm_round_hole(size, dm_hole_unit(file), arg.off, arg.len,
			    &arg.roff, &arg.rlen);
	if (err || !punch)
		goto out;
	/* Only the hole dm_probe_hole() gives may be punched. */
	if (arg.roff != arg.off || (arg.len && arg.rlen != arg.len &&
				    arg.off + arg.len != size)) {
		err = -EAGAIN;
		goto out;
	}
	/* The GPFS rule: a mapped file's pages could come back as zeroes. */
	if (mapping_mapped(file->f_mapping)) {
		err = -EBUSY;
		goto out;
	}
	/* To the end of file frees the last partial block too. */
	if (!arg.rlen)
		arg.rlen = round_up(size, dm_hole_unit(file)) - arg.roff;
	err = dm_punch_quietly(file, arg.roff, arg.rlen);
out:
	dm_close_data(file, &cr);
	/* Not under the right: the argument may be in a mapping it holds. */
	if (!err && !punch && copy_to_user(uarg, &arg, sizeof(arg)))
		err = -EFAULT;
	return err;
}

/**
 * dm_ioc_punch_hole - DMAPI_IOC_PUNCH_HOLE
 * @uarg: struct dmapi_hole_arg
 *
 * Frees the blocks of [off, off + len), len 0 meaning to the end of file;
 * the file's size does not change.
 *
 * Return: 0, or -EAGAIN (not the hole dm_probe_hole() gives), -E2BIG
 * (beyond the end of file), -EBUSY (the file is memory-mapped), -EINVAL
 * (no such session, not a regular file's handle, no whole block), -ESRCH,
 * the errors of dm_call_right_begin(), -EBADF, the lower filesystem's
 * errno, -EFAULT.
 */
long dm_ioc_punch_hole(void __user *uarg)
{
	return dm_hole(uarg, true);
}

/**
 * dm_ioc_probe_hole - DMAPI_IOC_PROBE_HOLE
 * @uarg: struct dmapi_hole_arg
 *
 * Return: 0 with the largest block-aligned hole inside [off, off + len) in
 * roff and rlen (rlen 0: to the end of file), or -E2BIG (beyond the end of
 * file), -EINVAL (no such session, not a regular file's handle, no whole
 * block inside), -ESRCH, the errors of dm_call_right_begin(), -EBADF,
 * -EFAULT.
 */
long dm_ioc_probe_hole(void __user *uarg)
{
	return dm_hole(uarg, false);
}

/* The extent of @file at @pos, which is below @size. */
static int dm_extent_at(struct file *file, loff_t pos, loff_t size,
			struct dmapi_extent *ext)
{
	loff_t data, hole;

	data = vfs_llseek(file, pos, SEEK_DATA);
	if (data == -ENXIO)
		data = size;
	if (data < 0)
		return data;
	memset(ext, 0, sizeof(*ext));
	ext->ex_offset = pos;
	if (data > pos) {
		ext->ex_type = DMAPI_EXTENT_HOLE;
		ext->ex_length = min(data, size) - pos;
		return 0;
	}
	hole = vfs_llseek(file, pos, SEEK_HOLE);
	if (hole < 0)
		return hole;
	ext->ex_type = DMAPI_EXTENT_RES;
	ext->ex_length = min(hole, size) - pos;
	return 0;
}

/**
 * dm_ioc_get_allocinfo - DMAPI_IOC_GET_ALLOCINFO
 * @uarg: struct dmapi_allocinfo_arg
 *
 * The file's resident and hole extents from off, up to the end of file,
 * as the lower filesystem reports data and holes; off comes back as where
 * the next call goes on, or 0 when the map is complete.
 *
 * Return: 0 with nelem_out extents, or -EINVAL (no such session, not a
 * regular file's handle, nelem 0, off not block-aligned or past the end of
 * file), -ESRCH, the errors of dm_call_right_begin(), -EBADF, -EDEADLK
 * (the extents' memory kept going away: dm_fault_in_round()), -EFAULT.
 */
long dm_ioc_get_allocinfo(void __user *uarg)
{
	struct dmapi_allocinfo_arg arg;
	struct dmapi_extent ext;
	struct dmapi_extent __user *out;
	struct dm_call_right cr;
	struct file *file;
	loff_t pos, size;
	int err = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	if (!arg.nelem || arg.off < 0)
		return -EINVAL;
	file = dm_open_data(arg.sid, arg.token, arg.hanp, arg.hlen, O_RDONLY,
			    DMAPI_RIGHT_SHARED, DM_CALL_DATA, &cr);
	if (IS_ERR(file))
		return PTR_ERR(file);
	size = i_size_read(file_inode(file));
	if (arg.off > size || !IS_ALIGNED(arg.off, dm_hole_unit(file))) {
		err = -EINVAL;
		goto out;
	}
	out = u64_to_user_ptr(arg.extents);
	arg.nelem_out = 0;
	for (pos = arg.off; pos < size && arg.nelem_out < arg.nelem;
	     pos += ext.ex_length) {
		err = dm_extent_at(file, pos, size, &ext);
		if (err)
			goto out;
		err = dm_copy_out(file, &cr, &out[arg.nelem_out++], &ext,
				  sizeof(ext));
		if (err)
			goto out;
	}
	arg.off = pos < size ? pos : 0;
out:
	dm_close_data(file, &cr);
	/* Not under the right: the argument may be in a mapping it holds. */
	if (!err && copy_to_user(uarg, &arg, sizeof(arg)))
		err = -EFAULT;
	return err;
}

/**
 * dm_ioc_sync_by_handle - DMAPI_IOC_SYNC_BY_HANDLE
 * @uarg: struct dmapi_object_arg
 *
 * Return: 0 once the file's data and metadata are on stable storage, or
 * -EINVAL (no such session, not a regular file's handle), -ESRCH, the
 * errors of dm_call_right_begin(), -EBADF, the lower filesystem's errno,
 * -EFAULT.
 */
long dm_ioc_sync_by_handle(void __user *uarg)
{
	struct dmapi_object_arg arg;
	struct dm_call_right cr;
	struct file *file;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* dio is GET_DIOINFO's answer. */
	if (arg.reserved || memchr_inv(&arg.dio, 0, sizeof(arg.dio)))
		return -EINVAL;
	file = dm_open_data(arg.sid, arg.token, arg.hanp, arg.hlen, O_RDONLY,
			    DMAPI_RIGHT_SHARED, DM_CALL_DATA, &cr);
	if (IS_ERR(file))
		return PTR_ERR(file);
	err = vfs_fsync(file, 0);
	dm_close_data(file, &cr);
	return err;
}

/* The direct I/O alignment of @file, from the lower filesystem. */
static u32 dm_dio_align(struct file *file)
{
	struct kstat stat;

	if (!vfs_getattr(&file->f_path, &stat, STATX_DIOALIGN,
			 AT_STATX_SYNC_AS_STAT) &&
	    (stat.result_mask & STATX_DIOALIGN) && stat.dio_offset_align)
		return stat.dio_offset_align;
	return i_blocksize(file_inode(file));
}

/**
 * dm_ioc_get_dioinfo - DMAPI_IOC_GET_DIOINFO
 * @uarg: struct dmapi_object_arg
 *
 * Return: 0 with the file's direct I/O limits, or -EINVAL (no such
 * session, not a regular file's handle), -ESRCH, the errors of
 * dm_call_right_begin(), -EBADF, -EFAULT.
 */
long dm_ioc_get_dioinfo(void __user *uarg)
{
	struct dmapi_object_arg arg;
	struct dm_call_right cr;
	struct file *file;
	u32 align;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	file = dm_open_data(arg.sid, arg.token, arg.hanp, arg.hlen, O_RDONLY,
			    DMAPI_RIGHT_SHARED, 0, &cr);
	if (IS_ERR(file))
		return PTR_ERR(file);
	align = dm_dio_align(file);
	dm_close_data(file, &cr);
	arg.dio.d_mem = align;
	arg.dio.d_miniosz = align;
	arg.dio.d_maxiosz = MAX_RW_COUNT & ~(align - 1);
	arg.dio.d_dio_only = 0;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}
