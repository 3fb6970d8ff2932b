#include "storage/content_digest.h"

#include <isa-l/crc.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

// Inlined: the one-shot and streaming XXH3 functions compile into this file, so the build
// needs only the header of libxxhash-dev.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <climits>
#include <cstdint>
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
  DigestAlgorithm algorithm;
  EVP_MD_CTX* ctx = nullptr;    // Sha256, Md5
  XXH3_state_t* xxh = nullptr;  // Xxh128
  std::uint32_t crc = ~0u;      // Crc32c: ISA-L's crc32_iscsi takes and returns the
                                // register without the final inversion
  ~State() {
    EVP_MD_CTX_free(ctx);
    XXH3_freeState(xxh);
  }
};

ContentDigest::ContentDigest(DigestAlgorithm algorithm) : state_(std::make_unique<State>()) {
  state_->algorithm = algorithm;
  switch (algorithm) {
    case DigestAlgorithm::Sha256:
    case DigestAlgorithm::Md5:
      state_->ctx = EVP_MD_CTX_new();
      require(state_->ctx != nullptr);
      require(EVP_DigestInit_ex(state_->ctx, algorithm == DigestAlgorithm::Sha256 ? EVP_sha256() : EVP_md5(),
                                nullptr) == 1);
      break;
    case DigestAlgorithm::Xxh128:
      state_->xxh = XXH3_createState();
      require(state_->xxh != nullptr && XXH3_128bits_reset(state_->xxh) == XXH_OK);
      break;
    case DigestAlgorithm::Crc32c:
      break;
  }
}

ContentDigest::~ContentDigest() = default;
ContentDigest::ContentDigest(ContentDigest&&) noexcept = default;
ContentDigest& ContentDigest::operator=(ContentDigest&&) noexcept = default;

void ContentDigest::update(std::string_view bytes) {
  switch (state_->algorithm) {
    case DigestAlgorithm::Sha256:
    case DigestAlgorithm::Md5:
      require(EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size()) == 1);
      break;
    case DigestAlgorithm::Xxh128:
      require(XXH3_128bits_update(state_->xxh, bytes.data(), bytes.size()) == XXH_OK);
      break;
    case DigestAlgorithm::Crc32c:
      // crc32_iscsi takes an int length (and a non-const pointer it only reads).
      while (!bytes.empty()) {
        const std::size_t n = std::min<std::size_t>(bytes.size(), std::size_t{1} << 30);
        state_->crc = crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data())),
                                  static_cast<int>(n), state_->crc);
        bytes.remove_prefix(n);
      }
      break;
  }
}

std::string ContentDigest::finish() {
  switch (state_->algorithm) {
    case DigestAlgorithm::Sha256:
    case DigestAlgorithm::Md5: {
      unsigned char out[EVP_MAX_MD_SIZE];
      unsigned int length = 0;
      require(EVP_DigestFinal_ex(state_->ctx, out, &length) == 1);
      return std::string(reinterpret_cast<const char*>(out), length);
    }
    case DigestAlgorithm::Xxh128: {
      XXH128_canonical_t out;
      XXH128_canonicalFromHash(&out, XXH3_128bits_digest(state_->xxh));
      return std::string(reinterpret_cast<const char*>(out.digest), sizeof out.digest);
    }
    case DigestAlgorithm::Crc32c: {
      const std::uint32_t crc = ~state_->crc;
      const char out[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                           static_cast<char>(crc >> 8), static_cast<char>(crc)};
      return std::string(out, 4);
    }
  }
  std::abort();
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
