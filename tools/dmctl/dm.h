// SPDX-License-Identifier: GPL-2.0
//
// The dm_* calls dmctl makes, with C++ types: results are returned, not
// stored through pointers, buffers size themselves, and a failed call
// throws CallError naming the function and its errno.
#ifndef DMCTL_DM_H
#define DMCTL_DM_H

#include <xdsm/dmapi.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dmctl {

// Anything that makes dmctl exit 1; what() is the message after "dmctl: ".
class Failure : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

// A dm_* call that failed: what() reads "dm_xxx: <strerror>".
class CallError : public Failure {
public:
	CallError(const char *function, int error);

	int error() const { return error_; }

private:
	int error_;
};

// Throws CallError for the errno of a call that returned -1.
void check(int ret, const char *function);

// One message as dm_get_events() and dm_find_eventmsg() deliver it.
struct Message {
	int type;			// dm_eventtype_t
	dm_token_t token;		// DM_INVALID_TOKEN when nobody waits
	dm_sequence_t sequence;
	std::vector<unsigned char> data;	// ev_data, uninterpreted
};

// dm_init_service(): the implementation's version string.
std::string init_service();

// The configuration of all filesystems (the global handle).
dm_size_t config_value(dm_config_t flag);
dm_eventset_t config_events();

dm_sessid_t create_session(dm_sessid_t oldsid, const std::string &info);
std::vector<dm_sessid_t> all_sessions();
std::string session_info(dm_sessid_t sid);

// One dm_get_events() call for at most maxmsgs messages: an empty result
// means nothing was queued (EAGAIN), which only happens without wait.
std::vector<Message> get_events(dm_sessid_t sid, unsigned int maxmsgs, bool wait);

std::vector<dm_token_t> all_tokens(dm_sessid_t sid);
Message find_message(dm_sessid_t sid, dm_token_t token);

} // namespace dmctl

#endif // DMCTL_DM_H
