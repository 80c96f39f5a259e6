// SPDX-License-Identifier: GPL-2.0
/*
 * Scans: dm_init_attrloc(), dm_get_dirattrs(), and dm_get_bulkattr() and
 * dm_get_bulkall() (one call, the second asking for a DM attribute too).
 *
 * A directory scan reads the lower directory from its cursor, which is a
 * position of the lower directory as telldir() would give it: the scan
 * visits the entries readdir() would, each once, and a cursor stays valid
 * while entries come and go (ext4's are hashes, XFS's offsets).  "." and
 * ".." are not reported.  A call fills the caller's buffer with as many
 * records as fit and no more; the memory it takes is bounded by that
 * buffer, whatever the size of the directory.
 *
 * A filesystem scan walks inode numbers in ascending order from its
 * cursor, as the filesystem provider finds them (kmod/fs/inodes.c): each
 * object once, hard links included, while others change the tree.  A
 * call takes a bounded number of steps, so it may return no record and
 * say that more remain.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/namei.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "core.h"

/* One entry read from the directory, waiting to be looked up. */
struct dm_dirent {
	loff_t		next;		/* the cursor after it */
	u16		namelen;
	char		name[];		/* NUL-terminated */
};

/**
 * struct dm_dir_batch - the entries of one call, as readdir gives them
 * @ctx: the readdir context
 * @names: the entries, one after the other, 8-byte aligned
 * @size: the bytes @names holds
 * @used: the bytes taken
 * @room: the bytes of records the caller's buffer holds
 * @need: the bytes of records of the entries taken
 * @last: the last entry taken, whose cursor the next entry sets
 * @first_size: the record size of the first entry, taken or not
 * @full: readdir stopped because the caller's buffer is full
 */
struct dm_dir_batch {
	struct dir_context	ctx;
	u8			*names;
	size_t			size;
	size_t			used;
	size_t			room;
	size_t			need;
	struct dm_dirent	*last;
	size_t			first_size;
	bool			full;
};

static size_t dm_dirent_size(int namelen)
{
	return ALIGN(sizeof(struct dm_dirent) + namelen + 1, DMAPI_MSG_ALIGN);
}

/* The size of the record of an entry with a name of @namelen bytes. */
static size_t dm_record_size(int namelen)
{
	return ALIGN(sizeof(struct dmapi_stat) + namelen + 1, DMAPI_MSG_ALIGN);
}

static bool dm_dir_actor(struct dir_context *ctx, const char *name,
			 int namelen, loff_t pos, u64 ino, unsigned int type)
{
	struct dm_dir_batch *b = container_of(ctx, struct dm_dir_batch, ctx);
	size_t rec = dm_record_size(namelen);
	struct dm_dirent *d;

	/* This entry starts at pos: the one before ends there. */
	if (b->last)
		b->last->next = pos;
	if (namelen <= 2 && name[0] == '.' &&
	    (namelen == 1 || name[1] == '.'))
		return true;
	if (!b->first_size)
		b->first_size = rec;
	if (b->need + rec > b->room ||
	    b->used + dm_dirent_size(namelen) > b->size) {
		b->full = true;
		return false;
	}
	d = (struct dm_dirent *)(b->names + b->used);
	d->namelen = namelen;
	memcpy(d->name, name, namelen);
	d->name[namelen] = '\0';
	d->next = pos;	/* until the next entry or the end says */
	b->used += dm_dirent_size(namelen);
	b->need += rec;
	b->last = d;
	return true;
}

/* Read the entries of @dir from @loc into @b. */
static int dm_dir_read(const struct path *dir, loff_t loc,
		       struct dm_dir_batch *b)
{
	struct file *file;
	loff_t pos;
	int err;

	file = dentry_open(dir, O_RDONLY | O_DIRECTORY | O_LARGEFILE,
			   current_cred());
	if (IS_ERR(file))
		return PTR_ERR(file);
	/*
	 * Cursors are 64-bit whoever asks: ext4 would give a 32-bit caller
	 * 31-bit hash cookies, which names can be made to share.
	 */
	file->f_mode |= FMODE_64BITHASH;
	pos = vfs_llseek(file, loc, SEEK_SET);
	err = pos < 0 ? pos : 0;
	if (!err) {
		b->ctx.pos = pos;
		err = iterate_dir(file, &b->ctx);
	}
	/* At the end, the last entry's cursor is the end's. */
	if (!err && !b->full && b->last)
		b->last->next = b->ctx.pos;
	fput(file);
	return err;
}

/*
 * The record of entry @d of @dir at @rec; its size, 0 when the entry went
 * away meanwhile, or an errno.
 */
static ssize_t dm_dir_record(u64 fsid, const struct path *dir,
			     struct dm_dirent *d, u32 mask, u8 *rec)
{
	struct dmapi_stat *st = (struct dmapi_stat *)rec;
	struct path child = { .mnt = dir->mnt };
	size_t size = dm_record_size(d->namelen);
	int err;

	child.dentry = lookup_one_unlocked(dm_mnt_idmap(dir->mnt), d->name,
					   dir->dentry, d->namelen);
	if (IS_ERR(child.dentry))
		return PTR_ERR(child.dentry);
	if (d_is_negative(child.dentry)) {
		dput(child.dentry);
		return 0;
	}
	memset(rec, 0, size);
	err = dm_stat_fill(fsid, &child, mask, st);
	dput(child.dentry);
	if (err)
		return err;
	st->dt_reclen = size;
	st->dt_namelen = d->namelen + 1;
	st->dt_loc = d->next;
	memcpy(rec + sizeof(*st), d->name, d->namelen + 1);
	return size;
}

/* The records of the entries in @b, written to @out; their bytes. */
static ssize_t dm_dir_records(u64 fsid, const struct path *dir,
			      struct dm_dir_batch *b, u32 mask, u8 *out)
{
	size_t off = 0, pos = 0;
	ssize_t n;

	while (pos < b->used) {
		struct dm_dirent *d = (struct dm_dirent *)(b->names + pos);

		/* A batch of 32 MiB is some 170 000 lookups: killable. */
		if (fatal_signal_pending(current))
			return -EINTR;
		n = dm_dir_record(fsid, dir, d, mask, out + off);
		if (n < 0)
			return n;
		off += n;
		pos += dm_dirent_size(d->namelen);
	}
	return off;
}

/*
 * The directory of a scan, an object handle of a directory, and the
 * shared right on it the scan works under.
 */
static int dm_scan_dir(struct dm_handle_call *c, struct path *dir,
		       struct dm_call_right *cr)
{
	int err = dm_handle_call_path(c, dir);

	if (err)
		return err;
	err = -ENOTDIR;
	if (d_is_dir(dir->dentry))
		err = dm_call_right_begin(c, dir, DMAPI_RIGHT_SHARED, 0, cr);
	if (err)
		path_put(dir);
	return err;
}

/*
 * Scan @dir from @arg->loc into @out, of @arg->buf.len bytes (at most
 * DMAPI_MAX_BATCH); fills in the rest of @arg.
 */
static int dm_dirattrs(u64 fsid, const struct path *dir,
		       struct dmapi_scan_arg *arg, u8 *out)
{
	struct dm_dir_batch b = {
		.ctx.actor = dm_dir_actor,
		.room = arg->buf.len,
		.size = arg->buf.len,
	};
	ssize_t n;
	int err;

	b.names = kvmalloc(b.size, GFP_KERNEL);
	if (!b.names)
		return -ENOMEM;
	err = dm_dir_read(dir, arg->loc, &b);
	if (err)
		goto out;
	if (b.full && !b.last) {
		arg->buf.rlen = b.first_size;
		err = -E2BIG;
		goto out;
	}
	n = dm_dir_records(fsid, dir, &b, arg->mask, out);
	err = n < 0 ? n : 0;
	if (err)
		goto out;
	arg->buf.rlen = n;
	arg->more = b.full;
	if (b.last)
		arg->loc = b.last->next;
out:
	kvfree(b.names);
	return err;
}

/**
 * dm_ioc_get_dirattrs - DMAPI_IOC_GET_DIRATTRS
 * @uarg: struct dmapi_scan_arg
 *
 * Return: 0 with the records of the directory's entries from loc, loc
 * after the last and more set when entries remain; -E2BIG with the size of
 * the first record in buf.rlen when not even it fits; -EINVAL (no such
 * session, not an object handle, a bad mask), -ENOTDIR, -ESRCH, the errors
 * of dm_call_right_begin(), -EBADF, -ENOMEM, -EFAULT, or the errno of
 * reading the directory.
 */
long dm_ioc_get_dirattrs(void __user *uarg)
{
	struct dmapi_scan_arg arg;
	struct dm_handle_call c;
	struct dm_call_right cr;
	struct path dir;
	u8 *out = NULL;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* No DM attribute comes with a directory's records. */
	if (arg.padding || arg.reserved || arg.flags ||
	    memchr_inv(arg.attrname, 0, sizeof(arg.attrname)))
		return -EINVAL;
	if (arg.mask & ~(2 * DMAPI_AT_CFLAG - 1))
		return -EINVAL;
	arg.buf.len = min_t(u64, arg.buf.len, DMAPI_MAX_BATCH);
	err = dm_handle_call_begin(&c, arg.sid, arg.token, arg.hanp, arg.hlen);
	if (err)
		return err;
	err = dm_scan_dir(&c, &dir, &cr);
	if (err)
		goto out;
	out = kvmalloc(max_t(u64, arg.buf.len, 1), GFP_KERNEL);
	err = out ? dm_dirattrs(c.uh.h.fsid, &dir, &arg, out) : -ENOMEM;
	dm_call_right_end(&cr);
	path_put(&dir);
	err = dm_copy_filled(err, uarg, &arg, sizeof(arg), &arg.buf, out);
	kvfree(out);
out:
	dm_handle_call_end(&c);
	return err;
}

/* The objects one step of a filesystem scan asks for. */
#define DM_BULK_STEP		64
/* The most steps of one call. */
#define DM_BULK_STEPS		16

/**
 * struct dm_bulk - the state of a filesystem scan call
 * @fs: the filesystem, kept by dm_fs_get()
 * @arg: the call
 * @out: the records, @arg->buf.len bytes
 * @used: the bytes of records written
 * @value: room for the DM attribute asked for, or NULL
 * @value_size: its size, max_attr_size when the call began
 * @scratch: user memory for the lower filesystem, DM_SCAN_SCRATCH_SIZE
 * @full: the caller's buffer is full
 */
struct dm_bulk {
	struct dm_fs		*fs;
	struct dmapi_scan_arg	*arg;
	u8			*out;
	size_t			used;
	void			*value;
	size_t			value_size;
	unsigned long		scratch;
	bool			full;
};

/* Write the record of the object at @path, if it fits; its errno. */
static int dm_bulk_record(struct dm_bulk *b, const struct path *path)
{
	struct dmapi_stat *st;
	size_t size = sizeof(*st);
	ssize_t n = 0;
	int err;

	if (b->value) {
		n = dm_attr_load(path, b->arg->attrname, b->value,
				 b->value_size);
		if (n < 0)
			return n;
		size += ALIGN(n, DMAPI_MSG_ALIGN);
	}
	if (b->used + size > b->arg->buf.len) {
		if (!b->used)
			b->arg->buf.rlen = size;	/* for E2BIG */
		b->full = true;
		return 0;
	}
	st = (struct dmapi_stat *)(b->out + b->used);
	memset(st, 0, size);
	err = dm_stat_fill(b->fs->fsid, path, b->arg->mask, st);
	if (err)
		return err == -ENOENT || err == -ESTALE ? 0 : err;
	st->dt_reclen = size;
	st->dt_loc = d_inode(path->dentry)->i_ino + 1;
	st->dt_attrlen = n;
	if (n)
		memcpy(st + 1, b->value, n);
	b->used += size;
	b->arg->loc = st->dt_loc;
	return 0;
}

/* One step: the records of the objects the provider finds from loc. */
static int dm_bulk_step(struct dm_bulk *b, struct dm_scan *s)
{
	int i, err;

	s->pos = b->arg->loc;
	err = b->fs->ops->scan(b->fs, s);
	for (i = 0; i < s->n; i++) {
		if (!err && !b->full) {
			err = dm_bulk_record(b, &s->paths[i]);
			/* The first that does not fit is where to go on. */
			if (b->full)
				b->arg->loc = d_inode(s->paths[i].dentry)->i_ino;
		}
		path_put(&s->paths[i]);
	}
	if (!err && !b->full)
		b->arg->loc = s->pos;
	return err;
}

/*
 * User memory for the lower filesystem of a scan to write: XFS's bulkstat
 * writes its records only to user memory.  Not the caller's buffer: a
 * page fault there that never ends (userfaultfd) would hold the
 * filesystem, and so its unmount.  A private anonymous mapping of the
 * caller's instead, made before the filesystem is held and unmapped after
 * it is let go: the mmap lock is not waited for while holding it either.
 */
static unsigned long dm_scan_scratch_map(void)
{
	if (!current->mm)
		return -EOPNOTSUPP;
	return vm_mmap(NULL, 0, DM_SCAN_SCRATCH_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
}

/* Fill b->out with records from arg->loc; sets more. */
static int dm_bulk_fill(struct dm_bulk *b)
{
	struct dm_scan s = {
		.max = DM_BULK_STEP,
		.scratch = b->scratch,
		.scratch_len = DM_SCAN_SCRATCH_SIZE,
	};
	int steps, err = 0;

	s.paths = kcalloc(DM_BULK_STEP, sizeof(*s.paths), GFP_KERNEL);
	if (!s.paths)
		return -ENOMEM;
	for (steps = 0; steps < DM_BULK_STEPS && !b->full && !s.end; steps++) {
		err = dm_bulk_step(b, &s);
		if (err)
			break;
	}
	kfree(s.paths);
	if (err)
		return err;
	if (b->full && !b->used)
		return -E2BIG;
	b->arg->buf.rlen = b->used;
	b->arg->more = !s.end || b->full;
	return 0;
}

/* The scan of the filesystem of call @c into @out. */
static int dm_bulk(struct dm_handle_call *c, struct dmapi_scan_arg *arg,
		   u8 *out)
{
	struct dm_bulk b = { .arg = arg, .out = out };
	int err;

	if (arg->flags & DMAPI_SCAN_DMATTR) {
		if (!memchr_inv(arg->attrname, 0, DMAPI_ATTR_NAME_SIZE))
			return -EINVAL;
		/* Any value: max_attr_size may have been lowered since. */
		b.value_size = XATTR_SIZE_MAX;
		b.value = kvmalloc(b.value_size, GFP_KERNEL);
		if (!b.value)
			return -ENOMEM;
	}
	b.scratch = dm_scan_scratch_map();
	if (IS_ERR_VALUE(b.scratch)) {
		err = (int)b.scratch;
		goto out;
	}
	b.fs = dm_fs_get(c->uh.h.fsid);
	err = b.fs ? dm_bulk_fill(&b) : -EBADF;
	if (b.fs)
		dm_fs_put(b.fs);
	vm_munmap(b.scratch, DM_SCAN_SCRATCH_SIZE);
out:
	kvfree(b.value);
	return err;
}

/**
 * dm_ioc_get_bulkattr - DMAPI_IOC_GET_BULKATTR
 * @uarg: struct dmapi_scan_arg
 *
 * The records of the filesystem's objects from loc in ascending inode
 * number; with DMAPI_SCAN_DMATTR each carries the value of DM attribute
 * attrname, if the object has it.
 *
 * Return: 0 with the records, loc after the last and more set when
 * objects remain (then possibly with no record); -E2BIG with the size of
 * the first record in buf.rlen when not even it fits;
 * -EINVAL (no such session, not a filesystem handle, a token, a bad mask
 * or flag, an empty attribute name), -EBADF, -EOPNOTSUPP, -ENOMEM,
 * -EFAULT, -EINTR, or the errno of reading the lower filesystem.
 */
long dm_ioc_get_bulkattr(void __user *uarg)
{
	struct dmapi_scan_arg arg;
	struct dm_handle_call c;
	u8 *out = NULL;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.padding || arg.reserved)
		return -EINVAL;
	if ((arg.mask & ~(2 * DMAPI_AT_CFLAG - 1)) ||
	    (arg.flags & ~DMAPI_SCAN_DMATTR) || arg.loc < 0)
		return -EINVAL;
	if (!(arg.flags & DMAPI_SCAN_DMATTR) &&
	    memchr_inv(arg.attrname, 0, sizeof(arg.attrname)))
		return -EINVAL;
	arg.buf.len = min_t(u64, arg.buf.len, DMAPI_MAX_BATCH);
	err = dm_handle_call_begin(&c, arg.sid, arg.token, arg.hanp, arg.hlen);
	if (err)
		return err;
	err = -EINVAL;
	if (c.uh.kind != DM_HANDLE_FS)
		goto out;
	out = kvmalloc(max_t(u64, arg.buf.len, 1), GFP_KERNEL);
	err = out ? dm_bulk(&c, &arg, out) : -ENOMEM;
	err = dm_copy_filled(err, uarg, &arg, sizeof(arg), &arg.buf, out);
	kvfree(out);
out:
	dm_handle_call_end(&c);
	return err;
}

/**
 * dm_ioc_init_attrloc - DMAPI_IOC_INIT_ATTRLOC
 * @uarg: struct dmapi_scan_arg
 *
 * Return: 0 with loc at the start of a scan of the directory or the
 * filesystem, or -EINVAL (no such session, the global handle, a token on a
 * filesystem handle), -ENOTDIR, -ESRCH, the errors of
 * dm_call_right_begin(), -EBADF, -EFAULT.
 */
long dm_ioc_init_attrloc(void __user *uarg)
{
	struct dmapi_scan_arg arg;
	struct dm_handle_call c;
	struct dm_call_right cr;
	struct path dir;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* It reads the handle alone. */
	if (arg.padding || arg.reserved || arg.mask || arg.more || arg.flags ||
	    arg.buf.ptr || arg.buf.len || arg.buf.rlen ||
	    memchr_inv(arg.attrname, 0, sizeof(arg.attrname)))
		return -EINVAL;
	err = dm_handle_call_begin(&c, arg.sid, arg.token, arg.hanp, arg.hlen);
	if (err)
		return err;
	if (c.uh.kind == DM_HANDLE_FS) {
		dm_fs_lock();
		err = dm_fs_find_locked(c.uh.h.fsid) ? 0 : -EBADF;
		dm_fs_unlock();
	} else {
		err = dm_scan_dir(&c, &dir, &cr);
		if (!err) {
			dm_call_right_end(&cr);
			path_put(&dir);
		}
	}
	dm_handle_call_end(&c);
	if (err)
		return err;
	arg.loc = 0;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}
