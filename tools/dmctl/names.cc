// SPDX-License-Identifier: GPL-2.0
#include "names.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>

namespace dmctl {

namespace {

// Indexed by dm_eventtype_t.
constexpr std::array<std::string_view, DM_EVENT_MAX> event_names = {
	"CANCEL", "MOUNT", "PREUNMOUNT", "UNMOUNT", "DEBUT", "CREATE",
	"CLOSE", "POSTCREATE", "REMOVE", "POSTREMOVE", "RENAME",
	"POSTRENAME", "LINK", "POSTLINK", "SYMLINK", "POSTSYMLINK", "READ",
	"WRITE", "TRUNCATE", "ATTRIBUTE", "DESTROY", "NOSPACE", "USER",
};
static_assert(DM_EVENT_USER == 22 && DM_EVENT_MAX == 23,
	      "event_names follows the SGI numbering of dm_eventtype_t");

constexpr std::array config_option_table = {
	ConfigOption{DM_CONFIG_BULKALL, "bulkall"},
	ConfigOption{DM_CONFIG_CREATE_BY_HANDLE, "create_by_handle"},
	ConfigOption{DM_CONFIG_DTIME_OVERLOAD, "dtime_overload"},
	ConfigOption{DM_CONFIG_LEGACY, "legacy"},
	ConfigOption{DM_CONFIG_LOCK_UPGRADE, "lock_upgrade"},
	ConfigOption{DM_CONFIG_MAX_ATTR_ON_DESTROY, "max_attr_on_destroy"},
	ConfigOption{DM_CONFIG_MAX_ATTRIBUTE_SIZE, "max_attribute_size"},
	ConfigOption{DM_CONFIG_MAX_HANDLE_SIZE, "max_handle_size"},
	ConfigOption{DM_CONFIG_MAX_MANAGED_REGIONS, "max_managed_regions"},
	ConfigOption{DM_CONFIG_MAX_MESSAGE_DATA, "max_message_data"},
	ConfigOption{DM_CONFIG_OBJ_REF, "obj_ref"},
	ConfigOption{DM_CONFIG_PENDING, "pending"},
	ConfigOption{DM_CONFIG_PERS_ATTRIBUTES, "pers_attributes"},
	ConfigOption{DM_CONFIG_PERS_EVENTS, "pers_events"},
	ConfigOption{DM_CONFIG_PERS_INHERIT_ATTRIBS, "pers_inherit_attribs"},
	ConfigOption{DM_CONFIG_PERS_MANAGED_REGIONS, "pers_managed_regions"},
	ConfigOption{DM_CONFIG_PUNCH_HOLE, "punch_hole"},
	ConfigOption{DM_CONFIG_TOTAL_ATTRIBUTE_SPACE, "total_attribute_space"},
	ConfigOption{DM_CONFIG_WILL_RETRY, "will_retry"},
};
static_assert(config_option_table.size() == DM_CONFIG_WILL_RETRY,
	      "one entry per dm_config_t value but DM_CONFIG_INVALID");

// Linux errno values stay below this (the kernel's MAX_ERRNO).
constexpr int errno_limit = 4096;

bool equal_ignoring_case(std::string_view a, std::string_view b)
{
	return std::ranges::equal(a, b, [](unsigned char x, unsigned char y) {
		return std::toupper(x) == std::toupper(y);
	});
}

} // namespace

std::string event_name(int type)
{
	if (type >= 0 && type < DM_EVENT_MAX)
		return std::string(event_names[type]);
	return std::to_string(type);
}

std::optional<int> parse_event(std::string_view name)
{
	for (int type = 0; type < DM_EVENT_MAX; type++) {
		if (equal_ignoring_case(event_names[type], name))
			return type;
	}
	return std::nullopt;
}

std::vector<std::string> event_set_names(dm_eventset_t events)
{
	std::vector<std::string> names;
	for (int type = 0; type < DM_EVENT_MAX; type++) {
		if (DMEV_ISSET(type, events))
			names.push_back(event_name(type));
	}
	return names;
}

std::span<const ConfigOption> config_options()
{
	return config_option_table;
}

std::string errno_name(int error)
{
	const char *name = ::strerrorname_np(error);
	return name ? name : std::to_string(error);
}

std::optional<int> parse_errno(std::string_view text)
{
	int number = 0;
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
	if (ec == std::errc() && end == text.data() + text.size())
		return number > 0 && number < errno_limit ? std::optional(number) : std::nullopt;

	// glibc names every errno it knows; asking it keeps dmctl free of a
	// table that would lag behind the C library.
	for (int error = 1; error < errno_limit; error++) {
		const char *name = ::strerrorname_np(error);
		if (name && equal_ignoring_case(name, text))
			return error;
	}
	return std::nullopt;
}

} // namespace dmctl
