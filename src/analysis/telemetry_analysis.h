// What engineers read from one lap of telemetry: a per-lap summary (speed, throttle,
// braking events), corners and straights from the speed trace, a lap against another on a
// common distance axis, and traces thinned for plotting. Pure functions over the
// Telemetry model and the lap slicing of analysis/telemetry_laps.h.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "analysis/telemetry_laps.h"
#include "model/telemetry.h"

namespace apex {

// A braking event starts when front pressure reaches kBrakeOnBar and ends when it falls
// below kBrakeOffBar (hysteresis, so sensor noise around one threshold is not a string of
// events); shorter than kMinBrakeMs is a touch of the pedal, not braking.
inline constexpr double kBrakeOnBar = 5.0;
inline constexpr double kBrakeOffBar = 2.0;
inline constexpr std::int64_t kMinBrakeMs = 100;
// Throttle at or above this share counts as full throttle (the pedal reads 99-100 flat out).
inline constexpr double kFullThrottlePct = 95.0;
// A corner is a speed minimum at least this far below the maxima on both sides of it.
inline constexpr double kCornerSpeedDropKmh = 8.0;

struct BrakingEvent {
  std::int64_t start_ms = 0;  // ECU clock
  std::int64_t end_ms = 0;
  double start_distance_m = 0;         // from the line; 0 when the lap has no distance axis
  double peak_bar = 0;                 // front pressure
  double entry_speed_kmh = 0;          // speed at the start (0 without a speed channel)
  double min_speed_kmh = 0;            // lowest speed while braking
  std::optional<double> peak_decel_g;  // from accx_can, positive; nullopt without it
  double duration_s() const { return static_cast<double>(end_ms - start_ms) / 1000.0; }
};

struct SpeedStats {
  double min_kmh = 0;
  double mean_kmh = 0;  // time-weighted (trapezoids), so sample-rate changes do not bias it
  double max_kmh = 0;
};

struct LapTelemetrySummary {
  LapWindow window;
  std::size_t samples = 0;  // all channels
  DistanceSource distance_source = DistanceSource::None;
  double lap_length_m = 0;
  std::optional<SpeedStats> speed;
  std::optional<double> throttle_mean_pct;  // time-weighted
  std::optional<double> full_throttle_pct;  // share of lap time at >= kFullThrottlePct
  bool has_brake_channel = false;
  std::vector<BrakingEvent> braking;
  double lap_time_s() const { return static_cast<double>(window.end_ms - window.start_ms) / 1000.0; }
};

LapTelemetrySummary summarise_lap(const Telemetry& telemetry, const VehicleTelemetry& vehicle,
                                  const LapWindow& lap, const DistanceAxis& axis);

// Braking events of a car within [from_ms, to_ms).
std::vector<BrakingEvent> braking_events(const Telemetry& telemetry, const VehicleTelemetry& vehicle,
                                         std::int64_t from_ms, std::int64_t to_ms, const DistanceAxis* axis);

// A corner: the speed minimum between the maxima before and after it.
struct Corner {
  int number = 0;  // 1, 2, ... in lap order
  double entry_distance_m = 0, apex_distance_m = 0, exit_distance_m = 0;
  std::int64_t entry_ms = 0, apex_ms = 0, exit_ms = 0;
  double entry_speed_kmh = 0, apex_speed_kmh = 0, exit_speed_kmh = 0;
  std::optional<double> max_lateral_g;     // |accy_can| between entry and exit
  std::optional<double> max_combined_g;    // sqrt(accx^2 + accy^2) between entry and exit
  std::optional<double> brake_distance_m;  // where braking for it started, when it did
};

// Straights are the stretches between corners; vmax is their top speed.
struct Straight {
  double start_distance_m = 0, end_distance_m = 0;
  double max_speed_kmh = 0;
  double max_speed_distance_m = 0;
};

struct LapCorners {
  std::vector<Corner> corners;
  std::vector<Straight> straights;
  DistanceSource distance_source = DistanceSource::None;  // None: the distances above are all 0
};

// Corners and straights of one lap from its speed trace (smoothed over about 0.5 s).
// Empty without a speed channel.
LapCorners find_corners(const Telemetry& telemetry, const VehicleTelemetry& vehicle, const LapWindow& lap,
                        const DistanceAxis& axis);

// Two laps' apexes within this distance (m) are the same corner: one car's laps put an apex a
// few metres apart (line, distance-axis drift), while a lap's distinct corners are further apart.
inline constexpr double kCornerMatchM = 20.0;

// For each corner of lap, the highest apex speed of the same corner (the nearest apex within
// kCornerMatchM) over laps and lap itself, so it is never below the corner's own apex speed;
// nullopt for every corner when lap has no distance axis (its corners cannot be matched).
std::vector<std::optional<double>> best_apex_speeds(const LapCorners& lap, std::span<const LapCorners> laps);

// Lap B against lap A on a common axis: the share of each lap's own length covered, so
// laps driven on slightly different lines (or measured by different cars) line up at the
// start and the finish. delta_s[i] = time B took to reach share[i] minus the time A took;
// the last point is exactly B's lap time minus A's.
struct LapDelta {
  std::vector<double> share;       // 0..1
  std::vector<double> distance_m;  // share x A's length
  std::vector<double> delta_s;
};

// Needs both axes (DistanceSource != None); points >= 2.
std::optional<LapDelta> compare_laps(const LapWindow& a, const DistanceAxis& axis_a, const LapWindow& b,
                                     const DistanceAxis& axis_b, std::size_t points);

// Indices of at most max_points samples that keep the shape of a series for plotting:
// the first and last sample, and in each of (max_points - 2) / 2 equal index buckets its
// minimum and maximum, in order. All indices when the series is short enough.
std::vector<std::size_t> thin_for_plot(std::span<const float> values, std::size_t max_points);

inline constexpr double kGripLimitQuantile = 0.99;
inline constexpr double kBrakingLimitQuantile = 0.99;

// A driver's telemetry over a set of laps (the valid ones, chosen by the caller): what the
// speed-analysis and braking-analysis routes report. Time shares are of the laps' time.
struct DriverTelemetryStats {
  std::size_t laps = 0;
  double seconds = 0;  // summed lap time
  std::optional<SpeedStats> speed;
  double high_speed_pct = 0;  // > 150 km/h
  double mid_speed_pct = 0;   // (100, 150]
  double low_speed_pct = 0;   // <= 100
  std::optional<double> mean_long_accel_g;
  std::vector<BrakingEvent> braking;  // every event of every lap
  std::optional<double> p99_front_bar, p99_rear_bar;
  std::optional<double> mean_front_bar_braking, mean_rear_bar_braking;  // samples >= kBrakeOffBar
  std::optional<double> trail_braking_pct;  // braking samples with |accy| > 0.3 g, of all braking samples
  std::optional<double> max_combined_g, mean_combined_g;
  // The grip the car showed it has: kGripLimitQuantile of its combined g. A high percentile,
  // not the maximum, so a kerb strike or sensor spike does not set the limit.
  std::optional<double> grip_limit_g;
  // The deceleration the car showed it has: kBrakingLimitQuantile of -accx_can over the
  // samples where accx_can < 0 (the braking side), positive g. A percentile for the same reason.
  std::optional<double> braking_limit_g;
  double high_grip_pct = 0, mid_grip_pct = 0, low_grip_pct = 0;  // combined g > 0.8, (0.4, 0.8], <= 0.4
  std::optional<double> throttle_change_std_pct;                 // std of sample-to-sample throttle change
};

DriverTelemetryStats driver_telemetry_stats(const Telemetry& telemetry, const VehicleTelemetry& vehicle,
                                            std::span<const LapWindow> laps);

}  // namespace apex
