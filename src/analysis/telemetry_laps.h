// Clocks and laps of telemetry: the ECU clock offset of each car, which lap every sample
// belongs to, and one lap of one car sliced out with a distance axis. Pure functions over
// the Telemetry model and the ECU lap crossings (analysis/ecu_laps.h).
//
// Both the telemetry `timestamp` and the lap crossings are on the car's ECU clock, so laps
// are assigned without any offset; the offset is for putting a car on the common
// (ingestion, roughly UTC) clock, e.g. to compare cars or line up with weather.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/ecu_laps.h"
#include "core/error.h"
#include "model/telemetry.h"

namespace apex {

// ---------------------------------------------------------------------------------------
// ECU clock offset.

struct ClockOffset {
  // Add to an ECU timestamp to get the ingestion clock: a low quantile of
  // meta_time - timestamp (ingestion lags 0.1-81 s, so the low end is the clock plus the
  // shortest lag, and a median would carry tens of seconds of queueing).
  std::int64_t offset_ms = 0;
  std::int64_t typical_lag_ms = 0;  // median minus offset: how late rows usually arrived
  std::size_t evidence = 0;         // rows the estimate is based on
  bool operator==(const ClockOffset&) const = default;
};

inline constexpr double kClockOffsetQuantile = 0.05;

// nullopt when the file had no meta_time column (or no row of this car fed the evidence).
std::optional<ClockOffset> estimate_clock_offset(const VehicleTelemetry& vehicle,
                                                 double quantile = kClockOffsetQuantile);

// ---------------------------------------------------------------------------------------
// Laps.

enum class LapWindowSource { Crossings, LapColumn };

struct LapWindow {
  int lap = 0;
  std::int64_t start_ms = 0;  // ECU clock, half-open [start, end)
  std::int64_t end_ms = 0;
  LapWindowSource source = LapWindowSource::Crossings;
  bool operator==(const LapWindow&) const = default;
};

// The laps of one car, by start time. A lap the crossings know (EcuLap start/end) takes its
// window from them; a lap only the lap column knows runs from its first sample to the start
// of lap + 1 (from the crossings or its first sample), or to its own last sample + 1 ms
// when lap + 1 is unknown.
// crossings may be null (no lap files, or this car is not in them).
std::vector<LapWindow> lap_windows(const VehicleTelemetry& vehicle, const EcuVehicleLaps* crossings);

// The lap of every sample of a series: the lap column where it is valid; where it is not
// (32768, 0), the crossing window holding the sample's time; failing that, the lap on both
// sides of the gap when they agree (or the one lap between them when they differ by two);
// else 0.
std::vector<int> assign_laps(const ChannelSeries& series, const EcuVehicleLaps* crossings);

// Linear interpolation of a series' value at ECU time t, clamped at its ends (0 when empty).
double series_value_at(const ChannelSeries& series, std::int64_t t);

// ---------------------------------------------------------------------------------------
// Distance within a lap.

enum class DistanceSource { LapDistance, IntegratedSpeed, None };

// A non-decreasing distance from the line (m) as a function of ECU time over one lap,
// piecewise linear between points; the first point is (start, 0), the last is at end.
struct DistanceAxis {
  DistanceSource source = DistanceSource::None;
  std::vector<std::int64_t> time_ms;
  std::vector<double> distance_m;

  double at(std::int64_t t) const;  // clamped to the lap; 0 when source is None
  double length_m() const { return distance_m.empty() ? 0.0 : distance_m.back(); }
};

// From Laptrigger_lapdist_dls when it covers at least half of the lap (the reset at the
// line may land a sample early or late: values from the neighbouring lap are dropped),
// else by integrating speed (km/h) over time, else None.
DistanceAxis lap_distance_axis(const Telemetry& telemetry, const VehicleTelemetry& vehicle,
                               const LapWindow& lap);

// ---------------------------------------------------------------------------------------
// One lap of one car.

struct LapTrace {
  ChannelId channel = 0;
  std::string name;       // as in the data
  std::string requested;  // as asked for (an alias, or the same name)
  std::vector<std::int64_t> time_ms;
  std::vector<float> value;
  std::vector<float> distance_m;  // at each sample; empty when the distance source is None
};

struct LapSlice {
  std::string vehicle_id;
  LapWindow window;
  DistanceSource distance_source = DistanceSource::None;
  double lap_length_m = 0;
  std::vector<LapTrace> channels;

  const LapTrace* find(std::string_view name) const;  // by data or requested name
};

// Samples of each channel in [start, end) of the lap, with their distance. channels are
// names or aliases (kChannelAliases); empty means every channel of the car. NotFound when
// the car has no such lap; InvalidInput naming the channel when the car has no such channel.
Result<LapSlice> slice_lap(const Telemetry& telemetry, const VehicleTelemetry& vehicle,
                           const EcuVehicleLaps* crossings, int lap,
                           std::span<const std::string_view> channels = {});

// ---------------------------------------------------------------------------------------
// Laps the telemetry covers, and which count.

struct TelemetryLap {
  LapWindow window;
  bool valid = true;
  std::string invalid_reason;
};

// The laps of a car that its telemetry covers (laps without samples are left out; a lap
// the samples span less than 90% of is invalid). A lap with crossings is valid when
// the timing analysis says so; a lap known only from the lap column is valid when its
// duration is within 92%..150% of the car's median lap (out-laps, in-laps and stops are not).
std::vector<TelemetryLap> telemetry_laps(const VehicleTelemetry& vehicle, const EcuVehicleLaps* crossings);

}  // namespace apex
