// SPDX-License-Identifier: GPL-2.0
//
// The chunk/manifest layout of objstore.h over any Bucket.
//
// Reference counting: an object store has no atomic "remove if
// unreferenced", so what changes a digest's references and manifest
// together runs under the bucket's lock for that digest (Bucket::lock):
//   commit:  add the reference; keep the manifest there if every piece it
//            names is there (identical content: drop the new pieces),
//            else write the new manifest
//   remove:  drop the reference; with none left, remove the manifest,
//            then its pieces
// A commit or removal that fails half-way leaves pieces and references
// no manifest or file names, never a manifest whose pieces are gone;
// dmhsm gc collects them (references through the HSM's records, pieces
// through Store::sweep).
#include "objstore.h"

#include "digest.h"
#include "plugin.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <ctime>
#include <fcntl.h>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <unistd.h>

namespace hsm {
namespace {

[[noreturn]] void fail(const std::string &what, int error)
{
	throw std::system_error(error, std::generic_category(), what);
}

constexpr std::string_view kManifestMagic = "dmhsm-object 1";

/* What objects/DIGEST says. */
struct Manifest {
	std::uint64_t size = 0;
	std::string upload;
	std::vector<std::string> chunks;	/* each chunk's SHA-256 */

	std::string encode() const
	{
		std::string s(kManifestMagic);
		s += "\nsize " + std::to_string(size) + "\nchunk " + std::to_string(kChunkBytes) +
		     "\nupload " + upload + "\n";
		for (const std::string &c : chunks)
			s += c + "\n";
		return s;
	}

	static Manifest decode(const std::string &text, const std::string &where)
	{
		std::istringstream in(text);
		std::string line, word;
		Manifest m;
		std::size_t chunk = 0;
		if (!std::getline(in, line) || line != kManifestMagic ||
		    !(in >> word >> m.size) || word != "size" || !(in >> word >> chunk) ||
		    word != "chunk" || chunk != kChunkBytes || !(in >> word >> m.upload) ||
		    word != "upload")
			fail(where + ": not a manifest this version reads", EIO);
		while (in >> word) {
			if (!is_sha256_hex(word))
				fail(where + ": bad chunk digest", EIO);
			m.chunks.push_back(word);
		}
		if (m.chunks.size() != (m.size + kChunkBytes - 1) / kChunkBytes)
			fail(where + ": chunk count does not match the size", EIO);
		return m;
	}
};

std::string manifest_name(const std::string &digest) { return "objects/" + digest; }

std::string chunk_name(const std::string &upload, std::size_t index)
{
	return "chunks/" + upload + "/" + std::to_string(index);
}

/* TIME-RANDOM: the time lets the sweep spare uploads still going on. */
std::string new_upload_id()
{
	unsigned char r[12];
	int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ::read(fd, r, sizeof(r)) != static_cast<ssize_t>(sizeof(r))) {
		int e = errno;
		if (fd >= 0)
			::close(fd);
		fail("/dev/urandom", e ? e : EIO);
	}
	::close(fd);
	char buf[64];
	int n = std::snprintf(buf, sizeof(buf), "%010llx-",
			      static_cast<unsigned long long>(std::time(nullptr)));
	for (unsigned char c : r)
		n += std::snprintf(buf + n, sizeof(buf) - static_cast<std::size_t>(n), "%02x", c);
	return std::string(buf, static_cast<std::size_t>(n));
}

void check_owner(const std::string &owner)
{
	if (owner.empty() || owner.size() > 200 ||
	    !std::all_of(owner.begin(), owner.end(), [](char c) {
		    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
	    }))
		fail("bad object owner", EINVAL);
}

class ObjectStore : public Store {
public:
	explicit ObjectStore(std::unique_ptr<Bucket> bucket) : bucket_(std::move(bucket)) {}

	std::string url() const override { return bucket_->url(); }
	std::unique_ptr<ObjectWriter> create(const std::string &owner) override;
	std::unique_ptr<ObjectReader> read(const ObjectRef &ref) override;
	void remove(const ObjectRef &ref) override;
	std::vector<ObjectRef> list() override;
	std::uint64_t sweep(std::chrono::seconds min_age) override;

	/* Bucket operations, retried while they fail transiently. */
	template <typename F> void retry(F &&op)
	{
		with_retries(
			bucket_->retry_policy(), [this](int e) { return bucket_->transient(e); },
			std::forward<F>(op), [this] { bucket_->before_retry(); });
	}
	void put(const std::string &name, std::span<const std::byte> data)
	{
		retry([&] { bucket_->put(name, data); });
	}
	std::size_t get(const std::string &name, std::uint64_t off, std::span<std::byte> buf)
	{
		std::size_t n = 0;
		retry([&] { n = bucket_->get(name, off, buf); });
		return n;
	}
	std::optional<Manifest> manifest(const std::string &digest);
	void remove_chunks(const std::string &upload, std::size_t count);
	void drop_if_unreferenced(const std::string &digest);
	bool complete(const Manifest &m);
	std::unique_ptr<BucketLock> lock(const std::string &digest)
	{
		std::unique_ptr<BucketLock> l;
		retry([&] { l = bucket_->lock(digest); });
		return l;
	}
	Bucket &bucket() { return *bucket_; }

private:
	std::unique_ptr<Bucket> bucket_;
};

std::optional<Manifest> ObjectStore::manifest(const std::string &digest)
{
	std::string name = manifest_name(digest);
	std::optional<std::uint64_t> size;
	retry([&] { size = bucket_->size(name); });
	if (!size)
		return std::nullopt;
	if (*size > kChunkBytes)
		fail(url() + ": " + name + " is too large for a manifest", EIO);
	std::string buf(static_cast<std::size_t>(*size), '\0');
	std::size_t got = 0;
	while (got < buf.size()) {
		std::size_t n = 0;
		try {
			n = get(name, got, std::as_writable_bytes(std::span(buf).subspan(got)));
		} catch (const std::system_error &e) {
			if (e.code().value() != ENOENT)
				throw;
		}
		if (n == 0)
			return std::nullopt;	/* removed meanwhile */
		got += n;
	}
	return Manifest::decode(buf, url() + ": " + name);
}

void ObjectStore::remove_chunks(const std::string &upload, std::size_t count)
{
	for (std::size_t i = 0; i < count; i++)
		retry([&] { bucket_->remove(chunk_name(upload, i)); });
}

/* Under the digest's lock. */
void ObjectStore::drop_if_unreferenced(const std::string &digest)
{
	std::vector<std::string> owners;
	retry([&] { owners = bucket_->owners(digest); });
	if (!owners.empty())
		return;
	/* None, if the commit that made the last reference failed half-way. */
	if (auto m = manifest(digest)) {
		retry([&] { bucket_->remove(manifest_name(digest)); });
		remove_chunks(m->upload, m->chunks.size());
	}
	retry([&] { bucket_->tidy_refs(digest); });
}

/* Whether every piece @m names is there, whole. */
bool ObjectStore::complete(const Manifest &m)
{
	for (std::size_t i = 0; i < m.chunks.size(); i++) {
		std::optional<std::uint64_t> size;
		retry([&] { size = bucket_->size(chunk_name(m.upload, i)); });
		std::uint64_t want = std::min<std::uint64_t>(kChunkBytes, m.size - i * kChunkBytes);
		if (size != want)
			return false;
	}
	return true;
}

class ObjectStoreWriter : public ObjectWriter {
public:
	ObjectStoreWriter(ObjectStore &store, std::string owner)
		: store_(store), upload_(new_upload_id())
	{
		check_owner(owner);
		ref_.owner = std::move(owner);
		buf_.reserve(kChunkBytes);
	}

	~ObjectStoreWriter() override
	{
		/*
		 * Once the commit began, a manifest naming these pieces may be
		 * there even if the commit failed: they stay, for the sweep.
		 */
		if (committing_)
			return;
		try {
			store_.remove_chunks(upload_, manifest_.chunks.size());
		} catch (...) {
			/* Best effort: what is left is the sweep's. */
		}
	}

	void write(std::span<const std::byte> data) override
	{
		while (!data.empty()) {
			std::size_t n = std::min(data.size(), kChunkBytes - buf_.size());
			buf_.insert(buf_.end(), data.begin(), data.begin() + static_cast<long>(n));
			digest_.update(data.first(n));
			data = data.subspan(n);
			if (buf_.size() == kChunkBytes)
				flush();
		}
	}

	ObjectRef commit() override;

private:
	void flush();

	ObjectStore &store_;
	std::string upload_;
	std::vector<std::byte> buf_;
	Sha256 digest_;
	Manifest manifest_;
	ObjectRef ref_;
	bool committing_ = false;
};

void ObjectStoreWriter::flush()
{
	Sha256 chunk;
	chunk.update(buf_);
	store_.put(chunk_name(upload_, manifest_.chunks.size()), buf_);
	manifest_.chunks.push_back(chunk.hex());
	manifest_.size += buf_.size();
	buf_.clear();
}

ObjectRef ObjectStoreWriter::commit()
{
	if (!buf_.empty())
		flush();
	ref_.digest = digest_.hex();
	ref_.size = manifest_.size;
	manifest_.upload = upload_;
	committing_ = true;
	auto lock = store_.lock(ref_.digest);
	store_.retry([&] { store_.bucket().add_ref(ref_.digest, ref_.owner); });
	auto there = store_.manifest(ref_.digest);
	if (there && store_.complete(*there)) {
		/* The same content is there: keep one copy. */
		store_.remove_chunks(upload_, manifest_.chunks.size());
		return ref_;
	}
	std::string text = manifest_.encode();
	store_.put(manifest_name(ref_.digest), std::as_bytes(std::span(text)));
	/* A manifest replaced for want of pieces leaves the rest of them. */
	if (there)
		store_.remove_chunks(there->upload, there->chunks.size());
	return ref_;
}

class ObjectStoreReader : public ObjectReader {
public:
	ObjectStoreReader(ObjectStore &store, std::string digest, Manifest m)
		: store_(store), digest_(std::move(digest)), manifest_(std::move(m))
	{
	}

	std::size_t read(std::span<std::byte> buf) override
	{
		if (pos_ == chunk_.size()) {
			if (next_ == manifest_.chunks.size())
				return 0;
			load(next_++);
		}
		std::size_t n = std::min(buf.size(), chunk_.size() - pos_);
		std::copy_n(chunk_.begin() + static_cast<long>(pos_), n, buf.begin());
		pos_ += n;
		return n;
	}

private:
	void load(std::size_t index);

	ObjectStore &store_;
	std::string digest_;
	Manifest manifest_;
	std::vector<std::byte> chunk_;
	std::size_t pos_ = 0, next_ = 0;
};

/* A whole chunk, verified before any of it is handed out. */
void ObjectStoreReader::load(std::size_t index)
{
	std::uint64_t left = manifest_.size - index * kChunkBytes;
	chunk_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(left, kChunkBytes)));
	std::string name = chunk_name(manifest_.upload, index);
	std::size_t got = 0;
	while (got < chunk_.size()) {
		std::size_t n = 0;
		try {
			n = store_.get(name, got, std::span(chunk_).subspan(got));
		} catch (const std::system_error &e) {
			if (e.code().value() != ENOENT)
				throw;
			fail(store_.url() + ": " + name + " of object " + digest_ + " is missing", EIO);
		}
		if (n == 0)
			fail(store_.url() + ": " + name + " of object " + digest_ + " is short", EIO);
		got += n;
	}
	Sha256 sum;
	sum.update(chunk_);
	if (sum.hex() != manifest_.chunks[index])
		fail(store_.url() + ": " + name + " of object " + digest_ +
			     " does not match its checksum",
		     EIO);
	pos_ = 0;
}

std::unique_ptr<ObjectWriter> ObjectStore::create(const std::string &owner)
{
	return std::make_unique<ObjectStoreWriter>(*this, owner);
}

std::unique_ptr<ObjectReader> ObjectStore::read(const ObjectRef &ref)
{
	if (!is_sha256_hex(ref.digest))
		fail("bad object digest", EINVAL);
	auto m = manifest(ref.digest);
	if (!m)
		fail(url() + ": no object " + ref.digest, ENOENT);
	return std::make_unique<ObjectStoreReader>(*this, ref.digest, std::move(*m));
}

void ObjectStore::remove(const ObjectRef &ref)
{
	if (!is_sha256_hex(ref.digest))
		fail("bad object digest", EINVAL);
	check_owner(ref.owner);
	auto lock = this->lock(ref.digest);
	retry([&] { bucket_->drop_ref(ref.digest, ref.owner); });
	drop_if_unreferenced(ref.digest);
}

std::vector<ObjectRef> ObjectStore::list()
{
	std::vector<std::string> digests;
	retry([&] { digests = bucket_->referenced(); });
	std::vector<ObjectRef> out;
	for (const std::string &d : digests) {
		std::vector<std::string> owners;
		retry([&] { owners = bucket_->owners(d); });
		auto m = manifest(d);
		for (std::string &o : owners)
			out.push_back({d, m ? m->size : 0, std::move(o)});
	}
	return out;
}

/* Chunk sets no manifest names, once older than @min_age; manifests no reference names. */
std::uint64_t ObjectStore::sweep(std::chrono::seconds min_age)
{
	std::vector<std::string> names;
	retry([&] { names = bucket_->list("objects/"); });
	std::set<std::string> live;
	std::uint64_t swept = 0;
	for (const std::string &n : names) {
		std::string digest = n.substr(std::string_view("objects/").size());
		if (!is_sha256_hex(digest))
			continue;
		auto lock = this->lock(digest);
		drop_if_unreferenced(digest);
		if (auto m = manifest(digest))
			live.insert(m->upload);
		else
			swept++;
	}
	retry([&] { names = bucket_->list("chunks/"); });
	auto now = static_cast<unsigned long long>(std::time(nullptr));
	for (const std::string &n : names) {
		std::string_view rest = std::string_view(n).substr(std::string_view("chunks/").size());
		std::string upload(rest.substr(0, rest.find('/')));
		unsigned long long born = 0;
		auto [end, ec] = std::from_chars(upload.data(), upload.data() + upload.size(), born, 16);
		if (ec != std::errc() || *end != '-' || live.count(upload) ||
		    born + static_cast<unsigned long long>(min_age.count()) > now)
			continue;
		retry([&] { bucket_->remove(n); });
		swept++;
	}
	return swept;
}

} // namespace

std::unique_ptr<Store> make_object_store(std::unique_ptr<Bucket> bucket)
{
	return std::make_unique<ObjectStore>(std::move(bucket));
}

std::unique_ptr<Bucket> open_bucket(const StoreUrl &url)
{
	return store_plugin(url).open(url);
}

} // namespace hsm
