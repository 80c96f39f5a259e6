// SPDX-License-Identifier: GPL-2.0
//
// dmhsm-store-probe: what the HSM's tests need to see and break inside a
// store, whatever its backend.
//
//   dmhsm-store-probe URL objects           how many objects it holds
//   dmhsm-store-probe URL corrupt DIGEST    flip a byte in the middle of
//                                           the object's first piece
#include "objstore.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace fs = std::filesystem;

namespace {

/* The directory store's layout: ROOT/objects/ab/abcdef... */
std::string dir_root(const std::string &url)
{
	return url.rfind("dir:", 0) == 0 ? url.substr(4) : url;
}

std::size_t count_objects(const std::string &url)
{
	std::size_t n = 0;
	if (url.find("://") == std::string::npos) {
		for (const auto &e : fs::recursive_directory_iterator(dir_root(url) + "/objects"))
			n += e.is_regular_file();
		return n;
	}
	auto u = hsm::StoreUrl::parse(url);
	auto b = hsm::open_bucket(u);
	return b->list("objects/").size();
}

void flip_middle_byte(std::vector<char> &data)
{
	if (data.empty())
		throw std::runtime_error("an empty object has no byte to flip");
	data[data.size() / 2] ^= 1;
}

void corrupt(const std::string &url, const std::string &digest)
{
	if (url.find("://") == std::string::npos) {
		fs::path p = dir_root(url) + "/objects/" + digest.substr(0, 2) + "/" + digest;
		std::vector<char> data(fs::file_size(p));
		std::ifstream(p, std::ios::binary).read(data.data(), static_cast<long>(data.size()));
		flip_middle_byte(data);
		fs::permissions(p, fs::perms::owner_write, fs::perm_options::add);
		std::ofstream(p, std::ios::binary | std::ios::in | std::ios::out)
			.write(data.data(), static_cast<long>(data.size()));
		return;
	}
	auto u = hsm::StoreUrl::parse(url);
	auto b = hsm::open_bucket(u);
	std::vector<char> manifest(hsm::kChunkBytes);
	manifest.resize(b->get("objects/" + digest, 0, std::as_writable_bytes(std::span(manifest))));
	std::string text(manifest.begin(), manifest.end());
	std::size_t at = text.find("\nupload ");
	if (at == std::string::npos)
		throw std::runtime_error("objects/" + digest + " names no upload");
	at += 8;
	std::string chunk = "chunks/" + text.substr(at, text.find('\n', at) - at) + "/0";
	std::vector<char> data(hsm::kChunkBytes);
	data.resize(b->get(chunk, 0, std::as_writable_bytes(std::span(data))));
	flip_middle_byte(data);
	b->put(chunk, std::as_bytes(std::span(data)));
}

} // namespace

int main(int argc, char **argv)
{
	try {
		if (argc == 3 && !std::strcmp(argv[2], "objects")) {
			std::printf("%zu\n", count_objects(argv[1]));
			return 0;
		}
		if (argc == 4 && !std::strcmp(argv[2], "corrupt")) {
			corrupt(argv[1], argv[3]);
			return 0;
		}
		std::fprintf(stderr, "usage: dmhsm-store-probe URL objects | URL corrupt DIGEST\n");
		return 2;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "dmhsm-store-probe: %s\n", e.what());
		return 1;
	}
}
