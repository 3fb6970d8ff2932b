// /api/analytics/...: the original's lap analytics (tracks, sessions, drivers, best lap,
// performance, detailed performance, sector analysis) and what engineers asked for
// next (laps with filters, cars, leaderboard, weather, results, files). One function per
// route returns its Route: schema, prose and handler together.
#include "server/analytics_routes.h"

#include "server/api_schemas.h"
#include "server/json_views.h"
#include "server/route_params.h"

namespace apex {

namespace {

using nlohmann::json;
namespace s = schema;

ResponseSpec ok(std::string description, json body_schema) {
  return ResponseSpec{200, std::move(description), std::move(body_schema)};
}

// A route computed from the loaded session alone: its answer is memoized per session.
using SessionReply = RouteResult (*)(const LoadedSession&);

RouteHandler session_handler(const ApiContext& api, SessionReply reply) {
  return api.from_session([reply](const RouteRequest&, const LoadedSession& ls) { return reply(ls); });
}

// ---- The catalog: tracks, their sessions and files.

Route tracks_route(const ApiContext& api) {
  return Route{.method = "GET",
               .path = "/api/analytics/tracks",
               .tag = "analytics",
               .summary = "Track ids",
               .description =
                   "The folders of the data root that hold race files, sorted. The original "
                   "frontend selects the first.",
               .responses = {ok("track ids", s::ref("StringList"))},
               .handler = [api = &api](const RouteRequest&) -> RouteResult {
                 auto catalog = api->cache.catalog();
                 if (!catalog) return std::unexpected(api_error(catalog.error()));
                 json out = json::array();
                 for (const auto& t : (*catalog)->tracks()) out.push_back(t.id);
                 return Reply::json(std::move(out));
               }};
}

Route sessions_route(const ApiContext& api) {
  return Route{.method = "GET",
               .path = std::string(kTrackPath) + "/sessions",
               .tag = "analytics",
               .summary = "Sessions of a track",
               .description = "Normalised session ids (R1, R2, ...).",
               .responses = {ok("session ids", s::ref("StringList"))},
               .handler = [api = &api](const RouteRequest& req) -> RouteResult {
                 auto found = api->track(req);
                 if (!found) return std::unexpected(found.error());
                 json out = json::array();
                 for (const auto& sf : found->track->sessions) out.push_back(sf.id);
                 return Reply::json(std::move(out));
               }};
}

Route track_files_route(const ApiContext& api) {
  return Route{.method = "GET",
               .path = std::string(kTrackPath) + "/files",
               .tag = "analytics",
               .summary = "What the catalog recognised in a track folder",
               .responses = {ok("files per session and unrecognised files", s::ref("TrackFiles"))},
               .handler = [api = &api](const RouteRequest& req) -> RouteResult {
                 auto found = api->track(req);
                 if (!found) return std::unexpected(found.error());
                 return Reply::json(track_files_json(*found->track));
               }};
}

Route session_files_route(const ApiContext& api) {
  return Route{.method = "GET",
               .path = std::string(kSessionPath) + "/files",
               .tag = "analytics",
               .summary = "A session's files and parse reports",
               .responses = {ok("files, parse reports, problems", s::ref("SessionFiles"))},
               .handler = api.from_session(
                   [api = &api](const RouteRequest& req, const LoadedSession& ls) -> RouteResult {
                     auto found = api->track(req);
                     if (!found) return std::unexpected(found.error());
                     return Reply::json(session_files_json(*found->track, ls.files, ls.session));
                   })};
}

// ---- Drivers and laps of a session.

Route drivers_route(const ApiContext& api) {
  return Route{.method = "GET",
               .path = std::string(kSessionPath) + "/drivers",
               .tag = "analytics",
               .summary = "Driver ids of a session",
               .description =
                   "The ECU vehicle_id of each car (the original's driver id), car-<number> for "
                   "official cars without telemetry, ordered by best lap.",
               .responses = {ok("driver ids", s::ref("StringList"))},
               .handler = session_handler(api, [](const LoadedSession& ls) -> RouteResult {
                 json out = json::array();
                 for (const auto& d : ls.analysis.drivers) out.push_back(d.driver_id);
                 return Reply::json(std::move(out));
               })};
}

Route best_lap_route(const ApiContext& api) {
  return Route{.method = "GET",
               .path = std::string(kSessionPath) + "/best-lap",
               .tag = "analytics",
               .summary = "The session's fastest valid lap",
               .description =
                   "From official timing when the session has it; ECU laps that cannot be real "
                   "(mis-timed crossings) never count. 404 when no lap is valid.",
               .responses = {ok("best lap", s::ref("BestLap"))},
               .handler = session_handler(api, [](const LoadedSession& ls) -> RouteResult {
                 if (!ls.analysis.best_lap)
                   return std::unexpected(api_error(
                       404, "no valid lap in " + ls.session.track_id + " " + ls.session.session_id));
                 return Reply::json(best_lap_json(ls.analysis, ls.session.track_id, ls.session.session_id));
               })};
}

// The query filters of /laps, parsed and checked; a lap passes when it meets them all.
struct LapFilter {
  const DriverSummary* driver = nullptr;
  std::optional<int> min_lap, max_lap;
  std::optional<bool> valid;
  std::optional<LapSource> source;

  bool keep(const LapRecord& lap) const {
    if (driver && lap.driver_id != driver->driver_id) return false;
    if (min_lap && lap.lap < *min_lap) return false;
    if (max_lap && lap.lap > *max_lap) return false;
    if (valid && lap.valid != *valid) return false;
    if (source && lap.source != *source) return false;
    return true;
  }
};

std::expected<LapFilter, ApiError> lap_filter(const RouteRequest& req, const LoadedSession& session) {
  LapFilter filter;
  auto driver = driver_query(req, "driver", session, DriverList::Drivers);
  if (!driver) return std::unexpected(driver.error());
  filter.driver = *driver;
  auto min_lap = int_query(req, "min_lap", 0, kNoUpperBound);
  if (!min_lap) return std::unexpected(min_lap.error());
  auto max_lap = int_query(req, "max_lap", 0, kNoUpperBound);
  if (!max_lap) return std::unexpected(max_lap.error());
  filter.min_lap = *min_lap;
  filter.max_lap = *max_lap;
  if (filter.min_lap && filter.max_lap && *filter.min_lap > *filter.max_lap)
    return std::unexpected(api_error(400, "min_lap (" + std::to_string(*filter.min_lap) +
                                              ") is greater than max_lap (" +
                                              std::to_string(*filter.max_lap) + ")"));
  auto valid = choice_query(req, "valid", {"true", "false"});
  if (!valid) return std::unexpected(valid.error());
  if (*valid) filter.valid = **valid == 0;
  auto source = choice_query(req, "source", {"official", "ecu"});
  if (!source) return std::unexpected(source.error());
  if (*source) filter.source = **source == 0 ? LapSource::Official : LapSource::Ecu;
  return filter;
}

Route laps_route(const ApiContext& api) {
  const json lap_number{{"type", "integer"}, {"minimum", 0}};
  return Route{
      .method = "GET",
      .path = std::string(kSessionPath) + "/laps",
      .tag = "analytics",
      .summary = "Every lap of every car, from both sources",
      .description =
          "Official laps first (by car, lap), then ECU laps. Invalid laps stay in the list with "
          "valid=false and invalid_reason. Filters combine (AND).",
      .query = {{"driver", s::string(),
                 "a driver_id, vehicle_id, car number or car-<number>; 404 when unknown", "13"},
                {"min_lap", lap_number, "laps numbered at least this", 5},
                {"max_lap", lap_number, "laps numbered at most this", 10},
                {"valid", s::string_enum({"true", "false"}), "only valid (true) or only flagged (false) laps",
                 "true"},
                {"source", s::string_enum({"official", "ecu"}), "only official timing or only ECU laps",
                 "official"}},
      .responses = {ok("laps", s::array(s::ref("Lap")))},
      .handler = api.from_session([](const RouteRequest& req, const LoadedSession& ls) -> RouteResult {
        auto filter = lap_filter(req, ls);
        if (!filter) return std::unexpected(filter.error());
        json out = json::array();
        for (const auto& lap : ls.analysis.laps)
          if (filter->keep(lap)) out.push_back(lap_json(lap));
        return Reply::json(std::move(out));
      })};
}

Route cars_route(const ApiContext& api) {
  return Route{
      .method = "GET",
      .path = std::string(kSessionPath) + "/cars",
      .tag = "analytics",
      .summary = "Which ECU vehicle is which official car",
      .description = "One entry per official car, with how well its ECU and official lap times agree.",
      .responses = {ok("car links", s::array(s::ref("CarLink")))},
      .handler = session_handler(api, [](const LoadedSession& ls) -> RouteResult {
        json out = json::array();
        for (const auto& link : ls.analysis.links) out.push_back(car_link_json(link));
        return Reply::json(std::move(out));
      })};
}

// ---- Session analyses and the official files.

Route sector_analysis_route(const ApiContext& api) {
  return Route{.method = "GET",
               .path = std::string(kSessionPath) + "/sector-analysis",
               .tag = "analytics",
               .summary = "Official sectors per driver against the session's best",
               .description =
                   "Per official car: best (valid laps) and mean (green-flag laps) of each sector, best "
                   "lap, theoretical best (sum of best sectors) and the time lost per sector to the "
                   "session's best sectors. Ordered by theoretical best.",
               .responses = {ok("sector analysis", s::ref("SectorAnalysis"))},
               .handler = session_handler(api, [](const LoadedSession& ls) -> RouteResult {
                 return Reply::json(sector_analysis_json(analyse_sectors(ls.analysis), ls.session.track_id,
                                                         ls.session.session_id));
               })};
}

Route leaderboard_route(const ApiContext& api) {
  return Route{.method = "GET",
               .path = std::string(kSessionPath) + "/leaderboard",
               .tag = "analytics",
               .summary = "Cars by best lap, with gaps",
               .description =
                   "Position by best lap (each car's official fastest lap: never lap 1 or a lap the "
                   "officials deleted), gap to the leader and to the car ahead, laps, best lap number, "
                   "theoretical best, consistency and the official race position. ECU vehicles no "
                   "official car claimed and cars without an official fastest lap follow, unranked, "
                   "with the reason.",
               .responses = {ok("leaderboard", s::array(s::ref("LeaderboardEntry")))},
               .handler = session_handler(api, [](const LoadedSession& ls) -> RouteResult {
                 return Reply::json(leaderboard_json(build_leaderboard(ls.analysis)));
               })};
}

Route weather_route(const ApiContext& api) {
  return Route{
      .method = "GET",
      .path = std::string(kSessionPath) + "/weather",
      .tag = "analytics",
      .summary = "Weather samples of the session",
      .description = "From the official 26_Weather file, in time order. 404 when the session has none.",
      .responses = {ok("weather samples", s::array(s::ref("WeatherSample")))},
      .handler = session_handler(api, [](const LoadedSession& ls) -> RouteResult {
        if (!ls.session.weather)
          return std::unexpected(
              api_error(404, "no weather file for " + ls.session.track_id + " " + ls.session.session_id));
        return Reply::json(weather_json(*ls.session.weather));
      })};
}

Route results_route(const ApiContext& api) {
  return Route{.method = "GET",
               .path = std::string(kSessionPath) + "/results",
               .tag = "analytics",
               .summary = "Official classification",
               .description =
                   "From the official results file (official over provisional). 404 when the session "
                   "has none.",
               .responses = {ok("classification", s::array(s::ref("ResultEntry")))},
               .handler = session_handler(api, [](const LoadedSession& ls) -> RouteResult {
                 if (!ls.session.results)
                   return std::unexpected(api_error(
                       404, "no results file for " + ls.session.track_id + " " + ls.session.session_id));
                 return Reply::json(results_json(*ls.session.results, ls.analysis));
               })};
}

Route quality_route(const ApiContext& api) {
  return Route{.method = "GET",
               .path = std::string(kSessionPath) + "/quality",
               .tag = "analytics",
               .summary = "Data-quality report",
               .description =
                   "Every check APEX makes on the session's files, what it found and what it decided: "
                   "files read and left out, values read as missing, results against lap timing, how "
                   "each fastest lap was decided, laps that do not count, cars sharing a number, "
                   "telemetry links with their evidence, ECU laps that cannot be real, and the "
                   "track's overrides (apex-overrides.json, docs/overrides.md).",
               .responses = {ok("quality report", s::ref("QualityReport"))},
               .handler = session_handler(api, [](const LoadedSession& ls) -> RouteResult {
                 return Reply::json(quality_json(session_quality(ls.session, ls.analysis), ls.session));
               })};
}

}  // namespace

void add_analytics_routes(RouteTable& table, ApiContext& context) {
  table.add(tracks_route(context));
  table.add(sessions_route(context));
  table.add(track_files_route(context));
  table.add(drivers_route(context));
  table.add(best_lap_route(context));
  table.add(performance_route(context));
  table.add(detailed_performance_route(context));
  table.add(laps_route(context));
  table.add(cars_route(context));
  table.add(session_files_route(context));
  table.add(sector_analysis_route(context));
  table.add(leaderboard_route(context));
  table.add(weather_route(context));
  table.add(results_route(context));
  table.add(quality_route(context));
}

}  // namespace apex
