// SPDX-License-Identifier: GPL-2.0
/*
 * Managed regions: byte ranges of a regular file whose reads, writes and
 * truncations the DM application wants to hear of.  A file has up to
 * max_regions of them, not overlapping, kept byte for byte (so
 * dm_set_region() is always exact) in the lower inode's
 * trusted.dmapi.regions: they outlive the mount and a reboot.
 */
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "core.h"

#define DM_XATTR_REGIONS	"trusted.dmapi.regions"
#define DM_REGION_FLAGS		(DMAPI_REGION_READ | DMAPI_REGION_WRITE | \
				 DMAPI_REGION_TRUNCATE)

/* A region as stored: little-endian, 24 bytes. */
struct dm_region_disk {
	__le64	offset;
	__le64	size;
	__le32	flags;
	__le32	pad;
};

static int dm_region_cmp(const void *a, const void *b)
{
	const struct dmapi_region *ra = a, *rb = b;

	if (ra->rg_offset != rb->rg_offset)
		return ra->rg_offset < rb->rg_offset ? -1 : 1;
	return 0;
}

/* The first byte after @r; a size of 0 reaches the end of any file. */
static u64 dm_region_end(const struct dmapi_region *r)
{
	return r->rg_size ? r->rg_offset + r->rg_size : U64_MAX;
}

/* Sort @n regions and check them: valid flags, no overflow, no overlap. */
static int dm_regions_check(struct dmapi_region *r, u32 n)
{
	u32 i;

	sort(r, n, sizeof(*r), dm_region_cmp, NULL);
	for (i = 0; i < n; i++) {
		if (r[i].rg_offset < 0 || r[i].rg_flags & ~DM_REGION_FLAGS)
			return -EINVAL;
		if (r[i].rg_size > (u64)LLONG_MAX - r[i].rg_offset)
			return -EINVAL;
		if (i && (u64)r[i].rg_offset < dm_region_end(&r[i - 1]))
			return -EINVAL;
	}
	return 0;
}

/**
 * dm_ioc_set_region - DMAPI_IOC_SET_REGION
 * @uarg: struct dmapi_region_arg
 *
 * Replaces the file's regions with the ones given; none clears them.
 *
 * Return: 0 with exact set, or -E2BIG (more than max_regions), -EINVAL (no
 * such session, not a regular file's handle, overlapping regions, unknown
 * flags, negative offsets), -ESRCH, the errors of dm_call_right_begin(),
 * -EBADF, the errno of storing them, -ENOMEM, -EFAULT (exactp cannot be
 * written: the regions are left as they were, unless it was unmapped
 * since it was probed).
 */
long dm_ioc_set_region(void __user *uarg)
{
	struct dm_region_disk *disk = NULL;
	struct dmapi_region *r = NULL;
	struct dmapi_region_arg arg;
	struct dm_call_right cr;
	struct dm_result exact;
	struct path path;
	u32 i;
	int err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* nelem_out is GET_REGION's. */
	if (arg.padding || arg.nelem_out)
		return -EINVAL;
	if (arg.nelem > READ_ONCE(dm_max_regions))
		return -E2BIG;
	exact = dm_result_at(arg.exactp, sizeof(arg.exact));
	if (dm_result_probe(&exact))
		return -EFAULT;
	if (arg.nelem) {
		r = memdup_user(u64_to_user_ptr(arg.regions),
				arg.nelem * sizeof(*r));
		if (IS_ERR(r))
			return PTR_ERR(r);
		disk = kcalloc(arg.nelem, sizeof(*disk), GFP_KERNEL);
		err = -ENOMEM;
		if (!disk)
			goto out_free;
	}
	err = dm_regions_check(r, arg.nelem);
	if (err)
		goto out_free;
	for (i = 0; i < arg.nelem; i++) {
		disk[i].offset = cpu_to_le64(r[i].rg_offset);
		disk[i].size = cpu_to_le64(r[i].rg_size);
		disk[i].flags = cpu_to_le32(r[i].rg_flags);
	}
	err = dm_handle_object(arg.sid, arg.token, arg.hanp, arg.hlen,
			       DMAPI_RIGHT_EXCL, DM_CALL_DECIDES | DM_CALL_FILE,
			       &path, &cr);
	if (err)
		goto out_free;
	err = dm_xattr_store(&path, DM_XATTR_REGIONS, disk,
			     arg.nelem * sizeof(*disk));
	dm_interest_changed();
	dm_call_right_end(&cr);
	path_put(&path);
	if (err)
		goto out_free;
	arg.exact = 1;
	if (copy_to_user(uarg, &arg, sizeof(arg)) ||
	    dm_result_put(&exact, arg.exact))
		err = -EFAULT;
out_free:
	kfree(disk);
	kfree(r);
	return err;
}

/**
 * dm_regions_load - the managed regions of a file
 * @path: the file's lower path
 * @r: room for DMAPI_MAX_REGIONS_LIMIT regions
 *
 * Return: how many there are, or a negative errno (-EIO when what is
 * stored is not regions).
 */
int dm_regions_load(const struct path *path, struct dmapi_region *r)
{
	struct dm_region_disk *disk;
	ssize_t len;
	int i, n;

	disk = kcalloc(DMAPI_MAX_REGIONS_LIMIT, sizeof(*disk), GFP_KERNEL);
	if (!disk)
		return -ENOMEM;
	len = dm_xattr_load(path, DM_XATTR_REGIONS, disk,
			    DMAPI_MAX_REGIONS_LIMIT * sizeof(*disk));
	n = len < 0 ? len : len / sizeof(*disk);
	if (len > 0 && len % sizeof(*disk))
		n = -EIO;
	for (i = 0; i < n; i++) {
		r[i].rg_offset = le64_to_cpu(disk[i].offset);
		r[i].rg_size = le64_to_cpu(disk[i].size);
		r[i].rg_flags = le32_to_cpu(disk[i].flags);
		r[i].rg_pad = 0;
	}
	kfree(disk);
	return n;
}

/**
 * dm_ioc_get_region - DMAPI_IOC_GET_REGION
 * @uarg: struct dmapi_region_arg
 *
 * Return: 0 with the file's regions in ascending offset order and their
 * number in nelem_out, or -E2BIG with that number when nelem is smaller,
 * -EINVAL (no such session, not a regular file's handle), -ESRCH, the
 * errors of dm_call_right_begin(), -EBADF, -EIO (what is stored is not
 * regions), -ENOMEM, -EFAULT.
 */
long dm_ioc_get_region(void __user *uarg)
{
	struct dmapi_region_arg arg;
	struct dm_call_right cr;
	struct dmapi_region *r;
	struct path path;
	int n, err;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	/* exact and exactp are SET_REGION's. */
	if (arg.padding || arg.exactp || arg.exact)
		return -EINVAL;
	err = dm_handle_object(arg.sid, arg.token, arg.hanp, arg.hlen,
			       DMAPI_RIGHT_SHARED, DM_CALL_FILE, &path, &cr);
	if (err)
		return err;
	r = kcalloc(DMAPI_MAX_REGIONS_LIMIT, sizeof(*r), GFP_KERNEL);
	n = r ? dm_regions_load(&path, r) : -ENOMEM;
	dm_call_right_end(&cr);
	path_put(&path);
	err = n < 0 ? n : 0;
	if (err)
		goto out;
	arg.nelem_out = n;
	if (arg.nelem < n)
		err = -E2BIG;
	else if (n && copy_to_user(u64_to_user_ptr(arg.regions), r,
				   n * sizeof(*r)))
		err = -EFAULT;
	if (err != -EFAULT && copy_to_user(uarg, &arg, sizeof(arg)))
		err = -EFAULT;
out:
	kfree(r);
	return err;
}
