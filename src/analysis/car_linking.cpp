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

// Dense lap-number -> duration tables: the offset search does a few hundred thousand
// lookups per session.
std::vector<std::int64_t> lap_time_table(const EcuVehicleLaps& vehicle) {
  std::vector<std::int64_t> table;
  for (const auto& lap : vehicle.laps) {
    if (lap.lap < 0 || lap.lap > kMaxLapNumber) continue;
    if (table.size() <= static_cast<std::size_t>(lap.lap))
      table.resize(static_cast<std::size_t>(lap.lap) + 1, -1);
    if (table[static_cast<std::size_t>(lap.lap)] < 0)
      table[static_cast<std::size_t>(lap.lap)] = lap.duration_ms;
  }
  return table;
}

std::int64_t lap_time_in(const std::vector<std::int64_t>& table, int lap) {
  return lap >= 0 && static_cast<std::size_t>(lap) < table.size() ? table[static_cast<std::size_t>(lap)] : -1;
}

// Fills compared_laps, agreeing_laps and median_abs_diff_s at link.lap_offset.
void compare_lap_times(const std::map<int, std::int64_t>& official, const std::vector<std::int64_t>& ecu,
                       CarLink& link) {
  link.compared_laps = link.agreeing_laps = 0;
  std::vector<double> diffs;
  for (const auto& [lap, ms] : official) {
    const std::int64_t ecu_ms = lap_time_in(ecu, lap + link.lap_offset);
    if (ecu_ms < 0) continue;
    ++link.compared_laps;
    if (std::llabs(ecu_ms - ms) <= kLapAgreementMs) ++link.agreeing_laps;
    diffs.push_back(static_cast<double>(std::llabs(ecu_ms - ms)) / 1000.0);
  }
  link.median_abs_diff_s = median(diffs);
}

// The lap offset at which most laps agree (the first such offset from -kMaxLapOffset).
CarLink best_lap_time_agreement(const std::map<int, std::int64_t>& official,
                                const std::vector<std::int64_t>& ecu) {
  CarLink best;
  for (int offset = -kMaxLapOffset; offset <= kMaxLapOffset; ++offset) {
    int agreeing = 0;
    for (const auto& [lap, ms] : official)
      if (std::int64_t ecu_ms = lap_time_in(ecu, lap + offset);
          ecu_ms >= 0 && std::llabs(ecu_ms - ms) <= kLapAgreementMs)
        ++agreeing;
    if (agreeing > best.agreeing_laps) best.agreeing_laps = agreeing, best.lap_offset = offset;
  }
  compare_lap_times(official, ecu, best);
  return best;
}

double agreeing_share(const CarLink& link) {
  return static_cast<double>(link.agreeing_laps) / std::max(1, link.compared_laps);
}

}  // namespace

std::vector<CarLink> link_cars(const std::vector<OfficialLap>& official,
                               const std::vector<EcuVehicleLaps>& ecu) {
  // By car id (official_car_id): two cars can share a number.
  std::map<std::string, std::map<int, std::int64_t>> official_by_car;
  std::map<std::string, std::map<int, std::int64_t>> official_crossing_by_car;  // lap -> ELAPSED
  std::map<std::string, std::string> number_of_car;
  for (const auto& lap : official) {
    const std::string car = official_car_id(lap.car_number, lap.car_block);
    number_of_car.emplace(car, lap.car_number);
    if (lap.lap_time_ms > 0) official_by_car[car].emplace(lap.lap, lap.lap_time_ms);
    if (lap.elapsed_ms && *lap.elapsed_ms > 0)
      official_crossing_by_car[car].emplace(lap.lap, *lap.elapsed_ms);
  }
  auto official_crossings = [&](const std::string& car) {
    std::vector<LineCrossing> crossings;
    if (auto it = official_crossing_by_car.find(car); it != official_crossing_by_car.end())
      for (const auto& [lap, elapsed] : it->second) crossings.push_back(LineCrossing{elapsed, lap});
    std::sort(crossings.begin(), crossings.end(),
              [](const LineCrossing& a, const LineCrossing& b) { return a.time_ms < b.time_ms; });
    return crossings;
  };
  std::vector<std::vector<std::int64_t>> ecu_lap_times;
  std::vector<std::vector<LineCrossing>> ecu_crossings;
  for (const auto& vehicle : ecu) {
    ecu_lap_times.push_back(lap_time_table(vehicle));
    ecu_crossings.push_back(ecu_line_crossings(vehicle));
  }

  struct Candidate {
    CarLink link;
    std::size_t vehicle_index;
  };
  std::map<std::string, CarLink> chosen;
  std::set<std::size_t> used_vehicles;
  auto choose = [&](const std::vector<Candidate>& ranked) {
    for (const auto& c : ranked) {
      if (chosen.contains(c.link.car_id) || used_vehicles.contains(c.vehicle_index)) continue;
      chosen[c.link.car_id] = c.link;
      used_vehicles.insert(c.vehicle_index);
    }
  };

  // First by lap times.
  std::vector<Candidate> candidates;
  for (const auto& [car, laps] : official_by_car) {
    for (std::size_t v = 0; v < ecu.size(); ++v) {
      CarLink best = best_lap_time_agreement(laps, ecu_lap_times[v]);
      bool enough = best.agreeing_laps >= kMinAgreeingLaps &&
                    best.agreeing_laps >= kMinAgreeingShare * static_cast<double>(best.compared_laps);
      if (!enough) continue;
      best.car_id = car;
      best.car_number = number_of_car.at(car);
      best.vehicle_id = ecu[v].vehicle_id;
      best.linked_by = LinkEvidence::LapTimes;
      best.id_number_matches = number_in_vehicle_id(ecu[v].vehicle_id) == strip_zeros(best.car_number);
      candidates.push_back(Candidate{best, v});
    }
  }
  // Strongest agreement first; the number in the id only breaks ties.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.link.agreeing_laps != b.link.agreeing_laps) return a.link.agreeing_laps > b.link.agreeing_laps;
    if (agreeing_share(a.link) != agreeing_share(b.link))
      return agreeing_share(a.link) > agreeing_share(b.link);
    if (a.link.id_number_matches != b.link.id_number_matches) return a.link.id_number_matches;
    return a.link.median_abs_diff_s.value_or(1e9) < b.link.median_abs_diff_s.value_or(1e9);
  });
  choose(candidates);

  // Then the cars left by line crossings, among the vehicles left. Closest match first: a
  // car running nose to tail with another matches that car's vehicle nearly as often, but
  // by two to three times the median difference.
  candidates.clear();
  for (const auto& [car, laps] : official_by_car) {
    if (chosen.contains(car)) continue;
    const auto crossings = official_crossings(car);
    if (crossings.size() < static_cast<std::size_t>(kMinAgreeingLaps)) continue;
    for (std::size_t v = 0; v < ecu.size(); ++v) {
      if (used_vehicles.contains(v)) continue;
      CarLink link;
      link.crossings = compare_crossings(crossings, ecu_crossings[v]);
      const auto& agreement = link.crossings;
      if (agreement.matching < kMinAgreeingLaps ||
          agreement.matching < kMinMatchingCrossingShare * static_cast<double>(agreement.compared))
        continue;
      link.car_id = car;
      link.car_number = number_of_car.at(car);
      link.vehicle_id = ecu[v].vehicle_id;
      link.linked_by = LinkEvidence::LineCrossings;
      link.lap_offset = agreement.lap_offset;
      link.id_number_matches = number_in_vehicle_id(ecu[v].vehicle_id) == strip_zeros(link.car_number);
      compare_lap_times(laps, ecu_lap_times[v], link);
      candidates.push_back(Candidate{link, v});
    }
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    const auto& x = a.link.crossings;
    const auto& y = b.link.crossings;
    if (x.median_abs_diff_s != y.median_abs_diff_s)
      return x.median_abs_diff_s.value_or(1e9) < y.median_abs_diff_s.value_or(1e9);
    if (x.matching != y.matching) return x.matching > y.matching;
    return a.link.id_number_matches && !b.link.id_number_matches;
  });
  choose(candidates);

  std::vector<CarLink> links;
  std::map<std::string, std::size_t> vehicle_index;
  for (std::size_t v = 0; v < ecu.size(); ++v) vehicle_index[ecu[v].vehicle_id] = v;
  for (const auto& [car, laps] : official_by_car) {
    CarLink link;
    link.car_id = car;
    link.car_number = number_of_car.at(car);
    if (auto it = chosen.find(car); it != chosen.end()) link = it->second;
    // How the crossings of a car linked by lap times agree too (shown with the link).
    if (link.linked_by == LinkEvidence::LapTimes)
      if (const auto crossings = official_crossings(car); !crossings.empty())
        link.crossings = compare_crossings(crossings, ecu_crossings[vehicle_index.at(*link.vehicle_id)]);
    links.push_back(std::move(link));
  }
  std::sort(links.begin(), links.end(), [](const CarLink& a, const CarLink& b) {
    return car_sort_key(a.car_number) != car_sort_key(b.car_number)
               ? car_sort_key(a.car_number) < car_sort_key(b.car_number)
               : a.car_id < b.car_id;
  });
  return links;
}

}  // namespace apex
