// SPDX-License-Identifier: GPL-2.0
/*
 * The messages the module copies to user space are fully initialised: no
 * byte of kernel memory leaks through their padding, nor between messages
 * delivered together, nor in the lists of a file's DM attributes, of
 * the dispositions and of the inherited attributes, nor in a mount's
 * information, nor in the records of the scans.  Each is
 * received into a buffer filled with a pattern; every byte of it that no
 * field or variable-length datum accounts for must be zero.
 *
 * Needs the scratch filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "event_mount.h"

#include <xdsm/dmapi_ioctl.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

using namespace dmtest;

namespace {

constexpr unsigned char kPattern = 0xa5;

/* The bytes of one message, and which of them its fields account for. */
class Coverage {
public:
	Coverage(const char *msg, size_t len) : msg_(msg), covered_(len) {}

	template <typename T> void field(const T &f)
	{
		mark(reinterpret_cast<const char *>(&f) - msg_, sizeof(f));
	}

	/* A variable-length datum of the struct at @base. */
	void vardata(const void *base, const dm_vardata_t &vd)
	{
		mark(static_cast<const char *>(base) - msg_ + vd.vd_offset, vd.vd_length);
	}

	/* The offsets of the bytes no field accounts for that are not zero. */
	std::vector<size_t> dirty() const
	{
		std::vector<size_t> bad;
		for (size_t i = 0; i < covered_.size(); i++)
			if (!covered_[i] && msg_[i] != 0)
				bad.push_back(i);
		return bad;
	}

private:
	void mark(ptrdiff_t from, size_t len)
	{
		ASSERT_GE(from, 0);
		ASSERT_LE(from + len, covered_.size());
		for (size_t i = 0; i < len; i++)
			covered_[from + i] = true;
	}

	const char *msg_;
	std::vector<bool> covered_;
};

/* An accessor that reads the byte at off of path: 0, or the errno. */
auto reading_byte(const std::string &path, off_t off)
{
	return [path, off] {
		char c;
		int fd = open(path.c_str(), O_RDONLY);
		return fd >= 0 && pread(fd, &c, 1, off) == 1 ? 0 : errno;
	};
}

class Padding : public EventMountTest {
protected:
	Padding() : EventMountTest("Padding") {}

	void populate() override { spit(lower_ + "/file", std::string(4096, 'x')); }

	/* The next message, received into a buffer full of kPattern. */
	std::vector<char> receive()
	{
		std::vector<char> buf(1 << 16, static_cast<char>(kPattern));
		size_t rlen = 0;
		for (int waited = 0; waited < kPatienceMs; waited += 10) {
			if (dm_get_events(sid_, 1, 0, buf.size(), buf.data(), &rlen) == 0) {
				buf.resize(rlen);
				return buf;
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
		ADD_FAILURE() << "no message for the session";
		return {};
	}

	/*
	 * The fields of a scan's record, whose dt_pad fields must be zero
	 * too; dt_compname only from dm_get_dirattrs().
	 */
	static void stat_record(Coverage &c, const dm_stat_t *st)
	{
		c.field(st->_link);
		c.field(st->dt_handle);
		c.field(st->dt_compname);
		c.vardata(st, st->dt_handle);
		c.vardata(st, st->dt_compname);
		c.field(st->dt_nevents);
		c.field(st->dt_emask);
		c.field(st->dt_pers);
		c.field(st->dt_pmanreg);
		c.field(st->dt_dtime);
		c.field(st->dt_change);
		c.field(st->dt_dev);
		c.field(st->dt_ino);
		c.field(st->dt_mode);
		c.field(st->dt_nlink);
		c.field(st->dt_uid);
		c.field(st->dt_gid);
		c.field(st->dt_rdev);
		c.field(st->dt_size);
		c.field(st->dt_atime);
		c.field(st->dt_mtime);
		c.field(st->dt_ctime);
		c.field(st->dt_blksize);
		c.field(st->dt_blocks);
		c.field(st->dt_fstype);
		c.field(st->dt_xfs_igen);
		c.field(st->dt_xfs_xflags);
		c.field(st->dt_xfs_extsize);
		c.field(st->dt_xfs_extents);
		c.field(st->dt_xfs_aextents);
		c.field(st->dt_xfs_dmstate);
	}

	/* The records of one scan call's buffer, checked; how many. */
	static int check_records(std::vector<char> &buf)
	{
		Coverage c(buf.data(), buf.size());
		int n = 0;
		for (auto *st = reinterpret_cast<dm_stat_t *>(buf.data()); st;
		     st = DM_STEP_TO_NEXT(st, dm_stat_t *), n++)
			stat_record(c, st);
		EXPECT_EQ(c.dirty(), std::vector<size_t>{});
		return n;
	}

	/*
	 * A whole scan, call(buf, rlen) at a time into patterned buffers,
	 * each call's records checked; how many records it gave.
	 */
	template <typename Call> static int check_scan(Call call)
	{
		int n = 0, rc;
		do {
			std::vector<char> buf(1 << 16, static_cast<char>(kPattern));
			size_t rlen = 0;
			rc = call(buf, rlen);
			EXPECT_GE(rc, 0) << strerror(errno);
			buf.resize(rc < 0 ? 0 : rlen);
			if (!buf.empty())
				n += check_records(buf);
		} while (rc == 1);
		return n;
	}

	/* The header's fields; the message's own data follows. */
	static void header(Coverage &c, const dm_eventmsg_t *m)
	{
		c.field(m->_link);
		c.field(m->ev_type);
		c.field(m->ev_token);
		c.field(m->ev_sequence);
		c.field(m->ev_data);
	}
};

TEST_F(Padding, DataEventMessageIsZeroBetweenItsFields)
{
	Handle file;
	handle_of("file", file);
	ASSERT_DM_OK(take({DM_EVENT_READ}));
	ASSERT_DM_OK(enable(file, {DM_EVENT_READ}));
	Accessor reader(reading_byte(path("file"), 100));
	std::vector<char> buf = receive();
	ASSERT_GE(buf.size(), sizeof(dm_eventmsg_t));
	auto *m = reinterpret_cast<dm_eventmsg_t *>(buf.data());
	ASSERT_EQ(m->ev_type, DM_EVENT_READ);
	auto *de = DM_GET_VALUE(m, ev_data, dm_data_event_t *);
	Coverage c(buf.data(), buf.size());
	header(c, m);
	c.field(de->de_handle);
	c.field(de->de_offset);
	c.field(de->de_length);
	c.vardata(de, de->de_handle);
	EXPECT_EQ(c.dirty(), std::vector<size_t>{});

	/* The same message again, as dm_find_eventmsg() gives it. */
	std::vector<char> again(buf.size() + 64, static_cast<char>(kPattern));
	size_t rlen = 0;
	ASSERT_DM_OK(dm_find_eventmsg(sid_, m->ev_token, again.size(), again.data(), &rlen));
	ASSERT_EQ(rlen, buf.size());
	EXPECT_EQ(std::vector<char>(again.begin(), again.begin() + rlen), buf);
	respond(m->ev_token, DM_RESP_CONTINUE);
	EXPECT_EQ(reader.result(), 0);
}

TEST_F(Padding, NamespaceEventMessageIsZeroBetweenItsFields)
{
	ASSERT_DM_OK(take({DM_EVENT_CREATE}));
	ASSERT_DM_OK(enable(fsh_, {DM_EVENT_CREATE}));
	Accessor creator([p = path("new")] {
		int fd = open(p.c_str(), O_CREAT | O_WRONLY, 0640);
		return fd >= 0 && close(fd) == 0 ? 0 : errno;
	});
	std::vector<char> buf = receive();
	ASSERT_GE(buf.size(), sizeof(dm_eventmsg_t));
	auto *m = reinterpret_cast<dm_eventmsg_t *>(buf.data());
	ASSERT_EQ(m->ev_type, DM_EVENT_CREATE);
	auto *ne = DM_GET_VALUE(m, ev_data, dm_namesp_event_t *);
	Coverage c(buf.data(), buf.size());
	header(c, m);
	c.field(ne->ne_mode);
	c.field(ne->ne_handle1);
	c.field(ne->ne_handle2);
	c.field(ne->ne_name1);
	c.field(ne->ne_name2);
	c.field(ne->ne_retcode);
	c.vardata(ne, ne->ne_handle1);
	c.vardata(ne, ne->ne_handle2);
	c.vardata(ne, ne->ne_name1);
	c.vardata(ne, ne->ne_name2);
	EXPECT_EQ(c.dirty(), std::vector<size_t>{});
	respond(m->ev_token, DM_RESP_CONTINUE);
	EXPECT_EQ(creator.result(), 0);
}

TEST_F(Padding, UserMessageIsZeroAfterItsData)
{
	char odd[] = "five!";	/* 6 bytes: the record pads to 8 */
	ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, sizeof(odd), odd));
	std::vector<char> buf = receive();
	ASSERT_GE(buf.size(), sizeof(dm_eventmsg_t));
	auto *m = reinterpret_cast<dm_eventmsg_t *>(buf.data());
	ASSERT_EQ(m->ev_type, DM_EVENT_USER);
	Coverage c(buf.data(), buf.size());
	header(c, m);
	c.vardata(m, m->ev_data);
	EXPECT_EQ(c.dirty(), std::vector<size_t>{});
}

TEST_F(Padding, DestroyMessageIsZeroBetweenItsFields)
{
	ASSERT_DM_OK(take({DM_EVENT_DESTROY}));
	ASSERT_DM_OK(enable(fsh_, {DM_EVENT_DESTROY}));
	Handle file;
	handle_of("file", file);
	dm_attrname_t name = {};
	std::memcpy(name.an_chars, "odd", 3);
	ASSERT_DM_OK(dm_set_return_on_destroy(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN,
					      &name, DM_TRUE));
	char value[] = "seven!";	/* 7 bytes */
	ASSERT_DM_OK(dm_set_dmattr(sid_, file.hanp, file.hlen, DM_NO_TOKEN, &name, 0,
				   sizeof(value), value));
	ASSERT_EQ(unlink(path("file").c_str()), 0);
	std::vector<char> buf = receive();
	ASSERT_GE(buf.size(), sizeof(dm_eventmsg_t));
	auto *m = reinterpret_cast<dm_eventmsg_t *>(buf.data());
	ASSERT_EQ(m->ev_type, DM_EVENT_DESTROY);
	auto *ds = DM_GET_VALUE(m, ev_data, dm_destroy_event_t *);
	ASSERT_EQ(DM_GET_LEN(ds, ds_attrcopy), sizeof(value));
	Coverage c(buf.data(), buf.size());
	header(c, m);
	c.field(ds->ds_handle);
	c.field(ds->ds_attrname);
	c.field(ds->ds_attrcopy);
	c.vardata(ds, ds->ds_handle);
	c.vardata(ds, ds->ds_attrcopy);
	EXPECT_EQ(c.dirty(), std::vector<size_t>{});
}

TEST_F(Padding, CancelMessageIsZeroBetweenItsFields)
{
	Handle file;
	handle_of("file", file);
	ASSERT_DM_OK(take({DM_EVENT_READ, DM_EVENT_CANCEL}));
	ASSERT_DM_OK(enable(fsh_, {DM_EVENT_CANCEL}));
	ASSERT_DM_OK(enable(file, {DM_EVENT_READ}));
	Accessor reader(reading_byte(path("file"), 0));
	std::vector<char> read = receive();
	ASSERT_GE(read.size(), sizeof(dm_eventmsg_t));
	dm_token_t token = reinterpret_cast<dm_eventmsg_t *>(read.data())->ev_token;
	reader.kill_now();
	EXPECT_EQ(reader.result(), 128 + SIGKILL);
	std::vector<char> buf = receive();
	ASSERT_GE(buf.size(), sizeof(dm_eventmsg_t));
	auto *m = reinterpret_cast<dm_eventmsg_t *>(buf.data());
	ASSERT_EQ(m->ev_type, DM_EVENT_CANCEL);
	auto *ce = DM_GET_VALUE(m, ev_data, dm_cancel_event_t *);
	Coverage c(buf.data(), buf.size());
	header(c, m);
	c.field(ce->ce_sequence);
	c.field(ce->ce_token);
	EXPECT_EQ(c.dirty(), std::vector<size_t>{});
	respond(token, DM_RESP_CONTINUE);
}

/* Several messages in one buffer: the bytes between them too. */
TEST_F(Padding, MessagesDeliveredTogetherAreZeroBetweenThem)
{
	for (const char *text : {"a", "three", "seventeen bytes!"})
		ASSERT_DM_OK(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, std::strlen(text) + 1,
					 const_cast<char *>(text)));
	std::vector<char> buf(1 << 16, static_cast<char>(kPattern));
	size_t rlen = 0;
	ASSERT_DM_OK(dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen));
	buf.resize(rlen);
	Coverage c(buf.data(), buf.size());
	int n = 0;
	for (auto *m = reinterpret_cast<dm_eventmsg_t *>(buf.data()); m;
	     m = DM_STEP_TO_NEXT(m, dm_eventmsg_t *), n++) {
		ASSERT_EQ(m->ev_type, DM_EVENT_USER);
		header(c, m);
		c.vardata(m, m->ev_data);
	}
	EXPECT_EQ(n, 3) << "delivered together";
	EXPECT_EQ(c.dirty(), std::vector<size_t>{});
}

/* Not a message but a list the module fills the same way. */
TEST_F(Padding, DmAttrListIsZeroBetweenItsRecords)
{
	Handle file;
	handle_of("file", file);
	for (const char *attr : {"a", "bb", "ccc"}) {
		dm_attrname_t name = {};
		std::memcpy(name.an_chars, attr, std::strlen(attr));
		/* Odd lengths, so that each record pads to 8 bytes. */
		ASSERT_DM_OK(dm_set_dmattr(sid_, file.hanp, file.hlen, DM_NO_TOKEN, &name, 0,
					   2 * std::strlen(attr) - 1, const_cast<char *>("xxxxx")));
	}
	std::vector<char> buf(4096, static_cast<char>(kPattern));
	size_t rlen = 0;
	ASSERT_DM_OK(dm_getall_dmattr(sid_, file.hanp, file.hlen, DM_NO_TOKEN, buf.size(),
				      buf.data(), &rlen));
	buf.resize(rlen);
	Coverage c(buf.data(), buf.size());
	int n = 0;
	for (auto *al = reinterpret_cast<dm_attrlist_t *>(buf.data()); al;
	     al = DM_STEP_TO_NEXT(al, dm_attrlist_t *), n++) {
		c.field(al->_link);
		c.field(al->al_name);
		c.field(al->al_data);
		c.vardata(al, al->al_data);
	}
	EXPECT_EQ(n, 3);
	EXPECT_EQ(c.dirty(), std::vector<size_t>{});
}

/*
 * Straight from the device: the library copies dm_inherit_t field by
 * field, so only the module's own entries show their padding.
 */
TEST_F(Padding, InheritanceListIsZeroBetweenItsFieldsAndStopsAtItsEnd)
{
	dm_attrname_t name = {};
	std::memcpy(name.an_chars, "ih", 2);	/* 6 bytes of the name unused */
	ASSERT_DM_OK(dm_set_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &name, S_IFREG));
	ASSERT_DM_OK(dm_set_inherit(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &name, S_IFDIR));
	int dev = open("/dev/dmapi", O_RDWR | O_CLOEXEC);
	ASSERT_GE(dev, 0) << strerror(errno);
	std::vector<dmapi_inherit> entries(4);
	std::memset(entries.data(), kPattern, entries.size() * sizeof(entries[0]));
	dmapi_inherit_arg arg = {};
	arg.sid = sid_;
	arg.token = DM_NO_TOKEN;
	arg.hanp = reinterpret_cast<std::uintptr_t>(fsh_.hanp);
	arg.hlen = fsh_.hlen;
	arg.nelem = entries.size();
	arg.buf = reinterpret_cast<std::uintptr_t>(entries.data());
	int rc = ioctl(dev, DMAPI_IOC_GETALL_INHERIT, &arg);
	int err = errno;
	close(dev);
	ASSERT_EQ(rc, 0) << strerror(err);
	ASSERT_EQ(arg.nelem_out, 2u);
	auto *bytes = reinterpret_cast<const unsigned char *>(entries.data());
	for (unsigned int i = 0; i < arg.nelem_out; i++) {
		EXPECT_EQ(std::memcmp(entries[i].ih_name, name.an_chars, sizeof(name.an_chars)), 0)
			<< "entry " << i << ": the name and zeros after it";
		EXPECT_EQ(entries[i].ih_pad, 0u) << "entry " << i;
	}
	for (size_t i = arg.nelem_out * sizeof(entries[0]);
	     i < entries.size() * sizeof(entries[0]); i++)
		ASSERT_EQ(bytes[i], kPattern) << "byte " << i << ", past the entries, written";
}

TEST_F(Padding, DispositionListIsZeroBetweenItsRecords)
{
	ASSERT_DM_OK(take({DM_EVENT_READ, DM_EVENT_DESTROY}));
	std::vector<char> buf(4096, static_cast<char>(kPattern));
	size_t rlen = 0;
	ASSERT_DM_OK(dm_getall_disp(sid_, buf.size(), buf.data(), &rlen));
	buf.resize(rlen);
	Coverage c(buf.data(), buf.size());
	int n = 0;
	for (auto *di = reinterpret_cast<dm_dispinfo_t *>(buf.data()); di;
	     di = DM_STEP_TO_NEXT(di, dm_dispinfo_t *), n++) {
		c.field(di->_link);
		c.field(di->di_pad1);
		c.field(di->di_fshandle);
		c.field(di->di_eventset);
		c.vardata(di, di->di_fshandle);
	}
	EXPECT_EQ(n, 1) << "one filesystem";
	EXPECT_EQ(c.dirty(), std::vector<size_t>{});
}

TEST_F(Padding, MountInformationIsZeroBetweenItsFields)
{
	std::vector<char> buf(4096, static_cast<char>(kPattern));
	size_t rlen = 0;
	ASSERT_DM_OK(dm_get_mountinfo(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, buf.size(),
				      buf.data(), &rlen));
	buf.resize(rlen);
	ASSERT_GE(buf.size(), sizeof(dm_mount_event_t));
	auto *me = reinterpret_cast<dm_mount_event_t *>(buf.data());
	Coverage c(buf.data(), buf.size());
	c.field(me->me_mode);
	c.field(me->me_handle1);
	c.field(me->me_handle2);
	c.field(me->me_name1);
	c.field(me->me_name2);
	c.field(me->me_roothandle);
	c.vardata(me, me->me_handle1);
	c.vardata(me, me->me_handle2);
	c.vardata(me, me->me_name1);
	c.vardata(me, me->me_name2);
	c.vardata(me, me->me_roothandle);
	EXPECT_EQ(c.dirty(), std::vector<size_t>{});
}

TEST_F(Padding, DirectoryScanRecordsAreZeroBetweenTheirFields)
{
	/* Names of odd lengths, so that each record pads to 8 bytes. */
	for (const char *name : {"a", "bbb", "ccccc"})
		spit(path(name), "x");
	Handle root;
	handle_of("", root);
	dm_attrloc_t loc = 0;
	ASSERT_DM_OK(dm_init_attrloc(sid_, root.hanp, root.hlen, DM_NO_TOKEN, &loc));
	EXPECT_GE(check_scan([&](std::vector<char> &buf, size_t &rlen) {
			  return dm_get_dirattrs(sid_, root.hanp, root.hlen, DM_NO_TOKEN,
						 DM_AT_HANDLE | DM_AT_STAT, &loc, buf.size(),
						 buf.data(), &rlen);
		  }),
		  4) << "file, a, bbb, ccccc";
}

TEST_F(Padding, BulkScanRecordsAreZeroBetweenTheirFields)
{
	for (const char *name : {"a", "bbb", "ccccc"})
		spit(path(name), "x");
	dm_attrloc_t loc = 0;
	ASSERT_DM_OK(dm_init_attrloc(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN, &loc));
	EXPECT_GE(check_scan([&](std::vector<char> &buf, size_t &rlen) {
			  return dm_get_bulkattr(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN,
						 DM_AT_HANDLE | DM_AT_STAT, &loc, buf.size(),
						 buf.data(), &rlen);
		  }),
		  4) << "file, a, bbb, ccccc";
}

} // namespace
