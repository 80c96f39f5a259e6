// SPDX-License-Identifier: GPL-2.0
#include "hsm.h"

#include "digest.h"
#include "log.h"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unistd.h>
#include <sys/stat.h>

#include <algorithm>
#include <tuple>
#include <cctype>
#include <cstdlib>
#include <vector>

namespace hsm {
namespace {

constexpr std::size_t kChunk = 1 << 20;

[[noreturn]] void fail(const std::string &what, int error)
{
	throw std::system_error(error, std::generic_category(), what);
}

/* A field of /proc/self/mounts, its \ooo escapes decoded. */
std::string unescape_mount_field(const std::string &field)
{
	std::string out;
	for (std::size_t i = 0; i < field.size(); i++) {
		if (field[i] == '\\' && i + 3 < field.size() &&
		    std::isdigit(static_cast<unsigned char>(field[i + 1]))) {
			out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
			i += 3;
		} else {
			out += field[i];
		}
	}
	return out;
}

} // namespace

std::string handle_hex(const xdsm::Handle &h)
{
	static constexpr char digits[] = "0123456789abcdef";
	const auto *p = static_cast<const unsigned char *>(h.hanp());
	std::string out;
	for (std::size_t i = 0; i < h.hlen(); i++) {
		out += digits[p[i] >> 4];
		out += digits[p[i] & 15];
	}
	return out;
}

std::vector<std::string> dmapi_mountpoints()
{
	std::ifstream mounts("/proc/self/mounts");
	std::vector<std::string> out;
	std::string line;
	while (std::getline(mounts, line)) {
		std::istringstream fields(line);
		std::string what, where, type;
		fields >> what >> where >> type;
		if (type == "dmapi")
			out.push_back(unescape_mount_field(where));
	}
	return out;
}

unsigned long long process_start(pid_t pid)
{
	/* Field 22 of /proc/PID/stat, after the parenthesised command. */
	std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
	std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	std::size_t pos = stat.rfind(')');
	if (pos == std::string::npos)
		return 0;
	std::istringstream fields(stat.substr(pos + 2));
	std::string field;
	for (int i = 3; i <= 22 && fields >> field; i++)
		if (i == 22)
			return std::strtoull(field.c_str(), nullptr, 10);
	return 0;
}

std::string command_session_info()
{
	return kCommandSession + std::to_string(getpid()) + " start " +
	       std::to_string(process_start(getpid()));
}

void reap_command_sessions()
{
	std::string_view prefix(kCommandSession);
	for (const auto &[sid, info] : xdsm::Session::all()) {
		if (info.compare(0, prefix.size(), prefix) != 0)
			continue;
		pid_t pid = 0;
		unsigned long long started = 0;
		if (std::sscanf(info.c_str() + prefix.size(), "%d start %llu", &pid, &started) != 2 ||
		    pid <= 0 || process_start(pid) == started)
			continue;
		try {
			/*
			 * Under our own command name: if we are killed before it
			 * is destroyed, the next reaper takes it for ours.
			 */
			auto dead = xdsm::Session::take_over(sid, command_session_info());
			for (dm_token_t t : dead.tokens())
				dead.respond(t, xdsm::Reply::cont());
			dead.destroy();
			log(Level::info, "reaped the session of killed dmhsm %d", pid);
		} catch (const std::system_error &e) {
			log(Level::debug, "session %d of killed dmhsm %d: %s", sid, pid, e.what());
		}
	}
}

xdsm::Handle handle_from_hex(const std::string &hex)
{
	auto nibble = [](char c) {
		return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
	};
	std::vector<unsigned char> bytes;
	if (hex.empty() || hex.size() % 2)
		return {};
	for (std::size_t i = 0; i < hex.size(); i += 2) {
		int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return {};
		bytes.push_back(static_cast<unsigned char>(hi * 16 + lo));
	}
	return xdsm::Handle(bytes.data(), bytes.size());
}

UserToken::~UserToken()
{
	try {
		session_.respond(token_, xdsm::Reply::cont());
	} catch (const std::system_error &e) {
		log(Level::warning, "token %llu: %s", static_cast<unsigned long long>(token_),
		    e.what());
	}
}

Store &Manager::store(const std::string &url)
{
	std::lock_guard<std::mutex> guard(stores_lock_);
	auto &slot = stores_[url];
	if (!slot)
		slot = Store::open(url);
	return *slot;
}

std::optional<Record> Manager::record(const xdsm::Handle &h, dm_token_t token)
{
	auto value = session_.dmattr(h, kAttribute, token);
	if (!value)
		return std::nullopt;
	auto rec = Record::decode(std::string_view(reinterpret_cast<const char *>(value->data()),
						   value->size()));
	if (!rec)
		fail("the DM attribute dmhsm is not a record of this HSM", EUCLEAN);
	return rec;
}

void Manager::set_record(const xdsm::Handle &h, dm_token_t token, const Record &rec)
{
	session_.set_dmattr(h, kAttribute, rec.encode(), token);
}

Outcome Manager::migrate(const xdsm::Handle &h, dm_token_t token, const std::string &store_url,
			 std::uint64_t stub, bool release, bool wait)
{
	xdsm::Right right(session_, h, token, DM_RIGHT_EXCL, wait);
	auto rec = record(h, token);
	if (rec && cut_within_stub(h, token, *rec))
		rec.reset();
	if (rec && rec->state == State::offline)
		return {"already offline", 0, rec};
	if (rec)
		return release ? release_locked(h, token, *rec, stub) :
				 Outcome{"already copied", 0, rec};

	dm_stat_t st = session_.fileattr(h, DM_AT_STAT, token);
	if (!S_ISREG(st.dt_mode))
		fail("not a regular file", EINVAL);

	/* From here on, a change makes the copy invalid. */
	Record copy;
	copy.state = State::dual;
	session_.set_regions(h, copy.regions(), token);

	Store &store = this->store(store_url);
	auto writer = store.create(handle_hex(h));
	std::vector<std::byte> buf(kChunk);
	std::uint64_t off = 0;
	for (;;) {
		std::size_t n = session_.read_invis(h, static_cast<dm_off_t>(off), buf.data(),
						    buf.size(), token);
		if (n == 0)
			break;
		writer->write(std::span<const std::byte>(buf.data(), n));
		off += n;
	}
	copy.object = writer->commit();
	copy.size = off;
	copy.mtime = static_cast<std::uint64_t>(st.dt_mtime);
	copy.store = store.url();
	set_record(h, token, copy);
	counters.migrated++;
	counters.migrated_bytes += off;
	if (!release)
		return {"copied", off, copy};
	Outcome out = release_locked(h, token, copy, stub);
	out.bytes = off;
	if (std::string_view(out.action) == "released")
		out.action = "migrated";
	return out;
}

Outcome Manager::release(const xdsm::Handle &h, dm_token_t token, std::uint64_t stub)
{
	xdsm::Right right(session_, h, token, DM_RIGHT_EXCL);
	auto rec = record(h, token);
	if (rec && cut_within_stub(h, token, *rec))
		rec.reset();
	if (!rec)
		fail("no copy in a store: migrate it first", ENODATA);
	if (rec->state == State::offline)
		return {"already offline", 0, rec};
	return release_locked(h, token, *rec, stub);
}

bool Manager::recalls_served(const xdsm::Handle &h)
{
	xdsm::Handle fs = h.filesystem();
	dm_eventset_t taken = 0;
	std::vector<char> buf(4096);
	for (const auto &session : xdsm::Session::all()) {
		std::size_t rlen = 0;
		while (dm_getall_disp(session.first, buf.size(), buf.data(), &rlen) != 0) {
			if (errno != E2BIG) {
				rlen = 0;	/* destroyed meanwhile */
				break;
			}
			buf.resize(rlen);
		}
		for (auto *d = reinterpret_cast<dm_dispinfo_t *>(buf.data()); rlen && d;
		     d = DM_STEP_TO_NEXT(d, dm_dispinfo_t *))
			if (xdsm::Handle(DM_GET_VALUE(d, di_fshandle, void *),
					 DM_GET_LEN(d, di_fshandle)) == fs)
				taken |= d->di_eventset;
	}
	for (dm_eventtype_t type : {DM_EVENT_READ, DM_EVENT_WRITE, DM_EVENT_TRUNCATE})
		if (!DMEV_ISSET(type, taken))
			return false;
	return true;
}

Outcome Manager::release_locked(const xdsm::Handle &h, dm_token_t token, Record rec,
				std::uint64_t stub)
{
	if (stub >= rec.size)
		return {"copied, nothing beyond the stub", 0, rec};
	/*
	 * A change with nobody taking its event (no daemon ran) left the
	 * record: the copy is stale, and punching would lose the change.
	 */
	dm_stat_t st = session_.fileattr(h, DM_AT_STAT, token);
	if (static_cast<std::uint64_t>(st.dt_size) != rec.size ||
	    (rec.mtime && static_cast<std::uint64_t>(st.dt_mtime) != *rec.mtime)) {
		go_online(h, token, rec);
		fail("changed since it was copied: its stale copy is dropped; migrate it again",
		     ESTALE);
	}
	if (!recalls_served(h))
		fail("no session takes the READ, WRITE and TRUNCATE events of its filesystem "
		     "(is dmhsmd running?): copied, but its data stays on disk", ESRCH);
	/* EINVAL: the stub rounded up to a block reaches the end. */
	dm_off_t roff = static_cast<dm_off_t>(rec.size);
	dm_size_t rlen = 0;
	try {
		std::tie(roff, rlen) = session_.probe_hole(h, static_cast<dm_off_t>(stub), 0, token);
	} catch (const std::system_error &e) {
		if (e.code().value() != EINVAL)
			throw;
	}
	if (static_cast<std::uint64_t>(roff) >= rec.size)
		return {"copied, nothing beyond the stub", 0, rec};
	rec.state = State::offline;
	rec.stub = static_cast<std::uint64_t>(roff);
	session_.set_regions(h, rec.regions(), token);
	set_record(h, token, rec);
	session_.punch_hole(h, roff, rlen, token);
	counters.released++;
	return {"released", 0, rec};
}

/*
 * A short write is the filesystem filling up: the next one fails with
 * ENOSPC, which the caller may answer by making space.
 */
std::size_t Manager::write_all(const xdsm::Handle &h, dm_token_t token, std::uint64_t off,
			       std::span<const std::byte> data)
{
	std::size_t total = 0;
	while (!data.empty()) {
		std::size_t n = session_.write_invis(h, static_cast<dm_off_t>(off + total),
						     data.data(), data.size(), token);
		if (n == 0)
			fail("dm_write_invis: nothing written", ENOSPC);
		data = data.subspan(n);
		total += n;
	}
	return total;
}

/*
 * Write @data at @off but for its whole blocks of zeros: beyond the stub
 * an offline file is a hole, which reads as zeros already, so a sparse
 * file comes back as sparse as it went, and needs no room for its holes.
 */
std::uint64_t Manager::write_sparse(const xdsm::Handle &h, dm_token_t token, std::uint64_t off,
				    std::span<const std::byte> data)
{
	constexpr std::uint64_t kBlock = 4096;
	std::uint64_t written = 0;
	std::size_t run = 0, pos = 0;	/* the data not written yet: [run, pos) */
	while (pos < data.size()) {
		std::size_t len = std::min<std::size_t>(data.size() - pos,
							 kBlock - (off + pos) % kBlock);
		auto block = data.subspan(pos, len);
		bool hole = len == kBlock && std::all_of(block.begin(), block.end(),
							 [](std::byte b) { return b == std::byte{0}; });
		if (hole && run < pos)
			written += write_all(h, token, off + run, data.subspan(run, pos - run));
		pos += len;
		if (hole)
			run = pos;
	}
	if (run < pos)
		written += write_all(h, token, off + run, data.subspan(run, pos - run));
	return written;
}

std::uint64_t Manager::restore(const xdsm::Handle &h, dm_token_t token, const Record &rec)
{
	auto reader = store(rec.store).read(rec.object);
	Sha256 digest;
	std::vector<std::byte> buf(kChunk);
	std::uint64_t off = 0, written = 0;
	for (;;) {
		std::size_t n = reader->read(buf);
		if (n == 0)
			break;
		std::span<const std::byte> data(buf.data(), n);
		digest.update(data);
		/*
		 * The stub is on disk already; and nothing past the size is
		 * written, so that a longer object cannot grow the file.
		 */
		std::uint64_t begin = std::max(off, rec.stub), end = std::min(off + n, rec.size);
		if (begin < end)
			written += write_sparse(h, token, begin,
						data.subspan(static_cast<std::size_t>(begin - off),
							     static_cast<std::size_t>(end - begin)));
		off += n;
	}
	if (off != rec.size || digest.hex() != rec.object.digest) {
		/* Nothing unverified stays readable. */
		session_.punch_hole(h, static_cast<dm_off_t>(rec.stub), 0, token);
		fail("object " + rec.object.digest + " in " + rec.store +
		     ": checksum or size mismatch", EIO);
	}
	session_.sync(h, token);
	return written;
}

std::uint64_t Manager::restore_or_make_space(const xdsm::Handle &h, dm_token_t token,
					     const Record &rec)
{
	std::uint64_t bytes;
	try {
		try {
			bytes = restore(h, token, rec);
		} catch (const std::system_error &e) {
			if (e.code().value() != ENOSPC || !make_space_)
				throw;
			log(Level::info, "recall of %s: filesystem full, releasing other files",
			    rec.object.owner.c_str());
			if (!make_space_(h.filesystem(), rec.size - rec.stub, h, token))
				throw;
			bytes = restore(h, token, rec);
		}
	} catch (...) {
		counters.failed_recalls++;
		throw;
	}
	counters.recalled++;
	counters.recalled_bytes += bytes;
	return bytes;
}

Outcome Manager::recall(const xdsm::Handle &h, dm_token_t token)
{
	xdsm::Right right(session_, h, token, DM_RIGHT_EXCL);
	auto rec = record(h, token);
	if (rec && cut_within_stub(h, token, *rec))
		rec.reset();
	if (!rec)
		return {"already online", 0, rec};
	if (rec->state != State::offline)
		return {"already on disk", 0, rec};
	std::uint64_t bytes = restore_or_make_space(h, token, *rec);
	rec->state = State::dual;
	set_record(h, token, *rec);
	session_.set_regions(h, rec->regions(), token);
	return {"recalled", bytes, rec};
}

void Manager::forget(const xdsm::Handle &h, dm_token_t token)
{
	/* The record goes first: regions without one are harmless. */
	session_.remove_dmattr(h, kAttribute, token);
	session_.set_regions(h, {}, token);
}

void Manager::go_online(const xdsm::Handle &h, dm_token_t token, const Record &rec)
{
	forget(h, token);
	/*
	 * The record's removal (and a truncation within the stub) on disk
	 * before the copy goes: a crash must not bring back an offline
	 * file whose copy is gone.  Unsynced, the copy stays for gc.
	 */
	try {
		session_.sync(h, token);
	} catch (const std::system_error &e) {
		log(Level::warning, "copy %s of %s stays in the store: %s", rec.object.digest.c_str(),
		    rec.object.owner.c_str(), e.what());
		return;
	}
	drop_copy(rec);
}

void Manager::drop_copy(const Record &rec)
{
	try {
		store(rec.store).remove(rec.object);
		counters.copies_removed++;
	} catch (const std::system_error &e) {
		log(Level::warning, "copy %s of %s stays in the store: %s",
		    rec.object.digest.c_str(), rec.object.owner.c_str(), e.what());
	}
}

bool Manager::cut_within_stub(const xdsm::Handle &h, dm_token_t token, const Record &rec)
{
	if (rec.state != State::offline)
		return false;
	dm_stat_t st = session_.fileattr(h, DM_AT_STAT, token);
	if (static_cast<std::uint64_t>(st.dt_size) > rec.stub)
		return false;
	go_online(h, token, rec);
	return true;
}

/*
 * The file's exclusive right for an event's handling.  EAGAIN says that
 * accesses admitted before it did not end within the module's
 * drain_timeout (a splice into a full pipe, say): they may yet, so ask a
 * few times before the event is answered with an error.
 */
std::unique_ptr<xdsm::Right> Manager::event_right(const xdsm::Handle &h, dm_token_t token)
{
	constexpr int kTries = 4;
	for (int tries = 1;; tries++) {
		try {
			return std::make_unique<xdsm::Right>(session_, h, token, DM_RIGHT_EXCL);
		} catch (const std::system_error &e) {
			if (e.code().value() != EAGAIN || tries == kTries)
				throw;
			log(Level::info, "token %llu: accesses in flight hold up the right; asking again",
			    static_cast<unsigned long long>(token));
		}
	}
}

xdsm::Reply Manager::on_data_event(const xdsm::Message &m)
{
	xdsm::DataEvent ev = m.data_event();
	dm_token_t token = m.token();
	auto right = event_right(ev.object, token);
	auto rec = record(ev.object, token);
	if (!rec) {
		/* Left by a crash between the record and its regions. */
		if (!session_.regions(ev.object, token).empty())
			session_.set_regions(ev.object, {}, token);
		return xdsm::Reply::cont();
	}
	if (cut_within_stub(ev.object, token, *rec))
		return xdsm::Reply::cont();
	bool changes = m.type() != DM_EVENT_READ;
	/*
	 * A truncation within the stub recalls nothing, and drops nothing:
	 * it has not happened yet, and may never (its process may give up
	 * waiting).  The copy goes at the next event once it has.
	 */
	if (m.type() == DM_EVENT_TRUNCATE && rec->state == State::offline &&
	    static_cast<std::uint64_t>(ev.offset) <= rec->stub)
		return xdsm::Reply::cont();
	if (rec->state == State::offline) {
		std::uint64_t bytes = restore_or_make_space(ev.object, token, *rec);
		log(Level::debug, "recalled %llu bytes of %s", static_cast<unsigned long long>(bytes),
		    rec->object.owner.c_str());
		rec->state = State::dual;
		if (!changes)
			set_record(ev.object, token, *rec);
	}
	if (changes)
		go_online(ev.object, token, *rec);
	else
		session_.set_regions(ev.object, rec->regions(), token);
	return xdsm::Reply::cont();
}

void Manager::on_destroy(const xdsm::Message &m)
{
	xdsm::DestroyEvent ev = m.destroy();
	if (ev.attrname != kAttribute || ev.attrcopy.empty())
		return;
	auto rec = Record::decode(ev.attrcopy);
	if (!rec) {
		log(Level::warning, "DESTROY: a dmhsm attribute that is no record");
		return;
	}
	drop_copy(*rec);
	log(Level::debug, "removed the copy of %s", rec->object.owner.c_str());
}

/*
 * Whether the filesystem of @h is managed now, mounted: its handle
 * resolves.  A handle of a filesystem not mounted fails EBADF, as one of
 * a file gone does.
 */
bool Manager::filesystem_managed(const xdsm::Handle &h)
{
	xdsm::Handle fs = h.filesystem();
	char byte;
	std::size_t rlen = 0;
	return dm_get_mountinfo(session_.id(), fs.hanp(), fs.hlen(), DM_NO_TOKEN, sizeof(byte),
				&byte, &rlen) == 0 ||
	       errno == E2BIG;
}

bool Manager::collect_orphan(const ObjectRef &ref, dm_token_t token, Store &store, bool remove,
			     const std::function<bool(const xdsm::Handle &)> &in_tree)
{
	xdsm::Handle h = handle_from_hex(ref.owner);
	if (h.empty())
		return false;	/* not a file's: not ours to judge */
	/* Held until the copy is gone: no migration of the file meanwhile. */
	std::optional<xdsm::Right> right;
	try {
		right.emplace(session_, h, token, DM_RIGHT_EXCL);
	} catch (const std::system_error &e) {
		/*
		 * The file is gone (EBADF) only if its filesystem is mounted:
		 * one not mounted, or another host's, fails EBADF too.
		 */
		if (e.code().value() != EBADF || !filesystem_managed(h) || in_tree(h))
			return false;
	}
	if (right) {
		auto rec = record(h, token);
		if (rec && rec->object.digest == ref.digest) {
			/* The file's copy, unless the file was cut within its stub. */
			dm_stat_t st = session_.fileattr(h, DM_AT_STAT, token);
			if (rec->state != State::offline ||
			    static_cast<std::uint64_t>(st.dt_size) > rec->stub)
				return false;
			if (remove)
				forget(h, token);
		}
	}
	if (remove)
		store.remove(ref);
	return true;
}

} // namespace hsm
