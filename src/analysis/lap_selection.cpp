#include "analysis/lap_selection.h"

#include <algorithm>
#include <iterator>

#include "analysis/lap_statistics.h"

namespace apex {

namespace {

bool by_lap_number(const LapRecord* a, const LapRecord* b) {
  return a->lap < b->lap;
}

}  // namespace

std::vector<const LapRecord*> laps_of_driver(const SessionAnalysis& analysis, const DriverSummary& driver) {
  std::vector<const LapRecord*> out;
  for (const auto& lap : analysis.laps) {
    if (lap.source != driver.source) continue;
    bool mine = driver.source == LapSource::Official ? lap.car_id == driver.car_id
                                                     : lap.vehicle_id == driver.vehicle_id;
    if (mine) out.push_back(&lap);
  }
  std::stable_sort(out.begin(), out.end(), by_lap_number);
  return out;
}

std::vector<const LapRecord*> GreenFlagLaps::with_outliers() const {
  std::vector<const LapRecord*> out;
  std::merge(laps.begin(), laps.end(), outliers.begin(), outliers.end(), std::back_inserter(out),
             by_lap_number);
  return out;
}

GreenFlagLaps green_flag_laps(const SessionAnalysis& analysis, const DriverSummary& driver) {
  GreenFlagLaps out;
  out.flags_known = driver.source == LapSource::Official;
  std::vector<const LapRecord*> candidates;
  // Laps ended under green since the start or the last lap that ended under a flag (this
  // one included). Without flags, the laps since the start.
  int green_run = 0;
  for (const LapRecord* lap : laps_of_driver(analysis, driver)) {
    if (!out.flags_known)
      green_run = lap->lap;
    else if (lap->lap <= 1)
      green_run = lap->flag == "GF" ? 1 : 0;
    else
      green_run = lap->flag == "GF" ? green_run + 1 : 0;
    if (lap->deleted) {
      ++out.excluded_deleted;
    } else if (!lap->valid) {
      ++out.excluded_invalid;
    } else if (lap->lap <= 1) {
      ++out.excluded_start;
    } else if (out.flags_known && lap->flag != "GF") {
      ++out.excluded_flag;
    } else if (out.flags_known && lap->pit) {
      ++out.excluded_pit;
    } else if (green_run <= kRestartLaps) {
      ++out.excluded_restart;
    } else {
      candidates.push_back(lap);
    }
  }
  std::vector<double> times;
  for (const LapRecord* lap : candidates) times.push_back(static_cast<double>(lap->lap_time_ms));
  const double limit = median(times).value_or(0) * kGreenLapOutlierShare;
  for (const LapRecord* lap : candidates) {
    if (static_cast<double>(lap->lap_time_ms) > limit)
      out.outliers.push_back(lap);
    else
      out.laps.push_back(lap);
  }
  out.excluded_outlier = static_cast<int>(out.outliers.size());
  return out;
}

PaceLaps pace_laps(const SessionAnalysis& analysis, const DriverSummary& driver) {
  PaceLaps out;
  out.green = green_flag_laps(analysis, driver);
  out.laps = out.green.with_outliers();
  if (!out.laps.empty()) return out;
  out.green_flag = false;
  for (const LapRecord* lap : laps_of_driver(analysis, driver))
    if (lap->valid && !lap->deleted) out.laps.push_back(lap);
  return out;
}

std::string pace_basis(bool green_flag) {
  return green_flag ? "green-flag laps" : "all valid laps: no green-flag lap";
}

std::vector<std::pair<int, double>> lap_times_s(const std::vector<const LapRecord*>& laps) {
  std::vector<std::pair<int, double>> out;
  out.reserve(laps.size());
  for (const LapRecord* lap : laps)
    out.emplace_back(lap->lap, static_cast<double>(lap->lap_time_ms) / 1000.0);
  return out;
}

std::vector<double> lap_seconds(const std::vector<const LapRecord*>& laps) {
  std::vector<double> out;
  out.reserve(laps.size());
  for (const LapRecord* lap : laps) out.push_back(static_cast<double>(lap->lap_time_ms) / 1000.0);
  return out;
}

}  // namespace apex
