// ECU lap events of the demo data, schema C: the crossings of every car as the ECU logs them,
// and the lap start, lap end and lap time files written from them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cli/demo_data/deterministic_math.h"
#include "cli/demo_data/race_simulation.h"

namespace apex::demo_data {

enum class EventKind { Start, End, LapTime };

struct EcuEvent {
  EventKind kind;
  int car;
  int lap;
  Ms timestamp;  // ECU clock
  Ms meta_time;  // ingestion clock
  Ms value_ms;   // lap_time only
  std::size_t seq;
};

// ECU time at which each lap of a car starts (index lap-1), as the telemetry uses it.
struct EcuLaps {
  std::vector<std::vector<Ms>> start;  // per car, per lap
  std::vector<std::vector<Ms>> end;
};

std::vector<EcuEvent> ecu_events(const Race& race, Rng& rng, EcuLaps& laps_out);
std::string lap_events_file(const Race& race, const std::vector<EcuEvent>& all, EventKind kind, Rng& rng);

}  // namespace apex::demo_data
