#include "load/session_loader.h"

#include <functional>

#include "formats/lap_events_parser.h"
#include "formats/official_timing_parser.h"
#include "formats/overrides_parser.h"

namespace apex {

namespace {

// Store failures that mean "try again later" (or "fix the settings") stop the load; a file
// that vanished since listing, corrupt content and a file that cannot be read until someone
// fixes it (permission denied, a loop of links) are recorded and the load goes on: the
// session answers from its other files, and /files says what is missing and why.
bool fatal(const Error& e) {
  return e.kind != ErrorKind::NotFound && e.kind != ErrorKind::Corrupt && e.kind != ErrorKind::Unreadable;
}

// The file's path inside the track folder names it in the overrides file.
const FileExclusion* exclusion_of(const Session& session, const std::string& key) {
  if (!session.overrides) return nullptr;
  for (const auto& exclusion : session.overrides->excluded_files)
    if (key == session.track_id + "/" + exclusion.path || key == exclusion.path) return &exclusion;
  return nullptr;
}

// Another session's file of the same kind and track with exactly these bytes (one of
// files_compared_with): same size first (from the listing, free), then the bytes. A file that
// cannot be read for the comparison is skipped.
void note_identical_files(ObjectStore& store, const TrackCatalog& track, const SessionFiles& files,
                          FileKind kind, const ObjectInfo& object, std::string_view bytes, Session& session) {
  for (const auto& other : track.sessions) {
    const ObjectInfo* candidate = other.id == files.id ? nullptr : other.find(kind);
    if (!candidate || candidate->size != object.size || candidate->key == object.key) continue;
    if (auto other_bytes = store.read_all(candidate->key); other_bytes && *other_bytes == bytes)
      session.identical_files.push_back(IdenticalFile{object.key, candidate->key});
  }
}

struct LoadContext {
  ObjectStore& store;
  const TrackCatalog& track;
  const SessionFiles& files;
  Session& session;
};

template <typename T>
Status load_one(const LoadContext& context, FileKind kind, std::optional<T>& slot,
                Result<T> (*parse)(std::string, std::string_view)) {
  Session& session = context.session;
  const ObjectInfo* object = context.files.find(kind);
  if (!object) return {};
  if (const FileExclusion* exclusion = exclusion_of(session, object->key)) {
    session.excluded_files.push_back(ExcludedFile{object->key, exclusion->reason});
    return {};
  }
  auto bytes = context.store.read_all(object->key);
  if (!bytes) {
    if (fatal(bytes.error())) return std::unexpected(bytes.error());
    session.problems.push_back(object->key + ": " + bytes.error().message);
    return {};
  }
  session.sources.push_back(SourceFile{object->key, object->size, object->version});
  if (object->size > 0)
    note_identical_files(context.store, context.track, context.files, kind, *object, *bytes, session);
  auto parsed = parse(std::move(*bytes), object->key);
  if (!parsed) {
    session.problems.push_back(parsed.error().message);
    return {};
  }
  slot = std::move(*parsed);
  return {};
}

// This session's part of the track's overrides file, if it has one: the entries of every
// name that means this session ("R1", "Race 1"), with a note for names that mean no session
// of the track. A file that cannot be read or parsed is a problem of the session, its error
// kept with the overrides, and nothing in it applies.
Status load_overrides(const LoadContext& context) {
  Session& session = context.session;
  const ObjectInfo* object = context.files.find(FileKind::Overrides);
  if (!object) return {};
  session.overrides = SessionOverrides{};
  session.overrides->source_key = object->key;
  auto bytes = context.store.read_all(object->key);
  if (!bytes) {
    if (fatal(bytes.error())) return std::unexpected(bytes.error());
    session.overrides->error = object->key + ": " + bytes.error().message;
    session.problems.push_back(session.overrides->error);
    return {};
  }
  session.sources.push_back(SourceFile{object->key, object->size, object->version});
  auto parsed = parse_overrides(*bytes, object->key);
  if (!parsed) {
    session.overrides->error = parsed.error().message;
    session.problems.push_back(parsed.error().message);
    return {};
  }
  SessionOverrides& mine = *session.overrides;
  std::vector<std::string> names;
  for (auto& [name, overrides] : *parsed) {
    const auto id = normalise_session_id(name);
    if (!id || !context.track.find_session(*id)) {
      mine.notes.push_back("'" + name + "' names no session of this track (sessions: " +
                           context.track.session_ids_text() + "): its entries apply nowhere");
      continue;
    }
    if (*id != session.session_id) continue;
    names.push_back("'" + name + "'");
    auto append = [](auto& to, auto& from) { to.insert(to.end(), from.begin(), from.end()); };
    append(mine.forced_links, overrides.forced_links);
    append(mine.forbidden_links, overrides.forbidden_links);
    append(mine.excluded_laps, overrides.excluded_laps);
    append(mine.excluded_files, overrides.excluded_files);
  }
  if (names.size() > 1) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : " and ") + n;
    mine.notes.push_back(list + " all name " + session.session_id + ": their entries are combined");
  }
  return {};
}

}  // namespace

std::vector<ObjectInfo> files_compared_with(const TrackCatalog& track, const SessionFiles& files) {
  std::vector<ObjectInfo> out;
  for (const auto& other : track.sessions) {
    if (other.id == files.id) continue;
    for (const auto& [kind, object] : files.files)
      if (const ObjectInfo* candidate = other.find(kind); candidate && kind != FileKind::Overrides)
        out.push_back(*candidate);
  }
  return out;
}

Result<Session> load_session(ObjectStore& store, const TrackCatalog& track, const SessionFiles& files) {
  Session session;
  session.track_id = track.id;
  session.session_id = files.id;
  const LoadContext context{store, track, files, session};
  if (auto ok = load_overrides(context); !ok) return std::unexpected(ok.error());
  for (auto step : std::initializer_list<std::function<Status()>>{
           [&] { return load_one(context, FileKind::LapStart, session.lap_starts, parse_lap_events); },
           [&] { return load_one(context, FileKind::LapEnd, session.lap_ends, parse_lap_events); },
           [&] { return load_one(context, FileKind::LapTime, session.lap_times, parse_lap_events); },
           [&] { return load_one(context, FileKind::Sections, session.sections, parse_sections); },
           [&] { return load_one(context, FileKind::Results, session.results, parse_results); },
           [&] { return load_one(context, FileKind::BestLaps, session.best_laps, parse_best_laps); },
           [&] { return load_one(context, FileKind::Weather, session.weather, parse_weather); },
       }) {
    if (auto ok = step(); !ok) return std::unexpected(ok.error());
  }
  return session;
}

}  // namespace apex
