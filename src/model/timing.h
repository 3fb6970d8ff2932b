// The parsed contents of a session's timing files: ECU lap events and the official
// timing system's laps, results, best laps and weather. Built by formats/, read by
// analysis/. Times are integer milliseconds (durations) or ms since the epoch.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace apex {

// Rows a parser skipped, with the first few reasons ("file line N: why").
struct ParseReport {
  std::string object_key;
  std::size_t rows = 0;
  std::size_t bad_rows = 0;
  std::vector<std::string> bad_row_reasons;
  // Column -> cells holding the timing system's "no value" sentinel (-999): read as missing.
  std::map<std::string, std::size_t> sentinel_cells;
};

// One line crossing seen by a car's ECU (a row of a lap_start / lap_end / lap_time file).
struct LapEvent {
  std::string vehicle_id;
  int lap = 0;                           // as written: 32768 = lap count lost, 0 occurs too
  std::int64_t timestamp_ms = 0;         // the car's ECU clock
  std::int64_t meta_time_ms = 0;         // ingestion clock
  std::optional<std::int64_t> value_ms;  // schema B: ISO time (start/end) or duration (lap_time)
};

struct LapEvents {
  std::vector<LapEvent> events;
  ParseReport report;
};

// One lap of one car from the official 23_AnalysisEnduranceWithSections file.
struct OfficialLap {
  std::string car_number;  // NUMBER as written ("7.0" read as "7"; "03" and "3" stay two cars)
  // Which car of this number, in file order: two cars can share a number, each a block of
  // laps whose LAP_NUMBER starts again; the second is 2.
  int car_block = 1;
  int lap = 0;
  std::int64_t lap_time_ms = 0;
  std::optional<std::int64_t> s1_ms, s2_ms, s3_ms;
  std::string flag;  // GF, FCY, FF, ...
  bool crossing_in_pit = false;
  std::optional<std::int64_t> pit_time_ms;
  std::optional<double> kph;
  std::optional<double> top_speed_kph;
  std::optional<std::int64_t> elapsed_ms;
  std::string hour;  // local time of day as written
  std::string car_class;
  std::string driver_name;  // when the export carries names
  std::string team;
  // LAP_IMPROVEMENT: in the files seen, 2 on each car's official best lap, 3 on the
  // session's, 0 elsewhere (a deleted lap is never marked).
  std::optional<int> lap_improvement;
};

// A car's id in APEX: its number as written, and "-2", "-3" for the second and third car
// with that number ("3", "3-2").
inline std::string official_car_id(const std::string& car_number, int car_block) {
  return car_block <= 1 ? car_number : car_number + "-" + std::to_string(car_block);
}

struct OfficialLaps {
  std::vector<OfficialLap> laps;
  ParseReport report;
};

// One car of the official classification (03_/00_ results).
// A gap in a results file: "+2.740" is a time, "1 Lap" / "14 Laps" laps down, "-" or blank
// (the leader) neither.
struct ResultGap {
  std::optional<std::int64_t> ms;
  std::optional<int> laps;
};

struct ResultEntry {
  std::optional<int> position;  // nullopt for not classified
  std::string car_number;
  std::string status;
  int laps = 0;
  std::optional<std::int64_t> total_time_ms;
  ResultGap gap_first;
  ResultGap gap_previous;
  std::optional<int> fastest_lap_number;
  std::optional<std::int64_t> fastest_lap_ms;
  std::optional<double> fastest_lap_kph;
  std::string car_class;
  std::string vehicle;
};

struct Results {
  std::vector<ResultEntry> entries;
  ParseReport report;
};

// One car of 99_Best 10 Laps By Driver.
struct BestLapsEntry {
  std::string car_number;
  int total_driver_laps = 0;
  std::vector<std::pair<int, std::int64_t>> best;  // (lap number, ms), fastest first
  std::optional<std::int64_t> average_ms;
};

struct BestLaps {
  std::vector<BestLapsEntry> entries;
  ParseReport report;
};

struct WeatherSample {
  std::int64_t time_utc_ms = 0;
  std::optional<double> air_temp_c;
  std::optional<double> track_temp_c;  // a missing sensor reads 0 in the files: kept as nullopt
  std::optional<double> humidity_percent;
  std::optional<double> pressure_hpa;
  std::optional<double> wind_speed;
  std::optional<double> wind_direction_deg;
  bool rain = false;
};

struct Weather {
  std::vector<WeatherSample> samples;
  ParseReport report;
};

}  // namespace apex
