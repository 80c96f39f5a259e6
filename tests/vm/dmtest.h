// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the in-guest integration tests: they talk to the real module
 * through libdmapi and must run as root in a guest with dmapi.ko loaded.
 */
#ifndef DMAPI_TESTS_VM_DMTEST_H
#define DMAPI_TESTS_VM_DMTEST_H

#include <gtest/gtest.h>
#include <xdsm/dmapi.h>

#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace dmtest {

/* EXPECT that a dm_* call failed with errno e. */
#define EXPECT_DM_ERRNO(call, e)                                              \
	do {                                                                  \
		errno = 0;                                                    \
		int dm_rc_ = (call);                                          \
		int dm_errno_ = errno;                                        \
		EXPECT_EQ(dm_rc_, -1) << #call;                               \
		EXPECT_EQ(dm_errno_, (e)) << #call << ": " << strerror(dm_errno_); \
	} while (0)

#define ASSERT_DM_OK(call) ASSERT_EQ((call), 0) << #call << ": " << strerror(errno)
#define EXPECT_DM_OK(call) EXPECT_EQ((call), 0) << #call << ": " << strerror(errno)

/* A session id and a token value that nothing hands out. */
constexpr dm_sessid_t kNoSuchSession = 0x7fffffff;
constexpr dm_token_t kNotOutstanding = 0x7ffffff0;

/* A handle the library allocated, freed at scope end. */
struct Handle {
	void *hanp = nullptr;
	size_t hlen = 0;
	Handle() = default;
	Handle(const Handle &) = delete;
	Handle &operator=(const Handle &) = delete;
	~Handle() { reset(); }
	void reset()
	{
		dm_handle_free(hanp, hlen);
		hanp = nullptr;
		hlen = 0;
	}
};

/*
 * A child process running fn (its return value is the exit status), for
 * calls that block; killed and reaped if never waited for.
 */
class Child {
public:
	template <typename Fn> explicit Child(Fn fn);
	~Child();
	Child(const Child &) = delete;
	Child &operator=(const Child &) = delete;

	/* Whether it is still running after ms milliseconds. */
	bool still_running_after(int ms);
	/* Its exit status, or 128 + signal. */
	int wait();
	void kill_now();
	pid_t pid() const { return pid_; }

private:
	pid_t pid_ = -1;
	int status_ = 0;
};

/* A handler for a signal, without SA_RESTART, for the guard's life. */
class CaughtSignal {
public:
	explicit CaughtSignal(int signo) : signo_(signo)
	{
		struct sigaction caught = {};
		caught.sa_handler = [](int) {};
		sigaction(signo_, &caught, &saved_);
	}
	~CaughtSignal() { sigaction(signo_, &saved_, nullptr); }
	CaughtSignal(const CaughtSignal &) = delete;
	CaughtSignal &operator=(const CaughtSignal &) = delete;

private:
	int signo_;
	struct sigaction saved_ = {};
};

/*
 * Two pipes by which a test steps a child it forks after making them:
 * the child says it is ready (ready()), then waits to be told to go on
 * (wait_go()).
 */
class Handshake {
public:
	Handshake();
	~Handshake();
	Handshake(const Handshake &) = delete;
	Handshake &operator=(const Handshake &) = delete;

	/* In the child. */
	void ready();
	bool wait_go();
	/* In the test: whether the child said it is ready within ms. */
	bool ready_within(int ms);
	void go();

private:
	int ready_[2] = {-1, -1};
	int go_[2] = {-1, -1};
};

/* The module's live events and messages, from debugfs, or -1 without it. */
long live_events();

/*
 * Whether live_events() comes to n or more, waiting as long as it moves
 * (quiet_ms at most between changes): slow work, as at a memory cgroup's
 * limit on a debug kernel, is not stuck work.  True at once without
 * debugfs, which cannot tell.
 */
bool live_events_come_to(long n, int quiet_ms = 10000);

/*
 * Whether pid's kernel stack shows it in the function fn within ms; fn
 * "name*" is any function whose name begins with name.
 */
bool waits_in(pid_t pid, const std::string &fn, int ms = 20000);

/*
 * A well-formed filesystem handle that names no mount: @fs's with its
 * fsid changed.  Fails the test if it cannot be made.
 */
void forge_fs_handle(const Handle &fs, Handle &forged);

/* Read or write a module parameter of dmapi.ko, restoring it at scope end. */
class ModuleParam {
public:
	ModuleParam(const std::string &name, const std::string &value);
	~ModuleParam();
	ModuleParam(const ModuleParam &) = delete;
	ModuleParam &operator=(const ModuleParam &) = delete;

	static std::string read(const std::string &name);
	static void write(const std::string &name, const std::string &value);

private:
	std::string name_;
	std::string saved_;
};

/*
 * A session for one test: created in SetUp, and at TearDown every
 * message is drained and every token answered so that destroying it
 * cannot fail with EBUSY and no test leaks into the next.
 */
class SessionTest : public ::testing::Test {
public:
	/* Drain, answer and destroy a session; returns dm_destroy_session's rc. */
	static int cleanup_session(dm_sessid_t sid);

protected:
	void SetUp() override;
	void TearDown() override;

	/* All messages queued now, without waiting. */
	std::vector<char> get_all_events(dm_sessid_t sid);

	dm_sessid_t sid_ = DM_NO_SESSION;
};

/*
 * A DM application that consents to every mount: a session holding the
 * MOUNT disposition, answered from a thread.  On each MOUNT it first takes
 * the dispositions of fs_events on the new filesystem and enables them in
 * its event list, by handle.  Every synchronous message is answered
 * CONTINUE; the types of all messages are recorded.
 */
class MountResponder {
public:
	explicit MountResponder(dm_eventset_t fs_events = 0);
	~MountResponder();
	MountResponder(const MountResponder &) = delete;
	MountResponder &operator=(const MountResponder &) = delete;

	dm_sessid_t sid() const { return sid_; }
	/* The types of the messages handled so far. */
	std::vector<dm_eventtype_t> seen();

private:
	void run();
	void handle(dm_eventmsg_t *msg);

	dm_sessid_t sid_ = DM_NO_SESSION;
	dm_eventset_t fs_events_;
	std::mutex lock_;
	std::vector<dm_eventtype_t> seen_;
	bool stopping_ = false;
	std::thread thread_;
};

/*
 * A lower tree and a dmapi mount of it under the scratch filesystem of
 * dmapi-vm --fs (skipped without one): base_/lower mounted on base_/mnt,
 * base_ named after the test.  Subclasses fill the lower tree in
 * populate(), before the mount.
 */
class DmapiMountTest : public ::testing::Test {
protected:
	void SetUp() override;
	void TearDown() override;
	virtual void populate() {}

	/* Unmount and mount again. */
	void remount();

	std::string base_, lower_, mnt_;
	bool mounted_ = false;
	std::optional<MountResponder> responder_;
};

/*
 * A dmapi mount whose lower tree holds "file" (8 KiB of 'f') and "dir", a
 * session of the test's own, and the handles of the file, the directory,
 * the mount's root and the filesystem.
 */
class ObjectMountTest : public DmapiMountTest {
protected:
	void populate() override;
	void SetUp() override;
	void TearDown() override;

	/* A token outstanding in the session. */
	dm_token_t token();

	dm_sessid_t sid_ = DM_NO_SESSION;
	Handle file_, dir_, root_, fs_;
};

/*
 * The filesystem of a directory frozen (FIFREEZE) until thaw() or the
 * guard's end.  A process waiting for the freeze to end cannot be
 * killed: a test declares the children and threads that may wait so
 * before the guard, which then thaws before they are reaped.
 */
class FrozenFilesystem {
public:
	explicit FrozenFilesystem(const std::string &dir);
	~FrozenFilesystem();
	FrozenFilesystem(const FrozenFilesystem &) = delete;
	FrozenFilesystem &operator=(const FrozenFilesystem &) = delete;

	int error() const { return error_; }
	void thaw();

private:
	int fd_;
	int error_ = 0;
	bool thawed_ = false;
};

/*
 * A second lower filesystem: ext4 of 16 MiB in the file image, mounted
 * from a loop device at dir for the guard's life.  why() says why there
 * is none (no mkfs.ext4, no loop device).  unmount() unmounts it as
 * umount(2) does, and says the errno; what is still mounted when the
 * guard goes is unmounted lazily, so that a failed test leaves no mount
 * in its tree.
 */
class LoopFilesystem {
public:
	LoopFilesystem(const std::string &image, const std::string &dir);
	~LoopFilesystem();
	LoopFilesystem(const LoopFilesystem &) = delete;
	LoopFilesystem &operator=(const LoopFilesystem &) = delete;

	const std::string &why() const { return why_; }
	int unmount();

private:
	std::string dir_, why_;
};

/* Write a whole file. */
void spit(const std::string &path, const std::string &data);
/* Read a whole file; empty if it cannot be read. */
std::string slurp(const std::string &path);

/*
 * Once the file with inode number ino in dir was removed: make files
 * "new0", "new1"... there holding data, until one gets that number, 64 at
 * most.  Returns its name, or "" if none did.  The caches are dropped
 * first, and the filesystem given time to free the inode (XFS frees
 * unlinked inodes in the background).
 */
std::string make_until_inode_reused(const std::string &dir, ino_t ino,
				    const std::string &data);

/*
 * A memory cgroup of the test's own under the guest's cgroup2 root,
 * removed when it goes; why() says why there is none (no memory
 * controller, as in kernels without CONFIG_MEMCG).
 */
class MemoryCgroup {
public:
	MemoryCgroup();
	~MemoryCgroup();
	MemoryCgroup(const MemoryCgroup &) = delete;
	MemoryCgroup &operator=(const MemoryCgroup &) = delete;

	const std::string &why() const { return why_; }

	/* Move the calling process in. */
	bool join() const;

	/* Limit it to bytes of memory; -1 lifts the limit. */
	bool limit(long long bytes) const;

	/* The bytes charged to it: memory.current, or -1. */
	long long current() const;

private:
	std::string dir_, why_;
};

/*
 * An inode flag (FS_IMMUTABLE_FL, FS_APPEND_FL) on a file for the
 * guard's life: such a file cannot be removed, so the fixture's tree
 * could not be either.  error() is 0, or the errno of setting it.
 */
class InodeFlag {
public:
	InodeFlag(const std::string &path, int flag);
	~InodeFlag();
	InodeFlag(const InodeFlag &) = delete;
	InodeFlag &operator=(const InodeFlag &) = delete;
	int error() const { return error_; }

private:
	int change(bool on);

	std::string path_;
	int flag_;
	int error_;
};

/*
 * A page of the test's, followed by one it cannot touch: where to put a
 * result of a call that cannot be stored (read_only()), or one that just
 * fits before the inaccessible page (last<T>()).
 */
class GuardedPage {
public:
	GuardedPage();
	~GuardedPage();
	GuardedPage(const GuardedPage &) = delete;
	GuardedPage &operator=(const GuardedPage &) = delete;

	/* Whether both pages were mapped. */
	bool ok() const { return base_ != nullptr; }
	/* A T at the start of the first page, made read-only. */
	template <typename T>
	T *read_only()
	{
		protect(false);
		return static_cast<T *>(base_);
	}
	/* A T in the last bytes of the first page, writable. */
	template <typename T>
	T *last()
	{
		protect(true);
		return reinterpret_cast<T *>(static_cast<char *>(base_) + page_ - sizeof(T));
	}

private:
	void protect(bool writable);

	void *base_ = nullptr;
	size_t page_;
};

/*
 * Drop capability cap (CAP_SYS_ADMIN, ...) from the calling thread's
 * effective and permitted sets, for good: 0, or -1 with errno set.  For
 * children (in_child()), whose caller keeps its own.
 */
int drop_capability(int cap);

/*
 * The rounds a race test runs: all of them, or a twentieth on a debug
 * kernel (scripts/debug-kernel), which runs 10 to 20 times slower.  There
 * what counts is what the kernel's detectors see of the paths the rounds
 * take, and fewer rounds take them all.
 */
int race_rounds(int rounds);

/* Whether freeze_and_thaw() can run: the kernel has CONFIG_PM_DEBUG. */
bool can_test_suspend();

/*
 * The kernel's suspend test at its "freezer" level: freeze every task but
 * the caller, then thaw them.  0, or the errno of the suspend: EBUSY when
 * a task did not freeze within 5 s.
 */
int freeze_and_thaw();

/* The DM attribute name of text, cut to DM_ATTR_NAME_SIZE bytes. */
inline dm_attrname_t attr_name(const char *text)
{
	dm_attrname_t name = {};
	std::memcpy(name.an_chars, text, std::min<size_t>(strlen(text), DM_ATTR_NAME_SIZE));
	return name;
}

/*
 * Fill the filesystem of path with path, a new file allocated (instantly,
 * with fallocate) until less than a block is left, and its extended
 * attributes in what XFS keeps for trusted ones; false if it cannot.
 */
bool fill_filesystem(const std::string &path);

/*
 * Remove the file path that fills its filesystem, and wait until its
 * room is free again: XFS frees an unlinked file's blocks in the
 * background.  False if the room does not come back within 20 s.
 */
bool unfill_filesystem(const std::string &path);

/* The messages of a dm_get_events() buffer, walked with DM_STEP_TO_NEXT. */
std::vector<dm_eventmsg_t *> messages(std::vector<char> &buf, size_t rlen);

/* A message's ev_data payload as a string. */
std::string payload(dm_eventmsg_t *msg);

/* Run fn in a child process; returns its exit status, or 128+signal. */
template <typename Fn> int in_child(Fn fn);

} // namespace dmtest

#include "dmtest_inl.h"

#endif
