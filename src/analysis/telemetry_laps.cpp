#include "analysis/telemetry_laps.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace apex {

namespace {

// A drop in lap distance larger than this share of the lap's maximum is the reset at the line.
constexpr double kLapDistanceResetShare = 0.5;
// Lap distance must span at least this share of the lap's time to be trusted.
constexpr double kLapDistanceCoverage = 0.5;
// Lap-column-only laps: the share of the car's median lap a lap must be within to count.
constexpr double kShortestShare = 0.92;
constexpr double kLongestShare = 1.5;
// A lap whose samples span less than this share of it is not a whole lap of telemetry.
constexpr double kMinCoverage = 0.9;

// The time each lap starts at, from the crossings: lap N's start, or lap N - 1's end.
std::map<int, std::int64_t> crossing_starts(const EcuVehicleLaps* crossings) {
  std::map<int, std::int64_t> out;
  if (!crossings) return out;
  for (const EcuLap& lap : crossings->laps) {
    if (lap.lap <= 0) continue;
    out.insert_or_assign(lap.lap, lap.start_ms);
    out.try_emplace(lap.lap + 1, lap.end_ms);
  }
  return out;
}

// First and last sample time of each lap of the lap column, over every channel.
std::map<int, std::pair<std::int64_t, std::int64_t>> lap_column_spans(const VehicleTelemetry& vehicle) {
  std::map<int, std::pair<std::int64_t, std::int64_t>> seen;
  for (const ChannelSeries& s : vehicle.channels) {
    for (std::size_t r = 0; r < s.lap_runs.size(); ++r) {
      const LapRun& run = s.lap_runs[r];
      if (!lap_column_valid(run.lap)) continue;
      const std::size_t end = r + 1 < s.lap_runs.size() ? s.lap_runs[r + 1].first : s.size();
      const std::int64_t first = s.time_ms[run.first];
      const std::int64_t last = s.time_ms[end - 1];
      auto [it, inserted] = seen.try_emplace(run.lap, first, last);
      if (!inserted) {
        it->second.first = std::min(it->second.first, first);
        it->second.second = std::max(it->second.second, last);
      }
    }
  }
  return seen;
}

// Crossing windows of a car, by start time.
std::vector<LapWindow> crossing_windows(const EcuVehicleLaps* crossings) {
  std::vector<LapWindow> out;
  if (!crossings) return out;
  for (const EcuLap& lap : crossings->laps)
    if (lap.lap > 0 && lap.end_ms > lap.start_ms)
      out.push_back(LapWindow{lap.lap, lap.start_ms, lap.end_ms, LapWindowSource::Crossings});
  std::sort(out.begin(), out.end(),
            [](const LapWindow& a, const LapWindow& b) { return a.start_ms < b.start_ms; });
  return out;
}

const LapWindow* window_at(const std::vector<LapWindow>& windows, std::int64_t t) {
  auto it = std::upper_bound(windows.begin(), windows.end(), t,
                             [](std::int64_t time, const LapWindow& w) { return time < w.start_ms; });
  while (it != windows.begin()) {
    --it;
    if (t < it->end_ms) return &*it;
    // Windows do not overlap in practice; one step back is enough.
    break;
  }
  return nullptr;
}

}  // namespace

double series_value_at(const ChannelSeries& s, std::int64_t t) {
  if (s.time_ms.empty()) return 0.0;
  auto it = std::lower_bound(s.time_ms.begin(), s.time_ms.end(), t);
  if (it == s.time_ms.begin()) return s.value.front();
  if (it == s.time_ms.end()) return s.value.back();
  const auto i = static_cast<std::size_t>(it - s.time_ms.begin());
  const double t0 = static_cast<double>(s.time_ms[i - 1]);
  const double t1 = static_cast<double>(s.time_ms[i]);
  const double f = (static_cast<double>(t) - t0) / (t1 - t0);
  return s.value[i - 1] + f * (s.value[i] - s.value[i - 1]);
}

namespace {

std::optional<DistanceAxis> from_lap_distance(const ChannelSeries& lapdist, const ChannelSeries* speed,
                                              const LapWindow& lap) {
  auto [first, last] = lapdist.range(lap.start_ms, lap.end_ms);
  if (last - first < 2) return std::nullopt;
  std::vector<std::int64_t> t(lapdist.time_ms.begin() + static_cast<std::ptrdiff_t>(first),
                              lapdist.time_ms.begin() + static_cast<std::ptrdiff_t>(last));
  std::vector<double> d(lapdist.value.begin() + static_cast<std::ptrdiff_t>(first),
                        lapdist.value.begin() + static_cast<std::ptrdiff_t>(last));
  const double max_d = *std::max_element(d.begin(), d.end());
  const std::int64_t middle = lap.start_ms + (lap.end_ms - lap.start_ms) / 2;
  // Resets: early in the lap, what came before is the previous lap; late, what follows is the next.
  std::size_t keep_from = 0;
  std::size_t keep_to = d.size();
  for (std::size_t i = 1; i < d.size(); ++i) {
    if (d[i - 1] - d[i] <= kLapDistanceResetShare * max_d) continue;
    if (t[i] <= middle)
      keep_from = i;
    else if (keep_to == d.size())
      keep_to = i;
  }
  if (keep_to <= keep_from + 1) return std::nullopt;
  DistanceAxis axis;
  axis.source = DistanceSource::LapDistance;
  axis.time_ms.push_back(lap.start_ms);
  axis.distance_m.push_back(0.0);
  for (std::size_t i = keep_from; i < keep_to; ++i) {
    if (t[i] == lap.start_ms) continue;
    axis.time_ms.push_back(t[i]);
    axis.distance_m.push_back(std::max(axis.distance_m.back(), d[i]));  // noise never runs backwards
  }
  const std::int64_t covered = axis.time_ms.back() - t[keep_from];
  if (static_cast<double>(covered) < kLapDistanceCoverage * static_cast<double>(lap.end_ms - lap.start_ms))
    return std::nullopt;
  // To the line: at the car's speed where known, else at the pace of the last stretch.
  const std::int64_t t_last = axis.time_ms.back();
  if (lap.end_ms > t_last) {
    double mps = 0;
    if (speed && !speed->time_ms.empty()) {
      mps = series_value_at(*speed, t_last) / 3.6;
    } else {
      const std::size_t n = axis.time_ms.size();
      const double dt = static_cast<double>(axis.time_ms[n - 1] - axis.time_ms[n - 2]);
      mps = dt > 0 ? (axis.distance_m[n - 1] - axis.distance_m[n - 2]) / dt * 1000.0 : 0.0;
    }
    axis.time_ms.push_back(lap.end_ms);
    axis.distance_m.push_back(axis.distance_m.back() +
                              std::max(0.0, mps) * static_cast<double>(lap.end_ms - t_last) / 1000.0);
  }
  return axis;
}

DistanceAxis from_speed(const ChannelSeries& speed, const LapWindow& lap) {
  DistanceAxis axis;
  auto [first, last] = speed.range(lap.start_ms, lap.end_ms);
  if (speed.time_ms.empty()) return axis;
  axis.source = DistanceSource::IntegratedSpeed;
  std::vector<std::int64_t> times{lap.start_ms};
  for (std::size_t i = first; i < last; ++i)
    if (speed.time_ms[i] > lap.start_ms) times.push_back(speed.time_ms[i]);
  if (times.back() < lap.end_ms) times.push_back(lap.end_ms);
  double d = 0;
  double previous = std::max(0.0, series_value_at(speed, times[0]));
  axis.time_ms.push_back(times[0]);
  axis.distance_m.push_back(0.0);
  for (std::size_t i = 1; i < times.size(); ++i) {
    const double v = std::max(0.0, series_value_at(speed, times[i]));
    d += 0.5 * (previous + v) / 3.6 * static_cast<double>(times[i] - times[i - 1]) / 1000.0;
    previous = v;
    axis.time_ms.push_back(times[i]);
    axis.distance_m.push_back(d);
  }
  return axis;
}

}  // namespace

std::optional<ClockOffset> estimate_clock_offset(const VehicleTelemetry& vehicle, double quantile) {
  return clock_offset_from_lags(vehicle.ingest_lags, quantile);
}

TelemetryClock telemetry_clock(const VehicleTelemetry& vehicle, const EcuVehicleLaps* crossings) {
  constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
  TelemetryClock out;
  std::int64_t guess_spread = 0;
  if (auto own = estimate_clock_offset(vehicle); own && crossings && crossings->ingest_clock) {
    out.meta_time_guess_ms = own->offset_ms - crossings->ingest_clock->offset_ms;
    guess_spread = std::max<std::int64_t>(1, own->typical_lag_ms + crossings->ingest_clock->typical_lag_ms);
  }
  // The offset lies in [lo, hi]: lap N's samples from its crossing on, before lap N + 1's.
  std::int64_t lo = -kNone, hi = kNone;
  const std::map<int, std::int64_t> starts = crossing_starts(crossings);
  for (const auto& [lap, span] : lap_column_spans(vehicle)) {
    auto start = starts.find(lap);
    auto next = starts.find(lap + 1);
    if (start == starts.end() && next == starts.end()) continue;
    const std::int64_t lap_lo = start != starts.end() ? start->second - span.first : -kNone;
    const std::int64_t lap_hi = next != starts.end() ? next->second - span.second - 1 : kNone;
    if (out.meta_time_guess_ms) {
      const std::int64_t g = *out.meta_time_guess_ms;
      if ((lap_lo != -kNone && g < lap_lo - kClockGuessToleranceMs) ||
          (lap_hi != kNone && g > lap_hi + kClockGuessToleranceMs))
        continue;
    }
    lo = std::max(lo, lap_lo);
    hi = std::min(hi, lap_hi);
    ++out.matched_laps;
  }
  if (lo != -kNone && hi != kNone && lo > hi && lo - hi <= kClockPreciseRangeMs) {
    // A sample or two on the wrong side of the line: the offset that misplaces the least.
    out.offset_ms = hi + (lo - hi) / 2;
    out.uncertainty_ms = (lo - hi + 1) / 2;
    out.source = ClockSource::LapChanges;
    return out;
  }
  if (lo > hi) lo = -kNone, hi = kNone;  // contradictory bounds: lap numbers that do not match
  const bool bounded = lo != -kNone && hi != kNone;
  if (bounded && hi - lo <= kClockPreciseRangeMs) {
    out.offset_ms = lo + (hi - lo) / 2;
    out.uncertainty_ms = (hi - lo + 1) / 2;
    out.source = ClockSource::LapChanges;
  } else if (out.meta_time_guess_ms) {
    out.offset_ms = std::clamp(*out.meta_time_guess_ms, lo, hi);
    out.uncertainty_ms =
        bounded ? std::min(guess_spread, std::max(out.offset_ms - lo, hi - out.offset_ms)) : guess_spread;
    out.source = ClockSource::MetaTime;
  } else if (bounded) {
    out.offset_ms = lo + (hi - lo) / 2;
    out.uncertainty_ms = (hi - lo + 1) / 2;
    out.source = ClockSource::LapChanges;
  } else {
    out.matched_laps = 0;
  }
  return out;
}

std::string_view clock_source_name(ClockSource source) {
  switch (source) {
    case ClockSource::LapChanges:
      return "lap_changes";
    case ClockSource::MetaTime:
      return "meta_time";
    case ClockSource::None:
      break;
  }
  return "none";
}

EcuVehicleLaps on_telemetry_clock(EcuVehicleLaps crossings, const TelemetryClock& clock) {
  for (EcuLap& lap : crossings.laps) {
    lap.start_ms -= clock.offset_ms;
    lap.end_ms -= clock.offset_ms;
  }
  return crossings;
}

std::vector<LapWindow> lap_windows(const VehicleTelemetry& vehicle, const EcuVehicleLaps* crossings) {
  std::vector<LapWindow> out = crossing_windows(crossings);
  const std::map<int, std::pair<std::int64_t, std::int64_t>> seen = lap_column_spans(vehicle);
  const std::map<int, std::int64_t> starts = crossing_starts(crossings);
  const std::size_t from_crossings = out.size();
  auto crossing = [&](int lap) -> const LapWindow* {
    for (std::size_t i = 0; i < from_crossings; ++i)
      if (out[i].lap == lap) return &out[i];
    return nullptr;
  };
  for (const auto& [lap, times] : seen) {
    if (crossing(lap)) continue;
    const auto [first, last] = times;
    LapWindow w{lap, first, last + 1, LapWindowSource::LapColumn, false, false};
    // From the crossing that starts the lap, else from its first sample, a known start when
    // the previous lap's samples end just before it.
    if (auto s = starts.find(lap); s != starts.end() && s->second <= first) {
      w.start_ms = s->second;
      w.start_known = true;
    } else if (auto previous = seen.find(lap - 1); previous != seen.end()) {
      w.start_known = previous->second.second < first && first - previous->second.second <= kLapEdgeGapMs;
    }
    // Up to the next lap's start, from whichever source knows it.
    if (auto next = starts.find(lap + 1); next != starts.end() && next->second > last) {
      w.end_ms = next->second;
      w.end_known = true;
    } else if (auto next_seen = seen.find(lap + 1);
               next_seen != seen.end() && next_seen->second.first > last) {
      w.end_ms = next_seen->second.first;
      w.end_known = w.end_ms - last <= kLapEdgeGapMs;
    }
    out.push_back(w);
  }
  std::sort(out.begin(), out.end(), [](const LapWindow& a, const LapWindow& b) {
    return a.start_ms != b.start_ms ? a.start_ms < b.start_ms : a.lap < b.lap;
  });
  return out;
}

std::vector<int> assign_laps(const ChannelSeries& series, const EcuVehicleLaps* crossings) {
  const std::vector<LapWindow> windows = crossing_windows(crossings);
  std::vector<int> laps(series.size(), 0);
  for (std::size_t r = 0; r < series.lap_runs.size(); ++r) {
    const LapRun& run = series.lap_runs[r];
    const std::size_t end = r + 1 < series.lap_runs.size() ? series.lap_runs[r + 1].first : series.size();
    if (lap_column_valid(run.lap)) {
      std::fill(laps.begin() + run.first, laps.begin() + static_cast<std::ptrdiff_t>(end), run.lap);
      continue;
    }
    // Lap count lost (or 0): the crossings first, then the laps on both sides of the gap.
    int before = 0;
    for (std::size_t k = r; k-- > 0 && before == 0;)
      if (lap_column_valid(series.lap_runs[k].lap)) before = series.lap_runs[k].lap;
    int after = 0;
    for (std::size_t k = r + 1; k < series.lap_runs.size() && after == 0; ++k)
      if (lap_column_valid(series.lap_runs[k].lap)) after = series.lap_runs[k].lap;
    int between = 0;
    if (before > 0 && before == after) between = before;
    if (before > 0 && after == before + 2) between = before + 1;
    for (std::size_t i = run.first; i < end; ++i) {
      const LapWindow* w = window_at(windows, series.time_ms[i]);
      laps[i] = w ? w->lap : between;
    }
  }
  return laps;
}

double DistanceAxis::at(std::int64_t t) const {
  if (time_ms.empty()) return 0.0;
  if (t <= time_ms.front()) return distance_m.front();
  if (t >= time_ms.back()) return distance_m.back();
  auto it = std::upper_bound(time_ms.begin(), time_ms.end(), t);
  const auto i = static_cast<std::size_t>(it - time_ms.begin());
  const double f = static_cast<double>(t - time_ms[i - 1]) / static_cast<double>(time_ms[i] - time_ms[i - 1]);
  return distance_m[i - 1] + f * (distance_m[i] - distance_m[i - 1]);
}

DistanceAxis lap_distance_axis(const Telemetry& telemetry, const VehicleTelemetry& vehicle,
                               const LapWindow& lap) {
  const ChannelSeries* speed = telemetry.resolve(vehicle, "speed");
  if (const ChannelSeries* lapdist = telemetry.resolve(vehicle, "Laptrigger_lapdist_dls"))
    if (auto axis = from_lap_distance(*lapdist, speed, lap)) return *axis;
  if (speed) return from_speed(*speed, lap);
  return DistanceAxis{};
}

const LapTrace* LapSlice::find(std::string_view name) const {
  for (const LapTrace& t : channels)
    if (t.name == name || t.requested == name) return &t;
  return nullptr;
}

Result<LapSlice> slice_lap(const Telemetry& telemetry, const VehicleTelemetry& vehicle,
                           const EcuVehicleLaps* crossings, int lap,
                           std::span<const std::string_view> channels) {
  const std::vector<LapWindow> windows = lap_windows(vehicle, crossings);
  auto window =
      std::find_if(windows.begin(), windows.end(), [&](const LapWindow& w) { return w.lap == lap; });
  if (window == windows.end())
    return make_error(ErrorKind::NotFound, "vehicle " + vehicle.vehicle_id + " has no lap " +
                                               std::to_string(lap) + " in its telemetry");

  std::vector<std::pair<const ChannelSeries*, std::string>> wanted;
  if (channels.empty()) {
    for (const ChannelSeries& s : vehicle.channels)
      wanted.emplace_back(&s, std::string(telemetry.channel_name(s.channel)));
  } else {
    for (std::string_view name : channels) {
      const ChannelSeries* s = telemetry.resolve(vehicle, name);
      if (!s) {
        std::string have;
        for (const ChannelSeries& c : vehicle.channels)
          have += (have.empty() ? "" : ", ") + std::string(telemetry.channel_name(c.channel));
        return make_error(ErrorKind::InvalidInput, "vehicle " + vehicle.vehicle_id + " has no channel '" +
                                                       std::string(name) + "' (it has: " + have + ")");
      }
      wanted.emplace_back(s, std::string(name));
    }
  }

  LapSlice slice;
  slice.vehicle_id = vehicle.vehicle_id;
  slice.window = *window;
  const DistanceAxis axis = lap_distance_axis(telemetry, vehicle, *window);
  slice.distance_source = axis.source;
  slice.lap_length_m = axis.length_m();
  for (const auto& [series, requested] : wanted) {
    LapTrace trace;
    trace.channel = series->channel;
    trace.name = std::string(telemetry.channel_name(series->channel));
    trace.requested = requested;
    auto [first, last] = series->range(window->start_ms, window->end_ms);
    const auto b = static_cast<std::ptrdiff_t>(first);
    const auto e = static_cast<std::ptrdiff_t>(last);
    trace.time_ms.assign(series->time_ms.begin() + b, series->time_ms.begin() + e);
    trace.value.assign(series->value.begin() + b, series->value.begin() + e);
    if (axis.source != DistanceSource::None) {
      trace.distance_m.reserve(trace.time_ms.size());
      for (std::int64_t t : trace.time_ms) trace.distance_m.push_back(static_cast<float>(axis.at(t)));
    }
    slice.channels.push_back(std::move(trace));
  }
  return slice;
}

std::vector<TelemetryLap> telemetry_laps(const VehicleTelemetry& vehicle, const EcuVehicleLaps* crossings) {
  std::vector<TelemetryLap> out;
  std::vector<std::int64_t> durations;
  // The car's densest channel tells which laps the telemetry covers: the lap files know
  // every lap of the race, the logger may have recorded only some of them.
  const ChannelSeries* densest = nullptr;
  for (const ChannelSeries& s : vehicle.channels)
    if (!densest || s.size() > densest->size()) densest = &s;
  for (const LapWindow& w : lap_windows(vehicle, crossings)) {
    if (!densest) break;
    auto [first, last] = densest->range(w.start_ms, w.end_ms);
    if (last - first < 2) continue;
    TelemetryLap lap{w, true, {}, false, densest->time_ms[first], densest->time_ms[last - 1]};
    const double covered = static_cast<double>(lap.covered_to_ms - lap.covered_from_ms);
    const double span = static_cast<double>(w.end_ms - w.start_ms);
    if (!w.start_known || !w.end_known || covered < kMinCoverage * span) {
      lap.partial = true;
      lap.valid = false;
      lap.invalid_reason = "the telemetry covers only part of this lap";
    } else {
      durations.push_back(w.end_ms - w.start_ms);
    }
    out.push_back(lap);
  }
  if (durations.empty()) return out;
  std::nth_element(durations.begin(), durations.begin() + static_cast<std::ptrdiff_t>(durations.size() / 2),
                   durations.end());
  const double median = static_cast<double>(durations[durations.size() / 2]);
  for (TelemetryLap& l : out) {
    if (!l.valid) continue;
    if (l.window.source == LapWindowSource::Crossings && crossings) {
      for (const EcuLap& lap : crossings->laps)
        if (lap.lap == l.window.lap && lap.start_ms == l.window.start_ms) {
          l.valid = lap.valid;
          l.invalid_reason = lap.invalid_reason;
        }
      continue;
    }
    const double d = static_cast<double>(l.window.end_ms - l.window.start_ms);
    if (d < kShortestShare * median) {
      l.valid = false;
      l.invalid_reason = "shorter than 92% of the car's median lap (lap column only, no crossings)";
    } else if (d > kLongestShare * median) {
      l.valid = false;
      l.invalid_reason = "longer than 150% of the car's median lap: out-lap, in-lap or a stop";
    }
  }
  return out;
}

}  // namespace apex
