// SPDX-License-Identifier: GPL-2.0
//
// SHA-256 over a stream of bytes, the checksum that names the HSM's
// objects and proves a recall whole.
#ifndef DMHSM_DIGEST_H
#define DMHSM_DIGEST_H

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace hsm {

class Sha256 {
public:
	Sha256();
	~Sha256();
	Sha256(const Sha256 &) = delete;
	Sha256 &operator=(const Sha256 &) = delete;

	void update(std::span<const std::byte> data);
	/** The digest of everything given, in lower-case hex; ends the stream. */
	std::string hex();

private:
	struct Context;
	std::unique_ptr<Context> ctx_;
};

/** Whether @s is 64 lower-case hex digits, as Sha256::hex() gives. */
bool is_sha256_hex(std::string_view s);

} // namespace hsm

#endif
