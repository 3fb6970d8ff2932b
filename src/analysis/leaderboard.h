// The session's cars ranked by best lap, with the gaps engineers read first: to the
// leader and to the car ahead. Ranked cars come from the session's system of record
// (official timing when it exists); ECU vehicles no official car claimed, and cars
// without a valid lap, follow unranked with the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/session_analysis.h"
#include "model/timing.h"

namespace apex {

struct LeaderboardRow {
  const DriverSummary* driver = nullptr;
  std::optional<int> position;  // by best lap; nullopt when unranked
  std::optional<std::int64_t> gap_to_leader_ms;
  std::optional<std::int64_t> gap_to_ahead_ms;  // nullopt for the leader
  std::optional<int> race_position;             // official classification, when the results file has the car
  std::string unranked_reason;                  // empty when ranked
};

// Ties on best lap go to the car that set it on the earlier lap.
std::vector<LeaderboardRow> build_leaderboard(const SessionAnalysis& analysis);

}  // namespace apex
