#include "server/telemetry_views.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "analysis/lap_statistics.h"
#include "server/json_views.h"

namespace apex {

namespace {

using nlohmann::json;

// The original service's vehicle geometry for its cornering model (amicos_engine.py). Its
// grip and braking constants are not kept: limits are what the car reached in the data
// (grip_limit_g, braking's vehicle_limit_g).
constexpr double kGravity = 9.81;
constexpr double kCgHeightM = 0.48;
constexpr double kTrackWidthM = 1.52;
constexpr double kYawInertiaKgM2 = 1800;
constexpr double kDefaultMassKg = 1270;
constexpr double kDefaultTopSpeedKmh = 225;  // the original's figure when no facts file is read

std::string one_decimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

json opt(const std::optional<double>& v, int digits) {
  return v ? json(rounded(*v, digits)) : json(nullptr);
}

// The original reports 0 where there is nothing to average.
double mean_or_zero(const std::vector<double>& v) {
  return mean(v).value_or(0);
}

// Physics of one corner from its apex speed and peak lateral acceleration, against the best
// apex speed the car reached there and the grip it showed over the session.
struct CornerPhysics {
  std::optional<double> radius_m, theoretical_kmh, efficiency_pct, yaw_rate, momentum, load_transfer_n,
      grip_pct;
  double momentum_gain_pct = 0;
};

CornerPhysics physics_of(const Corner& c, double mass_kg, std::optional<double> grip_limit_g,
                         std::optional<double> best_apex_kmh) {
  CornerPhysics p;
  const double v = c.apex_speed_kmh / 3.6;
  if (c.max_lateral_g && *c.max_lateral_g > 0.1 && v > 0) {
    p.radius_m = v * v / (*c.max_lateral_g * kGravity);
    p.yaw_rate = v / *p.radius_m;
    p.momentum = kYawInertiaKgM2 * *p.yaw_rate;
    p.load_transfer_n = mass_kg * *c.max_lateral_g * kGravity * kCgHeightM / kTrackWidthM;
  }
  if (best_apex_kmh && *best_apex_kmh > 0) {
    p.theoretical_kmh = *best_apex_kmh;
    p.efficiency_pct = c.apex_speed_kmh / *best_apex_kmh * 100.0;
  }
  // A peak above the limit is in the top 1% of the car's samples (kerbs, spikes): at the limit.
  if (c.max_combined_g && grip_limit_g && *grip_limit_g > 0)
    p.grip_pct = std::min(*c.max_combined_g, *grip_limit_g) / *grip_limit_g * 100.0;
  if (c.entry_speed_kmh > 0)
    p.momentum_gain_pct = (c.exit_speed_kmh - c.entry_speed_kmh) / c.entry_speed_kmh * 100;
  return p;
}

}  // namespace

std::string_view distance_source_name(DistanceSource s) {
  switch (s) {
    case DistanceSource::LapDistance:
      return "lap_distance";
    case DistanceSource::IntegratedSpeed:
      return "integrated_speed";
    case DistanceSource::None:
      break;
  }
  return "none";
}

double rounded(double value, int digits) {
  if (!std::isfinite(value)) return 0;
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

json telemetry_report_json(const TelemetryReport& report) {
  json out = report_json(report.parse);
  out["duplicate_samples"] = report.duplicate_samples;
  out["conflicting_keys"] = report.conflicting_keys;
  return out;
}

json clock_json(const TelemetryClock& clock) {
  return json{
      {"offset_ms", clock.offset_ms},
      {"source", clock_source_name(clock.source)},
      {"uncertainty_ms", clock.uncertainty_ms},
      {"matched_laps", clock.matched_laps},
      {"meta_time_guess_ms", clock.meta_time_guess_ms ? json(*clock.meta_time_guess_ms) : json(nullptr)}};
}

json lap_summary_json(const TelemetryLap& lap, const LapTelemetrySummary& s) {
  json speed = nullptr;
  if (s.speed)
    speed = json{{"min", rounded(s.speed->min_kmh, 2)},
                 {"mean", rounded(s.speed->mean_kmh, 2)},
                 {"max", rounded(s.speed->max_kmh, 2)}};
  // A partial lap has no time or length: only the span its samples cover, in seconds from
  // the window's start.
  const auto seconds = [&](std::int64_t t) {
    return rounded(static_cast<double>(t - lap.window.start_ms) / 1000.0, 3);
  };
  return json{{"lap_number", lap.window.lap},
              {"lap_time_s", lap.partial ? json(nullptr) : json(rounded(s.lap_time_s(), 3))},
              {"partial", lap.partial},
              {"covered_s",
               lap.partial ? json{{"from", seconds(lap.covered_from_ms)}, {"to", seconds(lap.covered_to_ms)}}
                           : json(nullptr)},
              {"lap_source", lap.window.source == LapWindowSource::Crossings ? "crossings" : "lap_column"},
              {"valid", lap.valid},
              {"invalid_reason", lap.valid ? json(nullptr) : json(lap.invalid_reason)},
              {"samples", s.samples},
              {"lap_length_m", lap.partial ? json(nullptr) : json(rounded(s.lap_length_m, 1))},
              {"distance_source", distance_source_name(s.distance_source)},
              {"speed", speed},
              {"throttle_mean_pct", opt(s.throttle_mean_pct, 1)},
              {"full_throttle_pct", opt(s.full_throttle_pct, 1)},
              {"braking_events", s.has_brake_channel ? json(s.braking.size()) : json(nullptr)}};
}

json trace_json(const LapTrace& trace, std::int64_t lap_start_ms, std::size_t max_points) {
  const std::vector<std::size_t> keep = thin_for_plot(trace.value, max_points);
  json distance = json::array(), time = json::array(), value = json::array();
  for (std::size_t i : keep) {
    time.push_back(rounded(static_cast<double>(trace.time_ms[i] - lap_start_ms) / 1000.0, 3));
    value.push_back(rounded(trace.value[i], 4));
    if (!trace.distance_m.empty()) distance.push_back(rounded(trace.distance_m[i], 1));
  }
  return json{{"name", trace.name},
              {"requested", trace.requested},
              {"samples", trace.value.size()},
              {"distance_m", trace.distance_m.empty() ? json(nullptr) : std::move(distance)},
              {"time_s", std::move(time)},
              {"value", std::move(value)}};
}

json braking_event_json(const BrakingEvent& e) {
  return json{{"start_distance_m", rounded(e.start_distance_m, 1)},
              {"duration_s", rounded(e.duration_s(), 3)},
              {"peak_pressure_bar", rounded(e.peak_bar, 2)},
              {"entry_speed_kmh", rounded(e.entry_speed_kmh, 1)},
              {"min_speed_kmh", rounded(e.min_speed_kmh, 1)},
              {"peak_decel_g", opt(e.peak_decel_g, 2)}};
}

json corner_json(const Corner& c) {
  return json{{"corner_number", c.number},
              {"entry_distance_m", rounded(c.entry_distance_m, 1)},
              {"apex_distance_m", rounded(c.apex_distance_m, 1)},
              {"exit_distance_m", rounded(c.exit_distance_m, 1)},
              {"entry_speed_kmh", rounded(c.entry_speed_kmh, 1)},
              {"apex_speed_kmh", rounded(c.apex_speed_kmh, 1)},
              {"exit_speed_kmh", rounded(c.exit_speed_kmh, 1)},
              {"max_lateral_g", opt(c.max_lateral_g, 2)},
              {"brake_distance_m", opt(c.brake_distance_m, 1)}};
}

json telemetry_speed_json(const std::string& driver_id, const DriverTelemetryStats& stats,
                          std::optional<int> best_lap, const LapCorners& corners) {
  json corner_list = json::array(), straights = json::array();
  for (const Corner& c : corners.corners) corner_list.push_back(corner_json(c));
  for (const Straight& s : corners.straights)
    straights.push_back(json{{"start_distance_m", rounded(s.start_distance_m, 1)},
                             {"end_distance_m", rounded(s.end_distance_m, 1)},
                             {"max_speed_kmh", rounded(s.max_speed_kmh, 1)},
                             {"max_speed_distance_m", rounded(s.max_speed_distance_m, 1)}});
  const SpeedStats sp = stats.speed.value_or(SpeedStats{});
  return json{{"driver_id", driver_id},
              {"vmax", rounded(sp.max_kmh, 2)},
              {"vmin", rounded(sp.min_kmh, 2)},
              {"vavg", rounded(sp.mean_kmh, 2)},
              {"speed_range", rounded(sp.max_kmh - sp.min_kmh, 2)},
              {"avg_acceleration", rounded(stats.mean_long_accel_g.value_or(0.0), 3)},
              {"laps_analysed", stats.laps},
              {"corners_lap", best_lap ? json(*best_lap) : json(nullptr)},
              {"corners", std::move(corner_list)},
              {"straights", std::move(straights)}};
}

json telemetry_braking_json(const std::string& driver_id, const DriverTelemetryStats& stats,
                            std::optional<int> best_lap, const std::vector<BrakingEvent>& best_lap_events) {
  std::vector<double> peaks;
  for (const BrakingEvent& e : stats.braking) peaks.push_back(e.peak_bar);
  const double max_peak = peaks.empty() ? 0.0 : *std::max_element(peaks.begin(), peaks.end());
  json zones = json::array();
  for (const BrakingEvent& e : best_lap_events) zones.push_back(braking_event_json(e));
  return json{
      {"driver_id", driver_id},
      {"brake_applications", stats.braking.size()},
      {"avg_brake_pressure", rounded(mean_or_zero(peaks), 2)},
      {"max_brake_pressure", rounded(max_peak, 2)},
      {"braking_efficiency", rounded(max_peak > 0 ? mean_or_zero(peaks) / max_peak * 100.0 : 0.0, 1)},
      {"laps_analysed", stats.laps},
      {"events_per_lap",
       rounded(stats.laps ? static_cast<double>(stats.braking.size()) / static_cast<double>(stats.laps) : 0.0,
               2)},
      {"braking_zones_lap", best_lap ? json(*best_lap) : json(nullptr)},
      {"braking_zones", std::move(zones)}};
}

json analytics_speed_json(const std::string& driver_id, const DriverTelemetryStats& stats,
                          const VehicleFacts* vehicle) {
  if (!stats.speed) return json{{"message", "No speed data available"}};
  const double top = vehicle && vehicle->top_speed_kmh ? *vehicle->top_speed_kmh : kDefaultTopSpeedKmh;
  const SpeedStats& sp = *stats.speed;
  return json{{"driver_id", driver_id},
              {"speed_metrics",
               {{"vmax_kmh", rounded(sp.max_kmh, 1)},
                {"vmin_kmh", rounded(sp.min_kmh, 1)},
                {"vavg_kmh", rounded(sp.mean_kmh, 1)},
                {"speed_range_kmh", rounded(sp.max_kmh - sp.min_kmh, 1)}}},
              {"vehicle_comparison",
               {{"theoretical_max_kmh", top},
                {"speed_utilization_pct", rounded(sp.max_kmh / top * 100.0, 1)},
                {"gap_to_max_kmh", rounded(top - sp.max_kmh, 1)}}},
              {"speed_distribution",
               {{"high_speed_pct", rounded(stats.high_speed_pct, 1)},
                {"mid_speed_pct", rounded(stats.mid_speed_pct, 1)},
                {"low_speed_pct", rounded(stats.low_speed_pct, 1)}}},
              {"laps_analysed", stats.laps}};
}

json analytics_braking_json(const std::string& driver_id, const DriverTelemetryStats& stats,
                            std::size_t braking_zones_on_best_lap) {
  if (!stats.p99_front_bar) return json{{"message", "No braking data available"}};
  std::vector<double> peaks, decels;
  for (const BrakingEvent& e : stats.braking) {
    peaks.push_back(e.peak_bar);
    if (e.peak_decel_g) decels.push_back(*e.peak_decel_g);
  }
  const double p99_f = *stats.p99_front_bar;
  const double p99_r = stats.p99_rear_bar.value_or(0.0);
  const double avg_f = stats.mean_front_bar_braking.value_or(0.0);
  const double avg_r = stats.mean_rear_bar_braking.value_or(0.0);
  const double max_decel = decels.empty() ? 0.0 : *std::max_element(decels.begin(), decels.end());
  // Each event's peak as a share of the deceleration the car reached, capped at it (a peak in
  // the top 1 % is at the limit): a mean of shares, so never above 100 %.
  const double limit_g = stats.braking_limit_g.value_or(0.0);
  const bool has_limit = limit_g > 0;
  std::optional<double> utilization;
  if (has_limit && !decels.empty()) {
    std::vector<double> shares;
    for (double d : decels) shares.push_back(std::min(d, limit_g) / limit_g * 100.0);
    utilization = mean(shares);
  }
  const double front_eff = p99_f > 0 ? avg_f / p99_f * 100.0 : 0.0;
  const double rear_eff = p99_r > 0 ? avg_r / p99_r * 100.0 : 0.0;
  const double trail = stats.trail_braking_pct.value_or(0.0);
  return json{
      {"driver_id", driver_id},
      {"braking_metrics",
       {{"brake_applications", stats.braking.size()},
        {"expected_per_lap", braking_zones_on_best_lap},
        {"max_front_pressure_bar", rounded(p99_f, 2)},
        {"max_rear_pressure_bar", rounded(p99_r, 2)},
        {"avg_front_pressure_bar", rounded(avg_f, 2)},
        {"avg_rear_pressure_bar", rounded(avg_r, 2)},
        {"brake_bias_front_pct", rounded(avg_f + avg_r > 0 ? avg_f / (avg_f + avg_r) * 100.0 : 0.0, 1)},
        {"consistency_bar", rounded(sample_std_dev(peaks).value_or(0), 2)}}},
      {"g_forces",
       {{"max_braking_g", rounded(max_decel, 2)},
        {"avg_braking_g", rounded(mean_or_zero(decels), 2)},
        {"vehicle_limit_g", has_limit ? json(rounded(limit_g, 2)) : json(nullptr)},
        {"vehicle_limit_source",
         has_limit
             ? json(
                   "99th percentile of deceleration (-accx_can where accx_can < 0) over the car's valid laps")
             : json(nullptr)},
        {"utilization_pct", opt(utilization, 1)}}},
      {"efficiency",
       {{"front_brake_efficiency_pct", rounded(front_eff, 1)},
        {"rear_brake_efficiency_pct", rounded(rear_eff, 1)},
        {"overall_efficiency_pct", rounded((front_eff + rear_eff) / 2.0, 1)}}},
      {"technique",
       {{"trail_braking_pct", rounded(trail, 1)},
        {"rating", trail > 30   ? "Advanced"
                   : trail > 15 ? "Intermediate"
                                : "Basic"}}},
      // The data has pressures, not hardware: the maxima are the highest this car reached.
      {"brake_system",
       {{"front", "front axle (pbrake_f)"},
        {"rear", "rear axle (pbrake_r)"},
        {"abs", nullptr},
        {"max_pressure_front_bar",
         rounded(peaks.empty() ? p99_f : *std::max_element(peaks.begin(), peaks.end()), 2)},
        {"max_pressure_rear_bar", rounded(p99_r, 2)}}},
      {"laps_analysed", stats.laps}};
}

// How many corners the original frontend says corner_analysis shows.
constexpr std::size_t kTopCorners = 5;

json amicos_json(const std::string& driver_id, std::optional<int> lap, const LapCorners& corners,
                 std::span<const std::optional<double>> best_apex_kmh, const DriverTelemetryStats& stats,
                 const VehicleFacts* vehicle) {
  const double mass = vehicle && vehicle->weight_kg ? *vehicle->weight_kg : kDefaultMassKg;
  json corner_list = json::array();
  std::vector<double> efficiency, grip, gain;
  struct Ranked {
    const Corner* corner;
    double efficiency;
  };
  std::vector<Ranked> ranked;
  for (std::size_t i = 0; i < corners.corners.size(); ++i) {
    const Corner& c = corners.corners[i];
    const CornerPhysics p =
        physics_of(c, mass, stats.grip_limit_g, i < best_apex_kmh.size() ? best_apex_kmh[i] : std::nullopt);
    if (p.efficiency_pct) {
      efficiency.push_back(*p.efficiency_pct);
      ranked.push_back({&c, *p.efficiency_pct});
    }
    if (p.grip_pct) grip.push_back(*p.grip_pct);
    gain.push_back(p.momentum_gain_pct);
    json j = corner_json(c);
    j["theoretical_max_speed_kmh"] = opt(p.theoretical_kmh, 1);
    j["speed_efficiency_pct"] = opt(p.efficiency_pct, 1);
    j["corner_radius_m"] = opt(p.radius_m, 1);
    j["max_combined_g"] = opt(c.max_combined_g, 2);
    j["grip_utilization_pct"] = opt(p.grip_pct, 1);
    j["angular_momentum"] = opt(p.momentum, 1);
    j["yaw_rate_rad_s"] = opt(p.yaw_rate, 3);
    j["lateral_load_transfer_n"] = opt(p.load_transfer_n, 1);
    j["momentum_gain_pct"] = rounded(p.momentum_gain_pct, 1);
    corner_list.push_back(std::move(j));
  }

  json dna, momentum;
  if (corners.corners.empty()) {
    dna = json{{"message", "Insufficient corner data"}};
    momentum = json{{"message", "No corner data"}};
  } else {
    double aggression = 50;
    if (stats.p99_front_bar && *stats.p99_front_bar > 0 && !stats.braking.empty()) {
      std::vector<double> shares;
      for (const BrakingEvent& e : stats.braking)
        shares.push_back(std::min(1.0, e.peak_bar / *stats.p99_front_bar));
      aggression = mean_or_zero(shares) * 100.0;
    }
    const double smoothness = std::max(0.0, 100.0 - stats.throttle_change_std_pct.value_or(50.0));
    const double avg_grip = mean_or_zero(grip), avg_eff = mean_or_zero(efficiency);
    std::string style = "Balanced";
    if (avg_grip > 85 && aggression > 70)
      style = "Aggressive";
    else if (avg_eff > 90 && smoothness > 80)
      style = "Smooth & Fast";
    else if (avg_grip < 75)
      style = "Conservative";
    dna = json{{"driving_style", style},
               {"brake_aggression_pct", rounded(aggression, 1)},
               {"throttle_smoothness_pct", rounded(smoothness, 1)},
               {"avg_grip_utilization_pct", rounded(avg_grip, 1)},
               {"avg_speed_efficiency_pct", rounded(avg_eff, 1)},
               {"signature", style + " - " + std::to_string(static_cast<int>(avg_grip)) + "% grip, " +
                                 std::to_string(static_cast<int>(aggression)) + "% brake"}};
    const double score = (mean_or_zero(gain) + avg_eff) / 2.0;
    momentum = json{{"avg_momentum_gain_pct", rounded(mean_or_zero(gain), 1)},
                    {"avg_speed_efficiency_pct", rounded(avg_eff, 1)},
                    {"momentum_efficiency_score", rounded(score, 1)},
                    {"rating", score > 80   ? "Excellent"
                               : score > 60 ? "Good"
                                            : "Needs Improvement"}};
  }

  json grip_json;
  if (!stats.max_combined_g) {
    grip_json = json{{"message", "No acceleration data"}};
  } else {
    const double limit = stats.grip_limit_g.value_or(*stats.max_combined_g);
    grip_json = json{{"max_combined_g", rounded(*stats.max_combined_g, 2)},
                     {"avg_combined_g", rounded(stats.mean_combined_g.value_or(0.0), 2)},
                     {"grip_efficiency_pct", rounded(mean_or_zero(grip), 1)},
                     {"time_in_high_grip_pct", rounded(stats.high_grip_pct, 1)},
                     {"time_in_mid_grip_pct", rounded(stats.mid_grip_pct, 1)},
                     {"time_in_low_grip_pct", rounded(stats.low_grip_pct, 1)},
                     {"theoretical_limit_g", rounded(limit, 2)},
                     {"grip_limit_g", rounded(limit, 2)},
                     {"grip_limit_source",
                      "99th percentile of combined g (accx_can, accy_can) over the "
                      "car's valid laps"}};
  }

  // Advice names corners: the three furthest below the best apex speed the car reached there
  // first. A corner at it has no apex speed to gain by this measure: naming it would ask for
  // more than the car has shown it can carry there.
  json advice = json::array();
  std::sort(ranked.begin(), ranked.end(),
            [](const Ranked& a, const Ranked& b) { return a.efficiency < b.efficiency; });
  // Compared as printed (whole percent), so no advice reads "100% of the best".
  auto below_limit = [](const Ranked& r) { return std::lround(r.efficiency) < 100; };
  for (std::size_t i = 0; i < ranked.size() && i < 3 && below_limit(ranked[i]); ++i) {
    const Corner& c = *ranked[i].corner;
    // One decimal: whole km/h would print "97 km/h is 99% of ... (97 km/h)".
    advice.push_back("Corner " + std::to_string(c.number) + " (apex at " +
                     std::to_string(static_cast<int>(std::lround(c.apex_distance_m))) + " m): apex speed " +
                     one_decimal(c.apex_speed_kmh) + " km/h is " +
                     std::to_string(static_cast<int>(std::lround(ranked[i].efficiency))) +
                     "% of the best this car reached there (" +
                     one_decimal(c.apex_speed_kmh / ranked[i].efficiency * 100.0) + " km/h)");
  }
  if (!ranked.empty() && !below_limit(ranked.front()))
    advice.push_back("No corner is below the best apex speed this car reached there (the lowest, corner " +
                     std::to_string(ranked.front().corner->number) + ", is at " +
                     std::to_string(static_cast<int>(std::lround(ranked.front().efficiency))) +
                     "%): by this measure there is no apex speed to gain");
  if (stats.trail_braking_pct && *stats.trail_braking_pct < 15 && !corners.corners.empty())
    advice.push_back(
        "Little trail braking (" + std::to_string(static_cast<int>(*stats.trail_braking_pct)) +
        "% of braking while turning): carrying some brake into the turn-in can rotate the car earlier");
  if (stats.throttle_change_std_pct && *stats.throttle_change_std_pct > 30)
    advice.push_back("Throttle changes are abrupt (std " +
                     std::to_string(static_cast<int>(*stats.throttle_change_std_pct)) +
                     " points per sample): smoother application on exit protects the rear tyres");
  if (advice.empty()) advice.push_back("Insufficient data for recommendations");

  // The original frontend captions corner_analysis "Showing top 5 corners with highest lateral
  // G-forces" and numbers the cards 1 to 5: so that list is those five, highest first (a corner
  // without lateral g last); `corners` keeps every corner in lap order.
  std::vector<std::size_t> order(corners.corners.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return corners.corners[a].max_lateral_g.value_or(-1.0) > corners.corners[b].max_lateral_g.value_or(-1.0);
  });
  json top_corners = json::array();
  for (std::size_t i = 0; i < order.size() && i < kTopCorners; ++i)
    top_corners.push_back(corner_list[order[i]]);

  return json{{"driver_id", driver_id},
              {"lap_number", lap ? json(*lap) : json(nullptr)},
              {"corners_detected", corners.corners.size()},
              {"corner_analysis", std::move(top_corners)},
              {"corners", std::move(corner_list)},
              {"driver_dna", std::move(dna)},
              {"grip_utilization", std::move(grip_json)},
              {"momentum_efficiency", std::move(momentum)},
              {"recommendations", std::move(advice)}};
}

}  // namespace apex
