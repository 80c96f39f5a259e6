// SPDX-License-Identifier: GPL-2.0
//
// The directory store, the embedded default:
//
//   ROOT/objects/ab/abcdef...   an object, named by its SHA-256
//   ROOT/refs/OWNER.DIGEST      a reference: a hard link to the object
//   ROOT/lock                   flock()ed while links change
//
// An object is written to an O_TMPFILE, fsync()ed and linked into place,
// so a crash leaves either nothing or a whole object.  An object's link
// count is its reference count plus one: removing the last reference
// removes it.  The same content stored twice is kept once.
#include "digest.h"
#include "objstore.h"
#include "store.h"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <string_view>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>
#include <vector>

namespace hsm {
namespace {

[[noreturn]] void fail(const std::string &what, int error = errno)
{
	throw std::system_error(error, std::generic_category(), what);
}

class Fd {
public:
	explicit Fd(int fd = -1) : fd_(fd) {}
	Fd(Fd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
	Fd &operator=(Fd &&o) noexcept
	{
		std::swap(fd_, o.fd_);
		return *this;
	}
	~Fd()
	{
		if (fd_ >= 0)
			close(fd_);
	}
	int get() const { return fd_; }

private:
	int fd_;
};

/* Whether it was made now. */
bool make_dir(const std::string &path)
{
	if (mkdir(path.c_str(), 0700) == 0)
		return true;
	if (errno != EEXIST)
		fail("mkdir " + path);
	return false;
}

void sync_dir(const std::string &path)
{
	Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (fd.get() < 0 || fsync(fd.get()) != 0)
		fail("fsync " + path);
}

/* Holds the store's lock for the life of the object. */
class Lock {
public:
	explicit Lock(const std::string &root) : fd_(::open((root + "/lock").c_str(),
							   O_RDWR | O_CREAT | O_CLOEXEC, 0600))
	{
		if (fd_.get() < 0)
			fail("open " + root + "/lock");
		while (flock(fd_.get(), LOCK_EX) != 0)
			if (errno != EINTR)
				fail("flock " + root + "/lock");
	}

private:
	Fd fd_;
};

/* A reference's name must stay one path component. */
void check_name(std::string_view s, const char *what)
{
	if (s.empty() || s.size() > 200 || s.find('/') != s.npos || s[0] == '.')
		fail(std::string("bad object ") + what, EINVAL);
}

class DirectoryStore : public Store {
public:
	explicit DirectoryStore(std::string root) : root_(std::move(root))
	{
		while (root_.size() > 1 && root_.back() == '/')
			root_.pop_back();
		make_dir(root_);
		make_dir(root_ + "/objects");
		make_dir(root_ + "/refs");
	}

	std::string url() const override { return "dir:" + root_; }
	std::unique_ptr<ObjectWriter> create(const std::string &owner) override;
	std::unique_ptr<ObjectReader> read(const ObjectRef &ref) override;
	void remove(const ObjectRef &ref) override;
	std::vector<ObjectRef> list() override;

	std::string object_dir(const std::string &digest) const
	{
		return root_ + "/objects/" + digest.substr(0, 2);
	}
	std::string object_path(const std::string &digest) const
	{
		return object_dir(digest) + "/" + digest;
	}
	std::string ref_path(const ObjectRef &ref) const
	{
		return root_ + "/refs/" + ref.owner + "." + ref.digest;
	}
	const std::string &root() const { return root_; }

private:
	std::string root_;
};

class DirectoryWriter : public ObjectWriter {
public:
	DirectoryWriter(DirectoryStore &store, std::string owner)
		: store_(store), fd_(::open((store.root() + "/objects").c_str(),
					    O_TMPFILE | O_WRONLY | O_CLOEXEC, 0400))
	{
		check_name(owner, "owner");
		ref_.owner = std::move(owner);
		if (fd_.get() < 0)
			fail("O_TMPFILE in " + store.root() + "/objects");
	}

	void write(std::span<const std::byte> data) override
	{
		digest_.update(data);
		while (!data.empty()) {
			ssize_t n = ::write(fd_.get(), data.data(), data.size());
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				fail("write to " + store_.url());
			data = data.subspan(static_cast<std::size_t>(n));
			ref_.size += static_cast<std::uint64_t>(n);
		}
	}

	ObjectRef commit() override;

private:
	DirectoryStore &store_;
	Fd fd_;
	Sha256 digest_;
	ObjectRef ref_;
};

class DirectoryReader : public ObjectReader {
public:
	explicit DirectoryReader(const std::string &path)
		: fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), path_(path)
	{
		if (fd_.get() < 0)
			fail("open " + path);
	}

	std::size_t read(std::span<std::byte> buf) override
	{
		for (;;) {
			ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
			if (n >= 0)
				return static_cast<std::size_t>(n);
			if (errno != EINTR)
				fail("read " + path_);
		}
	}

private:
	Fd fd_;
	std::string path_;
};

/* Whether the object at @path holds @size bytes whose SHA-256 is @digest. */
bool holds(const std::string &path, std::uint64_t size, const std::string &digest)
{
	DirectoryReader object(path);
	Sha256 sum;
	std::vector<std::byte> buf(1 << 20);
	std::uint64_t total = 0;
	while (std::size_t n = object.read(buf)) {
		sum.update(std::span<const std::byte>(buf.data(), n));
		total += n;
	}
	return total == size && sum.hex() == digest;
}

/*
 * Put the content of @source, @size bytes, into the object at @path in
 * place, synced: its other names (the references) stay its own.
 */
void repair(const std::string &path, const std::string &source, std::uint64_t size)
{
	Fd from(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
	if (from.get() < 0)
		fail("open " + source);
	Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
	if (fd.get() < 0)
		fail("open " + path);
	loff_t in = 0, out = 0;
	while (static_cast<std::uint64_t>(in) < size) {
		ssize_t n = copy_file_range(from.get(), &in, fd.get(), &out,
					    static_cast<std::size_t>(size - static_cast<std::uint64_t>(in)), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail("copy into " + path, n < 0 ? errno : EIO);
	}
	if (ftruncate(fd.get(), static_cast<off_t>(size)) != 0 || fsync(fd.get()) != 0)
		fail("repair " + path);
}

ObjectRef DirectoryWriter::commit()
{
	if (fsync(fd_.get()) != 0)
		fail("fsync in " + store_.url());
	ref_.digest = digest_.hex();
	Lock lock(store_.root());
	std::string dir = store_.object_dir(ref_.digest);
	std::string path = store_.object_path(ref_.digest);
	if (make_dir(dir))
		sync_dir(store_.root() + "/objects");
	std::string proc = "/proc/self/fd/" + std::to_string(fd_.get());
	/*
	 * The same content already there is the same object, if it still is:
	 * one damaged since is repaired from this copy, which is whole.
	 */
	if (linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) != 0) {
		if (errno != EEXIST)
			fail("link " + path);
		if (!holds(path, ref_.size, ref_.digest))
			repair(path, proc, ref_.size);
	}
	std::string ref = store_.ref_path(ref_);
	if (link(path.c_str(), ref.c_str()) != 0 && errno != EEXIST)
		fail("link " + ref);
	sync_dir(dir);
	sync_dir(store_.root() + "/refs");
	return ref_;
}

std::unique_ptr<ObjectWriter> DirectoryStore::create(const std::string &owner)
{
	return std::make_unique<DirectoryWriter>(*this, owner);
}

std::unique_ptr<ObjectReader> DirectoryStore::read(const ObjectRef &ref)
{
	if (!is_sha256_hex(ref.digest))
		fail("bad object digest", EINVAL);
	return std::make_unique<DirectoryReader>(object_path(ref.digest));
}

void DirectoryStore::remove(const ObjectRef &ref)
{
	if (!is_sha256_hex(ref.digest))
		fail("bad object digest", EINVAL);
	check_name(ref.owner, "owner");
	Lock lock(root_);
	std::string rpath = ref_path(ref);
	if (unlink(rpath.c_str()) != 0 && errno != ENOENT)
		fail("unlink " + rpath);
	std::string path = object_path(ref.digest);
	struct stat st;
	if (stat(path.c_str(), &st) == 0 && st.st_nlink <= 1 && unlink(path.c_str()) != 0)
		fail("unlink " + path);
	sync_dir(root_ + "/refs");
}

std::vector<ObjectRef> DirectoryStore::list()
{
	std::vector<ObjectRef> out;
	DIR *d = opendir((root_ + "/refs").c_str());
	if (!d)
		fail("opendir " + root_ + "/refs");
	while (struct dirent *e = readdir(d)) {
		std::string_view name(e->d_name);
		std::size_t dot = name.rfind('.');
		if (dot == name.npos || !is_sha256_hex(name.substr(dot + 1)))
			continue;	/* ".", "..", anything not ours */
		ObjectRef ref;
		ref.owner = std::string(name.substr(0, dot));
		ref.digest = std::string(name.substr(dot + 1));
		struct stat st;
		if (stat(object_path(ref.digest).c_str(), &st) == 0)
			ref.size = static_cast<std::uint64_t>(st.st_size);
		out.push_back(std::move(ref));
	}
	closedir(d);
	return out;
}

} // namespace

std::unique_ptr<Store> Store::open(const std::string &url)
{
	std::string_view u(url);
	if (u.substr(0, 4) == "dir:")
		u.remove_prefix(4);
	if (!u.empty() && u[0] == '/')
		return std::make_unique<DirectoryStore>(std::string(u));
	if (url.find("://") == std::string::npos)
		fail("store " + url + ": not dir:/PATH, rados://POOL, s3://BUCKET or an absolute path",
		     EINVAL);
	return make_object_store(open_bucket(StoreUrl::parse(url)));
}

} // namespace hsm
