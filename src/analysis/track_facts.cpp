#include "analysis/track_facts.h"

#include <cctype>
#include <nlohmann/json.hpp>

namespace apex {

using nlohmann::json;

std::string normalise_track_key(std::string_view text) {
  std::string out;
  bool pending_dash = false;
  for (unsigned char c : text) {
    if (std::isalnum(c)) {
      if (pending_dash && !out.empty()) out.push_back('-');
      pending_dash = false;
      out.push_back(static_cast<char>(std::tolower(c)));
    } else {
      pending_dash = true;
    }
  }
  return out;
}

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
  if (auto ref = entry.find("reference_lap"); ref != entry.end() && !ref->is_null()) {
    std::string ref_where = where + ".reference_lap";
    if (!ref->is_object()) return make_error(ErrorKind::Corrupt, ref_where + ": must be an object or null");
    auto time = optional_number(*ref, "lap_time_s", ref_where);
    if (!time) return std::unexpected(time.error());
    if (!*time || **time <= 0)
      return make_error(ErrorKind::Corrupt, ref_where + ": 'lap_time_s' must be a positive number");
    track.reference_lap =
        ReferenceLap{**time, optional_string(*ref, "description"), optional_string(*ref, "source")};
  }
  return track;
}

}  // namespace

Result<TrackFactsBook> TrackFactsBook::parse(std::string_view json_text, std::string_view origin) {
  TrackFactsBook book;
  book.origin_ = std::string(origin);
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(ErrorKind::Corrupt, book.origin_ + ": not a JSON object");
  if (auto vehicle = doc.find("vehicle"); vehicle != doc.end()) {
    std::string where = book.origin_ + ": vehicle";
    if (!vehicle->is_object()) return make_error(ErrorKind::Corrupt, where + ": must be an object");
    auto name = required_string(*vehicle, "name", where);
    if (!name) return std::unexpected(name.error());
    book.vehicle_.name = *name;
    auto hp = optional_number(*vehicle, "horsepower", where);
    auto weight = optional_number(*vehicle, "weight_kg", where);
    auto top = optional_number(*vehicle, "top_speed_kmh", where);
    for (const auto* r : {&hp, &weight, &top})
      if (!*r) return std::unexpected(r->error());
    if (*hp) {
      if (**hp < 0 || **hp > 100000)
        return make_error(ErrorKind::Corrupt, where + ": 'horsepower' must be between 0 and 100000");
      book.vehicle_.horsepower = static_cast<int>(**hp);
    }
    book.vehicle_.weight_kg = *weight;
    book.vehicle_.top_speed_kmh = *top;
    book.vehicle_.source = optional_string(*vehicle, "source");
  }
  auto tracks = doc.find("tracks");
  if (tracks == doc.end() || !tracks->is_array())
    return make_error(ErrorKind::Corrupt, book.origin_ + ": 'tracks' must be an array");
  for (std::size_t i = 0; i < tracks->size(); ++i) {
    auto track = parse_track((*tracks)[i], book.origin_ + ": tracks[" + std::to_string(i) + "]");
    if (!track) return std::unexpected(track.error());
    book.tracks_.push_back(std::move(*track));
  }
  return book;
}

const TrackFacts* TrackFactsBook::find(std::string_view track_id) const {
  const std::string key = normalise_track_key(track_id);
  if (key.empty()) return nullptr;
  for (const auto& track : tracks_) {
    if (normalise_track_key(track.id) == key || normalise_track_key(track.name) == key) return &track;
    for (const auto& alias : track.aliases)
      if (normalise_track_key(alias) == key) return &track;
  }
  return nullptr;
}

}  // namespace apex
