// SPDX-License-Identifier: GPL-2.0
/*
 * Files: an open dmapi file is a lower file.  Data goes straight to it,
 * with no page cache of our own and no copy; a mapping is handed to the
 * lower file, as overlayfs does (mmap.c).
 */
#include <linux/file.h>
#include <linux/fs_stack.h>
#include <linux/falloc.h>	/* after fs.h, on which 6.1's depends */
#include <linux/fsnotify.h>
#include <linux/mm.h>
#include <linux/pipe_fs_i.h>
#include <linux/sched/signal.h>
#include <linux/splice.h>
#include <linux/uio.h>

#include "dmapifs.h"

/* Flags that fcntl(F_SETFL) may change after open and that I/O honours. */
#define DMFS_RUNTIME_FLAGS	(O_APPEND | O_DIRECT | O_NONBLOCK | O_NOATIME)

/**
 * dmfs_open_lower - open the lower object of a dmapi file
 * @file: the dmapi file being opened
 *
 * Return: 0 or a negative errno.
 */
int dmfs_open_lower(struct file *file)
{
	int flags = file->f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC);
	struct file *lower;
	struct path path;

	/*
	 * Ours, not the path of a filesystem stacked on ours, which 6.1's
	 * overlayfs puts in f_path (open_with_fake_path()).
	 */
	dmfs_lower_path(file_dentry(file), &path);
	lower = dentry_open(&path, flags, current_cred());
	if (IS_ERR(lower))
		return PTR_ERR(lower);
	file->private_data = lower;
	atomic_inc(&DMFS_I(file_inode(file))->opens);
	/*
	 * What the opener reads of our inode (exec its set-ID bits and
	 * owner) is the lower object's now, however it was changed since:
	 * by dm_set_fileattr(), or below the mount.
	 */
	dmfs_copyattr(file_inode(file));
	/* RWF_NOWAIT, and io_uring's tries that do not block, as below. */
	file->f_mode |= lower->f_mode & (FMODE_CAN_ODIRECT | FMODE_NOWAIT);
	return 0;
}

/*
 * Wait, killably, until no DM application's access right on the object
 * stands in the way of an access (right.c).
 */
static int dmfs_rights_wait(struct inode *inode, int type)
{
	return dm_rights_io_wait(dmfs_dm_fs(inode->i_sb)->fsid,
				 dmfs_lower_inode(inode)->i_ino,
				 dmfs_lower_inode(inode)->i_generation,
				 type != DMAPI_EVENT_READ);
}

/* Rounds of dmfs_io_begin2() that look for every right granted since. */
#define DMFS_IO_EXACT_ROUNDS	3

/* The count of rights granted on the object (dm_rights_grants_of()). */
static atomic_t *dmfs_io_grants_of(struct inode *inode)
{
	return dm_rights_grants_of(dmfs_dm_fs(inode->i_sb)->fsid,
				   dmfs_lower_inode(inode)->i_ino);
}

/*
 * Wait for the rights, then for the data event, of an access not
 * admitted.  Waiting for the rights first means the event is decided on
 * the regions a DM application holding the file left behind (a
 * migration sets them under an exclusive right), not on those from
 * before it.  *@grants is what the count of rights granted on the file
 * was when the decision was made: read before the regions were, or, if
 * the DM application answered an event, when it answered, the rights of
 * its handling counted.  Returns 0 or a negative errno.
 */
static int dmfs_io_pass(struct inode *inode, const struct path *lower,
			int type, loff_t off, u64 len, int *grants)
{
	int err;

	dmfs_mmap_end_earlier();
	*grants = dm_rights_grants(dmfs_io_grants_of(inode));
	err = dmfs_rights_wait(inode, type);
	if (!err)
		err = dmfs_data_event(inode, lower, grants, type, off, len);
	return err < 0 ? err : 0;
}

/*
 * Count an access admitted if what dmfs_io_pass() decided still holds:
 * no right stands in its way now, and none was granted since the count
 * of grants was @grants.  Else leave it uncounted: a right
 * granted meanwhile did not wait for it, and may have changed the
 * regions (a migration sets them under its right).  Counting before
 * looking is what a right granted later relies on (dm_rights_drain()).
 */
static bool dmfs_io_enter(struct inode *inode, int type, int grants)
{
	atomic_inc(&DMFS_I(inode)->admitted[dmfs_io_kind(type)]);
	/* Pairs with the barrier in dm_rights_drain(). */
	smp_mb__after_atomic();
	if (!dm_rights_allow(dmfs_dm_fs(inode->i_sb)->fsid,
			     dmfs_lower_inode(inode)->i_ino,
			     dmfs_lower_inode(inode)->i_generation,
			     type != DMAPI_EVENT_READ))
		goto turned_away;
	/*
	 * A right found gone was counted granted before it went: the count
	 * read after it cannot be older (the right's release orders the two).
	 */
	smp_rmb();
	if (dm_rights_grants(dmfs_io_grants_of(inode)) == grants)
		return true;
turned_away:
	dmfs_io_end(inode, type);
	return false;
}

/*
 * Whether an access that dmfs_io_enter() turned away must decide again:
 * a right was granted since the count of grants was @grants, or one in
 * its way is counted among the grants, whose holder may change what the
 * access decides on before letting it go.  A right that is not (a DM
 * call's, right.c) only makes it wait: it need not send its event again.
 */
static bool dmfs_io_stale(struct inode *inode, int type, int grants)
{
	return dm_rights_grants(dmfs_io_grants_of(inode)) != grants ||
	       dm_rights_decisive(dmfs_dm_fs(inode->i_sb)->fsid,
				  dmfs_lower_inode(inode)->i_ino,
				  dmfs_lower_inode(inode)->i_generation,
				  type != DMAPI_EVENT_READ);
}

/*
 * Count an access admitted on what dmfs_io_pass() decided, waiting for
 * the rights in its way while the decision holds (dmfs_io_stale()).
 * Returns 0 once counted, 1 to decide again, or the errno of the wait.
 */
static int dmfs_io_admit(struct inode *inode, int type, int grants)
{
	int err;

	while (!dmfs_io_enter(inode, type, grants)) {
		if (dmfs_io_stale(inode, type, grants))
			return 1;
		err = dmfs_rights_wait(inode, type);
		if (err)
			return err;
	}
	return 0;
}

/*
 * dmfs_io_admit() for the read of @in and the write of @out of
 * dmfs_io_begin2(): neither stays counted while the other waits.
 */
static int dmfs_io_admit2(struct inode *in, struct inode *out,
			  int grants_in, int grants_out)
{
	int err;

	for (;;) {
		if (dmfs_io_enter(in, DMAPI_EVENT_READ, grants_in)) {
			if (dmfs_io_enter(out, DMAPI_EVENT_WRITE, grants_out))
				return 0;
			dmfs_io_end(in, DMAPI_EVENT_READ);
		}
		if (dmfs_io_stale(in, DMAPI_EVENT_READ, grants_in) ||
		    dmfs_io_stale(out, DMAPI_EVENT_WRITE, grants_out))
			return 1;
		err = dmfs_rights_wait(in, DMAPI_EVENT_READ);
		if (!err)
			err = dmfs_rights_wait(out, DMAPI_EVENT_WRITE);
		if (err)
			return err;
	}
}

/**
 * dmfs_io_begin_slow - dmfs_io_begin() where an event or a right may wait
 * @inode: the dmapi inode, its access counted by dmfs_io_begin()
 * @lower: the lower file's path
 * @type: DMAPI_EVENT_READ, _WRITE or _TRUNCATE
 * @off: where the access starts
 * @len: its length; 0 to the end of the file
 * @nowait: fail with -EAGAIN rather than wait (dmfs_io_begin_kiocb())
 *
 * An access that sends no event and meets no right is decided counted.
 * Else it is not counted while it waits: the DM application it waits
 * for may take a right on the file, and that right would wait for it.
 * It decides again if a right came in after its decision and before it
 * was counted (dmfs_io_enter()); the rights a DM application took to
 * answer its event came before, so that one that takes a right for each
 * event is not asked for ever.  A right that cannot have changed the
 * decision only makes it wait (dmfs_io_admit()).
 *
 * Return: 0, admitted; or a negative errno, not admitted.
 */
int dmfs_io_begin_slow(struct inode *inode, const struct path *lower,
		       int type, loff_t off, u64 len, bool nowait)
{
	struct dm_fs *fs = dmfs_dm_fs(inode->i_sb);
	int grants, err;

	/*
	 * Counted, with no right in its way: a decision that sends no event
	 * waits for nobody, and a right granted meanwhile waits for it.
	 */
	if (dm_rights_allow(fs->fsid, dmfs_lower_inode(inode)->i_ino,
			    dmfs_lower_inode(inode)->i_generation,
			    type != DMAPI_EVENT_READ)) {
		/*
		 * A right found gone: what its holder stored under it
		 * (regions, event lists) is read after, not older (the
		 * right's release orders the two), as dmfs_io_enter() reads.
		 */
		smp_rmb();
		err = dm_data_event_wanted(fs, lower, &DMFS_I(inode)->interest,
					   type, off, len);
		if (err <= 0) {
			if (err)
				dmfs_io_end(inode, type);
			return err;
		}
	}
	dmfs_io_end(inode, type);
	if (nowait)
		return -EAGAIN;
	do {
		err = dmfs_io_pass(inode, lower, type, off, len, &grants);
		if (err)
			return err;
		err = dmfs_io_admit(inode, type, grants);
	} while (err > 0);
	return err;
}

/*
 * dmfs_io_admit() for dmfs_io_begin_locked(): counted only with @inode's
 * lock held, waiting for rights without it.  Returns 0 counted with the
 * lock held, or without it 1 to decide again or the errno of the wait.
 */
static int dmfs_io_admit_locked(struct inode *inode, int type, int grants)
{
	int err;

	for (;;) {
		inode_lock(inode);
		if (dmfs_io_enter(inode, type, grants))
			return 0;
		inode_unlock(inode);
		if (dmfs_io_stale(inode, type, grants))
			return 1;
		err = dmfs_rights_wait(inode, type);
		if (err)
			return err;
	}
}

/**
 * dmfs_io_begin_locked - dmfs_io_begin() for a caller holding the inode's lock
 * @inode: the dmapi inode, locked
 * @lower: the lower file's path
 * @type: DMAPI_EVENT_TRUNCATE, or another access under the lock
 * @off: where the access starts
 * @len: its length; 0 to the end of the file
 *
 * An access that waits, for a right or for the DM application's answer,
 * lets go of the lock meanwhile: an unlink or a rename of the file holds
 * it, and its directory's, while it waits for its own answer.  Nor is
 * it counted while it takes the lock again: the DM application answering
 * that unlink may take a right on the file, which would wait for the
 * access, which would wait for the unlink.
 *
 * Return: 0, admitted; or a negative errno, not admitted; the lock held
 * either way.
 */
int dmfs_io_begin_locked(struct inode *inode, const struct path *lower,
			 int type, loff_t off, u64 len)
{
	int grants, err;

	err = __dmfs_io_begin(inode, lower, type, off, len, true);
	if (err != -EAGAIN)
		return err;
	inode_unlock(inode);
	do {
		err = dmfs_io_pass(inode, lower, type, off, len, &grants);
		if (!err)
			err = dmfs_io_admit_locked(inode, type, grants);
	} while (err > 0);
	if (err)
		inode_lock(inode);
	return err;
}

/**
 * dmfs_io_begin2 - admit a read of one file and a write of another
 * @in: the dmapi file read
 * @pos_in: where the read starts
 * @out: the dmapi file written, maybe @in
 * @pos_out: where the write starts
 * @len: the length of both
 *
 * Neither access is admitted while the other waits, as dmfs_io_begin()
 * waits uncounted: a DM application answering the event of one may take
 * a right on the other.  Each decides again when a right came in after
 * its decision, for a few rounds: where both count their rights on one
 * counter (one file, or one hash), the rights taken to answer one's
 * event make the other decide again, and a DM application that takes a
 * right for each event would be asked for ever.  Past those rounds the
 * read forgives the rights granted until the write's decision, but
 * still decides again for one granted after it.
 *
 * Return: 0, both admitted (end them with dmfs_io_end2()); or a negative
 * errno, neither.
 */
int dmfs_io_begin2(struct file *in, loff_t pos_in, struct file *out,
		   loff_t pos_out, u64 len)
{
	struct inode *inode_in = file_inode(in), *inode_out = file_inode(out);
	int grants_in, grants_out, round, err;

	for (round = 0;; round++) {
		err = dmfs_io_pass(inode_in, &dmfs_lower_file(in)->f_path,
				   DMAPI_EVENT_READ, pos_in, len, &grants_in);
		if (err)
			return err;
		err = dmfs_io_pass(inode_out, &dmfs_lower_file(out)->f_path,
				   DMAPI_EVENT_WRITE, pos_out, len, &grants_out);
		if (err)
			return err;
		if (round >= DMFS_IO_EXACT_ROUNDS)
			grants_in = dm_rights_grants(dmfs_io_grants_of(inode_in));
		err = dmfs_io_admit2(inode_in, inode_out, grants_in, grants_out);
		if (err <= 0)
			return err;
	}
}

/**
 * dmfs_io_end2 - end the accesses dmfs_io_begin2() admitted
 * @in: the dmapi file read
 * @out: the dmapi file written
 */
void dmfs_io_end2(struct file *in, struct file *out)
{
	dmfs_io_end(file_inode(out), DMAPI_EVENT_WRITE);
	dmfs_io_end(file_inode(in), DMAPI_EVENT_READ);
}

/**
 * dmfs_release - close the lower file
 * @inode: the dmapi inode
 * @file: the dmapi file
 *
 * The last close of a regular file through the mount sends CLOSE.
 *
 * Return: 0.
 */
int dmfs_release(struct inode *inode, struct file *file)
{
	struct dm_namesp ns = {
		.obj1 = dmfs_lower_dentry(file_dentry(file)),
		.mode = inode->i_mode,
	};

	fput(dmfs_lower_file(file));
	if (atomic_dec_and_test(&DMFS_I(inode)->opens) && S_ISREG(inode->i_mode))
		dmfs_namesp(inode->i_sb, DMAPI_EVENT_CLOSE, &ns);
	return 0;
}

/**
 * dmfs_llseek - seek the lower file and follow it
 * @file: the dmapi file
 * @offset: as for lseek(2)
 * @whence: as for lseek(2), SEEK_DATA and SEEK_HOLE included
 *
 * Return: the new position or a negative errno.
 */
loff_t dmfs_llseek(struct file *file, loff_t offset, int whence)
{
	struct file *lower = dmfs_lower_file(file);
	loff_t ret;

	/*
	 * Our position is the truth between calls; the lower file follows.
	 * The lower file is this open file's own, and the VFS serialises
	 * the uses of a shared file's position (f_pos_lock): no inode lock,
	 * which a change of the directory waiting for its event may hold.
	 */
	lower->f_pos = file->f_pos;
	ret = vfs_llseek(lower, offset, whence);
	file->f_pos = lower->f_pos;
	return ret;
}

/*
 * Whether accesses through @file's mount keep no access time (a read-only
 * mount, noatime, nodiratime): then its lower file keeps none either,
 * whatever the lower mount's options.
 */
static bool dmfs_no_atime(const struct file *file)
{
	const struct vfsmount *mnt = file->f_path.mnt;

	return (mnt->mnt_flags & (MNT_READONLY | MNT_NOATIME)) ||
	       sb_rdonly(mnt->mnt_sb) ||
	       ((mnt->mnt_flags & MNT_NODIRATIME) &&
		S_ISDIR(file_inode(file)->i_mode));
}

/**
 * dmfs_sync_flags - let our file's flags reach its lower file
 * @file: the dmapi file, about to be used below
 *
 * fcntl(F_SETFL) changes ours alone; our mount's atime options too.
 *
 * Return: 0, or the lower filesystem's refusal of the flags.
 */
int dmfs_sync_flags(struct file *file)
{
	struct file *lower = dmfs_lower_file(file);
	unsigned int flags = file->f_flags & DMFS_RUNTIME_FLAGS;
	int err;

	if (dmfs_no_atime(file))
		flags |= O_NOATIME;
	/*
	 * fcntl() refuses to turn O_APPEND off on an append-only file; our
	 * inode may not have learnt yet that the lower one became one.
	 */
	if ((lower->f_flags & O_APPEND) && IS_APPEND(file_inode(lower)))
		flags |= O_APPEND;
	if ((lower->f_flags & DMFS_RUNTIME_FLAGS) == flags)
		return 0;
	if (lower->f_op->check_flags) {
		err = lower->f_op->check_flags(flags);
		if (err)
			return err;
	}
	spin_lock(&lower->f_lock);
	lower->f_flags = (lower->f_flags & ~DMFS_RUNTIME_FLAGS) | flags;
	/* A kiocb takes its flags from here: O_APPEND and O_DIRECT too. */
	lower->f_iocb_flags = iocb_flags(lower);
	spin_unlock(&lower->f_lock);
	return 0;
}

/*
 * What a call may ask for beyond its file's flags (preadv2() and
 * pwritev2() flags), and its O_APPEND, which ours decides: RWF_NOAPPEND
 * turns it off for one write.
 */
#define DMFS_IOCB_CALL_FLAGS	(IOCB_NOWAIT | IOCB_NOIO | IOCB_HIPRI | \
				 IOCB_DSYNC | IOCB_SYNC | IOCB_APPEND)

/*
 * A synchronous kiocb of the lower file for the I/O @iocb asks of ours.
 * Passed to vfs_iocb_iter_read() or vfs_iocb_iter_write(), it gets the
 * checks and notifications of a read(2) or write(2) of the lower file,
 * without vfs_iter_read()'s building of a kiocb from scratch again.  Its
 * flags are the lower file's (O_DIRECT, kept in step with ours by
 * dmfs_sync_flags()) and the call's.
 */
static int dmfs_lower_kiocb(struct kiocb *lower_iocb, struct kiocb *iocb,
			    struct file *lower)
{
	if ((iocb->ki_flags & IOCB_NOWAIT) && !(lower->f_mode & FMODE_NOWAIT))
		return -EOPNOTSUPP;
	kiocb_clone(lower_iocb, iocb, lower);
	lower_iocb->ki_flags = (lower->f_iocb_flags & ~IOCB_APPEND) |
			       (iocb->ki_flags & DMFS_IOCB_CALL_FLAGS);
	return 0;
}

/* I/O that moved bytes counts in the file's statistics regions. */
static void dmfs_count_io(struct file *file, loff_t pos, ssize_t moved,
			  bool write)
{
	if (moved > 0 && dm_stats_active())
		dm_stats_io(DMFS_SB(file_inode(file)->i_sb)->dm_fs.fsid,
			    file_inode(dmfs_lower_file(file)), pos, moved,
			    write);
}

static ssize_t dmfs_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct file *lower = dmfs_lower_file(file);
	loff_t pos = iocb->ki_pos;
	struct kiocb lower_iocb;
	ssize_t ret;

	if (!iov_iter_count(to))
		return 0;
	ret = dmfs_io_begin_kiocb(iocb, &lower->f_path, DMAPI_EVENT_READ,
				  iocb->ki_pos, iov_iter_count(to));
	if (ret)
		return ret;
	ret = dmfs_sync_flags(file);
	if (!ret)
		ret = dmfs_lower_kiocb(&lower_iocb, iocb, lower);
	if (!ret) {
		ret = vfs_iocb_iter_read(lower, &lower_iocb, to);
		iocb->ki_pos = lower_iocb.ki_pos;
	}
	dmfs_io_end(file_inode(file), DMAPI_EVENT_READ);
	fsstack_copy_attr_atime(file_inode(file), file_inode(lower));
	dmfs_count_io(file, pos, ret, false);
	return ret;
}

static ssize_t dmfs_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct file *lower = dmfs_lower_file(file);
	struct inode *inode = file_inode(file);
	struct kiocb lower_iocb;
	struct iov_iter saved;
	loff_t pos = iocb->ki_pos;
	ssize_t ret;

	if (!iov_iter_count(from))
		return 0;
	/*
	 * O_APPEND places the write at the lower file's end; a write that
	 * turned it off (RWF_NOAPPEND) turns it off below too.
	 */
	if (iocb->ki_flags & IOCB_APPEND)
		pos = i_size_read(file_inode(lower));
	ret = dmfs_io_begin_kiocb(iocb, &lower->f_path, DMAPI_EVENT_WRITE, pos,
				  iov_iter_count(from));
	if (ret)
		return ret;
	/*
	 * A full filesystem: the DM application may make room (NOSPACE),
	 * the write not admitted meanwhile.  A direct write may fail having
	 * consumed some of @from: the retry starts from the same bytes again.
	 */
	saved = *from;
	for (;;) {
		ret = dmfs_sync_flags(file);
		if (!ret)
			ret = dmfs_lower_kiocb(&lower_iocb, iocb, lower);
		/* Nor does RWF_NOAPPEND (6.9) turn it off for one write. */
		if (!ret && !(lower_iocb.ki_flags & IOCB_APPEND) &&
		    (lower->f_flags & O_APPEND) && IS_APPEND(file_inode(lower)))
			ret = -EPERM;
		if (!ret) {
			ret = dm_vfs_iocb_iter_write(lower, &lower_iocb, from);
			iocb->ki_pos = lower_iocb.ki_pos;
		}
		dmfs_io_end(inode, DMAPI_EVENT_WRITE);
		if (ret != -ENOSPC)
			break;
		*from = saved;
		/* A NOSPACE event waits: io_uring's worker may send it. */
		if (iocb->ki_flags & IOCB_NOWAIT) {
			ret = -EAGAIN;
			break;
		}
		ret = dm_nospace_event(&DMFS_SB(inode->i_sb)->dm_fs,
				       &lower->f_path, &DMFS_I(inode)->interest,
				       pos, iov_iter_count(from));
		if (ret)
			break;
		/*
		 * The DM application may have made room by moving this very
		 * file: its events and rights decide the write again.
		 */
		if (iocb->ki_flags & IOCB_APPEND)
			pos = i_size_read(file_inode(lower));
		ret = dmfs_io_begin(inode, &lower->f_path, DMAPI_EVENT_WRITE,
				    pos, iov_iter_count(from));
		if (ret)
			break;
	}
	dmfs_copyattr(inode);
	if (ret > 0)
		dmfs_count_io(file, iocb->ki_pos - ret, ret, true);
	return ret;
}

/* Whether @pipe has room for a splice, or no reader left to wait for. */
static bool dmfs_pipe_writable(const struct pipe_inode_info *pipe)
{
	return !pipe_full(READ_ONCE(pipe->head), READ_ONCE(pipe->tail),
			  READ_ONCE(pipe->max_usage)) ||
	       !READ_ONCE(pipe->readers);
}

/*
 * Wait, the pipe's lock held, for room in @pipe again, as the splice did
 * before it let go of the lock (fs/splice.c's wait_for_space(), which is
 * not exported).  Returns 0, -EPIPE, -EAGAIN or -ERESTARTSYS.
 */
static int dmfs_pipe_wait_room(struct pipe_inode_info *pipe,
			       unsigned int flags)
{
	for (;;) {
		if (unlikely(!pipe->readers)) {
			send_sig(SIGPIPE, current, 0);
			return -EPIPE;
		}
		if (!pipe_full(pipe->head, pipe->tail, pipe->max_usage))
			return 0;
		if (flags & SPLICE_F_NONBLOCK)
			return -EAGAIN;
		if (signal_pending(current))
			return -ERESTARTSYS;
		pipe_unlock(pipe);
		wait_event_interruptible(pipe->wr_wait, dmfs_pipe_writable(pipe));
		pipe_lock(pipe);
	}
}

/*
 * Admit a splice of the lower file of @in into @pipe.  The VFS holds the
 * pipe's lock, but for its own private pipe (sendfile(2) to a file, a
 * copy between filesystems): a wait there for a DM application or a
 * right would hold every other user of the pipe, even one killed, in an
 * uninterruptible wait for the lock.  A splice that must wait lets go of
 * the lock meanwhile, as a write into a full pipe does; admitted, it
 * takes it again and waits for room, as it did before it let go.
 */
static int dmfs_splice_admit(struct file *in, struct pipe_inode_info *pipe,
			     loff_t pos, size_t len, unsigned int flags)
{
	const struct path *lower = &dmfs_lower_file(in)->f_path;
	struct inode *inode = file_inode(in);
	int err;

	if (pipe == current->splice_pipe || !mutex_is_locked(&pipe->mutex))
		return dmfs_io_begin(inode, lower, DMAPI_EVENT_READ, pos, len);
	err = __dmfs_io_begin(inode, lower, DMAPI_EVENT_READ, pos, len, true);
	if (err != -EAGAIN)
		return err;
	pipe_unlock(pipe);
	err = dmfs_io_begin(inode, lower, DMAPI_EVENT_READ, pos, len);
	pipe_lock(pipe);
	if (err)
		return err;
	err = dmfs_pipe_wait_room(pipe, flags);
	if (err)
		dmfs_io_end(inode, DMAPI_EVENT_READ);
	return err;
}

/*
 * Splice straight from the lower file: it hands the pipe its page-cache
 * pages, as it would without us, so even a splice of a file onto itself
 * sees the same bytes.
 */
static ssize_t dmfs_splice_read(struct file *in, loff_t *ppos,
				struct pipe_inode_info *pipe, size_t len,
				unsigned int flags)
{
	struct file *lower = dmfs_lower_file(in);
	loff_t pos = *ppos;
	ssize_t ret;

	if (!lower->f_op->splice_read)
		return -EINVAL;
	ret = dmfs_splice_admit(in, pipe, *ppos, len, flags);
	if (ret)
		return ret;
	ret = dmfs_sync_flags(in);
	/* What read(2) of the lower file would check: LSMs, fanotify. */
	if (!ret)
		ret = dm_splice_read_lower(lower, ppos, pipe, len, flags);
	/* The VFS tells only ours: the lower file's watchers, as by read(2). */
	if (ret > 0)
		fsnotify_access(lower);
	dmfs_io_end(file_inode(in), DMAPI_EVENT_READ);
	fsstack_copy_attr_atime(file_inode(in), file_inode(lower));
	dmfs_count_io(in, pos, ret, false);
	return ret;
}

/*
 * Splice straight into the lower file, under its freeze protection taken
 * before the pipe's lock, as the VFS orders the two for a splice into the
 * lower filesystem itself.  Going through our write_iter instead would
 * take them the other way round, under the pipe's lock (a deadlock with
 * a freeze that lockdep reports).  The data event covers the length asked
 * for, as a write(2) of that length would, and is sent before the pipe is
 * touched: a splice that waits for the DM application holds no pipe lock.
 */
static ssize_t dmfs_splice_write(struct pipe_inode_info *pipe,
				 struct file *out, loff_t *ppos, size_t len,
				 unsigned int flags)
{
	struct file *lower = dmfs_lower_file(out);
	struct inode *inode = file_inode(out);
	loff_t pos = *ppos;
	ssize_t ret;

	if (!lower->f_op->splice_write)
		return -EINVAL;
	ret = dmfs_io_begin(inode, &lower->f_path, DMAPI_EVENT_WRITE, pos, len);
	if (ret)
		return ret;
	for (;;) {
		ret = dmfs_sync_flags(out);
		/* What write(2) of the lower file would check: LSMs, fanotify. */
		if (!ret)
			ret = rw_verify_area(WRITE, lower, ppos, len);
		if (!ret) {
			file_start_write(lower);
			ret = lower->f_op->splice_write(pipe, lower, ppos, len,
							flags);
			file_end_write(lower);
		}
		dmfs_io_end(inode, DMAPI_EVENT_WRITE);
		if (ret != -ENOSPC)
			break;
		ret = dm_nospace_event(&DMFS_SB(inode->i_sb)->dm_fs,
				       &lower->f_path, &DMFS_I(inode)->interest,
				       pos, len);
		if (ret)
			break;
		/* As in dmfs_write_iter(): decided again. */
		ret = dmfs_io_begin(inode, &lower->f_path, DMAPI_EVENT_WRITE,
				    pos, len);
		if (ret)
			break;
	}
	dmfs_copyattr(inode);
	if (ret > 0) {
		/* vfs_iter_write() would have told the lower file's watchers. */
		fsnotify_modify(lower);
		dmfs_count_io(out, pos, ret, true);
	}
	return ret;
}

static int dmfs_fsync(struct file *file, loff_t start, loff_t end,
		      int datasync)
{
	return vfs_fsync_range(dmfs_lower_file(file), start, end, datasync);
}

/*
 * An access that found the lower filesystem full asks the DM application
 * for room (NOSPACE), not admitted meanwhile.
 *
 * Return: 0 when it answered CONTINUE, and the access is to be admitted
 * and tried again; else the errno to fail with.
 */
static int dmfs_nospace(struct file *file, loff_t pos, u64 len)
{
	struct inode *inode = file_inode(file);

	return dm_nospace_event(dmfs_dm_fs(inode->i_sb),
				&dmfs_lower_file(file)->f_path,
				&DMFS_I(inode)->interest, pos, len);
}

static long dmfs_fallocate(struct file *file, int mode, loff_t offset,
			   loff_t len)
{
	struct inode *inode = file_inode(file);
	struct file *lower = dmfs_lower_file(file);
	/* Collapsing or inserting a range moves every byte after it too. */
	bool shifts = mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE);
	u64 changed = shifts ? 0 : len;
	long err;

	for (;;) {
		/* After NOSPACE, decided again: the file may have moved. */
		err = dmfs_io_begin(inode, &lower->f_path, DMAPI_EVENT_WRITE,
				    offset, changed);
		if (err)
			break;
		err = vfs_fallocate(lower, mode, offset, len);
		dmfs_io_end(inode, DMAPI_EVENT_WRITE);
		if (err != -ENOSPC)
			break;
		err = dmfs_nospace(file, offset, changed);
		if (err)
			break;
	}
	dmfs_copyattr(inode);
	return err;
}

static int dmfs_flush(struct file *file, fl_owner_t id)
{
	struct file *lower = dmfs_lower_file(file);

	if (lower->f_op->flush)
		return lower->f_op->flush(lower, id);
	return 0;
}

static int dmfs_file_open(struct inode *inode, struct file *file)
{
	return dmfs_open_lower(file);
}

static ssize_t dmfs_copy_file_range(struct file *in, loff_t pos_in,
				    struct file *out, loff_t pos_out,
				    size_t len, unsigned int flags)
{
	ssize_t ret;

	if (in->f_op != &dmfs_file_fops || out->f_op != &dmfs_file_fops)
		return -EXDEV;
	ret = dmfs_sync_flags(in) ?: dmfs_sync_flags(out);
	if (ret)
		return ret;
	for (;;) {
		ret = dmfs_io_begin2(in, pos_in, out, pos_out, len);
		if (ret)
			return ret;
		ret = vfs_copy_file_range(dmfs_lower_file(in), pos_in,
					  dmfs_lower_file(out), pos_out, len,
					  flags);
		dmfs_io_end2(in, out);
		if (ret != -ENOSPC)
			break;
		ret = dmfs_nospace(out, pos_out, len);
		if (ret)
			break;
	}
	dmfs_copyattr(file_inode(out));
	dmfs_count_io(in, pos_in, ret, false);
	dmfs_count_io(out, pos_out, ret, true);
	return ret;
}

static loff_t dmfs_remap_file_range(struct file *in, loff_t pos_in,
				    struct file *out, loff_t pos_out,
				    loff_t len, unsigned int flags)
{
	struct file *lower_in = dmfs_lower_file(in);
	struct file *lower_out = dmfs_lower_file(out);
	loff_t ret;

	if (in->f_op != &dmfs_file_fops || out->f_op != &dmfs_file_fops)
		return -EXDEV;
	ret = dmfs_sync_flags(in) ?: dmfs_sync_flags(out);
	if (ret)
		return ret;
	ret = dmfs_io_begin2(in, pos_in, out, pos_out, len);
	if (ret)
		return ret;
	if (flags & REMAP_FILE_DEDUP)
		ret = vfs_dedupe_file_range_one(lower_in, pos_in, lower_out,
						 pos_out, len, flags);
	else
		ret = vfs_clone_file_range(lower_in, pos_in, lower_out,
					   pos_out, len, flags);
	dmfs_io_end2(in, out);
	dmfs_copyattr(file_inode(out));
	return ret;
}

/*
 * The page cache that advice is about is the lower file's: without this,
 * POSIX_FADV_DONTNEED through the mount would drop nothing.
 */
static int dmfs_fadvise(struct file *file, loff_t offset, loff_t len,
			int advice)
{
	return vfs_fadvise(dmfs_lower_file(file), offset, len, advice);
}

const struct file_operations dmfs_file_fops = {
	.open		= dmfs_file_open,
	.release	= dmfs_release,
	.llseek		= dmfs_llseek,
	.read_iter	= dmfs_read_iter,
	.write_iter	= dmfs_write_iter,
	.splice_read	= dmfs_splice_read,
	.splice_write	= dmfs_splice_write,
	.mmap		= dmfs_mmap,
	.fsync		= dmfs_fsync,
	.fallocate	= dmfs_fallocate,
	.flush		= dmfs_flush,
	.copy_file_range = dmfs_copy_file_range,
	.remap_file_range = dmfs_remap_file_range,
	.fadvise	= dmfs_fadvise,
};

/*
 * We have no page cache: the a_ops only tell the VFS that O_DIRECT may
 * be asked for (the lower file decides at open).
 */
const struct address_space_operations dmfs_aops = {
	.direct_IO	= noop_direct_IO,
};
