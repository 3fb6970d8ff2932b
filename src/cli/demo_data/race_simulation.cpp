// Race simulation of the demo data: grid, lap and sector times of every car, the full-course
// yellow, the pit stop and the retirement (see race_simulation.h).
#include "cli/demo_data/race_simulation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cli/demo_data/deterministic_math.h"

namespace apex::demo_data {
namespace {

std::array<Ms, 3> distribute(Ms total, const std::array<double, 3>& weights) {
  const double sum = weights[0] + weights[1] + weights[2];
  std::array<Ms, 3> out{};
  out[0] = std::llround(static_cast<double>(total) * weights[0] / sum);
  out[1] = std::llround(static_cast<double>(total) * weights[1] / sum);
  out[2] = total - out[0] - out[1];
  return out;
}

void set_splits(const Context& ctx, Rng& rng, LapRow& row) {
  for (std::size_t i = 0; i < 3; ++i) {
    const double f = ctx.split_fraction[i] * (1.0 + 0.004 * rng.normal());
    row.split_a[i] =
        std::clamp<Ms>(std::llround(static_cast<double>(row.sector[i]) * f), 1, row.sector[i] - 1);
  }
}

}  // namespace

Race simulate_race(const Context& ctx, int number) {
  const DemoDataOptions& opt = ctx.options;
  Rng rng(stream_seed(opt.seed, 100 + static_cast<std::uint64_t>(number)));
  Race race;
  race.number = number;
  race.session = "R" + std::to_string(number);
  race.laps = opt.laps_per_race;
  race.green_ms = number == 1 ? epoch_ms(2025, 7, 19, 18, 5, 0) + rng.range(0, 59'999)
                              : epoch_ms(2025, 7, 20, 16, 40, 0) + rng.range(0, 59'999);
  const double base_lap_ms = ctx.track.lap_s() * 1000.0;

  for (int c = 0; c < opt.cars; ++c) {
    CarRace car;
    car.roster = c;
    car.form_ms = ctx.target_ms[static_cast<std::size_t>(c)] * (1.0 + 0.0025 * rng.normal());
    car.degradation = rng.uniform(0.00012, 0.00045);
    car.ecu_offset_ms = rng.range(-400, 400) + (c == kSkewedClockCar ? 2 * kDayMs : 0);
    race.cars.push_back(car);
  }
  // Grid: by form with some qualifying luck; a rolling start crosses the line in file.
  std::vector<std::pair<double, int>> grid;
  for (int c = 0; c < opt.cars; ++c)
    grid.emplace_back(race.cars[static_cast<std::size_t>(c)].form_ms + 350.0 * rng.normal(), c);
  std::sort(grid.begin(), grid.end());
  for (std::size_t pos = 0; pos < grid.size(); ++pos)
    race.cars[static_cast<std::size_t>(grid[pos].second)].grid_gap_ms =
        static_cast<Ms>(pos) * 430 + (pos == 0 ? 0 : rng.range(0, 120));

  const int dnf_car = number == 2 ? opt.cars - 1 : -1;
  const int dnf_laps = opt.laps_per_race - 4;
  const bool fcy = number == 1;
  Ms pending_pit_extra = 0;

  for (int lap = 1; lap <= race.laps; ++lap) {
    std::vector<int> active;
    for (int c = 0; c < opt.cars; ++c)
      if (!(c == dnf_car && lap > dnf_laps)) active.push_back(c);

    for (int c : active) {
      CarRace& car = race.cars[static_cast<std::size_t>(c)];
      LapRow row;
      row.lap = lap;
      std::array<double, 3> factor = {1.0, 1.0, 1.0};
      if (fcy && lap == kFcyFirstLap) factor = {1.0, 1.2, 1.42};  // yellow comes out in S2
      if (fcy && lap == kFcyFirstLap + 2) factor[0] = 1.07;       // restart from pace speed
      double lap_factor = 1.0 + 0.0016 * rng.normal() + car.degradation * (lap - 1);
      if (lap == 1) lap_factor *= 1.035;
      const double pace = car.form_ms / base_lap_ms;
      for (std::size_t i = 0; i < 3; ++i) {
        row.sector[i] = std::llround(ctx.base_sector_s[i] * 1000.0 * pace * lap_factor * factor[i] *
                                     (1.0 + 0.0035 * rng.normal()));
      }
      if (lap == 1) row.sector[0] += car.grid_gap_ms;
      set_splits(ctx, rng, row);
      if (fcy && c == kPitCar && lap == kPitInLap) {
        pending_pit_extra = 17'800 + rng.range(0, 900);
        row.sector[2] += pending_pit_extra;  // the pit lane bypasses the last corner
        row.in_pit = true;
      }
      if (fcy && c == kPitCar && lap == kPitInLap + 1) {
        const Ms extra = 9'200 + rng.range(0, 700);
        row.sector[0] += extra;
        row.split_a[0] += extra;
        row.pit_time_ms = pending_pit_extra + extra + 7'400 + rng.range(0, 300);
      }
      double top = ctx.track.top_speed_kmh() / pace * (1.0 + 0.004 * rng.normal());
      if (fcy && lap == kFcyFirstLap) top *= 0.96;
      if (fcy && lap == kFcyFirstLap + 1) top *= 0.78;
      row.top_speed_tenths = std::llround(top * 10.0);
      if (fcy && (lap == kFcyFirstLap || lap == kFcyFirstLap + 1)) row.flag = "FCY";
      if (lap == race.laps) row.flag = "FF";
      row.lap_ms = row.sector[0] + row.sector[1] + row.sector[2];
      row.elapsed_ms = (car.laps.empty() ? 0 : car.laps.back().elapsed_ms) + row.lap_ms;
      car.laps.push_back(row);
    }

    // Second lap under yellow: the field closes up behind the leader, no passing.
    if (fcy && lap == kFcyFirstLap + 1) {
      std::vector<int> order = active;
      std::sort(order.begin(), order.end(), [&](int a, int b) {
        return race.cars[static_cast<std::size_t>(a)].laps[static_cast<std::size_t>(lap - 2)].elapsed_ms <
               race.cars[static_cast<std::size_t>(b)].laps[static_cast<std::size_t>(lap - 2)].elapsed_ms;
      });
      Ms previous_cross = 0;
      for (std::size_t k = 0; k < order.size(); ++k) {
        CarRace& car = race.cars[static_cast<std::size_t>(order[k])];
        LapRow& row = car.laps.back();
        const Ms before = car.laps[car.laps.size() - 2].elapsed_ms;
        const double green = car.form_ms;
        Ms cross = before + std::llround(green * (k == 0 ? 1.36 : 1.17));
        if (k > 0) cross = std::max(cross, previous_cross + rng.range(700, 1400));
        row.lap_ms = cross - before;
        row.sector = distribute(row.lap_ms, ctx.base_sector_s);
        set_splits(ctx, rng, row);
        row.elapsed_ms = cross;
        previous_cross = cross;
      }
    }
  }
  if (dnf_car >= 0) race.cars[static_cast<std::size_t>(dnf_car)].retired = true;
  return race;
}

}  // namespace apex::demo_data
