// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: dm_create_session, dm_destroy_session, dm_getall_sessions,
 * dm_query_session against the real module.
 */
#include "dmtest.h"

#include <algorithm>

using namespace dmtest;

namespace {

std::vector<dm_sessid_t> all_sessions()
{
	std::vector<dm_sessid_t> sids(8192);
	unsigned int n = 0;
	if (dm_getall_sessions(sids.size(), sids.data(), &n) != 0)
		return {};
	sids.resize(n);
	return sids;
}

bool listed(dm_sessid_t sid)
{
	auto sids = all_sessions();
	return std::find(sids.begin(), sids.end(), sid) != sids.end();
}

std::string query(dm_sessid_t sid)
{
	char buf[DM_SESSION_INFO_LEN];
	size_t rlen = 0;
	if (dm_query_session(sid, sizeof(buf), buf, &rlen) != 0)
		return "<error>";
	return std::string(buf, rlen - 1);
}

TEST(CreateSession, ReturnsAPositiveIdThatIsListedAndQueryable)
{
	char info[] = "hsm daemon";
	dm_sessid_t sid = DM_NO_SESSION;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid));
	EXPECT_GT(sid, 0);
	EXPECT_TRUE(listed(sid));
	EXPECT_EQ(query(sid), "hsm daemon");
	EXPECT_DM_OK(dm_destroy_session(sid));
	EXPECT_FALSE(listed(sid));
}

TEST(CreateSession, IdsAreNotReusedImmediately)
{
	char info[] = "a";
	dm_sessid_t a, b;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &a));
	ASSERT_DM_OK(dm_destroy_session(a));
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &b));
	EXPECT_NE(a, b);
	EXPECT_DM_OK(dm_destroy_session(b));
}

TEST(CreateSession, InfoOfMaximumLengthIsKept)
{
	std::string info(DM_SESSION_INFO_LEN - 1, 'x');
	dm_sessid_t sid;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info.data(), &sid));
	EXPECT_EQ(query(sid), info);
	EXPECT_DM_OK(dm_destroy_session(sid));
}

TEST(CreateSession, InfoTooLongFailsE2BIG)
{
	std::string info(DM_SESSION_INFO_LEN, 'x');
	dm_sessid_t sid = 12345;
	auto before = all_sessions().size();
	EXPECT_DM_ERRNO(dm_create_session(DM_NO_SESSION, info.data(), &sid),
			E2BIG);
	EXPECT_EQ(all_sessions().size(), before);
}

TEST(CreateSession, EmptyInfoIsAllowed)
{
	char info[] = "";
	dm_sessid_t sid;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid));
	EXPECT_EQ(query(sid), "");
	EXPECT_DM_OK(dm_destroy_session(sid));
}

TEST(CreateSession, NullPointersFailEFAULT)
{
	char info[] = "x";
	dm_sessid_t sid;
	EXPECT_DM_ERRNO(dm_create_session(DM_NO_SESSION, nullptr, &sid), EFAULT);
	EXPECT_DM_ERRNO(dm_create_session(DM_NO_SESSION, info, nullptr), EFAULT);
}

/*
 * An id that cannot be stored fails EFAULT having made nothing: no session
 * left behind that nobody knows, no takeover of another one.
 */
TEST(CreateSession, AnIdThatCannotBeStoredEFAULTAndMakesNothing)
{
	GuardedPage page;
	ASSERT_TRUE(page.ok());
	char info[] = "never made";
	auto before = all_sessions();
	EXPECT_DM_ERRNO(dm_create_session(DM_NO_SESSION, info, page.read_only<dm_sessid_t>()),
			EFAULT);
	EXPECT_EQ(all_sessions(), before);

	char old_info[] = "kept";
	dm_sessid_t sid;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, old_info, &sid));
	EXPECT_DM_ERRNO(dm_create_session(sid, info, page.read_only<dm_sessid_t>()), EFAULT);
	EXPECT_EQ(query(sid), "kept");
	EXPECT_DM_OK(dm_destroy_session(sid));
}

/* The id is stored in the very bytes given, up to the end of a page. */
TEST(CreateSession, AnIdAtTheEndOfAPageIsStored)
{
	GuardedPage page;
	ASSERT_TRUE(page.ok());
	char info[] = "at the end";
	dm_sessid_t *sidp = page.last<dm_sessid_t>();
	*sidp = DM_NO_SESSION;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, sidp));
	EXPECT_TRUE(listed(*sidp));
	EXPECT_DM_OK(dm_destroy_session(*sidp));
}

TEST(CreateSession, TakeoverOfUnknownSessionFailsEINVAL)
{
	char info[] = "x";
	dm_sessid_t sid;
	EXPECT_DM_ERRNO(dm_create_session(0x7ffffff0, info, &sid), EINVAL);
	EXPECT_DM_ERRNO(dm_create_session(-5, info, &sid), EINVAL);
}

TEST(CreateSession, TakeoverKeepsIdQueuesAndTokens)
{
	char info[] = "first owner";
	char msg[] = "queued before the takeover";
	dm_sessid_t sid, newsid = DM_NO_SESSION;
	dm_token_t token;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid));
	ASSERT_DM_OK(dm_create_userevent(sid, 4, msg, &token));
	ASSERT_DM_OK(dm_send_msg(sid, DM_MSGTYPE_ASYNC, sizeof(msg), msg));

	char info2[] = "second owner";
	ASSERT_DM_OK(dm_create_session(sid, info2, &newsid));
	EXPECT_EQ(newsid, sid);
	EXPECT_EQ(query(sid), "second owner");

	dm_token_t tokens[4];
	unsigned int n = 0;
	ASSERT_DM_OK(dm_getall_tokens(sid, 4, tokens, &n));
	ASSERT_EQ(n, 1u);
	EXPECT_EQ(tokens[0], token);

	char buf[256];
	size_t rlen;
	ASSERT_DM_OK(dm_get_events(sid, 0, 0, sizeof(buf), buf, &rlen));
	auto *ev = reinterpret_cast<dm_eventmsg_t *>(buf);
	EXPECT_EQ(payload(ev), std::string(msg, sizeof(msg)));
	EXPECT_DM_OK(dm_respond_event(sid, token, DM_RESP_CONTINUE, 0, 0, nullptr));
	EXPECT_DM_OK(dm_destroy_session(sid));
}

TEST(CreateSession, SessionOutlivesTheProcessThatMadeIt)
{
	int pipefd[2];
	ASSERT_EQ(pipe(pipefd), 0);
	int rc = in_child([&] {
		char info[] = "made by a child";
		dm_sessid_t sid;
		if (dm_create_session(DM_NO_SESSION, info, &sid))
			return 1;
		return write(pipefd[1], &sid, sizeof(sid)) == sizeof(sid) ? 0 : 2;
	});
	ASSERT_EQ(rc, 0);
	dm_sessid_t sid = DM_NO_SESSION;
	ASSERT_EQ(read(pipefd[0], &sid, sizeof(sid)), (ssize_t)sizeof(sid));
	close(pipefd[0]);
	close(pipefd[1]);
	EXPECT_TRUE(listed(sid));
	EXPECT_EQ(query(sid), "made by a child");
	EXPECT_DM_OK(dm_destroy_session(sid));
}

TEST(CreateSession, LimitReachedFailsENOMEM)
{
	auto existing = all_sessions().size();
	ModuleParam limit("max_sessions", std::to_string(existing + 2));
	char info[] = "limit";
	dm_sessid_t a, b, c;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &a));
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &b));
	EXPECT_DM_ERRNO(dm_create_session(DM_NO_SESSION, info, &c), ENOMEM);
	/* A takeover creates nothing and is allowed at the limit. */
	dm_sessid_t again;
	EXPECT_DM_OK(dm_create_session(a, info, &again));
	EXPECT_DM_OK(dm_destroy_session(a));
	EXPECT_DM_OK(dm_create_session(DM_NO_SESSION, info, &c));
	EXPECT_DM_OK(dm_destroy_session(b));
	EXPECT_DM_OK(dm_destroy_session(c));
}

TEST(CreateSession, DefaultLimitIs4000)
{
	EXPECT_EQ(ModuleParam::read("max_sessions"), "4000");
}

TEST(DestroySession, UnknownSessionFailsEINVAL)
{
	EXPECT_DM_ERRNO(dm_destroy_session(0x7ffffff0), EINVAL);
	EXPECT_DM_ERRNO(dm_destroy_session(DM_NO_SESSION), EINVAL);
}

TEST(DestroySession, TwiceFailsEINVAL)
{
	char info[] = "x";
	dm_sessid_t sid;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid));
	ASSERT_DM_OK(dm_destroy_session(sid));
	EXPECT_DM_ERRNO(dm_destroy_session(sid), EINVAL);
}

TEST(DestroySession, UndeliveredMessageFailsEBUSY)
{
	char info[] = "x";
	char msg[] = "pending";
	dm_sessid_t sid;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid));
	ASSERT_DM_OK(dm_send_msg(sid, DM_MSGTYPE_ASYNC, sizeof(msg), msg));
	EXPECT_DM_ERRNO(dm_destroy_session(sid), EBUSY);
	EXPECT_TRUE(listed(sid));
	char buf[128];
	size_t rlen;
	ASSERT_DM_OK(dm_get_events(sid, 0, 0, sizeof(buf), buf, &rlen));
	EXPECT_DM_OK(dm_destroy_session(sid));
}

TEST(DestroySession, OutstandingTokenFailsEBUSY)
{
	char info[] = "x";
	dm_sessid_t sid;
	dm_token_t token;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid));
	ASSERT_DM_OK(dm_create_userevent(sid, 0, nullptr, &token));
	EXPECT_DM_ERRNO(dm_destroy_session(sid), EBUSY);
	ASSERT_DM_OK(dm_respond_event(sid, token, DM_RESP_CONTINUE, 0, 0, nullptr));
	EXPECT_DM_OK(dm_destroy_session(sid));
}

TEST(GetallSessions, TooSmallFailsE2BIGWithTheCount)
{
	char info[] = "x";
	dm_sessid_t a, b;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &a));
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &b));
	auto count = all_sessions().size();
	ASSERT_GE(count, 2u);
	dm_sessid_t one;
	unsigned int n = 0;
	EXPECT_DM_ERRNO(dm_getall_sessions(1, &one, &n), E2BIG);
	EXPECT_EQ(n, count);
	n = 77;
	EXPECT_DM_ERRNO(dm_getall_sessions(0, nullptr, &n), E2BIG);
	EXPECT_EQ(n, count);
	EXPECT_DM_OK(dm_destroy_session(a));
	EXPECT_DM_OK(dm_destroy_session(b));
}

TEST(GetallSessions, ListsEverySessionOnce)
{
	char info[] = "x";
	std::vector<dm_sessid_t> made(5);
	for (auto &sid : made)
		ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid));
	auto sids = all_sessions();
	for (auto sid : made)
		EXPECT_EQ(std::count(sids.begin(), sids.end(), sid), 1);
	for (auto sid : made)
		EXPECT_DM_OK(dm_destroy_session(sid));
}

TEST(GetallSessions, NullPointersFailEFAULT)
{
	dm_sessid_t buf[8];
	EXPECT_DM_ERRNO(dm_getall_sessions(8, buf, nullptr), EFAULT);
}

TEST(QuerySession, TooSmallFailsE2BIGWithTheNeededSize)
{
	char info[] = "twelve chars";
	dm_sessid_t sid;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid));
	char buf[4];
	size_t rlen = 0;
	EXPECT_DM_ERRNO(dm_query_session(sid, sizeof(buf), buf, &rlen), E2BIG);
	EXPECT_EQ(rlen, sizeof(info));
	rlen = 0;
	EXPECT_DM_ERRNO(dm_query_session(sid, 0, nullptr, &rlen), E2BIG);
	EXPECT_EQ(rlen, sizeof(info));
	char exact[sizeof(info)];
	EXPECT_DM_OK(dm_query_session(sid, sizeof(exact), exact, &rlen));
	EXPECT_STREQ(exact, info);
	EXPECT_DM_OK(dm_destroy_session(sid));
}

TEST(QuerySession, UnknownSessionFailsEINVAL)
{
	char buf[DM_SESSION_INFO_LEN];
	size_t rlen;
	EXPECT_DM_ERRNO(dm_query_session(0x7ffffff0, sizeof(buf), buf, &rlen),
			EINVAL);
}

TEST(QuerySession, BadBufferFailsEFAULT)
{
	char info[] = "x";
	dm_sessid_t sid;
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid));
	size_t rlen;
	EXPECT_DM_ERRNO(dm_query_session(sid, 64, reinterpret_cast<void *>(8),
					 &rlen), EFAULT);
	EXPECT_DM_OK(dm_destroy_session(sid));
}

} // namespace
