// Sector analysis, green-flag lap selection and the leaderboard on a hand-made
// session of three official cars whose sectors and flags are chosen so every answer
// is known: theoretical bests, time lost per sector, means over green laps, ranking
// and gaps.
#include <gtest/gtest.h>

#include <map>

#include "analysis/lap_selection.h"
#include "analysis/leaderboard.h"
#include "analysis/sector_analysis.h"
#include "analysis/session_analysis.h"

namespace apex {
namespace {

OfficialLap official(const std::string& car, int n, std::int64_t s1, std::int64_t s2, std::int64_t s3,
                     const std::string& flag = "GF") {
  OfficialLap l;
  l.car_number = car;
  l.lap = n;
  l.s1_ms = s1;
  l.s2_ms = s2;
  l.s3_ms = s3;
  l.lap_time_ms = s1 + s2 + s3;
  l.flag = flag;
  return l;
}

// Car 7: best sectors 26.500 (lap 3), 42.300 (lap 4), 28.400 (lap 5) -> theoretical 97.200;
// best lap 97.300 on lap 4. Lap 2 is under FCY, lap 3 is the restart and lap 4 the first
// full lap after it (both restart laps).
// Car 8: 26.600 / 42.200 / 28.700 -> 97.500; best lap 97.600 on lap 3.
// Car 9: only one lap, 99.000.
Session hand_made_session() {
  Session s;
  s.track_id = "test-track";
  s.session_id = "R1";
  OfficialLaps laps;
  laps.laps = {
      official("7", 1, 27000, 43000, 29000),         // start: 99.000
      official("7", 2, 35000, 55000, 40000, "FCY"),  // 130.000 under caution
      official("7", 3, 26500, 43000, 28600),         // restart: 98.100
      official("7", 4, 26600, 42300, 28400),         // 97.300: best lap
      official("7", 5, 26700, 42400, 28400),         // 97.500
      official("7", 6, 26800, 42500, 28500),         // 97.800
      official("8", 1, 27100, 43100, 29100),         // 99.300
      official("8", 2, 36000, 56000, 41000, "FCY"),  // 133.000
      official("8", 3, 26600, 42200, 28800),         // 97.600: best lap
      official("8", 4, 26700, 42300, 28700),         // 97.700
      official("9", 1, 27000, 43000, 29000),         // 99.000
  };
  s.sections = laps;
  return s;
}

TEST(SectorAnalysis, TheoreticalBestAndTimeLostPerSector) {
  auto session = hand_made_session();
  auto analysis = analyse_session(session);
  auto sectors = analyse_sectors(analysis);
  ASSERT_EQ(sectors.drivers.size(), 3u);

  // Session bests: s1 26.500 (car 7 lap 3), s2 42.200 (car 8 lap 3), s3 28.400 (car 7 lap 4).
  EXPECT_EQ(sectors.best[0].ms, 26500);
  EXPECT_EQ(sectors.best[0].car_number, "7");
  EXPECT_EQ(sectors.best[0].lap, 3);
  EXPECT_EQ(sectors.best[1].ms, 42200);
  EXPECT_EQ(sectors.best[1].car_number, "8");
  EXPECT_EQ(sectors.best[2].ms, 28400);
  EXPECT_EQ(sectors.best[2].lap, 4);
  EXPECT_EQ(sectors.theoretical_best_ms, 26500 + 42200 + 28400);

  const DriverSectors& car7 = sectors.drivers[0];  // ordered by theoretical best
  EXPECT_EQ(car7.driver->car_number, "7");
  EXPECT_EQ(car7.theoretical_best_ms, 26500 + 42300 + 28400);
  EXPECT_EQ(car7.sectors[0].lost_ms, 0);
  EXPECT_EQ(car7.sectors[1].lost_ms, 100);
  EXPECT_EQ(car7.sectors[2].lost_ms, 0);
  EXPECT_EQ(car7.lost_to_session_ms, 100);
  EXPECT_EQ(car7.driver->theoretical_best_ms, car7.theoretical_best_ms) << "the summary agrees";
  // Means over green laps 5 and 6 (not the start, the FCY lap or the restart laps 3 and 4).
  EXPECT_EQ(car7.sectors[0].green_laps, 2);
  EXPECT_NEAR(*car7.sectors[0].mean_s, (26.7 + 26.8) / 2, 1e-9);
  EXPECT_NEAR(*car7.sectors[2].mean_s, (28.4 + 28.5) / 2, 1e-9);

  const DriverSectors& car8 = sectors.drivers[1];
  EXPECT_EQ(car8.driver->car_number, "8");
  EXPECT_EQ(car8.theoretical_best_ms, 26600 + 42200 + 28700);
  EXPECT_EQ(car8.sectors[0].lost_ms, 100);
  EXPECT_EQ(car8.sectors[1].lost_ms, 0);
  EXPECT_EQ(car8.sectors[2].lost_ms, 300);
  EXPECT_EQ(car8.lost_to_session_ms, 400);
  // Car 8's laps 3 and 4 follow its FCY lap 2: both restart laps, no green lap is left.
  EXPECT_EQ(car8.sectors[1].green_laps, 0);

  const DriverSectors& car9 = sectors.drivers[2];
  EXPECT_EQ(car9.theoretical_best_ms, 99000);
  EXPECT_EQ(car9.sectors[0].green_laps, 0) << "lap 1 is the start";
  EXPECT_FALSE(car9.sectors[0].mean_s);
}

TEST(GreenFlagLaps, ExcludesStartCautionRestartPitInvalidAndOutliers) {
  auto session = hand_made_session();
  session.sections->laps.push_back(official("7", 7, 26700, 42400, 28500));  // 97.600
  auto pit_in = official("7", 8, 26700, 42400, 40000);                      // in-lap
  pit_in.crossing_in_pit = true;
  session.sections->laps.push_back(pit_in);
  auto pit_out = official("7", 9, 40000, 42400, 28500);
  pit_out.pit_time_ms = 30000;
  session.sections->laps.push_back(pit_out);
  session.sections->laps.push_back(official("7", 10, 32000, 45000, 30000));  // 107 s: a spin
  session.sections->laps.push_back(official("7", 11, 0, 0, 0));              // zero time: invalid
  session.sections->laps.push_back(official("7", 12, 26900, 42500, 28500));  // 97.900
  auto analysis = analyse_session(session);
  const DriverSummary* car7 = analysis.find_driver("7");
  ASSERT_NE(car7, nullptr);
  auto green = green_flag_laps(analysis, *car7);
  std::vector<int> kept;
  for (const LapRecord* l : green.laps) kept.push_back(l->lap);
  EXPECT_EQ(kept, (std::vector<int>{5, 6, 7, 12}));
  EXPECT_EQ(green.excluded_start, 1);
  EXPECT_EQ(green.excluded_flag, 1);
  EXPECT_EQ(green.excluded_restart, 2) << "laps 3 and 4";
  EXPECT_EQ(green.excluded_pit, 2);
  EXPECT_EQ(green.excluded_outlier, 1);
  EXPECT_EQ(green.excluded_invalid, 1);
  EXPECT_TRUE(green.flags_known);
}

TEST(Leaderboard, RankedByBestLapWithGaps) {
  auto session = hand_made_session();
  Results results;
  for (auto [pos, car] : {std::pair{1, "8"}, std::pair{2, "7"}}) {
    ResultEntry e;
    e.position = pos;
    e.car_number = car;
    results.entries.push_back(e);
  }
  session.results = results;
  auto analysis = analyse_session(session);
  auto rows = build_leaderboard(analysis);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].driver->car_number, "7");
  EXPECT_EQ(rows[0].position, 1);
  EXPECT_EQ(rows[0].gap_to_leader_ms, 0);
  EXPECT_FALSE(rows[0].gap_to_ahead_ms) << "no car ahead of the leader";
  EXPECT_EQ(rows[0].race_position, 2);
  EXPECT_EQ(rows[1].driver->car_number, "8");
  EXPECT_EQ(rows[1].gap_to_leader_ms, 300);
  EXPECT_EQ(rows[1].gap_to_ahead_ms, 300);
  EXPECT_EQ(rows[1].race_position, 1);
  // Car 9's only lap is lap 1, from the grid: never a fastest lap, so it is listed unranked.
  EXPECT_EQ(rows[2].driver->car_number, "9");
  EXPECT_FALSE(rows[2].position);
  EXPECT_FALSE(rows[2].gap_to_leader_ms);
  EXPECT_NE(rows[2].unranked_reason.find("lap 1"), std::string::npos) << rows[2].unranked_reason;
  EXPECT_FALSE(rows[2].race_position) << "car 9 is not in the results";
}

TEST(Leaderboard, TiesGoToTheEarlierLapAndEcuOnlyVehiclesAreUnranked) {
  Session s;
  OfficialLaps laps;
  laps.laps = {official("1", 5, 26000, 42000, 29000), official("2", 3, 26000, 42000, 29000),
               official("3", 2, 0, 0, 0)};
  s.sections = laps;
  // An ECU vehicle whose laps match no official car.
  LapEvents starts, ends;
  for (int lap = 1; lap <= 6; ++lap) {
    std::int64_t t = 1'757'184'000'000 + lap * 120000LL;
    starts.events.push_back(LapEvent{"GR86-099-99", lap, t + 1, t, {}});
    ends.events.push_back(LapEvent{"GR86-099-99", lap - 1, t, t, {}});
  }
  s.lap_starts = starts;
  s.lap_ends = ends;
  auto analysis = analyse_session(s);
  auto rows = build_leaderboard(analysis);
  // Car 3 has no lap with a time: it is not a driver of the session at all.
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].driver->car_number, "2") << "same best lap, set earlier (lap 3 before lap 5)";
  EXPECT_EQ(rows[1].driver->car_number, "1");
  EXPECT_EQ(rows[1].gap_to_ahead_ms, 0);
  EXPECT_EQ(rows[2].driver->vehicle_id, "GR86-099-99");
  EXPECT_FALSE(rows[2].position);
  EXPECT_NE(rows[2].unranked_reason.find("ECU timing only"), std::string::npos);
}

TEST(Leaderboard, EcuOnlySessionRanksEcuLaps) {
  Session s;
  LapEvents starts, ends;
  for (auto [vehicle, lap_ms] : {std::pair{"GR86-001-1", 99000LL}, std::pair{"GR86-002-2", 98000LL}}) {
    for (int lap = 1; lap <= 6; ++lap) {
      std::int64_t t = 1'757'184'000'000 + lap * lap_ms;
      starts.events.push_back(LapEvent{vehicle, lap, t + 1, t, {}});
      ends.events.push_back(LapEvent{vehicle, lap - 1, t, t, {}});
    }
  }
  s.lap_starts = starts;
  s.lap_ends = ends;
  auto analysis = analyse_session(s);
  auto rows = build_leaderboard(analysis);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].driver->vehicle_id, "GR86-002-2");
  EXPECT_EQ(rows[0].position, 1);
  EXPECT_EQ(rows[1].gap_to_leader_ms, 1000);
}

// The ECU logger knows nothing of cautions: an ECU lap of a linked car takes the flag of
// the official lap it matches, through the link's lap offset (this car's ECU counter runs
// one lap ahead), so the lap chart can mark FCY laps in its ECU view too.
TEST(EcuLaps, TakeTheFlagOfTheMatchingOfficialLap) {
  Session s;
  OfficialLaps laps;
  const std::int64_t times[] = {99000, 130000, 97300, 97800, 97500, 98100};  // lap 2 under FCY
  for (int lap = 1; lap <= 6; ++lap)
    laps.laps.push_back(official("13", lap, times[lap - 1] - 70000, 40000, 30000, lap == 2 ? "FCY" : "GF"));
  s.sections = laps;
  LapEvents starts, ends;
  auto add_laps = [&](const std::string& vehicle, int first_lap, const std::vector<std::int64_t>& durations) {
    std::int64_t t = 1'757'184'000'000;
    for (std::size_t i = 0; i <= durations.size(); ++i) {
      const int lap = first_lap + static_cast<int>(i);
      starts.events.push_back(LapEvent{vehicle, lap, t + 1, t, {}});
      ends.events.push_back(LapEvent{vehicle, lap - 1, t, t, {}});
      if (i < durations.size()) t += durations[i];
    }
  };
  add_laps("GR86-022-13", 2, {std::begin(times), std::end(times)});
  add_laps("GR86-099-99", 1, {120000, 121000, 119000, 120500});  // claimed by no car
  s.lap_starts = starts;
  s.lap_ends = ends;

  auto analysis = analyse_session(s);
  ASSERT_EQ(analysis.links.size(), 1u);
  ASSERT_EQ(analysis.links[0].vehicle_id, "GR86-022-13");
  ASSERT_EQ(analysis.links[0].lap_offset, 1);
  std::map<int, std::string> ecu_flags;
  for (const auto& r : analysis.laps) {
    if (r.source != LapSource::Ecu) continue;
    if (r.vehicle_id == "GR86-099-99")
      EXPECT_EQ(r.flag, "") << "an unlinked vehicle has no official flags to borrow";
    else
      ecu_flags[r.lap] = r.flag;
  }
  EXPECT_EQ(ecu_flags[3], "FCY") << "ECU lap 3 is official lap 2";
  EXPECT_EQ(ecu_flags[2], "GF");
  EXPECT_EQ(ecu_flags[4], "GF");
}

}  // namespace
}  // namespace apex
