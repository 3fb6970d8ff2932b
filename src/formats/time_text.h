// Parsing of the time strings in GR Cup files: lap and sector durations
// ("1:37.428", "01:37.428", "37.428", "1:02:03.456", "+2.740"), ISO-8601 UTC
// timestamps ("2025-09-06T18:40:41.927Z") and US weather times
// ("9/6/2025 6:41:18 PM"). Durations are integer milliseconds so sums are exact.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace apex {

// "H:MM:SS.mmm", "M:SS.mmm", "MM:SS.mmm", "SS.mmm", "SS"; a leading '+' is allowed.
// nullopt for anything else, and for a part beyond a week (garbage, not a race time).
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

// "2025-09-06T18:40:41.927Z" (or without Z, or with +00:00) to milliseconds since the epoch.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

// "9/6/2025 6:41:18 PM" to milliseconds since the epoch (the string is taken as UTC).
std::optional<std::int64_t> parse_us_datetime_ms(std::string_view text);

std::optional<double> parse_double(std::string_view text);
std::optional<std::int64_t> parse_int(std::string_view text);

}  // namespace apex
