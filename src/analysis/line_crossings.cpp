#include "analysis/line_crossings.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "analysis/lap_statistics.h"

namespace apex {

std::vector<LineCrossing> ecu_line_crossings(const EcuVehicleLaps& vehicle) {
  struct Event {
    LineCrossing crossing;
    bool is_end;
  };
  std::vector<Event> events;
  for (const auto& lap : vehicle.laps) {
    events.push_back(Event{{lap.start_ms, lap.lap - 1}, false});
    events.push_back(Event{{lap.end_ms, lap.lap}, true});
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.crossing.time_ms < b.crossing.time_ms; });
  std::vector<LineCrossing> crossings;
  bool last_is_end = false;
  for (const auto& e : events) {
    if (!crossings.empty() && e.crossing.time_ms - crossings.back().time_ms <= kCrossingBurstWindowMs) {
      // The same pass: a lap's end names the lap by the counter that ended it.
      if (e.is_end && !last_is_end) crossings.back().lap_ended = e.crossing.lap_ended;
      last_is_end = last_is_end || e.is_end;
      continue;
    }
    crossings.push_back(e.crossing);
    last_is_end = e.is_end;
  }
  return crossings;
}

namespace {

// The ECU clock minus the official clock at which most crossing pairs fall within
// kCrossingAgreementMs of each other: the densest window of width 2 * kCrossingAgreementMs
// over every pair's difference, and the median of the differences in it.
std::optional<std::int64_t> clock_offset(const std::vector<LineCrossing>& official,
                                         const std::vector<LineCrossing>& ecu) {
  std::vector<std::int64_t> differences;
  differences.reserve(official.size() * ecu.size());
  for (const auto& o : official)
    for (const auto& e : ecu) differences.push_back(e.time_ms - o.time_ms);
  if (differences.empty()) return std::nullopt;
  std::sort(differences.begin(), differences.end());
  std::size_t best_begin = 0, best_count = 0;
  for (std::size_t begin = 0, end = 0; begin < differences.size(); ++begin) {
    end = std::max(end, begin);
    while (end < differences.size() && differences[end] - differences[begin] <= 2 * kCrossingAgreementMs)
      ++end;
    if (end - begin > best_count) best_begin = begin, best_count = end - begin;
  }
  return differences[best_begin + best_count / 2];
}

}  // namespace

CrossingAgreement compare_crossings(const std::vector<LineCrossing>& official,
                                    const std::vector<LineCrossing>& ecu) {
  CrossingAgreement out;
  out.compared = static_cast<int>(official.size());
  const auto offset = clock_offset(official, ecu);
  if (!offset) return out;
  std::vector<double> abs_diffs;
  std::map<int, int> lap_offset_votes;
  for (const auto& o : official) {
    const std::int64_t at = o.time_ms + *offset;
    auto next = std::lower_bound(ecu.begin(), ecu.end(), at,
                                 [](const LineCrossing& c, std::int64_t t) { return c.time_ms < t; });
    auto nearest = next;
    if (next == ecu.end() || (next != ecu.begin() && at - std::prev(next)->time_ms < next->time_ms - at))
      nearest = std::prev(next);
    const std::int64_t diff = std::llabs(nearest->time_ms - at);
    if (diff > kCrossingAgreementMs) continue;
    ++out.matching;
    abs_diffs.push_back(static_cast<double>(diff) / 1000.0);
    ++lap_offset_votes[nearest->lap_ended - o.lap_ended];
  }
  out.median_abs_diff_s = median(abs_diffs);
  int best_votes = 0;
  for (auto [lap_offset, votes] : lap_offset_votes)
    if (votes > best_votes || (votes == best_votes && std::abs(lap_offset) < std::abs(out.lap_offset)))
      out.lap_offset = lap_offset, best_votes = votes;
  return out;
}

}  // namespace apex
