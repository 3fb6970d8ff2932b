#include "analysis/official_cars.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace apex {
namespace {

// A lap time from two files of the same timing system agrees to the millisecond; one more
// allows for rounding in an export.
constexpr std::int64_t kSameTimeMs = 1;
// Above this many cars with one number, blocks are matched greedily instead of trying
// every assignment (two is all the real data has).
constexpr std::size_t kMaxExhaustiveCars = 6;

struct Block {
  OfficialCar car;
  std::map<int, std::int64_t> lap_ms;  // lap number -> time, first of repeats
  std::optional<int> marked_lap;       // LAP_IMPROVEMENT 2 or 3
  std::optional<std::int64_t> marked_ms;
};

bool has_lap(const Block& block, std::optional<int> lap, std::optional<std::int64_t> ms) {
  if (!lap || !ms) return false;
  auto it = block.lap_ms.find(*lap);
  return it != block.lap_ms.end() && std::llabs(it->second - *ms) <= kSameTimeMs;
}

// How well a block and a row of another file agree: the fastest lap is worth more than
// the lap count (a car can finish laps down in both).
int agreement(const Block& block, int laps, std::optional<int> fastest_lap,
              std::optional<std::int64_t> fastest_ms) {
  return (laps == block.car.laps_completed ? 1 : 0) + (has_lap(block, fastest_lap, fastest_ms) ? 2 : 0);
}

// Assigns rows to the blocks of one number, maximising the total agreement; rows[i] is the
// index of a row in the other file. Returns, per block, its row (or nullopt).
template <typename Score>
std::vector<std::optional<std::size_t>> match_rows(std::size_t blocks, const std::vector<std::size_t>& rows,
                                                   Score score) {
  std::vector<std::optional<std::size_t>> best(blocks);
  if (rows.empty()) return best;
  if (blocks == 1 && rows.size() == 1) {
    best[0] = rows[0];
    return best;
  }
  if (blocks > kMaxExhaustiveCars || rows.size() > kMaxExhaustiveCars) {
    for (std::size_t b = 0; b < blocks && b < rows.size(); ++b) best[b] = rows[b];
    return best;
  }
  // Every assignment of rows to blocks (file order breaks ties: the first found wins).
  std::vector<std::size_t> order(std::max(blocks, rows.size()));
  std::iota(order.begin(), order.end(), 0);
  int best_score = -1;
  do {
    int total = 0;
    for (std::size_t b = 0; b < blocks; ++b)
      if (order[b] < rows.size()) total += score(b, rows[order[b]]);
    if (total > best_score) {
      best_score = total;
      for (std::size_t b = 0; b < blocks; ++b)
        best[b] = order[b] < rows.size() ? std::optional<std::size_t>(rows[order[b]]) : std::nullopt;
    }
  } while (std::next_permutation(order.begin(), order.end()));
  return best;
}

std::vector<Block> blocks_of(const OfficialLaps& sections) {
  std::vector<Block> blocks;
  std::map<std::string, std::size_t> index;
  for (const auto& lap : sections.laps) {
    const std::string id = official_car_id(lap.car_number, lap.car_block);
    auto [it, added] = index.emplace(id, blocks.size());
    if (added) {
      Block block;
      block.car.car_id = id;
      block.car.car_number = lap.car_number;
      block.car.car_block = lap.car_block;
      blocks.push_back(std::move(block));
    }
    Block& block = blocks[it->second];
    block.car.laps_completed = std::max(block.car.laps_completed, lap.lap);
    if (lap.lap_time_ms > 0) block.lap_ms.emplace(lap.lap, lap.lap_time_ms);
    if (lap.lap_improvement && (*lap.lap_improvement == 2 || *lap.lap_improvement == 3) &&
        !block.marked_lap) {
      block.marked_lap = lap.lap;
      block.marked_ms = lap.lap_time_ms;
    }
  }
  return blocks;
}

// The rows of `entries` by car number, in file order.
template <typename Entry>
std::map<std::string, std::vector<std::size_t>> rows_by_number(const std::vector<Entry>& entries) {
  std::map<std::string, std::vector<std::size_t>> out;
  for (std::size_t i = 0; i < entries.size(); ++i) out[entries[i].car_number].push_back(i);
  return out;
}

// The blocks of each number, in file order.
std::map<std::string, std::vector<Block*>> blocks_by_number(std::vector<Block>& blocks) {
  std::map<std::string, std::vector<Block*>> out;
  for (auto& block : blocks) out[block.car.car_number].push_back(&block);
  return out;
}

// Matches each number's blocks to the rows of `entries` with that number. says(entry) gives
// what a row says of its car: (laps, fastest lap, its time).
template <typename Entry, typename Says>
void match_blocks(std::vector<Block>& blocks, const std::vector<Entry>& entries, Says says,
                  std::optional<std::size_t> OfficialCar::*row_of) {
  const auto rows = rows_by_number(entries);
  for (auto& [number, of_number] : blocks_by_number(blocks)) {
    auto it = rows.find(number);
    if (it == rows.end()) continue;
    auto matched = match_rows(of_number.size(), it->second, [&](std::size_t b, std::size_t row) {
      const auto [laps, fastest_lap, fastest_ms] = says(entries[row]);
      return agreement(*of_number[b], laps, fastest_lap, fastest_ms);
    });
    for (std::size_t b = 0; b < of_number.size(); ++b) of_number[b]->car.*row_of = matched[b];
  }
}

struct RowSays {
  int laps = 0;
  std::optional<int> fastest_lap;
  std::optional<std::int64_t> fastest_ms;
};

RowSays result_says(const ResultEntry& e) {
  return {e.laps, e.fastest_lap_number, e.fastest_lap_ms};
}

RowSays best_laps_say(const BestLapsEntry& e) {
  if (e.best.empty()) return {e.total_driver_laps, std::nullopt, std::nullopt};
  return {e.total_driver_laps, e.best.front().first, e.best.front().second};
}

void set_fastest(OfficialCar& car, int lap, std::int64_t ms, const char* basis) {
  car.fastest_lap = lap;
  car.fastest_lap_ms = ms;
  car.fastest_lap_basis = basis;
}

void decide_fastest_lap(Block& block, const Session& session, bool laps_are_marked) {
  OfficialCar& car = block.car;
  // A results row without FL_LAPNUM (a file without the column) leaves it to the next rule.
  if (session.results && car.result_row && session.results->entries[*car.result_row].fastest_lap_number) {
    const ResultEntry& e = session.results->entries[*car.result_row];
    if (*e.fastest_lap_number > 0 && e.fastest_lap_ms && *e.fastest_lap_ms > 0)
      set_fastest(car, *e.fastest_lap_number, *e.fastest_lap_ms, "the results file's FL_LAPNUM and FL_TIME");
    else
      car.no_fastest_lap_reason = "the results give this car no fastest lap";
    return;
  }
  if (session.best_laps && car.best_laps_row) {
    const BestLapsEntry& e = session.best_laps->entries[*car.best_laps_row];
    if (!e.best.empty() && e.best.front().first > 0 && e.best.front().second > 0)
      set_fastest(car, e.best.front().first, e.best.front().second, "the best ten laps file (99_)");
    else
      car.no_fastest_lap_reason = "the best ten laps file (99_) lists no lap for this car";
    return;
  }
  if (laps_are_marked) {
    if (block.marked_lap && block.marked_ms && *block.marked_ms > 0)
      set_fastest(car, *block.marked_lap, *block.marked_ms,
                  "the lap 23_ marks as the car's best (LAP_IMPROVEMENT)");
    else
      car.no_fastest_lap_reason = "23_ marks no lap of this car as its best (LAP_IMPROVEMENT)";
    return;
  }
  for (const auto& [lap, ms] : block.lap_ms)
    if (lap >= 2 && (!car.fastest_lap_ms || ms < *car.fastest_lap_ms))
      set_fastest(car, lap, ms, "the fastest lap after lap 1 in 23_ (a deleted lap cannot be told apart)");
  if (!car.fastest_lap)
    car.no_fastest_lap_reason = "no lap after lap 1 (a lap from the grid is never a fastest lap)";
}

void find_deleted_laps(Block& block, const Session& session) {
  OfficialCar& car = block.car;
  if (car.fastest_lap_ms)
    for (const auto& [lap, ms] : block.lap_ms)
      if (lap >= 2 && ms < *car.fastest_lap_ms)
        car.deleted_laps[lap] =
            "quicker than the official fastest lap (lap " + std::to_string(*car.fastest_lap) + ")";
  if (!session.best_laps || !car.best_laps_row) return;
  const auto& listed = session.best_laps->entries[*car.best_laps_row].best;
  // Only a full list of ten says which laps did not count: a shorter one can leave out laps
  // for other reasons (a car's laps in the pit lane, under a flag), so it decides nothing.
  if (listed.size() < 10) return;
  const std::int64_t slowest = listed.back().second;
  for (const auto& [lap, ms] : block.lap_ms) {
    const bool is_listed =
        std::any_of(listed.begin(), listed.end(), [&](const auto& l) { return l.first == lap; });
    if (lap < 2 || is_listed || car.deleted_laps.contains(lap) || ms >= slowest) continue;
    car.deleted_laps[lap] = "quicker than the tenth best lap in 99_ but not listed there";
  }
}

}  // namespace

std::vector<OfficialCar> official_cars(const Session& session) {
  if (!session.sections) return {};
  std::vector<Block> blocks = blocks_of(*session.sections);
  if (session.results) match_blocks(blocks, session.results->entries, result_says, &OfficialCar::result_row);
  if (session.best_laps)
    match_blocks(blocks, session.best_laps->entries, best_laps_say, &OfficialCar::best_laps_row);
  const bool laps_are_marked =
      std::any_of(blocks.begin(), blocks.end(), [](const Block& b) { return b.marked_lap; });
  std::vector<OfficialCar> cars;
  for (auto& block : blocks) {
    decide_fastest_lap(block, session, laps_are_marked);
    find_deleted_laps(block, session);
    cars.push_back(std::move(block.car));
  }
  return cars;
}

}  // namespace apex
