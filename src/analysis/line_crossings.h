// Whether an ECU vehicle crossed the line when an official car did. Lap times compare two
// crossings at once, so a logger whose crossings jitter by 50-100 ms, or whose lap counter
// slips a number, agrees on fewer than half of its laps (Barber R1 car 7). The crossings
// themselves, on one clock, still coincide within that jitter on nearly every lap, and a car
// running close behind drifts against them by more.
//
// The clock: the ECU loggers of a race share one clock (epoch ms, measured within ~0.1 s of
// each other on every shared race), so the session has one offset from the official clock,
// estimated from the cars whose lap times already link them (analysis/car_linking.h). The
// official clock is HOUR (local time of day) where the export has it, else ELAPSED; the
// offset then holds the date, the time zone and the loggers' own error.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/ecu_laps.h"
#include "model/timing.h"

namespace apex {

// One pass of the line.
struct LineCrossing {
  std::int64_t time_ms = 0;
  int lap_ended = 0;             // the lap this crossing ends, by the counter of whoever timed it
  std::int64_t lap_time_ms = 0;  // of that lap, for official crossings (0: unknown)
};

// An official crossing matches an ECU one this close on the session clock: ECU crossings
// jitter by up to ~150 ms, and a logger's crossings sit up to ~0.3 s from the field's
// median (COTA; ~0.1 s elsewhere). Cars running nose to tail are 0.2-0.7 s apart, which is
// why a car goes to the closest match first.
inline constexpr std::int64_t kCrossingAgreementMs = 450;

// Which official column dates a crossing.
enum class OfficialClock { TimeOfDay, Elapsed };
std::string_view to_string(OfficialClock clock);

// Every official car's crossings (by official_car_id, in time order) on the official clock:
// HOUR when every lap with a lap time has one, else ELAPSED. HOUR past midnight counts on
// into the next day.
struct OfficialCrossings {
  OfficialClock clock = OfficialClock::TimeOfDay;
  std::map<std::string, std::vector<LineCrossing>> by_car;
};
OfficialCrossings official_line_crossings(const std::vector<OfficialLap>& laps);

// "15:58:26.323" (or "8:51:09.6") to ms since midnight; nullopt unless H:MM:SS[.fff].
std::optional<std::int64_t> time_of_day_ms(std::string_view text);

struct CrossingAgreement {
  int compared = 0;      // official crossings while both were timing (spans overlap)
  int ecu_compared = 0;  // ECU crossings in the same span
  int matching = 0;      // official crossings with an ECU crossing within kCrossingAgreementMs
  std::optional<double> median_abs_diff_s;     // of the matching ones
  std::optional<std::int64_t> median_diff_ms;  // of the matching ones, ECU minus official
  int lap_offset = 0;  // ECU lap number = official lap number + lap_offset, most often
};

// The ECU crossings of a vehicle (lap ends, and lap starts where no end was logged), in time
// order; a start ~1 ms after an end is the same crossing.
std::vector<LineCrossing> ecu_line_crossings(const EcuVehicleLaps& vehicle);

// How the official crossings, moved onto the ECU clock by offset_ms (ECU minus official),
// coincide with the ECU ones, over the span both were timing. Both lists in time order.
CrossingAgreement compare_crossings_at(const std::vector<LineCrossing>& official,
                                       const std::vector<LineCrossing>& ecu, std::int64_t offset_ms);

// The session's ECU clock.
struct SessionClock {
  OfficialClock official_clock = OfficialClock::TimeOfDay;
  // ECU clock minus the official clock: the median of the offsets of the cars linked by lap
  // times, then of those and the cars their median links by crossings (a logger sits up to
  // ~0.4 s off the others: the median of two or three cars can leave many out).
  std::int64_t offset_ms = 0;
  int cars = 0;                // linked by lap times, whose own offset agrees with it
  int cars_by_crossings = 0;   // linked by crossings at the first median, agreeing with it
  int cars_disagreeing = 0;    // further cars more than kCrossingAgreementMs off
  std::int64_t spread_ms = 0;  // largest minus smallest offset of the agreeing cars
  // The race on the ECU clock: from before the start of the first official lap to after the
  // last official crossing, each by kRaceWindowMarginLaps of a typical official lap.
  std::int64_t race_start_ms = 0;
  std::int64_t race_end_ms = 0;
};

// ECU events further than this share of a typical lap (median official lap time) before the
// first lap's start or after the last crossing belong to no lap of the race: the formation
// and cool-down laps, another session, another day. Wide against the clock's spread (~0.1 s).
inline constexpr double kRaceWindowMarginLaps = 0.5;
// A lap's start is put at most this many typical laps before its crossing: the window needs
// the race's first lap start, and one absurd lap time must not stretch it back by days.
inline constexpr std::int64_t kLongestLapInTypicalLaps = 3;

// Sets race_start_ms and race_end_ms of clock from the official crossings.
void set_race_window(SessionClock& clock, const OfficialCrossings& official);

// ECU events of one vehicle in one file left out for lying outside the race window.
struct EventsLeftOut {
  std::string file;  // the lap file's object key
  std::string vehicle_id;
  int events = 0;
  std::int64_t first_ms = 0, last_ms = 0;  // ECU clock
  std::string reason;                      // "38 events of 2025-03-30 ..., outside the race window ..."
};

// The events inside the clock's race window; those outside are counted per vehicle into
// left_out. The events of vehicles in own_clock are all kept.
std::vector<LapEvent> events_in_race_window(const std::vector<LapEvent>& events, const SessionClock& clock,
                                            const std::string& file, std::vector<EventsLeftOut>& left_out,
                                            const std::set<std::string>& own_clock = {});

}  // namespace apex
