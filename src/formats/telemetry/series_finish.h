// Finishing one (vehicle, channel) series from the stages of every worker: samples sorted
// by time, repeats removed (counted, and those that differ counted as conflicts), the lap
// column run-length encoded, the stages freed as it goes.
#pragma once

#include <cstddef>
#include <vector>

#include "formats/telemetry/sample_stage.h"
#include "model/telemetry.h"

namespace apex::telemetry_parsing {

// One series to build: the stages of every worker that hold its samples, and what the
// merge takes back (the series, its repeats and conflicts).
struct SeriesTask {
  std::size_t vehicle = 0;
  ChannelId channel = 0;
  std::vector<Stage*> parts;
  std::size_t count = 0;
  ChannelSeries series;
  std::size_t duplicates = 0;
  std::size_t conflicts = 0;
};

// Builds task.series from task.parts and releases them.
void finish_series(SeriesTask& task);

}  // namespace apex::telemetry_parsing
