#include "server/api_dispatch.h"

#include <algorithm>
#include <cstdio>
#include <expected>
#include <nlohmann/json.hpp>

#include "core/blocking_scope.h"
#include "core/json_text.h"
#include "core/text.h"
#include "server/http/access_log.h"
#include "server/http/gzip.h"
#include "server/request_validation.h"
#include "server/route_table.h"

namespace apex {

using nlohmann::json;

namespace {

// If-None-Match holds one tag, a list, W/ weak tags or *. A client holding the gzip
// representation sends its tag (server/http/gzip.h).
bool etag_matches(const std::string& header, const std::string& etag) {
  if (header.empty()) return false;
  std::string_view rest = header;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view tag = trim(rest.substr(0, comma));
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag || tag == gzip_etag(etag)) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

// A pair with a second raw '=' is an error: `points=50;points=60` or `points=abc=60` would
// otherwise read as one parameter, and a repeat or a bad value would pass unseen
// (percent-encoded, %3D, an '=' is an ordinary character).
std::optional<std::string> query_pair_problem(std::string_view target) {
  auto question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.find('=', eq + 1) != std::string_view::npos)
      return "query parameter '" + std::string(pair.substr(0, std::min<std::size_t>(eq, 64))) +
             "' has a second '=' in its value ('" + std::string(pair.substr(0, 80)) +
             "'): separate parameters with '&', and percent-encode an '=' in a value as %3D";
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

void send_error(ServerResponse& res, const ApiError& error) {
  res.status = error.status;
  res.set_content(json_text(json{{"detail", error.detail}}), "application/json");
}

void send_reply(const ServerRequest& req, ServerResponse& res, Reply reply) {
  const bool json_body = reply.content_type.starts_with("application/json");
  std::string text;
  std::string etag;
  if (reply.serialized) {
    text = reply.serialized->text;
    etag = reply.serialized->etag;
  } else {
    text = json_body ? json_text(reply.body) : std::move(reply.text);
  }
  res.status = reply.status;
  if ((req.method == "GET" || req.method == "HEAD") && reply.status == 200) {
    if (etag.empty()) etag = strong_etag(text);
    res.set_header("ETag", etag);
    res.set_header("Cache-Control", "no-cache");
    if (json_body) res.set_header("Vary", "Accept-Encoding");  // JSON is gzipped for clients that accept it
    if (etag_matches(req.get_header_value("If-None-Match"), etag)) {
      res.status = 304;
      return;
    }
  }
  res.set_content(std::move(text), reply.content_type);
}

// Why a query parameter of the request is refused by the route: unknown, or repeated.
std::optional<ApiError> query_problem(const ServerRequest& req, const Route& route) {
  std::vector<std::string> seen;
  for (const auto& [name, value] : req.params) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    const bool known = std::any_of(route.query.begin(), route.query.end(),
                                   [&](const QueryParam& q) { return q.name == name; });
    // No route takes a list by repetition: `points=50&points=abc` would answer with the
    // first and ignore the second, so a repeated parameter is an error like an unknown one.
    if (known && req.get_param_value_count(name) > 1)
      return api_error(400, "query parameter '" + name + "' given more than once");
    if (known) continue;
    std::string accepted;
    for (const auto& q : route.query) accepted += (accepted.empty() ? "" : ", ") + q.name;
    return api_error(400, "unknown query parameter '" + name + "' for " + route.path +
                              (accepted.empty() ? " (it takes none)" : " (accepted: " + accepted + ")"));
  }
  for (const auto& [name, value] : req.params)
    if (auto problem = query_value_problem(name, value)) return api_error(400, *problem);
  return std::nullopt;
}

}  // namespace

ApiDispatch::ApiDispatch(const RouteTable& routes, const SessionCache& cache,
                         std::shared_ptr<const StaticAssets> dashboard, CorsPolicy cors,
                         std::string api_token)
    : routes_(routes),
      cache_(cache),
      dashboard_(std::move(dashboard)),
      cors_(std::move(cors)),
      api_token_(std::move(api_token)) {}

ServerResponse ApiDispatch::error_response(int status, const std::string& detail) {
  ServerResponse res;
  send_error(res, api_error(status, detail));
  return res;
}

std::optional<ServerResponse> ApiDispatch::before_body(const ServerRequest& req) const {
  if (req.method == "OPTIONS") return cors_.preflight(req);
  // API_TOKEN: checked before routing and before a body is read, so a client without the
  // token learns nothing (not even which routes exist) and costs no body read. The token is
  // never logged: the access log prints the target, not the headers.
  if (!api_token_.empty() && (req.path == "/api" || req.path.starts_with("/api/")) &&
      !bearer_token_matches(req.get_header_value("Authorization"), api_token_)) {
    ServerResponse res;
    res.set_header("WWW-Authenticate", "Bearer realm=\"apex\"");
    send_error(res, api_error(401, req.has_header("Authorization")
                                       ? "the Authorization header does not carry the API token"
                                       : "this API needs a token: send 'Authorization: Bearer <token>'"));
    cors_.apply(req, res);
    return res;
  }
  return std::nullopt;
}

void ApiDispatch::handle(const ServerRequest& req, ServerResponse& res) const {
  route(req, res);
  // `/` is the dashboard for browsers and the JSON root for scripts: chosen by Accept.
  if (req.path == "/" && dashboard_->available() && !res.headers.has("Vary"))
    res.headers.add("Vary", "Accept");
  cors_.apply(req, res);
}

bool ApiDispatch::handle_without_waiting(const ServerRequest& req, ServerResponse& res) const {
  NonBlockingScope scope;
  try {
    handle(req, res);
    return true;
  } catch (const WouldBlock&) {
    return false;
  }
}

void ApiDispatch::route(const ServerRequest& req, ServerResponse& res) const {
  // Before anything looks at the decoded path: decoding turns %2F into a separator and
  // %00 into a terminator, so such a target is refused as sent.
  if (auto problem = raw_target_problem(req.target)) return send_error(res, api_error(400, *problem));
  if (dashboard_->handle(req, res)) return;  // the dashboard's files and `/` for browsers
  auto match = routes_.match(req.method, req.path);
  if (!match.route) {
    if (!match.allowed_methods.empty()) {
      std::string allowed;
      for (const auto& m : match.allowed_methods) allowed += (allowed.empty() ? "" : ", ") + m;
      // HEAD is answered wherever GET is.
      if (std::find(match.allowed_methods.begin(), match.allowed_methods.end(), "GET") !=
          match.allowed_methods.end())
        allowed += ", HEAD";
      res.set_header("Allow", allowed);
      return send_error(
          res, api_error(405, req.method + " is not allowed on " + req.path + " (allowed: " + allowed + ")"));
    }
    return send_error(res, api_error(404, "no route for " + req.method + " " + req.path + " (see /docs)"));
  }
  if (auto problem = query_pair_problem(req.target)) return send_error(res, api_error(400, *problem));
  if (auto problem = query_problem(req, *match.route)) return send_error(res, *problem);
  // Every client-controlled value is checked here, once, so no handler, catalog lookup or
  // store key ever sees "..", a slash, a control character or a megabyte-long name.
  for (const auto& [name, value] : match.path_params)
    if (auto problem = path_parameter_problem(name, value)) return send_error(res, api_error(400, *problem));
  RouteResult result = [&]() -> RouteResult {
    try {
      return match.route->handler(RouteRequest(req, std::move(match.path_params)));
    } catch (const WouldBlock&) {
      throw;  // handle_without_waiting hands the request to a handler thread
    } catch (const std::exception& e) {
      std::fprintf(stderr, "apex: error handling %s %s: %s\n", log_escaped(req.method, 16).c_str(),
                   loggable_target(req.path).c_str(), log_escaped(e.what()).c_str());
      return std::unexpected(api_error(500, std::string("internal error: ") + e.what()));
    }
  }();
  // The store could not be re-listed: the answer comes from the catalog and sessions held
  // from before. Say so (RFC 7234's Warning 110 and the reason), so a client or a monitor
  // can tell a cached answer from a current one.
  if (std::string stale = cache_.stale_reason(); !stale.empty()) {
    for (char& c : stale)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    res.set_header("Warning", "110 apex \"Response is Stale\"");
    res.set_header("X-Apex-Stale", stale.substr(0, 300));
  }
  if (!result) return send_error(res, result.error());
  send_reply(req, res, std::move(*result));
}

}  // namespace apex
