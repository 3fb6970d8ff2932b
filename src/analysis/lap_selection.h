// Which of a driver's laps a pace figure may use. Best laps use every valid lap; anything
// that judges pace over a race (consistency, degradation, stint pace, mean sectors) uses
// green-flag racing laps only, because a full-course-yellow lap, a restart, a pit lap, the
// start or an incident is slow for reasons that have nothing to do with the driver's pace
// or the tyres.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "analysis/session_analysis.h"

namespace apex {

// The laps a DriverSummary is computed from, in lap order: its official laps when its
// source is official timing, its ECU laps otherwise.
std::vector<const LapRecord*> laps_of_driver(const SessionAnalysis& analysis, const DriverSummary& driver);

// How many laps of green running after the start or a caution period are restart laps:
// the lap in which the green flag came back (it ends under green but began under
// caution) and the first full lap after it, run in a bunched field on tyres and brakes
// cooled by the caution. Measured on the shared races: the first full lap after a caution
// is a median 0.5 s slower than the car's green pace (half of them by more than 0.5 s),
// the next one 0.07 s; the first full lap of the race (lap 2) is up to 4.5 s slower at
// some tracks.
inline constexpr int kRestartLaps = 2;

struct GreenFlagLaps {
  std::vector<const LapRecord*> laps;      // usable, in lap order
  std::vector<const LapRecord*> outliers;  // green laps slower than the outlier limit, in lap order
  int excluded_invalid = 0;                // artefacts, zero times
  int excluded_flag = 0;                   // ended under FCY, FF or any flag but GF
  int excluded_restart = 0;                // within kRestartLaps of the start or a caution
  int excluded_pit = 0;                    // in-lap or out-lap
  int excluded_start = 0;                  // lap 1
  int excluded_deleted = 0;                // deleted by the officials (OfficialCar::deleted_laps)
  int excluded_outlier = 0;                // slower than kGreenLapOutlierShare x the median of the rest
  bool flags_known = true;                 // false for ECU-only drivers: no flag or pit data exists

  // laps and outliers merged, in lap order: every green racing lap, incidents included.
  std::vector<const LapRecord*> with_outliers() const;
};

// A green-flag lap this much slower than the driver's median green lap was an incident
// (spin, off, traffic), not tyre wear.
inline constexpr double kGreenLapOutlierShare = 1.05;

// Official laps: valid, flag GF, not lap 1, not within kRestartLaps of the start or of a
// lap that ended under a flag, not a pit lap, not deleted by the officials, not an
// outlier. ECU-only drivers: valid laps except the first kRestartLaps and outliers
// (flags_known = false says the flag and pit filters could not be applied).
GreenFlagLaps green_flag_laps(const SessionAnalysis& analysis, const DriverSummary& driver);

// The laps a pace figure (average, spread, consistency) is computed from: the green-flag
// racing laps with incidents kept, or, for a driver without a single one (a car that only
// ran the start and caution laps), every valid lap not deleted, so the figure exists and
// says what it is over.
struct PaceLaps {
  GreenFlagLaps green;
  std::vector<const LapRecord*> laps;  // in lap order
  bool green_flag = true;              // false: the fallback to every valid lap
};
PaceLaps pace_laps(const SessionAnalysis& analysis, const DriverSummary& driver);

// What pace_laps chose, for the answers: "green-flag laps" or "all valid laps: no green-flag lap".
std::string pace_basis(bool green_flag);

// (lap number, lap time in seconds) of the given laps.
std::vector<std::pair<int, double>> lap_times_s(const std::vector<const LapRecord*>& laps);

// Lap times in seconds of the given laps, in their order.
std::vector<double> lap_seconds(const std::vector<const LapRecord*>& laps);

}  // namespace apex
