// Official timing files of the demo data: 23_ analysis with sections, 03_ results, 05_ results
// by class, 99_ best 10 laps and 26_ weather. ';' separated, Barber's header names; at this
// track with a UTF-8 BOM, CRLF and a trailing ';' on every line.
#pragma once

#include <string>

#include "cli/demo_data/deterministic_math.h"
#include "cli/demo_data/race_simulation.h"

namespace apex::demo_data {

std::string sections_file(const Race& race);
std::string results_file(const Race& race);
std::string results_by_class_file(const Race& race);
std::string best_laps_file(const Race& race);
std::string weather_file(const Race& race, Rng& rng);

}  // namespace apex::demo_data
