// SPDX-License-Identifier: GPL-2.0
/*
 * Namespace events and the events of an object's life, as the session
 * holding their dispositions receives them: CREATE, REMOVE, RENAME, LINK
 * and SYMLINK before a change of a directory (synchronous: CONTINUE lets
 * it happen, ABORT vetoes it with the errno given, SIGKILL ends the wait)
 * and their POST* events after every change attempted, failures
 * included; ATTRIBUTE after a change of attributes, CLOSE after the last
 * close, DESTROY when the last link and reference are gone (with the
 * return-on-destroy attribute), and CANCEL when the last process waiting
 * for an answer gives up.  Changes that wait run in child processes.
 *
 * Needs the scratch filesystem of dmapi-vm --fs at /mnt/scratch.
 */
#include "event_mount.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string_view>

using namespace dmtest;
namespace fs = std::filesystem;

namespace {

bool exists(const std::string &path)
{
	struct stat st;
	return lstat(path.c_str(), &st) == 0;
}

/* A change made by a process: 0, or the errno of its failure. */
template <typename Fn> auto changing(Fn fn)
{
	return [fn] { return fn() == 0 ? 0 : errno; };
}

class Namespace : public EventMountTest {
protected:
	Namespace() : EventMountTest("namespace") {}

	void populate() override
	{
		fs::create_directory(lower("dir"));
		fs::create_directory(lower("other"));
		spit(lower("dir/file"), "data");
		spit(lower("keep"), "keep");
	}

	void SetUp() override
	{
		EventMountTest::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		ASSERT_NO_FATAL_FAILURE(handle_of("dir", dir_));
		ASSERT_NO_FATAL_FAILURE(handle_of("dir/file", file_));
		ASSERT_NO_FATAL_FAILURE(handle_of("", root_));
	}

	/* An accessor's work: looking up rel through the mount. */
	std::function<int()> lookup_of(const std::string &rel)
	{
		std::string p = path(rel);
		return changing([p] { struct stat st; return lstat(p.c_str(), &st); });
	}

	/* Take these events and enable them on the whole filesystem. */
	void want(std::initializer_list<dm_eventtype_t> events)
	{
		ASSERT_DM_OK(take(events));
		ASSERT_DM_OK(enable(fsh_, events));
	}

	/* DESTROY events, carrying the file's DM attribute name set to value. */
	void want_destroy_with(dm_attrname_t &name, const std::string &value)
	{
		ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DESTROY}));
		ASSERT_DM_OK(dm_set_return_on_destroy(sid_, fsh_.hanp, fsh_.hlen, DM_NO_TOKEN,
						      &name, DM_TRUE));
		std::string v = value;
		ASSERT_DM_OK(dm_set_dmattr(sid_, file_.hanp, file_.hlen, DM_NO_TOKEN, &name, 0,
					   v.size(), v.data()));
	}

	static dm_namesp_event_t *ne(Message &m) { return m.data<dm_namesp_event_t>(); }

	static bool handle_is(dm_namesp_event_t *ne, dm_vardata_t dm_namesp_event_t::*field,
			      const Handle &h)
	{
		dm_vardata_t &vd = ne->*field;
		if (vd.vd_length != h.hlen)
			return false;
		return dm_handle_cmp(reinterpret_cast<char *>(ne) + vd.vd_offset,
				     vd.vd_length, h.hanp, h.hlen) == 0;
	}

	static std::string name(dm_namesp_event_t *ne, dm_vardata_t dm_namesp_event_t::*field)
	{
		dm_vardata_t &vd = ne->*field;
		if (!vd.vd_length)
			return "";
		return std::string(reinterpret_cast<char *>(ne) + vd.vd_offset, vd.vd_length - 1);
	}

	/* The next message, which must be of this type, and synchronous or not. */
	Message expect_next(dm_eventtype_t type, bool sync)
	{
		Message m = next();
		EXPECT_EQ(m.type(), type);
		if (sync)
			EXPECT_GT(m.token(), 0) << "event " << type << " is synchronous";
		else
			EXPECT_EQ(m.token(), DM_INVALID_TOKEN) << "event " << type << " is asynchronous";
		return m;
	}

	Handle dir_, file_, root_;
};

/* CREATE and POSTCREATE */

TEST_F(Namespace, CreateCarriesTheDirectoryTheNameAndTheMode)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE}));
	std::string p = path("dir/new");
	Accessor creator(changing([p] { return mknod(p.c_str(), S_IFREG | 0640, 0); }));
	Message m = expect_next(DM_EVENT_CREATE, true);
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle1, dir_));
	EXPECT_EQ(name(ne(m), &dm_namesp_event_t::ne_name1), "new");
	EXPECT_EQ(ne(m)->ne_mode, static_cast<mode_t>(S_IFREG | 0640));
	EXPECT_FALSE(creator.ends_within(kBlockedMs)) << "created before the answer";
	EXPECT_FALSE(exists(lower("dir/new")));
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(creator.result(), 0);
	EXPECT_TRUE(exists(lower("dir/new")));
}

/*
 * An open(2) without O_EXCL opens what another made of its name while
 * its CREATE event waited, as it would have found it had it come later.
 */
TEST_F(Namespace, AnOpenThatCreatesOpensTheFileMadeWhileItsCreateWaited)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE}));
	std::string p = path("dir/new");
	Accessor creator(changing([p] {
		int fd = open(p.c_str(), O_CREAT | O_WRONLY, 0640);
		if (fd < 0)
			return -1;
		close(fd);
		return 0;
	}));
	Message m = expect_next(DM_EVENT_CREATE, true);
	spit(lower("dir/new"), "made meanwhile");
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(creator.result(), 0) << "17 is EEXIST";
	EXPECT_EQ(slurp(lower("dir/new")), "made meanwhile");
}

TEST_F(Namespace, ACreatorThatCatchesASignalKeepsWaiting)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE}));
	std::string p = path("dir/new");
	Accessor creator(changing([p] {
		struct sigaction sa = {};
		sa.sa_handler = [](int) {};	/* no SA_RESTART */
		sigaction(SIGUSR1, &sa, nullptr);
		return mkdir(p.c_str(), 0755);
	}));
	Message m = expect_next(DM_EVENT_CREATE, true);
	ASSERT_EQ(kill(creator.pid(), SIGUSR1), 0);
	EXPECT_FALSE(creator.ends_within(kBlockedMs)) << "the caught signal ended the wait";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(creator.result(), 0);
	EXPECT_TRUE(exists(lower("dir/new")));
}

TEST_F(Namespace, ASystemSuspendFreezesACreatorWaitingForItsEvent)
{
	if (!can_test_suspend())
		GTEST_SKIP() << "no /sys/power/pm_test (CONFIG_PM_DEBUG)";
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE}));
	std::string p = path("dir/new");
	/* It holds the directory's lock while it waits. */
	Accessor creator(changing([p] { return mkdir(p.c_str(), 0755); }));
	Message m = expect_next(DM_EVENT_CREATE, true);
	EXPECT_EQ(freeze_and_thaw(), 0) << "EBUSY (16): a task refused to freeze";
	EXPECT_FALSE(creator.ends_within(kBlockedMs)) << "the suspend ended the wait";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(creator.result(), 0);
	EXPECT_TRUE(exists(lower("dir/new")));
}

TEST_F(Namespace, ALazyUnmountWithACreatorWaitingLetsItFinishOnceAnswered)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE}));
	std::string p = path("dir/new");
	Accessor creator(changing([p] { return mkdir(p.c_str(), 0755); }));
	Message m = expect_next(DM_EVENT_CREATE, true);
	ASSERT_EQ(umount2(mnt_.c_str(), MNT_DETACH), 0) << strerror(errno);
	mounted_ = false;
	EXPECT_FALSE(creator.ends_within(kBlockedMs)) << "the unmount ended the wait";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(creator.result(), 0);
	EXPECT_TRUE(exists(lower("dir/new")));
	EXPECT_EQ(outstanding_tokens(), 0u);
}

TEST_F(Namespace, CreateAnsweredAbortFailsWithTheErrnoAndCreatesNothing)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE, DM_EVENT_POSTCREATE}));
	std::string p = path("dir/new");
	Accessor creator(changing([p] { return mkdir(p.c_str(), 0755); }));
	Message m = expect_next(DM_EVENT_CREATE, true);
	EXPECT_EQ(ne(m)->ne_mode, static_cast<mode_t>(S_IFDIR | 0755));
	respond(m.token(), DM_RESP_ABORT, EACCES);
	EXPECT_EQ(creator.result(), EACCES);
	EXPECT_FALSE(exists(lower("dir/new")));
	EXPECT_TRUE(queue_empty()) << "a vetoed change has no POSTCREATE";
}

/*
 * A change of a directory waits for its event with the directory locked;
 * a seek in the directory (rewinddir) does not wait behind it.
 */
TEST_F(Namespace, SeekingInADirectoryDoesNotWaitForAChangeOfIt)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE}));
	std::string p = path("dir/new"), dir = path("dir");
	Accessor creator(changing([p] { return mkdir(p.c_str(), 0755); }));
	Message m = expect_next(DM_EVENT_CREATE, true);
	Accessor seeker([dir] {
		int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return errno;
		return lseek(fd, 0, SEEK_SET) == 0 && lseek(fd, 0, SEEK_END) >= 0 ? 0 : errno;
	});
	EXPECT_TRUE(seeker.ends_within(5000)) << "the seek waited for the CREATE";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(seeker.result(), 0);
	EXPECT_EQ(creator.result(), 0);
}

TEST_F(Namespace, PostCreateCarriesTheNewObjectsHandleAndRetcodeZero)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_POSTCREATE}));
	spit(path("dir/new"), "x");
	Message m = expect_next(DM_EVENT_POSTCREATE, false);
	Handle created;
	ASSERT_NO_FATAL_FAILURE(handle_of("dir/new", created));
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle1, dir_));
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle2, created));
	EXPECT_EQ(name(ne(m), &dm_namesp_event_t::ne_name1), "new");
	EXPECT_EQ(ne(m)->ne_retcode, 0);
}

TEST_F(Namespace, FailedCreateSendsPostCreateWithTheErrnoAndNoHandle)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE, DM_EVENT_POSTCREATE}));
	std::string p = path("dir/new");
	Accessor creator(changing([p] { return mkdir(p.c_str(), 0755); }));
	Message m = expect_next(DM_EVENT_CREATE, true);
	/* The lower tree is the truth: the name is taken below meanwhile. */
	spit(lower("dir/new"), "below");
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(creator.result(), EEXIST);
	Message post = expect_next(DM_EVENT_POSTCREATE, false);
	EXPECT_EQ(ne(post)->ne_retcode, EEXIST);
	EXPECT_EQ(ne(post)->ne_handle2.vd_length, 0u) << "no handle of what was there";
}

TEST_F(Namespace, MknodOfAFifoSendsCreateWithItsType)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE, DM_EVENT_POSTCREATE}));
	std::string p = path("dir/fifo");
	Accessor maker(changing([p] { return mkfifo(p.c_str(), 0600); }));
	Message m = expect_next(DM_EVENT_CREATE, true);
	EXPECT_EQ(ne(m)->ne_mode, static_cast<mode_t>(S_IFIFO | 0600));
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(maker.result(), 0);
	Message post = expect_next(DM_EVENT_POSTCREATE, false);
	EXPECT_EQ(ne(post)->ne_mode, static_cast<mode_t>(S_IFIFO | 0600));
}

TEST_F(Namespace, KilledCreatorEndsAndTheTokenStaysOutstanding)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE}));
	std::string p = path("dir/new");
	Accessor creator(changing([p] { return mkdir(p.c_str(), 0755); }));
	Message m = expect_next(DM_EVENT_CREATE, true);
	creator.kill_now();
	EXPECT_EQ(creator.result(), 128 + SIGKILL);
	EXPECT_EQ(outstanding_tokens(), 1u);
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_FALSE(exists(lower("dir/new")));
}

/* Which event lists count */

TEST_F(Namespace, NoEventWhenTheListsDoNotEnableIt)
{
	ASSERT_DM_OK(take({DM_EVENT_CREATE, DM_EVENT_REMOVE, DM_EVENT_RENAME}));
	spit(path("dir/new"), "x");
	ASSERT_EQ(rename(path("dir/new").c_str(), path("dir/moved").c_str()), 0);
	ASSERT_EQ(unlink(path("dir/moved").c_str()), 0);
	EXPECT_TRUE(queue_empty());
}

TEST_F(Namespace, NoEventWithoutTheDisposition)
{
	ASSERT_DM_OK(enable(fsh_, {DM_EVENT_CREATE}));
	spit(path("dir/new"), "x");
	EXPECT_TRUE(queue_empty());
}

TEST_F(Namespace, TheDirectorysOwnListEnablesEventsOfItsEntries)
{
	ASSERT_DM_OK(take({DM_EVENT_POSTCREATE}));
	ASSERT_DM_OK(enable(dir_, {DM_EVENT_POSTCREATE}));
	spit(path("new-in-root"), "x");
	spit(path("dir/new"), "x");
	Message m = expect_next(DM_EVENT_POSTCREATE, false);
	EXPECT_EQ(name(ne(m), &dm_namesp_event_t::ne_name1), "new");
	EXPECT_TRUE(queue_empty()) << "the root's list does not have it";
}

/* REMOVE and POSTREMOVE */

TEST_F(Namespace, RemoveCarriesTheDirectoryTheObjectTheNameAndTheMode)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_REMOVE, DM_EVENT_POSTREMOVE}));
	std::string p = path("dir/file");
	Accessor remover(changing([p] { return unlink(p.c_str()); }));
	Message m = expect_next(DM_EVENT_REMOVE, true);
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle1, dir_));
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle2, file_));
	EXPECT_EQ(name(ne(m), &dm_namesp_event_t::ne_name1), "file");
	EXPECT_EQ(ne(m)->ne_mode & S_IFMT, static_cast<mode_t>(S_IFREG));
	EXPECT_TRUE(exists(lower("dir/file"))) << "removed before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(remover.result(), 0);
	Message post = expect_next(DM_EVENT_POSTREMOVE, false);
	EXPECT_EQ(name(ne(post), &dm_namesp_event_t::ne_name1), "file");
	EXPECT_EQ(ne(post)->ne_retcode, 0);
	EXPECT_FALSE(exists(lower("dir/file")));
}

TEST_F(Namespace, RemoveAnsweredAbortKeepsTheFile)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_REMOVE}));
	std::string p = path("dir/file");
	Accessor remover(changing([p] { return unlink(p.c_str()); }));
	Message m = expect_next(DM_EVENT_REMOVE, true);
	respond(m.token(), DM_RESP_ABORT, EPERM);
	EXPECT_EQ(remover.result(), EPERM);
	EXPECT_TRUE(exists(lower("dir/file")));
}

TEST_F(Namespace, RmdirOfANonEmptyDirectorySendsPostRemoveWithENOTEMPTY)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_POSTREMOVE}));
	EXPECT_EQ(rmdir(path("dir").c_str()), -1);
	Message m = expect_next(DM_EVENT_POSTREMOVE, false);
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle1, root_));
	EXPECT_EQ(ne(m)->ne_mode & S_IFMT, static_cast<mode_t>(S_IFDIR));
	EXPECT_EQ(ne(m)->ne_retcode, ENOTEMPTY);
}

/* RENAME and POSTRENAME */

TEST_F(Namespace, RenameCarriesBothDirectoriesAndBothNames)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_RENAME, DM_EVENT_POSTRENAME}));
	Handle other;
	ASSERT_NO_FATAL_FAILURE(handle_of("other", other));
	std::string from = path("dir/file"), to = path("other/moved");
	Accessor renamer(changing([from, to] { return rename(from.c_str(), to.c_str()); }));
	Message m = expect_next(DM_EVENT_RENAME, true);
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle1, dir_));
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle2, other));
	EXPECT_EQ(name(ne(m), &dm_namesp_event_t::ne_name1), "file");
	EXPECT_EQ(name(ne(m), &dm_namesp_event_t::ne_name2), "moved");
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(renamer.result(), 0);
	Message post = expect_next(DM_EVENT_POSTRENAME, false);
	EXPECT_EQ(name(ne(post), &dm_namesp_event_t::ne_name1), "file");
	EXPECT_EQ(name(ne(post), &dm_namesp_event_t::ne_name2), "moved");
	EXPECT_EQ(ne(post)->ne_retcode, 0);
	EXPECT_TRUE(exists(lower("other/moved")));
}

TEST_F(Namespace, RenameAnsweredAbortLeavesBothNamesAlone)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_RENAME}));
	std::string from = path("dir/file"), to = path("keep");
	Accessor renamer(changing([from, to] { return rename(from.c_str(), to.c_str()); }));
	Message m = expect_next(DM_EVENT_RENAME, true);
	respond(m.token(), DM_RESP_ABORT, EBUSY);
	EXPECT_EQ(renamer.result(), EBUSY);
	EXPECT_TRUE(exists(lower("dir/file")));
	EXPECT_EQ(slurp(lower("keep")), "keep");
}

TEST_F(Namespace, RenameIsWantedByTheNewDirectorysListAlone)
{
	Handle other;
	ASSERT_NO_FATAL_FAILURE(handle_of("other", other));
	ASSERT_DM_OK(take({DM_EVENT_POSTRENAME}));
	ASSERT_DM_OK(enable(other, {DM_EVENT_POSTRENAME}));
	ASSERT_EQ(rename(path("dir/file").c_str(), path("other/file").c_str()), 0);
	Message m = expect_next(DM_EVENT_POSTRENAME, false);
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle2, other));
}

TEST_F(Namespace, FailedRenameSendsPostRenameWithTheErrno)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_POSTRENAME}));
	/* Onto a directory that is not empty: the lower filesystem refuses. */
	EXPECT_EQ(rename(path("other").c_str(), path("dir").c_str()), -1);
	Message m = expect_next(DM_EVENT_POSTRENAME, false);
	EXPECT_TRUE(ne(m)->ne_retcode == ENOTEMPTY || ne(m)->ne_retcode == EEXIST)
		<< ne(m)->ne_retcode;
	EXPECT_TRUE(exists(lower("dir/file")));
}

/* LINK and POSTLINK */

TEST_F(Namespace, LinkCarriesTheDirectoryTheObjectAndTheNewName)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_LINK, DM_EVENT_POSTLINK}));
	std::string from = path("dir/file"), to = path("dir/second");
	Accessor linker(changing([from, to] { return link(from.c_str(), to.c_str()); }));
	Message m = expect_next(DM_EVENT_LINK, true);
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle1, dir_));
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle2, file_));
	EXPECT_EQ(name(ne(m), &dm_namesp_event_t::ne_name1), "second");
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(linker.result(), 0);
	Message post = expect_next(DM_EVENT_POSTLINK, false);
	EXPECT_EQ(ne(post)->ne_retcode, 0);
	EXPECT_TRUE(exists(lower("dir/second")));
}

TEST_F(Namespace, LinkAnsweredAbortMakesNoLink)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_LINK}));
	std::string from = path("dir/file"), to = path("dir/second");
	Accessor linker(changing([from, to] { return link(from.c_str(), to.c_str()); }));
	Message m = expect_next(DM_EVENT_LINK, true);
	respond(m.token(), DM_RESP_ABORT, EMLINK);
	EXPECT_EQ(linker.result(), EMLINK);
	EXPECT_FALSE(exists(lower("dir/second")));
}

/* SYMLINK and POSTSYMLINK */

TEST_F(Namespace, SymlinkCarriesTheTargetAsTheSecondName)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_SYMLINK, DM_EVENT_POSTSYMLINK}));
	std::string p = path("dir/sym");
	Accessor linker(changing([p] { return symlink("../keep", p.c_str()); }));
	Message m = expect_next(DM_EVENT_SYMLINK, true);
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle1, dir_));
	EXPECT_EQ(name(ne(m), &dm_namesp_event_t::ne_name1), "sym");
	EXPECT_EQ(name(ne(m), &dm_namesp_event_t::ne_name2), "../keep");
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(linker.result(), 0);
	Message post = expect_next(DM_EVENT_POSTSYMLINK, false);
	Handle sym;
	ASSERT_DM_OK(dm_path_to_handle(p.data(), &sym.hanp, &sym.hlen));
	EXPECT_TRUE(handle_is(ne(post), &dm_namesp_event_t::ne_handle2, sym));
	EXPECT_EQ(name(ne(post), &dm_namesp_event_t::ne_name2), "../keep");
	EXPECT_EQ(ne(post)->ne_retcode, 0);
}

TEST_F(Namespace, SymlinkAnsweredAbortMakesNoSymlink)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_SYMLINK}));
	std::string p = path("dir/sym");
	Accessor linker(changing([p] { return symlink("../keep", p.c_str()); }));
	Message m = expect_next(DM_EVENT_SYMLINK, true);
	respond(m.token(), DM_RESP_ABORT, ENOSPC);
	EXPECT_EQ(linker.result(), ENOSPC);
	EXPECT_FALSE(exists(lower("dir/sym")));
}

/* ATTRIBUTE */

TEST_F(Namespace, ChmodSendsAttributeWithTheObjectAndItsNewMode)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_ATTRIBUTE}));
	ASSERT_EQ(chmod(path("dir/file").c_str(), 0600), 0);
	Message m = expect_next(DM_EVENT_ATTRIBUTE, false);
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle1, file_));
	EXPECT_EQ(ne(m)->ne_mode, static_cast<mode_t>(S_IFREG | 0600));
}

TEST_F(Namespace, ChownAndUtimesSendAttribute)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_ATTRIBUTE}));
	ASSERT_EQ(chown(path("dir/file").c_str(), 1, 1), 0);
	expect_next(DM_EVENT_ATTRIBUTE, false);
	ASSERT_EQ(utimensat(AT_FDCWD, path("dir/file").c_str(), nullptr, 0), 0);
	expect_next(DM_EVENT_ATTRIBUTE, false);
}

TEST_F(Namespace, SettingAndRemovingAnXattrSendAttribute)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_ATTRIBUTE}));
	std::string p = path("dir/file");
	ASSERT_EQ(setxattr(p.c_str(), "user.tag", "v", 1, 0), 0) << strerror(errno);
	expect_next(DM_EVENT_ATTRIBUTE, false);
	ASSERT_EQ(removexattr(p.c_str(), "user.tag"), 0) << strerror(errno);
	expect_next(DM_EVENT_ATTRIBUTE, false);
}

TEST_F(Namespace, TheObjectsOwnListEnablesAttribute)
{
	ASSERT_DM_OK(take({DM_EVENT_ATTRIBUTE}));
	ASSERT_DM_OK(enable(file_, {DM_EVENT_ATTRIBUTE}));
	ASSERT_EQ(chmod(path("keep").c_str(), 0600), 0);
	ASSERT_EQ(chmod(path("dir/file").c_str(), 0600), 0);
	Message m = expect_next(DM_EVENT_ATTRIBUTE, false);
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle1, file_));
	EXPECT_TRUE(queue_empty()) << "keep's list does not have it";
}

TEST_F(Namespace, AFailedChangeSendsNoAttribute)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_ATTRIBUTE}));
	std::string p = path("dir/file");
	EXPECT_EQ(removexattr(p.c_str(), "user.absent"), -1);
	EXPECT_TRUE(queue_empty());
}

/* CLOSE */

TEST_F(Namespace, CloseComesAfterTheLastCloseOnly)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CLOSE}));
	int first = open(path("dir/file").c_str(), O_RDONLY);
	int second = open(path("dir/file").c_str(), O_RDWR);
	ASSERT_GE(first, 0);
	ASSERT_GE(second, 0);
	close(first);
	EXPECT_TRUE(queue_empty()) << "the file is still open";
	close(second);
	Message m = expect_next(DM_EVENT_CLOSE, false);
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle1, file_));
}

/* DESTROY */

/* Drop the dentry and inode caches, so that the next access looks up. */
void drop_caches()
{
	sync();
	std::ofstream("/proc/sys/vm/drop_caches") << "2";
}

TEST_F(Namespace, UnlinkOfTheLastLinkSendsDestroyWithTheHandle)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DESTROY}));
	ASSERT_EQ(unlink(path("dir/file").c_str()), 0);
	Message m = expect_next(DM_EVENT_DESTROY, false);
	auto *ds = m.data<dm_destroy_event_t>();
	EXPECT_EQ(dm_handle_cmp(DM_GET_VALUE(ds, ds_handle, void *), DM_GET_LEN(ds, ds_handle),
				file_.hanp, file_.hlen), 0);
	EXPECT_EQ(DM_GET_LEN(ds, ds_attrcopy), 0u) << "no return-on-destroy attribute set";
}

TEST_F(Namespace, DestroyCarriesTheReturnOnDestroyAttribute)
{
	dm_attrname_t name = {};
	std::memcpy(name.an_chars, "hsm", 3);
	std::string value = "store:0042";
	ASSERT_NO_FATAL_FAILURE(want_destroy_with(name, value));
	ASSERT_EQ(unlink(path("dir/file").c_str()), 0);
	Message m = expect_next(DM_EVENT_DESTROY, false);
	auto *ds = m.data<dm_destroy_event_t>();
	EXPECT_EQ(std::memcmp(ds->ds_attrname.an_chars, name.an_chars, DM_ATTR_NAME_SIZE), 0);
	EXPECT_EQ(std::string(DM_GET_VALUE(ds, ds_attrcopy, char *), DM_GET_LEN(ds, ds_attrcopy)),
		  value);
}

TEST_F(Namespace, DestroyCarriesAReturnOnDestroyAttributeLongerThanMaxAttrSizeWasLoweredTo)
{
	dm_attrname_t name = {};
	std::memcpy(name.an_chars, "hsm", 3);
	std::string value(4000, 's');
	ASSERT_NO_FATAL_FAILURE(want_destroy_with(name, value));
	ModuleParam lower("max_attr_size", "100");
	ASSERT_EQ(unlink(path("dir/file").c_str()), 0);
	Message m = expect_next(DM_EVENT_DESTROY, false);
	auto *ds = m.data<dm_destroy_event_t>();
	EXPECT_EQ(std::string(DM_GET_VALUE(ds, ds_attrcopy, char *), DM_GET_LEN(ds, ds_attrcopy)),
		  value);
}

TEST_F(Namespace, DestroyWaitsForTheLastOpenFile)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DESTROY}));
	int fd = open(path("dir/file").c_str(), O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(unlink(path("dir/file").c_str()), 0);
	EXPECT_TRUE(queue_empty()) << "the file is still open";
	close(fd);
	expect_next(DM_EVENT_DESTROY, false);
}

TEST_F(Namespace, NoDestroyWhileAnotherLinkRemains)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DESTROY}));
	ASSERT_EQ(link(path("dir/file").c_str(), path("dir/second").c_str()), 0);
	ASSERT_EQ(unlink(path("dir/file").c_str()), 0);
	EXPECT_TRUE(queue_empty());
	ASSERT_EQ(unlink(path("dir/second").c_str()), 0);
	expect_next(DM_EVENT_DESTROY, false);
}

TEST_F(Namespace, RmdirSendsDestroy)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DESTROY}));
	ASSERT_EQ(mkdir(path("empty").c_str(), 0755), 0);
	ASSERT_EQ(rmdir(path("empty").c_str()), 0);
	expect_next(DM_EVENT_DESTROY, false);
}

/* Memory reclaim evicts the mount's inode, whose lower file is gone. */
TEST_F(Namespace, AFileRemovedBelowTheMountSendsDestroyWhenReclaimEvictsIt)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DESTROY}));
	struct stat st;
	ASSERT_EQ(lstat(path("dir/file").c_str(), &st), 0);
	ASSERT_EQ(unlink(lower("dir/file").c_str()), 0);
	EXPECT_TRUE(queue_empty()) << "the mount still holds the file";
	drop_caches();
	Message m = expect_next(DM_EVENT_DESTROY, false);
	auto *ds = m.data<dm_destroy_event_t>();
	EXPECT_EQ(dm_handle_cmp(DM_GET_VALUE(ds, ds_handle, void *), DM_GET_LEN(ds, ds_handle),
				file_.hanp, file_.hlen), 0);
}

/*
 * The unmount's teardown evicts it: DESTROY comes only while the mount
 * serves handles, and a DM application would get a handle that already
 * fails EBADF.
 */
TEST_F(Namespace, AFileRemovedBelowTheMountSendsNoDestroyWhenTheUnmountEvictsIt)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DESTROY}));
	struct stat st;
	ASSERT_EQ(lstat(path("dir/file").c_str(), &st), 0);
	ASSERT_EQ(unlink(lower("dir/file").c_str()), 0);
	ASSERT_NO_FATAL_FAILURE(remount());
	EXPECT_TRUE(queue_empty());
}

/* DEBUT */

TEST_F(Namespace, FirstLookupWaitsForDebutWithTheObjectsHandle)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DEBUT}));
	std::string p = path("keep");
	Accessor looker(changing([p] { struct stat st; return lstat(p.c_str(), &st); }));
	Message m = expect_next(DM_EVENT_DEBUT, true);
	EXPECT_EQ(ne(m)->ne_mode & S_IFMT, static_cast<mode_t>(S_IFREG));
	EXPECT_FALSE(looker.ends_within(kBlockedMs)) << "looked up before the answer";
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(looker.result(), 0);
	Handle keep;
	ASSERT_NO_FATAL_FAILURE(handle_of("keep", keep));
	EXPECT_TRUE(handle_is(ne(m), &dm_namesp_event_t::ne_handle1, keep));
}

TEST_F(Namespace, DebutComesOncePerMountEvenAfterTheCacheLetsGo)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DEBUT}));
	std::string p = path("keep");
	Accessor first(changing([p] { struct stat st; return lstat(p.c_str(), &st); }));
	respond(expect_next(DM_EVENT_DEBUT, true).token(), DM_RESP_CONTINUE);
	EXPECT_EQ(first.result(), 0);
	drop_caches();
	struct stat st;
	EXPECT_EQ(lstat(p.c_str(), &st), 0);
	EXPECT_TRUE(queue_empty());
}

TEST_F(Namespace, DebutAnsweredAbortFailsTheAccessAndAsksAgain)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DEBUT}));
	std::string p = path("keep");
	auto look = changing([p] { struct stat st; return lstat(p.c_str(), &st); });
	Accessor first(look);
	respond(expect_next(DM_EVENT_DEBUT, true).token(), DM_RESP_ABORT, EACCES);
	EXPECT_EQ(first.result(), EACCES);
	Accessor second(look);
	respond(expect_next(DM_EVENT_DEBUT, true).token(), DM_RESP_CONTINUE);
	EXPECT_EQ(second.result(), 0);
}

/*
 * A link through the mount, made by a name looked up before DEBUT was
 * wanted while another name's first lookup waits for its DEBUT, leaves
 * that DEBUT's answer the last word: an ABORT leaves the object unseen,
 * and the next lookup asks again.
 */
TEST_F(Namespace, ALinkMadeWhileADebutWaitsLeavesItsAbortTheLastWord)
{
	ASSERT_EQ(link(lower("keep").c_str(), lower("keep-too").c_str()), 0) << strerror(errno);
	ASSERT_EQ(mkdir(lower("elsewhere").c_str(), 0755), 0) << strerror(errno);
	struct stat st;
	ASSERT_EQ(lstat(path("keep-too").c_str(), &st), 0) << strerror(errno);
	ASSERT_EQ(lstat(path("elsewhere").c_str(), &st), 0) << strerror(errno);
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DEBUT}));
	std::string p = path("keep");
	auto look = changing([p] { struct stat st; return lstat(p.c_str(), &st); });
	Accessor first(look);
	Message m = expect_next(DM_EVENT_DEBUT, true);
	/* In another directory: the lookup holds its own directory's lock. */
	EXPECT_EQ(link(path("keep-too").c_str(), path("elsewhere/linked").c_str()), 0)
		<< strerror(errno);
	respond(m.token(), DM_RESP_ABORT, EACCES);
	EXPECT_EQ(first.result(), EACCES);
	Accessor second(look);
	respond(expect_next(DM_EVENT_DEBUT, true).token(), DM_RESP_CONTINUE);
	EXPECT_EQ(second.result(), 0);
}

/*
 * Two names of one file, "keep" and "keep-too", with DEBUT wanted: lookups
 * of one name wait for each other in the VFS itself (the second in
 * d_alloc_parallel()); two names of one file meet in DEBUT.  The first
 * lookup of "keep" waits for its DEBUT, the message of which is first_.
 */
class DebutOfTwoNames : public Namespace {
protected:
	void SetUp() override
	{
		Namespace::SetUp();
		if (IsSkipped() || HasFatalFailure())
			return;
		ASSERT_EQ(link(lower("keep").c_str(), lower("keep-too").c_str()), 0)
			<< strerror(errno);
		ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DEBUT}));
		first_lookup_.emplace(lookup_of("keep"));
		first_ = expect_next(DM_EVENT_DEBUT, true);
	}

	void TearDown() override
	{
		first_lookup_.reset();
		Namespace::TearDown();
	}

	std::optional<Accessor> first_lookup_;
	Message first_;
};

TEST_F(DebutOfTwoNames, ConcurrentFirstLookupsOfAnObjectShareOneDebut)
{
	Accessor second(lookup_of("keep-too"));
	EXPECT_TRUE(waits_in(second.pid(), "dmfs_debut"));
	EXPECT_TRUE(queue_empty()) << "a second DEBUT for the object";
	respond(first_.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(first_lookup_->result(), 0);
	EXPECT_EQ(second.result(), 0);
	EXPECT_TRUE(queue_empty());
}

TEST_F(DebutOfTwoNames, AWaiterForAKilledLookupsDebutSendsItsOwn)
{
	Accessor second(lookup_of("keep-too"));
	EXPECT_TRUE(waits_in(second.pid(), "dmfs_debut"));
	first_lookup_->kill_now();
	EXPECT_EQ(first_lookup_->result(), 128 + SIGKILL);
	Message own = expect_next(DM_EVENT_DEBUT, true);
	EXPECT_NE(own.token(), first_.token());
	EXPECT_FALSE(second.ends_within(kBlockedMs)) << "looked up before the answer";
	respond(own.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(second.result(), 0);
	respond(first_.token(), DM_RESP_CONTINUE);
}

TEST_F(DebutOfTwoNames, ASystemSuspendFreezesALookupWaitingForAnotherLookupsDebut)
{
	if (!can_test_suspend())
		GTEST_SKIP() << "no /sys/power/pm_test (CONFIG_PM_DEBUG)";
	Accessor second(lookup_of("keep-too"));
	ASSERT_TRUE(waits_in(second.pid(), "dmfs_debut"));
	EXPECT_EQ(freeze_and_thaw(), 0) << "EBUSY (16): a task refused to freeze";
	EXPECT_FALSE(second.ends_within(kBlockedMs)) << "the suspend ended the wait";
	respond(first_.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(first_lookup_->result(), 0);
	EXPECT_EQ(second.result(), 0);
}

/*
 * Two objects whose inode numbers share the 6-bit hash of the lock that
 * once serialised every first lookup of both: one's DEBUT waiting for its
 * answer must not hold up the other's.
 */
TEST_F(Namespace, ADebutWaitingForItsAnswerHoldsUpNoOtherObject)
{
	auto hash6 = [](uint64_t ino) {
		return static_cast<unsigned int>((ino * 0x61C8864680B583EBull) >> 58);
	};
	struct stat keep;
	ASSERT_EQ(lstat(lower("keep").c_str(), &keep), 0);
	std::string twin;
	for (int i = 0; i < 1000 && twin.empty(); i++) {
		std::string name = "twin" + std::to_string(i);
		spit(lower(name), "x");
		struct stat st;
		ASSERT_EQ(lstat(lower(name).c_str(), &st), 0);
		if (hash6(st.st_ino) == hash6(keep.st_ino))
			twin = name;
	}
	ASSERT_FALSE(twin.empty()) << "no inode number of 1000 shares the hash";
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DEBUT}));

	Accessor first(lookup_of("keep"));
	Message waiting = expect_next(DM_EVENT_DEBUT, true);
	Accessor second(lookup_of(twin));
	Message other = expect_next(DM_EVENT_DEBUT, true);
	EXPECT_NE(other.token(), waiting.token());
	respond(other.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(second.result(), 0);
	EXPECT_FALSE(first.ends_within(0)) << "looked up before the answer";
	respond(waiting.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(first.result(), 0);
}

TEST_F(Namespace, ObjectsCreatedThroughTheMountHaveNoDebut)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_DEBUT}));
	/* In the root, which is never looked up: its other entries would be. */
	spit(path("new"), "x");
	drop_caches();
	struct stat st;
	EXPECT_EQ(lstat(path("new").c_str(), &st), 0);
	EXPECT_TRUE(queue_empty());
}

/* CANCEL */

TEST_F(Namespace, KillingTheLastWaiterSendsCancelWithTheTokenAndSequence)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE, DM_EVENT_CANCEL}));
	std::string p = path("dir/new");
	Accessor creator(changing([p] { return mkdir(p.c_str(), 0755); }));
	Message m = expect_next(DM_EVENT_CREATE, true);
	creator.kill_now();
	EXPECT_EQ(creator.result(), 128 + SIGKILL);
	Message cancel = expect_next(DM_EVENT_CANCEL, false);
	auto *ce = cancel.data<dm_cancel_event_t>();
	EXPECT_EQ(ce->ce_token, m.token());
	EXPECT_EQ(ce->ce_sequence, m.msg()->ev_sequence);
	EXPECT_EQ(outstanding_tokens(), 1u) << "the token stays until answered";
	respond(m.token(), DM_RESP_CONTINUE);
}

TEST_F(Namespace, NoCancelWhenCancelIsNotEnabled)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE}));
	ASSERT_DM_OK(take({DM_EVENT_CREATE, DM_EVENT_CANCEL}));
	std::string p = path("dir/new");
	Accessor creator(changing([p] { return mkdir(p.c_str(), 0755); }));
	Message m = expect_next(DM_EVENT_CREATE, true);
	creator.kill_now();
	EXPECT_EQ(creator.result(), 128 + SIGKILL);
	EXPECT_TRUE(queue_empty());
	respond(m.token(), DM_RESP_CONTINUE);
}

TEST_F(Namespace, AnsweredEventsSendNoCancel)
{
	ASSERT_NO_FATAL_FAILURE(want({DM_EVENT_CREATE, DM_EVENT_CANCEL}));
	std::string p = path("dir/new");
	Accessor creator(changing([p] { return mkdir(p.c_str(), 0755); }));
	Message m = expect_next(DM_EVENT_CREATE, true);
	respond(m.token(), DM_RESP_CONTINUE);
	EXPECT_EQ(creator.result(), 0);
	EXPECT_TRUE(queue_empty());
}

} // namespace
