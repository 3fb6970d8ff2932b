// A session from a store: the timing files the catalog found for it, read and parsed into
// the model.
#pragma once

#include <vector>

#include "catalog/catalog.h"
#include "core/error.h"
#include "model/session.h"
#include "storage/object_store.h"

namespace apex {

// Reads and parses every timing file of one session. Fails only when the store
// itself fails (unavailable, credentials refused); a corrupt or unreadable file (one that
// stays so until someone fixes it: permission denied on a local file) becomes a problem entry.
Result<Session> load_session(ObjectStore& store, const TrackCatalog& track, const SessionFiles& files);

// The other sessions' files a session's files are compared with, to tell a file whose bytes
// are another session's (Session::identical_files): of the same track and kind. A change in
// them can change that session's report, as a change in its own files can.
std::vector<ObjectInfo> files_compared_with(const TrackCatalog& track, const SessionFiles& files);

}  // namespace apex
