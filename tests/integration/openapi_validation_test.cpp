// The OpenAPI document of the real `apex serve`, checked by a real validator from npm
// (@apidevtools/swagger-parser) and every documented operation replayed against the
// server with its responses validated against the document (Ajv), by
// tests/integration/openapi_check.mjs under node. Fails, with what to run, when node
// or tests/node_modules is missing: the check is part of the suite, never skipped.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "apex_server_process.h"
#include "test_io.h"

namespace apex {
namespace {

std::pair<int, std::string> run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(OpenApiValidation, DocumentIsValidAndTheServerAnswersAsDocumented) {
  const auto tests_dir = test::source_dir() / "tests";
  const auto modules = tests_dir / "node_modules";
  ASSERT_TRUE(std::filesystem::exists(modules / "@apidevtools" / "swagger-parser" / "package.json") &&
              std::filesystem::exists(modules / "ajv" / "package.json"))
      << "tests/node_modules has no @apidevtools/swagger-parser or ajv: run `make node-deps` "
         "(npm ci in tests/, versions pinned in tests/package-lock.json)";
  auto [node_status, node_version] = run("node --version");
  ASSERT_EQ(node_status, 0) << "node is not installed (Debian: apt-get install nodejs): " << node_version;

  test::ApexServerProcess server(test::source_dir() / "data");
  ASSERT_GT(server.port(), 0) << "apex serve did not start:\n" << server.log();
  const auto script = tests_dir / "integration" / "openapi_check.mjs";
  auto [status, output] =
      run("node '" + script.string() + "' http://127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("document valid"), std::string::npos) << output;
  std::printf("%s", output.c_str());
}

// The dashboard's API types are generated from web/openapi.json when the dashboard is built,
// which happens before apex is compiled: the committed document must be the one the server
// answers, and `apex openapi`, which writes it, must print that same document.
TEST(OpenApiValidation, DashboardSnapshotIsTheServersDocument) {
  int code = -1;
  const std::string printed = test::run_command(test::apex_binary().string() + " openapi", &code);
  ASSERT_EQ(code, 0) << printed;
  const auto from_cli = nlohmann::json::parse(printed, nullptr, false);
  ASSERT_FALSE(from_cli.is_discarded()) << "`apex openapi` printed no JSON document";

  test::ApexServerProcess server(test::source_dir() / "data");
  ASSERT_GT(server.port(), 0) << server.log();
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/openapi.json");
  ASSERT_TRUE(res);
  const auto live = nlohmann::json::parse(res->body);
  EXPECT_TRUE(from_cli == live) << "`apex openapi` and GET /openapi.json differ: "
                                << nlohmann::json::diff(live, from_cli).dump().substr(0, 2000);

  const auto snapshot_path = test::source_dir() / "web" / "openapi.json";
  const auto snapshot = nlohmann::json::parse(test::read_file(snapshot_path), nullptr, false);
  ASSERT_FALSE(snapshot.is_discarded()) << snapshot_path << " is missing or not JSON";
  // The differences as a JSON Patch from the snapshot to the live document, cut short.
  EXPECT_TRUE(snapshot == live) << snapshot_path
                                << " is not the document this apex serves: refresh it with "
                                   "`./build/apex openapi > web/openapi.json`, rebuild the dashboard "
                                   "(make web) and commit the file. Differences: "
                                << nlohmann::json::diff(snapshot, live).dump().substr(0, 2000);
}

// The routes the original frontend and the README name are all in the live document,
// and the document's paths are all answered (no "no route" 404).
TEST(OpenApiValidation, LiveDocumentListsEveryRouteTheServerAnswers) {
  test::ApexServerProcess server(test::source_dir() / "data");
  ASSERT_GT(server.port(), 0) << server.log();
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/openapi.json");
  ASSERT_TRUE(res);
  auto doc = nlohmann::json::parse(res->body);
  std::set<std::string> documented;
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items()) documented.insert(method + " " + path);
  const std::string s = "/api/analytics/track/{track}/session/{session}";
  const std::string st = "/api/strategy/track/{track}/session/{session}/driver/{driver}";
  const std::string t = "/api/telemetry/track/{track}/session/{session}/driver/{driver}";
  for (const std::string& op :
       std::vector<std::string>{"get /api/analytics/tracks",
                                "get /api/analytics/track/{track}/sessions",
                                "get /api/analytics/track/{track}/files",
                                "get " + s + "/drivers",
                                "get " + s + "/best-lap",
                                "get " + s + "/laps",
                                "get " + s + "/cars",
                                "get " + s + "/files",
                                "get " + s + "/sector-analysis",
                                "get " + s + "/leaderboard",
                                "get " + s + "/weather",
                                "get " + s + "/results",
                                "get " + s + "/quality",
                                "get " + s + "/driver/{driver}/performance",
                                "get " + s + "/driver/{driver}/detailed-performance",
                                "get " + s + "/driver/{driver}/speed-analysis",
                                "get " + s + "/driver/{driver}/braking-analysis",
                                "get " + s + "/driver/{driver}/amicos-analysis",
                                "get " + st + "/consistency",
                                "get " + st + "/tire-degradation",
                                "post " + st + "/pit-strategy",
                                "get " + t + "/lap/{lap_number}",
                                "get " + t + "/braking-analysis",
                                "get " + t + "/speed-analysis",
                                "get " + t + "/laps",
                                "get " + t + "/lap/{lap_number}/trace",
                                "get " + t + "/compare",
                                "get " + t + "/track-map",
                                "get /api/telemetry/track/{track}/session/{session}/vehicles",
                                "get /health",
                                "get /",
                                "get /openapi.json",
                                "get /docs"})
    EXPECT_TRUE(documented.contains(op)) << op;
  EXPECT_EQ(documented.size(), 33u) << "a route was added: name it above";
}

}  // namespace
}  // namespace apex
