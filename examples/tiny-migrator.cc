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
// access wait for the recall.  The copy is on disk before the data goes;
// but one file at a time, no checksums, no crash safety: the reference
// HSM (dmhsmd) does it properly.
#include <xdsm/dmapi.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace {

constexpr const char *kWhere = "tinymig";	/* the DM attribute */

xdsm::EventLoop *loop;

/* The whole of a file's data, by as many invisible reads as it takes. */
std::string read_all(xdsm::Session &session, const xdsm::Handle &h, std::size_t size)
{
	std::string data(size, '\0');
	for (std::size_t got = 0; got < size;) {
		std::size_t n = session.read_invis(h, static_cast<dm_off_t>(got), data.data() + got,
						   size - got);
		if (n == 0)
			throw std::runtime_error("the file shrank while it was copied");
		got += n;
	}
	return data;
}

/* The copy, on disk before the file's data may go: written and synced. */
void store_copy(const std::string &copy, const std::string &data)
{
	int fd = open(copy.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		throw std::system_error(errno, std::generic_category(), copy);
	for (std::size_t done = 0; done < data.size();) {
		ssize_t n = write(fd, data.data() + done, data.size() - done);
		if (n < 0) {
			int err = errno;
			close(fd);
			throw std::system_error(err, std::generic_category(), copy);
		}
		done += static_cast<std::size_t>(n);
	}
	if (fsync(fd) != 0 || close(fd) != 0)
		throw std::system_error(errno, std::generic_category(), copy);
}

void migrate_with(xdsm::Session &session, const std::string &file, const std::string &store)
{
	auto h = xdsm::Handle::of_path(file);
	dm_stat_t st = session.fileattr(h, DM_AT_STAT);
	std::string data = read_all(session, h, static_cast<std::size_t>(st.dt_size));
	std::string copy = store + "/" + std::to_string(h.ino());
	store_copy(copy, data);
	session.set_dmattr(h, kWhere, copy);
	session.set_regions(h, {dm_region_t{0, 0, DM_REGION_READ | DM_REGION_WRITE |
					       DM_REGION_TRUNCATE, 0}});
	session.punch_hole(h, 0, 0);
	std::printf("migrated %s to %s\n", file.c_str(), copy.c_str());
}

/* Sessions outlive their process: this one goes on every path. */
void migrate(const std::string &file, const std::string &store)
{
	auto session = xdsm::Session::create("tiny-migrator migrate");
	try {
		migrate_with(session, file, store);
	} catch (...) {
		session.destroy();
		throw;
	}
	session.destroy();
}

xdsm::Reply recall(xdsm::Session &session, const xdsm::Message &m)
{
	auto h = m.data_event().object;
	/* The event's token must hold the right its calls need. */
	xdsm::Right right(session, h, m.token(), DM_RIGHT_EXCL);
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
