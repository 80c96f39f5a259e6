// SPDX-License-Identifier: GPL-2.0
//
// The HSM's store over an object store (RADOS, S3).  An object store
// offers whole-object writes that are atomic, ranged reads and listing,
// but no rename and no links, so the layout differs from the directory
// store's while the keys stay the same, the SHA-256 of the content:
//
//   chunks/UPLOAD/N       the Nth piece of an upload (kChunkBytes each),
//                         UPLOAD a random id given when the upload began
//   objects/DIGEST        the manifest: size, upload id, each chunk's
//                         SHA-256; written last, with one atomic write
//   refs of DIGEST        one per owner: an omap key of refs/DIGEST
//                         (RADOS), an empty object refs/DIGEST/OWNER (S3)
//
// A migration that dies before its manifest is written leaves chunks no
// manifest names, which a recall never reads ("dmhsm gc" sweeps them a
// week later, when no upload can still be going on).
// A recall verifies every chunk against the manifest before using it.
#ifndef DMHSM_OBJSTORE_H
#define DMHSM_OBJSTORE_H

#include "store.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hsm {

/** What a large object is cut into: what a writer or reader keeps in memory. */
inline constexpr std::size_t kChunkBytes = 4 << 20;

/** A store URL: SCHEME://NAME?KEY=VALUE&... */
struct StoreUrl {
	std::string scheme;
	std::string name;
	std::map<std::string, std::string> params;

	/** Throws std::system_error(EINVAL) on anything else. */
	static StoreUrl parse(const std::string &url);
	/** Back to text, parameters in order. */
	std::string str() const;
	/** The parameter @key as a number; @def without it. */
	unsigned number(const std::string &key, unsigned def) const;
};

/** How often and how patiently a transient failure is retried. */
struct RetryPolicy {
	unsigned attempts = 6;
	std::chrono::milliseconds first_delay{200};
	std::chrono::milliseconds max_delay{5000};
};

/**
 * Run @op, again after a doubling delay while it throws a transient
 * std::system_error (@transient says which), at most @policy.attempts
 * times in all; the last error propagates.  @before_retry, if given,
 * runs before each new attempt.
 */
void with_retries(const RetryPolicy &policy, const std::function<bool(int)> &transient,
		  const std::function<void()> &op,
		  const std::function<void()> &before_retry = {});

/** Held while a digest's references and manifest change together. */
class BucketLock {
public:
	virtual ~BucketLock() = default;
};

/** The primitive operations of one object store, with its own errors. */
class Bucket {
public:
	virtual ~Bucket() = default;
	/** The URL that opens this bucket again (no secrets in it). */
	virtual std::string url() const = 0;
	/** Replace @name's content with @data in one atomic write. */
	virtual void put(const std::string &name, std::span<const std::byte> data) = 0;
	/** Up to @buf.size() bytes from @off; throws ENOENT if @name is missing. */
	virtual std::size_t get(const std::string &name, std::uint64_t off,
				std::span<std::byte> buf) = 0;
	/** @name's size, or nothing if it is missing. */
	virtual std::optional<std::uint64_t> size(const std::string &name) = 0;
	/** Remove @name; a missing one is no error. */
	virtual void remove(const std::string &name) = 0;
	/** Every object whose name starts with @prefix. */
	virtual std::vector<std::string> list(const std::string &prefix) = 0;

	virtual void add_ref(const std::string &digest, const std::string &owner) = 0;
	/** A reference already gone is no error. */
	virtual void drop_ref(const std::string &digest, const std::string &owner) = 0;
	virtual std::vector<std::string> owners(const std::string &digest) = 0;
	/** Every digest that has references. */
	virtual std::vector<std::string> referenced() = 0;
	/**
	 * Exclusive use of @digest's references and manifest among all
	 * users of the store (RADOS) or of this host (S3), until destroyed.
	 */
	virtual std::unique_ptr<BucketLock> lock(const std::string &digest) = 0;
	/** Remove what held @digest's references once none is left, under its lock. */
	virtual void tidy_refs(const std::string &digest) { (void)digest; }

	/** Whether the error @code may pass if tried again. */
	virtual bool transient(int code) const = 0;
	/** Get ready to try a failed operation again. */
	virtual void before_retry() {}
	const RetryPolicy &retry_policy() const { return retry_; }

protected:
	RetryPolicy retry_;
};

/** The HSM's store over @bucket (the chunk/manifest layout above). */
std::unique_ptr<Store> make_object_store(std::unique_ptr<Bucket> bucket);

/**
 * The bucket @url names, from the store plugin of its scheme (plugin.h):
 * throws EPROTONOSUPPORT for a scheme without one.
 */
std::unique_ptr<Bucket> open_bucket(const StoreUrl &url);

} // namespace hsm

#endif
