// `apex serve` on the committed data/ folder, read over real HTTP: every endpoint
// of the foundation answers with the right shape, errors are JSON with the right
// status, and bad paths never escape the data root.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "apex_server_process.h"

namespace apex {
namespace {

using nlohmann::json;

class ServeEmbeddedData : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new test::ApexServerProcess(test::source_dir() / "data");
    ASSERT_GT(server_->port(), 0) << "apex serve did not start:\n" << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static httplib::Result get(const std::string& path, const httplib::Headers& headers = {}) {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(30, 0);
    return client.Get(path, headers);
  }
  static json get_json(const std::string& path, int expected_status = 200) {
    auto res = get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return nullptr;
    EXPECT_EQ(res->status, expected_status) << path << " -> " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return json::parse(res->body);
  }
  static test::ApexServerProcess* server_;
};
test::ApexServerProcess* ServeEmbeddedData::server_ = nullptr;

const std::string kBarber = "/api/analytics/track/barber-motorsports-park";

TEST_F(ServeEmbeddedData, HealthAndTracks) {
  auto health = get_json("/health");
  EXPECT_EQ(health["status"], "healthy");
  auto tracks = get_json("/api/analytics/tracks");
  ASSERT_TRUE(tracks.is_array());
  EXPECT_NE(std::find(tracks.begin(), tracks.end(), "barber-motorsports-park"), tracks.end());
  EXPECT_GE(tracks.size(), 2u) << "the embedded data has the Barber files and the demo track";
  for (const auto& track : tracks) {
    auto sessions = get_json("/api/analytics/track/" + track.get<std::string>() + "/sessions");
    EXPECT_EQ(sessions, json::array({"R1", "R2"})) << track;
  }
}

TEST_F(ServeEmbeddedData, EveryTrackAndSessionAnswersEveryEndpoint) {
  for (const auto& track : get_json("/api/analytics/tracks")) {
    for (const auto& session : get_json("/api/analytics/track/" + track.get<std::string>() + "/sessions")) {
      std::string base =
          "/api/analytics/track/" + track.get<std::string>() + "/session/" + session.get<std::string>();
      SCOPED_TRACE(base);
      auto drivers = get_json(base + "/drivers");
      ASSERT_TRUE(drivers.is_array());
      ASSERT_FALSE(drivers.empty());
      auto best = get_json(base + "/best-lap");
      for (auto field : {"best_lap_time", "driver_id", "lap_number", "track", "session"})
        EXPECT_TRUE(best.contains(field)) << field;
      EXPECT_TRUE(best["best_lap_time"].is_number());
      EXPECT_NE(std::find(drivers.begin(), drivers.end(), best["driver_id"]), drivers.end());
      auto perf = get_json(base + "/driver/" + best["driver_id"].get<std::string>() + "/performance");
      for (auto field : {"driver_id", "best_lap", "average_lap", "std_deviation", "consistency_score",
                         "total_laps", "lap_times"})
        EXPECT_TRUE(perf.contains(field)) << field;
      EXPECT_EQ(perf["best_lap"], best["best_lap_time"]);
      auto laps = get_json(base + "/laps");
      ASSERT_TRUE(laps.is_array());
      EXPECT_FALSE(laps.empty());
      bool has_official = false, has_ecu = false;
      for (const auto& lap : laps) {
        has_official |= lap["source"] == "official";
        has_ecu |= lap["source"] == "ecu";
        if (!lap["valid"].get<bool>()) {
          EXPECT_TRUE(lap["invalid_reason"].is_string());
        }
      }
      EXPECT_TRUE(has_official && has_ecu);
      auto cars = get_json(base + "/cars");
      ASSERT_TRUE(cars.is_array());
      for (const auto& car : cars) {
        EXPECT_TRUE(car["car_number"].is_string());
        EXPECT_TRUE(car["vehicle_id"].is_string() || car["vehicle_id"].is_null());
      }
      auto files = get_json(base + "/files");
      EXPECT_TRUE(files["recognised"].is_array());
      EXPECT_TRUE(files["unrecognised"].is_array());
    }
  }
}

TEST_F(ServeEmbeddedData, BarberR1BestLapIsCar13) {
  auto best = get_json(kBarber + "/session/R1/best-lap");
  EXPECT_EQ(best["best_lap_time"], 97.428);
  EXPECT_EQ(best["lap_number"], 8);
  EXPECT_EQ(best["car_number"], "13");
}

TEST_F(ServeEmbeddedData, UnknownThingsAre404WithDetail) {
  for (const std::string& path : std::vector<std::string>{
           "/api/analytics/track/nowhere/sessions", kBarber + "/session/R9/drivers",
           kBarber + "/session/R1/driver/GR86-999-999/performance", std::string("/api/nothing")}) {
    auto body = get_json(path, 404);
    EXPECT_TRUE(body["detail"].is_string()) << path;
  }
}

TEST_F(ServeEmbeddedData, HostilePathsStayInsideTheDataRoot) {
  for (const std::string& path : std::vector<std::string>{
           "/api/analytics/track/..%2F..%2Fetc/sessions", "/api/analytics/track/%2E%2E/sessions",
           "/api/analytics/track/../../../etc/sessions", kBarber + "/session/..%2FR1/drivers",
           "/api/analytics/track/barber-motorsports-park%2Fbarber/sessions"}) {
    auto res = get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_GE(res->status, 400) << path;
    EXPECT_LT(res->status, 500) << path;
  }
  // The server is still serving.
  EXPECT_EQ(get_json("/health")["status"], "healthy");
}

TEST_F(ServeEmbeddedData, ETagAnswers304) {
  auto first = get(kBarber + "/session/R1/best-lap");
  ASSERT_TRUE(first);
  std::string etag = first->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  auto second = get(kBarber + "/session/R1/best-lap", {{"If-None-Match", etag}});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 304);
  EXPECT_TRUE(second->body.empty());
}

}  // namespace
}  // namespace apex
