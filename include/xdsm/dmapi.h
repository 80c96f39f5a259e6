/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <xdsm/dmapi.h> - the X/Open Data Storage Management API (XDSM, "DMAPI")
 *
 * The interface of The Open Group's C429 (1997) with the types, values and
 * structure layouts of SGI's Linux DMAPI, so that programs written for
 * <xfs/dmapi.h> and -ldm build and run unchanged against libdmapi.
 *
 * Layout rules kept from SGI's ABI: every structure below has the size and
 * field offsets that SGI's header gives on the same architecture (x86_64
 * and i386 are checked by the unit tests).  Do not reorder or retype a
 * field.  Where SGI used time_t, this header uses dm_time_t (a long): the
 * same layout as SGI's on every Linux ABI it supported, but one that does
 * not change when a 32-bit program is built with -D_TIME_BITS=64.
 *
 * Variable-length data inside a structure is described by a dm_vardata_t
 * and reached with DM_GET_VALUE() and DM_GET_LEN(); lists of records are
 * walked with DM_STEP_TO_NEXT().  The _link fields exist for that macro
 * only; applications do not read them.
 *
 * Every function returns 0 on success, or -1 with errno set, except where
 * its prototype says otherwise (dm_handle_cmp, dm_handle_hash,
 * dm_handle_is_valid, dm_handle_free, dm_read_invis, dm_write_invis,
 * dm_open_by_handle).  Each function has a manual page in section 3.
 */
#ifndef _XDSM_DMAPI_H
#define _XDSM_DMAPI_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include <xdsm/dmapi_ioctl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Scalar types. */
typedef __s64		dm_attrloc_t;	/* opaque cursor of the bulk calls */
typedef unsigned int	dm_boolean_t;
typedef __u64		dm_eventset_t;	/* bit n set: event n is in the set */
typedef __u64		dm_fsid_t;
typedef __u64		dm_ino_t;
typedef __u32		dm_igen_t;
typedef __s64		dm_off_t;
typedef unsigned int	dm_sequence_t;
typedef int		dm_sessid_t;
typedef __u64		dm_size_t;
typedef __s64		dm_ssize_t;
typedef int		dm_token_t;

/* Fixed-size stand-ins that keep dm_stat_t identical in every program. */
typedef __s64		dm_dev_t;
typedef int		dm_mode_t;
typedef int		dm_nlink_t;
typedef long		dm_time_t;	/* SGI's time_t: 8 bytes on x86_64, 4 on i386 */

/* Managed region flags (dm_region_t.rg_flags). */
#define DM_REGION_NOEVENT	0x0
#define DM_REGION_READ		DMAPI_REGION_READ
#define DM_REGION_WRITE		DMAPI_REGION_WRITE
#define DM_REGION_TRUNCATE	DMAPI_REGION_TRUNCATE

/* Attribute masks of dm_get_fileattr, dm_set_fileattr and the bulk calls. */
#define DM_AT_MODE		0x0001
#define DM_AT_UID		0x0002
#define DM_AT_GID		0x0004
#define DM_AT_ATIME		0x0008
#define DM_AT_MTIME		0x0010
#define DM_AT_CTIME		0x0020
#define DM_AT_SIZE		0x0040
#define DM_AT_DTIME		0x0080
#define DM_AT_HANDLE		0x0100
#define DM_AT_EMASK		0x0200
#define DM_AT_PMANR		0x0400
#define DM_AT_PATTR		0x0800
#define DM_AT_STAT		0x1000
#define DM_AT_CFLAG		0x2000

#define DM_EV_WAIT		0x1	/* dm_get_events(): block for a message */
#define DM_MOUNT_RDONLY		DMAPI_MOUNT_RDONLY	/* dm_mount_event_t.me_mode */
#define DM_RR_WAIT		DMAPI_RR_WAIT	/* dm_request_right(): block for the right */
#define DM_UNMOUNT_FORCE	DMAPI_UNMOUNT_FORCE	/* ne_mode of PREUNMOUNT, UNMOUNT */
#define DM_WRITE_SYNC		DMAPI_WRITE_SYNC	/* dm_write_invis(): write through */

#define DM_SESSION_INFO_LEN	256	/* including the terminating NUL */
#define DM_NO_SESSION		0
#define DM_TRUE			1
#define DM_FALSE		0
#define DM_INVALID_TOKEN	0
#define DM_NO_TOKEN		(-1)
#define DM_INVALID_HANP		NULL
#define DM_INVALID_HLEN		0

/*
 * The global handle names "all filesystems" (dispositions of MOUNT,
 * configuration queries).  It is recognised by pointer and length, never
 * dereferenced.
 */
#define DM_GLOBAL_HANP		((void *)1L)
#define DM_GLOBAL_HLEN		((size_t)1)

/*
 * What dm_init_service() reports: SGI's string, word for word.  Programs
 * built against SGI's header compare it with their own copy of this macro
 * and refuse to run on any other (SGI's own test suite and sample HSMs do).
 */
#define DM_VER_STR_CONTENTS	"SGI DMAPI (XDSM) API, Release 1.0."

/* Event sets. */
#define DMEV_SET(event_type, event_list) \
	((event_list) |= ((dm_eventset_t)1 << (event_type)))
#define DMEV_CLR(event_type, event_list) \
	((event_list) &= ~((dm_eventset_t)1 << (event_type)))
#define DMEV_ISSET(event_type, event_list) \
	((int)(((event_list) & ((dm_eventset_t)1 << (event_type))) != 0))
#define DMEV_ZERO(event_list) \
	((event_list) = 0)

/* A piece of variable-length data, relative to the struct that holds it. */
typedef struct {
	int		vd_offset;
	unsigned int	vd_length;
} dm_vardata_t;

/* Address of the data described by p->field, as a pointer of type type. */
#define DM_GET_VALUE(p, field, type) \
	((type)((char *)(p) + (p)->field.vd_offset))

/* Length in bytes of the data described by p->field. */
#define DM_GET_LEN(p, field) \
	((p)->field.vd_length)

/* The record after p in a list, or NULL after the last one. */
#define DM_STEP_TO_NEXT(p, type) \
	((type)((p)->_link != 0 ? (char *)(p) + (p)->_link : NULL))

#define DM_ATTR_NAME_SIZE	8

/* The name of a DM attribute: up to 8 bytes, NUL-padded, not terminated. */
struct dm_attrname {
	unsigned char	an_chars[DM_ATTR_NAME_SIZE];
};
typedef struct dm_attrname dm_attrname_t;

/* One record of dm_getall_dmattr(). */
struct dm_attrlist {
	int		_link;
	dm_attrname_t	al_name;
	dm_vardata_t	al_data;
};
typedef struct dm_attrlist dm_attrlist_t;

/* The questions of dm_get_config(). */
typedef enum {
	DM_CONFIG_INVALID	= DMAPI_CONFIG_INVALID,
	DM_CONFIG_BULKALL	= DMAPI_CONFIG_BULKALL,
	DM_CONFIG_CREATE_BY_HANDLE	= DMAPI_CONFIG_CREATE_BY_HANDLE,
	DM_CONFIG_DTIME_OVERLOAD	= DMAPI_CONFIG_DTIME_OVERLOAD,
	DM_CONFIG_LEGACY	= DMAPI_CONFIG_LEGACY,
	DM_CONFIG_LOCK_UPGRADE	= DMAPI_CONFIG_LOCK_UPGRADE,
	DM_CONFIG_MAX_ATTR_ON_DESTROY	= DMAPI_CONFIG_MAX_ATTR_ON_DESTROY,
	DM_CONFIG_MAX_ATTRIBUTE_SIZE	= DMAPI_CONFIG_MAX_ATTRIBUTE_SIZE,
	DM_CONFIG_MAX_HANDLE_SIZE	= DMAPI_CONFIG_MAX_HANDLE_SIZE,
	DM_CONFIG_MAX_MANAGED_REGIONS	= DMAPI_CONFIG_MAX_MANAGED_REGIONS,
	DM_CONFIG_MAX_MESSAGE_DATA	= DMAPI_CONFIG_MAX_MESSAGE_DATA,
	DM_CONFIG_OBJ_REF	= DMAPI_CONFIG_OBJ_REF,
	DM_CONFIG_PENDING	= DMAPI_CONFIG_PENDING,
	DM_CONFIG_PERS_ATTRIBUTES	= DMAPI_CONFIG_PERS_ATTRIBUTES,
	DM_CONFIG_PERS_EVENTS	= DMAPI_CONFIG_PERS_EVENTS,
	DM_CONFIG_PERS_INHERIT_ATTRIBS	= DMAPI_CONFIG_PERS_INHERIT_ATTRIBS,
	DM_CONFIG_PERS_MANAGED_REGIONS	= DMAPI_CONFIG_PERS_MANAGED_REGIONS,
	DM_CONFIG_PUNCH_HOLE	= DMAPI_CONFIG_PUNCH_HOLE,
	DM_CONFIG_TOTAL_ATTRIBUTE_SPACE	= DMAPI_CONFIG_TOTAL_ATTRIBUTE_SPACE,
	DM_CONFIG_WILL_RETRY	= DMAPI_CONFIG_WILL_RETRY
} dm_config_t;

/* Direct I/O constraints of a file (SGI extension, dm_get_dioinfo()). */
struct dm_dioinfo {
	unsigned int	d_mem;		/* buffer alignment */
	unsigned int	d_miniosz;	/* smallest transfer */
	unsigned int	d_maxiosz;	/* largest transfer */
	dm_boolean_t	d_dio_only;	/* the file allows direct I/O only */
};
typedef struct dm_dioinfo dm_dioinfo_t;

/* One record of dm_getall_disp(). */
struct dm_dispinfo {
	int		_link;
	unsigned int	di_pad1;
	dm_vardata_t	di_fshandle;
	dm_eventset_t	di_eventset;
};
typedef struct dm_dispinfo dm_dispinfo_t;

typedef enum {
	DM_EVENT_INVALID	= -1,
	DM_EVENT_CANCEL		= DMAPI_EVENT_CANCEL,
	DM_EVENT_MOUNT		= DMAPI_EVENT_MOUNT,
	DM_EVENT_PREUNMOUNT	= DMAPI_EVENT_PREUNMOUNT,
	DM_EVENT_UNMOUNT	= DMAPI_EVENT_UNMOUNT,
	DM_EVENT_DEBUT		= DMAPI_EVENT_DEBUT,
	DM_EVENT_CREATE		= DMAPI_EVENT_CREATE,
	DM_EVENT_CLOSE		= DMAPI_EVENT_CLOSE,
	DM_EVENT_POSTCREATE	= DMAPI_EVENT_POSTCREATE,
	DM_EVENT_REMOVE		= DMAPI_EVENT_REMOVE,
	DM_EVENT_POSTREMOVE	= DMAPI_EVENT_POSTREMOVE,
	DM_EVENT_RENAME		= DMAPI_EVENT_RENAME,
	DM_EVENT_POSTRENAME	= DMAPI_EVENT_POSTRENAME,
	DM_EVENT_LINK		= DMAPI_EVENT_LINK,
	DM_EVENT_POSTLINK	= DMAPI_EVENT_POSTLINK,
	DM_EVENT_SYMLINK	= DMAPI_EVENT_SYMLINK,
	DM_EVENT_POSTSYMLINK	= DMAPI_EVENT_POSTSYMLINK,
	DM_EVENT_READ		= DMAPI_EVENT_READ,
	DM_EVENT_WRITE		= DMAPI_EVENT_WRITE,
	DM_EVENT_TRUNCATE	= DMAPI_EVENT_TRUNCATE,
	DM_EVENT_ATTRIBUTE	= DMAPI_EVENT_ATTRIBUTE,
	DM_EVENT_DESTROY	= DMAPI_EVENT_DESTROY,
	DM_EVENT_NOSPACE	= DMAPI_EVENT_NOSPACE,
	DM_EVENT_USER		= DMAPI_EVENT_USER,
	DM_EVENT_MAX		= DMAPI_EVENT_MAX
} dm_eventtype_t;

/*
 * One message of dm_get_events() and dm_find_eventmsg().  ev_data holds
 * the event-specific structure below (dm_data_event_t, ...), followed by
 * the data its own dm_vardata_t fields point at.
 */
struct dm_eventmsg {
	int		_link;
	dm_eventtype_t	ev_type;
	dm_token_t	ev_token;	/* DM_INVALID_TOKEN if nobody waits */
	dm_sequence_t	ev_sequence;
	dm_vardata_t	ev_data;
};
typedef struct dm_eventmsg dm_eventmsg_t;

struct dm_cancel_event {
	dm_sequence_t	ce_sequence;
	dm_token_t	ce_token;
};
typedef struct dm_cancel_event dm_cancel_event_t;

/* READ, WRITE, TRUNCATE. */
struct dm_data_event {
	dm_vardata_t	de_handle;
	dm_off_t	de_offset;
	dm_size_t	de_length;
};
typedef struct dm_data_event dm_data_event_t;

/* DESTROY. */
struct dm_destroy_event {
	dm_vardata_t	ds_handle;
	dm_attrname_t	ds_attrname;
	dm_vardata_t	ds_attrcopy;
};
typedef struct dm_destroy_event dm_destroy_event_t;

/* MOUNT. */
struct dm_mount_event {
	mode_t		me_mode;
	dm_vardata_t	me_handle1;
	dm_vardata_t	me_handle2;
	dm_vardata_t	me_name1;
	dm_vardata_t	me_name2;
	dm_vardata_t	me_roothandle;
};
typedef struct dm_mount_event dm_mount_event_t;

/* Namespace events, PREUNMOUNT and UNMOUNT. */
struct dm_namesp_event {
	mode_t		ne_mode;
	dm_vardata_t	ne_handle1;
	dm_vardata_t	ne_handle2;
	dm_vardata_t	ne_name1;
	dm_vardata_t	ne_name2;
	int		ne_retcode;
};
typedef struct dm_namesp_event dm_namesp_event_t;

typedef enum {
	DM_EXTENT_INVALID,
	DM_EXTENT_RES = DMAPI_EXTENT_RES,
	DM_EXTENT_HOLE = DMAPI_EXTENT_HOLE
} dm_extenttype_t;

struct dm_extent {
	dm_extenttype_t	ex_type;
	unsigned int	ex_pad1;
	dm_off_t	ex_offset;
	dm_size_t	ex_length;
};
typedef struct dm_extent dm_extent_t;

/* What dm_set_fileattr() changes, selected by its DM_AT_* mask. */
struct dm_fileattr {
	mode_t		fa_mode;
	uid_t		fa_uid;
	gid_t		fa_gid;
	dm_time_t	fa_atime;
	dm_time_t	fa_mtime;
	dm_time_t	fa_ctime;
	dm_time_t	fa_dtime;
	unsigned int	fa_pad1;
	dm_off_t	fa_size;
};
typedef struct dm_fileattr dm_fileattr_t;

struct dm_inherit {
	dm_attrname_t	ih_name;
	mode_t		ih_filetype;
};
typedef struct dm_inherit dm_inherit_t;

typedef enum {
	DM_MSGTYPE_INVALID,
	DM_MSGTYPE_SYNC,
	DM_MSGTYPE_ASYNC
} dm_msgtype_t;

struct dm_region {
	dm_off_t	rg_offset;
	dm_size_t	rg_size;	/* 0: to the end of the file */
	unsigned int	rg_flags;	/* DM_REGION_* */
	unsigned int	rg_pad1;
};
typedef struct dm_region dm_region_t;

typedef enum {
	DM_RESP_INVALID,
	DM_RESP_CONTINUE,
	DM_RESP_ABORT,
	DM_RESP_DONTCARE
} dm_response_t;

typedef enum {
	DM_RIGHT_NULL = DMAPI_RIGHT_NULL,
	DM_RIGHT_SHARED = DMAPI_RIGHT_SHARED,
	DM_RIGHT_EXCL = DMAPI_RIGHT_EXCL
} dm_right_t;

/* File attributes as dm_get_fileattr() and the bulk calls report them. */
struct dm_stat {
	int		_link;
	dm_vardata_t	dt_handle;
	dm_vardata_t	dt_compname;
	int		dt_nevents;
	dm_eventset_t	dt_emask;
	int		dt_pers;
	int		dt_pmanreg;
	dm_time_t	dt_dtime;
	unsigned int	dt_change;
	unsigned int	dt_pad1;
	dm_dev_t	dt_dev;
	dm_ino_t	dt_ino;
	dm_mode_t	dt_mode;
	dm_nlink_t	dt_nlink;
	uid_t		dt_uid;
	gid_t		dt_gid;
	dm_dev_t	dt_rdev;
	unsigned int	dt_pad2;
	dm_off_t	dt_size;
	dm_time_t	dt_atime;
	dm_time_t	dt_mtime;
	dm_time_t	dt_ctime;
	unsigned int	dt_blksize;
	dm_size_t	dt_blocks;

	/* Filesystem-specific part, kept from SGI's XFS layout. */
	__u64		dt_pad3;
	int		dt_fstype;
	union {
		struct {
			dm_igen_t	igen;
			unsigned int	xflags;
			unsigned int	extsize;
			unsigned int	extents;
			unsigned short	aextents;
			unsigned short	dmstate;
		} sgi_xfs;
	} fsys_dep;
};
typedef struct dm_stat dm_stat_t;

#define dt_xfs_igen	fsys_dep.sgi_xfs.igen
#define dt_xfs_xflags	fsys_dep.sgi_xfs.xflags
#define dt_xfs_extsize	fsys_dep.sgi_xfs.extsize
#define dt_xfs_extents	fsys_dep.sgi_xfs.extents
#define dt_xfs_aextents	fsys_dep.sgi_xfs.aextents
#define dt_xfs_dmstate	fsys_dep.sgi_xfs.dmstate

/* Bits of dt_xfs_xflags. */
#define DM_XFLAG_REALTIME	0x1
#define DM_XFLAG_PREALLOC	0x2
#define DM_XFLAG_HASATTR	0x80000000

struct dm_timestruct {
	dm_time_t	dm_tv_sec;
	int		dm_tv_nsec;
};
typedef struct dm_timestruct dm_timestruct_t;

struct dm_xstat {
	dm_stat_t	dx_statinfo;
	dm_vardata_t	dx_attrdata;
};
typedef struct dm_xstat dm_xstat_t;

/* Initialisation and configuration. */
extern int dm_init_service(char **versionstrpp);
extern int dm_get_config(void *hanp, size_t hlen, dm_config_t flagname,
			 dm_size_t *retvalp);
extern int dm_get_config_events(void *hanp, size_t hlen, unsigned int nelem,
				dm_eventset_t *eventsetp, unsigned int *nelemp);

/* Sessions. */
extern int dm_create_session(dm_sessid_t oldsid, char *sessinfop,
			     dm_sessid_t *newsidp);
extern int dm_destroy_session(dm_sessid_t sid);
extern int dm_getall_sessions(unsigned int nelem, dm_sessid_t *sidbufp,
			      unsigned int *nelemp);
extern int dm_query_session(dm_sessid_t sid, size_t buflen, void *bufp,
			    size_t *rlenp);

/* Events, messages and tokens. */
extern int dm_get_events(dm_sessid_t sid, unsigned int maxmsgs,
			 unsigned int flags, size_t buflen, void *bufp,
			 size_t *rlenp);
extern int dm_respond_event(dm_sessid_t sid, dm_token_t token,
			    dm_response_t response, int reterror,
			    size_t buflen, void *respbufp);
extern int dm_move_event(dm_sessid_t srcsid, dm_token_t token,
			 dm_sessid_t targetsid, dm_token_t *rtokenp);
extern int dm_pending(dm_sessid_t sid, dm_token_t token,
		      dm_timestruct_t *delay);
extern int dm_find_eventmsg(dm_sessid_t sid, dm_token_t token, size_t buflen,
			    void *bufp, size_t *rlenp);
extern int dm_getall_tokens(dm_sessid_t sid, unsigned int nelem,
			    dm_token_t *tokenbufp, unsigned int *nelemp);
extern int dm_create_userevent(dm_sessid_t sid, size_t msglen, void *msgdatap,
			       dm_token_t *tokenp);
extern int dm_send_msg(dm_sessid_t targetsid, dm_msgtype_t msgtype,
		       size_t buflen, void *bufp);

/* Dispositions and event lists. */
extern int dm_set_disp(dm_sessid_t sid, void *hanp, size_t hlen,
		       dm_token_t token, dm_eventset_t *eventsetp,
		       unsigned int maxevent);
extern int dm_getall_disp(dm_sessid_t sid, size_t buflen, void *bufp,
			  size_t *rlenp);
extern int dm_set_eventlist(dm_sessid_t sid, void *hanp, size_t hlen,
			    dm_token_t token, dm_eventset_t *eventsetp,
			    unsigned int maxevent);
extern int dm_get_eventlist(dm_sessid_t sid, void *hanp, size_t hlen,
			    dm_token_t token, unsigned int nelem,
			    dm_eventset_t *eventsetp, unsigned int *nelemp);
extern int dm_get_mountinfo(dm_sessid_t sid, void *hanp, size_t hlen,
			    dm_token_t token, size_t buflen, void *bufp,
			    size_t *rlenp);
extern int dm_set_return_on_destroy(dm_sessid_t sid, void *hanp, size_t hlen,
				    dm_token_t token, dm_attrname_t *attrnamep,
				    dm_boolean_t enable);

/* Handles.  Handles returned by the library are freed with dm_handle_free(). */
extern int dm_path_to_handle(char *path, void **hanpp, size_t *hlenp);
extern int dm_path_to_fshandle(char *path, void **hanpp, size_t *hlenp);
extern int dm_fd_to_handle(int fd, void **hanpp, size_t *hlenp);
extern int dm_handle_to_fshandle(void *hanp, size_t hlen, void **fshanpp,
				 size_t *fshlenp);
extern int dm_handle_to_fsid(void *hanp, size_t hlen, dm_fsid_t *fsidp);
extern int dm_handle_to_ino(void *hanp, size_t hlen, dm_ino_t *inop);
extern int dm_handle_to_igen(void *hanp, size_t hlen, dm_igen_t *igenp);
extern int dm_handle_to_path(void *dirhanp, size_t dirhlen, void *targhanp,
			     size_t targhlen, size_t buflen, char *pathbufp,
			     size_t *rlenp);
extern int dm_handle_cmp(void *hanp1, size_t hlen1, void *hanp2,
			 size_t hlen2);
extern unsigned int dm_handle_hash(void *hanp, size_t hlen);
extern dm_boolean_t dm_handle_is_valid(void *hanp, size_t hlen);
extern void dm_handle_free(void *hanp, size_t hlen);
extern int dm_make_handle(dm_fsid_t *fsidp, dm_ino_t *inop, dm_igen_t *igenp,
			  void **hanpp, size_t *hlenp);
extern int dm_make_fshandle(dm_fsid_t *fsidp, void **hanpp, size_t *hlenp);
/* Opens the object of a file handle; returns a file descriptor or -1. */
extern int dm_open_by_handle(void *hanp, size_t hlen, int mode);

/* Access rights and object references. */
extern int dm_request_right(dm_sessid_t sid, void *hanp, size_t hlen,
			    dm_token_t token, unsigned int flags,
			    dm_right_t right);
extern int dm_release_right(dm_sessid_t sid, void *hanp, size_t hlen,
			    dm_token_t token);
extern int dm_query_right(dm_sessid_t sid, void *hanp, size_t hlen,
			  dm_token_t token, dm_right_t *rightp);
extern int dm_upgrade_right(dm_sessid_t sid, void *hanp, size_t hlen,
			    dm_token_t token);
extern int dm_downgrade_right(dm_sessid_t sid, void *hanp, size_t hlen,
			      dm_token_t token);
extern int dm_obj_ref_hold(dm_sessid_t sid, dm_token_t token, void *hanp,
			   size_t hlen);
extern int dm_obj_ref_rele(dm_sessid_t sid, dm_token_t token, void *hanp,
			   size_t hlen);
extern int dm_obj_ref_query(dm_sessid_t sid, dm_token_t token, void *hanp,
			    size_t hlen);

/* Managed regions. */
extern int dm_set_region(dm_sessid_t sid, void *hanp, size_t hlen,
			 dm_token_t token, unsigned int nelem,
			 dm_region_t *regbufp, dm_boolean_t *exactflagp);
extern int dm_get_region(dm_sessid_t sid, void *hanp, size_t hlen,
			 dm_token_t token, unsigned int nelem,
			 dm_region_t *regbufp, unsigned int *nelemp);

/* File attributes, DM attributes and inheritance. */
extern int dm_get_fileattr(dm_sessid_t sid, void *hanp, size_t hlen,
			   dm_token_t token, unsigned int mask,
			   dm_stat_t *statp);
extern int dm_set_fileattr(dm_sessid_t sid, void *hanp, size_t hlen,
			   dm_token_t token, unsigned int mask,
			   dm_fileattr_t *attrp);
extern int dm_init_attrloc(dm_sessid_t sid, void *hanp, size_t hlen,
			   dm_token_t token, dm_attrloc_t *locp);
extern int dm_get_dirattrs(dm_sessid_t sid, void *hanp, size_t hlen,
			   dm_token_t token, unsigned int mask,
			   dm_attrloc_t *locp, size_t buflen, void *bufp,
			   size_t *rlenp);
extern int dm_get_bulkattr(dm_sessid_t sid, void *hanp, size_t hlen,
			   dm_token_t token, unsigned int mask,
			   dm_attrloc_t *locp, size_t buflen, void *bufp,
			   size_t *rlenp);
extern int dm_get_bulkall(dm_sessid_t sid, void *hanp, size_t hlen,
			  dm_token_t token, unsigned int mask,
			  dm_attrname_t *attrnamep, dm_attrloc_t *locp,
			  size_t buflen, void *bufp, size_t *rlenp);
extern int dm_get_dmattr(dm_sessid_t sid, void *hanp, size_t hlen,
			 dm_token_t token, dm_attrname_t *attrnamep,
			 size_t buflen, void *bufp, size_t *rlenp);
extern int dm_set_dmattr(dm_sessid_t sid, void *hanp, size_t hlen,
			 dm_token_t token, dm_attrname_t *attrnamep,
			 int setdtime, size_t buflen, void *bufp);
extern int dm_remove_dmattr(dm_sessid_t sid, void *hanp, size_t hlen,
			    dm_token_t token, int setdtime,
			    dm_attrname_t *attrnamep);
extern int dm_getall_dmattr(dm_sessid_t sid, void *hanp, size_t hlen,
			    dm_token_t token, size_t buflen, void *bufp,
			    size_t *rlenp);
extern int dm_set_inherit(dm_sessid_t sid, void *hanp, size_t hlen,
			  dm_token_t token, dm_attrname_t *attrnamep,
			  mode_t mode);
extern int dm_clear_inherit(dm_sessid_t sid, void *hanp, size_t hlen,
			    dm_token_t token, dm_attrname_t *attrnamep);
extern int dm_getall_inherit(dm_sessid_t sid, void *hanp, size_t hlen,
			     dm_token_t token, unsigned int nelem,
			     dm_inherit_t *inheritbufp, unsigned int *nelemp);

/* File data. */
extern dm_ssize_t dm_read_invis(dm_sessid_t sid, void *hanp, size_t hlen,
				dm_token_t token, dm_off_t off, dm_size_t len,
				void *bufp);
extern dm_ssize_t dm_write_invis(dm_sessid_t sid, void *hanp, size_t hlen,
				 dm_token_t token, int flags, dm_off_t off,
				 dm_size_t len, void *bufp);
extern int dm_sync_by_handle(dm_sessid_t sid, void *hanp, size_t hlen,
			     dm_token_t token);
extern int dm_punch_hole(dm_sessid_t sid, void *hanp, size_t hlen,
			 dm_token_t token, dm_off_t off, dm_size_t len);
extern int dm_probe_hole(dm_sessid_t sid, void *hanp, size_t hlen,
			 dm_token_t token, dm_off_t off, dm_size_t len,
			 dm_off_t *roffp, dm_size_t *rlenp);
extern int dm_get_allocinfo(dm_sessid_t sid, void *hanp, size_t hlen,
			    dm_token_t token, dm_off_t *offp,
			    unsigned int nelem, dm_extent_t *extentp,
			    unsigned int *nelemp);
/* SGI extension. */
extern int dm_get_dioinfo(dm_sessid_t sid, void *hanp, size_t hlen,
			  dm_token_t token, dm_dioinfo_t *diop);

/* Creating objects by handle. */
extern int dm_create_by_handle(dm_sessid_t sid, void *dirhanp, size_t dirhlen,
			       dm_token_t token, void *hanp, size_t hlen,
			       char *cname);
extern int dm_mkdir_by_handle(dm_sessid_t sid, void *dirhanp, size_t dirhlen,
			      dm_token_t token, void *hanp, size_t hlen,
			      char *cname);
extern int dm_symlink_by_handle(dm_sessid_t sid, void *dirhanp,
				size_t dirhlen, dm_token_t token, void *hanp,
				size_t hlen, char *cname, char *path);

#ifdef __cplusplus
}
#endif

#endif /* _XDSM_DMAPI_H */
