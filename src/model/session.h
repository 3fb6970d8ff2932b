// A session's timing files, parsed (load/session_loader reads them from a store and
// formats/ turns them into these types).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/overrides.h"
#include "model/timing.h"

namespace apex {

// A file a session was read from, with the version it had (an ETag on S3, size and times on
// disk), so a cache can tell when to read it again.
struct SourceFile {
  std::string key;
  std::uint64_t size = 0;
  std::string version;
};

// A file of this session whose bytes are exactly another file's of the same track: its name
// claims this session, but one of the two holds the other's data.
struct IdenticalFile {
  std::string key;
  std::string same_as;  // the other session's file
};

// A file of this session an override told APEX not to read.
struct ExcludedFile {
  std::string key;
  std::string reason;
};

struct Session {
  std::string track_id;
  std::string session_id;  // "R1"
  std::optional<LapEvents> lap_starts, lap_ends, lap_times;
  std::optional<OfficialLaps> sections;
  std::optional<Results> results;
  std::optional<BestLaps> best_laps;
  std::optional<Weather> weather;
  std::vector<SourceFile> sources;
  // Files that exist but could not be used ("key: why"); the rest of the session still loads.
  std::vector<std::string> problems;
  std::optional<SessionOverrides> overrides;  // this session's part of the overrides file
  std::vector<ExcludedFile> excluded_files;
  std::vector<IdenticalFile> identical_files;

  std::vector<const ParseReport*> reports() const;
};

}  // namespace apex
