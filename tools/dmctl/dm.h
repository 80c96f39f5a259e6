// SPDX-License-Identifier: GPL-2.0
//
// The dm_* calls dmctl makes, with C++ types: results are returned, not
// stored through pointers, buffers size themselves, and a failed call
// throws CallError naming the function and its errno.
#ifndef DMCTL_DM_H
#define DMCTL_DM_H

#include <xdsm/dmapi.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
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

using Bytes = std::vector<unsigned char>;

// A handle as the dm_* calls take it: the bytes of an object's or a
// filesystem's handle, or the global handle.
class Handle {
public:
	explicit Handle(Bytes bytes) : bytes_(std::move(bytes)) {}
	static Handle global();

	// The API takes handles as non-const pointers, though nothing is
	// ever written through them.
	void *hanp() const;
	size_t hlen() const;

private:
	Handle() = default;

	Bytes bytes_;
	bool global_ = false;
};

// The handle of the object at path or, with filesystem, of its filesystem.
Handle path_handle(const std::string &path, bool filesystem);

// One message as dm_get_events() and dm_find_eventmsg() deliver it.
struct Message {
	int type;			// dm_eventtype_t
	dm_token_t token;		// DM_INVALID_TOKEN when nobody waits
	dm_sequence_t sequence;
	std::vector<unsigned char> data;	// ev_data, uninterpreted
};

// dm_init_service(): the API's version string, SGI's word for word.
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

void destroy_session(dm_sessid_t sid);
void respond(dm_sessid_t sid, dm_token_t token, dm_response_t response, int reterror);

// dm_mount_event_t: the data of a MOUNT message, and what
// dm_get_mountinfo() reports.  Names are without their NUL.
struct MountInfo {
	unsigned int mode;		// DM_MOUNT_RDONLY
	Bytes fshandle;			// me_handle1
	Bytes coveredhandle;		// me_handle2
	std::string mountpoint;		// me_name1
	std::string lower;		// me_name2: what is mounted
	Bytes roothandle;
};

// dm_namesp_event_t: the data of namespace events, PREUNMOUNT and
// UNMOUNT among them.
struct NamespEvent {
	unsigned int mode;		// DM_UNMOUNT_FORCE for the unmounts
	Bytes handle1;
	Bytes handle2;
	std::string name1;
	std::string name2;
	int retcode;
};

// dm_destroy_event_t: the data of a DESTROY message.
struct DestroyEvent {
	Bytes handle;
	std::string attrname;		// the return-on-destroy attribute, or ""
	Bytes attrcopy;			// its value, empty if the object had none
};

// The ev_data of a message read as one of the above; a record that does
// not fit in it is reported (Failure), not followed.
MountInfo mount_event(const Bytes &data);
NamespEvent namesp_event(const Bytes &data);
DestroyEvent destroy_event(const Bytes &data);

// The events of a filesystem that a session receives (dm_getall_disp()).
struct Disposition {
	Bytes fshandle;
	dm_eventset_t events;
};

// Dispositions and event lists, without a token (DM_NO_TOKEN).
void set_disp(dm_sessid_t sid, const Handle &handle, dm_eventset_t events);
std::vector<Disposition> all_dispositions(dm_sessid_t sid);
void set_eventlist(dm_sessid_t sid, const Handle &handle, dm_eventset_t events);
dm_eventset_t eventlist(dm_sessid_t sid, const Handle &handle);
MountInfo mountinfo(dm_sessid_t sid, const Handle &fshandle);

// Return-on-destroy of a filesystem: the DM attribute a DESTROY event
// carries (at most DM_ATTR_NAME_SIZE bytes), or none to turn it off.
void set_return_on_destroy(dm_sessid_t sid, const Handle &fshandle,
			   const std::optional<std::string> &attrname);

} // namespace dmctl

#endif // DMCTL_DM_H
