// The telemetry routes: the original's lap, speed, braking and AMICOS analyses (under
// /api/telemetry and /api/analytics, with its field names) and APEX's own: the laps of a
// car, downsampled traces, a lap against another, and the track map.
//
// Telemetry is loaded only when one of these routes asks for it (TelemetryCache), and
// every answer is kept in the timing session's memo, so a repeated request is a lookup.
//
// Compatibility: the original frontend's DetailedAnalytics loads detailed-performance,
// speed-analysis and braking-analysis under /api/analytics with one Promise.all and fails
// as a whole on any non-2xx, and AMICOSAnalysis hides itself on `error`; so those three
// routes answer a session without telemetry with 200 {"error", "detail"}, as the original
// did. The /api/telemetry routes answer 404 with a detail instead.
#include <charconv>

#include "server/api_routes.h"
#include "server/api_schemas.h"
#include "server/telemetry_views.h"

namespace apex {

namespace {

using nlohmann::json;
namespace s = schema;

constexpr std::size_t kDefaultPoints = 2000;
constexpr std::size_t kMaxPoints = 20000;
constexpr std::size_t kMaxChannels = 16;
constexpr std::size_t kMaxChannelName = 64;
const std::vector<std::string_view> kDefaultTraceChannels = {"speed", "throttle", "brake", "gear",
                                                             "steering"};

// Path examples: the embedded track that has telemetry.
const std::map<std::string, json> kExamples = {
    {"track", "sonoma-raceway"}, {"session", "R1"}, {"driver", "GR86-022-13"}, {"lap_number", 5}};

std::expected<int, ApiError> whole_number(const std::string& text, const std::string& name, int min,
                                          int max) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < min || n > max)
    return std::unexpected(api_error(400, name + " must be a whole number from " + std::to_string(min) +
                                              " to " + std::to_string(max) + ", got '" + text + "'"));
  return n;
}

std::expected<std::optional<int>, ApiError> int_query(const RouteRequest& req, const char* name, int min,
                                                      int max) {
  auto v = req.query(name);
  if (!v) return std::nullopt;
  auto n = whole_number(*v, std::string("query parameter '") + name + "'", min, max);
  if (!n) return std::unexpected(n.error());
  return *n;
}

std::expected<int, ApiError> lap_path(const RouteRequest& req) {
  return whole_number(req.path("lap_number"), "lap_number", 0, 100000);
}

// channels=speed,ath,pbrake_f: names or aliases, checked for length and characters.
std::expected<std::vector<std::string>, ApiError> channel_query(const RouteRequest& req) {
  std::vector<std::string> out;
  auto v = req.query("channels");
  if (!v) {
    for (auto c : kDefaultTraceChannels) out.emplace_back(c);
    return out;
  }
  std::string_view rest = *v;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (name.empty()) continue;
    const bool ok = name.size() <= kMaxChannelName && std::all_of(name.begin(), name.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
                    });
    if (!ok)
      return std::unexpected(api_error(400, "query parameter 'channels': '" +
                                                std::string(name.substr(0, 80)) +
                                                "' is not a channel name (letters, digits, _ - . up to 64)"));
    out.emplace_back(name);
  }
  if (out.empty() || out.size() > kMaxChannels)
    return std::unexpected(api_error(400, "query parameter 'channels' needs 1 to 16 comma-separated names"));
  return out;
}

// The channels of a car a trace can show: the requested ones it has (an alias such as
// "brake" or "throttle" resolves per car); explicitly named channels it lacks are an error.
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

std::expected<const TelemetryLap*, ApiError> lap_of(const CarTelemetry& car, int lap) {
  if (const TelemetryLap* l = car.find_lap(lap)) return l;
  std::string have;
  for (const TelemetryLap& l : car.laps) have += (have.empty() ? "" : ", ") + std::to_string(l.window.lap);
  return std::unexpected(api_error(404, car.vehicle->vehicle_id + " has no lap " + std::to_string(lap) +
                                            " in its telemetry (laps: " + (have.empty() ? "none" : have) +
                                            ")"));
}

// The lap a route analyses when none is named: the car's best valid lap.
std::expected<int, ApiError> best_or(const CarTelemetry& car, std::optional<int> lap) {
  if (lap) return *lap;
  if (car.best_lap) return *car.best_lap;
  return std::unexpected(api_error(404, car.vehicle->vehicle_id + " has no valid lap in its telemetry"));
}

json traces_json(const LapSlice& slice, std::size_t points) {
  json out = json::array();
  for (const LapTrace& t : slice.channels) out.push_back(trace_json(t, slice.window.start_ms, points));
  return out;
}

// A partial lap has no time or length (see TelemetryLap).
json lap_identity(const std::string& driver_id, const TelemetryLap& lap, const DistanceAxis& axis) {
  const LapWindow& w = lap.window;
  return json{
      {"driver_id", driver_id},
      {"lap_number", w.lap},
      {"partial", lap.partial},
      {"lap_time_s",
       lap.partial ? json(nullptr) : json(rounded(static_cast<double>(w.end_ms - w.start_ms) / 1000.0, 3))},
      {"lap_length_m", lap.partial ? json(nullptr) : json(rounded(axis.length_m(), 1))}};
}

json not_available(const std::string& detail) {
  return json{{"error", "No telemetry data available"}, {"detail", detail}};
}

json channel_schema() {
  return s::object({{"name", s::string()},
                    {"requested", s::string()},
                    {"samples", s::integer()},
                    {"distance_m", s::nullable(s::array(s::number()))},
                    {"time_s", s::array(s::number())},
                    {"value", s::array(s::number())}});
}

json clock_schema() {
  return s::object({{"offset_ms", s::integer()},
                    {"source", s::string_enum({"lap_changes", "meta_time", "none"})},
                    {"uncertainty_ms", s::integer()},
                    {"matched_laps", s::integer()},
                    {"meta_time_guess_ms", s::nullable(s::integer())}});
}

// One lap of GET .../laps (lap_summary_json): a partial lap (the file covers only part of it)
// has no time or length, only the span its samples cover.
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

json lap_identity_schema() {
  return s::object({{"driver_id", s::string()},
                    {"lap_number", s::integer()},
                    {"partial", s::boolean()},
                    {"lap_time_s", s::nullable(s::number())},
                    {"lap_length_m", s::nullable(s::number())}});
}

}  // namespace

void add_telemetry_routes(RouteTable& table, ApiContext& context) {
  ApiContext* ctx = &context;
  // Shares CACHE_MAX_MB with the timing sessions: what they do not hold, telemetry may.
  auto cache = std::make_shared<TelemetryCache>(context.cache.store(), [ctx] {
    const CacheStats st = ctx->cache.stats();
    return st.max_bytes > st.bytes ? st.max_bytes - st.bytes : 0;
  });
  context.telemetry = cache;
  auto facts = [ctx]() -> const VehicleFacts* { return ctx->facts ? &ctx->facts->vehicle() : nullptr; };

  // A driver route that needs the car's telemetry.
  using CarHandler = std::function<RouteResult(const RouteRequest&, const LoadedSession&,
                                               const DriverSummary&, const CarTelemetry&)>;
  // An unknown driver's 404 points to /vehicles: these routes are about the cars it lists.
  auto with_car = [ctx, cache](CarHandler h) -> RouteHandler {
    return ctx->from_driver(
        [cache, h = std::move(h)](const RouteRequest& req, const LoadedSession& ls,
                                  const DriverSummary& d) -> RouteResult {
          // A malformed lap number is the client's mistake whatever the data: 400 before any load.
          if (!req.path("lap_number").empty())
            if (auto n = lap_path(req); !n) return std::unexpected(n.error());
          auto car = car_telemetry(*cache, ls, d);
          if (!car) return std::unexpected(car.error());
          return h(req, ls, d, *car);
        },
        DriverList::Vehicles);
  };
  // The original frontend's routes: 200 {"error", "detail"} when the car has no telemetry. They
  // are analytics routes, fed from /drivers: an unknown driver's 404 points there.
  auto with_car_or_error_body = [ctx, cache](CarHandler h) -> RouteHandler {
    return ctx->from_driver([cache, h = std::move(h)](const RouteRequest& req, const LoadedSession& ls,
                                                      const DriverSummary& d) -> RouteResult {
      auto car = car_telemetry(*cache, ls, d);
      if (!car) {
        if (car.error().status != 404) return std::unexpected(car.error());
        return Reply::json(not_available(car.error().detail.get<std::string>()));
      }
      return h(req, ls, d, *car);
    });
  };

  const std::string analytics = kDriverPath, telemetry = kTelemetryDriverPath;
  const std::string telemetry_session = "/api/telemetry/track/{track}/session/{session}";
  const ResponseSpec not_available_spec{
      200, "the car has no telemetry: {error, detail} (the original's body)", s::ref("NotAvailable")};
  const QueryParam points_param{
      "points", json{{"type", "integer"}, {"minimum", 2}, {"maximum", kMaxPoints}},
      "at most this many samples per channel (default 2000); minima and maxima are kept", 500};
  const QueryParam channels_param{"channels", s::string(),
                                  "comma-separated channel names or aliases (speed, throttle, brake, ath, "
                                  "aps, pbrake_f, gear, steering, ...); "
                                  "default speed,throttle,brake,gear,steering (those the car has)",
                                  "speed,ath,pbrake_f"};

  // ---- Session: which cars have telemetry.
  table.add(Route{
      .method = "GET",
      .path = telemetry_session + "/vehicles",
      .tag = "telemetry",
      .summary = "The cars that have telemetry in this session, with their laps",
      .responses = {{200, "cars with telemetry",
                     s::object({{"vehicles", s::array(s::object({{"vehicle_id", s::string()},
                                                                 {"driver_id", s::nullable(s::string())},
                                                                 {"car_number", s::nullable(s::string())},
                                                                 {"samples", s::integer()},
                                                                 {"channels", s::array(s::string())},
                                                                 {"laps", s::array(s::integer())},
                                                                 {"partial_laps", s::array(s::integer())},
                                                                 {"best_lap", s::nullable(s::integer())},
                                                                 {"clock", s::nullable(clock_schema())},
                                                                 {"has_gps", s::boolean()}}))},
                                {"report", s::object({{"object", s::string()},
                                                      {"rows", s::integer()},
                                                      {"bad_rows", s::integer()},
                                                      {"bad_row_reasons", s::array(s::string())},
                                                      {"duplicate_samples", s::integer()},
                                                      {"conflicting_keys", s::integer()}})}})}},
      .path_examples = kExamples,
      .handler = ctx->from_session([cache](const RouteRequest&, const LoadedSession& ls) -> RouteResult {
        auto tel = session_telemetry(*cache, ls);
        if (!tel) return std::unexpected(tel.error());
        json vehicles = json::array();
        for (const VehicleTelemetry& v : (*tel)->vehicles) {
          const DriverSummary* d = ls.analysis.find_driver(v.vehicle_id);
          const CarLaps laps = car_laps(v, ls);
          json lap_numbers = json::array(), partial = json::array(), channels = json::array();
          for (const TelemetryLap& l : laps.laps) {
            lap_numbers.push_back(l.window.lap);
            if (l.partial) partial.push_back(l.window.lap);
          }
          const std::optional<int> best = laps.best_lap;
          for (const ChannelSeries& c : v.channels) channels.push_back((*tel)->channel_name(c.channel));
          vehicles.push_back(
              json{{"vehicle_id", v.vehicle_id},
                   {"driver_id", d ? json(d->driver_id) : json(nullptr)},
                   {"car_number", d && d->car_number ? json(*d->car_number) : json(nullptr)},
                   {"samples", v.samples()},
                   {"channels", std::move(channels)},
                   {"laps", std::move(lap_numbers)},
                   {"partial_laps", std::move(partial)},
                   {"best_lap", best ? json(*best) : json(nullptr)},
                   {"clock", laps.crossings ? clock_json(laps.clock) : json(nullptr)},
                   {"has_gps", v.find(channel::kGpsLatitude) && v.find(channel::kGpsLongitude)}});
        }
        // The file's bad rows come with the list: a damaged export otherwise shows up only as
        // fewer cars or samples than expected.
        return Reply::json(
            json{{"vehicles", std::move(vehicles)}, {"report", telemetry_report_json((*tel)->report)}});
      })});

  // ---- Laps of a car.
  table.add(Route{
      .method = "GET",
      .path = telemetry + "/laps",
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
                                {"clock", s::nullable(clock_schema())},
                                {"laps", s::array(lap_summary_schema())}})}},
      .path_examples = kExamples,
      .handler = with_car([](const RouteRequest&, const LoadedSession&, const DriverSummary& d,
                             const CarTelemetry& car) -> RouteResult {
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
      })});

  // ---- One lap, the original's shape.
  table.add(Route{
      .method = "GET",
      .path = telemetry + "/lap/{lap_number}",
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
      .path_examples = kExamples,
      .handler = with_car([](const RouteRequest& req, const LoadedSession&, const DriverSummary& d,
                             const CarTelemetry& car) -> RouteResult {
        auto n = lap_path(req);
        if (!n) return std::unexpected(n.error());
        auto lap = lap_of(car, *n);
        if (!lap) return std::unexpected(lap.error());
        const DistanceAxis axis = lap_distance_axis(*car.telemetry, *car.vehicle, (*lap)->window);
        const LapTelemetrySummary sum = summarise_lap(*car.telemetry, *car.vehicle, (*lap)->window, axis);
        const SpeedStats sp = sum.speed.value_or(SpeedStats{});
        return Reply::json(json{{"lap_number", *n},
                                {"driver_id", d.driver_id},
                                {"speed",
                                 {{"max", rounded(sp.max_kmh, 2)},
                                  {"avg", rounded(sp.mean_kmh, 2)},
                                  {"min", rounded(sp.min_kmh, 2)}}},
                                {"throttle_avg", rounded(sum.throttle_mean_pct.value_or(0.0), 2)},
                                {"data_points", sum.samples},
                                {"summary", lap_summary_json(**lap, sum)},
                                {"braking_events", [&] {
                                   json e = json::array();
                                   for (const BrakingEvent& b : sum.braking)
                                     e.push_back(braking_event_json(b));
                                   return e;
                                 }()}});
      })});

  // ---- Trace of one lap.
  table.add(Route{
      .method = "GET",
      .path = telemetry + "/lap/{lap_number}/trace",
      .tag = "telemetry",
      .summary = "Channels of one lap over distance and time, downsampled for plotting",
      .description =
          "Each channel keeps its own samples (rates differ): distance_m from the line "
          "(Laptrigger_lapdist_dls, else integrated speed), time_s from the lap's start. With more "
          "samples than points, each bucket keeps its minimum and maximum, so peaks survive.",
      .query = {channels_param, points_param},
      .responses = {{200, "traces",
                     s::object({{"driver_id", s::string()},
                                {"lap_number", s::integer()},
                                {"lap_time_s", s::number()},
                                {"lap_length_m", s::number()},
                                {"distance_source", s::string()},
                                {"channels", s::array(channel_schema())}})}},
      .path_examples = kExamples,
      .handler = with_car([](const RouteRequest& req, const LoadedSession&, const DriverSummary& d,
                             const CarTelemetry& car) -> RouteResult {
        auto n = lap_path(req);
        if (!n) return std::unexpected(n.error());
        auto names = channel_query(req);
        if (!names) return std::unexpected(names.error());
        auto points = int_query(req, "points", 2, static_cast<int>(kMaxPoints));
        if (!points) return std::unexpected(points.error());
        auto lap = lap_of(car, *n);
        if (!lap) return std::unexpected(lap.error());
        auto channels = available_channels(car, *names, req.query("channels").has_value());
        if (!channels) return std::unexpected(channels.error());
        auto slice = slice_lap(*car.telemetry, *car.vehicle, car.crossings, *n, *channels);
        if (!slice) return std::unexpected(api_error(slice.error()));
        json out =
            lap_identity(d.driver_id, **lap, lap_distance_axis(*car.telemetry, *car.vehicle, (*lap)->window));
        out["distance_source"] = slice->distance_source == DistanceSource::LapDistance ? "lap_distance"
                                 : slice->distance_source == DistanceSource::IntegratedSpeed
                                     ? "integrated_speed"
                                     : "none";
        out["channels"] = traces_json(*slice, points->value_or(kDefaultPoints));
        return Reply::json(std::move(out));
      })});

  // ---- Lap comparison.
  table.add(Route{
      .method = "GET",
      .path = telemetry + "/compare",
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
                {"lap_a", json{{"type", "integer"}, {"minimum", 0}}, "lap of the driver in the path", 5},
                {"lap_b", json{{"type", "integer"}, {"minimum", 0}}, "lap of driver_b", 5},
                channels_param,
                points_param},
      .responses = {{200, "comparison",
                     s::object({{"a", lap_identity_schema()},
                                {"b", lap_identity_schema()},
                                {"lap_time_difference_s", s::nullable(s::number())},
                                {"final_delta_s", s::nullable(s::number())},
                                {"delta", s::object({{"distance_m", s::array(s::number())},
                                                     {"delta_s", s::array(s::number())}})},
                                {"traces", s::object({{"a", s::array(channel_schema())},
                                                      {"b", s::array(channel_schema())}})}})}},
      .path_examples = kExamples,
      .handler = with_car([cache](const RouteRequest& req, const LoadedSession& ls, const DriverSummary& da,
                                  const CarTelemetry& car_a) -> RouteResult {
        auto names = channel_query(req);
        if (!names) return std::unexpected(names.error());
        auto points = int_query(req, "points", 2, static_cast<int>(kMaxPoints));
        if (!points) return std::unexpected(points.error());
        auto lap_a_q = int_query(req, "lap_a", 0, 100000);
        if (!lap_a_q) return std::unexpected(lap_a_q.error());
        auto lap_b_q = int_query(req, "lap_b", 0, 100000);
        if (!lap_b_q) return std::unexpected(lap_b_q.error());
        const DriverSummary* db = &da;
        if (auto other = req.query("driver_b")) {
          if (other->empty())
            return std::unexpected(
                api_error(400,
                          "query parameter 'driver_b' is empty: give a driver_id, vehicle_id or car number, "
                          "or leave it out to compare the driver with themselves"));
          db = ls.analysis.find_driver(*other);
          if (!db) return std::unexpected(unknown_driver("driver_b", *other, ls, DriverList::Vehicles));
        }
        auto car_b_holder =
            db == &da ? std::expected<CarTelemetry, ApiError>(car_a) : car_telemetry(*cache, ls, *db);
        if (!car_b_holder) return std::unexpected(car_b_holder.error());
        const CarTelemetry& car_b = *car_b_holder;
        auto na = best_or(car_a, *lap_a_q);
        if (!na) return std::unexpected(na.error());
        auto nb = best_or(car_b, *lap_b_q);
        if (!nb) return std::unexpected(nb.error());
        auto la = lap_of(car_a, *na);
        if (!la) return std::unexpected(la.error());
        auto lb = lap_of(car_b, *nb);
        if (!lb) return std::unexpected(lb.error());
        const DistanceAxis axis_a = lap_distance_axis(*car_a.telemetry, *car_a.vehicle, (*la)->window);
        const DistanceAxis axis_b = lap_distance_axis(*car_b.telemetry, *car_b.vehicle, (*lb)->window);
        const std::size_t n_points = points->value_or(kDefaultPoints);
        auto delta =
            compare_laps((*la)->window, axis_a, (*lb)->window, axis_b, std::min<std::size_t>(n_points, 2000));
        if (!delta)
          return std::unexpected(
              api_error(404, "no distance axis for one of the laps (no lap distance or speed)"));
        auto ch_a = available_channels(car_a, *names, req.query("channels").has_value());
        if (!ch_a) return std::unexpected(ch_a.error());
        auto ch_b = available_channels(car_b, *names, req.query("channels").has_value());
        if (!ch_b) return std::unexpected(ch_b.error());
        auto slice_a = slice_lap(*car_a.telemetry, *car_a.vehicle, car_a.crossings, *na, *ch_a);
        if (!slice_a) return std::unexpected(api_error(slice_a.error()));
        auto slice_b = slice_lap(*car_b.telemetry, *car_b.vehicle, car_b.crossings, *nb, *ch_b);
        if (!slice_b) return std::unexpected(api_error(slice_b.error()));
        json distance = json::array(), delta_s = json::array();
        for (std::size_t i = 0; i < delta->share.size(); ++i) {
          distance.push_back(rounded(delta->distance_m[i], 1));
          delta_s.push_back(rounded(delta->delta_s[i], 3));
        }
        const auto ms = [](const LapWindow& w) {
          return static_cast<double>(w.end_ms - w.start_ms) / 1000.0;
        };
        const bool whole = !(*la)->partial && !(*lb)->partial;
        return Reply::json(json{
            {"a", lap_identity(da.driver_id, **la, axis_a)},
            {"b", lap_identity(db->driver_id, **lb, axis_b)},
            // A partial lap has no lap time: neither has its difference.
            {"lap_time_difference_s",
             whole ? json(rounded(ms((*lb)->window) - ms((*la)->window), 3)) : json(nullptr)},
            {"final_delta_s", whole ? json(rounded(delta->delta_s.back(), 3)) : json(nullptr)},
            {"delta", {{"distance_m", std::move(distance)}, {"delta_s", std::move(delta_s)}}},
            {"traces", {{"a", traces_json(*slice_a, n_points)}, {"b", traces_json(*slice_b, n_points)}}}});
      })});

  // ---- Track map.
  table.add(Route{.method = "GET",
                  .path = telemetry + "/track-map",
                  .tag = "telemetry",
                  .summary = "GPS outline of a lap (the best by default), with speed along it",
                  .query = {{"lap", json{{"type", "integer"}, {"minimum", 0}},
                             "lap number (default: the best valid lap)", 5},
                            points_param},
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
                  .path_examples = kExamples,
                  .handler = with_car([](const RouteRequest& req, const LoadedSession&,
                                         const DriverSummary& d, const CarTelemetry& car) -> RouteResult {
                    auto lap_q = int_query(req, "lap", 0, 100000);
                    if (!lap_q) return std::unexpected(lap_q.error());
                    auto points = int_query(req, "points", 2, static_cast<int>(kMaxPoints));
                    if (!points) return std::unexpected(points.error());
                    auto n = best_or(car, *lap_q);
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
                    const std::size_t count = last - first, want = points->value_or(1500);
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
                  })});

  // ---- The original's telemetry analyses.
  auto speed_handler = [](const RouteRequest&, const LoadedSession&, const DriverSummary& d,
                          const CarTelemetry& car) -> RouteResult {
    const std::vector<LapWindow> laps = car.valid_windows();
    const DriverTelemetryStats stats = driver_telemetry_stats(*car.telemetry, *car.vehicle, laps);
    LapCorners corners;
    if (car.best_lap)
      if (const TelemetryLap* best = car.find_lap(*car.best_lap))
        corners = find_corners(*car.telemetry, *car.vehicle, best->window,
                               lap_distance_axis(*car.telemetry, *car.vehicle, best->window));
    if (!stats.speed) return Reply::json(json{{"message", "No speed data available"}});
    return Reply::json(telemetry_speed_json(d.driver_id, stats, car.best_lap, corners));
  };
  auto braking_handler = [](const RouteRequest&, const LoadedSession&, const DriverSummary& d,
                            const CarTelemetry& car) -> RouteResult {
    const DriverTelemetryStats stats =
        driver_telemetry_stats(*car.telemetry, *car.vehicle, car.valid_windows());
    if (!stats.p99_front_bar) return Reply::json(json{{"message", "No braking data available"}});
    std::vector<BrakingEvent> zones;
    if (car.best_lap)
      if (const TelemetryLap* best = car.find_lap(*car.best_lap)) {
        const DistanceAxis axis = lap_distance_axis(*car.telemetry, *car.vehicle, best->window);
        zones =
            braking_events(*car.telemetry, *car.vehicle, best->window.start_ms, best->window.end_ms, &axis);
      }
    return Reply::json(telemetry_braking_json(d.driver_id, stats, car.best_lap, zones));
  };
  table.add(Route{
      .method = "GET",
      .path = telemetry + "/speed-analysis",
      .tag = "telemetry",
      .summary = "Speed over the valid laps, with corners (vmin) and straights (vmax) of the best lap",
      .description = "vmax/vmin/vavg over the valid laps (vavg time-weighted); avg_acceleration = mean "
                     "accx_can (g). corners: speed minima at least 8 km/h below the maxima on both sides.",
      .responses = {{200, "speed analysis",
                     s::object({{"driver_id", s::string()},
                                {"vmax", s::number()},
                                {"vmin", s::number()},
                                {"vavg", s::number()},
                                {"speed_range", s::number()},
                                {"avg_acceleration", s::number()},
                                {"corners", s::array(s::object({{"apex_speed_kmh", s::number()}}))}})}},
      .path_examples = kExamples,
      .handler = with_car(speed_handler)});
  table.add(Route{
      .method = "GET",
      .path = telemetry + "/braking-analysis",
      .tag = "telemetry",
      .summary = "Braking events over the valid laps, and the braking zones of the best lap",
      .description = "brake_applications = braking events (front pressure >= 5 bar until < 2 bar, at "
                     "least 100 ms), not samples as in the original; avg/max_brake_pressure over the "
                     "events' peaks; braking_efficiency = mean peak / highest peak x 100.",
      .responses = {{200, "braking analysis",
                     s::object(
                         {{"driver_id", s::string()},
                          {"brake_applications", s::integer()},
                          {"avg_brake_pressure", s::number()},
                          {"max_brake_pressure", s::number()},
                          {"braking_efficiency", s::number()},
                          {"braking_zones", s::array(s::object({{"start_distance_m", s::number()}}))}})}},
      .path_examples = kExamples,
      .handler = with_car(braking_handler)});

  // ---- The original frontend's /api/analytics shapes.
  table.add(Route{
      .method = "GET",
      .path = analytics + "/speed-analysis",
      .tag = "telemetry",
      .summary = "Speed metrics, share of time per speed band, against the car's top speed",
      .description =
          "Over the valid laps of the car's telemetry. theoretical_max_kmh is the vehicle's top speed "
          "from reference/track_facts.json. A session or car without telemetry answers 200 "
          "{error, detail}: the original frontend loads this with detailed-performance and fails as a "
          "whole on any non-2xx.",
      .responses = {{200, "speed analysis, or {error, detail} without telemetry",
                     json{{"anyOf",
                           json::array({s::object({{"driver_id", s::string()},
                                                   {"speed_metrics", s::object({{"vmax_kmh", s::number()},
                                                                                {"vmin_kmh", s::number()},
                                                                                {"vavg_kmh", s::number()}})},
                                                   {"vehicle_comparison", s::object({})},
                                                   {"speed_distribution", s::object({})}}),
                                        s::ref("NotAvailable"), s::object({{"message", s::string()}})})}}}},
      .path_examples = kExamples,
      .handler =
          with_car_or_error_body([facts](const RouteRequest&, const LoadedSession&, const DriverSummary& d,
                                         const CarTelemetry& car) -> RouteResult {
            const auto stats = driver_telemetry_stats(*car.telemetry, *car.vehicle, car.valid_windows());
            return Reply::json(analytics_speed_json(d.driver_id, stats, facts()));
          })});
  table.add(Route{
      .method = "GET",
      .path = analytics + "/braking-analysis",
      .tag = "telemetry",
      .summary = "Brake pressures, decelerations, bias and trail braking",
      .description = "Over the valid laps of the car's telemetry; what each field means is in docs/api.md "
                     "(pressures are the car's own 99th percentile and means while braking, not constants). "
                     "g_forces.vehicle_limit_g is the car's 99th percentile of deceleration (-accx_can where "
                     "accx_can < 0), vehicle_limit_source says so; utilization_pct = mean over the braking "
                     "events of min(peak deceleration, limit) / limit x 100, so never above 100; both null "
                     "without deceleration data. Without telemetry: 200 {error, detail}, for the original "
                     "frontend.",
      .responses =
          {{200, "braking analysis, or {error, detail} without telemetry",
            json{{"anyOf",
                  json::array(
                      {s::object({{"driver_id", s::string()},
                                  {"braking_metrics", s::object({{"brake_applications", s::integer()}})},
                                  {"g_forces", s::object({{"max_braking_g", s::number()},
                                                          {"avg_braking_g", s::number()},
                                                          {"vehicle_limit_g", s::nullable(s::number())},
                                                          {"vehicle_limit_source", s::nullable(s::string())},
                                                          {"utilization_pct", s::nullable(s::number())}})},
                                  {"efficiency", s::object({})},
                                  {"technique", s::object({})},
                                  {"brake_system", s::object({})}}),
                       s::ref("NotAvailable"), s::object({{"message", s::string()}})})}}}},
      .path_examples = kExamples,
      .handler = with_car_or_error_body([](const RouteRequest&, const LoadedSession&, const DriverSummary& d,
                                           const CarTelemetry& car) -> RouteResult {
        const auto stats = driver_telemetry_stats(*car.telemetry, *car.vehicle, car.valid_windows());
        std::size_t zones = 0;
        if (car.best_lap)
          if (const TelemetryLap* best = car.find_lap(*car.best_lap))
            zones = braking_events(*car.telemetry, *car.vehicle, best->window.start_ms, best->window.end_ms,
                                   nullptr)
                        .size();
        return Reply::json(analytics_braking_json(d.driver_id, stats, zones));
      })});
  table.add(Route{
      .method = "GET",
      .path = analytics + "/amicos-analysis",
      .tag = "telemetry",
      .summary = "Cornering: entry, apex and exit of every corner of the best lap, grip and driving style",
      .description =
          "Corners are speed minima of the best valid lap (at least 8 km/h below the maxima around "
          "them); radius from apex speed and peak lateral g; speed_efficiency_pct against the best apex "
          "speed the car reached at that corner over its valid laps, grip against grip_limit_g (the "
          "99th percentile of its combined g); the original's CG height and track width. corner_number is "
          "the corner's order in the lap. Without "
          "telemetry: 200 {error, detail}; the original frontend then hides the panel.",
      .responses =
          {{200, "cornering analysis, or {error, detail} without telemetry",
            json{{"anyOf",
                  json::array(
                      {s::object(
                           {{"driver_id", s::string()},
                            {"corners_detected", s::integer()},
                            {"corner_analysis", s::with_description(
                                                    s::array(s::object({{"apex_speed_kmh", s::number()}})),
                                                    "the 5 corners with the highest peak lateral g, "
                                                    "highest first")},
                            {"corners", s::with_description(
                                            s::array(s::object({{"apex_speed_kmh", s::number()}})),
                                            "every corner, in lap order")},
                            {"recommendations", s::array(s::string())}}),
                       s::ref("NotAvailable")})}}}},
      .path_examples = kExamples,
      .handler =
          with_car_or_error_body([facts](const RouteRequest&, const LoadedSession&, const DriverSummary& d,
                                         const CarTelemetry& car) -> RouteResult {
            const std::vector<LapWindow> laps = car.valid_windows();
            const auto stats = driver_telemetry_stats(*car.telemetry, *car.vehicle, laps);
            auto corners_of = [&](const LapWindow& w) {
              return find_corners(*car.telemetry, *car.vehicle, w,
                                  lap_distance_axis(*car.telemetry, *car.vehicle, w));
            };
            LapCorners corners;
            if (car.best_lap)
              if (const TelemetryLap* best = car.find_lap(*car.best_lap)) corners = corners_of(best->window);
            // Each corner's speed is measured against the best this car carried through it.
            std::vector<LapCorners> valid_laps;
            for (const LapWindow& w : laps) valid_laps.push_back(corners_of(w));
            const auto best_apex = best_apex_speeds(corners, valid_laps);
            return Reply::json(amicos_json(d.driver_id, car.best_lap, corners, best_apex, stats, facts()));
          })});
}

}  // namespace apex
