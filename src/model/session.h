// A session's timing files, parsed: what the catalog said the session holds, read
// from the store and turned into model types by formats/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "model/timing.h"
#include "storage/object_store.h"

namespace apex {

struct Session {
  std::string track_id;
  std::string session_id;  // "R1"
  std::optional<LapEvents> lap_starts, lap_ends, lap_times;
  std::optional<OfficialLaps> sections;
  std::optional<Results> results;
  std::optional<BestLaps> best_laps;
  std::optional<Weather> weather;
  // Every object read, with the version it had, so a cache can tell when to reload.
  std::vector<ObjectInfo> sources;
  // Files that exist but could not be used ("key: why"); the rest of the session still loads.
  std::vector<std::string> problems;

  std::vector<const ParseReport*> reports() const;
};

// Reads and parses every timing file of one session. Fails only when the store
// itself fails (unavailable, credentials refused); a corrupt or unreadable file (one that
// stays so until someone fixes it: permission denied on a local file) becomes a problem entry.
Result<Session> load_session(ObjectStore& store, const TrackCatalog& track, const SessionFiles& files);

}  // namespace apex
