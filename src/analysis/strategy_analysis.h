// Race-strategy figures of one driver: consistency, tyre degradation (least squares on
// green-flag laps), stint pace, and a pit-stop plan driven by the measured degradation.
// Pure functions over lap times; the inputs come from lap_selection.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>
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

// What the fitted slope says, judged by its t value (slope / standard error) against
// Student's t at 95% (two-sided, n - 2 degrees of freedom):
// - TooFewLaps: fewer than kMinDegradationLaps laps, no fit;
// - NotSignificant: |t| below the critical value: the laps do not show a trend;
// - Degrading: significantly positive: lap times grow with the laps run;
// - Improving: significantly negative: lap times fall (track rubbering in, fuel burning
//   off, a driver finding pace); reported as measured, never taken for wear.
enum class DegradationVerdict { TooFewLaps, NotSignificant, Degrading, Improving };
std::string_view to_string(DegradationVerdict verdict);

struct Degradation {
  int laps_analyzed = 0;
  std::optional<double> best_lap_s;
  // Set when laps_analyzed >= kMinDegradationLaps: slope in seconds per lap, its
  // standard error, r squared.
  std::optional<LinearFit> fit;
  std::optional<double> t_value;     // slope / standard error; nullopt without a fit or with no error
  std::optional<double> t_critical;  // t_critical_95(laps_analyzed - 2), with a fit
  DegradationVerdict verdict = DegradationVerdict::TooFewLaps;
  std::optional<double> current_delta_s;   // last analysed lap - best
  std::vector<DegradationLap> lap_deltas;  // fitted_delta_s is 0 without a fit

  // The slope when it is a measured rate of wear (verdict Degrading), else nullopt: a
  // slope that is not significant or negative is no rate to plan a stop with.
  std::optional<double> wear_rate() const;
};

// The verdict in a sentence with its figures, e.g. "lap times fell significantly: -0.1475
// s/lap +/- 0.0611 (standard error) over 9 green-flag laps (t = -2.42, 95% critical value
// 2.37); ...".
std::string degradation_explanation(const Degradation& degradation);

// lap_times: (lap number, seconds), any order. Fits lap time = a + b * lap number.
Degradation fit_degradation(std::vector<std::pair<int, double>> lap_times);

// The field's degradation, for a driver with too few laps of their own: the median slope
// of the drivers with a fit. It is a rate of wear only when more than half of them degrade
// significantly (then the median driver does too).
struct FieldDegradation {
  std::optional<double> median_slope;
  int drivers_fitted = 0;
  int drivers_degrading = 0;  // verdict Degrading
  bool significant() const { return median_slope && 2 * drivers_degrading > drivers_fitted; }
};
FieldDegradation field_degradation(const std::vector<Degradation>& drivers);

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

// The original's fixed pit-lane loss: what a PitLossEstimate holds when no stop was
// measured. pit_strategy never plans with it.
inline constexpr double kDefaultPitLossS = 25.0;

struct PitLossEstimate {
  double seconds = kDefaultPitLossS;
  int stops_measured = 0;  // 0: seconds is kDefaultPitLossS, a figure not measured here
  int pit_laps = 0;        // laps of any car in the pit lane or with a pit time, measurable or not
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

// Lap time grows by degradation_per_lap for every lap a set of tyres has done (a rate of
// wear: Degradation::wear_rate; a non-positive rate has no stop that pays off). A stop at
// the end of lap current + m costs pit_loss_s and resets the tyres; it saves
// degradation_per_lap * (remaining - m) * (tire_age + m) - pit_loss_s, best at
// m = (remaining - tire_age) / 2. Fuel is not modelled: the timing files carry no fuel data.
PitPlan plan_pit_stop(const PitPlanRequest& request, double degradation_per_lap, double pit_loss_s);

// The pit-strategy answer: a plan only when both of its inputs were measured in this
// session, a pit stop's cost (a stop under green: pit_loss.stops_measured > 0) and a rate
// of tyre wear (a significantly positive slope); otherwise message says which is missing.
struct PitStrategy {
  std::optional<double> measured_rate;  // the driver's slope, or the field's median, any sign
  std::string rate_source;              // "driver", "field median", or empty: no slope at all
  std::optional<double> wear_rate;      // the rate planned with: significantly positive only
  bool pit_data = false;                // a stop was measured
  std::optional<PitPlan> plan;
  std::string message;  // why there is no plan; empty with one
  std::vector<std::string> notes;
};

// field: the session's degradation (field_degradation over every driver of the same
// source), consulted only when own has no fit.
PitStrategy pit_strategy(const PitPlanRequest& request, const Degradation& own,
                         const std::optional<FieldDegradation>& field, const PitLossEstimate& pit_loss);

}  // namespace apex
