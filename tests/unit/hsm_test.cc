// SPDX-License-Identifier: GPL-2.0
//
// The reference HSM's parts that need no module: its configuration, the
// record it keeps in a DM attribute, and the directory store.
#include "config.h"
#include "digest.h"
#include "output.h"
#include "record.h"
#include "store.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace hsm;

namespace {

std::span<const std::byte> bytes(const std::string &s)
{
	return {reinterpret_cast<const std::byte *>(s.data()), s.size()};
}

std::string read_all(ObjectReader &r)
{
	std::string out;
	std::byte buf[7];	/* small, to cross reads */
	while (std::size_t n = r.read(buf))
		out.append(reinterpret_cast<const char *>(buf), n);
	return out;
}

class TempDir : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/dmhsm-test.XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		dir_ = tmpl;
	}
	void TearDown() override { fs::remove_all(dir_); }

	std::string write_config(const std::string &text)
	{
		std::string path = dir_ + "/dmhsm.conf";
		std::ofstream(path) << text;
		return path;
	}

	std::size_t count(const std::string &sub)
	{
		std::size_t n = 0;
		for (const auto &e : fs::recursive_directory_iterator(dir_ + "/" + sub))
			n += e.is_regular_file();
		return n;
	}

	std::string dir_;
};

} // namespace

TEST(Sha256, KnownDigests)
{
	Sha256 empty;
	EXPECT_EQ(empty.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	Sha256 abc;
	abc.update(bytes("ab"));
	abc.update(bytes("c"));
	EXPECT_EQ(abc.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	EXPECT_TRUE(is_sha256_hex(abc.hex()));
	EXPECT_FALSE(is_sha256_hex("BA7816BF"));
}

TEST(Sizes, ParseUnits)
{
	EXPECT_EQ(parse_size("4096"), 4096u);
	EXPECT_EQ(parse_size("4K"), 4096u);
	EXPECT_EQ(parse_size("2M"), 2u << 20);
	EXPECT_EQ(parse_size("1G"), 1u << 30);
	EXPECT_FALSE(parse_size(""));
	EXPECT_FALSE(parse_size("K"));
	EXPECT_FALSE(parse_size("4k"));
	EXPECT_FALSE(parse_size("-1"));
	EXPECT_FALSE(parse_size("99999999999T"));
	EXPECT_EQ(parse_age("90"), 90u);
	EXPECT_EQ(parse_age("15m"), 900u);
	EXPECT_EQ(parse_age("2h"), 7200u);
	EXPECT_EQ(parse_age("7d"), 604800u);
	EXPECT_FALSE(parse_age("1w"));
}

TEST_F(TempDir, ConfigSectionsOverrideDefaults)
{
	Config c = Config::load(write_config("# comment\n"
					     "store = dir:/srv/a   # trailing\n"
					     "stub = 8K\n"
					     "[/mnt/b]\n"
					     "store = /srv/b\n"));
	EXPECT_EQ(c.policy("/mnt/x").store, "dir:/srv/a");
	EXPECT_EQ(c.policy("/mnt/x").stub, 8192u);
	EXPECT_EQ(c.policy("/mnt/b").store, "/srv/b");
	EXPECT_EQ(c.policy("/mnt/b").stub, 8192u);
	c.stub_override = 0;
	EXPECT_EQ(c.policy("/mnt/b").stub, 0u);
}

TEST_F(TempDir, ConfigErrorsNameTheLine)
{
	EXPECT_THROW(Config::load(dir_ + "/missing"), std::runtime_error);
	try {
		Config::load(write_config("store = /a\ncolour = blue\n"));
		FAIL() << "an unknown key was accepted";
	} catch (const std::runtime_error &e) {
		EXPECT_NE(std::string(e.what()).find("dmhsm.conf:2: unknown key colour"),
			  std::string::npos)
			<< e.what();
	}
	EXPECT_THROW(Config::load(write_config("stub = lots\n")), std::runtime_error);
	EXPECT_THROW(Config::load(write_config("[relative]\n")), std::runtime_error);
}

TEST(Record, RoundTrips)
{
	Record r;
	r.state = State::offline;
	r.size = 1 << 20;
	r.stub = 4096;
	r.store = "dir:/srv/hsm";
	r.object = {std::string(64, 'a'), r.size, "0123abcd"};
	auto back = Record::decode(r.encode());
	ASSERT_TRUE(back);
	EXPECT_EQ(back->state, State::offline);
	EXPECT_EQ(back->size, r.size);
	EXPECT_EQ(back->stub, r.stub);
	EXPECT_EQ(back->store, r.store);
	EXPECT_EQ(back->object.digest, r.object.digest);
	EXPECT_EQ(back->object.owner, r.object.owner);
	/* A NUL that a C writer kept is no part of it. */
	EXPECT_TRUE(Record::decode(r.encode() + std::string(1, '\0')));
}

/* A store whose path has blanks, %, or control characters still decodes. */
TEST(Record, RoundTripsAStorePathOfAnyCharacters)
{
	Record r;
	r.state = State::offline;
	r.size = 10;
	r.stub = 0;
	r.object = {std::string(64, 'c'), r.size, "0123abcd"};
	for (std::string store : {"dir:/mnt/Backup Disk/hsm", "dir:/a%20b/100%", "dir:/tab\there",
				  "dir:/new\nline", "dir:/x=y"}) {
		r.store = store;
		std::string encoded = r.encode();
		auto back = Record::decode(encoded);
		ASSERT_TRUE(back) << encoded;
		EXPECT_EQ(back->store, store) << encoded;
		EXPECT_EQ(back->object.owner, r.object.owner);
	}
	/* Records written before escaping decode as they did. */
	auto old = Record::decode("v1 state=dual size=1 stub=0 store=dir:/srv/hsm digest=" +
				  std::string(64, 'd') + " owner=x");
	ASSERT_TRUE(old);
	EXPECT_EQ(old->store, "dir:/srv/hsm");
}

/* The file's mtime at its copy, which older records lack. */
TEST(Record, KeepsTheMtimeOfTheCopyWhenItHasOne)
{
	Record r;
	r.state = State::dual;
	r.size = 10;
	r.store = "dir:/srv/hsm";
	r.object = {std::string(64, 'e'), r.size, "0123abcd"};
	r.mtime = 1700000000;
	auto back = Record::decode(r.encode());
	ASSERT_TRUE(back) << r.encode();
	EXPECT_EQ(back->mtime, r.mtime);
	auto old = Record::decode("v1 state=dual size=1 stub=0 store=dir:/srv/hsm digest=" +
				  std::string(64, 'd') + " owner=x");
	ASSERT_TRUE(old);
	EXPECT_FALSE(old->mtime);
	EXPECT_FALSE(Record::decode("v1 state=dual size=1 stub=0 store=dir:/srv/hsm digest=" +
				    std::string(64, 'd') + " owner=x mtime=soon"));
}

TEST(Record, RejectsWhatIsNotOne)
{
	std::string digest(64, 'b');
	EXPECT_FALSE(Record::decode(""));
	EXPECT_FALSE(Record::decode("v2 state=dual"));
	EXPECT_FALSE(Record::decode("v1 state=online size=1 stub=0 store=/s digest=" + digest +
				    " owner=x"));
	EXPECT_FALSE(Record::decode("v1 state=dual size=1 stub=2 store=/s digest=" + digest +
				    " owner=x"));
	EXPECT_FALSE(Record::decode("v1 state=dual size=1 stub=0 store=/s digest=xyz owner=x"));
	EXPECT_FALSE(Record::decode("v1 state=dual size=1 stub=0 digest=" + digest + " owner=x"));
	EXPECT_FALSE(Record::decode("v1 state=dual size=1 stub=0 store=/s%2 digest=" + digest +
				    " owner=x"));
	EXPECT_TRUE(Record::decode("v1 state=dual size=1 stub=0 store=/s digest=" + digest +
				   " owner=x"));
}

TEST(Record, RegionsFollowTheState)
{
	Record r;
	EXPECT_TRUE(r.regions().empty());
	r.state = State::dual;
	auto dual = r.regions();
	ASSERT_EQ(dual.size(), 1u);
	EXPECT_EQ(dual[0].rg_size, 0u);
	EXPECT_EQ(dual[0].rg_flags, unsigned(DM_REGION_WRITE | DM_REGION_TRUNCATE));
	r.state = State::offline;
	r.stub = 4096;
	auto off = r.regions();
	ASSERT_EQ(off.size(), 2u);
	EXPECT_EQ(off[0].rg_offset, 0);
	EXPECT_EQ(off[0].rg_size, 4096u);
	EXPECT_FALSE(off[0].rg_flags & DM_REGION_READ);
	EXPECT_EQ(off[1].rg_offset, 4096);
	EXPECT_EQ(off[1].rg_size, 0u);
	EXPECT_TRUE(off[1].rg_flags & DM_REGION_READ);
	r.stub = 0;
	ASSERT_EQ(r.regions().size(), 1u);
	EXPECT_TRUE(r.regions()[0].rg_flags & DM_REGION_READ);
}

TEST_F(TempDir, StoreKeepsObjectsByContent)
{
	auto store = Store::open("dir:" + dir_ + "/store");
	EXPECT_EQ(store->url(), "dir:" + dir_ + "/store");
	auto w = store->create("file1");
	w->write(bytes("hello, "));
	w->write(bytes("world"));
	ObjectRef a = w->commit();
	EXPECT_EQ(a.size, 12u);
	EXPECT_EQ(a.owner, "file1");
	Sha256 d;
	d.update(bytes("hello, world"));
	EXPECT_EQ(a.digest, d.hex());
	EXPECT_EQ(read_all(*store->read(a)), "hello, world");

	/* The same content from another owner: one object, two references. */
	auto w2 = store->create("file2");
	w2->write(bytes("hello, world"));
	ObjectRef b = w2->commit();
	EXPECT_EQ(b.digest, a.digest);
	EXPECT_EQ(count("store/objects"), 1u);
	EXPECT_EQ(count("store/refs"), 2u);

	store->remove(a);
	EXPECT_EQ(read_all(*store->read(b)), "hello, world");
	store->remove(b);
	EXPECT_EQ(count("store/objects"), 0u);
	EXPECT_EQ(count("store/refs"), 0u);
	/* Gone already: no error. */
	EXPECT_NO_THROW(store->remove(b));
	EXPECT_THROW(store->read(b), std::system_error);
}

TEST_F(TempDir, StoreLeavesNothingOfAnUncommittedObject)
{
	auto store = Store::open(dir_ + "/store");
	{
		auto w = store->create("file1");
		w->write(bytes("half an object"));
	}
	EXPECT_EQ(count("store"), 0u);
}

TEST_F(TempDir, StoreRefusesBadNamesAndSchemes)
{
	auto store = Store::open(dir_ + "/store");
	EXPECT_THROW(store->create("../escape"), std::system_error);
	EXPECT_THROW(store->read({"not-a-digest", 0, "x"}), std::system_error);
	try {
		Store::open("ftp://pool");
		FAIL() << "an unknown scheme was accepted";
	} catch (const std::system_error &e) {
		EXPECT_EQ(e.code().value(), EPROTONOSUPPORT);
	}
	EXPECT_THROW(Store::open("relative/path"), std::system_error);
}

TEST(Output, JsonStringsAndSizes)
{
	EXPECT_EQ(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
	/* A path is any bytes: one that is no UTF-8 keeps the document valid. */
	EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
	EXPECT_EQ(json_string("bad\xff\xc3"), "\"bad\\u00ff\\u00c3\"");
	EXPECT_EQ(human_size(1023), "1023 B");
	EXPECT_EQ(human_size(1536), "1.5 KiB");
	EXPECT_EQ(human_size(1 << 20), "1.0 MiB");
}
