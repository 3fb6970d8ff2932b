// amicos-analysis recommendations: only corners below their grip-limited speed are named
// as places to gain apex speed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/telemetry_views.h"

namespace apex {
namespace {

using nlohmann::json;

// Apex at 100 km/h; the grip-limited speed of its radius is 100 x sqrt(1.1 / peak lateral g).
Corner corner(int number, double peak_lateral_g) {
  Corner c;
  c.number = number;
  c.apex_distance_m = 100.0 * number;
  c.entry_speed_kmh = 150;
  c.apex_speed_kmh = 100;
  c.exit_speed_kmh = 140;
  c.max_lateral_g = peak_lateral_g;
  return c;
}

std::vector<std::string> advice_for(const std::vector<double>& peak_lateral_g) {
  LapCorners corners;
  for (std::size_t i = 0; i < peak_lateral_g.size(); ++i)
    corners.corners.push_back(corner(static_cast<int>(i) + 1, peak_lateral_g[i]));
  const json out = amicos_json("GR86-022-13", 4, corners, DriverTelemetryStats{}, nullptr);
  return out["recommendations"].get<std::vector<std::string>>();
}

TEST(AmicosAdvice, NamesOnlyCornersBelowTheirGripLimitedSpeed) {
  // 0.8 g: 85%, 1.3 g: 109%, 1.2 g: 104%, 1.0 g: 95% of the grip-limited speed.
  const auto advice = advice_for({0.8, 1.3, 1.2, 1.0});
  ASSERT_EQ(advice.size(), 2u) << json(advice).dump();
  EXPECT_TRUE(advice[0].starts_with("Corner 1 (apex at 100 m): apex speed 100 km/h is 85% ")) << advice[0];
  EXPECT_TRUE(advice[1].starts_with("Corner 4 ")) << advice[1];
  EXPECT_NE(advice[1].find(" is 95% "), std::string::npos) << advice[1];
}

TEST(AmicosAdvice, SaysSoWhenEveryCornerIsAtOrAboveItsGripLimitedSpeed) {
  // 1.1 g is exactly the limit (100%); 1.3 g is 109%.
  const auto advice = advice_for({1.3, 1.1, 1.2});
  ASSERT_EQ(advice.size(), 1u) << json(advice).dump();
  EXPECT_EQ(advice[0],
            "No corner is below its grip-limited speed (the lowest, corner 2, is at 100%): by this measure "
            "there is no apex speed to gain");
}

}  // namespace
}  // namespace apex
