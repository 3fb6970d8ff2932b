// Everything APEX computes about one session's lap timing: every lap of every car
// from both sources, which ECU vehicle is which race car, per-driver summaries and
// the session's best and theoretical best. Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analysis/car_linking.h"
#include "analysis/ecu_laps.h"
#include "analysis/official_cars.h"
#include "model/session.h"

namespace apex {

enum class LapSource { Official, Ecu };
std::string_view to_string(LapSource source);

// One lap as served by /laps: official laps carry sectors and flags, ECU laps crossing times.
struct LapRecord {
  LapSource source = LapSource::Official;
  std::string driver_id;
  std::optional<std::string> car_number;
  std::optional<std::string> car_id;  // official_car_id: which car of that number
  std::optional<std::string> vehicle_id;
  int lap = 0;
  std::int64_t lap_time_ms = 0;
  std::optional<std::int64_t> s1_ms, s2_ms, s3_ms;
  std::string flag;  // GF / FCY / FF; ECU laps: the linked car's official lap's, else empty
  bool pit = false;  // official: crossed the line in the pit lane or has a pit time
  std::optional<std::int64_t> start_ms, end_ms;  // ECU clock
  bool lap_number_inferred = false;
  bool valid = true;
  bool deleted = false;  // official: the officials deleted it (OfficialCar::deleted_laps); never valid
  std::string invalid_reason;
};

struct DriverSummary {
  // The vehicle_id where the car has telemetry (the original's driver id), else "car-<id>":
  // "car-13", "car-3-2" for the second car numbered 3.
  std::string driver_id;
  std::optional<std::string> car_number;
  std::optional<std::string> car_id;  // official_car_id
  std::optional<std::string> vehicle_id;
  LapSource source = LapSource::Official;  // which timing the numbers below come from
  int total_laps = 0;
  int valid_laps = 0;
  // Official cars: the official fastest lap (analysis/official_cars.h), which is not always
  // the quickest lap time (lap 1 and deleted laps never are). ECU vehicles: the quickest
  // valid lap.
  std::optional<std::int64_t> best_lap_ms;
  std::optional<int> best_lap_number;
  std::string best_lap_basis;             // how the best lap was decided
  std::string no_best_lap_reason;         // why there is none, when there is none
  std::optional<int> race_position;       // official classification (results file)
  std::optional<std::size_t> result_row;  // its row in the results file
  // Pace, over green racing laps (analysis/lap_selection.h: no caution, restart, pit, start
  // or deleted lap; incidents kept), or over every valid lap for a driver without any.
  bool pace_from_green_laps = true;
  std::optional<double> mean_lap_s;
  std::optional<double> std_dev_s;  // sample standard deviation
  // 100 - coefficient of variation in percent (the original's performance score).
  std::optional<double> consistency_score;
  std::optional<double> within_half_second_percent;  // share of those laps within 0.5 s of their best
  std::optional<std::int64_t> best_s1_ms, best_s2_ms, best_s3_ms;
  std::optional<std::int64_t> theoretical_best_ms;  // sum of the driver's best sectors
  std::vector<double> valid_lap_times_s;            // in lap order
};

struct BestLap {
  std::string driver_id;
  std::optional<std::string> car_number;
  int lap = 0;
  std::int64_t lap_time_ms = 0;
  LapSource source = LapSource::Official;
};

struct SessionAnalysis {
  std::vector<EcuVehicleLaps> ecu;  // from the ECU events inside the race window
  std::vector<CarLink> links;
  // The ECU clock against official timing (analysis/car_linking.h), and the ECU events left
  // out for lying outside the race on it; without a clock, why_no_clock says why and no
  // event was checked.
  std::optional<SessionClock> clock;
  std::string why_no_clock;
  std::vector<EventsLeftOut> events_left_out;
  std::set<std::string> own_clock_vehicles;  // linked, but their loggers' clocks are off the session's
  std::vector<LapRecord> laps;               // official first (by car, lap), then ECU
  std::vector<DriverSummary> drivers;        // by best lap, drivers without a lap last
  std::optional<BestLap> best_lap;
  std::optional<std::int64_t> best_s1_ms, best_s2_ms, best_s3_ms;
  std::optional<std::int64_t> theoretical_best_ms;  // session: sum of the field's best sectors
  std::vector<OfficialCar> cars;                    // official timing's cars and their decisions
  std::vector<OverrideOutcome> override_outcomes;   // what the track's overrides did here

  // Finds a driver by driver_id, vehicle_id, car id ("13", "3-2") or "car-13"; a number two
  // cars share gives the first of them.
  const DriverSummary* find_driver(std::string_view id) const;
};

SessionAnalysis analyse_session(const Session& session);

}  // namespace apex
