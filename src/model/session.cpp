#include "model/session.h"

namespace apex {

std::vector<const ParseReport*> Session::reports() const {
  std::vector<const ParseReport*> out;
  if (lap_starts) out.push_back(&lap_starts->report);
  if (lap_ends) out.push_back(&lap_ends->report);
  if (lap_times) out.push_back(&lap_times->report);
  if (sections) out.push_back(&sections->report);
  if (results) out.push_back(&results->report);
  if (best_laps) out.push_back(&best_laps->report);
  if (weather) out.push_back(&weather->report);
  return out;
}

}  // namespace apex
