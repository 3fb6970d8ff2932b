#include "server/api_schemas.h"

namespace apex::schema {

json number() {
  return json{{"type", "number"}};
}
json integer() {
  return json{{"type", "integer"}};
}
json string() {
  return json{{"type", "string"}};
}
json boolean() {
  return json{{"type", "boolean"}};
}

json nullable(json schema) {
  if (schema.contains("type") && schema["type"].is_string()) {
    schema["type"] = json::array({schema["type"], "null"});
    if (schema.contains("enum")) schema["enum"].push_back(nullptr);
    return schema;
  }
  return json{{"anyOf", json::array({std::move(schema), json{{"type", "null"}}})}};
}

json array(json items) {
  return json{{"type", "array"}, {"items", std::move(items)}};
}

json object(std::vector<std::pair<std::string, json>> properties, std::string description) {
  return object(std::move(properties), {}, std::move(description));
}

json object(std::vector<std::pair<std::string, json>> required,
            std::vector<std::pair<std::string, json>> optional, std::string description) {
  json props = json::object();
  json names = json::array();
  for (auto& [name, s] : required) {
    names.push_back(name);
    props[name] = std::move(s);
  }
  for (auto& [name, s] : optional) props[name] = std::move(s);
  json out{{"type", "object"}, {"properties", std::move(props)}};
  if (!names.empty()) out["required"] = std::move(names);
  if (!description.empty()) out["description"] = std::move(description);
  return out;
}

json string_enum(std::vector<std::string> values) {
  return json{{"type", "string"}, {"enum", std::move(values)}};
}

json ref(std::string_view component) {
  return json{{"$ref", "#/components/schemas/" + std::string(component)}};
}

json with_description(json schema, std::string description) {
  if (schema.contains("$ref"))
    return json{{"allOf", json::array({std::move(schema)})}, {"description", description}};
  schema["description"] = std::move(description);
  return schema;
}

namespace {

json seconds(std::string description) {
  return with_description(number(), std::move(description));
}
json opt_seconds(std::string description) {
  return with_description(nullable(number()), std::move(description));
}

std::vector<std::pair<std::string, json>> identity() {
  return {{"driver_id",
           with_description(string(), "vehicle_id of the car's ECU, or car-<number> without telemetry")},
          {"car_number", nullable(string())},
          {"car_id", with_description(nullable(string()),
                                      "the official car's APEX id (\"3-2\": the second car numbered 3); null "
                                      "for an ECU vehicle no car claimed")},
          {"vehicle_id", nullable(string())},
          {"source",
           with_description(string_enum({"official", "ecu"}),
                            "which timing the figures come from: official timing when the car has it")}};
}

std::vector<std::pair<std::string, json>> with_identity(std::vector<std::pair<std::string, json>> more) {
  auto out = identity();
  for (auto& p : more) out.push_back(std::move(p));
  return out;
}

// Pieces several schemas share.

json sector_times() {
  return object({{"s1", nullable(number())}, {"s2", nullable(number())}, {"s3", nullable(number())}});
}

// A driver without a best lap: the original's 200 "no data" text beside the null fields.
std::vector<std::pair<std::string, json>> no_best_lap_error() {
  return {{"error", with_description(string(),
                                     "present only when the driver has no best lap (no valid lap: "
                                     "\"No data for driver <id>\"); the other fields are then null")}};
}

json pace_basis() {
  return with_description(
      string_enum({"green-flag laps", "all valid laps: no green-flag lap"}),
      "the laps the pace figures are over: green-flag racing laps (incidents kept), or every valid lap "
      "for a driver without a single green-flag lap");
}

json excluded_laps() {
  return with_description(
      object({{"invalid", integer()},
              {"not_green_flag", integer()},
              {"restart", integer()},
              {"pit", integer()},
              {"start", integer()},
              {"deleted", integer()},
              {"outlier", integer()}}),
      "laps left out, by reason: invalid (artefacts), not_green_flag (ended under FCY, FF), restart (the "
      "first full lap of the race, the lap the green came back in after a caution and the first full lap "
      "after it), pit (in- or out-lap), start (lap 1), deleted (faster than the car's official fastest "
      "lap), outlier (more than 5% slower than the median green lap; 0 where incident laps are kept)");
}

json timing_caveats() {
  return with_description(array(string()), "what the timing files cannot show about these laps");
}

json degradation_verdict() {
  return string_enum({"too few laps", "not significant", "degrading", "improving"});
}

// The service: errors, root, health, lists of ids.
void add_service_schemas(json& c) {
  c["Error"] = object({{"detail", string()}}, "a failure: what failed and what to check");
  c["ValidationError"] =
      object({{"detail", array(object({{"loc", array(json{{"type", json::array({"string", "integer"})}})},
                                       {"msg", string()},
                                       {"type", string()}}))}},
             "422: the request body is missing a field or has a wrong value (FastAPI's shape)");
  c["NotAvailable"] = object({{"error", string()}, {"detail", string()}},
                             "200 body of an analysis APEX does not compute yet; the original frontend hides "
                             "the section on `error`");
  c["Root"] =
      object({{"message", string()}, {"version", string()}, {"docs", string()}, {"openapi", string()}});
  c["Health"] = object({{"status", string_enum({"healthy", "degraded"})},
                        {"data_source", string()},
                        {"data_source_error", nullable(string())},
                        {"stale", nullable(string())},
                        {"tracks", integer()},
                        {"track_facts", nullable(string())},
                        {"cache", object({{"sessions", integer()},
                                          {"bytes", integer()},
                                          {"max_bytes", integer()},
                                          {"loads", integer()},
                                          {"hits", integer()},
                                          {"evictions", integer()},
                                          {"telemetry", object({{"files", integer()},
                                                                {"bytes", integer()},
                                                                {"loads", integer()},
                                                                {"hits", integer()},
                                                                {"evictions", integer()}})}})}});
  c["StringList"] = array(string());
}

// What the catalog found: a track's and a session's files.
void add_file_schemas(json& c) {
  json file_list = array(object({{"key", string()}, {"reason", string()}}));
  c["TrackFiles"] = object(
      {{"track", string()},
       {"sessions", json{{"type", "object"},
                         {"additionalProperties",
                          object({{"files", json{{"type", "object"}, {"additionalProperties", string()}}},
                                  {"alternates", array(string())}})}}},
       {"unrecognised", file_list}});
  c["SessionFiles"] =
      object({{"track", string()},
              {"session", string()},
              {"recognised", array(object({{"kind", string()}, {"key", string()}, {"size", integer()}}))},
              {"alternates", array(string())},
              {"unrecognised", file_list},
              {"parse_reports", array(object({{"object", string()},
                                              {"rows", integer()},
                                              {"bad_rows", integer()},
                                              {"bad_row_reasons", array(string())}}))},
              {"problems", array(string())}});
}

// Laps and the drivers' lap figures: best lap, performance, every lap, car links.
void add_driver_lap_schemas(json& c) {
  const json sectors3 = sector_times();
  const auto no_data_error = no_best_lap_error();
  const json pace_basis_schema = pace_basis();
  c["BestLap"] =
      object({{"best_lap_time", seconds("the fastest valid lap of the session, official timing first")},
              {"driver_id", string()},
              {"lap_number", integer()},
              {"track", string()},
              {"session", string()},
              {"car_number", nullable(string())},
              {"source", string_enum({"official", "ecu"})},
              {"theoretical_best", opt_seconds("sum of the session's best official sectors")}});
  c["DriverPerformance"] = object(
      with_identity({
          {"total_laps", with_description(integer(), "every lap, valid or not")},
          {"valid_laps", integer()},
          {"best_lap", opt_seconds("best valid lap")},
          {"best_lap_number", nullable(integer())},
          {"average_lap", opt_seconds("mean of the laps pace_basis names")},
          {"std_deviation", opt_seconds("sample standard deviation (n - 1) of those laps")},
          {"consistency_score",
           with_description(nullable(number()), "100 - coefficient of variation in % (the original's)")},
          {"laps_within_05s_percent", nullable(number())},
          {"pace_basis", pace_basis_schema},
          {"theoretical_best", opt_seconds("sum of the driver's best official sectors")},
          {"best_sectors", sectors3},
          {"lap_times", with_description(array(number()), "valid lap times in lap order")},
      }),
      no_data_error);
  c["Lap"] = object({{"source", string_enum({"official", "ecu"})},
                     {"driver_id", string()},
                     {"car_number", nullable(string())},
                     {"vehicle_id", nullable(string())},
                     {"lap", integer()},
                     {"lap_time", number()},
                     {"valid", boolean()},
                     {"invalid_reason", nullable(string())}},
                    {{"s1", nullable(number())},
                     {"s2", nullable(number())},
                     {"s3", nullable(number())},
                     {"flag", with_description(nullable(string()),
                                               "GF, FCY, FF; ECU laps: the flag of the linked car's official "
                                               "lap (lap - lap_offset), null when the car is not linked")},
                     {"pit", boolean()},
                     {"start_time", nullable(string())},
                     {"end_time", nullable(string())},
                     {"lap_number_inferred", boolean()}},
                    "official laps carry s1..s3, flag and pit; ECU laps start_time, end_time (ECU clock), "
                    "lap_number_inferred and flag");
  c["CarLink"] = object(
      {{"car_number", string()},
       {"car_id", with_description(string(), "the car's APEX id: its number, \"3-2\" for the second car 3")},
       {"vehicle_id", nullable(string())},
       {"compared_laps", integer()},
       {"agreeing_laps", integer()},
       {"agreement", nullable(number())},
       {"median_lap_difference", nullable(number())},
       {"lap_offset", integer()},
       {"id_number_matches", boolean()},
       {"linked_by", with_description(nullable(string_enum({"lap_times", "line_crossings", "override"})),
                                      "lap_times: its lap times agree; line_crossings: no "
                                      "vehicle's lap times agree, but this one crosses the "
                                      "line when the car does; override: the track's "
                                      "apex-overrides.json says so")},
       {"few_laps",
        with_description(boolean(), "the link rests on fewer than 5 laps: little to check it by")},
       {"compared_crossings", integer()},
       {"matching_crossings", integer()},
       {"median_crossing_difference", nullable(number())}});
}

// The strategy routes: consistency, tyre degradation, the pit plan and its request.
void add_strategy_schemas(json& c) {
  const json pace_basis_schema = pace_basis();
  const json verdict = degradation_verdict();
  const json laps_excluded = excluded_laps();
  const json caveats = timing_caveats();
  c["Consistency"] = object(
      with_identity({
          {"consistency_score",
           with_description(nullable(number()),
                            "% of the laps pace_basis names (incidents kept) within 0.5 s of their best")},
          {"rating", nullable(string_enum({"Elite", "Professional", "Advanced", "Developing"}))},
          {"coefficient_of_variation", with_description(nullable(number()), "sample std / mean, in %")},
          {"best_lap", nullable(number())},
          {"average_lap", nullable(number())},
          {"std_deviation", opt_seconds("sample standard deviation (n - 1)")},
          {"laps_within_05s", integer()},
          {"laps_within_1s", integer()},
          {"total_laps", with_description(integer(), "laps analysed (the ones pace_basis names)")},
          {"laps_excluded", laps_excluded},
          {"flags_known", boolean()},
          {"pace_basis", pace_basis_schema},
          {"caveats", caveats},
      }),
      {{"error", with_description(string(),
                                  "present only when the driver has no valid "
                                  "lap: \"No data for driver <id>\"")}});
  c["TireDegradation"] = object(with_identity({
      {"degradation_rate_per_lap",
       opt_seconds("least-squares slope of lap time over lap number, s/lap, as measured (negative: laps got "
                   "faster)")},
      {"degradation_std_error", nullable(number())},
      {"r_squared", nullable(number())},
      {"t_value",
       with_description(nullable(number()), "slope / standard error; null without a fit or scatter")},
      {"t_critical", with_description(nullable(number()), "Student's t at 95% (two-sided, n - 2 degrees)")},
      {"verdict",
       with_description(verdict, "degrading / improving: |t| >= t_critical; else not significant")},
      {"significant", boolean()},
      {"explanation", with_description(string(), "the verdict in a sentence, with its figures")},
      {"best_lap", nullable(number())},
      {"current_delta", opt_seconds("last analysed lap - best analysed lap")},
      {"laps_analyzed", integer()},
      {"laps_excluded", laps_excluded},
      {"flags_known", boolean()},
      {"caveats", caveats},
      {"lap_deltas", array(object({{"lap", integer()},
                                   {"lap_time", number()},
                                   {"delta", number()},
                                   {"fitted_delta", nullable(number())}}))},
      {"message",
       with_description(nullable(string()), "why no rate was fitted (fewer than 5 green-flag laps)")},
  }));
  c["PitStrategyRequest"] = object({{"current_lap", json{{"type", "integer"}, {"minimum", 0}}},
                                    {"total_laps", json{{"type", "integer"}, {"minimum", 1}}},
                                    {"tire_age", json{{"type", "integer"}, {"minimum", 0}}},
                                    {"fuel_level", json{{"type", "number"}, {"minimum", 0}}}});
  c["PitStrategyRequest"]["additionalProperties"] = false;  // an unknown field is a 422
  c["PitStrategy"] = object(with_identity({
      {"current_lap", integer()},
      {"total_laps", integer()},
      {"tire_age", integer()},
      {"fuel_level", number()},
      {"remaining_laps", integer()},
      {"avg_lap_time", opt_seconds("mean of the driver's green-flag laps (valid laps without flags)")},
      {"degradation_rate_per_lap",
       with_description(nullable(number()),
                        "the measured slope (driver's, or the field's median), any sign")},
      {"degradation_std_error", nullable(number())},
      {"degradation_verdict", with_description(verdict, "the driver's own fit (see tire-degradation)")},
      {"degradation_source", nullable(string_enum({"driver", "field median"}))},
      {"wear_rate_used",
       with_description(nullable(number()), "the rate the plan uses: set only when significantly positive")},
      {"pit_data_available", with_description(boolean(), "false: no stop could be measured, no plan")},
      {"pit_stop_time_loss", opt_seconds("the quickest stop under green; null without pit data")},
      {"pit_loss_source", nullable(string_enum({"measured"}))},
      {"pit_stops_measured", integer()},
      {"pit_laps_in_timing",
       with_description(integer(), "laps of any car in the pit lane or with a pit time")},
      {"projected_time_loss_no_pit", nullable(number())},
      {"optimal_pit_lap", nullable(integer())},
      {"time_saved_by_pitting", nullable(number())},
      {"recommendation", nullable(string())},
      {"message", nullable(string())},
      {"notes", array(string())},
  }));
}

// A session's analyses and official files: sectors, leaderboard, quality, weather, results.
void add_session_schemas(json& c) {
  json best_sector = object({{"time", nullable(number())},
                             {"driver_id", nullable(string())},
                             {"car_number", nullable(string())},
                             {"lap", nullable(integer())}});
  json driver_sector = object({{"best", nullable(number())},
                               {"best_lap_number", nullable(integer())},
                               {"mean", opt_seconds("mean over green-flag laps")},
                               {"green_laps", integer()},
                               {"lost_to_session_best", nullable(number())}});
  c["SectorAnalysis"] =
      object({{"track", string()},
              {"session", string()},
              {"session_best", object({{"s1", best_sector}, {"s2", best_sector}, {"s3", best_sector}})},
              {"theoretical_best", opt_seconds("sum of the session's best sectors")},
              {"drivers",
               array(object(with_identity(
                   {{"best_lap", nullable(number())},
                    {"best_lap_number", nullable(integer())},
                    {"theoretical_best", nullable(number())},
                    {"potential_gain", opt_seconds("best lap - theoretical best")},
                    {"lost_to_session_theoretical_best", nullable(number())},
                    {"sectors",
                     object({{"s1", driver_sector}, {"s2", driver_sector}, {"s3", driver_sector}})}})))}});
  c["LeaderboardEntry"] = object(with_identity({
      {"position", with_description(nullable(integer()), "by best lap; null when unranked")},
      {"best_lap",
       with_description(nullable(number()), "the official fastest lap where there is official timing")},
      {"best_lap_number", nullable(integer())},
      {"best_lap_basis",
       with_description(nullable(string()),
                        "which rule decided the best lap: results, 99_, LAP_IMPROVEMENT, ...")},
      {"gap_to_leader", nullable(number())},
      {"gap_to_ahead", with_description(nullable(number()), "null for the leader")},
      {"total_laps", integer()},
      {"valid_laps", integer()},
      {"theoretical_best", nullable(number())},
      {"laps_within_05s_percent", nullable(number())},
      {"race_position", with_description(nullable(integer()), "official classification")},
      {"unranked_reason", nullable(string())},
  }));
  const json quality_status = with_description(string_enum({"ok", "notice", "warning"}),
                                               "ok: nothing unusual; notice: handled by a rule of how timing "
                                               "works; warning: worth an engineer's look");
  c["QualityFinding"] = object({{"subject", with_description(string(), "a file, \"car 3-2\", a vehicle id")},
                                {"found", string()},
                                {"decided", string()},
                                {"status", quality_status}});
  c["QualityCheck"] = object({{"id", string()},
                              {"title", string()},
                              {"status", with_description(quality_status, "the worst of its findings")},
                              {"summary", string()},
                              {"findings", array(ref("QualityFinding"))}});
  c["QualityReport"] = object({{"track", string()},
                               {"session", string()},
                               {"status", with_description(quality_status, "the worst of its checks")},
                               {"checks", array(ref("QualityCheck"))}});
  c["WeatherSample"] =
      object({{"time_utc", string()},
              {"air_temp_c", nullable(number())},
              {"track_temp_c", with_description(nullable(number()), "null where the sensor reads 0")},
              {"humidity_percent", nullable(number())},
              {"pressure_hpa", nullable(number())},
              {"wind_speed", with_description(nullable(number()), "as written; the file states no unit")},
              {"wind_direction_deg", nullable(number())},
              {"rain", boolean()}});
  c["ResultEntry"] = object({{"position", with_description(nullable(integer()), "null: not classified")},
                             {"car_number", string()},
                             {"driver_id", nullable(string())},
                             {"status", string()},
                             {"laps", integer()},
                             {"total_time", nullable(number())},
                             {"gap_first", nullable(number())},
                             {"gap_first_laps", nullable(integer())},
                             {"gap_previous", nullable(number())},
                             {"gap_previous_laps", nullable(integer())},
                             {"fastest_lap_number", nullable(integer())},
                             {"fastest_lap_time", nullable(number())},
                             {"fastest_lap_kph", nullable(number())},
                             {"class", string()},
                             {"vehicle", string()}});
}

// The original's detailed performance card.
void add_detailed_performance_schema(json& c) {
  const json pace_basis_schema = pace_basis();
  const json verdict = degradation_verdict();
  const json laps_excluded = excluded_laps();
  const json caveats = timing_caveats();
  const auto no_data_error = no_best_lap_error();
  json stint = object({{"avg_lap_time", number()},
                       {"best_lap", number()},
                       {"first_lap", integer()},
                       {"last_lap", integer()},
                       {"laps", integer()}});
  c["DetailedPerformance"] = object(
      with_identity({
          {"track", with_description(string(), "the circuit's name from the facts file, else the track id")},
          {"track_id", string()},
          {"session", string()},
          {"vehicle", nullable(string())},
          {"track_info",
           object(
               {{"name", nullable(string())},
                {"length_km", nullable(number())},
                {"turns", nullable(integer())},
                {"elevation_change_m", nullable(number())},
                {"track_record", opt_seconds("the facts file's reference lap, else the fastest official lap "
                                             "at the track in the data")},
                {"track_record_description", nullable(string())},
                {"track_record_basis",
                 with_description(nullable(string_enum({"facts file", "computed from the data"})),
                                  "where track_record comes from")},
                {"race_lap_record", opt_seconds("the circuit's outright race lap record, any series; context "
                                                "only, delta_to_record does not use it")},
                {"race_lap_record_description", nullable(string())},
                {"source", nullable(string())}})},
          {"performance",
           object({{"best_lap", nullable(number())},
                   {"average_lap", nullable(number())},
                   {"delta_to_record", opt_seconds("best lap - track_record; null when no reference")},
                   {"std_deviation", opt_seconds("sample standard deviation")}},
                  {{"theoretical_best",
                    with_description(number(),
                                     "sum of the driver's best official sectors; without complete "
                                     "sectors the best lap (no quicker combination is known); absent "
                                     "without a best lap")},
                   {"theoretical_best_basis",
                    with_description(string(), "which of the two theoretical_best is")}})},
          {"consistency",
           nullable(object({{"score", number()},
                            {"rating", string_enum({"Elite", "Professional", "Advanced", "Developing"})},
                            {"laps_within_05s", integer()},
                            {"laps_within_1s", integer()},
                            {"total_laps", integer()},
                            {"laps_excluded", laps_excluded},
                            {"pace_basis", pace_basis_schema}}))},
          {"pace_analysis",
           json{{"oneOf", json::array({object({{"early_stint", stint},
                                               {"mid_stint", stint},
                                               {"late_stint", stint},
                                               {"degradation", object({{"early_to_late_delta", number()}})},
                                               {"laps_analyzed", integer()},
                                               {"laps_excluded", laps_excluded},
                                               {"caveats", caveats}}),
                                       object({{"message", string()},
                                               {"laps_analyzed", integer()},
                                               {"laps_excluded", laps_excluded},
                                               {"caveats", caveats}})})}}},
          {"degradation", object({{"early_to_late_delta", nullable(number())},
                                  {"degradation_rate_per_lap", nullable(number())},
                                  {"degradation_std_error", nullable(number())},
                                  {"verdict", verdict},
                                  {"laps_analyzed", integer()}})},
          {"vehicle_specs", object({{"horsepower", nullable(integer())},
                                    {"weight_kg", nullable(number())},
                                    {"top_speed_kmh", nullable(number())},
                                    {"source", nullable(string())}})},
      }),
      no_data_error);
}

json build_components() {
  json c = json::object();
  add_service_schemas(c);
  add_file_schemas(c);
  add_driver_lap_schemas(c);
  add_strategy_schemas(c);
  add_session_schemas(c);
  add_detailed_performance_schema(c);
  return c;
}

}  // namespace

const json& components() {
  static const json c = build_components();
  return c;
}

}  // namespace apex::schema
