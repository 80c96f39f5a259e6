// SPDX-License-Identifier: GPL-2.0
//
// Store plugins.  Each object-store backend is a shared object,
// dmhsm-store-SCHEME.so (rados, s3), loaded the first time a URL of its
// scheme is opened.  So the HSM's programs neither load Ceph's and
// libs3's libraries at every start (about a second of it under
// emulation) nor need them installed; only a store of that scheme does.
//
// A plugin is looked for, the first found winning:
//   $DMHSM_PLUGIN_DIR          alone, when set
//   the program's run path     which the build tree's programs name
//   BINDIR/../LIBDIR/dmhsm     where make install puts them (LIBDIR/dmhsm),
//                              found from the program's own place, so that
//                              the installed tree works under any PREFIX
//
// Plugin and program pass C++ objects, so a plugin must come from the
// same build as the program: it is refused unless its DMHSM_PLUGIN_ABI
// (release and compiler) is the program's.
#ifndef DMHSM_PLUGIN_H
#define DMHSM_PLUGIN_H

#include "objstore.h"

#include <memory>

#ifndef DMHSM_PLUGIN_ABI
#error "DMHSM_PLUGIN_ABI must name the release and compiler"
#endif

namespace hsm {

/** What a store plugin exports, as the symbol dmhsm_store_plugin. */
struct StorePlugin {
	/** DMHSM_PLUGIN_ABI of the build it came from. */
	const char *abi;
	/** Open the bucket @url names (a URL of the plugin's scheme). */
	std::unique_ptr<Bucket> (*open)(const StoreUrl &url);
};

/**
 * The plugin of @url's scheme, loaded by the first call and kept loaded;
 * throws EPROTONOSUPPORT if none loads, with why for each one found.
 */
const StorePlugin &store_plugin(const StoreUrl &url);

} // namespace hsm

/** Define a plugin's dmhsm_store_plugin, whose buckets @open_fn opens. */
#define DMHSM_STORE_PLUGIN(open_fn)                                                            \
	extern "C" __attribute__((visibility("default"))) const hsm::StorePlugin                 \
		dmhsm_store_plugin = {DMHSM_PLUGIN_ABI, (open_fn)}

#endif
