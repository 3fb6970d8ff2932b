#include "analysis/line_crossings.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "analysis/lap_statistics.h"
#include "core/time_format.h"

namespace apex {

std::string_view to_string(OfficialClock clock) {
  return clock == OfficialClock::TimeOfDay ? "HOUR (time of day)" : "ELAPSED";
}

std::optional<std::int64_t> time_of_day_ms(std::string_view text) {
  std::int64_t fields[3] = {0, 0, 0};
  std::size_t i = 0;
  for (int field = 0; field < 3; ++field) {
    const std::size_t begin = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
      fields[field] = fields[field] * 10 + (text[i++] - '0');
    if (i == begin || i - begin > 2) return std::nullopt;
    if (field < 2 && (i >= text.size() || text[i++] != ':')) return std::nullopt;
  }
  std::int64_t ms = 0, scale = 100;
  if (i < text.size()) {
    if (text[i++] != '.' || i == text.size()) return std::nullopt;
    for (; i < text.size(); ++i, scale /= 10) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      ms += (text[i] - '0') * scale;
    }
  }
  if (fields[0] > 23 || fields[1] > 59 || fields[2] > 59) return std::nullopt;
  return ((fields[0] * 60 + fields[1]) * 60 + fields[2]) * 1000 + ms;
}

OfficialCrossings official_line_crossings(const std::vector<OfficialLap>& laps) {
  constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
  OfficialCrossings out;
  std::optional<std::int64_t> first_time_of_day;
  for (const auto& lap : laps) {
    if (lap.lap_time_ms <= 0) continue;
    const auto t = time_of_day_ms(lap.hour);
    if (!t) {
      out.clock = OfficialClock::Elapsed;
      break;
    }
    if (!first_time_of_day) first_time_of_day = t;
  }
  for (const auto& lap : laps) {
    if (lap.lap_time_ms <= 0) continue;
    std::optional<std::int64_t> at;
    if (out.clock == OfficialClock::TimeOfDay) {
      at = time_of_day_ms(lap.hour);
      // A race runs for hours, not half a day: a time of day this far before the first
      // is past midnight.
      if (*at < *first_time_of_day - kDayMs / 2) *at += kDayMs;
    } else if (lap.elapsed_ms && *lap.elapsed_ms > 0) {
      at = lap.elapsed_ms;
    }
    if (at)
      out.by_car[official_car_id(lap.car_number, lap.car_block)].push_back(
          LineCrossing{*at, lap.lap, lap.lap_time_ms});
  }
  for (auto& [car, crossings] : out.by_car)
    std::stable_sort(crossings.begin(), crossings.end(),
                     [](const LineCrossing& a, const LineCrossing& b) { return a.time_ms < b.time_ms; });
  return out;
}

std::vector<LineCrossing> ecu_line_crossings(const EcuVehicleLaps& vehicle) {
  struct Event {
    LineCrossing crossing;
    bool is_end;
  };
  std::vector<Event> events;
  for (const auto& lap : vehicle.laps) {
    events.push_back(Event{{lap.start_ms, lap.lap - 1}, false});
    events.push_back(Event{{lap.end_ms, lap.lap}, true});
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.crossing.time_ms < b.crossing.time_ms; });
  std::vector<LineCrossing> crossings;
  bool last_is_end = false;
  for (const auto& e : events) {
    if (!crossings.empty() && e.crossing.time_ms - crossings.back().time_ms <= kCrossingBurstWindowMs) {
      // The same pass: a lap's end names the lap by the counter that ended it.
      if (e.is_end && !last_is_end) crossings.back().lap_ended = e.crossing.lap_ended;
      last_is_end = last_is_end || e.is_end;
      continue;
    }
    crossings.push_back(e.crossing);
    last_is_end = e.is_end;
  }
  return crossings;
}

CrossingAgreement compare_crossings_at(const std::vector<LineCrossing>& official,
                                       const std::vector<LineCrossing>& ecu, std::int64_t offset_ms) {
  CrossingAgreement out;
  if (official.empty() || ecu.empty()) return out;
  // Only while both were timing: a logger that ran for three laps says nothing of the rest.
  const std::int64_t from =
      std::max(official.front().time_ms + offset_ms, ecu.front().time_ms) - kCrossingAgreementMs;
  const std::int64_t to =
      std::min(official.back().time_ms + offset_ms, ecu.back().time_ms) + kCrossingAgreementMs;
  for (const auto& e : ecu) out.ecu_compared += e.time_ms >= from && e.time_ms <= to;
  std::vector<double> abs_diffs, diffs;
  std::map<int, int> lap_offset_votes;
  for (const auto& o : official) {
    const std::int64_t at = o.time_ms + offset_ms;
    if (at < from || at > to) continue;
    ++out.compared;
    auto next = std::lower_bound(ecu.begin(), ecu.end(), at,
                                 [](const LineCrossing& c, std::int64_t t) { return c.time_ms < t; });
    auto nearest = next;
    if (next == ecu.end() || (next != ecu.begin() && at - std::prev(next)->time_ms < next->time_ms - at))
      nearest = std::prev(next);
    const std::int64_t diff = std::llabs(nearest->time_ms - at);
    if (diff > kCrossingAgreementMs) continue;
    ++out.matching;
    abs_diffs.push_back(static_cast<double>(diff) / 1000.0);
    diffs.push_back(static_cast<double>(nearest->time_ms - at));
    ++lap_offset_votes[nearest->lap_ended - o.lap_ended];
  }
  out.median_abs_diff_s = median(abs_diffs);
  if (auto m = median(diffs)) out.median_diff_ms = static_cast<std::int64_t>(std::llround(*m));
  int best_votes = 0;
  for (auto [lap_offset, votes] : lap_offset_votes)
    if (votes > best_votes || (votes == best_votes && std::abs(lap_offset) < std::abs(out.lap_offset)))
      out.lap_offset = lap_offset, best_votes = votes;
  return out;
}

void set_race_window(SessionClock& clock, const OfficialCrossings& official) {
  std::vector<double> lap_times;
  for (const auto& [car, crossings] : official.by_car)
    for (const auto& c : crossings) lap_times.push_back(static_cast<double>(c.lap_time_ms));
  const auto typical = static_cast<std::int64_t>(median(lap_times).value_or(0));
  // A lap's start is its crossing less its time, but never more than a few typical laps
  // before: one absurd lap time must not stretch the window back by days.
  const std::int64_t longest_lap = kLongestLapInTypicalLaps * typical;
  std::optional<std::int64_t> first_start, last_crossing;
  for (const auto& [car, crossings] : official.by_car)
    for (const auto& c : crossings) {
      const std::int64_t start = c.time_ms - std::min(c.lap_time_ms, longest_lap);
      if (!first_start || start < *first_start) first_start = start;
      if (!last_crossing || c.time_ms > *last_crossing) last_crossing = c.time_ms;
    }
  if (!first_start) return;
  const auto margin = static_cast<std::int64_t>(kRaceWindowMarginLaps * static_cast<double>(typical));
  clock.race_start_ms = *first_start + clock.offset_ms - margin;
  clock.race_end_ms = *last_crossing + clock.offset_ms + margin;
}

std::vector<LapEvent> events_in_race_window(const std::vector<LapEvent>& events, const SessionClock& clock,
                                            const std::string& file, std::vector<EventsLeftOut>& left_out,
                                            const std::set<std::string>& own_clock) {
  std::vector<LapEvent> kept;
  kept.reserve(events.size());
  struct Outside {
    EventsLeftOut left;
    std::map<std::string, int> by_day;  // "2025-03-30" -> events
  };
  std::map<std::string, Outside> outside;
  for (const auto& e : events) {
    if ((e.timestamp_ms >= clock.race_start_ms && e.timestamp_ms <= clock.race_end_ms) ||
        own_clock.contains(e.vehicle_id)) {
      kept.push_back(e);
      continue;
    }
    auto& o = outside[e.vehicle_id];
    if (o.left.events == 0 || e.timestamp_ms < o.left.first_ms) o.left.first_ms = e.timestamp_ms;
    if (o.left.events == 0 || e.timestamp_ms > o.left.last_ms) o.left.last_ms = e.timestamp_ms;
    ++o.left.events;
    ++o.by_day[format_iso8601_ms(e.timestamp_ms).substr(0, 10)];
  }
  for (auto& [vehicle, o] : outside) {
    o.left.file = file;
    o.left.vehicle_id = vehicle;
    std::string days;
    for (const auto& [day, n] : o.by_day)
      days += (days.empty() ? "" : ", ") + std::to_string(n) + " of " + day;
    o.left.reason = std::to_string(o.left.events) + (o.left.events == 1 ? " event" : " events") + " (" +
                    days + ") from " + format_iso8601_ms(o.left.first_ms) + " to " +
                    format_iso8601_ms(o.left.last_ms) + ", outside the race window " +
                    format_iso8601_ms(clock.race_start_ms) + " to " + format_iso8601_ms(clock.race_end_ms) +
                    " on the ECU clock";
    left_out.push_back(std::move(o.left));
  }
  return kept;
}

}  // namespace apex
