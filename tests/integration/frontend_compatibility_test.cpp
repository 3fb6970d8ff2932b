// Replays every request the original React frontend makes (docs/original-api.md,
// section 6) against the real `apex serve` on data/, for every track, session and
// driver, and checks every field each component reads is there with the type it uses
// (numbers where it calls .toFixed, strings where it renders text). It also checks the
// frontend's failure modes: components that load several endpoints with one
// Promise.all lose everything on a single non-2xx, so those requests must be 2xx, and
// sections the frontend hides on `error` must carry it.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "apex_server_process.h"

namespace apex {
namespace {

using nlohmann::json;

class FrontendCompatibility : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new test::ApexServerProcess(test::source_dir() / "data");
    ASSERT_GT(server_->port(), 0) << "apex serve did not start:\n" << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  // axios.get: any non-2xx rejects the promise.
  static std::pair<int, json> axios_get(const std::string& path) {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(30, 0);
    auto res = client.Get(path, {{"Accept", "application/json, text/plain, */*"}});
    if (!res) return {0, nullptr};
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return {res->status, json::parse(res->body, nullptr, false)};
  }
  static json get_ok(const std::string& path) {
    auto [status, body] = axios_get(path);
    EXPECT_EQ(status, 200) << path << " -> " << body.dump();
    return body;
  }
  static test::ApexServerProcess* server_;
};
test::ApexServerProcess* FrontendCompatibility::server_ = nullptr;

// A value the frontend calls .toFixed() or formatTime() on.
void expect_number(const json& object, const std::string& pointer, const std::string& context) {
  const json::json_pointer p(pointer);
  ASSERT_TRUE(object.contains(p)) << context << ": missing " << pointer;
  EXPECT_TRUE(object.at(p).is_number()) << context << ": " << pointer << " = " << object.at(p).dump();
}
// A value rendered as text or a number; null renders as nothing.
void expect_renderable(const json& object, const std::string& pointer, const std::string& context) {
  const json::json_pointer p(pointer);
  ASSERT_TRUE(object.contains(p)) << context << ": missing " << pointer;
  const json& v = object.at(p);
  EXPECT_TRUE(v.is_number() || v.is_string() || v.is_null())
      << context << ": " << pointer << " = " << v.dump();
}

TEST_F(FrontendCompatibility, EveryRequestTheOriginalFrontendMakes) {
  // App.tsx: GET /api/analytics/tracks once; selects tracks[0].
  json tracks = get_ok("/api/analytics/tracks");
  ASSERT_TRUE(tracks.is_array());
  ASSERT_FALSE(tracks.empty()) << "App.tsx shows 'No Data Found' for an empty list";
  int drivers_checked = 0;
  int telemetry_checked = 0;
  for (const auto& t : tracks) {
    ASSERT_TRUE(t.is_string());
    const std::string track = t.get<std::string>();
    // TrackSelector.tsx: GET .../sessions; selects sessions[0].
    json sessions = get_ok("/api/analytics/track/" + track + "/sessions");
    ASSERT_TRUE(sessions.is_array());
    ASSERT_FALSE(sessions.empty());
    for (const auto& s : sessions) {
      ASSERT_TRUE(s.is_string());
      const std::string base = "/api/analytics/track/" + track + "/session/" + s.get<std::string>();
      SCOPED_TRACE(base);
      // Dashboard.tsx: best-lap and drivers in one Promise.all: both must be 2xx.
      json best = get_ok(base + "/best-lap");
      expect_number(best, "/best_lap_time", "BestLapCard");
      ASSERT_TRUE(best["driver_id"].is_string()) << "the dashboard preselects best-lap's driver_id";
      EXPECT_TRUE(best["lap_number"].is_number_integer());
      EXPECT_FALSE(best.contains("error"));
      json drivers = get_ok(base + "/drivers");
      ASSERT_TRUE(drivers.is_array());
      EXPECT_NE(std::find(drivers.begin(), drivers.end(), best["driver_id"]), drivers.end())
          << "the preselected driver is in the dropdown";

      // The cars with telemetry (APEX's own route): their telemetry sections must render.
      std::set<std::string> with_telemetry;
      auto [vehicles_status, vehicles] =
          axios_get("/api/telemetry/track/" + track + "/session/" + s.get<std::string>() + "/vehicles");
      if (vehicles_status == 200)
        for (const auto& v : vehicles["vehicles"]) with_telemetry.insert(v["vehicle_id"].get<std::string>());

      // Every driver of the dropdown: DriverPerformance, AMICOSAnalysis, DetailedAnalytics.
      for (const auto& d : drivers) {
        ASSERT_TRUE(d.is_string());
        const std::string id = d.get<std::string>();
        const std::string context = base + " driver " + id;
        ++drivers_checked;
        // DriverPerformance.tsx: performance + strategy consistency in one Promise.all.
        json perf = get_ok(base + "/driver/" + id + "/performance");
        EXPECT_FALSE(perf.contains("error")) << context;
        for (auto f : {"/best_lap", "/average_lap"}) expect_renderable(perf, f, context + " performance");
        EXPECT_TRUE(perf["total_laps"].is_number_integer()) << context;
        ASSERT_TRUE(perf["lap_times"].is_array()) << context;
        for (const auto& lt : perf["lap_times"]) EXPECT_TRUE(lt.is_number()) << context;
        json consistency = get_ok("/api/strategy/track/" + track + "/session/" + s.get<std::string>() +
                                  "/driver/" + id + "/consistency");
        // consistency?.consistency_score?.toFixed(1): a number, or null when the driver has no valid lap.
        ASSERT_TRUE(consistency.contains("consistency_score")) << context;
        EXPECT_TRUE(consistency["consistency_score"].is_number() ||
                    (consistency["consistency_score"].is_null() && consistency["total_laps"] == 0))
            << context;

        // AMICOSAnalysis.tsx: one request; a rejected promise or an error body renders nothing.
        const bool has_telemetry = with_telemetry.contains(id);
        json amicos = get_ok(base + "/driver/" + id + "/amicos-analysis");
        if (has_telemetry) {
          ++telemetry_checked;
          EXPECT_GT(amicos["corners_detected"].get<int>(), 0) << context;
          for (auto f :
               {"/driver_dna/brake_aggression_pct", "/driver_dna/throttle_smoothness_pct",
                "/driver_dna/avg_grip_utilization_pct", "/driver_dna/avg_speed_efficiency_pct",
                "/grip_utilization/grip_efficiency_pct", "/grip_utilization/max_combined_g",
                "/grip_utilization/theoretical_limit_g", "/momentum_efficiency/momentum_efficiency_score",
                "/momentum_efficiency/avg_momentum_gain_pct"})
            expect_number(amicos, f, context + " AMICOS");
          EXPECT_TRUE(amicos["driver_dna"]["driving_style"].is_string()) << context;
          for (const auto& c : amicos["corner_analysis"])
            for (auto f :
                 {"/entry_speed_kmh", "/apex_speed_kmh", "/exit_speed_kmh", "/theoretical_max_speed_kmh",
                  "/speed_efficiency_pct", "/max_lateral_g", "/corner_radius_m", "/momentum_gain_pct",
                  "/angular_momentum", "/yaw_rate_rad_s", "/lateral_load_transfer_n"})
              expect_number(c, f, context + " corner");
          ASSERT_TRUE(amicos["recommendations"].is_array()) << context;
          for (const auto& r : amicos["recommendations"]) EXPECT_TRUE(r.is_string()) << context;
        } else {
          EXPECT_TRUE(amicos["error"].is_string()) << "renders nothing on data.error: " << context;
        }

        // DetailedAnalytics.tsx: detailed-performance, speed-analysis and braking-analysis in one
        // Promise.all, then `data.track` unconditionally: all three must be 2xx.
        json detailed = get_ok(base + "/driver/" + id + "/detailed-performance");
        json speed = get_ok(base + "/driver/" + id + "/speed-analysis");
        json braking = get_ok(base + "/driver/" + id + "/braking-analysis");
        if (has_telemetry) {
          for (auto f : {"/speed_metrics/vmax_kmh", "/speed_metrics/vavg_kmh", "/speed_metrics/vmin_kmh",
                         "/vehicle_comparison/speed_utilization_pct",
                         "/vehicle_comparison/theoretical_max_kmh", "/speed_distribution/high_speed_pct",
                         "/speed_distribution/mid_speed_pct", "/speed_distribution/low_speed_pct"})
            expect_number(speed, f, context + " speed");
          for (auto f : {"/g_forces/max_braking_g", "/g_forces/utilization_pct", "/g_forces/avg_braking_g",
                         "/g_forces/vehicle_limit_g", "/efficiency/overall_efficiency_pct",
                         "/efficiency/front_brake_efficiency_pct", "/braking_metrics/max_front_pressure_bar",
                         "/braking_metrics/max_rear_pressure_bar", "/braking_metrics/avg_front_pressure_bar",
                         "/braking_metrics/avg_rear_pressure_bar", "/braking_metrics/brake_bias_front_pct",
                         "/braking_metrics/brake_applications", "/braking_metrics/expected_per_lap",
                         "/braking_metrics/consistency_bar", "/brake_system/max_pressure_front_bar",
                         "/brake_system/max_pressure_rear_bar", "/technique/trail_braking_pct"})
            expect_number(braking, f, context + " braking");
          EXPECT_TRUE(braking["technique"]["rating"].is_string()) << context;
        } else {
          EXPECT_TRUE(speed["error"].is_string())
              << "the speed section must hide (speedData.error): " << context;
          EXPECT_TRUE(braking["error"].is_string()) << "the braking section must hide: " << context;
        }
        EXPECT_FALSE(detailed.contains("error")) << context;
        EXPECT_TRUE(detailed["track"].is_string()) << context;
        expect_renderable(detailed, "/vehicle", context);
        for (auto f : {"/track_info/length_km", "/track_info/turns", "/track_info/elevation_change_m"})
          expect_renderable(detailed, f, context);
        for (auto f :
             {"/vehicle_specs/horsepower", "/vehicle_specs/weight_kg", "/vehicle_specs/top_speed_kmh"})
          expect_renderable(detailed, f, context);
        for (auto f :
             {"/performance/best_lap", "/performance/theoretical_best", "/performance/delta_to_record"})
          expect_renderable(detailed, f, context);
        // `data.consistency?.score.toFixed(1)`: consistency is null (skipped) or score is a number.
        if (!detailed["consistency"].is_null()) {
          expect_number(detailed, "/consistency/score", context);
          EXPECT_TRUE(detailed["consistency"]["rating"].is_string()) << context;
        }
        // Pace is shown unless it has `message`; then every stint and the delta are numbers.
        ASSERT_TRUE(detailed["pace_analysis"].is_object()) << context;
        if (!detailed["pace_analysis"].contains("message")) {
          for (auto stint : {"early_stint", "mid_stint", "late_stint"}) {
            expect_number(detailed, std::string("/pace_analysis/") + stint + "/avg_lap_time", context);
            expect_number(detailed, std::string("/pace_analysis/") + stint + "/best_lap", context);
          }
          expect_number(detailed, "/pace_analysis/degradation/early_to_late_delta", context);
        }
      }
    }
  }
  EXPECT_GT(drivers_checked, 40);
  EXPECT_GE(telemetry_checked, 3) << "the demo track's cars with telemetry were checked";
}

TEST_F(FrontendCompatibility, BarberDetailedPerformanceHasRealTrackFactsAndSectorTheoreticalBest) {
  json d = get_ok(
      "/api/analytics/track/barber-motorsports-park/session/R1/driver/GR86-022-13/detailed-performance");
  EXPECT_EQ(d["track"], "Barber Motorsports Park");
  EXPECT_EQ(d["vehicle"], "Toyota GR86 Cup");
  EXPECT_EQ(d["track_info"]["turns"], 17);
  EXPECT_EQ(d["track_info"]["length_km"], 3.83);
  EXPECT_EQ(d["track_info"]["elevation_change_m"], 24.4);
  EXPECT_EQ(d["performance"]["best_lap"], 97.428);
  EXPECT_EQ(d["performance"]["theoretical_best"], 97.39) << "sum of best sectors, not 0.98 x best";
  EXPECT_EQ(d["performance"]["delta_to_record"], 0.124);
  // The outright record is context; delta_to_record stays against the GR Cup reference lap.
  EXPECT_NEAR(d["track_info"]["race_lap_record"].get<double>(), 66.818, 1e-9);
  EXPECT_EQ(d["consistency"]["total_laps"], 22) << "green-flag laps only";
}

TEST_F(FrontendCompatibility, DeploymentChecksStillPass) {
  // verify_deployment.py / test_render_deployment.py: /health, tracks, sessions, best-lap.
  EXPECT_EQ(get_ok("/health")["status"], "healthy");
  json root = get_ok("/");
  EXPECT_EQ(root["docs"], "/docs");
  json best = get_ok("/api/analytics/track/barber-motorsports-park/session/R1/best-lap");
  EXPECT_TRUE(best.contains("best_lap_time"));
}

TEST_F(FrontendCompatibility, CornerAnalysisIsTheFiveHighestLateralGCorners) {
  // AMICOSAnalysis.tsx captions the list "Showing top 5 corners with highest lateral G-forces".
  json a = get_ok("/api/analytics/track/sonoma-raceway/session/R1/driver/GR86-022-13/amicos-analysis");
  ASSERT_GT(a["corners_detected"].get<std::size_t>(), 5u) << "the cut must be visible";
  ASSERT_EQ(a["corners"].size(), a["corners_detected"].get<std::size_t>())
      << "every corner stays in `corners`";
  const json& top = a["corner_analysis"];
  ASSERT_EQ(top.size(), 5u);
  std::vector<double> all_g;
  for (const auto& c : a["corners"])
    all_g.push_back(c["max_lateral_g"].is_number() ? c["max_lateral_g"].get<double>() : -1);
  std::sort(all_g.rbegin(), all_g.rend());
  for (std::size_t i = 0; i < top.size(); ++i) {
    EXPECT_EQ(top[i]["max_lateral_g"].get<double>(), all_g[i]) << "rank " << i;
    EXPECT_NE(std::find(a["corners"].begin(), a["corners"].end(), top[i]), a["corners"].end());
  }
}

TEST_F(FrontendCompatibility, AbsIsNeverInvented) {
  // The data has brake pressures, not hardware, and no source for the GR86 Cup's ABS was
  // found: null (the frontend shows "Disabled" for any falsy value; docs/original-api.md).
  json b = get_ok("/api/analytics/track/sonoma-raceway/session/R1/driver/GR86-022-13/braking-analysis");
  ASSERT_TRUE(b["brake_system"].contains("abs"));
  EXPECT_TRUE(b["brake_system"]["abs"].is_null());
}

// A copy of Barber under the id of a track whose facts have no elevation figure, its R1
// without the official sections file (so the cars fall back to ECU laps, which have no
// sectors) and one car with every lap excluded by override (no valid lap).
class FrontendCompatibilityEdgeData : public FrontendCompatibility {
 protected:
  static constexpr const char* kNoLaps = "GR86-049-88";
  static void SetUpTestSuite() {
    namespace fs = std::filesystem;
    root_ = new fs::path(fs::temp_directory_path() / ("apex-frontend-edges-" + std::to_string(::getpid())));
    fs::remove_all(*root_);
    fs::create_directories(*root_);
    fs::copy(test::source_dir() / "data" / "barber-motorsports-park", *root_ / "indianapolis",
             fs::copy_options::recursive);
    json excluded = json::array();
    for (int lap = 1; lap <= 60; ++lap) excluded.push_back({{"vehicle", kNoLaps}, {"lap", lap}});
    json overrides{
        {"R1",
         {{"exclude_files", {{{"file", "barber/23_AnalysisEnduranceWithSections_Race 1_Anonymized.CSV"}}}},
          {"exclude_laps", excluded}}}};
    std::ofstream(*root_ / "indianapolis" / "apex-overrides.json") << overrides.dump();
    server_ = new test::ApexServerProcess(*root_);
    ASSERT_GT(server_->port(), 0) << "apex serve did not start:\n" << server_->log();
  }
  static void TearDownTestSuite() {
    FrontendCompatibility::TearDownTestSuite();
    std::filesystem::remove_all(*root_);
    delete root_;
  }
  static inline std::filesystem::path* root_ = nullptr;
  static inline const std::string base_ = "/api/analytics/track/indianapolis/session/R1/driver/";
};

TEST_F(FrontendCompatibilityEdgeData, DriverWithoutValidLapsGetsTheOriginalsErrorText) {
  // DriverPerformance.tsx and DetailedAnalytics.tsx show `error` instead of formatting the nulls.
  const std::string expected = std::string("No data for driver ") + kNoLaps;
  json perf = get_ok(base_ + kNoLaps + "/performance");
  EXPECT_EQ(perf["error"], expected);
  EXPECT_EQ(perf["valid_laps"], 0);
  EXPECT_TRUE(perf["best_lap"].is_null());
  json detailed = get_ok(base_ + kNoLaps + "/detailed-performance");
  EXPECT_EQ(detailed["error"], expected);
  EXPECT_TRUE(detailed["performance"]["best_lap"].is_null());
  json consistency =
      get_ok(std::string("/api/strategy/track/indianapolis/session/R1/driver/") + kNoLaps + "/consistency");
  EXPECT_EQ(consistency["error"], expected);
  // A driver with laps carries no error.
  EXPECT_FALSE(get_ok(base_ + "GR86-022-13/performance").contains("error"));
  // An unknown driver stays a 404.
  EXPECT_EQ(axios_get(base_ + "GR86-999-99/performance").first, 404);
}

TEST_F(FrontendCompatibilityEdgeData, TheoreticalBestWithoutSectorsIsTheBestLap) {
  // Null would read "0:00.000" and "-97.007s potential", absent "NaN": without sector times no
  // quicker combination than the best lap is known, and the basis says so.
  json d = get_ok(base_ + "GR86-022-13/detailed-performance");
  EXPECT_EQ(d["source"], "ecu");
  ASSERT_TRUE(d["performance"]["best_lap"].is_number());
  EXPECT_EQ(d["performance"]["theoretical_best"], d["performance"]["best_lap"]) << d["performance"].dump();
  EXPECT_NE(d["performance"]["theoretical_best_basis"].get<std::string>().find("no complete sector times"),
            std::string::npos);
}

TEST_F(FrontendCompatibilityEdgeData, ElevationIsTheFactsFilesFigure) {
  // The frontend prints a null as a bare "m": the served figure is the sourced one in the facts file.
  std::ifstream facts_file(test::source_dir() / "reference" / "track_facts.json");
  json facts = json::parse(facts_file);
  json indianapolis;
  for (const json& t : facts["tracks"])
    if (t["id"] == "indianapolis") indianapolis = t;
  ASSERT_TRUE(indianapolis["elevation_change_m"].is_number());
  json d = get_ok(base_ + "GR86-022-13/detailed-performance");
  EXPECT_EQ(d["track"], "Indianapolis Motor Speedway Road Course");
  EXPECT_EQ(d["track_info"]["elevation_change_m"], indianapolis["elevation_change_m"]);
  EXPECT_NE(d["track_info"]["source"].get<std::string>().find("Elevation change"), std::string::npos);
  EXPECT_TRUE(d["track_info"]["turns"].is_number()) << "the other figures are served too";
}

}  // namespace
}  // namespace apex
