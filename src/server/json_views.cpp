#include "server/json_views.h"

#include "core/time_format.h"

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

// The original's 200 "no data" text. Its frontend shows `error` in place of the card, which
// would otherwise format the null lap times as 0:00.000.
void add_no_data_error(json& out, const DriverSummary& d) {
  if (d.best_lap_ms) return;
  if (d.valid_laps == 0)
    out["error"] = "No data for driver " + d.driver_id;
  else
    out["error"] = "No best lap for driver " + d.driver_id +
                   (d.no_best_lap_reason.empty() ? std::string() : ": " + d.no_best_lap_reason);
}

}  // namespace

json report_json(const ParseReport& report) {
  return json{{"object", report.object_key},
              {"rows", report.rows},
              {"bad_rows", report.bad_rows},
              {"bad_row_reasons", report.bad_row_reasons}};
}

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
    out["flag"] = lap.flag.empty() ? json(nullptr) : json(lap.flag);
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
              {"car_id", link.car_id},
              {"vehicle_id", optional_json(link.vehicle_id)},
              {"compared_laps", link.compared_laps},
              {"agreeing_laps", link.agreeing_laps},
              {"agreement", link.compared_laps > 0
                                ? json(std::round(1000.0 * link.agreeing_laps / link.compared_laps) / 1000.0)
                                : json(nullptr)},
              {"median_lap_difference", rounded(link.median_abs_diff_s, 1e4)},
              {"lap_offset", link.lap_offset},
              {"id_number_matches", link.id_number_matches},
              {"linked_by", link.linked_by == LinkEvidence::LapTimes        ? json("lap_times")
                            : link.linked_by == LinkEvidence::LineCrossings ? json("line_crossings")
                            : link.linked_by == LinkEvidence::Override      ? json("override")
                                                                            : json(nullptr)},
              {"few_laps", link.few_laps},
              {"compared_crossings", link.crossings.compared},
              {"matching_crossings", link.crossings.matching},
              {"median_crossing_difference", rounded(link.crossings.median_abs_diff_s, 1e4)}};
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
              {"car_id", optional_json(d.car_id)},
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
              {"pace_basis", pace_basis(d.pace_from_green_laps)},
              {"theoretical_best", seconds_json(d.theoretical_best_ms)},
              {"best_sectors", json{{"s1", seconds_json(d.best_s1_ms)},
                                    {"s2", seconds_json(d.best_s2_ms)},
                                    {"s3", seconds_json(d.best_s3_ms)}}}};
}

json performance_json(const DriverSummary& d) {
  json out = driver_summary_json(d);
  out["lap_times"] = d.valid_lap_times_s;
  add_no_data_error(out, d);
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

namespace apex {

namespace {

json seconds3(std::optional<double> s) {
  return rounded(s, 1000.0);
}
json percent2(std::optional<double> p) {
  return rounded(p, 100.0);
}
json rate4(std::optional<double> r) {
  return rounded(r, 10000.0);
}
json ms_or_null(std::optional<std::int64_t> ms) {
  return seconds_json(ms);
}

json driver_identity(const DriverSummary& d) {
  return json{{"driver_id", d.driver_id},
              {"car_number", optional_json(d.car_number)},
              {"car_id", optional_json(d.car_id)},
              {"vehicle_id", optional_json(d.vehicle_id)},
              {"source", to_string(d.source)}};
}

}  // namespace

json laps_excluded_json(const GreenFlagLaps& green, bool outliers_excluded) {
  return json{{"invalid", green.excluded_invalid},
              {"not_green_flag", green.excluded_flag},
              {"restart", green.excluded_restart},
              {"pit", green.excluded_pit},
              {"start", green.excluded_start},
              {"deleted", green.excluded_deleted},
              {"outlier", outliers_excluded ? green.excluded_outlier : 0}};
}

json pace_caveats_json(const GreenFlagLaps& green) {
  json out = json::array();
  if (green.flags_known) {
    out.push_back(
        "A lap the officials deleted stays in the timing files with its time and no mark: one quicker "
        "than the car's official fastest lap, or (where the session has the best-ten-laps file, 99_) "
        "quicker than the slowest lap listed there but not listed, is recognised and left out "
        "(laps_excluded.deleted); a deleted lap slower than both cannot be told from the others and "
        "is counted.");
    out.push_back(
        "Green-flag laps only: laps that ended under FCY or FF, lap 1 and the first full lap after it, "
        "the lap the green came back in after a caution and the first full lap after that (cooled "
        "tyres, a bunched field), and in- and out-laps are left out (laps_excluded).");
  } else {
    out.push_back(
        "ECU laps only: the timing files carry no flag, pit or deleted-lap data for this vehicle, so "
        "caution, restart, pit and deleted laps cannot be told apart and are counted; only lap 1, the "
        "first full lap and outliers are left out.");
  }
  return out;
}

json consistency_json(const DriverSummary& d, const Consistency& c, const PaceLaps& pace) {
  const GreenFlagLaps& green = pace.green;
  json out = driver_identity(d);
  out.update(json{{"consistency_score", percent2(c.score_percent)},
                  {"rating", c.total_laps > 0 ? json(c.rating) : json(nullptr)},
                  {"coefficient_of_variation", rounded(c.coefficient_of_variation, 1000.0)},
                  {"best_lap", seconds3(c.best_s)},
                  {"average_lap", seconds3(c.mean_s)},
                  {"std_deviation", seconds3(c.std_dev_s)},
                  {"laps_within_05s", c.laps_within_05s},
                  {"laps_within_1s", c.laps_within_1s},
                  {"total_laps", c.total_laps},
                  {"laps_excluded", laps_excluded_json(green, false)},
                  {"flags_known", green.flags_known},
                  {"pace_basis", pace_basis(pace.green_flag)},
                  {"caveats", pace_caveats_json(green)}});
  if (!pace.green_flag && !pace.laps.empty())
    out["caveats"].push_back(
        "No green-flag lap: these figures are over every valid lap, start, caution and pit laps included.");
  // Only without any valid lap: a car whose fastest lap the officials did not decide still has
  // a consistency to show.
  if (d.valid_laps == 0) out["error"] = "No data for driver " + d.driver_id;
  return out;
}

json tire_degradation_json(const DriverSummary& d, const GreenFlagLaps& green, const Degradation& deg) {
  json out = driver_identity(d);
  json deltas = json::array();
  for (const auto& l : deg.lap_deltas)
    deltas.push_back(json{{"lap", l.lap},
                          {"lap_time", seconds3(l.lap_time_s)},
                          {"delta", seconds3(l.delta_s)},
                          {"fitted_delta", deg.fit ? seconds3(l.fitted_delta_s) : json(nullptr)}});
  std::optional<double> slope, error, r2;
  if (deg.fit) {
    slope = deg.fit->slope;
    error = deg.fit->slope_std_error;
    r2 = deg.fit->r_squared;
  }
  out.update(json{{"degradation_rate_per_lap", rate4(slope)},
                  {"degradation_std_error", rate4(error)},
                  {"r_squared", rounded(r2, 1000.0)},
                  {"t_value", rounded(deg.t_value, 100.0)},
                  {"t_critical", rounded(deg.t_critical, 1000.0)},
                  {"verdict", std::string(to_string(deg.verdict))},
                  {"significant", deg.verdict == DegradationVerdict::Degrading ||
                                      deg.verdict == DegradationVerdict::Improving},
                  {"explanation", degradation_explanation(deg)},
                  {"best_lap", seconds3(deg.best_lap_s)},
                  {"current_delta", seconds3(deg.current_delta_s)},
                  {"laps_analyzed", deg.laps_analyzed},
                  {"laps_excluded", laps_excluded_json(green, true)},
                  {"flags_known", green.flags_known},
                  {"caveats", pace_caveats_json(green)},
                  {"lap_deltas", deltas},
                  {"message", deg.fit ? json(nullptr) : json(degradation_explanation(deg))}});
  return out;
}

json sector_analysis_json(const SectorAnalysis& sectors, std::string_view track, std::string_view session) {
  static constexpr const char* kNames[] = {"s1", "s2", "s3"};
  json best = json::object();
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& b = sectors.best[i];
    best[kNames[i]] = json{{"time", ms_or_null(b.ms)},
                           {"driver_id", b.ms ? json(b.driver_id) : json(nullptr)},
                           {"car_number", optional_json(b.car_number)},
                           {"lap", b.ms ? json(b.lap) : json(nullptr)}};
  }
  json drivers = json::array();
  for (const auto& d : sectors.drivers) {
    json entry = driver_identity(*d.driver);
    json per_sector = json::object();
    for (std::size_t i = 0; i < 3; ++i) {
      const auto& s = d.sectors[i];
      per_sector[kNames[i]] = json{{"best", ms_or_null(s.best_ms)},
                                   {"best_lap_number", optional_json(s.best_lap)},
                                   {"mean", seconds3(s.mean_s)},
                                   {"green_laps", s.green_laps},
                                   {"lost_to_session_best", ms_or_null(s.lost_ms)}};
    }
    std::optional<std::int64_t> potential;
    if (d.driver->best_lap_ms && d.theoretical_best_ms)
      potential = *d.driver->best_lap_ms - *d.theoretical_best_ms;
    entry.update(json{{"best_lap", ms_or_null(d.driver->best_lap_ms)},
                      {"best_lap_number", optional_json(d.driver->best_lap_number)},
                      {"theoretical_best", ms_or_null(d.theoretical_best_ms)},
                      {"potential_gain", ms_or_null(potential)},
                      {"lost_to_session_theoretical_best", ms_or_null(d.lost_to_session_ms)},
                      {"sectors", per_sector}});
    drivers.push_back(std::move(entry));
  }
  return json{{"track", track},
              {"session", session},
              {"session_best", best},
              {"theoretical_best", ms_or_null(sectors.theoretical_best_ms)},
              {"drivers", drivers}};
}

json leaderboard_json(const std::vector<LeaderboardRow>& rows) {
  json out = json::array();
  for (const auto& row : rows) {
    const DriverSummary& d = *row.driver;
    json entry = driver_identity(d);
    entry.update(
        json{{"position", optional_json(row.position)},
             {"best_lap", ms_or_null(d.best_lap_ms)},
             {"best_lap_number", optional_json(d.best_lap_number)},
             {"best_lap_basis",
              d.best_lap_ms && !d.best_lap_basis.empty() ? json(d.best_lap_basis) : json(nullptr)},
             {"gap_to_leader", ms_or_null(row.gap_to_leader_ms)},
             {"gap_to_ahead", ms_or_null(row.gap_to_ahead_ms)},
             {"total_laps", d.total_laps},
             {"valid_laps", d.valid_laps},
             {"theoretical_best", ms_or_null(d.theoretical_best_ms)},
             {"laps_within_05s_percent", percent2(d.within_half_second_percent)},
             {"race_position", optional_json(row.race_position)},
             {"unranked_reason", row.unranked_reason.empty() ? json(nullptr) : json(row.unranked_reason)}});
    out.push_back(std::move(entry));
  }
  return out;
}

json quality_json(const std::vector<QualityCheck>& checks, const Session& session) {
  json items = json::array();
  QualityStatus worst = QualityStatus::Ok;
  for (const auto& check : checks) {
    worst = std::max(worst, check.status);
    json findings = json::array();
    for (const auto& f : check.findings)
      findings.push_back(json{{"subject", f.subject},
                              {"found", f.found},
                              {"decided", f.decided},
                              {"status", to_string(f.status)}});
    items.push_back(json{{"id", check.id},
                         {"title", check.title},
                         {"status", to_string(check.status)},
                         {"summary", check.summary},
                         {"findings", std::move(findings)}});
  }
  return json{{"track", session.track_id},
              {"session", session.session_id},
              {"status", to_string(worst)},
              {"checks", std::move(items)}};
}

json weather_json(const Weather& weather) {
  json out = json::array();
  for (const auto& w : weather.samples)
    out.push_back(json{{"time_utc", format_iso8601_ms(w.time_utc_ms)},
                       {"air_temp_c", rounded(w.air_temp_c, 100.0)},
                       {"track_temp_c", rounded(w.track_temp_c, 100.0)},
                       {"humidity_percent", rounded(w.humidity_percent, 100.0)},
                       {"pressure_hpa", rounded(w.pressure_hpa, 100.0)},
                       {"wind_speed", rounded(w.wind_speed, 100.0)},
                       {"wind_direction_deg", rounded(w.wind_direction_deg, 100.0)},
                       {"rain", w.rain}});
  return out;
}

json results_json(const Results& results, const SessionAnalysis& analysis) {
  json out = json::array();
  for (std::size_t row = 0; row < results.entries.size(); ++row) {
    const ResultEntry& e = results.entries[row];
    // The car this row was matched to (two cars can share a number: analysis/official_cars.h).
    const DriverSummary* driver = nullptr;
    for (const auto& d : analysis.drivers)
      if (d.result_row == row) driver = &d;
    out.push_back(json{{"position", optional_json(e.position)},
                       {"car_number", e.car_number},
                       {"driver_id", driver ? json(driver->driver_id) : json(nullptr)},
                       {"status", e.status},
                       {"laps", e.laps},
                       {"total_time", ms_or_null(e.total_time_ms)},
                       {"gap_first", ms_or_null(e.gap_first.ms)},
                       {"gap_first_laps", optional_json(e.gap_first.laps)},
                       {"gap_previous", ms_or_null(e.gap_previous.ms)},
                       {"gap_previous_laps", optional_json(e.gap_previous.laps)},
                       {"fastest_lap_number", optional_json(e.fastest_lap_number)},
                       {"fastest_lap_time", ms_or_null(e.fastest_lap_ms)},
                       {"fastest_lap_kph", rounded(e.fastest_lap_kph, 10.0)},
                       {"class", e.car_class},
                       {"vehicle", e.vehicle}});
  }
  return out;
}

json detailed_performance_json(const DetailedPerformanceInputs& in) {
  const DriverSummary& d = *in.driver;
  const TrackFacts* t = in.track;
  std::optional<double> record;
  if (in.reference_lap) record = in.reference_lap->lap_time_s;
  std::optional<double> delta;
  if (record && d.best_lap_ms) delta = static_cast<double>(*d.best_lap_ms) / 1000.0 - *record;

  json track_info{
      {"name", t ? json(t->name) : json(nullptr)},
      {"length_km", t ? optional_json(t->length_km) : json(nullptr)},
      {"turns", t ? optional_json(t->turns) : json(nullptr)},
      {"elevation_change_m", t ? optional_json(t->elevation_change_m) : json(nullptr)},
      {"track_record", seconds3(record)},
      {"track_record_description", in.reference_lap ? json(in.reference_lap->description) : json(nullptr)},
      {"track_record_basis", in.reference_lap ? json(in.reference_lap_basis) : json(nullptr)},
      {"race_lap_record",
       seconds3(t && t->race_lap_record ? std::optional(t->race_lap_record->lap_time_s) : std::nullopt)},
      {"race_lap_record_description",
       t && t->race_lap_record ? json(t->race_lap_record->description) : json(nullptr)},
      {"source", t ? json(t->source) : json(nullptr)}};

  json consistency = nullptr;
  if (in.consistency.total_laps > 0)
    consistency = json{{"score", percent2(in.consistency.score_percent)},
                       {"rating", in.consistency.rating},
                       {"laps_within_05s", in.consistency.laps_within_05s},
                       {"laps_within_1s", in.consistency.laps_within_1s},
                       {"total_laps", in.consistency.total_laps},
                       {"laps_excluded", laps_excluded_json(in.green, false)},
                       {"pace_basis", pace_basis(in.pace_from_green_laps)}};

  json pace;
  if (in.pace) {
    auto stint = [](const StintPace& s) {
      return json{{"avg_lap_time", seconds3(s.avg_lap_time_s)},
                  {"best_lap", seconds3(s.best_lap_s)},
                  {"first_lap", s.first_lap},
                  {"last_lap", s.last_lap},
                  {"laps", s.laps}};
    };
    pace = json{{"early_stint", stint(in.pace->early)},
                {"mid_stint", stint(in.pace->mid)},
                {"late_stint", stint(in.pace->late)},
                {"degradation", {{"early_to_late_delta", seconds3(in.pace->early_to_late_delta_s)}}},
                {"laps_analyzed", in.green_laps},
                {"laps_excluded", laps_excluded_json(in.green, true)},
                {"caveats", pace_caveats_json(in.green)}};
  } else {
    pace = json{{"message", "Insufficient laps for pace analysis: " + std::to_string(in.green_laps) +
                                " green-flag laps, at least 5 needed"},
                {"laps_analyzed", in.green_laps},
                {"laps_excluded", laps_excluded_json(in.green, true)},
                {"caveats", pace_caveats_json(in.green)}};
  }

  std::optional<double> slope;
  if (in.degradation.fit) slope = in.degradation.fit->slope;
  json degradation{
      {"early_to_late_delta", in.pace ? seconds3(in.pace->early_to_late_delta_s) : json(nullptr)},
      {"degradation_rate_per_lap", rate4(slope)},
      {"degradation_std_error",
       rate4(in.degradation.fit ? std::optional(in.degradation.fit->slope_std_error) : std::nullopt)},
      {"verdict", std::string(to_string(in.degradation.verdict))},
      {"laps_analyzed", in.degradation.laps_analyzed}};

  const VehicleFacts* v = in.vehicle;
  json specs{{"horsepower", v ? optional_json(v->horsepower) : json(nullptr)},
             {"weight_kg", v ? optional_json(v->weight_kg) : json(nullptr)},
             {"top_speed_kmh", v ? optional_json(v->top_speed_kmh) : json(nullptr)},
             {"source", v ? json(v->source) : json(nullptr)}};

  json performance{{"best_lap", ms_or_null(d.best_lap_ms)},
                   {"average_lap", seconds3(d.mean_lap_s)},
                   {"delta_to_record", seconds3(delta)},
                   {"std_deviation", seconds3(d.std_dev_s)}};
  // Without sector times no lap quicker than the best one is known, so the best lap is the
  // theoretical best this data can show (theoretical_best_basis says which): the original
  // frontend formats null as "0:00.000" and "-<best lap>s potential", and absent as NaN.
  if (d.theoretical_best_ms) {
    performance["theoretical_best"] = ms_or_null(d.theoretical_best_ms);
    performance["theoretical_best_basis"] = "sum of the driver's best sectors";
  } else if (d.best_lap_ms) {
    performance["theoretical_best"] = ms_or_null(d.best_lap_ms);
    performance["theoretical_best_basis"] =
        "best lap: no complete sector times, so no quicker combination is known";
  }

  json out = driver_identity(d);
  out.update(json{{"track", t ? t->name : std::string(in.track_id)},
                  {"track_id", in.track_id},
                  {"session", in.session_id},
                  {"vehicle", v ? json(v->name) : json(nullptr)},
                  {"track_info", track_info},
                  {"performance", performance},
                  {"consistency", consistency},
                  {"pace_analysis", pace},
                  {"degradation", degradation},
                  {"vehicle_specs", specs}});
  add_no_data_error(out, d);
  return out;
}

}  // namespace apex
