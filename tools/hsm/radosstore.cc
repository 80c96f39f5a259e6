// SPDX-License-Identifier: GPL-2.0
//
// rados://POOL, a Bucket in a Ceph pool through librados:
//
//   conf=PATH        ceph.conf (else $CEPH_CONF, then Ceph's defaults)
//   client=NAME      the client's name (client.admin)
//   keyring=PATH     its keyring (else what ceph.conf says)
//   namespace=NS     the RADOS namespace in the pool (none)
//   timeout=SECONDS  how long one operation may wait for an OSD or a
//                    monitor (30); librados would wait forever
//   retries=N        attempts of an operation that timed out (6)
//   lock=SECONDS     how long a digest's lock outlives a holder that
//                    died (60)
//
// References are omap keys of refs/DIGEST, so adding or dropping one is
// one atomic operation on one object; the digest's lock is a RADOS
// exclusive lock on it, which lapses if its holder dies and is renewed
// while it lives.
#include "objstore.h"
#include "plugin.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <rados/librados.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>

namespace hsm {
namespace {

/* librados answers -errno. */
int check(int rc, const std::string &what)
{
	if (rc < 0)
		throw std::system_error(-rc, std::generic_category(), what);
	return rc;
}

/* The cluster's handle and the pool's, released however the constructor ends. */
using Cluster = std::unique_ptr<void, decltype(&rados_shutdown)>;
using Pool = std::unique_ptr<void, decltype(&rados_ioctx_destroy)>;

/*
 * A digest's lock, renewed every third of its lapse while it is held: the
 * work under it may wait for a stalled OSD longer than the lapse (timeout
 * times retries), and a lock that lapsed meanwhile would let another
 * client change the references under us.  The lapse frees it only when
 * its holder died.
 */
class RadosLock : public BucketLock {
public:
	RadosLock(rados_ioctx_t io, std::string oid, std::string cookie,
		  std::chrono::seconds lapse)
		: io_(io), oid_(std::move(oid)), cookie_(std::move(cookie)), lapse_(lapse),
		  renewer_([this] { renew(); })
	{
	}
	~RadosLock() override
	{
		{
			std::lock_guard<std::mutex> g(lock_);
			released_ = true;
		}
		wake_.notify_one();
		renewer_.join();
		rados_unlock(io_, oid_.c_str(), kName, cookie_.c_str());
	}
	RadosLock(const RadosLock &) = delete;
	RadosLock &operator=(const RadosLock &) = delete;

	static constexpr const char *kName = "dmhsm";
	static constexpr const char *kWhy = "dmhsm: references changing";

	/* Take it, or renew it (renewing: only while we hold it). */
	static int take(rados_ioctx_t io, const std::string &oid, const std::string &cookie,
			std::chrono::seconds lapse, bool renewing)
	{
		struct timeval duration = {static_cast<time_t>(lapse.count()), 0};
		return rados_lock_exclusive(io, oid.c_str(), kName, cookie.c_str(), kWhy,
					    &duration,
					    renewing ? LIBRADOS_LOCK_FLAG_MUST_RENEW : 0);
	}

private:
	/*
	 * Renewal stops at the first failure: the lock went with its object
	 * (Bucket::tidy_refs), or it lapsed, and then it is not ours to take
	 * again.
	 */
	void renew()
	{
		std::unique_lock<std::mutex> g(lock_);
		while (!wake_.wait_for(g, lapse_ / 3, [this] { return released_; })) {
			g.unlock();
			int rc = take(io_, oid_, cookie_, lapse_, true);
			g.lock();
			if (rc < 0)
				return;
		}
	}

	rados_ioctx_t io_;
	std::string oid_, cookie_;
	std::chrono::seconds lapse_;
	std::mutex lock_;
	std::condition_variable wake_;
	bool released_ = false;
	std::thread renewer_;	/* last: it starts once the rest is there */
};

class RadosBucket : public Bucket {
public:
	explicit RadosBucket(const StoreUrl &url);

	std::string url() const override { return url_; }
	void put(const std::string &name, std::span<const std::byte> data) override
	{
		check(rados_write_full(io_, name.c_str(), reinterpret_cast<const char *>(data.data()),
				       data.size()),
		      where(name));
	}
	std::size_t get(const std::string &name, std::uint64_t off, std::span<std::byte> buf) override
	{
		return static_cast<std::size_t>(check(
			rados_read(io_, name.c_str(), reinterpret_cast<char *>(buf.data()), buf.size(), off),
			where(name)));
	}
	std::optional<std::uint64_t> size(const std::string &name) override
	{
		std::uint64_t size = 0;
		time_t mtime;
		int rc = rados_stat(io_, name.c_str(), &size, &mtime);
		if (rc == -ENOENT)
			return std::nullopt;
		check(rc, where(name));
		return size;
	}
	void remove(const std::string &name) override
	{
		int rc = rados_remove(io_, name.c_str());
		if (rc != -ENOENT)
			check(rc, where(name));
	}
	std::vector<std::string> list(const std::string &prefix) override;
	void add_ref(const std::string &digest, const std::string &owner) override;
	void drop_ref(const std::string &digest, const std::string &owner) override;
	std::vector<std::string> owners(const std::string &digest) override;
	std::vector<std::string> referenced() override;

	bool transient(int code) const override
	{
		/* Not ESHUTDOWN: a client the cluster blocklisted stays so. */
		switch (code) {
		case ETIMEDOUT: case EAGAIN: case EBUSY: case EINTR:
		case ECONNREFUSED: case ECONNRESET: case ENOTCONN:
			return true;
		}
		return false;
	}

	/*
	 * An OSD that restarted listens at a new address, which a client
	 * whose operations only timed out may not have heard of yet.
	 */
	void before_retry() override { rados_wait_for_latest_osdmap(cluster_.get()); }
	std::unique_ptr<BucketLock> lock(const std::string &digest) override;
	/* Its lock goes with it. */
	void tidy_refs(const std::string &digest) override { remove("refs/" + digest); }

private:
	std::string where(const std::string &name) const { return url_ + ": " + name; }

	std::string url_;
	std::chrono::seconds lock_lapse_{60};
	Cluster cluster_{nullptr, rados_shutdown};
	Pool pool_{nullptr, rados_ioctx_destroy};
	rados_ioctx_t io_ = nullptr;
};

RadosBucket::RadosBucket(const StoreUrl &url) : url_(url.str())
{
	static const char *const known[] = {"conf", "client", "keyring", "namespace", "timeout",
					    "retries", "lock"};
	for (const auto &[k, v] : url.params)
		if (std::none_of(std::begin(known), std::end(known), [&](const char *n) { return k == n; }))
			throw std::system_error(EINVAL, std::generic_category(),
						url_ + ": rados:// takes no parameter " + k);
	auto param = [&](const char *k) -> const char * {
		auto it = url.params.find(k);
		return it == url.params.end() ? nullptr : it->second.c_str();
	};
	const char *client = param("client");
	rados_t cluster;
	check(rados_create2(&cluster, "ceph", client ? client : "client.admin", 0),
	      url_ + ": rados_create2");
	cluster_.reset(cluster);
	check(rados_conf_read_file(cluster, param("conf")), url_ + ": reading the Ceph configuration");
	check(rados_conf_parse_env(cluster, nullptr), url_ + ": CEPH_ARGS");
	if (const char *keyring = param("keyring"))
		check(rados_conf_set(cluster, "keyring", keyring), url_ + ": keyring");
	std::string timeout = std::to_string(url.number("timeout", 30));
	for (const char *opt : {"rados_osd_op_timeout", "rados_mon_op_timeout", "client_mount_timeout"})
		check(rados_conf_set(cluster, opt, timeout.c_str()), url_ + ": " + opt);
	retry_.attempts = std::max(1u, url.number("retries", retry_.attempts));
	lock_lapse_ = std::chrono::seconds(std::max(1u, url.number("lock", 60)));
	with_retries(retry_, [this](int e) { return transient(e); },
		     [&] { check(rados_connect(cluster), url_ + ": connecting to the cluster"); });
	check(rados_ioctx_create(cluster, url.name.c_str(), &io_), url_ + ": pool " + url.name);
	pool_.reset(io_);
	if (const char *ns = param("namespace"))
		rados_ioctx_set_namespace(io_, ns);
}

std::vector<std::string> RadosBucket::list(const std::string &prefix)
{
	rados_list_ctx_t ctx;
	check(rados_nobjects_list_open(io_, &ctx), where("listing"));
	std::vector<std::string> out;
	for (;;) {
		const char *entry, *key, *nspace;
		int rc = rados_nobjects_list_next(ctx, &entry, &key, &nspace);
		if (rc == -ENOENT)
			break;
		if (rc < 0) {
			rados_nobjects_list_close(ctx);
			check(rc, where("listing"));
		}
		if (std::strncmp(entry, prefix.c_str(), prefix.size()) == 0)
			out.emplace_back(entry);
	}
	rados_nobjects_list_close(ctx);
	return out;
}

/* One write operation, released however it ends. */
class WriteOp {
public:
	WriteOp() : op_(rados_create_write_op()) {}
	~WriteOp() { rados_release_write_op(op_); }
	WriteOp(const WriteOp &) = delete;
	WriteOp &operator=(const WriteOp &) = delete;
	rados_write_op_t get() const { return op_; }

private:
	rados_write_op_t op_;
};

void RadosBucket::add_ref(const std::string &digest, const std::string &owner)
{
	WriteOp op;
	const char *key = owner.c_str();
	const char *val = "";
	std::size_t len = 0;
	rados_write_op_omap_set(op.get(), &key, &val, &len, 1);
	std::string oid = "refs/" + digest;
	check(rados_write_op_operate(op.get(), io_, oid.c_str(), nullptr, 0), where(oid));
}

void RadosBucket::drop_ref(const std::string &digest, const std::string &owner)
{
	WriteOp op;
	const char *key = owner.c_str();
	rados_write_op_assert_exists(op.get());
	rados_write_op_omap_rm_keys(op.get(), &key, 1);
	std::string oid = "refs/" + digest;
	int rc = rados_write_op_operate(op.get(), io_, oid.c_str(), nullptr, 0);
	if (rc != -ENOENT)
		check(rc, where(oid));
}

std::vector<std::string> RadosBucket::owners(const std::string &digest)
{
	std::string oid = "refs/" + digest;
	std::vector<std::string> out;
	std::string after;
	for (unsigned char more = 1; more;) {
		rados_read_op_t op = rados_create_read_op();
		rados_omap_iter_t iter = nullptr;
		int prval = 0;
		rados_read_op_omap_get_keys2(op, after.c_str(), 1024, &iter, &more, &prval);
		int rc = rados_read_op_operate(op, io_, oid.c_str(), 0);
		rados_release_read_op(op);
		if (rc >= 0)
			rc = prval;
		if (rc < 0 && iter)
			rados_omap_get_end(iter);
		if (rc == -ENOENT)
			return out;
		check(rc, where(oid));
		char *key, *val;
		std::size_t klen, vlen;
		while (rados_omap_get_next2(iter, &key, &val, &klen, &vlen) == 0 && key)
			out.emplace_back(key, klen);
		rados_omap_get_end(iter);
		if (!out.empty())
			after = out.back();
	}
	return out;
}

std::unique_ptr<BucketLock> RadosBucket::lock(const std::string &digest)
{
	unsigned char r[8];
	int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && ::read(fd, r, sizeof(r)) == static_cast<ssize_t>(sizeof(r));
	if (fd >= 0)
		::close(fd);
	if (!ok)
		throw std::system_error(EIO, std::generic_category(), "/dev/urandom");
	char cookie[2 * sizeof(r) + 1];
	for (std::size_t i = 0; i < sizeof(r); i++)
		std::snprintf(cookie + 2 * i, 3, "%02x", r[i]);
	std::string oid = "refs/" + digest;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
	for (;;) {
		int rc = RadosLock::take(io_, oid, cookie, lock_lapse_, false);
		if (rc == 0)
			return std::make_unique<RadosLock>(io_, oid, cookie, lock_lapse_);
		if (rc != -EBUSY || std::chrono::steady_clock::now() > deadline)
			check(rc == -EBUSY ? -ETIMEDOUT : rc, where(oid) + ": lock");
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
}

std::vector<std::string> RadosBucket::referenced()
{
	std::vector<std::string> out;
	for (std::string &name : list("refs/"))
		out.push_back(name.substr(5));
	return out;
}

std::unique_ptr<Bucket> open_rados_bucket(const StoreUrl &url)
{
	return std::make_unique<RadosBucket>(url);
}

} // namespace
} // namespace hsm

DMHSM_STORE_PLUGIN(hsm::open_rados_bucket);
