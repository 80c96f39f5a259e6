// SPDX-License-Identifier: GPL-2.0
/*
 * Every "padding" and "reserved" field of every ioctl's argument must be
 * zero (protocol 1.10): a call with one set fails with EINVAL and changes
 * nothing, so that a later version may give the field a meaning.
 *
 * This binary defines ioctl(), which libdmapi binds to, and passes each
 * request on to the kernel.  Armed, it sets the top byte of one field of
 * the next request of one number from this thread: each library call is
 * made once so, with arguments that work, then once as it is.  The second
 * call works only if the first changed nothing (a token is still there to
 * answer, a session to destroy, a name free to create), and after each
 * refused call that would have changed something the test looks that it
 * did not: a right, a reference, a DM attribute, data, a mode, a region,
 * an event list, a disposition, an inherited attribute, a message, a
 * descriptor.
 *
 * Needs the scratch filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "dmtest.h"
#include "reserved_fields.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstring>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace dmtest {

/* Failures name the field, not its bytes. */
void PrintTo(const ReservedField &field, std::ostream *os)
{
	*os << field.name;
}

} // namespace dmtest

using namespace dmtest;

namespace {

/* The field to set in the next request of its number from thread tid. */
struct Armed {
	std::atomic<pid_t> tid{0};
	ReservedField field{};
	std::atomic<bool> hit{false};
};

Armed armed;

void arm(const ReservedField &field)
{
	armed.field = field;
	armed.hit = false;
	armed.tid = gettid();
}

/* Disarm; whether the field was set in a request. */
bool disarm()
{
	armed.tid = 0;
	return armed.hit;
}

} // namespace

extern "C" int ioctl(int fd, unsigned long request, ...) noexcept
{
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *);
	va_end(ap);

	/* Our thread's first: others (the mount responder's) may call meanwhile. */
	if (armed.tid == gettid() && request == armed.field.cmd) {
		armed.tid = 0;
		static_cast<unsigned char *>(arg)[armed.field.offset + armed.field.size - 1] = 0x80;
		armed.hit = true;
	}
	return static_cast<int>(syscall(SYS_ioctl, fd, request, arg));
}

namespace {

/* rc, after cleanup(rc), with the errno of the call that returned rc. */
template <typename Fn> int after(int rc, Fn cleanup)
{
	int e = errno;
	cleanup(rc);
	errno = e;
	return rc;
}

/* 0 for a call that returns a count or a boolean, else -1. */
int counted(long rc)
{
	return rc < 0 ? -1 : 0;
}

/* The objects of ObjectMountTest, and a DM attribute name. */
class Reserved : public ObjectMountTest, public ::testing::WithParamInterface<ReservedField> {
protected:
	void SetUp() override
	{
		ObjectMountTest::SetUp();
		name_ = attr_name("rsv");
	}

	static int handle(std::string path, Handle &h)
	{
		return dm_path_to_handle(path.data(), &h.hanp, &h.hlen);
	}

	/* What a refused call must leave as it was: sessions and tokens. */
	std::vector<int> state()
	{
		dm_sessid_t sids[64];
		dm_token_t tokens[64];
		u_int nsids = 0, ntokens = 0;
		EXPECT_DM_OK(dm_getall_sessions(64, sids, &nsids));
		EXPECT_DM_OK(dm_getall_tokens(sid_, 64, tokens, &ntokens));
		std::vector<int> all(sids, sids + nsids);
		all.push_back(-1);
		all.insert(all.end(), tokens, tokens + ntokens);
		return all;
	}

	void answer(dm_token_t t)
	{
		EXPECT_DM_OK(dm_respond_event(sid_, t, DM_RESP_CONTINUE, 0, 0, nullptr));
	}

	/* A right of a fresh token on the file, and the token. */
	dm_token_t token_with(dm_right_t right)
	{
		dm_token_t t = token();
		EXPECT_DM_OK(dm_request_right(sid_, file_.hanp, file_.hlen, t, 0, right));
		return t;
	}

	dm_right_t right_of(dm_token_t t)
	{
		dm_right_t right = DM_RIGHT_NULL;
		EXPECT_DM_OK(dm_query_right(sid_, file_.hanp, file_.hlen, t, &right));
		return right;
	}

	/* The first bytes of the file, read from the lower filesystem. */
	std::string file_head()
	{
		char head[16] = {};
		int fd = open((lower_ + "/file").c_str(), O_RDONLY | O_CLOEXEC);
		EXPECT_GE(fd, 0) << strerror(errno);
		EXPECT_EQ(pread(fd, head, sizeof(head), 0), 16) << strerror(errno);
		close(fd);
		return std::string(head, sizeof(head));
	}

	/* The descriptor number open() would give now. */
	static int lowest_free_fd()
	{
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		close(fd);
		return fd;
	}

	/* True the first time in a test only: for what a call sets up once. */
	bool first_time()
	{
		return !std::exchange(set_up_, true);
	}

	/* The library call that makes the request @cmd: 0 if it worked. */
	int call(unsigned long cmd);
	int call_session(unsigned long cmd);
	int call_event(unsigned long cmd);
	int call_handle(unsigned long cmd);
	int call_data(unsigned long cmd);
	int call_right(unsigned long cmd);
	int call_attr(unsigned long cmd);

	dm_attrname_t name_{};
	char buf_[65536];
	size_t rlen_ = 0;
	bool set_up_ = false;
};

int Reserved::call_session(unsigned long cmd)
{
	char info[] = "dmapi-vm-test reserved 2";
	dm_sessid_t sids[64], other;
	u_int n;

	switch (cmd) {
	case DMAPI_IOC_CREATE_SESSION:
		if (dm_create_session(DM_NO_SESSION, info, &other))
			return -1;
		return dm_destroy_session(other);
	case DMAPI_IOC_DESTROY_SESSION:
		if (dm_create_session(DM_NO_SESSION, info, &other))
			return -1;
		return after(dm_destroy_session(other), [&](int rc) {
			if (rc) {
				EXPECT_DM_OK(dm_destroy_session(other));
			}
		});
	case DMAPI_IOC_GETALL_SESSIONS:
		return dm_getall_sessions(64, sids, &n);
	case DMAPI_IOC_QUERY_SESSION:
		return dm_query_session(sid_, sizeof(buf_), buf_, &rlen_);
	}
	return call_event(cmd);
}

int Reserved::call_event(unsigned long cmd)
{
	char msg[] = "reserved";
	dm_token_t t, tokens[64], moved;
	dm_sessid_t other;
	dm_timestruct_t delay = {1, 0};
	u_int n;

	switch (cmd) {
	case DMAPI_IOC_CREATE_USEREVENT:
		if (dm_create_userevent(sid_, 0, nullptr, &t))
			return -1;
		answer(t);
		return 0;
	case DMAPI_IOC_SEND_MSG:
		return after(dm_send_msg(sid_, DM_MSGTYPE_ASYNC, sizeof(msg), msg), [&](int rc) {
			if (rc) {
				EXPECT_DM_ERRNO(dm_get_events(sid_, 1, 0, sizeof(buf_), buf_, &rlen_),
						EAGAIN);
			}
		});
	case DMAPI_IOC_GET_EVENTS:
		if (dm_send_msg(sid_, DM_MSGTYPE_ASYNC, sizeof(msg), msg))
			return -1;
		return after(dm_get_events(sid_, 1, 0, sizeof(buf_), buf_, &rlen_), [&](int rc) {
			/* The message is still queued: taken now. */
			if (rc) {
				EXPECT_DM_OK(dm_get_events(sid_, 1, 0, sizeof(buf_), buf_, &rlen_));
			}
		});
	case DMAPI_IOC_RESPOND_EVENT:
		t = token();
		return after(dm_respond_event(sid_, t, DM_RESP_CONTINUE, 0, 0, nullptr),
			     [&](int rc) {
				     if (rc)
					     answer(t);
			     });
	case DMAPI_IOC_FIND_EVENTMSG:
		t = token();
		return after(dm_find_eventmsg(sid_, t, sizeof(buf_), buf_, &rlen_),
			     [&](int) { answer(t); });
	case DMAPI_IOC_GETALL_TOKENS:
		return dm_getall_tokens(sid_, 64, tokens, &n);
	case DMAPI_IOC_MOVE_EVENT: {
		char info[] = "dmapi-vm-test reserved 2";
		if (dm_create_session(DM_NO_SESSION, info, &other))
			return -1;
		t = token();
		return after(dm_move_event(sid_, t, other, &moved), [&](int rc) {
			if (rc)
				answer(t);
			else
				dm_respond_event(other, moved, DM_RESP_CONTINUE, 0, 0, nullptr);
			EXPECT_DM_OK(dm_destroy_session(other));
		});
	}
	case DMAPI_IOC_PENDING:
		t = token();
		return after(dm_pending(sid_, t, &delay), [&](int) { answer(t); });
	}
	return call_handle(cmd);
}

int Reserved::call_handle(unsigned long cmd)
{
	dm_size_t value;
	dm_eventset_t set = 0;
	u_int n;
	Handle h;

	switch (cmd) {
	case DMAPI_IOC_GET_CONFIG:
		return dm_get_config(fs_.hanp, fs_.hlen, DM_CONFIG_PENDING, &value);
	case DMAPI_IOC_GET_CONFIG_EVENTS:
		return dm_get_config_events(fs_.hanp, fs_.hlen, DM_EVENT_MAX, &set, &n);
	case DMAPI_IOC_FD_TO_HANDLE:
		return handle(mnt_ + "/file", h);
	case DMAPI_IOC_OPEN_BY_HANDLE: {
		int next = lowest_free_fd();
		int fd = dm_open_by_handle(file_.hanp, file_.hlen, O_RDONLY);
		if (fd >= 0)
			return close(fd);
		return after(-1, [&](int) { EXPECT_EQ(lowest_free_fd(), next); });
	}
	case DMAPI_IOC_HANDLE_TO_PATH:
		return dm_handle_to_path(root_.hanp, root_.hlen, file_.hanp, file_.hlen,
					 sizeof(buf_), buf_, &rlen_);
	case DMAPI_IOC_SET_DISP:
		DMEV_SET(DM_EVENT_DESTROY, set);
		return after(dm_set_disp(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN, &set,
					 DM_EVENT_MAX), [&](int rc) {
			if (rc) {
				EXPECT_DM_OK(dm_getall_disp(sid_, sizeof(buf_), buf_, &rlen_));
				EXPECT_EQ(rlen_, 0u) << "the session holds a disposition";
			}
		});
	case DMAPI_IOC_GETALL_DISP:
		return dm_getall_disp(sid_, sizeof(buf_), buf_, &rlen_);
	case DMAPI_IOC_SET_EVENTLIST:
		DMEV_SET(DM_EVENT_DESTROY, set);
		return after(dm_set_eventlist(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &set,
					      DM_EVENT_MAX), [&](int rc) {
			dm_eventset_t now = ~0ULL;
			if (rc) {
				EXPECT_DM_OK(dm_get_eventlist(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN,
							      DM_EVENT_MAX, &now, &n));
				EXPECT_EQ(now, 0u);
			}
		});
	case DMAPI_IOC_GET_EVENTLIST:
		return dm_get_eventlist(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, DM_EVENT_MAX,
					&set, &n);
	case DMAPI_IOC_GET_MOUNTINFO:
		return dm_get_mountinfo(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN, sizeof(buf_),
					buf_, &rlen_);
	case DMAPI_IOC_SET_RETURN_ON_DESTROY:
		return dm_set_return_on_destroy(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN, &name_,
						DM_FALSE);
	case DMAPI_IOC_CREATE_BY_HANDLE: {
		/* A second creation of the name would fail EEXIST. */
		char name[] = "made";
		return dm_create_by_handle(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, fs_.hanp,
					   fs_.hlen, name);
	}
	}
	return call_data(cmd);
}

int Reserved::call_data(unsigned long cmd)
{
	dm_region_t regions[4];
	dm_boolean_t exact;
	dm_off_t off = 0, roff;
	dm_size_t rsize;
	dm_extent_t extents[4];
	dm_dioinfo_t dio;
	u_int n;

	switch (cmd) {
	case DMAPI_IOC_SET_REGION:
		regions[0] = {0, 0, DM_REGION_READ, 0};
		return after(dm_set_region(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 1, regions,
					   &exact), [&](int rc) {
			if (rc) {
				EXPECT_DM_OK(dm_get_region(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN,
							   4, regions, &n));
				EXPECT_EQ(n, 0u);
			}
		});
	case DMAPI_IOC_GET_REGION:
		return dm_get_region(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 4, regions, &n);
	case DMAPI_IOC_READ_INVIS:
		return counted(dm_read_invis(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 0, 16,
					     buf_));
	case DMAPI_IOC_WRITE_INVIS:
		std::memset(buf_, 'w', 16);
		return after(counted(dm_write_invis(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 0,
						    0, 16, buf_)), [&](int rc) {
			if (rc) {
				EXPECT_EQ(file_head(), std::string(16, 'f'));
			}
		});
	case DMAPI_IOC_PUNCH_HOLE:
		return after(dm_punch_hole(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 0, 0),
			     [&](int rc) {
				     if (rc) {
					     EXPECT_EQ(file_head(), std::string(16, 'f'));
				     }
			     });
	case DMAPI_IOC_PROBE_HOLE:
		return dm_probe_hole(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, 0, 0, &roff,
				     &rsize);
	case DMAPI_IOC_GET_ALLOCINFO:
		return counted(dm_get_allocinfo(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &off, 4,
						extents, &n));
	case DMAPI_IOC_SYNC_BY_HANDLE:
		return dm_sync_by_handle(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN);
	case DMAPI_IOC_GET_DIOINFO:
		return dm_get_dioinfo(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &dio);
	}
	return call_right(cmd);
}

int Reserved::call_right(unsigned long cmd)
{
	void *hanp = file_.hanp;
	size_t hlen = file_.hlen;
	dm_right_t right;
	dm_token_t t;

	switch (cmd) {
	case DMAPI_IOC_REQUEST_RIGHT:
		t = token();
		return after(dm_request_right(sid_, hanp, hlen, t, 0, DM_RIGHT_EXCL),
			     [&](int rc) {
				     if (rc) {
					     EXPECT_EQ(right_of(t), DM_RIGHT_NULL);
				     }
				     answer(t);
			     });
	case DMAPI_IOC_RELEASE_RIGHT:
		t = token_with(DM_RIGHT_SHARED);
		return after(dm_release_right(sid_, hanp, hlen, t), [&](int rc) {
			if (rc) {
				EXPECT_EQ(right_of(t), DM_RIGHT_SHARED);
				EXPECT_DM_OK(dm_release_right(sid_, hanp, hlen, t));
			}
			answer(t);
		});
	case DMAPI_IOC_QUERY_RIGHT:
		t = token_with(DM_RIGHT_SHARED);
		return after(dm_query_right(sid_, hanp, hlen, t, &right), [&](int) { answer(t); });
	case DMAPI_IOC_UPGRADE_RIGHT:
		t = token_with(DM_RIGHT_SHARED);
		return after(dm_upgrade_right(sid_, hanp, hlen, t), [&](int rc) {
			if (rc) {
				EXPECT_EQ(right_of(t), DM_RIGHT_SHARED);
				EXPECT_DM_OK(dm_upgrade_right(sid_, hanp, hlen, t));
			}
			answer(t);
		});
	case DMAPI_IOC_DOWNGRADE_RIGHT:
		t = token_with(DM_RIGHT_EXCL);
		return after(dm_downgrade_right(sid_, hanp, hlen, t), [&](int rc) {
			if (rc) {
				EXPECT_EQ(right_of(t), DM_RIGHT_EXCL);
				EXPECT_DM_OK(dm_downgrade_right(sid_, hanp, hlen, t));
			}
			answer(t);
		});
	case DMAPI_IOC_OBJ_REF_HOLD:
		t = token();
		return after(dm_obj_ref_hold(sid_, t, hanp, hlen), [&](int rc) {
			if (rc) {
				EXPECT_EQ(dm_obj_ref_query(sid_, t, hanp, hlen), DM_FALSE);
			}
			answer(t);
		});
	case DMAPI_IOC_OBJ_REF_RELE:
		t = token();
		EXPECT_DM_OK(dm_obj_ref_hold(sid_, t, hanp, hlen));
		return after(dm_obj_ref_rele(sid_, t, hanp, hlen), [&](int rc) {
			if (rc) {
				EXPECT_EQ(dm_obj_ref_query(sid_, t, hanp, hlen), DM_TRUE);
				EXPECT_DM_OK(dm_obj_ref_rele(sid_, t, hanp, hlen));
			}
			answer(t);
		});
	case DMAPI_IOC_OBJ_REF_QUERY:
		t = token();
		return after(counted(dm_obj_ref_query(sid_, t, hanp, hlen)), [&](int) { answer(t); });
	}
	return call_attr(cmd);
}

int Reserved::call_attr(unsigned long cmd)
{
	void *hanp = file_.hanp;
	size_t hlen = file_.hlen;
	char value[] = "v";
	dm_stat_t st;
	dm_fileattr_t fa = {};
	dm_attrloc_t loc;
	dm_inherit_t inherit[4];
	u_int n;

	switch (cmd) {
	case DMAPI_IOC_SET_DMATTR:
		return after(dm_set_dmattr(sid_, hanp, hlen, DM_NO_TOKEN, &name_, 0, 1, value),
			     [&](int rc) {
				     if (rc) {
					     EXPECT_DM_ERRNO(dm_get_dmattr(sid_, hanp, hlen,
									   DM_NO_TOKEN, &name_,
									   sizeof(buf_), buf_,
									   &rlen_),
							     ENOENT);
				     }
			     });
	case DMAPI_IOC_GET_DMATTR:
		EXPECT_DM_OK(dm_set_dmattr(sid_, hanp, hlen, DM_NO_TOKEN, &name_, 0, 1, value));
		return dm_get_dmattr(sid_, hanp, hlen, DM_NO_TOKEN, &name_, sizeof(buf_), buf_,
				     &rlen_);
	case DMAPI_IOC_REMOVE_DMATTR:
		/* Set once: a second removal works only if the first did not. */
		if (first_time()) {
			EXPECT_DM_OK(dm_set_dmattr(sid_, hanp, hlen, DM_NO_TOKEN, &name_, 0, 1,
						   value));
		}
		return dm_remove_dmattr(sid_, hanp, hlen, DM_NO_TOKEN, 0, &name_);
	case DMAPI_IOC_GETALL_DMATTR:
		return dm_getall_dmattr(sid_, hanp, hlen, DM_NO_TOKEN, sizeof(buf_), buf_, &rlen_);
	case DMAPI_IOC_GET_FILEATTR:
		return dm_get_fileattr(sid_, hanp, hlen, DM_NO_TOKEN, DM_AT_STAT, &st);
	case DMAPI_IOC_SET_FILEATTR:
		fa.fa_mode = 0640;
		return after(dm_set_fileattr(sid_, hanp, hlen, DM_NO_TOKEN, DM_AT_MODE, &fa),
			     [&](int rc) {
				     struct stat now = {};
				     if (rc) {
					     EXPECT_EQ(stat((lower_ + "/file").c_str(), &now), 0);
					     EXPECT_NE(now.st_mode & 07777, 0640u);
				     }
			     });
	case DMAPI_IOC_INIT_ATTRLOC:
		return dm_init_attrloc(sid_, dir_.hanp, dir_.hlen, DM_NO_TOKEN, &loc);
	case DMAPI_IOC_GET_DIRATTRS:
		EXPECT_DM_OK(dm_init_attrloc(sid_, root_.hanp, root_.hlen, DM_NO_TOKEN, &loc));
		return counted(dm_get_dirattrs(sid_, root_.hanp, root_.hlen, DM_NO_TOKEN,
					       DM_AT_STAT, &loc, sizeof(buf_), buf_, &rlen_));
	case DMAPI_IOC_GET_BULKATTR:
		EXPECT_DM_OK(dm_init_attrloc(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN, &loc));
		return counted(dm_get_bulkattr(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN, DM_AT_STAT,
					       &loc, sizeof(buf_), buf_, &rlen_));
	case DMAPI_IOC_SET_INHERIT:
		return after(dm_set_inherit(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN, &name_, S_IFREG),
			     [&](int rc) {
				     if (rc) {
					     EXPECT_DM_OK(dm_getall_inherit(sid_, fs_.hanp, fs_.hlen,
									    DM_NO_TOKEN, 4, inherit,
									    &n));
					     EXPECT_EQ(n, 0u);
				     } else {
					     dm_clear_inherit(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN,
							      &name_);
				     }
			     });
	case DMAPI_IOC_CLEAR_INHERIT:
		/* Set once: a second clearing works only if the first did not. */
		if (first_time()) {
			EXPECT_DM_OK(dm_set_inherit(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN, &name_,
						    S_IFREG));
		}
		return dm_clear_inherit(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN, &name_);
	case DMAPI_IOC_GETALL_INHERIT:
		return dm_getall_inherit(sid_, fs_.hanp, fs_.hlen, DM_NO_TOKEN, 4, inherit, &n);
	}
	ADD_FAILURE() << "no call makes request " << std::hex << cmd;
	return -1;
}

int Reserved::call(unsigned long cmd)
{
	return call_session(cmd);
}

TEST_P(Reserved, SetFailsEINVALAndChangesNothing)
{
	const ReservedField &field = GetParam();
	std::vector<int> before = state();

	arm(field);
	errno = 0;
	int rc = call(field.cmd);
	int e = errno;
	ASSERT_TRUE(disarm()) << "the call made no such request";
	EXPECT_EQ(rc, -1);
	EXPECT_EQ(e, EINVAL) << strerror(e);
	EXPECT_EQ(state(), before);
	EXPECT_DM_OK(call(field.cmd));
}

INSTANTIATE_TEST_SUITE_P(, Reserved, ::testing::ValuesIn(kReservedFields),
			 [](const ::testing::TestParamInfo<ReservedField> &info) {
				 std::string name = info.param.name;
				 for (char &c : name)
					 if (!isalnum(static_cast<unsigned char>(c)))
						 c = '_';
				 return name;
			 });

} // namespace
