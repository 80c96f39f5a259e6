// SPDX-License-Identifier: GPL-2.0
//
// The HSM's operations on one file, shared by dmhsm (the command line)
// and dmhsmd (the daemon): migrate, release, recall, and the answers to
// the events a managed file sends.  Each runs under a token that takes
// the file's exclusive right first, so that no access and no other
// operation sees a file half way, and in an order that a crash at any
// point leaves the file whole: the regions that catch an access are set
// before the record that needs them, and data is punched only after
// the record says where it is.
#ifndef DMHSM_HSM_H
#define DMHSM_HSM_H

#include "record.h"
#include "store.h"

#include <xdsm/dmapi.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hsm {

/** What an operation did to a file. */
struct Outcome {
	const char *action;		/**< "migrated", "released", "recalled", ... */
	std::uint64_t bytes = 0;	/**< data moved to or from the store */
	std::optional<Record> record;	/**< the file's record afterwards */
};

/** What the manager has done since it started. */
struct Counters {
	std::atomic<std::uint64_t> migrated{0};		/**< files copied */
	std::atomic<std::uint64_t> migrated_bytes{0};
	std::atomic<std::uint64_t> released{0};		/**< files punched */
	std::atomic<std::uint64_t> recalled{0};
	std::atomic<std::uint64_t> recalled_bytes{0};
	std::atomic<std::uint64_t> failed_recalls{0};
	std::atomic<std::uint64_t> copies_removed{0};
};

class Manager {
public:
	/*
	 * Called when a recall finds the filesystem full: free @need bytes
	 * on @fs without touching @exclude; whether any were freed.
	 */
	using SpaceMaker = std::function<bool(const xdsm::Handle &fs, std::uint64_t need,
					      const xdsm::Handle &exclude, dm_token_t token)>;

	explicit Manager(xdsm::Session &session) : session_(session) {}

	void on_full(SpaceMaker maker) { make_space_ = std::move(maker); }

	/** The store @url names, opened once. */
	Store &store(const std::string &url);

	/** The file's record, if it has one. */
	std::optional<Record> record(const xdsm::Handle &h, dm_token_t token);

	/**
	 * Copy the file to @store_url and, with @release, keep only @stub
	 * bytes on disk.  A file already copied is only released.
	 */
	Outcome migrate(const xdsm::Handle &h, dm_token_t token, const std::string &store_url,
			std::uint64_t stub, bool release, bool wait = true);

	/** Punch a copied (dual-state) file down to @stub bytes. */
	Outcome release(const xdsm::Handle &h, dm_token_t token, std::uint64_t stub);

	/** Bring an offline file's data back; the copy stays valid (dual). */
	Outcome recall(const xdsm::Handle &h, dm_token_t token);

	/** The answer to READ, WRITE or TRUNCATE on a managed file. */
	xdsm::Reply on_data_event(const xdsm::Message &m);

	/** DESTROY: drop the store's reference of the file gone. */
	void on_destroy(const xdsm::Message &m);

	/**
	 * Whether @ref is a copy no file's record names (its file is gone,
	 * or now online, or copied again, or truncated within its stub):
	 * what a crash or a lost DESTROY left behind; with @remove, it is
	 * removed from @store.  Judged and removed under the file's
	 * exclusive right, so that a migration in progress is never taken
	 * for garbage, nor one that starts meanwhile.  A handle refused
	 * (EBADF) proves the file gone only where @in_tree, asked then,
	 * says it cannot be in the tree: on a mount of a subtree, a file
	 * whose place the dentry cache has forgotten is refused too.
	 */
	bool collect_orphan(const ObjectRef &ref, dm_token_t token, Store &store, bool remove,
			    const std::function<bool(const xdsm::Handle &)> &in_tree);

	Counters counters;

private:
	std::unique_ptr<xdsm::Right> event_right(const xdsm::Handle &h, dm_token_t token);
	bool filesystem_managed(const xdsm::Handle &h);
	Outcome release_locked(const xdsm::Handle &h, dm_token_t token, Record rec,
			       std::uint64_t stub);
	std::uint64_t restore(const xdsm::Handle &h, dm_token_t token, const Record &rec);
	std::uint64_t restore_or_make_space(const xdsm::Handle &h, dm_token_t token,
					    const Record &rec);
	void set_record(const xdsm::Handle &h, dm_token_t token, const Record &rec);
	/*
	 * Whether sessions take the READ, WRITE and TRUNCATE events of @h's
	 * filesystem: without them an offline file would read as its holes,
	 * zeros, and take writes a recall would then overwrite.  A session
	 * whose daemon is down counts: accesses wait for its next start.
	 */
	bool recalls_served(const xdsm::Handle &h);
	/* Remove the record and the regions of a file: online now. */
	void forget(const xdsm::Handle &h, dm_token_t token);
	void go_online(const xdsm::Handle &h, dm_token_t token, const Record &rec);
	/*
	 * Whether an offline file was truncated within its stub (after a
	 * TRUNCATE that was answered): then it is made online, its copy
	 * dropped.  The file's right is held.
	 */
	bool cut_within_stub(const xdsm::Handle &h, dm_token_t token, const Record &rec);
	void drop_copy(const Record &rec);
	std::size_t write_all(const xdsm::Handle &h, dm_token_t token, std::uint64_t off,
			      std::span<const std::byte> data);
	std::uint64_t write_sparse(const xdsm::Handle &h, dm_token_t token, std::uint64_t off,
				   std::span<const std::byte> data);

	xdsm::Session &session_;
	SpaceMaker make_space_;
	std::mutex stores_lock_;
	std::map<std::string, std::unique_ptr<Store>> stores_;
};

/** A token of one's own (dm_create_userevent()), answered when it goes. */
class UserToken {
public:
	UserToken(xdsm::Session &s, std::string_view what)
		: session_(s), token_(s.create_userevent(what)) {}
	~UserToken();
	UserToken(const UserToken &) = delete;
	UserToken &operator=(const UserToken &) = delete;
	dm_token_t get() const { return token_; }

private:
	xdsm::Session &session_;
	dm_token_t token_;
};

/**
 * The info string of dmhsm's session: the prefix, the pid and the
 * process's start time, so that a reused pid is no live command.
 */
inline constexpr const char *kCommandSession = "dmhsm pid ";
std::string command_session_info();
unsigned long long process_start(pid_t pid);

/** The mountpoints of the dmapi filesystems, from /proc/self/mounts. */
std::vector<std::string> dmapi_mountpoints();

/**
 * Answer the tokens of the sessions of dmhsm commands that were killed,
 * which would hold their files' rights for ever, and destroy them.
 */
void reap_command_sessions();

/** The handle's bytes in hex: the store's owner name of a file. */
std::string handle_hex(const xdsm::Handle &h);
/** The handle whose bytes @hex gives; empty if it is not hex. */
xdsm::Handle handle_from_hex(const std::string &hex);

} // namespace hsm

#endif
