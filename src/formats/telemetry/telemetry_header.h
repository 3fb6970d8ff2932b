// The header row of a telemetry file: which columns hold what, and which of the two
// layouts (long format, JSON-in-CSV) the file has.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/error.h"

namespace apex::telemetry_parsing {

constexpr std::size_t kMaxColumns = 64;

struct Layout {
  int vehicle = -1;
  int timestamp = -1;
  int name = -1;
  int value = -1;
  int lap = -1;
  int meta_time = -1;
  std::size_t width = 0;
  bool json = false;
};

// The layout named by a header row; Corrupt, naming the file `key`, when it is not telemetry.
Result<Layout> read_header(std::string_view line, std::string_view key);

// First newline: the end of the header row (npos when not there yet). A row is one line
// (see telemetry_parser.h).
std::size_t first_row_end(std::string_view bytes);

}  // namespace apex::telemetry_parsing
