// Whether two loads hold the same samples for one vehicle, with channels compared by name.
// A ChannelId is local to one load (names are interned in the order the rows first show
// them), so a one-vehicle load, which never interns the channels only other vehicles have,
// may number the same channel differently from the whole load. Used by the unit tests and
// the telemetry fuzz target.
#pragma once

#include "model/telemetry.h"

namespace apex::test {

inline bool same_vehicle_data(const Telemetry& load_a, const VehicleTelemetry& a, const Telemetry& load_b,
                              const VehicleTelemetry& b) {
  if (a.vehicle_id != b.vehicle_id || a.ingest_lags != b.ingest_lags ||
      a.channels.size() != b.channels.size())
    return false;
  for (const ChannelSeries& series_a : a.channels) {
    const auto id_b = load_b.channel_id(load_a.channel_name(series_a.channel));
    const ChannelSeries* series_b = id_b ? b.find(*id_b) : nullptr;
    if (series_b == nullptr || series_a.time_ms != series_b->time_ms || series_a.value != series_b->value ||
        series_a.lap_runs != series_b->lap_runs)
      return false;
  }
  return true;
}

}  // namespace apex::test
