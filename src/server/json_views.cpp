#include "server/json_views.h"

#include "formats/time_text.h"

namespace apex {

using nlohmann::json;

json seconds_json(std::optional<std::int64_t> ms) {
  if (!ms) return nullptr;
  return static_cast<double>(*ms) / 1000.0;
}

namespace {

template <typename T>
json optional_json(const std::optional<T>& value) {
  if (!value) return nullptr;
  return *value;
}

json rounded(std::optional<double> value, double scale = 1000.0) {
  if (!value) return nullptr;
  return std::round(*value * scale) / scale;
}

json report_json(const ParseReport& report) {
  return json{{"object", report.object_key},
              {"rows", report.rows},
              {"bad_rows", report.bad_rows},
              {"bad_row_reasons", report.bad_row_reasons}};
}

}  // namespace

json lap_json(const LapRecord& lap) {
  json out{{"source", to_string(lap.source)},
           {"driver_id", lap.driver_id},
           {"car_number", optional_json(lap.car_number)},
           {"vehicle_id", optional_json(lap.vehicle_id)},
           {"lap", lap.lap},
           {"lap_time", seconds_json(lap.lap_time_ms)},
           {"valid", lap.valid},
           {"invalid_reason", lap.valid ? json(nullptr) : json(lap.invalid_reason)}};
  if (lap.source == LapSource::Official) {
    out["s1"] = seconds_json(lap.s1_ms);
    out["s2"] = seconds_json(lap.s2_ms);
    out["s3"] = seconds_json(lap.s3_ms);
    out["flag"] = lap.flag;
    out["pit"] = lap.pit;
  } else {
    out["start_time"] = lap.start_ms ? json(format_iso8601_ms(*lap.start_ms)) : json(nullptr);
    out["end_time"] = lap.end_ms ? json(format_iso8601_ms(*lap.end_ms)) : json(nullptr);
    out["lap_number_inferred"] = lap.lap_number_inferred;
  }
  return out;
}

json laps_json(const std::vector<LapRecord>& laps) {
  json out = json::array();
  for (const auto& lap : laps) out.push_back(lap_json(lap));
  return out;
}

json car_link_json(const CarLink& link) {
  return json{{"car_number", link.car_number},
              {"vehicle_id", optional_json(link.vehicle_id)},
              {"compared_laps", link.compared_laps},
              {"agreeing_laps", link.agreeing_laps},
              {"agreement", link.compared_laps > 0
                                ? json(std::round(1000.0 * link.agreeing_laps / link.compared_laps) / 1000.0)
                                : json(nullptr)},
              {"median_lap_difference", rounded(link.median_abs_diff_s, 1e4)},
              {"lap_offset", link.lap_offset},
              {"id_number_matches", link.id_number_matches}};
}

json best_lap_json(const SessionAnalysis& analysis, std::string_view track, std::string_view session) {
  const BestLap& best = *analysis.best_lap;
  return json{{"best_lap_time", seconds_json(best.lap_time_ms)},
              {"driver_id", best.driver_id},
              {"lap_number", best.lap},
              {"track", track},
              {"session", session},
              {"car_number", optional_json(best.car_number)},
              {"source", to_string(best.source)},
              {"theoretical_best", seconds_json(analysis.theoretical_best_ms)}};
}

json driver_summary_json(const DriverSummary& d) {
  return json{{"driver_id", d.driver_id},
              {"car_number", optional_json(d.car_number)},
              {"vehicle_id", optional_json(d.vehicle_id)},
              {"source", to_string(d.source)},
              {"total_laps", d.total_laps},
              {"valid_laps", d.valid_laps},
              {"best_lap", seconds_json(d.best_lap_ms)},
              {"best_lap_number", optional_json(d.best_lap_number)},
              {"average_lap", rounded(d.mean_lap_s)},
              {"std_deviation", rounded(d.std_dev_s)},
              {"consistency_score", rounded(d.consistency_score, 100)},
              {"laps_within_05s_percent", rounded(d.within_half_second_percent, 100)},
              {"theoretical_best", seconds_json(d.theoretical_best_ms)},
              {"best_sectors", json{{"s1", seconds_json(d.best_s1_ms)},
                                    {"s2", seconds_json(d.best_s2_ms)},
                                    {"s3", seconds_json(d.best_s3_ms)}}}};
}

json performance_json(const DriverSummary& d) {
  json out = driver_summary_json(d);
  out["lap_times"] = d.valid_lap_times_s;
  return out;
}

json track_files_json(const TrackCatalog& track) {
  json sessions = json::object();
  for (const auto& s : track.sessions) {
    json files = json::object();
    for (const auto& [kind, object] : s.files) files[std::string(to_string(kind))] = object.key;
    json alternates = json::array();
    for (const auto& a : s.alternates) alternates.push_back(a.key);
    sessions[s.id] = json{{"files", files}, {"alternates", alternates}};
  }
  json unrecognised = json::array();
  for (const auto& u : track.unrecognised) unrecognised.push_back(json{{"key", u.key}, {"reason", u.reason}});
  return json{{"track", track.id}, {"sessions", sessions}, {"unrecognised", unrecognised}};
}

json session_files_json(const TrackCatalog& track, const SessionFiles& files, const Session& session) {
  json recognised = json::array();
  for (const auto& [kind, object] : files.files)
    recognised.push_back(json{{"kind", to_string(kind)}, {"key", object.key}, {"size", object.size}});
  json alternates = json::array();
  for (const auto& a : files.alternates) alternates.push_back(a.key);
  json unrecognised = json::array();
  for (const auto& u : track.unrecognised) unrecognised.push_back(json{{"key", u.key}, {"reason", u.reason}});
  json reports = json::array();
  for (const ParseReport* r : session.reports()) reports.push_back(report_json(*r));
  return json{{"track", track.id},           {"session", files.id},          {"recognised", recognised},
              {"alternates", alternates},    {"unrecognised", unrecognised}, {"parse_reports", reports},
              {"problems", session.problems}};
}

}  // namespace apex
