#include "analysis/telemetry_analysis.h"

#include <algorithm>
#include <cmath>

namespace apex {

namespace {

// Speed is smoothed over this window (centred) before looking for corners, so the
// wheel-speed jitter of a few km/h between samples does not make extra minima.
constexpr std::int64_t kCornerSmoothingMs = 500;

struct Window {
  std::size_t first = 0, last = 0;  // [first, last) of a series
  bool empty() const { return first >= last; }
};

Window window_of(const ChannelSeries& s, std::int64_t from_ms, std::int64_t to_ms) {
  auto [first, last] = s.range(from_ms, to_ms);
  return {first, last};
}

// Time-weighted mean of the samples in w (trapezoids; a single sample is its own mean).
double time_weighted_mean(const ChannelSeries& s, Window w) {
  if (w.last - w.first == 1) return s.value[w.first];
  double area = 0;
  for (std::size_t i = w.first + 1; i < w.last; ++i)
    area += 0.5 * (static_cast<double>(s.value[i - 1]) + s.value[i]) *
            static_cast<double>(s.time_ms[i] - s.time_ms[i - 1]);
  const double span = static_cast<double>(s.time_ms[w.last - 1] - s.time_ms[w.first]);
  return area / span;
}

// Share (0..100) of the time in w during which the held value (each sample until the
// next) is at least threshold.
double time_share_at_least(const ChannelSeries& s, Window w, double threshold) {
  if (w.last - w.first < 2) return s.value[w.first] >= threshold ? 100.0 : 0.0;
  double at = 0, total = 0;
  for (std::size_t i = w.first + 1; i < w.last; ++i) {
    const double dt = static_cast<double>(s.time_ms[i] - s.time_ms[i - 1]);
    total += dt;
    if (s.value[i - 1] >= threshold) at += dt;
  }
  return total > 0 ? 100.0 * at / total : 0.0;
}

double distance_at(const DistanceAxis* axis, std::int64_t t) {
  return axis && axis->source != DistanceSource::None ? axis->at(t) : 0.0;
}

// Largest |value| (or, with other, sqrt(v^2 + other(t)^2)) of s in [from, to].
std::optional<double> peak_magnitude(const ChannelSeries* s, const ChannelSeries* other, std::int64_t from,
                                     std::int64_t to) {
  if (!s) return std::nullopt;
  const Window w = window_of(*s, from, to + 1);
  if (w.empty()) return std::nullopt;
  double peak = 0;
  for (std::size_t i = w.first; i < w.last; ++i) {
    double v = s->value[i];
    if (other) {
      const double o = series_value_at(*other, s->time_ms[i]);
      v = std::sqrt(v * v + o * o);
    }
    peak = std::max(peak, std::abs(v));
  }
  return peak;
}

// Where a series falls to its minimum over [from, to] (interpolated ends included).
double min_over(const ChannelSeries& s, std::int64_t from, std::int64_t to) {
  double lowest = std::min(series_value_at(s, from), series_value_at(s, to));
  const Window w = window_of(s, from, to + 1);
  for (std::size_t i = w.first; i < w.last; ++i) lowest = std::min(lowest, static_cast<double>(s.value[i]));
  return lowest;
}

// Centred moving average over kCornerSmoothingMs (two pointers: O(n)).
std::vector<double> smoothed(const ChannelSeries& s, Window w) {
  std::vector<double> out(w.last - w.first);
  std::size_t lo = w.first, hi = w.first;
  double sum = 0;
  for (std::size_t i = w.first; i < w.last; ++i) {
    const std::int64_t t = s.time_ms[i];
    while (hi < w.last && s.time_ms[hi] <= t + kCornerSmoothingMs / 2) sum += s.value[hi++];
    while (s.time_ms[lo] < t - kCornerSmoothingMs / 2) sum -= s.value[lo++];
    out[i - w.first] = sum / static_cast<double>(hi - lo);
  }
  return out;
}

struct Extreme {
  std::size_t index = 0;  // into the smoothed window
  bool maximum = false;
};

// Alternating maxima and minima that differ by at least threshold (a zigzag filter).
// A lap that starts by slowing opens with a maximum; the candidate still open at the end
// is kept when it is a maximum (the run to the line), so every minimum has an exit.
std::vector<Extreme> zigzag(const std::vector<double>& v, double threshold) {
  std::vector<Extreme> out;
  if (v.empty()) return out;
  int trend = 0;  // 0 unknown, +1 rising (looking for a maximum), -1 falling
  std::size_t hi = 0, lo = 0, candidate = 0;
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (trend == 0) {
      if (v[i] > v[hi]) hi = i;
      if (v[i] < v[lo]) lo = i;
      if (v[hi] - v[i] >= threshold) {
        out.push_back({hi, true});
        trend = -1;
        candidate = i;
      } else if (v[i] - v[lo] >= threshold) {
        trend = 1;
        candidate = i;
      }
      continue;
    }
    if (trend > 0) {
      if (v[i] >= v[candidate]) {
        candidate = i;
      } else if (v[candidate] - v[i] >= threshold) {
        out.push_back({candidate, true});
        trend = -1;
        candidate = i;
      }
    } else {
      if (v[i] <= v[candidate]) {
        candidate = i;
      } else if (v[i] - v[candidate] >= threshold) {
        out.push_back({candidate, false});
        trend = 1;
        candidate = i;
      }
    }
  }
  if (trend > 0) out.push_back({candidate, true});
  return out;
}

}  // namespace

std::vector<BrakingEvent> braking_events(const Telemetry& telemetry, const VehicleTelemetry& vehicle,
                                         std::int64_t from_ms, std::int64_t to_ms, const DistanceAxis* axis) {
  std::vector<BrakingEvent> events;
  const ChannelSeries* brake = telemetry.resolve(vehicle, "pbrake_f");
  if (!brake) return events;
  const ChannelSeries* speed = telemetry.resolve(vehicle, "speed");
  const ChannelSeries* accel = telemetry.resolve(vehicle, "accx_can");
  const Window w = window_of(*brake, from_ms, to_ms);
  std::optional<BrakingEvent> open;
  auto close = [&](std::int64_t end) {
    open->end_ms = end;
    if (open->end_ms - open->start_ms >= kMinBrakeMs) {
      if (speed) {
        open->entry_speed_kmh = series_value_at(*speed, open->start_ms);
        open->min_speed_kmh = min_over(*speed, open->start_ms, open->end_ms);
      }
      if (accel) {
        const Window a = window_of(*accel, open->start_ms, open->end_ms + 1);
        double lowest = 0;
        for (std::size_t i = a.first; i < a.last; ++i)
          lowest = std::min(lowest, static_cast<double>(accel->value[i]));
        open->peak_decel_g = -lowest;
      }
      events.push_back(*open);
    }
    open.reset();
  };
  for (std::size_t i = w.first; i < w.last; ++i) {
    const double bar = brake->value[i];
    const std::int64_t t = brake->time_ms[i];
    if (!open) {
      if (bar >= kBrakeOnBar) {
        open = BrakingEvent{};
        open->start_ms = t;
        open->start_distance_m = distance_at(axis, t);
        open->peak_bar = bar;
      }
    } else if (bar < kBrakeOffBar) {
      close(t);
    } else {
      open->peak_bar = std::max(open->peak_bar, bar);
    }
  }
  if (open) close(brake->time_ms[w.last - 1]);
  return events;
}

LapTelemetrySummary summarise_lap(const Telemetry& telemetry, const VehicleTelemetry& vehicle,
                                  const LapWindow& lap, const DistanceAxis& axis) {
  LapTelemetrySummary out;
  out.window = lap;
  out.distance_source = axis.source;
  out.lap_length_m = axis.length_m();
  for (const ChannelSeries& s : vehicle.channels) {
    const Window w = window_of(s, lap.start_ms, lap.end_ms);
    out.samples += w.last - w.first;
  }
  if (const ChannelSeries* speed = telemetry.resolve(vehicle, "speed")) {
    const Window w = window_of(*speed, lap.start_ms, lap.end_ms);
    if (!w.empty()) {
      auto [lo, hi] = std::minmax_element(speed->value.begin() + static_cast<std::ptrdiff_t>(w.first),
                                          speed->value.begin() + static_cast<std::ptrdiff_t>(w.last));
      out.speed = SpeedStats{*lo, time_weighted_mean(*speed, w), *hi};
    }
  }
  if (const ChannelSeries* throttle = telemetry.resolve(vehicle, "throttle")) {
    const Window w = window_of(*throttle, lap.start_ms, lap.end_ms);
    if (!w.empty()) {
      out.throttle_mean_pct = time_weighted_mean(*throttle, w);
      out.full_throttle_pct = time_share_at_least(*throttle, w, kFullThrottlePct);
    }
  }
  out.has_brake_channel = telemetry.resolve(vehicle, "pbrake_f") != nullptr;
  out.braking = braking_events(telemetry, vehicle, lap.start_ms, lap.end_ms, &axis);
  return out;
}

LapCorners find_corners(const Telemetry& telemetry, const VehicleTelemetry& vehicle, const LapWindow& lap,
                        const DistanceAxis& axis) {
  LapCorners out;
  out.distance_source = axis.source;
  const ChannelSeries* speed = telemetry.resolve(vehicle, "speed");
  if (!speed) return out;
  const Window w = window_of(*speed, lap.start_ms, lap.end_ms);
  if (w.last - w.first < 3) return out;
  const std::vector<double> v = smoothed(*speed, w);
  const std::vector<Extreme> extremes = zigzag(v, kCornerSpeedDropKmh);
  const ChannelSeries* lateral = telemetry.resolve(vehicle, "accy_can");
  const ChannelSeries* longitudinal = telemetry.resolve(vehicle, "accx_can");
  const std::vector<BrakingEvent> brakes =
      braking_events(telemetry, vehicle, lap.start_ms, lap.end_ms, &axis);

  auto time_of = [&](std::size_t k) { return speed->time_ms[w.first + k]; };
  for (std::size_t e = 0; e < extremes.size(); ++e) {
    if (extremes[e].maximum) {
      Straight straight;
      straight.start_distance_m = e > 0 ? distance_at(&axis, time_of(extremes[e - 1].index)) : 0.0;
      straight.end_distance_m =
          e + 1 < extremes.size() ? distance_at(&axis, time_of(extremes[e + 1].index)) : axis.length_m();
      // Smoothed like the minima, so a single spike of wheel speed is not the straight's top speed.
      straight.max_speed_kmh = v[extremes[e].index];
      straight.max_speed_distance_m = distance_at(&axis, time_of(extremes[e].index));
      out.straights.push_back(straight);
      continue;
    }
    Corner c;
    c.number = static_cast<int>(out.corners.size()) + 1;
    const std::size_t entry = e > 0 ? extremes[e - 1].index : 0;
    const std::size_t exit = e + 1 < extremes.size() ? extremes[e + 1].index : v.size() - 1;
    c.entry_ms = time_of(entry);
    c.apex_ms = time_of(extremes[e].index);
    c.exit_ms = time_of(exit);
    c.entry_speed_kmh = v[entry];
    c.apex_speed_kmh = v[extremes[e].index];
    c.exit_speed_kmh = v[exit];
    c.entry_distance_m = distance_at(&axis, c.entry_ms);
    c.apex_distance_m = distance_at(&axis, c.apex_ms);
    c.exit_distance_m = distance_at(&axis, c.exit_ms);
    c.max_lateral_g = peak_magnitude(lateral, nullptr, c.entry_ms, c.exit_ms);
    if (lateral && longitudinal)
      c.max_combined_g = peak_magnitude(lateral, longitudinal, c.entry_ms, c.exit_ms);
    for (const BrakingEvent& b : brakes)
      if (b.start_ms >= c.entry_ms && b.start_ms <= c.apex_ms) {
        c.brake_distance_m = b.start_distance_m;
        break;
      }
    out.corners.push_back(c);
  }
  return out;
}

std::vector<std::optional<double>> best_apex_speeds(const LapCorners& lap, std::span<const LapCorners> laps) {
  std::vector<std::optional<double>> out(lap.corners.size());
  if (lap.distance_source == DistanceSource::None) return out;
  for (std::size_t i = 0; i < lap.corners.size(); ++i) {
    const Corner& c = lap.corners[i];
    double best = c.apex_speed_kmh;
    for (const LapCorners& other : laps) {
      if (other.distance_source == DistanceSource::None) continue;
      const Corner* nearest = nullptr;
      for (const Corner& o : other.corners)
        if (!nearest || std::abs(o.apex_distance_m - c.apex_distance_m) <
                            std::abs(nearest->apex_distance_m - c.apex_distance_m))
          nearest = &o;
      if (nearest && std::abs(nearest->apex_distance_m - c.apex_distance_m) <= kCornerMatchM)
        best = std::max(best, nearest->apex_speed_kmh);
    }
    out[i] = best;
  }
  return out;
}

namespace {

// Seconds from the lap's start until the car had covered share of the axis's length.
double time_at_share(const LapWindow& lap, const DistanceAxis& axis, double share) {
  if (share <= 0) return 0.0;
  if (share >= 1) return static_cast<double>(lap.end_ms - lap.start_ms) / 1000.0;
  const double target = share * axis.length_m();
  auto it = std::lower_bound(axis.distance_m.begin(), axis.distance_m.end(), target);
  if (it == axis.distance_m.begin()) return static_cast<double>(axis.time_ms.front() - lap.start_ms) / 1000.0;
  if (it == axis.distance_m.end()) return static_cast<double>(lap.end_ms - lap.start_ms) / 1000.0;
  const auto i = static_cast<std::size_t>(it - axis.distance_m.begin());
  const double d0 = axis.distance_m[i - 1], d1 = axis.distance_m[i];
  const double t0 = static_cast<double>(axis.time_ms[i - 1]), t1 = static_cast<double>(axis.time_ms[i]);
  const double t = d1 > d0 ? t0 + (target - d0) / (d1 - d0) * (t1 - t0) : t1;
  return (t - static_cast<double>(lap.start_ms)) / 1000.0;
}

}  // namespace

std::optional<LapDelta> compare_laps(const LapWindow& a, const DistanceAxis& axis_a, const LapWindow& b,
                                     const DistanceAxis& axis_b, std::size_t points) {
  if (axis_a.source == DistanceSource::None || axis_b.source == DistanceSource::None) return std::nullopt;
  if (axis_a.length_m() <= 0 || axis_b.length_m() <= 0 || points < 2) return std::nullopt;
  LapDelta out;
  out.share.reserve(points);
  out.distance_m.reserve(points);
  out.delta_s.reserve(points);
  for (std::size_t i = 0; i < points; ++i) {
    const double share = static_cast<double>(i) / static_cast<double>(points - 1);
    out.share.push_back(share);
    out.distance_m.push_back(share * axis_a.length_m());
    out.delta_s.push_back(time_at_share(b, axis_b, share) - time_at_share(a, axis_a, share));
  }
  return out;
}

std::vector<std::size_t> thin_for_plot(std::span<const float> values, std::size_t max_points) {
  const std::size_t n = values.size();
  std::vector<std::size_t> out;
  if (n <= max_points || max_points < 4) {
    const std::size_t keep = n <= max_points ? n : std::min(n, max_points);
    out.reserve(keep);
    if (keep == n) {
      for (std::size_t i = 0; i < n; ++i) out.push_back(i);
    } else {
      // Too few points for buckets: evenly spaced, first and last included.
      for (std::size_t k = 0; k < keep; ++k) out.push_back(keep == 1 ? 0 : k * (n - 1) / (keep - 1));
    }
    return out;
  }
  const std::size_t buckets = (max_points - 2) / 2;
  const std::size_t interior = n - 2;
  out.reserve(2 + 2 * buckets);
  out.push_back(0);
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t from = 1 + b * interior / buckets;
    const std::size_t to = 1 + (b + 1) * interior / buckets;
    if (from >= to) continue;
    std::size_t lo = from, hi = from;
    for (std::size_t i = from; i < to; ++i) {
      if (values[i] < values[lo]) lo = i;
      if (values[i] > values[hi]) hi = i;
    }
    out.push_back(std::min(lo, hi));
    if (lo != hi) out.push_back(std::max(lo, hi));
  }
  out.push_back(n - 1);
  return out;
}

namespace {

// The q-quantile (0..1) of values (nearest rank); nullopt when empty.
std::optional<double> quantile(std::vector<float> values, double q) {
  if (values.empty()) return std::nullopt;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

}  // namespace

DriverTelemetryStats driver_telemetry_stats(const Telemetry& telemetry, const VehicleTelemetry& vehicle,
                                            std::span<const LapWindow> laps) {
  DriverTelemetryStats out;
  out.laps = laps.size();
  const ChannelSeries* speed = telemetry.resolve(vehicle, "speed");
  const ChannelSeries* front = telemetry.resolve(vehicle, "pbrake_f");
  const ChannelSeries* rear = vehicle.find(channel::kBrakeRear);
  const ChannelSeries* accx = telemetry.resolve(vehicle, "accx_can");
  const ChannelSeries* accy = telemetry.resolve(vehicle, "accy_can");
  const ChannelSeries* throttle = telemetry.resolve(vehicle, "throttle");

  double speed_area = 0, speed_time = 0, high = 0, mid = 0, low = 0;
  double accel_sum = 0, combined_sum = 0, grip_high = 0, grip_mid = 0, grip_low = 0;
  std::size_t accel_n = 0, combined_n = 0, braking_samples = 0, trail_samples = 0;
  std::vector<float> front_values, rear_values, combined_values, decel_values;
  double front_braking_sum = 0, rear_braking_sum = 0;
  std::size_t front_braking_n = 0, rear_braking_n = 0;
  std::vector<double> throttle_changes;
  for (const LapWindow& lap : laps) {
    out.seconds += static_cast<double>(lap.end_ms - lap.start_ms) / 1000.0;
    if (speed) {
      const Window w = window_of(*speed, lap.start_ms, lap.end_ms);
      for (std::size_t i = w.first; i < w.last; ++i) {
        const double v = speed->value[i];
        if (!out.speed) out.speed = SpeedStats{v, 0, v};
        out.speed->min_kmh = std::min(out.speed->min_kmh, v);
        out.speed->max_kmh = std::max(out.speed->max_kmh, v);
        if (i + 1 < w.last) {
          const double dt = static_cast<double>(speed->time_ms[i + 1] - speed->time_ms[i]);
          speed_area += 0.5 * (v + speed->value[i + 1]) * dt;
          speed_time += dt;
          (v > 150 ? high : v > 100 ? mid : low) += dt;
        }
      }
    }
    if (accx) {
      const Window w = window_of(*accx, lap.start_ms, lap.end_ms);
      for (std::size_t i = w.first; i < w.last; ++i, ++accel_n) {
        accel_sum += accx->value[i];
        if (accx->value[i] < 0) decel_values.push_back(-accx->value[i]);
      }
    }
    if (accy) {
      const Window w = window_of(*accy, lap.start_ms, lap.end_ms);
      for (std::size_t i = w.first; i < w.last; ++i) {
        const double y = accy->value[i];
        const double x = accx ? series_value_at(*accx, accy->time_ms[i]) : 0.0;
        const double g = std::sqrt(x * x + y * y);
        combined_sum += g;
        ++combined_n;
        combined_values.push_back(static_cast<float>(g));
        out.max_combined_g = std::max(out.max_combined_g.value_or(0.0), g);
        (g > 0.8 ? grip_high : g > 0.4 ? grip_mid : grip_low) += 1;
      }
    }
    if (front) {
      const Window w = window_of(*front, lap.start_ms, lap.end_ms);
      for (std::size_t i = w.first; i < w.last; ++i) {
        const float bar = front->value[i];
        front_values.push_back(bar);
        if (bar < kBrakeOffBar) continue;
        front_braking_sum += bar;
        ++front_braking_n;
        ++braking_samples;
        if (accy && std::abs(series_value_at(*accy, front->time_ms[i])) > 0.3) ++trail_samples;
      }
      auto events = braking_events(telemetry, vehicle, lap.start_ms, lap.end_ms, nullptr);
      out.braking.insert(out.braking.end(), events.begin(), events.end());
    }
    if (rear && rear != front) {
      const Window w = window_of(*rear, lap.start_ms, lap.end_ms);
      for (std::size_t i = w.first; i < w.last; ++i) {
        rear_values.push_back(rear->value[i]);
        if (rear->value[i] >= kBrakeOffBar) {
          rear_braking_sum += rear->value[i];
          ++rear_braking_n;
        }
      }
    }
    if (throttle) {
      const Window w = window_of(*throttle, lap.start_ms, lap.end_ms);
      for (std::size_t i = w.first + 1; i < w.last; ++i)
        throttle_changes.push_back(static_cast<double>(throttle->value[i]) - throttle->value[i - 1]);
    }
  }
  if (out.speed && speed_time > 0) {
    out.speed->mean_kmh = speed_area / speed_time;
    out.high_speed_pct = 100.0 * high / speed_time;
    out.mid_speed_pct = 100.0 * mid / speed_time;
    out.low_speed_pct = 100.0 * low / speed_time;
  } else if (out.speed) {
    out.speed->mean_kmh = out.speed->min_kmh;
  }
  if (accel_n) out.mean_long_accel_g = accel_sum / static_cast<double>(accel_n);
  if (combined_n) {
    const double n = static_cast<double>(combined_n);
    out.mean_combined_g = combined_sum / n;
    out.high_grip_pct = 100.0 * grip_high / n;
    out.mid_grip_pct = 100.0 * grip_mid / n;
    out.low_grip_pct = 100.0 * grip_low / n;
  }
  out.grip_limit_g = quantile(std::move(combined_values), kGripLimitQuantile);
  out.braking_limit_g = quantile(std::move(decel_values), kBrakingLimitQuantile);
  out.p99_front_bar = quantile(std::move(front_values), 0.99);
  out.p99_rear_bar = quantile(std::move(rear_values), 0.99);
  if (front_braking_n) out.mean_front_bar_braking = front_braking_sum / static_cast<double>(front_braking_n);
  if (rear_braking_n) out.mean_rear_bar_braking = rear_braking_sum / static_cast<double>(rear_braking_n);
  if (braking_samples && accy)
    out.trail_braking_pct = 100.0 * static_cast<double>(trail_samples) / static_cast<double>(braking_samples);
  if (throttle_changes.size() >= 2) {
    double mean = 0;
    for (double c : throttle_changes) mean += c;
    mean /= static_cast<double>(throttle_changes.size());
    double ss = 0;
    for (double c : throttle_changes) ss += (c - mean) * (c - mean);
    out.throttle_change_std_pct = std::sqrt(ss / static_cast<double>(throttle_changes.size() - 1));
  }
  return out;
}

}  // namespace apex
