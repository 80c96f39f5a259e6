// SPDX-License-Identifier: GPL-2.0
/*
 * I/O statistics regions: counters of the reads and writes that cover byte
 * ranges of a file, in groups bound to one file each.  They are separate
 * from managed regions: counting generates no event and needs no session.
 * Groups are made, changed and read through the monitor's generic netlink
 * family (monitor.c); an HSM ranks files by them, and dmfilemapd keeps a
 * group equal to a file's extents.
 *
 * The I/O path pays one atomic read while no group exists anywhere, and a
 * hash lookup under RCU otherwise.  Groups live until deleted or until
 * their filesystem is unmounted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <net/netlink.h>

#include "core.h"

/**
 * struct dm_stats_region - counters of one byte range
 * @link: in the group's list, under RCU
 * @id: its id in the group
 * @off: where it starts
 * @len: its length; 0 reaches the end of any file
 * @reads: reads that touched it
 * @writes: writes that touched it
 * @read_bytes: bytes of it read
 * @write_bytes: bytes of it written
 * @rcu: frees it once I/O no longer looks at it
 */
struct dm_stats_region {
	struct list_head	link;
	u32			id;
	s64			off;
	u64			len;
	atomic64_t		reads;
	atomic64_t		writes;
	atomic64_t		read_bytes;
	atomic64_t		write_bytes;
	struct rcu_head		rcu;
};

/**
 * struct dm_stats_group - the statistics regions of one file
 * @hlink: in dm_stats_files by the file's identity, under RCU
 * @id: its id, > 0
 * @fs: the mount it was made on, only compared: a mount of the same
 *	filesystem made while this one's unmount waits has the same fsid
 * @h: the file's handle
 * @alias: a name its creator gave it, NUL-terminated
 * @regions: its regions, in the order added
 * @nregions: how many
 * @next_region: the id the next region gets
 * @rcu: frees it once I/O no longer looks at it
 */
struct dm_stats_group {
	struct hlist_node	hlink;
	u32			id;
	const struct dm_fs	*fs;
	struct dmapi_handle	h;
	char			alias[DMAPI_STATS_ALIAS_LEN];
	struct list_head	regions;
	u32			nregions;
	u32			next_region;
	struct rcu_head		rcu;
};

/* Serialises every change; I/O reads under RCU only. */
static DEFINE_MUTEX(dm_stats_mutex);
static DEFINE_XARRAY_ALLOC1(dm_stats_groups);
static DEFINE_HASHTABLE(dm_stats_files, 8);
/* Groups that exist: while 0, I/O skips the table. */
atomic_t dm_stats_ngroups = ATOMIC_INIT(0);
/* Regions of all groups, against max_stats_regions. */
static unsigned int dm_stats_nregions;
/*
 * Ids are handed out cyclically, so that a monitor of a deleted group
 * does not take a new one for its own.
 */
static u32 dm_stats_next_id;

static u32 dm_stats_hash(u64 fsid, u64 ino)
{
	return hash_64(fsid ^ ino, HASH_BITS(dm_stats_files));
}

/* The bytes of [off, off + len) that fall in @r. */
static u64 dm_stats_overlap(const struct dm_stats_region *r, s64 off, u64 len)
{
	s64 start = max(off, r->off);
	s64 end = off + (s64)len;

	if (r->len && r->off + (s64)r->len < end)
		end = r->off + (s64)r->len;
	return end > start ? end - start : 0;
}

/**
 * dm_stats_io - count a read or write in the statistics regions of a file
 * @fsid: the file's filesystem
 * @lower: the file's lower inode
 * @off: where the I/O started
 * @len: the bytes it moved
 * @write: a write, not a read
 */
void dm_stats_io(u64 fsid, const struct inode *lower, s64 off, u64 len,
		 bool write)
{
	struct dm_stats_region *r;
	struct dm_stats_group *g;
	u64 bytes;

	if (!dm_stats_active() || !len)
		return;
	rcu_read_lock();
	hash_for_each_possible_rcu(dm_stats_files, g, hlink,
				   dm_stats_hash(fsid, lower->i_ino)) {
		if (g->h.fsid != fsid || g->h.fid.fid_ino != lower->i_ino ||
		    g->h.fid.fid_gen != lower->i_generation)
			continue;
		list_for_each_entry_rcu(r, &g->regions, link) {
			bytes = dm_stats_overlap(r, off, len);
			if (!bytes)
				continue;
			atomic64_inc(write ? &r->writes : &r->reads);
			atomic64_add(bytes, write ? &r->write_bytes :
						    &r->read_bytes);
		}
	}
	rcu_read_unlock();
}

/*
 * The filesystem of @h, kept, if @h names a regular file of it.  Holding
 * it keeps the unmount's dm_stats_fs_gone() from running before a group
 * for it is in the tables.
 */
static struct dm_fs *dm_stats_get_fs(const struct dmapi_handle *h)
{
	struct path path;
	struct dm_fs *fs;
	int err;

	if (!h->fsid || h->fid.fid_len != DMAPI_FID_LEN || h->fid.fid_pad)
		return ERR_PTR(-EINVAL);
	fs = dm_fs_get(h->fsid);
	if (!fs)
		return ERR_PTR(-EBADF);
	/*
	 * Resolved in @fs itself: by its fsid again, it could be a new mount
	 * of the same filesystem, registered once this one, unmounting,
	 * left the table, and the group would go with the old one's end.
	 */
	err = fs->ops->resolve(fs, h->fid.fid_ino, h->fid.fid_gen, &path);
	if (!err) {
		if (!d_is_reg(path.dentry))
			err = -EINVAL;
		path_put(&path);
	}
	if (err) {
		dm_fs_put(fs);
		return ERR_PTR(err);
	}
	return fs;
}

/* max_stats_regions counts the groups and their regions together. */
static bool dm_stats_full_locked(void)
{
	lockdep_assert_held(&dm_stats_mutex);
	return atomic_read(&dm_stats_ngroups) + dm_stats_nregions >=
	       READ_ONCE(dm_max_stats_regions);
}

static struct dm_stats_group *dm_stats_find_locked(u32 id)
{
	lockdep_assert_held(&dm_stats_mutex);
	return xa_load(&dm_stats_groups, id);
}

static void dm_stats_hash_add(struct dm_stats_group *g)
{
	hash_add_rcu(dm_stats_files, &g->hlink,
		     dm_stats_hash(g->h.fsid, g->h.fid.fid_ino));
}

/**
 * dm_stats_new_group - make an empty group for a file
 * @h: the file's handle
 * @alias: a name for it, or NULL
 * @id: set to the group's id
 *
 * Return: 0, or -EINVAL (not a regular file's handle, an alias too
 * long), -EBADF (no such managed object), -ENOSPC (max_stats_regions
 * groups exist), -ENOMEM.
 */
int dm_stats_new_group(const struct dmapi_handle *h, const char *alias,
		       u32 *id)
{
	struct dm_stats_group *g;
	struct dm_fs *fs;
	int err;

	if (alias && strlen(alias) >= DMAPI_STATS_ALIAS_LEN)
		return -EINVAL;
	fs = dm_stats_get_fs(h);
	if (IS_ERR(fs))
		return PTR_ERR(fs);
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g) {
		dm_fs_put(fs);
		return -ENOMEM;
	}
	g->fs = fs;
	g->h = *h;
	if (alias)
		strscpy(g->alias, alias, sizeof(g->alias));
	INIT_LIST_HEAD(&g->regions);
	g->next_region = 1;
	mutex_lock(&dm_stats_mutex);
	if (dm_stats_full_locked()) {
		err = -ENOSPC;
		goto out_unlock;
	}
	err = xa_alloc_cyclic(&dm_stats_groups, &g->id, g, xa_limit_31b,
			      &dm_stats_next_id, GFP_KERNEL);
	if (err < 0)
		goto out_unlock;
	dm_stats_hash_add(g);
	atomic_inc(&dm_stats_ngroups);
	dm_live_inc(DM_LIVE_STATS_GROUPS);
	*id = g->id;
	mutex_unlock(&dm_stats_mutex);
	dm_fs_put(fs);
	return 0;

out_unlock:
	mutex_unlock(&dm_stats_mutex);
	dm_fs_put(fs);
	kfree(g);
	return err == -EBUSY ? -ENOSPC : err;
}

/* Take @g out of every table and free it once readers are done. */
static void dm_stats_remove_locked(struct dm_stats_group *g)
{
	struct dm_stats_region *r, *next;

	lockdep_assert_held(&dm_stats_mutex);
	xa_erase(&dm_stats_groups, g->id);
	hash_del_rcu(&g->hlink);
	atomic_dec(&dm_stats_ngroups);
	dm_live_dec(DM_LIVE_STATS_GROUPS);
	list_for_each_entry_safe(r, next, &g->regions, link) {
		list_del_rcu(&r->link);
		kfree_rcu(r, rcu);
		dm_live_dec(DM_LIVE_STATS_REGIONS);
	}
	dm_stats_nregions -= g->nregions;
	kfree_rcu(g, rcu);
}

/**
 * dm_stats_del_group - delete a group and its regions
 * @id: the group
 *
 * Return: 0, or -ENOENT (no such group).
 */
int dm_stats_del_group(u32 id)
{
	struct dm_stats_group *g;
	int err = -ENOENT;

	mutex_lock(&dm_stats_mutex);
	g = dm_stats_find_locked(id);
	if (g) {
		dm_stats_remove_locked(g);
		err = 0;
	}
	mutex_unlock(&dm_stats_mutex);
	return err;
}

/**
 * dm_stats_set_file - bind a group to another file, keeping its regions
 *	and their counts
 * @id: the group
 * @h: the new file's handle
 *
 * For a monitor that follows a path whose file was replaced.
 *
 * Return: 0, or -ENOENT (no such group), the errors of
 * dm_stats_new_group()'s handle.
 */
int dm_stats_set_file(u32 id, const struct dmapi_handle *h)
{
	struct dm_stats_group *g;
	struct dm_fs *fs;
	int err = 0;

	fs = dm_stats_get_fs(h);
	if (IS_ERR(fs))
		return PTR_ERR(fs);
	mutex_lock(&dm_stats_mutex);
	g = dm_stats_find_locked(id);
	if (!g) {
		err = -ENOENT;
	} else {
		/*
		 * I/O of the old file may still count for a moment.  The
		 * group now ends with the new file's mount, whose reference
		 * keeps dm_stats_fs_gone() from passing it by meanwhile.
		 */
		hash_del_rcu(&g->hlink);
		synchronize_rcu();
		g->h = *h;
		g->fs = fs;
		dm_stats_hash_add(g);
	}
	mutex_unlock(&dm_stats_mutex);
	dm_fs_put(fs);
	return err;
}

/**
 * dm_stats_add_region - add a region to a group
 * @id: the group
 * @off: where the region starts, >= 0
 * @len: its length; 0 reaches the end of any file
 * @region: set to its id in the group
 *
 * Return: 0, or -ENOENT (no such group), -EINVAL (a negative offset, a
 * range past the largest offset), -ENOSPC (max_stats_regions reached, or
 * DMAPI_STATS_MAX_GROUP_REGIONS in the group), -ENOMEM.
 */
int dm_stats_add_region(u32 id, s64 off, u64 len, u32 *region)
{
	struct dm_stats_group *g;
	struct dm_stats_region *r;
	int err = 0;

	if (off < 0 || len > (u64)(LLONG_MAX - off))
		return -EINVAL;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->off = off;
	r->len = len;
	mutex_lock(&dm_stats_mutex);
	g = dm_stats_find_locked(id);
	if (!g)
		err = -ENOENT;
	else if (dm_stats_full_locked() ||
		 g->nregions >= DMAPI_STATS_MAX_GROUP_REGIONS ||
		 g->next_region == U32_MAX)
		err = -ENOSPC;
	if (err) {
		mutex_unlock(&dm_stats_mutex);
		kfree(r);
		return err;
	}
	r->id = g->next_region++;
	list_add_tail_rcu(&r->link, &g->regions);
	g->nregions++;
	dm_stats_nregions++;
	dm_live_inc(DM_LIVE_STATS_REGIONS);
	*region = r->id;
	mutex_unlock(&dm_stats_mutex);
	return 0;
}

/**
 * dm_stats_del_region - delete a region of a group
 * @id: the group
 * @region: the region
 *
 * Return: 0, or -ENOENT (no such group or region).
 */
int dm_stats_del_region(u32 id, u32 region)
{
	struct dm_stats_region *r;
	struct dm_stats_group *g;
	int err = -ENOENT;

	mutex_lock(&dm_stats_mutex);
	g = dm_stats_find_locked(id);
	if (!g)
		goto out;
	list_for_each_entry(r, &g->regions, link) {
		if (r->id != region)
			continue;
		list_del_rcu(&r->link);
		kfree_rcu(r, rcu);
		dm_live_dec(DM_LIVE_STATS_REGIONS);
		g->nregions--;
		dm_stats_nregions--;
		err = 0;
		break;
	}
out:
	mutex_unlock(&dm_stats_mutex);
	return err;
}

static int dm_stats_fill_region(struct sk_buff *skb,
				const struct dm_stats_region *r)
{
	struct nlattr *nest = nla_nest_start(skb, DMAPI_A_STATS_REGION);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, DMAPI_A_REGION, r->id) ||
	    nla_put_s64(skb, DMAPI_A_OFFSET, r->off, DMAPI_A_PAD) ||
	    nla_put_u64_64bit(skb, DMAPI_A_LENGTH, r->len, DMAPI_A_PAD) ||
	    nla_put_u64_64bit(skb, DMAPI_A_READS, atomic64_read(&r->reads),
			      DMAPI_A_PAD) ||
	    nla_put_u64_64bit(skb, DMAPI_A_WRITES, atomic64_read(&r->writes),
			      DMAPI_A_PAD) ||
	    nla_put_u64_64bit(skb, DMAPI_A_READ_BYTES,
			      atomic64_read(&r->read_bytes), DMAPI_A_PAD) ||
	    nla_put_u64_64bit(skb, DMAPI_A_WRITE_BYTES,
			      atomic64_read(&r->write_bytes), DMAPI_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int dm_stats_fill_group(struct sk_buff *skb,
			       const struct dm_stats_group *g)
{
	const struct dm_stats_region *r;
	struct nlattr *nest;

	if (nla_put_u32(skb, DMAPI_A_GROUP, g->id) ||
	    nla_put_u64_64bit(skb, DMAPI_A_FSID, g->h.fsid, DMAPI_A_PAD) ||
	    nla_put(skb, DMAPI_A_HANDLE, DMAPI_HANDLE_LEN, &g->h) ||
	    nla_put_string(skb, DMAPI_A_NAME, g->alias))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, DMAPI_A_REGIONS);
	if (!nest)
		return -EMSGSIZE;
	list_for_each_entry(r, &g->regions, link)
		if (dm_stats_fill_region(skb, r))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/**
 * dm_stats_fill - write a group's attributes and regions to a message
 * @skb: the message
 * @id: the group
 *
 * Return: 0, -ENOENT (no such group), -EMSGSIZE (no room).
 */
int dm_stats_fill(struct sk_buff *skb, u32 id)
{
	struct dm_stats_group *g;
	int err;

	mutex_lock(&dm_stats_mutex);
	g = dm_stats_find_locked(id);
	err = g ? dm_stats_fill_group(skb, g) : -ENOENT;
	mutex_unlock(&dm_stats_mutex);
	return err;
}

/**
 * dm_stats_next - the id of the first group at or above an id
 * @id: where to look from
 *
 * Return: the id, or 0 when there is none.
 */
u32 dm_stats_next(u32 id)
{
	unsigned long index = id;

	return xa_find(&dm_stats_groups, &index, U32_MAX, XA_PRESENT) ?
	       (u32)index : 0;
}

/**
 * dm_stats_fs_gone - delete the groups of a filesystem going away
 * @fs: the filesystem, unregistered, no handle call using it any more
 */
void dm_stats_fs_gone(const struct dm_fs *fs)
{
	struct dm_stats_group *g;
	unsigned long id;

	mutex_lock(&dm_stats_mutex);
	xa_for_each(&dm_stats_groups, id, g)
		if (g->fs == fs)
			dm_stats_remove_locked(g);
	mutex_unlock(&dm_stats_mutex);
}

/**
 * dm_stats_exit - delete every group, at module unload
 */
void dm_stats_exit(void)
{
	struct dm_stats_group *g;
	unsigned long id;

	mutex_lock(&dm_stats_mutex);
	xa_for_each(&dm_stats_groups, id, g)
		dm_stats_remove_locked(g);
	mutex_unlock(&dm_stats_mutex);
	rcu_barrier();
	xa_destroy(&dm_stats_groups);
}
