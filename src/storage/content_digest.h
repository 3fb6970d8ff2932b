// Content hashes, incremental, so a body streamed in chunks is hashed as it passes without
// being held in memory:
//   - SHA-256 (OpenSSL EVP) for SigV4 payload hashes and signing keys;
//   - MD5 (OpenSSL EVP) to check bytes against an S3 ETag and for Content-MD5;
//   - XXH3-128 (libxxhash) as the identity of a large file's contents for `apex upload`'s
//     sync: 128 bits, at memory speed, several times faster than SHA-256 or MD5
//     (bench/README.md#apex-upload);
//   - CRC32C (ISA-L, which picks the PCLMUL/SSE4.2 code at run time) as the
//     x-amz-checksum-crc32c S3 verifies on a large PUT, also at memory speed.
// Raw digests are big-endian bytes (what S3 expects base64-encoded in checksum headers).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace apex {

enum class DigestAlgorithm { Sha256, Md5, Xxh128, Crc32c };

class ContentDigest {
 public:
  explicit ContentDigest(DigestAlgorithm algorithm);
  ~ContentDigest();
  ContentDigest(ContentDigest&&) noexcept;
  ContentDigest& operator=(ContentDigest&&) noexcept;

  void update(std::string_view bytes);
  // Raw digest bytes; the digest cannot be updated afterwards.
  std::string finish();
  std::string finish_hex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string sha256(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);
std::string md5_hex(std::string_view bytes);
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string to_hex(std::string_view bytes);

}  // namespace apex
