// braking-analysis measures braking against the deceleration the car reached (its 99th
// percentile of -accx_can on the braking side), not against a constant: a car braking harder
// than any constant reads at most 100%, and one spike does not set the limit.
#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "analysis/telemetry_analysis.h"
#include "server/telemetry_views.h"

namespace apex {
namespace {

using nlohmann::json;

BrakingEvent braking_peak(double decel_g) {
  BrakingEvent e;
  e.peak_bar = 80;
  e.peak_decel_g = decel_g;
  return e;
}

DriverTelemetryStats braking_stats(const std::vector<double>& peaks_g, std::optional<double> limit_g) {
  DriverTelemetryStats stats;
  stats.laps = 1;
  stats.p99_front_bar = 80;
  for (double g : peaks_g) stats.braking.push_back(braking_peak(g));
  stats.braking_limit_g = limit_g;
  return stats;
}

// The original divided the highest peak by 1.2 g: a car braking at 1.4 g read 116.7%.
TEST(BrakingLimits, UtilisationIsTheMeanCappedPeakAgainstTheCarsOwnLimit) {
  const json out = analytics_braking_json("GR86-022-13", braking_stats({1.4, 1.4, 0.7, 3.0, 0.7}, 1.4), 11);
  const json& g = out["g_forces"];
  EXPECT_EQ(g["vehicle_limit_g"], 1.4) << "the car's own limit, not 1.2 g";
  EXPECT_TRUE(g.at("vehicle_limit_source").is_string());
  EXPECT_EQ(g["max_braking_g"], 3.0) << "the highest peak is reported as it is";
  // Shares 100, 100, 50, 100 (3.0 capped at the limit), 50.
  EXPECT_EQ(g["utilization_pct"], 80.0);
}

TEST(BrakingLimits, NoDecelerationDataNoLimitAndNoUtilisation) {
  const json g = analytics_braking_json("GR86-022-13", braking_stats({}, std::nullopt), 11)["g_forces"];
  EXPECT_TRUE(g["vehicle_limit_g"].is_null()) << g.dump();
  EXPECT_TRUE(g.at("vehicle_limit_source").is_null()) << g.dump();
  EXPECT_TRUE(g["utilization_pct"].is_null()) << g.dump();
}

ChannelSeries every_100ms(ChannelId channel, std::int64_t ms, float (*f)(std::int64_t)) {
  ChannelSeries s;
  s.channel = channel;
  std::vector<std::int64_t> t;
  for (std::int64_t x = 0; x < ms; x += 100) {
    t.push_back(x);
    s.value.push_back(f(x));
  }
  s.time_ms.assign(t);
  s.lap_runs = {LapRun{0, 1}};
  return s;
}

// Ten stops, one every 6 s, braking over [1, 2) s of each: 80 bar, 0.5 g on the edges and a
// peak plateau of 1.4 g (the first five stops) or 0.7 g (the last five). Elsewhere the car
// accelerates at 0.2 g. One sample of the third stop is a 3 g spike.
float stop_bar(std::int64_t t) {
  const std::int64_t in = t % 6000;
  return in >= 1000 && in < 2000 ? 80.0f : 0.0f;
}
float stop_accx(std::int64_t t) {
  if (t == 13'500) return -3.0f;
  const std::int64_t in = t % 6000;
  if (in < 1000 || in >= 2000) return 0.2f;
  if (in < 1200 || in >= 1900) return -0.5f;
  return t < 30'000 ? -1.4f : -0.7f;
}

TEST(BrakingLimits, ACarBrakingAt1Point4GWithASpikeReadsAgainstItsOwn1Point4G) {
  Telemetry tel;
  for (std::string_view name : kKnownChannels) tel.channel_names.emplace_back(name);
  VehicleTelemetry v;
  v.vehicle_id = "GR86-001-1";
  v.channels = {every_100ms(channel::kBrakeFront, 60'000, stop_bar),
                every_100ms(channel::kAccelLong, 60'000, stop_accx)};
  std::sort(v.channels.begin(), v.channels.end(),
            [](const ChannelSeries& a, const ChannelSeries& b) { return a.channel < b.channel; });
  tel.vehicles.push_back(std::move(v));
  const LapWindow lap{.lap = 1, .start_ms = 0, .end_ms = 60'000};
  const DriverTelemetryStats stats = driver_telemetry_stats(tel, tel.vehicles[0], std::span(&lap, 1));

  ASSERT_EQ(stats.braking.size(), 10u);
  // 100 braking-side samples: 30 x 0.5, 34 x 1.4, 35 x 0.7, the 3.0 spike; nearest rank
  // floor(0.99 x 99) = 98 of them sorted is 1.4 g, so the spike is above the limit, not it.
  ASSERT_TRUE(stats.braking_limit_g);
  EXPECT_NEAR(*stats.braking_limit_g, 1.4, 1e-6);

  const json g = analytics_braking_json("GR86-001-1", stats, 1)["g_forces"];
  EXPECT_EQ(g["vehicle_limit_g"], 1.4);
  EXPECT_EQ(g["max_braking_g"], 3.0);
  // Five stops at the limit (the spike's capped at it), five at half of it.
  EXPECT_EQ(g["utilization_pct"], 75.0);
  EXPECT_LE(g["utilization_pct"].get<double>(), 100.0);
}

}  // namespace
}  // namespace apex
