// SPDX-License-Identifier: GPL-2.0
//
// The names dmctl reads and prints: events, configuration options, errno
// values.  Event and option names are those of the standard without their
// prefix (USER for DM_EVENT_USER, max_message_data for
// DM_CONFIG_MAX_MESSAGE_DATA), which is how XDSM's text refers to them.
#ifndef DMCTL_NAMES_H
#define DMCTL_NAMES_H

#include <xdsm/dmapi.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dmctl {

// "USER" for DM_EVENT_USER; the number for a type this release does not know.
std::string event_name(int type);

// DM_EVENT_USER for "USER", "user" or "User"; nothing for a name it does
// not know.
std::optional<int> parse_event(std::string_view name);

// The names of the events in a set, in the order of dm_eventtype_t.
std::vector<std::string> event_set_names(dm_eventset_t events);

struct ConfigOption {
	dm_config_t flag;
	std::string_view name;
};

// Every option of dm_get_config(), in the order of dm_config_t.
std::span<const ConfigOption> config_options();

// "EIO" for EIO; the number if the C library has no name for it.
std::string errno_name(int error);

// An errno given as a number ("5") or a name ("EIO", "eio").
std::optional<int> parse_errno(std::string_view text);

} // namespace dmctl

#endif // DMCTL_NAMES_H
