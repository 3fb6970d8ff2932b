#include "analysis/strategy_analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace apex {

namespace {

// Lap times are written to the millisecond; compare them with a tolerance well below that.
constexpr double kTimeEpsilonS = 1e-6;

}  // namespace

std::string consistency_rating(double score_percent) {
  if (score_percent >= 80) return "Elite";
  if (score_percent >= 60) return "Professional";
  if (score_percent >= 40) return "Advanced";
  return "Developing";
}

Consistency consistency_of(const std::vector<double>& lap_times_s) {
  Consistency out;
  out.total_laps = static_cast<int>(lap_times_s.size());
  if (lap_times_s.empty()) return out;
  double best = *std::min_element(lap_times_s.begin(), lap_times_s.end());
  out.best_s = best;
  out.mean_s = mean(lap_times_s);
  out.std_dev_s = sample_std_dev(lap_times_s);
  if (out.std_dev_s && *out.mean_s > 0) out.coefficient_of_variation = *out.std_dev_s / *out.mean_s * 100.0;
  for (double t : lap_times_s) {
    if (t - best <= 0.5 + kTimeEpsilonS) ++out.laps_within_05s;
    if (t - best <= 1.0 + kTimeEpsilonS) ++out.laps_within_1s;
  }
  out.score_percent = 100.0 * out.laps_within_05s / out.total_laps;
  out.rating = consistency_rating(*out.score_percent);
  return out;
}

std::string_view to_string(DegradationVerdict verdict) {
  switch (verdict) {
    case DegradationVerdict::TooFewLaps:
      return "too few laps";
    case DegradationVerdict::NotSignificant:
      return "not significant";
    case DegradationVerdict::Degrading:
      return "degrading";
    case DegradationVerdict::Improving:
      return "improving";
  }
  return "too few laps";
}

std::optional<double> Degradation::wear_rate() const {
  if (verdict != DegradationVerdict::Degrading || !fit) return std::nullopt;
  return fit->slope;
}

std::string degradation_explanation(const Degradation& d) {
  const std::string laps = std::to_string(d.laps_analyzed) + " green-flag laps";
  if (!d.fit)
    return "only " + laps + ": at least " + std::to_string(kMinDegradationLaps) +
           " are needed to fit a degradation rate";
  char figures[160];
  std::snprintf(figures, sizeof figures, "%+.4f s/lap +/- %.4f (standard error) over %s", d.fit->slope,
                d.fit->slope_std_error, laps.c_str());
  char test[96] = "an exact line";
  if (d.t_value && d.t_critical)
    std::snprintf(test, sizeof test, "t = %.2f, 95%% critical value %.2f", *d.t_value, *d.t_critical);
  switch (d.verdict) {
    case DegradationVerdict::Degrading:
      return std::string("lap times grew significantly: ") + figures + " (" + test + ")";
    case DegradationVerdict::Improving:
      return std::string("lap times fell significantly: ") + figures + " (" + test +
             "); faster laps as the race went on are not tyre wear, so no wear rate is taken from them";
    case DegradationVerdict::NotSignificant:
    case DegradationVerdict::TooFewLaps:
      break;
  }
  return std::string("not significant: ") + figures + " (" + test +
         "); these laps show no trend that can be told from their scatter, so no wear rate is taken from "
         "them";
}

Degradation fit_degradation(std::vector<std::pair<int, double>> lap_times) {
  std::sort(lap_times.begin(), lap_times.end());
  Degradation out;
  out.laps_analyzed = static_cast<int>(lap_times.size());
  if (lap_times.empty()) return out;
  double best = lap_times.front().second;
  for (const auto& [lap, t] : lap_times) best = std::min(best, t);
  out.best_lap_s = best;
  out.current_delta_s = lap_times.back().second - best;
  if (out.laps_analyzed >= kMinDegradationLaps) {
    std::vector<double> x, y;
    for (const auto& [lap, t] : lap_times) {
      x.push_back(lap);
      y.push_back(t);
    }
    out.fit = fit_line(x, y);
  }
  if (out.fit) {
    out.t_critical = t_critical_95(out.laps_analyzed - 2);
    // Laps exactly on a line have no scatter: the sign of the slope is the whole answer.
    if (out.fit->slope_std_error > 0) out.t_value = out.fit->slope / out.fit->slope_std_error;
    const double t = out.t_value.value_or(out.fit->slope > 0   ? HUGE_VAL
                                          : out.fit->slope < 0 ? -HUGE_VAL
                                                               : 0.0);
    if (t >= *out.t_critical)
      out.verdict = DegradationVerdict::Degrading;
    else if (t <= -*out.t_critical)
      out.verdict = DegradationVerdict::Improving;
    else
      out.verdict = DegradationVerdict::NotSignificant;
  }
  for (const auto& [lap, t] : lap_times) {
    double fitted = out.fit ? out.fit->intercept + out.fit->slope * lap - best : 0.0;
    out.lap_deltas.push_back(DegradationLap{lap, t, t - best, fitted});
  }
  return out;
}

FieldDegradation field_degradation(const std::vector<Degradation>& drivers) {
  FieldDegradation out;
  std::vector<double> slopes;
  for (const auto& d : drivers) {
    if (!d.fit) continue;
    slopes.push_back(d.fit->slope);
    if (d.verdict == DegradationVerdict::Degrading) ++out.drivers_degrading;
  }
  out.drivers_fitted = static_cast<int>(slopes.size());
  out.median_slope = median(std::move(slopes));
  return out;
}

std::optional<PaceThirds> pace_thirds(std::vector<std::pair<int, double>> lap_times) {
  if (lap_times.size() < 5) return std::nullopt;
  std::sort(lap_times.begin(), lap_times.end());
  const std::size_t third = lap_times.size() / 3;
  auto stint = [&](std::size_t from, std::size_t to) {
    StintPace s;
    s.first_lap = lap_times[from].first;
    s.last_lap = lap_times[to - 1].first;
    s.laps = static_cast<int>(to - from);
    s.best_lap_s = lap_times[from].second;
    double sum = 0;
    for (std::size_t i = from; i < to; ++i) {
      sum += lap_times[i].second;
      s.best_lap_s = std::min(s.best_lap_s, lap_times[i].second);
    }
    s.avg_lap_time_s = sum / static_cast<double>(to - from);
    return s;
  };
  PaceThirds out;
  out.early = stint(0, third);
  out.mid = stint(third, 2 * third);
  out.late = stint(2 * third, lap_times.size());
  out.early_to_late_delta_s = out.late.avg_lap_time_s - out.early.avg_lap_time_s;
  return out;
}

PitLossEstimate estimate_pit_loss(const std::vector<OfficialLap>& laps) {
  std::map<std::string, std::map<int, const OfficialLap*>> by_car;
  for (const auto& lap : laps) by_car[official_car_id(lap.car_number, lap.car_block)].emplace(lap.lap, &lap);
  PitLossEstimate out;
  std::optional<double> smallest;
  auto is_pit = [](const OfficialLap& l) {
    return l.crossing_in_pit || (l.pit_time_ms && *l.pit_time_ms > 0);
  };
  for (const auto& lap : laps)
    if (is_pit(lap)) ++out.pit_laps;
  for (const auto& [car, car_laps] : by_car) {
    std::vector<double> green;
    for (const auto& [n, lap] : car_laps)
      if (n > 1 && lap->flag == "GF" && !is_pit(*lap) && lap->lap_time_ms > 0)
        green.push_back(static_cast<double>(lap->lap_time_ms) / 1000.0);
    auto typical = median(green);
    if (!typical) continue;
    for (const auto& [n, lap] : car_laps) {
      if (!lap->crossing_in_pit || lap->flag != "GF") continue;
      auto next = car_laps.find(n + 1);
      if (next == car_laps.end() || next->second->flag != "GF" || next->second->lap_time_ms <= 0) continue;
      double loss = static_cast<double>(lap->lap_time_ms + next->second->lap_time_ms) / 1000.0 - 2 * *typical;
      if (loss <= 0) continue;
      ++out.stops_measured;
      if (!smallest || loss < *smallest) smallest = loss;
    }
  }
  if (smallest) out.seconds = *smallest;
  return out;
}

PitPlan plan_pit_stop(const PitPlanRequest& request, double degradation_per_lap, double pit_loss_s) {
  PitPlan out;
  const double r = degradation_per_lap;
  const double a = request.tire_age;
  const int remaining = std::max(0, request.total_laps - request.current_lap);
  out.remaining_laps = remaining;
  const double l = remaining;
  out.projected_time_loss_no_pit_s = std::max(0.0, r * (l * a + l * (l + 1) / 2));
  // A stop after the last lap changes nothing, so m runs over 0 .. remaining - 1.
  auto saving = [&](int m) { return r * (l - m) * (a + m) - pit_loss_s; };
  std::optional<int> best_m;
  if (remaining > 0) {
    double centre = (l - a) / 2;
    for (double candidate : {std::floor(centre), std::ceil(centre), 0.0, l - 1}) {
      int m = static_cast<int>(std::clamp(candidate, 0.0, l - 1));
      if (!best_m || saving(m) > saving(*best_m)) best_m = m;
    }
  }
  out.time_saved_by_best_stop_s = best_m ? saving(*best_m) : -pit_loss_s;
  if (best_m && out.time_saved_by_best_stop_s > 0) {
    out.optimal_pit_lap = request.current_lap + *best_m;
    out.recommendation =
        *best_m == 0 ? "Pit now" : "Pit at the end of lap " + std::to_string(*out.optimal_pit_lap);
  } else {
    out.recommendation = "Stay out";
  }
  return out;
}

PitStrategy pit_strategy(const PitPlanRequest& request, const Degradation& own,
                         const std::optional<FieldDegradation>& field, const PitLossEstimate& pit_loss) {
  PitStrategy out;
  std::string rate_problem;
  if (own.fit) {
    out.measured_rate = own.fit->slope;
    out.rate_source = "driver";
    out.wear_rate = own.wear_rate();
    if (!out.wear_rate)
      rate_problem =
          "no stop is planned: no tyre wear measured for this driver (" + degradation_explanation(own) + ")";
  } else if (field && field->median_slope) {
    out.measured_rate = field->median_slope;
    out.rate_source = "field median";
    if (field->significant()) out.wear_rate = field->median_slope;
    out.notes.push_back("this driver has " + std::to_string(own.laps_analyzed) + " green-flag laps (" +
                        std::to_string(kMinDegradationLaps) + " needed): the field's median slope over " +
                        std::to_string(field->drivers_fitted) + " drivers is used, " +
                        std::to_string(field->drivers_degrading) + " of them degrading significantly");
    if (!out.wear_rate)
      rate_problem =
          "no stop is planned: no tyre wear measured in this session (only " +
          std::to_string(field->drivers_degrading) + " of " + std::to_string(field->drivers_fitted) +
          " drivers' lap times grow significantly, so the field's median slope is no rate of wear)";
  } else {
    rate_problem =
        "no stop is planned: no degradation rate could be measured (no driver of this session has " +
        std::to_string(kMinDegradationLaps) + " green-flag laps)";
  }
  out.pit_data = pit_loss.stops_measured > 0;
  if (!out.pit_data) {
    out.message = "no pit data in this session: ";
    out.message += pit_loss.pit_laps == 0
                       ? "no lap ended in the pit lane or carries a pit time"
                       : std::to_string(pit_loss.pit_laps) +
                             " laps in the pit lane or with a pit time, none of them a stop under green "
                             "followed by a green out-lap that can be measured";
    out.message += ", so a stop's cost is unknown and no stop is planned";
    if (!rate_problem.empty()) out.notes.push_back(rate_problem);
    return out;
  }
  if (!out.wear_rate) {
    out.message = rate_problem;
    return out;
  }
  out.plan = plan_pit_stop(request, *out.wear_rate, pit_loss.seconds);
  return out;
}

}  // namespace apex
