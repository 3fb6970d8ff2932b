#include "analysis/car_linking.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "analysis/lap_statistics.h"

namespace apex {

std::optional<std::string> number_in_vehicle_id(const std::string& vehicle_id) {
  auto dash = vehicle_id.rfind('-');
  if (dash == std::string::npos || dash + 1 >= vehicle_id.size()) return std::nullopt;
  std::string digits = vehicle_id.substr(dash + 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  if (digits.empty()) return std::nullopt;  // 0 / 000: unassigned
  return digits;
}

namespace {

std::string strip_zeros(std::string s) {
  s.erase(0, std::min(s.find_first_not_of('0'), s.size() - (s.empty() ? 0 : 1)));
  return s;
}

long car_sort_key(const std::string& number) {
  char* end = nullptr;
  long value = std::strtol(number.c_str(), &end, 10);
  return (end && *end == '\0') ? value : 1'000'000;
}

}  // namespace

std::vector<CarLink> link_cars(const std::vector<OfficialLap>& official,
                               const std::vector<EcuVehicleLaps>& ecu) {
  std::map<std::string, std::map<int, std::int64_t>> official_by_car;
  for (const auto& lap : official)
    if (lap.lap_time_ms > 0) official_by_car[lap.car_number][lap.lap] = lap.lap_time_ms;

  struct Candidate {
    CarLink link;
    std::size_t vehicle_index;
  };
  // Dense lap-number -> duration tables: the offset search below does a few hundred
  // thousand lookups per session.
  std::vector<std::vector<std::int64_t>> ecu_lap_times(ecu.size());
  for (std::size_t v = 0; v < ecu.size(); ++v) {
    auto& table = ecu_lap_times[v];
    for (const auto& lap : ecu[v].laps) {
      if (lap.lap < 0 || lap.lap > kMaxLapNumber) continue;
      if (table.size() <= static_cast<std::size_t>(lap.lap))
        table.resize(static_cast<std::size_t>(lap.lap) + 1, -1);
      if (table[static_cast<std::size_t>(lap.lap)] < 0)
        table[static_cast<std::size_t>(lap.lap)] = lap.duration_ms;
    }
  }
  auto ecu_time = [&](std::size_t v, int lap) -> std::int64_t {
    const auto& table = ecu_lap_times[v];
    return lap >= 0 && static_cast<std::size_t>(lap) < table.size() ? table[static_cast<std::size_t>(lap)]
                                                                    : -1;
  };
  std::vector<Candidate> candidates;
  for (const auto& [car, laps] : official_by_car) {
    for (std::size_t v = 0; v < ecu.size(); ++v) {
      CarLink best;
      best.car_number = car;
      for (int offset = -kMaxLapOffset; offset <= kMaxLapOffset; ++offset) {
        int compared = 0, agreeing = 0;
        for (const auto& [lap, ms] : laps) {
          std::int64_t ecu_ms = ecu_time(v, lap + offset);
          if (ecu_ms < 0) continue;
          ++compared;
          if (std::llabs(ecu_ms - ms) <= kLapAgreementMs) ++agreeing;
        }
        if (agreeing > best.agreeing_laps) {
          best.agreeing_laps = agreeing;
          best.compared_laps = compared;
          best.lap_offset = offset;
        }
      }
      bool enough = best.agreeing_laps >= kMinAgreeingLaps &&
                    best.agreeing_laps >= kMinAgreeingShare * static_cast<double>(best.compared_laps);
      if (!enough) continue;
      std::vector<double> diffs;
      for (const auto& [lap, ms] : laps)
        if (std::int64_t ecu_ms = ecu_time(v, lap + best.lap_offset); ecu_ms >= 0)
          diffs.push_back(static_cast<double>(std::llabs(ecu_ms - ms)) / 1000.0);
      best.median_abs_diff_s = median(diffs);
      best.vehicle_id = ecu[v].vehicle_id;
      best.id_number_matches = number_in_vehicle_id(ecu[v].vehicle_id) == strip_zeros(car);
      candidates.push_back(Candidate{best, v});
    }
  }
  // Strongest agreement first; the number in the id only breaks ties.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    double share_a = static_cast<double>(a.link.agreeing_laps) / std::max(1, a.link.compared_laps);
    double share_b = static_cast<double>(b.link.agreeing_laps) / std::max(1, b.link.compared_laps);
    if (a.link.agreeing_laps != b.link.agreeing_laps) return a.link.agreeing_laps > b.link.agreeing_laps;
    if (share_a != share_b) return share_a > share_b;
    if (a.link.id_number_matches != b.link.id_number_matches) return a.link.id_number_matches;
    return a.link.median_abs_diff_s.value_or(1e9) < b.link.median_abs_diff_s.value_or(1e9);
  });
  std::map<std::string, CarLink> chosen;
  std::set<std::size_t> used_vehicles;
  for (const auto& c : candidates) {
    if (chosen.contains(c.link.car_number) || used_vehicles.contains(c.vehicle_index)) continue;
    chosen[c.link.car_number] = c.link;
    used_vehicles.insert(c.vehicle_index);
  }
  std::vector<CarLink> links;
  for (const auto& [car, laps] : official_by_car) {
    if (auto it = chosen.find(car); it != chosen.end()) {
      links.push_back(it->second);
    } else {
      CarLink none;
      none.car_number = car;
      links.push_back(none);
    }
  }
  std::sort(links.begin(), links.end(), [](const CarLink& a, const CarLink& b) {
    return car_sort_key(a.car_number) != car_sort_key(b.car_number)
               ? car_sort_key(a.car_number) < car_sort_key(b.car_number)
               : a.car_number < b.car_number;
  });
  return links;
}

}  // namespace apex
