#include "model/track_facts.h"

#include <cctype>

namespace apex {

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
