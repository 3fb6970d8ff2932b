// Hashes over OpenSSL's EVP interface: SHA-256 for SigV4 payload hashes and signing keys,
// MD5 to check downloaded and uploaded bytes against an S3 ETag. Incremental, so a body
// streamed in chunks is hashed as it passes without being held in memory.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace apex {

enum class DigestAlgorithm { Sha256, Md5 };

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
