// Whether an ECU vehicle crossed the line when an official car did. Lap times compare two
// crossings at once, so a logger whose crossings jitter by 50-100 ms, or whose lap counter
// slips a number, agrees on fewer than half of its laps (Barber R1 car 7). The crossings
// themselves, once the ECU clock's offset is removed, still coincide within that jitter on
// nearly every lap, and a car running close behind drifts against them by more.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "analysis/ecu_laps.h"

namespace apex {

// One pass of the line.
struct LineCrossing {
  std::int64_t time_ms = 0;
  int lap_ended = 0;  // the lap this crossing ends, by the counter of whoever timed it
};

// An official crossing matches an ECU one this close, once the clock offset is removed:
// ECU crossings jitter by up to ~150 ms on Barber, and cars running nose to tail are
// 0.2-0.7 s apart there.
inline constexpr std::int64_t kCrossingAgreementMs = 300;

struct CrossingAgreement {
  int compared = 0;                         // official crossings
  int matching = 0;                         // of those, with an ECU crossing within kCrossingAgreementMs
  std::optional<double> median_abs_diff_s;  // of the matching ones
  int lap_offset = 0;                       // ECU lap number = official lap number + lap_offset, most often
};

// The ECU crossings of a vehicle (lap ends, and lap starts where no end was logged), in time
// order; a start ~1 ms after an end is the same crossing.
std::vector<LineCrossing> ecu_line_crossings(const EcuVehicleLaps& vehicle);

// The clock offset that lines up most crossings (any offset: ECU clocks can be days off),
// then how many official crossings have an ECU crossing at their time plus that offset.
// Both lists in time order.
CrossingAgreement compare_crossings(const std::vector<LineCrossing>& official,
                                    const std::vector<LineCrossing>& ecu);

}  // namespace apex
