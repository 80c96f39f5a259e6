// SPDX-License-Identifier: GPL-2.0
//
// The HSM's store backends against live stores: every store URL named in
// $DMHSM_TEST_STORES (space-separated; tests/ceph/run-store-tests starts
// a Ceph cluster with radosgw and names a directory, a RADOS pool and an
// S3 bucket).  $DMHSM_TEST_CEPH_DIR, when set, is the cluster that
// tests/ceph/ceph-cluster may stop and start (the OSD-failure tests).
#include "digest.h"
#include "objstore.h"
#include "store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

namespace {

using hsm::ObjectRef;
using hsm::Store;

std::vector<std::string> store_urls()
{
	std::vector<std::string> urls;
	const char *env = std::getenv("DMHSM_TEST_STORES");
	std::istringstream in(env ? env : "");
	for (std::string u; in >> u;)
		urls.push_back(u);
	return urls;
}

std::vector<std::byte> random_bytes(std::size_t n, unsigned seed)
{
	std::mt19937 gen(seed);
	std::vector<std::byte> v(n);
	for (auto &b : v)
		b = static_cast<std::byte>(gen());
	return v;
}

std::string digest_of(std::span<const std::byte> data)
{
	hsm::Sha256 d;
	d.update(data);
	return d.hex();
}

/* In pieces of an odd size, as a migration's reads may come. */
ObjectRef store_bytes(Store &s, const std::string &owner, std::span<const std::byte> data)
{
	auto w = s.create(owner);
	for (std::size_t off = 0; off < data.size(); off += 333333)
		w->write(data.subspan(off, std::min<std::size_t>(333333, data.size() - off)));
	return w->commit();
}

std::vector<std::byte> read_all(Store &s, const ObjectRef &ref)
{
	auto r = s.read(ref);
	std::vector<std::byte> out, buf(1 << 20);
	while (std::size_t n = r->read(buf))
		out.insert(out.end(), buf.begin(), buf.begin() + static_cast<long>(n));
	return out;
}

int error_of(const std::function<void()> &f)
{
	try {
		f();
	} catch (const std::system_error &e) {
		return e.code().value();
	}
	return 0;
}

bool is_object_store(const std::string &url) { return url.find("://") != std::string::npos; }

/* The upload id the manifest of @digest names. */
std::string upload_of(hsm::Bucket &b, const std::string &digest)
{
	std::string manifest(4096, '\0');
	manifest.resize(b.get("objects/" + digest, 0, std::as_writable_bytes(std::span(manifest))));
	std::size_t at = manifest.find("upload ") + 7;
	return manifest.substr(at, manifest.find('\n', at) - at);
}

class StoreTest : public ::testing::TestWithParam<std::string> {
protected:
	void SetUp() override { store_ = Store::open(GetParam()); }

	/* Owners unique to this test, so tests share a store safely. */
	std::string owner(int n) const
	{
		const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
		std::string s = std::string(info->name()) + "_" + std::to_string(n);
		for (char &c : s)
			if (!std::isalnum(static_cast<unsigned char>(c)))
				c = '_';
		return s + "_" + std::to_string(getpid());
	}
	std::unique_ptr<hsm::Bucket> bucket() const
	{
		auto u = hsm::StoreUrl::parse(GetParam());
		return hsm::open_bucket(u);
	}
	std::vector<ObjectRef> refs_of(const std::string &digest)
	{
		auto all = store_->list();
		std::vector<ObjectRef> out;
		std::copy_if(all.begin(), all.end(), std::back_inserter(out),
			     [&](const ObjectRef &r) { return r.digest == digest; });
		return out;
	}

	std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, ContentComesBackWholeAtEverySizeAroundAChunk)
{
	const std::size_t sizes[] = {0, 1, hsm::kChunkBytes - 1, hsm::kChunkBytes,
				     hsm::kChunkBytes + 1, 2 * hsm::kChunkBytes + 12345};
	int n = 0;
	for (std::size_t size : sizes) {
		SCOPED_TRACE(size);
		auto data = random_bytes(size, static_cast<unsigned>(size));
		ObjectRef ref = store_bytes(*store_, owner(n++), data);
		EXPECT_EQ(ref.digest, digest_of(data));
		EXPECT_EQ(ref.size, size);
		EXPECT_EQ(read_all(*store_, ref), data);
		store_->remove(ref);
	}
}

TEST_P(StoreTest, ReopenedByItsUrlTheStoreReadsTheSameObject)
{
	auto data = random_bytes(100000, 1);
	ObjectRef ref = store_bytes(*store_, owner(0), data);
	auto again = Store::open(store_->url());
	EXPECT_EQ(again->url(), store_->url());
	EXPECT_EQ(read_all(*again, ref), data);
	store_->remove(ref);
}

TEST_P(StoreTest, TheSameContentTwiceIsKeptUntilItsLastReference)
{
	auto data = random_bytes(hsm::kChunkBytes + 7, 2);
	ObjectRef a = store_bytes(*store_, owner(1), data);
	ObjectRef b = store_bytes(*store_, owner(2), data);
	ASSERT_EQ(a.digest, b.digest);
	EXPECT_EQ(refs_of(a.digest).size(), 2u);
	store_->remove(a);
	EXPECT_EQ(read_all(*store_, b), data);
	store_->remove(b);
	EXPECT_TRUE(refs_of(a.digest).empty());
	EXPECT_EQ(error_of([&] { store_->read(b); }), ENOENT);
}

TEST_P(StoreTest, ListNamesEachReferenceWithItsSize)
{
	auto data = random_bytes(5000, 3);
	ObjectRef ref = store_bytes(*store_, owner(0), data);
	auto refs = refs_of(ref.digest);
	ASSERT_EQ(refs.size(), 1u);
	EXPECT_EQ(refs[0].owner, owner(0));
	EXPECT_EQ(refs[0].size, 5000u);
	store_->remove(ref);
}

TEST_P(StoreTest, RemovingAReferenceTwiceIsNoError)
{
	ObjectRef ref = store_bytes(*store_, owner(0), random_bytes(10, 4));
	store_->remove(ref);
	EXPECT_EQ(error_of([&] { store_->remove(ref); }), 0);
}

TEST_P(StoreTest, BadDigestsAndOwnersFailEINVAL)
{
	ObjectRef bad{"not-a-digest", 0, "owner"};
	EXPECT_EQ(error_of([&] { store_->read(bad); }), EINVAL);
	EXPECT_EQ(error_of([&] { store_->remove(bad); }), EINVAL);
	EXPECT_EQ(error_of([&] { store_->create("a/b"); }), EINVAL);
	EXPECT_EQ(error_of([&] { store_->create(""); }), EINVAL);
}

TEST_P(StoreTest, AWriterDestroyedUncommittedLeavesNothing)
{
	auto data = random_bytes(hsm::kChunkBytes * 2 + 1, 5);
	std::size_t pieces = 0;
	if (is_object_store(GetParam()))
		pieces = bucket()->list("chunks/").size();
	{
		auto w = store_->create(owner(0));
		w->write(data);
		if (is_object_store(GetParam())) {
			EXPECT_EQ(bucket()->list("chunks/").size(), pieces + 2) << "written as it goes";
		}
	}
	EXPECT_TRUE(refs_of(digest_of(data)).empty());
	EXPECT_EQ(error_of([&] { store_->read({digest_of(data), 0, owner(0)}); }), ENOENT);
	if (is_object_store(GetParam())) {
		EXPECT_EQ(bucket()->list("chunks/").size(), pieces) << "its pieces are gone";
	}
}

TEST_P(StoreTest, AManifestWhosePiecesWentIsReplacedByTheNextCopy)
{
	if (!is_object_store(GetParam()))
		GTEST_SKIP() << "the directory store has no pieces";
	auto data = random_bytes(hsm::kChunkBytes + 10, 9);
	ObjectRef a = store_bytes(*store_, owner(1), data);
	auto b = bucket();
	b->remove("chunks/" + upload_of(*b, a.digest) + "/1");
	EXPECT_EQ(error_of([&] { read_all(*store_, a); }), EIO);
	ObjectRef again = store_bytes(*store_, owner(2), data);
	EXPECT_EQ(read_all(*store_, again), data);
	EXPECT_EQ(read_all(*store_, a), data) << "one object, whole again, for both";
	store_->remove(a);
	store_->remove(again);
}

/*
 * A copy of content whose object was damaged since (the same size) puts
 * the object right, for every reference to it: it is not taken for the
 * same object unchecked.
 */
TEST_P(StoreTest, ADamagedObjectIsRepairedByTheNextCopyOfItsContent)
{
	if (is_object_store(GetParam()))
		GTEST_SKIP() << "an object store checks its pieces when read (EIO), not when copied";
	auto data = random_bytes(70000, 11);
	ObjectRef a = store_bytes(*store_, owner(1), data);
	std::string root = GetParam().substr(4);
	std::string path = root + "/objects/" + a.digest.substr(0, 2) + "/" + a.digest;
	int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0) << path << ": " << strerror(errno);
	char bad = static_cast<char>(~static_cast<unsigned char>(data[500]));
	EXPECT_EQ(pwrite(fd, &bad, 1, 500), 1);
	close(fd);
	ASSERT_NE(read_all(*store_, a), data) << "the damage";
	ObjectRef b = store_bytes(*store_, owner(2), data);
	EXPECT_EQ(read_all(*store_, b), data);
	EXPECT_EQ(read_all(*store_, a), data) << "the first reference's object, repaired";
	store_->remove(a);
	store_->remove(b);
}

TEST_P(StoreTest, ConcurrentCopiesAndRemovalsOfTheSameContentLoseNothing)
{
	auto data = random_bytes(hsm::kChunkBytes + 77, 10);
	std::atomic<int> failures{0};
	std::vector<std::thread> threads;
	for (int t = 0; t < 4; t++)
		threads.emplace_back([&, t] {
			auto store = Store::open(GetParam());	/* as separate processes would */
			for (int i = 0; i < 6; i++) {
				try {
					ObjectRef ref = store_bytes(*store, owner(t), data);
					if (read_all(*store, ref) != data)
						failures++;
					store->remove(ref);
				} catch (const std::exception &e) {
					ADD_FAILURE() << e.what();
					failures++;
				}
			}
		});
	for (auto &th : threads)
		th.join();
	EXPECT_EQ(failures, 0);
	EXPECT_TRUE(refs_of(digest_of(data)).empty());
	EXPECT_EQ(error_of([&] { store_->read({digest_of(data), 0, owner(0)}); }), ENOENT);
}

TEST_P(StoreTest, AWriterKilledBeforeCommitLeavesNoObjectAndTheSweepTakesItsChunks)
{
	if (!is_object_store(GetParam()))
		GTEST_SKIP() << "the directory store writes to an unlinked file: a crash leaves nothing";
	auto data = random_bytes(hsm::kChunkBytes * 2 + 1, 6);
	auto b = bucket();
	auto before = b->list("chunks/").size();
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		auto child = Store::open(GetParam());
		auto w = child->create(owner(0));
		w->write(data);
		_exit(0);	/* no destructor, no commit: a crash */
	}
	int status;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(b->list("chunks/").size(), before + 2);
	EXPECT_EQ(error_of([&] { store_->read({digest_of(data), 0, owner(0)}); }), ENOENT);
	EXPECT_EQ(store_->sweep(std::chrono::hours(1)), 0u) << "a young upload may be live";
	EXPECT_GE(store_->sweep(std::chrono::seconds(0)), 2u);
	EXPECT_TRUE(b->list("chunks/").empty() || b->list("chunks/").size() < before + 2);
}

TEST_P(StoreTest, ACorruptChunkFailsTheReadEIO)
{
	if (!is_object_store(GetParam()))
		GTEST_SKIP() << "the directory store's digest is checked by the HSM's restore";
	auto data = random_bytes(hsm::kChunkBytes + 100, 7);
	ObjectRef ref = store_bytes(*store_, owner(0), data);
	auto b = bucket();
	std::string upload = upload_of(*b, ref.digest);
	auto evil = data;
	evil[hsm::kChunkBytes + 3] ^= std::byte{1};
	b->put("chunks/" + upload + "/1", std::span(evil).subspan(hsm::kChunkBytes));
	auto r = store_->read(ref);
	std::vector<std::byte> buf(hsm::kChunkBytes);
	EXPECT_EQ(r->read(buf), hsm::kChunkBytes) << "the first chunk is whole";
	EXPECT_EQ(error_of([&] { r->read(buf); }), EIO);
	store_->remove(ref);
}

/*
 * A digest's lock stays its holder's for as long as it holds it: a RADOS
 * lock lapses (here after 1 s), so that one whose holder died is freed,
 * unless its living holder renews it.
 */
TEST_P(StoreTest, ADigestLockHeldLongerThanItsLapseStaysTheHolders)
{
	if (!is_object_store(GetParam()) || hsm::StoreUrl::parse(GetParam()).scheme != "rados")
		GTEST_SKIP() << "only a RADOS store's lock lapses";
	auto url = hsm::StoreUrl::parse(GetParam());
	url.params["lock"] = "1";
	auto holder = hsm::open_bucket(url), other = hsm::open_bucket(url);
	std::string digest = digest_of(random_bytes(64, static_cast<unsigned>(getpid())));
	auto held = holder->lock(digest);
	std::atomic<bool> released{false}, taken_while_held{false};
	std::atomic<int> error{0};
	std::thread waiter([&] {
		error = error_of([&] {
			auto taken = other->lock(digest);
			taken_while_held = !released;
		});
	});
	std::this_thread::sleep_for(std::chrono::milliseconds(3500));
	released = true;
	held.reset();
	waiter.join();
	EXPECT_EQ(error, 0) << strerror(error);
	EXPECT_FALSE(taken_while_held) << "another client took the lock while it was held";
	holder->tidy_refs(digest);
}

TEST_P(StoreTest, UnknownUrlParametersFailEINVAL)
{
	if (!is_object_store(GetParam()))
		GTEST_SKIP() << "a directory store URL has no parameters";
	std::string url = GetParam();
	url += url.find('?') == std::string::npos ? "?colour=blue" : "&colour=blue";
	EXPECT_EQ(error_of([&] { Store::open(url); }), EINVAL);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::ValuesIn(store_urls()),
			 [](const auto &info) {
				 std::string s = info.param.substr(0, info.param.find(':'));
				 return s == "dir" || s[0] == '/' ? std::string("dir") : s;
			 });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreTest);

TEST(StoreUrl, CredentialsInAnS3UrlFailEINVAL)
{
	EXPECT_EQ(error_of([] { Store::open("s3://b?endpoint=127.0.0.1:1&access_key=x"); }), EINVAL);
	EXPECT_EQ(error_of([] { Store::open("s3://b?endpoint=127.0.0.1:1&secret_key=x"); }), EINVAL);
}

TEST(StoreUrl, AnUnknownSchemeFailsEPROTONOSUPPORT)
{
	EXPECT_EQ(error_of([] { Store::open("ftp://host/x"); }), EPROTONOSUPPORT);
}

TEST(StoreUrl, ARelativePathFailsEINVAL)
{
	EXPECT_EQ(error_of([] { Store::open("relative/dir"); }), EINVAL);
}

TEST(StoreUrl, S3WithoutCredentialsFailsEACCES)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("DMHSM_S3_CREDENTIALS");
	EXPECT_EQ(error_of([] { Store::open("s3://b?endpoint=127.0.0.1:1&https=0"); }), EACCES);
}

TEST(StoreUrl, AMissingPoolFailsENOENTAtOnce)
{
	if (!std::getenv("DMHSM_TEST_POOL"))
		GTEST_SKIP() << "no cluster (DMHSM_TEST_POOL)";
	auto t = std::chrono::steady_clock::now();
	EXPECT_EQ(error_of([] { Store::open("rados://no-such-pool"); }), ENOENT);
	EXPECT_LT(std::chrono::steady_clock::now() - t, std::chrono::seconds(10))
		<< "a permanent error is not retried";
}

TEST(StoreUrl, WrongS3KeysFailEACCES)
{
	const char *endpoint = std::getenv("DMHSM_TEST_S3_ENDPOINT");
	if (!endpoint)
		GTEST_SKIP() << "no S3 endpoint (DMHSM_TEST_S3_ENDPOINT)";
	setenv("AWS_ACCESS_KEY_ID", "NOSUCHKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "nosuchsecret", 1);
	std::string url = std::string("s3://denied?https=0&endpoint=") + endpoint;
	EXPECT_EQ(error_of([&] { Store::open(url); }), EACCES);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
}

/* The cluster's OSD, stopped and started by tests/ceph/ceph-cluster. */
class OsdFailure : public ::testing::Test {
protected:
	void SetUp() override
	{
		const char *dir = std::getenv("DMHSM_TEST_CEPH_DIR");
		const char *tool = std::getenv("DMHSM_TEST_CEPH_TOOL");
		const char *pool = std::getenv("DMHSM_TEST_POOL");
		if (!dir || !tool || !pool)
			GTEST_SKIP() << "no cluster to fail (DMHSM_TEST_CEPH_DIR)";
		cluster_ = std::string(tool) + " %s " + dir;
		url_ = std::string("rados://") + pool + "?retries=4&timeout=3";
	}
	void TearDown() override
	{
		if (osd_down_)
			ceph("start-osd");
	}
	void ceph(const char *what)
	{
		char cmd[4096];
		std::snprintf(cmd, sizeof(cmd), cluster_.c_str(), what);
		ASSERT_EQ(std::system(cmd), 0) << cmd;
		osd_down_ = std::string(what) == "kill-osd";
	}

	std::string cluster_, url_;
	bool osd_down_ = false;
};

TEST_F(OsdFailure, AWriteFailsETIMEDOUTWhileTheOsdIsDownAndWorksOnceItIsBack)
{
	auto store = Store::open(url_);
	auto data = random_bytes(hsm::kChunkBytes * 2, 8);
	auto w = store->create("osd_failure");
	w->write(std::span(data).first(hsm::kChunkBytes));
	ceph("kill-osd");
	EXPECT_EQ(error_of([&] {
			  w->write(std::span(data).subspan(hsm::kChunkBytes));
			  w->commit();
		  }),
		  ETIMEDOUT);
	ceph("start-osd");
	ObjectRef ref = store_bytes(*store, "osd_failure", data);
	EXPECT_EQ(read_all(*store, ref), data);
	store->remove(ref);
}

} // namespace
