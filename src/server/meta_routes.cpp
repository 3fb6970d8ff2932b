// The service itself: a root with pointers (browsers get the dashboard, see static_assets.h), health with
// cache figures, the OpenAPI document generated from the route table, and the page that renders it.
#include <mutex>

#include "core/counted_noun.h"
#include "server/api_routes.h"
#include "server/api_schemas.h"
#include "server/openapi.h"
#include "server/telemetry_cache.h"

namespace apex {

namespace {
using nlohmann::json;
namespace s = schema;
}  // namespace

void add_meta_routes(RouteTable& table, ApiContext& context) {
  ApiContext* ctx = &context;

  table.add(Route{.method = "GET",
                  .path = "/",
                  .tag = "meta",
                  .summary = "Service name and where the documentation is",
                  .description = "Clients whose Accept header prefers text/html (browsers) get the web "
                                 "dashboard's index.html instead, when the dashboard is built (web/dist); "
                                 "its files are served under /assets/.",
                  .responses = {{200, "service", s::ref("Root")}},
                  .handler = [](const RouteRequest&) -> RouteResult {
                    return Reply::json(json{{"message", "GR Cup Racing Intelligence API (APEX)"},
                                            {"version", OpenApiInfo{}.version},
                                            {"docs", "/docs"},
                                            {"openapi", "/openapi.json"}});
                  }});

  table.add(Route{
      .method = "GET",
      .path = "/health",
      .tag = "meta",
      .summary = "Data source reachability and cache figures",
      .description = "Always 200: status is degraded when the data source cannot be listed.",
      .responses = {{200, "health", s::ref("Health")}},
      .handler = [ctx](const RouteRequest&) -> RouteResult {
        auto catalog = ctx->cache.catalog();  // re-lists first: stats then say how that went
        auto stats = ctx->cache.stats();
        const TelemetryCacheStats telemetry =
            ctx->telemetry ? ctx->telemetry->stats() : TelemetryCacheStats{};
        return Reply::json(json{
            {"status", catalog && stats.stale_reason.empty() ? "healthy" : "degraded"},
            {"data_source", ctx->cache.store().describe_publicly()},
            {"data_source_error", catalog ? json(nullptr) : json(catalog.error().message)},
            // Answers come from data listed before this failure.
            {"stale", stats.stale_reason.empty() ? json(nullptr) : json(stats.stale_reason)},
            {"tracks", catalog ? (*catalog)->tracks().size() : 0},
            // Loaded or not, never where from: a path on the server's disk.
            {"track_facts", ctx->facts ? json(counted(ctx->facts->tracks().size(), "track")) : json(nullptr)},
            {"cache",
             {{"sessions", stats.sessions},
              {"bytes", stats.bytes},
              {"max_bytes", stats.max_bytes},
              {"loads", stats.loads},
              {"hits", stats.hits},
              {"evictions", stats.evictions},
              // Parsed telemetry files, kept within what the sessions leave of max_bytes.
              {"telemetry",
               {{"files", telemetry.files},
                {"bytes", telemetry.bytes},
                {"loads", telemetry.loads},
                {"hits", telemetry.hits},
                {"evictions", telemetry.evictions}}}}}});
      }});

  // The table is complete by the first request; build the document once then.
  struct Cached {
    std::once_flag once;
    json document;
  };
  auto cached = std::make_shared<Cached>();
  const RouteTable* routes = &table;
  table.add(
      Route{.method = "GET",
            .path = "/openapi.json",
            .tag = "meta",
            .summary = "This API's OpenAPI 3.1 document",
            .description = "Generated from the server's route table: every route it answers, and only those.",
            .responses = {{200, "OpenAPI document", json{{"type", "object"}}}},
            .handler = [cached, routes](const RouteRequest&) -> RouteResult {
              std::call_once(cached->once, [&] { cached->document = openapi_document(*routes); });
              return Reply::json(cached->document);
            }});

  table.add(
      Route{.method = "GET",
            .path = "/docs",
            .tag = "meta",
            .summary = "The OpenAPI document in a browser",
            .responses = {{200, "HTML page", s::string(), "text/html"}},
            .handler = [](const RouteRequest&) -> RouteResult { return Reply::html(docs_page_html()); }});
}

}  // namespace apex
