#include "analysis/telemetry_laps.h"

#include <gtest/gtest.h>

#include "formats/lap_events_parser.h"
#include "formats/telemetry_parser.h"
#include "load/telemetry_loader.h"
#include "storage/local_store.h"
#include "test_paths.h"

namespace apex {
namespace {

namespace fs = std::filesystem;

// A series from (time, value, lap) triples, as the parser would build it.
ChannelSeries series(ChannelId channel, const std::vector<std::tuple<std::int64_t, float, int>>& samples) {
  ChannelSeries s;
  s.channel = channel;
  for (const auto& [t, v, lap] : samples) {
    if (s.lap_runs.empty() || s.lap_runs.back().lap != lap)
      s.lap_runs.push_back(LapRun{static_cast<std::uint32_t>(s.time_ms.size()), lap});
    s.time_ms.push_back(t);
    s.value.push_back(v);
  }
  return s;
}

Telemetry with_known_channels() {
  Telemetry t;
  for (std::string_view name : kKnownChannels) t.channel_names.emplace_back(name);
  return t;
}

EcuVehicleLaps crossings(const std::string& vehicle,
                         const std::vector<std::tuple<int, std::int64_t, std::int64_t>>& laps) {
  EcuVehicleLaps out;
  out.vehicle_id = vehicle;
  for (const auto& [lap, start, end] : laps) {
    EcuLap l;
    l.lap = lap;
    l.start_ms = start;
    l.end_ms = end;
    l.duration_ms = end - start;
    out.laps.push_back(l);
  }
  return out;
}

TEST(TelemetryClock, OffsetIsALowQuantileOfIngestLag) {
  VehicleTelemetry v;
  EXPECT_FALSE(estimate_clock_offset(v).has_value());
  // Clock 2 days behind; most rows arrive 0.1-3 s late, a few 20-81 s late, one glitch early.
  const std::int64_t day2 = 2 * 86'400'000;
  v.ingest_lags = {{day2 - 5'000, 1},  {day2 + 100, 10},    {day2 + 150, 30},  {day2 + 400, 100},
                   {day2 + 2'500, 40}, {day2 + 20'000, 10}, {day2 + 81'000, 9}};
  auto offset = estimate_clock_offset(v);
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(offset->evidence, 200u);
  EXPECT_EQ(offset->offset_ms, day2 + 100);  // rank 9 of 200: the glitch and the tail do not move it
  EXPECT_EQ(offset->typical_lag_ms, 300);    // median day2 + 400
  EXPECT_EQ(estimate_clock_offset(v, 0.0)->offset_ms, day2 - 5'000);
}

TEST(TelemetryLaps, LostLapCounterIsFilledFromCrossings) {
  // Lap column 1,1 | 32768,32768 | 0 | 3,3 ; crossings: lap 2 = [2000, 3000), lap 3 = [3000, 4000).
  const ChannelSeries s = series(channel::kSpeed, {{1000, 1, 1},
                                                   {1500, 1, 1},
                                                   {2100, 1, kLapCountLost},
                                                   {2500, 1, kLapCountLost},
                                                   {2900, 1, 0},
                                                   {3100, 1, 3},
                                                   {3900, 1, 3}});
  const EcuVehicleLaps laps = crossings("A", {{2, 2000, 3000}, {3, 3000, 4000}});
  EXPECT_EQ(assign_laps(s, &laps), (std::vector<int>{1, 1, 2, 2, 2, 3, 3}));
  // Without crossings: a gap between laps 1 and 3 is lap 2; unknown elsewhere.
  EXPECT_EQ(assign_laps(s, nullptr), (std::vector<int>{1, 1, 2, 2, 2, 3, 3}));
  const ChannelSeries tail = series(channel::kSpeed, {{1000, 1, 4}, {2000, 1, kLapCountLost}});
  EXPECT_EQ(assign_laps(tail, nullptr), (std::vector<int>{4, 0}));
  const ChannelSeries same = series(channel::kSpeed, {{1000, 1, 4}, {1500, 1, 0}, {2000, 1, 4}});
  EXPECT_EQ(assign_laps(same, nullptr), (std::vector<int>{4, 4, 4}));
  // The lap column wins where it is valid, even against the crossings.
  const EcuVehicleLaps shifted = crossings("A", {{7, 0, 10'000}});
  EXPECT_EQ(assign_laps(s, &shifted), (std::vector<int>{1, 1, 7, 7, 7, 3, 3}));
}

TEST(TelemetryLaps, WindowsFromCrossingsThenFromTheLapColumn) {
  VehicleTelemetry v;
  v.vehicle_id = "A";
  v.channels.push_back(series(channel::kSpeed, {{1000, 1, 1},
                                                {1900, 1, 1},
                                                {2100, 1, kLapCountLost},
                                                {3050, 1, 3},
                                                {3900, 1, 3},
                                                {4100, 1, 4},
                                                {4800, 1, 4},
                                                {9000, 1, 6}}));
  v.channels.push_back(series(channel::kGear, {{990, 3, 1}, {4050, 3, 4}}));
  const EcuVehicleLaps laps = crossings("A", {{2, 2000, 3000}, {3, 3000, 4000}});
  // Lap 1's start and lap 6's ends are unknown (nothing before or after their samples); lap 4
  // starts at the crossing that ends lap 3, its end is unknown.
  using enum LapWindowSource;
  EXPECT_EQ(lap_windows(v, &laps), (std::vector<LapWindow>{{1, 990, 2000, LapColumn, false, true},
                                                           {2, 2000, 3000, Crossings},
                                                           {3, 3000, 4000, Crossings},
                                                           {4, 4000, 4801, LapColumn, true, false},
                                                           {6, 9000, 9001, LapColumn, false, false}}));
  EXPECT_EQ(lap_windows(v, nullptr).size(), 4u);  // 1, 3, 4, 6: lap 2 has no evidence
  // Lap 3 follows no lap 2 sample: its start is unknown; lap 4's samples follow it closely.
  EXPECT_EQ(lap_windows(v, nullptr)[1], (LapWindow{3, 3050, 4050, LapColumn, false, true}));
}

TEST(TelemetryLaps, DistanceFromLapDistanceDropsTheNeighbouringLaps) {
  Telemetry t = with_known_channels();
  VehicleTelemetry v;
  v.vehicle_id = "A";
  // A 100 s lap of 3700 m at 37 m/s; the lap distance resets 300 ms after the crossing and
  // the next reset comes 300 ms before the next crossing.
  std::vector<std::tuple<std::int64_t, float, int>> lapdist, speed;
  for (std::int64_t ms = 0; ms < 100'000; ms += 100) {
    float d = static_cast<float>(ms) * 0.037f;
    if (ms < 300) d = 3690.0f + static_cast<float>(ms) * 0.037f;     // previous lap's end
    if (ms >= 99'700) d = static_cast<float>(ms - 99'700) * 0.037f;  // next lap's start
    lapdist.emplace_back(1'000'000 + ms, d, 1);
    speed.emplace_back(1'000'000 + ms, 133.2f, 1);
  }
  v.channels.push_back(series(channel::kSpeed, speed));
  v.channels.push_back(series(channel::kLapDistance, lapdist));
  const LapWindow lap{1, 1'000'000, 1'100'000, LapWindowSource::Crossings};
  const DistanceAxis axis = lap_distance_axis(t, v, lap);
  EXPECT_EQ(axis.source, DistanceSource::LapDistance);
  EXPECT_NEAR(axis.length_m(), 3700.0, 1.0);
  EXPECT_NEAR(axis.at(1'050'000), 1850.0, 1.0);
  EXPECT_EQ(axis.at(lap.start_ms), 0.0);
  EXPECT_TRUE(std::is_sorted(axis.distance_m.begin(), axis.distance_m.end()));

  // Without lap distance: integrated speed, 133.2 km/h = 37 m/s for 100 s.
  v.channels.pop_back();
  const DistanceAxis integrated = lap_distance_axis(t, v, lap);
  EXPECT_EQ(integrated.source, DistanceSource::IntegratedSpeed);
  EXPECT_NEAR(integrated.length_m(), 3700.0, 0.5);
  EXPECT_NEAR(integrated.at(1'025'000), 925.0, 0.5);

  v.channels.clear();
  EXPECT_EQ(lap_distance_axis(t, v, lap).source, DistanceSource::None);
}

TEST(TelemetryLaps, SliceOneLapWithAliasesAndErrors) {
  Telemetry t = with_known_channels();
  VehicleTelemetry v;
  v.vehicle_id = "GR86-002-000";
  v.channels.push_back(series(channel::kSpeed, {{900, 36, 1}, {1000, 36, 2}, {6000, 36, 2}, {11000, 36, 3}}));
  v.channels.push_back(series(channel::kThrottlePedal, {{1000, 100, 2}, {5000, 50, 2}, {10999, 0, 2}}));
  t.vehicles.push_back(v);
  const EcuVehicleLaps laps = crossings(v.vehicle_id, {{2, 1000, 11000}});
  const std::string_view names[] = {"vehspd_can", "throttle"};
  auto slice = slice_lap(t, t.vehicles[0], &laps, 2, names);
  ASSERT_TRUE(slice.has_value()) << slice.error().describe();
  EXPECT_EQ(slice->window, (LapWindow{2, 1000, 11000, LapWindowSource::Crossings}));
  EXPECT_EQ(slice->distance_source, DistanceSource::IntegratedSpeed);
  EXPECT_NEAR(slice->lap_length_m, 100.0, 1e-9);
  ASSERT_EQ(slice->channels.size(), 2u);
  const LapTrace* speed = slice->find("vehspd_can");
  ASSERT_NE(speed, nullptr);
  EXPECT_EQ(speed->name, "speed");
  EXPECT_EQ(speed->time_ms, (std::vector<std::int64_t>{1000, 6000}));  // [start, end)
  EXPECT_EQ(speed->distance_m, (std::vector<float>{0, 50}));
  const LapTrace* throttle = slice->find("aps");
  ASSERT_NE(throttle, nullptr);
  EXPECT_EQ(throttle->requested, "throttle");
  EXPECT_EQ(throttle->value, (std::vector<float>{100, 50, 0}));
  EXPECT_NEAR(throttle->distance_m[2], 99.99, 1e-3);

  auto all = slice_lap(t, t.vehicles[0], &laps, 2);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->channels.size(), 2u);

  auto missing_lap = slice_lap(t, t.vehicles[0], &laps, 9);
  ASSERT_FALSE(missing_lap.has_value());
  EXPECT_EQ(missing_lap.error().kind, ErrorKind::NotFound);
  const std::string_view bad[] = {"tyre_temp"};
  auto missing_channel = slice_lap(t, t.vehicles[0], &laps, 2, bad);
  ASSERT_FALSE(missing_channel.has_value());
  EXPECT_EQ(missing_channel.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(missing_channel.error().message.find("'tyre_temp'"), std::string::npos);
}

// The committed demo race: every telemetry sample lies inside the ECU lap its lap column
// names, lap windows from the crossings agree, and one car's clock runs two days ahead.
TEST(TelemetryLaps, DemoRaceAgreesWithItsLapFiles) {
  const fs::path dir = test::source_dir() / "data" / "sonoma-raceway" / "Sonoma" / "Race 1";
  LocalStore store(dir);
  auto telemetry = load_telemetry(store, "sonoma_telemetry_R1.csv");
  ASSERT_TRUE(telemetry.has_value()) << telemetry.error().describe();
  auto starts =
      parse_lap_events(*store.read_all("sonoma_lap_start_time_R1.csv"), "sonoma_lap_start_time_R1.csv");
  auto ends = parse_lap_events(*store.read_all("sonoma_lap_end_time_R1.csv"), "sonoma_lap_end_time_R1.csv");
  ASSERT_TRUE(starts.has_value() && ends.has_value());
  const std::vector<EcuVehicleLaps> ecu = build_ecu_laps(starts->events, ends->events);

  int two_days_ahead = 0;
  for (const VehicleTelemetry& v : telemetry->vehicles) {
    auto car = std::find_if(ecu.begin(), ecu.end(),
                            [&](const EcuVehicleLaps& e) { return e.vehicle_id == v.vehicle_id; });
    ASSERT_NE(car, ecu.end()) << v.vehicle_id;
    for (const ChannelSeries& s : v.channels) {
      const std::vector<int> assigned = assign_laps(s, &*car);
      for (std::size_t i = 0; i < s.size(); ++i) {
        ASSERT_EQ(assigned[i], s.lap_at(i));
        auto lap = std::find_if(car->laps.begin(), car->laps.end(),
                                [&](const EcuLap& l) { return l.lap == assigned[i]; });
        ASSERT_NE(lap, car->laps.end());
        EXPECT_GE(s.time_ms[i], lap->start_ms);
        EXPECT_LT(s.time_ms[i], lap->end_ms);
      }
    }
    for (int n : {3, 4}) {
      auto slice = slice_lap(*telemetry, v, &*car, n,
                             std::vector<std::string_view>{"speed", "Laptrigger_lapdist_dls"});
      ASSERT_TRUE(slice.has_value()) << slice.error().describe();
      EXPECT_EQ(slice->window.source, LapWindowSource::Crossings);
      EXPECT_EQ(slice->distance_source, DistanceSource::LapDistance);
      const LapTrace& speed = slice->channels[0];
      EXPECT_TRUE(std::is_sorted(speed.distance_m.begin(), speed.distance_m.end()));
      // The demo track is about 4 km; the distance at each lap-distance sample is that sample.
      EXPECT_GT(slice->lap_length_m, 3000.0);
      EXPECT_LT(slice->lap_length_m, 5000.0);
      const LapTrace& lapdist = slice->channels[1];
      for (std::size_t i = 1; i < lapdist.value.size(); ++i)
        EXPECT_NEAR(lapdist.distance_m[i], std::max(lapdist.value[i], lapdist.distance_m[i - 1]), 1e-3);
    }
    auto offset = estimate_clock_offset(v);
    ASSERT_TRUE(offset.has_value()) << v.vehicle_id;
    EXPECT_GT(offset->typical_lag_ms, 0);
    if (std::abs(offset->offset_ms + 2 * 86'400'000) < 10'000)
      ++two_days_ahead;
    else
      EXPECT_LT(std::abs(offset->offset_ms), 10'000) << v.vehicle_id;
  }
  EXPECT_EQ(two_days_ahead, 1);
}

}  // namespace
}  // namespace apex
