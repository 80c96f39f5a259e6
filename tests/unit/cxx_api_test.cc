// SPDX-License-Identifier: GPL-2.0
/*
 * <xdsm/dmapi.hpp> on the host: handles as values, event sets, typed
 * views of messages laid out as the kernel lays them out, and the event
 * loop's answers.  No module is needed: what reaches the kernel is tested
 * in the guest (tests/vm/cxx_api_test.cc).
 */
#include <xdsm/dmapi.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <ios>
#include <unordered_set>

namespace {

/* A message as dm_get_events() delivers it: a header, then ev_data. */
template <typename Payload>
std::vector<std::byte> message(dm_eventtype_t type, dm_token_t token, const Payload &payload,
			       const std::vector<std::byte> &tail = {})
{
	std::vector<std::byte> buf(sizeof(dm_eventmsg_t) + sizeof(Payload) + tail.size());
	dm_eventmsg_t msg{};
	msg.ev_type = type;
	msg.ev_token = token;
	msg.ev_sequence = 7;
	msg.ev_data.vd_offset = sizeof(dm_eventmsg_t);
	msg.ev_data.vd_length = sizeof(Payload) + tail.size();
	std::memcpy(buf.data(), &msg, sizeof(msg));
	std::memcpy(buf.data() + sizeof(msg), &payload, sizeof(payload));
	std::memcpy(buf.data() + sizeof(msg) + sizeof(payload), tail.data(), tail.size());
	return buf;
}

std::vector<std::byte> bytes(std::string_view s, bool nul = true)
{
	std::vector<std::byte> b(reinterpret_cast<const std::byte *>(s.data()),
				 reinterpret_cast<const std::byte *>(s.data()) + s.size());
	if (nul)
		b.push_back(std::byte{0});
	return b;
}

xdsm::Message as_message(const std::vector<std::byte> &buf)
{
	return xdsm::Message(reinterpret_cast<const dm_eventmsg_t *>(buf.data()));
}

TEST(CxxHandle, MadeOfItsPartsAndBackAgain)
{
	auto h = xdsm::Handle::make(0x1234, 99, 7);
	EXPECT_EQ(h.fsid(), 0x1234u);
	EXPECT_EQ(h.ino(), 99u);
	EXPECT_EQ(h.igen(), 7u);
	EXPECT_FALSE(h.is_filesystem());
	EXPECT_TRUE(h.filesystem().is_filesystem());
	EXPECT_EQ(h.filesystem().fsid(), 0x1234u);
}

TEST(CxxHandle, EqualityAndHashFollowTheBytes)
{
	auto a = xdsm::Handle::make(1, 2, 3), b = xdsm::Handle::make(1, 2, 3);
	auto c = xdsm::Handle::make(1, 2, 4);
	EXPECT_EQ(a, b);
	EXPECT_NE(a, c);
	std::unordered_set<xdsm::Handle> set{a, b, c};
	EXPECT_EQ(set.size(), 2u);
	EXPECT_NE(xdsm::Handle::global(), a);
	EXPECT_EQ(xdsm::Handle::global(), xdsm::Handle::global());
	EXPECT_EQ(xdsm::Handle::global().hlen(), DM_GLOBAL_HLEN);
}

TEST(CxxHandle, MalformedHandleThrowsTheCallsErrno)
{
	xdsm::Handle junk("abc", 3);
	try {
		(void)junk.ino();
		FAIL() << "no exception";
	} catch (const std::system_error &e) {
		EXPECT_EQ(e.code().value(), EBADF) << "as dm_handle_to_ino(3) says";
		EXPECT_NE(std::string(e.what()).find("dm_handle_to_ino"), std::string::npos);
	}
}

TEST(CxxEventSet, HoldsWhatIsAdded)
{
	xdsm::EventSet set{DM_EVENT_READ, DM_EVENT_DESTROY};
	EXPECT_TRUE(set.contains(DM_EVENT_READ));
	EXPECT_FALSE(set.contains(DM_EVENT_WRITE));
	set.add(DM_EVENT_WRITE);
	dm_eventset_t bits = 0;
	DMEV_SET(DM_EVENT_READ, bits);
	DMEV_SET(DM_EVENT_WRITE, bits);
	DMEV_SET(DM_EVENT_DESTROY, bits);
	EXPECT_EQ(set.bits(), bits);
}

TEST(CxxAttrName, LongerThanEightBytesEINVAL)
{
	EXPECT_EQ(xdsm::attr_name_string(xdsm::attr_name("where")), "where");
	EXPECT_THROW(xdsm::attr_name("ninechars"), std::system_error);
}

TEST(CxxMessage, NamespaceEventViewsNamesAndHandles)
{
	dm_namesp_event_t ne{};
	ne.ne_mode = 0100644;
	ne.ne_retcode = 17;
	auto h = xdsm::Handle::make(5, 6, 7);
	std::vector<std::byte> tail(static_cast<const std::byte *>(h.hanp()),
				    static_cast<const std::byte *>(h.hanp()) + h.hlen());
	ne.ne_handle1 = {static_cast<int>(sizeof(ne)), static_cast<unsigned int>(h.hlen())};
	auto name = bytes("file");
	ne.ne_name1 = {static_cast<int>(sizeof(ne) + tail.size()), static_cast<unsigned int>(name.size())};
	tail.insert(tail.end(), name.begin(), name.end());
	auto m = as_message(message(DM_EVENT_POSTCREATE, 0, ne, tail));
	EXPECT_FALSE(m.synchronous());
	auto v = m.namespace_event();
	EXPECT_EQ(v.mode, 0100644u);
	EXPECT_EQ(v.handle1, h);
	EXPECT_TRUE(v.handle2.empty());
	EXPECT_EQ(v.name1, "file");
	EXPECT_EQ(v.retcode, 17);
	EXPECT_EQ(m.sequence(), 7u);
}

TEST(CxxMessage, DataEventViewsTheRange)
{
	dm_data_event_t de{};
	de.de_offset = 4096;
	de.de_length = 100;
	auto m = as_message(message(DM_EVENT_READ, 12, de));
	EXPECT_TRUE(m.synchronous());
	EXPECT_EQ(m.token(), 12);
	EXPECT_EQ(m.data_event().offset, 4096);
	EXPECT_EQ(m.data_event().length, 100u);
}

TEST(CxxMessage, CancelEventViewsTheTokenAndSequence)
{
	dm_cancel_event_t ce{};
	ce.ce_sequence = 41;
	ce.ce_token = 9;
	auto v = as_message(message(DM_EVENT_CANCEL, 0, ce)).cancel();
	EXPECT_EQ(v.sequence, 41u);
	EXPECT_EQ(v.token, 9);
}

TEST(CxxMessage, TheWrongViewThrowsEINVAL)
{
	dm_data_event_t de{};
	auto m = as_message(message(DM_EVENT_READ, 1, de));
	EXPECT_THROW(m.mount(), std::system_error);
	EXPECT_THROW(m.namespace_event(), std::system_error);
	EXPECT_THROW(m.user(), std::system_error);
}

TEST(CxxEventLoop, HandlersAnswerAndFailuresAbortWithTheirErrno)
{
	xdsm::Session session(1);	/* never reaches the kernel here */
	xdsm::EventLoop loop(session);
	loop.on(DM_EVENT_READ, [](const xdsm::Message &) { return xdsm::Reply::abort(EIO); })
		.on(DM_EVENT_WRITE, [](const xdsm::Message &) -> xdsm::Reply {
			throw std::system_error(ENOSPC, std::generic_category());
		})
		.on(DM_EVENT_TRUNCATE, [](const xdsm::Message &) -> xdsm::Reply {
			throw std::runtime_error("bug");
		});
	dm_data_event_t de{};
	auto read = loop.dispatch(as_message(message(DM_EVENT_READ, 1, de)));
	EXPECT_EQ(read.response, DM_RESP_ABORT);
	EXPECT_EQ(read.error, EIO);
	auto write = loop.dispatch(as_message(message(DM_EVENT_WRITE, 1, de)));
	EXPECT_EQ(write.error, ENOSPC);
	auto trunc = loop.dispatch(as_message(message(DM_EVENT_TRUNCATE, 1, de)));
	EXPECT_EQ(trunc.response, DM_RESP_ABORT);
	EXPECT_EQ(trunc.error, EIO);
	auto none = loop.dispatch(as_message(message(DM_EVENT_NOSPACE, 1, de)));
	EXPECT_EQ(none.response, DM_RESP_CONTINUE) << "no handler: CONTINUE";
}

/* Codes an ABORT cannot carry, or that are no errno, abort EIO. */
TEST(CxxEventLoop, FailuresWithoutAnErrnoAnAbortCarriesAbortEIO)
{
	xdsm::Session session(1);	/* never reaches the kernel here */
	xdsm::EventLoop loop(session);
	std::error_code code;
	loop.on(DM_EVENT_READ, [&](const xdsm::Message &) -> xdsm::Reply {
		throw std::system_error(code);
	});
	dm_data_event_t de{};
	auto answer = [&](std::error_code c) {
		code = c;
		return loop.dispatch(as_message(message(DM_EVENT_READ, 1, de)));
	};
	for (int bad : {-EIO, 0, 512, 4095}) {
		auto reply = answer(std::error_code(bad, std::generic_category()));
		EXPECT_EQ(reply.response, DM_RESP_ABORT) << bad;
		EXPECT_EQ(reply.error, EIO) << bad;
	}
	EXPECT_EQ(answer(std::make_error_code(std::io_errc::stream)).error, EIO)
		<< "another category's code is no errno";
	EXPECT_EQ(answer(std::error_code(ENOSPC, std::system_category())).error, ENOSPC);
	EXPECT_EQ(answer(std::error_code(511, std::generic_category())).error, 511);
}

} // namespace
