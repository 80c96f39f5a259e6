// SPDX-License-Identifier: GPL-2.0
#include "dmtest.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

namespace dmtest {

static std::string param_path(const std::string &name)
{
	return "/sys/module/dmapi/parameters/" + name;
}

std::string ModuleParam::read(const std::string &name)
{
	std::ifstream in(param_path(name));
	std::string value;
	in >> value;
	return value;
}

void ModuleParam::write(const std::string &name, const std::string &value)
{
	std::ofstream out(param_path(name));
	out << value << std::endl;
	if (!out)
		ADD_FAILURE() << "cannot write module parameter " << name;
}

ModuleParam::ModuleParam(const std::string &name, const std::string &value)
	: name_(name), saved_(read(name))
{
	write(name_, value);
}

ModuleParam::~ModuleParam()
{
	write(name_, saved_);
}

Child::~Child()
{
	if (pid_ > 0) {
		kill(pid_, SIGKILL);
		waitpid(pid_, nullptr, 0);
	}
}

bool Child::still_running_after(int ms)
{
	std::this_thread::sleep_for(std::chrono::milliseconds(ms));
	if (pid_ <= 0)
		return false;
	if (waitpid(pid_, &status_, WNOHANG) != pid_)
		return true;
	pid_ = -1;	/* reaped: wait() reports the status kept */
	return false;
}

int Child::wait()
{
	if (pid_ > 0 && waitpid(pid_, &status_, 0) != pid_)
		return -1;
	pid_ = -1;
	return WIFSIGNALED(status_) ? 128 + WTERMSIG(status_) : WEXITSTATUS(status_);
}

void Child::kill_now()
{
	if (pid_ > 0)
		kill(pid_, SIGKILL);
}

Handshake::Handshake()
{
	if (pipe(ready_) != 0 || pipe(go_) != 0)
		ADD_FAILURE() << "pipe: " << strerror(errno);
}

Handshake::~Handshake()
{
	for (int fd : {ready_[0], ready_[1], go_[0], go_[1]})
		if (fd >= 0)
			close(fd);
}

void Handshake::ready()
{
	char c = 'r';
	if (write(ready_[1], &c, 1) != 1)
		_exit(3);
}

bool Handshake::wait_go()
{
	char c;
	return read(go_[0], &c, 1) == 1;
}

bool Handshake::ready_within(int ms)
{
	struct pollfd p = {ready_[0], POLLIN, 0};
	char c;
	return poll(&p, 1, ms) == 1 && read(ready_[0], &c, 1) == 1;
}

void Handshake::go()
{
	char c = 'g';
	if (write(go_[1], &c, 1) != 1)
		ADD_FAILURE() << "write: " << strerror(errno);
}

void SessionTest::SetUp()
{
	char info[] = "dmapi-vm-test";
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info, &sid_));
	ASSERT_GT(sid_, 0);
}

void SessionTest::TearDown()
{
	if (sid_ != DM_NO_SESSION) {
		EXPECT_DM_OK(cleanup_session(sid_));
	}
}

int SessionTest::cleanup_session(dm_sessid_t sid)
{
	std::vector<char> buf(1 << 20);
	size_t rlen;

	while (dm_get_events(sid, 0, 0, buf.size(), buf.data(), &rlen) == 0)
		;
	std::vector<dm_token_t> tokens(4096);
	unsigned int n = 0;
	if (dm_getall_tokens(sid, tokens.size(), tokens.data(), &n) == 0)
		for (unsigned int i = 0; i < n; i++)
			dm_respond_event(sid, tokens[i], DM_RESP_CONTINUE, 0, 0,
					 nullptr);
	return dm_destroy_session(sid);
}

std::vector<char> SessionTest::get_all_events(dm_sessid_t sid)
{
	std::vector<char> buf(1 << 16);
	size_t rlen = 0;
	if (dm_get_events(sid, 0, 0, buf.size(), buf.data(), &rlen) != 0)
		return {};
	buf.resize(rlen);
	return buf;
}

MountResponder::MountResponder(dm_eventset_t fs_events) : fs_events_(fs_events)
{
	char info[] = "dmapi-vm-test mount responder";
	dm_eventset_t mount_only = 0;

	DMEV_SET(DM_EVENT_MOUNT, mount_only);
	if (dm_create_session(DM_NO_SESSION, info, &sid_) != 0) {
		ADD_FAILURE() << "dm_create_session: " << strerror(errno);
		return;
	}
	if (dm_set_disp(sid_, DM_GLOBAL_HANP, DM_GLOBAL_HLEN, DM_NO_TOKEN,
			&mount_only, DM_EVENT_MAX) != 0)
		ADD_FAILURE() << "dm_set_disp(global, MOUNT): " << strerror(errno);
	thread_ = std::thread([this] { run(); });
}

MountResponder::~MountResponder()
{
	if (sid_ == DM_NO_SESSION)
		return;
	{
		std::lock_guard<std::mutex> guard(lock_);
		stopping_ = true;
	}
	/* Wake the thread with a message of its own. */
	char stop[] = "stop";
	if (dm_send_msg(sid_, DM_MSGTYPE_ASYNC, sizeof(stop), stop) != 0)
		ADD_FAILURE() << "dm_send_msg(stop): " << strerror(errno);
	thread_.join();
	EXPECT_EQ(SessionTest::cleanup_session(sid_), 0) << strerror(errno);
	/*
	 * What it holds, its own wake-up, and the CANCEL of a MOUNT whose
	 * waiter gave up: anything else was the event of another session
	 * that the module sent here, which its CONTINUE would have hidden.
	 */
	dm_eventset_t expected = fs_events_;
	for (dm_eventtype_t type : {DM_EVENT_MOUNT, DM_EVENT_USER, DM_EVENT_CANCEL})
		DMEV_SET(type, expected);
	for (dm_eventtype_t type : seen_)
		EXPECT_TRUE(DMEV_ISSET(type, expected))
			<< "the mount responder got an event of type " << type
			<< " that it holds no disposition for";
}

std::vector<dm_eventtype_t> MountResponder::seen()
{
	std::lock_guard<std::mutex> guard(lock_);
	return seen_;
}

void MountResponder::handle(dm_eventmsg_t *msg)
{
	if (msg->ev_type == DM_EVENT_MOUNT && fs_events_) {
		auto *me = DM_GET_VALUE(msg, ev_data, dm_mount_event_t *);
		void *fsh = DM_GET_VALUE(me, me_handle1, void *);
		size_t fshlen = DM_GET_LEN(me, me_handle1);
		dm_eventset_t set = fs_events_;

		if (dm_set_disp(sid_, fsh, fshlen, DM_NO_TOKEN, &set,
				DM_EVENT_MAX) != 0 ||
		    dm_set_eventlist(sid_, fsh, fshlen, DM_NO_TOKEN, &set,
				     DM_EVENT_MAX) != 0)
			ADD_FAILURE() << "taking the events of a new mount: "
				      << strerror(errno);
	}
	/* Seen before answered: the sender, once answered, may look. */
	{
		std::lock_guard<std::mutex> guard(lock_);
		seen_.push_back(msg->ev_type);
	}
	if (msg->ev_token != DM_INVALID_TOKEN &&
	    dm_respond_event(sid_, msg->ev_token, DM_RESP_CONTINUE, 0, 0,
			     nullptr) != 0)
		ADD_FAILURE() << "dm_respond_event: " << strerror(errno);
}

void MountResponder::run()
{
	std::vector<char> buf(1 << 16);
	size_t rlen;

	for (;;) {
		if (dm_get_events(sid_, 0, DM_EV_WAIT, buf.size(), buf.data(),
				  &rlen) != 0) {
			if (errno == EINTR)
				continue;
			ADD_FAILURE() << "dm_get_events: " << strerror(errno);
			return;
		}
		bool stop = false;
		for (auto *msg : messages(buf, rlen)) {
			if (msg->ev_type == DM_EVENT_USER)
				stop = true;
			else
				handle(msg);
		}
		std::lock_guard<std::mutex> guard(lock_);
		if (stop && stopping_)
			return;
	}
}

void DmapiMountTest::SetUp()
{
	namespace fs = std::filesystem;
	struct statfs sfs;

	if (statfs("/mnt/scratch", &sfs) != 0)
		GTEST_SKIP() << "no scratch filesystem at /mnt/scratch";
	auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
	base_ = std::string("/mnt/scratch/") + info->test_suite_name() + "-" +
		info->name();
	lower_ = base_ + "/lower";
	mnt_ = base_ + "/mnt";
	fs::remove_all(base_);
	fs::create_directories(lower_);
	fs::create_directories(mnt_);
	populate();
	responder_.emplace();
	ASSERT_EQ(mount(lower_.c_str(), mnt_.c_str(), "dmapi", 0, nullptr), 0)
		<< strerror(errno);
	mounted_ = true;
}

void DmapiMountTest::TearDown()
{
	if (mounted_) {
		/*
		 * A ring of io_uring puts the files of its requests from a
		 * workqueue after its process exits: give it a moment.  A
		 * mount still busy then is a leak; detached, so that it does
		 * not fail the tests after this one too.
		 */
		int rc = umount(mnt_.c_str());
		for (int i = 0; rc && errno == EBUSY && i < 100; i++) {
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
			rc = umount(mnt_.c_str());
		}
		EXPECT_EQ(rc, 0) << strerror(errno);
		if (rc)
			umount2(mnt_.c_str(), MNT_DETACH);
	}
	responder_.reset();
	if (!base_.empty())
		std::filesystem::remove_all(base_);
}

void ObjectMountTest::populate()
{
	spit(lower_ + "/file", std::string(8192, 'f'));
	mkdir((lower_ + "/dir").c_str(), 0755);
}

void ObjectMountTest::SetUp()
{
	DmapiMountTest::SetUp();
	if (IsSkipped() || HasFatalFailure())
		return;
	std::string info = std::string("dmapi-vm-test ") +
			   ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name();
	ASSERT_DM_OK(dm_create_session(DM_NO_SESSION, info.data(), &sid_));
	for (auto [path, h] : {std::pair{mnt_ + "/file", &file_}, {mnt_ + "/dir", &dir_},
			       {mnt_, &root_}})
		ASSERT_DM_OK(dm_path_to_handle(path.data(), &h->hanp, &h->hlen)) << path;
	ASSERT_DM_OK(dm_path_to_fshandle(mnt_.data(), &fs_.hanp, &fs_.hlen));
}

void ObjectMountTest::TearDown()
{
	for (Handle *h : {&file_, &dir_, &root_, &fs_})
		h->reset();
	if (sid_ != DM_NO_SESSION) {
		EXPECT_DM_OK(SessionTest::cleanup_session(sid_));
	}
	DmapiMountTest::TearDown();
}

dm_token_t ObjectMountTest::token()
{
	dm_token_t t = DM_INVALID_TOKEN;
	EXPECT_DM_OK(dm_create_userevent(sid_, 0, nullptr, &t));
	return t;
}

void DmapiMountTest::remount()
{
	ASSERT_EQ(umount(mnt_.c_str()), 0) << strerror(errno);
	mounted_ = false;
	ASSERT_EQ(mount(lower_.c_str(), mnt_.c_str(), "dmapi", 0, nullptr), 0)
		<< strerror(errno);
	mounted_ = true;
}

namespace {

bool write_text(const std::string &path, const std::string &text)
{
	int fd = open(path.c_str(), O_WRONLY);
	if (fd < 0)
		return false;
	bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
	close(fd);
	return ok;
}

} // namespace

MemoryCgroup::MemoryCgroup()
{
	const std::string root = "/sys/fs/cgroup";
	if (slurp(root + "/cgroup.controllers").find("memory") == std::string::npos) {
		why_ = "no memory controller in " + root;
		return;
	}
	if (!write_text(root + "/cgroup.subtree_control", "+memory")) {
		why_ = "cannot enable the memory controller: " + std::string(strerror(errno));
		return;
	}
	dir_ = root + "/dmapi-test-" + std::to_string(getpid());
	if (mkdir(dir_.c_str(), 0755) != 0) {
		why_ = "mkdir " + dir_ + ": " + strerror(errno);
		dir_.clear();
	}
}

MemoryCgroup::~MemoryCgroup()
{
	if (!dir_.empty() && rmdir(dir_.c_str()) != 0)
		ADD_FAILURE() << "rmdir " << dir_ << ": " << strerror(errno);
}

bool MemoryCgroup::join() const
{
	return write_text(dir_ + "/cgroup.procs", "0");
}

bool MemoryCgroup::limit(long long bytes) const
{
	return write_text(dir_ + "/memory.max", bytes < 0 ? "max" : std::to_string(bytes));
}

long long MemoryCgroup::current() const
{
	std::string text = slurp(dir_ + "/memory.current");
	return text.empty() ? -1 : std::stoll(text);
}

int drop_capability(int cap)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {};
	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[cap / 32].effective &= ~(1u << (cap % 32));
	data[cap / 32].permitted &= ~(1u << (cap % 32));
	return syscall(SYS_capset, &hdr, data);
}

GuardedPage::GuardedPage() : page_(static_cast<size_t>(sysconf(_SC_PAGESIZE)))
{
	void *p = mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	if (mprotect(static_cast<char *>(p) + page_, page_, PROT_NONE) != 0) {
		munmap(p, 2 * page_);
		return;
	}
	base_ = p;
}

GuardedPage::~GuardedPage()
{
	if (base_)
		munmap(base_, 2 * page_);
}

void GuardedPage::protect(bool writable)
{
	if (base_) {
		EXPECT_EQ(mprotect(base_, page_, writable ? PROT_READ | PROT_WRITE : PROT_READ), 0)
			<< strerror(errno);
	}
}

InodeFlag::InodeFlag(const std::string &path, int flag) : path_(path), flag_(flag)
{
	error_ = change(true);
}

InodeFlag::~InodeFlag()
{
	if (!error_) {
		EXPECT_EQ(change(false), 0) << "clearing the flag of " << path_;
	}
}

int InodeFlag::change(bool on)
{
	int fd = open(path_.c_str(), O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return errno;
	int flags = 0;
	int err = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) {
		err = errno;
	} else {
		flags = on ? flags | flag_ : flags & ~flag_;
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0)
			err = errno;
	}
	close(fd);
	return err;
}

FrozenFilesystem::FrozenFilesystem(const std::string &dir)
	: fd_(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC))
{
	error_ = fd_ < 0 || ioctl(fd_, FIFREEZE, 0) ? errno : 0;
}

FrozenFilesystem::~FrozenFilesystem()
{
	thaw();
	if (fd_ >= 0)
		close(fd_);
}

void FrozenFilesystem::thaw()
{
	if (!error_ && !thawed_)
		thawed_ = ioctl(fd_, FITHAW, 0) == 0;
}

LoopFilesystem::LoopFilesystem(const std::string &image, const std::string &dir)
{
	std::error_code ec;
	std::filesystem::create_directories(dir, ec);
	std::string make = "modprobe loop 2>/dev/null; truncate -s 16M " + image +
			   " && mkfs.ext4 -q -F " + image + " >/dev/null 2>&1 && mount -o loop " +
			   image + " " + dir;
	if (std::system(make.c_str()) != 0)
		why_ = "no second filesystem (mkfs.ext4, a loop device): " + make;
	else
		dir_ = dir;
}

LoopFilesystem::~LoopFilesystem()
{
	if (!dir_.empty() && umount2(dir_.c_str(), MNT_DETACH) != 0)
		ADD_FAILURE() << "umount " << dir_ << ": " << strerror(errno);
}

int LoopFilesystem::unmount()
{
	if (dir_.empty())
		return EINVAL;
	if (umount(dir_.c_str()) != 0)
		return errno;
	dir_.clear();
	return 0;
}

void spit(const std::string &path, const std::string &data)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out << data;
}

std::string slurp(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string make_until_inode_reused(const std::string &dir, ino_t ino,
				    const std::string &data)
{
	sync();
	std::ofstream("/proc/sys/vm/drop_caches") << "2";
	for (int i = 0; i < 64; i++) {
		std::string name = "new" + std::to_string(i);
		spit(dir + "/" + name, data);
		struct stat made;
		if (stat((dir + "/" + name).c_str(), &made) == 0 && made.st_ino == ino)
			return name;
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
	return "";
}

long live_events()
{
	std::ifstream in("/sys/kernel/debug/dmapi/objects");
	std::string name;
	long n;
	while (in >> name >> n)
		if (name == "events")
			return n;
	return -1;
}

bool live_events_come_to(long n, int quiet_ms)
{
	long last = live_events();
	for (int quiet = 0; last >= 0 && last < n; quiet += 50) {
		if (quiet >= quiet_ms)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
		long now = live_events();
		if (now != last)
			quiet = 0;
		last = now;
	}
	return true;
}

void forge_fs_handle(const Handle &fs, Handle &forged)
{
	dm_fsid_t fsid;
	ASSERT_DM_OK(dm_handle_to_fsid(fs.hanp, fs.hlen, &fsid));
	fsid ^= 0x5a5a5a5a5a5a5a5aULL;
	forged.reset();
	ASSERT_DM_OK(dm_make_fshandle(&fsid, &forged.hanp, &forged.hlen));
}

bool waits_in(pid_t pid, const std::string &fn, int ms)
{
	bool prefix = !fn.empty() && fn.back() == '*';
	std::string want = "] " + (prefix ? fn.substr(0, fn.size() - 1) : fn + "+");
	for (int waited = 0; waited < ms; waited += 10) {
		std::ifstream in("/proc/" + std::to_string(pid) + "/stack");
		std::string line;
		while (std::getline(in, line))
			if (line.find(want) != std::string::npos)
				return true;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return false;
}

int race_rounds(int rounds)
{
	struct utsname u;
	static const std::string debug = "-dmapi-debug";
	if (uname(&u) != 0)
		return rounds;
	std::string release = u.release;
	bool on_debug = release.size() > debug.size() &&
			release.compare(release.size() - debug.size(), debug.size(), debug) == 0;
	return on_debug ? std::max(rounds / 20, 1) : rounds;
}

bool can_test_suspend()
{
	return access("/sys/power/pm_test", W_OK) == 0;
}

namespace {

/* A sysfs file set for a while, and set back after. */
class SysfsSetting {
public:
	SysfsSetting(std::string path, const std::string &value, std::string restore)
		: path_(std::move(path)), restore_(std::move(restore))
	{
		std::ofstream(path_) << value;
	}
	~SysfsSetting() { std::ofstream(path_) << restore_; }
	SysfsSetting(const SysfsSetting &) = delete;
	SysfsSetting &operator=(const SysfsSetting &) = delete;

private:
	std::string path_, restore_;
};

} // namespace

int freeze_and_thaw()
{
	SysfsSetting level("/sys/power/pm_test", "freezer", "none");
	SysfsSetting delay("/sys/module/suspend/parameters/pm_test_delay", "0", "5");
	SysfsSetting patience("/sys/power/pm_freeze_timeout", "5000", "20000");
	int fd = open("/sys/power/state", O_WRONLY);
	if (fd < 0)
		return errno;
	int err = write(fd, "freeze", 6) == 6 ? 0 : errno;
	close(fd);
	return err;
}

static unsigned long long free_bytes(const std::string &path)
{
	struct statfs st = {};
	if (statfs(path.c_str(), &st) != 0)
		return 0;
	return static_cast<unsigned long long>(st.f_bfree) * st.f_bsize;
}

/* Write back what the filesystem of fd has pending, and wait a little. */
static void settle(int fd)
{
	syncfs(fd);
	std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

/*
 * XFS lets trusted.* attributes, which DMAPI keeps its own in, take
 * blocks from the pool it holds back (5 %, or 32 MiB at most): fill that
 * too, with such attributes of path, ever smaller.  On ext4 the first
 * block of them is all one file holds.
 */
static bool fill_reserve(const std::string &path)
{
	std::string value(65536, 'r');
	int n = 0;
	for (size_t size : {65536, 4096, 2048, 1024, 256, 64}) {
		while (setxattr(path.c_str(), ("trusted.fill." + std::to_string(n)).c_str(),
				value.data(), size, XATTR_CREATE) == 0)
			n++;
		if (errno != ENOSPC && errno != E2BIG && errno != ERANGE)
			return false;
	}
	return true;
}

bool fill_filesystem(const std::string &path)
{
	int fd = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
	if (fd < 0)
		return false;
	/*
	 * Room freed in the background (XFS frees removed files' blocks
	 * later) would come back after the filling: fill again until a pass
	 * finds nothing more.
	 */
	off_t size = 0, before = -1;
	bool full = true;
	for (int pass = 0; pass < 10 && full && size != before; pass++) {
		before = size;
		settle(fd);
		for (off_t chunk = 64 << 20; chunk >= 4096; chunk /= 2)
			while (fallocate(fd, 0, size, chunk) == 0)
				size += chunk;
		full = errno == ENOSPC;
	}
	close(fd);
	return full && size == before && fill_reserve(path);
}

bool unfill_filesystem(const std::string &path)
{
	struct stat st = {};
	if (stat(path.c_str(), &st) != 0)
		return false;
	std::string dir = std::filesystem::path(path).parent_path();
	unsigned long long before = free_bytes(dir);
	if (unlink(path.c_str()) != 0)
		return false;
	/* Allow for the blocks its own metadata took. */
	unsigned long long wanted = before + st.st_blocks * 512ULL * 9 / 10;
	for (int waited = 0; waited < 20000; waited += 10) {
		int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
		if (fd >= 0) {
			syncfs(fd);
			close(fd);
		}
		if (free_bytes(dir) >= wanted)
			return true;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return false;
}

std::vector<dm_eventmsg_t *> messages(std::vector<char> &buf, size_t rlen)
{
	std::vector<dm_eventmsg_t *> out;
	if (rlen == 0)
		return out;
	auto *msg = reinterpret_cast<dm_eventmsg_t *>(buf.data());
	while (msg) {
		out.push_back(msg);
		msg = DM_STEP_TO_NEXT(msg, dm_eventmsg_t *);
	}
	return out;
}

std::string payload(dm_eventmsg_t *msg)
{
	return std::string(DM_GET_VALUE(msg, ev_data, char *),
			   DM_GET_LEN(msg, ev_data));
}

} // namespace dmtest
