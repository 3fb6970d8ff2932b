// The cars of a session's official timing, and each one's official fastest lap, decided as
// the timing system decides it:
// - A car is a block of laps in 23_ (OfficialLap::car_block), not a number: two cars can
//   share number, class and group. Blocks are matched to the rows of the results and best-laps
//   files with their number by what both say: laps completed, fastest lap and its number.
// - The results file (03_/00_; the catalog prefers one not marked Provisional) is the final
//   word: its FL_LAPNUM / FL_TIME are the car's fastest lap, and a row without them means the
//   car has none.
// - Without results, 99_ (best ten laps per car) says the same: its first lap is the fastest.
// - Without either, 23_'s LAP_IMPROVEMENT marks each car's best lap (a deleted lap is never
//   marked), where the file has the column.
// - Without any of them, the fastest lap after lap 1: a lap from the grid is never a fastest
//   lap. A lap the officials deleted cannot be seen then.
// Pure: no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/session.h"

namespace apex {

struct OfficialCar {
  std::string car_id;      // official_car_id: "3", "3-2" for the second car numbered 3
  std::string car_number;  // as written
  int car_block = 1;
  int laps_completed = 0;                    // its highest lap number
  std::optional<std::size_t> result_row;     // its row in the results file, when matched
  std::optional<std::size_t> best_laps_row;  // its row in 99_, when matched
  std::optional<int> fastest_lap;
  std::optional<std::int64_t> fastest_lap_ms;
  std::string fastest_lap_basis;      // the rule that decided, in words
  std::string no_fastest_lap_reason;  // when fastest_lap is empty
  // Laps the officials deleted (lap -> how the files show it): after lap 1, quicker than the
  // official fastest lap; or, where the car's row in 99_ lists ten laps (only laps that count,
  // never lap 1), quicker than the slowest of them and not listed. A deleted lap slower than
  // both cannot be seen.
  std::map<int, std::string> deleted_laps;
};

// In the order the cars first appear in 23_.
std::vector<OfficialCar> official_cars(const Session& session);

}  // namespace apex
