// SPDX-License-Identifier: GPL-2.0
#include "dm.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dmctl {

namespace {

// Global handle of the configuration queries.  The API takes it as a
// non-const pointer, though nothing is ever written through it.
void *const global_hanp = DM_GLOBAL_HANP;
constexpr size_t global_hlen = DM_GLOBAL_HLEN;

// Calls of the "fill my buffer or tell me its size with E2BIG" kind,
// retried with the size the kernel asked for.  The kernel may ask again
// if what it reports grew meanwhile (a message arrived, a session was
// created), hence the loop.
template <typename Element, typename Size, typename Call>
std::vector<Element> fill(const char *function, Size initial, Call call)
{
	std::vector<Element> buf(initial);
	for (;;) {
		Size used = 0;
		if (call(buf.size(), buf.data(), &used) == 0) {
			buf.resize(used);
			return buf;
		}
		int error = errno;
		if (error != E2BIG || used <= buf.size())
			throw CallError(function, error);
		buf.resize(used);
	}
}

// Room for a few typical messages; a larger one makes fill() grow it.
constexpr size_t message_buffer_size = 64 * 1024;

// Room for a few filesystems' handles and names.
constexpr size_t small_buffer_size = 4096;

// A buffer the kernel filled, whose records refer to each other and to
// their variable-length data by offsets.  The kernel is trusted to build
// it well, but dmctl is also a test tool: an offset that leads outside the
// buffer is reported, not followed.
class Bounds {
public:
	Bounds(const void *data, size_t size, const char *what)
		: begin_(static_cast<const char *>(data)), end_(begin_ + size), what_(what)
	{
	}

	// Throws unless the len bytes at p lie inside the buffer.
	void check(const void *p, size_t len, const char *part) const
	{
		auto *c = static_cast<const char *>(p);
		if (!c || c < begin_ || c > end_ || static_cast<size_t>(end_ - c) < len)
			fail(std::string(part) + " outside the buffer");
	}

	template <typename T>
	const T *record(const void *p) const
	{
		check(p, sizeof(T), "record header");
		return static_cast<const T *>(p);
	}

	Bytes bytes(const char *value, size_t len, const char *part) const
	{
		check(value, len, part);
		return Bytes(value, value + len);
	}

	[[noreturn]] void fail(const std::string &problem) const
	{
		throw Failure("malformed " + std::string(what_) + ": " + problem);
	}

private:
	const char *begin_;
	const char *end_;
	const char *what_;
};

// The bytes that field, a dm_vardata_t of the record at p, describes.
#define VARDATA(bounds, p, field) \
	(bounds).bytes(DM_GET_VALUE(p, field, const char *), DM_GET_LEN(p, field), #field)

// A name of variable-length data, without the NUL it includes.
std::string name_of(const Bytes &bytes)
{
	const char *chars = reinterpret_cast<const char *>(bytes.data());
	return std::string(chars, ::strnlen(chars, bytes.size()));
}

// Calls visit(record, bounds) for each record of a DM_STEP_TO_NEXT chain.
template <typename Entry, typename Visit>
void walk_records(const std::vector<char> &buf, const char *what, Visit visit)
{
	if (buf.empty())
		return;
	Bounds bounds(buf.data(), buf.size(), what);
	for (const char *next = buf.data(); next;) {
		auto *entry = bounds.record<Entry>(next);
		visit(*entry, bounds);
		if (entry->_link < 0)
			bounds.fail("negative _link");
		next = DM_STEP_TO_NEXT(entry, const char *);
	}
}

std::vector<Message> parse_messages(const std::vector<char> &buf)
{
	std::vector<Message> messages;
	walk_records<dm_eventmsg_t>(buf, "message buffer",
		[&](const dm_eventmsg_t &msg, const Bounds &bounds) {
			messages.push_back(Message{
				.type = msg.ev_type,
				.token = msg.ev_token,
				.sequence = msg.ev_sequence,
				.data = VARDATA(bounds, &msg, ev_data),
			});
		});
	return messages;
}

// dm_set_disp() and dm_set_eventlist() take the same arguments.
using SetEvents = int (*)(dm_sessid_t, void *, size_t, dm_token_t, dm_eventset_t *,
			  unsigned int);

void set_events(SetEvents call, const char *function, dm_sessid_t sid, const Handle &handle,
		dm_eventset_t events)
{
	check(call(sid, handle.hanp(), handle.hlen(), DM_NO_TOKEN, &events, DM_EVENT_MAX),
	      function);
}

} // namespace

CallError::CallError(const char *function, int error)
	: Failure(std::string(function) + ": " + std::strerror(error)), error_(error)
{
}

void check(int ret, const char *function)
{
	if (ret < 0)
		throw CallError(function, errno);
}

std::string init_service()
{
	char *version = nullptr;
	check(dm_init_service(&version), "dm_init_service");
	return version ? version : "";
}

dm_size_t config_value(dm_config_t flag)
{
	dm_size_t value = 0;
	check(dm_get_config(global_hanp, global_hlen, flag, &value), "dm_get_config");
	return value;
}

dm_eventset_t config_events()
{
	dm_eventset_t events = 0;
	unsigned int nelem = 0;
	check(dm_get_config_events(global_hanp, global_hlen, DM_EVENT_MAX, &events, &nelem),
	      "dm_get_config_events");
	return events;
}

dm_sessid_t create_session(dm_sessid_t oldsid, const std::string &info)
{
	std::string copy = info;	// the C API takes a char *
	dm_sessid_t sid = DM_NO_SESSION;
	check(dm_create_session(oldsid, copy.data(), &sid), "dm_create_session");
	return sid;
}

std::vector<dm_sessid_t> all_sessions()
{
	return fill<dm_sessid_t, unsigned int>("dm_getall_sessions", 64,
		[](unsigned int nelem, dm_sessid_t *sids, unsigned int *nelemp) {
			return dm_getall_sessions(nelem, sids, nelemp);
		});
}

std::string session_info(dm_sessid_t sid)
{
	auto buf = fill<char, size_t>("dm_query_session", DM_SESSION_INFO_LEN,
		[sid](size_t len, char *info, size_t *rlenp) {
			return dm_query_session(sid, len, info, rlenp);
		});
	// The length includes the terminating NUL.
	return std::string(buf.data(), ::strnlen(buf.data(), buf.size()));
}

std::vector<Message> get_events(dm_sessid_t sid, unsigned int maxmsgs, bool wait)
{
	unsigned int flags = wait ? DM_EV_WAIT : 0;
	std::vector<char> buf;
	try {
		buf = fill<char, size_t>("dm_get_events", message_buffer_size,
			[=](size_t len, char *msgs, size_t *rlenp) {
				return dm_get_events(sid, maxmsgs, flags, len, msgs, rlenp);
			});
	} catch (const CallError &e) {
		if (e.error() == EAGAIN && !wait)
			return {};
		throw;
	}
	return parse_messages(buf);
}

std::vector<dm_token_t> all_tokens(dm_sessid_t sid)
{
	return fill<dm_token_t, unsigned int>("dm_getall_tokens", 64,
		[sid](unsigned int nelem, dm_token_t *tokens, unsigned int *nelemp) {
			return dm_getall_tokens(sid, nelem, tokens, nelemp);
		});
}

Message find_message(dm_sessid_t sid, dm_token_t token)
{
	auto buf = fill<char, size_t>("dm_find_eventmsg", message_buffer_size,
		[=](size_t len, char *msg, size_t *rlenp) {
			return dm_find_eventmsg(sid, token, len, msg, rlenp);
		});
	auto messages = parse_messages(buf);
	if (messages.size() != 1)
		throw Failure("dm_find_eventmsg returned " + std::to_string(messages.size()) +
			      " messages");
	return std::move(messages.front());
}

void destroy_session(dm_sessid_t sid)
{
	check(dm_destroy_session(sid), "dm_destroy_session");
}

void respond(dm_sessid_t sid, dm_token_t token, dm_response_t response, int reterror)
{
	check(dm_respond_event(sid, token, response, reterror, 0, nullptr), "dm_respond_event");
}

Handle Handle::global()
{
	Handle handle;
	handle.global_ = true;
	return handle;
}

void *Handle::hanp() const
{
	return global_ ? global_hanp : const_cast<unsigned char *>(bytes_.data());
}

size_t Handle::hlen() const
{
	return global_ ? global_hlen : bytes_.size();
}

Handle path_handle(const std::string &path, bool filesystem)
{
	auto call = filesystem ? dm_path_to_fshandle : dm_path_to_handle;
	std::string copy = path;	// the C API takes a char *
	void *hanp = nullptr;
	size_t hlen = 0;
	check(call(copy.data(), &hanp, &hlen),
	      filesystem ? "dm_path_to_fshandle" : "dm_path_to_handle");
	auto *bytes = static_cast<unsigned char *>(hanp);
	Handle handle(Bytes(bytes, bytes + hlen));
	dm_handle_free(hanp, hlen);
	return handle;
}

MountInfo mount_event(const Bytes &data)
{
	Bounds bounds(data.data(), data.size(), "mount data");
	auto *me = bounds.record<dm_mount_event_t>(data.data());
	return MountInfo{
		.mode = me->me_mode,
		.fshandle = VARDATA(bounds, me, me_handle1),
		.coveredhandle = VARDATA(bounds, me, me_handle2),
		.mountpoint = name_of(VARDATA(bounds, me, me_name1)),
		.lower = name_of(VARDATA(bounds, me, me_name2)),
		.roothandle = VARDATA(bounds, me, me_roothandle),
	};
}

NamespEvent namesp_event(const Bytes &data)
{
	Bounds bounds(data.data(), data.size(), "namespace event data");
	auto *ne = bounds.record<dm_namesp_event_t>(data.data());
	return NamespEvent{
		.mode = ne->ne_mode,
		.handle1 = VARDATA(bounds, ne, ne_handle1),
		.handle2 = VARDATA(bounds, ne, ne_handle2),
		.name1 = name_of(VARDATA(bounds, ne, ne_name1)),
		.name2 = name_of(VARDATA(bounds, ne, ne_name2)),
		.retcode = ne->ne_retcode,
	};
}

DestroyEvent destroy_event(const Bytes &data)
{
	Bounds bounds(data.data(), data.size(), "destroy event data");
	auto *ds = bounds.record<dm_destroy_event_t>(data.data());
	const auto &chars = ds->ds_attrname.an_chars;
	return DestroyEvent{
		.handle = VARDATA(bounds, ds, ds_handle),
		.attrname = std::string(reinterpret_cast<const char *>(chars),
					strnlen(reinterpret_cast<const char *>(chars), sizeof(chars))),
		.attrcopy = VARDATA(bounds, ds, ds_attrcopy),
	};
}

void set_disp(dm_sessid_t sid, const Handle &handle, dm_eventset_t events)
{
	set_events(dm_set_disp, "dm_set_disp", sid, handle, events);
}

std::vector<Disposition> all_dispositions(dm_sessid_t sid)
{
	auto buf = fill<char, size_t>("dm_getall_disp", small_buffer_size,
		[sid](size_t len, char *bufp, size_t *rlenp) {
			return dm_getall_disp(sid, len, bufp, rlenp);
		});
	std::vector<Disposition> dispositions;
	walk_records<dm_dispinfo_t>(buf, "disposition buffer",
		[&](const dm_dispinfo_t &di, const Bounds &bounds) {
			dispositions.push_back({VARDATA(bounds, &di, di_fshandle), di.di_eventset});
		});
	return dispositions;
}

void set_eventlist(dm_sessid_t sid, const Handle &handle, dm_eventset_t events)
{
	set_events(dm_set_eventlist, "dm_set_eventlist", sid, handle, events);
}

dm_eventset_t eventlist(dm_sessid_t sid, const Handle &handle)
{
	dm_eventset_t events = 0;
	unsigned int nelem = 0;
	check(dm_get_eventlist(sid, handle.hanp(), handle.hlen(), DM_NO_TOKEN, DM_EVENT_MAX,
			       &events, &nelem),
	      "dm_get_eventlist");
	return events;
}

MountInfo mountinfo(dm_sessid_t sid, const Handle &fshandle)
{
	return mount_event(fill<unsigned char, size_t>("dm_get_mountinfo", small_buffer_size,
		[&](size_t len, unsigned char *bufp, size_t *rlenp) {
			return dm_get_mountinfo(sid, fshandle.hanp(), fshandle.hlen(), DM_NO_TOKEN,
						len, bufp, rlenp);
		}));
}

void set_return_on_destroy(dm_sessid_t sid, const Handle &fshandle,
			   const std::optional<std::string> &attrname)
{
	dm_attrname_t name{};
	if (attrname) {
		std::copy_n(attrname->begin(), std::min(attrname->size(), sizeof(name.an_chars)),
			    name.an_chars);
	}
	check(dm_set_return_on_destroy(sid, fshandle.hanp(), fshandle.hlen(), DM_NO_TOKEN, &name,
				       attrname ? DM_TRUE : DM_FALSE),
	      "dm_set_return_on_destroy");
}

} // namespace dmctl
