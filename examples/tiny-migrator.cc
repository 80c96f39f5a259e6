// SPDX-License-Identifier: LGPL-2.1-or-later
//
// tiny-migrator: the smallest hierarchical storage manager there can be.
//
//   tiny-migrator migrate FILE STORE  copy FILE's data to the directory
//                                     STORE, record where in a DM
//                                     attribute, and release the data
//   tiny-migrator serve MOUNTPOINT    recall a migrated file's data when
//                                     it is accessed, until SIGTERM
//
// Invisible I/O leaves the file's times alone; a managed region makes any
// access wait for the recall.  One file, no checksums, no crash safety:
// the reference HSM (dmhsmd) does it properly.
#include <xdsm/dmapi.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

namespace {

constexpr const char *kWhere = "tinymig";	/* the DM attribute */

xdsm::EventLoop *loop;

void migrate(const std::string &file, const std::string &store)
{
	auto session = xdsm::Session::create("tiny-migrator migrate");
	auto h = xdsm::Handle::of_path(file);
	dm_stat_t st = session.fileattr(h, DM_AT_STAT);
	std::string data(static_cast<std::size_t>(st.dt_size), '\0');
	session.read_invis(h, 0, data.data(), data.size());
	std::string copy = store + "/" + std::to_string(h.ino());
	std::ofstream(copy, std::ios::binary) << data;
	session.set_dmattr(h, kWhere, copy);
	session.set_regions(h, {dm_region_t{0, 0, DM_REGION_READ | DM_REGION_WRITE |
					       DM_REGION_TRUNCATE, 0}});
	session.punch_hole(h, 0, 0);
	session.destroy();
	std::printf("migrated %s to %s\n", file.c_str(), copy.c_str());
}

xdsm::Reply recall(xdsm::Session &session, const xdsm::Message &m)
{
	auto h = m.data_event().object;
	auto where = session.dmattr(h, kWhere, m.token());
	if (!where)
		return xdsm::Reply::cont();	/* not ours: online */
	std::ifstream in(std::string(reinterpret_cast<const char *>(where->data()), where->size()),
			 std::ios::binary);
	std::string data(std::istreambuf_iterator<char>(in), {});
	if (!in.good() && !in.eof())
		return xdsm::Reply::abort(EIO);
	session.write_invis(h, 0, data.data(), data.size(), m.token());
	session.set_regions(h, {}, m.token());
	session.remove_dmattr(h, kWhere, m.token());
	std::printf("recalled %zu bytes\n", data.size());
	return xdsm::Reply::cont();
}

void serve(const std::string &mountpoint)
{
	auto session = xdsm::Session::find_or_create("tiny-migrator serve");
	auto fs = xdsm::Handle::of_filesystem(mountpoint);
	session.set_disp(fs, {DM_EVENT_READ, DM_EVENT_WRITE, DM_EVENT_TRUNCATE});
	xdsm::EventLoop events(session);
	for (auto type : {DM_EVENT_READ, DM_EVENT_WRITE, DM_EVENT_TRUNCATE})
		events.on(type, [&](const xdsm::Message &m) { return recall(session, m); });
	loop = &events;
	struct sigaction stop = {};
	stop.sa_handler = [](int) { loop->stop(); };
	sigaction(SIGTERM, &stop, nullptr);
	sigaction(SIGINT, &stop, nullptr);
	std::printf("ready sid=%d\n", session.id());
	events.run();
	session.destroy();
}

} // namespace

int main(int argc, char **argv)
{
	std::setvbuf(stdout, nullptr, _IOLBF, 0);
	std::string cmd = argc > 1 ? argv[1] : "";
	try {
		if (cmd == "migrate" && argc == 4)
			migrate(argv[2], argv[3]);
		else if (cmd == "serve" && argc == 3)
			serve(argv[2]);
		else {
			std::fprintf(stderr, "usage: tiny-migrator migrate FILE STORE | serve MOUNTPOINT\n");
			return 2;
		}
	} catch (const std::system_error &e) {
		std::fprintf(stderr, "tiny-migrator: %s\n", e.what());
		return 1;
	}
}
