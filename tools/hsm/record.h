// SPDX-License-Identifier: GPL-2.0
//
// What the HSM knows about a file, kept in its DM attribute "dmhsm":
// one line of text, so that `dmctl` and a hexdump show it plainly:
//
//   v1 state=offline size=1048576 stub=4096 store=dir:/srv/hsm
//      digest=<sha256> owner=<handle> mtime=<seconds>
//
// mtime, the file's when it was copied, is absent from older records.
// A file without the attribute is online: its data is on disk and
// nowhere else.  The managed regions a state needs are a function of
// the record, so that any event can put them right again.
#ifndef DMHSM_RECORD_H
#define DMHSM_RECORD_H

#include "store.h"

#include <xdsm/dmapi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hsm {

/** The DM attribute, and the return-on-destroy attribute. */
inline constexpr const char *kAttribute = "dmhsm";

enum class State {
	online,		/**< data on disk only */
	dual,		/**< data on disk and a valid copy in the store */
	offline,	/**< data beyond the stub in the store only */
};

const char *state_name(State state);

struct Record {
	State state = State::online;
	std::uint64_t size = 0;		/**< of the file when copied */
	std::uint64_t stub = 0;		/**< bytes kept on disk when offline */
	std::optional<std::uint64_t> mtime;	/**< of the file when copied */
	std::string store;		/**< the store's URL */
	ObjectRef object;

	std::string encode() const;
	/** The record in @value; std::nullopt if it is not one. */
	static std::optional<Record> decode(std::string_view value);

	/**
	 * The managed regions of the state: a copy is invalidated by any
	 * change, and data beyond the stub is recalled by any access.
	 */
	std::vector<dm_region_t> regions() const;
};

} // namespace hsm

#endif
