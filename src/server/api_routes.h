// The route groups of the API and what their handlers share: the session cache, the
// track facts, and the lookups every session or driver route starts with.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "model/track_facts.h"
#include "server/route_table.h"
#include "server/session_cache.h"

namespace apex {

class TelemetryCache;

// Where a route family lists the ids its {driver} takes: the analytics and strategy routes
// take any driver of /drivers, the telemetry routes are about the cars of /vehicles.
enum class DriverList { Drivers, Vehicles };

// The 404 of an unknown driver, one shape on every route: which parameter's value was not
// found, in which track and session, and where that route family lists the ids it takes.
ApiError unknown_driver(std::string_view parameter, std::string_view id, const LoadedSession& s,
                        DriverList list);

struct ApiContext {
  SessionCache& cache;
  std::shared_ptr<const TrackFactsBook> facts;  // nullptr: no facts file was found
  std::string facts_origin;                     // where it was read from, or why not
  // Set by add_telemetry_routes; /health reports its figures (loads show single-flight).
  std::shared_ptr<TelemetryCache> telemetry;

  // The track named by the {track} path parameter, with the catalog that holds it (404
  // listing the tracks when unknown).
  struct CatalogTrack {
    std::shared_ptr<const Catalog> catalog;
    const TrackCatalog* track = nullptr;
  };
  std::expected<CatalogTrack, ApiError> track(const RouteRequest& req) const;
  // The session named by the {track} and {session} path parameters (404 when unknown).
  std::expected<std::shared_ptr<const LoadedSession>, ApiError> session(const RouteRequest& req) const;
  // The driver named by {driver}: a vehicle_id, a car number or car-<number> (404 when
  // unknown, pointing to `list`).
  static std::expected<const DriverSummary*, ApiError> driver(const RouteRequest& req, const LoadedSession& s,
                                                              DriverList list = DriverList::Drivers);

  using SessionHandler = std::function<RouteResult(const RouteRequest&, const LoadedSession&)>;
  using DriverHandler =
      std::function<RouteResult(const RouteRequest&, const LoadedSession&, const DriverSummary&)>;
  // Handlers computed from one session. A GET answered 200 is kept in the session's memo,
  // keyed by its target, and served from there until the session is reloaded.
  RouteHandler from_session(SessionHandler handler) const;
  RouteHandler from_driver(DriverHandler handler, DriverList list = DriverList::Drivers) const;
};

void add_meta_routes(RouteTable& table, ApiContext& context);       // /, /health, /openapi.json, /docs
void add_analytics_routes(RouteTable& table, ApiContext& context);  // /api/analytics/...
void add_strategy_routes(RouteTable& table, ApiContext& context);   // /api/strategy/...
void add_telemetry_routes(RouteTable& table,
                          ApiContext& context);  // /api/telemetry/... and the telemetry analyses

// Common path prefixes.
inline constexpr const char* kTrackPath = "/api/analytics/track/{track}";
inline constexpr const char* kSessionPath = "/api/analytics/track/{track}/session/{session}";
inline constexpr const char* kDriverPath = "/api/analytics/track/{track}/session/{session}/driver/{driver}";
inline constexpr const char* kStrategyDriverPath =
    "/api/strategy/track/{track}/session/{session}/driver/{driver}";
inline constexpr const char* kTelemetryDriverPath =
    "/api/telemetry/track/{track}/session/{session}/driver/{driver}";

}  // namespace apex
