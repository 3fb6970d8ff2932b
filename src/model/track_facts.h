// Facts about circuits and the car that the timing files do not carry (length, turns,
// elevation change, a reference lap, the car's specifications). They live in one data
// file, reference/track_facts.json, with a source for every figure (parsed by
// formats/track_facts_parser). Unknown figures are absent (nullopt), never guessed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace apex {

// A reference lap to compare a driver's best with (what "delta_to_record" is measured against).
struct ReferenceLap {
  double lap_time_s = 0;
  std::string description;  // who, when, in what: "GR Cup, Race 2 2025, car 22"
  std::string source;
};

struct TrackFacts {
  std::string id;                    // canonical id, e.g. "barber-motorsports-park"
  std::string name;                  // "Barber Motorsports Park"
  std::vector<std::string> aliases;  // other folder names the data ships under ("barber", "COTA")
  std::optional<double> length_km;
  std::optional<int> turns;
  std::optional<double> elevation_change_m;
  std::optional<ReferenceLap> reference_lap;
  // The circuit's outright race lap record (any series, usually IndyCar or a prototype):
  // shown for context only. delta_to_record stays against reference_lap, a GR86 lap, since
  // a gap of half a minute to a single-seater says nothing about a GR Cup driver.
  std::optional<ReferenceLap> race_lap_record;
  std::string source;  // where length, turns and elevation come from
};

struct VehicleFacts {
  std::string name;  // "Toyota GR86 Cup"
  std::optional<int> horsepower;
  std::optional<double> weight_kg;
  std::optional<double> top_speed_kmh;
  std::string source;
};

class TrackFactsBook {
 public:
  TrackFactsBook() = default;
  // origin names the facts file in messages.
  TrackFactsBook(std::vector<TrackFacts> tracks, VehicleFacts vehicle, std::string origin)
      : tracks_(std::move(tracks)), vehicle_(std::move(vehicle)), origin_(std::move(origin)) {}

  // The track whose id, alias or name matches track_id, ignoring case and the
  // separators folder names use ("Barber_Motorsports_Park", "barber motorsports park").
  const TrackFacts* find(std::string_view track_id) const;

  const VehicleFacts& vehicle() const { return vehicle_; }
  const std::vector<TrackFacts>& tracks() const { return tracks_; }
  const std::string& origin() const { return origin_; }

 private:
  std::vector<TrackFacts> tracks_;
  VehicleFacts vehicle_;
  std::string origin_;
};

// Lower case, every run of non-alphanumeric characters as one '-', no leading or trailing '-'.
std::string normalise_track_key(std::string_view text);

}  // namespace apex
