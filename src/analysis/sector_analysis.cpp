#include "analysis/sector_analysis.h"

#include <algorithm>

#include "analysis/lap_selection.h"

namespace apex {

namespace {

const std::optional<std::int64_t>& sector_of(const LapRecord& lap, std::size_t i) {
  return i == 0 ? lap.s1_ms : i == 1 ? lap.s2_ms : lap.s3_ms;
}

}  // namespace

SectorAnalysis analyse_sectors(const SessionAnalysis& analysis) {
  SectorAnalysis out;
  for (const auto& driver : analysis.drivers) {
    if (driver.source != LapSource::Official) continue;
    DriverSectors d;
    d.driver = &driver;
    for (const LapRecord* lap : laps_of_driver(analysis, driver)) {
      if (!lap->valid) continue;
      for (std::size_t i = 0; i < 3; ++i) {
        const auto& v = sector_of(*lap, i);
        if (!v || *v <= 0) continue;
        auto& s = d.sectors[i];
        if (!s.best_ms || *v < *s.best_ms) {
          s.best_ms = v;
          s.best_lap = lap->lap;
        }
      }
    }
    const GreenFlagLaps green = green_flag_laps(analysis, driver);
    for (std::size_t i = 0; i < 3; ++i) {
      double sum = 0;
      int n = 0;
      for (const LapRecord* lap : green.laps) {
        const auto& v = sector_of(*lap, i);
        if (!v || *v <= 0) continue;
        sum += static_cast<double>(*v) / 1000.0;
        ++n;
      }
      d.sectors[i].green_laps = n;
      if (n > 0) d.sectors[i].mean_s = sum / n;
    }
    if (d.sectors[0].best_ms && d.sectors[1].best_ms && d.sectors[2].best_ms)
      d.theoretical_best_ms = *d.sectors[0].best_ms + *d.sectors[1].best_ms + *d.sectors[2].best_ms;
    for (std::size_t i = 0; i < 3; ++i) {
      const auto& s = d.sectors[i];
      auto& best = out.best[i];
      if (s.best_ms && (!best.ms || *s.best_ms < *best.ms))
        best = SessionSectorBest{s.best_ms, driver.driver_id, driver.car_number, *s.best_lap};
    }
    out.drivers.push_back(d);
  }
  if (out.best[0].ms && out.best[1].ms && out.best[2].ms)
    out.theoretical_best_ms = *out.best[0].ms + *out.best[1].ms + *out.best[2].ms;
  for (auto& d : out.drivers) {
    for (std::size_t i = 0; i < 3; ++i)
      if (d.sectors[i].best_ms && out.best[i].ms)
        d.sectors[i].lost_ms = *d.sectors[i].best_ms - *out.best[i].ms;
    if (d.theoretical_best_ms && out.theoretical_best_ms)
      d.lost_to_session_ms = *d.theoretical_best_ms - *out.theoretical_best_ms;
  }
  std::stable_sort(out.drivers.begin(), out.drivers.end(),
                   [](const DriverSectors& a, const DriverSectors& b) {
                     if (a.theoretical_best_ms.has_value() != b.theoretical_best_ms.has_value())
                       return a.theoretical_best_ms.has_value();
                     return a.theoretical_best_ms.value_or(0) < b.theoretical_best_ms.value_or(0);
                   });
  return out;
}

}  // namespace apex
