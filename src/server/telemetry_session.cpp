#include "server/telemetry_session.h"

#include <algorithm>

namespace apex {

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
  CarLaps laps = car_laps(*out.vehicle, session);
  out.clock = laps.clock;
  out.own_crossings = std::move(laps.crossings);
  out.crossings = out.own_crossings.get();
  out.laps = std::move(laps.laps);
  out.best_lap = laps.best_lap;
  return out;
}

CarLaps car_laps(const VehicleTelemetry& vehicle, const LoadedSession& session) {
  CarLaps out;
  for (const EcuVehicleLaps& v : session.analysis.ecu)
    if (v.vehicle_id == vehicle.vehicle_id) {
      out.clock = telemetry_clock(vehicle, &v);
      out.crossings = std::make_shared<const EcuVehicleLaps>(on_telemetry_clock(v, out.clock));
    }
  out.laps = telemetry_laps(vehicle, out.crossings.get());
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
