#include "formats/track_facts_parser.h"

#include <nlohmann/json.hpp>

namespace apex {

using nlohmann::json;

namespace {

// Reads an optional number: absent or null is "unknown"; anything else must be a number.
Result<std::optional<double>> optional_number(const json& object, const char* field,
                                              const std::string& where) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<double>{};
  if (!it->is_number())
    return make_error(ErrorKind::Corrupt, where + ": '" + field + "' must be a number or null");
  return std::optional<double>{it->get<double>()};
}

Result<std::string> required_string(const json& object, const char* field, const std::string& where) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_string() || it->get<std::string>().empty())
    return make_error(ErrorKind::Corrupt, where + ": '" + field + "' must be a non-empty string");
  return it->get<std::string>();
}

std::string optional_string(const json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Reads a lap entry ("reference_lap", "race_lap_record"): absent or null is none; otherwise
// an object with a positive lap_time_s.
Result<std::optional<ReferenceLap>> lap_entry(const json& entry, const char* field,
                                              const std::string& where) {
  auto ref = entry.find(field);
  if (ref == entry.end() || ref->is_null()) return std::optional<ReferenceLap>{};
  const std::string ref_where = where + "." + field;
  if (!ref->is_object()) return make_error(ErrorKind::Corrupt, ref_where + ": must be an object or null");
  auto time = optional_number(*ref, "lap_time_s", ref_where);
  if (!time) return std::unexpected(time.error());
  if (!*time || **time <= 0)
    return make_error(ErrorKind::Corrupt, ref_where + ": 'lap_time_s' must be a positive number");
  return std::optional<ReferenceLap>{
      ReferenceLap{**time, optional_string(*ref, "description"), optional_string(*ref, "source")}};
}

Result<TrackFacts> parse_track(const json& entry, const std::string& where) {
  if (!entry.is_object()) return make_error(ErrorKind::Corrupt, where + ": must be an object");
  TrackFacts track;
  auto id = required_string(entry, "id", where);
  if (!id) return std::unexpected(id.error());
  track.id = *id;
  auto name = required_string(entry, "name", where);
  if (!name) return std::unexpected(name.error());
  track.name = *name;
  if (auto aliases = entry.find("aliases"); aliases != entry.end()) {
    if (!aliases->is_array())
      return make_error(ErrorKind::Corrupt, where + ": 'aliases' must be an array of strings");
    for (const auto& alias : *aliases) {
      if (!alias.is_string())
        return make_error(ErrorKind::Corrupt, where + ": 'aliases' must be an array of strings");
      track.aliases.push_back(alias.get<std::string>());
    }
  }
  auto length = optional_number(entry, "length_km", where);
  auto turns = optional_number(entry, "turns", where);
  auto elevation = optional_number(entry, "elevation_change_m", where);
  for (const auto* r : {&length, &turns, &elevation})
    if (!*r) return std::unexpected(r->error());
  track.length_km = *length;
  if (*turns) {
    if (**turns < 0 || **turns > 1000 || **turns != static_cast<double>(static_cast<int>(**turns)))
      return make_error(ErrorKind::Corrupt, where + ": 'turns' must be a whole number from 0 to 1000");
    track.turns = static_cast<int>(**turns);
  }
  track.elevation_change_m = *elevation;
  track.source = optional_string(entry, "source");
  auto reference = lap_entry(entry, "reference_lap", where);
  if (!reference) return std::unexpected(reference.error());
  track.reference_lap = std::move(*reference);
  auto record = lap_entry(entry, "race_lap_record", where);
  if (!record) return std::unexpected(record.error());
  track.race_lap_record = std::move(*record);
  return track;
}

}  // namespace

Result<TrackFactsBook> parse_track_facts(std::string_view json_text, std::string_view origin) {
  const std::string where_file(origin);
  VehicleFacts vehicle_facts;
  std::vector<TrackFacts> track_facts;
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(ErrorKind::Corrupt, where_file + ": not a JSON object");
  if (auto vehicle = doc.find("vehicle"); vehicle != doc.end()) {
    std::string where = where_file + ": vehicle";
    if (!vehicle->is_object()) return make_error(ErrorKind::Corrupt, where + ": must be an object");
    auto name = required_string(*vehicle, "name", where);
    if (!name) return std::unexpected(name.error());
    vehicle_facts.name = *name;
    auto hp = optional_number(*vehicle, "horsepower", where);
    auto weight = optional_number(*vehicle, "weight_kg", where);
    auto top = optional_number(*vehicle, "top_speed_kmh", where);
    for (const auto* r : {&hp, &weight, &top})
      if (!*r) return std::unexpected(r->error());
    if (*hp) {
      if (**hp < 0 || **hp > 100000)
        return make_error(ErrorKind::Corrupt, where + ": 'horsepower' must be between 0 and 100000");
      vehicle_facts.horsepower = static_cast<int>(**hp);
    }
    vehicle_facts.weight_kg = *weight;
    vehicle_facts.top_speed_kmh = *top;
    vehicle_facts.source = optional_string(*vehicle, "source");
  }
  auto tracks = doc.find("tracks");
  if (tracks == doc.end() || !tracks->is_array())
    return make_error(ErrorKind::Corrupt, where_file + ": 'tracks' must be an array");
  for (std::size_t i = 0; i < tracks->size(); ++i) {
    auto track = parse_track((*tracks)[i], where_file + ": tracks[" + std::to_string(i) + "]");
    if (!track) return std::unexpected(track.error());
    track_facts.push_back(std::move(*track));
  }
  return TrackFactsBook(std::move(track_facts), std::move(vehicle_facts), where_file);
}

}  // namespace apex
