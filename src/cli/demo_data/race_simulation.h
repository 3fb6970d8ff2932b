// The field and the race simulation of the demo data: the roster, where the quirks sit, and the
// lap rows of every car. Numbers and vehicle ids are fixed so the quirks sit at documented
// places; pace comes from the seed.
#pragma once

#include <array>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "cli/demo_data/text_format.h"
#include "cli/demo_data/track_model.h"
#include "cli/demo_data_generator.h"

namespace apex::demo_data {

struct RosterEntry {
  int number;              // race number in the official files
  const char* vehicle_id;  // ECU id; the number in it may be stale
  int id_number;           // the number inside the id (telemetry vehicle_number)
};

inline constexpr RosterEntry kRoster[] = {
    {7, "GR86-031-45", 45},    // stale number
    {13, "GR86-022-13", 13},   // ECU clock two days ahead
    {33, "GR86-044-000", 0},   // unassigned
    {55, "GR86-016-9", 9},     // stale number
    {46, "GR86-033-46", 46},   // race 1: mis-timed crossing
    {72, "GR86-026-072", 72},  // race 1: pit stop; padded number
    {98, "GR86-036-98", 98},  {21, "GR86-047-21", 21},    {2, "GR86-002-2", 2},    {5, "GR86-065-5", 5},
    {18, "GR86-030-18", 18},  {31, "GR86-015-031", 31},   {41, "GR86-006-41", 41}, {47, "GR86-025-47", 47},
    {51, "GR86-040-51", 51},  {58, "GR86-063-58", 58},    {80, "GR86-013-80", 80}, {88, "GR86-049-88", 88},
    {93, "GR86-038-93", 93},  {111, "GR86-060-111", 111},
};
inline constexpr int kRosterSize = static_cast<int>(std::size(kRoster));

// Where the quirks sit (roster indices): see the overview in demo_data_generator.cpp.
inline constexpr int kSkewedClockCar = 1;
inline constexpr int kPitCar = 5;
inline constexpr int kFcyFirstLap = 5;  // race 1: laps 5 and 6
inline constexpr int kPitInLap = 8;     // race 1: in-lap 8, out-lap 9
inline constexpr int kMisTimedCar = 4;
inline constexpr Ms kMisTimedErrorMs = 30'000;
inline constexpr std::array<int, 3> kTelemetryCars = {0, 1, 2};
inline constexpr Ms kTelemetryFrameMs = 500;  // 2 Hz; GPS, rpm and lap distance every other frame

struct LapOverride {
  int race;
  int car;
  int lap;
  bool start_row;  // false: the end and lap_time rows of the crossing that ends `lap`
  int value;
};
inline constexpr LapOverride kLapOverrides[] = {
    {1, 6, 3, false, 32768}, {1, 3, 7, true, 32768}, {1, 2, 2, true, 0},
    {2, 5, 6, false, 32768}, {2, 4, 9, true, 32768},
};

inline constexpr const char* kEvent = "I_R04_2025-07-20";
inline constexpr const char* kSource = "kafka:gr-raw";
inline constexpr Ms kLocalOffsetMs = -7 * 3'600'000;  // PDT

struct LapRow {
  int lap = 0;
  std::array<Ms, 3> sector{};   // S1..S3
  std::array<Ms, 3> split_a{};  // IM1a, IM2a, IM3a: first part of each sector
  Ms lap_ms = 0;
  Ms elapsed_ms = 0;
  Ms pit_time_ms = 0;  // on the out-lap
  bool in_pit = false;
  const char* flag = "GF";
  std::int64_t top_speed_tenths = 0;
};

struct CarRace {
  int roster = 0;
  double form_ms = 0;  // expected green-flag lap
  double degradation = 0;
  Ms grid_gap_ms = 0;    // from the green flag until the car crosses the line
  Ms ecu_offset_ms = 0;  // ECU clock minus true time
  bool retired = false;
  std::vector<LapRow> laps;

  const RosterEntry& entry() const { return kRoster[roster]; }
};

struct Race {
  int number = 1;
  std::string session;  // "R1"
  Ms green_ms = 0;      // epoch ms of the green flag
  int laps = 0;
  std::vector<CarRace> cars;
};

struct Context {
  const DemoDataOptions& options;
  TrackModel track;
  std::array<double, 3> base_sector_s{};
  std::array<double, 3> split_fraction{};  // base time of IMxa / base time of the sector
  std::vector<double> target_ms;           // per roster car, shared by both races
};

Race simulate_race(const Context& ctx, int number);

}  // namespace apex::demo_data
