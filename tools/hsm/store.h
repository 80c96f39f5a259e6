// SPDX-License-Identifier: GPL-2.0
//
// The secondary store: where migrated data lives.  Small on purpose, so
// that an object-store backend is one more class: objects are written as
// a stream and committed atomically, named by the SHA-256 of their
// content, and referenced by owners (a file's handle); an object goes
// with its last reference.  Errors are std::system_error.
#ifndef DMHSM_STORE_H
#define DMHSM_STORE_H

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace hsm {

/** One owner's reference to one stored object. */
struct ObjectRef {
	std::string digest;	/**< SHA-256 of the content, hex */
	std::uint64_t size = 0;
	std::string owner;
};

/** An object being written; destroyed uncommitted, it leaves nothing. */
class ObjectWriter {
public:
	virtual ~ObjectWriter() = default;
	virtual void write(std::span<const std::byte> data) = 0;
	/** Make the object durable and referenced by its owner. */
	virtual ObjectRef commit() = 0;
};

class ObjectReader {
public:
	virtual ~ObjectReader() = default;
	/** Up to @buf.size() bytes; 0 at the end of the object. */
	virtual std::size_t read(std::span<std::byte> buf) = 0;
};

class Store {
public:
	virtual ~Store() = default;

	/**
	 * The store @url names: "dir:PATH" or an absolute PATH, the
	 * directory store (created if missing); "rados://POOL?..." a Ceph
	 * pool; "s3://BUCKET?..." an S3 bucket (objstore.h).
	 */
	static std::unique_ptr<Store> open(const std::string &url);

	/** The URL that opens this store again. */
	virtual std::string url() const = 0;
	virtual std::unique_ptr<ObjectWriter> create(const std::string &owner) = 0;
	virtual std::unique_ptr<ObjectReader> read(const ObjectRef &ref) = 0;
	/** Drop @ref; a reference already gone is no error. */
	virtual void remove(const ObjectRef &ref) = 0;
	/** Every reference the store holds (for garbage collection). */
	virtual std::vector<ObjectRef> list() = 0;
	/**
	 * Remove what an interrupted write left behind once it is older
	 * than @min_age; how many objects went.  The directory store's
	 * writes leave nothing.
	 */
	virtual std::uint64_t sweep(std::chrono::seconds min_age)
	{
		(void)min_age;
		return 0;
	}
};

} // namespace hsm

#endif
