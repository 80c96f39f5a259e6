// SPDX-License-Identifier: GPL-2.0
//
// The tools' plain output (tools/dmctl/printer.h): one record a line, each
// field ending at the next space but the last, whatever the text holds.
#include "printer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

// What a Printer writes, as a string.
class Captured {
public:
	Captured() : file_(open_memstream(&data_, &size_)) {}
	~Captured()
	{
		if (file_)
			std::fclose(file_);
		std::free(data_);
	}
	Captured(const Captured &) = delete;
	Captured &operator=(const Captured &) = delete;

	std::FILE *file() { return file_; }

	std::string text()
	{
		std::fflush(file_);
		return std::string(data_, size_);
	}

private:
	char *data_ = nullptr;
	size_t size_ = 0;
	std::FILE *file_;
};

TEST(Printer, SpacesOfAFieldBeforeTheLastAreEscaped)
{
	Captured out;
	dmctl::Printer printer(dmctl::Printer::Format::plain, out.file());
	printer.tagged("fs", {{"lower", std::string("/a b")}, {"mountpoint", std::string("/c d")}});
	EXPECT_EQ(out.text(), "fs lower=/a\\x20b mountpoint=/c d\n");
}

TEST(Printer, ListsBeforeTheLastFieldAreEscapedToo)
{
	Captured out;
	dmctl::Printer printer(dmctl::Printer::Format::plain, out.file());
	printer.record("r", {{"list", std::vector<std::string>{"x y", "z"}}, {"n", std::int64_t{1}}});
	EXPECT_EQ(out.text(), "list=x\\x20y,z n=1\n");
}

TEST(Printer, ControlCharactersAndBackslashesAreEscapedInEveryField)
{
	Captured out;
	dmctl::Printer printer(dmctl::Printer::Format::plain, out.file());
	printer.record("r", {{"a", std::string("1\n2\\")}, {"b", std::string("3\t4 5")}});
	EXPECT_EQ(out.text(), "a=1\\x0a2\\\\ b=3\\x094 5\n");
}

TEST(Printer, JsonKeepsTextAsItIs)
{
	Captured out;
	dmctl::Printer printer(dmctl::Printer::Format::json, out.file());
	printer.tagged("fs", {{"lower", std::string("/a b")}, {"mountpoint", std::string("/c")}});
	EXPECT_EQ(out.text(), "{\"fs\":{\"lower\":\"/a b\",\"mountpoint\":\"/c\"}}\n");
}

TEST(Printer, RecordsPrintedAsTheyComeMakeOneJsonObject)
{
	for (int n : {0, 1, 2}) {
		Captured out;
		dmctl::Printer printer(dmctl::Printer::Format::json, out.file());
		printer.begin_records("messages");
		for (int i = 0; i < n; i++)
			printer.next_record({{"token", std::int64_t{i}}});
		printer.end_records();
		const char *want[] = {
			"{\"messages\":[]}\n",
			"{\"messages\":[{\"token\":0}]}\n",
			"{\"messages\":[{\"token\":0},{\"token\":1}]}\n",
		};
		EXPECT_EQ(out.text(), want[n]) << n << " records";
	}
}

} // namespace
