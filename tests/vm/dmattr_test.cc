// SPDX-License-Identifier: GPL-2.0
/*
 * DM attributes of a dmapi mount's objects: dm_set_dmattr, dm_get_dmattr,
 * dm_remove_dmattr and dm_getall_dmattr on files, directories and
 * symbolic links, their checks, their limit (max_attr_size) and their
 * persistence in the lower object's trusted.dmapi.attr.<name in hex>.
 * Needs the scratch filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "dmtest.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <map>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

constexpr char kAttrXattrPrefix[] = "trusted.dmapi.attr.";
constexpr char kDmapiXattrPrefix[] = "trusted.dmapi.";

/* Room for any value: XATTR_SIZE_MAX, the most max_attr_size can be. */
constexpr size_t kRoom = 65536;

/* A DM attribute name: 8 bytes, any bytes. */
using Name = std::array<unsigned char, DM_ATTR_NAME_SIZE>;

Name bytes(std::initializer_list<unsigned char> b)
{
	Name n{};
	std::copy(b.begin(), b.end(), n.begin());
	return n;
}

/* Up to 8 characters, zero-padded. */
Name text(const std::string &s)
{
	Name n{};
	std::copy_n(s.begin(), std::min(s.size(), n.size()), n.begin());
	return n;
}

dm_attrname_t dm_name(const Name &n)
{
	dm_attrname_t an;
	std::memcpy(an.an_chars, n.data(), sizeof(an.an_chars));
	return an;
}

/* The lower xattr that holds DM attribute n. */
std::string xattr_of(const Name &n)
{
	static const char digits[] = "0123456789abcdef";
	std::string out = kAttrXattrPrefix;
	for (unsigned char c : n) {
		out += digits[c >> 4];
		out += digits[c & 15];
	}
	return out;
}

/* The attributes of an object, by name. */
using Attrs = std::map<Name, std::string>;

/* The xattr names of a path, its own if a symbolic link. */
std::vector<std::string> xattr_names(const std::string &p)
{
	std::vector<char> buf(kRoom);
	ssize_t len = llistxattr(p.c_str(), buf.data(), buf.size());
	if (len < 0) {
		ADD_FAILURE() << "llistxattr " << p << ": " << strerror(errno);
		return {};
	}
	std::vector<std::string> out;
	for (ssize_t i = 0; i < len; i += strlen(buf.data() + i) + 1)
		out.emplace_back(buf.data() + i);
	return out;
}

/* The names of the DM attribute xattrs of a path. */
std::vector<std::string> attr_xattrs(const std::string &p)
{
	std::vector<std::string> out;
	for (auto &name : xattr_names(p))
		if (name.rfind(kAttrXattrPrefix, 0) == 0)
			out.push_back(name);
	std::sort(out.begin(), out.end());
	return out;
}

/*
 * The records of a dm_getall_dmattr() buffer of rlen bytes, walked with
 * DM_STEP_TO_NEXT: each 8-byte aligned, inside the rlen bytes, its value
 * after its dm_attrlist_t, no name twice.
 */
Attrs records(std::vector<char> &buf, size_t rlen)
{
	Attrs out;
	if (rlen == 0)
		return out;
	if (rlen > buf.size()) {
		ADD_FAILURE() << "rlen " << rlen << " beyond the buffer of " << buf.size();
		return out;
	}
	char *base = buf.data();
	auto *rec = reinterpret_cast<dm_attrlist_t *>(base);
	for (; rec; rec = DM_STEP_TO_NEXT(rec, dm_attrlist_t *)) {
		size_t off = reinterpret_cast<char *>(rec) - base;
		EXPECT_EQ(off % 8, 0u) << "record at " << off;
		if (off + sizeof(dm_attrlist_t) > rlen || out.size() > 1000) {
			ADD_FAILURE() << "record at " << off << " beyond rlen " << rlen;
			break;
		}
		int voff = rec->al_data.vd_offset;
		size_t vlen = DM_GET_LEN(rec, al_data);
		if (voff < static_cast<int>(sizeof(dm_attrlist_t)) || off + voff + vlen > rlen) {
			ADD_FAILURE() << "value of the record at " << off << ": offset " << voff
				      << ", length " << vlen << ", rlen " << rlen;
			break;
		}
		Name name;
		std::memcpy(name.data(), rec->al_name.an_chars, name.size());
		EXPECT_TRUE(out.emplace(name, std::string(DM_GET_VALUE(rec, al_data, char *),
							  vlen)).second)
			<< "name listed twice, record at " << off;
		if (rec->_link != 0 && (rec->_link < static_cast<int>(sizeof(dm_attrlist_t)) ||
					off + rec->_link >= rlen)) {
			ADD_FAILURE() << "_link " << rec->_link << " of the record at " << off;
			break;
		}
	}
	return out;
}

/*
 * A dmapi mount, with a session of the test's own.  The lower tree holds
 * a regular file, a directory and a symbolic link to the file.
 */
class DmAttrs : public DmapiMountTest {
protected:
	void populate() override
	{
		fs::create_directories(lower_ + "/dir");
		spit(lower_ + "/file", "contents of a managed file");
		fs::create_symlink("file", lower_ + "/link");
	}

	void SetUp() override
	{
		DmapiMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		char info[] = "dmapi-vm-test dmattr";
		ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid_));
		ASSERT_NO_FATAL_FAILURE(handle_of("file", file_));
		ASSERT_NO_FATAL_FAILURE(handle_of("dir", dir_));
		ASSERT_NO_FATAL_FAILURE(handle_of("link", link_));
	}

	void TearDown() override
	{
		if (sid_ != DM_NO_SESSION) {
			EXPECT_DM_OK(SessionTest::cleanup_session(sid_));
		}
		DmapiMountTest::TearDown();
	}

	std::string path(const std::string &rel) { return mnt_ + "/" + rel; }
	std::string lower(const std::string &rel) { return lower_ + "/" + rel; }

	void handle_of(const std::string &rel, Handle &h)
	{
		std::string p = path(rel);
		h.reset();
		ASSERT_DM_OK(dm_path_to_handle(p.data(), &h.hanp, &h.hlen));
	}

	dm_sessid_t session(dm_sessid_t sid) { return sid == DM_NO_SESSION ? sid_ : sid; }

	/* dm_set_dmattr; never a NULL value pointer, even for 0 bytes. */
	int set(Handle &h, const Name &name, const std::string &value,
		dm_token_t token = DM_NO_TOKEN, dm_sessid_t sid = DM_NO_SESSION,
		int setdtime = 0)
	{
		dm_attrname_t an = dm_name(name);
		std::vector<char> buf(value.begin(), value.end());
		buf.push_back('\0');
		return dm_set_dmattr(session(sid), h.hanp, h.hlen, token, &an, setdtime,
				     value.size(), buf.data());
	}

	/* dm_get_dmattr with room for buflen bytes; *out takes what it returns. */
	int get(Handle &h, const Name &name, size_t buflen, std::string *out, size_t *rlenp,
		dm_token_t token = DM_NO_TOKEN, dm_sessid_t sid = DM_NO_SESSION)
	{
		dm_attrname_t an = dm_name(name);
		std::vector<char> buf(buflen + 1, 'Z');
		*rlenp = SIZE_MAX;
		int rc = dm_get_dmattr(session(sid), h.hanp, h.hlen, token, &an, buflen,
				       buf.data(), rlenp);
		if (out) {
			out->clear();
			if (rc == 0 && *rlenp > buflen)
				ADD_FAILURE() << "rlen " << *rlenp << " beyond buflen " << buflen;
			else if (rc == 0)
				out->assign(buf.data(), *rlenp);
		}
		return rc;
	}

	int remove(Handle &h, const Name &name, dm_token_t token = DM_NO_TOKEN,
		   dm_sessid_t sid = DM_NO_SESSION, int setdtime = 0)
	{
		dm_attrname_t an = dm_name(name);
		return dm_remove_dmattr(session(sid), h.hanp, h.hlen, token, setdtime, &an);
	}

	/* dm_getall_dmattr with a buffer of buflen bytes (*buf resized). */
	int getall(Handle &h, size_t buflen, std::vector<char> *buf, size_t *rlenp,
		   dm_token_t token = DM_NO_TOKEN, dm_sessid_t sid = DM_NO_SESSION)
	{
		buf->assign(std::max<size_t>(buflen, 1), 'Z');
		*rlenp = SIZE_MAX;
		return dm_getall_dmattr(session(sid), h.hanp, h.hlen, token, buflen,
					buf->data(), rlenp);
	}

	/* The value of an attribute, or nullopt when it does not exist. */
	std::optional<std::string> value_of(Handle &h, const Name &name)
	{
		std::string value;
		size_t rlen;
		if (get(h, name, kRoom, &value, &rlen) == 0)
			return value;
		if (errno != ENOENT)
			ADD_FAILURE() << "dm_get_dmattr: " << strerror(errno);
		return std::nullopt;
	}

	/* All the attributes of h: asked the size first, then fetched. */
	Attrs all_of(Handle &h)
	{
		std::vector<char> buf;
		size_t rlen;
		if (getall(h, 0, &buf, &rlen) == 0) {
			EXPECT_EQ(rlen, 0u);
			return {};
		}
		if (errno != E2BIG) {
			ADD_FAILURE() << "dm_getall_dmattr: " << strerror(errno);
			return {};
		}
		size_t need = rlen;
		if (getall(h, need, &buf, &rlen) != 0) {
			ADD_FAILURE() << "dm_getall_dmattr of " << need << ": " << strerror(errno);
			return {};
		}
		EXPECT_EQ(rlen, need);
		return records(buf, rlen);
	}

	/* The lower object's xattr of an attribute (the link's own for a link). */
	std::string lower_value(const std::string &p, const Name &name)
	{
		std::vector<char> buf(kRoom);
		ssize_t n = lgetxattr(p.c_str(), xattr_of(name).c_str(), buf.data(), buf.size());
		if (n < 0) {
			ADD_FAILURE() << "lgetxattr " << p << " " << xattr_of(name) << ": "
				      << strerror(errno);
			return {};
		}
		return std::string(buf.data(), n);
	}

	/* 0 when the xattr of an attribute exists on p, else lgetxattr's errno. */
	int xattr_errno(const std::string &p, const Name &name)
	{
		char buf[16];
		errno = 0;
		if (lgetxattr(p.c_str(), xattr_of(name).c_str(), buf, sizeof(buf)) >= 0)
			return 0;
		return errno == ERANGE ? 0 : errno;
	}

	dm_size_t config(dm_config_t flag)
	{
		dm_size_t value = UINT64_MAX;
		if (dm_get_config(file_.hanp, file_.hlen, flag, &value) != 0)
			ADD_FAILURE() << "dm_get_config(" << flag << "): " << strerror(errno);
		return value;
	}

	/* A token outstanding in our session. */
	dm_token_t user_token()
	{
		dm_token_t token = DM_INVALID_TOKEN;
		EXPECT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &token));
		return token;
	}

	dm_sessid_t sid_ = DM_NO_SESSION;
	Handle file_, dir_, link_;
	const Name state_ = text("hsmstate");
};

TEST_F(DmAttrs, SetThenGetReturnsTheValueAndItsLength)
{
	ASSERT_DM_OK(set(file_, state_, "tape:0042"));
	std::string value;
	size_t rlen = 0;
	ASSERT_DM_OK(get(file_, state_, 100, &value, &rlen));
	EXPECT_EQ(rlen, 9u);
	EXPECT_EQ(value, "tape:0042");
}

TEST_F(DmAttrs, GetWithExactlyTheRoomSucceeds)
{
	ASSERT_DM_OK(set(file_, state_, "0123456789"));
	std::string value;
	size_t rlen = 0;
	ASSERT_DM_OK(get(file_, state_, 10, &value, &rlen));
	EXPECT_EQ(rlen, 10u);
	EXPECT_EQ(value, "0123456789");
}

TEST_F(DmAttrs, GetWithTooLittleRoomE2BIGWithTheLength)
{
	ASSERT_DM_OK(set(file_, state_, "0123456789"));
	size_t rlen = 0;
	EXPECT_DM_ERRNO(get(file_, state_, 9, nullptr, &rlen), E2BIG);
	EXPECT_EQ(rlen, 10u);
	EXPECT_DM_ERRNO(get(file_, state_, 0, nullptr, &rlen), E2BIG);
	EXPECT_EQ(rlen, 10u);
}

TEST_F(DmAttrs, SetReplacesTheValue)
{
	ASSERT_DM_OK(set(file_, state_, "short"));
	ASSERT_DM_OK(set(file_, state_, "a much longer value"));
	EXPECT_EQ(value_of(file_, state_), "a much longer value");
	/* Shorter again: nothing of the longer one remains. */
	ASSERT_DM_OK(set(file_, state_, "x"));
	EXPECT_EQ(value_of(file_, state_), "x");
	EXPECT_EQ(all_of(file_), (Attrs{{state_, "x"}}));
	EXPECT_EQ(lower_value(lower("file"), state_), "x");
}

TEST_F(DmAttrs, ZeroLengthValueIsAnAttribute)
{
	ASSERT_DM_OK(set(file_, state_, ""));
	std::string value = "not empty";
	size_t rlen = SIZE_MAX;
	ASSERT_DM_OK(get(file_, state_, 0, &value, &rlen));
	EXPECT_EQ(rlen, 0u);
	EXPECT_EQ(value, "");
	ASSERT_DM_OK(get(file_, state_, 10, &value, &rlen));
	EXPECT_EQ(rlen, 0u);
	EXPECT_EQ(all_of(file_), (Attrs{{state_, ""}}));
	EXPECT_EQ(xattr_errno(lower("file"), state_), 0);
	EXPECT_EQ(lower_value(lower("file"), state_), "");
	/* It is there to remove. */
	EXPECT_DM_OK(remove(file_, state_));
	EXPECT_EQ(value_of(file_, state_), std::nullopt);
}

/*
 * Among more xattr names than listxattr(2) gives (64 KiB: XFS has no
 * bound), the object's DM attributes are all still found.
 */
TEST_F(DmAttrs, GetallFindsThemAmongMoreThan64KiBOfOtherXattrNames)
{
	ASSERT_DM_OK(set(file_, state_, "v"));
	const std::string stem = "user." + std::string(240, 'n');
	size_t names = 0;
	for (int i = 0; names <= 65536; i++) {
		std::string name = stem + std::to_string(i);
		if (setxattr(lower("file").c_str(), name.c_str(), "", 0, 0) != 0) {
			if (errno == ENOSPC)
				GTEST_SKIP() << "the filesystem holds no 64 KiB of xattr names "
					     << "(ext4: a block); stopped at " << names;
			FAIL() << "setxattr: " << strerror(errno);
		}
		names += name.size() + 1;
	}
	EXPECT_EQ(all_of(file_), (Attrs{{state_, "v"}}));
	dm_stat_t st = {};
	ASSERT_DM_OK(dm_get_fileattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, DM_AT_PATTR,
				     &st));
	EXPECT_TRUE(st.dt_pers);
}

TEST_F(DmAttrs, AbsentAttributeENOENT)
{
	size_t rlen = 7;
	EXPECT_DM_ERRNO(get(file_, state_, 100, nullptr, &rlen), ENOENT);
	EXPECT_DM_ERRNO(remove(file_, state_), ENOENT);
	/* Another name than the one set is absent too. */
	ASSERT_DM_OK(set(file_, state_, "v"));
	EXPECT_DM_ERRNO(get(file_, text("other"), 100, nullptr, &rlen), ENOENT);
	EXPECT_DM_ERRNO(remove(file_, text("other")), ENOENT);
	EXPECT_EQ(value_of(file_, state_), "v");
}

TEST_F(DmAttrs, SetAndRemoveOnAnImmutableOrAppendOnlyObjectEPERM)
{
	ASSERT_DM_OK(set(file_, state_, "v"));
	for (int flag : {FS_IMMUTABLE_FL, FS_APPEND_FL}) {
		InodeFlag guard(lower("file"), flag);
		ASSERT_EQ(guard.error(), 0) << strerror(guard.error());
		SCOPED_TRACE("flag " + std::to_string(flag));
		EXPECT_DM_ERRNO(set(file_, state_, "changed"), EPERM);
		EXPECT_DM_ERRNO(remove(file_, state_), EPERM);
	}
	EXPECT_EQ(value_of(file_, state_), "v");
}

TEST_F(DmAttrs, RemoveRemovesItAndItsLowerXattr)
{
	ASSERT_DM_OK(set(file_, state_, "v"));
	ASSERT_DM_OK(set(file_, text("keep"), "k"));
	ASSERT_EQ(xattr_errno(lower("file"), state_), 0);
	ASSERT_DM_OK(remove(file_, state_));
	size_t rlen;
	EXPECT_DM_ERRNO(get(file_, state_, 100, nullptr, &rlen), ENOENT);
	EXPECT_EQ(xattr_errno(lower("file"), state_), ENODATA);
	EXPECT_DM_ERRNO(remove(file_, state_), ENOENT);
	/* The others stay. */
	EXPECT_EQ(all_of(file_), (Attrs{{text("keep"), "k"}}));
}

TEST_F(DmAttrs, NamesAreEightBytesOfAnyValue)
{
	const Name a = text("a");
	const Name a_then_one = bytes({'a', 0, 0, 0, 0, 0, 0, 1});
	const Name full = text("12345678");
	const Name binary = bytes({0xff, 0, 1, 2, 0, 0, 0, 0});
	ASSERT_DM_OK(set(file_, a, "a"));
	ASSERT_DM_OK(set(file_, a_then_one, "a then one"));
	ASSERT_DM_OK(set(file_, full, "full"));
	ASSERT_DM_OK(set(file_, binary, "binary"));
	/* Bytes after a zero byte count: these are different attributes. */
	EXPECT_EQ(value_of(file_, a), "a");
	EXPECT_EQ(value_of(file_, a_then_one), "a then one");
	EXPECT_EQ(value_of(file_, full), "full");
	EXPECT_EQ(value_of(file_, binary), "binary");
}

TEST_F(DmAttrs, AllZeroNameEINVAL)
{
	const Name none{};
	size_t rlen;
	EXPECT_DM_ERRNO(set(file_, none, "v"), EINVAL);
	EXPECT_DM_ERRNO(get(file_, none, 100, nullptr, &rlen), EINVAL);
	EXPECT_DM_ERRNO(remove(file_, none), EINVAL);
	EXPECT_TRUE(attr_xattrs(lower("file")).empty());
	EXPECT_TRUE(all_of(file_).empty());
}

TEST_F(DmAttrs, BinaryNamesRoundTripThroughGetall)
{
	const Attrs want = {
		{bytes({0xff, 0, 1, 2, 0, 0, 0, 0}), "binary"},
		{bytes({0x01}), "one byte"},
		{bytes({0, 0, 0, 0, 0, 0, 0, 0x80}), "last byte only"},
		{bytes({0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xba, 0xbe}), "all eight"},
		{state_, "text"},
	};
	for (auto &[name, value] : want)
		ASSERT_DM_OK(set(file_, name, value));
	EXPECT_EQ(all_of(file_), want);
}

TEST_F(DmAttrs, StoredInTheLowerXattrNamedInLowercaseHex)
{
	const Name binary = bytes({0xff, 0, 1, 2, 0, 0, 0, 0});
	ASSERT_DM_OK(set(file_, binary, "where the data is"));
	ASSERT_DM_OK(set(file_, state_, std::string("bin\0ary", 7)));
	ASSERT_EQ(xattr_of(binary), "trusted.dmapi.attr.ff00010200000000");
	ASSERT_EQ(xattr_of(state_), "trusted.dmapi.attr.68736d7374617465");
	std::vector<std::string> want = {"trusted.dmapi.attr.68736d7374617465",
					 "trusted.dmapi.attr.ff00010200000000"};
	EXPECT_EQ(attr_xattrs(lower("file")), want);
	EXPECT_EQ(lower_value(lower("file"), binary), "where the data is");
	EXPECT_EQ(lower_value(lower("file"), state_), std::string("bin\0ary", 7));
}

TEST_F(DmAttrs, InvisibleThroughTheMountENODATA)
{
	ASSERT_DM_OK(set(file_, state_, "file value"));
	ASSERT_DM_OK(set(dir_, state_, "dir value"));
	ASSERT_DM_OK(set(link_, state_, "link value"));
	for (const char *rel : {"file", "dir", "link"}) {
		ASSERT_EQ(xattr_errno(lower(rel), state_), 0) << rel;
		EXPECT_EQ(xattr_errno(path(rel), state_), ENODATA) << rel;
		for (auto &name : xattr_names(path(rel)))
			EXPECT_NE(name.rfind(kDmapiXattrPrefix, 0), 0u) << rel << ": " << name;
	}
}

TEST_F(DmAttrs, UntouchableThroughTheMountEPERM)
{
	ASSERT_DM_OK(set(file_, state_, "mine"));
	std::string xattr = xattr_of(state_);
	errno = 0;
	EXPECT_EQ(setxattr(path("file").c_str(), xattr.c_str(), "theirs", 6, 0), -1);
	EXPECT_EQ(errno, EPERM);
	errno = 0;
	EXPECT_EQ(removexattr(path("file").c_str(), xattr.c_str()), -1);
	EXPECT_EQ(errno, EPERM);
	/* Nor can one be made that way. */
	errno = 0;
	EXPECT_EQ(setxattr(path("file").c_str(), xattr_of(text("forged")).c_str(), "x", 1, 0),
		  -1);
	EXPECT_EQ(errno, EPERM);
	EXPECT_EQ(all_of(file_), (Attrs{{state_, "mine"}}));
}

TEST_F(DmAttrs, DirectoryHasThem)
{
	ASSERT_DM_OK(set(dir_, state_, "dir value"));
	ASSERT_DM_OK(set(dir_, text("second"), ""));
	EXPECT_EQ(value_of(dir_, state_), "dir value");
	EXPECT_EQ(all_of(dir_), (Attrs{{state_, "dir value"}, {text("second"), ""}}));
	EXPECT_EQ(lower_value(lower("dir"), state_), "dir value");
	ASSERT_DM_OK(remove(dir_, state_));
	EXPECT_EQ(value_of(dir_, state_), std::nullopt);
	EXPECT_EQ(xattr_errno(lower("dir"), state_), ENODATA);
	EXPECT_TRUE(all_of(file_).empty());
}

TEST_F(DmAttrs, SymlinkHasThemNotItsTarget)
{
	/* The link's own handle, not its target's. */
	ASSERT_NE(dm_handle_cmp(link_.hanp, link_.hlen, file_.hanp, file_.hlen), 0);
	ASSERT_DM_OK(set(link_, state_, "link value"));
	EXPECT_EQ(value_of(link_, state_), "link value");
	EXPECT_EQ(all_of(link_), (Attrs{{state_, "link value"}}));
	EXPECT_EQ(lower_value(lower("link"), state_), "link value");
	/* The target has none. */
	EXPECT_EQ(value_of(file_, state_), std::nullopt);
	EXPECT_TRUE(all_of(file_).empty());
	EXPECT_EQ(xattr_errno(lower("file"), state_), ENODATA);
	ASSERT_DM_OK(remove(link_, state_));
	EXPECT_TRUE(all_of(link_).empty());
	EXPECT_EQ(xattr_errno(lower("link"), state_), ENODATA);
}

TEST_F(DmAttrs, PersistAcrossRemount)
{
	const Name binary = bytes({0xff, 0, 1, 2, 0, 0, 0, 0});
	ASSERT_DM_OK(set(file_, state_, "file value"));
	ASSERT_DM_OK(set(file_, binary, ""));
	ASSERT_DM_OK(set(dir_, state_, "dir value"));
	ASSERT_DM_OK(set(link_, state_, "link value"));
	ASSERT_NO_FATAL_FAILURE(remount());
	Handle file, dir, link;
	ASSERT_NO_FATAL_FAILURE(handle_of("file", file));
	ASSERT_NO_FATAL_FAILURE(handle_of("dir", dir));
	ASSERT_NO_FATAL_FAILURE(handle_of("link", link));
	EXPECT_EQ(dm_handle_cmp(file_.hanp, file_.hlen, file.hanp, file.hlen), 0);
	EXPECT_EQ(all_of(file), (Attrs{{state_, "file value"}, {binary, ""}}));
	EXPECT_EQ(value_of(dir, state_), "dir value");
	EXPECT_EQ(all_of(dir), (Attrs{{state_, "dir value"}}));
	EXPECT_EQ(value_of(link, state_), "link value");
	EXPECT_EQ(all_of(link), (Attrs{{state_, "link value"}}));
}

TEST_F(DmAttrs, VisibleToEverySession)
{
	ASSERT_DM_OK(set(file_, state_, "shared"));
	dm_sessid_t other = DM_NO_SESSION;
	char info[] = "dmapi-vm-test dmattr other";
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &other));
	std::string value;
	size_t rlen;
	EXPECT_DM_OK(get(file_, state_, 100, &value, &rlen, DM_NO_TOKEN, other));
	EXPECT_EQ(value, "shared");
	EXPECT_DM_OK(remove(file_, state_, DM_NO_TOKEN, other));
	EXPECT_DM_OK(SessionTest::cleanup_session(other));
	EXPECT_EQ(value_of(file_, state_), std::nullopt);
}

TEST_F(DmAttrs, GetallOfAnObjectWithNoneIsEmpty)
{
	for (Handle *h : {&file_, &dir_, &link_}) {
		std::vector<char> buf;
		size_t rlen = SIZE_MAX;
		EXPECT_DM_OK(getall(*h, 0, &buf, &rlen));
		EXPECT_EQ(rlen, 0u);
		EXPECT_DM_OK(getall(*h, 4096, &buf, &rlen));
		EXPECT_EQ(rlen, 0u);
	}
	/* Nor does the rest of DMAPI's state, in trusted.dmapi.* too. */
	dm_eventset_t events = 0;
	DMEV_SET(DM_EVENT_READ, events);
	ASSERT_DM_OK(dm_set_eventlist(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &events,
				      DM_EVENT_MAX));
	dm_region_t region = {};
	region.rg_size = 10;
	region.rg_flags = DM_REGION_READ;
	dm_boolean_t exact;
	ASSERT_DM_OK(dm_set_region(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 1, &region,
				   &exact));
	std::vector<char> buf;
	size_t rlen = SIZE_MAX;
	EXPECT_DM_OK(getall(file_, 4096, &buf, &rlen));
	EXPECT_EQ(rlen, 0u);
	/* Nor other xattrs of the object. */
	ASSERT_EQ(setxattr(path("file").c_str(), "user.other", "x", 1, 0), 0) << strerror(errno);
	ASSERT_EQ(setxattr(path("file").c_str(), "trusted.other", "x", 1, 0), 0)
		<< strerror(errno);
	EXPECT_DM_OK(getall(file_, 4096, &buf, &rlen));
	EXPECT_EQ(rlen, 0u);
}

/*
 * Only the lowercase hex names the module writes are DM attributes: one
 * in uppercase, written below the mount, would list as a name that get
 * and remove do not find.
 */
TEST_F(DmAttrs, AnUppercaseHexXattrBelowIsNoAttribute)
{
	ASSERT_EQ(setxattr(lower("file").c_str(), "trusted.dmapi.attr.68736D7374617465", "x", 1,
			   0), 0) << strerror(errno);
	std::vector<char> buf;
	size_t rlen = SIZE_MAX;
	EXPECT_DM_OK(getall(file_, 4096, &buf, &rlen));
	EXPECT_EQ(rlen, 0u);
	dm_stat_t st = {};
	ASSERT_DM_OK(dm_get_fileattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, DM_AT_PATTR, &st));
	EXPECT_EQ(st.dt_pers, 0);
	ASSERT_DM_OK(set(file_, state_, "v"));
	EXPECT_EQ(all_of(file_), Attrs({{state_, "v"}})) << "listed twice";
}

TEST_F(DmAttrs, GetallReturnsEveryAttributeWithItsValue)
{
	/* Values of lengths around the 8-byte alignment of the records. */
	Attrs want;
	for (size_t len : {0, 1, 7, 8, 9, 15, 16, 17, 100})
		want[text("len" + std::to_string(len))] =
			std::string(len, static_cast<char>('a' + len % 26));
	for (auto &[name, value] : want)
		ASSERT_DM_OK(set(file_, name, value));
	EXPECT_EQ(all_of(file_), want);
}

TEST_F(DmAttrs, GetallWithTooLittleRoomE2BIGWithTheSizeNeeded)
{
	ASSERT_DM_OK(set(file_, state_, "0123456789"));
	ASSERT_DM_OK(set(file_, text("second"), "x"));
	std::vector<char> buf;
	size_t rlen = 0;
	EXPECT_DM_ERRNO(getall(file_, 0, &buf, &rlen), E2BIG);
	size_t need = rlen;
	/* Two records, each a dm_attrlist_t and its value. */
	EXPECT_GE(need, 2 * sizeof(dm_attrlist_t) + 11);
	EXPECT_EQ(need % 8, 0u);
	EXPECT_DM_ERRNO(getall(file_, sizeof(dm_attrlist_t), &buf, &rlen), E2BIG);
	EXPECT_EQ(rlen, need);
	EXPECT_DM_ERRNO(getall(file_, need - 1, &buf, &rlen), E2BIG);
	EXPECT_EQ(rlen, need);
	/* Exactly the size needed succeeds, and uses it all. */
	ASSERT_DM_OK(getall(file_, need, &buf, &rlen));
	EXPECT_EQ(rlen, need);
	EXPECT_EQ(records(buf, rlen), (Attrs{{state_, "0123456789"}, {text("second"), "x"}}));
	/* More room changes nothing. */
	ASSERT_DM_OK(getall(file_, need + 1000, &buf, &rlen));
	EXPECT_EQ(rlen, need);
	EXPECT_EQ(records(buf, rlen), (Attrs{{state_, "0123456789"}, {text("second"), "x"}}));
}

TEST_F(DmAttrs, TwentyAttributesOfAHundredBytesFit)
{
	/* Within what an XFS or a 4 KiB-block ext4 inode gives its xattrs. */
	Attrs want;
	for (int i = 0; i < 20; i++) {
		char name[9];
		snprintf(name, sizeof(name), "attr%04d", i);
		want[text(name)] = std::string(100, static_cast<char>('A' + i));
	}
	for (auto &[name, value] : want)
		ASSERT_DM_OK(set(file_, name, value)) << "attribute " << xattr_of(name);
	EXPECT_EQ(all_of(file_), want);
	for (auto &[name, value] : want) {
		EXPECT_EQ(value_of(file_, name), value);
		EXPECT_EQ(lower_value(lower("file"), name), value);
	}
	EXPECT_EQ(attr_xattrs(lower("file")).size(), 20u);
	for (auto &entry : want)
		ASSERT_DM_OK(remove(file_, entry.first));
	EXPECT_TRUE(all_of(file_).empty());
	EXPECT_TRUE(attr_xattrs(lower("file")).empty());
}

TEST_F(DmAttrs, ConfigReportsPersistentAttributesAndTheModuleParameter)
{
	EXPECT_EQ(config(DM_CONFIG_PERS_ATTRIBUTES), 1u);
	EXPECT_EQ(config(DM_CONFIG_MAX_ATTRIBUTE_SIZE),
		  std::stoull(ModuleParam::read("max_attr_size")));
}

TEST_F(DmAttrs, ExactlyTheMaximumIsAccepted)
{
	dm_size_t max = config(DM_CONFIG_MAX_ATTRIBUTE_SIZE);
	ASSERT_GT(max, 0u);
	ASSERT_LE(max, kRoom);
	std::string value(max, 'm');
	ASSERT_DM_OK(set(file_, state_, value));
	EXPECT_EQ(value_of(file_, state_), value);
	EXPECT_EQ(lower_value(lower("file"), state_), value);
	EXPECT_EQ(all_of(file_), (Attrs{{state_, value}}));
}

TEST_F(DmAttrs, MoreThanTheMaximumE2BIG)
{
	dm_size_t max = config(DM_CONFIG_MAX_ATTRIBUTE_SIZE);
	ASSERT_GT(max, 0u);
	ASSERT_LE(max, kRoom);
	ASSERT_DM_OK(set(file_, state_, "before"));
	EXPECT_DM_ERRNO(set(file_, state_, std::string(max + 1, 'm')), E2BIG);
	EXPECT_DM_ERRNO(set(file_, text("new"), std::string(max + 1, 'm')), E2BIG);
	EXPECT_EQ(all_of(file_), (Attrs{{state_, "before"}}));
}

TEST_F(DmAttrs, LoweredModuleParameterLimitsThemE2BIG)
{
	ModuleParam small("max_attr_size", "10");
	EXPECT_EQ(config(DM_CONFIG_MAX_ATTRIBUTE_SIZE), 10u);
	EXPECT_DM_ERRNO(set(file_, state_, std::string(11, 'x')), E2BIG);
	EXPECT_DM_ERRNO(set(dir_, state_, std::string(11, 'x')), E2BIG);
	EXPECT_EQ(value_of(file_, state_), std::nullopt);
	EXPECT_DM_OK(set(file_, state_, std::string(10, 'x')));
	EXPECT_EQ(value_of(file_, state_), std::string(10, 'x'));
}

TEST_F(DmAttrs, ValueSetBeforeTheLimitWasLoweredStaysReadable)
{
	std::string value(100, 'v');
	ASSERT_DM_OK(set(file_, state_, value));
	ModuleParam small("max_attr_size", "10");
	EXPECT_EQ(value_of(file_, state_), value);
	EXPECT_EQ(all_of(file_), (Attrs{{state_, value}}));
	/* Only setting is limited. */
	EXPECT_DM_ERRNO(set(file_, state_, value), E2BIG);
	EXPECT_DM_OK(remove(file_, state_));
}

/* The ctime of the object at @p. */
std::chrono::nanoseconds ctime_of(const std::string &p)
{
	struct stat st = {};
	EXPECT_EQ(lstat(p.c_str(), &st), 0) << p << ": " << strerror(errno);
	return std::chrono::seconds(st.st_ctim.tv_sec) + std::chrono::nanoseconds(st.st_ctim.tv_nsec);
}

/* Longer than a jiffy, the granularity of the ctime. */
void tick()
{
	usleep(50 * 1000);
}

TEST_F(DmAttrs, SetdtimeChangesTheCtimeThatStandsForTheDtime)
{
	auto before = ctime_of(lower("file"));
	tick();
	ASSERT_DM_OK(set(file_, state_, "v", DM_NO_TOKEN, DM_NO_SESSION, 1));
	auto after_set = ctime_of(lower("file"));
	EXPECT_GT(after_set, before);
	tick();
	ASSERT_DM_OK(remove(file_, state_, DM_NO_TOKEN, DM_NO_SESSION, 1));
	EXPECT_GT(ctime_of(lower("file")), after_set);
	/* Any true value. */
	ASSERT_DM_OK(set(link_, state_, "v", DM_NO_TOKEN, DM_NO_SESSION, 7));
	EXPECT_EQ(value_of(link_, state_), "v");
}

/*
 * SGI's DMAPI left the times of an object whose DM attributes changed
 * without setdtime: an HSM marking a migrated file does not make every
 * incremental backup read it again.
 */
TEST_F(DmAttrs, WithoutSetdtimeTheCtimeAndMtimeStay)
{
	const std::pair<const char *, Handle *> objects[] = {
		{"file", &file_}, {"dir", &dir_}, {"link", &link_}};
	for (const auto &[rel, hp] : objects) {
		Handle &h = *hp;
		struct stat st = {};
		ASSERT_EQ(lstat(lower(rel).c_str(), &st), 0) << strerror(errno);
		auto before = ctime_of(lower(rel));
		tick();
		ASSERT_DM_OK(set(h, state_, "v", DM_NO_TOKEN, DM_NO_SESSION, 0));
		EXPECT_EQ(ctime_of(lower(rel)), before) << rel << ": set";
		EXPECT_EQ(value_of(h, state_), "v");
		tick();
		ASSERT_DM_OK(remove(h, state_, DM_NO_TOKEN, DM_NO_SESSION, 0));
		EXPECT_EQ(ctime_of(lower(rel)), before) << rel << ": remove";
		struct stat after = {};
		ASSERT_EQ(lstat(lower(rel).c_str(), &after), 0) << strerror(errno);
		EXPECT_EQ(after.st_mtim.tv_sec, st.st_mtim.tv_sec) << rel;
		EXPECT_EQ(after.st_mtim.tv_nsec, st.st_mtim.tv_nsec) << rel;
	}
}

TEST_F(DmAttrs, OutstandingTokenHoldingAnExclusiveRightIsAccepted)
{
	dm_token_t token = user_token();
	ASSERT_DM_OK(dm_request_right(sid_, file_.hanp, file_.hlen, token, 0, DM_RIGHT_EXCL));
	ASSERT_DM_OK(set(file_, state_, "with a token", token));
	std::string value;
	size_t rlen = 0;
	EXPECT_DM_OK(get(file_, state_, 100, &value, &rlen, token));
	EXPECT_EQ(value, "with a token");
	std::vector<char> buf;
	ASSERT_DM_OK(getall(file_, 4096, &buf, &rlen, token));
	EXPECT_EQ(records(buf, rlen), (Attrs{{state_, "with a token"}}));
	EXPECT_DM_OK(remove(file_, state_, token));
	/* Else the look without a token would wait for the right. */
	EXPECT_DM_OK(dm_release_right(sid_, file_.hanp, file_.hlen, token));
	EXPECT_EQ(value_of(file_, state_), std::nullopt);
}

TEST_F(DmAttrs, TokenNotOutstandingESRCH)
{
	ASSERT_DM_OK(set(file_, state_, "before"));
	size_t rlen;
	std::vector<char> buf;
	EXPECT_DM_ERRNO(set(file_, state_, "after", kNotOutstanding), ESRCH);
	EXPECT_DM_ERRNO(get(file_, state_, 100, nullptr, &rlen, kNotOutstanding), ESRCH);
	EXPECT_DM_ERRNO(remove(file_, state_, kNotOutstanding), ESRCH);
	EXPECT_DM_ERRNO(getall(file_, 4096, &buf, &rlen, kNotOutstanding), ESRCH);
	EXPECT_EQ(all_of(file_), (Attrs{{state_, "before"}}));
}

TEST_F(DmAttrs, InvalidTokenEINVAL)
{
	ASSERT_DM_OK(set(file_, state_, "before"));
	size_t rlen;
	std::vector<char> buf;
	for (dm_token_t token : {DM_INVALID_TOKEN, -2}) {
		EXPECT_DM_ERRNO(set(file_, state_, "after", token), EINVAL);
		EXPECT_DM_ERRNO(get(file_, state_, 100, nullptr, &rlen, token), EINVAL);
		EXPECT_DM_ERRNO(remove(file_, state_, token), EINVAL);
		EXPECT_DM_ERRNO(getall(file_, 4096, &buf, &rlen, token), EINVAL);
	}
	EXPECT_EQ(all_of(file_), (Attrs{{state_, "before"}}));
}

TEST_F(DmAttrs, NoSuchSessionEINVAL)
{
	ASSERT_DM_OK(set(file_, state_, "before"));
	size_t rlen;
	std::vector<char> buf;
	EXPECT_DM_ERRNO(set(file_, state_, "after", DM_NO_TOKEN, kNoSuchSession), EINVAL);
	EXPECT_DM_ERRNO(get(file_, state_, 100, nullptr, &rlen, DM_NO_TOKEN, kNoSuchSession),
			EINVAL);
	EXPECT_DM_ERRNO(remove(file_, state_, DM_NO_TOKEN, kNoSuchSession), EINVAL);
	EXPECT_DM_ERRNO(getall(file_, 4096, &buf, &rlen, DM_NO_TOKEN, kNoSuchSession), EINVAL);
	EXPECT_EQ(all_of(file_), (Attrs{{state_, "before"}}));
}

TEST_F(DmAttrs, FilesystemHandleEINVAL)
{
	Handle fsh;
	std::string root = mnt_;
	ASSERT_DM_OK(dm_path_to_fshandle(root.data(), &fsh.hanp, &fsh.hlen));
	size_t rlen;
	std::vector<char> buf;
	EXPECT_DM_ERRNO(set(fsh, state_, "v"), EINVAL);
	EXPECT_DM_ERRNO(get(fsh, state_, 100, nullptr, &rlen), EINVAL);
	EXPECT_DM_ERRNO(remove(fsh, state_), EINVAL);
	EXPECT_DM_ERRNO(getall(fsh, 4096, &buf, &rlen), EINVAL);
	/* Not the root directory's either. */
	Handle root_dir;
	ASSERT_DM_OK(dm_path_to_handle(root.data(), &root_dir.hanp, &root_dir.hlen));
	EXPECT_TRUE(all_of(root_dir).empty());
}

TEST_F(DmAttrs, GlobalHandleEINVAL)
{
	dm_attrname_t an = dm_name(state_);
	char buf[64] = "v";
	size_t rlen;
	EXPECT_DM_ERRNO(dm_set_dmattr(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &an, 0,
				      1, buf), EINVAL);
	EXPECT_DM_ERRNO(dm_get_dmattr(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, &an,
				      sizeof(buf), buf, &rlen), EINVAL);
	EXPECT_DM_ERRNO(dm_remove_dmattr(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN, 0,
					 &an), EINVAL);
	EXPECT_DM_ERRNO(dm_getall_dmattr(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN,
					 sizeof(buf), buf, &rlen), EINVAL);
}

TEST_F(DmAttrs, MalformedHandleEINVAL)
{
	size_t rlen;
	std::vector<char> buf;
	Handle short_handle;
	short_handle.hanp = malloc(file_.hlen);
	ASSERT_NE(short_handle.hanp, nullptr);
	std::memcpy(short_handle.hanp, file_.hanp, file_.hlen);
	short_handle.hlen = file_.hlen - 1;
	EXPECT_DM_ERRNO(set(short_handle, state_, "v"), EINVAL);
	EXPECT_DM_ERRNO(get(short_handle, state_, 100, nullptr, &rlen), EINVAL);
	EXPECT_DM_ERRNO(remove(short_handle, state_), EINVAL);
	EXPECT_DM_ERRNO(getall(short_handle, 4096, &buf, &rlen), EINVAL);
	EXPECT_TRUE(all_of(file_).empty());
}

TEST_F(DmAttrs, RemovedFileEBADF)
{
	ASSERT_DM_OK(set(file_, state_, "v"));
	/* Removed while still open: gone for DMAPI all the same. */
	int held = open(path("file").c_str(), O_RDONLY);
	ASSERT_GE(held, 0) << strerror(errno);
	ASSERT_EQ(unlink(path("file").c_str()), 0) << strerror(errno);
	size_t rlen;
	std::vector<char> buf;
	EXPECT_DM_ERRNO(set(file_, state_, "w"), EBADF);
	EXPECT_DM_ERRNO(get(file_, state_, 100, nullptr, &rlen), EBADF);
	EXPECT_DM_ERRNO(remove(file_, state_), EBADF);
	EXPECT_DM_ERRNO(getall(file_, 4096, &buf, &rlen), EBADF);
	close(held);
	EXPECT_DM_ERRNO(get(file_, state_, 100, nullptr, &rlen), EBADF);
}

TEST_F(DmAttrs, RemovedDirectoryEBADF)
{
	ASSERT_DM_OK(set(dir_, state_, "v"));
	ASSERT_EQ(rmdir(path("dir").c_str()), 0) << strerror(errno);
	size_t rlen;
	std::vector<char> buf;
	EXPECT_DM_ERRNO(set(dir_, state_, "w"), EBADF);
	EXPECT_DM_ERRNO(get(dir_, state_, 100, nullptr, &rlen), EBADF);
	EXPECT_DM_ERRNO(remove(dir_, state_), EBADF);
	EXPECT_DM_ERRNO(getall(dir_, 4096, &buf, &rlen), EBADF);
}

TEST_F(DmAttrs, NullNameEFAULT)
{
	char buf[64] = "v";
	size_t rlen;
	EXPECT_DM_ERRNO(dm_set_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, nullptr, 0, 1,
				      buf), EFAULT);
	EXPECT_DM_ERRNO(dm_get_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, nullptr,
				      sizeof(buf), buf, &rlen), EFAULT);
	EXPECT_DM_ERRNO(dm_remove_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 0, nullptr),
			EFAULT);
	EXPECT_TRUE(all_of(file_).empty());
}

TEST_F(DmAttrs, NullLengthPointerEFAULT)
{
	ASSERT_DM_OK(set(file_, state_, "v"));
	dm_attrname_t an = dm_name(state_);
	char buf[64];
	EXPECT_DM_ERRNO(dm_get_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &an,
				      sizeof(buf), buf, nullptr), EFAULT);
	EXPECT_DM_ERRNO(dm_getall_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, sizeof(buf),
					 buf, nullptr), EFAULT);
}

TEST_F(DmAttrs, NullHandleEFAULT)
{
	dm_attrname_t an = dm_name(state_);
	char buf[64] = "v";
	size_t rlen;
	EXPECT_DM_ERRNO(dm_set_dmattr(sid_, nullptr, file_.hlen, DM_NO_TOKEN, &an, 0, 1, buf),
			EFAULT);
	EXPECT_DM_ERRNO(dm_get_dmattr(sid_, nullptr, file_.hlen, DM_NO_TOKEN, &an, sizeof(buf),
				      buf, &rlen), EFAULT);
	EXPECT_DM_ERRNO(dm_remove_dmattr(sid_, nullptr, file_.hlen, DM_NO_TOKEN, 0, &an), EFAULT);
	EXPECT_DM_ERRNO(dm_getall_dmattr(sid_, nullptr, file_.hlen, DM_NO_TOKEN, sizeof(buf), buf,
					 &rlen), EFAULT);
}

TEST_F(DmAttrs, UnreadableValueEFAULT)
{
	dm_attrname_t an = dm_name(state_);
	EXPECT_DM_ERRNO(dm_set_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &an, 0, 4,
				      nullptr), EFAULT);
	EXPECT_EQ(value_of(file_, state_), std::nullopt);
}

TEST_F(DmAttrs, UnwritableBufferEFAULT)
{
	ASSERT_DM_OK(set(file_, state_, "value"));
	dm_attrname_t an = dm_name(state_);
	size_t rlen;
	EXPECT_DM_ERRNO(dm_get_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &an, 64,
				      nullptr, &rlen), EFAULT);
	EXPECT_DM_ERRNO(dm_getall_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 4096,
					 nullptr, &rlen), EFAULT);
	EXPECT_EQ(value_of(file_, state_), "value");
}

} // namespace
