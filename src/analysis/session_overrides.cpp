#include "analysis/session_overrides.h"

#include <algorithm>
#include <optional>

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

// Whether entry i of `links` is overruled by a later one naming the same car or vehicle.
std::optional<std::string> overruled(const std::vector<LinkOverride>& links, std::size_t i) {
  for (std::size_t later = i + 1; later < links.size(); ++later)
    if (links[later].car_id == links[i].car_id || links[later].vehicle_id == links[i].vehicle_id)
      return "overruled by a later entry linking car " + links[later].car_id + " to " +
             links[later].vehicle_id;
  return std::nullopt;
}

bool forced(const SessionOverrides& overrides, const LinkOverride& pair) {
  return std::any_of(
      overrides.forced_links.begin(), overrides.forced_links.end(),
      [&](const LinkOverride& l) { return l.car_id == pair.car_id && l.vehicle_id == pair.vehicle_id; });
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
    if (forced(overrides, forbidden)) {
      outcome.result = "contradicted by a link entry for the same pair: the link stands";
    } else if (!link) {
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
  for (std::size_t i = 0; i < overrides.forced_links.size(); ++i) {
    const LinkOverride& link_override = overrides.forced_links[i];
    OverrideOutcome outcome{
        with_reason("link car " + link_override.car_id + " to " + link_override.vehicle_id,
                    link_override.reason),
        false, ""};
    CarLink* link = find_car(links, link_override.car_id);
    if (auto later = overruled(overrides.forced_links, i)) {
      outcome.result = *later;
    } else if (!link) {
      outcome.result = "the session has no car " + link_override.car_id;
    } else if (!has_vehicle(ecu, link_override.vehicle_id)) {
      outcome.result = "the session's ECU files have no vehicle " + link_override.vehicle_id;
    } else {
      std::string taken_from;
      for (auto& other : links)
        if (&other != link && other.vehicle_id == link_override.vehicle_id) {
          taken_from = other.car_id;
          unlink(other);
        }
      const std::string before = link->vehicle_id.value_or("no vehicle");
      unlink(*link);
      link->vehicle_id = link_override.vehicle_id;
      link->linked_by = LinkEvidence::Override;
      link->id_number_matches =
          number_in_vehicle_id(link_override.vehicle_id) == number_in_vehicle_id("car-" + link->car_number);
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
