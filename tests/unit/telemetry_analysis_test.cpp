// Telemetry analyses: braking events, corners, lap comparison and plot thinning, on
// synthetic series with known answers and on the committed demo race.
#include "analysis/telemetry_analysis.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <span>
#include <utility>

#include "formats/lap_events_parser.h"
#include "formats/telemetry_parser.h"
#include "load/telemetry_loader.h"
#include "storage/local_store.h"
#include "test_paths.h"

namespace apex {
namespace {

namespace fs = std::filesystem;

ChannelSeries series_of(ChannelId channel, const std::vector<std::int64_t>& t, const std::vector<float>& v) {
  ChannelSeries s;
  s.channel = channel;
  s.time_ms.assign(t);
  s.value = v;
  s.lap_runs = {LapRun{0, 1}};
  return s;
}

Telemetry one_car(std::vector<ChannelSeries> channels) {
  Telemetry t;
  for (std::string_view name : kKnownChannels) t.channel_names.emplace_back(name);
  VehicleTelemetry v;
  v.vehicle_id = "GR86-001-1";
  std::sort(channels.begin(), channels.end(),
            [](const ChannelSeries& a, const ChannelSeries& b) { return a.channel < b.channel; });
  v.channels = std::move(channels);
  t.vehicles.push_back(std::move(v));
  return t;
}

// Samples every 100 ms over [0, ms) of f(t).
template <typename F>
ChannelSeries sampled(ChannelId channel, std::int64_t ms, F f) {
  std::vector<std::int64_t> t;
  std::vector<float> v;
  for (std::int64_t x = 0; x < ms; x += 100) {
    t.push_back(x);
    v.push_back(static_cast<float>(f(x)));
  }
  return series_of(channel, t, v);
}

TEST(BrakingEvents, HysteresisPeakAndShortTouchesIgnored) {
  // Brake: 0, then 3 bar (below on-threshold), an event 1.0-2.0 s peaking at 60 bar that
  // dips to 3 bar (above off-threshold: same event), a 50 ms touch, and an event open at the end.
  const std::vector<std::int64_t> t = {0, 500, 1000, 1200, 1400, 1600, 2000, 3000, 3050, 3100, 4000, 4500};
  const std::vector<float> v = {0, 3, 40, 60, 3, 30, 1, 0, 20, 0, 50, 55};
  Telemetry tel = one_car({series_of(channel::kBrakeFront, t, v),
                           series_of(channel::kSpeed, {0, 1000, 2000, 4500}, {200, 200, 80, 60}),
                           series_of(channel::kAccelLong, {1000, 1500, 2000}, {-0.2f, -1.1f, -0.3f})});
  auto events = braking_events(tel, tel.vehicles[0], 0, 5000, nullptr);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].start_ms, 1000);
  EXPECT_EQ(events[0].end_ms, 2000);
  EXPECT_FLOAT_EQ(events[0].peak_bar, 60);
  EXPECT_FLOAT_EQ(events[0].entry_speed_kmh, 200);
  EXPECT_FLOAT_EQ(events[0].min_speed_kmh, 80);
  ASSERT_TRUE(events[0].peak_decel_g.has_value());
  EXPECT_NEAR(*events[0].peak_decel_g, 1.1, 1e-6);
  EXPECT_EQ(events[1].start_ms, 4000);  // still braking at the end: closed at the last sample
  EXPECT_EQ(events[1].end_ms, 4500);
  // Without a brake channel: no events, not an error.
  Telemetry no_brake = one_car({series_of(channel::kSpeed, {0, 1000}, {100, 100})});
  EXPECT_TRUE(braking_events(no_brake, no_brake.vehicles[0], 0, 5000, nullptr).empty());
}

TEST(LapSummary, TimeWeightedMeansAndFullThrottleShare) {
  // Throttle 100% for 6 s then 0% for 4 s: mean 60% by time whatever the sample spacing.
  Telemetry tel = one_car(
      {series_of(channel::kThrottleBlade, {0, 100, 200, 6000, 6001, 10000}, {100, 100, 100, 100, 0, 0}),
       sampled(channel::kSpeed, 10001, [](std::int64_t) { return 150.0; })});
  const LapWindow lap{1, 0, 10001, LapWindowSource::Crossings};
  const DistanceAxis axis = lap_distance_axis(tel, tel.vehicles[0], lap);
  const LapTelemetrySummary s = summarise_lap(tel, tel.vehicles[0], lap, axis);
  ASSERT_TRUE(s.throttle_mean_pct.has_value());
  EXPECT_NEAR(*s.throttle_mean_pct, 60.0, 0.01);
  EXPECT_NEAR(*s.full_throttle_pct, 60.0, 0.02);
  ASSERT_TRUE(s.speed.has_value());
  EXPECT_FLOAT_EQ(s.speed->mean_kmh, 150);
  EXPECT_EQ(s.distance_source, DistanceSource::IntegratedSpeed);
  EXPECT_NEAR(s.lap_length_m, 150 / 3.6 * 10.001, 0.5);
  EXPECT_FALSE(s.has_brake_channel);
}

// A lap with three slow corners (speed dips to 60, 90, 120 km/h from 200) and one ripple of
// 4 km/h that is not a corner.
double three_corner_speed(std::int64_t t) {
  const double s = static_cast<double>(t) / 1000.0;
  double v = 200;
  for (auto [centre, apex] : {std::pair{15.0, 60.0}, {35.0, 90.0}, {55.0, 120.0}}) {
    const double d = std::abs(s - centre);
    if (d < 5) v = std::min(v, apex + (200 - apex) * d / 5);
  }
  if (std::abs(s - 70) < 1) v -= 4 * (1 - std::abs(s - 70));
  return v;
}

TEST(Corners, SpeedMinimaWithTheirEntryAndExit) {
  Telemetry tel = one_car({sampled(channel::kSpeed, 80'000, three_corner_speed),
                           sampled(channel::kAccelLat, 80'000, [](std::int64_t t) {
                             return std::abs(three_corner_speed(t) - 200) > 1 ? 1.0 : 0.05;
                           })});
  const LapWindow lap{1, 0, 80'000, LapWindowSource::Crossings};
  const DistanceAxis axis = lap_distance_axis(tel, tel.vehicles[0], lap);
  const LapCorners found = find_corners(tel, tel.vehicles[0], lap, axis);
  ASSERT_EQ(found.corners.size(), 3u);
  const double apexes[] = {60, 90, 120};
  const std::int64_t apex_ms[] = {15'000, 35'000, 55'000};
  for (std::size_t i = 0; i < 3; ++i) {
    const Corner& c = found.corners[i];
    EXPECT_EQ(c.number, static_cast<int>(i) + 1);
    // Smoothing over 0.5 s lifts a V-shaped minimum by a few km/h, no more.
    EXPECT_NEAR(c.apex_speed_kmh, apexes[i], 4.0);
    EXPECT_NEAR(static_cast<double>(c.apex_ms), static_cast<double>(apex_ms[i]), 150.0);
    EXPECT_GT(c.entry_speed_kmh, 195);
    EXPECT_GT(c.exit_speed_kmh, 195);
    EXPECT_LT(c.entry_distance_m, c.apex_distance_m);
    EXPECT_LT(c.apex_distance_m, c.exit_distance_m);
    ASSERT_TRUE(c.max_lateral_g.has_value());
    EXPECT_NEAR(*c.max_lateral_g, 1.0, 1e-6);
  }
  // Straights: before, between and after the corners.
  ASSERT_EQ(found.straights.size(), 4u);
  for (const Straight& s : found.straights) EXPECT_GT(s.max_speed_kmh, 195);
}

DistanceAxis constant_speed_axis(const LapWindow& lap, double length_m) {
  DistanceAxis axis;
  axis.source = DistanceSource::LapDistance;
  for (std::int64_t t = lap.start_ms; t <= lap.end_ms; t += 250) {
    axis.time_ms.push_back(t);
    axis.distance_m.push_back(length_m * static_cast<double>(t - lap.start_ms) /
                              static_cast<double>(lap.end_ms - lap.start_ms));
  }
  if (axis.time_ms.back() != lap.end_ms) {
    axis.time_ms.push_back(lap.end_ms);
    axis.distance_m.push_back(length_m);
  }
  return axis;
}

// The grip limit is what the car reached (its 99th percentile of combined g), not a constant:
// a one-sample spike does not set it, and no lap of a car pulling 1.0 g is read against 1.1 g.
TEST(GripLimit, IsTheCarsOwn99thPercentileOfCombinedG) {
  std::vector<std::int64_t> t;
  std::vector<float> lateral;
  for (int i = 1; i <= 1000; ++i) {
    t.push_back(i * 10);
    lateral.push_back(static_cast<float>(i) / 1000.0f);  // 0.001 .. 1.000 g
  }
  t.push_back(10'010);
  lateral.push_back(3.0f);  // a kerb strike
  Telemetry tel = one_car({series_of(channel::kAccelLat, t, lateral)});
  const LapWindow lap{.lap = 1, .start_ms = 0, .end_ms = 20'000};
  const DriverTelemetryStats stats = driver_telemetry_stats(tel, tel.vehicles[0], std::span(&lap, 1));
  ASSERT_TRUE(stats.grip_limit_g && stats.max_combined_g);
  EXPECT_NEAR(*stats.max_combined_g, 3.0, 1e-6);
  // 1001 samples: nearest rank floor(0.99 x 1000) = 990 of the sorted values, 0.991 g.
  EXPECT_NEAR(*stats.grip_limit_g, 0.991, 1e-6);
}

LapCorners lap_with(DistanceSource source, std::vector<std::pair<double, double>> apexes) {
  LapCorners out;
  out.distance_source = source;
  for (auto [distance, kmh] : apexes) {
    Corner c;
    c.number = static_cast<int>(out.corners.size()) + 1;
    c.apex_distance_m = distance;
    c.apex_speed_kmh = kmh;
    out.corners.push_back(c);
  }
  return out;
}

TEST(BestApexSpeeds, SameCornerOfOtherLapsNeverBelowItsOwn) {
  const LapCorners best = lap_with(DistanceSource::LapDistance, {{100, 80}, {500, 120}});
  const std::vector<LapCorners> laps = {
      lap_with(DistanceSource::LapDistance, {{110, 90}, {530, 150}}),  // 530 m: another corner
      lap_with(DistanceSource::LapDistance, {{95, 85}, {495, 118}}),
      lap_with(DistanceSource::None, {{0, 200}, {0, 200}}),  // no axis: cannot be matched
  };
  const auto ref = best_apex_speeds(best, laps);
  ASSERT_EQ(ref.size(), 2u);
  EXPECT_EQ(ref[0], 90.0);
  EXPECT_EQ(ref[1], 120.0) << "its own apex speed when no other lap was faster there";
  const auto none = best_apex_speeds(lap_with(DistanceSource::None, {{0, 80}}), laps);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_FALSE(none[0].has_value());
}

TEST(LapDelta, AgainstItselfIsZeroAndEndsAtTheLapTimeDifference) {
  const LapWindow a{3, 1'000'000, 1'100'000, LapWindowSource::Crossings};  // 100 s
  const DistanceAxis axis_a = constant_speed_axis(a, 4000);
  auto same = compare_laps(a, axis_a, a, axis_a, 500);
  ASSERT_TRUE(same.has_value());
  ASSERT_EQ(same->delta_s.size(), 500u);
  for (double d : same->delta_s) EXPECT_NEAR(d, 0.0, 1e-9);
  EXPECT_DOUBLE_EQ(same->distance_m.back(), 4000);

  // B: 102.5 s on a lap measured 3 m longer (another line): uniformly slower.
  const LapWindow b{7, 5'000'000, 5'102'500, LapWindowSource::LapColumn};
  const DistanceAxis axis_b = constant_speed_axis(b, 4003);
  auto delta = compare_laps(a, axis_a, b, axis_b, 101);
  ASSERT_TRUE(delta.has_value());
  EXPECT_DOUBLE_EQ(delta->delta_s.front(), 0.0);
  EXPECT_NEAR(delta->delta_s.back(), 2.5, 1e-9);
  EXPECT_NEAR(delta->delta_s[50], 1.25, 0.01);  // half-way, half the difference
  EXPECT_TRUE(std::is_sorted(delta->delta_s.begin(), delta->delta_s.end()));

  EXPECT_FALSE(compare_laps(a, axis_a, b, DistanceAxis{}, 100).has_value());
}

TEST(ThinForPlot, KeepsEndsAndExtremesWithinTheBudget) {
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0, 1);
  std::vector<float> v(10'000);
  for (float& x : v) x = noise(rng);
  v[1234] = 50;   // a spike
  v[8765] = -50;  // a dip
  for (std::size_t budget : {4u, 100u, 501u, 2000u}) {
    const auto keep = thin_for_plot(v, budget);
    EXPECT_LE(keep.size(), budget);
    EXPECT_EQ(keep.front(), 0u);
    EXPECT_EQ(keep.back(), v.size() - 1);
    EXPECT_TRUE(std::is_sorted(keep.begin(), keep.end()));
    EXPECT_TRUE(std::adjacent_find(keep.begin(), keep.end()) == keep.end()) << "no index twice";
    if (budget >= 6) {
      EXPECT_TRUE(std::binary_search(keep.begin(), keep.end(), 1234u)) << budget;
      EXPECT_TRUE(std::binary_search(keep.begin(), keep.end(), 8765u)) << budget;
    }
  }
  const std::vector<float> shorter = {1, 2, 3};
  EXPECT_EQ(thin_for_plot(shorter, 10), (std::vector<std::size_t>{0, 1, 2}));
}

// The demo race (generated by apex demo-data): lap times recovered from the telemetry's
// own lap column match the lap files, and a lap compared with another car's ends at their
// lap-time difference.
TEST(TelemetryAnalysis, DemoRaceLapsMatchTheLapFiles) {
  const fs::path dir = test::source_dir() / "data" / "sonoma-raceway" / "Sonoma" / "Race 1";
  LocalStore store(dir);
  auto telemetry = load_telemetry(store, "sonoma_telemetry_R1.csv");
  ASSERT_TRUE(telemetry.has_value()) << telemetry.error().describe();
  auto starts =
      parse_lap_events(*store.read_all("sonoma_lap_start_time_R1.csv"), "sonoma_lap_start_time_R1.csv");
  auto ends = parse_lap_events(*store.read_all("sonoma_lap_end_time_R1.csv"), "sonoma_lap_end_time_R1.csv");
  ASSERT_TRUE(starts.has_value() && ends.has_value());
  const std::vector<EcuVehicleLaps> ecu = build_ecu_laps(starts->events, ends->events);

  std::vector<std::pair<LapWindow, DistanceAxis>> best_laps;
  for (const VehicleTelemetry& v : telemetry->vehicles) {
    auto car = std::find_if(ecu.begin(), ecu.end(),
                            [&](const EcuVehicleLaps& e) { return e.vehicle_id == v.vehicle_id; });
    ASSERT_NE(car, ecu.end());
    // From the lap column alone (no crossings): the start of lap N+1 minus the first
    // sample of lap N. Samples come every 500 ms here, so that is the tolerance.
    const std::vector<LapWindow> own = lap_windows(v, nullptr);
    int compared = 0;
    for (std::size_t i = 0; i + 1 < own.size(); ++i) {
      auto lap = std::find_if(car->laps.begin(), car->laps.end(),
                              [&](const EcuLap& l) { return l.lap == own[i].lap; });
      ASSERT_NE(lap, car->laps.end()) << v.vehicle_id << " lap " << own[i].lap;
      EXPECT_NEAR(static_cast<double>(own[i].end_ms - own[i].start_ms), static_cast<double>(lap->duration_ms),
                  500.0)
          << v.vehicle_id << " lap " << own[i].lap;
      ++compared;
    }
    EXPECT_GE(compared, 1) << v.vehicle_id;
    const std::vector<LapWindow> windows = lap_windows(v, &*car);
    auto lap3 = std::find_if(windows.begin(), windows.end(), [](const LapWindow& w) { return w.lap == 3; });
    ASSERT_NE(lap3, windows.end());
    const DistanceAxis axis = lap_distance_axis(*telemetry, v, *lap3);
    const LapTelemetrySummary summary = summarise_lap(*telemetry, v, *lap3, axis);
    EXPECT_GT(summary.braking.size(), 3u) << "a lap of Sonoma has several braking zones";
    EXPECT_FALSE(find_corners(*telemetry, v, *lap3, axis).corners.empty());
    best_laps.emplace_back(*lap3, axis);
  }
  ASSERT_GE(best_laps.size(), 2u);
  const auto& [a, axis_a] = best_laps[0];
  const auto& [b, axis_b] = best_laps[1];
  auto delta = compare_laps(a, axis_a, b, axis_b, 1000);
  ASSERT_TRUE(delta.has_value());
  const double lap_time_difference =
      static_cast<double>((b.end_ms - b.start_ms) - (a.end_ms - a.start_ms)) / 1000.0;
  EXPECT_NEAR(delta->delta_s.back(), lap_time_difference, 0.05);
}

}  // namespace
}  // namespace apex
