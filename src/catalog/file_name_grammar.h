// The grammar of GR Cup file names: a session token (R1, Race 1, _ Race 2; first or
// last; in the name or a "Race N/" folder), a kind (lap_start / lap_start_time, ...,
// or an official timing prefix like 23_AnalysisEnduranceWithSections), and free text
// (the track token, Official/Provisional/Anonymized) around them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace apex {

enum class FileKind {
  LapStart,
  LapEnd,
  LapTime,
  Telemetry,
  Sections,        // 23_AnalysisEnduranceWithSections
  Results,         // 00_ / 03_ results
  ResultsByClass,  // 05_
  BestLaps,        // 99_Best 10 Laps By Driver
  Weather,         // 26_Weather
  Overrides,       // apex-overrides.json: an engineer's decisions for the whole track
};

std::string_view to_string(FileKind kind);  // "lap_start", "sections", ...
std::optional<FileKind> file_kind_from_string(std::string_view name);

// How official a version of a file is, to choose between copies of one kind.
enum class Officialness { Provisional = 0, Unmarked = 1, Official = 2 };

struct ClassifiedName {
  std::optional<FileKind> kind;  // nullopt: not a race data file
  std::optional<int> race;       // nullopt: no session token found
  Officialness officialness = Officialness::Unmarked;
};

// Classifies a key relative to its track folder ("COTA/Race 1/COTA_lap_time_R1.csv").
// Folder names contribute the session token; the file name gives the kind.
ClassifiedName classify_file_name(std::string_view path_in_track);

}  // namespace apex
