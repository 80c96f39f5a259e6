// SPDX-License-Identifier: GPL-2.0
//
// dmctl's two output formats from one description of the result.
//
// Plain text is for people and for shell scripts: a result that is one
// value prints that value alone on a line; other results print one record
// per line as key=value fields separated by one space.  Control characters
// and backslashes are escaped as \xNN and \\ so that a record never spans
// lines; so are spaces, as \x20, in every field but the last, which runs
// to the end of the line: free text goes last, and where two fields may
// hold spaces (paths), each still ends at the next space.  Lists inside a
// field are comma-separated.
//
// JSON is for programs: one object per command, on one line.
#ifndef DMCTL_PRINTER_H
#define DMCTL_PRINTER_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dmctl {

using Value = std::variant<std::int64_t, std::uint64_t, std::string,
			   std::vector<std::string>, std::vector<std::int64_t>>;

struct Field {
	std::string key;
	Value value;
};

using Record = std::vector<Field>;

// A JSON string of any bytes: each byte that is not part of valid UTF-8
// becomes the code point of the same value, so the document stays valid.
std::string json_string(std::string_view text);

class Printer {
public:
	enum class Format { plain, json };

	explicit Printer(Format format, std::FILE *out = stdout) : format_(format), out_(out) {}

	// One value: plain prints it alone (a list, one element per line);
	// JSON prints {"key": value}.
	void value(const Field &field);

	// Named values: plain prints one key=value per line; JSON one object.
	void fields(const Record &record);

	// One record: plain prints it as one line; JSON as {"key": {...}}.
	void record(std::string_view key, const Record &record);

	// Records: plain prints one line each; JSON {"key": [{...}, ...]}.
	void records(std::string_view key, const std::vector<Record> &records);

	// The same, one record at a time as they come, so that none waits
	// in memory: plain prints each line at once; JSON writes the one
	// object on the way, which end_records() completes.
	void begin_records(std::string_view key);
	void next_record(const Record &record);
	void end_records();

	// A list of words: plain prints them on one line, separated by
	// spaces (an empty line for none); JSON prints {"key": [...]}.
	void words(std::string_view key, const std::vector<std::string> &words);

	// One record headed by a word: plain prints "tag key=value ..." on
	// one line; JSON prints {"tag": {...}}.
	void tagged(std::string_view tag, const Record &record);

	// For a reader at the other end of a pipe, waiting for a line:
	// whether everything printed so far went out.
	bool flush() { return std::fflush(out_) == 0 && !std::ferror(out_); }

private:
	void plain_line(const Record &record, std::string_view head = {});
	void json_object(const Record &record);
	void end_json();

	Format format_;
	std::FILE *out_;
	bool first_record_ = true;
};

} // namespace dmctl

#endif // DMCTL_PRINTER_H
