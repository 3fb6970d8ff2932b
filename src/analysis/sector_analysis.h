// Official sector times per driver against the session's best sectors: where each
// driver loses time, and what a lap of their own best sectors would be.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/session_analysis.h"

namespace apex {

struct SectorFigures {
  std::optional<std::int64_t> best_ms;  // over valid laps with the sector written
  std::optional<int> best_lap;          // lap number of best_ms
  std::optional<double> mean_s;         // over green-flag laps (lap_selection.h)
  int green_laps = 0;                   // laps in mean_s
  std::optional<std::int64_t> lost_ms;  // best_ms - the session's best of this sector
};

struct DriverSectors {
  const DriverSummary* driver = nullptr;
  std::array<SectorFigures, 3> sectors;
  std::optional<std::int64_t> theoretical_best_ms;  // sum of the three best sectors
  // theoretical best - the session's theoretical best (= the sum of the three lost_ms).
  std::optional<std::int64_t> lost_to_session_ms;
};

struct SessionSectorBest {
  std::optional<std::int64_t> ms;
  std::string driver_id;
  std::optional<std::string> car_number;
  int lap = 0;
};

struct SectorAnalysis {
  std::array<SessionSectorBest, 3> best;
  std::optional<std::int64_t> theoretical_best_ms;  // sum of the session's best sectors
  std::vector<DriverSectors> drivers;               // official-timing drivers, by theoretical best
};

SectorAnalysis analyse_sectors(const SessionAnalysis& analysis);

}  // namespace apex
