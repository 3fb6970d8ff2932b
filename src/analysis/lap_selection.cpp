#include "analysis/lap_selection.h"

#include <algorithm>
#include <map>

#include "analysis/lap_statistics.h"

namespace apex {

std::vector<const LapRecord*> laps_of_driver(const SessionAnalysis& analysis, const DriverSummary& driver) {
  std::vector<const LapRecord*> out;
  for (const auto& lap : analysis.laps) {
    if (lap.source != driver.source) continue;
    bool mine = driver.source == LapSource::Official ? lap.car_id == driver.car_id
                                                     : lap.vehicle_id == driver.vehicle_id;
    if (mine) out.push_back(&lap);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const LapRecord* a, const LapRecord* b) { return a->lap < b->lap; });
  return out;
}

GreenFlagLaps green_flag_laps(const SessionAnalysis& analysis, const DriverSummary& driver) {
  GreenFlagLaps out;
  out.flags_known = driver.source == LapSource::Official;
  const auto laps = laps_of_driver(analysis, driver);
  std::map<int, const LapRecord*> by_number;
  for (const LapRecord* lap : laps) by_number.emplace(lap->lap, lap);
  std::vector<const LapRecord*> candidates;
  for (const LapRecord* lap : laps) {
    const LapRecord* previous = nullptr;
    if (auto it = by_number.find(lap->lap - 1); it != by_number.end()) previous = it->second;
    if (!lap->valid) {
      ++out.excluded_invalid;
    } else if (lap->lap <= 1) {
      ++out.excluded_start;
    } else if (out.flags_known && lap->flag != "GF") {
      ++out.excluded_flag;
    } else if (out.flags_known && lap->pit) {
      ++out.excluded_pit;
    } else if (out.flags_known && previous && previous->flag != "GF") {
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
      ++out.excluded_outlier;
    else
      out.laps.push_back(lap);
  }
  return out;
}

std::vector<std::pair<int, double>> lap_times_s(const std::vector<const LapRecord*>& laps) {
  std::vector<std::pair<int, double>> out;
  out.reserve(laps.size());
  for (const LapRecord* lap : laps)
    out.emplace_back(lap->lap, static_cast<double>(lap->lap_time_ms) / 1000.0);
  return out;
}

}  // namespace apex
