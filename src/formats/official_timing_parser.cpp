#include "formats/official_timing_parser.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

#include "formats/csv_reader.h"
#include "formats/table_columns.h"
#include "formats/time_text.h"

namespace apex {
namespace {

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::optional<double> measured(std::string_view cell) {
  auto value = parse_double(cell);
  if (value && *value <= kMissingValueSentinel) return std::nullopt;
  return value;
}

// A count or a lap number: never negative; a sentinel or a negative one is missing.
std::optional<int> counted(std::string_view cell) {
  auto value = parse_int(cell);
  if (!value || *value < 0 || *value > 1'000'000) return std::nullopt;
  return static_cast<int>(*value);
}

// NUMBER as written, but "7.0" is "7" (a spreadsheet's export). Leading zeros stay: at one
// track "03" and "3" are two cars in every file.
std::string car_number_text(std::string_view cell) {
  std::string number = trimmed(cell);
  const std::size_t dot = number.find('.');
  if (dot != std::string::npos && dot > 0 && number.find_first_not_of('0', dot + 1) == std::string::npos &&
      std::all_of(number.begin(), number.begin() + static_cast<std::ptrdiff_t>(dot),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    number.resize(dot);
  return number;
}

// Cars that share a number are blocks of laps, each starting again at a low LAP_NUMBER; a
// lap goes to the first car of its number whose last lap is below it, else starts a new
// one. Rows in file order or interleaved by time give the same blocks.
class CarBlocks {
 public:
  int block_of(const std::string& number, int lap) {
    std::vector<int>& last_laps = last_lap_of_block_[number];
    for (std::size_t i = 0; i < last_laps.size(); ++i)
      if (last_laps[i] < lap) {
        last_laps[i] = lap;
        return static_cast<int>(i) + 1;
      }
    last_laps.push_back(lap);
    return static_cast<int>(last_laps.size());
  }

 private:
  std::map<std::string, std::vector<int>> last_lap_of_block_;
};

// Reads an optional column's cell as text, or "" when the column is absent.
struct OptionalColumn {
  std::optional<std::size_t> index;
  std::string_view in(const CsvTable& table, std::size_t row) const {
    return index ? table.cell(row, *index) : std::string_view{};
  }
};

OptionalColumn first_of(const CsvTable& table, std::initializer_list<std::string_view> names) {
  for (auto name : names)
    if (auto index = table.column(name)) return OptionalColumn{index};
  return OptionalColumn{};
}

Result<CsvTable> semicolon_table(std::string bytes, std::string_view object_key) {
  return CsvTable::parse(std::move(bytes), object_key, ';');
}

}  // namespace

Result<OfficialLaps> parse_sections(std::string bytes, std::string_view object_key) {
  auto table = semicolon_table(std::move(bytes), object_key);
  if (!table) return std::unexpected(table.error());
  auto columns = require_columns(*table, "sections (23_AnalysisEnduranceWithSections)",
                                 {"NUMBER", "LAP_NUMBER", "LAP_TIME"});
  if (!columns) return std::unexpected(columns.error());
  const std::size_t number_col = (*columns)[0], lap_col = (*columns)[1], time_col = (*columns)[2];
  const OptionalColumn s1 = first_of(*table, {"S1", "S1_SECONDS"}),
                       s2 = first_of(*table, {"S2", "S2_SECONDS"}),
                       s3 = first_of(*table, {"S3", "S3_SECONDS"}), flag = first_of(*table, {"FLAG_AT_FL"}),
                       in_pit = first_of(*table, {"CROSSING_FINISH_LINE_IN_PIT"}),
                       pit_time = first_of(*table, {"PIT_TIME"}), kph = first_of(*table, {"KPH"}),
                       top_speed = first_of(*table, {"TOP_SPEED"}), elapsed = first_of(*table, {"ELAPSED"}),
                       hour = first_of(*table, {"HOUR"}), car_class = first_of(*table, {"CLASS"}),
                       driver = first_of(*table, {"DRIVER_NAME", "DRIVER_FIRSTNAME"}),
                       team = first_of(*table, {"TEAM"}), improvement = first_of(*table, {"LAP_IMPROVEMENT"});

  OfficialLaps out;
  CarBlocks blocks;
  out.report = start_report(*table, object_key);
  out.laps.reserve(table->rows());
  for (std::size_t row = 0; row < table->rows(); ++row) {
    std::string number = car_number_text(table->cell(row, number_col));
    auto lap = parse_int(table->cell(row, lap_col));
    auto lap_time = parse_duration_ms(table->cell(row, time_col));
    if (number.empty()) {
      reject_row(out.report, *table, row, "empty NUMBER");
      continue;
    }
    if (!lap || *lap < 0 || *lap > 100000) {
      reject_row(out.report, *table, row,
                 "LAP_NUMBER is not a lap number: '" + std::string(table->cell(row, lap_col)) + "'");
      continue;
    }
    if (!lap_time) {
      reject_row(out.report, *table, row,
                 "LAP_TIME is not a time: '" + std::string(table->cell(row, time_col)) + "'");
      continue;
    }
    OfficialLap official;
    official.car_block = blocks.block_of(number, static_cast<int>(*lap));
    official.car_number = std::move(number);
    official.lap = static_cast<int>(*lap);
    official.lap_time_ms = *lap_time;
    official.s1_ms = parse_duration_ms(s1.in(*table, row));
    official.s2_ms = parse_duration_ms(s2.in(*table, row));
    official.s3_ms = parse_duration_ms(s3.in(*table, row));
    official.flag = trimmed(flag.in(*table, row));
    official.crossing_in_pit = !trimmed(in_pit.in(*table, row)).empty();
    official.pit_time_ms = parse_duration_ms(pit_time.in(*table, row));
    official.kph = measured(kph.in(*table, row));
    official.top_speed_kph = measured(top_speed.in(*table, row));
    official.elapsed_ms = parse_duration_ms(elapsed.in(*table, row));
    official.hour = trimmed(hour.in(*table, row));
    official.car_class = trimmed(car_class.in(*table, row));
    official.driver_name = trimmed(driver.in(*table, row));
    official.team = trimmed(team.in(*table, row));
    if (auto marker = parse_int(improvement.in(*table, row)))
      official.lap_improvement = static_cast<int>(*marker);
    out.laps.push_back(std::move(official));
  }
  return out;
}

ResultGap parse_result_gap(const std::string& text) {
  ResultGap gap;
  if (text.empty() || text == "-") return gap;
  if (text.find("Lap") != std::string::npos) {
    gap.laps = static_cast<int>(parse_int(text.substr(0, text.find(' '))).value_or(0));
    if (*gap.laps <= 0) gap.laps.reset();
    return gap;
  }
  gap.ms = parse_duration_ms(text);
  return gap;
}

Result<Results> parse_results(std::string bytes, std::string_view object_key) {
  auto table = semicolon_table(std::move(bytes), object_key);
  if (!table) return std::unexpected(table.error());
  // 03_ files say POSITION, 05_ by-class files say POS.
  auto position = first_of(*table, {"POSITION", "POS"});
  auto columns = require_columns(*table, "results", {"NUMBER", "LAPS"});
  if (!columns) return std::unexpected(columns.error());
  if (!position.index)
    return make_error(ErrorKind::Corrupt,
                      "'" + std::string(object_key) + "' is not a results file: its header lacks POSITION");
  const std::size_t number_col = (*columns)[0], laps_col = (*columns)[1];
  const OptionalColumn status = first_of(*table, {"STATUS"}),
                       total = first_of(*table, {"TOTAL_TIME", "ELAPSED"}),
                       gap_first = first_of(*table, {"GAP_FIRST"}),
                       gap_previous = first_of(*table, {"GAP_PREVIOUS"}),
                       fl_lap = first_of(*table, {"FL_LAPNUM", "BEST_LAP_NUM"}),
                       fl_time = first_of(*table, {"FL_TIME", "BEST_LAP_TIME"}),
                       fl_kph = first_of(*table, {"FL_KPH", "BEST_LAP_KPH"}),
                       car_class = first_of(*table, {"CLASS"}), vehicle = first_of(*table, {"VEHICLE"});
  Results out;
  out.report = start_report(*table, object_key);
  for (std::size_t row = 0; row < table->rows(); ++row) {
    ResultEntry entry;
    entry.car_number = car_number_text(table->cell(row, number_col));
    if (entry.car_number.empty()) {
      reject_row(out.report, *table, row, "empty NUMBER");
      continue;
    }
    if (auto p = parse_int(position.in(*table, row)); p && *p > 0) entry.position = static_cast<int>(*p);
    entry.laps = counted(table->cell(row, laps_col)).value_or(0);
    entry.status = trimmed(status.in(*table, row));
    entry.total_time_ms = parse_duration_ms(total.in(*table, row));
    entry.gap_first = parse_result_gap(trimmed(gap_first.in(*table, row)));
    entry.gap_previous = parse_result_gap(trimmed(gap_previous.in(*table, row)));
    entry.fastest_lap_number = counted(fl_lap.in(*table, row));
    entry.fastest_lap_ms = parse_duration_ms(fl_time.in(*table, row));
    entry.fastest_lap_kph = measured(fl_kph.in(*table, row));
    entry.car_class = trimmed(car_class.in(*table, row));
    entry.vehicle = trimmed(vehicle.in(*table, row));
    out.entries.push_back(std::move(entry));
  }
  return out;
}

Result<BestLaps> parse_best_laps(std::string bytes, std::string_view object_key) {
  auto table = semicolon_table(std::move(bytes), object_key);
  if (!table) return std::unexpected(table.error());
  auto columns = require_columns(*table, "best laps (99_Best 10 Laps By Driver)", {"NUMBER", "BESTLAP_1"});
  if (!columns) return std::unexpected(columns.error());
  const std::size_t number_col = (*columns)[0];
  const OptionalColumn total = first_of(*table, {"TOTAL_DRIVER_LAPS"}),
                       average = first_of(*table, {"AVERAGE"});
  BestLaps out;
  out.report = start_report(*table, object_key);
  for (std::size_t row = 0; row < table->rows(); ++row) {
    BestLapsEntry entry;
    entry.car_number = car_number_text(table->cell(row, number_col));
    if (entry.car_number.empty()) {
      reject_row(out.report, *table, row, "empty NUMBER");
      continue;
    }
    entry.total_driver_laps = counted(total.in(*table, row)).value_or(0);
    for (int i = 1; i <= 10; ++i) {
      auto time_col = table->column("BESTLAP_" + std::to_string(i));
      auto lap_col = table->column("BESTLAP_" + std::to_string(i) + "_LAPNUM");
      if (!time_col || !lap_col) break;
      auto ms = parse_duration_ms(table->cell(row, *time_col));
      auto lap = counted(table->cell(row, *lap_col));
      if (ms && lap && *lap > 0) entry.best.emplace_back(*lap, *ms);
    }
    entry.average_ms = parse_duration_ms(average.in(*table, row));
    out.entries.push_back(std::move(entry));
  }
  return out;
}

Result<Weather> parse_weather(std::string bytes, std::string_view object_key) {
  auto table = semicolon_table(std::move(bytes), object_key);
  if (!table) return std::unexpected(table.error());
  auto seconds = first_of(*table, {"TIME_UTC_SECONDS"});
  auto text = first_of(*table, {"TIME_UTC_STR"});
  if (!seconds.index && !text.index)
    return make_error(ErrorKind::Corrupt,
                      "'" + std::string(object_key) +
                          "' is not a weather file: its header lacks TIME_UTC_SECONDS and TIME_UTC_STR");
  const OptionalColumn air = first_of(*table, {"AIR_TEMP"}), track = first_of(*table, {"TRACK_TEMP"}),
                       humidity = first_of(*table, {"HUMIDITY"}), pressure = first_of(*table, {"PRESSURE"}),
                       wind_speed = first_of(*table, {"WIND_SPEED"}),
                       wind_dir = first_of(*table, {"WIND_DIRECTION"}), rain = first_of(*table, {"RAIN"});
  Weather out;
  out.report = start_report(*table, object_key);
  for (std::size_t row = 0; row < table->rows(); ++row) {
    WeatherSample sample;
    if (auto s = parse_int(seconds.in(*table, row)))
      sample.time_utc_ms = *s * 1000;
    else if (auto t = parse_us_datetime_ms(text.in(*table, row)))
      sample.time_utc_ms = *t;
    else {
      reject_row(out.report, *table, row, "no readable time in TIME_UTC_SECONDS or TIME_UTC_STR");
      continue;
    }
    sample.air_temp_c = measured(air.in(*table, row));
    sample.track_temp_c = measured(track.in(*table, row));
    if (sample.track_temp_c == 0.0) sample.track_temp_c.reset();  // the sensor is missing, not freezing
    sample.humidity_percent = measured(humidity.in(*table, row));
    sample.pressure_hpa = measured(pressure.in(*table, row));
    sample.wind_speed = measured(wind_speed.in(*table, row));
    sample.wind_direction_deg = measured(wind_dir.in(*table, row));
    sample.rain = parse_double(rain.in(*table, row)).value_or(0) > 0;
    out.samples.push_back(sample);
  }
  return out;
}

}  // namespace apex
