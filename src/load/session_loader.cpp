#include "load/session_loader.h"

#include <functional>

#include "formats/lap_events_parser.h"
#include "formats/official_timing_parser.h"

namespace apex {

namespace {

// Store failures that mean "try again later" (or "fix the settings") stop the load; a file
// that vanished since listing, corrupt content and a file that cannot be read until someone
// fixes it (permission denied, a loop of links) are recorded and the load goes on: the
// session answers from its other files, and /files says what is missing and why.
bool fatal(const Error& e) {
  return e.kind != ErrorKind::NotFound && e.kind != ErrorKind::Corrupt && e.kind != ErrorKind::Unreadable;
}

template <typename T>
Status load_one(ObjectStore& store, Session& session, const SessionFiles& files, FileKind kind,
                std::optional<T>& slot, Result<T> (*parse)(std::string, std::string_view)) {
  const ObjectInfo* object = files.find(kind);
  if (!object) return {};
  auto bytes = store.read_all(object->key);
  if (!bytes) {
    if (fatal(bytes.error())) return std::unexpected(bytes.error());
    session.problems.push_back(object->key + ": " + bytes.error().message);
    return {};
  }
  session.sources.push_back(SourceFile{object->key, object->size, object->version});
  auto parsed = parse(std::move(*bytes), object->key);
  if (!parsed) {
    session.problems.push_back(parsed.error().message);
    return {};
  }
  slot = std::move(*parsed);
  return {};
}

}  // namespace

Result<Session> load_session(ObjectStore& store, const TrackCatalog& track, const SessionFiles& files) {
  Session session;
  session.track_id = track.id;
  session.session_id = files.id;
  Status status;
  for (auto step : std::initializer_list<std::function<Status()>>{
           [&] {
             return load_one(store, session, files, FileKind::LapStart, session.lap_starts, parse_lap_events);
           },
           [&] {
             return load_one(store, session, files, FileKind::LapEnd, session.lap_ends, parse_lap_events);
           },
           [&] {
             return load_one(store, session, files, FileKind::LapTime, session.lap_times, parse_lap_events);
           },
           [&] {
             return load_one(store, session, files, FileKind::Sections, session.sections, parse_sections);
           },
           [&] { return load_one(store, session, files, FileKind::Results, session.results, parse_results); },
           [&] {
             return load_one(store, session, files, FileKind::BestLaps, session.best_laps, parse_best_laps);
           },
           [&] { return load_one(store, session, files, FileKind::Weather, session.weather, parse_weather); },
       }) {
    if (auto ok = step(); !ok) return std::unexpected(ok.error());
  }
  return session;
}

}  // namespace apex
