// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Events, messages and tokens.  The kernel writes messages straight into
// the caller's buffer in the layout of dm_eventmsg_t, so that layout and
// the protocol's must be one.
#include "internal.h"

using namespace dmapi;

static_assert(sizeof(dm_eventmsg_t) == sizeof(dmapi_eventmsg));
static_assert(offsetof(dm_eventmsg_t, _link) == offsetof(dmapi_eventmsg, link));
static_assert(offsetof(dm_eventmsg_t, ev_type) == offsetof(dmapi_eventmsg, type));
static_assert(offsetof(dm_eventmsg_t, ev_token) == offsetof(dmapi_eventmsg, token));
static_assert(offsetof(dm_eventmsg_t, ev_sequence) == offsetof(dmapi_eventmsg, sequence));
static_assert(offsetof(dm_eventmsg_t, ev_data.vd_offset) == offsetof(dmapi_eventmsg, data_offset));
static_assert(offsetof(dm_eventmsg_t, ev_data.vd_length) == offsetof(dmapi_eventmsg, data_length));
static_assert(sizeof(dm_eventtype_t) == sizeof(__s32));
static_assert(sizeof(dm_vardata_t) == 8);

// The library passes these values through unchanged.
static_assert(DM_EV_WAIT == DMAPI_EV_WAIT);
static_assert(DM_RESP_CONTINUE == DMAPI_RESP_CONTINUE);
static_assert(DM_RESP_ABORT == DMAPI_RESP_ABORT);
static_assert(DM_RESP_DONTCARE == DMAPI_RESP_DONTCARE);
static_assert(DM_MSGTYPE_SYNC == DMAPI_MSGTYPE_SYNC);
static_assert(DM_MSGTYPE_ASYNC == DMAPI_MSGTYPE_ASYNC);

extern "C" {

int dm_get_events(dm_sessid_t sid, unsigned int maxmsgs, unsigned int flags,
		  size_t buflen, void *bufp, size_t *rlenp)
{
	// An older module's check costs a system call that pins the page:
	// an event loop, which passes the same rlenp call after call, pays
	// it once a thread.  A pointer checked once is trusted after, even
	// if its page went.  From protocol 1.11 the module stores the size
	// itself, with the messages it takes off the queue.
	Result rlen(rlenp);
	static thread_local size_t *checked;
	if (!rlenp || (rlenp != checked && !rlen.usable()))
		return fail(EFAULT);
	if (!rlen.address())
		checked = rlenp;
	dmapi_get_events_arg arg{};
	arg.sid = sid;
	arg.maxmsgs = maxmsgs;
	arg.flags = flags;
	arg.rlenp = rlen.address();
	return call_filling<DMAPI_IOC_GET_EVENTS>(arg, bufp, buflen, rlenp);
}

int dm_respond_event(dm_sessid_t sid, dm_token_t token, dm_response_t response,
		     int reterror, size_t buflen, void *respbufp)
{
	dmapi_respond_arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.response = static_cast<__u32>(response);
	arg.reterror = reterror;
	arg.buf = user_ptr(respbufp);
	arg.buflen = buflen;
	return call<DMAPI_IOC_RESPOND_EVENT>(arg);
}

int dm_move_event(dm_sessid_t srcsid, dm_token_t token, dm_sessid_t targetsid,
		  dm_token_t *rtokenp)
{
	Result rtoken(rtokenp);
	if (!rtoken.usable())
		return fail(EFAULT);

	dmapi_move_event_arg arg{};
	arg.srcsid = srcsid;
	arg.token = token;
	arg.targetsid = targetsid;
	arg.rtokenp = rtoken.address();
	if (call<DMAPI_IOC_MOVE_EVENT>(arg) < 0)
		return -1;
	*rtokenp = arg.rtoken;
	return 0;
}

// SGI's kernel never read the delay, and programs pass NULL: NULL means
// "no estimate", sent as zero.
int dm_pending(dm_sessid_t sid, dm_token_t token, dm_timestruct_t *delay)
{
	dmapi_pending_arg arg{};
	arg.sid = sid;
	arg.token = token;
	if (delay) {
		arg.delay_sec = delay->dm_tv_sec;
		arg.delay_nsec = delay->dm_tv_nsec;
	}
	return call<DMAPI_IOC_PENDING>(arg);
}

int dm_find_eventmsg(dm_sessid_t sid, dm_token_t token, size_t buflen,
		     void *bufp, size_t *rlenp)
{
	dmapi_find_eventmsg_arg arg{};
	arg.sid = sid;
	arg.token = token;
	return call_filling<DMAPI_IOC_FIND_EVENTMSG>(arg, bufp, buflen, rlenp);
}

int dm_getall_tokens(dm_sessid_t sid, unsigned int nelem, dm_token_t *tokenbufp,
		     unsigned int *nelemp)
{
	if (!nelemp)
		return fail(EFAULT);

	dmapi_getall_arg arg{};
	arg.sid = sid;
	arg.nelem = nelem;
	arg.buf = user_ptr(tokenbufp);
	int ret = call<DMAPI_IOC_GETALL_TOKENS>(arg);
	if (size_reported(ret))
		*nelemp = arg.nelem_out;
	return ret;
}

int dm_create_userevent(dm_sessid_t sid, size_t msglen, void *msgdatap,
			dm_token_t *tokenp)
{
	Result token(tokenp);
	if (!token.usable())
		return fail(EFAULT);

	dmapi_create_userevent_arg arg{};
	arg.sid = sid;
	arg.msg = user_ptr(msgdatap);
	arg.msglen = msglen;
	arg.tokenp = token.address();
	if (call<DMAPI_IOC_CREATE_USEREVENT>(arg) < 0)
		return -1;
	*tokenp = arg.token;
	return 0;
}

// A synchronous message blocks here until the receiver responds; an abort
// comes back as -1 with the receiver's reterror in errno.
int dm_send_msg(dm_sessid_t targetsid, dm_msgtype_t msgtype, size_t buflen, void *bufp)
{
	dmapi_send_msg_arg arg{};
	arg.sid = targetsid;
	arg.msgtype = static_cast<__u32>(msgtype);
	arg.msg = user_ptr(bufp);
	arg.msglen = buflen;
	/* Every module has it: an errno is the receiver's reply, ENOTTY too. */
	return call_as_is<DMAPI_IOC_SEND_MSG>(arg);
}

} // extern "C"
