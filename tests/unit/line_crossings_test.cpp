// Linking a car by line crossings when its ECU lap times do not agree with the official
// ones: crossings that jitter by up to 90 ms (lap times then differ by up to 180 ms), a lap
// counter that slips a number, an ECU clock days off, and a car running close behind.
#include "analysis/line_crossings.h"

#include <gtest/gtest.h>

#include <map>

#include "analysis/car_linking.h"

namespace apex {
namespace {

constexpr int kLaps = 25;
constexpr std::int64_t kEcuClockAhead = 3LL * 24 * 3600 * 1000 + 12'345;

// Deterministic jitter of crossing n of a logger: 40-89 ms early or late, alternately, so
// that every lap time is 80-178 ms off and no lap agrees within kLapAgreementMs.
std::int64_t jitter(int n, int seed) {
  std::uint32_t x =
      static_cast<std::uint32_t>(n) * 0x9E3779B1u ^ static_cast<std::uint32_t>(seed) * 0x85EBCA77u;
  x ^= x >> 15;
  x *= 0x2C1B3C6Du;
  x ^= x >> 12;
  const auto size = static_cast<std::int64_t>(40 + x % 50);
  return n % 2 == 0 ? size : -size;
}

// Official crossings (ELAPSED) of a car, lap 1..kLaps, and its lap times.
struct SimulatedCar {
  std::string number;
  std::vector<std::int64_t> elapsed;  // [0] = the start, 0
};

SimulatedCar leader(const std::string& number) {
  SimulatedCar car{number, {0}};
  for (int lap = 1; lap <= kLaps; ++lap)
    car.elapsed.push_back(car.elapsed.back() + 98'000 + (lap * 6271) % 1500);
  return car;
}

// A car 0.2-0.6 s behind `ahead` at every crossing.
SimulatedCar follower(const std::string& number, const SimulatedCar& ahead) {
  SimulatedCar car{number, {0}};
  for (int lap = 1; lap <= kLaps; ++lap) car.elapsed.push_back(ahead.elapsed[lap] + 200 + (lap * 3571) % 400);
  return car;
}

void add_official_laps(const SimulatedCar& car, std::vector<OfficialLap>& out) {
  for (int lap = 1; lap <= kLaps; ++lap) {
    OfficialLap o;
    o.car_number = car.number;
    o.lap = lap;
    o.lap_time_ms = car.elapsed[lap] - car.elapsed[lap - 1];
    o.elapsed_ms = car.elapsed[lap];
    out.push_back(o);
  }
}

// The car's logger: its counter one ahead of the official lap number, skipping a number
// from official lap `slip_from` on, its clock kEcuClockAhead ahead.
EcuVehicleLaps logger(const std::string& vehicle_id, const SimulatedCar& car, int seed, int slip_from) {
  EcuVehicleLaps v;
  v.vehicle_id = vehicle_id;
  auto crossing = [&](int n) { return car.elapsed[n] + kEcuClockAhead + jitter(n, seed); };
  for (int lap = 1; lap <= kLaps; ++lap) {
    EcuLap e;
    e.lap = lap + (lap >= slip_from ? 2 : 1);
    e.start_ms = crossing(lap - 1);
    e.end_ms = crossing(lap);
    e.duration_ms = e.end_ms - e.start_ms;
    v.laps.push_back(e);
  }
  return v;
}

std::map<std::string, CarLink> by_car(const std::vector<CarLink>& links) {
  std::map<std::string, CarLink> out;
  for (const auto& link : links) out[link.car_number] = link;
  return out;
}

TEST(LineCrossings, AStartOneMillisecondAfterAnEndIsOneCrossingNamedByTheEnd) {
  EcuVehicleLaps v;
  v.laps.push_back(EcuLap{5, false, 1000, 99'000, 98'000, true, ""});
  v.laps.push_back(EcuLap{6, false, 99'001, 197'500, 98'499, true, ""});
  const auto crossings = ecu_line_crossings(v);
  ASSERT_EQ(crossings.size(), 3u);
  EXPECT_EQ(crossings[0].lap_ended, 4);
  EXPECT_EQ(crossings[1].time_ms, 99'000);
  EXPECT_EQ(crossings[1].lap_ended, 5);
  EXPECT_EQ(crossings[2].lap_ended, 6);
}

TEST(LineCrossings, JitteredCrossingsMatchAfterTheClockOffset) {
  const SimulatedCar car = leader("7");
  std::vector<LineCrossing> official;
  for (int lap = 1; lap <= kLaps; ++lap) official.push_back(LineCrossing{car.elapsed[lap], lap});
  const auto agreement = compare_crossings(official, ecu_line_crossings(logger("GR86-006-7", car, 1, 21)));
  EXPECT_EQ(agreement.compared, kLaps);
  EXPECT_EQ(agreement.matching, kLaps);
  ASSERT_TRUE(agreement.median_abs_diff_s);
  EXPECT_LT(*agreement.median_abs_diff_s, 0.18) << "a crossing is off by at most two jitters";
  EXPECT_EQ(agreement.lap_offset, 1) << "the counter is one ahead on 20 of 25 laps";
}

TEST(CarLinking, LinksByLineCrossingsWhenJitterSpoilsTheLapTimes) {
  const SimulatedCar car7 = leader("7");
  const SimulatedCar car47 = follower("47", car7);  // no telemetry
  std::vector<OfficialLap> official;
  add_official_laps(car7, official);
  add_official_laps(car47, official);
  const auto links = by_car(link_cars(official, {logger("GR86-006-7", car7, 1, 21)}));

  const CarLink& link = links.at("7");
  ASSERT_EQ(link.vehicle_id, "GR86-006-7");
  EXPECT_EQ(link.linked_by, LinkEvidence::LineCrossings);
  EXPECT_LT(2 * link.agreeing_laps, link.compared_laps) << "the lap-time rule alone would not link it";
  EXPECT_EQ(link.lap_offset, 1);
  EXPECT_EQ(link.crossings.matching, kLaps);
  EXPECT_FALSE(links.at("47").vehicle_id) << "the car behind has no telemetry of its own";
  EXPECT_EQ(links.at("47").linked_by, LinkEvidence::None);
}

TEST(CarLinking, TwoCarsNoseToTailEachGetTheirOwnVehicle) {
  const SimulatedCar car2 = leader("2");
  const SimulatedCar car47 = follower("47", car2);
  std::vector<OfficialLap> official;
  add_official_laps(car2, official);
  add_official_laps(car47, official);
  // Vehicle ids say nothing (000), and the follower's vehicle comes first.
  const auto links = by_car(
      link_cars(official, {logger("GR86-025-000", car47, 2, 99), logger("GR86-002-000", car2, 3, 99)}));
  EXPECT_EQ(links.at("2").vehicle_id, "GR86-002-000");
  EXPECT_EQ(links.at("47").vehicle_id, "GR86-025-000");
  for (auto car : {"2", "47"}) {
    EXPECT_EQ(links.at(car).linked_by, LinkEvidence::LineCrossings) << car;
    EXPECT_EQ(links.at(car).lap_offset, 1) << car;
  }
}

TEST(CarLinking, LapTimeLinksShowHowTheirCrossingsAgree) {
  const SimulatedCar car = leader("13");
  std::vector<OfficialLap> official;
  add_official_laps(car, official);
  EcuVehicleLaps v = logger("GR86-022-13", car, 0, 99);
  // No jitter: lap times agree exactly.
  for (int lap = 1; lap <= kLaps; ++lap) {
    auto& e = v.laps[static_cast<std::size_t>(lap - 1)];
    e.start_ms = car.elapsed[lap - 1] + kEcuClockAhead;
    e.end_ms = car.elapsed[lap] + kEcuClockAhead;
    e.duration_ms = e.end_ms - e.start_ms;
  }
  const auto links = by_car(link_cars(official, {v}));
  const CarLink& link = links.at("13");
  EXPECT_EQ(link.linked_by, LinkEvidence::LapTimes);
  EXPECT_EQ(link.agreeing_laps, kLaps);
  EXPECT_EQ(link.crossings.matching, kLaps);
  EXPECT_EQ(link.crossings.median_abs_diff_s, 0.0);
}

}  // namespace
}  // namespace apex
