// ApiServer: the HTTP API over a SessionCache. Routes map to analysis results as
// JSON; errors become {"detail": ...} with the right status; every GET carries an
// ETag and answers If-None-Match with 304; gzip when the client accepts it.
#pragma once

#include <memory>
#include <string>

#include "server/session_cache.h"

namespace httplib {
class Server;
}

namespace apex {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::string cors_origins = "*";
  bool access_log = true;
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

 private:
  void register_routes();
  SessionCache& cache_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> http_;
};

// HTTP status for an error kind (404 NotFound, 400 InvalidInput, 503 store failures, 500 corrupt data).
int http_status_for(ErrorKind kind);

}  // namespace apex
