// Strategy figures on hand-made laps whose answers are known exactly: the slope of an
// exact linear series, consistency of known laps, stint thirds, the pit-stop optimum
// and the pit-lane loss of a known stop.
#include "analysis/strategy_analysis.h"

#include <gtest/gtest.h>

#include <cmath>

namespace apex {
namespace {

TEST(TireDegradation, ExactLinearSeriesGivesItsSlope) {
  // Lap time = 97.5 s + 0.15 s per lap, laps 3..14, given out of order.
  std::vector<std::pair<int, double>> laps;
  for (int lap : {9, 3, 14, 4, 5, 6, 7, 8, 10, 11, 12, 13}) laps.emplace_back(lap, 97.5 + 0.15 * lap);
  auto d = fit_degradation(laps);
  ASSERT_TRUE(d.fit);
  EXPECT_NEAR(d.fit->slope, 0.15, 1e-12);
  EXPECT_NEAR(d.fit->intercept, 97.5, 1e-9);
  EXPECT_NEAR(d.fit->slope_std_error, 0.0, 1e-9);
  EXPECT_NEAR(d.fit->r_squared, 1.0, 1e-12);
  EXPECT_EQ(d.laps_analyzed, 12);
  EXPECT_NEAR(*d.best_lap_s, 97.95, 1e-12);
  EXPECT_NEAR(*d.current_delta_s, 0.15 * 11, 1e-9) << "last lap (14) minus best (3)";
  ASSERT_EQ(d.lap_deltas.size(), 12u);
  EXPECT_EQ(d.lap_deltas.front().lap, 3) << "lap_deltas are in lap order";
  for (const auto& l : d.lap_deltas) {
    EXPECT_NEAR(l.delta_s, 0.15 * (l.lap - 3), 1e-9) << "lap " << l.lap;
    EXPECT_NEAR(l.fitted_delta_s, l.delta_s, 1e-9) << "an exact series lies on its fit";
  }
}

TEST(TireDegradation, NoisySeriesHasAStandardError) {
  std::vector<std::pair<int, double>> laps;
  for (int lap = 2; lap <= 21; ++lap) laps.emplace_back(lap, 98.0 + 0.05 * lap + (lap % 2 ? 0.2 : -0.2));
  auto d = fit_degradation(laps);
  ASSERT_TRUE(d.fit);
  EXPECT_NEAR(d.fit->slope, 0.05, 0.02);
  EXPECT_GT(d.fit->slope_std_error, 0.0);
  EXPECT_LT(d.fit->r_squared, 1.0);
}

TEST(TireDegradation, FewerThanFiveLapsIsNotFitted) {
  auto d = fit_degradation({{2, 98.0}, {3, 98.1}, {4, 98.2}, {5, 98.3}});
  EXPECT_EQ(d.laps_analyzed, 4);
  EXPECT_FALSE(d.fit);
  ASSERT_EQ(d.lap_deltas.size(), 4u);
  EXPECT_NEAR(d.lap_deltas[3].delta_s, 0.3, 1e-9);
  auto empty = fit_degradation({});
  EXPECT_EQ(empty.laps_analyzed, 0);
  EXPECT_FALSE(empty.best_lap_s);
}

TEST(Consistency, KnownLaps) {
  // Best 100.0; within 0.5 s: 100.0, 100.4, 100.5; within 1 s: also 100.9.
  std::vector<double> laps = {100.4, 100.0, 100.5, 100.9, 101.2};
  auto c = consistency_of(laps);
  EXPECT_EQ(c.total_laps, 5);
  EXPECT_EQ(c.laps_within_05s, 3);
  EXPECT_EQ(c.laps_within_1s, 4);
  EXPECT_DOUBLE_EQ(*c.score_percent, 60.0);
  EXPECT_EQ(c.rating, "Professional");
  EXPECT_DOUBLE_EQ(*c.best_s, 100.0);
  EXPECT_NEAR(*c.mean_s, 100.6, 1e-12);
  // Sample standard deviation: squares of deviations 0.04+0.36+0.01+0.09+0.36 = 0.86, / 4.
  EXPECT_NEAR(*c.std_dev_s, std::sqrt(0.86 / 4), 1e-12);
  EXPECT_NEAR(*c.coefficient_of_variation, std::sqrt(0.86 / 4) / 100.6 * 100, 1e-12);
}

TEST(Consistency, RatingBandsAndEdgeCases) {
  EXPECT_EQ(consistency_rating(80), "Elite");
  EXPECT_EQ(consistency_rating(79.99), "Professional");
  EXPECT_EQ(consistency_rating(60), "Professional");
  EXPECT_EQ(consistency_rating(40), "Advanced");
  EXPECT_EQ(consistency_rating(39.9), "Developing");
  auto one = consistency_of({99.0});
  EXPECT_DOUBLE_EQ(*one.score_percent, 100.0);
  EXPECT_FALSE(one.std_dev_s) << "no sample standard deviation of one lap";
  auto none = consistency_of({});
  EXPECT_EQ(none.total_laps, 0);
  EXPECT_FALSE(none.score_percent);
  // Exactly best + 0.5 s counts (the times are written to the millisecond).
  auto edge = consistency_of({97.428, 97.928, 97.929});
  EXPECT_EQ(edge.laps_within_05s, 2);
}

TEST(PaceThirds, SplitsLikeTheOriginal) {
  std::vector<std::pair<int, double>> laps;
  for (int lap = 1; lap <= 10; ++lap) laps.emplace_back(lap, 100.0 + lap);
  auto p = pace_thirds(laps);
  ASSERT_TRUE(p);
  // third = 10 / 3 = 3: laps 1-3, 4-6, 7-10.
  EXPECT_EQ(p->early.first_lap, 1);
  EXPECT_EQ(p->early.last_lap, 3);
  EXPECT_DOUBLE_EQ(p->early.avg_lap_time_s, 102.0);
  EXPECT_DOUBLE_EQ(p->early.best_lap_s, 101.0);
  EXPECT_EQ(p->mid.laps, 3);
  EXPECT_DOUBLE_EQ(p->mid.avg_lap_time_s, 105.0);
  EXPECT_EQ(p->late.laps, 4);
  EXPECT_DOUBLE_EQ(p->late.avg_lap_time_s, 108.5);
  EXPECT_DOUBLE_EQ(p->early_to_late_delta_s, 6.5);
  EXPECT_FALSE(pace_thirds({{1, 1.0}, {2, 1.0}, {3, 1.0}, {4, 1.0}}));
}

TEST(PitPlan, StopPaysOffAtTheKnownOptimum) {
  // 0.1 s/lap of tyre age, 10-lap-old tyres, 30 laps to go, 25 s pit loss:
  // saving(m) = 0.1 (30 - m)(10 + m) - 25 is largest at m = (30 - 10) / 2 = 10: 15 s.
  auto plan = plan_pit_stop({10, 40, 10, 50.0}, 0.1, 25.0);
  EXPECT_EQ(plan.remaining_laps, 30);
  ASSERT_TRUE(plan.optimal_pit_lap);
  EXPECT_EQ(*plan.optimal_pit_lap, 20);
  EXPECT_NEAR(plan.time_saved_by_best_stop_s, 15.0, 1e-9);
  // Wear over 30 laps against new tyres: 0.1 (30 * 10 + 30 * 31 / 2) = 76.5 s.
  EXPECT_NEAR(plan.projected_time_loss_no_pit_s, 76.5, 1e-9);
  EXPECT_EQ(plan.recommendation, "Pit at the end of lap 20");
}

TEST(PitPlan, OldTyresMeanPitNow) {
  // Tyres older than the laps left: the optimum is to stop at the end of this lap.
  auto plan = plan_pit_stop({5, 25, 40, 10.0}, 0.2, 25.0);
  ASSERT_TRUE(plan.optimal_pit_lap);
  EXPECT_EQ(*plan.optimal_pit_lap, 5);
  EXPECT_NEAR(plan.time_saved_by_best_stop_s, 0.2 * 20 * 40 - 25, 1e-9);
  EXPECT_EQ(plan.recommendation, "Pit now");
}

TEST(PitPlan, SprintRaceStaysOut) {
  // A GR Cup sprint: 0.05 s/lap, 15 laps to go, fresh-ish tyres: no stop pays 25 s back.
  auto plan = plan_pit_stop({12, 27, 12, 40.0}, 0.05, 25.0);
  EXPECT_FALSE(plan.optimal_pit_lap);
  EXPECT_LT(plan.time_saved_by_best_stop_s, 0);
  EXPECT_EQ(plan.recommendation, "Stay out");
  // Tyres that get faster: never stop, and no negative "loss".
  auto faster = plan_pit_stop({1, 30, 0, 40.0}, -0.02, 25.0);
  EXPECT_EQ(faster.recommendation, "Stay out");
  EXPECT_EQ(faster.projected_time_loss_no_pit_s, 0.0);
  // The last lap: nothing left to gain.
  auto last = plan_pit_stop({27, 27, 27, 1.0}, 1.0, 25.0);
  EXPECT_EQ(last.remaining_laps, 0);
  EXPECT_EQ(last.recommendation, "Stay out");
}

OfficialLap lap(const std::string& car, int n, std::int64_t ms, const std::string& flag = "GF") {
  OfficialLap l;
  l.car_number = car;
  l.lap = n;
  l.lap_time_ms = ms;
  l.flag = flag;
  return l;
}

TEST(PitLoss, QuickestStopUnderGreenIsThePitLaneLoss) {
  std::vector<OfficialLap> laps;
  for (int n = 1; n <= 12; ++n) laps.push_back(lap("7", n, 100000));
  laps[4].crossing_in_pit = true;  // lap 5 ends in the pit lane: 112 s
  laps[4].lap_time_ms = 112000;
  laps[5].pit_time_ms = 20000;  // lap 6 is the out-lap: 113 s
  laps[5].lap_time_ms = 113000;
  // A second car with a long repair stop: 190 s + 110 s.
  for (int n = 1; n <= 12; ++n) laps.push_back(lap("8", n, 101000));
  laps[12 + 3].crossing_in_pit = true;
  laps[12 + 3].lap_time_ms = 190000;
  laps[12 + 4].lap_time_ms = 110000;
  auto loss = estimate_pit_loss(laps);
  EXPECT_EQ(loss.stops_measured, 2);
  EXPECT_NEAR(loss.seconds, 112 + 113 - 2 * 100.0, 1e-9);
  auto none = estimate_pit_loss({lap("9", 2, 100000), lap("9", 3, 100000)});
  EXPECT_EQ(none.stops_measured, 0);
  EXPECT_EQ(none.seconds, kDefaultPitLossS);
}

}  // namespace
}  // namespace apex
