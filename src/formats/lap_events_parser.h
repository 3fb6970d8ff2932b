// Parses the ECU lap event files (lap_start, lap_end, lap_time) of all three schemas
// by header name: A (Barber, no value column), B (value column), C (quoted, other order).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "model/timing.h"

namespace apex {

Result<LapEvents> parse_lap_events(std::string bytes, std::string_view object_key);

}  // namespace apex
