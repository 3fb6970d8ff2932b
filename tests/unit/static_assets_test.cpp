// How `/` chooses between the dashboard (browsers) and the original's JSON root (scripts)
// from the Accept header, and which dashboard paths are refused before the file system
// is asked. A wrong answer either breaks every script written for the original service
// (HTML where JSON was expected) or hides the dashboard from browsers.
#include "server/static_assets.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace apex {
namespace {

TEST(PrefersHtml, BrowsersGetTheDashboard) {
  // As sent by Chromium, Firefox and Safari for a top-level navigation.
  EXPECT_TRUE(prefers_html(
      "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
      "application/signed-exchange;v=b3;q=0.7"));
  EXPECT_TRUE(prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
  EXPECT_TRUE(prefers_html("text/html"));
}

TEST(PrefersHtml, ScriptsKeepTheJsonRoot) {
  EXPECT_FALSE(prefers_html("")) << "no Accept header (python requests' default is */*; httplib sends none)";
  EXPECT_FALSE(prefers_html("*/*")) << "curl: a tie goes to JSON";
  EXPECT_FALSE(prefers_html("application/json"));
  EXPECT_FALSE(prefers_html("application/json, text/plain, */*")) << "axios";
  EXPECT_FALSE(prefers_html("application/json, text/html")) << "a tie goes to JSON";
  EXPECT_FALSE(prefers_html("application/*"));
}

TEST(PrefersHtml, QValuesRank) {
  EXPECT_TRUE(prefers_html("text/html, application/json;q=0.9"));
  EXPECT_FALSE(prefers_html("text/html;q=0.5, application/json"));
  EXPECT_TRUE(prefers_html("application/json;q=0.001, text/html;q=0.002"));
  EXPECT_FALSE(prefers_html("text/html;q=0, */*;q=0")) << "q=0 means not acceptable: nothing beats JSON";
  EXPECT_TRUE(prefers_html("text/html;level=1;q=0.5, application/json;q=0.4")) << "other parameters ignored";
  EXPECT_TRUE(prefers_html("text/html;Q=0.9, application/json;q=0.8")) << "the q name is case-insensitive";
  EXPECT_TRUE(prefers_html("text/html;q=1.000, application/json;q=0.999"));
}

TEST(PrefersHtml, TheMostSpecificRangeDecides) {
  // */* would give text/html 1, but the explicit text/html entry says 0.1.
  EXPECT_FALSE(prefers_html("text/html;q=0.1, */*"));
  EXPECT_TRUE(prefers_html("text/*")) << "text/html 1 through text/*, application/json 0";
  EXPECT_TRUE(prefers_html("text/*;q=0.3, */*;q=0.2")) << "html through text/* (0.3), json through */* (0.2)";
  EXPECT_FALSE(prefers_html("text/*, application/json, text/html;q=0.5")) << "text/html beats text/*";
  EXPECT_TRUE(prefers_html("*/*;q=0.1, text/html")) << "order does not matter";
}

TEST(PrefersHtml, ToleratesSpacingAndCase) {
  EXPECT_TRUE(prefers_html("  text/html ; q=0.9 ,\tapplication/json ; q=0.8 "));
  EXPECT_TRUE(prefers_html("TEXT/HTML, Application/JSON;q=0.5"));
  EXPECT_TRUE(prefers_html("text/html,")) << "an empty trailing item";
  EXPECT_TRUE(prefers_html(",,text/html"));
}

TEST(PrefersHtml, MalformedQValuesRankLast) {
  // Anything outside RFC 9110's 0..1 with at most three decimals is 0, whatever strtod
  // would make of it, so a broken header cannot push HTML at a script.
  for (const char* q :
       {"abc", "", "nan", "inf", "2", "1.5", "-1", "0.5abc", "0.1234", ".5", "1.001", "0,5"}) {
    EXPECT_FALSE(prefers_html(std::string("text/html;q=") + q + ", application/json;q=0.001")) << q;
    EXPECT_TRUE(prefers_html(std::string("application/json;q=") + q + ", text/html;q=0.001")) << q;
  }
  EXPECT_FALSE(prefers_html("html")) << "no slash: not a media range";
  EXPECT_FALSE(prefers_html(";q=1"));
  EXPECT_FALSE(prefers_html("text/html;q=abc, */*;q=0.5")) << "html 0 (malformed), json 0.5";
}

TEST(DashboardContentType, ByExtension) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("index-3f2a.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("no-extension"), "application/octet-stream");
}

TEST(DashboardPath, RefusesEscapes) {
  EXPECT_EQ(unsafe_path_reason("/assets/index-3f2a.js", "/assets/index-3f2a.js"), "");
  EXPECT_EQ(unsafe_path_reason("/assets/index.js", "/assets/index.js?v=1%2F"), "")
      << "the query is not the path";
  EXPECT_NE(unsafe_path_reason("/assets/../x", "/assets/../x"), "");
  EXPECT_NE(unsafe_path_reason("/assets/./x", "/assets/./x"), "");
  EXPECT_NE(unsafe_path_reason("/assets/../../x", "/assets/..%2F..%2Fx"), "");
  EXPECT_NE(unsafe_path_reason("/assets/../x", "/assets/%2e%2E/x"), "");
  EXPECT_NE(unsafe_path_reason("/assets/a\\b", "/assets/a%5Cb"), "");
  EXPECT_NE(unsafe_path_reason(std::string_view("/assets/a\0.js", 13), "/assets/a%00.js"), "");
  EXPECT_NE(unsafe_path_reason("/assets/a\\b", "/assets/a\\b"), "");
}

}  // namespace
}  // namespace apex

namespace apex {
namespace {

// A symbolic link in the dashboard folder may lead anywhere: only files inside it are served.
TEST(StaticAssetsFiles, ALinkOutOfTheFolderIsNotServed) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("apex-web-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "assets");
  std::ofstream(dir / "index.html") << "<html></html>";
  std::ofstream(dir / "assets" / "app.js") << "console.log(1)";
  const fs::path outside = dir.string() + "-secret";
  std::ofstream(outside) << "root:x:0:0";
  fs::create_symlink(outside, dir / "assets" / "passwd.js");
  fs::create_symlink("app.js", dir / "assets" / "alias.js");
  StaticAssets assets(dir);
  auto get = [&](const std::string& path) {
    ServerRequest request;
    request.method = "GET";
    request.target = request.path = path;
    ServerResponse response;
    EXPECT_TRUE(assets.handle(request, response)) << path;
    return response;
  };
  const ServerResponse secret = get("/assets/passwd.js");
  EXPECT_EQ(secret.status, 404);
  EXPECT_EQ(secret.body.find("root:"), std::string::npos) << secret.body;
  const ServerResponse alias = get("/assets/alias.js");
  EXPECT_EQ(alias.status, 200);
  EXPECT_EQ(alias.body, "console.log(1)");
  fs::remove_all(dir);
  fs::remove(outside);
}

}  // namespace
}  // namespace apex
