// Clocks and laps of telemetry: the clock offset of each car, which lap every sample
// belongs to, and one lap of one car sliced out with a distance axis. Pure functions over
// the Telemetry model and the ECU lap crossings (analysis/ecu_laps.h).
//
// A car's telemetry `timestamp` and its lap files' `timestamp` are two clocks that can be
// days apart. The functions below that take both expect the crossings on the telemetry's
// clock: estimate telemetry_clock and move the crossings with on_telemetry_clock first.
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
// Clocks.

// The telemetry's clock against its meta_time (ECU + offset = ingestion clock); nullopt when
// the file had no meta_time column (or no row of this car fed the evidence).
std::optional<ClockOffset> estimate_clock_offset(const VehicleTelemetry& vehicle,
                                                 double quantile = kClockOffsetQuantile);

enum class ClockSource {
  LapChanges,  // the lap column's changes against the crossings bound it within uncertainty_ms
  MetaTime,    // the ingestion times of the telemetry and of the lap files
  None,        // no evidence: the two clocks are taken to agree
};

// What puts one car's telemetry on its lap files' clock: lap-file time = telemetry time +
// offset_ms, the offset lying within +-uncertainty_ms.
struct TelemetryClock {
  std::int64_t offset_ms = 0;
  ClockSource source = ClockSource::None;
  std::int64_t uncertainty_ms = 0;
  int matched_laps = 0;  // laps of the lap column whose crossings bound the offset
  std::optional<std::int64_t> meta_time_guess_ms;
  bool operator==(const TelemetryClock&) const = default;
};

// "lap_changes", "meta_time", "none": as the API and inspect name it.
std::string_view clock_source_name(ClockSource source);

// Lap bounds further than this from the meta_time guess belong to another lap.
inline constexpr std::int64_t kClockGuessToleranceMs = 10'000;
// Lap bounds that leave the offset less room than this decide it on their own.
inline constexpr std::int64_t kClockPreciseRangeMs = 2'000;

// Each lap of the lap column lies between the crossings that start it and the next lap:
// its first sample at or after the one, its last before the other. These bounds, from the
// laps the meta_time guess (telemetry ingestion offset minus the lap files') puts within
// kClockGuessToleranceMs, give the offset to the spacing of the samples at the line; where
// they leave more room, the guess within them. Bounds that contradict each other by a few
// samples meet half way. crossings may be null (then the source is MetaTime or None).
TelemetryClock telemetry_clock(const VehicleTelemetry& vehicle, const EcuVehicleLaps* crossings);

// The crossings on the telemetry's clock (every time minus offset_ms).
EcuVehicleLaps on_telemetry_clock(EcuVehicleLaps crossings, const TelemetryClock& clock);

// ---------------------------------------------------------------------------------------
// Laps.

enum class LapWindowSource { Crossings, LapColumn };

struct LapWindow {
  int lap = 0;
  std::int64_t start_ms = 0;  // telemetry clock, half-open [start, end)
  std::int64_t end_ms = 0;
  LapWindowSource source = LapWindowSource::Crossings;
  // Whether the lap's start (end) is known: from a crossing, or from the previous (next)
  // lap's samples within kLapEdgeGapMs. Unknown, the window stops at the lap's own samples.
  bool start_known = true;
  bool end_known = true;
  bool operator==(const LapWindow&) const = default;
};

// The laps of one car, by start time. A lap the crossings know (EcuLap start/end) takes its
// window from them; a lap only the lap column knows runs from the crossing that starts it
// (else its first sample) to the start of lap + 1 (from the crossings or its first sample),
// or to its own last sample + 1 ms when lap + 1 is unknown.
inline constexpr std::int64_t kLapEdgeGapMs = 2'000;
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
  // The telemetry saw only part of the lap: it has no lap time or length, only the span
  // of its samples [covered_from_ms, covered_to_ms] (inside the window).
  bool partial = false;
  std::int64_t covered_from_ms = 0;
  std::int64_t covered_to_ms = 0;
};

// The laps of a car that its telemetry covers (laps without samples are left out). A lap
// is partial, and invalid, when its start or end is unknown or its samples span less than
// 90% of it. A lap with crossings is valid when
// the timing analysis says so; a lap known only from the lap column is valid when its
// duration is within 92%..150% of the car's median lap (out-laps, in-laps and stops are not).
std::vector<TelemetryLap> telemetry_laps(const VehicleTelemetry& vehicle, const EcuVehicleLaps* crossings);

}  // namespace apex
