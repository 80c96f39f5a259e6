// SPDX-License-Identifier: GPL-2.0
#include "observation.h"
#include "op.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace difftest {

namespace {

std::string hex_preview(const std::string &data, size_t from, size_t count)
{
	std::string out;
	size_t end = std::min(data.size(), from + count);
	for (size_t i = from; i < end; i++) {
		char byte[4];
		std::snprintf(byte, sizeof(byte), "%02x", static_cast<unsigned char>(data[i]));
		out += byte;
	}
	if (end < data.size())
		out += "...";
	return out;
}

} // namespace

std::string render(const Observation &o)
{
	std::string out;
	if (o.failed()) {
		out = std::to_string(o.ret) + " " + errno_name(o.err) + " (" +
		      std::strerror(o.err) + ")";
		if (o.data.empty())
			return out;
	} else {
		out = std::to_string(o.ret);
	}
	if (o.bytes)
		return out + ", " + std::to_string(o.data.size()) + " bytes " +
		       hex_preview(o.data, 0, 16);
	if (!o.data.empty())
		out += ", " + o.data;
	return out;
}

std::string difference(const Observation &a, const Observation &b)
{
	if (a.what != b.what)
		return "the trees took different paths: A reports \"" + a.what + "\", B \"" +
		       b.what + "\"";
	if (a.ret != b.ret || a.err != b.err)
		return a.failed() || b.failed() ? "different outcome" : "different return value";
	if (a.data == b.data)
		return "";
	if (!a.bytes)
		return "different data";
	size_t common = std::min(a.data.size(), b.data.size());
	size_t at = 0;
	while (at < common && a.data[at] == b.data[at])
		at++;
	if (at == common)
		return "different lengths: A " + std::to_string(a.data.size()) + " bytes, B " +
		       std::to_string(b.data.size()) + " bytes";
	char text[160];
	std::snprintf(text, sizeof(text), "bytes differ at file offset %lld: A %s, B %s",
		      static_cast<long long>(a.base + static_cast<int64_t>(at)),
		      hex_preview(a.data, at, 8).c_str(), hex_preview(b.data, at, 8).c_str());
	return text;
}

} // namespace difftest
