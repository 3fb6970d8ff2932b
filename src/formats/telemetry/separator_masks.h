// Where the commas, newlines and quotes of 64 bytes are, as bit masks: SSE2 everywhere on
// x86-64, AVX2 for the separator loop's copy compiled for it, plain C elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace apex::telemetry_parsing {

struct Masks {
  std::uint64_t commas = 0;
  std::uint64_t newlines = 0;
  std::uint64_t quotes = 0;
};

inline Masks scan64(const char* p) {
  Masks m;
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i quote = _mm_set1_epi8('"');
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const auto shift = static_cast<unsigned>(16 * k);
    m.commas |=
        static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma))))
        << shift;
    m.newlines |=
        static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, newline))))
        << shift;
    m.quotes |=
        static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote))))
        << shift;
  }
#else
  for (unsigned i = 0; i < 64; ++i) {
    m.commas |= static_cast<std::uint64_t>(p[i] == ',') << i;
    m.newlines |= static_cast<std::uint64_t>(p[i] == '\n') << i;
    m.quotes |= static_cast<std::uint64_t>(p[i] == '"') << i;
  }
#endif
  return m;
}

// The masks of the 64 bytes of a block at base; a block's last bytes are scanned from a
// zero-padded copy, so the scan never reads past the block. `scan` is scan64, or
// scan_separators_avx2 in the AVX2 loop.
template <Masks (*scan)(const char*) = scan64>
__attribute__((always_inline)) inline Masks scan_block_at(const char* data, std::size_t n, std::size_t base) {
  if (n - base >= 64) return scan(data + base);
  alignas(32) char tail[64] = {};
  std::memcpy(tail, data + base, n - base);
  return scan(tail);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) inline std::uint64_t mask(__m256i bytes_equal) {
  return static_cast<std::uint32_t>(_mm256_movemask_epi8(bytes_equal));
}

// The same with AVX2, for the separator loop's AVX2 copy (parse_plain_block_avx2): two
// 32-byte compares per mask instead of four 16-byte ones. Only separators, as that loop
// needs: its blocks hold no quote. Not always_inline: GCC inlines it only into a caller
// compiled for AVX2, which is the one caller.
__attribute__((target("avx2"))) inline Masks scan_separators_avx2(const char* p) {
  const __m256i comma = _mm256_set1_epi8(',');
  const __m256i newline = _mm256_set1_epi8('\n');
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  Masks m;
  m.commas = mask(_mm256_cmpeq_epi8(lo, comma)) | mask(_mm256_cmpeq_epi8(hi, comma)) << 32;
  m.newlines = mask(_mm256_cmpeq_epi8(lo, newline)) | mask(_mm256_cmpeq_epi8(hi, newline)) << 32;
  return m;
}
#endif

// Whether this CPU runs the AVX2 + BMI2 copy of the separator loop (x86-64 CPUs since
// 2013-2015). Asked once.
inline bool cpu_has_avx2_bmi2() {
#if defined(__x86_64__)
  static const bool has =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
  return has;
#else
  return false;
#endif
}

}  // namespace apex::telemetry_parsing
