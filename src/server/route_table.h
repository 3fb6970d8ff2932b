// The API's routes as data: method, path template, parameters, body and response
// schemas, and the handler. The server dispatches from this table and /openapi.json is
// generated from it, so the document cannot list a route the server does not answer, or
// miss one it does.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "server/http/http_message.h"
#include "server/session_cache.h"

namespace apex {

// A failure as the client sees it: the status and the "detail" member of the JSON body
// (a string, or FastAPI's list of {loc, msg, type} for 422 body validation).
struct ApiError {
  int status = 500;
  nlohmann::json detail;
};

// HTTP status for an error kind (404 NotFound, 400 InvalidInput, 503 store failures worth
// retrying, 500 corrupt or unreadable data).
int http_status_for(ErrorKind kind);
ApiError api_error(const Error& error);
ApiError api_error(int status, std::string detail);
// 422 in FastAPI's shape: {"detail": [{"loc": ["body", field], "msg": ..., "type": ...}]}.
ApiError body_error(std::string_view field, std::string message, std::string type);

struct Reply {
  int status = 200;
  nlohmann::json body;
  std::string text;  // a non-JSON body (the /docs page); used when content_type is not JSON
  std::string content_type = "application/json";
  // An answer already serialised (from a session's memo): sent as is, body ignored.
  std::shared_ptr<const ResponseMemo::Body> serialized = nullptr;

  static Reply json(nlohmann::json body, int status = 200) {
    return Reply{status, std::move(body), {}, "application/json"};
  }
  static Reply html(std::string page) {
    return Reply{200, nullptr, std::move(page), "text/html; charset=utf-8"};
  }
};

using RouteResult = std::expected<Reply, ApiError>;

class RouteRequest {
 public:
  RouteRequest(const ServerRequest& http, std::vector<std::pair<std::string, std::string>> path_params)
      : http_(http), path_params_(std::move(path_params)) {}
  const ServerRequest& http() const { return http_; }
  // A path parameter by its name in the template; empty when the route has none of that name.
  const std::string& path(std::string_view name) const;
  // A query parameter; nullopt when absent.
  std::optional<std::string> query(std::string_view name) const;
  const std::string& body() const;

 private:
  const ServerRequest& http_;
  std::vector<std::pair<std::string, std::string>> path_params_;
};

using RouteHandler = std::function<RouteResult(const RouteRequest&)>;

struct QueryParam {
  std::string name;
  nlohmann::json schema;  // JSON Schema of the value
  std::string description;
  nlohmann::json example = nullptr;  // shown in /docs; the OpenAPI check sends it
};

struct ResponseSpec {
  int status = 200;
  std::string description;
  nlohmann::json schema;  // null: no JSON body described
  std::string content_type = "application/json";
};

// Built with designated initializers; every member has a default so a route names
// only what it has.
struct Route {
  std::string method{};  // GET or POST
  std::string path{};    // OpenAPI template: /api/analytics/track/{track}/sessions
  std::string tag{};
  std::string summary{};
  std::string description{};
  std::vector<QueryParam> query{};
  nlohmann::json request_body{};          // schema of a JSON body; null: none
  nlohmann::json request_body_example{};  // used by /docs and the OpenAPI checks
  std::vector<ResponseSpec> responses{};  // the 2xx answers and any specific errors
  // Examples of path parameters for this route where the shared ones (openapi.cpp) do not
  // apply, e.g. a track that has telemetry for the telemetry routes.
  std::map<std::string, nlohmann::json> path_examples{};
  RouteHandler handler{};
};

class RouteTable {
 public:
  // Adds a route; the template's {name} segments become path parameters.
  void add(Route route);

  struct Match {
    const Route* route = nullptr;
    std::vector<std::pair<std::string, std::string>> path_params;
    std::vector<std::string> allowed_methods;  // when the path exists but not for this method
  };
  // HEAD matches GET routes. A literal segment beats a parameter at the same place.
  Match match(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string> segments;  // "{name}" for a parameter
  };
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

// Strong ETag of a body: "\"<16 hex digits>\"" (FNV-1a 64).
std::string strong_etag(std::string_view body);
// The JSON text and ETag of a body, as the memo keeps them.
std::shared_ptr<const ResponseMemo::Body> serialize_body(const nlohmann::json& body);

// Splits a path on '/', dropping the empty first segment: "/a/b" -> {"a", "b"}.
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace apex
