// A session's data-quality report: every check APEX makes on its files, what it found and
// what it decided, so an engineer can see why a number is what it is (and overrule it in
// the track's apex-overrides.json). Pure: no I/O.
#pragma once

#include <string>
#include <vector>

#include "analysis/session_analysis.h"
#include "model/session.h"

namespace apex {

enum class QualityStatus {
  Ok,       // checked, nothing unusual
  Notice,   // something unusual, handled by a rule of how timing works
  Warning,  // something an engineer should look at: data left out, a file that is not what it says
};
std::string_view to_string(QualityStatus status);

struct QualityFinding {
  std::string subject;  // a file, "car 3-2", a vehicle id
  std::string found;
  std::string decided;
  QualityStatus status = QualityStatus::Notice;
};

struct QualityCheck {
  std::string id;                            // stable: "results_vs_timing"
  std::string title;                         // "Results against lap timing"
  std::string summary;                       // what was checked and, in one line, what came of it
  QualityStatus status = QualityStatus::Ok;  // the worst of its findings
  std::vector<QualityFinding> findings;
};

// The checks in a fixed order: files, values, results vs timing, fastest laps, deleted
// laps, duplicate numbers, car links, race window, ECU laps, overrides.
std::vector<QualityCheck> session_quality(const Session& session, const SessionAnalysis& analysis);

}  // namespace apex
