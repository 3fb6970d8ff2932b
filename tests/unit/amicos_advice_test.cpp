// amicos-analysis against limits the car reached: a corner's speed against the best apex
// speed the car carried through it, grip against the car's own grip limit (its 99th
// percentile of combined g), so neither reads above 100%; advice names only corners below
// their best.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "server/telemetry_views.h"

namespace apex {
namespace {

using nlohmann::json;

// Apex at 100 km/h, 1.0 g lateral, the given peak combined g.
Corner corner(int number, double peak_combined_g = 1.0) {
  Corner c;
  c.number = number;
  c.apex_distance_m = 100.0 * number;
  c.entry_speed_kmh = 150;
  c.apex_speed_kmh = 100;
  c.exit_speed_kmh = 140;
  c.max_lateral_g = 1.0;
  c.max_combined_g = peak_combined_g;
  return c;
}

json amicos_for(const std::vector<double>& best_apex_kmh, std::vector<double> peak_combined_g = {},
                std::optional<double> grip_limit_g = std::nullopt) {
  LapCorners corners;
  corners.distance_source = DistanceSource::LapDistance;
  std::vector<std::optional<double>> best;
  for (std::size_t i = 0; i < best_apex_kmh.size(); ++i) {
    corners.corners.push_back(
        corner(static_cast<int>(i) + 1, i < peak_combined_g.size() ? peak_combined_g[i] : 1.0));
    best.emplace_back(best_apex_kmh[i]);
  }
  DriverTelemetryStats stats;
  if (grip_limit_g) {
    stats.grip_limit_g = grip_limit_g;
    stats.max_combined_g = 1.63;
    stats.mean_combined_g = 0.7;
  }
  return amicos_json("GR86-022-13", 4, corners, best, stats, nullptr);
}

std::vector<std::string> advice_for(const std::vector<double>& best_apex_kmh) {
  return amicos_for(best_apex_kmh)["recommendations"].get<std::vector<std::string>>();
}

TEST(AmicosAdvice, NamesOnlyCornersBelowTheBestTheCarReachedThere) {
  // Apex 100 km/h against bests of 125 (80%), 100 (100%), 100.2 (100% as printed), 105 (95%).
  const auto advice = advice_for({125, 100, 100.2, 105});
  ASSERT_EQ(advice.size(), 2u) << json(advice).dump();
  EXPECT_EQ(advice[0],
            "Corner 1 (apex at 100 m): apex speed 100.0 km/h is 80% of the best this car reached "
            "there (125.0 km/h)");
  EXPECT_TRUE(advice[1].starts_with("Corner 4 ")) << advice[1];
  EXPECT_NE(advice[1].find(" is 95% "), std::string::npos) << advice[1];
}

TEST(AmicosAdvice, SaysSoWhenEveryCornerIsAtItsBest) {
  const auto advice = advice_for({100, 100.3});
  ASSERT_EQ(advice.size(), 1u) << json(advice).dump();
  EXPECT_EQ(advice[0],
            "No corner is below the best apex speed this car reached there (the lowest, corner 2, is at "
            "100%): by this measure there is no apex speed to gain");
}

// The original divided by a 1.1 g constant: a car pulling 1.3 g read 118% of its grip, and
// every corner of a car on its own best line read above 100% "Excellent".
TEST(AmicosLimits, NeverAbove100PercentOfWhatTheCarReached) {
  const json out = amicos_for({100, 125, 100}, {1.63, 0.75, 1.5}, 1.5);
  const json& corners = out["corner_analysis"];
  ASSERT_EQ(corners.size(), 3u);
  EXPECT_EQ(corners[0]["grip_utilization_pct"], 100.0) << "a peak above the limit is at the limit";
  EXPECT_EQ(corners[1]["grip_utilization_pct"], 50.0);
  EXPECT_EQ(corners[1]["speed_efficiency_pct"], 80.0);
  EXPECT_EQ(corners[1]["theoretical_max_speed_kmh"], 125.0) << "the best apex speed the car reached there";
  for (const json& c : corners) {
    EXPECT_LE(c["speed_efficiency_pct"].get<double>(), 100.0) << c.dump();
    EXPECT_LE(c["grip_utilization_pct"].get<double>(), 100.0) << c.dump();
  }
  const json& grip = out["grip_utilization"];
  EXPECT_EQ(grip["grip_limit_g"], 1.5);
  EXPECT_EQ(grip["theoretical_limit_g"], 1.5) << "the limit the car reached, not 1.1 g";
  EXPECT_EQ(grip["max_combined_g"], 1.63);
  EXPECT_EQ(grip["grip_efficiency_pct"], 83.3) << "mean of the corners' 100, 50 and 100%";
  EXPECT_TRUE(grip["grip_limit_source"].is_string());
  EXPECT_EQ(out["driver_dna"]["avg_grip_utilization_pct"], 83.3);
  EXPECT_EQ(out["driver_dna"]["avg_speed_efficiency_pct"], 93.3);
}

// Without a best apex speed (no distance axis to match corners) there is no efficiency to
// claim, rather than one against a constant.
TEST(AmicosLimits, NoReferenceNoEfficiency) {
  LapCorners corners;
  corners.corners.push_back(corner(1));
  const json out = amicos_json("GR86-022-13", 4, corners, {}, DriverTelemetryStats{}, nullptr);
  EXPECT_TRUE(out["corner_analysis"][0]["speed_efficiency_pct"].is_null());
  EXPECT_TRUE(out["corner_analysis"][0]["grip_utilization_pct"].is_null());
  EXPECT_TRUE(out["corner_analysis"][0]["corner_radius_m"].is_number());
}

}  // namespace
}  // namespace apex
