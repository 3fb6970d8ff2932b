#include "analysis/session_quality.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/counted_noun.h"
#include "core/time_format.h"

namespace apex {

std::string_view to_string(QualityStatus status) {
  switch (status) {
    case QualityStatus::Ok:
      return "ok";
    case QualityStatus::Notice:
      return "notice";
    case QualityStatus::Warning:
      return "warning";
  }
  return "ok";
}

namespace {

void add(QualityCheck& check, QualityFinding finding) {
  check.status = std::max(check.status, finding.status);
  check.findings.push_back(std::move(finding));
}

std::string car_subject(const std::string& car_id) {
  return "car " + car_id;
}

QualityCheck files_check(const Session& session) {
  QualityCheck check{"files", "Files read", "", QualityStatus::Ok, {}};
  for (const auto& problem : session.problems)
    add(check, {problem.substr(0, problem.find(": ")), problem,
                "the file is left out; the session answers from its other files", QualityStatus::Warning});
  for (const auto& excluded : session.excluded_files)
    add(check, {excluded.key,
                "excluded by the track's overrides" + (excluded.reason.empty() ? "" : ": " + excluded.reason),
                "not read", QualityStatus::Notice});
  for (const auto& same : session.identical_files)
    add(check, {same.key, "its bytes are exactly those of " + same.same_as,
                "reported: its name claims this session, but one of the two files holds the other's data; "
                "events outside this race's time window are left out",
                QualityStatus::Warning});
  const std::size_t timing_files =
      session.sources.size() -
      (session.overrides &&
               std::any_of(session.sources.begin(), session.sources.end(),
                           [&](const SourceFile& f) { return f.key == session.overrides->source_key; })
           ? 1
           : 0);
  check.summary = counted(timing_files, "timing file") + " read, " +
                  counted(session.problems.size(), "file") + " unusable, " +
                  counted(session.excluded_files.size(), "file") + " excluded by override, " +
                  counted(session.identical_files.size(), "file") + " identical to another session's";
  return check;
}

QualityCheck values_check(const Session& session) {
  QualityCheck check{"values", "Values read", "", QualityStatus::Ok, {}};
  std::size_t bad_rows = 0, sentinels = 0;
  for (const ParseReport* report : session.reports()) {
    bad_rows += report->bad_rows;
    for (const auto& reason : report->bad_row_reasons)
      add(check, {report->object_key, reason, "the row is skipped", QualityStatus::Warning});
    if (report->bad_rows > report->bad_row_reasons.size())
      add(check, {report->object_key,
                  counted(report->bad_rows - report->bad_row_reasons.size(), "more row") + " like these",
                  "skipped", QualityStatus::Warning});
    for (const auto& [column, cells] : report->sentinel_cells) {
      sentinels += cells;
      add(check,
          {report->object_key, counted(cells, "cell") + " of " + column + " hold the timing system's -999",
           "read as missing, never as a number", QualityStatus::Notice});
    }
  }
  check.summary =
      counted(bad_rows, "row") + " skipped, " + counted(sentinels, "sentinel cell") + " read as missing";
  return check;
}

QualityCheck results_check(const Session& session, const SessionAnalysis& analysis) {
  QualityCheck check{"results_vs_timing", "Results against lap timing", "", QualityStatus::Ok, {}};
  if (!session.results) {
    check.summary = "no results file: fastest laps come from the best-laps file (99_) or 23_ alone";
    check.status = QualityStatus::Notice;
    return check;
  }
  const auto& entries = session.results->entries;
  std::set<std::size_t> matched_rows;
  for (const auto& car : analysis.cars) {
    if (!car.result_row) {
      add(check, {car_subject(car.car_id), "no row of the results file matches its laps",
                  "listed without a finishing position", QualityStatus::Warning});
      continue;
    }
    matched_rows.insert(*car.result_row);
    const ResultEntry& row = entries[*car.result_row];
    if (row.laps != car.laps_completed)
      add(check, {car_subject(car.car_id),
                  "the results say " + counted(static_cast<std::size_t>(row.laps), "lap") +
                      ", 23_ has laps up to " + std::to_string(car.laps_completed),
                  "the results file's position and fastest lap stand", QualityStatus::Notice});
  }
  for (std::size_t row = 0; row < entries.size(); ++row)
    if (!matched_rows.contains(row))
      add(check,
          {"car " + entries[row].car_number,
           "a row of the results file (line " + std::to_string(row + 1) + " of its rows) has no laps in 23_",
           "not listed: APEX lists the cars of the lap timing", QualityStatus::Notice});
  check.summary = "results file " + session.results->report.object_key + ": " +
                  counted(matched_rows.size(), "row") + " matched to " +
                  counted(analysis.cars.size(), "car") + " of 23_";
  return check;
}

QualityCheck fastest_laps_check(const SessionAnalysis& analysis) {
  QualityCheck check{"fastest_laps", "Fastest laps", "", QualityStatus::Ok, {}};
  std::map<std::string, std::size_t> by_basis;
  for (const auto& car : analysis.cars) {
    if (car.fastest_lap) {
      ++by_basis[car.fastest_lap_basis];
      continue;
    }
    add(check, {car_subject(car.car_id), car.no_fastest_lap_reason, "listed unranked, without a fastest lap",
                QualityStatus::Notice});
  }
  for (const auto& [basis, cars] : by_basis)
    check.summary += (check.summary.empty() ? "" : "; ") + counted(cars, "car") + " from " + basis;
  if (check.summary.empty()) check.summary = "no official timing";
  return check;
}

// Laps the officials deleted (OfficialCar::deleted_laps), and lap 1 where it was quicker
// than the official fastest lap (from the grid: never a fastest lap, but not deleted).
QualityCheck deleted_laps_check(const SessionAnalysis& analysis) {
  QualityCheck check{"deleted_laps", "Laps that do not count", "", QualityStatus::Ok, {}};
  std::map<std::string, const OfficialCar*> car_of;
  for (const auto& car : analysis.cars) car_of[car.car_id] = &car;
  std::size_t deleted = 0;
  for (const auto& lap : analysis.laps) {
    if (lap.source != LapSource::Official || !lap.car_id || lap.lap_time_ms <= 0) continue;
    auto it = car_of.find(*lap.car_id);
    if (it == car_of.end()) continue;
    const OfficialCar& car = *it->second;
    const std::string what = "lap " + std::to_string(lap.lap) + " (" + format_lap_time(lap.lap_time_ms) + ")";
    if (auto d = car.deleted_laps.find(lap.lap); d != car.deleted_laps.end()) {
      ++deleted;
      add(check, {car_subject(car.car_id), what + " was deleted by the officials: it is " + d->second,
                  "never a fastest lap, never in pace figures", QualityStatus::Notice});
    } else if (lap.lap == 1 && car.fastest_lap_ms && lap.lap_time_ms < *car.fastest_lap_ms) {
      add(check,
          {car_subject(car.car_id),
           what + " is quicker than the official fastest lap (lap " + std::to_string(*car.fastest_lap) +
               ", " + format_lap_time(*car.fastest_lap_ms) + "): it starts from the grid",
           "never a fastest lap", QualityStatus::Notice});
    }
  }
  check.summary =
      counted(deleted, "deleted lap") +
      " seen. A deleted lap shows only when it is quicker than the car's official fastest lap, "
      "or quicker than the slowest lap the best-ten-laps file (99_) lists and not listed; a deleted "
      "lap slower than both still counts in pace figures";
  return check;
}

QualityCheck duplicate_numbers_check(const SessionAnalysis& analysis) {
  QualityCheck check{"duplicate_numbers", "Cars sharing a number", "", QualityStatus::Ok, {}};
  std::map<std::string, std::vector<const OfficialCar*>> by_number;
  for (const auto& car : analysis.cars) by_number[car.car_number].push_back(&car);
  std::size_t shared = 0;
  for (const auto& [number, cars] : by_number) {
    if (cars.size() < 2) continue;
    ++shared;
    std::string ids, laps;
    for (const OfficialCar* car : cars) {
      ids += (ids.empty() ? "" : ", ") + car->car_id;
      laps += (laps.empty() ? "" : " and ") + std::to_string(car->laps_completed);
    }
    add(check,
        {"number " + number,
         std::to_string(cars.size()) + " blocks of laps in 23_ (" + laps + " laps) carry number " + number,
         "separate cars: " + ids + ", each matched to its own results row", QualityStatus::Notice});
  }
  check.summary = counted(shared, "number") + " shared by more than one car";
  return check;
}

std::string link_evidence(const CarLink& link) {
  switch (link.linked_by) {
    case LinkEvidence::LapTimes:
      return std::to_string(link.agreeing_laps) + " of " + std::to_string(link.compared_laps) +
             " lap times agree within 0.06 s (lap offset " + std::to_string(link.lap_offset) + ")";
    case LinkEvidence::LineCrossings:
      return std::to_string(link.crossings.matching) + " of " + std::to_string(link.crossings.compared) +
             " line crossings coincide at the session clock";
    case LinkEvidence::Override:
      return "the track's overrides file";
    case LinkEvidence::None:
      break;
  }
  return "";
}

bool named_by_overrides(const Session& session, const std::string& vehicle_id) {
  if (!session.overrides) return false;
  auto names = [&](const std::vector<LinkOverride>& links) {
    return std::any_of(links.begin(), links.end(),
                       [&](const LinkOverride& l) { return l.vehicle_id == vehicle_id; });
  };
  return names(session.overrides->forced_links) || names(session.overrides->forbidden_links);
}

QualityCheck links_check(const Session& session, const SessionAnalysis& analysis) {
  QualityCheck check{"car_links", "Telemetry cars linked to race cars", "", QualityStatus::Ok, {}};
  std::set<std::string> claimed;
  std::size_t linked = 0;
  for (const auto& link : analysis.links) {
    if (!link.vehicle_id) {
      add(check,
          {car_subject(link.car_id), "no ECU vehicle's lap times or line crossings agree with its laps",
           "unlinked: official timing only", QualityStatus::Notice});
      continue;
    }
    ++linked;
    claimed.insert(*link.vehicle_id);
    std::string decided = "linked";
    if (!link.id_number_matches) decided += "; the number in the vehicle id is stale";
    if (link.few_laps)
      decided += "; from fewer than " + std::to_string(kFewLaps) + " laps: little to check it by";
    add(check, {car_subject(link.car_id), *link.vehicle_id + ": " + link_evidence(link), decided,
                link.id_number_matches && !link.few_laps ? QualityStatus::Ok : QualityStatus::Notice});
  }
  std::size_t unclaimed = 0;
  for (const auto& vehicle : analysis.ecu) {
    if (claimed.contains(vehicle.vehicle_id)) continue;
    ++unclaimed;
    std::string found = vehicle.laps.empty() ? "it has no complete lap to compare"
                                             : "no official car's laps or line crossings agree with its " +
                                                   counted(vehicle.laps.size(), "lap");
    if (named_by_overrides(session, vehicle.vehicle_id))
      found = "the track's overrides unlinked it (see overrides)";
    add(check, {vehicle.vehicle_id, found, "served as an ECU-only driver", QualityStatus::Notice});
  }
  check.summary = std::to_string(linked) + " of " + counted(analysis.links.size(), "car") + " linked; " +
                  counted(analysis.ecu.size(), "ECU vehicle") + ", " + std::to_string(unclaimed) +
                  " claimed by no car";
  return check;
}

// Events further than this outside the race window are not its formation or cool-down laps:
// another session's or another day's, in a file named for this one.
constexpr std::int64_t kOtherSessionMs = 60LL * 60 * 1000;

std::string clock_text(const SessionClock& clock) {
  const std::string sign = clock.offset_ms < 0 ? "-" : "+";
  return "ECU clock = official " + std::string(to_string(clock.official_clock)) + " " + sign + " " +
         std::to_string(std::llabs(clock.offset_ms)) + " ms, from " +
         counted(static_cast<std::size_t>(clock.cars), "car") + " linked by lap times and " +
         std::to_string(clock.cars_by_crossings) + " by line crossings (spread " +
         std::to_string(clock.spread_ms) + " ms); the race runs " + format_iso8601_ms(clock.race_start_ms) +
         " to " + format_iso8601_ms(clock.race_end_ms) + " on it";
}

QualityCheck race_window_check(const SessionAnalysis& analysis) {
  QualityCheck check{"race_window", "ECU events outside the race", "", QualityStatus::Ok, {}};
  if (!analysis.clock) {
    check.status = QualityStatus::Notice;
    check.summary = "not checked: no session clock (" + analysis.why_no_clock + ")";
    return check;
  }
  const SessionClock& clock = *analysis.clock;
  std::size_t events = 0;
  for (const auto& left : analysis.events_left_out) {
    events += static_cast<std::size_t>(left.events);
    const bool far = left.first_ms < clock.race_start_ms - kOtherSessionMs ||
                     left.last_ms > clock.race_end_ms + kOtherSessionMs;
    add(check, {left.file + " (" + left.vehicle_id + ")", left.reason,
                far ? "left out: another session's or day's events in a file named for this one"
                    : "left out: formation or cool-down laps, no lap of the race",
                far ? QualityStatus::Warning : QualityStatus::Notice});
  }
  for (const auto& vehicle : analysis.own_clock_vehicles)
    add(check, {vehicle, "its lap times link it to a car, but its logger's clock is off the session's",
                "all its events kept: the race window says nothing of them", QualityStatus::Notice});
  check.summary = counted(events, "event") + " left out. " + clock_text(clock);
  return check;
}

QualityCheck ecu_laps_check(const SessionAnalysis& analysis) {
  QualityCheck check{"ecu_laps", "ECU laps that cannot be real", "", QualityStatus::Ok, {}};
  std::size_t laps = 0, flagged = 0;
  for (const auto& vehicle : analysis.ecu) {
    std::map<std::string, std::size_t> by_kind;  // the reason up to its first ':'
    for (const auto& lap : vehicle.laps) {
      ++laps;
      if (lap.valid) continue;
      ++flagged;
      ++by_kind[lap.invalid_reason.substr(0, lap.invalid_reason.find(':'))];
    }
    for (const auto& [kind, count] : by_kind)
      add(check, {vehicle.vehicle_id, counted(count, "lap") + " " + kind, "never a best lap, never in pace",
                  QualityStatus::Notice});
  }
  check.summary = counted(flagged, "ECU lap") + " of " + std::to_string(laps) + " flagged";
  return check;
}

QualityCheck overrides_check(const Session& session, const SessionAnalysis& analysis) {
  QualityCheck check{"overrides", "Engineer's overrides", "", QualityStatus::Ok, {}};
  if (!session.overrides) {
    check.summary = "no overrides file for this track (apex-overrides.json in the track folder)";
    return check;
  }
  const SessionOverrides& overrides = *session.overrides;
  const std::string& file = overrides.source_key;
  if (!overrides.error.empty()) {
    add(check,
        {file, overrides.error, "nothing in the file applies until it is fixed", QualityStatus::Warning});
    check.summary = "the overrides file could not be used";
    return check;
  }
  for (const auto& note : overrides.notes) add(check, {file, note, "", QualityStatus::Warning});
  for (const auto& outcome : analysis.override_outcomes)
    add(check, {file, outcome.override_text, outcome.result,
                outcome.applied ? QualityStatus::Notice : QualityStatus::Warning});
  for (const auto& exclusion : overrides.excluded_files) {
    const bool found =
        std::any_of(session.excluded_files.begin(), session.excluded_files.end(), [&](const auto& f) {
          return f.key == exclusion.path || f.key == session.track_id + "/" + exclusion.path;
        });
    add(check,
        {file,
         "exclude file " + exclusion.path + (exclusion.reason.empty() ? "" : " (" + exclusion.reason + ")"),
         found ? "not read" : "names no timing file of this session: nothing excluded",
         found ? QualityStatus::Notice : QualityStatus::Warning});
  }
  check.summary = overrides.empty() ? "no entries for this session in " + file : "from " + file;
  return check;
}

}  // namespace

std::vector<QualityCheck> session_quality(const Session& session, const SessionAnalysis& analysis) {
  std::vector<QualityCheck> checks;
  checks.push_back(files_check(session));
  checks.push_back(values_check(session));
  checks.push_back(results_check(session, analysis));
  checks.push_back(fastest_laps_check(analysis));
  checks.push_back(deleted_laps_check(analysis));
  checks.push_back(duplicate_numbers_check(analysis));
  checks.push_back(links_check(session, analysis));
  checks.push_back(race_window_check(analysis));
  checks.push_back(ecu_laps_check(analysis));
  checks.push_back(overrides_check(session, analysis));
  return checks;
}

}  // namespace apex
