// SPDX-License-Identifier: GPL-2.0
//
// The library without the module: every call that needs the kernel fails
// ENOSYS, whatever stands at the device path, and argument errors the
// library itself detects come first.  DMAPI_DEVICE points the library at
// the paths under test.
#include <xdsm/dmapi.h>

#include "kernel_calls.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <gtest/gtest.h>
#include <poll.h>
#include <string>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

// Sets DMAPI_DEVICE for one test and puts the old value back.
class DevicePath {
public:
	explicit DevicePath(const std::string &path)
	{
		if (const char *old = std::getenv("DMAPI_DEVICE"))
			saved_ = old;
		had_ = std::getenv("DMAPI_DEVICE") != nullptr;
		::setenv("DMAPI_DEVICE", path.c_str(), 1);
	}
	~DevicePath()
	{
		if (had_)
			::setenv("DMAPI_DEVICE", saved_.c_str(), 1);
		else
			::unsetenv("DMAPI_DEVICE");
	}

private:
	std::string saved_;
	bool had_ = false;
};

// Every kernel call fails with the device's error.
void expect_all_fail(int device_error)
{
	Args args;
	auto calls = kernel_calls(args);
	// dm_init_service and the 10 pure handle functions are the rest of 69.
	EXPECT_EQ(calls.size(), 69u - 11u);
	for (auto &[name, call] : calls) {
		errno = 0;
		EXPECT_EQ(call(), -1) << name;
		EXPECT_EQ(errno, device_error) << name << ": " << std::strerror(errno);
	}
}

void expect_init_fails(int error)
{
	char *version = nullptr;
	errno = 0;
	EXPECT_EQ(dm_init_service(&version), -1);
	EXPECT_EQ(errno, error) << std::strerror(errno);
	ASSERT_NE(version, nullptr);
	EXPECT_STREQ(version, DM_VER_STR_CONTENTS);
}

TEST(NoDevice, MissingDeviceIsENOSYS)
{
	DevicePath path("/nonexistent/dmapi");
	expect_init_fails(ENOSYS);
	expect_all_fail(ENOSYS);
}

TEST(NoDevice, NullDeviceIsENOSYS)
{
	// Opens fine; the version ioctl fails ENOTTY.
	DevicePath path("/dev/null");
	expect_init_fails(ENOSYS);
	expect_all_fail(ENOSYS);
}

TEST(NoDevice, RegularFileIsENOSYS)
{
	char name[] = "/tmp/dmapi-unit-XXXXXX";
	int fd = ::mkstemp(name);
	ASSERT_GE(fd, 0);
	::close(fd);
	{
		DevicePath path(name);
		expect_init_fails(ENOSYS);
		expect_all_fail(ENOSYS);
	}
	::unlink(name);
}

// A path this process may not open for writing, or "" if none is known.
std::string forbidden_path(const std::string &scratch)
{
	if (::geteuid() != 0) {
		int fd = ::open(scratch.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0);
		if (fd < 0)
			return {};
		::close(fd);
		return scratch;
	}
	// Root overrides file modes; a sysfs attribute without write
	// methods still refuses it.
	const char *candidate = "/sys/kernel/notes";
	int fd = ::open(candidate, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		::close(fd);
		return {};
	}
	return errno == EACCES ? candidate : std::string{};
}

TEST(NoDevice, NoAccessIsEPERMAndIsRetried)
{
	std::string scratch = "/tmp/dmapi-unit-noaccess-" + std::to_string(::getpid());
	std::string forbidden = forbidden_path(scratch);
	if (forbidden.empty()) {
		::unlink(scratch.c_str());
		GTEST_SKIP() << "no path that refuses this user";
	}

	{
		// A failed open is not remembered: the next call looks again.
		DevicePath missing("/nonexistent/dmapi");
		expect_init_fails(ENOSYS);
	}
	{
		DevicePath path(forbidden);
		expect_init_fails(EPERM);
		expect_all_fail(EPERM);
	}
	::unlink(scratch.c_str());
}

// The byte the other end of pipe fd writes, or 0 after timeout_ms.
char read_byte(int fd, int timeout_ms)
{
	pollfd pfd{fd, POLLIN, 0};
	char byte = 0;
	if (::poll(&pfd, 1, timeout_ms) == 1 && ::read(fd, &byte, 1) != 1)
		byte = 0;
	return byte;
}

// Holds a write lease on path in a process of its own, so that an open of
// path blocks until release(): a device open that stays in the kernel for
// as long as a test needs.
class LeaseHolder {
public:
	explicit LeaseHolder(const std::string &path)
	{
		int ready[2], go[2];
		if (::pipe2(ready, O_CLOEXEC) || ::pipe2(go, O_CLOEXEC))
			return;
		pid_ = ::fork();
		if (pid_ == 0) {
			::close(ready[0]);
			::close(go[1]);
			hold(path, ready[1], go[0]);
		}
		::close(ready[1]);
		::close(go[0]);
		from_ = ready[0];
		to_ = go[1];
		state_ = read_byte(from_, 10000);
	}
	~LeaseHolder()
	{
		release();
		if (pid_ > 0) {
			::kill(pid_, SIGKILL);	/* if no open ever came */
			::waitpid(pid_, nullptr, 0);
		}
		::close(from_);
	}
	// 'l' once the lease is held, or 0.
	char state() const { return state_; }
	// Whether an open is waiting for the lease, within timeout_ms.
	bool broken(int timeout_ms) { return read_byte(from_, timeout_ms) == 'b'; }
	void release()
	{
		if (to_ >= 0)
			::close(to_);
		to_ = -1;
	}

private:
	[[noreturn]] static void hold(const std::string &path, int ready, int go)
	{
		::prctl(PR_SET_PDEATHSIG, SIGKILL);
		// A lease's break is signalled with SIGIO, whose default ends us.
		sigset_t io;
		::sigemptyset(&io);
		::sigaddset(&io, SIGIO);
		::sigprocmask(SIG_BLOCK, &io, nullptr);
		int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
		if (fd < 0 || ::fcntl(fd, F_SETLEASE, F_WRLCK) < 0)
			::_exit(1);
		if (::write(ready, "l", 1) != 1)
			::_exit(1);
		// While a break is pending, the lease reads as what it must
		// become.
		while (::fcntl(fd, F_GETLEASE) == F_WRLCK)
			::usleep(1000);
		if (::write(ready, "b", 1) != 1)
			::_exit(1);
		char byte;
		while (::read(go, &byte, 1) > 0)
			;
		::_exit(0);
	}

	pid_t pid_ = -1;
	int from_ = -1;
	int to_ = -1;
	char state_ = 0;
};

// A child forked while another thread of its parent is opening the device
// opens its own: the library holds no lock across the open that the child
// would inherit held.
TEST(NoDevice, AChildForkedDuringTheFirstOpenOpensItsOwn)
{
	char dir[] = "/tmp/dmapi-unit-fork-XXXXXX";
	ASSERT_NE(::mkdtemp(dir), nullptr);
	std::string device = std::string(dir) + "/device";
	int fd = ::open(device.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	::close(fd);

	LeaseHolder lease(device);
	if (lease.state() != 'l') {
		::unlink(device.c_str());
		::rmdir(dir);
		GTEST_SKIP() << "no write lease on a file under /tmp here";
	}

	DevicePath path(device);
	int opener_errno = 0;
	std::thread opener([&] {
		char *version = nullptr;
		if (dm_init_service(&version) < 0)
			opener_errno = errno;
	});
	bool waiting = lease.broken(10000);
	EXPECT_TRUE(waiting) << "the first open did not reach the kernel";

	pid_t child = ::fork();
	if (child == 0) {
		::setenv("DMAPI_DEVICE", "/dev/null", 1);
		char *version = nullptr;
		::_exit(dm_init_service(&version) == -1 && errno == ENOSYS ? 0 : 1);
	}
	EXPECT_GT(child, 0) << std::strerror(errno);
	int status = 0;
	pid_t done = 0;
	for (int ms = 0; child > 0 && ms < 10000 && done == 0; ms += 10) {
		done = ::waitpid(child, &status, WNOHANG);
		if (done == 0)
			::usleep(10000);
	}
	if (child > 0 && done == 0) {
		::kill(child, SIGKILL);
		::waitpid(child, &status, 0);
	}
	EXPECT_EQ(done, child) << "the child's first call waited for its parent's open";
	EXPECT_TRUE(done != child || (WIFEXITED(status) && WEXITSTATUS(status) == 0));

	lease.release();
	opener.join();
	EXPECT_EQ(opener_errno, ENOSYS) << std::strerror(opener_errno);
	::unlink(device.c_str());
	::rmdir(dir);
}

TEST(NoDevice, DefaultPathWithoutModuleIsENOSYS)
{
	if (::access("/dev/dmapi", F_OK) == 0)
		GTEST_SKIP() << "/dev/dmapi exists here";
	::unsetenv("DMAPI_DEVICE");
	expect_init_fails(ENOSYS);
}

// Output pointers the library fills itself are checked before anything
// reaches the kernel, so nothing is created that the caller cannot learn of;
// so are the inputs it copies itself (event sets, attribute names).
TEST(NoDevice, NullOutputPointersAreEFAULT)
{
	DevicePath path("/nonexistent/dmapi");
	Args a;
	void *h = a.handle;
	const size_t hl = sizeof(a.handle);
	dm_region_t region{};
	dm_extent_t extent{};
	dm_off_t off = 0;
	dm_size_t len = 0;
	const std::vector<Call> calls = {
		{"dm_init_service", [&] { return dm_init_service(nullptr); }},
		{"dm_get_config", [&] { return dm_get_config(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_CONFIG_LEGACY, nullptr); }},
		{"dm_get_config_events/set", [&] { return dm_get_config_events(h, hl, DM_EVENT_MAX, nullptr, &a.nelem); }},
		{"dm_get_config_events/nelem", [&] { return dm_get_config_events(h, hl, DM_EVENT_MAX, &a.events, nullptr); }},
		{"dm_create_session/info", [&] { return dm_create_session(DM_NO_SESSION, nullptr, &a.sid); }},
		{"dm_create_session/sid", [&] { return dm_create_session(DM_NO_SESSION, a.info, nullptr); }},
		{"dm_getall_sessions", [&] { return dm_getall_sessions(4, &a.sid, nullptr); }},
		{"dm_query_session", [&] { return dm_query_session(a.sid, sizeof(a.buf), a.buf, nullptr); }},
		{"dm_get_events", [&] { return dm_get_events(a.sid, 1, 0, sizeof(a.buf), a.buf, nullptr); }},
		{"dm_move_event", [&] { return dm_move_event(a.sid, a.token, a.sid, nullptr); }},
		{"dm_find_eventmsg", [&] { return dm_find_eventmsg(a.sid, a.token, sizeof(a.buf), a.buf, nullptr); }},
		{"dm_getall_tokens", [&] { return dm_getall_tokens(a.sid, 4, &a.token, nullptr); }},
		{"dm_create_userevent", [&] { return dm_create_userevent(a.sid, 4, a.buf, nullptr); }},
		{"dm_set_disp", [&] { return dm_set_disp(a.sid, h, hl, DM_NO_TOKEN, nullptr, DM_EVENT_MAX); }},
		{"dm_getall_disp", [&] { return dm_getall_disp(a.sid, sizeof(a.buf), a.buf, nullptr); }},
		{"dm_set_eventlist", [&] { return dm_set_eventlist(a.sid, h, hl, DM_NO_TOKEN, nullptr, DM_EVENT_MAX); }},
		{"dm_get_eventlist/set", [&] { return dm_get_eventlist(a.sid, h, hl, DM_NO_TOKEN, DM_EVENT_MAX, nullptr, &a.nelem); }},
		{"dm_get_eventlist/nelem", [&] { return dm_get_eventlist(a.sid, h, hl, DM_NO_TOKEN, DM_EVENT_MAX, &a.events, nullptr); }},
		{"dm_get_mountinfo", [&] { return dm_get_mountinfo(a.sid, h, hl, DM_NO_TOKEN, sizeof(a.buf), a.buf, nullptr); }},
		{"dm_set_return_on_destroy", [&] { return dm_set_return_on_destroy(a.sid, h, hl, DM_NO_TOKEN, nullptr, DM_TRUE); }},
		{"dm_set_region", [&] { return dm_set_region(a.sid, h, hl, DM_NO_TOKEN, 1, &region, nullptr); }},
		{"dm_get_region", [&] { return dm_get_region(a.sid, h, hl, DM_NO_TOKEN, 1, &region, nullptr); }},
		{"dm_probe_hole/off", [&] { return dm_probe_hole(a.sid, h, hl, DM_NO_TOKEN, 0, 0, nullptr, &len); }},
		{"dm_probe_hole/len", [&] { return dm_probe_hole(a.sid, h, hl, DM_NO_TOKEN, 0, 0, &off, nullptr); }},
		{"dm_get_allocinfo/off", [&] { return dm_get_allocinfo(a.sid, h, hl, DM_NO_TOKEN, nullptr, 1, &extent, &a.nelem); }},
		{"dm_get_allocinfo/nelem", [&] { return dm_get_allocinfo(a.sid, h, hl, DM_NO_TOKEN, &off, 1, &extent, nullptr); }},
		{"dm_query_right", [&] { return dm_query_right(a.sid, h, hl, a.token, nullptr); }},
		{"dm_get_dioinfo", [&] { return dm_get_dioinfo(a.sid, h, hl, DM_NO_TOKEN, nullptr); }},
	};
	for (auto &[name, call] : calls) {
		errno = 0;
		EXPECT_EQ(call(), -1) << name;
		EXPECT_EQ(errno, EFAULT) << name << ": " << std::strerror(errno);
	}
}

// Disabling return-on-destroy needs no attribute name.
TEST(NoDevice, ReturnOnDestroyDisableAcceptsNullName)
{
	DevicePath path("/nonexistent/dmapi");
	unsigned char handle[8] = {};
	errno = 0;
	EXPECT_EQ(dm_set_return_on_destroy(1, handle, sizeof(handle), DM_NO_TOKEN, nullptr, DM_FALSE), -1);
	EXPECT_EQ(errno, ENOSYS);
}

// Clearing the regions of a file needs no region buffer.
TEST(NoDevice, SetRegionClearAcceptsNullRegions)
{
	DevicePath path("/nonexistent/dmapi");
	unsigned char handle[24] = {};
	dm_boolean_t exact = DM_FALSE;
	errno = 0;
	EXPECT_EQ(dm_set_region(1, handle, sizeof(handle), DM_NO_TOKEN, 0, nullptr, &exact), -1);
	EXPECT_EQ(errno, ENOSYS);
}

// SGI's kernel never read dm_pending's delay; programs pass NULL.
TEST(NoDevice, PendingAcceptsNullDelay)
{
	DevicePath path("/nonexistent/dmapi");
	errno = 0;
	EXPECT_EQ(dm_pending(1, 1, nullptr), -1);
	EXPECT_EQ(errno, ENOSYS);
}

} // namespace
