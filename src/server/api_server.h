// ApiServer: the HTTP API over a SessionCache. Routes come from one RouteTable (the
// handlers and /openapi.json are both built from it); errors become {"detail": ...}
// with the right status; every GET 200 carries an ETag and answers If-None-Match with
// 304; JSON is gzip-compressed when the client accepts it; one access log line per
// request (method, target, status, microseconds).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "server/session_cache.h"

namespace httplib {
class Server;
}

namespace apex {

struct ApiContext;
class RouteTable;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::string cors_origins = "*";
  bool access_log = true;
  // The track facts file (reference/track_facts.json). Unset: $APEX_TRACK_FACTS, then
  // reference/track_facts.json in the working directory, then beside the binary's folder.
  std::optional<std::filesystem::path> track_facts_path;
};

class ApiServer {
 public:
  ApiServer(SessionCache& cache, ServerOptions options);
  ~ApiServer();

  // Binds and serves until stop() is called from another thread or a signal handler.
  Status run();
  // Binds to port 0 semantics: returns the bound port; then call listen_after_bind().
  Result<int> bind();
  Status listen_after_bind();
  void stop();

  const RouteTable& routes() const { return *routes_; }

 private:
  void configure_http();
  SessionCache& cache_;
  ServerOptions options_;
  std::unique_ptr<ApiContext> context_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<httplib::Server> http_;
};

}  // namespace apex
