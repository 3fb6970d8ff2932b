// What an engineer has decided about a session's data where the files alone mislead:
// written in the track folder's apex-overrides.json (docs/overrides.md), applied on load and
// shown in the session's data-quality report. Overrides never change the official
// classification (results, fastest laps, positions); they change what APEX derives.
#pragma once

#include <string>
#include <vector>

namespace apex {

// A car is named by its APEX car id ("13", "3-2" for the second car numbered 3), a vehicle
// by its ECU vehicle_id.
struct LinkOverride {
  std::string car_id;
  std::string vehicle_id;
  std::string reason;
};

// A lap of an official car (car_id) or of an ECU vehicle (vehicle_id), by its lap number.
struct LapExclusion {
  std::string car_id;      // empty when vehicle_id names it
  std::string vehicle_id;  // empty when car_id names it
  int lap = 0;
  std::string reason;
};

// A file of the session, by its path inside the track folder.
struct FileExclusion {
  std::string path;
  std::string reason;
};

struct SessionOverrides {
  std::string source_key;          // the overrides file these came from
  std::string error;               // why nothing in the file applies (it could not be read or parsed)
  std::vector<std::string> notes;  // what in the file names nothing, or twice, for this session
  std::vector<LinkOverride> forced_links;
  std::vector<LinkOverride> forbidden_links;
  std::vector<LapExclusion> excluded_laps;
  std::vector<FileExclusion> excluded_files;

  bool empty() const {
    return forced_links.empty() && forbidden_links.empty() && excluded_laps.empty() && excluded_files.empty();
  }
};

// What one override did to a session, or why it did nothing.
struct OverrideOutcome {
  std::string override_text;  // "link car 51 to GR86-040-51", in words
  bool applied = false;
  std::string result;  // what it changed, or why it changed nothing
};

}  // namespace apex
