#include "server/api_server.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <expected>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "core/counted_noun.h"
#include "core/json_text.h"
#include "formats/track_facts_parser.h"
#include "server/api_routes.h"
#include "server/deadline_http_server.h"
#include "server/request_validation.h"
#include "server/route_table.h"
#include "server/static_assets.h"

namespace apex {

using nlohmann::json;

namespace {

// Request bodies are a few hundred bytes (the pit-strategy form); refuse anything huge.
constexpr std::size_t kMaxRequestBodyBytes = 64 * 1024;
// httplib closes a keep-alive connection after this many requests (its default is 5).
constexpr std::size_t kKeepAliveMaxRequests = 1000;
// HTTP worker threads (see configure_http).
constexpr std::size_t kWorkerThreads = 64;

thread_local std::chrono::steady_clock::time_point request_started;

// If-None-Match holds one tag, a list, W/ weak tags or *.
bool etag_matches(const std::string& header, const std::string& etag) {
  if (header.empty()) return false;
  std::string_view rest = header;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view tag = rest.substr(0, comma);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

// The parameter names of the query string only: httplib also puts the fields of a
// form-encoded body into req.params, and those are not query parameters. A pair with a
// second raw '=' is an error: httplib reads `points=50;points=60` or `points=abc=60` as one
// parameter whose value is what follows the last '=', so a repeat or a bad value would pass
// unseen (percent-encoded, %3D, an '=' is an ordinary character).
std::expected<std::vector<std::string>, std::string> query_names(std::string_view target) {
  std::vector<std::string> names;
  auto question = target.find('?');
  if (question == std::string_view::npos) return names;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.find('=', eq + 1) != std::string_view::npos)
      return std::unexpected("query parameter '" +
                             std::string(pair.substr(0, std::min<std::size_t>(eq, 64))) +
                             "' has a second '=' in its value ('" + std::string(pair.substr(0, 80)) +
                             "'): separate parameters with '&', and percent-encode an '=' in a value as %3D");
    std::string_view raw = pair.substr(0, eq);
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    std::string name;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
        name.push_back(static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2])));
        i += 2;
      } else {
        name.push_back(raw[i] == '+' ? ' ' : raw[i]);
      }
    }
    if (!name.empty()) names.push_back(std::move(name));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return names;
}

void send_error(httplib::Response& res, const ApiError& error) {
  res.status = error.status;
  res.set_content(json_text(json{{"detail", error.detail}}), "application/json");
}

void send_reply(const httplib::Request& req, httplib::Response& res, Reply reply) {
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
    if (json_body)
      res.set_header("Vary", "Accept-Encoding");  // httplib gzips JSON for clients that accept it
    if (etag_matches(req.get_header_value("If-None-Match"), etag)) {
      res.status = 304;
      return;
    }
  }
  res.set_content(std::move(text), reply.content_type.c_str());
}

std::optional<std::filesystem::path> find_track_facts(const ServerOptions& options, std::string& looked) {
  std::vector<std::filesystem::path> candidates;
  if (options.track_facts_path) {
    candidates.push_back(*options.track_facts_path);
  } else if (const char* env = std::getenv("APEX_TRACK_FACTS"); env && *env) {
    candidates.emplace_back(env);
  } else {
    candidates.emplace_back("reference/track_facts.json");
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
      candidates.push_back(exe.parent_path().parent_path() / "reference" / "track_facts.json");
      candidates.push_back(exe.parent_path() / "reference" / "track_facts.json");
    }
  }
  for (const auto& c : candidates) {
    looked += (looked.empty() ? "" : ", ") + c.string();
    std::error_code ec;
    if (std::filesystem::is_regular_file(c, ec)) return c;
  }
  return std::nullopt;
}

}  // namespace

ApiServer::ApiServer(SessionCache& cache, ServerOptions options)
    : cache_(cache),
      options_(std::move(options)),
      context_(std::make_unique<ApiContext>(ApiContext{cache, nullptr, {}, nullptr})),
      routes_(std::make_unique<RouteTable>()),
      http_(std::make_unique<DeadlineHttpServer>(options_.request_deadline)) {
  std::string looked;
  if (auto path = find_track_facts(options_, looked)) {
    std::ifstream in(*path);
    std::stringstream text;
    text << in.rdbuf();
    auto book = parse_track_facts(text.str(), path->string());
    if (book) {
      context_->facts = std::make_shared<const TrackFactsBook>(std::move(*book));
      context_->facts_origin = path->string();
      if (options_.access_log)
        std::fprintf(stderr, "apex: track facts from %s (%s)\n", path->c_str(),
                     counted(context_->facts->tracks().size(), "track").c_str());
    } else {
      std::fprintf(stderr, "apex: track facts not used: %s\n", book.error().message.c_str());
    }
  } else if (options_.access_log) {
    std::fprintf(stderr,
                 "apex: no track facts file (looked for %s): detailed-performance has no track_info\n",
                 looked.c_str());
  }
  add_meta_routes(*routes_, *context_);
  add_analytics_routes(*routes_, *context_);
  add_telemetry_routes(*routes_, *context_);
  add_strategy_routes(*routes_, *context_);
  configure_http();
}

ApiServer::~ApiServer() = default;

void ApiServer::configure_http() {
  auto& http = *http_;
  http.set_tcp_nodelay(true);  // answers are one small write; Nagle would hold them for the ACK
  // httplib's default listening socket sets SO_REUSEPORT, which lets a second `apex serve`
  // on the same port start without error and take a share of the connections. SO_REUSEADDR
  // alone still allows a restart while old connections linger in TIME_WAIT, and makes a
  // busy port the "cannot listen" error of bind().
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    (void)::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  http.set_keep_alive_max_count(kKeepAliveMaxRequests);
  http.set_payload_max_length(kMaxRequestBodyBytes);
  // Slow or idle clients: each read and write on a connection gives up after these, and an
  // idle keep-alive connection is closed, so a stalled client frees its worker thread.
  // (httplib also caps the request line and each header line at 8 KiB, compiled in.) A
  // whole request must also arrive within options_.request_deadline (DeadlineHttpServer).
  const auto seconds_and_micros = [](std::chrono::milliseconds d) {
    return std::pair<time_t, time_t>(static_cast<time_t>(d.count() / 1000),
                                     static_cast<time_t>((d.count() % 1000) * 1000));
  };
  auto [read_s, read_us] = seconds_and_micros(options_.read_timeout);
  auto [write_s, write_us] = seconds_and_micros(options_.write_timeout);
  http.set_read_timeout(read_s, read_us);
  http.set_write_timeout(write_s, write_us);
  http.set_keep_alive_timeout(static_cast<time_t>(options_.keep_alive_timeout.count()));
  // More workers than httplib's default (8 on a small machine), so a few stalled clients
  // or cold loads waiting on S3 cannot take every thread; an idle thread costs only its stack.
  http.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };

  // Dashboard mount (static_assets.h): `/` for browsers and web/dist's files, before the
  // route table; every other request, and all of them when web/dist is absent, goes on.
  auto dashboard = std::make_shared<const StaticAssets>(locate_dashboard(dashboard_dir_option()).dir);

  // Routing happens here, from the route table, so httplib's regex router is never used.
  // GET and HEAD, and requests without a body, are answered before httplib reads a body;
  // a POST with one falls through to the catch-all handlers below once its body is read.
  auto dispatch = [this, dashboard](const httplib::Request& req, httplib::Response& res) {
    // Before anything looks at the decoded path: decoding turns %2F into a separator and
    // %00 into a terminator, so such a target is refused as sent.
    if (auto problem = raw_target_problem(req.target)) return send_error(res, api_error(400, *problem));
    if (dashboard->handle(req, res)) return;  // dashboard mount (see above)
    auto match = routes_->match(req.method, req.path);
    if (!match.route) {
      if (!match.allowed_methods.empty()) {
        std::string allowed;
        for (const auto& m : match.allowed_methods) allowed += (allowed.empty() ? "" : ", ") + m;
        res.set_header("Allow", allowed);
        return send_error(res, api_error(405, req.method + " is not allowed on " + req.path +
                                                  " (allowed: " + allowed + ")"));
      }
      return send_error(res, api_error(404, "no route for " + req.method + " " + req.path + " (see /docs)"));
    }
    const auto names = query_names(req.target);
    if (!names) return send_error(res, api_error(400, names.error()));
    for (const auto& name : *names) {
      bool known = std::any_of(match.route->query.begin(), match.route->query.end(),
                               [&](const QueryParam& q) { return q.name == name; });
      // No route takes a list by repetition: `points=50&points=abc` would answer with the
      // first and ignore the second, so a repeated parameter is an error like an unknown one.
      if (known && req.get_param_value_count(name) > 1)
        return send_error(res, api_error(400, "query parameter '" + name + "' given more than once"));
      if (known) continue;
      std::string accepted;
      for (const auto& q : match.route->query) accepted += (accepted.empty() ? "" : ", ") + q.name;
      return send_error(
          res, api_error(400, "unknown query parameter '" + name + "' for " + match.route->path +
                                  (accepted.empty() ? " (it takes none)" : " (accepted: " + accepted + ")")));
    }
    // Every client-controlled value is checked here, once, so no handler, catalog lookup or
    // store key ever sees "..", a slash, a control character or a megabyte-long name.
    for (const auto& [name, value] : match.path_params)
      if (auto problem = path_parameter_problem(name, value))
        return send_error(res, api_error(400, *problem));
    for (const auto& [name, value] : req.params)
      if (auto problem = query_value_problem(name, value)) return send_error(res, api_error(400, *problem));
    RouteResult result = [&]() -> RouteResult {
      try {
        return match.route->handler(RouteRequest(req, std::move(match.path_params)));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "apex: error handling %s %s: %s\n", req.method.c_str(), req.path.c_str(),
                     e.what());
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
  };

  // CORS_ORIGINS: "*" (the original's default), one origin, or a comma-separated list
  // from which the request's Origin is echoed when it is listed.
  std::vector<std::string> origins;
  for (std::string_view rest = options_.cors_origins; !rest.empty();) {
    auto comma = rest.find(',');
    std::string_view one = rest.substr(0, comma);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (!one.empty()) origins.emplace_back(one);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  http.set_pre_routing_handler([origins, dispatch, token = options_.api_token](const httplib::Request& req,
                                                                               httplib::Response& res) {
    request_started = std::chrono::steady_clock::now();
    if (origins.size() == 1 && origins.front() == "*") {
      res.set_header("Access-Control-Allow-Origin", "*");
    } else if (!origins.empty()) {
      res.set_header("Vary", "Origin");
      std::string origin = req.get_header_value("Origin");
      if (std::find(origins.begin(), origins.end(), origin) != origins.end())
        res.set_header("Access-Control-Allow-Origin", origin);
    }
    if (req.method == "OPTIONS") {
      res.set_header("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
      res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, If-None-Match");
      res.set_header("Access-Control-Max-Age", "600");
      res.status = 204;
      return httplib::Server::HandlerResponse::Handled;
    }
    // API_TOKEN: checked before routing and before a POST body is read, so a client without
    // the token learns nothing (not even which routes exist) and costs no body read. The
    // token is never logged: the access log prints the target, not the headers.
    if (!token.empty() && (req.path == "/api" || req.path.starts_with("/api/")) &&
        !bearer_token_matches(req.get_header_value("Authorization"), token)) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"apex\"");
      send_error(res, api_error(401, req.has_header("Authorization")
                                         ? "the Authorization header does not carry the API token"
                                         : "this API needs a token: send 'Authorization: Bearer <token>'"));
      return httplib::Server::HandlerResponse::Handled;
    }
    // A request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112,
    // 6.3), but httplib 0.11.4 reads a POST's body until the connection closes: `curl -X
    // POST` without -d waited out the read timeout and got a bare 400 instead of the route's
    // answer (405, or pit-strategy's 422). Such a request is routed here with its empty body.
    const bool no_body = !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding");
    if (req.method == "GET" || req.method == "HEAD" || no_body) {
      dispatch(req, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.Post(".*", dispatch);
  http.Put(".*", dispatch);
  http.Patch(".*", dispatch);
  http.Delete(".*", dispatch);

  if (options_.access_log) {
    http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                          request_started)
                        .count();
      std::fprintf(stderr, "%s %s %d %lldus\n", req.method.c_str(), req.target.c_str(), res.status,
                   static_cast<long long>(micros));
    });
  }
  // httplib's own failures (malformed request line, body too large) as JSON too.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string detail = res.status == 404 ? "no route for " + req.method + " " + req.path
                         : res.status == 413
                             ? "request body larger than " + std::to_string(kMaxRequestBodyBytes) + " bytes"
                             : "request failed with status " + std::to_string(res.status);
    res.set_content(json_text(json{{"detail", detail}}), "application/json");
  });
  http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = std::string("internal error: ") + e.what();
    } catch (...) {
    }
    std::fprintf(stderr, "apex: error handling %s %s: %s\n", req.method.c_str(), req.path.c_str(),
                 what.c_str());
    res.status = 500;
    res.set_content(json_text(json{{"detail", what}}), "application/json");
  });
}

Result<int> ApiServer::bind() {
  int port = options_.port == 0 ? http_->bind_to_any_port(options_.host)
                                : (http_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port <= 0)
    return make_error(ErrorKind::Unavailable,
                      "cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                          " (port in use, or HOST is not an address of this machine)");
  return port;
}

Status ApiServer::listen_after_bind() {
  if (!http_->listen_after_bind())
    return make_error(ErrorKind::Unavailable, "the HTTP server stopped unexpectedly");
  return {};
}

Status ApiServer::run(const std::function<void()>& after_bind) {
  auto port = bind();
  if (!port) return std::unexpected(port.error());
  if (after_bind) after_bind();
  std::fprintf(stderr, "apex: serving %s on http://%s:%d\n", cache_.store().describe().c_str(),
               options_.host.c_str(), *port);
  return listen_after_bind();
}

void ApiServer::stop() {
  http_->stop();
}

bool ApiServer::running() const {
  return http_->is_running();
}

}  // namespace apex
