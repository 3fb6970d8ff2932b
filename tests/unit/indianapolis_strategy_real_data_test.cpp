// Strategy figures on the real Indianapolis R2 files (../shared/data/gr-cup), a race with
// long caution periods: car 13 races laps 3-13 between two of them, and its laps get
// faster after the first restart. Its pace figures must leave the caution and restart
// laps out, and its falling lap times must be reported as they are, never as a rate of
// tyre wear. Skipped in a clone without ../shared.
#include <gtest/gtest.h>

#include "analysis/lap_selection.h"
#include "analysis/session_analysis.h"
#include "analysis/strategy_analysis.h"
#include "real_session.h"
#include "test_paths.h"

namespace apex {
namespace {

TEST(IndianapolisStrategyRealData, Car13AfterARestartHasNoWearRate) {
  APEX_REQUIRE_SHARED_DATA(root);
  auto real = test::load_real_session(root, "indianapolis", "R2");
  ASSERT_TRUE(real);
  const SessionAnalysis& analysis = real->analysis;
  const DriverSummary* car13 = analysis.find_driver("13");
  ASSERT_NE(car13, nullptr);
  ASSERT_EQ(car13->source, LapSource::Official);

  // 23 laps: lap 1 the start; lap 2 FCY; lap 3 (the green came back) and lap 4 (the first
  // full lap) restart laps; laps 5-13 green; 14-16 FCY; lap 17 a restart; 18-22 FCY; 23 FF.
  auto green = green_flag_laps(analysis, *car13);
  EXPECT_TRUE(green.flags_known);
  EXPECT_EQ(green.excluded_start, 1);
  EXPECT_EQ(green.excluded_flag, 10);
  EXPECT_EQ(green.excluded_restart, 3);
  EXPECT_EQ(green.excluded_pit, 0);
  std::vector<int> kept;
  for (const LapRecord* l : green.with_outliers()) kept.push_back(l->lap);
  EXPECT_EQ(kept, (std::vector<int>{5, 6, 7, 8, 9, 10, 11, 12, 13}));
  for (const LapRecord* l : green.laps)
    EXPECT_NE(l->lap, 4) << "lap 4 (103.616 s) is the first full lap after a restart";

  auto deg = fit_degradation(lap_times_s(green.laps));
  ASSERT_TRUE(deg.fit);
  EXPECT_LT(deg.fit->slope, 0.0) << "laps 5-13 get faster: reported as measured, not clamped";
  EXPECT_NE(deg.verdict, DegradationVerdict::Degrading);
  EXPECT_FALSE(deg.wear_rate()) << "a falling lap time is no rate of tyre wear";
  EXPECT_NE(degradation_explanation(deg).find("no wear rate"), std::string::npos)
      << degradation_explanation(deg);

  // The pit plan takes no rate from it, whatever the session's pit data.
  PitLossEstimate pit_loss;
  if (real->session.sections) pit_loss = estimate_pit_loss(real->session.sections->laps);
  auto answer = pit_strategy({12, 23, 7, 40.0}, deg, std::nullopt, pit_loss);
  EXPECT_FALSE(answer.plan);
  EXPECT_FALSE(answer.wear_rate);
  ASSERT_TRUE(answer.measured_rate);
  EXPECT_LT(*answer.measured_rate, 0.0);
  EXPECT_FALSE(answer.message.empty());
}

}  // namespace
}  // namespace apex
