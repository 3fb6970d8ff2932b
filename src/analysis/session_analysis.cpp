#include "analysis/session_analysis.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "analysis/lap_selection.h"
#include "analysis/lap_statistics.h"
#include "analysis/official_cars.h"
#include "analysis/session_overrides.h"

namespace apex {

std::string_view to_string(LapSource source) {
  return source == LapSource::Official ? "official" : "ecu";
}

namespace {

constexpr double kConsistencyWindowS = 0.5;

const std::vector<LapEvent>& events_of(const std::optional<LapEvents>& file) {
  static const std::vector<LapEvent> none;
  return file ? file->events : none;
}

void summarise(DriverSummary& d, const std::vector<const LapRecord*>& laps) {
  d.total_laps = static_cast<int>(laps.size());
  for (const LapRecord* lap : laps) {
    if (!lap->valid) continue;
    ++d.valid_laps;
    d.valid_lap_times_s.push_back(static_cast<double>(lap->lap_time_ms) / 1000.0);
    if (!d.best_lap_ms || lap->lap_time_ms < *d.best_lap_ms) {
      d.best_lap_ms = lap->lap_time_ms;
      d.best_lap_number = lap->lap;
    }
    // Sectors only from a lap with all three: a blank one means a missed timing loop, and
    // the lap's other sectors cannot be trusted to add up.
    auto present = [](const std::optional<std::int64_t>& v) { return v && *v > 0; };
    if (!present(lap->s1_ms) || !present(lap->s2_ms) || !present(lap->s3_ms)) continue;
    auto keep_min = [](std::optional<std::int64_t>& best, std::int64_t v) {
      if (!best || v < *best) best = v;
    };
    keep_min(d.best_s1_ms, *lap->s1_ms);
    keep_min(d.best_s2_ms, *lap->s2_ms);
    keep_min(d.best_s3_ms, *lap->s3_ms);
  }
}

// Pace figures come from green racing laps (analysis/lap_selection.h): a caution, a restart,
// a pit stop or a deleted lap says nothing of a driver's pace. Incident laps stay: a spin is
// inconsistency.
void set_pace(DriverSummary& d, const std::vector<double>& pace_lap_times_s) {
  d.mean_lap_s = mean(pace_lap_times_s);
  d.std_dev_s = sample_std_dev(pace_lap_times_s);
  if (d.mean_lap_s && d.std_dev_s && *d.mean_lap_s > 0)
    d.consistency_score = 100.0 - *d.std_dev_s / *d.mean_lap_s * 100.0;
  d.within_half_second_percent = percent_within_of_best(pace_lap_times_s, kConsistencyWindowS);
}

// The sum of the car's best sectors, never above its best lap: above it, the best lap's own
// sectors were incomplete, so the true figure is unknown (and not this sum).
void set_theoretical_best(DriverSummary& d) {
  d.theoretical_best_ms.reset();
  if (!d.best_s1_ms || !d.best_s2_ms || !d.best_s3_ms) return;
  const std::int64_t sum = *d.best_s1_ms + *d.best_s2_ms + *d.best_s3_ms;
  if (d.best_lap_ms && sum > *d.best_lap_ms) return;
  d.theoretical_best_ms = sum;
}

}  // namespace

const DriverSummary* SessionAnalysis::find_driver(std::string_view id) const {
  for (const auto& d : drivers)
    if (d.driver_id == id || (d.vehicle_id && *d.vehicle_id == id)) return &d;
  std::string_view car = id.starts_with("car-") ? id.substr(4) : id;
  for (const auto& d : drivers)
    if (d.car_id && *d.car_id == car) return &d;
  for (const auto& d : drivers)
    if (d.car_number && *d.car_number == car) return &d;
  return nullptr;
}

namespace {

// An official car's best lap is its official fastest lap, and its place the classification's.
void take_official_decision(DriverSummary& d, const OfficialCar& car, const Session& session) {
  d.best_lap_ms = car.fastest_lap_ms;
  d.best_lap_number = car.fastest_lap;
  d.best_lap_basis = car.fastest_lap_basis;
  d.no_best_lap_reason = car.no_fastest_lap_reason;
  d.result_row = car.result_row;
  if (car.result_row && session.results) d.race_position = session.results->entries[*car.result_row].position;
}

std::int64_t number_order(const std::optional<std::string>& number) {
  std::int64_t value = 0;
  for (char c : number.value_or("")) {
    if (c < '0' || c > '9') break;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

namespace {

// Which official car is which ECU vehicle, by car id (official_car_id): two cars can
// share a number.
struct CarIdentities {
  std::map<std::string, std::string> vehicle_of_car, car_of_vehicle, number_of_car;
  std::map<std::string, int> lap_offset_of_vehicle;

  explicit CarIdentities(const std::vector<CarLink>& links) {
    for (const auto& link : links) {
      number_of_car[link.car_id] = link.car_number;
      if (!link.vehicle_id) continue;
      vehicle_of_car[link.car_id] = *link.vehicle_id;
      car_of_vehicle[*link.vehicle_id] = link.car_id;
      lap_offset_of_vehicle[*link.vehicle_id] = link.lap_offset;
    }
  }
  // The ECU vehicle_id of a linked car, car-<id> for one without telemetry.
  std::string driver_id_of_car(const std::string& car) const {
    auto it = vehicle_of_car.find(car);
    return it != vehicle_of_car.end() ? it->second : "car-" + car;
  }
};

// The session clock from all events (cars linked by lap times), then the ECU laps again
// from the events of the race alone (a lap file can hold other days), linked to the
// official cars and judged against them.
void link_ecu_laps(const Session& session, const std::vector<OfficialLap>& official, SessionAnalysis& out) {
  // lap_time files hold lap-end events in schemas A and C; use them when lap_end is missing.
  const auto& ends_file = session.lap_ends ? session.lap_ends : session.lap_times;
  const auto estimate =
      estimate_session_clock(official, build_ecu_laps(events_of(session.lap_starts), events_of(ends_file)));
  out.clock = estimate.clock;
  out.why_no_clock = estimate.why_not;
  out.own_clock_vehicles = estimate.own_clock_vehicles;
  auto in_race = [&](const std::optional<LapEvents>& file) {
    if (!out.clock || !file) return events_of(file);
    return events_in_race_window(file->events, *out.clock, file->report.object_key, out.events_left_out,
                                 estimate.own_clock_vehicles);
  };
  const auto starts = in_race(session.lap_starts);
  out.ecu = build_ecu_laps(starts, in_race(ends_file));
  out.links = link_cars(official, out.ecu, out.clock);
  if (session.overrides) out.override_outcomes = apply_link_overrides(out.links, *session.overrides, out.ecu);
  // Linking uses lap durations only, so the laps can be judged again with what official
  // timing says of each car linked by evidence (a link an override forced has no lap offset
  // to line the two lap counters up: its laps are judged by pace).
  OfficialReferences references;
  for (const auto& link : out.links)
    if (link.vehicle_id && link.linked_by != LinkEvidence::Override)
      references[*link.vehicle_id] = official_reference(official, link.car_id, link.lap_offset);
  flag_impossible_laps(out.ecu, references);
}

// Official laps: the timing system of record. A lap can appear twice in an export; the
// first is kept so nothing is counted twice. Sorted by car number, car id, lap.
void add_official_laps(const std::vector<OfficialLap>& official, const CarIdentities& ids,
                       const std::map<std::string, const OfficialCar*>& car_by_id, SessionAnalysis& out) {
  std::set<std::pair<std::string, int>> seen;
  for (const auto& lap : official) {
    const std::string car = official_car_id(lap.car_number, lap.car_block);
    if (!seen.emplace(car, lap.lap).second) continue;
    LapRecord r;
    r.source = LapSource::Official;
    r.car_number = lap.car_number;
    r.car_id = car;
    r.driver_id = ids.driver_id_of_car(car);
    if (auto it = ids.vehicle_of_car.find(car); it != ids.vehicle_of_car.end()) r.vehicle_id = it->second;
    r.lap = lap.lap;
    r.lap_time_ms = lap.lap_time_ms;
    r.s1_ms = lap.s1_ms;
    r.s2_ms = lap.s2_ms;
    r.s3_ms = lap.s3_ms;
    r.flag = lap.flag;
    r.pit = lap.crossing_in_pit || (lap.pit_time_ms && *lap.pit_time_ms > 0);
    if (lap.lap_time_ms <= 0) {
      r.valid = false;
      r.invalid_reason = "official lap time is zero";
    } else if (auto car_it = car_by_id.find(car); car_it != car_by_id.end()) {
      if (auto deleted = car_it->second->deleted_laps.find(lap.lap);
          deleted != car_it->second->deleted_laps.end()) {
        r.valid = false;
        r.deleted = true;
        r.invalid_reason = "deleted by the officials: " + deleted->second;
      }
    }
    out.laps.push_back(std::move(r));
  }
  std::stable_sort(out.laps.begin(), out.laps.end(), [](const LapRecord& a, const LapRecord& b) {
    return std::make_tuple(number_order(a.car_number), a.car_id, a.lap) <
           std::make_tuple(number_order(b.car_number), b.car_id, b.lap);
  });
}

// ECU laps, after the official ones. A lap of a linked car gets the flag of the official
// lap it matches: the ECU logger knows nothing of cautions, and without this an FCY lap
// looks like a slow green lap.
void add_ecu_laps(const CarIdentities& ids, SessionAnalysis& out) {
  std::map<std::pair<std::string, int>, std::string> official_flag;
  for (const auto& r : out.laps) official_flag.emplace(std::make_pair(*r.car_id, r.lap), r.flag);
  for (const auto& vehicle : out.ecu) {
    for (const auto& lap : vehicle.laps) {
      LapRecord r;
      r.source = LapSource::Ecu;
      r.driver_id = vehicle.vehicle_id;
      r.vehicle_id = vehicle.vehicle_id;
      if (auto it = ids.car_of_vehicle.find(vehicle.vehicle_id); it != ids.car_of_vehicle.end()) {
        r.car_id = it->second;
        r.car_number = ids.number_of_car.at(it->second);
        const int official_lap = lap.lap - ids.lap_offset_of_vehicle.at(vehicle.vehicle_id);
        if (auto flag = official_flag.find({it->second, official_lap}); flag != official_flag.end())
          r.flag = flag->second;
      }
      r.lap = lap.lap;
      r.lap_time_ms = lap.duration_ms;
      r.start_ms = lap.start_ms;
      r.end_ms = lap.end_ms;
      r.lap_number_inferred = lap.lap_number_inferred;
      r.valid = lap.valid;
      r.invalid_reason = lap.invalid_reason;
      out.laps.push_back(std::move(r));
    }
  }
}

// Drivers: every official car (official timing), plus ECU vehicles no car claimed, ordered
// by best lap (drivers without one last). Returns whether any lap is official.
bool add_drivers(const Session& session, const CarIdentities& ids,
                 const std::map<std::string, const OfficialCar*>& car_by_id, SessionAnalysis& out) {
  std::map<std::string, std::vector<const LapRecord*>> official_laps_of, ecu_laps_of;
  for (const auto& r : out.laps) {
    if (r.source == LapSource::Official)
      official_laps_of[*r.car_id].push_back(&r);
    else
      ecu_laps_of[*r.vehicle_id].push_back(&r);
  }
  for (const auto& link : out.links) {
    DriverSummary d;
    d.driver_id = ids.driver_id_of_car(link.car_id);
    d.car_number = link.car_number;
    d.car_id = link.car_id;
    d.vehicle_id = link.vehicle_id;
    d.source = LapSource::Official;
    summarise(d, official_laps_of[link.car_id]);
    if (auto car = car_by_id.find(link.car_id); car != car_by_id.end())
      take_official_decision(d, *car->second, session);
    set_theoretical_best(d);
    out.drivers.push_back(std::move(d));
  }
  for (const auto& vehicle : out.ecu) {
    if (ids.car_of_vehicle.contains(vehicle.vehicle_id)) continue;
    DriverSummary d;
    d.driver_id = vehicle.vehicle_id;
    d.vehicle_id = vehicle.vehicle_id;
    d.source = LapSource::Ecu;
    summarise(d, ecu_laps_of[vehicle.vehicle_id]);
    d.best_lap_basis = "the quickest valid ECU lap";
    set_theoretical_best(d);
    out.drivers.push_back(std::move(d));
  }
  for (auto& d : out.drivers) {
    const PaceLaps pace = pace_laps(out, d);
    d.pace_from_green_laps = pace.green_flag;
    set_pace(d, lap_seconds(pace.laps));
  }
  std::stable_sort(out.drivers.begin(), out.drivers.end(),
                   [](const DriverSummary& a, const DriverSummary& b) {
                     if (a.best_lap_ms.has_value() != b.best_lap_ms.has_value())
                       return a.best_lap_ms.has_value();
                     return a.best_lap_ms.value_or(0) < b.best_lap_ms.value_or(0);
                   });
  return !official_laps_of.empty();
}

// The session's best lap and best sectors come from official timing when there is any.
void set_session_best(bool has_official, SessionAnalysis& out) {
  for (const auto& d : out.drivers) {
    if (!d.best_lap_ms || (has_official && d.source != LapSource::Official)) continue;
    if (!out.best_lap || *d.best_lap_ms < out.best_lap->lap_time_ms)
      out.best_lap = BestLap{d.driver_id, d.car_number, *d.best_lap_number, *d.best_lap_ms, d.source};
    auto keep_min = [](std::optional<std::int64_t>& best, const std::optional<std::int64_t>& v) {
      if (v && (!best || *v < *best)) best = v;
    };
    keep_min(out.best_s1_ms, d.best_s1_ms);
    keep_min(out.best_s2_ms, d.best_s2_ms);
    keep_min(out.best_s3_ms, d.best_s3_ms);
  }
  if (out.best_s1_ms && out.best_s2_ms && out.best_s3_ms)
    out.theoretical_best_ms = *out.best_s1_ms + *out.best_s2_ms + *out.best_s3_ms;
}

}  // namespace

SessionAnalysis analyse_session(const Session& session) {
  SessionAnalysis out;
  const std::vector<OfficialLap> official =
      session.sections ? session.sections->laps : std::vector<OfficialLap>{};
  link_ecu_laps(session, official, out);
  out.cars = official_cars(session);
  std::map<std::string, const OfficialCar*> car_by_id;
  for (const auto& car : out.cars) car_by_id[car.car_id] = &car;
  const CarIdentities ids(out.links);
  add_official_laps(official, ids, car_by_id, out);
  add_ecu_laps(ids, out);
  if (session.overrides)
    for (auto& outcome : apply_lap_exclusions(out.laps, *session.overrides))
      out.override_outcomes.push_back(std::move(outcome));
  const bool has_official = add_drivers(session, ids, car_by_id, out);
  set_session_best(has_official, out);
  return out;
}

}  // namespace apex
