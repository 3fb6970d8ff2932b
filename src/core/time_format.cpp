#include "core/time_format.h"

#include <cstdio>

namespace apex {

std::string format_iso8601_ms(std::int64_t epoch_ms) {
  std::int64_t days = epoch_ms >= 0 ? epoch_ms / 86400000 : (epoch_ms - 86399999) / 86400000;
  std::int64_t ms_of_day = epoch_ms - days * 86400000;
  // civil_from_days (Howard Hinnant)
  std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y),
                m, d, static_cast<long long>(ms_of_day / 3600000),
                static_cast<long long>(ms_of_day / 60000 % 60), static_cast<long long>(ms_of_day / 1000 % 60),
                static_cast<long long>(ms_of_day % 1000));
  return buf;
}

std::string format_lap_time(std::int64_t ms) {
  char buf[96];
  const char* sign = ms < 0 ? "-" : "";
  std::int64_t a = ms < 0 ? -ms : ms;
  if (a >= 3600000)
    std::snprintf(buf, sizeof buf, "%s%lld:%02lld:%02lld.%03lld", sign, static_cast<long long>(a / 3600000),
                  static_cast<long long>(a / 60000 % 60), static_cast<long long>(a / 1000 % 60),
                  static_cast<long long>(a % 1000));
  else
    std::snprintf(buf, sizeof buf, "%s%lld:%02lld.%03lld", sign, static_cast<long long>(a / 60000),
                  static_cast<long long>(a / 1000 % 60), static_cast<long long>(a % 1000));
  return buf;
}

}  // namespace apex
