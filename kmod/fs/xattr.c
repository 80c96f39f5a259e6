// SPDX-License-Identifier: GPL-2.0
/*
 * Extended attributes: every namespace passes through to the lower
 * object, except trusted.dmapi.*, where the persistent DMAPI state lives:
 * through the mount it is invisible (absent from lists, ENODATA to read)
 * and untouchable (EPERM to set or remove).
 */
#include <linux/cred.h>
#include <linux/slab.h>
#include <linux/xattr.h>

#include "dmapifs.h"

static bool dmfs_xattr_reserved(const char *name)
{
	return !strncmp(name, DMAPI_XATTR_PREFIX, strlen(DMAPI_XATTR_PREFIX));
}

/*
 * The VFS converts security.capability between the caller's user
 * namespace and the stored form at our level already.  Converted again
 * below in the caller's namespace, a value would be taken for another
 * (an exec failing EOVERFLOW, a setcap EINVAL, a chown keeping the
 * capabilities).  Below, it is converted in the mounter's, the initial
 * one (a dmapi mount needs it), where it stays as it is, as overlayfs
 * does; the caller was checked at our level.
 */
static bool dmfs_xattr_converted(const char *name)
{
	return !strcmp(name, XATTR_NAME_CAPS);
}

static int dmfs_xattr_get(const struct xattr_handler *handler,
			  struct dentry *dentry, struct inode *inode,
			  const char *name, void *buffer, size_t size)
{
	const struct cred *old = NULL;
	int ret;

	if (dmfs_xattr_reserved(name))
		return -ENODATA;
	if (dmfs_xattr_converted(name))
		old = override_creds(DMFS_SB(inode->i_sb)->mounter_cred);
	ret = vfs_getxattr(dmfs_lower_idmap(inode->i_sb),
			   dmfs_lower_dentry(dentry), name, buffer, size);
	if (old)
		revert_creds(old);
	return ret;
}

static int dmfs_xattr_set_lower(struct super_block *sb, struct vfsmount *mnt,
				struct dentry *lower, const char *name,
				const void *value, size_t size, int flags)
{
	const struct cred *old;
	int err;

	if (!value)
		return vfs_removexattr(dm_mnt_idmap(mnt), lower, name);
	if (!dmfs_xattr_converted(name))
		return vfs_setxattr(dm_mnt_idmap(mnt), lower, name, value, size,
				    flags);
	old = override_creds(DMFS_SB(sb)->mounter_cred);
	err = vfs_setxattr(dm_mnt_idmap(mnt), lower, name, value, size, flags);
	revert_creds(old);
	return err;
}

static int dmfs_xattr_set(const struct xattr_handler *handler,
			  dm_idmap_t *idmap, struct dentry *dentry,
			  struct inode *inode, const char *name,
			  const void *value, size_t size, int flags)
{
	struct vfsmount *mnt = dmfs_lower_mnt(dentry->d_sb);
	struct dentry *lower = dmfs_lower_dentry(dentry);
	int err;

	if (dmfs_xattr_reserved(name))
		return -EPERM;
	err = dmfs_attr_begin(inode);
	if (err)
		return err;
	err = mnt_want_write(mnt);
	if (!err) {
		err = dmfs_xattr_set_lower(dentry->d_sb, mnt, lower, name,
					   value, size, flags);
		mnt_drop_write(mnt);
	}
	dmfs_attr_end(inode);
	dmfs_copyattr(inode);
	if (!err)
		dmfs_attr_changed(dentry);
	return err;
}

/*
 * The catch-all handler: its empty prefix matches every name the VFS
 * does not handle itself.
 */
static const struct xattr_handler dmfs_xattr_handler = {
	.prefix	= "",
	.get	= dmfs_xattr_get,
	.set	= dmfs_xattr_set,
};

dm_xattr_handler_t dmfs_xattr_handlers[] = {
	&dmfs_xattr_handler,
	NULL
};

/* Remove the reserved names from a list of @len bytes; returns the rest. */
static ssize_t dmfs_filter_list(char *list, ssize_t len)
{
	char *src = list, *dst = list, *end = list + len;

	while (src < end) {
		size_t n = strnlen(src, end - src) + 1;

		if (!dmfs_xattr_reserved(src)) {
			memmove(dst, src, n);
			dst += n;
		}
		src += n;
	}
	return dst - list;
}

/**
 * dmfs_listxattr - the lower object's xattr names without trusted.dmapi.*
 * @dentry: the dmapi object
 * @list: where to store the names, or NULL to ask for the size
 * @size: its size
 *
 * Return: the bytes of the list, or a negative errno (-ERANGE when @size
 * is too small).
 */
ssize_t dmfs_listxattr(struct dentry *dentry, char *list, size_t size)
{
	ssize_t len;
	char *buf;

	/* The hidden names count in the lower size: fetch, filter, copy. */
	len = dm_xattr_list(dmfs_lower_dentry(dentry), &buf);
	if (len > 0) {
		len = dmfs_filter_list(buf, len);
		if (size && len > size)
			len = -ERANGE;
		else if (size)
			memcpy(list, buf, len);
	}
	kvfree(buf);
	return len;
}
