// Builds a Listing from a sorted run of objects the way S3 does: keys with the
// delimiter after the prefix collapse into one common prefix. Shared by the stores
// that list in memory so they answer exactly like a bucket.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "storage/object_store.h"

namespace apex {

Listing rollup_listing(std::vector<ObjectInfo> sorted_objects, std::string_view prefix,
                       std::optional<char> delimiter);

}  // namespace apex
