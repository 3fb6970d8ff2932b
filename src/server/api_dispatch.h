// ApiDispatch: what the API does with a request once the HTTP server has read it. The
// dashboard's files first, then the route table: every client-controlled value checked
// (request_validation.h), the handler run, errors as {"detail": ...}, ETag and 304 on GET
// 200s, the stale-catalog warning. Before the body is read: CORS preflight and the token.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "server/cors_policy.h"
#include "server/http/http_message.h"
#include "server/session_cache.h"
#include "server/static_assets.h"

namespace apex {

class RouteTable;

class ApiDispatch {
 public:
  ApiDispatch(const RouteTable& routes, const SessionCache& cache,
              std::shared_ptr<const StaticAssets> dashboard, CorsPolicy cors, std::string api_token);

  // The answer that needs only the request's header: a CORS preflight, or 401 for an /api
  // request without the token. nullopt: read the body and call handle().
  std::optional<ServerResponse> before_body(const ServerRequest& request) const;
  void handle(const ServerRequest& request, ServerResponse& response) const;
  // handle(), unless answering means waiting for I/O or another thread (a cold session, a
  // first listing): false then, and the response is to be ignored.
  bool handle_without_waiting(const ServerRequest& request, ServerResponse& response) const;

  // The JSON error body the API answers with: {"detail": detail}.
  static ServerResponse error_response(int status, const std::string& detail);

 private:
  void route(const ServerRequest& request, ServerResponse& response) const;

  const RouteTable& routes_;
  const SessionCache& cache_;
  std::shared_ptr<const StaticAssets> dashboard_;
  CorsPolicy cors_;
  std::string api_token_;
};

}  // namespace apex
