#include "analysis/ecu_laps.h"

#include <gtest/gtest.h>

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
