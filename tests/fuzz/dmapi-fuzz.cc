// SPDX-License-Identifier: GPL-2.0
//
// dmapi-fuzz: drive every ioctl of /dev/dmapi with random and boundary
// arguments, from several threads at once, while a child process keeps
// touching files of a dmapi mount so that events, tokens and rights come
// and go; and the generic netlink family "dmapi" with random requests
// (genl.h), one call in eight.  One ioctl in sixteen is malformed: its
// argument block unreadable, or its number one the device does not know;
// the module must refuse it with EFAULT or ENOTTY.  One in eight of the
// others keeps the random values of the padding and reserved fields of
// its argument (tests/vm/reserved_fields.h), which the rest have zero:
// with any of them set, it must fail with EINVAL.  Run in the test VM
// (tests/fuzz/run-in-guest).
//
//   dmapi-fuzz [--seed N] [--threads N] [--seconds S | --calls N] [-v] [--trace]
//              [--churn DIR] MOUNTPOINT
//
// -v prints the calls and successes of each ioctl at the end; --trace
// names every call as it is made (to find the one a crash followed);
// --churn mounts a second dmapi filesystem under DIR and unmounts it
// again and again while the calls run, and gives them its handles.
//
// Each argument structure is filled word by word from a dictionary of
// values that matter to the module: live, destroyed and forged session
// ids and tokens; valid, truncated, corrupted and foreign handles; user
// buffers of every size, one ending at an unmapped page, NULL, unmapped
// and kernel addresses; boundary lengths and offsets.  Half of the calls
// get a coherent prefix (a live session, a token, a handle and its length)
// so that they reach past the argument checks.  Calls that wait (for
// events, for answers, for rights) are interrupted by a signal after a
// second; a call still blocked ten seconds later is a finding.
//
// With one thread, a seed replays the same sequence of calls (the module's
// state depends also on the child's accesses, which are not replayed).
// Exit status: 0 when the run ended with every process alive, no session,
// token or right left behind, and every malformed call refused; 1
// otherwise; 2 on a usage error.
#include <xdsm/dmapi.h>
#include <xdsm/dmapi_ioctl.h>

#include "genl.h"
#include "reserved_fields.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

struct Ioctl {
	const char *name;
	unsigned long cmd;
};

#define DMAPI_FUZZ_IOCTL(x) { #x, DMAPI_IOC_##x }
const std::array kIoctls = {
	Ioctl DMAPI_FUZZ_IOCTL(VERSION), Ioctl DMAPI_FUZZ_IOCTL(CREATE_SESSION),
	Ioctl DMAPI_FUZZ_IOCTL(DESTROY_SESSION), Ioctl DMAPI_FUZZ_IOCTL(GETALL_SESSIONS),
	Ioctl DMAPI_FUZZ_IOCTL(QUERY_SESSION), Ioctl DMAPI_FUZZ_IOCTL(CREATE_USEREVENT),
	Ioctl DMAPI_FUZZ_IOCTL(SEND_MSG), Ioctl DMAPI_FUZZ_IOCTL(GET_EVENTS),
	Ioctl DMAPI_FUZZ_IOCTL(RESPOND_EVENT), Ioctl DMAPI_FUZZ_IOCTL(FIND_EVENTMSG),
	Ioctl DMAPI_FUZZ_IOCTL(GETALL_TOKENS), Ioctl DMAPI_FUZZ_IOCTL(MOVE_EVENT),
	Ioctl DMAPI_FUZZ_IOCTL(PENDING), Ioctl DMAPI_FUZZ_IOCTL(GET_CONFIG),
	Ioctl DMAPI_FUZZ_IOCTL(GET_CONFIG_EVENTS), Ioctl DMAPI_FUZZ_IOCTL(FD_TO_HANDLE),
	Ioctl DMAPI_FUZZ_IOCTL(OPEN_BY_HANDLE), Ioctl DMAPI_FUZZ_IOCTL(HANDLE_TO_PATH),
	Ioctl DMAPI_FUZZ_IOCTL(SET_DISP), Ioctl DMAPI_FUZZ_IOCTL(GETALL_DISP),
	Ioctl DMAPI_FUZZ_IOCTL(SET_EVENTLIST), Ioctl DMAPI_FUZZ_IOCTL(GET_EVENTLIST),
	Ioctl DMAPI_FUZZ_IOCTL(GET_MOUNTINFO), Ioctl DMAPI_FUZZ_IOCTL(SET_RETURN_ON_DESTROY),
	Ioctl DMAPI_FUZZ_IOCTL(SET_REGION), Ioctl DMAPI_FUZZ_IOCTL(GET_REGION),
	Ioctl DMAPI_FUZZ_IOCTL(READ_INVIS), Ioctl DMAPI_FUZZ_IOCTL(WRITE_INVIS),
	Ioctl DMAPI_FUZZ_IOCTL(PUNCH_HOLE), Ioctl DMAPI_FUZZ_IOCTL(PROBE_HOLE),
	Ioctl DMAPI_FUZZ_IOCTL(GET_ALLOCINFO), Ioctl DMAPI_FUZZ_IOCTL(SYNC_BY_HANDLE),
	Ioctl DMAPI_FUZZ_IOCTL(GET_DIOINFO), Ioctl DMAPI_FUZZ_IOCTL(REQUEST_RIGHT),
	Ioctl DMAPI_FUZZ_IOCTL(RELEASE_RIGHT), Ioctl DMAPI_FUZZ_IOCTL(QUERY_RIGHT),
	Ioctl DMAPI_FUZZ_IOCTL(UPGRADE_RIGHT), Ioctl DMAPI_FUZZ_IOCTL(DOWNGRADE_RIGHT),
	Ioctl DMAPI_FUZZ_IOCTL(OBJ_REF_HOLD), Ioctl DMAPI_FUZZ_IOCTL(OBJ_REF_RELE),
	Ioctl DMAPI_FUZZ_IOCTL(OBJ_REF_QUERY), Ioctl DMAPI_FUZZ_IOCTL(SET_DMATTR),
	Ioctl DMAPI_FUZZ_IOCTL(GET_DMATTR), Ioctl DMAPI_FUZZ_IOCTL(REMOVE_DMATTR),
	Ioctl DMAPI_FUZZ_IOCTL(GETALL_DMATTR), Ioctl DMAPI_FUZZ_IOCTL(GET_FILEATTR),
	Ioctl DMAPI_FUZZ_IOCTL(SET_FILEATTR), Ioctl DMAPI_FUZZ_IOCTL(INIT_ATTRLOC),
	Ioctl DMAPI_FUZZ_IOCTL(GET_DIRATTRS), Ioctl DMAPI_FUZZ_IOCTL(SET_INHERIT),
	Ioctl DMAPI_FUZZ_IOCTL(CLEAR_INHERIT), Ioctl DMAPI_FUZZ_IOCTL(GETALL_INHERIT),
	Ioctl DMAPI_FUZZ_IOCTL(CREATE_BY_HANDLE), Ioctl DMAPI_FUZZ_IOCTL(GET_BULKATTR),
};
#undef DMAPI_FUZZ_IOCTL

/* The counts of netlink commands follow those of the ioctls. */
std::string call_name(std::size_t which)
{
	if (which < kIoctls.size())
		return kIoctls[which].name;
	return dmfuzz::GenlFuzzer::name(static_cast<int>(which - kIoctls.size()));
}

constexpr std::size_t kScratchSize = 1 << 20;
constexpr auto kInterruptAfter = std::chrono::seconds(1);
constexpr auto kStuckAfter = std::chrono::seconds(10);

[[noreturn]] void die(const std::string &what)
{
	std::fprintf(stderr, "dmapi-fuzz: %s: %s\n", what.c_str(), std::strerror(errno));
	std::exit(1);
}

/* What the threads share: the device, the value pools, the counters. */
class World {
public:
	explicit World(const std::string &mnt) : mnt_(mnt)
	{
		dev_ = open("/dev/dmapi", O_RDWR | O_CLOEXEC);
		if (dev_ < 0)
			die("/dev/dmapi");
		/* Scratch memory for every pointer the kernel may write
		 * through, followed by an unmapped page. */
		void *p = mmap(nullptr, kScratchSize + 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		scratch_ = static_cast<unsigned char *>(p);
		/* Inaccessible, not unmapped: nothing else may be mapped there. */
		if (mprotect(scratch_ + kScratchSize, 4096, PROT_NONE))
			die("mprotect");
		handles_area_ = scratch_ + kScratchSize / 2;
	}

	int dev() const { return dev_; }
	const std::string &mnt() const { return mnt_; }
	unsigned char *scratch() const { return scratch_; }

	/*
	 * The first kSeedHandles stay (the mount's, its tree's); later ones,
	 * of mounts that come and go, take turns in the rest.
	 */
	void add_handle(const void *h, std::size_t len)
	{
		std::lock_guard lock(mu_);
		std::vector<unsigned char> bytes(static_cast<const unsigned char *>(h),
						 static_cast<const unsigned char *>(h) + len);
		if (handles_.size() < kSeedHandles + kChurnHandles)
			handles_.push_back(std::move(bytes));
		else
			handles_[kSeedHandles + churned_++ % kChurnHandles] = std::move(bytes);
	}

	/*
	 * The handles seed_handles() gave, by what they name: 0 the
	 * filesystem, 1 the root, 2 the fuzz directory, then its files.
	 */
	enum Named { fs_handle, root_handle, dir_handle, file_handle };

	/* A named handle, rarely spoilt, in a slot of the scratch area. */
	std::uint64_t named_handle(std::mt19937_64 &rng, Named which, unsigned int slot,
				   std::uint64_t *len)
	{
		std::vector<unsigned char> h;
		{
			std::lock_guard lock(mu_);
			std::size_t i = which == file_handle ? 3 + rng() % 3
							       : static_cast<std::size_t>(which);
			if (i < handles_.size())
				h = handles_[i];
		}
		if (!h.empty() && rng() % 16 == 0)
			h[rng() % h.size()] ^= 1;
		unsigned char *to = handles_area_ + (slot % 128) * 256;
		std::copy(h.begin(), h.end(), to);
		*len = h.size();
		return reinterpret_cast<std::uintptr_t>(to);
	}

	/* A handle of the mount, as it is; often that of a file kept. */
	std::vector<unsigned char> any_raw_handle(std::mt19937_64 &rng)
	{
		std::lock_guard lock(mu_);
		if (handles_.empty() || (!kept_.empty() && rng() % 2))
			return kept_;
		return handles_[rng() % handles_.size()];
	}

	void set_kept_handle(const void *h, std::size_t len)
	{
		std::lock_guard lock(mu_);
		kept_.assign(static_cast<const unsigned char *>(h),
			     static_cast<const unsigned char *>(h) + len);
	}

	dmfuzz::GenlPool &genl_pool() { return genl_pool_; }

	/* Descriptors of the mount's objects, for FD_TO_HANDLE. */
	void add_fd(int fd)
	{
		std::lock_guard lock(mu_);
		fds_.push_back(fd);
	}

	int any_fd(std::mt19937_64 &rng)
	{
		std::lock_guard lock(mu_);
		return fds_.empty() || rng() % 4 == 0 ? static_cast<int>(rng() % 64)
						      : fds_[rng() % fds_.size()];
	}

	/* A right a request got: its session, token and object's handle. */
	struct Held {
		int sid;
		int token;
		std::vector<unsigned char> handle;
	};

	void add_held(Held held)
	{
		std::lock_guard lock(mu_);
		held_.push_back(std::move(held));
		if (held_.size() > 64)
			held_.erase(held_.begin());
	}

	bool any_held(std::mt19937_64 &rng, Held *held)
	{
		std::lock_guard lock(mu_);
		if (held_.empty())
			return false;
		*held = held_[rng() % held_.size()];
		return true;
	}

	/* The slot of the scratch area where a thread's handles go. */
	unsigned char *handle_slot(unsigned int slot) const
	{
		return handles_area_ + (slot % 128) * 256;
	}

	void add_sid(int sid)
	{
		std::lock_guard lock(mu_);
		sids_.push_back(sid);
		if (sids_.size() > 64)
			sids_.erase(sids_.begin());
	}

	/* A token, and the session it is outstanding in when known (or 0). */
	void add_token(int token, int sid = 0)
	{
		std::lock_guard lock(mu_);
		tokens_.push_back(token);
		if (tokens_.size() > 256)
			tokens_.erase(tokens_.begin());
		if (sid) {
			pairs_.emplace_back(sid, token);
			if (pairs_.size() > 256)
				pairs_.erase(pairs_.begin());
		}
	}

	/* A session and a token outstanding in it, as far as we know. */
	std::pair<int, int> any_pair(std::mt19937_64 &rng)
	{
		std::lock_guard lock(mu_);
		if (pairs_.empty())
			return {sids_.empty() ? 0 : sids_[rng() % sids_.size()], 0};
		return pairs_[rng() % pairs_.size()];
	}

	int any_sid(std::mt19937_64 &rng)
	{
		std::lock_guard lock(mu_);
		return sids_.empty() ? 0 : sids_[rng() % sids_.size()];
	}

	int any_token(std::mt19937_64 &rng)
	{
		std::lock_guard lock(mu_);
		return tokens_.empty() ? 0 : tokens_[rng() % tokens_.size()];
	}

	/*
	 * A handle, possibly spoilt, copied to a slot of the scratch area
	 * (the module only reads handles; a slot per thread keeps the
	 * copies apart).  Returns its address and sets @len.
	 */
	std::uint64_t any_handle(std::mt19937_64 &rng, unsigned int slot, std::uint64_t *len)
	{
		std::vector<unsigned char> h;
		{
			std::lock_guard lock(mu_);
			if (!handles_.empty())
				h = handles_[rng() % handles_.size()];
		}
		if (rng() % 8 == 0) {	/* the global handle: address 1, length 1 */
			*len = DM_GLOBAL_HLEN;
			return reinterpret_cast<std::uintptr_t>(DM_GLOBAL_HANP);
		}
		switch (rng() % 8) {
		case 0:		/* a byte flipped */
			if (!h.empty())
				h[rng() % h.size()] ^= static_cast<unsigned char>(1 + rng() % 255);
			break;
		case 1:		/* truncated */
			h.resize(h.empty() ? 0 : rng() % h.size());
			break;
		case 2:		/* extended */
			h.resize(h.size() + 1 + rng() % 64, static_cast<unsigned char>(rng()));
			break;
		default:
			break;
		}
		unsigned char *to = handles_area_ + (slot % 128) * 256;
		h.resize(std::min<std::size_t>(h.size(), 256));
		std::copy(h.begin(), h.end(), to);
		*len = h.size();
		return reinterpret_cast<std::uintptr_t>(to);
	}

	void count(std::size_t ioctl, int err)
	{
		std::lock_guard lock(mu_);
		calls_[ioctl][err]++;
	}

	std::map<std::size_t, std::map<int, std::uint64_t>> calls() const
	{
		std::lock_guard lock(mu_);
		return calls_;
	}

	/* A malformed call (malformed_call(), or one with a reserved field
	 * set) and whether it was refused right. */
	void count_malformed(bool refused_right)
	{
		malformed_++;
		if (!refused_right)
			misrefused_++;
	}

	std::uint64_t malformed() const { return malformed_; }
	std::uint64_t misrefused() const { return misrefused_; }

private:
	std::string mnt_;
	int dev_;
	unsigned char *scratch_;
	unsigned char *handles_area_;
	mutable std::mutex mu_;
	static constexpr std::size_t kSeedHandles = 64, kChurnHandles = 64;
	std::vector<std::vector<unsigned char>> handles_;
	std::size_t churned_ = 0;
	std::vector<unsigned char> kept_;
	std::vector<int> sids_;
	std::vector<int> tokens_;
	std::vector<std::pair<int, int>> pairs_;
	std::vector<int> fds_;
	std::vector<Held> held_;
	std::map<std::size_t, std::map<int, std::uint64_t>> calls_;
	std::atomic<std::uint64_t> malformed_{0};
	std::atomic<std::uint64_t> misrefused_{0};
	dmfuzz::GenlPool genl_pool_;
};

/* An address of the kernel's, as an ioctl argument of this ABI. */
constexpr unsigned long kKernelAddress = sizeof(long) == 8
	? static_cast<unsigned long>(0xffff888000000000ULL) : 0xfffff000UL;

/* One 64-bit word of an argument structure, from the dictionary. */
std::uint64_t word(World &w, std::mt19937_64 &rng, unsigned int slot)
{
	static const std::uint64_t lengths[] = {
		0, 1, 2, 7, 8, 16, 24, 64, 255, 256, 4095, 4096, 65536, 1 << 20,
		(1ULL << 31) - 1, 1ULL << 31, 1ULL << 32, ~0ULL, ~0ULL >> 1,
	};
	/* 0xfffff000: above every user page of a 32-bit process. */
	static const std::uint64_t pointers[] = {
		0, 1, 0x1000, 0xfffff000ULL, 0xffff888000000000ULL,
		0xffffffffff600000ULL, 0x7ffffffff000ULL, ~0ULL,
	};
	std::uint64_t len;

	switch (rng() % 10) {
	case 0:
		return 0;
	case 1:
		return lengths[rng() % std::size(lengths)];
	case 2:
		return pointers[rng() % std::size(pointers)];
	case 3:		/* a buffer in the scratch area, or one ending at its end */
		len = rng() % 4096;
		return reinterpret_cast<std::uintptr_t>(
			rng() % 2 ? w.scratch() + (rng() % (kScratchSize / 2))
				  : w.scratch() + kScratchSize - len);
	case 4:
		return w.any_handle(rng, slot, &len);
	case 5:		/* two 32-bit halves: a session and a token */
		return static_cast<std::uint32_t>(w.any_sid(rng)) |
		       static_cast<std::uint64_t>(static_cast<std::uint32_t>(w.any_token(rng))) << 32;
	case 6:		/* small numbers: event types, flags, counts */
		return rng() % 64 | (rng() % 64) << 32;
	case 7:		/* negative offsets and errnos */
		return static_cast<std::uint64_t>(-static_cast<std::int64_t>(rng() % 4097));
	default:
		return rng();
	}
}

/*
 * A word past the coherent prefix: what such fields usually hold, a
 * buffer with room, a length, a small number, or zero.
 */
std::uint64_t plausible_word(World &w, std::mt19937_64 &rng)
{
	static const std::uint64_t lengths[] = {8, 64, 256, 1024, 4096, 65536};

	switch (rng() % 4) {
	case 0:
		return 0;
	case 1:
		return reinterpret_cast<std::uintptr_t>(w.scratch() + 8 * (rng() % 4096));
	case 2:
		return lengths[rng() % std::size(lengths)];
	default:
		return rng() % 64;
	}
}

/*
 * What some fields are, for the calls whose arguments generic filling
 * almost never gets right: a field of a known kind gets a value of that
 * kind most of the time.
 */
enum class Kind {
	sid, token, hanp, hlen, buf, len, name, small, eventset, fd,
	fshanp, dirhanp, filehanp, maxevent, result,
};

struct Field {
	unsigned long cmd;
	std::size_t offset;
	Kind kind;
};

#define F(cmd, type, field, kind) Field{DMAPI_IOC_##cmd, offsetof(type, field), Kind::kind}
const Field kFields[] = {
	F(CREATE_SESSION, dmapi_create_session_arg, newsidp, result),
	F(CREATE_USEREVENT, dmapi_create_userevent_arg, tokenp, result),
	F(GET_EVENTS, dmapi_get_events_arg, rlenp, result),
	F(MOVE_EVENT, dmapi_move_event_arg, rtokenp, result),
	F(SET_REGION, dmapi_region_arg, exactp, result),
	F(SEND_MSG, dmapi_send_msg_arg, sid, sid),
	F(SEND_MSG, dmapi_send_msg_arg, msgtype, small),
	F(SEND_MSG, dmapi_send_msg_arg, msg, buf),
	F(SEND_MSG, dmapi_send_msg_arg, msglen, len),
	F(GET_EVENTS, dmapi_get_events_arg, sid, sid),
	F(GET_EVENTS, dmapi_get_events_arg, maxmsgs, small),
	F(GET_EVENTS, dmapi_get_events_arg, flags, small),
	F(GET_EVENTS, dmapi_get_events_arg, buf.ptr, buf),
	F(GET_EVENTS, dmapi_get_events_arg, buf.len, len),
	F(GET_CONFIG, dmapi_get_config_arg, hanp, hanp),
	F(GET_CONFIG, dmapi_get_config_arg, hlen, hlen),
	F(GET_CONFIG, dmapi_get_config_arg, flagname, small),
	F(GET_CONFIG_EVENTS, dmapi_get_config_events_arg, hanp, hanp),
	F(GET_CONFIG_EVENTS, dmapi_get_config_events_arg, hlen, hlen),
	F(GET_CONFIG_EVENTS, dmapi_get_config_events_arg, nelem, small),
	F(FD_TO_HANDLE, dmapi_fd_to_handle_arg, fd, fd),
	F(FD_TO_HANDLE, dmapi_fd_to_handle_arg, flags, small),
	F(OPEN_BY_HANDLE, dmapi_open_by_handle_arg, hanp, hanp),
	F(OPEN_BY_HANDLE, dmapi_open_by_handle_arg, hlen, hlen),
	F(OPEN_BY_HANDLE, dmapi_open_by_handle_arg, flags, small),
	F(HANDLE_TO_PATH, dmapi_handle_to_path_arg, dirhanp, dirhanp),
	F(HANDLE_TO_PATH, dmapi_handle_to_path_arg, dirhlen, hlen),
	F(HANDLE_TO_PATH, dmapi_handle_to_path_arg, targhanp, filehanp),
	F(HANDLE_TO_PATH, dmapi_handle_to_path_arg, targhlen, hlen),
	F(HANDLE_TO_PATH, dmapi_handle_to_path_arg, buf.ptr, buf),
	F(HANDLE_TO_PATH, dmapi_handle_to_path_arg, buf.len, len),
	F(SET_DISP, dmapi_eventset_arg, hanp, fshanp),
	F(SET_DISP, dmapi_eventset_arg, hlen, hlen),
	F(SET_DISP, dmapi_eventset_arg, eventset, eventset),
	F(SET_DISP, dmapi_eventset_arg, nelem, maxevent),
	F(GET_MOUNTINFO, dmapi_mountinfo_arg, hanp, fshanp),
	F(GET_MOUNTINFO, dmapi_mountinfo_arg, hlen, hlen),
	F(GET_MOUNTINFO, dmapi_mountinfo_arg, buf.ptr, buf),
	F(GET_MOUNTINFO, dmapi_mountinfo_arg, buf.len, len),
	F(SET_RETURN_ON_DESTROY, dmapi_return_on_destroy_arg, hanp, fshanp),
	F(SET_RETURN_ON_DESTROY, dmapi_return_on_destroy_arg, hlen, hlen),
	F(SET_RETURN_ON_DESTROY, dmapi_return_on_destroy_arg, attrname, name),
	F(SET_RETURN_ON_DESTROY, dmapi_return_on_destroy_arg, enable, small),
	F(REQUEST_RIGHT, dmapi_right_arg, token, token),
	F(REQUEST_RIGHT, dmapi_right_arg, hanp, filehanp),
	F(REQUEST_RIGHT, dmapi_right_arg, hlen, hlen),
	F(REQUEST_RIGHT, dmapi_right_arg, flags, small),
	F(REQUEST_RIGHT, dmapi_right_arg, right, small),
	F(RELEASE_RIGHT, dmapi_right_arg, token, token),
	F(UPGRADE_RIGHT, dmapi_right_arg, token, token),
	F(DOWNGRADE_RIGHT, dmapi_right_arg, token, token),
	F(WRITE_INVIS, dmapi_invis_arg, off, small),
	F(WRITE_INVIS, dmapi_invis_arg, len, len),
	F(WRITE_INVIS, dmapi_invis_arg, buf, buf),
	F(WRITE_INVIS, dmapi_invis_arg, flags, small),
	F(PUNCH_HOLE, dmapi_hole_arg, hanp, filehanp),
	F(PUNCH_HOLE, dmapi_hole_arg, hlen, hlen),
	F(PUNCH_HOLE, dmapi_hole_arg, off, small),
	F(PUNCH_HOLE, dmapi_hole_arg, len, len),
	F(PROBE_HOLE, dmapi_hole_arg, hanp, filehanp),
	F(PROBE_HOLE, dmapi_hole_arg, hlen, hlen),
	F(PROBE_HOLE, dmapi_hole_arg, off, small),
	F(PROBE_HOLE, dmapi_hole_arg, len, len),
	F(SET_DMATTR, dmapi_dmattr_arg, hanp, filehanp),
	F(SET_DMATTR, dmapi_dmattr_arg, hlen, hlen),
	F(SET_DMATTR, dmapi_dmattr_arg, attrname, name),
	F(SET_DMATTR, dmapi_dmattr_arg, buf.ptr, buf),
	F(SET_DMATTR, dmapi_dmattr_arg, buf.len, small),
	F(REMOVE_DMATTR, dmapi_dmattr_arg, hanp, filehanp),
	F(REMOVE_DMATTR, dmapi_dmattr_arg, hlen, hlen),
	F(REMOVE_DMATTR, dmapi_dmattr_arg, attrname, name),
	F(REMOVE_DMATTR, dmapi_dmattr_arg, setdtime, small),
	F(GET_DMATTR, dmapi_dmattr_arg, hanp, filehanp),
	F(GET_DMATTR, dmapi_dmattr_arg, hlen, hlen),
	F(GET_DMATTR, dmapi_dmattr_arg, attrname, name),
	F(GET_DMATTR, dmapi_dmattr_arg, buf.ptr, buf),
	F(GET_DMATTR, dmapi_dmattr_arg, buf.len, len),
	F(SET_INHERIT, dmapi_inherit_arg, hanp, fshanp),
	F(SET_INHERIT, dmapi_inherit_arg, hlen, hlen),
	F(SET_INHERIT, dmapi_inherit_arg, attrname, name),
	F(SET_INHERIT, dmapi_inherit_arg, filetype, small),
	F(CLEAR_INHERIT, dmapi_inherit_arg, hanp, fshanp),
	F(CLEAR_INHERIT, dmapi_inherit_arg, hlen, hlen),
	F(CLEAR_INHERIT, dmapi_inherit_arg, attrname, name),
	F(GETALL_INHERIT, dmapi_inherit_arg, hanp, fshanp),
	F(GETALL_INHERIT, dmapi_inherit_arg, hlen, hlen),
	F(GETALL_INHERIT, dmapi_inherit_arg, nelem, small),
	F(GETALL_INHERIT, dmapi_inherit_arg, buf, buf),
	F(CREATE_BY_HANDLE, dmapi_create_by_handle_arg, dirhanp, dirhanp),
	F(CREATE_BY_HANDLE, dmapi_create_by_handle_arg, dirhlen, hlen),
	F(CREATE_BY_HANDLE, dmapi_create_by_handle_arg, hanp, fshanp),
	F(CREATE_BY_HANDLE, dmapi_create_by_handle_arg, hlen, hlen),
	F(CREATE_BY_HANDLE, dmapi_create_by_handle_arg, name, name),
	F(CREATE_BY_HANDLE, dmapi_create_by_handle_arg, target, name),
	F(CREATE_BY_HANDLE, dmapi_create_by_handle_arg, type, small),
	F(GET_BULKATTR, dmapi_scan_arg, hanp, fshanp),
	F(GET_BULKATTR, dmapi_scan_arg, hlen, hlen),
	F(GET_BULKATTR, dmapi_scan_arg, mask, small),
	F(GET_BULKATTR, dmapi_scan_arg, loc, small),
	F(GET_BULKATTR, dmapi_scan_arg, buf.ptr, buf),
	F(GET_BULKATTR, dmapi_scan_arg, buf.len, len),
	F(GET_BULKATTR, dmapi_scan_arg, flags, small),
	F(GET_BULKATTR, dmapi_scan_arg, attrname, name),
};
#undef F

/*
 * Fill the fields of @cmd that kFields knows with likely values; a handle
 * and its length are drawn together.
 */
void fill_known(World &w, std::mt19937_64 &rng, unsigned int slot, unsigned long cmd,
		unsigned char *arg)
{
	static const std::uint32_t small_values[] = {0, 1, 2, 3, 4, 8, 16, 0100000, 040000, 0120000};
	std::uint64_t hlen = 0;

	for (const Field &f : kFields) {
		if (f.cmd != cmd || rng() % 8 == 0)
			continue;	/* sometimes left as it was */
		unsigned char *to = arg + f.offset;
		std::int32_t v32;
		std::uint64_t v64;
		switch (f.kind) {
		case Kind::sid:
			v32 = w.any_sid(rng);
			std::memcpy(to, &v32, 4);
			break;
		case Kind::token:
			v32 = w.any_pair(rng).second;
			std::memcpy(to, &v32, 4);
			break;
		case Kind::hanp:
			v64 = w.any_handle(rng, slot + 32 * (f.offset / 8 % 4), &hlen);
			std::memcpy(to, &v64, 8);
			break;
		case Kind::fshanp:
		case Kind::dirhanp:
		case Kind::filehanp:
			v64 = w.named_handle(rng,
					     f.kind == Kind::fshanp ? World::fs_handle :
					     f.kind == Kind::dirhanp ? World::dir_handle :
								      World::file_handle,
					     slot + 32 * (f.offset / 8 % 4), &hlen);
			std::memcpy(to, &v64, 8);
			break;
		case Kind::hlen:
			std::memcpy(to, &hlen, 8);
			break;
		case Kind::maxevent:
			v32 = rng() % 4 ? DM_EVENT_MAX : static_cast<std::int32_t>(rng() % 40);
			std::memcpy(to, &v32, 4);
			break;
		case Kind::buf:
			v64 = reinterpret_cast<std::uintptr_t>(w.scratch() + 8 * (rng() % 8192));
			std::memcpy(to, &v64, 8);
			break;
		case Kind::len:
			v64 = rng() % 2 ? rng() % 8192 : 65536;
			std::memcpy(to, &v64, 8);
			break;
		case Kind::result:	/* none (an older library's), or room for it */
			v64 = rng() % 2 ? 0 : reinterpret_cast<std::uintptr_t>(w.scratch() + 8 * (rng() % 8192));
			std::memcpy(to, &v64, 8);
			break;
		case Kind::name:	/* a short name, or the address of one */
			if (f.offset % 8 == 0 && cmd == DMAPI_IOC_CREATE_BY_HANDLE) {
				unsigned char *name = w.scratch() + kScratchSize - 4096 + 64 * (slot % 32);
				std::snprintf(reinterpret_cast<char *>(name), 64, "n%u",
					      static_cast<unsigned int>(rng() % 16));
				v64 = reinterpret_cast<std::uintptr_t>(name);
				std::memcpy(to, &v64, 8);
			} else {
				std::memset(to, 0, DMAPI_ATTR_NAME_SIZE);
				to[0] = static_cast<unsigned char>('a' + rng() % 4);
			}
			break;
		case Kind::small:
			v32 = static_cast<std::int32_t>(small_values[rng() % std::size(small_values)]);
			std::memcpy(to, &v32, 4);
			break;
		case Kind::eventset:	/* any events, or one */
			v64 = rng() % 2 ? rng() & ((1ULL << DM_EVENT_MAX) - 1)
					: 1ULL << (rng() % DM_EVENT_MAX);
			std::memcpy(to, &v64, 8);
			break;
		case Kind::fd:
			v32 = w.any_fd(rng);
			std::memcpy(to, &v32, 4);
			break;
		}
	}
}

/*
 * A rights call on a right that a request got: its session, token and
 * handle, as the calls' common prefix.
 */
void fill_held(World &w, std::mt19937_64 &rng, unsigned int slot, unsigned char *arg)
{
	World::Held held;

	if (!w.any_held(rng, &held))
		return;
	unsigned char *to = w.handle_slot(slot);
	std::copy(held.handle.begin(), held.handle.end(), to);
	std::uint64_t hanp = reinterpret_cast<std::uintptr_t>(to);
	std::uint64_t hlen = held.handle.size();
	std::memcpy(arg, &held.sid, 4);
	std::memcpy(arg + 4, &held.token, 4);
	std::memcpy(arg + 8, &hanp, 8);
	std::memcpy(arg + 16, &hlen, 8);
}

/* Fill @arg, of @size bytes, for one call. */
void fill(World &w, std::mt19937_64 &rng, unsigned int slot, unsigned long cmd,
	  unsigned char *arg, std::size_t size)
{
	std::size_t i = 0;

	for (; i + 8 <= size; i += 8) {
		std::uint64_t v = word(w, rng, slot);
		std::memcpy(arg + i, &v, 8);
	}
	for (; i < size; i++)
		arg[i] = static_cast<unsigned char>(rng());
	/*
	 * Half the calls: a live session, a token or none, then a handle and
	 * its length, the prefix most calls share; the rest stays random.
	 */
	if (size >= 24 && rng() % 2) {
		for (i = 24; i + 8 <= size; i += 8)
			if (rng() % 4) {
				std::uint64_t v = plausible_word(w, rng);
				std::memcpy(arg + i, &v, 8);
			}
		auto [sid, token] = w.any_pair(rng);
		if (rng() % 2)
			token = DM_NO_TOKEN;
		std::uint64_t hlen;
		std::uint64_t hanp = w.any_handle(rng, slot, &hlen);
		std::memcpy(arg, &sid, 4);
		std::memcpy(arg + 4, &token, 4);
		std::memcpy(arg + 8, &hanp, 8);
		std::memcpy(arg + 16, &hlen, 8);
	}
	if (rng() % 4)
		fill_known(w, rng, slot, cmd, arg);
	if ((cmd == DMAPI_IOC_RELEASE_RIGHT || cmd == DMAPI_IOC_UPGRADE_RIGHT ||
	     cmd == DMAPI_IOC_DOWNGRADE_RIGHT || cmd == DMAPI_IOC_QUERY_RIGHT) &&
	    rng() % 4)
		fill_held(w, rng, slot, arg);
}

/*
 * Whether the call reads listed field @f of its argument @arg after all:
 * a bulk scan reads its attrname when it asks for a DM attribute.
 */
bool read_after_all(const dmtest::ReservedField &f, unsigned long cmd, const unsigned char *arg)
{
	if (cmd != DMAPI_IOC_GET_BULKATTR)
		return false;
	std::uint32_t flags;
	std::memcpy(&flags, arg + offsetof(dmapi_scan_arg, flags), sizeof(flags));
	return (flags & DMAPI_SCAN_DMATTR) && f.offset >= offsetof(dmapi_scan_arg, attrname) &&
	       f.offset < offsetof(dmapi_scan_arg, attrname) + DMAPI_ATTR_NAME_SIZE;
}

/*
 * Zero the padding, reserved and unread fields of @cmd's argument @arg,
 * except in one call in eight, which keeps what fill() put there:
 * whether any of them is set.
 */
bool clear_reserved(std::mt19937_64 &rng, unsigned long cmd, unsigned char *arg)
{
	bool keep = rng() % 8 == 0;
	bool set = false;

	for (const dmtest::ReservedField &f : dmtest::kReservedFields) {
		if (f.cmd != cmd || read_after_all(f, cmd, arg))
			continue;
		if (!keep)
			std::memset(arg + f.offset, 0, f.size);
		else if (std::any_of(arg + f.offset, arg + f.offset + f.size,
				     [](unsigned char c) { return c != 0; }))
			set = true;
	}
	return set;
}

/* What a fuzzing thread is doing, for the watchdog. */
struct Slot {
	std::atomic<std::int64_t> since_ns{0};	/* 0: not in a call */
	std::atomic<int> ioctl{-1};
	pthread_t thread{};
	std::atomic<pid_t> tid{0};
};

/* The child that touches files (touch_files()), killed when the run ends. */
std::atomic<pid_t> toucher{0};

/* The threads beside the calls, for the report of one that does not end. */
std::atomic<pid_t> churner_tid{0}, responder_tid{0};
std::atomic<bool> churner_ended{false}, responder_ended{false};

/* Where a stuck thread is in the kernel, for the report. */
void print_kernel_stack(pid_t tid)
{
	std::string path = "/proc/self/task/" + std::to_string(tid) + "/stack";
	std::FILE *f = std::fopen(path.c_str(), "r");
	if (!f)
		return;
	char line[256];
	std::fprintf(stderr, "dmapi-fuzz: its kernel stack:\n");
	while (std::fgets(line, sizeof(line), f))
		std::fprintf(stderr, "  %s", line);
	std::fclose(f);
}

std::int64_t now_ns()
{
	return std::chrono::duration_cast<std::chrono::nanoseconds>(
		std::chrono::steady_clock::now().time_since_epoch()).count();
}

/* One request of the netlink family, counted after the ioctls. */
void genl_call(World &w, Slot &slot, dmfuzz::GenlFuzzer &genl, std::mt19937_64 &rng)
{
	int cmd = static_cast<int>(rng() % dmfuzz::GenlFuzzer::commands());
	slot.ioctl = static_cast<int>(kIoctls.size()) + cmd;
	slot.since_ns = now_ns();
	int err = genl.call(rng, cmd, w.any_raw_handle(rng));
	slot.since_ns = 0;
	w.count(kIoctls.size() + cmd, err);
}

bool known_ioctl(unsigned long cmd)
{
	return std::any_of(kIoctls.begin(), kIoctls.end(),
			   [cmd](const Ioctl &i) { return i.cmd == cmd; });
}

/*
 * A call the module must refuse before it looks at the arguments: one
 * whose argument block cannot be read or written (EFAULT), or a number
 * of the device's type that names no call, or names one with another
 * size or direction (ENOTTY).  Any other answer is a finding.
 */
void malformed_call(World &w, Slot &slot, std::mt19937_64 &rng)
{
	std::size_t which = rng() % kIoctls.size();
	unsigned long cmd = kIoctls[which].cmd;
	unsigned long arg = reinterpret_cast<std::uintptr_t>(w.scratch());
	int want = ENOTTY;

	switch (rng() % 4) {
	case 0: {
		const unsigned long unreadable[] = {
			0, reinterpret_cast<std::uintptr_t>(w.scratch() + kScratchSize),
			kKernelAddress, ~0UL,
		};
		arg = unreadable[rng() % std::size(unreadable)];
		want = EFAULT;
		break;
	}
	case 1:		/* another size */
		cmd = (cmd & ~(static_cast<unsigned long>(_IOC_SIZEMASK) << _IOC_SIZESHIFT)) |
		      ((rng() & _IOC_SIZEMASK) << _IOC_SIZESHIFT);
		break;
	case 2:		/* another direction */
		cmd ^= static_cast<unsigned long>(1 + rng() % 3) << _IOC_DIRSHIFT;
		break;
	default:	/* any number of the device's type */
		cmd = _IOC(rng() % 4, DMAPI_IOC_MAGIC, rng() % 256, rng() & _IOC_SIZEMASK);
		break;
	}
	if (want == ENOTTY && known_ioctl(cmd))
		return;
	slot.ioctl = static_cast<int>(which);
	slot.since_ns = now_ns();
	int err = ioctl(w.dev(), cmd, arg) < 0 ? errno : 0;
	slot.since_ns = 0;
	w.count_malformed(err == want);
	if (err != want)
		std::fprintf(stderr, "dmapi-fuzz: ioctl %#lx (%s, argument %#lx) answered %s, not %s\n",
			     cmd, kIoctls[which].name, arg, err ? strerrorname_np(err) : "0",
			     strerrorname_np(want));
}

void fuzz_thread(World &w, Slot &slot, unsigned int index, std::uint64_t seed,
		 std::uint64_t calls, std::atomic<bool> &stop, bool trace)
{
	std::mt19937_64 rng(seed * 1000003 + index);
	alignas(8) unsigned char arg[1 << _IOC_SIZEBITS];
	slot.tid = gettid();

	/* With --trace, each call is marked in the kernel's trace too. */
	static const int marker = trace ? open("/sys/kernel/tracing/trace_marker",
					       O_WRONLY | O_CLOEXEC) : -1;

	dmfuzz::GenlFuzzer genl(w.genl_pool());

	for (std::uint64_t n = 0; (!calls || n < calls) && !stop; n++) {
		if (genl.ok() && rng() % 8 == 0) {
			genl_call(w, slot, genl, rng);
			continue;
		}
		if (rng() % 16 == 0) {
			malformed_call(w, slot, rng);
			continue;
		}
		std::size_t which = rng() % kIoctls.size();
		std::size_t size = _IOC_SIZE(kIoctls[which].cmd);
		fill(w, rng, index, kIoctls[which].cmd, arg, size);
		bool reserved_set = clear_reserved(rng, kIoctls[which].cmd, arg);
		if (marker >= 0)
			dprintf(marker, "fuzz thread %u call %llu: %s\n", index,
				static_cast<unsigned long long>(n), kIoctls[which].name);
		slot.ioctl = static_cast<int>(which);
		slot.since_ns = now_ns();
		long ret = ioctl(w.dev(), kIoctls[which].cmd, arg);
		int err = ret < 0 ? errno : 0;
		if (trace)	/* CLOCK_MONOTONIC, as trace_clock "mono" */
			std::fprintf(stderr, "%.6f thread %u call %llu: %s = %s\n",
				     slot.since_ns / 1e9, index,
				     static_cast<unsigned long long>(n),
				     kIoctls[which].name,
				     err ? std::strerror(err) : "0");
		slot.since_ns = 0;
		w.count(which, err);
		if (reserved_set) {
			w.count_malformed(err == EINVAL);
			if (err != EINVAL)
				std::fprintf(stderr, "dmapi-fuzz: %s with a reserved field set answered %s, not EINVAL\n",
					     kIoctls[which].name, err ? strerrorname_np(err) : "0");
		}
		/* The descriptor comes back in the argument, not as the result. */
		if (ret == 0 && kIoctls[which].cmd == DMAPI_IOC_OPEN_BY_HANDLE) {
			std::int32_t fd;
			std::memcpy(&fd, arg + offsetof(dmapi_open_by_handle_arg, fd), sizeof(fd));
			if (fd > 2)
				close(fd);
		}
		if (ret < 0)
			continue;
		/* Learn what the call made. */
		std::int32_t v;
		switch (kIoctls[which].cmd) {
		case DMAPI_IOC_CREATE_SESSION:
			std::memcpy(&v, arg + 4, 4);
			w.add_sid(v);
			break;
		case DMAPI_IOC_CREATE_USEREVENT: {
			std::int32_t sid;
			std::memcpy(&sid, arg, 4);
			std::memcpy(&v, arg + 4, 4);
			w.add_token(v, sid);
			break;
		}
		case DMAPI_IOC_REQUEST_RIGHT: {
			dmapi_right_arg ra;
			std::memcpy(&ra, arg, sizeof(ra));
			auto *h = reinterpret_cast<const unsigned char *>(
				static_cast<std::uintptr_t>(ra.hanp));
			if (ra.hlen && ra.hlen <= 256)
				w.add_held({ra.sid, ra.token,
					    std::vector<unsigned char>(h, h + ra.hlen)});
			break;
		}
		case DMAPI_IOC_GETALL_TOKENS: {
			dmapi_getall_arg ga;
			std::memcpy(&ga, arg, sizeof(ga));
			auto *p = reinterpret_cast<unsigned char *>(static_cast<std::uintptr_t>(ga.buf));
			if (p < w.scratch() || p + 4 * std::min(ga.nelem_out, 8U) > w.scratch() + kScratchSize)
				break;
			for (unsigned int t = 0; t < std::min(ga.nelem_out, 8U); t++) {
				std::memcpy(&v, p + 4 * t, 4);
				w.add_token(v, ga.sid);
			}
			break;
		}
		default:
			break;
		}
	}
}

/*
 * Interrupt calls that wait for more than a second; report one still
 * blocked after ten.
 */
void watchdog(std::vector<Slot> &slots, std::atomic<bool> &done, std::atomic<bool> &stuck)
{
	while (!done) {
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
		for (auto &s : slots) {
			std::int64_t since = s.since_ns;
			if (!since)
				continue;
			auto waited = std::chrono::nanoseconds(now_ns() - since);
			if (waited > kStuckAfter) {
				std::fprintf(stderr, "dmapi-fuzz: %s blocked for %lld s despite signals\n",
					     call_name(s.ioctl).c_str(),
					     static_cast<long long>(waited.count() / 1000000000));
				print_kernel_stack(s.tid);
				/* Joining its thread would hang: give up here. */
				stuck = true;
				std::fflush(stderr);
				if (toucher)
					kill(toucher, SIGKILL);
				std::_Exit(1);
			}
			if (waited > kInterruptAfter)
				pthread_kill(s.thread, SIGUSR1);
		}
	}
}

/*
 * The child: keeps reading, writing, truncating, chmodding, creating and
 * removing files of the mount, so that the module has events, tokens and waiters.
 * Any of its accesses may wait for an answer the fuzzer never gives; it
 * is killed at the end, which is a test of its own.
 */
[[noreturn]] void touch_files(const std::string &dir, std::uint64_t seed)
{
	std::mt19937_64 rng(seed);
	char buf[8192];

	for (;;) {
		std::string path = dir + "/f" + std::to_string(rng() % 8);
		int fd = open(path.c_str(), O_RDWR | O_CREAT, 0644);
		if (fd >= 0) {
			switch (rng() % 5) {
			case 0:
				(void)!pread(fd, buf, sizeof(buf), rng() % 65536);
				break;
			case 1:
				(void)!pwrite(fd, buf, rng() % sizeof(buf), rng() % 65536);
				break;
			case 2:
				(void)!ftruncate(fd, rng() % 65536);
				break;
			case 3:
				/* Waits for the rights on the file, as a write does. */
				(void)!fchmod(fd, rng() % 2 ? 0644 : 0600);
				break;
			default:
				break;
			}
			close(fd);
		}
		if (rng() % 16 == 0)
			unlink(path.c_str());
		if (rng() % 16 == 0) {
			std::string to = dir + "/f" + std::to_string(rng() % 8);
			rename(path.c_str(), to.c_str());
		}
	}
}

/* Handles of the mount, its tree and the global handle, for the dictionary. */
void seed_handles(World &w, const std::string &dir)
{
	void *h;
	std::size_t len;

	if (dm_path_to_fshandle(const_cast<char *>(w.mnt().c_str()), &h, &len) == 0) {
		w.add_handle(h, len);
		dm_handle_free(h, len);
	}
	for (const std::string &p : {w.mnt(), dir, dir + "/f0", dir + "/f1", dir + "/f2"}) {
		if (dm_path_to_handle(const_cast<char *>(p.c_str()), &h, &len) == 0) {
			w.add_handle(h, len);
			dm_handle_free(h, len);
		}
		int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			w.add_fd(fd);
	}
	/* A file the child never touches, whose handle stays valid. */
	std::string kept = w.mnt() + "/fuzz-kept";
	close(open(kept.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	if (dm_path_to_handle(const_cast<char *>(kept.c_str()), &h, &len) == 0) {
		w.set_kept_handle(h, len);
		dm_handle_free(h, len);
	}
}

std::vector<dm_sessid_t> all_sessions()
{
	std::vector<dm_sessid_t> sids(65536);
	u_int n = 0;

	if (dm_getall_sessions(sids.size(), sids.data(), &n))
		die("dm_getall_sessions");
	sids.resize(n);
	return sids;
}

/* A token outstanding on a session. */
using Outstanding = std::pair<dm_sessid_t, dm_token_t>;
/* Whether to answer a token now. */
using AnswerIf = std::function<bool(const Outstanding &)>;

/*
 * Receives what is queued on @sid and answers CONTINUE to every token
 * outstanding on it, as a DM application going away does; with @answer_if,
 * only those it chooses.
 */
unsigned int answer_all(dm_sessid_t sid, std::vector<char> &buf, std::vector<dm_token_t> &tokens,
			const AnswerIf &answer_if = nullptr)
{
	unsigned int answered = 0;

	/* Messages still queued become outstanding once received. */
	std::size_t rlen = 0;
	while (dm_get_events(sid, 0, 0, buf.size(), buf.data(), &rlen) == 0 ||
	       (errno == E2BIG && rlen > buf.size() && (buf.resize(rlen), true)))
		;
	u_int nt = 0;
	if (dm_getall_tokens(sid, tokens.size(), tokens.data(), &nt) != 0)
		return 0;
	for (u_int t = 0; t < nt; t++)
		if (!answer_if || answer_if({sid, tokens[t]}))
			answered += !dm_respond_event(sid, tokens[t], DM_RESP_CONTINUE, 0, 0,
						      nullptr);
	return answered;
}

/*
 * Answers the events outstanding on the sessions made since @before (those
 * @answer_if chooses, if given).  The calls may have told a process
 * waiting for one of them to wait a long time (dm_pending() with a large
 * delay): once the calls are over, nobody else would answer.
 */
unsigned int answer_outstanding(const std::vector<dm_sessid_t> &before,
				const AnswerIf &answer_if = nullptr)
{
	std::vector<dm_token_t> tokens(65536);
	std::vector<char> buf(1 << 16);
	unsigned int answered = 0;

	for (dm_sessid_t sid : all_sessions())
		if (std::find(before.begin(), before.end(), sid) == before.end())
			answered += answer_all(sid, buf, tokens, answer_if);
	return answered;
}

/*
 * Leave nothing: answer every outstanding token of every session but
 * those that were there before the run, and destroy them.  Returns how
 * many sessions could not be destroyed.
 */
int clean_up(const std::vector<dm_sessid_t> &before)
{
	std::vector<dm_sessid_t> sids = all_sessions();
	std::vector<dm_token_t> tokens(65536);
	std::vector<char> buf(1 << 16);
	int left = 0;

	for (dm_sessid_t sid : sids) {
		if (std::find(before.begin(), before.end(), sid) != before.end())
			continue;
		int err = 0;
		/* A session may get more messages meanwhile: try a few times. */
		for (int attempt = 0; attempt < 10; attempt++) {
			answer_all(sid, buf, tokens);
			if (dm_destroy_session(sid) == 0) {
				err = 0;
				break;
			}
			err = errno;
			if (err != EBUSY)
				break;
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
		if (err) {
			u_int nt = 0;
			dm_getall_tokens(sid, tokens.size(), tokens.data(), &nt);
			std::fprintf(stderr, "dmapi-fuzz: session %d left: %s; %u tokens outstanding\n",
				     sid, std::strerror(err), nt);
			left++;
		}
	}
	return left;
}

/*
 * A new session that takes every data and namespace event of the mount
 * at @mnt, or, with @sid, that session again; DM_NO_SESSION when none can
 * be made now (the fuzzer's sessions may be at max_sessions).
 */
dm_sessid_t responder_session(const std::string &mnt, dm_sessid_t sid = DM_NO_SESSION)
{
	if (sid == DM_NO_SESSION &&
	    dm_create_session(DM_NO_SESSION, const_cast<char *>("dmapi-fuzz"), &sid))
		return DM_NO_SESSION;
	void *fsh;
	std::size_t fslen;
	if (dm_path_to_fshandle(const_cast<char *>(mnt.c_str()), &fsh, &fslen))
		return sid;
	dm_eventset_t set = 0;
	for (auto e : {DM_EVENT_READ, DM_EVENT_WRITE, DM_EVENT_TRUNCATE, DM_EVENT_CREATE,
		       DM_EVENT_REMOVE, DM_EVENT_RENAME, DM_EVENT_POSTCREATE,
		       DM_EVENT_ATTRIBUTE, DM_EVENT_CLOSE, DM_EVENT_DESTROY})
		DMEV_SET(e, set);
	/* The fuzzer's calls may have taken them meanwhile: no failure here. */
	dm_eventset_t mount = 0;
	DMEV_SET(DM_EVENT_MOUNT, mount);
	(void)dm_set_disp(sid, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &mount, DM_EVENT_MAX);
	(void)dm_set_disp(sid, fsh, fslen, DM_NO_TOKEN, &set, DM_EVENT_MAX);
	(void)dm_set_eventlist(sid, fsh, fslen, DM_NO_TOKEN, &set, DM_EVENT_MAX);
	dm_handle_free(fsh, fslen);
	return sid;
}

/* What the responder did, for the report. */
struct Responded {
	std::atomic<std::uint64_t> answered{0};
	std::atomic<std::uint64_t> sessions{1};
	std::atomic<std::uint64_t> swept{0};
};

/*
 * A DM application's part: receive the events of @sid and answer them,
 * mostly CONTINUE, sometimes ABORT, so that the child's accesses go on.
 * The fuzzer's calls destroy its session now and then, and give its
 * dispositions to others: it makes a new one, and takes them back four
 * times a second, so that events keep coming for the whole run.  It also
 * answers what has been outstanding for 3 s on the calls' sessions (those
 * not in @before): a call that took a MOUNT event and asked for more time
 * (dm_pending()) would otherwise hold the churner's mount for the rest of
 * the run.  Longer than the guest run's event_timeout, so that waits
 * nobody asked more time for still time out as they would.
 */
void respond_loop(World &w, const std::string &mnt, dm_sessid_t sid,
		  const std::vector<dm_sessid_t> &before, std::uint64_t seed,
		  std::atomic<bool> &stop, Responded &done)
{
	responder_tid = gettid();
	struct Ended {
		~Ended() { responder_ended = true; }
	} ended;
	std::mt19937_64 rng(seed ^ 0x5eed);
	std::vector<char> buf(1 << 16);
	std::size_t rlen;
	auto taken = std::chrono::steady_clock::now(), swept = taken;
	std::map<Outstanding, std::chrono::steady_clock::time_point> since;

	while (!stop) {
		/* Even without a session of its own, when the calls have them all. */
		auto now = std::chrono::steady_clock::now();
		if (now - swept > std::chrono::milliseconds(500)) {
			std::map<Outstanding, std::chrono::steady_clock::time_point> still;
			done.swept += answer_outstanding(before, [&](const Outstanding &t) {
				auto first = since.count(t) ? since[t] : now;
				if (now - first >= std::chrono::seconds(3))
					return true;
				still[t] = first;
				return false;
			});
			since.swap(still);
			swept = now;
		}
		if (sid == DM_NO_SESSION) {
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
			sid = responder_session(mnt);
			if (sid != DM_NO_SESSION) {
				w.add_sid(sid);
				done.sessions++;
				taken = std::chrono::steady_clock::now();
			}
			continue;
		}
		if (std::chrono::steady_clock::now() - taken > std::chrono::milliseconds(250)) {
			responder_session(mnt, sid);
			taken = std::chrono::steady_clock::now();
		}
		if (dm_get_events(sid, 0, 0, buf.size(), buf.data(), &rlen)) {
			if (errno == EINVAL)	/* the fuzzer destroyed it */
				sid = DM_NO_SESSION;
			else if (errno == E2BIG && rlen > buf.size())
				buf.resize(rlen);
			else
				std::this_thread::sleep_for(std::chrono::milliseconds(20));
			continue;
		}
		for (auto *m = reinterpret_cast<dm_eventmsg_t *>(buf.data()); m;
		     m = DM_STEP_TO_NEXT(m, dm_eventmsg_t *)) {
			if (m->ev_token == DM_INVALID_TOKEN)
				continue;
			/* Now and then an answer the module refuses (EINVAL) first. */
			unsigned int r = rng() % 16;
			if (r == 0)
				(void)dm_respond_event(sid, m->ev_token, DM_RESP_CONTINUE, EIO, 0,
						       nullptr);
			bool abort = r < 3;
			if (!dm_respond_event(sid, m->ev_token,
					      abort ? DM_RESP_ABORT : DM_RESP_CONTINUE,
					      abort ? EIO : 0, 0, nullptr))
				done.answered++;
		}
	}
}

/*
 * A second dmapi filesystem, mounted and unmounted over and over under
 * @dir while the calls run (its MOUNT events answered by the responder),
 * its handles given to them: calls on a filesystem that comes and goes.
 */
void churn_loop(World &w, const std::string &dir, std::uint64_t seed, std::atomic<bool> &stop,
		std::atomic<std::uint64_t> &mounts)
{
	churner_tid = gettid();
	struct Ended {
		~Ended() { churner_ended = true; }
	} ended;
	std::mt19937_64 rng(seed ^ 0xc4c4);
	std::string lower = dir + "/lower", mnt = dir + "/mnt", opts = "mtpt=" + mnt;
	mkdir(dir.c_str(), 0755);
	mkdir(lower.c_str(), 0755);
	mkdir(mnt.c_str(), 0755);
	close(open((lower + "/f").c_str(), O_CREAT | O_WRONLY, 0644));
	while (!stop) {
		if (mount(lower.c_str(), mnt.c_str(), "dmapi", 0, opts.c_str()) != 0) {
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
			continue;
		}
		mounts++;
		for (const char *rel : {"", "/f"}) {
			std::string path = mnt + rel;
			void *h;
			std::size_t len;
			if ((*rel ? dm_path_to_handle : dm_path_to_fshandle)(
				    const_cast<char *>(path.c_str()), &h, &len) == 0) {
				w.add_handle(h, len);
				dm_handle_free(h, len);
			}
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 50));
		/* Busy with a descriptor OPEN_BY_HANDLE made: detached then. */
		if (umount(mnt.c_str()) != 0)
			umount2(mnt.c_str(), MNT_DETACH);
	}
}

void on_sigusr1(int) {}

void usage(FILE *to)
{
	std::fprintf(to, "Usage: dmapi-fuzz [--seed N] [--threads N] [--seconds S | --calls N] [-v] [--trace]\n"
			 "                  [--churn DIR] MOUNTPOINT\n"
			 "       dmapi-fuzz --help\n");
}

} // namespace

int main(int argc, char **argv)
{
	std::uint64_t seed = static_cast<std::uint64_t>(time(nullptr));
	unsigned int nthreads = 4;
	std::uint64_t calls = 0;
	double seconds = 10;
	bool verbose = false, trace = false;
	std::string mnt, churn;

	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		auto value = [&]() -> std::string {
			if (i + 1 >= argc) {
				usage(stderr);
				std::exit(2);
			}
			return argv[++i];
		};
		try {
			if (a == "--help") {
				usage(stdout);
				return 0;
			} else if (a == "--seed") {
				seed = std::stoull(value());
			} else if (a == "--threads") {
				nthreads = std::max(1UL, std::stoul(value()));
			} else if (a == "--seconds") {
				seconds = std::stod(value());
			} else if (a == "--calls") {
				calls = std::stoull(value());
			} else if (a == "-v") {
				verbose = true;
			} else if (a == "--trace") {
				trace = true;
			} else if (a == "--churn") {
				churn = value();
			} else if (a[0] != '-' && mnt.empty()) {
				mnt = a;
			} else {
				usage(stderr);
				return 2;
			}
		} catch (const std::exception &) {
			usage(stderr);
			return 2;
		}
	}
	if (mnt.empty()) {
		usage(stderr);
		return 2;
	}
	char *version;
	if (dm_init_service(&version))
		die("dm_init_service");

	struct sigaction sa = {};
	sa.sa_handler = on_sigusr1;	/* no SA_RESTART: waits end with EINTR */
	sigaction(SIGUSR1, &sa, nullptr);

	std::string dir = mnt + "/fuzz";
	mkdir(dir.c_str(), 0755);
	for (int i = 0; i < 8; i++)
		close(open((dir + "/f" + std::to_string(i)).c_str(), O_CREAT | O_WRONLY, 0644));

	std::vector<dm_sessid_t> before = all_sessions();
	World w(mnt);
	seed_handles(w, dir);
	/* A session that takes every data and namespace event of the mount. */
	dm_sessid_t hsm = responder_session(mnt);
	if (hsm == DM_NO_SESSION)
		die("dm_create_session");
	w.add_sid(hsm);
	w.add_sid(-1);
	w.add_sid(0x7fffffff);

	std::printf("dmapi-fuzz: %zu-bit, seed %llu, %u threads, %s\n",
		    8 * sizeof(long), static_cast<unsigned long long>(seed), nthreads,
		    calls ? (std::to_string(calls) + " calls each").c_str()
			  : (std::to_string(seconds) + " s").c_str());
	std::fflush(stdout);

	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		touch_files(dir, seed);
	toucher = child;

	std::atomic<bool> stop{false}, done{false}, stuck{false};
	std::vector<Slot> slots(nthreads);
	std::vector<std::thread> threads;
	for (unsigned int i = 0; i < nthreads; i++) {
		threads.emplace_back(fuzz_thread, std::ref(w), std::ref(slots[i]), i, seed,
				     calls, std::ref(stop), trace);
		slots[i].thread = threads.back().native_handle();
	}
	std::thread dog(watchdog, std::ref(slots), std::ref(done), std::ref(stuck));
	Responded responded;
	std::thread responder(respond_loop, std::ref(w), std::cref(mnt), hsm, std::cref(before),
			      seed, std::ref(stop), std::ref(responded));
	std::atomic<std::uint64_t> mounts{0};
	std::thread churner;
	if (!churn.empty())
		churner = std::thread(churn_loop, std::ref(w), std::cref(churn), seed, std::ref(stop),
				      std::ref(mounts));
	if (!calls) {
		auto end = std::chrono::steady_clock::now() +
			   std::chrono::duration<double>(seconds);
		while (!stop && std::chrono::steady_clock::now() < end)
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
		stop = true;
	}
	for (auto &t : threads)
		t.join();
	stop = true;
	done = true;
	dog.join();
	/*
	 * The churner before the responder: a mount may wait for its MOUNT
	 * answer, which the calls' sessions, not the responder's, may hold,
	 * so answer theirs meanwhile.  Neither may take long: one that does
	 * is a finding, with where it is in the kernel.
	 */
	std::uint64_t answered_after = 0;
	for (std::thread *t : {&churner, &responder}) {
		if (!t->joinable())
			continue;
		pid_t tid = t == &churner ? churner_tid.load() : responder_tid.load();
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
		while (!(t == &churner ? churner_ended : responder_ended) &&
		       std::chrono::steady_clock::now() < deadline) {
			answered_after += answer_outstanding(before);
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
		}
		if (!(t == &churner ? churner_ended : responder_ended)) {
			std::fprintf(stderr, "dmapi-fuzz: the %s did not end within 30 s\n",
				     t == &churner ? "churner" : "responder");
			print_kernel_stack(tid);
			std::fflush(stderr);
			kill(child, SIGKILL);
			std::_Exit(1);
		}
		t->join();
	}

	/* The child may wait for an answer nobody gives: it must still die. */
	kill(child, SIGKILL);
	int status;
	bool reaped = waitpid(child, &status, 0) == child;

	std::uint64_t total = 0, ok = 0;
	std::map<int, std::uint64_t> errors;
	for (const auto &[which, by_err] : w.calls())
		for (const auto &[err, n] : by_err) {
			total += n;
			if (err)
				errors[err] += n;
			else
				ok += n;
		}
	int left = clean_up(before);
	std::printf("dmapi-fuzz: %llu calls, %llu succeeded; errno:",
		    static_cast<unsigned long long>(total), static_cast<unsigned long long>(ok));
	for (const auto &[err, n] : errors)
		std::printf(" %s %llu", strerrorname_np(err) ? strerrorname_np(err) : "?",
			    static_cast<unsigned long long>(n));
	std::printf("\n");
	std::printf("dmapi-fuzz: %llu events answered, by %llu responder sessions; %llu mounts\n",
		    static_cast<unsigned long long>(responded.answered.load()),
		    static_cast<unsigned long long>(responded.sessions.load()),
		    static_cast<unsigned long long>(mounts.load()));
	std::printf("dmapi-fuzz: %llu events left outstanding by the calls, answered during them, %llu after\n",
		    static_cast<unsigned long long>(responded.swept.load()),
		    static_cast<unsigned long long>(answered_after));
	if (verbose) {
		for (const auto &[which, by_err] : w.calls()) {
			std::uint64_t n = 0, succeeded = 0;
			for (const auto &[err, count] : by_err) {
				n += count;
				succeeded += err ? 0 : count;
			}
			std::printf("  %-22s %8llu calls %8llu succeeded", call_name(which).c_str(),
				    static_cast<unsigned long long>(n),
				    static_cast<unsigned long long>(succeeded));
			/* What stops the calls that never get through. */
			if (!succeeded)
				for (const auto &[err, count] : by_err)
					std::printf(" %s %llu",
						    strerrorname_np(err) ? strerrorname_np(err) : "?",
						    static_cast<unsigned long long>(count));
			std::printf("\n");
		}
	}
	std::printf("dmapi-fuzz: %llu malformed calls (unreadable, unknown, or with a reserved field set), %llu not refused as they should be\n",
		    static_cast<unsigned long long>(w.malformed()),
		    static_cast<unsigned long long>(w.misrefused()));
	if (w.misrefused())
		std::printf("dmapi-fuzz: FAILED: malformed calls were not refused\n");
	if (stuck)
		std::printf("dmapi-fuzz: FAILED: a call could not be interrupted\n");
	if (!reaped)
		std::printf("dmapi-fuzz: FAILED: the file-touching child could not be reaped\n");
	if (left)
		std::printf("dmapi-fuzz: FAILED: %d sessions could not be destroyed\n", left);
	return stuck || !reaped || left || w.misrefused() ? 1 : 0;
}
