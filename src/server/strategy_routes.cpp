// /api/strategy/...: consistency, tyre degradation and the pit-stop plan of one driver.
#include <cmath>
#include <string_view>

#include "analysis/lap_selection.h"
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
      .summary = "Share of green-flag laps within 0.5 s of the driver's best",
      .description =
          "consistency_score = % of green-flag laps within 0.5 s of the best of them (the original's "
          "meaning for this route); caution, restart, start, pit and deleted laps are left out and counted "
          "in laps_excluded, incident laps are kept. std_deviation and coefficient_of_variation use the "
          "sample standard deviation. caveats says what the timing files cannot show.",
      .responses = {{200, "consistency", s::ref("Consistency")}},
      .handler = with_driver(
          [](const RouteRequest&, const LoadedSession& ls, const DriverSummary& d) -> RouteResult {
            const PaceLaps pace = pace_laps(ls.analysis, d);
            return Reply::json(consistency_json(d, consistency_of(lap_seconds(pace.laps)), pace));
          })});

  table.add(
      Route{.method = "GET",
            .path = driver + "/tire-degradation",
            .tag = "strategy",
            .summary = "Lap time growth per lap on green-flag laps, with its significance",
            .description =
                "Least-squares slope of lap time over lap number on green-flag laps only (no FCY, FF, pit, "
                "start, restart, deleted or invalid laps), with its standard error, t value and a verdict: "
                "degrading or improving when |slope| reaches Student's t at 95% times its standard error, "
                "not significant below, too few laps under 5 (rate null, message says why). A negative "
                "slope is reported as measured.",
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
          "Lap time is modelled as growing by the driver's degradation per lap of tyre age, used only "
          "when it is significantly positive (the field's median rate when the driver has fewer than 5 "
          "green-flag laps and most of the field degrades significantly). Pit loss is measured from the "
          "session's stops under green (the quickest one). Without a measured stop (pit_data_available "
          "false) or without a significant rate, the plan fields are null and message says why. "
          "fuel_level is validated and echoed but not modelled: the timing files carry no fuel data. "
          "422 names each bad field.",
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
            const Degradation own = fit_degradation(times);
            std::optional<FieldDegradation> field;
            if (!own.fit) {
              std::vector<Degradation> fits;
              for (const auto& other : ls.analysis.drivers)
                if (other.source == d.source)
                  fits.push_back(fit_degradation(lap_times_s(green_flag_laps(ls.analysis, other).laps)));
              field = field_degradation(fits);
            }
            PitLossEstimate pit_loss;
            if (ls.session.sections) pit_loss = estimate_pit_loss(ls.session.sections->laps);
            const PitStrategy advice = pit_strategy(*request, own, field, pit_loss);
            for (const auto& note : advice.notes) notes.push_back(note);
            auto rate4 = [](std::optional<double> r) {
              return r ? json(std::round(*r * 1e4) / 1e4) : json(nullptr);
            };

            std::vector<double> lap_secs;
            for (const auto& [lap, t] : times) lap_secs.push_back(t);
            std::optional<double> avg = lap_secs.empty() ? d.mean_lap_s : mean(lap_secs);

            json out{
                {"driver_id", d.driver_id},
                {"car_number", d.car_number ? json(*d.car_number) : json(nullptr)},
                {"car_id", d.car_id ? json(*d.car_id) : json(nullptr)},
                {"vehicle_id", d.vehicle_id ? json(*d.vehicle_id) : json(nullptr)},
                {"source", to_string(d.source)},
                {"current_lap", request->current_lap},
                {"total_laps", request->total_laps},
                {"tire_age", request->tire_age},
                {"fuel_level", request->fuel_level},
                {"remaining_laps", request->total_laps - request->current_lap},
                {"avg_lap_time", rounded3(avg)},
                {"degradation_rate_per_lap", rate4(advice.measured_rate)},
                {"degradation_std_error",
                 rate4(own.fit ? std::optional(own.fit->slope_std_error) : std::nullopt)},
                {"degradation_verdict", std::string(to_string(own.verdict))},
                {"degradation_source", advice.rate_source.empty() ? json(nullptr) : json(advice.rate_source)},
                {"wear_rate_used", rate4(advice.wear_rate)},
                {"pit_data_available", advice.pit_data},
                {"pit_stop_time_loss", advice.pit_data ? rounded3(pit_loss.seconds) : json(nullptr)},
                {"pit_loss_source", advice.pit_data ? json("measured") : json(nullptr)},
                {"pit_stops_measured", pit_loss.stops_measured},
                {"pit_laps_in_timing", pit_loss.pit_laps},
                {"projected_time_loss_no_pit", nullptr},
                {"optimal_pit_lap", nullptr},
                {"time_saved_by_pitting", nullptr},
                {"recommendation", nullptr},
                {"message", nullptr},
                {"notes", notes}};
            if (!advice.plan) {
              out["message"] = advice.message;
              return Reply::json(std::move(out));
            }
            const PitPlan& plan = *advice.plan;
            out["projected_time_loss_no_pit"] = rounded3(plan.projected_time_loss_no_pit_s);
            out["optimal_pit_lap"] = plan.optimal_pit_lap ? json(*plan.optimal_pit_lap) : json(nullptr);
            out["time_saved_by_pitting"] = rounded3(plan.time_saved_by_best_stop_s);
            out["recommendation"] = plan.recommendation;
            return Reply::json(std::move(out));
          })});
}

}  // namespace apex
