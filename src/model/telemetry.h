// Telemetry of one session, in columns: per vehicle, per channel, time-sorted samples
// (ECU time as integer milliseconds, value as float) plus the lap column as written.
// Built by formats/telemetry_parser.h, read by analysis/telemetry_laps.h.
//
// A sample is 8 bytes (a 32-bit time offset, see model/time_column.h, and a float value);
// the lap column is run-length encoded because it changes once per lap. Exact repeats of (vehicle, timestamp,
// channel) are removed at build time, so times within a series are strictly increasing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/time_column.h"
#include "model/timing.h"

namespace apex {

using ChannelId = std::uint16_t;

// Channels as the GR Cup exports name them. They are interned first, at these fixed ids,
// in every Telemetry, so code can name them without a lookup; any other channel in a
// file is kept under its own name with an id after these (in name order).
inline constexpr std::array<std::string_view, 13> kKnownChannels = {
    "speed",                   // km/h
    "gear",                    // 1-6
    "nmot",                    // engine rpm
    "ath",                     // throttle blade, %
    "aps",                     // accelerator pedal, %
    "pbrake_f",                // front brake pressure, bar
    "pbrake_r",                // rear brake pressure, bar
    "accx_can",                // longitudinal acceleration, g
    "accy_can",                // lateral acceleration, g
    "Steering_Angle",          // degrees
    "VBOX_Long_Minutes",       // GPS longitude, decimal degrees despite the name
    "VBOX_Lat_Min",            // GPS latitude, decimal degrees despite the name
    "Laptrigger_lapdist_dls",  // metres from the start/finish line
};

namespace channel {
inline constexpr ChannelId kSpeed = 0;
inline constexpr ChannelId kGear = 1;
inline constexpr ChannelId kRpm = 2;
inline constexpr ChannelId kThrottleBlade = 3;
inline constexpr ChannelId kThrottlePedal = 4;
inline constexpr ChannelId kBrakeFront = 5;
inline constexpr ChannelId kBrakeRear = 6;
inline constexpr ChannelId kAccelLong = 7;
inline constexpr ChannelId kAccelLat = 8;
inline constexpr ChannelId kSteering = 9;
inline constexpr ChannelId kGpsLongitude = 10;
inline constexpr ChannelId kGpsLatitude = 11;
inline constexpr ChannelId kLapDistance = 12;
}  // namespace channel

// Channel aliases: names the original service, its frontend or an engineer may ask for,
// resolved in order to the first candidate the vehicle has. A name that is itself a
// channel of the vehicle always wins over an alias.
//
//   vehspd_can               -> speed            (the original looked for vehspd_can, which
//                                                 the exports call speed)
//   speed                    -> vehspd_can       (in case a track exports the CAN name)
//   throttle                 -> ath, aps         (blade first; pedal where no blade channel)
//   ath / aps                -> aps / ath        (each falls back to the other)
//   brake                    -> pbrake_f, pbrake_r
//   pbrake_f / pbrake_r      -> pbrake_r / pbrake_f
//   rpm                      -> nmot
//   steering                 -> Steering_Angle
//   long_g / lat_g           -> accx_can / accy_can
//   lapdist, distance        -> Laptrigger_lapdist_dls
//   latitude, gps_lat        -> VBOX_Lat_Min
//   longitude, gps_lon       -> VBOX_Long_Minutes
struct ChannelAlias {
  std::string_view name;
  std::array<std::string_view, 2> candidates;  // empty string = none
};

inline constexpr std::array<ChannelAlias, 18> kChannelAliases = {{
    {"vehspd_can", {"speed", ""}},
    {"speed", {"vehspd_can", ""}},
    {"throttle", {"ath", "aps"}},
    {"ath", {"aps", ""}},
    {"aps", {"ath", ""}},
    {"brake", {"pbrake_f", "pbrake_r"}},
    {"pbrake_f", {"pbrake_r", ""}},
    {"pbrake_r", {"pbrake_f", ""}},
    {"rpm", {"nmot", ""}},
    {"steering", {"Steering_Angle", ""}},
    {"long_g", {"accx_can", ""}},
    {"lat_g", {"accy_can", ""}},
    {"lapdist", {"Laptrigger_lapdist_dls", ""}},
    {"distance", {"Laptrigger_lapdist_dls", ""}},
    {"latitude", {"VBOX_Lat_Min", ""}},
    {"longitude", {"VBOX_Long_Minutes", ""}},
    {"gps_lat", {"VBOX_Lat_Min", ""}},
    {"gps_lon", {"VBOX_Long_Minutes", ""}},
}};

// The lap column as written: 32768 means the car lost its lap count, and 0 occurs too;
// neither is a lap. An absent or unreadable lap cell is stored as 0.
inline constexpr int kLapCountLost = 32768;
inline constexpr bool lap_column_valid(int lap) {
  return lap > 0 && lap != kLapCountLost;
}

// Samples [first, next run's first) carry lap.
struct LapRun {
  std::uint32_t first = 0;
  std::int32_t lap = 0;
  bool operator==(const LapRun&) const = default;
};

struct ChannelSeries {
  ChannelId channel = 0;
  TimeColumn time_ms;            // ECU clock, strictly increasing
  std::vector<float> value;      // same length as time_ms
  std::vector<LapRun> lap_runs;  // lap column, run-length encoded; starts at sample 0

  std::size_t size() const { return time_ms.size(); }
  // The lap column of sample i as written (0 / 32768 where not a lap).
  int lap_at(std::size_t i) const;
  // Index range [first, last) of the samples with time in [from_ms, to_ms).
  std::pair<std::size_t, std::size_t> range(std::int64_t from_ms, std::int64_t to_ms) const;

  bool operator==(const ChannelSeries&) const = default;
};

// How many of a car's rows had meta_time - timestamp = lag_ms (a deterministic subset of
// rows, about one in sixteen), sorted by lag: the evidence for the ECU clock offset.
struct IngestLag {
  std::int64_t lag_ms = 0;
  std::uint32_t count = 0;
  bool operator==(const IngestLag&) const = default;
};

struct VehicleTelemetry {
  std::string vehicle_id;
  std::vector<ChannelSeries> channels;  // sorted by channel id, only channels with samples
  std::vector<IngestLag> ingest_lags;

  const ChannelSeries* find(ChannelId id) const;
  std::size_t samples() const;

  bool operator==(const VehicleTelemetry&) const = default;
};

struct TelemetryReport {
  ParseReport parse;  // rows = data rows read; bad rows with the first reasons ("key line N: why")
  std::uint64_t bytes = 0;
  bool json_layout = false;           // one row per timestamp with a JSON array of name/value pairs
  std::size_t samples_read = 0;       // usable samples before removing duplicates
  std::size_t duplicate_samples = 0;  // repeats of (vehicle, timestamp, channel), removed
  std::size_t conflicting_keys = 0;   // (vehicle, timestamp, channel) whose repeats disagree (value or lap)
  std::size_t rows_of_other_vehicles = 0;  // rows skipped by a one-vehicle load (only_vehicle)

  bool operator==(const TelemetryReport& other) const;
};

struct Telemetry {
  std::vector<std::string> channel_names;  // by ChannelId; starts with kKnownChannels
  std::vector<VehicleTelemetry> vehicles;  // sorted by vehicle_id
  TelemetryReport report;

  // Exact (case-sensitive) channel name; nullopt when no such channel was interned.
  std::optional<ChannelId> channel_id(std::string_view name) const;
  std::string_view channel_name(ChannelId id) const;
  const VehicleTelemetry* vehicle(std::string_view vehicle_id) const;

  // The series a name means for one vehicle: the channel itself when the vehicle has it,
  // else the first alias candidate it has (see kChannelAliases), else a case-insensitive
  // match. nullptr when none.
  const ChannelSeries* resolve(const VehicleTelemetry& vehicle, std::string_view name) const;

  std::size_t samples() const;
  // Heap bytes held by the samples, lap runs and names (capacity, not size).
  std::size_t memory_bytes() const;

  bool operator==(const Telemetry&) const = default;
};

}  // namespace apex
