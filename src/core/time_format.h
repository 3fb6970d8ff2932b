// Times as the API, the CLI and the demo files print them: ISO-8601 UTC timestamps with
// milliseconds and lap times as "M:SS.mmm". Here because several layers print them
// (analysis' explanations, the server's JSON, the CLI's tables); parsing is formats/time_text.
#pragma once

#include <cstdint>
#include <string>

namespace apex {

// Milliseconds since the epoch to "2025-09-06T18:40:41.927Z".
std::string format_iso8601_ms(std::int64_t epoch_ms);

// Milliseconds to "1:37.428" (or "1:02:03.456" above an hour).
std::string format_lap_time(std::int64_t ms);

}  // namespace apex
