// SPDX-License-Identifier: GPL-2.0
#include "config.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace hsm {
namespace {

std::string_view trim(std::string_view s)
{
	while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
		s.remove_prefix(1);
	while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
		s.remove_suffix(1);
	return s;
}

std::optional<std::uint64_t> scaled(std::string_view s, std::string_view units,
				    const std::uint64_t *factors)
{
	std::uint64_t factor = 1;
	if (!s.empty()) {
		std::size_t u = units.find(s.back());
		if (u != units.npos) {
			factor = factors[u];
			s.remove_suffix(1);
		}
	}
	std::uint64_t v = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (s.empty() || ec != std::errc() || end != s.data() + s.size() ||
	    v > UINT64_MAX / factor)
		return std::nullopt;
	return v * factor;
}

} // namespace

std::optional<std::uint64_t> parse_size(std::string_view s)
{
	static constexpr std::uint64_t factors[] = {1ULL << 10, 1ULL << 20, 1ULL << 30, 1ULL << 40};
	return scaled(s, "KMGT", factors);
}

std::optional<std::uint64_t> parse_age(std::string_view s)
{
	static constexpr std::uint64_t factors[] = {1, 60, 3600, 86400};
	return scaled(s, "smhd", factors);
}

Config Config::load(const std::string &path)
{
	std::string file = path;
	bool named = !file.empty();
	if (!named) {
		const char *env = std::getenv("DMHSM_CONFIG");
		named = env && *env;
		file = named ? env : kDefaultConfig;
	}
	Config config;
	std::ifstream in(file);
	if (!in) {
		/* Only the default file may be missing; nothing may be unreadable. */
		if (named || errno != ENOENT)
			throw std::runtime_error(file + ": " + std::strerror(errno));
		return config;
	}
	Policy *section = &config.defaults_;
	std::string line;
	for (int n = 1; std::getline(in, line); n++) {
		std::string_view l = trim(std::string_view(line).substr(0, line.find('#')));
		if (l.empty())
			continue;
		auto where = [&] { return file + ":" + std::to_string(n) + ": "; };
		if (l.front() == '[') {
			if (l.back() != ']' || l.size() < 3 || l[1] != '/')
				throw std::runtime_error(where() + "expected [/mountpoint]");
			std::string mp(l.substr(1, l.size() - 2));
			config.mounts_[mp] = config.defaults_;
			section = &config.mounts_[mp];
			continue;
		}
		std::size_t eq = l.find('=');
		if (eq == l.npos)
			throw std::runtime_error(where() + "expected key = value");
		std::string_view key = trim(l.substr(0, eq)), value = trim(l.substr(eq + 1));
		if (key == "store") {
			if (value.empty())
				throw std::runtime_error(where() + "store: which URL?");
			section->store = value;
		} else if (key == "stub") {
			auto size = parse_size(value);
			if (!size)
				throw std::runtime_error(where() + "stub: not a size");
			section->stub = *size;
		} else {
			throw std::runtime_error(where() + "unknown key " + std::string(key));
		}
	}
	return config;
}

Policy Config::policy(const std::string &mountpoint) const
{
	auto it = mounts_.find(mountpoint);
	Policy p = it == mounts_.end() ? defaults_ : it->second;
	if (store_override)
		p.store = *store_override;
	if (stub_override)
		p.stub = *stub_override;
	return p;
}

} // namespace hsm
