// The cars of a session's telemetry, and the laps of one car: per-lap summaries, one lap
// in the original's shape, and a lap's channels downsampled for plotting.
#include "server/api_schemas.h"
#include "server/route_params.h"
#include "server/telemetry_routes.h"
#include "server/telemetry_views.h"

namespace apex {

namespace {

using nlohmann::json;
namespace s = schema;

// ---- GET .../vehicles: which cars have telemetry.

json vehicle_json(const VehicleTelemetry& v, const Telemetry& telemetry, const LoadedSession& ls) {
  const DriverSummary* d = ls.analysis.find_driver(v.vehicle_id);
  const CarLaps laps = car_laps(v, ls);
  json lap_numbers = json::array(), partial = json::array(), channels = json::array();
  for (const TelemetryLap& l : laps.laps) {
    lap_numbers.push_back(l.window.lap);
    if (l.partial) partial.push_back(l.window.lap);
  }
  for (const ChannelSeries& c : v.channels) channels.push_back(telemetry.channel_name(c.channel));
  return json{{"vehicle_id", v.vehicle_id},
              {"driver_id", d ? json(d->driver_id) : json(nullptr)},
              {"car_number", d && d->car_number ? json(*d->car_number) : json(nullptr)},
              {"samples", v.samples()},
              {"channels", std::move(channels)},
              {"laps", std::move(lap_numbers)},
              {"partial_laps", std::move(partial)},
              {"best_lap", laps.best_lap ? json(*laps.best_lap) : json(nullptr)},
              {"clock", laps.crossings ? clock_json(laps.clock) : json(nullptr)},
              {"has_gps", v.find(channel::kGpsLatitude) && v.find(channel::kGpsLongitude)}};
}

RouteResult vehicles_reply(TelemetryCache& cache, const LoadedSession& ls) {
  auto telemetry = session_telemetry(cache, ls);
  if (!telemetry) return std::unexpected(telemetry.error());
  json vehicles = json::array();
  for (const VehicleTelemetry& v : (*telemetry)->vehicles)
    vehicles.push_back(vehicle_json(v, **telemetry, ls));
  // The file's bad rows come with the list: a damaged export otherwise shows up only as
  // fewer cars or samples than expected.
  return Reply::json(
      json{{"vehicles", std::move(vehicles)}, {"report", telemetry_report_json((*telemetry)->report)}});
}

Route vehicles_route(const TelemetryRoutes& routes) {
  const json vehicle = s::object({{"vehicle_id", s::string()},
                                  {"driver_id", s::nullable(s::string())},
                                  {"car_number", s::nullable(s::string())},
                                  {"samples", s::integer()},
                                  {"channels", s::array(s::string())},
                                  {"laps", s::array(s::integer())},
                                  {"partial_laps", s::array(s::integer())},
                                  {"best_lap", s::nullable(s::integer())},
                                  {"clock", s::nullable(telemetry_clock_schema())},
                                  {"has_gps", s::boolean()}});
  const json report = s::object({{"object", s::string()},
                                 {"rows", s::integer()},
                                 {"bad_rows", s::integer()},
                                 {"bad_row_reasons", s::array(s::string())},
                                 {"duplicate_samples", s::integer()},
                                 {"conflicting_keys", s::integer()}});
  return Route{.method = "GET",
               .path = std::string(kTelemetrySessionPath) + "/vehicles",
               .tag = "telemetry",
               .summary = "The cars that have telemetry in this session, with their laps",
               .responses = {{200, "cars with telemetry",
                              s::object({{"vehicles", s::array(vehicle)}, {"report", report}})}},
               .path_examples = telemetry_path_examples(),
               .handler = routes.api->from_session(
                   [cache = routes.cache](const RouteRequest&, const LoadedSession& ls) -> RouteResult {
                     return vehicles_reply(*cache, ls);
                   })};
}

// ---- GET .../driver/{driver}/laps: every lap of a car, summarised.

RouteResult car_laps_reply(const RouteRequest&, const LoadedSession&, const DriverSummary& d,
                           const CarTelemetry& car) {
  json laps = json::array();
  for (const TelemetryLap& l : car.laps) {
    const DistanceAxis axis = lap_distance_axis(*car.telemetry, *car.vehicle, l.window);
    laps.push_back(lap_summary_json(l, summarise_lap(*car.telemetry, *car.vehicle, l.window, axis)));
  }
  return Reply::json(json{{"driver_id", d.driver_id},
                          {"vehicle_id", car.vehicle->vehicle_id},
                          {"best_lap", car.best_lap ? json(*car.best_lap) : json(nullptr)},
                          {"clock", car.crossings ? clock_json(car.clock) : json(nullptr)},
                          {"laps", std::move(laps)}});
}

Route car_laps_route(const TelemetryRoutes& routes) {
  return Route{
      .method = "GET",
      .path = std::string(kTelemetryDriverPath) + "/laps",
      .tag = "telemetry",
      .summary = "Per-lap telemetry summary: speed, throttle, braking events",
      .description =
          "Every lap of the car in its telemetry (crossings where the lap files have them, the lap "
          "column elsewhere), valid or not, with min/mean/max speed (time-weighted mean), mean throttle, "
          "full-throttle share (>= 95%) and braking events (front pressure >= 5 bar until < 2 bar).",
      .responses = {{200, "laps",
                     s::object({{"driver_id", s::string()},
                                {"vehicle_id", s::string()},
                                {"best_lap", s::nullable(s::integer())},
                                {"clock", s::nullable(telemetry_clock_schema())},
                                {"laps", s::array(lap_summary_schema())}})}},
      .path_examples = telemetry_path_examples(),
      .handler = routes.with_car(car_laps_reply)};
}

// ---- GET .../driver/{driver}/lap/{lap_number}: one lap, the original's shape.

RouteResult one_lap_reply(const RouteRequest& req, const LoadedSession&, const DriverSummary& d,
                          const CarTelemetry& car) {
  auto n = lap_number_path(req);
  if (!n) return std::unexpected(n.error());
  auto lap = lap_of(car, *n);
  if (!lap) return std::unexpected(lap.error());
  const DistanceAxis axis = lap_distance_axis(*car.telemetry, *car.vehicle, (*lap)->window);
  const LapTelemetrySummary sum = summarise_lap(*car.telemetry, *car.vehicle, (*lap)->window, axis);
  const SpeedStats sp = sum.speed.value_or(SpeedStats{});
  json braking = json::array();
  for (const BrakingEvent& b : sum.braking) braking.push_back(braking_event_json(b));
  return Reply::json(json{
      {"lap_number", *n},
      {"driver_id", d.driver_id},
      {"speed",
       {{"max", rounded(sp.max_kmh, 2)}, {"avg", rounded(sp.mean_kmh, 2)}, {"min", rounded(sp.min_kmh, 2)}}},
      {"throttle_avg", rounded(sum.throttle_mean_pct.value_or(0.0), 2)},
      {"data_points", sum.samples},
      {"summary", lap_summary_json(**lap, sum)},
      {"braking_events", std::move(braking)}});
}

Route one_lap_route(const TelemetryRoutes& routes) {
  return Route{
      .method = "GET",
      .path = std::string(kTelemetryDriverPath) + "/lap/{lap_number}",
      .tag = "telemetry",
      .summary = "Telemetry summary of one lap (the original's fields, plus the per-lap summary)",
      .description =
          "speed.{max,avg,min} from the speed channel, throttle_avg (time-weighted), data_points = "
          "samples of every channel in the lap.",
      .responses = {{200, "one lap",
                     s::object(
                         {{"lap_number", s::integer()},
                          {"driver_id", s::string()},
                          {"speed",
                           s::object({{"max", s::number()}, {"avg", s::number()}, {"min", s::number()}})},
                          {"throttle_avg", s::number()},
                          {"data_points", s::integer()},
                          {"summary", lap_summary_schema()}})}},
      .path_examples = telemetry_path_examples(),
      .handler = routes.with_car(one_lap_reply)};
}

// ---- GET .../driver/{driver}/lap/{lap_number}/trace: a lap's channels for plotting.

RouteResult trace_reply(const RouteRequest& req, const LoadedSession&, const DriverSummary& d,
                        const CarTelemetry& car) {
  auto n = lap_number_path(req);
  if (!n) return std::unexpected(n.error());
  auto names = trace_channels_query(req);
  if (!names) return std::unexpected(names.error());
  auto points = points_query(req);
  if (!points) return std::unexpected(points.error());
  auto lap = lap_of(car, *n);
  if (!lap) return std::unexpected(lap.error());
  auto channels = available_channels(car, *names, req.query("channels").has_value());
  if (!channels) return std::unexpected(channels.error());
  auto slice = slice_lap(*car.telemetry, *car.vehicle, car.crossings, *n, *channels);
  if (!slice) return std::unexpected(api_error(slice.error()));
  json out =
      lap_identity(d.driver_id, **lap, lap_distance_axis(*car.telemetry, *car.vehicle, (*lap)->window));
  out["distance_source"] = distance_source_name(slice->distance_source);
  out["channels"] = traces_json(*slice, points->value_or(kDefaultTracePoints));
  return Reply::json(std::move(out));
}

Route trace_route(const TelemetryRoutes& routes) {
  return Route{.method = "GET",
               .path = std::string(kTelemetryDriverPath) + "/lap/{lap_number}/trace",
               .tag = "telemetry",
               .summary = "Channels of one lap over distance and time, downsampled for plotting",
               .description =
                   "Each channel keeps its own samples (rates differ): distance_m from the line "
                   "(Laptrigger_lapdist_dls, else integrated speed), time_s from the lap's start. With "
                   "more samples than points, each bucket keeps its minimum and maximum, so peaks "
                   "survive.",
               .query = {channels_param(), points_param()},
               .responses = {{200, "traces",
                              s::object({{"driver_id", s::string()},
                                         {"lap_number", s::integer()},
                                         {"lap_time_s", s::number()},
                                         {"lap_length_m", s::number()},
                                         {"distance_source", s::string()},
                                         {"channels", s::array(trace_channel_schema())}})}},
               .path_examples = telemetry_path_examples(),
               .handler = routes.with_car(trace_reply)};
}

}  // namespace

void add_telemetry_lap_routes(RouteTable& table, const TelemetryRoutes& routes) {
  table.add(vehicles_route(routes));
  table.add(car_laps_route(routes));
  table.add(one_lap_route(routes));
  table.add(trace_route(routes));
}

}  // namespace apex
