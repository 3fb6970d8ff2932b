// What the telemetry routes share: how a handler gets the car's telemetry, the lookups
// of a lap in it, the query parameters several routes take, and the schemas of the
// pieces several answers hold. The routes themselves are in telemetry_*_routes.cpp, one
// function per route returning its Route (schema, prose and handler together).
//
// Telemetry is loaded only when one of these routes asks for it (TelemetryCache), and
// every answer is kept in the timing session's memo, so a repeated request is a lookup.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_routes.h"
#include "server/telemetry_session.h"

namespace apex {

// A driver route's handler that has the car's telemetry.
using CarHandler = std::function<RouteResult(const RouteRequest&, const LoadedSession&, const DriverSummary&,
                                             const CarTelemetry&)>;

struct TelemetryRoutes {
  ApiContext* api = nullptr;
  std::shared_ptr<TelemetryCache> cache;

  // An APEX telemetry route: 404 when the car has no telemetry, and an unknown driver's
  // 404 points to /vehicles, the cars these routes are about. A malformed {lap_number} is
  // a 400 before anything is loaded.
  RouteHandler with_car(CarHandler handler) const;
  // The original frontend's routes: 200 {"error", "detail"} when the car has no
  // telemetry. They are analytics routes, fed from /drivers: an unknown driver's 404
  // points there.
  RouteHandler with_car_or_error_body(CarHandler handler) const;
};

// The vehicle facts of reference/track_facts.json; nullptr without a facts file.
const VehicleFacts* vehicle_facts(const ApiContext& api);

// Paths and their examples: the embedded track that has telemetry.
inline constexpr const char* kTelemetrySessionPath = "/api/telemetry/track/{track}/session/{session}";
const std::map<std::string, nlohmann::json>& telemetry_path_examples();

// ?points=: at most this many samples per channel (default kDefaultTracePoints).
inline constexpr std::size_t kDefaultTracePoints = 2000;
inline constexpr int kMaxTracePoints = 20000;
const QueryParam& points_param();
std::expected<std::optional<int>, ApiError> points_query(const RouteRequest& req);
// ?channels=: names or aliases; the default set is the channels of kDefaultTraceChannels
// the car has.
const QueryParam& channels_param();
std::expected<std::vector<std::string>, ApiError> trace_channels_query(const RouteRequest& req);

// The lap `lap` of the car, 404 listing the laps it has.
std::expected<const TelemetryLap*, ApiError> lap_of(const CarTelemetry& car, int lap);
// The lap a route analyses: `lap` when named, else the car's best valid lap.
std::expected<int, ApiError> lap_or_best(const CarTelemetry& car, std::optional<int> lap);
// The channels of a car a trace can show: the requested ones it has (an alias such as
// "brake" or "throttle" resolves per car); explicitly named channels it lacks are a 404.
std::expected<std::vector<std::string_view>, ApiError> available_channels(
    const CarTelemetry& car, const std::vector<std::string>& names, bool explicit_request);

// A lap's driver, number, time and length (null for a partial lap), and its schema.
nlohmann::json lap_identity(const std::string& driver_id, const TelemetryLap& lap, const DistanceAxis& axis);
nlohmann::json lap_identity_schema();
// Every channel of a slice, thinned to `points` samples.
nlohmann::json traces_json(const LapSlice& slice, std::size_t points);
nlohmann::json trace_channel_schema();
nlohmann::json telemetry_clock_schema();
// One lap of GET .../laps (lap_summary_json).
nlohmann::json lap_summary_schema();

// The routes, by theme.
void add_telemetry_lap_routes(RouteTable& table, const TelemetryRoutes& routes);  // vehicles, laps, traces
void add_telemetry_compare_routes(RouteTable& table, const TelemetryRoutes& routes);  // compare, track map
void add_telemetry_analysis_routes(RouteTable& table,
                                   const TelemetryRoutes& routes);  // speed, braking, cornering

}  // namespace apex
