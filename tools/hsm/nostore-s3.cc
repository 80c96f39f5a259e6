// SPDX-License-Identifier: GPL-2.0
//
// s3:// in a build without libs3.
#include "objstore.h"

#include <cerrno>
#include <system_error>

namespace hsm {

std::unique_ptr<Bucket> open_s3_bucket(const StoreUrl &url)
{
	throw std::system_error(EPROTONOSUPPORT, std::generic_category(),
				url.str() + ": dmhsm was built without libs3");
}

} // namespace hsm
