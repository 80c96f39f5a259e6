// SPDX-License-Identifier: GPL-2.0
//
// DM_GET_VALUE, DM_GET_LEN and DM_STEP_TO_NEXT on buffers laid out the way
// the kernel fills them: records one after another, each padded to 8
// bytes, _link the distance to the next record and 0 on the last.
#include <xdsm/dmapi.h>
#include <xdsm/dmapi_ioctl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <span>
#include <string>
#include <vector>

#include "header_test.h"

namespace {

using Bytes = std::vector<std::byte>;

template <typename T>
void append_object(Bytes &out, const T &object)
{
	auto bytes = std::as_bytes(std::span(&object, 1));
	out.insert(out.end(), bytes.begin(), bytes.end());
}

void append_text(Bytes &out, const std::string &text)
{
	auto bytes = std::as_bytes(std::span(text.c_str(), text.size() + 1));
	out.insert(out.end(), bytes.begin(), bytes.end());
}

// A message list under construction.
class MessageBuffer {
public:
	void add(dm_eventtype_t type, dm_token_t token, const Bytes &event_data)
	{
		std::size_t start = used_;
		dm_eventmsg_t header{};
		header.ev_type = type;
		header.ev_token = token;
		header.ev_sequence = ++sequence_;
		header.ev_data.vd_offset = sizeof(header);
		header.ev_data.vd_length = static_cast<unsigned int>(event_data.size());

		std::size_t size = sizeof(header) + event_data.size();
		std::size_t padded = (size + DMAPI_MSG_ALIGN - 1) & ~std::size_t{DMAPI_MSG_ALIGN - 1};
		ASSERT_LE(start + padded, storage_.size());
		std::memcpy(&storage_[start], &header, sizeof(header));
		std::memcpy(&storage_[start + sizeof(header)], event_data.data(), event_data.size());

		if (last_ != npos) {
			int link = static_cast<int>(start - last_);
			std::memcpy(&storage_[last_] + offsetof(dm_eventmsg_t, _link), &link, sizeof(link));
		}
		last_ = start;
		used_ = start + padded;
	}

	void *data() { return storage_.data(); }

private:
	static constexpr std::size_t npos = ~std::size_t{0};
	alignas(8) std::array<std::byte, 1024> storage_{};
	std::size_t used_ = 0;
	std::size_t last_ = npos;
	dm_sequence_t sequence_ = 0;
};

const dmapi_handle file_handle = {0x1122334455667788ull, {DMAPI_FID_LEN, 0, 7, 4242}};
const dmapi_handle dir_handle = {0x1122334455667788ull, {DMAPI_FID_LEN, 0, 1, 128}};

// READ of 100 bytes at 4096: the data event, then the file's handle.
Bytes read_event()
{
	dm_data_event_t event{};
	event.de_handle.vd_offset = sizeof(event);
	event.de_handle.vd_length = sizeof(file_handle);
	event.de_offset = 4096;
	event.de_length = 100;
	Bytes out;
	append_object(out, event);
	append_object(out, file_handle);
	return out;
}

// CREATE of "file.txt" in a directory: handle1 the directory, name1 the name.
Bytes create_event()
{
	dm_namesp_event_t event{};
	event.ne_mode = 0100644;
	event.ne_handle1.vd_offset = sizeof(event);
	event.ne_handle1.vd_length = sizeof(dir_handle);
	event.ne_name1.vd_offset = sizeof(event) + sizeof(dir_handle);
	event.ne_name1.vd_length = sizeof("file.txt");
	Bytes out;
	append_object(out, event);
	append_object(out, dir_handle);
	append_text(out, "file.txt");
	return out;
}

Bytes user_data(const std::string &text)
{
	auto bytes = std::as_bytes(std::span(text.data(), text.size()));
	return Bytes(bytes.begin(), bytes.end());
}

class Messages : public ::testing::Test {
protected:
	void SetUp() override
	{
		buffer.add(DM_EVENT_READ, 17, read_event());
		buffer.add(DM_EVENT_USER, DM_INVALID_TOKEN, user_data("hello"));
		buffer.add(DM_EVENT_CREATE, 18, create_event());
	}

	MessageBuffer buffer;
};

TEST_F(Messages, StepVisitsEveryRecordThenNull)
{
	std::vector<dm_eventtype_t> types;
	std::vector<dm_sequence_t> sequences;
	for (auto *msg = static_cast<dm_eventmsg_t *>(buffer.data()); msg;
	     msg = DM_STEP_TO_NEXT(msg, dm_eventmsg_t *)) {
		EXPECT_EQ(reinterpret_cast<std::uintptr_t>(msg) % 8, 0u);
		types.push_back(msg->ev_type);
		sequences.push_back(msg->ev_sequence);
	}
	EXPECT_EQ(types, (std::vector<dm_eventtype_t>{DM_EVENT_READ, DM_EVENT_USER, DM_EVENT_CREATE}));
	EXPECT_EQ(sequences, (std::vector<dm_sequence_t>{1, 2, 3}));
	EXPECT_EQ(dmapi_c_count_records(buffer.data()), 3);
}

TEST_F(Messages, PaddedRecordsLinkByTheirPaddedSize)
{
	auto *first = static_cast<dm_eventmsg_t *>(buffer.data());
	// 24 + 24 + 24 = 72: already a multiple of 8.
	EXPECT_EQ(first->_link, 72);
	auto *second = DM_STEP_TO_NEXT(first, dm_eventmsg_t *);
	// 24 + 5 = 29, padded to 32.
	EXPECT_EQ(second->_link, 32);
	auto *third = DM_STEP_TO_NEXT(second, dm_eventmsg_t *);
	EXPECT_EQ(third->_link, 0);
	EXPECT_EQ(DM_STEP_TO_NEXT(third, dm_eventmsg_t *), nullptr);
}

TEST_F(Messages, DataEventValues)
{
	auto *msg = static_cast<dm_eventmsg_t *>(buffer.data());
	ASSERT_EQ(msg->ev_type, DM_EVENT_READ);
	EXPECT_EQ(msg->ev_token, 17);
	EXPECT_EQ(DM_GET_LEN(msg, ev_data), sizeof(dm_data_event_t) + sizeof(dmapi_handle));

	auto *event = DM_GET_VALUE(msg, ev_data, dm_data_event_t *);
	EXPECT_EQ(reinterpret_cast<char *>(event), reinterpret_cast<char *>(msg) + sizeof(*msg));
	EXPECT_EQ(event->de_offset, 4096);
	EXPECT_EQ(event->de_length, 100u);

	// Nested data is relative to the struct that describes it.
	void *hanp = DM_GET_VALUE(event, de_handle, void *);
	size_t hlen = DM_GET_LEN(event, de_handle);
	ASSERT_EQ(hlen, sizeof(file_handle));
	EXPECT_EQ(std::memcmp(hanp, &file_handle, hlen), 0);

	dm_ino_t ino = 0;
	ASSERT_EQ(dm_handle_to_ino(hanp, hlen, &ino), 0);
	EXPECT_EQ(ino, 4242u);
}

TEST_F(Messages, UserEventValues)
{
	auto *msg = DM_STEP_TO_NEXT(static_cast<dm_eventmsg_t *>(buffer.data()), dm_eventmsg_t *);
	ASSERT_EQ(msg->ev_type, DM_EVENT_USER);
	EXPECT_EQ(msg->ev_token, DM_INVALID_TOKEN);
	ASSERT_EQ(DM_GET_LEN(msg, ev_data), 5u);
	EXPECT_EQ(std::string(DM_GET_VALUE(msg, ev_data, char *), DM_GET_LEN(msg, ev_data)), "hello");
}

TEST_F(Messages, NamespaceEventValues)
{
	auto *msg = static_cast<dm_eventmsg_t *>(buffer.data());
	msg = DM_STEP_TO_NEXT(msg, dm_eventmsg_t *);
	msg = DM_STEP_TO_NEXT(msg, dm_eventmsg_t *);
	ASSERT_EQ(msg->ev_type, DM_EVENT_CREATE);

	auto *event = DM_GET_VALUE(msg, ev_data, dm_namesp_event_t *);
	EXPECT_EQ(event->ne_mode, 0100644u);
	EXPECT_EQ(std::memcmp(DM_GET_VALUE(event, ne_handle1, void *), &dir_handle,
			      DM_GET_LEN(event, ne_handle1)), 0);
	EXPECT_STREQ(DM_GET_VALUE(event, ne_name1, char *), "file.txt");
	EXPECT_EQ(DM_GET_LEN(event, ne_name2), 0u);
}

// dm_getall_dmattr() returns dm_attrlist_t records the same way.
TEST(AttrList, WalksRecordsWithValues)
{
	alignas(8) std::array<std::byte, 128> storage{};
	const std::string values[] = {"online", "tape:0042"};
	const char *names[] = {"state", "location"};
	std::size_t offset = 0, previous = 0;

	for (int i = 0; i < 2; i++) {
		dm_attrlist_t record{};
		std::memcpy(record.al_name.an_chars, names[i], std::strlen(names[i]));
		record.al_data.vd_offset = sizeof(record);
		record.al_data.vd_length = static_cast<unsigned int>(values[i].size());
		if (i > 0) {
			int link = static_cast<int>(offset - previous);
			std::memcpy(&storage[previous], &link, sizeof(link));
		}
		std::memcpy(&storage[offset], &record, sizeof(record));
		std::memcpy(&storage[offset + sizeof(record)], values[i].data(), values[i].size());
		previous = offset;
		offset += (sizeof(record) + values[i].size() + 7) & ~std::size_t{7};
	}

	std::vector<std::string> seen;
	for (auto *rec = reinterpret_cast<dm_attrlist_t *>(storage.data()); rec;
	     rec = DM_STEP_TO_NEXT(rec, dm_attrlist_t *))
		seen.emplace_back(DM_GET_VALUE(rec, al_data, char *), DM_GET_LEN(rec, al_data));
	EXPECT_EQ(seen, (std::vector<std::string>{"online", "tape:0042"}));
}

} // namespace
