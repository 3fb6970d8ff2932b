#include "analysis/ecu_laps.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "analysis/lap_statistics.h"
#include "core/time_format.h"

namespace apex {
namespace {

// Lap counters that mean "unknown", not a lap number.
bool lap_counter_lost(int lap) {
  return lap == 32768 || lap <= 0;
}

struct Crossing {
  std::int64_t time_ms;
  int next_lap;  // the lap this crossing starts, or 0 when the counter was lost
};

struct Cluster {
  std::int64_t time_ms;
  int next_lap;
};

std::vector<Cluster> collapse_bursts(std::vector<Crossing> crossings) {
  std::sort(crossings.begin(), crossings.end(), [](auto& a, auto& b) { return a.time_ms < b.time_ms; });
  std::vector<Cluster> clusters;
  std::size_t i = 0;
  while (i < crossings.size()) {
    std::size_t j = i;
    std::map<int, int> votes;
    while (j < crossings.size() && crossings[j].time_ms - crossings[i].time_ms <= kCrossingBurstWindowMs) {
      if (crossings[j].next_lap > 0) ++votes[crossings[j].next_lap];
      ++j;
    }
    // The most voted label wins; ties go to the higher lap (the burst's last word).
    int label = 0, best_votes = 0;
    for (auto [lap, count] : votes)
      if (count >= best_votes) label = lap, best_votes = count;
    clusters.push_back(Cluster{crossings[i].time_ms, label});
    i = j;
  }
  return clusters;
}

}  // namespace

namespace {

std::int64_t lag_at(const std::vector<IngestLag>& lags, std::size_t rank) {
  std::size_t seen = 0;
  for (const IngestLag& l : lags) {
    seen += l.count;
    if (rank < seen) return l.lag_ms;
  }
  return lags.back().lag_ms;
}

}  // namespace

std::optional<ClockOffset> clock_offset_from_lags(const std::vector<IngestLag>& lags, double quantile) {
  std::size_t total = 0;
  for (const IngestLag& l : lags) total += l.count;
  if (total == 0) return std::nullopt;
  quantile = std::clamp(quantile, 0.0, 1.0);
  const auto rank = static_cast<std::size_t>(quantile * static_cast<double>(total - 1));
  ClockOffset out;
  out.offset_ms = lag_at(lags, rank);
  out.typical_lag_ms = lag_at(lags, (total - 1) / 2) - out.offset_ms;
  out.evidence = total;
  return out;
}

std::vector<EcuVehicleLaps> build_ecu_laps(const std::vector<LapEvent>& starts,
                                           const std::vector<LapEvent>& ends,
                                           const OfficialReferences& official) {
  std::map<std::string, std::vector<Crossing>> by_vehicle;
  for (const auto& e : starts)
    by_vehicle[e.vehicle_id].push_back(Crossing{e.timestamp_ms, lap_counter_lost(e.lap) ? 0 : e.lap});
  for (const auto& e : ends)
    by_vehicle[e.vehicle_id].push_back(Crossing{e.timestamp_ms, lap_counter_lost(e.lap) ? 0 : e.lap + 1});

  // meta_time - timestamp of every event that has a meta_time (0 = none), by vehicle.
  std::map<std::string, std::map<std::int64_t, std::uint32_t>> lags;
  for (const auto* events : {&starts, &ends})
    for (const auto& e : *events)
      if (e.meta_time_ms != 0) ++lags[e.vehicle_id][e.meta_time_ms - e.timestamp_ms];

  std::vector<EcuVehicleLaps> vehicles;
  for (auto& [vehicle_id, crossings] : by_vehicle) {
    EcuVehicleLaps v;
    v.vehicle_id = vehicle_id;
    if (auto it = lags.find(vehicle_id); it != lags.end()) {
      std::vector<IngestLag> sorted;
      for (const auto& [lag, count] : it->second) sorted.push_back(IngestLag{lag, count});
      v.ingest_clock = clock_offset_from_lags(sorted);
    }
    v.raw_crossings = static_cast<int>(crossings.size());
    auto clusters = collapse_bursts(std::move(crossings));
    v.crossings = static_cast<int>(clusters.size());
    // Lap numbers: the counter where it is valid and moves forward, else previous + 1.
    std::vector<int> numbers(clusters.size());
    std::vector<bool> inferred(clusters.size(), false);
    for (std::size_t i = 0; i < clusters.size(); ++i) {
      int previous = i == 0 ? 0 : numbers[i - 1];
      if (clusters[i].next_lap > previous) {
        numbers[i] = clusters[i].next_lap;
      } else {
        numbers[i] = previous + 1;
        inferred[i] = true;
      }
    }
    for (std::size_t i = 0; i + 1 < clusters.size(); ++i) {
      EcuLap lap;
      lap.lap = numbers[i];
      lap.lap_number_inferred = inferred[i];
      lap.start_ms = clusters[i].time_ms;
      lap.end_ms = clusters[i + 1].time_ms;
      lap.duration_ms = lap.end_ms - lap.start_ms;
      v.laps.push_back(lap);
    }
    vehicles.push_back(std::move(v));
  }
  flag_impossible_laps(vehicles, official);
  return vehicles;
}

namespace {

std::string seconds(double ms) {
  return format_lap_time(static_cast<std::int64_t>(std::llround(ms)));
}

// Green pace from ECU laps alone: the lap at rank kGreenPaceQuantile of the car's laps. The
// median is a caution lap in a race run mostly under caution, and the fastest lap is an
// artefact wherever a crossing was mis-timed; a low quantile stays among the green laps as
// long as at least that share of the laps is green and a smaller share are short artefacts.
std::optional<double> green_pace_estimate(const std::vector<EcuLap>& laps) {
  if (laps.size() < 3) return std::nullopt;
  std::vector<double> durations;
  for (const auto& lap : laps) durations.push_back(static_cast<double>(lap.duration_ms));
  const auto rank = static_cast<std::size_t>(kGreenPaceQuantile * static_cast<double>(durations.size()));
  std::nth_element(durations.begin(), durations.begin() + static_cast<std::ptrdiff_t>(rank), durations.end());
  return durations[rank];
}

void flag(EcuLap& lap, std::string reason) {
  lap.valid = false;
  lap.invalid_reason = std::move(reason);
}

// The median of up to two valid laps on each side of laps i and i + 1: what an ordinary lap
// took just then (a caution lap under caution).
std::optional<double> neighbours_lap(const std::vector<EcuLap>& laps, std::size_t i) {
  std::vector<double> around;
  for (std::size_t j = i >= 2 ? i - 2 : 0; j < std::min(laps.size(), i + 4); ++j)
    if ((j < i || j > i + 1) && laps[j].valid) around.push_back(static_cast<double>(laps[j].duration_ms));
  return median(around);
}

// One vehicle's laps. pace: the car's green pace; field: the field's.
void judge_vehicle(std::vector<EcuLap>& laps, const OfficialLapReference* ref, double pace, double field) {
  const double reference = std::min(pace, field);
  const double short_limit = kTooShortShare * reference;
  const double slow_reference = std::max(pace, field);
  const double long_limit = kTooLongMultiple * slow_reference;
  auto official_at = [&](int ecu_lap) -> const OfficialLapReference::Lap* {
    if (!ref) return nullptr;
    auto it = ref->by_ecu_lap.find(ecu_lap);
    return it != ref->by_ecu_lap.end() ? &it->second : nullptr;
  };
  // Official timing decides where it can: a lap that agrees with its official lap is real,
  // one far from it (and from the laps either side) is an artefact. Between the two, and
  // without an official lap, the lap is judged by pace.
  std::vector<bool> confirmed(laps.size(), false);
  for (std::size_t i = 0; i < laps.size(); ++i) {
    const double d = static_cast<double>(laps[i].duration_ms);
    bool far_from_all = true;
    for (int shift : {0, -1, 1}) {
      const auto* o = official_at(laps[i].lap + shift);
      if (!o) continue;
      const auto diff = std::llabs(laps[i].duration_ms - o->ms);
      confirmed[i] = confirmed[i] || diff <= kOfficialAgreementMs;
      far_from_all =
          far_from_all && static_cast<double>(diff) > kOfficialDisagreementShare * static_cast<double>(o->ms);
    }
    if (confirmed[i]) continue;
    if (const auto* o = official_at(laps[i].lap); o && far_from_all) {
      flag(laps[i], "disagrees with official lap " + std::to_string(o->official_lap) + ": " + seconds(d) +
                        " against " + seconds(static_cast<double>(o->ms)));
    } else if (d < short_limit) {
      flag(laps[i], "too short: " + seconds(d) + " is under " + seconds(short_limit) +
                        ", below the car's and the field's green pace (" + seconds(reference) + ")");
    } else if (d > long_limit) {
      flag(laps[i], "too long: " + seconds(d) + " is over " + seconds(long_limit) +
                        ", the limit from the green pace (" + seconds(slow_reference) +
                        "): car stopped or crossings lost");
    }
  }
  // A mis-timed crossing moves time from one lap to its neighbour: together they still make
  // the two official laps, or, without them, about two ordinary laps with one of them short.
  for (std::size_t i = 0; i + 1 < laps.size(); ++i) {
    if (confirmed[i] || confirmed[i + 1]) continue;
    const double a = static_cast<double>(laps[i].duration_ms),
                 b = static_cast<double>(laps[i + 1].duration_ms);
    const auto* oa = official_at(laps[i].lap);
    const auto* ob = official_at(laps[i + 1].lap);
    const std::string pair = "mis-timed crossing: laps " + std::to_string(laps[i].lap) + " and " +
                             std::to_string(laps[i + 1].lap) + " (" + seconds(a) + " + " + seconds(b) + ")";
    std::string reason;
    if (oa && ob) {
      const std::int64_t off_a = laps[i].duration_ms - oa->ms, off_b = laps[i + 1].duration_ms - ob->ms;
      if (std::llabs(off_a) > kMisTimedOfficialMs && std::llabs(off_b) > kMisTimedOfficialMs &&
          std::llabs(off_a + off_b) <= kOfficialAgreementMs)
        reason = pair + " add up to official laps " + std::to_string(oa->official_lap) + " and " +
                 std::to_string(ob->official_lap) + " (" + seconds(static_cast<double>(oa->ms)) + " + " +
                 seconds(static_cast<double>(ob->ms)) + ")";
    } else if (std::min(a, b) < short_limit) {
      auto two_of = [&](double lap) {
        return std::abs((a + b) - 2 * lap) <= kMisTimedPairTolerance * 2 * lap;
      };
      if (two_of(pace)) {
        reason = pair + " add up to about two laps at the green pace (" + seconds(pace) + ")";
      } else if (auto around = neighbours_lap(laps, i); around && two_of(*around)) {
        reason = pair + " add up to about two laps of their neighbours (" + seconds(*around) + ")";
      }
    }
    if (reason.empty()) continue;
    flag(laps[i], reason);
    flag(laps[i + 1], reason);
  }
}

}  // namespace

OfficialLapReference official_reference(const std::vector<OfficialLap>& official, const std::string& car_id,
                                        int lap_offset) {
  OfficialLapReference reference;
  std::vector<double> green;
  for (const auto& lap : official) {
    if (lap.lap_time_ms <= 0 || official_car_id(lap.car_number, lap.car_block) != car_id) continue;
    // A lap can appear twice in an export: the first counts.
    if (!reference.by_ecu_lap
             .emplace(lap.lap + lap_offset, OfficialLapReference::Lap{lap.lap, lap.lap_time_ms})
             .second)
      continue;
    if (lap.flag == "GF") green.push_back(static_cast<double>(lap.lap_time_ms));
  }
  if (green.size() >= static_cast<std::size_t>(kMinGreenLaps))
    reference.green_pace_ms = static_cast<std::int64_t>(std::llround(*median(green)));
  return reference;
}

void flag_impossible_laps(std::vector<EcuVehicleLaps>& vehicles, const OfficialReferences& official) {
  auto reference_of = [&](const EcuVehicleLaps& v) -> const OfficialLapReference* {
    auto it = official.find(v.vehicle_id);
    return it != official.end() ? &it->second : nullptr;
  };
  // Each car's green pace: official where the car is linked, else estimated from its laps.
  std::vector<double> paces;
  std::map<std::string, double> pace_of;
  for (const auto& v : vehicles) {
    std::optional<double> pace;
    if (const auto* ref = reference_of(v); ref && ref->green_pace_ms)
      pace = static_cast<double>(*ref->green_pace_ms);
    else
      pace = green_pace_estimate(v.laps);
    if (!pace) continue;
    paces.push_back(*pace);
    pace_of[v.vehicle_id] = *pace;
  }
  const auto field = median(paces);
  for (auto& v : vehicles) {
    for (auto& lap : v.laps) lap.valid = true, lap.invalid_reason.clear();
    if (!field) continue;
    const OfficialLapReference* ref = reference_of(v);
    judge_vehicle(v.laps, ref, pace_of.contains(v.vehicle_id) ? pace_of[v.vehicle_id] : *field, *field);
  }
}

}  // namespace apex
