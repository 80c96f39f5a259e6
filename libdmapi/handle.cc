// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Handles.  A handle is struct dmapi_handle of the protocol: an 8-byte
// filesystem id, followed for an object by a fid that names the inode and
// its generation.  A filesystem handle is the fsid alone.  Everything that
// only takes a handle apart or puts one together is done here, without
// the kernel; handles given to the caller are malloc'd, as SGI's were, so
// that programs which free() them keep working.
#include "internal.h"

#include <cstdlib>
#include <cstring>
#include <span>

namespace dmapi {

namespace {

static_assert(sizeof(dm_fsid_t) == DMAPI_FSHANDLE_LEN);
static_assert(sizeof(dmapi_handle) == 24 && DMAPI_HANDLE_LEN == 24);
static_assert(offsetof(dmapi_handle, fid) == DMAPI_FSHANDLE_LEN);

enum class HandleKind { bad, global, filesystem, object };

// The global handle is recognised by its pointer value and never read;
// where its bytes are needed (to hash it), this is what they are.
const unsigned char global_handle_byte = 1;

bool is_global_handle(const void *hanp, std::size_t hlen)
{
	return hanp == DM_GLOBAL_HANP && hlen == DM_GLOBAL_HLEN;
}

struct ParsedHandle {
	HandleKind kind = HandleKind::bad;
	dmapi_handle handle{};	// fsid for a filesystem, all of it for an object
};

// Pointers the library must not read: NULL and the global handle's
// sentinel (also when it comes with a wrong length).
bool unreadable(const void *hanp)
{
	return hanp == nullptr || hanp == DM_GLOBAL_HANP;
}

ParsedHandle parse_handle(const void *hanp, std::size_t hlen)
{
	ParsedHandle parsed;

	if (is_global_handle(hanp, hlen)) {
		parsed.kind = HandleKind::global;
		return parsed;
	}
	if (unreadable(hanp))
		return parsed;
	if (hlen != DMAPI_FSHANDLE_LEN && hlen != DMAPI_HANDLE_LEN)
		return parsed;

	// The caller's buffer need not be aligned.
	std::memcpy(&parsed.handle, hanp, hlen);

	// The kernel never makes a zero fsid; one here is garbage.
	if (parsed.handle.fsid == 0)
		return parsed;
	if (hlen == DMAPI_FSHANDLE_LEN) {
		parsed.kind = HandleKind::filesystem;
		return parsed;
	}
	const dmapi_fid &fid = parsed.handle.fid;
	if (fid.fid_len != DMAPI_FID_LEN || fid.fid_pad != 0)
		return parsed;
	parsed.kind = HandleKind::object;
	return parsed;
}

std::span<const unsigned char> bytes_of(const void *hanp, std::size_t hlen)
{
	return {static_cast<const unsigned char *>(hanp), hlen};
}


int three_way(auto a, auto b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

} // namespace

int give_handle(const void *handle, std::size_t len, void **hanpp, std::size_t *hlenp) noexcept
{
	void *copy = std::malloc(len);
	if (!copy)
		return fail(ENOMEM);
	std::memcpy(copy, handle, len);
	*hanpp = copy;
	*hlenp = len;
	return 0;
}
} // namespace dmapi

using namespace dmapi;

extern "C" {

dm_boolean_t dm_handle_is_valid(void *hanp, size_t hlen)
{
	return parse_handle(hanp, hlen).kind != HandleKind::bad ? DM_TRUE : DM_FALSE;
}

// A total order, so that handles can be sorted and searched: by length,
// then pointers that cannot be read (NULL before the global sentinel),
// then bytes.  Handles of the same object compare equal however they
// were obtained, because the kernel encodes an object one way only.
int dm_handle_cmp(void *hanp1, size_t hlen1, void *hanp2, size_t hlen2)
{
	if (int order = three_way(hlen1, hlen2))
		return order;

	auto rank = [](const void *p) { return p == nullptr ? 0 : p == DM_GLOBAL_HANP ? 1 : 2; };
	if (int order = three_way(rank(hanp1), rank(hanp2)))
		return order;
	if (unreadable(hanp1))
		return 0;

	int order = std::memcmp(hanp1, hanp2, hlen1);
	return three_way(order, 0);
}

// FNV-1a: the same value for the same handle in every process and on
// every architecture, so that hashes may be stored.
unsigned int dm_handle_hash(void *hanp, size_t hlen)
{
	if (hanp == nullptr)
		return 0;

	std::span<const unsigned char> bytes = hanp == DM_GLOBAL_HANP
		? bytes_of(&global_handle_byte, sizeof(global_handle_byte))
		: bytes_of(hanp, hlen);

	std::uint32_t hash = 2166136261u;
	for (unsigned char byte : bytes) {
		hash ^= byte;
		hash *= 16777619u;
	}
	return hash;
}

void dm_handle_free(void *hanp, size_t)
{
	if (hanp != DM_GLOBAL_HANP)
		std::free(hanp);
}

int dm_handle_to_fsid(void *hanp, size_t hlen, dm_fsid_t *fsidp)
{
	if (!fsidp)
		return fail(EFAULT);
	ParsedHandle parsed = parse_handle(hanp, hlen);
	if (parsed.kind != HandleKind::filesystem && parsed.kind != HandleKind::object)
		return fail(EBADF);
	*fsidp = parsed.handle.fsid;
	return 0;
}

int dm_handle_to_ino(void *hanp, size_t hlen, dm_ino_t *inop)
{
	if (!inop)
		return fail(EFAULT);
	ParsedHandle parsed = parse_handle(hanp, hlen);
	if (parsed.kind != HandleKind::object)
		return fail(EBADF);
	*inop = parsed.handle.fid.fid_ino;
	return 0;
}

int dm_handle_to_igen(void *hanp, size_t hlen, dm_igen_t *igenp)
{
	if (!igenp)
		return fail(EFAULT);
	ParsedHandle parsed = parse_handle(hanp, hlen);
	if (parsed.kind != HandleKind::object)
		return fail(EBADF);
	*igenp = parsed.handle.fid.fid_gen;
	return 0;
}

int dm_handle_to_fshandle(void *hanp, size_t hlen, void **fshanpp, size_t *fshlenp)
{
	if (!fshanpp || !fshlenp)
		return fail(EFAULT);
	ParsedHandle parsed = parse_handle(hanp, hlen);
	if (parsed.kind != HandleKind::filesystem && parsed.kind != HandleKind::object)
		return fail(EBADF);
	return give_handle(&parsed.handle.fsid, DMAPI_FSHANDLE_LEN, fshanpp, fshlenp);
}

int dm_make_handle(dm_fsid_t *fsidp, dm_ino_t *inop, dm_igen_t *igenp,
		   void **hanpp, size_t *hlenp)
{
	if (!fsidp || !inop || !igenp || !hanpp || !hlenp)
		return fail(EFAULT);

	dmapi_handle handle{};
	handle.fsid = *fsidp;
	handle.fid.fid_len = DMAPI_FID_LEN;
	handle.fid.fid_gen = *igenp;
	handle.fid.fid_ino = *inop;
	return give_handle(&handle, DMAPI_HANDLE_LEN, hanpp, hlenp);
}

int dm_make_fshandle(dm_fsid_t *fsidp, void **hanpp, size_t *hlenp)
{
	if (!fsidp || !hanpp || !hlenp)
		return fail(EFAULT);
	return give_handle(fsidp, DMAPI_FSHANDLE_LEN, hanpp, hlenp);
}

} // extern "C"
