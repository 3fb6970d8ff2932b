#include "formats/time_text.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace apex {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Reads an unsigned integer of 1..max_digits digits at pos.
std::optional<std::int64_t> read_digits(std::string_view s, std::size_t& pos, std::size_t max_digits = 18) {
  std::size_t start = pos;
  std::int64_t value = 0;
  while (pos < s.size() && pos - start < max_digits && std::isdigit(static_cast<unsigned char>(s[pos])))
    value = value * 10 + (s[pos++] - '0');
  if (pos == start) return std::nullopt;
  return value;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool valid_date(std::int64_t y, std::int64_t m, std::int64_t d) {
  return y >= 1970 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

// Fractional seconds ".927" or ".9" or ".92700" to milliseconds (rounded).
std::optional<std::int64_t> read_fraction_ms(std::string_view s, std::size_t& pos) {
  if (pos >= s.size() || s[pos] != '.') return 0;
  ++pos;
  std::size_t start = pos;
  std::int64_t ms = 0;
  int digits = 0;
  int round_digit = 0;
  while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
    if (digits < 3)
      ms = ms * 10 + (s[pos] - '0');
    else if (digits == 3)
      round_digit = s[pos] - '0';
    ++digits;
    ++pos;
  }
  if (pos == start) return std::nullopt;
  for (int i = digits; i < 3; ++i) ms *= 10;
  if (round_digit >= 5) ++ms;
  return ms;
}

constexpr std::int64_t kMaxDurationS = 7LL * 24 * 3600;

}  // namespace

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  std::string_view s = trim(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  std::int64_t parts[3] = {0, 0, 0};
  int count = 0;
  std::size_t pos = 0;
  while (true) {
    auto v = read_digits(s, pos);
    if (!v || count == 3) return std::nullopt;
    parts[count++] = *v;
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      continue;
    }
    break;
  }
  auto fraction = read_fraction_ms(s, pos);
  if (!fraction || pos != s.size()) return std::nullopt;
  // No duration in race timing comes near a week (a whole race is hours; the longest ECU
  // lap value seen is about 2 hours): a bigger one is garbage, and would overflow below.
  for (int i = 0; i < count; ++i)
    if (parts[i] > kMaxDurationS) return std::nullopt;
  std::int64_t seconds = 0;
  if (count == 1) seconds = parts[0];
  if (count == 2) {
    if (parts[1] >= 60) return std::nullopt;
    seconds = parts[0] * 60 + parts[1];
  }
  if (count == 3) {
    if (parts[1] >= 60 || parts[2] >= 60) return std::nullopt;
    seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];
  }
  return seconds * 1000 + *fraction;
}

std::optional<std::int64_t> parse_iso8601_ms(std::string_view text) {
  std::string_view s = trim(text);
  std::size_t pos = 0;
  auto expect = [&](char c) {
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  auto y = read_digits(s, pos, 4);
  if (!y || !expect('-')) return std::nullopt;
  auto mo = read_digits(s, pos, 2);
  if (!mo || !expect('-')) return std::nullopt;
  auto d = read_digits(s, pos, 2);
  if (!d || !(expect('T') || expect(' '))) return std::nullopt;
  auto h = read_digits(s, pos, 2);
  if (!h || !expect(':')) return std::nullopt;
  auto mi = read_digits(s, pos, 2);
  if (!mi || !expect(':')) return std::nullopt;
  auto sec = read_digits(s, pos, 2);
  if (!sec) return std::nullopt;
  auto fraction = read_fraction_ms(s, pos);
  if (!fraction) return std::nullopt;
  std::string_view zone = s.substr(pos);
  if (!(zone.empty() || zone == "Z" || zone == "+00:00" || zone == "+0000")) return std::nullopt;
  if (!valid_date(*y, *mo, *d) || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
  std::int64_t days = days_from_civil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d));
  return ((days * 24 + *h) * 60 + *mi) * 60000 + *sec * 1000 + *fraction;
}

std::optional<std::int64_t> parse_us_datetime_ms(std::string_view text) {
  std::string_view s = trim(text);
  std::size_t pos = 0;
  auto expect = [&](char c) {
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  auto mo = read_digits(s, pos, 2);
  if (!mo || !expect('/')) return std::nullopt;
  auto d = read_digits(s, pos, 2);
  if (!d || !expect('/')) return std::nullopt;
  auto y = read_digits(s, pos, 4);
  if (!y || !expect(' ')) return std::nullopt;
  auto h = read_digits(s, pos, 2);
  if (!h || !expect(':')) return std::nullopt;
  auto mi = read_digits(s, pos, 2);
  if (!mi || !expect(':')) return std::nullopt;
  auto sec = read_digits(s, pos, 2);
  if (!sec) return std::nullopt;
  while (pos < s.size() && s[pos] == ' ') ++pos;
  std::string_view meridiem = s.substr(pos);
  std::int64_t hour = *h;
  if (meridiem == "AM" || meridiem == "am") {
    if (hour < 1 || hour > 12) return std::nullopt;
    if (hour == 12) hour = 0;
  } else if (meridiem == "PM" || meridiem == "pm") {
    if (hour < 1 || hour > 12) return std::nullopt;
    if (hour != 12) hour += 12;
  } else if (!meridiem.empty() || hour > 23) {
    return std::nullopt;
  }
  if (!valid_date(*y, *mo, *d) || *mi > 59 || *sec > 60) return std::nullopt;
  std::int64_t days = days_from_civil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d));
  return ((days * 24 + hour) * 60 + *mi) * 60000 + *sec * 1000;
}

std::optional<double> parse_double(std::string_view text) {
  std::string_view s = trim(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::string_view s = trim(text);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace apex
