// The telemetry routes' shared parts, and add_telemetry_routes, which puts the telemetry
// cache beside the session cache and adds the routes of each theme.
#include "server/telemetry_routes.h"

#include "server/api_schemas.h"
#include "server/route_params.h"
#include "server/telemetry_views.h"

namespace apex {

using nlohmann::json;
namespace s = schema;

namespace {

const std::vector<std::string_view> kDefaultTraceChannels = {"speed", "throttle", "brake", "gear",
                                                             "steering"};

// A partial lap has no time: what the file covers of it is not the lap.
json whole_lap_seconds(const TelemetryLap& lap) {
  const LapWindow& w = lap.window;
  return lap.partial ? json(nullptr) : json(rounded(static_cast<double>(w.end_ms - w.start_ms) / 1000.0, 3));
}

json not_available(const std::string& detail) {
  return json{{"error", "No telemetry data available"}, {"detail", detail}};
}

}  // namespace

RouteHandler TelemetryRoutes::with_car(CarHandler handler) const {
  return api->from_driver(
      [cache = cache, handler = std::move(handler)](const RouteRequest& req, const LoadedSession& ls,
                                                    const DriverSummary& d) -> RouteResult {
        // A malformed lap number is the client's mistake whatever the data: 400 before any load.
        if (!req.path("lap_number").empty())
          if (auto n = lap_number_path(req); !n) return std::unexpected(n.error());
        auto car = car_telemetry(*cache, ls, d);
        if (!car) return std::unexpected(car.error());
        return handler(req, ls, d, *car);
      },
      DriverList::Vehicles);
}

RouteHandler TelemetryRoutes::with_car_or_error_body(CarHandler handler) const {
  return api->from_driver(
      [cache = cache, handler = std::move(handler)](const RouteRequest& req, const LoadedSession& ls,
                                                    const DriverSummary& d) -> RouteResult {
        auto car = car_telemetry(*cache, ls, d);
        if (!car) {
          if (car.error().status != 404) return std::unexpected(car.error());
          return Reply::json(not_available(car.error().detail.get<std::string>()));
        }
        return handler(req, ls, d, *car);
      });
}

const VehicleFacts* vehicle_facts(const ApiContext& api) {
  return api.facts ? &api.facts->vehicle() : nullptr;
}

const std::map<std::string, json>& telemetry_path_examples() {
  static const std::map<std::string, json> examples = {
      {"track", "sonoma-raceway"}, {"session", "R1"}, {"driver", "GR86-022-13"}, {"lap_number", 5}};
  return examples;
}

const QueryParam& points_param() {
  static const QueryParam param{
      "points", json{{"type", "integer"}, {"minimum", 2}, {"maximum", kMaxTracePoints}},
      "at most this many samples per channel (default 2000); minima and maxima are kept", 500};
  return param;
}

std::expected<std::optional<int>, ApiError> points_query(const RouteRequest& req) {
  return int_query(req, "points", 2, kMaxTracePoints);
}

const QueryParam& channels_param() {
  static const QueryParam param{"channels", s::string(),
                                "comma-separated channel names or aliases (speed, throttle, brake, ath, "
                                "aps, pbrake_f, gear, steering, ...); "
                                "default speed,throttle,brake,gear,steering (those the car has)",
                                "speed,ath,pbrake_f"};
  return param;
}

std::expected<std::vector<std::string>, ApiError> trace_channels_query(const RouteRequest& req) {
  return channel_list_query(req, kDefaultTraceChannels);
}

std::expected<const TelemetryLap*, ApiError> lap_of(const CarTelemetry& car, int lap) {
  if (const TelemetryLap* l = car.find_lap(lap)) return l;
  std::string have;
  for (const TelemetryLap& l : car.laps) have += (have.empty() ? "" : ", ") + std::to_string(l.window.lap);
  return std::unexpected(api_error(404, car.vehicle->vehicle_id + " has no lap " + std::to_string(lap) +
                                            " in its telemetry (laps: " + (have.empty() ? "none" : have) +
                                            ")"));
}

std::expected<int, ApiError> lap_or_best(const CarTelemetry& car, std::optional<int> lap) {
  if (lap) return *lap;
  if (car.best_lap) return *car.best_lap;
  return std::unexpected(api_error(404, car.vehicle->vehicle_id + " has no valid lap in its telemetry"));
}

std::expected<std::vector<std::string_view>, ApiError> available_channels(
    const CarTelemetry& car, const std::vector<std::string>& names, bool explicit_request) {
  std::vector<std::string_view> out;
  for (const std::string& n : names) {
    if (car.telemetry->resolve(*car.vehicle, n)) {
      out.push_back(n);
    } else if (explicit_request) {
      std::string have;
      for (const ChannelSeries& c : car.vehicle->channels)
        have += (have.empty() ? "" : ", ") + std::string(car.telemetry->channel_name(c.channel));
      return std::unexpected(
          api_error(404, car.vehicle->vehicle_id + " has no channel '" + n + "' (it has: " + have + ")"));
    }
  }
  return out;
}

json lap_identity(const std::string& driver_id, const TelemetryLap& lap, const DistanceAxis& axis) {
  return json{{"driver_id", driver_id},
              {"lap_number", lap.window.lap},
              {"partial", lap.partial},
              {"lap_time_s", whole_lap_seconds(lap)},
              {"lap_length_m", lap.partial ? json(nullptr) : json(rounded(axis.length_m(), 1))}};
}

json lap_identity_schema() {
  return s::object({{"driver_id", s::string()},
                    {"lap_number", s::integer()},
                    {"partial", s::boolean()},
                    {"lap_time_s", s::nullable(s::number())},
                    {"lap_length_m", s::nullable(s::number())}});
}

json traces_json(const LapSlice& slice, std::size_t points) {
  json out = json::array();
  for (const LapTrace& t : slice.channels) out.push_back(trace_json(t, slice.window.start_ms, points));
  return out;
}

json trace_channel_schema() {
  return s::object({{"name", s::string()},
                    {"requested", s::string()},
                    {"samples", s::integer()},
                    {"distance_m", s::nullable(s::array(s::number()))},
                    {"time_s", s::array(s::number())},
                    {"value", s::array(s::number())}});
}

json telemetry_clock_schema() {
  return s::object({{"offset_ms", s::integer()},
                    {"source", s::string_enum({"lap_changes", "meta_time", "none"})},
                    {"uncertainty_ms", s::integer()},
                    {"matched_laps", s::integer()},
                    {"meta_time_guess_ms", s::nullable(s::integer())}});
}

// A partial lap (the file covers only part of it) has no time or length, only the span its
// samples cover.
json lap_summary_schema() {
  return s::object(
      {{"lap_number", s::integer()},
       {"lap_time_s", s::nullable(s::number())},
       {"partial", s::boolean()},
       {"covered_s", s::nullable(s::object({{"from", s::number()}, {"to", s::number()}}))},
       {"lap_source", s::string_enum({"crossings", "lap_column"})},
       {"valid", s::boolean()},
       {"invalid_reason", s::nullable(s::string())},
       {"samples", s::integer()},
       {"lap_length_m", s::nullable(s::number())},
       {"distance_source", s::string_enum({"lap_distance", "integrated_speed", "none"})},
       {"speed", s::nullable(s::object({{"min", s::number()}, {"mean", s::number()}, {"max", s::number()}}))},
       {"throttle_mean_pct", s::nullable(s::number())},
       {"full_throttle_pct", s::nullable(s::number())},
       {"braking_events", s::with_description(s::nullable(s::integer()), "null without a brake channel")}});
}

void add_telemetry_routes(RouteTable& table, ApiContext& context) {
  ApiContext* api = &context;
  // Shares CACHE_MAX_MB with the timing sessions: what they do not hold, telemetry may.
  auto cache = std::make_shared<TelemetryCache>(context.cache.store(), [api] {
    const CacheStats st = api->cache.stats();
    return st.max_bytes > st.bytes ? st.max_bytes - st.bytes : 0;
  });
  context.telemetry = cache;
  const TelemetryRoutes routes{api, std::move(cache)};
  add_telemetry_lap_routes(table, routes);
  add_telemetry_compare_routes(table, routes);
  add_telemetry_analysis_routes(table, routes);
}

}  // namespace apex
