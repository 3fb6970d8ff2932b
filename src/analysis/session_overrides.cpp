#include "analysis/session_overrides.h"

#include <algorithm>

namespace apex {
namespace {

std::string with_reason(std::string text, const std::string& reason) {
  return reason.empty() ? text : text + " (" + reason + ")";
}

CarLink* find_car(std::vector<CarLink>& links, const std::string& car_id) {
  for (auto& link : links)
    if (link.car_id == car_id) return &link;
  return nullptr;
}

bool has_vehicle(const std::vector<EcuVehicleLaps>& ecu, const std::string& vehicle_id) {
  return std::any_of(ecu.begin(), ecu.end(),
                     [&](const EcuVehicleLaps& v) { return v.vehicle_id == vehicle_id; });
}

void unlink(CarLink& link) {
  CarLink blank;
  blank.car_id = link.car_id;
  blank.car_number = link.car_number;
  link = blank;
}

}  // namespace

std::vector<OverrideOutcome> apply_link_overrides(std::vector<CarLink>& links,
                                                  const SessionOverrides& overrides,
                                                  const std::vector<EcuVehicleLaps>& ecu) {
  std::vector<OverrideOutcome> outcomes;
  for (const auto& forbidden : overrides.forbidden_links) {
    OverrideOutcome outcome{
        with_reason("forbid linking car " + forbidden.car_id + " to " + forbidden.vehicle_id,
                    forbidden.reason),
        false, ""};
    CarLink* link = find_car(links, forbidden.car_id);
    if (!link) {
      outcome.result = "the session has no car " + forbidden.car_id;
    } else if (link->vehicle_id != forbidden.vehicle_id) {
      outcome.result = "not linked that way: nothing to undo";
    } else {
      unlink(*link);
      outcome.applied = true;
      outcome.result = "car " + forbidden.car_id + " left unlinked";
    }
    outcomes.push_back(std::move(outcome));
  }
  for (const auto& forced : overrides.forced_links) {
    OverrideOutcome outcome{
        with_reason("link car " + forced.car_id + " to " + forced.vehicle_id, forced.reason), false, ""};
    CarLink* link = find_car(links, forced.car_id);
    if (!link) {
      outcome.result = "the session has no car " + forced.car_id;
    } else if (!has_vehicle(ecu, forced.vehicle_id)) {
      outcome.result = "the session's ECU files have no vehicle " + forced.vehicle_id;
    } else {
      std::string taken_from;
      for (auto& other : links)
        if (&other != link && other.vehicle_id == forced.vehicle_id) {
          taken_from = other.car_id;
          unlink(other);
        }
      const std::string before = link->vehicle_id.value_or("no vehicle");
      unlink(*link);
      link->vehicle_id = forced.vehicle_id;
      link->linked_by = LinkEvidence::Override;
      outcome.applied = true;
      outcome.result = "linked (was " + before + ")" +
                       (taken_from.empty() ? "" : "; car " + taken_from + " left unlinked");
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

std::vector<OverrideOutcome> apply_lap_exclusions(std::vector<LapRecord>& laps,
                                                  const SessionOverrides& overrides) {
  std::vector<OverrideOutcome> outcomes;
  for (const auto& exclusion : overrides.excluded_laps) {
    const bool by_car = !exclusion.car_id.empty();
    const std::string who = by_car ? "car " + exclusion.car_id : "vehicle " + exclusion.vehicle_id;
    OverrideOutcome outcome{
        with_reason("exclude lap " + std::to_string(exclusion.lap) + " of " + who, exclusion.reason), false,
        ""};
    for (auto& lap : laps) {
      const bool same_car = by_car ? lap.source == LapSource::Official && lap.car_id == exclusion.car_id
                                   : lap.source == LapSource::Ecu && lap.vehicle_id == exclusion.vehicle_id;
      if (!same_car || lap.lap != exclusion.lap) continue;
      lap.valid = false;
      lap.invalid_reason = with_reason("excluded by override", exclusion.reason);
      outcome.applied = true;
    }
    outcome.result = outcome.applied
                         ? "excluded"
                         : "the session has no lap " + std::to_string(exclusion.lap) + " of " + who;
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

}  // namespace apex
