// SPDX-License-Identifier: GPL-2.0
//
// dmctl: the sessions, messages and tokens of the DMAPI module, seen and
// driven from the command line.  For administrators (what sessions exist,
// what is waiting for an answer) and for the regression scripts, which
// play DM applications and applications with it.
#include "dm.h"
#include "names.h"
#include "nudge.h"
#include "printer.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#ifndef DMCTL_VERSION
#error "DMCTL_VERSION must name the release (the build passes the VERSION file)"
#endif

using namespace dmctl;

namespace {

constexpr const char usage_text[] = R"(Usage: dmctl [--json] COMMAND [ARG]...
       dmctl --help | --version

Show and drive the sessions, messages, tokens, dispositions and event lists
of the DMAPI module (dmapi.ko) through libdmapi.  Every command needs
CAP_SYS_ADMIN.

Commands:
  version                     the API's version string (SGI's)
  config                      every dm_get_config() option of the global
                              handle, then the events that can be generated
  sessions                    every session and its info string
  create INFO                 create a session; prints its id
  takeover SID INFO           take session SID over, giving it INFO; prints
                              its id, which is SID
  destroy SID                 destroy a session; fails with EBUSY while it
                              has undelivered messages or outstanding tokens
  query SID                   the info string of a session
  send SID [--sync] MESSAGE   send a user message; with --sync, wait for the
                              answer and fail if it is ABORT
  userevent SID MESSAGE       create a user event; prints its token
  events SID [--wait] [--max N]
                              receive the queued messages, at most N, until
                              the queue is empty or SIGTERM/SIGINT/SIGHUP,
                              printing each batch at once; with --wait,
                              block until there is one
  respond SID TOKEN continue|abort ERRNO|dontcare
                              answer an event; ERRNO is a number or a name
                              such as EIO
  tokens SID                  the outstanding tokens of a session, oldest
                              first
  find SID TOKEN              the message of an outstanding token
  move SRCSID TOKEN DSTSID    move an outstanding event to another session;
                              prints its token there
  pending SID TOKEN SECONDS   tell the waiting sender that the answer needs
                              SECONDS more (a decimal number)
  disp SID TARGET [EVENT]...  make SID the session that receives EVENTs of
                              TARGET: "global" (all filesystems, MOUNT only)
                              or the filesystem of a path; without EVENT,
                              clear the dispositions of SID there
  disps SID                   the filesystems a session has dispositions on
  set-eventlist SID PATH [--fs] [EVENT]...
                              set the event list of the object at PATH, or
                              with --fs of its filesystem, to the EVENTs
  get-eventlist SID PATH [--fs]
                              the event list of the object at PATH, or with
                              --fs of its filesystem
  mountinfo SID PATH          how the filesystem of PATH is mounted
  rod SID PATH NAME|--off     return-on-destroy of the filesystem of PATH:
                              DESTROY events carry the DM attribute NAME
                              (1 to 8 bytes); --off turns it off
  serve [--info TEXT] [--events EVENT,...] [--abort-mount ERRNO|--dontcare]
        [--count N]           act as a DM application: create a session
                              (info TEXT, "dmctl serve" by default) that
                              receives MOUNT events, print "ready sid=SID",
                              then print each message and answer it
                              CONTINUE (MOUNT: ABORT ERRNO or DONTCARE if
                              asked), until N messages or SIGTERM/SIGINT;
                              then give up its dispositions, answer the
                              messages queued already (a MOUNT DONTCARE),
                              and destroy the session.  With --events,
                              take those events of each filesystem that
                              mounts and enable them in its event list,
                              before answering its MOUNT
  help                        show this help

Options:
      --json                  print one JSON object per command instead of
                              text (also accepted after COMMAND)
  -h, --help                  show this help and exit
  -V, --version               show the version and exit

Output:
  A result that is one value (version, create, takeover, query, userevent,
  move) is printed alone on a line; tokens prints one token per line;
  get-eventlist prints the event names on one line, separated by spaces
  (an empty line for none).  Other results are one record per line of
  key=value fields:
    sessions      sid=SID info=TEXT
    events, find  type=NAME token=TOKEN sequence=SEQ length=BYTES text=TEXT
                  (hex=HEX instead of text= when the data is not text;
                  token=0 when nobody waits for an answer)
    config        NAME=VALUE, one option per line, then events=NAME,...
    disps         fshandle=HEX events=NAME,...
    mountinfo     mode=MODE, fshandle=HEX, mountpoint=PATH, lower=PATH,
                  roothandle=HEX, one per line
    serve         ready sid=SID, then one line per message, the same in
                  every run:
                    MOUNT mode=MODE mountpoint=PATH lower=PATH
                    PREUNMOUNT mode=MODE
                    UNMOUNT mode=MODE retcode=ERRNO
                    NAME mode=OCTAL [name1=NAME] [name2=NAME] handles=N
                         [retcode=ERRNO]  (namespace events)
                    DESTROY handle=N [attrname=NAME attrcopy=TEXT]
                    NAME length=BYTES    (any other event)
  A text field is the last of its record and runs to the end of the line;
  control characters and backslashes in it appear as \xNN and \\.  events
  prints nothing when no message is queued.  Event names are those of the
  standard without DM_EVENT_ (USER), option names are lower case without
  DM_CONFIG_ (max_message_data).  EVENT arguments take the same names in
  any case.

Exit status:
  0  success
  1  a call failed ("dmctl: dm_xxx: ERROR" on stderr), the answer to a
     --sync message was ABORT ("dmctl: aborted: ERROR"), or serve could
     not destroy its session ("dmctl: warning: session SID not destroyed")
  2  usage error
)";

// Bad command line: exit status 2.
class UsageError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

// The command line of one command, options taken out.
struct Arguments {
	std::vector<std::string> positional;
	std::set<std::string> flags;
	std::map<std::string, std::string> values;

	bool flag(const std::string &name) const { return flags.contains(name); }

	std::optional<std::string> value(const std::string &name) const
	{
		auto it = values.find(name);
		return it == values.end() ? std::nullopt : std::optional(it->second);
	}
};

// What a command does once its arguments are known to be good: parsing
// comes first, so that a usage error is reported as one (exit status 2)
// whatever the state of the module.
using Action = std::function<void(Printer &)>;

// max_args of a command that takes any number of arguments.
constexpr size_t unlimited = SIZE_MAX;

struct Command {
	std::string_view name;
	size_t min_args;
	size_t max_args;
	std::set<std::string> flags;		// --name
	std::set<std::string> valued;		// --name VALUE
	Action (*prepare)(const Arguments &);
	bool needs_module;
};

template <typename T>
T parse_number(std::string_view text, const char *what)
{
	T value{};
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (text.empty() || ec != std::errc() || end != text.data() + text.size())
		throw UsageError("invalid " + std::string(what) + " '" + std::string(text) + "'");
	return value;
}

dm_sessid_t parse_sid(std::string_view text)
{
	return parse_number<dm_sessid_t>(text, "session id");
}

dm_token_t parse_token(std::string_view text)
{
	return parse_number<dm_token_t>(text, "token");
}

// The value of --max, --count: at least 1.
unsigned int parse_count(const std::string &text, const std::string &option)
{
	auto count = parse_number<unsigned int>(text, "message count");
	if (count == 0)
		throw UsageError(option + " must be at least 1");
	return count;
}

// The errno of an ABORT: from 512 on, Linux's errnos are the kernel's
// own, which the module refuses to hand to a process.
int parse_reterror(const std::string &text)
{
	constexpr int first_kernel_errno = 512;
	auto error = parse_errno(text);
	if (!error)
		throw UsageError("unknown errno '" + text + "'");
	if (*error >= first_kernel_errno)
		throw UsageError("errno " + std::to_string(*error) +
				 " cannot abort an event: it must be below " +
				 std::to_string(first_kernel_errno));
	return *error;
}

// Event names as events prints them, in any case.
dm_eventset_t parse_events(std::span<const std::string> names)
{
	dm_eventset_t events = 0;
	for (const auto &name : names) {
		auto type = parse_event(name);
		if (!type)
			throw UsageError("unknown event '" + name + "'");
		DMEV_SET(*type, events);
	}
	return events;
}

// "a,b,c"
std::vector<std::string> split_list(const std::string &text)
{
	std::vector<std::string> words;
	for (size_t start = 0;;) {
		size_t comma = text.find(',', start);
		words.push_back(text.substr(start, comma - start));
		if (comma == text.npos)
			return words;
		start = comma + 1;
	}
}

// A DM attribute name: 1 to DM_ATTR_NAME_SIZE bytes.
std::string parse_attrname(const std::string &text)
{
	if (text.empty() || text.size() > DM_ATTR_NAME_SIZE)
		throw UsageError("attribute name '" + text + "' is not 1 to " +
				 std::to_string(DM_ATTR_NAME_SIZE) + " bytes long");
	return text;
}

// "2", "0.25", "1.5": seconds with up to nine decimals.
dm_timestruct_t parse_seconds(std::string_view text)
{
	auto digits = [](std::string_view s) {
		return std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
	};
	auto dot = text.find('.');
	std::string_view whole = text.substr(0, dot);
	std::string fraction(dot == text.npos ? "" : text.substr(dot + 1));
	bool bad_fraction = dot != text.npos && (fraction.empty() || fraction.size() > 9);

	dm_timestruct_t delay{};
	auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), delay.dm_tv_sec);
	if (whole.empty() || !digits(whole) || ec != std::errc() || !digits(fraction) || bad_fraction)
		throw UsageError("invalid number of seconds '" + std::string(text) + "'");
	fraction.resize(9, '0');
	delay.dm_tv_nsec = std::stoi(fraction);
	return delay;
}

// Message data reads as text when it is printable ASCII; C programs often
// send the terminating NUL too, which is not shown (length= tells).
std::optional<std::string> as_text(const std::vector<unsigned char> &data)
{
	size_t len = data.size();
	if (len && data[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < len; i++) {
		if (data[i] < 0x20 || data[i] > 0x7e)
			return std::nullopt;
	}
	return std::string(data.begin(), data.begin() + len);
}

std::string as_hex(const std::vector<unsigned char> &data)
{
	static constexpr char digits[] = "0123456789abcdef";
	std::string hex;
	for (unsigned char c : data) {
		hex += digits[c >> 4];
		hex += digits[c & 0xf];
	}
	return hex;
}

Record message_record(const Message &msg)
{
	Record record{
		{"type", event_name(msg.type)},
		{"token", std::int64_t{msg.token}},
		{"sequence", std::uint64_t{msg.sequence}},
		{"length", std::uint64_t{msg.data.size()}},
	};
	if (auto text = as_text(msg.data))
		record.push_back({"text", *text});
	else
		record.push_back({"hex", as_hex(msg.data)});
	return record;
}

bool session_exists(dm_sessid_t sid)
{
	try {
		session_info(sid);
		return true;
	} catch (const CallError &e) {
		if (e.error() == EINVAL)
			return false;
		throw;
	}
}

// dm_send_msg() reports an ABORT answer as -1 with the answer's errno,
// exactly as it reports its own failures.  These errors are the module's
// own when the current state explains them: an interrupted or timed-out
// wait, a session that does not exist, a message over the size limit.
// Anything else was the DM application's answer.
bool refused_by_module(dm_sessid_t sid, size_t len, int error)
{
	switch (error) {
	case EINTR:
	case ETIMEDOUT:
		return true;
	case EINVAL:
		return !session_exists(sid);
	case E2BIG:
		return len > config_value(DM_CONFIG_MAX_MESSAGE_DATA);
	default:
		return false;
	}
}

Action prepare_version(const Arguments &)
{
	return [](Printer &out) { out.value({"version", init_service()}); };
}

Action prepare_config(const Arguments &)
{
	return [](Printer &out) {
		Record record;
		for (const auto &option : config_options()) {
			record.push_back({std::string(option.name),
					  std::uint64_t{config_value(option.flag)}});
		}

		record.push_back({"events", event_set_names(config_events())});
		out.fields(record);
	};
}

Action prepare_sessions(const Arguments &)
{
	return [](Printer &out) {
		std::vector<Record> records;
		for (dm_sessid_t sid : all_sessions()) {
			std::string info;
			try {
				info = session_info(sid);
			} catch (const CallError &e) {
				if (e.error() == EINVAL)
					continue;	// destroyed since it was listed
				throw;
			}
			records.push_back({{"sid", std::int64_t{sid}}, {"info", info}});
		}
		out.records("sessions", records);
	};
}

Action prepare_create(const Arguments &args)
{
	std::string info = args.positional[0];
	return [=](Printer &out) {
		out.value({"sid", std::int64_t{create_session(DM_NO_SESSION, info)}});
	};
}

Action prepare_takeover(const Arguments &args)
{
	dm_sessid_t oldsid = parse_sid(args.positional[0]);
	std::string info = args.positional[1];
	return [=](Printer &out) {
		out.value({"sid", std::int64_t{create_session(oldsid, info)}});
	};
}

Action prepare_destroy(const Arguments &args)
{
	dm_sessid_t sid = parse_sid(args.positional[0]);
	return [=](Printer &) { destroy_session(sid); };
}

Action prepare_query(const Arguments &args)
{
	dm_sessid_t sid = parse_sid(args.positional[0]);
	return [=](Printer &out) { out.value({"info", session_info(sid)}); };
}

Action prepare_send(const Arguments &args)
{
	dm_sessid_t sid = parse_sid(args.positional[0]);
	std::string message = args.positional[1];
	bool sync = args.flag("--sync");
	return [=](Printer &) mutable {
		if (!sync) {
			check(dm_send_msg(sid, DM_MSGTYPE_ASYNC, message.size(), message.data()),
			      "dm_send_msg");
			return;
		}
		if (dm_send_msg(sid, DM_MSGTYPE_SYNC, message.size(), message.data()) == 0)
			return;
		int error = errno;
		if (refused_by_module(sid, message.size(), error))
			throw CallError("dm_send_msg", error);
		throw Failure(std::string("aborted: ") + std::strerror(error));
	};
}

Action prepare_userevent(const Arguments &args)
{
	dm_sessid_t sid = parse_sid(args.positional[0]);
	std::string message = args.positional[1];
	return [=](Printer &out) mutable {
		dm_token_t token = DM_INVALID_TOKEN;
		check(dm_create_userevent(sid, message.size(), message.data(), &token),
		      "dm_create_userevent");
		out.value({"token", std::int64_t{token}});
	};
}

// The signal that stops serve or events; 0 until one arrives.
volatile std::sig_atomic_t stop_signal = 0;
// Whether the first stop signal makes the next one of any kind kill.
volatile std::sig_atomic_t second_signal_kills = 0;

void on_stop_signal(int signo)
{
	if (!stop_signal)
		dmtool::start_nudging();
	stop_signal = signo;
	if (second_signal_kills) {
		struct sigaction dfl {};
		dfl.sa_handler = SIG_DFL;
		for (int other : {SIGTERM, SIGINT, SIGHUP})
			sigaction(other, &dfl, nullptr);
	}
}

// A dm_get_events() blocked in the kernel returns EINTR, with SA_RESTART
// too; the nudges end one that began just after the signal.  A hangup
// (its terminal gone) stops serve as the others do, and a reader of its
// output gone does not stop it at all: killed, it would leave its session
// and the session's MOUNT disposition behind.  events stops on a failed
// write instead (it would take messages nobody sees), and catches one
// signal only, with SA_RESTART, so that a write of what it took, blocked
// on a slow reader, is not cut short, and a second signal, of any of the
// three, kills it even if that reader never reads.
void catch_stop_signals(bool once = false)
{
	int flags = once ? SA_RESTART : 0;

	second_signal_kills = once;
	dmtool::catch_nudges();
	struct sigaction action {};
	action.sa_handler = on_stop_signal;
	action.sa_flags = flags;
	sigemptyset(&action.sa_mask);
	for (int signo : {SIGTERM, SIGINT, SIGHUP}) {
		if (sigaction(signo, &action, nullptr) != 0)
			throw Failure(std::string("sigaction: ") + std::strerror(errno));
	}
	std::signal(SIGPIPE, SIG_IGN);
}

// The messages of one dm_get_events() call, waited for if asked; none
// once a stop signal came, whatever the wait was doing.  Another signal
// (a stop and continue of the job, a tracer) waits again.
std::vector<Message> events_unless_stopped(dm_sessid_t sid, unsigned int room, bool wait)
{
	while (!stop_signal) {
		try {
			return get_events(sid, room, wait);
		} catch (const CallError &e) {
			if (e.error() != EINTR)
				throw;
		}
	}
	return {};
}

// After a stop signal, once the output is complete: die of it, as a
// program that does not catch it would, so that a shell running events
// in a loop stops too.
void end_as_stopped(Printer &out)
{
	if (!stop_signal)
		return;
	out.flush();
	std::signal(stop_signal, SIG_DFL);
	std::raise(stop_signal);
}

// With --wait only the first call blocks: after that, the command takes
// what is queued and returns.  What is received is gone from the queue,
// so each batch is printed at once: a stream of messages that does not
// end needs no memory, and loses nothing to a stop signal, which ends
// the command as an empty queue does, then kills it.
Action prepare_events(const Arguments &args)
{
	dm_sessid_t sid = parse_sid(args.positional[0]);
	bool wait = args.flag("--wait");
	unsigned int limit = 0;
	if (auto max = args.value("--max"))
		limit = parse_count(*max, "--max");

	return [=](Printer &out) {
		catch_stop_signals(true);
		unsigned int taken = 0;
		out.begin_records("messages");
		try {
			while (!limit || taken < limit) {
				unsigned int room = limit ? limit - taken : ~0u;
				auto messages = events_unless_stopped(sid, room, wait && !taken);
				if (messages.empty())
					break;
				for (const auto &msg : messages)
					out.next_record(message_record(msg));
				taken += messages.size();
				if (!out.flush())
					break;	/* main() reports the write error */
			}
		} catch (...) {
			out.end_records();
			throw;
		}
		out.end_records();
		end_as_stopped(out);
	};
}

Action prepare_respond(const Arguments &args)
{
	const auto &words = args.positional;
	dm_sessid_t sid = parse_sid(words[0]);
	dm_token_t token = parse_token(words[1]);
	const std::string &answer = words[2];

	dm_response_t response;
	int reterror = 0;
	if (answer == "continue" || answer == "dontcare") {
		if (words.size() > 3)
			throw UsageError(answer + " takes no ERRNO");
		response = answer == "continue" ? DM_RESP_CONTINUE : DM_RESP_DONTCARE;
	} else if (answer == "abort") {
		if (words.size() < 4)
			throw UsageError("abort needs an ERRNO");
		response = DM_RESP_ABORT;
		reterror = parse_reterror(words[3]);
	} else {
		throw UsageError("unknown response '" + answer +
				 "' (continue, abort ERRNO or dontcare)");
	}
	return [=](Printer &) { respond(sid, token, response, reterror); };
}

Action prepare_tokens(const Arguments &args)
{
	dm_sessid_t sid = parse_sid(args.positional[0]);
	return [=](Printer &out) {
		std::vector<std::int64_t> tokens;
		for (dm_token_t token : all_tokens(sid))
			tokens.push_back(token);
		out.value({"tokens", tokens});
	};
}

Action prepare_find(const Arguments &args)
{
	dm_sessid_t sid = parse_sid(args.positional[0]);
	dm_token_t token = parse_token(args.positional[1]);
	return [=](Printer &out) {
		out.record("message", message_record(find_message(sid, token)));
	};
}

Action prepare_move(const Arguments &args)
{
	dm_sessid_t srcsid = parse_sid(args.positional[0]);
	dm_token_t token = parse_token(args.positional[1]);
	dm_sessid_t dstsid = parse_sid(args.positional[2]);
	return [=](Printer &out) {
		dm_token_t moved = DM_INVALID_TOKEN;
		check(dm_move_event(srcsid, token, dstsid, &moved), "dm_move_event");
		out.value({"token", std::int64_t{moved}});
	};
}

Action prepare_pending(const Arguments &args)
{
	dm_sessid_t sid = parse_sid(args.positional[0]);
	dm_token_t token = parse_token(args.positional[1]);
	dm_timestruct_t delay = parse_seconds(args.positional[2]);
	return [=](Printer &) mutable { check(dm_pending(sid, token, &delay), "dm_pending"); };
}

// TARGET is "global" or a path, whose filesystem is meant.
Action prepare_disp(const Arguments &args)
{
	const auto &words = args.positional;
	dm_sessid_t sid = parse_sid(words[0]);
	std::string target = words[1];
	dm_eventset_t events = parse_events(std::span(words).subspan(2));
	return [=](Printer &) {
		set_disp(sid, target == "global" ? Handle::global() : path_handle(target, true),
			 events);
	};
}

Action prepare_disps(const Arguments &args)
{
	dm_sessid_t sid = parse_sid(args.positional[0]);
	return [=](Printer &out) {
		std::vector<Record> records;
		for (const auto &disp : all_dispositions(sid)) {
			records.push_back({{"fshandle", as_hex(disp.fshandle)},
					   {"events", event_set_names(disp.events)}});
		}
		out.records("dispositions", records);
	};
}

Action prepare_set_eventlist(const Arguments &args)
{
	const auto &words = args.positional;
	dm_sessid_t sid = parse_sid(words[0]);
	std::string path = words[1];
	bool filesystem = args.flag("--fs");
	dm_eventset_t events = parse_events(std::span(words).subspan(2));
	return [=](Printer &) { set_eventlist(sid, path_handle(path, filesystem), events); };
}

Action prepare_get_eventlist(const Arguments &args)
{
	dm_sessid_t sid = parse_sid(args.positional[0]);
	std::string path = args.positional[1];
	bool filesystem = args.flag("--fs");
	return [=](Printer &out) {
		out.words("events", event_set_names(eventlist(sid, path_handle(path, filesystem))));
	};
}

Action prepare_mountinfo(const Arguments &args)
{
	dm_sessid_t sid = parse_sid(args.positional[0]);
	std::string path = args.positional[1];
	return [=](Printer &out) {
		MountInfo info = mountinfo(sid, path_handle(path, true));
		out.fields({
			{"mode", std::uint64_t{info.mode}},
			{"fshandle", as_hex(info.fshandle)},
			{"mountpoint", info.mountpoint},
			{"lower", info.lower},
			{"roothandle", as_hex(info.roothandle)},
		});
	};
}

// rod SID PATH NAME, or rod SID PATH --off.
Action prepare_rod(const Arguments &args)
{
	const auto &words = args.positional;
	dm_sessid_t sid = parse_sid(words[0]);
	std::string path = words[1];
	bool off = args.flag("--off");
	if (off == (words.size() == 3))
		throw UsageError("rod takes either an attribute NAME or --off");
	std::optional<std::string> name;
	if (!off)
		name = parse_attrname(words[2]);
	return [=](Printer &) { set_return_on_destroy(sid, path_handle(path, true), name); };
}

// What serve does besides answering CONTINUE.
struct ServeOptions {
	std::string info;
	dm_eventset_t events = 0;	// taken on each filesystem that mounts
	dm_response_t mount_response = DM_RESP_CONTINUE;
	int mount_error = 0;		// with DM_RESP_ABORT
	unsigned int count = 0;		// messages to handle; 0: no limit
};

bool is_namespace_event(int type)
{
	return (type >= DM_EVENT_DEBUT && type <= DM_EVENT_POSTSYMLINK) ||
	       type == DM_EVENT_ATTRIBUTE;
}

bool is_post_event(int type)
{
	return type == DM_EVENT_POSTCREATE || type == DM_EVENT_POSTREMOVE ||
	       type == DM_EVENT_POSTRENAME || type == DM_EVENT_POSTLINK ||
	       type == DM_EVENT_POSTSYMLINK;
}

// Bytes as text, each byte outside printable ASCII (space included) as '?'.
std::string printable(const Bytes &bytes)
{
	std::string text;
	for (unsigned char c : bytes)
		text += c > ' ' && c < 0x7f ? static_cast<char>(c) : '?';
	return text;
}

// A namespace event: the mode in octal, the names, how many handles it
// carries (which ones differ from run to run) and, after the change, the
// result.
Record namespace_fields(const Message &msg)
{
	NamespEvent ne = namesp_event(msg.data);
	char mode[16];
	std::snprintf(mode, sizeof(mode), "%o", ne.mode);
	Record record{{"mode", std::string(mode)}};
	if (!ne.name1.empty())
		record.push_back({"name1", ne.name1});
	if (!ne.name2.empty())
		record.push_back({"name2", ne.name2});
	record.push_back({"handles", std::uint64_t{(ne.handle1.empty() ? 0U : 1U) +
						  (ne.handle2.empty() ? 0U : 1U)}});
	if (is_post_event(msg.type))
		record.push_back({"retcode", std::int64_t{ne.retcode}});
	return record;
}

// The fields of serve's line for a message: none that differ from run to
// run (session ids, tokens, sequence numbers, handles).
Record serve_fields(const Message &msg)
{
	if (msg.type == DM_EVENT_MOUNT) {
		MountInfo mount = mount_event(msg.data);
		return {{"mode", std::uint64_t{mount.mode}}, {"mountpoint", mount.mountpoint},
			{"lower", mount.lower}};
	}
	if (msg.type == DM_EVENT_PREUNMOUNT || msg.type == DM_EVENT_UNMOUNT) {
		NamespEvent unmount = namesp_event(msg.data);
		Record record{{"mode", std::uint64_t{unmount.mode}}};
		if (msg.type == DM_EVENT_UNMOUNT)
			record.push_back({"retcode", std::int64_t{unmount.retcode}});
		return record;
	}
	if (msg.type == DM_EVENT_DESTROY) {
		DestroyEvent destroy = destroy_event(msg.data);
		Record record{{"handle", std::uint64_t{destroy.handle.size() ? 1U : 0U}}};
		if (!destroy.attrname.empty()) {
			record.push_back({"attrname", destroy.attrname});
			record.push_back({"attrcopy", printable(destroy.attrcopy)});
		}
		return record;
	}
	if (is_namespace_event(msg.type))
		return namespace_fields(msg);
	return {{"length", std::uint64_t{msg.data.size()}}};
}

// The dispositions and the event list of the filesystem that mounts,
// while its MOUNT event waits: by handle, without a token.
void take_events(dm_sessid_t sid, const Message &mount, dm_eventset_t events)
{
	Handle fs(mount_event(mount.data).fshandle);
	set_disp(sid, fs, events);
	set_eventlist(sid, fs, events);
}

// The mount waits for the answer: it gets one even when taking the
// events failed, and the failure is reported after.
void answer_mount(dm_sessid_t sid, const Message &mount, const ServeOptions &options)
{
	std::exception_ptr failure;
	if (options.events) {
		try {
			take_events(sid, mount, options.events);
		} catch (...) {
			failure = std::current_exception();
		}
	}
	try {
		respond(sid, mount.token, options.mount_response, options.mount_error);
	} catch (const CallError &e) {
		// Answered by another meanwhile: the failure is still ours.
		if (e.error() != ESRCH || !failure)
			throw;
	}
	if (failure)
		std::rethrow_exception(failure);
}

// Print @msg, unless there is no @out, and answer it.  A token answered
// or moved meanwhile (dmctl respond, dmctl move) is another's to answer.
void serve_message(Printer *out, dm_sessid_t sid, const Message &msg,
		   const ServeOptions &options)
{
	if (out) {
		out->tagged(event_name(msg.type), serve_fields(msg));
		out->flush();
	}
	try {
		if (msg.type == DM_EVENT_MOUNT)
			answer_mount(sid, msg, options);
		else if (msg.token != DM_INVALID_TOKEN)
			respond(sid, msg.token, DM_RESP_CONTINUE, 0);
	} catch (const CallError &e) {
		if (e.error() != ESRCH)
			throw;
	}
}

// The next message, waited for; nothing once a stop signal arrived.  One
// at a time, so that none is taken from the queue and left unanswered.
std::optional<Message> next_message(dm_sessid_t sid)
{
	while (!stop_signal) {
		try {
			auto messages = get_events(sid, 1, true);
			if (!messages.empty())
				return std::move(messages.front());
		} catch (const CallError &e) {
			if (e.error() != EINTR)
				throw;
		}
	}
	return std::nullopt;
}

void serve_messages(Printer &out, dm_sessid_t sid, const ServeOptions &options)
{
	for (unsigned int handled = 0; !options.count || handled < options.count; handled++) {
		auto msg = next_message(sid);
		if (!msg)
			return;
		serve_message(&out, sid, *msg, options);
	}
}

// Give up every disposition of the session, the global MOUNT one and
// those taken on filesystems: no new event comes to it (user messages
// still may).  A filesystem unmounted meanwhile has none to give up.
void release_dispositions(dm_sessid_t sid)
{
	set_disp(sid, Handle::global(), 0);
	for (const Disposition &disposition : all_dispositions(sid)) {
		try {
			set_disp(sid, Handle(disposition.fshandle), 0);
		} catch (const CallError &e) {
			if (e.error() != EBADF)
				throw;
		}
	}
}

// The messages serve answers after it stopped taking them, at most: a
// sender that never stops could otherwise keep it for ever.
constexpr unsigned int max_drained = 1000;

// Answer, and print if there is @out, the messages queued to the
// session, one at a time, with what is left of @budget.
void drain_messages(Printer *out, dm_sessid_t sid, const ServeOptions &options,
		    unsigned int &budget)
{
	for (; budget > 0; budget--) {
		auto messages = get_events(sid, 1, false);
		if (messages.empty())
			return;
		serve_message(out, sid, messages.front(), options);
	}
}

// Answer, and print if there is @out, the messages of the tokens
// outstanding on the session that no queued message brought: a user
// event made on it, a message another process took from its queue or
// moved to it.  Each counts against @budget.  One answered meanwhile is
// passed over.
void answer_tokens(Printer *out, dm_sessid_t sid, const ServeOptions &options,
		   unsigned int &budget)
{
	for (dm_token_t token : all_tokens(sid)) {
		if (budget == 0)
			return;
		budget--;
		try {
			serve_message(out, sid, find_message(sid, token), options);
		} catch (const CallError &e) {
			if (e.error() != ESRCH)
				throw;
		}
	}
}

// Serve stops taking messages: it gives up its dispositions, answers
// those queued to it already as it answered the others (a MOUNT with
// DONTCARE, unless it refuses mounts, so that another DM application
// may take the filesystem; its events are not taken), and destroys its
// session.  Left queued, they would keep the session, and with it its
// dispositions: a later mount would wait for a MOUNT answer from nobody.
// Tokens outstanding keep the session too: they are answered as well.
// An event that passed the dispositions just before they went may come
// after the queue was found empty: destroying then fails EBUSY, and the
// queue is drained again.  Every round costs the budget something, so
// that serve stops even when nothing it answers frees the session.
// Without @out (serve failed), the messages are answered unprinted.
void stop_serving(Printer *out, dm_sessid_t sid, const ServeOptions &options)
{
	dmtool::stop_nudging();
	release_dispositions(sid);
	ServeOptions draining = options;
	draining.events = 0;
	if (draining.mount_response != DM_RESP_ABORT)
		draining.mount_response = DM_RESP_DONTCARE;
	for (unsigned int budget = max_drained;;) {
		drain_messages(out, sid, draining, budget);
		answer_tokens(out, sid, draining, budget);
		if (dm_destroy_session(sid) == 0)
			return;
		if (errno != EBUSY)
			check(-1, "dm_destroy_session");
		if (budget == 0)
			throw Failure("warning: session " + std::to_string(sid) +
				      " not destroyed: it has undelivered messages or outstanding tokens");
		budget--;
	}
}

void serve(Printer &out, const ServeOptions &options)
{
	catch_stop_signals();
	dm_sessid_t sid = create_session(DM_NO_SESSION, options.info);
	bool stopping = false;
	try {
		dm_eventset_t mount = 0;
		DMEV_SET(DM_EVENT_MOUNT, mount);
		set_disp(sid, Handle::global(), mount);
		out.tagged("ready", {{"sid", std::int64_t{sid}}});
		out.flush();
		serve_messages(out, sid, options);
		stopping = true;
		stop_serving(&out, sid, options);
	} catch (...) {
		if (stopping)
			throw;
		// The first error is the one to report; this only tidies up,
		// as a stop does: a message left unanswered would keep its
		// sender waiting, and the session with it.
		try {
			stop_serving(nullptr, sid, options);
		} catch (const CallError &e) {
			std::fflush(stdout);
			std::fprintf(stderr, "dmctl: %s\n", e.what());
			if (dm_destroy_session(sid) != 0)
				std::fprintf(stderr, "dmctl: warning: session %d not destroyed\n",
					     static_cast<int>(sid));
		} catch (const std::exception &e) {
			// The warning that the session was not destroyed.
			std::fflush(stdout);
			std::fprintf(stderr, "dmctl: %s\n", e.what());
		}
		throw;
	}
}

// How serve answers MOUNT events.
std::pair<dm_response_t, int> mount_answer(const Arguments &args)
{
	auto abort = args.value("--abort-mount");
	bool dontcare = args.flag("--dontcare");
	if (abort && dontcare)
		throw UsageError("--abort-mount and --dontcare exclude each other");
	if (abort)
		return {DM_RESP_ABORT, parse_reterror(*abort)};
	return {dontcare ? DM_RESP_DONTCARE : DM_RESP_CONTINUE, 0};
}

Action prepare_serve(const Arguments &args)
{
	ServeOptions options;
	options.info = args.value("--info").value_or("dmctl serve");
	if (auto events = args.value("--events"))
		options.events = parse_events(split_list(*events));
	if (auto count = args.value("--count"))
		options.count = parse_count(*count, "--count");
	std::tie(options.mount_response, options.mount_error) = mount_answer(args);
	return [=](Printer &out) { serve(out, options); };
}

Action prepare_help(const Arguments &)
{
	return [](Printer &) { std::fputs(usage_text, stdout); };
}

const std::vector<Command> &commands()
{
	static const std::vector<Command> table = {
		{"version", 0, 0, {}, {}, prepare_version, false},
		{"config", 0, 0, {}, {}, prepare_config, true},
		{"sessions", 0, 0, {}, {}, prepare_sessions, true},
		{"create", 1, 1, {}, {}, prepare_create, true},
		{"takeover", 2, 2, {}, {}, prepare_takeover, true},
		{"destroy", 1, 1, {}, {}, prepare_destroy, true},
		{"query", 1, 1, {}, {}, prepare_query, true},
		{"send", 2, 2, {"--sync"}, {}, prepare_send, true},
		{"userevent", 2, 2, {}, {}, prepare_userevent, true},
		{"events", 1, 1, {"--wait"}, {"--max"}, prepare_events, true},
		{"respond", 3, 4, {}, {}, prepare_respond, true},
		{"tokens", 1, 1, {}, {}, prepare_tokens, true},
		{"find", 2, 2, {}, {}, prepare_find, true},
		{"move", 3, 3, {}, {}, prepare_move, true},
		{"pending", 3, 3, {}, {}, prepare_pending, true},
		{"disp", 2, unlimited, {}, {}, prepare_disp, true},
		{"disps", 1, 1, {}, {}, prepare_disps, true},
		{"set-eventlist", 2, unlimited, {"--fs"}, {}, prepare_set_eventlist, true},
		{"get-eventlist", 2, 2, {"--fs"}, {}, prepare_get_eventlist, true},
		{"mountinfo", 2, 2, {}, {}, prepare_mountinfo, true},
		{"rod", 2, 3, {"--off"}, {}, prepare_rod, true},
		{"serve", 0, 0, {"--dontcare"}, {"--info", "--events", "--abort-mount", "--count"},
		 prepare_serve, true},
		{"help", 0, 0, {}, {}, prepare_help, false},
	};
	return table;
}

// Options of a command may come anywhere after its name; "--" ends them,
// for a MESSAGE that starts with "--".  --json is everyone's.
Arguments parse_arguments(const Command &command, const std::vector<std::string> &words,
			  bool &json)
{
	Arguments args;
	bool options_done = false;
	for (size_t i = 0; i < words.size(); i++) {
		const std::string &word = words[i];
		if (options_done || !word.starts_with("--")) {
			args.positional.push_back(word);
		} else if (word == "--") {
			options_done = true;
		} else if (word == "--json") {
			json = true;
		} else if (command.flags.contains(word)) {
			args.flags.insert(word);
		} else if (command.valued.contains(word)) {
			if (i + 1 == words.size())
				throw UsageError(word + " needs a value");
			args.values[word] = words[++i];
		} else {
			throw UsageError("unknown option '" + word + "' for " +
					 std::string(command.name));
		}
	}
	if (args.positional.size() < command.min_args)
		throw UsageError("too few arguments for " + std::string(command.name));
	if (args.positional.size() > command.max_args)
		throw UsageError("too many arguments for " + std::string(command.name));
	return args;
}

int run(int argc, char **argv)
{
	bool json = false;
	int i = 1;
	for (; i < argc; i++) {
		std::string_view word = argv[i];
		if (word == "--json") {
			json = true;
		} else if (word == "-h" || word == "--help") {
			std::fputs(usage_text, stdout);
			return 0;
		} else if (word == "-V" || word == "--version") {
			std::printf("dmctl %s\n", DMCTL_VERSION);
			return 0;
		} else if (word == "--") {
			i++;
			break;
		} else if (word.starts_with("-")) {
			throw UsageError("unknown option '" + std::string(word) + "'");
		} else {
			break;
		}
	}
	if (i == argc)
		throw UsageError("no command given");

	std::string_view name = argv[i];
	const Command *command = nullptr;
	for (const auto &c : commands()) {
		if (c.name == name)
			command = &c;
	}
	if (!command)
		throw UsageError("unknown command '" + std::string(name) + "'");

	Arguments args = parse_arguments(*command, std::vector<std::string>(argv + i + 1, argv + argc),
					 json);
	Action action = command->prepare(args);
	if (command->needs_module) {
		// The standard makes it every DM application's first call; here
		// it is also where a missing module is reported, once.
		init_service();
	}
	Printer out(json ? Printer::Format::json : Printer::Format::plain);
	action(out);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	int status;
	try {
		status = run(argc, argv);
	} catch (const UsageError &e) {
		std::fprintf(stderr, "dmctl: %s\nTry 'dmctl --help' for more information.\n", e.what());
		status = 2;
	} catch (const Failure &e) {
		std::fflush(stdout);
		std::fprintf(stderr, "dmctl: %s\n", e.what());
		status = 1;
	} catch (const std::exception &e) {
		std::fflush(stdout);
		std::fprintf(stderr, "dmctl: %s\n", e.what());	// out of memory, most likely
		status = 1;
	}
	// Output that cannot be written is a failure a script must see.
	if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
		std::fprintf(stderr, "dmctl: write error: %s\n", std::strerror(errno));
		return 1;
	}
	return status;
}
