#include "analysis/leaderboard.h"

#include <algorithm>
#include <tuple>

namespace apex {

std::vector<LeaderboardRow> build_leaderboard(const SessionAnalysis& analysis) {
  const bool has_official =
      std::any_of(analysis.drivers.begin(), analysis.drivers.end(),
                  [](const DriverSummary& d) { return d.source == LapSource::Official; });
  const LapSource ranked_source = has_official ? LapSource::Official : LapSource::Ecu;

  std::vector<LeaderboardRow> ranked, unranked;
  for (const auto& driver : analysis.drivers) {
    LeaderboardRow row;
    row.driver = &driver;
    row.race_position = driver.race_position;
    if (driver.source != ranked_source) {
      row.unranked_reason =
          "ECU timing only: no official car matched this vehicle's lap times or line crossings";
      unranked.push_back(row);
    } else if (!driver.best_lap_ms) {
      row.unranked_reason = driver.no_best_lap_reason.empty() ? "no valid lap" : driver.no_best_lap_reason;
      unranked.push_back(row);
    } else {
      ranked.push_back(row);
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const LeaderboardRow& a, const LeaderboardRow& b) {
    return std::tie(*a.driver->best_lap_ms, *a.driver->best_lap_number, a.driver->driver_id) <
           std::tie(*b.driver->best_lap_ms, *b.driver->best_lap_number, b.driver->driver_id);
  });
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    auto& row = ranked[i];
    row.position = static_cast<int>(i) + 1;
    row.gap_to_leader_ms = *row.driver->best_lap_ms - *ranked.front().driver->best_lap_ms;
    if (i > 0) row.gap_to_ahead_ms = *row.driver->best_lap_ms - *ranked[i - 1].driver->best_lap_ms;
  }
  ranked.insert(ranked.end(), unranked.begin(), unranked.end());
  return ranked;
}

}  // namespace apex
