// SPDX-License-Identifier: GPL-2.0
//
// The library's side of the protocol, against a fake module: this binary
// defines ioctl(), which takes precedence over libc's for libdmapi, and
// answers the requests of <xdsm/dmapi_ioctl.h> itself.  The device is
// /dev/null, which opens for anyone.  What the real module does with the
// requests is tested in the VM (tests/vm).
#include <xdsm/dmapi.h>
#include <xdsm/dmapi.hpp>
#include <xdsm/dmapi_ioctl.h>

#include "kernel_calls.h"

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <functional>
#include <gtest/gtest.h>
#include <initializer_list>
#include <string>
#include <thread>
#include <chrono>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct FakeModule {
	std::uint32_t major = DMAPI_KERNEL_VERSION;
	std::uint32_t minor = DMAPI_KERNEL_MINOR_VERSION;
	// Answers one request: 0, or the errno to fail with.
	std::function<int(unsigned long request, void *arg)> answer;
	std::vector<unsigned long> requests;
	int last_fd = -1;	// of the last request the device answered
	int foreign_errno = ENOTTY;	// what any other file answers
};

FakeModule fake;

// Installs the answer to one request, with the argument struct typed.
template <unsigned long Request, typename Arg, typename F>
void on(F handler)
{
	static_assert(_IOC_SIZE(Request) == sizeof(Arg));
	fake.answer = [handler](unsigned long request, void *arg) {
		if (request != Request)
			return ENOTTY;
		return handler(*static_cast<Arg *>(arg));
	};
}

// Stores at @addr, as the module does from protocol 1.11, what the
// argument struct returns: the library leaves the store to it then.
template <typename T>
void store_at(std::uint64_t addr, T value)
{
	if (addr && fake.minor >= 11)
		std::memcpy(reinterpret_cast<void *>(static_cast<std::uintptr_t>(addr)), &value,
			    sizeof(value));
}

void store_results(unsigned long request, void *arg)
{
	switch (request) {
	case DMAPI_IOC_CREATE_SESSION: {
		auto *a = static_cast<dmapi_create_session_arg *>(arg);
		store_at(a->newsidp, a->newsid);
		break;
	}
	case DMAPI_IOC_CREATE_USEREVENT: {
		auto *a = static_cast<dmapi_create_userevent_arg *>(arg);
		store_at(a->tokenp, a->token);
		break;
	}
	case DMAPI_IOC_GET_EVENTS: {
		auto *a = static_cast<dmapi_get_events_arg *>(arg);
		store_at(a->rlenp, static_cast<std::size_t>(a->buf.rlen));
		break;
	}
	case DMAPI_IOC_MOVE_EVENT: {
		auto *a = static_cast<dmapi_move_event_arg *>(arg);
		store_at(a->rtokenp, a->rtoken);
		break;
	}
	case DMAPI_IOC_SET_REGION: {
		auto *a = static_cast<dmapi_region_arg *>(arg);
		store_at(a->exactp, a->exact);
		break;
	}
	}
}

} // namespace

extern "C" int ioctl(int fd, unsigned long request, ...) noexcept
{
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *);
	va_end(ap);

	if (_IOC_TYPE(request) != DMAPI_IOC_MAGIC) {
		using Ioctl = int (*)(int, unsigned long, ...);
		static auto real = reinterpret_cast<Ioctl>(::dlsym(RTLD_NEXT, "ioctl"));
		return real(fd, request, arg);
	}
	/* As the kernel does: the library must call on an open descriptor. */
	if (::fcntl(fd, F_GETFD) < 0) {
		errno = EBADF;
		return -1;
	}
	/* As any other file does: only the device knows its requests. */
	struct stat st, device;
	if (::fstat(fd, &st) < 0 || ::stat("/dev/null", &device) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != device.st_rdev) {
		errno = fake.foreign_errno;
		return -1;
	}
	fake.last_fd = fd;
	if (request == DMAPI_IOC_VERSION) {
		auto *version = static_cast<dmapi_version_arg *>(arg);
		version->major = fake.major;
		version->minor = fake.minor;
		return 0;
	}
	fake.requests.push_back(request);
	int error = fake.answer ? fake.answer(request, arg) : ENOTTY;
	if (!error || (error == E2BIG && request == DMAPI_IOC_GET_EVENTS))
		store_results(request, arg);
	if (error) {
		errno = error;
		return -1;
	}
	return 0;
}

namespace {

class FakeDevice : public ::testing::Test {
protected:
	void SetUp() override
	{
		::setenv("DMAPI_DEVICE", "/dev/null", 1);
		fake = FakeModule{};
	}
	void TearDown() override { ::unsetenv("DMAPI_DEVICE"); }
};

std::uintptr_t address(const void *p)
{
	return reinterpret_cast<std::uintptr_t>(p);
}

TEST_F(FakeDevice, InitServiceSucceedsWithTheModule)
{
	char *version = nullptr;
	EXPECT_EQ(dm_init_service(&version), 0);
	EXPECT_STREQ(version, DM_VER_STR_CONTENTS);
}

// The device is opened once per process, so a mismatch is tried in a
// fresh one.
TEST_F(FakeDevice, OtherMajorVersionIsEPROTO)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	EXPECT_EXIT({
		fake.major = DMAPI_KERNEL_VERSION + 1;
		char *version;
		int ret = dm_init_service(&version);
		int init_errno = errno;
		dm_sessid_t sid;
		char info[] = "x";
		int create = dm_create_session(DM_NO_SESSION, info, &sid);
		std::exit(ret == -1 && init_errno == EPROTO && create == -1 && errno == EPROTO ? 0 : 1);
	}, ::testing::ExitedWithCode(0), "");
}

// And so is every other call of the API that needs the kernel, each the
// first call of a process, so that none finds the device opened by
// another: each in a child forked from one fresh process, which is much
// cheaper than a fresh process each (a re-executed test binary).  The
// calls that did not fail EPROTO are named on standard error.
TEST_F(FakeDevice, OtherMajorVersionIsEPROTOForEveryCall)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	Args args;
	auto calls = kernel_calls(args);
	EXPECT_EXIT({
		fake.major = DMAPI_KERNEL_VERSION + 1;
		int wrong = 0;
		for (auto &[name, call] : calls) {
			pid_t pid = fork();
			if (pid == 0) {
				errno = 0;
				long ret = call();
				_exit(ret == -1 && errno == EPROTO ? 0 : 1);
			}
			int status = -1;
			if (pid < 0 || waitpid(pid, &status, 0) != pid ||
			    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				std::fprintf(stderr, "%s: not EPROTO\n", name);
				wrong++;
			}
		}
		std::exit(wrong == 0 ? 0 : 1);
	}, ::testing::ExitedWithCode(0), "");
}

// Limits the process to its descriptors below @fds (the soft limit, which
// any process may raise again).
bool limit_descriptors(int fds)
{
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
		return false;
	limit.rlim_cur = static_cast<rlim_t>(fds);
	return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

// The first call that needs the device, with fake answers, as exit code.
int first_call_status()
{
	dm_sessid_t sids[4];
	unsigned int n;
	if (dm_getall_sessions(4, sids, &n) == 0)
		return 0;
	return errno == EMFILE ? 1 : 2;
}

// A process with no free descriptor cannot open the device: EMFILE, from
// dm_init_service() and from the first call alike, and a call made once a
// descriptor is free opens it then.
TEST_F(FakeDevice, NoFreeDescriptorForTheDeviceIsEMFILEUntilOneIsFree)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	EXPECT_EXIT({
		int spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (spare < 0 || close(spare) != 0 || !limit_descriptors(spare))
			std::exit(10);
		char *version;
		if (dm_init_service(&version) != -1 || errno != EMFILE)
			std::exit(11);
		if (first_call_status() != 1)
			std::exit(12);
		if (!limit_descriptors(spare + 1))
			std::exit(13);
		fake.answer = [](unsigned long, void *) { return 0; };
		std::exit(first_call_status());
	}, ::testing::ExitedWithCode(0), "");
}

// A DM application's cleanup at exit, registered before its first call
// made the library's state, still reaches the module: the device is not
// closed before it runs.
TEST_F(FakeDevice, CallsFromAtexitHandlersReachTheModule)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	EXPECT_EXIT({
		std::atexit([] {
			fake.answer = [](unsigned long request, void *) {
				return request == DMAPI_IOC_DESTROY_SESSION ? 0 : ENOTTY;
			};
			int ret = dm_destroy_session(3);
			std::_Exit(ret == 0 ? 0 : errno);
		});
		char *version;
		int ret = dm_init_service(&version);
		std::exit(ret == 0 ? 0 : 100);
	}, ::testing::ExitedWithCode(0), "");
}

// A program that closes descriptors it did not open (close_range() after
// its first call) closes the library's: its next call opens the device
// again, and leaves alone whatever file took the old number.
// dm_getall_sessions() of a module that has none: 0, or -1 with errno.
int getall_sessions_of_none()
{
	on<DMAPI_IOC_GETALL_SESSIONS, dmapi_getall_arg>([](auto &arg) {
		arg.nelem_out = 0;
		return 0;
	});
	unsigned int n = 0;
	return dm_getall_sessions(0, nullptr, &n);
}

TEST_F(FakeDevice, ADescriptorTheProgramClosedIsOpenedAgain)
{
	ASSERT_EQ(getall_sessions_of_none(), 0) << std::strerror(errno);
	int first = fake.last_fd;
	ASSERT_GE(first, 0);

	ASSERT_EQ(::close(first), 0);
	EXPECT_EQ(getall_sessions_of_none(), 0) << "once closed: " << std::strerror(errno);
	int second = fake.last_fd;

	int pipe_ends[2];
	ASSERT_EQ(::pipe2(pipe_ends, O_CLOEXEC), 0);
	ASSERT_EQ(::dup3(pipe_ends[0], second, O_CLOEXEC), second);
	EXPECT_EQ(getall_sessions_of_none(), 0)
		<< "its number another file's: " << std::strerror(errno);
	EXPECT_NE(fake.last_fd, second);
	EXPECT_NE(::fcntl(second, F_GETFD), -1) << "the program's file was closed";
	::close(second);
	::close(pipe_ends[0]);
	::close(pipe_ends[1]);
}

// Devices answer requests they do not know with EINVAL too (random):
// any failure but EAGAIN looks at the descriptor.
TEST_F(FakeDevice, ADescriptorTakenByAFileAnsweringEINVALIsOpenedAgain)
{
	ASSERT_EQ(getall_sessions_of_none(), 0) << std::strerror(errno);
	int used = fake.last_fd;
	int pipe_ends[2];
	ASSERT_EQ(::pipe2(pipe_ends, O_CLOEXEC), 0);
	ASSERT_EQ(::dup3(pipe_ends[0], used, O_CLOEXEC), used);
	fake.foreign_errno = EINVAL;
	EXPECT_EQ(getall_sessions_of_none(), 0) << std::strerror(errno);
	EXPECT_NE(fake.last_fd, used);
	::close(used);
	::close(pipe_ends[0]);
	::close(pipe_ends[1]);
}

// A synchronous message is never sent twice: a failure on a descriptor
// that was the device's may be the DM application's answer.
TEST_F(FakeDevice, ASyncMessageFailingOnAClosedDescriptorIsNotSentAgain)
{
	ASSERT_EQ(getall_sessions_of_none(), 0) << std::strerror(errno);
	ASSERT_EQ(::close(fake.last_fd), 0);
	fake.requests.clear();
	on<DMAPI_IOC_SEND_MSG, dmapi_send_msg_arg>([](auto &) { return 0; });
	char msg[] = "m";
	errno = 0;
	EXPECT_EQ(dm_send_msg(1, DM_MSGTYPE_SYNC, sizeof(msg), msg), -1);
	EXPECT_EQ(errno, EBADF);
	EXPECT_TRUE(fake.requests.empty()) << "sent on the device opened again";
	EXPECT_EQ(dm_send_msg(1, DM_MSGTYPE_SYNC, sizeof(msg), msg), 0) << std::strerror(errno);
	EXPECT_EQ(fake.requests.size(), 1u);
}

// A request the module does not know keeps the descriptor: no new open.
TEST_F(FakeDevice, AnUnknownRequestKeepsTheDescriptor)
{
	ASSERT_EQ(getall_sessions_of_none(), 0) << std::strerror(errno);
	int fd = fake.last_fd;
	dm_sessid_t sid;
	char info[] = "x";
	errno = 0;
	EXPECT_EQ(dm_create_session(DM_NO_SESSION, info, &sid), -1);
	EXPECT_EQ(errno, ENOSYS);
	unsigned int n = 0;
	EXPECT_EQ(dm_getall_sessions(0, nullptr, &n), 0) << std::strerror(errno);
	EXPECT_EQ(fake.last_fd, fd);
	EXPECT_EQ(fake.requests.size(), 3u) << "asked again";
}

TEST_F(FakeDevice, UnknownRequestIsENOSYS)
{
	dm_sessid_t sid = 0;
	char info[] = "x";
	errno = 0;
	EXPECT_EQ(dm_create_session(DM_NO_SESSION, info, &sid), -1);
	EXPECT_EQ(errno, ENOSYS);
}

TEST_F(FakeDevice, CreateSessionPassesTheInfoAndReturnsTheId)
{
	char info[] = "hsm daemon";
	on<DMAPI_IOC_CREATE_SESSION, dmapi_create_session_arg>([&](auto &arg) {
		EXPECT_EQ(arg.oldsid, 7);
		EXPECT_EQ(arg.info, address(info));
		EXPECT_EQ(arg.infolen, std::strlen(info));
		arg.newsid = 42;
		return 0;
	});
	dm_sessid_t sid = 0;
	ASSERT_EQ(dm_create_session(7, info, &sid), 0);
	EXPECT_EQ(sid, 42);
	EXPECT_EQ(fake.requests, std::vector<unsigned long>{DMAPI_IOC_CREATE_SESSION});
}

TEST_F(FakeDevice, CreateSessionReadsNoFurtherThanTheLimit)
{
	std::string info(1000, 'i');
	on<DMAPI_IOC_CREATE_SESSION, dmapi_create_session_arg>([&](auto &arg) {
		EXPECT_EQ(arg.infolen, DM_SESSION_INFO_LEN);
		return arg.infolen >= DMAPI_SESSION_INFO_LEN ? E2BIG : 0;
	});
	dm_sessid_t sid = -1;
	errno = 0;
	EXPECT_EQ(dm_create_session(DM_NO_SESSION, info.data(), &sid), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(sid, -1);
}

TEST_F(FakeDevice, GetallSessionsReportsTheNeededCountOnE2BIG)
{
	on<DMAPI_IOC_GETALL_SESSIONS, dmapi_getall_arg>([](auto &arg) {
		EXPECT_EQ(arg.nelem, 2u);
		arg.nelem_out = 5;
		return E2BIG;
	});
	dm_sessid_t sids[2];
	unsigned int n = 0;
	errno = 0;
	EXPECT_EQ(dm_getall_sessions(2, sids, &n), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(n, 5u);
}

TEST_F(FakeDevice, GetallSessionsLeavesTheCountOnOtherErrors)
{
	on<DMAPI_IOC_GETALL_SESSIONS, dmapi_getall_arg>([](auto &arg) {
		arg.nelem_out = 5;
		return EFAULT;
	});
	unsigned int n = 99;
	EXPECT_EQ(dm_getall_sessions(0, nullptr, &n), -1);
	EXPECT_EQ(errno, EFAULT);
	EXPECT_EQ(n, 99u);
}

TEST_F(FakeDevice, GetallTokensPassesTheBufferAndCount)
{
	dm_token_t tokens[4];
	on<DMAPI_IOC_GETALL_TOKENS, dmapi_getall_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 3);
		EXPECT_EQ(arg.nelem, 4u);
		EXPECT_EQ(arg.buf, address(tokens));
		arg.nelem_out = 2;
		return 0;
	});
	unsigned int n = 0;
	ASSERT_EQ(dm_getall_tokens(3, 4, tokens, &n), 0);
	EXPECT_EQ(n, 2u);
}

TEST_F(FakeDevice, QuerySessionReportsTheNeededSizeOnE2BIG)
{
	char buf[4];
	on<DMAPI_IOC_QUERY_SESSION, dmapi_query_session_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 9);
		EXPECT_EQ(arg.buf.ptr, address(buf));
		EXPECT_EQ(arg.buf.len, sizeof(buf));
		arg.buf.rlen = 11;
		return E2BIG;
	});
	size_t rlen = 0;
	EXPECT_EQ(dm_query_session(9, sizeof(buf), buf, &rlen), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(rlen, 11u);
}

TEST_F(FakeDevice, GetEventsPassesEverythingAndReturnsTheLength)
{
	alignas(8) char buf[256];
	on<DMAPI_IOC_GET_EVENTS, dmapi_get_events_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 4);
		EXPECT_EQ(arg.maxmsgs, 10u);
		EXPECT_EQ(arg.flags, unsigned{DM_EV_WAIT});
		EXPECT_EQ(arg.buf.ptr, address(buf));
		EXPECT_EQ(arg.buf.len, sizeof(buf));
		arg.buf.rlen = 48;
		return 0;
	});
	size_t rlen = 0;
	ASSERT_EQ(dm_get_events(4, 10, DM_EV_WAIT, sizeof(buf), buf, &rlen), 0);
	EXPECT_EQ(rlen, 48u);
}

TEST_F(FakeDevice, GetEventsPassesEAGAINAndEINTR)
{
	int next = EAGAIN;
	on<DMAPI_IOC_GET_EVENTS, dmapi_get_events_arg>([&](auto &) { return next; });
	char buf[64];
	size_t rlen = 0;
	EXPECT_EQ(dm_get_events(4, 0, 0, sizeof(buf), buf, &rlen), -1);
	EXPECT_EQ(errno, EAGAIN);
	next = EINTR;
	EXPECT_EQ(dm_get_events(4, 0, DM_EV_WAIT, sizeof(buf), buf, &rlen), -1);
	EXPECT_EQ(errno, EINTR);
}

TEST_F(FakeDevice, FindEventmsgReportsTheNeededSizeOnE2BIG)
{
	on<DMAPI_IOC_FIND_EVENTMSG, dmapi_find_eventmsg_arg>([](auto &arg) {
		EXPECT_EQ(arg.sid, 1);
		EXPECT_EQ(arg.token, 8);
		arg.buf.rlen = 96;
		return E2BIG;
	});
	size_t rlen = 0;
	EXPECT_EQ(dm_find_eventmsg(1, 8, 0, nullptr, &rlen), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(rlen, 96u);
}

TEST_F(FakeDevice, RespondEventPassesTheResponse)
{
	char data[3] = {};
	on<DMAPI_IOC_RESPOND_EVENT, dmapi_respond_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 2);
		EXPECT_EQ(arg.token, 5);
		EXPECT_EQ(arg.response, unsigned{DMAPI_RESP_ABORT});
		EXPECT_EQ(arg.reterror, ENOSPC);
		EXPECT_EQ(arg.buf, address(data));
		EXPECT_EQ(arg.buflen, sizeof(data));
		return 0;
	});
	EXPECT_EQ(dm_respond_event(2, 5, DM_RESP_ABORT, ENOSPC, sizeof(data), data), 0);
}

TEST_F(FakeDevice, SendMsgReturnsTheAbortErrno)
{
	char msg[] = "recall";
	on<DMAPI_IOC_SEND_MSG, dmapi_send_msg_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 6);
		EXPECT_EQ(arg.msgtype, unsigned{DMAPI_MSGTYPE_SYNC});
		EXPECT_EQ(arg.msg, address(msg));
		EXPECT_EQ(arg.msglen, sizeof(msg));
		return EIO;
	});
	errno = 0;
	EXPECT_EQ(dm_send_msg(6, DM_MSGTYPE_SYNC, sizeof(msg), msg), -1);
	EXPECT_EQ(errno, EIO);
}

// ENOTTY from a module that has the call is the receiver's answer, not a
// call the module lacks (ENOSYS).
TEST_F(FakeDevice, SendMsgReturnsAnAbortErrnoOfENOTTYAsItIs)
{
	char msg[] = "recall";
	on<DMAPI_IOC_SEND_MSG, dmapi_send_msg_arg>([](auto &) { return ENOTTY; });
	errno = 0;
	EXPECT_EQ(dm_send_msg(6, DM_MSGTYPE_SYNC, sizeof(msg), msg), -1);
	EXPECT_EQ(errno, ENOTTY);
}

TEST_F(FakeDevice, CreateUsereventReturnsTheToken)
{
	char msg[] = "hold";
	on<DMAPI_IOC_CREATE_USEREVENT, dmapi_create_userevent_arg>([&](auto &arg) {
		EXPECT_EQ(arg.msg, address(msg));
		EXPECT_EQ(arg.msglen, 4u);
		arg.token = 77;
		return 0;
	});
	dm_token_t token = 0;
	ASSERT_EQ(dm_create_userevent(1, 4, msg, &token), 0);
	EXPECT_EQ(token, 77);
}

TEST_F(FakeDevice, MoveEventReturnsTheNewToken)
{
	on<DMAPI_IOC_MOVE_EVENT, dmapi_move_event_arg>([](auto &arg) {
		EXPECT_EQ(arg.srcsid, 1);
		EXPECT_EQ(arg.token, 12);
		EXPECT_EQ(arg.targetsid, 2);
		arg.rtoken = 12;
		return 0;
	});
	dm_token_t rtoken = 0;
	ASSERT_EQ(dm_move_event(1, 12, 2, &rtoken), 0);
	EXPECT_EQ(rtoken, 12);
}

// With a module older than protocol 1.11, a result pointer that cannot be
// written fails EFAULT before the call has an effect: no message taken
// off the queue, no session, token or regions made, where storing the
// result afterwards killed the program with the effect made.  The device
// is opened once per process, so the older module is met in a fresh one:
// exits 0 when every call behaved.
[[noreturn]] void unwritable_results_of_an_older_module()
{
	fake.minor = 10;
	void *page = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int requests = 0;
	fake.answer = [&](unsigned long, void *) {
		requests++;
		return 0;
	};
	alignas(8) char buf[64];
	char info[] = "x";
	unsigned char handle[DMAPI_FSHANDLE_LEN] = {};
	auto *unmapped = reinterpret_cast<size_t *>(static_cast<std::uintptr_t>(0xdeadbeef));
	bool ok = page != MAP_FAILED;
	auto efault = [&](int ret) { ok = ok && ret == -1 && errno == EFAULT; };
	efault(dm_get_events(1, 0, 0, sizeof(buf), buf, static_cast<size_t *>(page)));
	efault(dm_create_session(DM_NO_SESSION, info, static_cast<dm_sessid_t *>(page)));
	efault(dm_create_userevent(1, 0, nullptr, static_cast<dm_token_t *>(page)));
	efault(dm_move_event(1, 2, 3, static_cast<dm_token_t *>(page)));
	efault(dm_set_region(1, handle, sizeof(handle), DM_NO_TOKEN, 0, nullptr,
			     static_cast<dm_boolean_t *>(page)));
	efault(dm_get_events(1, 0, 0, sizeof(buf), buf, unmapped));
	ok = ok && requests == 0;
	size_t rlen = 0;
	ok = ok && dm_get_events(1, 0, 0, sizeof(buf), buf, &rlen) == 0 && requests == 1;
	std::_Exit(ok ? 0 : 1);
}

TEST_F(FakeDevice, AnUnwritableResultPointerFailsEFAULTBeforeTheCallOfAnOlderModule)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	EXPECT_EXIT(unwritable_results_of_an_older_module(), ::testing::ExitedWithCode(0), "");
}

// From protocol 1.11 the module is given the addresses of the results, to
// check and store itself (tests/vm): the library makes no system call of
// its own for them, and stores nothing after the module.
TEST_F(FakeDevice, ResultAddressesGoToTheModuleFromProtocol111)
{
	void *page = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(page, MAP_FAILED);
	const std::uint64_t at = address(page);
	std::vector<std::uint64_t> given;
	fake.answer = [&](unsigned long request, void *arg) {
		switch (request) {
		case DMAPI_IOC_GET_EVENTS:
			given.push_back(static_cast<dmapi_get_events_arg *>(arg)->rlenp);
			break;
		case DMAPI_IOC_CREATE_SESSION:
			given.push_back(static_cast<dmapi_create_session_arg *>(arg)->newsidp);
			break;
		case DMAPI_IOC_CREATE_USEREVENT:
			given.push_back(static_cast<dmapi_create_userevent_arg *>(arg)->tokenp);
			break;
		case DMAPI_IOC_MOVE_EVENT:
			given.push_back(static_cast<dmapi_move_event_arg *>(arg)->rtokenp);
			break;
		case DMAPI_IOC_SET_REGION:
			given.push_back(static_cast<dmapi_region_arg *>(arg)->exactp);
			break;
		}
		return EFAULT;	/* as the module answers an unwritable one */
	};
	alignas(8) char buf[64];
	char info[] = "x";
	unsigned char handle[DMAPI_FSHANDLE_LEN] = {};
	EXPECT_EQ(dm_get_events(1, 0, 0, sizeof(buf), buf, static_cast<size_t *>(page)), -1);
	EXPECT_EQ(dm_create_session(DM_NO_SESSION, info, static_cast<dm_sessid_t *>(page)), -1);
	EXPECT_EQ(dm_create_userevent(1, 0, nullptr, static_cast<dm_token_t *>(page)), -1);
	EXPECT_EQ(dm_move_event(1, 2, 3, static_cast<dm_token_t *>(page)), -1);
	EXPECT_EQ(dm_set_region(1, handle, sizeof(handle), DM_NO_TOKEN, 0, nullptr,
				static_cast<dm_boolean_t *>(page)), -1);
	EXPECT_EQ(errno, EFAULT);
	EXPECT_EQ(given, std::vector<std::uint64_t>(5, at));
	munmap(page, 4096);
	/* NULL is refused before any call, as before. */
	EXPECT_EQ(dm_get_events(1, 0, 0, sizeof(buf), buf, nullptr), -1);
	EXPECT_EQ(errno, EFAULT);
	EXPECT_EQ(given.size(), 5u);
}

// The check of a result pointer, made with a module older than protocol
// 1.11, works in a thread whose process's leader has exited, where a check through the process id fails ESRCH.
[[noreturn]] void get_events_after_the_main_thread_exits()
{
	fake.minor = 10;
	on<DMAPI_IOC_GET_EVENTS, dmapi_get_events_arg>([](auto &arg) {
		arg.buf.rlen = 24;
		return 0;
	});
	std::thread([] {
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
		alignas(8) char buf[64];
		std::size_t rlen = 0;
		int r = dm_get_events(1, 0, 0, sizeof(buf), buf, &rlen);
		std::_Exit(r == 0 && rlen == 24 ? 0 : 1);
	}).detach();
	/* The main thread alone, without unwinding (pthread_exit() would). */
	for (;;)
		syscall(SYS_exit, 0);
}

TEST_F(FakeDevice, AResultPointerIsCheckedAfterTheMainThreadHasExited)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	EXPECT_EXIT(get_events_after_the_main_thread_exits(), ::testing::ExitedWithCode(0), "");
}

TEST_F(FakeDevice, PendingPassesTheDelayOrZero)
{
	std::int64_t sec = -1;
	std::int32_t nsec = -1;
	on<DMAPI_IOC_PENDING, dmapi_pending_arg>([&](auto &arg) {
		sec = arg.delay_sec;
		nsec = arg.delay_nsec;
		return 0;
	});
	dm_timestruct_t delay{};
	delay.dm_tv_sec = 30;
	delay.dm_tv_nsec = 500;
	ASSERT_EQ(dm_pending(1, 2, &delay), 0);
	EXPECT_EQ(sec, 30);
	EXPECT_EQ(nsec, 500);
	ASSERT_EQ(dm_pending(1, 2, nullptr), 0);
	EXPECT_EQ(sec, 0);
	EXPECT_EQ(nsec, 0);
}

TEST_F(FakeDevice, GetConfigSendsTheGlobalHandleAsAddressOne)
{
	on<DMAPI_IOC_GET_CONFIG, dmapi_get_config_arg>([](auto &arg) {
		EXPECT_EQ(arg.hanp, 1u);
		EXPECT_EQ(arg.hlen, DMAPI_GLOBAL_HANDLE_LEN);
		EXPECT_EQ(arg.flagname, unsigned{DM_CONFIG_MAX_MESSAGE_DATA});
		arg.retval = 4096;
		return 0;
	});
	dm_size_t value = 0;
	ASSERT_EQ(dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_CONFIG_MAX_MESSAGE_DATA, &value), 0);
	EXPECT_EQ(value, 4096u);
}

TEST_F(FakeDevice, GetConfigEventsReportsTheCountOnE2BIG)
{
	on<DMAPI_IOC_GET_CONFIG_EVENTS, dmapi_get_config_events_arg>([](auto &arg) {
		arg.nelem_out = DM_EVENT_MAX;
		if (arg.nelem < DM_EVENT_MAX)
			return E2BIG;
		arg.eventset = dm_eventset_t{1} << DM_EVENT_USER;
		return 0;
	});
	dm_eventset_t set = 0xabc;
	unsigned int n = 0;
	EXPECT_EQ(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, 4, &set, &n), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(n, unsigned{DM_EVENT_MAX});
	EXPECT_EQ(set, 0xabcu);

	ASSERT_EQ(dm_get_config_events(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_EVENT_MAX, &set, &n), 0);
	EXPECT_TRUE(DMEV_ISSET(DM_EVENT_USER, set));
	EXPECT_EQ(n, unsigned{DM_EVENT_MAX});
}

TEST_F(FakeDevice, SetDispPassesTheSetAndTheGlobalHandleAsAddressOne)
{
	on<DMAPI_IOC_SET_DISP, dmapi_eventset_arg>([](auto &arg) {
		EXPECT_EQ(arg.sid, 5);
		EXPECT_EQ(arg.token, DM_NO_TOKEN);
		EXPECT_EQ(arg.hanp, 1u);
		EXPECT_EQ(arg.hlen, DMAPI_GLOBAL_HANDLE_LEN);
		EXPECT_EQ(arg.eventset, dm_eventset_t{1} << DM_EVENT_MOUNT);
		EXPECT_EQ(arg.nelem, unsigned{DM_EVENT_MAX});
		return 0;
	});
	dm_eventset_t set = 0;
	DMEV_SET(DM_EVENT_MOUNT, set);
	EXPECT_EQ(dm_set_disp(5, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &set, DM_EVENT_MAX), 0);
	EXPECT_EQ(fake.requests, std::vector<unsigned long>{DMAPI_IOC_SET_DISP});
}

TEST_F(FakeDevice, SetEventlistPassesTheHandleTokenAndMaxevent)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_SET_EVENTLIST, dmapi_eventset_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 2);
		EXPECT_EQ(arg.token, 9);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		EXPECT_EQ(arg.eventset, 0x30000u);
		EXPECT_EQ(arg.nelem, 18u);
		return EINVAL;
	});
	dm_eventset_t set = 0x30000;
	errno = 0;
	EXPECT_EQ(dm_set_eventlist(2, handle, sizeof(handle), 9, &set, 18), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(fake.requests, std::vector<unsigned long>{DMAPI_IOC_SET_EVENTLIST});
}

TEST_F(FakeDevice, GetEventlistReportsTheCountOnE2BIG)
{
	unsigned char handle[DMAPI_FSHANDLE_LEN] = {};
	on<DMAPI_IOC_GET_EVENTLIST, dmapi_eventset_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 3);
		EXPECT_EQ(arg.token, DM_NO_TOKEN);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		arg.nelem_out = DM_EVENT_MAX;
		if (arg.nelem < DM_EVENT_MAX)
			return E2BIG;
		arg.eventset = dm_eventset_t{1} << DM_EVENT_DESTROY;
		return 0;
	});
	dm_eventset_t set = 0xabc;
	unsigned int n = 0;
	errno = 0;
	EXPECT_EQ(dm_get_eventlist(3, handle, sizeof(handle), DM_NO_TOKEN, 4, &set, &n), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(n, unsigned{DM_EVENT_MAX});
	EXPECT_EQ(set, 0xabcu);

	ASSERT_EQ(dm_get_eventlist(3, handle, sizeof(handle), DM_NO_TOKEN, DM_EVENT_MAX, &set, &n), 0);
	EXPECT_EQ(set, dm_eventset_t{1} << DM_EVENT_DESTROY);
	EXPECT_EQ(n, unsigned{DM_EVENT_MAX});
}

TEST_F(FakeDevice, GetEventlistLeavesTheCountOnOtherErrors)
{
	on<DMAPI_IOC_GET_EVENTLIST, dmapi_eventset_arg>([](auto &arg) {
		arg.nelem_out = DM_EVENT_MAX;
		return EBADF;
	});
	unsigned char handle[DMAPI_FSHANDLE_LEN] = {};
	dm_eventset_t set = 0;
	unsigned int n = 99;
	EXPECT_EQ(dm_get_eventlist(3, handle, sizeof(handle), DM_NO_TOKEN, DM_EVENT_MAX, &set, &n), -1);
	EXPECT_EQ(errno, EBADF);
	EXPECT_EQ(n, 99u);
}

TEST_F(FakeDevice, GetallDispReportsTheNeededSizeOnE2BIG)
{
	alignas(8) char buf[16];
	on<DMAPI_IOC_GETALL_DISP, dmapi_getall_disp_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 4);
		EXPECT_EQ(arg.buf.ptr, address(buf));
		EXPECT_EQ(arg.buf.len, sizeof(buf));
		arg.buf.rlen = 32;
		return E2BIG;
	});
	size_t rlen = 0;
	errno = 0;
	EXPECT_EQ(dm_getall_disp(4, sizeof(buf), buf, &rlen), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(rlen, 32u);
}

TEST_F(FakeDevice, GetMountinfoPassesTheHandleAndReturnsTheLength)
{
	unsigned char handle[DMAPI_FSHANDLE_LEN] = {};
	alignas(8) char buf[256];
	on<DMAPI_IOC_GET_MOUNTINFO, dmapi_mountinfo_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 6);
		EXPECT_EQ(arg.token, DM_NO_TOKEN);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		EXPECT_EQ(arg.buf.ptr, address(buf));
		EXPECT_EQ(arg.buf.len, sizeof(buf));
		arg.buf.rlen = 120;
		return 0;
	});
	size_t rlen = 0;
	ASSERT_EQ(dm_get_mountinfo(6, handle, sizeof(handle), DM_NO_TOKEN, sizeof(buf), buf, &rlen), 0);
	EXPECT_EQ(rlen, 120u);
}

TEST_F(FakeDevice, SetReturnOnDestroyCopiesTheName)
{
	unsigned char handle[DMAPI_FSHANDLE_LEN] = {};
	dm_attrname_t name;
	std::memcpy(name.an_chars, "hsmstate", DM_ATTR_NAME_SIZE);
	std::vector<unsigned char> sent;
	std::uint32_t enable = 99;
	on<DMAPI_IOC_SET_RETURN_ON_DESTROY, dmapi_return_on_destroy_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 7);
		EXPECT_EQ(arg.token, DM_NO_TOKEN);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		sent.assign(arg.attrname, arg.attrname + sizeof(arg.attrname));
		enable = arg.enable;
		return 0;
	});
	// Any true value enables.
	ASSERT_EQ(dm_set_return_on_destroy(7, handle, sizeof(handle), DM_NO_TOKEN, &name, 5), 0);
	EXPECT_EQ(sent, std::vector<unsigned char>(name.an_chars, name.an_chars + DM_ATTR_NAME_SIZE));
	EXPECT_EQ(enable, 1u);

	// Disabling may go without a name: zeros are sent.
	ASSERT_EQ(dm_set_return_on_destroy(7, handle, sizeof(handle), DM_NO_TOKEN, nullptr, DM_FALSE), 0);
	EXPECT_EQ(sent, std::vector<unsigned char>(DM_ATTR_NAME_SIZE, 0));
	EXPECT_EQ(enable, 0u);
}

TEST_F(FakeDevice, SetRegionPassesTheRegionsAndReturnsExact)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_region_t regions[2] = {{0, 4096, DM_REGION_READ, 0}, {8192, 0, DM_REGION_WRITE, 0}};
	std::uint32_t exact = 1;
	on<DMAPI_IOC_SET_REGION, dmapi_region_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 4);
		EXPECT_EQ(arg.token, 11);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		EXPECT_EQ(arg.regions, address(regions));
		EXPECT_EQ(arg.nelem, 2u);
		arg.exact = exact;
		return 0;
	});
	dm_boolean_t exactflag = 99;
	ASSERT_EQ(dm_set_region(4, handle, sizeof(handle), 11, 2, regions, &exactflag), 0);
	EXPECT_EQ(exactflag, unsigned{DM_TRUE});
	exact = 0;
	ASSERT_EQ(dm_set_region(4, handle, sizeof(handle), 11, 2, regions, &exactflag), 0);
	EXPECT_EQ(exactflag, unsigned{DM_FALSE});
	EXPECT_EQ(fake.requests, std::vector<unsigned long>(2, DMAPI_IOC_SET_REGION));
}

TEST_F(FakeDevice, SetRegionClearsWithoutABuffer)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_SET_REGION, dmapi_region_arg>([&](auto &arg) {
		EXPECT_EQ(arg.regions, 0u);
		EXPECT_EQ(arg.nelem, 0u);
		arg.exact = 1;
		return 0;
	});
	dm_boolean_t exactflag = DM_FALSE;
	ASSERT_EQ(dm_set_region(4, handle, sizeof(handle), DM_NO_TOKEN, 0, nullptr, &exactflag), 0);
	EXPECT_EQ(exactflag, unsigned{DM_TRUE});
}

TEST_F(FakeDevice, SetRegionLeavesTheFlagOnErrors)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_SET_REGION, dmapi_region_arg>([](auto &arg) {
		arg.exact = 1;
		return E2BIG;
	});
	dm_region_t region{};
	dm_boolean_t exactflag = 99;
	errno = 0;
	EXPECT_EQ(dm_set_region(4, handle, sizeof(handle), DM_NO_TOKEN, 200, &region, &exactflag), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(exactflag, 99u);
}

TEST_F(FakeDevice, GetRegionReportsTheCountOnE2BIG)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_region_t regions[3];
	on<DMAPI_IOC_GET_REGION, dmapi_region_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 2);
		EXPECT_EQ(arg.token, DM_NO_TOKEN);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		EXPECT_EQ(arg.regions, address(regions));
		arg.nelem_out = 3;
		return arg.nelem < 3 ? E2BIG : 0;
	});
	unsigned int n = 0;
	errno = 0;
	EXPECT_EQ(dm_get_region(2, handle, sizeof(handle), DM_NO_TOKEN, 1, regions, &n), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(n, 3u);
	n = 0;
	ASSERT_EQ(dm_get_region(2, handle, sizeof(handle), DM_NO_TOKEN, 3, regions, &n), 0);
	EXPECT_EQ(n, 3u);
}

TEST_F(FakeDevice, GetRegionLeavesTheCountOnOtherErrors)
{
	on<DMAPI_IOC_GET_REGION, dmapi_region_arg>([](auto &arg) {
		arg.nelem_out = 3;
		return EBADF;
	});
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_region_t region;
	unsigned int n = 99;
	EXPECT_EQ(dm_get_region(2, handle, sizeof(handle), DM_NO_TOKEN, 1, &region, &n), -1);
	EXPECT_EQ(errno, EBADF);
	EXPECT_EQ(n, 99u);
}

TEST_F(FakeDevice, ReadInvisReturnsTheBytesRead)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	char buf[100];
	on<DMAPI_IOC_READ_INVIS, dmapi_invis_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 3);
		EXPECT_EQ(arg.token, 6);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		EXPECT_EQ(arg.off, 1 << 20);
		EXPECT_EQ(arg.len, sizeof(buf));
		EXPECT_EQ(arg.buf, address(buf));
		EXPECT_EQ(arg.flags, 0u);
		arg.done = 37;		// short: across the end of file
		return 0;
	});
	EXPECT_EQ(dm_read_invis(3, handle, sizeof(handle), 6, 1 << 20, sizeof(buf), buf), 37);
}

TEST_F(FakeDevice, ReadInvisFailsWithMinusOne)
{
	on<DMAPI_IOC_READ_INVIS, dmapi_invis_arg>([](auto &arg) {
		arg.done = 37;
		return EINVAL;
	});
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	char buf[4];
	errno = 0;
	EXPECT_EQ(dm_read_invis(3, handle, sizeof(handle), DM_NO_TOKEN, -1, sizeof(buf), buf), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST_F(FakeDevice, WriteInvisPassesTheFlagsAndReturnsTheBytesWritten)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	char buf[8] = "payload";
	const dm_off_t off = dm_off_t{5} << 32;
	const dm_ssize_t done = dm_ssize_t{3} << 31;	// more than 32 bits hold
	on<DMAPI_IOC_WRITE_INVIS, dmapi_invis_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 3);
		EXPECT_EQ(arg.token, DM_NO_TOKEN);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		EXPECT_EQ(arg.off, off);
		EXPECT_EQ(arg.len, dm_size_t{3} << 31);
		EXPECT_EQ(arg.buf, address(buf));
		EXPECT_EQ(arg.flags, unsigned{DMAPI_WRITE_SYNC});
		arg.done = done;
		return 0;
	});
	EXPECT_EQ(dm_write_invis(3, handle, sizeof(handle), DM_NO_TOKEN, DM_WRITE_SYNC, off,
				 dm_size_t{3} << 31, buf), done);

	on<DMAPI_IOC_WRITE_INVIS, dmapi_invis_arg>([](auto &) { return ENOSPC; });
	errno = 0;
	EXPECT_EQ(dm_write_invis(3, handle, sizeof(handle), DM_NO_TOKEN, 0, 0, sizeof(buf), buf), -1);
	EXPECT_EQ(errno, ENOSPC);
}

TEST_F(FakeDevice, PunchHolePassesTheRange)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_PUNCH_HOLE, dmapi_hole_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 5);
		EXPECT_EQ(arg.token, 2);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		EXPECT_EQ(arg.off, 8192);
		EXPECT_EQ(arg.len, 0u);
		return arg.off % 4096 ? EAGAIN : 0;
	});
	EXPECT_EQ(dm_punch_hole(5, handle, sizeof(handle), 2, 8192, 0), 0);
	EXPECT_EQ(fake.requests, std::vector<unsigned long>{DMAPI_IOC_PUNCH_HOLE});
}

TEST_F(FakeDevice, ProbeHoleReturnsTheRoundedRange)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_PROBE_HOLE, dmapi_hole_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 5);
		EXPECT_EQ(arg.token, DM_NO_TOKEN);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		EXPECT_EQ(arg.off, 100);
		EXPECT_EQ(arg.len, 10000u);
		arg.roff = 4096;
		arg.rlen = 4096;
		return 0;
	});
	dm_off_t roff = -1;
	dm_size_t rlen = 1;
	ASSERT_EQ(dm_probe_hole(5, handle, sizeof(handle), DM_NO_TOKEN, 100, 10000, &roff, &rlen), 0);
	EXPECT_EQ(roff, 4096);
	EXPECT_EQ(rlen, 4096u);
}

TEST_F(FakeDevice, ProbeHoleLeavesTheRangeOnErrors)
{
	on<DMAPI_IOC_PROBE_HOLE, dmapi_hole_arg>([](auto &arg) {
		arg.roff = 4096;
		arg.rlen = 4096;
		return E2BIG;
	});
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_off_t roff = -1;
	dm_size_t rlen = 1;
	errno = 0;
	EXPECT_EQ(dm_probe_hole(5, handle, sizeof(handle), DM_NO_TOKEN, 0, 1 << 30, &roff, &rlen), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(roff, -1);
	EXPECT_EQ(rlen, 1u);
}

TEST_F(FakeDevice, GetAllocinfoReturnsOneWhileExtentsRemain)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_extent_t extents[2];
	on<DMAPI_IOC_GET_ALLOCINFO, dmapi_allocinfo_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 8);
		EXPECT_EQ(arg.token, 4);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		EXPECT_EQ(arg.extents, address(extents));
		EXPECT_EQ(arg.nelem, 2u);
		// A file of three extents of 4096 bytes: hole, data, hole.
		auto *out = reinterpret_cast<dmapi_extent *>(static_cast<std::uintptr_t>(arg.extents));
		arg.nelem_out = 0;
		for (std::int64_t pos = arg.off; pos < 3 * 4096 && arg.nelem_out < arg.nelem; pos += 4096) {
			dmapi_extent &ext = out[arg.nelem_out++];
			ext = dmapi_extent{};
			ext.ex_type = pos == 4096 ? DMAPI_EXTENT_RES : DMAPI_EXTENT_HOLE;
			ext.ex_offset = pos;
			ext.ex_length = 4096;
		}
		arg.off = arg.off + std::int64_t{arg.nelem_out} * 4096;
		if (arg.off >= 3 * 4096)
			arg.off = 0;
		return 0;
	});
	dm_off_t off = 0;
	unsigned int n = 0;
	ASSERT_EQ(dm_get_allocinfo(8, handle, sizeof(handle), 4, &off, 2, extents, &n), 1);
	EXPECT_EQ(off, 2 * 4096);
	EXPECT_EQ(n, 2u);
	EXPECT_EQ(extents[0].ex_type, DM_EXTENT_HOLE);
	EXPECT_EQ(extents[0].ex_offset, 0);
	EXPECT_EQ(extents[1].ex_type, DM_EXTENT_RES);
	EXPECT_EQ(extents[1].ex_offset, 4096);
	EXPECT_EQ(extents[1].ex_length, 4096u);

	ASSERT_EQ(dm_get_allocinfo(8, handle, sizeof(handle), 4, &off, 2, extents, &n), 0);
	EXPECT_EQ(off, 0);
	EXPECT_EQ(n, 1u);
	EXPECT_EQ(extents[0].ex_type, DM_EXTENT_HOLE);
	EXPECT_EQ(extents[0].ex_offset, 2 * 4096);
}

TEST_F(FakeDevice, GetAllocinfoLeavesTheCursorOnErrors)
{
	on<DMAPI_IOC_GET_ALLOCINFO, dmapi_allocinfo_arg>([](auto &arg) {
		EXPECT_EQ(arg.off, 100);
		arg.off = 0;
		arg.nelem_out = 1;
		return EINVAL;
	});
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_extent_t extent;
	dm_off_t off = 100;
	unsigned int n = 99;
	errno = 0;
	EXPECT_EQ(dm_get_allocinfo(8, handle, sizeof(handle), DM_NO_TOKEN, &off, 1, &extent, &n), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(off, 100);
	EXPECT_EQ(n, 99u);
}

TEST_F(FakeDevice, SyncByHandlePassesTheObject)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_SYNC_BY_HANDLE, dmapi_object_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 9);
		EXPECT_EQ(arg.token, 3);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		return 0;
	});
	EXPECT_EQ(dm_sync_by_handle(9, handle, sizeof(handle), 3), 0);
	on<DMAPI_IOC_SYNC_BY_HANDLE, dmapi_object_arg>([](auto &) { return EIO; });
	errno = 0;
	EXPECT_EQ(dm_sync_by_handle(9, handle, sizeof(handle), 3), -1);
	EXPECT_EQ(errno, EIO);
}

TEST_F(FakeDevice, GetDioinfoCopiesTheLimits)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_GET_DIOINFO, dmapi_object_arg>([&](auto &arg) {
		EXPECT_EQ(arg.sid, 9);
		EXPECT_EQ(arg.token, DM_NO_TOKEN);
		EXPECT_EQ(arg.hanp, address(handle));
		EXPECT_EQ(arg.hlen, sizeof(handle));
		arg.dio.d_mem = 512;
		arg.dio.d_miniosz = 4096;
		arg.dio.d_maxiosz = 0x7ffff000;
		arg.dio.d_dio_only = 0;
		return 0;
	});
	dm_dioinfo_t dio;
	std::memset(&dio, 0xff, sizeof(dio));
	ASSERT_EQ(dm_get_dioinfo(9, handle, sizeof(handle), DM_NO_TOKEN, &dio), 0);
	EXPECT_EQ(dio.d_mem, 512u);
	EXPECT_EQ(dio.d_miniosz, 4096u);
	EXPECT_EQ(dio.d_maxiosz, 0x7ffff000u);
	EXPECT_EQ(dio.d_dio_only, unsigned{DM_FALSE});
}

// The fields every rights and object-reference call sends; flags and
// right only dm_request_right() sets.
void expect_right_arg(const dmapi_right_arg &arg, const void *handle, std::size_t hlen,
		      std::uint32_t flags = 0, std::uint32_t right = DMAPI_RIGHT_NULL)
{
	EXPECT_EQ(arg.sid, 6);
	EXPECT_EQ(arg.token, 13);
	EXPECT_EQ(arg.hanp, address(handle));
	EXPECT_EQ(arg.hlen, hlen);
	EXPECT_EQ(arg.flags, flags);
	EXPECT_EQ(arg.right, right);
	EXPECT_EQ(arg.held, 0u);
	EXPECT_EQ(arg.padding, 0u);
	EXPECT_EQ(arg.reserved, 0u);
}

TEST_F(FakeDevice, RequestRightPassesTheFlagsAndTheRight)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_REQUEST_RIGHT, dmapi_right_arg>([&](auto &arg) {
		expect_right_arg(arg, handle, sizeof(handle), DMAPI_RR_WAIT, DMAPI_RIGHT_EXCL);
		return 0;
	});
	EXPECT_EQ(dm_request_right(6, handle, sizeof(handle), 13, DM_RR_WAIT, DM_RIGHT_EXCL), 0);
	on<DMAPI_IOC_REQUEST_RIGHT, dmapi_right_arg>([&](auto &arg) {
		expect_right_arg(arg, handle, sizeof(handle), 0, DMAPI_RIGHT_SHARED);
		return 0;
	});
	EXPECT_EQ(dm_request_right(6, handle, sizeof(handle), 13, 0, DM_RIGHT_SHARED), 0);
	EXPECT_EQ(fake.requests, std::vector<unsigned long>(2, DMAPI_IOC_REQUEST_RIGHT));
}

TEST_F(FakeDevice, RequestRightPassesItsErrors)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	for (int error : {EAGAIN, EACCES, EINTR, ESRCH, EINVAL, EBADF}) {
		on<DMAPI_IOC_REQUEST_RIGHT, dmapi_right_arg>([=](auto &) { return error; });
		errno = 0;
		EXPECT_EQ(dm_request_right(6, handle, sizeof(handle), 13, DM_RR_WAIT,
					   DM_RIGHT_SHARED), -1);
		EXPECT_EQ(errno, error);
	}
}

TEST_F(FakeDevice, ReleaseUpgradeAndDowngradeSendTheObjectOnly)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_RELEASE_RIGHT, dmapi_right_arg>([&](auto &arg) {
		expect_right_arg(arg, handle, sizeof(handle));
		return 0;
	});
	EXPECT_EQ(dm_release_right(6, handle, sizeof(handle), 13), 0);
	on<DMAPI_IOC_UPGRADE_RIGHT, dmapi_right_arg>([&](auto &arg) {
		expect_right_arg(arg, handle, sizeof(handle));
		return 0;
	});
	EXPECT_EQ(dm_upgrade_right(6, handle, sizeof(handle), 13), 0);
	on<DMAPI_IOC_DOWNGRADE_RIGHT, dmapi_right_arg>([&](auto &arg) {
		expect_right_arg(arg, handle, sizeof(handle));
		return 0;
	});
	EXPECT_EQ(dm_downgrade_right(6, handle, sizeof(handle), 13), 0);
	EXPECT_EQ(fake.requests, (std::vector<unsigned long>{DMAPI_IOC_RELEASE_RIGHT,
							     DMAPI_IOC_UPGRADE_RIGHT,
							     DMAPI_IOC_DOWNGRADE_RIGHT}));
}

TEST_F(FakeDevice, ReleaseUpgradeAndDowngradePassTheirErrors)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_RELEASE_RIGHT, dmapi_right_arg>([](auto &) { return EACCES; });
	errno = 0;
	EXPECT_EQ(dm_release_right(6, handle, sizeof(handle), 13), -1);
	EXPECT_EQ(errno, EACCES);
	on<DMAPI_IOC_UPGRADE_RIGHT, dmapi_right_arg>([](auto &) { return EAGAIN; });
	errno = 0;
	EXPECT_EQ(dm_upgrade_right(6, handle, sizeof(handle), 13), -1);
	EXPECT_EQ(errno, EAGAIN);
	on<DMAPI_IOC_UPGRADE_RIGHT, dmapi_right_arg>([](auto &) { return EPERM; });
	errno = 0;
	EXPECT_EQ(dm_upgrade_right(6, handle, sizeof(handle), 13), -1);
	EXPECT_EQ(errno, EPERM);
	on<DMAPI_IOC_DOWNGRADE_RIGHT, dmapi_right_arg>([](auto &) { return EPERM; });
	errno = 0;
	EXPECT_EQ(dm_downgrade_right(6, handle, sizeof(handle), 13), -1);
	EXPECT_EQ(errno, EPERM);
}

TEST_F(FakeDevice, QueryRightStoresTheRight)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	std::uint32_t held = DMAPI_RIGHT_SHARED;
	on<DMAPI_IOC_QUERY_RIGHT, dmapi_right_arg>([&](auto &arg) {
		expect_right_arg(arg, handle, sizeof(handle));
		arg.right = held;
		return 0;
	});
	dm_right_t right = static_cast<dm_right_t>(99);
	ASSERT_EQ(dm_query_right(6, handle, sizeof(handle), 13, &right), 0);
	EXPECT_EQ(right, DM_RIGHT_SHARED);
	held = DMAPI_RIGHT_EXCL;
	ASSERT_EQ(dm_query_right(6, handle, sizeof(handle), 13, &right), 0);
	EXPECT_EQ(right, DM_RIGHT_EXCL);
	held = DMAPI_RIGHT_NULL;
	ASSERT_EQ(dm_query_right(6, handle, sizeof(handle), 13, &right), 0);
	EXPECT_EQ(right, DM_RIGHT_NULL);
}

TEST_F(FakeDevice, QueryRightLeavesTheRightOnErrors)
{
	on<DMAPI_IOC_QUERY_RIGHT, dmapi_right_arg>([](auto &arg) {
		arg.right = DMAPI_RIGHT_EXCL;
		return ESRCH;
	});
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_right_t right = static_cast<dm_right_t>(99);
	errno = 0;
	EXPECT_EQ(dm_query_right(6, handle, sizeof(handle), 13, &right), -1);
	EXPECT_EQ(errno, ESRCH);
	EXPECT_EQ(right, static_cast<dm_right_t>(99));
}

TEST_F(FakeDevice, QueryRightWithoutAPlaceForTheRightIsEFAULT)
{
	on<DMAPI_IOC_QUERY_RIGHT, dmapi_right_arg>([](auto &) { return 0; });
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	errno = 0;
	EXPECT_EQ(dm_query_right(6, handle, sizeof(handle), 13, nullptr), -1);
	EXPECT_EQ(errno, EFAULT);
	EXPECT_TRUE(fake.requests.empty());
}

TEST_F(FakeDevice, ObjRefHoldAndReleSendTheObject)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_OBJ_REF_HOLD, dmapi_right_arg>([&](auto &arg) {
		expect_right_arg(arg, handle, sizeof(handle));
		return 0;
	});
	EXPECT_EQ(dm_obj_ref_hold(6, 13, handle, sizeof(handle)), 0);
	on<DMAPI_IOC_OBJ_REF_RELE, dmapi_right_arg>([&](auto &arg) {
		expect_right_arg(arg, handle, sizeof(handle));
		return 0;
	});
	EXPECT_EQ(dm_obj_ref_rele(6, 13, handle, sizeof(handle)), 0);
	EXPECT_EQ(fake.requests, (std::vector<unsigned long>{DMAPI_IOC_OBJ_REF_HOLD,
							     DMAPI_IOC_OBJ_REF_RELE}));
}

TEST_F(FakeDevice, ObjRefHoldAndRelePassTheirErrors)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_OBJ_REF_HOLD, dmapi_right_arg>([](auto &) { return EBUSY; });
	errno = 0;
	EXPECT_EQ(dm_obj_ref_hold(6, 13, handle, sizeof(handle)), -1);
	EXPECT_EQ(errno, EBUSY);
	on<DMAPI_IOC_OBJ_REF_RELE, dmapi_right_arg>([](auto &) { return EACCES; });
	errno = 0;
	EXPECT_EQ(dm_obj_ref_rele(6, 13, handle, sizeof(handle)), -1);
	EXPECT_EQ(errno, EACCES);
}

TEST_F(FakeDevice, ObjRefQueryReturnsHeld)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	std::uint32_t held = 1;
	on<DMAPI_IOC_OBJ_REF_QUERY, dmapi_right_arg>([&](auto &arg) {
		expect_right_arg(arg, handle, sizeof(handle));
		arg.held = held;
		return 0;
	});
	EXPECT_EQ(dm_obj_ref_query(6, 13, handle, sizeof(handle)), 1);
	held = 0;
	EXPECT_EQ(dm_obj_ref_query(6, 13, handle, sizeof(handle)), 0);
	EXPECT_EQ(fake.requests, std::vector<unsigned long>(2, DMAPI_IOC_OBJ_REF_QUERY));
}

TEST_F(FakeDevice, ObjRefQueryFailsWithMinusOne)
{
	on<DMAPI_IOC_OBJ_REF_QUERY, dmapi_right_arg>([](auto &arg) {
		arg.held = 1;
		return ESRCH;
	});
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	errno = 0;
	EXPECT_EQ(dm_obj_ref_query(6, 13, handle, sizeof(handle)), -1);
	EXPECT_EQ(errno, ESRCH);
}

// The fields every DM attribute call sends.
void expect_dmattr_arg(const dmapi_dmattr_arg &arg, const void *handle, std::size_t hlen)
{
	EXPECT_EQ(arg.sid, 4);
	EXPECT_EQ(arg.token, 11);
	EXPECT_EQ(arg.hanp, address(handle));
	EXPECT_EQ(arg.hlen, hlen);
	EXPECT_EQ(arg.padding, 0u);
	EXPECT_EQ(arg.reserved, 0u);
}

// A binary name: every byte is sent, zeros and what follows them too.
const unsigned char kAttrName[DM_ATTR_NAME_SIZE] = {0xff, 0, 1, 2, 0, 0, 0, 9};

std::vector<unsigned char> attrname_of(const dmapi_dmattr_arg &arg)
{
	return {arg.attrname, arg.attrname + sizeof(arg.attrname)};
}

TEST_F(FakeDevice, SetDmattrPassesTheNameTheValueAndSetdtime)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_attrname_t name;
	std::memcpy(name.an_chars, kAttrName, sizeof(name.an_chars));
	char value[] = "tape:0042";
	std::vector<unsigned char> sent;
	std::uint32_t setdtime = 99;
	on<DMAPI_IOC_SET_DMATTR, dmapi_dmattr_arg>([&](auto &arg) {
		expect_dmattr_arg(arg, handle, sizeof(handle));
		EXPECT_EQ(arg.buf.ptr, address(value));
		EXPECT_EQ(arg.buf.len, 9u);
		EXPECT_EQ(arg.buf.rlen, 0u);
		sent = attrname_of(arg);
		setdtime = arg.setdtime;
		return 0;
	});
	// Any true value sets the dtime.
	ASSERT_EQ(dm_set_dmattr(4, handle, sizeof(handle), 11, &name, 5, 9, value), 0);
	EXPECT_EQ(sent, std::vector<unsigned char>(kAttrName, kAttrName + DM_ATTR_NAME_SIZE));
	EXPECT_EQ(setdtime, 1u);
	ASSERT_EQ(dm_set_dmattr(4, handle, sizeof(handle), 11, &name, 0, 9, value), 0);
	EXPECT_EQ(setdtime, 0u);
	EXPECT_EQ(fake.requests, std::vector<unsigned long>(2, DMAPI_IOC_SET_DMATTR));
}

TEST_F(FakeDevice, SetDmattrPassesAnEmptyValueAndItsErrors)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_attrname_t name;
	std::memcpy(name.an_chars, "hsmstate", DM_ATTR_NAME_SIZE);
	on<DMAPI_IOC_SET_DMATTR, dmapi_dmattr_arg>([&](auto &arg) {
		EXPECT_EQ(arg.buf.ptr, 0u);
		EXPECT_EQ(arg.buf.len, 0u);
		return 0;
	});
	EXPECT_EQ(dm_set_dmattr(4, handle, sizeof(handle), DM_NO_TOKEN, &name, 0, 0, nullptr), 0);
	for (int error : {E2BIG, ENOSPC, EINVAL, ESRCH, EBADF}) {
		on<DMAPI_IOC_SET_DMATTR, dmapi_dmattr_arg>([=](auto &) { return error; });
		char value[4] = {};
		errno = 0;
		EXPECT_EQ(dm_set_dmattr(4, handle, sizeof(handle), DM_NO_TOKEN, &name, 0,
					sizeof(value), value), -1);
		EXPECT_EQ(errno, error);
	}
}

TEST_F(FakeDevice, GetDmattrReturnsTheLength)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_attrname_t name;
	std::memcpy(name.an_chars, kAttrName, sizeof(name.an_chars));
	char buf[64];
	on<DMAPI_IOC_GET_DMATTR, dmapi_dmattr_arg>([&](auto &arg) {
		expect_dmattr_arg(arg, handle, sizeof(handle));
		EXPECT_EQ(attrname_of(arg),
			  std::vector<unsigned char>(kAttrName, kAttrName + DM_ATTR_NAME_SIZE));
		EXPECT_EQ(arg.setdtime, 0u);
		EXPECT_EQ(arg.buf.ptr, address(buf));
		EXPECT_EQ(arg.buf.len, sizeof(buf));
		std::memcpy(buf, "online", 6);
		arg.buf.rlen = 6;
		return 0;
	});
	size_t rlen = 0;
	ASSERT_EQ(dm_get_dmattr(4, handle, sizeof(handle), 11, &name, sizeof(buf), buf, &rlen), 0);
	EXPECT_EQ(rlen, 6u);
	EXPECT_EQ(std::string(buf, rlen), "online");
}

TEST_F(FakeDevice, GetDmattrReportsTheLengthOnE2BIG)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_attrname_t name;
	std::memcpy(name.an_chars, "hsmstate", DM_ATTR_NAME_SIZE);
	char buf[4];
	on<DMAPI_IOC_GET_DMATTR, dmapi_dmattr_arg>([&](auto &arg) {
		EXPECT_EQ(arg.buf.len, sizeof(buf));
		arg.buf.rlen = 300;
		return E2BIG;
	});
	size_t rlen = 0;
	errno = 0;
	EXPECT_EQ(dm_get_dmattr(4, handle, sizeof(handle), DM_NO_TOKEN, &name, sizeof(buf), buf,
				&rlen), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(rlen, 300u);
}

TEST_F(FakeDevice, GetDmattrLeavesTheLengthOnOtherErrors)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_attrname_t name;
	std::memcpy(name.an_chars, "hsmstate", DM_ATTR_NAME_SIZE);
	char buf[4];
	for (int error : {ENOENT, EINVAL, ESRCH, EBADF}) {
		on<DMAPI_IOC_GET_DMATTR, dmapi_dmattr_arg>([=](auto &arg) {
			arg.buf.rlen = 300;
			return error;
		});
		size_t rlen = 99;
		errno = 0;
		EXPECT_EQ(dm_get_dmattr(4, handle, sizeof(handle), DM_NO_TOKEN, &name, sizeof(buf),
					buf, &rlen), -1);
		EXPECT_EQ(errno, error);
		EXPECT_EQ(rlen, 99u);
	}
}

TEST_F(FakeDevice, RemoveDmattrPassesTheNameAndSetdtime)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_attrname_t name;
	std::memcpy(name.an_chars, kAttrName, sizeof(name.an_chars));
	std::uint32_t setdtime = 99;
	on<DMAPI_IOC_REMOVE_DMATTR, dmapi_dmattr_arg>([&](auto &arg) {
		expect_dmattr_arg(arg, handle, sizeof(handle));
		EXPECT_EQ(attrname_of(arg),
			  std::vector<unsigned char>(kAttrName, kAttrName + DM_ATTR_NAME_SIZE));
		EXPECT_EQ(arg.buf.ptr, 0u);
		EXPECT_EQ(arg.buf.len, 0u);
		setdtime = arg.setdtime;
		return 0;
	});
	ASSERT_EQ(dm_remove_dmattr(4, handle, sizeof(handle), 11, DM_TRUE, &name), 0);
	EXPECT_EQ(setdtime, 1u);
	ASSERT_EQ(dm_remove_dmattr(4, handle, sizeof(handle), 11, DM_FALSE, &name), 0);
	EXPECT_EQ(setdtime, 0u);
	on<DMAPI_IOC_REMOVE_DMATTR, dmapi_dmattr_arg>([](auto &) { return ENOENT; });
	errno = 0;
	EXPECT_EQ(dm_remove_dmattr(4, handle, sizeof(handle), 11, DM_FALSE, &name), -1);
	EXPECT_EQ(errno, ENOENT);
	EXPECT_EQ(fake.requests, std::vector<unsigned long>(3, DMAPI_IOC_REMOVE_DMATTR));
}

TEST_F(FakeDevice, DmattrCallsWithoutANameAreEFAULT)
{
	on<DMAPI_IOC_SET_DMATTR, dmapi_dmattr_arg>([](auto &) { return 0; });
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	char buf[8] = {};
	size_t rlen = 99;
	errno = 0;
	EXPECT_EQ(dm_set_dmattr(4, handle, sizeof(handle), DM_NO_TOKEN, nullptr, 0, sizeof(buf),
				buf), -1);
	EXPECT_EQ(errno, EFAULT);
	errno = 0;
	EXPECT_EQ(dm_get_dmattr(4, handle, sizeof(handle), DM_NO_TOKEN, nullptr, sizeof(buf), buf,
				&rlen), -1);
	EXPECT_EQ(errno, EFAULT);
	EXPECT_EQ(rlen, 99u);
	errno = 0;
	EXPECT_EQ(dm_remove_dmattr(4, handle, sizeof(handle), DM_NO_TOKEN, 0, nullptr), -1);
	EXPECT_EQ(errno, EFAULT);
	EXPECT_TRUE(fake.requests.empty());
}

TEST_F(FakeDevice, DmattrCallsWithoutALengthPointerAreEFAULT)
{
	on<DMAPI_IOC_GET_DMATTR, dmapi_dmattr_arg>([](auto &) { return 0; });
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	dm_attrname_t name;
	std::memcpy(name.an_chars, "hsmstate", DM_ATTR_NAME_SIZE);
	char buf[8] = {};
	errno = 0;
	EXPECT_EQ(dm_get_dmattr(4, handle, sizeof(handle), DM_NO_TOKEN, &name, sizeof(buf), buf,
				nullptr), -1);
	EXPECT_EQ(errno, EFAULT);
	errno = 0;
	EXPECT_EQ(dm_getall_dmattr(4, handle, sizeof(handle), DM_NO_TOKEN, sizeof(buf), buf,
				   nullptr), -1);
	EXPECT_EQ(errno, EFAULT);
	EXPECT_TRUE(fake.requests.empty());
}

TEST_F(FakeDevice, GetallDmattrPassesTheBufferAndReturnsTheLength)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	alignas(8) char buf[128];
	on<DMAPI_IOC_GETALL_DMATTR, dmapi_dmattr_arg>([&](auto &arg) {
		expect_dmattr_arg(arg, handle, sizeof(handle));
		// No name: getall sends zeros.
		EXPECT_EQ(attrname_of(arg), std::vector<unsigned char>(DM_ATTR_NAME_SIZE, 0));
		EXPECT_EQ(arg.setdtime, 0u);
		EXPECT_EQ(arg.buf.ptr, address(buf));
		EXPECT_EQ(arg.buf.len, sizeof(buf));
		// One record, its value after it.
		dmapi_attrlist rec{};
		std::memcpy(rec.al_name, kAttrName, sizeof(rec.al_name));
		rec.al_data.vd_offset = 24;
		rec.al_data.vd_length = 6;
		std::memcpy(buf, &rec, sizeof(rec));
		std::memcpy(buf + 24, "online", 6);
		arg.buf.rlen = 32;
		return 0;
	});
	size_t rlen = 0;
	ASSERT_EQ(dm_getall_dmattr(4, handle, sizeof(handle), 11, sizeof(buf), buf, &rlen), 0);
	EXPECT_EQ(rlen, 32u);
	auto *rec = reinterpret_cast<dm_attrlist_t *>(buf);
	EXPECT_EQ(std::memcmp(rec->al_name.an_chars, kAttrName, DM_ATTR_NAME_SIZE), 0);
	EXPECT_EQ(std::string(DM_GET_VALUE(rec, al_data, char *), DM_GET_LEN(rec, al_data)),
		  "online");
	EXPECT_EQ(DM_STEP_TO_NEXT(rec, dm_attrlist_t *), nullptr);
}

TEST_F(FakeDevice, GetallDmattrReportsTheNeededSizeOnE2BIG)
{
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	on<DMAPI_IOC_GETALL_DMATTR, dmapi_dmattr_arg>([](auto &arg) {
		EXPECT_EQ(arg.buf.ptr, 0u);
		EXPECT_EQ(arg.buf.len, 0u);
		arg.buf.rlen = 72;
		return E2BIG;
	});
	size_t rlen = 0;
	errno = 0;
	EXPECT_EQ(dm_getall_dmattr(4, handle, sizeof(handle), DM_NO_TOKEN, 0, nullptr, &rlen), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(rlen, 72u);
}

TEST_F(FakeDevice, GetallDmattrLeavesTheLengthOnOtherErrors)
{
	on<DMAPI_IOC_GETALL_DMATTR, dmapi_dmattr_arg>([](auto &arg) {
		arg.buf.rlen = 72;
		return EBADF;
	});
	unsigned char handle[DMAPI_HANDLE_LEN] = {};
	char buf[8];
	size_t rlen = 99;
	errno = 0;
	EXPECT_EQ(dm_getall_dmattr(4, handle, sizeof(handle), DM_NO_TOKEN, sizeof(buf), buf,
				   &rlen), -1);
	EXPECT_EQ(errno, EBADF);
	EXPECT_EQ(rlen, 99u);
}

TEST_F(FakeDevice, DestroySessionPassesTheId)
{
	on<DMAPI_IOC_DESTROY_SESSION, dmapi_session_arg>([](auto &arg) {
		return arg.sid == 3 ? 0 : EINVAL;
	});
	EXPECT_EQ(dm_destroy_session(3), 0);
	EXPECT_EQ(dm_destroy_session(4), -1);
	EXPECT_EQ(errno, EINVAL);
}

// A buffer larger than the module ever fills is not made that large: the
// module is asked to fill what it can, and a 32-bit caller's buffer of
// 2 GiB or more does not end the program.
TEST_F(FakeDevice, ScansWithAHugeBufferAskForTheMostTheModuleFills)
{
	std::vector<std::uint64_t> asked;
	on<DMAPI_IOC_GET_BULKATTR, dmapi_scan_arg>([&](auto &arg) {
		asked.push_back(arg.buf.len);
		arg.buf.rlen = 0;
		arg.more = 0;
		return 0;
	});
	unsigned char fshandle[DMAPI_FSHANDLE_LEN] = {};
	alignas(8) char buf[64];
	dm_attrloc_t loc = 0;
	size_t rlen = 1;
	for (size_t buflen : {SIZE_MAX, SIZE_MAX / 2 + 1, size_t{DMAPI_MAX_BATCH} + 1}) {
		EXPECT_EQ(dm_get_bulkattr(3, fshandle, sizeof(fshandle), DM_NO_TOKEN, 0, &loc,
					  buflen, buf, &rlen), 0) << strerror(errno);
		EXPECT_EQ(rlen, 0u);
	}
	ASSERT_EQ(asked.size(), 3u);
	for (std::uint64_t len : asked)
		EXPECT_EQ(len, std::uint64_t{DMAPI_MAX_BATCH} + 4096);
}

// A first record that grows each time it is asked for (a DM attribute a
// DM application lengthens meanwhile) ends in E2BIG with a size that
// holds the last one, never with *rlenp left as it was.
TEST_F(FakeDevice, AScanWhoseFirstRecordKeepsGrowingReportsASizeThatHoldsIt)
{
	std::uint64_t grown = 0;
	on<DMAPI_IOC_GET_BULKATTR, dmapi_scan_arg>([&](auto &arg) {
		grown = arg.buf.len + 1000;
		arg.buf.rlen = grown;
		return E2BIG;
	});
	unsigned char fshandle[DMAPI_FSHANDLE_LEN] = {};
	dm_attrname_t name = {};
	alignas(8) char buf[64];
	dm_attrloc_t loc = 0;
	size_t rlen = 0;
	EXPECT_EQ(dm_get_bulkall(3, fshandle, sizeof(fshandle), DM_NO_TOKEN, 0, &name, &loc,
				 sizeof(buf), buf, &rlen), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_GE(rlen, grown);
	EXPECT_LT(fake.requests.size(), 20u) << "asked again without end";
}

// A caller's room for more entries than any filesystem has is not zeroed
// whole: the library asks for a few, then for what the module says.
TEST_F(FakeDevice, GetallInheritAsksForWhatTheModuleHas)
{
	unsigned int entries = 1;
	std::vector<std::uint32_t> asked;
	on<DMAPI_IOC_GETALL_INHERIT, dmapi_inherit_arg>([&](auto &arg) {
		asked.push_back(arg.nelem);
		arg.nelem_out = entries;
		if (arg.nelem < entries)
			return E2BIG;
		auto *out = reinterpret_cast<dmapi_inherit *>(static_cast<std::uintptr_t>(arg.buf));
		for (unsigned int i = 0; i < entries; i++) {
			std::memset(out[i].ih_name, 'a' + i % 26, sizeof(out[i].ih_name));
			out[i].ih_filetype = S_IFREG;
		}
		return 0;
	});
	unsigned char fshandle[DMAPI_FSHANDLE_LEN] = {};
	std::vector<dm_inherit_t> buf(40);
	unsigned int n = 0;
	/* As much room as a caller may claim: far more than it has. */
	EXPECT_EQ(dm_getall_inherit(3, fshandle, sizeof(fshandle), DM_NO_TOKEN, UINT_MAX,
				    buf.data(), &n), 0) << strerror(errno);
	EXPECT_EQ(n, 1u);
	ASSERT_EQ(asked.size(), 1u);
	EXPECT_LE(asked[0], 64u);

	entries = 40;
	asked.clear();
	EXPECT_EQ(dm_getall_inherit(3, fshandle, sizeof(fshandle), DM_NO_TOKEN, buf.size(),
				    buf.data(), &n), 0) << strerror(errno);
	EXPECT_EQ(n, 40u);
	EXPECT_EQ(buf[39].ih_name.an_chars[0], 'a' + 39 % 26);
	EXPECT_EQ(buf[39].ih_filetype, mode_t{S_IFREG});
	EXPECT_EQ(asked.back(), 40u);

	/* More than the caller has room for: E2BIG with the count. */
	EXPECT_EQ(dm_getall_inherit(3, fshandle, sizeof(fshandle), DM_NO_TOKEN, 39, buf.data(),
				    &n), -1);
	EXPECT_EQ(errno, E2BIG);
	EXPECT_EQ(n, 40u);
}

// A batch of READ events, as the module delivers them: tokens 1 to n.
void deliver_reads(dmapi_get_events_arg &arg, unsigned int n)
{
	auto *out = reinterpret_cast<char *>(static_cast<std::uintptr_t>(arg.buf.ptr));
	std::size_t size = sizeof(dm_eventmsg_t) + sizeof(dm_data_event_t);
	for (unsigned int i = 0; i < n; i++) {
		dm_eventmsg_t msg{};
		msg._link = i + 1 < n ? static_cast<int>(size) : 0;
		msg.ev_type = DM_EVENT_READ;
		msg.ev_token = i + 1;
		msg.ev_data.vd_offset = sizeof(dm_eventmsg_t);
		msg.ev_data.vd_length = sizeof(dm_data_event_t);
		std::memset(out + i * size, 0, size);
		std::memcpy(out + i * size, &msg, sizeof(msg));
	}
	arg.buf.rlen = n * size;
}

// A module that delivers three READ events at every GET_EVENTS and gives
// each RESPOND_EVENT to @respond: 0, or the errno to fail with.
void answer_reads(std::function<int(dmapi_respond_arg &)> respond)
{
	fake.answer = [respond](unsigned long request, void *p) {
		if (request == DMAPI_IOC_GET_EVENTS) {
			deliver_reads(*static_cast<dmapi_get_events_arg *>(p), 3);
			return 0;
		}
		if (request != DMAPI_IOC_RESPOND_EVENT)
			return ENOTTY;
		return respond(*static_cast<dmapi_respond_arg *>(p));
	};
}

// A handler's answer that the module refuses (DONTCARE to a READ) is
// answered ABORT EIO, and the rest of the batch is answered all the same:
// nobody is left waiting.
TEST_F(FakeDevice, AnEventLoopAnswersEveryMessageOfABatch)
{
	struct Answer {
		dm_token_t token;
		std::uint32_t response;
		std::int32_t error;
		bool operator==(const Answer &o) const
		{
			return token == o.token && response == o.response && error == o.error;
		}
	};
	std::vector<Answer> answers;
	answer_reads([&](dmapi_respond_arg &arg) {
		if (arg.response == DMAPI_RESP_DONTCARE)
			return EINVAL;
		answers.push_back({arg.token, arg.response, arg.reterror});
		return 0;
	});
	xdsm::Session session(2);
	xdsm::EventLoop loop(session);
	loop.on(DM_EVENT_READ, [](const xdsm::Message &msg) {
		return msg.token() == 1 ? xdsm::Reply::dontcare() : xdsm::Reply::cont();
	});
	EXPECT_NO_THROW(loop.run_once(false));
	EXPECT_EQ(answers, (std::vector<Answer>{{1, DMAPI_RESP_ABORT, EIO},
						 {2, DMAPI_RESP_CONTINUE, 0},
						 {3, DMAPI_RESP_CONTINUE, 0}}));
}

// stop() ends run(), not the loop: run_once() after it still takes and
// answers messages.
TEST_F(FakeDevice, AStoppedEventLoopStillAnswersWhatRunOnceTakes)
{
	int answered = 0;
	answer_reads([&](dmapi_respond_arg &) {
		answered++;
		return 0;
	});
	xdsm::Session session(2);
	xdsm::EventLoop loop(session);
	loop.stop();
	EXPECT_NO_THROW(loop.run_once(true));
	EXPECT_EQ(answered, 3);
}

// Releasing a right or a reference as the guard goes tells nobody of a
// failure, and leaves the caller's errno alone.
TEST_F(FakeDevice, RightAndObjRefGuardsLeaveErrnoAlone)
{
	fake.answer = [](unsigned long request, void *) {
		switch (request) {
		case DMAPI_IOC_QUERY_RIGHT:
		case DMAPI_IOC_REQUEST_RIGHT:
		case DMAPI_IOC_OBJ_REF_HOLD:
			return 0;
		default:
			return ESRCH;	/* the token was answered meanwhile */
		}
	};
	xdsm::Session session(2);
	unsigned char bytes[DMAPI_HANDLE_LEN] = {};
	xdsm::Handle handle(bytes, sizeof(bytes));
	{
		xdsm::Right right(session, handle, 5, DM_RIGHT_EXCL);
		xdsm::ObjRef ref(session, handle, 5);
		errno = ENOSPC;
	}
	EXPECT_EQ(errno, ENOSPC);
	EXPECT_EQ(fake.requests.back(), DMAPI_IOC_RELEASE_RIGHT) << "the right was not released";
}

/* The errno of the std::system_error fn threw, or 0. */
template <typename Fn> int thrown(Fn fn)
{
	try {
		fn();
	} catch (const std::system_error &e) {
		return e.code().value();
	}
	return 0;
}

// A module that answers E2BIG without asking for more room (an older or
// a broken one) ends the asking: the call fails E2BIG.
TEST_F(FakeDevice, TokensAreAskedForAgainOnlyWhileMoreRoomIsAskedFor)
{
	int calls = 0;
	on<DMAPI_IOC_GETALL_TOKENS, dmapi_getall_arg>([&](auto &arg) {
		if (++calls > 50) {	/* so that the defect cannot hang the test */
			arg.nelem_out = 0;
			return 0;
		}
		arg.nelem_out = arg.nelem;
		return E2BIG;
	});
	xdsm::Session session(2);
	EXPECT_EQ(thrown([&] { session.tokens(); }), E2BIG);
	EXPECT_LE(calls, 8);
}

// A session that gains tokens between two calls: asking for exactly the
// count the module gave would be too little again each time.
TEST_F(FakeDevice, TheTokensOfASessionGainingSomeBetweenCallsAreAllFound)
{
	unsigned int outstanding = 16;
	int calls = 0;
	on<DMAPI_IOC_GETALL_TOKENS, dmapi_getall_arg>([&](auto &arg) {
		calls++;
		outstanding = std::min(outstanding + 5, 1000u);
		arg.nelem_out = outstanding;
		if (arg.nelem < outstanding)
			return E2BIG;
		auto *tokens = reinterpret_cast<std::int32_t *>(static_cast<std::uintptr_t>(arg.buf));
		for (unsigned int i = 0; i < outstanding; i++)
			tokens[i] = static_cast<std::int32_t>(i + 1);
		return 0;
	});
	xdsm::Session session(2);
	std::vector<dm_token_t> tokens;
	EXPECT_EQ(thrown([&] { tokens = session.tokens(); }), 0);
	EXPECT_EQ(tokens.size(), outstanding);
	EXPECT_LE(calls, 3) << "asked again for every few tokens gained";
}

// Scan records as the module writes them, with a DM attribute value of
// attrlen bytes each; more set.
void put_scan_records(dmapi_scan_arg &arg, std::initializer_list<std::uint64_t> inos,
		      std::uint32_t attrlen = 0)
{
	std::size_t reclen = sizeof(dmapi_stat) + ((attrlen + 7) & ~7u);
	auto *out = reinterpret_cast<unsigned char *>(static_cast<std::uintptr_t>(arg.buf.ptr));
	if (arg.buf.len < reclen) {
		arg.buf.rlen = reclen;
		return;
	}
	std::size_t used = 0;
	for (std::uint64_t ino : inos) {
		if (used + reclen > arg.buf.len)
			break;
		dmapi_stat st{};
		st.dt_reclen = static_cast<std::uint32_t>(reclen);
		st.dt_ino = ino;
		st.dt_loc = static_cast<std::int64_t>(ino + 1);
		st.dt_attrlen = attrlen;
		std::memset(out + used, 'v', reclen);
		std::memcpy(out + used, &st, sizeof(st));
		used += reclen;
	}
	arg.buf.rlen = used;
	arg.more = 1;
}

// A module whose scans start anywhere and whose GET_BULKATTR is @fill
// (the argument, and which call it is, from 1).
void answer_bulkattr(std::function<int(dmapi_scan_arg &, int)> fill)
{
	fake.answer = [fill, calls = 0](unsigned long request, void *p) mutable {
		if (request == DMAPI_IOC_INIT_ATTRLOC)
			return 0;
		if (request != DMAPI_IOC_GET_BULKATTR)
			return ENOTTY;
		return fill(*static_cast<dmapi_scan_arg *>(p), ++calls);
	};
}

// A copy of a scan made part way reads on from its own records, whatever
// the original reads next.
TEST_F(FakeDevice, ACopyOfAScanReadsItsOwnRecords)
{
	answer_bulkattr([](dmapi_scan_arg &arg, int call) {
		put_scan_records(arg, call == 1 ? std::initializer_list<std::uint64_t>{10, 11} :
						  std::initializer_list<std::uint64_t>{20, 21});
		return 0;
	});
	unsigned char bytes[DMAPI_FSHANDLE_LEN] = {};
	xdsm::Scan scan(2, xdsm::Handle(bytes, sizeof(bytes)), xdsm::Scan::Kind::filesystem,
			DM_AT_STAT);
	auto it = scan.begin();
	ASSERT_EQ(it->stat.dt_ino, 10u);
	xdsm::Scan copy = scan;
	++it;
	++it;	/* the original reads its next records into its buffer */
	ASSERT_EQ(it->stat.dt_ino, 20u);
	EXPECT_EQ(copy.begin()->stat.dt_ino, 11u);
}

// Steps that find no object (unused inode numbers, objects outside a
// subtree's tree) go on: a call that returns 1 has records, so a loop in
// SGI's style, walking the buffer without looking at rlen, sees no batch
// twice.
TEST_F(FakeDevice, AScanStepThatFindsNothingGoesOnToRecords)
{
	answer_bulkattr([](dmapi_scan_arg &arg, int call) {
		if (call == 2 || call == 3) {
			arg.buf.rlen = 0;
			arg.loc += 1000;
			arg.more = 1;
			return 0;
		}
		put_scan_records(arg, {static_cast<std::uint64_t>(arg.loc)});
		arg.loc += 1;
		arg.more = call < 4;
		return 0;
	});
	unsigned char fshandle[DMAPI_FSHANDLE_LEN] = {};
	dm_attrloc_t loc = 5;
	alignas(8) unsigned char buf[sizeof(dm_stat_t) + 64];
	std::vector<std::uint64_t> seen;
	int more;
	do {
		std::size_t rlen = 0;
		more = dm_get_bulkattr(3, fshandle, sizeof(fshandle), DM_NO_TOKEN, DM_AT_STAT, &loc,
				       sizeof(buf), buf, &rlen);
		ASSERT_GE(more, 0) << strerror(errno);
		if (more) {
			EXPECT_GT(rlen, 0u);
		}
		if (rlen)
			seen.push_back(reinterpret_cast<dm_stat_t *>(buf)->dt_ino);
	} while (more == 1);
	EXPECT_EQ(seen, (std::vector<std::uint64_t>{5, 2006}));
}

// A first record whose DM attribute another DM application keeps making
// longer meanwhile: the scan's buffer grows as often as it must.
TEST_F(FakeDevice, AScanGrowsItsBufferAsOftenAsItsFirstRecordGrows)
{
	answer_bulkattr([](dmapi_scan_arg &arg, int call) {
		put_scan_records(arg, {10}, call < 3 ? 2000u * static_cast<unsigned>(call) : 4000u);
		return arg.buf.rlen > arg.buf.len ? E2BIG : 0;
	});
	unsigned char bytes[DMAPI_FSHANDLE_LEN] = {};
	xdsm::Scan scan(2, xdsm::Handle(bytes, sizeof(bytes)),
			xdsm::Scan::Kind::filesystem_with_attribute, DM_AT_STAT, "attr", 1024);
	std::size_t value = 0;
	EXPECT_EQ(thrown([&] { value = scan.begin()->attribute.size(); }), 0);
	EXPECT_EQ(value, 4000u);
}

// An answer of no length a handle has is not the module's: it fails EIO,
// and the library hands out no handle.
TEST_F(FakeDevice, FdToHandleRefusesAHandleOfNoHandlesLength)
{
	for (std::uint64_t hlen : {std::uint64_t{0}, std::uint64_t{DMAPI_FSHANDLE_LEN},
				   std::uint64_t{DMAPI_HANDLE_LEN + 1}, std::uint64_t{1} << 40}) {
		on<DMAPI_IOC_FD_TO_HANDLE, dmapi_fd_to_handle_arg>([hlen](auto &arg) {
			arg.hlen = hlen;
			return 0;
		});
		void *hanp = nullptr;
		std::size_t hlen_out = 0;
		EXPECT_EQ(dm_fd_to_handle(0, &hanp, &hlen_out), -1) << "hlen " << hlen;
		EXPECT_EQ(errno, EIO) << "hlen " << hlen;
		EXPECT_EQ(hanp, nullptr);
	}
}

// A path length of 0 (no room for its NUL) or past the buffer the library
// gave is not the module's answer either.
TEST_F(FakeDevice, HandleToPathRefusesAPathOfNoPathsLength)
{
	for (std::uint64_t rlen : {std::uint64_t{0}, std::uint64_t{1} << 20}) {
		on<DMAPI_IOC_HANDLE_TO_PATH, dmapi_handle_to_path_arg>([rlen](auto &arg) {
			arg.buf.rlen = rlen;
			return 0;
		});
		unsigned char dir[DMAPI_HANDLE_LEN] = {}, target[DMAPI_HANDLE_LEN] = {};
		char path[64];
		std::size_t rlen_out = 0;
		EXPECT_EQ(dm_handle_to_path(dir, sizeof(dir), target, sizeof(target), sizeof(path),
					    path, &rlen_out),
			  -1)
			<< "rlen " << rlen;
		EXPECT_EQ(errno, EIO) << "rlen " << rlen;
	}
}

} // namespace
