// Linking a car by line crossings when its ECU lap times do not agree with the official
// ones: crossings that jitter by up to 90 ms (lap times then differ by up to 180 ms), a lap
// counter that slips a number, a logger that timed only two laps, and cars running close
// together. The ECU clock is epoch ms; official crossings are HOUR, local time of day; the
// session's one offset between them comes from a car whose lap times link it.
#include "analysis/line_crossings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "analysis/car_linking.h"
#include "analysis/session_analysis.h"
#include "core/time_format.h"

namespace apex {
namespace {

constexpr int kLaps = 25;
// The ECU clock at local midnight of race day (PDT: 07:00 UTC), plus the loggers' 180 ms.
constexpr std::int64_t kEcuClockAhead = 1'743'231'600'000 + 180;
constexpr std::int64_t kRaceStartTimeOfDay = 14LL * 3600 * 1000;  // 14:00:00.000
constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

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

// Official crossings (ELAPSED) of a car, lap 1..kLaps.
struct SimulatedCar {
  std::string number;
  std::vector<std::int64_t> elapsed;  // [0] = the start, 0
};

SimulatedCar leader(const std::string& number, std::int64_t start_ms = 0) {
  SimulatedCar car{number, {start_ms}};
  for (int lap = 1; lap <= kLaps; ++lap)
    car.elapsed.push_back(car.elapsed.back() + 98'000 + (lap * 6271) % 1500);
  return car;
}

// A car gap_ms (plus 0-0.4 s) behind `ahead` at every crossing.
SimulatedCar follower(const std::string& number, const SimulatedCar& ahead, std::int64_t gap_ms = 200) {
  SimulatedCar car{number, {0}};
  for (int lap = 1; lap <= kLaps; ++lap)
    car.elapsed.push_back(ahead.elapsed[lap] + gap_ms + (lap * 3571) % 400);
  return car;
}

// "14:01:38.123"
std::string hour_text(std::int64_t time_of_day_ms) {
  const std::string iso = format_iso8601_ms(time_of_day_ms % kDayMs);  // 1970-01-01T14:01:38.123Z
  return iso.substr(11, 12);
}

void add_official_laps(const SimulatedCar& car, std::vector<OfficialLap>& out) {
  for (int lap = 1; lap <= kLaps; ++lap) {
    OfficialLap o;
    o.car_number = car.number;
    o.lap = lap;
    o.lap_time_ms = car.elapsed[lap] - car.elapsed[lap - 1];
    o.elapsed_ms = car.elapsed[lap];
    o.hour = hour_text(kRaceStartTimeOfDay + car.elapsed[lap]);
    out.push_back(o);
  }
}

std::int64_t ecu_time(const SimulatedCar& car, int crossing) {
  return kEcuClockAhead + kRaceStartTimeOfDay + car.elapsed[static_cast<std::size_t>(crossing)];
}

// The car's logger for official laps first..last: its counter one ahead of the official
// lap number, skipping a number from official lap `slip_from` on; seed 0: no jitter.
EcuVehicleLaps logger(const std::string& vehicle_id, const SimulatedCar& car, int seed, int slip_from,
                      int first = 1, int last = kLaps) {
  EcuVehicleLaps v;
  v.vehicle_id = vehicle_id;
  auto crossing = [&](int n) { return ecu_time(car, n) + (seed == 0 ? 0 : jitter(n, seed)); };
  for (int lap = first; lap <= last; ++lap) {
    EcuLap e;
    e.lap = lap + (lap >= slip_from ? 2 : 1);
    e.start_ms = crossing(lap - 1);
    e.end_ms = crossing(lap);
    e.duration_ms = e.end_ms - e.start_ms;
    v.laps.push_back(e);
  }
  return v;
}

// A car well apart from the others whose lap times link it: it sets the session clock.
const SimulatedCar kAnchor = leader("13", 40'000);
EcuVehicleLaps anchor_logger() {
  return logger("GR86-022-13", kAnchor, 0, 99);
}

std::map<std::string, CarLink> by_car(const std::vector<CarLink>& links) {
  std::map<std::string, CarLink> out;
  for (const auto& link : links) out[link.car_id] = link;
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

TEST(LineCrossings, TimeOfDay) {
  EXPECT_EQ(time_of_day_ms("15:58:26.323"), ((15 * 60 + 58) * 60 + 26) * 1000 + 323);
  EXPECT_EQ(time_of_day_ms("8:51:09.6"), ((8 * 60 + 51) * 60 + 9) * 1000 + 600);
  EXPECT_EQ(time_of_day_ms("08:51:09"), ((8 * 60 + 51) * 60 + 9) * 1000);
  EXPECT_EQ(time_of_day_ms(""), std::nullopt);
  EXPECT_EQ(time_of_day_ms("1:58.323"), std::nullopt) << "a lap time, not a time of day";
  EXPECT_EQ(time_of_day_ms("25:00:00"), std::nullopt);
}

TEST(LineCrossings, OfficialCrossingsAreHourPastMidnightIntoTheNextDay) {
  std::vector<OfficialLap> laps(3);
  const char* hours[] = {"23:58:30.000", "23:59:59.500", "00:01:30.250"};
  for (int i = 0; i < 3; ++i) {
    laps[i].car_number = "7";
    laps[i].lap = i + 1;
    laps[i].lap_time_ms = 90'000;
    laps[i].hour = hours[i];
  }
  const auto official = official_line_crossings(laps);
  EXPECT_EQ(official.clock, OfficialClock::TimeOfDay);
  const auto& crossings = official.by_car.at("7");
  ASSERT_EQ(crossings.size(), 3u);
  EXPECT_EQ(crossings[2].time_ms - crossings[1].time_ms, 90'750);
  // Without HOUR on every lap, ELAPSED dates the crossings.
  laps[1].hour.clear();
  for (int i = 0; i < 3; ++i) laps[i].elapsed_ms = 90'000 * (i + 1);
  const auto by_elapsed = official_line_crossings(laps);
  EXPECT_EQ(by_elapsed.clock, OfficialClock::Elapsed);
  EXPECT_EQ(by_elapsed.by_car.at("7")[2].time_ms, 270'000);
}

TEST(LineCrossings, JitteredCrossingsMatchAtTheClockOffset) {
  const SimulatedCar car = leader("7");
  const auto official = official_line_crossings([&] {
                          std::vector<OfficialLap> laps;
                          add_official_laps(car, laps);
                          return laps;
                        }())
                            .by_car.at("7");
  const auto ecu = ecu_line_crossings(logger("GR86-006-7", car, 1, 21));
  const auto agreement = compare_crossings_at(official, ecu, kEcuClockAhead);
  EXPECT_EQ(agreement.compared, kLaps);
  EXPECT_EQ(agreement.ecu_compared, kLaps) << "from the first official crossing: not the start";
  EXPECT_EQ(agreement.matching, kLaps);
  ASSERT_TRUE(agreement.median_abs_diff_s);
  EXPECT_LT(*agreement.median_abs_diff_s, 0.09) << "a crossing is off by at most one jitter";
  EXPECT_EQ(agreement.lap_offset, 1) << "the counter is one ahead on 20 of 25 laps";
  // A second off, nothing matches.
  EXPECT_EQ(compare_crossings_at(official, ecu, kEcuClockAhead + 1000).matching, 0);
}

TEST(SessionClock, IsTheOffsetOfTheCarsLinkedByLapTimes) {
  const SimulatedCar car7 = leader("7");
  std::vector<OfficialLap> official;
  add_official_laps(kAnchor, official);
  add_official_laps(car7, official);
  EcuVehicleLaps second_anchor = logger("GR86-006-7", car7, 0, 99);
  for (auto& lap : second_anchor.laps) lap.start_ms += 40, lap.end_ms += 40;  // this logger 40 ms late
  const auto estimate = estimate_session_clock(official, {anchor_logger(), second_anchor});
  ASSERT_TRUE(estimate.clock) << estimate.why_not;
  EXPECT_EQ(estimate.clock->official_clock, OfficialClock::TimeOfDay);
  EXPECT_EQ(estimate.clock->cars, 2);
  EXPECT_EQ(estimate.clock->spread_ms, 40);
  EXPECT_EQ(estimate.clock->offset_ms, kEcuClockAhead) << "the lower median";
  // The race: from before the first lap's start to after the last crossing.
  EXPECT_LT(estimate.clock->race_start_ms, ecu_time(car7, 0));
  EXPECT_GT(estimate.clock->race_start_ms, ecu_time(car7, 0) - 98'000);
  EXPECT_GT(estimate.clock->race_end_ms, ecu_time(kAnchor, kLaps));
  EXPECT_LT(estimate.clock->race_end_ms, ecu_time(kAnchor, kLaps) + 98'000);

  EXPECT_EQ(estimate_session_clock(official, {logger("GR86-006-7", car7, 1, 99)}).why_not,
            "no car linked by lap times");
  EXPECT_FALSE(estimate_session_clock({}, {anchor_logger()}).clock);
}

TEST(CarLinking, LinksByLineCrossingsWhenJitterSpoilsTheLapTimes) {
  const SimulatedCar car7 = leader("7");
  const SimulatedCar car47 = follower("47", car7);  // no telemetry
  std::vector<OfficialLap> official;
  add_official_laps(kAnchor, official);
  add_official_laps(car7, official);
  add_official_laps(car47, official);
  const auto links = by_car(link_cars(official, {anchor_logger(), logger("GR86-006-7", car7, 1, 21)}));

  EXPECT_EQ(links.at("13").linked_by, LinkEvidence::LapTimes);
  const CarLink& link = links.at("7");
  ASSERT_EQ(link.vehicle_id, "GR86-006-7");
  EXPECT_EQ(link.linked_by, LinkEvidence::LineCrossings);
  EXPECT_EQ(to_string(link.linked_by), "line crossings at the session clock");
  EXPECT_LT(2 * link.agreeing_laps, link.compared_laps) << "the lap-time rule alone would not link it";
  EXPECT_EQ(link.lap_offset, 1);
  EXPECT_EQ(link.crossings.matching, kLaps);
  EXPECT_FALSE(link.few_laps);
  EXPECT_FALSE(links.at("47").vehicle_id) << "the car behind has no telemetry of its own";
  EXPECT_EQ(links.at("47").linked_by, LinkEvidence::None);
}

TEST(CarLinking, WithoutTheSessionClockNoCarIsLinkedByCrossings) {
  const SimulatedCar car7 = leader("7");
  std::vector<OfficialLap> official;
  add_official_laps(car7, official);
  const auto links = by_car(link_cars(official, {logger("GR86-006-7", car7, 1, 21)}));
  EXPECT_FALSE(links.at("7").vehicle_id);
}

TEST(CarLinking, ALoggerOfTwoLapsLinksAtTheSessionClockAndSaysItIsFew) {
  const SimulatedCar car51 = leader("51", 20'000);
  const SimulatedCar car3 = follower("3", car51, 1'500);  // 1.5-1.9 s behind, no telemetry
  std::vector<OfficialLap> official;
  add_official_laps(kAnchor, official);
  add_official_laps(car51, official);
  add_official_laps(car3, official);
  // Laps 7 and 8 only (three crossings), jittered so that their times do not agree.
  const auto links =
      by_car(link_cars(official, {anchor_logger(), logger("GR86-051-000", car51, 4, 99, 7, 8)}));
  const CarLink& link = links.at("51");
  ASSERT_EQ(link.vehicle_id, "GR86-051-000");
  EXPECT_EQ(link.linked_by, LinkEvidence::LineCrossings);
  EXPECT_EQ(link.crossings.compared, 3);
  EXPECT_EQ(link.crossings.matching, 3);
  EXPECT_TRUE(link.few_laps);
  EXPECT_EQ(link.lap_offset, 1);
  EXPECT_FALSE(links.at("3").vehicle_id);
}

TEST(CarLinking, CrossingsThatCoincideOnlyAtAnotherOffsetLinkNothing) {
  // Car 88's vehicle is in fact car 8's (no official laps: it did not race), lapping as
  // car 88 did, 6 s behind it: its crossings line up with car 88's at an offset 6 s off the
  // session's, and at no other.
  const SimulatedCar car88 = leader("88", 10'000);
  SimulatedCar ghost = car88;
  for (auto& t : ghost.elapsed) t += 6'000;
  std::vector<OfficialLap> official;
  add_official_laps(kAnchor, official);
  add_official_laps(car88, official);
  const auto links = by_car(link_cars(official, {anchor_logger(), logger("GR86-030-8", ghost, 2, 99)}));
  EXPECT_FALSE(links.at("88").vehicle_id);
}

TEST(CarLinking, TwoCarsNoseToTailEachGetTheirOwnVehicle) {
  const SimulatedCar car2 = leader("2");
  const SimulatedCar car47 = follower("47", car2);
  std::vector<OfficialLap> official;
  add_official_laps(kAnchor, official);
  add_official_laps(car2, official);
  add_official_laps(car47, official);
  // Vehicle ids say nothing (000), and the follower's vehicle comes first.
  const auto links = by_car(link_cars(official, {anchor_logger(), logger("GR86-025-000", car47, 2, 99),
                                                 logger("GR86-002-000", car2, 3, 99)}));
  EXPECT_EQ(links.at("2").vehicle_id, "GR86-002-000");
  EXPECT_EQ(links.at("47").vehicle_id, "GR86-025-000");
  for (auto car : {"2", "47"}) {
    EXPECT_EQ(links.at(car).linked_by, LinkEvidence::LineCrossings) << car;
    EXPECT_EQ(links.at(car).lap_offset, 1) << car;
  }
}

TEST(CarLinking, TheCarAheadOfALoggedCarIsNotLinkedToItsVehicle) {
  const SimulatedCar car2 = leader("2");            // no telemetry
  const SimulatedCar car47 = follower("47", car2);  // its logger: a few laps only
  std::vector<OfficialLap> official;
  add_official_laps(kAnchor, official);
  add_official_laps(car2, official);
  add_official_laps(car47, official);
  const auto links =
      by_car(link_cars(official, {anchor_logger(), logger("GR86-025-000", car47, 2, 99, 10, 13)}));
  EXPECT_EQ(links.at("47").vehicle_id, "GR86-025-000");
  EXPECT_FALSE(links.at("2").vehicle_id);
}

TEST(CarLinking, LapTimeLinksShowHowTheirCrossingsAgree) {
  std::vector<OfficialLap> official;
  add_official_laps(kAnchor, official);
  const auto links = by_car(link_cars(official, {anchor_logger()}));
  const CarLink& link = links.at("13");
  EXPECT_EQ(link.linked_by, LinkEvidence::LapTimes);
  EXPECT_EQ(link.agreeing_laps, kLaps);
  EXPECT_FALSE(link.few_laps);
  EXPECT_EQ(link.crossings.matching, kLaps);
  EXPECT_EQ(link.crossings.median_abs_diff_s, 0.0);
}

// ECU lap events of a logger: a start and an end per lap.
void add_events(const EcuVehicleLaps& v, std::vector<LapEvent>& starts, std::vector<LapEvent>& ends) {
  for (const auto& lap : v.laps) {
    starts.push_back(LapEvent{v.vehicle_id, lap.lap, lap.start_ms + 1, lap.start_ms + 900, std::nullopt});
    ends.push_back(LapEvent{v.vehicle_id, lap.lap, lap.end_ms, lap.end_ms + 900, std::nullopt});
  }
}

TEST(SessionAnalysis, EcuEventsOfTheNextDayAreLeftOutWithTheirReason) {
  const SimulatedCar car7 = leader("7");
  Session session;
  session.sections = OfficialLaps{};
  add_official_laps(kAnchor, session.sections->laps);
  add_official_laps(car7, session.sections->laps);
  session.lap_starts = LapEvents{};
  session.lap_ends = LapEvents{};
  session.lap_starts->report.object_key = "sonoma/lap_start_R1.csv";
  session.lap_ends->report.object_key = "sonoma/lap_end_R1.csv";
  auto& starts = session.lap_starts->events;
  auto& ends = session.lap_ends->events;
  add_events(anchor_logger(), starts, ends);
  add_events(logger("GR86-006-7", car7, 1, 99), starts, ends);
  // Car 7's logger the next day: the other race, at the same time of day.
  EcuVehicleLaps next_day = logger("GR86-006-7", car7, 5, 99, 1, 4);
  for (auto& lap : next_day.laps) lap.start_ms += kDayMs, lap.end_ms += kDayMs;
  add_events(next_day, starts, ends);

  const SessionAnalysis analysis = analyse_session(session);
  ASSERT_TRUE(analysis.clock) << analysis.why_no_clock;
  EXPECT_LE(std::llabs(analysis.clock->offset_ms - kEcuClockAhead), 90) << "car 7's jitter may pull it";
  ASSERT_EQ(analysis.events_left_out.size(), 2u) << "the starts and the ends of one vehicle";
  for (const auto& left : analysis.events_left_out) {
    EXPECT_EQ(left.vehicle_id, "GR86-006-7");
    EXPECT_EQ(left.events, 4);
  }
  EXPECT_EQ(analysis.events_left_out[0].file, "sonoma/lap_start_R1.csv");
  EXPECT_EQ(analysis.events_left_out[0].first_ms, next_day.laps.front().start_ms + 1);
  EXPECT_EQ(analysis.events_left_out[1].file, "sonoma/lap_end_R1.csv");
  EXPECT_EQ(analysis.events_left_out[1].last_ms, next_day.laps.back().end_ms);
  EXPECT_NE(analysis.events_left_out[1].reason.find("4 events (4 of 2025-03-30) from 2025-03-30T21:"),
            std::string::npos)
      << analysis.events_left_out[1].reason;
  EXPECT_NE(analysis.events_left_out[1].reason.find("outside the race window 2025-03-29T"), std::string::npos)
      << analysis.events_left_out[1].reason;
  // Car 7's laps are the race's alone, and its link holds.
  const auto vehicle = std::find_if(analysis.ecu.begin(), analysis.ecu.end(),
                                    [](const EcuVehicleLaps& v) { return v.vehicle_id == "GR86-006-7"; });
  ASSERT_NE(vehicle, analysis.ecu.end());
  EXPECT_EQ(vehicle->laps.size(), static_cast<std::size_t>(kLaps));
  EXPECT_EQ(by_car(analysis.links).at("7").vehicle_id, "GR86-006-7");
}

TEST(SessionAnalysis, ALoggerWhoseClockIsOffKeepsItsLapsWhenItsLapTimesLinkIt) {
  // Cars 13 and 8 set the session clock; car 21's logger runs three hours ahead of theirs.
  const SimulatedCar car8 = leader("8", 20'000), car21 = leader("21", 60'000);
  Session session;
  session.sections = OfficialLaps{};
  session.lap_starts = LapEvents{};
  session.lap_ends = LapEvents{};
  auto& starts = session.lap_starts->events;
  auto& ends = session.lap_ends->events;
  for (const auto* car : {&kAnchor, &car8, &car21}) add_official_laps(*car, session.sections->laps);
  add_events(anchor_logger(), starts, ends);
  add_events(logger("GR86-030-8", car8, 0, 99), starts, ends);
  EcuVehicleLaps off = logger("GR86-041-21", car21, 0, 99);
  for (auto& lap : off.laps) lap.start_ms += 3 * 3600 * 1000, lap.end_ms += 3 * 3600 * 1000;
  add_events(off, starts, ends);

  const SessionAnalysis analysis = analyse_session(session);
  ASSERT_TRUE(analysis.clock) << analysis.why_no_clock;
  EXPECT_LE(std::llabs(analysis.clock->offset_ms - kEcuClockAhead), 1);
  EXPECT_TRUE(analysis.events_left_out.empty());
  EXPECT_EQ(analysis.own_clock_vehicles, std::set<std::string>{"GR86-041-21"});
  EXPECT_EQ(by_car(analysis.links).at("21").vehicle_id, "GR86-041-21");
  const auto vehicle = std::find_if(analysis.ecu.begin(), analysis.ecu.end(),
                                    [](const EcuVehicleLaps& v) { return v.vehicle_id == "GR86-041-21"; });
  ASSERT_NE(vehicle, analysis.ecu.end());
  EXPECT_EQ(vehicle->laps.size(), static_cast<std::size_t>(kLaps));
}

TEST(SessionAnalysis, WithoutOfficialTimingNoEventIsLeftOut) {
  Session session;
  session.lap_starts = LapEvents{};
  session.lap_ends = LapEvents{};
  add_events(anchor_logger(), session.lap_starts->events, session.lap_ends->events);
  EcuVehicleLaps next_day = anchor_logger();
  for (auto& lap : next_day.laps) lap.start_ms += kDayMs, lap.end_ms += kDayMs;
  add_events(next_day, session.lap_starts->events, session.lap_ends->events);
  const SessionAnalysis analysis = analyse_session(session);
  EXPECT_FALSE(analysis.clock);
  EXPECT_FALSE(analysis.why_no_clock.empty());
  EXPECT_TRUE(analysis.events_left_out.empty());
  ASSERT_EQ(analysis.ecu.size(), 1u);
  EXPECT_GT(analysis.ecu[0].laps.size(), static_cast<std::size_t>(kLaps));
}

}  // namespace
}  // namespace apex
