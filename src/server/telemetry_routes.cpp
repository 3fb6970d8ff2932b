// The original's telemetry analyses (speed, braking, AMICOS cornering, per-lap
// telemetry). APEX computes none of them yet: they come with the telemetry issue.
// Until then each route checks that track, session and driver exist (404 otherwise)
// and answers 501 with a detail saying so, never a made-up number.
//
// One exception, forced by the original frontend: DetailedAnalytics.tsx loads
// detailed-performance, speed-analysis and braking-analysis under /api/analytics with
// one Promise.all and then dereferences the detailed body unconditionally, so a non-2xx
// from either telemetry route blanks the whole dashboard. Those two answer 200 with
// {"error", "detail"}, the body the original itself sent when it had no telemetry, which
// the frontend reads as "hide this section".
#include <charconv>

#include "server/api_routes.h"
#include "server/api_schemas.h"

namespace apex {

namespace {

using nlohmann::json;
namespace s = schema;

constexpr const char* kNotYet =
    "telemetry analysis is not implemented in APEX yet (it comes with the telemetry issue); this endpoint "
    "returns no numbers until then";

}  // namespace

void add_telemetry_routes(RouteTable& table, ApiContext& context) {
  ApiContext* ctx = &context;

  // Resolves track, session and driver, then answers "not yet".
  auto not_yet = [ctx](bool ok_body_for_frontend) -> RouteHandler {
    return ctx->from_driver([ok_body_for_frontend](const RouteRequest& req, const LoadedSession&,
                                                   const DriverSummary&) -> RouteResult {
      const std::string& lap = req.path("lap_number");
      if (!lap.empty()) {
        int n = 0;
        auto [end, ec] = std::from_chars(lap.data(), lap.data() + lap.size(), n);
        if (ec != std::errc() || end != lap.data() + lap.size() || n < 0)
          return std::unexpected(api_error(400, "lap_number must be a whole number >= 0, got '" + lap + "'"));
      }
      if (ok_body_for_frontend)
        return Reply::json(json{{"error", "No telemetry analysis available yet"}, {"detail", kNotYet}});
      return std::unexpected(api_error(501, kNotYet));
    });
  };

  const std::string analytics = kDriverPath, telemetry = kTelemetryDriverPath;
  const ResponseSpec not_implemented{501, "not implemented yet", s::ref("Error")};
  const ResponseSpec not_available{
      200, "not available yet: {error, detail} so the original frontend hides the section",
      s::ref("NotAvailable")};
  const std::string compat_note =
      " Answers 200 with {error, detail} instead of 501 because the original frontend's DetailedAnalytics "
      "loads it together with detailed-performance and fails as a whole on any non-2xx.";

  table.add(Route{.method = "GET",
                  .path = analytics + "/speed-analysis",
                  .tag = "telemetry",
                  .summary = "Speed analysis (not yet)",
                  .description = std::string(kNotYet) + "." + compat_note,
                  .responses = {not_available},
                  .handler = not_yet(true)});
  table.add(Route{.method = "GET",
                  .path = analytics + "/braking-analysis",
                  .tag = "telemetry",
                  .summary = "Braking analysis (not yet)",
                  .description = std::string(kNotYet) + "." + compat_note,
                  .responses = {not_available},
                  .handler = not_yet(true)});
  table.add(Route{.method = "GET",
                  .path = analytics + "/amicos-analysis",
                  .tag = "telemetry",
                  .summary = "AMICOS cornering analysis (not yet: 501)",
                  .description = kNotYet,
                  .responses = {not_implemented},
                  .handler = not_yet(false)});
  table.add(Route{.method = "GET",
                  .path = telemetry + "/lap/{lap_number}",
                  .tag = "telemetry",
                  .summary = "Telemetry summary of one lap (not yet: 501)",
                  .description = kNotYet,
                  .responses = {not_implemented},
                  .handler = not_yet(false)});
  table.add(Route{.method = "GET",
                  .path = telemetry + "/braking-analysis",
                  .tag = "telemetry",
                  .summary = "Brake pressure statistics (not yet: 501)",
                  .description = kNotYet,
                  .responses = {not_implemented},
                  .handler = not_yet(false)});
  table.add(Route{.method = "GET",
                  .path = telemetry + "/speed-analysis",
                  .tag = "telemetry",
                  .summary = "Speed statistics (not yet: 501)",
                  .description = kNotYet,
                  .responses = {not_implemented},
                  .handler = not_yet(false)});
}

}  // namespace apex
