// How official timing decides each car's fastest lap (analysis/official_cars.h), on small
// hand-made sessions: lap 1, deleted laps, the results' final word, two cars with one
// number, and the fallbacks when a race has no results file.
#include "analysis/official_cars.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "analysis/leaderboard.h"
#include "analysis/session_analysis.h"
#include "formats/official_timing_parser.h"

namespace apex {
namespace {

OfficialLap lap_of(std::string car, int lap, std::int64_t ms, int block = 1,
                   std::optional<int> improvement = {}) {
  OfficialLap l;
  l.car_number = std::move(car);
  l.car_block = block;
  l.lap = lap;
  l.lap_time_ms = ms;
  l.flag = "GF";
  l.lap_improvement = improvement;
  return l;
}

ResultEntry result_of(std::string car, int position, int laps, int fastest_lap,
                      std::optional<std::int64_t> ms) {
  ResultEntry e;
  e.car_number = std::move(car);
  e.position = position;
  e.laps = laps;
  e.fastest_lap_number = fastest_lap;
  e.fastest_lap_ms = ms;
  return e;
}

const OfficialCar& car_with_id(const std::vector<OfficialCar>& cars, const std::string& id) {
  for (const auto& car : cars)
    if (car.car_id == id) return car;
  ADD_FAILURE() << "no car " << id;
  static const OfficialCar none;
  return none;
}

Session session_of(std::vector<OfficialLap> laps) {
  Session s;
  s.sections = OfficialLaps{std::move(laps), {}};
  return s;
}

TEST(OfficialFastestLap, LapOneIsNeverTheFastestLap) {
  // Lap 1 from a rolling start can be the quickest time of all (Indianapolis R1 car 31).
  auto cars =
      official_cars(session_of({lap_of("31", 1, 106933), lap_of("31", 2, 107868), lap_of("31", 3, 108100)}));
  ASSERT_EQ(cars.size(), 1u);
  EXPECT_EQ(cars[0].fastest_lap, 2);
  EXPECT_EQ(cars[0].fastest_lap_ms, 107868);
}

TEST(OfficialFastestLap, ACarWhoseOnlyLapIsLapOneHasNone) {
  auto cars =
      official_cars(session_of({lap_of("2", 1, 232412), lap_of("7", 1, 150000), lap_of("7", 2, 149000)}));
  const OfficialCar& car2 = car_with_id(cars, "2");
  EXPECT_FALSE(car2.fastest_lap);
  EXPECT_NE(car2.no_fastest_lap_reason.find("lap 1"), std::string::npos) << car2.no_fastest_lap_reason;
}

TEST(OfficialFastestLap, ADeletedLapIsNotMarkedAndNeverCounts) {
  // LAP_IMPROVEMENT marks each car's official best; lap 7 (faster, deleted) is not marked.
  auto cars = official_cars(session_of({lap_of("47", 2, 150500, 1, 0), lap_of("47", 7, 149690, 1, 0),
                                        lap_of("47", 10, 149846, 1, 2), lap_of("89", 3, 149800, 1, 3)}));
  EXPECT_EQ(car_with_id(cars, "47").fastest_lap, 10);
  EXPECT_EQ(car_with_id(cars, "47").fastest_lap_ms, 149846);
  EXPECT_EQ(car_with_id(cars, "89").fastest_lap, 3);
}

TEST(OfficialFastestLap, TheResultsAreTheFinalWord) {
  Session s = session_of({lap_of("47", 2, 150500, 1, 0), lap_of("47", 7, 149690, 1, 0),
                          lap_of("47", 10, 149846, 1, 0), lap_of("86", 1, 114101)});
  s.results = Results{{result_of("47", 13, 10, 10, 149846), result_of("86", 29, 1, 0, std::nullopt)}, {}};
  auto cars = official_cars(s);
  EXPECT_EQ(car_with_id(cars, "47").fastest_lap, 10);
  EXPECT_NE(car_with_id(cars, "47").fastest_lap_basis.find("results"), std::string::npos);
  EXPECT_FALSE(car_with_id(cars, "86").fastest_lap) << "FL_LAPNUM 0: no official fastest lap";
  EXPECT_EQ(car_with_id(cars, "86").no_fastest_lap_reason, "the results give this car no fastest lap");
}

TEST(OfficialFastestLap, BestTenLapsDecideWithoutResults) {
  Session s = session_of({lap_of("13", 2, 97500), lap_of("13", 3, 97300), lap_of("13", 4, 97600)});
  BestLapsEntry entry;
  entry.car_number = "13";
  entry.total_driver_laps = 4;
  entry.best = {{2, 97500}, {4, 97600}};  // lap 3 was deleted: the officials do not list it
  s.best_laps = BestLaps{{entry}, {}};
  auto cars = official_cars(s);
  EXPECT_EQ(cars[0].fastest_lap, 2);
  EXPECT_NE(cars[0].fastest_lap_basis.find("99_"), std::string::npos);
}

TEST(OfficialDeletedLaps, TheBestTenLapsFileShowsDeletedLapsSlowerThanTheFastest) {
  // Laps 2..13; 99_ lists the ten best that count. Lap 5 (98.55 s) is quicker than the tenth
  // listed (98.9 s) but missing: deleted. Lap 13 (99.5 s) is slower than all listed: unknown.
  std::vector<OfficialLap> laps{lap_of("13", 1, 96000)};
  BestLapsEntry entry;
  entry.car_number = "13";
  for (int lap = 2; lap <= 13; ++lap) {
    const std::int64_t ms = lap == 5    ? 98550
                            : lap == 13 ? 99500
                                        : 98000 + 100 * (lap - 2) - (lap > 5 ? 100 : 0);
    laps.push_back(lap_of("13", lap, ms));
    if (lap != 5 && lap != 13) entry.best.emplace_back(lap, ms);
  }
  std::sort(entry.best.begin(), entry.best.end(), [](auto& a, auto& b) { return a.second < b.second; });
  ASSERT_EQ(entry.best.size(), 10u);
  Session s = session_of(laps);
  s.best_laps = BestLaps{{entry}, {}};
  auto cars = official_cars(s);
  ASSERT_EQ(cars.size(), 1u);
  EXPECT_EQ(cars[0].fastest_lap, 2);
  ASSERT_EQ(cars[0].deleted_laps.size(), 1u) << "lap 1 is never listed, and is not deleted";
  EXPECT_EQ(cars[0].deleted_laps.begin()->first, 5);
  EXPECT_NE(cars[0].deleted_laps.begin()->second.find("not listed"), std::string::npos);

  // The session's laps: the deleted one is invalid and says why; pace never sees it.
  const SessionAnalysis analysis = analyse_session(s);
  for (const auto& r : analysis.laps) {
    EXPECT_EQ(r.deleted, r.lap == 5) << r.lap;
    if (r.lap == 5) {
      EXPECT_NE(r.invalid_reason.find("deleted by the officials"), std::string::npos);
    }
  }
}

TEST(OfficialCars, TwoCarsWithOneNumberAreTwoCarsMatchedToTheirResultRows) {
  // Same number, same class, no group: only their laps and the results tell them apart.
  Session s = session_of({lap_of("3", 1, 160000, 1), lap_of("3", 2, 151035, 1), lap_of("3", 3, 152000, 1),
                          lap_of("3", 1, 161000, 2), lap_of("3", 2, 152500, 2), lap_of("3", 3, 152070, 2)});
  // Result rows in the other order: the second car of the file finished ahead.
  s.results = Results{{result_of("3", 15, 3, 3, 152070), result_of("3", 18, 3, 2, 151035)}, {}};
  auto cars = official_cars(s);
  ASSERT_EQ(cars.size(), 2u);
  EXPECT_EQ(car_with_id(cars, "3").fastest_lap_ms, 151035);
  EXPECT_EQ(car_with_id(cars, "3").result_row, 1u);
  EXPECT_EQ(car_with_id(cars, "3-2").fastest_lap_ms, 152070);
  EXPECT_EQ(car_with_id(cars, "3-2").result_row, 0u);

  auto analysis = analyse_session(s);
  const DriverSummary* second = analysis.find_driver("car-3-2");
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->car_number, "3");
  EXPECT_EQ(second->race_position, 15);
  EXPECT_EQ(second->best_lap_ms, 152070);
  EXPECT_EQ(analysis.find_driver("car-3")->race_position, 18);
  auto rows = build_leaderboard(analysis);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].driver->driver_id, "car-3");
  EXPECT_EQ(rows[1].driver->driver_id, "car-3-2");
}

TEST(OfficialCars, TheParserTellsBlocksApartAndReadsNumbersWrittenAsDecimals) {
  const std::string file =
      "NUMBER; LAP_NUMBER; LAP_TIME; LAP_IMPROVEMENT\n"
      "3;1;2:40.000;0\n3;2;2:31.035;2\n7.0;1;2:35.000;0\n3;1;2:41.000;0\n03;1;2:39.000;0\n3;2;2:32.070;2\n";
  auto laps = parse_sections(file, "23_test.CSV");
  ASSERT_TRUE(laps) << laps.error().message;
  std::vector<std::string> ids;
  for (const auto& l : laps->laps) ids.push_back(official_car_id(l.car_number, l.car_block));
  EXPECT_EQ(ids, (std::vector<std::string>{"3", "3", "7", "3-2", "03", "3-2"}));
  EXPECT_EQ(laps->laps[1].lap_improvement, 2);
}

// The timing system's -999 and blank cells are missing values, never numbers.
TEST(OfficialValues, SentinelsAndBlanksStayMissing) {
  auto results = parse_results(
      "POSITION;NUMBER;STATUS;LAPS;FL_LAPNUM;FL_TIME;FL_KPH\n1;7;Classified;20;-999;;-999\n", "03_test.CSV");
  ASSERT_TRUE(results) << results.error().message;
  EXPECT_FALSE(results->entries[0].fastest_lap_number) << "-999 is no lap number";
  EXPECT_FALSE(results->entries[0].fastest_lap_kph);
  auto sections = parse_sections(
      "NUMBER;LAP_NUMBER;LAP_TIME;S1;S2;S3;KPH\n7;2;1:37.000;26.000;;28.000;-999\n", "23_test.CSV");
  ASSERT_TRUE(sections) << sections.error().message;
  EXPECT_FALSE(sections->laps[0].s2_ms);
  EXPECT_FALSE(sections->laps[0].kph);
  // Results silent on the fastest lap (a sentinel): the next rule decides.
  Session s = session_of({lap_of("7", 1, 96000), lap_of("7", 2, 97000), lap_of("7", 3, 98000)});
  s.results = *results;
  auto cars = official_cars(s);
  EXPECT_EQ(cars[0].fastest_lap, 2);
}

// A theoretical best comes only from laps with all three sectors, and is never above the
// car's best lap (the best lap's blank sector would make the sum a guess).
TEST(OfficialValues, TheoreticalBestFromCompleteLapsAndNeverAboveTheBestLap) {
  auto with_sectors = [](int lap, std::int64_t ms, std::optional<std::int64_t> s1,
                         std::optional<std::int64_t> s2, std::optional<std::int64_t> s3) {
    OfficialLap l = lap_of("7", lap, ms);
    l.s1_ms = s1;
    l.s2_ms = s2;
    l.s3_ms = s3;
    return l;
  };
  // Lap 2, the best, has no S2; lap 3's sectors add up to more than lap 2's time.
  Session s =
      session_of({with_sectors(2, 97000, 26000, std::nullopt, 28000),
                  with_sectors(3, 98000, 26500, 43000, 28500), with_sectors(4, 98500, 26400, 43600, 28500)});
  auto analysis = analyse_session(s);
  const DriverSummary* car7 = analysis.find_driver("7");
  ASSERT_NE(car7, nullptr);
  EXPECT_EQ(car7->best_lap_ms, 97000);
  EXPECT_EQ(car7->best_s1_ms, 26400) << "lap 2's S1 is not used: its S2 is blank";
  EXPECT_FALSE(car7->theoretical_best_ms) << "26.4 + 43.0 + 28.5 = 97.9 s is above the best lap";
  // With complete sectors on every lap the sum is the theoretical best.
  Session complete =
      session_of({with_sectors(2, 97000, 26000, 43000, 28000), with_sectors(3, 98000, 25900, 43500, 28600)});
  auto figures = analyse_session(complete);
  EXPECT_EQ(figures.find_driver("7")->theoretical_best_ms, 25900 + 43000 + 28000);
}

}  // namespace
}  // namespace apex
