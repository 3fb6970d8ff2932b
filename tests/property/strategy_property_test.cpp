// Properties of the strategy analyses over generated inputs: a fitted slope recovers
// any exact linear series; the pit plan's stop is the best of every possible stop lap;
// consistency counts are ordered; stint thirds cover every lap once.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>

#include "analysis/strategy_analysis.h"
#include "server/route_table.h"

namespace apex {
namespace {

RC_GTEST_PROP(StrategyProperty, SlopeOfAnExactLinearSeries, ()) {
  const int first = *rc::gen::inRange(1, 10);
  const int count = *rc::gen::inRange(kMinDegradationLaps, 60);
  const double slope = *rc::gen::inRange(-300, 300) / 1000.0;  // -0.3 .. 0.3 s per lap
  const double base = *rc::gen::inRange(60000, 180000) / 1000.0;
  std::vector<std::pair<int, double>> laps;
  for (int i = 0; i < count; ++i) laps.emplace_back(first + i, base + slope * (first + i));
  auto d = fit_degradation(laps);
  RC_ASSERT(d.fit.has_value());
  RC_ASSERT(std::abs(d.fit->slope - slope) < 1e-9);
  RC_ASSERT(d.fit->slope_std_error < 1e-6);
  RC_ASSERT(d.laps_analyzed == count);
  for (const auto& l : d.lap_deltas) {
    RC_ASSERT(l.delta_s >= -1e-12);
    RC_ASSERT(std::abs(l.fitted_delta_s - l.delta_s) < 1e-6);
  }
}

RC_GTEST_PROP(StrategyProperty, PitPlanPicksTheBestStopLap, ()) {
  PitPlanRequest request;
  request.total_laps = *rc::gen::inRange(1, 120);
  request.current_lap = *rc::gen::inRange(0, request.total_laps + 1);
  request.tire_age = *rc::gen::inRange(0, 80);
  const double rate = *rc::gen::inRange(-50, 400) / 1000.0;
  const double pit_loss = *rc::gen::inRange(5, 60);
  auto plan = plan_pit_stop(request, rate, pit_loss);
  const int remaining = request.total_laps - request.current_lap;
  RC_ASSERT(plan.remaining_laps == remaining);
  RC_ASSERT(plan.projected_time_loss_no_pit_s >= 0);
  // Brute force over every stop lap: no stop beats the plan's, and a stop is advised
  // exactly when one saves time.
  // The best stop's saving (possibly negative); with no lap left, only the pit loss.
  double best = remaining > 0 ? -std::numeric_limits<double>::infinity() : -pit_loss;
  for (int m = 0; m < remaining; ++m)
    best = std::max(best, rate * (remaining - m) * (request.tire_age + m) - pit_loss);
  RC_ASSERT(std::abs(plan.time_saved_by_best_stop_s - best) < 1e-9);
  RC_ASSERT(plan.optimal_pit_lap.has_value() == (best > 0));
  if (plan.optimal_pit_lap) {
    RC_ASSERT(*plan.optimal_pit_lap >= request.current_lap);
    RC_ASSERT(*plan.optimal_pit_lap < request.total_laps);
  } else {
    RC_ASSERT(plan.recommendation == "Stay out");
  }
}

RC_GTEST_PROP(StrategyProperty, ConsistencyCountsAreOrdered, ()) {
  auto millis = *rc::gen::nonEmpty(rc::gen::container<std::vector<int>>(rc::gen::inRange(90000, 140000)));
  std::vector<double> laps;
  for (int ms : millis) laps.push_back(ms / 1000.0);
  auto c = consistency_of(laps);
  RC_ASSERT(c.total_laps == static_cast<int>(laps.size()));
  RC_ASSERT(1 <= c.laps_within_05s);
  RC_ASSERT(c.laps_within_05s <= c.laps_within_1s);
  RC_ASSERT(c.laps_within_1s <= c.total_laps);
  RC_ASSERT(*c.score_percent > 0 && *c.score_percent <= 100);
  RC_ASSERT(*c.best_s <= *c.mean_s + 1e-9);
}

RC_GTEST_PROP(StrategyProperty, StintThirdsCoverEveryLapOnce, ()) {
  const int count = *rc::gen::inRange(5, 80);
  std::vector<std::pair<int, double>> laps;
  for (int i = 0; i < count; ++i) laps.emplace_back(i + 2, 95.0 + (i % 7) * 0.1);
  auto p = pace_thirds(laps);
  RC_ASSERT(p.has_value());
  RC_ASSERT(p->early.laps + p->mid.laps + p->late.laps == count);
  RC_ASSERT(p->early.first_lap == 2);
  RC_ASSERT(p->mid.first_lap == p->early.last_lap + 1);
  RC_ASSERT(p->late.first_lap == p->mid.last_lap + 1);
  RC_ASSERT(p->late.last_lap == count + 1);
}

// Any path of non-empty segments built from a template matches it, with its values.
RC_GTEST_PROP(StrategyProperty, RouteTemplatesMatchTheirInstances, ()) {
  auto segment =
      rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::elementOf(std::string("abcXYZ019-_.%~ "))));
  const std::string track = *segment, session = *segment, driver = *segment;
  RouteTable table;
  table.add(Route{.method = "GET",
                  .path = "/api/analytics/track/{track}/session/{session}/driver/{driver}/performance"});
  table.add(Route{.method = "GET", .path = "/api/analytics/track/{track}/session/{session}/drivers"});
  auto m = table.match(
      "GET", "/api/analytics/track/" + track + "/session/" + session + "/driver/" + driver + "/performance");
  RC_ASSERT(m.route != nullptr);
  RC_ASSERT(m.path_params.size() == 3u);
  RC_ASSERT(m.path_params[0].second == track);
  RC_ASSERT(m.path_params[1].second == session);
  RC_ASSERT(m.path_params[2].second == driver);
}

}  // namespace
}  // namespace apex
