// Telemetry of the demo data, long format: the samples of the telemetry cars on their two laps,
// in batches as the export writes them.
#pragma once

#include <string>

#include "cli/demo_data/deterministic_math.h"
#include "cli/demo_data/ecu_lap_files.h"
#include "cli/demo_data/race_simulation.h"

namespace apex::demo_data {

std::string telemetry_file(const Context& ctx, const Race& race, const EcuLaps& ecu, Rng& rng);

}  // namespace apex::demo_data
