// SPDX-License-Identifier: GPL-2.0
//
// rados:// in a build without librados.
#include "objstore.h"

#include <cerrno>
#include <system_error>

namespace hsm {

std::unique_ptr<Bucket> open_rados_bucket(const StoreUrl &url)
{
	throw std::system_error(EPROTONOSUPPORT, std::generic_category(),
				url.str() + ": dmhsm was built without librados");
}

} // namespace hsm
