#include "server/api_routes.h"

namespace apex {

ApiError unknown_driver(std::string_view parameter, std::string_view id, const LoadedSession& s,
                        DriverList list) {
  const std::string where = s.session.track_id + "/session/" + s.session.session_id;
  const std::string hint = list == DriverList::Vehicles
                               ? "use a vehicle_id from /api/telemetry/track/" + where + "/vehicles"
                               : "use a driver_id from /api/analytics/track/" + where + "/drivers";
  return api_error(404, std::string(parameter) + " '" + std::string(id.substr(0, 80)) +
                            "' not found in track " + s.session.track_id + ", session " +
                            s.session.session_id + " (" + hint + ", a car number or car-<number>)");
}

std::expected<ApiContext::CatalogTrack, ApiError> ApiContext::track(const RouteRequest& req) const {
  auto catalog = cache.catalog();
  if (!catalog) return std::unexpected(api_error(catalog.error()));
  const TrackCatalog* track = (*catalog)->find_track(req.path("track"));
  if (!track)
    return std::unexpected(api_error(
        404, "track '" + req.path("track") + "' not found (tracks: " + (*catalog)->track_ids_text() + ")"));
  return CatalogTrack{*catalog, track};
}

std::expected<std::shared_ptr<const LoadedSession>, ApiError> ApiContext::session(
    const RouteRequest& req) const {
  auto loaded = cache.session(req.path("track"), req.path("session"));
  if (!loaded) return std::unexpected(api_error(loaded.error()));
  return *loaded;
}

std::expected<const DriverSummary*, ApiError> ApiContext::driver(const RouteRequest& req,
                                                                 const LoadedSession& s, DriverList list) {
  const std::string& id = req.path("driver");
  const DriverSummary* driver = s.analysis.find_driver(id);
  if (!driver) return std::unexpected(unknown_driver("driver", id, s, list));
  return driver;
}

RouteHandler ApiContext::from_session(SessionHandler handler) const {
  return [this, handler = std::move(handler)](const RouteRequest& req) -> RouteResult {
    auto loaded = session(req);
    if (!loaded) return std::unexpected(loaded.error());
    const LoadedSession& s = **loaded;
    const bool memoizable = req.http().method == "GET" || req.http().method == "HEAD";
    if (memoizable) {
      if (auto body = s.responses.find(req.http().target)) {
        Reply reply;
        reply.serialized = std::move(body);
        return reply;
      }
    }
    auto result = handler(req, s);
    if (memoizable && result && result->status == 200 && result->content_type == "application/json") {
      result->serialized = serialize_body(result->body);
      result->body = nullptr;
      s.responses.store(req.http().target, result->serialized);
    }
    return result;
  };
}

RouteHandler ApiContext::from_driver(DriverHandler handler, DriverList list) const {
  return from_session(
      [handler = std::move(handler), list](const RouteRequest& req, const LoadedSession& s) -> RouteResult {
        auto d = driver(req, s, list);
        if (!d) return std::unexpected(d.error());
        return handler(req, s, **d);
      });
}

}  // namespace apex
