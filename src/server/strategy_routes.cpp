// /api/strategy/...: consistency, tyre degradation and the pit-stop plan of one driver.
#include <cmath>
#include <string_view>

#include "analysis/lap_statistics.h"
#include "server/api_routes.h"
#include "server/api_schemas.h"
#include "server/json_views.h"

namespace apex {

namespace {

using nlohmann::json;
namespace s = schema;

// Laps and ages beyond this are not a race: refuse them rather than compute nonsense.
constexpr std::int64_t kMaxLapCount = 10000;
// Unknown body fields named one by one in a 422; the rest are counted.
constexpr std::size_t kMaxUnknownFieldsNamed = 10;

// Validates the pit-strategy body like FastAPI/pydantic did for the original: every
// problem, each naming its field, in one 422.
std::expected<PitPlanRequest, ApiError> parse_pit_body(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return std::unexpected(body_error("",
                                      "request body is empty: send a JSON object with current_lap, "
                                      "total_laps, tire_age and fuel_level",
                                      "value_error.missing"));
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return std::unexpected(body_error("", "request body is not valid JSON", "value_error.jsondecode"));
  if (!body.is_object())
    return std::unexpected(body_error("",
                                      "request body must be a JSON object with current_lap, total_laps, "
                                      "tire_age and fuel_level",
                                      "type_error.dict"));
  json errors = json::array();
  auto fail = [&](std::string_view field, std::string msg, const char* type) {
    errors.push_back(
        json{{"loc", json::array({"body", std::string(field)})}, {"msg", std::move(msg)}, {"type", type}});
    return false;  // the field is not valid
  };
  PitPlanRequest out;
  // True when the field is present and valid (then stored in `target`).
  auto integer_field = [&](const char* field, std::int64_t minimum, int& target) -> bool {
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) return fail(field, "field required", "value_error.missing");
    if (!it->is_number_integer()) return fail(field, "value is not a valid integer", "type_error.integer");
    // A value beyond int64 arrives as an unsigned integer.
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxLapCount))
      return fail(field, "ensure this value is less than or equal to " + std::to_string(kMaxLapCount),
                  "value_error.number.not_le");
    auto v = it->get<std::int64_t>();
    if (v < minimum)
      return fail(field, "ensure this value is greater than or equal to " + std::to_string(minimum),
                  "value_error.number.not_ge");
    if (v > kMaxLapCount)
      return fail(field, "ensure this value is less than or equal to " + std::to_string(kMaxLapCount),
                  "value_error.number.not_le");
    target = static_cast<int>(v);
    return true;
  };
  const bool current_lap_ok = integer_field("current_lap", 0, out.current_lap);
  const bool total_laps_ok = integer_field("total_laps", 1, out.total_laps);
  integer_field("tire_age", 0, out.tire_age);
  if (auto it = body.find("fuel_level"); it == body.end() || it->is_null()) {
    fail("fuel_level", "field required", "value_error.missing");
  } else if (!it->is_number()) {
    fail("fuel_level", "value is not a valid float", "type_error.float");
  } else if (it->get<double>() < 0) {
    fail("fuel_level", "ensure this value is greater than or equal to 0", "value_error.number.not_ge");
  } else {
    out.fuel_level = it->get<double>();
  }
  // The cross-field rule needs only its two fields: checked whenever both are valid, so it
  // is reported with the other fields' problems rather than after they are fixed.
  if (current_lap_ok && total_laps_ok && out.current_lap > out.total_laps)
    fail("current_lap",
         "current_lap (" + std::to_string(out.current_lap) + ") must not exceed total_laps (" +
             std::to_string(out.total_laps) + ")",
         "value_error.number.not_le");
  // A field the body does not take is refused, as an unknown query parameter is: a
  // misspelt or misplaced field must not pass unseen. (The original frontend never posts
  // this body.) Named up to a point: a 64 KiB body of tiny fields must not make a 1 MB answer.
  std::size_t unknown = 0;
  for (const auto& item : body.items()) {
    const std::string& name = item.key();
    if (name == "current_lap" || name == "total_laps" || name == "tire_age" || name == "fuel_level") continue;
    if (++unknown <= kMaxUnknownFieldsNamed)
      fail(std::string_view(name).substr(0, 80),
           "extra fields not permitted (the body takes current_lap, total_laps, tire_age and fuel_level)",
           "value_error.extra");
  }
  if (unknown > kMaxUnknownFieldsNamed)
    errors.push_back(json{{"loc", json::array({"body"})},
                          {"msg", std::to_string(unknown - kMaxUnknownFieldsNamed) + " more unknown fields"},
                          {"type", "value_error.extra"}});
  if (!errors.empty()) return std::unexpected(ApiError{422, std::move(errors)});
  return out;
}

json rounded3(std::optional<double> v) {
  if (!v) return nullptr;
  return std::round(*v * 1000.0) / 1000.0;
}

}  // namespace

void add_strategy_routes(RouteTable& table, ApiContext& context) {
  ApiContext* ctx = &context;
  const std::string driver = kStrategyDriverPath;

  auto with_driver = [ctx](ApiContext::DriverHandler h) { return ctx->from_driver(std::move(h)); };

  table.add(Route{
      .method = "GET",
      .path = driver + "/consistency",
      .tag = "strategy",
      .summary = "Share of laps within 0.5 s of the driver's best",
      .description =
          "consistency_score = % of valid laps within 0.5 s of best (the original's meaning for this "
          "route); std_deviation and coefficient_of_variation use the sample standard deviation.",
      .responses = {{200, "consistency", s::ref("Consistency")}},
      .handler =
          with_driver([](const RouteRequest&, const LoadedSession&, const DriverSummary& d) -> RouteResult {
            return Reply::json(consistency_json(d, consistency_of(d.valid_lap_times_s)));
          })});

  table.add(
      Route{.method = "GET",
            .path = driver + "/tire-degradation",
            .tag = "strategy",
            .summary = "Lap time growth per lap on green-flag laps",
            .description =
                "Least-squares slope of lap time over lap number on green-flag laps only (no FCY, FF, pit, "
                "start or invalid laps), with its standard error and the fitted lap_deltas. With fewer than "
                "5 usable laps the rate is null and message says why.",
            .responses = {{200, "degradation", s::ref("TireDegradation")}},
            .handler = with_driver([](const RouteRequest&, const LoadedSession& ls,
                                      const DriverSummary& d) -> RouteResult {
              auto green = green_flag_laps(ls.analysis, d);
              return Reply::json(tire_degradation_json(d, green, fit_degradation(lap_times_s(green.laps))));
            })});

  table.add(Route{
      .method = "POST",
      .path = driver + "/pit-strategy",
      .tag = "strategy",
      .summary = "When a stop would pay off, from the driver's measured degradation",
      .description =
          "Lap time is modelled as growing by the driver's fitted degradation per lap of tyre age (the "
          "field's median rate when the driver has too few green-flag laps). Pit loss is measured from "
          "the session's stops under green (the quickest one), else 25 s. fuel_level is validated and "
          "echoed but not modelled: the timing files carry no fuel data. 422 names each bad field.",
      .request_body = s::ref("PitStrategyRequest"),
      .request_body_example =
          json{{"current_lap", 12}, {"total_laps", 27}, {"tire_age", 12}, {"fuel_level", 40.0}},
      .responses = {{200, "pit plan", s::ref("PitStrategy")}},
      .handler = with_driver(
          [](const RouteRequest& req, const LoadedSession& ls, const DriverSummary& d) -> RouteResult {
            auto request = parse_pit_body(req.body());
            if (!request) return std::unexpected(request.error());
            json notes = json::array({"fuel_level is not modelled: the timing files carry no fuel data"});

            auto green = green_flag_laps(ls.analysis, d);
            auto times = lap_times_s(green.laps);
            auto own = fit_degradation(times);
            std::optional<double> rate;
            json rate_source = nullptr;
            if (own.fit) {
              rate = own.fit->slope;
              rate_source = "driver";
            } else {
              std::vector<double> slopes;
              for (const auto& other : ls.analysis.drivers) {
                if (other.source != d.source) continue;
                auto fit = fit_degradation(lap_times_s(green_flag_laps(ls.analysis, other).laps)).fit;
                if (fit) slopes.push_back(fit->slope);
              }
              rate = median(slopes);
              if (rate) {
                rate_source = "field median";
                notes.push_back("this driver has " + std::to_string(times.size()) +
                                " green-flag laps (5 needed): the field's median degradation of " +
                                std::to_string(slopes.size()) + " drivers is used");
              }
            }
            std::vector<double> lap_seconds;
            for (const auto& [lap, t] : times) lap_seconds.push_back(t);
            std::optional<double> avg = lap_seconds.empty() ? d.mean_lap_s : mean(lap_seconds);

            PitLossEstimate pit_loss;
            if (ls.session.sections) pit_loss = estimate_pit_loss(ls.session.sections->laps);

            json out{{"driver_id", d.driver_id},
                     {"car_number", d.car_number ? json(*d.car_number) : json(nullptr)},
                     {"vehicle_id", d.vehicle_id ? json(*d.vehicle_id) : json(nullptr)},
                     {"source", to_string(d.source)},
                     {"current_lap", request->current_lap},
                     {"total_laps", request->total_laps},
                     {"tire_age", request->tire_age},
                     {"fuel_level", request->fuel_level},
                     {"remaining_laps", request->total_laps - request->current_lap},
                     {"avg_lap_time", rounded3(avg)},
                     {"degradation_rate_per_lap", rate ? json(std::round(*rate * 1e4) / 1e4) : json(nullptr)},
                     {"degradation_source", rate_source},
                     {"pit_stop_time_loss", std::round(pit_loss.seconds * 1000.0) / 1000.0},
                     {"pit_loss_source", pit_loss.stops_measured > 0 ? "measured" : "default"},
                     {"pit_stops_measured", pit_loss.stops_measured},
                     {"projected_time_loss_no_pit", nullptr},
                     {"optimal_pit_lap", nullptr},
                     {"time_saved_by_pitting", nullptr},
                     {"recommendation", nullptr},
                     {"message", nullptr},
                     {"notes", notes}};
            if (!rate) {
              out["message"] =
                  "no degradation rate could be measured: no driver of this session has 5 green-flag laps";
              return Reply::json(std::move(out));
            }
            PitPlan plan = plan_pit_stop(*request, *rate, pit_loss.seconds);
            out["projected_time_loss_no_pit"] = rounded3(plan.projected_time_loss_no_pit_s);
            out["optimal_pit_lap"] = plan.optimal_pit_lap ? json(*plan.optimal_pit_lap) : json(nullptr);
            out["time_saved_by_pitting"] = rounded3(plan.time_saved_by_best_stop_s);
            out["recommendation"] = plan.recommendation;
            return Reply::json(std::move(out));
          })});
}

}  // namespace apex
