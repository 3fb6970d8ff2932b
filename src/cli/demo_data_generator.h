// Generator of the embedded demo data set: a synthetic but self-consistent second track
// ("sonoma-raceway") in the real GR Cup file layout, for `apex demo-data DIR`.
//
// The output mirrors what the real exports look like at Sonoma: lap event files in schema C
// (quoted strings, LF, no final newline, trailing comma on lap_time rows), official timing
// files with a UTF-8 BOM, CRLF and a trailing ';' on every line, and long-format telemetry.
// It carries the quirks the analysis must survive (stale car numbers in vehicle ids, a car
// whose ECU clock is two days ahead, repeated crossings, lap 32768 and lap 0, a mis-timed
// crossing, duplicate telemetry rows) at documented places, so tests can check the answers.
//
// Contract: the bytes depend only on the options. The generator uses its own PRNG, normal
// transform and elementary functions built from IEEE basic operations, so the same seed
// gives byte-identical files on any machine. All output goes through the ObjectStore.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "storage/object_store.h"

namespace apex {

struct DemoDataOptions {
  std::uint64_t seed = 2025;
  int cars = 8;            // 8..20
  int laps_per_race = 12;  // 10..40
  bool telemetry = true;
};

// The track folder the demo data goes into.
inline constexpr std::string_view kDemoTrackId = "sonoma-raceway";

// Writes track folder kDemoTrackId in the Sonoma layout: "sonoma-raceway/Sonoma/Race 1/...",
// "Race 2/...". InvalidInput for options out of range; store errors are passed back.
Status generate_demo_data(ObjectStore& out, const DemoDataOptions& options = {});

}  // namespace apex
