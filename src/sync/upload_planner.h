// The sync decisions of `apex upload` and `apex download`, as pure functions so they can
// be tested without a server. A file is the same as an object when the sizes agree and
// a content hash agrees. Small files are compared by MD5, which the listing's ETag already
// is for a single PUT (no KMS), so unchanged small files cost no request at all. Large
// files carry their XXH3-128 as x-amz-meta-xxh128 (a 128-bit hash at memory speed, where
// SHA-256 does ~1 GB/s and MD5 0.6 GB/s here); a same-size large object costs one HEAD.
// Objects stored with x-amz-meta-sha256 (large files of earlier versions) or
// x-amz-meta-md5 (small files) compare by that.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/content_digest.h"
#include "storage/object_store.h"

namespace apex::sync {

// The metadata names (x-amz-meta-md5, -xxh128, -sha256) holding the hex MD5, XXH3-128 or
// SHA-256 of the whole object.
inline constexpr std::string_view kMd5MetadataName = kStoredMd5Metadata;
inline constexpr std::string_view kXxh128MetadataName = kStoredXxh128Metadata;
inline constexpr std::string_view kSha256MetadataName = "sha256";

enum class SyncDecision {
  Transfer,   // send it
  Skip,       // the destination already holds these bytes
  NeedsHead,  // same size, but the listing's ETag does not tell: ask for the metadata
};

// remote: the object under the same key in the listing, nullptr when absent.
// local_md5: hex MD5 of the local bytes (needed only when sizes agree).
SyncDecision decide(std::uint64_t local_size, std::string_view local_md5, const ObjectInfo* remote,
                    bool force);

// After a HEAD: the whole-object hash the object can be compared by, best first: the
// XXH3-128, SHA-256 or MD5 metadata, else a plain-MD5 ETag (an opaque KMS ETag then just differs,
// which re-sends, never wrongly skips). nullopt: nothing to compare, send it.
struct RemoteHash {
  DigestAlgorithm algorithm;
  std::string hex;
};
std::optional<RemoteHash> remote_hash(const std::map<std::string, std::string>& metadata,
                                      std::string_view etag);

// Keys of the listing that are not among local_keys (both sorted), for --delete.
std::vector<std::string> keys_to_delete(const std::vector<std::string>& local_keys, const Listing& remote);

// The Content-Type S3 should serve a file with, from its extension (case-insensitive).
std::string_view content_type_for(std::string_view key);

// Part size for a multipart upload: at least `preferred` (and 5 MiB), grown so the object
// fits in S3's 10,000 parts.
std::uint64_t part_size_for(std::uint64_t object_size, std::uint64_t preferred);

}  // namespace apex::sync
