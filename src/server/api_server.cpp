#include "server/api_server.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/counted_noun.h"
#include "formats/track_facts_parser.h"
#include "server/api_dispatch.h"
#include "server/api_routes.h"
#include "server/route_table.h"
#include "server/static_assets.h"

namespace apex {

namespace {

// Request bodies are a few hundred bytes (the pit-strategy form); refuse anything huge.
constexpr std::size_t kMaxRequestBodyBytes = 64 * 1024;
// The request line and all header fields together; a browser sends 1-2 KiB.
constexpr std::size_t kMaxRequestHeaderBytes = 16 * 1024;
// A keep-alive connection is closed after this many requests.
constexpr std::size_t kKeepAliveMaxRequests = 1000;
// Threads that run route handlers: a cold load waits on the store for seconds, and while it
// does, other requests need threads of their own. An idle thread costs only its stack.
constexpr std::size_t kHandlerThreads = 32;

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
      routes_(std::make_unique<RouteTable>()) {
  load_track_facts();
  add_meta_routes(*routes_, *context_);
  add_analytics_routes(*routes_, *context_);
  add_telemetry_routes(*routes_, *context_);
  add_strategy_routes(*routes_, *context_);

  auto dashboard = std::make_shared<const StaticAssets>(locate_dashboard(dashboard_dir_option()).dir);
  auto dispatch = std::make_shared<const ApiDispatch>(*routes_, cache_, std::move(dashboard),
                                                      CorsPolicy(options_.cors_origins), options_.api_token);
  HttpServerOptions http;
  http.host = options_.host;
  http.port = options_.port;
  // Twice the cores: a cached answer that takes long to compute (a telemetry analysis) then
  // shares the CPU with the other connections instead of holding an I/O thread alone.
  http.io_threads = std::clamp<std::size_t>(2 * std::thread::hardware_concurrency(), 2, 8);
  http.handler_threads = kHandlerThreads;
  http.header_limit_bytes = kMaxRequestHeaderBytes;
  http.body_limit_bytes = kMaxRequestBodyBytes;
  http.max_requests_per_connection = kKeepAliveMaxRequests;
  http.max_connections_per_client = options_.max_connections_per_client;
  http.idle_timeout = options_.keep_alive_timeout;
  http.request_deadline = options_.request_deadline;
  http.write_timeout = options_.write_timeout;
  http.access_log = options_.access_log;
  HttpHandlers handlers;
  handlers.before_body = [dispatch](const ServerRequest& req) { return dispatch->before_body(req); };
  handlers.handle_without_waiting = [dispatch](const ServerRequest& req, ServerResponse& res) {
    return dispatch->handle_without_waiting(req, res);
  };
  handlers.handle = [dispatch](const ServerRequest& req, ServerResponse& res) { dispatch->handle(req, res); };
  handlers.error = [](int status, const std::string& detail) {
    return ApiDispatch::error_response(status, detail);
  };
  http_ = std::make_unique<HttpServer>(std::move(http), std::move(handlers));
}

ApiServer::~ApiServer() = default;

void ApiServer::load_track_facts() {
  std::string looked;
  auto path = find_track_facts(options_, looked);
  if (!path) {
    if (options_.access_log)
      std::fprintf(stderr,
                   "apex: no track facts file (looked for %s): detailed-performance has no track_info\n",
                   looked.c_str());
    return;
  }
  std::ifstream in(*path);
  std::stringstream text;
  text << in.rdbuf();
  auto book = parse_track_facts(text.str(), path->string());
  if (!book) {
    std::fprintf(stderr, "apex: track facts not used: %s\n", book.error().message.c_str());
    return;
  }
  context_->facts = std::make_shared<const TrackFactsBook>(std::move(*book));
  context_->facts_origin = path->string();
  if (options_.access_log)
    std::fprintf(stderr, "apex: track facts from %s (%s)\n", path->c_str(),
                 counted(context_->facts->tracks().size(), "track").c_str());
}

Result<int> ApiServer::bind() {
  return http_->bind();
}

Status ApiServer::listen_after_bind() {
  return http_->run();
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
  return http_->running();
}

}  // namespace apex
