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

std::vector<EcuVehicleLaps> build_ecu_laps(const std::vector<LapEvent>& starts,
                                           const std::vector<LapEvent>& ends) {
  std::map<std::string, std::vector<Crossing>> by_vehicle;
  for (const auto& e : starts)
    by_vehicle[e.vehicle_id].push_back(Crossing{e.timestamp_ms, lap_counter_lost(e.lap) ? 0 : e.lap});
  for (const auto& e : ends)
    by_vehicle[e.vehicle_id].push_back(Crossing{e.timestamp_ms, lap_counter_lost(e.lap) ? 0 : e.lap + 1});

  std::vector<EcuVehicleLaps> vehicles;
  for (auto& [vehicle_id, crossings] : by_vehicle) {
    EcuVehicleLaps v;
    v.vehicle_id = vehicle_id;
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
  flag_impossible_laps(vehicles);
  return vehicles;
}

void flag_impossible_laps(std::vector<EcuVehicleLaps>& vehicles) {
  std::vector<double> car_medians;
  std::map<std::string, double> median_of;
  for (const auto& v : vehicles) {
    std::vector<double> durations;
    for (const auto& lap : v.laps) durations.push_back(static_cast<double>(lap.duration_ms));
    if (auto m = median(durations); m && durations.size() >= 3) {
      car_medians.push_back(*m);
      median_of[v.vehicle_id] = *m;
    }
  }
  auto field = median(car_medians);
  if (!field) return;
  for (auto& v : vehicles) {
    // A car's own typical lap is trusted only when it has enough laps; the field's otherwise.
    double typical = median_of.contains(v.vehicle_id) ? median_of[v.vehicle_id] : *field;
    double reference = std::min(typical, *field);
    double short_limit = kTooShortShare * reference;
    double long_limit = kTooLongMultiple * std::max(typical, *field);
    auto seconds = [](double ms) { return format_lap_time(static_cast<std::int64_t>(std::llround(ms))); };
    auto& laps = v.laps;
    for (std::size_t i = 0; i < laps.size(); ++i) {
      double d = static_cast<double>(laps[i].duration_ms);
      if (d < short_limit) {
        laps[i].valid = false;
        laps[i].invalid_reason = "too short: " + seconds(d) + " is under " + seconds(short_limit) +
                                 ", below the car's and the field's typical lap (" + seconds(reference) + ")";
      } else if (d > long_limit) {
        laps[i].valid = false;
        laps[i].invalid_reason = "too long: " + seconds(d) + " is over " + seconds(long_limit) +
                                 " (car stopped or crossings lost)";
      }
    }
    // A mis-timed crossing moves time from one lap to its neighbour: a long lap next
    // to a short one that together make about two laps.
    for (std::size_t i = 0; i + 1 < laps.size(); ++i) {
      double a = static_cast<double>(laps[i].duration_ms), b = static_cast<double>(laps[i + 1].duration_ms);
      bool one_short = std::min(a, b) < short_limit;
      bool sum_two_laps = std::abs((a + b) - 2 * typical) <= kMisTimedPairTolerance * 2 * typical;
      if (!one_short || !sum_two_laps) continue;
      std::string reason = "mis-timed crossing: laps " + std::to_string(laps[i].lap) + " and " +
                           std::to_string(laps[i + 1].lap) + " (" + seconds(a) + " + " + seconds(b) +
                           ") add up to about two laps";
      for (auto* lap : {&laps[i], &laps[i + 1]}) {
        lap->valid = false;
        lap->invalid_reason = reason;
      }
    }
  }
}

}  // namespace apex
