// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Scans: dm_init_attrloc(), dm_get_dirattrs(), dm_get_bulkattr() and
// dm_get_bulkall().  The kernel fills a buffer of its own records
// (struct dmapi_stat, then the entry's name or the DM attribute's value);
// they are laid out here as dm_stat_t (dm_xstat_t) records chained by
// _link, each with its handle and name (value), as many as the caller's
// buffer holds.  The cursor is the one after the
// last record the caller got, so nothing is lost when fewer fit than the
// kernel sent.
#include "internal.h"

#include <algorithm>

#include <cstring>
#include <new>
#include <vector>

using namespace dmapi;

namespace {

constexpr std::size_t align8(std::size_t n)
{
	return (n + DMAPI_MSG_ALIGN - 1) & ~std::size_t{DMAPI_MSG_ALIGN - 1};
}

// What the kernel's buffer has beyond the caller's, so that the first
// record always fits there and E2BIG is decided here, on the caller's
// layout: a record with a name of NAME_MAX bytes.
constexpr std::size_t kKernelRoom = 4096;

// How often a scan asks again for a first record that keeps growing.
constexpr int kGrowingTries = 8;

// The records the caller gets: dm_stat_t, or dm_xstat_t from
// dm_get_bulkall(), which adds the value of a DM attribute.
enum class Kind { stat, xstat };

// The size of the record of an entry, as the caller gets it.
std::size_t record_size(Kind kind, unsigned int mask, const dmapi_stat &st) noexcept
{
	std::size_t size = align8(kind == Kind::xstat ? sizeof(dm_xstat_t) : sizeof(dm_stat_t));
	if (mask & DM_AT_HANDLE)
		size += align8(DMAPI_HANDLE_LEN);
	return size + align8(st.dt_namelen) + (kind == Kind::xstat ? align8(st.dt_attrlen) : 0);
}

// Place len bytes of data at *pos of the record at rec, described by vd.
void put_vardata(unsigned char *rec, std::size_t &pos, dm_vardata_t &vd, const void *data,
		 std::size_t len) noexcept
{
	vd.vd_offset = static_cast<int>(pos);
	vd.vd_length = static_cast<unsigned int>(len);
	std::memcpy(rec + pos, data, len);
	std::memset(rec + pos + len, 0, align8(len) - len);
	pos += align8(len);
}

// The kernel's records in a buffer it filled, walked with care: a record
// that does not fit where the kernel said ends the walk.
class KernelRecords {
public:
	KernelRecords(const unsigned char *buf, std::size_t len) : buf_(buf), len_(len) {}

	const dmapi_stat *next() noexcept
	{
		if (len_ - pos_ < sizeof(dmapi_stat))
			return nullptr;
		dmapi_stat st;
		std::memcpy(&st, buf_ + pos_, sizeof(st));
		if (st.dt_reclen > len_ - pos_ ||
		    st.dt_reclen < sizeof(st) + align8(st.dt_namelen) + st.dt_attrlen)
			return nullptr;
		current_ = buf_ + pos_;
		pos_ += st.dt_reclen;
		return reinterpret_cast<const dmapi_stat *>(current_);
	}

	// The name and the attribute value of the record next() returned last.
	const unsigned char *name() const noexcept { return current_ + sizeof(dmapi_stat); }
	const unsigned char *value() const noexcept
	{
		auto *st = reinterpret_cast<const dmapi_stat *>(current_);
		return name() + align8(st->dt_namelen);
	}

private:
	const unsigned char *buf_;
	std::size_t len_;
	std::size_t pos_ = 0;
	const unsigned char *current_ = nullptr;
};

// What laying out the kernel's records in the caller's buffer came to.
struct Layout {
	std::size_t used = 0;		// bytes of the caller's buffer
	std::size_t records = 0;
	bool stopped = false;		// a record did not fit
	std::size_t first_size = 0;	// of the first record, fitting or not
	dm_attrloc_t loc = 0;		// after the last record laid out
};

Layout lay_out(Kind kind, const unsigned char *in, std::size_t inlen, unsigned int mask,
	       unsigned char *out, std::size_t outlen) noexcept
{
	Layout layout;
	KernelRecords records(in, inlen);
	dm_stat_t *prev = nullptr;
	while (const dmapi_stat *st = records.next()) {
		std::size_t size = record_size(kind, mask, *st);
		if (!layout.first_size)
			layout.first_size = size;
		if (size > outlen - layout.used) {
			layout.stopped = true;
			break;
		}
		unsigned char *rec = out + layout.used;
		std::size_t pos = align8(kind == Kind::xstat ? sizeof(dm_xstat_t) : sizeof(dm_stat_t));
		std::memset(rec, 0, pos);
		auto *dt = reinterpret_cast<dm_stat_t *>(rec);
		fill_dm_stat(*st, mask, *dt);
		if (mask & DM_AT_HANDLE)
			put_vardata(rec, pos, dt->dt_handle, &st->dt_handle, DMAPI_HANDLE_LEN);
		if (st->dt_namelen)
			put_vardata(rec, pos, dt->dt_compname, records.name(), st->dt_namelen);
		if (kind == Kind::xstat && st->dt_attrlen) {
			auto *dx = reinterpret_cast<dm_xstat_t *>(rec);
			put_vardata(rec, pos, dx->dx_attrdata, records.value(), st->dt_attrlen);
		}
		dt->_link = static_cast<int>(size);
		prev = dt;
		layout.used += size;
		layout.records++;
		layout.loc = st->dt_loc;
	}
	if (prev)
		prev->_link = 0;
	return layout;
}

int scan_arg(dm_sessid_t sid, void *hanp, std::size_t hlen, dm_token_t token,
	     dm_attrloc_t *locp, dmapi_scan_arg &arg) noexcept
{
	if (!locp)
		return fail(EFAULT);
	arg = handle_call_arg<dmapi_scan_arg>(sid, hanp, hlen, token);
	return 0;
}

// One scan call: the kernel's records into a buffer of ours, laid out in
// the caller's.  Returns 1 when entries remain, 0 at the end, -1 with
// errno set.
template <unsigned long Request>
int scan(Kind kind, dmapi_scan_arg &arg, dm_attrloc_t *locp, std::size_t buflen, void *bufp,
	 std::size_t *rlenp) noexcept
{
	if (!rlenp || (buflen && !bufp))
		return fail(EFAULT);
	// The module fills no more than DMAPI_MAX_BATCH whatever the buffer:
	// a larger one would only be zeroed, or (on 32 bits) not be made.
	std::vector<unsigned char> kernel;
	try {
		kernel.resize(std::min<std::size_t>(buflen, DMAPI_MAX_BATCH) + kKernelRoom);
	} catch (const std::bad_alloc &) {
		return fail(ENOMEM);
	}
	arg.loc = *locp;
	arg.buf.ptr = user_ptr(kernel.data());
	arg.buf.len = kernel.size();
	int ret = call<Request>(arg);
	// A step that found nothing (unused inode numbers, objects outside a
	// subtree's tree, entries removed meanwhile) goes on from where it
	// stopped: as with SGI's bulkstat, 1 comes with records, and loops
	// that do not look at *rlenp see no batch twice.
	while (!ret && !arg.buf.rlen && arg.more)
		ret = call<Request>(arg);
	// A first record larger than our room (a long DM attribute value):
	// again with room for it, so that E2BIG is decided below; and again
	// while another DM application makes that value longer meanwhile.
	for (int tries = 0; ret && errno == E2BIG && arg.buf.rlen > kernel.size(); tries++) {
		if (tries == kGrowingTries) {
			// The caller's record is its kernel record's size but for
			// the stat structure: within kKernelRoom of it.
			*rlenp = static_cast<std::size_t>(arg.buf.rlen) + kKernelRoom;
			return fail(E2BIG);
		}
		try {
			kernel.resize(static_cast<std::size_t>(arg.buf.rlen));
		} catch (const std::bad_alloc &) {
			return fail(ENOMEM);
		}
		arg.buf.ptr = user_ptr(kernel.data());
		arg.buf.len = kernel.size();
		ret = call<Request>(arg);
	}
	if (ret)
		return -1;
	Layout layout = lay_out(kind, kernel.data(), static_cast<std::size_t>(arg.buf.rlen),
				arg.mask, static_cast<unsigned char *>(bufp), buflen);
	if (layout.stopped && !layout.records) {
		*rlenp = layout.first_size;
		return fail(E2BIG);
	}
	*rlenp = layout.used;
	*locp = layout.stopped ? layout.loc : arg.loc;
	return layout.stopped || arg.more ? 1 : 0;
}

} // namespace

extern "C" {

int dm_init_attrloc(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token,
		    dm_attrloc_t *locp)
{
	dmapi_scan_arg arg;
	if (scan_arg(sid, hanp, hlen, token, locp, arg))
		return -1;
	if (call<DMAPI_IOC_INIT_ATTRLOC>(arg))
		return -1;
	*locp = arg.loc;
	return 0;
}

int dm_get_dirattrs(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token, unsigned int mask,
		    dm_attrloc_t *locp, size_t buflen, void *bufp, size_t *rlenp)
{
	dmapi_scan_arg arg;
	if (scan_arg(sid, hanp, hlen, token, locp, arg))
		return -1;
	arg.mask = mask ? mask : kAllAttributes;
	return scan<DMAPI_IOC_GET_DIRATTRS>(Kind::stat, arg, locp, buflen, bufp, rlenp);
}

int dm_get_bulkattr(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token, unsigned int mask,
		    dm_attrloc_t *locp, size_t buflen, void *bufp, size_t *rlenp)
{
	dmapi_scan_arg arg;
	if (scan_arg(sid, hanp, hlen, token, locp, arg))
		return -1;
	arg.mask = mask ? mask : kAllAttributes;
	return scan<DMAPI_IOC_GET_BULKATTR>(Kind::stat, arg, locp, buflen, bufp, rlenp);
}

int dm_get_bulkall(dm_sessid_t sid, void *hanp, size_t hlen, dm_token_t token, unsigned int mask,
		   dm_attrname_t *attrnamep, dm_attrloc_t *locp, size_t buflen, void *bufp,
		   size_t *rlenp)
{
	if (!attrnamep)
		return fail(EFAULT);
	dmapi_scan_arg arg;
	if (scan_arg(sid, hanp, hlen, token, locp, arg))
		return -1;
	arg.mask = mask ? mask : kAllAttributes;
	arg.flags = DMAPI_SCAN_DMATTR;
	std::memcpy(arg.attrname, attrnamep->an_chars, sizeof(arg.attrname));
	return scan<DMAPI_IOC_GET_BULKATTR>(Kind::xstat, arg, locp, buflen, bufp, rlenp);
}

} // extern "C"
