#include "server/api_server.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "server/json_views.h"

namespace apex {

using nlohmann::json;

int http_status_for(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::NotFound:
    return 404;
  case ErrorKind::InvalidInput:
    return 400;
  case ErrorKind::AuthFailed:
  case ErrorKind::BucketMissing:
  case ErrorKind::Unavailable:
    return 503;
  case ErrorKind::Corrupt:
    return 500;
  }
  return 500;
}

namespace {

thread_local std::chrono::steady_clock::time_point request_started;

// Strong ETag from the body: FNV-1a 64, enough to tell two JSON bodies apart.
std::string etag_of(std::string_view body) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : body) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"",
                static_cast<unsigned long long>(hash));
  return buf;
}

void send_json(const httplib::Request &req, httplib::Response &res, int status,
               const json &body) {
  std::string text = body.dump();
  res.status = status;
  if (req.method == "GET" && status == 200) {
    std::string etag = etag_of(text);
    res.set_header("ETag", etag);
    res.set_header("Cache-Control", "no-cache");
    if (req.get_header_value("If-None-Match") == etag) {
      res.status = 304;
      return;
    }
  }
  res.set_content(std::move(text), "application/json");
}

void send_error(const httplib::Request &req, httplib::Response &res,
                const Error &error) {
  send_json(req, res, http_status_for(error.kind),
            json{{"detail", error.message}});
}

using JsonHandler = std::function<Result<json>(const httplib::Request &)>;

httplib::Server::Handler json_handler(JsonHandler handler) {
  return [handler = std::move(handler)](const httplib::Request &req,
                                        httplib::Response &res) {
    auto body = handler(req);
    if (!body)
      send_error(req, res, body.error());
    else
      send_json(req, res, 200, *body);
  };
}

// Path segments of the form track/{t}/session/{s}[/driver/{d}].
constexpr const char *kSegment = "([^/]+)";
std::string session_route(std::string_view tail) {
  return std::string("/api/analytics/track/") + kSegment + "/session/" +
         kSegment + std::string(tail);
}

} // namespace

ApiServer::ApiServer(SessionCache &cache, ServerOptions options)
    : cache_(cache), options_(std::move(options)),
      http_(std::make_unique<httplib::Server>()) {
  register_routes();
}

ApiServer::~ApiServer() = default;

void ApiServer::register_routes() {
  auto &http = *http_;
  // Headers and body go out in separate writes; without TCP_NODELAY, Nagle's
  // algorithm and the client's delayed ACK add ~40 ms to every keep-alive
  // response.
  http.set_tcp_nodelay(true);
  http.set_pre_routing_handler(
      [this](const httplib::Request &req, httplib::Response &res) {
        request_started = std::chrono::steady_clock::now();
        if (!options_.cors_origins.empty()) {
          res.set_header("Access-Control-Allow-Origin", options_.cors_origins);
          res.set_header("Vary", "Origin");
        }
        if (req.method == "OPTIONS") {
          res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
          res.set_header("Access-Control-Allow-Headers",
                         "Content-Type, If-None-Match");
          res.status = 204;
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  if (options_.access_log) {
    http.set_logger(
        [](const httplib::Request &req, const httplib::Response &res) {
          auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - request_started)
                            .count();
          std::fprintf(stderr, "%s %s %d %lldus\n", req.method.c_str(),
                       req.path.c_str(), res.status,
                       static_cast<long long>(micros));
        });
  }
  http.set_error_handler(
      [](const httplib::Request &req, httplib::Response &res) {
        if (!res.body.empty())
          return;
        std::string detail =
            res.status == 404
                ? "no route for " + req.method + " " + req.path
                : "request failed with status " + std::to_string(res.status);
        res.set_content(json{{"detail", detail}}.dump(), "application/json");
      });
  http.set_exception_handler([](const httplib::Request &req,
                                httplib::Response &res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep)
        std::rethrow_exception(ep);
    } catch (const std::exception &e) {
      what = std::string("internal error: ") + e.what();
    } catch (...) {
    }
    std::fprintf(stderr, "error handling %s %s: %s\n", req.method.c_str(),
                 req.path.c_str(), what.c_str());
    res.status = 500;
    res.set_content(json{{"detail", what}}.dump(), "application/json");
  });

  http.Get(
      "/health", json_handler([this](const httplib::Request &) -> Result<json> {
        auto stats = cache_.stats();
        auto catalog = cache_.catalog();
        return json{{"status", catalog ? "healthy" : "degraded"},
                    {"data_source", cache_.store().describe()},
                    {"data_source_error",
                     catalog ? json(nullptr) : json(catalog.error().message)},
                    {"tracks", catalog ? (*catalog)->tracks().size() : 0},
                    {"cache",
                     {{"sessions", stats.sessions},
                      {"bytes", stats.bytes},
                      {"max_bytes", stats.max_bytes},
                      {"loads", stats.loads},
                      {"hits", stats.hits},
                      {"evictions", stats.evictions}}}};
      }));

  http.Get("/api/analytics/tracks",
           json_handler([this](const httplib::Request &) -> Result<json> {
             auto catalog = cache_.catalog();
             if (!catalog)
               return std::unexpected(catalog.error());
             json out = json::array();
             for (const auto &t : (*catalog)->tracks())
               out.push_back(t.id);
             return out;
           }));

  auto find_track = [this](const std::string &id)
      -> Result<
          std::pair<std::shared_ptr<const Catalog>, const TrackCatalog *>> {
    auto catalog = cache_.catalog();
    if (!catalog)
      return std::unexpected(catalog.error());
    const TrackCatalog *track = (*catalog)->find_track(id);
    if (!track)
      return make_error(ErrorKind::NotFound, "track '" + id + "' not found");
    return std::make_pair(*catalog, track);
  };

  http.Get(
      std::string("/api/analytics/track/") + kSegment + "/sessions",
      json_handler([find_track](const httplib::Request &req) -> Result<json> {
        auto track = find_track(req.matches[1]);
        if (!track)
          return std::unexpected(track.error());
        json out = json::array();
        for (const auto &s : track->second->sessions)
          out.push_back(s.id);
        return out;
      }));

  http.Get(
      std::string("/api/analytics/track/") + kSegment + "/files",
      json_handler([find_track](const httplib::Request &req) -> Result<json> {
        auto track = find_track(req.matches[1]);
        if (!track)
          return std::unexpected(track.error());
        return track_files_json(*track->second);
      }));

  using SessionHandler = std::function<Result<json>(const httplib::Request &,
                                                    const LoadedSession &)>;
  auto session_handler = [this](SessionHandler handler) {
    return json_handler([this, handler = std::move(handler)](
                            const httplib::Request &req) -> Result<json> {
      auto loaded = cache_.session(req.matches[1].str(), req.matches[2].str());
      if (!loaded)
        return std::unexpected(loaded.error());
      return handler(req, **loaded);
    });
  };
  auto driver_of = [](const httplib::Request &req,
                      const LoadedSession &s) -> Result<const DriverSummary *> {
    const DriverSummary *driver = s.analysis.find_driver(req.matches[3].str());
    if (!driver)
      return make_error(ErrorKind::NotFound,
                        "driver '" + req.matches[3].str() + "' not found in " +
                            s.session.track_id + " " + s.session.session_id);
    return driver;
  };

  http.Get(session_route("/drivers"),
           session_handler([](const httplib::Request &,
                              const LoadedSession &s) -> Result<json> {
             json out = json::array();
             for (const auto &d : s.analysis.drivers)
               out.push_back(d.driver_id);
             return out;
           }));
  http.Get(session_route("/best-lap"),
           session_handler([](const httplib::Request &,
                              const LoadedSession &s) -> Result<json> {
             if (!s.analysis.best_lap)
               return make_error(ErrorKind::NotFound,
                                 "no valid lap in " + s.session.track_id + " " +
                                     s.session.session_id);
             return best_lap_json(s.analysis, s.session.track_id,
                                  s.session.session_id);
           }));
  http.Get(session_route("/driver/([^/]+)/performance"),
           session_handler([driver_of](const httplib::Request &req,
                                       const LoadedSession &s) -> Result<json> {
             auto driver = driver_of(req, s);
             if (!driver)
               return std::unexpected(driver.error());
             return performance_json(**driver);
           }));
  http.Get(session_route("/laps"),
           session_handler([](const httplib::Request &,
                              const LoadedSession &s) -> Result<json> {
             return laps_json(s.analysis.laps);
           }));
  http.Get(session_route("/cars"),
           session_handler([](const httplib::Request &,
                              const LoadedSession &s) -> Result<json> {
             json out = json::array();
             for (const auto &link : s.analysis.links)
               out.push_back(car_link_json(link));
             return out;
           }));
  http.Get(
      session_route("/files"),
      session_handler([find_track](const httplib::Request &req,
                                   const LoadedSession &s) -> Result<json> {
        auto track = find_track(req.matches[1]);
        if (!track)
          return std::unexpected(track.error());
        return session_files_json(*track->second, s.files, s.session);
      }));
}

Result<int> ApiServer::bind() {
  int port =
      options_.port == 0
          ? http_->bind_to_any_port(options_.host)
          : (http_->bind_to_port(options_.host, options_.port) ? options_.port
                                                               : -1);
  if (port <= 0)
    return make_error(
        ErrorKind::Unavailable,
        "cannot listen on " + options_.host + ":" +
            std::to_string(options_.port) +
            " (port in use, or HOST is not an address of this machine)");
  return port;
}

Status ApiServer::listen_after_bind() {
  if (!http_->listen_after_bind())
    return make_error(ErrorKind::Unavailable,
                      "the HTTP server stopped unexpectedly");
  return {};
}

Status ApiServer::run() {
  auto port = bind();
  if (!port)
    return std::unexpected(port.error());
  std::fprintf(stderr, "apex: serving %s on http://%s:%d\n",
               cache_.store().describe().c_str(), options_.host.c_str(), *port);
  return listen_after_bind();
}

void ApiServer::stop() { http_->stop(); }

} // namespace apex
