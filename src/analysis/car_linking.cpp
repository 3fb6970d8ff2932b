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

// The official laps by car id (official_car_id: two cars can share a number), and the ECU
// vehicles' lap times and crossings.
struct LinkingInput {
  std::map<std::string, std::map<int, std::int64_t>> official_by_car;  // lap -> lap time
  std::map<std::string, std::string> number_of_car;
  OfficialCrossings official_crossings;
  std::vector<std::vector<std::int64_t>> ecu_lap_times;
  std::vector<std::vector<LineCrossing>> ecu_crossings;

  LinkingInput(const std::vector<OfficialLap>& official, const std::vector<EcuVehicleLaps>& ecu)
      : official_crossings(official_line_crossings(official)) {
    for (const auto& lap : official) {
      const std::string car = official_car_id(lap.car_number, lap.car_block);
      number_of_car.emplace(car, lap.car_number);
      if (lap.lap_time_ms > 0) official_by_car[car].emplace(lap.lap, lap.lap_time_ms);
    }
    for (const auto& vehicle : ecu) {
      ecu_lap_times.push_back(lap_time_table(vehicle));
      ecu_crossings.push_back(ecu_line_crossings(vehicle));
    }
  }
  const std::vector<LineCrossing>& crossings_of(const std::string& car) const {
    static const std::vector<LineCrossing> none;
    auto it = official_crossings.by_car.find(car);
    return it != official_crossings.by_car.end() ? it->second : none;
  }
};

struct Candidate {
  CarLink link;
  std::size_t vehicle_index;
};

// Takes candidates in order, one vehicle per car and one car per vehicle.
void choose(const std::vector<Candidate>& ranked, std::map<std::string, Candidate>& chosen,
            std::set<std::size_t>& used_vehicles) {
  for (const auto& c : ranked) {
    if (chosen.contains(c.link.car_id) || used_vehicles.contains(c.vehicle_index)) continue;
    chosen.emplace(c.link.car_id, c);
    used_vehicles.insert(c.vehicle_index);
  }
}

void link_by_lap_times(const LinkingInput& in, const std::vector<EcuVehicleLaps>& ecu,
                       std::map<std::string, Candidate>& chosen, std::set<std::size_t>& used_vehicles) {
  std::vector<Candidate> candidates;
  for (const auto& [car, laps] : in.official_by_car) {
    for (std::size_t v = 0; v < ecu.size(); ++v) {
      CarLink best = best_lap_time_agreement(laps, in.ecu_lap_times[v]);
      bool enough = best.agreeing_laps >= kMinAgreeingLaps &&
                    best.agreeing_laps >= kMinAgreeingShare * static_cast<double>(best.compared_laps);
      if (!enough) continue;
      best.car_id = car;
      best.car_number = in.number_of_car.at(car);
      best.vehicle_id = ecu[v].vehicle_id;
      best.linked_by = LinkEvidence::LapTimes;
      best.id_number_matches = number_in_vehicle_id(ecu[v].vehicle_id) == strip_zeros(best.car_number);
      best.few_laps = best.agreeing_laps < kFewLaps;
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
  choose(candidates, chosen, used_vehicles);
}

// Links the cars left by line crossings at offset_ms, among the vehicles left. Closest
// match first: a car running nose to tail with another matches that car's vehicle nearly
// as often, but by two to three times the median difference.
void link_by_crossings(const LinkingInput& in, const std::vector<EcuVehicleLaps>& ecu, std::int64_t offset_ms,
                       std::map<std::string, Candidate>& chosen, std::set<std::size_t>& used_vehicles) {
  std::vector<Candidate> candidates;
  for (const auto& [car, laps] : in.official_by_car) {
    if (chosen.contains(car)) continue;
    const auto& crossings = in.crossings_of(car);
    for (std::size_t v = 0; v < ecu.size(); ++v) {
      if (used_vehicles.contains(v)) continue;
      CarLink link;
      link.crossings = compare_crossings_at(crossings, in.ecu_crossings[v], offset_ms);
      const auto& agreement = link.crossings;
      const int timed = std::max(agreement.compared, agreement.ecu_compared);
      if (agreement.matching < kMinMatchingCrossings ||
          agreement.matching < kMinMatchingCrossingShare * static_cast<double>(timed))
        continue;
      link.car_id = car;
      link.car_number = in.number_of_car.at(car);
      link.vehicle_id = ecu[v].vehicle_id;
      link.linked_by = LinkEvidence::LineCrossings;
      link.lap_offset = agreement.lap_offset;
      link.id_number_matches = number_in_vehicle_id(ecu[v].vehicle_id) == strip_zeros(link.car_number);
      link.few_laps = agreement.matching - 1 < kFewLaps;
      compare_lap_times(laps, in.ecu_lap_times[v], link);
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
  choose(candidates, chosen, used_vehicles);
}

// The ECU minus official clock offset of a car linked by lap times: the median, over the laps
// whose times agree, of the ECU lap's end minus the official crossing that ends the lap.
std::optional<std::int64_t> lap_time_link_offset(const LinkingInput& in, const std::string& car,
                                                 const EcuVehicleLaps& vehicle, int lap_offset) {
  std::map<int, const EcuLap*> ecu_lap;
  for (const auto& lap : vehicle.laps) ecu_lap.emplace(lap.lap, &lap);
  std::vector<double> offsets;
  for (const auto& crossing : in.crossings_of(car)) {
    auto it = ecu_lap.find(crossing.lap_ended + lap_offset);
    if (it == ecu_lap.end() || std::llabs(it->second->duration_ms - crossing.lap_time_ms) > kLapAgreementMs)
      continue;
    offsets.push_back(static_cast<double>(it->second->end_ms - crossing.time_ms));
  }
  if (auto m = median(offsets)) return static_cast<std::int64_t>(std::llround(*m));
  return std::nullopt;
}

// The lower median: an offset some car has, not between two.
std::int64_t lower_median(std::vector<std::int64_t> values) {
  std::sort(values.begin(), values.end());
  return values[(values.size() - 1) / 2];
}

SessionClockEstimate estimate_clock(const LinkingInput& in, const std::vector<EcuVehicleLaps>& ecu,
                                    std::map<std::string, Candidate> chosen,
                                    std::set<std::size_t> used_vehicles) {
  SessionClockEstimate out;
  if (in.official_crossings.by_car.empty()) {
    out.why_not = "no official crossings (no official timing, or no HOUR or ELAPSED)";
    return out;
  }
  // Each car linked by lap times: its own offset, from the laps whose times agree.
  std::vector<std::int64_t> by_lap_times;
  std::vector<std::string> vehicle_of_offset;
  for (const auto& [car, c] : chosen)
    if (auto offset = lap_time_link_offset(in, car, ecu[c.vehicle_index], c.link.lap_offset)) {
      by_lap_times.push_back(*offset);
      vehicle_of_offset.push_back(ecu[c.vehicle_index].vehicle_id);
    }
  if (by_lap_times.empty()) {
    out.why_not = "no car linked by lap times";
    return out;
  }
  const std::int64_t first = lower_median(by_lap_times);
  // The cars that offset links by crossings, each with its own median difference from it.
  link_by_crossings(in, ecu, first, chosen, used_vehicles);
  std::vector<std::int64_t> by_crossings;
  for (const auto& [car, c] : chosen)
    if (c.link.linked_by == LinkEvidence::LineCrossings && c.link.crossings.median_diff_ms)
      by_crossings.push_back(first + *c.link.crossings.median_diff_ms);
  std::vector<std::int64_t> all = by_lap_times;
  all.insert(all.end(), by_crossings.begin(), by_crossings.end());

  SessionClock clock;
  clock.official_clock = in.official_crossings.clock;
  clock.offset_ms = lower_median(all);
  std::optional<std::int64_t> low, high;
  auto count = [&](const std::vector<std::int64_t>& offsets, int& agreeing) {
    for (std::int64_t offset : offsets) {
      if (std::llabs(offset - clock.offset_ms) > kCrossingAgreementMs) {
        ++clock.cars_disagreeing;
        continue;
      }
      ++agreeing;
      low = std::min(low.value_or(offset), offset);
      high = std::max(high.value_or(offset), offset);
    }
  };
  count(by_lap_times, clock.cars);
  count(by_crossings, clock.cars_by_crossings);
  for (std::size_t i = 0; i < by_lap_times.size(); ++i)
    if (std::llabs(by_lap_times[i] - clock.offset_ms) > kCrossingAgreementMs)
      out.own_clock_vehicles.insert(vehicle_of_offset[i]);
  clock.spread_ms = low ? *high - *low : 0;
  set_race_window(clock, in.official_crossings);
  out.clock = clock;
  return out;
}

}  // namespace

std::string_view to_string(LinkEvidence evidence) {
  switch (evidence) {
    case LinkEvidence::LapTimes:
      return "lap times";
    case LinkEvidence::LineCrossings:
      return "line crossings at the session clock";
    case LinkEvidence::Override:
      return "the track's overrides file";
    case LinkEvidence::None:
      break;
  }
  return "none";
}

SessionClockEstimate estimate_session_clock(const std::vector<OfficialLap>& official,
                                            const std::vector<EcuVehicleLaps>& ecu) {
  const LinkingInput in(official, ecu);
  std::map<std::string, Candidate> chosen;
  std::set<std::size_t> used_vehicles;
  link_by_lap_times(in, ecu, chosen, used_vehicles);
  return estimate_clock(in, ecu, std::move(chosen), std::move(used_vehicles));
}

std::vector<CarLink> link_cars(const std::vector<OfficialLap>& official,
                               const std::vector<EcuVehicleLaps>& ecu) {
  return link_cars(official, ecu, estimate_session_clock(official, ecu).clock);
}

std::vector<CarLink> link_cars(const std::vector<OfficialLap>& official,
                               const std::vector<EcuVehicleLaps>& ecu,
                               const std::optional<SessionClock>& clock) {
  const LinkingInput in(official, ecu);
  std::map<std::string, Candidate> chosen;
  std::set<std::size_t> used_vehicles;
  link_by_lap_times(in, ecu, chosen, used_vehicles);

  if (clock) link_by_crossings(in, ecu, clock->offset_ms, chosen, used_vehicles);

  std::vector<CarLink> links;
  for (const auto& [car, laps] : in.official_by_car) {
    CarLink link;
    link.car_id = car;
    link.car_number = in.number_of_car.at(car);
    if (auto it = chosen.find(car); it != chosen.end()) {
      link = it->second.link;
      // How the crossings of a car linked by lap times agree too (shown with the link).
      if (link.linked_by == LinkEvidence::LapTimes && clock)
        link.crossings = compare_crossings_at(in.crossings_of(car),
                                              in.ecu_crossings[it->second.vehicle_index], clock->offset_ms);
    }
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
