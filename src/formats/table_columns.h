// Required and optional columns of a CsvTable, looked up once by header name, with
// an error naming the file and the missing columns when it is not the file its name says.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/csv_reader.h"
#include "model/timing.h"

namespace apex {

// Index of each required column, or a Corrupt error naming the file, what kind of
// file it should be, and the missing columns.
Result<std::vector<std::size_t>> require_columns(const CsvTable& table, std::string_view expected_kind,
                                                 std::initializer_list<std::string_view> names);

// The timing system writes -999 (and lower) for "no value": a number, but a missing one.
inline constexpr double kMissingValueSentinel = -999;

// A report seeded with the table's own bad rows and its count of sentinel cells per column.
ParseReport start_report(const CsvTable& table, std::string_view object_key);

// Counts a row the parser could not use and keeps the first reasons.
void reject_row(ParseReport& report, const CsvTable& table, std::size_t row, std::string_view why);

}  // namespace apex
