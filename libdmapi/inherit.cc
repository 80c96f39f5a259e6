// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Attribute inheritance: the DM attributes new objects of a filesystem
// copy from the directory they are created in.
#include "internal.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

using namespace dmapi;

namespace {

// Entries asked for first: more than a filesystem usually has.
constexpr unsigned int kInheritGuess = 16;

int inherit_arg(dm_sessid_t sid, void *hanp, std::size_t hlen, dm_token_t token,
		const dm_attrname_t *attrnamep, dmapi_inherit_arg &arg) noexcept
{
	arg = handle_call_arg<dmapi_inherit_arg>(sid, hanp, hlen, token);
	if (attrnamep)
		std::memcpy(arg.attrname, attrnamep->an_chars, sizeof(arg.attrname));
	return attrnamep ? 0 : fail(EFAULT);
}

} // namespace

extern "C" {

int dm_set_inherit(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		   dm_attrname_t *attrnamep, mode_t mode)
{
	dmapi_inherit_arg arg;
	if (inherit_arg(sid, hanp, hlen, token, attrnamep, arg))
		return -1;
	arg.filetype = mode;
	return call<DMAPI_IOC_SET_INHERIT>(arg);
}

int dm_clear_inherit(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		     dm_attrname_t *attrnamep)
{
	dmapi_inherit_arg arg;
	if (inherit_arg(sid, hanp, hlen, token, attrnamep, arg))
		return -1;
	return call<DMAPI_IOC_CLEAR_INHERIT>(arg);
}

int dm_getall_inherit(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		      unsigned int nelem, dm_inherit_t *inheritbufp, unsigned int *nelemp)
{
	if (!nelemp || (nelem && !inheritbufp))
		return fail(EFAULT);
	// Room for what the caller has room for, but a filesystem has few
	// entries: first for a few, then for as many as the module says,
	// rather than zero a caller's huge nelem.
	std::vector<dmapi_inherit> entries;
	auto arg = handle_call_arg<dmapi_inherit_arg>(sid, hanp, hlen, token);
	unsigned int room = std::min(nelem, kInheritGuess);
	int ret;
	for (;;) {
		try {
			entries.resize(room);
		} catch (const std::bad_alloc &) {
			return fail(ENOMEM);
		}
		arg.nelem = room;
		arg.buf = user_ptr(entries.data());
		ret = call<DMAPI_IOC_GETALL_INHERIT>(arg);
		if (ret == 0 || errno != E2BIG || arg.nelem_out <= room ||
		    arg.nelem_out > nelem)
			break;
		room = arg.nelem_out;
	}
	if (!size_reported(ret))
		return ret;
	*nelemp = arg.nelem_out;
	if (ret)
		return ret;
	for (unsigned int i = 0; i < arg.nelem_out; i++) {
		std::memcpy(inheritbufp[i].ih_name.an_chars, entries[i].ih_name,
			    sizeof(entries[i].ih_name));
		inheritbufp[i].ih_filetype = entries[i].ih_filetype;
	}
	return 0;
}

} // extern "C"
