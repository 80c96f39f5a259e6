// SPDX-License-Identifier: GPL-2.0
#include "record.h"

#include "digest.h"

#include <charconv>
#include <map>

namespace hsm {
namespace {

std::optional<std::uint64_t> number(const std::string &s)
{
	std::uint64_t v = 0;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || end != s.data() + s.size())
		return std::nullopt;
	return v;
}

/*
 * A field's value with what would end it or the record escaped as %XX: a
 * blank, a control character, and % itself (a store's path may hold
 * blanks: "dir:/mnt/Backup Disk/hsm").
 */
std::string escape(const std::string &value)
{
	static const char digits[] = "0123456789ABCDEF";
	std::string out;
	for (unsigned char c : value) {
		if (c <= ' ' || c == '%' || c == 0x7f) {
			out += '%';
			out += digits[c >> 4];
			out += digits[c & 15];
		} else {
			out += static_cast<char>(c);
		}
	}
	return out;
}

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* escape() undone; std::nullopt for a % not followed by two hex digits. */
std::optional<std::string> unescape(std::string_view value)
{
	std::string out;
	for (std::size_t i = 0; i < value.size(); i++) {
		if (value[i] != '%') {
			out += value[i];
			continue;
		}
		if (i + 2 >= value.size() || hex_digit(value[i + 1]) < 0 ||
		    hex_digit(value[i + 2]) < 0)
			return std::nullopt;
		out += static_cast<char>(hex_digit(value[i + 1]) * 16 + hex_digit(value[i + 2]));
		i += 2;
	}
	return out;
}

} // namespace

const char *state_name(State state)
{
	switch (state) {
	case State::online:
		return "online";
	case State::dual:
		return "dual";
	default:
		return "offline";
	}
}

std::string Record::encode() const
{
	return std::string("v1 state=") + state_name(state) + " size=" + std::to_string(size) +
	       " stub=" + std::to_string(stub) + " store=" + escape(store) + " digest=" + object.digest +
	       " owner=" + object.owner + (mtime ? " mtime=" + std::to_string(*mtime) : "");
}

std::optional<Record> Record::decode(std::string_view value)
{
	while (!value.empty() && (value.back() == '\0' || value.back() == '\n'))
		value.remove_suffix(1);
	if (value.substr(0, 3) != "v1 ")
		return std::nullopt;
	std::map<std::string, std::string> fields;
	std::size_t pos = 3;
	while (pos < value.size()) {
		std::size_t end = value.find(' ', pos);
		if (end == value.npos)
			end = value.size();
		std::string_view field = value.substr(pos, end - pos);
		std::size_t eq = field.find('=');
		if (eq == field.npos)
			return std::nullopt;
		auto v = unescape(field.substr(eq + 1));
		if (!v)
			return std::nullopt;
		fields[std::string(field.substr(0, eq))] = std::move(*v);
		pos = end + 1;
	}
	Record r;
	const std::string &state = fields["state"];
	if (state == "dual")
		r.state = State::dual;
	else if (state == "offline")
		r.state = State::offline;
	else
		return std::nullopt;
	auto size = number(fields["size"]);
	auto stub = number(fields["stub"]);
	if (!size || !stub || *stub > *size || fields["store"].empty() ||
	    !is_sha256_hex(fields["digest"]) || fields["owner"].empty())
		return std::nullopt;
	r.size = *size;
	r.stub = *stub;
	if (fields.count("mtime")) {
		r.mtime = number(fields["mtime"]);
		if (!r.mtime)
			return std::nullopt;
	}
	r.store = fields["store"];
	r.object = {fields["digest"], *size, fields["owner"]};
	return r;
}

std::vector<dm_region_t> Record::regions() const
{
	constexpr unsigned int change = DM_REGION_WRITE | DM_REGION_TRUNCATE;
	switch (state) {
	case State::online:
		return {};
	case State::dual:
		return {{0, 0, change, 0}};
	default:
		if (stub == 0)
			return {{0, 0, change | DM_REGION_READ, 0}};
		return {{0, stub, change, 0},
			{static_cast<dm_off_t>(stub), 0, change | DM_REGION_READ, 0}};
	}
}

} // namespace hsm
