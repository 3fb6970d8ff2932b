#include "storage/listing_rollup.h"

#include <string>

namespace apex {

Listing rollup_listing(std::vector<ObjectInfo> sorted_objects, std::string_view prefix,
                       std::optional<char> delimiter) {
  Listing listing;
  for (auto& object : sorted_objects) {
    if (delimiter) {
      auto cut = object.key.find(*delimiter, prefix.size());
      if (cut != std::string::npos) {
        std::string common = object.key.substr(0, cut + 1);
        if (listing.common_prefixes.empty() || listing.common_prefixes.back() != common)
          listing.common_prefixes.push_back(std::move(common));
        continue;
      }
    }
    listing.objects.push_back(std::move(object));
  }
  return listing;
}

}  // namespace apex
