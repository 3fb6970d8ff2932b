#include "cli/demo_data_generator.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cli/demo_data/deterministic_math.h"
#include "cli/demo_data/ecu_lap_files.h"
#include "cli/demo_data/official_files.h"
#include "cli/demo_data/race_simulation.h"
#include "cli/demo_data/telemetry_file.h"
#include "cli/demo_data/track_model.h"

// What the generated tree holds (defaults: seed 2025, 8 cars, 12 laps):
//
//   sonoma-raceway/Sonoma/Race N/sonoma_lap_{start,end}_time_RN.csv, sonoma_lap_time_RN.csv
//       ECU lap events of every car, schema C.
//   sonoma-raceway/Sonoma/Race N/sonoma_telemetry_RN.csv
//       Telemetry of three cars only (roster 0-2: #7, #13, #33), two laps each (race 1 laps
//       3-4, race 2 laps 6-7), frames at 2 Hz with GPS, rpm and lap distance at 1 Hz, so the
//       whole tree stays near 5 MB (it is committed to git).
//   23_, 03_, 05_, 99_ official files per race; 26_ weather for race 1 only.
//
// The injected quirks and where they are (L = laps_per_race, roster indices in kRoster):
//   - vehicle ids: #7 is GR86-031-45 and #55 is GR86-016-9 (stale numbers), #33 is GR86-044-000.
//   - #13's ECU clock runs two days ahead of meta_time, in lap files and telemetry.
//   - race 1: full-course yellow on laps 5-6 (FLAG_AT_FL=FCY, the field bunches up on lap 6);
//     #72 pits: in-lap 8 crosses the line in the pit lane, out-lap 9 carries PIT_TIME.
//   - race 1: #46's crossing at the end of lap L-2 is logged 30 s late, so its ECU lap L-2 is
//     30 s too long and lap L-1 30 s too short.
//   - race 2: the last car of the roster retires after L-4 laps (STATUS DNF).
//   - lap 32768: race 1 #98 end/lap_time of lap 3, #55 start of lap 7; race 2 #72 end/lap_time
//     of lap 6, #46 start of lap 9. Lap 0: race 1 #33 start of lap 2.
//   - about 7% of crossings repeat 2-3 times within 50 ms; lap files are in ingestion order
//     with local shuffles; ~16% of telemetry rows are exact duplicates, batches in reverse.
//
// As in the real exports, a crossing writes end(N) and, ~1 ms later, start(N+1); the green flag
// writes no start(1), and official lap 1 runs from the green flag (it includes the grid gap),
// so only ECU laps from 2 on compare with official laps. Telemetry uses LF and ends in one.
//
// The parts live in cli/demo_data/ (namespace apex::demo_data): deterministic_math, text_format,
// track_model, race_simulation, official_files, ecu_lap_files and telemetry_file.

namespace apex {
namespace demo_data {
namespace {

Status validate(const DemoDataOptions& o) {
  if (o.cars < 8 || o.cars > kRosterSize)
    return make_error(ErrorKind::InvalidInput, "demo-data: cars must be between 8 and " +
                                                   std::to_string(kRosterSize) + ", got " +
                                                   std::to_string(o.cars));
  if (o.laps_per_race < 10 || o.laps_per_race > 40)
    return make_error(ErrorKind::InvalidInput, "demo-data: laps per race must be between 10 and 40, got " +
                                                   std::to_string(o.laps_per_race));
  return {};
}

Status write(ObjectStore& out, const std::string& key, const std::string& bytes) {
  auto status = out.write_all(key, bytes);
  if (!status)
    return make_error(status.error().kind,
                      "demo-data: writing " + key + " failed: " + status.error().message);
  return {};
}

}  // namespace
}  // namespace demo_data

Status generate_demo_data(ObjectStore& out, const DemoDataOptions& options) {
  using namespace demo_data;  // the generator's parts, in cli/demo_data/
  if (auto ok = validate(options); !ok) return ok;
  Context ctx{options, TrackModel{}, {}, {}, {}};
  const auto& m = kMarksM;
  const std::array<double, 6> t = {ctx.track.time_at(m[0]), ctx.track.time_at(m[1]), ctx.track.time_at(m[2]),
                                   ctx.track.time_at(m[3]), ctx.track.time_at(m[4]), ctx.track.lap_s()};
  ctx.base_sector_s = {t[1], t[3] - t[1], t[5] - t[3]};
  ctx.split_fraction = {t[0] / t[1], (t[2] - t[1]) / (t[3] - t[1]), (t[4] - t[3]) / (t[5] - t[3])};

  Rng field(stream_seed(options.seed, 1));
  for (int c = 0; c < options.cars; ++c)
    ctx.target_ms.push_back(108'300.0 + 1'000.0 * std::abs(field.normal()));

  for (int number = 1; number <= 2; ++number) {
    const Race race = simulate_race(ctx, number);
    Rng rng(stream_seed(options.seed, 200 + static_cast<std::uint64_t>(number)));
    const std::string n = std::to_string(number);
    const std::string dir = std::string(kDemoTrackId) + "/Sonoma/Race " + n + "/";
    EcuLaps ecu;
    const auto events = ecu_events(race, rng, ecu);
    std::vector<std::pair<std::string, std::string>> files;
    files.emplace_back("sonoma_lap_start_time_R" + n + ".csv",
                       lap_events_file(race, events, EventKind::Start, rng));
    files.emplace_back("sonoma_lap_end_time_R" + n + ".csv",
                       lap_events_file(race, events, EventKind::End, rng));
    files.emplace_back("sonoma_lap_time_R" + n + ".csv",
                       lap_events_file(race, events, EventKind::LapTime, rng));
    if (options.telemetry)
      files.emplace_back("sonoma_telemetry_R" + n + ".csv", telemetry_file(ctx, race, ecu, rng));
    files.emplace_back("23_AnalysisEnduranceWithSections_Race " + n + "_Anonymized.CSV", sections_file(race));
    files.emplace_back("03_Results GR Cup Race " + n + " Official_Anonymized.CSV", results_file(race));
    files.emplace_back("05_Results by Class GR Cup Race " + n + " Official_Anonymized.CSV",
                       results_by_class_file(race));
    files.emplace_back("99_Best 10 Laps By Driver_Race " + n + "_Anonymized.CSV", best_laps_file(race));
    if (number == 1) files.emplace_back("26_Weather_Race " + n + "_Anonymized.CSV", weather_file(race, rng));
    for (const auto& [name, bytes] : files)
      if (auto ok = write(out, dir + name, bytes); !ok) return ok;
  }
  return {};
}

}  // namespace apex
