// The original service's telemetry analyses: speed and braking under /api/telemetry, and
// the original frontend's speed, braking and AMICOS cornering cards under /api/analytics.
//
// The original frontend's DetailedAnalytics loads detailed-performance, speed-analysis and
// braking-analysis under /api/analytics with one Promise.all and fails as a whole on any
// non-2xx, and AMICOSAnalysis hides itself on `error`; so those three routes answer a
// session without telemetry with 200 {"error", "detail"}, as the original did. The
// /api/telemetry routes answer 404 with a detail instead.
#include "server/api_schemas.h"
#include "server/telemetry_routes.h"
#include "server/telemetry_views.h"

namespace apex {

namespace {

using nlohmann::json;
namespace s = schema;

// The best valid lap's window, when the car has one.
const LapWindow* best_lap_window(const CarTelemetry& car) {
  if (!car.best_lap) return nullptr;
  const TelemetryLap* best = car.find_lap(*car.best_lap);
  return best ? &best->window : nullptr;
}

LapCorners corners_of(const CarTelemetry& car, const LapWindow& w) {
  return find_corners(*car.telemetry, *car.vehicle, w, lap_distance_axis(*car.telemetry, *car.vehicle, w));
}

// An answer the original frontend takes, or {error, detail} without telemetry.
json or_not_available(json answer) {
  return json{{"anyOf", json::array({std::move(answer), s::ref("NotAvailable"),
                                     s::object({{"message", s::string()}})})}};
}

// ---- GET /api/telemetry/.../speed-analysis

RouteResult telemetry_speed_reply(const RouteRequest&, const LoadedSession&, const DriverSummary& d,
                                  const CarTelemetry& car) {
  const std::vector<LapWindow> laps = car.valid_windows();
  const DriverTelemetryStats stats = driver_telemetry_stats(*car.telemetry, *car.vehicle, laps);
  LapCorners corners;
  if (const LapWindow* best = best_lap_window(car)) corners = corners_of(car, *best);
  if (!stats.speed) return Reply::json(json{{"message", "No speed data available"}});
  return Reply::json(telemetry_speed_json(d.driver_id, stats, car.best_lap, corners));
}

Route telemetry_speed_route(const TelemetryRoutes& routes) {
  return Route{
      .method = "GET",
      .path = std::string(kTelemetryDriverPath) + "/speed-analysis",
      .tag = "telemetry",
      .summary = "Speed over the valid laps, with corners (vmin) and straights (vmax) of the best lap",
      .description =
          "vmax/vmin/vavg over the valid laps (vavg time-weighted); avg_acceleration = mean "
          "accx_can (g). corners: speed minima at least 8 km/h below the maxima on both sides.",
      .responses = {{200, "speed analysis",
                     s::object({{"driver_id", s::string()},
                                {"vmax", s::number()},
                                {"vmin", s::number()},
                                {"vavg", s::number()},
                                {"speed_range", s::number()},
                                {"avg_acceleration", s::number()},
                                {"corners", s::array(s::object({{"apex_speed_kmh", s::number()}}))}})}},
      .path_examples = telemetry_path_examples(),
      .handler = routes.with_car(telemetry_speed_reply)};
}

// ---- GET /api/telemetry/.../braking-analysis

RouteResult telemetry_braking_reply(const RouteRequest&, const LoadedSession&, const DriverSummary& d,
                                    const CarTelemetry& car) {
  const DriverTelemetryStats stats =
      driver_telemetry_stats(*car.telemetry, *car.vehicle, car.valid_windows());
  if (!stats.p99_front_bar) return Reply::json(json{{"message", "No braking data available"}});
  std::vector<BrakingEvent> zones;
  if (const LapWindow* best = best_lap_window(car)) {
    const DistanceAxis axis = lap_distance_axis(*car.telemetry, *car.vehicle, *best);
    zones = braking_events(*car.telemetry, *car.vehicle, best->start_ms, best->end_ms, &axis);
  }
  return Reply::json(telemetry_braking_json(d.driver_id, stats, car.best_lap, zones));
}

Route telemetry_braking_route(const TelemetryRoutes& routes) {
  return Route{.method = "GET",
               .path = std::string(kTelemetryDriverPath) + "/braking-analysis",
               .tag = "telemetry",
               .summary = "Braking events over the valid laps, and the braking zones of the best lap",
               .description =
                   "brake_applications = braking events (front pressure >= 5 bar until < 2 bar, at "
                   "least 100 ms), not samples as in the original; avg/max_brake_pressure over the "
                   "events' peaks; braking_efficiency = mean peak / highest peak x 100.",
               .responses = {{200, "braking analysis",
                              s::object({{"driver_id", s::string()},
                                         {"brake_applications", s::integer()},
                                         {"avg_brake_pressure", s::number()},
                                         {"max_brake_pressure", s::number()},
                                         {"braking_efficiency", s::number()},
                                         {"braking_zones",
                                          s::array(s::object({{"start_distance_m", s::number()}}))}})}},
               .path_examples = telemetry_path_examples(),
               .handler = routes.with_car(telemetry_braking_reply)};
}

// ---- GET /api/analytics/.../speed-analysis (the original frontend's shape)

Route analytics_speed_route(const TelemetryRoutes& routes) {
  return Route{
      .method = "GET",
      .path = std::string(kDriverPath) + "/speed-analysis",
      .tag = "telemetry",
      .summary = "Speed metrics, share of time per speed band, against the car's top speed",
      .description =
          "Over the valid laps of the car's telemetry. theoretical_max_kmh is the vehicle's top speed "
          "from reference/track_facts.json. A session or car without telemetry answers 200 "
          "{error, detail}: the original frontend loads this with detailed-performance and fails as a "
          "whole on any non-2xx.",
      .responses = {{200, "speed analysis, or {error, detail} without telemetry",
                     or_not_available(s::object({{"driver_id", s::string()},
                                                 {"speed_metrics", s::object({{"vmax_kmh", s::number()},
                                                                              {"vmin_kmh", s::number()},
                                                                              {"vavg_kmh", s::number()}})},
                                                 {"vehicle_comparison", s::object({})},
                                                 {"speed_distribution", s::object({})}}))}},
      .path_examples = telemetry_path_examples(),
      .handler = routes.with_car_or_error_body([api = routes.api](const RouteRequest&, const LoadedSession&,
                                                                  const DriverSummary& d,
                                                                  const CarTelemetry& car) -> RouteResult {
        const auto stats = driver_telemetry_stats(*car.telemetry, *car.vehicle, car.valid_windows());
        return Reply::json(analytics_speed_json(d.driver_id, stats, vehicle_facts(*api)));
      })};
}

// ---- GET /api/analytics/.../braking-analysis (the original frontend's shape)

RouteResult analytics_braking_reply(const RouteRequest&, const LoadedSession&, const DriverSummary& d,
                                    const CarTelemetry& car) {
  const auto stats = driver_telemetry_stats(*car.telemetry, *car.vehicle, car.valid_windows());
  std::size_t zones = 0;
  if (const LapWindow* best = best_lap_window(car))
    zones = braking_events(*car.telemetry, *car.vehicle, best->start_ms, best->end_ms, nullptr).size();
  return Reply::json(analytics_braking_json(d.driver_id, stats, zones));
}

Route analytics_braking_route(const TelemetryRoutes& routes) {
  return Route{.method = "GET",
               .path = std::string(kDriverPath) + "/braking-analysis",
               .tag = "telemetry",
               .summary = "Brake pressures, decelerations, bias and trail braking",
               .description =
                   "Over the valid laps of the car's telemetry; what each field means is in docs/api.md "
                   "(pressures are the car's own 99th percentile and means while braking, not constants). "
                   "g_forces.vehicle_limit_g is the car's 99th percentile of deceleration (-accx_can where "
                   "accx_can < 0), vehicle_limit_source says so; utilization_pct = mean over the braking "
                   "events of min(peak deceleration, limit) / limit x 100, so never above 100; both null "
                   "without deceleration data. Without telemetry: 200 {error, detail}, for the original "
                   "frontend.",
               .responses = {{200, "braking analysis, or {error, detail} without telemetry",
                              or_not_available(s::object(
                                  {{"driver_id", s::string()},
                                   {"braking_metrics", s::object({{"brake_applications", s::integer()}})},
                                   {"g_forces", s::object({{"max_braking_g", s::number()},
                                                           {"avg_braking_g", s::number()},
                                                           {"vehicle_limit_g", s::nullable(s::number())},
                                                           {"vehicle_limit_source", s::nullable(s::string())},
                                                           {"utilization_pct", s::nullable(s::number())}})},
                                   {"efficiency", s::object({})},
                                   {"technique", s::object({})},
                                   {"brake_system", s::object({})}}))}},
               .path_examples = telemetry_path_examples(),
               .handler = routes.with_car_or_error_body(analytics_braking_reply)};
}

// ---- GET /api/analytics/.../amicos-analysis: cornering of the best lap.

RouteResult amicos_reply(const ApiContext& api, const DriverSummary& d, const CarTelemetry& car) {
  const std::vector<LapWindow> laps = car.valid_windows();
  const auto stats = driver_telemetry_stats(*car.telemetry, *car.vehicle, laps);
  LapCorners corners;
  if (const LapWindow* best = best_lap_window(car)) corners = corners_of(car, *best);
  // Each corner's speed is measured against the best this car carried through it.
  std::vector<LapCorners> valid_laps;
  for (const LapWindow& w : laps) valid_laps.push_back(corners_of(car, w));
  const auto best_apex = best_apex_speeds(corners, valid_laps);
  return Reply::json(amicos_json(d.driver_id, car.best_lap, corners, best_apex, stats, vehicle_facts(api)));
}

Route amicos_route(const TelemetryRoutes& routes) {
  const json corner_list = s::array(s::object({{"apex_speed_kmh", s::number()}}));
  const json cornering = s::object(
      {{"driver_id", s::string()},
       {"corners_detected", s::integer()},
       {"corner_analysis",
        s::with_description(corner_list, "the 5 corners with the highest peak lateral g, highest first")},
       {"corners", s::with_description(corner_list, "every corner, in lap order")},
       {"recommendations", s::array(s::string())}});
  return Route{
      .method = "GET",
      .path = std::string(kDriverPath) + "/amicos-analysis",
      .tag = "telemetry",
      .summary = "Cornering: entry, apex and exit of every corner of the best lap, grip and driving style",
      .description =
          "Corners are speed minima of the best valid lap (at least 8 km/h below the maxima around "
          "them); radius from apex speed and peak lateral g; speed_efficiency_pct against the best apex "
          "speed the car reached at that corner over its valid laps, grip against grip_limit_g (the "
          "99th percentile of its combined g); the original's CG height and track width. corner_number is "
          "the corner's order in the lap. Without "
          "telemetry: 200 {error, detail}; the original frontend then hides the panel.",
      .responses = {{200, "cornering analysis, or {error, detail} without telemetry",
                     json{{"anyOf", json::array({cornering, s::ref("NotAvailable")})}}}},
      .path_examples = telemetry_path_examples(),
      .handler = routes.with_car_or_error_body(
          [api = routes.api](const RouteRequest&, const LoadedSession&, const DriverSummary& d,
                             const CarTelemetry& car) { return amicos_reply(*api, d, car); })};
}

}  // namespace

void add_telemetry_analysis_routes(RouteTable& table, const TelemetryRoutes& routes) {
  table.add(telemetry_speed_route(routes));
  table.add(telemetry_braking_route(routes));
  table.add(analytics_speed_route(routes));
  table.add(analytics_braking_route(routes));
  table.add(amicos_route(routes));
}

}  // namespace apex
