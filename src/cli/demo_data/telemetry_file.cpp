// Telemetry of the demo data, long format (see telemetry_file.h).
#include "cli/demo_data/telemetry_file.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/demo_data/text_format.h"
#include "cli/demo_data/track_model.h"

namespace apex::demo_data {
namespace {

constexpr std::array<int, 6> kGearUpKmh = {0, 62, 88, 115, 145, 175};
constexpr std::array<double, 6> kRpmPerKmh = {117.0, 82.0, 63.0, 50.0, 41.5, 34.5};

}  // namespace

std::string telemetry_file(const Context& ctx, const Race& race, const EcuLaps& ecu, Rng& rng) {
  std::string out =
      "expire_at,lap,meta_event,meta_session,meta_source,meta_time,original_vehicle_id,outing,telemetry_name,"
      "telemetry_value,timestamp,vehicle_id,vehicle_number\n";
  const std::array<int, 2> laps = race.number == 1 ? std::array<int, 2>{3, 4} : std::array<int, 2>{6, 7};
  const double coslat = det_cos(kLat0 * kPi / 180.0);
  const std::array<double, 3> base_end = {ctx.track.time_at(kMarksM[1]), ctx.track.time_at(kMarksM[3]),
                                          ctx.track.lap_s()};

  for (int tc : kTelemetryCars) {
    const CarRace& car = race.cars[static_cast<std::size_t>(tc)];
    const std::string vid = car.entry().vehicle_id;
    const std::string tail = "," + vid + "," + std::to_string(car.entry().id_number) + "\n";
    const std::string mid = "," + vid + ",0,";
    const Ms phase = rng.range(0, kTelemetryFrameMs - 1);
    for (int lap : laps) {
      const auto li = static_cast<std::size_t>(lap - 1);
      const LapRow& row = car.laps[li];
      const Ms true_start = race.green_ms + (li == 0 ? 0 : car.laps[li - 1].elapsed_ms);
      const Ms true_end = race.green_ms + row.elapsed_ms;
      // Keep clear of the crossings so every sample lies inside its ECU lap.
      const Ms first = ecu.start[static_cast<std::size_t>(tc)][li] + 20;
      const Ms last = ecu.end[static_cast<std::size_t>(tc)][li] - 20;
      const std::string pre =
          "," + std::to_string(lap) + "," + kEvent + "," + race.session + "," + kSource + ",";

      struct Sample {
        Ms ts;
        const char* name;
        std::string value;
      };
      std::vector<Sample> batch;
      std::int64_t frame = (true_start - race.green_ms - phase) / kTelemetryFrameMs;
      auto flush = [&](Ms batch_end_true) {
        const Ms meta = batch_end_true + 60 + rng.range(0, 1'400);
        std::vector<std::string> lines;
        for (auto it = batch.rbegin(); it != batch.rend(); ++it)  // newest first, like the export
          lines.push_back(pre + iso_ms(meta) + mid + it->name + "," + it->value + "," + iso_ms(it->ts) +
                          tail);
        std::vector<std::string> copies;
        for (const std::string& l : lines)
          if (rng.chance(0.19)) copies.push_back(l);
        for (const std::string& copy : copies) {
          const auto pos = static_cast<std::ptrdiff_t>(rng.range(0, static_cast<std::int64_t>(lines.size())));
          lines.insert(lines.begin() + pos, copy);
        }
        for (const std::string& l : lines) out += l;
        batch.clear();
      };

      Ms batch_end = 0;
      for (;; ++frame) {
        const Ms t_true = race.green_ms + phase + frame * kTelemetryFrameMs;
        if (t_true < true_start) continue;
        if (t_true >= true_end) break;
        const Ms ts = t_true + car.ecu_offset_ms + rng.range(0, 2);
        if (ts < first || ts > last) continue;
        // Map time in the lap onto the reference lap sector by sector, so the trace agrees with
        // the official sector times; speeds scale with the ratio of the sector times.
        const Ms tau = t_true - true_start;
        Ms sector_start = 0;
        std::size_t s = 0;
        while (s < 2 && tau >= sector_start + row.sector[s]) sector_start += row.sector[s++];
        const double base_from = s == 0 ? 0.0 : base_end[s - 1];
        const double base_len = base_end[s] - base_from;
        const double actual_len = static_cast<double>(row.sector[s]) / 1000.0;
        const double k = base_len / actual_len;
        const double tb = base_from + static_cast<double>(tau - sector_start) / 1000.0 * k;
        const BaseSample b = ctx.track.at_time(tb);

        const double kmh = std::max(0.0, b.speed * 3.6 * k + (rng.uniform() - 0.5) * 0.6);
        std::size_t gear = 0;
        for (std::size_t g = 0; g < kGearUpKmh.size(); ++g)
          if (kmh >= kGearUpKmh[g]) gear = g;
        const double rpm = std::clamp(kmh * kRpmPerKmh[gear], 2400.0, 7400.0) + (rng.uniform() - 0.5) * 60.0;
        const double ax = b.accx_g * k * k;
        double throttle = 100.0, brake = 0.0;
        if (ax < -0.08) {
          throttle = 0.0;
          brake = std::min(105.0, -ax / 1.12 * 95.0);
        } else if (b.limit < kTopSpeed && b.speed >= b.limit * 0.985 && ax < 0.05) {
          throttle = 35.0 + 40.0 * std::min(1.0, b.speed / kTopSpeed) + (rng.uniform() - 0.5) * 4.0;
        }
        const double ay = b.speed * b.speed * k * k * b.curvature / kG;
        const double steer = small_atan(2.575 * b.curvature) * 180.0 / kPi * 13.5;
        const double lat = kLat0 + b.y / 111'000.0;
        const double lon = kLon0 + b.x / (111'000.0 * coslat);
        // Values as the export writes them: scaled integers (0.34600000000000003), floats
        // from the GPS (38.16123962402344), plain integers (3715).
        auto scaled = [](double v, double step) {
          return shortest(static_cast<double>(std::llround(v / step)) * step);
        };
        const bool slow_frame = frame % 2 == 0;
        batch.push_back({ts, "accx_can", scaled(ax + (rng.uniform() - 0.5) * 0.06, 0.001)});
        batch.push_back({ts, "accy_can", scaled(ay + (rng.uniform() - 0.5) * 0.06, 0.001)});
        batch.push_back({ts, "aps", scaled(throttle, 0.1)});
        batch.push_back({ts, "pbrake_r", scaled(brake > 0 ? brake * 0.58 + rng.uniform() : 0.0, 0.01)});
        batch.push_back({ts, "pbrake_f", scaled(brake > 0 ? brake + 1.5 * rng.uniform() : 0.0, 0.01)});
        batch.push_back({ts, "gear", std::to_string(gear + 1)});
        if (slow_frame) {
          batch.push_back({ts, "VBOX_Long_Minutes", shortest(static_cast<double>(static_cast<float>(lon)))});
          batch.push_back({ts, "VBOX_Lat_Min", shortest(static_cast<double>(static_cast<float>(lat)))});
        }
        batch.push_back({ts, "Steering_Angle", scaled(steer + (rng.uniform() - 0.5) * 3.0, 0.1)});
        if (slow_frame) {
          batch.push_back(
              {ts, "Laptrigger_lapdist_dls", std::to_string(static_cast<std::int64_t>(b.distance))});
          batch.push_back({ts, "nmot", std::to_string(std::llround(rpm))});
        }
        batch.push_back({ts, "speed", scaled(kmh, 0.01)});
        batch.push_back(
            {ts, "ath", scaled(throttle > 0 ? std::min(100.0, throttle * 0.99 + 0.8) : 0.0, 0.01)});
        batch_end = t_true;
        if (frame % 4 == 3) flush(batch_end);
      }
      if (!batch.empty()) flush(batch_end);
    }
  }
  return out;
}

}  // namespace apex::demo_data
