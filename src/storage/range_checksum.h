// Checks an object read in ranges, on several threads and out of order, against a checksum
// its store keeps (StoredChecksums), so that bytes damaged on the way are never taken for
// the object.
//
// Which checksum: a full-object CRC32C when there is one, since CRCs combine: each range's
// CRC is computed by the thread that receives it, where it lands, and the range CRCs combine
// into the object's (crc32c_combine) with no copy and no second pass. Otherwise XXH3-128, or
// MD5, from `apex upload`'s metadata: neither combines, so the object is hashed in order;
// the range at the front is hashed as it arrives and ranges that arrive ahead of their turn
// are held in memory until it comes. What is held is bounded (hold_limit_bytes): a reader
// ahead of the front waits in take() until the front catches up, so memory stays bounded
// however slow the front range is. Otherwise nothing can be checked: verifies() is false
// and the read is unverified.
//
// Threads: take() and finish_range() may be called from several threads at once, never for
// the same range at once; abandon() from any thread releases readers waiting in take() when
// the read fails; check() after every range has finished.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "storage/content_digest.h"
#include "storage/object_store.h"

namespace apex {

class RangeChecksum {
 public:
  // An object of object_size bytes read in ranges of range_bytes (the last one shorter).
  // hold_limit_bytes 0: two ranges, at least kMinHoldLimitBytes.
  RangeChecksum(const StoredChecksums& stored, std::uint64_t object_size, std::uint64_t range_bytes,
                std::uint64_t hold_limit_bytes = 0);

  static constexpr std::uint64_t kMinHoldLimitBytes = 16u << 20;

  bool verifies() const { return algorithm_.has_value(); }
  void take(std::uint64_t range, std::string_view bytes);
  void finish_range(std::uint64_t range);
  void abandon();
  std::uint64_t held_bytes();
  // Unavailable, naming key, when the bytes taken are not the stored checksum's.
  Status check(std::string_view key);

 private:
  void hash_in_order(std::uint64_t range, std::string_view bytes);
  void advance_front();
  std::string actual_hex();

  std::optional<DigestAlgorithm> algorithm_;
  std::string expected_hex_;
  std::uint64_t object_size_ = 0;
  std::uint64_t range_bytes_ = 0;
  std::uint64_t ranges_ = 0;

  std::vector<std::uint32_t> range_crcs_;  // CRC32C: one per range, each its reader's

  std::mutex mutex_;  // XXH3-128 / MD5: the in-order hash and the ranges held for it
  std::optional<ContentDigest> digest_;
  std::uint64_t front_ = 0;  // the range being hashed
  std::vector<std::string> held_;
  std::vector<bool> finished_;
  std::uint64_t held_bytes_ = 0;
  std::uint64_t hold_limit_ = 0;
  bool abandoned_ = false;
  std::condition_variable room_;  // signalled when the front moves or the read is abandoned
};

}  // namespace apex
