// SPDX-License-Identifier: GPL-2.0
/*
 * A raw generic netlink socket of the family "dmapi", for the tests that
 * read its replies and records byte for byte, with no library between.
 */
#ifndef DMTEST_GENL_SOCKET_H
#define DMTEST_GENL_SOCKET_H

#include <xdsm/dmapi_ioctl.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace dmtest {

/* A raw generic netlink socket, with the family "dmapi" resolved. */
class GenlSocket {
public:
	/*
	 * receive_size: the buffer of each recv(), which the kernel takes
	 * as the size of the parts of this socket's next dumps.
	 */
	explicit GenlSocket(size_t receive_size = 1 << 16) : receive_size_(receive_size)
	{
		fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
		sockaddr_nl sa = {};
		sa.nl_family = AF_NETLINK;
		if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)))
			return;
		std::vector<unsigned char> name(DMAPI_GENL_NAME, DMAPI_GENL_NAME +
							       sizeof(DMAPI_GENL_NAME));
		auto replies = request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0,
				       {{CTRL_ATTR_FAMILY_NAME, name}});
		for (auto &msg : replies)
			each_attr(msg, [&](unsigned int type, const unsigned char *d, size_t n) {
				if (type == CTRL_ATTR_FAMILY_ID && n >= 2)
					std::memcpy(&family_, d, 2);
				if (type == CTRL_ATTR_MCAST_GROUPS)
					events_group_ = find_group(d, n);
			});
	}

	~GenlSocket()
	{
		if (fd_ >= 0)
			close(fd_);
	}

	GenlSocket(const GenlSocket &) = delete;
	GenlSocket &operator=(const GenlSocket &) = delete;

	bool ok() const { return family_ && events_group_; }

	void set_receive_size(size_t size) { receive_size_ = size; }

	/* The errno the last request's ack carried, 0 for none. */
	int error() const { return error_; }

	using Attr = std::pair<unsigned short, std::vector<unsigned char>>;

	/* The messages answering one request of the family, the ack left out. */
	std::vector<std::vector<unsigned char>> ask(int cmd, bool dump,
						    const std::vector<Attr> &attrs = {})
	{
		return request(family_, cmd, dump ? NLM_F_DUMP : 0, attrs);
	}

	/*
	 * The counters nested under @attr (DMAPI_A_EVENTS, DMAPI_A_ANSWERS)
	 * of the managed filesystem whose lower tree is @lower: element i is
	 * the counter of attribute i + 1.  Empty if no such filesystem
	 * answered.
	 */
	std::vector<std::uint64_t> fs_counts(const std::string &lower, unsigned int attr)
	{
		std::vector<std::uint64_t> counts;
		for (const auto &msg : ask(DMAPI_CMD_GET_FS, true)) {
			std::vector<std::uint64_t> these;
			bool ours = false;
			each_attr(msg, [&](unsigned int type, const unsigned char *d, size_t n) {
				if (type == DMAPI_A_LOWER)
					ours = lower == std::string(reinterpret_cast<const char *>(d),
									 strnlen(reinterpret_cast<const char *>(d), n));
				if (type == attr)
					these = nested_u64s(d, n);
			});
			if (ours)
				counts = these;
		}
		return counts;
	}

	void join_events()
	{
		setsockopt(fd_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &events_group_,
			   sizeof(events_group_));
	}

	/* The next message the socket receives within a few seconds. */
	std::vector<std::vector<unsigned char>> receive()
	{
		std::vector<std::vector<unsigned char>> out;
		timeval tv = {5, 0};
		setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		std::vector<unsigned char> buf(receive_size_);
		ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
		if (n <= 0)
			return out;
		split(buf.data(), static_cast<size_t>(n), out);
		return out;
	}

	/* Whole messages, each from its netlink header on. */
	template <typename Fn> static void each_attr(const std::vector<unsigned char> &msg, Fn fn)
	{
		size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
		while (off + NLA_HDRLEN <= msg.size()) {
			nlattr a;
			std::memcpy(&a, msg.data() + off, sizeof(a));
			if (a.nla_len < NLA_HDRLEN || off + a.nla_len > msg.size())
				return;
			fn(a.nla_type & NLA_TYPE_MASK, msg.data() + off + NLA_HDRLEN,
			   a.nla_len - NLA_HDRLEN);
			off += NLA_ALIGN(a.nla_len);
		}
	}

private:
	/* The u64 attributes of a nest, by their type less one. */
	static std::vector<std::uint64_t> nested_u64s(const unsigned char *p, size_t len)
	{
		std::vector<std::uint64_t> out;
		while (len >= NLA_HDRLEN) {
			nlattr a;
			std::memcpy(&a, p, sizeof(a));
			if (a.nla_len < NLA_HDRLEN || a.nla_len > len)
				break;
			unsigned int type = a.nla_type & NLA_TYPE_MASK;
			if (type > 0 && a.nla_len == NLA_HDRLEN + 8) {
				if (out.size() < type)
					out.resize(type);
				std::memcpy(&out[type - 1], p + NLA_HDRLEN, 8);
			}
			size_t step = std::min<size_t>(NLA_ALIGN(a.nla_len), len);
			p += step;
			len -= step;
		}
		return out;
	}

	static unsigned int find_group(const unsigned char *p, size_t len)
	{
		unsigned int id = 0;
		bool events = false;
		while (len >= NLA_HDRLEN) {	/* nests of id and name */
			nlattr g;
			std::memcpy(&g, p, sizeof(g));
			if (g.nla_len < NLA_HDRLEN || g.nla_len > len)
				break;
			const unsigned char *q = p + NLA_HDRLEN;
			size_t qlen = g.nla_len - NLA_HDRLEN;
			while (qlen >= NLA_HDRLEN) {
				nlattr a;
				std::memcpy(&a, q, sizeof(a));
				if (a.nla_len < NLA_HDRLEN || a.nla_len > qlen)
					break;
				if ((a.nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GRP_ID)
					std::memcpy(&id, q + NLA_HDRLEN, 4);
				if ((a.nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GRP_NAME)
					events = !std::strcmp(reinterpret_cast<const char *>(q) +
								      NLA_HDRLEN,
							      DMAPI_GENL_MCGRP_EVENTS);
				size_t step = std::min<size_t>(NLA_ALIGN(a.nla_len), qlen);
				q += step;
				qlen -= step;
			}
			if (events)
				return id;
			size_t step = std::min<size_t>(NLA_ALIGN(g.nla_len), len);
			p += step;
			len -= step;
		}
		return 0;
	}

	static void split(const unsigned char *p, size_t len,
			  std::vector<std::vector<unsigned char>> &out)
	{
		while (len >= NLMSG_HDRLEN) {
			nlmsghdr h;
			std::memcpy(&h, p, sizeof(h));
			if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len)
				return;
			/* The message with the bytes that align it to the next. */
			size_t step = std::min<size_t>(NLMSG_ALIGN(h.nlmsg_len), len);
			out.emplace_back(p, p + step);
			p += step;
			len -= step;
		}
	}

	std::vector<std::vector<unsigned char>> request(unsigned short family, int cmd,
							 unsigned short flags,
							 const std::vector<Attr> &attrs)
	{
		std::vector<unsigned char> msg(NLMSG_HDRLEN + GENL_HDRLEN);
		for (const auto &[type, value] : attrs) {
			nlattr a = {static_cast<unsigned short>(NLA_HDRLEN + value.size()), type};
			auto *b = reinterpret_cast<unsigned char *>(&a);
			msg.insert(msg.end(), b, b + sizeof(a));
			msg.insert(msg.end(), value.begin(), value.end());
			msg.resize(NLA_ALIGN(msg.size()));
		}
		/* A dump ends with NLMSG_DONE, anything else with its ack. */
		unsigned short ack = flags & NLM_F_DUMP ? 0 : NLM_F_ACK;
		nlmsghdr h = {static_cast<__u32>(msg.size()), family,
			      static_cast<unsigned short>(NLM_F_REQUEST | ack | flags), ++seq_, 0};
		genlmsghdr g = {static_cast<__u8>(cmd), DMAPI_GENL_VERSION, 0};
		std::memcpy(msg.data(), &h, sizeof(h));
		std::memcpy(msg.data() + NLMSG_HDRLEN, &g, sizeof(g));
		std::vector<std::vector<unsigned char>> out;
		error_ = 0;
		if (send(fd_, msg.data(), msg.size(), 0) < 0) {
			error_ = errno;
			return out;
		}
		for (;;) {
			auto got = receive();
			/* No answer is no success: a request is always acked. */
			if (got.empty()) {
				error_ = ETIMEDOUT;
				return out;
			}
			for (auto &m : got) {
				nlmsghdr r;
				std::memcpy(&r, m.data(), sizeof(r));
				if (r.nlmsg_type == NLMSG_ERROR &&
				    m.size() >= NLMSG_HDRLEN + sizeof(nlmsgerr)) {
					nlmsgerr e;
					std::memcpy(&e, m.data() + NLMSG_HDRLEN, sizeof(e));
					error_ = -e.error;
				}
				if (r.nlmsg_type == NLMSG_DONE || r.nlmsg_type == NLMSG_ERROR)
					return out;
				out.push_back(std::move(m));
			}
		}
	}

	size_t receive_size_;
	int fd_ = -1;
	unsigned short family_ = 0;
	unsigned int events_group_ = 0;
	unsigned int seq_ = 0;
	int error_ = 0;
};

} // namespace dmtest

#endif // DMTEST_GENL_SOCKET_H
