#include "server/telemetry_session.h"

#include <algorithm>

namespace apex {

namespace {

// Lap-column-only laps: the share of the car's median lap a lap must be within to count.
constexpr double kShortestShare = 0.92;
constexpr double kLongestShare = 1.5;
// A lap whose samples span less than this share of it is not a whole lap of telemetry.
constexpr double kMinCoverage = 0.9;

}  // namespace

const TelemetryLap* CarTelemetry::find_lap(int lap) const {
  for (const TelemetryLap& l : laps)
    if (l.window.lap == lap) return &l;
  return nullptr;
}

std::vector<LapWindow> CarTelemetry::valid_windows() const {
  std::vector<LapWindow> out;
  for (const TelemetryLap& l : laps)
    if (l.valid) out.push_back(l.window);
  return out;
}

std::vector<TelemetryLap> telemetry_laps(const VehicleTelemetry& vehicle, const EcuVehicleLaps* crossings) {
  std::vector<TelemetryLap> out;
  std::vector<std::int64_t> durations;
  // The car's densest channel tells which laps the telemetry covers: the lap files know
  // every lap of the race, the logger may have recorded only some of them.
  const ChannelSeries* densest = nullptr;
  for (const ChannelSeries& s : vehicle.channels)
    if (!densest || s.size() > densest->size()) densest = &s;
  for (const LapWindow& w : lap_windows(vehicle, crossings)) {
    if (!densest) break;
    auto [first, last] = densest->range(w.start_ms, w.end_ms);
    if (last - first < 2) continue;
    TelemetryLap lap{w, true, {}};
    const double covered = static_cast<double>(densest->time_ms[last - 1] - densest->time_ms[first]);
    const double span = static_cast<double>(w.end_ms - w.start_ms);
    if (covered < kMinCoverage * span) {
      lap.valid = false;
      lap.invalid_reason = "the telemetry covers only part of this lap";
    }
    out.push_back(lap);
    durations.push_back(w.end_ms - w.start_ms);
  }
  if (durations.empty()) return out;
  std::nth_element(durations.begin(), durations.begin() + static_cast<std::ptrdiff_t>(durations.size() / 2),
                   durations.end());
  const double median = static_cast<double>(durations[durations.size() / 2]);
  for (TelemetryLap& l : out) {
    if (!l.valid) continue;
    if (l.window.source == LapWindowSource::Crossings && crossings) {
      for (const EcuLap& lap : crossings->laps)
        if (lap.lap == l.window.lap && lap.start_ms == l.window.start_ms) {
          l.valid = lap.valid;
          l.invalid_reason = lap.invalid_reason;
        }
      continue;
    }
    const double d = static_cast<double>(l.window.end_ms - l.window.start_ms);
    if (d < kShortestShare * median) {
      l.valid = false;
      l.invalid_reason = "shorter than 92% of the car's median lap (lap column only, no crossings)";
    } else if (d > kLongestShare * median) {
      l.valid = false;
      l.invalid_reason = "longer than 150% of the car's median lap: out-lap, in-lap or a stop";
    }
  }
  return out;
}

namespace {

// The whole file, or one vehicle's part of it when vehicle_id is given (TelemetryCache).
std::expected<std::shared_ptr<const Telemetry>, ApiError> load_for(TelemetryCache& cache,
                                                                   const LoadedSession& session,
                                                                   const std::string* vehicle_id) {
  const ObjectInfo* file = session.files.find(FileKind::Telemetry);
  if (!file)
    return std::unexpected(api_error(404, "track " + session.session.track_id + ", session " +
                                              session.files.id + " has no telemetry file"));
  auto telemetry = vehicle_id ? cache.get_vehicle(*file, *vehicle_id) : cache.get(*file);
  if (!telemetry) return std::unexpected(api_error(telemetry.error()));
  return *telemetry;
}

}  // namespace

std::expected<std::shared_ptr<const Telemetry>, ApiError> session_telemetry(TelemetryCache& cache,
                                                                            const LoadedSession& session) {
  return load_for(cache, session, nullptr);
}

std::string telemetry_vehicle_id(const DriverSummary& driver) {
  return driver.vehicle_id ? *driver.vehicle_id : driver.driver_id;
}

std::expected<CarTelemetry, ApiError> car_telemetry(TelemetryCache& cache, const LoadedSession& session,
                                                    const DriverSummary& driver) {
  const std::string id = telemetry_vehicle_id(driver);
  auto telemetry = load_for(cache, session, &id);
  if (!telemetry) return std::unexpected(telemetry.error());
  CarTelemetry out;
  out.telemetry = *telemetry;
  out.vehicle = out.telemetry->vehicle(id);
  if (!out.vehicle) {
    std::string have;
    for (const VehicleTelemetry& v : out.telemetry->vehicles)
      have += (have.empty() ? "" : ", ") + v.vehicle_id;
    // A one-car load (see TelemetryCache) knows only that this car is absent.
    const std::string which =
        out.telemetry->report.rows_of_other_vehicles > 0
            ? "vehicle " + id + " is not in the telemetry file; /vehicles lists the cars that are"
            : "cars with telemetry: " + (have.empty() ? std::string("none") : have);
    return std::unexpected(api_error(404, "no telemetry for " + driver.driver_id + " in session " +
                                              session.files.id + " (" + which + ")"));
  }
  for (const EcuVehicleLaps& v : session.analysis.ecu)
    if (v.vehicle_id == id) out.crossings = &v;
  out.laps = telemetry_laps(*out.vehicle, out.crossings);
  std::int64_t best = 0;
  for (const TelemetryLap& l : out.laps) {
    const std::int64_t d = l.window.end_ms - l.window.start_ms;
    if (l.valid && (!out.best_lap || d < best)) {
      out.best_lap = l.window.lap;
      best = d;
    }
  }
  return out;
}

}  // namespace apex
