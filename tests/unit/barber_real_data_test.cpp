// The real Barber lap and official timing files (../shared/data/gr-cup): what is known
// of these races (sessions, best laps, cars) must come out of the analysis. Skipped in a clone
// without ../shared.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "analysis/session_analysis.h"
#include "catalog/catalog.h"
#include "load/session_loader.h"
#include "real_session.h"
#include "storage/local_store.h"
#include "test_paths.h"

namespace apex {
namespace {

using LoadedBarber = test::RealSession;

LoadedBarber load_barber(const std::filesystem::path& root, std::string_view session_id) {
  auto real = test::load_real_session(root, "barber-motorsports-park", session_id);
  if (!real) return LoadedBarber{};
  EXPECT_TRUE(real->session.problems.empty());
  return std::move(*real);
}

TEST(BarberRealData, SessionsAndVehicles) {
  APEX_REQUIRE_SHARED_DATA(root);
  LocalStore store(root);
  auto catalog = Catalog::build(store);
  ASSERT_TRUE(catalog);
  const TrackCatalog* track = catalog->find_track("barber-motorsports-park");
  ASSERT_NE(track, nullptr);
  std::vector<std::string> ids;
  for (const auto& s : track->sessions) ids.push_back(s.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"R1", "R2"}));
  for (auto id : {"R1", "R2"}) {
    auto barber = load_barber(root, id);
    EXPECT_EQ(barber.analysis.ecu.size(), 20u) << id;
  }
}

TEST(BarberRealData, OfficialBestLaps) {
  APEX_REQUIRE_SHARED_DATA(root);
  struct Expected {
    const char* session;
    const char* car;
    int lap;
    std::int64_t ms;
  };
  for (auto e : {Expected{"R1", "13", 8, 97428}, Expected{"R2", "22", 11, 97304}}) {
    auto barber = load_barber(root, e.session);
    ASSERT_TRUE(barber.analysis.best_lap) << e.session;
    const auto& best = *barber.analysis.best_lap;
    EXPECT_EQ(best.car_number, e.car) << e.session;
    EXPECT_EQ(best.lap, e.lap) << e.session;
    EXPECT_EQ(best.lap_time_ms, e.ms) << e.session;
    EXPECT_EQ(best.source, LapSource::Official);
    // The same best lap is in the 99_ best-laps file and the 03_ results.
    ASSERT_TRUE(barber.session.best_laps && barber.session.results);
    std::int64_t best_of_99 = INT64_MAX;
    for (const auto& entry : barber.session.best_laps->entries)
      if (!entry.best.empty()) best_of_99 = std::min(best_of_99, entry.best.front().second);
    EXPECT_EQ(best_of_99, e.ms);
    std::int64_t best_of_results = INT64_MAX;
    for (const auto& entry : barber.session.results->entries)
      if (entry.fastest_lap_ms) best_of_results = std::min(best_of_results, *entry.fastest_lap_ms);
    EXPECT_EQ(best_of_results, e.ms);
  }
}

TEST(BarberRealData, ImpossibleEcuLapsAreNotCounted) {
  APEX_REQUIRE_SHARED_DATA(root);
  for (auto [session, vehicle] : {std::pair{"R1", "GR86-036-98"}, std::pair{"R2", "GR86-010-16"}}) {
    auto barber = load_barber(root, session);
    int short_laps_seen = 0;
    for (const auto& r : barber.analysis.laps) {
      if (r.source != LapSource::Ecu || r.vehicle_id != vehicle || r.lap_time_ms >= 90000) continue;
      ++short_laps_seen;
      EXPECT_FALSE(r.valid) << session << " " << vehicle << " lap " << r.lap << " " << r.lap_time_ms;
      EXPECT_FALSE(r.invalid_reason.empty());
    }
    EXPECT_GE(short_laps_seen, 1) << "the data has a short artefact lap for " << vehicle;
    for (const auto& d : barber.analysis.drivers) {
      if (d.vehicle_id != vehicle) continue;
      ASSERT_TRUE(d.best_lap_ms);
      EXPECT_GE(*d.best_lap_ms, 90000);
    }
  }
}

TEST(BarberRealData, TelemetryCarsAreLinkedByLapTimesOrLineCrossings) {
  APEX_REQUIRE_SHARED_DATA(root);
  const std::map<std::string, std::string> expected = {
      {"22", "GR86-010-16"}, {"111", "GR86-060-2"}, {"2", "GR86-002-000"}, {"58", "GR86-004-78"}};
  for (auto session : {"R1", "R2"}) {
    auto barber = load_barber(root, session);
    std::map<std::string, const CarLink*> by_car;
    for (const auto& link : barber.analysis.links) by_car[link.car_number] = &link;
    for (const auto& [car, vehicle] : expected) {
      ASSERT_TRUE(by_car.contains(car)) << session << " car " << car;
      EXPECT_EQ(by_car[car]->vehicle_id, vehicle) << session << " car " << car;
    }
    for (auto car : {"41", "51"}) {
      ASSERT_TRUE(by_car.contains(car)) << session << " car " << car;
      EXPECT_FALSE(by_car[car]->vehicle_id) << session << " car " << car << " has no telemetry";
    }
    std::set<std::string> used;
    int by_crossings = 0;
    for (const auto& link : barber.analysis.links) {
      if (!link.vehicle_id) continue;
      EXPECT_TRUE(used.insert(*link.vehicle_id).second) << "vehicle linked twice: " << *link.vehicle_id;
      ASSERT_TRUE(link.median_abs_diff_s);
      EXPECT_LT(*link.median_abs_diff_s, 0.1) << session << " car " << link.car_number;
      ASSERT_TRUE(link.crossings.median_abs_diff_s) << session << " car " << link.car_number;
      EXPECT_LT(*link.crossings.median_abs_diff_s, 0.11) << session << " car " << link.car_number;
      if (link.linked_by != LinkEvidence::LineCrossings) continue;
      ++by_crossings;
      // Independent evidence: the number in these ids is not stale, and linking did not use it.
      EXPECT_TRUE(link.id_number_matches) << session << " car " << link.car_number << " " << *link.vehicle_id;
    }
    EXPECT_GT(by_crossings, 0) << session << ": some ECU lap times jitter too much to agree within 60 ms";
    // Every ECU vehicle races as some official car: none is left as "ECU timing only" (a
    // car that was listed twice, as car-7 and as GR86-006-7).
    for (const auto& vehicle : barber.analysis.ecu)
      EXPECT_TRUE(used.contains(vehicle.vehicle_id))
          << session << " " << vehicle.vehicle_id << " is linked to no car";
  }
}

}  // namespace
}  // namespace apex
