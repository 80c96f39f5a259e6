// SPDX-License-Identifier: GPL-2.0
/*
 * The replies and records of the generic netlink family "dmapi" are fully
 * initialised: the bytes that align each attribute, each nest and each
 * message are zero, as are the genetlink header's reserved field and the
 * padding inside the handles they carry.  Every command that answers is
 * asked, over a raw socket so that no library tidies the bytes, with
 * strings of odd lengths so that padding follows them; the events group
 * is heard too.
 *
 * Needs the scratch filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "event_mount.h"
#include "genl_socket.h"

#include <xdsm/dmapi_ioctl.h>

#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using namespace dmtest;

namespace {

/*
 * The nests of the family, whose contents are attributes again, at
 * @depth (0: the message's own attributes).  The counters nested by
 * event type, answer or bucket hold numbers only.
 */
bool is_nest(int cmd, unsigned int type, int depth)
{
	if (cmd == DMAPI_CMD_STATS_GET)
		return (depth == 0 && type == DMAPI_A_REGIONS) ||
		       (depth == 1 && type == DMAPI_A_STATS_REGION);
	return depth == 0 && (type == DMAPI_A_EVENTS || type == DMAPI_A_ANSWERS ||
			      type == DMAPI_A_WAIT_HIST);
}

/* What a look at messages found: bytes not zero, and how many it saw. */
struct Scan {
	std::string bad;	/* where, described; empty when none */
	size_t aligning = 0;	/* bytes that align an attribute, checked */
};

/*
 * The bytes of @len bytes of attributes at @p, at nesting @depth, that
 * should be zero, checked into @scan.  @where names the bytes.
 */
void scan_attrs(int cmd, int depth, const unsigned char *p, size_t len,
		const std::string &where, Scan &scan)
{
	std::string &bad = scan.bad;
	while (len >= NLA_HDRLEN) {
		nlattr a;
		std::memcpy(&a, p, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > len) {
			bad += where + ": an attribute of length " + std::to_string(a.nla_len) + "; ";
			return;
		}
		unsigned int type = a.nla_type & NLA_TYPE_MASK;
		std::string name = where + "/" + std::to_string(type);
		const unsigned char *data = p + NLA_HDRLEN;
		size_t dlen = a.nla_len - NLA_HDRLEN;
		if (is_nest(cmd, type, depth))
			scan_attrs(cmd, depth + 1, data, dlen, name, scan);
		if (type == DMAPI_A_HANDLE && dlen == DMAPI_HANDLE_LEN) {
			dmapi_handle h;
			std::memcpy(&h, data, sizeof(h));
			if (h.fid.fid_pad)
				bad += name + ": fid_pad " + std::to_string(h.fid.fid_pad) + "; ";
		}
		size_t step = std::min<size_t>(NLA_ALIGN(a.nla_len), len);
		scan.aligning += step - a.nla_len;
		for (size_t i = a.nla_len; i < step; i++)
			if (p[i])
				bad += name + ": byte " + std::to_string(i - a.nla_len) +
				       " of its alignment; ";
		p += step;
		len -= step;
	}
	for (size_t i = 0; i < len; i++)
		if (p[i])
			bad += where + ": a trailing byte; ";
}

/* The bytes of @msgs that should be zero, checked. */
Scan scan(const std::vector<std::vector<unsigned char>> &msgs)
{
	Scan scan;
	std::string &bad = scan.bad;
	for (const auto &m : msgs) {
		nlmsghdr h;
		genlmsghdr g;
		if (m.size() < NLMSG_HDRLEN + GENL_HDRLEN) {
			bad += "a message too short for its headers; ";
			continue;
		}
		std::memcpy(&h, m.data(), sizeof(h));
		std::memcpy(&g, m.data() + NLMSG_HDRLEN, sizeof(g));
		std::string where = "command " + std::to_string(g.cmd);
		if (g.reserved)
			bad += where + ": genetlink reserved " + std::to_string(g.reserved) + "; ";
		size_t end = std::min<size_t>(h.nlmsg_len, m.size());
		for (size_t i = NLMSG_HDRLEN + sizeof(g); i < NLMSG_HDRLEN + GENL_HDRLEN; i++)
			if (m[i])
				bad += where + ": a byte after the genetlink header; ";
		scan_attrs(g.cmd, 0, m.data() + NLMSG_HDRLEN + GENL_HDRLEN,
			   end - NLMSG_HDRLEN - GENL_HDRLEN, where, scan);
		for (size_t i = end; i < m.size(); i++)
			if (m[i])
				bad += where + ": a byte aligning the next message; ";
	}
	return scan;
}

class GenlPadding : public EventMountTest {
protected:
	/* 26 bytes with its NUL: the session's info string is padded. */
	GenlPadding() : EventMountTest("GenlPadding") {}

	void populate() override { spit(lower_ + "/file", std::string(4096, 'x')); }

	void SetUp() override
	{
		EventMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		if (!genl_.ok())
			GTEST_SKIP() << "no generic netlink family " DMAPI_GENL_NAME;
	}

	static std::vector<unsigned char> bytes(const void *p, size_t len)
	{
		auto *b = static_cast<const unsigned char *>(p);
		return {b, b + len};
	}

	static std::vector<unsigned char> u32(std::uint32_t v) { return bytes(&v, 4); }

	/* A new statistics group of "file": its id, or 0 (a failure). */
	std::uint32_t new_group()
	{
		Handle file;
		handle_of("file", file);
		auto made = genl_.ask(DMAPI_CMD_STATS_NEW, false,
				      {{DMAPI_A_HANDLE, bytes(file.hanp, file.hlen)}});
		EXPECT_EQ(made.size(), 1u) << "no reply to STATS_NEW: " << strerror(genl_.error());
		return made.size() == 1 ? group_of(made[0]) : 0;
	}

	/* The statistics group a message names, or 0. */
	static std::uint32_t group_of(const std::vector<unsigned char> &msg)
	{
		std::uint32_t group = 0;
		GenlSocket::each_attr(msg, [&](unsigned int type, const unsigned char *d, size_t n) {
			if (type == DMAPI_A_GROUP && n == 4)
				std::memcpy(&group, d, 4);
		});
		return group;
	}

	GenlSocket genl_;
};

TEST_F(GenlPadding, FilesystemDumpIsZeroWhereNothingIs)
{
	auto msgs = genl_.ask(DMAPI_CMD_GET_FS, true);
	ASSERT_FALSE(msgs.empty()) << "no managed filesystem in the dump";
	EXPECT_EQ(scan(msgs).bad, "");
}

TEST_F(GenlPadding, SessionDumpIsZeroWhereNothingIs)
{
	auto msgs = genl_.ask(DMAPI_CMD_GET_SESSION, true);
	ASSERT_FALSE(msgs.empty()) << "no session in the dump";
	Scan s = scan(msgs);
	EXPECT_EQ(s.bad, "");
	EXPECT_GT(s.aligning, 0u) << "our session's info string is padded";
}

TEST_F(GenlPadding, MonitorReplyIsZeroWhereNothingIs)
{
	auto msgs = genl_.ask(DMAPI_CMD_GET_MONITOR, false);
	ASSERT_EQ(msgs.size(), 1u);
	EXPECT_EQ(scan(msgs).bad, "");
}

TEST_F(GenlPadding, StatisticsRepliesAreZeroWhereNothingIs)
{
	Handle file;
	handle_of("file", file);
	/* 7 bytes with the NUL: padded in every reply that names the group. */
	const char alias[] = "padded";
	auto made = genl_.ask(DMAPI_CMD_STATS_NEW, false,
			      {{DMAPI_A_HANDLE, bytes(file.hanp, file.hlen)},
			       {DMAPI_A_NAME, bytes(alias, sizeof(alias))}});
	ASSERT_EQ(made.size(), 1u) << "no reply to STATS_NEW";
	std::uint32_t group = group_of(made[0]);
	ASSERT_NE(group, 0u);
	std::int64_t off = 100;
	std::uint64_t len = 1000;
	auto added = genl_.ask(DMAPI_CMD_STATS_ADD, false,
			       {{DMAPI_A_GROUP, u32(group)},
				{DMAPI_A_OFFSET, bytes(&off, 8)},
				{DMAPI_A_LENGTH, bytes(&len, 8)}});
	auto got = genl_.ask(DMAPI_CMD_STATS_GET, false, {{DMAPI_A_GROUP, u32(group)}});
	auto all = genl_.ask(DMAPI_CMD_STATS_GET, true);
	genl_.ask(DMAPI_CMD_STATS_DEL, false, {{DMAPI_A_GROUP, u32(group)}});
	EXPECT_EQ(scan(made).bad, "");
	ASSERT_EQ(added.size(), 1u) << "no reply to STATS_ADD";
	EXPECT_EQ(scan(added).bad, "");
	ASSERT_EQ(got.size(), 1u);
	Scan s = scan(got);
	EXPECT_EQ(s.bad, "");
	EXPECT_GT(s.aligning, 0u) << "the alias is padded";
	EXPECT_FALSE(all.empty());
	EXPECT_EQ(scan(all).bad, "");
}

/* Dumps whose records are larger than a page. */
class GenlDump : public GenlPadding {};

TEST_F(GenlDump, AStatisticsGroupOfTheMostRegionsIsDumpedWhole)
{
	std::uint32_t group = new_group();
	ASSERT_NE(group, 0u);
	int added = 0;
	for (std::int64_t off = 0; off < DMAPI_STATS_MAX_GROUP_REGIONS; off++) {
		std::uint64_t len = 1;
		auto r = genl_.ask(DMAPI_CMD_STATS_ADD, false,
				   {{DMAPI_A_GROUP, u32(group)}, {DMAPI_A_OFFSET, bytes(&off, 8)},
				    {DMAPI_A_LENGTH, bytes(&len, 8)}});
		added += r.size() == 1;
	}
	EXPECT_GE(added, DMAPI_STATS_MAX_GROUP_REGIONS - 1) << "regions the group took";
	/* A reader of pages, as libnl's: the dump's first part is as small. */
	GenlSocket reader(4096);
	reader.set_receive_size(1 << 16);
	auto all = reader.ask(DMAPI_CMD_STATS_GET, true);
	genl_.ask(DMAPI_CMD_STATS_DEL, false, {{DMAPI_A_GROUP, u32(group)}});
	EXPECT_TRUE(std::any_of(all.begin(), all.end(),
				[&](const auto &m) { return group_of(m) == group; }))
		<< "the dump left the group out";
}

/* The statistics groups' lives. */
class GenlStats : public GenlPadding {};

/*
 * A group moved to a file of another mount ends with that mount, as a
 * group made there would: its unmount deletes it.
 */
TEST_F(GenlStats, AGroupMovedToAFileOfAnotherMountEndsWithThatMount)
{
	std::uint32_t group = new_group();
	ASSERT_NE(group, 0u);
	std::string lower2 = base_ + "/lower2", mnt2 = base_ + "/mnt2";
	LoopFilesystem second(base_ + "/image", lower2);
	if (!second.why().empty()) {
		genl_.ask(DMAPI_CMD_STATS_DEL, false, {{DMAPI_A_GROUP, u32(group)}});
		GTEST_SKIP() << second.why();
	}
	std::filesystem::create_directories(mnt2);
	spit(lower2 + "/other", "o");
	std::string opts = "mtpt=" + mnt2;
	bool mounted = mount(lower2.c_str(), mnt2.c_str(), "dmapi", 0, opts.c_str()) == 0;
	EXPECT_TRUE(mounted) << strerror(errno);
	Handle other;
	std::string path = mnt2 + "/other";
	if (mounted) {
		EXPECT_DM_OK(dm_path_to_handle(path.data(), &other.hanp, &other.hlen));
	}
	if (other.hanp) {
		auto set = genl_.ask(DMAPI_CMD_STATS_SET, false,
				     {{DMAPI_A_GROUP, u32(group)},
				      {DMAPI_A_HANDLE, bytes(other.hanp, other.hlen)}});
		EXPECT_TRUE(set.empty()) << "STATS_SET answered more than its ack";
		EXPECT_EQ(genl_.error(), 0) << strerror(genl_.error());
	}
	if (mounted) {
		EXPECT_EQ(umount(mnt2.c_str()), 0) << strerror(errno);
		umount2(mnt2.c_str(), MNT_DETACH);	/* what a failure left */
	}
	auto got = genl_.ask(DMAPI_CMD_STATS_GET, false, {{DMAPI_A_GROUP, u32(group)}});
	EXPECT_TRUE(got.empty()) << "the group outlived the mount of its file";
	EXPECT_EQ(genl_.error(), ENOENT) << strerror(genl_.error());
	genl_.ask(DMAPI_CMD_STATS_DEL, false, {{DMAPI_A_GROUP, u32(group)}});
	/* Nor does the mount, gone, hold its lower filesystem. */
	int err = second.unmount();
	EXPECT_EQ(err, 0) << strerror(err);
}

/* max_stats_regions bounds the groups and their regions together. */
TEST_F(GenlStats, GroupsAndRegionsCountTogetherAgainstMaxStatsRegions)
{
	ModuleParam limit("max_stats_regions", "2");
	Handle file;
	handle_of("file", file);
	auto made = genl_.ask(DMAPI_CMD_STATS_NEW, false,
			      {{DMAPI_A_HANDLE, bytes(file.hanp, file.hlen)}});
	ASSERT_EQ(made.size(), 1u) << "no reply to STATS_NEW: " << strerror(genl_.error());
	std::uint32_t group = group_of(made[0]);
	std::int64_t off = 0;
	std::uint64_t len = 10;
	genl_.ask(DMAPI_CMD_STATS_ADD, false,
		  {{DMAPI_A_GROUP, u32(group)}, {DMAPI_A_OFFSET, bytes(&off, 8)},
		   {DMAPI_A_LENGTH, bytes(&len, 8)}});
	int added = genl_.error();
	auto second = genl_.ask(DMAPI_CMD_STATS_NEW, false,
				{{DMAPI_A_HANDLE, bytes(file.hanp, file.hlen)}});
	int made_second = genl_.error();
	off = 100;
	genl_.ask(DMAPI_CMD_STATS_ADD, false,
		  {{DMAPI_A_GROUP, u32(group)}, {DMAPI_A_OFFSET, bytes(&off, 8)},
		   {DMAPI_A_LENGTH, bytes(&len, 8)}});
	int added_second = genl_.error();
	for (const auto &m : second)
		genl_.ask(DMAPI_CMD_STATS_DEL, false, {{DMAPI_A_GROUP, u32(group_of(m))}});
	genl_.ask(DMAPI_CMD_STATS_DEL, false, {{DMAPI_A_GROUP, u32(group)}});
	EXPECT_EQ(added, 0) << strerror(added);
	EXPECT_EQ(made_second, ENOSPC) << "a group past a group and a region";
	EXPECT_EQ(added_second, ENOSPC) << "a region past a group and a region";
}

/*
 * The family's commands run in parallel (parallel_ops): several sockets
 * making, changing, reading and deleting groups at once each get every
 * answer right, and leave no group behind.
 */
TEST_F(GenlStats, CommandsOfSeveralSocketsAtOnceEachSucceed)
{
	Handle file;
	handle_of("file", file);
	auto handle = bytes(file.hanp, file.hlen);
	constexpr int kThreads = 4, kRounds = 50;
	std::vector<std::string> failures(kThreads);
	std::vector<std::thread> threads;
	for (int t = 0; t < kThreads; t++)
		threads.emplace_back([&, t] {
			GenlSocket sock;
			std::string &bad = failures[t];
			for (int round = 0; round < kRounds && bad.empty(); round++) {
				auto made = sock.ask(DMAPI_CMD_STATS_NEW, false,
						     {{DMAPI_A_HANDLE, handle}});
				std::uint32_t group = made.size() == 1 ? group_of(made[0]) : 0;
				if (!group) {
					bad = "STATS_NEW: " + std::string(strerror(sock.error()));
					break;
				}
				std::int64_t off = round;
				std::uint64_t len = 1;
				sock.ask(DMAPI_CMD_STATS_ADD, false,
					 {{DMAPI_A_GROUP, u32(group)}, {DMAPI_A_OFFSET, bytes(&off, 8)},
					  {DMAPI_A_LENGTH, bytes(&len, 8)}});
				if (sock.error())
					bad = "STATS_ADD: " + std::string(strerror(sock.error()));
				sock.ask(DMAPI_CMD_STATS_SET, false,
					 {{DMAPI_A_GROUP, u32(group)}, {DMAPI_A_HANDLE, handle}});
				if (bad.empty() && sock.error())
					bad = "STATS_SET: " + std::string(strerror(sock.error()));
				auto got = sock.ask(DMAPI_CMD_STATS_GET, false,
						    {{DMAPI_A_GROUP, u32(group)}});
				if (bad.empty() && (got.size() != 1 || group_of(got[0]) != group))
					bad = "STATS_GET did not find the group";
				auto all = sock.ask(DMAPI_CMD_STATS_GET, true);
				if (bad.empty() && std::none_of(all.begin(), all.end(), [&](const auto &m) {
						return group_of(m) == group;
					}))
					bad = "the dump left the group out";
				sock.ask(DMAPI_CMD_STATS_DEL, false, {{DMAPI_A_GROUP, u32(group)}});
				if (bad.empty() && sock.error())
					bad = "STATS_DEL: " + std::string(strerror(sock.error()));
			}
		});
	for (auto &th : threads)
		th.join();
	for (int t = 0; t < kThreads; t++)
		EXPECT_EQ(failures[t], "") << "socket " << t;
	EXPECT_TRUE(genl_.ask(DMAPI_CMD_STATS_GET, true).empty()) << "a group was left behind";
}

TEST_F(GenlPadding, EventRecordsAreZeroWhereNothingIs)
{
	ASSERT_DM_OK(take({DM_EVENT_CREATE}));
	ASSERT_DM_OK(enable(fsh_, {DM_EVENT_CREATE}));
	genl_.join_events();
	/* 6 bytes with the NUL: the record's DMAPI_A_NAME is padded. */
	Accessor creator([p = path("padme")] {
		int fd = open(p.c_str(), O_CREAT | O_WRONLY, 0644);
		return fd < 0 ? errno : close(fd);
	});
	Message m = next();
	ASSERT_EQ(m.type(), DM_EVENT_CREATE);
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(creator.result(), 0);
	auto records = genl_.receive();
	ASSERT_FALSE(records.empty()) << "no record of the event";
	Scan s = scan(records);
	EXPECT_EQ(s.bad, "");
	EXPECT_GT(s.aligning, 0u) << "the name is padded";
}

} // namespace
