// Text formatting of the demo data generator: numbers, clock times, gaps and dates (see
// text_format.h).
#include "cli/demo_data/text_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/time_format.h"

namespace apex::demo_data {
namespace {

struct Civil {
  std::int64_t year, month, day;
};

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

// "36.920".
std::string seconds_fixed(Ms ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

}  // namespace

std::string shortest(double v) {
  if (v == 0.0) v = 0.0;  // no "-0"
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string py_float(double v) {
  std::string s = shortest(v);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

double round_to(double v, double scale) {
  return std::round(v * scale) / scale;
}

std::string iso_ms(Ms t) {
  return format_iso8601_ms(t);
}

std::string us_datetime(std::int64_t epoch_s) {
  const Civil c = civil_from_days(epoch_s / 86'400);
  const std::int64_t r = epoch_s % 86'400;
  const std::int64_t h = r / 3600;
  const std::int64_t h12 = h % 12 == 0 ? 12 : h % 12;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%lld/%lld/%lld %lld:%02lld:%02lld %s", static_cast<long long>(c.month),
                static_cast<long long>(c.day), static_cast<long long>(c.year), static_cast<long long>(h12),
                static_cast<long long>(r / 60 % 60), static_cast<long long>(r % 60), h < 12 ? "AM" : "PM");
  return buf;
}

std::string clock_text(Ms ms) {
  char buf[40];
  if (ms >= 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld.%03lld", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60), static_cast<long long>(ms / 1000 % 60),
                  static_cast<long long>(ms % 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld.%03lld", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms / 1000 % 60), static_cast<long long>(ms % 1000));
  }
  return buf;
}

std::string hms_text(Ms ms) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld.%03lld", static_cast<long long>(ms / 3'600'000),
                static_cast<long long>(ms / 60'000 % 60), static_cast<long long>(ms / 1000 % 60),
                static_cast<long long>(ms % 1000));
  return buf;
}

std::string time_of_day(Ms local_ms) {
  return hms_text(((local_ms % kDayMs) + kDayMs) % kDayMs);
}

std::string seconds_trimmed(Ms ms) {
  std::string s = seconds_fixed(ms);
  while (s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

std::string fixed_or_clock(Ms ms) {
  return ms >= 60'000 ? clock_text(ms) : seconds_fixed(ms);
}
std::string trimmed_or_clock(Ms ms) {
  return ms >= 60'000 ? clock_text(ms) : seconds_trimmed(ms);
}

std::string tenths_text(std::int64_t tenths) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%lld", static_cast<long long>(tenths / 10),
                static_cast<long long>(tenths % 10));
  return buf;
}

std::string int_text(std::int64_t v) {
  return std::to_string(v);
}

std::string gap_text(Ms ms, char minute_separator) {
  char buf[40];
  if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "+%lld.%03lld", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000));
  } else {
    std::snprintf(buf, sizeof buf, "+%lld%c%02lld.%03lld", static_cast<long long>(ms / 60'000),
                  minute_separator, static_cast<long long>(ms / 1000 % 60),
                  static_cast<long long>(ms % 1000));
  }
  return buf;
}

std::string laps_down_text(int laps, bool always_plural) {
  return std::to_string(laps) + (laps == 1 && !always_plural ? " Lap" : " Laps");
}

}  // namespace apex::demo_data
