// SPDX-License-Identifier: GPL-2.0
//
// Store plugins for plugin_test.cc, one per TEST_PLUGIN kind:
//   echo   a plugin of this build, whose open fails ENOTCONN naming the URL
//   stale  a plugin of another build (another DMHSM_PLUGIN_ABI)
//   empty  a shared object that exports no dmhsm_store_plugin
#include "plugin.h"

#include <cerrno>
#include <system_error>

#if TEST_PLUGIN_ECHO || TEST_PLUGIN_STALE
namespace {

std::unique_ptr<hsm::Bucket> open_echo(const hsm::StoreUrl &url)
{
	throw std::system_error(ENOTCONN, std::generic_category(),
				"echo plugin opened " + url.scheme + "://" + url.name);
}

} // namespace

DMHSM_STORE_PLUGIN(open_echo);
#else
extern "C" __attribute__((visibility("default"))) int dmhsm_store_something_else()
{
	return 1;
}
#endif
