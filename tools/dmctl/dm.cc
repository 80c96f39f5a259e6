// SPDX-License-Identifier: GPL-2.0
#include "dm.h"

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

// Walks the chain of messages in the first len bytes of buf.  The kernel
// is trusted to build it well, but dmctl is also a test tool: a record
// outside the buffer is reported, not followed.
std::vector<Message> parse_messages(std::vector<char> &buf)
{
	std::vector<Message> messages;
	if (buf.empty())
		return messages;

	char *const end = buf.data() + buf.size();
	auto *msg = reinterpret_cast<dm_eventmsg_t *>(buf.data());
	while (msg) {
		char *record = reinterpret_cast<char *>(msg);
		if (end - record < static_cast<std::ptrdiff_t>(sizeof(*msg)))
			throw Failure("malformed message buffer: record header outside the buffer");
		auto *data = DM_GET_VALUE(msg, ev_data, unsigned char *);
		size_t len = DM_GET_LEN(msg, ev_data);
		if (reinterpret_cast<char *>(data) < record ||
		    static_cast<size_t>(end - reinterpret_cast<char *>(data)) < len)
			throw Failure("malformed message buffer: ev_data outside the buffer");

		messages.push_back(Message{
			.type = msg->ev_type,
			.token = msg->ev_token,
			.sequence = msg->ev_sequence,
			.data = std::vector<unsigned char>(data, data + len),
		});
		if (msg->_link < 0)
			throw Failure("malformed message buffer: negative _link");
		msg = DM_STEP_TO_NEXT(msg, dm_eventmsg_t *);
	}
	return messages;
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

} // namespace dmctl
