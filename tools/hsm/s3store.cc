// SPDX-License-Identifier: GPL-2.0
//
// s3://BUCKET, a Bucket on an S3 endpoint through libs3:
//
//   endpoint=HOST[:PORT]   the service (s3.amazonaws.com)
//   https=0|1              TLS (1)
//   style=path|virtual     how the bucket is named in requests (path)
//   credentials=PATH       a file of "access_key = ..." and
//                          "secret_key = ..." lines
//   retries=N              attempts of a request that failed transiently (6)
//
// The keys come from $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY, else
// from the credentials file (the parameter, else $DMHSM_S3_CREDENTIALS);
// never from the URL, which is recorded with every migrated file.  The
// bucket is made if missing.  References are empty objects
// refs/DIGEST/OWNER.  S3 has no lock, so a digest's lock is an flock()
// of a file per bucket in /run/lock (else /tmp): one host at a time may
// change a bucket's references.
#include "objstore.h"
#include "plugin.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <libs3.h>
#include <mutex>
#include <set>
#include <sys/file.h>
#include <system_error>
#include <unistd.h>

namespace hsm {
namespace {

[[noreturn]] void fail(const std::string &what, int error)
{
	throw std::system_error(error, std::generic_category(), what);
}

int status_errno(S3Status s)
{
	switch (s) {
	case S3StatusOK:
		return 0;
	case S3StatusErrorNoSuchKey:
	case S3StatusErrorNoSuchBucket:
	case S3StatusHttpErrorNotFound:
		return ENOENT;
	case S3StatusErrorAccessDenied:
	case S3StatusErrorInvalidAccessKeyId:
	case S3StatusErrorSignatureDoesNotMatch:
	case S3StatusHttpErrorForbidden:
		return EACCES;
	case S3StatusFailedToConnect:
	case S3StatusConnectionFailed:
	case S3StatusNameLookupError:
		return ECONNREFUSED;
	case S3StatusOutOfMemory:
		return ENOMEM;
	/* What libs3 makes of broken transfers and bare 5xx answers. */
	case S3StatusInternalError:
	case S3StatusErrorInternalError:
	case S3StatusErrorSlowDown:
	case S3StatusHttpErrorUnknown:
	case S3StatusErrorUnknown:
		return EAGAIN;
	default:
		return S3_status_is_retryable(s) ? EAGAIN : EIO;
	}
}

/* What one request's callbacks collect. */
struct Request {
	S3Status status = S3StatusInternalError;
	std::string detail;
	std::uint64_t content_length = 0;
	std::span<const std::byte> put;
	std::span<std::byte> get;
	std::size_t got = 0;
	std::vector<std::string> keys;
	bool truncated = false;

	static S3Status properties(const S3ResponseProperties *p, void *data)
	{
		static_cast<Request *>(data)->content_length = p->contentLength;
		return S3StatusOK;
	}
	static void complete(S3Status status, const S3ErrorDetails *error, void *data)
	{
		auto *r = static_cast<Request *>(data);
		r->status = status;
		if (error && error->message)
			r->detail = error->message;
	}
	static int put_data(int size, char *buf, void *data)
	{
		auto *r = static_cast<Request *>(data);
		std::size_t n = std::min(static_cast<std::size_t>(size), r->put.size());
		if (n)
			std::memcpy(buf, r->put.data(), n);
		r->put = r->put.subspan(n);
		return static_cast<int>(n);
	}
	static S3Status get_data(int size, const char *buf, void *data)
	{
		auto *r = static_cast<Request *>(data);
		std::size_t n = static_cast<std::size_t>(size);
		if (n > r->get.size() - r->got)
			return S3StatusAbortedByCallback;
		std::memcpy(r->get.data() + r->got, buf, n);
		r->got += n;
		return S3StatusOK;
	}
	static S3Status list_data(int truncated, const char *, int count,
				  const S3ListBucketContent *contents, int, const char **, void *data)
	{
		auto *r = static_cast<Request *>(data);
		r->truncated = truncated;
		for (int i = 0; i < count; i++)
			r->keys.emplace_back(contents[i].key);
		return S3StatusOK;
	}

	/* Throws what the request ended in, unless it was @ok. */
	void check(const std::string &what, S3Status ok = S3StatusOK) const
	{
		if (status == S3StatusOK || status == ok)
			return;
		std::string msg = what + ": " + S3_get_status_name(status);
		if (!detail.empty())
			msg += " (" + detail + ")";
		fail(msg, status_errno(status));
	}
};

constexpr S3ResponseHandler kResponse = {&Request::properties, &Request::complete};

void init_libs3(const std::string &host)
{
	static std::once_flag once;
	static S3Status status;
	std::call_once(once, [&] {
		status = S3_initialize("dmhsm", S3_INIT_ALL, host.c_str());
	});
	if (status != S3StatusOK)
		fail(std::string("libs3: ") + S3_get_status_name(status), EIO);
}

/* KEY = VALUE lines; # comments. */
std::map<std::string, std::string> read_credentials(const std::string &path)
{
	std::ifstream in(path);
	if (!in)
		fail("S3 credentials " + path, errno ? errno : ENOENT);
	std::map<std::string, std::string> kv;
	std::string line;
	auto trim = [](std::string s) {
		s.erase(0, s.find_first_not_of(" \t"));
		s.erase(s.find_last_not_of(" \t\r") + 1);
		return s;
	};
	while (std::getline(in, line)) {
		std::size_t eq = line.find('=');
		if (line.empty() || line[0] == '#' || eq == std::string::npos)
			continue;
		kv[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
	}
	return kv;
}

/* An flock() on its own descriptor, so threads of one process exclude each other too. */
class FileLock : public BucketLock {
public:
	explicit FileLock(const std::string &path)
		: fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600))
	{
		if (fd_ < 0)
			fail("lock " + path, errno);
		while (flock(fd_, LOCK_EX) != 0) {
			if (errno != EINTR) {
				int e = errno;
				::close(fd_);
				fail("flock " + path, e);
			}
		}
	}
	~FileLock() override { ::close(fd_); }
	FileLock(const FileLock &) = delete;
	FileLock &operator=(const FileLock &) = delete;

private:
	int fd_;
};

class S3Bucket : public Bucket {
public:
	explicit S3Bucket(const StoreUrl &url);

	std::string url() const override { return url_; }
	void put(const std::string &name, std::span<const std::byte> data) override
	{
		Request r;
		r.put = data;
		S3PutObjectHandler h = {kResponse, &Request::put_data};
		S3_put_object(&ctx_, name.c_str(), data.size(), nullptr, nullptr, &h, &r);
		r.check(where(name));
	}
	std::size_t get(const std::string &name, std::uint64_t off, std::span<std::byte> buf) override
	{
		if (buf.empty())
			return 0;
		Request r;
		r.get = buf;
		S3GetObjectHandler h = {kResponse, &Request::get_data};
		S3_get_object(&ctx_, name.c_str(), nullptr, off, buf.size(), nullptr, &h, &r);
		/* A range past the end is the end. */
		if (r.status == S3StatusErrorInvalidRange)
			return 0;
		r.check(where(name));
		return r.got;
	}
	std::optional<std::uint64_t> size(const std::string &name) override
	{
		Request r;
		S3_head_object(&ctx_, name.c_str(), nullptr, &kResponse, &r);
		if (status_errno(r.status) == ENOENT)
			return std::nullopt;
		r.check(where(name));
		return r.content_length;
	}
	void remove(const std::string &name) override
	{
		Request r;
		S3_delete_object(&ctx_, name.c_str(), nullptr, &kResponse, &r);
		if (status_errno(r.status) != ENOENT)
			r.check(where(name));
	}
	std::vector<std::string> list(const std::string &prefix) override;

	void add_ref(const std::string &digest, const std::string &owner) override
	{
		put(ref_name(digest, owner), {});
	}
	void drop_ref(const std::string &digest, const std::string &owner) override
	{
		remove(ref_name(digest, owner));
	}
	std::vector<std::string> owners(const std::string &digest) override
	{
		std::string prefix = "refs/" + digest + "/";
		std::vector<std::string> out;
		for (std::string &k : list(prefix))
			out.push_back(k.substr(prefix.size()));
		return out;
	}
	std::vector<std::string> referenced() override
	{
		std::set<std::string> digests;
		for (const std::string &k : list("refs/"))
			digests.insert(k.substr(5, k.find('/', 5) - 5));
		return {digests.begin(), digests.end()};
	}

	bool transient(int code) const override
	{
		return code == EAGAIN || code == ECONNREFUSED || code == ETIMEDOUT;
	}
	std::unique_ptr<BucketLock> lock(const std::string &) override
	{
		const char *dir = access("/run/lock", W_OK) == 0 ? "/run/lock" : "/tmp";
		std::string name = endpoint_ + "-" + bucket_;
		std::replace(name.begin(), name.end(), '/', '_');
		return std::make_unique<FileLock>(std::string(dir) + "/dmhsm-s3-" + name + ".lock");
	}

private:
	static std::string ref_name(const std::string &digest, const std::string &owner)
	{
		return "refs/" + digest + "/" + owner;
	}
	std::string where(const std::string &name) const { return url_ + ": " + name; }
	void make_bucket();

	std::string url_, endpoint_, bucket_, access_, secret_;
	S3BucketContext ctx_{};
};

S3Bucket::S3Bucket(const StoreUrl &url) : url_(url.str()), bucket_(url.name)
{
	static const char *const known[] = {"endpoint", "https", "style", "credentials", "retries"};
	for (const auto &[k, v] : url.params) {
		if (k == "access_key" || k == "secret_key")
			fail("s3://" + url.name + ": credentials never go in the URL; see dmhsm.conf(5)",
			     EINVAL);
		if (std::none_of(std::begin(known), std::end(known), [&](const char *n) { return k == n; }))
			fail("s3://" + url.name + ": s3:// takes no parameter " + k, EINVAL);
	}
	auto param = [&](const char *k, const char *def) {
		auto it = url.params.find(k);
		return it == url.params.end() ? std::string(def) : it->second;
	};
	endpoint_ = param("endpoint", "s3.amazonaws.com");
	std::string style = param("style", "path");
	if (style != "path" && style != "virtual")
		fail(url_ + ": style is path or virtual", EINVAL);
	unsigned https = url.number("https", 1);
	retry_.attempts = std::max(1u, url.number("retries", retry_.attempts));

	const char *ak = std::getenv("AWS_ACCESS_KEY_ID");
	const char *sk = std::getenv("AWS_SECRET_ACCESS_KEY");
	if (ak && sk) {
		access_ = ak;
		secret_ = sk;
	} else {
		const char *env = std::getenv("DMHSM_S3_CREDENTIALS");
		std::string file = param("credentials", env ? env : "");
		if (file.empty())
			fail(url_ + ": no credentials: set AWS_ACCESS_KEY_ID and "
				    "AWS_SECRET_ACCESS_KEY, or name a credentials file",
			     EACCES);
		auto kv = read_credentials(file);
		access_ = kv["access_key"];
		secret_ = kv["secret_key"];
		if (access_.empty() || secret_.empty())
			fail(url_ + ": " + file + " has no access_key or secret_key", EINVAL);
	}
	init_libs3(endpoint_);
	ctx_.hostName = endpoint_.c_str();
	ctx_.bucketName = bucket_.c_str();
	ctx_.protocol = https ? S3ProtocolHTTPS : S3ProtocolHTTP;
	ctx_.uriStyle = style == "path" ? S3UriStylePath : S3UriStyleVirtualHost;
	ctx_.accessKeyId = access_.c_str();
	ctx_.secretAccessKey = secret_.c_str();
	with_retries(retry_, [this](int e) { return transient(e); }, [this] { make_bucket(); });
}

void S3Bucket::make_bucket()
{
	Request r;
	S3_test_bucket(ctx_.protocol, ctx_.uriStyle, ctx_.accessKeyId, ctx_.secretAccessKey,
		       ctx_.hostName, ctx_.bucketName, 0, nullptr, nullptr, &kResponse, &r);
	if (status_errno(r.status) != ENOENT) {
		r.check(url_);
		return;
	}
	Request c;
	S3_create_bucket(ctx_.protocol, ctx_.accessKeyId, ctx_.secretAccessKey, ctx_.hostName,
			 ctx_.bucketName, S3CannedAclPrivate, nullptr, nullptr, &kResponse, &c);
	c.check(url_ + ": creating the bucket", S3StatusErrorBucketAlreadyOwnedByYou);
}

std::vector<std::string> S3Bucket::list(const std::string &prefix)
{
	std::vector<std::string> out;
	std::string marker;
	S3ListBucketHandler h = {kResponse, &Request::list_data};
	for (;;) {
		Request r;
		S3_list_bucket(&ctx_, prefix.c_str(), marker.empty() ? nullptr : marker.c_str(),
			       nullptr, 1000, nullptr, &h, &r);
		r.check(where(prefix + "*"));
		out.insert(out.end(), r.keys.begin(), r.keys.end());
		if (!r.truncated || r.keys.empty())
			return out;
		marker = r.keys.back();
	}
}

std::unique_ptr<Bucket> open_s3_bucket(const StoreUrl &url)
{
	return std::make_unique<S3Bucket>(url);
}

} // namespace
} // namespace hsm

DMHSM_STORE_PLUGIN(hsm::open_s3_bucket);
