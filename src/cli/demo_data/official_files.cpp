// Official timing files of the demo data: sections, results, results by class, best laps and
// weather (see official_files.h).
#include "cli/demo_data/official_files.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "cli/demo_data/text_format.h"
#include "cli/demo_data/track_model.h"

namespace apex::demo_data {
namespace {

std::string official_file(const std::vector<std::string>& lines) {
  std::string out = "\xEF\xBB\xBF";
  for (const std::string& line : lines) {
    out += line;
    out += ";\r\n";
  }
  return out;
}

std::string join(const std::vector<std::string>& fields, char sep) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += sep;
    out += fields[i];
  }
  return out;
}

Ms kph_tenths(Ms lap_ms) {
  const Ms numerator = static_cast<Ms>(kTrackLengthM * 36'000.0);  // m * 3.6 * 10 * 1000
  return (numerator + lap_ms / 2) / lap_ms;
}

// Cars in the order of the sections file: by car number as text, as the real export sorts.
std::vector<const CarRace*> by_number_text(const Race& race) {
  std::vector<const CarRace*> cars;
  for (const CarRace& c : race.cars) cars.push_back(&c);
  std::sort(cars.begin(), cars.end(), [](const CarRace* a, const CarRace* b) {
    return std::to_string(a->entry().number) < std::to_string(b->entry().number);
  });
  return cars;
}

// Index of the first minimum.
template <typename F>
std::size_t argmin(const std::vector<LapRow>& laps, F value) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < laps.size(); ++i)
    if (value(laps[i]) < value(laps[best])) best = i;
  return best;
}

struct Standing {
  const CarRace* car;
  int laps;
  Ms total_ms;
  std::size_t best;  // index of the fastest lap
};

std::vector<Standing> standings(const Race& race) {
  std::vector<Standing> out;
  for (const CarRace& c : race.cars) {
    out.push_back({&c, static_cast<int>(c.laps.size()), c.laps.back().elapsed_ms,
                   argmin(c.laps, [](const LapRow& r) { return r.lap_ms; })});
  }
  std::stable_sort(out.begin(), out.end(), [](const Standing& a, const Standing& b) {
    if (a.laps != b.laps) return a.laps > b.laps;
    return a.total_ms < b.total_ms;
  });
  return out;
}

std::pair<std::string, std::string> gaps(const std::vector<Standing>& s, std::size_t i, char minute_sep,
                                         bool always_plural) {
  const auto gap = [&](const Standing& ahead) {
    if (ahead.laps != s[i].laps) return laps_down_text(ahead.laps - s[i].laps, always_plural);
    return gap_text(s[i].total_ms - ahead.total_ms, minute_sep);
  };
  return {gap(s[0]), gap(s[i - 1])};
}

}  // namespace

std::string sections_file(const Race& race) {
  // Improvement markers: 2 on a car's best lap (sector), 3 on the session's best.
  struct Marks {
    std::vector<std::array<int, 4>> per_lap;  // lap, S1, S2, S3
  };
  std::vector<Marks> marks(race.cars.size());
  std::array<std::pair<Ms, std::pair<std::size_t, std::size_t>>, 4> overall;
  overall.fill({std::numeric_limits<Ms>::max(), {0, 0}});
  for (std::size_t c = 0; c < race.cars.size(); ++c) {
    const auto& laps = race.cars[c].laps;
    marks[c].per_lap.assign(laps.size(), {0, 0, 0, 0});
    for (std::size_t m = 0; m < 4; ++m) {
      auto value = [m](const LapRow& r) { return m == 0 ? r.lap_ms : r.sector[m - 1]; };
      const std::size_t best = argmin(laps, value);
      marks[c].per_lap[best][m] = 2;
      if (value(laps[best]) < overall[m].first) overall[m] = {value(laps[best]), {c, best}};
    }
  }
  for (std::size_t m = 0; m < 4; ++m) marks[overall[m].second.first].per_lap[overall[m].second.second][m] = 3;

  std::vector<std::string> lines = {
      "NUMBER; DRIVER_NUMBER; LAP_NUMBER; LAP_TIME; LAP_IMPROVEMENT; CROSSING_FINISH_LINE_IN_PIT; S1; "
      "S1_IMPROVEMENT; S2; S2_IMPROVEMENT; S3; S3_IMPROVEMENT; KPH; ELAPSED; "
      "HOUR;S1_LARGE;S2_LARGE;S3_LARGE;TOP_SPEED;PIT_TIME;CLASS;GROUP;MANUFACTURER;FLAG_AT_FL;S1_SECONDS;S2_"
      "SECONDS;S3_SECONDS;IM1a_time;IM1a_elapsed;IM1_time;IM1_elapsed;IM2a_time;IM2a_elapsed;IM2_time;IM2_"
      "elapsed;IM3a_time;IM3a_elapsed;FL_time;FL_elapsed"};
  for (const CarRace* car : by_number_text(race)) {
    const std::size_t c = static_cast<std::size_t>(car - race.cars.data());
    for (std::size_t i = 0; i < car->laps.size(); ++i) {
      const LapRow& r = car->laps[i];
      const auto& mk = marks[c].per_lap[i];
      const Ms s1 = r.sector[0], s2 = r.sector[1], s3 = r.sector[2];
      const Ms im1a = r.split_a[0], im2a = r.split_a[1], im3a = r.split_a[2];
      std::vector<std::string> f = {
          int_text(car->entry().number),
          "1",
          int_text(r.lap),
          clock_text(r.lap_ms),
          int_text(mk[0]),
          r.in_pit ? "B" : "",
          trimmed_or_clock(s1),
          int_text(mk[1]),
          fixed_or_clock(s2),
          int_text(mk[2]),
          fixed_or_clock(s3),
          int_text(mk[3]),
          tenths_text(kph_tenths(r.lap_ms)),
          clock_text(r.elapsed_ms),
          time_of_day(race.green_ms + r.elapsed_ms + kLocalOffsetMs),
          clock_text(s1),
          clock_text(s2),
          clock_text(s3),
          tenths_text(r.top_speed_tenths),
          r.pit_time_ms > 0 ? hms_text(r.pit_time_ms) : "",
          "Am",
          "",
          "Toyota Gazoo Racing",
          r.flag,
          seconds_trimmed(s1),
          seconds_trimmed(s2),
          seconds_trimmed(s3),
          trimmed_or_clock(im1a),
          trimmed_or_clock(im1a),
          trimmed_or_clock(s1 - im1a),
          trimmed_or_clock(s1),
          trimmed_or_clock(im2a),
          trimmed_or_clock(s1 + im2a),
          trimmed_or_clock(s2 - im2a),
          trimmed_or_clock(s1 + s2),
          trimmed_or_clock(im3a),
          trimmed_or_clock(s1 + s2 + im3a),
          fixed_or_clock(s3 - im3a),
          clock_text(r.lap_ms),
      };
      lines.push_back(join(f, ';'));
    }
  }
  return official_file(lines);
}

std::string results_file(const Race& race) {
  std::vector<std::string> lines = {
      "POSITION;NUMBER;STATUS;LAPS;TOTAL_TIME;GAP_FIRST;GAP_PREVIOUS;FL_LAPNUM;FL_TIME;FL_KPH;CLASS;GROUP;"
      "DIVISION;VEHICLE;TIRES;ECM Participant Id;ECM Team Id;ECM Category Id;ECM Car Id;ECM Brand Id;ECM "
      "Country Id;*Extra 7;*Extra 8;*Extra 9;Sort Key;DRIVER_*Extra 3;DRIVER_*Extra 4;DRIVER_*Extra 5"};
  const auto s = standings(race);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const LapRow& best = s[i].car->laps[s[i].best];
    auto [first, previous] = i == 0 ? std::pair<std::string, std::string>{"-", "-"} : gaps(s, i, ':', false);
    std::vector<std::string> f = {int_text(static_cast<std::int64_t>(i + 1)),
                                  int_text(s[i].car->entry().number),
                                  s[i].car->retired ? "DNF" : "Classified",
                                  int_text(s[i].laps),
                                  clock_text(s[i].total_ms),
                                  first,
                                  previous,
                                  int_text(best.lap),
                                  clock_text(best.lap_ms),
                                  tenths_text(kph_tenths(best.lap_ms)),
                                  "Am",
                                  "",
                                  "GR Cup",
                                  "Toyota GR86"};
    f.resize(28);
    lines.push_back(join(f, ';'));
  }
  return official_file(lines);
}

std::string results_by_class_file(const Race& race) {
  std::vector<std::string> lines = {
      "CLASS_TYPE;POS;PIC;NUMBER;VEHICLE;LAPS;ELAPSED;GAP_FIRST;GAP_PREVIOUS;BEST_LAP_NUM;BEST_LAP_TIME;BEST_"
      "LAP_"
      "KPH"};
  const auto s = standings(race);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const LapRow& best = s[i].car->laps[s[i].best];
    auto [first, previous] = i == 0 ? std::pair<std::string, std::string>{"", ""} : gaps(s, i, '\'', true);
    const std::string pos = int_text(static_cast<std::int64_t>(i + 1));
    lines.push_back(join({"Am", pos, pos, int_text(s[i].car->entry().number), "Toyota GR86",
                          int_text(s[i].laps), clock_text(s[i].total_ms), first, previous, int_text(best.lap),
                          clock_text(best.lap_ms), tenths_text(kph_tenths(best.lap_ms))},
                         ';'));
  }
  return official_file(lines);
}

std::string best_laps_file(const Race& race) {
  std::string header = "NUMBER;VEHICLE;CLASS;TOTAL_DRIVER_LAPS";
  for (int i = 1; i <= 10; ++i)
    header += ";BESTLAP_" + std::to_string(i) + ";BESTLAP_" + std::to_string(i) + "_LAPNUM";
  header += ";AVERAGE";
  std::vector<std::string> lines = {header};
  std::vector<const CarRace*> cars;
  for (const CarRace& c : race.cars) cars.push_back(&c);
  std::sort(cars.begin(), cars.end(),
            [](const CarRace* a, const CarRace* b) { return a->entry().number < b->entry().number; });
  for (const CarRace* car : cars) {
    std::vector<const LapRow*> laps;
    for (const LapRow& r : car->laps) laps.push_back(&r);
    std::stable_sort(laps.begin(), laps.end(),
                     [](const LapRow* a, const LapRow* b) { return a->lap_ms < b->lap_ms; });
    const std::size_t n = std::min<std::size_t>(10, laps.size());
    std::vector<std::string> f = {int_text(car->entry().number), "Toyota GR86", "Am",
                                  int_text(static_cast<std::int64_t>(car->laps.size()))};
    Ms sum = 0;
    for (std::size_t i = 0; i < 10; ++i) {
      if (i < n) {
        f.push_back(clock_text(laps[i]->lap_ms));
        f.push_back(int_text(laps[i]->lap));
        sum += laps[i]->lap_ms;
      } else {
        f.push_back("");
        f.push_back("");
      }
    }
    const Ms count = static_cast<Ms>(n);
    f.push_back(clock_text((sum + count / 2) / count));
    lines.push_back(join(f, ';'));
  }
  return official_file(lines);
}

std::string weather_file(const Race& race, Rng& rng) {
  std::vector<std::string> lines = {
      "TIME_UTC_SECONDS;TIME_UTC_STR;AIR_TEMP;TRACK_TEMP;HUMIDITY;PRESSURE;WIND_SPEED;WIND_DIRECTION;RAIN"};
  Ms last = 0;
  for (const CarRace& c : race.cars) last = std::max(last, c.laps.back().elapsed_ms);
  std::int64_t t = (race.green_ms - 125'000) / 1000;
  const std::int64_t end = (race.green_ms + last + 150'000) / 1000;
  double air = 24.2 + 0.6 * rng.uniform(), track = 36.5 + 1.5 * rng.uniform();
  double humidity = 47.0 + 4.0 * rng.uniform(), pressure = 1012.3 + 0.6 * rng.uniform();
  double wind_dir = 235.0 + 20.0 * rng.uniform();
  for (; t <= end; t += 62 + rng.range(0, 1)) {
    air += 0.015 + 0.05 * rng.normal();
    track += 0.03 + 0.08 * rng.normal();
    humidity += -0.04 + 0.25 * rng.normal();
    pressure += 0.04 * rng.normal();
    wind_dir += 12.0 * rng.normal();
    const std::int64_t wind_tenth_ms = rng.range(8, 52);  // 0.1 m/s steps, written in km/h
    const std::int64_t direction = ((std::llround(wind_dir) % 360) + 360) % 360;
    lines.push_back(
        join({int_text(t), us_datetime(t), py_float(round_to(air, 100)), py_float(round_to(track, 100)),
              py_float(round_to(humidity, 100)), py_float(round_to(pressure, 10)),
              py_float(static_cast<double>(wind_tenth_ms * 36) / 100.0), int_text(direction), "0"},
             ';'));
  }
  return official_file(lines);
}

}  // namespace apex::demo_data
