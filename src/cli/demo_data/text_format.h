// Text formatting of the demo data generator: the numbers, clock times, gaps and dates as the
// generated files write them, and the date arithmetic behind them. Integers through snprintf,
// doubles through std::to_chars (shortest round-trip form, exact and therefore
// platform-independent).
#pragma once

#include <cstdint>
#include <string>

namespace apex::demo_data {

using Ms = std::int64_t;
inline constexpr Ms kDayMs = 86'400'000;

std::string shortest(double v);
// Like Python's repr of a float, which the weather export uses: "993.0", "29.87".
std::string py_float(double v);
double round_to(double v, double scale);

constexpr std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

constexpr Ms epoch_ms(std::int64_t y, std::int64_t mo, std::int64_t d, std::int64_t h, std::int64_t mi,
                      std::int64_t s) {
  return ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60'000 + s * 1000;
}

std::string iso_ms(Ms t);
// Weather times: "7/19/2025 6:04:18 PM" (UTC, as at Barber).
std::string us_datetime(std::int64_t epoch_s);
// "1:50.123", or "1:02:03.456" from an hour on. Also the format of ELAPSED and S*_LARGE.
std::string clock_text(Ms ms);
// PIT_TIME: "0:00:35.158".
std::string hms_text(Ms ms);
// HOUR: local time of day of a crossing, "11:07:32.378".
std::string time_of_day(Ms local_ms);
// "26.9", "39.57", "27.0": trailing zeros dropped, as the official export does for some columns.
std::string seconds_trimmed(Ms ms);
std::string fixed_or_clock(Ms ms);
std::string trimmed_or_clock(Ms ms);
// One decimal from tenths: "131.5".
std::string tenths_text(std::int64_t tenths);
std::string int_text(std::int64_t v);
// Gaps in 03_ results ("+2.740", "+1:14.985") and in 05_ results by class ("+1'14.985").
std::string gap_text(Ms ms, char minute_separator);
std::string laps_down_text(int laps, bool always_plural);

}  // namespace apex::demo_data
