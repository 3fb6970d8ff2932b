#include "storage/content_digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <utility>

namespace apex {

namespace {

// Allocation failure inside OpenSSL leaves nothing sensible to return: like std::bad_alloc
// it ends the program rather than producing a wrong signature or checksum.
void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

struct ContentDigest::State {
  EVP_MD_CTX* ctx = nullptr;
  ~State() { EVP_MD_CTX_free(ctx); }
};

ContentDigest::ContentDigest(DigestAlgorithm algorithm) : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  require(state_->ctx != nullptr);
  const EVP_MD* md = algorithm == DigestAlgorithm::Sha256 ? EVP_sha256() : EVP_md5();
  require(EVP_DigestInit_ex(state_->ctx, md, nullptr) == 1);
}

ContentDigest::~ContentDigest() = default;
ContentDigest::ContentDigest(ContentDigest&&) noexcept = default;
ContentDigest& ContentDigest::operator=(ContentDigest&&) noexcept = default;

void ContentDigest::update(std::string_view bytes) {
  require(EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size()) == 1);
}

std::string ContentDigest::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  require(EVP_DigestFinal_ex(state_->ctx, out, &length) == 1);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string ContentDigest::finish_hex() {
  return to_hex(finish());
}

std::string sha256(std::string_view bytes) {
  ContentDigest digest(DigestAlgorithm::Sha256);
  digest.update(bytes);
  return digest.finish();
}

std::string sha256_hex(std::string_view bytes) {
  return to_hex(sha256(bytes));
}

std::string md5_hex(std::string_view bytes) {
  ContentDigest digest(DigestAlgorithm::Md5);
  digest.update(bytes);
  return digest.finish_hex();
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  require(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
               reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length) != nullptr);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 0x0f]);
  }
  return hex;
}

}  // namespace apex
