// SPDX-License-Identifier: GPL-2.0
#include "digest.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace hsm {

struct Sha256::Context {
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	~Context() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Context>())
{
	if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1)
		throw std::runtime_error("SHA-256: cannot initialise the digest");
}

Sha256::~Sha256() = default;

void Sha256::update(std::span<const std::byte> data)
{
	if (EVP_DigestUpdate(ctx_->md, data.data(), data.size()) != 1)
		throw std::runtime_error("SHA-256: update failed");
}

std::string Sha256::hex()
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(ctx_->md, md, &len) != 1)
		throw std::runtime_error("SHA-256: final failed");
	static constexpr char digits[] = "0123456789abcdef";
	std::string out;
	for (unsigned int i = 0; i < len; i++) {
		out += digits[md[i] >> 4];
		out += digits[md[i] & 15];
	}
	return out;
}

bool is_sha256_hex(std::string_view s)
{
	if (s.size() != 64)
		return false;
	for (char c : s)
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	return true;
}

} // namespace hsm
