// SPDX-License-Identifier: GPL-2.0
//
// Owned kernel objects the tester holds: file descriptors and memory
// mappings, released exactly once whatever path a test takes.
#ifndef DIFFTEST_FD_H
#define DIFFTEST_FD_H

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <utility>

namespace difftest
{

// A file descriptor, closed when the object dies.  Move-only, so that two
// owners never close the same number (a reused number would then be closed
// under another owner's feet).
class Fd
{
public:
	Fd() = default;
	explicit Fd(int fd) : fd_(fd) {}
	Fd(Fd &&other) noexcept : fd_(other.release()) {}
	Fd &operator=(Fd &&other) noexcept
	{
		reset(other.release());
		return *this;
	}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	~Fd() { reset(); }

	int get() const { return fd_; }
	bool valid() const { return fd_ >= 0; }

	int release() { return std::exchange(fd_, -1); }

	// Closes the descriptor held so far; returns close()'s result so that
	// a test can compare it.
	int reset(int fd = -1)
	{
		int ret = 0;
		if (fd_ >= 0)
			ret = ::close(fd_);
		fd_ = fd;
		return ret;
	}

private:
	int fd_ = -1;
};

// A MAP_SHARED mapping, unmapped when the object dies.
class Mapping
{
public:
	Mapping(void *address, size_t length) : address_(address), length_(length) {}
	Mapping(const Mapping &) = delete;
	Mapping &operator=(const Mapping &) = delete;
	~Mapping() { unmap(); }

	bool valid() const { return address_ != MAP_FAILED; }
	char *data() const { return static_cast<char *>(address_); }

	// munmap()'s result, for comparison; later calls return 0.
	int unmap()
	{
		if (address_ == MAP_FAILED)
			return 0;
		int ret = ::munmap(address_, length_);
		address_ = MAP_FAILED;
		return ret;
	}

private:
	void *address_;
	size_t length_;
};

// Page-aligned memory: O_DIRECT needs aligned user buffers, and every I/O
// buffer of the tester is one, so that any read or write may go to an
// O_DIRECT descriptor.
struct FreeDeleter {
	void operator()(char *p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char[], FreeDeleter>;

inline constexpr size_t io_alignment = 4096;

inline AlignedBuffer aligned_buffer(size_t size)
{
	size_t rounded = (size + io_alignment - 1) / io_alignment * io_alignment;
	if (rounded == 0)
		rounded = io_alignment;
	return AlignedBuffer(static_cast<char *>(std::aligned_alloc(io_alignment, rounded)));
}

} // namespace difftest

#endif // DIFFTEST_FD_H
