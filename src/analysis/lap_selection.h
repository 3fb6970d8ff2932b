// Which of a driver's laps a pace figure may use. Best laps and consistency use every
// valid lap (as the original did); anything that compares laps with each other over a
// race (degradation, stint pace, mean sectors) uses green-flag racing laps only, because
// a full-course-yellow lap, a restart, a pit lap, the start or an incident is slow for
// reasons that have nothing to do with tyres.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "analysis/session_analysis.h"

namespace apex {

// The laps a DriverSummary is computed from, in lap order: its official laps when its
// source is official timing, its ECU laps otherwise.
std::vector<const LapRecord*> laps_of_driver(const SessionAnalysis& analysis, const DriverSummary& driver);

struct GreenFlagLaps {
  std::vector<const LapRecord*> laps;  // usable, in lap order
  int excluded_invalid = 0;            // artefacts, zero times
  int excluded_flag = 0;               // ended under FCY, FF or any flag but GF
  int excluded_restart = 0;            // the lap after one that ended under a flag: partly neutralised
  int excluded_pit = 0;                // in-lap or out-lap
  int excluded_start = 0;              // lap 1
  int excluded_outlier = 0;            // slower than kGreenLapOutlierShare x the median of the rest
  bool flags_known = true;             // false for ECU-only drivers: no flag or pit data exists
};

// A green-flag lap this much slower than the driver's median green lap was an incident
// (spin, off, traffic), not tyre wear.
inline constexpr double kGreenLapOutlierShare = 1.05;

// Official laps: valid, flag GF, the previous lap also GF, not a pit lap, not lap 1, not
// an outlier. ECU-only drivers: valid laps except lap 1 and outliers (flags_known = false
// says the flag and pit filters could not be applied).
GreenFlagLaps green_flag_laps(const SessionAnalysis& analysis, const DriverSummary& driver);

// (lap number, lap time in seconds) of the given laps.
std::vector<std::pair<int, double>> lap_times_s(const std::vector<const LapRecord*>& laps);

}  // namespace apex
