// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX ACLs, on kernels where the VFS hands them to inode operations
 * instead of xattr handlers: read and written on the lower object.
 */
#include "dmapifs.h"

#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>

#ifdef DM_HAVE_ACL_IOPS

static const char *dmfs_acl_name(int type)
{
	return type == ACL_TYPE_ACCESS ? XATTR_NAME_POSIX_ACL_ACCESS :
					 XATTR_NAME_POSIX_ACL_DEFAULT;
}

/**
 * dmfs_get_acl - the lower object's ACL
 * @idmap: the idmapping of our mount
 * @dentry: the dmapi object
 * @type: ACL_TYPE_ACCESS or ACL_TYPE_DEFAULT
 *
 * Return: the ACL, NULL, or an ERR_PTR.
 */
struct posix_acl *dmfs_get_acl(dm_idmap_t *idmap, struct dentry *dentry,
			       int type)
{
	return vfs_get_acl(dmfs_lower_idmap(dentry->d_sb),
			   dmfs_lower_dentry(dentry), dmfs_acl_name(type));
}

/**
 * dmfs_set_acl - set or remove the lower object's ACL
 * @idmap: the idmapping of our mount
 * @dentry: the dmapi object
 * @acl: the ACL, or NULL to remove it
 * @type: ACL_TYPE_ACCESS or ACL_TYPE_DEFAULT
 *
 * Return: 0 or a negative errno.
 */
int dmfs_set_acl(dm_idmap_t *idmap, struct dentry *dentry,
		 struct posix_acl *acl, int type)
{
	struct vfsmount *mnt = dmfs_lower_mnt(dentry->d_sb);
	struct dentry *lower = dmfs_lower_dentry(dentry);
	int err;

	err = mnt_want_write(mnt);
	if (err)
		return err;
	if (acl)
		err = vfs_set_acl(dm_mnt_idmap(mnt), lower, dmfs_acl_name(type),
				  acl);
	else
		err = vfs_remove_acl(dm_mnt_idmap(mnt), lower,
				     dmfs_acl_name(type));
	mnt_drop_write(mnt);
	dmfs_copyattr(d_inode(dentry));
	if (!err)
		dmfs_attr_changed(dentry);
	return err;
}

#endif /* DM_HAVE_ACL_IOPS */
