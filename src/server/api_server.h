// ApiServer: the HTTP API over a SessionCache. Routes come from one RouteTable (the
// handlers and /openapi.json are both built from it); errors become {"detail": ...}
// with the right status; every GET 200 carries an ETag and answers If-None-Match with
// 304; JSON is gzip-compressed when the client accepts it; one access log line per
// request (method, target, status, microseconds).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "server/http/http_server.h"
#include "server/session_cache.h"

namespace apex {

struct ApiContext;
class RouteTable;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::string cors_origins = "*";
  bool access_log = true;
  // Open connections one client address may hold (0: no limit).
  std::size_t max_connections_per_client = 2'000;
  // Empty: the API is open. Else every /api/... request must send "Authorization: Bearer
  // <api_token>" (401 otherwise); /health, /, /docs and /openapi.json stay open.
  std::string api_token;
  // A client that takes nothing of our answer for this long is disconnected.
  std::chrono::milliseconds write_timeout{5'000};
  // How long an open connection waits for the first byte of its next request.
  std::chrono::seconds keep_alive_timeout{5};
  // A request must arrive whole (request line, headers, body) within this long of its first
  // byte, else it is answered 408 and the connection closed.
  std::chrono::milliseconds request_deadline{10'000};
  // The track facts file (reference/track_facts.json). Unset: $APEX_TRACK_FACTS, then
  // reference/track_facts.json in the working directory, then beside the binary's folder.
  std::optional<std::filesystem::path> track_facts_path;
};

class ApiServer {
 public:
  ApiServer(SessionCache& cache, ServerOptions options);
  ~ApiServer();

  // Binds and serves until stop() is called from another thread or a signal handler.
  // after_bind runs once the socket listens and before serving: a thread that may call
  // stop() should be told about the server there.
  Status run(const std::function<void()>& after_bind = nullptr);
  // Binds to port 0 semantics: returns the bound port; then call listen_after_bind().
  Result<int> bind();
  Status listen_after_bind();
  // Stops accepting connections; requests already received are answered, then run() and
  // listen_after_bind() return. From any thread, once; a stop before serving makes run()
  // return at once.
  void stop();
  bool running() const;

  const RouteTable& routes() const { return *routes_; }

 private:
  void load_track_facts();
  SessionCache& cache_;
  ServerOptions options_;
  std::unique_ptr<ApiContext> context_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<HttpServer> http_;
};

}  // namespace apex
