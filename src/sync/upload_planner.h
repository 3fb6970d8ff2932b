// The sync decisions of `apex upload` and `apex download`, as pure functions so they can
// be tested without a server. A file is the same as an object when the sizes agree and
// the content MD5 agrees: taken from the ETag when it is a plain MD5 (single PUT, no
// KMS), otherwise from the x-amz-meta-md5 the uploader stores with every object.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/object_store.h"

namespace apex::sync {

// The metadata name (x-amz-meta-md5) holding the hex MD5 of the whole object.
inline constexpr std::string_view kMd5MetadataName = "md5";

enum class SyncDecision {
  Transfer,   // send it
  Skip,       // the destination already holds these bytes
  NeedsHead,  // same size, but the listing's ETag does not tell: ask for the metadata
};

// remote: the object under the same key in the listing, nullptr when absent.
// local_md5: hex MD5 of the local bytes (needed only when sizes agree).
SyncDecision decide(std::uint64_t local_size, std::string_view local_md5, const ObjectInfo* remote,
                    bool force);

// After a HEAD: whether the stored metadata vouches for these bytes.
bool metadata_matches(const std::map<std::string, std::string>& metadata, std::string_view local_md5);

// Keys of the listing that are not among local_keys (both sorted), for --delete.
std::vector<std::string> keys_to_delete(const std::vector<std::string>& local_keys, const Listing& remote);

// The Content-Type S3 should serve a file with, from its extension (case-insensitive).
std::string_view content_type_for(std::string_view key);

// Part size for a multipart upload: at least `preferred` (and 5 MiB), grown so the object
// fits in S3's 10,000 parts.
std::uint64_t part_size_for(std::uint64_t object_size, std::uint64_t preferred);

}  // namespace apex::sync
