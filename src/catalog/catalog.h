// Catalog: which tracks and sessions a data root holds, and which object is which
// file of a session. Built from one listing of the store (names only, no reads).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/file_name_grammar.h"
#include "storage/object_store.h"

namespace apex {

struct SessionFiles {
  std::string id;  // normalised "R1", "R2", ...
  int race = 0;    // 1, 2, ...
  // The chosen object per kind (Official over unmarked over Provisional when several match).
  std::map<FileKind, ObjectInfo> files;
  // Other objects of a kind already chosen (e.g. the provisional results beside the official).
  std::vector<ObjectInfo> alternates;

  const ObjectInfo* find(FileKind kind) const;
};

struct UnrecognisedFile {
  std::string key;
  std::string reason;  // why it was not assigned ("no session token", "not a race data file", ...)
};

struct TrackCatalog {
  std::string id;                      // the top-level folder name, as the user unzipped it
  std::vector<SessionFiles> sessions;  // sorted by race number
  std::vector<UnrecognisedFile> unrecognised;

  const SessionFiles* find_session(std::string_view session_id) const;  // "R1", "r1", "Race 1", "1"
  // "R1, R2" ("none" when empty): what a "not found" message offers instead.
  std::string session_ids_text() const;
};

class Catalog {
 public:
  // Lists the whole store once and classifies every key.
  static Result<Catalog> build(ObjectStore& store);
  // Same, from keys already listed (relative to the data root).
  static Catalog from_listing(const std::vector<ObjectInfo>& objects);

  const std::vector<TrackCatalog>& tracks() const { return tracks_; }  // sorted by id
  const TrackCatalog* find_track(std::string_view track_id) const;
  // "barber-motorsports-park, sonoma-raceway" ("none" when empty), for messages.
  std::string track_ids_text() const;
  // Keys directly at the root (not inside a track folder).
  const std::vector<UnrecognisedFile>& root_files() const { return root_files_; }

 private:
  std::vector<TrackCatalog> tracks_;
  std::vector<UnrecognisedFile> root_files_;
};

// Normalises a user-supplied session name ("R1", "r1", "Race 1", "race1", "1") to "R1".
std::optional<std::string> normalise_session_id(std::string_view text);

}  // namespace apex
