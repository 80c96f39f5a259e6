// SPDX-License-Identifier: GPL-2.0
/*
 * Mappings.  A mapping made through the mount is handed to the lower
 * file, as overlayfs does, so that its faults go straight to the lower
 * filesystem.  Two things are kept of ours, where the lower filesystem
 * leaves the mapping's private data free:
 *
 * - the dmapi file, as the mapping's private data: a mapping keeps the
 *   mount busy and the file open, as a mapping of a lower file keeps
 *   its filesystem busy, and CLOSE comes when the last mapping goes;
 * - the write-notify calls (page_mkwrite, pfn_mkwrite): a write through
 *   the mapping that dirties a clean page waits for the DM applications'
 *   rights and sends its WRITE event, as write(2) does.  Without them a
 *   mapping made before a migration took its right, or before a region
 *   was set, would change the file with no right in its way and no
 *   event, and the migration would punch out data it never copied.
 *
 * The operations of such a mapping are a copy of the lower ones, one
 * per lower set, kept by the superblock: every mapping holding one holds
 * the mount.  A right granted cleans the dirty pages of a writably mapped
 * file (dmfs_drain_io()), so that every write through a mapping faults
 * again and waits.  Reads through a mapping made earlier are not waited
 * for: their pages stay mapped.  Nor are DAX write faults, which do not
 * pass page_mkwrite.  A shared mapping that may be written is handed a
 * lower file open for neither reading nor writing (dmfs_mmap_lower()):
 * what would act on the file itself past our operations,
 * madvise(MADV_REMOVE) and remap_file_pages() (a mapping of the lower
 * file's own), is refused.
 */
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "dmapifs.h"

/**
 * struct dmfs_vm_ops - the operations of mappings made through a mount
 * @ops: the lower filesystem's, with ours in place of some
 * @lower: the lower filesystem's, which ours call
 * @link: in the superblock's list (dmfs_sb_info.vm_ops)
 */
struct dmfs_vm_ops {
	struct vm_operations_struct		ops;
	const struct vm_operations_struct	*lower;
	struct list_head			link;
};

static const struct vm_operations_struct *
dmfs_lower_vm_ops(const struct vm_area_struct *vma)
{
	return container_of(vma->vm_ops, struct dmfs_vm_ops, ops)->lower;
}

/* The dmapi file the mapping was made through. */
static struct file *dmfs_vma_file(const struct vm_area_struct *vma)
{
	return vma->vm_private_data;
}

/*
 * The range a store at vmf->pgoff may change before it faults again: its
 * page, or all of a folio the fault may map whole, by a PMD, writable.
 */
static void dmfs_mkwrite_range(const struct vm_fault *vmf, loff_t *pos,
			       size_t *len)
{
	struct folio *folio;

	*pos = (loff_t)vmf->pgoff << PAGE_SHIFT;
	*len = PAGE_SIZE;
	if (!vmf->page)
		return;
	folio = page_folio(vmf->page);
	if (folio_test_pmd_mappable(folio)) {
		*pos = folio_pos(folio);
		*len = folio_size(folio);
	}
}

/*
 * A write through the mapping is about to dirty the page at vmf->pgoff:
 * admitted as a write(2) of what it may change would be, it goes on below.
 */
static vm_fault_t dmfs_mkwrite(struct vm_fault *vmf,
			       vm_fault_t (*lower_mkwrite)(struct vm_fault *))
{
	struct vm_area_struct *vma = vmf->vma;
	struct inode *inode = file_inode(dmfs_vma_file(vma));
	vm_fault_t ret;
	loff_t pos;
	size_t len;

	/*
	 * Whatever the errno (an ABORT's may be ENOMEM, which a fault
	 * would retry for ever), the store fails as an I/O error would.
	 */
	dmfs_mkwrite_range(vmf, &pos, &len);
	if (dmfs_io_begin(inode, &vma->vm_file->f_path, DMAPI_EVENT_WRITE,
			  pos, len))
		return VM_FAULT_SIGBUS;
	ret = lower_mkwrite(vmf);
	/*
	 * The page must be dirty before the store stops counting as
	 * admitted: a right's drain then finds it, waits for its lock and
	 * write-protects it (dmfs_drain_io()).  ext4 leaves a page whose
	 * blocks are allocated clean (nodelalloc) for the fault to dirty
	 * after we return.
	 */
	if ((ret & VM_FAULT_LOCKED) && vmf->page)
		folio_mark_dirty(page_folio(vmf->page));
	dmfs_io_end(inode, DMAPI_EVENT_WRITE);
	return ret;
}

static vm_fault_t dmfs_page_mkwrite(struct vm_fault *vmf)
{
	return dmfs_mkwrite(vmf, dmfs_lower_vm_ops(vmf->vma)->page_mkwrite);
}

static vm_fault_t dmfs_pfn_mkwrite(struct vm_fault *vmf)
{
	return dmfs_mkwrite(vmf, dmfs_lower_vm_ops(vmf->vma)->pfn_mkwrite);
}

/* A copy of the mapping (fork, a split, mremap): it holds the file too. */
static void dmfs_vm_open(struct vm_area_struct *vma)
{
	const struct vm_operations_struct *lower = dmfs_lower_vm_ops(vma);

	get_file(dmfs_vma_file(vma));
	if (lower->open)
		lower->open(vma);
}

/*
 * The last reference to the file may go here; fput() releases it later,
 * outside this module's code, so the module cannot go under us.
 */
static void dmfs_vm_close(struct vm_area_struct *vma)
{
	const struct vm_operations_struct *lower = dmfs_lower_vm_ops(vma);

	if (lower->close)
		lower->close(vma);
	fput(dmfs_vma_file(vma));
}

/* Our operations over @lower, made the first time the mount meets it. */
static const struct vm_operations_struct *
dmfs_vm_ops_get(struct dmfs_sb_info *sbi,
		const struct vm_operations_struct *lower)
{
	struct dmfs_vm_ops *o;

	mutex_lock(&sbi->vm_ops_lock);
	list_for_each_entry(o, &sbi->vm_ops, link) {
		if (o->lower == lower)
			goto out;
	}
	o = kmalloc(sizeof(*o), GFP_KERNEL);
	if (!o)
		goto out;
	o->ops = *lower;
	o->lower = lower;
	o->ops.open = dmfs_vm_open;
	o->ops.close = dmfs_vm_close;
	if (lower->page_mkwrite)
		o->ops.page_mkwrite = dmfs_page_mkwrite;
	if (lower->pfn_mkwrite)
		o->ops.pfn_mkwrite = dmfs_pfn_mkwrite;
	list_add(&o->link, &sbi->vm_ops);
out:
	mutex_unlock(&sbi->vm_ops_lock);
	return o ? &o->ops : NULL;
}

/*
 * Make the mapping @vma, which the lower file's mmap has just set up,
 * ours.  @flags are its flags before that.  A lower filesystem that
 * keeps data of its own in the mapping, or that changed its flags, keeps
 * its mapping as it made it: the VFS may merge a mapping whose flags
 * changed into its neighbour without closing it, and the file it holds
 * would never be put.  Ours adds VM_DONTEXPAND only where the VFS then
 * never merges it (special).  Where the VFS would merge a mapping with
 * a ->close away, later, into a neighbour of the lower file's own (which
 * remap_file_pages() made before it was refused, dmfs_mmap_lower()),
 * ours may not expand (DM_VM_NOMERGE).
 */
static int dmfs_mmap_keep(struct file *file, struct vm_area_struct *vma,
			  unsigned long flags)
{
	const struct vm_operations_struct *ops;

	if (!vma->vm_ops || vma->vm_private_data ||
	    (vma->vm_flags != flags && !(vma->vm_flags & VM_SPECIAL)))
		return 0;
	ops = dmfs_vm_ops_get(DMFS_SB(file_inode(file)->i_sb), vma->vm_ops);
	if (!ops)
		return -ENOMEM;
	if (DM_VM_NOMERGE)
		dm_vm_flags_set(vma, DM_VM_NOMERGE);
	vma->vm_private_data = get_file(file);
	vma->vm_ops = ops;
	return 0;
}

/**
 * struct dmfs_mmap_admitted - a mapping's admission, ended on its call's
 *	return
 * @work: queued on the task that makes the mapping
 * @link: in dmfs_mmap_pending, by task, while the access counts admitted
 * @task: that task
 * @file: the dmapi file mapped, held until then
 * @type: the access admitted (DMAPI_EVENT_READ or _WRITE)
 *
 * The VFS links a mapping into the file's only once ->mmap returned.  A
 * right granted in between would find the file unmapped, and a punch
 * under it would free data that the mapping then reads as zeroes, with
 * no event (dm_hole()'s EBUSY check).  The access counts admitted until
 * the call returns to user space instead, the mapping linked or undone;
 * or until an access of the task in the same call would wait
 * (dmfs_mmap_end_earlier()).
 */
struct dmfs_mmap_admitted {
	struct callback_head	work;
	struct hlist_node	link;
	struct task_struct	*task;
	struct file		*file;
	int			type;
};

/* The admissions of mappings whose calls have not returned, by task. */
static DEFINE_SPINLOCK(dmfs_mmap_pending_lock);
static DEFINE_HASHTABLE(dmfs_mmap_pending, 6);

/* Take @a out of the pending ones; whether it was still admitted. */
static bool dmfs_mmap_admitted_unhash(struct dmfs_mmap_admitted *a)
{
	bool admitted;

	spin_lock(&dmfs_mmap_pending_lock);
	admitted = !hlist_unhashed(&a->link);
	if (admitted)
		hash_del(&a->link);
	spin_unlock(&dmfs_mmap_pending_lock);
	return admitted;
}

static void dmfs_mmap_admitted_end(struct callback_head *work)
{
	struct dmfs_mmap_admitted *a =
		container_of(work, struct dmfs_mmap_admitted, work);

	if (dmfs_mmap_admitted_unhash(a))
		dmfs_io_end(file_inode(a->file), a->type);
	fput(a->file);
	kfree(a);
}

/*
 * End @a's admission when the mapping's call returns; at once where it
 * cannot wait for that: a kernel thread never returns to user space, and
 * an exiting task runs no more work.
 */
static void dmfs_mmap_admitted_defer(struct dmfs_mmap_admitted *a)
{
	a->task = current;
	spin_lock(&dmfs_mmap_pending_lock);
	hash_add(dmfs_mmap_pending, &a->link, (unsigned long)current);
	spin_unlock(&dmfs_mmap_pending_lock);
	if (!(current->flags & PF_KTHREAD)) {
		init_task_work(&a->work, dmfs_mmap_admitted_end);
		if (!task_work_add(current, &a->work, TWA_RESUME))
			return;
	}
	dmfs_mmap_admitted_end(&a->work);
}

/* The first of the current task's pending admissions, taken out; or NULL. */
static struct dmfs_mmap_admitted *dmfs_mmap_admitted_next(void)
{
	struct dmfs_mmap_admitted *a;

	spin_lock(&dmfs_mmap_pending_lock);
	hash_for_each_possible(dmfs_mmap_pending, a, link,
			       (unsigned long)current) {
		if (a->task == current) {
			hlist_del_init(&a->link);
			goto out;
		}
	}
	a = NULL;
out:
	spin_unlock(&dmfs_mmap_pending_lock);
	return a;
}

/**
 * dmfs_mmap_end_earlier - end the admissions of the current task's
 *	mappings made earlier in its call
 *
 * For an access about to wait for a DM application or a right.  Those
 * mappings are linked by now: their ->mmap and the VFS's linking came
 * before this access began.  execve() maps a program's segments one by
 * one; a DM application taking a right to answer the event of the
 * second would wait for the first's admission, kept until execve()
 * returns, while the second waited for the right.  The work queued for
 * each then only lets go of its file.
 */
void dmfs_mmap_end_earlier(void)
{
	struct dmfs_mmap_admitted *a;

	while ((a = dmfs_mmap_admitted_next()))
		dmfs_io_end(file_inode(a->file), a->type);
}

/*
 * The lower file a mapping is handed to.  The kernel acts on a shared
 * mapping's file itself, past our file and the events and rights its
 * calls meet: madvise(MADV_REMOVE) punches it (vfs_fallocate()), and
 * remap_file_pages() maps it again at any offset (do_mmap()), also when
 * the mapping was made read-only since.  A shared mapping that may be
 * written gets a lower file open for neither reading nor writing (access
 * mode 3), which both refuse (EBADF, EACCES).  Faults and stores through
 * it need neither mode: they go to the lower file's vm_ops, and stores
 * wait as write(2) does (dmfs_mkwrite()).  Any other mapping has no
 * VM_SHARED, which remap_file_pages() refuses, and cannot be punched.
 * It is opened with no fanotify event, as fanotify opens its own files:
 * it is no open by the user, and it is made under the mmap lock, which a
 * permission listener reading the process's memory would wait for.
 */
static struct file *dmfs_mmap_lower(struct file *lower,
				    const struct vm_area_struct *vma)
{
	int flags = O_ACCMODE | O_LARGEFILE | __FMODE_NONOTIFY;

	if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) !=
	    (VM_SHARED | VM_MAYWRITE) || !(lower->f_mode & FMODE_WRITE))
		return get_file(lower);
	return dentry_open(&lower->f_path, flags | (lower->f_flags & O_NOATIME),
			   lower->f_cred);
}

/**
 * dmfs_mmap - map a dmapi file
 * @file: the dmapi file
 * @vma: the mapping being made
 *
 * Return: 0 or a negative errno.
 */
int dmfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct file *lower = dmfs_lower_file(file);
	struct inode *inode = file_inode(file);
	struct dm_fs *fs = dmfs_dm_fs(inode->i_sb);
	unsigned long flags = vma->vm_flags;
	struct dmfs_mmap_admitted *admitted;
	struct file *mapped;
	loff_t off;
	u64 len;
	int type, err;

	if (!lower->f_op->mmap)
		return -ENODEV;
	/*
	 * The VFS checked our inode, which a chattr or a swapon below the
	 * mount since the file was opened has not reached.
	 */
	if ((vma->vm_flags & VM_SHARED) && IS_APPEND(file_inode(lower)))
		return -EACCES;
	if ((vma->vm_flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE) &&
	    IS_SWAPFILE(file_inode(lower)))
		return -ETXTBSY;
	/* The lower mmap dates the lower file's access as ours allows. */
	err = dmfs_sync_flags(file);
	if (err)
		return err;
	mapped = dmfs_mmap_lower(lower, vma);
	if (IS_ERR(mapped))
		return PTR_ERR(mapped);
	/*
	 * The AIX rule: the events of the whole mapping, before it is made.
	 * A shared mapping of a file open for writing may be made writable
	 * later (mprotect), which calls no filesystem: it sends WRITE.  It
	 * is read too: READ first, where that is wanted, decided as a read
	 * decides; not kept admitted, so that the WRITE event's DM
	 * application may take a right on the file meanwhile.
	 */
	off = (loff_t)vma->vm_pgoff << PAGE_SHIFT;
	len = vma->vm_end - vma->vm_start;
	type = DMAPI_EVENT_READ;
	if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) ==
	    (VM_SHARED | VM_MAYWRITE)) {
		err = dmfs_io_begin(inode, &lower->f_path, type, off, len);
		if (err)
			goto out;
		dmfs_io_end(inode, type);
		type = DMAPI_EVENT_WRITE;
	}
	admitted = kmalloc(sizeof(*admitted), GFP_KERNEL);
	err = -ENOMEM;
	if (!admitted)
		goto out;
	err = dmfs_io_begin(inode, &lower->f_path, type, off, len);
	if (err) {
		kfree(admitted);
		goto out;
	}
	admitted->file = get_file(file);
	admitted->type = type;
	/*
	 * Nor does growing it (mremap): where a DM application takes data
	 * events, a mapping stays within the range its event covered.
	 */
	if (READ_ONCE(fs->disp[DMAPI_EVENT_READ]) ||
	    READ_ONCE(fs->disp[DMAPI_EVENT_WRITE]))
		dm_vm_flags_set(vma, VM_DONTEXPAND);
	vma_set_file(vma, mapped);
	err = call_mmap(mapped, vma);
	if (!err)
		err = dmfs_mmap_keep(file, vma, flags);
	dmfs_mmap_admitted_defer(admitted);
	file_accessed(file);
out:
	fput(mapped);
	return err;
}

/**
 * dmfs_mmap_init - set up a new mount's mapping operations
 * @sbi: the mount
 */
void dmfs_mmap_init(struct dmfs_sb_info *sbi)
{
	mutex_init(&sbi->vm_ops_lock);
	INIT_LIST_HEAD(&sbi->vm_ops);
}

/**
 * dmfs_mmap_exit - free a mount's mapping operations
 * @sbi: the mount, which no mapping holds any more
 */
void dmfs_mmap_exit(struct dmfs_sb_info *sbi)
{
	struct dmfs_vm_ops *o, *next;

	list_for_each_entry_safe(o, next, &sbi->vm_ops, link)
		kfree(o);
}
