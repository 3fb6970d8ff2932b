#include "storage/crc32c.h"

#include <isa-l/crc.h>

#include <algorithm>
#include <array>
#include <cstddef>

namespace apex {

namespace {

// Reflected Castagnoli polynomial: bit 31 is x^0, bit 0 is x^31.
constexpr std::uint32_t kPolynomial = 0x82F63B78u;

// a(x) * b(x) mod P(x) over GF(2), both in the reflected bit order of the CRC register.
constexpr std::uint32_t multiply_mod_p(std::uint32_t a, std::uint32_t b) {
  std::uint32_t product = 0;
  for (std::uint32_t bit = 1u << 31; bit != 0; bit >>= 1) {
    if (a & bit) product ^= b;
    b = (b & 1) ? (b >> 1) ^ kPolynomial : b >> 1;
  }
  return product;
}

// x^(2^k * 8) mod P for k = 0..63: multiplying by x^(8n) shifts a CRC past n zero bytes,
// and any n is a product of these powers by its bits.
constexpr std::array<std::uint32_t, 64> byte_shift_powers() {
  std::array<std::uint32_t, 64> powers{};
  std::uint32_t power = 1u << 23;  // x^8 (bit 31 - 8)
  for (auto& entry : powers) {
    entry = power;
    power = multiply_mod_p(power, power);
  }
  return powers;
}

constexpr std::array<std::uint32_t, 64> kByteShiftPowers = byte_shift_powers();

// x^(8n) mod P.
std::uint32_t shift_for_bytes(std::uint64_t n) {
  std::uint32_t shift = 1u << 31;  // x^0
  for (std::size_t k = 0; n != 0; ++k, n >>= 1)
    if (n & 1) shift = multiply_mod_p(kByteShiftPowers[k], shift);
  return shift;
}

}  // namespace

std::uint32_t crc32c(std::string_view bytes) {
  return crc32c_extend(0, bytes);
}

std::uint32_t crc32c_extend(std::uint32_t finished_crc, std::string_view bytes) {
  // crc32_iscsi takes and returns the register without the final inversion, an int length
  // and a non-const pointer it only reads.
  std::uint32_t crc = ~finished_crc;
  while (!bytes.empty()) {
    const std::size_t n = std::min<std::size_t>(bytes.size(), std::size_t{1} << 30);
    crc = crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data())), static_cast<int>(n),
                      crc);
    bytes.remove_prefix(n);
  }
  return ~crc;
}

// ISA-L has no combine (crc.h offers only the CRCs themselves), so it is computed here the
// way zlib's crc32_combine does: crc(A·B) = crc(A)·x^(8|B|) mod P xor crc(B), the
// pre- and post-inversions cancelling out because both CRCs carry them.
std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t length_b) {
  return multiply_mod_p(shift_for_bytes(length_b), crc_a) ^ crc_b;
}

}  // namespace apex
