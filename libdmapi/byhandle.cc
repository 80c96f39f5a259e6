// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Creating objects in a directory named by handle, as a restore does.
// The new object's handle is the one the lower filesystem gives it: hanp
// must be the directory's filesystem handle (see dm_create_by_handle(3)).
#include "internal.h"

#include <sys/stat.h>

using namespace dmapi;

namespace {

int create_by_handle(dm_sessid_t sid, void *dirhanp, std::size_t dirhlen, dm_token_t token,
		     void *hanp, std::size_t hlen, const char *cname, std::uint32_t type,
		     const char *target) noexcept
{
	if (!cname || (type == S_IFLNK && !target))
		return fail(EFAULT);
	dmapi_create_by_handle_arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.dirhanp = user_ptr(dirhanp);
	arg.dirhlen = dirhlen;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	arg.name = user_ptr(cname);
	arg.target = user_ptr(target);
	arg.type = type;
	return call<DMAPI_IOC_CREATE_BY_HANDLE>(arg);
}

} // namespace

extern "C" {

int dm_create_by_handle(dm_sessid_t sid, void *dirhanp, size_t dirhlen, dm_token_t token,
			void *hanp, size_t hlen, char *cname)
{
	return create_by_handle(sid, dirhanp, dirhlen, token, hanp, hlen, cname, S_IFREG, nullptr);
}

int dm_mkdir_by_handle(dm_sessid_t sid, void *dirhanp, size_t dirhlen, dm_token_t token,
		       void *hanp, size_t hlen, char *cname)
{
	return create_by_handle(sid, dirhanp, dirhlen, token, hanp, hlen, cname, S_IFDIR, nullptr);
}

int dm_symlink_by_handle(dm_sessid_t sid, void *dirhanp, size_t dirhlen, dm_token_t token,
			 void *hanp, size_t hlen, char *cname, char *path)
{
	return create_by_handle(sid, dirhanp, dirhlen, token, hanp, hlen, cname, S_IFLNK, path);
}

} // extern "C"
