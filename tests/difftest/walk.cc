// SPDX-License-Identifier: GPL-2.0
//
// Every observation names the path it is about, so that a difference found
// here reads as "d0/f1: content: bytes differ at file offset 4096".
#include "walk.h"
#include "fd.h"
#include "tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

namespace difftest {

namespace {

constexpr size_t chunk_size = 256 * 1024;

class Walker {
public:
	Walker(const Tree &a, const Tree &b, Comparer &comparer)
		: a_(a), b_(b), root_a_(a.root()), root_b_(b.root()), comparer_(comparer)
	{
	}

	// Compares the object at path, and below it when it is a directory.
	bool entry(const std::string &path);

private:
	bool check(const std::string &path, const char *what, Observation a, Observation b)
	{
		a.what = b.what = path + ": " + what;
		return comparer_.same(a, b);
	}

	bool directory(const std::string &path);
	bool content(const std::string &path);
	bool link_target(const std::string &path);
	bool xattrs(const std::string &path);

	const Tree &a_;
	const Tree &b_;
	AlignedBuffer chunk_a_ = aligned_buffer(chunk_size);
	AlignedBuffer chunk_b_ = aligned_buffer(chunk_size);
	int root_a_;
	int root_b_;
	Comparer &comparer_;
};

Observation list_directory(int root, const std::string &path, std::vector<std::string> &names)
{
	Fd dir;
	Observation o = observe("", [&] {
		dir.reset(::openat(root, path.c_str(),
				   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
		if (!dir.valid())
			return int64_t{-1};
		std::vector<char> buffer(32768);
		for (;;) {
			ssize_t n = ::getdents64(dir.get(), buffer.data(), buffer.size());
			if (n <= 0)
				return static_cast<int64_t>(n);
			parse_dirents(buffer.data(), n, names, true);
		}
	});
	std::sort(names.begin(), names.end());
	for (const std::string &name : names)
		o.data += name + " ";
	return o;
}

Observation lstat_at(int root, const std::string &path, struct stat &st)
{
	Observation o = observe("", [&] {
		return ::fstatat(root, path.c_str(), &st, AT_SYMLINK_NOFOLLOW);
	});
	if (!o.failed())
		o.data = stat_text(st);
	return o;
}

std::string child(const std::string &dir, const std::string &name)
{
	return dir == "." ? name : dir + "/" + name;
}

// xattrs have no *at calls: the l* calls get the tree's absolute name.  The
// walk only descends real directories, so every component but the last is
// one, and the last is not followed.
Observation xattr_list(const std::string &name, std::vector<std::string> &names)
{
	std::vector<char> buffer(65536);
	Observation o = observe("", [&] {
		return ::llistxattr(name.c_str(), buffer.data(), buffer.size());
	});
	if (o.failed())
		return o;
	size_t reserved = 0;
	names = xattr_names(buffer.data(), o.ret, &reserved);
	o.ret -= static_cast<int64_t>(reserved);
	for (const std::string &xattr : names)
		o.data += xattr + " ";
	return o;
}

Observation xattr_value(const std::string &name, const std::string &xattr)
{
	std::vector<char> buffer(65536);
	Observation o = observe("", [&] {
		return ::lgetxattr(name.c_str(), xattr.c_str(), buffer.data(), buffer.size());
	});
	if (o.ret > 0)
		o.data.assign(buffer.data(), o.ret);
	o.bytes = true;
	return o;
}

} // namespace

bool Walker::directory(const std::string &path)
{
	std::vector<std::string> names_a;
	std::vector<std::string> names_b;
	Observation a = list_directory(root_a_, path, names_a);
	Observation b = list_directory(root_b_, path, names_b);
	if (!check(path, "names and d_types", std::move(a), std::move(b)))
		return false;
	for (const std::string &entry_text : names_a) {
		std::string name = entry_text.substr(0, entry_text.rfind(':'));
		if (!entry(child(path, name)))
			return false;
	}
	return true;
}

bool Walker::entry(const std::string &path)
{
	struct stat st_a;
	struct stat st_b;
	if (!check(path, "lstat", lstat_at(root_a_, path, st_a), lstat_at(root_b_, path, st_b)))
		return false;
	if (!xattrs(path))
		return false;
	// The lstat was identical, so the type is the same in both trees.
	if (S_ISDIR(st_a.st_mode))
		return directory(path);
	if (S_ISLNK(st_a.st_mode))
		return link_target(path);
	if (S_ISREG(st_a.st_mode))
		return content(path);
	return true;
}

bool Walker::link_target(const std::string &path)
{
	auto target = [&](int root) {
		std::vector<char> buffer(8192);
		Observation o = observe("", [&] {
			return ::readlinkat(root, path.c_str(), buffer.data(), buffer.size());
		});
		if (o.ret > 0)
			o.data.assign(buffer.data(), o.ret);
		return o;
	};
	return check(path, "link target", target(root_a_), target(root_b_));
}

bool Walker::content(const std::string &path)
{
	Fd file_a;
	Fd file_b;
	auto open_file = [&](int root, Fd &file) {
		return observe("", [&] {
			file.reset(::openat(root, path.c_str(),
					    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
			return file.valid() ? 0 : -1;
		});
	};
	if (!check(path, "open for reading", open_file(root_a_, file_a),
		   open_file(root_b_, file_b)))
		return false;
	if (!file_a.valid())
		return true;
	for (int64_t offset = 0;; offset += chunk_size) {
		auto read_chunk = [&](Fd &file, char *buffer) {
			Observation o = observe("", [&] {
				return ::pread(file.get(), buffer, chunk_size, offset);
			});
			o.bytes = true;
			o.base = offset;
			return o;
		};
		Observation a = read_chunk(file_a, chunk_a_.get());
		Observation b = read_chunk(file_b, chunk_b_.get());
		// The bytes go into the observations only when they differ, to
		// say where: copying every chunk made the walk twice as slow.
		if (a.ret > 0 && a.ret == b.ret &&
		    std::memcmp(chunk_a_.get(), chunk_b_.get(), a.ret) != 0) {
			a.data.assign(chunk_a_.get(), a.ret);
			b.data.assign(chunk_b_.get(), b.ret);
		}
		bool end = a.ret <= 0;
		if (!check(path, "content", std::move(a), std::move(b)))
			return false;
		if (end)
			return true;
	}
}

bool Walker::xattrs(const std::string &path)
{
	std::vector<std::string> names_a;
	std::vector<std::string> names_b;
	const std::string name_a = a_.path() + "/" + path;
	const std::string name_b = b_.path() + "/" + path;
	if (!check(path, "xattr names", xattr_list(name_a, names_a), xattr_list(name_b, names_b)))
		return false;
	for (const std::string &xattr : names_a) {
		if (!check(path, ("xattr " + xattr).c_str(), xattr_value(name_a, xattr),
			   xattr_value(name_b, xattr)))
			return false;
	}
	return true;
}

bool compare_trees(const Tree &a, const Tree &b, Comparer &comparer)
{
	Walker walker(a, b, comparer);
	return walker.entry(".");
}

} // namespace difftest
