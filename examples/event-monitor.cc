// SPDX-License-Identifier: LGPL-2.1-or-later
//
// event-monitor: consents to every dmapi mount and prints the events of the
// filesystems, letting every operation go on, until SIGINT or SIGTERM.
#include <xdsm/dmapi.hpp>

#include <csignal>
#include <cstdio>

static xdsm::EventLoop *loop;	/* for the signal handler: stop() is one store */

/* A handler that prints a namespace event's names under a label. */
static xdsm::EventLoop::Handler print(const char *label)
{
	return [label](const xdsm::Message &m) {
		auto ne = m.namespace_event();
		std::printf("%s %.*s%s%.*s\n", label, int(ne.name1.size()), ne.name1.data(),
			    ne.name2.empty() ? "" : " -> ", int(ne.name2.size()), ne.name2.data());
		return xdsm::Reply::cont();
	};
}

int main()
{
	auto session = xdsm::Session::find_or_create("event-monitor");
	session.set_disp(xdsm::Handle::global(), {DM_EVENT_MOUNT});
	const xdsm::EventSet watched{DM_EVENT_CREATE, DM_EVENT_REMOVE, DM_EVENT_RENAME,
				     DM_EVENT_LINK, DM_EVENT_SYMLINK, DM_EVENT_DESTROY};
	xdsm::EventLoop events(session);
	events.on(DM_EVENT_MOUNT, [&](const xdsm::Message &m) {
		auto mount = m.mount();
		std::printf("MOUNT %.*s\n", int(mount.mountpoint.size()), mount.mountpoint.data());
		session.set_disp(mount.filesystem, watched);
		session.set_eventlist(mount.filesystem, watched);
		return xdsm::Reply::cont();
	});
	events.on(DM_EVENT_CREATE, print("CREATE")).on(DM_EVENT_REMOVE, print("REMOVE"));
	events.on(DM_EVENT_RENAME, print("RENAME")).on(DM_EVENT_LINK, print("LINK"));
	events.on(DM_EVENT_SYMLINK, print("SYMLINK"));
	events.on(DM_EVENT_DESTROY, [](auto &) { std::puts("DESTROY"); return xdsm::Reply::cont(); });
	loop = &events;
	struct sigaction stop = {};
	stop.sa_handler = [](int) { loop->stop(); };
	sigaction(SIGINT, &stop, nullptr);
	sigaction(SIGTERM, &stop, nullptr);
	std::setvbuf(stdout, nullptr, _IOLBF, 0);
	std::printf("ready sid=%d\n", session.id());
	events.run();
	session.destroy();
}
