// RangeChecksum and read_ranges_in_parallel's verification: ranges arriving out of order,
// on several threads, are checked against a stored CRC32C, XXH3-128 or MD5; a changed byte
// fails the read as Unavailable naming the object; an object without a checksum is read
// as before.
#include "storage/range_checksum.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "piecewise_store.h"
#include "storage/content_digest.h"
#include "storage/parallel_read.h"

namespace apex {
namespace {

std::string checksum_test_bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  return s;
}

StoredChecksums checksums_of(std::string_view bytes, DigestAlgorithm algorithm) {
  StoredChecksums stored;
  ContentDigest digest(algorithm);
  digest.update(bytes);
  switch (algorithm) {
    case DigestAlgorithm::Crc32c:
      stored.crc32c = digest.finish();
      break;
    case DigestAlgorithm::Xxh128:
      stored.xxh128_hex = digest.finish_hex();
      break;
    default:
      stored.md5_hex = digest.finish_hex();
      break;
  }
  return stored;
}

// Feeds the object's ranges to checksum in the order given, each in pieces of 3 bytes.
void feed(RangeChecksum& checksum, std::string_view bytes, std::size_t range_bytes,
          const std::vector<std::uint64_t>& order) {
  for (std::uint64_t range : order) {
    std::string_view part = bytes.substr(range * range_bytes, range_bytes);
    for (std::size_t at = 0; at < part.size(); at += 3) checksum.take(range, part.substr(at, 3));
    checksum.finish_range(range);
  }
}

class RangeChecksumTest : public ::testing::TestWithParam<DigestAlgorithm> {};

TEST_P(RangeChecksumTest, RangesInAnyOrderMatchTheStoredChecksum) {
  const std::string bytes = checksum_test_bytes(95);
  RangeChecksum checksum(checksums_of(bytes, GetParam()), bytes.size(), 10);
  ASSERT_TRUE(checksum.verifies());
  feed(checksum, bytes, 10, {3, 0, 9, 1, 2, 5, 4, 8, 7, 6});
  auto verified = checksum.check("t/telemetry.csv");
  EXPECT_TRUE(verified) << verified.error().describe();
}

TEST_P(RangeChecksumTest, OneChangedByteIsUnavailableNamingTheObject) {
  const std::string bytes = checksum_test_bytes(95);
  std::string damaged = bytes;
  damaged[47] = damaged[47] == '7' ? '8' : '7';
  RangeChecksum checksum(checksums_of(bytes, GetParam()), bytes.size(), 10);
  feed(checksum, damaged, 10, {1, 0, 2, 3, 4, 5, 6, 7, 8, 9});
  auto verified = checksum.check("t/telemetry.csv");
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(verified.error().message.find("'t/telemetry.csv'"), std::string::npos)
      << verified.error().message;
  EXPECT_NE(verified.error().message.find("checksum did not match"), std::string::npos)
      << verified.error().message;
}

INSTANTIATE_TEST_SUITE_P(StoredChecksum, RangeChecksumTest,
                         ::testing::Values(DigestAlgorithm::Crc32c, DigestAlgorithm::Xxh128,
                                           DigestAlgorithm::Md5));

TEST(RangeChecksum, AnObjectWithoutAStoredChecksumIsNotVerified) {
  RangeChecksum checksum(StoredChecksums{}, 100, 10);
  EXPECT_FALSE(checksum.verifies());
  feed(checksum, checksum_test_bytes(100), 10, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_TRUE(checksum.check("k"));
}

TEST(RangeChecksum, CrcIsPreferredToTheHashesThatCannotCombine) {
  const std::string bytes = checksum_test_bytes(50);
  StoredChecksums stored = checksums_of(bytes, DigestAlgorithm::Crc32c);
  stored.xxh128_hex = std::string(32, '0');  // wrong, and not the one checked
  RangeChecksum checksum(stored, bytes.size(), 10);
  feed(checksum, bytes, 10, {4, 3, 2, 1, 0});
  EXPECT_TRUE(checksum.check("k"));
}

// With the front range slow, the ranges behind it are held only up to the limit: their
// reader waits until the front catches up, and the object still verifies.
TEST(RangeChecksum, RangesAheadOfASlowFrontAreHeldOnlyUpToTheLimit) {
  constexpr std::size_t kRange = 4096, kLimit = 8192;
  const std::string bytes = checksum_test_bytes(16 * kRange);
  RangeChecksum checksum(checksums_of(bytes, DigestAlgorithm::Xxh128), bytes.size(), kRange, kLimit);
  std::atomic<std::uint64_t> most_held{0};
  std::thread ahead([&] {
    for (std::uint64_t range = 1; range < 16; ++range) {
      for (std::size_t at = 0; at < kRange; at += 512) {
        checksum.take(range, std::string_view(bytes).substr(range * kRange + at, 512));
        most_held = std::max<std::uint64_t>(most_held, checksum.held_bytes());
      }
      checksum.finish_range(range);
    }
  });
  // The front arrives only once the reader ahead has filled what may be held.
  while (checksum.held_bytes() < kLimit) std::this_thread::yield();
  feed(checksum, bytes, kRange, {0});
  ahead.join();
  EXPECT_LE(most_held.load(), kLimit);
  EXPECT_TRUE(checksum.check("k"));
}

TEST(RangeChecksum, AbandoningReleasesAReaderWaitingForTheFront) {
  const std::string bytes = checksum_test_bytes(4 * 1024);
  RangeChecksum checksum(checksums_of(bytes, DigestAlgorithm::Md5), bytes.size(), 1024, 1024);
  std::thread ahead([&] {
    for (std::size_t at = 0; at < 2048; at += 256)
      checksum.take(1 + at / 1024, std::string_view(bytes).substr(1024 + at, 256));
  });
  while (checksum.held_bytes() < 1024) std::this_thread::yield();
  checksum.abandon();  // the front's read failed
  ahead.join();        // returns instead of waiting for a front that will never come
  EXPECT_EQ(checksum.held_bytes(), 1024u);
}

// A store whose bytes differ, at the same length, from those the plan's checksum was taken
// of: what a corrupting connection delivers.
TEST(ParallelReadVerification, DamagedBytesFailTheReadAndSayItIsWorthReadingAgain) {
  for (DigestAlgorithm algorithm : {DigestAlgorithm::Crc32c, DigestAlgorithm::Xxh128}) {
    test::PiecewiseStore store(3, 7);
    const std::string bytes = checksum_test_bytes(1000);
    std::string damaged = bytes;
    damaged[512] = damaged[512] == 'a' ? 'b' : 'a';
    ASSERT_TRUE(store.write_all("t/telemetry.csv", damaged));
    auto plan = plan_ranges(store, "t/telemetry.csv", ParallelReadOptions{64, 0});
    ASSERT_TRUE(plan);
    plan->checksums = checksums_of(bytes, algorithm);
    bool mismatch = false;
    auto read = read_ranges_in_parallel(
        store, "t/telemetry.csv", *plan, [](const RangePiece&) -> Status { return {}; }, {}, &mismatch);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, ErrorKind::Unavailable);
    EXPECT_NE(read.error().message.find("checksum did not match"), std::string::npos) << read.error().message;
    EXPECT_TRUE(mismatch);

    plan->checksums = checksums_of(damaged, algorithm);  // the store's own bytes pass
    mismatch = false;
    auto good = read_ranges_in_parallel(
        store, "t/telemetry.csv", *plan, [](const RangePiece&) -> Status { return {}; }, {}, &mismatch);
    EXPECT_TRUE(good) << good.error().describe();
    EXPECT_FALSE(mismatch);
  }
}

}  // namespace
}  // namespace apex
