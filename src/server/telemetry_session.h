// One car's telemetry as the telemetry routes use it: the parsed file (from the
// TelemetryCache), the car's series, its lap crossings from the timing session, and its
// laps with which of them count (valid) and which is the best.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/session_analysis.h"
#include "analysis/telemetry_laps.h"
#include "server/route_table.h"
#include "server/telemetry_cache.h"

namespace apex {

// One car's laps in its telemetry: its lap files' crossings moved onto the telemetry's
// clock (see analysis/telemetry_laps.h), and the laps cut with them.
struct CarLaps {
  TelemetryClock clock;
  std::shared_ptr<const EcuVehicleLaps> crossings;  // null when the car is not in the lap files
  std::vector<TelemetryLap> laps;                   // by start time
  std::optional<int> best_lap;                      // the shortest valid lap
};
CarLaps car_laps(const VehicleTelemetry& vehicle, const LoadedSession& session);

struct CarTelemetry {
  std::shared_ptr<const Telemetry> telemetry;
  const VehicleTelemetry* vehicle = nullptr;
  TelemetryClock clock;
  std::shared_ptr<const EcuVehicleLaps> own_crossings;  // on the telemetry's clock
  const EcuVehicleLaps* crossings = nullptr;            // own_crossings.get()
  std::vector<TelemetryLap> laps;                       // by start time
  std::optional<int> best_lap;                          // the shortest valid lap

  const TelemetryLap* find_lap(int lap) const;
  std::vector<LapWindow> valid_windows() const;
};

// The session's telemetry file, loaded through the cache: 404 when the session has none.
std::expected<std::shared_ptr<const Telemetry>, ApiError> session_telemetry(TelemetryCache& cache,
                                                                            const LoadedSession& session);

// The vehicle id a driver's telemetry is filed under.
std::string telemetry_vehicle_id(const DriverSummary& driver);

// One car's telemetry: 404 naming the car and the cars that have telemetry when it has none.
std::expected<CarTelemetry, ApiError> car_telemetry(TelemetryCache& cache, const LoadedSession& session,
                                                    const DriverSummary& driver);

}  // namespace apex
