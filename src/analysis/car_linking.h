// Which telemetry car is which race car. The number inside a vehicle_id is often
// stale (at Barber GR86-010-16 is car 22), so a car is linked to the ECU vehicle
// whose lap times agree with its official lap times, one vehicle per car. A car no
// vehicle agrees with that way is linked, among the vehicles left, to the one whose line
// crossings coincide with its own (analysis/line_crossings.h); otherwise it stays
// unlinked. The number in the id only breaks ties.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/ecu_laps.h"
#include "analysis/line_crossings.h"
#include "model/timing.h"

namespace apex {

enum class LinkEvidence { None, LapTimes, LineCrossings, Override };

struct CarLink {
  std::string car_id;                     // official_car_id: "3", "3-2" for a second car 3
  std::string car_number;                 // as written in the official files
  std::optional<std::string> vehicle_id;  // nullopt: no ECU vehicle agrees
  LinkEvidence linked_by = LinkEvidence::None;
  int compared_laps = 0;  // laps present in both, at the lap offset
  int agreeing_laps = 0;  // of those, within kLapAgreementMs
  std::optional<double> median_abs_diff_s;
  int lap_offset = 0;              // ECU lap number = official lap number + lap_offset
  bool id_number_matches = false;  // whether the number inside the vehicle_id is this car's
  CrossingAgreement crossings;     // of the linked vehicle (official crossings need ELAPSED)
};

// Laps of a correctly linked car agree within about 0.05 s.
inline constexpr std::int64_t kLapAgreementMs = 60;
// A link needs this share of the compared laps to agree, and at least kMinAgreeingLaps.
inline constexpr double kMinAgreeingShare = 0.5;
inline constexpr int kMinAgreeingLaps = 3;
// A link by line crossings needs this share of the car's crossings to match, and at least
// kMinAgreeingLaps. Barber's linked cars match 79-100%; a car running nose to tail with
// another (Barber R1 cars 2 and 47) matches its vehicle as often, which is why such links
// go to the closest match first.
inline constexpr double kMinMatchingCrossingShare = 0.75;
// ECU lap counters may be shifted against the official ones by up to this many laps.
inline constexpr int kMaxLapOffset = 5;
// Lap numbers above this are not compared (no race is that long; guards the lookup tables).
inline constexpr int kMaxLapNumber = 10000;

// The car number inside "GR86-010-16" (16), without padding; nullopt when absent or 0.
std::optional<std::string> number_in_vehicle_id(const std::string& vehicle_id);

// One entry per official car, a car being a block of laps (OfficialLap::car_block), sorted
// by car number as an integer.
std::vector<CarLink> link_cars(const std::vector<OfficialLap>& official,
                               const std::vector<EcuVehicleLaps>& ecu);

}  // namespace apex
