#include "analysis/ecu_laps.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "analysis/car_linking.h"

namespace apex {
namespace {

constexpr std::int64_t kT0 = 1'757'184'000'000;

// A car crossing the line at the given times (ms after kT0) with lap counters.
void crossings(std::vector<LapEvent>& starts, std::vector<LapEvent>& ends, const std::string& vehicle,
               const std::vector<std::pair<std::int64_t, int>>& at_and_lap) {
  for (auto [at, lap] : at_and_lap) {
    ends.push_back(LapEvent{vehicle, lap == 32768 || lap == 0 ? lap : lap - 1, kT0 + at, kT0 + at + 500, {}});
    starts.push_back(LapEvent{vehicle, lap, kT0 + at + 1, kT0 + at + 500, {}});
  }
}

TEST(EcuLaps, LapIsEndMinusStartAndBurstsCollapse) {
  std::vector<LapEvent> starts, ends;
  crossings(starts, ends, "GR86-001-1", {{0, 2}, {98000, 3}, {196500, 4}, {295000, 5}});
  // A burst: the same crossing repeated 2 and 4 ms later with a wrong counter.
  starts.push_back(LapEvent{"GR86-001-1", 3, kT0 + 196502, 0, {}});
  starts.push_back(LapEvent{"GR86-001-1", 4, kT0 + 196504, 0, {}});
  auto vehicles = build_ecu_laps(starts, ends);
  ASSERT_EQ(vehicles.size(), 1u);
  const auto& laps = vehicles[0].laps;
  ASSERT_EQ(laps.size(), 3u) << "duplicated crossings must not make extra laps";
  EXPECT_EQ(laps[0].lap, 2);
  EXPECT_EQ(laps[0].duration_ms, 98000);
  EXPECT_EQ(laps[1].lap, 3);
  EXPECT_EQ(laps[1].duration_ms, 98500);
  EXPECT_EQ(laps[2].lap, 4);
  EXPECT_EQ(vehicles[0].raw_crossings, 10);
  EXPECT_EQ(vehicles[0].crossings, 4);
}

TEST(EcuLaps, LostLapCountersKeepTheirCrossings) {
  std::vector<LapEvent> starts, ends;
  crossings(starts, ends, "GR86-002-2", {{0, 5}, {99000, 32768}, {198000, 0}, {297000, 8}});
  auto vehicles = build_ecu_laps(starts, ends);
  ASSERT_EQ(vehicles[0].laps.size(), 3u);
  EXPECT_EQ(vehicles[0].laps[0].lap, 5);
  EXPECT_EQ(vehicles[0].laps[1].lap, 6);
  EXPECT_TRUE(vehicles[0].laps[1].lap_number_inferred);
  EXPECT_EQ(vehicles[0].laps[2].lap, 7);
  EXPECT_EQ(vehicles[0].laps[2].duration_ms, 99000);
}

TEST(EcuLaps, MisTimedCrossingFlagsBothLaps) {
  std::vector<LapEvent> starts, ends;
  // Typical 99 s; the crossing after lap 4 came 34 s late: 133 s then 65 s.
  std::vector<std::pair<std::int64_t, int>> at;
  std::int64_t t = 0;
  for (int lap = 1; lap <= 10; ++lap) {
    at.emplace_back(t, lap);
    t += lap == 4 ? 133000 : lap == 5 ? 65000 : 99000;
  }
  at.emplace_back(t, 11);
  crossings(starts, ends, "GR86-036-98", at);
  crossings(starts, ends, "GR86-004-78", {{0, 1}, {98000, 2}, {196000, 3}, {294500, 4}});
  auto vehicles = build_ecu_laps(starts, ends);
  const auto& laps = vehicles[1].vehicle_id == "GR86-036-98" ? vehicles[1].laps : vehicles[0].laps;
  ASSERT_EQ(laps.size(), 10u);
  for (const auto& lap : laps) {
    bool artefact = lap.lap == 4 || lap.lap == 5;
    EXPECT_EQ(lap.valid, !artefact) << "lap " << lap.lap << " " << lap.invalid_reason;
    if (artefact) {
      EXPECT_NE(lap.invalid_reason.find("mis-timed"), std::string::npos) << lap.invalid_reason;
    }
  }
}

TEST(EcuLaps, ImpossiblyShortLapAloneIsFlagged) {
  std::vector<LapEvent> starts, ends;
  crossings(starts, ends, "GR86-010-16",
            {{0, 1}, {99000, 2}, {198000, 3}, {260000, 4}, {359000, 5}, {458000, 6}, {557000, 7}});
  auto vehicles = build_ecu_laps(starts, ends);
  for (const auto& lap : vehicles[0].laps) EXPECT_EQ(lap.valid, lap.lap != 3) << lap.lap;
}

// A vehicle whose laps take the given times, counted from first_lap.
EcuVehicleLaps vehicle_with_laps(const std::string& id, const std::vector<std::int64_t>& durations,
                                 int first_lap = 1) {
  EcuVehicleLaps v;
  v.vehicle_id = id;
  std::int64_t t = kT0;
  int lap = first_lap;
  for (std::int64_t d : durations) {
    v.laps.push_back(EcuLap{lap++, false, t, t + d, d, true, ""});
    t += d;
  }
  return v;
}

const EcuLap& lap_of(const EcuVehicleLaps& v, int lap) {
  for (const auto& l : v.laps)
    if (l.lap == lap) return l;
  throw std::out_of_range("no lap " + std::to_string(lap));
}

TEST(EcuLaps, CautionHeavyRaceKeepsGreenLapsAndFlagsMisTimedPairs) {
  // 5 green laps, 20 under caution, 5 green: the median lap is a caution lap.
  auto race = [](std::int64_t green, int seed) {
    std::vector<std::int64_t> laps;
    for (int lap = 1; lap <= 30; ++lap) {
      const std::int64_t jitter = (lap * seed) % 700;
      laps.push_back((lap <= 5 || lap > 25 ? green : 140'000) + jitter);
    }
    return laps;
  };
  auto a = race(99'000, 379), b = race(100'000, 211), c = race(101'000, 97);
  // Car a: a crossing 33 s late under green (133 s then 67 s). Car b: one 60 s late under
  // caution (200 s then 80 s), which only the neighbouring caution laps explain.
  a[26] = 133'000, a[27] = 67'000;
  b[9] = 200'000, b[10] = 80'000;
  std::vector<EcuVehicleLaps> vehicles{vehicle_with_laps("GR86-001-1", a), vehicle_with_laps("GR86-002-2", b),
                                       vehicle_with_laps("GR86-003-3", c)};
  flag_impossible_laps(vehicles);
  for (const auto& v : vehicles) {
    for (const auto& lap : v.laps) {
      const bool artefact = (v.vehicle_id == "GR86-001-1" && (lap.lap == 27 || lap.lap == 28)) ||
                            (v.vehicle_id == "GR86-002-2" && (lap.lap == 10 || lap.lap == 11));
      EXPECT_EQ(lap.valid, !artefact) << v.vehicle_id << " lap " << lap.lap << ": " << lap.invalid_reason;
    }
  }
  EXPECT_NE(
      lap_of(vehicles[0], 27).invalid_reason.find("mis-timed crossing: laps 27 and 28 (2:13.000 + 1:07.000)"),
      std::string::npos)
      << lap_of(vehicles[0], 27).invalid_reason;
  EXPECT_NE(lap_of(vehicles[0], 27).invalid_reason.find("green pace (1:39."), std::string::npos)
      << lap_of(vehicles[0], 27).invalid_reason;
  EXPECT_NE(lap_of(vehicles[1], 11).invalid_reason.find("two laps of their neighbours (2:20."),
            std::string::npos)
      << lap_of(vehicles[1], 11).invalid_reason;
}

TEST(EcuLaps, ShortLapIsJudgedAgainstGreenPaceNotCautionPace) {
  // 14 caution laps around 140 s and 6 green laps around 100 s; lap 18 (85 s) is below
  // 92% of the green pace, and a 110 s lap at the end of the caution is not.
  std::vector<std::int64_t> laps;
  for (int lap = 1; lap <= 20; ++lap) laps.push_back((lap <= 14 ? 140'000 : 100'000) + (lap * 137) % 500);
  laps[13] = 110'000;
  laps[17] = 85'000;
  std::vector<EcuVehicleLaps> vehicles{vehicle_with_laps("GR86-001-1", laps)};
  flag_impossible_laps(vehicles);
  for (const auto& lap : vehicles[0].laps)
    EXPECT_EQ(lap.valid, lap.lap != 18) << lap.lap << " " << lap.invalid_reason;
  EXPECT_NE(lap_of(vehicles[0], 18).invalid_reason.find("too short: 1:25.000 is under 1:32."),
            std::string::npos)
      << lap_of(vehicles[0], 18).invalid_reason;
}

OfficialLap official_lap(const std::string& car, int lap, std::int64_t ms, const std::string& flag) {
  OfficialLap o;
  o.car_number = car;
  o.lap = lap;
  o.lap_time_ms = ms;
  o.flag = flag;
  return o;
}

TEST(EcuLaps, OfficialReferenceIsKeyedByEcuLapWithGreenPace) {
  std::vector<OfficialLap> official{
      official_lap("22", 1, 110'000, "GF"),  official_lap("22", 2, 100'000, "GF"),
      official_lap("22", 3, 150'000, "FCY"), official_lap("22", 4, 152'000, "FCY"),
      official_lap("22", 5, 151'000, "FCY"), official_lap("22", 6, 101'000, "GF"),
      official_lap("22", 6, 999'000, "GF"),  // repeated in the export
      official_lap("13", 1, 90'000, "GF")};
  const auto ref = official_reference(official, "22", 2);
  ASSERT_EQ(ref.by_ecu_lap.size(), 6u);
  EXPECT_EQ(ref.by_ecu_lap.at(3).official_lap, 1);
  EXPECT_EQ(ref.by_ecu_lap.at(8).ms, 101'000) << "the first of a repeated lap counts";
  EXPECT_EQ(ref.green_pace_ms, 101'000) << "median of the green laps only";
  EXPECT_FALSE(official_reference(official, "13", 0).green_pace_ms) << "one green lap is too few";
}

TEST(EcuLaps, LinkedCarLapsThatAgreeWithOfficialLapsAreNeverFlagged) {
  // Car 22: green around 99 s, a 320 s stop on lap 4, five caution laps; ECU counters run one
  // ahead of the official ones.
  std::vector<OfficialLap> official;
  std::vector<std::int64_t> official_ms;
  for (int lap = 1; lap <= 16; ++lap) {
    const bool caution = lap >= 7 && lap <= 11;
    const std::int64_t ms = lap == 4 ? 320'000 : (caution ? 145'000 : 99'000) + (lap * 331) % 600;
    official.push_back(official_lap("22", lap, ms, caution ? "FCY" : "GF"));
    official_ms.push_back(ms);
  }
  std::vector<std::int64_t> ecu_ms;
  for (std::size_t i = 0; i < official_ms.size(); ++i)
    ecu_ms.push_back(official_ms[i] + (i % 2 == 0 ? 40 : -250));
  // Official laps 13 and 14: the crossing between them logged 34 s late. Official lap 2: 20 s
  // too long, with nothing given back.
  ecu_ms[12] += 34'000, ecu_ms[13] -= 34'000;
  ecu_ms[1] += 20'000;
  std::vector<EcuVehicleLaps> vehicles{
      vehicle_with_laps("GR86-010-16", ecu_ms, 2),
      vehicle_with_laps("GR86-004-78", std::vector<std::int64_t>(16, 99'500))};

  // By pace alone the stop is too long.
  flag_impossible_laps(vehicles);
  EXPECT_FALSE(lap_of(vehicles[0], 5).valid);
  EXPECT_NE(lap_of(vehicles[0], 5).invalid_reason.find("too long"), std::string::npos);

  // With the official laps the stop is real; judging again clears the earlier flags.
  const OfficialReferences refs{{"GR86-010-16", official_reference(official, "22", 1)}};
  flag_impossible_laps(vehicles, refs);
  for (const auto& lap : vehicles[0].laps) {
    const bool agrees =
        std::llabs(lap.duration_ms - official_ms[static_cast<std::size_t>(lap.lap - 2)]) <= 300;
    EXPECT_EQ(lap.valid, agrees) << "lap " << lap.lap << ": " << lap.invalid_reason;
  }
  EXPECT_EQ(lap_of(vehicles[0], 3).invalid_reason,
            "disagrees with official lap 2: 1:58.812 against 1:39.062");
  EXPECT_NE(lap_of(vehicles[0], 14).invalid_reason.find("mis-timed crossing: laps 14 and 15"),
            std::string::npos)
      << lap_of(vehicles[0], 14).invalid_reason;
  EXPECT_NE(lap_of(vehicles[0], 15).invalid_reason.find("add up to official laps 13 and 14"),
            std::string::npos)
      << lap_of(vehicles[0], 15).invalid_reason;
}

OfficialLap official(const std::string& car, int lap, std::int64_t ms) {
  OfficialLap o;
  o.car_number = car;
  o.lap = lap;
  o.lap_time_ms = ms;
  return o;
}

TEST(CarLinking, LinksByLapTimesNotByTheNumberInTheId) {
  // Car 22 drives the vehicle whose id says 16; car 16 has no telemetry.
  std::vector<OfficialLap> laps;
  std::vector<EcuVehicleLaps> ecu(2);
  ecu[0].vehicle_id = "GR86-010-16";
  ecu[1].vehicle_id = "GR86-022-13";
  for (int lap = 1; lap <= 12; ++lap) {
    std::int64_t t22 = 98000 + (lap * 7919) % 1500, t13 = 97500 + (lap * 6271) % 1700,
                 t16 = 99000 + (lap * 3571) % 1600;
    laps.push_back(official("22", lap, t22));
    laps.push_back(official("13", lap, t13));
    laps.push_back(official("16", lap, t16));
    // ECU counters run one ahead of the official lap numbers; times agree within 20 ms.
    ecu[0].laps.push_back(EcuLap{lap + 1, false, 0, 0, t22 + 20, true, ""});
    ecu[1].laps.push_back(EcuLap{lap + 1, false, 0, 0, t13 - 15, true, ""});
  }
  auto links = link_cars(laps, ecu);
  ASSERT_EQ(links.size(), 3u);
  EXPECT_EQ(links[0].car_number, "13");
  EXPECT_EQ(links[0].vehicle_id, "GR86-022-13");
  EXPECT_EQ(links[1].car_number, "16");
  EXPECT_FALSE(links[1].vehicle_id) << "no vehicle agrees with car 16";
  EXPECT_EQ(links[2].car_number, "22");
  EXPECT_EQ(links[2].vehicle_id, "GR86-010-16");
  EXPECT_EQ(links[2].lap_offset, 1);
  EXPECT_EQ(links[2].agreeing_laps, 12);
  EXPECT_FALSE(links[2].id_number_matches);
}

TEST(CarLinking, NumberInVehicleId) {
  EXPECT_EQ(number_in_vehicle_id("GR86-010-16"), "16");
  EXPECT_EQ(number_in_vehicle_id("GR86-002-000"), std::nullopt);
  EXPECT_EQ(number_in_vehicle_id("GR86-013-080"), "80");
  EXPECT_EQ(number_in_vehicle_id("nonsense"), std::nullopt);
}

}  // namespace
}  // namespace apex
