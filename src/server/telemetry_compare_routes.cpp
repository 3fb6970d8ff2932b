// One lap against another (any two cars): delta time over distance and both traces; and
// the GPS outline of a lap, with speed along it.
#include "server/api_schemas.h"
#include "server/route_params.h"
#include "server/telemetry_routes.h"
#include "server/telemetry_views.h"

namespace apex {

namespace {

using nlohmann::json;
namespace s = schema;

// ---- GET .../driver/{driver}/compare

// The compare route's query, checked: the channels, points, and each side's lap (nullopt:
// its best).
struct CompareQuery {
  std::vector<std::string> channels;
  bool channels_named = false;
  std::size_t points = kDefaultTracePoints;
  std::optional<int> lap_a, lap_b;
};

std::expected<CompareQuery, ApiError> compare_query(const RouteRequest& req) {
  CompareQuery q;
  auto names = trace_channels_query(req);
  if (!names) return std::unexpected(names.error());
  q.channels = std::move(*names);
  q.channels_named = req.query("channels").has_value();
  auto points = points_query(req);
  if (!points) return std::unexpected(points.error());
  q.points = points->value_or(kDefaultTracePoints);
  auto lap_a = int_query(req, "lap_a", 0, kMaxPathLapNumber);
  if (!lap_a) return std::unexpected(lap_a.error());
  auto lap_b = int_query(req, "lap_b", 0, kMaxPathLapNumber);
  if (!lap_b) return std::unexpected(lap_b.error());
  q.lap_a = *lap_a;
  q.lap_b = *lap_b;
  return q;
}

// driver_b of the query, the path's driver when it is absent.
std::expected<const DriverSummary*, ApiError> other_driver(const RouteRequest& req, const LoadedSession& ls,
                                                           const DriverSummary& path_driver) {
  if (auto named = req.query("driver_b"); named && named->empty())
    return std::unexpected(
        api_error(400,
                  "query parameter 'driver_b' is empty: give a driver_id, vehicle_id or car "
                  "number, or leave it out to compare the driver with themselves"));
  auto other = driver_query(req, "driver_b", ls, DriverList::Vehicles);
  if (!other) return std::unexpected(other.error());
  return *other ? *other : &path_driver;
}

// One side of a comparison: the car's lap, its distance axis and its traces.
struct ComparedLap {
  const TelemetryLap* lap = nullptr;
  DistanceAxis axis;
  LapSlice slice;
};

json comparison_json(const DriverSummary& da, const ComparedLap& a, const DriverSummary& db,
                     const ComparedLap& b, const LapDelta& delta, std::size_t points) {
  json distance = json::array(), delta_s = json::array();
  for (std::size_t i = 0; i < delta.share.size(); ++i) {
    distance.push_back(rounded(delta.distance_m[i], 1));
    delta_s.push_back(rounded(delta.delta_s[i], 3));
  }
  const auto seconds = [](const LapWindow& w) { return static_cast<double>(w.end_ms - w.start_ms) / 1000.0; };
  const bool whole = !a.lap->partial && !b.lap->partial;
  return json{{"a", lap_identity(da.driver_id, *a.lap, a.axis)},
              {"b", lap_identity(db.driver_id, *b.lap, b.axis)},
              // A partial lap has no lap time: neither has its difference.
              {"lap_time_difference_s",
               whole ? json(rounded(seconds(b.lap->window) - seconds(a.lap->window), 3)) : json(nullptr)},
              {"final_delta_s", whole ? json(rounded(delta.delta_s.back(), 3)) : json(nullptr)},
              {"delta", {{"distance_m", std::move(distance)}, {"delta_s", std::move(delta_s)}}},
              {"traces", {{"a", traces_json(a.slice, points)}, {"b", traces_json(b.slice, points)}}}};
}

// The checks run in a fixed order, so a request with several problems always gets the
// same answer: query, driver_b, both cars, both lap numbers, both laps, the delta, both
// channel lists, both slices.
RouteResult compare_reply(TelemetryCache& cache, const RouteRequest& req, const LoadedSession& ls,
                          const DriverSummary& da, const CarTelemetry& car_a) {
  auto q = compare_query(req);
  if (!q) return std::unexpected(q.error());
  auto db = other_driver(req, ls, da);
  if (!db) return std::unexpected(db.error());
  auto car_b_holder =
      *db == &da ? std::expected<CarTelemetry, ApiError>(car_a) : car_telemetry(cache, ls, **db);
  if (!car_b_holder) return std::unexpected(car_b_holder.error());
  const CarTelemetry& car_b = *car_b_holder;
  auto na = lap_or_best(car_a, q->lap_a);
  if (!na) return std::unexpected(na.error());
  auto nb = lap_or_best(car_b, q->lap_b);
  if (!nb) return std::unexpected(nb.error());
  auto la = lap_of(car_a, *na);
  if (!la) return std::unexpected(la.error());
  auto lb = lap_of(car_b, *nb);
  if (!lb) return std::unexpected(lb.error());
  ComparedLap a{*la, lap_distance_axis(*car_a.telemetry, *car_a.vehicle, (*la)->window), {}};
  ComparedLap b{*lb, lap_distance_axis(*car_b.telemetry, *car_b.vehicle, (*lb)->window), {}};
  auto delta =
      compare_laps(a.lap->window, a.axis, b.lap->window, b.axis, std::min<std::size_t>(q->points, 2000));
  if (!delta)
    return std::unexpected(api_error(404, "no distance axis for one of the laps (no lap distance or speed)"));
  auto ch_a = available_channels(car_a, q->channels, q->channels_named);
  if (!ch_a) return std::unexpected(ch_a.error());
  auto ch_b = available_channels(car_b, q->channels, q->channels_named);
  if (!ch_b) return std::unexpected(ch_b.error());
  auto slice_a = slice_lap(*car_a.telemetry, *car_a.vehicle, car_a.crossings, *na, *ch_a);
  if (!slice_a) return std::unexpected(api_error(slice_a.error()));
  auto slice_b = slice_lap(*car_b.telemetry, *car_b.vehicle, car_b.crossings, *nb, *ch_b);
  if (!slice_b) return std::unexpected(api_error(slice_b.error()));
  a.slice = std::move(*slice_a);
  b.slice = std::move(*slice_b);
  return Reply::json(comparison_json(da, a, **db, b, *delta, q->points));
}

Route compare_route(const TelemetryRoutes& routes) {
  const json lap_query{{"type", "integer"}, {"minimum", 0}};
  return Route{
      .method = "GET",
      .path = std::string(kTelemetryDriverPath) + "/compare",
      .tag = "telemetry",
      .summary = "One lap against another (any two cars): delta time over distance, and both traces",
      .description =
          "delta_s = time car B took to reach the same share of its lap minus the time car A took "
          "(positive: B behind), on A's distance axis; the last value equals lap_time_difference_s. "
          "Either lap partial (the file covers only part of it): lap_time_difference_s and "
          "final_delta_s are null. "
          "Defaults: driver_b = the same driver, lap_a / lap_b = each car's best valid lap.",
      .query = {{"driver_b", s::string(), "the other driver (driver_id, vehicle_id or car number)",
                 "GR86-031-45"},
                {"lap_a", lap_query, "lap of the driver in the path", 5},
                {"lap_b", lap_query, "lap of driver_b", 5},
                channels_param(),
                points_param()},
      .responses = {{200, "comparison",
                     s::object({{"a", lap_identity_schema()},
                                {"b", lap_identity_schema()},
                                {"lap_time_difference_s", s::nullable(s::number())},
                                {"final_delta_s", s::nullable(s::number())},
                                {"delta", s::object({{"distance_m", s::array(s::number())},
                                                     {"delta_s", s::array(s::number())}})},
                                {"traces", s::object({{"a", s::array(trace_channel_schema())},
                                                      {"b", s::array(trace_channel_schema())}})}})}},
      .path_examples = telemetry_path_examples(),
      .handler = routes.with_car([cache = routes.cache](const RouteRequest& req, const LoadedSession& ls,
                                                        const DriverSummary& d, const CarTelemetry& car) {
        return compare_reply(*cache, req, ls, d, car);
      })};
}

// ---- GET .../driver/{driver}/track-map

constexpr std::size_t kDefaultMapPoints = 1500;

RouteResult track_map_reply(const RouteRequest& req, const LoadedSession&, const DriverSummary& d,
                            const CarTelemetry& car) {
  auto lap_query = int_query(req, "lap", 0, kMaxPathLapNumber);
  if (!lap_query) return std::unexpected(lap_query.error());
  auto points = points_query(req);
  if (!points) return std::unexpected(points.error());
  auto n = lap_or_best(car, *lap_query);
  if (!n) return std::unexpected(n.error());
  auto lap = lap_of(car, *n);
  if (!lap) return std::unexpected(lap.error());
  const ChannelSeries* lat = car.vehicle->find(channel::kGpsLatitude);
  const ChannelSeries* lon = car.vehicle->find(channel::kGpsLongitude);
  if (!lat || !lon)
    return Reply::json(json{{"driver_id", d.driver_id},
                            {"lap_number", *n},
                            {"available", false},
                            {"detail", "this car's telemetry has no VBOX GPS channels"}});
  const LapWindow& w = (*lap)->window;
  const DistanceAxis axis = lap_distance_axis(*car.telemetry, *car.vehicle, w);
  const ChannelSeries* speed = car.telemetry->resolve(*car.vehicle, "speed");
  auto [first, last] = lat->range(w.start_ms, w.end_ms);
  // Thin evenly in time: an outline needs its shape, not its extremes.
  const std::size_t count = last - first, want = points->value_or(kDefaultMapPoints);
  const std::size_t step = count > want ? (count + want - 1) / want : 1;
  json la = json::array(), lo = json::array(), sp = json::array(), dist = json::array();
  for (std::size_t i = first; i < last; i += step) {
    const std::int64_t t = lat->time_ms[i];
    la.push_back(rounded(lat->value[i], 7));
    lo.push_back(rounded(series_value_at(*lon, t), 7));
    sp.push_back(speed ? json(rounded(series_value_at(*speed, t), 1)) : json(nullptr));
    dist.push_back(rounded(axis.at(t), 1));
  }
  return Reply::json(json{{"driver_id", d.driver_id},
                          {"lap_number", *n},
                          {"available", true},
                          {"lat", std::move(la)},
                          {"lon", std::move(lo)},
                          {"speed_kmh", std::move(sp)},
                          {"distance_m", std::move(dist)}});
}

Route track_map_route(const TelemetryRoutes& routes) {
  return Route{.method = "GET",
               .path = std::string(kTelemetryDriverPath) + "/track-map",
               .tag = "telemetry",
               .summary = "GPS outline of a lap (the best by default), with speed along it",
               .query = {{"lap", json{{"type", "integer"}, {"minimum", 0}},
                          "lap number (default: the best valid lap)", 5},
                         points_param()},
               .responses = {{200, "track map, or available=false when the car has no GPS",
                              s::object({{"driver_id", s::string()},
                                         {"lap_number", s::integer()},
                                         {"available", s::boolean()}},
                                        {{"detail", s::string()},
                                         {"lat", s::array(s::number())},
                                         {"lon", s::array(s::number())},
                                         {"speed_kmh", s::array(s::nullable(s::number()))},
                                         {"distance_m", s::array(s::number())}},
                                        "available: lat, lon, speed_kmh (null without a speed "
                                        "channel) and distance_m, one of each per point; not "
                                        "available: detail says why")}},
               .path_examples = telemetry_path_examples(),
               .handler = routes.with_car(track_map_reply)};
}

}  // namespace

void add_telemetry_compare_routes(RouteTable& table, const TelemetryRoutes& routes) {
  table.add(compare_route(routes));
  table.add(track_map_route(routes));
}

}  // namespace apex
