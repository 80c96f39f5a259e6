// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * <xdsm/dmapi.hpp> - the Data Management API for C++ programs
 *
 * A thin layer over the C functions of <xdsm/dmapi.h>, which stay the one
 * way to the kernel: sessions and handles as values, messages with typed
 * views, an event loop that answers from its handlers' return values,
 * guards that release rights on every path, DM attributes and regions as
 * standard containers, and scans as ranges that grow their buffers and
 * follow their cursors themselves.
 *
 * Errors are std::system_error with the errno of the failed call, in the
 * generic category; the event loop turns a handler's failure into an
 * ABORT answer with that errno instead.  C++17; std::span overloads with
 * C++20.  Header only: nothing here changes libdmapi's ABI.
 */
#ifndef _XDSM_DMAPI_HPP
#define _XDSM_DMAPI_HPP

#include <xdsm/dmapi.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>
#if __cplusplus >= 202002L
#include <span>
#endif

namespace xdsm {

/** The exception of a failed call: @what names the C function. */
[[noreturn]] inline void throw_errno(const char *what, int error = errno)
{
	throw std::system_error(error, std::generic_category(), what);
}

/** Throws unless @rc is 0. */
inline void check(int rc, const char *what)
{
	if (rc != 0)
		throw_errno(what);
}

using Bytes = std::vector<std::byte>;

namespace detail {

/*
 * Call @fn(buflen, bufp, rlenp) with a buffer that grows to the size an
 * E2BIG failure asks for; the bytes it filled.
 */
template <typename Fn>
Bytes fill(const char *what, std::size_t first, Fn fn)
{
	Bytes buf(first);
	for (int tries = 0; tries < 8; tries++) {
		std::size_t rlen = 0;
		if (fn(buf.size(), buf.data(), &rlen) == 0) {
			buf.resize(rlen);
			return buf;
		}
		if (errno != E2BIG || rlen <= buf.size())
			throw_errno(what);
		buf.resize(rlen);
	}
	throw_errno(what, E2BIG);
}

/*
 * Like fill(), into @buf, which keeps its size between calls: what the
 * call wrote is the first @return bytes.  For calls made for every event,
 * where zeroing a fresh buffer each time would cost more than the call.
 */
template <typename Fn>
std::size_t fill_reusing(const char *what, Bytes &buf, Fn fn)
{
	for (int tries = 0; tries < 8; tries++) {
		std::size_t rlen = 0;
		if (fn(buf.size(), buf.data(), &rlen) == 0)
			return rlen;
		if (errno != E2BIG || rlen <= buf.size())
			throw_errno(what);
		buf.resize(rlen);
	}
	throw_errno(what, E2BIG);
}

/*
 * Call @fn(nelem, elems, nelemp) with room for more elements each time it
 * fails E2BIG: what *nelemp asks for, and a quarter more for those that
 * come meanwhile (tokens of a busy session); the elements it filled.
 */
template <typename T, typename Fn>
std::vector<T> fill_elements(const char *what, std::size_t first, Fn fn)
{
	std::vector<T> elems(first);
	for (int tries = 0; tries < 8; tries++) {
		unsigned int n = 0;
		if (fn(static_cast<unsigned int>(elems.size()), elems.data(), &n) == 0) {
			elems.resize(n);
			return elems;
		}
		if (errno != E2BIG || n <= elems.size())
			throw_errno(what);
		elems.resize(std::size_t{n} + n / 4);
	}
	throw_errno(what, E2BIG);
}

inline std::string_view var_string(const void *base, const dm_vardata_t &vd)
{
	if (!vd.vd_length)
		return {};
	const char *p = static_cast<const char *>(base) + vd.vd_offset;
	/* Names carry their NUL; the view does not. */
	std::size_t len = vd.vd_length;
	if (p[len - 1] == '\0')
		len--;
	return {p, len};
}

} // namespace detail

/**
 * A handle: of an object, of a filesystem, or the global handle.  A value
 * type: copies are independent, equality is dm_handle_cmp(), std::hash
 * is dm_handle_hash().
 */
class Handle {
public:
	Handle() = default;
	Handle(const void *data, std::size_t len)
		: bytes_(static_cast<const std::byte *>(data),
			 static_cast<const std::byte *>(data) + len) {}

	/** The global handle, for the MOUNT disposition. */
	static Handle global()
	{
		Handle h;
		h.global_ = true;
		return h;
	}

	/** The handle of the object at @path (dm_path_to_handle()). */
	static Handle of_path(const std::string &path)
	{
		return adopt(dm_path_to_handle, "dm_path_to_handle", path);
	}

	/** The handle of the filesystem of @path (dm_path_to_fshandle()). */
	static Handle of_filesystem(const std::string &path)
	{
		return adopt(dm_path_to_fshandle, "dm_path_to_fshandle", path);
	}

	/** The handle of the object open as @fd (dm_fd_to_handle()). */
	static Handle of_fd(int fd)
	{
		void *hanp = nullptr;
		std::size_t hlen = 0;
		check(dm_fd_to_handle(fd, &hanp, &hlen), "dm_fd_to_handle");
		return take(hanp, hlen);
	}

	/** A handle made of its parts (dm_make_handle()). */
	static Handle make(dm_fsid_t fsid, dm_ino_t ino, dm_igen_t igen)
	{
		void *hanp = nullptr;
		std::size_t hlen = 0;
		check(dm_make_handle(&fsid, &ino, &igen, &hanp, &hlen), "dm_make_handle");
		return take(hanp, hlen);
	}

	/** For the C functions, which take non-const pointers. */
	void *hanp() const
	{
		return global_ ? DM_GLOBAL_HANP : const_cast<std::byte *>(bytes_.data());
	}
	std::size_t hlen() const { return global_ ? DM_GLOBAL_HLEN : bytes_.size(); }

	bool empty() const { return !global_ && bytes_.empty(); }
	bool is_global() const { return global_; }
	/** A filesystem handle: the fsid alone. */
	bool is_filesystem() const { return !global_ && bytes_.size() == sizeof(dm_fsid_t); }

	dm_fsid_t fsid() const
	{
		dm_fsid_t fsid;
		check(dm_handle_to_fsid(hanp(), hlen(), &fsid), "dm_handle_to_fsid");
		return fsid;
	}

	dm_ino_t ino() const
	{
		dm_ino_t ino;
		check(dm_handle_to_ino(hanp(), hlen(), &ino), "dm_handle_to_ino");
		return ino;
	}

	dm_igen_t igen() const
	{
		dm_igen_t igen;
		check(dm_handle_to_igen(hanp(), hlen(), &igen), "dm_handle_to_igen");
		return igen;
	}

	/** The handle of the object's filesystem. */
	Handle filesystem() const
	{
		void *fshanp = nullptr;
		std::size_t fshlen = 0;
		check(dm_handle_to_fshandle(hanp(), hlen(), &fshanp, &fshlen),
		      "dm_handle_to_fshandle");
		return take(fshanp, fshlen);
	}

	friend bool operator==(const Handle &a, const Handle &b)
	{
		if (a.global_ || b.global_)
			return a.global_ == b.global_;
		return a.bytes_ == b.bytes_;
	}
	friend bool operator!=(const Handle &a, const Handle &b) { return !(a == b); }

	std::size_t hash() const
	{
		return global_ ? 1 : static_cast<std::size_t>(dm_handle_hash(hanp(), hlen()));
	}

private:
	/* Copies a handle the library allocated, and frees it, even when the copy throws. */
	static Handle take(void *hanp, std::size_t hlen)
	{
		struct Freer {
			void *hanp;
			std::size_t hlen;
			~Freer() { dm_handle_free(hanp, hlen); }
		} freer{hanp, hlen};
		return Handle(hanp, hlen);
	}

	template <typename Fn>
	static Handle adopt(Fn fn, const char *what, const std::string &path)
	{
		void *hanp = nullptr;
		std::size_t hlen = 0;
		check(fn(const_cast<char *>(path.c_str()), &hanp, &hlen), what);
		return take(hanp, hlen);
	}

	Bytes bytes_;
	bool global_ = false;
};

/** A set of events, as dm_eventset_t. */
class EventSet {
public:
	EventSet() = default;
	EventSet(std::initializer_list<dm_eventtype_t> events)
	{
		for (auto e : events)
			DMEV_SET(e, set_);
	}
	explicit EventSet(dm_eventset_t set) : set_(set) {}

	bool contains(dm_eventtype_t e) const { return DMEV_ISSET(e, set_); }
	void add(dm_eventtype_t e) { DMEV_SET(e, set_); }
	dm_eventset_t bits() const { return set_; }
	friend bool operator==(EventSet a, EventSet b) { return a.set_ == b.set_; }
	friend bool operator!=(EventSet a, EventSet b) { return a.set_ != b.set_; }

private:
	dm_eventset_t set_ = 0;
};

/** A DM attribute name: up to DM_ATTR_NAME_SIZE bytes. */
inline dm_attrname_t attr_name(std::string_view name)
{
	if (name.size() > DM_ATTR_NAME_SIZE)
		throw_errno("DM attribute name", EINVAL);
	dm_attrname_t an{};
	std::memcpy(an.an_chars, name.data(), name.size());
	return an;
}

inline std::string attr_name_string(const dm_attrname_t &an)
{
	const char *p = reinterpret_cast<const char *>(an.an_chars);
	return std::string(p, strnlen(p, DM_ATTR_NAME_SIZE));
}

/* The events as messages carry them. */

/** MOUNT (and dm_get_mountinfo()). */
struct MountEvent {
	unsigned int mode;		/**< DM_MOUNT_RDONLY */
	Handle filesystem;
	Handle root;
	std::string_view mountpoint;
	std::string_view lower;		/**< what is mounted */
};

/** READ, WRITE, TRUNCATE, NOSPACE: the file and the range. */
struct DataEvent {
	Handle object;
	dm_off_t offset;		/**< TRUNCATE: the new size */
	dm_size_t length;		/**< 0: to the end of any file */
};

/**
 * The namespace events (CREATE to POSTSYMLINK), ATTRIBUTE, CLOSE, DEBUT,
 * PREUNMOUNT and UNMOUNT, as dm_namesp_event_t.
 */
struct NamespaceEvent {
	mode_t mode;
	Handle handle1;
	Handle handle2;
	std::string_view name1;
	std::string_view name2;
	int retcode;			/**< POST events: 0 or the errno */
};

/** DESTROY: the object gone and its return-on-destroy attribute. */
struct DestroyEvent {
	Handle object;
	std::string attrname;		/**< empty when none is set */
	std::string_view attrcopy;	/**< its value, if the object had it */
};

/** CANCEL: nobody waits for the answer to this token any more. */
struct CancelEvent {
	dm_sequence_t sequence;
	dm_token_t token;
};

/** USER: what dm_send_msg() or dm_create_userevent() carried. */
struct UserEvent {
	std::string_view data;
};

/**
 * One message, copied out of dm_get_events()'s buffer.  The views it
 * gives refer to its bytes: they last as long as it does.
 */
class Message {
public:
	explicit Message(const dm_eventmsg_t *msg)
	{
		const auto *p = reinterpret_cast<const std::byte *>(msg);
		std::size_t len = msg->_link ? static_cast<std::size_t>(msg->_link) :
			msg->ev_data.vd_offset + msg->ev_data.vd_length;
		bytes_.assign(p, p + std::max(len, sizeof(dm_eventmsg_t)));
	}

	dm_eventtype_t type() const { return msg()->ev_type; }
	dm_token_t token() const { return msg()->ev_token; }
	dm_sequence_t sequence() const { return msg()->ev_sequence; }
	/** Whether someone waits for the answer. */
	bool synchronous() const { return token() != DM_INVALID_TOKEN; }

	/** The event's ev_data, uninterpreted. */
	std::string_view data() const
	{
		return {reinterpret_cast<const char *>(payload()), msg()->ev_data.vd_length};
	}

	MountEvent mount() const
	{
		const auto *me = as<dm_mount_event_t>(DM_EVENT_MOUNT, DM_EVENT_MOUNT);
		return {me->me_mode, handle(me, me->me_handle1), handle(me, me->me_roothandle),
			detail::var_string(me, me->me_name1), detail::var_string(me, me->me_name2)};
	}

	DataEvent data_event() const
	{
		const auto *de = as<dm_data_event_t>(DM_EVENT_READ, DM_EVENT_TRUNCATE, DM_EVENT_NOSPACE);
		return {handle(de, de->de_handle), de->de_offset, de->de_length};
	}

	NamespaceEvent namespace_event() const
	{
		const auto *ne = as<dm_namesp_event_t>(DM_EVENT_PREUNMOUNT, DM_EVENT_POSTSYMLINK,
						       DM_EVENT_ATTRIBUTE);
		return {ne->ne_mode, handle(ne, ne->ne_handle1), handle(ne, ne->ne_handle2),
			detail::var_string(ne, ne->ne_name1), detail::var_string(ne, ne->ne_name2),
			ne->ne_retcode};
	}

	DestroyEvent destroy() const
	{
		const auto *ds = as<dm_destroy_event_t>(DM_EVENT_DESTROY, DM_EVENT_DESTROY);
		const char *copy = reinterpret_cast<const char *>(ds) + ds->ds_attrcopy.vd_offset;
		return {handle(ds, ds->ds_handle), attr_name_string(ds->ds_attrname),
			std::string_view(copy, ds->ds_attrcopy.vd_length)};
	}

	CancelEvent cancel() const
	{
		const auto *ce = as<dm_cancel_event_t>(DM_EVENT_CANCEL, DM_EVENT_CANCEL);
		return {ce->ce_sequence, ce->ce_token};
	}

	UserEvent user() const
	{
		expect(type() == DM_EVENT_USER);
		return {data()};
	}

private:
	const dm_eventmsg_t *msg() const
	{
		return reinterpret_cast<const dm_eventmsg_t *>(bytes_.data());
	}
	const std::byte *payload() const { return bytes_.data() + msg()->ev_data.vd_offset; }

	static void expect(bool ok)
	{
		if (!ok)
			throw_errno("xdsm::Message: not an event of that kind", EINVAL);
	}

	/* The payload as T, for types first..last or other. */
	template <typename T>
	const T *as(dm_eventtype_t first, dm_eventtype_t last,
		    dm_eventtype_t other = DM_EVENT_INVALID) const
	{
		dm_eventtype_t t = type();
		expect((t >= first && t <= last) || t == other);
		expect(msg()->ev_data.vd_length >= sizeof(T));
		return reinterpret_cast<const T *>(payload());
	}

	static Handle handle(const void *base, const dm_vardata_t &vd)
	{
		return Handle(static_cast<const std::byte *>(base) + vd.vd_offset, vd.vd_length);
	}

	Bytes bytes_;
};

/** What an event handler answers: CONTINUE, or ABORT with an errno. */
struct Reply {
	dm_response_t response;
	int error;

	static Reply cont() { return {DM_RESP_CONTINUE, 0}; }
	static Reply abort(int error) { return {DM_RESP_ABORT, error}; }
	/** MOUNT only: let the next session decide. */
	static Reply dontcare() { return {DM_RESP_DONTCARE, 0}; }
};

/** The attributes of one object of a scan. */
struct Entry {
	dm_stat_t stat;
	Handle handle;			/**< when the scan asked for DM_AT_HANDLE */
	std::string name;		/**< directory scans */
	Bytes attribute;		/**< bulkall: the DM attribute's value */
};

/**
 * The extents of a file as a range of dm_extent_t: dm_get_allocinfo()
 * called as the iteration needs, 64 extents at a time.  Input iterators:
 * one pass.
 */
class Extents {
public:
	Extents(dm_sessid_t sid, Handle handle, dm_off_t off, dm_token_t token)
		: sid_(sid), handle_(std::move(handle)), off_(off), token_(token) {}

	class iterator {
	public:
		using iterator_category = std::input_iterator_tag;
		using value_type = dm_extent_t;
		using difference_type = std::ptrdiff_t;
		using pointer = const dm_extent_t *;
		using reference = const dm_extent_t &;

		iterator() = default;
		explicit iterator(Extents *extents) : extents_(extents) { advance(); }

		reference operator*() const { return extents_->batch_[extents_->pos_]; }
		pointer operator->() const { return &**this; }
		iterator &operator++()
		{
			advance();
			return *this;
		}
		void operator++(int) { advance(); }
		friend bool operator==(const iterator &a, const iterator &b)
		{
			return a.extents_ == b.extents_;
		}
		friend bool operator!=(const iterator &a, const iterator &b) { return !(a == b); }

	private:
		void advance()
		{
			if (extents_ && !extents_->next())
				extents_ = nullptr;
		}

		Extents *extents_ = nullptr;
	};

	iterator begin() { return iterator(this); }
	iterator end() { return iterator(); }

private:
	/* Move to the next extent, fetching a batch when needed. */
	bool next()
	{
		if (started_ && ++pos_ < count_)
			return true;
		started_ = true;
		while (!done_) {
			unsigned int n = 0;
			int rc = dm_get_allocinfo(sid_, handle_.hanp(), handle_.hlen(), token_, &off_,
						  batch_.size(), batch_.data(), &n);
			if (rc < 0)
				throw_errno("dm_get_allocinfo");
			done_ = rc == 0;
			count_ = n;
			pos_ = 0;
			if (n)
				return true;
		}
		return false;
	}

	dm_sessid_t sid_;
	Handle handle_;
	dm_off_t off_;
	dm_token_t token_;
	std::vector<dm_extent_t> batch_ = std::vector<dm_extent_t>(64);
	std::size_t count_ = 0, pos_ = 0;
	bool started_ = false, done_ = false;
};

class Session;

/**
 * A scan as a range of Entry: dm_get_dirattrs(), dm_get_bulkattr() or
 * dm_get_bulkall(), called as the iteration needs, with a buffer that
 * grows on E2BIG.  Input iterators: one pass.
 */
class Scan {
public:
	enum class Kind { directory, filesystem, filesystem_with_attribute };

	Scan(dm_sessid_t sid, Handle handle, Kind kind, unsigned int mask,
	     std::string attribute = {}, std::size_t buffer = 65536)
		: sid_(sid), handle_(std::move(handle)), kind_(kind), mask_(mask),
		  attr_(attr_name(attribute)), buf_(std::max<std::size_t>(buffer, 1024))
	{
		check(dm_init_attrloc(sid_, handle_.hanp(), handle_.hlen(), DM_NO_TOKEN, &loc_),
		      "dm_init_attrloc");
	}

	class iterator {
	public:
		using iterator_category = std::input_iterator_tag;
		using value_type = Entry;
		using difference_type = std::ptrdiff_t;
		using pointer = const Entry *;
		using reference = const Entry &;

		iterator() = default;
		explicit iterator(Scan *scan) : scan_(scan) { advance(); }

		reference operator*() const { return scan_->current(); }
		pointer operator->() const { return &scan_->current(); }
		iterator &operator++()
		{
			advance();
			return *this;
		}
		void operator++(int) { advance(); }
		friend bool operator==(const iterator &a, const iterator &b)
		{
			return a.scan_ == b.scan_;
		}
		friend bool operator!=(const iterator &a, const iterator &b) { return !(a == b); }

	private:
		void advance()
		{
			if (scan_ && !scan_->next())
				scan_ = nullptr;
		}

		Scan *scan_ = nullptr;
	};

	iterator begin() { return iterator(this); }
	iterator end() { return iterator(); }

private:
	const Entry &current() const { return entry_; }

	/* The next entry into entry_; false at the end. */
	bool next()
	{
		while (pos_ == kNone) {
			if (done_)
				return false;
			fetch();
		}
		const auto *st = reinterpret_cast<const dm_stat_t *>(buf_.data() + pos_);
		entry_.stat = *st;
		entry_.handle = Handle(reinterpret_cast<const std::byte *>(st) + st->dt_handle.vd_offset,
				       st->dt_handle.vd_length);
		entry_.name = std::string(detail::var_string(st, st->dt_compname));
		entry_.attribute.clear();
		if (kind_ == Kind::filesystem_with_attribute) {
			const auto *dx = reinterpret_cast<const dm_xstat_t *>(st);
			const auto *v = reinterpret_cast<const std::byte *>(dx) + dx->dx_attrdata.vd_offset;
			entry_.attribute.assign(v, v + dx->dx_attrdata.vd_length);
		}
		pos_ = st->_link ? pos_ + st->_link : kNone;
		return true;
	}

	/*
	 * One call: fills buf_ from the cursor, growing it on E2BIG, as often
	 * as another DM application makes the first record longer meanwhile.
	 */
	void fetch()
	{
		std::size_t rlen = 0;
		int rc = call(&rlen);
		for (int tries = 0; rc < 0 && errno == E2BIG && rlen > buf_.size() && tries < 8;
		     tries++) {
			buf_.resize(rlen);
			rc = call(&rlen);
		}
		if (rc < 0)
			throw_errno(kind_ == Kind::directory ? "dm_get_dirattrs" :
				    kind_ == Kind::filesystem ? "dm_get_bulkattr" : "dm_get_bulkall");
		done_ = rc == 0;
		pos_ = rlen ? 0 : kNone;
	}

	int call(std::size_t *rlenp)
	{
		switch (kind_) {
		case Kind::directory:
			return dm_get_dirattrs(sid_, handle_.hanp(), handle_.hlen(), DM_NO_TOKEN, mask_,
					       &loc_, buf_.size(), buf_.data(), rlenp);
		case Kind::filesystem:
			return dm_get_bulkattr(sid_, handle_.hanp(), handle_.hlen(), DM_NO_TOKEN, mask_,
					       &loc_, buf_.size(), buf_.data(), rlenp);
		default:
			return dm_get_bulkall(sid_, handle_.hanp(), handle_.hlen(), DM_NO_TOKEN, mask_,
					      &attr_, &loc_, buf_.size(), buf_.data(), rlenp);
		}
	}

	dm_sessid_t sid_;
	Handle handle_;
	Kind kind_;
	unsigned int mask_;
	dm_attrname_t attr_;
	dm_attrloc_t loc_ = 0;
	/* An offset in buf_, not a pointer: a copy of the scan reads its own. */
	static constexpr std::size_t kNone = ~std::size_t{0};
	std::vector<std::byte> buf_;
	std::size_t pos_ = kNone;
	bool done_ = false;
	Entry entry_;
};

/**
 * A session.  Move-only; it outlives the object and the process unless
 * destroy() is called, as sessions do: a restarted DM application takes
 * it over with take_over() or find_or_create().
 */
class Session {
public:
	/** A new session (dm_create_session()). */
	static Session create(const std::string &info)
	{
		return Session(create_session(DM_NO_SESSION, info));
	}

	/** Session @old taken over, with a new info string. */
	static Session take_over(dm_sessid_t old, const std::string &info)
	{
		return Session(create_session(old, info));
	}

	/**
	 * Every session with its info string (dm_getall_sessions() and
	 * dm_query_session()); one destroyed meanwhile is left out.
	 */
	static std::vector<std::pair<dm_sessid_t, std::string>> all()
	{
		std::vector<std::pair<dm_sessid_t, std::string>> out;
		for (dm_sessid_t sid : detail_all_sessions()) {
			char buf[DM_SESSION_INFO_LEN];
			std::size_t rlen = 0;
			if (dm_query_session(sid, sizeof(buf), buf, &rlen) != 0)
				continue;
			out.emplace_back(sid, std::string(buf, strnlen(buf, rlen)));
		}
		return out;
	}

	/** The first session whose info string is @info, if any. */
	static std::optional<dm_sessid_t> find(const std::string &info)
	{
		for (const auto &[sid, i] : all())
			if (i == info)
				return sid;
		return std::nullopt;
	}

	/** The session of @info taken over, or a new one. */
	static Session find_or_create(const std::string &info)
	{
		auto old = find(info);
		return old ? take_over(*old, info) : create(info);
	}

	explicit Session(dm_sessid_t sid) : sid_(sid) {}
	Session(Session &&other) noexcept : sid_(std::exchange(other.sid_, DM_NO_SESSION)) {}
	Session &operator=(Session &&other) noexcept
	{
		sid_ = std::exchange(other.sid_, DM_NO_SESSION);
		return *this;
	}
	Session(const Session &) = delete;
	Session &operator=(const Session &) = delete;

	dm_sessid_t id() const { return sid_; }

	/** Destroy the session: it must have no message or token left. */
	void destroy()
	{
		check(dm_destroy_session(sid_), "dm_destroy_session");
		sid_ = DM_NO_SESSION;
	}

	/* Events */

	/** Up to @max messages; with @wait, blocks until there is one. */
	std::vector<Message> get_events(unsigned int max = 64, bool wait = true)
	{
		/* One buffer per thread, so that concurrent readers of a session need no lock. */
		thread_local Bytes buf(65536);
		std::size_t len;
		try {
			len = detail::fill_reusing("dm_get_events", buf,
				[&](std::size_t size, void *p, std::size_t *rlen) {
					return dm_get_events(sid_, max, wait ? DM_EV_WAIT : 0, size, p, rlen);
				});
		} catch (const std::system_error &e) {
			if (e.code().value() == EAGAIN)
				return {};
			throw;
		}
		std::vector<Message> out;
		for (auto *m = reinterpret_cast<const dm_eventmsg_t *>(buf.data()); len && m;
		     m = DM_STEP_TO_NEXT(m, const dm_eventmsg_t *))
			out.emplace_back(m);
		return out;
	}

	void respond(dm_token_t token, Reply reply)
	{
		check(dm_respond_event(sid_, token, reply.response, reply.error, 0, nullptr),
		      "dm_respond_event");
	}

	/** The message of outstanding @token (dm_find_eventmsg()). */
	Message find_message(dm_token_t token)
	{
		Bytes buf = detail::fill("dm_find_eventmsg", 4096,
			[&](std::size_t len, void *p, std::size_t *rlen) {
				return dm_find_eventmsg(sid_, token, len, p, rlen);
			});
		return Message(reinterpret_cast<const dm_eventmsg_t *>(buf.data()));
	}

	/** A user event: a token whose message is @data, never queued. */
	dm_token_t create_userevent(std::string_view data = {})
	{
		dm_token_t token = DM_INVALID_TOKEN;
		check(dm_create_userevent(sid_, data.size(), const_cast<char *>(data.data()), &token),
		      "dm_create_userevent");
		return token;
	}

	/** Send @data to session @target, waiting for the answer when @sync. */
	void send_msg(dm_sessid_t target, std::string_view data, bool sync = false)
	{
		check(dm_send_msg(target, sync ? DM_MSGTYPE_SYNC : DM_MSGTYPE_ASYNC, data.size(),
				  const_cast<char *>(data.data())),
		      "dm_send_msg");
	}

	/** The tokens outstanding in the session. */
	std::vector<dm_token_t> tokens()
	{
		return detail::fill_elements<dm_token_t>(
			"dm_getall_tokens", 16, [this](unsigned int nelem, dm_token_t *tokens,
						       unsigned int *nelemp) {
				return dm_getall_tokens(sid_, nelem, tokens, nelemp);
			});
	}

	/* Dispositions and event lists */

	void set_disp(const Handle &h, EventSet events)
	{
		dm_eventset_t set = events.bits();
		check(dm_set_disp(sid_, h.hanp(), h.hlen(), DM_NO_TOKEN, &set, DM_EVENT_MAX),
		      "dm_set_disp");
	}

	void set_eventlist(const Handle &h, EventSet events, dm_token_t token = DM_NO_TOKEN)
	{
		dm_eventset_t set = events.bits();
		check(dm_set_eventlist(sid_, h.hanp(), h.hlen(), token, &set, DM_EVENT_MAX),
		      "dm_set_eventlist");
	}

	EventSet eventlist(const Handle &h, dm_token_t token = DM_NO_TOKEN)
	{
		dm_eventset_t set = 0;
		unsigned int n = 0;
		check(dm_get_eventlist(sid_, h.hanp(), h.hlen(), token, DM_EVENT_MAX, &set, &n),
		      "dm_get_eventlist");
		return EventSet(set);
	}

	/** Return DM attribute @name in the DESTROY events of @fs (dm_set_return_on_destroy()). */
	void set_return_on_destroy(const Handle &fs, std::string_view name, bool enable = true,
				   dm_token_t token = DM_NO_TOKEN)
	{
		dm_attrname_t an = attr_name(name);
		check(dm_set_return_on_destroy(sid_, fs.hanp(), fs.hlen(), token, &an,
					       enable ? DM_TRUE : DM_FALSE),
		      "dm_set_return_on_destroy");
	}

	/* Managed regions */

	std::vector<dm_region_t> regions(const Handle &h, dm_token_t token = DM_NO_TOKEN)
	{
		return detail::fill_elements<dm_region_t>(
			"dm_get_region", 4, [&](unsigned int nelem, dm_region_t *regions,
						unsigned int *nelemp) {
				return dm_get_region(sid_, h.hanp(), h.hlen(), token, nelem, regions,
						     nelemp);
			});
	}

	/** Replace the regions; whether the kernel kept them exactly. */
	bool set_regions(const Handle &h, std::vector<dm_region_t> regions,
			 dm_token_t token = DM_NO_TOKEN)
	{
		dm_boolean_t exact = DM_FALSE;
		check(dm_set_region(sid_, h.hanp(), h.hlen(), token, regions.size(),
				    regions.empty() ? nullptr : regions.data(), &exact),
		      "dm_set_region");
		return exact == DM_TRUE;
	}

	/* DM attributes */

	/** The value of DM attribute @name, or nothing if the object has none. */
	std::optional<Bytes> dmattr(const Handle &h, std::string_view name,
				    dm_token_t token = DM_NO_TOKEN)
	{
		dm_attrname_t an = attr_name(name);
		try {
			return detail::fill("dm_get_dmattr", 256,
				[&](std::size_t len, void *p, std::size_t *rlen) {
					return dm_get_dmattr(sid_, h.hanp(), h.hlen(), token, &an, len, p, rlen);
				});
		} catch (const std::system_error &e) {
			if (e.code().value() == ENOENT)
				return std::nullopt;
			throw;
		}
	}

	void set_dmattr(const Handle &h, std::string_view name, std::string_view value,
			dm_token_t token = DM_NO_TOKEN)
	{
		dm_attrname_t an = attr_name(name);
		check(dm_set_dmattr(sid_, h.hanp(), h.hlen(), token, &an, 0, value.size(),
				    const_cast<char *>(value.data())),
		      "dm_set_dmattr");
	}

	void remove_dmattr(const Handle &h, std::string_view name, dm_token_t token = DM_NO_TOKEN)
	{
		dm_attrname_t an = attr_name(name);
		check(dm_remove_dmattr(sid_, h.hanp(), h.hlen(), token, 0, &an), "dm_remove_dmattr");
	}

	/** Every DM attribute of the object, by name. */
	std::map<std::string, Bytes> dmattrs(const Handle &h, dm_token_t token = DM_NO_TOKEN)
	{
		Bytes buf = detail::fill("dm_getall_dmattr", 4096,
			[&](std::size_t len, void *p, std::size_t *rlen) {
				return dm_getall_dmattr(sid_, h.hanp(), h.hlen(), token, len, p, rlen);
			});
		std::map<std::string, Bytes> out;
		for (auto *al = reinterpret_cast<const dm_attrlist_t *>(buf.data()); !buf.empty() && al;
		     al = DM_STEP_TO_NEXT(al, const dm_attrlist_t *)) {
			const auto *v = reinterpret_cast<const std::byte *>(al) + al->al_data.vd_offset;
			out[attr_name_string(al->al_name)] = Bytes(v, v + al->al_data.vd_length);
		}
		return out;
	}

	/* Data */

	std::size_t read_invis(const Handle &h, dm_off_t off, void *buf, std::size_t len,
			       dm_token_t token = DM_NO_TOKEN)
	{
		dm_ssize_t n = dm_read_invis(sid_, h.hanp(), h.hlen(), token, off, len, buf);
		if (n < 0)
			throw_errno("dm_read_invis");
		return static_cast<std::size_t>(n);
	}

	std::size_t write_invis(const Handle &h, dm_off_t off, const void *buf, std::size_t len,
				dm_token_t token = DM_NO_TOKEN)
	{
		dm_ssize_t n = dm_write_invis(sid_, h.hanp(), h.hlen(), token, 0, off, len,
					      const_cast<void *>(buf));
		if (n < 0)
			throw_errno("dm_write_invis");
		return static_cast<std::size_t>(n);
	}

#if __cplusplus >= 202002L
	std::size_t read_invis(const Handle &h, dm_off_t off, std::span<std::byte> buf,
			       dm_token_t token = DM_NO_TOKEN)
	{
		return read_invis(h, off, buf.data(), buf.size(), token);
	}

	std::size_t write_invis(const Handle &h, dm_off_t off, std::span<const std::byte> buf,
				dm_token_t token = DM_NO_TOKEN)
	{
		return write_invis(h, off, buf.data(), buf.size(), token);
	}
#endif

	void punch_hole(const Handle &h, dm_off_t off, dm_size_t len, dm_token_t token = DM_NO_TOKEN)
	{
		check(dm_punch_hole(sid_, h.hanp(), h.hlen(), token, off, len), "dm_punch_hole");
	}

	/**
	 * What a punch of [@off, @off + @len) would free, rounded inwards to
	 * whole blocks (dm_probe_hole()): its offset and length, 0 to the
	 * end of the file.
	 */
	std::pair<dm_off_t, dm_size_t> probe_hole(const Handle &h, dm_off_t off, dm_size_t len = 0,
						  dm_token_t token = DM_NO_TOKEN)
	{
		dm_off_t roff = 0;
		dm_size_t rlen = 0;
		check(dm_probe_hole(sid_, h.hanp(), h.hlen(), token, off, len, &roff, &rlen),
		      "dm_probe_hole");
		return {roff, rlen};
	}

	/** Write the file's data and metadata to disk (dm_sync_by_handle()). */
	void sync(const Handle &h, dm_token_t token = DM_NO_TOKEN)
	{
		check(dm_sync_by_handle(sid_, h.hanp(), h.hlen(), token), "dm_sync_by_handle");
	}

	/** The extents of the file from @off, as a range (dm_get_allocinfo()). */
	Extents allocinfo(const Handle &h, dm_off_t off = 0, dm_token_t token = DM_NO_TOKEN)
	{
		return Extents(sid_, h, off, token);
	}

	/* Attributes and scans */

	dm_stat_t fileattr(const Handle &h, unsigned int mask = 0, dm_token_t token = DM_NO_TOKEN)
	{
		dm_stat_t st;
		check(dm_get_fileattr(sid_, h.hanp(), h.hlen(), token, mask, &st), "dm_get_fileattr");
		return st;
	}

	/** The entries of directory @dir, with names and handles. */
	Scan dirattrs(const Handle &dir, unsigned int mask = DM_AT_HANDLE | DM_AT_STAT)
	{
		return Scan(sid_, dir, Scan::Kind::directory, mask);
	}

	/** Every object of filesystem @fs once, by ascending inode number. */
	Scan bulkattr(const Handle &fs, unsigned int mask = DM_AT_HANDLE | DM_AT_STAT)
	{
		return Scan(sid_, fs, Scan::Kind::filesystem, mask);
	}

	/** The same, each with the value of DM attribute @name. */
	Scan bulkall(const Handle &fs, std::string_view name,
		     unsigned int mask = DM_AT_HANDLE | DM_AT_STAT)
	{
		return Scan(sid_, fs, Scan::Kind::filesystem_with_attribute, mask, std::string(name));
	}

private:
	static dm_sessid_t create_session(dm_sessid_t old, const std::string &info)
	{
		dm_sessid_t sid = DM_NO_SESSION;
		check(dm_create_session(old, const_cast<char *>(info.c_str()), &sid),
		      "dm_create_session");
		return sid;
	}

	static std::vector<dm_sessid_t> detail_all_sessions()
	{
		return detail::fill_elements<dm_sessid_t>("dm_getall_sessions", 16,
							  dm_getall_sessions);
	}

	dm_sessid_t sid_ = DM_NO_SESSION;
};

/**
 * An access right of a token on an object, given back when the guard goes,
 * on every path.  Upgrade and downgrade in place.  A token's right is one
 * right, not a count: a guard taken over a right the token already holds
 * (a nested guard, a right taken through the C API) gives back only what
 * it added, nothing over an equal or stronger right, and SHARED again
 * where it raised SHARED to EXCL (without @wait: an upgrade cannot wait,
 * EACCES).  Not for a token used by several threads at once.
 */
class Right {
public:
	Right(Session &s, Handle h, dm_token_t token, dm_right_t right, bool wait = true)
		: sid_(s.id()), handle_(std::move(h)), token_(token)
	{
		check(dm_query_right(sid_, handle_.hanp(), handle_.hlen(), token_, &before_),
		      "dm_query_right");
		check(dm_request_right(sid_, handle_.hanp(), handle_.hlen(), token_,
				       wait ? DM_RR_WAIT : 0, right),
		      "dm_request_right");
		right_ = std::max(before_, right);
	}
	/* errno is left as it was: a failure here (ESRCH, the token answered) has nobody to tell. */
	~Right()
	{
		int saved = errno;
		if (right_ != before_ && before_ == DM_RIGHT_NULL)
			(void)dm_release_right(sid_, handle_.hanp(), handle_.hlen(), token_);
		else if (right_ == DM_RIGHT_EXCL && before_ == DM_RIGHT_SHARED)
			(void)dm_downgrade_right(sid_, handle_.hanp(), handle_.hlen(), token_);
		errno = saved;
	}
	Right(const Right &) = delete;
	Right &operator=(const Right &) = delete;

	/** What the token holds now, as far as this guard knows. */
	dm_right_t held() const { return right_; }

	void upgrade()
	{
		check(dm_upgrade_right(sid_, handle_.hanp(), handle_.hlen(), token_), "dm_upgrade_right");
		right_ = DM_RIGHT_EXCL;
	}

	void downgrade()
	{
		check(dm_downgrade_right(sid_, handle_.hanp(), handle_.hlen(), token_),
		      "dm_downgrade_right");
		right_ = DM_RIGHT_SHARED;
	}

	/** Release the token's right now, whoever took it; the guard then gives back nothing. */
	void release()
	{
		check(dm_release_right(sid_, handle_.hanp(), handle_.hlen(), token_), "dm_release_right");
		right_ = before_ = DM_RIGHT_NULL;
	}

private:
	dm_sessid_t sid_;
	Handle handle_;
	dm_token_t token_;
	dm_right_t before_ = DM_RIGHT_NULL;
	dm_right_t right_ = DM_RIGHT_NULL;
};

/**
 * A reference of a token to an object (dm_obj_ref_hold()), dropped when
 * the guard goes, on every path.
 */
class ObjRef {
public:
	ObjRef(Session &s, Handle h, dm_token_t token)
		: sid_(s.id()), handle_(std::move(h)), token_(token)
	{
		check(dm_obj_ref_hold(sid_, token_, handle_.hanp(), handle_.hlen()), "dm_obj_ref_hold");
	}
	/* errno is left as it was, as by ~Right(). */
	~ObjRef()
	{
		int saved = errno;
		(void)dm_obj_ref_rele(sid_, token_, handle_.hanp(), handle_.hlen());
		errno = saved;
	}
	ObjRef(const ObjRef &) = delete;
	ObjRef &operator=(const ObjRef &) = delete;

private:
	dm_sessid_t sid_;
	Handle handle_;
	dm_token_t token_;
};

/**
 * An event loop: handlers by event type, each answering from its return
 * value.  A synchronous message without a handler is answered CONTINUE;
 * a handler that throws answers ABORT with the errno of a
 * std::system_error, EIO otherwise (or when the code is no errno an
 * ABORT can carry, 1 to 511); an answer the module refuses (DONTCARE to
 * an event other than a mount) is answered ABORT EIO instead.  Nothing a
 * handler does ends the loop but stop().
 */
class EventLoop {
public:
	using Handler = std::function<Reply(const Message &)>;

	explicit EventLoop(Session &session) : session_(session)
	{
		/* Made here: stop() may run in a signal handler, where nothing may allocate. */
		std::snprintf(wake_, sizeof(wake_), "xdsm::EventLoop %p wakes", static_cast<void *>(this));
		wake_len_ = std::strlen(wake_);
	}
	EventLoop(const EventLoop &) = delete;
	EventLoop &operator=(const EventLoop &) = delete;

	EventLoop &on(dm_eventtype_t type, Handler handler)
	{
		handlers_[type] = std::move(handler);
		return *this;
	}

	/** The answer to @msg: what its handler says. */
	Reply dispatch(const Message &msg) const
	{
		auto it = handlers_.find(msg.type());
		if (it == handlers_.end())
			return Reply::cont();
		try {
			return it->second(msg);
		} catch (const std::system_error &e) {
			return Reply::abort(abort_errno(e.code()));
		} catch (...) {
			return Reply::abort(EIO);
		}
	}

	/**
	 * Take the messages there are (waiting for one), handle and answer
	 * them.  A token answered meanwhile by someone else (ESRCH: moved,
	 * or its session taken over) is no failure of the loop.  Every
	 * message taken is answered before a failure to answer one is
	 * thrown: their senders must not wait for ever.
	 */
	void run_once(bool wait = true) { handle(session_.get_events(64, wait)); }

	/**
	 * run_once() until stop(), called by a handler, or by a signal
	 * handler or another thread, which wakes a loop waiting for messages.
	 */
	void run()
	{
		try {
			while (!stopped_.load()) {
				try {
					handle(take_waiting());
				} catch (const std::system_error &e) {
					if (e.code().value() != EINTR)
						throw;
				}
			}
		} catch (...) {
			try {
				collect_wakes();
			} catch (...) {
			}
			throw;
		}
		collect_wakes();
	}

	/**
	 * End run() after the messages in hand.  A loop waiting for messages
	 * is woken by an asynchronous message of its own to its session;
	 * run() takes every such message back before it returns.
	 * Async-signal-safe.
	 */
	void stop()
	{
		stopped_.store(true);
		sending_++;
		if (waiting_.load()) {
			int saved = errno;
			if (dm_send_msg(session_.id(), DM_MSGTYPE_ASYNC, wake_len_, wake_) == 0)
				wakes_sent_++;
			errno = saved;
		}
		sending_--;
	}

private:
	/*
	 * Handle and answer @messages.  A token answered meanwhile by
	 * someone else (ESRCH) is no failure; every message is answered
	 * before a failure to answer one is thrown.
	 */
	void handle(const std::vector<Message> &messages)
	{
		std::exception_ptr failure;
		for (const Message &msg : messages) {
			if (is_wake(msg)) {
				wakes_seen_++;
				continue;
			}
			Reply reply = dispatch(msg);
			if (!msg.synchronous())
				continue;
			try {
				answer(msg.token(), reply);
			} catch (const std::system_error &) {
				if (!failure)
					failure = std::current_exception();
			}
		}
		if (failure)
			std::rethrow_exception(failure);
	}

	/*
	 * The wake-ups stop() sent that the loop has not met (one that came
	 * as the wait ended anyway: a signal's EINTR, a message), with the
	 * messages queued before them, handled as any: none is left queued.
	 */
	void collect_wakes()
	{
		/* A stop() that saw the loop waiting may still be sending. */
		while (sending_.load())
			std::this_thread::yield();
		while (wakes_seen_ < wakes_sent_.load()) {
			auto messages = session_.get_events(64, false);
			if (messages.empty())
				return;
			handle(messages);
		}
	}
	/* The errno of @code, if an ABORT can carry it (1 to 511), else EIO. */
	static int abort_errno(const std::error_code &code)
	{
		bool is_errno = code.category() == std::generic_category() ||
				code.category() == std::system_category();
		int value = code.value();
		return is_errno && value > 0 && value < 512 ? value : EIO;
	}

	/* Answer @token; ABORT EIO if the module refuses @reply (EINVAL). */
	void answer(dm_token_t token, Reply reply)
	{
		try {
			session_.respond(token, reply);
		} catch (const std::system_error &e) {
			if (e.code().value() == ESRCH)
				return;
			if (e.code().value() != EINVAL ||
			    (reply.response == DM_RESP_ABORT && reply.error == EIO))
				throw;
			answer(token, Reply::abort(EIO));
		}
	}

	/*
	 * run()'s wait for messages.  waiting_ is set before stopped_ is
	 * read, and stop() sets stopped_ before it reads waiting_: either the
	 * loop sees the stop, or stop() wakes it.
	 */
	std::vector<Message> take_waiting()
	{
		waiting_.store(true);
		if (stopped_.load()) {
			waiting_.store(false);
			return {};
		}
		try {
			auto messages = session_.get_events(64, true);
			waiting_.store(false);
			return messages;
		} catch (...) {
			waiting_.store(false);
			throw;
		}
	}

	bool is_wake(const Message &msg) const
	{
		return msg.type() == DM_EVENT_USER && !msg.synchronous() &&
		       msg.data() == std::string_view(wake_, wake_len_);
	}

	Session &session_;
	std::map<dm_eventtype_t, Handler> handlers_;
	std::atomic<bool> stopped_{false};
	std::atomic<bool> waiting_{false};
	std::atomic<int> sending_{0};	/* stop() calls that may be sending */
	std::atomic<unsigned long> wakes_sent_{0};
	unsigned long wakes_seen_ = 0;
	char wake_[64];
	std::size_t wake_len_;
};

} // namespace xdsm

template <>
struct std::hash<xdsm::Handle> {
	std::size_t operator()(const xdsm::Handle &h) const { return h.hash(); }
};

#endif /* _XDSM_DMAPI_HPP */
