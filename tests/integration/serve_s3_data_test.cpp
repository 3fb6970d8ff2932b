// End to end over S3: the committed data/ tree uploaded to s3rver (by S3Store, one object
// by boto3), `apex serve` with USE_S3_DATA=true, and every endpoint answering exactly what
// the same server answers on the local files. Also: a bucket that cannot be read at
// start-up does not stop the server, a missing local folder does, and `apex ls` lists the
// same keys from both sources.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "apex_server_process.h"
#include "s3rver_process.h"
#include "storage/local_store.h"
#include "storage/s3_store.h"

namespace apex {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kServeBucket = "apex-e2e";
// Uploaded by boto3 rather than S3Store, so the server also reads an independent writer's object.
constexpr const char* kBoto3Key = "sonoma-raceway/Sonoma/Race 1/sonoma_lap_time_R1.csv";

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

httplib::Result http_get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60, 0);
  return client.Get(path);
}

// Drops per-source fields (object versions, ETags), which differ between disk and S3 by design.
void strip_versions(json& value) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end();) {
      if (it.key() == "version" || it.key() == "versions" || it.key() == "etag")
        it = value.erase(it);
      else
        strip_versions(*it++);
    }
  } else if (value.is_array()) {
    for (auto& item : value) strip_versions(item);
  }
}

std::string url_encode_segment(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

class ServeS3Data : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s3rver_ = std::make_unique<test::S3rverProcess>(kServeBucket, "apex-e2e-s3rver");
    if (!s3rver_->error().empty()) return;
    S3Store store(s3rver_->settings("data/"));
    auto data = test::source_dir() / "data";
    for (const auto& entry : fs::recursive_directory_iterator(data)) {
      if (!entry.is_regular_file()) continue;
      std::string key = fs::relative(entry.path(), data).generic_string();
      if (key == kBoto3Key) continue;
      auto written = store.write_all(key, file_bytes(entry.path()));
      if (!written) {
        setup_error_ = "S3Store could not upload " + key + ": " + written.error().describe();
        return;
      }
      ++uploaded_;
    }
    auto boto3 = s3rver_->boto3(json::array(
        {{{"op", "put"}, {"key", std::string("data/") + kBoto3Key}, {"file", (data / kBoto3Key).string()}}}));
    if (boto3 != "ok\n") {
      setup_error_ = "boto3 could not upload: " + boto3;
      return;
    }
    ++uploaded_;
    local_ = std::make_unique<test::ApexServerProcess>(data);
    remote_ = std::make_unique<test::ApexServerProcess>(data / "does-not-matter", s3rver_->apex_env());
  }
  static void TearDownTestSuite() {
    remote_.reset();
    local_.reset();
    s3rver_.reset();
  }
  void SetUp() override {
    if (!s3rver_->error().empty()) GTEST_FAIL() << s3rver_->error();
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    ASSERT_GT(local_->port(), 0) << local_->log();
    ASSERT_GT(remote_->port(), 0) << remote_->log();
  }

  // Both servers' answers to path; the local one's body when they agree.
  static std::string expect_same(const std::string& path, bool ignore_versions = false) {
    auto a = http_get(local_->port(), path);
    auto b = http_get(remote_->port(), path);
    EXPECT_TRUE(a && b) << path;
    if (!a || !b) return "";
    EXPECT_EQ(a->status, 200) << path << " -> " << a->body;
    EXPECT_EQ(a->status, b->status) << path << " -> " << b->body;
    if (ignore_versions) {
      auto ja = json::parse(a->body), jb = json::parse(b->body);
      strip_versions(ja);
      strip_versions(jb);
      EXPECT_EQ(ja.dump(), jb.dump()) << path;
    } else {
      EXPECT_EQ(a->body, b->body) << path;
      if (a->body == b->body) ++identical_;
    }
    ++compared_;
    return a->body;
  }

  static inline std::unique_ptr<test::S3rverProcess> s3rver_;
  static inline std::unique_ptr<test::ApexServerProcess> local_, remote_;
  static inline std::string setup_error_;
  static inline int uploaded_ = 0;
  static inline int compared_ = 0;
  static inline int identical_ = 0;
};

TEST_F(ServeS3Data, ObjectsCrossCheckWithBoto3) {
  auto data = test::source_dir() / "data";
  S3Store store(s3rver_->settings("data/"));
  // boto3 wrote this one: S3Store reads it back byte for byte.
  auto read = store.read_all(kBoto3Key);
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(*read, file_bytes(data / kBoto3Key));
  // S3Store wrote these (names with spaces): boto3 reads them back byte for byte.
  std::vector<std::string> keys = {
      "barber-motorsports-park/barber/23_AnalysisEnduranceWithSections_Race 1_Anonymized.CSV",
      "sonoma-raceway/Sonoma/Race 2/sonoma_telemetry_R2.csv"};
  json ops = json::array();
  for (std::size_t i = 0; i < keys.size(); ++i)
    ops.push_back({{"op", "get"},
                   {"key", "data/" + keys[i]},
                   {"file", (s3rver_->dir() / ("boto3-get-" + std::to_string(i))).string()}});
  ASSERT_EQ(s3rver_->boto3(ops), "ok\n");
  for (std::size_t i = 0; i < keys.size(); ++i)
    EXPECT_EQ(file_bytes(s3rver_->dir() / ("boto3-get-" + std::to_string(i))), file_bytes(data / keys[i]))
        << keys[i];
}

TEST_F(ServeS3Data, EveryEndpointMatchesTheLocalServer) {
  int telemetry_cars = 0;
  auto tracks = json::parse(expect_same("/api/analytics/tracks"));
  ASSERT_GE(tracks.size(), 2u);
  for (const auto& track_value : tracks) {
    std::string track = "/api/analytics/track/" + url_encode_segment(track_value.get<std::string>());
    expect_same(track + "/files", /*ignore_versions=*/true);
    auto sessions = json::parse(expect_same(track + "/sessions"));
    ASSERT_FALSE(sessions.empty()) << track;
    for (const auto& session_value : sessions) {
      std::string base = track + "/session/" + url_encode_segment(session_value.get<std::string>());
      expect_same(base + "/best-lap");
      expect_same(base + "/laps");
      expect_same(base + "/cars");
      expect_same(base + "/files", /*ignore_versions=*/true);
      auto drivers = json::parse(expect_same(base + "/drivers"));
      ASSERT_FALSE(drivers.empty()) << base;
      for (const auto& driver : drivers)
        expect_same(base + "/driver/" + url_encode_segment(driver.get<std::string>()) + "/performance");
      // Telemetry, where the session has it: parsed from the bucket's bytes, same answers.
      const std::string tel = "/api/telemetry" + base.substr(std::string("/api/analytics").size());
      auto probe = http_get(local_->port(), tel + "/vehicles");
      if (!probe || probe->status != 200) continue;
      auto vehicles = json::parse(expect_same(tel + "/vehicles"))["vehicles"];
      ASSERT_FALSE(vehicles.empty()) << tel;
      std::string first_car;
      for (const auto& v : vehicles) {
        const std::string car = url_encode_segment(v["vehicle_id"].get<std::string>());
        if (first_car.empty()) first_car = car;
        expect_same(tel + "/driver/" + car + "/laps");
        expect_same(tel + "/driver/" + car + "/speed-analysis");
        expect_same(tel + "/driver/" + car + "/braking-analysis");
        expect_same(tel + "/driver/" + car + "/track-map");
        expect_same(tel + "/driver/" + car + "/compare?driver_b=" + first_car);
        expect_same(base + "/driver/" + car + "/amicos-analysis");
        for (const auto& lap : v["laps"]) {
          expect_same(tel + "/driver/" + car + "/lap/" + std::to_string(lap.get<int>()));
          expect_same(tel + "/driver/" + car + "/lap/" + std::to_string(lap.get<int>()) +
                      "/trace?points=300");
        }
        ++telemetry_cars;
      }
    }
  }
  EXPECT_GE(telemetry_cars, 3) << "the demo track's telemetry was compared";
  // Errors are the same too.
  auto a = http_get(local_->port(), "/api/analytics/track/nope/sessions");
  auto b = http_get(remote_->port(), "/api/analytics/track/nope/sessions");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->status, 404);
  EXPECT_EQ(b->status, 404);
  EXPECT_EQ(a->body, b->body);
  std::printf("[ compared ] %d endpoints, %d byte-identical (the rest equal but for versions), %d objects\n",
              compared_, identical_, uploaded_);
  EXPECT_GT(identical_, 20);
}

TEST_F(ServeS3Data, StartupLogNamesTheBucketNeverTheSecret) {
  auto health = json::parse(http_get(remote_->port(), "/health")->body);
  EXPECT_EQ(health["status"], "healthy") << health.dump();
  EXPECT_NE(health["data_source"].get<std::string>().find(std::string("s3://") + kServeBucket),
            std::string::npos);
  std::string log = remote_->log();
  EXPECT_NE(log.find(std::string("bucket '") + kServeBucket + "'"), std::string::npos) << log;
  EXPECT_NE(log.find("region us-east-1"), std::string::npos) << log;
  EXPECT_NE(log.find(s3rver_->endpoint()), std::string::npos) << log;
  EXPECT_EQ(log.find(test::kS3rverKey), std::string::npos) << "a credential was logged:\n" << log;
}

// The server keeps running when its bucket cannot be read, says why in /health and
// answers 503, and serves as soon as the bucket is there.
TEST_F(ServeS3Data, UnreadableBucketKeepsServingAndRecovers) {
  const std::string late_bucket = "apex-late-bucket";
  auto env = s3rver_->apex_env();
  std::erase_if(env, [](const std::string& e) { return e.starts_with("S3_BUCKET_NAME="); });
  env.push_back("S3_BUCKET_NAME=" + late_bucket);
  test::ApexServerProcess server(test::source_dir() / "data", env);
  ASSERT_FALSE(server.exited()) << "exited with " << server.exit_code() << ":\n" << server.log();
  ASSERT_GT(server.port(), 0) << server.log();
  EXPECT_NE(server.log().find("cannot read the data source"), std::string::npos) << server.log();
  EXPECT_NE(server.log().find(late_bucket), std::string::npos) << server.log();

  auto health = json::parse(http_get(server.port(), "/health")->body);
  EXPECT_EQ(health["status"], "degraded") << health.dump();
  ASSERT_TRUE(health["data_source_error"].is_string()) << health.dump();
  EXPECT_NE(health["data_source_error"].get<std::string>().find(late_bucket), std::string::npos)
      << health.dump();
  auto tracks = http_get(server.port(), "/api/analytics/tracks");
  ASSERT_TRUE(tracks);
  EXPECT_EQ(tracks->status, 503) << tracks->body;

  // The bucket appears (created by boto3) with one track.
  ASSERT_EQ(s3rver_->boto3(json::array({{{"op", "create_bucket"}, {"key", late_bucket}, {"file", ""}}})),
            "ok\n");
  auto settings = s3rver_->settings("data/");
  settings.bucket = late_bucket;
  S3Store late(settings);
  auto data = test::source_dir() / "data";
  for (const auto& entry : fs::recursive_directory_iterator(data / "sonoma-raceway")) {
    if (entry.is_regular_file()) {
      ASSERT_TRUE(
          late.write_all(fs::relative(entry.path(), data).generic_string(), file_bytes(entry.path())));
    }
  }
  // A request starts a listing in the background (none waits for one); once it has seen the
  // bucket, the answers are the bucket's.
  for (int i = 0; i < 120 && health["status"] != "healthy"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    health = json::parse(http_get(server.port(), "/health")->body);
  }
  EXPECT_EQ(health["status"], "healthy") << health.dump();
  tracks = http_get(server.port(), "/api/analytics/tracks");
  ASSERT_TRUE(tracks);
  EXPECT_EQ(tracks->status, 200);
  EXPECT_EQ(tracks->body, R"(["sonoma-raceway"])");
}

// The track's overrides file applies the same from a bucket as from a folder: the same laps
// excluded, the same link undone, the same report.
TEST_F(ServeS3Data, OverridesApplyTheSameFromABucketAsFromAFolder) {
  const std::string overrides = R"({"R1": {
      "exclude_laps": [{"car": "13", "lap": 3, "reason": "spin"}],
      "forbid_link": [{"car": "7", "vehicle": "GR86-031-45"}],
      "exclude_files": [{"file": "Sonoma/Race 1/no-such-file.csv"}]}})";
  const std::string bucket = "apex-overrides-bucket";
  ASSERT_EQ(s3rver_->boto3(json::array({{{"op", "create_bucket"}, {"key", bucket}, {"file", ""}}})), "ok\n");
  auto settings = s3rver_->settings("data/");
  settings.bucket = bucket;
  S3Store remote_store(settings);
  const fs::path folder = s3rver_->dir() / "overrides-folder";
  const auto data = test::source_dir() / "data";
  for (const auto& entry : fs::recursive_directory_iterator(data / "sonoma-raceway")) {
    if (!entry.is_regular_file()) continue;
    const std::string key = fs::relative(entry.path(), data).generic_string();
    ASSERT_TRUE(remote_store.write_all(key, file_bytes(entry.path())));
    fs::create_directories((folder / key).parent_path());
    fs::copy_file(entry.path(), folder / key, fs::copy_options::overwrite_existing);
  }
  ASSERT_TRUE(remote_store.write_all("sonoma-raceway/apex-overrides.json", overrides));
  std::ofstream(folder / "sonoma-raceway" / "apex-overrides.json") << overrides;

  auto env = s3rver_->apex_env();
  std::erase_if(env, [](const std::string& e) { return e.starts_with("S3_BUCKET_NAME="); });
  env.push_back("S3_BUCKET_NAME=" + bucket);
  test::ApexServerProcess from_bucket(folder / "does-not-matter", env);
  test::ApexServerProcess from_folder(folder);
  ASSERT_GT(from_bucket.port(), 0) << from_bucket.log();
  ASSERT_GT(from_folder.port(), 0) << from_folder.log();
  const std::string r1 = "/api/analytics/track/sonoma-raceway/session/R1";
  for (const std::string& path : {r1 + "/quality", r1 + "/cars", r1 + "/laps?driver=13"}) {
    auto a = http_get(from_folder.port(), path);
    auto b = http_get(from_bucket.port(), path);
    ASSERT_TRUE(a && b) << path;
    ASSERT_EQ(a->status, 200) << path << a->body;
    ASSERT_EQ(b->status, 200) << path << b->body;
    auto ja = json::parse(a->body), jb = json::parse(b->body);
    strip_versions(ja);
    strip_versions(jb);
    EXPECT_EQ(ja.dump(), jb.dump()) << path;
  }
  // And the overrides did what they say, from the bucket.
  auto quality = json::parse(http_get(from_bucket.port(), r1 + "/quality")->body);
  std::string outcomes;
  for (const auto& check : quality["checks"])
    if (check["id"] == "overrides")
      for (const auto& f : check["findings"])
        outcomes += f["found"].get<std::string>() + " => " + f["decided"].get<std::string>() + "\n";
  EXPECT_NE(outcomes.find("exclude lap 3 of car 13 (spin) => excluded"), std::string::npos) << outcomes;
  EXPECT_NE(outcomes.find("forbid linking car 7 to GR86-031-45 => car 7 left unlinked"), std::string::npos)
      << outcomes;
  EXPECT_NE(outcomes.find("names no timing file"), std::string::npos) << outcomes;
  for (const auto& lap :
       json::parse(http_get(from_bucket.port(), r1 + "/laps?driver=13&source=official")->body))
    if (lap["lap"] == 3) {
      EXPECT_EQ(lap["invalid_reason"], "excluded by override (spin)");
    }
}

TEST_F(ServeS3Data, WrongAccessKeyIsExplainedWithoutTheSecret) {
  auto env = s3rver_->apex_env();
  std::erase_if(env, [](const std::string& e) { return e.starts_with("AWS_"); });
  env.push_back("AWS_ACCESS_KEY_ID=AKIDNOTKNOWNTOS3RVER");
  env.push_back("AWS_SECRET_ACCESS_KEY=never-print-this-secret");
  test::ApexServerProcess server(test::source_dir() / "data", env);
  ASSERT_GT(server.port(), 0) << server.log();
  std::string log = server.log();
  EXPECT_NE(log.find("authentication failed: "), std::string::npos) << log;
  EXPECT_NE(log.find("access key is unknown to the server: check AWS_ACCESS_KEY_ID"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("never-print-this-secret"), std::string::npos) << log;
  auto health = http_get(server.port(), "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->body.find("never-print-this-secret"), std::string::npos) << health->body;
  EXPECT_EQ(json::parse(health->body)["status"], "degraded");
}

TEST_F(ServeS3Data, MissingLocalFolderStopsStartup) {
  test::ApexServerProcess server(fs::temp_directory_path() / "apex-no-such-data-folder");
  ASSERT_TRUE(server.exited()) << server.log();
  EXPECT_EQ(server.exit_code(), 2) << server.log();
  EXPECT_NE(server.log().find("apex-no-such-data-folder"), std::string::npos) << server.log();
}

TEST_F(ServeS3Data, LsListsTheSameKeysFromDiskAndS3) {
  auto ls = [&](const std::string& env, const std::string& prefix) {
    int code = 0;
    std::string out = test::run_command(env + " " + test::shell_quote(test::apex_binary().string()) +
                                            " ls --json --data-dir " +
                                            test::shell_quote((test::source_dir() / "data").string()) + " " +
                                            test::shell_quote(prefix) + " 2>/dev/null",
                                        &code);
    EXPECT_EQ(code, 0) << out;
    auto listing = json::parse(out);
    for (auto& object : listing) object.erase("version");
    return listing;
  };
  std::string s3_env = "env";
  for (const auto& e : s3rver_->apex_env()) s3_env.append(" ").append(test::shell_quote(e));
  for (std::string prefix : {"", "sonoma-raceway/Sonoma/Race 1/", "barber"}) {
    auto local = ls("env USE_S3_DATA=false", prefix);
    auto remote = ls(s3_env, prefix);
    EXPECT_FALSE(local.empty()) << prefix;
    EXPECT_EQ(local, remote) << prefix;
  }
  EXPECT_EQ(ls(s3_env, "").size(), static_cast<std::size_t>(uploaded_));
}

}  // namespace
}  // namespace apex
