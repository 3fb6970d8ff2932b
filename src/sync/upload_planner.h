// The sync decisions of `apex upload` and `apex download`, as pure functions so they can
// be tested without a server. A file is the same as an object when the sizes agree and
// a content hash agrees. Small files are compared by MD5, which the listing's ETag already
// is for a single PUT (no KMS), so unchanged small files cost no request at all. Large
// files carry their XXH3-128 as x-amz-meta-xxh128 (a 128-bit hash at memory speed,
// several times faster than SHA-256 or MD5); a same-size large object costs one HEAD.
// An object that carries x-amz-meta-sha256 or x-amz-meta-md5 instead is compared by that.
#pragma once

#include <functional>
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

// Keys of the listing that are not among local_keys (both sorted), for --delete. A key
// equal to one of kept_keys, or under one of them as a folder (kept + "/..."), is never
// deleted: those are the local paths that could not be read.
std::vector<std::string> keys_to_delete(const std::vector<std::string>& local_keys, const Listing& remote,
                                        const std::vector<std::string>& kept_keys = {});

// The top-level folders of remote ("barber/", the tracks under data/) that deleting
// `deletions` would empty, each with how many objects it holds, sorted. A --delete that
// empties a whole track usually means the wrong folder or prefix, not a deleted track.
struct EmptiedFolder {
  std::string folder;
  std::size_t objects = 0;
};
std::vector<EmptiedFolder> folders_emptied(const std::vector<std::string>& deletions, const Listing& remote);

// True when key is kept_key itself or lies under it as a folder.
bool is_at_or_under(std::string_view key, std::string_view kept_key);

// Whether the parts an interrupted multipart upload already holds (ListParts) are exactly
// the local file's bytes, cut the way this run cuts it: each part's size must match and its
// ETag must equal the MD5 of the local bytes (md5_hex_of(offset, length)). On success,
// etags[i] is part i + 1's ETag, empty for a part still to send; else `problem` says why
// the upload cannot be resumed (it is then aborted and the file sent afresh).
struct StoredPartInfo {
  int number = 0;
  std::uint64_t size = 0;
  std::string etag;
};
struct ResumeCheck {
  std::vector<std::string> etags;
  std::size_t parts_reused = 0;
  std::string problem;
};
ResumeCheck check_stored_parts(
    const std::vector<StoredPartInfo>& stored, std::uint64_t part_size, std::uint64_t file_size,
    const std::function<Result<std::string>(std::uint64_t, std::size_t)>& md5_hex_of);

// The Content-Type S3 should serve a file with, from its extension (case-insensitive).
std::string_view content_type_for(std::string_view key);

// Part size for a multipart upload: at least `preferred` (and 5 MiB), grown so the object
// fits in S3's 10,000 parts.
std::uint64_t part_size_for(std::uint64_t object_size, std::uint64_t preferred);

}  // namespace apex::sync
