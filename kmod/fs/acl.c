// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX ACLs, read and written on the lower object.  The VFS asks the
 * inode for them where it checks permission itself (check_acl(), and a
 * filesystem stacked on ours), and since 6.2 for every xattr call on an
 * ACL name too.  Read through an idmapped lower mount, their ids are
 * mapped as that mount shows them, as the owners are (dmfs_copyattr()).
 */
#include "dmapifs.h"

#include <linux/mount.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>

/*
 * @acl, of @lower, as the lower mount shows it: a copy with its named
 * users and groups mapped when the mount is idmapped.  Takes @acl's
 * reference.
 */
static struct posix_acl *dmfs_acl_mapped(struct super_block *sb,
					 struct inode *lower,
					 struct posix_acl *acl)
{
	struct user_namespace *fs_userns = i_user_ns(lower);
	dm_idmap_t *idmap = dmfs_lower_idmap(sb);
	struct posix_acl *clone;
	unsigned int i;

	if (IS_ERR_OR_NULL(acl) || !is_idmapped_mnt(dmfs_lower_mnt(sb)))
		return acl;
	clone = posix_acl_clone(acl, GFP_KERNEL);
	posix_acl_release(acl);
	if (!clone)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < clone->a_count; i++) {
		struct posix_acl_entry *e = &clone->a_entries[i];

		if (e->e_tag == ACL_USER)
			e->e_uid = vfsuid_into_kuid(make_vfsuid(idmap, fs_userns,
								e->e_uid));
		else if (e->e_tag == ACL_GROUP)
			e->e_gid = vfsgid_into_kgid(make_vfsgid(idmap, fs_userns,
								e->e_gid));
	}
	return clone;
}

/**
 * dmfs_get_inode_acl - the lower inode's ACL, for a permission check
 * @inode: the dmapi inode
 * @type: ACL_TYPE_ACCESS or ACL_TYPE_DEFAULT
 * @rcu: called in an RCU walk
 *
 * Without it, the VFS would cache "no ACL" in our inode, which keeps none
 * (ACL_DONT_CACHE).
 *
 * Return: the ACL, NULL, or an ERR_PTR (-ECHILD in an RCU walk).
 */
struct posix_acl *dmfs_get_inode_acl(struct inode *inode, int type, bool rcu)
{
	struct inode *lower = dmfs_lower_inode(inode);

	if (rcu)
		return ERR_PTR(-ECHILD);
	return dmfs_acl_mapped(inode->i_sb, lower, dm_get_inode_acl(lower, type));
}

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
	struct dentry *lower = dmfs_lower_dentry(dentry);

	return dmfs_acl_mapped(dentry->d_sb, d_inode(lower),
			       vfs_get_acl(dmfs_lower_idmap(dentry->d_sb), lower,
					   dmfs_acl_name(type)));
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

	err = dmfs_attr_begin(d_inode(dentry));
	if (err)
		return err;
	err = mnt_want_write(mnt);
	if (err)
		goto out;
	if (acl)
		err = vfs_set_acl(dm_mnt_idmap(mnt), lower, dmfs_acl_name(type),
				  acl);
	else
		err = vfs_remove_acl(dm_mnt_idmap(mnt), lower,
				     dmfs_acl_name(type));
	mnt_drop_write(mnt);
out:
	dmfs_attr_end(d_inode(dentry));
	dmfs_copyattr(d_inode(dentry));
	if (!err)
		dmfs_attr_changed(dentry);
	return err;
}

#endif /* DM_HAVE_ACL_IOPS */
