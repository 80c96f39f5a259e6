// SPDX-License-Identifier: GPL-2.0
//
// The handle functions that need no kernel.
#include <xdsm/dmapi.h>
#include <xdsm/dmapi_ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <memory>
#include <vector>

namespace {

constexpr dm_fsid_t fsid = 0x0123456789abcdefull;
constexpr dm_ino_t ino = 0x00000001000000ffull;
constexpr dm_igen_t igen = 0xdeadbeef;

// A handle the library allocated, freed with dm_handle_free().
struct Handle {
	void *hanp = nullptr;
	size_t hlen = 0;

	Handle() = default;
	Handle(const Handle &) = delete;
	Handle &operator=(const Handle &) = delete;
	~Handle() { dm_handle_free(hanp, hlen); }
};

void make_object(Handle &h, dm_fsid_t f = fsid, dm_ino_t i = ino, dm_igen_t g = igen)
{
	ASSERT_EQ(dm_make_handle(&f, &i, &g, &h.hanp, &h.hlen), 0);
}

void make_fs(Handle &h, dm_fsid_t f = fsid)
{
	ASSERT_EQ(dm_make_fshandle(&f, &h.hanp, &h.hlen), 0);
}

// Expects a call to fail with the given errno.
#define EXPECT_ERRNO(call, error)                \
	do {                                     \
		errno = 0;                       \
		EXPECT_EQ((call), -1);           \
		EXPECT_EQ(errno, (error));       \
	} while (0)

TEST(MakeHandle, ObjectHandleHasTheProtocolLayout)
{
	Handle h;
	make_object(h);
	ASSERT_EQ(h.hlen, sizeof(dmapi_handle));

	dmapi_handle raw;
	std::memcpy(&raw, h.hanp, sizeof(raw));
	EXPECT_EQ(raw.fsid, fsid);
	EXPECT_EQ(raw.fid.fid_len, DMAPI_FID_LEN);
	EXPECT_EQ(raw.fid.fid_len, 14);
	EXPECT_EQ(raw.fid.fid_pad, 0);
	EXPECT_EQ(raw.fid.fid_gen, igen);
	EXPECT_EQ(raw.fid.fid_ino, ino);
	EXPECT_EQ(dm_handle_is_valid(h.hanp, h.hlen), DM_TRUE);
}

TEST(MakeHandle, FilesystemHandleIsTheFsid)
{
	Handle h;
	make_fs(h);
	ASSERT_EQ(h.hlen, 8u);
	EXPECT_EQ(std::memcmp(h.hanp, &fsid, 8), 0);
	EXPECT_EQ(dm_handle_is_valid(h.hanp, h.hlen), DM_TRUE);
}

TEST(MakeHandle, NullArgumentsFailEfault)
{
	dm_fsid_t f = fsid;
	dm_ino_t i = ino;
	dm_igen_t g = igen;
	void *hanp = nullptr;
	size_t hlen = 0;

	EXPECT_ERRNO(dm_make_handle(nullptr, &i, &g, &hanp, &hlen), EFAULT);
	EXPECT_ERRNO(dm_make_handle(&f, nullptr, &g, &hanp, &hlen), EFAULT);
	EXPECT_ERRNO(dm_make_handle(&f, &i, nullptr, &hanp, &hlen), EFAULT);
	EXPECT_ERRNO(dm_make_handle(&f, &i, &g, nullptr, &hlen), EFAULT);
	EXPECT_ERRNO(dm_make_handle(&f, &i, &g, &hanp, nullptr), EFAULT);
	EXPECT_ERRNO(dm_make_fshandle(nullptr, &hanp, &hlen), EFAULT);
	EXPECT_ERRNO(dm_make_fshandle(&f, nullptr, &hlen), EFAULT);
	EXPECT_ERRNO(dm_make_fshandle(&f, &hanp, nullptr), EFAULT);
	EXPECT_EQ(hanp, nullptr);
}

TEST(HandleTo, ObjectHandleGivesItsParts)
{
	Handle h;
	make_object(h);
	dm_fsid_t f = 0;
	dm_ino_t i = 0;
	dm_igen_t g = 0;
	EXPECT_EQ(dm_handle_to_fsid(h.hanp, h.hlen, &f), 0);
	EXPECT_EQ(dm_handle_to_ino(h.hanp, h.hlen, &i), 0);
	EXPECT_EQ(dm_handle_to_igen(h.hanp, h.hlen, &g), 0);
	EXPECT_EQ(f, fsid);
	EXPECT_EQ(i, ino);
	EXPECT_EQ(g, igen);
}

TEST(HandleTo, FilesystemHandleHasOnlyAnFsid)
{
	Handle h;
	make_fs(h);
	dm_fsid_t f = 0;
	dm_ino_t i = 0;
	dm_igen_t g = 0;
	EXPECT_EQ(dm_handle_to_fsid(h.hanp, h.hlen, &f), 0);
	EXPECT_EQ(f, fsid);
	EXPECT_ERRNO(dm_handle_to_ino(h.hanp, h.hlen, &i), EBADF);
	EXPECT_ERRNO(dm_handle_to_igen(h.hanp, h.hlen, &g), EBADF);
}

TEST(HandleTo, GlobalHandleHasNoParts)
{
	dm_fsid_t f = 0;
	dm_ino_t i = 0;
	dm_igen_t g = 0;
	void *fshanp = nullptr;
	size_t fshlen = 0;
	EXPECT_ERRNO(dm_handle_to_fsid(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, &f), EBADF);
	EXPECT_ERRNO(dm_handle_to_ino(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, &i), EBADF);
	EXPECT_ERRNO(dm_handle_to_igen(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, &g), EBADF);
	EXPECT_ERRNO(dm_handle_to_fshandle(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, &fshanp, &fshlen), EBADF);
}

TEST(HandleTo, NullOutputFailsEfaultBeforeLookingAtTheHandle)
{
	Handle h;
	make_object(h);
	size_t fshlen = 0;
	void *fshanp = nullptr;
	EXPECT_ERRNO(dm_handle_to_fsid(h.hanp, h.hlen, nullptr), EFAULT);
	EXPECT_ERRNO(dm_handle_to_ino(h.hanp, h.hlen, nullptr), EFAULT);
	EXPECT_ERRNO(dm_handle_to_igen(h.hanp, h.hlen, nullptr), EFAULT);
	EXPECT_ERRNO(dm_handle_to_fshandle(h.hanp, h.hlen, nullptr, &fshlen), EFAULT);
	EXPECT_ERRNO(dm_handle_to_fshandle(h.hanp, h.hlen, &fshanp, nullptr), EFAULT);
	EXPECT_ERRNO(dm_handle_to_fsid(nullptr, 24, nullptr), EFAULT);
}

TEST(HandleTo, BadHandlesFailEbadf)
{
	dm_fsid_t f;
	EXPECT_ERRNO(dm_handle_to_fsid(nullptr, 0, &f), EBADF);
	EXPECT_ERRNO(dm_handle_to_fsid(nullptr, 24, &f), EBADF);
	EXPECT_ERRNO(dm_handle_to_fsid(DM_GLOBAL_HANP, 24, &f), EBADF);

	Handle h;
	make_object(h);
	EXPECT_ERRNO(dm_handle_to_fsid(h.hanp, h.hlen - 1, &f), EBADF);
	EXPECT_ERRNO(dm_handle_to_fsid(h.hanp, 7, &f), EBADF);
	EXPECT_ERRNO(dm_handle_to_fsid(h.hanp, 0, &f), EBADF);
}

TEST(HandleTo, FshandleOfObjectAndOfFilesystem)
{
	Handle obj, fs;
	make_object(obj);
	make_fs(fs);

	Handle from_obj, from_fs;
	ASSERT_EQ(dm_handle_to_fshandle(obj.hanp, obj.hlen, &from_obj.hanp, &from_obj.hlen), 0);
	ASSERT_EQ(dm_handle_to_fshandle(fs.hanp, fs.hlen, &from_fs.hanp, &from_fs.hlen), 0);
	EXPECT_EQ(dm_handle_cmp(from_obj.hanp, from_obj.hlen, fs.hanp, fs.hlen), 0);
	EXPECT_EQ(dm_handle_cmp(from_fs.hanp, from_fs.hlen, fs.hanp, fs.hlen), 0);
	EXPECT_NE(from_fs.hanp, fs.hanp);	// a copy the caller frees
}

TEST(IsValid, AcceptsTheThreeKinds)
{
	Handle obj, fs;
	make_object(obj);
	make_fs(fs);
	EXPECT_EQ(dm_handle_is_valid(obj.hanp, obj.hlen), DM_TRUE);
	EXPECT_EQ(dm_handle_is_valid(fs.hanp, fs.hlen), DM_TRUE);
	EXPECT_EQ(dm_handle_is_valid(DM_GLOBAL_HANP, DM_GLOBAL_HLEN), DM_TRUE);
}

TEST(IsValid, RejectsNullSentinelAndWrongLengths)
{
	EXPECT_EQ(dm_handle_is_valid(DM_INVALID_HANP, DM_INVALID_HLEN), DM_FALSE);
	EXPECT_EQ(dm_handle_is_valid(nullptr, 24), DM_FALSE);
	EXPECT_EQ(dm_handle_is_valid(nullptr, 8), DM_FALSE);
	// The global sentinel is only global with its own length, and is
	// never read.
	EXPECT_EQ(dm_handle_is_valid(DM_GLOBAL_HANP, 0), DM_FALSE);
	EXPECT_EQ(dm_handle_is_valid(DM_GLOBAL_HANP, 8), DM_FALSE);
	EXPECT_EQ(dm_handle_is_valid(DM_GLOBAL_HANP, 24), DM_FALSE);

	Handle obj;
	make_object(obj);
	for (size_t len : {0, 1, 7, 9, 16, 23, 25, 56})
		EXPECT_EQ(dm_handle_is_valid(obj.hanp, len), DM_FALSE) << "length " << len;

	// A one-byte buffer at a real address is not the global handle.
	unsigned char one = 1;
	EXPECT_EQ(dm_handle_is_valid(&one, 1), DM_FALSE);
}

TEST(IsValid, RejectsMalformedFields)
{
	dmapi_handle good = {fsid, {DMAPI_FID_LEN, 0, igen, ino}};
	EXPECT_EQ(dm_handle_is_valid(&good, sizeof(good)), DM_TRUE);

	dmapi_handle zero_fsid = good;
	zero_fsid.fsid = 0;
	EXPECT_EQ(dm_handle_is_valid(&zero_fsid, sizeof(zero_fsid)), DM_FALSE);
	EXPECT_EQ(dm_handle_is_valid(&zero_fsid, DMAPI_FSHANDLE_LEN), DM_FALSE);

	dmapi_handle bad_len = good;
	bad_len.fid.fid_len = 12;
	EXPECT_EQ(dm_handle_is_valid(&bad_len, sizeof(bad_len)), DM_FALSE);

	dmapi_handle bad_pad = good;
	bad_pad.fid.fid_pad = 1;
	EXPECT_EQ(dm_handle_is_valid(&bad_pad, sizeof(bad_pad)), DM_FALSE);
}

TEST(IsValid, UnalignedBuffersAreRead)
{
	alignas(8) unsigned char storage[1 + sizeof(dmapi_handle)];
	dmapi_handle good = {fsid, {DMAPI_FID_LEN, 0, igen, ino}};
	std::memcpy(storage + 1, &good, sizeof(good));
	EXPECT_EQ(dm_handle_is_valid(storage + 1, sizeof(good)), DM_TRUE);
	dm_ino_t i = 0;
	EXPECT_EQ(dm_handle_to_ino(storage + 1, sizeof(good), &i), 0);
	EXPECT_EQ(i, ino);
}

TEST(Cmp, EqualHandlesCompareEqual)
{
	Handle a, b;
	make_object(a);
	make_object(b);
	EXPECT_NE(a.hanp, b.hanp);
	EXPECT_EQ(dm_handle_cmp(a.hanp, a.hlen, b.hanp, b.hlen), 0);
	EXPECT_EQ(dm_handle_cmp(a.hanp, a.hlen, a.hanp, a.hlen), 0);
	EXPECT_EQ(dm_handle_cmp(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_GLOBAL_HANP, DM_GLOBAL_HLEN), 0);
	EXPECT_EQ(dm_handle_cmp(nullptr, 0, nullptr, 0), 0);
}

TEST(Cmp, DifferentHandlesCompareUnequalAndAntisymmetric)
{
	Handle obj, other_ino, other_gen, other_fs, fs;
	make_object(obj);
	make_object(other_ino, fsid, ino + 1);
	make_object(other_gen, fsid, ino, igen + 1);
	make_object(other_fs, fsid + 1);
	make_fs(fs);

	const Handle *all[] = {&obj, &other_ino, &other_gen, &other_fs, &fs};
	for (const Handle *x : all) {
		for (const Handle *y : all) {
			int xy = dm_handle_cmp(x->hanp, x->hlen, y->hanp, y->hlen);
			int yx = dm_handle_cmp(y->hanp, y->hlen, x->hanp, x->hlen);
			if (x == y)
				EXPECT_EQ(xy, 0);
			else
				EXPECT_NE(xy, 0);
			EXPECT_EQ(xy > 0, yx < 0);
			EXPECT_EQ(xy == 0, yx == 0);
		}
	}
}

TEST(Cmp, OrderIsLengthThenBytesAndSortable)
{
	Handle obj, fs;
	make_object(obj);
	make_fs(fs);
	// Shorter first: global (1) < filesystem (8) < object (24).
	EXPECT_LT(dm_handle_cmp(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, fs.hanp, fs.hlen), 0);
	EXPECT_LT(dm_handle_cmp(fs.hanp, fs.hlen, obj.hanp, obj.hlen), 0);
	EXPECT_GT(dm_handle_cmp(obj.hanp, obj.hlen, DM_GLOBAL_HANP, DM_GLOBAL_HLEN), 0);
	// Unreadable pointers of a length sort before readable ones.
	unsigned char one = 0;
	EXPECT_LT(dm_handle_cmp(nullptr, 1, DM_GLOBAL_HANP, DM_GLOBAL_HLEN), 0);
	EXPECT_LT(dm_handle_cmp(DM_GLOBAL_HANP, DM_GLOBAL_HLEN, &one, 1), 0);

	// A sort with dm_handle_cmp is a strict weak order over many handles.
	std::vector<std::unique_ptr<Handle>> handles;
	for (dm_ino_t i = 0; i < 40; i++) {
		handles.push_back(std::make_unique<Handle>());
		make_object(*handles.back(), fsid + (i % 3), ino + 39 - i, igen + (i % 5));
	}
	std::sort(handles.begin(), handles.end(), [](const auto &a, const auto &b) {
		return dm_handle_cmp(a->hanp, a->hlen, b->hanp, b->hlen) < 0;
	});
	for (size_t i = 1; i < handles.size(); i++)
		EXPECT_LT(dm_handle_cmp(handles[i - 1]->hanp, handles[i - 1]->hlen,
					handles[i]->hanp, handles[i]->hlen), 0);
}

TEST(Hash, EqualHandlesHashEqual)
{
	Handle a, b;
	make_object(a);
	make_object(b);
	EXPECT_EQ(dm_handle_hash(a.hanp, a.hlen), dm_handle_hash(b.hanp, b.hlen));
	EXPECT_EQ(dm_handle_hash(DM_GLOBAL_HANP, DM_GLOBAL_HLEN),
		  dm_handle_hash(DM_GLOBAL_HANP, DM_GLOBAL_HLEN));
	EXPECT_EQ(dm_handle_hash(nullptr, 24), 0u);
}

// The values are part of the interface: programs may store hashes, and a
// 32-bit and a 64-bit program must agree.  They are FNV-1a of the bytes,
// worked out independently of the library.
TEST(Hash, ValuesAreStable)
{
	dmapi_handle obj = {fsid, {DMAPI_FID_LEN, 0, igen, ino}};
	EXPECT_EQ(dm_handle_hash(&obj, sizeof(obj)), 0xd68cb3c3u);
	EXPECT_EQ(dm_handle_hash(&obj, DMAPI_FSHANDLE_LEN), 0xe39e4e75u);
	EXPECT_EQ(dm_handle_hash(DM_GLOBAL_HANP, DM_GLOBAL_HLEN), 0x040c5b8cu);
	EXPECT_EQ(dm_handle_hash(&obj, 0), 2166136261u);
}

TEST(Hash, SpreadsNeighbouringInodes)
{
	std::vector<unsigned int> hashes;
	for (dm_ino_t i = 0; i < 256; i++) {
		dmapi_handle h = {fsid, {DMAPI_FID_LEN, 0, igen, ino + i}};
		hashes.push_back(dm_handle_hash(&h, sizeof(h)));
	}
	std::sort(hashes.begin(), hashes.end());
	EXPECT_EQ(std::unique(hashes.begin(), hashes.end()), hashes.end());
}

TEST(Free, AcceptsNullAndTheGlobalHandle)
{
	dm_handle_free(nullptr, 0);
	dm_handle_free(DM_GLOBAL_HANP, DM_GLOBAL_HLEN);
	// Handles are malloc'd: programs written for SGI's library free() them.
	Handle h;
	make_object(h);
	std::free(h.hanp);
	h.hanp = nullptr;
}

} // namespace
