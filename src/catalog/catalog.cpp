#include "catalog/catalog.h"

#include <algorithm>
#include <charconv>
#include <tuple>
#include <utility>

namespace apex {
namespace {

struct ClassifiedObject {
  ObjectInfo info;
  ClassifiedName name;
};

// Official over unmarked over provisional; then the shortest key (fewest decorations),
// then the key itself so the choice never depends on listing order.
bool better(const ClassifiedObject& a, const ClassifiedObject& b) {
  return std::make_tuple(-static_cast<int>(a.name.officialness), a.info.key.size(), std::cref(a.info.key)) <
         std::make_tuple(-static_cast<int>(b.name.officialness), b.info.key.size(), std::cref(b.info.key));
}

// Puts the best candidate of one kind into the session and the rest into alternates.
void assign(SessionFiles& session, FileKind kind, std::vector<ClassifiedObject> candidates) {
  std::sort(candidates.begin(), candidates.end(), better);
  session.files[kind] = candidates.front().info;
  for (std::size_t i = 1; i < candidates.size(); ++i) session.alternates.push_back(candidates[i].info);
}

TrackCatalog build_track(std::string id, std::vector<ClassifiedObject> objects) {
  TrackCatalog track;
  track.id = std::move(id);

  std::map<int, std::map<FileKind, std::vector<ClassifiedObject>>> by_race;
  std::map<FileKind, std::vector<ClassifiedObject>> without_race;
  std::vector<ClassifiedObject> overrides;
  for (auto& object : objects) {
    if (object.name.kind == FileKind::Overrides) {
      overrides.push_back(std::move(object));
    } else if (!object.name.kind) {
      std::string reason = "not a race data file: no file kind recognised in the name";
      track.unrecognised.push_back({std::move(object.info.key), std::move(reason)});
    } else if (object.name.race) {
      by_race[*object.name.race][*object.name.kind].push_back(std::move(object));
    } else {
      without_race[*object.name.kind].push_back(std::move(object));
    }
  }

  for (auto& [race, kinds] : by_race) {
    SessionFiles session;
    session.id = "R" + std::to_string(race);
    session.race = race;
    for (auto& [kind, candidates] : kinds) assign(session, kind, std::move(candidates));
    track.sessions.push_back(std::move(session));
  }

  // A file without a race number (e.g. "03_Results_Anonymized.CSV") belongs to the one
  // session that has no file of its kind; with zero or several such sessions it is ambiguous.
  std::map<FileKind, SessionFiles*> single_gap;
  for (auto& [kind, candidates] : without_race) {
    SessionFiles* gap = nullptr;
    int gaps = 0;
    for (auto& session : track.sessions) {
      if (!session.files.contains(kind)) {
        gap = &session;
        ++gaps;
      }
    }
    if (gaps == 1) {
      single_gap[kind] = gap;
      continue;
    }
    for (auto& candidate : candidates) {
      std::string reason = "no session token (R1, Race 1, a Race N/ folder) in the name, and " +
                           std::string(gaps == 0 ? "no" : "more than one") + " session lacks a " +
                           std::string(to_string(kind)) + " file to assign it to";
      track.unrecognised.push_back({std::move(candidate.info.key), std::move(reason)});
    }
  }
  for (auto& [kind, gap] : single_gap) assign(*gap, kind, std::move(without_race[kind]));
  // The overrides file speaks for every session of the track: each reads its own part.
  if (!overrides.empty())
    for (auto& session : track.sessions) assign(session, FileKind::Overrides, overrides);

  for (auto& session : track.sessions)
    std::sort(session.alternates.begin(), session.alternates.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  std::sort(track.unrecognised.begin(), track.unrecognised.end(),
            [](const UnrecognisedFile& a, const UnrecognisedFile& b) { return a.key < b.key; });
  return track;
}

}  // namespace

const ObjectInfo* SessionFiles::find(FileKind kind) const {
  auto it = files.find(kind);
  return it == files.end() ? nullptr : &it->second;
}

const SessionFiles* TrackCatalog::find_session(std::string_view session_id) const {
  const auto wanted = normalise_session_id(session_id);
  if (!wanted) return nullptr;
  for (const auto& session : sessions)
    if (session.id == *wanted) return &session;
  return nullptr;
}

namespace {

template <typename Items>
std::string ids_text(const Items& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item.id;
  return out.empty() ? "none" : out;
}

}  // namespace

std::string TrackCatalog::session_ids_text() const {
  return ids_text(sessions);
}

std::string Catalog::track_ids_text() const {
  return ids_text(tracks_);
}

Result<Catalog> Catalog::build(ObjectStore& store) {
  auto listing = store.list("", std::nullopt);
  if (!listing) {
    Error error = listing.error();
    // This reaches /health and API answers: the store's public description, no disk path.
    error.message =
        "cannot list the data root " + store.describe_publicly() + " to build the catalog: " + error.message;
    return std::unexpected(std::move(error));
  }
  return from_listing(listing->objects);
}

Catalog Catalog::from_listing(const std::vector<ObjectInfo>& objects) {
  Catalog catalog;
  std::map<std::string, std::vector<ClassifiedObject>, std::less<>> by_track;
  for (const auto& object : objects) {
    const auto slash = object.key.find('/');
    if (slash == std::string::npos) {
      catalog.root_files_.push_back({object.key, "not inside a track folder"});
      continue;
    }
    std::string_view key = object.key;
    auto& track = by_track[std::string(key.substr(0, slash))];
    track.push_back({object, classify_file_name(key.substr(slash + 1))});
  }
  for (auto& [id, track_objects] : by_track)
    catalog.tracks_.push_back(build_track(id, std::move(track_objects)));
  std::sort(catalog.root_files_.begin(), catalog.root_files_.end(),
            [](const UnrecognisedFile& a, const UnrecognisedFile& b) { return a.key < b.key; });
  return catalog;
}

const TrackCatalog* Catalog::find_track(std::string_view track_id) const {
  auto it = std::lower_bound(tracks_.begin(), tracks_.end(), track_id,
                             [](const TrackCatalog& t, std::string_view id) { return t.id < id; });
  return (it != tracks_.end() && it->id == track_id) ? &*it : nullptr;
}

std::optional<std::string> normalise_session_id(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);

  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  auto starts_with_word = [&](std::string_view word) {
    if (text.size() < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i)
      if (lower(text[i]) != word[i]) return false;
    return true;
  };
  if (starts_with_word("race")) {
    text.remove_prefix(4);
    while (!text.empty() && (text.front() == ' ' || text.front() == '_' || text.front() == '-'))
      text.remove_prefix(1);
  } else if (starts_with_word("r")) {
    text.remove_prefix(1);
  }

  if (text.empty() || text.size() > 6) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  int race = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), race);
  if (ec != std::errc{} || end != text.data() + text.size() || race < 1) return std::nullopt;
  return "R" + std::to_string(race);
}

}  // namespace apex
