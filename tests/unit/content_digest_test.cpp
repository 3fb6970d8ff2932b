// The checksums of storage/content_digest against published test vectors, and streamed
// updates against one-shot ones (apex upload hashes large files in 1 MiB chunks).
#include "storage/content_digest.h"

#include <gtest/gtest.h>

#include <string>

namespace apex {
namespace {

std::string hex_of(DigestAlgorithm algorithm, std::string_view bytes) {
  ContentDigest digest(algorithm);
  digest.update(bytes);
  return digest.finish_hex();
}

// A bitwise CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): slow and obviously
// right, the oracle for ISA-L's folded implementation.
std::uint32_t reference_crc32c(std::string_view bytes) {
  std::uint32_t crc = ~0u;
  for (unsigned char c : bytes) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string hex32(std::uint32_t v) {
  char out[9];
  std::snprintf(out, sizeof out, "%08x", v);
  return out;
}

TEST(ContentDigest, Crc32cMatchesPublishedVectors) {
  EXPECT_EQ(hex_of(DigestAlgorithm::Crc32c, "123456789"), "e3069283");            // the CRC catalogue's check
  EXPECT_EQ(hex_of(DigestAlgorithm::Crc32c, std::string(32, '\0')), "8a9136aa");  // RFC 3720 B.4
  EXPECT_EQ(hex_of(DigestAlgorithm::Crc32c, std::string(32, '\xff')), "62a8ab43");
  EXPECT_EQ(hex_of(DigestAlgorithm::Crc32c, ""), "00000000");
}

TEST(ContentDigest, Xxh128MatchesPublishedVectors) {
  // XXH3_128bits of the empty input, canonical (big-endian) form, from xxHash's test suite.
  EXPECT_EQ(hex_of(DigestAlgorithm::Xxh128, ""), "99aa06d3014798d86001c324468d497f");
}

TEST(ContentDigest, ChunkedUpdatesEqualOneShot) {
  std::string bytes;
  for (int i = 0; i < 3 * 1024 * 1024 + 17; ++i) bytes.push_back(static_cast<char>((i * 131 + i / 7) & 0xff));
  for (DigestAlgorithm algorithm :
       {DigestAlgorithm::Crc32c, DigestAlgorithm::Xxh128, DigestAlgorithm::Sha256, DigestAlgorithm::Md5}) {
    const std::string whole = hex_of(algorithm, bytes);
    ContentDigest chunked(algorithm);
    for (std::size_t at = 0, step = 1; at < bytes.size(); at += step, step = step * 3 + 1)
      chunked.update(std::string_view(bytes).substr(at, step));
    EXPECT_EQ(chunked.finish_hex(), whole) << static_cast<int>(algorithm);
  }
  EXPECT_EQ(hex_of(DigestAlgorithm::Crc32c, bytes), hex32(reference_crc32c(bytes)));
}

}  // namespace
}  // namespace apex
