// The route table the server dispatches from and /openapi.json is generated from:
// matching, path parameters, 405 information, and a document that lists exactly the
// server's routes with every path parameter described.
#include "server/route_table.h"

#include <gtest/gtest.h>

#include <set>

#include "core/json_text.h"
#include "server/api_server.h"
#include "server/openapi.h"
#include "storage/memory_store.h"

namespace apex {
namespace {

Route route(std::string method, std::string path) {
  return Route{.method = std::move(method), .path = std::move(path), .tag = "t", .summary = "s"};
}

TEST(RouteTable, MatchesTemplatesAndNamesParameters) {
  RouteTable table;
  table.add(route("GET", "/api/analytics/tracks"));
  table.add(route("GET", "/api/analytics/track/{track}/sessions"));
  table.add(route("GET", "/api/analytics/track/{track}/session/{session}/driver/{driver}/performance"));
  table.add(route("POST", "/api/strategy/track/{track}/session/{session}/driver/{driver}/pit-strategy"));

  auto m = table.match("GET", "/api/analytics/track/barber/session/R1/driver/GR86-022-13/performance");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->path, "/api/analytics/track/{track}/session/{session}/driver/{driver}/performance");
  ASSERT_EQ(m.path_params.size(), 3u);
  EXPECT_EQ(m.path_params[0], (std::pair<std::string, std::string>{"track", "barber"}));
  EXPECT_EQ(m.path_params[2].second, "GR86-022-13");

  EXPECT_NE(table.match("HEAD", "/api/analytics/tracks").route, nullptr) << "HEAD answers like GET";
  EXPECT_EQ(table.match("GET", "/api/analytics/tracks/").route, nullptr) << "no trailing slash";
  EXPECT_EQ(table.match("GET", "/api/analytics/track//sessions").route, nullptr) << "empty parameter";
  EXPECT_EQ(table.match("GET", "/api/analytics/track/a/b/sessions").route, nullptr);

  auto wrong_method = table.match("GET", "/api/strategy/track/t/session/R1/driver/13/pit-strategy");
  EXPECT_EQ(wrong_method.route, nullptr);
  EXPECT_EQ(wrong_method.allowed_methods, std::vector<std::string>{"POST"});
  auto unknown = table.match("GET", "/nothing");
  EXPECT_EQ(unknown.route, nullptr);
  EXPECT_TRUE(unknown.allowed_methods.empty());
}

TEST(RouteTable, LiteralSegmentBeatsParameter) {
  RouteTable table;
  table.add(route("GET", "/a/{x}"));
  table.add(route("GET", "/a/special"));
  EXPECT_EQ(table.match("GET", "/a/special").route->path, "/a/special");
  EXPECT_EQ(table.match("GET", "/a/other").route->path, "/a/{x}");
}

// Bytes from the data that are not UTF-8 (a Latin-1 folder name, a damaged vehicle id)
// are replaced in an answer instead of failing it.
TEST(RouteTable, AnswersWithBytesThatAreNotUtf8AreSerialized) {
  const nlohmann::json body = {{"track", "bad\xe9track"}, {"ids", {"GR86-\xff-45", "GR86-022-13"}}};
  const auto serialized = serialize_body(body);
  EXPECT_EQ(serialized->text,
            "{\"ids\":[\"GR86-\xef\xbf\xbd-45\",\"GR86-022-13\"],\"track\":\"bad\xef\xbf\xbdtrack\"}");
  EXPECT_EQ(json_text(nlohmann::json{{"detail", "caf\xe9"}}, 1), "{\n \"detail\": \"caf\xef\xbf\xbd\"\n}");
}

TEST(RouteTable, EtagIsStableAndDiffers) {
  EXPECT_EQ(strong_etag("{}"), strong_etag("{}"));
  EXPECT_NE(strong_etag("{\"a\":1}"), strong_etag("{\"a\":2}"));
  EXPECT_EQ(strong_etag("").size(), 18u);
  auto body = serialize_body(nlohmann::json{{"a", 1}});
  EXPECT_EQ(body->text, "{\"a\":1}");
  EXPECT_EQ(body->etag, strong_etag(body->text));
}

TEST(OpenApiDocument, ListsExactlyTheServersRoutes) {
  MemoryStore store;
  SessionCache cache(store, 1 << 20);
  ServerOptions options;
  options.access_log = false;
  ApiServer server(cache, options);
  auto doc = openapi_document(server.routes());
  EXPECT_EQ(doc["openapi"], "3.1.0");

  std::set<std::pair<std::string, std::string>> in_table, in_doc;
  for (const auto& r : server.routes().routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    EXPECT_TRUE(in_table.emplace(method, r.path).second) << "route twice: " << r.method << " " << r.path;
  }
  std::set<std::string> operation_ids;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      in_doc.emplace(method, path);
      EXPECT_TRUE(operation_ids.insert(op["operationId"].get<std::string>()).second) << path;
      EXPECT_FALSE(op["summary"].get<std::string>().empty()) << path;
      EXPECT_TRUE(op["responses"].contains("200") || op["responses"].contains("501"))
          << method << " " << path;
      EXPECT_TRUE(op["responses"].contains("400")) << "unknown query parameters are 400 everywhere";
      std::size_t braces = std::count(path.begin(), path.end(), '{');
      std::size_t path_params = 0;
      for (const auto& p : op.value("parameters", nlohmann::json::array()))
        if (p["in"] == "path") {
          ++path_params;
          EXPECT_TRUE(p.contains("example")) << path << " " << p["name"];
        }
      EXPECT_EQ(path_params, braces) << path;
      if (braces > 0) {
        EXPECT_TRUE(op["responses"].contains("404")) << path;
      }
    }
  }
  EXPECT_EQ(in_doc, in_table);

  // The endpoints the API promises, all present.
  for (auto [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"get", "/api/analytics/tracks"},
           {"get", "/api/analytics/track/{track}/sessions"},
           {"get", "/api/analytics/track/{track}/session/{session}/drivers"},
           {"get", "/api/analytics/track/{track}/session/{session}/best-lap"},
           {"get", "/api/analytics/track/{track}/session/{session}/driver/{driver}/performance"},
           {"get", "/api/analytics/track/{track}/session/{session}/driver/{driver}/detailed-performance"},
           {"get", "/api/analytics/track/{track}/session/{session}/driver/{driver}/speed-analysis"},
           {"get", "/api/analytics/track/{track}/session/{session}/driver/{driver}/braking-analysis"},
           {"get", "/api/analytics/track/{track}/session/{session}/driver/{driver}/amicos-analysis"},
           {"get", "/api/analytics/track/{track}/session/{session}/sector-analysis"},
           {"get", "/api/analytics/track/{track}/session/{session}/leaderboard"},
           {"get", "/api/analytics/track/{track}/session/{session}/weather"},
           {"get", "/api/analytics/track/{track}/session/{session}/results"},
           {"get", "/api/analytics/track/{track}/session/{session}/laps"},
           {"get", "/api/strategy/track/{track}/session/{session}/driver/{driver}/consistency"},
           {"get", "/api/strategy/track/{track}/session/{session}/driver/{driver}/tire-degradation"},
           {"post", "/api/strategy/track/{track}/session/{session}/driver/{driver}/pit-strategy"},
           {"get", "/api/telemetry/track/{track}/session/{session}/driver/{driver}/lap/{lap_number}"},
           {"get", "/api/telemetry/track/{track}/session/{session}/driver/{driver}/braking-analysis"},
           {"get", "/api/telemetry/track/{track}/session/{session}/driver/{driver}/speed-analysis"},
           {"get", "/openapi.json"},
           {"get", "/docs"},
           {"get", "/health"},
           {"get", "/"}})
    EXPECT_TRUE(in_doc.contains({method, path})) << method << " " << path;

  // Every $ref resolves.
  std::function<void(const nlohmann::json&)> check_refs = [&](const nlohmann::json& j) {
    if (j.is_object()) {
      if (j.contains("$ref")) {
        std::string name = j["$ref"].get<std::string>().substr(std::string("#/components/schemas/").size());
        EXPECT_TRUE(doc["components"]["schemas"].contains(name)) << name;
      }
      for (const auto& [k, v] : j.items()) check_refs(v);
    } else if (j.is_array()) {
      for (const auto& v : j) check_refs(v);
    }
  };
  check_refs(doc);
}

}  // namespace
}  // namespace apex
