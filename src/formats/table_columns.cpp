#include "formats/table_columns.h"

#include "formats/time_text.h"

namespace apex {

Result<std::vector<std::size_t>> require_columns(const CsvTable& table, std::string_view expected_kind,
                                                 std::initializer_list<std::string_view> names) {
  std::vector<std::size_t> indexes;
  std::string missing;
  for (auto name : names) {
    auto index = table.column(name);
    if (!index) {
      missing += (missing.empty() ? "" : ", ") + std::string(name);
      continue;
    }
    indexes.push_back(*index);
  }
  if (!missing.empty())
    return make_error(ErrorKind::Corrupt, "'" + table.file_name() + "' is not a " +
                                              std::string(expected_kind) + " file: its header lacks " +
                                              missing);
  return indexes;
}

ParseReport start_report(const CsvTable& table, std::string_view object_key) {
  ParseReport report;
  report.object_key = std::string(object_key);
  report.rows = table.rows() + table.bad_rows();
  report.bad_rows = table.bad_rows();
  report.bad_row_reasons = table.bad_row_reasons();
  for (std::size_t row = 0; row < table.rows(); ++row)
    for (std::size_t column = 0; column < table.header().size(); ++column) {
      const std::string_view cell = table.cell(row, column);
      if (cell.empty() || (cell.front() != '-' && cell.front() != ' ')) continue;  // cheap: most cells
      if (auto value = parse_double(cell); value && *value <= kMissingValueSentinel)
        ++report.sentinel_cells[table.header()[column]];
    }
  return report;
}

void reject_row(ParseReport& report, const CsvTable& table, std::size_t row, std::string_view why) {
  ++report.bad_rows;
  if (report.bad_row_reasons.size() < CsvTable::kKeptReasons)
    report.bad_row_reasons.push_back(table.file_name() + " line " + std::to_string(table.line_of_row(row)) +
                                     ": " + std::string(why));
}

}  // namespace apex
