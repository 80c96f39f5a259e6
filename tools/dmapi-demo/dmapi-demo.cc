// SPDX-License-Identifier: GPL-2.0
//
// dmapi-demo: a DM application and an application talking through the
// DMAPI module, narrated.  It is the program behind `make demo` and runs
// as root with dmapi.ko loaded.
//
// The parent plays the DM application, say an HSM that recalls files from
// an archive: it creates a session and answers what reaches it.  A child
// plays an application that needs two archived files and asks for each
// with a synchronous user message, the way a read of a migrated file
// sends a READ event and waits.  The first recall succeeds (CONTINUE),
// the second fails (ABORT with EIO), and the application sees just that:
// dm_send_msg() returns 0, then fails with EIO.
//
// Exit status 0 only if every step went as described.
#include <xdsm/dmapi.h>

#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

constexpr char session_info[] = "dmapi-demo";

// Long enough for a slow emulated guest, short enough that a hang is
// reported rather than waited out.
constexpr unsigned int timeout_seconds = 60;

struct Request {
	const char *text;
	dm_response_t answer;
	int reterror;		// the errno of an ABORT
};

constexpr Request requests[] = {
	{"please recall /archive/report.pdf", DM_RESP_CONTINUE, 0},
	{"please recall /archive/budget-1997.xls", DM_RESP_ABORT, EIO},
};

class Failure : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

volatile std::sig_atomic_t timed_out = 0;

void on_alarm(int)
{
	timed_out = 1;
}

// A SIGALRM that interrupts the blocked dm_* call (no SA_RESTART), so
// that a demo that hangs fails and cleans up instead.
void arm_timeout()
{
	struct sigaction action {};
	action.sa_handler = on_alarm;
	sigemptyset(&action.sa_mask);
	sigaction(SIGALRM, &action, nullptr);
	alarm(timeout_seconds);
}

[[noreturn]] void fail_call(const char *function)
{
	int error = errno;
	if (timed_out)
		throw Failure(std::string(function) + ": no answer after " +
			      std::to_string(timeout_seconds) + " s");
	throw Failure(std::string(function) + ": " + std::strerror(error));
}

__attribute__((format(printf, 2, 3)))
void say(const char *who, const char *format, ...)
{
	std::printf("%-5s ", who);
	va_list args;
	va_start(args, format);
	std::vprintf(format, args);
	va_end(args);
	std::putchar('\n');
}

const char *errno_name(int error)
{
	const char *name = strerrorname_np(error);
	return name ? name : "?";
}

// The session of the DM application.  If the demo stops half-way, the
// destructor answers what is left and destroys it, so that no session
// outlives the demo.
class Session {
public:
	explicit Session(const char *info)
	{
		std::string copy = info;	// the C API takes a char *
		if (dm_create_session(DM_NO_SESSION, copy.data(), &sid_) < 0)
			fail_call("dm_create_session");
	}

	Session(const Session &) = delete;
	Session &operator=(const Session &) = delete;

	~Session()
	{
		if (sid_ != DM_NO_SESSION)
			abandon();
	}

	dm_sessid_t id() const { return sid_; }

	void destroy()
	{
		if (dm_destroy_session(sid_) < 0)
			fail_call("dm_destroy_session");
		sid_ = DM_NO_SESSION;
	}

private:
	void abandon()
	{
		std::vector<char> buf(4096);
		size_t rlen;
		while (dm_get_events(sid_, 0, 0, buf.size(), buf.data(), &rlen) == 0)
			;
		std::vector<dm_token_t> tokens(64);
		unsigned int n = 0;
		if (dm_getall_tokens(sid_, tokens.size(), tokens.data(), &n) == 0) {
			for (unsigned int i = 0; i < n; i++)
				dm_respond_event(sid_, tokens[i], DM_RESP_ABORT, ECANCELED, 0, nullptr);
		}
		dm_destroy_session(sid_);
	}

	dm_sessid_t sid_ = DM_NO_SESSION;
};

// The application's process; killed if the demo stops before it is done.
class Child {
public:
	template <typename Body>
	explicit Child(Body body)
	{
		std::fflush(stdout);	// or the child would print it again
		pid_ = fork();
		if (pid_ < 0)
			throw Failure(std::string("fork: ") + std::strerror(errno));
		if (pid_ == 0) {
			// _exit: the parent's objects (the Session above all)
			// are the parent's to clean up.
			arm_timeout();
			std::fflush(stdout);
			_exit(body());
		}
	}

	Child(const Child &) = delete;
	Child &operator=(const Child &) = delete;

	~Child()
	{
		if (pid_ > 0) {
			kill(pid_, SIGKILL);
			waitpid(pid_, nullptr, 0);
		}
	}

	// Waits for the child; true if it exited with status 0.
	bool succeeded()
	{
		int status;
		while (waitpid(pid_, &status, 0) < 0) {
			if (errno != EINTR || timed_out)
				throw Failure("waitpid: the application did not finish");
		}
		pid_ = -1;
		return WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}

private:
	pid_t pid_ = -1;
};

// The application: one synchronous message per request, each result
// checked against the answer the DM application will give.
int application(dm_sessid_t sid)
{
	int status = 0;
	for (const Request &request : requests) {
		std::string text = request.text;
		say("app:", "sending \"%s\" to session %d, waiting for the answer", request.text, sid);
		int ret = dm_send_msg(sid, DM_MSGTYPE_SYNC, text.size(), text.data());
		int error = ret < 0 ? errno : 0;

		if (ret == 0)
			say("app:", "dm_send_msg returned 0: the file is back");
		else
			say("app:", "dm_send_msg returned %d, errno %s (%s)", ret, errno_name(error),
			    std::strerror(error));
		if (error != request.reterror) {
			say("app:", "expected %s", request.reterror ? errno_name(request.reterror) : "0");
			status = 1;
		}
	}
	return status;
}

// The DM application: takes the next message, waiting for it.
std::pair<dm_eventmsg_t, std::string> next_message(dm_sessid_t sid, std::vector<char> &buf)
{
	size_t rlen = 0;
	if (dm_get_events(sid, 1, DM_EV_WAIT, buf.size(), buf.data(), &rlen) < 0)
		fail_call("dm_get_events");
	auto *msg = reinterpret_cast<dm_eventmsg_t *>(buf.data());
	std::string data(DM_GET_VALUE(msg, ev_data, char *), DM_GET_LEN(msg, ev_data));
	return {*msg, data};
}

void answer(dm_sessid_t sid, const Request &request, std::vector<char> &buf)
{
	auto [msg, data] = next_message(sid, buf);
	say("dm:", "got a %s message, token %d, sequence %u: \"%s\"",
	    msg.ev_type == DM_EVENT_USER ? "USER" : "non-USER", msg.ev_token, msg.ev_sequence,
	    data.c_str());
	if (msg.ev_type != DM_EVENT_USER || msg.ev_token == DM_INVALID_TOKEN ||
	    data != request.text)
		throw Failure("expected a synchronous USER message \"" + std::string(request.text) + "\"");

	if (request.answer == DM_RESP_CONTINUE)
		say("dm:", "recalled; answering CONTINUE");
	else
		say("dm:", "not in the archive; answering ABORT with %s", errno_name(request.reterror));
	if (dm_respond_event(sid, msg.ev_token, request.answer, request.reterror, 0, nullptr) < 0)
		fail_call("dm_respond_event");
}

void show_sessions()
{
	std::vector<dm_sessid_t> sids(64);
	unsigned int n = 0;
	if (dm_getall_sessions(sids.size(), sids.data(), &n) < 0)
		fail_call("dm_getall_sessions");
	say("demo:", "dm_getall_sessions: %u session%s", n, n == 1 ? "" : "s");
	for (unsigned int i = 0; i < n; i++) {
		char info[DM_SESSION_INFO_LEN];
		size_t rlen = 0;
		if (dm_query_session(sids[i], sizeof(info), info, &rlen) < 0)
			fail_call("dm_query_session");
		say("demo:", "  session %d \"%s\"", sids[i], info);
	}
}

void demo()
{
	char *version = nullptr;
	if (dm_init_service(&version) < 0)
		fail_call("dm_init_service");
	say("demo:", "dm_init_service: \"%s\"", version);

	Session session(session_info);
	dm_sessid_t sid = session.id();
	say("demo:", "created session %d \"%s\"; this process plays the DM application,",
	    sid, session_info);
	say("demo:", "a child process an application that needs archived files");

	Child app([sid] { return application(sid); });
	std::vector<char> buf(4096);
	for (const Request &request : requests)
		answer(sid, request, buf);
	if (!app.succeeded())
		throw Failure("the application did not see the answers it should have");

	show_sessions();
	session.destroy();
	say("demo:", "destroyed session %d", sid);
}

} // namespace

int main()
{
	// One line at a time, so that parent and child narrate in order.
	std::setvbuf(stdout, nullptr, _IOLBF, 0);
	arm_timeout();
	try {
		demo();
	} catch (const Failure &e) {
		say("demo:", "FAILED: %s", e.what());
		return 1;
	}
	say("demo:", "everything went as expected");
	return 0;
}
