// Strategy figures on hand-made laps whose answers are known exactly: the slope of an
// exact linear series and its verdict, which laps pace figures may use (caution, restart,
// pit and deleted laps left out), consistency of known laps, stint thirds, the pit-stop
// optimum, the pit-lane loss of a known stop and the answer without pit data.
#include "analysis/strategy_analysis.h"

#include <gtest/gtest.h>

#include <cmath>

#include "analysis/lap_selection.h"

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
  EXPECT_EQ(d.verdict, DegradationVerdict::TooFewLaps);
  EXPECT_FALSE(d.wear_rate());
  EXPECT_EQ(degradation_explanation(d),
            "only 4 green-flag laps: at least 5 are needed to fit a degradation rate");
}

TEST(TireDegradation, ScatterWithoutATrendIsNotSignificant) {
  // 0.01 s/lap under +/- 0.4 s of scatter uncorrelated with the lap number (laps 3-10):
  // the slope is exactly 0.01, its t far below 2.447.
  const double scatter[] = {0.4, -0.4, -0.4, 0.4, 0.4, -0.4, -0.4, 0.4};
  std::vector<std::pair<int, double>> laps;
  for (int lap = 3; lap <= 10; ++lap) laps.emplace_back(lap, 100.0 + 0.01 * lap + scatter[lap - 3]);
  auto d = fit_degradation(laps);
  ASSERT_TRUE(d.fit);
  EXPECT_NEAR(d.fit->slope, 0.01, 1e-9) << "a positive slope, but not a rate";
  ASSERT_TRUE(d.t_value);
  ASSERT_TRUE(d.t_critical);
  EXPECT_NEAR(*d.t_critical, 2.447, 1e-9) << "6 degrees of freedom";
  EXPECT_LT(std::abs(*d.t_value), *d.t_critical);
  EXPECT_EQ(d.verdict, DegradationVerdict::NotSignificant);
  EXPECT_EQ(to_string(d.verdict), "not significant");
  EXPECT_FALSE(d.wear_rate());
  EXPECT_NE(degradation_explanation(d).find("not significant"), std::string::npos)
      << degradation_explanation(d);
}

TEST(TireDegradation, NegativeSlopeIsReportedAsMeasured) {
  // Laps falling by 0.2 s a lap with a little scatter: significantly negative, kept as it is.
  std::vector<std::pair<int, double>> laps;
  for (int lap = 4; lap <= 13; ++lap) laps.emplace_back(lap, 104.0 - 0.2 * lap + (lap % 2 ? 0.05 : -0.05));
  auto d = fit_degradation(laps);
  ASSERT_TRUE(d.fit);
  EXPECT_NEAR(d.fit->slope, -0.2, 0.02);
  EXPECT_EQ(d.verdict, DegradationVerdict::Improving);
  EXPECT_FALSE(d.wear_rate()) << "faster laps are no rate of wear";
  EXPECT_NE(degradation_explanation(d).find("fell significantly: -0.19"), std::string::npos)
      << degradation_explanation(d);
  // A line without scatter: the sign is the verdict.
  auto exact = fit_degradation({{2, 101.0}, {3, 100.9}, {4, 100.8}, {5, 100.7}, {6, 100.6}});
  EXPECT_EQ(exact.verdict, DegradationVerdict::Improving);
}

TEST(TireDegradation, SignificantGrowthIsAWearRate) {
  std::vector<std::pair<int, double>> laps;
  for (int lap = 3; lap <= 22; ++lap) laps.emplace_back(lap, 98.0 + 0.05 * lap + (lap % 2 ? 0.1 : -0.1));
  auto d = fit_degradation(laps);
  EXPECT_EQ(d.verdict, DegradationVerdict::Degrading);
  ASSERT_TRUE(d.wear_rate());
  EXPECT_NEAR(*d.wear_rate(), 0.05, 0.01);
  EXPECT_GE(*d.t_value, *d.t_critical);
}

TEST(LapStatistics, StudentTCriticalValues) {
  EXPECT_DOUBLE_EQ(t_critical_95(1), 12.706);
  EXPECT_DOUBLE_EQ(t_critical_95(8), 2.306);
  EXPECT_DOUBLE_EQ(t_critical_95(30), 2.042);
  EXPECT_NEAR(t_critical_95(60), 2.000, 0.001);
  EXPECT_NEAR(t_critical_95(120), 1.980, 0.001);
  EXPECT_GT(t_critical_95(31), t_critical_95(1000));
  EXPECT_TRUE(std::isinf(t_critical_95(0)));
}

TEST(FieldDegradation, AWearRateOnlyWhenMostOfTheFieldDegrades) {
  auto degrading = fit_degradation({{2, 100.0}, {3, 100.1}, {4, 100.2}, {5, 100.3}, {6, 100.4}});
  auto flat = fit_degradation({{2, 100.0}, {3, 100.5}, {4, 99.9}, {5, 100.4}, {6, 100.0}});
  auto few = fit_degradation({{2, 100.0}});
  ASSERT_EQ(degrading.verdict, DegradationVerdict::Degrading);
  ASSERT_EQ(flat.verdict, DegradationVerdict::NotSignificant);
  auto most = field_degradation({degrading, degrading, flat, few});
  EXPECT_EQ(most.drivers_fitted, 3);
  EXPECT_EQ(most.drivers_degrading, 2);
  EXPECT_TRUE(most.significant());
  auto half = field_degradation({degrading, flat});
  EXPECT_FALSE(half.significant());
  EXPECT_FALSE(field_degradation({few}).median_slope);
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

// --- which laps pace figures use -----------------------------------------------------

LapRecord official(int n, std::int64_t ms, const std::string& flag = "GF", bool pit = false) {
  LapRecord l;
  l.source = LapSource::Official;
  l.driver_id = "car-7";
  l.car_number = "7";
  l.car_id = "7";
  l.lap = n;
  l.lap_time_ms = ms;
  l.flag = flag;
  l.pit = pit;
  return l;
}

struct OneCar {
  SessionAnalysis analysis;
  DriverSummary driver;
};

OneCar one_car(std::vector<LapRecord> laps, std::optional<std::int64_t> official_best = std::nullopt) {
  OneCar out;
  out.analysis.laps = std::move(laps);
  out.driver.driver_id = "car-7";
  out.driver.car_number = "7";
  out.driver.car_id = "7";
  out.driver.source = LapSource::Official;
  out.driver.best_lap_ms = official_best;
  return out;
}

std::vector<int> lap_numbers(const std::vector<const LapRecord*>& laps) {
  std::vector<int> out;
  for (const LapRecord* l : laps) out.push_back(l->lap);
  return out;
}

TEST(GreenFlagLaps, CautionLapsAreExcluded) {
  // Laps 6-8 ran under FCY at 130 s; the green laps around them are 100 s.
  std::vector<LapRecord> laps;
  for (int n = 1; n <= 16; ++n)
    laps.push_back(official(n, n >= 6 && n <= 8 ? 130000 : 100000, n >= 6 && n <= 8 ? "FCY" : "GF"));
  laps.back().flag = "FF";
  auto car = one_car(laps);
  auto green = green_flag_laps(car.analysis, car.driver);
  EXPECT_EQ(green.excluded_flag, 4) << "laps 6, 7, 8 (FCY) and 16 (FF)";
  for (const LapRecord* l : green.laps) EXPECT_EQ(l->flag, "GF") << "lap " << l->lap;
  auto d = fit_degradation(lap_times_s(green.laps));
  ASSERT_TRUE(d.fit);
  EXPECT_NEAR(d.fit->slope, 0.0, 1e-9) << "no caution lap in the fit";
}

TEST(GreenFlagLaps, RestartLapsAfterTheStartAndACautionAreExcluded) {
  // Lap 1 the start, lap 2 its first full lap; FCY on laps 6-7, lap 8 the lap the green came
  // back in, lap 9 the first full lap on cooled tyres; from lap 10 racing again.
  std::vector<LapRecord> laps;
  for (int n = 1; n <= 14; ++n) laps.push_back(official(n, 100000, n == 6 || n == 7 ? "FCY" : "GF"));
  laps[1].lap_time_ms = 103000;  // lap 2: the field still bunched
  laps[7].lap_time_ms = 125000;  // lap 8: partly neutralised
  laps[8].lap_time_ms = 102500;  // lap 9: cold tyres, under the outlier limit
  auto car = one_car(laps);
  auto green = green_flag_laps(car.analysis, car.driver);
  EXPECT_EQ(green.excluded_start, 1);
  EXPECT_EQ(green.excluded_flag, 2);
  EXPECT_EQ(green.excluded_restart, 3) << "laps 2, 8 and 9";
  EXPECT_EQ(lap_numbers(green.laps), (std::vector<int>{3, 4, 5, 10, 11, 12, 13, 14}));
  EXPECT_EQ(green.excluded_outlier, 0);
}

TEST(GreenFlagLaps, PitLapsAndDeletedLapsAreExcluded) {
  std::vector<LapRecord> laps;
  for (int n = 1; n <= 12; ++n) laps.push_back(official(n, 100000 + n));
  laps[5].pit = true;  // lap 6: in-lap
  laps[5].lap_time_ms = 112000;
  laps[6].pit = true;  // lap 7: out-lap
  laps[6].lap_time_ms = 113000;
  laps[9].lap_time_ms = 99800;  // lap 10: faster than the official fastest lap: deleted
  laps[9].deleted = true;       // as analyse_session marks it (OfficialCar::deleted_laps)
  laps[9].valid = false;
  auto car = one_car(laps, 100003);
  auto green = green_flag_laps(car.analysis, car.driver);
  EXPECT_EQ(green.excluded_pit, 2);
  EXPECT_EQ(green.excluded_deleted, 1);
  EXPECT_EQ(lap_numbers(green.laps), (std::vector<int>{3, 4, 5, 8, 9, 11, 12}))
      << "lap 8 follows the out-lap";
}

TEST(GreenFlagLaps, OutliersAreKeptApartForConsistency) {
  std::vector<LapRecord> laps;
  for (int n = 1; n <= 10; ++n) laps.push_back(official(n, 100000));
  laps[6].lap_time_ms = 112000;  // lap 7: a spin
  auto car = one_car(laps);
  auto green = green_flag_laps(car.analysis, car.driver);
  EXPECT_EQ(green.excluded_outlier, 1);
  EXPECT_EQ(lap_numbers(green.outliers), (std::vector<int>{7}));
  EXPECT_EQ(lap_numbers(green.with_outliers()), (std::vector<int>{3, 4, 5, 6, 7, 8, 9, 10}));
  auto c = consistency_of(lap_seconds(green.with_outliers()));
  EXPECT_EQ(c.total_laps, 8);
  EXPECT_EQ(c.laps_within_05s, 7) << "the spin counts against consistency";
}

TEST(PaceLaps, AreTheGreenLapsWhenThereAreAny) {
  std::vector<LapRecord> laps;
  for (int n = 1; n <= 6; ++n) laps.push_back(official(n, 100000 + n));
  auto car = one_car(laps);
  auto pace = pace_laps(car.analysis, car.driver);
  EXPECT_TRUE(pace.green_flag);
  EXPECT_EQ(lap_numbers(pace.laps), (std::vector<int>{3, 4, 5, 6}));
  EXPECT_EQ(pace_basis(pace.green_flag), "green-flag laps");
}

TEST(PaceLaps, FallBackToEveryValidLapWithoutAGreenOne) {
  // The start, a caution lap, the restart lap and an in-lap: not one green racing lap. A
  // deleted lap and an invalid one stay out even then.
  std::vector<LapRecord> laps{official(1, 106900), official(2, 130000, "FCY"), official(3, 110000),
                              official(4, 150000), official(5, 99000),         official(6, 20000)};
  laps[3].pit = true;
  laps[4].deleted = true;
  laps[4].valid = false;
  laps[5].valid = false;
  auto car = one_car(laps, 106900);
  auto pace = pace_laps(car.analysis, car.driver);
  EXPECT_TRUE(pace.green.laps.empty());
  EXPECT_FALSE(pace.green_flag);
  EXPECT_EQ(lap_numbers(pace.laps), (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(pace_basis(pace.green_flag), "all valid laps: no green-flag lap");
}

TEST(GreenFlagLaps, EcuOnlyVehiclesLoseTheStartAndTheFirstFullLap) {
  std::vector<LapRecord> laps;
  for (int n = 1; n <= 8; ++n) {
    LapRecord l = official(n, 100000, "");
    l.source = LapSource::Ecu;
    l.vehicle_id = "GR86-001-7";
    laps.push_back(l);
  }
  auto car = one_car(laps);
  car.driver.source = LapSource::Ecu;
  car.driver.vehicle_id = "GR86-001-7";
  auto green = green_flag_laps(car.analysis, car.driver);
  EXPECT_FALSE(green.flags_known);
  EXPECT_EQ(green.excluded_start, 1);
  EXPECT_EQ(green.excluded_restart, 1);
  EXPECT_EQ(green.excluded_flag, 0) << "no flags to judge by";
  EXPECT_EQ(green.laps.size(), 6u);
}

// --- the pit-strategy answer ---------------------------------------------------------

Degradation wearing() {
  std::vector<std::pair<int, double>> laps;
  for (int lap = 3; lap <= 22; ++lap) laps.emplace_back(lap, 98.0 + 0.1 * lap + (lap % 2 ? 0.05 : -0.05));
  return fit_degradation(laps);
}

TEST(PitStrategyAnswer, NoPitStopsMeansNoPitDataAndNoPlan) {
  PitLossEstimate none = estimate_pit_loss({lap("9", 2, 100000), lap("9", 3, 100000)});
  ASSERT_EQ(none.stops_measured, 0);
  EXPECT_EQ(none.pit_laps, 0);
  auto answer = pit_strategy({2, 400, 10, 40.0}, wearing(), std::nullopt, none);
  EXPECT_FALSE(answer.pit_data);
  EXPECT_FALSE(answer.plan) << "no model on a fixed pit loss";
  EXPECT_EQ(answer.message.rfind("no pit data in this session", 0), 0u) << answer.message;
  ASSERT_TRUE(answer.wear_rate) << "the wear is still reported";
  EXPECT_NEAR(*answer.wear_rate, 0.1, 0.01);
  // Pit laps under caution only: seen, but none measurable.
  std::vector<OfficialLap> fcy_stop;
  for (int n = 1; n <= 6; ++n) fcy_stop.push_back(lap("9", n, 100000, n == 3 || n == 4 ? "FCY" : "GF"));
  fcy_stop[2].crossing_in_pit = true;
  auto unmeasured = estimate_pit_loss(fcy_stop);
  EXPECT_EQ(unmeasured.stops_measured, 0);
  EXPECT_EQ(unmeasured.pit_laps, 1);
  auto answer2 = pit_strategy({2, 400, 10, 40.0}, wearing(), std::nullopt, unmeasured);
  EXPECT_FALSE(answer2.plan);
  EXPECT_NE(answer2.message.find("1 laps in the pit lane"), std::string::npos) << answer2.message;
}

TEST(PitStrategyAnswer, OnlyASignificantPositiveRateIsPlannedWith) {
  PitLossEstimate measured;
  measured.seconds = 25.0;
  measured.stops_measured = 3;
  measured.pit_laps = 6;
  auto planned = pit_strategy({2, 400, 10, 40.0}, wearing(), std::nullopt, measured);
  ASSERT_TRUE(planned.plan);
  EXPECT_TRUE(planned.message.empty());
  EXPECT_EQ(planned.rate_source, "driver");
  ASSERT_TRUE(planned.plan->optimal_pit_lap);
  // A negative slope: reported as measured, no plan, and no "0.0 s loss".
  std::vector<std::pair<int, double>> falling;
  for (int lap = 4; lap <= 13; ++lap) falling.emplace_back(lap, 104.0 - 0.2 * lap + (lap % 2 ? 0.05 : -0.05));
  auto improving = pit_strategy({2, 400, 10, 40.0}, fit_degradation(falling), std::nullopt, measured);
  EXPECT_FALSE(improving.plan);
  EXPECT_FALSE(improving.wear_rate);
  ASSERT_TRUE(improving.measured_rate);
  EXPECT_LT(*improving.measured_rate, -0.15);
  EXPECT_NE(improving.message.find("fell significantly"), std::string::npos) << improving.message;
  // Too few laps of their own, and a field that does not degrade: no plan either.
  FieldDegradation flat_field;
  flat_field.median_slope = 0.01;
  flat_field.drivers_fitted = 10;
  flat_field.drivers_degrading = 2;
  auto few = pit_strategy({2, 400, 10, 40.0}, fit_degradation({{2, 100.0}}), flat_field, measured);
  EXPECT_EQ(few.rate_source, "field median");
  EXPECT_FALSE(few.plan);
  EXPECT_NE(few.message.find("2 of 10"), std::string::npos) << few.message;
  flat_field.drivers_degrading = 6;
  auto field_rate = pit_strategy({2, 400, 10, 40.0}, fit_degradation({{2, 100.0}}), flat_field, measured);
  EXPECT_TRUE(field_rate.plan);
}

}  // namespace
}  // namespace apex
