// The real lap and official timing files of the four shared tracks (../shared/data/gr-cup):
// one ECU clock per race links cars whose loggers timed few laps or jittered, and leaves
// out the lap events of other days. Skipped in a clone without ../shared.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "real_session.h"
#include "test_paths.h"

namespace apex {
namespace {

// The session's analysis (empty after a test failure when it cannot be loaded).
SessionAnalysis analyse(const std::filesystem::path& root, std::string_view track_id,
                        std::string_view session_id) {
  auto real = test::load_real_session(root, track_id, session_id);
  return real ? std::move(real->analysis) : SessionAnalysis{};
}

const CarLink& link_of(const SessionAnalysis& analysis, const std::string& car_id) {
  for (const auto& link : analysis.links)
    if (link.car_id == car_id) return link;
  ADD_FAILURE() << "no car " << car_id;
  static const CarLink none;
  return none;
}

// Every race has one clock, from the cars linked by lap times, and its loggers agree on it.
TEST(SessionClockRealData, EveryRaceHasOneClock) {
  APEX_REQUIRE_SHARED_DATA(root);
  for (auto track : {"barber-motorsports-park", "circuit-of-the-americas", "indianapolis", "sonoma"})
    for (auto session : {"R1", "R2"}) {
      const auto analysis = analyse(root, track, session);
      ASSERT_TRUE(analysis.clock) << track << " " << session << ": " << analysis.why_no_clock;
      EXPECT_EQ(analysis.clock->official_clock, OfficialClock::TimeOfDay);
      EXPECT_GE(analysis.clock->cars, 1);
      EXPECT_EQ(analysis.clock->cars_disagreeing, 0) << track << " " << session;
      EXPECT_LT(analysis.clock->spread_ms, 2 * kCrossingAgreementMs) << track << " " << session;
      // Every link by crossings sits within the agreement of that one offset.
      for (const auto& link : analysis.links)
        if (link.linked_by == LinkEvidence::LineCrossings) {
          ASSERT_TRUE(link.crossings.median_diff_ms);
          EXPECT_LE(std::llabs(*link.crossings.median_diff_ms), kCrossingAgreementMs) << link.car_id;
        }
    }
}

// Cars whose loggers timed few laps or jittered are linked at the session clock, each to
// the vehicle whose crossings coincide with its own (found by hand on the files: the number
// in each vehicle id is the car's).
TEST(SessionClockRealData, CotaCarsLinkedByCrossingsAtTheSessionClock) {
  APEX_REQUIRE_SHARED_DATA(root);
  struct Expected {
    const char* session;
    const char* car;
    const char* vehicle;
  };
  for (auto e : {Expected{"R1", "51", "GR86-061-51"}, Expected{"R1", "15", "GR86-032-15"},
                 Expected{"R2", "2", "GR86-002-2"}, Expected{"R2", "31", "GR86-015-31"}}) {
    const auto analysis = analyse(root, "circuit-of-the-americas", e.session);
    const CarLink& link = link_of(analysis, e.car);
    EXPECT_EQ(link.vehicle_id, e.vehicle) << e.session << " car " << e.car;
    EXPECT_EQ(link.linked_by, LinkEvidence::LineCrossings) << e.session << " car " << e.car;
    EXPECT_GE(link.crossings.matching, kMinMatchingCrossings);
    EXPECT_EQ(link.few_laps, link.crossings.matching - 1 < kFewLaps);
    EXPECT_TRUE(link.id_number_matches) << e.session << " car " << e.car;
  }
}

// The links made before the session clock existed, on all eight races (by lap times or by
// crossings at a per-pair offset): each still has its vehicle.
TEST(SessionClockRealData, EarlierLinksKeepTheirVehicles) {
  APEX_REQUIRE_SHARED_DATA(root);
  const std::map<std::string, std::map<std::string, std::string>> earlier = {
      {"barber-motorsports-park/R1",
       {{"2", "GR86-002-000"},
        {"7", "GR86-006-7"},
        {"13", "GR86-022-13"},
        {"22", "GR86-010-16"},
        {"47", "GR86-025-47"},
        {"111", "GR86-060-2"}}},
      {"circuit-of-the-americas/R1",
       {{"3", "GR86-040-3"},
        {"3-2", "GR86-037-03"},
        {"13", "GR86-022-13"},
        {"16", "GR86-010-16"},
        {"71", "GR86-051-71"}}},
      {"circuit-of-the-americas/R2", {{"3-2", "GR86-037-03"}, {"8", "GR86-012-8"}}},
      {"indianapolis/R1", {{"11", "GR86-035-11"}}},
      {"sonoma/R2", {{"3", "GR86-040-003"}}},
  };
  for (const auto& [race, cars] : earlier) {
    const auto slash = race.find('/');
    const auto analysis = analyse(root, race.substr(0, slash), race.substr(slash + 1));
    for (const auto& [car, vehicle] : cars)
      EXPECT_EQ(link_of(analysis, car).vehicle_id, vehicle) << race << " car " << car;
  }
}

// Sonoma R1's lap files run on past the race, into the next day (R2's): those events are
// left out, with their dates, and no ECU lap of R1 is from another day.
TEST(SessionClockRealData, SonomaR1LeavesOutTheNextDay) {
  APEX_REQUIRE_SHARED_DATA(root);
  const auto analysis = analyse(root, "sonoma", "R1");
  ASSERT_TRUE(analysis.clock);
  int next_day = 0;
  for (const auto& left : analysis.events_left_out) {
    EXPECT_TRUE(left.first_ms < analysis.clock->race_start_ms || left.first_ms > analysis.clock->race_end_ms);
    EXPECT_NE(left.reason.find("outside the race window"), std::string::npos) << left.reason;
    if (left.reason.find("of 2025-03-30") != std::string::npos) ++next_day;
  }
  EXPECT_GT(next_day, 20) << "most vehicles' files run into the next day";
  for (const auto& vehicle : analysis.ecu)
    for (const auto& lap : vehicle.laps) {
      EXPECT_GE(lap.start_ms, analysis.clock->race_start_ms) << vehicle.vehicle_id;
      EXPECT_LE(lap.end_ms, analysis.clock->race_end_ms) << vehicle.vehicle_id;
    }
}

}  // namespace
}  // namespace apex
