// CRC32C and its combination: the CRCs of the pieces of a buffer, cut anywhere, combine
// into ISA-L's CRC of the whole buffer.
#include "storage/crc32c.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace apex {
namespace {

std::string crc_test_bytes(std::mt19937_64& random, std::size_t n) {
  std::string bytes(n, '\0');
  for (auto& c : bytes) c = static_cast<char>(random());
  return bytes;
}

TEST(Crc32c, MatchesTheCheckValueOfTheCastagnoliPolynomial) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the catalogue's check value
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c_extend(crc32c("12345"), "6789"), 0xE3069283u);
}

TEST(Crc32c, CombinedPieceCrcsEqualTheWholeBuffersCrcForRandomSplits) {
  std::mt19937_64 random(20240611);
  for (int round = 0; round < 200; ++round) {
    const std::size_t size = std::uniform_int_distribution<std::size_t>(0, 200'000)(random);
    const std::string bytes = crc_test_bytes(random, size);
    const int cuts = std::uniform_int_distribution<int>(0, 12)(random);
    std::vector<std::size_t> edges{0, size};
    for (int i = 0; i < cuts; ++i)
      edges.push_back(std::uniform_int_distribution<std::size_t>(0, size)(random));
    std::sort(edges.begin(), edges.end());
    std::uint32_t combined = 0;
    for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
      const std::string_view piece = std::string_view(bytes).substr(edges[i], edges[i + 1] - edges[i]);
      combined = crc32c_combine(combined, crc32c(piece), piece.size());
    }
    ASSERT_EQ(combined, crc32c(bytes)) << "size " << size << ", " << cuts << " cuts, round " << round;
  }
}

TEST(Crc32c, CombineAgreesWithExtendingTheCrcOverALongPiece) {
  std::mt19937_64 random(7);
  const std::string head = crc_test_bytes(random, 1000);
  const std::string long_piece = crc_test_bytes(random, 3u << 20);
  EXPECT_EQ(crc32c_combine(crc32c(head), crc32c(long_piece), long_piece.size()),
            crc32c_extend(crc32c(head), long_piece));
}

}  // namespace
}  // namespace apex
