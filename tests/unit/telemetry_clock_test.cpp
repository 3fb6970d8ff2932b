// The telemetry's clock against its lap files': generated telemetry shifted by hours and days,
// and the real Barber R1 sample beside the real Barber R1 lap files.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/ecu_laps.h"
#include "analysis/telemetry_laps.h"
#include "cli/demo_data_generator.h"
#include "core/time_format.h"
#include "formats/lap_events_parser.h"
#include "formats/time_text.h"
#include "load/telemetry_loader.h"
#include "storage/local_store.h"
#include "test_paths.h"

namespace apex {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("apex-telclock-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Moves the telemetry's `timestamp` column by shift_ms, leaving meta_time as it was: the
// car's logger clock is off, the ingestion clock and the lap files are not.
void shift_timestamps(const fs::path& file, std::int64_t shift_ms) {
  std::istringstream in(read_text(file));
  std::string line, out;
  std::getline(in, line);
  out += line + "\n";
  std::size_t column = 0;
  {
    std::istringstream header(line);
    std::string name;
    for (std::size_t i = 0; std::getline(header, name, ','); ++i)
      if (name == "timestamp") column = i;
  }
  ASSERT_GT(column, 0u);
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    std::string cell;
    while (std::getline(row, cell, ',')) cells.push_back(cell);
    if (line.ends_with(',')) cells.emplace_back();
    ASSERT_GT(cells.size(), column) << line;
    auto t = parse_iso8601_ms(cells[column]);
    ASSERT_TRUE(t.has_value()) << cells[column];
    cells[column] = format_iso8601_ms(*t + shift_ms);
    for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cells[i];
    out += "\n";
  }
  std::ofstream(file, std::ios::binary) << out;
}

std::vector<EcuVehicleLaps> ecu_laps_of(LocalStore& store, const std::string& starts_key,
                                        const std::string& ends_key) {
  auto starts = parse_lap_events(*store.read_all(starts_key), starts_key);
  auto ends = parse_lap_events(*store.read_all(ends_key), ends_key);
  EXPECT_TRUE(starts.has_value() && ends.has_value());
  if (!starts || !ends) return {};
  return build_ecu_laps(starts->events, ends->events);
}

const EcuVehicleLaps* find_car(const std::vector<EcuVehicleLaps>& ecu, const std::string& id) {
  for (const EcuVehicleLaps& e : ecu)
    if (e.vehicle_id == id) return &e;
  return nullptr;
}

TEST(TelemetryClock, LapBoundsDecideTheOffsetAndPartialLapsHaveNoTime) {
  // Laps 3 and 4 cross the line at 100 000, 200 000, 300 000 on the lap files' clock; the
  // telemetry runs a day behind, sampled every 100 ms from 150 000 to 250 000 lap-file time.
  const std::int64_t day = 86'400'000;
  VehicleTelemetry v;
  v.vehicle_id = "A";
  ChannelSeries s;
  for (std::int64_t t = 150'000; t < 250'000; t += 100) {
    const int lap = t < 200'000 ? 3 : 4;
    if (s.lap_runs.empty() || s.lap_runs.back().lap != lap)
      s.lap_runs.push_back(LapRun{static_cast<std::uint32_t>(s.time_ms.size()), lap});
    s.time_ms.push_back(t - day);
    s.value.push_back(100.0F);
  }
  v.channels.push_back(s);
  EcuVehicleLaps laps;
  laps.vehicle_id = "A";
  laps.laps = {EcuLap{3, false, 100'000, 200'000, 100'000, true, {}},
               EcuLap{4, false, 200'000, 300'000, 100'000, true, {}}};

  // No meta_time: the lap bounds alone, to the sample spacing.
  TelemetryClock clock = telemetry_clock(v, &laps);
  EXPECT_EQ(clock.source, ClockSource::LapChanges);
  EXPECT_EQ(clock.matched_laps, 2);
  EXPECT_LE(std::abs(clock.offset_ms - day), clock.uncertainty_ms);
  EXPECT_LE(clock.uncertainty_ms, 50);

  // A meta_time guess a lap away from the truth matches no lap: the guess is all there is.
  v.ingest_lags = {{day + 100'000, 10}};
  laps.ingest_clock = ClockOffset{0, 0, 10};
  clock = telemetry_clock(v, &laps);
  EXPECT_EQ(clock.source, ClockSource::MetaTime);
  EXPECT_EQ(clock.matched_laps, 0);
  EXPECT_EQ(clock.offset_ms, day + 100'000);

  // On the right clock, both laps are partial: the samples cover half of each.
  v.ingest_lags = {{day + 900, 10}};
  clock = telemetry_clock(v, &laps);
  EXPECT_EQ(clock.source, ClockSource::LapChanges);
  const EcuVehicleLaps moved = on_telemetry_clock(laps, clock);
  const std::vector<TelemetryLap> out = telemetry_laps(v, &moved);
  ASSERT_EQ(out.size(), 2u);
  for (const TelemetryLap& l : out) {
    EXPECT_TRUE(l.partial) << l.window.lap;
    EXPECT_FALSE(l.valid);
    EXPECT_GE(l.covered_from_ms, l.window.start_ms);
    EXPECT_LT(l.covered_to_ms, l.window.end_ms);
    EXPECT_EQ(l.window.end_ms - l.window.start_ms, 100'000);
  }
}

// The demo race's telemetry with its logger clock moved by shift_ms: every whole lap agrees
// with the ECU lap of its number, and none is lost against the unshifted file.
void expect_laps_survive_a_shift(std::int64_t shift_ms) {
  TempDir tmp;
  LocalStore store(tmp.path);
  ASSERT_TRUE(generate_demo_data(store).has_value());
  const std::string dir = std::string(kDemoTrackId) + "/Sonoma/Race 1/";
  const std::vector<EcuVehicleLaps> ecu =
      ecu_laps_of(store, dir + "sonoma_lap_start_time_R1.csv", dir + "sonoma_lap_end_time_R1.csv");
  ASSERT_FALSE(ecu.empty());
  shift_timestamps(tmp.path / dir / "sonoma_telemetry_R1.csv", shift_ms);
  auto telemetry = load_telemetry(store, dir + "sonoma_telemetry_R1.csv");
  ASSERT_TRUE(telemetry.has_value()) << telemetry.error().describe();
  ASSERT_FALSE(telemetry->vehicles.empty());
  for (const VehicleTelemetry& v : telemetry->vehicles) {
    const EcuVehicleLaps* car = find_car(ecu, v.vehicle_id);
    ASSERT_NE(car, nullptr) << v.vehicle_id;
    const TelemetryClock clock = telemetry_clock(v, car);
    EXPECT_EQ(clock.source, ClockSource::LapChanges) << v.vehicle_id;
    // The lap files and the unshifted telemetry agree within a few milliseconds.
    EXPECT_LE(std::abs(clock.offset_ms + shift_ms), clock.uncertainty_ms + 20) << v.vehicle_id;
    const EcuVehicleLaps moved = on_telemetry_clock(*car, clock);
    int whole = 0;
    for (const TelemetryLap& l : telemetry_laps(v, &moved)) {
      if (l.partial) continue;
      ++whole;
      const EcuLap* ecu_lap = nullptr;
      for (const EcuLap& e : car->laps)
        if (e.lap == l.window.lap) ecu_lap = &e;
      ASSERT_NE(ecu_lap, nullptr) << v.vehicle_id << " lap " << l.window.lap;
      EXPECT_NEAR(static_cast<double>(l.window.end_ms - l.window.start_ms),
                  static_cast<double>(ecu_lap->duration_ms), 50.0)
          << v.vehicle_id << " lap " << l.window.lap;
    }
    EXPECT_EQ(whole, 2) << v.vehicle_id;  // the generator logs laps 3 and 4 of race 1
  }
}

TEST(TelemetryClock, GeneratedTelemetryHoursOffItsLapFiles) {
  expect_laps_survive_a_shift(-5 * 3'600'000 - 1'234);
}

TEST(TelemetryClock, GeneratedTelemetryDaysOffItsLapFiles) {
  expect_laps_survive_a_shift(-(42 * 3'600'000 + 12 * 60'000 + 21'322));
}

TEST(TelemetryClock, GeneratedTelemetryAheadOfItsLapFiles) {
  expect_laps_survive_a_shift(3 * 86'400'000 + 777);
}

// The real Barber R1 sample (the export's first 10,000 rows) beside the real Barber R1 lap
// files: it covers no whole lap, so every lap is partial, inside its lap, never longer than it.
TEST(TelemetryClock, RealBarberSampleGivesOnlyPartialLaps) {
  APEX_REQUIRE_SHARED_DATA(gr_cup);
  const fs::path sample = gr_cup.parent_path() / "samples" / "R1_barber_telemetry_data_sample.csv";
  const fs::path laps_dir = gr_cup / "barber-motorsports-park" / "barber";
  if (!fs::exists(sample) || !fs::exists(laps_dir / "R1_barber_lap_start.csv"))
    GTEST_SKIP() << "Barber R1 sample or lap files not present";
  TempDir tmp;
  const fs::path dir = tmp.path / "barber-motorsports-park" / "barber";
  fs::create_directories(dir);
  fs::copy_file(sample, dir / "R1_barber_telemetry_data.csv");
  for (const char* name : {"R1_barber_lap_start.csv", "R1_barber_lap_end.csv"})
    fs::copy_file(laps_dir / name, dir / name);
  LocalStore store(tmp.path);
  const std::string prefix = "barber-motorsports-park/barber/";
  const std::vector<EcuVehicleLaps> ecu =
      ecu_laps_of(store, prefix + "R1_barber_lap_start.csv", prefix + "R1_barber_lap_end.csv");
  auto telemetry = load_telemetry(store, prefix + "R1_barber_telemetry_data.csv");
  ASSERT_TRUE(telemetry.has_value()) << telemetry.error().describe();
  ASSERT_FALSE(telemetry->vehicles.empty());
  int laps_seen = 0;
  for (const VehicleTelemetry& v : telemetry->vehicles) {
    const EcuVehicleLaps* car = find_car(ecu, v.vehicle_id);
    ASSERT_NE(car, nullptr) << v.vehicle_id;
    const TelemetryClock clock = telemetry_clock(v, car);
    EXPECT_NE(clock.source, ClockSource::None) << v.vehicle_id;
    // The logger's clock is more than a day behind the lap files'.
    EXPECT_GT(clock.offset_ms, 86'400'000) << v.vehicle_id;
    const EcuVehicleLaps moved = on_telemetry_clock(*car, clock);
    for (const TelemetryLap& l : telemetry_laps(v, &moved)) {
      ++laps_seen;
      EXPECT_TRUE(l.partial) << v.vehicle_id << " lap " << l.window.lap;
      EXPECT_FALSE(l.valid);
      EXPECT_GE(l.covered_from_ms, l.window.start_ms);
      EXPECT_LT(l.covered_to_ms, l.window.end_ms);
      // Inside the lap: never more than the lap took, by the lap files where they time it.
      for (const EcuLap& e : moved.laps)
        if (e.lap == l.window.lap) {
          EXPECT_GE(l.covered_from_ms, e.start_ms) << v.vehicle_id << " lap " << l.window.lap;
          EXPECT_LT(l.covered_to_ms, e.end_ms) << v.vehicle_id << " lap " << l.window.lap;
          EXPECT_LE(l.covered_to_ms - l.covered_from_ms, e.duration_ms);
        }
      EXPECT_LT(l.covered_to_ms - l.covered_from_ms, 200'000);  // a Barber lap is ~100 s
    }
  }
  EXPECT_GT(laps_seen, 0);
}

}  // namespace
}  // namespace apex
