#include "model/telemetry.h"

#include <algorithm>

namespace apex {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

bool TelemetryReport::operator==(const TelemetryReport& other) const {
  return parse.object_key == other.parse.object_key && parse.rows == other.parse.rows &&
         parse.bad_rows == other.parse.bad_rows && parse.bad_row_reasons == other.parse.bad_row_reasons &&
         bytes == other.bytes && json_layout == other.json_layout && samples_read == other.samples_read &&
         duplicate_samples == other.duplicate_samples && conflicting_keys == other.conflicting_keys &&
         rows_of_other_vehicles == other.rows_of_other_vehicles;
}

int ChannelSeries::lap_at(std::size_t i) const {
  auto it = std::upper_bound(lap_runs.begin(), lap_runs.end(), i,
                             [](std::size_t index, const LapRun& run) { return index < run.first; });
  return it == lap_runs.begin() ? 0 : std::prev(it)->lap;
}

std::pair<std::size_t, std::size_t> ChannelSeries::range(std::int64_t from_ms, std::int64_t to_ms) const {
  auto first = std::lower_bound(time_ms.begin(), time_ms.end(), from_ms);
  auto last = std::lower_bound(first, time_ms.end(), std::max(from_ms, to_ms));
  return {static_cast<std::size_t>(first - time_ms.begin()),
          static_cast<std::size_t>(last - time_ms.begin())};
}

const ChannelSeries* VehicleTelemetry::find(ChannelId id) const {
  auto it = std::lower_bound(channels.begin(), channels.end(), id,
                             [](const ChannelSeries& s, ChannelId c) { return s.channel < c; });
  return it != channels.end() && it->channel == id ? &*it : nullptr;
}

std::size_t VehicleTelemetry::samples() const {
  std::size_t n = 0;
  for (const auto& s : channels) n += s.size();
  return n;
}

std::optional<ChannelId> Telemetry::channel_id(std::string_view name) const {
  for (std::size_t i = 0; i < channel_names.size(); ++i)
    if (channel_names[i] == name) return static_cast<ChannelId>(i);
  return std::nullopt;
}

std::string_view Telemetry::channel_name(ChannelId id) const {
  return id < channel_names.size() ? std::string_view(channel_names[id]) : std::string_view();
}

const VehicleTelemetry* Telemetry::vehicle(std::string_view vehicle_id) const {
  auto it =
      std::lower_bound(vehicles.begin(), vehicles.end(), vehicle_id,
                       [](const VehicleTelemetry& v, std::string_view id) { return v.vehicle_id < id; });
  return it != vehicles.end() && it->vehicle_id == vehicle_id ? &*it : nullptr;
}

const ChannelSeries* Telemetry::resolve(const VehicleTelemetry& vehicle, std::string_view name) const {
  auto exact = [&](std::string_view n) -> const ChannelSeries* {
    auto id = channel_id(n);
    return id ? vehicle.find(*id) : nullptr;
  };
  if (const ChannelSeries* s = exact(name)) return s;
  for (const ChannelAlias& alias : kChannelAliases) {
    if (alias.name != name) continue;
    for (std::string_view candidate : alias.candidates)
      if (!candidate.empty())
        if (const ChannelSeries* s = exact(candidate)) return s;
  }
  for (const ChannelSeries& s : vehicle.channels)
    if (equal_ignoring_case(channel_name(s.channel), name)) return &s;
  return nullptr;
}

std::size_t Telemetry::samples() const {
  std::size_t n = 0;
  for (const auto& v : vehicles) n += v.samples();
  return n;
}

std::size_t Telemetry::memory_bytes() const {
  std::size_t bytes =
      channel_names.capacity() * sizeof(std::string) + vehicles.capacity() * sizeof(VehicleTelemetry);
  for (const auto& name : channel_names) bytes += name.capacity();
  for (const auto& v : vehicles) {
    bytes += v.vehicle_id.capacity() + v.channels.capacity() * sizeof(ChannelSeries) +
             v.ingest_lags.capacity() * sizeof(IngestLag);
    for (const auto& s : v.channels)
      bytes += s.time_ms.memory_bytes() + s.value.capacity() * sizeof(float) +
               s.lap_runs.capacity() * sizeof(LapRun);
  }
  return bytes;
}

}  // namespace apex
