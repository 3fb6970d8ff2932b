// Race-strategy figures of one driver: consistency, tyre degradation (least squares on
// green-flag laps), stint pace, and a pit-stop plan driven by the measured degradation.
// Pure functions over lap times; the inputs come from lap_selection.h.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/lap_statistics.h"
#include "model/timing.h"

namespace apex {

// --- consistency -------------------------------------------------------------------

struct Consistency {
  int total_laps = 0;
  int laps_within_05s = 0;  // lap <= best + 0.5 s
  int laps_within_1s = 0;   // lap <= best + 1.0 s
  std::optional<double> best_s, mean_s;
  std::optional<double> std_dev_s;                 // sample (n - 1): nullopt with fewer than 2 laps
  std::optional<double> coefficient_of_variation;  // sample std / mean, in percent
  std::optional<double> score_percent;             // laps_within_05s / total_laps * 100
  std::string rating;                              // Elite / Professional / Advanced / Developing
};

// The original's bands on the share of laps within 0.5 s: >= 80 Elite, >= 60 Professional,
// >= 40 Advanced, else Developing.
std::string consistency_rating(double score_percent);
Consistency consistency_of(const std::vector<double>& lap_times_s);

// --- tyre degradation ----------------------------------------------------------------

inline constexpr int kMinDegradationLaps = 5;

struct DegradationLap {
  int lap = 0;
  double lap_time_s = 0;
  double delta_s = 0;         // lap time - best of the analysed laps
  double fitted_delta_s = 0;  // the fitted line at this lap - best
};

struct Degradation {
  int laps_analyzed = 0;
  std::optional<double> best_lap_s;
  // Set when laps_analyzed >= kMinDegradationLaps: slope in seconds per lap, its
  // standard error, r squared.
  std::optional<LinearFit> fit;
  std::optional<double> current_delta_s;   // last analysed lap - best
  std::vector<DegradationLap> lap_deltas;  // fitted_delta_s is 0 without a fit
};

// lap_times: (lap number, seconds), any order. Fits lap time = a + b * lap number.
Degradation fit_degradation(std::vector<std::pair<int, double>> lap_times);

// --- stint pace ----------------------------------------------------------------------

struct StintPace {
  int first_lap = 0, last_lap = 0, laps = 0;
  double avg_lap_time_s = 0;
  double best_lap_s = 0;
};

struct PaceThirds {
  StintPace early, mid, late;
  double early_to_late_delta_s = 0;  // late mean - early mean
};

// The laps in lap order, split in thirds as the original did (third = n / 3; the late
// stint takes the remainder). nullopt with fewer than 5 laps.
std::optional<PaceThirds> pace_thirds(std::vector<std::pair<int, double>> lap_times);

// --- pit stops -----------------------------------------------------------------------

// The original's fixed pit-lane loss, used when a session has no pit stop to measure.
inline constexpr double kDefaultPitLossS = 25.0;

struct PitLossEstimate {
  double seconds = kDefaultPitLossS;
  int stops_measured = 0;  // 0: seconds is kDefaultPitLossS
};

// For every stop under green (in-lap crossing in the pit lane, followed by an out-lap):
// in-lap + out-lap - 2 x that car's median green-flag lap. The smallest is the pit-lane
// loss of a stop with no work done (longer stops are repairs or penalties).
PitLossEstimate estimate_pit_loss(const std::vector<OfficialLap>& laps);

struct PitPlanRequest {
  int current_lap = 0;
  int total_laps = 0;
  int tire_age = 0;  // laps on the current tyres
  double fuel_level = 0;
};

struct PitPlan {
  int remaining_laps = 0;
  // Time lost to tyre wear over the remaining laps, against tyres as fresh as new ones.
  double projected_time_loss_no_pit_s = 0;
  std::optional<int> optimal_pit_lap;    // the lap to pit at the end of; nullopt: no stop pays off
  double time_saved_by_best_stop_s = 0;  // at optimal_pit_lap (<= 0 when no stop pays off)
  std::string recommendation;            // "Pit now" (end of this lap), "Pit at the end of lap N", "Stay out"
};

// Lap time grows by degradation_per_lap for every lap a set of tyres has done. A stop at
// the end of lap current + m costs pit_loss_s and resets the tyres; it saves
// degradation_per_lap * (remaining - m) * (tire_age + m) - pit_loss_s, best at
// m = (remaining - tire_age) / 2. Fuel is not modelled: the timing files carry no fuel data.
PitPlan plan_pit_stop(const PitPlanRequest& request, double degradation_per_lap, double pit_loss_s);

}  // namespace apex
