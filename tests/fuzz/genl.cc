// SPDX-License-Identifier: GPL-2.0
//
// The generic netlink family "dmapi", fuzzed (see genl.h).
#include "genl.h"

#include <xdsm/dmapi_ioctl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dmfuzz {

namespace {

constexpr std::size_t kReceiveBuffer = 1 << 16;
/* Bounds on the wait for an answer, whatever else arrives meanwhile. */
constexpr auto kAnswerWithin = std::chrono::milliseconds(500);
constexpr int kMaxMessages = 1024;
/* Deeper nests only cost time: the policy checks the outer levels. */
constexpr int kMaxDepth = 3;

const char *const kCommandNames[] = {
	"GENL_UNSPEC", "GENL_GET_FS", "GENL_GET_SESSION", "GENL_GET_MONITOR",
	"GENL_EVENT", "GENL_STATS_NEW", "GENL_STATS_DEL", "GENL_STATS_SET",
	"GENL_STATS_ADD", "GENL_STATS_REMOVE", "GENL_STATS_GET",
};
static_assert(std::size(kCommandNames) == DMAPI_CMD_MAX + 1,
	      "a name for every command of the family");

void put(std::vector<unsigned char> &msg, const void *p, std::size_t len)
{
	auto *b = static_cast<const unsigned char *>(p);
	msg.insert(msg.end(), b, b + len);
}

void pad(std::vector<unsigned char> &msg)
{
	msg.resize(NLMSG_ALIGN(msg.size()), 0);
}

/* Attributes of @len bytes at @p, in order: type and payload. */
template <typename Fn>
void each_attr(const unsigned char *p, std::size_t len, Fn fn)
{
	while (len >= NLA_HDRLEN) {
		nlattr a;
		std::memcpy(&a, p, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > len)
			return;
		fn(a.nla_type & NLA_TYPE_MASK, p + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
		std::size_t step = std::min<std::size_t>(NLA_ALIGN(a.nla_len), len);
		p += step;
		len -= step;
	}
}

} // namespace

void GenlPool::add_group(std::uint32_t id)
{
	std::lock_guard lock(mu_);
	groups_.push_back(id);
	if (groups_.size() > 64)
		groups_.erase(groups_.begin());
}

void GenlPool::add_fsid(std::uint64_t fsid)
{
	std::lock_guard lock(mu_);
	if (std::find(fsids_.begin(), fsids_.end(), fsid) == fsids_.end())
		fsids_.push_back(fsid);
}

std::uint32_t GenlPool::any_group(std::mt19937_64 &rng)
{
	std::lock_guard lock(mu_);
	return groups_.empty() ? 1 : groups_[rng() % groups_.size()];
}

std::uint64_t GenlPool::any_fsid(std::mt19937_64 &rng)
{
	std::lock_guard lock(mu_);
	return fsids_.empty() ? 0 : fsids_[rng() % fsids_.size()];
}

GenlFuzzer::GenlFuzzer(GenlPool &pool) : pool_(pool)
{
	sock_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (sock_ < 0)
		return;
	/* No answer comes to a message whose length lies: not a hang. */
	timeval tv = {0, 250000};
	setsockopt(sock_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Errors without the request echoed: they fit the small buffers. */
	int on = 1;
	setsockopt(sock_, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(on));

	/* The family's id and its events group, from the controller. */
	std::vector<unsigned char> msg(NLMSG_HDRLEN);
	genlmsghdr g = {CTRL_CMD_GETFAMILY, 1, 0};
	put(msg, &g, sizeof(g));
	nlattr a = {static_cast<std::uint16_t>(NLA_HDRLEN + sizeof(DMAPI_GENL_NAME)),
		    CTRL_ATTR_FAMILY_NAME};
	put(msg, &a, sizeof(a));
	put(msg, DMAPI_GENL_NAME, sizeof(DMAPI_GENL_NAME));
	pad(msg);
	nlmsghdr h = {static_cast<std::uint32_t>(msg.size()), GENL_ID_CTRL, NLM_F_REQUEST, 1, 0};
	std::memcpy(msg.data(), &h, sizeof(h));
	if (send(sock_, msg.data(), msg.size(), 0) < 0)
		return;
	std::vector<unsigned char> buf(kReceiveBuffer);
	ssize_t n = recv(sock_, buf.data(), buf.size(), 0);
	if (n < static_cast<ssize_t>(NLMSG_HDRLEN + GENL_HDRLEN))
		return;
	nlmsghdr r;
	std::memcpy(&r, buf.data(), sizeof(r));
	if (r.nlmsg_type != GENL_ID_CTRL || r.nlmsg_len > static_cast<std::size_t>(n) ||
	    r.nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return;
	std::uint16_t family = 0;
	each_attr(buf.data() + NLMSG_HDRLEN + GENL_HDRLEN, r.nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN,
		  [&](int type, const unsigned char *p, std::size_t len) {
		if (type == CTRL_ATTR_FAMILY_ID && len >= 2)
			std::memcpy(&family, p, 2);
		if (type != CTRL_ATTR_MCAST_GROUPS)
			return;
		each_attr(p, len, [&](int, const unsigned char *grp, std::size_t glen) {
			std::string name;
			std::uint32_t id = 0;
			each_attr(grp, glen, [&](int t, const unsigned char *v, std::size_t vlen) {
				if (t == CTRL_ATTR_MCAST_GRP_NAME)
					name.assign(reinterpret_cast<const char *>(v),
						    strnlen(reinterpret_cast<const char *>(v), vlen));
				if (t == CTRL_ATTR_MCAST_GRP_ID && vlen >= 4)
					std::memcpy(&id, v, 4);
			});
			if (name == DMAPI_GENL_MCGRP_EVENTS)
				events_group_ = id;
		});
	});
	family_ = family;
}

GenlFuzzer::~GenlFuzzer()
{
	if (sock_ >= 0)
		close(sock_);
}

std::string GenlFuzzer::name(int cmd)
{
	if (cmd >= 0 && cmd <= DMAPI_CMD_MAX)
		return kCommandNames[cmd];
	return "GENL_CMD_" + std::to_string(cmd);
}

int GenlFuzzer::commands()
{
	return DMAPI_CMD_MAX + 3;
}

/* One attribute of any type, with a value of the right size or not. */
void GenlFuzzer::attribute(std::mt19937_64 &rng, const std::vector<unsigned char> &handle,
			   std::vector<unsigned char> &msg, int depth)
{
	std::uint16_t type = rng() % (DMAPI_A_MAX + 3);
	std::vector<unsigned char> v;
	std::uint64_t u64;
	std::uint32_t u32;
	switch (rng() % 10) {
	case 0: {	/* a 32-bit number: an id we know, or a boundary */
		const std::uint32_t values[] = {0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff,
						pool_.any_group(rng), 256, 65536};
		u32 = values[rng() % std::size(values)];
		put(v, &u32, 4);
		break;
	}
	case 1: {	/* a 64-bit number */
		const std::uint64_t values[] = {0, 1, ~0ULL, 1ULL << 63, (1ULL << 63) - 1,
						4096, pool_.any_fsid(rng), 1ULL << 40};
		u64 = values[rng() % std::size(values)];
		put(v, &u64, 8);
		break;
	}
	case 2:		/* a handle of the mount, whole or spoilt */
		v = handle;
		if (!v.empty() && rng() % 3 == 0)
			v[rng() % v.size()] ^= static_cast<unsigned char>(1 + rng() % 255);
		if (rng() % 4 == 0)
			v.resize(rng() % (v.size() + 8));
		break;
	case 3: {	/* a string, terminated or not, short or too long */
		std::string s(rng() % 2 ? 1 + rng() % 8 : DMAPI_STATS_ALIAS_LEN - 1 + rng() % 3,
			      'a' + static_cast<char>(rng() % 26));
		put(v, s.data(), s.size());
		if (rng() % 4)
			v.push_back(0);
		break;
	}
	case 4:		/* nothing */
		break;
	case 5:		/* a nest of more attributes */
		if (depth < kMaxDepth) {
			type |= NLA_F_NESTED;
			for (int i = rng() % 4; i > 0; i--)
				attribute(rng, handle, v, depth + 1);
			break;
		}
		[[fallthrough]];
	default:	/* bytes of any length */
		v.resize(rng() % 80);
		for (auto &b : v)
			b = static_cast<unsigned char>(rng());
		break;
	}
	nlattr a = {static_cast<std::uint16_t>(NLA_HDRLEN + v.size()), type};
	if (rng() % 32 == 0)	/* a length that lies */
		a.nla_len = static_cast<std::uint16_t>(rng() % (NLA_HDRLEN + v.size() + 64));
	put(msg, &a, sizeof(a));
	put(msg, v.data(), v.size());
	pad(msg);
}

/* An attribute of @type with the @len bytes at @p. */
void GenlFuzzer::exact(std::vector<unsigned char> &msg, std::uint16_t type, const void *p,
		       std::size_t len)
{
	nlattr a = {static_cast<std::uint16_t>(NLA_HDRLEN + len), type};
	put(msg, &a, sizeof(a));
	put(msg, p, len);
	pad(msg);
}

/*
 * The attributes command @cmd asks for, of the right types, with values
 * that name things that exist (a group the replies named, a handle of
 * the mount) or nearly: so that requests get past the policy.
 */
void GenlFuzzer::coherent(std::mt19937_64 &rng, const std::vector<unsigned char> &handle,
			  int cmd, std::vector<unsigned char> &msg)
{
	std::uint32_t group = rng() % 8 ? pool_.any_group(rng) : static_cast<std::uint32_t>(rng());
	std::uint32_t region = 1 + rng() % 4;
	std::int64_t off = rng() % 4 ? static_cast<std::int64_t>(rng() % 65536) : -1;
	std::uint64_t len = rng() % 4 ? rng() % 65536 : ~0ULL;
	const char alias[] = "fuzz";

	switch (cmd) {
	case DMAPI_CMD_STATS_NEW:
		exact(msg, DMAPI_A_HANDLE, handle.data(), handle.size());
		if (rng() % 2)
			exact(msg, DMAPI_A_NAME, alias, sizeof(alias));
		break;
	case DMAPI_CMD_STATS_DEL:
	case DMAPI_CMD_STATS_GET:
		exact(msg, DMAPI_A_GROUP, &group, sizeof(group));
		break;
	case DMAPI_CMD_STATS_SET:
		exact(msg, DMAPI_A_GROUP, &group, sizeof(group));
		exact(msg, DMAPI_A_HANDLE, handle.data(), handle.size());
		break;
	case DMAPI_CMD_STATS_ADD:
		exact(msg, DMAPI_A_GROUP, &group, sizeof(group));
		exact(msg, DMAPI_A_OFFSET, &off, sizeof(off));
		exact(msg, DMAPI_A_LENGTH, &len, sizeof(len));
		break;
	case DMAPI_CMD_STATS_REMOVE:
		exact(msg, DMAPI_A_GROUP, &group, sizeof(group));
		exact(msg, DMAPI_A_REGION, &region, sizeof(region));
		break;
	default:
		break;
	}
}

void GenlFuzzer::build(std::mt19937_64 &rng, const std::vector<unsigned char> &handle,
		       int cmd, std::vector<unsigned char> &msg)
{
	msg.assign(NLMSG_HDRLEN, 0);
	genlmsghdr g = {static_cast<std::uint8_t>(cmd),
			static_cast<std::uint8_t>(rng() % 16 ? DMAPI_GENL_VERSION : rng()), 0};
	put(msg, &g, sizeof(g));
	bool sane = rng() % 2;
	if (sane)
		coherent(rng, handle, cmd, msg);
	for (int i = sane ? rng() % 4 == 0 : rng() % 7; i > 0; i--)
		attribute(rng, handle, msg, 0);
	if (rng() % 32 == 0)	/* trailing bytes too short for an attribute */
		msg.resize(msg.size() + 1 + rng() % 3, 0xff);
}

/* Replies of the last calls that were given up on, and records. */
void GenlFuzzer::drain()
{
	std::vector<unsigned char> buf(kReceiveBuffer);
	for (int i = 0; i < kMaxMessages; i++)
		if (recv(sock_, buf.data(), buf.size(), MSG_DONTWAIT) < 0 && errno != ENOBUFS)
			break;
}

/* Join or leave the events group; a member's records are read and dropped. */
void GenlFuzzer::toggle_events(std::mt19937_64 &rng)
{
	if (!events_group_)
		return;
	int on = rng() % 2;
	setsockopt(sock_, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &on, sizeof(on));
	int size = rng() % 2 ? 4096 : 1 << 20;	/* small: overruns and drops */
	setsockopt(sock_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	joined_ = !joined_;
	setsockopt(sock_, SOL_NETLINK, joined_ ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP,
		   &events_group_, sizeof(events_group_));
}

/* What a reply teaches: the ids of groups made, the filesystems. */
void GenlFuzzer::learn(const unsigned char *payload, std::size_t len)
{
	each_attr(payload, len, [&](int type, const unsigned char *p, std::size_t plen) {
		std::uint32_t u32;
		std::uint64_t u64;
		if (type == DMAPI_A_GROUP && plen == 4) {
			std::memcpy(&u32, p, 4);
			pool_.add_group(u32);
		} else if (type == DMAPI_A_FSID && plen == 8) {
			std::memcpy(&u64, p, 8);
			pool_.add_fsid(u64);
		}
	});
}

/*
 * Read the answers to request @seq until its acknowledgement, its error or
 * the end of its dump (NLMSG_DONE), sometimes through a buffer too small
 * for them.
 */
int GenlFuzzer::receive(std::mt19937_64 &rng, std::uint32_t seq)
{
	std::vector<unsigned char> buf(rng() % 16 ? kReceiveBuffer : 64 + rng() % 512);
	auto deadline = std::chrono::steady_clock::now() + kAnswerWithin;
	for (int i = 0; i < kMaxMessages && std::chrono::steady_clock::now() < deadline; i++) {
		ssize_t n = recv(sock_, buf.data(), buf.size(), 0);
		if (n < 0 && errno == ENOBUFS)
			continue;	/* the events group overran the socket */
		if (n < 0)
			return errno;
		std::size_t left = static_cast<std::size_t>(n);
		for (unsigned char *p = buf.data(); left >= NLMSG_HDRLEN;) {
			nlmsghdr h;
			std::memcpy(&h, p, sizeof(h));
			if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > left)
				break;	/* cut short by the small buffer */
			if (h.nlmsg_seq == seq &&
			    (h.nlmsg_type == NLMSG_ERROR || h.nlmsg_type == NLMSG_DONE)) {
				/* Both start with the errno, 0 for success. */
				int error = 0;
				if (h.nlmsg_len >= NLMSG_HDRLEN + sizeof(error))
					std::memcpy(&error, p + NLMSG_HDRLEN, sizeof(error));
				return -error;
			}
			if (h.nlmsg_seq == seq && h.nlmsg_type == family_ &&
			    h.nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN)
				learn(p + NLMSG_HDRLEN + GENL_HDRLEN,
				      h.nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
			std::size_t step = std::min<std::size_t>(NLMSG_ALIGN(h.nlmsg_len), left);
			p += step;
			left -= step;
		}
	}
	return ETIME;	/* answers kept coming, none the last */
}

int GenlFuzzer::call(std::mt19937_64 &rng, int cmd, const std::vector<unsigned char> &handle)
{
	if (rng() % 16 == 0)
		toggle_events(rng);
	drain();
	std::vector<unsigned char> msg;
	build(rng, handle, cmd, msg);
	/* Dumps of what has one, sometimes of what has none. */
	bool dump = cmd == DMAPI_CMD_GET_FS || cmd == DMAPI_CMD_GET_SESSION ||
		    (cmd == DMAPI_CMD_STATS_GET && rng() % 2) || rng() % 8 == 0;
	nlmsghdr h = {static_cast<std::uint32_t>(msg.size()), family_,
		      static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0)),
		      ++seq_, 0};
	if (rng() % 64 == 0)	/* a message length that lies */
		h.nlmsg_len = static_cast<std::uint32_t>(rng() % (msg.size() + 16));
	/*
	 * A reserved type or the controller's: not another family's, which
	 * a request as root could reconfigure the machine through.
	 */
	if (rng() % 64 == 0)
		h.nlmsg_type = static_cast<std::uint16_t>(rng() % (GENL_ID_CTRL + 1));
	std::memcpy(msg.data(), &h, sizeof(h));
	if (send(sock_, msg.data(), msg.size(), 0) < 0)
		return errno;
	return receive(rng, seq_);
}

} // namespace dmfuzz
