// A driver's lap statistics, and the original's detailed performance card with the
// track's reference lap, consistency, stint pace and degradation.
#include "analysis/lap_selection.h"
#include "analysis/lap_statistics.h"
#include "server/analytics_routes.h"
#include "server/api_schemas.h"
#include "server/json_views.h"

namespace apex {

namespace {

using nlohmann::json;
namespace s = schema;

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

// The reference lap: the facts file's, else the fastest official lap in the data.
void set_reference_lap(const ApiContext& api, const std::string& track_id, DetailedPerformanceInputs& in) {
  if (api.facts) {
    in.track = api.facts->find(track_id);
    in.vehicle = &api.facts->vehicle();
  }
  if (in.track && in.track->reference_lap) {
    in.reference_lap = in.track->reference_lap;
    in.reference_lap_basis = "facts file";
  } else if ((in.reference_lap = fastest_official_lap(api.cache, track_id))) {
    in.reference_lap_basis = "computed from the data";
  }
}

RouteResult detailed_performance_reply(const ApiContext& api, const LoadedSession& ls,
                                       const DriverSummary& d) {
  DetailedPerformanceInputs in;
  in.driver = &d;
  in.track_id = ls.session.track_id;
  in.session_id = ls.session.session_id;
  set_reference_lap(api, ls.session.track_id, in);
  const PaceLaps pace = pace_laps(ls.analysis, d);
  in.green = pace.green;
  in.pace_from_green_laps = pace.green_flag;
  in.consistency = consistency_of(lap_seconds(pace.laps));
  auto times = lap_times_s(in.green.laps);
  in.green_laps = static_cast<int>(times.size());
  in.pace = pace_thirds(times);
  in.degradation = fit_degradation(times);
  return Reply::json(detailed_performance_json(in));
}

}  // namespace

Route performance_route(const ApiContext& api) {
  return Route{.method = "GET",
               .path = std::string(kDriverPath) + "/performance",
               .tag = "analytics",
               .summary = "A driver's lap statistics",
               .description =
                   "best_lap, average_lap, std_deviation (sample), consistency_score (100 - CV%), "
                   "total_laps and lap_times, plus best sectors and theoretical best.",
               .responses = {{200, "driver performance", s::ref("DriverPerformance")}},
               .handler = api.from_driver(
                   [](const RouteRequest&, const LoadedSession&, const DriverSummary& d) -> RouteResult {
                     return Reply::json(performance_json(d));
                   })};
}

Route detailed_performance_route(const ApiContext& api) {
  return Route{
      .method = "GET",
      .path = std::string(kDriverPath) + "/detailed-performance",
      .tag = "analytics",
      .summary = "The original's detailed performance card, with real numbers",
      .description =
          "Track facts from reference/track_facts.json; theoretical best from official sectors (not "
          "0.98 x best); consistency, stint pace and degradation over green-flag laps (consistency keeps "
          "incident laps), with the laps left out and why.",
      .responses = {{200, "detailed performance", s::ref("DetailedPerformance")}},
      .handler = api.from_driver(
          [api = &api](const RouteRequest&, const LoadedSession& ls, const DriverSummary& d) -> RouteResult {
            return detailed_performance_reply(*api, ls, d);
          })};
}

}  // namespace apex
