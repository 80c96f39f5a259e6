/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR LGPL-2.1-or-later) */
/*
 * dmapi_ioctl.h - the kernel/user protocol of /dev/dmapi
 *
 * This header is shared verbatim by dmapi.ko and libdmapi.  Applications
 * do not include it: they use <xdsm/dmapi.h> and the dm_* functions.
 *
 * Every call of the Data Management API that needs the kernel is one ioctl
 * on /dev/dmapi with one argument struct.  The structs use fixed-width
 * types only, carry user pointers as __u64 and are padded to a multiple of
 * 8 bytes, so their layout is the same for 32-bit and 64-bit programs and
 * the 64-bit kernel serves both without translation (compat_ptr_ioctl).
 *
 * Protocol changelog:
 *
 * 1.0
 *  - DMAPI_IOC_VERSION, sessions, user events, messages and tokens,
 *    configuration queries.
 *
 * 1.1
 *  - DMAPI_IOC_FD_TO_HANDLE, DMAPI_IOC_OPEN_BY_HANDLE,
 *    DMAPI_IOC_HANDLE_TO_PATH: handles of objects of dmapi filesystems.
 *
 * 1.2
 *  - MOUNT, PREUNMOUNT and UNMOUNT events; DMAPI_IOC_SET_DISP,
 *    DMAPI_IOC_GETALL_DISP, DMAPI_IOC_SET_EVENTLIST,
 *    DMAPI_IOC_GET_EVENTLIST, DMAPI_IOC_GET_MOUNTINFO,
 *    DMAPI_IOC_SET_RETURN_ON_DESTROY.
 *
 * 1.3
 *  - DMAPI_IOC_SET_REGION, DMAPI_IOC_GET_REGION, DMAPI_IOC_READ_INVIS,
 *    DMAPI_IOC_WRITE_INVIS, DMAPI_IOC_PUNCH_HOLE, DMAPI_IOC_PROBE_HOLE,
 *    DMAPI_IOC_GET_ALLOCINFO, DMAPI_IOC_SYNC_BY_HANDLE,
 *    DMAPI_IOC_GET_DIOINFO.
 *
 * 1.4
 *  - Access rights and object references bound to tokens:
 *    DMAPI_IOC_REQUEST_RIGHT, DMAPI_IOC_RELEASE_RIGHT,
 *    DMAPI_IOC_QUERY_RIGHT, DMAPI_IOC_UPGRADE_RIGHT,
 *    DMAPI_IOC_DOWNGRADE_RIGHT, DMAPI_IOC_OBJ_REF_HOLD,
 *    DMAPI_IOC_OBJ_REF_RELE, DMAPI_IOC_OBJ_REF_QUERY.
 *  - READ, WRITE, TRUNCATE and NOSPACE events (struct dmapi_data_msg).
 *
 * 1.5
 *  - DM attributes: DMAPI_IOC_SET_DMATTR, DMAPI_IOC_GET_DMATTR,
 *    DMAPI_IOC_REMOVE_DMATTR, DMAPI_IOC_GETALL_DMATTR.
 *
 * 1.6
 *  - Namespace events CREATE, REMOVE, RENAME, LINK, SYMLINK and their
 *    POST* events; ATTRIBUTE, CLOSE, DESTROY (struct dmapi_destroy_msg)
 *    and CANCEL (struct dmapi_cancel_msg).
 *
 * 1.7
 *  - File attributes and directory scans: DMAPI_IOC_GET_FILEATTR,
 *    DMAPI_IOC_SET_FILEATTR, DMAPI_IOC_INIT_ATTRLOC,
 *    DMAPI_IOC_GET_DIRATTRS, DMAPI_IOC_GET_BULKATTR (struct dmapi_stat
 *    records).
 *  - Inheritance: DMAPI_IOC_SET_INHERIT, DMAPI_IOC_CLEAR_INHERIT,
 *    DMAPI_IOC_GETALL_INHERIT.  Creation by handle:
 *    DMAPI_IOC_CREATE_BY_HANDLE.
 *
 * 1.8
 *  - Monitoring: the generic netlink family "dmapi" (DMAPI_GENL_NAME,
 *    version 1): DMAPI_CMD_GET_FS, DMAPI_CMD_GET_SESSION,
 *    DMAPI_CMD_GET_MONITOR and the multicast group "events"
 *    (DMAPI_CMD_EVENT).
 *  - I/O statistics regions over the same family: DMAPI_CMD_STATS_NEW,
 *    DMAPI_CMD_STATS_DEL, DMAPI_CMD_STATS_SET, DMAPI_CMD_STATS_ADD,
 *    DMAPI_CMD_STATS_REMOVE, DMAPI_CMD_STATS_GET.
 *
 * 1.9
 *  - DMAPI_IOC_OPEN_BY_HANDLE takes O_PATH (before: EINVAL).
 *
 * 1.10
 *  - Every call but DMAPI_IOC_VERSION fails with EINVAL when a "padding"
 *    or "reserved" field of its argument, or the fa_pad of the attributes
 *    DMAPI_IOC_SET_FILEATTR takes, is not zero (before: ignored), so that
 *    a later minor version may give them a meaning that older modules
 *    refuse.  The rg_pad of regions is not checked: it is the padding of
 *    the application's own dm_region_t, which the library passes as it is.
 *
 * 1.11
 *  - DMAPI_IOC_CREATE_SESSION (newsidp), DMAPI_IOC_CREATE_USEREVENT
 *    (tokenp), DMAPI_IOC_GET_EVENTS (rlenp), DMAPI_IOC_MOVE_EVENT
 *    (rtokenp) and DMAPI_IOC_SET_REGION (exactp) take the user address of
 *    the caller's own result, formerly a reserved field: the module checks
 *    that it can store there before the call has an effect it cannot
 *    undo, failing EFAULT with none, and stores the result there too.
 *    The library no longer checks those addresses itself, a system call
 *    each (process_vm_writev(2)).
 *
 * 1.12
 *  - A call fails with EINVAL when a field of its argument struct that it
 *    does not read, the struct being shared with calls that do, is not
 *    zero (before: ignored): GETALL_SESSIONS' sid; the nelem_out of
 *    SET_DISP, SET_EVENTLIST and SET_REGION; GET_REGION's exact;
 *    PUNCH_HOLE's roff and rlen; SYNC_BY_HANDLE's dio; the flags, right
 *    and held of the rights calls but those REQUEST_RIGHT reads (flags,
 *    right), QUERY_RIGHT writes (right) and OBJ_REF_QUERY writes (held);
 *    SET_DMATTR's buf.rlen, GET_DMATTR's setdtime, REMOVE_DMATTR's buf,
 *    GETALL_DMATTR's attrname and setdtime; INIT_ATTRLOC's mask, more,
 *    buf, attrname and flags, GET_DIRATTRS' attrname and flags,
 *    GET_BULKATTR's attrname without DMAPI_SCAN_DMATTR; SET_INHERIT's
 *    nelem, buf and nelem_out, CLEAR_INHERIT's filetype too, and
 *    GETALL_INHERIT's attrname and filetype.  Fields a call writes are
 *    not checked: the library calls again with the answers of the last.
 *
 * Compatibility rules: the major number changes when a struct or a
 * semantics changes incompatibly; the library refuses to talk to a module
 * of another major number.  The minor number grows when calls are added;
 * an unknown call fails with ENOTTY from the kernel, which the library
 * reports as ENOSYS.
 */
#ifndef _XDSM_DMAPI_IOCTL_H
#define _XDSM_DMAPI_IOCTL_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define DMAPI_KERNEL_VERSION		1
#define DMAPI_KERNEL_MINOR_VERSION	12

/* The device node, a misc device. */
#define DMAPI_DEVICE_NAME		"dmapi"
#define DMAPI_DEVICE_PATH		"/dev/dmapi"

/*
 * Sizes of the Data Management API that the kernel must know (the same
 * values as in <xdsm/dmapi.h>).
 */
#define DMAPI_SESSION_INFO_LEN		256
#define DMAPI_ATTR_NAME_SIZE		8

/*
 * Event types as messages carry them: the values of dm_eventtype_t,
 * which <xdsm/dmapi.h> takes from here.
 */
enum dmapi_event_type {
	DMAPI_EVENT_CANCEL	= 0,
	DMAPI_EVENT_MOUNT	= 1,
	DMAPI_EVENT_PREUNMOUNT	= 2,
	DMAPI_EVENT_UNMOUNT	= 3,
	DMAPI_EVENT_DEBUT	= 4,
	DMAPI_EVENT_CREATE	= 5,
	DMAPI_EVENT_CLOSE	= 6,
	DMAPI_EVENT_POSTCREATE	= 7,
	DMAPI_EVENT_REMOVE	= 8,
	DMAPI_EVENT_POSTREMOVE	= 9,
	DMAPI_EVENT_RENAME	= 10,
	DMAPI_EVENT_POSTRENAME	= 11,
	DMAPI_EVENT_LINK	= 12,
	DMAPI_EVENT_POSTLINK	= 13,
	DMAPI_EVENT_SYMLINK	= 14,
	DMAPI_EVENT_POSTSYMLINK	= 15,
	DMAPI_EVENT_READ	= 16,
	DMAPI_EVENT_WRITE	= 17,
	DMAPI_EVENT_TRUNCATE	= 18,
	DMAPI_EVENT_ATTRIBUTE	= 19,
	DMAPI_EVENT_DESTROY	= 20,
	DMAPI_EVENT_NOSPACE	= 21,
	DMAPI_EVENT_USER	= 22,
	DMAPI_EVENT_MAX		= 23
};

/* Configuration items: the values of dm_config_t, taken from here too. */
enum dmapi_config {
	DMAPI_CONFIG_INVALID,
	DMAPI_CONFIG_BULKALL,
	DMAPI_CONFIG_CREATE_BY_HANDLE,
	DMAPI_CONFIG_DTIME_OVERLOAD,
	DMAPI_CONFIG_LEGACY,
	DMAPI_CONFIG_LOCK_UPGRADE,
	DMAPI_CONFIG_MAX_ATTR_ON_DESTROY,
	DMAPI_CONFIG_MAX_ATTRIBUTE_SIZE,
	DMAPI_CONFIG_MAX_HANDLE_SIZE,
	DMAPI_CONFIG_MAX_MANAGED_REGIONS,
	DMAPI_CONFIG_MAX_MESSAGE_DATA,
	DMAPI_CONFIG_OBJ_REF,
	DMAPI_CONFIG_PENDING,
	DMAPI_CONFIG_PERS_ATTRIBUTES,
	DMAPI_CONFIG_PERS_EVENTS,
	DMAPI_CONFIG_PERS_INHERIT_ATTRIBS,
	DMAPI_CONFIG_PERS_MANAGED_REGIONS,
	DMAPI_CONFIG_PUNCH_HOLE,
	DMAPI_CONFIG_TOTAL_ATTRIBUTE_SPACE,
	DMAPI_CONFIG_WILL_RETRY,
	DMAPI_CONFIG_NR
};

/*
 * Handles: an 8-byte filesystem id, optionally followed by a file id.
 * A filesystem handle is the fsid alone; an object handle is fsid + fid.
 * fid_len counts the bytes of the fid after the fid_len field itself.
 * The global handle is passed as address 1 with length
 * DMAPI_GLOBAL_HANDLE_LEN and is never read.
 */
struct dmapi_fid {
	__u16	fid_len;
	__u16	fid_pad;
	__u32	fid_gen;
	__u64	fid_ino;
};

struct dmapi_handle {
	__u64			fsid;
	struct dmapi_fid	fid;
};

#define DMAPI_FSHANDLE_LEN	8
#define DMAPI_HANDLE_LEN	((__u32)sizeof(struct dmapi_handle))
#define DMAPI_FID_LEN		((__u16)(sizeof(struct dmapi_fid) - sizeof(__u16)))
#define DMAPI_GLOBAL_HANDLE_LEN	1

/*
 * Messages as dm_get_events() and dm_find_eventmsg() deliver them: the
 * layout of dm_eventmsg_t.  Records follow one another, each padded to 8
 * bytes; "link" is the distance to the next record, 0 on the last.
 * data_offset is relative to the start of the record.
 */
struct dmapi_eventmsg {
	__s32	link;
	__s32	type;
	__s32	token;
	__u32	sequence;
	__s32	data_offset;
	__u32	data_length;
};

#define DMAPI_MSG_ALIGN		8

/*
 * Variable-length data inside a record: dm_vardata_t.  vd_offset is
 * relative to the start of the struct that contains the dmapi_vardata;
 * the data is padded to DMAPI_MSG_ALIGN.  Names include their NUL.
 */
struct dmapi_vardata {
	__s32	vd_offset;
	__u32	vd_length;
};

/* The ev_data of a MOUNT event and the result of dm_get_mountinfo():
 * dm_mount_event_t. */
#define DMAPI_MOUNT_RDONLY	0x1

struct dmapi_mount_msg {
	__u32			me_mode;	/* DMAPI_MOUNT_RDONLY */
	struct dmapi_vardata	me_handle1;	/* the filesystem's handle */
	struct dmapi_vardata	me_handle2;	/* the covered directory's */
	struct dmapi_vardata	me_name1;	/* the mount point */
	struct dmapi_vardata	me_name2;	/* the lower directory */
	struct dmapi_vardata	me_roothandle;
};

/* The ev_data of namespace events, PREUNMOUNT and UNMOUNT among them:
 * dm_namesp_event_t. */
#define DMAPI_UNMOUNT_FORCE	0x1

struct dmapi_namesp_msg {
	__u32			ne_mode;
	struct dmapi_vardata	ne_handle1;
	struct dmapi_vardata	ne_handle2;
	struct dmapi_vardata	ne_name1;
	struct dmapi_vardata	ne_name2;
	__s32			ne_retcode;
};

/* The ev_data of READ, WRITE, TRUNCATE and NOSPACE events:
 * dm_data_event_t.  TRUNCATE carries the new size in de_offset. */
struct dmapi_data_msg {
	struct dmapi_vardata	de_handle;
	__s64			de_offset;
	__u64			de_length;
};

/* The ev_data of DESTROY events: dm_destroy_event_t.  ds_attrcopy holds
 * the value of the filesystem's return-on-destroy DM attribute, if the
 * object had it. */
struct dmapi_destroy_msg {
	struct dmapi_vardata	ds_handle;
	__u8			ds_attrname[DMAPI_ATTR_NAME_SIZE];
	struct dmapi_vardata	ds_attrcopy;
};

/* The ev_data of CANCEL events: dm_cancel_event_t.  The synchronous event
 * of that sequence number and token lost its last waiter; its token stays
 * outstanding until answered. */
struct dmapi_cancel_msg {
	__u32	ce_sequence;
	__s32	ce_token;
};

/* One record of dm_getall_dmattr(): dm_attrlist_t, then its value. */
struct dmapi_attrlist {
	__s32			al_link;	/* to the next record, 0 last */
	__u8			al_name[DMAPI_ATTR_NAME_SIZE];
	struct dmapi_vardata	al_data;
};

/* One record of dm_getall_disp(): dm_dispinfo_t. */
struct dmapi_dispinfo {
	__s32			di_link;	/* to the next record, 0 last */
	__u32			di_pad;
	struct dmapi_vardata	di_fshandle;
	__u64			di_eventset;
};

/* A buffer that the kernel fills: E2BIG stores the needed size in rlen. */
struct dmapi_buffer {
	__u64	ptr;		/* user address */
	__u64	len;		/* its size in bytes */
	__u64	rlen;		/* out: bytes used, or needed on E2BIG */
};

/*
 * The most bytes one call fills of a dmapi_buffer of records (events, DM
 * attributes, scans): a larger buffer is used as this size.
 */
#define DMAPI_MAX_BATCH			(32U << 20)

/* DMAPI_IOC_VERSION: both sides check the major number. */
struct dmapi_version_arg {
	__u32	major;		/* out */
	__u32	minor;		/* out */
	__u64	reserved[3];
};

/* DMAPI_IOC_CREATE_SESSION */
struct dmapi_create_session_arg {
	__s32	oldsid;		/* DM_NO_SESSION or a session to take over */
	__s32	newsid;		/* out */
	__u64	info;		/* user address of the info string */
	__u32	infolen;	/* strlen(info), without the NUL */
	__u32	padding;
	__u64	newsidp;	/* 0, or user address of an __s32: newsid too */
	__u64	reserved;
};

/* DMAPI_IOC_DESTROY_SESSION */
struct dmapi_session_arg {
	__s32	sid;
	__u32	padding;
	__u64	reserved;
};

/* DMAPI_IOC_GETALL_SESSIONS, DMAPI_IOC_GETALL_TOKENS */
struct dmapi_getall_arg {
	__s32	sid;		/* GETALL_TOKENS only */
	__u32	nelem;		/* room in the array */
	__u64	buf;		/* user address of an array of __s32 */
	__u32	nelem_out;	/* out: elements stored, or needed on E2BIG */
	__u32	padding;
	__u64	reserved;
};

/* DMAPI_IOC_QUERY_SESSION */
struct dmapi_query_session_arg {
	__s32			sid;
	__u32			padding;
	struct dmapi_buffer	buf;
	__u64			reserved;
};

/* DMAPI_IOC_CREATE_USEREVENT */
struct dmapi_create_userevent_arg {
	__s32	sid;
	__s32	token;		/* out */
	__u64	msg;		/* user address of the message data */
	__u64	msglen;
	__u64	tokenp;		/* 0, or user address of an __s32: token too */
};

/* DMAPI_IOC_SEND_MSG */
#define DMAPI_MSGTYPE_SYNC	1
#define DMAPI_MSGTYPE_ASYNC	2

struct dmapi_send_msg_arg {
	__s32	sid;		/* target session */
	__u32	msgtype;	/* DMAPI_MSGTYPE_* */
	__u64	msg;
	__u64	msglen;
	__u64	reserved;
};

/* DMAPI_IOC_GET_EVENTS */
#define DMAPI_EV_WAIT		0x1

struct dmapi_get_events_arg {
	__s32			sid;
	__u32			maxmsgs;
	__u32			flags;		/* DMAPI_EV_WAIT */
	__u32			padding;
	struct dmapi_buffer	buf;
	__u64			rlenp;	/* 0, or user address of the caller's
					 * size_t: buf.rlen too */
};

/* DMAPI_IOC_RESPOND_EVENT */
#define DMAPI_RESP_CONTINUE	1
#define DMAPI_RESP_ABORT	2
#define DMAPI_RESP_DONTCARE	3

struct dmapi_respond_arg {
	__s32	sid;
	__s32	token;
	__u32	response;	/* DMAPI_RESP_* */
	__s32	reterror;	/* the errno of an ABORT */
	__u64	buf;		/* response data, reserved by the standard */
	__u64	buflen;
	__u64	reserved;
};

/* DMAPI_IOC_FIND_EVENTMSG */
struct dmapi_find_eventmsg_arg {
	__s32			sid;
	__s32			token;
	struct dmapi_buffer	buf;
	__u64			reserved;
};

/* DMAPI_IOC_MOVE_EVENT */
struct dmapi_move_event_arg {
	__s32	srcsid;
	__s32	token;
	__s32	targetsid;
	__s32	rtoken;		/* out: the token in the target session */
	__u64	rtokenp;	/* 0, or user address of an __s32: rtoken too */
};

/* DMAPI_IOC_PENDING */
struct dmapi_pending_arg {
	__s32	sid;
	__s32	token;
	__s64	delay_sec;	/* how long the DM application expects to need */
	__s32	delay_nsec;
	__u32	padding;
	__u64	reserved;
};

/* DMAPI_IOC_GET_CONFIG, DMAPI_IOC_GET_CONFIG_EVENTS */
struct dmapi_get_config_arg {
	__u64	hanp;		/* user address of the handle */
	__u64	hlen;
	__u32	flagname;	/* dm_config_t */
	__u32	padding;
	__u64	retval;		/* out */
	__u64	reserved;
};

struct dmapi_get_config_events_arg {
	__u64	hanp;
	__u64	hlen;
	__u32	nelem;		/* events the caller's set can hold */
	__u32	nelem_out;	/* out: events reported */
	__u64	eventset;	/* out */
	__u64	reserved;
};

/* DMAPI_IOC_FD_TO_HANDLE */
#define DMAPI_HANDLE_FS		0x1	/* the filesystem's handle */

struct dmapi_fd_to_handle_arg {
	__s32			fd;	/* may be an O_PATH descriptor */
	__u32			flags;	/* DMAPI_HANDLE_FS */
	struct dmapi_handle	handle;	/* out */
	__u32			hlen;	/* out: bytes of handle used */
	__u32			padding;
	__u64			reserved;
};

/* DMAPI_IOC_OPEN_BY_HANDLE: the object's lower file, opened for the DM
 * application: I/O on it generates no events. */
struct dmapi_open_by_handle_arg {
	__u64	hanp;
	__u64	hlen;
	__u32	flags;		/* O_ACCMODE, O_NONBLOCK, O_DIRECT, O_CLOEXEC, O_PATH */
	__s32	fd;		/* out */
	__u64	reserved;
};

/* DMAPI_IOC_HANDLE_TO_PATH: the path of the target, an entry of the
 * directory, relative to the root of its dmapi filesystem, and the
 * filesystem's id to find the mount by. */
struct dmapi_handle_to_path_arg {
	__u64			dirhanp;
	__u64			dirhlen;
	__u64			targhanp;
	__u64			targhlen;
	struct dmapi_buffer	buf;	/* the path, NUL-terminated */
	__u64			reserved;
};

/*
 * The calls that name an object or a filesystem in a session, with a
 * token: DM_NO_TOKEN (-1), or a token outstanding in the session.  A
 * filesystem handle takes DM_NO_TOKEN only.
 */

/* DMAPI_IOC_SET_DISP, DMAPI_IOC_SET_EVENTLIST, DMAPI_IOC_GET_EVENTLIST */
struct dmapi_eventset_arg {
	__s32	sid;
	__s32	token;
	__u64	hanp;		/* 1 with hlen 1: the global handle */
	__u64	hlen;
	__u64	eventset;	/* in for SET_*, out for GET_EVENTLIST */
	__u32	nelem;		/* SET_*: maxevent; GET: the set's room */
	__u32	nelem_out;	/* out, GET_EVENTLIST: events reported */
	__u64	reserved;
};

/* DMAPI_IOC_GETALL_DISP: dmapi_dispinfo records, each with its handle */
struct dmapi_getall_disp_arg {
	__s32			sid;
	__u32			padding;
	struct dmapi_buffer	buf;
	__u64			reserved;
};

/* DMAPI_IOC_GET_MOUNTINFO: a dmapi_mount_msg with its data */
struct dmapi_mountinfo_arg {
	__s32			sid;
	__s32			token;
	__u64			hanp;
	__u64			hlen;
	struct dmapi_buffer	buf;
	__u64			reserved;
};

/* DMAPI_IOC_SET_RETURN_ON_DESTROY */
struct dmapi_return_on_destroy_arg {
	__s32	sid;
	__s32	token;
	__u64	hanp;
	__u64	hlen;
	__u8	attrname[DMAPI_ATTR_NAME_SIZE];
	__u32	enable;
	__u32	padding;
	__u64	reserved;
};

/* A managed region: dm_region_t.  rg_size 0 reaches the end of file. */
#define DMAPI_REGION_READ	0x1
#define DMAPI_REGION_WRITE	0x2
#define DMAPI_REGION_TRUNCATE	0x4

struct dmapi_region {
	__s64	rg_offset;
	__u64	rg_size;
	__u32	rg_flags;	/* DMAPI_REGION_* */
	__u32	rg_pad;
};

/* DMAPI_IOC_SET_REGION, DMAPI_IOC_GET_REGION */
struct dmapi_region_arg {
	__s32	sid;
	__s32	token;
	__u64	hanp;
	__u64	hlen;
	__u64	regions;	/* user address of an array of dmapi_region */
	__u32	nelem;		/* SET: regions given; GET: room */
	__u32	nelem_out;	/* out, GET: regions of the file */
	__u32	exact;		/* out, SET: stored exactly as given */
	__u32	padding;
	__u64	exactp;		/* SET: 0, or user address of a __u32: exact
				 * too; GET: 0 */
};

/* DMAPI_IOC_READ_INVIS, DMAPI_IOC_WRITE_INVIS */
#define DMAPI_WRITE_SYNC	0x1

struct dmapi_invis_arg {
	__s32	sid;
	__s32	token;
	__u64	hanp;
	__u64	hlen;
	__s64	off;
	__u64	len;
	__u64	buf;		/* user address of the data */
	__u32	flags;		/* WRITE_INVIS: DMAPI_WRITE_SYNC */
	__u32	padding;
	__s64	done;		/* out: bytes read or written */
	__u64	reserved;
};

/* DMAPI_IOC_PUNCH_HOLE, DMAPI_IOC_PROBE_HOLE */
struct dmapi_hole_arg {
	__s32	sid;
	__s32	token;
	__u64	hanp;
	__u64	hlen;
	__s64	off;
	__u64	len;		/* 0: to the end of the file */
	__s64	roff;		/* out, PROBE_HOLE */
	__u64	rlen;		/* out, PROBE_HOLE */
	__u64	reserved;
};

/* An extent of dm_get_allocinfo(): dm_extent_t. */
#define DMAPI_EXTENT_RES	1
#define DMAPI_EXTENT_HOLE	2

struct dmapi_extent {
	__u32	ex_type;	/* DMAPI_EXTENT_* */
	__u32	ex_pad;
	__s64	ex_offset;
	__u64	ex_length;
};

/* DMAPI_IOC_GET_ALLOCINFO */
struct dmapi_allocinfo_arg {
	__s32	sid;
	__s32	token;
	__u64	hanp;
	__u64	hlen;
	__s64	off;		/* in: where to start; out: where to go on, 0 at the end */
	__u64	extents;	/* user address of an array of dmapi_extent */
	__u32	nelem;		/* room */
	__u32	nelem_out;	/* out: extents stored */
	__u64	reserved;
};

/* DMAPI_IOC_GET_DIOINFO: dm_dioinfo_t */
struct dmapi_dioinfo {
	__u32	d_mem;		/* buffer alignment */
	__u32	d_miniosz;	/* smallest transfer, and offset alignment */
	__u32	d_maxiosz;	/* largest transfer */
	__u32	d_dio_only;
};

/* DMAPI_IOC_SYNC_BY_HANDLE, DMAPI_IOC_GET_DIOINFO */
struct dmapi_object_arg {
	__s32			sid;
	__s32			token;
	__u64			hanp;
	__u64			hlen;
	struct dmapi_dioinfo	dio;	/* out, GET_DIOINFO */
	__u64			reserved;
};

/* Access rights: the values of dm_right_t. */
#define DMAPI_RIGHT_NULL	0
#define DMAPI_RIGHT_SHARED	1
#define DMAPI_RIGHT_EXCL	2

#define DMAPI_RR_WAIT		0x1	/* REQUEST_RIGHT: wait for it */

/*
 * DMAPI_IOC_REQUEST_RIGHT, RELEASE_RIGHT, QUERY_RIGHT, UPGRADE_RIGHT,
 * DOWNGRADE_RIGHT, OBJ_REF_HOLD, OBJ_REF_RELE, OBJ_REF_QUERY: a right or
 * a reference of the token on the object.
 */
struct dmapi_right_arg {
	__s32	sid;
	__s32	token;
	__u64	hanp;
	__u64	hlen;
	__u32	flags;		/* REQUEST_RIGHT: DMAPI_RR_WAIT */
	__u32	right;		/* REQUEST_RIGHT: in; QUERY_RIGHT: out */
	__u32	held;		/* out, OBJ_REF_QUERY: 1 if held */
	__u32	padding;
	__u64	reserved;
};

/*
 * DMAPI_IOC_SET_DMATTR (buf: the value), GET_DMATTR (buf: room for it),
 * REMOVE_DMATTR, GETALL_DMATTR (buf: dmapi_attrlist records).
 */
struct dmapi_dmattr_arg {
	__s32			sid;
	__s32			token;
	__u64			hanp;
	__u64			hlen;
	__u8			attrname[DMAPI_ATTR_NAME_SIZE];
	__u32			setdtime;
	__u32			padding;
	struct dmapi_buffer	buf;
	__u64			reserved;
};

/* The DM_AT_* masks of the attribute calls. */
#define DMAPI_AT_MODE		0x0001
#define DMAPI_AT_UID		0x0002
#define DMAPI_AT_GID		0x0004
#define DMAPI_AT_ATIME		0x0008
#define DMAPI_AT_MTIME		0x0010
#define DMAPI_AT_CTIME		0x0020
#define DMAPI_AT_SIZE		0x0040
#define DMAPI_AT_DTIME		0x0080
#define DMAPI_AT_HANDLE		0x0100
#define DMAPI_AT_EMASK		0x0200
#define DMAPI_AT_PMANR		0x0400
#define DMAPI_AT_PATTR		0x0800
#define DMAPI_AT_STAT		0x1000
#define DMAPI_AT_CFLAG		0x2000

/*
 * The attributes of one object, what dm_stat_t reports, in fixed-width
 * fields; the library lays them out as dm_stat_t.  In the records of a
 * scan the entry's name follows, NUL included, then the value of the DM
 * attribute that GET_BULKATTR with DMAPI_SCAN_DMATTR asks for, each
 * padded to DMAPI_MSG_ALIGN.  Times are seconds since the epoch.
 */
struct dmapi_stat {
	__u32			dt_reclen;	/* scans: bytes of the record */
	__u32			dt_namelen;	/* scans: bytes of the name */
	__s64			dt_loc;		/* scans: resumes after it */
	struct dmapi_handle	dt_handle;
	__u64			dt_emask;	/* the object's own event list */
	__u32			dt_nevents;
	__u32			dt_pers;	/* it has DM attributes */
	__u32			dt_pmanreg;	/* it has managed regions */
	__u32			dt_change;	/* changes with every change */
	__s64			dt_dtime;
	__u64			dt_dev;
	__u64			dt_ino;
	__u64			dt_rdev;
	__u32			dt_mode;
	__u32			dt_nlink;
	__u32			dt_uid;
	__u32			dt_gid;
	__s64			dt_size;
	__s64			dt_atime;
	__s64			dt_mtime;
	__s64			dt_ctime;
	__u64			dt_blocks;	/* 512-byte units */
	__u32			dt_blksize;
	__u32			dt_fstype;	/* the lower filesystem's magic */
	__u32			dt_igen;
	__u32			dt_xflags;	/* FS_XFLAG_* of the lower inode */
	__u32			dt_extsize;
	__u32			dt_extents;
	__u32			dt_attrlen;	/* bulkall: bytes of the value */
	__u32			dt_pad;
};

/* DMAPI_IOC_GET_FILEATTR */
struct dmapi_get_fileattr_arg {
	__s32			sid;
	__s32			token;
	__u64			hanp;
	__u64			hlen;
	__u32			mask;		/* DMAPI_AT_* */
	__u32			padding;
	struct dmapi_stat	st;		/* out */
	__u64			reserved;
};

/* What DMAPI_IOC_SET_FILEATTR changes: dm_fileattr_t. */
struct dmapi_fileattr {
	__u32	fa_mode;
	__u32	fa_uid;
	__u32	fa_gid;
	__u32	fa_pad;
	__s64	fa_atime;
	__s64	fa_mtime;
	__s64	fa_ctime;
	__s64	fa_dtime;
	__s64	fa_size;
};

/* DMAPI_IOC_SET_FILEATTR */
struct dmapi_set_fileattr_arg {
	__s32			sid;
	__s32			token;
	__u64			hanp;
	__u64			hlen;
	__u32			mask;		/* DMAPI_AT_MODE ... DMAPI_AT_DTIME */
	__u32			padding;
	struct dmapi_fileattr	attr;
	__u64			reserved;
};

/*
 * DMAPI_IOC_INIT_ATTRLOC (loc out: the start), DMAPI_IOC_GET_DIRATTRS
 * (records of a directory's entries from loc), DMAPI_IOC_GET_BULKATTR
 * (records of a filesystem's objects from loc, in ascending inode
 * number); loc out: after the last record; more: whether any remain.
 */
#define DMAPI_SCAN_DMATTR	0x1	/* GET_BULKATTR: with DM attribute attrname */

struct dmapi_scan_arg {
	__s32			sid;
	__s32			token;
	__u64			hanp;
	__u64			hlen;
	__u32			mask;		/* DMAPI_AT_* */
	__u32			more;		/* out */
	__s64			loc;
	struct dmapi_buffer	buf;		/* dmapi_stat records */
	__u8			attrname[DMAPI_ATTR_NAME_SIZE];
	__u32			flags;		/* DMAPI_SCAN_* */
	__u32			padding;
	__u64			reserved;
};

/* One entry of dm_getall_inherit(): dm_inherit_t in fixed-width fields. */
struct dmapi_inherit {
	__u8	ih_name[DMAPI_ATTR_NAME_SIZE];
	__u32	ih_filetype;	/* one file type: S_IFREG, S_IFDIR... */
	__u32	ih_pad;
};

/* DMAPI_IOC_SET_INHERIT, DMAPI_IOC_CLEAR_INHERIT, DMAPI_IOC_GETALL_INHERIT */
struct dmapi_inherit_arg {
	__s32	sid;
	__s32	token;
	__u64	hanp;
	__u64	hlen;
	__u8	attrname[DMAPI_ATTR_NAME_SIZE];
	__u32	filetype;	/* SET_INHERIT */
	__u32	nelem;		/* GETALL_INHERIT: room in buf */
	__u64	buf;		/* GETALL_INHERIT: array of dmapi_inherit */
	__u32	nelem_out;	/* GETALL_INHERIT, out: entries, or needed */
	__u32	padding;
	__u64	reserved;
};

/* DMAPI_IOC_CREATE_BY_HANDLE: a file, a directory or a symbolic link. */
struct dmapi_create_by_handle_arg {
	__s32	sid;
	__s32	token;
	__u64	dirhanp;
	__u64	dirhlen;
	__u64	hanp;		/* the handle the object is to have */
	__u64	hlen;
	__u64	name;		/* user address of the name, NUL-terminated */
	__u64	target;		/* S_IFLNK: the link's contents, NUL-terminated */
	__u32	type;		/* S_IFREG, S_IFDIR or S_IFLNK */
	__u32	padding;
	__u64	reserved;
};

#define DMAPI_IOC_MAGIC		0xDE

#define DMAPI_IOC_VERSION	  _IOWR(DMAPI_IOC_MAGIC, 0, struct dmapi_version_arg)
#define DMAPI_IOC_CREATE_SESSION  _IOWR(DMAPI_IOC_MAGIC, 1, struct dmapi_create_session_arg)
#define DMAPI_IOC_DESTROY_SESSION _IOWR(DMAPI_IOC_MAGIC, 2, struct dmapi_session_arg)
#define DMAPI_IOC_GETALL_SESSIONS _IOWR(DMAPI_IOC_MAGIC, 3, struct dmapi_getall_arg)
#define DMAPI_IOC_QUERY_SESSION	  _IOWR(DMAPI_IOC_MAGIC, 4, struct dmapi_query_session_arg)
#define DMAPI_IOC_CREATE_USEREVENT _IOWR(DMAPI_IOC_MAGIC, 5, struct dmapi_create_userevent_arg)
#define DMAPI_IOC_SEND_MSG	  _IOWR(DMAPI_IOC_MAGIC, 6, struct dmapi_send_msg_arg)
#define DMAPI_IOC_GET_EVENTS	  _IOWR(DMAPI_IOC_MAGIC, 7, struct dmapi_get_events_arg)
#define DMAPI_IOC_RESPOND_EVENT	  _IOWR(DMAPI_IOC_MAGIC, 8, struct dmapi_respond_arg)
#define DMAPI_IOC_FIND_EVENTMSG	  _IOWR(DMAPI_IOC_MAGIC, 9, struct dmapi_find_eventmsg_arg)
#define DMAPI_IOC_GETALL_TOKENS	  _IOWR(DMAPI_IOC_MAGIC, 10, struct dmapi_getall_arg)
#define DMAPI_IOC_MOVE_EVENT	  _IOWR(DMAPI_IOC_MAGIC, 11, struct dmapi_move_event_arg)
#define DMAPI_IOC_PENDING	  _IOWR(DMAPI_IOC_MAGIC, 12, struct dmapi_pending_arg)
#define DMAPI_IOC_GET_CONFIG	  _IOWR(DMAPI_IOC_MAGIC, 13, struct dmapi_get_config_arg)
#define DMAPI_IOC_GET_CONFIG_EVENTS _IOWR(DMAPI_IOC_MAGIC, 14, struct dmapi_get_config_events_arg)
#define DMAPI_IOC_FD_TO_HANDLE	  _IOWR(DMAPI_IOC_MAGIC, 15, struct dmapi_fd_to_handle_arg)
#define DMAPI_IOC_OPEN_BY_HANDLE  _IOWR(DMAPI_IOC_MAGIC, 16, struct dmapi_open_by_handle_arg)
#define DMAPI_IOC_HANDLE_TO_PATH  _IOWR(DMAPI_IOC_MAGIC, 17, struct dmapi_handle_to_path_arg)
#define DMAPI_IOC_SET_DISP	  _IOWR(DMAPI_IOC_MAGIC, 18, struct dmapi_eventset_arg)
#define DMAPI_IOC_GETALL_DISP	  _IOWR(DMAPI_IOC_MAGIC, 19, struct dmapi_getall_disp_arg)
#define DMAPI_IOC_SET_EVENTLIST	  _IOWR(DMAPI_IOC_MAGIC, 20, struct dmapi_eventset_arg)
#define DMAPI_IOC_GET_EVENTLIST	  _IOWR(DMAPI_IOC_MAGIC, 21, struct dmapi_eventset_arg)
#define DMAPI_IOC_GET_MOUNTINFO	  _IOWR(DMAPI_IOC_MAGIC, 22, struct dmapi_mountinfo_arg)
#define DMAPI_IOC_SET_RETURN_ON_DESTROY _IOWR(DMAPI_IOC_MAGIC, 23, struct dmapi_return_on_destroy_arg)
#define DMAPI_IOC_SET_REGION	  _IOWR(DMAPI_IOC_MAGIC, 24, struct dmapi_region_arg)
#define DMAPI_IOC_GET_REGION	  _IOWR(DMAPI_IOC_MAGIC, 25, struct dmapi_region_arg)
#define DMAPI_IOC_READ_INVIS	  _IOWR(DMAPI_IOC_MAGIC, 26, struct dmapi_invis_arg)
#define DMAPI_IOC_WRITE_INVIS	  _IOWR(DMAPI_IOC_MAGIC, 27, struct dmapi_invis_arg)
#define DMAPI_IOC_PUNCH_HOLE	  _IOWR(DMAPI_IOC_MAGIC, 28, struct dmapi_hole_arg)
#define DMAPI_IOC_PROBE_HOLE	  _IOWR(DMAPI_IOC_MAGIC, 29, struct dmapi_hole_arg)
#define DMAPI_IOC_GET_ALLOCINFO	  _IOWR(DMAPI_IOC_MAGIC, 30, struct dmapi_allocinfo_arg)
#define DMAPI_IOC_SYNC_BY_HANDLE  _IOWR(DMAPI_IOC_MAGIC, 31, struct dmapi_object_arg)
#define DMAPI_IOC_GET_DIOINFO	  _IOWR(DMAPI_IOC_MAGIC, 32, struct dmapi_object_arg)
#define DMAPI_IOC_REQUEST_RIGHT	  _IOWR(DMAPI_IOC_MAGIC, 33, struct dmapi_right_arg)
#define DMAPI_IOC_RELEASE_RIGHT	  _IOWR(DMAPI_IOC_MAGIC, 34, struct dmapi_right_arg)
#define DMAPI_IOC_QUERY_RIGHT	  _IOWR(DMAPI_IOC_MAGIC, 35, struct dmapi_right_arg)
#define DMAPI_IOC_UPGRADE_RIGHT	  _IOWR(DMAPI_IOC_MAGIC, 36, struct dmapi_right_arg)
#define DMAPI_IOC_DOWNGRADE_RIGHT _IOWR(DMAPI_IOC_MAGIC, 37, struct dmapi_right_arg)
#define DMAPI_IOC_OBJ_REF_HOLD	  _IOWR(DMAPI_IOC_MAGIC, 38, struct dmapi_right_arg)
#define DMAPI_IOC_OBJ_REF_RELE	  _IOWR(DMAPI_IOC_MAGIC, 39, struct dmapi_right_arg)
#define DMAPI_IOC_OBJ_REF_QUERY	  _IOWR(DMAPI_IOC_MAGIC, 40, struct dmapi_right_arg)
#define DMAPI_IOC_SET_DMATTR	  _IOWR(DMAPI_IOC_MAGIC, 41, struct dmapi_dmattr_arg)
#define DMAPI_IOC_GET_DMATTR	  _IOWR(DMAPI_IOC_MAGIC, 42, struct dmapi_dmattr_arg)
#define DMAPI_IOC_REMOVE_DMATTR	  _IOWR(DMAPI_IOC_MAGIC, 43, struct dmapi_dmattr_arg)
#define DMAPI_IOC_GETALL_DMATTR	  _IOWR(DMAPI_IOC_MAGIC, 44, struct dmapi_dmattr_arg)
#define DMAPI_IOC_GET_FILEATTR	  _IOWR(DMAPI_IOC_MAGIC, 45, struct dmapi_get_fileattr_arg)
#define DMAPI_IOC_SET_FILEATTR	  _IOWR(DMAPI_IOC_MAGIC, 46, struct dmapi_set_fileattr_arg)
#define DMAPI_IOC_INIT_ATTRLOC	  _IOWR(DMAPI_IOC_MAGIC, 47, struct dmapi_scan_arg)
#define DMAPI_IOC_GET_DIRATTRS	  _IOWR(DMAPI_IOC_MAGIC, 48, struct dmapi_scan_arg)
#define DMAPI_IOC_SET_INHERIT	  _IOWR(DMAPI_IOC_MAGIC, 49, struct dmapi_inherit_arg)
#define DMAPI_IOC_CLEAR_INHERIT	  _IOWR(DMAPI_IOC_MAGIC, 50, struct dmapi_inherit_arg)
#define DMAPI_IOC_GETALL_INHERIT  _IOWR(DMAPI_IOC_MAGIC, 51, struct dmapi_inherit_arg)
#define DMAPI_IOC_CREATE_BY_HANDLE _IOWR(DMAPI_IOC_MAGIC, 52, struct dmapi_create_by_handle_arg)
#define DMAPI_IOC_GET_BULKATTR	  _IOWR(DMAPI_IOC_MAGIC, 53, struct dmapi_scan_arg)

/*
 * Monitoring, over the generic netlink family DMAPI_GENL_NAME.  Its own
 * version, DMAPI_GENL_VERSION, goes in the genetlink header and grows with
 * the family; attributes are only ever added.  Only CAP_SYS_ADMIN may send
 * its commands or join its multicast group.
 *
 * DMAPI_CMD_GET_FS (dump): one message per managed filesystem with
 *   DMAPI_A_FSID, DMAPI_A_MOUNTPOINT, DMAPI_A_LOWER and its counters since
 *   it was mounted: DMAPI_A_EVENTS (events sent, nested: attribute
 *   type + 1 holds the u64 count of that dmapi_event_type),
 *   DMAPI_A_ANSWERS (waits ended, nested the same way by
 *   enum dmapi_answer), DMAPI_A_WAITS, DMAPI_A_WAIT_NS (their total time)
 *   and DMAPI_A_WAIT_HIST (nested by bucket + 1; DMAPI_WAIT_BUCKETS
 *   buckets: bucket 0 counts waits under 1 microsecond, bucket i those of
 *   [2^(i-1), 2^i) microseconds, the last every longer one).
 * DMAPI_CMD_GET_SESSION (dump): one message per session with DMAPI_A_SID,
 *   DMAPI_A_SESSION_INFO, DMAPI_A_QUEUED (messages not yet delivered),
 *   DMAPI_A_OUTSTANDING (tokens not yet answered), DMAPI_A_RIGHTS (rights
 *   records those tokens hold), DMAPI_A_DELIVERED and DMAPI_A_ANSWERED
 *   (messages delivered and tokens answered since it was created).
 * DMAPI_CMD_GET_MONITOR (do): DMAPI_A_SEQ (records the events group was
 *   sent, the last record's DMAPI_A_SEQ) and DMAPI_A_DROPS (records that
 *   could not be built, or that a listener which asked to hear of
 *   delivery failures, with the socket option NETLINK_BROADCAST_ERROR,
 *   did not get).
 * DMAPI_CMD_EVENT (multicast on DMAPI_GENL_MCGRP_EVENTS): one record for
 *   each process that waited for a filesystem's synchronous event, and
 *   one for each asynchronous event, when it ends: DMAPI_A_SEQ (gapless
 *   while nothing is dropped), DMAPI_A_TYPE, DMAPI_A_FSID, DMAPI_A_SID,
 *   DMAPI_A_TOKEN, DMAPI_A_PID (the process that caused it),
 *   DMAPI_A_ANSWER, DMAPI_A_ERRNO (what the process got: 0 or a positive
 *   errno), DMAPI_A_LATENCY_NS (from the event's creation to the end of
 *   the wait) and, where the event names them, DMAPI_A_HANDLE (the
 *   object's handle), DMAPI_A_NAME (the entry's name), DMAPI_A_OFFSET and
 *   DMAPI_A_LENGTH.  Multicast is lossy: a listener too slow to read
 *   loses records (its socket reports ENOBUFS), counted in DMAPI_A_DROPS
 *   and visible as gaps in DMAPI_A_SEQ.
 *
 * I/O statistics regions count the reads and writes (read(2), write(2)
 * and their kin, splice, copy_file_range; not mmap) that cover byte
 * ranges of a regular file of a managed filesystem, in groups bound to
 * one file each.  They generate no events.  A group lives until deleted
 * or until its filesystem is unmounted.
 * DMAPI_CMD_STATS_NEW (do): DMAPI_A_HANDLE (the file's), DMAPI_A_NAME (an
 *   alias, optional, under DMAPI_STATS_ALIAS_LEN bytes); replies
 *   DMAPI_A_GROUP.
 * DMAPI_CMD_STATS_DEL (do): DMAPI_A_GROUP.
 * DMAPI_CMD_STATS_SET (do): DMAPI_A_GROUP, DMAPI_A_HANDLE: the group
 *   counts another file's I/O from now on, keeping its regions.
 * DMAPI_CMD_STATS_ADD (do): DMAPI_A_GROUP, DMAPI_A_OFFSET, DMAPI_A_LENGTH
 *   (0 reaches the end of any file); replies DMAPI_A_REGION.
 * DMAPI_CMD_STATS_REMOVE (do): DMAPI_A_GROUP, DMAPI_A_REGION.
 * DMAPI_CMD_STATS_GET (do with DMAPI_A_GROUP, or dump for every group):
 *   DMAPI_A_GROUP, DMAPI_A_FSID, DMAPI_A_HANDLE, DMAPI_A_NAME and
 *   DMAPI_A_REGIONS: one nested DMAPI_A_STATS_REGION per region, with
 *   DMAPI_A_REGION, DMAPI_A_OFFSET, DMAPI_A_LENGTH, DMAPI_A_READS,
 *   DMAPI_A_WRITES, DMAPI_A_READ_BYTES and DMAPI_A_WRITE_BYTES.  A read
 *   or write counts once in each region it touches, with the bytes it
 *   moved inside that region.
 * Errors: EPERM (no CAP_SYS_ADMIN), EINVAL (a missing attribute, not a
 * regular file's handle, a bad range), ERANGE (an attribute of the wrong
 * length: a handle not DMAPI_HANDLE_LEN bytes), EBADF (no such managed file),
 * ENOENT (no such group or region), ENOSPC (the max_stats_regions
 * parameter's limit, or DMAPI_STATS_MAX_GROUP_REGIONS in one group).
 */
#define DMAPI_GENL_NAME			"dmapi"
#define DMAPI_GENL_VERSION		1
#define DMAPI_GENL_MCGRP_EVENTS		"events"
#define DMAPI_WAIT_BUCKETS		32
#define DMAPI_STATS_ALIAS_LEN		64
#define DMAPI_STATS_MAX_GROUP_REGIONS	256

enum dmapi_genl_cmd {
	DMAPI_CMD_UNSPEC,
	DMAPI_CMD_GET_FS,
	DMAPI_CMD_GET_SESSION,
	DMAPI_CMD_GET_MONITOR,
	DMAPI_CMD_EVENT,
	DMAPI_CMD_STATS_NEW,
	DMAPI_CMD_STATS_DEL,
	DMAPI_CMD_STATS_SET,
	DMAPI_CMD_STATS_ADD,
	DMAPI_CMD_STATS_REMOVE,
	DMAPI_CMD_STATS_GET,
	__DMAPI_CMD_MAX
};
#define DMAPI_CMD_MAX	(__DMAPI_CMD_MAX - 1)

enum dmapi_genl_attr {
	DMAPI_A_UNSPEC,
	DMAPI_A_PAD,
	DMAPI_A_FSID,		/* u64 */
	DMAPI_A_MOUNTPOINT,	/* string */
	DMAPI_A_LOWER,		/* string */
	DMAPI_A_EVENTS,		/* nested u64 by event type + 1 */
	DMAPI_A_ANSWERS,	/* nested u64 by enum dmapi_answer + 1 */
	DMAPI_A_WAITS,		/* u64 */
	DMAPI_A_WAIT_NS,	/* u64 */
	DMAPI_A_WAIT_HIST,	/* nested u64 by bucket + 1 */
	DMAPI_A_SID,		/* u32 */
	DMAPI_A_SESSION_INFO,	/* string */
	DMAPI_A_QUEUED,		/* u32 */
	DMAPI_A_OUTSTANDING,	/* u32 */
	DMAPI_A_RIGHTS,		/* u32 */
	DMAPI_A_DELIVERED,	/* u64 */
	DMAPI_A_ANSWERED,	/* u64 */
	DMAPI_A_SEQ,		/* u64 */
	DMAPI_A_DROPS,		/* u64 */
	DMAPI_A_TYPE,		/* u32, enum dmapi_event_type */
	DMAPI_A_TOKEN,		/* s32 */
	DMAPI_A_PID,		/* u32 */
	DMAPI_A_ANSWER,		/* u32, enum dmapi_answer */
	DMAPI_A_ERRNO,		/* u32 */
	DMAPI_A_LATENCY_NS,	/* u64 */
	DMAPI_A_HANDLE,		/* binary, a handle */
	DMAPI_A_NAME,		/* string */
	DMAPI_A_OFFSET,		/* s64 */
	DMAPI_A_LENGTH,		/* u64 */
	DMAPI_A_GROUP,		/* u32 */
	DMAPI_A_REGION,		/* u32 */
	DMAPI_A_REGIONS,	/* nested DMAPI_A_STATS_REGION */
	DMAPI_A_STATS_REGION,	/* nested */
	DMAPI_A_READS,		/* u64 */
	DMAPI_A_WRITES,		/* u64 */
	DMAPI_A_READ_BYTES,	/* u64 */
	DMAPI_A_WRITE_BYTES,	/* u64 */
	__DMAPI_A_MAX
};
#define DMAPI_A_MAX	(__DMAPI_A_MAX - 1)

/* How the wait for an event ended, as the monitor counts it. */
enum dmapi_answer {
	DMAPI_ANSWER_CONTINUE,		/* answered CONTINUE */
	DMAPI_ANSWER_ABORT,		/* answered ABORT */
	DMAPI_ANSWER_DONTCARE,		/* answered DONTCARE */
	DMAPI_ANSWER_INTERRUPTED,	/* the process gave up on a signal */
	DMAPI_ANSWER_TIMEDOUT,		/* event_timeout passed */
	DMAPI_ANSWER_DROPPED,		/* its session went away unanswered */
	DMAPI_ANSWER_ASYNC,		/* asynchronous: nothing to answer */
	DMAPI_ANSWER_MAX
};

#endif /* _XDSM_DMAPI_IOCTL_H */
