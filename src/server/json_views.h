// The JSON shapes of the API, one function per shape, shared by the HTTP routes and
// `apex laps --json`. Field names follow the original service where it had them;
// durations are seconds as numbers, timestamps ISO-8601 UTC with milliseconds.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "analysis/session_analysis.h"
#include "catalog/catalog.h"

namespace apex {

nlohmann::json seconds_json(std::optional<std::int64_t> ms);
nlohmann::json lap_json(const LapRecord& lap);
nlohmann::json laps_json(const std::vector<LapRecord>& laps);
nlohmann::json car_link_json(const CarLink& link);
nlohmann::json best_lap_json(const SessionAnalysis& analysis, std::string_view track,
                             std::string_view session);
nlohmann::json performance_json(const DriverSummary& driver);
nlohmann::json driver_summary_json(const DriverSummary& driver);
nlohmann::json track_files_json(const TrackCatalog& track);
nlohmann::json session_files_json(const TrackCatalog& track, const SessionFiles& files,
                                  const Session& session);

}  // namespace apex
