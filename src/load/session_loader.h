// A session from a store: the timing files the catalog found for it, read and parsed into
// the model.
#pragma once

#include "catalog/catalog.h"
#include "core/error.h"
#include "model/session.h"
#include "storage/object_store.h"

namespace apex {

// Reads and parses every timing file of one session. Fails only when the store
// itself fails (unavailable, credentials refused); a corrupt or unreadable file (one that
// stays so until someone fixes it: permission denied on a local file) becomes a problem entry.
Result<Session> load_session(ObjectStore& store, const TrackCatalog& track, const SessionFiles& files);

}  // namespace apex
