// SPDX-License-Identifier: GPL-2.0
#include "paths.h"

#include <xdsm/dmapi.h>

#include <cstdio>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

namespace dmstat {

std::string handle_hex(const std::vector<std::uint8_t> &handle)
{
	std::string hex;
	char byte[3];
	for (auto b : handle) {
		std::snprintf(byte, sizeof(byte), "%02x", b);
		hex += byte;
	}
	return hex;
}

const FsCounters *PathCache::filesystem(std::uint64_t fsid)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		for (const auto &fs : filesystems_)
			if (fs.fsid == fsid)
				return &fs;
		if (attempt == 0)
			filesystems_ = monitor_.filesystems();	// mounted since
	}
	return nullptr;
}

std::optional<std::string> PathCache::mountpoint(std::uint64_t fsid)
{
	const FsCounters *fs = filesystem(fsid);
	if (!fs)
		return std::nullopt;
	return fs->mountpoint;
}

std::optional<std::string> PathCache::object_path(std::uint64_t fsid,
						  const std::vector<std::uint8_t> &handle_bytes)
{
	if (handle_bytes.size() == DMAPI_FSHANDLE_LEN)
		return mountpoint(fsid);
	if (!service_ && !service_failed_) {
		char *version = nullptr;
		service_ = dm_init_service(&version) == 0;
		service_failed_ = !service_;
	}
	if (!service_)
		return std::nullopt;
	auto handle = handle_bytes;
	/* O_PATH: a device's or a FIFO's own open must not run for a path. */
	int fd = dm_open_by_handle(handle.data(), handle.size(), O_PATH | O_CLOEXEC);
	if (fd < 0)
		return std::nullopt;
	char link[PATH_MAX];
	std::string proc = "/proc/self/fd/" + std::to_string(fd);
	ssize_t n = ::readlink(proc.c_str(), link, sizeof(link) - 1);
	::close(fd);
	const FsCounters *fs = filesystem(fsid);
	if (n <= 0 || !fs)
		return std::nullopt;
	// The descriptor is of the lower object: the same path below the
	// mount point names it through the managed filesystem.
	std::string lower(link, static_cast<size_t>(n));
	if (lower == fs->lower)
		return fs->mountpoint;
	if (lower.starts_with(fs->lower + "/"))
		return fs->mountpoint + lower.substr(fs->lower.size());
	return std::nullopt;
}

std::optional<std::string> PathCache::object(std::uint64_t fsid,
					     const std::vector<std::uint8_t> &handle)
{
	if (handle.empty())
		return std::nullopt;
	auto it = cache_.find(handle);
	if (it == cache_.end()) {
		// A watch of a filesystem that keeps making files would
		// otherwise grow the cache for as long as it runs.
		if (cache_.size() >= max_cached)
			cache_.clear();
		it = cache_.emplace(handle, object_path(fsid, handle)).first;
	}
	return it->second;
}

std::optional<std::string> PathCache::path_of(const EventRecord &ev)
{
	// A filesystem mounted again, perhaps elsewhere, keeps its fsid:
	// what was learnt of its mount point and paths is stale.
	if (ev.type == DMAPI_EVENT_MOUNT || ev.type == DMAPI_EVENT_UNMOUNT) {
		filesystems_.clear();
		cache_.clear();
	}
	// MOUNT comes before the filesystem is listed; it names its mount
	// point itself.
	if (ev.type == DMAPI_EVENT_MOUNT && ev.name)
		return ev.name;
	auto path = object(ev.fsid, ev.handle);
	// A namespace event names its directory and the entry in it.
	if (path && ev.name && !ev.name->empty())
		return *path + (path->ends_with("/") ? "" : "/") + *ev.name;
	return path;
}

} // namespace dmstat
