// ObjectStore: the one boundary between APEX and where race data lives.
//
// Keys are '/'-separated paths relative to the data root ("barber/R1_barber_lap_end.csv"),
// exactly as they appear under the data prefix of a bucket. Everything above storage/
// sees only this interface, so a local folder and an S3 bucket give identical answers.
//
// Contract: implementations are safe to call from several threads at once. No call
// throws; failures come back as Error values (NotFound for a missing key).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "storage/mapped_file.h"

namespace apex {

// Checksums of a whole object's bytes that its store keeps beside it, for a reader to check
// what it read; each empty where there is none. An object with none is read unverified.
// The user metadata names (x-amz-meta-NAME) `apex upload` stores its digests under.
inline constexpr std::string_view kStoredMd5Metadata = "md5";
inline constexpr std::string_view kStoredXxh128Metadata = "xxh128";

struct StoredChecksums {
  // A full-object x-amz-checksum-crc32c (raw, 4 big-endian bytes); never a multipart
  // upload's composite one ("...-N"), which is a CRC of part CRCs, not of the bytes.
  std::string crc32c;
  // Lower-case hex digests `apex upload` stores as user metadata (x-amz-meta-xxh128 for
  // large files, x-amz-meta-md5 for small ones).
  std::string xxh128_hex;
  std::string md5_hex;
  bool any() const { return !crc32c.empty() || !xxh128_hex.empty() || !md5_hex.empty(); }
};

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  // Changes whenever the content changes: the ETag on S3, size+mtime+ctime on disk (ctime
  // also when only the permissions change, so that a file made readable is read again).
  std::string version;
};

// An object's stat with the checksums its store keeps of its bytes.
struct VerifiableObjectInfo {
  ObjectInfo info;
  StoredChecksums checksums;
};

struct Listing {
  std::vector<ObjectInfo> objects;           // sorted by key
  std::vector<std::string> common_prefixes;  // only with a delimiter, each ending in it
};

// A half-open byte range [offset, offset + length); length nullopt = to the end.
struct ByteRange {
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length;
};

// Receives bytes in order. Returning an error stops the read and is passed back.
using ByteSink = std::function<Status(std::string_view chunk)>;

// Produces the bytes of an upload in order: fills buf, returns bytes written, 0 at end.
using ByteSource = std::function<Result<std::size_t>(char* buf, std::size_t capacity)>;

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Every object whose key starts with prefix; pagination is hidden. With a delimiter,
  // keys containing it after the prefix are rolled up into common_prefixes.
  virtual Result<Listing> list(std::string_view prefix, std::optional<char> delimiter) = 0;

  virtual Result<ObjectInfo> stat(std::string_view key) = 0;

  // stat() with the checksums of the whole object the store keeps beside it (S3: the same
  // HEAD), for a reader that checks what it read; none where the store keeps none.
  virtual Result<VerifiableObjectInfo> stat_with_checksums(std::string_view key);

  // Streams the bytes of key (or of a range of it) to sink, in order.
  virtual Status read(std::string_view key, ByteRange range, const ByteSink& sink) = 0;

  // Replaces key with the bytes from source. Readers never see a partial object.
  virtual Status write(std::string_view key, const ByteSource& source) = 0;

  virtual Status remove(std::string_view key) = 0;

  // Human-readable location for the operator's messages ("local folder data",
  // "s3://bucket/data/"). Never contains credentials.
  virtual std::string describe() const = 0;
  // The same for anyone who can reach /health: no path on the server's disk.
  virtual std::string describe_publicly() const { return describe(); }

  // How many ranged reads of one large object are worth running at once (see
  // storage/parallel_read.h): 1 where one sequential read is already as fast as the
  // medium (a disk), more where each read is one connection's worth (S3).
  virtual unsigned parallel_reads() const { return 1; }

  // The whole object as one read-only memory mapping (storage/mapped_file.h), for a reader
  // that goes through a large object once, with no copy: nullptr where the store has none
  // (S3, memory); then read() it. The caller checks MappedFile::damaged() after reading.
  virtual Result<std::unique_ptr<MappedFile>> map(std::string_view /*key*/) {
    return std::unique_ptr<MappedFile>();
  }

  // Convenience: the whole object in memory, with the version it had when read.
  Result<std::string> read_all(std::string_view key);
  Status write_all(std::string_view key, std::string_view bytes);
};

// Rejects keys that could escape the data root or are not plain relative paths:
// empty, absolute, "..", "." or empty segments, backslashes, NUL.
Status validate_key(std::string_view key);

}  // namespace apex
