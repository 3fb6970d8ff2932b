// Which telemetry car is which race car. The number inside a vehicle_id is often
// stale (at Barber GR86-010-16 is car 22), so a car is linked to the ECU vehicle
// whose lap times agree with its official lap times, one vehicle per car. Those cars give
// the session's ECU clock offset (analysis/line_crossings.h); a car no vehicle agrees with
// by lap times is linked, among the vehicles left, to the one whose line crossings coincide
// with its own at that one offset; otherwise it stays unlinked. The number in the id only
// breaks ties.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/ecu_laps.h"
#include "analysis/line_crossings.h"
#include "model/timing.h"

namespace apex {

// LineCrossings: line crossings at the session clock's offset; Override: the track's
// apex-overrides.json.
enum class LinkEvidence { None, LapTimes, LineCrossings, Override };
std::string_view to_string(LinkEvidence evidence);  // "lap times", "line crossings at the session clock"

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
  CrossingAgreement crossings;     // of the linked vehicle, at the session clock
  // The link rests on fewer than kFewLaps laps (agreeing lap times, or matching crossings
  // less one): right when the clock is known, but little to check it by.
  bool few_laps = false;
};

// Laps of a correctly linked car agree within about 0.05 s.
inline constexpr std::int64_t kLapAgreementMs = 60;
// A link needs this share of the compared laps to agree, and at least kMinAgreeingLaps.
inline constexpr double kMinAgreeingShare = 0.5;
inline constexpr int kMinAgreeingLaps = 3;
// A link by line crossings needs this share of the crossings both timed (official and ECU,
// whichever are more) to match, and at least kMinMatchingCrossings: two laps, when the
// clock is known. At one offset a wrong vehicle matches 10-40% (COTA), while right ones
// lose a few laps on which every logger of the field was seconds off. A car running nose
// to tail with another (Barber R1 cars 2 and 47) can match that car's vehicle as often,
// which is why such links go to the closest match first.
inline constexpr double kMinMatchingCrossingShare = 0.6;
inline constexpr int kMinMatchingCrossings = 3;
// A link from fewer laps than this is marked few_laps.
inline constexpr int kFewLaps = 5;
// ECU lap counters may be shifted against the official ones by up to this many laps.
inline constexpr int kMaxLapOffset = 5;
// Lap numbers above this are not compared (no race is that long; guards the lookup tables).
inline constexpr int kMaxLapNumber = 10000;

// The car number inside "GR86-010-16" (16), without padding; nullopt when absent or 0.
std::optional<std::string> number_in_vehicle_id(const std::string& vehicle_id);

// The session clock: the median of the clock offsets of the cars linked by lap times (each
// from its laps whose times agree), refined with the cars that median links by crossings,
// and the race window on it. Without it (why_not says why), no car is linked by line
// crossings and ECU events are not checked against the race window.
struct SessionClockEstimate {
  std::optional<SessionClock> clock;
  std::string why_not;
  // Vehicles whose lap times link them to a car but whose logger's clock is off the
  // session's (a logger can be hours or days off): the race window says nothing of them.
  std::set<std::string> own_clock_vehicles;
};
SessionClockEstimate estimate_session_clock(const std::vector<OfficialLap>& official,
                                            const std::vector<EcuVehicleLaps>& ecu);

// One entry per official car, a car being a block of laps (OfficialLap::car_block), sorted
// by car number as an integer. Without a clock, links by lap times only.
std::vector<CarLink> link_cars(const std::vector<OfficialLap>& official,
                               const std::vector<EcuVehicleLaps>& ecu,
                               const std::optional<SessionClock>& clock);
// The same with the clock estimate_session_clock gives.
std::vector<CarLink> link_cars(const std::vector<OfficialLap>& official,
                               const std::vector<EcuVehicleLaps>& ecu);

}  // namespace apex
