// Strategy and sector analyses on the real Barber files (../shared/data/gr-cup): the
// figures an engineer can check against the official timing sheets. Skipped in a clone without
// ../shared.
#include <gtest/gtest.h>

#include "analysis/lap_selection.h"
#include "analysis/leaderboard.h"
#include "analysis/sector_analysis.h"
#include "analysis/session_analysis.h"
#include "analysis/strategy_analysis.h"
#include "real_session.h"
#include "server/json_views.h"
#include "test_paths.h"

namespace apex {
namespace {

// Barber's session, loaded and analysed (empty after a test failure when it cannot be).
test::RealSession load(const std::filesystem::path& root, std::string_view session_id) {
  auto real = test::load_real_session(root, "barber-motorsports-park", session_id);
  return real ? std::move(*real) : test::RealSession{};
}

TEST(BarberStrategyRealData, Car13TheoreticalBestFromItsBestSectors) {
  APEX_REQUIRE_SHARED_DATA(root);
  auto r1 = load(root, "R1");
  auto sectors = analyse_sectors(r1.analysis);
  const DriverSectors* car13 = nullptr;
  for (const auto& d : sectors.drivers)
    if (d.driver->car_number == "13") car13 = &d;
  ASSERT_NE(car13, nullptr);
  EXPECT_EQ(car13->sectors[0].best_ms, 26592);
  EXPECT_EQ(car13->sectors[0].best_lap, 6);
  EXPECT_EQ(car13->sectors[1].best_ms, 42380);
  EXPECT_EQ(car13->sectors[1].best_lap, 8);
  EXPECT_EQ(car13->sectors[2].best_ms, 28418);
  EXPECT_EQ(car13->sectors[2].best_lap, 8);
  EXPECT_EQ(car13->theoretical_best_ms, 97390);
  EXPECT_EQ(car13->driver->theoretical_best_ms, 97390);
  EXPECT_EQ(car13->driver->best_lap_ms, 97428);
  // Car 13 holds all three session-best sectors of R1: nothing lost to the field.
  EXPECT_EQ(sectors.theoretical_best_ms, 97390);
  EXPECT_EQ(car13->lost_to_session_ms, 0);

  // The detailed-performance body carries the same sector-based theoretical best, not 0.98 x best.
  DetailedPerformanceInputs in;
  in.driver = car13->driver;
  in.track_id = "barber-motorsports-park";
  in.session_id = "R1";
  in.consistency = consistency_of(car13->driver->valid_lap_times_s);
  auto body = detailed_performance_json(in);
  EXPECT_EQ(body["performance"]["theoretical_best"], 97.39);
  EXPECT_NE(body["performance"]["theoretical_best"], 97.428 * 0.98);
}

TEST(BarberStrategyRealData, Car13DegradationOnGreenLaps) {
  APEX_REQUIRE_SHARED_DATA(root);
  auto r1 = load(root, "R1");
  const DriverSummary* car13 = r1.analysis.find_driver("13");
  ASSERT_NE(car13, nullptr);
  auto green = green_flag_laps(r1.analysis, *car13);
  // 27 laps: lap 1 (start, FCY), lap 2 (FCY), lap 3 (the green came back), lap 4 (the first
  // full lap after the caution) and lap 27 (FF) are out.
  EXPECT_EQ(green.excluded_start, 1);
  EXPECT_EQ(green.excluded_flag, 2);
  EXPECT_EQ(green.excluded_restart, 2);
  auto deg = fit_degradation(lap_times_s(green.laps));
  ASSERT_TRUE(deg.fit);
  // The leader's pace fades by a few hundredths per lap (97.4 s around lap 8, 98.3 s by lap 24).
  EXPECT_GT(deg.fit->slope, 0.01);
  EXPECT_LT(deg.fit->slope, 0.1);
  EXPECT_LT(deg.fit->slope_std_error, deg.fit->slope / 2);
  EXPECT_EQ(deg.verdict, DegradationVerdict::Degrading);
  ASSERT_TRUE(deg.wear_rate());
  EXPECT_EQ(*deg.wear_rate(), deg.fit->slope);
}

TEST(BarberStrategyRealData, LeaderboardAndResultsAgreeOnTheWinner) {
  APEX_REQUIRE_SHARED_DATA(root);
  auto r1 = load(root, "R1");
  ASSERT_TRUE(r1.session.results);
  auto rows = build_leaderboard(r1.analysis);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].driver->car_number, "13");
  EXPECT_EQ(rows[0].race_position, 1);
  for (std::size_t i = 1; i < rows.size() && rows[i].position; ++i) {
    EXPECT_GE(*rows[i].gap_to_ahead_ms, 0);
    EXPECT_EQ(*rows[i].gap_to_leader_ms, *rows[i].driver->best_lap_ms - 97428);
  }
}

TEST(BarberStrategyRealData, PitLaneLossIsMeasuredFromRealStops) {
  APEX_REQUIRE_SHARED_DATA(root);
  auto r2 = load(root, "R2");
  ASSERT_TRUE(r2.session.sections);
  auto loss = estimate_pit_loss(r2.session.sections->laps);
  EXPECT_GE(loss.stops_measured, 5);
  // The quickest stop under green is a drive-through: 20-35 s at Barber, far below the repairs.
  EXPECT_GT(loss.seconds, 20.0);
  EXPECT_LT(loss.seconds, 35.0);
}

}  // namespace
}  // namespace apex
