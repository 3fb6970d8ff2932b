// The engineer's overrides (model/overrides.h) applied to a session's analysis: links forced
// or forbidden, laps excluded from everything APEX derives. Each override says what it did,
// or why it did nothing (a car or vehicle the session does not have), for the quality report.
#pragma once

#include <string>
#include <vector>

#include "analysis/car_linking.h"
#include "analysis/session_analysis.h"
#include "model/overrides.h"

namespace apex {

// Forbidden links are undone (the car stays unlinked); a forced link takes its vehicle from
// any other car. Links an override made say so (LinkEvidence::Override).
std::vector<OverrideOutcome> apply_link_overrides(std::vector<CarLink>& links,
                                                  const SessionOverrides& overrides,
                                                  const std::vector<EcuVehicleLaps>& ecu);

// Excluded laps become invalid with the engineer's reason: never a best lap, never in pace.
// An official car's fastest lap and position stay the results file's.
std::vector<OverrideOutcome> apply_lap_exclusions(std::vector<LapRecord>& laps,
                                                  const SessionOverrides& overrides);

}  // namespace apex
