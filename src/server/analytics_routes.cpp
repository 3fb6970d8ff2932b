// /api/analytics/...: the original's lap analytics (tracks, sessions, drivers, best lap,
// performance, detailed performance, sector analysis) and what engineers asked for
// next (laps with filters, cars, leaderboard, weather, results, files).
#include <charconv>

#include "server/api_routes.h"
#include "server/api_schemas.h"
#include "server/json_views.h"

namespace apex {

namespace {

// The fastest official fastest lap at the track over all its sessions in the data: the
// reference lap where the facts file gives no published one. A cached session reloads when
// another session's official files change, so an answer built on this never goes stale.
std::optional<ReferenceLap> fastest_official_lap(SessionCache& cache, const std::string& track_id) {
  auto catalog = cache.catalog();
  if (!catalog) return std::nullopt;
  const TrackCatalog* track = (*catalog)->find_track(track_id);
  if (!track) return std::nullopt;
  std::optional<ReferenceLap> best;
  for (const auto& files : track->sessions) {
    auto loaded = cache.session(track_id, files.id);
    if (!loaded) continue;
    for (const auto& d : (*loaded)->analysis.drivers) {
      if (d.source != LapSource::Official || !d.best_lap_ms || !d.best_lap_number) continue;
      const double seconds = static_cast<double>(*d.best_lap_ms) / 1000.0;
      if (best && best->lap_time_s <= seconds) continue;
      best = ReferenceLap{seconds,
                          "Fastest official lap at this track in the data: " + files.id + ", car " +
                              d.car_number.value_or("?") + ", lap " + std::to_string(*d.best_lap_number) +
                              " (no published GR Cup record in reference/track_facts.json)",
                          "computed from the official timing when the data loads"};
    }
  }
  return best;
}

using nlohmann::json;
namespace s = schema;

ResponseSpec ok(std::string description, json body_schema) {
  return ResponseSpec{200, std::move(description), std::move(body_schema)};
}

// The query filters of /laps, parsed and checked.
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

std::expected<std::optional<int>, ApiError> lap_number_query(const RouteRequest& req, const char* name) {
  auto text = req.query(name);  // given at most once: the server checks
  if (!text) return std::optional<int>{};
  const std::string& v = *text;
  int value = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || value < 0)
    return std::unexpected(api_error(
        400, std::string("query parameter '") + name + "' must be a whole number >= 0, got '" + v + "'"));
  return std::optional<int>{value};
}

std::expected<LapFilter, ApiError> lap_filter(const RouteRequest& req, const LoadedSession& session) {
  LapFilter filter;
  if (auto driver = req.query("driver")) {
    filter.driver = session.analysis.find_driver(*driver);
    if (!filter.driver)
      return std::unexpected(unknown_driver("driver", *driver, session, DriverList::Drivers));
  }
  auto min_lap = lap_number_query(req, "min_lap");
  if (!min_lap) return std::unexpected(min_lap.error());
  auto max_lap = lap_number_query(req, "max_lap");
  if (!max_lap) return std::unexpected(max_lap.error());
  filter.min_lap = *min_lap;
  filter.max_lap = *max_lap;
  if (filter.min_lap && filter.max_lap && *filter.min_lap > *filter.max_lap)
    return std::unexpected(api_error(400, "min_lap (" + std::to_string(*filter.min_lap) +
                                              ") is greater than max_lap (" +
                                              std::to_string(*filter.max_lap) + ")"));
  if (auto valid = req.query("valid")) {
    if (*valid == "true")
      filter.valid = true;
    else if (*valid == "false")
      filter.valid = false;
    else
      return std::unexpected(
          api_error(400, "query parameter 'valid' must be true or false, got '" + *valid + "'"));
  }
  if (auto source = req.query("source")) {
    if (*source == "official")
      filter.source = LapSource::Official;
    else if (*source == "ecu")
      filter.source = LapSource::Ecu;
    else
      return std::unexpected(
          api_error(400, "query parameter 'source' must be official or ecu, got '" + *source + "'"));
  }
  return filter;
}

}  // namespace

void add_analytics_routes(RouteTable& table, ApiContext& context) {
  ApiContext* ctx = &context;
  const std::string track = kTrackPath, session = kSessionPath, driver = kDriverPath;

  table.add(Route{.method = "GET",
                  .path = "/api/analytics/tracks",
                  .tag = "analytics",
                  .summary = "Track ids",
                  .description = "The folders of the data root that hold race files, sorted. The original "
                                 "frontend selects the first.",
                  .responses = {ok("track ids", s::ref("StringList"))},
                  .handler = [ctx](const RouteRequest&) -> RouteResult {
                    auto catalog = ctx->cache.catalog();
                    if (!catalog) return std::unexpected(api_error(catalog.error()));
                    json out = json::array();
                    for (const auto& t : (*catalog)->tracks()) out.push_back(t.id);
                    return Reply::json(std::move(out));
                  }});

  auto find_track =
      [ctx](const RouteRequest& req) -> std::expected<std::shared_ptr<const Catalog>, ApiError> {
    auto catalog = ctx->cache.catalog();
    if (!catalog) return std::unexpected(api_error(catalog.error()));
    if (!(*catalog)->find_track(req.path("track")))
      return std::unexpected(api_error(
          404, "track '" + req.path("track") + "' not found (tracks: " + (*catalog)->track_ids_text() + ")"));
    return *catalog;
  };

  table.add(Route{.method = "GET",
                  .path = track + "/sessions",
                  .tag = "analytics",
                  .summary = "Sessions of a track",
                  .description = "Normalised session ids (R1, R2, ...).",
                  .responses = {ok("session ids", s::ref("StringList"))},
                  .handler = [find_track](const RouteRequest& req) -> RouteResult {
                    auto catalog = find_track(req);
                    if (!catalog) return std::unexpected(catalog.error());
                    json out = json::array();
                    for (const auto& sf : (*catalog)->find_track(req.path("track"))->sessions)
                      out.push_back(sf.id);
                    return Reply::json(std::move(out));
                  }});

  table.add(Route{.method = "GET",
                  .path = track + "/files",
                  .tag = "analytics",
                  .summary = "What the catalog recognised in a track folder",
                  .responses = {ok("files per session and unrecognised files", s::ref("TrackFiles"))},
                  .handler = [find_track](const RouteRequest& req) -> RouteResult {
                    auto catalog = find_track(req);
                    if (!catalog) return std::unexpected(catalog.error());
                    return Reply::json(track_files_json(*(*catalog)->find_track(req.path("track"))));
                  }});

  // Routes that start from a loaded session (answers memoized per session).
  auto with_session = [ctx](ApiContext::SessionHandler h) { return ctx->from_session(std::move(h)); };
  auto with_driver = [ctx](ApiContext::DriverHandler h) { return ctx->from_driver(std::move(h)); };

  table.add(Route{.method = "GET",
                  .path = session + "/drivers",
                  .tag = "analytics",
                  .summary = "Driver ids of a session",
                  .description =
                      "The ECU vehicle_id of each car (the original's driver id), car-<number> for "
                      "official cars without telemetry, ordered by best lap.",
                  .responses = {ok("driver ids", s::ref("StringList"))},
                  .handler = with_session([](const RouteRequest&, const LoadedSession& ls) -> RouteResult {
                    json out = json::array();
                    for (const auto& d : ls.analysis.drivers) out.push_back(d.driver_id);
                    return Reply::json(std::move(out));
                  })});

  table.add(
      Route{.method = "GET",
            .path = session + "/best-lap",
            .tag = "analytics",
            .summary = "The session's fastest valid lap",
            .description = "From official timing when the session has it; ECU laps that cannot be real "
                           "(mis-timed crossings) never count. 404 when no lap is valid.",
            .responses = {ok("best lap", s::ref("BestLap"))},
            .handler = with_session([](const RouteRequest&, const LoadedSession& ls) -> RouteResult {
              if (!ls.analysis.best_lap)
                return std::unexpected(
                    api_error(404, "no valid lap in " + ls.session.track_id + " " + ls.session.session_id));
              return Reply::json(best_lap_json(ls.analysis, ls.session.track_id, ls.session.session_id));
            })});

  table.add(Route{.method = "GET",
                  .path = driver + "/performance",
                  .tag = "analytics",
                  .summary = "A driver's lap statistics",
                  .description =
                      "best_lap, average_lap, std_deviation (sample), consistency_score (100 - CV%), "
                      "total_laps and lap_times, plus best sectors and theoretical best.",
                  .responses = {ok("driver performance", s::ref("DriverPerformance"))},
                  .handler = with_driver([](const RouteRequest&, const LoadedSession&, const DriverSummary& d)
                                             -> RouteResult { return Reply::json(performance_json(d)); })});

  table.add(Route{
      .method = "GET",
      .path = driver + "/detailed-performance",
      .tag = "analytics",
      .summary = "The original's detailed performance card, with real numbers",
      .description =
          "Track facts from reference/track_facts.json; theoretical best from official sectors (not "
          "0.98 x best); consistency, stint pace and degradation over green-flag laps (consistency keeps "
          "incident laps), with the laps left out and why.",
      .responses = {ok("detailed performance", s::ref("DetailedPerformance"))},
      .handler = with_driver(
          [ctx](const RouteRequest&, const LoadedSession& ls, const DriverSummary& d) -> RouteResult {
            DetailedPerformanceInputs in;
            in.driver = &d;
            in.track_id = ls.session.track_id;
            in.session_id = ls.session.session_id;
            if (ctx->facts) {
              in.track = ctx->facts->find(ls.session.track_id);
              in.vehicle = &ctx->facts->vehicle();
            }
            if (in.track && in.track->reference_lap) {
              in.reference_lap = in.track->reference_lap;
              in.reference_lap_basis = "facts file";
            } else if ((in.reference_lap = fastest_official_lap(ctx->cache, ls.session.track_id))) {
              in.reference_lap_basis = "computed from the data";
            }
            const PaceLaps pace = pace_laps(ls.analysis, d);
            in.green = pace.green;
            in.pace_from_green_laps = pace.green_flag;
            in.consistency = consistency_of(lap_seconds(pace.laps));
            auto times = lap_times_s(in.green.laps);
            in.green_laps = static_cast<int>(times.size());
            in.pace = pace_thirds(times);
            in.degradation = fit_degradation(times);
            return Reply::json(detailed_performance_json(in));
          })});

  table.add(Route{
      .method = "GET",
      .path = session + "/laps",
      .tag = "analytics",
      .summary = "Every lap of every car, from both sources",
      .description = "Official laps first (by car, lap), then ECU laps. Invalid laps stay in the list with "
                     "valid=false and invalid_reason. Filters combine (AND).",
      .query = {{"driver", s::string(),
                 "a driver_id, vehicle_id, car number or car-<number>; 404 when unknown", "13"},
                {"min_lap", json{{"type", "integer"}, {"minimum", 0}}, "laps numbered at least this", 5},
                {"max_lap", json{{"type", "integer"}, {"minimum", 0}}, "laps numbered at most this", 10},
                {"valid", s::string_enum({"true", "false"}), "only valid (true) or only flagged (false) laps",
                 "true"},
                {"source", s::string_enum({"official", "ecu"}), "only official timing or only ECU laps",
                 "official"}},
      .responses = {ok("laps", s::array(s::ref("Lap")))},
      .handler = with_session([](const RouteRequest& req, const LoadedSession& ls) -> RouteResult {
        auto filter = lap_filter(req, ls);
        if (!filter) return std::unexpected(filter.error());
        json out = json::array();
        for (const auto& lap : ls.analysis.laps)
          if (filter->keep(lap)) out.push_back(lap_json(lap));
        return Reply::json(std::move(out));
      })});

  table.add(
      Route{.method = "GET",
            .path = session + "/cars",
            .tag = "analytics",
            .summary = "Which ECU vehicle is which official car",
            .description = "One entry per official car, with how well its ECU and official lap times agree.",
            .responses = {ok("car links", s::array(s::ref("CarLink")))},
            .handler = with_session([](const RouteRequest&, const LoadedSession& ls) -> RouteResult {
              json out = json::array();
              for (const auto& link : ls.analysis.links) out.push_back(car_link_json(link));
              return Reply::json(std::move(out));
            })});

  table.add(Route{
      .method = "GET",
      .path = session + "/files",
      .tag = "analytics",
      .summary = "A session's files and parse reports",
      .responses = {ok("files, parse reports, problems", s::ref("SessionFiles"))},
      .handler = with_session([find_track](const RouteRequest& req, const LoadedSession& ls) -> RouteResult {
        auto catalog = find_track(req);
        if (!catalog) return std::unexpected(catalog.error());
        return Reply::json(
            session_files_json(*(*catalog)->find_track(req.path("track")), ls.files, ls.session));
      })});

  table.add(Route{.method = "GET",
                  .path = session + "/sector-analysis",
                  .tag = "analytics",
                  .summary = "Official sectors per driver against the session's best",
                  .description =
                      "Per official car: best (valid laps) and mean (green-flag laps) of each sector, best "
                      "lap, theoretical best (sum of best sectors) and the time lost per sector to the "
                      "session's best sectors. Ordered by theoretical best.",
                  .responses = {ok("sector analysis", s::ref("SectorAnalysis"))},
                  .handler = with_session([](const RouteRequest&, const LoadedSession& ls) -> RouteResult {
                    return Reply::json(sector_analysis_json(analyse_sectors(ls.analysis), ls.session.track_id,
                                                            ls.session.session_id));
                  })});

  table.add(Route{.method = "GET",
                  .path = session + "/leaderboard",
                  .tag = "analytics",
                  .summary = "Cars by best lap, with gaps",
                  .description =
                      "Position by best lap (each car's official fastest lap: never lap 1 or a lap the "
                      "officials deleted), gap to the leader and to the car ahead, laps, best lap number, "
                      "theoretical best, consistency and the official race position. ECU vehicles no "
                      "official car claimed and cars without an official fastest lap follow, unranked, "
                      "with the reason.",
                  .responses = {ok("leaderboard", s::array(s::ref("LeaderboardEntry")))},
                  .handler = with_session([](const RouteRequest&, const LoadedSession& ls) -> RouteResult {
                    return Reply::json(leaderboard_json(build_leaderboard(ls.analysis)));
                  })});

  table.add(
      Route{.method = "GET",
            .path = session + "/weather",
            .tag = "analytics",
            .summary = "Weather samples of the session",
            .description = "From the official 26_Weather file, in time order. 404 when the session has none.",
            .responses = {ok("weather samples", s::array(s::ref("WeatherSample")))},
            .handler = with_session([](const RouteRequest&, const LoadedSession& ls) -> RouteResult {
              if (!ls.session.weather)
                return std::unexpected(api_error(
                    404, "no weather file for " + ls.session.track_id + " " + ls.session.session_id));
              return Reply::json(weather_json(*ls.session.weather));
            })});

  table.add(Route{.method = "GET",
                  .path = session + "/results",
                  .tag = "analytics",
                  .summary = "Official classification",
                  .description =
                      "From the official results file (official over provisional). 404 when the session "
                      "has none.",
                  .responses = {ok("classification", s::array(s::ref("ResultEntry")))},
                  .handler = with_session([](const RouteRequest&, const LoadedSession& ls) -> RouteResult {
                    if (!ls.session.results)
                      return std::unexpected(api_error(
                          404, "no results file for " + ls.session.track_id + " " + ls.session.session_id));
                    return Reply::json(results_json(*ls.session.results, ls.analysis));
                  })});

  table.add(Route{.method = "GET",
                  .path = session + "/quality",
                  .tag = "analytics",
                  .summary = "Data-quality report",
                  .description =
                      "Every check APEX makes on the session's files, what it found and what it decided: "
                      "files read and left out, values read as missing, results against lap timing, how "
                      "each fastest lap was decided, laps that do not count, cars sharing a number, "
                      "telemetry links with their evidence, ECU laps that cannot be real, and the "
                      "track's overrides (apex-overrides.json, docs/overrides.md).",
                  .responses = {ok("quality report", s::ref("QualityReport"))},
                  .handler = with_session([](const RouteRequest&, const LoadedSession& ls) -> RouteResult {
                    return Reply::json(quality_json(session_quality(ls.session, ls.analysis), ls.session));
                  })});
}

}  // namespace apex
