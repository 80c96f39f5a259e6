// SPDX-License-Identifier: GPL-2.0
#include "printer.h"

#include <cinttypes>

namespace dmctl {

namespace {

template <typename... Ts>
struct overloaded : Ts... {
	using Ts::operator()...;
};

std::string hex_escape(unsigned char c, const char *prefix)
{
	char buf[8];
	std::snprintf(buf, sizeof(buf), "%s%02x", prefix, c);
	return buf;
}

// Text on one line of plain output.  Bytes above 0x7f pass, so that UTF-8
// reads as itself on a terminal.  Text before the last field of its line
// escapes its spaces too, so that each such field ends at the next space.
std::string plain_text(std::string_view text, bool before_last = false)
{
	std::string out;
	for (unsigned char c : text) {
		if (c == '\\')
			out += "\\\\";
		else if (c < 0x20 || c == 0x7f || (before_last && c == ' '))
			out += hex_escape(c, "\\x");
		else
			out += static_cast<char>(c);
	}
	return out;
}

// Length of the well-formed UTF-8 sequence at the start of s, or 0.
size_t utf8_sequence_length(std::string_view s)
{
	auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
	auto continuation = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
		return i < s.size() && byte(i) >= lo && byte(i) <= hi;
	};

	unsigned char lead = byte(0);
	if (lead < 0x80)
		return 1;
	if (lead >= 0xc2 && lead <= 0xdf)
		return continuation(1) ? 2 : 0;
	if (lead >= 0xe0 && lead <= 0xef) {
		unsigned char lo = lead == 0xe0 ? 0xa0 : 0x80;
		unsigned char hi = lead == 0xed ? 0x9f : 0xbf;	// no surrogates
		return continuation(1, lo, hi) && continuation(2) ? 3 : 0;
	}
	if (lead >= 0xf0 && lead <= 0xf4) {
		unsigned char lo = lead == 0xf0 ? 0x90 : 0x80;
		unsigned char hi = lead == 0xf4 ? 0x8f : 0xbf;	// at most U+10FFFF
		return continuation(1, lo, hi) && continuation(2) && continuation(3) ? 4 : 0;
	}
	return 0;
}

template <typename List, typename Format>
std::string joined(const List &list, std::string_view separator, Format format)
{
	std::string out;
	bool first = true;
	for (const auto &element : list) {
		if (!first)
			out += separator;
		out += format(element);
		first = false;
	}
	return out;
}

std::string plain_value(const Value &value, bool before_last = false)
{
	auto text = [before_last](std::string_view s) { return plain_text(s, before_last); };
	return std::visit(overloaded{
		[](std::int64_t n) { return std::to_string(n); },
		[](std::uint64_t n) { return std::to_string(n); },
		[&](const std::string &s) { return text(s); },
		[&](const std::vector<std::string> &list) { return joined(list, ",", text); },
		[](const std::vector<std::int64_t> &list) {
			return joined(list, ",", [](std::int64_t n) { return std::to_string(n); });
		},
	}, value);
}

std::string json_value(const Value &value)
{
	return std::visit(overloaded{
		[](std::int64_t n) { return std::to_string(n); },
		[](std::uint64_t n) { return std::to_string(n); },
		[](const std::string &s) { return json_string(s); },
		[](const std::vector<std::string> &list) {
			return "[" + joined(list, ",", json_string) + "]";
		},
		[](const std::vector<std::int64_t> &list) {
			return "[" + joined(list, ",", [](std::int64_t n) { return std::to_string(n); }) + "]";
		},
	}, value);
}

} // namespace

// A JSON string.  Session info is whatever bytes its creator chose; a
// byte that is not part of valid UTF-8 is written as the code point of
// the same value, which keeps it visible and the document valid.
std::string json_string(std::string_view text)
{
	std::string out = "\"";
	while (!text.empty()) {
		unsigned char c = static_cast<unsigned char>(text.front());
		size_t len = utf8_sequence_length(text);
		if (c == '"' || c == '\\') {
			out += '\\';
			out += static_cast<char>(c);
		} else if (c < 0x20 || c == 0x7f || len == 0) {
			out += hex_escape(c, "\\u00");
		} else {
			out.append(text.substr(0, len));
			text.remove_prefix(len - 1);
		}
		text.remove_prefix(1);
	}
	return out + "\"";
}

void Printer::value(const Field &field)
{
	if (format_ == Format::json) {
		std::fprintf(out_, "{%s:%s", json_string(field.key).c_str(),
			     json_value(field.value).c_str());
		end_json();
		return;
	}

	// A list alone prints one element per line, so that a shell loop
	// over the output sees one element per word.
	std::visit(overloaded{
		[&](const std::vector<std::string> &list) {
			for (const auto &s : list)
				std::fprintf(out_, "%s\n", plain_text(s).c_str());
		},
		[&](const std::vector<std::int64_t> &list) {
			for (auto n : list)
				std::fprintf(out_, "%" PRId64 "\n", n);
		},
		[&](const auto &) {
			std::fprintf(out_, "%s\n", plain_value(field.value).c_str());
		},
	}, field.value);
}

void Printer::fields(const Record &record)
{
	if (format_ == Format::json) {
		json_object(record);
		std::fputc('\n', out_);
		return;
	}
	for (const auto &field : record)
		std::fprintf(out_, "%s=%s\n", field.key.c_str(), plain_value(field.value).c_str());
}

void Printer::record(std::string_view key, const Record &record)
{
	if (format_ == Format::json) {
		std::fprintf(out_, "{%s:", json_string(key).c_str());
		json_object(record);
		end_json();
		return;
	}
	plain_line(record);
}

void Printer::records(std::string_view key, const std::vector<Record> &records)
{
	begin_records(key);
	for (const auto &record : records)
		next_record(record);
	end_records();
}

void Printer::begin_records(std::string_view key)
{
	first_record_ = true;
	if (format_ == Format::json)
		std::fprintf(out_, "{%s:[", json_string(key).c_str());
}

void Printer::next_record(const Record &record)
{
	if (format_ == Format::plain) {
		plain_line(record);
		return;
	}
	if (!first_record_)
		std::fputc(',', out_);
	json_object(record);
	first_record_ = false;
}

void Printer::end_records()
{
	if (format_ == Format::json) {
		std::fputc(']', out_);
		end_json();
	}
}

void Printer::words(std::string_view key, const std::vector<std::string> &words)
{
	if (format_ == Format::json)
		value({std::string(key), words});
	else
		std::fprintf(out_, "%s\n",
			     joined(words, " ", [](std::string_view w) { return plain_text(w, true); })
				     .c_str());
}

void Printer::tagged(std::string_view tag, const Record &record)
{
	if (format_ == Format::json) {
		this->record(tag, record);
		return;
	}
	plain_line(record, tag);
}

void Printer::plain_line(const Record &record, std::string_view head)
{
	std::string line(head);
	for (size_t i = 0; i < record.size(); i++) {
		if (!line.empty())
			line += ' ';
		line += record[i].key + "=" + plain_value(record[i].value, i + 1 < record.size());
	}
	std::fprintf(out_, "%s\n", line.c_str());
}

void Printer::json_object(const Record &record)
{
	std::fputc('{', out_);
	for (size_t i = 0; i < record.size(); i++) {
		std::fprintf(out_, "%s%s:%s", i ? "," : "", json_string(record[i].key).c_str(),
			     json_value(record[i].value).c_str());
	}
	std::fputc('}', out_);
}

// Closes the object that wraps a keyed result.
void Printer::end_json()
{
	std::fputs("}\n", out_);
}

} // namespace dmctl
