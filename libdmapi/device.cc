// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The connection to dmapi.ko: /dev/dmapi and its protocol version check.
#include "internal.h"

#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dmapi {

Fd &Fd::operator=(Fd &&other) noexcept
{
	if (this != &other)
		Fd previous(std::exchange(fd_, other.release()));	// closes it
	return *this;
}

Fd::~Fd()
{
	if (fd_ >= 0)
		::close(fd_);
}

// Never destroyed: DM applications call the library from atexit()
// handlers and static destructors, which may run after a static Device's
// destructor would have closed the descriptor, or after another file took
// its number.  The kernel closes it when the process ends.  Constant
// initialised and trivially destroyed, it needs no guard at its first use
// either, whose lock a fork() meanwhile would leave taken in the child.
Device &Device::instance() noexcept
{
	static_assert(std::is_trivially_destructible_v<Device>);
	static constinit Device device;
	return device;
}

const char *device_path() noexcept
{
	const char *path = ::secure_getenv("DMAPI_DEVICE");
	return path && *path ? path : DMAPI_DEVICE_PATH;
}

// A missing device means the module is not loaded, which the standard
// calls an absent implementation; a device we may not open is the
// privilege failure the API defines.
static int open_errno(int error) noexcept
{
	switch (error) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return ENOSYS;
	case EACCES:
	case EPERM:
		return EPERM;
	default:
		return error;
	}
}

int Device::fd() noexcept
{
	std::uint64_t used = state();
	return used ? fd_of(used) : -1;
}

std::uint64_t Device::state() noexcept
{
	std::uint64_t used = state_.load(std::memory_order_acquire);
	return used ? used : publish(0);
}

// The device opened and its protocol checked: an owned descriptor, or an
// empty one with errno set.
Fd Device::open_checked() noexcept
{
	Fd file(::open(device_path(), O_RDWR | O_CLOEXEC));
	if (!file) {
		errno = open_errno(errno);
		return file;
	}

	dmapi_version_arg version{};
	struct stat64 st;
	if (::ioctl(file.get(), DMAPI_IOC_VERSION, &version) < 0 ||
	    ::fstat64(file.get(), &st) < 0) {
		errno = ioctl_errno(errno);
		return Fd();
	}

	// EPROTO rather than ENOSYS: the module is there, so an administrator
	// reading strerror() should learn that it is the wrong one.
	if (version.major != DMAPI_KERNEL_VERSION) {
		errno = EPROTO;
		return Fd();
	}

	// Every racer stores the same file's values before publishing.
	minor_.store(version.minor, std::memory_order_relaxed);
	dev_.store(st.st_dev, std::memory_order_relaxed);
	ino_.store(st.st_ino, std::memory_order_relaxed);
	return file;
}

// No lock: a child fork()ed while another thread of its parent was here
// would wait for that lock forever.  Threads that race here each open and
// check the device, the first to publish its descriptor in place of
// @replaced wins, and the others close theirs.  The generation tells a
// descriptor opened again from the one it replaced, which open() often
// gives the same number.
std::uint64_t Device::publish(std::uint64_t replaced) noexcept
{
	Fd file = open_checked();
	if (!file) {
		std::uint64_t now = state_.load(std::memory_order_acquire);
		return now != replaced ? now : 0;	// another thread's, or errno
	}
	std::uint64_t next = (((replaced >> 32) + 1) << 32) |
			     static_cast<std::uint32_t>(file.get());
	std::uint64_t seen = replaced;
	if (!state_.compare_exchange_strong(seen, next, std::memory_order_acq_rel,
					    std::memory_order_acquire))
		return seen;	// another thread's; ours closes
	file.release();
	return next;
}

// Whether @fd is the file the device was opened as.
bool Device::is_device(int fd) const noexcept
{
	struct stat64 st;

	return ::fstat64(fd, &st) == 0 && st.st_dev == dev_.load(std::memory_order_relaxed) &&
	       st.st_ino == ino_.load(std::memory_order_relaxed);
}

std::uint64_t Device::reopen(std::uint64_t used) noexcept
{
	int error = errno;
	std::uint64_t now = state_.load(std::memory_order_acquire);

	if (now != used)
		return now;	// another thread opened it again already
	if (is_device(fd_of(used))) {
		errno = error;
		return 0;	// still the device: the module's own answer
	}
	// Not ours any more: never closed here, since its number may be
	// another file of the program's now.
	return publish(used);
}

} // namespace dmapi
