// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Handles that need the kernel: from paths and descriptors of dmapi
// mounts, back to paths, and opening an object by its handle.
#include "internal.h"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>

namespace dmapi {

namespace {

int fd_to_handle(int fd, __u32 flags, void **hanpp, std::size_t *hlenp) noexcept
{
	dmapi_fd_to_handle_arg arg{};
	arg.fd = fd;
	arg.flags = flags;
	if (call<DMAPI_IOC_FD_TO_HANDLE>(arg) < 0)
		return -1;
	// Not the module's answer: a file that took the device's number.
	if (arg.hlen != (flags & DMAPI_HANDLE_FS ? DMAPI_FSHANDLE_LEN : DMAPI_HANDLE_LEN))
		return fail(EIO);
	return give_handle(&arg.handle, arg.hlen, hanpp, hlenp);
}

// The handle of a path.  An object's does not follow a final symbolic
// link: a link is an object of its own, with a handle of its own.  A
// filesystem's follows it, as SGI's did: a configured path to the mount
// point may be a link to it.
int path_to_handle(const char *path, __u32 flags, void **hanpp, std::size_t *hlenp) noexcept
{
	if (!path || !hanpp || !hlenp)
		return fail(EFAULT);
	if (Device::instance().fd() < 0)
		return -1;
	int follow = flags & DMAPI_HANDLE_FS ? 0 : O_NOFOLLOW;
	Fd fd(::open(path, O_PATH | follow | O_CLOEXEC));
	if (!fd)
		return -1;
	return fd_to_handle(fd.get(), flags, hanpp, hlenp);
}

// mountinfo escapes blanks, tabs, newlines and backslashes as \ooo.
std::string unescape_mountinfo(const std::string &field)
{
	auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
	std::string out;
	for (std::size_t i = 0; i < field.size(); i++) {
		if (field[i] == '\\' && i + 3 < field.size() &&
		    is_octal(field[i + 1]) && is_octal(field[i + 2]) && is_octal(field[i + 3])) {
			out += static_cast<char>((field[i + 1] - '0') * 64 +
						 (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
			i += 3;
		} else {
			out += field[i];
		}
	}
	return out;
}

// The whole of a file of /proc; empty if it cannot be read.  Opened
// close-on-exec, as every descriptor of the library: a DM application's
// other threads may fork and exec meanwhile.
std::string slurp(const char *path)
{
	std::string text;
	Fd fd(::open(path, O_RDONLY | O_CLOEXEC));
	if (!fd)
		return text;
	char chunk[4096];
	ssize_t n;
	while ((n = ::read(fd.get(), chunk, sizeof(chunk))) > 0)
		text.append(chunk, static_cast<std::size_t>(n));
	return text;
}

// Where the dmapi filesystem @fsid is mounted whole, if it is.
std::optional<std::string> mount_point_of(__u64 fsid)
{
	std::istringstream mountinfo(slurp("/proc/self/mountinfo"));
	std::string line;
	while (std::getline(mountinfo, line)) {
		std::istringstream fields(line);
		std::string id, parent, devno, root, point, field;
		fields >> id >> parent >> devno >> root >> point;
		while (fields >> field && field != "-")
			;
		std::string type;
		fields >> type;
		if (type != "dmapi" || root != "/")
			continue;
		std::string path = unescape_mountinfo(point);
		Fd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
		if (!fd)
			continue;
		dmapi_fd_to_handle_arg arg{};
		arg.fd = fd.get();
		arg.flags = DMAPI_HANDLE_FS;
		if (call<DMAPI_IOC_FD_TO_HANDLE>(arg) == 0 && arg.handle.fsid == fsid)
			return path;
	}
	return std::nullopt;
}

// dm_handle_to_path() but for its exceptions: std::bad_alloc.
int handle_to_path(void *dirhanp, std::size_t dirhlen, void *targhanp, std::size_t targhlen,
		   std::size_t buflen, char *pathbufp, std::size_t *rlenp)
{
	dmapi_handle_to_path_arg arg{};
	// The kernel's path of the directory is at most a page; then "/", the
	// name and its NUL.
	std::string rel(4096 + 1 + NAME_MAX + 1, '\0');
	arg.dirhanp = user_ptr(dirhanp);
	arg.dirhlen = dirhlen;
	arg.targhanp = user_ptr(targhanp);
	arg.targhlen = targhlen;
	arg.buf.ptr = user_ptr(rel.data());
	arg.buf.len = rel.size();
	if (call<DMAPI_IOC_HANDLE_TO_PATH>(arg) < 0)
		return -1;
	if (arg.buf.rlen < 1 || arg.buf.rlen > rel.size())
		return fail(EIO);
	rel.resize(arg.buf.rlen - 1);

	dmapi_handle target{};
	std::memcpy(&target, targhanp, DMAPI_FSHANDLE_LEN);
	auto mount_point = mount_point_of(target.fsid);
	if (!mount_point)
		return fail(EBADF);	// not mounted where this process can see it

	// The root's own path is "": the mount point's.
	std::string path = *mount_point;
	if (!rel.empty())
		path += (path.back() == '/' ? "" : "/") + rel;
	*rlenp = path.size() + 1;
	if (buflen < path.size() + 1)
		return fail(E2BIG);
	if (!pathbufp)
		return fail(EFAULT);
	return copy_out(pathbufp, path.c_str(), path.size() + 1) ? 0 : -1;
}

} // namespace

} // namespace dmapi

using namespace dmapi;

extern "C" {

int dm_path_to_handle(char *path, void **hanpp, size_t *hlenp)
{
	return path_to_handle(path, 0, hanpp, hlenp);
}

int dm_path_to_fshandle(char *path, void **hanpp, size_t *hlenp)
{
	return path_to_handle(path, DMAPI_HANDLE_FS, hanpp, hlenp);
}

int dm_fd_to_handle(int fd, void **hanpp, size_t *hlenp)
{
	if (!hanpp || !hlenp)
		return fail(EFAULT);
	return fd_to_handle(fd, 0, hanpp, hlenp);
}

int dm_open_by_handle(void *hanp, size_t hlen, int mode)
{
	dmapi_open_by_handle_arg arg{};
	arg.hanp = user_ptr(hanp);
	arg.hlen = hlen;
	arg.flags = static_cast<__u32>(mode);
	if (call<DMAPI_IOC_OPEN_BY_HANDLE>(arg) < 0)
		return -1;
	return arg.fd;
}

// The kernel knows the path inside the filesystem; where the filesystem is
// mounted is the caller's view, found in its mount table.
int dm_handle_to_path(void *dirhanp, size_t dirhlen, void *targhanp, size_t targhlen,
		      size_t buflen, char *pathbufp, size_t *rlenp)
{
	if (!rlenp)
		return fail(EFAULT);
	try {
		return handle_to_path(dirhanp, dirhlen, targhanp, targhlen, buflen, pathbufp,
				      rlenp);
	} catch (const std::bad_alloc &) {
		return fail(ENOMEM);
	} catch (...) {
		return fail(EIO);
	}
}

} // extern "C"
