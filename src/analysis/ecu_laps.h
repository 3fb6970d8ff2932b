// ECU laps from lap start/end crossing events, done right: bursts of repeated
// crossings collapse into one, lost lap counters (32768, 0) keep their crossing
// times, lap N = end(N) - start(N), and laps that cannot be real are flagged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

struct EcuVehicleLaps {
  std::string vehicle_id;
  std::vector<EcuLap> laps;  // in time order
  int raw_crossings = 0;     // events before collapsing bursts
  int crossings = 0;         // after
};

// A burst: crossings of one car closer than this are one crossing (real bursts span ~50 ms).
inline constexpr std::int64_t kCrossingBurstWindowMs = 2000;
// A lap shorter than this share of the car's and the field's typical lap cannot be real.
inline constexpr double kTooShortShare = 0.92;
// A lap longer than this multiple of the typical lap is a stop or lost crossings.
inline constexpr double kTooLongMultiple = 2.5;
// A long lap next to a short one whose sum is within this share of two typical laps is a mis-timed crossing.
inline constexpr double kMisTimedPairTolerance = 0.06;

// Events from lap_start and lap_end files (either may be empty; lap_time events are
// end events in schemas A and C). Returns one entry per vehicle, sorted by vehicle_id.
std::vector<EcuVehicleLaps> build_ecu_laps(const std::vector<LapEvent>& starts,
                                           const std::vector<LapEvent>& ends);

// Marks impossible laps across the field. Called by build_ecu_laps; exposed for tests.
void flag_impossible_laps(std::vector<EcuVehicleLaps>& vehicles);

}  // namespace apex
