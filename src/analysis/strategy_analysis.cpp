#include "analysis/strategy_analysis.h"

#include <algorithm>
#include <cmath>
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
  for (const auto& [lap, t] : lap_times) {
    double fitted = out.fit ? out.fit->intercept + out.fit->slope * lap - best : 0.0;
    out.lap_deltas.push_back(DegradationLap{lap, t, t - best, fitted});
  }
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
  for (const auto& [car, car_laps] : by_car) {
    auto is_pit = [](const OfficialLap& l) {
      return l.crossing_in_pit || (l.pit_time_ms && *l.pit_time_ms > 0);
    };
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

}  // namespace apex
