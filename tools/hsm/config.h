// SPDX-License-Identifier: GPL-2.0
//
// The HSM's configuration, read by dmhsm and dmhsmd alike from
// /etc/dmhsm.conf (or $DMHSM_CONFIG, or --config):
//
//   store = dir:/var/lib/dmhsm     where migrated data goes
//   stub = 4K                      what stays on disk of a migrated file
//
//   [/srv/archive]                 a section per mountpoint overrides them
//   store = dir:/srv/hsm-archive
//
// A missing default file is the defaults; a missing named one is an error.
#ifndef DMHSM_CONFIG_H
#define DMHSM_CONFIG_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hsm {

inline constexpr const char *kDefaultConfig = "/etc/dmhsm.conf";
inline constexpr const char *kDefaultStore = "dir:/var/lib/dmhsm";
inline constexpr std::uint64_t kDefaultStub = 4096;

struct Policy {
	std::string store = kDefaultStore;
	std::uint64_t stub = kDefaultStub;
};

class Config {
public:
	/** @path, or the default file; throws std::runtime_error on bad lines. */
	static Config load(const std::string &path = {});

	/** The policy of the filesystem mounted at @mountpoint. */
	Policy policy(const std::string &mountpoint) const;

	/** What the command line says overrides every section. */
	std::optional<std::string> store_override;
	std::optional<std::uint64_t> stub_override;

private:
	Policy defaults_;
	std::map<std::string, Policy> mounts_;
};

/** "4096", "4K", "1M", "2G" (powers of 1024); std::nullopt if not a size. */
std::optional<std::uint64_t> parse_size(std::string_view s);

/** "90", "90s", "15m", "2h", "7d" as seconds; std::nullopt if not an age. */
std::optional<std::uint64_t> parse_age(std::string_view s);

} // namespace hsm

#endif
