// The fields of a telemetry row read where they lie, inline since each runs once or more
// per row: lap numbers, numbers (bit for bit std::from_chars, faster), ISO-8601 times (a
// minute cache), the clock-offset sampling, and comparisons of short names.
#pragma once

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "formats/telemetry/sample_stage.h"
#include "formats/time_text.h"

namespace apex::telemetry_parsing {

inline bool is_digit(char c) {
  return static_cast<unsigned char>(c - '0') < 10;
}

__attribute__((always_inline)) inline std::uint64_t lap_code(std::string_view text) {
  if (text.empty() || text.size() > 6) return kLapUnknownCode;
  std::uint32_t lap = 0;
  for (char c : text) {
    if (!is_digit(c)) return kLapUnknownCode;
    lap = lap * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (lap == static_cast<std::uint32_t>(kLapCountLost)) return kLapLostCode;
  if (lap == 0 || lap >= kLapUnknownCode) return kLapUnknownCode;
  return lap;
}

constexpr float kPow10f[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
constexpr double kPow10d[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                              1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// d, within a few units in its last place of an exact decimal x, rounds to the float x rounds
// to unless a float midpoint is near d. In the normal float range a float's spacing is 2^29
// of a double's, so the midpoints are where the low 29 bits of d's significand are 2^28.
inline bool rounds_to_float_like_its_exact_value(double d) {
  if (!(d >= 1.2e-38 && d <= 3.4e38)) return false;  // subnormal or overflowing floats
  const std::uint64_t low = std::bit_cast<std::uint64_t>(d) & ((std::uint64_t{1} << 29) - 1);
  const std::uint64_t midpoint = std::uint64_t{1} << 28;
  return (low > midpoint ? low - midpoint : midpoint - low) > 64;
}

// parse_value's last way, out of line so the fast ways stay small: long digit strings
// ("0.34600000000000003"), exponents, padding.
[[gnu::noinline]] inline bool parse_value_slowly(std::string_view text, float& out) {
  std::string_view t = text;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (t.empty()) return false;
  float value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec == std::errc::result_out_of_range) return false;
  if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(value)) return false;
  out = value;
  return true;
}

// Three ways, fastest first, all equal to std::from_chars (tests compare bit for bit):
// - up to 24 significant bits and 10 fraction digits: m / 10^k with both exact in float, so
//   one float division is correctly rounded (Clinger's fast path);
// - up to 19 digits and 22 fraction digits: m / 10^k in double is within 2 ulps of the exact
//   value, which settles the float unless a float midpoint is that close (GPS minutes and the
//   17-digit values of real exports take this path);
// - anything else (more digits, exponents, padding): std::from_chars.
__attribute__((always_inline)) inline bool parse_value(std::string_view text, float& out) {
  const char* p = text.data();
  const char* const e = p + text.size();
  bool negative = false;
  if (p < e && (*p == '-' || *p == '+')) negative = *p++ == '-';
  // At most 19 digits (10^19 < 2^64): each loop runs to a precomputed limit, so a digit
  // costs one bounds check instead of a bounds check and a digit count.
  std::uint64_t mantissa = 0;
  const char* const integer_begin = p;
  for (const char* limit = p + std::min<std::ptrdiff_t>(e - p, 19); p < limit && is_digit(*p); ++p)
    mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
  int digits = static_cast<int>(p - integer_begin);
  int fraction = 0;
  if (p < e && *p == '.') {
    ++p;
    const char* const fraction_begin = p;
    for (const char* limit = p + std::min<std::ptrdiff_t>(e - p, 19 - digits); p < limit && is_digit(*p); ++p)
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
    fraction = static_cast<int>(p - fraction_begin);
    digits += fraction;
  }
  if (p == e && digits > 0 && !(fraction > 0 && text.back() == '.')) {
    if (mantissa <= (1u << 24) && fraction <= 10) {
      const float magnitude = static_cast<float>(mantissa) / kPow10f[fraction];
      out = negative ? -magnitude : magnitude;
      return true;
    }
    if (fraction <= 22) {
      const double magnitude = static_cast<double>(mantissa) / kPow10d[fraction];
      if (rounds_to_float_like_its_exact_value(magnitude)) {
        out = static_cast<float>(negative ? -magnitude : magnitude);
        return true;
      }
    }
  }
  return parse_value_slowly(text, out);
}

// Most timestamps share their minute with the previous one: "2025-09-05T00:28:20.593Z"
// costs a 16-byte compare and five digits once the minute is cached.
struct IsoCache {
  char minute[16] = {};
  std::int64_t minute_ms = 0;
  bool valid = false;
};

inline bool standard_iso_shape(std::string_view s) {
  return s.size() == 24 && s[16] == ':' && s[19] == '.' && s[23] == 'Z';
}

// Two 8-byte compares: GCC calls memcmp for a 16-byte memcmp here, which shows in a load's
// profile.
inline bool same_minute(const char* a, const char* b) {
  std::uint64_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
  std::memcpy(&a0, a, 8);
  std::memcpy(&a1, a + 8, 8);
  std::memcpy(&b0, b, 8);
  std::memcpy(&b1, b + 8, 8);
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

__attribute__((always_inline)) inline bool parse_time(std::string_view s, IsoCache& cache,
                                                      std::int64_t& out) {
  if (standard_iso_shape(s) && is_digit(s[17]) && is_digit(s[18]) && is_digit(s[20]) && is_digit(s[21]) &&
      is_digit(s[22])) {
    const int seconds = (s[17] - '0') * 10 + (s[18] - '0');
    const int millis = (s[20] - '0') * 100 + (s[21] - '0') * 10 + (s[22] - '0');
    if (cache.valid && seconds <= 59 && same_minute(s.data(), cache.minute)) {
      out = cache.minute_ms + seconds * 1000 + millis;
      return true;
    }
    auto full = parse_iso8601_ms(s);
    if (!full) return false;
    if (seconds <= 59) {
      std::memcpy(cache.minute, s.data(), 16);
      cache.minute_ms = *full - (seconds * 1000 + millis);
      cache.valid = true;
    }
    out = *full;
    return true;
  }
  auto full = parse_iso8601_ms(s);
  if (!full) return false;
  out = *full;
  return true;
}

// About one timestamp in sixteen feeds the clock-offset evidence; chosen by the time itself
// so the choice does not depend on how the file was split.
inline bool lag_sampled(std::int64_t ts) {
  return ((static_cast<std::uint64_t>(ts) * 0x9E3779B97F4A7C15ULL) >> 60) == 0;
}

constexpr std::size_t kShownFieldChars = 40;

// A field as quoted in an error message: at most kShownFieldChars of it, control bytes as
// \xNN (a NUL would cut the message short where it is printed as a C string, and a CR or
// ESC could garble a terminal).
inline std::string shown(std::string_view field) {
  std::string out;
  for (unsigned char c : field.substr(0, kShownFieldChars)) {
    if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
      continue;
    }
    constexpr char kHex[] = "0123456789abcdef";
    out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
  }
  if (field.size() > kShownFieldChars) out += "...";
  return out;
}

// Equality of short names without a call to memcmp (names are 3-30 bytes).
__attribute__((always_inline)) inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  if (n >= 8) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t x = 0;
      std::uint64_t y = 0;
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      if (x != y) return false;
    }
    std::uint64_t x = 0;
    std::uint64_t y = 0;
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    return x == y;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

__attribute__((always_inline)) inline bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && same_bytes(a.data(), b.data(), a.size());
}

}  // namespace apex::telemetry_parsing
