// SPDX-License-Identifier: GPL-2.0
//
// The paths that event records name, for display and for dmstat's path
// filter: a handle is opened through libdmapi (dm_open_by_handle), and the
// lower path the kernel reports for that descriptor is translated to the
// same object under the managed filesystem's mount point.  Results are
// cached by handle, until a filesystem is mounted or unmounted; an object
// renamed later keeps the path it was first seen at.
#ifndef DMSTAT_PATHS_H
#define DMSTAT_PATHS_H

#include "monitor.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dmstat {

class PathCache {
public:
	// The most handles whose paths are kept; then the cache starts over.
	static constexpr std::size_t max_cached = 65536;

	explicit PathCache(Monitor &monitor) : monitor_(monitor) {}

	// The path of the object an event names (for a namespace event, the
	// entry's: its directory's path and its name); nothing when the
	// object is gone or the event names none.
	std::optional<std::string> path_of(const EventRecord &ev);

	// The path of the object of @handle in filesystem @fsid, or nothing.
	std::optional<std::string> object(std::uint64_t fsid,
					  const std::vector<std::uint8_t> &handle);

	// The mount point of a managed filesystem, or nothing.
	std::optional<std::string> mountpoint(std::uint64_t fsid);

private:
	std::optional<std::string> object_path(std::uint64_t fsid,
					       const std::vector<std::uint8_t> &handle);
	const FsCounters *filesystem(std::uint64_t fsid);

	Monitor &monitor_;
	bool service_ = false;
	bool service_failed_ = false;
	std::vector<FsCounters> filesystems_;
	std::map<std::vector<std::uint8_t>, std::optional<std::string>> cache_;
};

// A handle as lower-case hexadecimal digits.
std::string handle_hex(const std::vector<std::uint8_t> &handle);

} // namespace dmstat

#endif // DMSTAT_PATHS_H
