// Parsers for the official timing system's semicolon files: 23_ sections (laps),
// 03_/00_ results, 99_ best ten laps, 26_ weather. Columns are read by header name.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "model/timing.h"

namespace apex {

Result<OfficialLaps> parse_sections(std::string bytes, std::string_view object_key);
Result<Results> parse_results(std::string bytes, std::string_view object_key);
// A results file's GAP_FIRST / GAP_PREVIOUS text ("+2.740", "1 Lap", "14 Laps", "-").
ResultGap parse_result_gap(const std::string& text);
Result<BestLaps> parse_best_laps(std::string bytes, std::string_view object_key);
Result<Weather> parse_weather(std::string bytes, std::string_view object_key);

}  // namespace apex
