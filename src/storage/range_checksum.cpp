#include "storage/range_checksum.h"

#include <algorithm>

#include "storage/crc32c.h"

namespace apex {

RangeChecksum::RangeChecksum(const StoredChecksums& stored, std::uint64_t object_size,
                             std::uint64_t range_bytes, std::uint64_t hold_limit_bytes)
    : object_size_(object_size), range_bytes_(std::max<std::uint64_t>(range_bytes, 1)) {
  hold_limit_ = hold_limit_bytes ? hold_limit_bytes : std::max(2 * range_bytes_, kMinHoldLimitBytes);
  ranges_ = (object_size_ + range_bytes_ - 1) / range_bytes_;
  if (!stored.crc32c.empty()) {
    algorithm_ = DigestAlgorithm::Crc32c;
    expected_hex_ = to_hex(stored.crc32c);
    range_crcs_.assign(ranges_, 0);
    return;
  }
  if (!stored.xxh128_hex.empty()) {
    algorithm_ = DigestAlgorithm::Xxh128;
    expected_hex_ = stored.xxh128_hex;
  } else if (!stored.md5_hex.empty()) {
    algorithm_ = DigestAlgorithm::Md5;
    expected_hex_ = stored.md5_hex;
  } else {
    return;
  }
  digest_.emplace(*algorithm_);
  held_.resize(ranges_);
  finished_.assign(ranges_, false);
}

void RangeChecksum::take(std::uint64_t range, std::string_view bytes) {
  if (!algorithm_ || range >= ranges_) return;
  if (*algorithm_ == DigestAlgorithm::Crc32c) {
    range_crcs_[range] = crc32c_extend(range_crcs_[range], bytes);
    return;
  }
  hash_in_order(range, bytes);
}

void RangeChecksum::hash_in_order(std::uint64_t range, std::string_view bytes) {
  std::unique_lock lock(mutex_);
  // The front's reader never waits, so the front always moves on and wakes the others.
  room_.wait(lock,
             [&] { return range == front_ || abandoned_ || held_bytes_ + bytes.size() <= hold_limit_; });
  if (abandoned_) return;
  if (range == front_) {
    digest_->update(bytes);
    return;
  }
  held_[range].append(bytes);
  held_bytes_ += bytes.size();
}

void RangeChecksum::abandon() {
  {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
  }
  room_.notify_all();
}

std::uint64_t RangeChecksum::held_bytes() {
  std::lock_guard lock(mutex_);
  return held_bytes_;
}

void RangeChecksum::finish_range(std::uint64_t range) {
  if (!digest_ || range >= ranges_) return;
  {
    std::lock_guard lock(mutex_);
    finished_[range] = true;
    advance_front();
  }
  room_.notify_all();
}

// Moves the front past finished ranges, hashing what was held for each new front.
void RangeChecksum::advance_front() {
  while (front_ < ranges_ && finished_[front_]) {
    if (++front_ == ranges_) return;
    digest_->update(held_[front_]);
    held_bytes_ -= held_[front_].size();
    held_[front_] = std::string();
  }
}

std::string RangeChecksum::actual_hex() {
  if (*algorithm_ != DigestAlgorithm::Crc32c) return digest_->finish_hex();
  std::uint32_t crc = 0;
  for (std::uint64_t range = 0; range < ranges_; ++range) {
    const std::uint64_t length = std::min(range_bytes_, object_size_ - range * range_bytes_);
    crc = crc32c_combine(crc, range_crcs_[range], length);
  }
  const char raw[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                       static_cast<char>(crc >> 8), static_cast<char>(crc)};
  return to_hex(std::string_view(raw, 4));
}

Status RangeChecksum::check(std::string_view key) {
  if (!algorithm_) return {};
  const std::string actual = actual_hex();
  if (actual == expected_hex_) return {};
  const std::string name = *algorithm_ == DigestAlgorithm::Crc32c ? "CRC32C (x-amz-checksum-crc32c)"
                           : *algorithm_ == DigestAlgorithm::Xxh128
                               ? "XXH3-128 (x-amz-meta-" + std::string(kStoredXxh128Metadata) + ")"
                               : "MD5 (x-amz-meta-" + std::string(kStoredMd5Metadata) + ")";
  return make_error(ErrorKind::Unavailable, "'" + std::string(key) +
                                                "': the checksum did not match: the bytes read have " + name +
                                                " " + actual + ", the object's stored one is " +
                                                expected_hex_ + " (damaged on the way); read it again");
}

}  // namespace apex
