// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What the source files of libdmapi share: the device, the error
// conventions of the C ABI, and the passing of the argument structs of
// <xdsm/dmapi_ioctl.h>.
#ifndef LIBDMAPI_INTERNAL_H
#define LIBDMAPI_INTERNAL_H

// Exactly the functions declared by the public header are exported: the
// library is built with -fvisibility=hidden and its declarations are the
// first ones each definition sees.
#pragma GCC visibility push(default)
#include <xdsm/dmapi.h>
#pragma GCC visibility pop

#include <xdsm/dmapi_ioctl.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <type_traits>
#include <utility>

namespace dmapi {

// No exception may cross the C ABI: what the dm_* functions call is
// noexcept, so that an impossible one (an allocation failing inside the
// standard library) ends the program instead of unwinding through C
// callers.

// Sets errno and returns the failure value of a C ABI function.
template <typename T = int>
inline T fail(int error) noexcept
{
	errno = error;
	return static_cast<T>(-1);
}

// Whether the caller's result at p can be stored, asked of a module older
// than protocol 1.11 before a call whose effect cannot be undone (a
// message taken off the queue, a session or token made): a bad pointer
// then fails EFAULT, as it did when SGI's kernel stored the result, and
// loses nothing, where storing it after the call killed the program with
// the effect made.  The kernel copies the bytes there onto themselves
// (process_vm_writev(2) to this very thread, which reads them and writes
// them back), reporting a fault as EFAULT: a call that fails leaves the
// value as it was.  Where the check itself cannot be made (a seccomp
// filter, a kernel without the call), the pointer is trusted, as before.
template <typename T>
inline bool out_writable(T *p) noexcept
{
	if (!p)
		return false;
	struct iovec iov = {p, sizeof(T)};
	int saved = errno;
	// The thread: the process's leader may have exited.
	auto self = static_cast<pid_t>(::syscall(SYS_gettid));
	if (::process_vm_writev(self, &iov, 1, &iov, 1, 0) == static_cast<ssize_t>(sizeof(T)))
		return true;
	bool fault = errno == EFAULT;
	errno = saved;
	return !fault;
}

// Store len bytes of src at dst, the caller's buffer, as a kernel's store
// would: a buffer that cannot be written fails EFAULT (the bytes before
// the fault may be stored) where a plain copy would kill the program.
// The bytes go through a pipe, whose read(2) reports the fault: basic I/O
// that every system call filter allows and memory checkers follow.  With
// no descriptor for the pipe the copy is made plainly, as before.
inline bool copy_out(void *dst, const void *src, size_t len) noexcept
{
	// Each piece fits an empty pipe, which holds at least a page.
	constexpr size_t kPiece = 4096;
	int saved = errno;
	int pipefd[2];
	if (::pipe2(pipefd, O_CLOEXEC) != 0) {
		errno = saved;
		std::memcpy(dst, src, len);
		return true;
	}
	auto *to = static_cast<char *>(dst);
	auto *from = static_cast<const char *>(src);
	bool stored = true;
	for (size_t done = 0; done < len && stored;) {
		size_t n = len - done < kPiece ? len - done : kPiece;
		ssize_t in = ::write(pipefd[1], from + done, n);
		if (in <= 0) {	// cannot happen to an empty pipe
			std::memcpy(to + done, from + done, len - done);
			break;
		}
		stored = ::read(pipefd[0], to + done, in) == in;
		done += in;
	}
	::close(pipefd[0]);
	::close(pipefd[1]);
	errno = stored ? saved : EFAULT;
	return stored;
}

// The one place that marks calls waiting for their ioctls: the API exists
// so that programs link and can test for it, as the standard asks of
// optional functions.
template <typename T = int>
inline T not_yet_implemented() noexcept
{
	return fail<T>(ENOSYS);
}

// A file descriptor that closes itself.
class Fd {
public:
	Fd() = default;
	explicit Fd(int fd) : fd_(fd) {}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	Fd(Fd &&other) noexcept : fd_(other.release()) {}
	Fd &operator=(Fd &&other) noexcept;
	~Fd();

	int get() const { return fd_; }
	int release() { return std::exchange(fd_, -1); }
	explicit operator bool() const { return fd_ >= 0; }

private:
	int fd_ = -1;
};

// /dev/dmapi, opened on first use by any thread and kept open.  An open
// that fails is tried again by the next call, so a program started before
// the module was loaded begins to work once it is.
class Device {
public:
	static Device &instance() noexcept;

	// The descriptor, or -1 with errno set: ENOSYS (no device, or not a
	// dmapi device), EPERM (no access), EPROTO (a module of another
	// protocol major version), or what open(2) said otherwise.
	int fd() noexcept;

	// The descriptor with the generation of its open, for reopen(): 0
	// with errno set as by fd() when there is none.
	std::uint64_t state() noexcept;
	static int fd_of(std::uint64_t state) noexcept
	{
		return static_cast<int>(static_cast<std::uint32_t>(state));
	}

	// After a call made with @used failed: 0 with errno kept if its
	// descriptor is still the device, whose answer the failure is.  If
	// the program closed it (close_range() after its first call), or its
	// number is now another file's, the state to call with instead: the
	// device opened again, by this thread or another.  0 with errno set
	// if the device cannot be opened again.
	std::uint64_t reopen(std::uint64_t used) noexcept;

	// The protocol minor version of the module; valid once fd() succeeded.
	std::uint32_t minor_version() const noexcept { return minor_.load(std::memory_order_relaxed); }

private:
	Device() = default;
	Fd open_checked() noexcept;
	std::uint64_t publish(std::uint64_t replaced) noexcept;
	bool is_device(int fd) const noexcept;

	// The generation of the open in the high half, its descriptor in the
	// low one; 0 before the first.  A descriptor published is never closed.
	std::atomic<std::uint64_t> state_{0};
	std::atomic<std::uint32_t> minor_{0};
	std::atomic<std::uint64_t> dev_{0}, ino_{0};	// the file opened, to know it again
};

// The path of the device: DMAPI_DEVICE_PATH, unless the environment
// variable DMAPI_DEVICE names another one.  That variable exists for the
// library's tests; it is ignored in set-user-ID and set-group-ID programs.
const char *device_path() noexcept;

// errno of an ioctl on the device as the C ABI reports it.
inline int ioctl_errno(int error) noexcept
{
	return error == ENOTTY ? ENOSYS : error;
}

// One call into the module: 0, or -1 with errno as the module gave it.
// A call that failed on a descriptor the program closed or gave to
// another file opens the device again for the calls after it; with
// @again, the call is made once more, which only one whose failure cannot
// come after its effect may be.  EAGAIN is always the module's (nothing
// queued, a right held): no look at the descriptor then.  The request
// number encodes the size of its argument struct; the compiler checks
// that the struct passed is the one the request was declared with.
template <unsigned long Request, typename Arg>
int call_device(Arg &arg, bool again) noexcept
{
	static_assert(std::is_trivially_copyable_v<Arg>);
	static_assert(_IOC_SIZE(Request) == sizeof(Arg), "wrong argument struct for this request");
	static_assert(sizeof(Arg) % 8 == 0, "protocol structs are padded to 64 bits");

	Device &device = Device::instance();
	std::uint64_t used = device.state();
	if (!used)
		return -1;
	if (::ioctl(Device::fd_of(used), Request, &arg) == 0)
		return 0;
	if (errno == EAGAIN)
		return -1;
	int error = errno;
	std::uint64_t now = device.reopen(used);
	if (!now)
		return -1;
	if (!again) {
		errno = error;
		return -1;
	}
	return ::ioctl(Device::fd_of(now), Request, &arg) < 0 ? -1 : 0;
}

// A call whose errno may be a DM application's (the reply to a
// synchronous message), where ENOTTY means no missing call: never made
// twice, since a failure may come after the message was delivered.
template <unsigned long Request, typename Arg>
int call_as_is(Arg &arg) noexcept
{
	return call_device<Request>(arg, false);
}

// One call into the module: 0, or -1 with errno set as the C ABI reports
// it (ioctl_errno()).
template <unsigned long Request, typename Arg>
int call(Arg &arg) noexcept
{
	if (call_device<Request>(arg, true) < 0)
		return fail(ioctl_errno(errno));
	return 0;
}

// Whether a call's size out-parameter holds an answer: on success, and on
// E2BIG, where the kernel copies back the size the caller must provide.
inline bool size_reported(int ret) noexcept
{
	return ret == 0 || errno == E2BIG;
}

// Hands a malloc'd copy of a handle to the caller, as SGI's library did,
// so that programs which free() handles keep working: 0, or -1 ENOMEM.
int give_handle(const void *handle, std::size_t len, void **hanpp, std::size_t *hlenp) noexcept;

// A user address as the protocol carries it.
inline __u64 user_ptr(const void *p) noexcept
{
	return static_cast<__u64>(reinterpret_cast<std::uintptr_t>(p));
}

// A result of the caller's that a call makes and cannot undo.  From
// protocol 1.11 the module is given its address: it checks that it can
// store there before the call has an effect, and stores it, at no cost of
// a system call.  An older module is not: the library checks the address
// first (out_writable()).  Either way the library stores the result after
// the call: it may have gone to another module than the one asked (the
// device opened again, after the program closed it, with a module loaded
// since), which stored nothing.
template <typename T>
class Result {
public:
	explicit Result(T *p) noexcept : p_(p)
	{
		Device &device = Device::instance();
		by_module_ = device.state() && device.minor_version() >= 11;
	}

	// Whether the call may be made: false for an address that cannot
	// take the result (then EFAULT).
	bool usable() const noexcept { return p_ && (by_module_ || out_writable(p_)); }

	// The address for the argument struct: 0 for an older module.
	__u64 address() const noexcept { return by_module_ ? user_ptr(p_) : 0; }


private:
	T *p_;
	bool by_module_ = false;
};

// The argument struct of a call on a handle in a session: the session,
// the token and the handle set, everything else zero.
template <typename Arg>
Arg handle_call_arg(dm_sessid_t sid, void *hanp, std::size_t hlen, dm_token_t token) noexcept
{
	Arg arg{};
	arg.sid = sid;
	arg.token = token;
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	return arg;
}

// One call whose struct dmapi_buffer the kernel fills: the caller's buffer
// goes in, and the size used (or, on E2BIG, needed) comes back in *rlenp.
template <unsigned long Request, typename Arg>
int call_filling(Arg &arg, void *bufp, std::size_t buflen, std::size_t *rlenp) noexcept
{
	if (!rlenp)
		return fail(EFAULT);
	arg.buf.ptr = user_ptr(bufp);
	arg.buf.len = buflen;
	int ret = call<Request>(arg);
	if (size_reported(ret))
		*rlenp = static_cast<std::size_t>(arg.buf.rlen);
	return ret;
}

// Every DM_AT_* bit: what a mask of 0 asks for, as on AIX, where it
// reports every field of dm_stat_t.
constexpr unsigned int kAllAttributes = 2 * DM_AT_CFLAG - 1;

// The fields of dm_stat_t that mask selects, from the kernel's record
// (fileattr.cc); the rest of out is left as it is.
void fill_dm_stat(const dmapi_stat &st, unsigned int mask, dm_stat_t &out) noexcept;

} // namespace dmapi

#endif // LIBDMAPI_INTERNAL_H
