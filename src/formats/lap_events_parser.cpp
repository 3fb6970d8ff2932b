#include "formats/lap_events_parser.h"

#include "formats/csv_reader.h"
#include "formats/table_columns.h"
#include "formats/time_text.h"

namespace apex {

Result<LapEvents> parse_lap_events(std::string bytes, std::string_view object_key) {
  auto table = CsvTable::parse(std::move(bytes), object_key, ',');
  if (!table) return std::unexpected(table.error());
  auto columns = require_columns(*table, "lap event", {"vehicle_id", "lap", "timestamp"});
  if (!columns) return std::unexpected(columns.error());
  const std::size_t vehicle_col = (*columns)[0], lap_col = (*columns)[1], timestamp_col = (*columns)[2];
  const auto meta_time_col = table->column("meta_time");
  const auto value_col = table->column("value");

  LapEvents out;
  out.report = start_report(*table, object_key);
  out.events.reserve(table->rows());
  for (std::size_t row = 0; row < table->rows(); ++row) {
    std::string_view vehicle = table->cell(row, vehicle_col);
    auto lap = parse_int(table->cell(row, lap_col));
    auto timestamp = parse_iso8601_ms(table->cell(row, timestamp_col));
    if (vehicle.empty()) {
      reject_row(out.report, *table, row, "empty vehicle_id");
      continue;
    }
    if (!lap || *lap < 0 || *lap > 1'000'000) {
      reject_row(
          out.report, *table, row,
          "lap is not a whole number from 0 to 1000000: '" + std::string(table->cell(row, lap_col)) + "'");
      continue;
    }
    if (!timestamp) {
      reject_row(out.report, *table, row,
                 "timestamp is not an ISO-8601 time: '" + std::string(table->cell(row, timestamp_col)) + "'");
      continue;
    }
    LapEvent event;
    event.vehicle_id = std::string(vehicle);
    event.lap = static_cast<int>(*lap);
    event.timestamp_ms = *timestamp;
    if (meta_time_col) event.meta_time_ms = parse_iso8601_ms(table->cell(row, *meta_time_col)).value_or(0);
    if (value_col) {
      std::string_view value = table->cell(row, *value_col);
      if (auto iso = parse_iso8601_ms(value))
        event.value_ms = *iso;
      else if (auto ms = parse_int(value))
        event.value_ms = *ms;
    }
    out.events.push_back(std::move(event));
  }
  return out;
}

}  // namespace apex
