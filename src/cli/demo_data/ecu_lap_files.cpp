// ECU lap events of the demo data, schema C: crossings with the ECU clock, repeats and
// lap-number quirks, and the three lap files (see ecu_lap_files.h).
#include "cli/demo_data/ecu_lap_files.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/demo_data/text_format.h"

namespace apex::demo_data {
namespace {

std::optional<int> lap_override(int race, int car, int lap, bool start_row) {
  for (const LapOverride& o : kLapOverrides)
    if (o.race == race && o.car == car && o.lap == lap && o.start_row == start_row) return o.value;
  return std::nullopt;
}

}  // namespace

std::vector<EcuEvent> ecu_events(const Race& race, Rng& rng, EcuLaps& laps_out) {
  std::vector<EcuEvent> events;
  laps_out.start.assign(race.cars.size(), {});
  laps_out.end.assign(race.cars.size(), {});
  std::size_t seq = 0;
  for (std::size_t c = 0; c < race.cars.size(); ++c) {
    const CarRace& car = race.cars[c];
    const int ci = static_cast<int>(c);
    Ms lap_start = race.green_ms + car.grid_gap_ms + car.ecu_offset_ms + rng.range(-8, 8);
    for (const LapRow& r : car.laps) {
      const Ms true_cross = race.green_ms + r.elapsed_ms;
      Ms ecu = true_cross + car.ecu_offset_ms + rng.range(-8, 8);
      const bool mis_timed = race.number == 1 && ci == kMisTimedCar && r.lap == race.laps - 2;
      if (mis_timed) ecu += kMisTimedErrorMs;
      laps_out.start[c].push_back(lap_start);
      laps_out.end[c].push_back(ecu);

      int repeats = 1;
      const int end_lap = lap_override(race.number, ci, r.lap, false).value_or(r.lap);
      const int start_lap = lap_override(race.number, ci, r.lap + 1, true).value_or(r.lap + 1);
      // Repeats stay off the crossings that carry another quirk, so each quirk occurs once.
      const bool plain = !mis_timed && end_lap == r.lap && start_lap == r.lap + 1;
      if (plain && rng.chance(0.07)) repeats = rng.chance(0.35) ? 3 : 2;
      const double u = rng.uniform();
      const Ms latency = 100 + (u < 0.85   ? rng.range(0, 2'900)
                                : u < 0.98 ? rng.range(3'000, 20'000)
                                           : rng.range(20'000, 80'900));
      const Ms start_delay = rng.chance(0.85) ? 1 : 0;
      Ms delta = 0;
      for (int k = 0; k < repeats; ++k) {
        if (k > 0) delta += rng.range(8, 22);
        const Ms meta = true_cross + latency + delta + rng.range(0, 3);
        const Ms at = ecu + delta;
        events.push_back({EventKind::End, ci, end_lap, at, meta, 0, seq++});
        events.push_back({EventKind::LapTime, ci, end_lap, at, meta, at - lap_start, seq++});
        events.push_back({EventKind::Start, ci, start_lap, at + start_delay, meta + 1, 0, seq++});
      }
      lap_start = ecu + start_delay;
    }
  }
  return events;
}

std::string lap_events_file(const Race& race, const std::vector<EcuEvent>& all, EventKind kind, Rng& rng) {
  std::vector<const EcuEvent*> rows;
  for (const EcuEvent& e : all)
    if (e.kind == kind) rows.push_back(&e);
  // Ingestion order, then a few rows moved a little: the real files are not sorted.
  std::sort(rows.begin(), rows.end(), [](const EcuEvent* a, const EcuEvent* b) {
    return a->meta_time != b->meta_time ? a->meta_time < b->meta_time : a->seq < b->seq;
  });
  for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
    if (rng.chance(0.08)) {
      const std::size_t j = std::min(rows.size() - 1, i + static_cast<std::size_t>(rng.range(1, 40)));
      std::swap(rows[i], rows[j]);
    }
  }
  std::string out =
      "\"vehicle_id\",\"lap\",\"timestamp\",\"meta_time\",\"value\",\"meta_session\",\"meta_event\","
      "\"meta_source\",\"outing\",\"expire_at\"";
  for (const EcuEvent* e : rows) {
    const CarRace& car = race.cars[static_cast<std::size_t>(e->car)];
    const std::string ts = iso_ms(e->timestamp);
    out += "\n\"";
    out += car.entry().vehicle_id;
    out += "\",";
    out += std::to_string(e->lap);
    out += ",\"" + ts + "\",\"" + iso_ms(e->meta_time) + "\",";
    out += kind == EventKind::LapTime ? std::to_string(e->value_ms) : "\"" + ts + "\"";
    out += ",\"" + race.session + "\",\"" + kEvent + "\",\"" + kSource + "\",0,";
    if (kind == EventKind::LapTime) out += ',';  // this file's rows end in a trailing comma
  }
  return out;  // no newline at the end of the file
}

}  // namespace apex::demo_data
