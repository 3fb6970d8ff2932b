// The JSON bodies of the telemetry routes, built from the analyses of
// analysis/telemetry_analysis.h. The original service's shapes (speed-analysis,
// braking-analysis, amicos-analysis, lap) keep its field names; what each number means in
// APEX is written in docs/api.md.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/telemetry_analysis.h"
#include "model/track_facts.h"
#include "server/telemetry_session.h"

namespace apex {

// Rounded for JSON: values carry no more digits than the sensors have.
double rounded(double value, int digits);

// "lap_distance", "integrated_speed" or "none": where a lap's distance axis comes from.
std::string_view distance_source_name(DistanceSource source);

// What was read of the telemetry file: the parse report's rows, bad rows and their first
// reasons, plus duplicates removed and keys whose repeats disagreed.
nlohmann::json telemetry_report_json(const TelemetryReport& report);

// How a car's telemetry was put on its lap files' clock (TelemetryClock).
nlohmann::json clock_json(const TelemetryClock& clock);
nlohmann::json lap_summary_json(const TelemetryLap& lap, const LapTelemetrySummary& summary);

// One channel of one lap, thinned to at most max_points samples (peaks kept); time_s from
// the lap's start.
nlohmann::json trace_json(const LapTrace& trace, std::int64_t lap_start_ms, std::size_t max_points);

nlohmann::json braking_event_json(const BrakingEvent& event);
nlohmann::json corner_json(const Corner& corner);

// The original's /api/telemetry/.../speed-analysis and braking-analysis shapes, plus APEX's fields.
nlohmann::json telemetry_speed_json(const std::string& driver_id, const DriverTelemetryStats& stats,
                                    std::optional<int> best_lap, const LapCorners& corners);
nlohmann::json telemetry_braking_json(const std::string& driver_id, const DriverTelemetryStats& stats,
                                      std::optional<int> best_lap,
                                      const std::vector<BrakingEvent>& best_lap_events);

// The original frontend's /api/analytics/.../speed-analysis, braking-analysis and amicos-analysis.
nlohmann::json analytics_speed_json(const std::string& driver_id, const DriverTelemetryStats& stats,
                                    const VehicleFacts* vehicle);
nlohmann::json analytics_braking_json(const std::string& driver_id, const DriverTelemetryStats& stats,
                                      std::size_t braking_zones_on_best_lap);
// best_apex_kmh: per corner of corners, the best apex speed the car reached there
// (best_apex_speeds); a corner without one has no speed efficiency.
nlohmann::json amicos_json(const std::string& driver_id, std::optional<int> lap, const LapCorners& corners,
                           std::span<const std::optional<double>> best_apex_kmh,
                           const DriverTelemetryStats& stats, const VehicleFacts* vehicle);

}  // namespace apex
