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
// its number.  The kernel closes it when the process ends.
Device &Device::instance() noexcept
{
	static union Immortal {
		Immortal() : device() {}
		~Immortal() {}
		Device device;
	} immortal;
	return immortal.device;
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
	int fd = fd_.load(std::memory_order_acquire);
	if (fd >= 0)
		return fd;
	return publish(-1);
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
	struct stat st;
	if (::ioctl(file.get(), DMAPI_IOC_VERSION, &version) < 0 ||
	    ::fstat(file.get(), &st) < 0) {
		errno = ioctl_errno(errno);
		return Fd();
	}

	// EPROTO rather than ENOSYS: the module is there, so an administrator
	// reading strerror() should learn that it is the wrong one.
	if (version.major != DMAPI_KERNEL_VERSION) {
		errno = EPROTO;
		return Fd();
	}

	// Every racer stores the same module's values before publishing.
	minor_.store(version.minor, std::memory_order_relaxed);
	rdev_.store(st.st_rdev, std::memory_order_relaxed);
	return file;
}

// No lock: a child fork()ed while another thread of its parent was here
// would wait for that lock forever.  Threads that race here each open and
// check the device, the first to publish its descriptor in place of
// @replaced wins, and the others close theirs.
int Device::publish(int replaced) noexcept
{
	Fd file = open_checked();
	if (!file)
		return -1;
	int seen = replaced;
	if (!fd_.compare_exchange_strong(seen, file.get(), std::memory_order_acq_rel,
					 std::memory_order_acquire))
		return seen;	// another thread's; ours closes
	return file.release();
}

int Device::reopen(int stale) noexcept
{
	int error = errno;
	struct stat st;

	if (stale != fd_.load(std::memory_order_acquire))
		return fd();	// another thread opened it again already
	if (::fstat(stale, &st) == 0 && S_ISCHR(st.st_mode) &&
	    st.st_rdev == rdev_.load(std::memory_order_relaxed)) {
		errno = error;
		return -1;	// still the device: the module's own answer
	}
	// Not ours any more: never closed here, since its number may be
	// another file of the program's now.
	return publish(stale);
}

} // namespace dmapi
