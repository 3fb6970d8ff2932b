// The JSON shapes of the API, one function per shape, shared by the HTTP routes and
// `apex laps --json`. Field names follow the original service where it had them;
// durations are seconds as numbers, timestamps ISO-8601 UTC with milliseconds.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "analysis/lap_selection.h"
#include "analysis/leaderboard.h"
#include "analysis/sector_analysis.h"
#include "analysis/session_analysis.h"
#include "analysis/session_quality.h"
#include "analysis/strategy_analysis.h"
#include "catalog/catalog.h"
#include "model/track_facts.h"

namespace apex {

nlohmann::json seconds_json(std::optional<std::int64_t> ms);
// What a parser read of one file: {object, rows, bad_rows, bad_row_reasons}.
nlohmann::json report_json(const ParseReport& report);
nlohmann::json lap_json(const LapRecord& lap);
nlohmann::json laps_json(const std::vector<LapRecord>& laps);
nlohmann::json car_link_json(const CarLink& link);
nlohmann::json best_lap_json(const SessionAnalysis& analysis, std::string_view track,
                             std::string_view session);
nlohmann::json performance_json(const DriverSummary& driver);
nlohmann::json driver_summary_json(const DriverSummary& driver);
nlohmann::json track_files_json(const TrackCatalog& track);

// Strategy and analysis shapes. Seconds to the millisecond, rates to 0.1 ms per lap,
// percentages to 0.01.
// Why laps were left out of a pace figure, one count per reason; outliers are counted only
// where the figure leaves them out (consistency keeps them: an incident is inconsistency).
nlohmann::json laps_excluded_json(const GreenFlagLaps& green, bool outliers_excluded);
// What the timing files cannot show, said wherever pace or consistency is served.
nlohmann::json pace_caveats_json(const GreenFlagLaps& green);
// consistency: over pace.laps (analysis/lap_selection.h: green-flag laps, or every valid lap
// for a driver without any).
nlohmann::json consistency_json(const DriverSummary& driver, const Consistency& consistency,
                                const PaceLaps& pace);
nlohmann::json tire_degradation_json(const DriverSummary& driver, const GreenFlagLaps& green,
                                     const Degradation& degradation);
nlohmann::json sector_analysis_json(const SectorAnalysis& sectors, std::string_view track,
                                    std::string_view session);
nlohmann::json leaderboard_json(const std::vector<LeaderboardRow>& rows);
nlohmann::json weather_json(const Weather& weather);
nlohmann::json results_json(const Results& results, const SessionAnalysis& analysis);
nlohmann::json quality_json(const std::vector<QualityCheck>& checks, const Session& session);

struct DetailedPerformanceInputs {
  const DriverSummary* driver = nullptr;
  std::string_view track_id;
  std::string_view session_id;
  const TrackFacts* track = nullptr;  // nullptr: the facts file does not know the track
  // The lap best_lap is measured against: the facts file's reference lap, else the fastest
  // official lap at the track in the data (reference_lap_basis says which).
  std::optional<ReferenceLap> reference_lap;
  std::string reference_lap_basis;        // "facts file" | "computed from the data"
  const VehicleFacts* vehicle = nullptr;  // nullptr: no facts file loaded
  Consistency consistency;                // over pace_laps (green.with_outliers(), or every valid lap)
  bool pace_from_green_laps = true;       // which of the two
  std::optional<PaceThirds> pace;         // over green.laps
  Degradation degradation;                // over green.laps
  int green_laps = 0;
  GreenFlagLaps green;
};
nlohmann::json detailed_performance_json(const DetailedPerformanceInputs& in);
nlohmann::json session_files_json(const TrackCatalog& track, const SessionFiles& files,
                                  const Session& session);

}  // namespace apex
