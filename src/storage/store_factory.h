// Chooses where race data comes from: the local folder, or the S3 bucket when
// USE_S3_DATA is set. The only place above storage/ that names a concrete store.
#pragma once

#include <memory>

#include "config/config.h"
#include "storage/object_store.h"

namespace apex {

Result<std::unique_ptr<ObjectStore>> make_object_store(const Config& config);

}  // namespace apex
