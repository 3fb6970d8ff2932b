// ECU laps from lap start/end crossing events, done right: bursts of repeated
// crossings collapse into one, lost lap counters (32768, 0) keep their crossing
// times, lap N = end(N) - start(N), and laps that cannot be real are flagged.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/telemetry.h"
#include "model/timing.h"

namespace apex {

struct EcuLap {
  int lap = 0;  // from the car's lap counter, or inferred where it was lost
  bool lap_number_inferred = false;
  std::int64_t start_ms = 0;  // ECU clock
  std::int64_t end_ms = 0;
  std::int64_t duration_ms = 0;
  bool valid = true;  // false: never counted as best or in averages
  std::string invalid_reason;
};

// A clock against the ingestion clock (meta_time), from how late rows arrived.
struct ClockOffset {
  // Add to a timestamp to get the ingestion clock: a low quantile of meta_time - timestamp
  // (ingestion lags 0.1-81 s, so the low end is the clock plus the shortest lag, and a
  // median would carry tens of seconds of queueing).
  std::int64_t offset_ms = 0;
  std::int64_t typical_lag_ms = 0;  // median minus offset: how late rows usually arrived
  std::size_t evidence = 0;         // rows the estimate is based on
  bool operator==(const ClockOffset&) const = default;
};

inline constexpr double kClockOffsetQuantile = 0.05;

// From lags sorted by lag_ms; nullopt when there are none.
std::optional<ClockOffset> clock_offset_from_lags(const std::vector<IngestLag>& lags,
                                                  double quantile = kClockOffsetQuantile);

struct EcuVehicleLaps {
  std::string vehicle_id;
  // The lap files' timestamps against their meta_time (nullopt when they have none).
  std::optional<ClockOffset> ingest_clock;
  std::vector<EcuLap> laps;  // in time order
  int raw_crossings = 0;     // events before collapsing bursts
  int crossings = 0;         // after
};

// A burst: crossings of one car closer than this are one crossing (real bursts span ~50 ms).
inline constexpr std::int64_t kCrossingBurstWindowMs = 2000;
// A lap shorter than this share of the car's and the field's green pace cannot be real.
inline constexpr double kTooShortShare = 0.92;
// A lap longer than this multiple of the green pace is a stop or lost crossings.
inline constexpr double kTooLongMultiple = 2.5;
// A long lap next to a short one whose sum is within this share of two ordinary laps is a
// mis-timed crossing.
inline constexpr double kMisTimedPairTolerance = 0.06;
// An ECU lap this close to its official lap is real (linked cars agree within ~0.05 s). A
// spurious or missed crossing shifts the ECU counter by one, so the official laps either
// side count too.
inline constexpr std::int64_t kOfficialAgreementMs = 300;
// An ECU lap further than this share from its official lap (and from those either side) is
// an artefact: as far off as a lap too short to be real. Smaller gaps are common under
// caution and on the lap from the grid, and sum out over the following laps.
inline constexpr double kOfficialDisagreementShare = 1.0 - kTooShortShare;
// Two neighbouring laps off their official laps by more than this, in opposite directions
// and with a sum that agrees, share one mis-timed crossing.
inline constexpr std::int64_t kMisTimedOfficialMs = 1000;
// Without official timing, green pace is this quantile of a car's laps (see pace_estimate).
inline constexpr double kGreenPaceQuantile = 0.2;

// What official timing says of the car linked to an ECU vehicle, by ECU lap number.
struct OfficialLapReference {
  struct Lap {
    int official_lap = 0;
    std::int64_t ms = 0;
  };
  std::map<int, Lap> by_ecu_lap;              // ECU lap = official lap + the link's lap offset
  std::optional<std::int64_t> green_pace_ms;  // median of the car's green (GF) laps
};
using OfficialReferences = std::map<std::string, OfficialLapReference>;  // by vehicle_id

// Events from lap_start and lap_end files (either may be empty; lap_time events are
// end events in schemas A and C). Returns one entry per vehicle, sorted by vehicle_id,
// flagged by flag_impossible_laps with the official references given.
std::vector<EcuVehicleLaps> build_ecu_laps(const std::vector<LapEvent>& starts,
                                           const std::vector<LapEvent>& ends,
                                           const OfficialReferences& official = {});

// The official laps of one car (official_car_id) as the reference of the ECU vehicle linked
// to it at lap_offset. The green pace needs kMinGreenLaps green laps.
inline constexpr int kMinGreenLaps = 3;
OfficialLapReference official_reference(const std::vector<OfficialLap>& official, const std::string& car_id,
                                        int lap_offset);

// Judges every lap again (earlier flags are cleared): against its official lap where the
// vehicle has a reference, else against the car's and the field's green pace and its
// neighbours. Called by build_ecu_laps, and again once vehicles are linked to cars.
void flag_impossible_laps(std::vector<EcuVehicleLaps>& vehicles, const OfficialReferences& official = {});

}  // namespace apex
